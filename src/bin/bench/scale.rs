//! `bench scale`: the same requests on a small database and on a large one (100,000 users,
//! 1,000,000 attempts, 100,000 credentials). The measured cohort, its trainees, their attempts
//! and credentials are identical in both; only the rest of the database grows, so a ratio
//! above 1 comes from the size of the tables (a missing index, an N+1 query), not from more
//! data on the page.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use academy::db::{Db, DbConnection};
use diesel::connection::SimpleConnection;
use serde::Serialize;

use crate::load::{self, Auth, Target};
use crate::report::{self, find, Ratio, Row};
use crate::seed::{self, ScaleSpec, ScaleWorld};
use crate::server::{self, Machine, Pinning};
use crate::ScaleArgs;

/// The whole scale report (also the JSON file).
#[derive(Serialize)]
pub struct ScaleReport {
    pub benchmark: &'static str,
    pub backend: String,
    pub started_at: String,
    pub finished_at: String,
    pub machine: Machine,
    pub pinning: Pinning,
    pub spec: ScaleSpec,
    pub connections: usize,
    pub duration_secs: u64,
    pub seed_small_secs: f64,
    pub seed_large_secs: f64,
    pub rows_seeded: u64,
    pub rows: Vec<Row>,
    /// large / small, per endpoint: p50 latency and 1 / throughput.
    pub ratios: Vec<Ratio>,
    pub vm_hwm_mb: f64,
    pub all_within_target: bool,
}

const KINDS: [&str; 4] = ["verify", "roster_api", "cohort_page", "dashboard"];

/// Runs the data-scale benchmark; `Ok(false)` when an endpoint is more than 2× slower.
pub fn run(args: &ScaleArgs) -> anyhow::Result<bool> {
    let c = &args.common;
    let crate::Setup {
        started_at,
        machine,
        exe: _,
        content_dir,
        pinning,
        rt,
        duration,
        ws,
        secret,
        mut srv,
        client,
    } = crate::Setup::start(c, false)?;

    let course = seed::load_course(&content_dir)?;
    let db = Db::connect(&ws.db_url, 1)?;
    let mut pooled = db.get()?;
    let conn: &mut DbConnection = &mut pooled;
    let spec = ScaleSpec {
        users: args.users,
        attempts: args.attempts,
        credentials: args.credentials,
        cohort_size: args.cohort_size,
        lean_layouts: args.lean_layouts,
    };
    let world = ScaleWorld::prepare(conn, &course, spec)?;
    let cs = world.spec.cohort_size.min(world.spec.users);

    println!("[seed small] the measured cohort: {cs} trainees with their attempts and credentials");
    let t = Instant::now();
    let mut rows_seeded = world.seed(conn, 0..cs)?;
    let seed_small_secs = t.elapsed().as_secs_f64();

    let targets = Targets::new(&srv.base, &world, &secret, cs)?;
    let rotation = !c.no_address_rotation && rt.block_on(load::loopback_addresses_work(&srv.base));
    let mut rows = rt.block_on(measure(
        "small",
        &client,
        &targets,
        rotation,
        c.connections,
        duration,
    ));

    println!(
        "[seed large] {} users, {} attempts, {} credentials in cohorts of {}",
        world.spec.users, world.spec.attempts, world.spec.credentials, world.spec.cohort_size
    );
    let t = Instant::now();
    rows_seeded += world.seed(conn, cs..world.spec.users)?;
    if matches!(ws.db_url, academy::db::DatabaseUrl::Postgres(_)) && !args.no_analyze {
        println!("  VACUUM ANALYZE (what autovacuum would do soon after such a load)");
        conn.batch_execute("VACUUM ANALYZE")?;
    }
    let seed_large_secs = t.elapsed().as_secs_f64();
    println!(
        "  {rows_seeded} rows in {:.0} s",
        seed_small_secs + seed_large_secs
    );
    drop(pooled);
    drop(db);

    rows.extend(rt.block_on(measure(
        "large",
        &client,
        &targets,
        rotation,
        c.connections,
        duration,
    )));
    let vm_hwm_kb = server::proc_status_kb(srv.pid, "VmHWM:").unwrap_or(0);
    srv.stop();

    let mut ratios = Vec::new();
    for kind in KINDS {
        let (Some(small), Some(large)) = (find(&rows, "small", kind), find(&rows, "large", kind))
        else {
            continue;
        };
        ratios.push(
            Ratio::new(
                &format!("{kind}: p50 large / small"),
                large.p50_ms,
                small.p50_ms,
            )
            .at_most(2.0),
        );
        ratios.push(
            Ratio::new(
                &format!("{kind}: throughput small / large"),
                small.rps,
                large.rps,
            )
            .at_most(2.0),
        );
    }
    let clean = rows.iter().all(|r| r.errors == 0);
    let all_within_target =
        clean && !ratios.is_empty() && ratios.iter().all(|r| r.pass == Some(true));
    let rep = ScaleReport {
        benchmark: "scale",
        backend: ws.db_url.backend().name().to_string(),
        started_at,
        finished_at: chrono::Utc::now().to_rfc3339(),
        machine,
        pinning,
        spec: world.spec.clone(),
        connections: c.connections,
        duration_secs: c.duration_secs,
        seed_small_secs,
        seed_large_secs,
        rows_seeded,
        rows,
        ratios,
        vm_hwm_mb: vm_hwm_kb as f64 / 1024.0,
        all_within_target,
    };
    let md = markdown(&rep);
    println!("\n{md}");
    let stem = format!("scale-{}-{}", ws.backend_slug(), report::stamp());
    let (json_path, md_path) = report::write(&stem, &rep, &md)?;
    println!("written: {} and {}", json_path.display(), md_path.display());
    Ok(all_within_target)
}

/// The requests of both measurements.
struct Targets {
    verify: Vec<Target>,
    roster_api: Vec<Target>,
    cohort_page: Vec<Target>,
    dashboard: Vec<Target>,
}

impl Targets {
    fn new(base: &str, world: &ScaleWorld, secret: &str, cs: usize) -> anyhow::Result<Targets> {
        let keys = academy::accounts::tokens::TokenKeys::from_secret(secret.as_bytes());
        let admin = seed::mint(&keys, &world.admin_id)?;
        let cohort = &world.cohort_ids[0];
        let mut verify = Vec::new();
        for (u, id) in world.credential_ids.iter().take(cs).enumerate() {
            let revoked = ScaleWorld::revoked(u);
            verify.push(Target {
                url: format!("{base}/api/v1/verify/{id}"),
                auth: Auth::None,
                expect: 200,
                json_field: Some(if revoked {
                    ("status", serde_json::Value::String("revoked".into()))
                } else {
                    ("valid", serde_json::Value::Bool(true))
                }),
            });
        }
        // About one in ten unknown.
        for _ in 0..verify.len().div_ceil(9) {
            verify.push(Target {
                url: format!("{base}/api/v1/verify/{}", uuid::Uuid::new_v4()),
                auth: Auth::None,
                expect: 404,
                json_field: None,
            });
        }
        let roster_api = vec![Target {
            url: format!("{base}/api/v1/cohorts/{cohort}/roster"),
            auth: Auth::Bearer(admin.clone()),
            expect: 200,
            json_field: None,
        }];
        let cohort_page = vec![Target {
            url: format!("{base}/cohorts/{cohort}"),
            auth: Auth::Cookie(load::session_cookie(&admin)),
            expect: 200,
            json_field: None,
        }];
        let mut dashboard = Vec::new();
        for id in world.user_ids.iter().take(cs) {
            let token = seed::mint(&keys, id)?;
            dashboard.push(Target {
                url: format!("{base}/"),
                auth: Auth::Cookie(load::session_cookie(&token)),
                expect: 200,
                json_field: None,
            });
        }
        Ok(Targets {
            verify,
            roster_api,
            cohort_page,
            dashboard,
        })
    }
}

/// Each endpoint in turn: a one-second warm-up, then the measured closed loop.
async fn measure(
    phase: &'static str,
    client: &reqwest::Client,
    targets: &Targets,
    rotation: bool,
    connections: usize,
    duration: Duration,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let runs: [(&'static str, &Vec<Target>, bool); 4] = [
        ("verify", &targets.verify, rotation),
        ("roster_api", &targets.roster_api, false),
        ("cohort_page", &targets.cohort_page, false),
        ("dashboard", &targets.dashboard, false),
    ];
    for (kind, list, rotate) in runs {
        println!(
            "[{phase}] {kind}: {connections} connections, {} s",
            duration.as_secs()
        );
        let _ = load::get_load(
            "warmup",
            kind,
            client.clone(),
            rotate,
            list.clone(),
            connections,
            Duration::from_secs(1),
        )
        .await;
        let measured = load::get_load(
            phase,
            kind,
            client.clone(),
            rotate,
            list.clone(),
            connections,
            duration,
        )
        .await;
        for r in &measured {
            println!(
                "  {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                r.rps, r.p50_ms, r.p99_ms, r.errors
            );
        }
        rows.extend(measured);
    }
    rows
}

fn markdown(r: &ScaleReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Assessor Academy benchmark: data scale ({})\n",
        r.backend
    );
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
    let _ = writeln!(
        s,
        "- large database: {} users, {} attempts{}, {} credentials, cohorts of {}; {} rows seeded in {:.0} s",
        r.spec.users,
        r.spec.attempts,
        if r.spec.lean_layouts { " (empty layouts)" } else { "" },
        r.spec.credentials,
        r.spec.cohort_size,
        r.rows_seeded,
        r.seed_small_secs + r.seed_large_secs
    );
    let _ = writeln!(
        s,
        "- small database: the measured cohort only ({} trainees, their attempts and credentials)",
        r.spec.cohort_size.min(r.spec.users)
    );
    let _ = writeln!(
        s,
        "- requests: verification by id (valid, revoked, unknown), `GET /api/v1/cohorts/{{id}}/roster` \
         (admin), the web cohort page `GET /cohorts/{{id}}` (admin), a trainee's dashboard `GET /`; \
         {} connections for {} s each",
        r.connections, r.duration_secs
    );
    let _ = writeln!(s, "\n## Requests\n");
    s.push_str(&report::rows_table(&r.rows));
    let _ = writeln!(s, "\n## Large vs small (target: at most 2×)\n");
    s.push_str(&report::ratios_table(&r.ratios));
    let _ = writeln!(
        s,
        "\nServer VmHWM at the end: {:.1} MB. All within target: {}.",
        r.vm_hwm_mb,
        if r.all_within_target { "yes" } else { "**no**" }
    );
    let errors = report::error_samples(&r.rows);
    if !errors.is_empty() {
        let _ = writeln!(s, "\n## Errors (first samples)\n");
        s.push_str(&errors);
    }
    s
}
