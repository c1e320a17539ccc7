//! End to end against real peers: a GitLab-shaped id token -> STS (moto) -> Secrets Manager
//! (moto, SigV4 checked) -> FakeLooker login -> me() -> logout, with no Looker secret in the job's
//! environment. Needs the moto peer (scripts/test-all starts it).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::jwt::gitlab_id_token;
use common::moto::{MotoFixture, fixture};
use looker_ci_core::credentials::aws::{AwsConfig, SecretsManagerProvider, StsWebIdentity};
use looker_ci_core::credentials::{EnvVarToken, IdentityToken, IdentityTokenSource};
use looker_ci_core::settings::{Environment, MapEnvironment};
use looker_ci_core::testing::FakeLooker;
use looker_ci_core::{
    Error, ExposeSecret, LookerClient, RefreshPolicy, Result, SecretString, Settings,
};

/// The job environment: where Looker is, the id token, the AWS role and the secret id; no
/// Looker client id or secret.
fn job_env(moto: &MotoFixture, fake: &FakeLooker, token: &str, role_arn: &str) -> MapEnvironment {
    MapEnvironment::new()
        .with_var("GITLAB_CI", "true")
        .with_var("CI_JOB_ID", "4242")
        .with_var("LOOKERSDK_BASE_URL", &fake.base_url())
        .with_var("LOOKER_ID_TOKEN", token)
        .with_var("AWS_ROLE_ARN", role_arn)
        .with_var("AWS_REGION", &moto.region)
        .with_var("AWS_ENDPOINT_URL", &moto.url)
        .with_var("LOOKER_CI_AWS_SECRET_ID", &moto.secret_id)
}

async fn fake_with_secret_key(moto: &MotoFixture) -> FakeLooker {
    let fake = FakeLooker::start().await.unwrap();
    fake.set_api_key(
        &moto.client_id,
        &SecretString::from(moto.client_secret.clone()),
    );
    fake
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitlab_token_to_sts_to_secrets_manager_to_looker_and_back() {
    let logs = common::capture_logs();
    let Some(moto) = fixture() else { return };
    let fake = fake_with_secret_key(&moto).await;
    let token = gitlab_id_token(&moto.issuer, "sts.amazonaws.com", 300);
    let env = job_env(&moto, &fake, &token, &moto.role_arn);
    assert!(
        env.vars.values().all(|v| v != &moto.client_secret),
        "no Looker secret in the job"
    );

    let client = LookerClient::builder()
        .environment(Arc::new(env))
        .read_env(true)
        .build()
        .unwrap();
    let report = client.describe().clone();
    assert_eq!(report.source, "aws-secrets-manager");
    assert!(report.detail.contains("env:LOOKER_ID_TOKEN"), "{report}");
    assert!(report.detail.contains(&moto.role_arn), "{report}");

    let me = client.me_json().await.unwrap();
    assert_eq!(me["id"].as_str(), Some("1"));
    client.close().await.unwrap();
    let counters = fake.counters();
    assert_eq!((counters.logins, counters.logouts), (1, 1));

    let output = logs.text();
    let shown = format!("{output}\n{report}\n{client:?}");
    for secret in [token.as_str(), moto.client_secret.as_str()]
        .into_iter()
        .map(str::to_owned)
        .chain(
            fake.issued_tokens()
                .iter()
                .map(|t| t.expose_secret().to_owned()),
        )
    {
        assert!(!shown.contains(&secret), "a secret leaked into the output");
    }
}

/// Counts identity-token reads: one per STS exchange.
#[derive(Debug)]
struct Counting {
    inner: EnvVarToken,
    reads: AtomicU32,
}

#[looker_ci_core::async_trait]
impl IdentityTokenSource for Counting {
    fn name(&self) -> String {
        self.inner.name()
    }
    async fn identity_token(&self) -> Result<IdentityToken> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.identity_token().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refresh_each_across_an_aws_expiry_and_a_looker_expiry() {
    let logs = common::capture_logs();
    let Some(moto) = fixture() else { return };
    let fake = fake_with_secret_key(&moto).await;
    fake.set_token_lifetime(Duration::from_secs(1));
    let token = gitlab_id_token(&moto.issuer, "sts.amazonaws.com", 300);
    let env: Arc<dyn Environment> = Arc::new(
        job_env(&moto, &fake, &token, &moto.role_arn).with_var("LOOKER_CI_AWS_ROLE_DURATION", "3"),
    );
    let config = AwsConfig::from_env(&env).unwrap().unwrap();
    let identity = Arc::new(Counting {
        inner: EnvVarToken::new("LOOKER_ID_TOKEN", Arc::clone(&env)),
        reads: AtomicU32::new(0),
    });
    let policy = RefreshPolicy::default();
    let http = reqwest::Client::new();
    let sts = StsWebIdentity::new(
        &config,
        identity.clone(),
        Some("sts.amazonaws.com".into()),
        http.clone(),
    );
    let provider = Arc::new(SecretsManagerProvider::new(
        config,
        sts,
        policy.clone(),
        http,
    ));
    let settings = Settings::builder()
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let client = LookerClient::builder()
        .settings(settings)
        .credentials(provider.clone())
        .refresh_policy(policy)
        .build()
        .unwrap();

    client.me_json().await.unwrap(); // t=0: STS #1, Looker login #1
    let first_aws = provider.aws_credentials().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    client.me_json().await.unwrap(); // Looker token expired, AWS credentials still fresh
    assert_eq!(
        (
            fake.counters().logins,
            identity.reads.load(Ordering::SeqCst)
        ),
        (2, 1)
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    client.me_json().await.unwrap(); // both expired: one STS exchange, one Looker login
    assert_eq!(
        (
            fake.counters().logins,
            identity.reads.load(Ordering::SeqCst)
        ),
        (3, 2)
    );
    let second_aws = provider.aws_credentials().await.unwrap();
    assert_ne!(
        first_aws.value.access_key_id,
        second_aws.value.access_key_id
    );
    client.close().await.unwrap();

    let output = logs.text();
    for aws in [&first_aws.value, &second_aws.value] {
        for secret in [&aws.secret_access_key, &aws.session_token] {
            assert!(
                !output.contains(secret.expose_secret()),
                "an AWS secret leaked"
            );
        }
        assert!(!format!("{aws:?}").contains(aws.secret_access_key.expose_secret()));
    }
}

#[tokio::test]
async fn a_role_without_access_to_the_secret_says_which_permission_is_missing() {
    let Some(moto) = fixture() else { return };
    let fake = fake_with_secret_key(&moto).await;
    let token = gitlab_id_token(&moto.issuer, "sts.amazonaws.com", 300);
    let env = job_env(&moto, &fake, &token, &moto.denied_role_arn);
    let client = LookerClient::builder()
        .environment(Arc::new(env))
        .read_env(true)
        .build()
        .unwrap();
    let err = client.me_json().await.unwrap_err();
    assert!(
        matches!(&err, Error::Credentials { provider, .. } if provider == "aws-secrets-manager"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("secretsmanager:GetSecretValue"),
        "{err}"
    );
    assert_eq!(fake.counters().logins, 0);
}

#[tokio::test]
async fn an_expired_or_misaddressed_token_fails_before_any_exchange() {
    let Some(moto) = fixture() else { return };
    let fake = fake_with_secret_key(&moto).await;
    for (token, expect) in [
        (
            gitlab_id_token(&moto.issuer, "sts.amazonaws.com", -120),
            "expired",
        ),
        (
            gitlab_id_token(&moto.issuer, "https://gitlab.com", 300),
            "audience",
        ),
    ] {
        let env = job_env(&moto, &fake, &token, &moto.role_arn)
            .with_var("LOOKER_CI_ID_TOKEN_AUDIENCE", "sts.amazonaws.com");
        let client = LookerClient::builder()
            .environment(Arc::new(env))
            .read_env(true)
            .build()
            .unwrap();
        let err = client.me_json().await.unwrap_err();
        assert!(err.to_string().contains(expect), "{err}");
        assert!(!err.to_string().contains(&token));
    }
}

/// The doctor and the audit trail on the identity path: the role, the session name and the CI
/// token's claims are shown (never the token), no stored secret is found, and a job that would
/// outlive its CI token past an STS session is an error before it happens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_and_audit_on_the_identity_path() {
    use looker_ci_core::doctor::{DoctorOptions, Level, doctor};
    use looker_ci_core::testing::FakeRole;

    let Some(moto) = fixture() else { return };
    let fake = fake_with_secret_key(&moto).await;
    fake.set_user_roles("1", vec![FakeRole::ci_validator(&["thelook"])]);
    let token = gitlab_id_token(&moto.issuer, "sts.amazonaws.com", 1800);
    let dir = std::env::temp_dir().join(format!("looker-ci-aws-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let audit = dir.join("audit.jsonl");
    let env: Arc<dyn Environment> = Arc::new(
        job_env(&moto, &fake, &token, &moto.role_arn)
            .with_var("CI_JOB_TIMEOUT", "7200")
            .with_var("LOOKER_CI_AWS_ROLE_DURATION", "900")
            .with_var("LOOKER_CI_AUDIT_FILE", audit.to_str().unwrap()),
    );
    let client = LookerClient::builder()
        .environment(env)
        .read_env(true)
        .build()
        .unwrap();
    let report = doctor(&client, &DoctorOptions::default()).await;
    client.close().await.unwrap();

    let text = report.render_text();
    assert!(report.has("identity.aws-role"), "{text}");
    assert!(
        text.contains(&moto.role_arn) && text.contains("looker-ci-4242"),
        "{text}"
    );
    assert!(
        text.contains("project_path=platform/looker-models"),
        "{text}"
    );
    assert!(report.has("secrets.none-stored"), "{text}");
    let errors: Vec<&str> = report.at(Level::Error).map(|f| f.code).collect();
    assert_eq!(errors, ["lifetimes.ci-token-shorter-than-job"], "{text}");
    assert!(!report.passed);

    let records: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let identity = &records[0]["identity"];
    assert_eq!(identity["source"], "aws-secrets-manager");
    assert_eq!(identity["aws"]["role_arn"], moto.role_arn.as_str());
    assert_eq!(identity["aws"]["session_name"], "looker-ci-4242");
    assert_eq!(identity["ci_token"]["claims"]["ref"], "main");
    let written = std::fs::read_to_string(&audit).unwrap();
    let shown = format!(
        "{written}\n{text}\n{}",
        serde_json::to_string(&report).unwrap()
    );
    for secret in [token.as_str(), moto.client_secret.as_str()] {
        assert!(
            !shown.contains(secret),
            "a secret is in the report or the audit file"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
