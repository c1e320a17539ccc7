//! `NativeClient`: one core `LookerClient`. Every async method runs on napi's Tokio runtime.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use looker_ci_core::OperationOutput;
use looker_ci_core::gate;
use looker_ci_core::{ApiCall, CredentialProvider, LookerClient};
use napi::bindgen_prelude::{Buffer, ToNapiValue, TypeName};
use napi::{ValueType, sys};
use napi_derive::napi;
use secrecy::SecretString;

use crate::errors::{guarded, to_js};
use crate::provider::{CredentialsFn, JsCredentialProvider};

/// A reply of an operation or of `request()`: `json` (its text in `json`), `text` (`text`) or
/// `binary` (`data`). `method` and `path` are the request's, as errors name them (a JSON text
/// that `JSON.parse` refuses becomes a `LOOKER_CI_DECODE` error naming them).
#[napi(object, object_from_js = false)]
pub struct NativeReply {
    pub kind: String,
    pub text: Option<String>,
    /// The JSON text, for `JSON.parse`.
    #[napi(ts_type = "string")]
    pub json: Option<JsonText>,
    pub data: Option<Buffer>,
    pub method: String,
    pub path: String,
}

/// A JSON reply on its way to a JS string. An ASCII body (the usual case: Looker escapes little)
/// is copied as Latin-1, a plain byte copy into a one-byte V8 string; anything else is decoded as
/// UTF-8 (invalid sequences become U+FFFD, as with `fetch` and `res.text()`).
pub struct JsonText(bytes::Bytes);

impl JsonText {
    /// A reply body as JSON text (an empty body is `null`, the core's rule).
    fn of(body: bytes::Bytes) -> Self {
        if body.is_empty() {
            JsonText(bytes::Bytes::from_static(
                looker_ci_core::api::EMPTY_BODY_JSON,
            ))
        } else {
            JsonText(body)
        }
    }
}

impl TypeName for JsonText {
    fn type_name() -> &'static str {
        "string"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ToNapiValue for JsonText {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let mut string = std::ptr::null_mut();
        let (ptr, len) = (val.0.as_ptr().cast(), val.0.len());
        // SAFETY: `env` is the live env napi hands to this conversion; `ptr`/`len` describe
        // `val.0`, which outlives the call, and V8 copies the characters.
        let status = unsafe {
            if val.0.is_ascii() {
                sys::napi_create_string_latin1(env, ptr, len as isize, &mut string)
            } else {
                sys::napi_create_string_utf8(env, ptr, len as isize, &mut string)
            }
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::from_reason(
                "could not create a string for the reply",
            ));
        }
        Ok(string)
    }
}

/// Client settings; every field is optional. `readEnv` layers `looker.ini` and `LOOKERSDK_*`
/// underneath the given values; `configFile` reads that file (with or without `readEnv`), and
/// `section` picks its section (or that of `./looker.ini` with `readEnv`). `lib/options.js`
/// checks names and types before they reach this conversion.
#[napi(object)]
pub struct ClientOptions {
    pub base_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub verify_ssl: Option<bool>,
    /// Seconds.
    pub timeout: Option<f64>,
    pub ca_bundle: Option<String>,
    pub https_proxy: Option<String>,
    pub dev_workspace: Option<bool>,
    pub config_file: Option<String>,
    pub section: Option<String>,
    pub read_env: Option<bool>,
    /// Variables of the environment contract (`AWS_ROLE_ARN`, `LOOKER_CI_OKTA_*`, ...) laid over
    /// the process environment for this client only; an unknown `LOOKERSDK_*`/`LOOKER_CI_*` name
    /// is refused.
    pub env: Option<HashMap<String, String>>,
    /// Append the audit trail (one JSON line per request; docs/security.md) to this file.
    pub audit_file: Option<String>,
}

/// Which credential source a client uses and why.
#[napi(object)]
pub struct CredentialReport {
    pub source: String,
    pub detail: String,
    /// `[source, reason]` pairs of the sources passed over.
    pub skipped: Vec<Vec<String>>,
    /// The identity-aware proxy's header and where its token comes from, when one is sent.
    pub proxy: Option<String>,
    pub summary: String,
}

/// Counters of what the client did.
#[napi(object)]
pub struct ClientStats {
    pub logins: i64,
    pub requests: i64,
    pub reauthentications: i64,
}

#[napi]
pub struct NativeClient {
    client: LookerClient,
}

fn api_call(
    method: String,
    path: String,
    query: Option<serde_json::Value>,
    body_json: Option<String>,
) -> napi::Result<ApiCall> {
    ApiCall::from_parts(&method, &path, query.as_ref(), body_json.as_deref()).map_err(to_js)
}

#[napi]
impl NativeClient {
    /// Settings from `./looker.ini` (or `configFile`) and the `LOOKERSDK_*` variables.
    #[napi(factory)]
    pub fn from_env(
        config_file: Option<String>,
        section: Option<String>,
        env: Option<HashMap<String, String>>,
    ) -> napi::Result<Self> {
        crate::logging::init();
        let client = LookerClient::builder()
            .read_env(true)
            .set_config_file(config_file.map(PathBuf::from))
            .set_section(section)
            .set_env(env)
            .build()
            .map_err(to_js)?;
        Ok(NativeClient { client })
    }

    /// `credentials`: a function resolving to `{ clientId, clientSecret }`, called at every login.
    #[napi(factory)]
    pub fn from_options(
        options: ClientOptions,
        #[napi(ts_arg_type = "(() => Promise<ApiKey>) | undefined | null")] credentials: Option<
            CredentialsFn,
        >,
    ) -> napi::Result<Self> {
        crate::logging::init();
        // Each option maps onto the core's builder, which decides everything else.
        let credentials = credentials.map(|function| {
            Arc::new(JsCredentialProvider::new(function)) as Arc<dyn CredentialProvider>
        });
        let client = LookerClient::builder()
            .dev_workspace(options.dev_workspace.unwrap_or(false))
            .read_env(options.read_env.unwrap_or(false))
            .set_base_url(options.base_url)
            .set_client_id(options.client_id)
            .set_client_secret(options.client_secret.map(SecretString::from))
            .set_verify_ssl(options.verify_ssl)
            .set_timeout_secs(options.timeout)
            .set_ca_bundle(options.ca_bundle.map(PathBuf::from))
            .set_https_proxy(options.https_proxy)
            .set_config_file(options.config_file.map(PathBuf::from))
            .set_section(options.section)
            .set_env(options.env)
            .set_credentials(credentials)
            .set_audit_file(options.audit_file.map(PathBuf::from))
            .build()
            .map_err(to_js)?;
        Ok(NativeClient { client })
    }

    /// Which credential source the client uses and why (never a secret).
    #[napi]
    pub fn describe(&self) -> CredentialReport {
        let report = self.client.describe();
        CredentialReport {
            source: report.source.clone(),
            detail: report.detail.clone(),
            skipped: report
                .skipped
                .iter()
                .map(|(source, reason)| vec![source.clone(), reason.clone()])
                .collect(),
            proxy: report.proxy.clone(),
            summary: report.to_string(),
        }
    }

    /// The identity behind the client as facts, and the CI run (`ci`) its requests name.
    #[napi]
    pub fn identity(&self) -> serde_json::Value {
        self.client.identity_json()
    }

    /// `looker-ci doctor`: identity, stored secrets, privileges against `commands`, lifetimes.
    #[napi]
    pub async fn doctor(&self, commands: Option<Vec<String>>) -> napi::Result<serde_json::Value> {
        let run = async {
            let options =
                looker_ci_core::doctor::DoctorOptions::for_commands(&commands.unwrap_or_default())?;
            Ok(looker_ci_core::doctor::doctor(&self.client, &options)
                .await
                .to_json())
        };
        guarded("doctor()", run).await
    }

    /// Any API path; `body_json` is the JSON text of the body (`JSON.stringify` in `lib/`). The
    /// reply is JSON text for `JSON.parse` on the JS side (whatever its content type; an empty
    /// body is `null`), as the generated methods' replies are, or with `raw` the body as a
    /// `Buffer` (kind `binary`).
    #[napi]
    pub async fn request(
        &self,
        method: String,
        path: String,
        query: Option<serde_json::Value>,
        body_json: Option<String>,
        raw: Option<bool>,
    ) -> napi::Result<NativeReply> {
        let call = api_call(method, path, query, body_json)?;
        let (method, path) = (call.method().to_owned(), call.path().to_owned());
        let bytes = guarded("request()", self.client.request_bytes(call)).await?;
        Ok(if raw.unwrap_or(false) {
            NativeReply {
                kind: "binary".into(),
                text: None,
                json: None,
                data: Some(Vec::from(bytes).into()),
                method,
                path,
            }
        } else {
            NativeReply {
                kind: "json".into(),
                text: None,
                json: Some(JsonText::of(bytes)),
                data: None,
                method,
                path,
            }
        })
    }

    /// Call an operation of the Looker API by `operationId` (the generated methods use this).
    /// JSON replies come back as one string for `JSON.parse` on the JS side, which builds
    /// objects faster than creating them one napi call at a time.
    #[napi]
    pub async fn call(
        &self,
        operation_id: String,
        args: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> napi::Result<NativeReply> {
        let call = self
            .client
            .call_operation_raw(&operation_id, args.unwrap_or_default());
        let reply = guarded("an operation call", call).await?;
        let (method, path) = (
            reply.operation().method.to_owned(),
            reply.operation().path.to_owned(),
        );
        if reply.is_json() {
            return Ok(NativeReply {
                kind: "json".into(),
                text: None,
                json: Some(JsonText::of(reply.into_bytes())),
                data: None,
                method,
                path,
            });
        }
        Ok(match reply.output().map_err(to_js)? {
            // An empty body of another content type: JSON `null`, as in the other languages.
            OperationOutput::Json(_) => NativeReply {
                kind: "json".into(),
                text: None,
                json: Some(JsonText::of(bytes::Bytes::new())),
                data: None,
                method,
                path,
            },
            OperationOutput::Text(text) => NativeReply {
                kind: "text".into(),
                text: Some(text),
                json: None,
                data: None,
                method,
                path,
            },
            OperationOutput::Binary(bytes) => NativeReply {
                kind: "binary".into(),
                text: None,
                json: None,
                data: Some(Vec::from(bytes).into()),
                method,
                path,
            },
        })
    }

    /// Run a validator of the CI gate; `options` holds `ValidateOptions` keys (snake_case, as
    /// `lib/index.js` maps them). Returns the result document as JSON text for `JSON.parse`.
    /// `cancel_id`: `cancelValidation(cancel_id)` cancels the run (an `AbortSignal`).
    #[napi]
    pub async fn validate(
        &self,
        validator: String,
        options: serde_json::Value,
        cancel_id: Option<u32>,
    ) -> napi::Result<String> {
        let cancellation = cancel_id.map(crate::gate::cancellation);
        let run = async {
            let kind = gate::ValidatorKind::parse(&validator)?;
            let options = gate::ValidateOptions::from_json(options)?;
            let progress = Arc::new(gate::Progress::new());
            let cancelled = async {
                match &cancellation {
                    Some(cancellation) => cancellation.cancelled().await,
                    None => std::future::pending().await,
                }
            };
            let env = |name: &str| std::env::var(name).ok();
            let result =
                gate::validate_with(&self.client, kind, &options, &progress, cancelled, env)
                    .await?;
            serde_json::to_string(&result).map_err(|e| looker_ci_core::Error::Internal {
                message: format!("the validation result could not be encoded: {e}"),
            })
        };
        let outcome = guarded("validate()", run).await;
        if let Some(id) = cancel_id {
            crate::gate::forget(id);
        }
        outcome
    }

    #[napi]
    pub async fn deploy(
        &self,
        project: String,
        branch: Option<String>,
        commit: Option<String>,
    ) -> napi::Result<()> {
        let run =
            gate::deploy::deploy(&self.client, &project, branch.as_deref(), commit.as_deref());
        guarded("deploy()", run).await
    }

    #[napi]
    pub async fn run_schedule(&self, plan_id: String) -> napi::Result<serde_json::Value> {
        guarded(
            "runSchedule()",
            gate::deploy::run_schedule(&self.client, &plan_id),
        )
        .await
    }

    #[napi]
    pub async fn trigger_datagroup(
        &self,
        model: String,
        datagroup: String,
    ) -> napi::Result<serde_json::Value> {
        let run = gate::deploy::trigger_datagroup(&self.client, &model, &datagroup);
        guarded("triggerDatagroup()", run).await
    }

    /// A client acting as `userId` (sudo).
    #[napi]
    pub fn login_user(&self, user_id: String) -> napi::Result<NativeClient> {
        Ok(NativeClient {
            client: self.client.login_user(&user_id).map_err(to_js)?,
        })
    }

    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        guarded("close()", self.client.close()).await
    }

    #[napi]
    pub fn stats(&self) -> ClientStats {
        let s = self.client.stats();
        ClientStats {
            logins: s.logins as i64,
            requests: s.requests as i64,
            reauthentications: s.reauthentications as i64,
        }
    }

    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.client.base_url()
    }
}
