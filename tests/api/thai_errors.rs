//! Errors raised by a service reach a Thai page in Thai (issue 21): the pages translate a
//! service error by its code through the UI strings (`err_<code>`), on the error page and on a
//! form shown again. Before, the Thai pages showed the service's English sentence.

use academy::accounts::model::Role;

use crate::helpers::spawn_app;
use crate::web::{post_form, sign_in};

fn text_of(html: &str) -> String {
    // Tera escapes quotes and apostrophes; compare on the words.
    html.replace("&#x27;", "'").replace("&quot;", "\"")
}

#[tokio::test]
async fn three_service_errors_are_shown_in_thai_on_thai_pages() {
    let app = spawn_app().await;
    app.create_user(Role::Admin, "admin@example.org", "correct horse battery")
        .await;
    app.create_user(
        Role::Trainee,
        "trainee@example.org",
        "correct horse battery",
    )
    .await;
    let admin = sign_in(&app, "admin@example.org").await;
    let trainee = sign_in(&app, "trainee@example.org").await;

    // 1. A join code no cohort has (`unknown_join_code`): the error page, in Thai first.
    let r = post_form(&app, &trainee, "/join", "/", &[("join_code", "NOPE-0000")]).await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let html = text_of(&r.text().await.unwrap());
    assert!(
        html.contains("ไม่พบรุ่นที่ใช้รหัสเข้าร่วมนี้ โปรดตรวจสอบรหัสกับวิทยากร"),
        "{html}"
    );
    assert!(html.contains("<html lang=\"th\">"), "{html}");

    // 2. A new password the policy refuses (`weak_password`): the profile form again, in Thai,
    //    without the service's English sentence.
    let r = post_form(
        &app,
        &trainee,
        "/profile/password",
        "/profile",
        &[
            ("current", "correct horse battery"),
            ("password", "short"),
            ("confirm", "short"),
        ],
    )
    .await;
    let html = text_of(&r.text().await.unwrap());
    assert!(
        html.contains("รหัสผ่านนี้ใช้ไม่ได้ โปรดใช้ 8 ถึง 128 ตัวอักษร"),
        "{html}"
    );
    assert!(!html.contains("password must have at least"), "{html}");

    // 3. A cohort whose generation and fiscal year already exist (`generation_taken`): the
    //    cohort form again, in Thai.
    let fields = [
        ("generation", "1"),
        ("starts_on", "15/01/2570"),
        ("ends_on", "31/03/2570"),
        ("capacity", "40"),
        ("name_th", "รุ่นที่ 1 ประจำปีงบประมาณ พ.ศ. 2570"),
    ];
    let r = post_form(&app, &admin, "/admin/cohorts", "/admin/cohorts", &fields).await;
    assert_eq!(r.status(), 303);
    let r = post_form(&app, &admin, "/admin/cohorts", "/admin/cohorts", &fields).await;
    let html = text_of(&r.text().await.unwrap());
    assert!(html.contains("รุ่นที่นี้ของปีงบประมาณนี้มีอยู่แล้วในโครงการ"), "{html}");
    assert!(
        !html.contains("already exists for this programme"),
        "{html}"
    );

    // The same errors in English on the English pages.
    trainee
        .get(app.url("/lang/en?next=/"))
        .send()
        .await
        .unwrap();
    let r = post_form(&app, &trainee, "/join", "/", &[("join_code", "NOPE-0000")]).await;
    let html = text_of(&r.text().await.unwrap());
    assert!(
        html.contains("No cohort has this join code; check it with your instructor."),
        "{html}"
    );
}
