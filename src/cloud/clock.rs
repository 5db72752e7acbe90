//! The one clock of the local cloud.
//!
//! Everything time-based in the cloud (shard limits, iterator expiry, retention, metric timestamps,
//! alarm evaluation, buffers) reads this clock. It runs on real time by default; tests switch it to a
//! virtual mode in which time stands still until it is advanced, so no test waits on the wall clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    Real,
    Virtual,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Real,
    Virtual { now_ms: i64 },
}

/// Milliseconds since the Unix epoch on the cloud clock.
pub type Millis = i64;

pub struct Clock {
    state: Mutex<State>,
    /// Bumped whenever virtual time moves or the mode changes, so sleepers re-check.
    ticks: watch::Sender<u64>,
    /// The background loops driven by this clock (see [`Ticker`]).
    tickers: Tickers,
}

/// For each live [`Ticker`]: the cloud time it sleeps until, or `None` while it works.
#[derive(Default)]
struct Tickers {
    table: Mutex<TickerTable>,
    /// Bumped whenever a ticker starts or stops sleeping, so [`Clock::settled`] re-checks.
    changed: watch::Sender<u64>,
}

#[derive(Default)]
struct TickerTable {
    next_id: u64,
    waking_at: HashMap<u64, Option<Millis>>,
}

impl Tickers {
    fn set(&self, id: u64, waking_at: Option<Option<Millis>>) {
        {
            let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
            match waking_at {
                Some(w) => t.waking_at.insert(id, w),
                None => t.waking_at.remove(&id),
            };
        }
        self.changed.send_modify(|n| *n += 1);
    }

    /// True when every ticker sleeps until after `now`: nothing due at `now` is still to run.
    fn all_asleep_past(&self, now: Millis) -> bool {
        let t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        t.waking_at.values().all(|w| w.is_some_and(|at| at > now))
    }
}

/// A background loop that runs on the cloud clock (retention, status transitions, metrics, alarm
/// evaluation). It sleeps through its ticker, so the clock knows when the work due at a given time
/// has run: [`Clock::settled`] waits for that, and the admin API's clock advance with it, so a test
/// that moves virtual time sees its effects without polling the wall clock.
pub struct Ticker<'a> {
    clock: &'a Clock,
    id: u64,
}

impl Ticker<'_> {
    /// Sleeps until `deadline` on the cloud clock; from waking until the next sleep the ticker counts
    /// as working.
    pub async fn sleep_until(&self, deadline: Millis) {
        self.clock.tickers.set(self.id, Some(Some(deadline)));
        self.clock.sleep_until(deadline).await;
        self.clock.tickers.set(self.id, Some(None));
    }
}

impl Drop for Ticker<'_> {
    fn drop(&mut self) {
        self.clock.tickers.set(self.id, None);
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::real()
    }
}

pub fn wall_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Clock {
    pub fn real() -> Self {
        Clock { state: Mutex::new(State::Real), ticks: watch::channel(0).0, tickers: Tickers::default() }
    }

    /// A virtual clock standing at `now_ms` until advanced.
    pub fn virtual_at(now_ms: Millis) -> Self {
        Clock { state: Mutex::new(State::Virtual { now_ms }), ticks: watch::channel(0).0, tickers: Tickers::default() }
    }

    fn state(&self) -> State {
        *self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn mode(&self) -> ClockMode {
        match self.state() {
            State::Real => ClockMode::Real,
            State::Virtual { .. } => ClockMode::Virtual,
        }
    }

    pub fn now_ms(&self) -> Millis {
        match self.state() {
            State::Real => wall_ms(),
            State::Virtual { now_ms } => now_ms,
        }
    }

    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.now_ms().max(0) as u64)
    }

    /// Switches mode. Entering virtual mode freezes time at the current instant (or `at`).
    pub fn set_mode(&self, mode: ClockMode, at: Option<Millis>) {
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            *state = match mode {
                ClockMode::Real => State::Real,
                ClockMode::Virtual => {
                    let current = match *state {
                        State::Real => wall_ms(),
                        State::Virtual { now_ms } => now_ms,
                    };
                    State::Virtual { now_ms: at.unwrap_or(current) }
                }
            };
        }
        self.ticks.send_modify(|t| *t += 1);
    }

    /// Moves virtual time forward. Refused in real mode: real time cannot be pushed.
    pub fn advance(&self, by: Duration) -> Result<Millis, ClockError> {
        let now = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            match &mut *state {
                State::Real => return Err(ClockError::RealMode),
                State::Virtual { now_ms } => {
                    *now_ms += by.as_millis() as i64;
                    *now_ms
                }
            }
        };
        self.ticks.send_modify(|t| *t += 1);
        Ok(now)
    }

    /// Waits until the cloud clock reaches `deadline`, whichever mode it is in (or switches to).
    pub async fn sleep_until(&self, deadline: Millis) {
        let mut ticks = self.ticks.subscribe();
        loop {
            let now = self.now_ms();
            if now >= deadline {
                return;
            }
            match self.state() {
                State::Real => {
                    let wait = Duration::from_millis((deadline - now) as u64);
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = ticks.changed() => {}
                    }
                }
                State::Virtual { .. } => {
                    if ticks.changed().await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    pub async fn sleep(&self, by: Duration) {
        self.sleep_until(self.now_ms() + by.as_millis() as i64).await
    }

    /// A new background loop on this clock; it counts as working until it first sleeps.
    pub fn ticker(&self) -> Ticker<'_> {
        let id = {
            let mut t = self.tickers.table.lock().unwrap_or_else(|p| p.into_inner());
            t.next_id += 1;
            let id = t.next_id;
            t.waking_at.insert(id, None);
            id
        };
        self.tickers.changed.send_modify(|n| *n += 1);
        Ticker { clock: self, id }
    }

    /// Resolves once every ticker has done the work due at the current cloud time and sleeps
    /// until later. Callers bound it with a (wall) timeout: a ticker stuck in its work never settles.
    pub async fn settled(&self) {
        let mut changed = self.tickers.changed.subscribe();
        loop {
            changed.borrow_and_update();
            if self.tickers.all_asleep_past(self.now_ms()) {
                return;
            }
            if changed.changed().await.is_err() {
                return;
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error("the clock runs on real time; switch it to virtual mode before advancing it")]
    RealMode,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn virtual_sleep_wakes_only_when_advanced_past_deadline() {
        let clock = Arc::new(Clock::virtual_at(1_000));
        let c = clock.clone();
        let sleeper = tokio::spawn(async move {
            c.sleep_until(3_000).await;
            c.now_ms()
        });
        clock.advance(Duration::from_millis(1_000)).unwrap();
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished() || clock.now_ms() >= 3_000);
        clock.advance(Duration::from_millis(1_500)).unwrap();
        let woke_at = tokio::time::timeout(Duration::from_secs(5), sleeper).await.unwrap().unwrap();
        assert_eq!(woke_at, 3_500);
    }

    #[tokio::test]
    async fn settled_waits_for_every_ticker_to_run_what_was_due() {
        let clock = Arc::new(Clock::virtual_at(1_000));
        let runs = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let (c, r) = (clock.clone(), runs.clone());
        let (release_tx, release_rx) = tokio::sync::watch::channel(0i64);
        let task = tokio::spawn(async move {
            let ticker = c.ticker();
            let mut release = release_rx;
            let mut next = 2_000;
            loop {
                ticker.sleep_until(next).await;
                // The work takes until the test lets it finish: settled must wait for it.
                let _ = release.wait_for(|n| *n >= next).await;
                r.store(next, std::sync::atomic::Ordering::SeqCst);
                next += 1_000;
            }
        });
        tokio::time::timeout(Duration::from_secs(5), clock.settled()).await.expect("asleep until 2 000");
        clock.advance(Duration::from_millis(1_500)).unwrap();
        let settling = tokio::spawn({
            let clock = clock.clone();
            async move { clock.settled().await }
        });
        tokio::task::yield_now().await;
        assert!(!settling.is_finished(), "the tick due at 2 000 has not run");
        release_tx.send_replace(2_000);
        tokio::time::timeout(Duration::from_secs(5), settling).await.expect("settles").unwrap();
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 2_000);
        task.abort();
        let _ = task.await;
        tokio::time::timeout(Duration::from_secs(5), clock.settled())
            .await
            .expect("a dropped ticker is not waited for");
    }

    #[test]
    fn advancing_real_time_is_refused() {
        let clock = Clock::real();
        assert!(clock.advance(Duration::from_secs(1)).is_err());
        clock.set_mode(ClockMode::Virtual, Some(42));
        assert_eq!(clock.now_ms(), 42);
        assert_eq!(clock.advance(Duration::from_secs(1)).unwrap(), 1_042);
    }
}
