//! Okta against a real OpenID provider (oidc-provider): client credentials with private_key_jwt
//! (RS256, ES256) and client_secret_basic, discovery, token exchange, errors; the Okta token as
//! the STS web identity (moto) and as an identity-aware proxy's bearer header.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::jwt::gitlab_id_token;
use common::{moto, oidc};
use looker_ci_core::credentials::okta::{ClientAuth, OktaConfig, OktaTokenSource, TokenEndpoint};
use looker_ci_core::credentials::{IdentityTokenSource, StaticToken};
use looker_ci_core::settings::MapEnvironment;
use looker_ci_core::testing::FakeLooker;
use looker_ci_core::{ExposeSecret, LookerClient, RetryPolicy, SecretString};

fn config(endpoint: TokenEndpoint, client_id: &str, auth: ClientAuth) -> OktaConfig {
    let mut config = OktaConfig::new(endpoint, client_id, auth);
    config.scopes = Some("looker".into());
    config
}

fn key_auth(client: &oidc::OidcClient, alg: &str) -> ClientAuth {
    ClientAuth::private_key_jwt(
        &SecretString::from(client.private_key.clone()),
        alg,
        Some(client.kid.clone()),
    )
    .unwrap()
}

#[tokio::test]
async fn private_key_jwt_rs256_and_es256_through_discovery_with_a_fresh_jti_each_time() {
    let Some(peer) = oidc::fixture() else { return };
    for (client, alg) in [(&peer.rs256, "RS256"), (&peer.es256, "ES256")] {
        let okta = OktaTokenSource::new(
            config(
                TokenEndpoint::Issuer(peer.issuer.clone()),
                &client.client_id,
                key_auth(client, alg),
            ),
            None,
            reqwest::Client::new(),
        );
        // The provider refuses a replayed assertion jti: two tokens in a row prove each
        // request signs a new assertion.
        let first = okta
            .access_token()
            .await
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        let second = okta
            .access_token()
            .await
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_ne!(
            first.value.secret().expose_secret(),
            second.value.secret().expose_secret()
        );
        let claims = first.value.claims();
        assert_eq!(claims.aud, vec!["sts.amazonaws.com"], "{alg}");
        assert_eq!(claims.iss.as_deref(), Some(peer.issuer.as_str()));
        assert!(okta.describe().contains(alg));
    }
}

#[tokio::test]
async fn a_replayed_client_assertion_is_refused_by_the_provider() {
    // A negative control for the test above: the peer really does check jti.
    let Some(peer) = oidc::fixture() else { return };
    let token_url = format!("{}/token", peer.issuer);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({"iss": peer.rs256.client_id, "sub": peer.rs256.client_id,
        "aud": token_url, "iat": now, "exp": now + 60, "jti": format!("replayed-{}", fastrand::u64(..))});
    use looker_ci_core::credentials::jwt::keys::{SigningAlgorithm, SigningKey};
    let key =
        SigningKey::from_pem(peer.rs256.private_key.as_bytes(), SigningAlgorithm::RS256).unwrap();
    let assertion = key.sign(Some(&peer.rs256.kid), &claims).unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", peer.rs256.client_id.as_str()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion.as_str()),
    ];
    let http = reqwest::Client::new();
    let send = || {
        http.post(&token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap())
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 200);
    let replay = send().await.unwrap();
    assert_eq!(replay.status(), 401);
    assert!(replay.text().await.unwrap().contains("invalid_client"));
}

#[tokio::test]
async fn client_secret_basic_and_a_clear_invalid_client_error() {
    let Some(peer) = oidc::fixture() else { return };
    let token_url = TokenEndpoint::TokenUrl(format!("{}/token", peer.issuer));
    let good = OktaTokenSource::new(
        config(
            token_url.clone(),
            &peer.basic_id,
            ClientAuth::ClientSecretBasic(peer.basic_secret.clone().into()),
        ),
        None,
        reqwest::Client::new(),
    );
    good.access_token().await.unwrap();
    let bad = OktaTokenSource::new(
        config(
            token_url,
            &peer.basic_id,
            ClientAuth::ClientSecretBasic("wrong-basic-secret".to_owned().into()),
        ),
        None,
        reqwest::Client::new(),
    );
    let err = bad.access_token().await.unwrap_err().to_string();
    assert!(
        err.contains("invalid_client") && err.contains("LOOKER_CI_OKTA_CLIENT_SECRET"),
        "{err}"
    );
    assert!(!err.contains("wrong-basic-secret"));
}

#[tokio::test]
async fn a_rejected_key_from_a_file_names_that_variable_the_client_and_the_kid_plainly() {
    let Some(peer) = oidc::fixture() else { return };
    // The RS256 client's key presented for the ES256 client: the provider refuses it.
    let env = MapEnvironment::new()
        .with_var(
            "LOOKER_CI_OKTA_TOKEN_URL",
            &format!("{}/token", peer.issuer),
        )
        .with_var("LOOKER_CI_OKTA_CLIENT_ID", &peer.es256.client_id)
        .with_var("LOOKER_CI_OKTA_PRIVATE_KEY_FILE", "/secrets/okta.pem")
        .with_var("LOOKER_CI_OKTA_KEY_ID", &peer.rs256.kid)
        .with_var("LOOKER_CI_OKTA_SCOPES", "looker")
        .with_file("/secrets/okta.pem", &peer.rs256.private_key);
    let config = OktaConfig::from_env(&env).unwrap().unwrap();
    let okta = OktaTokenSource::new(config, None, reqwest::Client::new());
    let err = okta.access_token().await.unwrap_err().to_string();
    assert!(err.contains("invalid_client"), "{err}");
    assert!(
        err.contains("LOOKER_CI_OKTA_PRIVATE_KEY_FILE")
            && err.contains("/secrets/okta.pem")
            && err.contains(&peer.es256.client_id)
            && err.contains(&format!("key id \"{}\"", peer.rs256.kid)),
        "{err}"
    );
    assert!(!err.contains("Some("), "{err}");
    assert!(!err.contains("LOOKER_CI_OKTA_PRIVATE_KEY "), "{err}");
}

#[tokio::test]
async fn token_exchange_of_the_ci_token_and_invalid_grant_for_an_expired_one() {
    let Some(peer) = oidc::fixture() else { return };
    let exchange = |subject: String| {
        OktaTokenSource::new(
            {
                let mut exchange = config(
                    TokenEndpoint::Issuer(peer.issuer.clone()),
                    &peer.rs256.client_id,
                    key_auth(&peer.rs256, "RS256"),
                );
                exchange.token_exchange = true;
                exchange
            },
            Some(
                Arc::new(StaticToken::new(subject.into()).unwrap()) as Arc<dyn IdentityTokenSource>
            ),
            reqwest::Client::new(),
        )
    };
    let fresh = exchange(gitlab_id_token("https://gitlab.example.test", "okta", 300));
    let token = fresh.access_token().await.unwrap();
    assert_eq!(token.value.claims().aud, vec!["sts.amazonaws.com"]);
    assert!(fresh.describe().contains("token exchange"));
    let expired = exchange(gitlab_id_token("https://gitlab.example.test", "okta", -60));
    let err = expired.access_token().await.unwrap_err().to_string();
    assert!(
        err.contains("invalid_grant") && err.contains("token-exchange policy"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_token_to_sts_to_secrets_manager_to_looker_with_a_proxy_header() {
    let captured = common::capture_logs();
    let Some(peer) = oidc::fixture() else { return };
    let Some(moto) = moto::fixture() else { return };
    let fake = FakeLooker::start().await.unwrap();
    fake.set_api_key(
        &moto.client_id,
        &SecretString::from(moto.client_secret.clone()),
    );
    let env = MapEnvironment::new()
        .with_var("LOOKERSDK_BASE_URL", &fake.base_url())
        .with_var("LOOKER_CI_OKTA_ISSUER", &peer.issuer)
        .with_var("LOOKER_CI_OKTA_CLIENT_ID", &peer.es256.client_id)
        .with_var("LOOKER_CI_OKTA_PRIVATE_KEY", &peer.es256.private_key)
        .with_var("LOOKER_CI_OKTA_SIGNING_ALG", "ES256")
        .with_var("LOOKER_CI_OKTA_KEY_ID", &peer.es256.kid)
        .with_var("LOOKER_CI_OKTA_SCOPES", "looker")
        .with_var("LOOKER_CI_PROXY_HEADER", "X-Forwarded-Access-Token")
        .with_var("AWS_ROLE_ARN", &moto.role_arn)
        .with_var("AWS_REGION", &moto.region)
        .with_var("AWS_ENDPOINT_URL", &moto.url)
        .with_var("LOOKER_CI_AWS_SECRET_ID", &moto.secret_id);
    let client = LookerClient::builder()
        .environment(Arc::new(env))
        .read_env(true)
        .build()
        .unwrap();
    let report = client.describe().clone();
    assert_eq!(report.source, "okta", "{report}");
    assert!(
        report.detail.contains("client credentials") && report.detail.contains("ES256"),
        "{report}"
    );
    // The proxy header is part of what describe() reports.
    let proxy_report = report.proxy.as_deref().unwrap_or_default();
    assert!(
        proxy_report.contains("x-forwarded-access-token") && proxy_report.contains("Okta"),
        "{report}"
    );
    assert!(
        report.to_string().contains("identity-aware proxy"),
        "{report}"
    );
    for _ in 0..5 {
        assert_eq!(client.me_json().await.unwrap()["id"].as_str(), Some("1"));
    }
    let proxy = fake
        .last_header("x-forwarded-access-token")
        .expect("the proxy header is sent");
    let bearer = proxy.strip_prefix("Bearer ").expect("a bearer token");
    assert_eq!(bearer.split('.').count(), 3, "an Okta JWT access token");
    client.close().await.unwrap();
    assert_eq!(fake.counters().logins, 1);
    let output = captured.text();
    assert!(
        output.contains("got an Okta access token"),
        "TRACE output was captured"
    );
    // The login log line names the source describe() names, not the provider underneath.
    assert!(
        output
            .lines()
            .any(|l| l.contains("logged in to Looker") && l.contains("source=\"okta\"")),
        "{output}"
    );
    let shown = format!("{output}\n{report}\n{client:?}");
    // Each line of the private key's base64 body, the Okta token, the Looker key and tokens.
    let mut secrets: Vec<String> = peer
        .es256
        .private_key
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_owned)
        .collect();
    assert!(!secrets.is_empty());
    secrets.extend([bearer.to_owned(), moto.client_secret.clone()]);
    secrets.extend(
        fake.issued_tokens()
            .iter()
            .map(|t| t.expose_secret().to_owned()),
    );
    for secret in secrets {
        assert!(!shown.contains(&secret), "a secret leaked into the output");
    }
}

#[tokio::test]
async fn rate_limited_token_requests_wait_for_x_rate_limit_reset() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-rate-limit-reset", reset.to_string().as_str())
                .set_body_string(
                    r#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit"}"#,
                ),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let token = gitlab_id_token("https://x.okta.example", "sts.amazonaws.com", 300);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": token, "token_type": "Bearer", "expires_in": 3600})))
        .mount(&server)
        .await;
    let okta = OktaTokenSource::new(
        config(
            TokenEndpoint::TokenUrl(format!("{}/token", server.uri())),
            "0oa1",
            ClientAuth::ClientSecretBasic("s".to_owned().into()),
        ),
        None,
        reqwest::Client::new(),
    );
    let started = std::time::Instant::now();
    okta.access_token().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "waited for the reset"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // A reset beyond the retry budget fails at once with a clear error.
    let server = MockServer::start().await;
    let far = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-rate-limit-reset", far.to_string().as_str()),
        )
        .mount(&server)
        .await;
    let okta = OktaTokenSource::new(
        config(
            TokenEndpoint::TokenUrl(format!("{}/token", server.uri())),
            "0oa1",
            ClientAuth::ClientSecretBasic("s".to_owned().into()),
        ),
        None,
        reqwest::Client::new(),
    )
    .with_retry(RetryPolicy {
        max_total_wait: Duration::from_secs(5),
        ..RetryPolicy::default()
    });
    let err = okta.access_token().await.unwrap_err().to_string();
    assert!(err.contains("429") && err.contains("rate limit"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn identity_tokens_can_be_verified_against_the_issuers_jwks() {
    use looker_ci_core::credentials::jwks::VerifiedTokenSource;
    let Some(peer) = oidc::fixture() else { return };
    let okta = OktaTokenSource::new(
        config(
            TokenEndpoint::Issuer(peer.issuer.clone()),
            &peer.basic_id,
            ClientAuth::ClientSecretBasic(peer.basic_secret.clone().into()),
        ),
        None,
        reqwest::Client::new(),
    );
    let token = okta.access_token().await.unwrap().value;
    let raw = token.secret().expose_secret().to_owned();
    let verify_with =
        |token: String, issuer: Option<&str>, jwks: Option<String>, audience: Option<&str>| {
            let source =
                Arc::new(StaticToken::new(token.into()).unwrap()) as Arc<dyn IdentityTokenSource>;
            VerifiedTokenSource::new(
                source,
                issuer.map(str::to_owned),
                jwks,
                audience.map(str::to_owned),
                reqwest::Client::new(),
            )
        };
    let trusted = peer.issuer.clone();
    let verify = |token: String, jwks: Option<String>, audience: Option<&str>| {
        verify_with(token, Some(&trusted), jwks, audience)
    };
    // The issuer is trusted from configuration, not from the token: a validly signed token of
    // an issuer that names itself is refused when another issuer is the trusted one.
    let err = verify_with(raw.clone(), Some("https://gitlab.example.test"), None, None)
        .identity_token()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is not the trusted issuer https://gitlab.example.test"),
        "{err}"
    );
    // Without a trusted issuer or a configured JWKS nothing can be verified.
    let err = verify_with(raw.clone(), None, None, None)
        .identity_token()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("LOOKER_CI_ID_TOKEN_ISSUER"),
        "{err}"
    );
    // Discovered from `iss`, with and without the audience check.
    verify(raw.clone(), None, Some("sts.amazonaws.com"))
        .identity_token()
        .await
        .unwrap();
    verify(raw.clone(), None, None)
        .identity_token()
        .await
        .unwrap();
    let wrong_audience = verify(raw.clone(), None, Some("other"))
        .identity_token()
        .await
        .unwrap_err();
    assert!(
        wrong_audience.to_string().contains("audience")
            && wrong_audience
                .to_string()
                .contains("does not include other"),
        "{wrong_audience}"
    );
    // A changed payload breaks the signature.
    let mut parts: Vec<String> = raw.split('.').map(str::to_owned).collect();
    let payload = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &parts[1])
            .unwrap(),
    )
    .unwrap()
    .replace("looker", "admin");
    parts[1] = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload);
    let tampered = verify(parts.join("."), None, None)
        .identity_token()
        .await
        .unwrap_err();
    assert!(
        tampered.to_string().contains("signature does not match"),
        "{tampered}"
    );
    // A token from another issuer has no key in this JWKS.
    let foreign = gitlab_id_token("https://gitlab.example.test", "sts.amazonaws.com", 300);
    let err = verify_with(foreign, None, Some(format!("{}/jwks", peer.issuer)), None)
        .identity_token()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no key"), "{err}");
    assert!(!err.to_string().contains(&raw));
}
