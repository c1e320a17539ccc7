//! The `looker-ci` binary end to end against FakeLooker: exit codes, reports on disk, and the
//! messages a user sees. The server runs in this process; the command in a child process.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use looker_ci_core::ExposeSecret;
use looker_ci_core::testing::FakeLooker;

fn looker_ci() -> Command {
    Command::new(env!("CARGO_BIN_EXE_looker-ci"))
}

/// A scratch directory for reports, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "looker-ci-cli-{name}-{}-{}",
            std::process::id(),
            fastrand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fastrand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Run the command against `fake` (its API key in the environment, nothing else of the caller's).
async fn run(fake: Option<&FakeLooker>, cwd: &Path, args: &[&str]) -> Output {
    let mut command = looker_ci();
    command.args(args).current_dir(cwd).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    if let Some(fake) = fake {
        command
            .env("LOOKERSDK_BASE_URL", fake.base_url())
            .env("LOOKERSDK_CLIENT_ID", fake.client_id())
            .env(
                "LOOKERSDK_CLIENT_SECRET",
                fake.client_secret().expose_secret(),
            );
    }
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn help_lists_the_validators_and_the_exit_codes() {
    let scratch = Scratch::new("help");
    let out = run(None, &scratch.0, &["--help"]).await;
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for word in [
        "lookml", "sql", "assert", "content", "deploy", "merge", "130", "Examples",
    ] {
        assert!(help.contains(word), "--help lacks {word}: {help}");
    }
    let out = run(None, &scratch.0, &["sql", "--concurency", "3"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--concurrency"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lookml_findings_fail_the_gate_and_land_in_every_report() {
    let fake = FakeLooker::start().await.unwrap();
    let scratch = Scratch::new("lookml");
    let clean = run(Some(&fake), &scratch.0, &["lookml", "--project", "thelook"]).await;
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    assert!(
        text(&clean.stdout).contains("PASSED"),
        "{}",
        text(&clean.stdout)
    );

    fake.add_lookml_error("Unknown view `userz`");
    let (json, junit, quality, md) = (
        scratch.path("out/lookml.json"),
        scratch.path("lookml.xml"),
        scratch.path("quality.json"),
        scratch.path("lookml.md"),
    );
    let out = run(
        Some(&fake),
        &scratch.0,
        &[
            "lookml",
            "--project",
            "thelook",
            "--json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--codequality",
            quality.to_str().unwrap(),
            "--markdown",
            md.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Unknown view `userz`") && stdout.contains("FAILED"),
        "{stdout}"
    );
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(document["validator"], "lookml");
    assert_eq!(document["passed"], false);
    assert_eq!(document["findings"][0]["message"], "Unknown view `userz`");
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<failure")
    );
    let issues: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&quality).unwrap()).unwrap();
    assert_eq!(issues.as_array().unwrap().len(), 1);
    assert!(std::fs::read_to_string(&md).unwrap().contains("userz"));
    // No report is left half-written next to the real one.
    assert!(std::fs::read_dir(scratch.path("out")).unwrap().count() == 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn path_prefix_puts_report_paths_under_the_repository_root() {
    let fake = FakeLooker::start().await.unwrap();
    let scratch = Scratch::new("prefix");
    fake.add_lookml_error("Unknown view `userz`");
    let (json, junit, quality) = (
        scratch.path("lookml.json"),
        scratch.path("lookml.xml"),
        scratch.path("quality.json"),
    );
    let out = run(
        Some(&fake),
        &scratch.0,
        &[
            "lookml",
            "--project",
            "thelook",
            "--path-prefix",
            "./analytics/looker/",
            "--github",
            "--json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--codequality",
            quality.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let issues: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&quality).unwrap()).unwrap();
    assert_eq!(
        issues[0]["location"]["path"],
        "analytics/looker/views/orders.view.lkml"
    );
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("analytics/looker/views/orders.view.lkml")
    );
    assert!(
        text(&out.stdout).contains("file=analytics/looker/views/orders.view.lkml"),
        "{}",
        text(&out.stdout)
    );
    // The JSON document keeps project-relative paths and records the prefix.
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(document["findings"][0]["file"], "views/orders.view.lkml");
    assert_eq!(document["path_prefix"], "analytics/looker");
    // `merge` applies the recorded prefix, and a flag overrides it.
    let merged = scratch.path("merged.json");
    let out = run(
        Some(&fake),
        &scratch.0,
        &[
            "merge",
            json.to_str().unwrap(),
            "--path-prefix",
            "lookml",
            "--codequality",
            merged.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let issues: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    assert_eq!(
        issues[0]["location"]["path"],
        "lookml/views/orders.view.lkml"
    );

    let out = run(
        Some(&fake),
        &scratch.0,
        &["lookml", "--project", "thelook", "--path-prefix", "../up"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("`../up`"),
        "{}",
        text(&out.stderr)
    );
}

/// Run the command with `args`: exit code 2 (configuration error), and standard error naming
/// every one of `says`.
async fn refused(fake: &FakeLooker, dir: &Path, args: &[&str], says: &[&str]) {
    let out = run(Some(fake), dir, args).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for word in says {
        assert!(err.contains(word), "{args:?} should say {word}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_a_configuration_error_that_names_it() {
    let fake = FakeLooker::start().await.unwrap();
    let scratch = Scratch::new("bad");
    let dir = &scratch.0;
    refused(
        &fake,
        dir,
        &["lookml", "--project", "nope"],
        &["`nope`", "thelook"],
    )
    .await;
    let sql = |more: &[&'static str]| [&["sql", "--project", "thelook"], more].concat();
    refused(
        &fake,
        dir,
        &sql(&["--explores", "thelook/ordrs"]),
        &["no explore `ordrs`"],
    )
    .await;
    refused(&fake, dir, &sql(&["--shard", "5/4"]), &["5/4"]).await;
    refused(
        &fake,
        dir,
        &sql(&["--shard", "1/2", "--shard-timings", "earlier.json"]),
        &["shard_timings", "earlier.json"],
    )
    .await;
    refused(
        &fake,
        dir,
        &sql(&["--commit", "abc1234", "--import-ref", "shared_views"]),
        &["`shared_views` is not PROJECT=REF"],
    )
    .await;

    // No Looker configured at all: a configuration error, not a crash.
    let out = run(None, dir, &["lookml", "--project", "thelook"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("base_url"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_api_key_is_a_looker_error() {
    let fake = FakeLooker::start().await.unwrap();
    let scratch = Scratch::new("key");
    let mut command = looker_ci();
    command
        .args(["lookml", "--project", "thelook"])
        .current_dir(&scratch.0)
        .env_clear()
        .env("LOOKERSDK_BASE_URL", fake.base_url())
        .env("LOOKERSDK_CLIENT_ID", fake.client_id())
        .env("LOOKERSDK_CLIENT_SECRET", "not-the-secret");
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("not-the-secret"));
    assert!(!all.contains(fake.client_secret().expose_secret()));
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_and_merge_work_from_the_command() {
    let fake = FakeLooker::start().await.unwrap();
    let scratch = Scratch::new("deploy");
    let out = run(
        Some(&fake),
        &scratch.0,
        &["deploy", "--project", "thelook", "--branch", "main"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(fake.deployed_ref().as_deref(), Some("main"));

    fake.fail_lookml_test("orders_have_ids")
        .expect("production has this data test");
    let (a, b) = (scratch.path("a.json"), scratch.path("b.json"));
    for (shard, path) in [("1/2", &a), ("2/2", &b)] {
        let out = run(
            Some(&fake),
            &scratch.0,
            &[
                "assert",
                "--project",
                "thelook",
                "--shard",
                shard,
                "--json",
                path.to_str().unwrap(),
            ],
        )
        .await;
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            text(&out.stderr)
        );
    }
    let merged = scratch.path("merged.json");
    let out = run(
        None,
        &scratch.0,
        &[
            "merge",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--json",
            merged.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    // Both shards together ran every test once.
    let tests = document["counts"]["tests_run"].as_u64().unwrap();
    assert!(tests >= 2, "{document}");
    assert_eq!(
        document["findings"].as_array().unwrap().len(),
        1,
        "{document}"
    );
    assert!(document.get("shard").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_from_the_runner_removes_the_temporary_branch_and_exits_130() {
    let fake = FakeLooker::start().await.unwrap();
    let sha = fake.add_commit(fake.project());
    fake.set_query_duration(std::time::Duration::from_secs(60));
    let scratch = Scratch::new("sigterm");
    let mut command = looker_ci();
    command
        .args(["sql", "--project", "thelook", "--commit", &sha])
        .current_dir(&scratch.0)
        .env_clear()
        .env("LOOKERSDK_BASE_URL", fake.base_url())
        .env("LOOKERSDK_CLIENT_ID", fake.client_id())
        .env(
            "LOOKERSDK_CLIENT_SECRET",
            fake.client_secret().expose_secret(),
        )
        .env("CI_PIPELINE_ID", "4242")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().unwrap();
    // Wait until the temporary branch exists and queries run, then cancel as a runner does.
    let mut waited = 0;
    while !fake
        .branches()
        .iter()
        .any(|b| b.starts_with("looker-ci-tmp-4242-"))
        || fake.warehouse_counters().running == 0
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
        assert!(
            waited < 400,
            "the validation never started: {:?}",
            fake.branches()
        );
    }
    let pid = child.id().to_string();
    let killed = tokio::task::spawn_blocking(move || {
        Command::new("kill").args(["-TERM", &pid]).status().unwrap()
    })
    .await
    .unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cancelled"),
        "{}",
        text(&out.stderr)
    );
    assert!(fake.warehouse_counters().queries_cancelled >= 1);
    assert!(
        !fake
            .branches()
            .iter()
            .any(|b| b.starts_with("looker-ci-tmp-")),
        "{:?}",
        fake.branches()
    );
    // In CI the audit trail is on by default; the cancelled run closed it.
    let records = audit_records(&scratch.path("looker-ci-audit.jsonl"));
    assert_eq!(records[0]["type"], "run");
    assert_eq!(records[0]["ci"]["pipeline"], "4242");
    let last = records.last().unwrap();
    assert_eq!(
        (&last["type"], &last["outcome"]),
        (&"end".into(), &"cancelled".into())
    );
}

/// Every line of an audit file, parsed (a line that is not JSON fails the test).
fn audit_records(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_leaves_a_readable_audit_trail_without_secrets() {
    let fake = FakeLooker::start().await.unwrap();
    fake.set_query_duration(std::time::Duration::from_secs(60));
    let scratch = Scratch::new("killed");
    let audit = scratch.path("audit/trail.jsonl");
    std::fs::create_dir_all(audit.parent().unwrap()).unwrap();
    let mut command = looker_ci();
    command
        .args(["sql", "--project", "thelook", "--audit"])
        .arg(&audit)
        .current_dir(&scratch.0)
        .env_clear()
        .env("LOOKERSDK_BASE_URL", fake.base_url())
        .env("LOOKERSDK_CLIENT_ID", fake.client_id())
        .env(
            "LOOKERSDK_CLIENT_SECRET",
            fake.client_secret().expose_secret(),
        )
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "acme/analytics")
        .env("GITHUB_RUN_ID", "9001")
        .env("GITHUB_JOB", "looker")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = command.spawn().unwrap();
    let mut waited = 0;
    while fake.warehouse_counters().running == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
        assert!(waited < 400, "no query ever ran");
    }
    child.kill().unwrap(); // SIGKILL: no handler runs, nothing is flushed at exit
    let _ = child.wait();
    let records = audit_records(&audit);
    assert_eq!(records[0]["type"], "run");
    assert_eq!(records[0]["ci"]["system"], "github");
    assert_eq!(records[0]["identity"]["source"], "settings");
    assert!(
        records
            .iter()
            .any(|r| r["type"] == "login" && r["looker_user_id"] == "1")
    );
    let requests: Vec<_> = records.iter().filter(|r| r["type"] == "request").collect();
    assert!(
        requests
            .iter()
            .any(|r| r["path"] == "/lookml_models/{lookml_model_name}/explores/{explore_name}"),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| r["status"].is_u64() && r["duration_ms"].is_number())
    );
    assert!(
        !records.iter().any(|r| r["type"] == "end"),
        "a killed run writes no end record"
    );
    // Every request FakeLooker saw came with the run in its User-Agent.
    let agents = fake.user_agents();
    assert!(
        agents
            .iter()
            .all(|a| a.contains("(github; repository=acme/analytics; run=9001; job=looker")),
        "{agents:?}"
    );
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(!text.contains(fake.client_secret().expose_secret()));
    for token in fake.issued_tokens() {
        assert!(
            !text.contains(token.expose_secret()),
            "a token is in the audit file"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_passes_a_least_privilege_user_and_fails_an_admin() {
    use looker_ci_core::testing::FakeRole;
    let fake = FakeLooker::start().await.unwrap();
    let scratch = Scratch::new("doctor");
    fake.set_user_roles("1", vec![FakeRole::ci_validator(&["thelook"])]);
    let out = run(
        Some(&fake),
        &scratch.0,
        &["doctor", "--json", "doctor.json", "--no-audit"],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("CI Validator"), "{stdout}");
    // The stored key in LOOKERSDK_CLIENT_SECRET is worth a warning, not a failure.
    assert!(stdout.contains("secrets.static-key"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(scratch.path("doctor.json")).unwrap())
            .unwrap();
    assert_eq!(report["passed"], true);
    assert_eq!(report["looker_user"]["id"], "1");
    assert!(!scratch.path("looker-ci-audit.jsonl").exists());

    fake.set_user_roles("1", vec![FakeRole::admin()]);
    let out = run(
        Some(&fake),
        &scratch.0,
        &["doctor", "--command", "deploy", "--quiet"],
    )
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("privilege.admin") && stdout.contains("privilege.sudo"),
        "{stdout}"
    );
    assert!(!stdout.contains(fake.client_secret().expose_secret()));

    let out = run(Some(&fake), &scratch.0, &["doctor", "--command", "publish"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("known: lookml, sql"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_403_names_the_permissions_the_command_needs() {
    let fake = FakeLooker::start().await.unwrap();
    let scratch = Scratch::new("forbidden");
    fake.set_user_permissions("1", &["see_lookml", "develop"]);
    let out = run(
        Some(&fake),
        &scratch.0,
        &["deploy", "--project", "thelook", "--branch", "main"],
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("`looker-ci deploy` needs the Looker permissions develop, deploy"),
        "{stderr}"
    );
}
