//! The training project's own measures (issue 25): the anonymous satisfaction survey, the
//! pre/post test and the training hours, as figures a test recomputes from the raw answers.

use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::credentials::cohort_with_trainees;
use crate::helpers::{error_code, spawn_app, TestApp};

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn sd(xs: &[f64]) -> f64 {
    let m = mean(xs);
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)).sqrt()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn survey(app: &TestApp, cohort: &str, token: &str) -> Value {
    let list: Value = app
        .get(&format!("/api/v1/cohorts/{cohort}/surveys"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["slug"] == "satisfaction")
        .unwrap()
        .clone()
}

async fn respond(app: &TestApp, cohort: &str, token: &str, answers: &Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/cohorts/{cohort}/surveys/satisfaction/responses"),
        Some(token),
        &json!({ "answers": answers }),
    )
    .await
}

#[tokio::test]
async fn the_survey_is_answered_once_without_a_name_and_its_results_add_up() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 5).await;
    let s = survey(&app, &c.cohort, &c.trainees[0].1).await;
    let items = s["items"].as_array().unwrap().clone();
    let scale: Vec<String> = items
        .iter()
        .filter(|i| i["kind"] == "scale")
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    let open: Vec<String> = items
        .iter()
        .filter(|i| i["kind"] == "text")
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert!(scale.len() >= 12 && !open.is_empty(), "{s}");
    assert_eq!(s["responded"], false);

    // Each trainee rates every item; trainee k gives item j the rating 1 + (k + j) % 5, and
    // trainees 0 and 3 leave a comment.
    let mut given: Vec<Vec<f64>> = vec![Vec::new(); scale.len()];
    for (k, (_, token)) in c.trainees.iter().enumerate() {
        let mut answers = serde_json::Map::new();
        for (j, id) in scale.iter().enumerate() {
            let r = 1 + (k + j) % 5;
            given[j].push(r as f64);
            answers.insert(id.clone(), json!(r));
        }
        if k % 3 == 0 {
            answers.insert(open[0].clone(), json!(format!("ข้อเสนอแนะลับหมายเลข {k}")));
        }
        let res = respond(&app, &c.cohort, token, &Value::Object(answers)).await;
        assert_eq!(res.status(), 201);
    }
    // A second response is refused; so are a rating of 6, a missing item and an unknown one.
    let again = json!({ scale[0].clone(): 5 });
    let res = respond(&app, &c.cohort, &c.trainees[0].1, &again).await;
    assert_eq!(
        res.status(),
        422,
        "incomplete is checked before the duplicate"
    );
    let mut full = serde_json::Map::new();
    for id in &scale {
        full.insert(id.clone(), json!(4));
    }
    let res = respond(
        &app,
        &c.cohort,
        &c.trainees[0].1,
        &Value::Object(full.clone()),
    )
    .await;
    assert_eq!(error_code(res, 409).await, "already_responded");
    let (_, late) = app.user_with_token(Role::Trainee, "late@example.org").await;
    let code: Value = app
        .get(&format!("/api/v1/cohorts/{}", c.cohort), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    app.post_json(
        "/api/v1/cohorts/join",
        Some(&late),
        &json!({"join_code": code["join_code"]}),
    )
    .await;
    for (bad, why) in [
        (json!(6), "1 to 5"),
        (json!("มาก"), "1 to 5"),
        (json!(2.5), "1 to 5"),
    ] {
        let mut a = full.clone();
        a.insert(scale[0].clone(), bad);
        let res = respond(&app, &c.cohort, &late, &Value::Object(a)).await;
        assert_eq!(res.status(), 422);
        let b: Value = res.json().await.unwrap();
        assert!(b["error"]["message"].as_str().unwrap().contains(why), "{b}");
    }
    let mut a = full.clone();
    a.insert("nope".into(), json!(3));
    assert_eq!(
        respond(&app, &c.cohort, &late, &Value::Object(a))
            .await
            .status(),
        422
    );
    // Staff do not answer the trainees' survey; trainees do not read the results.
    let res = respond(&app, &c.cohort, &c.admin, &Value::Object(full.clone())).await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.get(
            &format!("/api/v1/cohorts/{}/evaluation", c.cohort),
            Some(&late)
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        survey(&app, &c.cohort, &c.trainees[0].1).await["responded"],
        true
    );

    // The results equal those recomputed here from the ratings given.
    let e: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/evaluation", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let sat = &e["satisfaction"];
    assert_eq!(sat["n"], 5, "{sat}");
    let all: Vec<f64> = given.iter().flatten().copied().collect();
    assert_eq!(sat["mean"].as_f64().unwrap(), round2(mean(&all)));
    assert_eq!(sat["sd"].as_f64().unwrap(), round2(sd(&all)));
    let band = |m: f64| match round2(m) {
        x if x >= 4.51 => "มากที่สุด",
        x if x >= 3.51 => "มาก",
        x if x >= 2.51 => "ปานกลาง",
        x if x >= 1.51 => "น้อย",
        _ => "น้อยที่สุด",
    };
    assert_eq!(sat["band_th"], band(mean(&all)));
    let results: Vec<&Value> = sat["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["items"].as_array().unwrap())
        .collect();
    assert_eq!(results.len(), scale.len());
    for (j, id) in scale.iter().enumerate() {
        let r = results.iter().find(|r| r["id"] == id.as_str()).unwrap();
        assert_eq!(r["n"], 5);
        assert_eq!(r["mean"].as_f64().unwrap(), round2(mean(&given[j])), "{id}");
        assert_eq!(r["sd"].as_f64().unwrap(), round2(sd(&given[j])), "{id}");
        assert_eq!(r["band_th"], band(mean(&given[j])), "{id}");
    }
    for section in sat["sections"].as_array().unwrap() {
        let ids: Vec<&str> = section["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        let xs: Vec<f64> = scale
            .iter()
            .enumerate()
            .filter(|(_, id)| ids.contains(&id.as_str()))
            .flat_map(|(j, _)| given[j].clone())
            .collect();
        assert_eq!(section["mean"].as_f64().unwrap(), round2(mean(&xs)));
    }
    let comments: Vec<&str> = sat["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert!(comments.contains(&"ข้อเสนอแนะลับหมายเลข 3"));

    // Nothing links an answer to a person: the results name no trainee, and the stored answers
    // carry no person and no time.
    let text = e["satisfaction"].to_string();
    for (id, _) in &c.trainees {
        assert!(!text.contains(id.as_str()), "{text}");
    }
    assert!(!text.contains("example.org"));
    let columns = app
        .count(
            "SELECT COUNT(*) AS n FROM survey_responses WHERE answers_json LIKE '%trainee%' \
             OR answers_json LIKE '%@%'",
        )
        .await;
    assert_eq!(columns, 0);
    for (id, _) in &c.trainees {
        assert_eq!(
            app.count(format!(
                "SELECT COUNT(*) AS n FROM survey_responses WHERE id = '{id}' OR answers_json LIKE '%{id}%'"
            ))
            .await,
            0
        );
    }
    // The results as CSV (with the comments) and XLSX: still no name.
    let csv = app
        .get(
            &format!("/api/v1/cohorts/{}/evaluation?format=csv", c.cohort),
            Some(&c.admin),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("ข้อเสนอแนะลับหมายเลข 3"), "{csv}");
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("item,")).count(),
        scale.len()
    );
    assert!(!csv.contains("example.org"));
    let res = app
        .get(
            &format!("/api/v1/cohorts/{}/evaluation?format=xlsx", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(&res.bytes().await.unwrap()[..2], b"PK");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM survey_respondents")
            .await,
        5
    );
    // SQLite keeps rows in rowid order (and the export lists them so): the answers' rowids are
    // random, not 1, 2, 3… in the order of the respondents.
    if crate::helpers::backend_name() == "SQLite" {
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM survey_responses WHERE rowid <= 1000")
                .await,
            0
        );
    }
}

#[tokio::test]
async fn training_hours_come_from_the_sessions_attended() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    // Two sessions held: 3 hours and 2 hours; trainee 0 was present at the first only.
    let first = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -600, 180).await;
    crate::cohorts::session_now(&app, &c.admin, &c.cohort, -300, 120).await;
    let res = app
        .client
        .put(app.url(&format!(
            "/api/v1/sessions/{}/attendance/{}",
            first["id"].as_str().unwrap(),
            c.trainees[0].0
        )))
        .bearer_auth(&c.admin)
        .json(&json!({"status": "present"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let e: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/evaluation", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(e["attendance"]["scheduled_hours"], 5.0, "{e}");
    let of = |u: &str| {
        e["attendance"]["trainees"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["user_id"] == u)
            .unwrap()
            .clone()
    };
    assert_eq!(of(&c.trainees[0].0)["attended_hours"], 3.0);
    assert_eq!(of(&c.trainees[0].0)["percent"], 60.0);
    assert_eq!(of(&c.trainees[1].0)["attended_hours"], 0.0);
    // The same hours on the roster (JSON and CSV) and on the trainee's own cohort page.
    let roster: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/roster", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let line = roster
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == c.trainees[0].0.as_str())
        .unwrap();
    assert_eq!(line["attended_hours"], 3.0);
    assert_eq!(line["attendance_percent"], 60.0);
    let csv = app
        .get(
            &format!("/api/v1/cohorts/{}/roster?format=csv", c.cohort),
            Some(&c.admin),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines().next().unwrap().contains("training_hours"),
        "{csv}"
    );
    assert!(csv.contains(",3.00,"), "{csv}");
    let b = crate::web::sign_in(&app, "trainee0@example.org").await;
    let html = crate::web::page(&app, &b, &format!("/cohorts/{}", c.cohort)).await;
    assert!(
        html.contains("ชั่วโมงอบรมของท่าน: 3.0 ชม. / 5.0 ชม. (60%)"),
        "{html}"
    );
    // And on the dashboard, with the survey still to answer.
    let home = crate::web::page(&app, &b, "/").await;
    assert!(
        home.contains("ชั่วโมงอบรมของท่าน: 3.0 / 5.0 ชม. (60%)"),
        "{home}"
    );
    assert!(
        home.contains(&format!("/cohorts/{}/surveys/satisfaction", c.cohort)),
        "{home}"
    );
}

/// Takes a published quiz answering the first `right` questions of the attempt with the key
/// (read as staff) and leaving the rest blank; the attempt's percent as the API reports it.
async fn take(
    app: &TestApp,
    c: &crate::credentials::Cohort,
    token: &str,
    slug: &str,
    right: usize,
) -> f64 {
    let started: Value = app
        .post_json(
            &format!("/api/v1/cohorts/{}/quizzes/{slug}/attempts", c.cohort),
            Some(token),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let a = started["attempt_id"].as_str().unwrap().to_string();
    let staff: Value = app
        .get(&format!("/api/v1/attempts/{a}"), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    for item in staff["review"].as_array().unwrap().iter().take(right) {
        let res = app
            .client
            .put(app.url(&format!(
                "/api/v1/attempts/{a}/answers/{}",
                item["question_id"].as_str().unwrap()
            )))
            .bearer_auth(token)
            .json(&json!({"answer": item["correct_answer"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let r: Value = app
        .post_json(
            &format!("/api/v1/attempts/{a}/submit"),
            Some(token),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    // The pre-test never shows its key to the trainee.
    if slug == "pretest" {
        let own: Value = app
            .get(&format!("/api/v1/attempts/{a}"), Some(token))
            .await
            .json()
            .await
            .unwrap();
        assert!(own.get("review").is_none(), "{own}");
    }
    r["percent"].as_f64().unwrap()
}

#[tokio::test]
async fn pre_and_post_tests_give_the_means_the_gain_and_a_paired_t_test() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 4).await;
    for slug in ["pretest", "posttest"] {
        let res = app
            .post_json(
                &format!("/api/v1/cohorts/{}/quizzes/{slug}/publish", c.cohort),
                Some(&c.admin),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    // Right answers out of 12 before and after: one trainee does not improve.
    let plan = [(2, 5), (4, 4), (6, 10), (8, 11)];
    let mut pre = Vec::new();
    let mut post = Vec::new();
    for ((_, token), (before, after)) in c.trainees.iter().zip(plan) {
        pre.push(take(&app, &c, token, "pretest", before).await);
        post.push(take(&app, &c, token, "posttest", after).await);
    }
    assert!((pre[0] - 100.0 * 2.0 / 12.0).abs() < 0.01, "{pre:?}");
    let e: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/evaluation", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    // Recomputed here from the attempts' percents.
    let gains: Vec<f64> = pre.iter().zip(&post).map(|(a, b)| b - a).collect();
    assert_eq!(e["pretest"]["n"], 4);
    assert_eq!(
        e["pretest"]["mean_percent"].as_f64().unwrap(),
        round2(mean(&pre))
    );
    assert_eq!(
        e["posttest"]["mean_percent"].as_f64().unwrap(),
        round2(mean(&post))
    );
    let p = &e["paired"];
    assert_eq!(p["n"], 4);
    assert_eq!(p["mean_gain"].as_f64().unwrap(), round2(mean(&gains)));
    assert_eq!(p["improved_percent"].as_f64().unwrap(), 75.0);
    let g = (mean(&post) - mean(&pre)) / (100.0 - mean(&pre));
    assert_eq!(p["normalised_gain"].as_f64().unwrap(), round2(g));
    let t = mean(&gains) / (sd(&gains) / 2.0);
    assert!((p["t"].as_f64().unwrap() - t).abs() < 1e-3, "{p} vs {t}");
    assert_eq!(p["df"], 3.0);
    let pv = p["p"].as_f64().unwrap();
    assert!(pv > 0.0 && pv < 0.1, "{p}");
    // Per trainee, for the report's appendix.
    let rows = e["attendance"]["trainees"].as_array().unwrap();
    for ((id, _), (a, b)) in c.trainees.iter().zip(pre.iter().zip(&post)) {
        let r = rows.iter().find(|r| r["user_id"] == id.as_str()).unwrap();
        assert_eq!(r["pretest_percent"].as_f64().unwrap(), *a);
        assert_eq!(r["posttest_percent"].as_f64().unwrap(), *b);
    }
    // The staff cohort page shows the figures and the pre/post chart.
    let b = crate::web::sign_in(&app, "admin@example.org").await;
    let html = crate::web::page(&app, &b, &format!("/cohorts/{}", c.cohort)).await;
    assert!(html.contains("ผลการประเมินโครงการ"), "{html}");
    assert!(
        html.contains(&format!("{}%", round2(mean(&post)))),
        "{html}"
    );
    assert!(html.contains("<circle"), "{html}");
    // Neither test counts for a credential: the scheme names neither.
    let elig: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/eligibility", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!elig.to_string().contains("pretest"));
}

#[tokio::test]
async fn a_trainee_answers_the_survey_on_its_page_once() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let b = crate::web::sign_in(&app, "trainee0@example.org").await;
    let cohort_page = crate::web::page(&app, &b, &format!("/cohorts/{}", c.cohort)).await;
    let path = format!("/cohorts/{}/surveys/satisfaction", c.cohort);
    assert!(cohort_page.contains(&path), "{cohort_page}");
    let form = crate::web::page(&app, &b, &path).await;
    let ids: Vec<String> = form
        .split("name=\"a:")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(ids.len() > 10, "{form}");
    // Missing ratings come back with the reason and what was chosen.
    let first = ids
        .iter()
        .find(|i| {
            !i.contains("comment")
                && !i.contains("suggest")
                && !i.contains("problem")
                && !i.contains("topic")
        })
        .unwrap()
        .clone();
    let key = format!("a:{first}");
    let res = crate::web::post_form(&app, &b, &path, &path, &[(key.as_str(), "4")]).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("value=\"4\" required checked"), "{body}");
    let scale: Vec<String> = form
        .split("type=\"radio\" name=\"a:")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let keys: Vec<String> = scale.iter().map(|i| format!("a:{i}")).collect();
    let mut fields: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "5")).collect();
    fields.push(("a:comments-suggestions", "ขอเพิ่มเวลาฝึกเขียนข้อค้นพบ"));
    let res = crate::web::post_form(&app, &b, &path, &path, &fields).await;
    assert_eq!(res.status(), 303);
    let after = crate::web::page(
        &app,
        &b,
        &format!("/cohorts/{}?done=survey_thanks", c.cohort),
    )
    .await;
    assert!(after.contains("ตอบแล้ว ขอบคุณ"), "{after}");
    assert!(after.contains("ไม่ผูกกับชื่อของท่าน"), "{after}");
    let e: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/evaluation", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(e["satisfaction"]["n"], 1);
    assert_eq!(e["satisfaction"]["mean"], 5.0);
}

#[tokio::test]
async fn the_closing_report_adds_up_from_the_raw_records_and_opens_in_an_xlsx_reader() {
    use calamine::Reader;
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 4).await;
    // Two offices: trainees 0 and 1 from Chiang Mai (TH-50), 2 and 3 from Khon Kaen (TH-40).
    for (id, _) in &c.trainees[2..] {
        let res = app
            .client
            .patch(app.url(&format!("/api/v1/users/{id}")))
            .bearer_auth(&c.admin)
            .json(&json!({"office_code": "TH-40"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // One 5-hour session: trainees 0, 1 and 2 present (100 %; trainee 2 online), trainee 3
    // absent.
    let s = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -400, 300).await;
    for (i, (id, _)) in c.trainees[..3].iter().enumerate() {
        let via = if i == 2 { "online" } else { "room" };
        let res = app
            .client
            .put(app.url(&format!(
                "/api/v1/sessions/{}/attendance/{id}",
                s["id"].as_str().unwrap()
            )))
            .bearer_auth(&c.admin)
            .json(&json!({"status": "present", "via": via}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }
    for slug in ["pretest", "posttest"] {
        app.post_json(
            &format!("/api/v1/cohorts/{}/quizzes/{slug}/publish", c.cohort),
            Some(&c.admin),
            &json!({}),
        )
        .await;
    }
    // Trainees 0, 1 and 3 take the post-test; 0, 2 and 3 answer the survey.
    for k in [0usize, 1, 3] {
        take(&app, &c, &c.trainees[k].1, "posttest", 6).await;
    }
    let s0 = survey(&app, &c.cohort, &c.trainees[0].1).await;
    let mut all4 = serde_json::Map::new();
    for i in s0["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "scale")
    {
        all4.insert(i["id"].as_str().unwrap().to_string(), json!(4));
    }
    for k in [0usize, 2, 3] {
        let res = respond(
            &app,
            &c.cohort,
            &c.trainees[k].1,
            &Value::Object(all4.clone()),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    // Trainee 0 is made eligible and credentialed (product); trainee 1 gets a service
    // credential by an override.
    crate::credentials::make_eligible(&app, &c, &c.trainees[0].1).await;
    let res = crate::credentials::issue(&app, &c, &c.trainees[0].0, "product", None).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let res = crate::credentials::issue(
        &app,
        &c,
        &c.trainees[1].0,
        "service",
        Some("ผ่านการอบรมงานบริการจากโครงการเดิม"),
    )
    .await;
    assert_eq!(res.status(), 201);

    let r: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/report", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    // Recomputed from the raw records the API gives: only trainee 0 attended ≥ 80 %, took the
    // post-test and answered the survey (1 lacks the survey, 2 the post-test, 3 attendance).
    assert_eq!(r["enrolled"], 4, "{r}");
    assert_eq!(r["completed"], 1, "{r}");
    let results: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/results", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let passed_both = c
        .trainees
        .iter()
        .filter(|(id, _)| {
            ["final-exam", "final-written"].iter().all(|q| {
                results.as_array().unwrap().iter().any(|x| {
                    x["user_id"] == id.as_str() && x["quiz_slug"] == *q && x["passed"] == true
                })
            })
        })
        .count();
    assert_eq!(passed_both, 1);
    assert_eq!(r["passed_exam"], passed_both);
    assert_eq!(r["credentialed"]["product"], 1);
    assert_eq!(r["credentialed"]["service"], 1);
    let office = |code: &str| {
        r["offices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["office_code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(office("TH-50")["enrolled"], 2);
    assert_eq!(office("TH-50")["completed"], 1);
    assert_eq!(office("TH-50")["credentialed"], 2);
    assert!(office("TH-50")["office_th"]
        .as_str()
        .unwrap()
        .starts_with("สำนักงานอุตสาหกรรมจังหวัดเชียงใหม่"));
    assert_eq!(office("TH-40")["enrolled"], 2);
    assert_eq!(office("TH-40")["credentialed"], 0);
    assert_eq!(r["evaluation"]["satisfaction"]["n"], 3);
    assert_eq!(r["evaluation"]["posttest"]["n"], 3);
    // The session's attendance: two in the room, one online, one absent (no mark).
    let sessions = r["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{r}");
    assert_eq!(sessions[0]["session_id"], s["id"]);
    for (k, v) in [("room", 2), ("online", 1), ("excused", 0), ("absent", 1)] {
        assert_eq!(sessions[0][k], v, "{k}: {}", sessions[0]);
    }
    // The indicators, recomputed from the raw figures against the shipped targets.
    let cohort: Value = app
        .get(&format!("/api/v1/cohorts/{}", c.cohort), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    let capacity = cohort["capacity"].as_f64().unwrap();
    let indicator = |id: &str| {
        r["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {r}"))
            .clone()
    };
    let credentialed_people = r["trainees"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["scopes"].as_array().unwrap().is_empty())
        .count() as f64;
    let sat_mean = r["evaluation"]["satisfaction"]["mean"].as_f64().unwrap();
    for (id, target, result) in [
        ("enrolment_percent", 90.0, round2(400.0 / capacity)),
        ("completion_percent", 80.0, 25.0),
        (
            "credentialed_percent",
            60.0,
            round2(100.0 * credentialed_people / 4.0),
        ),
        ("satisfaction_mean", 3.51, sat_mean),
    ] {
        let i = indicator(id);
        assert_eq!(i["target"].as_f64().unwrap(), target, "{i}");
        assert_eq!(i["result"].as_f64().unwrap(), result, "{i}");
        assert_eq!(i["met"].as_bool().unwrap(), result + 1e-9 >= target, "{i}");
    }
    assert_eq!(
        indicator("improved_percent")["result"],
        r["evaluation"]["paired"]["improved_percent"]
    );

    // The data sheets, read by calamine: the sheets and the same figures.
    let res = app
        .get(
            &format!("/api/v1/cohorts/{}/report?format=xlsx", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["สรุป", "สำนักงาน", "ผู้เข้าอบรม", "ความพึงพอใจ"]
    );
    let summary = book.worksheet_range("สรุป").unwrap();
    let value = |label: &str| {
        summary
            .rows()
            .find(|row| row[0] == label)
            .map(|row| row[1].to_string())
            .unwrap()
    };
    assert_eq!(value("ผู้เข้าอบรม"), "4");
    assert_eq!(value("ผ่านเกณฑ์การอบรม"), "1");
    assert_eq!(value("หนังสือรับรอง งานบริการ"), "1");
    let offices = book.worksheet_range("สำนักงาน").unwrap();
    let cm = offices.rows().find(|row| row[0] == "TH-50").unwrap();
    assert_eq!(cm[2].to_string(), "2");
    let people = book.worksheet_range("ผู้เข้าอบรม").unwrap();
    assert_eq!(people.height(), 5);

    // The documents officers file: our PDF read by pdftotext, and our DOCX opened by
    // LibreOffice, converted to PDF and read the same way. Both carry the Thai headings, the
    // narrative the officers wrote (a long unbroken Thai sentence wraps, it is not lost), the
    // figures of the JSON, the offices, the B.E. dates and page numbers.
    let problems =
        "ระบบออนไลน์ขัดข้องช่วงบ่ายวันแรกทำให้ผู้เข้าอบรมจากจังหวัดที่อยู่ห่างไกลเข้าร่วมได้ไม่ครบตามกำหนดเวลาที่วางไว้";
    let res = app
        .client
        .put(app.url(&format!("/api/v1/cohorts/{}/report/narrative", c.cohort)))
        .bearer_auth(&c.admin)
        .json(&json!({"background": "สมอ. จัดการอบรมผู้ตรวจประEMIN".replace("EMIN", "เมิน"),
            "objectives": "เพื่อพัฒนาผู้ตรวจประเมิน", "problems": problems, "suggestions": "ควรทดสอบระบบก่อนวันอบรม"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let r: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/report", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let two = |v: &Value| format!("{:.2}", v.as_f64().unwrap());
    let want = vec![
        "รายงานผลการดำเนินโครงการ".to_string(),
        "หลักการและเหตุผล".into(),
        "ปัญหาและอุปสรรค".into(),
        "ข้อเสนอแนะ".into(),
        "ภาคผนวก รายชื่อผู้เข้าอบรม".into(),
        "ควรทดสอบระบบก่อนวันอบรม".into(),
        "ปีงบประมาณ พ.ศ. 2565".into(),
        "15 กุมภาพันธ์ พ.ศ. 2565".into(),
        format!("ผู้เข้าอบรม: {} คน", r["enrolled"]),
        format!(
            "ผ่านเกณฑ์การอบรม (ได้รับวุฒิบัตร): {} คน (ร้อยละ 25.0)",
            r["completed"]
        ),
        format!(
            "ร้อยละ {} (n = 3)",
            two(&r["evaluation"]["posttest"]["mean_percent"])
        ),
        two(&r["evaluation"]["satisfaction"]["mean"]),
        "สำนักงานอุตสาหกรรมจังหวัดเชียงใหม่".into(),
        "สำนักงานอุตสาหกรรมจังหวัดขอนแก่น".into(),
    ];
    let pdf = app
        .get(
            &format!("/api/v1/cohorts/{}/report?format=pdf", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf_text = crate::helpers::pdf_text(&pdf.bytes().await.unwrap());
    let docx = app
        .get(
            &format!("/api/v1/cohorts/{}/report?format=docx", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(docx.status(), 200);
    let docx_text =
        crate::helpers::pdf_text(&crate::helpers::docx_to_pdf(&docx.bytes().await.unwrap()));
    for (what, text) in [
        ("our PDF", &pdf_text),
        ("LibreOffice's PDF of our DOCX", &docx_text),
    ] {
        let key = crate::helpers::text_key(text);
        for w in &want {
            assert!(
                key.contains(&crate::helpers::text_key(w)),
                "{what}: {w:?} is not in its text:\n{text}"
            );
        }
        // The long sentence, whatever the line breaks.
        assert!(
            key.contains(&crate::helpers::text_key(problems)),
            "{what}:\n{text}"
        );
    }
    // Our PDF numbers its pages: "หน้า 1 / N" … "หน้า N / N".
    let numbers: Vec<(usize, usize)> = pdf_text
        .split("หน้า ")
        .skip(1)
        .filter_map(|rest| {
            let mut it = rest.split_whitespace();
            let n = it.next()?.parse().ok()?;
            (it.next()? == "/").then_some(())?;
            Some((n, it.next()?.parse().ok()?))
        })
        .collect();
    let total = numbers.len();
    assert!(total >= 2, "{pdf_text}");
    assert_eq!(
        numbers,
        (1..=total).map(|n| (n, total)).collect::<Vec<_>>(),
        "{pdf_text}"
    );
    // A bad format is a clear error.
    let res = app
        .get(
            &format!("/api/v1/cohorts/{}/report?format=doc", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "invalid_format");
}

#[tokio::test]
async fn seventy_nine_percent_of_the_time_is_not_enough_and_eighty_is() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    for (_, token) in &c.trainees {
        crate::credentials::make_eligible(&app, &c, token).await;
    }
    app.post_json(
        &format!("/api/v1/cohorts/{}/quizzes/posttest/publish", c.cohort),
        Some(&c.admin),
        &json!({}),
    )
    .await;
    let s0 = survey(&app, &c.cohort, &c.trainees[0].1).await;
    let mut all4 = serde_json::Map::new();
    for i in s0["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "scale")
    {
        all4.insert(i["id"].as_str().unwrap().to_string(), json!(4));
    }
    for (_, token) in &c.trainees {
        take(&app, &c, token, "posttest", 8).await;
        assert_eq!(
            respond(&app, &c.cohort, token, &Value::Object(all4.clone()))
                .await
                .status(),
            201
        );
    }
    // One held session of 100 minutes; staff correct the minutes: 79 and 80.
    let s = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -300, 100).await;
    let mark = |user: String, minutes: i64| {
        let app = &app;
        let (sid, admin) = (s["id"].as_str().unwrap().to_string(), c.admin.clone());
        async move {
            app.client
                .put(app.url(&format!("/api/v1/sessions/{sid}/attendance/{user}")))
                .bearer_auth(&admin)
                .json(&json!({"status": "present", "minutes": minutes}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(mark(c.trainees[0].0.clone(), 101).await.status(), 422);
    assert!(mark(c.trainees[0].0.clone(), 79)
        .await
        .status()
        .is_success());
    assert!(mark(c.trainees[1].0.clone(), 80)
        .await
        .status()
        .is_success());

    let elig: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/eligibility", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let product = |u: &str| {
        elig.as_array()
            .unwrap()
            .iter()
            .find(|e| e["user_id"] == u && e["scope"] == "product")
            .unwrap()["eligible"]
            .clone()
    };
    assert_eq!(product(&c.trainees[0].0), false, "{elig}");
    assert_eq!(product(&c.trainees[1].0), true, "{elig}");
    let r: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/report", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let done = |u: &str| {
        r["trainees"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["user_id"] == u)
            .unwrap()["completed"]
            .clone()
    };
    assert_eq!(done(&c.trainees[0].0), false, "{r}");
    assert_eq!(done(&c.trainees[1].0), true, "{r}");
    assert_eq!(r["completed"], 1);
    let e = &r["evaluation"]["attendance"];
    assert_eq!(e["scheduled_hours"].as_f64().unwrap(), round2(100.0 / 60.0));

    // The completion certificate (วุฒิบัตร): not before someone is named to sign it.
    let issue = || {
        let (app, url, admin) = (
            &app,
            format!("/api/v1/cohorts/{}/completions", c.cohort),
            c.admin.clone(),
        );
        async move { app.post_json(&url, Some(&admin), &json!({})).await }
    };
    let refused = issue().await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "signatory_missing", "{body}");
    let signatory_url = format!("/api/v1/cohorts/{}/signatory", c.cohort);
    let put_signatory = |body: Value| {
        let (app, url, admin) = (&app, signatory_url.clone(), c.admin.clone());
        async move {
            app.client
                .put(app.url(&url))
                .bearer_auth(&admin)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let person = |png: &str| {
        json!({"name_th": "นายสมชาย ใจดี", "name_en": "Mr Somchai Jaidee",
            "position_th": "ผู้อำนวยการกองบริหารการรับรอง", "position_en": "Director, Certification Division",
            "signature_png": png})
    };
    // Not a PNG, and a PNG header on nothing: both refused, nothing saved.
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    for bad in [
        b64(b"GIF89a not a png"),
        b64(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10broken"),
    ] {
        let res = put_signatory(person(&bad)).await;
        assert_eq!(res.status(), 422);
    }
    assert_eq!(app.get(&signatory_url, Some(&c.admin)).await.status(), 404);
    let trainee_put = app
        .client
        .put(app.url(&signatory_url))
        .bearer_auth(&c.trainees[0].1)
        .json(&person(""))
        .send()
        .await
        .unwrap();
    assert_eq!(trainee_put.status(), 403);
    assert_eq!(
        put_signatory(person(&b64(&signature_png()))).await.status(),
        200
    );
    let first = issue().await;
    assert_eq!(first.status(), 201);
    let list: Value = first.json().await.unwrap();
    let list = list.as_array().unwrap();
    // Only the trainee at 80 % receives one, with the hours attended (80 minutes).
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["user_id"], c.trainees[1].0.as_str());
    assert_eq!(list[0]["hours"].as_f64().unwrap(), 1.3);
    let number = list[0]["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("TISI-T-25"), "{number}");
    // Again: nothing new, the same list.
    let again = issue().await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again.as_array().unwrap().len(), 1);
    assert_eq!(again[0]["id"], list[0]["id"]);
    // An Open Badges 3.0 credential of its own kind, valid by 1EdTech's schema, signed with
    // the key the JWKS publishes.
    let jwt = list[0]["credential_jwt"].as_str().unwrap();
    let (_, payload) = crate::credentials::parts(jwt);
    assert_eq!(
        payload["credentialSubject"]["achievement"]["achievementType"],
        "CertificateOfCompletion"
    );
    assert_eq!(
        payload["credentialSubject"]["achievement"]["humanCode"],
        number.as_str()
    );
    crate::helpers::assert_valid_ob3(&payload, "the completion certificate");
    // The PDF: its holder and staff may have it, the other trainee may not.
    let id = list[0]["id"].as_str().unwrap();
    let pdf_url = format!("/api/v1/completions/{id}/certificate.pdf");
    assert_eq!(
        app.get(&pdf_url, Some(&c.trainees[0].1)).await.status(),
        404
    );
    let pdf = app.get(&pdf_url, Some(&c.trainees[1].1)).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.unwrap().to_vec();
    // An outside reader finds the Thai text, the hours, the signatory and the B.E. date.
    let text = crate::helpers::pdf_text(&pdf);
    for want in [
        "วุฒิบัตร",
        "Certificate of Completion",
        "ได้ผ่านการอบรม",
        "1.3 ชั่วโมง",
        "นายสมชาย ใจดี",
        "ผู้อำนวยการกองบริหารการรับรอง",
        "ให้ไว้ ณ วันที่",
        "พ.ศ. 25",
        number.as_str(),
    ] {
        assert!(
            text.contains(want),
            "{want:?} not in the PDF's text:\n{text}"
        );
    }
    // Its QR code opens the verification page, which says "completed" with the hours.
    let url = crate::credentials::qr_in_pdf(&pdf);
    assert_eq!(url, format!("{}/verify/{id}", app.address));
    let page = app.get(&format!("/verify/{id}"), None).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("ผ่านการอบรมครบตามเกณฑ์"), "{page}");
    assert!(page.contains("1.3 ชั่วโมง"), "{page}");
    assert!(page.contains(&number), "{page}");
    // The printed number finds it too.
    let by_number = app
        .get(&format!("/verify?number={}", number.to_lowercase()), None)
        .await;
    assert_eq!(by_number.status(), 303);
    assert_eq!(
        by_number.headers()["location"],
        format!("/verify/{id}").as_str()
    );
    // The cohort's certificates in one ZIP, one PDF each.
    let zip = app
        .get(
            &format!("/api/v1/cohorts/{}/completions.zip", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(zip.status(), 200);
    let zip = zip.bytes().await.unwrap().to_vec();
    let names = crate::helpers::zip_names(&zip);
    assert_eq!(names, vec![format!("{number}.pdf")]);
}

/// A small signature image: a PNG written by hand (one IDAT, stored deflate).
fn signature_png() -> Vec<u8> {
    let (w, h) = (120u32, 40u32);
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0u8); // filter: none
        for x in 0..w {
            // A slanted stroke on white.
            let ink = (x as i64 - 3 * y as i64).abs() < 4 || (y > 28 && y < 31);
            raw.push(if ink { 20 } else { 255 });
        }
    }
    let mut z = vec![0x78, 0x01];
    for (i, chunk) in raw.chunks(65535).enumerate() {
        let last = (i + 1) * 65535 >= raw.len();
        z.push(u8::from(last));
        let len = chunk.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &z));
    png.extend(chunk(b"IEND", &[]));
    png
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn the_fiscal_year_view_adds_up_its_cohorts_and_counts_the_offices_reached() {
    let app = spawn_app().await;
    // Two cohorts in FY2565 (Feb 2022) and one in FY2566 (Feb 2023).
    let c = cohort_with_trainees(&app, 2).await;
    let (_, admin) = (0, c.admin.clone());
    let second = crate::cohorts::create_cohort(&app, &admin, 2, 30).await;
    let third =
        crate::cohorts::create_cohort_on(&app, &admin, 1, 30, "2023-02-15", "2023-03-31").await;
    for (cohort, email, office) in [
        (&second, "fy-a@example.org", "TH-40"),
        (&third, "fy-b@example.org", "TH-10"),
    ] {
        let (u, t) = app.user_with_token(Role::Trainee, email).await;
        app.client
            .patch(app.url(&format!("/api/v1/users/{}", u.id)))
            .bearer_auth(&admin)
            .json(&json!({"office_code": office}))
            .send()
            .await
            .unwrap();
        let res = app
            .post_json(
                "/api/v1/cohorts/join",
                Some(&t),
                &json!({"join_code": cohort["join_code"]}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let fy: Value = app
        .get("/api/v1/reports/fiscal-years/2565", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    // Recomputed from each cohort's own report.
    let mut enrolled = 0;
    for line in fy["cohorts"].as_array().unwrap() {
        let r: Value = app
            .get(
                &format!(
                    "/api/v1/cohorts/{}/report",
                    line["cohort_id"].as_str().unwrap()
                ),
                Some(&admin),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(line["enrolled"], r["enrolled"]);
        enrolled += r["enrolled"].as_u64().unwrap();
    }
    assert_eq!(fy["cohorts"].as_array().unwrap().len(), 2, "{fy}");
    assert_eq!(fy["enrolled"].as_u64().unwrap(), enrolled);
    assert_eq!(enrolled, 3);
    // Chiang Mai (TH-50) and Khon Kaen (TH-40) of the 76 provinces; Bangkok's trainee is in
    // FY2566.
    assert_eq!(fy["provincial_offices"], 76);
    assert_eq!(fy["provincial_offices_reached"], 2, "{fy}");
    // By region: Chiang Mai in the north (1 of its 9 offices), Khon Kaen in the northeast (1 of
    // 20); every other region none; the trainees add up to the year's.
    let regions = fy["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 6);
    let region = |id: &str| regions.iter().find(|g| g["region"] == id).unwrap().clone();
    assert_eq!(region("north")["offices"], 9);
    assert_eq!(region("north")["offices_reached"], 1);
    assert_eq!(region("northeast")["offices"], 20);
    assert_eq!(region("northeast")["offices_reached"], 1);
    assert_eq!(region("south")["offices_reached"], 0);
    assert_eq!(
        regions
            .iter()
            .map(|g| g["enrolled"].as_u64().unwrap())
            .sum::<u64>(),
        enrolled
    );
    assert_eq!(
        regions
            .iter()
            .map(|g| g["offices"].as_u64().unwrap())
            .sum::<u64>(),
        76
    );
    // The year's indicators: the offices reached against the target of all 76.
    let offices = fy["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "offices")
        .unwrap()
        .clone();
    assert_eq!(offices["target"].as_f64(), Some(76.0));
    assert_eq!(offices["result"].as_f64(), Some(2.0));
    assert_eq!(offices["met"], false);
    let completion = fy["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "completion_percent")
        .unwrap()
        .clone();
    let done = fy["completed"].as_f64().unwrap();
    assert_eq!(
        completion["result"].as_f64(),
        Some(round2(100.0 * done / enrolled as f64)),
        "{fy}"
    );
    // The year's documents: our PDF and LibreOffice's reading of our DOCX carry the year, the
    // indicators, both cohorts and the offices; the XLSX has its sheets and the totals.
    let names: Vec<String> = fy["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cohort_name"].as_str().unwrap().to_string())
        .collect();
    let mut want = vec![
        "รายงานผลการดำเนินโครงการประจำปีงบประมาณ".to_string(),
        "ปีงบประมาณ พ.ศ. 2565 (2 รุ่น)".into(),
        "ตัวชี้วัดโครงการ".into(),
        // The offices indicator's target, beside its name (which wraps in its cell).
        "≥ 76".into(),
        format!("ผู้เข้าอบรม: {enrolled} คน"),
        "สำนักงานอุตสาหกรรมจังหวัดที่มีผู้เข้าอบรม: 2 จาก 76 แห่ง".into(),
        "สำนักงานอุตสาหกรรมจังหวัดเชียงใหม่".into(),
        "สำนักงานอุตสาหกรรมจังหวัดขอนแก่น".into(),
        "จังหวัดที่ยังไม่มีผู้เข้าอบรม (74 จังหวัด)".into(),
        "ภาคตะวันออกเฉียงเหนือ 1 / 20".into(),
    ];
    // Within the year's report each cohort is named without the year.
    want.extend(
        names
            .iter()
            .map(|n| n.replace(" ประจำปีงบประมาณ พ.ศ. 2565", "")),
    );
    let get = |format: &str| {
        let (app, admin) = (&app, admin.clone());
        let url = format!("/api/v1/reports/fiscal-years/2565?format={format}");
        async move {
            let res = app.get(&url, Some(&admin)).await;
            assert_eq!(res.status(), 200, "{url}");
            res.bytes().await.unwrap().to_vec()
        }
    };
    let pdf_text = crate::helpers::pdf_text(&get("pdf").await);
    let docx_text = crate::helpers::pdf_text(&crate::helpers::docx_to_pdf(&get("docx").await));
    for (what, text) in [
        ("our PDF", &pdf_text),
        ("LibreOffice's PDF of our DOCX", &docx_text),
    ] {
        let key = crate::helpers::text_key(text);
        for w in &want {
            assert!(
                key.contains(&crate::helpers::text_key(w)),
                "{what}: {w:?} is not in its text:\n{text}"
            );
        }
    }
    {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(get("xlsx").await)).unwrap();
        assert_eq!(book.sheet_names(), ["สรุป", "รุ่น", "สำนักงาน"]);
        let summary = book.worksheet_range("สรุป").unwrap();
        let value = |label: &str| {
            summary
                .rows()
                .find(|row| row[0] == label)
                .map(|row| row[1].to_string())
                .unwrap_or_else(|| panic!("{label}"))
        };
        assert_eq!(value("ผู้เข้าอบรม"), enrolled.to_string());
        assert_eq!(value("สำนักงานอุตสาหกรรมจังหวัดที่มีผู้เข้าอบรม"), "2");
        assert_eq!(book.worksheet_range("รุ่น").unwrap().height(), 3);
    }
    // The page, for admins.
    let b = crate::web::sign_in(&app, "admin@example.org").await;
    let page = crate::web::page(&app, &b, "/reports/fiscal-years/2565").await;
    for n in &names {
        assert!(page.contains(n.as_str()), "{n}: {page}");
    }
    assert!(page.contains("2 / 76"), "{page}");
    // The cohort's report page names its regions too.
    let report_page = crate::web::page(&app, &b, &format!("/cohorts/{}/report", c.cohort)).await;
    assert!(report_page.contains("ภาคเหนือ"), "{report_page}");
    let list = crate::web::page(&app, &b, "/admin/cohorts").await;
    assert!(list.contains("/reports/fiscal-years/2566"));
    assert!(list.contains("/reports/fiscal-years/2565"));
    let next: Value = app
        .get("/api/v1/reports/fiscal-years/2566", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["enrolled"], 1);
    // A Gregorian year is a clear error: the view takes the Buddhist era.
    let res = app
        .get("/api/v1/reports/fiscal-years/2022", Some(&admin))
        .await;
    assert_eq!(error_code(res, 422).await, "invalid_input");
    assert_eq!(
        app.get("/api/v1/reports/fiscal-years/2565", Some(&c.trainees[0].1))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn officers_write_the_reports_narrative_on_its_page_and_it_is_kept_with_the_cohort() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    let b = crate::web::sign_in(&app, "admin@example.org").await;
    let path = format!("/cohorts/{}/report", c.cohort);
    let html = crate::web::page(&app, &b, &path).await;
    assert!(html.contains("รายงานผลการดำเนินโครงการ"), "{html}");
    assert!(html.contains("ภาคผนวก: รายชื่อผู้เข้าอบรม"), "{html}");
    // Too long a section comes back with the reason and the text kept.
    let long = "ก".repeat(8001);
    let res = crate::web::post_form(
        &app,
        &b,
        &path,
        &path,
        &[
            ("background", long.as_str()),
            ("problems", "สัญญาณออนไลน์ขาดหาย"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("สัญญาณออนไลน์ขาดหาย"), "{body}");
    let res = crate::web::post_form(
        &app,
        &b,
        &path,
        &path,
        &[
            (
                "background",
                "สมอ. มอบหมายให้สำนักงานอุตสาหกรรมจังหวัดร่วมตรวจประเมิน",
            ),
            ("objectives", "พัฒนาผู้ตรวจประเมิน มอก. เอส"),
            ("problems", "สัญญาณออนไลน์ขาดหาย <script>x</script>"),
            ("suggestions", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let r: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/report", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["narrative"]["objectives"], "พัฒนาผู้ตรวจประเมิน มอก. เอส");
    assert_eq!(r["narrative"]["suggestions"], "");
    let again = crate::web::page(&app, &b, &path).await;
    assert!(
        again.contains("&lt;script&gt;x&lt;&#x2F;script&gt;")
            || again.contains("&lt;script&gt;x&lt;/script&gt;"),
        "{again}"
    );
    // The API takes the same, and a trainee may neither read nor write it.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/cohorts/{}/report/narrative", c.cohort)))
        .bearer_auth(&c.trainees[0].1)
        .json(&json!({"background": "", "objectives": "", "problems": "", "suggestions": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let tb = crate::web::sign_in(&app, "trainee0@example.org").await;
    let res = tb.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

/// A `multipart/form-data` body written by hand: text fields, then a file field.
fn multipart(boundary: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"; filename=\"sig.png\"\r\ncontent-type: image/png\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn an_admin_names_the_signatory_and_issues_completion_certificates_from_the_cohort_page() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    // Trainee 0 completes: the whole held session, the post-test and the survey; trainee 1
    // attends nothing.
    let s = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -300, 120).await;
    let res = app
        .client
        .put(app.url(&format!(
            "/api/v1/sessions/{}/attendance/{}",
            s["id"].as_str().unwrap(),
            c.trainees[0].0
        )))
        .bearer_auth(&c.admin)
        .json(&json!({"status": "present"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    app.post_json(
        &format!("/api/v1/cohorts/{}/quizzes/posttest/publish", c.cohort),
        Some(&c.admin),
        &json!({}),
    )
    .await;
    take(&app, &c, &c.trainees[0].1, "posttest", 5).await;
    let items = survey(&app, &c.cohort, &c.trainees[0].1).await;
    let mut answers = serde_json::Map::new();
    for i in items["items"].as_array().unwrap() {
        if i["kind"] == "scale" {
            answers.insert(i["id"].as_str().unwrap().to_string(), json!(5));
        }
    }
    assert_eq!(
        respond(&app, &c.cohort, &c.trainees[0].1, &Value::Object(answers))
            .await
            .status(),
        201
    );

    let admin = crate::web::sign_in(&app, "admin@example.org").await;
    let path = format!("/cohorts/{}", c.cohort);
    let html = crate::web::page(&app, &admin, &path).await;
    assert!(html.contains("ระบุผู้ลงนามวุฒิบัตรก่อน"), "{html}");
    assert!(html.contains("เข้าร่วมไม่น้อยกว่าร้อยละ 80 ของเวลาที่กำหนด"));
    let csrf = crate::web::csrf_of(&html);
    let png = signature_png();
    let fields = |csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("name_th", "นางสาวมาลี <b>ศรีสุข</b>".to_string()),
            ("position_th", "ผู้อำนวยการกอง".to_string()),
            ("name_en", "Ms Malee Srisuk".to_string()),
            ("position_en", "Director".to_string()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>, file: Option<Vec<u8>>| {
        let (admin, url) = (admin.clone(), app.url(&format!("{path}/signatory")));
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let body = multipart("XyZ123", &pairs, file.as_deref().map(|b| ("signature", b)));
            admin
                .post(url)
                .header("content-type", "multipart/form-data; boundary=XyZ123")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    // From another site (no token of this session): refused, nothing saved.
    let forged = send(fields(&"a".repeat(64)), Some(png.clone())).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM cohort_signatories")
            .await,
        0
    );
    // A file that is not a PNG: a readable refusal, nothing saved.
    let not_png = send(fields(&csrf), Some(b"GIF89a....".to_vec())).await;
    assert_eq!(not_png.status(), 422);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM cohort_signatories")
            .await,
        0
    );
    let saved = send(fields(&csrf), Some(png.clone())).await;
    assert_eq!(saved.status(), 303);
    let html = crate::web::page(&app, &admin, &format!("{path}?done=signatory_saved")).await;
    assert!(html.contains("บันทึกผู้ลงนามวุฒิบัตรแล้ว"));
    // The name is shown escaped, and the signature is served to the admin as the PNG sent.
    assert!(
        html.contains("นางสาวมาลี &lt;b&gt;ศรีสุข&lt;&#x2F;b&gt;")
            || html.contains("นางสาวมาลี &lt;b&gt;ศรีสุข&lt;/b&gt;"),
        "{html}"
    );
    let sig = admin
        .get(app.url(&format!("{path}/signature.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(sig.status(), 200);
    assert_eq!(sig.bytes().await.unwrap().to_vec(), png);
    // Issuing from the page: one certificate, for trainee 0.
    let issued =
        crate::web::post_form(&app, &admin, &format!("{path}/completions"), &path, &[]).await;
    assert_eq!(issued.status(), 303);
    let to = issued.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("done=completions_issued&n=1"), "{to}");
    let html = crate::web::page(&app, &admin, &to.replace("#completions-h", "")).await;
    assert!(html.contains("ออกวุฒิบัตรใหม่ 1 ฉบับแล้ว"), "{html}");
    assert!(html.contains("TISI-T-"));
    // The trainee who completed finds it on their cohort page; the other does not.
    let t0 = crate::web::sign_in(&app, "trainee0@example.org").await;
    let mine = crate::web::page(&app, &t0, &path).await;
    assert!(mine.contains("วุฒิบัตรของท่าน"), "{mine}");
    assert!(mine.contains("/certificate.pdf"));
    let pdf_link = mine
        .split("href=\"/api/v1/completions/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let pdf = t0
        .get(app.url(&format!("/api/v1/completions/{pdf_link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let t1 = crate::web::sign_in(&app, "trainee1@example.org").await;
    let theirs = crate::web::page(&app, &t1, &path).await;
    assert!(!theirs.contains("วุฒิบัตรของท่าน"));
    let other = t1
        .get(app.url(&format!("/api/v1/completions/{pdf_link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn an_excused_absence_counts_as_the_programme_says() {
    use crate::helpers::{fresh_database, spawn_with, test_settings};
    // The shipped programme counts an excused session as absence; a copy says "excluded".
    for (rule, expected) in [("absent", 50.0), ("excluded", 100.0)] {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        crate::governance::copy_dir(std::path::Path::new("course_content"), &content);
        let programme = content.join("programme.toml");
        let text = std::fs::read_to_string(&programme).unwrap();
        assert!(text.contains("excused_absence = \"absent\"\n"));
        let text = text.replacen(
            "excused_absence = \"absent\"\n",
            &format!("excused_absence = \"{rule}\"\n"),
            1,
        );
        std::fs::write(&programme, text).unwrap();
        let (db_url, pg) = fresh_database(dir.path());
        let mut settings = test_settings(dir.path(), db_url);
        settings.content_dir = content;
        let app = spawn_with(settings, tempfile::tempdir().unwrap(), pg).await;
        let c = cohort_with_trainees(&app, 1).await;
        let trainee = c.trainees[0].0.clone();
        // Two held sessions of 100 minutes: present at one, excused from the other.
        for (offset, status) in [(-600, "present"), (-300, "excused")] {
            let s = crate::cohorts::session_now(&app, &c.admin, &c.cohort, offset, 100).await;
            let res = app
                .client
                .put(app.url(&format!(
                    "/api/v1/sessions/{}/attendance/{trainee}",
                    s["id"].as_str().unwrap()
                )))
                .bearer_auth(&c.admin)
                .json(&json!({"status": status}))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "{status}");
        }
        let roster: Value = app
            .get(
                &format!("/api/v1/cohorts/{}/roster", c.cohort),
                Some(&c.admin),
            )
            .await
            .json()
            .await
            .unwrap();
        let line = roster
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == trainee.as_str())
            .unwrap()
            .clone();
        assert_eq!(
            line["attendance_percent"].as_f64(),
            Some(expected),
            "{rule}: {line}"
        );
        // 100 minutes attended either way.
        assert_eq!(
            line["attended_hours"].as_f64().unwrap(),
            round2(100.0 / 60.0)
        );
        let e: Value = app
            .get(
                &format!("/api/v1/cohorts/{}/evaluation", c.cohort),
                Some(&c.admin),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            e["attendance"]["trainees"][0]["percent"].as_f64(),
            Some(expected),
            "{rule}: {e}"
        );
        // The credential's attendance criterion reads the same share.
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
            .find(|x| x["scope"] == "product")
            .unwrap();
        let attendance = product["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == "attendance>=80%")
            .unwrap_or_else(|| panic!("{product}"));
        assert_eq!(
            attendance["met"],
            rule == "excluded",
            "{rule}: {attendance}"
        );
    }
}
