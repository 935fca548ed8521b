//! Exam integrity (issue 19), tried as the people who would break it:
//! - a trainee who knows nothing and answers only from what the API and the pages hand them
//!   (ids, order, markup) scores no better than chance on every shipped quiz;
//! - an instructor with no tie to a cohort cannot change what its trainees sit or what counts
//!   for certification, by any route; an instructor's own quiz stays in their own cohort and
//!   never counts; module edits by instructors are drafts until an admin approves them;
//! - the quiz page works for every shipped quiz in every state (unanswered, partly answered,
//!   summary, result with the trainee's own answers and the next step).

use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::credentials::{cohort_with_trainees, complete, Cohort};
use crate::helpers::{error_code, spawn_app, TestApp};
use crate::web::{csrf_of, page, sign_in};

/// The modules the final exam requires (the product scope's).
pub const EXAM_MODULES: [&str; 5] = [
    "01-what-is-tis-s",
    "02-certification-path",
    "03-assessor-role-ethics",
    "04-planning-onsite-assessment",
    "05-evidence-findings-report",
];

/// Every shipped module quiz (and the recertification quiz), then the final exam.
const MODULE_QUIZZES: [&str; 7] = ["q01", "q02", "q03", "q04", "q05", "q06", "recert"];

/// Publishes what the cohort helper leaves out: the refresher module and the recert quiz.
pub async fn publish_recert(app: &TestApp, c: &Cohort) {
    for (kind, slug) in [
        ("modules", "07-recertification-refresher"),
        ("quizzes", "recert"),
    ] {
        let r = app
            .post_json(
                &format!("/api/v1/cohorts/{}/{kind}/{slug}/publish", c.cohort),
                Some(&c.admin),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 200, "{slug}");
    }
}

async fn extra_attempts(app: &TestApp, c: &Cohort, user_id: &str, slug: &str, n: i32) {
    let r = app
        .client
        .put(app.url(&format!(
            "/api/v1/cohorts/{}/quizzes/{slug}/overrides/{user_id}",
            c.cohort
        )))
        .bearer_auth(&c.admin)
        .json(&json!({"extra_seconds": 0, "extra_attempts": n}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
}

/// The ids the old code derived from values the trainee is given: a hash of the attempt id,
/// the question id and the authored option id (`a` was the key of every shipped question).
fn derived_id(attempt: &str, question: &str, part: &str) -> String {
    let h = academy::util::sha256_hex(&format!("{attempt}\u{1f}{question}\u{1f}{part}"));
    format!("o{}", &h[..10])
}

/// Guessing strategies that use only what a trainee is shown. Each picks one option id of a
/// single-choice question from the question as the API gave it, the option order of the page,
/// and the attempt id.
fn pick(strategy: &str, attempt: &str, q: &Value, page_order: &[String]) -> String {
    let ids: Vec<String> = q["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    let qid = q["id"].as_str().unwrap();
    match strategy {
        "first shown" => ids[0].clone(),
        "last shown" => ids[ids.len() - 1].clone(),
        "smallest id" => ids.iter().min().unwrap().clone(),
        "first in page markup" => page_order
            .first()
            .cloned()
            .unwrap_or_else(|| ids[0].clone()),
        "derived from authored id a" => {
            let d = derived_id(attempt, qid, "opt:a");
            ids.iter()
                .find(|i| **i == d)
                .cloned()
                .unwrap_or_else(|| ids[0].clone())
        }
        other => panic!("unknown strategy {other}"),
    }
}

const STRATEGIES: [&str; 5] = [
    "first shown",
    "last shown",
    "smallest id",
    "first in page markup",
    "derived from authored id a",
];

/// The option ids of one question in the order the quiz page's markup gives them.
fn page_options(html: &str, qid: &str) -> Vec<String> {
    let Some(start) = html.find(&format!("data-qid=\"{qid}\"")) else {
        return vec![];
    };
    let rest = &html[start..];
    let end = rest.find("</fieldset>").unwrap_or(rest.len());
    rest[..end]
        .split("value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|v| v.starts_with('o'))
        .map(str::to_string)
        .collect()
}

#[derive(Default)]
struct Tally {
    /// Single-choice trials, and for each strategy its hits.
    trials: f64,
    expected: f64,
    variance: f64,
    hits: std::collections::BTreeMap<&'static str, f64>,
    /// Matching: left items, hits of the "derived pair" strategy, and chance.
    pair_trials: f64,
    pair_expected: f64,
    pair_variance: f64,
    pair_hits: f64,
}

/// One attempt by a trainee who knows nothing: every strategy's guesses are scored against
/// the key staff see; the attempt is then submitted empty.
async fn attack_once(
    app: &TestApp,
    c: &Cohort,
    trainee: &str,
    web: &reqwest::Client,
    slug: &str,
    tally: &mut Tally,
) {
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{}/quizzes/{slug}/attempts", c.cohort),
            Some(trainee),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 201, "{slug}: {}", res.text().await.unwrap());
    let started: Value = res.json().await.unwrap();
    let attempt = started["attempt_id"].as_str().unwrap().to_string();
    let html = page(app, web, &format!("/attempts/{attempt}")).await;
    let key: Value = app
        .get(&format!("/api/v1/attempts/{attempt}"), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    let key_of = |qid: &str| {
        key["review"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["question_id"] == qid)
            .unwrap()["correct_answer"]
            .clone()
    };
    for q in started["questions"].as_array().unwrap() {
        let qid = q["id"].as_str().unwrap();
        match q["kind"].as_str().unwrap() {
            "single" => {
                let k = q["options"].as_array().unwrap().len() as f64;
                let p = 1.0 / k;
                tally.trials += 1.0;
                tally.expected += p;
                tally.variance += p * (1.0 - p);
                // No shown id is one derived from the authored ids (a, b, c, …).
                for o in q["options"].as_array().unwrap() {
                    let id = o["id"].as_str().unwrap();
                    let derivable =
                        ('a'..='h').any(|a| derived_id(&attempt, qid, &format!("opt:{a}")) == id);
                    assert!(
                        !derivable,
                        "{slug}/{qid}: option id {id} is derived from its authored id"
                    );
                }
                let order = page_options(&html, qid);
                assert_eq!(
                    order.len() as f64,
                    k,
                    "{slug}/{qid}: the page shows every option"
                );
                let right = key_of(qid);
                for s in STRATEGIES {
                    if json!(pick(s, &attempt, q, &order)) == right {
                        *tally.hits.entry(s).or_default() += 1.0;
                    }
                }
            }
            "matching" => {
                let right = key_of(qid);
                let items = q["items"].as_array().unwrap();
                let n = items.len() as f64;
                let rights: Vec<&str> = q["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["id"].as_str().unwrap())
                    .collect();
                for (i, item) in items.iter().enumerate() {
                    let p = 1.0 / n;
                    tally.pair_trials += 1.0;
                    tally.pair_expected += p;
                    // The hits of one question are the fixed points of a random permutation:
                    // mean 1 and variance 1 per question (n ≥ 2), i.e. 1/n per item.
                    tally.pair_variance += p;
                    // The old ids paired left i with right i: derive both and pair them, or
                    // fall back to the right item shown at the same position.
                    let left = item["id"].as_str().unwrap();
                    let guess = (0..items.len())
                        .find(|j| derived_id(&attempt, qid, &format!("l:{j}")) == left)
                        .map(|j| derived_id(&attempt, qid, &format!("r:{j}")))
                        .filter(|r| rights.contains(&r.as_str()))
                        .unwrap_or_else(|| rights[i % rights.len()].to_string());
                    if right[left] == json!(guess) {
                        tally.pair_hits += 1.0;
                    }
                }
            }
            _ => {}
        }
    }
    let r = app
        .post_json(
            &format!("/api/v1/attempts/{attempt}/submit"),
            Some(trainee),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

/// Statistical bound: under chance, a strategy's hits over N independent single-choice
/// questions (k_i options each) have mean Σ1/k_i and variance Σ(1/k_i)(1−1/k_i). Each strategy
/// must stay below mean + 4.5 standard deviations (a false alarm about once in 300,000 per
/// strategy by the normal approximation; N is several hundred). Matching items are counted
/// the same way (the hits of one question are a random permutation's fixed points). The old
/// derived ids scored every single-choice question of the shipped quizzes; any shown id that
/// can be derived from an authored id fails the test outright.
#[tokio::test]
async fn a_trainee_answering_only_from_ids_order_and_markup_scores_no_better_than_chance_on_every_shipped_quiz(
) {
    const ATTEMPTS: i32 = 12;
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    publish_recert(&app, &c).await;
    let (trainee_id, trainee) = c.trainees[0].clone();
    let web = sign_in(&app, "trainee0@example.org").await;
    complete(&app, &c, &trainee, &["07-recertification-refresher"], &[]).await;
    let mut tally = Tally::default();
    for slug in MODULE_QUIZZES.iter().chain(["final-exam"].iter()) {
        if *slug == "final-exam" {
            // The exam opens once modules 1–5 are read and their quizzes passed.
            complete(
                &app,
                &c,
                &trainee,
                &EXAM_MODULES,
                &["q01", "q02", "q03", "q04", "q05"],
            )
            .await;
        }
        extra_attempts(&app, &c, &trainee_id, slug, 20).await;
        for _ in 0..ATTEMPTS {
            attack_once(&app, &c, &trainee, &web, slug, &mut tally).await;
        }
    }
    let bound = tally.expected + 4.5 * tally.variance.sqrt();
    assert!(
        tally.trials >= 300.0,
        "{} single-choice trials",
        tally.trials
    );
    for s in STRATEGIES {
        let hits = tally.hits.get(s).copied().unwrap_or(0.0);
        eprintln!(
            "strategy '{s}': {hits} of {} single-choice keys (chance {:.1}, bound {bound:.1})",
            tally.trials, tally.expected
        );
        assert!(
            hits <= bound,
            "strategy '{s}' found {hits} of {} keys; chance gives {:.1}, the bound is {bound:.1}",
            tally.trials,
            tally.expected
        );
    }
    let pair_bound = tally.pair_expected + 4.5 * tally.pair_variance.sqrt();
    eprintln!(
        "matching: {} of {} pairs (chance {:.1}, bound {pair_bound:.1})",
        tally.pair_hits, tally.pair_trials, tally.pair_expected
    );
    assert!(
        tally.pair_trials >= 100.0,
        "{} matching items",
        tally.pair_trials
    );
    assert!(
        tally.pair_hits <= pair_bound,
        "derived matching ids found {} of {} pairs; chance gives {:.1}",
        tally.pair_hits,
        tally.pair_trials,
        tally.pair_expected
    );
}

/// What the cohort's trainees sit and what counts: the quiz list a trainee sees, the
/// eligibility criteria, and the module text.
async fn snapshot(app: &TestApp, c: &Cohort, trainee: &str) -> (Value, Value, Value) {
    let quizzes: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/quizzes", c.cohort),
            Some(trainee),
        )
        .await
        .json()
        .await
        .unwrap();
    let eligibility: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/eligibility", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let module: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/modules/01-what-is-tis-s", c.cohort),
            Some(trainee),
        )
        .await
        .json()
        .await
        .unwrap();
    (quizzes, eligibility, module)
}

async fn gift(app: &TestApp, token: &str, query: &str, body: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/quizzes/import-gift?{query}")))
        .bearer_auth(token)
        .header("content-type", "text/plain; charset=utf-8")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

const EASY_GIFT: &str = "::e1::ข้อใดถูก {=ถูก ~ผิด}\n\n::e2::1 + 1 = 2 {T}\n";

#[tokio::test]
async fn an_instructor_with_no_tie_to_a_cohort_cannot_change_what_it_sits_or_what_counts() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let trainee = c.trainees[0].1.clone();
    // The outsider teaches another cohort.
    let (outsider, outsider_token) = app
        .user_with_token(Role::Instructor, "outsider@example.org")
        .await;
    let other = crate::cohorts::create_cohort(&app, &c.admin, 2, 10).await;
    let other_id = other["id"].as_str().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{other_id}/members"),
            Some(&c.admin),
            &json!({"user_id": outsider.id, "role": "instructor"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let before = snapshot(&app, &c, &trainee).await;

    // GIFT over a scheme quiz: programme-wide, for their own cohort, for the target cohort.
    for query in [
        "slug=final-exam&pass_percent=0".to_string(),
        format!("slug=final-exam&cohort_id={other_id}"),
        format!("slug=q01&cohort_id={}", c.cohort),
        "slug=recert".to_string(),
    ] {
        let r = gift(&app, &outsider_token, &query, EASY_GIFT).await;
        assert_eq!(error_code(r, 409).await, "scheme_quiz", "{query}");
    }
    // A quiz of their own, but for a cohort they do not teach; or with no cohort.
    let r = gift(
        &app,
        &outsider_token,
        &format!("slug=extra&cohort_id={}", c.cohort),
        EASY_GIFT,
    )
    .await;
    assert_eq!(r.status(), 404, "{}", r.text().await.unwrap());
    let r = gift(&app, &outsider_token, "slug=extra", EASY_GIFT).await;
    assert_eq!(error_code(r, 422).await, "cohort_required");
    // Publish, unpublish and overrides in the target cohort.
    for path in [
        format!("/api/v1/cohorts/{}/quizzes/final-exam/publish", c.cohort),
        format!("/api/v1/cohorts/{}/quizzes/final-exam/unpublish", c.cohort),
        format!(
            "/api/v1/cohorts/{}/modules/01-what-is-tis-s/publish",
            c.cohort
        ),
    ] {
        let r = app
            .post_json(&path, Some(&outsider_token), &json!({}))
            .await;
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = app
        .client
        .put(app.url(&format!(
            "/api/v1/cohorts/{}/quizzes/final-exam/overrides/{}",
            c.cohort, c.trainees[0].0
        )))
        .bearer_auth(&outsider_token)
        .json(&json!({"extra_seconds": 86400, "extra_attempts": 20}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // A module edit is only a draft: nobody sees it, and publishing still gives the approved
    // text, even when the cohort's own instructor publishes after the outsider's edit.
    let r = app
        .post_json(
            "/api/v1/modules/01-what-is-tis-s/revisions",
            Some(&outsider_token),
            &json!({"title_th": "แก้โดยคนนอก", "title_en": "Edited by an outsider",
                    "markdown_th": "# คำตอบ: ทุกข้อคือ ก", "markdown_en": "# The answer is always A"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let draft: Value = r.json().await.unwrap();
    assert_eq!(draft["status"], "draft");
    let r = app
        .post_json(
            &format!(
                "/api/v1/cohorts/{}/modules/01-what-is-tis-s/publish",
                c.cohort
            ),
            Some(&c.admin),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post_json(
            &format!(
                "/api/v1/module-revisions/{}/approve",
                draft["id"].as_str().unwrap()
            ),
            Some(&outsider_token),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 403);

    let after = snapshot(&app, &c, &trainee).await;
    assert_eq!(before.0, after.0, "the quizzes the trainee sits changed");
    assert_eq!(before.1, after.1, "what eligibility counts changed");
    assert_eq!(before.2["html"], after.2["html"], "the module text changed");
    assert!(!after.2["html"].as_str().unwrap().contains("always"));
    // The draft is audited.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'module_draft_saved'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_instructors_own_quiz_stays_in_their_cohort_and_a_scheme_quiz_changes_only_by_an_admin_under_its_rules(
) {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let trainee = c.trainees[0].1.clone();
    let (teacher, teacher_token) = app
        .user_with_token(Role::Instructor, "teacher@example.org")
        .await;
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/members", c.cohort),
            Some(&c.admin),
            &json!({"user_id": teacher.id, "role": "instructor"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let other = crate::cohorts::create_cohort(&app, &c.admin, 2, 10).await;
    let other_id = other["id"].as_str().unwrap();

    // The cohort's own instructor: a practice quiz for the cohort, under a slug of their own.
    let r = gift(
        &app,
        &teacher_token,
        &format!("slug=practice&cohort_id={}&pass_percent=50", c.cohort),
        EASY_GIFT,
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/quizzes/practice/publish", c.cohort),
            Some(&teacher_token),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let mine: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/quizzes", c.cohort),
            Some(&trainee),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(mine
        .as_array()
        .unwrap()
        .iter()
        .any(|q| q["slug"] == "practice"));
    // Another cohort does not see it and cannot publish it.
    let theirs: Value = app
        .get(
            &format!("/api/v1/cohorts/{other_id}/quizzes"),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!theirs
        .as_array()
        .unwrap()
        .iter()
        .any(|q| q["slug"] == "practice"));
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{other_id}/quizzes/practice/publish"),
            Some(&c.admin),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 404);
    // Even the cohort's own instructor cannot touch a scheme quiz.
    let r = gift(
        &app,
        &teacher_token,
        &format!("slug=final-exam&cohort_id={}", c.cohort),
        EASY_GIFT,
    )
    .await;
    assert_eq!(error_code(r, 409).await, "scheme_quiz");

    // An admin may give a scheme quiz new questions programme-wide, but not new rules.
    let r = gift(&app, &c.admin, "slug=q01&pass_percent=0", EASY_GIFT).await;
    assert_eq!(error_code(r, 409).await, "scheme_quiz");
    let r = gift(
        &app,
        &c.admin,
        &format!("slug=q01&cohort_id={}", c.cohort),
        EASY_GIFT,
    )
    .await;
    assert_eq!(error_code(r, 409).await, "scheme_quiz");
    let r = gift(&app, &c.admin, "slug=q01", EASY_GIFT).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let q01: Value = r.json().await.unwrap();
    assert_eq!(q01["pass_percent"], 70, "the scheme's pass mark is kept");
    assert_eq!(q01["attempts_allowed"], 3);
    assert_eq!(q01["module"], "01-what-is-tis-s");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'scheme_quiz_revised'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'quiz_imported'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_instructors_module_edit_is_a_draft_until_an_admin_approves_it() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let trainee = c.trainees[0].1.clone();
    let (_, teacher) = app
        .user_with_token(Role::Instructor, "teacher@example.org")
        .await;
    let edit = json!({"title_th": "บทที่ 1 ฉบับปรับปรุง", "title_en": "Module 1 revised",
                      "markdown_th": "# ฉบับร่างใหม่", "markdown_en": "# A new draft"});
    let r = app
        .post_json(
            "/api/v1/modules/01-what-is-tis-s/revisions",
            Some(&teacher),
            &edit,
        )
        .await;
    assert_eq!(r.status(), 201);
    let draft: Value = r.json().await.unwrap();
    assert_eq!(draft["status"], "draft");
    let id = draft["id"].as_str().unwrap().to_string();
    let read = |app: &TestApp| {
        let t = trainee.clone();
        let cohort = c.cohort.clone();
        let admin = c.admin.clone();
        let app_url = app.url("");
        let client = app.client.clone();
        async move {
            let publish = client
                .post(format!(
                    "{app_url}/api/v1/cohorts/{cohort}/modules/01-what-is-tis-s/publish"
                ))
                .bearer_auth(&admin)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(publish.status(), 200);
            let m: Value = client
                .get(format!(
                    "{app_url}/api/v1/cohorts/{cohort}/modules/01-what-is-tis-s"
                ))
                .bearer_auth(&t)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            m["html"].as_str().unwrap().to_string()
        }
    };
    assert!(
        !read(&app).await.contains("ฉบับร่างใหม่"),
        "a draft was published"
    );
    // Approval makes it the newest revision; the decision is audited; a second one is refused.
    let r = app
        .post_json(
            &format!("/api/v1/module-revisions/{id}/approve"),
            Some(&c.admin),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(read(&app).await.contains("ฉบับร่างใหม่"));
    let r = app
        .post_json(
            &format!("/api/v1/module-revisions/{id}/reject"),
            Some(&c.admin),
            &json!({}),
        )
        .await;
    assert_eq!(error_code(r, 409).await, "not_a_draft");
    assert_eq!(
        app.count(format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE subject_id = '{id}' AND action IN ('module_draft_saved', 'module_draft_approved')"
        ))
        .await,
        2
    );
    // An admin's own edit is approved at once.
    let r = app
        .post_json(
            "/api/v1/modules/01-what-is-tis-s/revisions",
            Some(&c.admin),
            &json!({"title_th": "บทที่ 1", "title_en": "Module 1", "markdown_th": "# ฉบับผู้ดูแล", "markdown_en": "# Admin's"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let rev: Value = r.json().await.unwrap();
    assert_eq!(rev["status"], "approved");
    assert!(read(&app).await.contains("ฉบับผู้ดูแล"));
}

/// Fields a person's browser would send for the first `n` questions of the page, answered
/// from the staff key (the rest left blank); matching questions are answered for their first
/// item only, so they stay partly answered.
fn form_fields(key: &Value, csrf: &str, n: usize) -> Vec<(String, String)> {
    let mut fields = vec![("csrf".to_string(), csrf.to_string())];
    for item in key["review"].as_array().unwrap().iter().take(n) {
        let qid = item["question_id"].as_str().unwrap();
        match &item["correct_answer"] {
            Value::String(s) => fields.push((format!("q:{qid}"), s.clone())),
            Value::Bool(b) => fields.push((format!("q:{qid}"), b.to_string())),
            Value::Array(a)
                if a.first()
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.starts_with('o') && s.len() == 11) =>
            {
                for v in a {
                    fields.push((format!("q:{qid}"), v.as_str().unwrap().into()));
                }
            }
            Value::Array(a) => fields.push((format!("q:{qid}"), a[0].as_str().unwrap().into())),
            Value::Object(m) if m.contains_key("tolerance") => {
                fields.push((format!("q:{qid}"), m["answer"].to_string()))
            }
            Value::Object(m) => {
                if let Some((l, r)) = m.iter().next() {
                    fields.push((format!("q:{qid}:{l}"), r.as_str().unwrap().into()));
                }
            }
            other => panic!("unexpected key {other}"),
        }
    }
    fields
}

#[tokio::test]
async fn every_shipped_quiz_page_works_unanswered_partly_answered_at_the_summary_and_in_review() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    publish_recert(&app, &c).await;
    let trainee = c.trainees[0].1.clone();
    let web = sign_in(&app, "trainee0@example.org").await;
    let mut modules = EXAM_MODULES.to_vec();
    modules.push("07-recertification-refresher");
    complete(&app, &c, &trainee, &modules, &[]).await;
    let mut kinds_seen = std::collections::BTreeSet::new();
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
        if slug == "final-exam" {
            complete(
                &app,
                &c,
                &trainee,
                &[],
                &["q01", "q02", "q03", "q04", "q05"],
            )
            .await;
        }
        let start = page(&app, &web, &format!("/cohorts/{}/quizzes/{slug}", c.cohort)).await;
        let res = web
            .post(app.url(&format!("/cohorts/{}/quizzes/{slug}/start", c.cohort)))
            .form(&[("csrf", csrf_of(&start))])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{slug}: start");
        let attempt_path = res.headers()["location"].to_str().unwrap().to_string();
        let attempt = attempt_path.trim_start_matches("/attempts/").to_string();
        // Unanswered: every question shows, matching questions included.
        let take = page(&app, &web, &attempt_path).await;
        let key: Value = app
            .get(&format!("/api/v1/attempts/{attempt}"), Some(&c.admin))
            .await
            .json()
            .await
            .unwrap();
        let items = key["review"].as_array().unwrap();
        for q in items {
            let qid = q["question_id"].as_str().unwrap();
            assert!(
                take.contains(&format!("data-qid=\"{qid}\"")),
                "{slug}: {qid} missing"
            );
        }
        for k in take.split("data-kind=\"").skip(1) {
            kinds_seen.insert(k.split('"').next().unwrap().to_string());
        }
        // Partly answered (half the questions; matching ones with one pair): the page still
        // renders, with the saved choices selected, after a reload (a reconnect).
        let half = items.len() / 2;
        let fields = form_fields(&key, &csrf_of(&take), half);
        let mut with_review = fields.clone();
        with_review.push(("review".into(), "1".into()));
        let res = web
            .post(app.url(&format!("{attempt_path}/submit")))
            .form(&with_review)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{slug}: the summary");
        let summary = res.text().await.unwrap();
        let unanswered = items.len() - half;
        assert!(
            summary.contains(&format!(": {unanswered} / {}", items.len())),
            "{slug}: the summary names {unanswered} unanswered questions"
        );
        assert_eq!(
            summary.matches("ยังไม่ได้ตอบ</strong>").count(),
            unanswered,
            "{slug}: each unanswered question is named"
        );
        let reloaded = page(&app, &web, &attempt_path).await;
        assert!(
            reloaded.contains(" selected>") || reloaded.contains(" checked>"),
            "{slug}"
        );
        // The final submit from the summary, then the result with the trainee's own answers.
        let res = web
            .post(app.url(&format!("{attempt_path}/submit")))
            .form(&[("csrf", csrf_of(&summary)), ("confirm", "1".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{slug}: submit");
        let result = page(&app, &web, &attempt_path).await;
        assert!(result.contains("ขั้นตอนต่อไป"), "{slug}: the next step");
        if slug != "final-exam" {
            assert!(
                result.contains("class=\"your-answer\""),
                "{slug}: own answers in review"
            );
            assert!(result.contains("class=\"correct-answer\""), "{slug}");
        }
        let state: Value = app
            .get(&format!("/api/v1/attempts/{attempt}"), Some(&trainee))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(state["state"], "submitted", "{slug}");
    }
    for kind in [
        "single",
        "multiple",
        "true_false",
        "short_text",
        "numeric",
        "matching",
    ] {
        assert!(
            kinds_seen.contains(kind),
            "no shipped quiz page showed a {kind} question"
        );
    }
}

#[tokio::test]
async fn a_quiz_page_left_open_past_its_deadline_shows_the_closed_attempt_with_partial_matching() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let trainee = c.trainees[0].1.clone();
    let web = sign_in(&app, "trainee0@example.org").await;
    // q02 holds a matching question; one pair is answered, then the time runs out.
    let start = page(&app, &web, &format!("/cohorts/{}/quizzes/q02", c.cohort)).await;
    let res = web
        .post(app.url(&format!("/cohorts/{}/quizzes/q02/start", c.cohort)))
        .form(&[("csrf", csrf_of(&start))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let attempt_path = res.headers()["location"].to_str().unwrap().to_string();
    let attempt = attempt_path.trim_start_matches("/attempts/").to_string();
    let key: Value = app
        .get(&format!("/api/v1/attempts/{attempt}"), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    let matching = key["review"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["correct_answer"].is_object() && r["correct_answer"].get("tolerance").is_none())
        .expect("q02 has a matching question");
    let (left, right) = matching["correct_answer"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let r = app
        .client
        .put(app.url(&format!(
            "/api/v1/attempts/{attempt}/answers/{}",
            matching["question_id"].as_str().unwrap()
        )))
        .bearer_auth(&trainee)
        .json(&json!({"answer": {left: right}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Partly answered matching, page reloaded (a reconnect): the saved pair is selected.
    let take = page(&app, &web, &attempt_path).await;
    assert!(take.contains(&format!("value=\"{}\" selected", right.as_str().unwrap())));
    // Time passes (the service's clock, not the row): an hour is past any quiz's limit.
    app.db.clock().advance(chrono::Duration::hours(2));
    // The background job finalises it; the page then shows the closed attempt and its review.
    let mut closed = String::new();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        closed = page(&app, &web, &attempt_path).await;
        if !closed.contains("id=\"quiz\"") {
            break;
        }
    }
    assert!(
        !closed.contains("id=\"quiz\""),
        "the attempt was not closed"
    );
    assert!(
        closed.contains("class=\"your-answer\""),
        "review after close"
    );
    assert!(closed.contains("ขั้นตอนต่อไป"));
}
