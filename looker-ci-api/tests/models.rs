//! The generated models' serde behaviour: unknown fields and enum values are kept or ignored,
//! read-only fields are never sent, and the spec's array-enum defect is tolerated.

use looker_ci_api::models;

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
    let missing: LookmlModelExploreField = serde_json::from_value(serde_json::json!({})).unwrap();
    assert_eq!(missing.user_attribute_filter_types, None);
    let integration: models::Integration =
        serde_json::from_value(serde_json::json!({"supported_formats": "csv"})).unwrap();
    assert_eq!(integration.supported_formats, Some(vec!["csv".to_owned()]));
}

#[test]
fn enum_variants_keep_the_word_boundaries_of_their_wire_values() {
    let alert: models::Alert =
        serde_json::from_value(serde_json::json!({"comparison_type": "GREATER_THAN_OR_EQUAL_TO"}))
            .unwrap();
    assert_eq!(
        alert.comparison_type,
        Some(models::AlertComparisonType::GreaterThanOrEqualTo)
    );
    assert_eq!(
        serde_json::to_value(models::AlertComparisonType::EqualTo).unwrap(),
        "EQUAL_TO"
    );
}
