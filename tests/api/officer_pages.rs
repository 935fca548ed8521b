//! Pages officers and trainees use (issue 22). A person typing a Buddhist-era year: officers
//! think in พ.ศ. A session typed for 15/01/2570 was saved in the year 3113 (shown as
//! "15 ม.ค. 3113"), and a cohort with 2570 dates was refused with an English developer
//! message. A suspension showed no message at all; attempts were listed as "(open)".

use academy::accounts::model::Role;
use serde_json::Value;

use crate::helpers::spawn_app;
use crate::web::{page, post_form, sign_in};

#[tokio::test]
async fn buddhist_era_years_typed_into_the_cohort_and_session_forms_mean_the_right_day() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let web = sign_in(&app, "admin@example.org").await;
    // A cohort typed as day/month/B.E. year.
    let r = post_form(
        &app,
        &web,
        "/admin/cohorts",
        "/admin/cohorts",
        &[
            ("generation", "1"),
            ("starts_on", "15/01/2570"),
            ("ends_on", "31/03/2570"),
            ("capacity", "40"),
            ("name_th", "รุ่นที่ 1 ประจำปีงบประมาณ พ.ศ. 2570"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let cohort_path = r.headers()["location"].to_str().unwrap().to_string();
    let cohort_id = cohort_path
        .trim_start_matches("/cohorts/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let c: Value = app
        .get(&format!("/api/v1/cohorts/{cohort_id}"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["starts_on"], "2027-01-15");
    assert_eq!(c["ends_on"], "2027-03-31");
    assert_eq!(c["fiscal_year"], 2570);
    // A session whose date picker got a B.E. year (2570-01-20T09:00, Thailand time).
    let r = post_form(
        &app,
        &web,
        &format!("/cohorts/{cohort_id}/sessions"),
        &format!("/cohorts/{cohort_id}"),
        &[
            ("title_th", "พิธีเปิด"),
            ("starts_at", "2570-01-20T09:00"),
            ("ends_at", "20/01/2570 12:00"),
            ("venue", "ห้องประชุม"),
            ("mode", "onsite"),
        ],
    )
    .await;
    assert!(
        r.status().is_redirection(),
        "{}: {}",
        r.status(),
        r.text().await.unwrap_or_default()
    );
    let sessions: Value = app
        .get(
            &format!("/api/v1/cohorts/{cohort_id}/sessions"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let s = &sessions.as_array().unwrap()[0];
    assert!(
        s["starts_at"]
            .as_str()
            .unwrap()
            .starts_with("2027-01-20T02:00"),
        "09:00 in Thailand on 20 Jan 2027 is 02:00 UTC: {s}"
    );
    let html = page(&app, &web, &format!("/cohorts/{cohort_id}")).await;
    assert!(html.contains("20 ม.ค. 2570"), "shown in B.E. as typed");
    assert!(!html.contains("3113"));
    // A year that is a typing slip is refused, saying why, in Thai and English.
    let r = post_form(
        &app,
        &web,
        "/admin/cohorts",
        "/admin/cohorts",
        &[
            ("generation", "2"),
            ("starts_on", "15/01/3113"),
            ("ends_on", "31/03/3113"),
            ("capacity", "40"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("อยู่นอกช่วง"), "{html}");
}

#[tokio::test]
async fn a_status_change_says_what_happened_and_attempts_are_named_in_words() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let r = app
        .post_json(
            "/api/v1/credentials",
            Some(&c.admin),
            &serde_json::json!({"cohort_id": c.cohort, "user_id": c.trainees[0].0, "scope": "product", "override_reason": "ทดสอบ"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let cred: Value = r.json().await.unwrap();
    let id = cred["id"].as_str().unwrap();
    app.create_user(Role::Admin, "officer@example.org", "correct horse battery")
        .await;
    let web = sign_in(&app, "officer@example.org").await;
    // Each sentence as the Thai strings file has it (read here, not from the service).
    let th: toml::Table =
        toml::from_str(&std::fs::read_to_string("templates/i18n/th.toml").unwrap()).unwrap();
    // The message names the credential (number and holder) and the page opens at its row
    // (issue 22, point 3); the name is said once, and a link cannot make the page say a name.
    let named = format!(
        "{} · {}",
        cred["number"].as_str().unwrap(),
        cred["holder_name"].as_str().unwrap()
    );
    for (action, key) in [
        ("suspend", "credential_suspended"),
        ("reinstate", "credential_reinstated"),
        ("revoke", "credential_revoked"),
    ] {
        let said = th[&format!("{key}_item")]
            .as_str()
            .unwrap()
            .replace("{name}", &named);
        let r = post_form(
            &app,
            &web,
            &format!("/admin/credentials/{id}"),
            "/admin/credentials",
            &[("action", action), ("reason", "ตรวจพบข้อร้องเรียน")],
        )
        .await;
        assert_eq!(r.status(), 303, "{action}");
        let next = r.headers()["location"].to_str().unwrap().to_string();
        assert!(
            next.ends_with(&format!("#cred-{id}")),
            "{action}: opens at the credential's row: {next}"
        );
        let html = page(&app, &web, &next).await;
        assert!(
            html.contains("class=\"flash\""),
            "{action}: no message after {next}"
        );
        assert!(
            html.replace("&#x2F;", "/").contains(&said),
            "{action}: '{said}' not said after {next}"
        );
        assert!(
            html.contains(&format!("id=\"cred-{id}\"")),
            "the anchor is on the page"
        );
        // Seen again (a reload), the message no longer names it: the name was for that page.
        let again = page(&app, &web, &next).await;
        assert!(again.contains(th[key].as_str().unwrap()), "{action}");
        assert!(!again.contains(&named), "{action}: said twice");
    }
    let html = page(
        &app,
        &web,
        "/admin/credentials?done=credential_suspended_item&name=x",
    )
    .await;
    assert!(
        !html.contains("class=\"flash\""),
        "an _item key alone says nothing"
    );
    // A trainee's attempts are named in words on the quiz page, not by internal codes.
    let trainee = c.trainees[0].1.clone();
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/quizzes/q01/attempts", c.cohort),
            Some(&trainee),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let tweb = sign_in(&app, "trainee0@example.org").await;
    let html = page(&app, &tweb, &format!("/cohorts/{}/quizzes/q01", c.cohort)).await;
    assert!(html.contains("(กำลังทำ)"), "the open attempt in words");
    assert!(!html.contains("(open)"));
}

#[tokio::test]
async fn quizzes_are_listed_in_the_order_they_are_taken_with_the_final_exam_last() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let list: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/quizzes", c.cohort),
            Some(&c.trainees[0].1),
        )
        .await
        .json()
        .await
        .unwrap();
    let slugs: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        [
            "q01",
            "q02",
            "q03",
            "q04",
            "q05",
            "q06",
            "final-exam",
            "final-written"
        ],
        "the final exam was listed first"
    );
    let tweb = sign_in(&app, "trainee0@example.org").await;
    let html = page(&app, &tweb, &format!("/cohorts/{}", c.cohort)).await;
    let at = |slug: &str| html.find(&format!("/quizzes/{slug}\"")).unwrap();
    assert!(at("q01") < at("q06") && at("q06") < at("final-exam"));
}

#[tokio::test]
async fn the_first_run_page_names_the_database_the_service_runs_on() {
    let app = spawn_app().await;
    let html = app
        .client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("academy admin create"), "{html}");
    // As the page shows it (Tera escapes / and ').
    let html = html.replace("&#x2F;", "/").replace("&#x27;", "'");
    match &app.settings.database_url {
        academy::db::DatabaseUrl::Sqlite(path) => {
            let shown = format!("ACADEMY_DATABASE_URL=sqlite://{}", path.display());
            assert!(html.contains(&shown), "{shown} not in the page");
        }
        academy::db::DatabaseUrl::Postgres(url) => {
            assert!(html.contains("ACADEMY_DATABASE_URL='postgres://…'"));
            assert!(
                !html.contains(url.as_str()),
                "the PostgreSQL URL is not shown publicly"
            );
        }
    }
}

#[tokio::test]
async fn the_dashboard_counts_only_quizzes_a_trainee_can_take_now() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let tweb = sign_in(&app, "trainee0@example.org").await;
    // Six module quizzes are open; the final exam is locked behind modules 1–5.
    let html = page(&app, &tweb, "/").await;
    assert!(html.contains("แบบทดสอบที่ทำได้ตอนนี้: 6"), "{html}");
    // A passed quiz is no longer counted.
    crate::credentials::complete(&app, &c, &c.trainees[0].1, &[], &["q01"]).await;
    let html = page(&app, &tweb, "/").await;
    assert!(html.contains("แบบทดสอบที่ทำได้ตอนนี้: 5"), "{html}");
}

/// Verification for the public (issue 22, point 11): the number printed on a certificate works
/// as an address and in a look-up box, typed in any case or with Thai digits; an unknown number
/// or id gets a page that says what to check, in Thai, with the box again; no jargon.
#[tokio::test]
async fn the_number_on_a_certificate_finds_it_and_an_unknown_one_says_what_to_check() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let res = app
        .post_json(
            "/api/v1/credentials",
            Some(&c.admin),
            &serde_json::json!({"cohort_id": c.cohort, "user_id": c.trainees[0].0,
                                "scope": "product", "override_reason": "ทดสอบ"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let cred: Value = res.json().await.unwrap();
    let (id, number) = (
        cred["id"].as_str().unwrap(),
        cred["number"].as_str().unwrap(),
    );
    let page_of = format!("/verify/{id}");
    // As an address.
    let res = app.get(&format!("/verify/{number}"), None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], page_of.as_str());
    // In the look-up box: lower case, spaces around it, Thai digits.
    let thai_digits: String = number
        .to_lowercase()
        .chars()
        .map(|ch| match ch.to_digit(10) {
            Some(d) => char::from_u32(0x0E50 + d).unwrap(),
            None => ch,
        })
        .collect();
    for typed in [
        number.to_string(),
        format!("  {}  ", number.to_lowercase()),
        thai_digits,
    ] {
        let q: String = url::form_urlencoded::byte_serialize(typed.as_bytes()).collect();
        let res = app.get(&format!("/verify?number={q}"), None).await;
        assert_eq!(res.status(), 303, "{typed}");
        assert_eq!(res.headers()["location"], page_of.as_str(), "{typed}");
    }
    // The page itself: the box first, no jargon.
    let html = app.get("/verify", None).await.text().await.unwrap();
    assert!(html.contains("ตรวจสอบด้วยเลขที่หนังสือรับรอง") && html.contains("name=\"number\""));
    assert!(!html.contains("VC-JWT"), "{html}");
    // Unknown: a number, an id, and the same through the box: a 404 page that says what to do.
    for path in [
        "/verify/TISI-S-2570-9999".to_string(),
        format!("/verify/{}", uuid::Uuid::new_v4()),
        "/verify?number=TISI-S-2570-9999".to_string(),
    ] {
        let res = app.get(&path, None).await;
        assert_eq!(res.status(), 404, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("ไม่พบหนังสือรับรองเลขที่หรือรหัสนี้"), "{path}: {html}");
        assert!(html.contains("name=\"number\"") && html.contains("href=\"/register\""));
    }
}

/// Issue 22, point 8: a name typed with its title and without a space finds the person.
#[tokio::test]
async fn a_title_typed_without_a_space_finds_the_person() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let res = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &serde_json::json!({"email": "somchai@example.org", "name": "นาย สมชาย ใจดี",
                                "name_en": "Somchai Jaidee", "role": "trainee",
                                "office_code": "TH-50", "password": "ยาวพอสำหรับรหัสผ่าน"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    for typed in [
        "นายสมชาย",
        "สมชาย ใจดี",
        "สมชายใจดี",
        "somchaijaidee",
        "SOMCHAI@",
    ] {
        let q: String = url::form_urlencoded::byte_serialize(typed.as_bytes()).collect();
        let found: Value = app
            .get(&format!("/api/v1/users?q={q}"), Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        let emails: Vec<&str> = found
            .as_array()
            .unwrap_or_else(|| panic!("{found}"))
            .iter()
            .map(|u| u["email"].as_str().unwrap())
            .collect();
        assert_eq!(emails, ["somchai@example.org"], "{typed}");
    }
    // Something else finds nobody (the % and _ of LIKE are taken literally).
    let none: Value = app
        .get("/api/v1/users?q=%25", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none.as_array().map(Vec::len), Some(0), "{none}");
}

/// Issue 22, point 7: a module page ends with the way on: this module's quiz, the next module,
/// and the cohort; marking it read lands there, not at the top of the cohort page.
#[tokio::test]
async fn a_read_module_leads_on_to_its_quiz_and_the_next_module() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let web = sign_in(&app, "trainee0@example.org").await;
    let m1 = format!("/cohorts/{}/modules/01-what-is-tis-s", c.cohort);
    let html = page(&app, &web, &m1).await;
    let next = &html[html.find("id=\"next\"").expect("a what-next block")..];
    for link in [
        format!("/cohorts/{}/quizzes/q01\"", c.cohort),
        format!("/cohorts/{}/modules/02-certification-path\"", c.cohort),
        format!("/cohorts/{}\"", c.cohort),
    ] {
        assert!(
            next.contains(&link),
            "{link} missing after the text: {next}"
        );
    }
    let res = post_form(&app, &web, &format!("{m1}/complete"), &m1, &[]).await;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("{m1}?done=module_read#next"));
    let html = page(&app, &web, to.split('#').next().unwrap()).await;
    assert!(html.contains("บันทึกว่าอ่านแล้ว"), "{html}");
    assert!(html.contains("ขั้นต่อไป"));
}

/// Issue 22, point 12: a new admin's dashboard says what to do first, and stops once there is a
/// cohort.
#[tokio::test]
async fn a_new_admin_sees_first_steps_until_a_cohort_exists() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let web = sign_in(&app, "admin@example.org").await;
    let html = page(&app, &web, "/").await;
    assert!(html.contains("เริ่มต้นใช้งาน"), "{html}");
    assert!(html.contains("href=\"/admin/cohorts\">สร้างรุ่นการอบรมรุ่นแรก"));
    assert!(html.contains("href=\"/admin/users\">เพิ่มผู้เข้าอบรม"));
    crate::cohorts::create_cohort(&app, &admin, 1, 10).await;
    let html = page(&app, &web, "/").await;
    assert!(!html.contains("เริ่มต้นใช้งาน"), "{html}");
}

#[tokio::test]
async fn a_new_cohort_gets_what_the_scheme_requires_in_one_step_and_recertification_asks_first() {
    // Issue 22, point 10: a new cohort needed 16 publish clicks, and the recertification quiz
    // could be published to a first-time cohort without a word.
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let c = crate::cohorts::create_cohort(&app, &admin, 1, 30).await;
    let id = c["id"].as_str().unwrap();
    let b = sign_in(&app, "admin@example.org").await;
    let path = format!("/cohorts/{id}");
    let res = post_form(&app, &b, &format!("{path}/publish-scheme"), &path, &[]).await;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    // What the shipped scheme asks (read here from programme.toml, not from the service): the
    // modules and quizzes of both scopes, and the pre- and post-test.
    let programme: toml::Value =
        toml::from_str(&std::fs::read_to_string("course_content/programme.toml").unwrap()).unwrap();
    let mut modules = std::collections::BTreeSet::new();
    let mut quizzes = std::collections::BTreeSet::new();
    for scope in programme["scopes"].as_array().unwrap() {
        for m in scope["required_modules"].as_array().unwrap() {
            modules.insert(m.as_str().unwrap().to_string());
        }
        for q in scope["required_quizzes"].as_array().unwrap() {
            quizzes.insert(q.as_str().unwrap().to_string());
        }
    }
    for key in ["pretest", "posttest"] {
        quizzes.insert(programme[key].as_str().unwrap().to_string());
    }
    assert!(
        to.contains(&format!(
            "done=scheme_published&n={}",
            modules.len() + quizzes.len()
        )),
        "{to}"
    );
    let published = |kind: &'static str| {
        let (app, admin, id) = (&app, admin.clone(), id.to_string());
        async move {
            let list: Vec<Value> = app
                .get(&format!("/api/v1/cohorts/{id}/{kind}"), Some(&admin))
                .await
                .json()
                .await
                .unwrap();
            list.iter()
                // Staff see every item, each with whether it is published.
                .filter(|x| x.get("published").is_none_or(|p| p == true))
                .map(|x| x["slug"].as_str().unwrap().to_string())
                .collect::<std::collections::BTreeSet<String>>()
        }
    };
    assert_eq!(published("modules").await, modules);
    assert_eq!(published("quizzes").await, quizzes);
    assert!(!quizzes.contains("recert"));
    let html = page(&app, &b, &to).await;
    assert!(
        html.contains(&format!(
            "เผยแพร่ตามหลักเกณฑ์แล้ว {} รายการ",
            modules.len() + quizzes.len()
        )),
        "{html}"
    );

    // The recertification quiz: a page that says what it is and asks; nothing published yet.
    let res = post_form(
        &app,
        &b,
        &format!("{path}/publish"),
        &path,
        &[("kind", "quiz"), ("slug", "recert")],
    )
    .await;
    assert_eq!(res.status(), 200);
    let ask = res.text().await.unwrap();
    assert!(ask.contains("สำหรับผู้ถือหนังสือรับรองที่ขอต่ออายุเท่านั้น"), "{ask}");
    assert!(!published("quizzes").await.contains("recert"));
    // Confirmed, it is published.
    let res = post_form(
        &app,
        &b,
        &format!("{path}/publish"),
        &path,
        &[("kind", "quiz"), ("slug", "recert"), ("confirm", "1")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(published("quizzes").await.contains("recert"));
}

/// A trainee's cohort page says, scope by scope, what is still to do, each item a link to the
/// module or quiz that meets it, with the attendance rule; when a scope is complete it says the
/// credential waits for an administrator (issue 22, point 2).
#[tokio::test]
async fn a_trainee_sees_what_is_left_for_each_scope_with_links() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let web = sign_in(&app, "trainee0@example.org").await;
    let path = format!("/cohorts/{}", c.cohort);
    // (Attribute values come escaped: "/" as &#x2F;.)
    let html = page(&app, &web, &path).await.replace("&#x2F;", "/");
    let left = html
        .split("id=\"left\"")
        .nth(1)
        .expect("a what-is-left section")
        .split("</section>")
        .next()
        .unwrap()
        .to_string();
    // Both scopes, named in Thai as the programme file names them.
    let programme: toml::Value =
        toml::from_str(&std::fs::read_to_string("course_content/programme.toml").unwrap()).unwrap();
    let scopes = programme["scopes"].as_array().unwrap();
    assert_eq!(scopes.len(), 2);
    for s in scopes {
        let title = s["title_th"].as_str().unwrap();
        assert!(left.contains(title), "{title} missing: {left}");
    }
    // Links to the first module and to the final exam, and the attendance rule.
    assert!(
        left.contains(&format!(
            "href=\"/cohorts/{}/modules/01-what-is-tis-s\"",
            c.cohort
        )),
        "{left}"
    );
    assert!(
        left.contains(&format!(
            "href=\"/cohorts/{}/quizzes/final-exam\"",
            c.cohort
        )),
        "{left}"
    );
    assert!(
        !left.contains("module:") && !left.contains("quiz:"),
        "raw criteria: {left}"
    );
    // The service scope does not list the product scope's items again: it points back to them
    // and lists its own (module 6).
    assert_eq!(
        left.matches("/modules/01-what-is-tis-s\"").count(),
        1,
        "listed twice: {left}"
    );
    assert!(
        left.contains("ทุกข้อที่ยังเหลือของ ผู้ตรวจประเมิน มอก. เอส (ผลิตภัณฑ์) ข้างบน และ"),
        "{left}"
    );
    assert!(
        left.contains("อ่านบทเรียน มอก. เอส งานบริการ: การท่องเที่ยว CIV"),
        "{left}"
    );
    // Before any session is held there is no time to miss; once one was held without the
    // trainee, the attendance rule is listed, pointing at the sessions.
    assert!(!left.contains("ร้อยละ 80"), "{left}");
    let s = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -300, 100).await;
    let html = page(&app, &web, &path).await.replace("&#x2F;", "/");
    assert!(
        html.contains("<a href=\"#sessions\">เข้าร่วมการอบรมไม่น้อยกว่าร้อยละ 80"),
        "{html}"
    );
    let r = app
        .client
        .put(app.url(&format!(
            "/api/v1/sessions/{}/attendance/{}",
            s["id"].as_str().unwrap(),
            c.trainees[0].0
        )))
        .bearer_auth(&c.admin)
        .json(&serde_json::json!({"status": "present", "minutes": 100}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());

    // The product scope complete: said so; the service scope still needs module 6 and q06.
    crate::credentials::make_eligible(&app, &c, &c.trainees[0].1).await;
    let html = page(&app, &web, &path).await.replace("&#x2F;", "/");
    let left = html
        .split("id=\"left\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        left.matches("ครบทุกเกณฑ์แล้ว").count(),
        1,
        "product only: {left}"
    );
    assert!(
        left.contains(&format!(
            "href=\"/cohorts/{}/modules/06-tis-s-services\"",
            c.cohort
        )) && left.contains(&format!("href=\"/cohorts/{}/quizzes/q06\"", c.cohort)),
        "{left}"
    );
    assert!(
        !left.contains("/modules/01-what-is-tis-s"),
        "a read module is not listed: {left}"
    );
    // Staff do not get the section.
    let admin = sign_in(&app, "admin@example.org").await;
    assert!(!page(&app, &admin, &path).await.contains("id=\"left\""));
}

/// A refused cohort form comes back as typed, with the reason in Thai (it came back empty,
/// with an English developer message, and the officer typed everything again).
#[tokio::test]
async fn a_refused_cohort_form_keeps_what_was_typed_and_says_why_in_thai() {
    let app = spawn_app().await;
    app.user_with_token(Role::Admin, "admin@example.org").await;
    let web = sign_in(&app, "admin@example.org").await;
    let r = post_form(
        &app,
        &web,
        "/admin/cohorts",
        "/admin/cohorts",
        &[
            ("generation", "3"),
            ("starts_on", "31/02/2570"),
            ("ends_on", "31/03/2570"),
            ("capacity", "45"),
            ("name_th", "รุ่นที่ 3 ทดลองพิมพ์"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap().replace("&#x2F;", "/");
    assert!(html.contains("ไม่มีวันที่นี้ในปฏิทิน"), "{html}");
    for typed in [
        "value=\"3\"",
        "value=\"31/02/2570\"",
        "value=\"31/03/2570\"",
        "value=\"45\"",
        "value=\"รุ่นที่ 3 ทดลองพิมพ์\"",
    ] {
        assert!(html.contains(typed), "{typed} not kept: {html}");
    }
    // Nothing typed for the generation: said in Thai, not in a developer's English.
    let r = post_form(
        &app,
        &web,
        "/admin/cohorts",
        "/admin/cohorts",
        &[
            ("generation", ""),
            ("starts_on", "2027-01-15"),
            ("ends_on", "2027-03-31"),
            ("capacity", "45"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("กรอกรุ่นที่ จำนวนที่รับ"), "{html}");
    assert!(!html.contains("are required"), "{html}");
    assert!(html.contains("value=\"2027-01-15\""), "{html}");
}

/// An admin invites one new person into a cohort from its page: the account is made, the
/// invitation mail names the cohort and its dates, and the person is in the cohort (issue 22,
/// point 9). An unknown address without a name is refused with what to do.
#[tokio::test]
async fn one_new_person_is_invited_into_a_cohort_and_the_mail_names_it() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let web = sign_in(&app, "admin@example.org").await;
    let path = format!("/cohorts/{}", c.cohort);
    let r = post_form(
        &app,
        &web,
        &format!("{path}/members"),
        &path,
        &[("email", "nobody@example.org"), ("role", "trainee")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let next = r.headers()["location"].to_str().unwrap().to_string();
    assert!(page(&app, &web, &next).await.contains("เพื่อเชิญทางอีเมล"));

    let r = post_form(
        &app,
        &web,
        &format!("{path}/members"),
        &path,
        &[
            ("email", "somsri@example.org"),
            ("role", "trainee"),
            ("name", "นางสาว สมศรี มีสุข"),
            ("office_code", "TH-50"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let next = r.headers()["location"].to_str().unwrap().to_string();
    assert!(next.contains("done=member_invited"), "{next}");
    // The message names the person invited (issue 22, point 3).
    assert!(page(&app, &web, &next)
        .await
        .contains("ส่งคำเชิญทางอีเมลถึง นางสาว สมศรี มีสุข (somsri@example.org) และเพิ่มเข้ารุ่นแล้ว"));
    let roster: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/roster", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        roster.to_string().contains("somsri@example.org"),
        "{roster}"
    );
    let cohort: Value = app
        .get(&format!("/api/v1/cohorts/{}", c.cohort), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    let mail = app
        .last_mail_context("somsri@example.org", "invitation")
        .await;
    assert_eq!(mail["cohort"]["name_th"], cohort["name_th"], "{mail}");
    assert!(
        mail["cohort"]["dates_th"]
            .as_str()
            .is_some_and(|d| d.contains("25")),
        "B.E. dates: {mail}"
    );
    // The mail is rendered with the cohort and sent (a template error would keep it queued).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !app
        .mailer
        .captured()
        .iter()
        .any(|m| m.to.iter().any(|t| t.contains("somsri@example.org")))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the invitation was not sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
