//! HTTP transport: one `reqwest` client per Looker client, a total timeout per request, retries
//! of idempotent requests, and mapping of failures onto [`Error`]. It never logs headers or bodies.

use std::time::{Duration, SystemTime};

use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use std::sync::Arc;

use crate::audit::{AuditTrail, RequestRecord};
use crate::error::{ApiError, Error, FieldError, Result};
use crate::http_client::with_network_settings;
use crate::retry::{Attempt, RetryPolicy, is_retryable_status, parse_retry_after};
use crate::settings::Settings;

const APP_ID: &str = concat!("looker-ci ", env!("CARGO_PKG_VERSION"));

/// Headers that may carry a request id worth quoting in an error report.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "x-looker-request-id", "x-amzn-requestid"];

/// An access token, kept only as its ready-made `Authorization: Bearer` header value: marked
/// sensitive (the HTTP stack never logs it), redacted in `Debug`, and built once per login
/// instead of once per request.
pub(crate) struct BearerToken {
    header: HeaderValue,
}

impl BearerToken {
    pub fn new(token: SecretString) -> Result<Self> {
        let mut header = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| Error::invalid_argument("access_token", "is not a valid header value"))?;
        header.set_sensitive(true);
        Ok(BearerToken { header })
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken([REDACTED])")
    }
}

/// The body of an outgoing request.
pub(crate) enum RequestBody {
    None,
    /// Bytes sent with this content type (JSON, text).
    Bytes {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
    /// A form body; may hold a secret, so it is kept as one until it is sent.
    Form(SecretString),
}

/// One request to the Looker API.
pub(crate) struct ApiRequest<'a> {
    pub method: Method,
    /// API path such as `/user`, without `/api/4.0`.
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub body: RequestBody,
    pub bearer: Option<&'a BearerToken>,
    /// Whether a retry may repeat the request (idempotent methods, and login).
    pub retry_safe: bool,
    /// A longer limit than the `timeout` setting, for a call Looker may take minutes to answer.
    pub min_timeout: Option<Duration>,
}

impl ApiRequest<'_> {
    /// The call's time limit: the `timeout` setting, or the call's own when that is longer.
    fn limit(&self, setting: Duration) -> Duration {
        self.min_timeout.map_or(setting, |own| own.max(setting))
    }
}

/// A reply read in full.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The request id Looker (or a proxy in front of it) gave the reply.
    pub fn request_id(&self) -> Option<&str> {
        REQUEST_ID_HEADERS
            .iter()
            .find_map(|name| self.headers.get(*name).and_then(|v| v.to_str().ok()))
    }

    /// The API error for a non-success reply: Looker's `message` and `documentation_url`, the
    /// request id; never the raw body.
    pub fn to_error(&self, method: &Method, path: &str) -> Error {
        #[derive(serde::Deserialize)]
        struct LookerError {
            message: Option<String>,
            documentation_url: Option<String>,
            // Kept loose: an `errors` of another shape must not lose the message.
            #[serde(default)]
            errors: Option<serde_json::Value>,
        }
        let parsed: Option<LookerError> = serde_json::from_slice(&self.body).ok();
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error");
        let (message, documentation_url, field_errors) = match parsed {
            Some(e) => (
                e.message.unwrap_or_else(|| reason.to_owned()),
                e.documentation_url,
                e.errors
                    .and_then(|v| serde_json::from_value::<Vec<FieldError>>(v).ok())
                    .unwrap_or_default(),
            ),
            None => (reason.to_owned(), None, Vec::new()),
        };
        let request_id = self.request_id().map(str::to_owned);
        Error::Api(Box::new(ApiError {
            status: self.status,
            method: method.as_str().to_owned(),
            path: path.to_owned(),
            message,
            documentation_url,
            request_id,
            field_errors,
            hint: None,
        }))
    }
}

/// Most a reply's `Content-Length` may reserve up front (a larger body still arrives, in steps).
const MAX_BODY_RESERVATION: u64 = 256 * 1024 * 1024;

/// Bodies announced at least this large get their own anonymous memory mapping, which goes back
/// to the system the moment the body is dropped. Freed through the allocator instead, they stay
/// resident in a thread's malloc arena (glibc raises its mmap threshold after a large free).
const MAPPED_BODY_MIN: u64 = 1024 * 1024;

/// Why a body could not be read.
enum BodyError {
    Http(reqwest::Error),
    /// Longer than the `max_reply_bytes` setting (announced or as it arrived).
    TooLarge,
}

impl From<reqwest::Error> for BodyError {
    fn from(e: reqwest::Error) -> Self {
        BodyError::Http(e)
    }
}

/// Read a whole reply body into one buffer sized by its `Content-Length`, so a large reply is
/// never held twice (its chunks plus their concatenation) and the buffer never regrows. Stops
/// at `max` bytes: a reply announced or arriving larger is never held.
async fn read_body(mut response: reqwest::Response, max: u64) -> Result<bytes::Bytes, BodyError> {
    if response.content_length().is_some_and(|len| len > max) {
        return Err(BodyError::TooLarge);
    }
    let expected = response
        .content_length()
        .unwrap_or(0)
        .min(MAX_BODY_RESERVATION);
    let mut body = Vec::new();
    if expected >= MAPPED_BODY_MIN
        && let Ok(mut map) = memmap2::MmapMut::map_anon(expected as usize)
    {
        let mut filled = 0;
        while let Some(chunk) = response.chunk().await? {
            let end = filled + chunk.len();
            if end as u64 > max {
                return Err(BodyError::TooLarge);
            }
            if end > map.len() {
                // Longer than announced: carry on in an ordinary buffer.
                body.reserve(end);
                body.extend_from_slice(&map[..filled]);
                body.extend_from_slice(&chunk);
                break;
            }
            map[filled..end].copy_from_slice(&chunk);
            filled = end;
        }
        if body.is_empty() {
            return Ok(bytes::Bytes::from_owner(MappedBody { map, len: filled }));
        }
    } else {
        body.reserve(expected as usize);
    }
    while let Some(chunk) = response.chunk().await? {
        if (body.len() + chunk.len()) as u64 > max {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}

/// A body in its own memory mapping (see [`MAPPED_BODY_MIN`]).
struct MappedBody {
    map: memmap2::MmapMut,
    len: usize,
}

impl AsRef<[u8]> for MappedBody {
    fn as_ref(&self) -> &[u8] {
        &self.map[..self.len]
    }
}

/// A header sent on every request whose value may have to be fetched first: an identity-aware
/// proxy's bearer token (`credentials::ProxyAuth` implements it). The transport owns this seam,
/// so it depends on no credential source.
#[async_trait::async_trait]
pub(crate) trait RequestHeader: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &reqwest::header::HeaderName;
    async fn value(&self) -> Result<Arc<HeaderValue>>;
}

/// A redirect reply as [`Error::Redirect`]: where it pointed (resolved against the request URL),
/// without its query or fragment, which may carry values.
fn redirect_error(
    request: &ApiRequest<'_>,
    status: u16,
    url: &reqwest::Url,
    headers: &HeaderMap,
) -> Error {
    let location = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url.join(v).ok())
        .map(|mut target| {
            target.set_query(None);
            target.set_fragment(None);
            target.to_string()
        })
        .unwrap_or_else(|| "an address it did not give".to_owned());
    tracing::warn!(method = %request.method, path = request.path, status, %location, "redirect refused");
    Error::Redirect {
        method: request.method.as_str().to_owned(),
        path: request.path.to_owned(),
        status,
        location,
    }
}

/// Sends requests to one Looker instance.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    api_root: String,
    timeout: Duration,
    retry: RetryPolicy,
    /// A header sent on every request when configured (an identity-aware proxy's bearer).
    extra_header: Option<Arc<dyn RequestHeader>>,
    /// Where every attempt is recorded, when auditing is on.
    audit: Option<Arc<AuditTrail>>,
    max_reply_bytes: u64,
}

impl Transport {
    /// A transport for `settings` that sends `user_agent` (see [`crate::ci_run::user_agent`]).
    pub fn new(settings: &Settings, user_agent: &str) -> Result<Transport> {
        let mut headers = HeaderMap::new();
        headers.insert("x-looker-appid", HeaderValue::from_static(APP_ID));
        let mut builder = reqwest::Client::builder()
            .user_agent(user_agent)
            .default_headers(headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(30)))
            .pool_idle_timeout(Duration::from_secs(60))
            // A redirect could carry the login body or the bearer token to another origin.
            .redirect(reqwest::redirect::Policy::none())
            // Only this client: never switch verification off for the process.
            .danger_accept_invalid_certs(!settings.verify_ssl);
        builder = with_network_settings(builder, settings)?;
        let http = builder.build().map_err(|e| {
            Error::config(
                "http_client",
                "settings",
                format!("cannot build the HTTP client: {e}"),
            )
        })?;
        Ok(Transport {
            http,
            api_root: settings.api_url(""),
            timeout: settings.timeout,
            retry: settings.retry.clone(),
            extra_header: None,
            audit: None,
            max_reply_bytes: settings.max_reply_bytes,
        })
    }

    pub fn with_audit(mut self, audit: Option<Arc<AuditTrail>>) -> Self {
        self.audit = audit;
        self
    }

    /// The audit trail requests are recorded in, if any.
    pub fn audit(&self) -> Option<&Arc<AuditTrail>> {
        self.audit.as_ref()
    }

    pub fn with_extra_header(mut self, header: Option<Arc<dyn RequestHeader>>) -> Self {
        self.extra_header = header;
        self
    }

    /// Send one request, retrying where the policy allows, and read the whole reply. The
    /// `timeout` setting bounds the whole call: every attempt and every pause between them.
    pub async fn send(&self, request: ApiRequest<'_>) -> Result<Reply> {
        let limit = request.limit(self.timeout);
        let deadline = tokio::time::Instant::now() + limit;
        let request = &request;
        let what = format!("{} {}", request.method, request.path);
        self.retry
            .run(&what, Some(deadline), |attempt| async move {
                let sent = std::time::Instant::now();
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                let outcome = if left.is_zero() {
                    Err(Error::Timeout {
                        method: request.method.as_str().to_owned(),
                        path: request.path.to_owned(),
                        after: limit,
                    })
                } else {
                    self.send_once(request, left).await
                };
                if let Some(audit) = &self.audit {
                    audit.request(RequestRecord {
                        method: request.method.as_str(),
                        path: request.path,
                        status: outcome.as_ref().ok().map(|r| r.status),
                        error: match &outcome {
                            Ok(_) => None,
                            Err(Error::Timeout { .. }) => Some("timeout"),
                            Err(Error::Redirect { .. }) => Some("redirect"),
                            Err(_) => Some("connection"),
                        },
                        request_id: outcome.as_ref().ok().and_then(Reply::request_id),
                        duration: sent.elapsed(),
                        attempt,
                    });
                }
                let retry_after = match &outcome {
                    Ok(reply) if is_retryable_status(reply.status) => reply
                        .headers
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, SystemTime::now())),
                    Err(Error::Connection { .. }) => None,
                    _ => return Attempt::Done(outcome),
                };
                if !request.retry_safe {
                    return Attempt::Done(outcome);
                }
                Attempt::Again {
                    outcome,
                    retry_after,
                }
            })
            .await
    }

    async fn send_once(&self, request: &ApiRequest<'_>, left: Duration) -> Result<Reply> {
        let url = format!("{}{}", self.api_root, request.path);
        let mut builder = self.http.request(request.method.clone(), url).timeout(left);
        if !request.query.is_empty() {
            builder = builder.query(request.query);
        }
        if let Some(token) = request.bearer {
            builder = builder.header(header::AUTHORIZATION, token.header.clone());
        }
        if let Some(extra) = &self.extra_header {
            let value = extra.value().await?;
            builder = builder.header(extra.name().clone(), (*value).clone());
        }
        builder = match &request.body {
            RequestBody::None => builder,
            RequestBody::Bytes {
                content_type,
                bytes,
            } => builder
                .header(header::CONTENT_TYPE, *content_type)
                .body(bytes.clone()),
            RequestBody::Form(form) => builder
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form.expose_secret().to_owned()),
        };
        tracing::trace!(method = %request.method, path = request.path, "sending Looker request");
        let mut response = builder
            .send()
            .await
            .map_err(|e| self.map_error(e, request))?;
        let status = response.status().as_u16();
        if response.status().is_redirection() && status != 304 {
            return Err(redirect_error(
                request,
                status,
                response.url(),
                response.headers(),
            ));
        }
        let headers = std::mem::take(response.headers_mut());
        let body = match read_body(response, self.max_reply_bytes).await {
            Ok(body) => body,
            Err(BodyError::Http(e)) => return Err(self.map_error(e, request)),
            Err(BodyError::TooLarge) => {
                return Err(Error::config(
                    "max_reply_bytes",
                    "settings",
                    format!(
                        "the reply of {} {} is larger than {} bytes; raise max_reply_bytes \
                         ({}) if a reply this large is expected",
                        request.method,
                        request.path,
                        self.max_reply_bytes,
                        crate::settings::ENV_MAX_REPLY_BYTES
                    ),
                ));
            }
        };
        tracing::debug!(method = %request.method, path = request.path, status, bytes = body.len(), "Looker reply");
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    fn map_error(&self, error: reqwest::Error, request: &ApiRequest<'_>) -> Error {
        let method = request.method.as_str().to_owned();
        let path = request.path.to_owned();
        if error.is_timeout() {
            return Error::Timeout {
                method,
                path,
                after: request.limit(self.timeout),
            };
        }
        // Drop the URL (it may carry query values) and describe the cause chain.
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Error::Connection {
            method,
            path,
            message,
            source: Some(std::sync::Arc::new(error)),
        }
    }
}
