//! The log's signing key on disk: PKCS#8 `PRIVATE KEY` PEM (mode 0600) beside its
//! `PUBLIC KEY` PEM, which is what operators hand to clients (`SIGSTORE_REKOR_PUBLIC_KEY`).

use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sigstack_merkle::signature::{EcdsaP256Signer, EcdsaP256Verifier, Signer as _, Verifier as _};

/// The file name of the private log key inside the data directory.
pub const PRIVATE_KEY_FILE: &str = "log-key.pem";
/// The file name of the public log key inside the data directory.
pub const PUBLIC_KEY_FILE: &str = "log-public-key.pem";

const PRIVATE_LABEL: &str = "PRIVATE KEY";
const PUBLIC_LABEL: &str = "PUBLIC KEY";

/// Encodes `der` as one PEM block with 64-column lines and a final newline (the canonical
/// form Go's `pem.Encode` writes, so our files diff cleanly against client-made ones).
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // Base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Decodes the first PEM block of `text`, which must carry `label`.
pub fn pem_decode(text: &str, label: &str) -> Result<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(start) = text.find(&begin) else {
        bail!("no `{begin}` block");
    };
    let body = &text[start + begin.len()..];
    let Some(stop) = body.find(&end) else {
        bail!("`{begin}` block has no `{end}` line");
    };
    let b64: String = body[..stop].split_whitespace().collect();
    STANDARD
        .decode(b64.as_bytes())
        .context("PEM block is not valid base64")
}

/// Reads and parses the private log key.
pub fn load_signer(data_dir: &Path) -> Result<EcdsaP256Signer> {
    let path = data_dir.join(PRIVATE_KEY_FILE);
    let text = fs::read_to_string(&path)
        .with_context(|| format!("cannot read the log key {}", path.display()))?;
    parse_signer(&text).with_context(|| format!("{}: not a usable log key", path.display()))
}

/// Parses a PKCS#8 P-256 private key PEM.
pub fn parse_signer(text: &str) -> Result<EcdsaP256Signer> {
    let der = pem_decode(text, PRIVATE_LABEL)?;
    EcdsaP256Signer::from_pkcs8_der(&der)
        .map_err(|e| anyhow::anyhow!("expected an ECDSA P-256 PKCS#8 key: {e}"))
}

/// Reads and parses the public log key (fsck trusts this file, not the private key, so it
/// checks exactly what clients check).
pub fn load_verifier(data_dir: &Path) -> Result<EcdsaP256Verifier> {
    let path = data_dir.join(PUBLIC_KEY_FILE);
    let text = fs::read_to_string(&path)
        .with_context(|| format!("cannot read the log public key {}", path.display()))?;
    let der = pem_decode(&text, PUBLIC_LABEL)
        .with_context(|| format!("{}: not a PEM public key", path.display()))?;
    EcdsaP256Verifier::from_spki_der(&der)
        .map_err(|e| anyhow::anyhow!("{}: not an ECDSA P-256 key: {e}", path.display()))
}

/// Warns when `log-public-key.pem` is missing or is not the public half of `signer`:
/// clients handed that file (`SIGSTORE_REKOR_PUBLIC_KEY`, trusted roots) would reject every
/// SET and checkpoint this server signs. Not fatal, because the server itself does not need
/// the file and reads keep working for clients that fetch the key from the API.
pub fn check_public_key_file(data_dir: &Path, signer: &EcdsaP256Signer) {
    let path = data_dir.join(PUBLIC_KEY_FILE);
    match load_verifier(data_dir) {
        Ok(verifier) if verifier.public_key_spki_der() == signer.public_key_spki_der() => {}
        Ok(_) => tracing::warn!(
            file = %path.display(),
            "this public key is not the log key's: clients pinning it will reject this log \
             (move it away and run `sigstack init` to write the right one)"
        ),
        Err(e) => tracing::warn!(
            error = format!("{e:#}"),
            "cannot check the log public key file"
        ),
    }
}

/// A freshly generated private key as PEM.
pub fn generate_private_pem() -> Result<String> {
    let der = EcdsaP256Signer::generate_pkcs8_der()
        .map_err(|e| anyhow::anyhow!("generating the log key: {e}"))?;
    Ok(pem_encode(PRIVATE_LABEL, &der))
}

/// The public key PEM matching `signer`.
pub fn public_pem(signer: &EcdsaP256Signer) -> String {
    pem_encode(PUBLIC_LABEL, signer.public_key_spki_der())
}

/// Creates `path` with `contents`, failing if it exists (so a race with another `init` can
/// never replace a key). On Unix the file is created with `mode` from the start, never
/// briefly world-readable.
pub fn create_new(path: &Path, contents: &str, mode: u32) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips_with_64_column_lines() {
        let der: Vec<u8> = (0..=200).collect();
        let pem = pem_encode("PUBLIC KEY", &der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        assert_eq!(pem_decode(&pem, "PUBLIC KEY").unwrap(), der);
        assert!(pem_decode(&pem, "PRIVATE KEY").is_err());
    }

    #[test]
    fn generated_key_loads_and_matches_its_public_key() {
        let pem = generate_private_pem().unwrap();
        let signer = parse_signer(&pem).unwrap();
        let public = pem_decode(&public_pem(&signer), "PUBLIC KEY").unwrap();
        assert_eq!(public, signer.public_key_spki_der());
        assert!(EcdsaP256Verifier::from_spki_der(&public).is_ok());
    }

    #[test]
    fn garbage_is_refused() {
        assert!(parse_signer("hello").is_err());
        let pem = pem_encode("PRIVATE KEY", b"not a key");
        assert!(parse_signer(&pem).is_err());
    }
}
