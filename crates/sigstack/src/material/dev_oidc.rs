//! The development OIDC issuer: one ECDSA P-256 key that signs ES256 identity tokens for any
//! e-mail address, its JWKS, and its discovery document.
//!
//! It exists so that a fresh machine can go from nothing to `cosign sign-blob` and
//! `verify-blob` with no identity provider of its own. It is therefore exactly as strong as
//! the file permissions on its key: anyone who can read `dev-oidc-key.pem` can get a
//! certificate for any address from a CA that trusts this issuer. `serve` enables it only
//! with `--dev-oidc`, and says so loudly.
//!
//! The CA never fetches these keys over HTTP: `serve` registers the issuer with the JWKS file
//! as its static key source, so tokens verify with no network at all (the discovery document
//! is served for tools that want to look, nothing more).

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::digest::{digest, SHA256};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

use super::{Made, Steps};
use crate::config::{in_data_dir, DevOidcSection};
use crate::keys;

/// How long a development token is valid (sign within this window).
pub const TOKEN_LIFETIME_SECS: u64 = 600;

/// The audience the CA expects (Fulcio's default client ID).
pub const AUDIENCE: &str = "sigstore";

/// The e-mail address `dev-token` uses when given none.
pub const DEFAULT_EMAIL: &str = "dev@sigstack.test";

/// The issuer's signing key.
pub struct DevIssuer {
    issuer_url: String,
    kid: String,
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl DevIssuer {
    /// Parses the PKCS#8 DER key of the issuer at `issuer_url`.
    fn from_pkcs8(issuer_url: &str, der: &[u8]) -> Result<Self> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
            .map_err(|e| anyhow::anyhow!("not an ECDSA P-256 PKCS#8 key: {e}"))?;
        // A stable key ID from the public key, so a re-derived JWKS matches old tokens.
        let kid = hex::encode(&digest(&SHA256, pair.public_key().as_ref()).as_ref()[..8]);
        Ok(Self {
            issuer_url: issuer_url.to_owned(),
            kid,
            pair,
            rng,
        })
    }

    /// The issuer URL (`iss`).
    pub fn issuer_url(&self) -> &str {
        &self.issuer_url
    }

    /// The JWKS publishing the one key.
    pub fn jwks(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        // Uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
        let (x, y) = point[1..].split_at(32);
        json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        }]})
    }

    /// The OpenID discovery document, with the JWKS at `<issuer>/jwks`.
    pub fn discovery(&self) -> Value {
        json!({
            "issuer": self.issuer_url,
            "jwks_uri": format!("{}/jwks", self.issuer_url),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "email", "email_verified"],
        })
    }

    /// An ES256 identity token for `email` (verified) with subject `subject`, valid for
    /// [`TOKEN_LIFETIME_SECS`] from `now_unix`.
    pub fn token(&self, email: &str, subject: &str, now_unix: u64) -> Result<String> {
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        let claims = json!({
            "iss": self.issuer_url,
            "aud": AUDIENCE,
            "sub": subject,
            "email": email,
            "email_verified": true,
            "iat": now_unix,
            "nbf": now_unix,
            "exp": now_unix + TOKEN_LIFETIME_SECS,
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&self.rng, input.as_bytes())
            .map_err(|_| anyhow::anyhow!("signing the token failed"))?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())))
    }
}

/// For `init --dev-oidc`: creates the key and its JWKS file unless they exist; re-derives a
/// lost JWKS; refuses one that does not publish the key.
pub fn ensure(dir: &Path, section: &DevOidcSection) -> Result<Steps> {
    let key_path = in_data_dir(dir, &section.key);
    let mut made = Vec::new();
    let issuer = if key_path.exists() {
        made.push((key_path.clone(), Made::Kept, "development OIDC key"));
        load(dir, section)?
    } else {
        let der =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| anyhow::anyhow!("generating the development OIDC key failed"))?;
        keys::create_new(
            &key_path,
            &keys::pem_encode("PRIVATE KEY", der.as_ref()),
            0o600,
        )?;
        made.push((
            key_path.clone(),
            Made::Created,
            "development OIDC key, mode 0600: NOT FOR PRODUCTION",
        ));
        DevIssuer::from_pkcs8(&section.issuer_url, der.as_ref())?
    };
    let jwks_path = in_data_dir(dir, &section.jwks);
    let jwks = issuer.jwks();
    match fs::read(&jwks_path) {
        Ok(existing) => {
            check_jwks(&jwks_path, &existing, &jwks)?;
            made.push((jwks_path, Made::Kept, "development OIDC JWKS"));
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            keys::create_new(&jwks_path, &format!("{jwks:#}\n"), 0o644)?;
            made.push((
                jwks_path,
                Made::Created,
                "development OIDC JWKS, read by the CA",
            ));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", jwks_path.display())),
    }
    Ok(made)
}

/// The issuer `section` describes, its JWKS file checked against the key (a stale file would
/// make the CA refuse every development token with a confusing signature error).
pub fn load(dir: &Path, section: &DevOidcSection) -> Result<DevIssuer> {
    let path = in_data_dir(dir, &section.key);
    let text = fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read the development OIDC key {} (key `dev_oidc.key`; run `sigstack init \
             --dev-oidc --data-dir {}`)",
            path.display(),
            dir.display()
        )
    })?;
    let der = keys::pem_decode(&text, "PRIVATE KEY").with_context(|| {
        format!(
            "{} (key `dev_oidc.key`): not a PKCS#8 PEM key",
            path.display()
        )
    })?;
    let issuer = DevIssuer::from_pkcs8(&section.issuer_url, &der)
        .with_context(|| format!("{} (key `dev_oidc.key`)", path.display()))?;
    let jwks_path = in_data_dir(dir, &section.jwks);
    if let Ok(existing) = fs::read(&jwks_path) {
        check_jwks(&jwks_path, &existing, &issuer.jwks())?;
    }
    Ok(issuer)
}

fn check_jwks(path: &Path, existing: &[u8], wanted: &Value) -> Result<()> {
    let parsed: Value = serde_json::from_slice(existing)
        .with_context(|| format!("{} (key `dev_oidc.jwks`) is not JSON", path.display()))?;
    if &parsed != wanted {
        bail!(
            "{} (key `dev_oidc.jwks`) does not publish the development OIDC key: delete it and \
             run `sigstack init --dev-oidc` to write it again",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_the_claims_and_a_verifiable_signature() {
        let der =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        let issuer = DevIssuer::from_pkcs8("http://127.0.0.1:3000/dev-oidc", der.as_ref()).unwrap();
        let token = issuer.token("a@b.test", "a@b.test", 1_000).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "http://127.0.0.1:3000/dev-oidc");
        assert_eq!(claims["aud"], "sigstore");
        assert_eq!(claims["email"], "a@b.test");
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["exp"], 1_600);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["kid"], issuer.jwks()["keys"][0]["kid"]);

        let jwk = &issuer.jwks()["keys"][0];
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
        let key = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            point,
        );
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
    }

    #[test]
    fn ensure_keeps_key_and_refuses_a_foreign_jwks() {
        let dir = std::env::temp_dir().join(format!(
            "sigstack-devoidc-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        fs::create_dir_all(&dir).unwrap();
        let section = DevOidcSection::new("http://127.0.0.1:3000");
        assert_eq!(section.issuer_url, "http://127.0.0.1:3000/dev-oidc");
        ensure(&dir, &section).unwrap();
        let key = fs::read(dir.join(&section.key)).unwrap();
        let made = ensure(&dir, &section).unwrap();
        assert!(made.iter().all(|(_, m, _)| *m == Made::Kept));
        assert_eq!(fs::read(dir.join(&section.key)).unwrap(), key);
        fs::write(dir.join(&section.jwks), "{\"keys\": []}").unwrap();
        assert!(load(&dir, &section).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
