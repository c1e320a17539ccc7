//! `looker-ci doctor` and the audit trail against FakeLooker: each planted problem is found, a
//! clean least-privilege set-up passes, requests carry the CI run in their `User-Agent`, and the
//! audit file holds every request without a secret. (The AWS identity path is in tests/aws.rs.)

mod common;

use std::sync::Arc;

use looker_ci_core::doctor::{DoctorOptions, DoctorReport, Level, doctor};
use looker_ci_core::settings::{Environment, MapEnvironment};
use looker_ci_core::testing::{FakeLooker, FakeRole};
use looker_ci_core::{ExposeSecret, LookerClient};

/// A GitLab job whose Looker API key is in the environment (the set-up the doctor warns about).
fn gitlab_job(fake: &FakeLooker) -> MapEnvironment {
    MapEnvironment::new()
        .with_var("GITLAB_CI", "true")
        .with_var("CI_PROJECT_PATH", "data/looker-models")
        .with_var("CI_PIPELINE_ID", "812")
        .with_var("CI_JOB_ID", "4242")
        .with_var("CI_JOB_NAME", "validate")
        .with_var("LOOKERSDK_BASE_URL", &fake.base_url())
        .with_var("LOOKERSDK_CLIENT_ID", &fake.client_id())
        .with_var(
            "LOOKERSDK_CLIENT_SECRET",
            fake.client_secret().expose_secret(),
        )
}

async fn run_doctor(env: MapEnvironment, commands: &[&str]) -> DoctorReport {
    let env: Arc<dyn Environment> = Arc::new(env);
    let client = LookerClient::builder()
        .environment(Arc::clone(&env))
        .read_env(true)
        .build()
        .unwrap();
    let commands: Vec<String> = commands.iter().map(|c| (*c).to_owned()).collect();
    let options = DoctorOptions::for_commands(&commands).unwrap();
    let report = doctor(&client, &options).await;
    client.close().await.unwrap();
    report
}

fn codes(report: &DoctorReport, level: Level) -> Vec<&'static str> {
    report.at(level).map(|f| f.code).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_least_privilege_user_passes_with_notes_of_what_each_command_needs() {
    let fake = FakeLooker::start().await.unwrap();
    fake.set_user_roles("1", vec![FakeRole::ci_validator(&["thelook"])]);
    let report = run_doctor(gitlab_job(&fake), &[]).await;
    assert!(report.passed, "{}", report.render_text());
    assert!(codes(&report, Level::Error).is_empty());
    // The stored key is the one warning: this set-up is not identity-based.
    assert_eq!(codes(&report, Level::Warning), ["secrets.static-key"]);
    let user = report.looker_user.as_ref().unwrap();
    assert_eq!(
        user.roles[0].models.as_deref(),
        Some(&["thelook".to_owned()][..])
    );
    assert_eq!(
        report
            .at(Level::Note)
            .filter(|f| f.code == "privilege.command")
            .count(),
        4
    );
    assert_eq!(report.ci.as_ref().unwrap().pipeline.as_deref(), Some("812"));
    // Two calls to Looker besides login and logout: the user and its roles.
    assert_eq!(fake.counters().me_calls, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_a_sudoer_surplus_and_missing_permissions_are_each_reported() {
    let fake = FakeLooker::start().await.unwrap();
    fake.set_user_roles("1", vec![FakeRole::admin()]);
    let report = run_doctor(gitlab_job(&fake), &["lookml"]).await;
    assert!(!report.passed);
    let errors = codes(&report, Level::Error);
    assert!(
        errors.contains(&"privilege.admin") && errors.contains(&"privilege.sudo"),
        "{errors:?}"
    );
    // An administrator's surplus is not listed permission by permission.
    assert!(!report.has("privilege.surplus"));

    let mut surplus = FakeRole::ci_validator(&["thelook"]);
    surplus.name = "Too much".into();
    surplus
        .permissions
        .extend(["deploy".to_owned(), "manage_models".to_owned()]);
    surplus.permissions.retain(|p| p != "see_sql");
    surplus.models = None;
    fake.set_user_roles("1", vec![surplus]);
    let report = run_doctor(gitlab_job(&fake), &["lookml", "sql"]).await;
    let surplus: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.code == "privilege.surplus")
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        surplus.iter().any(|m| m.contains("`deploy`")),
        "{surplus:?}"
    );
    assert!(
        surplus.iter().any(|m| m.contains("`manage_models`")),
        "{surplus:?}"
    );
    assert!(report.has("privilege.all-models"));
    let missing: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.code == "privilege.missing")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("`see_sql`") && missing[0].contains("looker-ci sql"),
        "{missing:?}"
    );
    assert!(!report.passed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_secrets_beside_identity_readable_files_and_tls_off_are_errors() {
    let fake = FakeLooker::start().await.unwrap();
    fake.set_user_roles("1", vec![FakeRole::ci_validator(&["thelook"])]);
    let dir = std::env::temp_dir().join(format!("looker-ci-doctor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("okta.pem");
    std::fs::write(&key, "not a real key").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let env = gitlab_job(&fake)
        .with_var("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/looker-ci")
        .with_var("AWS_REGION", "eu-west-1")
        .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/api-key")
        .with_var("LOOKER_CI_OKTA_PRIVATE_KEY_FILE", key.to_str().unwrap())
        .with_var("LOOKERSDK_VERIFY_SSL", "false")
        .with_file(
            "looker.ini",
            "[Looker]\nbase_url=https://x\nclient_secret=abc\n",
        );
    let report = run_doctor(env, &[]).await;
    let errors = codes(&report, Level::Error);
    for code in [
        "secrets.static-key-with-identity",
        "secrets.looker-ini-secret",
        "secrets.tls-verification-off",
    ] {
        assert!(
            errors.contains(&code),
            "{code} missing: {}",
            report.render_text()
        );
    }
    #[cfg(unix)]
    assert!(
        errors.contains(&"secrets.world-readable"),
        "{}",
        report.render_text()
    );
    let text = report.render_text();
    assert!(
        text.contains("the stored key is used and the CI identity is not"),
        "{text}"
    );
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(fake.client_secret().expose_secret()));
    assert!(!text.contains(fake.client_secret().expose_secret()));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_carry_the_run_and_the_audit_file_records_them_without_secrets() {
    let logs = common::capture_logs();
    let fake = FakeLooker::start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("looker-ci-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.jsonl");
    let env: Arc<dyn Environment> =
        Arc::new(gitlab_job(&fake).with_var("LOOKER_CI_AUDIT_FILE", path.to_str().unwrap()));
    let client = LookerClient::builder()
        .environment(env)
        .read_env(true)
        .build()
        .unwrap();
    let trail = Arc::clone(
        client
            .audit_trail()
            .expect("the setting turns the trail on"),
    );
    client.me_json().await.unwrap();
    let mut args = serde_json::Map::new();
    args.insert("lookml_model_name".into(), "thelook".into());
    args.insert("explore_name".into(), "orders".into());
    client
        .call_operation("lookml_model_explore", args)
        .await
        .unwrap();
    let sudo = client.login_user("1").unwrap();
    sudo.me_json().await.unwrap();
    sudo.close().await.unwrap();
    client.close().await.unwrap();
    trail.finish("passed");

    assert_eq!(
        fake.user_agents(),
        [format!(
            "looker-ci/{} (gitlab; project=data/looker-models; pipeline=812; job=4242; job_name=validate)",
            env!("CARGO_PKG_VERSION")
        )]
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "run");
    assert_eq!(*kinds.last().unwrap(), "end");
    let header = &records[0];
    assert_eq!(header["ci"]["project"], "data/looker-models");
    assert_eq!(header["identity"]["source"], "settings");
    let logins: Vec<&serde_json::Value> = records.iter().filter(|r| r["type"] == "login").collect();
    assert_eq!(logins.len(), 2, "{logins:?}");
    assert_eq!(
        (&logins[0]["looker_user_id"], &logins[0]["sudo"]),
        (&"1".into(), &false.into())
    );
    assert_eq!(logins[1]["sudo"], true);
    assert_eq!(logins[0]["token_ttl_s"], 3600);
    let paths: Vec<&str> = records
        .iter()
        .filter(|r| r["type"] == "request")
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    for expected in [
        "/login",
        "/user",
        "/lookml_models/{lookml_model_name}/explores/{explore_name}",
        "/login/{user_id}",
        "/logout",
    ] {
        assert!(paths.contains(&expected), "{expected} not in {paths:?}");
    }
    let explore = records
        .iter()
        .find(|r| r["operation"] == "lookml_model_explore")
        .unwrap();
    assert_eq!(explore["params"]["explore_name"], "orders");
    assert_eq!(explore["status"], 200);
    // The end record counts what the file holds.
    let requests = records.iter().filter(|r| r["type"] == "request").count() as u64;
    assert_eq!(records.last().unwrap()["requests"], requests);
    for secret in std::iter::once(fake.client_secret().expose_secret().to_owned()).chain(
        fake.issued_tokens()
            .iter()
            .map(|t| t.expose_secret().to_owned()),
    ) {
        assert!(!text.contains(&secret), "a secret is in the audit file");
        assert!(!logs.text().contains(&secret), "a secret is in the logs");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A compact JWT with these claims (unsigned: only its claims are read here).
fn token_with(claims: serde_json::Value) -> String {
    use base64::Engine;
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.{}",
        enc(br#"{"alg":"RS256","typ":"JWT"}"#),
        enc(claims.to_string().as_bytes()),
        enc(b"signature")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_ci_token_from_an_unprotected_ref_and_a_failed_login_are_found() {
    let fake = FakeLooker::start().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = token_with(serde_json::json!({
        "iss": "https://gitlab.example.com", "aud": "sts.amazonaws.com",
        "sub": "project_path:data/looker-models:ref_type:branch:ref:feature-x",
        "project_path": "data/looker-models", "ref": "feature-x", "ref_protected": "false",
        "exp": now - 120, "iat": now - 420,
    }));
    // The identity path, with STS on a closed loopback port: the expired token is refused
    // before any exchange, so the login fails without a request leaving the machine.
    let env = MapEnvironment::new()
        .with_var("GITLAB_CI", "true")
        .with_var("CI_JOB_ID", "4242")
        .with_var("LOOKERSDK_BASE_URL", &fake.base_url())
        .with_var("LOOKER_ID_TOKEN", &token)
        .with_var("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/looker-ci")
        .with_var("AWS_REGION", "us-east-1")
        .with_var("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/api-key");
    let report = run_doctor(env, &[]).await;
    let text = report.render_text();
    let errors = codes(&report, Level::Error);
    assert!(errors.contains(&"identity.ci-token-expired"), "{text}");
    assert!(errors.contains(&"identity.login-failed"), "{text}");
    assert!(
        codes(&report, Level::Warning).contains(&"identity.unprotected-ref"),
        "{text}"
    );
    assert!(
        text.contains("ref=feature-x") && text.contains("ref_protected=false"),
        "{text}"
    );
    assert!(report.looker_user.is_none());
    assert!(!text.contains(&token) && !serde_json::to_string(&report).unwrap().contains(&token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_from_the_library_names_what_the_command_needs() {
    use looker_ci_core::gate::{self, ValidateOptions, ValidatorKind};
    let fake = FakeLooker::start().await.unwrap();
    let sha = fake.add_commit(fake.project());
    fake.set_user_permissions("1", &["see_lookml", "access_data"]);
    let client = LookerClient::new(fake.settings()).unwrap();
    // A deploy without `deploy`: the permission table's row is the hint.
    let err = gate::deploy::deploy(&client, "thelook", None, Some(&sha))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("HTTP 403"), "{text}");
    assert!(
        text.contains("`looker-ci deploy` needs the Looker permissions develop, deploy"),
        "{text}"
    );
    assert_eq!(err.details()["code"], "LOOKER_CI_API");
    // Where the gate knows better (the dev workspace needs `develop`), its own hint is kept.
    let options = ValidateOptions {
        project: "thelook".into(),
        commit: Some(sha),
        ..ValidateOptions::default()
    };
    let err = gate::validate(&client, ValidatorKind::Lookml, &options)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("needs the `develop` permission"), "{text}");
    client.close().await.unwrap();
}
