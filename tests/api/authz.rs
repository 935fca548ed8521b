//! The authorization matrix: every route of the service against every persona.

use std::collections::BTreeSet;

use academy::accounts::model::Role;
use academy::http::routes::ROUTES;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const PERSONAS: [&str; 8] = [
    "anon",
    "trainee",
    "trainee_other",
    "instructor_other",
    "instructor",
    "admin",
    "admin_teacher",
    "admin_removed",
];
const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Row {
    method: String,
    path: String,
    expected: Vec<String>,
}

fn matrix() -> Vec<Row> {
    include_str!("authz_matrix.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(cells.len(), 2 + PERSONAS.len(), "bad matrix line: {l}");
            Row {
                method: cells[0].to_string(),
                path: cells[1].to_string(),
                expected: cells[2..].iter().map(|s| s.to_string()).collect(),
            }
        })
        .collect()
}

#[test]
fn every_route_has_exactly_one_row_in_the_matrix() {
    let rows: Vec<(String, String)> = matrix().into_iter().map(|r| (r.method, r.path)).collect();
    let in_matrix: BTreeSet<_> = rows.iter().cloned().collect();
    assert_eq!(
        in_matrix.len(),
        rows.len(),
        "a route appears twice in the matrix"
    );
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_uppercase(), p.to_string()))
        .collect();
    let missing: Vec<_> = routes.difference(&in_matrix).collect();
    let stale: Vec<_> = in_matrix.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in tests/api/authz_matrix.txt: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for routes that do not exist: {stale:?}"
    );
}

/// The body a route gets: valid enough to pass extraction, wrong enough to change nothing.
fn json_body(method: &str, path: &str, persona: &str, cohort: &str) -> Option<Value> {
    let bad_token = "0".repeat(64);
    Some(match (method, path) {
        // One address per persona, so the sign-in throttle does not mix into the matrix.
        ("POST", "/api/v1/auth/login") => {
            json!({"email": format!("nobody-{persona}@example.org"), "password": "wrong password"})
        }
        ("POST", "/api/v1/auth/password-reset") => json!({"email": "nobody@example.org"}),
        ("POST", "/api/v1/auth/password-reset/confirm")
        | ("POST", "/api/v1/auth/invitation/accept") => {
            json!({"token": bad_token, "password": "a perfectly good passphrase"})
        }
        ("POST", "/api/v1/me/password") => {
            json!({"current_password": "not the password", "new_password": "another good passphrase"})
        }
        ("POST", "/api/v1/users") => {
            json!({"email": "not-an-email", "name": "x", "role": "trainee", "office_code": "TH-50"})
        }
        ("PATCH", "/api/v1/users/{id}") => json!({"name": "   "}),
        ("POST", "/api/v1/cohorts") => {
            json!({"program": "nope", "generation": 9, "starts_on": "2022-02-15", "ends_on": "2022-03-15", "capacity": 5})
        }
        ("POST", "/api/v1/cohorts/join") => json!({"join_code": "NOPE2222"}),
        ("PATCH", "/api/v1/cohorts/{id}") => json!({"status": "bogus"}),
        ("POST", "/api/v1/cohorts/{id}/members") => json!({"user_id": "nope", "role": "trainee"}),
        ("POST", "/api/v1/cohorts/{id}/members/bulk") => json!({"emails": [], "role": "bogus"}),
        ("POST", "/api/v1/cohorts/{id}/sessions") => {
            json!({"title_th": "x", "starts_at": "x", "ends_at": "x", "venue": "x", "mode": "bogus"})
        }
        ("PUT", "/api/v1/sessions/{id}/attendance/{user_id}") => json!({"status": "bogus"}),
        ("POST", "/api/v1/sessions/{id}/checkin") => json!({"code": "000000"}),
        ("POST", "/api/v1/sessions/{id}/zoom-report/{row_id}/match") => json!({"user_id": "nope"}),
        ("POST", "/api/v1/sessions/{id}/zoom-report") => return None,
        ("PUT", "/api/v1/cohorts/{id}/quizzes/{slug}/overrides/{user_id}") => {
            json!({"extra_seconds": -1, "extra_attempts": 0})
        }
        ("PUT", "/api/v1/attempts/{id}/answers/{question_id}") => json!({"answer": {"bad": true}}),
        ("POST", "/api/v1/modules/{slug}/revisions") => {
            json!({"title_th": "", "title_en": "", "markdown_th": "", "markdown_en": ""})
        }
        ("POST", "/api/v1/preview") => json!({"markdown": "**ok**"}),
        ("POST", "/api/v1/quizzes/import-gift") => return None,
        ("POST", "/api/v1/cohorts/{id}/credentials/issue-eligible") => json!({"scope": "nonsense"}),
        ("POST", "/api/v1/credentials") => {
            json!({"cohort_id": cohort, "user_id": "x", "scope": "nonsense"})
        }
        ("POST", "/api/v1/credentials/{id}/suspend")
        | ("POST", "/api/v1/credentials/{id}/reinstate")
        | ("POST", "/api/v1/credentials/{id}/revoke")
        | ("POST", "/api/v1/credentials/{id}/withdraw")
        | ("POST", "/api/v1/credentials/{id}/renew") => json!({"reason": "   "}),
        ("POST", "/api/v1/verify") => json!({"credential_jwt": "not.a.jwt"}),
        ("POST", "/api/v1/attempts/{id}/marks/{question_id}") => {
            json!({"levels": {}, "comment": ""})
        }
        ("POST", "/api/v1/cohorts/{id}/surveys/{slug}/responses") => json!({"answers": {}}),
        ("PUT", "/api/v1/cohorts/{id}/report/narrative") => json!({"background": "x".repeat(9000),
            "objectives": "", "problems": "", "suggestions": ""}),
        ("PUT", "/api/v1/cohorts/{id}/signatory") => {
            json!({"name_th": " ", "name_en": "x", "position_th": "x", "position_en": "x"})
        }
        ("POST", "/api/v1/cohorts/{id}/conflicts") => json!({"user_id": "nope", "statement": ""}),
        ("POST", "/api/v1/cohorts/{id}/observations") => json!({"user_id": "nope", "scope": "x",
            "observed_on": "x", "business": "", "competences": [], "outcome": "x"}),
        (_, p) if p.starts_with("/api/") && method != "GET" => json!({}),
        _ => return None,
    })
}

fn form_body(path: &str, persona: &str) -> Vec<(&'static str, String)> {
    let mut f = vec![("csrf", CSRF.to_string())];
    match path {
        "/login" => {
            f.push(("email", format!("nobody-web-{persona}@example.org")));
            f.push(("password", "wrong password".into()));
        }
        "/forgot" => f.push(("email", "nobody@example.org".into())),
        "/reset/{token}" | "/invitation/{token}" => {
            f.push(("password", "a perfectly good passphrase".into()));
            f.push(("confirm", "a perfectly good passphrase".into()));
        }
        "/profile/language" => f.push(("language", "th".into())),
        "/profile/password" => {
            f.push(("current", "not the password".into()));
            f.push(("password", "another good passphrase".into()));
            f.push(("confirm", "another good passphrase".into()));
        }
        "/admin/users/import" => f.push(("csv", "email,name,role,office_code\nbad,,,\n".into())),
        "/join" => f.push(("join_code", "NOPE3333".into())),
        "/verify" => f.push(("credential_jwt", "not.a.credential".into())),
        "/cohorts/{id}/sessions" => {
            f.push(("title_th", "x".into()));
            f.push(("starts_at", "bad".into()));
        }
        "/sessions/{id}/checkin" => f.push(("code", "000000".into())),
        "/cohorts/{id}/report" => f.push(("background", "x".repeat(9000))),
        "/module-revisions/{id}/review" => f.push(("decision", "bogus".into())),
        "/sessions/{id}/zoom" => f.push(("report", "nothing useful".into())),
        "/sessions/{id}/zoom/{row_id}" => f.push(("user_id", "nope".into())),
        "/modules/{slug}/edit" => {
            for k in ["title_th", "title_en", "markdown_th", "markdown_en"] {
                f.push((k, String::new()));
            }
        }
        "/cohorts/{id}/members" => {
            f.push(("email", "nobody@example.org".into()));
            f.push(("role", "bogus".into()));
        }
        "/cohorts/{id}/leads" => {
            f.push(("user_id", "nope".into()));
            f.push(("lead", "1".into()));
        }
        "/cohorts/{id}/publish" => {
            f.push(("kind", "module".into()));
            f.push(("slug", "01-what-is-tis-s".into()));
        }
        "/cohorts/{id}/issue" => {
            f.push(("user_id", "nope".into()));
            f.push(("scope", "nonsense".into()));
        }
        "/admin/cohorts" => {
            f.push(("generation", "x".into()));
            f.push(("starts_on", "x".into()));
            f.push(("ends_on", "x".into()));
            f.push(("capacity", "x".into()));
        }
        _ => {}
    }
    f
}

/// What every call of the matrix shares: cohort A, and the CSRF token of the pre-session
/// cookie `CSRF` (forms of anonymous personas need it; bearer calls do not).
struct Ctx {
    cohort: String,
    csrf: String,
}

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    row: &Row,
    concrete: &str,
    persona: &str,
    token: Option<&str>,
    ctx: &Ctx,
) -> (String, String) {
    let cohort = ctx.cohort.as_str();
    let (method, path) = (row.method.as_str(), row.path.as_str());
    let url = app.url(concrete);
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client
        .request(m, &url)
        .header("cookie", format!("academy_csrf={CSRF}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if path == "/api/v1/users/import"
        || path == "/api/v1/sessions/{id}/zoom-report"
        || path == "/api/v1/quizzes/import-gift"
    {
        req = req
            .header("content-type", "text/csv")
            .body("email,name,role,office_code\nbad,,,\n");
    } else if let Some(body) = json_body(method, path, persona, cohort) {
        req = req.json(&body);
    } else if method == "POST" {
        // The pre-session cookie's real token (bearer calls need none).
        let form: Vec<(&str, String)> = form_body(path, persona)
            .into_iter()
            .map(|(k, v)| {
                if k == "csrf" {
                    (k, ctx.csrf.clone())
                } else {
                    (k, v)
                }
            })
            .collect();
        req = req.form(&form);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    if status == 303
        && res.headers().get("location").is_some_and(|l| l == "/login")
        && !path.starts_with("/log")
    {
        return ("login".into(), String::new());
    }
    let code = res
        .json::<Value>()
        .await
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default();
    (status.to_string(), code)
}

#[tokio::test]
async fn every_route_answers_every_persona_as_the_matrix_says() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut ids = std::collections::HashMap::new();
    for (persona, role) in [
        ("trainee", Role::Trainee),
        ("trainee_other", Role::Trainee),
        ("instructor_other", Role::Instructor),
        ("instructor", Role::Instructor),
        ("admin", Role::Admin),
        ("admin_teacher", Role::Admin),
        ("admin_removed", Role::Admin),
    ] {
        let user = app
            .create_user(
                role,
                &format!("{persona}@example.org"),
                "correct horse battery",
            )
            .await;
        ids.insert(persona, user.id);
    }
    // Cohort A holds trainee and instructor; cohort B the "other" ones. A session of A runs now.
    let admin_token = app.mint_token(&ids["admin"]).await;
    let mut cohort_ids = Vec::new();
    for (generation, members) in [
        (1, ["trainee", "instructor"]),
        (2, ["trainee_other", "instructor_other"]),
    ] {
        let c = crate::cohorts::create_cohort(&app, &admin_token, generation, 10).await;
        let cid = c["id"].as_str().unwrap().to_string();
        for (persona, role) in members.iter().zip(["trainee", "instructor"]) {
            let res = app
                .post_json(
                    &format!("/api/v1/cohorts/{cid}/members"),
                    Some(&admin_token),
                    &json!({"user_id": ids[persona], "role": role}),
                )
                .await;
            assert_eq!(res.status(), 201);
        }
        cohort_ids.push((cid, c["calendar_path"].as_str().unwrap().to_string()));
    }
    let (cohort_a, calendar_a) = cohort_ids[0].clone();
    // An admin who teaches cohort A, and one who taught it and was removed.
    for persona in ["admin_teacher", "admin_removed"] {
        let res = app
            .post_json(
                &format!("/api/v1/cohorts/{cohort_a}/members"),
                Some(&admin_token),
                &json!({"user_id": ids[persona], "role": "instructor"}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let res = app
        .client
        .delete(app.url(&format!(
            "/api/v1/cohorts/{cohort_a}/members/{}",
            ids["admin_removed"]
        )))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let starts = chrono::Utc::now() - chrono::Duration::minutes(5);
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{cohort_a}/sessions"),
            Some(&admin_token),
            &json!({"title_th": "ภาคเช้า", "starts_at": starts.to_rfc3339(), "ends_at": (starts + chrono::Duration::hours(3)).to_rfc3339(), "venue": "ห้องประชุม", "mode": "onsite"}),
        )
        .await;
    let session_a = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let calendar_file = calendar_a.rsplit('/').next().unwrap().to_string();
    // Module 01 and quiz q01 are published to cohort A, and the trainee has an attempt open.
    for what in ["modules/01-what-is-tis-s", "quizzes/q01"] {
        let res = app
            .post_json(
                &format!("/api/v1/cohorts/{cohort_a}/{what}/publish"),
                Some(&admin_token),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200, "{what}");
    }
    let trainee_token = app.mint_token(&ids["trainee"]).await;
    let started: Value = app
        .post_json(
            &format!("/api/v1/cohorts/{cohort_a}/quizzes/q01/attempts"),
            Some(&trainee_token),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let attempt = started["attempt_id"].as_str().unwrap().to_string();
    // The trainee holds a credential (issued with an override).
    let cred: Value = app
        .post_json(
            "/api/v1/credentials",
            Some(&admin_token),
            &json!({"cohort_id": cohort_a, "user_id": ids["trainee"], "scope": "product", "override_reason": "matrix"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let credential = cred["id"].as_str().unwrap().to_string();
    let question = started["questions"][0]["id"].as_str().unwrap().to_string();
    let random_id = uuid::Uuid::new_v4().to_string();
    let random_token = "ab".repeat(32);
    let login_page = client
        .get(app.url("/login"))
        .header("cookie", format!("academy_csrf={CSRF}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ctx = Ctx {
        cohort: cohort_a.clone(),
        csrf: crate::web::csrf_of(&login_page),
    };
    let mut failures = Vec::new();
    for row in matrix() {
        // The feed link changes when staff rotate it (a row of the matrix does): read it now.
        let calendar_file = if row.path.starts_with("/calendar/") {
            let fresh = app.mint_token(&ids["admin"]).await;
            let c: Value = app
                .get(&format!("/api/v1/cohorts/{cohort_a}"), Some(&fresh))
                .await
                .json()
                .await
                .unwrap();
            c["calendar_path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        } else {
            calendar_file.clone()
        };
        let concrete = row
            .path
            .replace("/users/{id}", &format!("/users/{}", ids["trainee"]))
            .replace("/attempts/{id}", &format!("/attempts/{attempt}"))
            .replace("/credentials/{id}", &format!("/credentials/{credential}"))
            .replace("/verify/{id}", &format!("/verify/{credential}"))
            .replace("/status/{purpose}", "/status/revocation")
            .replace("/keys/{name}", "/keys/key-unknown")
            .replace("{question_id}", &question)
            .replace("/surveys/{slug}", "/surveys/satisfaction")
            .replace("/fiscal-years/{fy}", "/fiscal-years/2565")
            .replace(
                "/marking/{attempt}/{question}",
                &format!("/marking/{attempt}/{question}"),
            )
            .replace(
                "/modules/{slug}/unpublish",
                "/modules/02-certification-path/unpublish",
            )
            .replace("/quizzes/{slug}/unpublish", "/quizzes/q02/unpublish")
            .replace("/modules/{slug}", "/modules/01-what-is-tis-s")
            .replace("/quizzes/{slug}", "/quizzes/q01")
            .replace(
                "/overrides/{user_id}",
                &format!("/overrides/{}", ids["trainee"]),
            )
            .replace("/media/{slug}/{file}", "/media/01-what-is-tis-s/none.png")
            .replace(
                "/static/fonts/{file}",
                "/static/fonts/NotoSansThai-Regular.ttf",
            )
            .replace("/import-gift", "/import-gift?slug=matrix")
            .replace("/cohorts/{id}", &format!("/cohorts/{cohort_a}"))
            .replace(
                "/calendar/{id}/{file}",
                &format!("/calendar/{cohort_a}/{calendar_file}"),
            )
            .replace("/sessions/{id}", &format!("/sessions/{session_a}"))
            .replace(
                "/attendance/{user_id}",
                &format!("/attendance/{}", ids["trainee"]),
            )
            .replace("{id}", &random_id)
            .replace("{user_id}", &random_id)
            .replace("{row_id}", &random_id)
            .replace("{token}", &random_token)
            .replace("{code}", "en");
        for (i, persona) in PERSONAS.iter().enumerate() {
            // A fresh token per request: some routes end the persona's sign-ins.
            let token = match ids.get(persona) {
                Some(id) => Some(app.mint_token(id).await),
                None => None,
            };
            let got = call(
                &app,
                &client,
                &row,
                &concrete,
                persona,
                token.as_deref(),
                &ctx,
            )
            .await;
            // A cell like 409/not_independent also names the error code.
            let got = match row.expected[i].split_once('/') {
                Some(_) => format!("{}/{}", got.0, got.1),
                None => got.0,
            };
            if got != row.expected[i] {
                failures.push(format!(
                    "{} {} as {persona}: expected {}, got {got}",
                    row.method, row.path, row.expected[i]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
}
