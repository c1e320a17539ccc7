//! The generic call path: arguments checked against the operation table, the path filled in and
//! percent-encoded, query values formatted as the Looker API expects, the body encoded as the spec
//! says, and the reply decoded by its content type.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{BodyKind, Location, Operation, operation};
use crate::client::{ApiCall, LookerClient};
use crate::error::{Error, Result};

/// A decoded reply: JSON, text (`text/*`: CSV, SQL, LookML...) or bytes (PNG, JPEG, PDF...).
#[derive(Debug, Clone, PartialEq)]
pub enum OperationOutput {
    /// A JSON reply (or one with no content type), decoded; an empty body is `Value::Null`.
    Json(Value),
    /// A `text/*` or SVG reply that is valid UTF-8.
    Text(String),
    /// Any other reply (or a text one that is not valid UTF-8), as received.
    Binary(Bytes),
}

fn invalid(argument: &str, message: String) -> Error {
    Error::InvalidArgument {
        argument: argument.to_owned(),
        message,
    }
}

/// Build the request for `op` from `args` (parameter names of the spec, plus `body`).
pub(crate) fn build_call(op: &Operation, mut args: Map<String, Value>) -> Result<ApiCall> {
    if op.session_managed {
        return Err(invalid(
            "operation_id",
            format!(
                "`{}` is done by the session itself; use login_user() for sudo and close() to log out",
                op.id
            ),
        ));
    }
    let body = args.remove("body").filter(|b| !b.is_null());
    let mut path = op.path.to_owned();
    let mut query = Vec::new();
    for param in op.params {
        let value = args.remove(param.name).filter(|v| !v.is_null());
        match (value, param.location) {
            (None, _) if param.required => {
                return Err(invalid(param.name, format!("is required by `{}`", op.id)));
            }
            (None, _) => {}
            (Some(value), Location::Path) => {
                let text = match &value {
                    Value::String(s) if !s.is_empty() => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => {
                        return Err(invalid(
                            param.name,
                            "must be a non-empty string or a number".into(),
                        ));
                    }
                };
                // A `..` value would make the URL parser drop the segment before it: another
                // endpoint.
                if crate::client::is_dot_segment(text.trim()) {
                    return Err(invalid(
                        param.name,
                        format!("`{text}` is not a value for a path parameter"),
                    ));
                }
                let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes())
                    .collect::<String>()
                    .replace('+', "%20");
                path = path.replace(&format!("{{{}}}", param.name), &encoded);
            }
            (Some(value), Location::Query) => query.push((param.name, value)),
        }
    }
    if let Some(unknown) = args.keys().next() {
        let known: Vec<&str> = op.params.iter().map(|p| p.name).collect();
        return Err(invalid(
            unknown,
            format!(
                "is not a parameter of `{}` (its parameters: {known:?}, and `body`)",
                op.id
            ),
        ));
    }
    let mut call = ApiCall::new(op.method, &path)?;
    for (name, value) in query {
        call = call.query_value(name, &value);
    }
    match (op.body, body) {
        (Some(spec), None) if spec.required => {
            return Err(invalid("body", format!("is required by `{}`", op.id)));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "body",
                format!("`{}` takes no request body", op.id),
            ));
        }
        (Some(spec), Some(body)) => {
            call = match spec.kind {
                BodyKind::Json => call.json(body),
                BodyKind::Text | BodyKind::Form => match body {
                    Value::String(text) => call.text(
                        if spec.kind == BodyKind::Text {
                            "text/plain"
                        } else {
                            "application/x-www-form-urlencoded"
                        },
                        text,
                    ),
                    _ => return Err(invalid("body", format!("`{}` takes a string body", op.id))),
                },
            }
        }
        _ => {}
    }
    Ok(call)
}

/// What an empty reply body (Looker answers some calls with none) reads as: JSON `null`.
pub const EMPTY_BODY_JSON: &[u8] = b"null";

/// The JSON text of a reply body: an empty body is [`EMPTY_BODY_JSON`]. The one rule of every
/// language: Rust decodes it, Python builds `None`, JS parses it.
pub fn json_body(bytes: &[u8]) -> &[u8] {
    if bytes.is_empty() {
        EMPTY_BODY_JSON
    } else {
        bytes
    }
}

/// The undecoded reply of an operation, for callers that build their own objects from the bytes
/// (the Python binding builds Python objects straight from them).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawReply {
    op: &'static Operation,
    content_type: String,
    bytes: Bytes,
}

impl RawReply {
    /// A reply of `op` with this (lower-case) content type and body.
    pub(crate) fn new(op: &'static Operation, content_type: String, bytes: Bytes) -> Self {
        RawReply {
            op,
            content_type,
            bytes,
        }
    }

    /// The operation that was called.
    pub fn operation(&self) -> &'static Operation {
        self.op
    }

    /// The reply's `Content-Type`, lower case (empty when absent).
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The reply body.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The reply body, owned (no copy).
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The error for a body that is not the JSON expected (never quotes the body).
    pub fn decode_error(&self, error: &serde_json::Error) -> Error {
        Error::decode(self.op.method, self.op.path, error)
    }

    /// Whether the body is JSON (by content type; a missing one counts as JSON).
    pub fn is_json(&self) -> bool {
        self.content_type.starts_with("application/json") || self.content_type.is_empty()
    }

    /// Decode the reply into the operation's model (an empty body decodes as `null`).
    pub fn model<T: DeserializeOwned>(&self) -> Result<T> {
        if !self.is_json() {
            return Err(Error::Decode {
                method: self.op.method.into(),
                path: self.op.path.into(),
                message: format!("expected JSON, got `{}`", self.content_type),
            });
        }
        serde_json::from_slice(json_body(&self.bytes)).map_err(|e| self.decode_error(&e))
    }

    /// Decode the reply by its content type.
    pub fn output(self) -> Result<OperationOutput> {
        if self.bytes.is_empty() {
            return Ok(OperationOutput::Json(Value::Null));
        }
        if self.is_json() {
            return self.model().map(OperationOutput::Json);
        }
        if self.content_type.starts_with("text/") || self.content_type.contains("svg") {
            return match String::from_utf8(self.bytes.to_vec()) {
                Ok(text) => Ok(OperationOutput::Text(text)),
                Err(_) => Ok(OperationOutput::Binary(self.bytes)),
            };
        }
        Ok(OperationOutput::Binary(self.bytes))
    }
}

impl LookerClient {
    /// Call any operation of the Looker API by its `operationId` with the spec's parameter names
    /// (plus `body`), for example `("lookml_model_explore", {"lookml_model_name": "m",
    /// "explore_name": "e"})`. The bindings' generated methods all come through here; Rust code
    /// usually calls the typed methods instead (`client.lookml_model_explore("m", "e").await`).
    pub async fn call_operation(
        &self,
        operation_id: &str,
        args: Map<String, Value>,
    ) -> Result<OperationOutput> {
        self.call_operation_raw(operation_id, args).await?.output()
    }

    /// [`LookerClient::call_operation`] without decoding the reply.
    pub async fn call_operation_raw(
        &self,
        operation_id: &str,
        args: Map<String, Value>,
    ) -> Result<RawReply> {
        let op = operation(operation_id).ok_or_else(|| {
            invalid(
                "operation_id",
                format!("`{operation_id}` is not an operation of the Looker API 4.0"),
            )
        })?;
        let call = build_call(op, args)?;
        let (content_type, bytes) = self.request_with_content_type(call).await?;
        Ok(RawReply::new(
            op,
            content_type.unwrap_or_default().to_ascii_lowercase(),
            bytes,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn path_and_query_are_filled_in_and_checked() {
        let op = operation("lookml_model_explore").unwrap();
        let call = build_call(
            op,
            args(
                json!({"lookml_model_name": "my model", "explore_name": "a/b",
            "fields": ["id", "name"], "add_drills_metadata": true}),
            ),
        )
        .unwrap();
        let text = format!("{call:?}");
        assert!(
            text.contains("/lookml_models/my%20model/explores/a%2Fb"),
            "{text}"
        );
        assert!(text.contains("id,name") && text.contains("true"), "{text}");

        let missing = build_call(op, args(json!({"lookml_model_name": "m"}))).unwrap_err();
        assert!(missing.to_string().contains("explore_name"), "{missing}");
        let unknown = build_call(
            op,
            args(json!({"lookml_model_name": "m", "explore_name": "e", "feilds": "x"})),
        )
        .unwrap_err();
        assert!(
            unknown.to_string().contains("feilds") && unknown.to_string().contains("fields"),
            "{unknown}"
        );
        let body = build_call(
            op,
            args(json!({"lookml_model_name": "m", "explore_name": "e", "body": {}})),
        )
        .unwrap_err();
        assert!(body.to_string().contains("no request body"));
        // `..` as a path value would reach another endpoint (`/users/../roles` is `/roles`).
        let user = operation("user_roles").unwrap();
        for dots in ["..", "%2e%2e", ".", " .. "] {
            let err = build_call(user, args(json!({ "user_id": dots }))).unwrap_err();
            assert!(err.to_string().contains("user_id"), "{dots}: {err}");
        }
    }

    #[test]
    fn bodies_and_session_managed_operations() {
        let create = operation("create_query").unwrap();
        assert!(
            build_call(create, Map::new())
                .unwrap_err()
                .to_string()
                .contains("body")
        );
        build_call(create, args(json!({"body": {"model": "m", "view": "v"}}))).unwrap();
        for id in ["login", "login_user", "logout"] {
            let err = build_call(operation(id).unwrap(), Map::new()).unwrap_err();
            assert!(err.to_string().contains("session itself"), "{err}");
        }
    }
}
