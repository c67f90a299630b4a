//! OpenPGP ASCII armor (RFC 4880 §6): decoding as Go's `openpgp/armor` reads it, and
//! encoding byte for byte as it writes it.
//!
//! Reading follows Go where Rekor's outcome depends on it: text before the `-----BEGIN `
//! line is skipped, `Key: Value` header lines are skipped up to the first empty line, body
//! lines longer than 96 characters are refused, and the `=XXXX` checksum line is optional.
//! We are stricter than Go in two places where it silently accepts damaged input: a block
//! must end with its `-----END ` line, and a present checksum must match (Go only compares
//! it when a reader happens to read to the end of the body, which a signature check never
//! does).
//!
//! Writing matters for leaf hashes: Rekor stores PGP keys, and signatures that arrived in
//! binary, re-armored by Go, so the canonical body depends on its exact layout:
//! `-----BEGIN T-----\n\n`, base64 in 64-column lines joined by `\n`, `\n=` and the
//! checksum, `\n-----END T-----`, and no newline at the end.

use super::error::PgpError;
use crate::b64;

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const DASHES: &[u8] = b"-----";
/// Go's line reader refuses longer body lines.
const MAX_BODY_LINE: usize = 96;
/// Go's armor writer wraps base64 at this width.
const LINE_WIDTH: usize = 64;

/// The armor type of a detached signature.
pub(crate) const SIGNATURE: &str = "PGP SIGNATURE";
/// The armor type of a public key (ring).
pub(crate) const PUBLIC_KEY: &str = "PGP PUBLIC KEY BLOCK";
/// The armor type of a private key (ring).
pub(crate) const PRIVATE_KEY: &str = "PGP PRIVATE KEY BLOCK";

/// One decoded armor block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// The type named by the BEGIN line, e.g. `PGP SIGNATURE`.
    pub(crate) kind: String,
    /// The decoded binary body.
    pub(crate) body: Vec<u8>,
    /// Offset just past the END line in the input, where a following block may start.
    pub(crate) end: usize,
}

/// CRC-24 of RFC 4880 §6.1.
pub(crate) fn crc24(data: &[u8]) -> u32 {
    const INIT: u32 = 0x00b7_04ce;
    const POLY: u32 = 0x0186_4cfb;
    let mut crc = INIT;
    for &b in data {
        crc ^= u32::from(b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= POLY;
            }
        }
    }
    crc & 0x00ff_ffff
}

/// Go's `armor.Encode` of `data` as one block of type `kind`, closed.
pub(crate) fn encode(kind: &str, data: &[u8]) -> Vec<u8> {
    let text = b64::encode(data);
    let mut out = Vec::with_capacity(text.len() + text.len() / LINE_WIDTH + 2 * kind.len() + 48);
    out.extend_from_slice(BEGIN);
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"-----\n\n");
    for (i, line) in text.as_bytes().chunks(LINE_WIDTH).enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(line);
    }
    let crc = crc24(data);
    let crc_bytes = [(crc >> 16) as u8, (crc >> 8) as u8, crc as u8];
    out.extend_from_slice(b"\n=");
    out.extend_from_slice(b64::encode(&crc_bytes).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(END);
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(DASHES);
    out
}

/// Lines of `input` from `from` on: `(content without the line end, offset of the next line)`.
struct Lines<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (&'a [u8], usize);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.input.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], self.pos + i + 1),
            None => (rest, self.input.len()),
        };
        self.pos = next;
        Some((line.strip_suffix(b"\r").unwrap_or(line), next))
    }
}

/// Decodes the first armor block at or after `from` in `input`. `Ok(None)` when there is no
/// BEGIN line at all (the input is then binary, as Go decides).
///
/// # Errors
/// [`PgpError::Armor`] for a block that starts but cannot be decoded (no empty line after
/// the header, bad base64, an over-long line, no END line, a checksum mismatch).
pub(crate) fn decode(input: &[u8], from: usize) -> Result<Option<Block>, PgpError> {
    let mut lines = Lines { input, pos: from };
    let mut malformed_header = false;
    'next_block: loop {
        // Skip text up to a BEGIN line.
        let kind = loop {
            let Some((line, _)) = lines.next() else {
                if malformed_header {
                    return Err(PgpError::Armor(
                        "an armor header line is not of the form 'Key: Value'".into(),
                    ));
                }
                return Ok(None);
            };
            let line = line.trim_ascii();
            if line.len() > BEGIN.len() + DASHES.len() && line.starts_with(BEGIN) {
                let kind = &line[BEGIN.len()..line.len() - DASHES.len()];
                break String::from_utf8_lossy(kind).into_owned();
            }
        };
        // Header lines, up to an empty line.
        loop {
            let Some((line, _)) = lines.next() else {
                return Err(PgpError::Armor(format!(
                    "the {kind} block ends before the empty line that closes its header"
                )));
            };
            let line = line.trim_ascii();
            if line.is_empty() {
                break;
            }
            if !line.windows(2).any(|w| w == b": ") {
                // Go gives up on this block and looks for another one.
                malformed_header = true;
                continue 'next_block;
            }
        }
        // Body lines, the optional checksum line, the END line.
        let mut text = Vec::new();
        let mut checksum = None;
        let end = loop {
            let Some((line, next)) = lines.next() else {
                return Err(PgpError::Armor(format!(
                    "the {kind} block has no END line (truncated?)"
                )));
            };
            if line.starts_with(END) {
                break next;
            }
            if line.len() == 5 && line[0] == b'=' {
                let crc = b64::decode_std(&String::from_utf8_lossy(&line[1..]))
                    .ok()
                    .filter(|c| c.len() == 3)
                    .ok_or_else(|| PgpError::Armor("the checksum line is not base64".into()))?;
                checksum =
                    Some(u32::from(crc[0]) << 16 | u32::from(crc[1]) << 8 | u32::from(crc[2]));
                match lines.next() {
                    Some((line, next)) if line.starts_with(END) => break next,
                    _ => {
                        return Err(PgpError::Armor(
                            "the checksum line is not followed by the END line".into(),
                        ))
                    }
                }
            }
            if line.len() > MAX_BODY_LINE {
                return Err(PgpError::Armor(format!(
                    "a body line is {} characters long (at most {MAX_BODY_LINE})",
                    line.len()
                )));
            }
            text.extend_from_slice(line);
        };
        let text = std::str::from_utf8(&text)
            .map_err(|_| PgpError::Armor("the body is not base64".into()))?;
        let body = b64::decode_std(text)
            .map_err(|e| PgpError::Armor(format!("the body is not base64: {e}")))?;
        if let Some(expected) = checksum {
            let actual = crc24(&body);
            if actual != expected {
                return Err(PgpError::Armor(format!(
                    "checksum mismatch (CRC-24 {actual:06x}, armor says {expected:06x})"
                )));
            }
        }
        return Ok(Some(Block { kind, body, end }));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn crc24_of_rfc_examples() {
        assert_eq!(crc24(b""), 0xb704ce);
        // "=twTO" is the checksum of an empty body in every Go-armored empty block.
        assert_eq!(b64::encode(&[0xb7, 0x04, 0xce]), "twTO");
    }

    #[test]
    fn encode_layout_matches_go() {
        let data: Vec<u8> = (0..=255u8).collect();
        let text = String::from_utf8(encode(SIGNATURE, &data)).unwrap();
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines[0], "-----BEGIN PGP SIGNATURE-----");
        assert_eq!(lines[1], "");
        assert!(lines[2..lines.len() - 2].iter().all(|l| l.len() <= 64));
        assert!(lines[lines.len() - 2].starts_with('=') && lines[lines.len() - 2].len() == 5);
        assert_eq!(lines[lines.len() - 1], "-----END PGP SIGNATURE-----");
        assert!(!text.ends_with('\n'));
        // 48 bytes = exactly one 64-column line: no empty line before the checksum.
        let one_line = String::from_utf8(encode(PUBLIC_KEY, &[7u8; 48])).unwrap();
        assert_eq!(one_line.lines().count(), 5);
        let decoded = decode(one_line.as_bytes(), 0).unwrap().unwrap();
        assert_eq!(decoded.body, vec![7u8; 48]);
        assert_eq!(decoded.kind, PUBLIC_KEY);
    }

    #[test]
    fn decode_round_trips_and_skips_garbage_and_headers() {
        let data = b"some binary \x00\x01\x02 data".to_vec();
        let mut text = b"garbage line\r\nmore\n".to_vec();
        let block = String::from_utf8(encode(SIGNATURE, &data))
            .unwrap()
            .replacen("\n\n", "\nVersion: test\nComment: two: colons\n\n", 1)
            .replace('\n', "\r\n");
        text.extend_from_slice(block.as_bytes());
        text.extend_from_slice(b"\r\ntrailing");
        let got = decode(&text, 0).unwrap().unwrap();
        assert_eq!(got.body, data);
        assert_eq!(got.kind, SIGNATURE);
        assert_eq!(&text[got.end..], b"trailing");
        assert_eq!(decode(&text, got.end).unwrap(), None);
    }

    #[test]
    fn checksum_is_optional_but_must_match() {
        let good = String::from_utf8(encode(SIGNATURE, b"hello")).unwrap();
        let lines: Vec<&str> = good.split('\n').collect();
        let without: String = lines
            .iter()
            .filter(|l| !l.starts_with('='))
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            decode(without.as_bytes(), 0).unwrap().unwrap().body,
            b"hello"
        );
        let bad = good.replace(lines[lines.len() - 2], "=AAAA");
        let err = decode(bad.as_bytes(), 0).unwrap_err();
        assert!(err.to_string().contains("checksum mismatch"), "{err}");
    }

    #[test]
    fn damaged_blocks_are_refused() {
        let good = String::from_utf8(encode(SIGNATURE, &[1u8; 100])).unwrap();
        let cases = [
            good.replace("-----END PGP SIGNATURE-----", ""),
            good.replacen("\n\n", "\n", 1),
            good.replacen("\n\n", "\nnot a header\n", 1),
            good.replacen("AQEB", "A!EB", 1),
            good.replacen("\n=", "x\n=", 1),
            good.replacen("\n\n", &format!("\n\n{}\n", "A".repeat(100)), 1),
        ];
        for case in cases {
            assert!(
                matches!(decode(case.as_bytes(), 0), Err(PgpError::Armor(_))),
                "{case}"
            );
        }
        assert_eq!(decode(b"no armor here", 0).unwrap(), None);
        assert_eq!(decode(b"", 0).unwrap(), None);
    }
}
