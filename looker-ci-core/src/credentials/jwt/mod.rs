//! JSON Web Tokens, the little looker-ci needs, on `ring` (which TLS already links).
//!
//! This module reads a JWT's claims without trusting them: enough to drive expiry and to catch a
//! wrong audience or an expired token with a clear message before any exchange. [`verify`]
//! checks a token against its issuer's JWKS when local verification is asked for (the party the
//! token is exchanged with, AWS STS or Okta, always verifies it); [`keys`] signs the Okta client
//! assertion.

pub mod keys;
pub mod verify;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// The three parts of a compact JWT (header, payload, signature), still base64url.
pub(crate) fn split(token: &str) -> Result<(&str, &str, &str), String> {
    let mut parts = token.trim().split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok((header, payload, signature)),
        _ => Err("is not a JWT (expected three dot-separated parts)".into()),
    }
}

/// The JOSE header members looker-ci looks at.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Header {
    /// The signing algorithm, as the token names it (e.g. `RS256`).
    pub alg: String,
    /// The id of the signing key in the issuer's JWKS; `None` when the header has no `kid`.
    #[serde(default)]
    pub kid: Option<String>,
}

impl Header {
    /// Decode the header of a compact JWT. The error never quotes the token.
    pub fn decode(token: &str) -> Result<Header, String> {
        let (header, _, _) = split(token)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(header.trim_end_matches('='))
            .map_err(|_| "has a header that is not base64url".to_owned())?;
        serde_json::from_slice(&bytes)
            .map_err(|_| "has a header that is not a JSON object with `alg`".to_owned())
    }
}

/// The registered claims looker-ci looks at. `aud` may be a string or a list in a JWT.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claims {
    /// Issuer (`iss`), e.g. the GitLab instance's URL; `None` when absent.
    pub iss: Option<String>,
    /// Subject (`sub`): for CI tokens, which project, branch or environment the job runs for.
    pub sub: Option<String>,
    /// Audiences (`aud`), a single string read as a list of one; empty when absent.
    pub aud: Vec<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: Option<u64>,
    /// Issued at (`iat`), seconds since the Unix epoch; `None` when absent.
    pub iat: Option<u64>,
    /// Not before (`nbf`), seconds since the Unix epoch; `None` when absent.
    pub nbf: Option<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct RawClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<f64>,
    iat: Option<f64>,
    nbf: Option<f64>,
}

impl Claims {
    /// Decode the payload of a compact JWT. The error says what is wrong, never the token.
    pub fn decode(token: &str) -> Result<Claims, String> {
        let (_, payload, _) = split(token)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| "has a payload that is not base64url".to_owned())?;
        let raw: RawClaims = serde_json::from_slice(&bytes)
            .map_err(|_| "has a payload that is not a JSON object of claims".to_owned())?;
        let secs = |v: Option<f64>| v.filter(|s| s.is_finite() && *s >= 0.0).map(|s| s as u64);
        Ok(Claims {
            iss: raw.iss,
            sub: raw.sub,
            aud: match raw.aud {
                None => Vec::new(),
                Some(Audience::One(a)) => vec![a],
                Some(Audience::Many(a)) => a,
            },
            exp: secs(raw.exp),
            iat: secs(raw.iat),
            nbf: secs(raw.nbf),
        })
    }

    /// When the token expires, on the wall clock; `None` also for an `exp` past what the clock
    /// can hold (adding it panicked: fuzz/corpus/identity_token/exp_past_system_time.json).
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.exp
            .and_then(|exp| UNIX_EPOCH.checked_add(Duration::from_secs(exp)))
    }

    /// Whether the token is expired at `now`, allowing `leeway` for clock skew.
    pub fn is_expired(&self, now: SystemTime, leeway: Duration) -> bool {
        match self.expires_at() {
            Some(exp) => exp.checked_add(leeway).is_some_and(|end| end <= now),
            None => false,
        }
    }
}

#[cfg(test)]
pub(crate) fn unsigned_jwt(claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_string_or_list_audience_and_times() {
        let c = Claims::decode(&unsigned_jwt(&json!({
            "iss": "https://gitlab.example.com", "sub": "project_path:g/p:ref_type:branch:ref:main",
            "aud": "sts.amazonaws.com", "exp": 2_000_000_000u64, "iat": 1_999_999_000u64
        })))
        .unwrap();
        assert_eq!(c.aud, vec!["sts.amazonaws.com"]);
        assert_eq!(c.exp, Some(2_000_000_000));
        let c = Claims::decode(&unsigned_jwt(&json!({"aud": ["a", "b"]}))).unwrap();
        assert_eq!(c.aud, vec!["a", "b"]);
        assert!(c.expires_at().is_none());
    }

    #[test]
    fn expiry_check_uses_leeway() {
        let c = Claims {
            exp: Some(1_000),
            ..Claims::default()
        };
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        assert!(!c.is_expired(at(999), Duration::ZERO));
        assert!(c.is_expired(at(1_000), Duration::ZERO));
        assert!(!c.is_expired(at(1_010), Duration::from_secs(30)));
        // An `exp` the wall clock cannot hold never expires (and never panics).
        let far = Claims {
            exp: Some(u64::MAX),
            ..Claims::default()
        };
        assert_eq!(far.expires_at(), None);
        assert!(!far.is_expired(at(1_010), Duration::from_secs(30)));
    }

    #[test]
    fn garbage_is_refused_without_echoing_it() {
        for bad in ["", "abc", "a.b", "a.!!!.c", "a.e30.c.d"] {
            let err = Claims::decode(bad).unwrap_err();
            assert!(!err.contains("!!!"), "{err}");
        }
        assert!(Claims::decode("a.bm90IGpzb24.c").is_err());
    }
}
