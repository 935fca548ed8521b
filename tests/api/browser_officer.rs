//! Issue 22's walk, in real headless Chromium on the demo (forty trainees, a closed FY2565
//! cohort, a cohort in training now), on this pass's backend: each point the officers tripped
//! over, walked as the role that met it, on a 360 px phone. Every page goes through
//! `Journey::check`: no injected script, no internal code shown as text, axe-core with no
//! serious or critical finding, no sideways scroll at 360 px, and screenshots at phone and
//! desktop width in `target/browser-officer/<backend>/`.

use serde_json::{json, Value};

use crate::browser::{body_text, new_journey, sign_in_with, PHONE};
use crate::helpers::{backend_name, spawn_demo, TestApp};
use crate::webdriver::{available, Driver, Session};

/// Sets a form field's value as a picker would (a date or time field takes only valid values;
/// 2570 is one: the year an officer in Thailand picks).
async fn set(s: &Session, css: &str, value: &str) {
    s.js(
        "var e = document.querySelector(arguments[0]); e.value = arguments[1]; return e.value;",
        json!([css, value]),
    )
    .await;
}

/// Clicks `css` and waits for the page it leads to (the old page's message would otherwise be
/// read as the new one's).
async fn click_through(s: &Session, css: &str) {
    s.js("window.__leaving = 1; return 1;", json!([])).await;
    s.click(&s.find(css).await).await;
    s.wait_for(
        "window.__leaving === undefined && document.readyState === 'complete'",
        "the next page",
    )
    .await;
}

/// `css` is on screen (a refused form's reason, far down a long page, is brought into view).
async fn in_view(s: &Session, css: &str) {
    s.wait_for(
        &format!(
            "(function () {{ var r = document.querySelector({css:?}).getBoundingClientRect();
               return r.top >= 0 && r.top < window.innerHeight; }})()"
        ),
        &format!("{css} in view"),
    )
    .await;
}

/// The flash message, which must be in view (it sticks above the item the page opened at).
async fn flash_in_view(s: &Session) -> String {
    s.wait_for(
        "document.querySelector('.flash') !== null",
        "the message after an action",
    )
    .await;
    let seen = s
        .js(
            "var r = document.querySelector('.flash').getBoundingClientRect();
             return [r.top >= 0 && r.bottom <= window.innerHeight, document.querySelector('.flash').innerText];",
            json!([]),
        )
        .await;
    assert_eq!(seen[0], true, "the message is in view: {seen}");
    seen[1].as_str().unwrap().to_string()
}

/// The element the page opened at (`#anchor`), which must be in view, below the message.
async fn target_in_view(s: &Session) -> String {
    s.wait_for(
        "(function () { var e = document.querySelector(':target'), f = document.querySelector('.flash');
           if (!e) return false; var r = e.getBoundingClientRect();
           return r.top < window.innerHeight && (!f || r.top >= f.getBoundingClientRect().bottom - 1); })()",
        "the item the page opened at, in view below the message",
    )
    .await;
    let t = s
        .js(
            "var e = document.querySelector(':target');
             if (!e) return null;
             var r = e.getBoundingClientRect(), f = document.querySelector('.flash');
             var below = f ? r.top >= f.getBoundingClientRect().bottom - 1 : true;
             return [e.id, r.top < window.innerHeight && r.bottom > 0 && below];",
            json!([]),
        )
        .await;
    assert!(t.is_array(), "the page opened at an item: {t}");
    assert_eq!(t[1], true, "the item {} is in view below the message", t[0]);
    t[0].as_str().unwrap().to_string()
}

/// The page's height in CSS pixels (on a phone: how far a person scrolls).
async fn page_height(s: &Session) -> i64 {
    s.js("return document.documentElement.scrollHeight;", json!([]))
        .await
        .as_i64()
        .unwrap()
}

fn th(key: &str) -> String {
    academy::http::ui::strings(academy::accounts::model::Language::Th)[key].clone()
}

async fn api(app: &TestApp, token: &str, path: &str) -> Value {
    app.get(path, Some(token)).await.json().await.unwrap()
}

#[tokio::test]
async fn each_point_an_officer_tripped_over_is_walked_on_a_phone_on_the_demo() {
    if !available("officer story") {
        return;
    }
    let (app, accounts) = spawn_demo().await;
    let mut j = new_journey(
        &app,
        std::path::PathBuf::from("target/browser-officer").join(backend_name()),
    );
    let pw = accounts.password;
    let admin_token = app.token(&accounts.admin, pw).await;
    let current = accounts.current_cohort_id.to_string();
    let first = accounts.cohort_id.to_string();
    let driver = Driver::start().await;

    // ---- The admin -------------------------------------------------------------------------
    let admin = driver.session(PHONE.0, PHONE.1).await;
    sign_in_with(&j, &admin, &accounts.admin, pw).await;
    j.check(&admin, "admin-dashboard").await;

    // Point 1: a cohort typed in B.E.; refused as typed, with the reason in Thai.
    admin.goto(&j.url("/admin/cohorts")).await;
    j.check(&admin, "admin-cohorts").await;
    set(&admin, "#generation", "2").await;
    set(&admin, "#starts_on", "2570-03-31").await;
    set(&admin, "#ends_on", "2570-01-15").await;
    click_through(&admin, "form[action='/admin/cohorts'] button[type=submit]").await;
    admin
        .wait_for("document.querySelector('.error') !== null", "the refusal")
        .await;
    assert!(body_text(&admin).await.contains(&th("cohort_dates_order")));
    in_view(&admin, ".error").await;
    let kept = admin
        .js(
            "return [document.getElementById('starts_on').value, document.getElementById('generation').value];",
            json!([]),
        )
        .await;
    assert_eq!(kept, json!(["2570-03-31", "2"]), "the form as typed");
    j.check(&admin, "admin-cohort-refused").await;
    set(&admin, "#starts_on", "2570-01-15").await;
    set(&admin, "#ends_on", "2570-03-31").await;
    click_through(&admin, "form[action='/admin/cohorts'] button[type=submit]").await;
    admin
        .wait_for(
            "location.pathname.indexOf('/cohorts/') === 0",
            "the new cohort",
        )
        .await;
    let new_cohort = admin
        .js("return location.pathname.split('/')[2];", json!([]))
        .await
        .as_str()
        .unwrap()
        .to_string();
    let text = body_text(&admin).await;
    assert!(text.contains("รุ่นที่ 2 ประจำปีงบประมาณ พ.ศ. 2570"), "{text}");
    assert!(
        text.contains("15 ม.ค.") && text.contains("31 มี.ค. 2570"),
        "B.E. dates as picked: {text}"
    );
    j.check(&admin, "admin-new-cohort").await;

    // Points 1 and 3: a session refused on the cohort page itself, open and as typed; then
    // accepted, named in the message, and the page opens at it.
    admin.click(&admin.find("#new-session summary").await).await;
    admin
        .type_into(&admin.find("#s_title").await, "พิธีเปิด รุ่นที่ 2")
        .await;
    set(&admin, "#s_start", "2570-01-20T09:00").await;
    set(&admin, "#s_end", "2570-01-20T12:00").await;
    admin
        .type_into(&admin.find("#s_venue").await, "ห้องประชุม สมอ.")
        .await;
    click_through(&admin, "#new-session button[type=submit]").await;
    admin
        .wait_for(
            "document.getElementById('session-error') !== null",
            "the session refusal",
        )
        .await;
    let refused = admin
        .js(
            "return [document.getElementById('new-session').open, document.getElementById('s_title').value,
                     document.getElementById('session-error').innerText];",
            json!([]),
        )
        .await;
    assert_eq!(refused[0], true, "{refused}");
    in_view(&admin, "#session-error").await;
    assert_eq!(refused[1], "พิธีเปิด รุ่นที่ 2", "{refused}");
    assert!(
        refused[2]
            .as_str()
            .unwrap()
            .contains(&th("session_needs_link")),
        "{refused}"
    );
    j.check(&admin, "admin-session-refused").await;
    admin
        .type_into(
            &admin.find("#s_url").await,
            "https://zoom.example/j/2570000002",
        )
        .await;
    click_through(&admin, "#new-session button[type=submit]").await;
    let said = flash_in_view(&admin).await;
    assert_eq!(
        said.trim(),
        th("session_created_item").replace("{name}", "พิธีเปิด รุ่นที่ 2")
    );
    assert!(target_in_view(&admin).await.starts_with("s-"));
    assert!(body_text(&admin).await.contains("20 ม.ค. 2570"));
    j.check(&admin, "admin-session-added").await;

    // Point 10: what the scheme requires, published in one step.
    click_through(
        &admin,
        &format!("form[action='/cohorts/{new_cohort}/publish-scheme'] button"),
    )
    .await;
    let said = flash_in_view(&admin).await;
    assert!(said.contains("เผยแพร่ตามหลักเกณฑ์แล้ว"), "{said}");
    assert_eq!(target_in_view(&admin).await, "modules");
    j.check(&admin, "admin-scheme-published").await;
    // Point 10: the recertification quiz on a first-time cohort asks first.
    let recert = format!(
        "form[action='/cohorts/{new_cohort}/publish']:has(input[name=slug][value=recert]) button"
    );
    click_through(&admin, &recert).await;
    assert!(body_text(&admin).await.contains(&th("recert_confirm_text")));
    j.check(&admin, "admin-recert-asks-first").await;
    admin.goto(&j.url(&format!("/cohorts/{new_cohort}"))).await;

    // Point 9: one new person invited into the cohort, named in the message.
    admin
        .type_into(&admin.find("#member-email").await, "somsri.m@poi.example")
        .await;
    admin
        .click(&admin.find("#members details summary").await)
        .await;
    admin
        .type_into(&admin.find("#member-name").await, "นางสาว สมศรี มีสุข")
        .await;
    admin
        .type_into(&admin.find("#member-office").await, "TH-50")
        .await;
    click_through(&admin, "#members form button[type=submit]").await;
    let said = flash_in_view(&admin).await;
    assert!(said.contains("นางสาว สมศรี มีสุข"), "{said}");
    assert_eq!(target_in_view(&admin).await, "members");
    j.check(&admin, "admin-person-invited").await;

    // Point 3: a credential suspended from the credentials page: the message names it, the
    // page opens at its row, and the badges differ in colour.
    let creds = api(
        &app,
        &admin_token,
        &format!("/api/v1/cohorts/{first}/credentials"),
    )
    .await;
    let active = creds
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "active" && c["scope"] == "product")
        .unwrap()
        .clone();
    let cid = active["id"].as_str().unwrap();
    admin.goto(&j.url("/admin/credentials")).await;
    // The list is paged on a phone (it was 10,730 px tall with every credential).
    let height = page_height(&admin).await;
    assert!(
        height < 7_500,
        "the credentials page is {height} px tall on a phone"
    );
    admin.find("nav.pager a[rel=next]").await;
    j.check(&admin, "admin-credentials").await;
    // The number from a certificate, typed into the search box, finds the credential.
    admin
        .type_into(&admin.find("#q").await, active["number"].as_str().unwrap())
        .await;
    click_through(&admin, "form.filters button[type=submit]").await;
    admin
        .click(&admin.find(&format!("#cred-{cid} summary")).await)
        .await;
    admin
        .type_into(
            &admin.find(&format!("#reason-{cid}")).await,
            "ตรวจพบข้อร้องเรียน",
        )
        .await;
    click_through(&admin, &format!("#cred-{cid} button[value=suspend]")).await;
    let said = flash_in_view(&admin).await;
    let named = format!(
        "{} · {}",
        active["number"].as_str().unwrap(),
        active["holder_name"].as_str().unwrap()
    );
    assert_eq!(
        said.trim(),
        th("credential_suspended_item").replace("{name}", &named)
    );
    assert_eq!(target_in_view(&admin).await, format!("cred-{cid}"));
    j.check(&admin, "admin-credential-suspended").await;
    let mut colours = vec![];
    for status in ["active", "suspended", "revoked"] {
        admin
            .goto(&j.url(&format!("/admin/credentials?status={status}")))
            .await;
        let c = admin
            .js(
                "var e = document.querySelector('.badge.status-' + arguments[0]);
                 return e ? getComputedStyle(e).backgroundColor : null;",
                json!([status]),
            )
            .await;
        colours.push(
            c.as_str()
                .unwrap_or_else(|| panic!("a {status} badge"))
                .to_string(),
        );
    }
    assert!(
        colours[0] != colours[1] && colours[1] != colours[2] && colours[0] != colours[2],
        "valid, suspended and revoked look different: {colours:?}"
    );

    // The admin's cohort page of forty trainees, on a phone: long lists folded, the progress
    // table one line per trainee (it was 22,600 px tall).
    admin.goto(&j.url(&format!("/cohorts/{first}"))).await;
    let height = page_height(&admin).await;
    assert!(
        height < 12_000,
        "the FY2565 cohort page is {height} px tall on a phone"
    );
    let row = admin
        .js(
            "var r = document.querySelector('#progress tbody tr'); return r.getBoundingClientRect().height;",
            json!([]),
        )
        .await
        .as_f64()
        .unwrap();
    assert!(row < 90.0, "a progress row is {row} px tall");
    // Point 8: the observation form's trainee is chosen with office and e-mail.
    let choice = admin
        .js(
            "return document.querySelector('#o_user option').textContent;",
            json!([]),
        )
        .await;
    let choice = choice.as_str().unwrap();
    assert!(
        choice.contains(" · ") && choice.contains("@poi.example") && !choice.contains("TH-"),
        "{choice}"
    );
    j.check(&admin, "admin-cohort-forty").await;

    // Point 8: people chosen with their office and e-mail.
    admin
        .goto(&j.url(&format!("/cohorts/{current}/recommend")))
        .await;
    assert!(body_text(&admin).await.contains("@poi.example"));
    j.check(&admin, "admin-recommend").await;
    // The decisions queue: yesterday's recommendation with its evidence (the criteria not yet
    // met said first), the recent decisions as short cards.
    admin.goto(&j.url("/admin/decisions")).await;
    let text = body_text(&admin).await;
    assert!(text.contains("(ตัวอย่าง)") && text.contains("✗"), "{text}");
    assert_eq!(
        admin.js("return window.scrollY;", json!([])).await,
        0,
        "the queue opens at its top (the evidence's warning is not a refused form)"
    );
    let height = page_height(&admin).await;
    assert!(
        height < 10_000,
        "the decisions page is {height} px tall on a phone"
    );
    j.check(&admin, "admin-decisions").await;
    // Point 11: a public page shows a signed-in admin signed in.
    admin.goto(&j.url("/register")).await;
    admin.find("form[action='/logout'] button").await;
    j.check(&admin, "admin-register-signed-in").await;
    admin.close().await;

    // ---- The instructor --------------------------------------------------------------------
    let instructor = driver.session(PHONE.0, PHONE.1).await;
    sign_in_with(&j, &instructor, &accounts.instructor, pw).await;
    j.check(&instructor, "instructor-dashboard").await;
    // Point 10: a held session: everyone present in one click, the check-in code.
    let sessions = api(
        &app,
        &admin_token,
        &format!("/api/v1/cohorts/{current}/sessions"),
    )
    .await;
    let held = sessions.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    instructor.goto(&j.url(&format!("/sessions/{held}"))).await;
    instructor.find("button[name=all][value=present]").await;
    // Point 8: people with their office by province and their e-mail, not an office code.
    let text = body_text(&instructor).await;
    assert!(
        text.contains("@poi.example") && !text.contains(" · TH-"),
        "{text}"
    );
    j.check(&instructor, "instructor-session").await;
    // Point 10: a session under way; the code on the room's screen turns by itself each
    // minute (the page fetches it again; nobody reloads).
    let live = crate::cohorts::session_now(&app, &admin_token, &current, -10, 120).await;
    let live = live["id"].as_str().unwrap();
    crate::helpers::align_to_minute(&app);
    let code_url = format!("/api/v1/sessions/{live}/checkin-code");
    let before = api(&app, &admin_token, &code_url).await["code"].clone();
    instructor.goto(&j.url(&format!("/sessions/{live}"))).await;
    let shown = instructor
        .js(
            "window.__stay = 1; return document.querySelector('[data-checkin-url]').textContent;",
            json!([]),
        )
        .await;
    assert_eq!(shown, before, "the current code on the page");
    assert!(body_text(&instructor)
        .await
        .contains(&th("checkin_code_help")));
    app.db.clock().advance(chrono::Duration::seconds(60));
    let after = api(&app, &admin_token, &code_url).await["code"].clone();
    assert_ne!(after, before, "a minute later the code is another");
    instructor
        .wait_for_within(
            &format!("document.querySelector('[data-checkin-url]').textContent === {after}"),
            "the next minute's code, without a reload",
            30,
        )
        .await;
    assert_eq!(
        instructor.js("return window.__stay;", json!([])).await,
        1,
        "the page was not reloaded"
    );
    j.check(&instructor, "instructor-checkin-code").await;
    // Point 5: item analysis in words, questions by their text.
    instructor
        .goto(&j.url(&format!("/cohorts/{first}/quizzes/q01/analytics")))
        .await;
    j.check(&instructor, "instructor-analytics").await;
    // Points 5 and 10: a module's history in words, and the diff folded to the change.
    let r = app
        .post_json(
            "/api/v1/modules/01-what-is-tis-s/revisions",
            Some(&admin_token),
            &json!({"title_th": "มอก. เอส คืออะไร", "title_en": "What is TIS-S",
                    "markdown_th": "# มอก. เอส\n\nบรรทัดหนึ่ง\n\nบรรทัดสอง\n\nบรรทัดสาม\n\nบรรทัดสี่\n\nบรรทัดห้า\n\nบรรทัดหก\n\nบรรทัดเจ็ด\n",
                    "markdown_en": "# TIS-S\n"}),
        )
        .await;
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    let second: Value = r.json().await.unwrap();
    let r = app
        .post_json(
            "/api/v1/modules/01-what-is-tis-s/revisions",
            Some(&admin_token),
            &json!({"title_th": "มอก. เอส คืออะไร", "title_en": "What is TIS-S",
                    "markdown_th": "# มอก. เอส\n\nบรรทัดหนึ่ง\n\nบรรทัดสอง\n\nบรรทัดสาม\n\nบรรทัดที่แก้\n\nบรรทัดห้า\n\nบรรทัดหก\n\nบรรทัดเจ็ด\n",
                    "markdown_en": "# TIS-S\n"}),
        )
        .await;
    let third: Value = r.json().await.unwrap();
    instructor
        .goto(&j.url("/modules/01-what-is-tis-s/edit"))
        .await;
    assert!(body_text(&instructor)
        .await
        .contains(&th("revision_source_file")));
    j.check(&instructor, "instructor-module-history").await;
    instructor
        .goto(&j.url(&format!(
            "/modules/01-what-is-tis-s/diff?from={}&to={}",
            second["id"].as_str().unwrap(),
            third["id"].as_str().unwrap()
        )))
        .await;
    let lines = instructor
        .js(
            "return [document.querySelectorAll('.dadd').length, document.querySelectorAll('.ddel').length,
                     document.querySelectorAll('.dsame').length, document.querySelectorAll('.dskip').length];",
            json!([]),
        )
        .await;
    assert_eq!(lines[0], 1, "one line added: {lines}");
    assert_eq!(lines[1], 1, "one line removed: {lines}");
    assert!(
        lines[2].as_i64().unwrap() <= 6,
        "three lines either side: {lines}"
    );
    assert!(lines[3].as_i64().unwrap() >= 1, "the rest folded: {lines}");
    j.check(&instructor, "instructor-diff").await;
    instructor.close().await;

    // ---- The trainee who has just joined ---------------------------------------------------
    let newcomer = driver.session(PHONE.0, PHONE.1).await;
    sign_in_with(&j, &newcomer, &accounts.trainee, pw).await;
    j.check(&newcomer, "newcomer-dashboard").await;
    // Point 2: what is left, scope by scope, with links; the attendance rule from day one.
    newcomer.goto(&j.url(&format!("/cohorts/{current}"))).await;
    let text = body_text(&newcomer).await;
    assert!(
        text.contains(&th("attendance_rule").replace("{pct}", "80")),
        "{text}"
    );
    let links = newcomer
        .js(
            "return document.querySelectorAll('#left a').length;",
            json!([]),
        )
        .await
        .as_i64()
        .unwrap();
    assert!(links >= 2, "what is left links to its items ({links})");
    j.check(&newcomer, "newcomer-cohort").await;
    // Point 7: marking a module read leads on to its quiz and the next module.
    newcomer
        .goto(&j.url(&format!("/cohorts/{current}/modules/01-what-is-tis-s")))
        .await;
    j.check(&newcomer, "newcomer-module").await;
    newcomer
        .click(
            &newcomer
                .find(&format!(
                    "form[action='/cohorts/{current}/modules/01-what-is-tis-s/complete'] button"
                ))
                .await,
        )
        .await;
    newcomer
        .wait_for("location.hash === '#next'", "the way on after reading")
        .await;
    let next = newcomer
        .js(
            "return Array.from(document.querySelectorAll('#next a')).map(function (a) { return a.getAttribute('href'); });",
            json!([]),
        )
        .await;
    let next: Vec<&str> = next
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h.as_str())
        .collect();
    assert!(
        next.iter().any(|h| h.ends_with("/quizzes/q01"))
            && next
                .iter()
                .any(|h| h.ends_with("/modules/02-certification-path")),
        "{next:?}"
    );
    j.check(&newcomer, "newcomer-module-read").await;
    newcomer.close().await;

    // ---- The trainee half-way ----------------------------------------------------------------
    let halfway = driver.session(PHONE.0, PHONE.1).await;
    sign_in_with(&j, &halfway, &accounts.trainee_halfway, pw).await;
    halfway.goto(&j.url(&format!("/cohorts/{current}"))).await;
    assert!(body_text(&halfway).await.contains(&th("left_title")));
    j.check(&halfway, "halfway-cohort").await;
    halfway.close().await;

    // ---- A visitor ---------------------------------------------------------------------------
    // Point 11: the number printed on the certificate, typed into the look-up box; an unknown
    // number says what to check.
    let visitor = driver.session(PHONE.0, PHONE.1).await;
    visitor.goto(&j.url("/verify")).await;
    j.check(&visitor, "visitor-verify-box").await;
    let renewed = creds
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["renews_id"].is_string() && c["status"] == "active")
        .unwrap();
    visitor
        .type_into(
            &visitor.find("#number").await,
            &format!("{}\u{E007}", renewed["number"].as_str().unwrap()),
        )
        .await;
    visitor
        .wait_for(
            "location.pathname.indexOf('/verify/') === 0",
            "the credential found",
        )
        .await;
    assert!(body_text(&visitor)
        .await
        .contains(renewed["number"].as_str().unwrap()));
    j.check(&visitor, "visitor-verified").await;
    visitor.goto(&j.url("/verify/TISI-S-2570-9999")).await;
    j.check(&visitor, "visitor-unknown-number").await;
    visitor.goto(&j.url("/register")).await;
    j.check(&visitor, "visitor-register").await;
    // Point 4's check itself: on the same page with Thai broken anywhere (the CSS habit the
    // issue met), it finds the words split across lines.
    visitor
        .js(
            "document.querySelectorAll('*').forEach(function (e) { e.style.wordBreak = 'break-all'; }); return 1;",
            json!([]),
        )
        .await;
    let split = visitor
        .js(crate::browser::THAI_WORDS_BROKEN, json!([]))
        .await;
    assert!(
        split.as_array().is_some_and(|a| !a.is_empty()),
        "the line-break check sees Thai broken anywhere: {split}"
    );
    visitor.close().await;

    // Point 12: a fresh install's front page says how to make the first admin for the
    // database it runs on, and that admin's dashboard lists first steps.
    let fresh = crate::helpers::spawn_app().await;
    let mut first_run = new_journey(&fresh, j.shots.join("first-run"));
    let s = driver.session(PHONE.0, PHONE.1).await;
    s.goto(&first_run.url("/")).await;
    assert!(body_text(&s).await.contains("academy admin create"));
    first_run.check(&s, "fresh-front-page").await;
    fresh
        .create_user(
            academy::accounts::model::Role::Admin,
            "first@example.org",
            "correct horse battery",
        )
        .await;
    sign_in_with(&first_run, &s, "first@example.org", "correct horse battery").await;
    let text = body_text(&s).await;
    assert!(
        text.contains(&th("first_step_cohort")) && text.contains(&th("first_step_people")),
        "{text}"
    );
    first_run.check(&s, "fresh-admin-first-steps").await;
    s.close().await;
    j.violations.extend(first_run.violations);

    assert!(
        j.violations.is_empty(),
        "findings (axe serious/critical, sideways scroll, internal codes):\n{:#?}",
        j.violations
    );
    eprintln!(
        "officer story on {}: screenshots in {}",
        backend_name(),
        j.shots.display()
    );
}
