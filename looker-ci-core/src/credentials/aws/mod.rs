//! AWS: temporary credentials from STS `AssumeRoleWithWebIdentity` (the CI job's OIDC token as
//! the web identity), and the Looker API key from Secrets Manager `GetSecretValue`, signed with
//! SigV4 using those credentials.

mod config;
pub(crate) mod secrets_manager;
pub(crate) mod sts;
pub(crate) mod xml;

pub use config::{
    AwsConfig, ENV_DEFAULT_REGION, ENV_ENDPOINT_URL, ENV_ENDPOINT_URL_SECRETS_MANAGER,
    ENV_ENDPOINT_URL_STS, ENV_REGION, ENV_ROLE_ARN, ENV_ROLE_DURATION, ENV_ROLE_SESSION_NAME,
    ENV_SECRET_CLIENT_ID_KEY, ENV_SECRET_CLIENT_SECRET_KEY, ENV_SECRET_ID,
};
pub use secrets_manager::SecretsManagerProvider;
pub use sts::{AwsCredentials, StsWebIdentity};
