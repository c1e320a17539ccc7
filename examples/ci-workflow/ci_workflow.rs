//! A CI gate in Rust: validate the LookML project, run its data tests, validate content, and
//! deploy the ref to production only if all three are clean. Against LOOKERSDK_* when set, else
//! an embedded FakeLooker.
//!
//! `cargo run -p looker-ci-examples --bin ci_workflow`

use looker_ci_api::LookerClient;
use looker_ci_api::prelude::*;
use looker_ci_api::testing::FakeLooker;

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
        let client: LookerClient = client?;
        let validation = client.validate_project(&project).await?;
        let lookml_errors = validation.errors.map_or(0, |e| e.len());
        let tests = client.run_lookml_test(&project).await?;
        let failed_tests = tests.iter().filter(|t| t.success == Some(false)).count();
        let content = client.content_validation().await?;
        let broken = content.content_with_errors.map_or(0, |c| c.len());
        println!(
            "LookML errors: {lookml_errors}, failed data tests: {failed_tests}, broken content: {broken}"
        );
        let clean = lookml_errors == 0 && failed_tests == 0 && broken == 0;
        if clean {
            client
                .deploy_ref_to_production(&project)
                .branch("main")
                .await?;
            println!("deployed main to production");
        }
        client.close().await?;
        Ok::<bool, looker_ci_api::Error>(clean)
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
