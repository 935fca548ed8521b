//! Written tasks (issue 24): a submit with written answers waits for people; the marking queue
//! is blind; each answer gets two different markers, a moderator when they diverge, and the
//! attempt its grade (and the trainee one e-mail) when every mark is in.

use academy::accounts::model::Role;
use academy::quizzes::model::*;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};
use crate::quizzes::{setup, QuizSetup};

fn level(id: &str, points: u32) -> Level {
    Level {
        id: id.into(),
        points,
        text_th: format!("ระดับ {id}"),
        text_en: format!("Level {id}"),
    }
}

fn criterion(id: &str, levels: &[(&str, u32)]) -> Criterion {
    Criterion {
        id: id.into(),
        title_th: format!("เกณฑ์ {id}"),
        title_en: format!("Criterion {id}"),
        levels: levels.iter().map(|(l, p)| level(l, *p)).collect(),
    }
}

fn question(id: &str, points: u32, body: QuestionBody) -> Question {
    Question {
        id: id.into(),
        pool: None,
        points,
        prompt_th: format!("กรณีศึกษา {id}"),
        prompt_en: format!("Case {id}"),
        feedback_th: format!("แนวคำตอบ {id}"),
        feedback_en: format!("Model answer {id}"),
        body,
    }
}

/// One true/false question (2 points) and two written tasks: `finding` (6 points: criteria of
/// 0/1/2 and 0/2/4) and `plan` (4 points, one criterion 0–4). Two markers, moderation above a
/// difference of 2 points, pass at 60 %.
pub(crate) fn case_study(review: ReviewPolicy) -> Quiz {
    Quiz {
        slug: "case-study".into(),
        title_th: "งานเขียนกรณีศึกษา".into(),
        title_en: "Case study".into(),
        module: None,
        time_limit_s: 3600,
        attempts_allowed: 1,
        pass_percent: 60,
        grading: Grading::Highest,
        shuffle_questions: false,
        shuffle_options: false,
        review,
        blueprint: vec![],
        requires: Default::default(),
        marking: MarkingRule {
            markers: 2,
            moderation_threshold: 2,
        },
        questions: vec![
            question("tf", 2, QuestionBody::TrueFalse { answer: true }),
            question(
                "finding",
                6,
                QuestionBody::Essay {
                    word_limit: 200,
                    rubric: vec![
                        criterion("requirement", &[("none", 0), ("partial", 1), ("full", 2)]),
                        criterion("evidence", &[("none", 0), ("some", 2), ("all", 4)]),
                    ],
                },
            ),
            question(
                "plan",
                4,
                QuestionBody::Essay {
                    word_limit: 300,
                    rubric: vec![Criterion::overall(4)],
                },
            ),
        ],
    }
}

/// An instructor of the cohort.
pub(crate) async fn instructor(app: &TestApp, s: &QuizSetup, email: &str) -> String {
    let (u, token) = app.user_with_token(Role::Instructor, email).await;
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{}/members", s.cohort),
            Some(&s.admin),
            &json!({"user_id": u.id, "role": "instructor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    token
}

/// The trainee answers every question and submits; the attempt's id and the submit's answer.
pub(crate) async fn answer_and_submit(app: &TestApp, s: &QuizSetup) -> (String, Value) {
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
    let finding = started["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "finding")
        .unwrap()
        .clone();
    // The trainee sees the task's rubric and word limit before writing, never the model answer.
    assert_eq!(finding["kind"], "essay");
    assert_eq!(finding["word_limit"], 200);
    assert_eq!(finding["rubric"][1]["levels"][2]["points"], 4);
    assert!(!started.to_string().contains("แนวคำตอบ"), "{started}");
    for (qid, answer) in [
        ("tf", json!(true)),
        (
            "finding",
            json!("ข้อกำหนด: ข้อ [เลขข้อ] บันทึกการตรวจก่อนส่งมอบ สุ่ม 8 รุ่น ไม่มีบันทึก 3 รุ่น"),
        ),
        (
            "plan",
            json!("วัตถุประสงค์ ขอบข่าย เกณฑ์ กำหนดการ การประชุมเปิดและปิด"),
        ),
    ] {
        let res = app
            .client
            .put(app.url(&format!("/api/v1/attempts/{a}/answers/{qid}")))
            .bearer_auth(&s.trainee)
            .json(&json!({"answer": answer}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{qid}");
    }
    let res = app
        .post_json(
            &format!("/api/v1/attempts/{a}/submit"),
            Some(&s.trainee),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    (a, res.json().await.unwrap())
}

pub(crate) async fn queue(app: &TestApp, s: &QuizSetup, token: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/v1/cohorts/{}/marking", s.cohort),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

pub(crate) async fn mark(
    app: &TestApp,
    token: &str,
    attempt: &str,
    question: &str,
    levels: Value,
) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/attempts/{attempt}/marks/{question}"),
        Some(token),
        &json!({"levels": levels, "comment": "ระบุข้อกำหนดได้ หลักฐานยังไม่ครบ"}),
    )
    .await
}

pub(crate) async fn marked(
    app: &TestApp,
    token: &str,
    attempt: &str,
    question: &str,
    levels: Value,
) -> Value {
    let res = mark(app, token, attempt, question, levels).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

pub(crate) async fn mails_to(app: &TestApp, template: &str, email: &str) -> i64 {
    app.count(format!(
        "SELECT COUNT(*) AS n FROM outbox_emails WHERE template = '{template}' AND to_email = '{email}'"
    ))
    .await
}

#[tokio::test]
async fn written_answers_are_marked_blind_by_two_markers_and_moderated_when_they_diverge() {
    let app = spawn_app().await;
    let s = setup(&app, case_study(ReviewPolicy::AfterSubmit)).await;
    let me: Value = app
        .get("/api/v1/me", Some(&s.trainee))
        .await
        .json()
        .await
        .unwrap();
    let trainee_email = me["email"].as_str().unwrap().to_string();

    // The submit: the automatic part is scored, the grade waits for the markers.
    let (a, result) = answer_and_submit(&app, &s).await;
    assert_eq!(result["marking"], "pending", "{result}");
    assert_eq!(result["passed"], Value::Null, "{result}");
    assert_eq!(result["percent"], Value::Null, "{result}");
    assert_eq!(result["score"], 2.0);
    assert_eq!(result["max_score"], 12.0);
    // A trainee has no marking queue and cannot mark their own answer.
    assert_eq!(
        app.get(
            &format!("/api/v1/cohorts/{}/marking", s.cohort),
            Some(&s.trainee)
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        mark(
            &app,
            &s.trainee,
            &a,
            "finding",
            json!({"requirement": "full", "evidence": "all"})
        )
        .await
        .status(),
        403
    );

    let one = instructor(&app, &s, "marker.one@example.org").await;
    let two = instructor(&app, &s, "marker.two@example.org").await;
    let three = instructor(&app, &s, "moderator@example.org").await;

    // The queue names the task and shows the answer and the rubric, never who wrote it.
    let items = queue(&app, &s, &one).await;
    assert_eq!(items.len(), 2, "{items:?}");
    let text = serde_json::to_string(&items).unwrap();
    for secret in [
        s.trainee_id.as_str(),
        trainee_email.as_str(),
        me["name"].as_str().unwrap(),
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    for item in &items {
        let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert!(
            keys.iter()
                .all(|k| !k.contains("user") && !k.contains("office") && !k.contains("name")),
            "{keys:?}"
        );
        assert_eq!(item["stage"], "mark");
        assert_eq!(item["attempt_id"], a.as_str());
    }
    // Nor does the attempt the queue points to, while its marks are awaited: a marker who
    // opens it sees no owner (the trainee still sees their own).
    for staff in [&one, &s.admin] {
        let view: Value = app
            .get(&format!("/api/v1/attempts/{a}"), Some(staff))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(view["user_id"], Value::Null, "{view}");
        let text = view.to_string();
        assert!(!text.contains(s.trainee_id.as_str()), "{text}");
    }
    let own: Value = app
        .get(&format!("/api/v1/attempts/{a}"), Some(&s.trainee))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["user_id"], s.trainee_id.as_str());
    let finding = items
        .iter()
        .find(|i| i["question_id"] == "finding")
        .unwrap();
    assert!(finding["answer"].as_str().unwrap().contains("สุ่ม 8 รุ่น"));
    assert_eq!(finding["rubric"].as_array().unwrap().len(), 2);
    assert!(finding["word_count"].as_u64().unwrap() > 0);

    // A mark needs a level for every criterion, only real levels, and a comment.
    for (levels, why) in [
        (json!({"requirement": "full"}), "evidence"),
        (json!({"requirement": "full", "evidence": "most"}), "most"),
        (
            json!({"requirement": "full", "evidence": "all", "style": "good"}),
            "style",
        ),
    ] {
        let res = mark(&app, &one, &a, "finding", levels).await;
        assert_eq!(res.status(), 422);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_mark");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(why),
            "{body}"
        );
    }
    let res = app
        .post_json(
            &format!("/api/v1/attempts/{a}/marks/finding"),
            Some(&one),
            &json!({"levels": {"requirement": "full", "evidence": "all"}, "comment": "  "}),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "invalid_mark");
    // An unknown question, and a question that is not written, are not there to mark.
    for q in ["nope", "tf"] {
        assert_eq!(
            mark(&app, &one, &a, q, json!({})).await.status(),
            404,
            "{q}"
        );
    }

    // First marker: 6 of 6 on the finding. The same person cannot mark it again.
    let m = marked(
        &app,
        &one,
        &a,
        "finding",
        json!({"requirement": "full", "evidence": "all"}),
    )
    .await;
    assert_eq!(m["answer_status"], "awaiting_marks", "{m}");
    assert_eq!(m["points"], 6.0);
    let again = mark(
        &app,
        &one,
        &a,
        "finding",
        json!({"requirement": "none", "evidence": "none"}),
    )
    .await;
    assert_eq!(error_code(again, 409).await, "already_marked");
    let left: Vec<Value> = queue(&app, &s, &one).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["question_id"], "plan");

    // Second marker: 2 of 6, four points apart (more than 2): a moderator decides.
    let m = marked(
        &app,
        &two,
        &a,
        "finding",
        json!({"requirement": "none", "evidence": "some"}),
    )
    .await;
    assert_eq!(m["answer_status"], "moderation", "{m}");
    // The plan: 3 and 4, one point apart: final at their mean, 3.5.
    marked(&app, &two, &a, "plan", json!({"overall": "p3"})).await;
    let m = marked(&app, &one, &a, "plan", json!({"overall": "p4"})).await;
    assert_eq!(m["answer_status"], "final");
    assert_eq!(
        m["marking"], "pending",
        "the finding is still in moderation"
    );
    let still: Value = app
        .get(&format!("/api/v1/attempts/{a}"), Some(&s.trainee))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["result"]["marking"], "pending");
    assert_eq!(still["result"]["passed"], Value::Null);
    // Nor do the trainee's review items show marks yet.
    assert!(!still.to_string().contains("ระบุข้อกำหนดได้"), "{still}");

    // Neither marker may moderate what they marked; the queue offers it to the third person,
    // with both marks and no marker named.
    assert!(queue(&app, &s, &one).await.is_empty());
    assert!(queue(&app, &s, &two).await.is_empty());
    let m1 = mark(
        &app,
        &one,
        &a,
        "finding",
        json!({"requirement": "partial", "evidence": "some"}),
    )
    .await;
    assert_eq!(error_code(m1, 409).await, "already_marked");
    // Nor may an instructor who is not a lead instructor: the queue does not offer it, and a
    // mark is refused.
    assert!(queue(&app, &s, &three).await.is_empty());
    let plain = mark(
        &app,
        &three,
        &a,
        "finding",
        json!({"requirement": "partial", "evidence": "some"}),
    )
    .await;
    assert_eq!(error_code(plain, 409).await, "moderator_needed");
    // Only an admin names a lead instructor, and only among the cohort's instructors.
    let three_id = app
        .get("/api/v1/me", Some(&three))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let lead_path = format!("/api/v1/cohorts/{}/leads/{three_id}", s.cohort);
    let by = |token: &str| {
        app.client
            .put(app.url(&lead_path))
            .bearer_auth(token.to_string())
            .send()
    };
    assert_eq!(by(&one).await.unwrap().status(), 403);
    let not_staff = app
        .client
        .put(app.url(&format!(
            "/api/v1/cohorts/{}/leads/{}",
            s.cohort, s.trainee_id
        )))
        .bearer_auth(&s.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(not_staff, 422).await, "role_mismatch");
    assert_eq!(by(&s.admin).await.unwrap().status(), 204);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'lead_named'")
            .await,
        1
    );
    // Named lead, the third person is offered the decision, with both marks and no marker named.
    let items = queue(&app, &s, &three).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["stage"], "moderation");
    let marks = items[0]["marks"].as_array().unwrap();
    let mut totals: Vec<f64> = marks
        .iter()
        .map(|m| m["points"].as_f64().unwrap())
        .collect();
    totals.sort_by(f64::total_cmp);
    assert_eq!(totals, [2.0, 6.0]);
    assert!(!items[0].to_string().contains("marker"), "{}", items[0]);
    assert_eq!(mails_to(&app, "attempt_marked", &trainee_email).await, 0);

    // An admin moderates (the third person could have): 3; every answer is final:
    // 2 + 3 + 3.5 = 8.5 of 12 = 70.83 %, a pass.
    let m = marked(
        &app,
        &s.admin,
        &a,
        "finding",
        json!({"requirement": "partial", "evidence": "some"}),
    )
    .await;
    assert_eq!(m["stage"], "moderation");
    assert_eq!(m["marking"], "complete", "{m}");
    assert_eq!(m["result"]["score"], 8.5);
    assert_eq!(m["result"]["percent"], 70.83);
    assert_eq!(m["result"]["passed"], true);
    // The trainee is told once; nothing more can be marked. Marked, the attempt names its owner
    // to staff again.
    assert_eq!(mails_to(&app, "attempt_marked", &trainee_email).await, 1);
    let graded: Value = app
        .get(&format!("/api/v1/attempts/{a}"), Some(&one))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(graded["user_id"], s.trainee_id.as_str());
    let admin_marks = mark(&app, &s.admin, &a, "plan", json!({"overall": "p0"})).await;
    assert_eq!(error_code(admin_marks, 409).await, "marking_complete");
    assert!(queue(&app, &s, &s.admin).await.is_empty());
    assert!(queue(&app, &s, &three).await.is_empty());
    assert_eq!(mails_to(&app, "attempt_marked", &trainee_email).await, 1);

    // An appeal against the mark goes to someone who did not mark: the moderating admin is
    // refused, another admin decides.
    let appeal: Value = app
        .post_json(
            "/api/v1/appeals",
            Some(&s.trainee),
            &json!({"subject_type": "attempt", "subject_id": a,
                    "grounds": "ข้อค้นพบของข้าพเจ้าระบุหลักฐานครบทุกรายการ"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let appeal_id = appeal["id"].as_str().unwrap().to_string();
    let decide = |token: String| {
        let app = &app;
        let id = appeal_id.clone();
        async move {
            app.post_json(
                &format!("/api/v1/appeals/{id}/decide"),
                Some(&token),
                &json!({"outcome": "dismissed", "rationale": "ผู้ตรวจสองคนและผู้ตัดสินให้ระดับตามเกณฑ์"}),
            )
            .await
        }
    };
    assert_eq!(
        error_code(decide(s.admin.clone()).await, 409).await,
        "not_independent"
    );
    let (_, other_admin) = app
        .user_with_token(Role::Admin, "reviewer@example.org")
        .await;
    assert_eq!(decide(other_admin).await.status(), 200);

    // The trainee's review shows the levels and comments of each written answer, and the grade.
    let view: Value = app
        .get(&format!("/api/v1/attempts/{a}"), Some(&s.trainee))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["result"]["passed"], true);
    assert_eq!(view["result"]["marking"], "complete");
    let review = view["review"].as_array().unwrap();
    let item = review
        .iter()
        .find(|r| r["question_id"] == "finding")
        .unwrap();
    assert_eq!(item["points"], 3.0);
    assert_eq!(item["marks"].as_array().unwrap().len(), 3);
    assert_eq!(
        item["marks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["stage"] == "moderation")
            .unwrap()["levels"]["evidence"],
        "some"
    );
    assert!(!view.to_string().contains("marker.one"), "{view}");
    let plan = review.iter().find(|r| r["question_id"] == "plan").unwrap();
    assert_eq!(plan["points"], 3.5);

    // Every mark, the moderation and the grade are on record.
    for (action, n) in [
        ("essay_marked", 4),
        ("essay_moderated", 1),
        ("attempt_graded", 1),
    ] {
        assert_eq!(
            app.count(format!(
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = '{action}' AND subject_id = '{a}'"
            ))
            .await,
            n,
            "{action}"
        );
    }
    // Item analysis takes the final marks of written answers; marker agreement per pair.
    let stats: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/quizzes/case-study/analytics", s.cohort),
            Some(&s.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let facility = |qid: &str| {
        stats["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["question_id"] == qid)
            .unwrap()["facility"]
            .as_f64()
            .unwrap()
    };
    assert!((facility("finding") - 0.5).abs() < 1e-9, "{stats}");
    assert!((facility("plan") - 0.875).abs() < 1e-9, "{stats}");
    let agreement = stats["marker_agreement"].as_array().unwrap();
    assert_eq!(agreement.len(), 2, "{stats}");
    for a in agreement {
        assert_eq!(a["answers"], 1);
        assert_eq!(a["exact"], 0.0, "{a}");
        // One answer per pair: the figures, and no verdict on the rubric yet.
        assert!(a.get("weighted_kappa").is_some(), "{a}");
        assert_eq!(a["flags"], json!(["few_answers"]), "{a}");
    }
    // Per question, every pair of its markers pooled.
    let pooled = stats["question_agreement"].as_array().unwrap();
    let mut ids: Vec<&str> = pooled
        .iter()
        .map(|q| q["question_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["finding", "plan"], "{stats}");
    for q in pooled {
        assert_eq!(q["answers"], 1, "{q}");
        assert_eq!(q["flags"], json!(["few_answers"]), "{q}");
    }
    // The result counts for the quiz.
    let results: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/results", s.cohort),
            Some(&s.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let r = results
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["quiz_slug"] == "case-study")
        .unwrap();
    assert_eq!(r["passed"], true, "{results}");
}

#[tokio::test]
async fn marks_reach_the_trainee_only_as_the_review_policy_allows() {
    for policy in [ReviewPolicy::AfterClose, ReviewPolicy::Never] {
        let app = spawn_app().await;
        let s = setup(&app, case_study(policy)).await;
        let (a, _) = answer_and_submit(&app, &s).await;
        let one = instructor(&app, &s, "marker.one@example.org").await;
        let two = instructor(&app, &s, "marker.two@example.org").await;
        for t in [&one, &two] {
            marked(
                &app,
                t,
                &a,
                "finding",
                json!({"requirement": "full", "evidence": "all"}),
            )
            .await;
            marked(&app, t, &a, "plan", json!({"overall": "p4"})).await;
        }
        let own = |app: &TestApp| {
            let (a, token) = (a.clone(), s.trainee.clone());
            let url = app.url(&format!("/api/v1/attempts/{a}"));
            let client = app.client.clone();
            async move {
                client
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .json::<Value>()
                    .await
                    .unwrap()
            }
        };
        // Graded and told: the result, but neither the levels nor the comments yet.
        let graded = own(&app).await;
        assert_eq!(graded["result"]["marking"], "complete", "{graded}");
        assert_eq!(graded["result"]["passed"], true, "{graded}");
        assert!(graded.get("review").is_none(), "{policy:?}: {graded}");
        assert!(
            !graded.to_string().contains("ระบุข้อกำหนดได้"),
            "{policy:?}: {graded}"
        );
        // The cohort closes: after_close shows the marks, never still does not.
        let res = app
            .client
            .patch(app.url(&format!("/api/v1/cohorts/{}", s.cohort)))
            .bearer_auth(&s.admin)
            .json(&json!({"status": "closed"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let after = own(&app).await;
        let text = after.to_string();
        match policy {
            ReviewPolicy::AfterClose => {
                let review = after["review"].as_array().expect("review after close");
                let finding = review
                    .iter()
                    .find(|r| r["question_id"] == "finding")
                    .unwrap();
                assert_eq!(finding["marks"].as_array().unwrap().len(), 2, "{after}");
                assert!(text.contains("ระบุข้อกำหนดได้"), "{after}");
            }
            _ => {
                assert!(after.get("review").is_none(), "{after}");
                assert!(!text.contains("ระบุข้อกำหนดได้"), "{after}");
            }
        }
    }
}

#[tokio::test]
async fn a_marker_who_declared_a_conflict_never_marks_that_trainee() {
    let app = spawn_app().await;
    let s = setup(&app, case_study(ReviewPolicy::AfterClose)).await;
    let one = instructor(&app, &s, "relative@example.org").await;
    let two = instructor(&app, &s, "stranger@example.org").await;
    let (a, _) = answer_and_submit(&app, &s).await;
    assert_eq!(queue(&app, &s, &one).await.len(), 2);

    // A declaration names a trainee of the cohort and says why.
    let declare = |token: String, body: Value| {
        let app = &app;
        let cohort = s.cohort.clone();
        async move {
            app.post_json(
                &format!("/api/v1/cohorts/{cohort}/conflicts"),
                Some(&token),
                &body,
            )
            .await
        }
    };
    let res = declare(
        one.clone(),
        json!({"user_id": s.trainee_id, "statement": ""}),
    )
    .await;
    assert_eq!(error_code(res, 422).await, "invalid_input");
    let res = declare(
        one.clone(),
        json!({"user_id": "not-a-trainee", "statement": "ญาติ"}),
    )
    .await;
    assert_eq!(res.status(), 422);
    // A trainee cannot declare for staff.
    let res = declare(
        s.trainee.clone(),
        json!({"user_id": s.trainee_id, "statement": "ญาติ"}),
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = declare(
        one.clone(),
        json!({"user_id": s.trainee_id, "statement": "เป็นญาติ (ลูกพี่ลูกน้อง)"}),
    )
    .await;
    assert_eq!(res.status(), 201);

    // Their answers leave the declarer's queue, and a mark by them is refused.
    assert!(queue(&app, &s, &one).await.is_empty());
    let res = mark(&app, &one, &a, "plan", json!({"overall": "p4"})).await;
    assert_eq!(error_code(res, 409).await, "conflict_declared");
    assert_eq!(
        app.count(format!(
            "SELECT COUNT(*) AS n FROM essay_marks WHERE attempt_id = '{a}'"
        ))
        .await,
        0
    );
    // Another marker still sees them.
    assert_eq!(queue(&app, &s, &two).await.len(), 2);
    marked(&app, &two, &a, "plan", json!({"overall": "p2"})).await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'declare_conflict'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_trainee_who_never_submitted_a_written_answer_still_gets_marked_on_the_empty_answer() {
    // Time runs out with nothing written: the attempt still goes to the markers (an empty
    // answer earns the levels the rubric gives it), so the trainee is not left without a grade.
    let app = spawn_app().await;
    let s = setup(&app, case_study(ReviewPolicy::AfterSubmit)).await;
    let one = instructor(&app, &s, "m1@example.org").await;
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
    app.db.clock().advance(chrono::Duration::hours(2));
    let res = app
        .post_json(
            &format!("/api/v1/attempts/{a}/submit"),
            Some(&s.trainee),
            &json!({}),
        )
        .await;
    assert_eq!(error_code(res, 409).await, "deadline_passed");
    let items = queue(&app, &s, &one).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items
        .iter()
        .all(|i| i["answer"] == "" && i["word_count"] == 0));
}

#[tokio::test]
async fn a_scope_that_requires_an_observed_assessment_is_refused_without_one_and_granted_with() {
    use crate::credentials::{cohort_with_trainees, issue, make_eligible};
    use crate::helpers::{fresh_database, spawn_with, test_settings};
    // The product scope of this programme asks for an observed joint assessment.
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    crate::governance::copy_dir(std::path::Path::new("course_content"), &content);
    let programme = content.join("programme.toml");
    let text = std::fs::read_to_string(&programme).unwrap();
    let text = text.replacen(
        // At the start of a line: completion_min_attendance_percent comes first in the file.
        "\nmin_attendance_percent = 80\n",
        "\nmin_attendance_percent = 80\nrequires_observation = true\n",
        1,
    );
    std::fs::write(&programme, text).unwrap();
    let (db_url, pg) = fresh_database(dir.path());
    let mut settings = test_settings(dir.path(), db_url);
    settings.content_dir = content;
    let app = spawn_with(settings, tempfile::tempdir().unwrap(), pg).await;
    let c = cohort_with_trainees(&app, 1).await;
    let trainee = c.trainees[0].0.clone();
    make_eligible(&app, &c, &c.trainees[0].1).await;
    let (_, observer) = app
        .user_with_token(Role::Instructor, "observer@example.org")
        .await;
    let observer_id: Value = app
        .get("/api/v1/me", Some(&observer))
        .await
        .json()
        .await
        .unwrap();
    app.post_json(
        &format!("/api/v1/cohorts/{}/members", c.cohort),
        Some(&c.admin),
        &json!({"user_id": observer_id["id"], "role": "instructor"}),
    )
    .await;

    // Everything else is met; the missing observation is named, and the decision refused.
    let elig: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/eligibility", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let product = elig
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["user_id"] == trainee.as_str() && e["scope"] == "product")
        .unwrap()
        .clone();
    assert_eq!(product["eligible"], false, "{product}");
    let unmet: Vec<&str> = product["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["met"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(unmet, ["observation:product"], "{product}");
    let res = issue(&app, &c, &trainee, "product", None).await;
    assert_eq!(res.status(), 422, "{:?}", res.text().await);

    // Bad records are refused with their reason; a "not yet" does not count.
    let observe = |body: Value| {
        let app = &app;
        let (cohort, token) = (c.cohort.clone(), observer.clone());
        async move {
            app.post_json(
                &format!("/api/v1/cohorts/{cohort}/observations"),
                Some(&token),
                &body,
            )
            .await
        }
    };
    let good = json!({"user_id": trainee, "scope": "product", "observed_on": "14/03/2565",
        "business": "วิสาหกิจชุมชนผ้าทอ บ้านนาต้นจั่น", "competences": ["principles", "tis-s-basics"],
        "outcome": "competent", "notes": "เปิดประชุมและสุ่มตัวอย่างบันทึกได้ดี"});
    for (field, value, why) in [
        ("observed_on", json!("31/02/2565"), "observed_on"),
        ("observed_on", json!("01/01/2600"), "has not come"),
        ("competences", json!([]), "competences"),
        ("competences", json!(["flying"]), "flying"),
        ("outcome", json!("maybe"), "outcome"),
        ("scope", json!("aviation"), "aviation"),
        ("business", json!("  "), "business"),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let res = observe(body).await;
        assert_eq!(res.status(), 422, "{field}");
        let b: Value = res.json().await.unwrap();
        assert!(
            b["error"]["message"].as_str().unwrap().contains(why),
            "{field}: {b}"
        );
    }
    // A trainee cannot record one for themself.
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{}/observations", c.cohort),
            Some(&c.trainees[0].1),
            &good,
        )
        .await;
    assert_eq!(res.status(), 403);
    let mut not_yet = good.clone();
    not_yet["outcome"] = json!("not_yet");
    assert_eq!(observe(not_yet).await.status(), 201);
    assert_eq!(
        issue(&app, &c, &trainee, "product", None).await.status(),
        422
    );

    // With a competent observation (a Buddhist-era date, stored as the Gregorian day), granted.
    let res = observe(good).await;
    assert_eq!(res.status(), 201);
    let o: Value = res.json().await.unwrap();
    assert_eq!(o["observed_on"], "2022-03-14");
    assert_eq!(o["observer_id"], observer_id["id"]);
    let list: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/observations", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        issue(&app, &c, &trainee, "product", None).await.status(),
        201
    );
}
