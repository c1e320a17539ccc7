//! The parts of the spec the generators need, read once into plain structs.

use serde_json::Value;

pub struct Param {
    pub name: String,
    pub in_path: bool,
    /// `string`, `integer`, `boolean`, `array`, `object`.
    pub kind: String,
    pub required: bool,
}

pub struct Body {
    /// `json`, `text` or `form`.
    pub kind: &'static str,
    pub required: bool,
    /// The JSON schema of the chosen content type (a `$ref`, an array, a map or a string).
    pub schema: Value,
}

pub struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    pub tag: String,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    /// `stable`, `beta`, `alpha` or `deprecated`.
    pub status: String,
    pub session_managed: bool,
    /// The model of the JSON reply, when the spec gives one.
    pub reply: Option<Reply>,
}

/// A reply model: one schema, or a list of one.
pub enum Reply {
    Model(String),
    List(String),
}

impl Operation {
    /// Required parameters first (path order), then optional ones, each group in spec order.
    pub fn ordered_params(&self) -> Vec<&Param> {
        let mut params: Vec<&Param> = self.params.iter().filter(|p| p.required).collect();
        params.extend(self.params.iter().filter(|p| !p.required));
        params
    }

    pub fn summary(&self) -> String {
        let status = if self.status == "stable" {
            String::new()
        } else {
            format!(" [{}]", self.status)
        };
        format!(
            "{} {} — `{}` ({}){status}",
            self.method, self.path, self.id, self.tag
        )
    }
}

const SESSION_MANAGED: [&str; 3] = ["login", "login_user", "logout"];

fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .trim_start_matches("#/")
            .split('/')
            .fold(spec, |node, key| &node[key]),
        None => value,
    }
}

pub fn operations(text: &str) -> Result<Vec<Operation>, String> {
    let spec: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let paths = spec["paths"].as_object().ok_or("no `paths`")?;
    let mut operations = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().ok_or("a path item is not an object")?;
        for (method, op) in item {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            let id = op["operationId"]
                .as_str()
                .ok_or(format!("{method} {path} has no operationId"))?;
            let mut params = Vec::new();
            for param in op["parameters"].as_array().into_iter().flatten() {
                let param = resolve(&spec, param);
                let location = param["in"].as_str().unwrap_or_default();
                if location != "path" && location != "query" {
                    return Err(format!("{id}: parameter in {location} is not supported"));
                }
                params.push(Param {
                    name: param["name"]
                        .as_str()
                        .ok_or(format!("{id}: unnamed parameter"))?
                        .to_owned(),
                    in_path: location == "path",
                    kind: param["schema"]["type"]
                        .as_str()
                        .unwrap_or("string")
                        .to_owned(),
                    required: param["required"].as_bool().unwrap_or(false) || location == "path",
                });
            }
            let body = match op.get("requestBody") {
                None => None,
                Some(body) => {
                    let body = resolve(&spec, body);
                    let content = body["content"]
                        .as_object()
                        .ok_or(format!("{id}: body without content"))?;
                    let (kind, media) = if content.contains_key("application/json") {
                        ("json", "application/json")
                    } else if content.contains_key("application/x-www-form-urlencoded") {
                        ("form", "application/x-www-form-urlencoded")
                    } else {
                        ("text", "text/plain")
                    };
                    Some(Body {
                        kind,
                        required: body["required"].as_bool().unwrap_or(false),
                        schema: content
                            .get(media)
                            .map(|c| c["schema"].clone())
                            .unwrap_or(Value::Null),
                    })
                }
            };
            let deprecated = op["deprecated"].as_bool().unwrap_or(false);
            let status = match op["x-looker-status"].as_str() {
                _ if deprecated => "deprecated",
                Some(s @ ("stable" | "beta" | "alpha" | "deprecated")) => s,
                _ => "stable",
            };
            operations.push(Operation {
                id: id.to_owned(),
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                tag: op["tags"][0].as_str().unwrap_or("Other").to_owned(),
                params,
                body,
                status: status.to_owned(),
                session_managed: SESSION_MANAGED.contains(&id),
                reply: reply(op),
            });
        }
    }
    operations.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(w) = operations.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(format!("operationId {} appears twice", w[0].id));
    }
    Ok(operations)
}

fn reply(op: &Value) -> Option<Reply> {
    let responses = op["responses"].as_object()?;
    let ok = ["200", "201", "204"]
        .iter()
        .find_map(|c| responses.get(*c))?;
    let schema = &ok["content"]["application/json"]["schema"];
    let name = |r: &str| r.rsplit('/').next().unwrap_or(r).to_owned();
    if let Some(reference) = schema["$ref"].as_str() {
        return Some(Reply::Model(name(reference)));
    }
    match (schema["type"].as_str(), schema["items"]["$ref"].as_str()) {
        (Some("array"), Some(reference)) => Some(Reply::List(name(reference))),
        _ => None,
    }
}

/// `lookml_model_explore` -> `lookmlModelExplore`.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
