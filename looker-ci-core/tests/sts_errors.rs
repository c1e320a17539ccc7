//! STS error codes moto cannot produce, against wiremock: what is retried, what gets one fresh
//! identity token, what is fatal and what the message tells the user to check.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::jwt::gitlab_id_token;
use looker_ci_core::credentials::aws::{AwsConfig, StsWebIdentity};
use looker_ci_core::credentials::{IdentityToken, IdentityTokenSource};
use looker_ci_core::settings::{Environment, MapEnvironment};
use looker_ci_core::{Result, RetryPolicy, SecretString};
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const OK: &str = r#"<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>
<AccessKeyId>ASIATEST</AccessKeyId><SecretAccessKey>sk</SecretAccessKey><SessionToken>st</SessionToken>
<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"#;

fn error(code: &str) -> String {
    format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>msg for {code}</Message>\
         </Error><RequestId>req-123</RequestId></ErrorResponse>"
    )
}

/// A fresh GitLab-shaped token at every call, counted.
#[derive(Debug, Default)]
struct FreshTokens(AtomicU32);

#[looker_ci_core::async_trait]
impl IdentityTokenSource for FreshTokens {
    fn name(&self) -> String {
        "test-issuer".into()
    }
    async fn identity_token(&self) -> Result<IdentityToken> {
        self.0.fetch_add(1, Ordering::SeqCst);
        let token = gitlab_id_token("https://gitlab.example.test", "sts.amazonaws.com", 300);
        IdentityToken::parse(SecretString::from(token), "test-issuer")
    }
}

async fn sts_against(server: &MockServer) -> (StsWebIdentity, Arc<FreshTokens>) {
    let env: Arc<dyn Environment> = Arc::new(
        MapEnvironment::new()
            .with_var("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/looker-ci")
            .with_var("AWS_REGION", "us-east-1")
            .with_var("AWS_ENDPOINT_URL_STS", &server.uri())
            .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/key"),
    );
    let config = AwsConfig::from_env(&env).unwrap().unwrap();
    let tokens = Arc::new(FreshTokens::default());
    let retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_total_wait: Duration::from_secs(2),
    };
    let sts = StsWebIdentity::new(&config, tokens.clone(), None, reqwest::Client::new())
        .with_retry(retry);
    (sts, tokens)
}

fn respond(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_string(body)
}

#[tokio::test]
async fn the_request_is_an_unsigned_form_post_with_the_web_identity() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("Action=AssumeRoleWithWebIdentity"))
        .and(body_string_contains(
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Flooker-ci",
        ))
        .and(body_string_contains("WebIdentityToken="))
        .and(body_string_contains("RoleSessionName=looker-ci-"))
        .respond_with(respond(200, OK.into()))
        .expect(1)
        .mount(&server)
        .await;
    let (sts, _) = sts_against(&server).await;
    let creds = sts.assume_role().await.unwrap();
    assert_eq!(creds.value.access_key_id, "ASIATEST");
    let request: Request = server.received_requests().await.unwrap().remove(0);
    assert!(
        request.headers.get("authorization").is_none(),
        "STS web identity calls are unsigned"
    );
}

#[tokio::test]
async fn idp_communication_errors_throttling_and_5xx_are_retried() {
    for (status, code) in [
        (400, "IDPCommunicationError"),
        (400, "Throttling"),
        (503, "ServiceUnavailable"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(respond(status, error(code)))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(respond(200, OK.into()))
            .mount(&server)
            .await;
        let (sts, tokens) = sts_against(&server).await;
        sts.assume_role()
            .await
            .unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(server.received_requests().await.unwrap().len(), 3, "{code}");
        assert_eq!(
            tokens.0.load(Ordering::SeqCst),
            1,
            "{code}: the same token is retried"
        );
    }
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(respond(400, error("Throttling")))
        .mount(&server)
        .await;
    let (sts, _) = sts_against(&server).await;
    let err = sts.assume_role().await.unwrap_err();
    assert!(
        err.to_string().contains("Throttling") && err.to_string().contains("req-123"),
        "{err}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_rejected_token_is_replaced_once_then_the_error_is_reported() {
    for code in ["InvalidIdentityToken", "ExpiredTokenException"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(respond(400, error(code)))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(respond(200, OK.into()))
            .mount(&server)
            .await;
        let (sts, tokens) = sts_against(&server).await;
        sts.assume_role().await.unwrap();
        assert_eq!(
            tokens.0.load(Ordering::SeqCst),
            2,
            "{code}: one fresh token"
        );

        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(respond(400, error(code)))
            .mount(&server)
            .await;
        let (sts, tokens) = sts_against(&server).await;
        let err = sts.assume_role().await.unwrap_err();
        assert!(err.to_string().contains(code), "{err}");
        assert!(err.to_string().contains("OIDC provider"), "{err}");
        assert_eq!(tokens.0.load(Ordering::SeqCst), 2);
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn trust_policy_and_region_errors_are_fatal_and_say_what_to_check() {
    for (code, hints) in [
        (
            "IDPRejectedClaim",
            &[
                "trust policy",
                "gitlab.example.test:aud",
                "project_path:platform/looker-models",
            ][..],
        ),
        (
            "AccessDenied",
            &["trust policy", "gitlab.example.test:sub"][..],
        ),
        (
            "RegionDisabledException",
            &["not activated", "AWS_REGION"][..],
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(respond(403, error(code)))
            .mount(&server)
            .await;
        let (sts, tokens) = sts_against(&server).await;
        let err = sts.assume_role().await.unwrap_err();
        let text = err.to_string();
        for hint in hints {
            assert!(text.contains(hint), "{code}: {text}");
        }
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "{code} is not retried"
        );
        assert_eq!(tokens.0.load(Ordering::SeqCst), 1);
        assert_eq!(err.code(), "LOOKER_CI_CREDENTIALS");
    }
}
