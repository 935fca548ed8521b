//! Completion certificates (วุฒิบัตร, issue 25) from the cohort page: the signatory and its
//! uploaded signature, issuing, and the trainee's own certificate.

use serde_json::{json, Value};

use crate::credentials::cohort_with_trainees;
use crate::evaluation::{respond, survey, take};
use crate::helpers::spawn_app;

/// A small signature image: a PNG written by hand (one IDAT, stored deflate).
pub(crate) fn signature_png() -> Vec<u8> {
    let (w, h) = (120u32, 40u32);
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0u8); // filter: none
        for x in 0..w {
            // A slanted stroke on white.
            let ink = (x as i64 - 3 * y as i64).abs() < 4 || (y > 28 && y < 31);
            raw.push(if ink { 20 } else { 255 });
        }
    }
    let mut z = vec![0x78, 0x01];
    for (i, chunk) in raw.chunks(65535).enumerate() {
        let last = (i + 1) * 65535 >= raw.len();
        z.push(u8::from(last));
        let len = chunk.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &z));
    png.extend(chunk(b"IEND", &[]));
    png
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A `multipart/form-data` body written by hand: text fields, then a file field.
fn multipart(boundary: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"; filename=\"sig.png\"\r\ncontent-type: image/png\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn an_admin_names_the_signatory_and_issues_completion_certificates_from_the_cohort_page() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    // Trainee 0 completes: the whole held session, the post-test and the survey; trainee 1
    // attends nothing.
    let s = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -300, 120).await;
    let res = app
        .client
        .put(app.url(&format!(
            "/api/v1/sessions/{}/attendance/{}",
            s["id"].as_str().unwrap(),
            c.trainees[0].0
        )))
        .bearer_auth(&c.admin)
        .json(&json!({"status": "present"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    app.post_json(
        &format!("/api/v1/cohorts/{}/quizzes/posttest/publish", c.cohort),
        Some(&c.admin),
        &json!({}),
    )
    .await;
    take(&app, &c, &c.trainees[0].1, "posttest", 5).await;
    let items = survey(&app, &c.cohort, &c.trainees[0].1).await;
    let mut answers = serde_json::Map::new();
    for i in items["items"].as_array().unwrap() {
        if i["kind"] == "scale" {
            answers.insert(i["id"].as_str().unwrap().to_string(), json!(5));
        }
    }
    assert_eq!(
        respond(&app, &c.cohort, &c.trainees[0].1, &Value::Object(answers))
            .await
            .status(),
        201
    );

    let admin = crate::web::sign_in(&app, "admin@example.org").await;
    let path = format!("/cohorts/{}", c.cohort);
    let html = crate::web::page(&app, &admin, &path).await;
    assert!(html.contains("ระบุผู้ลงนามวุฒิบัตรก่อน"), "{html}");
    assert!(html.contains("เข้าร่วมไม่น้อยกว่าร้อยละ 80 ของเวลาที่กำหนด"));
    let csrf = crate::web::csrf_of(&html);
    let png = signature_png();
    let fields = |csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("name_th", "นางสาวมาลี <b>ศรีสุข</b>".to_string()),
            ("position_th", "ผู้อำนวยการกอง".to_string()),
            ("name_en", "Ms Malee Srisuk".to_string()),
            ("position_en", "Director".to_string()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>, file: Option<Vec<u8>>| {
        let (admin, url) = (admin.clone(), app.url(&format!("{path}/signatory")));
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let body = multipart("XyZ123", &pairs, file.as_deref().map(|b| ("signature", b)));
            admin
                .post(url)
                .header("content-type", "multipart/form-data; boundary=XyZ123")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    // From another site (no token of this session): refused, nothing saved.
    let forged = send(fields(&"a".repeat(64)), Some(png.clone())).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM cohort_signatories")
            .await,
        0
    );
    // A file that is not a PNG: a readable refusal, nothing saved.
    let not_png = send(fields(&csrf), Some(b"GIF89a....".to_vec())).await;
    assert_eq!(not_png.status(), 422);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM cohort_signatories")
            .await,
        0
    );
    let saved = send(fields(&csrf), Some(png.clone())).await;
    assert_eq!(saved.status(), 303);
    let html = crate::web::page(&app, &admin, &format!("{path}?done=signatory_saved")).await;
    assert!(html.contains("บันทึกผู้ลงนามวุฒิบัตรแล้ว"));
    // The name is shown escaped, and the signature is served to the admin as the PNG sent.
    assert!(
        html.contains("นางสาวมาลี &lt;b&gt;ศรีสุข&lt;&#x2F;b&gt;")
            || html.contains("นางสาวมาลี &lt;b&gt;ศรีสุข&lt;/b&gt;"),
        "{html}"
    );
    let sig = admin
        .get(app.url(&format!("{path}/signature.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(sig.status(), 200);
    assert_eq!(sig.bytes().await.unwrap().to_vec(), png);
    // Issuing from the page: one certificate, for trainee 0.
    let issued =
        crate::web::post_form(&app, &admin, &format!("{path}/completions"), &path, &[]).await;
    assert_eq!(issued.status(), 303);
    let to = issued.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("done=completions_issued&n=1"), "{to}");
    let html = crate::web::page(&app, &admin, &to.replace("#completions-h", "")).await;
    assert!(html.contains("ออกวุฒิบัตรใหม่ 1 ฉบับแล้ว"), "{html}");
    assert!(html.contains("TISI-T-"));
    // The trainee who completed finds it on their cohort page; the other does not.
    let t0 = crate::web::sign_in(&app, "trainee0@example.org").await;
    let mine = crate::web::page(&app, &t0, &path).await;
    assert!(mine.contains("วุฒิบัตรของท่าน"), "{mine}");
    assert!(mine.contains("/certificate.pdf"));
    let pdf_link = mine
        .split("href=\"/api/v1/completions/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let pdf = t0
        .get(app.url(&format!("/api/v1/completions/{pdf_link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let t1 = crate::web::sign_in(&app, "trainee1@example.org").await;
    let theirs = crate::web::page(&app, &t1, &path).await;
    assert!(!theirs.contains("วุฒิบัตรของท่าน"));
    let other = t1
        .get(app.url(&format!("/api/v1/completions/{pdf_link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}
