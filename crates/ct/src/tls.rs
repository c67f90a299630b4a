//! The slice of the TLS presentation language (RFC 8446 §3) that RFC 6962 uses: big-endian
//! fixed-width integers and opaque vectors with 1-, 2- or 3-byte length prefixes.

use crate::Error;

/// Appends big-endian integers and length-prefixed vectors to a byte buffer.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    /// `opaque<0..2^16-1>`.
    pub(crate) fn vec16(&mut self, what: &'static str, v: &[u8]) -> Result<(), Error> {
        let len = u16::try_from(v.len()).map_err(|_| Error::TooLong { what, len: v.len() })?;
        self.u16(len);
        self.bytes(v);
        Ok(())
    }

    /// `opaque<0..2^24-1>`.
    pub(crate) fn vec24(&mut self, what: &'static str, v: &[u8]) -> Result<(), Error> {
        if v.len() >= 1 << 24 {
            return Err(Error::TooLong { what, len: v.len() });
        }
        let len = u32::try_from(v.len()).map_err(|_| Error::TooLong { what, len: v.len() })?;
        self.bytes(&len.to_be_bytes()[1..]);
        self.bytes(v);
        Ok(())
    }
}

/// Reads the same encodings back, failing on truncation; callers check [`Reader::finish`].
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(what: &'static str, input: &'a [u8]) -> Self {
        Self { rest: input, what }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.rest.len() < n {
            return Err(self.malformed("truncated"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn malformed(&self, reason: &'static str) -> Error {
        Error::Malformed {
            what: self.what,
            reason,
        }
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, Error> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u24(&mut self) -> Result<usize, Error> {
        let b = self.take(3)?;
        Ok(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    pub(crate) fn array32(&mut self) -> Result<[u8; 32], Error> {
        let mut a = [0u8; 32];
        a.copy_from_slice(self.take(32)?);
        Ok(a)
    }

    pub(crate) fn vec16(&mut self) -> Result<&'a [u8], Error> {
        let n = usize::from(self.u16()?);
        self.take(n)
    }

    pub(crate) fn vec24(&mut self) -> Result<&'a [u8], Error> {
        let n = self.u24()?;
        self.take(n)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Fails if bytes are left over: every structure here has an exact length.
    pub(crate) fn finish(self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.malformed("trailing bytes"))
        }
    }
}
