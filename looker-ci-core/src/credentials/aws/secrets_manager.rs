//! The Looker API key from AWS Secrets Manager (`GetSecretValue`, SigV4-signed with temporary
//! credentials from STS). The AWS credentials are kept in a [`TokenCache`] and refreshed ahead of
//! their `Expiration`; the API key itself is fetched at every Looker login.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use secrecy::{ExposeSecret, SecretString};

use super::config::AwsConfig;
use super::sts::{AwsCredentials, StsWebIdentity};
use crate::credentials::{ApiCredentials, CredentialProvider};
use crate::error::{Error, Result};
use crate::token_cache::{RefreshPolicy, TokenCache};

const PROVIDER: &str = "aws-secrets-manager";

/// A [`CredentialProvider`]: CI identity -> STS -> Secrets Manager -> Looker API key.
pub struct SecretsManagerProvider {
    sts: StsWebIdentity,
    aws: TokenCache<Arc<AwsCredentials>>,
    http: reqwest::Client,
    config: AwsConfig,
}

impl fmt::Debug for SecretsManagerProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretsManagerProvider")
            .field("secret_id", &self.config.secret_id)
            .field("region", &self.config.region)
            .field("sts", &self.sts)
            .finish_non_exhaustive()
    }
}

fn fail(message: String) -> Error {
    Error::Credentials {
        provider: PROVIDER.into(),
        message,
    }
}

impl SecretsManagerProvider {
    /// A provider reading `config`'s secret with AWS credentials from `sts`, cached and refreshed
    /// ahead of their expiry by `policy`. `http` should not follow redirects.
    pub fn new(
        config: AwsConfig,
        sts: StsWebIdentity,
        policy: RefreshPolicy,
        http: reqwest::Client,
    ) -> Self {
        SecretsManagerProvider {
            sts,
            aws: TokenCache::new("aws credentials", policy),
            http,
            config,
        }
    }

    /// A secret-free account of where the key comes from, for `describe()`.
    pub fn describe(&self) -> String {
        format!(
            "Secrets Manager secret {:?} in {}, read as role {} assumed with the identity token \
             from {}",
            self.config.secret_id,
            self.config.region,
            self.config.role_arn,
            self.sts.identity_name()
        )
    }

    /// The temporary AWS credentials in use (assuming the role if none are cached or they are
    /// due for refresh), for callers that want to make further AWS calls with them.
    pub async fn aws_credentials(&self) -> Result<crate::token_cache::Cached<Arc<AwsCredentials>>> {
        let sts = self.sts.clone();
        self.aws
            .get(move || async move { sts.assume_role().await })
            .await
    }

    async fn get_secret_value(&self, credentials: &AwsCredentials) -> Result<(u16, String)> {
        let body = serde_json::json!({ "SecretId": self.config.secret_id }).to_string();
        let identity: Identity = aws_credential_types::Credentials::new(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.expose_secret().to_owned(),
            Some(credentials.session_token.expose_secret().to_owned()),
            Some(credentials.expiration),
            "looker-ci",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.config.region)
            .name("secretsmanager")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| fail(format!("cannot sign the request: {e}")))?
            .into();
        let url = &self.config.secrets_manager_endpoint;
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "secretsmanager.GetSecretValue"),
        ];
        let signable = SignableRequest::new(
            "POST",
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| fail(format!("cannot sign the request: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| fail(format!("cannot sign the request: {e}")))?
            .into_parts();
        let mut request = self.http.post(url).body(body.clone());
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request = request.header(name, value);
        }
        let reply = request.send().await.map_err(|e| {
            fail(format!(
                "Secrets Manager is unreachable: {}",
                e.without_url()
            ))
        })?;
        let status = reply.status().as_u16();
        let text = reply.text().await.map_err(|e| {
            fail(format!(
                "the Secrets Manager reply could not be read: {}",
                e.without_url()
            ))
        })?;
        Ok((status, text))
    }

    /// What a refused `GetSecretValue` means, and whether the AWS credentials were the cause.
    pub(crate) fn explain(config: &AwsConfig, status: u16, body: &str) -> (bool, Error) {
        #[derive(serde::Deserialize)]
        struct AwsError {
            #[serde(rename = "__type")]
            kind: Option<String>,
            #[serde(alias = "Message")]
            message: Option<String>,
        }
        // JSON errors from the service itself; XML ones from the signature/authorization layer.
        let parsed: Option<AwsError> = serde_json::from_str(body).ok();
        let kind = parsed
            .as_ref()
            .and_then(|e| e.kind.clone())
            .map(|k| k.rsplit('#').next().unwrap_or_default().to_owned())
            .or_else(|| super::xml::text(body, "Code"))
            .unwrap_or_else(|| format!("HTTP {status}"));
        let message = parsed
            .and_then(|e| e.message)
            .or_else(|| super::xml::text(body, "Message"))
            .unwrap_or_default();
        let secret = &config.secret_id;
        let base = format!("GetSecretValue {kind}: {message}");
        let expired = matches!(
            kind.as_str(),
            "ExpiredTokenException" | "UnrecognizedClientException" | "InvalidClientTokenId"
        );
        let hint = match kind.as_str() {
            "ResourceNotFoundException" => format!(
                ". No secret {secret:?} in {}: check {} and AWS_REGION",
                config.region,
                super::ENV_SECRET_ID
            ),
            "AccessDeniedException" | "AccessDenied" => format!(
                ". The role {} needs secretsmanager:GetSecretValue on {secret:?} (and \
                 kms:Decrypt if the secret uses a customer-managed key)",
                config.role_arn
            ),
            _ => String::new(),
        };
        (expired, fail(format!("{base}{hint}")))
    }

    /// The Looker API key from a `GetSecretValue` reply: its `SecretString`, a JSON object.
    pub(crate) fn parse_api_key(config: &AwsConfig, body: &str) -> Result<ApiCredentials> {
        #[derive(serde::Deserialize)]
        struct Reply {
            #[serde(rename = "SecretString")]
            secret_string: Option<String>,
        }
        let secret = serde_json::from_str::<Reply>(body)
            .ok()
            .and_then(|r| r.secret_string)
            .map(SecretString::from)
            .ok_or_else(|| {
                fail(format!(
                    "secret {:?} has no SecretString (binary secrets are not supported)",
                    config.secret_id
                ))
            })?;
        let fields: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(secret.expose_secret()).map_err(|_| {
                fail(format!(
                    "secret {:?} is not a JSON object; store {{\"{}\": ..., \"{}\": ...}}",
                    config.secret_id, config.client_id_key, config.client_secret_key
                ))
            })?;
        let get = |key: &str| {
            fields
                .get(key)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    let keys: Vec<&String> = fields.keys().collect();
                    fail(format!(
                        "secret {:?} has no string field {key:?} (its fields: {keys:?}); set {} / {} \
                         if the key names differ",
                        config.secret_id,
                        super::ENV_SECRET_CLIENT_ID_KEY,
                        super::ENV_SECRET_CLIENT_SECRET_KEY
                    ))
                })
        };
        Ok(ApiCredentials {
            client_id: get(&config.client_id_key)?,
            client_secret: SecretString::from(get(&config.client_secret_key)?),
            expires_at: None,
        })
    }
}

#[async_trait]
impl CredentialProvider for SecretsManagerProvider {
    fn name(&self) -> &str {
        PROVIDER
    }

    async fn api_credentials(&self) -> Result<ApiCredentials> {
        let mut credentials = self.aws_credentials().await?;
        let mut renewed = false;
        loop {
            let (status, body) = self.get_secret_value(&credentials.value).await?;
            if (200..300).contains(&status) {
                tracing::debug!(secret_id = %self.config.secret_id, "read the Looker API key from Secrets Manager");
                return Self::parse_api_key(&self.config, &body);
            }
            let (expired, error) = Self::explain(&self.config, status, &body);
            if expired && !renewed {
                // AWS no longer accepts these credentials: drop them, assume the role again once.
                renewed = true;
                self.aws.invalidate(credentials.generation);
                credentials = self.aws_credentials().await?;
                continue;
            }
            return Err(error);
        }
    }
}
