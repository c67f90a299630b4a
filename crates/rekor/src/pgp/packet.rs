//! OpenPGP packet framing (RFC 4880 §4.2): old- and new-format headers, partial body
//! lengths, and the bounds-checked cursor every packet parser reads through.
//!
//! Packets are framed lazily, one at a time, because Go's reader does so and Rekor's
//! outcome depends on it: bytes after the packets a check needs are never looked at (a
//! binary signature with trailing garbage verifies), while a framing error is reported
//! when it is reached. Every length is checked against what is left of the input before
//! anything is copied, so no declared length can make us allocate more than the input.

use super::error::{structural, PgpError};

/// Packet tags this crate handles (RFC 4880 §4.3).
pub(crate) mod tag {
    /// Signature packet.
    pub(crate) const SIGNATURE: u8 = 2;
    /// Secret-key packet.
    pub(crate) const SECRET_KEY: u8 = 5;
    /// Public-key packet.
    pub(crate) const PUBLIC_KEY: u8 = 6;
    /// Secret-subkey packet.
    pub(crate) const SECRET_SUBKEY: u8 = 7;
    /// User ID packet.
    pub(crate) const USER_ID: u8 = 13;
    /// Public-subkey packet.
    pub(crate) const PUBLIC_SUBKEY: u8 = 14;

    /// Whether Go's `packet.Read` knows the tag (and so parses the packet instead of
    /// skipping it as an unknown type): 1–9, 11, 13, 14, 17 and 18.
    pub(crate) fn known_to_go(tag: u8) -> bool {
        matches!(tag, 1..=9 | 11 | 13 | 14 | 17 | 18)
    }
}

/// One packet: its tag and its body, with partial-length chunks already joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawPacket {
    pub(crate) tag: u8,
    pub(crate) body: Vec<u8>,
}

/// The packets of a binary OpenPGP stream, framed one at a time. After an error the
/// iterator ends.
pub(crate) struct Packets<'a> {
    input: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Packets<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Packets {
            input,
            pos: 0,
            failed: false,
        }
    }

    fn frame(&mut self) -> Result<RawPacket, PgpError> {
        let mut r = Reader::new(&self.input[self.pos..], "packet header");
        let first = r.u8()?;
        if first & 0x80 == 0 {
            return Err(structural("tag byte does not have MSB set"));
        }
        let (tag, body) = if first & 0x40 == 0 {
            // Old format: tag in bits 5..2, length type in bits 1..0.
            let tag = (first & 0x3f) >> 2;
            let len = match first & 3 {
                0 => usize::from(r.u8()?),
                1 => usize::from(r.u16()?),
                2 => r.u32()? as usize,
                // Indeterminate length: the packet runs to the end of the input.
                _ => r.remaining(),
            };
            (tag, r.take_labelled(len, "packet body")?.to_vec())
        } else {
            let tag = first & 0x3f;
            let mut body = Vec::new();
            loop {
                match new_length(&mut r)? {
                    Length::Full(len) => {
                        body.extend_from_slice(r.take_labelled(len, "packet body")?);
                        break;
                    }
                    Length::Partial(len) => {
                        body.extend_from_slice(r.take_labelled(len, "partial packet body")?);
                    }
                }
            }
            (tag, body)
        };
        self.pos = self.input.len() - r.remaining();
        Ok(RawPacket { tag, body })
    }
}

impl Iterator for Packets<'_> {
    type Item = Result<RawPacket, PgpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.input.len() {
            return None;
        }
        let framed = self.frame();
        self.failed = framed.is_err();
        Some(framed)
    }
}

enum Length {
    Full(usize),
    Partial(usize),
}

/// A new-format body length (RFC 4880 §4.2.2).
fn new_length(r: &mut Reader<'_>) -> Result<Length, PgpError> {
    let b = r.u8()?;
    Ok(match b {
        0..=191 => Length::Full(usize::from(b)),
        192..=223 => Length::Full(((usize::from(b) - 192) << 8) + usize::from(r.u8()?) + 192),
        224..=254 => Length::Partial(1 << (b & 0x1f)),
        255 => Length::Full(r.u32()? as usize),
    })
}

/// Appends a new-format packet header as Go's `serializeHeader` writes it (one-, two- or
/// five-octet length, never partial).
pub(crate) fn write_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(0xc0 | tag);
    if len < 192 {
        out.push(len as u8);
    } else if len < 8384 {
        let l = len - 192;
        out.push(192 + (l >> 8) as u8);
        out.push(l as u8);
    } else {
        out.push(255);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// An OpenPGP multiprecision integer exactly as it was read: Go keeps the declared bit
/// count and the bytes (leading zeros included) so that it re-serializes byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mpi {
    pub(crate) bits: u16,
    pub(crate) bytes: Vec<u8>,
}

impl Mpi {
    /// Appends the wire form (bit count, then the bytes).
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bits.to_be_bytes());
        out.extend_from_slice(&self.bytes);
    }

    /// Length of the wire form.
    pub(crate) fn encoded_len(&self) -> usize {
        2 + self.bytes.len()
    }

    /// The value's bytes without leading zeros.
    pub(crate) fn magnitude(&self) -> &[u8] {
        let zeros = self.bytes.iter().take_while(|&&b| b == 0).count();
        &self.bytes[zeros..]
    }
}

/// A bounds-checked cursor over a packet body. Every short read is
/// [`PgpError::Truncated`] naming what was being read.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], what: &'static str) -> Self {
        Reader { buf, what }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], PgpError> {
        self.take_labelled(n, self.what)
    }

    fn take_labelled(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], PgpError> {
        if n > self.buf.len() {
            return Err(PgpError::Truncated(what));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, PgpError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, PgpError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, PgpError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A multiprecision integer: a 16-bit bit count, then `(bits + 7) / 8` bytes, so at
    /// most 8 KiB whatever the input claims.
    pub(crate) fn mpi(&mut self) -> Result<Mpi, PgpError> {
        let bits = self.u16()?;
        let bytes = self.take(usize::from(bits).div_ceil(8))?.to_vec();
        Ok(Mpi { bits, bytes })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn frame_all(input: &[u8]) -> Vec<Result<RawPacket, PgpError>> {
        Packets::new(input).collect()
    }

    #[test]
    fn old_and_new_headers() {
        // Old format, tag 13, one-octet length.
        let p = frame_all(&[0xb4, 3, b'a', b'b', b'c']);
        assert_eq!(
            p,
            vec![Ok(RawPacket {
                tag: 13,
                body: b"abc".to_vec()
            })]
        );
        // Old format, two-octet length, then indeterminate length.
        let mut input = vec![0x99, 0, 2, 1, 2, 0xb7, 9, 9, 9];
        let p = frame_all(&input);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].as_ref().unwrap().body, vec![1, 2]);
        assert_eq!(p[1].as_ref().unwrap().tag, 13);
        assert_eq!(p[1].as_ref().unwrap().body, vec![9, 9, 9]);
        // New format: one-, two- and five-octet lengths.
        for len in [0usize, 191, 192, 8383, 8384, 70000] {
            input.clear();
            write_header(&mut input, 2, len);
            input.resize(input.len() + len, 0xaa);
            let p = frame_all(&input);
            assert_eq!(p.len(), 1, "{len}");
            assert_eq!(p[0].as_ref().unwrap().body.len(), len, "{len}");
        }
    }

    #[test]
    fn partial_lengths_are_joined() {
        // 512-byte partial chunk, then 2-byte partial chunk, then a final 3-byte length.
        let mut input = vec![0xc0 | 11, 0xe9];
        input.extend(std::iter::repeat_n(1u8, 512));
        input.push(0xe1);
        input.extend([2u8, 2]);
        input.push(3);
        input.extend([3u8, 3, 3]);
        let p = frame_all(&input);
        assert_eq!(p.len(), 1);
        let body = &p[0].as_ref().unwrap().body;
        assert_eq!(body.len(), 517);
        assert_eq!(&body[512..], &[2, 2, 3, 3, 3]);
    }

    #[test]
    fn lengths_beyond_the_input_are_truncation_errors() {
        let cases: [&[u8]; 7] = [
            &[0xc2],                                 // no length
            &[0xc2, 200],                            // two-octet length cut
            &[0xc2, 255, 0, 0],                      // five-octet length cut
            &[0xc2, 255, 0xff, 0xff, 0xff, 0xff, 1], // 4 GiB claimed
            &[0xc2, 5, 1, 2],                        // body cut
            &[0xc2, 0xe2, 1, 2, 3, 4],               // partial chunk, then nothing
            &[0x8a, 0xff, 0xff, 0xff, 0xff],         // old format 4-octet length
        ];
        for case in cases {
            let p = frame_all(case);
            assert!(
                matches!(p.last(), Some(Err(PgpError::Truncated(_)))),
                "{case:?}: {p:?}"
            );
        }
        assert!(matches!(
            frame_all(&[0x42, 0]).last(),
            Some(Err(PgpError::Structural(_)))
        ));
    }

    #[test]
    fn mpi_reads_declared_bits() {
        let mut r = Reader::new(&[0x00, 0x09, 0x01, 0xff, 0x00], "mpi");
        let m = r.mpi().unwrap();
        assert_eq!(m.bits, 9);
        assert_eq!(m.bytes, vec![1, 0xff]);
        let mut out = Vec::new();
        m.write(&mut out);
        assert_eq!(out, vec![0, 9, 1, 0xff]);
        assert!(matches!(r.mpi(), Err(PgpError::Truncated("mpi"))));
        let m = Mpi {
            bits: 16,
            bytes: vec![0, 0, 5],
        };
        assert_eq!(m.magnitude(), &[5]);
    }
}
