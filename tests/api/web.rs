//! The journey through the pages (server-rendered HTML, cookie sign-in, CSRF on every form).

use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a csrf field")
        .to_string()
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

pub async fn sign_in(app: &TestApp, email: &str) -> reqwest::Client {
    let b = browser();
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = b
        .post(app.url("/login"))
        .form(&[
            ("email", email),
            ("password", "correct horse battery"),
            ("csrf", &csrf_of(&html)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "sign-in of {email}");
    b
}

pub async fn page(app: &TestApp, b: &reqwest::Client, path: &str) -> String {
    let res = b.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

pub async fn post_form(
    app: &TestApp,
    b: &reqwest::Client,
    path: &str,
    from_page: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = page(app, b, from_page).await;
    let csrf = csrf_of(&html);
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", &csrf));
    b.post(app.url(path)).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn a_cohort_runs_through_the_pages_from_creation_to_a_verified_credential() {
    let app = spawn_app().await;
    app.create_user(Role::Admin, "admin@example.org", "correct horse battery")
        .await;
    let hostile = "นาย <script>alert('x')</script> \"ทดสอบ\"";
    let trainee_user = app
        .create_user(
            Role::Trainee,
            "trainee@example.org",
            "correct horse battery",
        )
        .await;
    let admin_token = app
        .token("admin@example.org", "correct horse battery")
        .await;
    app.client
        .patch(app.url(&format!("/api/v1/users/{}", trainee_user.id)))
        .bearer_auth(&admin_token)
        .json(&json!({"name": hostile}))
        .send()
        .await
        .unwrap();
    let admin = sign_in(&app, "admin@example.org").await;

    // The admin creates "Generation 1 FY2565" from the form.
    let res = post_form(
        &app,
        &admin,
        "/admin/cohorts",
        "/admin/cohorts",
        &[
            ("generation", "1"),
            ("starts_on", "2022-02-15"),
            ("ends_on", "2022-03-31"),
            ("capacity", "80"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let cohort_id = location
        .trim_start_matches("/cohorts/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let html = page(&app, &admin, &location).await;
    assert!(
        html.contains("รุ่นที่ 1 ประจำปีงบประมาณ พ.ศ. 2565") && html.contains("15 ก.พ. 2565"),
        "{html}"
    );
    let code = html
        .split("<code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_string();
    for (kind, slug) in [("module", "01-what-is-tis-s"), ("quiz", "q01")] {
        let res = post_form(
            &app,
            &admin,
            &format!("/cohorts/{cohort_id}/publish"),
            &format!("/cohorts/{cohort_id}"),
            &[("kind", kind), ("slug", slug)],
        )
        .await;
        assert_eq!(res.status(), 303);
    }

    // The trainee joins with the code, reads the module and marks it read.
    let trainee = sign_in(&app, "trainee@example.org").await;
    let home = page(&app, &trainee, "/").await;
    assert!(home.contains("รหัสเข้าร่วม"), "{home}");
    let res = post_form(&app, &trainee, "/join", "/", &[("join_code", &code)]).await;
    assert_eq!(res.status(), 303);
    let cohort_page = page(&app, &trainee, &format!("/cohorts/{cohort_id}")).await;
    assert!(cohort_page.contains("/modules/01-what-is-tis-s"));
    let module = page(
        &app,
        &trainee,
        &format!("/cohorts/{cohort_id}/modules/01-what-is-tis-s"),
    )
    .await;
    assert!(module.contains("มอก. เอส"), "{module}");
    let res = post_form(
        &app,
        &trainee,
        &format!("/cohorts/{cohort_id}/modules/01-what-is-tis-s/complete"),
        &format!("/cohorts/{cohort_id}/modules/01-what-is-tis-s"),
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);

    // The quiz: start, answer on the page (no script needed), submit, see the result.
    let res = post_form(
        &app,
        &trainee,
        &format!("/cohorts/{cohort_id}/quizzes/q01/start"),
        &format!("/cohorts/{cohort_id}/quizzes/q01"),
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    let attempt_path = res.headers()["location"].to_str().unwrap().to_string();
    let take = page(&app, &trainee, &attempt_path).await;
    for leak in ["correct", "feedback", "data-answer"] {
        assert!(!take.contains(leak), "{leak} in the quiz page");
    }
    let attempt_id = attempt_path.trim_start_matches("/attempts/");
    let key: Value = app
        .get(
            &format!("/api/v1/attempts/{attempt_id}"),
            Some(&admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut fields: Vec<(String, String)> = vec![("csrf".into(), csrf_of(&take))];
    for item in key["review"].as_array().unwrap() {
        let qid = item["question_id"].as_str().unwrap();
        match &item["correct_answer"] {
            Value::String(s) => fields.push((format!("q:{qid}"), s.clone())),
            Value::Bool(b) => fields.push((format!("q:{qid}"), b.to_string())),
            Value::Array(a) => {
                if a.first().is_some_and(|v| {
                    v.as_str()
                        .is_some_and(|s| s.starts_with('o') && s.len() == 11)
                }) {
                    for v in a {
                        fields.push((format!("q:{qid}"), v.as_str().unwrap().into()));
                    }
                } else {
                    fields.push((format!("q:{qid}"), a[0].as_str().unwrap().into()));
                }
            }
            Value::Object(m) if m.contains_key("tolerance") => {
                fields.push((format!("q:{qid}"), m["answer"].to_string()))
            }
            Value::Object(m) => {
                for (l, r) in m {
                    fields.push((format!("q:{qid}:{l}"), r.as_str().unwrap().into()));
                }
            }
            other => panic!("unexpected key {other}"),
        }
    }
    let res = trainee
        .post(app.url(&format!("{attempt_path}/submit")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let result = page(&app, &trainee, &attempt_path).await;
    assert!(
        result.contains("ผ่าน") && result.contains("100%"),
        "{result}"
    );
    assert!(
        result.contains("เฉลยและคำอธิบาย"),
        "q01 reviews after submit"
    );

    // The admin sees progress (the hostile name escaped) and issues a credential.
    let staff_page = page(&app, &admin, &format!("/cohorts/{cohort_id}")).await;
    assert!(
        !staff_page.contains("<script>alert"),
        "unescaped name on the cohort page"
    );
    assert!(staff_page.contains("&lt;script&gt;"));
    let res = app
        .post_json("/api/v1/credentials", Some(&admin_token), &json!({"cohort_id": cohort_id, "user_id": trainee_user.id, "scope": "product", "override_reason": "pilot"}))
        .await;
    let cred: Value = res.json().await.unwrap();
    // A visitor opens the verification page: valid; after revocation: revoked.
    let visitor = browser();
    let html = page(
        &app,
        &visitor,
        &format!("/verify/{}", cred["id"].as_str().unwrap()),
    )
    .await;
    assert!(
        html.contains("หนังสือรับรองนี้ใช้ได้") && !html.contains("<script>alert"),
        "{html}"
    );
    app.post_json(
        &format!(
            "/api/v1/credentials/{}/revoke",
            cred["id"].as_str().unwrap()
        ),
        Some(&admin_token),
        &json!({"reason": "ทดสอบการเพิกถอน"}),
    )
    .await;
    let html = page(
        &app,
        &visitor,
        &format!("/verify/{}", cred["id"].as_str().unwrap()),
    )
    .await;
    assert!(html.contains("ถูกเพิกถอน"), "{html}");
    // The trainee's dashboard lists the credential.
    let home = page(&app, &trainee, "/").await;
    assert!(home.contains(cred["number"].as_str().unwrap()), "{home}");
    // The cohort's progress bar is a <progress> element: the CSP drops inline style widths,
    // and the bar used to render empty (issue 22, point 6).
    assert!(
        home.contains("<progress class=\"bar\" max=\"100\" value=\""),
        "{home}"
    );
    assert!(!home.contains(" style="), "{home}");
}

#[tokio::test]
async fn an_instructor_edits_a_module_in_the_browser_and_compares_revisions() {
    let app = spawn_app().await;
    app.create_user(Role::Instructor, "i@example.org", "correct horse battery")
        .await;
    let b = sign_in(&app, "i@example.org").await;
    let html = page(&app, &b, "/modules/02-certification-path/edit").await;
    assert!(html.contains("textarea") && html.contains("/static/editor.js"));
    let title_en = html
        .split("id=\"title_en\" name=\"title_en\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let res = post_form(
        &app,
        &b,
        "/modules/02-certification-path/edit",
        "/modules/02-certification-path/edit",
        &[
            ("title_th", "เส้นทางการรับรอง (ปรับปรุง)"),
            ("title_en", &title_en),
            (
                "markdown_th",
                "# ใหม่\n\nย่อหน้าที่แก้ไขแล้ว <script>alert(1)</script>",
            ),
            ("markdown_en", "# New\n\nEdited."),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let html = page(
        &app,
        &b,
        "/modules/02-certification-path/edit?done=revision_saved",
    )
    .await;
    assert!(html.contains("บันทึกฉบับใหม่แล้ว"));
    let ids: Vec<String> = html
        .split("name=\"from\" value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "two revisions in the history");
    let diff = page(
        &app,
        &b,
        &format!(
            "/modules/02-certification-path/diff?from={}&to={}",
            ids[1], ids[0]
        ),
    )
    .await;
    assert!(
        diff.contains("dadd") && diff.contains("ย่อหน้าที่แก้ไขแล้ว") && !diff.contains("<script>alert"),
        "{diff}"
    );
    // Trainees cannot open the editor.
    app.create_user(Role::Trainee, "t@example.org", "correct horse battery")
        .await;
    let t = sign_in(&app, "t@example.org").await;
    assert_eq!(
        t.get(app.url("/modules/02-certification-path/edit"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn a_pasted_credential_is_verified_on_the_public_page() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let res = app
        .post_json("/api/v1/credentials", Some(&c.admin), &json!({"cohort_id": c.cohort, "user_id": c.trainees[0].0, "scope": "product", "override_reason": "pilot"}))
        .await;
    let cred: Value = res.json().await.unwrap();
    let jwt = cred["credential_jwt"].as_str().unwrap();
    let visitor = browser();
    let res = post_form(
        &app,
        &visitor,
        "/verify",
        "/verify",
        &[("credential_jwt", jwt)],
    )
    .await;
    let html = res.text().await.unwrap();
    assert!(
        html.contains("หนังสือรับรองนี้ใช้ได้") && html.contains(cred["number"].as_str().unwrap()),
        "{html}"
    );
    let last = if jwt.ends_with('A') { "B" } else { "A" };
    let tampered = format!("{}{last}", &jwt[..jwt.len() - 1]);
    let res = post_form(
        &app,
        &visitor,
        "/verify",
        "/verify",
        &[("credential_jwt", &tampered)],
    )
    .await;
    let html = res.text().await.unwrap();
    assert!(html.contains("ไม่ถูกต้อง"), "{html}");
}

#[tokio::test]
async fn sessions_are_scheduled_marked_and_checked_into_from_the_pages() {
    let app = spawn_app().await;
    // A cohort running now: the page refuses a session outside its cohort's dates.
    let today = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let c = crate::credentials::cohort_with_trainees_on(
        &app,
        2,
        &(today - chrono::Duration::days(7)).to_string(),
        &(today + chrono::Duration::days(30)).to_string(),
    )
    .await;
    let instructor = app
        .create_user(Role::Instructor, "i@example.org", "correct horse battery")
        .await;
    app.post_json(
        &format!("/api/v1/cohorts/{}/members", c.cohort),
        Some(&c.admin),
        &json!({"user_id": instructor.id, "role": "instructor"}),
    )
    .await;
    let staff = sign_in(&app, "i@example.org").await;
    let bkk = chrono::Utc::now() + chrono::Duration::hours(7);
    let start = (bkk - chrono::Duration::minutes(10))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let end = (bkk + chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = post_form(
        &app,
        &staff,
        &format!("/cohorts/{}/sessions", c.cohort),
        &format!("/cohorts/{}", c.cohort),
        &[
            ("title_th", "ภาคปฏิบัติ"),
            ("starts_at", &start),
            ("ends_at", &end),
            ("venue", "ห้องประชุม 1"),
            ("meeting_url", "https://zoom.example/j/1"),
            ("mode", "hybrid"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let sessions: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{}/sessions", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let sid = sessions[0]["id"].as_str().unwrap().to_string();
    // A new minute on the service's clock: the code read below is still current when the
    // trainee, after signing in, types it.
    crate::helpers::align_to_minute(&app);
    let html = page(&app, &staff, &format!("/sessions/{sid}")).await;
    let code = html
        .split("class=\"bigcode\" aria-live=\"polite\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(code.len(), 6, "{html}");
    // A trainee checks in with the code shown.
    let trainee = sign_in(&app, "trainee0@example.org").await;
    let res = post_form(
        &app,
        &trainee,
        &format!("/sessions/{sid}/checkin"),
        &format!("/sessions/{sid}"),
        &[("code", &code)],
    )
    .await;
    assert_eq!(res.status(), 303);
    // The instructor marks the other trainee excused.
    let other = &c.trainees[1].0;
    let field = format!("status:{other}");
    let via = format!("via:{other}");
    let res = post_form(
        &app,
        &staff,
        &format!("/sessions/{sid}/attendance"),
        &format!("/sessions/{sid}"),
        &[(&field, "excused"), (&via, "online")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let marks: Vec<Value> = app
        .get(
            &format!("/api/v1/sessions/{sid}/attendance"),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let statuses: Vec<&str> = marks
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"present") && statuses.contains(&"excused"),
        "{marks:?}"
    );
}

/// Every shipped quiz a trainee takes on a page of its own (the module quizzes, the final exam,
/// the recertification quiz, the pre- and post-test), without script: started from the quiz
/// page, every question answered in the attempt page's own form fields, from the shipped quiz
/// files, submitted, and passed with 100 %. (The written assessment, whose answers wait for
/// two markers, is taken in the browser story.)
#[tokio::test]
async fn every_shipped_quiz_is_taken_and_passed_on_the_pages_without_script() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    crate::integrity::publish_recert(&app, &c).await;
    for q in ["pretest", "posttest"] {
        let r = app
            .post_json(
                &format!("/api/v1/cohorts/{}/quizzes/{q}/publish", c.cohort),
                Some(&c.admin),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 200, "{q}");
    }
    let token = c.trainees[0].1.clone();
    let mut modules = crate::integrity::EXAM_MODULES.to_vec();
    modules.extend(["06-tis-s-services", "07-recertification-refresher"]);
    crate::credentials::complete(&app, &c, &token, &modules, &[]).await;
    let trainee = sign_in(&app, "trainee0@example.org").await;
    let shipped: Vec<String> = std::fs::read_dir("course_content/quizzes")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter_map(|n| n.strip_suffix(".toml").map(str::to_string))
        .collect();
    // Module quizzes first: the final exam asks for them.
    let order = [
        "pretest",
        "q01",
        "q02",
        "q03",
        "q04",
        "q05",
        "q06",
        "final-exam",
        "recert",
        "posttest",
    ];
    for slug in &shipped {
        assert!(
            order.contains(&slug.as_str()) || slug == "final-written",
            "a shipped quiz this test does not take: {slug}"
        );
    }
    let mut kinds = std::collections::BTreeSet::new();
    for slug in order {
        let quiz_page = format!("/cohorts/{}/quizzes/{slug}", c.cohort);
        let res = post_form(
            &app,
            &trainee,
            &format!("{quiz_page}/start"),
            &quiz_page,
            &[],
        )
        .await;
        assert_eq!(res.status(), 303, "{slug}: start");
        let attempt_path = res.headers()["location"].to_str().unwrap().to_string();
        assert!(
            attempt_path.starts_with("/attempts/"),
            "{slug}: {attempt_path}"
        );
        let take = page(&app, &trainee, &attempt_path).await;
        for leak in [
            "correct-answer",
            "correct_answer",
            "data-answer",
            "data-correct",
        ] {
            assert!(!take.contains(leak), "{slug}: {leak} in the quiz page");
        }
        let attempt_id = attempt_path.trim_start_matches("/attempts/");
        let answers = crate::credentials::answers_from_files(&app, &token, attempt_id).await;
        // No question's explanation (the file's feedback) is on the page before submitting.
        let file = crate::credentials::shipped_key(slug);
        for (qid, _, _) in &answers {
            if let Some(fb) = file[qid].get("feedback_th").and_then(|f| f.as_str()) {
                assert!(
                    !take.contains(fb),
                    "{slug}: {qid}'s feedback on the quiz page"
                );
            }
        }
        let mut fields: Vec<(String, String)> = vec![("csrf".into(), csrf_of(&take))];
        // Each answer goes into a field the page has, with a value the page offers.
        let mut field = |name: String, value: String, offered: bool| {
            assert!(
                take.contains(&format!("name=\"{name}\"")),
                "{slug}: no field {name} on the page"
            );
            if offered {
                assert!(
                    take.contains(&format!("value=\"{value}\"")),
                    "{slug}: {name} offers no {value}"
                );
            }
            fields.push((name, value));
        };
        for (qid, kind, value) in &answers {
            kinds.insert(kind.clone());
            let name = format!("q:{qid}");
            match (kind.as_str(), value) {
                ("single", Value::String(o)) => field(name, o.clone(), true),
                ("true_false", Value::Bool(b)) => field(name, b.to_string(), true),
                ("multiple", Value::Array(list)) => {
                    for o in list {
                        field(name.clone(), o.as_str().unwrap().to_string(), true);
                    }
                }
                ("short_text", Value::String(t)) => field(name, t.clone(), false),
                ("numeric", Value::Number(n)) => field(name, n.to_string(), false),
                ("matching", Value::Object(m)) => {
                    for (left, right) in m {
                        field(
                            format!("q:{qid}:{left}"),
                            right.as_str().unwrap().to_string(),
                            true,
                        );
                    }
                }
                other => panic!("{slug}: unexpected answer {other:?}"),
            }
        }
        let res = trainee
            .post(app.url(&format!("{attempt_path}/submit")))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{slug}: submit");
        let result = page(&app, &trainee, &attempt_path).await;
        // The pre- and post-test have no pass mark (they measure learning): a score only.
        let has_pass_mark = !matches!(slug, "pretest" | "posttest");
        assert!(
            result.contains("100%") && (!has_pass_mark || result.contains("ผ่าน")),
            "{slug}: {result}"
        );
        let state: Value = app
            .get(&format!("/api/v1/attempts/{attempt_id}"), Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(state["result"]["passed"], true, "{slug}: {state}");
        assert_eq!(state["result"]["percent"], 100.0, "{slug}: {state}");
    }
    for kind in [
        "single",
        "multiple",
        "true_false",
        "short_text",
        "numeric",
        "matching",
    ] {
        assert!(kinds.contains(kind), "no {kind} question taken");
    }
}
