//! Certification governance: independent decisions, conflict-of-interest declarations, appeals
//! end to end, and scheme versions that never rewrite what a credential was granted under.

use std::path::Path;

use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::credentials::{cohort_with_trainees, make_eligible, Cohort};
use crate::helpers::{error_code, fresh_database, spawn_with, test_settings, TestApp};

async fn add_instructor(app: &TestApp, c: &Cohort, email: &str, role: Role) -> (String, String) {
    let (u, token) = app.user_with_token(role, email).await;
    crate::independence::add_staff(app, c, &u.id).await;
    (u.id.into(), token)
}

async fn recommend(app: &TestApp, c: &Cohort, by: &str, user_id: &str) -> Value {
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{}/recommendations", c.cohort),
            Some(by),
            &json!({"user_id": user_id, "scope": "product", "rationale": "ผ่านทุกบทและการสอบประมวลความรู้ สังเกตการฝึกภาคสนามแล้ว"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

fn grant(conflict: bool) -> Value {
    json!({"outcome": "grant", "rationale": "หลักฐานครบตามโครงการรับรอง ฉบับที่ 1", "conflict_of_interest": conflict,
           "conflict_statement": "ผู้เข้าอบรมเป็นญาติของข้าพเจ้า"})
}

#[tokio::test]
async fn only_an_admin_who_did_not_teach_the_cohort_decides_and_the_rationale_is_audited() {
    let app = crate::helpers::spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (trainee_id, trainee) = c.trainees[0].clone();
    make_eligible(&app, &c, &trainee).await;
    let (_, instructor) = add_instructor(&app, &c, "teacher@example.org", Role::Instructor).await;
    // An admin who also teaches this cohort.
    let (_, teaching_admin) =
        add_instructor(&app, &c, "teaching-admin@example.org", Role::Admin).await;
    let rec = recommend(&app, &c, &instructor, &trainee_id).await;
    let decide = format!("/api/v1/decisions/{}/decide", rec["id"].as_str().unwrap());

    // Trainees and instructors cannot decide at all.
    assert_eq!(
        app.post_json(&decide, Some(&instructor), &grant(false))
            .await
            .status(),
        403
    );
    // The admin who taught the cohort is refused, and nothing is issued.
    let res = app
        .post_json(&decide, Some(&teaching_admin), &grant(false))
        .await;
    assert_eq!(error_code(res, 409).await, "not_independent");
    // A decision needs the decider's conflict-of-interest declaration.
    let mut undeclared = grant(false);
    undeclared
        .as_object_mut()
        .unwrap()
        .remove("conflict_of_interest");
    let res = app.post_json(&decide, Some(&c.admin), &undeclared).await;
    assert_eq!(error_code(res, 422).await, "invalid_input");
    // An admin declaring a conflict is refused and the declaration is kept.
    let (_, related_admin) = app
        .user_with_token(Role::Admin, "related@example.org")
        .await;
    let res = app
        .post_json(&decide, Some(&related_admin), &grant(true))
        .await;
    assert_eq!(error_code(res, 409).await, "conflict_of_interest");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM coi_declarations")
            .await,
        1
    );
    let creds: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{}/credentials", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(creds.is_empty(), "no credential from a refused decision");

    // An independent admin grants: the credential is issued and the rationale stored.
    let res = app.post_json(&decide, Some(&c.admin), &grant(false)).await;
    assert_eq!(res.status(), 200);
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["outcome"], "grant");
    let cred_id = d["credential_id"].as_str().unwrap();
    let v: Value = app
        .get(&format!("/api/v1/verify/{cred_id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "active");
    let listed: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{}/decisions", c.cohort),
            Some(&instructor),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["rationale"], "หลักฐานครบตามโครงการรับรอง ฉบับที่ 1");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'decide' AND details_json LIKE '%ฉบับที่ 1%'").await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('recommend', 'declare_conflict')"
        )
        .await,
        2
    );
    // Decided once only.
    let res = app.post_json(&decide, Some(&c.admin), &grant(false)).await;
    assert_eq!(error_code(res, 409).await, "already_decided");
    // The admin who recommends cannot decide their own recommendation.
    let (other_id, _): (String, String) = {
        let (u, t) = app
            .user_with_token(Role::Trainee, "second@example.org")
            .await;
        let code: Value = app
            .get(&format!("/api/v1/cohorts/{}", c.cohort), Some(&c.admin))
            .await
            .json()
            .await
            .unwrap();
        let r = app
            .post_json(
                "/api/v1/cohorts/join",
                Some(&t),
                &json!({"join_code": code["join_code"]}),
            )
            .await;
        assert_eq!(r.status(), 201);
        (u.id.into(), t)
    };
    let own = recommend(&app, &c, &c.admin, &other_id).await;
    let res = app
        .post_json(
            &format!("/api/v1/decisions/{}/decide", own["id"].as_str().unwrap()),
            Some(&c.admin),
            &json!({"outcome": "refuse", "rationale": "ยังไม่ครบ", "conflict_of_interest": false}),
        )
        .await;
    assert_eq!(error_code(res, 409).await, "not_independent");
}

#[tokio::test]
async fn an_appeal_is_filed_reviewed_by_someone_else_and_its_outcome_emailed() {
    let app = crate::helpers::spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    let (_, trainee) = c.trainees[0].clone();
    let (_, other_trainee) = c.trainees[1].clone();
    let (_, teaching_admin) =
        add_instructor(&app, &c, "teaching-admin@example.org", Role::Admin).await;
    // The trainee takes quiz 1 and submits with no answers: a failed result to appeal.
    let started: Value = app
        .post_json(
            &format!("/api/v1/cohorts/{}/quizzes/q01/attempts", c.cohort),
            Some(&trainee),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let attempt = started["attempt_id"].as_str().unwrap();
    let r: Value = app
        .post_json(
            &format!("/api/v1/attempts/{attempt}/submit"),
            Some(&trainee),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["passed"], false);
    // Someone else's attempt cannot be appealed (404), nor without grounds (422).
    let body = json!({"subject_type": "attempt", "subject_id": attempt, "grounds": "ระบบตัดการเชื่อมต่อระหว่างสอบ คำตอบจึงไม่ถูกบันทึก"});
    let res = app
        .post_json("/api/v1/appeals", Some(&other_trainee), &body)
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .post_json(
            "/api/v1/appeals",
            Some(&trainee),
            &json!({"subject_type": "attempt", "subject_id": attempt, "grounds": "  "}),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "invalid_input");
    // Filed, with a deadline for the reviewer; one open appeal per result.
    let res = app
        .post_json("/api/v1/appeals", Some(&trainee), &body)
        .await;
    assert_eq!(res.status(), 201);
    let appeal: Value = res.json().await.unwrap();
    assert_eq!(appeal["status"], "open");
    let filed = chrono::DateTime::parse_from_rfc3339(appeal["filed_at"].as_str().unwrap())
        .unwrap()
        .naive_utc();
    let due = chrono::DateTime::parse_from_rfc3339(appeal["respond_by"].as_str().unwrap())
        .unwrap()
        .naive_utc();
    assert_eq!((due - filed).num_days(), 30);
    let res = app
        .post_json("/api/v1/appeals", Some(&trainee), &body)
        .await;
    assert_eq!(error_code(res, 409).await, "appeal_open");
    // The other trainee does not see it; the admin does.
    let theirs: Vec<Value> = app
        .get("/api/v1/appeals", Some(&other_trainee))
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());
    let all: Vec<Value> = app
        .get("/api/v1/appeals", Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    // A reviewer who teaches the cohort (and so took part in the result) is refused.
    let decide = format!("/api/v1/appeals/{}/decide", appeal["id"].as_str().unwrap());
    let outcome =
        json!({"outcome": "upheld", "rationale": "บันทึกของระบบยืนยันว่าการเชื่อมต่อขาดหาย จะเปิดให้สอบใหม่"});
    let res = app
        .post_json(&decide, Some(&teaching_admin), &outcome)
        .await;
    assert_eq!(error_code(res, 409).await, "not_independent");
    let res = app.post_json(&decide, Some(&trainee), &outcome).await;
    assert_eq!(res.status(), 403);
    // An independent reviewer decides; the trainee is e-mailed the outcome.
    let res = app.post_json(&decide, Some(&c.admin), &outcome).await;
    assert_eq!(res.status(), 200);
    let done: Value = res.json().await.unwrap();
    assert_eq!(
        (done["status"].as_str(), done["outcome"].as_str()),
        (Some("decided"), Some("upheld"))
    );
    let mail = app
        .last_mail_context("trainee0@example.org", "appeal_outcome")
        .await;
    assert_eq!(mail["upheld"], true);
    assert!(mail["rationale"].as_str().unwrap().contains("เปิดให้สอบใหม่"));
    // The mail really leaves: the worker hands this very mail to the transport. It is found by
    // its Message-ID, which carries the outbox row's id (any mail with a Subject to the trainee
    // used to count; issue 28).
    let outbox_id = app
        .db
        .run(|conn| {
            Ok(academy::email::store::list(conn, None, 1000)?
                .into_iter()
                .find(|r| r.to_email == "trainee0@example.org" && r.template == "appeal_outcome")
                .map(|r| r.id))
        })
        .await
        .unwrap()
        .expect("the appeal outcome mail is queued");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let sent = app.mailer.captured().into_iter().any(|m| {
            m.to.iter().any(|t| t.contains("trainee0@example.org"))
                && m.raw.contains(&format!("Message-ID: <{outbox_id}@"))
        });
        if sent {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the appeal outcome mail was not sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mine: Vec<Value> = app
        .get("/api/v1/appeals", Some(&trainee))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["outcome"], "upheld");
    // Decided once.
    let res = app.post_json(&decide, Some(&c.admin), &outcome).await;
    assert_eq!(error_code(res, 409).await, "already_decided");
}

async fn issue_to(app: &TestApp, c: &Cohort, user: &str) -> Value {
    let body = json!({"cohort_id": c.cohort, "user_id": user, "scope": "product", "override_reason": "scheme test"});
    let res = app
        .post_json("/api/v1/credentials", Some(&c.admin), &body)
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn a_credential_granted_under_scheme_v1_still_shows_v1_after_the_scheme_moves_to_v2() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_dir(Path::new("course_content"), &content);
    let (db_url, pg) = fresh_database(dir.path());
    let mut settings = test_settings(dir.path(), db_url);
    settings.content_dir = content.clone();
    let app = spawn_with(settings.clone(), tempfile::tempdir().unwrap(), pg).await;
    let c = cohort_with_trainees(&app, 2).await;
    let first = issue_to(&app, &c, &c.trainees[0].0).await;
    let first_id = first["id"].as_str().unwrap().to_string();
    let v1: Value = app
        .get(&format!("/api/v1/verify/{first_id}"), None)
        .await
        .json()
        .await
        .unwrap();
    let shipped = v1["credential"]["scheme_version"].as_i64().unwrap();
    assert!(shipped >= 1);
    let base_url = settings.base_url.clone();
    let (mut settings, keep, pg) = app.stop().await;
    settings.base_url = base_url;

    // The exam's pass mark is part of the scheme too: raised without a new version, refused.
    let exam = content.join("quizzes/final-exam.toml");
    let exam_text = std::fs::read_to_string(&exam).unwrap();
    let stricter = exam_text.replacen("pass_percent = 70", "pass_percent = 75", 1);
    assert_ne!(stricter, exam_text);
    std::fs::write(&exam, &stricter).unwrap();
    let err = academy::startup::Application::build(settings.clone())
        .await
        .err()
        .expect("a changed pass mark with the same scheme version is refused");
    assert!(
        format!("{err:#}").contains(&format!("version is still {shipped}")),
        "{err:#}"
    );
    std::fs::write(&exam, &exam_text).unwrap();

    // The scheme changes (24-month validity) but keeps its version: the service refuses to start.
    let programme = content.join("programme.toml");
    let original = std::fs::read_to_string(&programme).unwrap();
    let changed = original.replacen("validity_months = 36", "validity_months = 24", 1);
    assert_ne!(changed, original);
    std::fs::write(&programme, &changed).unwrap();
    let err = academy::startup::Application::build(settings.clone())
        .await
        .err()
        .expect("a changed scheme with the same version is refused");
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&format!("version is still {shipped}"))
            && msg.contains(&format!("version = {}", shipped + 1)),
        "{msg}"
    );

    // With the next version it starts; the old credential keeps its version and its dates.
    std::fs::write(
        &programme,
        changed.replacen(
            &format!("version = {shipped}"),
            &format!("version = {}", shipped + 1),
            1,
        ),
    )
    .unwrap();
    let app = spawn_with(settings, keep, pg).await;
    let versions: Vec<Value> = app
        .get("/api/v1/scheme/versions", None)
        .await
        .json()
        .await
        .unwrap();
    let nums: Vec<i64> = versions
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(nums, [shipped + 1, shipped]);
    assert_eq!(
        versions[1]["definition"]["scopes"][0]["validity_months"], 36,
        "v1 is kept as it was"
    );
    assert_eq!(
        versions[0]["definition"]["scopes"][0]["validity_months"],
        24
    );
    let still: Value = app
        .get(&format!("/api/v1/verify/{first_id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["credential"]["scheme_version"], shipped);
    assert_eq!(
        still["credential"]["valid_until"],
        v1["credential"]["valid_until"]
    );
    assert_eq!(still["status"], "active");
    // A credential granted now is granted under the new version, with its rules.
    let second = issue_to(&app, &c, &c.trainees[1].0).await;
    let v2: Value = app
        .get(
            &format!("/api/v1/verify/{}", second["id"].as_str().unwrap()),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v2["credential"]["scheme_version"], shipped + 1);
    let from =
        chrono::DateTime::parse_from_rfc3339(v2["credential"]["valid_from"].as_str().unwrap())
            .unwrap()
            .naive_utc();
    let until =
        chrono::DateTime::parse_from_rfc3339(v2["credential"]["valid_until"].as_str().unwrap())
            .unwrap()
            .naive_utc();
    let months = (until - from).num_days();
    assert!(
        (725..=735).contains(&months),
        "24 months under v2: {months} days"
    );
}

#[tokio::test]
async fn a_persons_record_is_signed_and_their_identity_is_erased_keeping_the_evidence() {
    let app = crate::helpers::spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    let (trainee_id, trainee) = c.trainees[0].clone();
    let (_, other) = c.trainees[1].clone();
    let cred = issue_to(&app, &c, &trainee_id).await;
    let cred_id = cred["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/users/{trainee_id}/certification-record");
    // Someone else's record is not there for another trainee.
    assert_eq!(app.get(&path, Some(&other)).await.status(), 404);
    // The person's own export: identity, credentials, audit trail, retention rules, signed.
    let res = app.get(&path, Some(&trainee)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let record = &body["record"];
    assert_eq!(record["person"]["email"], "trainee0@example.org");
    assert_eq!(record["credentials"][0]["id"], cred_id.as_str());
    assert!(record["audit_trail"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "issue"));
    assert!(!record["retention"].as_array().unwrap().is_empty());
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .get("/.well-known/jwks.json", None)
        .await
        .json()
        .await
        .unwrap();
    let jws = body["signed"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(jws).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let verified = jsonwebtoken::decode::<Value>(jws, &key, &validation).unwrap();
    assert_eq!(
        &verified.claims, record,
        "the signature covers exactly the record"
    );
    // One changed byte of the payload and the signature fails.
    let mut parts: Vec<String> = jws.split('.').map(str::to_string).collect();
    let mut payload = parts[1].clone().into_bytes();
    payload[10] = if payload[10] == b'A' { b'B' } else { b'A' };
    parts[1] = String::from_utf8(payload).unwrap();
    assert!(jsonwebtoken::decode::<Value>(&parts.join("."), &key, &validation).is_err());

    // Erasure is refused while the register must name the person.
    let erase = format!("/api/v1/users/{trainee_id}/erase");
    let why = json!({"reason": "คำขอลบข้อมูลตาม พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล"});
    let res = app.post_json(&erase, Some(&c.admin), &why).await;
    assert_eq!(error_code(res, 409).await, "register_must_keep");
    assert_eq!(
        app.post_json(&erase, Some(&other), &why).await.status(),
        403
    );
    let res = app
        .post_json(
            &format!("/api/v1/credentials/{cred_id}/revoke"),
            Some(&c.admin),
            &json!({"reason": "ลาออกจากราชการ"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app.post_json(&erase, Some(&c.admin), &why).await;
    assert_eq!(res.status(), 204);
    // The identity is gone: no sign-in, no session, no name or address.
    assert_eq!(app.get("/api/v1/me", Some(&trainee)).await.status(), 401);
    assert_eq!(
        app.login("trainee0@example.org", "correct horse battery")
            .await
            .status(),
        401
    );
    let u: Value = app
        .get(&format!("/api/v1/users/{trainee_id}"), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        u["email"].as_str().unwrap().ends_with("@erased.invalid"),
        "{u}"
    );
    assert!(!u.to_string().contains("trainee0"), "{u}");
    // The evidence stays: the credential still verifies as revoked, the record keeps history.
    let v: Value = app
        .get(&format!("/api/v1/verify/{cred_id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "revoked");
    let kept: Value = app.get(&path, Some(&c.admin)).await.json().await.unwrap();
    assert_eq!(kept["record"]["credentials"][0]["number"], cred["number"]);
    assert!(kept["record"]["audit_trail"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "erase_personal_data"));
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM outbox_emails WHERE to_email = 'trainee0@example.org'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_final_exam_opens_only_when_the_schemes_prerequisites_are_met() {
    let app = crate::helpers::spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (_, trainee) = c.trainees[0].clone();
    let start = format!("/api/v1/cohorts/{}/quizzes/final-exam/attempts", c.cohort);
    // Nothing done yet: refused, with the checklist.
    let res = app.post_json(&start, Some(&trainee), &json!({})).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "prerequisites_not_met");
    let list = body["error"]["details"]["checklist"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(list.len(), 10, "modules 1-5 and quizzes 1-5: {list:?}");
    assert!(list.iter().all(|i| i["met"] == false));
    // The trainee's page shows the checklist and no start button.
    let browser = crate::web::sign_in(&app, "trainee0@example.org").await;
    let html = crate::web::page(
        &app,
        &browser,
        &format!("/cohorts/{}/quizzes/final-exam", c.cohort),
    )
    .await;
    assert!(
        html.contains("สิ่งที่ต้องทำก่อนสอบ") && html.contains("✗"),
        "{html}"
    );
    assert!(
        !html.contains("/quizzes/final-exam/start\""),
        "no start form yet"
    );
    // Half done: still refused, and the checklist says which are met.
    crate::credentials::complete(
        &app,
        &c,
        &trainee,
        &["01-what-is-tis-s", "02-certification-path"],
        &["q01"],
    )
    .await;
    let res = app.post_json(&start, Some(&trainee), &json!({})).await;
    let body: Value = res.json().await.unwrap();
    let met: Vec<&str> = body["error"]["details"]["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["met"] == true)
        .map(|i| i["slug"].as_str().unwrap())
        .collect();
    assert_eq!(met, ["01-what-is-tis-s", "02-certification-path", "q01"]);
    // All done: the exam opens.
    crate::credentials::complete(
        &app,
        &c,
        &trainee,
        &[
            "03-assessor-role-ethics",
            "04-planning-onsite-assessment",
            "05-evidence-findings-report",
        ],
        &["q02", "q03", "q04", "q05"],
    )
    .await;
    let html = crate::web::page(
        &app,
        &browser,
        &format!("/cohorts/{}/quizzes/final-exam", c.cohort),
    )
    .await;
    assert!(
        html.contains("/quizzes/final-exam/start\"") && !html.contains("✗"),
        "{html}"
    );
    let res = app.post_json(&start, Some(&trainee), &json!({})).await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn recommendation_decision_and_appeal_run_through_the_web_pages() {
    use crate::web::{page, post_form, sign_in};
    let app = crate::helpers::spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (trainee_id, trainee) = c.trainees[0].clone();
    make_eligible(&app, &c, &trainee).await;
    add_instructor(&app, &c, "teacher@example.org", Role::Instructor).await;
    add_instructor(&app, &c, "teaching-admin@example.org", Role::Admin).await;
    let hostile = "<script>window.__xss=1</script> ผ่านครบทุกบท";

    // The instructor recommends on the cohort's recommend page.
    let teacher = sign_in(&app, "teacher@example.org").await;
    let form_page = format!("/cohorts/{}/recommend", c.cohort);
    let html = page(&app, &teacher, &form_page).await;
    assert!(html.contains(&trainee_id), "the trainee is offered");
    let res = post_form(
        &app,
        &teacher,
        &form_page,
        &form_page,
        &[
            ("user_id", &trainee_id),
            ("scope", "product"),
            ("rationale", hostile),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let pending: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{}/decisions", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    let rec_id = pending[0]["id"].as_str().unwrap().to_string();
    let decide_path = format!("/admin/decisions/{rec_id}");
    let grant = [
        ("conflict", "no"),
        ("outcome", "grant"),
        ("rationale", "หลักฐานครบตามโครงการรับรอง"),
    ];

    // An admin who taught the cohort is refused on the page, in words.
    let teaching_admin = sign_in(&app, "teaching-admin@example.org").await;
    let res = post_form(
        &app,
        &teaching_admin,
        &decide_path,
        "/admin/decisions",
        &grant,
    )
    .await;
    assert_eq!(res.status(), 409);
    assert!(
        res.text().await.unwrap().contains("<form"),
        "a readable page"
    );

    // The independent admin sees the rationale as text and grants.
    let admin = sign_in(&app, "admin@example.org").await;
    let html = page(&app, &admin, "/admin/decisions").await;
    assert!(
        html.contains("&lt;script&gt;window.__xss=1"),
        "shown as text"
    );
    assert!(!html.contains("<script>window.__xss"));
    let res = post_form(&app, &admin, &decide_path, "/admin/decisions", &grant).await;
    assert_eq!(res.status(), 303);
    let held: Vec<Value> = app
        .get("/api/v1/me/credentials", Some(&trainee))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "granting issued the credential");

    // The trainee appeals the decision from the appeals page; a missing subject is a readable 422.
    let me = sign_in(&app, "trainee0@example.org").await;
    let html = page(&app, &me, "/appeals").await;
    let subject = format!("decision:{rec_id}");
    assert!(html.contains(&subject), "the decision can be appealed");
    let res = post_form(
        &app,
        &me,
        "/appeals",
        "/appeals",
        &[("grounds", "ขอให้ทบทวน")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = post_form(
        &app,
        &me,
        "/appeals",
        "/appeals",
        &[("subject", &subject), ("grounds", "ขอให้ทบทวนคะแนนภาคปฏิบัติ")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let appeals: Vec<Value> = app
        .get("/api/v1/appeals", Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(appeals.len(), 1);
    let appeal_path = format!("/appeals/{}/decide", appeals[0]["id"].as_str().unwrap());
    let outcome = [("outcome", "dismissed"), ("rationale", "คะแนนถูกต้องตามเกณฑ์")];

    // The admin who decided cannot review the appeal; another admin does, and the trainee is told.
    let res = post_form(&app, &admin, &appeal_path, "/appeals", &outcome).await;
    assert_eq!(res.status(), 409);
    app.user_with_token(Role::Admin, "reviewer@example.org")
        .await;
    let reviewer = sign_in(&app, "reviewer@example.org").await;
    let res = post_form(&app, &reviewer, &appeal_path, "/appeals", &outcome).await;
    assert_eq!(res.status(), 303);
    let told = app
        .last_mail_context("trainee0@example.org", "appeal_outcome")
        .await;
    assert_eq!(told["upheld"], false);
    let html = page(&app, &me, "/appeals").await;
    assert!(html.contains("คะแนนถูกต้องตามเกณฑ์"), "the outcome is shown");

    // The profile offers the person's own signed record (PDPA access), with the appeal in it.
    let html = page(&app, &me, "/profile").await;
    let link = format!("/api/v1/users/{trainee_id}/certification-record");
    assert!(html.contains(&link));
    let record: Value = me
        .get(app.url(&link))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(record["signed"].is_string());
    assert_eq!(record["record"]["appeals"].as_array().unwrap().len(), 1);
    assert_eq!(record["record"]["credentials"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_admin_erases_a_person_from_their_page_once_no_live_credential_needs_them() {
    use crate::web::{page, post_form, sign_in};
    let app = crate::helpers::spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (trainee_id, _) = c.trainees[0].clone();
    let cred: Value = app
        .post_json(
            "/api/v1/credentials",
            Some(&c.admin),
            &json!({"cohort_id": c.cohort, "user_id": trainee_id, "scope": "product", "override_reason": "ทดสอบ"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let cred_id = cred["id"].as_str().unwrap();
    let admin = sign_in(&app, "admin@example.org").await;
    let person = format!("/admin/users/{trainee_id}");
    let erase = format!("{person}/erase");
    let html = page(&app, &admin, "/admin/users").await;
    assert!(html.contains(&person), "the users page links to the person");
    let html = page(&app, &admin, &person).await;
    assert!(html.contains(cred["number"].as_str().unwrap()));
    assert!(html.contains(&format!("/api/v1/users/{trainee_id}/certification-record")));

    // A live credential: refused on the page, in words, and nothing changes.
    let why = [("reason", "เจ้าของข้อมูลขอให้ลบตาม พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล")];
    let res = post_form(&app, &admin, &erase, &person, &why).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("role=\"alert\""));
    assert_eq!(
        app.login("trainee0@example.org", "correct horse battery")
            .await
            .status(),
        200
    );

    // Revoked, the person is erased; the register's evidence stays, without the name.
    let res = app
        .post_json(
            &format!("/api/v1/credentials/{cred_id}/revoke"),
            Some(&c.admin),
            &json!({"reason": "ลาออกจากราชการ"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = post_form(&app, &admin, &erase, &person, &why).await;
    assert_eq!(res.status(), 303);
    let html = page(&app, &admin, &person).await;
    assert!(!html.contains("trainee0@example.org"));
    assert!(
        !html.contains("action=\"/admin/users/"),
        "no second erase form"
    );
    assert_eq!(
        app.login("trainee0@example.org", "correct horse battery")
            .await
            .status(),
        401
    );
    let v: Value = app
        .get(&format!("/api/v1/verify/{cred_id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "revoked");
    assert!(v["credential"]["holder_name"]
        .as_str()
        .unwrap()
        .contains("erased"));

    // An admin cannot erase their own account from their page.
    let me: Value = app
        .get("/api/v1/me", Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    let own = page(
        &app,
        &admin,
        &format!("/admin/users/{}", me["id"].as_str().unwrap()),
    )
    .await;
    assert!(!own.contains("/erase\""), "no erase form for oneself");
}
