//! One bounded load run: open loop at a fixed rate, or closed loop with fixed concurrency.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use tokio::sync::Semaphore;

use crate::client::Api;
use crate::entries::{hashedrekord_bodies, signing_cert_bodies};
use crate::proc_stats::{self, ProcReading};
use crate::stats::Samples;

/// What to send.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// New hashedrekord entries.
    Add,
    /// Entry reads by random log index (each returns an inclusion proof).
    Read,
    /// Keyless certificate requests.
    Cert,
}

/// Options shared by both kinds of run.
#[derive(clap::Args)]
pub struct Options {
    /// Base URL of the log (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// Open loop: requests per second to offer. Without it the run is closed-loop.
    #[arg(long)]
    pub rate: Option<u32>,
    /// Closed loop: requests in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// How long to send for.
    #[arg(long, value_parser = parse_secs, default_value = "10")]
    pub duration: Duration,
    /// Upper bound on requests sent, whatever the duration.
    #[arg(long, default_value_t = 200_000)]
    pub max_requests: usize,
    /// Reads only: pick indexes among the newest N entries instead of the whole log (the
    /// common pattern: clients verify what was just logged).
    #[arg(long)]
    pub recent: Option<u64>,
    /// Certificates only: the OIDC token to present (e.g. from `sigstack dev-token`).
    #[arg(long)]
    pub token: Option<String>,
    /// Certificates only: the e-mail the token names (signed as proof of possession).
    #[arg(long, default_value = "dev@sigstack.test")]
    pub email: String,
    /// PID of the server, to report its CPU and memory use.
    #[arg(long)]
    pub server_pid: Option<u32>,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    s.trim_end_matches('s')
        .parse::<f64>()
        .map(Duration::from_secs_f64)
        .map_err(|e| e.to_string())
}

/// What a run measured.
pub struct Report {
    kind: Kind,
    sent: usize,
    elapsed: Duration,
    samples: Samples,
    offered_rate: Option<u32>,
    server: Option<(ProcReading, ProcReading)>,
}

/// Runs one bounded load test and reports on it.
pub async fn run(kind: Kind, opts: &Options) -> Result<Report> {
    let api = Api::new(&opts.url, opts.concurrency.max(64));
    let planned = match opts.rate {
        Some(rate) => {
            (rate as usize * opts.duration.as_secs_f64().ceil() as usize).min(opts.max_requests)
        }
        None => opts.max_requests,
    };
    let requests = prepare(kind, &api, planned, opts).await?;
    let before = opts.server_pid.and_then(proc_stats::read);
    let started = Instant::now();
    let (sent, samples) = match opts.rate {
        Some(rate) => open_loop(&api, requests, rate, opts.duration).await,
        None => closed_loop(&api, requests, opts.concurrency, opts.duration).await,
    };
    let elapsed = started.elapsed();
    let after = opts.server_pid.and_then(proc_stats::read);
    Ok(Report {
        kind,
        sent,
        elapsed,
        samples,
        offered_rate: opts.rate,
        server: before.zip(after),
    })
}

/// A request ready to send: method, path, body and the status that counts as success.
#[derive(Clone)]
struct Prepared {
    method: Method,
    path: String,
    body: Bytes,
    ok: StatusCode,
    bearer: Option<Arc<str>>,
}

async fn prepare(kind: Kind, api: &Api, count: usize, opts: &Options) -> Result<Vec<Prepared>> {
    let recent = opts.recent;
    match kind {
        Kind::Add => {
            let bodies = tokio::task::spawn_blocking(move || hashedrekord_bodies(count)).await??;
            Ok(bodies
                .into_iter()
                .map(|b| Prepared {
                    method: Method::POST,
                    path: "/api/v1/log/entries".into(),
                    body: Bytes::from(b),
                    ok: StatusCode::CREATED,
                    bearer: None,
                })
                .collect())
        }
        Kind::Cert => {
            let token: Arc<str> = opts
                .token
                .as_deref()
                .context("--token is required for certificate requests")?
                .trim()
                .into();
            let email = opts.email.clone();
            let bodies =
                tokio::task::spawn_blocking(move || signing_cert_bodies(count, &email)).await??;
            Ok(bodies
                .into_iter()
                .map(|b| Prepared {
                    method: Method::POST,
                    path: "/api/v1/signingCert".into(),
                    body: Bytes::from(b),
                    ok: StatusCode::CREATED,
                    bearer: Some(Arc::clone(&token)),
                })
                .collect())
        }
        Kind::Read => {
            let size = api.tree_size().await?;
            if size == 0 {
                bail!("the log is empty: run an add load first");
            }
            let rng = ring::rand::SystemRandom::new();
            let mut out = Vec::with_capacity(count);
            for _ in 0..count {
                let mut b = [0u8; 8];
                ring::rand::SecureRandom::fill(&rng, &mut b)
                    .map_err(|_| anyhow::anyhow!("rng failed"))?;
                let span = recent.unwrap_or(size).clamp(1, size);
                let index = size - 1 - u64::from_le_bytes(b) % span;
                out.push(Prepared {
                    method: Method::GET,
                    path: format!("/api/v1/log/entries?logIndex={index}"),
                    body: Bytes::new(),
                    ok: StatusCode::OK,
                    bearer: None,
                });
            }
            Ok(out)
        }
    }
}

async fn send_one(api: &Api, req: &Prepared, since: Instant, samples: &mut Samples) {
    match api
        .send(
            req.method.clone(),
            &req.path,
            req.body.clone(),
            req.bearer.as_deref(),
        )
        .await
    {
        Ok((status, _)) if status == req.ok => samples
            .latencies_us
            .push(since.elapsed().as_micros() as u64),
        Ok(_) => samples.errors += 1,
        Err(_) => samples.transport_errors += 1,
    }
}

/// Sends at a fixed rate whatever the server does; latency counts from the scheduled time.
async fn open_loop(
    api: &Api,
    requests: Vec<Prepared>,
    rate: u32,
    duration: Duration,
) -> (usize, Samples) {
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let start = Instant::now();
    // Bounds memory if the server stalls: beyond this many in flight, requests are not sent.
    let in_flight = Arc::new(Semaphore::new(20_000));
    let mut handles = Vec::with_capacity(requests.len());
    let mut sent = 0;
    for (i, req) in requests.into_iter().enumerate() {
        let due = start + interval * i as u32;
        if due.duration_since(start) >= duration {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            continue;
        };
        let api = api.clone();
        sent += 1;
        handles.push(tokio::spawn(async move {
            let mut s = Samples::default();
            send_one(&api, &req, due, &mut s).await;
            drop(permit);
            s
        }));
    }
    let mut samples = Samples::default();
    for h in handles {
        if let Ok(s) = h.await {
            samples.merge(s);
        }
    }
    (sent, samples)
}

/// Keeps `concurrency` requests in flight until the time or the requests run out.
async fn closed_loop(
    api: &Api,
    requests: Vec<Prepared>,
    concurrency: usize,
    duration: Duration,
) -> (usize, Samples) {
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + duration;
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (api, requests, next) = (api.clone(), requests.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut s = Samples::default();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(req) = requests.get(i) else { break };
                send_one(&api, req, Instant::now(), &mut s).await;
            }
            s
        }));
    }
    let mut samples = Samples::default();
    for w in workers {
        if let Ok(s) = w.await {
            samples.merge(s);
        }
    }
    let sent = next.load(Ordering::Relaxed).min(requests.len());
    (sent, samples)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = Samples {
            latencies_us: self.samples.latencies_us.clone(),
            ..Samples::default()
        };
        let ok = s.latencies_us.len();
        let secs = self.elapsed.as_secs_f64();
        let what = match self.kind {
            Kind::Add => "add",
            Kind::Read => "read",
            Kind::Cert => "cert",
        };
        match self.offered_rate {
            Some(r) => writeln!(f, "{what}: open loop, offered {r}/s")?,
            None => writeln!(f, "{what}: closed loop")?,
        }
        writeln!(
            f,
            "sent {} ok {ok} errors {} transport-errors {} in {secs:.2}s => {:.0} ok/s",
            self.sent,
            self.samples.errors,
            self.samples.transport_errors,
            ok as f64 / secs
        )?;
        writeln!(
            f,
            "latency p50 {:?} p90 {:?} p99 {:?} max {:?}",
            s.quantile(0.5),
            s.quantile(0.9),
            s.quantile(0.99),
            s.quantile(1.0)
        )?;
        if let Some((before, after)) = self.server {
            let cpu = after.cpu.saturating_sub(before.cpu).as_secs_f64();
            writeln!(
                f,
                "server cpu {:.0}% of one core, rss {} MiB, peak rss {} MiB",
                100.0 * cpu / secs,
                after.rss_bytes >> 20,
                after.peak_rss_bytes >> 20
            )?;
        }
        Ok(())
    }
}
