use academy::accounts::model::Role;
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_demo, TestApp};

fn issuer(app: &TestApp) -> academy::credentials::Issuer {
    academy::credentials::Issuer {
        base_url: url::Url::parse(&format!("{}/", app.address)).unwrap(),
        prefix: "TISI-S".into(),
    }
}

fn course() -> std::sync::Arc<academy::course::model::Course> {
    std::sync::Arc::new(
        academy::course::loader::load_course(std::path::Path::new("course_content")).unwrap(),
    )
}

#[tokio::test]
async fn the_demo_populates_every_role_and_running_it_twice_adds_nothing() {
    let (app, accounts) = spawn_demo().await;
    assert!(accounts.seeded);
    let pw = accounts.password;

    let admin = app.token(&accounts.admin, pw).await;
    let cohorts: Vec<Value> = app
        .get("/api/v1/cohorts", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    // The programme's years (issue 26, point 4; issue 22, point 13): the FY2565 cohort, closed;
    // a closed FY2566 cohort with its evaluation and completion certificates; the FY2568
    // recertification cohort; and the cohort in training now.
    assert_eq!(cohorts.len(), 4, "{cohorts:?}");
    let first = cohorts
        .iter()
        .find(|c| c["name_th"] == "รุ่นที่ 1 ประจำปีงบประมาณ พ.ศ. 2565")
        .unwrap();
    assert_eq!(first["trainee_count"], 40);
    assert_eq!(first["status"], "closed", "FY2565 ended in March 2022");
    let second = cohorts
        .iter()
        .find(|c| c["name_th"] == "รุ่นที่ 1 ประจำปีงบประมาณ พ.ศ. 2566")
        .unwrap();
    assert_eq!(second["trainee_count"], 16);
    assert_eq!(second["status"], "closed");
    for fy in [2565, 2566] {
        let year: Value = app
            .get(&format!("/api/v1/reports/fiscal-years/{fy}"), Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(year["cohorts"].as_array().unwrap().len(), 1, "{year}");
        assert!(year["completed"].as_u64().unwrap() > 0, "{year}");
        assert!(
            year["provincial_offices_reached"].as_u64().unwrap() >= 8,
            "{year}"
        );
    }
    let completions: Vec<Value> = app
        .get(
            &format!(
                "/api/v1/cohorts/{}/completions",
                second["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!completions.is_empty());
    assert_eq!(accounts.cohort_id.as_str(), first["id"].as_str().unwrap());
    let id = first["id"].as_str().unwrap();
    // Forty different people, each with the title of their given name (issue 22, point 13).
    let roster: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{id}/roster"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = roster
        .iter()
        .filter(|r| r["role"] == "trainee")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    let distinct: std::collections::BTreeSet<&&str> = names.iter().collect();
    assert_eq!((names.len(), distinct.len()), (40, 40), "{names:?}");
    // The project's measures have something to show (issue 25): every trainee took the
    // pre-test, those who finished the reading the post-test (and gained), most answered the
    // survey; the written assessment was marked.
    let e: Value = app
        .get(&format!("/api/v1/cohorts/{id}/evaluation"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(e["pretest"]["n"], 40, "{e}");
    assert!(e["posttest"]["n"].as_u64().unwrap() >= 20, "{e}");
    assert!(e["paired"]["mean_gain"].as_f64().unwrap() > 0.0, "{e}");
    assert!(e["satisfaction"]["n"].as_u64().unwrap() >= 15, "{e}");
    assert!(!e["satisfaction"]["comments"].as_array().unwrap().is_empty());
    assert!(
        app.count("SELECT COUNT(*) AS n FROM essay_marks").await > 0,
        "the demo's written answers are marked"
    );
    const MEN: [&str; 10] = [
        "สมชาย",
        "ประเสริฐ",
        "อนุชา",
        "ธีรพงษ์",
        "วีระพล",
        "ณัฐวุฒิ",
        "ชัยวัฒน์",
        "สุรเชษฐ์",
        "เกรียงไกร",
        "ธนากร",
    ];
    for n in &names {
        let mut parts = n.split(' ');
        let (title, given) = (parts.next().unwrap(), parts.next().unwrap());
        assert_eq!(title == "นาย", MEN.contains(&given), "{n}");
    }
    let creds: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{id}/credentials"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let statuses: Vec<&str> = creds
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"suspended")
            && statuses.contains(&"revoked")
            && statuses.contains(&"active")
            && statuses.contains(&"expired"),
        "{statuses:?}"
    );
    // Dated when they happened (issue 22, point 13): issued on the cohort's last day and
    // numbered in FY2565; renewed on 31 Jan 2025 (FY2568) before the first ones expired.
    let first_issue: Vec<&Value> = creds
        .iter()
        .filter(|c| c["renews_id"].is_null() && c["scope"] == "product")
        .collect();
    assert!(first_issue.len() >= 10, "{creds:?}");
    for c in &first_issue {
        assert!(
            c["issued_at"].as_str().unwrap().starts_with("2022-03-31T"),
            "{c}"
        );
        assert!(c["number"].as_str().unwrap().contains("-2565-"), "{c}");
    }
    let renewed: Vec<&Value> = creds
        .iter()
        .filter(|c| c["renews_id"].is_string())
        .collect();
    assert!(renewed.len() >= 5, "{creds:?}");
    for c in &renewed {
        assert!(
            c["issued_at"].as_str().unwrap().starts_with("2025-01-31T"),
            "{c}"
        );
        assert!(c["number"].as_str().unwrap().contains("-2568-"), "{c}");
        let old = creds.iter().find(|o| o["id"] == c["renews_id"]).unwrap();
        assert_eq!(old["status"], "expired", "{old}");
    }
    assert!(
        renewed.iter().any(|c| c["status"] == "suspended"),
        "the suspended credential is a renewed one: {creds:?}"
    );
    // Governance, one of each: a withdrawn scope, an open appeal, a pending recommendation.
    let changes: Vec<Value> = app
        .get("/api/v1/register?status=withdrawn", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["scope"], "service");
    let appeals: Vec<Value> = app
        .get("/api/v1/appeals", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(appeals.len(), 1);
    assert_eq!(appeals[0]["subject_type"], "credential");
    let decisions: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{id}/decisions"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    // Every credential issued is a recorded decision; the one recommendation of 2022 was
    // decided (refused) before the cohort closed: nothing from 2022 waits in today's queue.
    assert!(
        decisions.iter().all(|d| !d["decided_at"].is_null()),
        "{decisions:?}"
    );
    let refused: Vec<&Value> = decisions
        .iter()
        .filter(|d| d["outcome"] == "refuse")
        .collect();
    assert_eq!(refused.len(), 1, "{decisions:?}");
    assert!(refused[0]["decided_at"]
        .as_str()
        .unwrap()
        .starts_with("2022-04-01"));
    assert!(decisions
        .iter()
        .filter(|d| d["outcome"] == "grant")
        .all(|d| d["credential_id"].is_string()));
    // The recommendation waiting now is yesterday's, in the cohort in training.
    let current: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{}/decisions", accounts.current_cohort_id),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current.len(), 1, "{current:?}");
    assert!(current[0]["decided_at"].is_null());
    let at = chrono::DateTime::parse_from_rfc3339(current[0]["recommended_at"].as_str().unwrap())
        .unwrap();
    let age = chrono::Utc::now().signed_duration_since(at);
    assert!(
        age > chrono::Duration::zero() && age < chrono::Duration::days(2),
        "recommended {age} ago"
    );
    let mails: Vec<Value> = app
        .get("/api/v1/admin/outbox", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(!mails.is_empty());
    let results: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{id}/results"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let finals: Vec<f64> = results
        .iter()
        .filter(|r| r["quiz_slug"] == "final-exam")
        .map(|r| r["percent"].as_f64().unwrap())
        .collect();
    assert!(
        finals.len() >= 20 && finals.iter().any(|p| *p < 70.0) && finals.iter().any(|p| *p >= 90.0),
        "a realistic spread: {finals:?}"
    );

    let instructor = app.token(&accounts.instructor, pw).await;
    let roster: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{id}/roster"), Some(&instructor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(roster.iter().filter(|r| r["role"] == "trainee").count(), 40);
    assert!(roster
        .iter()
        .any(|r| r["attendance_percent"].as_f64().is_some_and(|p| p < 100.0)));

    // The printed trainees are in the cohort running now: one has just joined, one is half-way.
    let now_id = accounts.current_cohort_id.as_str();
    let current = cohorts.iter().find(|c| c["id"] == now_id).unwrap();
    assert_eq!(current["status"], "running", "{current}");
    assert_eq!(current["trainee_count"], 12, "{current}");
    let sessions: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{now_id}/sessions"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.len(), 4);
    let trainee = app.token(&accounts.trainee, pw).await;
    let modules: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{now_id}/modules"), Some(&trainee))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(modules.len(), 6, "{modules:?}");
    assert!(
        modules.iter().all(|m| m["completed"] == false),
        "{modules:?}"
    );
    let halfway = app.token(&accounts.trainee_halfway, pw).await;
    let modules: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{now_id}/modules"), Some(&halfway))
        .await
        .json()
        .await
        .unwrap();
    let read: Vec<bool> = modules.iter().map(|m| m["completed"] == true).collect();
    assert_eq!(read, [true, true, true, false, false, false], "{modules:?}");
    let results: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{now_id}/results"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let people: Vec<Value> = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let halfway_id = people
        .iter()
        .find(|u| u["email"] == accounts.trainee_halfway.as_str())
        .map(|u| u["id"].as_str().unwrap().to_string())
        .unwrap();
    let passed: std::collections::BTreeSet<&str> = results
        .iter()
        .filter(|r| r["user_id"] == halfway_id.as_str() && r["passed"] == true)
        .map(|r| r["quiz_slug"].as_str().unwrap())
        .collect();
    assert!(
        ["q01", "q02", "q03"].iter().all(|q| passed.contains(q)),
        "{passed:?}"
    );
    assert!(!passed.contains("final-exam"), "{passed:?}");
    let home = app
        .client
        .get(app.url("/"))
        .bearer_auth(&trainee)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains(current["name_th"].as_str().unwrap()),
        "{home}"
    );

    // Twice: nothing is added.
    let (c, i) = (course(), issuer(&app));
    let again = app
        .db
        .run(move |conn| academy::demo::seed(conn, &c, &i))
        .await
        .unwrap();
    assert!(!again.seeded);
    let users: Vec<Value> = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    // An admin, two instructors, 40 trainees in FY2565, 16 in FY2566 and 12 now.
    assert_eq!(users.len(), 71);
}

#[tokio::test]
async fn the_demo_refuses_a_database_with_real_data_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_user(Role::Admin, "director@tisi.go.th", "correct horse battery")
        .await;
    let (c, i) = (course(), issuer(&app));
    let err = app
        .db
        .run(move |conn| academy::demo::seed(conn, &c, &i))
        .await
        .err()
        .expect("refused");
    assert_eq!(err.code(), "real_data");
    let admin = app
        .token("director@tisi.go.th", "correct horse battery")
        .await;
    let users: Vec<Value> = app
        .get("/api/v1/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    let cohorts: Vec<Value> = app
        .get("/api/v1/cohorts", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(cohorts.is_empty());
    // The command itself exits non-zero with a clear line.
    let dir = tempfile::tempdir().unwrap();
    let url = match &app.settings.database_url {
        academy::db::DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        academy::db::DatabaseUrl::Postgres(u) => u.clone(),
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_academy"))
        .arg("demo")
        .env("ACADEMY_DATABASE_URL", url)
        .env("ACADEMY_BIND", "127.0.0.1:0")
        .env(
            "ACADEMY_CONTENT_DIR",
            std::path::Path::new("course_content")
                .canonicalize()
                .unwrap(),
        )
        .env("ACADEMY_LOG", "error")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("real accounts") && err.lines().filter(|l| !l.trim().is_empty()).count() == 1,
        "{err}"
    );
}

#[tokio::test]
async fn a_refused_demo_writes_nothing_to_the_database() {
    // `academy demo` on a database with a real admin refused, but only after the service had
    // started and written a signing key, a secret, content revisions and a scheme version
    // (issue 29). It now asks first.
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _pg) = crate::helpers::fresh_database(dir.path());
    let url = match &db_url {
        academy::db::DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        academy::db::DatabaseUrl::Postgres(u) => u.clone(),
    };
    let academy = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_academy"));
        c.args(args)
            .env("ACADEMY_DATABASE_URL", &url)
            .env("ACADEMY_DATA_DIR", dir.path())
            .env("ACADEMY_BIND", "127.0.0.1:0")
            .env(
                "ACADEMY_CONTENT_DIR",
                std::path::Path::new("course_content")
                    .canonicalize()
                    .unwrap(),
            )
            .env("ACADEMY_LOG", "error")
            .current_dir(dir.path());
        c
    };
    let mut create = academy(&[
        "admin",
        "create",
        "--email",
        "director@tisi.go.th",
        "--name",
        "ผู้อำนวยการ ทดสอบ",
        "--password-stdin",
    ])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap();
    writeln!(create.stdin.take().unwrap(), "correct horse battery").unwrap();
    assert!(create.wait().unwrap().success());
    let out = academy(&["demo"]).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("real accounts"), "{err}");
    // Nothing but the admin is in the database.
    let db = academy::db::Db::connect(&db_url, 1).unwrap();
    let mut conn = db.get().unwrap();
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    for table in [
        "signing_keys",
        "secrets",
        "module_revisions",
        "quiz_revisions",
        "scheme_versions",
        "cohorts",
    ] {
        use diesel::RunQueryDsl;
        let n = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<N>(&mut *conn)
            .unwrap()
            .n;
        assert_eq!(n, 0, "{table} was written by a refused demo");
    }
}
