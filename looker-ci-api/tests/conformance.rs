//! Conformance against the real contract: Prism serves the official Looker API 4.0 spec in mock
//! mode (rejecting requests that break it), and every operation of the generated table is called
//! through `call_operation` with arguments synthesized from the spec. Each must be accepted and its
//! reply decoded. Operations that cannot pass are listed, with the reason, in KNOWN_EXCEPTIONS and
//! in docs/api-coverage.md; the test fails on any other failure, and on a listed one that passes.

use std::time::Duration;

mod common;

use common::spec::{Fill, first_difference, resolve, same, spec, synthesize, writable};
use looker_ci_api::api::{Location, OPERATIONS, ParamKind};
use looker_ci_api::models;
use looker_ci_api::prelude::*;
use looker_ci_api::{LookerClient, OperationOutput, RetryPolicy, Settings};
use serde_json::{Map, Value, json};

/// (operation id, why it cannot pass against the mock). Kept in step with docs/api-coverage.md;
/// empty since the served spec copy corrects the array-enum defect (scripts/peers/prism).
const KNOWN_EXCEPTIONS: &[(&str, &str)] = &[];

fn arguments(spec: &Value, op: &looker_ci_api::api::Operation) -> Map<String, Value> {
    let mut args = Map::new();
    for p in op.params.iter().filter(|p| p.required) {
        let value = match (p.location, p.kind) {
            (_, ParamKind::Integer) => json!(1),
            (Location::Query, ParamKind::Boolean) => json!(true),
            (Location::Query, ParamKind::Array) => json!(["1"]),
            (Location::Query, ParamKind::Object) => json!({}),
            _ => json!("1"),
        };
        args.insert(p.name.to_owned(), value);
    }
    if op.body.is_some_and(|b| b.required) {
        let path_item = &spec["paths"][op.path][op.method.to_ascii_lowercase()];
        let body = resolve(spec, &path_item["requestBody"]);
        let value = match body["content"].get("application/json") {
            Some(media) => {
                synthesize(spec, &media["schema"], Fill::Required, 0).unwrap_or_default()
            }
            None => json!("x"),
        };
        args.insert("body".into(), value);
    }
    args
}

/// The JSON schema of `op`'s success reply.
fn reply_schema<'a>(spec: &'a Value, op: &looker_ci_api::api::Operation) -> &'a Value {
    let responses = &spec["paths"][op.path][op.method.to_ascii_lowercase()]["responses"];
    let ok = ["200", "201", "204"]
        .iter()
        .map(|c| &responses[*c])
        .find(|r| !r.is_null())
        .unwrap_or(&Value::Null);
    resolve(spec, &ok["content"]["application/json"]["schema"])
}

/// Prism's address. Inside the test command (`LOOKER_CI_TEST_COMMAND`) a missing Prism fails the
/// test; run alone, the test is skipped with a line naming the peer.
fn prism() -> Option<String> {
    if let Some(base) = std::env::var("LOOKER_CI_TEST_PRISM")
        .ok()
        .filter(|v| !v.is_empty())
    {
        return Some(base);
    }
    let reason = "needs the prism peer (LOOKER_CI_TEST_PRISM), which scripts/test-rust starts";
    if std::env::var_os("LOOKER_CI_TEST_COMMAND").is_some() {
        panic!("{reason}");
    }
    eprintln!("skipped: {reason}");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_is_accepted_by_the_spec_and_its_reply_decodes() {
    let Some(base) = prism() else { return };
    let spec = spec();
    let settings = Settings::builder()
        .base_url(base)
        .client_id("conformance")
        .client_secret("conformance-secret".to_owned().into())
        .timeout(Duration::from_secs(20))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let client = LookerClient::new(settings).unwrap();
    let (mut passed, mut failures, mut decoded) = (Vec::new(), Vec::new(), 0);
    for op in OPERATIONS.iter().filter(|op| !op.session_managed) {
        match client.call_operation(op.id, arguments(&spec, op)).await {
            Ok(OperationOutput::Json(reply)) => {
                match models::normalize_reply(op.id, reply.clone()) {
                    Some(Err(e)) => failures.push((
                        op.id,
                        format!("the reply does not decode into its model: {e}"),
                    )),
                    Some(Ok(encoded)) => {
                        // Round trip: encoding the decoded model keeps every writable field.
                        let want =
                            writable(&spec, reply_schema(&spec, op), &reply).unwrap_or_default();
                        if same(&encoded, &want) {
                            decoded += 1;
                            passed.push(op.id);
                        } else {
                            failures.push((
                                op.id,
                                format!(
                                    "round trip lost data at {}",
                                    first_difference(&encoded, &want, "")
                                ),
                            ));
                        }
                    }
                    None => passed.push(op.id),
                }
            }
            Ok(OperationOutput::Text(_) | OperationOutput::Binary(_)) => passed.push(op.id),
            Err(e) => failures.push((op.id, e.to_string())),
        }
    }
    // login (done by the session) and logout (close()) go through the mock too; login_user is
    // refused by the generic path and exercised against FakeLooker.
    client.close().await.unwrap();
    let total = passed.len() + failures.len();
    println!(
        "conformance: {} of {total} operations passed through call_operation, {decoded} replies \
         decoded into their models and re-encoded without loss",
        passed.len()
    );
    let unexpected: Vec<_> = failures
        .iter()
        .filter(|(id, _)| !KNOWN_EXCEPTIONS.iter().any(|(known, _)| known == id))
        .collect();
    let fixed: Vec<_> = KNOWN_EXCEPTIONS
        .iter()
        .filter(|(known, _)| passed.contains(known))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} unexpected failures: {unexpected:#?}",
        unexpected.len()
    );
    assert!(
        fixed.is_empty(),
        "listed as exceptions but passing now: {fixed:?}"
    );
}

/// The generated typed methods against the same mock: path, integer, boolean and array
/// parameters, typed bodies (a model, a list of strings), text replies, a deprecated operation,
/// and futures spawned on their own (`'static`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_methods_are_accepted_and_decode() {
    use looker_ci_api::models::{CreateDashboardRenderTask, Query, SqlQueryCreate};
    let Some(base) = prism() else { return };
    let settings = Settings::builder()
        .base_url(base)
        .client_id("conformance")
        .client_secret("conformance-secret".to_owned().into())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let client = LookerClient::new(settings).unwrap();

    let dashboards = client.all_dashboards().fields("id,title").await.unwrap();
    assert!(!dashboards.is_empty());
    let models = client
        .all_lookml_models()
        .limit(10)
        .exclude_hidden(true)
        .await
        .unwrap();
    assert!(models[0].name.is_some());
    let explore = client
        .lookml_model_explore("thelook", "orders")
        .await
        .unwrap();
    assert!(explore.fields.is_some());
    let content = client
        .content_validation()
        .project_names(["thelook"])
        .await
        .unwrap();
    assert!(content.content_with_errors.is_some());

    let query = client
        .create_query(Query {
            model: Some("thelook".into()),
            view: Some("orders".into()),
            fields: Some(vec!["orders.id".into()]),
            ..Query::default()
        })
        .await
        .unwrap();
    assert!(query.id.is_some());
    let csv = client.run_query("1", "csv").await.unwrap();
    assert!(
        matches!(csv, OperationOutput::Text(_) | OperationOutput::Json(_)),
        "{csv:?}"
    );
    let roles = client
        .set_user_roles("1", vec!["2".into(), "3".into()])
        .await
        .unwrap();
    assert!(!roles.is_empty());
    let render = client
        .create_dashboard_render_task("1", "png", 800, 600, CreateDashboardRenderTask::default())
        .await
        .unwrap();
    assert!(render.id.is_some());
    let sql = client
        .create_sql_query(SqlQueryCreate {
            connection_name: Some("db".into()),
            sql: Some("select 1".into()),
            ..SqlQueryCreate::default()
        })
        .await
        .unwrap();
    assert!(sql.slug.is_some());
    #[allow(deprecated)]
    let theme = client.default_theme().await.unwrap();
    assert!(theme.name.is_some());

    // The request owns what it needs: its future runs on another task after the borrow ends.
    let spawned = tokio::spawn(client.user_roles("1").send());
    assert!(!spawned.await.unwrap().unwrap().is_empty());

    // The session's own sudo login (`login_user`) against the spec too: all 483 operations.
    let sudo = client.login_user("1").unwrap();
    assert!(sudo.me().await.unwrap().id.is_some());
    sudo.close().await.unwrap();

    let missing = client.validate_project("").await.unwrap_err();
    assert!(
        missing.to_string().contains("project_id"),
        "an empty path parameter is refused before sending: {missing}"
    );
    client.close().await.unwrap();
}
