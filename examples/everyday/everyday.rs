//! Everyday Looker calls from a CI job, typed, against an embedded FakeLooker (this example
//! changes state — it runs a schedule and triggers a datagroup — so it never targets a real
//! instance): list models and explores, run an inline query as CSV, run a scheduled plan once,
//! trigger a datagroup.
//!
//! `cargo run -p looker-ci-examples --bin everyday`

use looker_ci_api::models::{Datagroup, Query, ScheduledPlan, ScheduledPlanDestination};
use looker_ci_api::prelude::*;
use looker_ci_api::testing::FakeLooker;
use looker_ci_api::{LookerClient, OperationOutput, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let fake = FakeLooker::start().await.expect("FakeLooker starts");
    let client = LookerClient::new(fake.settings())?;

    for model in client.all_lookml_models().fields("name,explores").await? {
        let explores: Vec<String> = model
            .explores
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| e.name)
            .collect();
        println!(
            "model {}: explores {explores:?}",
            model.name.unwrap_or_default()
        );
    }
    let orders = client.lookml_model_explore("thelook", "orders").await?;
    let fields = orders.fields.unwrap_or_default();
    let dimensions: Vec<String> = fields
        .dimensions
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.name)
        .collect();
    println!("orders dimensions: {dimensions:?}");

    let query = Query {
        model: Some("thelook".into()),
        view: Some("orders".into()),
        fields: Some(dimensions),
        limit: Some("10".into()),
        ..Query::default()
    };
    if let OperationOutput::Text(csv) = client.run_inline_query("csv", query).await? {
        print!("inline query as CSV:\n{csv}");
    }

    let plan = client
        .scheduled_plan_run_once(ScheduledPlan {
            name: Some("revenue for the release notes".into()),
            dashboard_id: Some("7".into()),
            scheduled_plan_destination: Some(vec![ScheduledPlanDestination {
                r#type: Some("email".into()),
                address: Some("data-team@example.com".into()),
                format: Some("csv_zip".into()),
                ..ScheduledPlanDestination::default()
            }]),
            ..ScheduledPlan::default()
        })
        .await?;
    println!(
        "scheduled plan run once: id {}",
        plan.id.unwrap_or_default()
    );

    let etl = client
        .all_datagroups()
        .await?
        .into_iter()
        .find(|d| d.name.as_deref() == Some("orders_etl"))
        .and_then(|d| d.id)
        .expect("FakeLooker has datagroup orders_etl");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let triggered = client
        .update_datagroup(
            etl,
            Datagroup {
                stale_before: Some(now),
                ..Datagroup::default()
            },
        )
        .await?;
    println!(
        "datagroup {} triggered (stale before {})",
        triggered.name.unwrap_or_default(),
        triggered.stale_before.unwrap_or_default()
    );
    client.close().await
}
