use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn sign_in_returns_a_token_that_identifies_the_user() {
    let app = spawn_app().await;
    app.create_user(
        Role::Trainee,
        "Trainee@Example.org",
        "correct horse battery",
    )
    .await;
    let res = app
        .login("trainee@example.org", "correct horse battery")
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["expires_at"].as_str().is_some());
    assert_eq!(body["user"]["role"], "trainee");
    assert!(body["user"].get("password_hash").is_none());
    let token = body["token"].as_str().unwrap();
    let me: Value = app
        .get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap();
    for key in ["id", "email", "name", "role", "office_code"] {
        assert!(me.get(key).is_some(), "{key} missing in {me}");
    }
    assert_eq!(me["email"], "trainee@example.org");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_answer_identically() {
    let app = spawn_app().await;
    app.create_user(Role::Trainee, "t@example.org", "correct horse battery")
        .await;
    let a = app.login("t@example.org", "wrong password!").await;
    let b = app.login("nobody@example.org", "wrong password!").await;
    assert_eq!(a.status(), 401);
    assert_eq!(b.status(), 401);
    let a: Value = a.json().await.unwrap();
    let b: Value = b.json().await.unwrap();
    assert_eq!(a, b);
}

#[tokio::test]
async fn only_admins_create_users() {
    let app = spawn_app().await;
    let (_, trainee) = app.user_with_token(Role::Trainee, "t@example.org").await;
    let body = json!({"email": "new@example.org", "name": "นางสาว ใหม่ ใจงาม", "role": "trainee", "office_code": "TH-10"});
    let res = app.post_json("/api/v1/users", None, &body).await;
    assert_eq!(error_code(res, 401).await, "unauthorized");
    let res = app.post_json("/api/v1/users", Some(&trainee), &body).await;
    assert_eq!(error_code(res, 403).await, "forbidden");

    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    // TH-10 (Bangkok) has no provincial office.
    let res = app.post_json("/api/v1/users", Some(&admin), &body).await;
    assert_eq!(error_code(res, 422).await, "unknown_office");
    let mut ok = body.clone();
    ok["office_code"] = json!("TH-50");
    let res = app.post_json("/api/v1/users", Some(&admin), &ok).await;
    assert_eq!(res.status(), 201);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["office_code"], "TH-50");
    let res = app.post_json("/api/v1/users", Some(&admin), &ok).await;
    assert_eq!(error_code(res, 409).await, "email_taken");
}

#[tokio::test]
async fn a_password_change_kills_the_old_token_at_once() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token(Role::Trainee, "t@example.org").await;
    let res = app
        .post_json(
            "/api/v1/me/password",
            Some(&token),
            &json!({"current_password": "correct horse battery", "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(error_code(res, 401).await, "unauthorized");
    let fresh = app.token("t@example.org", "a brand new passphrase").await;
    assert_eq!(app.get("/api/v1/me", Some(&fresh)).await.status(), 200);
}

mod forgery {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};

    fn claims(sub: impl AsRef<str>, ver: i64, overrides: Value) -> Value {
        let sub = sub.as_ref();
        let now = chrono::Utc::now().timestamp();
        let mut c = json!({
            "sub": sub, "iss": "assessor-academy", "aud": "assessor-academy-api",
            "exp": now + 3600, "nbf": now - 10, "iat": now - 10,
            "jti": "forged", "purpose": "access", "ver": ver
        });
        for (k, v) in overrides.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    }

    fn sign(alg: Algorithm, kid: Option<&str>, secret: &[u8], claims: &Value) -> String {
        let mut h = Header::new(alg);
        h.kid = kid.map(str::to_string);
        encode(&h, claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    #[tokio::test]
    async fn every_forged_or_misused_token_gets_401() {
        let app = spawn_app().await;
        let (trainee, good) = app.user_with_token(Role::Trainee, "t@example.org").await;
        let (admin, _) = app.user_with_token(Role::Admin, "a@example.org").await;
        let secret = app.token_secret().await;
        assert_eq!(
            app.get("/api/v1/me", Some(&good)).await.status(),
            200,
            "the genuine token works"
        );

        let mut cases: Vec<(&str, String)> = Vec::new();
        // alg: none, no signature.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims(&admin.id, 0, json!({})).to_string());
        cases.push(("alg none", format!("{header}.{payload}.")));
        // Another HMAC algorithm with the right secret.
        cases.push((
            "HS512",
            sign(
                Algorithm::HS512,
                None,
                &secret,
                &claims(&trainee.id, 0, json!({})),
            ),
        ));
        cases.push((
            "HS384",
            sign(
                Algorithm::HS384,
                None,
                &secret,
                &claims(&trainee.id, 0, json!({})),
            ),
        ));
        // The trainee's token with the payload changed to the admin, old signature kept.
        let parts: Vec<&str> = good.split('.').collect();
        let mut body: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        body["sub"] = json!(admin.id);
        cases.push((
            "changed payload",
            format!(
                "{}.{}.{}",
                parts[0],
                URL_SAFE_NO_PAD.encode(body.to_string()),
                parts[2]
            ),
        ));
        // One flipped bit in the signature.
        let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        sig[7] ^= 0x01;
        cases.push((
            "flipped signature bit",
            format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig)),
        ));
        // Signed with another key.
        cases.push((
            "another key",
            sign(
                Algorithm::HS256,
                None,
                b"not-the-service-secret-not-the-service",
                &claims(&trainee.id, 0, json!({})),
            ),
        ));
        let now = chrono::Utc::now().timestamp();
        cases.push((
            "expired",
            sign(
                Algorithm::HS256,
                None,
                &secret,
                &claims(&trainee.id, 0, json!({"exp": now - 120, "nbf": now - 7200})),
            ),
        ));
        cases.push((
            "not yet valid",
            sign(
                Algorithm::HS256,
                None,
                &secret,
                &claims(&trainee.id, 0, json!({"nbf": now + 600})),
            ),
        ));
        cases.push((
            "wrong aud",
            sign(
                Algorithm::HS256,
                None,
                &secret,
                &claims(&trainee.id, 0, json!({"aud": "someone-else"})),
            ),
        ));
        cases.push((
            "wrong iss",
            sign(
                Algorithm::HS256,
                None,
                &secret,
                &claims(&trainee.id, 0, json!({"iss": "evil"})),
            ),
        ));
        cases.push((
            "reset purpose",
            sign(
                Algorithm::HS256,
                None,
                &secret,
                &claims(&trainee.id, 0, json!({"purpose": "password_reset"})),
            ),
        ));
        cases.push((
            "malicious kid",
            sign(
                Algorithm::HS256,
                Some("../../../../dev/null"),
                &secret,
                &claims(&trainee.id, 0, json!({})),
            ),
        ));
        cases.push((
            "old token version",
            sign(
                Algorithm::HS256,
                None,
                &secret,
                &claims(&trainee.id, -1, json!({})),
            ),
        ));
        cases.push((
            "unknown user",
            sign(
                Algorithm::HS256,
                None,
                &secret,
                &claims("no-such-user", 0, json!({})),
            ),
        ));
        cases.push(("garbage", "not.a.token".into()));
        // A real password-reset link secret used as a bearer token.
        assert_eq!(
            app.post_json(
                "/api/v1/auth/password-reset",
                None,
                &json!({"email": "t@example.org"})
            )
            .await
            .status(),
            202
        );
        let link = app
            .last_mail_context("t@example.org", "password_reset")
            .await["link"]
            .as_str()
            .unwrap()
            .to_string();
        cases.push((
            "reset link secret",
            link.rsplit('/').next().unwrap().to_string(),
        ));

        for (name, token) in cases {
            let res = app.get("/api/v1/me", Some(&token)).await;
            assert_eq!(res.status(), 401, "{name} was accepted");
            let res = app.get("/api/v1/users", Some(&token)).await;
            assert_eq!(res.status(), 401, "{name} was accepted on an admin route");
        }
    }
}

#[tokio::test]
async fn twenty_wrong_passwords_block_the_account_but_it_can_still_reset() {
    let app = spawn_app().await;
    app.create_user(Role::Trainee, "t@example.org", "correct horse battery")
        .await;
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(
            app.login("t@example.org", "wrong password!")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..10].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(*statuses.last().unwrap(), 429, "{statuses:?}");
    // The right password still waits out the window, with Retry-After.
    let res = app.login("t@example.org", "correct horse battery").await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 60 && retry <= 15 * 60, "{retry}");
    assert_eq!(error_code(res, 429).await, "too_many_requests");
    // The web form is throttled the same way.
    let html = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "t@example.org"),
            ("password", "correct horse battery"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);

    // The owner of the address can still reset the password, and then sign in.
    let res = app
        .post_json(
            "/api/v1/auth/password-reset",
            None,
            &json!({"email": "t@example.org"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let link = app
        .last_mail_context("t@example.org", "password_reset")
        .await["link"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        link.starts_with(&format!("{}/reset/", app.address)),
        "{link}"
    );
    let token = link.rsplit('/').next().unwrap();
    let res = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            None,
            &json!({"token": token, "password": "a fresh new passphrase"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.login("t@example.org", "a fresh new passphrase")
            .await
            .status(),
        200
    );
    // The link works once.
    let res = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            None,
            &json!({"token": token, "password": "yet another passphrase"}),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "invalid_token");
}

#[tokio::test]
async fn a_reset_request_for_an_unknown_address_looks_the_same_and_sends_nothing() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/password-reset",
            None,
            &json!({"email": "nobody@example.org"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let mails: Vec<Value> = app
        .get("/api/v1/admin/outbox", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(mails.is_empty(), "{mails:?}");
}

#[tokio::test]
async fn an_invited_user_sets_a_password_through_the_link_once() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let res = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "new@example.org", "name": "นาง ใหม่ มาแล้ว", "role": "instructor", "office_code": "TISI", "language": "en"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // No password yet: sign-in is refused like any wrong password.
    assert_eq!(
        app.login("new@example.org", "anything at all")
            .await
            .status(),
        401
    );
    let ctx = app.last_mail_context("new@example.org", "invitation").await;
    let link = ctx["link"].as_str().unwrap();
    let token = link.rsplit('/').next().unwrap();
    // The page shows who the link is for.
    let html = app
        .client
        .get(link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("new@example.org"), "{html}");
    let res = app
        .post_json(
            "/api/v1/auth/invitation/accept",
            None,
            &json!({"token": token, "password": "password"}),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "weak_password");
    let res = app
        .post_json(
            "/api/v1/auth/invitation/accept",
            None,
            &json!({"token": token, "password": "my own good passphrase"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["role"], "instructor");
    assert_eq!(
        app.get("/api/v1/me", body["token"].as_str()).await.status(),
        200
    );
    let res = app
        .post_json(
            "/api/v1/auth/invitation/accept",
            None,
            &json!({"token": token, "password": "my own good passphrase"}),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "invalid_token");
    // A reset link is not an invitation link.
    assert_eq!(
        app.client
            .get(app.url(&format!("/reset/{token}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn changing_a_role_or_disabling_an_account_kills_its_tokens_at_once() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let (trainee, token) = app.user_with_token(Role::Trainee, "t@example.org").await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/users/{}", trainee.id)))
        .bearer_auth(&admin)
        .json(&json!({"role": "instructor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 401);
    let token = app.token("t@example.org", "correct horse battery").await;
    let me: Value = app
        .get("/api/v1/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "instructor");
    // A name change leaves sign-ins alone.
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/users/{}", trainee.id)))
        .bearer_auth(&admin)
        .json(&json!({"name": "นาย ชื่อ ใหม่"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/users/{}", trainee.id)))
        .bearer_auth(&admin)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 401);
    assert_eq!(
        app.login("t@example.org", "correct horse battery")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_token() {
    let app = spawn_app().await;
    let (_, t1) = app.user_with_token(Role::Trainee, "t@example.org").await;
    let t2 = app.token("t@example.org", "correct horse battery").await;
    assert_eq!(
        app.post_json("/api/v1/auth/logout-everywhere", Some(&t1), &json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(app.get("/api/v1/me", Some(&t1)).await.status(), 401);
    assert_eq!(app.get("/api/v1/me", Some(&t2)).await.status(), 401);
}

#[tokio::test]
async fn a_one_megabyte_password_is_refused_before_hashing() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let big = "x".repeat(1_000_000);
    let throttled = app.count("SELECT COUNT(*) AS n FROM login_throttle").await;
    let res = app.login("a@example.org", &big).await;
    // The JSON body limit refuses it before any hashing: not even counted as a failed sign-in.
    assert_eq!(res.status(), 413);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM login_throttle").await,
        throttled,
        "the refused body reached the password check"
    );
    let res = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "b@example.org", "name": "นาย บี", "role": "trainee", "office_code": "TH-50", "password": "ab".repeat(100)}),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "weak_password");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE email = 'b@example.org'")
            .await,
        0
    );
}

fn users_csv(n: usize, bad: &[(usize, &str)]) -> String {
    let mut s = String::from("email,name,name_en,role,office_code,language\n");
    let offices = ["TH-50", "TH-10x", "TH-30", "TH-90", "TH-11"];
    for i in 0..n {
        let mut line = format!(
            "trainee{i:04}@example.org,\"นางสาว ผู้เข้าอบรม {i}\",Trainee {i},trainee,{},th",
            if i % 5 == 1 { "TH-40" } else { offices[i % 5] }
        );
        if let Some((_, replacement)) = bad.iter().find(|(row, _)| *row == i) {
            line = replacement.to_string();
        }
        s.push_str(&line);
        s.push('\n');
    }
    s
}

#[tokio::test]
async fn a_csv_of_1000_users_with_3_bad_rows_imports_nothing_then_all_once_fixed() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    let bad = [
        (10, "not-an-email,นาย เสีย หนึ่ง,,trainee,TH-50,th"),
        (500, "bad500@example.org,นาย เสีย สอง,,trainee,TH-99,th"),
        (998, "bad998@example.org,นาย เสีย สาม,,boss,TH-50,th"),
    ];
    let send = |body: String| {
        app.client
            .post(app.url("/api/v1/users/import?invite=false"))
            .bearer_auth(&admin)
            .header("content-type", "text/csv; charset=utf-8")
            .body(body)
            .send()
    };
    let res = send(users_csv(1000, &bad)).await.unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "import_rejected");
    let rows = body["error"]["details"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    // Line numbers count the header as line 1.
    assert_eq!(rows[0]["line"], 12);
    assert!(rows[0]["problems"][0]
        .as_str()
        .unwrap()
        .starts_with("email"));
    assert_eq!(rows[1]["line"], 502);
    assert!(rows[1]["problems"][0].as_str().unwrap().contains("office"));
    assert_eq!(rows[2]["line"], 1000);
    assert!(rows[2]["problems"][0].as_str().unwrap().starts_with("role"));
    let listed: Vec<Value> = app
        .get("/api/v1/users?role=trainee", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(listed.is_empty(), "something was half-imported");

    let res = send(users_csv(1000, &[])).await.unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["imported"], 1000);
    let listed: Vec<Value> = app
        .get("/api/v1/users?role=trainee", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1000);
    // Importing the same file again names every line as taken and imports nothing.
    let res = send(users_csv(1000, &[])).await.unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"]["details"]["rows"].as_array().unwrap().len(),
        1000
    );
}

#[tokio::test]
async fn the_user_list_searches_inside_thai_words_and_filters_by_office_and_role() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "a@example.org").await;
    for (email, name, role, office) in [
        ("somchai@example.org", "นาย สมชาย ใจดี", "trainee", "TH-50"),
        ("somsri@example.org", "นางสาว สมศรี มีสุข", "trainee", "TH-30"),
        ("kamon@example.org", "นาง กมล ใจงาม", "instructor", "TISI"),
        ("ek@example.org", "นาย เอก สุขใจ", "trainee", "TH-50"),
    ] {
        let res = app
            .post_json(
                "/api/v1/users",
                Some(&admin),
                &json!({"email": email, "name": name, "role": role, "office_code": office}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let names = |v: Vec<Value>| {
        v.iter()
            .map(|u| u["email"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // "ใจ" occurs inside ใจดี, ใจงาม and สุขใจ.
    let got = names(
        app.get("/api/v1/users?q=%E0%B9%83%E0%B8%88", Some(&admin))
            .await
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(
        got,
        vec!["kamon@example.org", "somchai@example.org", "ek@example.org"]
    );
    let got = names(
        app.get("/api/v1/users?office_code=TH-50&role=trainee", Some(&admin))
            .await
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(got, vec!["somchai@example.org", "ek@example.org"]);
    let got = names(
        app.get("/api/v1/users?q=SOMSRI", Some(&admin))
            .await
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(got, vec!["somsri@example.org"]);
    let res = app
        .get("/api/v1/users?office_code=TH-10", Some(&admin))
        .await;
    assert_eq!(error_code(res, 422).await, "unknown_office");
    // A LIKE wildcard is searched for literally.
    let got: Vec<Value> = app
        .get("/api/v1/users?q=%25", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(got.is_empty());
}

#[tokio::test]
async fn the_web_sign_in_sets_an_httponly_lax_cookie_and_forms_need_the_csrf_token() {
    let app = spawn_app().await;
    app.create_user(Role::Trainee, "t@example.org", "correct horse battery")
        .await;
    let html = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    // Without the token the form is refused.
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "t@example.org"),
            ("password", "correct horse battery"),
            ("csrf", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "t@example.org"),
            ("password", "correct horse battery"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("academy_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    // Signed in: the dashboard and the profile page in Thai, with Buddhist-era-free facts.
    let html = app
        .client
        .get(app.url("/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("ข้อมูลส่วนตัว") && html.contains("t@example.org"),
        "{html}"
    );
    // The token is bound to the session: the one from before sign-in no longer works.
    let res = app
        .client
        .post(app.url("/profile/language"))
        .form(&[("language", "en"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let csrf = crate::web::csrf_of(&html);
    // Switching the preferred language to English switches the UI.
    let res = app
        .client
        .post(app.url("/profile/language"))
        .form(&[("language", "en"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = app
        .client
        .get(app.url("/profile?done=language_saved"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Preferred language saved") && html.contains("lang=\"en\""),
        "{html}"
    );
    // Signing out ends the session.
    let res = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = app.client.get(app.url("/profile")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
}
