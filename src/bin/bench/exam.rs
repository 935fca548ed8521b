//! `bench exam`: the exam burst, the single-trainee cycle, autosave throughput, the quiz page
//! and public verification, against the ceiling measured in the same run; then the integrity
//! check and the report.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use academy::db::Db;
use serde::Serialize;

use crate::ceiling::DbCeiling;
use crate::check::{AckLog, CheckReport};
use crate::load::{self, Auth, Exam, SaturationStats, Target};
use crate::report::{self, find, Ratio, Row, Target as Goal};
use crate::seed::{self, ExamSeed, ExamSpec};
use crate::server::{self, Machine, Pinning};
use crate::ExamArgs;

/// The whole exam report (also the JSON file).
#[derive(Serialize)]
pub struct ExamReport {
    pub benchmark: &'static str,
    pub backend: String,
    pub started_at: String,
    pub finished_at: String,
    pub machine: Machine,
    pub pinning: Pinning,
    pub server_binary: String,
    pub params: Params,
    pub rows: Vec<Row>,
    pub ceiling: Ceiling,
    pub saturation: SaturationStats,
    pub integrity: CheckReport,
    pub memory: Memory,
    pub ratios: Vec<Ratio>,
    pub targets: Vec<Goal>,
}

#[derive(Serialize)]
pub struct Params {
    pub trainees: usize,
    pub ramp_secs: u64,
    pub think_ms: u64,
    pub quiz: String,
    pub questions_per_attempt: usize,
    pub cycles: usize,
    pub saturation_trainees: usize,
    pub connections: usize,
    pub duration_secs: u64,
    pub credentials: usize,
    pub revoked: usize,
    pub verify_mix: String,
    pub verify_address_rotation: bool,
    pub server_workers: Option<usize>,
    pub db_pool_size: Option<u32>,
}

#[derive(Serialize)]
pub struct Ceiling {
    /// `GET /healthz` (one trivial query) at the same concurrency.
    pub healthz_rps: f64,
    pub healthz_p50_ms: f64,
    pub db: DbCeiling,
}

#[derive(Serialize)]
pub struct Memory {
    /// Peak resident memory of the server process during the burst (sampled every 100 ms).
    pub burst_peak_rss_mb: f64,
    /// Peak resident memory of the server process during all load phases (sampled).
    pub run_peak_rss_mb: f64,
    /// `VmHWM` of the server process at the end (its true peak, start-up and seeding included).
    pub vm_hwm_mb: f64,
}

/// Runs the exam benchmark; `Ok(false)` when an acknowledged write was lost.
pub fn run(args: &ExamArgs) -> anyhow::Result<bool> {
    let c = &args.common;
    // The trainees are seeded straight into the database: the exam's prerequisites are lifted.
    let crate::Setup {
        started_at,
        machine,
        exe,
        content_dir,
        pinning,
        rt,
        duration,
        ws,
        secret,
        mut srv,
        client,
    } = crate::Setup::start(c, true)?;
    let cycles = args.cycles.max(10);

    println!("[seed] accounts, cohort, quiz and credentials, straight into the database");
    let base_url = url::Url::parse(&format!("{}/", srv.base))?;
    let total = args.trainees + cycles + args.saturation_trainees;
    let seeded = seed::exam(
        &ws.db_url,
        &base_url,
        &content_dir,
        &secret,
        &ExamSpec {
            trainees: total,
            quiz: &args.quiz,
            credentials: args.credentials.min(args.trainees),
            revoke_every: args.revoke_every,
        },
    )?;

    let queued = seed::wait_for_outbox(&ws.db_url, Duration::from_secs(90))?;
    if queued > 0 {
        println!(
            "  note: {queued} mails are still queued; the mail worker may run during the burst"
        );
    }

    let acks = Arc::new(AckLog::default());
    let exam = Arc::new(Exam {
        base: srv.base.clone(),
        cohort_id: seeded.cohort_id.clone(),
        slug: args.quiz.clone(),
    });
    let out = rt.block_on(phases(PhaseInput {
        client: client.clone(),
        exam: exam.clone(),
        seeded: &seeded,
        args,
        cycles,
        duration,
        acks: acks.clone(),
        pid: srv.pid,
    }))?;

    println!(
        "[ceiling] database: single-row inserts, then primary-key reads, {} s each, one in-process connection",
        duration.as_secs()
    );
    let db_ceiling = crate::ceiling::measure(&ws.db_url, duration)?;
    println!(
        "  {:.0} inserts/s, {:.0} reads/s",
        db_ceiling.insert_per_s, db_ceiling.read_per_s
    );
    let vm_hwm_kb = server::proc_status_kb(srv.pid, "VmHWM:").unwrap_or(0);
    srv.stop();

    println!("[check] every acknowledged write in the database (server stopped)");
    let (answers, submits) = acks.snapshot();
    let integrity = {
        let db = Db::connect(&ws.db_url, 1)?;
        let mut conn = db.get()?;
        crate::check::check(&mut conn, &answers, &submits)?
    };
    println!("  {}", integrity.summary());

    let revoked = seeded.credentials.iter().filter(|c| c.revoked).count();
    let rep = build_report(
        args,
        started_at,
        machine,
        pinning,
        exe.display().to_string(),
        &seeded,
        cycles,
        revoked,
        out,
        db_ceiling,
        vm_hwm_kb,
        integrity,
    );
    let md = markdown(&rep);
    println!("\n{md}");
    let stem = format!("{}-{}", ws.backend_slug(), report::stamp());
    let (json_path, md_path) = report::write(&stem, &rep, &md)?;
    println!("written: {} and {}", json_path.display(), md_path.display());
    Ok(rep.integrity.is_clean())
}

struct PhaseInput<'a> {
    client: reqwest::Client,
    exam: Arc<Exam>,
    seeded: &'a ExamSeed,
    args: &'a ExamArgs,
    cycles: usize,
    duration: Duration,
    acks: Arc<AckLog>,
    pid: u32,
}

struct PhaseOutput {
    rows: Vec<Row>,
    saturation: SaturationStats,
    burst_peak_kb: u64,
    run_peak_kb: u64,
    address_rotation: bool,
}

async fn settle() {
    tokio::time::sleep(Duration::from_secs(2)).await;
}

async fn phases(p: PhaseInput<'_>) -> anyhow::Result<PhaseOutput> {
    let args = p.args;
    let c = &args.common;
    let tokens = &p.seeded.trainee_tokens;
    let (burst_tokens, rest) = tokens.split_at(args.trainees.min(tokens.len()));
    let (cycle_tokens, sat_tokens) = rest.split_at(p.cycles.min(rest.len()));
    let (mem, sampler) = server::MemWatch::spawn(p.pid);
    let mut rows = Vec::new();

    println!(
        "[burst] {} trainees start within {} s, {} autosaves each after ~{} ms think time, then submit",
        burst_tokens.len(),
        args.ramp_secs,
        p.seeded.questions_per_attempt,
        args.think_ms
    );
    mem.reset_window();
    rows.extend(
        load::burst(
            p.client.clone(),
            p.exam.clone(),
            burst_tokens.to_vec(),
            Duration::from_secs(args.ramp_secs),
            args.think_ms,
            p.acks.clone(),
            p.pid,
        )
        .await,
    );
    let burst_peak_kb = mem.window_kb();
    settle().await;

    println!(
        "[cycle] {} single-trainee cycles: start, {} autosaves, submit, review; sequential",
        cycle_tokens.len(),
        p.seeded.questions_per_attempt
    );
    rows.extend(
        load::cycles(
            p.client.clone(),
            p.exam.clone(),
            cycle_tokens.to_vec(),
            p.acks.clone(),
        )
        .await,
    );
    settle().await;

    println!(
        "[autosave throughput] {} connections, {} s, into {} fresh attempts",
        c.connections,
        p.duration.as_secs(),
        sat_tokens.len()
    );
    let (sat_rows, saturation) = load::autosave_saturation(
        p.client.clone(),
        p.exam.clone(),
        sat_tokens.to_vec(),
        p.acks.clone(),
        c.connections,
        p.duration,
    )
    .await;
    rows.extend(sat_rows);
    settle().await;

    let base = &p.exam.base;
    println!(
        "[quiz page] GET /cohorts/{{id}}/quizzes/{} signed in (cookie), {} connections, {} s",
        p.exam.slug,
        c.connections,
        p.duration.as_secs()
    );
    let page_url = format!(
        "{base}/cohorts/{}/quizzes/{}",
        p.exam.cohort_id, p.exam.slug
    );
    let page_targets: Vec<Target> = burst_tokens
        .iter()
        .map(|t| Target {
            url: page_url.clone(),
            auth: Auth::Cookie(load::session_cookie(t)),
            expect: 200,
            json_field: None,
        })
        .collect();
    rows.extend(closed_loop("quiz_page", "quiz_page", &p, page_targets, false).await);
    settle().await;

    let rotation = !c.no_address_rotation && load::loopback_addresses_work(base).await;
    if !c.no_address_rotation && !rotation {
        println!("  warning: cannot send from other loopback addresses; verification comes from 127.0.0.1 only and will meet the limit of 120 requests a minute");
    }
    println!(
        "[verify] GET /api/v1/verify/{{id}}: 80 % valid, 10 % revoked, 10 % unknown ids; {} connections, {} s{}",
        c.connections,
        p.duration.as_secs(),
        if rotation {
            ", source address changes every 100 requests"
        } else {
            ""
        }
    );
    let verify_targets = verify_targets(base, p.seeded);
    if verify_targets.is_empty() {
        println!("  skipped: no credentials were issued (--credentials 0)");
    } else {
        rows.extend(closed_loop("verify", "verify", &p, verify_targets, rotation).await);
    }
    settle().await;

    println!(
        "[ceiling] GET /healthz, {} connections, {} s",
        c.connections,
        p.duration.as_secs()
    );
    let health = vec![Target {
        url: format!("{base}/healthz"),
        auth: Auth::None,
        expect: 200,
        json_field: None,
    }];
    rows.extend(closed_loop("healthz", "healthz", &p, health, false).await);

    sampler.abort();
    Ok(PhaseOutput {
        rows,
        saturation,
        burst_peak_kb,
        run_peak_kb: mem.peak_kb(),
        address_rotation: rotation,
    })
}

/// A one-second warm-up (discarded), then the measured closed loop.
async fn closed_loop(
    phase: &'static str,
    kind: &'static str,
    p: &PhaseInput<'_>,
    targets: Vec<Target>,
    rotate: bool,
) -> Vec<Row> {
    let connections = p.args.common.connections;
    let _ = load::get_load(
        "warmup",
        kind,
        p.client.clone(),
        rotate,
        targets.clone(),
        connections,
        Duration::from_secs(1),
    )
    .await;
    let rows = load::get_load(
        phase,
        kind,
        p.client.clone(),
        rotate,
        targets,
        connections,
        p.duration,
    )
    .await;
    for r in &rows {
        println!(
            "  {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
            r.rps, r.p50_ms, r.p99_ms, r.errors
        );
    }
    rows
}

/// 100 targets: 80 valid credentials, 10 revoked, 10 unknown ids (fewer kinds if none).
fn verify_targets(base: &str, seeded: &ExamSeed) -> Vec<Target> {
    let valid: Vec<&str> = seeded
        .credentials
        .iter()
        .filter(|c| !c.revoked)
        .map(|c| c.id.as_str())
        .collect();
    let revoked: Vec<&str> = seeded
        .credentials
        .iter()
        .filter(|c| c.revoked)
        .map(|c| c.id.as_str())
        .collect();
    if valid.is_empty() && revoked.is_empty() {
        return Vec::new();
    }
    let url = |id: &str| format!("{base}/api/v1/verify/{id}");
    let mut out = Vec::new();
    for i in 0..80 {
        if let Some(id) = pick(&valid, i).or_else(|| pick(&revoked, i)) {
            let is_valid = !valid.is_empty();
            out.push(Target {
                url: url(id),
                auth: Auth::None,
                expect: 200,
                json_field: Some(if is_valid {
                    ("valid", serde_json::Value::Bool(true))
                } else {
                    ("status", serde_json::Value::String("revoked".into()))
                }),
            });
        }
    }
    for i in 0..10 {
        if let Some(id) = pick(&revoked, i) {
            out.push(Target {
                url: url(id),
                auth: Auth::None,
                expect: 200,
                json_field: Some(("status", serde_json::Value::String("revoked".into()))),
            });
        }
    }
    for _ in 0..10 {
        out.push(Target {
            url: url(&uuid::Uuid::new_v4().to_string()),
            auth: Auth::None,
            expect: 404,
            json_field: None,
        });
    }
    out
}

fn pick<'a>(ids: &[&'a str], i: usize) -> Option<&'a str> {
    if ids.is_empty() {
        None
    } else {
        Some(ids[i % ids.len()])
    }
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    args: &ExamArgs,
    started_at: String,
    machine: Machine,
    pinning: Pinning,
    server_binary: String,
    seeded: &ExamSeed,
    cycles: usize,
    revoked: usize,
    out: PhaseOutput,
    db: DbCeiling,
    vm_hwm_kb: u64,
    integrity: CheckReport,
) -> ExamReport {
    let c = &args.common;
    let rows = out.rows;
    let get = |phase: &str, kind: &str| find(&rows, phase, kind).cloned();
    let healthz = get("healthz", "healthz");
    let healthz_rps = healthz.as_ref().map_or(0.0, |r| r.rps);
    let sat_rps = get("autosave_sat", "autosave").map_or(0.0, |r| r.rps);
    let verify = get("verify", "verify");
    let verify_rps = verify.as_ref().map_or(0.0, |r| r.rps);
    let page = get("quiz_page", "quiz_page");
    let page_rps = page.as_ref().map_or(0.0, |r| r.rps);
    let burst_autosave = get("burst", "autosave");
    let cycle = get("cycle", "cycle_total");

    let ratios = vec![
        Ratio::new(
            "autosave throughput / DB single-row insert rate",
            sat_rps,
            db.insert_per_s,
        )
        .at_least(0.40),
        Ratio::new(
            "verification by id / DB primary-key read rate",
            verify_rps,
            db.read_per_s,
        )
        .at_least(0.50),
        Ratio::new("autosave throughput / GET /healthz", sat_rps, healthz_rps),
        Ratio::new("verification by id / GET /healthz", verify_rps, healthz_rps),
        Ratio::new("quiz page / GET /healthz", page_rps, healthz_rps),
        Ratio::new(
            "GET /healthz / DB primary-key read rate",
            healthz_rps,
            db.read_per_s,
        ),
    ];

    let burst_errors: u64 = rows
        .iter()
        .filter(|r| r.phase == "burst")
        .map(|r| r.errors)
        .sum();
    let burst_p99 = burst_autosave.as_ref().map_or(0.0, |r| r.p99_ms);
    let cycle_median = cycle.as_ref().map_or(f64::INFINITY, |r| r.p50_ms);
    let cycle_done = cycle.as_ref().map_or(0, |r| r.ok);
    let burst_peak_mb = out.burst_peak_kb as f64 / 1024.0;
    let lost = integrity.lost_writes();
    let goal = |name: &str, target: &str, measured: String, pass: bool| Goal {
        name: name.into(),
        target: target.into(),
        measured,
        pass,
    };
    let targets = vec![
        goal(
            "trainee quiz page",
            ">= 5000 req/s",
            format!("{page_rps:.0} req/s"),
            page_rps >= 5000.0,
        ),
        goal(
            "single-trainee cycle, median",
            "< 50 ms",
            format!("{cycle_median:.1} ms ({cycle_done} cycles)"),
            cycle_done >= 10 && cycle_median < 50.0,
        ),
        goal(
            "exam burst errors",
            "0",
            burst_errors.to_string(),
            burst_errors == 0,
        ),
        goal(
            "lost acknowledged writes",
            "0",
            format!(
                "{lost} (graded more than once: {})",
                integrity.graded_more_than_once.len()
            ),
            integrity.is_clean(),
        ),
        goal(
            "exam burst autosave p99",
            "< 25 ms",
            format!("{burst_p99:.2} ms"),
            burst_autosave.is_some() && burst_p99 < 25.0,
        ),
        goal(
            "autosave throughput vs raw insert rate",
            ">= 40 %",
            format!(
                "{:.0} % ({sat_rps:.0} / {:.0} per s)",
                100.0 * ratios[0].value,
                db.insert_per_s
            ),
            ratios[0].pass == Some(true),
        ),
        goal(
            "verification vs raw read rate",
            ">= 50 %",
            format!(
                "{:.0} % ({verify_rps:.0} / {:.0} per s)",
                100.0 * ratios[1].value,
                db.read_per_s
            ),
            ratios[1].pass == Some(true),
        ),
        goal(
            "server memory during the burst",
            "< 150 MB",
            format!("{burst_peak_mb:.1} MB peak RSS"),
            out.burst_peak_kb > 0 && burst_peak_mb < 150.0,
        ),
    ];

    ExamReport {
        benchmark: "exam",
        backend: match c.pg {
            Some(_) => "PostgreSQL".into(),
            None => "SQLite".into(),
        },
        started_at,
        finished_at: chrono::Utc::now().to_rfc3339(),
        machine,
        pinning,
        server_binary,
        params: Params {
            trainees: args.trainees,
            ramp_secs: args.ramp_secs,
            think_ms: args.think_ms,
            quiz: args.quiz.clone(),
            questions_per_attempt: seeded.questions_per_attempt,
            cycles,
            saturation_trainees: args.saturation_trainees,
            connections: c.connections,
            duration_secs: c.duration_secs,
            credentials: seeded.credentials.len(),
            revoked,
            verify_mix: "80 % valid, 10 % revoked, 10 % unknown ids".into(),
            verify_address_rotation: out.address_rotation,
            server_workers: c.server_workers,
            db_pool_size: c.db_pool_size,
        },
        ceiling: Ceiling {
            healthz_rps,
            healthz_p50_ms: healthz.as_ref().map_or(0.0, |r| r.p50_ms),
            db,
        },
        saturation: out.saturation,
        integrity: integrity.truncated(20),
        memory: Memory {
            burst_peak_rss_mb: burst_peak_mb,
            run_peak_rss_mb: out.run_peak_kb as f64 / 1024.0,
            vm_hwm_mb: vm_hwm_kb as f64 / 1024.0,
        },
        ratios,
        targets,
        rows,
    }
}

/// The report as Markdown (also printed).
pub fn markdown(r: &ExamReport) -> String {
    let mut s = String::new();
    let p = &r.params;
    let _ = writeln!(s, "# Assessor Academy benchmark: exam ({})\n", r.backend);
    let _ = writeln!(s, "- run: {} to {}", r.started_at, r.finished_at);
    let _ = writeln!(
        s,
        "- machine: {}, {} CPUs, {} MB RAM, {}",
        r.machine.cpu_model, r.machine.cpus, r.machine.mem_total_mb, r.machine.kernel
    );
    let _ = writeln!(
        s,
        "- pinning: {} ({})",
        if r.pinning.applied { "yes" } else { "no" },
        r.pinning.note
    );
    let _ = writeln!(s, "- server: `{}`", r.server_binary);
    let _ = writeln!(
        s,
        "- exam burst: {} trainees within {} s, quiz `{}` ({} questions), think time ~{} ms; \
         {} single-trainee cycles; closed loops: {} connections for {} s each",
        p.trainees,
        p.ramp_secs,
        p.quiz,
        p.questions_per_attempt,
        p.think_ms,
        p.cycles,
        p.connections,
        p.duration_secs
    );
    let _ = writeln!(
        s,
        "- verification: {} credentials ({} revoked); {}; source address rotation: {}",
        p.credentials,
        p.revoked,
        p.verify_mix,
        if p.verify_address_rotation {
            "yes"
        } else {
            "no"
        }
    );
    let _ = writeln!(s, "\n## Requests\n");
    let _ = writeln!(
        s,
        "`burst` is open loop (its req/s is the rate the trainees asked for); `autosave_sat`, \
         `quiz_page`, `verify` and `healthz` are closed loops (their req/s is throughput).\n"
    );
    s.push_str(&report::rows_table(&r.rows));
    let _ = writeln!(s, "\n## Ceiling (same run, same machine)\n");
    let _ = writeln!(s, "| measure | rate | p50 ms | p99 ms |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    let _ = writeln!(
        s,
        "| GET /healthz, {} connections | {:.0} req/s | {:.2} | |",
        p.connections, r.ceiling.healthz_rps, r.ceiling.healthz_p50_ms
    );
    let d = &r.ceiling.db;
    let _ = writeln!(
        s,
        "| DB single-row INSERT, autocommit, one in-process connection ({} rows) | {:.0} /s | {:.3} | {:.3} |",
        d.inserts, d.insert_per_s, d.insert_p50_ms, d.insert_p99_ms
    );
    let _ = writeln!(
        s,
        "| DB primary-key SELECT, one in-process connection ({} reads) | {:.0} /s | {:.3} | {:.3} |",
        d.reads, d.read_per_s, d.read_p50_ms, d.read_p99_ms
    );
    let _ = writeln!(s, "\n## Ratios\n");
    s.push_str(&report::ratios_table(&r.ratios));
    let _ = writeln!(s, "\n## Integrity\n");
    let _ = writeln!(s, "{}", r.integrity.summary());
    let _ = writeln!(
        s,
        "\nAutosave throughput phase: {} attempts opened ({} failed), {} first saves, {} re-saves.",
        r.saturation.attempts_opened,
        r.saturation.attempts_failed,
        r.saturation.first_saves,
        r.saturation.resaves
    );
    let _ = writeln!(s, "\n## Server memory\n");
    let _ = writeln!(
        s,
        "peak RSS during the burst {:.1} MB; during all load phases {:.1} MB; VmHWM at the end {:.1} MB",
        r.memory.burst_peak_rss_mb, r.memory.run_peak_rss_mb, r.memory.vm_hwm_mb
    );
    let _ = writeln!(s, "\n## Targets\n");
    s.push_str(&report::targets_table(&r.targets));
    let errors = report::error_samples(&r.rows);
    if !errors.is_empty() {
        let _ = writeln!(s, "\n## Errors (first samples)\n");
        s.push_str(&errors);
    }
    s
}
