//! The whole Looker API 4.0 as data: one entry per operation of the official spec (generated into
//! `operations.rs` by `looker-ci-codegen`), one generic call path,
//! [`crate::LookerClient::call_operation`], that the Python and Node bindings use for every operation,
//! and a typed method per operation on top of it (generated into `methods.rs`, one module per tag:
//! `client.lookml_model_explore("thelook", "orders").fields(["id"]).await?`).

mod call;
mod methods;
pub mod models;
mod operations;
mod typed;

pub use call::{OperationOutput, RawReply};
pub use methods::*;
pub use operations::OPERATIONS;
pub use typed::ResponseFuture;

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
    fn models_keep_unknown_enum_values_and_do_not_write_read_only_fields() {
        use models::{LookmlModelExploreField, LookmlModelExploreFieldCategory};
        let field: LookmlModelExploreField = serde_json::from_value(serde_json::json!({
            "category": "dimension", "name": "users.id", "a_field_from_the_future": 1
        }))
        .unwrap();
        assert_eq!(
            field.category,
            Some(LookmlModelExploreFieldCategory::Dimension)
        );
        let future: LookmlModelExploreField =
            serde_json::from_value(serde_json::json!({"category": "hologram"})).unwrap();
        assert_eq!(
            future.category,
            Some(LookmlModelExploreFieldCategory::Unknown("hologram".into()))
        );
        // `category` is read-only; a writable enum keeps an unknown value on the way out too.
        let alert: models::Alert =
            serde_json::from_value(serde_json::json!({"comparison_type": "ABOUT_EQUAL"})).unwrap();
        assert_eq!(
            alert.comparison_type,
            Some(models::AlertComparisonType::Unknown("ABOUT_EQUAL".into()))
        );
        assert_eq!(
            serde_json::to_value(&alert).unwrap()["comparison_type"],
            "ABOUT_EQUAL"
        );
        // `can` and `id` are read-only on Query: decoded, never sent back.
        let query: models::Query = serde_json::from_value(serde_json::json!({
            "id": "42", "model": "m", "view": "v", "can": {"run": true}
        }))
        .unwrap();
        assert_eq!(query.id.as_deref(), Some("42"));
        let sent = serde_json::to_value(&query).unwrap();
        assert_eq!(sent, serde_json::json!({"model": "m", "view": "v"}));
    }

    #[test]
    fn arrays_the_spec_gives_an_enum_also_accept_a_bare_value() {
        // Spec defect: `enum` on the array instead of its items; a mock derives a bare string.
        use models::LookmlModelExploreField;
        let bare: LookmlModelExploreField = serde_json::from_value(serde_json::json!({
            "user_attribute_filter_types": "advanced_filter_string"
        }))
        .unwrap();
        let list: LookmlModelExploreField = serde_json::from_value(serde_json::json!({
            "user_attribute_filter_types": ["advanced_filter_string", "number"]
        }))
        .unwrap();
        assert_eq!(
            bare.user_attribute_filter_types,
            Some(vec!["advanced_filter_string".to_owned()])
        );
        assert_eq!(list.user_attribute_filter_types.map(|l| l.len()), Some(2));
        let missing: LookmlModelExploreField =
            serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(missing.user_attribute_filter_types, None);
        let integration: models::Integration =
            serde_json::from_value(serde_json::json!({"supported_formats": "csv"})).unwrap();
        assert_eq!(integration.supported_formats, Some(vec!["csv".to_owned()]));
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
