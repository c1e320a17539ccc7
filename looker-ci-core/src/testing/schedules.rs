//! Scheduled plans (saved ones, and runs once) and datagroups of model `thelook`.

use serde_json::{Map, Value, json};

use super::reply::FakeReply;

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
        json!({"id": self.id, "model_name": "thelook", "name": self.name,
               "stale_before": self.stale_before, "triggered_at": self.triggered_at,
               "trigger_check_at": 0, "trigger_error": null, "trigger_value": null,
               "can": {"update": true}})
    }
}

pub(crate) struct Schedules {
    /// Saved plans that `run_once` by id can copy.
    plans: Vec<Value>,
    /// Every plan run once, as sent, with the id FakeLooker gave it.
    pub runs: Vec<Value>,
    datagroups: Vec<Datagroup>,
}

fn email(address: &str, format: &str) -> Value {
    json!([{"type": "email", "address": address, "format": format}])
}

impl Schedules {
    pub fn new() -> Self {
        Schedules {
            // Ids far from those of runs, which count from 1.
            plans: vec![
                json!({"id": "101", "name": "Daily sales overview", "dashboard_id": "1",
                       "user_id": "1", "crontab": "0 6 * * *", "enabled": true,
                       "scheduled_plan_destination": email("sales@example.com", "wysiwyg_pdf")}),
                json!({"id": "102", "name": "Weekly orders by status", "look_id": "1",
                       "user_id": "1", "crontab": "0 7 * * 1", "enabled": true,
                       "scheduled_plan_destination": email("ops@example.com", "csv")}),
            ],
            runs: Vec::new(),
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

    /// `GET /scheduled_plans/{id}`.
    pub fn plan(&self, id: &str) -> FakeReply {
        match self.plans.iter().find(|p| p["id"] == id) {
            Some(plan) => FakeReply::json(200, plan.clone()),
            None => FakeReply::error(404, "Not found"),
        }
    }

    /// `POST /scheduled_plans/run_once`: a destination and something to deliver are required.
    pub fn run_once(&mut self, body: &[u8]) -> FakeReply {
        let Ok(Value::Object(plan)) = serde_json::from_slice::<Value>(body) else {
            return FakeReply::error(400, "the body must be a JSON object");
        };
        self.run(plan)
    }

    /// `POST /scheduled_plans/{id}/run_once`: a copy of the saved plan, with the body's
    /// properties replacing its own, run once.
    pub fn run_once_by_id(&mut self, id: &str, body: &[u8]) -> FakeReply {
        let Some(Value::Object(saved)) = self.plans.iter().find(|p| p["id"] == id).cloned() else {
            return FakeReply::error(404, "Not found");
        };
        let changes = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(changes)) => changes,
                _ => return FakeReply::error(400, "the body must be a JSON object"),
            }
        };
        let mut plan = saved;
        plan.remove("id");
        plan.extend(changes);
        self.run(plan)
    }

    fn run(&mut self, mut plan: Map<String, Value>) -> FakeReply {
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
        plan.insert("id".into(), json!((self.runs.len() + 1).to_string()));
        plan.insert("run_once".into(), json!(true));
        let plan = Value::Object(plan);
        self.runs.push(plan.clone());
        FakeReply::json(200, plan)
    }

    /// The datagroup called `name`, as `GET /datagroups/{id}` shows it.
    pub fn datagroup(&self, name: &str) -> Option<Value> {
        self.datagroups
            .iter()
            .find(|d| d.name == name)
            .map(Datagroup::to_json)
    }

    pub fn datagroups(&self) -> FakeReply {
        FakeReply::json(
            200,
            Value::Array(self.datagroups.iter().map(Datagroup::to_json).collect()),
        )
    }

    pub fn datagroup_by_id(&self, id: &str) -> FakeReply {
        match self.datagroups.iter().find(|d| d.id == id) {
            Some(d) => FakeReply::json(200, d.to_json()),
            None => FakeReply::error(404, "Not found"),
        }
    }

    /// `PATCH /datagroups/{id}`: `stale_before` and `triggered_at` are epoch seconds.
    pub fn update_datagroup(&mut self, id: &str, body: &[u8]) -> FakeReply {
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
