//! One TTL cache for every short-lived secret: the Looker access token and, later, each
//! credential a provider produces.
//!
//! Policy (DESIGN.md, "Token cache policy"):
//! - Single flight: one refresh runs at a time; everyone who needs it awaits the same shared
//!   future and gets its result. A failed refresh is handed to those waiters, then forgotten.
//! - Refresh ahead in proportion to the lifetime. In the *advisory* window (about
//!   min(5 min, 25% of the lifetime), jittered) one caller refreshes while the others keep using the
//!   still-valid value; if that refresh fails, the caller also keeps the old value. In the
//!   *mandatory* window (min(60 s, 10%)) and after expiry every caller waits for the refresh.
//! - Lifetimes are clamped to `[min_lifetime, max_lifetime]`, so a reported lifetime of 0 s never
//!   turns into one refresh per call. Relative lifetimes run on the monotonic clock; absolute
//!   expiries (JWT `exp`, STS `Expiration`) are converted once, minus a clock-skew allowance.
//! - [`TokenCache::invalidate`] drops a value the server rejected, but only if it is still the
//!   current generation: every caller that saw the same rejection shares one refresh.

use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::time::Instant;

use crate::error::{Error, Result};

/// When a freshly obtained value stops being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Valid for this long from the moment it was received (`expires_in`).
    In(Duration),
    /// Valid until this wall-clock time (JWT `exp`, STS `Expiration`).
    At(SystemTime),
    /// The source did not say; [`RefreshPolicy::assumed_lifetime`] is used.
    Unknown,
}

/// A value and its expiry, as a refresh produces it.
#[derive(Debug, Clone)]
pub struct Expiring<T> {
    /// The value obtained (a token, a key).
    pub value: T,
    /// How long the source says it is valid.
    pub expiry: Expiry,
}

/// A value handed out by the cache, with the generation it belongs to (for [`TokenCache::invalidate`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Cached<T> {
    /// The cached value.
    pub value: T,
    /// The refresh that produced it, counted from 1 per cache; pass it to
    /// [`TokenCache::invalidate`] when the server rejects the value.
    pub generation: u64,
}

/// Tunables of the refresh-ahead policy. The defaults follow DESIGN.md.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshPolicy {
    /// Longest advisory window (default 5 min): before expiry, one caller refreshes while the
    /// others keep the still-valid value.
    pub advisory_max: Duration,
    /// The advisory window as a fraction of the lifetime (default 0.25), when shorter than
    /// `advisory_max`.
    pub advisory_fraction: f64,
    /// Longest mandatory window (default 60 s): before expiry, every caller waits for the
    /// refresh. Never longer than the advisory window.
    pub mandatory_max: Duration,
    /// The mandatory window as a fraction of the lifetime (default 0.10), when shorter than
    /// `mandatory_max`.
    pub mandatory_fraction: f64,
    /// Up to this fraction of the advisory window is added at random to its start, so that many
    /// clients sharing one credential do not all refresh at the same instant.
    pub jitter_fraction: f64,
    /// Shorter lifetimes (including 0 and negative) are raised to this.
    pub min_lifetime: Duration,
    /// Longer lifetimes are lowered to this.
    pub max_lifetime: Duration,
    /// Lifetime assumed when the source gives none.
    pub assumed_lifetime: Duration,
    /// Taken off absolute expiries to allow for clock skew between us and the issuer; at most
    /// 10% of the remaining lifetime, so short-lived credentials stay usable.
    pub clock_skew: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            advisory_max: Duration::from_secs(300),
            advisory_fraction: 0.25,
            mandatory_max: Duration::from_secs(60),
            mandatory_fraction: 0.10,
            jitter_fraction: 0.2,
            min_lifetime: Duration::from_secs(1),
            max_lifetime: Duration::from_secs(24 * 3600),
            assumed_lifetime: Duration::from_secs(15 * 60),
            clock_skew: Duration::from_secs(30),
        }
    }
}

impl RefreshPolicy {
    /// The effective lifetime of a value received now, clamped into the sane range.
    pub fn lifetime(&self, expiry: Expiry, what: &str) -> Duration {
        let raw = match expiry {
            Expiry::In(d) => d,
            Expiry::At(when) => match when.duration_since(SystemTime::now()) {
                Ok(left) => left.saturating_sub(self.clock_skew.min(left / 10)),
                Err(_) => Duration::ZERO,
            },
            Expiry::Unknown => {
                tracing::debug!(
                    what,
                    assumed_secs = self.assumed_lifetime.as_secs(),
                    "no usable lifetime given; assuming one"
                );
                return self.assumed_lifetime;
            }
        };
        if raw < self.min_lifetime {
            tracing::debug!(
                what,
                reported_ms = raw.as_millis() as u64,
                used_ms = self.min_lifetime.as_millis() as u64,
                "lifetime too short; clamped up"
            );
            self.min_lifetime
        } else if raw > self.max_lifetime {
            tracing::debug!(
                what,
                reported_secs = raw.as_secs(),
                used_secs = self.max_lifetime.as_secs(),
                "lifetime too long; clamped down"
            );
            self.max_lifetime
        } else {
            raw
        }
    }

    fn windows(&self, lifetime: Duration) -> (Duration, Duration) {
        let advisory = self
            .advisory_max
            .min(lifetime.mul_f64(self.advisory_fraction));
        let mandatory = self
            .mandatory_max
            .min(lifetime.mul_f64(self.mandatory_fraction))
            .min(advisory);
        (advisory, mandatory)
    }
}

#[derive(Clone)]
struct Entry<T> {
    value: T,
    generation: u64,
    advisory_at: Instant,
    mandatory_at: Instant,
    /// Refreshes ahead of expiry that failed in a row while this value stayed valid.
    failed_ahead: u32,
}

/// First pause after a failed refresh ahead of expiry; doubles per failure up to
/// [`AHEAD_BACKOFF_MAX`], with jitter, never past the mandatory window.
const AHEAD_BACKOFF_BASE: Duration = Duration::from_secs(1);
const AHEAD_BACKOFF_MAX: Duration = Duration::from_secs(30);

type SharedRefresh<T> = Shared<BoxFuture<'static, Result<Cached<T>>>>;

struct State<T> {
    entry: Option<Entry<T>>,
    inflight: Option<SharedRefresh<T>>,
    generation: u64,
}

struct Inner<T> {
    state: Mutex<State<T>>,
    policy: RefreshPolicy,
    what: &'static str,
}

/// A TTL cache with single-flight refresh. Cloning shares the cache.
pub struct TokenCache<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for TokenCache<T> {
    fn clone(&self) -> Self {
        TokenCache {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> std::fmt::Debug for TokenCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("what", &self.inner.what)
            .finish_non_exhaustive()
    }
}

enum Step<T> {
    /// Refresh in the advisory window; fall back to the old value if it fails.
    RefreshAhead(SharedRefresh<T>, Cached<T>),
    /// No usable value: wait for the (possibly shared) refresh.
    Wait(SharedRefresh<T>),
}

impl<T: Clone + Send + Sync + 'static> TokenCache<T> {
    /// An empty cache; `what` names the cached thing in log lines (never its value).
    pub fn new(what: &'static str, policy: RefreshPolicy) -> Self {
        TokenCache {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    entry: None,
                    inflight: None,
                    generation: 0,
                }),
                policy,
                what,
            }),
        }
    }

    /// The cached value if it is fresh enough, else the result of a (shared) refresh made with
    /// `fetch`. `fetch` is called only by the caller that starts a refresh.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Cached<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Expiring<T>>> + Send + 'static,
    {
        let step = {
            let mut state = self.lock();
            let now = Instant::now();
            match &state.entry {
                Some(e) if now < e.advisory_at => return Ok(e.cached()),
                Some(e) if now < e.mandatory_at => {
                    let old = e.cached();
                    if state.inflight.is_some() {
                        return Ok(old);
                    }
                    Step::RefreshAhead(self.start(&mut state, fetch()), old)
                }
                _ => match &state.inflight {
                    Some(refresh) => Step::Wait(refresh.clone()),
                    None => Step::Wait(self.start(&mut state, fetch())),
                },
            }
        };
        match step {
            Step::Wait(refresh) => refresh.await,
            Step::RefreshAhead(refresh, old) => match refresh.await {
                Ok(fresh) => Ok(fresh),
                Err(error) => {
                    tracing::warn!(
                        what = self.inner.what,
                        code = error.code(),
                        "refresh ahead of expiry failed; using the still-valid value"
                    );
                    Ok(old)
                }
            },
        }
    }

    /// The current value without refreshing, if one is cached and not expired past its
    /// mandatory window.
    pub fn peek(&self) -> Option<Cached<T>> {
        let state = self.lock();
        state
            .entry
            .as_ref()
            .filter(|e| Instant::now() < e.mandatory_at)
            .map(Entry::cached)
    }

    /// Drop the value of `generation` (the server rejected it). A no-op when a newer value is
    /// already cached, so callers that saw the same rejection share one refresh.
    pub fn invalidate(&self, generation: u64) {
        let mut state = self.lock();
        if state.entry.as_ref().map(|e| e.generation) == Some(generation) {
            tracing::debug!(
                what = self.inner.what,
                generation,
                "cached value rejected; dropping it"
            );
            state.entry = None;
        }
    }

    /// Forget the cached value and return it (for logout).
    pub fn take(&self) -> Option<T> {
        self.lock().entry.take().map(|e| e.value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        // A panic while holding the lock leaves the state consistent (every update is one
        // assignment), so a poisoned lock is safe to reuse.
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn start<Fut>(&self, state: &mut State<T>, fetch: Fut) -> SharedRefresh<T>
    where
        Fut: Future<Output = Result<Expiring<T>>> + Send + 'static,
    {
        // Weak: the in-flight future is stored in the state it updates.
        let inner: Weak<Inner<T>> = Arc::downgrade(&self.inner);
        let what = self.inner.what;
        let refresh = async move {
            // A panicking fetch must not poison the shared future: every later caller would
            // await it and panic too. It fails this refresh like any error, and is forgotten.
            let during = format!("the refresh of the {what}");
            let result = crate::panic_guard::catch_panic(&during, fetch).await;
            let Some(inner) = inner.upgrade() else {
                return result.map(|e| Cached {
                    value: e.value,
                    generation: 0,
                });
            };
            let mut state = inner.state.lock().unwrap_or_else(|p| p.into_inner());
            state.inflight = None;
            let expiring = match result {
                Ok(expiring) => expiring,
                Err(error) => {
                    // While the old value is still valid, the next attempt waits (bounded,
                    // jittered) instead of coming with the very next call.
                    if let Some(entry) = state.entry.as_mut() {
                        entry.back_off_after_failure(what);
                    }
                    return Err(error);
                }
            };
            state.generation += 1;
            let entry = Entry::new(expiring, state.generation, &inner.policy, inner.what);
            let cached = entry.cached();
            state.entry = Some(entry);
            Ok(cached)
        };
        // The refresh runs as its own task: a caller that gives up (a cancelled Python or JS
        // call, a dropped future) never stops the refresh the others wait on, nor leaves it
        // half-done for the next caller to resume after its deadline has passed.
        let refresh = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let task = runtime.spawn(refresh);
                async move {
                    task.await.unwrap_or_else(|_| {
                        Err(Error::Internal {
                            message: format!(
                                "the refresh of the {what} was stopped with its runtime"
                            ),
                        })
                    })
                }
                .boxed()
            }
            Err(_) => refresh.boxed(),
        }
        .shared();
        state.inflight = Some(refresh.clone());
        refresh
    }
}

impl<T: Clone> Entry<T> {
    fn new(expiring: Expiring<T>, generation: u64, policy: &RefreshPolicy, what: &str) -> Self {
        let now = Instant::now();
        let lifetime = policy.lifetime(expiring.expiry, what);
        let (advisory, mandatory) = policy.windows(lifetime);
        let jitter = advisory.mul_f64(policy.jitter_fraction * fastrand::f64());
        let expires_at = now + lifetime;
        tracing::debug!(
            what,
            generation,
            lifetime_ms = lifetime.as_millis() as u64,
            "cached a fresh value"
        );
        Entry {
            value: expiring.value,
            generation,
            advisory_at: expires_at - advisory + jitter,
            mandatory_at: expires_at - mandatory,
            failed_ahead: 0,
        }
    }

    /// Push the next refresh ahead of expiry back after a failure: 1 s, 2 s, 4 s... up to 30 s,
    /// ±20 %, but never past the mandatory window (where callers wait for a fresh value).
    fn back_off_after_failure(&mut self, what: &str) {
        let now = Instant::now();
        if now >= self.mandatory_at {
            return;
        }
        self.failed_ahead = self.failed_ahead.saturating_add(1);
        let exponent = self.failed_ahead.saturating_sub(1).min(16);
        let pause = AHEAD_BACKOFF_BASE
            .saturating_mul(1 << exponent)
            .min(AHEAD_BACKOFF_MAX)
            .mul_f64(0.8 + 0.4 * fastrand::f64());
        self.advisory_at = (now + pause).min(self.mandatory_at);
        tracing::debug!(
            what,
            failures = self.failed_ahead,
            pause_ms = pause.as_millis() as u64,
            "refresh ahead of expiry failed; next attempt after a pause"
        );
    }

    fn cached(&self) -> Cached<T> {
        Cached {
            value: self.value.clone(),
            generation: self.generation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn counter_fetch(
        calls: &Arc<AtomicU32>,
        lifetime: Duration,
    ) -> impl FnOnce() -> BoxFuture<'static, Result<Expiring<u32>>> + use<> {
        let calls = Arc::clone(calls);
        move || {
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(Expiring {
                    value: n,
                    expiry: Expiry::In(lifetime),
                })
            }
            .boxed()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_refresh_for_a_thousand_concurrent_callers() {
        let cache = TokenCache::new("test", RefreshPolicy::default());
        let calls = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let cache = cache.clone();
                let calls = Arc::clone(&calls);
                tokio::spawn(async move {
                    cache
                        .get(counter_fetch(&calls, Duration::from_secs(3600)))
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().value, 1);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_that_gives_up_does_not_stop_the_refresh() {
        let cache = TokenCache::new("test", RefreshPolicy::default());
        let calls = Arc::new(AtomicU32::new(0));
        // The only caller is cancelled while its refresh is in flight (a cancelled Python task).
        let caller = {
            let (cache, calls) = (cache.clone(), Arc::clone(&calls));
            tokio::spawn(async move {
                cache
                    .get(counter_fetch(&calls, Duration::from_secs(3600)))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        caller.abort();
        assert!(caller.await.unwrap_err().is_cancelled());
        // The refresh finishes on its own and its value is kept: the next caller neither
        // resumes a parked refresh nor starts another.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(cache.peek().map(|c| c.value), Some(1));
        let next = cache
            .get(counter_fetch(&calls, Duration::from_secs(3600)))
            .await
            .unwrap();
        assert_eq!((next.value, calls.load(Ordering::SeqCst)), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn failed_refresh_is_shared_and_not_cached() {
        let cache: TokenCache<u32> = TokenCache::new("test", RefreshPolicy::default());
        let calls = Arc::new(AtomicU32::new(0));
        let fail = |calls: &Arc<AtomicU32>| {
            let calls = Arc::clone(calls);
            move || {
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(Error::Credentials {
                        provider: "test".into(),
                        message: "nope".into(),
                    })
                }
                .boxed()
            }
        };
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let cache = cache.clone();
                let f = fail(&calls);
                tokio::spawn(async move { cache.get(f).await })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap().is_err());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            cache
                .get(counter_fetch(&calls, Duration::from_secs(60)))
                .await
                .unwrap()
                .value,
            2
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_refresh_fails_its_waiters_and_is_not_kept() {
        let cache: TokenCache<u32> = TokenCache::new("test token", RefreshPolicy::default());
        let calls = Arc::new(AtomicU32::new(0));
        let panicking = |calls: &Arc<AtomicU32>| {
            let calls = Arc::clone(calls);
            move || {
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    panic!("provider bug");
                }
                .boxed()
            }
        };
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let cache = cache.clone();
                let f = panicking(&calls);
                tokio::spawn(async move { cache.get(f).await })
            })
            .collect();
        for t in tasks {
            let error = t
                .await
                .expect("the waiter itself does not panic")
                .unwrap_err();
            assert_eq!(error.code(), "LOOKER_CI_INTERNAL");
            assert!(error.to_string().contains("test token"), "{error}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one shared refresh");
        // The next caller starts a fresh refresh instead of awaiting the poisoned one.
        let fresh = cache
            .get(counter_fetch(&calls, Duration::from_secs(60)))
            .await
            .unwrap();
        assert_eq!(fresh.value, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn advisory_window_refreshes_once_while_others_keep_the_old_value() {
        let policy = RefreshPolicy {
            jitter_fraction: 0.0,
            ..RefreshPolicy::default()
        };
        let cache = TokenCache::new("test", policy);
        let calls = Arc::new(AtomicU32::new(0));
        let lifetime = Duration::from_secs(100);
        cache.get(counter_fetch(&calls, lifetime)).await.unwrap();
        // 80 s in: inside the advisory window (last 25 s), outside the mandatory one (last 10 s).
        tokio::time::advance(Duration::from_secs(80)).await;
        let refresher = {
            let cache = cache.clone();
            let f = counter_fetch(&calls, lifetime);
            tokio::spawn(async move { cache.get(f).await })
        };
        tokio::task::yield_now().await;
        // While the refresh runs, others get the old value at once, without a second refresh.
        for _ in 0..10 {
            let v = cache.get(counter_fetch(&calls, lifetime)).await.unwrap();
            assert_eq!(v.value, 1);
        }
        assert_eq!(refresher.await.unwrap().unwrap().value, 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_refresh_ahead_backs_off_while_the_value_is_valid() {
        let policy = RefreshPolicy {
            jitter_fraction: 0.0,
            ..RefreshPolicy::default()
        };
        let cache = TokenCache::new("test", policy);
        let calls = Arc::new(AtomicU32::new(0));
        let lifetime = Duration::from_secs(100);
        cache.get(counter_fetch(&calls, lifetime)).await.unwrap();
        let failures = Arc::new(AtomicU32::new(0));
        let fail = |failures: &Arc<AtomicU32>| {
            let failures = Arc::clone(failures);
            move || {
                async move {
                    failures.fetch_add(1, Ordering::SeqCst);
                    Err(Error::Credentials {
                        provider: "test".into(),
                        message: "identity provider down".into(),
                    })
                }
                .boxed()
            }
        };
        // 76 s in: in the advisory window (from 75 s), 14 s before the mandatory one (90 s).
        tokio::time::advance(Duration::from_secs(76)).await;
        for _ in 0..2000 {
            let v = cache.get(fail(&failures)).await.unwrap();
            assert_eq!(v.value, 1, "the still-valid value is served");
        }
        assert_eq!(
            failures.load(Ordering::SeqCst),
            1,
            "one attempt, then a pause"
        );
        // Pauses of about 1 s, 2 s, 4 s...: a handful of attempts over the next 13 s, not one
        // per call.
        for _ in 0..130 {
            tokio::time::advance(Duration::from_millis(100)).await;
            for _ in 0..20 {
                cache.get(fail(&failures)).await.unwrap();
            }
        }
        let attempts = failures.load(Ordering::SeqCst);
        assert!((3..=6).contains(&attempts), "{attempts} attempts in 13 s");
        // In the mandatory window the value is no longer served: callers wait, and see the error.
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(cache.get(fail(&failures)).await.is_err());
        // A success clears the pause for the next value.
        let fresh = cache.get(counter_fetch(&calls, lifetime)).await.unwrap();
        assert_eq!(fresh.value, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_lifetime_is_clamped_and_never_one_refresh_per_call() {
        let cache = TokenCache::new("test", RefreshPolicy::default());
        let calls = Arc::new(AtomicU32::new(0));
        let mut gets = 0u32;
        // 2 simulated seconds of calls every millisecond.
        for _ in 0..2000 {
            cache
                .get(counter_fetch(&calls, Duration::ZERO))
                .await
                .unwrap();
            gets += 1;
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        let refreshes = calls.load(Ordering::SeqCst);
        // A clamped 1 s lifetime is used for at least 0.75 s (+ 50 ms fetch): at most 4 refreshes.
        assert!(refreshes <= 4, "{refreshes} refreshes for {gets} calls");
        assert!(refreshes >= 2, "the clamped lifetime still expires");
    }

    #[test]
    fn absurd_lifetimes_are_clamped() {
        let p = RefreshPolicy::default();
        assert_eq!(p.lifetime(Expiry::In(Duration::ZERO), "t"), p.min_lifetime);
        assert_eq!(
            p.lifetime(Expiry::In(Duration::from_secs(10 * 86_400)), "t"),
            p.max_lifetime
        );
        assert_eq!(p.lifetime(Expiry::Unknown, "t"), p.assumed_lifetime);
        let past = SystemTime::now() - Duration::from_secs(5);
        assert_eq!(p.lifetime(Expiry::At(past), "t"), p.min_lifetime);
        let later = SystemTime::now() + Duration::from_secs(3600);
        let l = p.lifetime(Expiry::At(later), "t");
        assert!(l <= Duration::from_secs(3600) - p.clock_skew + Duration::from_secs(1));
        assert!(l >= Duration::from_secs(3500));
        // Short absolute lifetimes lose at most 10% to the skew allowance.
        let soon = SystemTime::now() + Duration::from_secs(10);
        let l = p.lifetime(Expiry::At(soon), "t");
        assert!(
            l >= Duration::from_secs(8) && l <= Duration::from_secs(10),
            "{l:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn invalidate_only_drops_the_rejected_generation() {
        let cache = TokenCache::new("test", RefreshPolicy::default());
        let calls = Arc::new(AtomicU32::new(0));
        let lifetime = Duration::from_secs(3600);
        let first = cache.get(counter_fetch(&calls, lifetime)).await.unwrap();
        cache.invalidate(first.generation);
        let second = cache.get(counter_fetch(&calls, lifetime)).await.unwrap();
        assert_eq!(second.value, 2);
        // A late caller reporting the old generation does not cause another refresh.
        cache.invalidate(first.generation);
        let third = cache.get(counter_fetch(&calls, lifetime)).await.unwrap();
        assert_eq!(third.value, 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(cache.take(), Some(2));
        assert!(cache.peek().is_none());
    }
}
