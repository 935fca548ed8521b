use academy::accounts::model::Role;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp};

pub struct Cohort {
    pub admin: String,
    pub cohort: String,
    pub trainees: Vec<(String, String)>,
}

/// A cohort of `n` trainees with every module and quiz published.
pub async fn cohort_with_trainees(app: &TestApp, n: usize) -> Cohort {
    cohort_with_trainees_on(app, n, "2022-02-15", "2022-03-31").await
}

/// The same, for a cohort held between two dates (`YYYY-MM-DD`).
pub async fn cohort_with_trainees_on(
    app: &TestApp,
    n: usize,
    starts_on: &str,
    ends_on: &str,
) -> Cohort {
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let c = crate::cohorts::create_cohort_on(app, &admin, 1, 100, starts_on, ends_on).await;
    let cohort = c["id"].as_str().unwrap().to_string();
    let mut trainees = Vec::new();
    for i in 0..n {
        let (u, t) = app
            .user_with_token(Role::Trainee, &format!("trainee{i}@example.org"))
            .await;
        assert_eq!(
            app.post_json(
                "/api/v1/cohorts/join",
                Some(&t),
                &json!({"join_code": c["join_code"]})
            )
            .await
            .status(),
            201
        );
        trainees.push((u.id.into(), t));
    }
    for m in [
        "01-what-is-tis-s",
        "02-certification-path",
        "03-assessor-role-ethics",
        "04-planning-onsite-assessment",
        "05-evidence-findings-report",
        "06-tis-s-services",
    ] {
        assert_eq!(
            app.post_json(
                &format!("/api/v1/cohorts/{cohort}/modules/{m}/publish"),
                Some(&admin),
                &json!({})
            )
            .await
            .status(),
            200
        );
    }
    for q in [
        "q01",
        "q02",
        "q03",
        "q04",
        "q05",
        "q06",
        "final-exam",
        "final-written",
    ] {
        assert_eq!(
            app.post_json(
                &format!("/api/v1/cohorts/{cohort}/quizzes/{q}/publish"),
                Some(&admin),
                &json!({})
            )
            .await
            .status(),
            200
        );
    }
    Cohort {
        admin,
        cohort,
        trainees,
    }
}

/// Completes the product scope's modules and passes its quizzes, answering from the shipped
/// quiz files (not from the key the server shows staff).
pub async fn make_eligible(app: &TestApp, c: &Cohort, trainee: &str) {
    complete(
        app,
        c,
        trainee,
        &[
            "01-what-is-tis-s",
            "02-certification-path",
            "03-assessor-role-ethics",
            "04-planning-onsite-assessment",
            "05-evidence-findings-report",
        ],
        &[
            "q01",
            "q02",
            "q03",
            "q04",
            "q05",
            "final-exam",
            "final-written",
        ],
    )
    .await;
}

/// A shipped quiz's questions as its file writes them, by id (read with the toml crate).
pub fn shipped_key(slug: &str) -> std::collections::HashMap<String, toml::Value> {
    let text = std::fs::read_to_string(format!("course_content/quizzes/{slug}.toml")).unwrap();
    let file: toml::Value = toml::from_str(&text).unwrap();
    // The post-test asks the pre-test's questions (`questions_from`).
    if let Some(from) = file.get("questions_from").and_then(toml::Value::as_str) {
        return shipped_key(from);
    }
    file["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["id"].as_str().unwrap().to_string(), q.clone()))
        .collect()
}

/// The right answer to a shown question, from the file's question: options and matching
/// items are found by their Thai text among those shown (the ids shown are random).
pub fn answer_from_file(q: &toml::Value, shown: &Value) -> Value {
    let by_text = |list: &str, text: &str| -> Value {
        shown[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["text"] == text)
            .unwrap_or_else(|| panic!("{text} not shown in {shown}"))["id"]
            .clone()
    };
    let right_texts = || -> Vec<String> {
        q["options"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o.get("correct").and_then(toml::Value::as_bool) == Some(true))
            .map(|o| o["text_th"].as_str().unwrap().to_string())
            .collect()
    };
    match q["kind"].as_str().unwrap() {
        "single" => by_text("options", &right_texts()[0]),
        "multiple" => Value::Array(
            right_texts()
                .iter()
                .map(|t| by_text("options", t))
                .collect(),
        ),
        "true_false" => json!(q["answer"].as_bool().unwrap()),
        "short_text" => json!(q["accepted"][0].as_str().unwrap()),
        // A written answer: the file's model answer (markers give it the top levels).
        "essay" => json!(q["feedback_th"]
            .as_str()
            .unwrap()
            .chars()
            .take(2000)
            .collect::<String>()),
        "numeric" => json!(q["answer"]
            .as_float()
            .or_else(|| q["answer"].as_integer().map(|i| i as f64))
            .unwrap()),
        "matching" => Value::Object(
            q["pairs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let left = by_text("items", p["left_th"].as_str().unwrap());
                    let right = by_text("options", p["right_th"].as_str().unwrap());
                    (left.as_str().unwrap().to_string(), right)
                })
                .collect(),
        ),
        other => panic!("kind {other}"),
    }
}

/// The right answers to an attempt as its owner is shown it, worked out from the shipped quiz
/// file (not from the key the server gives staff): (question id, kind, answer in the API's
/// shape), in the order shown.
pub async fn answers_from_files(
    app: &TestApp,
    trainee: &str,
    attempt_id: &str,
) -> Vec<(String, String, Value)> {
    let shown: Value = app
        .get(&format!("/api/v1/attempts/{attempt_id}"), Some(trainee))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        shown.get("review").is_none() || shown["state"] != "open",
        "an open attempt shows its owner no key: {shown}"
    );
    let key = shipped_key(shown["quiz_slug"].as_str().unwrap());
    shown["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let qid = q["id"].as_str().unwrap().to_string();
            let kind = q["kind"].as_str().unwrap().to_string();
            let answer = answer_from_file(&key[&qid], q);
            (qid, kind, answer)
        })
        .collect()
}

/// Completes the given modules and passes the given quizzes over the API, answering from the
/// shipped quiz files.
pub async fn complete(
    app: &TestApp,
    c: &Cohort,
    trainee: &str,
    modules: &[&str],
    quizzes: &[&str],
) {
    for m in modules {
        assert_eq!(
            app.post_json(
                &format!("/api/v1/cohorts/{}/modules/{m}/complete", c.cohort),
                Some(trainee),
                &json!({})
            )
            .await
            .status(),
            204
        );
    }
    for q in quizzes {
        let started: Value = app
            .post_json(
                &format!("/api/v1/cohorts/{}/quizzes/{q}/attempts", c.cohort),
                Some(trainee),
                &json!({}),
            )
            .await
            .json()
            .await
            .unwrap();
        let attempt = started["attempt_id"].as_str().unwrap().to_string();
        // The answers come from the shipped quiz file, read here with the toml crate, not from
        // the key the server shows staff: a wrong key and a wrong grader cannot agree.
        let key = shipped_key(q);
        for shown in started["questions"].as_array().unwrap() {
            let qid = shown["id"].as_str().unwrap();
            let answer = answer_from_file(&key[qid], shown);
            let item = json!({"question_id": qid});
            let res = app
                .client
                .put(app.url(&format!(
                    "/api/v1/attempts/{attempt}/answers/{}",
                    item["question_id"].as_str().unwrap()
                )))
                .bearer_auth(trainee)
                .json(&json!({"answer": answer}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{q} {item}");
        }
        let r: Value = app
            .post_json(
                &format!("/api/v1/attempts/{attempt}/submit"),
                Some(trainee),
                &json!({}),
            )
            .await
            .json()
            .await
            .unwrap();
        let r = if r["marking"] == "pending" {
            mark_in_full(app, c, &attempt).await
        } else {
            r
        };
        assert_eq!(r["passed"], true, "{q}: {r}");
        assert_eq!(
            r["percent"].as_f64(),
            Some(100.0),
            "{q}: every answer from the file is right: {r}"
        );
    }
}

/// Two instructors of the cohort (made on first use) mark every written answer of an attempt
/// with the rubric's top levels; the attempt's result once graded.
pub async fn mark_in_full(app: &TestApp, c: &Cohort, attempt: &str) -> Value {
    let mut markers = Vec::new();
    for email in ["marker.a@example.org", "marker.b@example.org"] {
        let exists = app
            .count(format!(
                "SELECT COUNT(*) AS n FROM users WHERE email = '{email}'"
            ))
            .await
            > 0;
        let token = if exists {
            app.token(email, "correct horse battery").await
        } else {
            app.user_with_token(Role::Instructor, email).await.1
        };
        let me: Value = app
            .get("/api/v1/me", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        // Already a member: 409, which is fine.
        app.post_json(
            &format!("/api/v1/cohorts/{}/members", c.cohort),
            Some(&c.admin),
            &json!({"user_id": me["id"], "role": "instructor"}),
        )
        .await;
        markers.push(token);
    }
    for token in &markers {
        let queue: Value = app
            .get(
                &format!("/api/v1/cohorts/{}/marking", c.cohort),
                Some(token),
            )
            .await
            .json()
            .await
            .unwrap();
        for item in queue
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["attempt_id"] == attempt)
        {
            let levels: serde_json::Map<String, Value> = item["rubric"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let top = c["levels"].as_array().unwrap().last().unwrap();
                    (c["id"].as_str().unwrap().to_string(), top["id"].clone())
                })
                .collect();
            let res = app
                .post_json(
                    &format!(
                        "/api/v1/attempts/{attempt}/marks/{}",
                        item["question_id"].as_str().unwrap()
                    ),
                    Some(token),
                    &json!({"levels": levels, "comment": "ครบทุกเกณฑ์"}),
                )
                .await;
            assert_eq!(res.status(), 201);
        }
    }
    let view: Value = app
        .get(&format!("/api/v1/attempts/{attempt}"), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    view["result"].clone()
}

pub async fn issue(
    app: &TestApp,
    c: &Cohort,
    user_id: &str,
    scope: &str,
    reason: Option<&str>,
) -> reqwest::Response {
    let mut body = json!({"cohort_id": c.cohort, "user_id": user_id, "scope": scope});
    if let Some(r) = reason {
        body["override_reason"] = json!(r);
    }
    app.post_json("/api/v1/credentials", Some(&c.admin), &body)
        .await
}

pub async fn verify(app: &TestApp, jwt: &str) -> Value {
    app.post_json("/api/v1/verify", None, &json!({"credential_jwt": jwt}))
        .await
        .json()
        .await
        .unwrap()
}

pub fn parts(jwt: &str) -> (Value, Value) {
    let p: Vec<&str> = jwt.split('.').collect();
    (
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p[0]).unwrap()).unwrap(),
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p[1]).unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn an_eligible_trainee_gets_an_open_badges_3_credential_that_verifies() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (uid, trainee) = c.trainees[0].clone();
    let before: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{}/eligibility", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!before.is_empty());
    assert!(before.iter().all(|e| e["eligible"] == false));
    make_eligible(&app, &c, &trainee).await;
    let after: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{}/eligibility", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let product = after.iter().find(|e| e["scope"] == "product").unwrap();
    assert_eq!(product["eligible"], true, "{product}");
    let service = after.iter().find(|e| e["scope"] == "service").unwrap();
    assert_eq!(service["eligible"], false, "module 06 and q06 are missing");

    let res = issue(&app, &c, &uid, "product", None).await;
    assert_eq!(res.status(), 201);
    let cred: Value = res.json().await.unwrap();
    // The fiscal year by hand, not by the service's function: the date in Thailand (UTC+7),
    // in the Buddhist era, and from 1 October the next year's.
    let fy = {
        use chrono::Datelike;
        let bangkok = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
        bangkok.year() + 543 + i32::from(bangkok.month() >= 10)
    };
    assert_eq!(cred["number"], format!("TISI-S-{fy}-0001"));
    assert_eq!(cred["status"], "active");
    let jwt = cred["credential_jwt"].as_str().unwrap();
    let (header, payload) = parts(jwt);
    let mut keys: Vec<&String> = header.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, vec!["alg", "kid", "typ"]);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        payload["@context"][0],
        "https://www.w3.org/ns/credentials/v2"
    );
    assert!(payload["@context"][1].as_str().unwrap().contains("ob/v3p0"));
    assert_eq!(
        payload["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(payload["issuer"]["type"], json!(["Profile"]));
    assert_eq!(
        payload["credentialSubject"]["type"],
        json!(["AchievementSubject"])
    );
    assert_eq!(
        payload["credentialSubject"]["identifier"][0]["hashed"],
        true
    );
    assert!(payload["credentialSubject"]["achievement"]["name"]
        .as_str()
        .unwrap()
        .contains("มอก. เอส"));
    assert!(
        !payload.to_string().contains("trainee0@example.org"),
        "no plain e-mail in the credential"
    );
    for claim in [
        "iss",
        "jti",
        "nbf",
        "sub",
        "exp",
        "validFrom",
        "validUntil",
        "credentialStatus",
    ] {
        assert!(payload.get(claim).is_some(), "{claim} missing");
    }
    let jwks: Value = app
        .get("/.well-known/jwks.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == header["kid"] && k["kty"] == "RSA" && k.get("d").is_none()));

    let v = verify(&app, jwt).await;
    assert_eq!(v["valid"], true);
    assert_eq!(v["status"], "active");
    assert_eq!(v["credential"]["number"], cred["number"]);
    assert!(v["credential"].get("email").is_none());
    let by_id: Value = app
        .get(
            &format!("/api/v1/verify/{}", cred["id"].as_str().unwrap()),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_id["status"], "active");
    // The holder sees it; another trainee gets a 404; the holder was told by e-mail.
    assert_eq!(
        app.get(
            &format!("/api/v1/credentials/{}", cred["id"].as_str().unwrap()),
            Some(&trainee)
        )
        .await
        .status(),
        200
    );
    let (_, stranger) = app
        .user_with_token(Role::Trainee, "stranger@example.org")
        .await;
    let res = app
        .get(
            &format!("/api/v1/credentials/{}", cred["id"].as_str().unwrap()),
            Some(&stranger),
        )
        .await;
    assert_eq!(error_code(res, 404).await, "not_found");
    let mine: Vec<Value> = app
        .get("/api/v1/me/credentials", Some(&trainee))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    let mail = app
        .last_mail_context("trainee0@example.org", "credential_issued")
        .await;
    assert_eq!(mail["number"], cred["number"]);
    // The public page and the register show it, in Thai.
    let html = app
        .get(&format!("/verify/{}", cred["id"].as_str().unwrap()), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("หนังสือรับรองนี้ใช้ได้") && html.contains("<svg"),
        "{html}"
    );
    let html = app.get("/register", None).await.text().await.unwrap();
    assert!(html.contains(cred["number"].as_str().unwrap()));

    // The service scope, earned without any override: module 6 and its quiz on top of the rest.
    complete(&app, &c, &trainee, &["06-tis-s-services"], &["q06"]).await;
    let now: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{}/eligibility", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let service = now.iter().find(|e| e["scope"] == "service").unwrap();
    assert_eq!(service["eligible"], true, "{service}");
    let res = issue(&app, &c, &uid, "service", None).await;
    assert_eq!(res.status(), 201);
    let svc: Value = res.json().await.unwrap();
    assert_eq!(svc["scope"], "service");
    assert_eq!(svc["number"], format!("TISI-S-{fy}-0002"));
    assert!(svc["override_reason"].is_null(), "{svc}");
}

#[tokio::test]
async fn issuing_to_a_trainee_who_is_not_eligible_needs_an_audited_reason() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let uid = c.trainees[0].0.clone();
    let res = issue(&app, &c, &uid, "product", None).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_eligible");
    assert!(body["error"]["details"]["unmet"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u == "quiz:final-exam"));
    let res = issue(&app, &c, &uid, "product", Some("ผ่านการอบรมรุ่นนำร่องก่อนมีระบบ")).await;
    assert_eq!(res.status(), 201);
    let cred: Value = res.json().await.unwrap();
    let id = cred["id"].as_str().unwrap().to_string();
    let audit = app
        .db
        .run(move |conn| {
            Ok(academy::credentials::store::audit_of(
                conn,
                academy::ids::AuditSubject::stored("credential", &id),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert!(audit[0].3.contains("ผ่านการอบรมรุ่นนำร่อง"));
    assert_eq!(
        error_code(issue(&app, &c, &uid, "product", Some("again")).await, 409).await,
        "already_active"
    );
    assert_eq!(
        error_code(issue(&app, &c, &uid, "nonsense", Some("x")).await, 422).await,
        "unknown_scope"
    );
}

#[tokio::test]
async fn ten_concurrent_issues_for_one_person_and_scope_give_one_credential_one_audit_row_one_mail()
{
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    let uid = c.trainees[0].0.clone();
    let results = futures_util::future::join_all(
        (0..10).map(|_| issue(&app, &c, &uid, "service", Some("กรณีพิเศษ"))),
    )
    .await;
    let mut created = 0;
    for r in results {
        match r.status().as_u16() {
            201 => created += 1,
            409 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
    let cohort = c.cohort.clone();
    let (creds, audits, mails) = app
        .db
        .run(move |conn| {
            let creds = academy::credentials::store::of_cohort(conn, &cohort.as_str().into())?;
            // One "issue" row, and one "decide" row for the decision the issue is.
            let audits: i64 = academy::db::schema::audit_log::table
                .filter(academy::db::schema::audit_log::action.eq_any(["issue", "decide"]))
                .count()
                .get_result(conn)?;
            let mails = academy::email::store::list(conn, None, 1000)?
                .into_iter()
                .filter(|m| m.template == "credential_issued")
                .count();
            Ok((creds, audits, mails))
        })
        .await
        .unwrap();
    assert_eq!((creds.len(), audits, mails), (1, 2, 1));
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM certification_decisions WHERE outcome = 'grant'")
            .await,
        1
    );
    // Numbers stay gapless: the next one is 0002.
    let res = issue(&app, &c, &c.trainees[1].0, "service", Some("กรณีพิเศษ")).await;
    let next: Value = res.json().await.unwrap();
    assert!(
        next["number"].as_str().unwrap().ends_with("-0002"),
        "{next}"
    );
}

#[tokio::test]
async fn revocation_and_suspension_show_on_the_very_next_request_and_in_the_status_lists() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let uid = c.trainees[0].0.clone();
    let cred: Value = issue(&app, &c, &uid, "product", Some("ทดสอบ"))
        .await
        .json()
        .await
        .unwrap();
    let id = cred["id"].as_str().unwrap();
    let jwt = cred["credential_jwt"].as_str().unwrap();
    let (app, c) = (&app, &c);
    let act = |what: &'static str, reason: &'static str| {
        let url = format!("/api/v1/credentials/{id}/{what}");
        async move {
            app.post_json(&url, Some(&c.admin), &json!({"reason": reason}))
                .await
        }
    };
    assert_eq!(
        act("suspend", "อยู่ระหว่างสอบสวนข้อร้องเรียน").await.status(),
        200
    );
    let v = verify(app, jwt).await;
    assert_eq!(
        (v["valid"].clone(), v["status"].clone()),
        (json!(false), json!("suspended"))
    );
    assert_eq!(act("reinstate", "ข้อร้องเรียนไม่มีมูล").await.status(), 200);
    assert_eq!(verify(app, jwt).await["status"], "active");
    assert_eq!(act("revoke", "ใช้ใบรับรองโดยมิชอบ").await.status(), 200);
    let v = verify(app, jwt).await;
    assert_eq!(
        (v["valid"].clone(), v["status"].clone()),
        (json!(false), json!("revoked"))
    );
    assert_eq!(v["credential"]["status_reason"], "ใช้ใบรับรองโดยมิชอบ");
    // Revoked is final.
    assert_eq!(
        error_code(act("reinstate", "x").await, 409).await,
        "bad_transition"
    );
    // The revocation list has the credential's bit set.
    let (_, payload) = parts(jwt);
    let index: usize = payload["credentialStatus"]["statusListIndex"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let list = app
        .get("/status/revocation", None)
        .await
        .text()
        .await
        .unwrap();
    let (_, list_payload) = parts(&list);
    let encoded = list_payload["credentialSubject"]["encodedList"]
        .as_str()
        .unwrap();
    let gz = URL_SAFE_NO_PAD
        .decode(encoded.trim_start_matches('u'))
        .unwrap();
    let mut bits = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut bits).unwrap();
    assert_eq!(bits.len() * 8, 131_072);
    assert_ne!(bits[index / 8] & (0x80 >> (index % 8)), 0);
    let html = app
        .get(&format!("/verify/{id}"), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("ถูกเพิกถอน"), "{html}");
    let html = app.get("/register", None).await.text().await.unwrap();
    assert!(
        !html.contains(cred["number"].as_str().unwrap()),
        "revoked credentials are not in the register"
    );
    // Each change wrote an audit row and a mail.
    let key = id.to_string();
    let audit = app
        .db
        .run(move |conn| {
            Ok(academy::credentials::store::audit_of(
                conn,
                academy::ids::AuditSubject::stored("credential", &key),
            )?)
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.2.as_str()).collect();
    assert_eq!(actions, vec!["issue", "suspend", "reinstate", "revoke"]);
}

#[tokio::test]
async fn expired_and_not_yet_valid_credentials_do_not_verify_as_valid() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let cred: Value = issue(&app, &c, &c.trainees[0].0, "product", Some("ทดสอบ"))
        .await
        .json()
        .await
        .unwrap();
    let jwt = cred["credential_jwt"].as_str().unwrap().to_string();
    assert_eq!(verify(&app, &jwt).await["status"], "active");
    // The service's clock, not the rows, moves: past the 36 months of validity…
    let clock = app.db.clock().clone();
    clock.advance(chrono::Duration::days(3 * 366 + 1));
    let v = verify(&app, &jwt).await;
    assert_eq!(
        (v["valid"].clone(), v["status"].clone()),
        (json!(false), json!("expired"))
    );
    // …and back to two days before it was issued.
    clock.advance(-chrono::Duration::days(3 * 366 + 3));
    let v = verify(&app, &jwt).await;
    assert_eq!(
        (v["valid"].clone(), v["status"].clone()),
        (json!(false), json!("not_yet_valid"))
    );
}

#[tokio::test]
async fn ten_thousand_mutations_of_a_credential_all_fail_and_the_original_verifies() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let cred: Value = issue(&app, &c, &c.trainees[0].0, "product", Some("ทดสอบ"))
        .await
        .json()
        .await
        .unwrap();
    let jwt = cred["credential_jwt"].as_str().unwrap().to_string();
    let mut mutants: Vec<String> = Vec::new();
    let alphabet: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        .chars()
        .collect();
    let chars: Vec<char> = jwt.chars().collect();
    // Every position replaced by several other characters.
    'outer: for round in 0..8 {
        for i in 0..chars.len() {
            let mut m = chars.clone();
            let pos = alphabet.iter().position(|a| *a == m[i]).unwrap_or(0);
            m[i] = alphabet[(pos + 1 + round * 7) % alphabet.len()];
            if m[i] == chars[i] {
                continue;
            }
            mutants.push(m.into_iter().collect());
            if mutants.len() >= 9_900 {
                break 'outer;
            }
        }
    }
    // Field edits re-encoded with the original signature, a stripped signature, alg none.
    let p: Vec<&str> = jwt.split('.').collect();
    let (_, payload) = parts(&jwt);
    for (field, value) in [
        ("/validUntil", json!("2099-01-01T00:00:00Z")),
        (
            "/credentialSubject/achievement/humanCode",
            json!("TISI-S-2565-9999"),
        ),
        ("/name", json!("ผู้ตรวจประเมินปลอม")),
        ("/exp", json!(4_102_444_800i64)),
        ("/sub", json!("urn:assessor-academy:holder:someone-else")),
    ] {
        let mut edited = payload.clone();
        *edited.pointer_mut(field).unwrap() = value;
        mutants.push(format!(
            "{}.{}.{}",
            p[0],
            URL_SAFE_NO_PAD.encode(edited.to_string()),
            p[2]
        ));
    }
    mutants.push(format!("{}.{}.", p[0], p[1]));
    mutants.push(format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        p[1],
        ""
    ));
    mutants.push(format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT","kid":"x"}"#),
        p[1],
        p[2]
    ));
    mutants.push(format!("{jwt}x"));
    mutants.push(format!(" {jwt}.x"));
    mutants.push(jwt.replacen('.', "..", 1));
    while mutants.len() < 10_000 {
        let i = mutants.len() % chars.len();
        let mut m = chars.clone();
        m.insert(i, 'A');
        mutants.push(m.into_iter().collect());
    }
    assert!(mutants.len() >= 10_000);
    let course = std::sync::Arc::new(
        academy::course::loader::load_course(std::path::Path::new("course_content")).unwrap(),
    );
    let issuer = academy::credentials::Issuer {
        base_url: url::Url::parse(&format!("{}/", app.address)).unwrap(),
        prefix: "TISI-S".into(),
    };
    let original = jwt.clone();
    let (valid_mutants, original_ok) = app
        .db
        .run(move |conn| {
            let mut valid = Vec::new();
            for m in &mutants {
                let r = academy::credentials::verify_jwt(conn, &course, &issuer, m)?;
                if r.valid || r.status_str() != "invalid" {
                    valid.push(m.clone());
                }
            }
            let ok = academy::credentials::verify_jwt(conn, &course, &issuer, &original)?.valid;
            Ok((valid, ok))
        })
        .await
        .unwrap();
    assert!(original_ok, "the original must verify");
    assert!(
        valid_mutants.is_empty(),
        "{} mutants verified, e.g. {:?}",
        valid_mutants.len(),
        valid_mutants.first()
    );
}

#[tokio::test]
async fn unknown_and_odd_ids_get_the_same_404_and_the_cli_verifies_offline() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let cred: Value = issue(&app, &c, &c.trainees[0].0, "product", Some("ทดสอบ"))
        .await
        .json()
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for id in [
        uuid::Uuid::new_v4().to_string(),
        "../../etc/passwd".into(),
        "%00".into(),
        "1 OR 1=1".into(),
        "x".repeat(300),
    ] {
        let res = app
            .get(
                &format!(
                    "/api/v1/verify/{}",
                    url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
                ),
                None,
            )
            .await;
        assert_eq!(res.status(), 404, "{id}");
        bodies.push(res.json::<Value>().await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    // Offline: the CLI with the JWKS saved to a file.
    let dir = tempfile::tempdir().unwrap();
    let jwks = app
        .get("/.well-known/jwks.json", None)
        .await
        .text()
        .await
        .unwrap();
    std::fs::write(dir.path().join("jwks.json"), jwks).unwrap();
    let jwt = cred["credential_jwt"].as_str().unwrap();
    std::fs::write(dir.path().join("good.jwt"), jwt).unwrap();
    let mut bad: Vec<char> = jwt.chars().collect();
    let n = bad.len() - 5;
    bad[n] = if bad[n] == 'A' { 'B' } else { 'A' };
    std::fs::write(
        dir.path().join("bad.jwt"),
        bad.into_iter().collect::<String>(),
    )
    .unwrap();
    let run = |file: &str| crate::interop::verify_offline(dir.path(), file, "jwks.json", None);
    let ok = run("good.jwt");
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("signature: valid"));
    let no = run("bad.jwt");
    assert_eq!(no.status.code(), Some(1));
    // The same over http:// from the running service.
    let jwks_url = format!("{}/.well-known/jwks.json", app.address);
    let out = crate::interop::verify_offline(dir.path(), "good.jwt", &jwks_url, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Parses a binary PGM (P5) image as pdftoppm writes it.
/// The text of the one QR code printed on a PDF's page (rendered by poppler's pdftoppm);
/// `None`, printing why, where poppler is missing outside CI.
pub fn qr_in_pdf(pdf: &[u8]) -> Option<String> {
    if !crate::helpers::outside_tool("pdftoppm", "poppler-utils", "reading the QR code of a PDF") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.pdf"), pdf).unwrap();
    let out = std::process::Command::new("pdftoppm")
        .args(["-gray", "-r", "150", "-singlefile"])
        .arg(dir.path().join("c.pdf"))
        .arg(dir.path().join("page"))
        .output()
        .expect("pdftoppm (poppler-utils) is installed by .ci/run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (w, h, pixels) = read_pgm(&std::fs::read(dir.path().join("page.pgm")).unwrap());
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the page");
    Some(grids[0].decode().unwrap().1)
}

fn read_pgm(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..i]).to_string());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let data = bytes[i + 1..i + 1 + w * h].to_vec();
    (w, h, data)
}

#[tokio::test]
async fn the_pdf_certificate_embeds_a_qr_code_that_decodes_to_the_verification_url() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (_, trainee) = c.trainees[0].clone();
    let cred: Value = issue(&app, &c, &c.trainees[0].0, "product", Some("ทดสอบ"))
        .await
        .json()
        .await
        .unwrap();
    let id = cred["id"].as_str().unwrap();
    let res = app
        .get(
            &format!("/api/v1/credentials/{id}/certificate.pdf"),
            Some(&trainee),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    if let Ok(dir) = std::env::var("KEEP_DOCUMENTS") {
        std::fs::write(std::path::Path::new(&dir).join("certificate.pdf"), &pdf).unwrap();
    }
    // Rendered by poppler and read back: exactly one QR code, the verification URL.
    if let Some(content) = qr_in_pdf(&pdf) {
        assert_eq!(content, format!("{}/verify/{id}", app.address));
    }
    // The cohort ZIP holds one PDF per credential; others cannot fetch it.
    let res = app
        .get(
            &format!("/api/v1/cohorts/{}/certificates.zip", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(res.status(), 200);
    let zip = res.bytes().await.unwrap();
    assert_eq!(&zip[..2], b"PK");
    assert!(zip.windows(4).any(|w| w == b".pdf"));
    assert_eq!(
        app.get(
            &format!("/api/v1/cohorts/{}/certificates.zip", c.cohort),
            Some(&trainee)
        )
        .await
        .status(),
        403
    );
}

#[tokio::test]
async fn holders_are_reminded_once_ninety_days_before_expiry() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let cred: Value = issue(&app, &c, &c.trainees[0].0, "product", Some("ทดสอบ"))
        .await
        .json()
        .await
        .unwrap();
    assert!(cred["id"].is_string());
    // The service's clock moves to about a month before the 36 months run out.
    app.db.clock().advance(chrono::Duration::days(3 * 365 - 30));
    let count = || async {
        app.db
            .run(|conn| {
                Ok(academy::email::store::list(conn, None, 1000)?
                    .into_iter()
                    .filter(|m| m.template == "credential_expiring")
                    .count())
            })
            .await
            .unwrap()
    };
    let mut n = 0;
    for _ in 0..100 {
        n = count().await;
        if n > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(n, 1);
    // The reminder job runs again (as its next round would, on the same clock): it finds
    // nothing left to remind, and the holder still has one reminder. No waiting on a timer.
    let issuer = academy::credentials::Issuer {
        base_url: app.settings.base_url.clone(),
        prefix: "TISI-S".into(),
    };
    let course = academy::course::loader::load_course(std::path::Path::new("course_content"))
        .expect("the shipped course loads");
    let again = app
        .db
        .run(move |conn| academy::credentials::send_expiry_reminders(conn, &issuer, &course))
        .await
        .unwrap();
    assert_eq!(again, 0, "a second round reminds no one");
    assert_eq!(count().await, 1, "reminded once only");
}

#[tokio::test]
async fn a_credential_that_ran_out_unreminded_gets_no_reminder_afterwards() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    for (user, _) in &c.trainees {
        let r = issue(&app, &c, user, "product", Some("ทดสอบ")).await;
        assert_eq!(r.status(), 201);
    }
    // The reminder job first runs after both credentials ran out (the service was not running
    // in their last months, or the data came from elsewhere, as the demo's history does).
    app.db.clock().advance(chrono::Duration::days(3 * 365 + 30));
    let issuer = academy::credentials::Issuer {
        base_url: app.settings.base_url.clone(),
        prefix: "TISI-S".into(),
    };
    let course = academy::course::loader::load_course(std::path::Path::new("course_content"))
        .expect("the shipped course loads");
    let sent = app
        .db
        .run(move |conn| academy::credentials::send_expiry_reminders(conn, &issuer, &course))
        .await
        .unwrap();
    assert_eq!(sent, 0, "no holder is told that a past day is coming");
    let expiring = app
        .count("SELECT COUNT(*) AS n FROM outbox_emails WHERE template = 'credential_expiring'")
        .await;
    assert_eq!(expiring, 0);
}
