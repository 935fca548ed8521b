//! Two instances on one database give the same guarantees as one.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_peer};

#[tokio::test]
async fn two_instances_share_sign_ins_and_keep_one_attempt_one_grading_one_credential() {
    let a = spawn_app().await;
    let b = spawn_peer(&a).await;
    let c = crate::credentials::cohort_with_trainees(&a, 1).await;
    let (uid, trainee) = c.trainees[0].clone();
    // The final exam opens after modules 1-5 and their quizzes (the scheme's prerequisites).
    crate::credentials::complete(
        &a,
        &c,
        &trainee,
        &[
            "01-what-is-tis-s",
            "02-certification-path",
            "03-assessor-role-ethics",
            "04-planning-onsite-assessment",
            "05-evidence-findings-report",
        ],
        &["q01", "q02", "q03", "q04", "q05"],
    )
    .await;
    // A token from one instance works on the other.
    assert_eq!(b.get("/api/v1/me", Some(&trainee)).await.status(), 200);
    // Starts spread over both: one attempt.
    let url = format!("/api/v1/cohorts/{}/quizzes/final-exam/attempts", c.cohort);
    let empty = json!({});
    let starts = futures_util::future::join_all((0..20).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.post_json(&url, Some(&trainee), &empty)
    }))
    .await;
    let mut ids = Vec::new();
    for r in starts {
        assert!(matches!(r.status().as_u16(), 200 | 201));
        ids.push(
            r.json::<Value>().await.unwrap()["attempt_id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    // Submits spread over both: one grading.
    let submit = format!("/api/v1/attempts/{}/submit", ids[0]);
    let results = futures_util::future::join_all((0..10).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.post_json(&submit, Some(&trainee), &empty)
    }))
    .await;
    let mut bodies = Vec::new();
    for r in results {
        assert_eq!(r.status(), 200);
        bodies.push(r.json::<Value>().await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    let id = ids[0].clone();
    let row =
        a.db.run(move |conn| {
            Ok(academy::quizzes::store::find_attempt(conn, &id.as_str().into())?.unwrap())
        })
        .await
        .unwrap();
    assert_eq!(row.grading_count, 1);
    // Issues spread over both: one credential with number 0001.
    let body = json!({"cohort_id": c.cohort, "user_id": uid, "scope": "service", "override_reason": "scale-out"});
    let issued = futures_util::future::join_all((0..10).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.post_json("/api/v1/credentials", Some(&c.admin), &body)
    }))
    .await;
    let created: Vec<u16> = issued
        .iter()
        .map(|r| r.status().as_u16())
        .filter(|s| *s == 201)
        .collect();
    assert_eq!(created.len(), 1);
    let list: Vec<Value> = b
        .get(
            &format!("/api/v1/cohorts/{}/credentials", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0]["number"].as_str().unwrap().ends_with("-0001"));
    // Either instance verifies it.
    for app in [&a, &b] {
        let v: Value = app
            .post_json(
                "/api/v1/verify",
                None,
                &json!({"credential_jwt": list[0]["credential_jwt"]}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["valid"], true);
    }
}

#[tokio::test]
async fn the_service_recovers_when_postgresql_drops_every_connection() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("connection drop: PostgreSQL only (a SQLite file connection cannot drop)");
        return;
    };
    use diesel::{Connection, RunQueryDsl};
    let app = crate::helpers::spawn_app().await;
    let (_, admin) = app
        .user_with_token(academy::accounts::model::Role::Admin, "a@example.org")
        .await;
    // Warm the pool so that several connections are open.
    for _ in 0..8 {
        assert_eq!(app.get("/api/v1/cohorts", Some(&admin)).await.status(), 200);
    }
    let academy::db::DatabaseUrl::Postgres(url) = &app.settings.database_url else {
        unreachable!()
    };
    let name = url::Url::parse(url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_string();
    // As after a database restart or a failover: the server ends every session of this database.
    let mut admin_conn = diesel::pg::PgConnection::establish(&base).unwrap();
    let killed = diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .execute(&mut admin_conn)
    .unwrap();
    assert!(killed >= 1, "the app's connections were ended");
    // Every following request is served: dead connections are replaced, not reused.
    for i in 0..12 {
        let res = app.get("/api/v1/cohorts", Some(&admin)).await;
        assert_eq!(res.status(), 200, "request {i} after the drop");
    }
    assert_eq!(app.get("/healthz", None).await.status(), 200);
}
