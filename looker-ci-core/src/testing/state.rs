//! FakeLooker's state and request handling, free of any networking so it stays easy to read.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::fields;
use super::reply::Caller;
use super::reply::{FakeBody, FakeReply, FakeRequest};
use super::roles::{self, FakeRole};
use super::world::World;

/// The Looker release `GET /versions` reports.
const FAKE_LOOKER_RELEASE: &str = "25.0.0";

/// One injected fault, applied to one request: the next one (of any path, login included), or
/// with [`Fault::on`] the next one of that method and path.
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
    /// Only for a request with this method whose path ends with this (see [`Fault::on`]).
    pub only: Option<(String, String)>,
}

impl Fault {
    /// Answer with HTTP `status`.
    pub fn status(status: u16) -> Self {
        Fault {
            status: Some(status),
            ..Fault::default()
        }
    }
    /// Also send `Retry-After: value` (seconds or an HTTP date).
    pub fn retry_after(mut self, value: impl Into<String>) -> Self {
        self.retry_after = Some(value.into());
        self
    }
    /// Wait `delay`, then handle the request as usual.
    pub fn delay(delay: Duration) -> Self {
        Fault {
            delay: Some(delay),
            ..Fault::default()
        }
    }
    /// Close the connection without answering.
    pub fn drop_connection() -> Self {
        Fault {
            drop_connection: true,
            ..Fault::default()
        }
    }
    /// Apply to the next request with `method` whose path ends with `path_end` (e.g. `"POST"`,
    /// `"/git_branch"`), leaving other requests alone.
    pub fn on(mut self, method: &str, path_end: &str) -> Self {
        self.only = Some((method.to_ascii_uppercase(), path_end.to_owned()));
        self
    }
    /// Whether the fault applies to a request of `method` and `path`.
    pub(crate) fn applies_to(&self, method: &str, path: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|(m, end)| m == method && path.ends_with(end.as_str()))
    }
}

/// Counts of what FakeLooker saw. Every field is a logical count, safe to assert in tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Roles of users a test set; others hold [`roles::default_roles`].
    pub roles: HashMap<String, Vec<FakeRole>>,
    /// Every distinct `User-Agent` seen, in order of first appearance.
    pub user_agents: Vec<String>,
    /// Every request waits a duration drawn from this range before it is handled.
    pub latency: Option<(Duration, Duration)>,
    /// How long the validations Looker answers slowly take: a LookML validation
    /// (`POST /projects/{p}/validate`), content validation, a data test run.
    pub validation_duration: Duration,
    /// The LookML world of the CI endpoints.
    pub world: World,
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
            roles: HashMap::new(),
            user_agents: Vec::new(),
            latency: None,
            validation_duration: Duration::ZERO,
            world: World::new(),
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

    /// Answer `request`; a `fields` query parameter on a GET keeps only those keys of the JSON
    /// reply, as Looker does.
    pub fn handle(&mut self, request: &FakeRequest<'_>) -> FakeReply {
        let mut reply = self.route(request);
        if request.method == "GET"
            && reply.status == 200
            && let FakeBody::Json(body) = &mut reply.body
            && let Some(fields) = fields_param(request.query)
        {
            fields::select(body, &fields);
        }
        reply
    }

    fn route(&mut self, request: &FakeRequest<'_>) -> FakeReply {
        let Some(route) = request.path.strip_prefix("/api/4.0") else {
            return FakeReply::error(404, "Not found");
        };
        match (request.method, route) {
            // Looker answers this one without a token (clients ask it before logging in).
            ("GET", "/versions") => FakeReply::json(200, versions_json()),
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
                    let user_id = self.tokens[&token].user_id.clone();
                    self.counters.me_calls += 1;
                    FakeReply::json(200, self.user_with_roles(&user_id))
                }
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
            ("GET", r) if r.starts_with("/users/") && r.ends_with("/roles") => {
                match self.authenticate(request) {
                    Ok(token) => self.user_roles(&token, &r[7..r.len() - 6]),
                    Err(reply) => reply,
                }
            }
            ("GET", r) if r.starts_with("/users/") && !r[7..].contains('/') => {
                match self.authenticate(request) {
                    Ok(token) => self.user(&token, &r[7..]),
                    Err(reply) => reply,
                }
            }
            (method, r) => match self.authenticate(request) {
                Ok(token) => {
                    let caller = self.caller(&token);
                    let now = Instant::now();
                    self.world
                        .handle(&caller, method, r, request.query, request.body, now)
                }
                Err(reply) => reply,
            },
        }
    }

    /// The roles `user_id` holds.
    fn roles_of(&self, user_id: &str) -> Vec<FakeRole> {
        self.roles
            .get(user_id)
            .cloned()
            .unwrap_or_else(roles::default_roles)
    }

    /// The permissions of `user_id`: the union of its roles' permission sets.
    fn permissions_of(&self, user_id: &str) -> Vec<String> {
        roles::permissions_of(&self.roles_of(user_id))
    }

    /// A User as `GET /user` and `GET /users/{id}` show it, `role_ids` from its roles.
    fn user_with_roles(&self, user_id: &str) -> Value {
        let mut user = self.users[user_id].clone();
        user["role_ids"] = self
            .roles_of(user_id)
            .iter()
            .map(|r| json!(role_id(r).to_string()))
            .collect();
        user
    }

    /// Whether the holder of `token` may read `user_id`: a user may read itself; reading another
    /// needs `see_users` (as in Looker). `Err` is the reply to send (404 for an unknown user).
    fn may_read_user(&self, token: &str, user_id: &str) -> Result<(), FakeReply> {
        let caller = &self.tokens[token].user_id;
        if !self.users.contains_key(user_id) {
            return Err(FakeReply::error(404, "Not found"));
        }
        if caller != user_id && !self.permissions_of(caller).iter().any(|p| p == "see_users") {
            return Err(FakeReply::error(403, "Not allowed"));
        }
        Ok(())
    }

    /// `GET /users/{id}`: user `1` (the API key's owner) and the users added with `add_user`.
    fn user(&self, token: &str, user_id: &str) -> FakeReply {
        match self.may_read_user(token, user_id) {
            Ok(()) => FakeReply::json(200, self.user_with_roles(user_id)),
            Err(reply) => reply,
        }
    }

    /// `GET /users/{id}/roles`: a user may read its own roles; reading another's needs
    /// `see_users` (as in Looker).
    fn user_roles(&self, token: &str, user_id: &str) -> FakeReply {
        if let Err(reply) = self.may_read_user(token, user_id) {
            return reply;
        }
        let roles: Vec<Value> = self
            .roles_of(user_id)
            .iter()
            .map(|r| r.to_json(role_id(r)))
            .collect();
        FakeReply::json(200, Value::Array(roles))
    }

    /// Who holds `token`, and in which workspace.
    fn caller(&self, token: &str) -> Caller {
        let token = &self.tokens[token];
        self.caller_for(&token.user_id, token.workspace == "dev")
    }

    /// `user_id` in the dev workspace or in production.
    fn caller_for(&self, user_id: &str, dev: bool) -> Caller {
        let user = self.users.get(user_id);
        let name = |key: &str| {
            user.and_then(|u| u[key].as_str())
                .unwrap_or_default()
                .to_owned()
        };
        Caller {
            user_id: user_id.to_owned(),
            first_name: name("first_name"),
            last_name: name("last_name"),
            dev,
            permissions: self.permissions_of(user_id),
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
                if ws == "dev" {
                    // Only developers have a dev workspace; theirs holds a personal branch.
                    let caller = self.caller_for(&self.tokens[token].user_id, true);
                    if !caller.can("develop") {
                        return FakeReply::error(
                            403,
                            &format!(
                                "User {} does not have the \"develop\" permission",
                                caller.user_id
                            ),
                        );
                    }
                    self.world.enter_dev(&caller);
                }
                let entry = self.tokens.get_mut(token).expect("authenticated token");
                entry.workspace = ws.to_owned();
                FakeReply::json(200, session_json(entry))
            }
            _ => FakeReply::invalid("workspace_id", "must be \"dev\" or \"production\""),
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

/// The `fields` query parameter, parsed, when there is one.
fn fields_param(query: &str) -> Option<Vec<fields::Field>> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let (_, value) = params.into_iter().find(|(name, _)| name == "fields")?;
    let fields = fields::parse(&value);
    (!fields.is_empty()).then_some(fields)
}

/// A role's id: stable for its name, as Looker's ids are stable.
fn role_id(role: &FakeRole) -> usize {
    100 + role.name.bytes().map(usize::from).sum::<usize>()
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

/// An ApiVersion: the Looker release FakeLooker poses as, and API 4.0 as the only version.
fn versions_json() -> Value {
    let version = json!({"version": "4.0", "full_version": "4.0.25.0", "status": "current",
                         "swagger_url": "/api/4.0/swagger.json"});
    json!({
        "looker_release_version": FAKE_LOOKER_RELEASE,
        "current_version": version,
        "supported_versions": [version],
    })
}

fn session_json(token: &Token) -> Value {
    json!({
        "workspace_id": token.workspace,
        "sudo_user_id": if token.sudo { Some(token.user_id.clone()) } else { None },
    })
}
