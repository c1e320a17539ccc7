//! [`LookerClientBuilder`]: the one way a [`LookerClient`] is put together.
//!
//! It owns every rule of construction, so that the Python keyword arguments and the Node options
//! object are mapped onto it and decide nothing themselves: which settings layers are read
//! (values given in code over `LOOKERSDK_*` over `looker.ini` over defaults), which environment
//! (the process's, with the bindings' `env` overlay checked and laid over it), which credential
//! source (a provider given in code, else the default chain when the environment is read, else
//! the key in the settings), the refresh policy and the audit trail.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::audit::{AuditTrail, ENV_AUDIT_FILE};
use crate::client::LookerClient;
use crate::credentials::CredentialProvider;
use crate::env_contract::check_overlay_names;
use crate::error::{Error, Result};
use crate::settings::{Environment, OverlayEnvironment, Settings, SettingsOptions};
use crate::token_cache::RefreshPolicy;

impl LookerClient {
    /// A builder for a client: settings, environment, credentials, refresh policy, audit trail.
    ///
    /// ```no_run
    /// # async fn run() -> looker_ci_core::Result<()> {
    /// use looker_ci_core::LookerClient;
    /// let client = LookerClient::builder()
    ///     .read_env(true) // ./looker.ini, LOOKERSDK_*, and the default credential chain
    ///     .timeout(std::time::Duration::from_secs(30))
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> LookerClientBuilder {
        LookerClientBuilder::default()
    }
}

/// Builds a [`LookerClient`]; see [`LookerClient::builder`]. Nothing is read or checked until
/// [`LookerClientBuilder::build`].
#[derive(Default)]
pub struct LookerClientBuilder {
    /// Setting values, ini file and section, `read_env`, the environment.
    options: SettingsOptions,
    /// Resolved settings given whole (then `options` must be empty).
    settings: Option<Settings>,
    overlay: Option<HashMap<String, String>>,
    provider: Option<Arc<dyn CredentialProvider>>,
    policy: RefreshPolicy,
    audit_file: Option<PathBuf>,
}

impl fmt::Debug for LookerClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets (the client secret, overlay values): the options redact theirs,
        // the overlay shows names only.
        f.debug_struct("LookerClientBuilder")
            .field("options", &self.options)
            .field("settings", &self.settings)
            .field(
                "env",
                &self.overlay.as_ref().map(|v| v.keys().collect::<Vec<_>>()),
            )
            .field(
                "provider",
                &self.provider.as_ref().map(|p| p.name().to_owned()),
            )
            .field("audit_file", &self.audit_file)
            .finish_non_exhaustive()
    }
}

impl LookerClientBuilder {
    /// Use these resolved settings as they are (built with [`Settings::builder`]). Cannot be
    /// combined with the setting values, `config_file`, `section` or `read_env` of this builder.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// The Looker instance, e.g. `https://example.looker.com`.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.set_base_url(Some(url.into()))
    }

    /// [`Self::base_url`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_base_url(mut self, url: Option<String>) -> Self {
        self.options.base_url = url;
        self
    }

    /// The API client id (with [`LookerClientBuilder::client_secret`], a static API key).
    pub fn client_id(self, id: impl Into<String>) -> Self {
        self.set_client_id(Some(id.into()))
    }

    /// [`Self::client_id`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_client_id(mut self, id: Option<String>) -> Self {
        self.options.client_id = id;
        self
    }

    /// The API client secret.
    pub fn client_secret(self, secret: SecretString) -> Self {
        self.set_client_secret(Some(secret))
    }

    /// [`Self::client_secret`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_client_secret(mut self, secret: Option<SecretString>) -> Self {
        self.options.client_secret = secret;
        self
    }

    /// Verify the server's TLS certificate (default true).
    pub fn verify_ssl(self, verify: bool) -> Self {
        self.set_verify_ssl(Some(verify))
    }

    /// [`Self::verify_ssl`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_verify_ssl(mut self, verify: Option<bool>) -> Self {
        self.options.verify_ssl = verify;
        self
    }

    /// The budget of one call, retries included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout.as_secs_f64());
        self
    }

    /// As [`LookerClientBuilder::timeout`], in seconds as the bindings take it (checked when
    /// the client is built).
    pub fn timeout_secs(self, seconds: f64) -> Self {
        self.set_timeout_secs(Some(seconds))
    }

    /// [`Self::timeout_secs`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_timeout_secs(mut self, seconds: Option<f64>) -> Self {
        self.options.timeout = seconds;
        self
    }

    /// A PEM file of extra trusted CAs.
    pub fn ca_bundle(self, path: impl Into<PathBuf>) -> Self {
        self.set_ca_bundle(Some(path.into()))
    }

    /// [`Self::ca_bundle`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_ca_bundle(mut self, path: Option<PathBuf>) -> Self {
        self.options.ca_bundle = path;
        self
    }

    /// An HTTPS proxy for the Looker requests (and the credential providers').
    pub fn https_proxy(self, url: impl Into<String>) -> Self {
        self.set_https_proxy(Some(url.into()))
    }

    /// [`Self::https_proxy`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_https_proxy(mut self, url: Option<String>) -> Self {
        self.options.https_proxy = url;
        self
    }

    /// Work in the `dev` workspace (re-applied after every login).
    pub fn dev_workspace(mut self, dev: bool) -> Self {
        self.options.dev_workspace = dev;
        self
    }

    /// Read settings from this ini file (its first section, or `section`).
    pub fn config_file(self, path: impl Into<PathBuf>) -> Self {
        self.set_config_file(Some(path.into()))
    }

    /// [`Self::config_file`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_config_file(mut self, path: Option<PathBuf>) -> Self {
        self.options.config_file = path;
        self
    }

    /// The ini section to read (of `config_file`, or of `./looker.ini` with `read_env`).
    pub fn section(self, section: impl Into<String>) -> Self {
        self.set_section(Some(section.into()))
    }

    /// [`Self::section`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_section(mut self, section: Option<String>) -> Self {
        self.options.section = section;
        self
    }

    /// Layer `./looker.ini` and the `LOOKERSDK_*` variables under the values given here, and let
    /// the default credential chain find the API key (unless a provider is given).
    pub fn read_env(mut self, read: bool) -> Self {
        self.options.read_env = read;
        self
    }

    /// Variables laid over the process environment (the bindings' `env` option). A name in
    /// looker-ci's namespaces that looker-ci does not read is refused when the client is built.
    pub fn env(self, vars: HashMap<String, String>) -> Self {
        self.set_env(Some(vars))
    }

    /// [`Self::env`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_env(mut self, vars: Option<HashMap<String, String>>) -> Self {
        self.overlay = vars;
        self
    }

    /// Read this environment instead of the process's (tests; an `env` overlay goes over it).
    pub fn environment(mut self, environment: Arc<dyn Environment>) -> Self {
        self.options.environment = Some(environment);
        self
    }

    /// Ask `provider` for the API key at every login, instead of the chain or the settings.
    pub fn credentials(self, provider: Arc<dyn CredentialProvider>) -> Self {
        self.set_credentials(Some(provider))
    }

    /// [`Self::credentials`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_credentials(mut self, provider: Option<Arc<dyn CredentialProvider>>) -> Self {
        self.provider = provider;
        self
    }

    /// When tokens and credentials are refreshed ahead of expiry.
    pub fn refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Append an audit record of every call to this file (else `LOOKER_CI_AUDIT_FILE` when the
    /// environment is read).
    pub fn audit_file(self, path: impl Into<PathBuf>) -> Self {
        self.set_audit_file(Some(path.into()))
    }

    /// [`Self::audit_file`] when `Some`; `None` leaves it unset (the bindings' optional
    /// arguments).
    pub fn set_audit_file(mut self, path: Option<PathBuf>) -> Self {
        self.audit_file = path;
        self
    }

    /// Read and check everything, and build the client. No request is sent.
    pub fn build(self) -> Result<LookerClient> {
        let LookerClientBuilder {
            mut options,
            settings,
            overlay,
            provider,
            policy,
            audit_file,
        } = self;
        let read_env = options.read_env;
        let environment: Arc<dyn Environment> = match (options.environment.take(), overlay) {
            (Some(base), Some(vars)) => {
                check_overlay_names(&vars, base.as_ref())?;
                Arc::new(OverlayEnvironment::new(vars, base))
            }
            (Some(base), None) => base,
            (None, vars) => OverlayEnvironment::process_with(vars)?,
        };
        let settings = match settings {
            Some(settings) if options.is_empty() => settings,
            Some(_) => {
                return Err(Error::InvalidArgument {
                    argument: "settings".into(),
                    message: "resolved settings were given together with setting values, a \
                              config file, a section or read_env: give one or the other"
                        .into(),
                });
            }
            None => {
                options.environment = Some(Arc::clone(&environment));
                options.build()?
            }
        };
        let client = match provider {
            Some(provider) => {
                LookerClient::from_provider(settings, provider, Arc::clone(&environment), policy)?
            }
            None if read_env => {
                LookerClient::from_chain(settings, Arc::clone(&environment), policy)?
            }
            None => LookerClient::from_settings_key(settings, Arc::clone(&environment), policy)?,
        };
        // The environment's audit setting counts where the environment is read.
        let audit_file = audit_file.or_else(|| {
            read_env
                .then(|| environment.var(ENV_AUDIT_FILE))
                .flatten()
                .filter(|p| !p.trim().is_empty())
                .map(|p| PathBuf::from(p.trim()))
        });
        Ok(match audit_file {
            Some(path) => client.with_audit(Arc::new(AuditTrail::open(path)?)),
            None => client,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::StaticCredentials;
    use crate::settings::MapEnvironment;

    fn environment() -> Arc<dyn Environment> {
        Arc::new(
            MapEnvironment::new()
                .with_var("LOOKERSDK_BASE_URL", "https://looker.example.com")
                .with_var("LOOKERSDK_CLIENT_ID", "env-id")
                .with_var("LOOKERSDK_CLIENT_SECRET", "env-secret"),
        )
    }

    #[tokio::test]
    async fn a_set_method_with_none_leaves_the_value_to_the_environment() {
        let unset = LookerClient::builder()
            .environment(environment())
            .read_env(true)
            .set_client_id(None)
            .set_timeout_secs(None)
            .set_section(None)
            .build()
            .unwrap();
        assert_eq!(unset.settings().client_id.as_deref(), Some("env-id"));
        let set = LookerClient::builder()
            .environment(environment())
            .read_env(true)
            .set_client_id(Some("code-id".into()))
            .set_timeout_secs(Some(7.0))
            .build()
            .unwrap();
        assert_eq!(set.settings().client_id.as_deref(), Some("code-id"));
        assert_eq!(set.settings().timeout, Duration::from_secs(7));
    }

    #[tokio::test]
    async fn the_credential_source_follows_what_was_given() {
        // read_env: the chain finds the key in the environment's settings.
        let chain = LookerClient::builder()
            .environment(environment())
            .read_env(true)
            .build()
            .unwrap();
        assert_eq!(chain.describe().source, "settings");
        assert_eq!(chain.base_url(), "https://looker.example.com");
        assert_eq!(chain.settings().client_id.as_deref(), Some("env-id"));
        // A value given in code wins over the environment's.
        let coded = LookerClient::builder()
            .environment(environment())
            .read_env(true)
            .client_id("code-id")
            .build()
            .unwrap();
        assert_eq!(coded.settings().client_id.as_deref(), Some("code-id"));
        // A provider given in code is used whatever the environment holds.
        let provider = StaticCredentials::new("p-id", SecretString::from("p-secret"));
        let custom = LookerClient::builder()
            .environment(environment())
            .read_env(true)
            .credentials(Arc::new(provider))
            .build()
            .unwrap();
        assert_eq!(
            custom.describe().detail,
            "credential provider given in code"
        );
        // Without read_env the environment's settings are not read at all.
        let err = LookerClient::builder()
            .environment(environment())
            .build()
            .unwrap_err();
        assert_eq!(err.code(), "LOOKER_CI_CONFIG", "{err}");
    }

    #[tokio::test]
    async fn resolved_settings_and_setting_values_do_not_mix_and_overlay_names_are_checked() {
        let settings = Settings::builder()
            .base_url("https://looker.example.com")
            .client_id("id")
            .client_secret(SecretString::from("secret"))
            .build()
            .unwrap();
        let err = LookerClient::builder()
            .settings(settings.clone())
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("give one or the other"), "{err}");
        LookerClient::builder().settings(settings).build().unwrap();
        let vars = HashMap::from([("LOOKER_CI_TIMEOUT".to_owned(), "5".to_owned())]);
        let err = LookerClient::builder()
            .environment(environment())
            .env(vars)
            .read_env(true)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("LOOKER_CI_TIMEOUT"), "{err}");
        assert!(
            !format!(
                "{:?}",
                LookerClient::builder().client_secret(SecretString::from("s3cr3t"))
            )
            .contains("s3cr3t")
        );
    }
}
