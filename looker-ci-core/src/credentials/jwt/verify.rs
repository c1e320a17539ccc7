//! Verifying a JWT's signature with a key from its issuer's JWKS, and its registered claims.
//!
//! Asymmetric algorithms only (RS*, PS*, ES256/ES384, EdDSA): `none` and shared-secret `HS*`
//! tokens are never accepted, and a key is used only for its own type, curve and `alg`, so a
//! token cannot pick a weaker reading of the key (algorithm confusion).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde::Deserialize;

use super::{Claims, Header, split};

/// One key of a JWK set (RFC 7517): the members used for verification.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Jwk {
    /// Key type: `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// Key id, matched against the token header's `kid`.
    pub kid: Option<String>,
    /// The one algorithm the key is for; `None` allows any algorithm that fits its type.
    pub alg: Option<String>,
    /// The JWK's `use`: a key for anything but `sig` is refused; `None` allows signatures.
    #[serde(rename = "use")]
    pub key_use: Option<String>,
    /// RSA modulus, base64url.
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    pub e: Option<String>,
    /// Curve of an `EC` or `OKP` key: `P-256`, `P-384` or `Ed25519`.
    pub crv: Option<String>,
    /// EC x coordinate, or the Ed25519 public key, base64url.
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    pub y: Option<String>,
}

/// A JWK set, as an issuer's `jwks_uri` serves it.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct JwkSet {
    /// The issuer's keys, in the order served.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The key named `kid`; without a `kid`, the only key of a one-key set.
    pub fn find(&self, kid: Option<&str>) -> Option<&Jwk> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        }
    }
}

/// The `alg` values accepted for identity tokens.
pub const ACCEPTED_ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// What a JWK must be to verify `alg`, and ring's algorithm for it.
enum KeyKind {
    Rsa(&'static signature::RsaParameters),
    Ec {
        curve: &'static str,
        coordinate_len: usize,
        algorithm: &'static dyn VerificationAlgorithm,
    },
    Ed25519,
}

fn key_kind(alg: &str) -> Option<KeyKind> {
    Some(match alg {
        "RS256" => KeyKind::Rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
        "RS384" => KeyKind::Rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
        "RS512" => KeyKind::Rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
        "PS256" => KeyKind::Rsa(&signature::RSA_PSS_2048_8192_SHA256),
        "PS384" => KeyKind::Rsa(&signature::RSA_PSS_2048_8192_SHA384),
        "PS512" => KeyKind::Rsa(&signature::RSA_PSS_2048_8192_SHA512),
        "ES256" => KeyKind::Ec {
            curve: "P-256",
            coordinate_len: 32,
            algorithm: &signature::ECDSA_P256_SHA256_FIXED,
        },
        "ES384" => KeyKind::Ec {
            curve: "P-384",
            coordinate_len: 48,
            algorithm: &signature::ECDSA_P384_SHA384_FIXED,
        },
        "EdDSA" => KeyKind::Ed25519,
        _ => return None,
    })
}

fn member(jwk: &Jwk, value: &Option<String>, name: &str) -> Result<Vec<u8>, String> {
    let value = value
        .as_deref()
        .ok_or_else(|| format!("the {} key has no `{name}`", jwk.kty))?;
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| format!("the key's `{name}` is not base64url"))
}

/// Check the signature of `token` (whose header is `header`) with `jwk`. The error says what
/// failed; it never quotes the token.
pub fn verify_signature(token: &str, header: &Header, jwk: &Jwk) -> Result<(), String> {
    let (head, payload, signature) = split(token)?;
    let kind = key_kind(&header.alg).ok_or_else(|| {
        format!(
            "the token is signed with {}; only asymmetric algorithms ({}) are accepted",
            header.alg,
            ACCEPTED_ALGORITHMS.join(", ")
        )
    })?;
    if let Some(alg) = jwk.alg.as_deref().filter(|a| *a != header.alg) {
        return Err(format!(
            "the issuer's key is for {alg}, the token is signed with {}",
            header.alg
        ));
    }
    if let Some(key_use) = jwk.key_use.as_deref().filter(|u| *u != "sig") {
        return Err(format!(
            "the issuer's key is for `{key_use}`, not signatures"
        ));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .map_err(|_| "the token's signature is not base64url".to_owned())?;
    let message = &token.trim().as_bytes()[..head.len() + 1 + payload.len()];
    let wrong_type = |wanted: &str| {
        format!(
            "the issuer's key has type {}; {} needs {wanted}",
            jwk.kty, header.alg
        )
    };
    let verified = match kind {
        KeyKind::Rsa(parameters) => {
            if jwk.kty != "RSA" {
                return Err(wrong_type("an RSA key"));
            }
            let public = signature::RsaPublicKeyComponents {
                n: member(jwk, &jwk.n, "n")?,
                e: member(jwk, &jwk.e, "e")?,
            };
            public.verify(parameters, message, &signature)
        }
        KeyKind::Ec {
            curve,
            coordinate_len,
            algorithm,
        } => {
            if jwk.kty != "EC" || jwk.crv.as_deref() != Some(curve) {
                return Err(wrong_type(&format!("an EC {curve} key")));
            }
            let (x, y) = (member(jwk, &jwk.x, "x")?, member(jwk, &jwk.y, "y")?);
            if x.len() != coordinate_len || y.len() != coordinate_len {
                return Err(format!(
                    "the issuer's {curve} key has coordinates of the wrong size"
                ));
            }
            // The uncompressed point: 0x04 || x || y.
            let point = [&[4u8][..], &x, &y].concat();
            UnparsedPublicKey::new(algorithm, point).verify(message, &signature)
        }
        KeyKind::Ed25519 => {
            if jwk.kty != "OKP" || jwk.crv.as_deref() != Some("Ed25519") {
                return Err(wrong_type("an OKP Ed25519 key"));
            }
            UnparsedPublicKey::new(&signature::ED25519, member(jwk, &jwk.x, "x")?)
                .verify(message, &signature)
        }
    };
    verified.map_err(|_| "the signature does not match the issuer's key".to_owned())
}

/// What the registered claims must say: the token is current (with `leeway_secs` for clock
/// skew; an expiry is required), names `issuer` when one is trusted and `audience` when one is
/// expected. Build it with [`ClaimRules::new`], then set `issuer` and `audience`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ClaimRules<'a> {
    /// The current time, seconds since the Unix epoch.
    pub now_secs: u64,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// The trusted issuer `iss` must name; `None` checks no issuer.
    pub issuer: Option<&'a str>,
    /// An audience `aud` must contain; `None` checks no audience.
    pub audience: Option<&'a str>,
}

impl<'a> ClaimRules<'a> {
    /// Rules that check the expiry (and `nbf`) against `now_secs` with `leeway_secs` of clock
    /// skew, and no issuer or audience.
    pub fn new(now_secs: u64, leeway_secs: u64) -> ClaimRules<'a> {
        ClaimRules {
            now_secs,
            leeway_secs,
            issuer: None,
            audience: None,
        }
    }

    /// `Ok` when `claims` satisfy every rule; otherwise what is wrong, never quoting the token.
    pub fn check(&self, claims: &Claims) -> Result<(), String> {
        let exp = claims
            .exp
            .ok_or_else(|| "the token has no expiry (`exp`)".to_owned())?;
        if exp.saturating_add(self.leeway_secs) <= self.now_secs {
            return Err(format!(
                "the token expired {} s ago",
                self.now_secs.saturating_sub(exp)
            ));
        }
        if let Some(nbf) = claims.nbf
            && nbf > self.now_secs.saturating_add(self.leeway_secs)
        {
            return Err(format!(
                "the token is not valid for another {} s (`nbf`)",
                nbf - self.now_secs
            ));
        }
        self.check_issuer(claims)?;
        if let Some(audience) = self.audience
            && !claims.aud.iter().any(|a| a == audience)
        {
            return Err(format!(
                "the token's audience {:?} does not include {audience}",
                claims.aud
            ));
        }
        Ok(())
    }

    /// The issuer rule alone: a token of another issuer is refused before any key is fetched.
    pub fn check_issuer(&self, claims: &Claims) -> Result<(), String> {
        let Some(issuer) = self.issuer else {
            return Ok(());
        };
        let named = claims.iss.as_deref().map(|i| i.trim_end_matches('/'));
        if named == Some(issuer.trim_end_matches('/')) {
            return Ok(());
        }
        Err(format!(
            "the token's issuer {} is not the trusted issuer {issuer}",
            named.unwrap_or("(none)")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::jwt::keys::{SigningAlgorithm, SigningKey};
    use base64::engine::general_purpose::STANDARD;
    use ring::rand::SystemRandom;
    use ring::signature::{Ed25519KeyPair, KeyPair};
    use serde_json::json;

    fn ed25519() -> (Ed25519KeyPair, Jwk) {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let jwk = serde_json::from_value(json!({"kty": "OKP", "crv": "Ed25519", "kid": "ed",
            "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref())}))
        .unwrap();
        (pair, jwk)
    }

    fn ed_token(pair: &Ed25519KeyPair, alg: &str, claims: &serde_json::Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": "ed"}).to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = URL_SAFE_NO_PAD.encode(pair.sign(input.as_bytes()));
        format!("{input}.{sig}")
    }

    #[test]
    fn eddsa_verifies_and_a_changed_payload_does_not() {
        let (pair, jwk) = ed25519();
        let token = ed_token(&pair, "EdDSA", &json!({"sub": "ci"}));
        let header = Header::decode(&token).unwrap();
        verify_signature(&token, &header, &jwk).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode(json!({"sub": "admin"}).to_string());
        parts[1] = &other;
        let tampered = parts.join(".");
        let err = verify_signature(&tampered, &header, &jwk).unwrap_err();
        assert!(err.contains("does not match"), "{err}");
    }

    #[test]
    fn none_hmac_and_mismatched_keys_are_refused() {
        let (pair, jwk) = ed25519();
        for alg in ["none", "HS256"] {
            let token = ed_token(&pair, alg, &json!({}));
            let err = verify_signature(&token, &Header::decode(&token).unwrap(), &jwk).unwrap_err();
            assert!(err.contains("only asymmetric"), "{alg}: {err}");
        }
        // An EdDSA key asked to verify an RS256 or ES256 token: refused by type, not tried.
        for alg in ["RS256", "ES256"] {
            let token = ed_token(&pair, alg, &json!({}));
            let err = verify_signature(&token, &Header::decode(&token).unwrap(), &jwk).unwrap_err();
            assert!(err.contains("has type OKP"), "{alg}: {err}");
        }
        // A key that names its algorithm is used for that one only; an encryption key never.
        let token = ed_token(&pair, "EdDSA", &json!({}));
        let header = Header::decode(&token).unwrap();
        let pinned = Jwk {
            alg: Some("ES256".into()),
            ..jwk.clone()
        };
        let err = verify_signature(&token, &header, &pinned).unwrap_err();
        assert!(err.contains("is for ES256"), "{err}");
        let encryption = Jwk {
            key_use: Some("enc".into()),
            ..jwk
        };
        let err = verify_signature(&token, &header, &encryption).unwrap_err();
        assert!(err.contains("`enc`"), "{err}");
    }

    #[test]
    fn es256_with_a_short_coordinate_is_refused() {
        let key = SigningKey::from_pem(
            format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
                STANDARD.encode(
                    ring::signature::EcdsaKeyPair::generate_pkcs8(
                        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                        &SystemRandom::new()
                    )
                    .unwrap()
                )
            )
            .as_bytes(),
            SigningAlgorithm::ES256,
        )
        .unwrap();
        let token = key.sign(None, &json!({})).unwrap();
        let jwk: Jwk =
            serde_json::from_value(json!({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}))
                .unwrap();
        let err = verify_signature(&token, &Header::decode(&token).unwrap(), &jwk).unwrap_err();
        assert!(err.contains("wrong size"), "{err}");
    }

    #[test]
    fn claim_rules_need_a_current_token_of_the_trusted_issuer_and_audience() {
        let rules = ClaimRules {
            now_secs: 1_000,
            leeway_secs: 30,
            issuer: Some("https://gitlab.example.com"),
            audience: Some("sts.amazonaws.com"),
        };
        let good = Claims {
            iss: Some("https://gitlab.example.com/".into()),
            aud: vec!["other".into(), "sts.amazonaws.com".into()],
            exp: Some(1_010),
            ..Claims::default()
        };
        rules.check(&good).unwrap();
        let cases = [
            (
                Claims {
                    exp: None,
                    ..good.clone()
                },
                "no expiry",
            ),
            (
                Claims {
                    exp: Some(960),
                    ..good.clone()
                },
                "expired 40 s ago",
            ),
            (
                Claims {
                    nbf: Some(1_100),
                    ..good.clone()
                },
                "not valid for another 100 s",
            ),
            (
                Claims {
                    iss: Some("https://evil.test".into()),
                    ..good.clone()
                },
                "not the trusted issuer",
            ),
            (
                Claims {
                    iss: None,
                    ..good.clone()
                },
                "(none)",
            ),
            (
                Claims {
                    aud: vec!["other".into()],
                    ..good.clone()
                },
                "does not include sts.amazonaws.com",
            ),
        ];
        for (claims, expected) in cases {
            let err = rules.check(&claims).unwrap_err();
            assert!(err.contains(expected), "{expected}: {err}");
        }
        // Within the leeway an expired token still passes (clock skew).
        rules
            .check(&Claims {
                exp: Some(980),
                ..good
            })
            .unwrap();
    }

    #[test]
    fn a_set_finds_keys_by_kid_or_its_only_key() {
        let set: JwkSet = serde_json::from_value(json!({"keys": [
            {"kty": "RSA", "kid": "a", "n": "AQAB", "e": "AQAB"},
            {"kty": "EC", "kid": "b", "crv": "P-256", "x": "AA", "y": "AA"},
        ]}))
        .unwrap();
        assert_eq!(set.find(Some("b")).unwrap().kty, "EC");
        assert!(set.find(Some("c")).is_none());
        assert!(set.find(None).is_none());
        let one = JwkSet {
            keys: vec![set.keys[0].clone()],
        };
        assert_eq!(one.find(None).unwrap().kid.as_deref(), Some("a"));
    }
}
