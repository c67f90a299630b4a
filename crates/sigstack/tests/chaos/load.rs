//! The write load: client threads POSTing distinct hashedrekord entries to whichever of the
//! target servers takes them, keeping every *acknowledged* answer exactly as it came.
//!
//! Nothing here trusts an answer: acknowledgements are only recorded (the verifier checks
//! them later), and a request that failed, timed out or hit a dead server is simply not an
//! acknowledgement. Each body is posted once, so a duplicate (409) can only mean a server
//! bug and is kept as a failure.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ring::rand::{SecureRandom as _, SystemRandom};
use serde_json::Value;

use crate::support::try_request;

/// One acknowledged entry as the server answered it (201).
#[derive(Debug, Clone)]
pub struct Ack {
    /// The 80-hex entry ID (or 64-hex UUID) the answer was keyed by.
    pub uuid: String,
    /// The entry object under that key.
    pub entry: Value,
    /// When the answer arrived, from the start of the load.
    pub at: Duration,
}

impl Ack {
    /// `logIndex` of the answer.
    pub fn index(&self) -> u64 {
        self.entry["logIndex"].as_u64().unwrap_or(u64::MAX)
    }
}

/// What one request ended as, for the outage figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 201: acknowledged.
    Acked,
    /// 503 (standby, overload, database down): refused, safe to retry.
    Refused,
    /// Nobody answered, or the connection broke mid-request.
    NoAnswer,
    /// Anything else (kept so the test can fail on it).
    Unexpected(u16),
}

/// A running load; [`Load::stop`] returns what it saw.
pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
}

struct Shared {
    ports: Mutex<Vec<u16>>,
    started: Instant,
    acks: Mutex<Vec<Ack>>,
    events: Mutex<Vec<(Duration, Outcome)>>,
    next_port: AtomicUsize,
}

/// Everything a load saw.
pub struct LoadReport {
    /// Every acknowledged entry.
    pub acks: Vec<Ack>,
    /// Every request's outcome with the time it finished, in finishing order.
    pub events: Vec<(Duration, Outcome)>,
}

impl LoadReport {
    /// Responses that were neither 201, 503 nor a dropped connection.
    pub fn unexpected(&self) -> Vec<u16> {
        self.events
            .iter()
            .filter_map(|(_, o)| match o {
                Outcome::Unexpected(s) => Some(*s),
                _ => None,
            })
            .collect()
    }

    /// How long writes were unavailable from outside after a fault injected at `from`:
    /// the time until the first acknowledgement that arrived after it.
    pub fn outage_after(&self, from: Duration) -> Option<Duration> {
        self.acks
            .iter()
            .map(|a| a.at)
            .filter(|t| *t > from)
            .min()
            .map(|t| t - from)
    }
}

impl LoadReport {
    /// The longest stretch without an acknowledgement from `from` on (in-flight batches
    /// may still be acknowledged right after a fault; the gap after them is the outage).
    pub fn longest_gap_after(&self, from: Duration) -> Option<Duration> {
        let mut times: Vec<Duration> = self
            .acks
            .iter()
            .map(|a| a.at)
            .filter(|t| *t > from)
            .collect();
        times.sort();
        let mut last = from;
        let mut longest = None;
        for t in times {
            longest = longest.max(Some(t - last));
            last = t;
        }
        longest
    }
}

impl Load {
    /// Starts `clients` threads writing to `ports` (tried in turn; a refusal moves a
    /// client on to the next port).
    pub fn start(ports: &[u16], clients: usize) -> Self {
        let shared = Arc::new(Shared {
            ports: Mutex::new(ports.to_vec()),
            started: Instant::now(),
            acks: Mutex::new(Vec::new()),
            events: Mutex::new(Vec::new()),
            next_port: AtomicUsize::new(0),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..clients)
            .map(|_| {
                let shared = Arc::clone(&shared);
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || client(&shared, &stop))
            })
            .collect();
        Self {
            stop,
            threads,
            shared,
        }
    }

    /// Time since the load started (the clock acknowledgements are stamped with).
    pub fn elapsed(&self) -> Duration {
        self.shared.started.elapsed()
    }

    /// Acknowledgements so far.
    pub fn acked(&self) -> usize {
        lock(&self.shared.acks).len()
    }

    /// The newest acknowledgement so far.
    pub fn newest_ack(&self) -> Option<Ack> {
        lock(&self.shared.acks).last().cloned()
    }

    /// Points the clients at other servers (a restarted one listens on a new port).
    pub fn retarget(&self, ports: &[u16]) {
        *lock(&self.shared.ports) = ports.to_vec();
    }

    /// Waits until at least `n` more entries are acknowledged than now, or `limit` passes.
    pub fn wait_for_more(&self, n: usize, limit: Duration) -> bool {
        let goal = self.acked() + n;
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.acked() >= goal {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Stops the clients (each finishes the request it is in) and returns what they saw.
    pub fn stop(self) -> LoadReport {
        self.stop.store(true, Ordering::Release);
        for t in self.threads {
            t.join().expect("a load client panicked");
        }
        LoadReport {
            acks: std::mem::take(&mut lock(&self.shared.acks)),
            events: std::mem::take(&mut lock(&self.shared.events)),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn client(shared: &Shared, stop: &AtomicBool) {
    while !stop.load(Ordering::Acquire) {
        let port = {
            let ports = lock(&shared.ports);
            if ports.is_empty() {
                drop(ports);
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            ports[shared.next_port.load(Ordering::Relaxed) % ports.len()]
        };
        let body = hashedrekord_body();
        let answer = try_request(
            port,
            "POST",
            "/api/v1/log/entries",
            "Content-Type: application/json\r\n",
            &body,
        );
        let at = shared.started.elapsed();
        let outcome = match answer {
            Some(r) if r.status == 201 => match parse_ack(&r.body, at) {
                Some(ack) => {
                    lock(&shared.acks).push(ack);
                    Outcome::Acked
                }
                // A 201 whose body we cannot read is not an acknowledgement we can check.
                None => Outcome::Unexpected(201),
            },
            Some(r) if r.status == 503 => Outcome::Refused,
            Some(r) => Outcome::Unexpected(r.status),
            None => Outcome::NoAnswer,
        };
        lock(&shared.events).push((at, outcome));
        if outcome != Outcome::Acked {
            shared.next_port.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn parse_ack(body: &str, at: Duration) -> Option<Ack> {
    let v: Value = serde_json::from_str(body).ok()?;
    let (uuid, entry) = v.as_object()?.iter().next()?;
    Some(Ack {
        uuid: uuid.clone(),
        entry: entry.clone(),
        at,
    })
}

/// A fresh hashedrekord 0.0.1 request: a random artifact signed with a key of its own, so
/// every body is distinct and valid.
pub fn hashedrekord_body() -> String {
    let mut artifact = [0u8; 32];
    SystemRandom::new().fill(&mut artifact).expect("system RNG");
    crate::support::hashedrekord(&artifact)
}
