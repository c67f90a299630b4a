//! Step 5: the registered claims — `iss`, `aud`, `exp`, `nbf`, `iat` — against the issuer
//! configuration and an injected clock.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::identity::Claims;

/// Clock tolerance, in seconds.
///
/// Fulcio (go-oidc) allows no slack on `exp` and five minutes on `nbf`; we allow a minute on
/// `exp` (a token that expired while the request was in flight is not an attack) and keep five
/// minutes for `nbf`/`iat` in the future (IdP clocks run ahead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leeway {
    /// Seconds after `exp` that the token is still accepted.
    pub expiry_secs: i64,
    /// Seconds that `nbf`/`iat` may lie in the future.
    pub future_secs: i64,
}

impl Default for Leeway {
    fn default() -> Self {
        Self {
            expiry_secs: 60,
            future_secs: 300,
        }
    }
}

fn time_claim(claims: &Claims, name: &str) -> Result<Option<i64>> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or_else(|| Error::InvalidClaim {
                claim: name.to_owned(),
                reason: "not a NumericDate".into(),
            }),
        Some(_) => Err(Error::InvalidClaim {
            claim: name.to_owned(),
            reason: "must be a number".into(),
        }),
    }
}

/// `iss` equals the issuer URL (Google's scheme-less `accounts.google.com` is tolerated for
/// `https://accounts.google.com`, as go-oidc does).
pub fn check_issuer(claims: &Claims, expected: &str) -> Result<()> {
    let actual = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if actual == expected
        || (expected == "https://accounts.google.com" && actual == "accounts.google.com")
    {
        Ok(())
    } else {
        Err(Error::IssuerMismatch {
            expected: expected.to_owned(),
            actual: actual.to_owned(),
        })
    }
}

/// `aud` (a string or an array of strings) contains `client_id`.
pub fn check_audience(claims: &Claims, client_id: &str) -> Result<()> {
    let ok = match claims.get("aud") {
        Some(Value::String(s)) => s == client_id,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(client_id)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::WrongAudience {
            expected: client_id.to_owned(),
        })
    }
}

/// `exp` is required and not past; `nbf` and `iat`, when present, are not in the future.
pub fn check_times(claims: &Claims, now: i64, leeway: Leeway) -> Result<()> {
    let exp = time_claim(claims, "exp")?.ok_or_else(|| Error::MissingClaim("exp".into()))?;
    if now > exp.saturating_add(leeway.expiry_secs) {
        return Err(Error::Expired { exp, now });
    }
    if let Some(nbf) = time_claim(claims, "nbf")? {
        if nbf > now.saturating_add(leeway.future_secs) {
            return Err(Error::NotYetValid { nbf, now });
        }
    }
    if let Some(iat) = time_claim(claims, "iat")? {
        if iat > now.saturating_add(leeway.future_secs) {
            return Err(Error::IssuedInFuture { iat, now });
        }
    }
    Ok(())
}
