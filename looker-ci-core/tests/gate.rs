//! The CI gate against FakeLooker: what each validator finds, how many warehouse queries it
//! spends (logical counts, never wall-clock limits), the query slots it uses, branch handling and
//! its cleanup, cancellation, and bad input.

use std::sync::Arc;
use std::time::Duration;

use looker_ci_core::gate::{
    self, Finding, FindingScope, Progress, Severity, ValidateOptions, ValidationResult,
    ValidatorKind,
};
use looker_ci_core::testing::{FakeImport, FakeLooker, FakeProject, Fault};
use looker_ci_core::{Error, LookerClient};

/// Branches other than the users' personal ones (created on first use of the dev workspace).
fn shared_branches(fake: &FakeLooker) -> Vec<String> {
    fake.branches()
        .into_iter()
        .filter(|b| !b.starts_with("dev-"))
        .collect()
}

async fn fake() -> (FakeLooker, LookerClient) {
    let fake = FakeLooker::start().await.expect("FakeLooker starts");
    let client = LookerClient::new(fake.settings()).expect("client");
    (fake, client)
}

fn options() -> ValidateOptions {
    ValidateOptions {
        project: "thelook".into(),
        poll_interval: 0.02,
        ..ValidateOptions::default()
    }
}

async fn sql(client: &LookerClient, options: &ValidateOptions) -> ValidationResult {
    gate::validate(client, ValidatorKind::Sql, options)
        .await
        .expect("the SQL validation runs")
}

fn findings_for<'a>(result: &'a ValidationResult, explore: &str) -> Vec<&'a Finding> {
    result
        .findings
        .iter()
        .filter(|f| f.explore.as_deref() == Some(explore))
        .collect()
}

/// The fields of the field-level findings, in order.
fn broken_fields(result: &ValidationResult) -> Vec<&str> {
    result
        .findings
        .iter()
        .filter_map(|f| f.field.as_deref())
        .collect()
}

/// The one explore-level finding (an interaction or a broken base table).
fn explore_finding(result: &ValidationResult) -> &Finding {
    result
        .findings
        .iter()
        .find(|f| f.scope == FindingScope::Explore)
        .unwrap_or_else(|| panic!("no explore finding: {:#?}", result.findings))
}

/// `options()` for `thelook/orders` only.
fn only_orders() -> ValidateOptions {
    ValidateOptions {
        explores: vec!["thelook/orders".into()],
        ..options()
    }
}

fn queries_for(result: &ValidationResult, explore: &str) -> u64 {
    result
        .explores
        .iter()
        .find(|e| e.explore == explore)
        .map(|e| e.queries)
        .expect("explore checked")
}

#[tokio::test]
async fn a_clean_project_passes_with_one_query_per_explore() {
    let (fake, client) = fake().await;
    let result = sql(&client, &options()).await;
    assert!(result.passed, "{:#?}", result.findings);
    assert_eq!(result.counts.explores_checked, 2);
    assert_eq!(result.counts.queries_run, 2);
    assert_eq!(fake.warehouse_counters().queries_run, 2);
    // Measures are checked too: orders has dimensions and measures, and users' join fields.
    assert!(result.counts.fields_checked >= 10, "{:?}", result.counts);
    assert!(result.counts.api_requests > 0);
    assert_eq!(result.git_ref.kind, "production");
}

#[tokio::test]
async fn a_broken_dimension_is_found_from_the_database_message() {
    let (fake, client) = fake().await;
    fake.break_field(
        "main",
        "orders.status",
        "ERROR: column orders.status does not exist",
    )
    .unwrap();
    let result = sql(&client, &options()).await;
    assert!(!result.passed);
    assert_eq!(result.findings.len(), 1, "{:#?}", result.findings);
    let finding = &result.findings[0];
    assert_eq!(finding.scope, FindingScope::Field);
    assert_eq!(finding.field.as_deref(), Some("orders.status"));
    assert_eq!(finding.explore.as_deref(), Some("orders"));
    assert!(finding.message.contains("orders.status"));
    assert!(finding.sql.as_deref().is_some_and(|s| s.contains("SELECT")));
    assert_eq!(finding.severity, Severity::Error);
    // The explore query, then the rest without the named field, which passes: that proves the
    // field in two queries.
    assert_eq!(queries_for(&result, "orders"), 2, "{:?}", result.explores);
    assert_eq!(queries_for(&result, "users"), 1);
}

// Real Looker's replies, as FakeLooker can send them (set_dev_mode_note, set_expired_polls).

/// Break `orders.status`, run the SQL gate, and check that exactly it is found, in the explore
/// query and the rest's (2 queries), beside users' 1: what a quirk of Looker's must not change.
async fn status_found_as_usual(fake: &FakeLooker, client: &LookerClient) -> ValidationResult {
    fake.break_field(
        "main",
        "orders.status",
        "ERROR: column orders.status does not exist",
    )
    .unwrap();
    let result = sql(client, &options()).await;
    assert_eq!(
        broken_fields(&result),
        ["orders.status"],
        "{:#?}",
        result.findings
    );
    assert_eq!(queries_for(&result, "orders"), 2);
    assert_eq!(queries_for(&result, "users"), 1);
    result
}

#[tokio::test]
async fn looker_development_mode_notes_are_not_errors() {
    let (fake, client) = fake().await;
    // The note comes first in every result, alone on a passing query.
    fake.set_dev_mode_note(true);
    let result = status_found_as_usual(&fake, &client).await;
    assert!(result.findings[0].message.contains("does not exist"));
    assert!(!result.findings[0].message.contains("Note:"));
}

#[tokio::test]
async fn a_task_looker_briefly_shows_as_expired_is_waited_for_not_rerun() {
    let (fake, client) = fake().await;
    fake.set_expired_polls(2);
    status_found_as_usual(&fake, &client).await;
    assert_eq!(fake.warehouse_counters().query_tasks_created, 3);
}

#[tokio::test]
async fn a_query_killed_in_looker_is_one_unchecked_finding_not_a_search() {
    let (fake, client) = fake().await;
    fake.set_queries_killed(true);
    let result = sql(&client, &options()).await;
    assert!(!result.passed);
    // One finding per explore, at explore level, from its one query: nothing was searched.
    assert_eq!(result.findings.len(), 2, "{:#?}", result.findings);
    for finding in &result.findings {
        assert_eq!(finding.scope, FindingScope::Explore);
        assert!(finding.message.contains("`killed`"), "{}", finding.message);
    }
    for explore in &result.explores {
        assert_eq!((explore.status.as_str(), explore.queries), ("unchecked", 1));
    }
}

#[tokio::test]
async fn a_message_that_names_no_column_is_found_by_bisection() {
    let (fake, client) = fake().await;
    fake.break_field(
        "main",
        "orders.created_date",
        r#"ERROR: syntax error at or near ")""#,
    )
    .unwrap();
    let result = sql(&client, &options()).await;
    assert_eq!(
        broken_fields(&result),
        ["orders.created_date"],
        "{:#?}",
        result.findings
    );
}

#[tokio::test]
async fn measures_are_checked_unless_dimensions_only() {
    let (fake, client) = fake().await;
    fake.break_field(
        "main",
        "orders.total_amount",
        "ERROR: function sum(text) does not exist",
    )
    .unwrap();
    let result = sql(&client, &options()).await;
    assert_eq!(
        broken_fields(&result),
        ["orders.total_amount"],
        "{:#?}",
        result.findings
    );
    let dimensions_only = ValidateOptions {
        dimensions_only: true,
        ..options()
    };
    assert!(sql(&client, &dimensions_only).await.passed);
}

#[tokio::test]
async fn a_broken_join_is_one_finding_not_one_per_field() {
    let (fake, client) = fake().await;
    // A typo in the join's `sql_on`: the database names the column, which only the join uses.
    fake.edit_branch("main", |project| {
        let join = project.models[0].explores[0]
            .joins
            .iter_mut()
            .find(|j| j.name == "users")
            .expect("orders joins users");
        join.sql_on = "${orders.user_id} = ${users.idd}".into();
        join.error = Some("ERROR: column users.idd does not exist".into());
        Ok(())
    })
    .unwrap();
    let result = sql(&client, &options()).await;
    assert_eq!(result.findings.len(), 1, "{:#?}", result.findings);
    let finding = &result.findings[0];
    assert_eq!(finding.scope, FindingScope::Join);
    assert_eq!(finding.view.as_deref(), Some("users"));
    assert!(finding.fields.iter().all(|f| f.starts_with("users.")) && !finding.fields.is_empty());
    // The explore query, one probe of the join, the rest once.
    assert_eq!(queries_for(&result, "orders"), 3, "{:?}", result.explores);
}

#[tokio::test]
async fn a_joined_views_missing_table_is_found_from_the_table_the_query_joins() {
    let (fake, client) = fake().await;
    fake.break_table(
        "main",
        "users",
        r#"ERROR: relation "thelook.users" does not exist"#,
    )
    .unwrap();
    let result = sql(&client, &only_orders()).await;
    // Looker's explore metadata does not name a join's table (nor does FakeLooker's); the
    // failing query's SQL does (`LEFT JOIN thelook.users ON ...`).
    assert_eq!(result.findings.len(), 1, "{:#?}", result.findings);
    assert_eq!(result.findings[0].scope, FindingScope::Join);
    assert_eq!(result.findings[0].view.as_deref(), Some("users"));
    // The explore query, then the join's probe beside the rest without users.
    assert_eq!(queries_for(&result, "orders"), 3, "{:?}", result.explores);
}

#[tokio::test]
async fn a_broken_join_whose_message_names_nothing_is_found_in_one_round_of_search() {
    let (fake, client) = fake().await;
    fake.break_join(
        "main",
        "thelook",
        "orders",
        "users",
        r#"ERROR: syntax error at or near "=""#,
    )
    .unwrap();
    // Long enough that queries created in the same round are seen running together.
    fake.set_query_duration(Duration::from_millis(500));
    let result = sql(&client, &only_orders()).await;
    assert_eq!(result.findings.len(), 1, "{:#?}", result.findings);
    assert_eq!(result.findings[0].scope, FindingScope::Join);
    assert_eq!(result.findings[0].view.as_deref(), Some("users"));
    // The explore query, then in one round the base probe, one query per view of the split
    // (orders, users) and users' probe, whose answer proves the join when its part fails.
    assert_eq!(queries_for(&result, "orders"), 5, "{:?}", result.explores);
    assert_eq!(fake.warehouse_counters().max_running_per_user, 4);
}

#[tokio::test]
async fn a_missing_base_table_is_one_explore_finding() {
    let (fake, client) = fake().await;
    fake.break_table(
        "main",
        "orders",
        r#"ERROR: relation "thelook.orderz" does not exist"#,
    )
    .unwrap();
    let result = sql(&client, &options()).await;
    let on_orders = findings_for(&result, "orders");
    assert_eq!(on_orders.len(), 1, "{:#?}", result.findings);
    assert_eq!(on_orders[0].scope, FindingScope::Explore);
    assert!(queries_for(&result, "orders") <= 2, "{:?}", result.explores);
}

#[tokio::test]
async fn a_broken_base_table_in_a_chunked_explore_is_probed_once_and_found_once() {
    let (fake, client) = fake().await;
    fake.break_table(
        "main",
        "orders",
        r#"ERROR: relation "thelook.orderz" does not exist"#,
    )
    .unwrap();
    // Ten fields in chunks of three: four chunks fail at once, the last one a single field.
    let chunked = ValidateOptions {
        chunk_size: 3,
        ..only_orders()
    };
    let result = sql(&client, &chunked).await;
    assert_eq!(result.findings.len(), 1, "{:#?}", result.findings);
    assert_eq!(result.findings[0].scope, FindingScope::Explore);
    // The four chunks, then one probe of the base table that all four asked for at once.
    assert_eq!(result.explores[0].fields, 10);
    assert_eq!(queries_for(&result, "orders"), 5, "{:?}", result.explores);
}

#[tokio::test]
async fn a_base_table_whose_message_names_nothing_is_still_one_explore_finding() {
    // A syntax error names no table, so the base probe runs beside the split by view: the
    // probe's answer wins and the split's answers are not reported.
    let (fake, client) = fake().await;
    fake.break_table("main", "orders", r#"ERROR: syntax error at or near "(""#)
        .unwrap();
    let result = sql(&client, &options()).await;
    let on_orders = findings_for(&result, "orders");
    assert_eq!(on_orders.len(), 1, "{:#?}", result.findings);
    assert_eq!(on_orders[0].scope, FindingScope::Explore);
    assert_eq!(on_orders[0].view.as_deref(), Some("orders"));
    // The explore query, the base probe, one query per view of the split (orders, users) and
    // users' probe (run in case the join is what is broken).
    assert_eq!(queries_for(&result, "orders"), 5, "{:?}", result.explores);
}

#[tokio::test]
async fn an_error_that_needs_two_views_is_reported_with_the_smallest_failing_set() {
    let (fake, client) = fake().await;
    // `orders.status` fails only when a field of `users` is in the same query.
    fake.make_ambiguous("main", "orders.status", "users")
        .unwrap();
    let result = sql(&client, &options()).await;
    assert!(!result.passed, "an interaction error must not be dropped");
    let finding = explore_finding(&result);
    assert!(finding.message.contains("ambiguous"), "{}", finding.message);
    // The named field with users' primary key: any field of users brings in its join.
    assert_eq!(finding.fields, ["orders.status", "users.id"]);
    // Guided by the message and the views, not a blind search of every field: the explore
    // query, then in one round the named field alone, the rest without it, and the named field
    // with one field of users (the one view its own query does not join), already a smallest
    // pair.
    assert_eq!(queries_for(&result, "orders"), 4, "{:?}", result.explores);
}

#[tokio::test]
async fn an_interaction_beside_a_broken_field_of_the_other_view_is_still_reported() {
    let (fake, client) = fake().await;
    // The explore fails with the ambiguity; the rest of it fails too, on users.id, which is also
    // the field the first trial pairs with `orders.status`. Both errors are reported, and the
    // smallest failing set is made of sound fields.
    fake.make_ambiguous("main", "orders.status", "users")
        .unwrap();
    fake.break_field("main", "users.id", "ERROR: column users.id does not exist")
        .unwrap();
    let result = sql(&client, &only_orders()).await;
    assert_eq!(result.findings.len(), 2, "{:#?}", result.findings);
    assert_eq!(
        broken_fields(&result),
        ["users.id"],
        "{:#?}",
        result.findings
    );
    let interaction = explore_finding(&result);
    assert!(
        interaction.message.contains("ambiguous"),
        "{}",
        interaction.message
    );
    assert_eq!(interaction.fields.len(), 2, "{:?}", interaction.fields);
    assert_eq!(interaction.fields[0], "orders.status");
    assert!(
        interaction.fields[1].starts_with("users.") && interaction.fields[1] != "users.id",
        "{:?}",
        interaction.fields
    );
}

#[tokio::test]
async fn fail_fast_reports_the_explore_without_searching() {
    let (fake, client) = fake().await;
    fake.break_field(
        "main",
        "orders.status",
        "ERROR: column orders.status does not exist",
    )
    .unwrap();
    let fast = ValidateOptions {
        fail_fast: true,
        ..options()
    };
    let result = sql(&client, &fast).await;
    assert_eq!(result.findings.len(), 1);
    assert_eq!(result.findings[0].scope, FindingScope::Explore);
    assert_eq!(result.counts.queries_run, 2);
}

#[tokio::test]
async fn opted_out_and_hidden_fields_are_left_out() {
    let (fake, client) = fake().await;
    fake.edit_branch("main", |project| {
        project.break_field(
            "orders.status",
            "ERROR: column orders.status does not exist",
        )?;
        project.break_field(
            "orders.user_id",
            "ERROR: column orders.user_idd does not exist",
        )?;
        for view in &mut project.views {
            for field in view.dimensions.iter_mut() {
                if field.name == "orders.status" {
                    field.tags.push("looker-ci: ignore".into());
                }
            }
        }
        Ok(())
    })
    .unwrap();
    let result = sql(
        &client,
        &ValidateOptions {
            skip_hidden: true,
            ..options()
        },
    )
    .await;
    assert!(result.passed, "{:#?}", result.findings);
    // Without --skip-hidden the hidden broken field is found.
    let result = sql(&client, &options()).await;
    assert_eq!(broken_fields(&result), ["orders.user_id"]);
}

#[tokio::test]
async fn the_query_slots_are_used_fully_and_never_exceeded() {
    let (fake, client) = fake().await;
    fake.set_project(FakeProject::synthetic(24, 6, 7));
    fake.set_query_duration(Duration::from_millis(300));
    fake.set_api_latency(Duration::from_millis(20), Duration::from_millis(60));
    let options = ValidateOptions {
        project: FakeProject::synthetic(1, 1, 7).name,
        concurrency: 6,
        ..options()
    };
    let result = sql(&client, &options).await;
    assert!(result.passed, "{:#?}", result.findings);
    assert_eq!(result.counts.explores_checked, 24);
    let counters = fake.warehouse_counters();
    assert_eq!(counters.queries_run, 24);
    assert_eq!(
        counters.max_running_per_user, 6,
        "the six slots are all used at once and never a seventh"
    );
}

#[tokio::test]
async fn an_error_mid_run_ends_it_and_cancels_the_queries_still_running_in_looker() {
    let (fake, client) = fake().await;
    fake.set_project(FakeProject::synthetic(8, 3, 5));
    fake.set_query_duration(Duration::from_secs(60));
    let options = ValidateOptions {
        project: FakeProject::synthetic(1, 1, 5).name,
        concurrency: 4,
        ..options()
    };
    let run = gate::validate(&client, ValidatorKind::Sql, &options);
    // Once four queries run, the next request (a poll) fails with an error not retried.
    let fail_a_request = async {
        while fake.warehouse_counters().running < 4 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        fake.inject_fault(Fault::status(400), 1);
    };
    let (outcome, ()) = tokio::join!(run, fail_a_request);
    let err = outcome.expect_err("the failed poll fails the run");
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    let counters = fake.warehouse_counters();
    // Not left running for a minute, and the four waiting explores never started.
    assert_eq!(counters.running, 0, "{counters:?}");
    assert_eq!(counters.queries_cancelled, 4, "{counters:?}");
    assert_eq!(counters.queries_run, 4, "{counters:?}");
}

#[tokio::test]
async fn a_query_past_its_timeout_is_cancelled_in_looker_and_reported() {
    let (fake, client) = fake().await;
    fake.slow_field("main", "users.name", Duration::from_secs(30))
        .unwrap();
    let options = ValidateOptions {
        query_timeout: Some(0.5),
        explores: vec!["thelook/users".into()],
        ..options()
    };
    let result = sql(&client, &options).await;
    assert!(!result.passed);
    assert!(
        result.findings[0]
            .message
            .contains("did not finish within 0.5s"),
        "{:#?}",
        result.findings
    );
    assert_eq!(result.counts.queries_cancelled, 1);
    assert_eq!(fake.warehouse_counters().queries_cancelled, 1);
    assert_eq!(result.explores[0].status, "timed_out");
}

#[tokio::test]
async fn tokens_revoked_mid_run_do_not_stall_the_run() {
    let (fake, client) = fake().await;
    fake.set_query_duration(Duration::from_millis(400));
    let fake = Arc::new(fake);
    let revoker = {
        let fake = Arc::clone(&fake);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            fake.revoke_all_tokens();
        })
    };
    let result = tokio::time::timeout(Duration::from_secs(30), sql(&client, &options()))
        .await
        .expect("the run ends");
    revoker.await.unwrap();
    assert!(result.passed, "{:#?}", result.findings);
    assert!(client.stats().reauthentications >= 1);
}

#[tokio::test]
async fn explores_are_sharded_deterministically_and_completely() {
    let (fake, client) = fake().await;
    let project = FakeProject::synthetic(13, 4, 3);
    let name = project.name.clone();
    fake.set_project(project);
    let mut seen = Vec::new();
    for index in 1..=4 {
        let part = sql(
            &client,
            &ValidateOptions {
                project: name.clone(),
                shard: Some(format!("{index}/4")),
                ..options()
            },
        )
        .await;
        assert_eq!(part.shard.map(|s| s.index), Some(index));
        seen.extend(part.explores.into_iter().map(|e| e.explore));
    }
    seen.sort();
    let before = seen.len();
    seen.dedup();
    assert_eq!((before, seen.len()), (13, 13));
}

#[tokio::test]
async fn an_earlier_runs_timings_balance_the_shards_and_merge_checks_the_split() {
    let (fake, client) = fake().await;
    let project = FakeProject::synthetic(8, 2, 3);
    let name = project.name.clone();
    fake.set_project(project);
    // An earlier run: explore_0000 took ten times as long as the others; explore_0006 and
    // explore_0007 were not in it (they count as the median).
    let mut earlier = serde_json::to_value(ValidationResult::new(
        ValidatorKind::Sql,
        name.clone(),
        gate::GitRefValidated::production(),
    ))
    .unwrap();
    earlier["explores"] = (0..6)
        .map(|i| {
            serde_json::json!({"model": name, "explore": format!("explore_{i:04}"),
                "status": "passed", "fields": 3, "queries": 1, "seconds": 9.0,
                "query_seconds": if i == 0 { 5.0 } else { 0.5 }})
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("looker-ci-gate-timings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let timings = dir.join("sql.json");
    std::fs::write(&timings, earlier.to_string()).unwrap();
    let shard = |index: u32, timings: Option<&std::path::Path>| {
        let options = ValidateOptions {
            project: name.clone(),
            shard: Some(format!("{index}/2")),
            shard_timings: timings.map(|t| t.display().to_string()),
            ..options()
        };
        let client = client.clone();
        async move { sql(&client, &options).await }
    };
    let explores = |result: &ValidationResult| -> Vec<String> {
        result.explores.iter().map(|e| e.explore.clone()).collect()
    };
    let (first, second) = (
        shard(1, Some(&timings)).await,
        shard(2, Some(&timings)).await,
    );
    // Longest first: the slow explore fills shard 1; the seven others (3.5 s) go to shard 2.
    assert_eq!(explores(&first), ["explore_0000"]);
    assert_eq!(explores(&second).len(), 7, "{:?}", explores(&second));
    assert!(first.split.is_some());
    assert_eq!(first.split, second.split);
    let merged = ValidationResult::merge(vec![first.clone(), second]).unwrap();
    assert_eq!(merged.counts.explores_checked, 8);

    // Without the timings the split is by count, and its digest differs: merging a shard of
    // each is refused, since their parts would not make the whole run.
    let by_count = shard(2, None).await;
    assert_eq!(explores(&by_count).len(), 4);
    assert_ne!(by_count.split, first.split);
    let err = ValidationResult::merge(vec![first, by_count])
        .unwrap_err()
        .to_string();
    assert!(err.contains("different lists"), "{err}");

    // A file that is not a result document is a configuration error naming the option.
    std::fs::write(&timings, "not json").unwrap();
    let err = gate::validate(
        &client,
        ValidatorKind::Sql,
        &ValidateOptions {
            project: name.clone(),
            shard_timings: Some(timings.display().to_string()),
            ..options()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "LOOKER_CI_INVALID_ARGUMENT");
    assert!(err.to_string().contains("shard_timings"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn unknown_explores_and_projects_are_errors_that_name_them() {
    let (_fake, client) = fake().await;
    let err = gate::validate(
        &client,
        ValidatorKind::Sql,
        &ValidateOptions {
            explores: vec!["thelook/ordrs".into()],
            ..options()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    assert!(err.to_string().contains("ordrs") && err.to_string().contains("orders"));
    // Each validator trips over a wrong project its own way (a 404, no model, or, for content,
    // nothing at all); each says the project does not exist and names the ones that do.
    for validator in [
        ValidatorKind::Lookml,
        ValidatorKind::Sql,
        ValidatorKind::Assert,
        ValidatorKind::Content,
    ] {
        let err = gate::validate(
            &client,
            validator,
            &ValidateOptions {
                project: "nope".into(),
                ..options()
            },
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, Error::InvalidArgument { .. })
                && text.contains("no project `nope`")
                && text.contains("projects: thelook"),
            "{validator:?}: {text}"
        );
    }
}

#[tokio::test]
async fn validations_looker_answers_slowly_outlast_the_clients_timeout() {
    let fake = FakeLooker::start().await.expect("FakeLooker starts");
    let mut settings = fake.settings();
    settings.timeout = Duration::from_millis(300);
    let client = LookerClient::new(settings).expect("client");
    // A large project: Looker answers each validation after longer than the client's timeout.
    fake.set_validation_duration(Duration::from_millis(900));
    for validator in [
        ValidatorKind::Lookml,
        ValidatorKind::Content,
        ValidatorKind::Assert,
    ] {
        let result = gate::validate(&client, validator, &options()).await;
        assert!(result.is_ok(), "{validator:?}: {:?}", result.err());
    }
    // Other calls keep the client's timeout.
    fake.inject_fault(Fault::delay(Duration::from_millis(900)), 1);
    let err = client.me_json().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn a_run_on_production_spends_no_request_on_checking_the_project() {
    let (_fake, client) = fake().await;
    // Only the validation's own requests: the cached result (none yet), then the validation.
    let result = gate::validate(&client, ValidatorKind::Lookml, &options())
        .await
        .unwrap();
    assert_eq!(result.counts.api_requests, 2, "{:?}", result.counts);
}

// ------------------------------------------------------------------------------------------
// Branches and commits

#[tokio::test]
async fn a_commit_is_validated_on_a_temporary_branch_that_is_removed() {
    let (fake, client) = fake().await;
    let mut broken = fake.project();
    broken
        .break_field(
            "orders.status",
            "ERROR: column orders.status does not exist",
        )
        .unwrap();
    let sha = fake.add_commit(broken);
    // The API user's own dev branch, to be restored afterwards.
    let dev = client.in_workspace(true);
    dev.me_json().await.unwrap();
    let original = fake.checked_out_branch("1");
    let branches_before = fake.branches();

    let result = sql(
        &client,
        &ValidateOptions {
            commit: Some(sha.clone()),
            ..options()
        },
    )
    .await;
    assert_eq!(result.git_ref.kind, "commit");
    assert_eq!(result.findings.len(), 1, "{:#?}", result.findings);
    assert_eq!(
        fake.branches(),
        branches_before,
        "the temporary branch is gone"
    );
    assert_eq!(fake.checked_out_branch("1"), original);
    // Production was never touched: it still passes.
    assert!(sql(&client, &options()).await.passed);
    dev.close().await.unwrap();
}

#[tokio::test]
async fn a_branch_is_validated_and_the_users_branch_restored() {
    let (fake, client) = fake().await;
    let mut broken = fake.project();
    broken
        .break_field("users.name", "ERROR: column users.name does not exist")
        .unwrap();
    fake.create_branch("feature-x", broken);
    let result = sql(
        &client,
        &ValidateOptions {
            branch: Some("feature-x".into()),
            ..options()
        },
    )
    .await;
    assert_eq!(result.git_ref.name, "feature-x");
    assert!(result.git_ref.commit.is_some());
    // Both explores that hold the field report it, each once.
    let mut found: Vec<_> = result
        .findings
        .iter()
        .map(|f| (f.explore.clone().unwrap(), f.field.clone().unwrap()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("orders".to_owned(), "users.name".to_owned()),
            ("users".to_owned(), "users.name".to_owned())
        ]
    );
    assert_ne!(fake.checked_out_branch("1").as_deref(), Some("feature-x"));
    assert!(fake.branches().contains(&"feature-x".to_owned()));
}

#[tokio::test]
async fn an_unknown_branch_or_commit_is_a_clear_error_and_leaves_nothing_behind() {
    let (fake, client) = fake().await;
    let before = shared_branches(&fake);
    let err = gate::validate(
        &client,
        ValidatorKind::Lookml,
        &ValidateOptions {
            branch: Some("feature-nope".into()),
            ..options()
        },
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("feature-nope") && err.contains("branches:"),
        "{err}"
    );
    let err = gate::validate(
        &client,
        ValidatorKind::Lookml,
        &ValidateOptions {
            commit: Some("0123456789abcdef".into()),
            ..options()
        },
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("0123456789abcdef"), "{err}");
    assert_eq!(shared_branches(&fake), before);
}

#[tokio::test]
async fn a_user_without_develop_permission_is_told_so() {
    let (fake, client) = fake().await;
    fake.set_user_permissions("1", &["access_data", "see_lookml"]);
    let err = gate::validate(
        &client,
        ValidatorKind::Lookml,
        &ValidateOptions {
            branch: Some("main".into()),
            ..options()
        },
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("`develop`"), "{err}");
}

#[tokio::test]
async fn a_cancelled_run_restores_the_branch_and_removes_the_temporary_one() {
    let (fake, client) = fake().await;
    let sha = fake.add_commit(fake.project());
    fake.set_query_duration(Duration::from_secs(30));
    let before = shared_branches(&fake);
    let progress = Arc::new(Progress::new());
    let err = gate::validate_with(
        &client,
        ValidatorKind::Sql,
        &ValidateOptions {
            commit: Some(sha),
            ..options()
        },
        &progress,
        tokio::time::sleep(Duration::from_millis(500)),
        |_| None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    assert_eq!(shared_branches(&fake), before);
    assert!(progress.snapshot().total >= 1);
    // The queries the cancelled run had started were cancelled in Looker too.
    let counters = fake.warehouse_counters();
    assert!(counters.queries_cancelled >= 1, "{counters:?}");
    assert_eq!(counters.running, 0, "{counters:?}");
}

// ------------------------------------------------------------------------------------------
// LookML, data tests, content, deploy

#[tokio::test]
async fn lookml_findings_carry_file_line_and_honour_the_threshold() {
    let (fake, client) = fake().await;
    fake.add_lookml_error("Unknown view `userz`");
    let result = gate::validate(&client, ValidatorKind::Lookml, &options())
        .await
        .unwrap();
    assert!(!result.passed);
    let finding = &result.findings[0];
    assert_eq!(finding.scope, FindingScope::Lookml);
    assert!(
        finding
            .file
            .as_deref()
            .is_some_and(|f| f.ends_with(".lkml")),
        "{finding:?}"
    );
    assert!(!finding.file.as_deref().unwrap().starts_with("thelook/"));
    // A fatal threshold drops the error.
    let fatal = ValidateOptions {
        severity: Some("fatal".into()),
        ..options()
    };
    let result = gate::validate(&client, ValidatorKind::Lookml, &fatal)
        .await
        .unwrap();
    assert!(result.passed && result.findings.is_empty());
}

#[tokio::test]
async fn data_tests_report_the_failing_test_by_name() {
    let (fake, client) = fake().await;
    fake.fail_lookml_test("orders_have_ids")
        .expect("production has this data test");
    let result = gate::validate(&client, ValidatorKind::Assert, &options())
        .await
        .unwrap();
    assert_eq!(result.counts.tests_run, 2);
    assert_eq!(result.findings.len(), 1);
    let finding = &result.findings[0];
    assert_eq!(finding.test.as_deref(), Some("orders_have_ids"));
    // Looker sends `thelook/tests/orders.lkml`; reports point at the repository's file.
    assert_eq!(finding.file.as_deref(), Some("tests/orders.lkml"));
    assert_eq!(finding.line, Some(1));
    let only_users = ValidateOptions {
        explores: vec!["thelook/users".into()],
        ..options()
    };
    let result = gate::validate(&client, ValidatorKind::Assert, &only_users)
        .await
        .unwrap();
    assert!(result.passed);
    assert_eq!(result.counts.tests_run, 1);
}

#[tokio::test]
async fn content_is_filtered_by_folder_and_compared_with_a_target_ref() {
    let (fake, client) = fake().await;
    fake.break_content("Orders by status");
    let all = gate::validate(&client, ValidatorKind::Content, &options())
        .await
        .unwrap();
    assert_eq!(all.findings.len(), 1, "{:#?}", all.findings);
    let finding = &all.findings[0];
    assert_eq!(finding.content_type.as_deref(), Some("look"));
    assert!(
        finding
            .folder
            .as_deref()
            .is_some_and(|f| f.contains("Sales")),
        "{finding:?}"
    );
    assert!(all.counts.content_checked > 0);
    let without_shared = ValidateOptions {
        exclude_folders: vec!["Shared".into()],
        ..options()
    };
    let result = gate::validate(&client, ValidatorKind::Content, &without_shared)
        .await
        .unwrap();
    assert!(result.findings.is_empty(), "{:#?}", result.findings);

    // A branch that removes a field breaks more content; incremental mode reports only that.
    let mut change = fake.project();
    change.remove_field("users.email").unwrap();
    fake.create_branch("drop-email", change);
    let incremental = ValidateOptions {
        branch: Some("drop-email".into()),
        incremental: Some("production".into()),
        ..options()
    };
    let result = gate::validate(&client, ValidatorKind::Content, &incremental)
        .await
        .unwrap();
    assert!(!result.findings.is_empty());
    assert!(
        result
            .findings
            .iter()
            .all(|f| f.field.as_deref() == Some("users.email"))
    );
    assert_eq!(result.counts.findings_existing_on_target, 1);
}

#[tokio::test]
async fn a_broken_dashboard_tile_names_and_links_its_dashboard() {
    let (fake, client) = fake().await;
    fake.remove_field("main", "users.email").unwrap();
    let result = gate::validate(&client, ValidatorKind::Content, &options())
        .await
        .unwrap();
    let tile = result
        .findings
        .iter()
        .find(|f| f.content_type.as_deref() == Some("dashboard_element"))
        .unwrap_or_else(|| panic!("a tile finding: {:#?}", result.findings));
    assert_eq!(tile.title.as_deref(), Some("Users"), "the tile's own title");
    assert_eq!(tile.content_id.as_deref(), Some("3"));
    assert_eq!(tile.dashboard_id.as_deref(), Some("2"));
    assert_eq!(tile.dashboard_title.as_deref(), Some("User directory"));
    let url = tile.url.as_deref().unwrap_or_default();
    assert!(
        url.starts_with(&fake.base_url()) && url.ends_with("/dashboards/2"),
        "{url}"
    );
    let location = tile.location();
    assert!(
        location.contains("dashboard 2 \"User directory\"")
            && location.contains("dashboard_element 3 \"Users\""),
        "{location}"
    );
    // Looks are no part of a dashboard.
    assert!(
        result
            .findings
            .iter()
            .filter(|f| f.content_type.as_deref() == Some("look"))
            .all(|f| f.dashboard_id.is_none() && f.dashboard_title.is_none())
    );
    let document = serde_json::to_value(&result).unwrap();
    let tile_json = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["content_type"] == "dashboard_element")
        .unwrap();
    assert_eq!(tile_json["dashboard_title"], "User directory");
}

#[tokio::test]
async fn deploy_run_schedule_and_trigger_datagroup() {
    let (fake, client) = fake().await;
    gate::deploy::deploy(&client, "thelook", Some("main"), None)
        .await
        .unwrap();
    assert_eq!(fake.deployed_ref().as_deref(), Some("main"));
    assert!(
        gate::deploy::deploy(&client, "thelook", Some("main"), Some("abc"))
            .await
            .is_err()
    );
    let plan = gate::deploy::run_schedule(&client, "101").await.unwrap();
    assert!(plan["id"].is_string());
    assert_eq!(fake.scheduled_plan_runs().len(), 1);
    gate::deploy::trigger_datagroup(&client, "thelook", "orders_etl")
        .await
        .unwrap();
    assert!(!fake.datagroup("orders_etl").unwrap()["stale_before"].is_null());
    let err = gate::deploy::trigger_datagroup(&client, "thelook", "nope")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("orders_etl"), "{err}");
}

#[tokio::test]
async fn incremental_sql_checks_an_explore_whose_sql_production_cannot_compile() {
    let (fake, client) = fake().await;
    let unhidden = fake.project();
    // On production every field of `users` is hidden: with skip_hidden its explore there has
    // no field to compile a query of (Looker refuses one with a 4xx).
    let mut hidden = unhidden.clone();
    for view in hidden.views.iter_mut().filter(|v| v.name == "users") {
        for field in view.dimensions.iter_mut().chain(view.measures.iter_mut()) {
            field.hidden = true;
        }
    }
    fake.set_project(hidden);
    fake.create_branch("unhide-users", unhidden);
    let result = sql(
        &client,
        &ValidateOptions {
            branch: Some("unhide-users".into()),
            incremental: Some("production".into()),
            skip_hidden: true,
            ..options()
        },
    )
    .await;
    assert!(result.passed, "{:#?}", result.findings);
    let users = result.explores.iter().find(|e| e.explore == "users");
    assert_eq!(users.map(|e| e.status.as_str()), Some("passed"));
    assert_eq!(queries_for(&result, "users"), 1);
}

#[tokio::test]
async fn incremental_sql_checks_changed_explores_and_reports_only_new_errors() {
    let (fake, client) = fake().await;
    // Production already has a broken field in `orders`.
    fake.break_field(
        "main",
        "orders.created_date",
        "ERROR: column orders.created_date does not exist",
    )
    .unwrap();
    // The branch changes `orders.status`'s SQL and breaks it; `users` is untouched.
    let mut change = fake.project();
    for view in &mut change.views {
        for field in view.dimensions.iter_mut() {
            if field.name == "orders.status" {
                field.sql = "${TABLE}.state".into();
                field.error = Some("ERROR: column orders.state does not exist".into());
            }
        }
    }
    fake.create_branch("rename-status", change);
    let options = ValidateOptions {
        branch: Some("rename-status".into()),
        incremental: Some("production".into()),
        ..options()
    };
    let result = sql(&client, &options).await;
    assert_eq!(
        broken_fields(&result),
        ["orders.status"],
        "{:#?}",
        result.findings
    );
    let status = |name: &str| {
        result
            .explores
            .iter()
            .find(|e| e.explore == name)
            .map(|e| e.status.clone())
    };
    assert_eq!(status("users").as_deref(), Some("skipped"));
    assert_eq!(status("orders").as_deref(), Some("failed"));
    assert_eq!(result.counts.findings_existing_on_target, 1);
    assert_eq!(result.incremental_target.as_deref(), Some("production"));
    // Without incremental mode both errors are reported.
    let full = sql(
        &client,
        &ValidateOptions {
            branch: Some("rename-status".into()),
            ..self::options()
        },
    )
    .await;
    assert_eq!(full.findings.len(), 2, "{:#?}", full.findings);
    // The unchanged explore ran no query at all.
    assert_eq!(
        result
            .explores
            .iter()
            .find(|e| e.explore == "users")
            .unwrap()
            .queries,
        0
    );
    let err = gate::validate(
        &client,
        ValidatorKind::Sql,
        &ValidateOptions {
            incremental: Some("some-branch".into()),
            ..self::options()
        },
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("--incremental production"),
        "{err}"
    );
}

#[tokio::test]
async fn another_job_switching_the_users_branch_mid_run_is_reported_not_hidden() {
    let (fake, client) = fake().await;
    let sha = fake.add_commit(fake.project());
    let mut other = fake.project();
    other.remove_field("users.email").unwrap();
    fake.create_branch("other-job", other);
    fake.set_query_duration(Duration::from_millis(600));
    let validation = {
        let client = client.clone();
        tokio::spawn(async move {
            gate::validate(
                &client,
                ValidatorKind::Sql,
                &ValidateOptions {
                    commit: Some(sha),
                    ..options()
                },
            )
            .await
        })
    };
    // Another job of the same API user checks out its own branch while queries run.
    while fake.warehouse_counters().running == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let other_job = client.in_workspace(true);
    let checkout = looker_ci_core::ApiCall::new("PUT", "/projects/thelook/git_branch")
        .unwrap()
        .json(serde_json::json!({"name": "other-job"}));
    other_job.request_bytes(checkout).await.unwrap();
    let result = validation.await.unwrap().expect("the validation ends");
    assert!(!result.passed);
    assert!(
        result
            .findings
            .iter()
            .any(|f| f.message.contains("moved to `other-job`")),
        "{:#?}",
        result.findings
    );
    // The other job's branch is left checked out for it; our temporary branch is gone.
    assert_eq!(fake.checked_out_branch("1").as_deref(), Some("other-job"));
    assert!(
        !fake
            .branches()
            .iter()
            .any(|b| b.starts_with("looker-ci-tmp-"))
    );
    other_job.close().await.unwrap();
}

// ------------------------------------------------------------------------------------------
// Imported projects

/// thelook with its `users` view moved into the project `shared_views`, which it imports
/// (`local_dependency`); production of both is clean.
fn with_imported_users(fake: &FakeLooker) -> (FakeProject, FakeProject) {
    let mut main = fake.project();
    let at = main.views.iter().position(|v| v.name == "users").unwrap();
    let users = main.views.remove(at);
    main.imports = vec![
        FakeImport {
            name: "shared_views".into(),
            ..FakeImport::default()
        },
        FakeImport {
            name: "marketing_blocks".into(),
            url: Some("https://example.com/looker/blocks.git".into()),
            reference: Some("v1.2.0".into()),
        },
    ];
    let shared = FakeProject {
        name: "shared_views".into(),
        views: vec![users],
        ..FakeProject::default()
    };
    fake.add_project(shared.clone());
    fake.set_project(main.clone());
    (main, shared)
}

fn broken_users(shared: &FakeProject) -> FakeProject {
    let mut broken = shared.clone();
    broken
        .break_field("users.name", "ERROR: column users.name does not exist")
        .unwrap();
    broken
}

fn failing_fields(result: &ValidationResult) -> Vec<String> {
    let mut fields: Vec<String> = result
        .findings
        .iter()
        .filter_map(|f| f.field.clone())
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

#[tokio::test]
async fn an_imported_project_follows_the_validated_branch_and_is_restored() {
    let (fake, client) = fake().await;
    let (main, shared) = with_imported_users(&fake);
    // Production sees the imports' production: clean.
    assert!(sql(&client, &options()).await.passed);
    // The change spans both projects: a branch of the same name in each.
    fake.create_branch("feature-x", main);
    fake.create_project_branch("shared_views", "feature-x", broken_users(&shared))
        .unwrap();
    // The API user had another branch of the imported project checked out.
    fake.create_project_branch("shared_views", "old-work", shared.clone())
        .unwrap();
    let dev = client.in_workspace(true);
    let put = looker_ci_core::ApiCall::new("PUT", "/projects/shared_views/git_branch")
        .unwrap()
        .json(serde_json::json!({"name": "old-work"}));
    dev.request_bytes(put).await.unwrap();

    let result = sql(
        &client,
        &ValidateOptions {
            branch: Some("feature-x".into()),
            ..options()
        },
    )
    .await;
    assert_eq!(
        failing_fields(&result),
        ["users.name"],
        "{:#?}",
        result.findings
    );
    let imports = &result.git_ref.imports;
    assert_eq!(imports.len(), 2, "{imports:?}");
    let remote = imports.iter().find(|i| i.kind == "remote").unwrap();
    assert_eq!(
        (remote.project.as_str(), remote.name.as_str()),
        ("marketing_blocks", "v1.2.0")
    );
    let local = imports.iter().find(|i| i.kind == "branch").unwrap();
    assert_eq!(
        (local.project.as_str(), local.name.as_str()),
        ("shared_views", "feature-x")
    );
    assert!(local.commit.is_some());
    // The JSON document carries them.
    let document = serde_json::to_value(&result).unwrap();
    assert_eq!(document["ref"]["imports"][1]["project"], "shared_views");
    assert_eq!(
        fake.project_checked_out_branch("shared_views", "1")
            .as_deref(),
        Some("old-work"),
        "the imported project's branch is put back"
    );
    dev.close().await.unwrap();
}

#[tokio::test]
async fn a_commit_sees_the_imports_production_not_what_the_user_left_checked_out() {
    let (fake, client) = fake().await;
    let (main, shared) = with_imported_users(&fake);
    let sha = fake.add_commit(main);
    // A broken branch of the imported project is left checked out in the API user's workspace.
    fake.create_project_branch("shared_views", "broken-wip", broken_users(&shared))
        .unwrap();
    let dev = client.in_workspace(true);
    let put = looker_ci_core::ApiCall::new("PUT", "/projects/shared_views/git_branch")
        .unwrap()
        .json(serde_json::json!({"name": "broken-wip"}));
    dev.request_bytes(put).await.unwrap();
    let branches_before = fake.project_branches("shared_views");
    let commit = ValidateOptions {
        commit: Some(sha.clone()),
        ..options()
    };
    let progress = Arc::new(Progress::new());
    let result = gate::validate_with(
        &client,
        ValidatorKind::Sql,
        &commit,
        &progress,
        std::future::pending(),
        |_| None,
    )
    .await
    .unwrap();
    assert!(result.passed, "{:#?}", result.findings);
    let local = &result.git_ref.imports[1];
    assert_eq!(
        (local.kind.as_str(), local.name.as_str()),
        ("production", "main")
    );

    // A merge request's source branch is followed when the import has it.
    fake.create_project_branch("shared_views", "mr-7", broken_users(&shared))
        .unwrap();
    let gitlab =
        |name: &str| (name == "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME").then(|| "mr-7".into());
    let result = gate::validate_with(
        &client,
        ValidatorKind::Sql,
        &commit,
        &progress,
        std::future::pending(),
        gitlab,
    )
    .await
    .unwrap();
    assert_eq!(failing_fields(&result), ["users.name"]);
    assert_eq!(result.git_ref.imports[1].name, "mr-7");

    // A pinned ref wins, on a temporary branch of the imported project that is removed.
    let pinned = ValidateOptions {
        import_refs: [("shared_views".to_owned(), "broken-wip".to_owned())].into(),
        ..commit.clone()
    };
    let result = sql(&client, &pinned).await;
    assert_eq!(failing_fields(&result), ["users.name"]);
    assert_eq!(result.git_ref.imports[1].kind, "ref");
    let mut expected = branches_before.clone();
    expected.push("mr-7".into());
    expected.sort();
    assert_eq!(fake.project_branches("shared_views"), expected);
    assert_eq!(
        fake.project_checked_out_branch("shared_views", "1")
            .as_deref(),
        Some("broken-wip")
    );
    dev.close().await.unwrap();
}

#[tokio::test]
async fn a_branch_the_api_user_holds_an_old_copy_of_is_validated_as_pushed() {
    let (fake, client) = fake().await;
    let old = fake.create_branch("feature-x", fake.project());
    let mut broken = fake.project();
    broken
        .break_field("users.name", "ERROR: column users.name does not exist")
        .unwrap();
    let pushed = fake.create_branch("feature-x", broken);
    // The API user checked feature-x out before the last push: Looker's copy of it lags.
    fake.set_stale_copy("1", "feature-x", &old).unwrap();
    let branches_before = fake.branches();
    let result = sql(
        &client,
        &ValidateOptions {
            branch: Some("feature-x".into()),
            ..options()
        },
    )
    .await;
    // The pushed code is validated (through a temporary branch at origin/feature-x)...
    assert_eq!(failing_fields(&result), ["users.name"]);
    assert_eq!(result.git_ref.name, "feature-x");
    assert_eq!(result.git_ref.commit.as_deref(), Some(pushed.as_str()));
    // ...and the temporary branch is gone, the user's own copy untouched.
    let mut branches_after = fake.branches();
    branches_after.retain(|b| !b.starts_with("dev-"));
    let mut expected = branches_before.clone();
    expected.retain(|b| !b.starts_with("dev-"));
    assert_eq!(branches_after, expected);
    // The user is back on the branch they had: their personal one.
    let back = fake.checked_out_branch("1").unwrap_or_default();
    assert!(back.starts_with("dev-"), "{back}");
}

#[tokio::test]
async fn a_failed_temporary_branch_after_a_checkout_still_restores_the_users_branch() {
    let (fake, client) = fake().await;
    let old = fake.create_branch("feature-x", fake.project());
    fake.create_branch("feature-x", fake.project());
    fake.set_stale_copy("1", "feature-x", &old).unwrap();
    // feature-x is checked out (PUT), found behind, and the temporary branch cannot be made.
    fake.inject_fault(Fault::status(500).on("POST", "/git_branch"), 1);
    let err = gate::validate(
        &client,
        ValidatorKind::Sql,
        &ValidateOptions {
            branch: Some("feature-x".into()),
            ..options()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
    let back = fake.checked_out_branch("1").unwrap_or_default();
    assert!(back.starts_with("dev-"), "left on {back}");
    assert!(
        !fake
            .branches()
            .iter()
            .any(|b| b.starts_with("looker-ci-tmp-"))
    );
}

#[tokio::test]
async fn an_import_follows_production_where_looker_gives_the_personal_branch_instead() {
    let (fake, client) = fake().await;
    let (main, shared) = with_imported_users(&fake);
    fake.set_production_checkout_gives_personal(true);
    // The API user's personal branch of the import holds the clean code; production, pushed
    // later, breaks users.name.
    let dev = client.in_workspace(true);
    dev.request_bytes(looker_ci_core::ApiCall::get("/projects/shared_views/git_branch").unwrap())
        .await
        .unwrap();
    fake.add_project(broken_users(&shared));
    let branches_before = fake.project_branches("shared_views");
    let sha = fake.add_commit(main);
    let result = sql(
        &client,
        &ValidateOptions {
            commit: Some(sha),
            ..options()
        },
    )
    .await;
    assert_eq!(failing_fields(&result), ["users.name"]);
    let local = &result.git_ref.imports[1];
    assert_eq!(
        (local.kind.as_str(), local.name.as_str()),
        ("production", "main")
    );
    assert_eq!(fake.project_branches("shared_views"), branches_before);
    dev.close().await.unwrap();
}

#[tokio::test]
async fn a_pin_for_a_project_that_is_not_imported_is_an_error_that_names_it() {
    let (fake, client) = fake().await;
    let (main, _) = with_imported_users(&fake);
    let sha = fake.add_commit(main);
    let before = shared_branches(&fake);
    let err = gate::validate(
        &client,
        ValidatorKind::Lookml,
        &ValidateOptions {
            commit: Some(sha),
            import_refs: [("shared_veiws".to_owned(), "main".to_owned())].into(),
            ..options()
        },
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("shared_veiws") && text.contains("shared_views"),
        "{text}"
    );
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert_eq!(shared_branches(&fake), before, "no temporary branch left");
}
