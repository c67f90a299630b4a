//! Rate limits: keyed token buckets (pure logic: the caller passes the time) and the
//! middleware that applies one per client address.
//!
//! Each key (a client address, an OIDC identity) has a bucket of `burst` tokens refilled at
//! `per_minute`; a request takes one token or is refused with the time until the next token,
//! which the service answers as 429 with `Retry-After` in its own error shape. The key table
//! is bounded (`max_keys`): when it is full, buckets that have refilled completely (they are
//! indistinguishable from new ones) are dropped, then the less recently used half. An IPv6
//! client is keyed by its /64, the block one host usually holds.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderName;
use axum::response::Response;

/// How fast one key may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests allowed at once after a quiet period (at least 1).
    pub burst: u32,
}

/// Token buckets by key, at most `max_keys` of them.
#[derive(Debug)]
pub struct KeyedLimiter<K> {
    rate: Rate,
    max_keys: usize,
    buckets: Mutex<HashMap<K, Bucket>>,
    limited: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// A limiter at `rate` tracking at most `max_keys` keys (at least 1).
    pub fn new(rate: Rate, max_keys: usize) -> Self {
        Self {
            rate,
            max_keys: max_keys.max(1),
            buckets: Mutex::new(HashMap::new()),
            limited: AtomicU64::new(0),
        }
    }

    /// The rate.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Requests refused so far.
    pub fn limited(&self) -> u64 {
        self.limited.load(Ordering::Relaxed)
    }

    /// Takes a token for `key` at `now`, or says how long until one is available.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.rate.burst.max(1));
        let per_second = f64::from(self.rate.per_minute) / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !buckets.contains_key(key) && buckets.len() >= self.max_keys {
            Self::make_room(&mut buckets, self.max_keys, burst, per_second, now);
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        self.limited.fetch_add(1, Ordering::Relaxed);
        let wait = if per_second > 0.0 {
            (1.0 - bucket.tokens) / per_second
        } else {
            3600.0
        };
        Err(Duration::from_secs_f64(wait.min(3600.0)))
    }

    /// Drops full buckets; if none is full, the older half by last use.
    fn make_room(
        buckets: &mut HashMap<K, Bucket>,
        max_keys: usize,
        burst: f64,
        per_second: f64,
        now: Instant,
    ) {
        buckets.retain(|_, b| {
            let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
            b.tokens + elapsed * per_second < burst
        });
        if buckets.len() < max_keys {
            return;
        }
        let mut ages: Vec<Instant> = buckets.values().map(|b| b.updated).collect();
        let middle = ages.len() / 2;
        let (_, cutoff, _) = ages.select_nth_unstable(middle);
        let cutoff = *cutoff;
        buckets.retain(|_, b| b.updated > cutoff);
    }
}

/// The whole seconds a client is told to wait (`Retry-After` has no fractions; never 0).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

/// The key of a client address: IPv4 as is, IPv6 by its /64 (IPv4-mapped ones as IPv4).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A per-address limit as a server applies it: whose address counts, and who is exempt.
#[derive(Debug)]
pub struct AddressLimit {
    /// The buckets, by [`address_key`] (shared with the metrics exporter).
    pub limiter: Arc<KeyedLimiter<IpAddr>>,
    /// Loopback clients are not limited (the development quickstart, local tools).
    pub exempt_loopback: bool,
    /// A header a trusted reverse proxy sets to the client's address (`X-Forwarded-For`:
    /// its last address is the one the proxy saw). Unset: the connection's peer.
    pub client_header: Option<HeaderName>,
    /// The service's 429 answer for a wait.
    pub on_limited: fn(Duration) -> Response,
}

impl AddressLimit {
    /// Takes a token for `request`'s client at `now`; the service's 429 answer if none is
    /// left. Requests without a known address pass.
    #[allow(clippy::result_large_err)]
    pub fn check(&self, request: &Request, now: Instant) -> Result<(), Response> {
        let Some(ip) = self.client(request) else {
            return Ok(());
        };
        if self.exempt_loopback && ip.is_loopback() {
            return Ok(());
        }
        self.limiter
            .check(&address_key(ip), now)
            .map_err(self.on_limited)
    }

    /// The client's address (see [`client_address`]).
    pub fn client(&self, request: &Request) -> Option<IpAddr> {
        client_address(request, self.client_header.as_ref())
    }
}

/// A request's client address: the last address in `header` when one is given and present
/// (what the trusted proxy in front appended; earlier entries are the client's to forge),
/// else the connection's peer.
pub fn client_address(request: &Request, header: Option<&HeaderName>) -> Option<IpAddr> {
    let forwarded = header
        .and_then(|name| request.headers().get_all(name).iter().next_back())
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|a| a.trim().parse::<IpAddr>().ok());
    forwarded.or_else(|| {
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
    })
}

/// Marks a request whose client is exempt from rate limits (a loopback client), so a
/// service's own per-identity limit skips it too.
#[derive(Clone, Copy, Debug)]
pub struct Exempt;

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(per_minute: u32, burst: u32) -> Rate {
        Rate { per_minute, burst }
    }

    #[test]
    fn burst_then_refill_per_key() {
        let limiter = KeyedLimiter::new(rate(60, 3), 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(&"a", t0).is_ok());
        }
        let wait = limiter.check(&"a", t0).expect_err("fourth at once");
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::ZERO,
            "{wait:?}"
        );
        assert_eq!(retry_after_secs(wait), 1);
        // Another key has its own bucket.
        assert!(limiter.check(&"b", t0).is_ok());
        // One second later one token is back (60 per minute), not two.
        let t1 = t0 + Duration::from_secs(1);
        assert!(limiter.check(&"a", t1).is_ok());
        assert!(limiter.check(&"a", t1).is_err());
        assert_eq!(limiter.limited(), 2);
    }

    #[test]
    fn the_key_table_stays_bounded() {
        let limiter = KeyedLimiter::new(rate(1, 1), 4);
        let t0 = Instant::now();
        for i in 0..100u32 {
            let _ = limiter.check(&i, t0 + Duration::from_millis(u64::from(i)));
            let len = limiter.buckets.lock().map(|b| b.len()).unwrap_or(0);
            assert!(len <= 4, "{len} keys tracked");
        }
        // The newest key is still tracked and limited.
        assert!(limiter.check(&99, t0 + Duration::from_millis(99)).is_err());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn the_proxy_header_names_the_client_by_its_last_entry() {
        let header = HeaderName::from_static("x-forwarded-for");
        let peer: SocketAddr = ([10, 0, 0, 1], 4000).into();
        let mut request = Request::new(axum::body::Body::empty());
        request.extensions_mut().insert(ConnectInfo(peer));
        assert_eq!(client_address(&request, Some(&header)), Some(peer.ip()));
        request.headers_mut().insert(
            header.clone(),
            "1.2.3.4, 192.0.2.9".parse().expect("header value"),
        );
        let client = client_address(&request, Some(&header));
        assert_eq!(client, Some(IpAddr::V4([192, 0, 2, 9].into())));
        assert_eq!(client_address(&request, None), Some(peer.ip()));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1"
            .parse()
            .unwrap_or(IpAddr::V4(0.into()));
        let b: IpAddr = "2001:db8:1:2:bbbb::9"
            .parse()
            .unwrap_or(IpAddr::V4(0.into()));
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap_or(IpAddr::V4(0.into()));
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap_or(IpAddr::V4(0.into()));
        assert_eq!(address_key(mapped), IpAddr::V4([192, 0, 2, 7].into()));
    }
}
