//! The result document itself (`--json`), documented in docs/ci.md and only ever extended.

use serde::Serialize;

use crate::gate::result::{RESULT_FORMAT_VERSION, ValidationResult};

/// The pretty-printed result document.
pub fn render(result: &ValidationResult) -> String {
    to_json(result)
}

/// Several results: `{"format_version": 1, "results": [...]}`.
pub fn render_many(results: &[ValidationResult]) -> String {
    #[derive(Serialize)]
    struct Many<'a> {
        format_version: u32,
        results: &'a [ValidationResult],
    }
    to_json(&Many {
        format_version: RESULT_FORMAT_VERSION,
        results,
    })
}

fn to_json(value: &impl Serialize) -> String {
    // Only strings, numbers and derived structs: serialization cannot fail. A NaN or infinite
    // f64 becomes `null`, which is still a valid document.
    let mut text = serde_json::to_string_pretty(value).expect("a result serializes to JSON");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::report::sample;

    #[test]
    fn the_document_round_trips() {
        let result = sample();
        let text = render(&result);
        let back: ValidationResult = serde_json::from_str(&text).unwrap();
        assert_eq!(back, result);
    }

    #[test]
    fn the_document_uses_the_documented_names() {
        let value: serde_json::Value = serde_json::from_str(&render(&sample())).unwrap();
        assert_eq!(value["format_version"], 1);
        assert_eq!(value["validator"], "sql");
        assert_eq!(value["ref"]["name"], "feature-x");
        assert_eq!(value["findings"][0]["severity"], "error");
        assert_eq!(value["findings"][0]["line"], 42);
        // Fields that do not apply are left out, not null.
        assert!(value["findings"][2].get("sql").is_none());
    }

    #[test]
    fn many_results_are_wrapped_with_the_version() {
        let results = vec![sample(), sample()];
        let value: serde_json::Value = serde_json::from_str(&render_many(&results)).unwrap();
        assert_eq!(value["format_version"], RESULT_FORMAT_VERSION);
        let back: Vec<ValidationResult> = serde_json::from_value(value["results"].clone()).unwrap();
        assert_eq!(back, results);
    }
}
