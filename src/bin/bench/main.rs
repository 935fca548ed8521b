//! `bench`: the reproducible benchmark of Assessor Academy (issue 10).
//!
//! ```text
//! cargo build --release                                   # the service and this bench
//! cargo run --release --bin bench -- exam                 # SQLite, 2,000 trainees
//! cargo run --release --bin bench -- exam --pg            # PostgreSQL at postgres://postgres@127.0.0.1:5432
//! cargo run --release --bin bench -- scale [--pg]         # 100,000 users, 1,000,000 attempts, 100,000 credentials
//! cargo run --release --bin bench -- exam --trainees 50 --ramp-secs 5 --duration-secs 2   # a quick smoke run
//! ```
//!
//! The bench builds nothing: it starts the sibling release binary `target/release/academy`
//! (`cargo run --bin bench` alone does not rebuild it, so build both first) on a fresh
//! database (a temp SQLite file, or a new PostgreSQL database `bench_<uuid>` that is dropped at
//! the end) on a free port of 127.0.0.1, with mail written as files into the temp folder.
//! With `taskset` and at least two CPUs, the server runs on the first allowed CPU and this
//! load generator on the second; the report says whether that happened.
//!
//! `exam` measures, in this order: the exam burst (every trainee its own task: all start
//! within `--ramp-secs`, each autosaves every question after a think time, then submits); the
//! single-trainee cycle (start, 20 autosaves, submit, review; sequential; median of at least
//! 10, one fresh trainee each); autosave throughput (closed loop); the trainee's quiz page
//! (`GET /cohorts/{id}/quizzes/{slug}` with the session cookie); public verification by id
//! (valid, revoked and unknown ids); and the ceiling: `GET /healthz` at the same concurrency
//! and single-row insert and primary-key read rates of the same database from one in-process
//! loop. Then it stops the server and checks in the database that every acknowledged autosave
//! and submission is there and graded exactly once. The table is printed and written as JSON
//! and Markdown to `target/bench/<backend>-<timestamp>.{json,md}`.
//!
//! `scale` compares verification by id, the roster (API and web cohort page) and a trainee's
//! dashboard on a small database with the same requests after seeding 100,000 users,
//! 1,000,000 attempts and 100,000 credentials.

mod ceiling;
mod check;
mod exam;
mod load;
mod report;
mod scale;
mod seed;
mod server;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

/// Benchmarks of Assessor Academy: the exam burst, verification load and data scale.
#[derive(Parser)]
#[command(name = "bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The exam burst, the single-trainee cycle, pages and verification, against the ceiling.
    Exam(ExamArgs),
    /// Verification, roster and dashboard on a small database and on a large one.
    Scale(ScaleArgs),
}

/// Options of every run.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Use PostgreSQL: a fresh database bench_<uuid> on this server, dropped at the end.
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = server::DEFAULT_PG)]
    pub pg: Option<String>,
    /// Concurrent connections of the closed-loop phases.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Length of each closed-loop phase (and of each half of the database ceiling), seconds.
    #[arg(long, default_value_t = 10)]
    pub duration_secs: u64,
    /// The course content folder (default: course_content of this repository).
    #[arg(long)]
    pub content_dir: Option<PathBuf>,
    /// The service binary (default: `academy` next to this binary).
    #[arg(long)]
    pub server: Option<PathBuf>,
    /// `ACADEMY_LOG` of the server.
    #[arg(long, default_value = "warn")]
    pub server_log: String,
    /// `ACADEMY_WORKERS` of the server (default: its own, one per CPU it may use).
    #[arg(long)]
    pub server_workers: Option<usize>,
    /// `ACADEMY_DB_POOL_SIZE` of the server (default: its own).
    #[arg(long)]
    pub db_pool_size: Option<u32>,
    /// Do not pin server and load generator to separate CPUs.
    #[arg(long)]
    pub no_pin: bool,
    /// Send all verification requests from 127.0.0.1 (they will meet the per-address limit).
    #[arg(long)]
    pub no_address_rotation: bool,
    /// Keep the temp folder and the database.
    #[arg(long)]
    pub keep: bool,
}

/// Options of `bench exam`.
#[derive(Args, Debug, Clone)]
pub struct ExamArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Trainees in the exam burst.
    #[arg(long, default_value_t = 2000)]
    pub trainees: usize,
    /// Every trainee has started by the end of this many seconds.
    #[arg(long, default_value_t = 60)]
    pub ramp_secs: u64,
    /// Mean think time before each autosave and the submit, ms (uniform ±50 %).
    #[arg(long, default_value_t = 1000)]
    pub think_ms: u64,
    /// The quiz (a slug of the content folder).
    #[arg(long, default_value = "final-exam")]
    pub quiz: String,
    /// Single-trainee cycles (at least 10).
    #[arg(long, default_value_t = 20)]
    pub cycles: usize,
    /// Trainees whose fresh attempts the autosave-throughput phase writes to.
    #[arg(long, default_value_t = 2000)]
    pub saturation_trainees: usize,
    /// Credentials to issue for the verification load.
    #[arg(long, default_value_t = 200)]
    pub credentials: usize,
    /// Revoke every n-th issued credential (0: none).
    #[arg(long, default_value_t = 10)]
    pub revoke_every: usize,
}

/// Options of `bench scale`.
#[derive(Args, Debug, Clone)]
pub struct ScaleArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Users in the large database.
    #[arg(long, default_value_t = 100_000)]
    pub users: usize,
    /// Attempts in the large database (spread evenly over the users).
    #[arg(long, default_value_t = 1_000_000)]
    pub attempts: usize,
    /// Credentials in the large database (one per user, the first users).
    #[arg(long, default_value_t = 100_000)]
    pub credentials: usize,
    /// Trainees per cohort (the measured cohort has this many).
    #[arg(long, default_value_t = 40)]
    pub cohort_size: usize,
    /// Store an empty layout in every seeded attempt instead of real ones (a smaller database).
    #[arg(long)]
    pub lean_layouts: bool,
    /// Do not run VACUUM ANALYZE on PostgreSQL after seeding.
    #[arg(long)]
    pub no_analyze: bool,
}

/// A tokio runtime sized to the CPUs this process may use (one when pinned).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("starting the tokio runtime")
}

/// What every benchmark starts with: the machine described, this process pinned, a runtime,
/// a fresh database and the release server started on it, healthy.
pub struct Setup {
    pub started_at: String,
    pub machine: server::Machine,
    pub exe: PathBuf,
    /// The content the server runs with (a copy without prerequisites when lifted).
    pub content_dir: PathBuf,
    pub pinning: server::Pinning,
    pub rt: tokio::runtime::Runtime,
    /// The length of each closed-loop phase.
    pub duration: std::time::Duration,
    pub ws: server::Workspace,
    pub secret: String,
    pub srv: server::Server,
    pub client: reqwest::Client,
}

impl Setup {
    /// `lift`: run the server on a copy of the content whose quizzes have no prerequisites
    /// (see [`lift_prerequisites`]).
    pub fn start(c: &CommonArgs, lift: bool) -> anyhow::Result<Setup> {
        let started_at = chrono::Utc::now().to_rfc3339();
        let machine = server::machine();
        let exe = server::academy_exe(c.server.as_deref())?;
        let content_dir = content_dir(c.content_dir.as_deref())?;
        // Pin before the runtime and the database pools start threads: threads inherit it.
        let pinning = server::pin_self(c.no_pin);
        println!(
            "machine: {} ({} CPUs, {} MB); pinning: {}; {}",
            machine.cpu_model,
            machine.cpus,
            machine.mem_total_mb,
            pinning.note,
            server::raise_fd_limit()
        );
        let rt = runtime()?;
        let duration = std::time::Duration::from_secs(c.duration_secs.max(1));
        let ws = server::Workspace::create(c.pg.as_deref(), c.keep)?;
        println!("database: {}", ws.label());
        let content_dir = if lift {
            lift_prerequisites(&content_dir, &ws.dir)?
        } else {
            content_dir
        };
        let secret = seed::random_secret();
        let mut srv = server::Server::start(&server::ServerConfig {
            exe: &exe,
            ws: &ws,
            content_dir: &content_dir,
            jwt_secret: &secret,
            log: &c.server_log,
            workers: c.server_workers,
            db_pool_size: c.db_pool_size,
            cpu: pinning.server_cpu_if_pinned(),
        })?;
        let client = load::http_client(None)?;
        rt.block_on(srv.wait_healthy(&client, std::time::Duration::from_secs(180)))?;
        println!(
            "server: {} (pid {}) at {}, log {}",
            exe.display(),
            srv.pid,
            srv.base,
            srv.log_path.display()
        );
        Ok(Setup {
            started_at,
            machine,
            exe,
            content_dir,
            pinning,
            rt,
            duration,
            ws,
            secret,
            srv,
            client,
        })
    }
}

/// A copy of the content folder, under `into`, whose quizzes have no prerequisites. The bench's
/// trainees are seeded straight into the database without reading modules or passing module
/// quizzes, so the final exam's eligibility rule (checked by the service's own tests) is lifted
/// for the measurement.
pub fn lift_prerequisites(dir: &Path, into: &Path) -> anyhow::Result<PathBuf> {
    fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let target = to.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                copy(&entry.path(), &target)?;
            } else {
                std::fs::copy(entry.path(), &target)?;
            }
        }
        Ok(())
    }
    let out = into.join("content");
    copy(dir, &out).with_context(|| format!("copying {}", dir.display()))?;
    for entry in std::fs::read_dir(out.join("quizzes"))? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let mut table: toml::Table = text
            .parse()
            .with_context(|| format!("reading {}", path.display()))?;
        let had =
            table.remove("requires_modules").is_some() | table.remove("requires_quizzes").is_some();
        if had {
            std::fs::write(&path, toml::to_string(&table)?)?;
        }
    }
    Ok(out)
}

/// The content folder as an absolute path.
pub fn content_dir(arg: Option<&Path>) -> anyhow::Result<PathBuf> {
    let dir = match arg {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("course_content"),
    };
    let dir = dir
        .canonicalize()
        .with_context(|| format!("the content folder {}", dir.display()))?;
    if !dir.join("programme.toml").is_file() {
        bail!(
            "{}: no programme.toml there (pass --content-dir)",
            dir.display()
        );
    }
    Ok(dir)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Exam(args) => exam::run(args),
        Command::Scale(args) => scale::run(args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("bench: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
