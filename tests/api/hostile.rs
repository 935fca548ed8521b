//! A hostile-input corpus sent over HTTP to every route of the service: oversized bodies, deep
//! JSON, wrong types, bad UTF-8, SQL and template metacharacters, path traversal and CR/LF, in
//! the path and in every field a route might read, as an admin (who gets past authorization to
//! the validation) and anonymously. Expected: no server error, no panic, the service still
//! healthy, and no change in the database from any request that was refused.

use std::collections::BTreeMap;

use academy::accounts::model::Role;
use academy::db::transfer;
use serde_json::{json, Map, Value};

use crate::helpers::{backend_name, spawn_app, TestApp};

const CSRF: &str = "hostile-csrf-token-0123456789abcdef";

/// Strings that have broken other systems.
const NASTY: &[&str] = &[
    "' OR '1'='1' --",
    "\"; DROP TABLE users; --",
    "{{ 7*7 }}{% raw %}${7*7}<%= 7*7 %>",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "line\r\nBcc: victim@example.com\r\n\r\nbody",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "\u{0000}\u{0007}\u{001b}[31m",
    "\u{202e}ฤ็็็็็็็็็็็็",
    "%00%2e%2e%2f%252e",
    "-1",
    "99999999999999999999999999",
    "NaN",
    "",
];

/// Field names the service reads somewhere: each hostile body sets all of them.
const FIELDS: &[&str] = &[
    "email",
    "name",
    "name_en",
    "name_th",
    "password",
    "new_password",
    "current_password",
    "role",
    "office_code",
    "language",
    "token",
    "join_code",
    "generation",
    "starts_on",
    "ends_on",
    "capacity",
    "title_th",
    "title_en",
    "starts_at",
    "ends_at",
    "venue",
    "meeting_url",
    "mode",
    "answer",
    "reason",
    "scope",
    "user_id",
    "cohort_id",
    "override_reason",
    "credential_jwt",
    "markdown_th",
    "markdown_en",
    "kind",
    "slug",
    "opens_at",
    "closes_at",
    "extra_seconds",
    "extra_attempts",
    "present",
    "code",
    "action",
    "q",
    "status",
    "invite",
    "csv",
    "user_ids",
    "program",
    "renews_id",
    "disabled",
    "disabled_reason",
    "fiscal_year",
    "minutes",
    "note",
    "review",
    "confirm",
    "decision",
];

fn path_values() -> Vec<String> {
    let mut v: Vec<String> = vec![
        "..%2F..%2F..%2Fetc%2Fpasswd".into(),
        "%2e%2e%2f%2e%2e%2fCargo.toml".into(),
        "'%20OR%20'1'='1".into(),
        "%7B%7B7*7%7D%7D".into(),
        "%0d%0aX-Injected:%201".into(),
        "%FF%FE%00".into(),
        "A".repeat(5000),
        "-1".into(),
        uuid::Uuid::new_v4().to_string(),
    ];
    v.push("%E0%B8%81%E0%B8%B2%E0%B8%A3".into());
    v
}

enum Body {
    None,
    Json(Vec<u8>),
    Form(Vec<u8>),
    Csv(Vec<u8>),
    Text(Vec<u8>),
}

fn bodies() -> Vec<(&'static str, Body)> {
    let mut out: Vec<(&'static str, Body)> = vec![
        ("empty json", Body::Json(Vec::new())),
        (
            "2 MiB json",
            Body::Json(format!("{{\"name\": \"{}\"}}", "A".repeat(2 << 20)).into_bytes()),
        ),
        ("deep json", Body::Json("[".repeat(100_000).into_bytes())),
        (
            "bad utf-8 json",
            Body::Json(b"{\"name\": \"\xff\xfe\xc3\x28\", \"email\": \"\xed\xa0\x80\"}".to_vec()),
        ),
        (
            "not json",
            Body::Json(b"<?xml version='1.0'?><a/>".to_vec()),
        ),
        ("json array", Body::Json(b"[1, \"two\", null]".to_vec())),
    ];
    let wrong: Map<String, Value> = FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let v = match i % 6 {
                0 => json!(12345),
                1 => json!([[[]]]),
                2 => json!({"$ne": null}),
                3 => json!(true),
                4 => json!(-1.5e300),
                _ => Value::Null,
            };
            (f.to_string(), v)
        })
        .collect();
    out.push((
        "wrong types",
        Body::Json(Value::Object(wrong).to_string().into_bytes()),
    ));
    for nasty in NASTY {
        let obj: Map<String, Value> = FIELDS
            .iter()
            .map(|f| (f.to_string(), json!(nasty)))
            .collect();
        out.push((
            "nasty json",
            Body::Json(Value::Object(obj).to_string().into_bytes()),
        ));
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("csrf", CSRF);
        for f in FIELDS {
            form.append_pair(f, nasty);
        }
        out.push(("nasty form", Body::Form(form.finish().into_bytes())));
        out.push((
            "nasty csv",
            Body::Csv(
                format!("email,name,role,office_code\n{nasty},{nasty},{nasty},{nasty}\n")
                    .into_bytes(),
            ),
        ));
    }
    out.push((
        "bad utf-8 form",
        Body::Form(b"csrf=hostile-csrf-token-0123456789abcdef&name=%FF%FE&email=\xff".to_vec()),
    ));
    out.push((
        "huge form",
        Body::Form(format!("csrf={CSRF}&name={}", "A".repeat(3 << 20)).into_bytes()),
    ));
    out.push(("no body", Body::None));
    out
}

/// What a refused request must not change. The sign-in throttle counts failures on purpose, and
/// the mail worker moves queued mail to "sent" in the background: for the outbox only the set
/// of mails (their ids) is compared.
fn comparable(mut s: BTreeMap<String, Vec<String>>) -> BTreeMap<String, Vec<String>> {
    s.remove("login_throttle");
    if let Some(rows) = s.get_mut("outbox_emails") {
        for row in rows.iter_mut() {
            let v: Value = serde_json::from_str(row).unwrap();
            *row = v["id"].to_string();
        }
        rows.sort();
    }
    s
}

/// Who sends a request of the corpus.
#[derive(Debug, Clone, Copy)]
enum Who {
    Admin,
    /// The cohort's trainee, owner of the open attempt the attempt routes name.
    Trainee,
    Anonymous,
}

async fn snapshot(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    app.db
        .run(|conn| Ok(transfer::snapshot(conn).unwrap()))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_hostile_corpus_on_every_route_causes_no_server_error_and_no_partial_write() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let (trainee_id, trainee) = c.trainees[0].clone();
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
    let mut attempt = started["attempt_id"].as_str().unwrap().to_string();
    let question = started["questions"][0]["id"].as_str().unwrap().to_string();
    // The trainee may start q01 again: a route that submits the attempt (as its owner) leaves
    // the next route a new open attempt.
    assert_eq!(
        app.client
            .put(app.url(&format!(
                "/api/v1/cohorts/{}/quizzes/q01/overrides/{trainee_id}",
                c.cohort
            )))
            .bearer_auth(&c.admin)
            .json(&json!({"extra_seconds": 0, "extra_attempts": 20}))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let cred: Value = app
        .post_json(
            "/api/v1/credentials",
            Some(&c.admin),
            &json!({"cohort_id": c.cohort, "user_id": trainee_id, "scope": "product", "override_reason": "corpus"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let credential = cred["id"].as_str().unwrap().to_string();
    let (admin_user, _) = app
        .user_with_token(Role::Admin, "corpus-admin@example.org")
        .await;
    // The person routes (`/users/{id}`, which include erasure) act on someone else: the
    // trainee must stay to own the attempts.
    let (victim, _) = app
        .user_with_token(Role::Trainee, "corpus-person@example.org")
        .await;
    let victim_id: String = victim.id.into();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let bodies = bodies();
    let paths = path_values();
    let gift_body = Body::Text(b"::x:: A question {=right ~wrong}\n".to_vec());
    let mut sent = 0usize;
    let mut server_errors = Vec::new();
    let mut changed = Vec::new();
    let mut accepted_writes = 0usize;
    let mut compared_refusals = 0usize;
    for (method, pattern) in academy::http::routes::ROUTES {
        if pattern.contains("/attempts/{id}") {
            // Earlier routes may have unpublished q01 or taken the trainee off the cohort (their
            // real ids are in the corpus): put both back, then take the open attempt (a start
            // returns the one still open, or opens a new one), with a fresh token, as an
            // earlier route may have ended the trainee's sessions.
            let admin = app.mint_token(&admin_user.id).await;
            let r = app
                .post_json(
                    &format!("/api/v1/cohorts/{}/quizzes/q01/publish", c.cohort),
                    Some(&admin),
                    &json!({}),
                )
                .await;
            assert_eq!(r.status(), 200, "re-publish q01");
            let r = app
                .post_json(
                    &format!("/api/v1/cohorts/{}/members", c.cohort),
                    Some(&admin),
                    &json!({"user_id": trainee_id, "role": "trainee"}),
                )
                .await;
            assert!(
                [201, 409].contains(&r.status().as_u16()),
                "re-add the trainee: {}",
                r.status()
            );
            let open: Value = app
                .post_json(
                    &format!("/api/v1/cohorts/{}/quizzes/q01/attempts", c.cohort),
                    Some(&app.mint_token(&trainee_id).await),
                    &json!({}),
                )
                .await
                .json()
                .await
                .unwrap();
            attempt = open["attempt_id"]
                .as_str()
                .unwrap_or_else(|| panic!("before {method} {pattern}: no open attempt: {open}"))
                .to_string();
        }
        let real = pattern
            .replace("/attempts/{id}", &format!("/attempts/{attempt}"))
            .replace("{question_id}", &question)
            .replace("/credentials/{id}", &format!("/credentials/{credential}"))
            .replace("/verify/{id}", &format!("/verify/{credential}"))
            .replace("/cohorts/{id}", &format!("/cohorts/{}", c.cohort))
            .replace("/users/{id}", &format!("/users/{victim_id}"))
            .replace("{user_id}", &trainee_id)
            // Quiz and survey routes get a quiz's and a survey's slug (a module slug there is a
            // 404 before any handler reads the body); the rest a module's.
            .replace("/quizzes/{slug}", "/quizzes/q01")
            .replace("/surveys/{slug}", "/surveys/satisfaction")
            .replace("{slug}", "01-what-is-tis-s")
            .replace("{purpose}", "revocation")
            .replace("{code}", "en")
            .replace("{file}", "x");
        let real = real.replace("{id}", &uuid::Uuid::new_v4().to_string());
        let real = real
            .replace("{row_id}", &uuid::Uuid::new_v4().to_string())
            .replace("{token}", &"ab".repeat(32));
        // Each request is made with the path's real ids and every body, then with every
        // hostile path value and an empty body; as the admin, then anonymously.
        let mut requests: Vec<(String, &Body, bool)> = bodies
            .iter()
            .map(|(name, b)| {
                (
                    real.clone(),
                    b,
                    name.contains("MiB") || name.contains("huge"),
                )
            })
            .collect();
        if pattern.contains('{') {
            for p in &paths {
                let hostile = pattern
                    .split('/')
                    .map(|seg| {
                        if seg.starts_with('{') {
                            p.as_str()
                        } else {
                            seg
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                requests.push((hostile, &Body::None, false));
            }
        }
        // The GIFT routes read their settings from the query: hostile values there, and the
        // scheme's own slugs with a lowered pass mark or a cohort.
        if pattern.ends_with("/import-gift") || pattern.ends_with("/gift") {
            for nasty in NASTY {
                let e: String = url::form_urlencoded::byte_serialize(nasty.as_bytes()).collect();
                requests.push((
                    format!("{real}?slug={e}&cohort_id={e}&pass_percent={e}&review={e}&title_th={e}&attempts_allowed={e}"),
                    &gift_body,
                    false,
                ));
            }
            for slug in ["final-exam", "q01", "recert"] {
                requests.push((
                    format!("{real}?slug={slug}&pass_percent=0"),
                    &gift_body,
                    false,
                ));
                requests.push((
                    format!("{real}?slug={slug}&cohort_id={}", c.cohort),
                    &gift_body,
                    false,
                ));
            }
        }
        // A refused request must leave the database as it was; an accepted one (2xx, or a
        // form's 303 to a page other than the sign-in) may change it. Pass 1 sends the route's
        // requests and compares the database before and after the whole route, when none was
        // accepted. When some was, pass 2 sends them again, each refused one compared with the
        // database just before it (a per-request snapshot for every route was too slow on
        // PostgreSQL). GET routes accept no write.
        let is_get = *method == "get";
        let route_before = comparable(snapshot(&app).await);
        let mut accepted_in_route = false;
        for per_request in [false, true] {
            if per_request && (is_get || !accepted_in_route) {
                break;
            }
            let mut before = if per_request {
                comparable(snapshot(&app).await)
            } else {
                route_before.clone()
            };
            for (path, body, may_close) in &requests {
                for who in [Who::Admin, Who::Trainee, Who::Anonymous] {
                    let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                    let mut req = client
                        .request(m, format!("{}{path}", app.address))
                        .header("cookie", format!("academy_csrf={CSRF}"));
                    // A fresh token each time: some routes end the user's sessions.
                    match who {
                        Who::Admin => req = req.bearer_auth(app.mint_token(&admin_user.id).await),
                        Who::Trainee => req = req.bearer_auth(app.mint_token(&trainee_id).await),
                        Who::Anonymous => {}
                    }
                    req = match body {
                        Body::None => req,
                        Body::Json(b) => req
                            .header("content-type", "application/json")
                            .body(b.clone()),
                        Body::Form(b) => req
                            .header("content-type", "application/x-www-form-urlencoded")
                            .body(b.clone()),
                        Body::Csv(b) => req.header("content-type", "text/csv").body(b.clone()),
                        Body::Text(b) => req
                            .header("content-type", "text/plain; charset=utf-8")
                            .body(b.clone()),
                    };
                    sent += 1;
                    let accepted = match req.send().await {
                        Ok(res) => {
                            let status = res.status().as_u16();
                            let accepted = !is_get
                                && ((200..300).contains(&status)
                                    || ((300..400).contains(&status)
                                        && res.headers().get("location").is_some_and(|l| {
                                            l != "/login" || *pattern == "/logout"
                                        })));
                            if status >= 500 && !per_request {
                                let text = res.text().await.unwrap_or_default();
                                server_errors.push(format!(
                                "{method} {pattern} ({path:.80}) as {who:?}: {status} {text:.200}"
                            ));
                            }
                            accepted
                        }
                        // The server may close the connection on a body over its size limit
                        // without reading it; any other transport error is a failure.
                        Err(_) if *may_close => false,
                        Err(e) => {
                            if !per_request {
                                server_errors.push(format!(
                            "{method} {pattern} ({path:.80}) as {who:?}: transport error: {e}"
                        ));
                            }
                            false
                        }
                    };
                    accepted_in_route |= accepted;
                    if !per_request {
                        continue;
                    }
                    let after = comparable(snapshot(&app).await);
                    if accepted {
                        accepted_writes += 1;
                    } else {
                        compared_refusals += 1;
                        if after != before {
                            let tables: Vec<&String> = after
                                .iter()
                                .filter(|(t, rows)| before.get(*t) != Some(rows))
                                .map(|(t, _)| t)
                                .collect();
                            changed.push(format!(
                            "{method} {pattern} ({path:.80}) as {who:?}: refused, yet changed {tables:?}"
                        ));
                        }
                    }
                    before = after;
                }
            }
            if !per_request && !accepted_in_route {
                let after = comparable(snapshot(&app).await);
                if !is_get {
                    compared_refusals += requests.len() * 3;
                }
                if after != before {
                    let tables: Vec<&String> = after
                        .iter()
                        .filter(|(t, rows)| before.get(*t) != Some(rows))
                        .map(|(t, _)| t)
                        .collect();
                    changed.push(format!(
                        "{method} {pattern}: refused every request yet changed {tables:?}"
                    ));
                }
            }
        }
        assert_eq!(
            app.get("/healthz", None).await.status(),
            200,
            "after {method} {pattern}"
        );
    }
    assert!(
        server_errors.is_empty(),
        "{} server errors:\n{}",
        server_errors.len(),
        server_errors.join("\n")
    );
    assert!(
        changed.is_empty(),
        "partial writes:\n{}",
        changed.join("\n")
    );
    assert!(sent > 5000, "the corpus is large: {sent}");
    assert!(
        compared_refusals > 1000,
        "refused writes compared one by one: {compared_refusals}"
    );
    eprintln!(
        "hostile corpus ({}): {sent} requests over {} routes as admin, trainee and anonymous, \
         0 server errors, 0 transport errors, {compared_refusals} refused requests compared \
         before/after (routes with an accepted write: one by one), {accepted_writes} accepted",
        backend_name(),
        academy::http::routes::ROUTES.len()
    );
}
