//! X.509 key material as Rekor's `pki/x509` package accepts it: a PEM `PUBLIC KEY`, a PEM
//! `CERTIFICATE`, or a PEM chain of up to ten certificates (leaf first).
//!
//! The *canonical* form, which goes into entry bodies and is hashed for the public-key
//! index, is Go's re-encoding: the SubjectPublicKeyInfo re-marshalled, or the certificates'
//! original DER, each as a canonical PEM block ([`crate::pem`]).

use std::net::{Ipv4Addr, Ipv6Addr};

use x509_cert::der::asn1::{ObjectIdentifier, Utf8StringRef};
use x509_cert::der::oid::AssociatedOid as _;
use x509_cert::der::{Decode, Encode, Reader, SliceReader, Tagged as _};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectAltName};
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use crate::budget::{Spent, WorkBudget};
use crate::error::{Error, Result};
use crate::pem;
use crate::verify::{self, HashAlgorithm, SignatureAlgorithm, VerifyingKey};

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
/// Fulcio's `otherName` SAN (a UTF8String identity, used for non-email/URI identities).
const OID_FULCIO_OTHERNAME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// Go's `crypto/rsa` refuses anything smaller (since Go 1.24).
const RSA_MIN_BITS: usize = 1024;
/// Go's `crypto/rsa` limit for public keys.
const RSA_MAX_BITS: usize = 16384;
/// `UnmarshalCertificatesFromPEMLimited(…, 10)` in Rekor.
const MAX_CHAIN_LEN: usize = 10;

/// A public key and its canonical (re-encoded) SubjectPublicKeyInfo.
#[derive(Debug, Clone)]
pub(crate) struct ParsedKey {
    pub key: VerifyingKey,
    pub spki_der: Vec<u8>,
}

/// Parses a DER SubjectPublicKeyInfo with the strictness of Go's `x509.ParsePKIXPublicKey`.
pub(crate) fn parse_spki(der: &[u8], field: &'static str) -> Result<ParsedKey> {
    let spki = SubjectPublicKeyInfoOwned::from_der(der)
        .map_err(|e| Error::malformed(field, format!("x509: failed to parse public key: {e}")))?;
    let key = key_from_spki(&spki, field)?;
    let spki_der = spki
        .to_der()
        .map_err(|e| Error::malformed(field, format!("x509: failed to encode public key: {e}")))?;
    Ok(ParsedKey { key, spki_der })
}

fn key_from_spki(spki: &SubjectPublicKeyInfoOwned, field: &'static str) -> Result<VerifyingKey> {
    let bad = |why: &str| Error::malformed(field, format!("x509: {why}"));
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| bad("invalid public key bit string"))?;
    let oid = spki.algorithm.oid;
    if oid == OID_EC_PUBLIC_KEY {
        let curve: ObjectIdentifier = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as().ok())
            .ok_or_else(|| bad("invalid ECDSA parameters"))?;
        // Go only accepts uncompressed points here.
        if bits.first() != Some(&0x04) {
            return Err(bad("failed to unmarshal elliptic curve point"));
        }
        let point_err = |_| bad("failed to unmarshal elliptic curve point");
        return match curve {
            c if c == OID_P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                .map(VerifyingKey::P256)
                .map_err(point_err),
            c if c == OID_P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                .map(VerifyingKey::P384)
                .map_err(point_err),
            c if c == OID_P521 => p521::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                .map(VerifyingKey::P521)
                .map_err(point_err),
            other => Err(Error::Unsupported(format!(
                "unsupported elliptic curve {other} (supported: P-256, P-384, P-521)"
            ))),
        };
    }
    if oid == OID_RSA {
        let null_params = spki
            .algorithm
            .parameters
            .as_ref()
            .is_some_and(|p| p.tag() == x509_cert::der::Tag::Null && p.value().is_empty());
        if !null_params {
            return Err(bad("RSA key missing NULL parameters"));
        }
        let pkcs1 = rsa::pkcs1::RsaPublicKey::from_der(bits)
            .map_err(|e| bad(&format!("invalid RSA public key: {e}")))?;
        let n = rsa::BigUint::from_bytes_be(pkcs1.modulus.as_bytes());
        let e = rsa::BigUint::from_bytes_be(pkcs1.public_exponent.as_bytes());
        if n.bits() < RSA_MIN_BITS {
            return Err(Error::Unsupported(format!(
                "RSA keys shorter than {RSA_MIN_BITS} bits are not supported"
            )));
        }
        return rsa::RsaPublicKey::new_with_max_size(n, e, RSA_MAX_BITS)
            .map(VerifyingKey::Rsa)
            .map_err(|e| bad(&format!("invalid RSA public key: {e}")));
    }
    if oid == OID_ED25519 {
        if spki.algorithm.parameters.is_some() {
            return Err(bad("Ed25519 key encoded with illegal parameters"));
        }
        let raw: [u8; 32] = bits
            .try_into()
            .map_err(|_| bad("Ed25519 public key has the wrong length"))?;
        return ed25519_dalek::VerifyingKey::from_bytes(&raw)
            .map(VerifyingKey::Ed25519)
            .map_err(|_| bad("invalid Ed25519 public key"));
    }
    Err(Error::Unsupported(format!(
        "unsupported public key algorithm {oid} (supported: ECDSA P-256/P-384/P-521, RSA, Ed25519)"
    )))
}

/// A parsed certificate, its original DER and its subject public key.
#[derive(Debug, Clone)]
pub(crate) struct Cert {
    pub der: Vec<u8>,
    tbs_der: Vec<u8>,
    inner: Certificate,
    pub key: VerifyingKey,
}

impl Cert {
    pub(crate) fn parse(der: &[u8], field: &'static str) -> Result<Self> {
        let inner = Certificate::from_der(der)
            .map_err(|e| Error::malformed(field, format!("x509: malformed certificate: {e}")))?;
        let tbs_der = raw_tbs(der)
            .map_err(|e| Error::malformed(field, format!("x509: malformed certificate: {e}")))?;
        let key = key_from_spki(&inner.tbs_certificate.subject_public_key_info, field)?;
        Ok(Cert {
            der: der.to_vec(),
            tbs_der,
            inner,
            key,
        })
    }

    fn not_before(&self) -> std::time::Duration {
        self.inner
            .tbs_certificate
            .validity
            .not_before
            .to_unix_duration()
    }

    fn valid_at(&self, t: std::time::Duration) -> bool {
        let v = &self.inner.tbs_certificate.validity;
        v.not_before.to_unix_duration() <= t && t <= v.not_after.to_unix_duration()
    }

    fn extension<'a, T: Decode<'a> + x509_cert::der::oid::AssociatedOid>(&'a self) -> Option<T> {
        self.inner
            .tbs_certificate
            .get::<T>()
            .ok()
            .flatten()
            .map(|(_, v)| v)
    }

    /// Go's `CheckSignatureFrom` preconditions plus `isValid` for an issuer in a chain.
    fn may_issue(&self) -> bool {
        let v3 = self.inner.tbs_certificate.version == x509_cert::Version::V3;
        match self.extension::<BasicConstraints>() {
            Some(bc) if !bc.ca => return false,
            None if v3 => return false,
            _ => {}
        }
        match self.extension::<KeyUsage>() {
            Some(ku) if !ku.0.is_empty() => ku.0.contains(KeyUsages::KeyCertSign),
            _ => true,
        }
    }

    fn path_len(&self) -> Option<u8> {
        self.extension::<BasicConstraints>()
            .and_then(|bc| bc.path_len_constraint)
    }

    /// Go marks a certificate invalid in `Verify` when it carries a critical extension the
    /// x509 package does not process.
    fn has_unhandled_critical_extension(&self) -> bool {
        const HANDLED: [&str; 10] = [
            "2.5.29.14",
            "2.5.29.15",
            "2.5.29.19",
            "2.5.29.30",
            "2.5.29.31",
            "2.5.29.32",
            "2.5.29.35",
            "2.5.29.37",
            "1.3.6.1.5.5.7.1.1",
            "2.5.29.17",
        ];
        let Some(exts) = &self.inner.tbs_certificate.extensions else {
            return false;
        };
        exts.iter().filter(|e| e.critical).any(|e| {
            let oid = e.extn_id.to_string();
            if oid == "2.5.29.17" {
                // A SAN with only name types Go does not parse is "unhandled".
                return self.san_names().iter().all(|n| {
                    !matches!(
                        n,
                        GeneralName::Rfc822Name(_)
                            | GeneralName::DnsName(_)
                            | GeneralName::UniformResourceIdentifier(_)
                            | GeneralName::IpAddress(_)
                    )
                });
            }
            !HANDLED.contains(&oid.as_str())
        })
    }

    /// Whether `issuer`'s subject is this certificate's issuer name (no signature check).
    fn names_issuer(&self, issuer: &Cert) -> bool {
        self.inner.tbs_certificate.issuer.to_der().ok()
            == issuer.inner.tbs_certificate.subject.to_der().ok()
    }

    /// Go's `alreadyInChain` equality: same raw subject, same key, and the same SAN
    /// extension (or none on both).
    fn same_identity(&self, other: &Cert) -> bool {
        let tbs = (&self.inner.tbs_certificate, &other.inner.tbs_certificate);
        let san = |c: &Cert| {
            c.inner
                .tbs_certificate
                .extensions
                .iter()
                .flatten()
                .find(|e| e.extn_id == SubjectAltName::OID)
                .map(|e| e.extn_value.as_bytes().to_vec())
        };
        tbs.0.subject.to_der().ok() == tbs.1.subject.to_der().ok()
            && tbs.0.subject_public_key_info.to_der().ok()
                == tbs.1.subject_public_key_info.to_der().ok()
            && san(self) == san(other)
    }

    /// Whether `issuer` signed this certificate (its name and its key).
    fn is_signed_by(&self, issuer: &Cert) -> bool {
        if !self.names_issuer(issuer) {
            return false;
        }
        let Some(alg) = signature_algorithm(&self.inner) else {
            return false;
        };
        let Some(sig) = self.inner.signature.as_bytes() else {
            return false;
        };
        verify::verify_with_algorithm(&issuer.key, alg, &self.tbs_der, sig).is_ok()
    }

    fn san_names(&self) -> Vec<GeneralName> {
        self.extension::<SubjectAltName>()
            .map(|san| san.0)
            .unwrap_or_default()
    }

    /// The SANs in the order of sigstore's `GetSubjectAlternateNames`: DNS names, emails, IP
    /// addresses, URIs, then Fulcio's single `otherName` identity.
    pub(crate) fn subject_alternative_names(&self) -> Vec<String> {
        let names = self.san_names();
        let mut out = Vec::new();
        for n in &names {
            if let GeneralName::DnsName(s) = n {
                out.push(s.to_string());
            }
        }
        for n in &names {
            if let GeneralName::Rfc822Name(s) = n {
                out.push(s.to_string());
            }
        }
        for n in &names {
            if let GeneralName::IpAddress(ip) = n {
                out.push(go_ip_string(ip.as_bytes()));
            }
        }
        for n in &names {
            if let GeneralName::UniformResourceIdentifier(s) = n {
                out.push(s.to_string());
            }
        }
        let others: Vec<&x509_cert::ext::pkix::name::OtherName> = names
            .iter()
            .filter_map(|n| match n {
                GeneralName::OtherName(o) => Some(o),
                _ => None,
            })
            .collect();
        if let [only] = others.as_slice() {
            if only.type_id == OID_FULCIO_OTHERNAME {
                if let Ok(s) = only.value.decode_as::<Utf8StringRef<'_>>() {
                    out.push(s.as_str().to_owned());
                }
            }
        }
        out
    }
}

/// The DER of `tbsCertificate` exactly as it appears in the certificate (the signed bytes).
fn raw_tbs(cert_der: &[u8]) -> x509_cert::der::Result<Vec<u8>> {
    let mut reader = SliceReader::new(cert_der)?;
    reader.sequence(|inner| {
        let tbs = inner.tlv_bytes()?.to_vec();
        inner.tlv_bytes()?; // signatureAlgorithm
        inner.tlv_bytes()?; // signatureValue
        Ok(tbs)
    })
}

fn signature_algorithm(cert: &Certificate) -> Option<SignatureAlgorithm> {
    let alg = &cert.signature_algorithm;
    let oid = alg.oid.to_string();
    Some(match oid.as_str() {
        "1.2.840.10045.4.3.2" => SignatureAlgorithm::Ecdsa(HashAlgorithm::Sha256),
        "1.2.840.10045.4.3.3" => SignatureAlgorithm::Ecdsa(HashAlgorithm::Sha384),
        "1.2.840.10045.4.3.4" => SignatureAlgorithm::Ecdsa(HashAlgorithm::Sha512),
        "1.2.840.113549.1.1.11" => SignatureAlgorithm::RsaPkcs1(HashAlgorithm::Sha256),
        "1.2.840.113549.1.1.12" => SignatureAlgorithm::RsaPkcs1(HashAlgorithm::Sha384),
        "1.2.840.113549.1.1.13" => SignatureAlgorithm::RsaPkcs1(HashAlgorithm::Sha512),
        "1.3.101.112" => SignatureAlgorithm::Ed25519,
        _ if alg.oid == OID_RSA_PSS => {
            let params = alg.parameters.as_ref()?.to_der().ok()?;
            let pss = rsa::pkcs1::RsaPssParams::from_der(&params).ok()?;
            let hash = match pss.hash.oid {
                o if o == OID_SHA256 => HashAlgorithm::Sha256,
                o if o == OID_SHA384 => HashAlgorithm::Sha384,
                o if o == OID_SHA512 => HashAlgorithm::Sha512,
                _ => return None,
            };
            // Go accepts PSS only with the salt as long as the hash.
            if usize::from(pss.salt_len) != hash.size() {
                return None;
            }
            SignatureAlgorithm::RsaPss(hash)
        }
        _ => return None,
    })
}

/// Go's `net.IP.String()` for the 4- and 16-byte forms.
fn go_ip_string(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes);
            let v6 = Ipv6Addr::from(a);
            match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => v6.to_string(),
            }
        }
        _ => format!("?{}", hex::encode(bytes)),
    }
}

/// Key material in the shapes Rekor's `x509.NewPublicKey` accepts.
#[derive(Debug, Clone)]
pub(crate) enum X509Material {
    /// A bare public key (`PUBLIC KEY` block).
    Key(ParsedKey),
    /// One certificate.
    Cert(Box<Cert>),
    /// Two or more PEM blocks: a certificate chain, leaf first.
    Chain(Vec<Cert>),
}

impl X509Material {
    /// Parses PEM text the way Rekor does: trim, decode the first block; if anything follows,
    /// the whole input must be a chain of at most ten certificates.
    pub(crate) fn parse(content: &[u8], field: &'static str) -> Result<Self> {
        let trimmed = pem::trim_space(content);
        let Some((block, rest)) = pem::decode(trimmed) else {
            return Err(Error::malformed(
                field,
                "invalid public key: failure decoding PEM",
            ));
        };
        if !rest.is_empty() {
            let mut certs = Vec::new();
            let mut remaining = trimmed;
            while !remaining.is_empty() {
                if certs.len() == MAX_CHAIN_LEN {
                    return Err(Error::malformed(
                        field,
                        "too many certificates specified in PEM block",
                    ));
                }
                let Some((block, rest)) = pem::decode(remaining) else {
                    return Err(Error::malformed(field, "error during PEM decoding"));
                };
                certs.push(Cert::parse(&block.der, field)?);
                remaining = rest;
            }
            return Ok(X509Material::Chain(certs));
        }
        match block.label.as_str() {
            "PUBLIC KEY" => Ok(X509Material::Key(parse_spki(&block.der, field)?)),
            "CERTIFICATE" => Ok(X509Material::Cert(Box::new(Cert::parse(
                &block.der, field,
            )?))),
            other => Err(Error::malformed(
                field,
                format!("invalid public key: cannot handle type {other}"),
            )),
        }
    }

    /// Go's canonical PEM: the re-marshalled key, or each certificate's DER, in order.
    pub(crate) fn canonical_pem(&self) -> String {
        match self {
            X509Material::Key(k) => pem::encode("PUBLIC KEY", &k.spki_der),
            X509Material::Cert(c) => pem::encode("CERTIFICATE", &c.der),
            X509Material::Chain(certs) => certs
                .iter()
                .map(|c| pem::encode("CERTIFICATE", &c.der))
                .collect(),
        }
    }

    /// The key that verifies signatures: the bare key or the leaf certificate's.
    pub(crate) fn verifying_key(&self) -> Option<&VerifyingKey> {
        match self {
            X509Material::Key(k) => Some(&k.key),
            X509Material::Cert(c) => Some(&c.key),
            X509Material::Chain(certs) => certs.first().map(|c| &c.key),
        }
    }

    /// The leaf certificate, if the material is certificate-based.
    pub(crate) fn leaf(&self) -> Option<&Cert> {
        match self {
            X509Material::Key(_) => None,
            X509Material::Cert(c) => Some(c),
            X509Material::Chain(certs) => certs.first(),
        }
    }

    /// Rekor's `verifyCertChain`: a chain of two or more must lead from the leaf to the last
    /// certificate, evaluated at the leaf's `notBefore` (so expired chains still verify) and
    /// with any extended key usage. A single certificate or a bare key is not checked.
    ///
    /// The search is bounded: identical certificates are dropped before it starts, a path
    /// never holds two certificates with the same subject and key (Go's `alreadyInChain`),
    /// each signature is checked at most once, and every attempt is charged to `budget`, so
    /// a chain of duplicated or cross-signed CAs costs at most the budget's checks, not a
    /// walk over every ordering of its intermediates.
    pub(crate) fn verify_chain(&self, budget: &WorkBudget) -> std::result::Result<(), String> {
        let X509Material::Chain(certs) = self else {
            return Ok(());
        };
        let (Some(leaf), Some(root)) = (certs.first(), certs.last()) else {
            return Err("no certificate chain provided".into());
        };
        if certs.len() == 1 {
            return Ok(());
        }
        let at = leaf.not_before();
        if leaf.has_unhandled_critical_extension() {
            return Err("x509: unhandled critical extension".into());
        }
        if !leaf.valid_at(at) {
            return Err("x509: certificate has expired or is not yet valid".into());
        }
        let mut intermediates: Vec<&Cert> = Vec::new();
        for c in &certs[1..certs.len() - 1] {
            let seen = c.der == leaf.der
                || c.der == root.der
                || intermediates.iter().any(|i| i.der == c.der);
            if !seen {
                intermediates.push(c);
            }
        }
        let mut search = ChainSearch::new(leaf, root, intermediates, at, budget);
        match search.from(LEAF, 0) {
            Ok(true) => Ok(()),
            Ok(false) => Err("x509: certificate signed by unknown authority".into()),
            Err(Spent::Checks | Spent::Passes) => Err(
                "x509: signature check attempts limit reached while verifying certificate chain"
                    .into(),
            ),
            Err(Spent::Cancelled) => Err("certificate chain verification was abandoned".into()),
        }
    }
}

/// Node numbers of a [`ChainSearch`]: the leaf, then the intermediates, then the root.
const LEAF: usize = 0;

/// Depth-first search for a path `leaf → … → root`, like Go's chain building with one root
/// in the pool, with its bounds (see [`X509Material::verify_chain`]).
struct ChainSearch<'a> {
    /// Leaf, distinct intermediates, root.
    nodes: Vec<&'a Cert>,
    at: std::time::Duration,
    budget: &'a WorkBudget,
    /// `verdicts[child][issuer]`: the signature check's result, once made.
    verdicts: Vec<Vec<Option<bool>>>,
    /// The nodes on the current path.
    path: Vec<usize>,
}

impl<'a> ChainSearch<'a> {
    fn new(
        leaf: &'a Cert,
        root: &'a Cert,
        intermediates: Vec<&'a Cert>,
        at: std::time::Duration,
        budget: &'a WorkBudget,
    ) -> Self {
        let mut nodes = vec![leaf];
        nodes.extend(intermediates);
        nodes.push(root);
        let n = nodes.len();
        Self {
            nodes,
            at,
            budget,
            verdicts: vec![vec![None; n]; n],
            path: vec![LEAF],
        }
    }

    fn root(&self) -> usize {
        self.nodes.len() - 1
    }

    /// Whether a path continues from `current` to the root. `depth` counts the
    /// intermediates already below `current`'s issuer.
    fn from(&mut self, current: usize, depth: usize) -> std::result::Result<bool, Spent> {
        if self.acceptable(current, self.root(), depth)? {
            return Ok(true);
        }
        for next in 1..self.root() {
            if self.on_path(next) || !self.acceptable(current, next, depth)? {
                continue;
            }
            self.path.push(next);
            let found = self.from(next, depth + 1)?;
            self.path.pop();
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Go's `alreadyInChain`: a certificate with the subject and key of one already on the
    /// path adds nothing but another ordering to try.
    fn on_path(&self, candidate: usize) -> bool {
        let c = self.nodes[candidate];
        self.path
            .iter()
            .any(|&p| p == candidate || self.nodes[p].same_identity(c))
    }

    fn acceptable(
        &mut self,
        child: usize,
        issuer: usize,
        depth: usize,
    ) -> std::result::Result<bool, Spent> {
        let (c, i) = (self.nodes[child], self.nodes[issuer]);
        let cheap = i.may_issue()
            && i.valid_at(self.at)
            && !i.has_unhandled_critical_extension()
            && i.path_len().is_none_or(|max| depth <= usize::from(max))
            && c.names_issuer(i);
        if !cheap {
            return Ok(false);
        }
        // Charged like Go counts `CheckSignatureFrom` calls, remembered or not.
        self.budget.charge_units(i.key.check_cost())?;
        let verdict = &mut self.verdicts[child][issuer];
        Ok(*verdict.get_or_insert_with(|| c.is_signed_by(i)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/budget")
            .join(name);
        std::fs::read(&path).unwrap()
    }

    fn chain(names: &[&str]) -> X509Material {
        let pem: Vec<u8> = names.iter().flat_map(|n| fixture(n)).collect();
        X509Material::parse(&pem, "test").unwrap()
    }

    #[test]
    fn valid_chain_costs_one_check() {
        let budget = WorkBudget::new(10);
        chain(&["leaf.pem", "dup-ca.pem"])
            .verify_chain(&budget)
            .unwrap();
        assert_eq!(budget.signature_checks(), 1);
        let spent = WorkBudget::new(0);
        assert_eq!(
            chain(&["leaf.pem", "dup-ca.pem"]).verify_chain(&spent),
            Err(
                "x509: signature check attempts limit reached while verifying certificate chain"
                    .into()
            )
        );
    }

    #[test]
    fn duplicates_and_same_key_variants_are_tried_once() {
        let mut names = vec!["leaf.pem"];
        names.extend(["dup-ca.pem"; 8]);
        names.push("other-root.pem");
        let budget = WorkBudget::new(100);
        let refused = chain(&names).verify_chain(&budget);
        assert_eq!(
            refused,
            Err("x509: certificate signed by unknown authority".into())
        );
        assert_eq!(
            budget.signature_checks(),
            1,
            "the copies are one certificate"
        );

        let variants = [
            "leaf.pem",
            "dup-ca.pem",
            "dup-ca-2.pem",
            "dup-ca-3.pem",
            "dup-ca-4.pem",
            "dup-ca-5.pem",
            "dup-ca-6.pem",
            "dup-ca-7.pem",
            "dup-ca-8.pem",
            "other-root.pem",
        ];
        let budget = WorkBudget::new(100);
        assert!(chain(&variants).verify_chain(&budget).is_err());
        // The leaf against each variant; no variant ever follows another on a path.
        assert_eq!(budget.signature_checks(), 8);
    }

    #[test]
    fn a_ring_of_cross_signed_cas_stays_within_the_budget() {
        let mut names = vec!["ring-leaf.pem"];
        let cas: Vec<String> = (1..=8).map(|i| format!("ring-ca-{i}.pem")).collect();
        names.extend(cas.iter().map(String::as_str));
        names.push("other-root.pem");
        let budget = WorkBudget::new(100);
        assert_eq!(
            chain(&names).verify_chain(&budget),
            Err("x509: certificate signed by unknown authority".into())
        );
        // Every (certificate, issuer) pair whose names match is checked once: 9 x 8.
        assert!(
            budget.signature_checks() <= 72,
            "{}",
            budget.signature_checks()
        );
    }

    #[test]
    fn cancelled_budget_stops_the_search() {
        let budget = WorkBudget::new(100);
        budget.cancel_flag().cancel();
        assert!(chain(&["leaf.pem", "dup-ca.pem"])
            .verify_chain(&budget)
            .is_err());
    }
}
