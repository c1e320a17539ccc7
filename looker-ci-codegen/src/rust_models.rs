//! `looker-ci-api/src/models.rs`: a serde model per schema of the spec. Every field is an
//! `Option` (Looker omits fields freely, and nullable ones may be `null`); read-only fields are
//! never serialized; unknown fields are ignored; string enums keep values they do not know in an
//! `Unknown(String)` variant. Plus `normalize` (by schema name) and `normalize_reply` (by
//! operation): decode JSON into the model and encode it again, which checks a payload against the
//! spec and is what the round-trip and conformance tests run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::Value;

const RUST_KEYWORDS: [&str; 2] = ["type", "ref"];

fn ref_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// `executionError` -> `execution_error`; snake_case names pass through.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn pascal(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// An enum variant for a wire value: `EQUAL_TO` -> `EqualTo`, `dimension` -> `Dimension`,
/// `lookmlModel` -> `LookmlModel` (an all-capitals word keeps its boundaries, not its case).
fn variant_name(value: &str) -> String {
    let words: Vec<String> = value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.chars().any(|c| c.is_ascii_lowercase()) {
                w.to_owned()
            } else {
                w.to_ascii_lowercase()
            }
        })
        .collect();
    pascal(&words.join("_"))
}

struct Enum {
    name: String,
    values: Vec<String>,
}

struct Generator<'a> {
    schemas: &'a serde_json::Map<String, Value>,
    enums: Vec<Enum>,
    /// Fields whose type must be boxed: direct references that lead back to their own schema.
    boxed: BTreeSet<(String, String)>,
}

impl Generator<'_> {
    /// Schemas reachable from `name` through direct (non-collection) references.
    fn direct_refs(&self, name: &str) -> Vec<String> {
        self.schemas[name]["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, p)| p["$ref"].as_str().map(|r| ref_name(r).to_owned()))
            .collect()
    }

    fn reaches(&self, from: &str, target: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(next) = stack.pop() {
            if next == target {
                return true;
            }
            if seen.insert(next.clone()) && self.schemas.contains_key(&next) {
                stack.extend(self.direct_refs(&next));
            }
        }
        false
    }

    fn find_boxed(&mut self) {
        let names: Vec<String> = self.schemas.keys().cloned().collect();
        for owner in &names {
            for (field, prop) in self.schemas[owner]["properties"]
                .as_object()
                .into_iter()
                .flatten()
            {
                if let Some(target) = prop["$ref"].as_str().map(ref_name)
                    && self.reaches(target, owner)
                {
                    self.boxed.insert((owner.clone(), field.clone()));
                }
            }
        }
    }

    fn field_type(&mut self, owner: &str, field: &str, prop: &Value) -> String {
        if let Some(reference) = prop["$ref"].as_str() {
            let name = ref_name(reference).to_owned();
            return if self.boxed.contains(&(owner.to_owned(), field.to_owned())) {
                format!("Box<{name}>")
            } else {
                name
            };
        }
        match prop["type"].as_str() {
            Some("string") => match prop["enum"].as_array() {
                Some(values) => {
                    let name = format!("{owner}{}", pascal(field));
                    self.enums.push(Enum {
                        name: name.clone(),
                        values: values
                            .iter()
                            .map(|v| {
                                v.as_str()
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .collect(),
                    });
                    name
                }
                None => "String".into(),
            },
            Some("integer") => "i64".into(),
            Some("number") => "f64".into(),
            Some("boolean") => "bool".into(),
            Some("array") => {
                let item = prop["items"].clone();
                format!("Vec<{}>", self.item_type(&item))
            }
            Some("object") => match &prop["additionalProperties"] {
                Value::Object(inner)
                    if inner.contains_key("type") || inner.contains_key("$ref") =>
                {
                    format!(
                        "HashMap<String, {}>",
                        self.item_type(&Value::Object(inner.clone()))
                    )
                }
                _ => "serde_json::Value".into(),
            },
            _ => "serde_json::Value".into(),
        }
    }

    /// The type of an array item or map value (never boxed: collections already indirect).
    fn item_type(&mut self, item: &Value) -> String {
        if let Some(reference) = item["$ref"].as_str() {
            return ref_name(reference).to_owned();
        }
        match item["type"].as_str() {
            Some("string") => "String".into(),
            Some("integer") => "i64".into(),
            Some("number") => "f64".into(),
            Some("boolean") => "bool".into(),
            Some("array") => format!("Vec<{}>", self.item_type(&item["items"].clone())),
            // `any`, nullable values and free-form objects stay JSON.
            _ => "serde_json::Value".into(),
        }
    }
}

fn write_enum(out: &mut String, e: &Enum) {
    let mut variants: Vec<(String, &str)> = Vec::new();
    let mut used = BTreeSet::new();
    for value in &e.values {
        let mut variant = variant_name(value);
        while !used.insert(variant.clone()) || variant == "Unknown" {
            variant.push('_');
        }
        variants.push((variant, value));
    }
    let _ = writeln!(
        out,
        "/// String enum; values this version does not know are kept in `Unknown`."
    );
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]"
    );
    let _ = writeln!(out, "#[serde(from = \"String\", into = \"String\")]");
    let _ = writeln!(out, "pub enum {} {{", e.name);
    for (variant, value) in &variants {
        let _ = writeln!(out, "    /// `{value}`");
        let _ = writeln!(out, "    {variant},");
    }
    let _ = writeln!(out, "    Unknown(String),");
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "impl From<String> for {} {{", e.name);
    let _ = writeln!(out, "    fn from(value: String) -> Self {{");
    let _ = writeln!(out, "        match value.as_str() {{");
    for (variant, value) in &variants {
        let _ = writeln!(out, "            {value:?} => Self::{variant},");
    }
    let _ = writeln!(out, "            _ => Self::Unknown(value),");
    let _ = writeln!(out, "        }}\n    }}\n}}\n");
    let _ = writeln!(out, "impl From<{}> for String {{", e.name);
    let _ = writeln!(out, "    fn from(value: {}) -> Self {{", e.name);
    let _ = writeln!(out, "        match value {{");
    for (variant, value) in &variants {
        let _ = writeln!(
            out,
            "            {}::{variant} => {value:?}.to_owned(),",
            e.name
        );
    }
    let _ = writeln!(out, "            {}::Unknown(other) => other,", e.name);
    let _ = writeln!(out, "        }}\n    }}\n}}\n");
}

/// The model an operation's JSON reply decodes into: a schema, or a list of one.
fn reply_type(op: &Value) -> Option<String> {
    let responses = op["responses"].as_object()?;
    let ok = ["200", "201", "204"]
        .iter()
        .find_map(|c| responses.get(*c))?;
    let schema = &ok["content"]["application/json"]["schema"];
    if let Some(reference) = schema["$ref"].as_str() {
        return Some(ref_name(reference).to_owned());
    }
    match (schema["type"].as_str(), schema["items"]["$ref"].as_str()) {
        (Some("array"), Some(reference)) => Some(format!("Vec<{}>", ref_name(reference))),
        _ => None,
    }
}

pub fn generate(spec: &Value) -> String {
    let schemas = spec["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut generator = Generator {
        schemas: &schemas,
        enums: Vec::new(),
        boxed: BTreeSet::new(),
    };
    generator.find_boxed();
    let mut structs = String::new();
    for (name, schema) in &schemas {
        let _ = writeln!(structs, "/// Schema `{name}`.");
        let _ = writeln!(
            structs,
            "#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]"
        );
        let _ = writeln!(structs, "pub struct {name} {{");
        let props: BTreeMap<String, Value> = schema["properties"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        for (field, prop) in &props {
            let ty = generator.field_type(name, field, prop);
            let read_only = prop["readOnly"].as_bool().unwrap_or(false);
            // Spec defect: a string `enum` on an array property; accept the bare string too.
            let tolerant = prop["type"] == "array" && prop.get("enum").is_some();
            let attrs = match (read_only, tolerant) {
                (true, false) => "#[serde(default, skip_serializing)]",
                (true, true) => {
                    "#[serde(default, skip_serializing, deserialize_with = \"one_or_many\")]"
                }
                (false, false) => "#[serde(default, skip_serializing_if = \"Option::is_none\")]",
                (false, true) => {
                    "#[serde(default, skip_serializing_if = \"Option::is_none\", deserialize_with = \"one_or_many\")]"
                }
            };
            if read_only {
                let _ = writeln!(
                    structs,
                    "    /// Read-only: sent by Looker, never sent back."
                );
            }
            let _ = writeln!(structs, "    {attrs}");
            let snake = snake_case(field);
            if snake != *field {
                let _ = writeln!(structs, "    #[serde(rename = {field:?})]");
            }
            let ident = if RUST_KEYWORDS.contains(&snake.as_str()) {
                format!("r#{snake}")
            } else {
                snake
            };
            let _ = writeln!(structs, "    pub {ident}: Option<{ty}>,");
        }
        let _ = writeln!(structs, "}}\n");
    }
    let mut out = String::from(
        "// Generated by looker-ci-codegen from the Looker API 4.0 spec. Do not edit;\n\
         // run `cargo run -p looker-ci-codegen` instead.\n\n\
         //! A model per schema of the Looker API 4.0.\n\n\
         #![allow(clippy::derive_partial_eq_without_eq)]\n\n\
         use std::collections::HashMap;\n\n\
         use serde::{Deserialize, Deserializer, Serialize};\n\n\
         /// A list, or one bare value read as a one-element list. The spec puts a string `enum` on\n\
         /// a few array properties (Looker sends arrays; mock servers derive a bare string).\n\
         fn one_or_many<'de, D: Deserializer<'de>, T: Deserialize<'de>>(\n\
         \x20   deserializer: D,\n\
         ) -> Result<Option<Vec<T>>, D::Error> {\n\
         \x20   #[derive(Deserialize)]\n\
         \x20   #[serde(untagged)]\n\
         \x20   enum OneOrMany<T> {\n\
         \x20       Many(Vec<T>),\n\
         \x20       One(T),\n\
         \x20   }\n\
         \x20   Ok(\n\
         \x20       Option::<OneOrMany<T>>::deserialize(deserializer)?.map(|value| match value {\n\
         \x20           OneOrMany::Many(many) => many,\n\
         \x20           OneOrMany::One(one) => vec![one],\n\
         \x20       }),\n\
         \x20   )\n\
         }\n\n",
    );
    out.push_str(&structs);
    let mut seen = BTreeSet::new();
    for e in &generator.enums {
        if seen.insert(e.name.clone()) {
            write_enum(&mut out, e);
        }
    }
    // decode_reply: operation id -> model of its JSON reply.
    let mut arms: BTreeMap<String, String> = BTreeMap::new();
    for item in spec["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, v)| v)
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            if let (Some(id), Some(ty)) = (op["operationId"].as_str(), reply_type(op)) {
                arms.insert(id.to_owned(), ty);
            }
        }
    }
    out.push_str(
        "fn reencode<T: serde::de::DeserializeOwned + Serialize>(\n    value: serde_json::Value,\n\
         ) -> Result<serde_json::Value, serde_json::Error> {\n\
         \x20   serde_json::to_value(serde_json::from_value::<T>(value)?)\n}\n\n\
         /// Decode `value` as the model named `schema` and encode it again: the JSON this crate sends\n\
         /// for it (read-only fields, nulls and unknown fields dropped). An `Err` says the value does\n\
         /// not fit the model; `None` means no schema has that name.\n\
         pub fn normalize(\n    schema: &str,\n    value: serde_json::Value,\n\
         ) -> Option<Result<serde_json::Value, serde_json::Error>> {\n    Some(match schema {\n",
    );
    for name in schemas.keys() {
        let _ = writeln!(out, "        {name:?} => reencode::<{name}>(value),");
    }
    out.push_str("        _ => return None,\n    })\n}\n\n");
    out.push_str(
        "/// [`normalize`] for the JSON reply of `operation_id` (decoded into its model, or a list of\n\
         /// them); `None` when the spec gives the reply no model (plain JSON, text or binary).\n\
         pub fn normalize_reply(\n    operation_id: &str,\n    reply: serde_json::Value,\n\
         ) -> Option<Result<serde_json::Value, serde_json::Error>> {\n    Some(match operation_id {\n",
    );
    for (id, ty) in &arms {
        let _ = writeln!(out, "        {id:?} => reencode::<{ty}>(reply),");
    }
    out.push_str("        _ => return None,\n    })\n}\n");
    out
}
