//! Certification decisions that hold against insiders (issue 20): every issue of a credential
//! (direct, to all eligible, renewal, on a recommendation) is a decision by an admin who never
//! taught the cohort and did not recommend the person; teaching history survives removal.

use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::credentials::{cohort_with_trainees, make_eligible, Cohort};
use crate::helpers::{error_code, TestApp};

/// Adds a user to the cohort as an instructor (its staff).
pub async fn add_staff(app: &TestApp, c: &Cohort, user_id: impl AsRef<str>) {
    let user_id = user_id.as_ref();
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{}/members", c.cohort),
            Some(&c.admin),
            &json!({"user_id": user_id, "role": "instructor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
}

async fn remove(app: &TestApp, c: &Cohort, user_id: impl AsRef<str>) {
    let user_id = user_id.as_ref();
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/cohorts/{}/members/{user_id}", c.cohort)))
        .bearer_auth(&c.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn an_admin_who_teaches_the_cohort_cannot_issue_its_credentials_by_any_path() {
    let app = crate::helpers::spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    let (trainee_id, trainee) = c.trainees[0].clone();
    make_eligible(&app, &c, &trainee).await;
    let (teacher, teacher_token) = app
        .user_with_token(Role::Admin, "teaching-admin@example.org")
        .await;
    add_staff(&app, &c, &teacher.id).await;

    // Directly, with or without an override, and "to all eligible".
    for body in [
        json!({"cohort_id": c.cohort, "user_id": trainee_id, "scope": "product"}),
        json!({"cohort_id": c.cohort, "user_id": trainee_id, "scope": "product", "override_reason": "ผมสอนเอง รับรองได้"}),
    ] {
        let r = app
            .post_json("/api/v1/credentials", Some(&teacher_token), &body)
            .await;
        assert_eq!(error_code(r, 409).await, "not_independent");
    }
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/credentials/issue-eligible", c.cohort),
            Some(&teacher_token),
            &json!({"scope": "product"}),
        )
        .await;
    assert_eq!(error_code(r, 409).await, "not_independent");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM credentials").await,
        0,
        "nothing was issued"
    );

    // An independent admin issues; the issue is recorded as a decision with its rationale.
    let r = app
        .post_json(
            "/api/v1/credentials",
            Some(&c.admin),
            &json!({"cohort_id": c.cohort, "user_id": trainee_id, "scope": "product"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let cred: Value = r.json().await.unwrap();
    let decisions: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/decisions", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let d = decisions
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["credential_id"] == cred["id"])
        .expect("the issue is recorded as a decision");
    assert_eq!(d["outcome"], "grant");
    assert!(d["rationale"].as_str().unwrap().contains("eligible"), "{d}");
    // The teaching admin cannot renew it either (with an override that skips the path).
    let r = app
        .post_json(
            &format!("/api/v1/credentials/{}/renew", cred["id"].as_str().unwrap()),
            Some(&teacher_token),
            &json!({"reason": "ต่ออายุ", "override_reason": "สอนเองรู้ว่าเก่ง"}),
        )
        .await;
    assert_eq!(error_code(r, 409).await, "not_independent");
}

#[tokio::test]
async fn an_admin_removed_from_a_cohort_still_cannot_decide_for_it_and_the_removal_is_audited() {
    let app = crate::helpers::spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (trainee_id, trainee) = c.trainees[0].clone();
    make_eligible(&app, &c, &trainee).await;
    let (instructor, instructor_token) = app
        .user_with_token(Role::Instructor, "teacher@example.org")
        .await;
    add_staff(&app, &c, &instructor.id).await;
    let (former, former_token) = app
        .user_with_token(Role::Admin, "former-teacher@example.org")
        .await;
    add_staff(&app, &c, &former.id).await;
    remove(&app, &c, &former.id).await;
    assert_eq!(
        app.count(format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'member_removed' AND subject_id = '{}' AND details_json LIKE '%{}%'",
            c.cohort, former.id
        ))
        .await,
        1,
        "the removal is audited"
    );
    assert_eq!(
        app.count(format!(
            "SELECT COUNT(*) AS n FROM cohort_staff_history WHERE user_id = '{}' AND ended_at IS NOT NULL",
            former.id
        ))
        .await,
        1,
        "the teaching history is kept, dated"
    );

    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/recommendations", c.cohort),
            Some(&instructor_token),
            &json!({"user_id": trainee_id, "scope": "product", "rationale": "พร้อมแล้ว"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let rec: Value = r.json().await.unwrap();
    let decide = format!("/api/v1/decisions/{}/decide", rec["id"].as_str().unwrap());
    let grant =
        json!({"outcome": "grant", "rationale": "หลักฐานครบ", "conflict_of_interest": false});
    let r = app.post_json(&decide, Some(&former_token), &grant).await;
    assert_eq!(error_code(r, 409).await, "not_independent");
    let r = app
        .post_json(
            "/api/v1/credentials",
            Some(&former_token),
            &json!({"cohort_id": c.cohort, "user_id": trainee_id, "scope": "product"}),
        )
        .await;
    assert_eq!(error_code(r, 409).await, "not_independent");
    // The admin who never taught decides.
    let r = app.post_json(&decide, Some(&c.admin), &grant).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM credentials").await, 1);
}

#[tokio::test]
async fn an_admin_who_recommended_a_person_cannot_issue_to_them_directly() {
    let app = crate::helpers::spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (trainee_id, trainee) = c.trainees[0].clone();
    make_eligible(&app, &c, &trainee).await;
    let (_, recommender) = app
        .user_with_token(Role::Admin, "recommender@example.org")
        .await;
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/recommendations", c.cohort),
            Some(&recommender),
            &json!({"user_id": trainee_id, "scope": "product", "rationale": "พร้อมแล้ว"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .post_json(
            "/api/v1/credentials",
            Some(&recommender),
            &json!({"cohort_id": c.cohort, "user_id": trainee_id, "scope": "product"}),
        )
        .await;
    assert_eq!(error_code(r, 409).await, "not_independent");
}

#[tokio::test]
async fn the_decider_sees_results_attendance_earlier_credentials_and_a_warning_for_a_revocation() {
    let app = crate::helpers::spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (trainee_id, trainee) = c.trainees[0].clone();
    make_eligible(&app, &c, &trainee).await;
    // An earlier credential, revoked.
    let r = app
        .post_json(
            "/api/v1/credentials",
            Some(&c.admin),
            &json!({"cohort_id": c.cohort, "user_id": trainee_id, "scope": "service", "override_reason": "โครงการเดิม"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let earlier: Value = r.json().await.unwrap();
    let r = app
        .post_json(
            &format!(
                "/api/v1/credentials/{}/revoke",
                earlier["id"].as_str().unwrap()
            ),
            Some(&c.admin),
            &json!({"reason": "ปลอมเอกสารการฝึกภาคสนาม"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (instructor, instructor_token) = app
        .user_with_token(Role::Instructor, "teacher@example.org")
        .await;
    add_staff(&app, &c, &instructor.id).await;
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/recommendations", c.cohort),
            Some(&instructor_token),
            &json!({"user_id": trainee_id, "scope": "product", "rationale": "พร้อมแล้ว"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    app.create_user(Role::Admin, "decider@example.org", "correct horse battery")
        .await;
    let web = crate::web::sign_in(&app, "decider@example.org").await;
    let html = crate::web::page(&app, &web, "/admin/decisions").await;
    assert!(
        html.contains("คำเตือน: หนังสือรับรองฉบับก่อนของบุคคลนี้เคยถูกเพิกถอน"),
        "a warning for the revoked credential"
    );
    assert!(
        html.contains(earlier["number"].as_str().unwrap()),
        "the earlier credential"
    );
    assert!(
        html.contains("ปลอมเอกสารการฝึกภาคสนาม"),
        "its revocation reason"
    );
    assert!(
        html.contains("ผลแบบทดสอบ") && html.contains("100%"),
        "quiz results"
    );
    assert!(html.contains("การเข้าร่วม"), "attendance");
    // The same evidence as data.
    let e = app
        .db
        .run({
            let (cohort, user) = (c.cohort.clone(), trainee_id.clone());
            move |conn| {
                let course =
                    academy::course::loader::load_course(std::path::Path::new("course_content"))
                        .map_err(|p| academy::error::AppError::invalid(format!("{p:?}")))?;
                academy::governance::evidence(
                    conn,
                    &course,
                    &cohort.as_str().into(),
                    &user.as_str().into(),
                    "product",
                )
            }
        })
        .await
        .unwrap();
    assert!(e.warnings.contains(&"earlier_revoked"), "{:?}", e.warnings);
    assert!(
        !e.results.is_empty() && e.results.iter().all(|r| r.passed),
        "{:?}",
        e.results
    );
    assert_eq!(e.earlier_credentials.len(), 1);
}
