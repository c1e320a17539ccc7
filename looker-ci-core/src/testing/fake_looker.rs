//! FakeLooker: a stateful Looker emulator on 127.0.0.1 for tests, examples and demos.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use super::reply::{FakeBody, FakeReply, FakeRequest};
use super::state::{FakeCounters, FakeState, Fault, Reported};
use crate::settings::Settings;

/// A running FakeLooker. Stops when dropped (or on [`FakeLooker::stop`]).
///
/// It knows one API key (random per instance), user `1` (the key's owner) and any users added
/// with [`FakeLooker::add_user`] for sudo. It serves `GET /versions`, `POST /login`,
/// `POST /login/{user_id}`, `DELETE /logout`, `GET /user`, `GET /users/{id}`,
/// `GET`/`PATCH /session`, and the
/// Looker world of the CI gate (a LookML project with git branches, a fake warehouse behind
/// queries and query tasks, LookML validation, data tests, content, deploys, scheduled plans,
/// datagroups: see the world controls such as [`FakeLooker::set_project`]); everything else is
/// 404. A `fields` query parameter on a GET keeps only those keys of the JSON reply.
pub struct FakeLooker {
    addr: SocketAddr,
    state: Arc<Mutex<FakeState>>,
    server: JoinHandle<()>,
}

impl fmt::Debug for FakeLooker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeLooker")
            .field("base_url", &self.base_url())
            .field("client_id", &self.client_id())
            .finish_non_exhaustive()
    }
}

impl Drop for FakeLooker {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeLooker {
    /// Start on a random port of 127.0.0.1, on the current Tokio runtime.
    pub async fn start() -> crate::Result<FakeLooker> {
        let cannot_start = |e: std::io::Error| crate::Error::Connection {
            method: "BIND".into(),
            path: "127.0.0.1".into(),
            message: format!("FakeLooker could not start: {e}"),
            source: Some(Arc::new(e)),
        };
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(cannot_start)?;
        let addr = listener.local_addr().map_err(cannot_start)?;
        let state = Arc::new(Mutex::new(FakeState::new()));
        let server = tokio::spawn(serve(listener, Arc::clone(&state)));
        tracing::debug!(%addr, "FakeLooker listening");
        Ok(FakeLooker {
            addr,
            state,
            server,
        })
    }

    /// Stop serving; open connections are closed.
    pub fn stop(&self) {
        self.server.abort();
    }

    /// `http://127.0.0.1:<port>`, the value for `LOOKERSDK_BASE_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The client id of the API key this server accepts (random per server, or the one set with
    /// [`FakeLooker::set_api_key`]).
    pub fn client_id(&self) -> String {
        self.lock().client_id.clone()
    }

    /// The client secret of the API key this server accepts.
    pub fn client_secret(&self) -> SecretString {
        SecretString::from(self.lock().client_secret.clone())
    }

    /// Replace the API key this server accepts (for example with one stored in a test secret).
    pub fn set_api_key(&self, client_id: &str, client_secret: &SecretString) {
        let mut state = self.lock();
        state.client_id = client_id.to_owned();
        state.client_secret = secrecy::ExposeSecret::expose_secret(client_secret).to_owned();
    }

    /// Settings pointing at this server with its API key.
    pub fn settings(&self) -> Settings {
        Settings::builder()
            .base_url(self.base_url())
            .client_id(self.client_id())
            .client_secret(self.client_secret())
            .build()
            .expect("FakeLooker settings are valid")
    }

    /// Lifetime the server enforces on new tokens; also reported as `expires_in` unless
    /// [`FakeLooker::set_reported_expires_in`] overrides it.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.lock().lifetime = lifetime;
    }

    /// The `expires_in` value sent in login replies: `Some(json)` sends it as is (it may be
    /// absurd: negative, huge, a string), `None` leaves the field out.
    pub fn set_reported_expires_in(&self, value: Option<serde_json::Value>) {
        self.lock().reported = match value {
            Some(v) => Reported::Value(v),
            None => Reported::Missing,
        };
    }

    /// Report the enforced lifetime again.
    pub fn report_actual_expires_in(&self) {
        self.lock().reported = Reported::Actual;
    }

    /// Invalidate every token now; their holders get 401 from here on.
    pub fn revoke_all_tokens(&self) {
        self.lock().revoke_all();
    }

    /// Add a user that sudo (`login_user`) can act as.
    pub fn add_user(&self, id: &str, first_name: &str, last_name: &str) {
        self.lock().add_user(id, first_name, last_name);
    }

    /// Apply `fault` to each of the next `count` requests (after faults already queued).
    pub fn inject_fault(&self, fault: Fault, count: usize) {
        let mut state = self.lock();
        for _ in 0..count {
            state.faults.push_back(fault.clone());
        }
    }

    /// Drop every queued fault.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Faults still queued.
    pub fn pending_faults(&self) -> usize {
        self.lock().faults.len()
    }

    /// What the server has seen and done so far.
    pub fn counters(&self) -> FakeCounters {
        self.lock().counters
    }

    /// Tokens issued and neither expired, revoked nor logged out.
    pub fn live_tokens(&self) -> usize {
        self.lock().live_tokens()
    }

    /// Set every counter back to zero, the warehouse's too (see
    /// [`FakeLooker::reset_warehouse_counters`]).
    pub fn reset_counters(&self) {
        let mut state = self.lock();
        state.counters = FakeCounters::default();
        state.world.queries.reset_counters();
    }

    /// Every access token this server has issued (for tests that search output for secrets).
    pub fn issued_tokens(&self) -> Vec<SecretString> {
        self.lock()
            .issued
            .iter()
            .map(|t| SecretString::from(t.clone()))
            .collect()
    }

    /// Header value of the last request received (`authorization` is never recorded).
    pub fn last_header(&self, name: &str) -> Option<String> {
        self.lock()
            .last_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn serve(listener: TcpListener, state: Arc<Mutex<FakeState>>) {
    // Owning the connections here means aborting this task closes them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = Arc::clone(&state);
                connections.spawn(async move {
                    let service = service_fn(move |req| handle(req, Arc::clone(&state)));
                    // Errors here are the client going away or an injected dropped connection.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// An injected dropped connection: hyper closes the connection without a reply.
#[derive(Debug)]
struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// The calls Looker answers only once a long validation is done.
fn is_slow_validation(method: &str, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    (method == "POST" && path.starts_with("/api/4.0/projects/") && path.ends_with("/validate"))
        || (method == "GET" && path == "/api/4.0/content_validation")
        || (method == "GET" && path.ends_with("/lookml_tests/run"))
}

async fn handle(
    request: Request<Incoming>,
    state: Arc<Mutex<FakeState>>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (fault, latency, validation) = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        state.counters.requests += 1;
        state.last_headers = request
            .headers()
            .iter()
            .filter(|(name, _)| *name != hyper::header::AUTHORIZATION)
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
            .collect();
        if let Some(agent) = request
            .headers()
            .get(hyper::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            && !state.user_agents.iter().any(|seen| seen == agent)
        {
            state.user_agents.push(agent.to_owned());
        }
        let latency = state.latency.map(|(min, max)| {
            let spread = max.saturating_sub(min).as_micros();
            let extra = u64::try_from(spread).map_or(0, |s| fastrand::u64(0..=s));
            min + Duration::from_micros(extra)
        });
        let (method, path) = (request.method().as_str(), request.uri().path());
        let validation = is_slow_validation(method, path).then_some(state.validation_duration);
        let fault = state
            .faults
            .iter()
            .position(|f| f.applies_to(method, path))
            .and_then(|at| state.faults.remove(at));
        (fault, latency, validation)
    };
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(Dropped),
    };
    if let Some(fault) = &fault {
        if let Some(delay) = fault.delay {
            tokio::time::sleep(delay).await;
        }
        if fault.drop_connection {
            return Err(Dropped);
        }
        if let Some(status) = fault.status {
            return Ok(to_response(FakeReply {
                status,
                body: FakeBody::Json(serde_json::json!({"message": "injected fault"})),
                retry_after: fault.retry_after.clone(),
            }));
        }
    }
    if let Some(duration) = validation.filter(|d| !d.is_zero()) {
        tokio::time::sleep(duration).await;
    }
    let reply = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        state.handle(&FakeRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            authorization: parts
                .headers
                .get(hyper::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
            body: &body,
        })
    };
    Ok(to_response(reply))
}

fn to_response(reply: FakeReply) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    if let Some(value) = &reply.retry_after {
        builder = builder.header(hyper::header::RETRY_AFTER, value);
    }
    let body = match reply.body {
        FakeBody::Json(json) => {
            builder = builder.header(hyper::header::CONTENT_TYPE, "application/json");
            Bytes::from(serde_json::to_vec(&json).unwrap_or_default())
        }
        FakeBody::Text { content_type, text } => {
            builder = builder.header(hyper::header::CONTENT_TYPE, content_type);
            Bytes::from(text)
        }
        FakeBody::Binary {
            content_type,
            bytes,
        } => {
            builder = builder.header(hyper::header::CONTENT_TYPE, content_type);
            Bytes::from(bytes)
        }
        FakeBody::None => Bytes::new(),
    };
    builder
        .body(Full::new(body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}
