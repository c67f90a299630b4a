//! PEM as Go's `encoding/pem` reads and writes it.
//!
//! Rekor stores every key and certificate re-encoded by `pem.Encode` (§1.3 of the spec):
//! `-----BEGIN T-----\n`, base64 in 64-column lines each ending in `\n`, `-----END T-----\n`,
//! no headers. sigstore-python regenerates that text itself and compares, so the layout is
//! part of the canonical body, not cosmetics. Decoding follows `pem.Decode`: the BEGIN line
//! may follow arbitrary text, headers are skipped, spaces/tabs/CR/LF inside the base64 are
//! ignored, and a malformed block is skipped in favour of the next one.

use crate::b64;

/// One decoded PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// The label between `BEGIN ` and `-----`, e.g. `PUBLIC KEY`.
    pub label: String,
    /// The decoded DER (or other binary) contents.
    pub der: Vec<u8>,
}

/// Encodes one block the way Go's `pem.Encode` does (no headers).
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let body = b64::encode(der);
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    let mut rest = body.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// Decodes the first well-formed block in `data`, returning it and the bytes after its END
/// line (Go's `pem.Decode`). `None` when there is no such block.
pub(crate) fn decode(data: &[u8]) -> Option<(Block, &[u8])> {
    let mut rest = data;
    loop {
        // The BEGIN line must start the input or follow a newline.
        if let Some(after) = rest.strip_prefix(b"-----BEGIN ") {
            rest = after;
        } else {
            let at = find(rest, b"\n-----BEGIN ")?;
            rest = &rest[at + b"\n-----BEGIN ".len()..];
        }
        let (type_line, after_type) = get_line(rest);
        let Some(label) = type_line.strip_suffix(b"-----") else {
            continue;
        };
        match decode_block_body(label, after_type) {
            Some(found) => return Some(found),
            None => continue,
        }
    }
}

fn decode_block_body<'a>(label: &[u8], mut rest: &'a [u8]) -> Option<(Block, &'a [u8])> {
    // Optional RFC 1421 headers: `Key: value` lines, then a blank line.
    let mut saw_header = false;
    loop {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = get_line(rest);
        if !line.contains(&b':') {
            break;
        }
        saw_header = true;
        rest = next;
    }
    let (end_index, trailer_index) = if !saw_header && rest.starts_with(b"-----END ") {
        (0, b"-----END ".len())
    } else {
        let at = find(rest, b"\n-----END ")?;
        (at, at + b"\n-----END ".len())
    };
    let trailer = &rest[trailer_index..];
    let trailer_len = label.len() + 5;
    if trailer.len() < trailer_len {
        return None;
    }
    let (end_label_line, rest_of_end_line) = trailer.split_at(trailer_len);
    if !end_label_line.starts_with(label) || !end_label_line.ends_with(b"-----") {
        return None;
    }
    let (tail_of_line, after) = get_line(rest_of_end_line);
    if !tail_of_line.is_empty() {
        return None;
    }
    let b64_text: Vec<u8> = rest[..end_index]
        .iter()
        .copied()
        .filter(|b| *b != b' ' && *b != b'\t')
        .collect();
    let b64_text = String::from_utf8(b64_text).ok()?;
    let der = b64::decode_std(&b64_text).ok()?;
    let label = String::from_utf8(label.to_vec()).ok()?;
    Some((Block { label, der }, after))
}

/// Go's `getLine`: the line up to `\n` with trailing spaces, tabs and CRs removed, and the
/// rest after the `\n`.
fn get_line(data: &[u8]) -> (&[u8], &[u8]) {
    let (line, rest) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b' ' | b'\t' | b'\r') {
        end -= 1;
    }
    (&line[..end], rest)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Go's `bytes.TrimSpace` for ASCII whitespace (Rekor trims keys before decoding them).
pub(crate) fn trim_space(data: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(*b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = data.iter().position(|b| !is_space(b)).unwrap_or(data.len());
    let end = data
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    &data[start..end]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_go_layout() {
        let der: Vec<u8> = (0u8..100).collect();
        let text = encode("PUBLIC KEY", &der);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(lines[1].len(), 64);
        assert!(text.ends_with("-----END PUBLIC KEY-----\n"));
        let (block, rest) = decode(text.as_bytes()).unwrap();
        assert_eq!(block.label, "PUBLIC KEY");
        assert_eq!(block.der, der);
        assert!(rest.is_empty());
    }

    #[test]
    fn tolerates_what_go_tolerates() {
        let text = "junk before\r\n-----BEGIN X-----\r\nProc-Type: 4\r\n\r\nAAEC\r\nAw==\r\n-----END X-----\r\nafter";
        let (block, rest) = decode(text.as_bytes()).unwrap();
        assert_eq!(block.der, vec![0, 1, 2, 3]);
        assert_eq!(rest, b"after");
        // Mismatched END label: no block.
        assert!(decode(b"-----BEGIN A-----\nAAEC\n-----END B-----\n").is_none());
        // A bad block is skipped in favour of a later good one.
        let two =
            "-----BEGIN A-----\n!!!!\n-----END A-----\n-----BEGIN B-----\nAAEC\n-----END B-----\n";
        assert_eq!(decode(two.as_bytes()).unwrap().0.label, "B");
    }
}
