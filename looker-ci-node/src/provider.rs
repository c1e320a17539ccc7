//! A JS function as a core `CredentialProvider` (the adapter pattern: the core never knows it is
//! talking to JS). The function takes no argument and returns (a Promise of)
//! `{ clientId, clientSecret }`; the facade wraps it so it always returns a Promise.

use std::fmt;

use looker_ci_core::{
    ApiCredentials, CredentialProvider, Error, Result, SecretString, async_trait,
};
use napi::Status;
use napi::bindgen_prelude::Promise;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;

/// What a credentials function resolves to.
#[napi(object)]
pub struct ApiKey {
    pub client_id: String,
    pub client_secret: String,
}

/// Weak: a pending provider does not keep Node's event loop alive.
pub type CredentialsFn = ThreadsafeFunction<(), Promise<ApiKey>, (), Status, false, true>;

pub struct JsCredentialProvider {
    function: CredentialsFn,
}

impl fmt::Debug for JsCredentialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JsCredentialProvider")
    }
}

impl JsCredentialProvider {
    pub fn new(function: CredentialsFn) -> Self {
        JsCredentialProvider { function }
    }
}

fn fail(message: String) -> Error {
    Error::Credentials {
        provider: "js-function".into(),
        message,
    }
}

#[async_trait]
impl CredentialProvider for JsCredentialProvider {
    fn name(&self) -> &str {
        "js-function"
    }

    async fn api_credentials(&self) -> Result<ApiCredentials> {
        let promise = self
            .function
            .call_async(())
            .await
            .map_err(|e| fail(format!("the credentials function failed: {}", e.reason)))?;
        let key = promise
            .await
            .map_err(|e| fail(format!("the credentials function rejected: {}", e.reason)))?;
        Ok(ApiCredentials::new(
            key.client_id,
            SecretString::from(key.client_secret),
        ))
    }
}
