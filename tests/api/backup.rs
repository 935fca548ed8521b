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
    // The service keeps running (and writing) while the backup is taken.
    let writer = {
        let (client, url, admin) = (
            app.client.clone(),
            app.url("/api/v1/users"),
            c.admin.clone(),
        );
        tokio::spawn(async move {
            for i in 0..20 {
                let _ = client
                    .post(&url)
                    .bearer_auth(&admin)
                    .json(&json!({"email": format!("late{i}@example.org"), "name": "นาย ระหว่าง สำรอง", "role": "trainee", "office_code": "TH-50", "password": "correct horse battery"}))
                    .send()
                    .await;
            }
        })
    };
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
    writer.await.unwrap();
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
