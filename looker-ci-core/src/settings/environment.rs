//! The environment seam: where settings and credentials read variables and files. Injected,
//! so tests never touch the real process environment.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where settings come from: environment variables and files. Injected for testability.
pub trait Environment: Send + Sync {
    /// The value of an environment variable; `None` when unset.
    fn var(&self, name: &str) -> Option<String>;
    /// The text of a file; `Ok(None)` when it does not exist.
    fn read_file(&self, path: &Path) -> std::io::Result<Option<String>>;
    /// Every variable, for detection that looks at values (GitLab `id_tokens`).
    fn vars(&self) -> Vec<(String, String)>;
}

/// The real process environment and file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn vars(&self) -> Vec<(String, String)> {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect()
    }

    fn read_file(&self, path: &Path) -> std::io::Result<Option<String>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// An in-memory environment for tests: variables and files from maps.
#[derive(Debug, Default, Clone)]
pub struct MapEnvironment {
    /// The variables, by name.
    pub vars: HashMap<String, String>,
    /// The files' text, by path; a path not here reads as missing.
    pub files: HashMap<PathBuf, String>,
}

impl MapEnvironment {
    /// An environment with no variables and no files.
    pub fn new() -> Self {
        Self::default()
    }
    /// Add (or replace) variable `name`.
    pub fn with_var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }
    /// Add (or replace) the file at `path` with `text`.
    pub fn with_file(mut self, path: impl Into<PathBuf>, text: &str) -> Self {
        self.files.insert(path.into(), text.to_owned());
        self
    }
}

impl Environment for MapEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn read_file(&self, path: &Path) -> std::io::Result<Option<String>> {
        Ok(self.files.get(path).cloned())
    }
    fn vars(&self) -> Vec<(String, String)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Variables from a map laid over another environment (the process's by default): how the
/// Python and Node bindings let callers pass the environment contract's variables without
/// touching the process environment. Files come from the base environment.
#[derive(Clone)]
pub struct OverlayEnvironment {
    vars: HashMap<String, String>,
    base: Arc<dyn Environment>,
}

impl fmt::Debug for OverlayEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets (a client secret, a token): names only.
        f.debug_struct("OverlayEnvironment")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl OverlayEnvironment {
    /// `vars` over `base`: a variable in `vars` hides the one of `base`.
    pub fn new(vars: HashMap<String, String>, base: Arc<dyn Environment>) -> Self {
        OverlayEnvironment { vars, base }
    }

    /// `vars` over the process environment.
    pub fn over_process(vars: HashMap<String, String>) -> Self {
        Self::new(vars, Arc::new(ProcessEnvironment))
    }
}

impl Environment for OverlayEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned().or_else(|| self.base.var(name))
    }
    fn read_file(&self, path: &Path) -> std::io::Result<Option<String>> {
        self.base.read_file(path)
    }
    fn vars(&self) -> Vec<(String, String)> {
        let mut all: HashMap<String, String> = self.base.vars().into_iter().collect();
        all.extend(self.vars.clone());
        all.into_iter().collect()
    }
}
