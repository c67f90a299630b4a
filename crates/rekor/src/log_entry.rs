//! The Rekor v1 `LogEntry` JSON that every entry-returning endpoint sends.
//!
//! A JSON object with exactly one key, the 80-hex entry ID, whose value has the fields in
//! Go struct order (`attestation`, `body`, `integratedTime`, `logID`, `logIndex`,
//! `verification{inclusionProof{checkpoint,hashes,logIndex,rootHash,treeSize},
//! signedEntryTimestamp}`), written like Go's `encoding/json` encoder with HTML escaping off
//! (what go-openapi uses): no spaces, `hashes` always an array. Clients do not depend on the
//! byte layout, but matching it lets us diff our responses against captures of real Rekor.

use std::fmt::Write as _;

use crate::b64;
use crate::entry_id::EntryId;
use crate::set::SetPayload;

/// An entry as returned by `GET /api/v1/log/entries…`, `POST …/retrieve` and the 201 of
/// `POST /api/v1/log/entries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The map key: tree ID of the shard holding the entry + UUID.
    pub entry_id: EntryId,
    /// The canonical body (raw bytes; base64 in the JSON).
    pub body: Vec<u8>,
    /// Unix seconds of integration.
    pub integrated_time: i64,
    /// Hex log ID of the shard holding the entry.
    pub log_id: String,
    /// Global (virtual) index across shards; the SET signs this one.
    pub log_index: i64,
    /// Proof and SET; `None` omits the field.
    pub verification: Option<Verification>,
    /// Stored attestation bytes (`attestation.data`), when attestation storage is on.
    pub attestation: Option<Vec<u8>>,
}

/// The `verification` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Inclusion proof against a fresh checkpoint; `None` omits the field.
    pub inclusion_proof: Option<InclusionProof>,
    /// DER ECDSA signature over [`LogEntry::set_payload`]; empty omits the field.
    pub signed_entry_timestamp: Vec<u8>,
}

/// The `verification.inclusionProof` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The signed checkpoint text; must commit to `root_hash` and `tree_size`.
    pub checkpoint: String,
    /// Audit path, leaf to root.
    pub hashes: Vec<[u8; 32]>,
    /// Index *within the shard* (not global).
    pub log_index: i64,
    /// Root the proof leads to.
    pub root_hash: [u8; 32],
    /// Shard size the proof is for.
    pub tree_size: i64,
}

impl LogEntry {
    /// The SET payload for this entry (body, integrated time, log ID, global index).
    pub fn set_payload(&self) -> SetPayload<'_> {
        SetPayload {
            body: &self.body,
            integrated_time: self.integrated_time,
            log_id: &self.log_id,
            log_index: self.log_index,
        }
    }

    /// `{"<entry ID>":{…}}` without a trailing newline. Rekor's handlers end the HTTP body
    /// with `\n` (Go's `Encoder.Encode`); append it there.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.body.len() * 2 + 1024);
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        // Entry IDs, hex and base64 never need escaping, so they are written straight in.
        let _ = write!(out, "{{\"{}\":{{", self.entry_id);
        if let Some(att) = &self.attestation {
            out.push_str("\"attestation\":{");
            if !att.is_empty() {
                out.push_str("\"data\":");
                write_b64_string(out, att);
            }
            out.push_str("},");
        }
        out.push_str("\"body\":");
        write_b64_string(out, &self.body);
        let _ = write!(out, ",\"integratedTime\":{}", self.integrated_time);
        out.push_str(",\"logID\":");
        write_go_string(out, &self.log_id);
        let _ = write!(out, ",\"logIndex\":{}", self.log_index);
        if let Some(v) = &self.verification {
            out.push_str(",\"verification\":{");
            let mut first = true;
            if let Some(p) = &v.inclusion_proof {
                first = false;
                out.push_str("\"inclusionProof\":{\"checkpoint\":");
                write_go_string(out, &p.checkpoint);
                out.push_str(",\"hashes\":[");
                for (i, h) in p.hashes.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_hex_string(out, h);
                }
                let _ = write!(out, "],\"logIndex\":{},\"rootHash\":", p.log_index);
                write_hex_string(out, &p.root_hash);
                let _ = write!(out, ",\"treeSize\":{}}}", p.tree_size);
            }
            if !v.signed_entry_timestamp.is_empty() {
                if !first {
                    out.push(',');
                }
                out.push_str("\"signedEntryTimestamp\":");
                write_b64_string(out, &v.signed_entry_timestamp);
            }
            out.push('}');
        }
        out.push_str("}}");
    }
}

/// A JSON array of entries, as `POST /api/v1/log/entries/retrieve` returns (`[]` when
/// empty); no trailing newline.
pub fn entries_to_json(entries: &[LogEntry]) -> String {
    let mut out = String::from("[");
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        e.write_json(&mut out);
    }
    out.push(']');
    out
}

/// `bytes` as a JSON string of standard padded base64 (nothing in it needs escaping).
fn write_b64_string(out: &mut String, bytes: &[u8]) {
    out.push('"');
    b64::encode_into(bytes, out);
    out.push('"');
}

/// A hash as a JSON string of lower-case hex, without a temporary allocation.
fn write_hex_string(out: &mut String, hash: &[u8; 32]) {
    let mut buf = [0u8; 64];
    out.push('"');
    if hex::encode_to_slice(hash, &mut buf).is_ok() {
        // Hex digits are ASCII, so this never fails.
        out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
    }
    out.push('"');
}

/// Whether Go's encoder writes `s` unchanged: no quote, backslash or control character, and
/// no U+2028/U+2029 (UTF-8 `E2 80 A8` and `E2 80 A9`).
fn needs_no_escaping(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b >= 0x20
            && b != b'"'
            && b != b'\\'
            && !(b == 0xE2
                && bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)))
    })
}

/// A JSON string as Go's encoder writes it with `SetEscapeHTML(false)`.
fn write_go_string(out: &mut String, s: &str) {
    out.push('"');
    if needs_no_escaping(s) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_string_escaping() {
        let mut s = String::new();
        write_go_string(&mut s, "a\"b\\c\n\u{1}<&>\u{2028}—");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001<&>\\u2028—\"");
        for (raw, written) in [
            ("plain text — with UTF-8 ✓", "\"plain text — with UTF-8 ✓\""),
            ("\u{2029}", "\"\\u2029\""),
            ("\u{2027}\u{202a}", "\"\u{2027}\u{202a}\""),
            ("tab\tend", "\"tab\\tend\""),
            ("", "\"\""),
        ] {
            let mut s = String::new();
            write_go_string(&mut s, raw);
            assert_eq!(s, written, "{raw:?}");
        }
    }

    #[test]
    fn fast_paths_match_the_general_encoder() {
        let hash = [0xabu8; 32];
        let mut fast = String::new();
        write_hex_string(&mut fast, &hash);
        let mut slow = String::new();
        write_go_string(&mut slow, &hex::encode(hash));
        assert_eq!(fast, slow);
        let bytes: Vec<u8> = (0..=255).collect();
        let mut fast = String::new();
        write_b64_string(&mut fast, &bytes);
        let mut slow = String::new();
        write_go_string(&mut slow, &b64::encode(&bytes));
        assert_eq!(fast, slow);
    }
}
