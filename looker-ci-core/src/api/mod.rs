//! The whole Looker API 4.0 as data: one entry per operation of the official spec (generated into
//! `operations.rs` by `looker-ci-codegen`) and one generic call path,
//! [`crate::LookerClient::call_operation`], that the Python and Node bindings use for every
//! operation. The typed method per operation and the models live in the `looker-ci-api` crate on
//! top of this one (`client.lookml_model_explore("thelook", "orders").await?`), so that only its
//! users compile them.

mod call;
mod operations;

pub use call::{OperationOutput, RawReply};
pub use operations::OPERATIONS;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
}

/// The JSON type the spec gives a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    String,
    Integer,
    Boolean,
    Array,
    Object,
}

/// One path or query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub location: Location,
    pub kind: ParamKind,
    pub required: bool,
}

/// How the request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Text,
    Form,
}

/// One request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Body {
    pub kind: BodyKind,
    pub required: bool,
}

/// The spec's `x-looker-status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stability {
    Stable,
    Beta,
    Alpha,
    Deprecated,
}

/// One operation of the Looker API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The spec's `operationId`, e.g. `lookml_model_explore`.
    pub id: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template under `/api/4.0`, e.g. `/lookml_models/{lookml_model_name}`.
    pub path: &'static str,
    /// The spec's first tag (the API area).
    pub tag: &'static str,
    pub params: &'static [Param],
    pub body: Option<Body>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
