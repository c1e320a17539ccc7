//! FakeLooker's Looker world over HTTP, as the CI gate sees it: the project as data, the
//! warehouse's failures and their messages, queries and async query tasks under the per-user
//! concurrency limit, cancellation, git branches and workspaces, permissions, the validation
//! cache, content, folders, data tests, scheduled plans, and the shapes of the replies against
//! the official spec.

mod common;

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Duration;

use looker_ci_core::testing::{FakeField, FakeProject, WarehouseCounters};
use looker_ci_core::{ApiCall, Error, LookerClient};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers

async fn call(
    client: &LookerClient,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, Error> {
    let mut request = ApiCall::new(method, path)?;
    if let Some(body) = body {
        request = request.json(body);
    }
    client.request::<Value>(request).await
}

async fn get(client: &LookerClient, path: &str) -> Value {
    call(client, "GET", path, None)
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

async fn workspace(client: &LookerClient, id: &str) {
    call(
        client,
        "PATCH",
        "/session",
        Some(json!({"workspace_id": id})),
    )
    .await
    .expect("workspace changes");
}

/// Save a query over `explore` of `thelook` and start a task for it; returns the task id.
async fn start_task(client: &LookerClient, explore: &str, fields: &[&str]) -> String {
    let query = call(
        client,
        "POST",
        "/queries",
        Some(json!({"model": "thelook", "view": explore, "fields": fields, "limit": "0"})),
    )
    .await
    .expect("query saved");
    let task = call(
        client,
        "POST",
        "/query_tasks",
        Some(json!({"query_id": query["id"], "result_format": "json_detail"})),
    )
    .await
    .expect("task created");
    assert_eq!(task["status"], "added");
    task["id"].as_str().unwrap().to_owned()
}

async fn multi_results(client: &LookerClient, ids: &[&str]) -> Value {
    client
        .request::<Value>(
            ApiCall::get("/query_tasks/multi_results")
                .unwrap()
                .query("query_task_ids", ids.join(",")),
        )
        .await
        .expect("multi_results")
}

/// The finished result of one task (zero query duration: finished by the next request).
async fn result_of(client: &LookerClient, explore: &str, fields: &[&str]) -> Value {
    let id = start_task(client, explore, fields).await;
    let results = multi_results(client, &[&id]).await;
    let entry = results[id.as_str()].clone();
    assert!(
        matches!(entry["status"].as_str(), Some("complete" | "error")),
        "{entry}"
    );
    entry
}

/// The first database error of a task's result, with the SQL.
fn first_error(entry: &Value) -> (&str, &Value, &str) {
    assert_eq!(entry["status"], "error", "{entry}");
    let error = &entry["data"]["errors"][0];
    (
        error["message"].as_str().unwrap(),
        &error["sql_error_loc"],
        entry["data"]["sql"].as_str().unwrap(),
    )
}

/// The SQL text from the 1-based character `loc` points at.
fn at_loc<'a>(sql: &'a str, loc: &Value) -> &'a str {
    assert_eq!(loc["line"], 1);
    let character = usize::try_from(loc["character"].as_u64().unwrap()).unwrap();
    let (offset, _) = sql.char_indices().nth(character - 1).unwrap();
    &sql[offset..]
}

fn status_of(error: Error) -> u16 {
    error
        .status()
        .unwrap_or_else(|| panic!("an API error, got {error}"))
}

// ---------------------------------------------------------------------------------------------
// Spec conformance: every key of a reply is a property of its schema, with the schema's type.

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/Looker.4.0.oas.json");
        serde_json::from_slice(&std::fs::read(path).expect("the vendored spec")).unwrap()
    })
}

fn schema(name: &str) -> &'static Value {
    let schema = &spec()["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    schema
}

fn resolve(schema: &'static Value) -> &'static Value {
    match schema["$ref"].as_str() {
        Some(r) => self::schema(r.rsplit('/').next().unwrap()),
        None => schema,
    }
}

fn conforms(schema: &'static Value, value: &Value, at: &str) {
    let schema = resolve(schema);
    if value.is_null() {
        return;
    }
    let kind = schema["type"].as_str().unwrap_or("object");
    let ok = match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    };
    assert!(ok, "{at}: {value} is not a {kind}");
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                conforms(&schema["items"], item, &format!("{at}[{i}]"));
            }
        }
        Value::Object(map) => {
            let Some(properties) = schema["properties"].as_object() else {
                return; // a free-form object
            };
            for (key, item) in map {
                let property = properties
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}: `{key}` is not in the spec's schema"));
                conforms(property, item, &format!("{at}.{key}"));
            }
        }
        _ => {}
    }
}

fn assert_schema(name: &str, value: &Value) {
    conforms(schema(name), value, name);
}

// ---------------------------------------------------------------------------------------------
// The project as data

#[test]
fn projects_are_json_with_defaults_and_refuse_unknown_keys() {
    let thelook = FakeProject::thelook();
    let text = serde_json::to_string(&thelook).unwrap();
    assert_eq!(serde_json::from_str::<FakeProject>(&text).unwrap(), thelook);

    let small: FakeProject = serde_json::from_value(json!({
        "name": "tiny",
        "models": [{"name": "tiny", "explores": [{"name": "things"}]}],
        "views": [{"name": "things", "sql_table_name": "public.things",
                   "dimensions": [{"name": "things.id", "type": "number", "sql": "${TABLE}.id",
                                   "error": "ERROR: column things.id does not exist"}]}],
    }))
    .unwrap();
    let field = small.field("things.id").unwrap();
    assert!(
        field.error_loc,
        "databases say where an error is unless told otherwise"
    );
    assert_eq!(small.view("things").unwrap().rows, 3);

    let typo =
        serde_json::from_value::<FakeProject>(json!({"views": [{"name": "x", "tabel": "y"}]}));
    assert!(typo.unwrap_err().to_string().contains("tabel"));
}

#[test]
fn synthetic_projects_have_the_sizes_asked_for_and_depend_only_on_the_seed() {
    let project = FakeProject::synthetic(40, 25, 7);
    let model = project.model("synthetic").unwrap();
    assert_eq!(model.explores.len(), 40);
    for explore in &model.explores {
        let base = project.view(explore.base_view()).unwrap();
        assert_eq!(base.dimensions.len(), 25);
        assert!(base.dimensions[0].primary_key);
        assert_eq!(explore.joins[0].name, "accounts");
    }
    assert_eq!(
        project.views.len(),
        41,
        "one view per explore and the shared `accounts`"
    );
    assert_eq!(project.data_tests.len(), 40);
    assert_eq!(project.looks.len(), 40);
    assert_eq!(project.dashboards.len(), 4, "one per ten explores");
    assert_eq!(project, FakeProject::synthetic(40, 25, 7));
    assert_ne!(project, FakeProject::synthetic(40, 25, 8));
    assert_eq!(FakeProject::synthetic(0, 5, 1).models[0].explores.len(), 0);
}

#[tokio::test]
async fn a_synthetic_project_in_production_is_served_whole() {
    let (fake, client) = common::fake_and_client().await;
    fake.set_project(FakeProject::synthetic(12, 30, 1));
    let models = get(&client, "/lookml_models").await;
    assert_eq!(models[0]["name"], "synthetic");
    assert_eq!(models[0]["explores"].as_array().unwrap().len(), 12);
    let explore = get(&client, "/lookml_models/synthetic/explores/explore_0011").await;
    assert_eq!(
        explore["fields"]["dimensions"].as_array().unwrap().len(),
        32,
        "30 + accounts' 2"
    );
    assert_eq!(explore["fields"]["measures"].as_array().unwrap().len(), 2);
    assert_schema("LookmlModelExplore", &explore);
    let tests = get(&client, "/projects/synthetic/lookml_tests").await;
    assert_eq!(tests.as_array().unwrap().len(), 12);
    let results = get(&client, "/projects/synthetic/lookml_tests/run").await;
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["success"] == true)
    );
    let content = get(&client, "/content_validation").await;
    assert_eq!(content["content_with_errors"], json!([]));
    assert_eq!(content["total_looks_validated"], 12);

    // Every dimension of every explore in one task each: all clean.
    let mut ids = Vec::new();
    for i in 0..12 {
        let explore = get(
            &client,
            &format!("/lookml_models/synthetic/explores/explore_{i:04}"),
        )
        .await;
        let fields: Vec<&Value> = explore["fields"]["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["name"])
            .collect();
        let query =
            json!({"model": "synthetic", "view": explore["name"], "fields": fields, "limit": "0"});
        let saved = call(&client, "POST", "/queries", Some(query))
            .await
            .unwrap();
        let task = json!({"query_id": saved["id"], "result_format": "json_detail"});
        let task = call(&client, "POST", "/query_tasks", Some(task))
            .await
            .unwrap();
        ids.push(task["id"].as_str().unwrap().to_owned());
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let results = multi_results(&client, &ids).await;
    for id in &ids {
        assert_eq!(results[*id]["status"], "complete", "{}", results[*id]);
    }
    assert!(results[ids[3]]["data"]["sql"].as_str().unwrap().contains(
        "FROM analytics.table_0003 AS view_0003 LEFT JOIN analytics.accounts \
         ON view_0003.id = accounts.id"
    ));
    let gone = call(&client, "POST", "/projects/thelook/validate", None)
        .await
        .unwrap_err();
    assert_eq!(
        status_of(gone),
        404,
        "the project id follows production's project"
    );
}

// ---------------------------------------------------------------------------------------------
// The default world

#[tokio::test]
async fn the_default_world_is_clean_and_shaped_like_the_spec() {
    let (_fake, client) = common::fake_and_client().await;
    let models = get(&client, "/lookml_models").await;
    assert_schema("LookmlModel", &models[0]);
    let explores: Vec<&str> = models[0]["explores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(explores, ["orders", "users"]);

    let orders = get(&client, "/lookml_models/thelook/explores/orders").await;
    assert_schema("LookmlModelExplore", &orders);
    assert_eq!(orders["joins"][0]["name"], "users");
    assert_eq!(
        orders["joins"][0]["sql_on"],
        "${orders.user_id} = ${users.id}"
    );
    let dimensions: Vec<&str> = orders["fields"]["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(dimensions.contains(&"orders.status") && dimensions.contains(&"users.name"));
    let id = &orders["fields"]["dimensions"][0];
    assert_eq!(id["name"], "orders.id");
    assert_eq!(id["primary_key"], true);
    assert_eq!(id["sql"], "${TABLE}.id");
    assert_eq!(id["source_file"], "views/orders.view.lkml");
    assert_eq!(orders["fields"]["measures"][0]["name"], "orders.count");

    let validation = call(&client, "POST", "/projects/thelook/validate", None)
        .await
        .unwrap();
    assert_schema("ProjectValidation", &validation);
    assert_eq!(validation["errors"], json!([]));
    let tests = get(&client, "/projects/thelook/lookml_tests/run").await;
    for test in tests.as_array().unwrap() {
        assert_schema("LookmlTestResult", test);
        assert_eq!(test["success"], true, "{test}");
    }
    let content = get(&client, "/content_validation").await;
    assert_schema("ContentValidation", &content);
    assert_eq!(content["content_with_errors"], json!([]));
    assert_eq!(content["total_looks_validated"], 3);
    assert_eq!(content["total_dashboard_elements_validated"], 3);

    let fields = [
        "orders.id",
        "orders.status",
        "orders.created_date",
        "orders.count",
        "orders.total_amount",
        "users.name",
        "users.email",
        "users.count",
    ];
    let entry = result_of(&client, "orders", &fields).await;
    assert_eq!(entry["status"], "complete", "{entry}");
    assert_eq!(entry["data"]["data"], json!([]), "LIMIT 0 returns no rows");
    let sql = entry["data"]["sql"].as_str().unwrap();
    assert!(
        sql.starts_with("SELECT orders.id AS \"orders.id\", ")
            && sql.contains(
                "FROM thelook.orders LEFT JOIN thelook.users ON orders.user_id = users.id"
            )
            && sql.contains("COALESCE(SUM(orders.amount), 0) AS \"orders.total_amount\"")
            && sql.ends_with("GROUP BY 1,2,3,4,5 LIMIT 0"),
        "{sql}"
    );
}

// ---------------------------------------------------------------------------------------------
// The warehouse: each failure kind and its message

#[tokio::test]
async fn a_broken_field_fails_every_query_selecting_it_and_says_where() {
    let (fake, client) = common::fake_and_client().await;
    let message = "ERROR: column orders.statuz does not exist";
    fake.break_field("main", "orders.status", message).unwrap();
    let entry = result_of(
        &client,
        "orders",
        &["orders.id", "orders.status", "orders.count"],
    )
    .await;
    let (got, loc, sql) = first_error(&entry);
    assert_eq!(got, message);
    assert!(
        at_loc(sql, loc).starts_with("orders.status AS \"orders.status\""),
        "{sql}"
    );
    assert_eq!(entry["data"]["data"], json!([]));
    let fine = result_of(&client, "orders", &["orders.id", "orders.count"]).await;
    assert_eq!(fine["status"], "complete");
    assert!(fake.break_field("main", "orders.nope", message).is_err());
}

#[tokio::test]
async fn a_missing_table_fails_only_queries_that_include_its_view() {
    let (fake, client) = common::fake_and_client().await;
    let message = "ERROR: relation \"thelook.userz\" does not exist";
    fake.break_table("main", "users", message).unwrap();
    let orders_only = result_of(&client, "orders", &["orders.id", "orders.status"]).await;
    assert_eq!(
        orders_only["status"], "complete",
        "users is not joined: {orders_only}"
    );
    let joined = result_of(&client, "orders", &["orders.id", "users.name"]).await;
    let (got, loc, sql) = first_error(&joined);
    assert_eq!(got, message);
    assert!(at_loc(sql, loc).starts_with("thelook.users ON"), "{sql}");
    let base = result_of(&client, "users", &["users.id"]).await;
    assert_eq!(first_error(&base).0, message);
}

#[tokio::test]
async fn a_bad_join_fails_queries_with_a_field_of_the_joined_view() {
    let (fake, client) = common::fake_and_client().await;
    let message = "ERROR: missing FROM-clause entry for table \"userz\"";
    fake.break_join("main", "thelook", "orders", "users", message)
        .unwrap();
    let fine = result_of(&client, "orders", &["orders.id", "orders.count"]).await;
    assert_eq!(fine["status"], "complete");
    let joined = result_of(&client, "orders", &["orders.status", "users.email"]).await;
    let (got, loc, sql) = first_error(&joined);
    assert_eq!(got, message);
    assert!(
        at_loc(sql, loc).starts_with("orders.user_id = users.id"),
        "{sql}"
    );
    let users_explore = result_of(&client, "users", &["users.email"]).await;
    assert_eq!(
        users_explore["status"], "complete",
        "the join is the orders explore's"
    );
    assert!(
        fake.break_join("main", "thelook", "users", "orders", message)
            .is_err()
    );
}

#[tokio::test]
async fn an_ambiguous_column_fails_only_when_the_other_view_is_in_the_query() {
    let (fake, client) = common::fake_and_client().await;
    fake.make_ambiguous("main", "orders.id", "users").unwrap();
    let alone = result_of(&client, "orders", &["orders.id", "orders.status"]).await;
    assert_eq!(alone["status"], "complete");
    let together = result_of(&client, "orders", &["orders.id", "users.name"]).await;
    let (got, loc, sql) = first_error(&together);
    assert_eq!(got, "ERROR: column reference \"id\" is ambiguous");
    assert!(at_loc(sql, loc).starts_with("id AS \"orders.id\""), "{sql}");
}

#[tokio::test]
async fn an_error_without_a_column_or_a_location_is_reported_as_the_database_gives_it() {
    let (fake, client) = common::fake_and_client().await;
    fake.edit_branch("main", |p| {
        p.break_field("users.email", "ERROR: syntax error at or near \")\"")?;
        p.views[1].dimensions[2].error_loc = false;
        Ok(())
    })
    .unwrap();
    let entry = result_of(&client, "users", &["users.id", "users.email"]).await;
    let (got, loc, _) = first_error(&entry);
    assert_eq!(got, "ERROR: syntax error at or near \")\"");
    assert!(loc.is_null(), "no sql_error_loc: {entry}");
}

#[tokio::test]
async fn the_first_error_is_the_one_a_database_meets_first() {
    let (fake, client) = common::fake_and_client().await;
    fake.edit_branch("main", |p| {
        p.break_field(
            "orders.total_amount",
            "ERROR: column orders.amountz does not exist",
        )?;
        p.break_field(
            "orders.status",
            "ERROR: column orders.statuz does not exist",
        )?;
        p.break_field("users.name", "ERROR: column users.namez does not exist")
    })
    .unwrap();
    // Dimensions come before measures in SELECT, whatever the query's order.
    let select = result_of(&client, "orders", &["orders.total_amount", "orders.status"]).await;
    assert_eq!(
        first_error(&select).0,
        "ERROR: column orders.statuz does not exist"
    );
    // A join's error comes before any SELECT expression's.
    fake.break_join("main", "thelook", "orders", "users", "ERROR: bad join")
        .unwrap();
    let join = result_of(&client, "orders", &["orders.status", "users.name"]).await;
    assert_eq!(first_error(&join).0, "ERROR: bad join");
    // A missing table comes first of all, the base view's before a joined one's.
    fake.break_table(
        "main",
        "users",
        "ERROR: relation \"thelook.userz\" does not exist",
    )
    .unwrap();
    let table = result_of(&client, "orders", &["orders.status", "users.name"]).await;
    assert_eq!(
        first_error(&table).0,
        "ERROR: relation \"thelook.userz\" does not exist"
    );
    fake.break_table(
        "main",
        "orders",
        "ERROR: relation \"thelook.orderz\" does not exist",
    )
    .unwrap();
    let base = result_of(&client, "orders", &["orders.status", "users.name"]).await;
    assert_eq!(
        first_error(&base).0,
        "ERROR: relation \"thelook.orderz\" does not exist"
    );
}

#[tokio::test]
async fn inline_queries_run_on_the_same_warehouse() {
    let (fake, client) = common::fake_and_client().await;
    let rows = call(
        &client,
        "POST",
        "/queries/run/json",
        Some(json!({"model": "thelook", "view": "orders",
                    "fields": ["orders.status", "users.name"]})),
    )
    .await
    .unwrap();
    assert_eq!(
        rows[1],
        json!({"orders.status": "pending", "users.name": "Grace"})
    );
    fake.break_field(
        "main",
        "users.name",
        "ERROR: column users.namez does not exist",
    )
    .unwrap();
    let broken = call(
        &client,
        "POST",
        "/queries/run/json",
        Some(json!({"model": "thelook", "view": "users", "fields": ["users.name"]})),
    )
    .await
    .unwrap();
    assert_eq!(
        broken,
        json!([{"looker_error": "ERROR: column users.namez does not exist"}])
    );
    assert_eq!(fake.warehouse_counters().queries_run, 2);
}

// ---------------------------------------------------------------------------------------------
// Queries and query tasks

#[tokio::test]
async fn saved_queries_are_deduplicated_and_their_sql_costs_no_warehouse_query() {
    let (fake, client) = common::fake_and_client().await;
    let body = json!({"model": "thelook", "view": "orders", "fields": ["orders.id"], "limit": "1"});
    let first = call(&client, "POST", "/queries", Some(body.clone()))
        .await
        .unwrap();
    assert_schema("Query", &first);
    let again = call(&client, "POST", "/queries", Some(body)).await.unwrap();
    assert_eq!(first["id"], again["id"], "an equal query keeps its id");
    let path = format!("/queries/{}/run/sql", first["id"].as_str().unwrap());
    let sql = client
        .request_bytes(ApiCall::get(&path).unwrap())
        .await
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&sql).unwrap(),
        "SELECT orders.id AS \"orders.id\" FROM thelook.orders LIMIT 1"
    );
    let counters = fake.warehouse_counters();
    assert_eq!((counters.queries_created, counters.queries_run), (2, 0));

    let unknown = call(
        &client,
        "POST",
        "/queries",
        Some(json!({"model": "thelook", "view": "orders", "fields": ["orders.nope"]})),
    )
    .await
    .unwrap_err();
    assert_eq!(status_of(unknown.clone()), 422);
    assert!(unknown.to_string().contains("orders.nope"), "{unknown}");
    let no_task = call(
        &client,
        "POST",
        "/query_tasks",
        Some(json!({"query_id": "999", "result_format": "json_detail"})),
    )
    .await
    .unwrap_err();
    assert_eq!(status_of(no_task), 404);
}

#[tokio::test(start_paused = true)]
async fn tasks_beyond_the_concurrency_limit_wait_their_turn() {
    let (fake, client) = common::fake_and_client().await;
    fake.set_query_concurrency_limit(3);
    fake.set_query_duration(Duration::from_secs(10));
    let mut ids = Vec::new();
    for i in 0..7 {
        let field = if i % 2 == 0 {
            "orders.id"
        } else {
            "orders.status"
        };
        ids.push(start_task(&client, "orders", &[field, "orders.count"]).await);
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let statuses = |results: &Value| -> Vec<String> {
        ids.iter()
            .map(|id| results[*id]["status"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = multi_results(&client, &ids).await;
    assert_eq!(
        statuses(&first),
        [
            "running", "running", "running", "added", "added", "added", "added"
        ]
    );
    assert!(
        first[ids[0]].get("data").is_none(),
        "no data before the end: {first}"
    );
    let counters = fake.warehouse_counters();
    assert_eq!(
        (
            counters.running,
            counters.queries_run,
            counters.query_tasks_created
        ),
        (3, 3, 7)
    );

    tokio::time::advance(Duration::from_secs(10)).await;
    let second = multi_results(&client, &ids).await;
    assert_eq!(
        statuses(&second),
        [
            "complete", "complete", "complete", "running", "running", "running", "added"
        ]
    );
    assert_eq!(second[ids[0]]["data"]["runtime"], 10.0);
    tokio::time::advance(Duration::from_secs(20)).await;
    let last = multi_results(&client, &ids).await;
    assert!(statuses(&last).iter().all(|s| s == "complete"), "{last}");
    // Counters are `#[non_exhaustive]`: read outside the crate by destructuring with `..`.
    let WarehouseCounters {
        queries_run,
        queries_cancelled,
        query_tasks_created,
        queries_created,
        max_running,
        max_running_per_user,
        running,
        ..
    } = fake.warehouse_counters();
    assert_eq!(
        (
            queries_run,
            queries_cancelled,
            query_tasks_created,
            queries_created,
            max_running,
            max_running_per_user,
            running
        ),
        (7, 0, 7, 7, 3, 3, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn the_limit_is_per_user_and_slow_fields_run_longer() {
    let (fake, admin) = common::fake_and_client().await;
    fake.add_user("2", "Grace", "Hopper");
    let grace = admin.login_user("2").unwrap();
    fake.set_query_concurrency_limit(1);
    fake.slow_field("main", "users.email", Duration::from_secs(30))
        .unwrap();
    let slow = start_task(&admin, "users", &["users.email"]).await;
    let quick = start_task(&admin, "users", &["users.id"]).await;
    let other = start_task(&grace, "users", &["users.email"]).await;
    let counters = fake.warehouse_counters();
    assert_eq!(
        (counters.running, counters.max_running_per_user),
        (2, 1),
        "one each"
    );
    let seen = multi_results(&admin, &[&slow, &quick, &other]).await;
    assert_eq!(
        seen[other.as_str()]["status"],
        "missing",
        "another user's task"
    );
    tokio::time::advance(Duration::from_secs(29)).await;
    let waiting = multi_results(&admin, &[&slow, &quick]).await;
    assert_eq!(
        (
            waiting[slow.as_str()]["status"].as_str(),
            waiting[quick.as_str()]["status"].as_str()
        ),
        (Some("running"), Some("added"))
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    let done = multi_results(&admin, &[&slow, &quick]).await;
    assert_eq!(done[slow.as_str()]["status"], "complete");
    assert_eq!(done[slow.as_str()]["data"]["runtime"], 30.0);
    assert_eq!(
        done[quick.as_str()]["status"],
        "complete",
        "zero base duration: done at once"
    );
    let task = get(&admin, &format!("/query_tasks/{slow}")).await;
    assert_schema("QueryTask", &task);
    assert_eq!(task["status"], "complete");
}

#[tokio::test(start_paused = true)]
async fn killing_tasks_frees_their_slot_and_is_counted() {
    let (fake, client) = common::fake_and_client().await;
    fake.set_query_concurrency_limit(1);
    fake.set_query_duration(Duration::from_secs(60));
    let running = start_task(&client, "orders", &["orders.id"]).await;
    let queued = start_task(&client, "orders", &["orders.status"]).await;
    let third = start_task(&client, "users", &["users.id"]).await;
    call(
        &client,
        "DELETE",
        &format!("/running_queries/{queued}"),
        None,
    )
    .await
    .unwrap();
    call(
        &client,
        "DELETE",
        &format!("/running_queries/{running}"),
        None,
    )
    .await
    .unwrap();
    let seen = multi_results(&client, &[&running, &queued, &third]).await;
    assert_eq!(seen[running.as_str()]["status"], "killed");
    assert_eq!(seen[queued.as_str()]["status"], "killed");
    assert_eq!(
        seen[third.as_str()]["status"],
        "running",
        "the freed slot went to the next one"
    );
    let again = call(
        &client,
        "DELETE",
        &format!("/running_queries/{running}"),
        None,
    )
    .await;
    assert_eq!(status_of(again.unwrap_err()), 404, "already killed");
    tokio::time::advance(Duration::from_secs(60)).await;
    let finished = call(
        &client,
        "DELETE",
        &format!("/running_queries/{third}"),
        None,
    )
    .await;
    assert_eq!(
        status_of(finished.unwrap_err()),
        404,
        "Looker answers 404 for a finished query"
    );
    let counters = fake.warehouse_counters();
    assert_eq!(
        (
            counters.queries_cancelled,
            counters.queries_run,
            counters.running
        ),
        (2, 2, 0)
    );
    fake.reset_warehouse_counters();
    assert_eq!(fake.warehouse_counters(), WarehouseCounters::default());
}

#[tokio::test(start_paused = true)]
async fn api_latency_delays_every_request() {
    let (fake, client) = common::fake_and_client().await;
    client.me_json().await.unwrap();
    fake.set_api_latency(Duration::from_millis(50), Duration::from_millis(200));
    for _ in 0..5 {
        let start = tokio::time::Instant::now();
        client.me_json().await.unwrap();
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(50) && took <= Duration::from_millis(250),
            "{took:?}"
        );
    }
    fake.set_api_latency(Duration::ZERO, Duration::ZERO);
    let start = tokio::time::Instant::now();
    client.me_json().await.unwrap();
    assert!(start.elapsed() < Duration::from_millis(50));
}

// ---------------------------------------------------------------------------------------------
// Git: branches, refs and workspaces

#[tokio::test]
async fn the_workspace_and_the_checked_out_branch_decide_what_code_is_seen() {
    let (fake, client) = common::fake_and_client().await;
    let mut feature = fake.project();
    feature.views[0].dimensions.push(FakeField::new(
        "orders.channel",
        "string",
        "${TABLE}.channel",
    ));
    feature
        .break_field(
            "orders.status",
            "ERROR: column orders.statuz does not exist",
        )
        .unwrap();
    let sha = fake.create_branch("feature", feature);

    let production = get(&client, "/projects/thelook/git_branch").await;
    assert_schema("GitBranch", &production);
    assert_eq!(
        (
            production["name"].as_str(),
            production["is_production"].as_bool()
        ),
        (Some("main"), Some(true))
    );
    assert_eq!(
        result_of(&client, "orders", &["orders.status"]).await["status"],
        "complete"
    );

    workspace(&client, "dev").await;
    let personal = get(&client, "/projects/thelook/git_branch").await;
    let name = personal["name"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with("dev-ada-admin-") && name.len() == "dev-ada-admin-".len() + 4,
        "{name}"
    );
    assert_eq!(personal["personal"], true);
    assert_eq!(personal["ref"], production["ref"], "made from main");
    assert_eq!(fake.checked_out_branch("1").as_deref(), Some(name.as_str()));

    let checkout = call(
        &client,
        "PUT",
        "/projects/thelook/git_branch",
        Some(json!({"name": "feature"})),
    )
    .await
    .unwrap();
    assert_eq!(
        (checkout["name"].as_str(), checkout["ref"].as_str()),
        (Some("feature"), Some(sha.as_str()))
    );
    let explore = get(&client, "/lookml_models/thelook/explores/orders").await;
    assert!(explore.to_string().contains("orders.channel"));
    let entry = result_of(&client, "orders", &["orders.status"]).await;
    assert_eq!(
        first_error(&entry).0,
        "ERROR: column orders.statuz does not exist"
    );

    // Production does not change with the dev workspace's checkout.
    workspace(&client, "production").await;
    assert!(
        !get(&client, "/lookml_models/thelook/explores/orders")
            .await
            .to_string()
            .contains("orders.channel")
    );
    assert_eq!(
        result_of(&client, "orders", &["orders.status"]).await["status"],
        "complete"
    );
    workspace(&client, "dev").await;
    assert_eq!(
        get(&client, "/projects/thelook/git_branch").await["name"],
        "feature",
        "the checkout stays"
    );

    let all = get(&client, "/projects/thelook/git_branches").await;
    let names: BTreeSet<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["feature", "main", name.as_str()]));
    let found = get(&client, "/projects/thelook/git_branch/feature").await;
    assert_eq!(found["ref"], sha.as_str());
    let missing = call(&client, "GET", "/projects/thelook/git_branch/nope", None).await;
    assert_eq!(status_of(missing.unwrap_err()), 404);
}

#[tokio::test]
async fn temporary_branches_are_created_at_a_ref_reset_and_deleted() {
    let (fake, client) = common::fake_and_client().await;
    let mut broken = fake.project();
    broken
        .break_table(
            "orders",
            "ERROR: relation \"thelook.orderz\" does not exist",
        )
        .unwrap();
    let commit = fake.add_commit(broken);
    workspace(&client, "dev").await;
    let personal = get(&client, "/projects/thelook/git_branch").await["name"]
        .as_str()
        .unwrap()
        .to_owned();

    let created = call(
        &client,
        "POST",
        "/projects/thelook/git_branch",
        Some(json!({"name": "ci-123-sql", "ref": &commit[..10]})),
    )
    .await
    .unwrap();
    assert_eq!(
        (created["name"].as_str(), created["ref"].as_str()),
        (Some("ci-123-sql"), Some(commit.as_str()))
    );
    assert_eq!(
        get(&client, "/projects/thelook/git_branch").await["name"],
        "ci-123-sql",
        "created and checked out"
    );
    let entry = result_of(&client, "orders", &["orders.id"]).await;
    assert_eq!(
        first_error(&entry).0,
        "ERROR: relation \"thelook.orderz\" does not exist"
    );

    let again = call(
        &client,
        "POST",
        "/projects/thelook/git_branch",
        Some(json!({"name": "ci-123-sql", "ref": "main"})),
    )
    .await;
    assert_eq!(status_of(again.unwrap_err()), 409);
    let unknown = call(
        &client,
        "POST",
        "/projects/thelook/git_branch",
        Some(json!({"name": "ci-124", "ref": "no-such-ref"})),
    )
    .await
    .unwrap_err();
    assert_eq!(status_of(unknown.clone()), 422);
    assert!(unknown.to_string().contains("no-such-ref"), "{unknown}");
    let bad_name = call(
        &client,
        "POST",
        "/projects/thelook/git_branch",
        Some(json!({"name": "has space"})),
    )
    .await;
    assert_eq!(status_of(bad_name.unwrap_err()), 422);

    // Reset to production's head: the branch is clean again.
    let reset = call(
        &client,
        "PUT",
        "/projects/thelook/git_branch",
        Some(json!({"name": "ci-123-sql", "ref": "origin/main"})),
    )
    .await
    .unwrap();
    assert_eq!(
        reset["ref"],
        get(&client, "/projects/thelook/git_branch/main").await["ref"]
    );
    assert_eq!(
        result_of(&client, "orders", &["orders.id"]).await["status"],
        "complete"
    );
    let main_reset = call(
        &client,
        "PUT",
        "/projects/thelook/git_branch",
        Some(json!({"name": "main", "ref": commit})),
    )
    .await;
    assert_eq!(
        status_of(main_reset.unwrap_err()),
        422,
        "production is read-only"
    );

    let checked_out = call(
        &client,
        "DELETE",
        "/projects/thelook/git_branch/ci-123-sql",
        None,
    )
    .await;
    assert_eq!(status_of(checked_out.unwrap_err()), 422);
    call(
        &client,
        "PUT",
        "/projects/thelook/git_branch",
        Some(json!({"name": personal})),
    )
    .await
    .unwrap();
    call(
        &client,
        "DELETE",
        "/projects/thelook/git_branch/ci-123-sql",
        None,
    )
    .await
    .unwrap();
    assert!(
        !fake.branches().contains(&"ci-123-sql".to_owned()),
        "{:?}",
        fake.branches()
    );
    for (branch, status) in [("ci-123-sql", 404), ("main", 422), (personal.as_str(), 422)] {
        let err = call(
            &client,
            "DELETE",
            &format!("/projects/thelook/git_branch/{branch}"),
            None,
        )
        .await;
        assert_eq!(status_of(err.unwrap_err()), status, "deleting {branch}");
    }
}

#[tokio::test]
async fn git_changes_need_the_dev_workspace_and_the_develop_permission() {
    let (fake, admin) = common::fake_and_client().await;
    let create = json!({"name": "tmp", "ref": "main"});
    let in_production = call(
        &admin,
        "POST",
        "/projects/thelook/git_branch",
        Some(create.clone()),
    )
    .await;
    assert_eq!(status_of(in_production.unwrap_err()), 422);
    let delete = call(&admin, "DELETE", "/projects/thelook/git_branch/main", None).await;
    assert_eq!(status_of(delete.unwrap_err()), 422);

    fake.add_user("2", "Grace", "Hopper");
    fake.set_user_permissions("2", &["access_data", "explore"]);
    let grace = admin.login_user("2").unwrap();
    let dev = call(
        &grace,
        "PATCH",
        "/session",
        Some(json!({"workspace_id": "dev"})),
    )
    .await;
    assert_eq!(status_of(dev.unwrap_err()), 403);
    let branch = call(&grace, "POST", "/projects/thelook/git_branch", Some(create)).await;
    assert_eq!(status_of(branch.unwrap_err()), 403);
    let deploy = grace
        .request::<Value>(
            ApiCall::new("POST", "/projects/thelook/deploy_ref_to_production")
                .unwrap()
                .query("branch", "main"),
        )
        .await;
    assert_eq!(status_of(deploy.unwrap_err()), 403);
    assert_eq!(
        get(&grace, "/projects/thelook/git_branch").await["name"],
        "main",
        "reading is allowed"
    );
    assert!(
        fake.branches().iter().all(|b| !b.starts_with("dev-grace")),
        "{:?}",
        fake.branches()
    );
}

#[tokio::test]
async fn deploying_a_ref_changes_production() {
    let (fake, client) = common::fake_and_client().await;
    let mut next = fake.project();
    next.views[1]
        .dimensions
        .push(FakeField::new("users.city", "string", "${TABLE}.city"));
    let sha = fake.add_commit(next);
    let deploy = |query: (&'static str, String)| {
        let client = client.clone();
        async move {
            client
                .request::<Value>(
                    ApiCall::new("POST", "/projects/thelook/deploy_ref_to_production")
                        .unwrap()
                        .query(query.0, query.1),
                )
                .await
        }
    };
    deploy(("ref", sha.clone())).await.unwrap();
    assert_eq!(fake.deployed_ref().as_deref(), Some(sha.as_str()));
    assert!(fake.project().field("users.city").is_some());
    assert_eq!(
        get(&client, "/projects/thelook/git_branch").await["ref"],
        sha.as_str()
    );
    // A ref FakeLooker does not model is recorded without changing the code.
    deploy(("ref", "a1b2c3".into())).await.unwrap();
    assert_eq!(fake.deployed_ref().as_deref(), Some("a1b2c3"));
    assert!(fake.project().field("users.city").is_some());
    let unknown = deploy(("branch", "nope".into())).await;
    assert_eq!(status_of(unknown.unwrap_err()), 400);
}

// ---------------------------------------------------------------------------------------------
// LookML validation, data tests, content

#[tokio::test]
async fn the_validation_cache_turns_stale_when_the_code_changes() {
    let (fake, client) = common::fake_and_client().await;
    let none = call(&client, "GET", "/projects/thelook/validate", None)
        .await
        .unwrap();
    assert_eq!(
        none,
        Value::Null,
        "204 without a body before any validation"
    );
    call(&client, "POST", "/projects/thelook/validate", None)
        .await
        .unwrap();
    let fresh = get(&client, "/projects/thelook/validate").await;
    assert_schema("ProjectValidationCache", &fresh);
    assert_eq!(fresh["stale"], false);

    fake.add_lookml_error("Unknown view \"customers\"");
    let stale = get(&client, "/projects/thelook/validate").await;
    assert_eq!(
        (
            stale["stale"].as_bool(),
            stale["errors"].as_array().map(Vec::len)
        ),
        (Some(true), Some(0))
    );
    let validated = call(&client, "POST", "/projects/thelook/validate", None)
        .await
        .unwrap();
    let error = &validated["errors"][0];
    assert_eq!(
        (
            error["severity"].as_str(),
            error["message"].as_str(),
            error["file_path"].as_str(),
            error["model_id"].as_str()
        ),
        (
            Some("error"),
            Some("Unknown view \"customers\""),
            Some("thelook/views/orders.view.lkml"),
            Some("thelook")
        )
    );
    assert_eq!(
        get(&client, "/projects/thelook/validate").await["stale"],
        false
    );

    // Each workspace has its own cache; a branch change makes it stale.
    workspace(&client, "dev").await;
    assert_eq!(
        call(&client, "GET", "/projects/thelook/validate", None)
            .await
            .unwrap(),
        Value::Null
    );
    let dev = call(&client, "POST", "/projects/thelook/validate", None)
        .await
        .unwrap();
    assert_eq!(
        dev["errors"].as_array().unwrap().len(),
        1,
        "the personal branch was made from main"
    );
    fake.create_branch("feature", FakeProject::thelook());
    call(
        &client,
        "PUT",
        "/projects/thelook/git_branch",
        Some(json!({"name": "feature"})),
    )
    .await
    .unwrap();
    assert_eq!(
        get(&client, "/projects/thelook/validate").await["stale"],
        true
    );
    let clean = call(&client, "POST", "/projects/thelook/validate", None)
        .await
        .unwrap();
    assert_eq!(clean["errors"], json!([]));
}

#[tokio::test]
async fn validation_reports_each_error_with_its_place() {
    let (fake, client) = common::fake_and_client().await;
    let mut project = FakeProject::thelook();
    project.lookml_errors = serde_json::from_value(json!([
        {"severity": "warning", "message": "Measure has no label",
         "file": "views/users.view.lkml", "line": 16,
         "model": "thelook", "explore": "users", "field": "users.count"},
        {"severity": "fatal", "message": "Could not parse", "file": "thelook.model.lkml",
         "line": 2},
    ]))
    .unwrap();
    fake.set_project(project);
    let validated = call(&client, "POST", "/projects/thelook/validate", None)
        .await
        .unwrap();
    let errors = validated["errors"].as_array().unwrap();
    assert_eq!(errors[0]["severity"], "warning");
    assert_eq!(errors[0]["line_number"], 16);
    assert_eq!(errors[0]["explore"], "users");
    assert_eq!(errors[0]["field_name"], "users.count");
    assert_eq!(errors[1]["severity"], "fatal");
    assert_eq!(errors[1]["model_id"], Value::Null);
    for error in errors {
        assert_schema("ProjectError", error);
    }
}

#[tokio::test]
async fn data_tests_are_listed_run_and_fail_with_their_query() {
    let (fake, client) = common::fake_and_client().await;
    let tests = get(&client, "/projects/thelook/lookml_tests").await;
    for test in tests.as_array().unwrap() {
        assert_schema("LookmlTest", test);
    }
    assert_eq!(tests[0]["name"], "orders_have_ids");
    assert_eq!(tests[0]["explore_name"], "orders");
    let in_file = client
        .request::<Value>(
            ApiCall::get("/projects/thelook/lookml_tests")
                .unwrap()
                .query("file_id", "tests/users.lkml"),
        )
        .await
        .unwrap();
    assert_eq!(in_file.as_array().unwrap().len(), 1);

    fake.break_field("main", "users.id", "ERROR: column users.idd does not exist")
        .unwrap();
    let unknown = fake.fail_lookml_test("orders_are_ok").unwrap_err();
    assert_eq!(
        unknown.0,
        "no data test `orders_are_ok`: production's data tests are `orders_have_ids`, \
         `users_are_unique`"
    );
    fake.fail_lookml_test("orders_have_ids")
        .expect("production has this data test");
    let results = get(&client, "/projects/thelook/lookml_tests/run").await;
    let outcome: Vec<(&str, bool, &str)> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["test_name"].as_str().unwrap(),
                r["success"].as_bool().unwrap(),
                r["errors"][0]["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        outcome,
        [
            ("orders_have_ids", false, "orders_have_ids failed"),
            (
                "users_are_unique",
                false,
                "ERROR: column users.idd does not exist"
            )
        ]
    );
    let one = client
        .request::<Value>(
            ApiCall::get("/projects/thelook/lookml_tests/run")
                .unwrap()
                .query("test", "users_are_unique")
                .query("model", "thelook"),
        )
        .await
        .unwrap();
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(
        fake.warehouse_counters().queries_run,
        3,
        "each test run is a warehouse query"
    );
}

#[tokio::test]
async fn content_breaks_on_a_branch_that_removes_a_field_it_uses() {
    let (fake, client) = common::fake_and_client().await;
    workspace(&client, "dev").await;
    call(
        &client,
        "POST",
        "/projects/thelook/git_branch",
        Some(json!({"name": "drop-status"})),
    )
    .await
    .unwrap();
    fake.remove_field("drop-status", "orders.status").unwrap();
    let content = get(&client, "/content_validation").await;
    assert_schema("ContentValidation", &content);
    let broken = content["content_with_errors"].as_array().unwrap();
    assert_eq!(broken.len(), 2, "{content}");
    let look = &broken[0];
    assert_eq!(look["look"]["title"], "Orders by status");
    assert_eq!(look["look"]["folder"], json!({"id": "3", "name": "Sales"}));
    assert_eq!(
        look["errors"][0],
        json!({"message": "Unknown field \"orders.status\"", "field_name": "orders.status",
               "model_name": "thelook", "explore_name": "orders", "removable": true})
    );
    let tile = &broken[1];
    assert_eq!(tile["dashboard"]["title"], "Sales overview");
    assert_eq!(tile["dashboard_element"]["title"], "Orders");
    assert_eq!(tile["errors"][0]["field_name"], "orders.status");

    workspace(&client, "production").await;
    assert_eq!(
        get(&client, "/content_validation").await["content_with_errors"],
        json!([])
    );
    fake.break_content("My users");
    let personal = get(&client, "/content_validation").await;
    assert_eq!(
        personal["content_with_errors"][0]["look"]["folder"]["name"],
        "Ada Admin"
    );
    let only_sales = client
        .request::<Value>(
            ApiCall::get("/content_validation")
                .unwrap()
                .query("space_ids", "3,4"),
        )
        .await
        .unwrap();
    assert_eq!(only_sales["content_with_errors"], json!([]));
    assert_eq!(only_sales["total_looks_validated"], 2);
}

#[tokio::test]
async fn folders_and_their_ancestors() {
    let (_fake, client) = common::fake_and_client().await;
    let emea = get(&client, "/folders/4").await;
    assert_schema("Folder", &emea);
    assert_eq!(
        (emea["name"].as_str(), emea["parent_id"].as_str()),
        (Some("EMEA"), Some("3"))
    );
    assert_eq!(emea["looks"][0]["title"], "Revenue by month");
    let ancestors = get(&client, "/folders/4/ancestors").await;
    let names: Vec<&str> = ancestors
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Shared", "Sales"]);
    let personal = get(&client, "/folders/5").await;
    assert_eq!(
        (
            personal["is_personal"].as_bool(),
            personal["parent_id"].as_str()
        ),
        (Some(true), Some("2"))
    );
    assert_eq!(get(&client, "/folders/1/ancestors").await, json!([]));
    let missing = call(&client, "GET", "/folders/99", None).await;
    assert_eq!(status_of(missing.unwrap_err()), 404);
}

// ---------------------------------------------------------------------------------------------
// Scheduled plans, and what stays 404

#[tokio::test]
async fn saved_scheduled_plans_run_once_by_id() {
    let (fake, client) = common::fake_and_client().await;
    let plan = get(&client, "/scheduled_plans/101").await;
    assert_eq!(plan["dashboard_id"], "1");
    let to_me = json!({"name": "once, to me", "scheduled_plan_destination": [
        {"type": "email", "address": "me@example.com", "format": "csv"}]});
    let ran = call(
        &client,
        "POST",
        "/scheduled_plans/101/run_once",
        Some(to_me),
    )
    .await
    .unwrap();
    assert_eq!(
        (ran["id"].as_str(), ran["run_once"].as_bool()),
        (Some("1"), Some(true))
    );
    let runs = fake.scheduled_plan_runs();
    assert_eq!(runs[0]["dashboard_id"], "1", "copied from the saved plan");
    assert_eq!(
        runs[0]["scheduled_plan_destination"][0]["address"],
        "me@example.com"
    );
    call(
        &client,
        "POST",
        "/scheduled_plans/102/run_once",
        Some(json!({})),
    )
    .await
    .unwrap();
    assert_eq!(fake.scheduled_plan_runs()[1]["look_id"], "1");
    let unknown = call(
        &client,
        "POST",
        "/scheduled_plans/999/run_once",
        Some(json!({})),
    )
    .await;
    assert_eq!(status_of(unknown.unwrap_err()), 404);
}

/// Spectacles (and Looker's SDKs) ask `GET /versions` for the release; Looker answers it with or
/// without a token.
#[tokio::test]
async fn versions_name_the_release_with_or_without_a_token() {
    let (fake, client) = common::fake_and_client().await;
    let versions = get(&client, "/versions").await;
    assert_schema("ApiVersion", &versions);
    assert_eq!(versions["looker_release_version"], "25.0.0");
    assert_eq!(versions["current_version"]["version"], "4.0");
    assert_eq!(versions["supported_versions"][0]["version"], "4.0");
    let anonymous = reqwest::Client::new()
        .get(format!("{}/api/4.0/versions", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 200);
    let body: Value = serde_json::from_str(&anonymous.text().await.unwrap()).unwrap();
    assert_eq!(body, versions);
}

#[tokio::test]
async fn unknown_paths_stay_404_and_everything_needs_a_token() {
    let (fake, client) = common::fake_and_client().await;
    for (method, path) in [
        ("GET", "/projects/thelook/nope"),
        ("GET", "/query_tasks"),
        ("POST", "/folders/1"),
        ("GET", "/queries/1/run"),
    ] {
        let err = call(&client, method, path, None).await.unwrap_err();
        assert_eq!(status_of(err), 404, "{method} {path}");
    }
    let anonymous = reqwest::Client::new()
        .get(format!(
            "{}/api/4.0/projects/thelook/git_branches",
            fake.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

// ---------------------------------------------------------------------------------------------
// What the getting-started guides call: saved queries in every format, users, `fields`

#[tokio::test]
async fn a_saved_query_runs_as_json_csv_txt_sql_and_png() {
    let (fake, client) = common::fake_and_client().await;
    let query = call(
        &client,
        "POST",
        "/queries",
        Some(json!({"model": "thelook", "view": "orders",
                    "fields": ["orders.status", "orders.count"], "limit": "2"})),
    )
    .await
    .unwrap();
    let id = query["id"].as_str().unwrap();
    assert_eq!(get(&client, &format!("/queries/{id}")).await, query);
    let rows = get(&client, &format!("/queries/{id}/run/json")).await;
    assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");
    assert!(rows[0]["orders.status"].is_string(), "{rows}");

    let text = |format: &'static str| {
        let client = client.clone();
        let path = format!("/queries/{id}/run/{format}");
        async move {
            let (content_type, bytes) = client
                .request_with_content_type(ApiCall::get(&path).unwrap())
                .await
                .unwrap_or_else(|e| panic!("GET {path}: {e}"));
            (bytes, content_type.unwrap_or_default())
        }
    };
    let (csv, csv_type) = text("csv").await;
    assert!(csv_type.starts_with("text/csv"), "{csv_type}");
    assert!(
        std::str::from_utf8(&csv)
            .unwrap()
            .starts_with("orders.status,orders.count\n")
    );
    let (txt, txt_type) = text("txt").await;
    assert!(txt_type.starts_with("text/plain"), "{txt_type}");
    let txt = std::str::from_utf8(&txt).unwrap();
    assert!(txt.starts_with("orders.status\torders.count\n"), "{txt}");
    assert_eq!(txt.lines().count(), 3, "a header and two rows: {txt}");
    let (png, png_type) = text("png").await;
    assert_eq!(png_type, "image/png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        fake.warehouse_counters().queries_run,
        4,
        "json, csv, txt, png"
    );

    let jpg = call(&client, "GET", &format!("/queries/{id}/run/jpg"), None)
        .await
        .unwrap_err();
    assert_eq!(status_of(jpg), 400, "formats FakeLooker cannot render");
    let missing = call(&client, "GET", "/queries/4242/run/png", None)
        .await
        .unwrap_err();
    assert_eq!(status_of(missing), 404);
}

#[tokio::test]
async fn users_are_served_by_id_to_themselves_or_with_see_users() {
    let (fake, client) = common::fake_and_client().await;
    fake.add_user("7", "Grace", "Hopper");
    let me = get(&client, "/user").await;
    let one = get(&client, "/users/1").await;
    assert_eq!(one, me);
    assert_schema("User", &one);
    assert_eq!(one["display_name"], "Ada Admin");

    let other = call(&client, "GET", "/users/7", None).await.unwrap_err();
    assert_eq!(status_of(other), 403, "another user needs see_users");
    fake.set_user_permissions("1", &["see_users"]);
    let grace = get(&client, "/users/7").await;
    assert_eq!(grace["display_name"], "Grace Hopper");
    let unknown = call(&client, "GET", "/users/8", None).await.unwrap_err();
    assert_eq!(status_of(unknown), 404);
}

#[tokio::test]
async fn fields_keeps_only_the_keys_asked_for() {
    let (_fake, client) = common::fake_and_client().await;
    let get_fields = |path: &'static str, fields: &'static str| {
        let client = client.clone();
        async move {
            client
                .request::<Value>(ApiCall::get(path).unwrap().query("fields", fields))
                .await
                .unwrap_or_else(|e| panic!("GET {path}?fields={fields}: {e}"))
        }
    };
    let keys = |value: &Value| -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let models = get_fields("/lookml_models", "name,label").await;
    assert_eq!(keys(&models[0]), ["label", "name"]);
    let models = get_fields("/lookml_models", "name,explores(name)").await;
    assert_eq!(models[0]["explores"][0], json!({"name": "orders"}));
    let model = get_fields("/lookml_models/thelook", "name").await;
    assert_eq!(model, json!({"name": "thelook"}));
    let explore = get_fields("/lookml_models/thelook/explores/orders", "name,fields").await;
    assert_eq!(keys(&explore), ["fields", "name"]);
    let me = get_fields("/user", "id,display_name").await;
    assert_eq!(me, json!({"id": "1", "display_name": "Ada Admin"}));
    let one = get_fields("/users/1", "email").await;
    assert_eq!(one, json!({"email": "ada@example.com"}));
    let project = get_fields("/projects/thelook", "id").await;
    assert_eq!(project, json!({"id": "thelook"}));
    let whole = get(&client, "/lookml_models/thelook").await;
    assert!(whole.get("explores").is_some(), "no `fields`: everything");
}
