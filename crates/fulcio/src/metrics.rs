//! What the CA counts: certificate requests by issuer and result, and token rejections by
//! reason. Held by [`crate::CaService`] and read through [`crate::CaService::metrics`]; no
//! global registry, the embedding binary exports them.
//!
//! Label values come only from fixed sets or from the configuration, never from a token, so
//! a client cannot grow the number of series: a request whose `iss` matches no configured
//! issuer is counted under [`UNKNOWN_ISSUER`], a meta-issuer match under its pattern.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::config::Config;
use crate::error::Error;
use crate::oidc::{UnverifiedToken, DEFAULT_MAX_TOKEN_LEN};

/// Issuer label of requests whose token names no configured issuer (or cannot be read).
pub const UNKNOWN_ISSUER: &str = "unknown";

/// How a certificate request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CertResult {
    /// A certificate was issued.
    Issued,
    /// Refused for what the client sent (token, proof of possession, body): a 4xx.
    Rejected,
    /// Transiently impossible (CT log, issuer keys, timeout): a 503.
    Unavailable,
    /// A server fault: a 500.
    Error,
}

impl CertResult {
    /// The metric label value.
    pub fn as_str(self) -> &'static str {
        match self {
            CertResult::Issued => "issued",
            CertResult::Rejected => "rejected",
            CertResult::Unavailable => "unavailable",
            CertResult::Error => "error",
        }
    }

    /// The result of a request answered with HTTP `status`.
    pub fn from_status(status: u16) -> Self {
        match status {
            200..=299 => CertResult::Issued,
            503 => CertResult::Unavailable,
            500..=599 => CertResult::Error,
            _ => CertResult::Rejected,
        }
    }
}

/// Every token rejection reason, one per token-related [`Error`] variant.
pub const TOKEN_REJECTION_REASONS: [&str; 18] = [
    "token_too_large",
    "malformed",
    "unknown_issuer",
    "algorithm_not_allowed",
    "key_not_found",
    "key_algorithm_mismatch",
    "bad_key",
    "bad_signature",
    "key_fetch_failed",
    "issuer_mismatch",
    "wrong_audience",
    "expired",
    "not_yet_valid",
    "issued_in_future",
    "email_not_verified",
    "missing_claim",
    "invalid_claim",
    "template",
];

/// The reason label of `e` if it is a token rejection (proof-of-possession and
/// configuration errors are not).
pub fn token_rejection_reason(e: &Error) -> Option<&'static str> {
    Some(match e {
        Error::TokenTooLarge { .. } => "token_too_large",
        Error::Malformed(_) => "malformed",
        Error::UnknownIssuer(_) => "unknown_issuer",
        Error::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
        Error::KeyNotFound { .. } => "key_not_found",
        Error::KeyAlgorithmMismatch { .. } => "key_algorithm_mismatch",
        Error::BadKey { .. } => "bad_key",
        Error::BadSignature => "bad_signature",
        Error::KeyFetch { .. } => "key_fetch_failed",
        Error::IssuerMismatch { .. } => "issuer_mismatch",
        Error::WrongAudience { .. } => "wrong_audience",
        Error::Expired { .. } => "expired",
        Error::NotYetValid { .. } => "not_yet_valid",
        Error::IssuedInFuture { .. } => "issued_in_future",
        Error::EmailNotVerified => "email_not_verified",
        Error::MissingClaim(_) => "missing_claim",
        Error::InvalidClaim { .. } => "invalid_claim",
        Error::Template(_) => "template",
        _ => return None,
    })
}

/// The issuer label of a request carrying `token`: the configured issuer URL, the
/// meta-issuer pattern it matched, or [`UNKNOWN_ISSUER`]. Reads `iss` unverified, which is
/// fine for a label: it only picks among configured names.
pub fn issuer_label(config: &Config, token: &str) -> String {
    let Ok(parsed) = UnverifiedToken::parse(token, DEFAULT_MAX_TOKEN_LEN) else {
        return UNKNOWN_ISSUER.to_owned();
    };
    let Ok(iss) = parsed.issuer() else {
        return UNKNOWN_ISSUER.to_owned();
    };
    if config.oidc_issuers.contains_key(iss) {
        return iss.to_owned();
    }
    config
        .meta_issuers
        .iter()
        .find(|(pattern, _)| pattern.matches(iss))
        .map_or_else(|| UNKNOWN_ISSUER.to_owned(), |(p, _)| p.source().to_owned())
}

/// Counters of one CA.
#[derive(Debug, Default)]
pub struct CaMetrics {
    /// Keyed by (issuer label, result); issuers come from the configuration, so this stays
    /// small. A mutex is fine at certificate-request rates.
    certificates: Mutex<BTreeMap<(String, CertResult), u64>>,
    token_rejections: [AtomicU64; TOKEN_REJECTION_REASONS.len()],
}

impl CaMetrics {
    /// Counts one certificate request for `issuer` (a label from [`issuer_label`]).
    pub fn record_certificate(&self, issuer: String, result: CertResult) {
        // A poisoned lock only means another thread panicked mid-increment; counting on
        // is better than losing the metric.
        let mut map = self
            .certificates
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *map.entry((issuer, result)).or_insert(0) += 1;
    }

    /// Counts a rejected token if `e` is one.
    pub fn record_token_error(&self, e: &Error) {
        let slot = token_rejection_reason(e)
            .and_then(|r| TOKEN_REJECTION_REASONS.iter().position(|x| *x == r));
        if let Some(c) = slot.and_then(|i| self.token_rejections.get(i)) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `(issuer, result, count)` of every pair seen so far.
    pub fn certificates(&self) -> Vec<(String, CertResult, u64)> {
        let map = self
            .certificates
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.iter().map(|((i, r), n)| (i.clone(), *r, *n)).collect()
    }

    /// `(reason, count)` for every reason in [`TOKEN_REJECTION_REASONS`].
    pub fn token_rejections(&self) -> Vec<(&'static str, u64)> {
        TOKEN_REJECTION_REASONS
            .iter()
            .zip(&self.token_rejections)
            .map(|(r, c)| (*r, c.load(Ordering::Relaxed)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_counted_and_listed() {
        let m = CaMetrics::default();
        m.record_token_error(&Error::BadSignature);
        m.record_token_error(&Error::WeakKey("x".into()));
        let all = m.token_rejections();
        assert_eq!(all.len(), TOKEN_REJECTION_REASONS.len());
        assert!(all.contains(&("bad_signature", 1)));
        assert_eq!(all.iter().map(|(_, n)| n).sum::<u64>(), 1);
        m.record_certificate("https://x".into(), CertResult::Issued);
        m.record_certificate("https://x".into(), CertResult::Issued);
        assert_eq!(
            m.certificates(),
            vec![("https://x".to_owned(), CertResult::Issued, 2)]
        );
        assert_eq!(issuer_label(&Config::default(), "not.a.token"), "unknown");
    }
}
