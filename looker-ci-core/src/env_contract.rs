//! The environment contract's names: every `LOOKERSDK_*` and `LOOKER_CI_*` variable looker-ci
//! reads, from settings, credentials and the audit trail alike. Above both settings and
//! credentials (it lists their names), so neither needs the other for it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::settings::{
    ENV_ALLOW_HTTP, ENV_BASE_URL, ENV_CA_BUNDLE, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_HTTPS_PROXY,
    ENV_MAX_REPLY_BYTES, ENV_TIMEOUT, ENV_VERIFY_SSL, Environment, OverlayEnvironment,
    ProcessEnvironment, edit_distance,
};

impl OverlayEnvironment {
    /// The process environment, with `vars` laid over it when given (the bindings' `env` option).
    /// The names are checked first with [`check_overlay_names`]: a misspelt `LOOKERSDK_*` or
    /// `LOOKER_CI_*` name is refused instead of being silently ignored.
    pub fn process_with(vars: Option<HashMap<String, String>>) -> Result<Arc<dyn Environment>> {
        Ok(match vars {
            Some(vars) => {
                check_overlay_names(&vars, &ProcessEnvironment)?;
                Arc::new(Self::over_process(vars))
            }
            None => Arc::new(ProcessEnvironment),
        })
    }
}

/// Every variable looker-ci reads whose name starts with `LOOKERSDK_` or `LOOKER_CI_`.
pub const KNOWN_VARIABLES: &[&str] = &[
    ENV_BASE_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_VERIFY_SSL,
    ENV_TIMEOUT,
    ENV_CA_BUNDLE,
    ENV_HTTPS_PROXY,
    ENV_MAX_REPLY_BYTES,
    crate::credentials::ENV_ID_TOKEN_VAR,
    crate::credentials::ENV_ID_TOKEN_AUDIENCE,
    crate::credentials::jwks::ENV_VERIFY,
    crate::credentials::jwks::ENV_JWKS_URL,
    crate::credentials::jwks::ENV_ISSUER,
    crate::credentials::aws::ENV_SECRET_ID,
    crate::credentials::aws::ENV_SECRET_CLIENT_ID_KEY,
    crate::credentials::aws::ENV_SECRET_CLIENT_SECRET_KEY,
    crate::credentials::aws::ENV_ROLE_DURATION,
    crate::credentials::ENV_PROXY_HEADER,
    crate::credentials::okta::ENV_ISSUER,
    crate::credentials::okta::ENV_TOKEN_URL,
    crate::credentials::okta::ENV_CLIENT_ID,
    crate::credentials::okta::ENV_PRIVATE_KEY,
    crate::credentials::okta::ENV_PRIVATE_KEY_FILE,
    crate::credentials::okta::ENV_KEY_ID,
    crate::credentials::okta::ENV_SIGNING_ALG,
    crate::credentials::okta::ENV_CLIENT_SECRET,
    crate::credentials::okta::ENV_SCOPES,
    crate::credentials::okta::ENV_AUDIENCE,
    crate::credentials::okta::ENV_TOKEN_EXCHANGE,
    crate::audit::ENV_AUDIT_FILE,
    ENV_ALLOW_HTTP,
];

/// Check the names of an `env` overlay (the bindings' `env` option). A name in looker-ci's own
/// namespaces (`LOOKERSDK_*`, `LOOKER_CI_*`) that looker-ci does not read is refused, with the
/// closest known name: a typo there would otherwise be ignored without a word. Any other name
/// (`AWS_*`, `CI_*`, `GITHUB_*`, a GitLab `id_tokens` variable) is allowed, since the credential
/// chain reads such variables; so is the variable that `LOOKER_CI_ID_TOKEN_VAR` names.
pub fn check_overlay_names(vars: &HashMap<String, String>, base: &dyn Environment) -> Result<()> {
    let id_token_var = vars
        .get(crate::credentials::ENV_ID_TOKEN_VAR)
        .cloned()
        .or_else(|| base.var(crate::credentials::ENV_ID_TOKEN_VAR));
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    for name in names {
        let ours = name.starts_with("LOOKERSDK_") || name.starts_with("LOOKER_CI_");
        if !ours
            || KNOWN_VARIABLES.contains(&name.as_str())
            || id_token_var.as_deref().map(str::trim) == Some(name.as_str())
        {
            continue;
        }
        let upper = name.to_ascii_uppercase();
        let closest = KNOWN_VARIABLES
            .iter()
            .min_by_key(|known| edit_distance(&upper, known))
            .copied()
            .unwrap_or(ENV_BASE_URL);
        let hint = if name == "LOOKER_CI_LOG" {
            " (logging is set up once per process: set LOOKER_CI_LOG in the process environment)"
                .to_owned()
        } else if edit_distance(&upper, closest) <= 4 {
            format!(" (did you mean {closest}?)")
        } else {
            String::new()
        };
        return Err(Error::InvalidArgument {
            argument: "env".into(),
            message: format!(
                "`{name}` is not a variable looker-ci reads{hint}; see docs/settings.md and \
                 docs/credentials.md for the variables of the environment contract"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::MapEnvironment;
    use std::path::Path;

    #[test]
    fn overlay_names_in_our_namespaces_must_be_known() {
        let check = |names: &[&str]| {
            let vars = names
                .iter()
                .map(|n| ((*n).to_owned(), "v".to_owned()))
                .collect();
            check_overlay_names(&vars, &MapEnvironment::new())
        };
        check(&[
            ENV_BASE_URL,
            "LOOKER_CI_OKTA_PRIVATE_KEY_FILE",
            "AWS_ROLE_ARN",
            "CI_JOB_ID",
            "GITHUB_ACTIONS",
            "MY_TOKEN",
        ])
        .unwrap();
        let err = check(&["LOOKERSDK_BASEURL"]).unwrap_err();
        assert!(matches!(&err, Error::InvalidArgument { argument, .. } if argument == "env"));
        assert!(
            err.to_string().contains("did you mean LOOKERSDK_BASE_URL?"),
            "{err}"
        );
        let err = check(&["LOOKER_CI_OKTA_ISUER"]).unwrap_err().to_string();
        assert!(err.contains("LOOKER_CI_OKTA_ISSUER"), "{err}");
        let err = check(&["LOOKER_CI_LOG"]).unwrap_err().to_string();
        assert!(err.contains("process environment"), "{err}");
        // The variable LOOKER_CI_ID_TOKEN_VAR names may be in our namespace.
        check(&["LOOKER_CI_ID_TOKEN_VAR", "LOOKER_CI_JOB_JWT"]).unwrap_err();
        let vars = [
            (
                "LOOKER_CI_ID_TOKEN_VAR".to_owned(),
                "LOOKER_CI_JOB_JWT".to_owned(),
            ),
            ("LOOKER_CI_JOB_JWT".to_owned(), "v".to_owned()),
        ]
        .into();
        check_overlay_names(&vars, &MapEnvironment::new()).unwrap();
    }

    #[test]
    fn every_env_constant_of_ours_is_a_known_variable() {
        // A new `pub const ENV_...: &str = "LOOKER_CI_..."` must join KNOWN_VARIABLES, or the
        // bindings' `env` option would refuse it.
        fn walk(dir: &Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for line in text.lines() {
                        let line = line.trim();
                        let constant =
                            line.starts_with("pub const ENV_") || line.starts_with("const ENV_");
                        if let Some(value) = line.split('"').nth(1)
                            && constant
                            && (value.starts_with("LOOKERSDK_") || value.starts_with("LOOKER_CI_"))
                        {
                            found.push(value.to_owned());
                        }
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(found.len() >= 20, "{found:?}");
        for name in found {
            assert!(
                KNOWN_VARIABLES.contains(&name.as_str()),
                "{name} is not in KNOWN_VARIABLES"
            );
        }
    }
}
