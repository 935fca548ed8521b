//! Quizzes taken through the pages in real headless Chromium, on phones: every shipped quiz
//! (every question kind, a dropped connection while answering), and the written task from
//! writing through blind marking and moderation to the trainee's review. The page checks
//! (injected script, axe-core, sideways scroll, internal codes, screenshots) are the browser
//! story's (`browser.rs`).

use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::browser::{answer, body_text, new_journey, sign_in, submit_through_summary, PHONE};
use crate::helpers::{backend_name, spawn_app};
use crate::webdriver::{available, Driver};

/// Every shipped module quiz, the recertification quiz and the final exam, taken through the
/// page on a phone by clicking, every question kind answered the way a person would, with
/// the network dropped while answering a matching question; each ends through the summary
/// with a pass and a next step.
#[tokio::test]
async fn every_shipped_quiz_is_taken_and_passed_through_the_page_on_a_phone() {
    if !available("every-quiz story") {
        return;
    }
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    crate::integrity::publish_recert(&app, &c).await;
    let trainee = c.trainees[0].1.clone();
    let mut modules = crate::integrity::EXAM_MODULES.to_vec();
    modules.extend(["06-tis-s-services", "07-recertification-refresher"]);
    crate::credentials::complete(&app, &c, &trainee, &modules, &[]).await;
    // Beside the whole story's folder, which that test empties when it starts.
    let mut j = new_journey(
        &app,
        std::path::PathBuf::from("target/browser").join(format!("{}-every-quiz", backend_name())),
    );
    let driver = Driver::start().await;
    let phone = driver.session(PHONE.0, PHONE.1).await;
    sign_in(&j, &phone, "trainee0@example.org").await;
    let mut kinds = std::collections::BTreeSet::new();
    let mut offline_done = false;
    for slug in [
        "q01",
        "q02",
        "q03",
        "q04",
        "q05",
        "q06",
        "recert",
        "final-exam",
    ] {
        phone
            .goto(&j.url(&format!("/cohorts/{}/quizzes/{slug}", c.cohort)))
            .await;
        phone
            .click(&phone.find("form[action$='/start'] button").await)
            .await;
        phone
            .wait_for("document.getElementById('quiz') !== null", "the quiz form")
            .await;
        let attempt_id = phone.url().await.rsplit('/').next().unwrap().to_string();
        // The answers, from the shipped quiz file (not from the key the server gives staff).
        let items = crate::credentials::answers_from_files(&app, &trainee, &attempt_id).await;
        let saved = |qid: &str| {
            format!(
                "document.querySelector(\"fieldset[data-qid='{qid}'] .save-state.saved\") !== null"
            )
        };
        for (qid, shown_kind, value) in &items {
            let qid = qid.as_str();
            let kind = phone
                .js(
                    "return document.querySelector(\"fieldset[data-qid='\" + arguments[0] + \"']\").dataset.kind;",
                    json!([qid]),
                )
                .await;
            let kind = kind.as_str().unwrap().to_string();
            assert_eq!(
                &kind, shown_kind,
                "{qid}: the page and the API agree on the kind"
            );
            kinds.insert(kind.clone());
            if kind == "matching" && !offline_done {
                // The network drops while a matching question is answered; the answers are
                // kept and saved once it is back.
                phone.set_offline(true).await;
                answer(&phone, qid, &kind, value).await;
                phone
                    .wait_for(
                        &format!("document.querySelector(\"fieldset[data-qid='{qid}'] .save-state.offline\") !== null"),
                        "the offline notice on a matching question",
                    )
                    .await;
                let held: Value = app
                    .get(&format!("/api/v1/attempts/{attempt_id}"), Some(&c.admin))
                    .await
                    .json()
                    .await
                    .unwrap();
                assert!(held["answers"].get(qid).is_none(), "saved while offline");
                std::fs::write(
                    j.shots.join("matching-offline-phone.png"),
                    phone.screenshot().await,
                )
                .unwrap();
                phone.set_offline(false).await;
                phone
                    .wait_for(&saved(qid), "the retried matching autosave")
                    .await;
                offline_done = true;
            } else {
                answer(&phone, qid, &kind, value).await;
                phone.wait_for(&saved(qid), "an autosave").await;
            }
        }
        if slug == "q02" {
            j.check(&phone, "quiz-with-matching").await;
        }
        submit_through_summary(&mut j, &phone, (slug == "q01").then_some("quiz-summary")).await;
        let result = body_text(&phone).await;
        assert!(
            result.contains("ผ่าน") && result.contains("100%"),
            "{slug}: {result}"
        );
        let state: Value = app
            .get(&format!("/api/v1/attempts/{attempt_id}"), Some(&c.admin))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(state["result"]["passed"], true, "{slug}");
        if slug == "q01" || slug == "final-exam" {
            j.check(&phone, &format!("result-{slug}")).await;
        }
    }
    assert!(offline_done, "no shipped quiz had a matching question");
    for kind in [
        "single",
        "multiple",
        "true_false",
        "short_text",
        "numeric",
        "matching",
    ] {
        assert!(
            kinds.contains(kind),
            "no {kind} question was answered on the page"
        );
    }
    phone.close().await;
    assert!(
        j.violations.is_empty(),
        "serious or critical accessibility violations:\n{:#?}",
        j.violations
    );
}

/// Written tasks end to end on phones (issue 24): the trainee writes the shipped written
/// assessment, the network dropping while the first answer is typed; two instructors mark on
/// their phones without seeing who wrote it, far apart; an admin moderates; once the quiz is
/// closed the trainee reads every marker's levels and comments.
#[tokio::test]
async fn a_written_task_is_written_offline_marked_on_two_phones_moderated_and_reviewed() {
    if !available("written-task story") {
        return;
    }
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let trainee = c.trainees[0].1.clone();
    crate::credentials::complete(
        &app,
        &c,
        &trainee,
        &crate::integrity::EXAM_MODULES,
        &["q01", "q02", "q03", "q04", "q05"],
    )
    .await;
    for email in ["marker1@example.org", "marker2@example.org"] {
        let (u, _) = app.user_with_token(Role::Instructor, email).await;
        let res = app
            .post_json(
                &format!("/api/v1/cohorts/{}/members", c.cohort),
                Some(&c.admin),
                &json!({"user_id": u.id, "role": "instructor"}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let mut j = new_journey(
        &app,
        std::path::PathBuf::from("target/browser").join(format!("{}-written", backend_name())),
    );
    let driver = Driver::start().await;

    // 1. The trainee writes on a phone.
    let phone = driver.session(PHONE.0, PHONE.1).await;
    sign_in(&j, &phone, "trainee0@example.org").await;
    phone
        .goto(&j.url(&format!("/cohorts/{}/quizzes/final-written", c.cohort)))
        .await;
    phone
        .click(&phone.find("form[action$='/start'] button").await)
        .await;
    phone
        .wait_for(
            "document.getElementById('quiz') !== null",
            "the written task",
        )
        .await;
    let attempt_id = phone.url().await.rsplit('/').next().unwrap().to_string();
    j.check(&phone, "written-task").await;
    let ids = phone
        .js(
            "return Array.from(document.querySelectorAll('fieldset[data-kind=essay]')).map(function (f) { return f.dataset.qid; });",
            json!([]),
        )
        .await;
    let ids: Vec<String> = ids
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 2, "{ids:?}");
    for (n, qid) in ids.iter().enumerate() {
        let fs = format!("fieldset[data-qid='{qid}']");
        let text = format!(
            "ข้อกำหนด: ข้อ [เลขข้อ] หลักฐาน: สุ่มตัวอย่าง 8 รายการ พบไม่มีบันทึก 3 รายการ (คำตอบที่ {})",
            n + 1
        );
        let area = phone.find(&format!("{fs} textarea")).await;
        if n == 0 {
            // The network drops while the trainee writes: the text is kept and saved once it
            // is back.
            phone.set_offline(true).await;
            phone.type_into(&area, &text).await;
            phone
                .wait_for(
                    &format!("document.querySelector(\"{fs} .save-state.offline\") !== null"),
                    "the offline notice while writing",
                )
                .await;
            let held: Value = app
                .get(&format!("/api/v1/attempts/{attempt_id}"), Some(&c.admin))
                .await
                .json()
                .await
                .unwrap();
            assert!(held["answers"].get(qid).is_none(), "saved while offline");
            std::fs::write(
                j.shots.join("written-offline-phone.png"),
                phone.screenshot().await,
            )
            .unwrap();
            phone.set_offline(false).await;
        } else {
            phone.type_into(&area, &text).await;
        }
        phone
            .wait_for(
                &format!("document.querySelector(\"{fs} .save-state.saved\") !== null"),
                "the autosave of a written answer",
            )
            .await;
        let saved: Value = app
            .get(&format!("/api/v1/attempts/{attempt_id}"), Some(&c.admin))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(saved["answers"][qid], text.as_str());
    }
    submit_through_summary(&mut j, &phone, Some("written-summary")).await;
    assert!(body_text(&phone).await.contains("รอผลการตรวจข้อเขียน"));
    j.check(&phone, "written-pending").await;
    phone.close().await;

    // 2. Two instructors mark on their phones: one gives every top level, the other every
    // lowest, so each answer goes to moderation.
    for (email, pick) in [
        ("marker1@example.org", "last"),
        ("marker2@example.org", "first"),
    ] {
        let s = driver.session(PHONE.0, PHONE.1).await;
        sign_in(&j, &s, email).await;
        s.goto(&j.url(&format!("/cohorts/{}/marking", c.cohort)))
            .await;
        let queue = body_text(&s).await;
        assert!(!queue.contains("trainee0"), "{queue}");
        if pick == "last" {
            j.check(&s, "marking-queue").await;
        }
        for (n, _) in ids.iter().enumerate() {
            s.click(&s.find(".marking-list a.button").await).await;
            s.wait_for(
                "document.querySelector('form.mark-form') !== null",
                "the marking page",
            )
            .await;
            if pick == "last" && n == 0 {
                j.check(&s, "marking-answer").await;
            }
            let criteria = s
                .js(
                    "return document.querySelectorAll('form.mark-form fieldset.criterion').length;",
                    json!([]),
                )
                .await
                .as_u64()
                .unwrap();
            for k in 1..=criteria {
                s.click(
                    &s.find(&format!(
                        "form.mark-form fieldset.criterion:nth-of-type({k}) label.level:{pick}-of-type input"
                    ))
                    .await,
                )
                .await;
            }
            let comment = s.find("#comment").await;
            let who = if pick == "last" { "ก" } else { "ข" };
            s.type_into(&comment, &format!("ความเห็นของผู้ตรวจ {who}"))
                .await;
            s.click(&s.find("form.mark-form button[type=submit]").await)
                .await;
            s.wait_for(
                "location.pathname.endsWith('/marking')",
                "the queue after a mark",
            )
            .await;
        }
        assert!(body_text(&s).await.contains("ไม่มีงานเขียนที่รอท่านตรวจ"));
        s.close().await;
    }

    // 3. An admin moderates: the markers' marks are shown, not their names.
    let admin = driver.session(PHONE.0, PHONE.1).await;
    sign_in(&j, &admin, "admin@example.org").await;
    admin
        .goto(&j.url(&format!("/cohorts/{}/marking", c.cohort)))
        .await;
    assert!(body_text(&admin).await.contains("รอผู้ตัดสิน"));
    for (n, _) in ids.iter().enumerate() {
        admin
            .click(&admin.find(".marking-list a.button").await)
            .await;
        admin
            .wait_for(
                "document.querySelector('form.mark-form') !== null",
                "the moderation page",
            )
            .await;
        let text = body_text(&admin).await;
        assert!(text.contains("คะแนนจากผู้ตรวจ"), "{text}");
        assert!(!text.contains("marker1@"), "{text}");
        if n == 0 {
            j.check(&admin, "moderation").await;
        }
        let criteria = admin
            .js(
                "return document.querySelectorAll('form.mark-form fieldset.criterion').length;",
                json!([]),
            )
            .await
            .as_u64()
            .unwrap();
        for k in 1..=criteria {
            admin
                .click(
                    &admin
                        .find(&format!(
                            "form.mark-form fieldset.criterion:nth-of-type({k}) label.level:last-of-type input"
                        ))
                        .await,
                )
                .await;
        }
        let comment = admin.find("#comment").await;
        admin.type_into(&comment, "ผู้ตัดสิน: คำตอบครบทุกเกณฑ์").await;
        admin
            .click(&admin.find("form.mark-form button[type=submit]").await)
            .await;
        admin
            .wait_for(
                "location.pathname.endsWith('/marking')",
                "the queue after moderating",
            )
            .await;
    }
    admin.close().await;
    let graded: Value = app
        .get(&format!("/api/v1/attempts/{attempt_id}"), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(graded["result"]["marking"], "complete", "{graded}");
    assert_eq!(graded["result"]["passed"], true, "{graded}");

    // 4. The quiz reviews after it closes: the cohort closes, the trainee reads the marks.
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/cohorts/{}", c.cohort)))
        .bearer_auth(&c.admin)
        .json(&json!({"status": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let phone = driver.session(PHONE.0, PHONE.1).await;
    sign_in(&j, &phone, "trainee0@example.org").await;
    phone.goto(&j.url(&format!("/attempts/{attempt_id}"))).await;
    let review = body_text(&phone).await;
    for expected in [
        "ผ่าน",
        "ผู้ตรวจคนที่ 1",
        "ผู้ตรวจคนที่ 2",
        "ผู้ตัดสิน",
        "ความเห็นของผู้ตรวจ ก",
        "ความเห็นของผู้ตรวจ ข",
        "ผู้ตัดสิน: คำตอบครบทุกเกณฑ์",
    ] {
        assert!(review.contains(expected), "{expected}: {review}");
    }
    // The levels each marker chose, in the rubric's words (read from the shipped file): the
    // first criterion's top level (marker 1, the moderator) and its lowest (marker 2).
    let file: toml::Value = toml::from_str(
        &std::fs::read_to_string("course_content/quizzes/final-written.toml").unwrap(),
    )
    .unwrap();
    let levels = file["questions"][0]["rubric"][0]["levels"]
        .as_array()
        .unwrap();
    for level in [&levels[0], levels.last().unwrap()] {
        let text: String = level["text_th"]
            .as_str()
            .unwrap()
            .chars()
            .take(40)
            .collect();
        assert!(review.contains(&text), "level {text}: {review}");
    }
    j.check(&phone, "written-review").await;
    phone.close().await;
    assert!(
        j.violations.is_empty(),
        "serious or critical accessibility violations:\n{:#?}",
        j.violations
    );
}
