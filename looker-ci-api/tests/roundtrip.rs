//! Round trips: for every schema of the spec, a value with every property filled in (the shape
//! of Prism's generated replies) decodes into its model and encodes back to exactly its writable
//! part. Prism's own replies go through the same check in the conformance test. The spec carries
//! no `example` values to use besides these.

mod common;

use common::spec::{Fill, first_difference, same, spec, synthesize, writable};
use looker_ci_api::models;
use serde_json::{Value, json};

#[test]
fn every_model_round_trips_a_full_value() {
    let spec = spec();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    assert_eq!(schemas.len(), 364);
    let mut failures = Vec::new();
    for name in schemas.keys() {
        let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
        let value = synthesize(&spec, &reference, Fill::All, 0).unwrap();
        let want = writable(&spec, &reference, &value).unwrap();
        match models::normalize(name, value) {
            None => failures.push(format!("{name}: no model")),
            Some(Err(e)) => failures.push(format!("{name}: does not decode: {e}")),
            Some(Ok(got)) if !same(&got, &want) => {
                failures.push(format!("{name}: {}", first_difference(&got, &want, "")))
            }
            Some(Ok(_)) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} models lose data: {failures:#?}",
        failures.len()
    );
}

#[test]
fn nulls_unknown_fields_and_read_only_fields_are_not_sent() {
    let sent = models::normalize(
        "Query",
        json!({"model": "thelook", "view": "orders", "fields": ["orders.id"], "limit": null,
               "id": "42", "can": {"run": true}, "a_field_from_the_future": 1}),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        sent,
        json!({"model": "thelook", "view": "orders", "fields": ["orders.id"]})
    );
    let wrong_type = models::normalize("Query", json!({"fields": "orders.id"})).unwrap();
    assert!(wrong_type.is_err(), "a string is not a list of fields");
    assert!(models::normalize("NoSuchSchema", Value::Null).is_none());
}
