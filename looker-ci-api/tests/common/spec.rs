//! The official spec as test data: loading it, values synthesized from its schemas, and the
//! writable projection a round trip through a model must reproduce.

use serde_json::{Map, Value, json};

pub fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/Looker.4.0.oas.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the spec vendored in spec/"))
        .unwrap()
}

pub fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .trim_start_matches("#/")
            .split('/')
            .fold(spec, |node, key| &node[key]),
        None => schema,
    }
}

/// How much of an object schema to fill in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Required properties only (a minimal valid request body).
    Required,
    /// Every property (like Prism's generated replies).
    All,
}

const MAX_DEPTH: usize = 4;

/// A valid value for `schema`: first enum value, one-element arrays, objects filled per `fill`.
/// `None` past the depth limit (recursive schemas), where the property is left out.
pub fn synthesize(spec: &Value, schema: &Value, fill: Fill, depth: usize) -> Option<Value> {
    let schema = resolve(spec, schema);
    // An array wins over an `enum` beside it (a spec defect on a few properties): Looker sends
    // arrays there.
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first())
        && schema["type"] != "array"
    {
        return Some(first.clone());
    }
    Some(match schema["type"].as_str() {
        Some("string") => match schema["format"].as_str() {
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            Some("date") => json!("2026-01-01"),
            Some("uri") | Some("uri-reference") => json!("https://example.com/x"),
            Some("email") => json!("ci@example.com"),
            Some("uuid") => json!("00000000-0000-0000-0000-000000000000"),
            _ => json!("x"),
        },
        Some("integer") => json!(7),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => match synthesize(spec, &schema["items"], fill, depth + 1) {
            Some(item) if depth < MAX_DEPTH => json!([item]),
            _ => json!([]),
        },
        _ if depth >= MAX_DEPTH => return None,
        _ => {
            let mut object = Map::new();
            let properties = schema["properties"].as_object();
            let names: Vec<&str> = match fill {
                Fill::Required => schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect(),
                Fill::All => properties
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k.as_str())
                    .collect(),
            };
            for name in names {
                if let Some(value) = synthesize(spec, &schema["properties"][name], fill, depth + 1)
                {
                    object.insert(name.to_owned(), value);
                }
            }
            if properties.is_none() && fill == Fill::All {
                // A map: one entry of its value type; free-form JSON: one string.
                let entry = match schema.get("additionalProperties") {
                    Some(Value::Object(values)) if !values.is_empty() => {
                        synthesize(spec, &schema["additionalProperties"], fill, depth + 1)
                    }
                    _ => Some(json!("v")),
                };
                if let Some(entry) = entry {
                    object.insert("k".into(), entry);
                }
            }
            Value::Object(object)
        }
    })
}

/// What sending `value` as `schema` must keep: every property the schema lets a client write,
/// recursively; read-only properties, `null`s and properties the schema does not name dropped.
pub fn writable(spec: &Value, schema: &Value, value: &Value) -> Option<Value> {
    if value.is_null() {
        return None;
    }
    let schema = resolve(spec, schema);
    match value {
        // The models read a bare value where the spec says array as a one-element list.
        _ if schema["type"] == "array" && !value.is_array() => {
            writable(spec, schema, &Value::Array(vec![value.clone()]))
        }
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .map(|item| writable(spec, &schema["items"], item).unwrap_or(Value::Null))
                .collect(),
        )),
        Value::Object(fields) => {
            if let Some(properties) = schema["properties"].as_object() {
                let mut out = Map::new();
                for (name, field) in fields {
                    let Some(property) = properties.get(name) else {
                        continue;
                    };
                    if property["readOnly"].as_bool().unwrap_or(false) {
                        continue;
                    }
                    if let Some(kept) = writable(spec, property, field) {
                        out.insert(name.clone(), kept);
                    }
                }
                Some(Value::Object(out))
            } else if let Some(values) = schema["additionalProperties"]
                .as_object()
                .filter(|v| !v.is_empty())
            {
                let values = Value::Object(values.clone());
                Some(Value::Object(
                    fields
                        .iter()
                        .map(|(k, v)| {
                            (k.clone(), writable(spec, &values, v).unwrap_or(Value::Null))
                        })
                        .collect(),
                ))
            } else {
                Some(value.clone())
            }
        }
        _ => Some(value.clone()),
    }
}

/// JSON equality with numbers compared by value (`1` and `1.0` are the same number).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

/// The first place where `got` and `want` differ, as a JSON pointer (for failure messages).
pub fn first_difference(got: &Value, want: &Value, at: &str) -> String {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for key in g.keys().chain(w.keys()) {
                match (g.get(key), w.get(key)) {
                    (Some(a), Some(b)) if !same(a, b) => {
                        return first_difference(a, b, &format!("{at}/{key}"));
                    }
                    (Some(_), None) => return format!("{at}/{key}: not expected"),
                    (None, Some(_)) => return format!("{at}/{key}: lost"),
                    _ => {}
                }
            }
            format!("{at}: equal")
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .find(|(_, (a, b))| !same(a, b))
            .map(|(i, (a, b))| first_difference(a, b, &format!("{at}/{i}")))
            .unwrap_or_else(|| format!("{at}: equal")),
        _ => format!("{at}: got {got}, want {want}"),
    }
}
