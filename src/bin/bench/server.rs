//! The service under test and the machine it runs on: a fresh database in a fresh folder,
//! the release `academy` binary on a free port, CPU pinning with `taskset`, and the server's
//! memory read from `/proc/<pid>/status`.

use std::ffi::OsString;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use academy::db::DatabaseUrl;
use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde::Serialize;

/// The PostgreSQL server used by `--pg` without a value.
pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432";

// ---------------------------------------------------------------------------------------------
// Workspace: temp folder + fresh database
// ---------------------------------------------------------------------------------------------

/// A fresh database in a fresh temp folder; both are removed on drop unless `--keep`.
pub struct Workspace {
    pub dir: PathBuf,
    pub db_url: DatabaseUrl,
    /// The URL exactly as given to the server in `ACADEMY_DATABASE_URL`.
    pub db_url_env: String,
    pg: Option<PgDrop>,
    keep: bool,
}

struct PgDrop {
    admin_url: String,
    name: String,
}

impl Workspace {
    /// SQLite (a file in the temp folder) when `pg` is `None`; otherwise a new PostgreSQL
    /// database `bench_<uuid>` on the server named by `pg` (any database path in it is ignored).
    pub fn create(pg: Option<&str>, keep: bool) -> anyhow::Result<Workspace> {
        let dir =
            std::env::temp_dir().join(format!("academy-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let sqlite = dir.join("academy.db");
        let mut ws = Workspace {
            db_url_env: format!("sqlite://{}", sqlite.display()),
            db_url: DatabaseUrl::Sqlite(sqlite),
            dir,
            pg: None,
            keep,
        };
        if let Some(base) = pg {
            let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
            let mut url = url::Url::parse(base)
                .with_context(|| format!("--pg {}: not a URL", academy::settings::redact(base)))?;
            let mut admin = url.clone();
            admin.set_path("/postgres");
            url.set_path(&format!("/{name}"));
            let mut c = diesel::pg::PgConnection::establish(admin.as_str()).with_context(|| {
                format!(
                    "connecting to {} (is PostgreSQL running there?)",
                    academy::settings::redact(admin.as_str())
                )
            })?;
            c.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .with_context(|| format!("creating database {name}"))?;
            ws.pg = Some(PgDrop {
                admin_url: admin.to_string(),
                name,
            });
            ws.db_url_env = url.to_string();
            ws.db_url = DatabaseUrl::Postgres(url.to_string());
        }
        Ok(ws)
    }

    /// The database for humans (password hidden).
    pub fn label(&self) -> String {
        academy::settings::redact(&self.db_url_env)
    }

    /// `sqlite` or `postgres`, for file names.
    pub fn backend_slug(&self) -> &'static str {
        match self.db_url {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        if self.keep {
            println!(
                "kept: folder {} and database {}",
                self.dir.display(),
                self.label()
            );
            return;
        }
        if let Some(pg) = &self.pg {
            match diesel::pg::PgConnection::establish(&pg.admin_url) {
                Ok(mut c) => {
                    if let Err(e) = c.batch_execute(&format!(
                        "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                        pg.name
                    )) {
                        eprintln!("warning: could not drop database {}: {e}", pg.name);
                    }
                }
                Err(e) => eprintln!("warning: could not drop database {}: {e}", pg.name),
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// The machine and CPU pinning
// ---------------------------------------------------------------------------------------------

/// What the run was measured on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu_model: String,
    /// CPUs this process may use (before pinning).
    pub cpus: usize,
    pub mem_total_mb: u64,
    pub kernel: String,
}

/// Reads the machine description from /proc (call before pinning).
pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "model name").then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_total_mb = meminfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:")?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!("Linux {}", s.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_string());
    Machine {
        cpu_model,
        cpus: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        mem_total_mb,
        kernel,
    }
}

/// Whether the server and the load generator were pinned to separate CPUs.
#[derive(Debug, Clone, Serialize)]
pub struct Pinning {
    pub applied: bool,
    pub server_cpu: Option<usize>,
    pub bench_cpu: Option<usize>,
    pub note: String,
}

impl Pinning {
    fn not_applied(note: impl Into<String>) -> Pinning {
        Pinning {
            applied: false,
            server_cpu: None,
            bench_cpu: None,
            note: note.into(),
        }
    }

    /// The CPU to start the server on, when pinning is in effect.
    pub fn server_cpu_if_pinned(&self) -> Option<usize> {
        if self.applied {
            self.server_cpu
        } else {
            None
        }
    }
}

/// CPUs this process may run on, from `Cpus_allowed_list` (e.g. `0-3` or `0,2,4-5`).
fn allowed_cpus() -> Vec<usize> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(str::trim)
        .unwrap_or("");
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    cpus.extend(a..=b);
                }
            }
            None => {
                if let Ok(a) = part.parse::<usize>() {
                    cpus.push(a);
                }
            }
        }
    }
    if cpus.is_empty() {
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        cpus = (0..n).collect();
    }
    cpus
}

fn taskset_available() -> bool {
    Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Pins this process (all its threads, so call it before any runtime or pool starts) to the
/// second allowed CPU and reserves the first for the server. Needs `taskset` and two CPUs.
pub fn pin_self(disabled: bool) -> Pinning {
    if disabled {
        return Pinning::not_applied("disabled with --no-pin");
    }
    let cpus = allowed_cpus();
    if cpus.len() < 2 {
        return Pinning::not_applied(format!(
            "only {} CPU available: server and load generator share it",
            cpus.len()
        ));
    }
    if !taskset_available() {
        return Pinning::not_applied("taskset not found (util-linux): not pinned");
    }
    let (server, bench) = (cpus[0], cpus[1]);
    let cpu = bench.to_string();
    let pid = std::process::id().to_string();
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", cpu.as_str(), pid.as_str()])
        .stdout(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => Pinning {
            applied: true,
            server_cpu: Some(server),
            bench_cpu: Some(bench),
            note: format!("server on CPU {server}, load generator on CPU {bench} (taskset)"),
        },
        Ok(s) => Pinning::not_applied(format!("taskset -p failed ({s}): not pinned")),
        Err(e) => Pinning::not_applied(format!("taskset -p failed ({e}): not pinned")),
    }
}

/// Raises this process's soft open-file limit to its hard limit with `prlimit` (the burst may
/// hold many connections; the server, started afterwards, inherits the limit). Best effort;
/// returns what happened.
pub fn raise_fd_limit() -> String {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let Some(line) = limits.lines().find(|l| l.starts_with("Max open files")) else {
        return "open-file limit unknown".into();
    };
    let parts: Vec<&str> = line.split_whitespace().collect();
    let soft = parts.get(3).copied().unwrap_or("?");
    let hard = parts.get(4).copied().unwrap_or("?");
    if soft == hard {
        return format!("open-file limit {soft}");
    }
    let target = if hard == "unlimited" {
        "1048576".to_string()
    } else {
        hard.to_string()
    };
    let pid = std::process::id().to_string();
    let nofile = format!("--nofile={target}:{target}");
    let ok = Command::new("prlimit")
        .args(["--pid", pid.as_str(), nofile.as_str()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        format!("open-file limit raised from {soft} to {target}")
    } else {
        format!(
            "open-file limit {soft} (prlimit failed; if the burst reports 'Too many open files', \
             raise it with ulimit -n)"
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------------

/// The sibling `academy` binary of this bench binary (or `--server PATH`).
pub fn academy_exe(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("locating the bench binary")?;
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => me
            .parent()
            .context("the bench binary has no folder")?
            .join(format!("academy{}", std::env::consts::EXE_SUFFIX)),
    };
    if !path.is_file() {
        bail!(
            "the service binary {} is missing. The bench starts the release build of `academy` \
             and does not build it: run `cargo build --release` first (or pass --server PATH)",
            path.display()
        );
    }
    if explicit.is_none() {
        let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified());
        if let (Ok(server), Ok(bench)) = (mtime(&path), mtime(&me)) {
            if bench
                .duration_since(server)
                .is_ok_and(|d| d > Duration::from_secs(120))
            {
                eprintln!(
                    "warning: {} is older than the bench binary and may not include the latest \
                     changes; run `cargo build --release` to rebuild both",
                    path.display()
                );
            }
        }
    }
    Ok(path)
}

/// A free TCP port on 127.0.0.1 (bound and released; the server binds it right after).
pub fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// How to start the server.
pub struct ServerConfig<'a> {
    pub exe: &'a Path,
    pub ws: &'a Workspace,
    /// Absolute path of the course content folder.
    pub content_dir: &'a Path,
    pub jwt_secret: &'a str,
    /// `ACADEMY_LOG` of the server.
    pub log: &'a str,
    pub workers: Option<usize>,
    pub db_pool_size: Option<u32>,
    /// Run under `taskset -c CPU`.
    pub cpu: Option<usize>,
}

/// A running `academy serve`; stopped (and killed if need be) on drop.
pub struct Server {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT` without a trailing slash.
    pub base: String,
    pub log_path: PathBuf,
    stopped: bool,
}

impl Server {
    /// Starts the server with a clean `ACADEMY_*` environment: the workspace database, a free
    /// port, mail as `.eml` files in the workspace (no SMTP needed), the given JWT secret.
    pub fn start(cfg: &ServerConfig<'_>) -> anyhow::Result<Server> {
        let port = free_port()?;
        let log_path = cfg.ws.dir.join("server.log");
        let log =
            File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let log_err = log.try_clone()?;
        let mut cmd = match cfg.cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpu.to_string()).arg(cfg.exe);
                c
            }
            None => Command::new(cfg.exe),
        };
        // Whatever the caller's shell exports (an SMTP server, a real database) must not leak in.
        let inherited: Vec<OsString> = std::env::vars_os()
            .map(|(k, _)| k)
            .filter(|k| k.to_string_lossy().starts_with("ACADEMY_"))
            .collect();
        for k in &inherited {
            cmd.env_remove(k);
        }
        cmd.env("ACADEMY_DATABASE_URL", &cfg.ws.db_url_env)
            .env("ACADEMY_BIND", format!("127.0.0.1:{port}"))
            .env("ACADEMY_CONTENT_DIR", cfg.content_dir)
            .env("ACADEMY_DATA_DIR", cfg.ws.dir.join("data"))
            .env("ACADEMY_JWT_SECRET", cfg.jwt_secret)
            .env("ACADEMY_ENV", "development")
            .env("ACADEMY_LOG", cfg.log);
        if let Some(w) = cfg.workers {
            cmd.env("ACADEMY_WORKERS", w.to_string());
        }
        if let Some(p) = cfg.db_pool_size {
            cmd.env("ACADEMY_DB_POOL_SIZE", p.to_string());
        }
        cmd.arg("serve")
            .current_dir(&cfg.ws.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", cfg.exe.display()))?;
        // `taskset -c N prog` execs prog, so the pid is the server's own.
        let pid = child.id();
        Ok(Server {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
            log_path,
            stopped: false,
        })
    }

    /// Waits until `GET /healthz` answers 200 (migrations, content sync and the first signing
    /// key happen before that), failing early with the log if the server exits.
    pub async fn wait_healthy(
        &mut self,
        client: &reqwest::Client,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let url = format!("{}/healthz", self.base);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited during start-up ({status}); the end of {}:\n{}",
                    self.log_path.display(),
                    tail(&self.log_path, 30)
                );
            }
            if let Ok(r) = client.get(url.as_str()).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "the server did not become healthy within {} s; the end of {}:\n{}",
                    timeout.as_secs(),
                    self.log_path.display(),
                    tail(&self.log_path, 30)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the server: SIGTERM (graceful: in-flight requests finish), then SIGKILL after 20 s.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("warning: the server did not stop within 20 s; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `n` lines of a file.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// Server memory
// ---------------------------------------------------------------------------------------------

/// A `kB` field of `/proc/<pid>/status`, e.g. `VmRSS:` (now) or `VmHWM:` (peak so far).
pub fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    })
}

/// Samples the server's resident memory every 100 ms: the peak of the whole run and the peak
/// of the current window (reset at the start of a phase).
#[derive(Default)]
pub struct MemWatch {
    peak_kb: AtomicU64,
    window_kb: AtomicU64,
}

impl MemWatch {
    /// Starts sampling on the current tokio runtime; abort the handle to stop.
    pub fn spawn(pid: u32) -> (Arc<MemWatch>, tokio::task::JoinHandle<()>) {
        let watch = Arc::new(MemWatch::default());
        let w = watch.clone();
        let handle = tokio::spawn(async move {
            loop {
                if let Some(kb) = proc_status_kb(pid, "VmRSS:") {
                    w.peak_kb.fetch_max(kb, Ordering::Relaxed);
                    w.window_kb.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        (watch, handle)
    }

    /// Starts a new window.
    pub fn reset_window(&self) {
        self.window_kb.store(0, Ordering::Relaxed);
    }

    /// The peak RSS since the last reset, in kB.
    pub fn window_kb(&self) -> u64 {
        self.window_kb.load(Ordering::Relaxed)
    }

    /// The peak RSS of the whole run, in kB.
    pub fn peak_kb(&self) -> u64 {
        self.peak_kb.load(Ordering::Relaxed)
    }
}
