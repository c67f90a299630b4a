//! What `add-chain` and `add-pre-chain` accept (the checks Trillian's CTFE makes): every
//! certificate parses, each is signed by the next, the chain ends at an accepted root (which
//! the submitter may leave off), and the leaf is a precertificate or a final certificate as the
//! endpoint demands. The result is the entry the log signs and the `extra_data` it stores.
//!
//! Validity periods are not checked (CTFE does not by default either): a log records what a
//! CA issued, and a Fulcio certificate is often expired by the time a monitor looks at it.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use ring::digest::{digest, Context, SHA256};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage};
use x509_cert::spki::ObjectIdentifier;
use x509_cert::Certificate;

use super::error::CtError;
use super::signature::{verify_signed_by, SignatureError};
use crate::{certificate_chain, precert_chain_entry, PrecertEntry, SignedEntry, CT_POISON_OID};

const ID_CE_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const ID_CE_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
/// RFC 6962 §3.1 Precertificate Signing Certificate EKU.
const PRECERT_SIGNING_EKU: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.4");

/// Which endpoint a chain came to, and so what its leaf must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LeafKind {
    /// `add-pre-chain`: a precertificate with the poison extension.
    Precertificate,
    /// `add-chain`: a final certificate without it.
    Final,
}

/// A chain that passed every check.
#[derive(Debug)]
pub(crate) struct Validated {
    /// What the log signs and hashes.
    pub(crate) entry: SignedEntry,
    /// RFC 6962 §4.1 `extra_data`: the chain from the leaf's issuer to the root (the root
    /// appended if the submitter left it off), after the precertificate for precert entries.
    pub(crate) extra_data: Vec<u8>,
}

struct Root {
    der: Vec<u8>,
    cert: Certificate,
}

/// The CA roots a chain must end at (for Fulcio, its own root), and the issuer links already
/// seen to verify.
pub(crate) struct AcceptedRoots {
    roots: Vec<Root>,
    links: VerifiedLinks,
}

/// Links (certificate, issuer) above the leaf whose signature verified, by SHA-256 of both
/// DERs. Every chain from one CA repeats the same intermediate → root link, so checking it
/// once saves a signature verification per submission; leaves are never cached (each is new).
/// Bounded by [`VerifiedLinks::MAX`]: cleared when full, which only costs re-verification.
#[derive(Default)]
struct VerifiedLinks(Mutex<HashSet<[u8; 32]>>);

impl VerifiedLinks {
    const MAX: usize = 1024;

    fn key(cert: &[u8], issuer: &[u8]) -> [u8; 32] {
        let mut ctx = Context::new(&SHA256);
        // Length-prefixed, so no two pairs share a key.
        ctx.update(&(cert.len() as u64).to_be_bytes());
        ctx.update(cert);
        ctx.update(issuer);
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        key
    }

    fn contains(&self, key: &[u8; 32]) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(key)
    }

    fn insert(&self, key: [u8; 32]) {
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if set.len() >= Self::MAX {
            set.clear();
        }
        set.insert(key);
    }
}

impl AcceptedRoots {
    /// Parses the roots; an unusable one is a configuration error naming its position.
    pub(crate) fn new(ders: Vec<Vec<u8>>) -> Result<Self, String> {
        if ders.is_empty() {
            return Err("no accepted roots configured".to_owned());
        }
        let roots = ders
            .into_iter()
            .enumerate()
            .map(|(i, der)| match Certificate::from_der(&der) {
                Ok(cert) => Ok(Root { der, cert }),
                Err(e) => Err(format!("accepted root {i} is not a DER certificate: {e}")),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            roots,
            links: VerifiedLinks::default(),
        })
    }

    /// The roots' DER, in configuration order (`get-roots`).
    pub(crate) fn ders(&self) -> impl Iterator<Item = &[u8]> {
        self.roots.iter().map(|r| r.der.as_slice())
    }

    fn contains(&self, der: &[u8]) -> bool {
        self.roots.iter().any(|r| r.der == der)
    }

    /// The accepted root that issued certificate `index` of the chain, if any (name match and
    /// signature).
    fn issuer_of(&self, index: usize, der: &[u8], cert: &Certificate) -> Option<&Root> {
        self.roots.iter().find(|root| {
            root.cert.tbs_certificate.subject == cert.tbs_certificate.issuer
                && self
                    .check_link(index, (der, cert), (&root.der, &root.cert))
                    .is_ok()
        })
    }

    /// Checks that certificate `index` of a chain is signed by `issuer`, from the cache for
    /// links above the leaf.
    fn check_link(
        &self,
        index: usize,
        (der, cert): (&[u8], &Certificate),
        (issuer_der, issuer): (&[u8], &Certificate),
    ) -> Result<(), SignatureError> {
        if index == 0 {
            return verify_signed_by(cert, issuer);
        }
        let key = VerifiedLinks::key(der, issuer_der);
        if self.links.contains(&key) {
            return Ok(());
        }
        verify_signed_by(cert, issuer)?;
        self.links.insert(key);
        Ok(())
    }
}

/// Validates `chain` (leaf first) for the endpoint `kind`.
pub(crate) fn validate(
    mut chain: Vec<Vec<u8>>,
    kind: LeafKind,
    roots: &AcceptedRoots,
    max_len: usize,
) -> Result<Validated, CtError> {
    if chain.is_empty() {
        return Err(CtError::EmptyChain);
    }
    if chain.len() > max_len {
        return Err(CtError::ChainTooLong {
            len: chain.len(),
            max: max_len,
        });
    }
    let mut certs = chain
        .iter()
        .enumerate()
        .map(|(i, der)| {
            Certificate::from_der(der)
                .map_err(|e| CtError::certificate(i, format!("not a DER X.509 certificate: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if kind == LeafKind::Final && has_extension(&certs[0], &CT_POISON_OID) {
        return Err(CtError::PoisonInFinalCertificate);
    }
    for i in 0..certs.len() - 1 {
        check_issued_by(roots, &chain, &certs, i)?;
        if !roots.contains(&chain[i + 1]) && !is_ca(&certs[i + 1]) {
            return Err(CtError::certificate(
                i + 1,
                "issues certificates but is not a CA",
            ));
        }
    }
    let last = certs.len() - 1;
    if !roots.contains(&chain[last]) {
        // The submitter may leave the root off; the log stores the whole chain anyway.
        let root = roots
            .issuer_of(last, &chain[last], &certs[last])
            .ok_or(CtError::UnknownRoot)?;
        chain.push(root.der.clone());
        certs.push(root.cert.clone());
    }
    if chain.len() < 2 {
        return Err(CtError::certificate(
            0,
            "is an accepted root itself; submit a certificate it issued",
        ));
    }
    let (leaf_der, issuers) = chain.split_at(1);
    let leaf_der = &leaf_der[0];
    match kind {
        LeafKind::Precertificate => {
            if has_eku(&certs[1], &PRECERT_SIGNING_EKU) {
                return Err(CtError::Precertificate(
                    "issued through a precertificate signing certificate, which this log does \
                     not support"
                        .to_owned(),
                ));
            }
            let spki = certs[1]
                .tbs_certificate
                .subject_public_key_info
                .to_der()
                .map_err(|e| CtError::certificate(1, e))?;
            let mut key_hash = [0u8; 32];
            key_hash.copy_from_slice(digest(&SHA256, &spki).as_ref());
            let entry = PrecertEntry::from_precert_tbs(&certs[0].tbs_certificate, &key_hash)
                .map_err(|e| match e {
                    crate::Error::Poison(why) => CtError::Precertificate(format!("poison {why}")),
                    other => CtError::certificate(0, other),
                })?;
            Ok(Validated {
                entry: SignedEntry::Precert(entry),
                extra_data: precert_chain_entry(leaf_der, issuers)?,
            })
        }
        LeafKind::Final => Ok(Validated {
            extra_data: certificate_chain(issuers)?,
            entry: SignedEntry::X509(leaf_der.clone()),
        }),
    }
}

/// Checks that `certs[i]` names and is signed by `certs[i + 1]`.
fn check_issued_by(
    roots: &AcceptedRoots,
    ders: &[Vec<u8>],
    certs: &[Certificate],
    i: usize,
) -> Result<(), CtError> {
    let (cert, issuer) = (&certs[i], &certs[i + 1]);
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return Err(CtError::BadSignature {
            index: i,
            reason: "its issuer name is not the next certificate's subject".to_owned(),
        });
    }
    let link = roots.check_link(i, (&ders[i], cert), (&ders[i + 1], issuer));
    link.map_err(|e| match e {
        SignatureError::Unsupported(why) => CtError::certificate(i, why),
        SignatureError::Invalid => CtError::BadSignature {
            index: i,
            reason: "the signature does not verify with the next certificate's key".to_owned(),
        },
    })
}

fn has_extension(cert: &Certificate, oid: &ObjectIdentifier) -> bool {
    extension(cert, oid).is_some()
}

fn extension<'a>(cert: &'a Certificate, oid: &ObjectIdentifier) -> Option<&'a [u8]> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == *oid)
        .map(|e| e.extn_value.as_bytes())
}

/// Whether `cert` says it is a CA (basicConstraints `cA` true).
fn is_ca(cert: &Certificate) -> bool {
    extension(cert, &ID_CE_BASIC_CONSTRAINTS)
        .and_then(|v| BasicConstraints::from_der(v).ok())
        .is_some_and(|bc| bc.ca)
}

fn has_eku(cert: &Certificate, eku: &ObjectIdentifier) -> bool {
    extension(cert, &ID_CE_EXT_KEY_USAGE)
        .and_then(|v| ExtendedKeyUsage::from_der(v).ok())
        .is_some_and(|ekus| ekus.0.contains(eku))
}
