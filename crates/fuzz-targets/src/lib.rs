//! The bodies of sigstack's fuzz targets, as plain functions of `&[u8]`.
//!
//! Every parser that takes bytes from the network has one here. libFuzzer drives them from the
//! cargo-fuzz crate in `fuzz/` (each `fuzz/fuzz_targets/<name>.rs` calls one function), and
//! `tests/replay.rs` runs every function over its committed corpus (`fuzz/corpus/<name>/`) on
//! stable Rust as part of `cargo test`, so a crash the campaigns once found stays fixed.
//!
//! A target fails by panicking: the parsers must never panic on any input, and the targets
//! add `assert!`s for properties that must hold whenever a parser accepts something (an
//! accepted entry can be found again, a canonical form re-parses to itself, ...).
//! `docs/fuzzing.md` lists what each target feeds and what it checks.
//!
//! Inputs made of several byte strings (a key, a signature, an artifact) are split on
//! [`SEPARATOR`], which keeps corpus files readable and lets libFuzzer mutate each part as raw
//! bytes; the targets do the base64 and JSON wrapping the HTTP clients would do.

pub mod ct;
pub mod entries;
pub mod keys;
pub mod merkle;
pub mod pop;
pub mod token;

/// What separates the parts of a multi-part input.
pub const SEPARATOR: &[u8] = b"\n#~~#\n";

/// At most this many parts are looked at; the rest is ignored (bounded work per input).
const MAX_PARTS: usize = 12;

/// A fuzz target body.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("proof_verify", merkle::proof_verify),
    ("note_parse", merkle::note_parse),
    ("entry_hashedrekord", entries::hashedrekord),
    ("entry_rekord", entries::rekord),
    ("entry_intoto", entries::intoto),
    ("entry_dsse", entries::dsse),
    ("pgp", keys::pgp),
    ("ssh", keys::ssh),
    ("minisign", keys::minisign),
    ("pkix", keys::pkix),
    ("oidc_token", token::oidc_token),
    ("pop_csr", pop::pop_csr),
    ("ct_add_chain", ct::ct_add_chain),
];

/// `data` split on [`SEPARATOR`] (at most [`MAX_PARTS`] parts).
pub fn parts(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() + 1 < MAX_PARTS {
        match find(rest, SEPARATOR) {
            Some(at) => {
                out.push(&rest[..at]);
                rest = &rest[at + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

/// Joins parts with [`SEPARATOR`] (the inverse of [`parts`], for writing seeds).
pub fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(SEPARATOR)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Standard base64, as the JSON APIs carry bytes.
pub(crate) fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A PEM block with `label` around `der` (64-column lines).
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let body = b64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Whether `data` looks like text a client would send as is (PEM, armor, a key line).
pub(crate) fn is_text(data: &[u8]) -> bool {
    std::str::from_utf8(data).is_ok_and(|s| s.starts_with(|c: char| c.is_ascii_graphic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_join_are_inverse() {
        let input: [&[u8]; 3] = [b"key", b"", b"artifact\n"];
        assert_eq!(parts(&join(&input)), input);
        assert_eq!(parts(b"no separator"), [b"no separator".as_slice()]);
    }

    #[test]
    fn parts_are_bounded() {
        let many = SEPARATOR.repeat(100);
        assert_eq!(parts(&many).len(), MAX_PARTS);
    }
}
