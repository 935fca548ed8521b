//! The smaller holes of issue 20, each tried the way someone would: guessing check-in codes,
//! redirecting through `next`, flooding reset mails and reusing old reset links, accepting a
//! disabled account's invitation, passing a status list or a revoked credential to the offline
//! verifier, and keeping a calendar feed after removal.

use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::helpers::{error_code, fresh_database, spawn_app, spawn_with, test_settings, TestApp};

#[tokio::test]
async fn check_in_codes_cannot_be_guessed() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let (t, trainee) = app.user_with_token(Role::Trainee, "t@example.org").await;
    let c = crate::cohorts::create_cohort(&app, &admin, 1, 10).await;
    let cid = c["id"].as_str().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{cid}/members"),
            Some(&admin),
            &json!({"user_id": t.id, "role": "trainee"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let s = crate::cohorts::session_now(&app, &admin, cid, -5, 180).await;
    let sid = s["id"].as_str().unwrap();
    let code: Value = app
        .get(
            &format!("/api/v1/sessions/{sid}/checkin-code"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let right = code["code"].as_str().unwrap().to_string();
    let checkin = |guess: String| {
        let (app, trainee, sid) = (&app, trainee.clone(), sid.to_string());
        async move {
            app.post_json(
                &format!("/api/v1/sessions/{sid}/checkin"),
                Some(&trainee),
                &json!({"code": guess}),
            )
            .await
            .status()
            .as_u16()
        }
    };
    let mut statuses = Vec::new();
    for n in 0..20 {
        let guess = format!("{:06}", (right.parse::<u32>().unwrap() + 1 + n) % 1_000_000);
        statuses.push(checkin(guess).await);
    }
    assert!(statuses[..5].iter().all(|s| *s == 422), "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // Blocked, even the right code waits: a guesser gains nothing by going on.
    assert_eq!(checkin(right).await, 429);
}

#[tokio::test]
async fn next_is_only_ever_a_path_of_this_site() {
    let app = spawn_app().await;
    for (next, expected) in [
        ("/cohorts", "/cohorts"),
        ("/%09/evil.example/x", "/"),
        ("/%0d%0aSet-Cookie:%20x=1", "/"),
        ("//evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("https://evil.example", "/"),
        ("/%20/evil.example", "/"),
    ] {
        let r = app
            .client
            .get(app.url(&format!("/lang/th?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next}");
        assert_eq!(r.headers()["location"], expected, "{next}");
    }
}

async fn reset_link(app: &TestApp) -> String {
    let r = app
        .post_json(
            "/api/v1/auth/password-reset",
            None,
            &json!({"email": "t@example.org"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    app.last_mail_context("t@example.org", "password_reset")
        .await["link"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

async fn redeem(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/password-reset/confirm",
        None,
        &json!({"token": token, "password": password}),
    )
    .await
}

#[tokio::test]
async fn reset_mails_are_limited_and_every_earlier_link_dies_with_a_new_password() {
    let app = spawn_app().await;
    app.user_with_token(Role::Trainee, "t@example.org").await;
    let first = reset_link(&app).await;
    let second = reset_link(&app).await;
    // Ten more requests in the hour: each answers the same, but only three mails go out.
    for _ in 0..10 {
        let r = app
            .post_json(
                "/api/v1/auth/password-reset",
                None,
                &json!({"email": "t@example.org"}),
            )
            .await;
        assert_eq!(r.status(), 202);
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM outbox_emails WHERE template = 'password_reset' AND to_email = 't@example.org'"
        )
        .await,
        3
    );
    // Using one link voids the others.
    assert_eq!(
        redeem(&app, &second, "a brand new passphrase")
            .await
            .status(),
        200
    );
    assert_eq!(
        error_code(redeem(&app, &first, "the attacker's passphrase").await, 422).await,
        "invalid_token"
    );
    // A password change voids a link asked for before it.
    // (An hour later: the earlier links are gone from the count.)
    app.db.clock().advance(chrono::Duration::minutes(61));
    let later = reset_link(&app).await;
    let fresh = app.token("t@example.org", "a brand new passphrase").await;
    let r = app
        .post_json(
            "/api/v1/me/password",
            Some(&fresh),
            &json!({"current_password": "a brand new passphrase", "new_password": "yet another passphrase"}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    assert_eq!(
        error_code(redeem(&app, &later, "the attacker's passphrase").await, 422).await,
        "invalid_token"
    );
}

#[tokio::test]
async fn a_disabled_accounts_invitation_is_refused() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let r = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "new@example.org", "name": "นาง ใหม่ มาแล้ว", "role": "trainee", "office_code": "TH-50"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let user: Value = r.json().await.unwrap();
    let link = app.last_mail_context("new@example.org", "invitation").await["link"]
        .as_str()
        .unwrap()
        .to_string();
    let token = link.rsplit('/').next().unwrap();
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/users/{}", user["id"].as_str().unwrap())))
        .bearer_auth(&admin)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app
        .post_json(
            "/api/v1/auth/invitation/accept",
            None,
            &json!({"token": token, "password": "my own good passphrase"}),
        )
        .await;
    assert_eq!(error_code(r, 422).await, "invalid_token");
    assert_eq!(
        app.login("new@example.org", "my own good passphrase")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn the_calendar_feed_link_changes_on_removal_and_on_request() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 2).await;
    let feed = |app: &TestApp| {
        let (client, url, admin) = (app.client.clone(), app.url(""), c.admin.clone());
        let cohort = c.cohort.clone();
        async move {
            let v: Value = client
                .get(format!("{url}/api/v1/cohorts/{cohort}"))
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["calendar_path"].as_str().unwrap().to_string()
        }
    };
    let before = feed(&app).await;
    assert_eq!(app.get(&before, None).await.status(), 200);
    // A trainee is removed: the link they had stops working.
    let r = app
        .client
        .delete(app.url(&format!(
            "/api/v1/cohorts/{}/members/{}",
            c.cohort, c.trainees[1].0
        )))
        .bearer_auth(&c.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.get(&before, None).await.status(), 404);
    let after = feed(&app).await;
    assert_ne!(before, after);
    assert_eq!(app.get(&after, None).await.status(), 200);
    // Staff rotate it on request (a link shared by mistake).
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/calendar/rotate", c.cohort),
            Some(&c.admin),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.get(&after, None).await.status(), 404);
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/calendar/rotate", c.cohort),
            Some(&c.trainees[0].1),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 403, "a trainee cannot");
}

#[tokio::test]
async fn the_offline_verifier_refuses_a_status_list_and_fails_for_revoked_or_suspended() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = fresh_database(dir.path());
    // Bind and base URL on port 0: the service puts the port it was given into its base URL,
    // so the credential's status list URL names the address it really listens on.
    let settings = test_settings(dir.path(), url);
    let app = spawn_with(settings, dir, pg).await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let cred: Value = app
        .post_json(
            "/api/v1/credentials",
            Some(&c.admin),
            &json!({"cohort_id": c.cohort, "user_id": c.trainees[0].0, "scope": "product", "override_reason": "ทดสอบเครื่องมือตรวจสอบ"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("cred.jwt"),
        cred["credential_jwt"].as_str().unwrap(),
    )
    .unwrap();
    let list = app
        .get("/status/revocation", None)
        .await
        .text()
        .await
        .unwrap();
    std::fs::write(work.path().join("list.jwt"), list).unwrap();
    let run = |file: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_academy"))
            .args(["credential", "verify", file, "--jwks"])
            .arg(format!("{}/.well-known/jwks.json", app.address))
            .args(["--issuer", &format!("{}/issuer", app.address)])
            .current_dir(work.path())
            .env("ACADEMY_LOG", "error")
            .output()
            .unwrap();
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, out) = run("cred.jwt");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("neither revoked nor suspended"), "{out}");
    // A signed status list is not a credential, though its signature is good.
    let (code, out) = run("list.jwt");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("not an Open Badges credential"), "{out}");
    // Another issuer is refused.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_academy"))
        .args(["credential", "verify", "cred.jwt", "--jwks"])
        .arg(format!("{}/.well-known/jwks.json", app.address))
        .args(["--issuer", "https://other.example/issuer"])
        .current_dir(work.path())
        .env("ACADEMY_LOG", "error")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Suspended, then revoked: non-zero, saying which.
    let id = cred["id"].as_str().unwrap();
    for (action, word) in [
        ("suspend", "suspended"),
        ("reinstate", ""),
        ("revoke", "revoked"),
    ] {
        let r = app
            .post_json(
                &format!("/api/v1/credentials/{id}/{action}"),
                Some(&c.admin),
                &json!({"reason": "ทดสอบ"}),
            )
            .await;
        assert_eq!(r.status(), 200, "{action}");
        let (code, out) = run("cred.jwt");
        if word.is_empty() {
            assert_eq!(code, Some(0), "{out}");
        } else {
            assert_eq!(code, Some(1), "{action}: {out}");
            assert!(out.contains(&format!("the credential is {word}")), "{out}");
        }
    }
}

#[tokio::test]
async fn errors_raised_by_services_appear_on_thai_pages_in_thai() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let (teacher, _) = app
        .user_with_token(Role::Admin, "teaching-admin@example.org")
        .await;
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/members", c.cohort),
            Some(&c.admin),
            &json!({"user_id": teacher.id, "role": "instructor"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let web = crate::web::sign_in(&app, "teaching-admin@example.org").await;
    // 1. A certification decision by someone who teaches the cohort.
    let cohort_page = format!("/cohorts/{}", c.cohort);
    let r = crate::web::post_form(
        &app,
        &web,
        &format!("/cohorts/{}/issue", c.cohort),
        &cohort_page,
        &[("user_id", c.trainees[0].0.as_str()), ("scope", "product")],
    )
    .await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("ผู้ดูแลระบบที่ไม่ได้มีส่วนในการอบรมต้องเป็นผู้ตัดสิน"),
        "{html}"
    );
    // 2. A form that did not come from the signed-in session's page.
    let r = web
        .post(app.url(&format!("/cohorts/{}/issue", c.cohort)))
        .form(&[
            ("user_id", c.trainees[0].0.as_str()),
            ("scope", "product"),
            ("csrf", &"a".repeat(64)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("แบบฟอร์มนี้หมดอายุหรือถูกส่งมาจากเว็บไซต์อื่น"));
    // 3. A wrong check-in code typed by a trainee on the session page.
    let s = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -5, 180).await;
    let sid = s["id"].as_str().unwrap();
    let trainee_web = crate::web::sign_in(&app, "trainee0@example.org").await;
    let code: Value = app
        .get(
            &format!("/api/v1/sessions/{sid}/checkin-code"),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let wrong = format!(
        "{:06}",
        (code["code"].as_str().unwrap().parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let r = crate::web::post_form(
        &app,
        &trainee_web,
        &format!("/sessions/{sid}/checkin"),
        &format!("/sessions/{sid}"),
        &[("code", wrong.as_str())],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("รหัสนี้ไม่ใช่รหัสที่แสดงอยู่ขณะนี้"));
}
