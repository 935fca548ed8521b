use academy::accounts::model::Role;
use academy::quizzes::model::*;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

fn q(id: &str, points: u32, body: QuestionBody) -> Question {
    Question {
        id: id.into(),
        pool: None,
        points,
        prompt_th: format!("คำถาม {id}"),
        prompt_en: format!("Question {id}"),
        feedback_th: format!("FEEDBACK-TH-{id}"),
        feedback_en: format!("FEEDBACK-EN-{id}"),
        body,
    }
}

fn choice(id: &str, text: &str, correct: bool) -> Choice {
    Choice {
        id: id.into(),
        text_th: text.into(),
        text_en: text.into(),
        correct,
        credit: None,
    }
}

/// A quiz with one question of every kind; keys use strings that appear nowhere else.
pub fn all_kinds(slug: &str, attempts: u32, review: ReviewPolicy) -> Quiz {
    let pair = |l: &str, r: &str| Pair {
        left_th: l.into(),
        left_en: l.into(),
        right_th: r.into(),
        right_en: r.into(),
    };
    Quiz {
        slug: slug.into(),
        title_th: "แบบทดสอบทุกประเภท".into(),
        title_en: "Every kind".into(),
        module: None,
        time_limit_s: 600,
        attempts_allowed: attempts,
        pass_percent: 60,
        grading: Grading::Highest,
        shuffle_questions: true,
        shuffle_options: true,
        review,
        blueprint: vec![],
        requires: Default::default(),
        marking: Default::default(),
        questions: vec![
            q(
                "single",
                1,
                QuestionBody::Single {
                    options: vec![
                        choice("a", "ความซื่อสัตย์", true),
                        choice("b", "ความเร็ว", false),
                        choice("c", "ราคาถูก", false),
                    ],
                },
            ),
            q(
                "multiple",
                2,
                QuestionBody::Multiple {
                    options: vec![
                        choice("a", "เอกสาร", true),
                        choice("b", "การสังเกต", true),
                        choice("c", "ข่าวลือ", false),
                    ],
                },
            ),
            q("truefalse", 1, QuestionBody::TrueFalse { answer: false }),
            q(
                "shorttext",
                1,
                QuestionBody::ShortText {
                    accepted: vec!["SECRETWORD-ZETA".into()],
                    partial: vec![],
                },
            ),
            q(
                "numeric",
                1,
                QuestionBody::Numeric {
                    answer: 7391.25,
                    tolerance: 0.5,
                    alternatives: vec![],
                },
            ),
            q(
                "matching",
                1,
                QuestionBody::Matching {
                    pairs: vec![
                        pair("ซ้าย-1", "ขวา-1"),
                        pair("ซ้าย-2", "ขวา-2"),
                        pair("ซ้าย-3", "ขวา-3"),
                    ],
                    distractors: vec![],
                },
            ),
        ],
    }
}

pub struct QuizSetup {
    pub admin: String,
    pub trainee: String,
    pub trainee_id: String,
    pub cohort: String,
}

/// A cohort with one trainee and `quiz` installed and published.
pub async fn setup(app: &TestApp, quiz: Quiz) -> QuizSetup {
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let (t, trainee) = app
        .user_with_token(Role::Trainee, "trainee@example.org")
        .await;
    let c = crate::cohorts::create_cohort(app, &admin, 1, 50).await;
    let cohort = c["id"].as_str().unwrap().to_string();
    let res = app
        .post_json(
            "/api/v1/cohorts/join",
            Some(&trainee),
            &json!({"join_code": c["join_code"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let slug = quiz.slug.clone();
    app.db
        .run(move |conn| {
            academy::course::save_quiz_revision(conn, &quiz, chrono::Utc::now().naive_utc(), None)
                .map(|_| ())
        })
        .await
        .unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{cohort}/quizzes/{slug}/publish"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    QuizSetup {
        admin,
        trainee,
        trainee_id: t.id.into(),
        cohort,
    }
}

async fn start(app: &TestApp, s: &QuizSetup, token: &str, slug: &str) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/cohorts/{}/quizzes/{slug}/attempts", s.cohort),
        Some(token),
        &json!({}),
    )
    .await
}

async fn put_answer(
    app: &TestApp,
    token: &str,
    attempt: &str,
    question: &str,
    answer: Value,
) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/attempts/{attempt}/answers/{question}")))
        .bearer_auth(token)
        .json(&json!({"answer": answer}))
        .send()
        .await
        .unwrap()
}

/// Right answers for the all-kinds quiz, worked out from the shown texts only.
fn right_answers(questions: &[Value]) -> Vec<(String, Value)> {
    let by_text = |q: &Value, text: &str| {
        q["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["text"] == text)
            .unwrap()["id"]
            .clone()
    };
    questions
        .iter()
        .map(|qq| {
            let id = qq["id"].as_str().unwrap().to_string();
            let answer = match id.as_str() {
                "single" => by_text(qq, "ความซื่อสัตย์"),
                "multiple" => json!([by_text(qq, "เอกสาร"), by_text(qq, "การสังเกต")]),
                "truefalse" => json!(false),
                "shorttext" => json!("  secretword-zeta "),
                "numeric" => json!("๗๓๙๑"),
                "matching" => {
                    let mut m = serde_json::Map::new();
                    for item in qq["items"].as_array().unwrap() {
                        let k = item["text"].as_str().unwrap().replace("ซ้าย", "ขวา");
                        m.insert(item["id"].as_str().unwrap().into(), by_text(qq, &k));
                    }
                    Value::Object(m)
                }
                other => panic!("unexpected question {other}"),
            };
            (id, answer)
        })
        .collect()
}

#[tokio::test]
async fn no_trainee_response_before_review_contains_any_key_or_feedback() {
    let app = spawn_app().await;
    let s = setup(&app, all_kinds("kinds", 1, ReviewPolicy::AfterSubmit)).await;
    let mut seen: Vec<String> = Vec::new();
    let res = start(&app, &s, &s.trainee, "kinds").await;
    assert_eq!(res.status(), 201);
    let body = res.text().await.unwrap();
    seen.push(body.clone());
    let started: Value = serde_json::from_str(&body).unwrap();
    let attempt = started["attempt_id"].as_str().unwrap().to_string();
    let questions = started["questions"].as_array().unwrap().clone();
    assert_eq!(questions.len(), 6);
    for qq in &questions {
        for o in qq["options"]
            .as_array()
            .unwrap()
            .iter()
            .chain(qq["items"].as_array().into_iter().flatten())
        {
            let id = o["id"].as_str().unwrap();
            assert!(
                id.starts_with('o') && id.len() == 11,
                "option id {id} is not opaque"
            );
        }
    }
    for (qid, answer) in right_answers(&questions) {
        let res = put_answer(&app, &s.trainee, &attempt, &qid, answer).await;
        assert_eq!(res.status(), 200, "{qid}");
        seen.push(res.text().await.unwrap());
    }
    seen.push(
        app.get(&format!("/api/v1/attempts/{attempt}"), Some(&s.trainee))
            .await
            .text()
            .await
            .unwrap(),
    );
    seen.push(
        app.get(
            &format!("/api/v1/attempts/{attempt}?lang=en"),
            Some(&s.trainee),
        )
        .await
        .text()
        .await
        .unwrap(),
    );
    seen.push(
        app.get(
            &format!("/api/v1/cohorts/{}/quizzes", s.cohort),
            Some(&s.trainee),
        )
        .await
        .text()
        .await
        .unwrap(),
    );
    // Resuming shows the same questions and the saved answers, and still no key.
    let res = start(&app, &s, &s.trainee, "kinds").await;
    assert_eq!(res.status(), 200);
    let resumed = res.text().await.unwrap();
    seen.push(resumed.clone());
    let resumed: Value = serde_json::from_str(&resumed).unwrap();
    assert_eq!(resumed["attempt_id"], attempt);
    assert_eq!(resumed["answers"].as_object().unwrap().len(), 6);
    for body in &seen {
        for secret in [
            "correct",
            "FEEDBACK-",
            "SECRETWORD",
            "7391",
            "tolerance",
            "accepted",
            "\"review\"",
            "ขวา-1\",\"ซ้าย",
        ] {
            assert!(!body.contains(secret), "{secret} leaked in {body}");
        }
    }
    // After submitting, the review shows keys and feedback, as the policy allows.
    let res = app
        .post_json(
            &format!("/api/v1/attempts/{attempt}/submit"),
            Some(&s.trainee),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let result: Value = res.json().await.unwrap();
    assert_eq!(result["score"], 7.0);
    assert_eq!(result["max_score"], 7.0);
    assert_eq!(result["passed"], true);
    let after: Value = app
        .get(&format!("/api/v1/attempts/{attempt}"), Some(&s.trainee))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["review"].as_array().unwrap().len(), 6);
    assert!(after.to_string().contains("FEEDBACK-TH-"));
}

#[tokio::test]
async fn review_after_close_keeps_keys_hidden_after_submit() {
    let app = spawn_app().await;
    let s = setup(&app, all_kinds("closing", 1, ReviewPolicy::AfterClose)).await;
    let started: Value = start(&app, &s, &s.trainee, "closing")
        .await
        .json()
        .await
        .unwrap();
    let attempt = started["attempt_id"].as_str().unwrap();
    assert_eq!(
        app.post_json(
            &format!("/api/v1/attempts/{attempt}/submit"),
            Some(&s.trainee),
            &json!({})
        )
        .await
        .status(),
        200
    );
    let body = app
        .get(&format!("/api/v1/attempts/{attempt}"), Some(&s.trainee))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !body.contains("FEEDBACK-") && !body.contains("\"review\""),
        "{body}"
    );
    // Staff see the key at any time.
    let body = app
        .get(&format!("/api/v1/attempts/{attempt}"), Some(&s.admin))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("FEEDBACK-TH-"));
}

#[tokio::test]
async fn twenty_concurrent_starts_with_one_attempt_allowed_make_one_attempt() {
    let app = spawn_app().await;
    let s = setup(&app, all_kinds("once", 1, ReviewPolicy::AfterSubmit)).await;
    let results =
        futures_util::future::join_all((0..20).map(|_| start(&app, &s, &s.trainee, "once"))).await;
    let mut ids = Vec::new();
    for r in results {
        assert!(matches!(r.status().as_u16(), 200 | 201), "{}", r.status());
        let v: Value = r.json().await.unwrap();
        ids.push(v["attempt_id"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every start returned the same attempt");
    let (cohort, user) = (s.cohort.clone(), s.trainee_id.clone());
    let rows = app
        .db
        .run(move |conn| {
            Ok(academy::quizzes::store::attempts_of(
                conn,
                &cohort.as_str().into(),
                "once",
                &user.as_str().into(),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    // Once submitted, no attempt is left.
    assert_eq!(
        app.post_json(
            &format!("/api/v1/attempts/{}/submit", ids[0]),
            Some(&s.trainee),
            &json!({})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        error_code(start(&app, &s, &s.trainee, "once").await, 409).await,
        "attempts_exhausted"
    );
}

#[tokio::test]
async fn ten_concurrent_submits_grade_once_and_answer_the_same() {
    let app = spawn_app().await;
    let s = setup(&app, all_kinds("twice", 1, ReviewPolicy::AfterSubmit)).await;
    let started: Value = start(&app, &s, &s.trainee, "twice")
        .await
        .json()
        .await
        .unwrap();
    let attempt = started["attempt_id"].as_str().unwrap().to_string();
    for (qid, answer) in right_answers(started["questions"].as_array().unwrap())
        .into_iter()
        .take(3)
    {
        assert_eq!(
            put_answer(&app, &s.trainee, &attempt, &qid, answer)
                .await
                .status(),
            200
        );
    }
    let url = format!("/api/v1/attempts/{attempt}/submit");
    let empty = json!({});
    let results = futures_util::future::join_all(
        (0..10).map(|_| app.post_json(&url, Some(&s.trainee), &empty)),
    )
    .await;
    let mut bodies = Vec::new();
    for r in results {
        assert_eq!(r.status(), 200);
        bodies.push(r.json::<Value>().await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    let id = attempt.clone();
    let row = app
        .db
        .run(move |conn| {
            Ok(academy::quizzes::store::find_attempt(conn, &id.as_str().into())?.unwrap())
        })
        .await
        .unwrap();
    assert_eq!(row.grading_count, 1);
    assert_eq!(row.state, "submitted");
    // Autosave after submit is refused.
    let res = put_answer(&app, &s.trainee, &attempt, "truefalse", json!(true)).await;
    assert_eq!(error_code(res, 409).await, "attempt_closed");
}

/// Moves the service's clock to `seconds_ago` seconds past the attempt's deadline (the row is
/// not touched).
async fn move_deadline(app: &TestApp, attempt: &str, seconds_ago: i64) {
    let key = attempt.to_string();
    let due: chrono::NaiveDateTime = app
        .db
        .run(move |conn| {
            use academy::db::schema::attempts::dsl::*;
            Ok(attempts.find(&key).select(deadline).first(conn)?)
        })
        .await
        .unwrap();
    let clock = app.db.clock();
    clock.advance(due - clock.now() + chrono::Duration::seconds(seconds_ago));
}

#[tokio::test]
async fn a_submit_inside_the_grace_counts_and_one_after_it_is_refused_but_graded() {
    let app = spawn_app().await;
    let s = setup(&app, all_kinds("grace", 2, ReviewPolicy::AfterSubmit)).await;
    // Inside the grace: 5 s after the deadline.
    let started: Value = start(&app, &s, &s.trainee, "grace")
        .await
        .json()
        .await
        .unwrap();
    let a1 = started["attempt_id"].as_str().unwrap().to_string();
    let answers = right_answers(started["questions"].as_array().unwrap());
    assert_eq!(
        put_answer(&app, &s.trainee, &a1, "truefalse", json!(false))
            .await
            .status(),
        200
    );
    move_deadline(&app, &a1, 5).await;
    let res = app
        .post_json(
            &format!("/api/v1/attempts/{a1}/submit"),
            Some(&s.trainee),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // Just after the grace (11 s): refused with a clear message, graded on what was saved.
    let started: Value = start(&app, &s, &s.trainee, "grace")
        .await
        .json()
        .await
        .unwrap();
    let a2 = started["attempt_id"].as_str().unwrap().to_string();
    let answers2 = right_answers(started["questions"].as_array().unwrap());
    let (qid, ans) = answers2
        .iter()
        .find(|(q, _)| q == "numeric")
        .unwrap()
        .clone();
    assert_eq!(
        put_answer(&app, &s.trainee, &a2, &qid, ans).await.status(),
        200
    );
    move_deadline(&app, &a2, 11).await;
    let late = put_answer(&app, &s.trainee, &a2, "truefalse", json!(false)).await;
    assert_eq!(late.status(), 409);
    let res = app
        .post_json(
            &format!("/api/v1/attempts/{a2}/submit"),
            Some(&s.trainee),
            &json!({}),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "deadline_passed");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("saved before the deadline"));
    let view: Value = app
        .get(&format!("/api/v1/attempts/{a2}"), Some(&s.trainee))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "expired");
    assert_eq!(
        view["result"]["score"], 1.0,
        "only the numeric answer saved in time counts"
    );
    assert!(view["answers"].get("truefalse").is_none());
    let _ = answers;
}

#[tokio::test]
async fn attempts_left_open_past_the_deadline_are_finalised_in_the_background() {
    let app = spawn_app().await;
    let s = setup(&app, all_kinds("bg", 1, ReviewPolicy::AfterSubmit)).await;
    let started: Value = start(&app, &s, &s.trainee, "bg")
        .await
        .json()
        .await
        .unwrap();
    let a = started["attempt_id"].as_str().unwrap().to_string();
    assert_eq!(
        put_answer(&app, &s.trainee, &a, "truefalse", json!(false))
            .await
            .status(),
        200
    );
    move_deadline(&app, &a, 60).await;
    let mut state = Value::Null;
    for _ in 0..100 {
        let v: Value = app
            .get(&format!("/api/v1/attempts/{a}"), Some(&s.trainee))
            .await
            .json()
            .await
            .unwrap();
        state = v["state"].clone();
        if state == "expired" {
            assert_eq!(v["result"]["score"], 1.0);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state, "expired");
}

#[tokio::test]
async fn another_trainees_attempt_is_a_404_and_stays_byte_for_byte_unchanged() {
    let app = spawn_app().await;
    let s = setup(&app, all_kinds("mine", 1, ReviewPolicy::AfterSubmit)).await;
    let started: Value = start(&app, &s, &s.trainee, "mine")
        .await
        .json()
        .await
        .unwrap();
    let a = started["attempt_id"].as_str().unwrap().to_string();
    assert_eq!(
        put_answer(&app, &s.trainee, &a, "truefalse", json!(false))
            .await
            .status(),
        200
    );
    let (_, other) = app
        .user_with_token(Role::Trainee, "other@example.org")
        .await;
    let snapshot = |id: String| async {
        app.db
            .run(move |conn| {
                let row =
                    academy::quizzes::store::find_attempt(conn, &id.as_str().into())?.unwrap();
                let answers = academy::quizzes::store::answers_of(conn, &id.as_str().into())?;
                Ok(format!("{row:?}{answers:?}"))
            })
            .await
            .unwrap()
    };
    let before = snapshot(a.clone()).await;
    let ghost = uuid::Uuid::new_v4().to_string();
    for target in [a.clone(), ghost] {
        let r1 = app
            .get(&format!("/api/v1/attempts/{target}"), Some(&other))
            .await;
        let r2 = put_answer(&app, &other, &target, "truefalse", json!(true)).await;
        let r3 = app
            .post_json(
                &format!("/api/v1/attempts/{target}/submit"),
                Some(&other),
                &json!({}),
            )
            .await;
        for r in [r1, r2, r3] {
            assert_eq!(error_code(r, 404).await, "not_found");
        }
    }
    assert_eq!(snapshot(a.clone()).await, before);
}

#[tokio::test]
async fn answers_of_the_wrong_shape_are_refused() {
    let app = spawn_app().await;
    let s = setup(&app, all_kinds("shape", 1, ReviewPolicy::AfterSubmit)).await;
    let started: Value = start(&app, &s, &s.trainee, "shape")
        .await
        .json()
        .await
        .unwrap();
    let a = started["attempt_id"].as_str().unwrap();
    for (qid, bad) in [
        ("single", json!("a")),
        ("multiple", json!("x")),
        ("truefalse", json!("yes")),
        ("numeric", json!({"n": 1})),
        ("matching", json!(["x"])),
        ("shorttext", json!("x".repeat(600))),
    ] {
        let res = put_answer(&app, &s.trainee, a, qid, bad).await;
        assert_eq!(error_code(res, 422).await, "invalid_answer", "{qid}");
    }
    assert_eq!(
        error_code(put_answer(&app, &s.trainee, a, "nope", json!(1)).await, 404).await,
        "not_found"
    );
}

const GIFT: &str = "// TIS-S sample bank
::principle-01:: Which principle asks assessors to base conclusions on records they checked? || ผู้ตรวจประเมินต้องสรุปจากหลักฐานใด {
=Evidence-based approach || การใช้หลักฐานเป็นพื้นฐาน
~Speed || ความเร็ว
~Friendship || ความสนิทสนม
####Conclusions rest on verifiable evidence. || ข้อสรุปต้องอยู่บนหลักฐาน
}

::sources-01:: Which are sources of evidence? {
~%50%Documents
~%50%Observation
~%-100%Rumours
}

::tf-01:: TIS-S covers services too. {T}

::short-01:: The Thai name of TIS-S? {=มอก. เอส =มอก.เอส}

::num-01:: How many Provincial Industry Offices are there? {#76:0}

::match-01:: Match the step to its output. {
=Plan -> Checklist
=Closing meeting -> Findings presented
=Report -> Written record
}
";

#[tokio::test]
async fn a_gift_bank_with_every_kind_imports_and_exports_to_an_equivalent_file() {
    let app = spawn_app().await;
    let (teacher, instructor) = app.user_with_token(Role::Instructor, "i@example.org").await;
    // Instructors import for a cohort they teach.
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let cohort = crate::cohorts::create_cohort(&app, &admin, 1, 10).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{cohort}/members"),
            Some(&admin),
            &json!({"user_id": teacher.id, "role": "instructor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/quizzes/import-gift?slug=gift-bank&title_th=คลังข้อสอบ&title_en=Bank&cohort_id={cohort}"
        )))
        .bearer_auth(&instructor)
        .header("content-type", "text/plain; charset=utf-8")
        .body(GIFT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let item: Value = res.json().await.unwrap();
    assert_eq!(item["questions"], 6);
    let exported = app
        .get(
            &format!("/api/v1/quizzes/gift-bank/gift?cohort_id={cohort}"),
            Some(&instructor),
        )
        .await
        .text()
        .await
        .unwrap();
    let a = academy::quizzes::gift::import(GIFT).unwrap();
    let b = academy::quizzes::gift::import(&exported).unwrap();
    assert_eq!(a, b, "export is not equivalent:\n{exported}");
    let kinds: Vec<&str> = a.iter().map(|q| q.body.kind()).collect();
    assert_eq!(
        kinds,
        vec![
            "single",
            "multiple",
            "true_false",
            "short_text",
            "numeric",
            "matching"
        ]
    );
    // An unbalanced brace is refused with its line number, and nothing is imported.
    let broken = "::a:: First {=yes ~no}\n\n::b:: Second {\n=one\n~two\n\n::c:: Third {T}\n";
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/quizzes/import-gift?slug=broken&cohort_id={cohort}"
        )))
        .bearer_auth(&instructor)
        .header("content-type", "text/plain")
        .body(broken)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "gift_rejected");
    assert_eq!(body["error"]["details"]["errors"][0]["line"], 3, "{body}");
    assert_eq!(
        app.get(
            &format!("/api/v1/quizzes/broken/gift?cohort_id={cohort}"),
            Some(&instructor)
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn staff_see_item_statistics_and_export_results_by_question_id() {
    let app = spawn_app().await;
    let s = setup(&app, all_kinds("stats", 3, ReviewPolicy::AfterSubmit)).await;
    for answers_right in [true, false] {
        let started: Value = start(&app, &s, &s.trainee, "stats")
            .await
            .json()
            .await
            .unwrap();
        let a = started["attempt_id"].as_str().unwrap().to_string();
        if answers_right {
            for (qid, answer) in right_answers(started["questions"].as_array().unwrap()) {
                put_answer(&app, &s.trainee, &a, &qid, answer).await;
            }
        } else {
            put_answer(&app, &s.trainee, &a, "truefalse", json!(true)).await;
        }
        assert_eq!(
            app.post_json(
                &format!("/api/v1/attempts/{a}/submit"),
                Some(&s.trainee),
                &json!({})
            )
            .await
            .status(),
            200
        );
    }
    let url = format!("/api/v1/cohorts/{}/quizzes/stats/analytics", s.cohort);
    assert_eq!(app.get(&url, Some(&s.trainee)).await.status(), 403);
    let stats: Value = app.get(&url, Some(&s.admin)).await.json().await.unwrap();
    assert_eq!(stats["attempts"], 2);
    assert_eq!(stats["distribution"][9], 1);
    assert_eq!(stats["distribution"][0], 1);
    assert_eq!(stats["questions"].as_array().unwrap().len(), 6);
    let tf = stats["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["question_id"] == "truefalse")
        .unwrap();
    assert_eq!(tf["facility"], 0.5);
    let csv = app
        .get(&format!("{url}?format=csv"), Some(&s.admin))
        .await
        .text()
        .await
        .unwrap();
    let header = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .to_string();
    for q in [
        "single",
        "multiple",
        "truefalse",
        "shorttext",
        "numeric",
        "matching",
    ] {
        assert!(header.contains(q), "{header}");
    }
    let html = app
        .client
        .get(app.url(&format!("/cohorts/{}/quizzes/stats/analytics", s.cohort)))
        .bearer_auth(&s.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<svg") && html.contains("Cronbach"), "{html}");
}

#[tokio::test]
async fn a_signed_out_trainee_can_neither_autosave_nor_submit_nor_open_the_quiz_page() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let (_, trainee) = c.trainees[0].clone();
    let started: serde_json::Value = app
        .post_json(
            &format!("/api/v1/cohorts/{}/quizzes/q01/attempts", c.cohort),
            Some(&trainee),
            &serde_json::json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let attempt = started["attempt_id"].as_str().unwrap().to_string();
    let question = started["questions"][0]["id"].as_str().unwrap().to_string();
    let save = format!("/api/v1/attempts/{attempt}/answers/{question}");
    let put = |token: String| {
        let (client, url) = (app.client.clone(), app.url(&save));
        async move {
            client
                .put(url)
                .bearer_auth(token)
                .json(&serde_json::json!({"answer": "x"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_ne!(
        put(trainee.clone()).await,
        401,
        "signed in: the save is looked at"
    );
    assert_eq!(
        app.post_json(
            "/api/v1/auth/logout-everywhere",
            Some(&trainee),
            &serde_json::json!({})
        )
        .await
        .status(),
        204
    );
    // The token's signature is still good; the account check refuses it.
    assert_eq!(put(trainee.clone()).await, 401);
    assert_eq!(
        app.post_json(
            &format!("/api/v1/attempts/{attempt}/submit"),
            Some(&trainee),
            &serde_json::json!({})
        )
        .await
        .status(),
        401
    );
    let page = app
        .client
        .get(app.url(&format!("/cohorts/{}/quizzes/q01", c.cohort)))
        .header("cookie", format!("academy_session={trainee}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303, "back to the sign-in page");
}

/// An autosave racing the submit of the same attempt: an acknowledged save is in the grade, and
/// a save that lost the race is refused, never acknowledged and left out.
#[tokio::test]
async fn an_acknowledged_autosave_is_always_in_the_grade_even_racing_the_submit() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 12).await;
    let mut acknowledged = 0;
    let mut refused = 0;
    // Rounds 0 and 1 race the two requests (q01 allows three attempts); round 2 sends them one
    // after the other, save first for half the trainees and submit first for the others, so
    // both outcomes are certain to occur and both checks below are exercised.
    for round in 0..3 {
        for (n, (_, trainee)) in c.trainees.iter().enumerate() {
            let started: Value = app
                .post_json(
                    &format!("/api/v1/cohorts/{}/quizzes/q01/attempts", c.cohort),
                    Some(trainee),
                    &json!({}),
                )
                .await
                .json()
                .await
                .unwrap();
            let attempt = started["attempt_id"].as_str().unwrap().to_string();
            let key: Value = app
                .get(&format!("/api/v1/attempts/{attempt}"), Some(&c.admin))
                .await
                .json()
                .await
                .unwrap();
            // A question whose key is one option id or true/false: the answer is the key.
            let item = key["review"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| {
                    i["correct_answer"].is_boolean() || i["correct_answer"].as_str().is_some()
                })
                .expect("a single-choice or true/false question")
                .clone();
            let save = app
                .client
                .put(app.url(&format!(
                    "/api/v1/attempts/{attempt}/answers/{}",
                    item["question_id"].as_str().unwrap()
                )))
                .bearer_auth(trainee)
                .json(&json!({"answer": item["correct_answer"]}))
                .send();
            let submit = app
                .client
                .post(app.url(&format!("/api/v1/attempts/{attempt}/submit")))
                .bearer_auth(trainee)
                .json(&json!({}))
                .send();
            let (saved, submitted) = if round == 2 && n % 2 == 0 {
                let saved = save.await;
                (saved, submit.await)
            } else if round == 2 {
                let submitted = submit.await;
                (save.await, submitted)
            } else if round % 2 == 0 {
                tokio::join!(save, submit)
            } else {
                let (b, a) = tokio::join!(submit, save);
                (a, b)
            };
            let saved = saved.unwrap().status().as_u16();
            let graded: Value = submitted.unwrap().json().await.unwrap();
            let score = graded["score"].as_f64().expect("graded");
            match saved {
                200 => {
                    acknowledged += 1;
                    assert!(
                        score > 0.0,
                        "an acknowledged answer is missing from the grade: {graded}"
                    );
                }
                409 => {
                    refused += 1;
                    assert_eq!(score, 0.0, "a refused answer was graded: {graded}");
                }
                other => panic!("autosave answered {other}"),
            }
        }
    }
    assert_eq!(acknowledged + refused, 36);
    // At least the six saves sent first were acknowledged and the six sent after the submit
    // refused.
    assert!(
        acknowledged >= 6 && refused >= 6,
        "{acknowledged} saved, {refused} refused"
    );
    eprintln!("racing autosave and submit: {acknowledged} saved first, {refused} refused");
}

/// A Moodle question bank with what Moodle's GIFT documents beyond the basics: partial credit
/// on a single-answer question, a short answer and numeric alternatives, a matching distractor,
/// a description, and an essay.
const MOODLE_GIFT: &str = "$CATEGORY: $course$/top/TIS-S\n\n\
::intro::อ่านกรณีร้านกาแฟก่อนตอบ || Read the coffee-shop case first.\n\n\
::first-step::ขั้นแรกควรทำอะไร || What comes first? {\n=อ่านมาตรฐานที่ระบุในคำขอ || Read the standard named in the application\n~%50%ถาม สมอ. || Ask TISI\n~เดาเอา || Guess\n}\n\n\
::name::ชื่อมาตรฐาน || Name the standard type. {=มอก. เอส =%50%มอก.}\n\n\
::count::จำนวน || How many? {#=3:0 =%50%2:0}\n\n\
::match::จับคู่ || Match. {\n=วัตถุประสงค์ || Objective -> ทำไม || Why\n=ขอบเขต || Scope -> อะไร || What\n= -> ใครจ่าย || Who pays\n}\n\n\
::essay::เขียนข้อค้นพบ || Write a finding. {}\n";

#[tokio::test]
async fn a_moodle_bank_imports_with_a_report_and_its_partial_credit_holds_through_an_attempt() {
    let app = spawn_app().await;
    let s = setup(&app, all_kinds("base", 3, ReviewPolicy::AfterSubmit)).await;
    let import = |skip: bool| {
        app.client
            .post(app.url(&format!(
                "/api/v1/quizzes/import-gift?slug=moodle-bank&cohort_id={}&skip_unsupported={skip}",
                s.cohort
            )))
            .bearer_auth(&s.admin)
            .header("content-type", "text/plain; charset=utf-8")
            .body(MOODLE_GIFT)
            .send()
    };
    // The essay comes in as a written task (one overall criterion: GIFT carries no rubric), and
    // the report says so; `skip_unsupported` has nothing left to skip.
    let res = import(false).await.unwrap();
    assert_eq!(res.status(), 201);
    let item: Value = res.json().await.unwrap();
    let kinds: Vec<&str> = item["report"]["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "description",
            "single",
            "short_text",
            "numeric",
            "matching",
            "essay"
        ],
        "{item}"
    );
    assert!(item["report"]["skipped"].as_array().unwrap().is_empty());
    assert!(item["report"]["imported"][5]["notes"][0]
        .as_str()
        .unwrap()
        .contains("rubric"));
    assert!(item["report"]["imported"][1]["notes"][0]
        .as_str()
        .unwrap()
        .contains("50 %"));
    assert_eq!(
        app.post_json(
            &format!("/api/v1/cohorts/{}/quizzes/moodle-bank/publish", s.cohort),
            Some(&s.admin),
            &json!({}),
        )
        .await
        .status(),
        200
    );
    // A trainee takes it: the partial answers earn their share, the distractor is offered.
    let started: Value = start(&app, &s, &s.trainee, "moodle-bank")
        .await
        .json()
        .await
        .unwrap();
    let a = started["attempt_id"].as_str().unwrap().to_string();
    let questions = started["questions"].as_array().unwrap();
    let q = |id: &str| questions.iter().find(|q| q["id"] == id).unwrap();
    let ask = q("first-step")["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["text"].as_str().unwrap().contains("สมอ."))
        .unwrap()["id"]
        .clone();
    assert_eq!(q("match")["options"].as_array().unwrap().len(), 3);
    assert_eq!(q("intro")["kind"], "description");
    for (qid, answer, status) in [
        ("first-step", ask, 200),
        ("name", json!("มอก."), 200),
        ("count", json!(3), 200),
        ("intro", json!("x"), 422),
    ] {
        assert_eq!(
            put_answer(&app, &s.trainee, &a, qid, answer).await.status(),
            status,
            "{qid}"
        );
    }
    // The page a trainee uses shows the description and every right-hand item.
    let page = app
        .get(&format!("/attempts/{a}"), Some(&s.trainee))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("อ่านกรณีร้านกาแฟก่อนตอบ"), "{page}");
    assert!(page.contains("ใครจ่าย"), "{page}");
    let result: Value = app
        .post_json(
            &format!("/api/v1/attempts/{a}/submit"),
            Some(&s.trainee),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    // 0.5 (first step) + 0.5 (name) + 1 (count) + 0 (match) of 5 points; the description has
    // none; the essay (1 point) waits for its markers, so there is no grade yet.
    assert_eq!(result["max_score"].as_f64(), Some(5.0), "{result}");
    assert_eq!(result["marking"], "pending", "{result}");
    assert_eq!(result["passed"], Value::Null, "{result}");
    assert!(
        (result["score"].as_f64().unwrap() - 2.0).abs() < 1e-9,
        "{result}"
    );
}
