//! Building the `TimeStampResp`: a TSTInfo wrapped in CMS SignedData, laid out as
//! timestamp-authority lays it out (see docs/operations.md, "Timestamp authority").

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cmpv2::status::{PkiStatus, PkiStatusInfo};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{GeneralizedTime, Int, OctetString, SetOfVec, UtcTime};
use der::oid::db::rfc5912::ID_SHA_256;
use der::oid::ObjectIdentifier;
use der::{Any, Encode, Sequence, Tag};
use ring::digest::{digest, SHA256};
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_tsp::{Accuracy, MessageImprint, TimeStampResp, TspVersion, TstInfo};

use crate::chain::ecdsa_sha256;
use crate::{Request, TsaError};

/// id-signedData.
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-ct-TSTInfo.
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// id-aa-signingCertificateV2 (RFC 5035): OpenSSL's `ts -verify` requires it.
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// RFC 5035 `SigningCertificateV2` (policies never sent).
#[derive(Clone, Debug, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// RFC 5035 `ESSCertIDv2`; the hash algorithm is left at its DEFAULT, SHA-256.
#[derive(Clone, Debug, Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
    issuer_serial: IssuerSerial,
}

/// RFC 5035 `IssuerSerial`.
#[derive(Clone, Debug, Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial_number: SerialNumber,
}

/// What the signer contributes to every response.
pub(crate) struct Signing<'a> {
    pub key: &'a sigstack_merkle::signature::EcdsaP256Signer,
    pub leaf: &'a x509_cert::Certificate,
    pub leaf_der: &'a [u8],
}

/// The DER `TimeStampResp` (status granted) for `request` at `now`, with `serial` and
/// `policy`.
pub(crate) fn build(
    signing: &Signing<'_>,
    request: &Request,
    policy: ObjectIdentifier,
    serial: &[u8],
    now: SystemTime,
) -> Result<Vec<u8>, TsaError> {
    use sigstack_merkle::signature::Signer as _;
    let secs = Duration::from_secs(
        now.duration_since(UNIX_EPOCH)
            .map_err(|_| TsaError::Internal("clock before 1970".into()))?
            .as_secs(),
    );
    let tbs = &signing.leaf.tbs_certificate;
    let tst = TstInfo {
        version: TspVersion::V1,
        policy,
        message_imprint: MessageImprint {
            hash_algorithm: x509_cert::spki::AlgorithmIdentifier {
                oid: request.hash.oid(),
                parameters: Some(Any::null()),
            },
            hashed_message: OctetString::new(request.digest.clone())?,
        },
        serial_number: Int::new(serial)?,
        gen_time: GeneralizedTime::from_unix_duration(secs)?,
        accuracy: Some(Accuracy {
            seconds: Some(1),
            millis: None,
            micros: None,
        }),
        ordering: false,
        nonce: request.nonce.clone(),
        tsa: Some(GeneralName::DirectoryName(tbs.subject.clone())),
        extensions: None,
    };
    let tst_der = tst.to_der()?;

    let attribute = |oid, value: Any| -> Result<Attribute, TsaError> {
        Ok(Attribute {
            oid,
            values: SetOfVec::try_from(vec![value])?,
        })
    };
    let signing_certificate = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(digest(&SHA256, signing.leaf_der).as_ref())?,
            issuer_serial: IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(tbs.issuer.clone())],
                serial_number: tbs.serial_number.clone(),
            },
        }],
    };
    // SetOfVec sorts by DER, which is the order the signature must cover (X.690 SET OF).
    let signed_attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_CT_TST_INFO)?)?,
        attribute(
            ID_SIGNING_TIME,
            Any::encode_from(&UtcTime::from_unix_duration(secs)?)?,
        )?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest(&SHA256, &tst_der).as_ref())?)?,
        )?,
        attribute(
            ID_SIGNING_CERTIFICATE_V2,
            Any::encode_from(&signing_certificate)?,
        )?,
    ])?;
    let signature = signing
        .key
        .sign(&signed_attrs.to_der()?)
        .map_err(|e| TsaError::Internal(format!("signing: {e}")))?;
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    };
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: ecdsa_sha256(),
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };
    let certificates = if request.cert_req {
        Some(CertificateSet::try_from(vec![
            CertificateChoices::Certificate(signing.leaf.clone()),
        ])?)
    } else {
        None
    };
    let signed_data = SignedData {
        version: CmsVersion::V3,
        digest_algorithms: SetOfVec::try_from(vec![sha256])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_CT_TST_INFO,
            econtent: Some(Any::new(Tag::OctetString, tst_der)?),
        },
        certificates,
        crls: None,
        signer_infos: SignerInfos::try_from(vec![signer])?,
    };
    let response = TimeStampResp {
        status: PkiStatusInfo {
            status: PkiStatus::Accepted,
            status_string: None,
            fail_info: None,
        },
        time_stamp_token: Some(ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::encode_from(&signed_data)?,
        }),
    };
    Ok(response.to_der()?)
}
