//! Seeding, straight into the database through the academy library, not over HTTP.
//!
//! Why: creating 2,000 accounts over `POST /api/v1/users` or `/users/import` would hash a
//! password (argon2, ~50 ms each) or queue an invitation mail per user, and signing in 2,000
//! trainees would cost another argon2 check each; neither is what the exam burst measures.
//! So users and memberships go in as plain multi-row INSERTs (no password: the bench mints
//! sign-in tokens itself with the server's `ACADEMY_JWT_SECRET`, exactly as
//! `accounts::tokens::TokenKeys::issue` does for a sign-in), while everything with rules of its
//! own goes through the library functions the HTTP handlers call: `cohorts::create_cohort`,
//! `quizzes::publish_quiz`, `credentials::issue` (real RS256-signed credentials) and
//! `credentials::change_status`.
//!
//! The data-scale run inserts everything (also attempts and credentials) as multi-row INSERTs
//! in transactions of a few thousand rows.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant};

use academy::accounts::tokens::TokenKeys;
use academy::course::model::Course;
use academy::db::{write_tx, DatabaseUrl, Db, DbConnection};
use anyhow::{bail, Context};
use chrono::{NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;

/// Office codes of real provincial offices (see `academy::offices`).
const OFFICES: [&str; 8] = [
    "TH-50", "TH-30", "TH-90", "TH-40", "TH-20", "TH-65", "TH-83", "TH-34",
];

/// Rows per INSERT statement.
const ROWS_PER_STATEMENT: usize = 250;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: usize = 5_000;

pub const USER_COLUMNS: &str = "id, email, name, name_en, role, office_code, language, \
     password_hash, token_version, disabled, created_at, updated_at";
pub const COHORT_COLUMNS: &str = "id, programme_id, generation, fiscal_year, name_th, name_en, \
     starts_on, ends_on, capacity, trainee_count, enrol_opens_at, enrol_closes_at, join_code, \
     status, feed_secret, created_at, updated_at";
pub const MEMBER_COLUMNS: &str = "cohort_id, user_id, role, joined_at";
pub const PUBLICATION_COLUMNS: &str =
    "cohort_id, kind, slug, revision_id, opens_at, closes_at, published_by, published_at";
pub const ATTEMPT_COLUMNS: &str = "id, cohort_id, quiz_slug, quiz_revision_id, user_id, \
     attempt_no, state, layout_json, started_at, deadline, finished_at, score, max_score, \
     percent, passed, grading_count";
pub const CREDENTIAL_COLUMNS: &str = "id, number, user_id, cohort_id, programme_id, \
     scheme_version, scope, status, status_reason, status_changed_at, status_index, issued_at, \
     valid_from, valid_until, kid, credential_jwt, override_reason, renews_id, issued_by, \
     reminder_sent_at";

// ---------------------------------------------------------------------------------------------
// SQL text helpers (values are generated here, never user input; quotes are escaped anyway)
// ---------------------------------------------------------------------------------------------

/// A SQL string literal.
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A SQL timestamp literal both backends read as `Timestamp` (diesel's SQLite reader accepts
/// `%Y-%m-%d %H:%M:%S`; PostgreSQL casts the literal).
pub fn ts(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

/// Runs `INSERT INTO table (columns) VALUES …` for the rows, `ROWS_PER_STATEMENT` at a time,
/// in the caller's transaction.
pub fn insert_rows(
    conn: &mut DbConnection,
    table: &str,
    columns: &str,
    rows: &[String],
) -> diesel::QueryResult<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("INSERT INTO {table} ({columns}) VALUES {}", chunk.join(","));
        conn.batch_execute(&sql)?;
    }
    Ok(())
}

/// Inserts `count` rows made by `make(i)` in write transactions of `ROWS_PER_TRANSACTION`,
/// printing progress every few seconds when `label` is not empty.
pub fn stream_rows(
    conn: &mut DbConnection,
    label: &str,
    table: &str,
    columns: &str,
    count: usize,
    mut make: impl FnMut(usize) -> String,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut last_print = Instant::now();
    let mut done = 0;
    while done < count {
        let end = (done + ROWS_PER_TRANSACTION).min(count);
        let rows: Vec<String> = (done..end).map(&mut make).collect();
        write_tx(conn, |c| insert_rows(c, table, columns, &rows))
            .with_context(|| format!("inserting into {table}"))?;
        done = end;
        if !label.is_empty() && (last_print.elapsed() >= Duration::from_secs(5) || done == count) {
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            println!(
                "  {label}: {done}/{count} rows ({:.0} rows/s)",
                done as f64 / secs
            );
            last_print = Instant::now();
        }
    }
    Ok(())
}

fn user_row(
    id: &str,
    email: &str,
    name: &str,
    role: &str,
    office: &str,
    now: NaiveDateTime,
) -> String {
    format!(
        "({}, {}, {}, NULL, {}, {}, 'th', NULL, 0, FALSE, {t}, {t})",
        lit(id),
        lit(email),
        lit(name),
        lit(role),
        lit(office),
        t = ts(now)
    )
}

fn member_row(cohort_id: &str, user_id: &str, now: NaiveDateTime) -> String {
    format!(
        "({}, {}, 'trainee', {})",
        lit(cohort_id),
        lit(user_id),
        ts(now)
    )
}

/// Loads and validates the course content folder (the same one the server loads).
pub fn load_course(dir: &Path) -> anyhow::Result<Course> {
    academy::course::loader::load_course(dir).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        anyhow::anyhow!(
            "{}: the course content has problems:\n{}",
            dir.display(),
            lines.join("\n")
        )
    })
}

/// A fresh random secret of 64 hex characters (for `ACADEMY_JWT_SECRET`).
pub fn random_secret() -> String {
    (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// Mints the sign-in token the server would issue at sign-in (HS256 with the shared secret,
/// token version 0 as for a new account).
pub fn mint(keys: &TokenKeys, user_id: &str) -> anyhow::Result<String> {
    Ok(keys.issue(&user_id.into(), 0, Utc::now())?.0)
}

// ---------------------------------------------------------------------------------------------
// The exam run
// ---------------------------------------------------------------------------------------------

/// What the exam run needs seeded.
pub struct ExamSpec<'a> {
    pub trainees: usize,
    pub quiz: &'a str,
    pub credentials: usize,
    /// Every n-th issued credential is revoked (0: none).
    pub revoke_every: usize,
}

/// A seeded credential.
#[derive(Debug, Clone)]
pub struct SeededCredential {
    pub id: String,
    pub revoked: bool,
}

/// What was seeded.
pub struct ExamSeed {
    pub cohort_id: String,
    /// Sign-in tokens of the trainees, in seeding order.
    pub trainee_tokens: Vec<String>,
    /// Questions per attempt of the published quiz.
    pub questions_per_attempt: usize,
    pub credentials: Vec<SeededCredential>,
}

/// Seeds an admin, `spec.trainees` trainees in one running cohort, the quiz published to the
/// cohort, and credentials for the first `spec.credentials` trainees (some revoked). The
/// server must have started once on this database (migrations, content revisions, signing key).
pub fn exam(
    db_url: &DatabaseUrl,
    base_url: &url::Url,
    content_dir: &Path,
    jwt_secret: &str,
    spec: &ExamSpec<'_>,
) -> anyhow::Result<ExamSeed> {
    let started = Instant::now();
    let course = load_course(content_dir)?;
    let db = Db::connect(db_url, 1)?;
    let mut pooled = db.get()?;
    let conn: &mut DbConnection = &mut pooled;
    let now = Utc::now().naive_utc();

    // Accounts: one admin, then the trainees.
    let admin_id = uuid::Uuid::new_v4().to_string();
    let trainee_ids: Vec<String> = (0..spec.trainees)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    write_tx(conn, |c| {
        insert_rows(
            c,
            "users",
            USER_COLUMNS,
            &[user_row(
                &admin_id,
                "bench-admin@bench.example",
                "นางสาว ผู้ดูแล ระบบทดสอบ",
                "admin",
                "TISI",
                now,
            )],
        )
    })?;
    stream_rows(
        conn,
        "trainees",
        "users",
        USER_COLUMNS,
        trainee_ids.len(),
        |i| {
            user_row(
                &trainee_ids[i],
                &format!("bench-trainee-{i:05}@bench.example"),
                &format!("ผู้เข้าสอบ ทดสอบที่ {:05}", i + 1),
                "trainee",
                OFFICES[i % OFFICES.len()],
                now,
            )
        },
    )?;

    // The cohort (through the library: names, fiscal year, join code, rules).
    let today = now.date();
    let cohort = academy::cohorts::create_cohort(
        conn,
        &academy::cohorts::NewCohort {
            programme_id: course.programme.id.clone(),
            generation: 1,
            fiscal_year: None,
            name_th: None,
            name_en: Some("Benchmark cohort".into()),
            starts_on: today,
            ends_on: today + chrono::Duration::days(90),
            capacity: spec.trainees.clamp(1, 10_000) as i32,
            status: academy::cohorts::model::CohortStatus::Running,
            enrol_opens_at: None,
            enrol_closes_at: None,
        },
    )
    .context("creating the cohort")?;
    let cohort_id = cohort.id.clone();
    stream_rows(
        conn,
        "memberships",
        "cohort_members",
        MEMBER_COLUMNS,
        trainee_ids.len(),
        |i| member_row(cohort_id.as_str(), &trainee_ids[i], now),
    )?;
    conn.batch_execute(&format!(
        "UPDATE cohorts SET trainee_count = {} WHERE id = {}",
        trainee_ids.len(),
        lit(cohort_id.as_str())
    ))?;

    // The quiz, published the way an admin publishes it.
    let admin = academy::accounts::get_user(conn, &admin_id.as_str().into())?;
    let item = academy::quizzes::publish_quiz(conn, &cohort_id, spec.quiz, &admin, None, None)
        .with_context(|| {
            format!(
                "publishing quiz '{}' (is it in {}?)",
                spec.quiz,
                content_dir.display()
            )
        })?;
    if item.questions != 20 {
        println!(
            "  note: quiz '{}' has {} questions per attempt (the issue asks for 20)",
            spec.quiz, item.questions
        );
    }

    // Credentials: issued for real (signed), some revoked, for the verification load.
    let issuer = academy::credentials::Issuer {
        base_url: base_url.clone(),
        prefix: "TISI-S".into(),
    };
    let scope = course
        .programme
        .scopes
        .first()
        .map(|s| s.id.clone())
        .context("the programme has no scope")?;
    let mut credentials = Vec::new();
    for (i, user_id) in trainee_ids.iter().take(spec.credentials).enumerate() {
        let view = academy::credentials::issue(
            conn,
            &issuer,
            &course,
            &admin,
            &academy::credentials::IssueRequest {
                cohort_id: &cohort_id,
                user_id: &user_id.into(),
                scope: &scope,
                override_reason: Some("benchmark seed"),
                renews_id: None,
                decision_id: None,
            },
        )
        .context("issuing a credential")?;
        let revoked = spec.revoke_every > 0 && i % spec.revoke_every == spec.revoke_every - 1;
        if revoked {
            academy::credentials::change_status(
                conn,
                &issuer,
                &course,
                &admin,
                &view.id,
                academy::credentials::StatusAction::Revoke,
                "benchmark: revoked on purpose",
            )
            .context("revoking a credential")?;
        }
        credentials.push(SeededCredential {
            id: view.id.into(),
            revoked,
        });
        if (i + 1).is_multiple_of(50) || i + 1 == spec.credentials {
            println!("  credentials: {}/{} issued", i + 1, spec.credentials);
        }
    }

    let keys = TokenKeys::from_secret(jwt_secret.as_bytes());
    let trainee_tokens = trainee_ids
        .iter()
        .map(|id| mint(&keys, id))
        .collect::<anyhow::Result<Vec<_>>>()?;
    println!(
        "  seeded {} trainees, cohort {cohort_id}, quiz '{}' ({} questions), {} credentials in {:.1} s",
        trainee_ids.len(),
        spec.quiz,
        item.questions,
        credentials.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExamSeed {
        cohort_id: cohort_id.into(),
        trainee_tokens,
        questions_per_attempt: item.questions,
        credentials,
    })
}

/// Waits (up to `timeout`) until the server's mail worker has sent every queued mail (issuing
/// and revoking credentials queue one each), so it does not run during the measurements.
/// Returns how many are still queued.
pub fn wait_for_outbox(db_url: &DatabaseUrl, timeout: Duration) -> anyhow::Result<i64> {
    let db = Db::connect(db_url, 1)?;
    let mut pooled = db.get()?;
    let conn: &mut DbConnection = &mut pooled;
    let deadline = Instant::now() + timeout;
    loop {
        let queued: i64 = academy::email::store::count_by_status(conn)?
            .into_iter()
            .filter(|(s, _)| s == academy::email::model::OutboxStatus::Queued.as_str())
            .map(|(_, n)| n)
            .sum();
        if queued == 0 || Instant::now() >= deadline {
            return Ok(queued);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

// ---------------------------------------------------------------------------------------------
// The data-scale run
// ---------------------------------------------------------------------------------------------

/// How much data the scale run makes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScaleSpec {
    pub users: usize,
    pub attempts: usize,
    pub credentials: usize,
    pub cohort_size: usize,
    /// Store `{"questions":[]}` as every attempt's layout instead of real drawn layouts.
    pub lean_layouts: bool,
}

/// Ids and shared facts of the scale data set. User `u` is a trainee of cohort
/// `u / cohort_size`, holds `attempts / users` submitted attempts and, when
/// `u < credentials`, one credential (every tenth revoked). Cohort 0 is the measured one.
pub struct ScaleWorld {
    pub spec: ScaleSpec,
    pub now: NaiveDateTime,
    pub admin_id: String,
    pub user_ids: Vec<String>,
    pub cohort_ids: Vec<String>,
    pub credential_ids: Vec<String>,
    programme_id: String,
    scheme_version: i32,
    scope: String,
    kid: String,
    /// (slug, current revision id)
    quiz_revisions: Vec<(String, String)>,
    module_revisions: Vec<(String, String)>,
    /// Real layouts per quiz slug, reused round-robin (drawing one per attempt is slow).
    layouts: HashMap<String, Vec<String>>,
    jwt_placeholder: String,
}

impl ScaleWorld {
    /// Reads the content revisions and the signing key the server created, inserts the admin.
    pub fn prepare(
        conn: &mut DbConnection,
        course: &Course,
        spec: ScaleSpec,
    ) -> anyhow::Result<ScaleWorld> {
        if spec.users == 0 || spec.cohort_size == 0 {
            bail!("--users and --cohort-size must be at least 1");
        }
        let now = Utc::now().naive_utc();
        let (kid, _) = academy::credentials::keys::ensure(conn)?;
        let quiz_revisions: Vec<(String, String)> =
            academy::course::store::current_quiz_revisions(conn, None)?
                .into_iter()
                .map(|r| (r.slug, r.id))
                .collect();
        let module_revisions: Vec<(String, String)> =
            academy::course::store::current_module_revisions(conn)?
                .into_iter()
                .map(|r| (r.slug, r.id))
                .collect();
        if quiz_revisions.is_empty() {
            bail!("no quiz revisions in the database: did the server start on it?");
        }
        let mut layouts: HashMap<String, Vec<String>> = HashMap::new();
        for (slug, _) in &quiz_revisions {
            let pool: Vec<String> = match course.quizzes.iter().find(|q| q.slug == *slug) {
                Some(quiz) if !spec.lean_layouts => (0..16)
                    .map(|_| -> anyhow::Result<String> {
                        let layout =
                            academy::quizzes::engine::draw(quiz).map_err(anyhow::Error::msg)?;
                        Ok(serde_json::to_string(&layout)?)
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?,
                _ => vec![r#"{"questions":[]}"#.to_string()],
            };
            layouts.insert(slug.clone(), pool);
        }
        let scope = course
            .programme
            .scopes
            .first()
            .map(|s| s.id.clone())
            .context("the programme has no scope")?;
        let n_cohorts = spec.users.div_ceil(spec.cohort_size);
        let admin_id = uuid::Uuid::new_v4().to_string();
        write_tx(conn, |c| {
            insert_rows(
                c,
                "users",
                USER_COLUMNS,
                &[user_row(
                    &admin_id,
                    "scale-admin@bench.example",
                    "นางสาว ผู้ดูแล ระบบทดสอบ",
                    "admin",
                    "TISI",
                    now,
                )],
            )
        })?;
        let new_ids = |n: usize| -> Vec<String> {
            (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect()
        };
        // About the size of a real credential JWT; verification by id never parses it.
        let jwt_placeholder = format!(
            "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJlbmNoIn0.{}.{}",
            "A".repeat(2400),
            "B".repeat(342)
        );
        Ok(ScaleWorld {
            now,
            admin_id,
            user_ids: new_ids(spec.users),
            cohort_ids: new_ids(n_cohorts),
            credential_ids: new_ids(spec.credentials.min(spec.users)),
            programme_id: course.programme.id.clone(),
            scheme_version: course.programme.version as i32,
            scope,
            kid,
            quiz_revisions,
            module_revisions,
            layouts,
            jwt_placeholder,
            spec,
        })
    }

    /// Attempts per user.
    fn per_user(&self) -> usize {
        self.spec.attempts / self.spec.users
    }

    /// Whether user `u`'s credential is revoked.
    pub fn revoked(u: usize) -> bool {
        u % 10 == 9
    }

    /// Seeds users `range` (which must start at a cohort boundary) with their cohorts,
    /// memberships, publications, attempts and credentials. Returns rows inserted.
    pub fn seed(&self, conn: &mut DbConnection, range: Range<usize>) -> anyhow::Result<u64> {
        let cs = self.spec.cohort_size;
        let range = range.start..range.end.min(self.spec.users);
        if range.is_empty() {
            return Ok(0);
        }
        if !range.start.is_multiple_of(cs) {
            bail!("a seeding range must start at a cohort boundary");
        }
        let now = self.now;
        let mut rows = 0u64;
        let users = range.len();
        let first = range.start;

        stream_rows(conn, "users", "users", USER_COLUMNS, users, |i| {
            let u = first + i;
            user_row(
                &self.user_ids[u],
                &format!("scale-{u:06}@bench.example"),
                &format!("ผู้ตรวจประเมิน ทดสอบที่ {:06}", u + 1),
                "trainee",
                OFFICES[u % OFFICES.len()],
                now,
            )
        })?;
        rows += users as u64;

        let cohorts = (first / cs)..range.end.div_ceil(cs);
        let c0 = cohorts.start;
        stream_rows(
            conn,
            "cohorts",
            "cohorts",
            COHORT_COLUMNS,
            cohorts.len(),
            |i| {
                let k = c0 + i;
                format!(
                    "({}, {}, {}, {}, {}, {}, '2025-01-06', '2025-12-19', {cs}, {cs}, NULL, NULL, {}, 'running', {}, {t}, {t})",
                    lit(&self.cohort_ids[k]),
                    lit(&self.programme_id),
                    k % 999 + 1,
                    2500 + k / 999,
                    lit(&format!("รุ่นทดสอบที่ {}", k + 1)),
                    lit(&format!("Scale cohort {}", k + 1)),
                    lit(&format!("BN{k:08}")),
                    lit(&format!("feed{k:08}")),
                    t = ts(now)
                )
            },
        )?;
        rows += cohorts.len() as u64;

        stream_rows(
            conn,
            "memberships",
            "cohort_members",
            MEMBER_COLUMNS,
            users,
            |i| {
                let u = first + i;
                member_row(&self.cohort_ids[u / cs], &self.user_ids[u], now)
            },
        )?;
        rows += users as u64;

        let published: Vec<(&str, &str, &str)> = self
            .module_revisions
            .iter()
            .map(|(s, r)| ("module", s.as_str(), r.as_str()))
            .chain(
                self.quiz_revisions
                    .iter()
                    .map(|(s, r)| ("quiz", s.as_str(), r.as_str())),
            )
            .collect();
        let per_cohort = published.len();
        stream_rows(
            conn,
            "publications",
            "publications",
            PUBLICATION_COLUMNS,
            cohorts.len() * per_cohort,
            |i| {
                let k = c0 + i / per_cohort;
                let (kind, slug, rev) = published[i % per_cohort];
                format!(
                    "({}, {}, {}, {}, NULL, NULL, {}, {})",
                    lit(&self.cohort_ids[k]),
                    lit(kind),
                    lit(slug),
                    lit(rev),
                    lit(&self.admin_id),
                    ts(now)
                )
            },
        )?;
        rows += (cohorts.len() * per_cohort) as u64;

        let per_user = self.per_user();
        let nq = self.quiz_revisions.len();
        let started_at = now - chrono::Duration::days(30);
        stream_rows(
            conn,
            "attempts",
            "attempts",
            ATTEMPT_COLUMNS,
            users * per_user,
            |j| {
                let u = first + j / per_user;
                let k = j % per_user;
                let (slug, rev) = &self.quiz_revisions[k % nq];
                let pool = &self.layouts[slug];
                let layout = &pool[(u + k) % pool.len()];
                let start = started_at + chrono::Duration::minutes((k * 60) as i64);
                format!(
                    "({}, {}, {}, {}, {}, {}, 'submitted', {}, {}, {}, {}, 15.0, 20.0, 75.0, TRUE, 1)",
                    lit(&uuid::Uuid::new_v4().to_string()),
                    lit(&self.cohort_ids[u / cs]),
                    lit(slug),
                    lit(rev),
                    lit(&self.user_ids[u]),
                    k / nq + 1,
                    lit(layout),
                    ts(start),
                    ts(start + chrono::Duration::minutes(40)),
                    ts(start + chrono::Duration::minutes(25)),
                )
            },
        )?;
        rows += (users * per_user) as u64;

        let with_credential = range
            .end
            .min(self.credential_ids.len())
            .saturating_sub(first);
        stream_rows(
            conn,
            "credentials",
            "credentials",
            CREDENTIAL_COLUMNS,
            with_credential,
            |i| {
                let u = first + i;
                let revoked = Self::revoked(u);
                format!(
                    "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {issued}, {issued}, {until}, {}, {}, NULL, NULL, {}, NULL)",
                    lit(&self.credential_ids[u]),
                    lit(&format!("BENCH-{u:07}")),
                    lit(&self.user_ids[u]),
                    lit(&self.cohort_ids[u / cs]),
                    lit(&self.programme_id),
                    self.scheme_version,
                    lit(&self.scope),
                    if revoked { "'revoked'" } else { "'active'" },
                    if revoked { lit("benchmark: revoked on purpose") } else { "NULL".into() },
                    if revoked { ts(now) } else { "NULL".into() },
                    u,
                    lit(&self.kid),
                    lit(&self.jwt_placeholder),
                    lit(&self.admin_id),
                    issued = ts(now - chrono::Duration::days(1)),
                    until = ts(now + chrono::Duration::days(3 * 365)),
                )
            },
        )?;
        rows += with_credential as u64;
        Ok(rows)
    }
}
