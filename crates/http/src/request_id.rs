//! Request IDs: the client's `X-Request-Id` when it is sane, else a fresh process-unique one.
//! The server puts it in the tracing span of the request and echoes it in the response.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderName};

/// The request ID header, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request ID we keep.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The ID of the request with `headers`: the client's if sane, else [`fresh`].
pub fn of(headers: &HeaderMap) -> String {
    headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map_or_else(fresh, str::to_owned)
}

/// A client's request ID is kept only if it is short and made of token characters, so it
/// cannot forge log fields or response headers.
pub fn is_sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A process-unique ID: 64 random bits drawn once at start-up, then a counter, in hex. IDs
/// only have to tell requests apart (they are not secrets), so the standard library's
/// per-process random hash keys are random enough, and no request pays a system-RNG call.
pub fn fresh() -> String {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| RandomState::new().hash_one(std::process::id()));
    format!("{prefix:016x}{:016x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_fresh_ones_differ() {
        assert!(is_sane("abc-123_x.y:z"));
        assert!(!is_sane(""));
        assert!(!is_sane("a b"));
        assert!(!is_sane("a\"b"));
        assert!(!is_sane(&"a".repeat(129)));
        let id = fresh();
        assert_eq!(id.len(), 32);
        assert!(is_sane(&id));
        assert_ne!(fresh(), id);
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, "client-1".parse().expect("header"));
        assert_eq!(of(&headers), "client-1");
        headers.insert(REQUEST_ID, "bad id".parse().expect("header"));
        assert_ne!(of(&headers), "bad id");
    }
}
