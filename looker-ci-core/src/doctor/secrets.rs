//! The secrets checks: a stored Looker secret (environment or `looker.ini`) beside identity-based
//! access, secrets in files anyone on the machine can read, TLS verification off, and `http://`
//! to a host that is not loopback.

use std::path::Path;
use std::sync::Arc;

use super::identity::is_identity_based;
use super::{Area, Findings, Level};
use crate::client::LookerClient;
use crate::credentials::ENV_WEB_IDENTITY_TOKEN_FILE;
use crate::credentials::aws::{ENV_ROLE_ARN, ENV_SECRET_ID};
use crate::credentials::okta;
use crate::settings::{DEFAULT_INI_FILE, Environment};

const ENV_CLIENT_SECRET: &str = "LOOKERSDK_CLIENT_SECRET";

pub(super) fn check(client: &LookerClient, env: &Arc<dyn Environment>, findings: &mut Findings) {
    let set = |name: &str| env.var(name).is_some_and(|v| !v.trim().is_empty());
    let identity_configured = (set(ENV_ROLE_ARN) && set(ENV_SECRET_ID)) || set(okta::ENV_CLIENT_ID);
    let source = client.describe().source.as_str();

    if set(ENV_CLIENT_SECRET) {
        if identity_configured {
            findings.add(
                Area::Secrets,
                Level::Error,
                "secrets.static-key-with-identity",
                format!(
                    "{ENV_CLIENT_SECRET} is set although identity-based access is configured{}",
                    if source == "settings" {
                        ": the stored key is used and the CI identity is not"
                    } else {
                        ""
                    }
                ),
                Some(format!(
                    "delete the {ENV_CLIENT_SECRET} CI variable (and LOOKERSDK_CLIENT_ID) and \
                     revoke that API key in Looker"
                )),
            );
        } else {
            findings.add(
                Area::Secrets,
                Level::Warning,
                "secrets.static-key",
                format!("a long-lived Looker API secret is stored in {ENV_CLIENT_SECRET}"),
                Some(
                    "configure identity-based access (docs/credentials.md) and remove the stored \
                     secret"
                        .into(),
                ),
            );
        }
    }

    let ini = Path::new(DEFAULT_INI_FILE);
    let ini_text = env.read_file(ini).ok().flatten();
    if let Some(text) = &ini_text
        && holds_client_secret(text)
    {
        findings.add(
            Area::Secrets,
            if identity_configured {
                Level::Error
            } else {
                Level::Warning
            },
            "secrets.looker-ini-secret",
            "./looker.ini holds a client_secret: a stored secret in the checkout".to_owned(),
            Some("remove client_secret from looker.ini (keep base_url there if you like)".into()),
        );
        world_readable(
            ini,
            "looker.ini with a client_secret",
            Level::Error,
            findings,
        );
    }
    if let Some(path) = env
        .var(okta::ENV_PRIVATE_KEY_FILE)
        .filter(|p| !p.trim().is_empty())
    {
        world_readable(
            Path::new(path.trim()),
            "the Okta private key",
            Level::Error,
            findings,
        );
    }
    if let Some(path) = env
        .var(ENV_WEB_IDENTITY_TOKEN_FILE)
        .filter(|p| !p.trim().is_empty())
    {
        world_readable(
            Path::new(path.trim()),
            "the CI identity token",
            Level::Warning,
            findings,
        );
    }

    let settings = client.settings();
    if !settings.verify_ssl {
        findings.add(
            Area::Secrets,
            Level::Error,
            "secrets.tls-verification-off",
            "TLS certificate verification is off: anyone on the path can read the API key and \
             tokens",
            Some(
                "remove verify_ssl=false / LOOKERSDK_VERIFY_SSL=false; trust a private CA with \
                 ca_bundle instead"
                    .into(),
            ),
        );
    }
    let url = &settings.base_url;
    // The client refuses this unless LOOKER_CI_ALLOW_HTTP says otherwise.
    if url.scheme() == "http" && !is_loopback(url) {
        findings.add(
            Area::Secrets,
            Level::Warning,
            "secrets.plain-http",
            format!(
                "base_url {} is plain http to a host that is not loopback (allowed by \
                 {}): the API key and tokens cross the network unencrypted",
                url.as_str(),
                crate::settings::ENV_ALLOW_HTTP
            ),
            Some("use https:// and remove LOOKER_CI_ALLOW_HTTP".into()),
        );
    }
    if is_identity_based(source) && !findings_have_secret_errors(findings) {
        findings.add(
            Area::Secrets,
            Level::Note,
            "secrets.none-stored",
            "no Looker secret is stored: the API key is fetched with the job's identity",
            None,
        );
    }
}

fn findings_have_secret_errors(findings: &Findings) -> bool {
    findings
        .0
        .iter()
        .any(|f| f.area == Area::Secrets && f.level > Level::Note)
}

/// Whether an ini text sets a non-empty `client_secret` in any section.
fn holds_client_secret(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim();
        line.split_once(['=', ':']).is_some_and(|(key, value)| {
            key.trim().eq_ignore_ascii_case("client_secret") && !value.trim().is_empty()
        })
    })
}

use crate::settings::is_loopback;

/// A finding when `path` exists and others than its owner and group may read it.
fn world_readable(path: &Path, what: &str, level: Level, findings: &mut Findings) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        let mode = meta.permissions().mode();
        if mode & 0o004 != 0 {
            findings.add(
                Area::Secrets,
                level,
                "secrets.world-readable",
                format!(
                    "{what} ({}) is readable by every user of the machine (mode {:o})",
                    path.display(),
                    mode & 0o777
                ),
                Some(format!("chmod 600 {}", path.display())),
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what, level, findings);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_secrets_are_found_in_any_section_and_form() {
        assert!(holds_client_secret(
            "[Looker]\nbase_url=x\nclient_secret = abc\n"
        ));
        assert!(holds_client_secret("[a]\nCLIENT_SECRET: abc"));
        assert!(!holds_client_secret(
            "[Looker]\nclient_secret=\nclient_id=x"
        ));
        assert!(!holds_client_secret("; client_secret is not stored here"));
    }

    #[test]
    fn loopback_hosts() {
        for (url, want) in [
            ("http://127.0.0.1:1234", true),
            ("http://localhost", true),
            ("http://[::1]:80", true),
            ("http://looker.internal", false),
            ("http://10.0.0.1", false),
        ] {
            assert_eq!(is_loopback(&url::Url::parse(url).unwrap()), want, "{url}");
        }
    }
}
