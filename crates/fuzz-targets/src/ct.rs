//! CT `add-chain` / `add-pre-chain` input (`sigstack_ct::log::http::fuzzing`): the JSON
//! body, the DER certificates, chain validation against the accepted roots and the leaf
//! encoding, without the ledger.
//!
//! A JSON input is the request body as sent; a binary input is `cert ⁞ cert ⁞ …` (DER, leaf
//! first), so libFuzzer mutates the certificates themselves. Each chain is validated for
//! both endpoints, once with its own last certificate as the accepted root (so the fuzzer
//! controls every signature check) and once against a fixed root it cannot sign for.

use sigstack_ct::log::http::fuzzing::{add_chain_body, validate_chain, AcceptedChain};

use crate::parts;

/// A self-signed P-256 CA no fuzz input holds the key of (the golden Fulcio 1.6.5 root).
const FIXED_ROOT_PEM: &str =
    include_str!("../../../tests/vectors/golden/fulcio-1.6.5/certs/ephemeral-root.pem");

fn fixed_root() -> Vec<u8> {
    use base64::Engine as _;
    let b64: String = FIXED_ROOT_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("the fixed root is PEM")
}

/// The add-chain paths; an accepted chain must have a well-formed identity key.
pub fn ct_add_chain(data: &[u8]) {
    let chain: Vec<Vec<u8>> = if data.first() == Some(&b'{') {
        let Some(chain) = json_chain(data) else {
            // Still the handler's path: the body is refused, without a panic.
            let _ = add_chain_body(data, false, vec![fixed_root()]);
            return;
        };
        for precert in [false, true] {
            check(add_chain_body(data, precert, vec![fixed_root()]));
        }
        chain
    } else {
        parts(data).into_iter().map(<[u8]>::to_vec).collect()
    };
    for precert in [false, true] {
        check(validate_chain(chain.clone(), precert, vec![fixed_root()]));
        if let Some(last) = chain.last() {
            check(validate_chain(chain.clone(), precert, vec![last.clone()]));
        }
    }
}

/// The certificates of a JSON body, decoded here to pick the self-root.
fn json_chain(body: &[u8]) -> Option<Vec<Vec<u8>>> {
    use base64::Engine as _;
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .get("chain")?
        .as_array()?
        .iter()
        .map(|c| {
            base64::engine::general_purpose::STANDARD
                .decode(c.as_str()?)
                .ok()
        })
        .collect()
}

fn check(result: Result<AcceptedChain, String>) {
    if let Ok(accepted) = result {
        assert!(accepted.identity.starts_with("ct-entry:sha256:"));
        assert_eq!(accepted.identity.len(), "ct-entry:sha256:".len() + 64);
    }
}
