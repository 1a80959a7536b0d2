//! When to try a request again, decided from the answer alone (pure; the client does the waiting).
//!
//! Reads are retried on 5xx and on connection failures with exponential backoff. Every method
//! is retried on a rate-limit answer, because GitHub rejects those before doing anything.
//! A write that failed any other way is never repeated: a create could already have happened.

use std::time::Duration;

use chrono::{DateTime, Utc};
use http::{HeaderMap, Method};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first one included.
    pub(crate) max_attempts: u32,
    /// Total waiting allowed for one request; past it the client gives up cleanly.
    pub budget: Duration,
    /// First backoff for a failed read; doubles each time, capped at `max_backoff`.
    pub(crate) base_backoff: Duration,
    pub(crate) max_backoff: Duration,
    /// Wait after a secondary rate limit that names no time; doubles each time.
    pub(crate) secondary_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            budget: Duration::from_secs(300),
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            secondary_backoff: Duration::from_secs(60),
        }
    }
}

/// What came back from one attempt.
#[derive(Debug)]
pub(crate) enum RequestAttempt<'a> {
    Answer {
        status: u16,
        headers: &'a HeaderMap,
        message: &'a str,
    },
    NoAnswer,
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1`, or `None` to stop now.
    pub(crate) fn next_wait(
        &self,
        method: &Method,
        attempt: u32,
        outcome: &RequestAttempt<'_>,
        now: DateTime<Utc>,
        waited: Duration,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let wait = match outcome {
            RequestAttempt::Answer {
                status,
                headers,
                message,
            } => {
                if is_rate_limited(*status, headers, message) {
                    self.rate_limit_wait(attempt, headers, now)
                } else if *status >= 500 && is_read(method) {
                    self.backoff(attempt)
                } else {
                    return None;
                }
            }
            RequestAttempt::NoAnswer if is_read(method) => self.backoff(attempt),
            RequestAttempt::NoAnswer => return None,
        };
        (waited + wait <= self.budget).then_some(wait)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// `Retry-After` first, then `x-ratelimit-reset` when nothing remains, else back off from 60 s.
    fn rate_limit_wait(&self, attempt: u32, headers: &HeaderMap, now: DateTime<Utc>) -> Duration {
        if let Some(seconds) = header_u64(headers, "retry-after") {
            return Duration::from_secs(seconds);
        }
        if header_u64(headers, "x-ratelimit-remaining") == Some(0)
            && let Some(reset) = header_u64(headers, "x-ratelimit-reset")
        {
            let seconds = (reset as i64 - now.timestamp()).max(1);
            return Duration::from_secs(seconds as u64);
        }
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.secondary_backoff.saturating_mul(factor)
    }
}

fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// GitHub signals primary and secondary limits with 403 or 429; a plain 403 is a permission error.
pub(crate) fn is_rate_limited(status: u16, headers: &HeaderMap, message: &str) -> bool {
    match status {
        429 => true,
        403 => {
            headers.contains_key("retry-after")
                || header_u64(headers, "x-ratelimit-remaining") == Some(0)
                || message.to_ascii_lowercase().contains("rate limit")
        }
        _ => false,
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests;
