use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::helpers::{align_to_minute, error_code, expected_checkin_code, spawn_app, TestApp};

pub async fn create_cohort(app: &TestApp, admin: &str, generation: i32, capacity: i32) -> Value {
    create_cohort_on(app, admin, generation, capacity, "2022-02-15", "2022-03-31").await
}

/// A cohort held between two dates (`YYYY-MM-DD`).
pub async fn create_cohort_on(
    app: &TestApp,
    admin: &str,
    generation: i32,
    capacity: i32,
    starts_on: &str,
    ends_on: &str,
) -> Value {
    let res = app
        .post_json(
            "/api/v1/cohorts",
            Some(admin),
            &json!({"program": "tis-s-assessor", "generation": generation, "starts_on": starts_on,
                    "ends_on": ends_on, "capacity": capacity}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn join(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/cohorts/join",
        Some(token),
        &json!({"join_code": code}),
    )
    .await
}

#[tokio::test]
async fn a_cohort_gets_thai_defaults_and_a_join_code() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let c = create_cohort(&app, &admin, 1, 40).await;
    // 15 Feb 2022 lies in fiscal year 2565 (1 Oct 2021 – 30 Sep 2022).
    assert_eq!(c["fiscal_year"], 2565);
    assert_eq!(c["name_th"], "รุ่นที่ 1 ประจำปีงบประมาณ พ.ศ. 2565");
    assert_eq!(c["name_en"], "Generation 1, fiscal year 2565");
    assert_eq!(c["status"], "open");
    assert_eq!(c["join_code"].as_str().unwrap().len(), 8);
    // The same generation of the same year cannot be created twice.
    let res = app
        .post_json(
            "/api/v1/cohorts",
            Some(&admin),
            &json!({"program": "tis-s-assessor", "generation": 1, "fiscal_year": 2565, "starts_on": "2022-05-01", "ends_on": "2022-06-01", "capacity": 10}),
        )
        .await;
    assert_eq!(error_code(res, 409).await, "generation_taken");
    // Programmes come from the content folder.
    let res = app
        .post_json(
            "/api/v1/cohorts",
            Some(&admin),
            &json!({"program": "nope", "generation": 2, "starts_on": "2022-05-01", "ends_on": "2022-06-01", "capacity": 10}),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "unknown_program");
    let res = app
        .post_json(
            "/api/v1/cohorts",
            Some(&admin),
            &json!({"program": "tis-s-assessor", "generation": 2, "starts_on": "2022-13-01", "ends_on": "2022-06-01", "capacity": 10}),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "invalid_date");
}

#[tokio::test]
async fn trainees_join_with_the_code_and_outsiders_get_the_same_404_as_for_nothing() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let (t1, tok1) = app.user_with_token(Role::Trainee, "t1@example.org").await;
    let (_, tok2) = app.user_with_token(Role::Trainee, "t2@example.org").await;
    let c = create_cohort(&app, &admin, 1, 40).await;
    let id = c["id"].as_str().unwrap();
    let code = c["join_code"].as_str().unwrap().to_lowercase();

    let res = join(&app, &tok1, &code).await;
    assert_eq!(res.status(), 201);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["role"], "trainee");
    assert_eq!(
        error_code(join(&app, &tok1, &code).await, 409).await,
        "already_member"
    );
    assert_eq!(
        error_code(join(&app, &tok1, "NOPE1234").await, 422).await,
        "unknown_join_code"
    );

    let mine: Value = app
        .get(&format!("/api/v1/cohorts/{id}"), Some(&tok1))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["my_role"], "trainee");
    assert!(
        mine.get("join_code").is_none(),
        "trainees do not see the join code"
    );

    // An outsider: every cohort endpoint answers exactly like a cohort that does not exist.
    let ghost = uuid::Uuid::new_v4();
    for (path, method) in [
        ("", "GET"),
        ("/roster", "GET"),
        ("/sessions", "GET"),
        ("/modules", "GET"),
        ("/quizzes", "GET"),
    ] {
        for target in [id.to_string(), ghost.to_string()] {
            let res = app
                .client
                .request(
                    method.parse().unwrap(),
                    app.url(&format!("/api/v1/cohorts/{target}{path}")),
                )
                .bearer_auth(&tok2)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 404, "{path} on {target}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "not_found");
        }
    }
    // Removal takes effect on the member's very next request.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/cohorts/{id}/members/{}", t1.id)))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get(&format!("/api/v1/cohorts/{id}"), Some(&tok1))
            .await
            .status(),
        404
    );
    let c: Value = app
        .get(&format!("/api/v1/cohorts/{id}"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["trainee_count"], 0);
}

#[tokio::test]
async fn fifty_concurrent_joins_for_the_last_seat_give_exactly_one_member() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let c = create_cohort(&app, &admin, 1, 3).await;
    let id = c["id"].as_str().unwrap().to_string();
    let code = c["join_code"].as_str().unwrap().to_string();
    // Two seats are taken already.
    for i in 0..2 {
        let (_, t) = app
            .user_with_token(Role::Trainee, &format!("early{i}@example.org"))
            .await;
        assert_eq!(join(&app, &t, &code).await.status(), 201);
    }
    let mut tokens = Vec::new();
    for i in 0..50 {
        let u = app
            .create_user(
                Role::Trainee,
                &format!("race{i}@example.org"),
                "correct horse battery",
            )
            .await;
        tokens.push(app.mint_token(&u.id).await);
    }
    let results = futures_util::future::join_all(tokens.iter().map(|t| join(&app, t, &code))).await;
    let mut created = 0;
    let mut full = 0;
    for res in results {
        match res.status().as_u16() {
            201 => created += 1,
            409 => {
                let body: Value = res.json().await.unwrap();
                assert_eq!(body["error"]["code"], "cohort_full");
                full += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, full), (1, 49));
    let roster: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{id}/roster"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(roster.iter().filter(|r| r["role"] == "trainee").count(), 3);
    let c: Value = app
        .get(&format!("/api/v1/cohorts/{id}"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["trainee_count"], 3);
}

#[tokio::test]
async fn closed_cohorts_and_closed_windows_refuse_joins_and_statuses_move_sensibly() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let (_, t) = app.user_with_token(Role::Trainee, "t@example.org").await;
    let c = create_cohort(&app, &admin, 1, 10).await;
    let id = c["id"].as_str().unwrap();
    let patch = |body: Value| {
        app.client
            .patch(app.url(&format!("/api/v1/cohorts/{id}")))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    // The window closed yesterday.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    assert_eq!(
        patch(json!({"enrol_closes_at": yesterday}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        error_code(join(&app, &t, c["join_code"].as_str().unwrap()).await, 409).await,
        "cohort_closed"
    );
    assert_eq!(
        patch(json!({"enrol_closes_at": ""}))
            .await
            .unwrap()
            .status(),
        200
    );
    // A rotated code replaces the old one.
    let rotated: Value = patch(json!({"rotate_join_code": true}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(rotated["join_code"], c["join_code"]);
    assert_eq!(
        error_code(join(&app, &t, c["join_code"].as_str().unwrap()).await, 422).await,
        "unknown_join_code"
    );
    assert_eq!(
        patch(json!({"status": "closed"})).await.unwrap().status(),
        200
    );
    assert_eq!(
        error_code(
            join(&app, &t, rotated["join_code"].as_str().unwrap()).await,
            409
        )
        .await,
        "cohort_closed"
    );
    assert_eq!(
        patch(json!({"status": "archived"})).await.unwrap().status(),
        200
    );
    let res = patch(json!({"status": "open"})).await.unwrap();
    assert_eq!(error_code(res, 409).await, "bad_transition");
}

pub async fn session_now(
    app: &TestApp,
    token: &str,
    cohort: &str,
    start_offset_min: i64,
    minutes: i64,
) -> Value {
    let starts = chrono::Utc::now() + chrono::Duration::minutes(start_offset_min);
    let ends = starts + chrono::Duration::minutes(minutes);
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{cohort}/sessions"),
            Some(token),
            &json!({"title_th": "พิธีเปิดและภาพรวม มอก. เอส", "title_en": "Opening, TIS-S overview",
                    "starts_at": starts.to_rfc3339(), "ends_at": ends.to_rfc3339(),
                    "venue": "ห้องประชุม สำนักงานปลัดกระทรวงอุตสาหกรรม", "meeting_url": "https://zoom.example/j/123",
                    "mode": "hybrid"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn secret_of(app: &TestApp, session_id: &str) -> String {
    let id = session_id.to_string();
    app.db
        .run(move |conn| {
            Ok(
                academy::cohorts::store::find_session(conn, &id.as_str().into())?
                    .unwrap()
                    .checkin_secret,
            )
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn check_in_accepts_only_the_current_code_and_only_during_the_session() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let (instructor, itok) = app.user_with_token(Role::Instructor, "i@example.org").await;
    let (_, t) = app.user_with_token(Role::Trainee, "t@example.org").await;
    let c = create_cohort(&app, &admin, 1, 10).await;
    let id = c["id"].as_str().unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{id}/members"),
            Some(&admin),
            &json!({"user_id": instructor.id, "role": "instructor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        join(&app, &t, c["join_code"].as_str().unwrap())
            .await
            .status(),
        201
    );

    let s = session_now(&app, &itok, id, -5, 120).await;
    let sid = s["id"].as_str().unwrap();
    // The minute has just begun on the service's clock: the code below stays current.
    align_to_minute(&app);
    let res = app
        .get(&format!("/api/v1/sessions/{sid}/checkin-code"), Some(&itok))
        .await;
    assert_eq!(res.status(), 200);
    let shown: Value = res.json().await.unwrap();
    let secret = secret_of(&app, sid).await;
    let now = app.db.clock().now();
    let current = expected_checkin_code(&secret, now);
    assert_eq!(shown["code"], current.as_str(), "the code follows the rule");
    // Trainees cannot read the code.
    assert_eq!(
        app.get(&format!("/api/v1/sessions/{sid}/checkin-code"), Some(&t))
            .await
            .status(),
        403
    );

    // An earlier minute's code is refused. Two minutes' codes may coincide by chance, so the
    // test takes the latest earlier code that differs from the current one (it used to skip
    // the check silently when they were equal; issue 28).
    let old = (1..=10)
        .map(|m| expected_checkin_code(&secret, now - chrono::Duration::minutes(m)))
        .find(|c| *c != current)
        .expect("ten earlier minutes all had the current code");
    let res = app
        .post_json(
            &format!("/api/v1/sessions/{sid}/checkin"),
            Some(&t),
            &json!({"code": old}),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "wrong_code");
    // The code on display is accepted (the minute it belongs to is still running).
    let res = app
        .post_json(
            &format!("/api/v1/sessions/{sid}/checkin"),
            Some(&t),
            &json!({"code": current}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["status"], "present");
    assert_eq!(a["source"], "self");

    // A session that starts in two hours: no code yet, and a correct code is refused.
    let later = session_now(&app, &itok, id, 120, 60).await;
    let lid = later["id"].as_str().unwrap();
    assert_eq!(
        error_code(
            app.get(&format!("/api/v1/sessions/{lid}/checkin-code"), Some(&itok))
                .await,
            409
        )
        .await,
        "checkin_closed"
    );
    let right_code = expected_checkin_code(&secret_of(&app, lid).await, app.db.clock().now());
    let res = app
        .post_json(
            &format!("/api/v1/sessions/{lid}/checkin"),
            Some(&t),
            &json!({"code": right_code}),
        )
        .await;
    assert_eq!(error_code(res, 409).await, "checkin_closed");
    // A session that ended: refused too.
    let past = session_now(&app, &itok, id, -180, 60).await;
    let pid = past["id"].as_str().unwrap();
    let right_code = expected_checkin_code(&secret_of(&app, pid).await, app.db.clock().now());
    let res = app
        .post_json(
            &format!("/api/v1/sessions/{pid}/checkin"),
            Some(&t),
            &json!({"code": right_code}),
        )
        .await;
    assert_eq!(error_code(res, 409).await, "checkin_closed");
}

#[tokio::test]
async fn the_calendar_feed_parses_with_an_independent_icalendar_parser() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let c = create_cohort(&app, &admin, 1, 10).await;
    let id = c["id"].as_str().unwrap();
    let mut uids = std::collections::BTreeSet::new();
    for day in [1, 2] {
        let s = session_now(&app, &admin, id, 60 * 24 * day, 180).await;
        // Each event's UID is the session's own, whatever the service's address: a calendar
        // subscribed before the service moved keeps one copy of each event.
        uids.insert(format!("{}@assessor-academy", s["id"].as_str().unwrap()));
    }
    let path = c["calendar_path"].as_str().unwrap();
    let res = app.get(path, None).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let body = res.text().await.unwrap();
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(body.as_bytes()));
    let cal = parser
        .next()
        .expect("one calendar")
        .expect("valid iCalendar");
    assert!(parser.next().is_none());
    assert_eq!(cal.events.len(), 2);
    for e in &cal.events {
        let prop = |name: &str| {
            e.properties
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.value.clone())
                .unwrap_or_default()
        };
        assert!(prop("SUMMARY").contains("พิธีเปิด"), "{}", prop("SUMMARY"));
        assert!(prop("DTSTART").ends_with('Z'));
        assert!(uids.remove(&prop("UID")), "{}", prop("UID"));
    }
    assert!(uids.is_empty());
    // A wrong token is a 404.
    let res = app
        .get(&format!("/calendar/{id}/{}.ics", "0".repeat(32)), None)
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_roster_csv_has_a_bom_and_neutralises_formulas() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let c = create_cohort(&app, &admin, 1, 10).await;
    let id = c["id"].as_str().unwrap();
    let res = app
        .post_json("/api/v1/users", Some(&admin), &json!({"email": "f@example.org", "name": "=HYPERLINK(\"http://x\",\"y\")", "role": "trainee", "office_code": "TH-50", "password": "correct horse battery"}))
        .await;
    let user: Value = res.json().await.unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{id}/members/bulk"),
            Some(&admin),
            &json!({"emails": ["f@example.org", "ghost@example.org"], "role": "trainee"}),
        )
        .await;
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["added"], json!(["f@example.org"]));
    assert_eq!(report["unknown"], json!(["ghost@example.org"]));
    let res = app
        .get(
            &format!("/api/v1/cohorts/{id}/roster?format=csv"),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
        "{text}"
    );
    assert!(text.contains("สำนักงานอุตสาหกรรมจังหวัดเชียงใหม่"), "{text}");
    assert!(text.contains(user["id"].as_str().unwrap()));
    assert!(text.contains("\r\n"));
    // The same as an Excel workbook.
    let res = app
        .get(
            &format!("/api/v1/cohorts/{id}/roster?format=xlsx"),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx file is a zip archive");
}

#[tokio::test]
async fn a_zoom_report_credits_online_minutes_and_queues_unmatched_rows() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let c = create_cohort(&app, &admin, 1, 10).await;
    let id = c["id"].as_str().unwrap();
    for (email, name) in [
        ("a1@example.org", "นาย หนึ่ง ทดสอบ"),
        ("a2@example.org", "นาง สอง ทดสอบ"),
        ("a3@example.org", "นางสาว สาม ทดสอบ"),
    ] {
        app.post_json("/api/v1/users", Some(&admin), &json!({"email": email, "name": name, "role": "trainee", "office_code": "TH-50", "password": "correct horse battery"})).await;
    }
    app.post_json(&format!("/api/v1/cohorts/{id}/members/bulk"), Some(&admin), &json!({"emails": ["a1@example.org", "a2@example.org", "a3@example.org"], "role": "trainee"})).await;
    let s = session_now(&app, &admin, id, -200, 100).await;
    let sid = s["id"].as_str().unwrap();
    let report = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n\
        นาย หนึ่ง ทดสอบ,A1@example.org,02/15/2022 09:30:00 AM,02/15/2022 11:10:00 AM,95,No\n\
        นาง  สอง ทดสอบ,,02/15/2022 09:30:00 AM,02/15/2022 10:00:00 AM,30,Yes\n\
        นาง สอง ทดสอบ,,02/15/2022 10:05:00 AM,02/15/2022 10:35:00 AM,30,Yes\n\
        Sam's iPhone,,02/15/2022 09:31:00 AM,02/15/2022 11:00:00 AM,89,Yes\n";
    let res = app
        .client
        .post(app.url(&format!("/api/v1/sessions/{sid}/zoom-report")))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(report)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rows: Vec<Value> = res.json().await.unwrap();
    assert_eq!(rows.len(), 4);
    // Only the e-mail match counts at once; display names anyone may choose are suggestions.
    let unmatched: Vec<&Value> = rows
        .iter()
        .filter(|r| r["matched_user_id"].is_null())
        .collect();
    assert_eq!(unmatched.len(), 3);
    let roster: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{id}/roster"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let uid = |email: &str| {
        roster.iter().find(|r| r["email"] == email).unwrap()["user_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let by_name: Vec<&&Value> = unmatched
        .iter()
        .filter(|r| r["suggested_user_id"] == uid("a2@example.org").as_str())
        .collect();
    assert_eq!(
        by_name.len(),
        2,
        "both visits of นาง สอง are suggested: {rows:?}"
    );
    let iphone = unmatched
        .iter()
        .find(|r| r["name"] == "Sam's iPhone")
        .unwrap();
    assert!(iphone["suggested_user_id"].is_null());
    // Before an instructor confirms, the suggested trainee has no online credit.
    let marks: Vec<Value> = app
        .get(&format!("/api/v1/sessions/{sid}/attendance"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !marks
            .iter()
            .any(|m| m["user_id"] == uid("a2@example.org").as_str() && m["source"] == "zoom"),
        "a name match counted without confirmation: {marks:?}"
    );
    for (row, email) in [
        (by_name[0], "a2@example.org"),
        (by_name[1], "a2@example.org"),
        (iphone, "a3@example.org"),
    ] {
        let res = app
            .post_json(
                &format!(
                    "/api/v1/sessions/{sid}/zoom-report/{}/match",
                    row["id"].as_str().unwrap()
                ),
                Some(&admin),
                &json!({"user_id": uid(email)}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let marks: Vec<Value> = app
        .get(&format!("/api/v1/sessions/{sid}/attendance"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let of = |email: &str| {
        marks
            .iter()
            .find(|m| m["user_id"] == uid(email).as_str())
            .cloned()
            .unwrap()
    };
    assert_eq!(of("a1@example.org")["status"], "present");
    assert_eq!(of("a1@example.org")["via"], "online");
    // Two short visits add up to 60 of 100 minutes: more than half, less than 80 %.
    assert_eq!(of("a2@example.org")["minutes"], 60);
    assert_eq!(of("a2@example.org")["status"], "late");
    assert_eq!(of("a3@example.org")["status"], "present");
    let roster: Vec<Value> = app
        .get(&format!("/api/v1/cohorts/{id}/roster"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !roster.is_empty(),
        "an empty roster would pass the next check"
    );
    // Attendance is time (issue 25): the Zoom durations give each trainee's share of the
    // 100-minute session: 95, 60 (two short visits) and 89 minutes.
    let percent = |email: &str| {
        roster.iter().find(|r| r["email"] == email).unwrap()["attendance_percent"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(percent("a1@example.org"), 95.0, "{roster:?}");
    assert_eq!(percent("a2@example.org"), 60.0, "{roster:?}");
    assert_eq!(percent("a3@example.org"), 89.0, "{roster:?}");
}
