//! Moving a populated SQLite install onto another database (`academy export` / `academy import`)
//! keeps every row, and every credential still verifies with its status.

use std::path::Path;
use std::process::Command;

use academy::db::{transfer, DatabaseUrl, Db};
use serde_json::{json, Value};

use crate::helpers::{fresh_database, spawn_with, test_settings};

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

fn users_in(url: &DatabaseUrl) -> usize {
    snapshot(url).get("users").map_or(0, Vec::len)
}

#[tokio::test]
async fn a_populated_sqlite_install_moves_keeping_every_row_and_every_credential_verifying() {
    // The source is always a SQLite install; the target is this pass's backend.
    let source_dir = tempfile::tempdir().unwrap();
    let source_url = DatabaseUrl::Sqlite(source_dir.path().join("source.db"));
    let settings = test_settings(source_dir.path(), source_url.clone());
    let source = spawn_with(settings, tempfile::tempdir().unwrap(), None).await;
    let course = std::sync::Arc::new(
        academy::course::loader::load_course(Path::new("course_content")).unwrap(),
    );
    let issuer = academy::credentials::Issuer {
        base_url: url::Url::parse(&format!("{}/", source.address)).unwrap(),
        prefix: "TISI-S".into(),
    };
    let accounts = source
        .db
        .run(move |conn| academy::demo::seed(conn, &course, &issuer))
        .await
        .unwrap();
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

    // Every row of every table, compared value by value in canonical form.
    let before = snapshot(&source_url);
    let after = snapshot(&target_url);
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
    assert!(before["attempt_answers"].len() > 100 && before["credentials"].len() >= 3);

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
