//! Written tasks through the pages a person uses (issue 24): the marker's queue, the marking
//! form and the conflict declaration on their own pages, the trainee's review, and an observed
//! assessment recorded from the cohort page. The API-level marking rules are in `marking.rs`.

use academy::quizzes::model::*;
use serde_json::{json, Value};

use crate::helpers::spawn_app;
use crate::marking::{answer_and_submit, case_study, instructor};
use crate::quizzes::setup;

#[tokio::test]
async fn a_marker_declares_a_conflict_on_the_queue_page_and_the_answer_leaves_the_queue() {
    use crate::web::{page, post_form, sign_in};
    let app = spawn_app().await;
    let s = setup(&app, case_study(ReviewPolicy::AfterSubmit)).await;
    let (a, _) = answer_and_submit(&app, &s).await;
    instructor(&app, &s, "page.conflict@example.org").await;
    let b = sign_in(&app, "page.conflict@example.org").await;
    let queue_path = format!("/cohorts/{}/marking", s.cohort);
    let conflicts_path = format!("/cohorts/{}/conflicts", s.cohort);
    let before = page(&app, &b, &queue_path).await;
    assert!(
        before.contains(&format!("/marking/{a}/finding")),
        "{before}"
    );
    assert!(before.contains(&conflicts_path), "{before}");
    // The form, on its own page, names the cohort's trainees (the queue names no one).
    let form = page(&app, &b, &conflicts_path).await;
    assert!(
        form.contains(&format!("<option value=\"{}\">", s.trainee_id)),
        "{form}"
    );
    // Each with the office by its province and the e-mail, not an office code (issue 22, 8).
    assert!(
        form.contains("เชียงใหม่") && !form.contains("TH-50"),
        "{form}"
    );
    let res = post_form(
        &app,
        &b,
        &conflicts_path,
        &conflicts_path,
        &[("user_id", &s.trainee_id), ("statement", "เป็นญาติ")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let after = page(&app, &b, &format!("{queue_path}?done=conflict_declared")).await;
    assert!(!after.contains(&format!("/marking/{a}/")), "{after}");
    assert!(after.contains("บันทึกการแจ้งแล้ว"), "{after}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'declare_conflict'")
            .await,
        1
    );
    // An empty statement is refused with a Thai page, and nothing is recorded.
    let res = post_form(
        &app,
        &b,
        &conflicts_path,
        &conflicts_path,
        &[("user_id", &s.trainee_id), ("statement", " ")],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'declare_conflict'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_written_task_is_written_marked_and_reviewed_through_the_pages() {
    use crate::web::{page, post_form, sign_in};
    let app = spawn_app().await;
    let s = setup(&app, case_study(ReviewPolicy::AfterSubmit)).await;
    instructor(&app, &s, "page.marker1@example.org").await;
    instructor(&app, &s, "page.marker2@example.org").await;
    let one = sign_in(&app, "page.marker1@example.org").await;
    let two = sign_in(&app, "page.marker2@example.org").await;
    let trainee = sign_in(&app, "trainee@example.org").await;

    // The trainee writes on the attempt page (the case rendered from Markdown, the rubric,
    // the word limit) and submits without script, through the summary.
    let started: Value = app
        .post_json(
            &format!("/api/v1/cohorts/{}/quizzes/case-study/attempts", s.cohort),
            Some(&s.trainee),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let a = started["attempt_id"].as_str().unwrap().to_string();
    let take = page(&app, &trainee, &format!("/attempts/{a}")).await;
    assert!(take.contains("<textarea id=\"f-finding\""), "{take}");
    assert!(take.contains("เกณฑ์ requirement"), "{take}");
    assert!(take.contains("ไม่เกิน 200 คำ"), "{take}");
    let res = post_form(
        &app,
        &trainee,
        &format!("/attempts/{a}/submit"),
        &format!("/attempts/{a}"),
        &[
            ("q:tf", "true"),
            ("q:finding", "ข้อกำหนด หลักฐาน สุ่ม 8 รุ่น ไม่มีบันทึก 3 รุ่น"),
            ("q:plan", "วัตถุประสงค์ ขอบข่าย เกณฑ์"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let pending = page(&app, &trainee, &format!("/attempts/{a}")).await;
    assert!(pending.contains("รอผลการตรวจข้อเขียน"), "{pending}");

    // The queue page names no one and links each answer.
    let queue_path = format!("/cohorts/{}/marking", s.cohort);
    let queue_page = page(&app, &one, &queue_path).await;
    assert!(!queue_page.contains("trainee@example.org"), "{queue_page}");
    let href = format!("/marking/{a}/finding");
    assert!(queue_page.contains(&href), "{queue_page}");
    // The marking page shows the answer and the rubric.
    let mark_page = page(&app, &one, &href).await;
    assert!(mark_page.contains("สุ่ม 8 รุ่น"), "{mark_page}");
    assert!(mark_page.contains("name=\"level:evidence\""), "{mark_page}");
    // A form missing a level comes back with the reason in Thai and the choice kept.
    let res = post_form(
        &app,
        &one,
        &href,
        &href,
        &[("level:requirement", "full"), ("comment", "ดี")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("โปรดเลือกระดับให้ครบทุกเกณฑ์"), "{body}");
    assert!(body.contains("value=\"full\" required checked"), "{body}");
    for (b, evidence) in [(&one, "all"), (&two, "some")] {
        let res = post_form(
            &app,
            b,
            &href,
            &href,
            &[
                ("level:requirement", "full"),
                ("level:evidence", evidence),
                ("comment", "ระบุข้อกำหนดและหลักฐานได้ชัด"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        let plan = format!("/marking/{a}/plan");
        let res = post_form(
            &app,
            b,
            &plan,
            &plan,
            &[("level:overall", "p4"), ("comment", "แผนครบถ้วน")],
        )
        .await;
        assert_eq!(res.status(), 303);
    }
    assert!(page(&app, &one, &queue_path)
        .await
        .contains("ไม่มีงานเขียนที่รอท่านตรวจ"));
    // 2 + (6 + 4) / 2 + 4 = 11 of 12: the trainee's result page shows the grade, each
    // marker's levels and comment, and no marker's name.
    let result = page(&app, &trainee, &format!("/attempts/{a}")).await;
    assert!(result.contains("ผ่าน — 92%"), "{result}");
    assert!(result.contains("ผู้ตรวจคนที่ 2"), "{result}");
    assert!(result.contains("ระบุข้อกำหนดและหลักฐานได้ชัด"), "{result}");
    assert!(result.contains("ระดับ some"), "{result}");
    assert!(!result.contains("page.marker1"), "{result}");
    // The analytics page shows how the two markers agreed, by name, in Thai.
    let stats = page(
        &app,
        &one,
        &format!("/cohorts/{}/quizzes/case-study/analytics", s.cohort),
    )
    .await;
    assert!(stats.contains("ความสอดคล้องของผู้ตรวจงานเขียน"), "{stats}");
    assert!(stats.contains("page.marker1@example.org"), "{stats}");
    assert!(!stats.contains("low_agreement"), "{stats}");
    // One answer marked by the pair: the figures, and in words that it is too early to judge;
    // the pooled row for each question comes first.
    assert!(stats.contains("คำตอบยังน้อย ยังไม่สรุป"), "{stats}");
    assert!(stats.contains("ผู้ตรวจทุกคน"), "{stats}");
    assert!(!stats.contains("ความสอดคล้องต่ำ</span>"), "{stats}");
}

#[tokio::test]
async fn an_observed_assessment_is_recorded_from_the_cohort_page() {
    use crate::web::{page, post_form, sign_in};
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let b = sign_in(&app, "admin@example.org").await;
    let path = format!("/cohorts/{}", c.cohort);
    let before = page(&app, &b, &path).await;
    assert!(
        before.contains("ยังไม่มีการบันทึกการสังเกตการตรวจประเมินร่วม"),
        "{before}"
    );
    let res = post_form(
        &app,
        &b,
        &format!("/cohorts/{}/observations", c.cohort),
        &path,
        &[
            ("user_id", c.trainees[0].0.as_str()),
            ("scope", "product"),
            ("observed_on", "๑๔/๐๓/๒๕๖๕"),
            ("business", "วิสาหกิจชุมชนผ้าทอ บ้านนาต้นจั่น"),
            ("competence", "principles"),
            ("competence", "planning"),
            ("outcome", "competent"),
            ("notes", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let list: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/observations", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let o = &list[0];
    // Thai digits and a Buddhist-era year: 14 March 2022.
    assert_eq!(o["observed_on"], "2022-03-14", "{list}");
    assert_eq!(o["competences"], json!(["principles", "planning"]));
    let after = page(&app, &b, &path).await;
    assert!(after.contains("วิสาหกิจชุมชนผ้าทอ บ้านนาต้นจั่น"), "{after}");
    assert!(after.contains("มีความสามารถ"), "{after}");
    assert!(after.contains("14 มี.ค. 2565"), "{after}");
}
