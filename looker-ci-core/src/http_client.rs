//! What every HTTP client of looker-ci shares (the Looker transport's and the credential
//! providers'): the user agent and the network settings (CA bundle, proxy). A leaf: it knows
//! settings, nothing above them.

use crate::error::{Error, Result};
use crate::settings::Settings;

/// The product token of the `User-Agent` (outside CI the whole value; in CI the run follows it,
/// see [`crate::ci_run::user_agent`]) and the `x-looker-appid` value sent on every request.
pub const USER_AGENT: &str = concat!("looker-ci/", env!("CARGO_PKG_VERSION"));

/// Apply the CA bundle and proxy of `settings` to an HTTP client builder (the Looker transport
/// and the credential providers' client share these).
pub(crate) fn with_network_settings(
    mut builder: reqwest::ClientBuilder,
    settings: &Settings,
) -> Result<reqwest::ClientBuilder> {
    if let Some(path) = &settings.ca_bundle {
        let origin = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| {
            Error::config("ca_bundle", origin.clone(), format!("cannot be read: {e}"))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            Error::config(
                "ca_bundle",
                origin.clone(),
                format!("is not a PEM bundle: {e}"),
            )
        })?;
        if certs.is_empty() {
            return Err(Error::config("ca_bundle", origin, "holds no certificate"));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if let Some(proxy) = &settings.https_proxy {
        let proxy = reqwest::Proxy::all(proxy.as_str())
            .map_err(|e| Error::config("https_proxy", "settings", format!("is not usable: {e}")))?;
        builder = builder.proxy(proxy);
    }
    Ok(builder)
}
