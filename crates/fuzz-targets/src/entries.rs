//! Rekor entry kinds through [`sigstack_rekor::canonicalize`], the function the
//! `POST /api/v1/log/entries` handler (insert) and `entries/retrieve` (lookup) call.
//!
//! Each kind's target takes the `spec` JSON and wraps it as `{"apiVersion","kind","spec"}`,
//! so a campaign stays on its kind instead of wandering into the others.

use sigstack_rekor::{canonicalize, parse_stored, CanonicalEntry, Options};

/// `hashedrekord` 0.0.1 specs.
pub fn hashedrekord(spec: &[u8]) {
    with_spec("hashedrekord", &["0.0.1"], spec);
}

/// `rekord` 0.0.1 specs (x509, ssh, pgp and minisign signatures).
pub fn rekord(spec: &[u8]) {
    with_spec("rekord", &["0.0.1"], spec);
}

/// `intoto` specs, each tried as 0.0.1 and as 0.0.2.
pub fn intoto(spec: &[u8]) {
    with_spec("intoto", &["0.0.1", "0.0.2"], spec);
}

/// `dsse` 0.0.1 specs.
pub fn dsse(spec: &[u8]) {
    with_spec("dsse", &["0.0.1"], spec);
}

fn with_spec(kind: &str, versions: &[&str], spec: &[u8]) {
    for version in versions {
        let mut body =
            format!(r#"{{"apiVersion":"{version}","kind":"{kind}","spec":"#).into_bytes();
        body.extend_from_slice(spec);
        body.push(b'}');
        check_proposed(&body);
    }
}

/// Runs a proposed entry (a whole request body) through insert and lookup and checks:
/// an entry that can be inserted is found again by the same proposed entry (lookup gives the
/// same body), and every accepted body is canonical (read back as stored, it re-parses to the
/// same bytes and the same search keys). Returns the inserted entry, if any.
pub fn check_proposed(body: &[u8]) -> Option<CanonicalEntry> {
    let inserted = canonicalize(body, &Options::default()).ok();
    let looked_up = canonicalize(body, &Options::lookup()).ok();
    if let Some(entry) = &inserted {
        let found = looked_up
            .as_ref()
            .expect("an insertable entry must also canonicalize for lookup");
        assert_eq!(
            found.body(),
            entry.body(),
            "lookup must find the body insert stores"
        );
    }
    for entry in inserted.iter().chain(looked_up.iter()) {
        let stored = parse_stored(entry.body()).expect("a canonical body must re-parse as stored");
        assert_eq!(stored.body(), entry.body());
        assert_eq!(stored.kind(), entry.kind());
        assert_eq!(stored.api_version(), entry.api_version());
    }
    inserted
}
