//! `cargo run -p looker-ci-codegen [SPEC]`: read the Looker API 4.0 OpenAPI spec (default: the
//! copy vendored in the repository, `spec/Looker.4.0.oas.json`) and write the generated sources:
//!
//! - `looker-ci-core/src/api/operations.rs`: the operation table of the core;
//! - `looker-ci-api/src/methods/`: a typed method per operation, one file and trait per tag;
//! - `looker-ci-api/src/models.rs`: a serde model per schema;
//! - `looker-ci-py/python/looker_ci/_operations.py`: a method per operation for the Python clients;
//! - `looker-ci-node/lib/operations.js` and `operations.d.ts`: the same for Node.
//!
//! The output is deterministic (operations sorted by id), so CI regenerates and fails on any
//! difference. Doc comments state operation id, method, path, parameters and status; no prose is
//! copied from the spec.

mod model;
mod node;
mod python;
mod rust;
mod rust_methods;
mod rust_models;
mod schemas;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("spec/Looker.4.0.oas.json"));
    let text = match std::fs::read_to_string(&spec) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read the spec {}: {e}", spec.display());
            return ExitCode::FAILURE;
        }
    };
    let operations = match model::operations(&text) {
        Ok(ops) => ops,
        Err(e) => {
            eprintln!("the spec {} is not usable: {e}", spec.display());
            return ExitCode::FAILURE;
        }
    };
    let spec_value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(e) => {
            eprintln!("the spec {} is not JSON: {e}", spec.display());
            return ExitCode::FAILURE;
        }
    };
    // The methods directory holds only generated files: clear it so a tag that left the spec
    // leaves no stale module behind.
    let methods_dir = root.join("looker-ci-api/src/methods");
    if let Err(e) = clear_generated_dir(&methods_dir) {
        eprintln!("cannot clear {}: {e}", methods_dir.display());
        return ExitCode::FAILURE;
    }
    let mut outputs = vec![
        (
            root.join("looker-ci-core/src/api/operations.rs"),
            rust::generate(&operations),
        ),
        (
            root.join("looker-ci-api/src/models.rs"),
            rust_models::generate(&spec_value),
        ),
        (
            root.join("looker-ci-py/python/looker_ci/_operations.py"),
            python::generate(&operations),
        ),
        (
            root.join("looker-ci-py/python/looker_ci/models.py"),
            schemas::python(&spec_value),
        ),
        (
            root.join("looker-ci-node/lib/models.d.ts"),
            schemas::typescript(&spec_value),
        ),
        (
            root.join("looker-ci-node/lib/operations.js"),
            node::generate_js(&operations),
        ),
        (
            root.join("looker-ci-node/lib/operations.d.ts"),
            node::generate_dts(&operations),
        ),
    ];
    outputs.extend(
        rust_methods::generate(&operations)
            .into_iter()
            .map(|(file, content)| (methods_dir.join(file), content)),
    );
    for (path, content) in outputs {
        if let Err(e) = std::fs::write(&path, content) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        // Rust output goes through rustfmt so the committed file is what `cargo fmt` keeps.
        if path.extension().is_some_and(|e| e == "rs") {
            let formatted = std::process::Command::new("rustfmt")
                .args(["--edition", "2024"])
                .arg(&path)
                .status();
            if !formatted.is_ok_and(|s| s.success()) {
                eprintln!("rustfmt failed on {}", path.display());
                return ExitCode::FAILURE;
            }
        }
        println!("wrote {}", path.display());
    }
    println!("{} operations", operations.len());
    ExitCode::SUCCESS
}

/// Create `dir` if needed and remove the `.rs` files in it.
fn clear_generated_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}
