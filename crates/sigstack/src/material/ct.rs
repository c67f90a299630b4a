//! The CT log's key: PKCS#8 ECDSA P-256 (what every client verifies SCTs with) beside its
//! public half, the file clients pin as `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE` and whose SHA-256
//! is the log ID in every SCT.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use sigstack_ct::{EcdsaP256LogSigner, LogPublicKey};

use super::{Made, Steps};
use crate::config::{in_data_dir, CtSection};
use crate::keys;

/// For `init`: creates the key pair `section` names unless it exists; re-derives a lost
/// public file; refuses a public file that is not the key's.
pub fn ensure(dir: &Path, section: &CtSection) -> Result<Steps> {
    let key_path = in_data_dir(dir, &section.key);
    let public_path = in_data_dir(dir, &section.public_key);
    let mut made = Vec::new();
    let signer = if key_path.exists() {
        made.push((key_path.clone(), Made::Kept, "CT log key"));
        load_signer(dir, section)?
    } else {
        let (signer, pkcs8) = EcdsaP256LogSigner::generate()
            .map_err(|e| anyhow::anyhow!("generating the CT log key: {e}"))?;
        keys::create_new(&key_path, &keys::pem_encode("PRIVATE KEY", &pkcs8), 0o600)?;
        made.push((
            key_path.clone(),
            Made::Created,
            "ECDSA P-256 CT log key, mode 0600",
        ));
        signer
    };
    let public = public_key(&signer)?;
    let pem = keys::pem_encode("PUBLIC KEY", public.spki_der());
    match fs::read_to_string(&public_path) {
        Ok(existing) => {
            if keys::pem_decode(&existing, "PUBLIC KEY").ok().as_deref() != Some(public.spki_der())
            {
                bail!(
                    "{} does not match the CT log key {}: move the wrong one away and run init again",
                    public_path.display(),
                    key_path.display()
                );
            }
            made.push((public_path, Made::Kept, "CT log public key"));
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            keys::create_new(&public_path, &pem, 0o644)?;
            made.push((
                public_path,
                Made::Created,
                "CT log public key: give this to clients",
            ));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", public_path.display())),
    }
    Ok(made)
}

/// The CT log's signer.
pub fn load_signer(dir: &Path, section: &CtSection) -> Result<EcdsaP256LogSigner> {
    let path = in_data_dir(dir, &section.key);
    let text = fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read the CT log key {} (key `ct.key`)",
            path.display()
        )
    })?;
    let der = keys::pem_decode(&text, "PRIVATE KEY")
        .with_context(|| format!("{} (key `ct.key`): not a PKCS#8 PEM key", path.display()))?;
    EcdsaP256LogSigner::from_pkcs8(&der).map_err(|e| {
        anyhow::anyhow!(
            "{} (key `ct.key`): not an ECDSA P-256 PKCS#8 key: {e}",
            path.display()
        )
    })
}

/// The public key clients pin, read from its file (so trust material carries exactly what
/// the file says) and checked against the private key when that is readable.
pub fn load_public(dir: &Path, section: &CtSection) -> Result<LogPublicKey> {
    let path = in_data_dir(dir, &section.public_key);
    let text = fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read the CT log public key {} (key `ct.public_key`)",
            path.display()
        )
    })?;
    let der = keys::pem_decode(&text, "PUBLIC KEY").with_context(|| {
        format!(
            "{} (key `ct.public_key`): not a PEM public key",
            path.display()
        )
    })?;
    let public = LogPublicKey::from_spki_der(&der)
        .map_err(|e| anyhow::anyhow!("{} (key `ct.public_key`): {e}", path.display()))?;
    if let Ok(signer) = load_signer(dir, section) {
        if public_key(&signer)?.spki_der() != public.spki_der() {
            bail!(
                "{} is not the public half of the CT log key {}",
                path.display(),
                in_data_dir(dir, &section.key).display()
            );
        }
    }
    Ok(public)
}

/// The public key of `signer`.
pub fn public_key(signer: &EcdsaP256LogSigner) -> Result<LogPublicKey> {
    signer
        .public_key()
        .map_err(|e| anyhow::anyhow!("the CT log key's public key: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn created_kept_and_mismatch_refused() {
        let dir = std::env::temp_dir().join(format!(
            "sigstack-ct-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        fs::create_dir_all(&dir).unwrap();
        let section = CtSection::new(5);
        let made = ensure(&dir, &section).unwrap();
        assert!(made.iter().all(|(_, m, _)| *m == Made::Created));
        let key = fs::read(dir.join(&section.key)).unwrap();
        let made = ensure(&dir, &section).unwrap();
        assert!(made.iter().all(|(_, m, _)| *m == Made::Kept));
        assert_eq!(fs::read(dir.join(&section.key)).unwrap(), key);
        let public = load_public(&dir, &section).unwrap();
        assert_eq!(
            public.log_id(),
            public_key(&load_signer(&dir, &section).unwrap())
                .unwrap()
                .log_id()
        );

        let (other, _) = EcdsaP256LogSigner::generate().unwrap();
        let pem = keys::pem_encode("PUBLIC KEY", public_key(&other).unwrap().spki_der());
        fs::write(dir.join(&section.public_key), pem).unwrap();
        assert!(ensure(&dir, &section).is_err());
        assert!(load_public(&dir, &section).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
