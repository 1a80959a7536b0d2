//! Time as an input: the client waits through a `Clock`, so tests run retries on fake time.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A boxed future, so `Clock` stays object safe without an extra crate.
pub(crate) type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Where the client reads the time and waits.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    fn sleep(&self, duration: Duration) -> Sleep<'_>;
}

/// The wall clock and tokio's timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that only moves when something sleeps on it; it remembers every sleep.
#[derive(Debug, Clone)]
pub struct FakeClock {
    inner: Arc<Mutex<FakeState>>,
}

#[derive(Debug)]
struct FakeState {
    now: DateTime<Utc>,
    sleeps: Vec<Duration>,
}

impl FakeClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        let state = FakeState {
            now: start,
            sleeps: Vec::new(),
        };
        FakeClock {
            inner: Arc::new(Mutex::new(state)),
        }
    }

    /// Every sleep asked of this clock, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// Total time slept.
    pub fn slept(&self) -> Duration {
        self.lock().sleeps.iter().sum()
    }

    pub fn advance(&self, duration: Duration) {
        let mut state = self.lock();
        state.now += chrono::Duration::from_std(duration).unwrap_or_default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        self.lock().now
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        {
            let mut state = self.lock();
            state.sleeps.push(duration);
            state.now += chrono::Duration::from_std(duration).unwrap_or_default();
        }
        Box::pin(tokio::task::yield_now())
    }
}
