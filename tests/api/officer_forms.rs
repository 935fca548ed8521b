//! The forms an officer fills in (issue 22): a refused session or cohort form comes back as
//! typed with its reason in Thai; a CSV import puts people into a cohort.

use academy::accounts::model::Role;
use serde_json::Value;

use crate::helpers::spawn_app;
use crate::web::{page, post_form, sign_in};

#[tokio::test]
async fn a_refused_session_form_comes_back_open_on_the_cohort_page_as_typed_and_says_why() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    app.create_user(Role::Admin, "officer@example.org", "correct horse battery")
        .await;
    let web = sign_in(&app, "officer@example.org").await;
    let cohort: Value = app
        .get(&format!("/api/v1/cohorts/{}", c.cohort), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    let starts_on =
        chrono::NaiveDate::parse_from_str(cohort["starts_on"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    let th: toml::Table =
        toml::from_str(&std::fs::read_to_string("templates/i18n/th.toml").unwrap()).unwrap();
    let say = |k: &str| th[k].as_str().unwrap().to_string();
    let day = starts_on.format("%Y-%m-%d").to_string();
    let be_year = starts_on.format("%Y").to_string().parse::<i32>().unwrap() + 543;
    let outside = format!(
        "{}-01-01T09:00",
        starts_on.format("%Y").to_string().parse::<i32>().unwrap() + 5
    );
    let path = format!("/cohorts/{}/sessions", c.cohort);
    let back = format!("/cohorts/{}", c.cohort);
    let title = "ฝึกเขียนรายงาน <b>ภาคบ่าย</b>";
    // Each refusal: the cohort page (422), the form open with what was typed, the reason in Thai.
    for (starts, ends, mode, url, reason) in [
        (
            format!("{day}T13:00"),
            format!("{day}T09:00"),
            "onsite",
            "",
            say("session_end_before_start"),
        ),
        (
            outside.clone(),
            outside.replace("09:00", "12:00"),
            "onsite",
            "",
            "ตรวจดูปี พ.ศ.".to_string(),
        ),
        (
            format!("{day}T09:00"),
            format!("{day}T12:00"),
            "hybrid",
            "",
            say("session_needs_link"),
        ),
    ] {
        let r = post_form(
            &app,
            &web,
            &path,
            &back,
            &[
                ("title_th", title),
                ("starts_at", &starts),
                ("ends_at", &ends),
                ("venue", "ห้อง 2"),
                ("mode", mode),
                ("meeting_url", url),
            ],
        )
        .await;
        assert_eq!(r.status(), 422, "{starts} {mode}");
        let html = r.text().await.unwrap().replace("&#x2F;", "/");
        assert!(html.contains("id=\"new-session\" open"), "the form is open");
        assert!(
            html.contains(&reason.replace('"', "&quot;")),
            "says '{reason}'"
        );
        assert!(html.contains(&say("session_form_refused")));
        assert!(
            html.contains("value=\"ฝึกเขียนรายงาน &lt;b&gt;ภาคบ่าย&lt;/b&gt;\""),
            "the title as typed, escaped"
        );
        assert!(
            html.contains(&format!("value=\"{starts}\"")),
            "the start as typed"
        );
        assert!(
            html.contains(&format!("<option value=\"{mode}\" selected>")),
            "the mode as chosen"
        );
        assert!(html.contains(&say("sessions")), "it is the cohort page");
    }
    let sessions: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{}/sessions", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        sessions.is_empty(),
        "nothing refused was saved: {sessions:?}"
    );
    // Accepted, typed in B.E.: the message names the session and the page opens at it.
    let be = format!(
        "{}/{}/{be_year} 09:00",
        starts_on.format("%d"),
        starts_on.format("%m")
    );
    let r = post_form(
        &app,
        &web,
        &path,
        &back,
        &[
            ("title_th", title),
            ("starts_at", &be),
            ("ends_at", &be.replace("09:00", "12:00")),
            ("venue", "ห้อง 2"),
            ("mode", "onsite"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let next = r.headers()["location"].to_str().unwrap().to_string();
    let sessions: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{}/sessions", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    let sid = sessions[0]["id"].as_str().unwrap();
    assert!(next.ends_with(&format!("#s-{sid}")), "{next}");
    let html = page(&app, &web, &next).await;
    assert!(html.contains(&format!("id=\"s-{sid}\"")));
    let said = say("session_created_item")
        .replace("{name}", "ฝึกเขียนรายงาน &lt;b&gt;ภาคบ่าย&lt;&#x2F;b&gt;");
    assert!(
        html.contains(&said.replace('"', "&quot;")),
        "names the session: {said}"
    );
    // Publishing names what was published and opens at it.
    let r = post_form(
        &app,
        &web,
        &format!("/cohorts/{}/publish", c.cohort),
        &back,
        &[("kind", "module"), ("slug", "02-certification-path")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let next = r.headers()["location"].to_str().unwrap().to_string();
    assert!(next.ends_with("#m-02-certification-path"), "{next}");
    let html = page(&app, &web, &next).await;
    assert!(html.contains("id=\"m-02-certification-path\""));
    let module_title =
        std::fs::read_to_string("course_content/modules/02-certification-path/th.md").unwrap();
    let module_title = module_title
        .lines()
        .find_map(|l| {
            l.strip_prefix("title = ")
                .or_else(|| l.strip_prefix("title: "))
        })
        .unwrap()
        .trim_matches('"')
        .to_string();
    assert!(
        html.contains(&module_title),
        "names the module: {module_title}"
    );
}

#[tokio::test]
async fn a_cohort_form_out_of_range_says_why_in_thai() {
    let app = spawn_app().await;
    app.create_user(Role::Admin, "officer@example.org", "correct horse battery")
        .await;
    let web = sign_in(&app, "officer@example.org").await;
    let th: toml::Table =
        toml::from_str(&std::fs::read_to_string("templates/i18n/th.toml").unwrap()).unwrap();
    for (generation, starts, ends, capacity, key) in [
        ("1", "2570-03-31", "2570-01-15", "40", "cohort_dates_order"),
        (
            "0",
            "2570-01-15",
            "2570-03-31",
            "40",
            "cohort_generation_range",
        ),
        (
            "1",
            "2570-01-15",
            "2570-03-31",
            "0",
            "cohort_capacity_range",
        ),
    ] {
        let r = post_form(
            &app,
            &web,
            "/admin/cohorts",
            "/admin/cohorts",
            &[
                ("generation", generation),
                ("starts_on", starts),
                ("ends_on", ends),
                ("capacity", capacity),
            ],
        )
        .await;
        assert_eq!(r.status(), 422, "{key}");
        let html = r.text().await.unwrap();
        let said = th[key].as_str().unwrap();
        assert!(html.contains(said), "{key}: '{said}'");
        assert!(
            !html.contains(" must be "),
            "{key}: no English developer text"
        );
    }
}

#[tokio::test]
async fn people_imported_into_a_cohort_join_it_and_their_invitations_name_it() {
    let app = spawn_app().await;
    let c = crate::credentials::cohort_with_trainees(&app, 1).await;
    let web = sign_in(&app, "admin@example.org").await;
    let csv = "email,name,role,office_code\nprasert@example.org,นาย ประเสริฐ แก้วมณี,trainee,TH-50\nwanpen@example.org,นาง วันเพ็ญ บุญมา,instructor,TISI\n";
    let r = post_form(
        &app,
        &web,
        "/admin/users/import",
        "/admin/users",
        &[
            ("csv", csv),
            ("invite", "yes"),
            ("cohort_id", c.cohort.as_str()),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let next = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        next.starts_with(&format!("/cohorts/{}?done=imported_into&n=2", c.cohort)),
        "{next}"
    );
    let cohort: Value = app
        .get(&format!("/api/v1/cohorts/{}", c.cohort), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    let name = cohort["name_th"].as_str().unwrap();
    let html = page(&app, &web, &next).await;
    assert!(
        html.contains(&format!("นำเข้าผู้ใช้ 2 คนและเพิ่มเข้า {name} แล้ว")),
        "the message names the cohort"
    );
    let roster: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/roster", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let role_of = |email: &str| {
        roster
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r.to_string().contains(email))
            .map(|r| r["role"].as_str().unwrap().to_string())
    };
    assert_eq!(role_of("prasert@example.org").as_deref(), Some("trainee"));
    assert_eq!(role_of("wanpen@example.org").as_deref(), Some("instructor"));
    for email in ["prasert@example.org", "wanpen@example.org"] {
        let mail = app.last_mail_context(email, "invitation").await;
        assert_eq!(mail["cohort"]["name_th"], name, "{mail}");
    }
    // Without a cohort, the import names none (and adds no one).
    let r = post_form(
        &app,
        &web,
        "/admin/users/import",
        "/admin/users",
        &[
            (
                "csv",
                "email,name,role,office_code\nsomsak@example.org,นาย สมศักดิ์ ใจดี,trainee,TH-50\n",
            ),
            ("invite", "yes"),
            ("cohort_id", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/admin/users?done=imported&n=1"));
    let mail = app
        .last_mail_context("somsak@example.org", "invitation")
        .await;
    assert!(mail["cohort"].is_null(), "{mail}");
}
