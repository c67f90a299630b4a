//! Adversarial signed-note cases: tampering, wrong keys and names, truncation, duplicate
//! lines, impostor keys that reuse a known key ID, and the syntactic edges of the format.
#![allow(clippy::unwrap_used)]

use sigstack_merkle::note::{
    self, KeyId, NamedSigner, NamedVerifier, Note, NoteError, NoteSigner, NoteVerifier,
    MAX_SIGNATURES,
};
use sigstack_merkle::signature::{EcdsaP256Signer, Ed25519Signer, SignatureError};

const TEXT: &str = "example.com/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

fn ed25519(name: &str, seed_byte: u8) -> NamedSigner<Ed25519Signer> {
    NamedSigner::new(name, Ed25519Signer::from_seed(&[seed_byte; 32]).unwrap()).unwrap()
}

fn ecdsa(name: &str) -> NamedSigner<EcdsaP256Signer> {
    let pkcs8 = EcdsaP256Signer::generate_pkcs8_der().unwrap();
    NamedSigner::new(name, EcdsaP256Signer::from_pkcs8_der(&pkcs8).unwrap()).unwrap()
}

fn signed(signers: &[&dyn NoteSigner]) -> String {
    Note::sign(TEXT, signers).unwrap().encode()
}

/// A signer that writes someone else's name and key ID in front of its own signature.
struct Impostor<'a> {
    claims: &'a dyn NoteSigner,
    really: &'a dyn NoteSigner,
}

impl NoteSigner for Impostor<'_> {
    fn name(&self) -> &str {
        self.claims.name()
    }
    fn key_id(&self) -> KeyId {
        self.claims.key_id()
    }
    fn sign(&self, text: &[u8]) -> Result<Vec<u8>, SignatureError> {
        self.really.sign(text)
    }
}

/// A verifier that claims a name and key ID its key does not have.
struct Mislabelled<'a> {
    name: &'a str,
    key_id: KeyId,
    key: &'a dyn NoteVerifier,
}

impl NoteVerifier for Mislabelled<'_> {
    fn name(&self) -> &str {
        self.name
    }
    fn key_id(&self) -> KeyId {
        self.key_id
    }
    fn verify(&self, text: &[u8], signature: &[u8]) -> bool {
        self.key.verify(text, signature)
    }
}

#[test]
fn ed25519_and_ecdsa_round_trip() {
    let ed = ed25519("example.com/log", 7);
    let ec = ecdsa("rekor.example.com");
    for signer in [&ed as &dyn NoteSigner, &ec] {
        let encoded = signed(&[signer]);
        let verifier: NamedVerifier = if signer.name() == ed.name() {
            ed.verifier()
        } else {
            ec.verifier()
        };
        let (note, verification) = note::open(encoded.as_bytes(), &[&verifier]).unwrap();
        assert_eq!(note.text(), TEXT);
        assert_eq!(verification.verified.len(), 1);
        assert!(verification.unverified.is_empty());
    }
}

#[test]
fn ecdsa_signatures_differ_but_both_verify() {
    let ec = ecdsa("rekor.example.com");
    let a = signed(&[&ec]);
    let b = signed(&[&ec]);
    assert_ne!(a, b, "ECDSA is randomised");
    for n in [a, b] {
        assert!(note::open(n.as_bytes(), &[&ec.verifier()]).is_ok());
    }
}

#[test]
fn tampered_text_fails() {
    let ed = ed25519("example.com/log", 1);
    let ec = ecdsa("rekor.example.com");
    for (signer, verifier) in [
        (&ed as &dyn NoteSigner, ed.verifier()),
        (&ec, ec.verifier()),
    ] {
        let encoded = signed(&[signer]);
        let tampered = encoded.replacen("\n42\n", "\n43\n", 1);
        assert_ne!(tampered, encoded);
        assert!(matches!(
            note::open(tampered.as_bytes(), &[&verifier]),
            Err(NoteError::InvalidSignature { .. })
        ));
        // Adding a blank line to the text changes the signed bytes too.
        let extra_line = encoded.replacen(TEXT, &format!("{TEXT}\n"), 1);
        assert!(matches!(
            note::open(extra_line.as_bytes(), &[&verifier]),
            Err(NoteError::InvalidSignature { .. })
        ));
    }
}

#[test]
fn every_flipped_signature_bit_fails() {
    let ed = ed25519("example.com/log", 2);
    let verifier = ed.verifier();
    let note = Note::sign(TEXT, &[&ed]).unwrap();
    let sig = &note.signatures()[0];
    for bit in 0..sig.signature.len() * 8 {
        let mut bad = sig.clone();
        bad.signature[bit / 8] ^= 1 << (bit % 8);
        let encoded = format!("{TEXT}\n{}", bad.to_line());
        assert!(
            matches!(
                note::open(encoded.as_bytes(), &[&verifier]),
                Err(NoteError::InvalidSignature { .. })
            ),
            "bit {bit}"
        );
    }
}

#[test]
fn tampered_key_id_makes_the_signature_unknown() {
    let ed = ed25519("example.com/log", 2);
    let note = Note::sign(TEXT, &[&ed]).unwrap();
    let mut sig = note.signatures()[0].clone();
    sig.key_id.0[3] ^= 1;
    let encoded = format!("{TEXT}\n{}", sig.to_line());
    assert_eq!(
        note::open(encoded.as_bytes(), &[&ed.verifier()]).unwrap_err(),
        NoteError::UnverifiedNote
    );
}

#[test]
fn wrong_key_is_unknown_not_verified() {
    let signer = ed25519("example.com/log", 3);
    let other = ed25519("example.com/log", 4);
    let encoded = signed(&[&signer]);
    assert_eq!(
        note::open(encoded.as_bytes(), &[&other.verifier()]).unwrap_err(),
        NoteError::UnverifiedNote
    );
    // Same for ECDSA, where the name is not part of the key ID.
    let ec = ecdsa("rekor.example.com");
    let ec_other = ecdsa("rekor.example.com");
    let encoded = signed(&[&ec]);
    assert_eq!(
        note::open(encoded.as_bytes(), &[&ec_other.verifier()]).unwrap_err(),
        NoteError::UnverifiedNote
    );
}

#[test]
fn wrong_name_is_unknown_not_verified() {
    let signer = ed25519("example.com/log", 5);
    let encoded = signed(&[&signer]);
    let renamed =
        NamedVerifier::new("example.com/other", signer.verifier().public_key().clone()).unwrap();
    assert_eq!(
        note::open(encoded.as_bytes(), &[&renamed]).unwrap_err(),
        NoteError::UnverifiedNote
    );
    // ECDSA: same key ID under another name is still a different key identity.
    let ec = ecdsa("rekor.example.com");
    let encoded = signed(&[&ec]);
    let renamed =
        NamedVerifier::new("rekor.example.org", ec.verifier().public_key().clone()).unwrap();
    assert_eq!(renamed.key_id(), ec.key_id());
    assert_eq!(
        note::open(encoded.as_bytes(), &[&renamed]).unwrap_err(),
        NoteError::UnverifiedNote
    );
}

#[test]
fn signature_by_a_key_with_the_right_id_but_the_wrong_key_fails() {
    let genuine = ed25519("example.com/log", 6);
    let attacker = ed25519("example.com/log", 9);
    let forged = Impostor {
        claims: &genuine,
        really: &attacker,
    };
    let encoded = signed(&[&forged]);
    assert!(matches!(
        note::open(encoded.as_bytes(), &[&genuine.verifier()]),
        Err(NoteError::InvalidSignature { .. })
    ));

    let ec_genuine = ecdsa("rekor.example.com");
    let ec_attacker = ecdsa("rekor.example.com");
    let forged = Impostor {
        claims: &ec_genuine,
        really: &ec_attacker,
    };
    let encoded = signed(&[&forged]);
    assert!(matches!(
        note::open(encoded.as_bytes(), &[&ec_genuine.verifier()]),
        Err(NoteError::InvalidSignature { .. })
    ));
}

#[test]
fn verifier_claiming_the_right_id_with_the_wrong_key_fails() {
    let genuine = ed25519("example.com/log", 6);
    let other = ed25519("example.com/log", 8).verifier();
    let mislabelled = Mislabelled {
        name: genuine.name(),
        key_id: genuine.key_id(),
        key: &other,
    };
    let encoded = signed(&[&genuine]);
    assert!(matches!(
        note::open(encoded.as_bytes(), &[&mislabelled]),
        Err(NoteError::InvalidSignature { .. })
    ));
}

#[test]
fn a_bad_known_signature_is_fatal_even_next_to_a_good_one() {
    let log = ed25519("example.com/log", 1);
    let witness = ed25519("witness.example.com", 2);
    let attacker = ed25519("witness.example.com", 3);
    let forged = Impostor {
        claims: &witness,
        really: &attacker,
    };
    let encoded = signed(&[&log, &forged]);
    assert!(note::open(encoded.as_bytes(), &[&log.verifier()]).is_ok());
    assert!(matches!(
        note::open(encoded.as_bytes(), &[&log.verifier(), &witness.verifier()]),
        Err(NoteError::InvalidSignature { name, .. }) if name == "witness.example.com"
    ));
}

#[test]
fn truncated_notes_never_verify() {
    let ed = ed25519("example.com/log", 10);
    let ec = ecdsa("rekor.example.com");
    for (signer, verifier) in [
        (&ed as &dyn NoteSigner, ed.verifier()),
        (&ec, ec.verifier()),
    ] {
        let encoded = signed(&[signer]);
        for cut in 0..encoded.len() {
            let Some(prefix) = encoded.get(..cut) else {
                continue;
            };
            assert!(
                note::open(prefix.as_bytes(), &[&verifier]).is_err(),
                "prefix of {cut} bytes verified"
            );
        }
        // Byte-level truncation inside the em dash is invalid UTF-8.
        let dash = encoded.find('\u{2014}').unwrap();
        assert!(Note::parse(&encoded.as_bytes()[..dash + 1]).is_err());
    }
}

#[test]
fn dropping_a_whole_cosignature_line_still_verifies_the_log_signature() {
    let log = ed25519("example.com/log", 11);
    let witness = ed25519("witness.example.com", 12);
    let encoded = signed(&[&log, &witness]);
    let first_line_end = encoded.find("\n\u{2014} witness").unwrap() + 1;
    let without_witness = &encoded[..first_line_end];
    let (_, verification) = note::open(without_witness.as_bytes(), &[&log.verifier()]).unwrap();
    assert_eq!(verification.verified.len(), 1);
    assert_eq!(
        note::open(without_witness.as_bytes(), &[&witness.verifier()]).unwrap_err(),
        NoteError::UnverifiedNote
    );
}

#[test]
fn duplicate_signature_lines() {
    let log = ed25519("example.com/log", 13);
    let unknown = ed25519("witness.example.com", 14);
    let encoded = signed(&[&log, &unknown]);
    let (text, block) = encoded.split_once("\n\n").unwrap();
    let doubled = format!("{text}\n\n{block}{block}");
    let note = Note::parse(doubled.as_bytes()).unwrap();
    assert_eq!(note.signatures().len(), 4);
    let verification = note.verify(&[&log.verifier()]).unwrap();
    // Each known key is reported once, and identical unknown lines once.
    assert_eq!(verification.verified.len(), 1);
    assert_eq!(verification.unverified.len(), 1);

    // A second, different-but-valid ECDSA signature by the same key is fine…
    let ec = ecdsa("rekor.example.com");
    let a = Note::sign(TEXT, &[&ec]).unwrap();
    let b = Note::sign(TEXT, &[&ec]).unwrap();
    let two = format!(
        "{TEXT}\n{}{}",
        a.signatures()[0].to_line(),
        b.signatures()[0].to_line()
    );
    let verification = note::open(two.as_bytes(), &[&ec.verifier()]).unwrap().1;
    assert_eq!(verification.verified.len(), 1);

    // …but a duplicate line for a known key that does not verify is rejected (the spec's
    // MUST-verify rule; Go's x/mod would skip the repeat).
    let mut bad = a.signatures()[0].clone();
    bad.signature[10] ^= 0x40;
    let mixed = format!("{TEXT}\n{}{}", a.signatures()[0].to_line(), bad.to_line());
    assert!(matches!(
        note::open(mixed.as_bytes(), &[&ec.verifier()]),
        Err(NoteError::InvalidSignature { .. })
    ));
}

#[test]
fn ambiguous_known_verifiers_are_an_error() {
    let log = ed25519("example.com/log", 15);
    let encoded = signed(&[&log]);
    let v1 = log.verifier();
    let v2 = log.verifier();
    assert!(matches!(
        note::open(encoded.as_bytes(), &[&v1, &v2]),
        Err(NoteError::AmbiguousVerifier { .. })
    ));
}

#[test]
fn unknown_signatures_are_reported_alongside_known_ones() {
    let log = ed25519("example.com/log", 16);
    let w1 = ed25519("w1.example", 17);
    let w2 = ecdsa("w2.example");
    let encoded = signed(&[&log, &w1, &w2]);
    let (_, verification) = note::open(encoded.as_bytes(), &[&log.verifier()]).unwrap();
    let names: Vec<&str> = verification
        .unverified
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["w1.example", "w2.example"]);
    let (_, all) = note::open(
        encoded.as_bytes(),
        &[&w2.verifier(), &log.verifier(), &w1.verifier()],
    )
    .unwrap();
    let names: Vec<&str> = all.verified.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["example.com/log", "w1.example", "w2.example"]);
    assert!(all.unverified.is_empty());
}

#[test]
fn cosigning_appends_and_replaces_same_key() {
    let log = ed25519("example.com/log", 18);
    let witness = ed25519("witness.example.com", 19);
    let ec = ecdsa("rekor.example.com");
    let mut note = Note::sign(TEXT, &[&log, &ec]).unwrap();
    let first_ec = note.signatures()[1].clone();
    note.add_signatures(&[&witness]).unwrap();
    let names: Vec<&str> = note.signatures().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "example.com/log",
            "rekor.example.com",
            "witness.example.com"
        ]
    );
    // Re-signing with the ECDSA key replaces its old line and moves it to the end.
    note.add_signatures(&[&ec]).unwrap();
    let names: Vec<&str> = note.signatures().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "example.com/log",
            "witness.example.com",
            "rekor.example.com"
        ]
    );
    assert_ne!(note.signatures()[2], first_ec);
    let reparsed = Note::parse(note.encode().as_bytes()).unwrap();
    assert_eq!(reparsed, note);
    reparsed
        .verify(&[&log.verifier(), &witness.verifier(), &ec.verifier()])
        .unwrap();
}

#[test]
fn text_may_contain_blank_lines_and_the_last_one_separates() {
    let log = ed25519("example.com/log", 20);
    for text in ["a\n\nb\n", "a\n\n", "\n", "\n\n\n", "a\n\n\n\n"] {
        let note = Note::sign(text, &[&log]).unwrap();
        let (opened, _) = note::open(note.encode().as_bytes(), &[&log.verifier()]).unwrap();
        assert_eq!(opened.text(), text);
    }
}

#[test]
fn invalid_text_cannot_be_signed() {
    let log = ed25519("example.com/log", 21);
    for text in [
        "",
        "no newline",
        "tab\there\n",
        "cr\r\n",
        "nul\0\n",
        "esc\u{1b}\n",
    ] {
        assert!(
            matches!(Note::sign(text, &[&log]), Err(NoteError::InvalidText(_))),
            "{text:?}"
        );
    }
    assert_eq!(
        Note::sign(TEXT, &[]).unwrap_err(),
        NoteError::SignatureCount
    );
    // DEL and non-ASCII are fine.
    assert!(Note::sign("del\u{7f} ünïcødé — ok\n", &[&log]).is_ok());
}

#[test]
fn invalid_key_names_are_rejected_everywhere() {
    for name in ["", "a b", "a+b", "a\u{a0}b", "a\u{2003}b", "a\tb", "a\nb"] {
        assert!(
            matches!(
                NamedSigner::new(name, Ed25519Signer::from_seed(&[1; 32]).unwrap()),
                Err(NoteError::InvalidKeyName(_))
            ),
            "{name:?}"
        );
        assert!(!note::is_valid_key_name(name));
    }
    let log = ed25519("example.com/log", 22);
    let line_name = "Bad\u{a0}Name";
    let encoded = signed(&[&log]).replace("example.com/log ", &format!("{line_name} "));
    assert!(matches!(
        Note::parse(encoded.as_bytes()),
        Err(NoteError::Malformed(_))
    ));
}

#[test]
fn signature_line_syntax() {
    let log = ed25519("example.com/log", 23);
    let encoded = signed(&[&log]);
    let (text, line) = encoded.split_once("\n\n").unwrap();
    let line = line.trim_end_matches('\n');
    let (_, b64) = line.rsplit_once(' ').unwrap();
    let text = format!("{text}\n\n");
    let cases = [
        format!("- example.com/log {b64}\n"),
        format!("\u{2014}example.com/log {b64}\n"),
        format!("\u{2014}  example.com/log {b64}\n"),
        format!("\u{2014} example.com/log  {b64}\n"),
        format!("\u{2014} example.com/log {b64} \n"),
        "\u{2014} example.com/log\n".to_owned(),
        "\u{2014} example.com/log \n".to_owned(),
        format!("\u{2014} {b64}\n"),
        format!("\u{2014} example.com/log {}\n", &b64[..b64.len() - 1]),
        "\u{2014} example.com/log AAAAAA==\n".to_owned(),
        "\u{2014} example.com/log AAAAAA=\n".to_owned(),
        format!("\u{2014} example.com/log {b64}\r\n"),
        format!("\u{2014} example.com/log {b64}\n\n"),
        format!("\u{2014} example.com/log {b64}\nstray\n"),
        format!("\u{2014} example.com/log {b64}"),
    ];
    for case in cases {
        let note = format!("{text}{case}");
        assert!(
            Note::parse(note.as_bytes()).is_err(),
            "must be rejected: {case:?}"
        );
    }
    // Five bytes is the minimum: key ID plus one signature byte.
    let min = format!("{text}\u{2014} example.com/log AAAAAAA=\n");
    assert_eq!(
        Note::parse(min.as_bytes()).unwrap().signatures()[0].signature,
        [0]
    );
}

#[test]
fn base64_with_nonzero_padding_bits_is_accepted_like_go() {
    let log = ed25519("example.com/log", 24);
    let encoded = signed(&[&log]);
    // 4 + 64 = 68 bytes: the last group holds 2 bytes, so one '=' and 2 unused bits in the
    // last data character.
    let body = encoded.trim_end_matches('\n');
    assert!(body.ends_with("=") && !body.ends_with("=="));
    let data = body.trim_end_matches('=');
    let last_char = data.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let value = alphabet.find(last_char).unwrap();
    assert_eq!(value & 0x03, 0, "canonical encoding has zero padding bits");
    let sloppy_char = alphabet.chars().nth(value | 0x01).unwrap();
    let sloppy = format!("{}{sloppy_char}=\n", &data[..data.len() - 1]);
    assert_ne!(sloppy, encoded);
    let (note, _) = note::open(sloppy.as_bytes(), &[&log.verifier()]).unwrap();
    // We always re-emit canonical base64.
    assert_eq!(note.encode(), encoded);
}

#[test]
fn signature_count_limits() {
    let log = ed25519("example.com/log", 25);
    let line = Note::sign(TEXT, &[&log]).unwrap().signatures()[0].to_line();
    let with = |n: usize| format!("{TEXT}\n{}", line.repeat(n));
    assert!(note::open(with(16).as_bytes(), &[&log.verifier()]).is_ok());
    assert!(note::open(with(MAX_SIGNATURES).as_bytes(), &[&log.verifier()]).is_ok());
    assert_eq!(
        Note::parse(with(MAX_SIGNATURES + 1).as_bytes()).unwrap_err(),
        NoteError::Malformed("too many signatures")
    );

    let signers: Vec<NamedSigner<Ed25519Signer>> = (0..=MAX_SIGNATURES)
        .map(|i| ed25519(&format!("w{i}.example"), i as u8))
        .collect();
    let refs: Vec<&dyn NoteSigner> = signers.iter().map(|s| s as &dyn NoteSigner).collect();
    assert!(Note::sign(TEXT, &refs[..MAX_SIGNATURES]).is_ok());
    assert_eq!(
        Note::sign(TEXT, &refs).unwrap_err(),
        NoteError::SignatureCount
    );
}

#[test]
fn control_characters_anywhere_are_rejected() {
    let log = ed25519("example.com/log", 26);
    let encoded = signed(&[&log]);
    for (i, _) in encoded.char_indices() {
        for c in ['\0', '\t', '\r', '\u{1f}'] {
            let mut bad = encoded.clone();
            bad.insert(i, c);
            assert!(
                matches!(Note::parse(bad.as_bytes()), Err(NoteError::Malformed(_))),
                "{c:?} at {i}"
            );
        }
    }
}
