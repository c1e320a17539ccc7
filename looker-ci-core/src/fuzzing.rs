//! Entry points for fuzzing every parser of this crate that reads outside input (feature
//! `fuzzing`; not part of the API, no stability promise).
//!
//! Each entry point takes arbitrary bytes and must never panic: errors are the expected answer to
//! most inputs. They are driven by the cargo-fuzz targets in `fuzz/` (one per entry point, same
//! name) and by `looker-ci-api/tests/fuzz_corpus.rs`, which replays the committed corpus
//! (`fuzz/corpus/<target>/`) and mutations of it in the test command. docs/development.md says
//! how to run them; docs/security.md states the promise.
//!
//! Bytes are read as the real input is: text that reaches a parser as a `String` (files, replies
//! read with `text()`, header values) arrives through `from_utf8_lossy`, so invalid UTF-8 turns
//! into U+FFFD as it would there.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;

use crate::api::{RawReply, operation};
use crate::credentials::IdentityToken;
use crate::credentials::aws::secrets_manager::SecretsManagerProvider;
use crate::credentials::aws::{self, AwsConfig};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::settings::{self, Environment, MapEnvironment, SettingsBuilder};
use crate::transport::Reply;

/// An entry point: any bytes in, no panic out.
pub type Target = fn(&[u8]);

/// Every entry point of this crate, by the name of its cargo-fuzz target and corpus directory.
/// `looker_ci_api::fuzzing::targets()` adds the model decoding of the typed crate.
pub const TARGETS: &[(&str, Target)] = &[
    ("ini", ini),
    ("settings_env", settings_env),
    ("retry_after", retry_after),
    ("sts_reply", sts_reply),
    ("secrets_manager_reply", secrets_manager_reply),
    ("identity_token", identity_token),
    ("looker_reply", looker_reply),
    ("jwks", jwks),
    ("okta_reply", okta_reply),
];

fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A `looker.ini`: the ini reader, then the settings built from the file (first section, a named
/// section, and the implicit `./looker.ini`), which validates every value it holds.
pub fn ini(data: &[u8]) {
    let text = text(data);
    match crate::ini::parse(&text) {
        Ok(sections) => {
            for section in &sections {
                let _ = section.get("base_url");
            }
        }
        Err((line, _)) => {
            // The error names a line of the file.
            assert!(line >= 1 && line <= text.lines().count(), "line {line}");
        }
    }
    let env: Arc<dyn Environment> =
        Arc::new(MapEnvironment::new().with_file(settings::DEFAULT_INI_FILE, &text));
    let named = SettingsBuilder::new()
        .environment(env.clone())
        .ini_file(settings::DEFAULT_INI_FILE, None);
    let _ = named.clone().build();
    let _ = named.ini_section("Looker").build();
    let _ = SettingsBuilder::new()
        .environment(env)
        .load_defaults_from_env()
        .build();
}

/// The environment variables the settings and the AWS path read, one value per line of the
/// input, in the order of [`SETTINGS_ENV_VARS`] (a missing line leaves the variable unset).
pub fn settings_env(data: &[u8]) {
    let text = text(data);
    let mut env = MapEnvironment::new();
    for (name, value) in SETTINGS_ENV_VARS.iter().zip(text.split('\n')) {
        env = env.with_var(name, value);
    }
    let env: Arc<dyn Environment> = Arc::new(env);
    let _ = SettingsBuilder::new()
        .environment(env.clone())
        .read_env_vars(true)
        .build();
    let _ = AwsConfig::from_env(&env);
}

/// The variables [`settings_env`] sets, in input line order.
pub const SETTINGS_ENV_VARS: [&str; 16] = [
    settings::ENV_BASE_URL,
    settings::ENV_CLIENT_ID,
    settings::ENV_CLIENT_SECRET,
    settings::ENV_VERIFY_SSL,
    settings::ENV_TIMEOUT,
    settings::ENV_CA_BUNDLE,
    settings::ENV_HTTPS_PROXY,
    settings::ENV_MAX_REPLY_BYTES,
    settings::ENV_ALLOW_HTTP,
    aws::ENV_ROLE_ARN,
    aws::ENV_SECRET_ID,
    aws::ENV_REGION,
    aws::ENV_ENDPOINT_URL,
    aws::ENV_ENDPOINT_URL_STS,
    aws::ENV_ROLE_DURATION,
    aws::ENV_ROLE_SESSION_NAME,
];

/// A `Retry-After` value (delta-seconds or an HTTP date) at several clocks, and the delay the
/// retry policy takes from it.
pub fn retry_after(data: &[u8]) {
    let text = text(data);
    let policy = RetryPolicy::default();
    for now in [
        UNIX_EPOCH,
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        UNIX_EPOCH + Duration::from_secs(253_402_300_799), // 9999-12-31T23:59:59Z
        SystemTime::now(),
    ] {
        let hint = parse_retry_after(&text, now);
        for waited in [Duration::ZERO, Duration::from_secs(29), Duration::MAX] {
            let _ = policy.next_delay(1, waited, hint);
        }
    }
}

/// An STS `AssumeRoleWithWebIdentity` reply: the credentials of a success, and the fields an
/// error reply is classified by.
pub fn sts_reply(data: &[u8]) {
    let text = text(data);
    let _ = aws::sts::parse_credentials(&text);
    for tag in ["Code", "Message", "RequestId"] {
        let _ = aws::xml::text(&text, tag);
    }
}

/// A Secrets Manager `GetSecretValue` reply: the API key of a success (the reply's
/// `SecretString` and the secret's own JSON), and the explanation of a failure (JSON or XML).
pub fn secrets_manager_reply(data: &[u8]) {
    let text = text(data);
    let config = AwsConfig {
        role_arn: "arn:aws:iam::123456789012:role/looker-ci".into(),
        role_session_name: "fuzz".into(),
        region: "us-east-1".into(),
        sts_endpoint: "https://sts.us-east-1.amazonaws.com".into(),
        secrets_manager_endpoint: "https://secretsmanager.us-east-1.amazonaws.com".into(),
        secret_id: "looker/api-key".into(),
        client_id_key: "client_id".into(),
        client_secret_key: "client_secret".into(),
        duration_secs: None,
    };
    let _ = SecretsManagerProvider::parse_api_key(&config, &text);
    for status in [400, 403, 500] {
        let _ = SecretsManagerProvider::explain(&config, status, &text);
    }
}

/// A CI identity token (or an Okta access token): its claims, and the checks made before it is
/// exchanged. An input that starts with `{` is taken as the claims themselves and wrapped into a
/// compact JWT, so that the fuzzer reaches the claims without having to learn base64url.
pub fn identity_token(data: &[u8]) {
    let token = if data.first() == Some(&b'{') {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.c2ln",
            b64.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            b64.encode(data)
        )
    } else {
        text(data).into_owned()
    };
    let Ok(token) = IdentityToken::parse(SecretString::from(token), "fuzz") else {
        return;
    };
    let _ = token.check("fuzz", None);
    let _ = token.check("fuzz", Some("sts.amazonaws.com"));
    let claims = token.claims();
    let _ = claims.expires_at();
    for now in [UNIX_EPOCH, SystemTime::now()] {
        let _ = claims.is_expired(now, Duration::from_secs(10));
    }
}

/// A Looker reply: the first byte picks the status (success or an error) and the content type,
/// the rest is the body (and, for errors, a request id header). Read as a login reply, as an
/// API error, and decoded by content type as the generic call path decodes it.
pub fn looker_reply(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    const STATUSES: [u16; 8] = [200, 204, 400, 401, 404, 422, 429, 503];
    const CONTENT_TYPES: [&str; 4] = [
        "application/json",
        "",
        "text/plain; charset=utf-8",
        "image/svg+xml",
    ];
    let status = STATUSES[usize::from(selector & 7)];
    let content_type = CONTENT_TYPES[usize::from((selector >> 3) & 3)];
    let mut headers = HeaderMap::new();
    if selector & 0x20 != 0
        && let Ok(value) = HeaderValue::from_bytes(&body[..body.len().min(64)])
    {
        headers.insert("x-request-id", value);
    }
    let reply = Reply {
        status,
        headers,
        body: bytes::Bytes::copy_from_slice(body),
    };
    let _ = crate::session::parse_token_reply(&reply, "/login");
    let _ = reply.to_error(&Method::GET, "/user");
    let op = operation("me").expect("the operation table has `me`");
    let raw = RawReply::new(op, content_type.to_owned(), reply.body.clone());
    let _ = raw.model::<serde_json::Value>();
    let _ = raw.output();
}

/// A reply of `operation_id` with this content type and body, as the generic call path hands it
/// to the typed layer; `None` for an unknown operation.
pub fn raw_reply(operation_id: &str, content_type: &str, body: &[u8]) -> Option<RawReply> {
    Some(RawReply::new(
        operation(operation_id)?,
        content_type.to_ascii_lowercase(),
        bytes::Bytes::copy_from_slice(body),
    ))
}

/// A JWK set and a token to verify with it, and a PEM private key: the input up to its first
/// newline is the JWKS document, the rest the compact token; the whole input is also read as a
/// PEM key for both signing algorithms (the PEM and DER readers of the Okta key).
pub fn jwks(data: &[u8]) {
    use crate::credentials::jwt::keys::{SigningAlgorithm, SigningKey};
    use crate::credentials::jwt::verify::{ClaimRules, JwkSet, verify_signature};
    use crate::credentials::jwt::{Claims, Header};
    for algorithm in [SigningAlgorithm::RS256, SigningAlgorithm::ES256] {
        let _ = SigningKey::from_pem(data, algorithm);
    }
    let text = text(data);
    let (document, token) = text.split_once('\n').unwrap_or((&text, ""));
    let keys: Option<JwkSet> = serde_json::from_str(document).ok();
    let (Ok(header), Ok(claims)) = (Header::decode(token), Claims::decode(token)) else {
        return;
    };
    if let Some(keys) = keys {
        for key in keys.keys.iter().chain(keys.find(header.kid.as_deref())) {
            let _ = verify_signature(token, &header, key);
        }
    }
    for now_secs in [0, 1_700_000_000, u64::MAX] {
        let rules = ClaimRules {
            now_secs,
            leeway_secs: 30,
            issuer: Some("https://gitlab.example.com"),
            audience: Some("sts.amazonaws.com"),
        };
        let _ = rules.check(&claims);
    }
}

/// An Okta reply: the first byte picks the status, the rest is the body, read as a token reply,
/// an OAuth error reply and a discovery document.
pub fn okta_reply(data: &[u8]) {
    use crate::credentials::okta::{
        ClientAuth, OktaConfig, OktaTokenSource, TokenEndpoint, token_endpoint_from,
    };
    static SOURCE: std::sync::OnceLock<OktaTokenSource> = std::sync::OnceLock::new();
    let source = SOURCE.get_or_init(|| {
        let config = OktaConfig {
            endpoint: TokenEndpoint::TokenUrl("https://example.okta.com/oauth2/v1/token".into()),
            client_id: "fuzz".into(),
            auth: ClientAuth::ClientSecretBasic(SecretString::from("unused")),
            scopes: None,
            audience: None,
            token_exchange: false,
        };
        OktaTokenSource::new(config, None, reqwest::Client::new())
    });
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let status = [200u16, 400, 401, 403, 429, 500][usize::from(selector) % 6];
    let _ = source.parse_token(body);
    let _ = source.explain(status, body);
    let _ = token_endpoint_from(body);
}
