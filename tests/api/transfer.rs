//! Moving a populated SQLite install onto another database (`academy export` / `academy import`)
//! keeps every row, and every credential still verifies with its status; and the moved
//! install (PostgreSQL on the PostgreSQL pass) exports back to SQLite with the same rows.

use std::process::Command;

use academy::db::{transfer, DatabaseUrl, Db};
use serde_json::{json, Value};

use crate::helpers::{fresh_database, spawn_with, spawn_with_demo, test_settings};

fn url_string(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        DatabaseUrl::Postgres(s) => s.clone(),
    }
}

fn academy(args: &[&str], url: &DatabaseUrl) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_academy"))
        .args(args)
        .env("ACADEMY_DATABASE_URL", url_string(url))
        .env("ACADEMY_LOG", "error")
        .output()
        .unwrap()
}

fn snapshot(url: &DatabaseUrl) -> std::collections::BTreeMap<String, Vec<String>> {
    let db = Db::connect(url, 1).unwrap();
    let mut conn = db.get().unwrap();
    transfer::snapshot(&mut conn).unwrap()
}

/// Key columns read back with their own SQL types (text, timestamp, double, bool, nullable), not
/// through the export's canonical form: a fault that the canonicaliser made on both sides
/// alike (a time shifted, a number rounded, a flag flipped) shows here.
#[derive(Debug, PartialEq)]
struct Typed {
    counts: Vec<(String, i64)>,
    credentials: Vec<CredentialCols>,
    users: Vec<UserCols>,
    attempts: Vec<AttemptCols>,
    answers: Vec<AnswerCols>,
}

#[derive(Debug, PartialEq, diesel::QueryableByName)]
struct CredentialCols {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    number: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    issued_at: chrono::NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    valid_until: chrono::NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    status_changed_at: Option<chrono::NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    override_reason: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    credential_jwt: String,
}

#[derive(Debug, PartialEq, diesel::QueryableByName)]
struct UserCols {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    email: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    password_hash: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    disabled: bool,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    created_at: chrono::NaiveDateTime,
}

#[derive(Debug, PartialEq, diesel::QueryableByName)]
struct AttemptCols {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    state: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    score: Option<f64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    percent: Option<f64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bool>)]
    passed: Option<bool>,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    started_at: chrono::NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    finished_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, PartialEq, diesel::QueryableByName)]
struct AnswerCols {
    #[diesel(sql_type = diesel::sql_types::Text)]
    attempt_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    question_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    answer_json: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    saved_at: chrono::NaiveDateTime,
}

#[derive(diesel::QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn typed(url: &DatabaseUrl, tables: &[String]) -> Typed {
    use diesel::RunQueryDsl;
    let db = Db::connect(url, 1).unwrap();
    let mut conn = db.get().unwrap();
    let counts = tables
        .iter()
        .map(|t| {
            let c: CountRow = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {t}"))
                .get_result(&mut conn)
                .unwrap();
            (t.clone(), c.n)
        })
        .collect();
    Typed {
        counts,
        credentials: diesel::sql_query(
            "SELECT id, number, status, issued_at, valid_until, status_changed_at, \
             override_reason, credential_jwt FROM credentials ORDER BY id",
        )
        .load(&mut conn)
        .unwrap(),
        users: diesel::sql_query(
            "SELECT id, email, name, password_hash, disabled, created_at FROM users ORDER BY id",
        )
        .load(&mut conn)
        .unwrap(),
        attempts: diesel::sql_query(
            "SELECT id, state, score, percent, passed, started_at, finished_at FROM attempts \
             ORDER BY id",
        )
        .load(&mut conn)
        .unwrap(),
        answers: diesel::sql_query(
            "SELECT attempt_id, question_id, answer_json, saved_at FROM attempt_answers \
             ORDER BY attempt_id, question_id",
        )
        .load(&mut conn)
        .unwrap(),
    }
}

/// Every row of every table equal in canonical form, and the typed key columns equal.
fn assert_same(
    from: &DatabaseUrl,
    to: &DatabaseUrl,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let before = snapshot(from);
    let after = snapshot(to);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &before {
        assert_eq!(rows.len(), after[table].len(), "{table}: row count");
        for (a, b) in rows.iter().zip(&after[table]) {
            assert_eq!(a, b, "{table}: a row differs");
        }
    }
    let tables: Vec<String> = before.keys().cloned().collect();
    let (a, b) = (typed(from, &tables), typed(to, &tables));
    assert!(
        a.credentials.len() >= 3
            && a.answers.len() > 100
            && a.attempts.iter().any(|x| x.score.is_some())
    );
    assert_eq!(a.counts, b.counts, "row counts by COUNT(*)");
    assert_eq!(a.credentials, b.credentials, "credentials, typed");
    assert_eq!(a.users, b.users, "users, typed");
    assert_eq!(a.attempts, b.attempts, "attempts, typed");
    assert_eq!(a.answers, b.answers, "attempt answers, typed");
    after
}

fn users_in(url: &DatabaseUrl) -> usize {
    snapshot(url).get("users").map_or(0, Vec::len)
}

#[tokio::test]
async fn a_populated_sqlite_install_moves_keeping_every_row_and_every_credential_verifying() {
    // The source is always a SQLite install; the target is this pass's backend.
    let source_dir = tempfile::tempdir().unwrap();
    let source_url = DatabaseUrl::Sqlite(source_dir.path().join("source.db"));
    let settings = test_settings(source_dir.path(), source_url.clone());
    let (source, accounts) = spawn_with_demo(settings, tempfile::tempdir().unwrap(), None).await;
    let admin = source.token(&accounts.admin, accounts.password).await;
    let cohorts: Vec<Value> = source
        .get("/api/v1/cohorts", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    // The FY2565 cohort, the one with credentials (the demo's FY2566 cohort has none).
    let cohort = cohorts.iter().find(|c| c["fiscal_year"] == 2565).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let listed: Vec<Value> = source
        .get(
            &format!("/api/v1/cohorts/{cohort}/credentials"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(listed.len() >= 3, "the demo issues credentials: {listed:?}");
    let mut creds = Vec::new();
    for c in &listed {
        let id = c["id"].as_str().unwrap();
        let full: Value = source
            .get(&format!("/api/v1/credentials/{id}"), Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        let jwt = full["credential_jwt"].as_str().unwrap().to_string();
        let verdict: Value = source
            .post_json("/api/v1/verify", None, &json!({"credential_jwt": jwt}))
            .await
            .json()
            .await
            .unwrap();
        creds.push((id.to_string(), jwt, verdict["status"].clone()));
    }
    let statuses: Vec<&Value> = creds.iter().map(|c| &c.2).collect();
    assert!(statuses.contains(&&json!("revoked")) && statuses.contains(&&json!("active")));
    let public_url = source.address.clone();
    let _ = source.stop().await;

    // Export (gzip), then import into a new database of the target backend.
    let work = tempfile::tempdir().unwrap();
    let export = work.path().join("academy-export.jsonl.gz");
    let out = academy(&["export", export.to_str().unwrap()], &source_url);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("credentials"),
        "progress per table"
    );
    // Never overwrites an existing file.
    let again = academy(&["export", export.to_str().unwrap()], &source_url);
    assert_ne!(again.status.code(), Some(0));

    let target_dir = tempfile::tempdir().unwrap();
    let (target_url, target_pg) = fresh_database(target_dir.path());
    let out = academy(&["import", export.to_str().unwrap()], &target_url);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("every table's count matches"));

    // Every row of every table, compared value by value in canonical form, and key columns
    // read with their own types.
    let after = assert_same(&source_url, &target_url);

    // And back out of this pass's backend (PostgreSQL on the PostgreSQL pass): exported from
    // the target, imported into a new SQLite file, the same rows again.
    let back_file = work.path().join("back.jsonl.gz");
    let out = academy(&["export", back_file.to_str().unwrap()], &target_url);
    assert_eq!(
        out.status.code(),
        Some(0),
        "export from {}: {}",
        crate::helpers::backend_name(),
        String::from_utf8_lossy(&out.stderr)
    );
    let back_dir = tempfile::tempdir().unwrap();
    let back_url = DatabaseUrl::Sqlite(back_dir.path().join("back.db"));
    let out = academy(&["import", back_file.to_str().unwrap()], &back_url);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same(&target_url, &back_url);
    assert_same(&source_url, &back_url);

    // A second import into the now populated database is refused and changes nothing.
    let out = academy(&["import", export.to_str().unwrap()], &target_url);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    assert_eq!(snapshot(&target_url), after);

    // A cut-short export is refused and leaves its new database empty.
    let plain = work.path().join("plain.jsonl");
    let out = academy(&["export", plain.to_str().unwrap()], &source_url);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&plain).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut = work.path().join("cut.jsonl");
    std::fs::write(&cut, lines[..lines.len() / 2].join("\n")).unwrap();
    let cut_dir = tempfile::tempdir().unwrap();
    let (cut_url, _cut_pg) = fresh_database(cut_dir.path());
    let out = academy(&["import", cut.to_str().unwrap()], &cut_url);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("incomplete"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(users_in(&cut_url), 0, "nothing kept from a failed import");

    // The moved install serves under the same public address: credentials verify as before.
    let mut settings = test_settings(target_dir.path(), target_url.clone());
    settings.base_url = url::Url::parse(&format!("{public_url}/")).unwrap();
    let moved = spawn_with(settings, target_dir, target_pg).await;
    for (id, jwt, status) in &creds {
        let v: Value = moved
            .post_json("/api/v1/verify", None, &json!({"credential_jwt": jwt}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(&v["status"], status, "{id}: {v}");
        let by_id = moved.get(&format!("/api/v1/verify/{id}"), None).await;
        assert_eq!(by_id.status(), 200);
    }
    // Accounts moved with their passwords, and the cohort is there.
    let admin = moved.token(&accounts.admin, accounts.password).await;
    assert_eq!(
        moved
            .get(&format!("/api/v1/cohorts/{cohort}/roster"), Some(&admin))
            .await
            .status(),
        200
    );
}
