//! STS `AssumeRoleWithWebIdentity`: an unsigned form POST carrying the job's OIDC token; the
//! XML reply holds temporary AWS credentials. Errors are mapped by STS error code.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use secrecy::{ExposeSecret, SecretString};

use super::config::AwsConfig;
use super::xml;
use crate::credentials::identity::{IdentityToken, IdentityTokenSource};
use crate::error::{Error, Result};
use crate::retry::{Attempt, RetryPolicy};
use crate::token_cache::{Expiring, Expiry};

const PROVIDER: &str = "aws-sts";

/// Temporary AWS credentials. Secrets are redacted in `Debug`.
#[derive(Clone)]
pub struct AwsCredentials {
    /// The temporary access key id (not a secret).
    pub access_key_id: String,
    /// The secret access key that signs requests.
    pub secret_access_key: SecretString,
    /// The session token sent with every signed request (`X-Amz-Security-Token`).
    pub session_token: SecretString,
    /// When STS says these credentials stop working.
    pub expiration: SystemTime,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[REDACTED]")
            .field("session_token", &"[REDACTED]")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// How one STS attempt failed, which decides what happens next.
enum Failure {
    /// Throttling, `IDPCommunicationError`, 5xx, connection errors: back off and retry.
    Retry(Error),
    /// `InvalidIdentityToken`, `ExpiredTokenException`: try once more with a fresh token.
    TokenRejected(Error),
    /// Anything else: report it.
    Fatal(Error),
}

/// Exchanges the CI identity token for temporary AWS credentials. Does not cache.
#[derive(Clone)]
pub struct StsWebIdentity {
    http: reqwest::Client,
    endpoint: String,
    role_arn: String,
    session_name: String,
    duration_secs: Option<u32>,
    identity: Arc<dyn IdentityTokenSource>,
    audience: Option<String>,
    retry: RetryPolicy,
}

impl fmt::Debug for StsWebIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsWebIdentity")
            .field("endpoint", &self.endpoint)
            .field("role_arn", &self.role_arn)
            .field("identity", &self.identity.name())
            .finish_non_exhaustive()
    }
}

impl StsWebIdentity {
    /// An exchange for the role, session name, duration and STS endpoint of `config`, with tokens
    /// from `identity`; a token without `audience` in its `aud` (when given) is refused before it
    /// is sent. `http` should not follow redirects.
    pub fn new(
        config: &AwsConfig,
        identity: Arc<dyn IdentityTokenSource>,
        audience: Option<String>,
        http: reqwest::Client,
    ) -> Self {
        StsWebIdentity {
            http,
            endpoint: config.sts_endpoint.clone(),
            role_arn: config.role_arn.clone(),
            session_name: config.role_session_name.clone(),
            duration_secs: config.duration_secs,
            identity,
            audience,
            retry: RetryPolicy::default(),
        }
    }

    /// Use this retry policy for throttling and transient STS errors.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The identity source's name, for `describe()`.
    pub fn identity_name(&self) -> String {
        self.identity.name()
    }

    async fn fresh_identity(&self) -> Result<IdentityToken> {
        let token = self.identity.identity_token().await?;
        token.check(&self.identity.name(), self.audience.as_deref())?;
        Ok(token)
    }

    /// Assume the role. Retries transient failures within the retry policy; a rejected identity
    /// token is replaced by a fresh one once.
    pub async fn assume_role(&self) -> Result<Expiring<Arc<AwsCredentials>>> {
        let first = self.fresh_identity().await?;
        // A rejected identity token is replaced once, at once, without using up a retry.
        let token = tokio::sync::Mutex::new((first, false));
        let token = &token;
        let outcome = self
            .retry
            .run("STS AssumeRoleWithWebIdentity", None, |_| async move {
                let mut token = token.lock().await;
                let failure = match self.call(&token.0).await {
                    Ok(credentials) => return Attempt::Done(Ok(credentials)),
                    Err(Failure::TokenRejected(error)) if !token.1 => {
                        tracing::debug!(
                            code = error.code(),
                            "STS rejected the identity token; trying a fresh one"
                        );
                        match self.fresh_identity().await {
                            Ok(fresh) => *token = (fresh, true),
                            Err(error) => return Attempt::Done(Err(error)),
                        }
                        match self.call(&token.0).await {
                            Ok(credentials) => return Attempt::Done(Ok(credentials)),
                            Err(failure) => failure,
                        }
                    }
                    Err(failure) => failure,
                };
                match failure {
                    Failure::Retry(error) => Attempt::Again {
                        outcome: Err(error),
                        retry_after: None,
                    },
                    Failure::TokenRejected(error) | Failure::Fatal(error) => {
                        Attempt::Done(Err(error))
                    }
                }
            })
            .await;
        let credentials = outcome?;
        tracing::debug!(role = %self.role_arn, "assumed the AWS role with the CI identity token");
        Ok(Expiring {
            expiry: Expiry::At(credentials.expiration),
            value: Arc::new(credentials),
        })
    }

    async fn call(&self, token: &IdentityToken) -> std::result::Result<AwsCredentials, Failure> {
        let mut form = vec![
            ("Action", "AssumeRoleWithWebIdentity".to_owned()),
            ("Version", "2011-06-15".to_owned()),
            ("RoleArn", self.role_arn.clone()),
            ("RoleSessionName", self.session_name.clone()),
            (
                "WebIdentityToken",
                token.secret().expose_secret().to_owned(),
            ),
        ];
        if let Some(duration) = self.duration_secs {
            form.push(("DurationSeconds", duration.to_string()));
        }
        let body = SecretString::from(serde_urlencoded::to_string(&form).unwrap_or_default());
        drop(form);
        let reply = self
            .http
            .post(&self.endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/xml")
            .body(body.expose_secret().to_owned())
            .send()
            .await
            .map_err(|e| {
                Failure::Retry(fail(format!("STS is unreachable: {}", e.without_url())))
            })?;
        let status = reply.status().as_u16();
        let text = reply.text().await.map_err(|e| {
            Failure::Retry(fail(format!(
                "the STS reply could not be read: {}",
                e.without_url()
            )))
        })?;
        if (200..300).contains(&status) {
            return parse_credentials(&text).map_err(Failure::Fatal);
        }
        Err(self.classify(status, &text, token))
    }

    fn classify(&self, status: u16, body: &str, token: &IdentityToken) -> Failure {
        let code = xml::text(body, "Code").unwrap_or_else(|| format!("HTTP {status}"));
        let message = xml::text(body, "Message").unwrap_or_default();
        let request_id = xml::text(body, "RequestId")
            .map(|id| format!(" (request id {id})"))
            .unwrap_or_default();
        let base = format!("STS {code}: {message}{request_id}");
        let claims = token.claims();
        match code.as_str() {
            "IDPCommunicationError"
            | "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "ServiceUnavailable"
            | "InternalFailure" => Failure::Retry(fail(base)),
            _ if status >= 500 => Failure::Retry(fail(base)),
            "InvalidIdentityToken" | "ExpiredTokenException" => {
                Failure::TokenRejected(fail(format!(
                    "{base}. The identity token was refused twice; check that the IAM OIDC provider \
                 for issuer {:?} exists in the account and that its thumbprint/JWKS is current",
                    claims.iss.as_deref().unwrap_or("?")
                )))
            }
            "IDPRejectedClaim" | "AccessDenied" | "AccessDeniedException" => {
                let host = claims
                    .iss
                    .as_deref()
                    .map(|i| i.trim_start_matches("https://").trim_end_matches('/'))
                    .unwrap_or("<issuer>");
                Failure::Fatal(fail(format!(
                    "{base}. Check the trust policy of {}: its Federated principal must be the \
                     OIDC provider of {host}, the condition on `{host}:aud` must allow {:?}, and \
                     the one on `{host}:sub` must allow {:?}",
                    self.role_arn,
                    claims.aud,
                    claims.sub.as_deref().unwrap_or("?")
                )))
            }
            "RegionDisabledException" => Failure::Fatal(fail(format!(
                "{base}. STS is not activated in this region: activate it under IAM > Account \
                 settings, or point AWS_REGION / AWS_ENDPOINT_URL_STS at an active region"
            ))),
            _ => Failure::Fatal(fail(base)),
        }
    }
}

fn fail(message: String) -> Error {
    Error::Credentials {
        provider: PROVIDER.into(),
        message,
    }
}

pub(crate) fn parse_credentials(xml_text: &str) -> Result<AwsCredentials> {
    let field = |tag: &str| {
        xml::text(xml_text, tag).ok_or_else(|| fail(format!("the STS reply has no <{tag}>")))
    };
    let expiration = field("Expiration")?;
    let expiration = DateTime::from_str(&expiration, Format::DateTime)
        .ok()
        .and_then(|dt| SystemTime::try_from(dt).ok())
        .ok_or_else(|| {
            fail(format!(
                "the STS reply's Expiration {expiration:?} is not a date"
            ))
        })?;
    Ok(AwsCredentials {
        access_key_id: field("AccessKeyId")?,
        secret_access_key: SecretString::from(field("SecretAccessKey")?),
        session_token: SecretString::from(field("SessionToken")?),
        expiration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_sts_reply() {
        let reply = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleWithWebIdentityResult><Credentials>
            <AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>sk</SecretAccessKey>
            <SessionToken>st</SessionToken><Expiration>2030-01-02T03:04:05Z</Expiration>
          </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"#;
        let c = parse_credentials(reply).unwrap();
        assert_eq!(c.access_key_id, "ASIAEXAMPLE");
        assert_eq!(
            c.expiration
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            1_893_553_445
        );
        assert!(!format!("{c:?}").contains("sk"));
        assert!(parse_credentials("<x/>").is_err());
    }
}
