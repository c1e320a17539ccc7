//! The whole Looker API 4.0 as data: one entry per operation of the official spec (generated into
//! `operations.rs` by `looker-ci-codegen`) and one generic call path,
//! [`crate::LookerClient::call_operation`], that the Python and Node bindings use for every
//! operation. The typed method per operation and the models live in the `looker-ci-api` crate on
//! top of this one (`client.lookml_model_explore("thelook", "orders").await?`), so that only its
//! users compile them.

mod call;
mod operations;

pub use call::{EMPTY_BODY_JSON, OperationOutput, RawReply, json_body};
pub use operations::OPERATIONS;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Filled into the path template (`{name}`), percent-encoded.
    Path,
    /// Sent in the query string.
    Query,
}

/// The JSON type the spec gives a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamKind {
    /// `string`, and any type the spec leaves out or this table does not know.
    String,
    /// `integer`.
    Integer,
    /// `boolean`.
    Boolean,
    /// `array`: sent in the query as comma-separated values.
    Array,
    /// `object`: sent in the query as its JSON text.
    Object,
}

/// One path or query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Param {
    /// The spec's parameter name, which is also the argument name of the generic call path.
    pub name: &'static str,
    /// Whether it goes into the path or the query string.
    pub location: Location,
    /// Its JSON type in the spec.
    pub kind: ParamKind,
    /// Whether a call without it is refused (always `true` for a path parameter).
    pub required: bool,
}

/// How the request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyKind {
    /// `application/json`: any JSON value.
    Json,
    /// `text/plain`: a string sent as is.
    Text,
    /// `application/x-www-form-urlencoded`: a string, already encoded, sent as is.
    Form,
}

/// One request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Body {
    /// The encoding the spec gives the body.
    pub kind: BodyKind,
    /// Whether a call without a body is refused.
    pub required: bool,
}

/// The spec's `x-looker-status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stability {
    /// `stable`, and an operation with no (or an unknown) status.
    Stable,
    /// `beta`: may still change between Looker releases.
    Beta,
    /// `alpha`: may change or go away between Looker releases.
    Alpha,
    /// `deprecated` (also set when the spec marks the operation `deprecated: true`).
    Deprecated,
}

/// One operation of the Looker API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The spec's `operationId`, e.g. `lookml_model_explore`.
    pub id: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template under `/api/4.0`, e.g. `/lookml_models/{lookml_model_name}`.
    pub path: &'static str,
    /// The spec's first tag (the API area).
    pub tag: &'static str,
    /// Path and query parameters, in the spec's order.
    pub params: &'static [Param],
    /// The request body; `None` when the operation takes none (a body is then refused).
    pub body: Option<Body>,
    /// The spec's status of the operation.
    pub stability: Stability,
    /// Login, sudo login and logout: the session does these itself, so the generic call path
    /// refuses them (calling them by hand would leak a token or end the session).
    pub session_managed: bool,
}

/// The operation with this `operationId`.
pub fn operation(id: &str) -> Option<&'static Operation> {
    OPERATIONS
        .binary_search_by(|op| op.id.cmp(id))
        .ok()
        .map(|i| &OPERATIONS[i])
}

/// The operation a request is for, found from its method and its filled-in path (without
/// `/api/4.0`), with each path parameter's value as sent. A literal segment beats a parameter
/// (`/users/me` is not `/users/{user_id}`); `None` for a path of no operation.
pub fn match_request(
    method: &str,
    path: &str,
) -> Option<(&'static Operation, Vec<(&'static str, String)>)> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut best: Option<(&'static Operation, usize)> = None;
    for op in OPERATIONS.iter().filter(|op| op.method == method) {
        let template: Vec<&str> = op.path.split('/').collect();
        if template.len() != segments.len() {
            continue;
        }
        let mut parameters = 0;
        let fits = template.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') {
                parameters += 1;
                !s.is_empty()
            } else {
                t == s
            }
        });
        if fits && best.is_none_or(|(_, fewest)| parameters < fewest) {
            best = Some((op, parameters));
        }
    }
    let (op, _) = best?;
    let values = op
        .path
        .split('/')
        .zip(&segments)
        .filter_map(|(t, s)| {
            t.strip_prefix('{')
                .and_then(|t| t.strip_suffix('}'))
                .map(|name| (name, (*s).to_owned()))
        })
        .collect();
    Some((op, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_matched_to_its_operation_and_parameters() {
        let (op, values) = match_request("GET", "/queries/42/run/json").unwrap();
        assert_eq!(op.id, "run_query");
        assert_eq!(
            values,
            [
                ("query_id", "42".to_owned()),
                ("result_format", "json".to_owned())
            ]
        );
        let (op, values) = match_request("POST", "/login").unwrap();
        assert_eq!((op.id, values.len()), ("login", 0));
        let (op, _) = match_request("PATCH", "/session").unwrap();
        assert_eq!(op.id, "update_session");
        // A literal segment wins over a parameter.
        let (op, _) = match_request("GET", "/users/search").unwrap();
        assert_eq!(op.id, "search_users");
        assert!(match_request("GET", "/no/such/thing").is_none());
        assert!(match_request("TRACE", "/user").is_none());
    }

    #[test]
    fn the_table_holds_every_operation_of_the_spec_sorted_and_unique() {
        assert_eq!(OPERATIONS.len(), 483);
        assert!(OPERATIONS.windows(2).all(|w| w[0].id < w[1].id));
        let explore = operation("lookml_model_explore").unwrap();
        assert_eq!((explore.method, explore.tag), ("GET", "LookmlModel"));
        assert_eq!(
            explore.path,
            "/lookml_models/{lookml_model_name}/explores/{explore_name}"
        );
        assert!(operation("no_such_operation").is_none());
        for op in OPERATIONS {
            for p in op.params.iter().filter(|p| p.location == Location::Path) {
                assert!(
                    p.required,
                    "{}: path parameter {} is optional",
                    op.id, p.name
                );
                assert!(
                    op.path.contains(&format!("{{{}}}", p.name)),
                    "{}: {}",
                    op.id,
                    p.name
                );
            }
        }
        let managed: Vec<&str> = OPERATIONS
            .iter()
            .filter(|o| o.session_managed)
            .map(|o| o.id)
            .collect();
        assert_eq!(managed, ["login", "login_user", "logout"]);
    }
}
