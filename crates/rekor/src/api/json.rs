//! JSON exactly as Rekor's Go server writes it.
//!
//! go-openapi's JSON producer (Go's `encoding/json` encoder with HTML escaping off) writes no
//! insignificant whitespace, keeps struct field order (our response structs declare fields
//! in Rekor's order), escapes U+2028 and U+2029, and writes other non-ASCII (the
//! checkpoint's em dash) as UTF-8. Handler responses end with `\n` (Go's `json.Encoder`); go-openapi's own errors do
//! not. Matching this byte for byte lets the golden captures be compared literally.

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};
use std::io;

/// The media type of every JSON response.
pub(crate) const CONTENT_TYPE: &str = "application/json";

/// `serde_json`'s compact formatter plus Go's escaping of the two JavaScript line separators.
struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escaped.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Serialises `value` as Go would, with a trailing newline when `newline` is set.
///
/// Serialising our own response types cannot fail (no maps with non-string keys, no
/// non-finite floats); should it ever, the result is a valid JSON error object rather than a
/// panic.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T, newline: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut ser = Serializer::with_formatter(&mut out, GoFormatter);
    if value.serialize(&mut ser).is_err() {
        out.clear();
        out.extend_from_slice(br#"{"code":500,"message":"response encoding failed"}"#);
    }
    if newline {
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        let s = "a<b>&c\u{2028}\u{2014}\"\\\n";
        let got = String::from_utf8(encode(&s, false)).unwrap_or_default();
        assert_eq!(got, "\"a<b>&c\\u2028\u{2014}\\\"\\\\\\n\"");
    }

    #[test]
    fn newline_is_optional() {
        assert_eq!(encode(&[1, 2], true), b"[1,2]\n");
        assert_eq!(encode(&[1, 2], false), b"[1,2]");
    }
}
