//! When and how long to wait before retrying a request: exponential backoff with full jitter,
//! `Retry-After` honoured (seconds or an HTTP date), attempts and total waiting both bounded.
//! `RetryPolicy::run` (crate-internal) is the one retry loop every client uses (Looker, STS, Okta).

use std::future::Future;
use std::time::{Duration, SystemTime};

/// What one attempt of a retried operation came to.
pub(crate) enum Attempt<T> {
    /// Final: returned as it is, success or error.
    Done(T),
    /// Worth another try, after `retry_after` when the server gave one. `outcome` is returned
    /// when no retry is left, so it should say so when that matters to the reader.
    Again {
        outcome: T,
        retry_after: Option<Duration>,
    },
}

/// Retry policy for idempotent requests.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included. `1` disables retries.
    pub max_attempts: u32,
    /// Backoff before the first retry (before jitter); doubles for each further retry.
    pub base_delay: Duration,
    /// Upper bound of one backoff (before jitter).
    pub max_delay: Duration,
    /// Upper bound of all waiting for one request. A `Retry-After` that would exceed what is left
    /// ends the retries and returns the error at once instead of sleeping.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_total_wait: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Full-jitter backoff for retry number `retry` (0 for the first retry): a uniform random
    /// duration in `[0, min(max_delay, base_delay * 2^retry)]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }

    /// How long to wait before the next attempt, or `None` when the request must not be retried
    /// again. `attempt` counts attempts made so far (1 after the first), `waited` the time already
    /// spent waiting, `retry_after` the server's hint.
    pub fn next_delay(
        &self,
        attempt: u32,
        waited: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let delay = retry_after.unwrap_or_else(|| self.backoff(attempt - 1));
        let left = self.max_total_wait.checked_sub(waited)?;
        (delay <= left).then_some(delay)
    }
}

impl RetryPolicy {
    /// Run `attempt` (given the attempt number, 1 first) until it is [`Attempt::Done`], the
    /// policy has no retry left, or the pause would reach `deadline`; the last outcome is
    /// returned. `what` names the operation in the debug line of each retry.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        what: &str,
        deadline: Option<tokio::time::Instant>,
        mut attempt: F,
    ) -> T
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let (mut number, mut waited) = (0u32, Duration::ZERO);
        loop {
            number += 1;
            let (outcome, retry_after) = match attempt(number).await {
                Attempt::Done(outcome) => return outcome,
                Attempt::Again {
                    outcome,
                    retry_after,
                } => (outcome, retry_after),
            };
            let Some(delay) = self.next_delay(number, waited, retry_after) else {
                return outcome;
            };
            // A pause that would use up the rest of the budget leaves no time to try again.
            if deadline.is_some_and(|end| tokio::time::Instant::now() + delay >= end) {
                return outcome;
            }
            tracing::debug!(
                what,
                attempt = number,
                delay_ms = delay.as_millis() as u64,
                "retrying"
            );
            tokio::time::sleep(delay).await;
            waited += delay;
        }
    }
}

/// HTTP statuses worth retrying for an idempotent request.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parse a `Retry-After` value: delta-seconds or an HTTP date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(5)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let policy = RetryPolicy::default();
        for retry in 0..30 {
            let d = policy.backoff(retry);
            assert!(d <= policy.max_delay);
            assert!(d <= policy.base_delay * 2u32.pow(retry.min(20)));
        }
        // Full jitter: not every draw is the same.
        let draws: std::collections::HashSet<_> = (0..50).map(|_| policy.backoff(3)).collect();
        assert!(draws.len() > 1);
    }

    #[tokio::test(start_paused = true)]
    async fn run_retries_until_done_and_returns_the_last_outcome_when_out_of_retries() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        // Done on the second attempt.
        let mut calls = 0;
        let got = policy
            .run("test", None, |n| {
                calls += 1;
                async move {
                    if n < 2 {
                        Attempt::Again {
                            outcome: Err(n),
                            retry_after: None,
                        }
                    } else {
                        Attempt::Done(Ok::<u32, u32>(n))
                    }
                }
            })
            .await;
        assert_eq!((got, calls), (Ok(2), 2));
        // Never done: three attempts, the last outcome returned.
        let got: Result<(), u32> = policy
            .run("test", None, |n| async move {
                Attempt::Again {
                    outcome: Err(n),
                    retry_after: Some(Duration::from_millis(10)),
                }
            })
            .await;
        assert_eq!(got, Err(3));
        // A pause that would pass the deadline ends the retries at once.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        let got: Result<(), u32> = policy
            .run("test", Some(deadline), |n| async move {
                Attempt::Again {
                    outcome: Err(n),
                    retry_after: Some(Duration::from_secs(5)),
                }
            })
            .await;
        assert_eq!(got, Err(1));
    }

    #[test]
    fn attempts_and_total_wait_are_bounded() {
        let policy = RetryPolicy {
            max_attempts: 3,
            max_total_wait: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        assert!(policy.next_delay(1, Duration::ZERO, None).is_some());
        assert!(policy.next_delay(3, Duration::ZERO, None).is_none());
        let hint = Some(Duration::from_secs(4));
        assert_eq!(
            policy.next_delay(1, Duration::from_secs(5), hint),
            Some(Duration::from_secs(4))
        );
        // A hint beyond the remaining budget stops retrying instead of sleeping.
        assert_eq!(policy.next_delay(1, Duration::from_secs(7), hint), None);
        assert!(is_retryable_status(429) && is_retryable_status(503));
        assert!(!is_retryable_status(500) && !is_retryable_status(401));
    }
}
