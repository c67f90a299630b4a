//! Base64 exactly as Go's `encoding/base64` `StdEncoding` reads and writes it.
//!
//! Rekor decodes every `format: byte` field with Go's decoder, which skips `\r` and `\n`
//! anywhere in the input and accepts non-zero trailing bits, but insists on `=` padding.
//! Matching it matters: an input Rekor accepts must not be refused here, and one it refuses
//! (e.g. unpadded) must not land in our log either.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{DecodeError, Engine as _};

const GO_DECODE: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_allow_trailing_bits(true)
    .with_decode_padding_mode(DecodePaddingMode::RequireCanonical);

/// Go's `base64.StdEncoding` decoder.
const STD_DECODER: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, GO_DECODE);
/// Go's `base64.URLEncoding` decoder (padded URL-safe alphabet).
const URL_DECODER: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, GO_DECODE);

/// Standard padded base64 with `+` and `/`, what Go's `StdEncoding` (and so every Rekor body)
/// writes.
pub(crate) fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// [`encode`], appended to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
}

/// Decodes like Go's `StdEncoding.DecodeString`. The error text is Go's
/// (`illegal base64 data at input byte N`), because Rekor forwards it to the client.
pub(crate) fn decode_std(s: &str) -> Result<Vec<u8>, String> {
    decode_with(&STD_DECODER, s)
}

/// Decodes a DSSE payload or signature: standard alphabet first, then the URL-safe one, as
/// the DSSE specification (and go-securesystemslib) allow.
pub(crate) fn decode_dsse(s: &str) -> Option<Vec<u8>> {
    decode_std(s)
        .ok()
        .or_else(|| decode_with(&URL_DECODER, s).ok())
}

fn decode_with(engine: &GeneralPurpose, s: &str) -> Result<Vec<u8>, String> {
    // Go drops CR and LF before decoding; remember where each kept byte came from so the
    // reported offset points into the caller's string.
    let mut kept = Vec::with_capacity(s.len());
    let mut origin = Vec::with_capacity(s.len());
    for (i, b) in s.bytes().enumerate() {
        if b != b'\r' && b != b'\n' {
            kept.push(b);
            origin.push(i);
        }
    }
    engine.decode(&kept).map_err(|e| {
        let at = match e {
            DecodeError::InvalidByte(i, _) | DecodeError::InvalidLastSymbol(i, _) => {
                origin.get(i).copied().unwrap_or(s.len())
            }
            DecodeError::InvalidLength(_) | DecodeError::InvalidPadding => {
                // Go reports the first offset of the incomplete final quantum.
                let quantum_start = kept.len() - kept.len() % 4;
                origin.get(quantum_start).copied().unwrap_or(s.len())
            }
        };
        format!("illegal base64 data at input byte {at}")
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn go_compatible_decoding() {
        assert_eq!(decode_std("").unwrap(), b"");
        assert_eq!(decode_std("aGk=").unwrap(), b"hi");
        assert_eq!(decode_std("aG\r\nk=").unwrap(), b"hi");
        // Non-zero trailing bits are accepted by Go.
        assert_eq!(decode_std("aGl=").unwrap(), b"hi");
        assert_eq!(
            decode_std("!!!not base64!!!").unwrap_err(),
            "illegal base64 data at input byte 0"
        );
        assert!(decode_std("aGk").is_err(), "padding is required");
        assert_eq!(decode_dsse("-_8=").unwrap(), vec![0xfb, 0xff]);
        assert!(decode_std("-_8=").is_err());
    }
}
