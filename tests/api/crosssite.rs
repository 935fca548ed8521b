//! Another site acting as a signed-in admin (issue 20): a page served by the test from another
//! origin of the same host (another port, so the browser sends the admin's cookies along),
//! opened in Chromium while an admin is signed in, tries every way a page can send a change:
//! forms with a planted double-submit cookie, `text/plain` forms carrying CSV or JSON, and
//! `fetch` with credentials. Nothing may change.

use academy::accounts::model::Role;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::spawn_app;
use crate::webdriver::{available, Driver};

/// Serves `html` for every request on a new port of 127.0.0.1; returns the page's URL.
async fn serve_attacker_page(html: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let body = html.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/")
}

fn attacker_html(app: &str) -> String {
    let planted = "a".repeat(64);
    let csv_name = "email,name,role,office_code\nevil-form@example.org,Evil";
    format!(
        r#"<!doctype html><html><body>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe><iframe name="sink3"></iframe><iframe name="sink4"></iframe>
<form id="f1" method="post" action="{app}/admin/users/import" target="sink1">
  <input name="csrf" value="{planted}">
  <textarea name="csv">email,name,role,office_code
evil-ui@example.org,Evil UI,admin,TISI
</textarea>
</form>
<form id="f2" method="post" enctype="text/plain" action="{app}/api/v1/users/import" target="sink2">
  <input name="{csv_name}" value="Plain,admin,TISI">
</form>
<form id="f3" method="post" enctype="text/plain" action="{app}/api/v1/users" target="sink3">
  <input name='{{"email":"evil-json@example.org","name":"Evil","role":"admin","office_code":"TISI","password":"correct horse battery","x":"' value='"}}'>
</form>
<form id="f4" method="post" action="{app}/admin/cohorts" target="sink4">
  <input name="csrf" value="{planted}">
  <input name="generation" value="99"><input name="starts_on" value="2026-01-01">
  <input name="ends_on" value="2026-02-01"><input name="capacity" value="5">
  <input name="name_th" value="รุ่นของผู้บุกรุก">
</form>
<script>
  window.results = {{}};
  // Done when the four forms' answers have loaded in their frames and both fetches settled:
  // by then every request has been answered, so whatever it wrote is in the database.
  var pending = 6;
  function settled() {{ if (--pending === 0) {{ window.results.done = true; }} }}
  ["sink1", "sink2", "sink3", "sink4"].forEach(function (n) {{
    document.getElementsByName(n)[0].onload = settled;
  }});
  // A cookie planted on the host (cookies ignore ports): the old double-submit token.
  document.cookie = "academy_csrf={planted}; path=/";
  document.getElementById("f1").submit();
  document.getElementById("f2").submit();
  document.getElementById("f3").submit();
  document.getElementById("f4").submit();
  var body = JSON.stringify({{email: "evil-fetch@example.org", name: "Evil", role: "admin", office_code: "TISI", password: "correct horse battery"}});
  fetch("{app}/api/v1/users", {{method: "POST", mode: "no-cors", credentials: "include",
        headers: {{"Content-Type": "text/plain"}}, body: body}})
    .then(function (r) {{ window.results.fetch_users = r.type; }})
    .catch(function (e) {{ window.results.fetch_users = "error " + e; }})
    .then(settled);
  fetch("{app}/api/v1/users/import", {{method: "POST", mode: "no-cors", credentials: "include",
        headers: {{"Content-Type": "text/plain"}},
        body: "email,name,role,office_code\nevil-fetch-csv@example.org,Evil,admin,TISI\n"}})
    .then(function (r) {{ window.results.fetch_import = r.type; }})
    .catch(function (e) {{ window.results.fetch_import = "error " + e; }})
    .then(settled);
</script>
</body></html>"#
    )
}

#[tokio::test]
async fn a_page_on_another_origin_cannot_act_as_the_signed_in_admin() {
    if !available("cross-site test") {
        return;
    }
    let app = spawn_app().await;
    app.create_user(Role::Admin, "admin@example.org", "correct horse battery")
        .await;
    let admin_token = app
        .token("admin@example.org", "correct horse battery")
        .await;
    let page = serve_attacker_page(attacker_html(&app.address)).await;
    assert_ne!(
        url::Url::parse(&page).unwrap().port(),
        url::Url::parse(&app.address).unwrap().port(),
        "the attacker page is on another origin"
    );

    let driver = Driver::start().await;
    let s = driver.session(1280, 900).await;
    // The admin signs in on the real site.
    s.goto(&app.url("/login")).await;
    let email = s.find("#email").await;
    s.type_into(&email, "admin@example.org").await;
    let pw = s.find("#password").await;
    s.type_into(&pw, "correct horse battery").await;
    s.click(&s.find("form[action='/login'] button[type=submit]").await)
        .await;
    s.wait_for("location.pathname === '/'", "the dashboard")
        .await;
    let users_before = app.count("SELECT COUNT(*) AS n FROM users").await;
    let cohorts_before = app.count("SELECT COUNT(*) AS n FROM cohorts").await;

    // Then opens the other site's page in the same browser.
    s.goto(&page).await;
    s.wait_for(
        "window.results && window.results.done === true",
        "the attack to run",
    )
    .await;
    let results = s.js("return window.results;", json!([])).await;

    let users: Value = app
        .get("/api/v1/users", Some(&admin_token))
        .await
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = users
        .as_array()
        .or_else(|| users["users"].as_array())
        .expect("a user list")
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert!(
        !emails.iter().any(|e| e.starts_with("evil")),
        "another site created users: {emails:?} ({results})"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users").await,
        users_before,
        "users changed ({results})"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM cohorts").await,
        cohorts_before,
        "another site created a cohort"
    );
    // The admin's own pages still work in the same browser after the attack.
    s.goto(&app.url("/admin/cohorts")).await;
    let name = s.find("#name_th").await;
    s.type_into(&name, "รุ่นที่ 1 ประจำปีงบประมาณ พ.ศ. 2570").await;
    s.js(
        "document.getElementById('starts_on').value = '2027-02-15';
         document.getElementById('ends_on').value = '2027-03-31';",
        json!([]),
    )
    .await;
    s.click(
        &s.find("form[action='/admin/cohorts'] button[type=submit]")
            .await,
    )
    .await;
    s.wait_for(
        "/^\\/cohorts\\//.test(location.pathname)",
        "the new cohort's page",
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM cohorts").await,
        cohorts_before + 1,
        "the admin's own form works"
    );
    s.close().await;
}

#[tokio::test]
async fn the_api_takes_a_session_cookie_only_with_the_sessions_csrf_token_and_refuses_foreign_origins(
) {
    let app = spawn_app().await;
    app.create_user(Role::Admin, "admin@example.org", "correct horse battery")
        .await;
    let web = crate::web::sign_in(&app, "admin@example.org").await;
    let html = crate::web::page(&app, &web, "/admin/cohorts").await;
    let token = crate::web::csrf_of(&html);
    let body = json!({"email": "new@example.org", "name": "New", "role": "trainee", "office_code": "TH-50", "password": "correct horse battery"});
    // The session cookie alone is not enough for the API.
    let r = web
        .post(app.url("/api/v1/users"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "cross_site"
    );
    // A planted cookie with its matching token (the old double-submit) does not pass either.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let planted = "a".repeat(64);
    let login = plain
        .get(app.url("/login"))
        .header("cookie", format!("academy_csrf={planted}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = plain
        .post(app.url("/login"))
        .header("cookie", format!("academy_csrf={planted}"))
        .form(&[
            ("email", "admin@example.org"),
            ("password", "correct horse battery"),
            ("csrf", &crate::web::csrf_of(&login)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("academy_session="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let r = plain
        .post(app.url("/api/v1/users"))
        .header("x-csrf-token", &planted)
        .header("cookie", format!("{session}; academy_csrf={planted}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "cross_site"
    );
    let r = plain
        .post(app.url("/admin/cohorts"))
        .header("cookie", format!("{session}; academy_csrf={planted}"))
        .form(&[
            ("csrf", planted.as_str()),
            ("generation", "3"),
            ("starts_on", "2027-01-01"),
            ("ends_on", "2027-02-01"),
            ("capacity", "5"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a planted double-submit pair");
    // With the session's token, from our own origin, it works.
    let own = app.address.trim_start_matches("http://").to_string();
    let r = web
        .post(app.url("/api/v1/users"))
        .header("x-csrf-token", &token)
        .header("origin", format!("http://{own}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    // A foreign Origin or Sec-Fetch-Site is refused even with the right token.
    for (name, value) in [
        ("origin", "http://127.0.0.1:1".to_string()),
        ("origin", "http://evil.example".to_string()),
        ("origin", "null".to_string()),
        ("sec-fetch-site", "same-site".to_string()),
        ("sec-fetch-site", "cross-site".to_string()),
    ] {
        let r = web
            .post(app.url("/admin/cohorts"))
            .header(name, &value)
            .form(&[
                ("csrf", token.as_str()),
                ("generation", "3"),
                ("starts_on", "2027-01-01"),
                ("ends_on", "2027-02-01"),
                ("capacity", "5"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM cohorts").await, 0);
    // A token from another session is refused.
    app.create_user(Role::Admin, "other@example.org", "correct horse battery")
        .await;
    let other = crate::web::sign_in(&app, "other@example.org").await;
    let r = other
        .post(app.url("/admin/cohorts"))
        .form(&[
            ("csrf", token.as_str()),
            ("generation", "3"),
            ("starts_on", "2027-01-01"),
            ("ends_on", "2027-02-01"),
            ("capacity", "5"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
