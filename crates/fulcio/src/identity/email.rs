//! `email` issuers (Google, Dex, Keycloak, …): the SAN is the verified `email` claim.

use serde_json::Value;

use super::claims::{self, Claims};
use super::{FulcioExtensions, Principal, SubjectAltName};
use crate::config::ResolvedIssuer;
use crate::error::{Error, Result};

/// `email_verified` is true: a JSON `true`, or the strings `"true"`/`"True"` some providers
/// send.
pub(crate) fn email_verified(claims: &Claims) -> bool {
    match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "True",
        _ => false,
    }
}

/// A syntactic e-mail check in the spirit of Go's `mail.ParseAddress` on a bare address:
/// one `@`, non-empty local part and domain, no spaces, brackets or control characters.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && s.chars().all(|c| {
            !c.is_control()
                && !c.is_whitespace()
                && !matches!(
                    c,
                    '<' | '>' | '(' | ')' | ',' | ';' | '"' | '[' | ']' | '\\'
                )
        })
}

pub(crate) fn principal(issuer: &ResolvedIssuer, claims: &Claims) -> Result<Principal> {
    let cfg = issuer.config.as_ref();
    let email = claims::required(claims, "email")?;
    if !is_email(email) {
        return Err(Error::InvalidClaim {
            claim: "email".into(),
            reason: "not an e-mail address".into(),
        });
    }
    if !cfg.skip_email_verification && !email_verified(claims) {
        return Err(Error::EmailNotVerified);
    }
    let issuer_value = match &cfg.issuer_claim {
        None => issuer.url.clone(),
        Some(path) => match path.lookup(claims) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => {
                return Err(Error::InvalidClaim {
                    claim: path.source().to_owned(),
                    reason: "must be a non-empty string".into(),
                })
            }
            None => return Err(Error::MissingClaim(path.source().to_owned())),
        },
    };
    let sub = claims::optional(claims, "sub")?;
    Ok(Principal::new(
        email.to_owned(),
        SubjectAltName::Email(email.to_owned()),
        issuer_value,
        sub,
        FulcioExtensions::default(),
    ))
}
