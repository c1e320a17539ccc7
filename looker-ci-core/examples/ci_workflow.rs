//! A CI gate in Rust: validate the LookML project, run its data tests, validate content, and
//! deploy the ref to production only if all three are clean. Against LOOKERSDK_* when set, else
//! an embedded FakeLooker.
//!
//! `cargo run -p looker-ci-core --example ci_workflow --features testing`

use looker_ci_core::testing::FakeLooker;
use looker_ci_core::{LookerClient, OperationOutput, Result};
use serde_json::{Map, Value, json};

fn args(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

async fn json(client: &LookerClient, operation: &str, a: Value) -> Result<Value> {
    Ok(match client.call_operation(operation, args(a)).await? {
        OperationOutput::Json(v) => v,
        _ => Value::Null,
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let configured = std::env::var_os("LOOKERSDK_BASE_URL").is_some();
    let fake = if configured {
        None
    } else {
        Some(FakeLooker::start().await.expect("FakeLooker starts"))
    };
    let project = std::env::var("LOOKER_PROJECT").unwrap_or_else(|_| "thelook".into());
    let client = match &fake {
        Some(fake) => LookerClient::new(fake.settings()),
        None => LookerClient::from_env(),
    };
    let outcome = async {
        let client = client?;
        let validation = json(&client, "validate_project", json!({"project_id": project})).await?;
        let lookml_errors = validation["errors"].as_array().map_or(0, Vec::len);
        let tests = json(&client, "run_lookml_test", json!({"project_id": project})).await?;
        let failed_tests = tests.as_array().map_or(0, |t| t.iter().filter(|t| t["success"] == false).count());
        let content = json(&client, "content_validation", json!({})).await?;
        let broken = content["content_with_errors"].as_array().map_or(0, Vec::len);
        println!("LookML errors: {lookml_errors}, failed data tests: {failed_tests}, broken content: {broken}");
        let clean = lookml_errors == 0 && failed_tests == 0 && broken == 0;
        if clean {
            json(&client, "deploy_ref_to_production", json!({"project_id": project, "branch": "main"})).await?;
            println!("deployed main to production");
        }
        client.close().await?;
        Ok::<bool, looker_ci_core::Error>(clean)
    }
    .await;
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("ci workflow failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
