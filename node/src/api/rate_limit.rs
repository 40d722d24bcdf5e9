//! Per-client rate limiting of the HTTP API: a token bucket (GCRA, the `governor` crate) per
//! client address, one family for writes (`POST /v1/events`, `POST /v1/events/batch`) and a
//! separate, more generous one for everything else.
//!
//! A client is its source IP address as the TCP connection shows it, IPv6 addresses grouped by
//! their /64 prefix (one host usually holds a whole /64). `X-Forwarded-For` is not trusted: any
//! client can write it. Behind a reverse proxy every client shares the proxy's bucket, so an
//! operator there either raises the limits or rate-limits in the proxy.
//!
//! A limited request gets `429 Too Many Requests`, a `Retry-After` header (whole seconds, at
//! least 1) and the API's JSON error with code `rate_limited`; the metric
//! `tradeledger_api_rate_limited_total{class}` counts them. Per-client state is bounded: buckets
//! that have refilled are dropped whenever the table grows past [`CLIENTS_TRACKED_MAX`].

use super::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Client buckets kept before refilled ones are swept out.
pub const CLIENTS_TRACKED_MAX: usize = 65_536;

/// One bucket family: `per_s` requests per second sustained, `burst` at once. `per_s == 0`
/// turns the family off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Sustained requests per second per client (0: unlimited).
    pub per_s: u32,
    /// Requests a client may send at once after being idle (at least 1 when limited).
    pub burst: u32,
}

/// The API's limits, from the node's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Event submissions (single and batch).
    pub write: Bucket,
    /// Every other request.
    pub read: Bucket,
}

impl RateLimits {
    /// No limits (tests, and networks whose clients are trusted).
    pub const UNLIMITED: RateLimits = RateLimits {
        write: Bucket { per_s: 0, burst: 0 },
        read: Bucket { per_s: 0, burst: 0 },
    };
}

/// Which family a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Event submissions.
    Write,
    /// Everything else.
    Read,
}

impl Class {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Write => "write",
            Class::Read => "read",
        }
    }

    fn of(method: &Method, path: &str) -> Class {
        if method == Method::POST && (path == "/v1/events" || path == "/v1/events/batch") {
            Class::Write
        } else {
            Class::Read
        }
    }
}

/// The key of a client: its IPv4 address, or the /64 prefix of its IPv6 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

type Keyed = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// One family of per-client buckets with its counter of refusals.
#[derive(Debug)]
pub struct KeyedBuckets {
    limiter: Option<Keyed>,
    limited: AtomicU64,
}

impl KeyedBuckets {
    /// Buckets of `b` (none when `b.per_s == 0`).
    pub fn new(b: Bucket) -> KeyedBuckets {
        let limiter = NonZeroU32::new(b.per_s).map(|per_s| {
            let burst = NonZeroU32::new(b.burst).unwrap_or(per_s);
            RateLimiter::keyed(Quota::per_second(per_s).allow_burst(burst))
        });
        KeyedBuckets {
            limiter,
            limited: AtomicU64::new(0),
        }
    }

    /// Takes a token for `client`: `Ok` to serve, `Err(wait)` with the time until the next
    /// token when the client has spent its burst.
    pub fn check(&self, client: IpAddr) -> Result<(), std::time::Duration> {
        let Some(l) = &self.limiter else {
            return Ok(());
        };
        if l.len() > CLIENTS_TRACKED_MAX {
            l.retain_recent();
            l.shrink_to_fit();
        }
        l.check_key(&client_key(client)).map_err(|not_until| {
            self.limited.fetch_add(1, Ordering::Relaxed);
            not_until.wait_time_from(l.clock().now())
        })
    }

    /// Requests refused so far.
    pub fn limited(&self) -> u64 {
        self.limited.load(Ordering::Relaxed)
    }

    /// Clients with a bucket in the table.
    pub fn clients(&self) -> usize {
        self.limiter.as_ref().map_or(0, Keyed::len)
    }
}

/// The limiter shared by the API's middleware and `/metrics`.
#[derive(Debug)]
pub struct Limiter {
    write: KeyedBuckets,
    read: KeyedBuckets,
}

impl Limiter {
    /// Buckets for `limits`.
    pub fn new(limits: RateLimits) -> Limiter {
        Limiter {
            write: KeyedBuckets::new(limits.write),
            read: KeyedBuckets::new(limits.read),
        }
    }

    fn family(&self, class: Class) -> &KeyedBuckets {
        match class {
            Class::Write => &self.write,
            Class::Read => &self.read,
        }
    }

    /// Takes a token of `class` for `client`.
    pub fn check(&self, class: Class, client: IpAddr) -> Result<(), std::time::Duration> {
        self.family(class).check(client)
    }

    /// Prometheus text of the refusal counters.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# HELP tradeledger_api_rate_limited_total API requests refused with 429 (per-client rate limit), by class.\n\
             # TYPE tradeledger_api_rate_limited_total counter\n",
        );
        for class in [Class::Read, Class::Write] {
            out.push_str(&format!(
                "tradeledger_api_rate_limited_total{{class=\"{}\"}} {}\n",
                class.as_str(),
                self.family(class).limited()
            ));
        }
        out
    }
}

/// Shared handle.
pub type SharedLimiter = Arc<Limiter>;

/// The 429 answer, with `Retry-After` in whole seconds (rounded up, at least 1).
pub fn too_many(class: Class, wait: std::time::Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut r = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!(
            "too many {} requests from this client; retry in {secs} s",
            class.as_str()
        ),
    )
    .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

/// Middleware: refuses a request whose client has no token left. A request without a peer
/// address (a router served without connect info, as in in-process tests) is not limited.
pub async fn middleware(
    State(limiter): State<SharedLimiter>,
    req: Request,
    next: Next,
) -> Response {
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip());
    if let Some(ip) = client {
        let class = Class::of(req.method(), req.uri().path());
        if let Err(wait) = limiter.check(class, ip) {
            return too_many(class, wait);
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
    }

    #[test]
    fn a_client_that_spent_its_burst_is_refused_while_another_client_is_served() {
        let l = Limiter::new(RateLimits {
            write: Bucket { per_s: 1, burst: 5 },
            read: Bucket {
                per_s: 1,
                burst: 50,
            },
        });
        for i in 0..5 {
            assert!(
                l.check(Class::Write, ip(1)).is_ok(),
                "request {i} is within the burst"
            );
        }
        let wait = l
            .check(Class::Write, ip(1))
            .expect_err("the sixth write at once is over the burst");
        assert!(wait <= std::time::Duration::from_secs(1), "{wait:?}");
        assert!(
            l.check(Class::Write, ip(2)).is_ok(),
            "another client has its own bucket"
        );
        assert!(
            l.check(Class::Read, ip(1)).is_ok(),
            "reads have their own bucket"
        );
        assert_eq!(l.write.limited(), 1);
        assert_eq!(l.read.limited(), 0);
        assert!(
            l.render()
                .contains("tradeledger_api_rate_limited_total{class=\"write\"} 1\n"),
            "{}",
            l.render()
        );
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let l = Limiter::new(RateLimits::UNLIMITED);
        for _ in 0..10_000 {
            assert!(l.check(Class::Write, ip(1)).is_ok());
        }
        assert_eq!(l.write.clients(), 0);
    }

    #[test]
    fn ipv6_clients_are_grouped_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("v6");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("v6");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("v6");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().expect("mapped");
        assert_eq!(
            client_key(mapped),
            "10.1.2.3".parse::<IpAddr>().expect("v4")
        );
    }

    #[test]
    fn submissions_are_writes_and_the_rest_reads() {
        assert_eq!(Class::of(&Method::POST, "/v1/events"), Class::Write);
        assert_eq!(Class::of(&Method::POST, "/v1/events/batch"), Class::Write);
        assert_eq!(Class::of(&Method::GET, "/v1/events/ab"), Class::Read);
        assert_eq!(Class::of(&Method::GET, "/v1/status"), Class::Read);
    }

    #[test]
    fn the_refusal_carries_retry_after_in_whole_seconds() {
        let r = too_many(Class::Write, std::time::Duration::from_millis(1_200));
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            r.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("2")
        );
        let r = too_many(Class::Read, std::time::Duration::from_millis(3));
        assert_eq!(
            r.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
    }
}
