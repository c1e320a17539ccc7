//! The GitHub Actions identity source against wiremock: the request it makes (bearer token,
//! audience) and a fresh token at every refresh.

mod common;

use common::jwt::gitlab_id_token;
use looker_ci_core::credentials::{GitHubActionsToken, IdentityTokenSource};
use looker_ci_core::{ExposeSecret, SecretString};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers every request with a newly minted token.
struct Mint;

impl Respond for Mint {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let token = gitlab_id_token(
            "https://token.actions.githubusercontent.com",
            "sts.amazonaws.com",
            300,
        );
        ResponseTemplate::new(200).set_body_json(serde_json::json!({ "count": 1, "value": token }))
    }
}

#[tokio::test]
async fn requests_a_fresh_token_with_the_audience_and_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/_apis/token"))
        .and(query_param("api-version", "2.0"))
        .and(query_param("audience", "sts.amazonaws.com"))
        .and(header("authorization", "Bearer runner-request-token"))
        .respond_with(Mint)
        .expect(2)
        .mount(&server)
        .await;
    let source = GitHubActionsToken::new(
        &format!("{}/_apis/token?api-version=2.0", server.uri()),
        SecretString::from("runner-request-token".to_owned()),
        Some("sts.amazonaws.com".into()),
        reqwest::Client::new(),
    )
    .unwrap();
    let first = source.identity_token().await.unwrap();
    let second = source.identity_token().await.unwrap();
    assert_ne!(
        first.secret().expose_secret(),
        second.secret().expose_secret()
    );
    assert_eq!(first.claims().aud, vec!["sts.amazonaws.com"]);
    assert!(!format!("{source:?}").contains("runner-request-token"));
}

#[test]
fn a_plain_http_request_url_to_another_host_is_refused() {
    // The runner's request token would cross the network in clear (loopback stays allowed, as
    // the tests above use it). The test command does not set LOOKER_CI_ALLOW_HTTP.
    assert!(std::env::var_os("LOOKER_CI_ALLOW_HTTP").is_none());
    let err = GitHubActionsToken::new(
        "http://runner.example.test/_apis/token?api-version=2.0",
        SecretString::from("runner-request-token".to_owned()),
        None,
        reqwest::Client::new(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "LOOKER_CI_CONFIG", "{err}");
    assert!(err.to_string().contains("http"), "{err}");
    assert!(!err.to_string().contains("runner-request-token"));
}

#[tokio::test]
async fn a_refused_request_says_to_grant_id_token_write() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let source = GitHubActionsToken::new(
        &format!("{}/_apis/token?api-version=2.0", server.uri()),
        SecretString::from("t".to_owned()),
        None,
        reqwest::Client::new(),
    )
    .unwrap();
    let err = source.identity_token().await.unwrap_err();
    assert!(err.to_string().contains("id-token: write"), "{err}");
}

/// `looker-ci doctor` in GitHub Actions asks the runner for a token to show its claims (GitHub
/// hands one out only on request), and shows them without the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_shows_the_claims_of_a_token_it_requests_from_the_runner() {
    use looker_ci_core::LookerClient;
    use looker_ci_core::doctor::{DoctorOptions, doctor};
    use looker_ci_core::settings::{Environment, MapEnvironment};
    use looker_ci_core::testing::FakeLooker;
    use std::sync::Arc;

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/_apis/token"))
        .and(header("authorization", "Bearer runner-request-token"))
        .respond_with(Mint)
        .expect(1)
        .mount(&server)
        .await;
    let fake = FakeLooker::start().await.unwrap();
    let env: Arc<dyn Environment> = Arc::new(
        MapEnvironment::new()
            .with_var("GITHUB_ACTIONS", "true")
            .with_var("GITHUB_REPOSITORY", "acme/analytics")
            .with_var("GITHUB_RUN_ID", "9001")
            .with_var(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                &format!("{}/_apis/token?api-version=2.0", server.uri()),
            )
            .with_var("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runner-request-token")
            .with_var("LOOKERSDK_BASE_URL", &fake.base_url())
            .with_var("LOOKERSDK_CLIENT_ID", &fake.client_id())
            .with_var(
                "LOOKERSDK_CLIENT_SECRET",
                fake.client_secret().expose_secret(),
            ),
    );
    let client = LookerClient::builder()
        .environment(env)
        .read_env(true)
        .build()
        .unwrap();
    assert_eq!(
        client.identity().ci_token.as_ref().unwrap().from,
        "github-actions"
    );
    let report = doctor(&client, &DoctorOptions::default()).await;
    client.close().await.unwrap();
    let claims = report.identity.ci_token.as_ref().unwrap().claims.as_ref();
    assert_eq!(
        claims.unwrap()["iss"],
        "https://token.actions.githubusercontent.com"
    );
    let text = report.render_text();
    assert!(
        text.contains("CI identity token from github-actions: iss=https://token.actions"),
        "{text}"
    );
    assert!(!text.contains("runner-request-token"));
    assert_eq!(
        report.ci.as_ref().unwrap().project.as_deref(),
        Some("acme/analytics")
    );
}
