//! Times in the API: every one carries its offset, and one typed in Thailand time reads back as
//! the same instant.

use serde_json::{json, Value};

use crate::credentials::{cohort_with_trainees, issue};
use crate::helpers::spawn_app;

/// Every time the API shows carries its offset: a string that looks like a time without one
/// (`2022-02-15T09:30:00`) anywhere in the answer is a failure.
fn naive_times(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let b = s.as_bytes();
            let looks_like_time = b.len() >= 19
                && b[4] == b'-'
                && b[7] == b'-'
                && b[10] == b'T'
                && b[13] == b':'
                && b[..4].iter().all(u8::is_ascii_digit);
            if looks_like_time && chrono::DateTime::parse_from_rfc3339(s).is_err() {
                out.push(format!("{path}: {s}"));
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                naive_times(x, &format!("{path}[{i}]"), out)
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                naive_times(x, &format!("{path}.{k}"), out)
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_time_in_the_api_carries_its_offset_and_a_thai_offset_reads_back_as_the_same_instant()
{
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (uid, trainee) = c.trainees[0].clone();
    // A session typed in Thailand time comes back as the same instant, with its offset.
    let day = (chrono::Utc::now() + chrono::Duration::days(2))
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .date_naive();
    let res = app
        .post_json(
            &format!("/api/v1/cohorts/{}/sessions", c.cohort),
            Some(&c.admin),
            &json!({"title_th": "พิธีเปิด", "title_en": "Opening",
                    "starts_at": format!("{day}T09:30:00+07:00"), "ends_at": format!("{day}T12:00:00+07:00"),
                    "venue": "ห้องประชุม", "meeting_url": "https://zoom.example/j/1", "mode": "hybrid"}),
        )
        .await;
    let status = res.status();
    let session: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{session}");
    assert_eq!(
        session["starts_at"],
        format!("{day}T02:30:00Z"),
        "{session}"
    );
    assert_eq!(session["ends_at"], format!("{day}T05:00:00Z"), "{session}");
    let cred: Value = issue(&app, &c, &uid, "product", Some("ทดสอบ"))
        .await
        .json()
        .await
        .unwrap();
    let cid = cred["id"].as_str().unwrap();
    let start: Value = app
        .post_json(
            &format!("/api/v1/cohorts/{}/quizzes/q01/attempts", c.cohort),
            Some(&trainee),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let attempt = start["attempt_id"].as_str().unwrap_or_default().to_string();
    let mut answers = vec![
        ("POST /api/v1/credentials".to_string(), cred.clone()),
        ("POST .../attempts".to_string(), start.clone()),
    ];
    for (path, token) in [
        (format!("/api/v1/cohorts/{}", c.cohort), &c.admin),
        ("/api/v1/cohorts".to_string(), &c.admin),
        (format!("/api/v1/cohorts/{}/sessions", c.cohort), &c.admin),
        (format!("/api/v1/cohorts/{}/roster", c.cohort), &c.admin),
        (format!("/api/v1/cohorts/{}/quizzes", c.cohort), &trainee),
        (format!("/api/v1/attempts/{attempt}"), &trainee),
        (format!("/api/v1/credentials/{cid}"), &c.admin),
        (
            format!("/api/v1/cohorts/{}/credentials", c.cohort),
            &c.admin,
        ),
        ("/api/v1/me/credentials".to_string(), &trainee),
        (format!("/api/v1/verify/{cid}"), &trainee),
        (
            format!("/api/v1/credentials/{cid}/recertification"),
            &trainee,
        ),
        ("/api/v1/register".to_string(), &trainee),
        (
            format!("/api/v1/users/{uid}/certification-record"),
            &c.admin,
        ),
        ("/api/v1/admin/outbox".to_string(), &c.admin),
        ("/api/v1/scheme/versions".to_string(), &c.admin),
        (format!("/api/v1/cohorts/{}/decisions", c.cohort), &c.admin),
        ("/api/v1/appeals".to_string(), &c.admin),
        (format!("/api/v1/users/{uid}"), &c.admin),
        ("/api/v1/users".to_string(), &c.admin),
        ("/api/v1/me".to_string(), &trainee),
        (format!("/api/v1/cohorts/{}/modules", c.cohort), &trainee),
        (
            format!("/api/v1/cohorts/{}/modules/01-what-is-tis-s", c.cohort),
            &trainee,
        ),
        (format!("/api/v1/cohorts/{}/results", c.cohort), &c.admin),
        (
            format!("/api/v1/cohorts/{}/quizzes/q01/analytics", c.cohort),
            &c.admin,
        ),
        (
            "/api/v1/modules/01-what-is-tis-s/revisions".to_string(),
            &c.admin,
        ),
        (
            format!(
                "/api/v1/sessions/{}/attendance",
                session["id"].as_str().unwrap()
            ),
            &c.admin,
        ),
        (
            format!("/api/v1/cohorts/{}/eligibility", c.cohort),
            &c.admin,
        ),
    ] {
        let res = app.get(&path, Some(token)).await;
        assert_eq!(res.status(), 200, "{path}");
        answers.push((path, res.json().await.unwrap()));
    }
    let mut found = Vec::new();
    let mut times = 0;
    for (path, v) in &answers {
        let before = found.len();
        naive_times(v, path, &mut found);
        assert_eq!(found.len(), before, "{}", found.join("\n"));
        times += v.to_string().matches("T").count();
    }
    assert!(times > 20, "the answers hold times to check");
}
