//! The load generator: an async, connection-reusing reqwest client; the exam burst (one tokio
//! task per trainee, open loop), the sequential single-trainee cycle, and closed-loop phases
//! with a fixed number of connections for a fixed time (autosave saturation, pages,
//! verification, the trivial endpoint).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::check::AckLog;
use crate::report::{ms, percentile, Row};

// ---------------------------------------------------------------------------------------------
// HTTP client and recording
// ---------------------------------------------------------------------------------------------

/// A client that keeps connections open, never follows redirects (a redirect to /login is an
/// error here), optionally bound to a local address.
pub fn http_client(local: Option<IpAddr>) -> anyhow::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(usize::MAX)
        .tcp_nodelay(true);
    if let Some(ip) = local {
        b = b.local_address(ip);
    }
    Ok(b.build()?)
}

/// The outcome of one request, with the time to the last byte of the body.
pub enum Sent {
    Reply {
        status: u16,
        body: Vec<u8>,
        latency: Duration,
    },
    Failed {
        error: String,
        latency: Duration,
    },
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Sends a request and reads the whole body. The body is kept when asked, or for a non-2xx
/// answer (for the error samples).
pub async fn send(req: reqwest::RequestBuilder, keep_body: bool) -> Sent {
    let t0 = Instant::now();
    match req.send().await {
        Err(e) => Sent::Failed {
            error: error_chain(&e),
            latency: t0.elapsed(),
        },
        Ok(resp) => {
            let status = resp.status().as_u16();
            match resp.bytes().await {
                Err(e) => Sent::Failed {
                    error: format!("reading the body: {}", error_chain(&e)),
                    latency: t0.elapsed(),
                },
                Ok(bytes) => {
                    let latency = t0.elapsed();
                    let body = if keep_body || !(200..300).contains(&status) {
                        bytes.to_vec()
                    } else {
                        Vec::new()
                    };
                    Sent::Reply {
                        status,
                        body,
                        latency,
                    }
                }
            }
        }
    }
}

#[derive(Default)]
struct Series {
    lat_us: Vec<u64>,
    ok: u64,
    errors: u64,
    samples: Vec<String>,
}

/// Latencies and errors per request kind of one phase.
pub struct Recorder {
    phase: &'static str,
    started: Instant,
    series: Mutex<BTreeMap<&'static str, Series>>,
}

impl Recorder {
    /// Starts a phase now.
    pub fn new(phase: &'static str) -> Arc<Recorder> {
        Arc::new(Recorder {
            phase,
            started: Instant::now(),
            series: Mutex::new(BTreeMap::new()),
        })
    }

    fn with<R>(&self, kind: &'static str, f: impl FnOnce(&mut Series) -> R) -> R {
        let mut map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        f(map.entry(kind).or_default())
    }

    /// A success.
    pub fn ok(&self, kind: &'static str, latency: Duration) {
        self.with(kind, |s| {
            s.lat_us.push(latency.as_micros() as u64);
            s.ok += 1;
        });
    }

    /// A failure (its latency counts too: a slow error is still slow).
    pub fn err(&self, kind: &'static str, latency: Duration, message: String) {
        self.with(kind, |s| {
            s.lat_us.push(latency.as_micros() as u64);
            s.errors += 1;
            if s.samples.len() < 5 {
                s.samples.push(message);
            }
        });
    }

    /// Records `sent` as a success when its status is one of `expect`; returns the body then.
    pub fn check(&self, kind: &'static str, sent: Sent, expect: &[u16]) -> Option<Vec<u8>> {
        match sent {
            Sent::Failed { error, latency } => {
                self.err(kind, latency, error);
                None
            }
            Sent::Reply {
                status,
                body,
                latency,
            } => {
                if expect.contains(&status) {
                    self.ok(kind, latency);
                    Some(body)
                } else {
                    let snippet = String::from_utf8_lossy(&body[..body.len().min(300)]).to_string();
                    self.err(kind, latency, format!("HTTP {status}: {snippet}"));
                    None
                }
            }
        }
    }

    /// Successes so far.
    pub fn ok_count(&self, kind: &'static str) -> u64 {
        self.with(kind, |s| s.ok)
    }

    /// Failures so far.
    pub fn err_count(&self, kind: &'static str) -> u64 {
        self.with(kind, |s| s.errors)
    }

    /// One row per kind; the phase lasted from `new` until now.
    pub fn rows(&self) -> Vec<Row> {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        map.iter()
            .map(|(kind, s)| {
                let mut lat = s.lat_us.clone();
                lat.sort_unstable();
                Row {
                    phase: self.phase.to_string(),
                    kind: kind.to_string(),
                    ok: s.ok,
                    errors: s.errors,
                    secs,
                    rps: s.ok as f64 / secs,
                    p50_ms: ms(percentile(&lat, 50.0)),
                    p95_ms: ms(percentile(&lat, 95.0)),
                    p99_ms: ms(percentile(&lat, 99.0)),
                    max_ms: ms(lat.last().copied().unwrap_or(0)),
                    error_samples: s.samples.clone(),
                }
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The quiz over HTTP
// ---------------------------------------------------------------------------------------------

/// The parts of `POST /api/v1/cohorts/{id}/quizzes/{slug}/attempts` the bench needs.
#[derive(Debug, Clone, Deserialize)]
pub struct StartResponse {
    pub attempt_id: String,
    pub questions: Vec<QuestionView>,
}

/// A question as the trainee sees it (`quizzes::engine::QuestionView`).
#[derive(Debug, Clone, Deserialize)]
pub struct QuestionView {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub options: Vec<Shown>,
    #[serde(default)]
    pub items: Vec<Shown>,
}

/// A shown option or matching item.
#[derive(Debug, Clone, Deserialize)]
pub struct Shown {
    pub id: String,
}

/// A valid answer of the question's kind (`quizzes::engine::validate_answer`); `variant`
/// picks another option, so repeated saves change the value.
pub fn answer_for(q: &QuestionView, variant: usize) -> Value {
    let option = |k: usize| -> Option<String> {
        if q.options.is_empty() {
            None
        } else {
            Some(q.options[k % q.options.len()].id.clone())
        }
    };
    match q.kind.as_str() {
        "single" => option(variant).map(Value::String).unwrap_or(Value::Null),
        "multiple" => match option(variant) {
            Some(id) => json!([id]),
            None => json!([]),
        },
        "true_false" => Value::Bool(variant.is_multiple_of(2)),
        "short_text" => Value::String(format!("คำตอบที่ {}", variant + 1)),
        "numeric" => json!(variant as u64 + 1),
        "matching" => {
            let mut m = serde_json::Map::new();
            for (i, item) in q.items.iter().enumerate() {
                if let Some(right) = option(i + variant) {
                    m.insert(item.id.clone(), Value::String(right));
                }
            }
            Value::Object(m)
        }
        _ => Value::Null,
    }
}

/// Where the exam runs.
pub struct Exam {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub cohort_id: String,
    pub slug: String,
}

impl Exam {
    fn start_url(&self) -> String {
        format!(
            "{}/api/v1/cohorts/{}/quizzes/{}/attempts",
            self.base, self.cohort_id, self.slug
        )
    }

    fn answer_url(&self, attempt: &str, question: &str) -> String {
        format!("{}/api/v1/attempts/{attempt}/answers/{question}", self.base)
    }

    fn submit_url(&self, attempt: &str) -> String {
        format!("{}/api/v1/attempts/{attempt}/submit", self.base)
    }

    fn attempt_url(&self, attempt: &str) -> String {
        format!("{}/api/v1/attempts/{attempt}", self.base)
    }
}

/// Starts (or resumes) the trainee's attempt; `None` on any failure (recorded).
async fn start_attempt(
    client: &reqwest::Client,
    exam: &Exam,
    rec: &Recorder,
    token: &str,
) -> Option<StartResponse> {
    let url = exam.start_url();
    let sent = send(client.post(url.as_str()).bearer_auth(token), true).await;
    let body = rec.check("start", sent, &[200, 201])?;
    match serde_json::from_slice::<StartResponse>(&body) {
        Ok(s) => Some(s),
        Err(e) => {
            rec.err(
                "start",
                Duration::ZERO,
                format!("unreadable start response: {e}"),
            );
            None
        }
    }
}

/// Autosaves one answer and logs it; true when acknowledged.
#[allow(clippy::too_many_arguments)]
async fn autosave(
    client: &reqwest::Client,
    exam: &Exam,
    rec: &Recorder,
    acks: &AckLog,
    token: &str,
    attempt: &str,
    q: &QuestionView,
    variant: usize,
) -> bool {
    let value = answer_for(q, variant);
    let url = exam.answer_url(attempt, &q.id);
    let body = json!({ "answer": value.clone() });
    let sent = send(
        client.put(url.as_str()).bearer_auth(token).json(&body),
        false,
    )
    .await;
    let ok = rec.check("autosave", sent, &[200]).is_some();
    acks.answer(attempt, &q.id, value, ok);
    ok
}

/// Submits and logs it; true when acknowledged.
async fn submit(
    client: &reqwest::Client,
    exam: &Exam,
    rec: &Recorder,
    acks: &AckLog,
    token: &str,
    attempt: &str,
) -> bool {
    let url = exam.submit_url(attempt);
    let sent = send(client.post(url.as_str()).bearer_auth(token), false).await;
    let ok = rec.check("submit", sent, &[200]).is_some();
    acks.submit(attempt, ok);
    ok
}

/// Think time around `mean_ms`: uniform between half and one and a half times the mean.
fn think(mean_ms: u64) -> Duration {
    if mean_ms == 0 {
        return Duration::ZERO;
    }
    let factor = 0.5 + rand::random::<f64>();
    Duration::from_secs_f64(mean_ms as f64 * factor / 1000.0)
}

async fn sleep_until(at: Instant) {
    let now = Instant::now();
    if at > now {
        tokio::time::sleep(at - now).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The exam burst
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct BurstProgress {
    started: AtomicU64,
    submitted: AtomicU64,
    finished: AtomicU64,
}

/// One simulated trainee: start at `at`, answer every question after a think time, submit.
#[allow(clippy::too_many_arguments)]
async fn trainee(
    client: reqwest::Client,
    exam: Arc<Exam>,
    rec: Arc<Recorder>,
    acks: Arc<AckLog>,
    progress: Arc<BurstProgress>,
    token: String,
    at: Instant,
    think_ms: u64,
) {
    sleep_until(at).await;
    progress.started.fetch_add(1, Ordering::Relaxed);
    if let Some(start) = start_attempt(&client, &exam, &rec, &token).await {
        for q in &start.questions {
            tokio::time::sleep(think(think_ms)).await;
            autosave(&client, &exam, &rec, &acks, &token, &start.attempt_id, q, 0).await;
        }
        tokio::time::sleep(think(think_ms)).await;
        if submit(&client, &exam, &rec, &acks, &token, &start.attempt_id).await {
            progress.submitted.fetch_add(1, Ordering::Relaxed);
        }
    }
    progress.finished.fetch_add(1, Ordering::Relaxed);
}

/// The exam burst: every trainee is its own task; trainee `i` of `n` starts at
/// `ramp * i / (n - 1)`, so all have started by the end of the ramp. Open loop: a slow server
/// does not slow the arrivals down.
pub async fn burst(
    client: reqwest::Client,
    exam: Arc<Exam>,
    tokens: Vec<String>,
    ramp: Duration,
    think_ms: u64,
    acks: Arc<AckLog>,
    server_pid: u32,
) -> Vec<Row> {
    let rec = Recorder::new("burst");
    let progress = Arc::new(BurstProgress::default());
    let n = tokens.len();
    let t0 = Instant::now();
    let mut handles = Vec::with_capacity(n);
    for (i, token) in tokens.into_iter().enumerate() {
        let offset = if n > 1 {
            ramp.mul_f64(i as f64 / (n - 1) as f64)
        } else {
            Duration::ZERO
        };
        handles.push(tokio::spawn(trainee(
            client.clone(),
            exam.clone(),
            rec.clone(),
            acks.clone(),
            progress.clone(),
            token,
            t0 + offset,
            think_ms,
        )));
    }
    let reporter = {
        let (rec, progress) = (rec.clone(), progress.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                print_burst_progress(&rec, &progress, n, t0, server_pid);
            }
        })
    };
    for h in handles {
        let _ = h.await;
    }
    reporter.abort();
    print_burst_progress(&rec, &progress, n, t0, server_pid);
    rec.rows()
}

fn print_burst_progress(
    rec: &Recorder,
    progress: &BurstProgress,
    n: usize,
    t0: Instant,
    server_pid: u32,
) {
    let rss = crate::server::proc_status_kb(server_pid, "VmRSS:").unwrap_or(0);
    println!(
        "  burst {:>6.1} s: started {}/{n}, finished {}, submitted {}, autosaves {} ok / {} errors, server RSS {} MB",
        t0.elapsed().as_secs_f64(),
        progress.started.load(Ordering::Relaxed),
        progress.finished.load(Ordering::Relaxed),
        progress.submitted.load(Ordering::Relaxed),
        rec.ok_count("autosave"),
        rec.err_count("autosave"),
        rss / 1024
    );
}

// ---------------------------------------------------------------------------------------------
// The single-trainee cycle
// ---------------------------------------------------------------------------------------------

/// One trainee's full attempt, sequential, no think time: start, every autosave, submit,
/// review (`GET /api/v1/attempts/{id}`). One fresh trainee per cycle, so the attempt limit of
/// the quiz never interferes. Recorded per request and as `cycle_total`.
pub async fn cycles(
    client: reqwest::Client,
    exam: Arc<Exam>,
    tokens: Vec<String>,
    acks: Arc<AckLog>,
) -> Vec<Row> {
    let rec = Recorder::new("cycle");
    for token in &tokens {
        let t0 = Instant::now();
        let ok = one_cycle(&client, &exam, &rec, &acks, token).await;
        if ok {
            rec.ok("cycle_total", t0.elapsed());
        } else {
            rec.err(
                "cycle_total",
                t0.elapsed(),
                "a request of the cycle failed".into(),
            );
        }
    }
    rec.rows()
}

async fn one_cycle(
    client: &reqwest::Client,
    exam: &Exam,
    rec: &Recorder,
    acks: &AckLog,
    token: &str,
) -> bool {
    let Some(start) = start_attempt(client, exam, rec, token).await else {
        return false;
    };
    let mut ok = true;
    for q in &start.questions {
        ok &= autosave(client, exam, rec, acks, token, &start.attempt_id, q, 0).await;
    }
    ok &= submit(client, exam, rec, acks, token, &start.attempt_id).await;
    let url = exam.attempt_url(&start.attempt_id);
    let sent = send(client.get(url.as_str()).bearer_auth(token), false).await;
    ok &= rec.check("review", sent, &[200]).is_some();
    ok
}

// ---------------------------------------------------------------------------------------------
// Autosave saturation
// ---------------------------------------------------------------------------------------------

/// An open attempt ready for autosaves.
#[derive(Clone)]
struct OpenAttempt {
    token: String,
    attempt_id: String,
    questions: Vec<QuestionView>,
}

/// What the saturation phase did besides its rows.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SaturationStats {
    pub attempts_opened: usize,
    pub attempts_failed: usize,
    /// Autosaves of a question not yet answered in that attempt (an INSERT on the server).
    pub first_saves: u64,
    /// Autosaves replacing an earlier answer (an UPDATE), once every attempt is answered.
    pub resaves: u64,
}

/// Autosave throughput: `connections` loops, each with its own share of fresh open attempts
/// (started here, untimed), send autosaves back to back for `duration`. Each answer is written
/// by one loop only, in order, so the integrity check applies to these writes too.
pub async fn autosave_saturation(
    client: reqwest::Client,
    exam: Arc<Exam>,
    tokens: Vec<String>,
    acks: Arc<AckLog>,
    connections: usize,
    duration: Duration,
) -> (Vec<Row>, SaturationStats) {
    let connections = connections.max(1);
    // Open one attempt per trainee, `connections` at a time.
    let setup = Recorder::new("saturation_setup");
    let tokens = Arc::new(tokens);
    let mut handles = Vec::new();
    for c in 0..connections {
        let (client, exam, setup, tokens) =
            (client.clone(), exam.clone(), setup.clone(), tokens.clone());
        handles.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut i = c;
            while i < tokens.len() {
                let token = &tokens[i];
                if let Some(s) = start_attempt(&client, &exam, &setup, token).await {
                    mine.push(OpenAttempt {
                        token: token.clone(),
                        attempt_id: s.attempt_id,
                        questions: s.questions,
                    });
                }
                i += connections;
            }
            mine
        }));
    }
    let mut shares: Vec<Vec<OpenAttempt>> = Vec::new();
    for h in handles {
        shares.push(h.await.unwrap_or_default());
    }
    let opened: usize = shares.iter().map(Vec::len).sum();
    let mut stats = SaturationStats {
        attempts_opened: opened,
        attempts_failed: tokens.len() - opened,
        ..Default::default()
    };
    if stats.attempts_failed > 0 {
        println!(
            "  warning: {} of {} attempts could not be opened for the saturation phase",
            stats.attempts_failed,
            tokens.len()
        );
    }

    let rec = Recorder::new("autosave_sat");
    let first = Arc::new(AtomicU64::new(0));
    let again = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut handles = Vec::new();
    for mine in shares {
        let (client, exam, rec, acks) = (client.clone(), exam.clone(), rec.clone(), acks.clone());
        let (first, again) = (first.clone(), again.clone());
        handles.push(tokio::spawn(async move {
            if mine.iter().all(|a| a.questions.is_empty()) {
                return;
            }
            let mut pass = 0usize;
            'run: loop {
                for a in &mine {
                    for q in &a.questions {
                        if Instant::now() >= deadline {
                            break 'run;
                        }
                        autosave(
                            &client,
                            &exam,
                            &rec,
                            &acks,
                            &a.token,
                            &a.attempt_id,
                            q,
                            pass,
                        )
                        .await;
                        if pass == 0 {
                            first.fetch_add(1, Ordering::Relaxed);
                        } else {
                            again.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                pass += 1;
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    stats.first_saves = first.load(Ordering::Relaxed);
    stats.resaves = again.load(Ordering::Relaxed);
    (rec.rows(), stats)
}

// ---------------------------------------------------------------------------------------------
// Closed-loop GET phases
// ---------------------------------------------------------------------------------------------

/// How a request signs in.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer(String),
    /// The whole `Cookie:` header value.
    Cookie(String),
}

/// One URL of a GET phase and what a correct answer looks like.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub auth: Auth,
    pub expect: u16,
    /// A JSON field of the body that must have this value (e.g. `valid` = true).
    pub json_field: Option<(&'static str, Value)>,
}

/// The `Cookie:` header of a signed-in browser: the session token and a CSRF cookie (so the
/// page does not set a new one on every request).
pub fn session_cookie(token: &str) -> String {
    format!(
        "{}={token}; {}={}",
        academy::http::extract::SESSION_COOKIE,
        academy::http::ui::CSRF_COOKIE,
        "0123456789abcdef".repeat(4)
    )
}

/// Requests per client address before the address changes (see `get_load`).
const REQUESTS_PER_ADDRESS: u32 = 100;

static NEXT_ADDRESS: AtomicU32 = AtomicU32::new(0);

/// The next loopback source address: 127.10.0.1, 127.10.0.2, … (all of 127.0.0.0/8 is local
/// on Linux; the server's own 127.0.0.1 is never used).
fn next_loopback_address() -> IpAddr {
    let n = NEXT_ADDRESS.fetch_add(1, Ordering::Relaxed);
    let a = 10 + (n / (254 * 256)) % 200;
    let b = (n / 254) % 256;
    let c = 1 + n % 254;
    IpAddr::V4(Ipv4Addr::new(127, a as u8, b as u8, c as u8))
}

/// True when a client bound to another loopback address reaches the server.
pub async fn loopback_addresses_work(base: &str) -> bool {
    let Ok(client) = http_client(Some(next_loopback_address())) else {
        return false;
    };
    let url = format!("{base}/healthz");
    matches!(client.get(url.as_str()).send().await, Ok(r) if r.status().is_success())
}

/// A closed loop: `connections` loops each send one request at a time for `duration`, each
/// to a random target. With `rotate_addresses`, every loop changes its source address (and so
/// its connection) every `REQUESTS_PER_ADDRESS` requests: the public verification endpoints
/// limit each client address to 120 requests a minute, and real verifiers are many clients.
#[allow(clippy::too_many_arguments)]
pub async fn get_load(
    phase: &'static str,
    kind: &'static str,
    client: reqwest::Client,
    rotate_addresses: bool,
    targets: Vec<Target>,
    connections: usize,
    duration: Duration,
) -> Vec<Row> {
    let rec = Recorder::new(phase);
    if targets.is_empty() {
        return rec.rows();
    }
    let targets = Arc::new(targets);
    let deadline = Instant::now() + duration;
    let mut handles = Vec::new();
    for _ in 0..connections.max(1) {
        let (client, rec, targets) = (client.clone(), rec.clone(), targets.clone());
        handles.push(tokio::spawn(async move {
            let mut client = client;
            let mut used = u32::MAX;
            while Instant::now() < deadline {
                if rotate_addresses && used >= REQUESTS_PER_ADDRESS {
                    match http_client(Some(next_loopback_address())) {
                        Ok(c) => client = c,
                        Err(e) => {
                            rec.err(kind, Duration::ZERO, format!("building a client: {e}"));
                            return;
                        }
                    }
                    used = 0;
                }
                used = used.saturating_add(1);
                let t = &targets[rand::random_range(0..targets.len())];
                let mut req = client.get(t.url.as_str());
                match &t.auth {
                    Auth::None => {}
                    Auth::Bearer(token) => req = req.bearer_auth(token),
                    Auth::Cookie(c) => req = req.header(reqwest::header::COOKIE, c.as_str()),
                }
                let sent = send(req, t.json_field.is_some()).await;
                match (&t.json_field, sent) {
                    (
                        Some((field, want)),
                        Sent::Reply {
                            status,
                            body,
                            latency,
                        },
                    ) if status == t.expect => {
                        let got = serde_json::from_slice::<Value>(&body)
                            .ok()
                            .and_then(|v| v.get(*field).cloned());
                        if got.as_ref() == Some(want) {
                            rec.ok(kind, latency);
                        } else {
                            rec.err(
                                kind,
                                latency,
                                format!("{}: {field} is {got:?}, expected {want}", t.url),
                            );
                        }
                    }
                    (_, sent) => {
                        rec.check(kind, sent, &[t.expect]);
                    }
                }
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    rec.rows()
}
