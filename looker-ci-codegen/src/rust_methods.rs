//! `looker-ci-api/src/methods/`: a typed method per operation, one file and one extension trait
//! per tag of the spec (`LookmlModelApi`, ...), implemented for `LookerClient`. Only users of the
//! typed crate compile them; the bindings go through the core's operation table. Required
//! parameters (and a required body) are the method's arguments; optional ones are setters on an
//! owned request value that is awaited (`IntoFuture`) or sent with `send()`, so every future is
//! `'static`. Replies with a model decode into it; the others (text, images, bare strings, no
//! content) come back as `OperationOutput`.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use crate::model::{Operation, Param, Reply};

/// Operations with no typed method: the session does them itself.
fn typed(op: &Operation) -> bool {
    !op.session_managed
}

fn ident(name: &str) -> String {
    if matches!(
        name,
        "type" | "ref" | "async" | "match" | "move" | "in" | "fn"
    ) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

/// `all_dashboards` -> `AllDashboards`; `LookmlModel` -> `lookml_model`.
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn module_name(tag: &str) -> String {
    let mut out = String::new();
    for (i, c) in tag.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn schema_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// The Rust type of a request body schema.
fn body_type(kind: &str, schema: &Value) -> String {
    if kind != "json" {
        return "String".into();
    }
    if let Some(r) = schema["$ref"].as_str() {
        return format!("models::{}", schema_name(r));
    }
    match schema["type"].as_str() {
        Some("array") => match schema["items"]["$ref"].as_str() {
            Some(r) => format!("Vec<models::{}>", schema_name(r)),
            None => "Vec<String>".into(),
        },
        Some("object") => "HashMap<String, String>".into(),
        Some("string") => "String".into(),
        _ => "serde_json::Value".into(),
    }
}

fn reply_type(op: &Operation) -> String {
    match &op.reply {
        Some(Reply::Model(name)) => format!("models::{name}"),
        Some(Reply::List(name)) => format!("Vec<models::{name}>"),
        None => "OperationOutput".into(),
    }
}

/// The argument's type and the statement that stores it in the call.
fn argument(p: &Param, generic: &str) -> (String, String) {
    let name = &p.name;
    let var = ident(name);
    match p.kind.as_str() {
        "integer" => ("i64".into(), format!("call.set(\"{name}\", {var});")),
        "boolean" => ("bool".into(), format!("call.set(\"{name}\", {var});")),
        "array" => (
            format!("impl IntoIterator<Item = {generic}>"),
            format!("call.set_list(\"{name}\", {var});"),
        ),
        "object" => (
            "serde_json::Value".into(),
            format!("call.set(\"{name}\", {var});"),
        ),
        _ => (
            "impl Into<String>".into(),
            format!("call.set(\"{name}\", {var}.into());"),
        ),
    }
}

fn doc(out: &mut String, op: &Operation) {
    let _ = writeln!(out, "    /// `{} {}` — `{}`.", op.method, op.path, op.id);
    if op.status != "stable" {
        let _ = writeln!(out, "    ///\n    /// Status: {}.", op.status);
    }
    if !op.params.is_empty() {
        let _ = writeln!(out, "    ///\n    /// Parameters:");
        for p in op.ordered_params() {
            let place = if p.in_path { "path" } else { "query" };
            let need = if p.required {
                "argument"
            } else {
                "optional, setter on the request"
            };
            let _ = writeln!(out, "    /// - `{}` ({place}, {}; {need})", p.name, p.kind);
        }
    }
    if let Some(body) = &op.body {
        let need = if body.required {
            "argument"
        } else {
            "optional, `.body(..)`"
        };
        let _ = writeln!(
            out,
            "    ///\n    /// Body: `{}` ({need}).",
            body_type(body.kind, &body.schema)
        );
    }
    let _ = writeln!(out, "    ///\n    /// Reply: `{}`.", reply_type(op));
}

fn method(out: &mut String, op: &Operation) {
    let request = format!("{}Request", pascal(&op.id));
    doc(out, op);
    if op.status == "deprecated" {
        let _ = writeln!(
            out,
            "    #[deprecated(note = \"deprecated in the Looker API 4.0 spec\")]"
        );
    }
    let mut generics = Vec::new();
    let mut args = vec!["&self".to_owned()];
    let mut stores = Vec::new();
    for p in op.ordered_params().into_iter().filter(|p| p.required) {
        let generic = format!("S{}", generics.len());
        let (ty, store) = argument(p, &generic);
        if p.kind == "array" {
            generics.push(format!("{generic}: Into<String>"));
        }
        args.push(format!("{}: {ty}", ident(&p.name)));
        stores.push(store);
    }
    if let Some(body) = op.body.as_ref().filter(|b| b.required) {
        args.push(format!("body: {}", body_type(body.kind, &body.schema)));
        stores.push("call.set(\"body\", body);".into());
    }
    let generics = if generics.is_empty() {
        String::new()
    } else {
        format!("<{}>", generics.join(", "))
    };
    let _ = writeln!(
        out,
        "    fn {}{generics}({}) -> {request} {{",
        op.id,
        args.join(", ")
    );
    let mutable = if stores.is_empty() { "" } else { "mut " };
    let _ = writeln!(
        out,
        "        let {mutable}call = TypedCall::new(self.looker_client(), \"{}\");",
        op.id
    );
    for store in stores {
        let _ = writeln!(out, "        {store}");
    }
    let _ = writeln!(out, "        {request}(call)\n    }}\n");
}

fn request(out: &mut String, op: &Operation, api_trait: &str) {
    let name = format!("{}Request", pascal(&op.id));
    let reply = reply_type(op);
    let _ = writeln!(
        out,
        "/// The request of [`{api_trait}::{}`]: set optional parameters, then `.await` it (or\n\
         /// `send()` it for a `'static` future to spawn).\n\
         #[must_use = \"a request is sent only when awaited\"]\n\
         pub struct {name}(TypedCall);\n",
        op.id
    );
    let _ = writeln!(out, "impl {name} {{");
    for p in op.ordered_params().into_iter().filter(|p| !p.required) {
        let (ty, store) = argument(p, "S");
        let generics = if p.kind == "array" {
            "<S: Into<String>>"
        } else {
            ""
        };
        let store = store.replace("call.", "self.0.");
        let _ = writeln!(
            out,
            "    /// Query parameter `{}`.\n    pub fn {}{generics}(mut self, {}: {ty}) -> Self {{\n        {store}\n        self\n    }}\n",
            p.name,
            ident(&p.name),
            ident(&p.name)
        );
    }
    if let Some(body) = op.body.as_ref().filter(|b| !b.required) {
        let _ = writeln!(
            out,
            "    /// The request body.\n    pub fn body(mut self, body: {}) -> Self {{\n        self.0.set(\"body\", body);\n        self\n    }}\n",
            body_type(body.kind, &body.schema)
        );
    }
    let send = if op.reply.is_some() {
        "send_model"
    } else {
        "send_output"
    };
    let _ = writeln!(
        out,
        "    /// Send the request.\n    pub fn send(self) -> ResponseFuture<{reply}> {{\n        self.0.{send}()\n    }}\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl IntoFuture for {name} {{\n    type Output = Result<{reply}>;\n    type IntoFuture = ResponseFuture<{reply}>;\n\n    fn into_future(self) -> Self::IntoFuture {{\n        self.send()\n    }}\n}}\n"
    );
}

const HEADER: &str = "// Generated by looker-ci-codegen from the Looker API 4.0 spec. Do not edit;\n\
     // run `cargo run -p looker-ci-codegen` instead.\n\n";

/// `LookmlModel` -> `LookmlModelApi`.
fn trait_name(tag: &str) -> String {
    format!("{tag}Api")
}

/// One file of the methods of `tag`: its extension trait and the operations' requests.
fn tag_file(tag: &str, ops: &[&Operation]) -> String {
    let api_trait = trait_name(tag);
    let mut out = String::from(HEADER);
    let _ = writeln!(
        out,
        "//! The `{tag}` operations: [`{api_trait}`] (methods on [`LookerClient`]) and their requests.\n\n\
         #![allow(clippy::too_many_arguments, unused_imports)]\n\n\
         use std::collections::HashMap;\n\
         use std::future::IntoFuture;\n\n\
         use looker_ci_core::{{LookerClient, OperationOutput, Result}};\n\n\
         use crate::AsLookerClient;\n\
         use crate::models;\n\
         use crate::request::{{ResponseFuture, TypedCall}};\n"
    );
    let _ = writeln!(
        out,
        "/// The `{tag}` operations of the Looker API 4.0, as methods on [`LookerClient`] (bring them\n\
         /// into scope with `use looker_ci_api::prelude::*`).\n\
         pub trait {api_trait}: AsLookerClient {{"
    );
    for op in ops {
        method(&mut out, op);
    }
    let _ = writeln!(
        out,
        "}}\n\nimpl<C: AsLookerClient + ?Sized> {api_trait} for C {{}}\n"
    );
    for op in ops {
        request(&mut out, op, &api_trait);
    }
    out
}

/// `(file name, content)` of one file per tag, then of `methods/mod.rs`.
pub fn generate(operations: &[Operation]) -> Vec<(String, String)> {
    let mut by_tag: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in operations.iter().filter(|op| typed(op)) {
        by_tag.entry(op.tag.as_str()).or_default().push(op);
    }
    let mut index = String::from(HEADER);
    index.push_str(
        "//! A typed method for every operation, one module and one extension trait per tag of the\n\
         //! spec. Required parameters are arguments; optional ones are setters on the returned\n\
         //! request, which is awaited (or sent with `send()`). Replies decode into\n\
         //! [`models`](crate::models); replies without a model (text, images, bare strings) come\n\
         //! back as [`OperationOutput`](looker_ci_core::OperationOutput).\n\n",
    );
    let mut files = Vec::new();
    for (tag, ops) in &by_tag {
        let module = module_name(tag);
        let _ = writeln!(index, "pub mod {module};");
        files.push((format!("{module}.rs"), tag_file(tag, ops)));
    }
    index.push_str(
        "\n/// Every extension trait, for `use looker_ci_api::prelude::*`.\npub mod traits {\n",
    );
    for tag in by_tag.keys() {
        let _ = writeln!(
            index,
            "    pub use super::{}::{};",
            module_name(tag),
            trait_name(tag)
        );
    }
    index.push_str("}\n");
    // Last: rustfmt on `mod.rs` reads the modules it declares, so they must exist by then.
    files.push(("mod.rs".to_owned(), index));
    files
}
