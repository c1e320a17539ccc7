//! Signing a JWT with a PEM private key: the Okta client assertion (`private_key_jwt`).
//!
//! On `ring`, which TLS already links: RSA signing there has no known timing side channel
//! (the `rsa` crate's RUSTSEC-2023-0071 is why we do not use a JWT crate's pure-Rust backend).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};

/// The algorithms a client assertion can be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, for an RSA key.
    RS256,
    /// ECDSA on P-256 with SHA-256, for an EC key.
    ES256,
}

impl SigningAlgorithm {
    /// `RS256`/`ES256`, any case; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "RS256" => Some(SigningAlgorithm::RS256),
            "ES256" => Some(SigningAlgorithm::ES256),
            _ => None,
        }
    }

    /// The JOSE name (`alg`).
    pub fn name(self) -> &'static str {
        match self {
            SigningAlgorithm::RS256 => "RS256",
            SigningAlgorithm::ES256 => "ES256",
        }
    }
}

/// A private key ready to sign JWTs with one algorithm. `Debug` shows the algorithm only.
pub struct SigningKey {
    algorithm: SigningAlgorithm,
    pair: KeyPair,
}

enum KeyPair {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, [REDACTED])", self.algorithm.name())
    }
}

impl SigningKey {
    /// Read a PEM private key for `algorithm`: PKCS#8 (`PRIVATE KEY`) for both, PKCS#1
    /// (`RSA PRIVATE KEY`) for RS256, SEC1 (`EC PRIVATE KEY`, P-256) for ES256. The error says
    /// what is wrong with the key in general terms and never quotes it.
    pub fn from_pem(pem: &[u8], algorithm: SigningAlgorithm) -> Result<Self, String> {
        let (label, der) = pem_block(pem)?;
        let rng = SystemRandom::new();
        let pair = match (algorithm, label.as_str()) {
            (_, "ENCRYPTED PRIVATE KEY") => {
                return Err("is an encrypted private key; give the key unencrypted".into());
            }
            (SigningAlgorithm::RS256, "PRIVATE KEY") => {
                RsaKeyPair::from_pkcs8(&der).map(KeyPair::Rsa)
            }
            (SigningAlgorithm::RS256, "RSA PRIVATE KEY") => {
                RsaKeyPair::from_der(&der).map(KeyPair::Rsa)
            }
            (SigningAlgorithm::ES256, "PRIVATE KEY") => {
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
                    .map(KeyPair::Ecdsa)
            }
            (SigningAlgorithm::ES256, "EC PRIVATE KEY") => {
                let (private, public) = sec1_parts(&der)?;
                EcdsaKeyPair::from_private_key_and_public_key(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    private,
                    public,
                    &rng,
                )
                .map(KeyPair::Ecdsa)
            }
            (algorithm, label) => {
                return Err(format!(
                    "is a PEM `{label}` block, not a private key usable for {}",
                    algorithm.name()
                ));
            }
        }
        .map_err(|why| {
            format!(
                "is not a private key usable for {} ({why})",
                algorithm.name()
            )
        })?;
        Ok(SigningKey { algorithm, pair })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// A compact JWS of `claims`, with `alg`, `typ` and `kid` (when given) in the header.
    pub fn sign(&self, key_id: Option<&str>, claims: &serde_json::Value) -> Result<String, String> {
        let mut header = serde_json::json!({"alg": self.algorithm.name(), "typ": "JWT"});
        if let Some(kid) = key_id {
            header["kid"] = kid.into();
        }
        let encode = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let input = format!("{}.{}", encode(&header), encode(claims));
        let rng = SystemRandom::new();
        let signature = match &self.pair {
            KeyPair::Rsa(pair) => {
                let mut out = vec![0u8; pair.public().modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut out)
                    .map_err(|_| "RSA signing failed".to_owned())?;
                out
            }
            KeyPair::Ecdsa(pair) => pair
                .sign(&rng, input.as_bytes())
                .map_err(|_| "ECDSA signing failed".to_owned())?
                .as_ref()
                .to_vec(),
        };
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// The label and DER bytes of the first PEM block in `pem`.
pub(crate) fn pem_block(pem: &[u8]) -> Result<(String, Vec<u8>), String> {
    let text = std::str::from_utf8(pem).map_err(|_| "is not PEM text".to_owned())?;
    let not_pem = || "is not a PEM block (no -----BEGIN ...----- line)".to_owned();
    let start = text.find("-----BEGIN ").ok_or_else(not_pem)?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let label_end = rest.find("-----").ok_or_else(not_pem)?;
    let label = rest[..label_end].trim().to_owned();
    let body = &rest[label_end + "-----".len()..];
    let end_line = format!("-----END {label}-----");
    let body_end = body
        .find(&end_line)
        .ok_or_else(|| format!("has no -----END {label}----- line"))?;
    let base64: String = body[..body_end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if base64.contains(':') {
        return Err("is an encrypted PEM key (it has headers); give the key unencrypted".into());
    }
    let der = STANDARD
        .decode(base64)
        .map_err(|_| format!("has a `{label}` block whose body is not base64"))?;
    Ok((label, der))
}

/// The private scalar and the public point of a SEC1 `ECPrivateKey` (RFC 5915):
/// `SEQUENCE { INTEGER 1, OCTET STRING key, [0] parameters OPTIONAL, [1] BIT STRING public }`.
/// The public key is required (every tool writes it).
fn sec1_parts(der: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let bad = || "is not a SEC1 EC private key".to_owned();
    let (tag, body, _) = der_read(der).ok_or_else(bad)?;
    if tag != 0x30 {
        return Err(bad());
    }
    let (tag, version, rest) = der_read(body).ok_or_else(bad)?;
    if tag != 0x02 || version != [1] {
        return Err(bad());
    }
    let (tag, private, mut rest) = der_read(rest).ok_or_else(bad)?;
    if tag != 0x04 {
        return Err(bad());
    }
    while !rest.is_empty() {
        let (tag, value, next) = der_read(rest).ok_or_else(bad)?;
        if tag == 0xa1 {
            let (tag, bits, _) = der_read(value).ok_or_else(bad)?;
            // A BIT STRING's first byte counts unused bits: a point has none.
            return match bits.split_first() {
                Some((0, point)) if tag == 0x03 => Ok((private, point)),
                _ => Err(bad()),
            };
        }
        rest = next;
    }
    Err("is a SEC1 EC private key without its public key; convert it to PKCS#8".into())
}

/// One DER element: (tag, value, what follows). Single-byte tags, definite lengths only.
fn der_read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[count..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::jwt::verify::{Jwk, verify_signature};
    use ring::signature::KeyPair as _;

    fn pem(label: &str, der: &[u8]) -> String {
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            STANDARD.encode(der)
        )
    }

    fn p256_pkcs8() -> Vec<u8> {
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap()
            .as_ref()
            .to_vec()
    }

    /// The JWK of an ES256 key pair's public half.
    fn p256_jwk(pkcs8: &[u8]) -> Jwk {
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8,
            &SystemRandom::new(),
        )
        .unwrap();
        let point = pair.public_key().as_ref();
        serde_json::from_value(serde_json::json!({
            "kty": "EC", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        }))
        .unwrap()
    }

    #[test]
    fn es256_from_pkcs8_signs_what_the_public_key_verifies() {
        let pkcs8 = p256_pkcs8();
        let key = SigningKey::from_pem(
            pem("PRIVATE KEY", &pkcs8).as_bytes(),
            SigningAlgorithm::ES256,
        )
        .unwrap();
        let token = key
            .sign(Some("k1"), &serde_json::json!({"sub": "ci"}))
            .unwrap();
        let header = super::super::Header::decode(&token).unwrap();
        assert_eq!(
            (header.alg.as_str(), header.kid.as_deref()),
            ("ES256", Some("k1"))
        );
        verify_signature(&token, &header, &p256_jwk(&pkcs8)).unwrap();
        // Another key's JWK does not verify it.
        verify_signature(&token, &header, &p256_jwk(&p256_pkcs8())).unwrap_err();
    }

    #[test]
    fn rs256_from_pkcs1_signs_what_its_public_jwk_verifies() {
        // A key made for this test only (`openssl genrsa -traditional 2048`).
        let pem = include_str!("testdata/test-only-rsa-pkcs1.pem");
        let key = SigningKey::from_pem(pem.as_bytes(), SigningAlgorithm::RS256).unwrap();
        let KeyPair::Rsa(pair) = &key.pair else {
            panic!("an RSA key")
        };
        let public = ring::signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "RSA", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e),
        }))
        .unwrap();
        let token = key
            .sign(Some("r1"), &serde_json::json!({"sub": "ci"}))
            .unwrap();
        let header = super::super::Header::decode(&token).unwrap();
        verify_signature(&token, &header, &jwk).unwrap();
        let err = SigningKey::from_pem(pem.as_bytes(), SigningAlgorithm::ES256).unwrap_err();
        assert!(
            err.contains("`RSA PRIVATE KEY` block, not a private key usable for ES256"),
            "{err}"
        );
    }

    #[test]
    fn es256_from_sec1_is_the_same_key_as_its_pkcs8_form() {
        // PKCS#8 for P-256 wraps the SEC1 structure in an OCTET STRING after a fixed prefix:
        // take it out to build the SEC1 PEM that `openssl ecparam -genkey` writes.
        let pkcs8 = p256_pkcs8();
        let (_, info, _) = der_read(&pkcs8).unwrap();
        let (_, _, rest) = der_read(info).unwrap(); // version
        let (_, _, rest) = der_read(rest).unwrap(); // algorithm
        let (tag, sec1, _) = der_read(rest).unwrap();
        assert_eq!(tag, 0x04);
        let key = SigningKey::from_pem(
            pem("EC PRIVATE KEY", sec1).as_bytes(),
            SigningAlgorithm::ES256,
        )
        .unwrap();
        let token = key.sign(None, &serde_json::json!({})).unwrap();
        let header = super::super::Header::decode(&token).unwrap();
        verify_signature(&token, &header, &p256_jwk(&pkcs8)).unwrap();
    }

    #[test]
    fn unusable_keys_are_refused_without_quoting_them() {
        let pkcs8 = pem("PRIVATE KEY", &p256_pkcs8());
        let cases = [
            ("not a pem", SigningAlgorithm::RS256, "not a PEM block"),
            (
                pkcs8.as_str(),
                SigningAlgorithm::RS256,
                "not a private key usable for RS256",
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
                SigningAlgorithm::ES256,
                "encrypted",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----",
                SigningAlgorithm::ES256,
                "not base64",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                SigningAlgorithm::ES256,
                "`CERTIFICATE` block",
            ),
            (
                "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----",
                SigningAlgorithm::ES256,
                "SEC1",
            ),
        ];
        for (text, alg, expected) in cases {
            let err = SigningKey::from_pem(text.as_bytes(), alg).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(!err.contains("AAAA") && !err.contains("!!!!"), "{err}");
        }
        let key = SigningKey::from_pem(pkcs8.as_bytes(), SigningAlgorithm::ES256).unwrap();
        assert_eq!(format!("{key:?}"), "SigningKey(ES256, [REDACTED])");
    }

    #[test]
    fn der_lengths_that_overrun_are_refused() {
        assert_eq!(der_read(&[0x30, 0x05, 1, 2]), None);
        assert_eq!(der_read(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(der_read(&[0x30, 0x80]), None);
        assert_eq!(
            der_read(&[0x04, 0x81, 0x01, 9]),
            Some((0x04, &[9u8][..], &[][..]))
        );
    }
}
