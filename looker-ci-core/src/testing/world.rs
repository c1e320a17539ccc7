//! FakeLooker's small, stateful Looker world behind the everyday CI calls: project `thelook` with
//! model `thelook` (explores `orders` and `users`, three rows each), LookML validation, data
//! tests, content validation, deploy to production, inline queries (`json`, `csv`, `sql`),
//! scheduled plans run once, and datagroups that can be triggered.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::state::FakeReply;

const PROJECT: &str = "thelook";
const LOOKML_TESTS: [&str; 2] = ["orders_have_ids", "users_are_unique"];
const RESULT_FORMATS: [&str; 3] = ["json", "csv", "sql"];

/// One explore: its dimensions, its measure, and its rows (in dimension order, then the measure).
struct Explore {
    name: &'static str,
    dimensions: [&'static str; 2],
    measure: &'static str,
    rows: [(i64, &'static str); 3],
}

const EXPLORES: [Explore; 2] = [
    Explore {
        name: "orders",
        dimensions: ["orders.id", "orders.status"],
        measure: "orders.count",
        rows: [(1, "complete"), (2, "pending"), (3, "complete")],
    },
    Explore {
        name: "users",
        dimensions: ["users.id", "users.name"],
        measure: "users.count",
        rows: [(1, "Ada"), (2, "Grace"), (3, "Alan")],
    },
];

fn explore(name: &str) -> Option<&'static Explore> {
    EXPLORES.iter().find(|e| e.name == name)
}

impl Explore {
    /// One row as the Looker `json` format gives it: field name -> value.
    fn row(&self, index: usize) -> serde_json::Map<String, Value> {
        let (id, text) = self.rows[index];
        let mut row = serde_json::Map::new();
        row.insert(self.dimensions[0].into(), json!(id));
        row.insert(self.dimensions[1].into(), json!(text));
        row.insert(self.measure.into(), json!(1));
        row
    }

    fn fields_json(&self) -> Value {
        json!({
            "dimensions": self.dimensions.iter().map(|d| json!({"name": d, "type": "string"})).collect::<Vec<_>>(),
            "measures": [{"name": self.measure, "type": "count"}],
        })
    }
}

/// One datagroup of model `thelook`.
#[derive(Debug, Clone)]
struct Datagroup {
    id: &'static str,
    name: &'static str,
    stale_before: Option<i64>,
    triggered_at: Option<i64>,
}

impl Datagroup {
    fn to_json(&self) -> Value {
        json!({"id": self.id, "model_name": PROJECT, "name": self.name,
               "stale_before": self.stale_before, "triggered_at": self.triggered_at,
               "trigger_check_at": 0, "trigger_error": null, "trigger_value": null,
               "can": {"update": true}})
    }
}

/// The world's state, changed by requests and by the test controls.
#[derive(Debug, Clone)]
pub(crate) struct World {
    pub lookml_errors: Vec<String>,
    pub failing_tests: Vec<String>,
    pub broken_content: Vec<String>,
    pub deployed_ref: Option<String>,
    /// Every scheduled plan run once, as sent, with the id FakeLooker gave it.
    pub scheduled_runs: Vec<Value>,
    datagroups: Vec<Datagroup>,
}

impl World {
    pub fn new() -> Self {
        World {
            lookml_errors: Vec::new(),
            failing_tests: Vec::new(),
            broken_content: Vec::new(),
            deployed_ref: None,
            scheduled_runs: Vec::new(),
            datagroups: vec![
                Datagroup {
                    id: "1",
                    name: "orders_etl",
                    stale_before: None,
                    triggered_at: None,
                },
                Datagroup {
                    id: "2",
                    name: "daily",
                    stale_before: None,
                    triggered_at: None,
                },
            ],
        }
    }

    /// The datagroup called `name`, as `GET /datagroups/{id}` shows it.
    pub fn datagroup(&self, name: &str) -> Option<Value> {
        self.datagroups
            .iter()
            .find(|d| d.name == name)
            .map(Datagroup::to_json)
    }

    /// Whether this world answers `method route` (after authentication).
    pub fn serves(method: &str, route: &str) -> bool {
        matches!(
            (method, route),
            ("GET", "/lookml_models") | ("GET", "/content_validation")
        ) || [
            "/lookml_models/",
            "/projects/",
            "/queries/run/",
            "/scheduled_plans/",
            "/datagroups",
        ]
        .iter()
        .any(|prefix| route.starts_with(prefix))
    }

    pub fn handle(&mut self, method: &str, route: &str, query: &str, body: &[u8]) -> FakeReply {
        let query: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap_or_default();
        let parts: Vec<&str> = route.trim_start_matches('/').split('/').collect();
        match (method, parts.as_slice()) {
            ("GET", ["lookml_models"]) => FakeReply::json(200, json!([Self::model_json(true)])),
            ("GET", ["lookml_models", PROJECT]) => FakeReply::json(200, Self::model_json(false)),
            ("GET", ["lookml_models", PROJECT, "explores", name]) => match explore(name) {
                Some(e) => FakeReply::json(
                    200,
                    json!({"name": e.name, "model_name": PROJECT, "fields": e.fields_json()}),
                ),
                None => FakeReply::error(404, "Not found"),
            },
            ("POST", ["projects", PROJECT, "validate"]) => self.validate(),
            ("GET", ["projects", PROJECT, "lookml_tests", "run"]) => {
                self.run_tests(query.get("test").map(String::as_str))
            }
            ("GET", ["content_validation"]) => self.content_validation(),
            ("POST", ["projects", PROJECT, "deploy_ref_to_production"]) => {
                match query.get("ref").or_else(|| query.get("branch")) {
                    Some(target) => {
                        self.deployed_ref = Some(target.clone());
                        FakeReply::empty(204)
                    }
                    None => FakeReply::error(400, "ref or branch is required"),
                }
            }
            ("POST", ["queries", "run", format]) => run_inline_query(format, body),
            ("POST", ["scheduled_plans", "run_once"]) => self.run_once(body),
            ("GET", ["datagroups"]) => FakeReply::json(
                200,
                Value::Array(self.datagroups.iter().map(Datagroup::to_json).collect()),
            ),
            ("GET", ["datagroups", id]) => match self.datagroups.iter().find(|d| d.id == *id) {
                Some(d) => FakeReply::json(200, d.to_json()),
                None => FakeReply::error(404, "Not found"),
            },
            ("PATCH", ["datagroups", id]) => self.update_datagroup(id, body),
            _ => FakeReply::error(404, "Not found"),
        }
    }

    fn model_json(with_label: bool) -> Value {
        let explores: Vec<Value> = EXPLORES.iter().map(|e| json!({"name": e.name})).collect();
        let mut model = json!({"name": PROJECT, "project_name": PROJECT, "explores": explores});
        if with_label {
            model["label"] = json!("The Look");
        }
        model
    }

    fn validate(&self) -> FakeReply {
        let errors: Vec<Value> = self
            .lookml_errors
            .iter()
            .map(|m| {
                json!({"severity": "error", "kind": "lookml", "message": m,
                            "file_path": "thelook/orders.view.lkml"})
            })
            .collect();
        FakeReply::json(
            200,
            json!({"errors": errors, "project_digest": "f00d", "computation_time": 0.01}),
        )
    }

    fn run_tests(&self, only: Option<&str>) -> FakeReply {
        let results: Vec<Value> = LOOKML_TESTS
            .iter()
            .filter(|test| only.is_none_or(|only| only == **test))
            .map(|test| {
                let failed = self.failing_tests.iter().any(|t| t == test);
                let errors = if failed {
                    json!([{"message": format!("{test} failed")}])
                } else {
                    json!([])
                };
                json!({"model_name": PROJECT, "test_name": test, "assertions_count": 1,
                       "assertions_failed": u8::from(failed), "success": !failed, "errors": errors})
            })
            .collect();
        FakeReply::json(200, Value::Array(results))
    }

    fn content_validation(&self) -> FakeReply {
        let broken: Vec<Value> = self
            .broken_content
            .iter()
            .map(
                |title| json!({"look": {"title": title}, "errors": [{"message": "Unknown field"}]}),
            )
            .collect();
        FakeReply::json(
            200,
            json!({"content_with_errors": broken, "total_looks_validated": 3,
                   "total_dashboards_validated": 2, "computation_time": 0.02}),
        )
    }

    /// `POST /scheduled_plans/run_once`: a destination and something to deliver are required.
    fn run_once(&mut self, body: &[u8]) -> FakeReply {
        let Ok(Value::Object(mut plan)) = serde_json::from_slice::<Value>(body) else {
            return FakeReply::error(400, "the body must be a JSON object");
        };
        let destinations = plan
            .get("scheduled_plan_destination")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if destinations == 0 {
            return FakeReply::invalid("scheduled_plan_destination", "at least one is required");
        }
        let has_content = ["look_id", "dashboard_id", "lookml_dashboard_id", "query_id"]
            .iter()
            .any(|k| plan.get(*k).is_some_and(|v| !v.is_null()));
        if !has_content {
            return FakeReply::invalid(
                "look_id",
                "one of look_id, dashboard_id, lookml_dashboard_id or query_id is required",
            );
        }
        plan.insert(
            "id".into(),
            json!((self.scheduled_runs.len() + 1).to_string()),
        );
        plan.insert("run_once".into(), json!(true));
        let plan = Value::Object(plan);
        self.scheduled_runs.push(plan.clone());
        FakeReply::json(200, plan)
    }

    /// `PATCH /datagroups/{id}`: `stale_before` and `triggered_at` are epoch seconds.
    fn update_datagroup(&mut self, id: &str, body: &[u8]) -> FakeReply {
        let Some(datagroup) = self.datagroups.iter_mut().find(|d| d.id == id) else {
            return FakeReply::error(404, "Not found");
        };
        let Ok(Value::Object(update)) = serde_json::from_slice::<Value>(body) else {
            return FakeReply::error(400, "the body must be a JSON object");
        };
        for (field, slot) in [
            ("stale_before", &mut datagroup.stale_before),
            ("triggered_at", &mut datagroup.triggered_at),
        ] {
            match update.get(field) {
                None => {}
                Some(value) => match value.as_i64() {
                    Some(seconds) => *slot = Some(seconds),
                    None => return FakeReply::invalid(field, "must be an integer (epoch seconds)"),
                },
            }
        }
        FakeReply::json(200, datagroup.to_json())
    }
}

/// `POST /queries/run/{result_format}` over the explore named by the query's `view`.
fn run_inline_query(format: &str, body: &[u8]) -> FakeReply {
    if !RESULT_FORMATS.contains(&format) {
        return FakeReply::error(
            400,
            &format!("FakeLooker runs inline queries as {RESULT_FORMATS:?}, not `{format}`"),
        );
    }
    let Ok(query) = serde_json::from_slice::<Value>(body) else {
        return FakeReply::error(400, "the body must be a JSON query");
    };
    if query["model"] != PROJECT {
        return FakeReply::invalid("model", "unknown model");
    }
    let Some(explore) = query["view"].as_str().and_then(explore) else {
        return FakeReply::invalid("view", "unknown explore");
    };
    let fields: Vec<&str> = query["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if fields.is_empty() {
        return FakeReply::invalid("fields", "at least one field is required");
    }
    if let Some(unknown) = fields
        .iter()
        .find(|f| !explore.dimensions.contains(f) && **f != explore.measure)
    {
        return FakeReply::invalid("fields", &format!("unknown field `{unknown}`"));
    }
    // The spec types `limit` as a string; a number is taken too.
    let limit = query["limit"]
        .as_str()
        .and_then(|l| l.parse().ok())
        .or_else(|| query["limit"].as_u64().map(|l| l as usize))
        .unwrap_or(explore.rows.len())
        .min(explore.rows.len());
    let rows: Vec<serde_json::Map<String, Value>> = (0..limit)
        .map(|i| {
            let full = explore.row(i);
            fields
                .iter()
                .map(|f| ((*f).to_owned(), full[*f].clone()))
                .collect()
        })
        .collect();
    match format {
        "json" => FakeReply::json(
            200,
            Value::Array(rows.into_iter().map(Value::Object).collect()),
        ),
        "csv" => {
            let mut csv = fields.join(",");
            csv.push('\n');
            for row in rows {
                let cells: Vec<String> = fields
                    .iter()
                    .map(|f| match &row[*f] {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                csv.push_str(&cells.join(","));
                csv.push('\n');
            }
            FakeReply::text("text/csv", csv)
        }
        _ => FakeReply::text(
            "text/plain",
            format!(
                "SELECT {} FROM {PROJECT}.{} LIMIT {limit}",
                fields.join(", "),
                explore.name
            ),
        ),
    }
}
