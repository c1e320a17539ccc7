//! The everyday CI calls through the generated typed methods, against FakeLooker's small stateful
//! Looker world: models and explores, project validation, LookML tests, content validation,
//! deploy to production, inline queries, scheduled plans run once, datagroup triggers.

mod common;

use looker_ci_api::OperationOutput;
use looker_ci_api::models::{Datagroup, Query, ScheduledPlan, ScheduledPlanDestination};
use looker_ci_api::prelude::*;

#[tokio::test]
async fn validate_test_check_content_and_deploy() {
    let (fake, client) = common::fake_and_client().await;
    let models = client
        .all_lookml_models()
        .fields("name,explores")
        .await
        .unwrap();
    assert_eq!(models[0].name.as_deref(), Some("thelook"));
    let explore = client
        .lookml_model_explore("thelook", "orders")
        .await
        .unwrap();
    let measures = explore.fields.unwrap().measures.unwrap();
    assert_eq!(measures[0].name.as_deref(), Some("orders.count"));

    let clean = client.validate_project("thelook").await.unwrap();
    assert_eq!(clean.errors.map(|e| e.len()), Some(0));
    fake.add_lookml_error("Unknown view \"customers\"");
    let broken = client.validate_project("thelook").await.unwrap();
    assert_eq!(
        broken.errors.unwrap()[0].message.as_deref(),
        Some("Unknown view \"customers\"")
    );

    fake.fail_lookml_test("users_are_unique")
        .expect("production has this data test");
    let tests = client.run_lookml_test("thelook").await.unwrap();
    let failed: Vec<&str> = tests
        .iter()
        .filter(|t| t.success == Some(false))
        .filter_map(|t| t.test_name.as_deref())
        .collect();
    assert_eq!(failed, ["users_are_unique"]);
    let one = client
        .run_lookml_test("thelook")
        .test("orders_have_ids")
        .await
        .unwrap();
    assert_eq!(one.len(), 1);

    fake.break_content("Revenue by month");
    let content = client.content_validation().await.unwrap();
    let errors = content.content_with_errors.unwrap();
    assert_eq!(
        errors[0].look.as_ref().and_then(|l| l.title.as_deref()),
        Some("Revenue by month")
    );

    client
        .deploy_ref_to_production("thelook")
        .r#ref("a1b2c3")
        .await
        .unwrap();
    assert_eq!(fake.deployed_ref().as_deref(), Some("a1b2c3"));
    let missing = client.validate_project("nope").await.unwrap_err();
    assert_eq!(missing.status(), Some(404));
}

fn orders_query(fields: &[&str]) -> Query {
    Query {
        model: Some("thelook".into()),
        view: Some("orders".into()),
        fields: Some(fields.iter().map(|f| (*f).to_owned()).collect()),
        limit: Some("2".into()),
        ..Query::default()
    }
}

#[tokio::test]
async fn inline_queries_in_json_csv_and_sql() {
    let (_fake, client) = common::fake_and_client().await;
    let fields = ["orders.id", "orders.status"];
    let json = client
        .run_inline_query("json", orders_query(&fields))
        .await
        .unwrap();
    let OperationOutput::Json(rows) = json else {
        panic!("json rows expected, got {json:?}")
    };
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
    assert_eq!(rows[1]["orders.status"], "pending");

    let csv = client
        .run_inline_query("csv", orders_query(&fields))
        .await
        .unwrap();
    assert_eq!(
        csv,
        OperationOutput::Text("orders.id,orders.status\n1,complete\n2,pending\n".into())
    );
    let sql = client
        .run_inline_query("sql", orders_query(&["orders.count"]))
        .await
        .unwrap();
    assert!(
        matches!(&sql, OperationOutput::Text(s) if s.contains("FROM thelook.orders LIMIT 2")),
        "{sql:?}"
    );

    let unknown = client
        .run_inline_query("json", orders_query(&["orders.revenue"]))
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(422));
    assert!(unknown.to_string().contains("orders.revenue"), "{unknown}");
}

#[tokio::test]
async fn run_a_scheduled_plan_once_and_trigger_a_datagroup() {
    let (fake, client) = common::fake_and_client().await;
    let plan = ScheduledPlan {
        name: Some("nightly revenue".into()),
        dashboard_id: Some("7".into()),
        scheduled_plan_destination: Some(vec![ScheduledPlanDestination {
            r#type: Some("email".into()),
            address: Some("data-team@example.com".into()),
            format: Some("csv_zip".into()),
            ..ScheduledPlanDestination::default()
        }]),
        ..ScheduledPlan::default()
    };
    let ran = client.scheduled_plan_run_once(plan.clone()).await.unwrap();
    assert_eq!(ran.id.as_deref(), Some("1"));
    let runs = fake.scheduled_plan_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0]["scheduled_plan_destination"][0]["address"],
        "data-team@example.com"
    );
    let nowhere = ScheduledPlan {
        scheduled_plan_destination: None,
        ..plan
    };
    let err = client.scheduled_plan_run_once(nowhere).await.unwrap_err();
    assert!(
        err.status() == Some(422) && err.to_string().contains("destination"),
        "{err}"
    );
    assert_eq!(
        fake.scheduled_plan_runs().len(),
        1,
        "a refused plan is not run"
    );

    let groups = client.all_datagroups().await.unwrap();
    let etl = groups
        .iter()
        .find(|g| g.name.as_deref() == Some("orders_etl"))
        .and_then(|g| g.id.clone())
        .unwrap();
    assert_eq!(
        fake.datagroup("orders_etl").unwrap()["stale_before"],
        serde_json::Value::Null
    );
    let triggered = client
        .update_datagroup(
            etl,
            Datagroup {
                stale_before: Some(1_790_000_000),
                ..Datagroup::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(triggered.stale_before, Some(1_790_000_000));
    assert_eq!(
        fake.datagroup("orders_etl").unwrap()["stale_before"],
        1_790_000_000
    );
    assert_eq!(
        fake.datagroup("daily").unwrap()["stale_before"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn a_reply_of_several_megabytes_arrives_whole() {
    // Above 1 MiB the body is read into its own memory mapping; below, into a plain buffer.
    let (fake, client) = common::fake_and_client().await;
    let long = "é".repeat(1_500_000); // 3 MB of UTF-8
    fake.add_lookml_error(&long);
    let reply = client.validate_project("thelook").await.unwrap();
    assert_eq!(
        reply.errors.unwrap()[0].message.as_deref(),
        Some(long.as_str())
    );
    let small = client.all_lookml_models().await.unwrap();
    assert_eq!(small.len(), 1);
}
