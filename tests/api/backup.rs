//! Backup and restore drill: an online SQLite copy serves, and credentials keep verifying.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_with, test_settings};

#[tokio::test]
async fn a_backup_taken_while_serving_restores_with_every_credential_still_verifying() {
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        eprintln!("backup drill: SQLite only (PostgreSQL uses pg_dump, see the README)");
        return;
    }
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 2).await;
    let mut creds = Vec::new();
    for (uid, _) in &c.trainees {
        let res = app
            .post_json("/api/v1/credentials", Some(&c.admin), &json!({"cohort_id": c.cohort, "user_id": uid, "scope": "product", "override_reason": "drill"}))
            .await;
        assert_eq!(res.status(), 201);
        creds.push(res.json::<Value>().await.unwrap());
    }
    let revoked = creds[1]["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.post_json(
            &format!("/api/v1/credentials/{revoked}/revoke"),
            Some(&c.admin),
            &json!({"reason": "drill"})
        )
        .await
        .status(),
        200
    );
    let academy::db::DatabaseUrl::Sqlite(db_path) = app.settings.database_url.clone() else {
        unreachable!()
    };
    let backup_dir = tempfile::tempdir().unwrap();
    let backup = backup_dir.path().join("backup.db");
    // The service keeps running (and writing) while the backup is taken: the backup starts
    // once the first of 20 writes is acknowledged, and every write must be.
    let (first_tx, first_rx) = tokio::sync::oneshot::channel();
    let writer = {
        let (client, url, admin) = (
            app.client.clone(),
            app.url("/api/v1/users"),
            c.admin.clone(),
        );
        tokio::spawn(async move {
            let mut first = Some(first_tx);
            let mut statuses = Vec::new();
            for i in 0..20 {
                let status = client
                    .post(&url)
                    .bearer_auth(&admin)
                    .json(&json!({"email": format!("late{i}@example.org"), "name": "นาย ระหว่าง สำรอง", "role": "trainee", "office_code": "TH-50", "password": "correct horse battery"}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                statuses.push(status);
                if let Some(tx) = first.take() {
                    let _ = tx.send(());
                }
            }
            statuses
        })
    };
    first_rx.await.expect("the first write was sent");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_academy"))
        .arg("backup")
        .arg(&backup)
        .env(
            "ACADEMY_DATABASE_URL",
            format!("sqlite://{}", db_path.display()),
        )
        .env("ACADEMY_LOG", "error")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let statuses = writer.await.unwrap();
    assert!(
        statuses.iter().all(|s| matches!(s, Ok(201))),
        "every write during the backup is acknowledged: {statuses:?}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE email LIKE 'late%'")
            .await,
        20
    );
    // The copy passes SQLite's own checks, and holds the writes up to one point in time: the
    // late users it has are late0, late1, … with no gap (a torn copy would skip or cut one).
    {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Line {
            #[diesel(sql_type = diesel::sql_types::Text)]
            line: String,
        }
        let mut copy = diesel::sqlite::SqliteConnection::establish(backup.to_str().unwrap())
            .expect("the backup opens");
        let check: Vec<Line> =
            diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check")
                .load(&mut copy)
                .unwrap();
        let check: Vec<&str> = check.iter().map(|l| l.line.as_str()).collect();
        assert_eq!(check, ["ok"], "PRAGMA integrity_check on the backup");
        let fk: Vec<Line> =
            diesel::sql_query("SELECT \"table\" AS line FROM pragma_foreign_key_check")
                .load(&mut copy)
                .unwrap();
        assert!(fk.is_empty(), "PRAGMA foreign_key_check on the backup");
        let late: Vec<Line> =
            diesel::sql_query("SELECT email AS line FROM users WHERE email LIKE 'late%'")
                .load(&mut copy)
                .unwrap();
        let mut have: Vec<usize> = late
            .iter()
            .map(|l| {
                l.line
                    .trim_start_matches("late")
                    .trim_end_matches("@example.org")
                    .parse()
                    .unwrap()
            })
            .collect();
        have.sort_unstable();
        assert!(!have.is_empty(), "the backup began after the first write");
        assert_eq!(
            have,
            (0..have.len()).collect::<Vec<_>>(),
            "a prefix of the writes"
        );
    }
    // Every row the concurrent writes did not touch is in the copy, value for value (the
    // integrity check does not read row content: a zeroed overflow page of a text passed it).
    {
        let check_copy = backup_dir.path().join("check.db");
        std::fs::copy(&backup, &check_copy).unwrap();
        let copy_db =
            academy::db::Db::connect(&academy::db::DatabaseUrl::Sqlite(check_copy), 1).unwrap();
        let mut conn = copy_db.get().unwrap();
        let copied =
            academy::db::transfer::snapshot(&mut conn).expect("every row of the backup reads back");
        let live = app
            .db
            .run(|conn| Ok(academy::db::transfer::snapshot(conn).unwrap()))
            .await
            .unwrap();
        // The tables the late writes (a new user each, audited) and the mail worker change.
        let moving = ["users", "audit_log", "outbox_emails", "login_throttle"];
        for (table, rows) in &live {
            if moving.contains(&table.as_str()) {
                continue;
            }
            assert_eq!(
                copied.get(table),
                Some(rows),
                "{table} differs in the backup"
            );
        }
    }
    // Refuses to overwrite.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_academy"))
        .arg("backup")
        .arg(&backup)
        .env(
            "ACADEMY_DATABASE_URL",
            format!("sqlite://{}", db_path.display()),
        )
        .output()
        .unwrap();
    assert_ne!(again.status.code(), Some(0));

    // Restore: a new service on the copy.
    let dir = tempfile::tempdir().unwrap();
    let restored_db = dir.path().join("restored.db");
    std::fs::copy(&backup, &restored_db).unwrap();
    let mut settings = test_settings(dir.path(), academy::db::DatabaseUrl::Sqlite(restored_db));
    // The restored deployment keeps its public URL (credentials name it as their issuer).
    settings.base_url = url::Url::parse(&format!("{}/", app.address)).unwrap();
    let restored = spawn_with(settings, dir, None).await;
    assert_eq!(restored.get("/healthz", None).await.status(), 200);
    for cred in &creds {
        let v: Value = restored
            .post_json(
                "/api/v1/verify",
                None,
                &json!({"credential_jwt": cred["credential_jwt"]}),
            )
            .await
            .json()
            .await
            .unwrap();
        if cred["id"] == revoked.as_str() {
            assert_eq!(v["status"], "revoked");
        } else {
            assert_eq!(v["status"], "active", "{v}");
        }
    }
    let token = restored
        .token("admin@example.org", "correct horse battery")
        .await;
    assert_eq!(
        restored
            .get(&format!("/api/v1/cohorts/{}", c.cohort), Some(&token))
            .await
            .status(),
        200
    );
}
