//! FakeLooker's state and request handling, free of any networking so it stays easy to read.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

const DOCS_URL: &str = "https://cloud.google.com/looker/docs/r/api/support";

/// One injected fault, applied to one request (of any path, login included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fault {
    /// Answer with this status instead of handling the request.
    pub status: Option<u16>,
    /// `Retry-After` header value sent with `status` (seconds or an HTTP date).
    pub retry_after: Option<String>,
    /// Wait this long before answering (or dropping).
    pub delay: Option<Duration>,
    /// Close the connection without answering.
    pub drop_connection: bool,
}

impl Fault {
    pub fn status(status: u16) -> Self {
        Fault {
            status: Some(status),
            ..Fault::default()
        }
    }
    pub fn retry_after(mut self, value: impl Into<String>) -> Self {
        self.retry_after = Some(value.into());
        self
    }
    pub fn delay(delay: Duration) -> Self {
        Fault {
            delay: Some(delay),
            ..Fault::default()
        }
    }
    pub fn drop_connection() -> Self {
        Fault {
            drop_connection: true,
            ..Fault::default()
        }
    }
}

/// Counts of what FakeLooker saw. Every field is a logical count, safe to assert in tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FakeCounters {
    /// Successful API-key logins (`POST /login`).
    pub logins: u64,
    /// Successful sudo logins (`POST /login/{user_id}`).
    pub sudo_logins: u64,
    /// Failed logins (wrong client id or secret).
    pub failed_logins: u64,
    /// Logouts that ended a live token.
    pub logouts: u64,
    /// Every request received, faults and logins included.
    pub requests: u64,
    /// 401 replies sent.
    pub unauthorized: u64,
    /// `GET /user` calls answered with 200.
    pub me_calls: u64,
}

struct Token {
    user_id: String,
    sudo: bool,
    expires_at: Instant,
    workspace: String,
}

/// What the server reports as `expires_in`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reported {
    /// The enforced lifetime, in whole seconds.
    Actual,
    /// This JSON value (may be absurd: negative, huge, a string).
    Value(Value),
    /// No `expires_in` field at all.
    Missing,
}

pub(crate) struct FakeState {
    pub client_id: String,
    pub client_secret: String,
    users: HashMap<String, Value>,
    tokens: HashMap<String, Token>,
    pub lifetime: Duration,
    pub reported: Reported,
    pub faults: VecDeque<Fault>,
    pub counters: FakeCounters,
    /// Every token ever issued, so tests can search output for them.
    pub issued: Vec<String>,
    /// Headers of the last request, `authorization` left out.
    pub last_headers: Vec<(String, String)>,
    /// The small LookML world of the CI workflow endpoints.
    pub lookml: Lookml,
}

/// One project `thelook` with model `thelook` (explores `orders`, `users`), its LookML errors,
/// its data tests, broken content, and the ref deployed to production.
#[derive(Debug, Clone, Default)]
pub struct Lookml {
    pub lookml_errors: Vec<String>,
    pub failing_tests: Vec<String>,
    pub broken_content: Vec<String>,
    pub deployed_ref: Option<String>,
}

const PROJECT: &str = "thelook";
const EXPLORES: [&str; 2] = ["orders", "users"];

/// A reply the server layer turns into HTTP.
pub(crate) struct FakeReply {
    pub status: u16,
    pub body: Option<Value>,
    pub retry_after: Option<String>,
}

impl FakeReply {
    fn json(status: u16, body: Value) -> Self {
        FakeReply {
            status,
            body: Some(body),
            retry_after: None,
        }
    }
    fn error(status: u16, message: &str) -> Self {
        Self::json(
            status,
            json!({"message": message, "documentation_url": DOCS_URL}),
        )
    }
    fn empty(status: u16) -> Self {
        FakeReply {
            status,
            body: None,
            retry_after: None,
        }
    }
}

/// The parts of a request the state needs.
pub(crate) struct FakeRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

fn random_token() -> String {
    (0..40)
        .map(|_| fastrand::alphanumeric())
        .collect::<String>()
}

impl FakeState {
    pub fn new() -> Self {
        let mut users = HashMap::new();
        users.insert("1".to_owned(), user_json("1", "Ada", "Admin"));
        FakeState {
            client_id: format!("fake-id-{}", random_token()),
            client_secret: format!("fake-secret-{}", random_token()),
            users,
            tokens: HashMap::new(),
            lifetime: Duration::from_secs(3600),
            reported: Reported::Actual,
            faults: VecDeque::new(),
            counters: FakeCounters::default(),
            issued: Vec::new(),
            last_headers: Vec::new(),
            lookml: Lookml::default(),
        }
    }

    pub fn add_user(&mut self, id: &str, first_name: &str, last_name: &str) {
        self.users
            .insert(id.to_owned(), user_json(id, first_name, last_name));
    }

    pub fn revoke_all(&mut self) {
        self.tokens.clear();
    }

    pub fn live_tokens(&self) -> usize {
        let now = Instant::now();
        self.tokens.values().filter(|t| t.expires_at > now).count()
    }

    pub fn handle(&mut self, request: &FakeRequest<'_>) -> FakeReply {
        let Some(route) = request.path.strip_prefix("/api/4.0") else {
            return FakeReply::error(404, "Not found");
        };
        match (request.method, route) {
            ("POST", "/login") => self.login(request),
            ("POST", r) if r.starts_with("/login/") => self.login_user(request, &r[7..]),
            ("DELETE", "/logout") => match self.authenticate(request) {
                Ok(token) => {
                    self.tokens.remove(&token);
                    self.counters.logouts += 1;
                    FakeReply::empty(204)
                }
                Err(reply) => reply,
            },
            ("GET", "/user") => match self.authenticate(request) {
                Ok(token) => {
                    let user_id = &self.tokens[&token].user_id;
                    let user = self.users[user_id].clone();
                    self.counters.me_calls += 1;
                    FakeReply::json(200, user)
                }
                Err(reply) => reply,
            },
            (method, r) if is_workflow_route(method, r) => match self.authenticate(request) {
                Ok(_) => self.workflow(method, r, request.query),
                Err(reply) => reply,
            },
            ("GET", "/session") => match self.authenticate(request) {
                Ok(token) => FakeReply::json(200, session_json(&self.tokens[&token])),
                Err(reply) => reply,
            },
            ("PATCH", "/session") => match self.authenticate(request) {
                Ok(token) => self.patch_session(&token, request.body),
                Err(reply) => reply,
            },
            _ => match self.authenticate(request) {
                Ok(_) => FakeReply::error(404, "Not found"),
                Err(reply) => reply,
            },
        }
    }

    fn issue(&mut self, user_id: &str, sudo: bool) -> FakeReply {
        let token = random_token();
        self.issued.push(token.clone());
        self.tokens.insert(
            token.clone(),
            Token {
                user_id: user_id.to_owned(),
                sudo,
                expires_at: Instant::now() + self.lifetime,
                workspace: "production".into(),
            },
        );
        let mut body = json!({"access_token": token, "token_type": "Bearer"});
        match &self.reported {
            Reported::Actual => body["expires_in"] = json!(self.lifetime.as_secs()),
            Reported::Value(v) => body["expires_in"] = v.clone(),
            Reported::Missing => {}
        }
        FakeReply::json(200, body)
    }

    fn login(&mut self, request: &FakeRequest<'_>) -> FakeReply {
        // Stricter than Looker on purpose: credentials belong in the body, never in a URL.
        let query: HashMap<String, String> =
            serde_urlencoded::from_str(request.query).unwrap_or_default();
        if query.contains_key("client_secret") || query.contains_key("client_id") {
            return FakeReply::error(400, "credentials must be sent in the form body");
        }
        let form: HashMap<String, String> =
            serde_urlencoded::from_bytes(request.body).unwrap_or_default();
        let id_ok = form.get("client_id") == Some(&self.client_id);
        let secret_ok = form.get("client_secret") == Some(&self.client_secret);
        if !(id_ok && secret_ok) {
            self.counters.failed_logins += 1;
            // Looker answers a wrong API key with 404.
            return FakeReply::error(404, "Not found");
        }
        self.counters.logins += 1;
        self.issue("1", false)
    }

    fn login_user(&mut self, request: &FakeRequest<'_>, user_id: &str) -> FakeReply {
        let token = match self.authenticate(request) {
            Ok(token) => token,
            Err(reply) => return reply,
        };
        if self.tokens[&token].sudo {
            return FakeReply::error(403, "a sudo session cannot sudo again");
        }
        if !self.users.contains_key(user_id) {
            return FakeReply::error(404, "Not found");
        }
        self.counters.sudo_logins += 1;
        self.issue(user_id, true)
    }

    fn patch_session(&mut self, token: &str, body: &[u8]) -> FakeReply {
        let workspace = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
            v.get("workspace_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        match workspace.as_deref() {
            Some(ws @ ("dev" | "production")) => {
                let entry = self.tokens.get_mut(token).expect("authenticated token");
                entry.workspace = ws.to_owned();
                FakeReply::json(200, session_json(entry))
            }
            _ => FakeReply::json(
                422,
                json!({"message": "Validation Failed", "documentation_url": DOCS_URL,
                       "errors": [{"field": "workspace_id", "code": "invalid",
                                   "message": "must be \"dev\" or \"production\""}]}),
            ),
        }
    }

    /// The live token of the request, or the 401 reply to send.
    fn authenticate(&mut self, request: &FakeRequest<'_>) -> Result<String, FakeReply> {
        let presented = request.authorization.and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("token "))
                .map(str::trim)
        });
        let now = Instant::now();
        if let Some(token) = presented {
            match self.tokens.get(token) {
                Some(t) if t.expires_at > now => return Ok(token.to_owned()),
                Some(_) => {
                    self.tokens.remove(token);
                }
                None => {}
            }
        }
        self.counters.unauthorized += 1;
        Err(FakeReply::error(401, "Requires authentication."))
    }
}

fn is_workflow_route(method: &str, route: &str) -> bool {
    matches!(
        (method, route),
        ("GET", "/lookml_models") | ("GET", "/content_validation")
    ) || route.starts_with("/lookml_models/")
        || route.starts_with("/projects/")
}

impl FakeState {
    /// The CI workflow endpoints: models and explores, project validation, LookML tests, content
    /// validation, deploy to production.
    fn workflow(&mut self, method: &str, route: &str, query: &str) -> FakeReply {
        let query: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap_or_default();
        let parts: Vec<&str> = route.trim_start_matches('/').split('/').collect();
        let explores = || {
            EXPLORES
                .iter()
                .map(|e| json!({"name": e}))
                .collect::<Vec<_>>()
        };
        match (method, parts.as_slice()) {
            ("GET", ["lookml_models"]) => FakeReply::json(
                200,
                json!([{"name": PROJECT, "project_name": PROJECT, "label": "The Look", "explores": explores()}]),
            ),
            ("GET", ["lookml_models", PROJECT]) => FakeReply::json(
                200,
                json!({"name": PROJECT, "project_name": PROJECT, "explores": explores()}),
            ),
            ("GET", ["lookml_models", PROJECT, "explores", explore])
                if EXPLORES.contains(explore) =>
            {
                FakeReply::json(
                    200,
                    json!({"name": explore, "model_name": PROJECT, "fields": {
                        "dimensions": [{"name": format!("{explore}.id"), "type": "number"}],
                        "measures": [{"name": format!("{explore}.count"), "type": "count"}]}}),
                )
            }
            ("POST", ["projects", PROJECT, "validate"]) => {
                let errors: Vec<Value> = self
                    .lookml
                    .lookml_errors
                    .iter()
                    .map(|m| json!({"severity": "error", "kind": "lookml", "message": m, "file_path": "thelook/orders.view.lkml"}))
                    .collect();
                FakeReply::json(
                    200,
                    json!({"errors": errors, "project_digest": "f00d", "computation_time": 0.01}),
                )
            }
            ("GET", ["projects", PROJECT, "lookml_tests", "run"]) => {
                let mut results = Vec::new();
                for test in ["orders_have_ids", "users_are_unique"] {
                    let failed = self.lookml.failing_tests.iter().any(|t| t == test);
                    if query.get("test").is_some_and(|only| only != test) {
                        continue;
                    }
                    results.push(json!({"model_name": PROJECT, "test_name": test, "assertions_count": 1,
                        "assertions_failed": u8::from(failed), "success": !failed,
                        "errors": if failed { json!([{"message": format!("{test} failed")}]) } else { json!([]) }}));
                }
                FakeReply::json(200, Value::Array(results))
            }
            ("GET", ["content_validation"]) => {
                let broken: Vec<Value> = self
                    .lookml
                    .broken_content
                    .iter()
                    .map(|title| json!({"look": {"title": title}, "errors": [{"message": "Unknown field"}]}))
                    .collect();
                FakeReply::json(
                    200,
                    json!({"content_with_errors": broken, "total_looks_validated": 3,
                    "total_dashboards_validated": 2, "computation_time": 0.02}),
                )
            }
            ("POST", ["projects", PROJECT, "deploy_ref_to_production"]) => {
                let target = query.get("ref").or_else(|| query.get("branch")).cloned();
                match target {
                    Some(target) => {
                        self.lookml.deployed_ref = Some(target);
                        FakeReply::empty(204)
                    }
                    None => FakeReply::error(400, "ref or branch is required"),
                }
            }
            _ => FakeReply::error(404, "Not found"),
        }
    }
}

fn user_json(id: &str, first: &str, last: &str) -> Value {
    json!({
        "id": id,
        "first_name": first,
        "last_name": last,
        "display_name": format!("{first} {last}"),
        "email": format!("{}@example.com", first.to_lowercase()),
        "is_disabled": false,
        "role_ids": ["2"],
        "locale": "en",
    })
}

fn session_json(token: &Token) -> Value {
    json!({
        "workspace_id": token.workspace,
        "sudo_user_id": if token.sudo { Some(token.user_id.clone()) } else { None },
    })
}
