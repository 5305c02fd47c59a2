//! Politeness per domain: a rate limiter (governor) whose interval is the
//! configured rate or the site's Crawl-delay, whichever is slower;
//! exponential backoff with jitter (backon) between retries; a circuit
//! breaker that stops hammering a domain that keeps failing.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use backon::BackoffBuilder;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Spaces requests to one domain.
pub struct Pacer {
    limiter: Option<DefaultDirectRateLimiter>,
    interval: Duration,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer")
            .field("interval", &self.interval)
            .finish()
    }
}

impl Pacer {
    /// `per_second` requests per second, slowed to `crawl_delay` seconds
    /// between requests when the site asks for more. `polite = false`
    /// (benchmarks of the engine on loopback) removes all spacing.
    pub fn new(per_second: f64, crawl_delay: Option<f64>, polite: bool) -> Pacer {
        if !polite {
            return Pacer {
                limiter: None,
                interval: Duration::ZERO,
            };
        }
        let from_rate = if per_second > 0.0 && per_second.is_finite() {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::from_secs(1)
        };
        let from_robots = crawl_delay
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|d| Duration::from_secs_f64(d.min(3600.0)))
            .unwrap_or(Duration::ZERO);
        let interval = from_rate.max(from_robots);
        let limiter = Quota::with_period(interval)
            .map(|q| RateLimiter::direct(q.allow_burst(NonZeroU32::MIN)));
        Pacer { limiter, interval }
    }

    /// Waits until the next request may go out.
    pub async fn wait(&self) {
        if let Some(l) = &self.limiter {
            l.until_ready().await;
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }
}

/// Delays between retries: exponential from `min`, with jitter, capped.
pub fn backoff(min: Duration, max_retries: u32) -> impl Iterator<Item = Duration> {
    backon::ExponentialBuilder::default()
        .with_min_delay(min)
        .with_max_delay(Duration::from_secs(60))
        .with_factor(2.0)
        .with_jitter()
        .with_max_times(max_retries as usize)
        .build()
}

/// What the breaker says about the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Go ahead.
    Closed,
    /// Wait this long, then try one probe request.
    Open(Duration),
    /// The domain failed too often; stop crawling it.
    GiveUp,
}

/// Per-domain circuit breaker: `threshold` consecutive failures open it for
/// `cooldown` (doubling each trip); after `max_trips` trips it gives up.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    max_trips: u32,
    consecutive: u32,
    trips: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration, max_trips: u32) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            max_trips: max_trips.max(1),
            consecutive: 0,
            trips: 0,
            open_until: None,
        }
    }

    pub fn state(&self) -> BreakerState {
        if self.trips >= self.max_trips {
            return BreakerState::GiveUp;
        }
        match self.open_until {
            Some(t) => {
                let now = Instant::now();
                if t > now {
                    BreakerState::Open(t - now)
                } else {
                    BreakerState::Closed
                }
            }
            None => BreakerState::Closed,
        }
    }

    pub fn success(&mut self) {
        self.consecutive = 0;
        self.open_until = None;
    }

    /// Records a failure; true when this failure opened the breaker.
    pub fn failure(&mut self) -> bool {
        self.consecutive += 1;
        if self.consecutive >= self.threshold {
            self.consecutive = 0;
            self.trips += 1;
            let factor = 1u32 << (self.trips - 1).min(10);
            self.open_until = Some(Instant::now() + self.cooldown * factor);
            return true;
        }
        false
    }

    pub fn trips(&self) -> u32 {
        self.trips
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_is_the_slower_of_rate_and_crawl_delay() {
        assert_eq!(
            Pacer::new(0.5, None, true).interval(),
            Duration::from_secs(2)
        );
        assert_eq!(
            Pacer::new(2.0, Some(1.5), true).interval(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            Pacer::new(2.0, Some(0.1), true).interval(),
            Duration::from_millis(500)
        );
        assert_eq!(Pacer::new(0.5, Some(9.0), false).interval(), Duration::ZERO);
    }

    #[tokio::test]
    async fn pacer_spaces_requests() {
        let p = Pacer::new(20.0, None, true);
        let t = Instant::now();
        for _ in 0..5 {
            p.wait().await;
        }
        // Four gaps of 50 ms after the first request.
        assert!(
            t.elapsed() >= Duration::from_millis(190),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn backoff_grows_and_stops() {
        let d: Vec<Duration> = backoff(Duration::from_millis(100), 4).collect();
        assert_eq!(d.len(), 4);
        // Jitter adds up to one base delay; the base doubles.
        assert!(d[0] >= Duration::from_millis(100) && d[0] <= Duration::from_millis(200));
        assert!(d[3] >= Duration::from_millis(800), "{d:?}");
    }

    #[test]
    fn breaker_opens_after_threshold_and_gives_up() {
        let mut b = Breaker::new(3, Duration::from_millis(0), 2);
        assert!(!b.failure());
        assert!(!b.failure());
        b.success();
        assert!(!b.failure());
        assert!(!b.failure());
        assert!(b.failure());
        assert_eq!(b.trips(), 1);
        assert_eq!(b.state(), BreakerState::Closed); // zero cooldown: half-open at once
        b.failure();
        b.failure();
        assert!(b.failure());
        assert_eq!(b.state(), BreakerState::GiveUp);
    }

    #[test]
    fn open_breaker_reports_the_wait() {
        let mut b = Breaker::new(1, Duration::from_secs(30), 3);
        b.failure();
        match b.state() {
            BreakerState::Open(d) => assert!(d > Duration::from_secs(29)),
            s => panic!("{s:?}"),
        }
    }
}
