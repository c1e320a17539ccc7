//! FakeLooker as a server, for demos, benchmarks and testing a pipeline end to end (the GitLab
//! example runs against it): serves until SIGINT/SIGTERM, then writes its counters.
//!
//! ```text
//! cargo run -p looker-ci-examples --bin fake_looker -- --info-file fake.json \
//!     [--project thelook | --project synthetic:EXPLORES:DIMENSIONS:SEED]
//!     [--break-fields N] [--break-joins N] [--interactions N] [--seed S]
//!     [--api-latency-ms MIN:MAX] [--query-duration-ms N] [--concurrency-limit N]
//!     [--api-key ID:SECRET] [--counters-file counters.json] [--least-privilege]
//!     [--slow-explores N:MILLISECONDS]
//! ```
//!
//! `--slow-explores N:MS` makes N explores, chosen by the seed, slow: every query of theirs runs
//! MS milliseconds longer (a benchmark of `--shard-timings`).
//!
//! `--least-privilege` gives the API user a validator role (what `lookml`, `sql`, `assert` and
//! `content` need, on the project's models) and a deployer role (`develop`, `deploy`) instead of
//! the default developer role, so `looker-ci doctor` passes.
//!
//! The info file (mode 0600: it holds the API key) is JSON: `base_url`, `client_id`,
//! `client_secret`, `project`, and `broken` (the fields, joins and interactions broken, so a
//! test or benchmark knows what a validator must find; `slow_explores` with `--slow-explores`).

use std::time::Duration;

use looker_ci_api::testing::{FakeLooker, FakeProject, FakeRole};
use looker_ci_api::{ExposeSecret, SecretString};
use serde_json::{Value, json};

fn usage(problem: &str) -> ! {
    eprintln!(
        "fake_looker: {problem}\n(see the comment at the top of examples/fake-looker/fake_looker.rs)"
    );
    std::process::exit(2)
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> T {
    text.parse()
        .unwrap_or_else(|_| usage(&format!("{flag}: `{text}` is not a number")))
}

#[derive(Default)]
struct Args {
    info_file: Option<String>,
    counters_file: Option<String>,
    project: Option<String>,
    break_fields: usize,
    break_joins: usize,
    interactions: usize,
    seed: u64,
    api_latency: Option<(u64, u64)>,
    query_duration: u64,
    concurrency_limit: Option<usize>,
    api_key: Option<(String, String)>,
    least_privilege: bool,
    /// N explores, chosen by the seed, whose every query runs this many milliseconds longer.
    slow_explores: Option<(usize, u64)>,
}

fn parse() -> Args {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--info-file" => args.info_file = Some(value()),
            "--counters-file" => args.counters_file = Some(value()),
            "--project" => args.project = Some(value()),
            "--break-fields" => args.break_fields = number(&flag, &value()),
            "--break-joins" => args.break_joins = number(&flag, &value()),
            "--interactions" => args.interactions = number(&flag, &value()),
            "--seed" => args.seed = number(&flag, &value()),
            "--query-duration-ms" => args.query_duration = number(&flag, &value()),
            "--concurrency-limit" => args.concurrency_limit = Some(number(&flag, &value())),
            "--api-latency-ms" => {
                let text = value();
                let (min, max) = text.split_once(':').unwrap_or((&text, &text));
                args.api_latency = Some((number(&flag, min), number(&flag, max)));
            }
            "--slow-explores" => {
                let text = value();
                let (count, extra) = text
                    .split_once(':')
                    .unwrap_or_else(|| usage("--slow-explores takes N:MILLISECONDS"));
                args.slow_explores = Some((number(&flag, count), number(&flag, extra)));
            }
            "--least-privilege" => {
                args.least_privilege = true;
                continue;
            }
            "--api-key" => {
                let text = value();
                let (id, secret) = text
                    .split_once(':')
                    .unwrap_or_else(|| usage("--api-key takes ID:SECRET"));
                args.api_key = Some((id.to_owned(), secret.to_owned()));
            }
            other => usage(&format!("unknown flag `{other}`")),
        }
    }
    args
}

fn project_from(spec: Option<&str>) -> FakeProject {
    match spec {
        None | Some("thelook") => FakeProject::thelook(),
        Some(other) => {
            let parts: Vec<&str> = other.split(':').collect();
            match parts.as_slice() {
                ["synthetic", explores, dimensions, seed] => FakeProject::synthetic(
                    number("--project", explores),
                    number("--project", dimensions),
                    number("--project", seed),
                ),
                _ => usage("--project is `thelook` or `synthetic:EXPLORES:DIMENSIONS:SEED`"),
            }
        }
    }
}

/// Break what the flags ask for, chosen by the seed; returns what was broken.
fn break_things(project: &mut FakeProject, args: &Args) -> Value {
    let mut rng = fastrand::Rng::with_seed(args.seed);
    let mut broken_fields = Vec::new();
    let mut broken_joins = Vec::new();
    let mut interactions = Vec::new();
    // Every (base view, other fields) pair, in a stable order.
    let mut explores: Vec<(String, String, String, Vec<String>)> = Vec::new();
    for model in &project.models {
        for explore in &model.explores {
            let base = explore.base_view().to_owned();
            let join = explore
                .joins
                .first()
                .map(|j| j.name.clone())
                .unwrap_or_default();
            let fields: Vec<String> = project
                .view(&base)
                .map(|v| {
                    v.dimensions
                        .iter()
                        .filter(|f| !f.primary_key && f.sql.contains("${TABLE}."))
                        .map(|f| {
                            // The column the field's SQL reads: what a database names when
                            // the column is gone.
                            let column: String = f
                                .sql
                                .split("${TABLE}.")
                                .nth(1)
                                .unwrap_or("")
                                .chars()
                                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                                .collect();
                            format!("{}|{base}.{column}", f.name)
                        })
                        .collect()
                })
                .unwrap_or_default();
            explores.push((model.name.clone(), explore.name.clone(), join, fields));
        }
    }
    rng.shuffle(&mut explores);
    let mut pick = explores.into_iter();
    for _ in 0..args.break_fields {
        let Some((_, _, _, fields)) = pick.next() else {
            break;
        };
        let Some(entry) = fields.get(rng.usize(..fields.len().max(1))).cloned() else {
            continue;
        };
        let (field, column) = entry.split_once('|').expect("name|column");
        let field = field.to_owned();
        project
            .break_field(&field, &format!("ERROR: column {column} does not exist"))
            .expect("the field exists");
        broken_fields.push(field);
    }
    for _ in 0..args.break_joins {
        let Some((model, explore, join, _)) = pick.next() else {
            break;
        };
        if join.is_empty() {
            continue;
        }
        project
            .break_join(
                &model,
                &explore,
                &join,
                r#"ERROR: syntax error at or near "=""#,
            )
            .expect("the join exists");
        broken_joins.push(format!("{model}/{explore}/{join}"));
    }
    for _ in 0..args.interactions {
        let Some((_, _, join, fields)) = pick.next() else {
            break;
        };
        let Some(field) = fields.first().and_then(|e| e.split('|').next()) else {
            continue;
        };
        if join.is_empty() {
            continue;
        }
        project
            .make_ambiguous(field, &join)
            .expect("the field exists");
        interactions.push(field.to_owned());
    }
    json!({"fields": broken_fields, "joins": broken_joins, "interactions": interactions})
}

/// Make `count` explores, chosen by the seed, slow: a field of each one's base view adds `extra`
/// milliseconds to every query that selects it (an explore's first query selects them all).
/// Returns the explores, as `model/explore`.
fn slow_explores(project: &mut FakeProject, seed: u64, count: usize, extra: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(1));
    let mut explores: Vec<(String, String, String)> = project
        .models
        .iter()
        .flat_map(|m| {
            m.explores
                .iter()
                .map(|e| (m.name.clone(), e.name.clone(), e.base_view().to_owned()))
        })
        .collect();
    rng.shuffle(&mut explores);
    let mut slow = Vec::new();
    for (model, explore, base) in explores.into_iter().take(count) {
        let Some(field) = project
            .view(&base)
            .and_then(|v| v.dimensions.first())
            .map(|f| f.name.clone())
        else {
            continue;
        };
        project
            .slow_field(&field, Duration::from_millis(extra))
            .expect("the field exists");
        slow.push(format!("{model}/{explore}"));
    }
    slow.sort();
    slow
}

fn write_private(path: &str, text: &str) {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .unwrap_or_else(|e| usage(&format!("cannot write {path}: {e}")));
    file.write_all(text.as_bytes())
        .expect("the info file is written");
}

#[tokio::main]
async fn main() {
    let args = parse();
    let fake = FakeLooker::start().await.expect("FakeLooker starts");
    let mut project = project_from(args.project.as_deref());
    let mut broken = break_things(&mut project, &args);
    if let Some((count, extra)) = args.slow_explores {
        broken["slow_explores"] = json!(slow_explores(&mut project, args.seed, count, extra));
    }
    let name = project.name.clone();
    let models: Vec<String> = project.models.iter().map(|m| m.name.clone()).collect();
    fake.set_project(project);
    if args.least_privilege {
        let models: Vec<&str> = models.iter().map(String::as_str).collect();
        fake.set_user_roles(
            "1",
            vec![
                FakeRole::ci_validator(&models),
                FakeRole::new("Deployer", &["develop", "deploy"]).on_models(&models),
            ],
        );
    }
    if let Some((id, secret)) = &args.api_key {
        fake.set_api_key(id, &SecretString::from(secret.clone()));
    }
    if let Some((min, max)) = args.api_latency {
        fake.set_api_latency(Duration::from_millis(min), Duration::from_millis(max));
    }
    fake.set_query_duration(Duration::from_millis(args.query_duration));
    if let Some(limit) = args.concurrency_limit {
        fake.set_query_concurrency_limit(limit);
    }
    let info = json!({
        "base_url": fake.base_url(),
        "client_id": fake.client_id(),
        "client_secret": fake.client_secret().expose_secret(),
        "project": name,
        "broken": broken,
    });
    match &args.info_file {
        Some(path) => write_private(path, &info.to_string()),
        None => usage("--info-file is required (it receives the API key, never stdout)"),
    }
    eprintln!("fake_looker: serving project {name} on {}", fake.base_url());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    let counters = fake.counters();
    let warehouse = fake.warehouse_counters();
    let report = json!({
        "api_requests": counters.requests,
        "logins": counters.logins,
        "queries_run": warehouse.queries_run,
        "queries_created": warehouse.queries_created,
        "query_tasks_created": warehouse.query_tasks_created,
        "queries_cancelled": warehouse.queries_cancelled,
        "max_running_per_user": warehouse.max_running_per_user,
        "branches": fake.branches(),
        "user_agents": fake.user_agents(),
    });
    if let Some(path) = &args.counters_file {
        std::fs::write(path, report.to_string()).expect("the counters file is written");
    }
    fake.stop();
}
