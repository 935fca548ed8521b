//! Lists officers work through all day (issue 22): the admins' credentials list, paged and
//! landing at a changed credential; a session's attendance, one choice a trainee and "all
//! present" in one click.

use academy::accounts::model::Role;
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};
use crate::web::{page, post_form, sign_in};

#[tokio::test]
async fn one_button_marks_everyone_not_yet_marked_present_and_keeps_the_marks_chosen() {
    // Issue 22, point 10: 80 drop-downs and no "all present".
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 3).await;
    let s = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -60, 120).await;
    let sid = s["id"].as_str().unwrap();
    let b = crate::web::sign_in(&app, "admin@example.org").await;
    let path = format!("/sessions/{sid}");
    let html = crate::web::page(&app, &b, &path).await;
    assert!(html.contains("ที่ยังไม่เลือกเป็น"), "{html}");
    // Trainee 0 absent, trainee 1 online and left at "—", trainee 2 left at "—".
    let (t0, t1, t2) = (&c.trainees[0].0, &c.trainees[1].0, &c.trainees[2].0);
    let fields = [
        (format!("status:{t0}"), "absent".to_string()),
        (format!("via:{t0}"), "room".to_string()),
        (format!("status:{t1}"), String::new()),
        (format!("via:{t1}"), "online".to_string()),
        (format!("status:{t2}"), String::new()),
        (format!("via:{t2}"), "room".to_string()),
        ("all".to_string(), "present".to_string()),
    ];
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = crate::web::post_form(&app, &b, &format!("{path}/attendance"), &path, &pairs).await;
    assert_eq!(res.status(), 303);
    let marks: Value = app
        .get(
            &format!("/api/v1/sessions/{sid}/attendance"),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let mark = |u: &str| {
        marks
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == u)
            .unwrap_or_else(|| panic!("{u}: {marks}"))
            .clone()
    };
    assert_eq!(mark(t0)["status"], "absent", "{marks}");
    assert_eq!(mark(t1)["status"], "present");
    assert_eq!(mark(t1)["via"], "online");
    assert_eq!(mark(t2)["status"], "present");
    assert_eq!(mark(t2)["via"], "room");
    // Save alone leaves a line at "—" unmarked.
    let s2 = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -30, 60).await;
    let sid2 = s2["id"].as_str().unwrap();
    let path2 = format!("/sessions/{sid2}");
    let status = format!("status:{t0}");
    let res = crate::web::post_form(
        &app,
        &b,
        &format!("{path2}/attendance"),
        &path2,
        &[(status.as_str(), "")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let marks2: Value = app
        .get(
            &format!("/api/v1/sessions/{sid2}/attendance"),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !marks2
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user_id"] == t0.as_str() && !m["status"].is_null()),
        "{marks2}"
    );
}

/// The credentials of one page of the admins' list, each with the status its badge shows.
fn credential_rows(html: &str) -> Vec<(String, String)> {
    html.split("<tr id=\"cred-")
        .skip(1)
        .map(|row| {
            let id = row.split('"').next().unwrap().to_string();
            let status = row
                .split("badge status-")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_default()
                .to_string();
            (id, status)
        })
        .collect()
}

/// The address a page's link with `rel` leads to (the pager's previous and next).
fn link_rel(html: &str, rel: &str) -> Option<String> {
    let at = html.find(&format!("rel=\"{rel}\""))?;
    let href = html[..at].rsplit("href=\"").next()?;
    Some(
        href.split('"')
            .next()?
            .replace("&#x2F;", "/")
            .replace("&amp;", "&"),
    )
}

/// Walks the list from `start` by its "next" links: every row of every page, in order.
async fn walk_pages(
    app: &TestApp,
    web: &reqwest::Client,
    start: &str,
) -> Vec<Vec<(String, String)>> {
    let mut pages = vec![];
    let mut next = Some(start.to_string());
    while let Some(path) = next {
        let html = page(app, web, &path).await;
        pages.push(credential_rows(&html));
        next = link_rel(&html, "next");
        assert!(pages.len() < 100, "the pager ends");
    }
    pages
}

/// With the demo's credentials the admins' list was 10,730 px on a phone: it is paged, 25 to a
/// page, every credential on exactly one page; the status filter is the status shown (a
/// credential past its date is "expired"); a status change returns to the list's filters and
/// opens the page the credential is on, even when it no longer matches the filter.
#[tokio::test]
async fn the_credentials_list_is_paged_and_a_changed_credential_is_found_on_its_page() {
    let (app, accounts) = crate::helpers::spawn_demo().await;
    // Credentials issued today (an admin's override) to the current cohort's trainees, so
    // that the renewed, valid ones are no longer on the first page.
    let admin = app.token(&accounts.admin, accounts.password).await;
    let cohort = accounts.current_cohort_id.to_string();
    let roster: Value = app
        .get(&format!("/api/v1/cohorts/{cohort}/roster"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let mut issued = 0;
    for r in roster
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["role"] == "trainee")
    {
        for scope in ["product", "service"] {
            let res = app
                .post_json(
                    "/api/v1/credentials",
                    Some(&admin),
                    &serde_json::json!({"cohort_id": cohort, "user_id": r["user_id"], "scope": scope,
                                        "override_reason": "ทดสอบการแบ่งหน้า"}),
                )
                .await;
            assert_eq!(
                res.status(),
                201,
                "{}",
                res.text().await.unwrap_or_default()
            );
            issued += 1;
        }
    }
    assert!(issued >= 16, "{issued} issued");
    app.create_user(Role::Admin, "officer@example.org", "correct horse battery")
        .await;
    let web = sign_in(&app, "officer@example.org").await;
    let all = walk_pages(&app, &web, "/admin/credentials").await;
    let total: usize = all.iter().map(Vec::len).sum();
    assert!(
        all.len() >= 2,
        "the demo's {total} credentials fill more than a page"
    );
    assert!(all.iter().all(|p| p.len() <= 25 && !p.is_empty()));
    assert!(all[..all.len() - 1].iter().all(|p| p.len() == 25));
    let mut ids: Vec<&String> = all.iter().flatten().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no credential shown twice or left out");
    let first = page(&app, &web, "/admin/credentials").await;
    assert!(
        first.contains(&format!("แสดงรายการที่ 1–25 จาก {total} รายการ")),
        "the page says how many there are"
    );
    assert!(first.contains(&format!("หน้า 1 จาก {}", all.len())));
    // A page number out of range or not a number: the nearest page, never an error.
    let last = page(&app, &web, "/admin/credentials?page=9999").await;
    assert_eq!(credential_rows(&last), *all.last().unwrap());
    let junk = page(&app, &web, "/admin/credentials?page=%3Cx%3E").await;
    assert_eq!(credential_rows(&junk), all[0]);
    // Each status filter lists exactly the credentials whose badge shows it, and together
    // they are all of them.
    let mut by_filter = 0;
    for status in ["active", "suspended", "revoked", "expired"] {
        let rows: Vec<_> = walk_pages(&app, &web, &format!("/admin/credentials?status={status}"))
            .await
            .into_iter()
            .flatten()
            .collect();
        let shown = all.iter().flatten().filter(|(_, s)| s == status).count();
        assert_eq!(rows.len(), shown, "{status}");
        assert!(rows.iter().all(|(_, s)| s == status), "{status}: {rows:?}");
        by_filter += rows.len();
    }
    assert_eq!(by_filter, total);
    // The oldest valid credential, suspended from the "valid" list: the list opens at its row,
    // on the page it is on, though it is no longer "valid".
    let (page_of, id) = all
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.iter().map(move |(id, s)| (i + 1, id, s)))
        .filter(|(_, _, s)| *s == "active")
        .map(|(i, id, _)| (i, id.clone()))
        .next_back()
        .expect("a valid credential");
    assert!(
        page_of >= 2,
        "the oldest valid credential is past the first page"
    );
    let from = "/admin/credentials?status=active".to_string();
    let r = post_form(
        &app,
        &web,
        &format!("/admin/credentials/{id}"),
        &from,
        &[
            ("action", "suspend"),
            ("reason", "ตรวจพบข้อร้องเรียน"),
            ("back_status", "active"),
            ("back_q", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let next = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        next.starts_with("/admin/credentials?status=active&")
            && next.ends_with(&format!("#cred-{id}")),
        "{next}"
    );
    let html = page(&app, &web, &next).await;
    let rows = credential_rows(&html);
    assert!(
        rows.contains(&(id.clone(), "suspended".to_string())),
        "the suspended credential's row is on the page it opens: {rows:?}"
    );
    assert!(
        html.contains(&format!("หน้า {page_of} จาก {}", all.len())),
        "the page it is on, in the whole list"
    );
    assert!(html.contains("class=\"flash\""));
    // Sent from a search by its number, it returns to that search.
    let number = html
        .split(&format!("<tr id=\"cred-{id}\""))
        .nth(1)
        .and_then(|row| row.split("<span class=\"nowrap\">").nth(1))
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    assert!(number.starts_with("TISI-S-"), "{number}");
    let r = post_form(
        &app,
        &web,
        &format!("/admin/credentials/{id}"),
        &from,
        &[
            ("action", "reinstate"),
            ("reason", "ข้อร้องเรียนไม่มีมูล"),
            ("back_status", "suspended"),
            ("back_q", &number),
        ],
    )
    .await;
    let next = r.headers()["location"].to_str().unwrap().to_string();
    assert!(next.contains(&format!("q={number}")), "{next}");
    let html = page(&app, &web, &next).await;
    assert_eq!(
        credential_rows(&html),
        vec![(id.clone(), "active".to_string())]
    );
    assert!(
        html.contains(&format!("value=\"{number}\"")),
        "the search box keeps it"
    );
    // A search typed with markup is shown as text.
    let html = page(&app, &web, "/admin/credentials?q=%3Cb%3Ex%3C%2Fb%3E").await;
    assert!(!html.contains("<b>x"), "the search is escaped on the page");
    assert!(credential_rows(&html).is_empty());
}

/// The marks of a session, as the API lists them.
async fn attendance_of(app: &TestApp, token: &str, sid: &str) -> Vec<Value> {
    let v: Value = app
        .get(&format!("/api/v1/sessions/{sid}/attendance"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    v.as_array().unwrap().clone()
}

/// The session page had two drop-downs a line (status and "room or online": 80 for 40). Now one
/// choice a trainee: in a hybrid session it says how they attended ("มา · ออนไลน์"); in a
/// room-only session the room is implied; someone absent attended nowhere.
#[tokio::test]
async fn one_choice_a_trainee_says_whether_and_how_they_attended() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 3).await;
    let (t0, t1, t2) = (&c.trainees[0].0, &c.trainees[1].0, &c.trainees[2].0);
    let b = sign_in(&app, "admin@example.org").await;
    let of = |list: &[Value], u: &str| list.iter().find(|m| m["user_id"] == u).cloned();
    // A hybrid session.
    let s = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -60, 120).await;
    let sid = s["id"].as_str().unwrap().to_string();
    let path = format!("/sessions/{sid}");
    let html = page(&app, &b, &path).await;
    assert_eq!(
        html.matches("<select name=\"mark:").count(),
        3,
        "one choice a trainee"
    );
    assert!(!html.contains("name=\"via:") && !html.contains("name=\"status:"));
    assert!(html.contains("มา · ออนไลน์") && html.contains("มาสาย · ในห้องประชุม"));
    let (k0, k1, k2) = (
        format!("mark:{t0}"),
        format!("mark:{t1}"),
        format!("mark:{t2}"),
    );
    let r = post_form(
        &app,
        &b,
        &format!("{path}/attendance"),
        &path,
        &[
            (k0.as_str(), "late@online"),
            (k1.as_str(), "absent"),
            (k2.as_str(), ""),
            ("all", "present"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let m = attendance_of(&app, &c.admin, &sid).await;
    let m0 = of(&m, t0).unwrap();
    assert_eq!(
        (m0["status"].as_str(), m0["via"].as_str()),
        (Some("late"), Some("online"))
    );
    let m1 = of(&m, t1).unwrap();
    assert_eq!(
        (m1["status"].as_str(), m1["via"].as_str()),
        (Some("absent"), None)
    );
    let m2 = of(&m, t2).unwrap();
    assert_eq!(
        (m2["status"].as_str(), m2["via"].as_str()),
        (Some("present"), Some("room"))
    );
    // The page shows each choice as saved.
    let html = page(&app, &b, &path).await;
    assert!(html.contains("value=\"late@online\" selected"), "{html}");
    assert!(html.contains("value=\"absent\" selected"));
    // A session in the room only: the choice is whether, and "present" means in the room.
    let starts = chrono::Utc::now() - chrono::Duration::minutes(30);
    let r = app
        .post_json(
            &format!("/api/v1/cohorts/{}/sessions", c.cohort),
            Some(&c.admin),
            &serde_json::json!({"title_th": "ฝึกปฏิบัติ", "title_en": "Practice",
                    "starts_at": starts.to_rfc3339(), "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
                    "venue": "ห้องประชุม สมอ.", "mode": "onsite"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let onsite: Value = r.json().await.unwrap();
    let sid2 = onsite["id"].as_str().unwrap().to_string();
    let path2 = format!("/sessions/{sid2}");
    let html = page(&app, &b, &path2).await;
    assert!(
        !html.contains("ออนไลน์</option>"),
        "no online choice in a room-only session"
    );
    let r = post_form(
        &app,
        &b,
        &format!("{path2}/attendance"),
        &path2,
        &[(k0.as_str(), "present")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let m = attendance_of(&app, &c.admin, &sid2).await;
    assert_eq!(of(&m, t0).unwrap()["via"], "room");
    // A made-up choice is refused in words, and nothing is saved for that trainee.
    let r = post_form(
        &app,
        &b,
        &format!("{path2}/attendance"),
        &path2,
        &[(k1.as_str(), "present@moon")],
    )
    .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let m = attendance_of(&app, &c.admin, &sid2).await;
    assert!(of(&m, t1).is_none_or(|x| x["status"].is_null()), "{m:?}");
}
