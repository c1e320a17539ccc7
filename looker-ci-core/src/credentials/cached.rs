//! [`CachedProvider`]: the one TTL cache policy around any [`CredentialProvider`]. Providers do
//! not cache; wrap one in this when fetching a key is expensive or rate-limited (a vault, a
//! secrets service) and the key may be reused across logins until it expires.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::{ApiCredentials, CredentialProvider};
use crate::error::Result;
use crate::token_cache::{Expiring, Expiry, RefreshPolicy, TokenCache};

/// A [`CredentialProvider`] that hands out `inner`'s API key from a single-flight cache, asking
/// `inner` again only when the key is due for refresh.
pub struct CachedProvider {
    inner: Arc<dyn CredentialProvider>,
    cache: TokenCache<ApiCredentials>,
}

impl fmt::Debug for CachedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedProvider")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl CachedProvider {
    /// Cache `inner`'s credentials: until their `expires_at` (with the policy's refresh-ahead
    /// windows), or for the policy's assumed lifetime when they carry none.
    pub fn new(inner: Arc<dyn CredentialProvider>, policy: RefreshPolicy) -> Self {
        CachedProvider {
            inner,
            cache: TokenCache::new("api credentials", policy),
        }
    }
}

#[async_trait]
impl CredentialProvider for CachedProvider {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn api_credentials(&self) -> Result<ApiCredentials> {
        let inner = Arc::clone(&self.inner);
        let cached = self
            .cache
            .get(move || async move {
                let credentials = inner.api_credentials().await?;
                let expiry = credentials.expires_at.map_or(Expiry::Unknown, Expiry::At);
                Ok(Expiring {
                    value: credentials,
                    expiry,
                })
            })
            .await?;
        Ok(cached.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{Duration, SystemTime};

    #[derive(Debug, Default)]
    struct Counting(AtomicU32);

    #[async_trait]
    impl CredentialProvider for Counting {
        fn name(&self) -> &str {
            "counting"
        }
        async fn api_credentials(&self) -> Result<ApiCredentials> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(ApiCredentials {
                client_id: format!("id-{n}"),
                client_secret: SecretString::from("s".to_owned()),
                expires_at: Some(SystemTime::now() + Duration::from_secs(3600)),
            })
        }
    }

    #[tokio::test]
    async fn many_concurrent_logins_share_one_fetch() {
        let inner = Arc::new(Counting::default());
        let cached = Arc::new(CachedProvider::new(inner.clone(), RefreshPolicy::default()));
        let calls: Vec<_> = (0..100)
            .map(|_| {
                let cached = Arc::clone(&cached);
                tokio::spawn(async move { cached.api_credentials().await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap().client_id, "id-0");
        }
        assert_eq!(inner.0.load(Ordering::SeqCst), 1);
        assert_eq!(cached.name(), "counting");
    }
}
