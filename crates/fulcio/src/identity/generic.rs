//! Workload and generic identity types: `chainguard-identity`, `kubernetes`, `spiffe`,
//! `uri`, `username`. Each emits only the issuer and subject extensions.

use serde_json::Value;

use super::claims::{self, Claims};
use super::email::{email_verified, is_email};
use super::url::{uri_san, BaseUrl};
use super::{FulcioExtensions, Principal, SubjectAltName, OTHER_NAME_USERNAME_OID};
use crate::config::{valid_trust_domain, ResolvedIssuer};
use crate::error::{Error, Result};

fn simple(issuer: &ResolvedIssuer, name: &str, san: SubjectAltName, sub: &str) -> Principal {
    Principal::new(
        name.to_owned(),
        san,
        issuer.url.clone(),
        Some(sub),
        FulcioExtensions::default(),
    )
}

/// Chainguard: SAN = issuer URL joined with `sub`; the PoP name is the e-mail when the token
/// has one (it must then be verified, as cosign requires), else `sub`.
pub(crate) fn chainguard(issuer: &ResolvedIssuer, c: &Claims) -> Result<Principal> {
    let sub = claims::sub(c)?;
    let name = match claims::optional(c, "email")? {
        Some(email) if !email.is_empty() => {
            if !email_verified(c) {
                return Err(Error::EmailNotVerified);
            }
            email
        }
        _ => sub,
    };
    let base = BaseUrl::parse(&issuer.url).ok_or_else(|| Error::InvalidClaim {
        claim: "iss".into(),
        reason: "not an absolute URL".into(),
    })?;
    Ok(simple(
        issuer,
        name,
        SubjectAltName::Uri(base.join(&[sub])),
        sub,
    ))
}

/// Kubernetes service accounts: SAN =
/// `https://kubernetes.io/namespaces/{namespace}/serviceaccounts/{name}`. (That URL is an
/// identifier, not a host to reach, so it is fixed by design.)
pub(crate) fn kubernetes(issuer: &ResolvedIssuer, c: &Claims) -> Result<Principal> {
    let sub = claims::sub(c)?;
    let k8s = c
        .get("kubernetes.io")
        .ok_or_else(|| Error::MissingClaim("kubernetes.io".into()))?;
    let text = |v: Option<&Value>, name: &str| -> Result<String> {
        match v.and_then(Value::as_str) {
            Some(s) if !s.is_empty() => Ok(s.to_owned()),
            _ => Err(Error::MissingClaim(name.to_owned())),
        }
    };
    let ns = text(k8s.get("namespace"), "kubernetes.io.namespace")?;
    let sa = text(
        k8s.get("serviceaccount").and_then(|s| s.get("name")),
        "kubernetes.io.serviceaccount.name",
    )?;
    let san = uri_san(&format!(
        "https://kubernetes.io/namespaces/{ns}/serviceaccounts/{sa}"
    ))?;
    Ok(simple(issuer, sub, SubjectAltName::Uri(san), sub))
}

/// SPIFFE: `sub` must be a SPIFFE ID in the configured trust domain; SAN = `sub`.
pub(crate) fn spiffe(issuer: &ResolvedIssuer, c: &Claims) -> Result<Principal> {
    let sub = claims::sub(c)?;
    let td = issuer
        .config
        .spiffe_trust_domain
        .as_deref()
        .unwrap_or_default();
    let bad = |reason: &str| Error::InvalidClaim {
        claim: "sub".into(),
        reason: reason.to_owned(),
    };
    let rest = sub
        .strip_prefix("spiffe://")
        .ok_or_else(|| bad("not a SPIFFE ID"))?;
    let (domain, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if !valid_trust_domain(domain) {
        return Err(bad("invalid SPIFFE trust domain"));
    }
    if domain != td {
        return Err(bad("SPIFFE ID is not in the configured trust domain"));
    }
    if !path.is_empty() {
        for seg in path[1..].split('/') {
            let ok = !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
            if !ok {
                return Err(bad("invalid SPIFFE ID path"));
            }
        }
    }
    Ok(simple(
        issuer,
        sub,
        SubjectAltName::Uri(sub.to_owned()),
        sub,
    ))
}

/// `uri`: `sub` is a URI with the scheme and host of `SubjectDomain`; SAN = `sub`.
pub(crate) fn uri(issuer: &ResolvedIssuer, c: &Claims) -> Result<Principal> {
    let sub = claims::sub(c)?;
    let bad = |reason: &str| Error::InvalidClaim {
        claim: "sub".into(),
        reason: reason.to_owned(),
    };
    if is_email(sub) && !sub.contains("://") {
        return Err(bad("an e-mail address is not a URI subject"));
    }
    let domain = issuer
        .config
        .subject_domain
        .as_deref()
        .and_then(BaseUrl::parse)
        .ok_or_else(|| bad("issuer has no SubjectDomain"))?;
    let parsed = BaseUrl::parse(sub).ok_or_else(|| bad("not an absolute URI"))?;
    if parsed.scheme != domain.scheme {
        return Err(bad("scheme differs from SubjectDomain"));
    }
    if !parsed.host().eq_ignore_ascii_case(domain.host()) {
        return Err(bad("host differs from SubjectDomain"));
    }
    Ok(simple(issuer, sub, SubjectAltName::Uri(uri_san(sub)?), sub))
}

/// `username`: SAN = otherName `sub!SubjectDomain`; the PoP name is the bare `sub`.
pub(crate) fn username(issuer: &ResolvedIssuer, c: &Claims) -> Result<Principal> {
    let sub = claims::sub(c)?;
    let bad = |reason: &str| Error::InvalidClaim {
        claim: "sub".into(),
        reason: reason.to_owned(),
    };
    if sub.contains('!') {
        return Err(bad("must not contain '!'"));
    }
    if is_email(sub) {
        return Err(bad("an e-mail address is not a username"));
    }
    let domain = issuer
        .config
        .subject_domain
        .as_deref()
        .ok_or_else(|| bad("issuer has no SubjectDomain"))?;
    let san = SubjectAltName::OtherName {
        type_id: OTHER_NAME_USERNAME_OID.to_owned(),
        value: format!("{sub}!{domain}"),
    };
    Ok(simple(issuer, sub, san, sub))
}
