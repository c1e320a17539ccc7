//! Turns the Rust snippets of README.md and docs/getting-started-*.md into the `guide_snippets`
//! binary (see guide_snippets.rs), so that scripts/check_snippets.py can run each against a
//! FakeLooker: a snippet with its own `fn main` runs it; one that defines `async fn f()` or
//! `async fn f(client: &LookerClient)` is called with a client from `LookerClient::from_env()`.
//! rustdoc compiles the same snippets as doctests of looker-ci-api; this makes them run.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest
        .parent()
        .expect("examples/ is in the repository")
        .to_owned();
    let mut docs = vec![root.join("README.md")];
    let mut guides: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("getting-started-") && n.ends_with(".md"))
        })
        .collect();
    guides.sort();
    docs.extend(guides);
    println!("cargo:rerun-if-changed={}", root.join("docs").display());

    let mut modules = String::new();
    let mut table = String::from(
        "/// A snippet's place in the docs and its runner.\n\
         pub type Snippet = (&'static str, fn() -> Result<(), String>);\n\
         pub const SNIPPETS: &[Snippet] = &[\n",
    );
    let mut index = 0;
    for doc in &docs {
        println!("cargo:rerun-if-changed={}", doc.display());
        let text = std::fs::read_to_string(doc).expect("the guide is readable");
        let name = doc.strip_prefix(&root).unwrap_or(doc).display().to_string();
        for (line, code) in rust_snippets(&text) {
            let run = runner(&code).unwrap_or_else(|| {
                panic!(
                    "{name}:{line}: a Rust snippet needs `fn main`, `async fn f()` or \
                     `async fn f(client: &LookerClient)` to be run"
                )
            });
            writeln!(
                modules,
                "#[allow(dead_code, unused_imports, clippy::all)]\nmod snippet_{index} {{\n\
                 // {name}:{line}\n{code}\n{run}\n}}\n"
            )
            .expect("writing to a String");
            writeln!(
                table,
                "    ({:?}, snippet_{index}::run),",
                format!("{name}:{line}")
            )
            .expect("writing to a String");
            index += 1;
        }
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("snippets.rs"), modules + &table).expect("OUT_DIR is writable");
}

/// `(line of the fence, code)` of each ```rust fence that is meant to compile.
fn rust_snippets(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut words = info.split([' ', ',']).filter(|w| !w.is_empty());
        let rust = words.next() == Some("rust");
        let compiled = !info.contains("ignore") && !info.contains("compile_fail");
        let mut code = String::new();
        for (_, body) in lines.by_ref() {
            if body.starts_with("```") {
                break;
            }
            // rustdoc's hidden lines (`# ...`) are part of the snippet.
            let body = body.strip_prefix("# ").unwrap_or(body);
            code.push_str(body);
            code.push('\n');
        }
        if rust && compiled {
            found.push((number + 1, code));
        }
    }
    found
}

/// The `run` function of a snippet's module, or None when the snippet has nothing to call.
fn runner(code: &str) -> Option<String> {
    let finish = "result.map_err(|e| e.to_string())";
    if code.contains("fn main()") {
        return Some(format!(
            "pub fn run() -> Result<(), String> {{ let result = main(); {finish} }}"
        ));
    }
    let start = code.find("async fn ")? + "async fn ".len();
    let rest = &code[start..];
    let name = &rest[..rest.find('(')?];
    let params = &rest[rest.find('(')? + 1..rest.find(')')?];
    let call = match params.trim() {
        "" => format!("{name}().await"),
        p if p.ends_with("&LookerClient") => format!(
            "{{ let client = looker_ci_api::LookerClient::from_env()?; \
               {name}(&client).await?; client.close().await }}"
        ),
        _ => return None,
    };
    Some(format!(
        "pub fn run() -> Result<(), String> {{\n\
             let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;\n\
             let result: looker_ci_api::Result<()> = runtime.block_on(async {{ {call} }});\n\
             {finish}\n\
         }}"
    ))
}
