use std::time::Duration;

use academy::accounts::model::{EmailAddress, Language, Role};
use academy::db::write_tx;
use academy::email::{self, Outgoing};
use academy::error::AppError;
use academy::settings::MailTransport;
use serde_json::{json, Value};

use crate::helpers::{error_code, fresh_database, spawn_peer, spawn_with, test_settings, TestApp};
use crate::smtp::SmtpServer;

async fn app_with_mail(transport: MailTransport, max_attempts: i32) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = fresh_database(dir.path());
    let mut settings = test_settings(dir.path(), url);
    settings.mail = transport;
    settings.mail_max_attempts = max_attempts;
    spawn_with(settings, dir, pg).await
}

async fn invite(app: &TestApp, admin: &str, email: &str, name: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/users",
        Some(admin),
        &json!({"email": email, "name": name, "role": "trainee", "office_code": "TH-50"}),
    )
    .await
}

async fn outbox(app: &TestApp, admin: &str, status: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/v1/admin/outbox?status={status}"),
            Some(admin),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn wait_for_status(app: &TestApp, admin: &str, status: &str, n: usize) -> Vec<Value> {
    for _ in 0..400 {
        let rows = outbox(app, admin, status).await;
        if rows.len() >= n {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    outbox(app, admin, status).await
}

/// Python's standard `email` package reads a raw message: the To header's display name and
/// address, and the text of each of its encoded-words.
fn read_with_python(data: &str) -> Value {
    use std::io::Write;
    const READER: &str = r#"
import sys, json, re, base64, email, email.header, email.policy
raw = sys.stdin.buffer.read()
m = email.message_from_bytes(raw, policy=email.policy.default)
to = m["To"].addresses[0]
folded = email.message_from_bytes(raw)["To"]
words = [base64.b64decode(w).decode() for w in re.findall(r"=\?utf-8\?b\?([^?]*)\?=", folded, re.I)]
strict = str(email.header.make_header(email.header.decode_header(folded)))
print(json.dumps({"display_name": to.display_name, "address": to.addr_spec, "words": words, "strict": strict}))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", READER])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 reads the mail");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(data.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("python said: {}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test]
async fn an_invitation_reaches_a_real_smtp_server_with_exactly_the_expected_headers() {
    let smtp = SmtpServer::start().await;
    let app = app_with_mail(MailTransport::Smtp(smtp.url()), 8).await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;

    let res = invite(&app, &admin, "Somchai@Example.org", "นาย สมชาย ใจดี").await;
    assert_eq!(res.status(), 201);

    let got = smtp.wait_for(1, 20).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let m = &got[0];
    assert_eq!(m.mail_from, "noreply@academy.example");
    assert_eq!(m.rcpt_to, vec!["somchai@example.org".to_string()]);
    let to = m.header("To").unwrap();
    assert!(to.contains("<somchai@example.org>"), "{to}");
    assert!(m.header("Subject").is_some());
    // An outside reader (Python's email package) reads the Thai name back exactly, and each
    // encoded-word of it ends at a space of the name, never inside a word.
    // RFC 2047's reading (whitespace between encoded-words is not text) gives the name exactly;
    // the newer policy keeps that whitespace too, so a seam shows as a doubled space between
    // words, never as a space inside one.
    if crate::helpers::outside_tool(
        "python3",
        "python3",
        "reading the mail with Python's email package",
    ) {
        let read = read_with_python(&m.data);
        assert_eq!(
            read["strict"], "นาย สมชาย ใจดี <somchai@example.org>",
            "{read}"
        );
        let name = read["display_name"].as_str().unwrap();
        assert_eq!(
            name.split_whitespace().collect::<Vec<_>>(),
            ["นาย", "สมชาย", "ใจดี"],
            "{read}"
        );
        assert_eq!(read["address"], "somchai@example.org", "{read}");
        assert_eq!(read["words"], json!(["นาย ", "สมชาย ", "ใจดี"]), "{read}");
    }
    assert!(m
        .header("Message-ID")
        .unwrap()
        .ends_with("@academy.example>"));
    assert!(m.header("Cc").is_none() && m.header("Bcc").is_none());
    assert!(m
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    // The link is built from the configured base URL.
    let text = m.decoded_text();
    assert!(
        text.contains(&format!("{}/invitation/", app.address)),
        "{text}"
    );
    // Thai by default, in both the plain text and the HTML part.
    assert!(text.contains("เรียน นาย สมชาย ใจดี"), "{text}");
    assert!(
        text.contains("<a href=\"http:&#x2F;&#x2F;127.0.0.1:"),
        "{text}"
    );
    let sent = wait_for_status(&app, &admin, "sent", 1).await;
    assert_eq!(sent.len(), 1);
}

#[tokio::test]
async fn mail_queued_while_smtp_is_down_arrives_exactly_once_after_two_restarts() {
    // The mail server holds its port from the start and refuses mail (421) until it comes back.
    let smtp = SmtpServer::start_down().await;
    let app = app_with_mail(MailTransport::Smtp(smtp.url()), 1000).await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;

    // The action succeeds although no mail server answers.
    let res = invite(&app, &admin, "down@example.org", "นางสาว ใจเย็น รอได้").await;
    assert_eq!(res.status(), 201);
    // The worker tries and records the failure, keeping the mail queued.
    let mut tried = Vec::new();
    for _ in 0..200 {
        tried = outbox(&app, &admin, "queued").await;
        if tried
            .first()
            .is_some_and(|r| r["attempts"].as_i64().unwrap_or(0) >= 1)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        tried[0]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{tried:?}"
    );

    // Two restarts while the mail server is still down.
    let (settings, dir, pg) = app.stop().await;
    let app = spawn_with(settings, dir, pg).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (settings, dir, pg) = app.stop().await;
    let app = spawn_with(settings, dir, pg).await;

    // The server comes back: the mail arrives once, and only once.
    smtp.bring_up();
    // Once the outbox row is marked sent and none is left queued, no worker can send it again
    // (a worker claims queued rows only), and the test server stores a mail before it answers
    // 250: so the count below is final, without waiting on a timer.
    let sent = wait_for_status(&app, &admin, "sent", 1).await;
    assert_eq!(sent.len(), 1);
    assert!(outbox(&app, &admin, "queued").await.is_empty());
    let got = smtp.messages();
    assert_eq!(got.len(), 1, "sent more than once (or not at all)");
    assert_eq!(got[0].rcpt_to, vec!["down@example.org".to_string()]);
}

#[tokio::test]
async fn two_instances_send_200_queued_mails_each_exactly_once() {
    let smtp = SmtpServer::start().await;
    let a = app_with_mail(MailTransport::Smtp(smtp.url()), 8).await;
    let b = spawn_peer(&a).await;

    a.db
        .run(|conn| {
            write_tx(conn, |conn| {
                for i in 0..200 {
                    let to = EmailAddress::parse(&format!("trainee{i:03}@example.org")).unwrap();
                    email::enqueue(
                        conn,
                        Outgoing {
                            template: "invitation",
                            to: &to,
                            to_name: &format!("ผู้เข้าอบรม {i}"),
                            language: if i % 2 == 0 { Language::Th } else { Language::En },
                            context: json!({"name": format!("ผู้เข้าอบรม {i}"), "link": "http://x/invitation/t", "role": "trainee"}),
                        },
                    )?;
                }
                Ok::<_, AppError>(())
            })
        })
        .await
        .unwrap();

    // Every row marked sent (rows are claimed only while queued, and the server stores a mail
    // before it answers 250): the messages received are then all there will ever be.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let unsent =
            a.db.run(|conn| {
                Ok(email::store::list(conn, None, 1000)?
                    .into_iter()
                    .filter(|m| m.status != "sent")
                    .count())
            })
            .await
            .unwrap();
        if unsent == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{unsent} mails not sent after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let got = smtp.messages();
    assert_eq!(got.len(), 200, "a mail was sent twice, or not at all");
    let mut rcpts: Vec<String> = got.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    rcpts.sort();
    rcpts.dedup();
    assert_eq!(rcpts.len(), 200);
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    drop(b);
}

#[tokio::test]
async fn a_display_name_with_crlf_adds_no_recipient_or_header() {
    let smtp = SmtpServer::start().await;
    let app = app_with_mail(MailTransport::Smtp(smtp.url()), 8).await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let hostile = "Eve\r\nBcc: x@example.com";

    // The API refuses such a name outright.
    let res = invite(&app, &admin, "eve@example.org", hostile).await;
    assert_eq!(error_code(res, 422).await, "invalid_name");

    // Data that reaches the outbox another way (an import, an old row) is still made safe.
    app.db
        .run(move |conn| {
            let to = EmailAddress::parse("eve@example.org").unwrap();
            email::enqueue(
                conn,
                Outgoing {
                    template: "invitation",
                    to: &to,
                    to_name: hostile,
                    language: Language::En,
                    context: json!({"name": hostile, "link": "http://x/invitation/t"}),
                },
            )
        })
        .await
        .unwrap();
    let got = smtp.wait_for(1, 20).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.rcpt_to, vec!["eve@example.org".to_string()]);
    let headers = m.header_lines();
    assert!(
        !headers
            .iter()
            .any(|h| h.to_ascii_lowercase().starts_with("bcc:")),
        "{headers:?}"
    );
    let names: Vec<String> = headers
        .iter()
        .filter_map(|h| h.split_once(':').map(|(k, _)| k.to_ascii_lowercase()))
        .collect();
    for expected in [
        "from",
        "to",
        "subject",
        "message-id",
        "date",
        "mime-version",
        "content-type",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing: {headers:?}"
        );
    }
    assert_eq!(names.len(), 7, "unexpected headers: {headers:?}");
    assert!(m.header("To").unwrap().contains("eve@example.org"));
}

#[tokio::test]
async fn a_mail_that_keeps_failing_is_marked_failed_and_an_admin_can_retry_it() {
    let smtp = SmtpServer::start_down().await;
    let app = app_with_mail(MailTransport::Smtp(smtp.url()), 2).await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    assert_eq!(
        invite(&app, &admin, "late@example.org", "นาย มาช้า ดีกว่าไม่มา")
            .await
            .status(),
        201
    );

    let failed = wait_for_status(&app, &admin, "failed", 1).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["attempts"], 2);
    assert!(failed[0]["last_error"].as_str().unwrap().contains("SMTP"));

    // The admin page shows it with the error, in Thai by default.
    let html = page_as_admin(&app, "/admin/mail?status=failed").await;
    assert!(
        html.contains("late@example.org") && html.contains("ส่งไม่สำเร็จ"),
        "{html}"
    );

    smtp.bring_up();
    let id = failed[0]["id"].as_str().unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/admin/outbox/{id}/retry"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(smtp.wait_for(1, 20).await.len(), 1);
    // Retrying something that is not failed is a 404.
    let res = app
        .post_json(
            &format!("/api/v1/admin/outbox/{id}/retry"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(error_code(res, 404).await, "not_found");
}

async fn page_as_admin(app: &TestApp, path: &str) -> String {
    // Sign in through the web form (CSRF cookie first), then read the page with the cookie.
    let login = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = login
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "admin@example.org"),
            ("password", "correct horse battery"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

#[tokio::test]
async fn without_smtp_mail_is_written_as_eml_files() {
    let dir = tempfile::tempdir().unwrap();
    let outbox_dir = dir.path().join("outbox");
    let app = app_with_mail(MailTransport::Files(outbox_dir.clone()), 8).await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    assert_eq!(
        invite(&app, &admin, "file@example.org", "นาย ไฟล์ อีเอ็มแอล")
            .await
            .status(),
        201
    );
    let mut files = Vec::new();
    for _ in 0..400 {
        files = std::fs::read_dir(&outbox_dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(files.len(), 1);
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        raw.contains("To: ") && raw.contains("file@example.org"),
        "{raw}"
    );
}
