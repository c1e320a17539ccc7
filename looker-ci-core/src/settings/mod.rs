//! Settings, read the way the official Looker SDKs read them.
//!
//! Layers, lowest first: defaults, `looker.ini` (the first section unless one is named), the
//! `LOOKERSDK_*` environment variables, and values given to the [`SettingsBuilder`]. Every raw value
//! remembers where it came from, so a bad value produces an error naming the setting and its
//! origin. The environment and the file system are injected through [`Environment`] so tests never
//! touch the real process environment.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

mod environment;
pub use environment::{Environment, MapEnvironment, OverlayEnvironment, ProcessEnvironment};

/// `LOOKERSDK_BASE_URL`: the API host, for example `https://example.cloud.looker.com`.
pub const ENV_BASE_URL: &str = "LOOKERSDK_BASE_URL";
/// `LOOKERSDK_CLIENT_ID`: the API key's client id.
pub const ENV_CLIENT_ID: &str = "LOOKERSDK_CLIENT_ID";
/// `LOOKERSDK_CLIENT_SECRET`: the API key's client secret.
pub const ENV_CLIENT_SECRET: &str = "LOOKERSDK_CLIENT_SECRET";
/// `LOOKERSDK_VERIFY_SSL`: `false` disables certificate checks for this client only.
pub const ENV_VERIFY_SSL: &str = "LOOKERSDK_VERIFY_SSL";
/// `LOOKERSDK_TIMEOUT`: total time allowed for one request, in seconds.
pub const ENV_TIMEOUT: &str = "LOOKERSDK_TIMEOUT";
/// `LOOKER_CI_CA_BUNDLE`: a PEM file of extra trusted CA certificates.
pub const ENV_CA_BUNDLE: &str = "LOOKER_CI_CA_BUNDLE";
/// `LOOKER_CI_HTTPS_PROXY`: the HTTP(S) proxy URL for Looker requests.
pub const ENV_HTTPS_PROXY: &str = "LOOKER_CI_HTTPS_PROXY";
/// `LOOKER_CI_MAX_REPLY_BYTES`: the largest reply body read, in bytes (at least 1024).
pub const ENV_MAX_REPLY_BYTES: &str = "LOOKER_CI_MAX_REPLY_BYTES";

/// The largest reply read by default: far beyond any metadata reply, enough for big result sets.
pub const DEFAULT_MAX_REPLY_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The `looker.ini` read by [`Settings::from_env`] when it exists in the working directory.
pub const DEFAULT_INI_FILE: &str = "looker.ini";
/// The official SDKs' default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Levenshtein distance between two names, for "did you mean".
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let kept = row[j + 1];
            row[j + 1] = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(previous + usize::from(ca != *cb));
            previous = kept;
        }
    }
    row[b.len()]
}

/// Resolved, validated settings for one Looker client.
#[derive(Clone)]
pub struct Settings {
    /// The API host, without `/api/4.0` and without a trailing slash.
    pub base_url: Url,
    /// The API key's client id, when configured here (a credential provider may supply it instead).
    pub client_id: Option<String>,
    /// The API key's client secret, when configured here.
    pub client_secret: Option<SecretString>,
    /// Where the API key came from (`environment variable LOOKERSDK_CLIENT_ID`, `looker.ini
    /// [Looker]`, `explicit settings`), when there is one.
    pub client_id_origin: Option<String>,
    /// Whether TLS certificates are verified. `false` affects this client only, never the process.
    pub verify_ssl: bool,
    /// Total time for one HTTP request, including reading the reply.
    pub timeout: Duration,
    /// Extra trusted CA certificates (PEM).
    pub ca_bundle: Option<PathBuf>,
    /// HTTP(S) proxy for all Looker requests.
    pub https_proxy: Option<Url>,
    /// The largest reply body read, in bytes; a larger one fails naming this setting.
    pub max_reply_bytes: u64,
    /// The settings that decide where requests go (`base_url`, `https_proxy`, `ca_bundle`) and
    /// came from a `./looker.ini` read implicitly, with their origin. The credential chain
    /// refuses to send a key it fetched (AWS, Okta) where a file in the checkout points.
    pub implicit_routing: Vec<String>,
    /// Retry policy for idempotent requests.
    pub retry: RetryPolicy,
    /// Use the dev workspace (`PATCH /session {"workspace_id": "dev"}`) after every login.
    pub dev_workspace: bool,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("base_url", &self.base_url.as_str())
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("client_id_origin", &self.client_id_origin)
            .field("verify_ssl", &self.verify_ssl)
            .field("timeout", &self.timeout)
            .field("ca_bundle", &self.ca_bundle)
            .field("https_proxy", &self.https_proxy.as_ref().map(redact_url))
            .field("max_reply_bytes", &self.max_reply_bytes)
            .field("retry", &self.retry)
            .field("dev_workspace", &self.dev_workspace)
            .finish()
    }
}

/// A proxy URL may carry a password; show only scheme, host and port.
fn redact_url(url: &Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    )
}

impl Settings {
    /// Settings from `./looker.ini` (if present) and the `LOOKERSDK_*` environment variables.
    pub fn from_env() -> Result<Settings> {
        SettingsBuilder::new().load_defaults_from_env().build()
    }

    /// As [`Settings::from_env`], reading this environment instead of the process's.
    pub fn from_environment(env: Arc<dyn Environment>) -> Result<Settings> {
        SettingsBuilder::new()
            .environment(env)
            .load_defaults_from_env()
            .build()
    }

    /// A builder, for explicit settings.
    pub fn builder() -> SettingsBuilder {
        SettingsBuilder::new()
    }

    /// The URL of an API path such as `/user` (the `/api/4.0` prefix is added).
    pub(crate) fn api_url(&self, path: &str) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        format!("{base}/api/4.0{path}")
    }
}

/// Settings as plain optional values, as [`crate::LookerClientBuilder`] collects them. Given
/// values override `looker.ini` and `LOOKERSDK_*`, which are read only with `read_env` (or when
/// `config_file` names a file).
#[derive(Clone, Default)]
pub(crate) struct SettingsOptions {
    pub base_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub verify_ssl: Option<bool>,
    /// Seconds.
    pub timeout: Option<f64>,
    pub ca_bundle: Option<PathBuf>,
    pub https_proxy: Option<String>,
    pub dev_workspace: bool,
    pub config_file: Option<PathBuf>,
    pub section: Option<String>,
    pub read_env: bool,
    /// The environment read with `read_env` (default: the process's).
    pub environment: Option<Arc<dyn Environment>>,
}

impl fmt::Debug for SettingsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettingsOptions")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("config_file", &self.config_file)
            .field("read_env", &self.read_env)
            .finish_non_exhaustive()
    }
}

impl SettingsOptions {
    /// Whether nothing was given (the environment aside).
    pub(crate) fn is_empty(&self) -> bool {
        self.base_url.is_none()
            && self.client_id.is_none()
            && self.client_secret.is_none()
            && self.verify_ssl.is_none()
            && self.timeout.is_none()
            && self.ca_bundle.is_none()
            && self.https_proxy.is_none()
            && !self.dev_workspace
            && self.config_file.is_none()
            && self.section.is_none()
            && !self.read_env
    }

    /// Validate and resolve into [`Settings`].
    pub fn build(self) -> Result<Settings> {
        let mut builder = SettingsBuilder::new().dev_workspace(self.dev_workspace);
        if let Some(env) = self.environment {
            builder = builder.environment(env);
        }
        if self.read_env {
            builder = builder.load_defaults_from_env();
        }
        match (self.config_file, self.section) {
            (Some(path), section) => builder = builder.ini_file(path, section.as_deref()),
            // The section of the default `./looker.ini`, which `read_env` reads.
            (None, Some(section)) if self.read_env => builder = builder.ini_section(section),
            (None, Some(section)) => {
                return Err(Error::config(
                    "ini_section",
                    "the `section` argument",
                    format!(
                        "names section [{section}] of a looker.ini, but no file is read: also \
                         pass `read_env` (Node: `readEnv`) to read ./looker.ini, or \
                         `config_file` (Node: `configFile`) to name one"
                    ),
                ));
            }
            (None, None) => {}
        }
        if let Some(v) = self.base_url {
            builder = builder.base_url(v);
        }
        if let Some(v) = self.client_id {
            builder = builder.client_id(v);
        }
        if let Some(v) = self.client_secret {
            builder = builder.client_secret(v);
        }
        if let Some(v) = self.verify_ssl {
            builder = builder.verify_ssl(v);
        }
        if let Some(secs) = self.timeout {
            if !valid_timeout(secs) {
                return Err(Error::config(
                    KEY_TIMEOUT,
                    "the `timeout` argument",
                    format!("`{secs}` is not a valid timeout: {TIMEOUT_RANGE}"),
                ));
            }
            builder = builder.timeout(Duration::from_secs_f64(secs));
        }
        if let Some(v) = self.ca_bundle {
            builder = builder.ca_bundle(v);
        }
        if let Some(v) = self.https_proxy {
            builder = builder.https_proxy(v);
        }
        builder.build()
    }
}

/// One raw setting value and where it came from.
#[derive(Clone)]
struct Raw {
    value: String,
    origin: String,
}

/// Builds [`Settings`] from layered sources. Later layers win.
#[derive(Clone)]
pub struct SettingsBuilder {
    env: Arc<dyn Environment>,
    ini: Option<(PathBuf, Option<String>, bool)>,
    /// The section named apart from the file (see [`SettingsBuilder::ini_section`]).
    ini_section: Option<String>,
    read_env_vars: bool,
    explicit: BTreeMap<&'static str, Raw>,
    client_secret: Option<SecretString>,
    retry: Option<RetryPolicy>,
    dev_workspace: bool,
}

impl Default for SettingsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SettingsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettingsBuilder")
            .field("ini", &self.ini)
            .field("ini_section", &self.ini_section)
            .field("read_env_vars", &self.read_env_vars)
            .field("explicit", &self.explicit.keys().collect::<Vec<_>>())
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

const KEY_BASE_URL: &str = "base_url";
const KEY_CLIENT_ID: &str = "client_id";
const KEY_CLIENT_SECRET: &str = "client_secret";
const KEY_VERIFY_SSL: &str = "verify_ssl";
const KEY_TIMEOUT: &str = "timeout";
const KEY_CA_BUNDLE: &str = "ca_bundle";
const KEY_HTTPS_PROXY: &str = "https_proxy";
const KEY_MAX_REPLY_BYTES: &str = "max_reply_bytes";

/// Setting key and the environment variable that overrides it.
const ENV_KEYS: [(&str, &str); 8] = [
    (KEY_BASE_URL, ENV_BASE_URL),
    (KEY_CLIENT_ID, ENV_CLIENT_ID),
    (KEY_CLIENT_SECRET, ENV_CLIENT_SECRET),
    (KEY_VERIFY_SSL, ENV_VERIFY_SSL),
    (KEY_TIMEOUT, ENV_TIMEOUT),
    (KEY_CA_BUNDLE, ENV_CA_BUNDLE),
    (KEY_HTTPS_PROXY, ENV_HTTPS_PROXY),
    (KEY_MAX_REPLY_BYTES, ENV_MAX_REPLY_BYTES),
];

impl SettingsBuilder {
    /// An empty builder reading nothing from the environment.
    pub fn new() -> Self {
        SettingsBuilder {
            env: Arc::new(ProcessEnvironment),
            ini: None,
            ini_section: None,
            read_env_vars: false,
            explicit: BTreeMap::new(),
            client_secret: None,
            retry: None,
            dev_workspace: false,
        }
    }

    /// Read `./looker.ini` when it exists, and the `LOOKERSDK_*` variables.
    pub fn load_defaults_from_env(mut self) -> Self {
        if self.ini.is_none() {
            self.ini = Some((PathBuf::from(DEFAULT_INI_FILE), None, false));
        }
        self.read_env_vars = true;
        self
    }

    /// Read the environment variables (which override the ini file).
    pub fn read_env_vars(mut self, yes: bool) -> Self {
        self.read_env_vars = yes;
        self
    }

    /// Read this `looker.ini`; it must exist. `section` defaults to the file's first section.
    pub fn ini_file(mut self, path: impl Into<PathBuf>, section: Option<&str>) -> Self {
        self.ini = Some((path.into(), section.map(str::to_owned), true));
        self
    }

    /// Use this section of the `looker.ini` that is read: `./looker.ini` after
    /// [`load_defaults_from_env`](Self::load_defaults_from_env), or the file of
    /// [`ini_file`](Self::ini_file) when that names no section itself. A named section must exist:
    /// a missing one (or a missing `./looker.ini`) is an error naming the file and its sections,
    /// and naming a section while no file is read is an error too.
    pub fn ini_section(mut self, section: impl Into<String>) -> Self {
        self.ini_section = Some(section.into());
        self
    }

    /// Use this environment (variables and files) instead of the process's.
    pub fn environment(mut self, env: Arc<dyn Environment>) -> Self {
        self.env = env;
        self
    }

    fn set(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.explicit.insert(
            key,
            Raw {
                value: value.into(),
                origin: "explicit settings".into(),
            },
        );
        self
    }

    /// The Looker API host, e.g. `https://example.cloud.looker.com`; a trailing `/api/4.0` is
    /// dropped. Checked when the settings are built.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.set(KEY_BASE_URL, url)
    }
    /// The API key's client id; needs [`SettingsBuilder::client_secret`] too.
    pub fn client_id(self, id: impl Into<String>) -> Self {
        self.set(KEY_CLIENT_ID, id)
    }
    /// The client secret; it is held as a secret from here on.
    pub fn client_secret(mut self, secret: SecretString) -> Self {
        self.client_secret = Some(secret);
        self
    }
    /// `false` turns TLS certificate checks off for this client only (default `true`).
    pub fn verify_ssl(self, verify: bool) -> Self {
        self.set(KEY_VERIFY_SSL, verify.to_string())
    }
    /// Total time for one HTTP request, reply included (more than 0, at most 24 hours).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.set(KEY_TIMEOUT, timeout.as_secs_f64().to_string())
    }
    /// A PEM file of extra trusted CA certificates.
    pub fn ca_bundle(self, path: impl Into<PathBuf>) -> Self {
        self.set(KEY_CA_BUNDLE, path.into().to_string_lossy().into_owned())
    }
    /// The proxy for every Looker request (`http`, `https`, `socks5` or `socks5h` URL).
    pub fn https_proxy(self, url: impl Into<String>) -> Self {
        self.set(KEY_HTTPS_PROXY, url)
    }
    /// The largest reply body read; a larger one is an error naming this setting.
    pub fn max_reply_bytes(self, bytes: u64) -> Self {
        self.set(KEY_MAX_REPLY_BYTES, bytes.to_string())
    }
    /// How idempotent requests are retried (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }
    /// Work in the dev workspace; re-applied after every re-login.
    pub fn dev_workspace(mut self, dev: bool) -> Self {
        self.dev_workspace = dev;
        self
    }

    /// Resolve all layers and validate every value.
    pub fn build(self) -> Result<Settings> {
        let mut raw: BTreeMap<&'static str, Raw> = BTreeMap::new();
        // Origins of values from a ./looker.ini read without being named.
        let mut implicit_origins = std::collections::HashSet::new();
        match &self.ini {
            Some((path, section, required)) => {
                let section = section.as_deref().or(self.ini_section.as_deref());
                for (key, value) in self.read_ini(path, section, *required)? {
                    if !*required {
                        implicit_origins.insert(value.origin.clone());
                    }
                    raw.insert(key, value);
                }
            }
            None => {
                if let Some(section) = &self.ini_section {
                    return Err(Error::config(
                        "ini_section",
                        "explicit settings",
                        format!(
                            "section [{section}] is named but no looker.ini is read; read \
                             ./looker.ini (from_env) or name a file"
                        ),
                    ));
                }
            }
        }
        if self.read_env_vars {
            for (key, var) in ENV_KEYS {
                // An empty variable counts as unset, so `export LOOKERSDK_TIMEOUT=` does not
                // hide the ini file's value.
                if let Some(value) = self.env.var(var).filter(|v| !v.trim().is_empty()) {
                    raw.insert(
                        key,
                        Raw {
                            value,
                            origin: format!("environment variable {var}"),
                        },
                    );
                }
            }
        }
        raw.extend(self.explicit.clone());

        let client_secret = match self.client_secret {
            Some(secret) => Some(secret),
            None => raw
                .remove(KEY_CLIENT_SECRET)
                .map(|r| SecretString::from(r.value.trim().to_owned())),
        };
        let base_url = match raw.get(KEY_BASE_URL) {
            Some(r) => {
                let url = parse_base_url(r)?;
                require_https(url.as_str(), KEY_BASE_URL, &r.origin, self.env.as_ref())?;
                url
            }
            None => {
                return Err(Error::config(
                    KEY_BASE_URL,
                    "no source",
                    format!("not set; set {ENV_BASE_URL} or `base_url` in looker.ini"),
                ));
            }
        };
        let client_id = raw
            .get(KEY_CLIENT_ID)
            .map(|r| r.value.trim().to_owned())
            .filter(|v| !v.is_empty());
        let client_id_origin = client_id
            .as_ref()
            .and_then(|_| raw.get(KEY_CLIENT_ID))
            .map(|r| r.origin.clone());
        let verify_ssl = match raw.get(KEY_VERIFY_SSL) {
            Some(r) => parse_bool(KEY_VERIFY_SSL, r)?,
            None => true,
        };
        let timeout = match raw.get(KEY_TIMEOUT) {
            Some(r) => parse_timeout(r)?,
            None => DEFAULT_TIMEOUT,
        };
        let ca_bundle = raw
            .get(KEY_CA_BUNDLE)
            .map(|r| PathBuf::from(r.value.trim()));
        let implicit_routing: Vec<String> = [KEY_BASE_URL, KEY_HTTPS_PROXY, KEY_CA_BUNDLE]
            .iter()
            .filter_map(|key| {
                raw.get(key)
                    .filter(|r| implicit_origins.contains(&r.origin))
                    .map(|r| format!("`{key}` from {}", r.origin))
            })
            .collect();
        let max_reply_bytes = match raw.get(KEY_MAX_REPLY_BYTES) {
            Some(r) => r
                .value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1024)
                .ok_or_else(|| {
                    Error::config(
                        KEY_MAX_REPLY_BYTES,
                        r.origin.clone(),
                        format!(
                            "`{}` is not a number of bytes of at least 1024",
                            r.value.trim()
                        ),
                    )
                })?,
            None => DEFAULT_MAX_REPLY_BYTES,
        };
        let https_proxy = match raw.get(KEY_HTTPS_PROXY) {
            Some(r) => Some(parse_proxy(r)?),
            None => None,
        };
        if client_id.is_some() != client_secret.is_some() {
            let (missing, present) = if client_id.is_some() {
                (KEY_CLIENT_SECRET, KEY_CLIENT_ID)
            } else {
                (KEY_CLIENT_ID, KEY_CLIENT_SECRET)
            };
            return Err(Error::config(
                missing,
                "no source",
                format!("`{present}` is set but `{missing}` is not; an API key needs both"),
            ));
        }
        if !verify_ssl {
            tracing::warn!(
                "TLS certificate verification is off for this Looker client (verify_ssl=false)"
            );
        }
        Ok(Settings {
            base_url,
            client_id,
            client_secret,
            client_id_origin,
            verify_ssl,
            timeout,
            ca_bundle,
            https_proxy,
            max_reply_bytes,
            implicit_routing,
            retry: self.retry.unwrap_or_default(),
            dev_workspace: self.dev_workspace,
        })
    }

    fn read_ini(
        &self,
        path: &Path,
        section: Option<&str>,
        required: bool,
    ) -> Result<Vec<(&'static str, Raw)>> {
        let shown = path.display().to_string();
        let text = match self.env.read_file(path) {
            Ok(Some(text)) => text,
            // The default ./looker.ini is optional, unless a section of it is asked for.
            Ok(None) if !required && section.is_none() => return Ok(Vec::new()),
            Ok(None) => {
                let why = match section {
                    Some(name) => {
                        format!("the file does not exist (section [{name}] was asked for)")
                    }
                    None => "the file does not exist".to_owned(),
                };
                return Err(Error::config("ini_file", shown, why));
            }
            Err(e) => {
                return Err(Error::config(
                    "ini_file",
                    shown,
                    format!("cannot be read: {e}"),
                ));
            }
        };
        let sections = crate::ini::parse(&text).map_err(|(line, msg)| {
            Error::config("ini_file", format!("{shown} line {line}"), msg)
        })?;
        let chosen = match section {
            Some(name) => sections.iter().find(|s| s.name == name).ok_or_else(|| {
                let has = if sections.is_empty() {
                    "it has no sections".to_owned()
                } else {
                    let names: Vec<String> =
                        sections.iter().map(|s| format!("[{}]", s.name)).collect();
                    format!("its sections are {}", names.join(", "))
                };
                Error::config(
                    "ini_section",
                    shown.clone(),
                    format!("has no section [{name}]; {has}"),
                )
            })?,
            None => match sections.first() {
                Some(first) => first,
                None if required => {
                    return Err(Error::config("ini_file", shown, "has no section"));
                }
                None => return Ok(Vec::new()),
            },
        };
        let mut out = Vec::new();
        for (key, _) in ENV_KEYS {
            if let Some(value) = chosen.get(key) {
                out.push((
                    key,
                    Raw {
                        value: value.to_owned(),
                        origin: format!("{shown} [{}]", chosen.name),
                    },
                ));
            }
        }
        Ok(out)
    }
}

/// The variable that allows plain `http://` to hosts that are not loopback.
pub const ENV_ALLOW_HTTP: &str = "LOOKER_CI_ALLOW_HTTP";

/// Refuse plain `http://` to a host that is not loopback, unless `LOOKER_CI_ALLOW_HTTP=true` in
/// `env`: the API key, tokens and the CI identity token would cross the network unencrypted.
/// Loopback stays allowed (FakeLooker, local peers, a sidecar proxy).
pub(crate) fn require_https(
    url: &str,
    setting: &str,
    origin: &str,
    env: &dyn Environment,
) -> Result<()> {
    let Ok(parsed) = Url::parse(url.trim()) else {
        return Ok(()); // the caller reports a malformed URL its own way
    };
    if parsed.scheme() != "http" || is_loopback(&parsed) {
        return Ok(());
    }
    let allowed = env
        .var(ENV_ALLOW_HTTP)
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"));
    if allowed {
        tracing::warn!(
            setting,
            host = parsed.host_str().unwrap_or(""),
            "plain http:// to a host that is not loopback, allowed by {ENV_ALLOW_HTTP}"
        );
        return Ok(());
    }
    Err(Error::config(
        setting,
        origin,
        format!(
            "`{}` is plain http:// to {}, which is not loopback: the API key and tokens would \
             cross the network unencrypted; use https://, or set {ENV_ALLOW_HTTP}=true if this \
             network is trusted",
            parsed.as_str().trim_end_matches('/'),
            parsed.host_str().unwrap_or("a host")
        ),
    ))
}

/// `localhost`, 127.0.0.0/8 or ::1.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn parse_base_url(raw: &Raw) -> Result<Url> {
    let text = raw.value.trim();
    let bad = |msg: String| Error::config(KEY_BASE_URL, raw.origin.clone(), msg);
    let mut url = Url::parse(text).map_err(|e| {
        bad(format!(
            "`{text}` is not a URL ({e}); expected e.g. https://example.cloud.looker.com"
        ))
    })?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(bad(format!(
            "scheme `{}` is not supported; use https://",
            url.scheme()
        )));
    }
    if url.host_str().is_none() {
        return Err(bad(format!("`{text}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "must not carry a user name or password; use client_id/client_secret".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment".into()));
    }
    // The official SDKs take the host only; accept a pasted `/api/4.0` and drop it.
    let path = url.path().trim_end_matches('/').to_owned();
    let path = path.strip_suffix("/api/4.0").unwrap_or(&path).to_owned();
    url.set_path(&path);
    Ok(url)
}

fn parse_bool(key: &str, raw: &Raw) -> Result<bool> {
    match raw.value.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Ok(true),
        "false" | "f" | "no" | "n" | "0" => Ok(false),
        other => Err(Error::config(
            key,
            raw.origin.clone(),
            format!("`{other}` is not a boolean; use true or false"),
        )),
    }
}

/// What a timeout may be, for the error message: 0 itself is refused (it would mean "no time").
const TIMEOUT_RANGE: &str =
    "it must be a number of seconds greater than 0 and at most 86400 (one day)";

fn valid_timeout(secs: f64) -> bool {
    secs.is_finite() && secs > 0.0 && secs <= 86_400.0
}

fn parse_timeout(raw: &Raw) -> Result<Duration> {
    let text = raw.value.trim();
    match text.parse::<f64>() {
        Ok(secs) if valid_timeout(secs) => Ok(Duration::from_secs_f64(secs)),
        _ => Err(Error::config(
            KEY_TIMEOUT,
            raw.origin.clone(),
            format!("`{text}` is not a valid timeout: {TIMEOUT_RANGE}"),
        )),
    }
}

fn parse_proxy(raw: &Raw) -> Result<Url> {
    let text = raw.value.trim();
    let url = Url::parse(text).map_err(|e| {
        Error::config(
            KEY_HTTPS_PROXY,
            raw.origin.clone(),
            format!("not a URL ({e}); expected e.g. http://proxy.internal:3128"),
        )
    })?;
    match url.scheme() {
        "http" | "https" | "socks5" | "socks5h" => Ok(url),
        other => Err(Error::config(
            KEY_HTTPS_PROXY,
            raw.origin.clone(),
            format!("scheme `{other}` is not supported; use http://, https:// or socks5://"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env() -> MapEnvironment {
        MapEnvironment::new()
    }

    fn build(env: MapEnvironment) -> Result<Settings> {
        SettingsBuilder::new()
            .environment(Arc::new(env))
            .load_defaults_from_env()
            .build()
    }

    const INI: &str = "[Looker]\nbase_url=https://ini.example.com:19999\nclient_id=ini-id\nclient_secret=ini-secret\nverify_ssl=True\ntimeout=31\n\n[Other]\nbase_url=https://other.example.com\n";

    #[test]
    fn ini_first_section_then_env_overrides() {
        let s = build(env().with_file("looker.ini", INI)).unwrap();
        assert_eq!(s.base_url.as_str(), "https://ini.example.com:19999/");
        assert_eq!(s.client_id.as_deref(), Some("ini-id"));
        assert_eq!(s.timeout, Duration::from_secs(31));

        let s = build(
            env()
                .with_file("looker.ini", INI)
                .with_var(ENV_BASE_URL, "https://env.example.com/")
                .with_var(ENV_TIMEOUT, "7")
                .with_var(ENV_CLIENT_SECRET, "env-secret"),
        )
        .unwrap();
        assert_eq!(s.base_url.as_str(), "https://env.example.com/");
        assert_eq!(s.timeout, Duration::from_secs(7));
        assert_eq!(s.client_id.as_deref(), Some("ini-id"));
        assert_eq!(
            s.client_secret.as_ref().unwrap().expose_secret(),
            "env-secret"
        );
    }

    #[test]
    fn builder_wins_over_env_and_named_section_is_used() {
        let s = SettingsBuilder::new()
            .environment(Arc::new(
                env()
                    .with_file("conf.ini", INI)
                    .with_var(ENV_BASE_URL, "https://env.example.com"),
            ))
            .ini_file("conf.ini", Some("Other"))
            .read_env_vars(true)
            .base_url("https://builder.example.com/api/4.0/")
            .build()
            .unwrap();
        assert_eq!(s.base_url.as_str(), "https://builder.example.com/");
        assert_eq!(
            s.api_url("/user"),
            "https://builder.example.com/api/4.0/user"
        );
    }

    #[test]
    fn empty_env_var_does_not_hide_ini_value() {
        let s = build(env().with_file("looker.ini", INI).with_var(ENV_TIMEOUT, "")).unwrap();
        assert_eq!(s.timeout, Duration::from_secs(31));
    }

    #[test]
    fn bad_values_name_setting_and_origin() {
        let err = build(
            env()
                .with_var(ENV_BASE_URL, "https://h.example.com")
                .with_var(ENV_TIMEOUT, "soon"),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`timeout`") && text.contains("LOOKERSDK_TIMEOUT"),
            "{text}"
        );

        let err = build(env().with_var(ENV_BASE_URL, "not a url")).unwrap_err();
        assert!(matches!(&err, Error::Config { setting, .. } if setting == "base_url"));
        assert!(err.to_string().contains("LOOKERSDK_BASE_URL"));

        let err = build(env().with_file("looker.ini", "[L]\nbase_url=ftp://x\n")).unwrap_err();
        assert!(err.to_string().contains("looker.ini [L]"), "{err}");

        let err = build(
            env()
                .with_var(ENV_BASE_URL, "https://h.example.com")
                .with_var(ENV_VERIFY_SSL, "maybe"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("verify_ssl"), "{err}");
    }

    #[test]
    fn missing_base_url_or_half_a_key_is_an_error() {
        let err = build(env()).unwrap_err();
        assert!(matches!(&err, Error::Config { setting, .. } if setting == "base_url"));
        let err = build(
            env()
                .with_var(ENV_BASE_URL, "https://h.example.com")
                .with_var(ENV_CLIENT_ID, "id"),
        )
        .unwrap_err();
        assert!(matches!(&err, Error::Config { setting, .. } if setting == "client_secret"));
    }

    #[test]
    fn options_override_env_only_when_asked_and_validate_timeout() {
        let env = Arc::new(env().with_var(ENV_BASE_URL, "https://env.example.com"));
        let options = SettingsOptions {
            base_url: Some("https://opt.example.com".into()),
            ..SettingsOptions::default()
        };
        let s = options.clone().build().unwrap();
        assert_eq!(s.base_url.as_str(), "https://opt.example.com/");
        let err = SettingsOptions {
            timeout: Some(-1.0),
            ..options
        }
        .build()
        .unwrap_err();
        assert!(matches!(&err, Error::Config { setting, .. } if setting == "timeout"));
        // Without read_env, the environment is not consulted (the builder reads `env` only then).
        let no_env = SettingsBuilder::new().environment(env).build().unwrap_err();
        assert!(matches!(no_env, Error::Config { setting, .. } if setting == "base_url"));
    }

    #[test]
    fn overlay_wins_over_its_base_and_hides_values_in_debug() {
        let base = Arc::new(
            env()
                .with_var(ENV_BASE_URL, "https://base.example.com")
                .with_var("A", "1"),
        );
        let overlay = OverlayEnvironment::new(
            [(
                ENV_BASE_URL.to_owned(),
                "https://overlay.example.com".to_owned(),
            )]
            .into(),
            base,
        );
        assert_eq!(
            overlay.var(ENV_BASE_URL).as_deref(),
            Some("https://overlay.example.com")
        );
        assert_eq!(overlay.var("A").as_deref(), Some("1"));
        assert_eq!(overlay.vars().len(), 2);
        assert!(!format!("{overlay:?}").contains("overlay.example.com"));
    }

    fn options(env: MapEnvironment) -> SettingsOptions {
        SettingsOptions {
            environment: Some(Arc::new(env)),
            ..SettingsOptions::default()
        }
    }

    #[test]
    fn a_named_section_of_the_default_looker_ini_is_used() {
        // The bindings' `from_env(section=...)`: ./looker.ini, the named section.
        let s = SettingsBuilder::new()
            .environment(Arc::new(env().with_file("looker.ini", INI)))
            .load_defaults_from_env()
            .ini_section("Other")
            .build()
            .unwrap();
        assert_eq!(s.base_url.as_str(), "https://other.example.com/");
        // `LookerClient(read_env=True, section=...)`: the same through the options.
        let s = SettingsOptions {
            read_env: true,
            section: Some("Other".into()),
            ..options(env().with_file("looker.ini", INI))
        }
        .build()
        .unwrap();
        assert_eq!(s.base_url.as_str(), "https://other.example.com/");
    }

    #[test]
    fn a_missing_section_names_the_file_and_its_sections() {
        let err = SettingsOptions {
            read_env: true,
            section: Some("Nope".into()),
            ..options(env().with_file("looker.ini", INI))
        }
        .build()
        .unwrap_err();
        assert!(matches!(&err, Error::Config { setting, .. } if setting == "ini_section"));
        let text = err.to_string();
        assert!(
            text.contains("looker.ini")
                && text.contains("[Nope]")
                && text.contains("[Looker], [Other]"),
            "{text}"
        );
        // A section asked of a ./looker.ini that does not exist.
        let err = SettingsOptions {
            read_env: true,
            section: Some("CI".into()),
            ..options(env().with_var(ENV_BASE_URL, "https://h.example.com"))
        }
        .build()
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("looker.ini") && text.contains("does not exist") && text.contains("[CI]"),
            "{text}"
        );
        // A section while no file is read at all.
        let err = SettingsOptions {
            section: Some("CI".into()),
            base_url: Some("https://h.example.com".into()),
            ..options(env().with_file("looker.ini", INI))
        }
        .build()
        .unwrap_err();
        assert!(err.to_string().contains("read_env"), "{err}");
    }

    #[test]
    fn plain_http_base_url_is_refused_unless_loopback_or_allowed() {
        let err = build(env().with_var(ENV_BASE_URL, "http://looker.example.com")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("base_url")
                && text.contains("not loopback")
                && text.contains(ENV_ALLOW_HTTP),
            "{text}"
        );
        for ok in [
            "http://127.0.0.1:9999",
            "http://localhost",
            "http://[::1]:8080",
        ] {
            build(env().with_var(ENV_BASE_URL, ok)).unwrap();
        }
        build(
            env()
                .with_var(ENV_BASE_URL, "http://looker.example.com")
                .with_var(ENV_ALLOW_HTTP, "true"),
        )
        .unwrap();
    }

    #[test]
    fn max_reply_bytes_is_read_and_checked() {
        let base = || env().with_var(ENV_BASE_URL, "https://x.example.com");
        assert_eq!(
            build(base()).unwrap().max_reply_bytes,
            DEFAULT_MAX_REPLY_BYTES
        );
        let s = build(base().with_var(ENV_MAX_REPLY_BYTES, "1048576")).unwrap();
        assert_eq!(s.max_reply_bytes, 1_048_576);
        let err = build(base().with_var(ENV_MAX_REPLY_BYTES, "12")).unwrap_err();
        assert!(err.to_string().contains("at least 1024"), "{err}");
    }

    #[test]
    fn the_timeout_message_says_the_exact_range() {
        for bad in ["0", "-1", "86401", "soon"] {
            let err = build(
                env()
                    .with_var(ENV_BASE_URL, "https://h.example.com")
                    .with_var(ENV_TIMEOUT, bad),
            )
            .unwrap_err()
            .to_string();
            assert!(
                err.contains(&format!("`{bad}`"))
                    && err.contains("greater than 0 and at most 86400")
                    && !err.contains("between"),
                "{err}"
            );
        }
        let err = SettingsOptions {
            base_url: Some("https://h.example.com".into()),
            timeout: Some(0.0),
            ..SettingsOptions::default()
        }
        .build()
        .unwrap_err()
        .to_string();
        assert!(err.contains("greater than 0 and at most 86400"), "{err}");
        // Sub-second timeouts stay valid.
        let s = build(
            env()
                .with_var(ENV_BASE_URL, "https://h.example.com")
                .with_var(ENV_TIMEOUT, "0.5"),
        )
        .unwrap();
        assert_eq!(s.timeout, Duration::from_millis(500));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = build(
            env()
                .with_var(ENV_BASE_URL, "https://h.example.com")
                .with_var(ENV_CLIENT_ID, "id")
                .with_var(ENV_CLIENT_SECRET, "s3cr3t-value")
                .with_var(ENV_HTTPS_PROXY, "http://user:pw-in-proxy@proxy:3128"),
        )
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(!shown.contains("pw-in-proxy"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
    }
}
