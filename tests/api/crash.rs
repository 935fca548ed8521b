//! Crash test: the real `academy` binary under a mixed load (autosaves, starts, submits,
//! credential issuing and the mail it causes) is killed with SIGKILL at random moments, 20
//! times. After every kill the database passes its integrity checks, every write that got a 2xx
//! is there, nothing is graded twice or half-graded, no credential is duplicated and the numbers
//! have no gap, and the outbox holds exactly one mail per credential; at the end every mail is
//! delivered once (one `.eml` file per outbox row, none extra).

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use academy::db::{DatabaseUrl, Db, DbConnection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::helpers::{backend_name, fresh_database};

const CYCLES: usize = 20;
const PASSWORD: &str = "correct horse battery";
const BASE_URL: &str = "http://academy.crash.example/";
const QUIZZES: [&str; 7] = ["q01", "q02", "q03", "q04", "q05", "q06", "final-exam"];
/// What the final exam requires (course_content/quizzes/final-exam.toml): every trainee meets it
/// before the load, so the final exam is in the mix like any quiz.
const FINAL_MODULES: [&str; 5] = [
    "01-what-is-tis-s",
    "02-certification-path",
    "03-assessor-role-ethics",
    "04-planning-onsite-assessment",
    "05-evidence-findings-report",
];
const FINAL_QUIZZES: [&str; 5] = ["q01", "q02", "q03", "q04", "q05"];

fn url_string(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        DatabaseUrl::Postgres(s) => s.clone(),
    }
}

struct Server {
    child: Child,
    base: String,
}

fn start(db: &DatabaseUrl, dir: &std::path::Path) -> Server {
    // Port 0: the system picks a free port and the service says which on its first line
    // (picking one here and releasing it for the child raced with other tests).
    let mut child = Command::new(env!("CARGO_BIN_EXE_academy"))
        .env("ACADEMY_DATABASE_URL", url_string(db))
        .env("ACADEMY_BIND", "127.0.0.1:0")
        .env("ACADEMY_BASE_URL", BASE_URL)
        .env("ACADEMY_DATA_DIR", dir)
        .env("ACADEMY_CONTENT_DIR", "course_content")
        .env("ACADEMY_MAIL_RETRY_SECONDS", "1")
        .env("ACADEMY_LOG", "error")
        .env_remove("ACADEMY_SMTP_URL")
        .env_remove("ACADEMY_JWT_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the academy binary starts");
    let port = crate::helpers::announced_port(
        child.stdout.take().expect("piped stdout"),
        "listening on port ",
    );
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_healthy(client: &reqwest::Client, s: &mut Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{}/healthz", s.base)).send().await {
            if r.status().is_success() {
                return;
            }
        }
        if let Ok(Some(status)) = s.child.try_wait() {
            panic!("the service exited at start: {status}");
        }
        assert!(Instant::now() < deadline, "the service did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the load sent and what the server acknowledged.
#[derive(Default)]
struct Log {
    /// (attempt, question) → values in the order sent, each with whether it was acknowledged.
    answers: HashMap<(String, String), Vec<(Value, bool)>>,
    submitted: HashSet<String>,
    credentials: HashSet<String>,
    revoked: HashSet<String>,
    /// Credentials found already revoked without an acknowledgement.
    gone: HashSet<String>,
    /// Keys with a write in flight: one writer per answer at a time, as on one trainee's page.
    inflight: HashSet<(String, String)>,
    /// Every request the server acknowledged (2xx), of any kind: a cycle must add some.
    acks: usize,
    /// The answer kinds (and the quizzes) of which some autosave was acknowledged.
    kinds_saved: HashSet<String>,
    quizzes_saved: HashSet<&'static str>,
}

struct Trainee {
    id: String,
    token: String,
}

#[derive(Clone)]
struct Open {
    trainee: usize,
    quiz: &'static str,
    attempt: String,
    token: String,
    questions: Vec<Shown>,
}

/// A question as the trainee is shown it: id, kind, option ids, matching item ids.
#[derive(Clone)]
struct Shown {
    id: String,
    kind: String,
    options: Vec<String>,
    items: Vec<String>,
}

struct World {
    admin: String,
    cohort: String,
    trainees: Vec<Trainee>,
    open: Mutex<Vec<Open>>,
    started: Mutex<HashSet<(usize, &'static str)>>,
    seq: AtomicU64,
}

/// A valid answer of the shown question's kind; `seq` varies it, so saves change the value.
/// Every kind a trainee autosaves is here (a written answer, `essay`, is not in these quizzes).
fn answer_for(q: &Shown, seq: u64) -> Option<Value> {
    let pick = |k: u64| q.options.get(k as usize % q.options.len().max(1)).cloned();
    match q.kind.as_str() {
        "short_text" => Some(json!(format!("v{seq}"))),
        "numeric" => Some(json!(format!("{seq}"))),
        "single" => pick(seq).map(|o| json!(o)),
        "true_false" => Some(json!(seq.is_multiple_of(2))),
        // One to all of the options, chosen by the bits of seq.
        "multiple" => {
            let n = q.options.len();
            let chosen: Vec<&String> = q
                .options
                .iter()
                .enumerate()
                .filter(|(i, _)| (seq >> (i % 63)) & 1 == 1 || *i == seq as usize % n.max(1))
                .map(|(_, o)| o)
                .collect();
            (!chosen.is_empty()).then(|| json!(chosen))
        }
        // Each item matched to an option, rotated by seq.
        "matching" => {
            let mut m = serde_json::Map::new();
            for (i, item) in q.items.iter().enumerate() {
                m.insert(item.clone(), json!(pick(seq + i as u64)?));
            }
            Some(Value::Object(m))
        }
        other => panic!("the crash test does not autosave {other} answers: add it"),
    }
}

async fn load(
    client: reqwest::Client,
    base: String,
    world: Arc<World>,
    log: Arc<Mutex<Log>>,
    stop: Arc<AtomicBool>,
    worker: usize,
) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(worker as u64 ^ rand::random::<u64>());
    while !stop.load(Ordering::Relaxed) {
        let roll: u32 = rng.random_range(0..100);
        let seq = world.seq.fetch_add(1, Ordering::Relaxed);
        if roll < 8 {
            // Start an attempt not started yet.
            let t = rng.random_range(0..world.trainees.len());
            let q = QUIZZES[rng.random_range(0..QUIZZES.len())];
            if !world.started.lock().unwrap().insert((t, q)) {
                continue;
            }
            let res = client
                .post(format!(
                    "{base}/api/v1/cohorts/{}/quizzes/{q}/attempts",
                    world.cohort
                ))
                .bearer_auth(&world.trainees[t].token)
                .json(&json!({}))
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => {
                    let Ok(v) = r.json::<Value>().await else {
                        continue;
                    };
                    log.lock().unwrap().acks += 1;
                    let ids = |q: &Value, list: &str| -> Vec<String> {
                        q[list]
                            .as_array()
                            .map(|o| {
                                o.iter()
                                    .map(|x| x["id"].as_str().unwrap().to_string())
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    let questions = v["questions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|q| Shown {
                            id: q["id"].as_str().unwrap().to_string(),
                            kind: q["kind"].as_str().unwrap().to_string(),
                            options: ids(q, "options"),
                            items: ids(q, "items"),
                        })
                        .collect();
                    world.open.lock().unwrap().push(Open {
                        trainee: t,
                        quiz: q,
                        attempt: v["attempt_id"].as_str().unwrap().to_string(),
                        token: world.trainees[t].token.clone(),
                        questions,
                    });
                }
                // Not acknowledged: it may or may not exist; it is picked up from the
                // database by the next cycle's resume (a second start returns it).
                _ => {
                    world.started.lock().unwrap().remove(&(t, q));
                }
            }
        } else if roll < 12 {
            // Submit one open attempt.
            let open = {
                let mut o = world.open.lock().unwrap();
                if o.is_empty() {
                    continue;
                }
                let i = rng.random_range(0..o.len());
                o.swap_remove(i)
            };
            let res = client
                .post(format!("{base}/api/v1/attempts/{}/submit", open.attempt))
                .bearer_auth(&open.token)
                .json(&json!({}))
                .send()
                .await;
            if matches!(&res, Ok(r) if r.status().is_success()) {
                let mut l = log.lock().unwrap();
                l.acks += 1;
                l.submitted.insert(open.attempt);
                drop(l);
                // The override allows many attempts: this quiz may be started again.
                world
                    .started
                    .lock()
                    .unwrap()
                    .remove(&(open.trainee, open.quiz));
            }
        } else if roll < 17 {
            // Revoke a credential (the holder is e-mailed), so that issuing can go on.
            let target = {
                let l = log.lock().unwrap();
                l.credentials
                    .iter()
                    .find(|c| !l.revoked.contains(*c) && !l.gone.contains(*c))
                    .cloned()
            };
            let Some(id) = target else { continue };
            let res = client
                .post(format!("{base}/api/v1/credentials/{id}/revoke"))
                .bearer_auth(&world.admin)
                .json(&json!({"reason": "crash test"}))
                .send()
                .await;
            match res.map(|r| r.status().as_u16()) {
                Ok(200) => {
                    let mut l = log.lock().unwrap();
                    l.acks += 1;
                    l.revoked.insert(id);
                }
                // Revoked by a request the kill cut off before its answer: skip it from now on.
                Ok(409) => {
                    log.lock().unwrap().gone.insert(id);
                }
                _ => {}
            }
        } else if roll < 21 {
            // Issue a credential (with an override: eligibility is not the point here).
            let t = &world.trainees[rng.random_range(0..world.trainees.len())];
            let scope = if rng.random_bool(0.5) {
                "product"
            } else {
                "service"
            };
            let res = client
                .post(format!("{base}/api/v1/credentials"))
                .bearer_auth(&world.admin)
                .json(&json!({"cohort_id": world.cohort, "user_id": t.id, "scope": scope, "override_reason": "crash test"}))
                .send()
                .await;
            if let Ok(r) = res {
                if r.status().as_u16() == 201 {
                    if let Ok(v) = r.json::<Value>().await {
                        let mut l = log.lock().unwrap();
                        l.acks += 1;
                        l.credentials.insert(v["id"].as_str().unwrap().to_string());
                    }
                }
            }
        } else {
            // Autosave an answer.
            let picked = {
                let o = world.open.lock().unwrap();
                (!o.is_empty()).then(|| o[rng.random_range(0..o.len())].clone())
            };
            let Some(open) = picked else {
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            };
            let shown = &open.questions[rng.random_range(0..open.questions.len())];
            let qid = &shown.id;
            let Some(value) = answer_for(shown, seq) else {
                continue;
            };
            let key = (open.attempt.clone(), qid.clone());
            let index = {
                let mut l = log.lock().unwrap();
                if !l.inflight.insert(key.clone()) {
                    continue;
                }
                let entry = l.answers.entry(key.clone()).or_default();
                entry.push((value.clone(), false));
                entry.len() - 1
            };
            let res = client
                .put(format!(
                    "{base}/api/v1/attempts/{}/answers/{qid}",
                    open.attempt
                ))
                .bearer_auth(&open.token)
                .json(&json!({ "answer": value }))
                .send()
                .await;
            let mut l = log.lock().unwrap();
            if matches!(&res, Ok(r) if r.status().is_success()) {
                l.answers.get_mut(&key).unwrap()[index].1 = true;
                l.acks += 1;
                l.kinds_saved.insert(shown.kind.clone());
                l.quizzes_saved.insert(open.quiz);
            }
            l.inflight.remove(&key);
        }
    }
}

/// POSTs `{}` with a bearer token and answers the status.
async fn post_empty(client: &reqwest::Client, url: &str, token: &str) -> u16 {
    client
        .post(url)
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Takes one attempt of a shipped quiz, answered from its file, and checks it passed.
async fn pass_from_file(
    client: &reqwest::Client,
    base: &str,
    cohort: &str,
    token: &str,
    quiz: &str,
) {
    let started: Value = client
        .post(format!(
            "{base}/api/v1/cohorts/{cohort}/quizzes/{quiz}/attempts"
        ))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attempt = started["attempt_id"]
        .as_str()
        .unwrap_or_else(|| panic!("start {quiz}: {started}"));
    let key = crate::credentials::shipped_key(quiz);
    for shown in started["questions"].as_array().unwrap() {
        let qid = shown["id"].as_str().unwrap();
        let answer = crate::credentials::answer_from_file(&key[qid], shown);
        let r = client
            .put(format!("{base}/api/v1/attempts/{attempt}/answers/{qid}"))
            .bearer_auth(token)
            .json(&json!({ "answer": answer }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{quiz} {qid}: {}", r.status());
    }
    let result: Value = client
        .post(format!("{base}/api/v1/attempts/{attempt}/submit"))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(result["passed"], true, "{quiz}: {result}");
}

#[derive(QueryableByName)]
struct AnswerRow {
    #[diesel(sql_type = Text)]
    attempt_id: String,
    #[diesel(sql_type = Text)]
    question_id: String,
    #[diesel(sql_type = Text)]
    answer_json: String,
}

#[derive(QueryableByName)]
struct AttemptRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Integer)]
    grading_count: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    score: Option<f64>,
}

#[derive(QueryableByName)]
struct CredRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    number: String,
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(sql_type = Text)]
    scope: String,
    #[diesel(sql_type = Text)]
    status: String,
}

#[derive(QueryableByName)]
struct MailRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    template: String,
    #[diesel(sql_type = Text)]
    status: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// The storage engine's own consistency checks.
fn integrity(conn: &mut DbConnection) {
    match conn {
        DbConnection::Sqlite(_) => {
            let rows: Vec<Line> =
                diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check")
                    .load(conn)
                    .unwrap();
            let lines: Vec<&str> = rows.iter().map(|r| r.line.as_str()).collect();
            assert_eq!(lines, ["ok"], "PRAGMA integrity_check");
            let fk: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM pragma_foreign_key_check")
                .get_result(conn)
                .unwrap();
            assert_eq!(fk.n, 0, "PRAGMA foreign_key_check");
        }
        DbConnection::Postgres(_) => {
            diesel::sql_query("CREATE EXTENSION IF NOT EXISTS amcheck")
                .execute(conn)
                .unwrap();
            // Every B-tree index agrees with its table (heapallindexed), checked by amcheck.
            let checked: Count = diesel::sql_query(
                "SELECT COUNT(bt_index_check(c.oid, true)) AS n FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam \
                 WHERE a.amname = 'btree' AND c.relnamespace = 'public'::regnamespace",
            )
            .get_result(conn)
            .unwrap();
            assert!(checked.n > 10, "amcheck ran on the indexes");
        }
    }
}

/// Every acknowledged write is there, nothing is graded twice or half-graded, no credential is
/// duplicated and numbers have no gap, and the outbox has one mail per credential.
fn invariants(conn: &mut DbConnection, log: &Log) -> (usize, usize, usize) {
    let answers: Vec<AnswerRow> =
        diesel::sql_query("SELECT attempt_id, question_id, answer_json FROM attempt_answers")
            .load(conn)
            .unwrap();
    let stored: HashMap<(String, String), Value> = answers
        .into_iter()
        .map(|r| {
            (
                (r.attempt_id, r.question_id),
                serde_json::from_str(&r.answer_json).unwrap(),
            )
        })
        .collect();
    let mut acked = 0;
    for (key, sent) in &log.answers {
        // The stored value is the last acknowledged one or a later write still in flight.
        let Some(last_ack) = sent.iter().rposition(|(_, ok)| *ok) else {
            continue;
        };
        acked += 1;
        let got = stored
            .get(key)
            .unwrap_or_else(|| panic!("acknowledged answer lost: {key:?}"));
        let allowed: Vec<&Value> = sent[last_ack..].iter().map(|(v, _)| v).collect();
        assert!(
            allowed.contains(&got),
            "{key:?}: stored {got} but the last acknowledged write was {}",
            sent[last_ack].0
        );
    }
    let attempts: Vec<AttemptRow> =
        diesel::sql_query("SELECT id, state, grading_count, score FROM attempts")
            .load(conn)
            .unwrap();
    let by_id: HashMap<&str, &AttemptRow> = attempts.iter().map(|a| (a.id.as_str(), a)).collect();
    for a in &attempts {
        match a.state.as_str() {
            "open" => assert_eq!(a.grading_count, 0, "open attempt {} graded", a.id),
            _ => {
                assert_eq!(
                    a.grading_count, 1,
                    "attempt {} graded {} times",
                    a.id, a.grading_count
                );
                assert!(a.score.is_some(), "attempt {} half-graded (no score)", a.id);
            }
        }
    }
    for id in &log.submitted {
        let a = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("acknowledged submission lost: {id}"));
        assert_ne!(
            a.state, "open",
            "acknowledged submission {id} is open again"
        );
    }
    let creds: Vec<CredRow> = diesel::sql_query(
        "SELECT id, number, user_id, scope, status FROM credentials ORDER BY number",
    )
    .load(conn)
    .unwrap();
    let ids: HashSet<&str> = creds.iter().map(|c| c.id.as_str()).collect();
    for id in &log.credentials {
        assert!(
            ids.contains(id.as_str()),
            "acknowledged credential lost: {id}"
        );
    }
    for c in &creds {
        if log.revoked.contains(&c.id) {
            assert_eq!(
                c.status, "revoked",
                "acknowledged revocation lost: {}",
                c.id
            );
        }
    }
    let mut live = HashSet::new();
    for c in creds
        .iter()
        .filter(|c| c.status == "active" || c.status == "suspended")
    {
        assert!(
            live.insert((&c.user_id, &c.scope)),
            "duplicate live credential {} {}",
            c.user_id,
            c.scope
        );
    }
    let mut numbers: Vec<u32> = creds
        .iter()
        .map(|c| c.number.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=numbers.len() as u32).collect::<Vec<_>>(),
        "numbers are gapless"
    );
    let mails: Vec<MailRow> = diesel::sql_query("SELECT id, template, status FROM outbox_emails")
        .load(conn)
        .unwrap();
    let issued_mails = mails
        .iter()
        .filter(|m| m.template == "credential_issued")
        .count();
    assert_eq!(
        issued_mails,
        creds.len(),
        "one credential_issued mail per credential"
    );
    // Revoking queues the holder's mail in the same transaction: one per revoked credential.
    let revoked_mails = mails
        .iter()
        .filter(|m| m.template == "credential_revoked")
        .count();
    let revoked = creds.iter().filter(|c| c.status == "revoked").count();
    assert_eq!(
        revoked_mails, revoked,
        "one credential_revoked mail per revoked credential"
    );
    // Nothing else writes mail here (the set-up may invite the trainees).
    for m in &mails {
        assert!(
            ["credential_issued", "credential_revoked", "invitation"]
                .contains(&m.template.as_str()),
            "unexpected mail {} ({})",
            m.id,
            m.template
        );
    }
    (acked, log.submitted.len(), creds.len())
}

#[tokio::test]
async fn twenty_sigkills_under_load_lose_no_acknowledged_write_and_double_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _pg) = fresh_database(dir.path());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();

    // The first administrator, from the command line.
    let mut admin_create = Command::new(env!("CARGO_BIN_EXE_academy"))
        .args([
            "admin",
            "create",
            "--email",
            "admin@example.org",
            "--name",
            "ผู้ดูแล ระบบ",
            "--password-stdin",
        ])
        .env("ACADEMY_DATABASE_URL", url_string(&db_url))
        .env("ACADEMY_DATA_DIR", dir.path())
        .env("ACADEMY_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        writeln!(admin_create.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    }
    assert!(admin_create.wait().unwrap().success());

    let mut server = start(&db_url, dir.path());
    wait_healthy(&client, &mut server).await;
    let base = server.base.clone();
    let login = |email: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let v: Value = client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["token"]
                .as_str()
                .unwrap_or_else(|| panic!("login {v}"))
                .to_string()
        }
    };
    let admin = login("admin@example.org".into()).await;
    let cohort: Value = client
        .post(format!("{base}/api/v1/cohorts"))
        .bearer_auth(&admin)
        .json(&json!({"program": "tis-s-assessor", "generation": 1, "starts_on": "2022-02-15", "ends_on": "2022-03-31", "capacity": 50}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cohort_id = cohort["id"].as_str().unwrap().to_string();
    for m in FINAL_MODULES {
        let url = format!("{base}/api/v1/cohorts/{cohort_id}/modules/{m}/publish");
        assert_eq!(post_empty(&client, &url, &admin).await, 200, "publish {m}");
    }
    for q in QUIZZES {
        let url = format!("{base}/api/v1/cohorts/{cohort_id}/quizzes/{q}/publish");
        assert_eq!(post_empty(&client, &url, &admin).await, 200);
    }
    let mut trainees = Vec::new();
    for i in 0..10 {
        let email = format!("trainee{i}@example.org");
        let u: Value = client
            .post(format!("{base}/api/v1/users"))
            .bearer_auth(&admin)
            .json(&json!({"email": email, "name": format!("นาย ทดสอบ {i}"), "role": "trainee", "office_code": "TH-50", "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login(email).await;
        let r = client
            .post(format!("{base}/api/v1/cohorts/join"))
            .bearer_auth(&token)
            .json(&json!({"join_code": cohort["join_code"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        for q in QUIZZES {
            let r = client
                .put(format!(
                    "{base}/api/v1/cohorts/{cohort_id}/quizzes/{q}/overrides/{}",
                    u["id"].as_str().unwrap()
                ))
                .bearer_auth(&admin)
                .json(&json!({"extra_seconds": 0, "extra_attempts": 20}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
        }
        // The final exam's prerequisites, met over the API with answers from the shipped files.
        for m in FINAL_MODULES {
            let url = format!("{base}/api/v1/cohorts/{cohort_id}/modules/{m}/complete");
            assert_eq!(post_empty(&client, &url, &token).await, 204, "complete {m}");
        }
        for q in FINAL_QUIZZES {
            pass_from_file(&client, &base, &cohort_id, &token, q).await;
        }
        trainees.push(Trainee {
            id: u["id"].as_str().unwrap().to_string(),
            token,
        });
    }
    let world = Arc::new(World {
        admin,
        cohort: cohort_id,
        trainees,
        open: Mutex::new(Vec::new()),
        started: Mutex::new(HashSet::new()),
        seq: AtomicU64::new(1),
    });
    let log = Arc::new(Mutex::new(Log::default()));
    let db = Db::connect(&db_url, 1).unwrap();

    let mut rng = rand::rng();
    let mut acks_before = 0;
    for cycle in 1..=CYCLES {
        if cycle > 1 {
            server = start(&db_url, dir.path());
            wait_healthy(&client, &mut server).await;
        }
        // Resume the attempts that are still open (a start returns the open attempt).
        world.started.lock().unwrap().clear();
        world.open.lock().unwrap().clear();
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..6)
            .map(|w| {
                tokio::spawn(load(
                    client.clone(),
                    server.base.clone(),
                    world.clone(),
                    log.clone(),
                    stop.clone(),
                    w,
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.random_range(300..1500))).await;
        server.child.kill().unwrap(); // SIGKILL
        server.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        let log_now = log.lock().unwrap();
        let mut conn = db.get().unwrap();
        integrity(&mut conn);
        let (answers, submits, creds) = invariants(&mut conn, &log_now);
        // A cycle whose every request failed would check nothing: the load must have landed.
        assert!(
            log_now.acks > acks_before,
            "cycle {cycle}: no request was acknowledged"
        );
        acks_before = log_now.acks;
        eprintln!(
            "crash cycle {cycle}/{CYCLES} ({}): integrity ok; {answers} acknowledged answers, {submits} submissions, {creds} credentials all present",
            backend_name()
        );
    }

    // The load did each kind of write, on every answer kind and every quiz (the final exam too).
    {
        let l = log.lock().unwrap();
        assert!(!l.submitted.is_empty(), "no submission was acknowledged");
        assert!(!l.credentials.is_empty(), "no credential was issued");
        assert!(!l.revoked.is_empty(), "no revocation was acknowledged");
        for kind in [
            "single",
            "multiple",
            "true_false",
            "short_text",
            "numeric",
            "matching",
        ] {
            assert!(
                l.kinds_saved.contains(kind),
                "no {kind} answer was saved: {:?}",
                l.kinds_saved
            );
        }
        for q in QUIZZES {
            assert!(l.quizzes_saved.contains(q), "no answer saved in {q}");
        }
    }

    // Finally the mail. Rows a worker had claimed when a kill hit stay leased for two minutes;
    // the lease is ended here as its expiry would end it (the child's clock cannot be moved).
    // A row sent but not yet marked is sent again under the same name and Message-ID, as a mail
    // server would deduplicate it.
    let mut conn = db.get().unwrap();
    diesel::sql_query(
        "UPDATE outbox_emails SET locked_until = NULL, locked_by = NULL WHERE status <> 'sent'",
    )
    .execute(&mut conn)
    .unwrap();
    let mut server = start(&db_url, dir.path());
    wait_healthy(&client, &mut server).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pending: Count =
            diesel::sql_query("SELECT COUNT(*) AS n FROM outbox_emails WHERE status <> 'sent'")
                .get_result(&mut conn)
                .unwrap();
        if pending.n == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} mails still not sent after 60 s",
            pending.n
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let mails: Vec<MailRow> = diesel::sql_query("SELECT id, template, status FROM outbox_emails")
        .load(&mut conn)
        .unwrap();
    let files: HashSet<String> = std::fs::read_dir(dir.path().join("outbox"))
        .expect("the outbox folder exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    let rows: HashSet<String> = mails.iter().map(|m| format!("{}.eml", m.id)).collect();
    assert!(!rows.is_empty(), "the load queued mail");
    assert_eq!(
        files, rows,
        "one file per outbox row, none missing, none extra"
    );
    assert!(mails.iter().all(|m| m.status == "sent"));
    eprintln!(
        "crash test ({}): {CYCLES} SIGKILL cycles; {} mails in the outbox, all delivered, one file each",
        backend_name(),
        mails.len()
    );
}
