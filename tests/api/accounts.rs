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
