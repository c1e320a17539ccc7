//! The everyday CI calls through the generated operation table, against FakeLooker's small
//! stateful LookML world: models and explores, project validation, LookML tests, content
//! validation, deploy to production.

mod common;

use looker_ci_core::OperationOutput;
use serde_json::{Map, Value, json};

fn args(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn json_of(output: OperationOutput) -> Value {
    match output {
        OperationOutput::Json(v) => v,
        other => panic!("expected JSON, got {other:?}"),
    }
}

#[tokio::test]
async fn validate_test_check_content_and_deploy() {
    let (fake, client) = common::fake_and_client().await;
    let models = json_of(
        client
            .call_operation(
                "all_lookml_models",
                args(json!({"fields": "name,explores"})),
            )
            .await
            .unwrap(),
    );
    assert_eq!(models[0]["name"], "thelook");
    let explore = json_of(
        client
            .call_operation(
                "lookml_model_explore",
                args(json!({"lookml_model_name": "thelook", "explore_name": "orders"})),
            )
            .await
            .unwrap(),
    );
    assert_eq!(explore["fields"]["measures"][0]["name"], "orders.count");

    let clean = json_of(
        client
            .call_operation("validate_project", args(json!({"project_id": "thelook"})))
            .await
            .unwrap(),
    );
    assert_eq!(clean["errors"], json!([]));
    fake.add_lookml_error("Unknown view \"customers\"");
    let broken = json_of(
        client
            .call_operation("validate_project", args(json!({"project_id": "thelook"})))
            .await
            .unwrap(),
    );
    assert_eq!(broken["errors"][0]["message"], "Unknown view \"customers\"");

    fake.fail_lookml_test("users_are_unique");
    let tests = json_of(
        client
            .call_operation("run_lookml_test", args(json!({"project_id": "thelook"})))
            .await
            .unwrap(),
    );
    let failed: Vec<&str> = tests
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["success"] == false)
        .map(|t| t["test_name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["users_are_unique"]);
    let one = json_of(
        client
            .call_operation(
                "run_lookml_test",
                args(json!({"project_id": "thelook", "test": "orders_have_ids"})),
            )
            .await
            .unwrap(),
    );
    assert_eq!(one.as_array().unwrap().len(), 1);

    fake.break_content("Revenue by month");
    let content = json_of(
        client
            .call_operation("content_validation", Map::new())
            .await
            .unwrap(),
    );
    assert_eq!(
        content["content_with_errors"][0]["look"]["title"],
        "Revenue by month"
    );

    client
        .call_operation(
            "deploy_ref_to_production",
            args(json!({"project_id": "thelook", "ref": "a1b2c3"})),
        )
        .await
        .unwrap();
    assert_eq!(fake.deployed_ref().as_deref(), Some("a1b2c3"));
    let missing = client
        .call_operation("validate_project", args(json!({"project_id": "nope"})))
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));
}
