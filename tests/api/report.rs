//! The closing report and the fiscal-year view (issue 26): every figure recomputed from the raw
//! records, and the documents read by outside readers (pdftotext, LibreOffice, calamine).

use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::credentials::cohort_with_trainees;
use crate::evaluation::{respond, round2, survey, take};
use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn the_closing_report_adds_up_from_the_raw_records_and_opens_in_an_xlsx_reader() {
    use calamine::Reader;
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 4).await;
    // Two offices: trainees 0 and 1 from Chiang Mai (TH-50), 2 and 3 from Khon Kaen (TH-40).
    for (id, _) in &c.trainees[2..] {
        let res = app
            .client
            .patch(app.url(&format!("/api/v1/users/{id}")))
            .bearer_auth(&c.admin)
            .json(&json!({"office_code": "TH-40"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // One 5-hour session: trainees 0, 1 and 2 present (100 %; trainee 2 online), trainee 3
    // absent.
    let s = crate::cohorts::session_now(&app, &c.admin, &c.cohort, -400, 300).await;
    for (i, (id, _)) in c.trainees[..3].iter().enumerate() {
        let via = if i == 2 { "online" } else { "room" };
        let res = app
            .client
            .put(app.url(&format!(
                "/api/v1/sessions/{}/attendance/{id}",
                s["id"].as_str().unwrap()
            )))
            .bearer_auth(&c.admin)
            .json(&json!({"status": "present", "via": via}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }
    for slug in ["pretest", "posttest"] {
        app.post_json(
            &format!("/api/v1/cohorts/{}/quizzes/{slug}/publish", c.cohort),
            Some(&c.admin),
            &json!({}),
        )
        .await;
    }
    // Trainees 0, 1 and 3 take the post-test; 0, 2 and 3 answer the survey.
    for k in [0usize, 1, 3] {
        take(&app, &c, &c.trainees[k].1, "posttest", 6).await;
    }
    let s0 = survey(&app, &c.cohort, &c.trainees[0].1).await;
    let mut all4 = serde_json::Map::new();
    for i in s0["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "scale")
    {
        all4.insert(i["id"].as_str().unwrap().to_string(), json!(4));
    }
    for k in [0usize, 2, 3] {
        let res = respond(
            &app,
            &c.cohort,
            &c.trainees[k].1,
            &Value::Object(all4.clone()),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    // Trainee 0 is made eligible and credentialed (product); trainee 1 gets a service
    // credential by an override.
    crate::credentials::make_eligible(&app, &c, &c.trainees[0].1).await;
    let res = crate::credentials::issue(&app, &c, &c.trainees[0].0, "product", None).await;
    assert_eq!(res.status(), 201, "{:?}", res.text().await);
    let res = crate::credentials::issue(
        &app,
        &c,
        &c.trainees[1].0,
        "service",
        Some("ผ่านการอบรมงานบริการจากโครงการเดิม"),
    )
    .await;
    assert_eq!(res.status(), 201);

    let r: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/report", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    // Recomputed from the raw records the API gives: only trainee 0 attended ≥ 80 %, took the
    // post-test and answered the survey (1 lacks the survey, 2 the post-test, 3 attendance).
    assert_eq!(r["enrolled"], 4, "{r}");
    assert_eq!(r["completed"], 1, "{r}");
    let results: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/results", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let passed_both = c
        .trainees
        .iter()
        .filter(|(id, _)| {
            ["final-exam", "final-written"].iter().all(|q| {
                results.as_array().unwrap().iter().any(|x| {
                    x["user_id"] == id.as_str() && x["quiz_slug"] == *q && x["passed"] == true
                })
            })
        })
        .count();
    assert_eq!(passed_both, 1);
    assert_eq!(r["passed_exam"], passed_both);
    assert_eq!(r["credentialed"]["product"], 1);
    assert_eq!(r["credentialed"]["service"], 1);
    let office = |code: &str| {
        r["offices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["office_code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(office("TH-50")["enrolled"], 2);
    assert_eq!(office("TH-50")["completed"], 1);
    assert_eq!(office("TH-50")["credentialed"], 2);
    assert!(office("TH-50")["office_th"]
        .as_str()
        .unwrap()
        .starts_with("สำนักงานอุตสาหกรรมจังหวัดเชียงใหม่"));
    assert_eq!(office("TH-40")["enrolled"], 2);
    assert_eq!(office("TH-40")["credentialed"], 0);
    assert_eq!(r["evaluation"]["satisfaction"]["n"], 3);
    assert_eq!(r["evaluation"]["posttest"]["n"], 3);
    // The session's attendance: two in the room, one online, one absent (no mark).
    let sessions = r["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{r}");
    assert_eq!(sessions[0]["session_id"], s["id"]);
    for (k, v) in [("room", 2), ("online", 1), ("excused", 0), ("absent", 1)] {
        assert_eq!(sessions[0][k], v, "{k}: {}", sessions[0]);
    }
    // The indicators, recomputed from the raw figures against the shipped targets.
    let cohort: Value = app
        .get(&format!("/api/v1/cohorts/{}", c.cohort), Some(&c.admin))
        .await
        .json()
        .await
        .unwrap();
    let capacity = cohort["capacity"].as_f64().unwrap();
    let indicator = |id: &str| {
        r["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {r}"))
            .clone()
    };
    let credentialed_people = r["trainees"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["scopes"].as_array().unwrap().is_empty())
        .count() as f64;
    let sat_mean = r["evaluation"]["satisfaction"]["mean"].as_f64().unwrap();
    for (id, target, result) in [
        ("enrolment_percent", 90.0, round2(400.0 / capacity)),
        ("completion_percent", 80.0, 25.0),
        (
            "credentialed_percent",
            60.0,
            round2(100.0 * credentialed_people / 4.0),
        ),
        ("satisfaction_mean", 3.51, sat_mean),
    ] {
        let i = indicator(id);
        assert_eq!(i["target"].as_f64().unwrap(), target, "{i}");
        assert_eq!(i["result"].as_f64().unwrap(), result, "{i}");
        assert_eq!(i["met"].as_bool().unwrap(), result + 1e-9 >= target, "{i}");
    }
    assert_eq!(
        indicator("improved_percent")["result"],
        r["evaluation"]["paired"]["improved_percent"]
    );

    // The data sheets, read by calamine: the sheets and the same figures.
    let res = app
        .get(
            &format!("/api/v1/cohorts/{}/report?format=xlsx", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["สรุป", "สำนักงาน", "ผู้เข้าอบรม", "ความพึงพอใจ"]
    );
    let summary = book.worksheet_range("สรุป").unwrap();
    let value = |label: &str| {
        summary
            .rows()
            .find(|row| row[0] == label)
            .map(|row| row[1].to_string())
            .unwrap()
    };
    assert_eq!(value("ผู้เข้าอบรม"), "4");
    assert_eq!(value("ผ่านเกณฑ์การอบรม"), "1");
    assert_eq!(value("หนังสือรับรอง งานบริการ"), "1");
    let offices = book.worksheet_range("สำนักงาน").unwrap();
    let cm = offices.rows().find(|row| row[0] == "TH-50").unwrap();
    assert_eq!(cm[2].to_string(), "2");
    let people = book.worksheet_range("ผู้เข้าอบรม").unwrap();
    assert_eq!(people.height(), 5);

    // The documents officers file: our PDF read by pdftotext, and our DOCX opened by
    // LibreOffice, converted to PDF and read the same way. Both carry the Thai headings, the
    // narrative the officers wrote (a long unbroken Thai sentence wraps, it is not lost), the
    // figures of the JSON, the offices, the B.E. dates and page numbers.
    let problems =
        "ระบบออนไลน์ขัดข้องช่วงบ่ายวันแรกทำให้ผู้เข้าอบรมจากจังหวัดที่อยู่ห่างไกลเข้าร่วมได้ไม่ครบตามกำหนดเวลาที่วางไว้";
    let res = app
        .client
        .put(app.url(&format!("/api/v1/cohorts/{}/report/narrative", c.cohort)))
        .bearer_auth(&c.admin)
        .json(&json!({"background": "สมอ. จัดการอบรมผู้ตรวจประEMIN".replace("EMIN", "เมิน"),
            "objectives": "เพื่อพัฒนาผู้ตรวจประเมิน", "problems": problems, "suggestions": "ควรทดสอบระบบก่อนวันอบรม"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let r: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/report", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let two = |v: &Value| format!("{:.2}", v.as_f64().unwrap());
    let want = vec![
        "รายงานผลการดำเนินโครงการ".to_string(),
        "หลักการและเหตุผล".into(),
        "ปัญหาและอุปสรรค".into(),
        "ข้อเสนอแนะ".into(),
        "ภาคผนวก รายชื่อผู้เข้าอบรม".into(),
        "ควรทดสอบระบบก่อนวันอบรม".into(),
        "ปีงบประมาณ พ.ศ. 2565".into(),
        "15 กุมภาพันธ์ พ.ศ. 2565".into(),
        format!("ผู้เข้าอบรม: {} คน", r["enrolled"]),
        format!(
            "ผ่านเกณฑ์การอบรม (ได้รับวุฒิบัตร): {} คน (ร้อยละ 25.0)",
            r["completed"]
        ),
        format!(
            "ร้อยละ {} (n = 3)",
            two(&r["evaluation"]["posttest"]["mean_percent"])
        ),
        two(&r["evaluation"]["satisfaction"]["mean"]),
        "สำนักงานอุตสาหกรรมจังหวัดเชียงใหม่".into(),
        "สำนักงานอุตสาหกรรมจังหวัดขอนแก่น".into(),
    ];
    let pdf = app
        .get(
            &format!("/api/v1/cohorts/{}/report?format=pdf", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf_bytes = pdf.bytes().await.unwrap();
    let docx = app
        .get(
            &format!("/api/v1/cohorts/{}/report?format=docx", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(docx.status(), 200);
    let docx_bytes = docx.bytes().await.unwrap();
    // Read by the outside readers that are here (all of them in CI).
    let mut texts = Vec::new();
    if let Some(t) = crate::helpers::pdf_text(&pdf_bytes) {
        texts.push(("our PDF", t));
    }
    if let Some(t) =
        crate::helpers::docx_to_pdf(&docx_bytes).and_then(|p| crate::helpers::pdf_text(&p))
    {
        texts.push(("LibreOffice's PDF of our DOCX", t));
    }
    for (what, text) in &texts {
        let key = crate::helpers::text_key(text);
        for w in &want {
            assert!(
                key.contains(&crate::helpers::text_key(w)),
                "{what}: {w:?} is not in its text:\n{text}"
            );
        }
        // The long sentence, whatever the line breaks.
        assert!(
            key.contains(&crate::helpers::text_key(problems)),
            "{what}:\n{text}"
        );
    }
    // Our PDF numbers its pages: "หน้า 1 / N" … "หน้า N / N".
    if let Some((_, pdf_text)) = texts.iter().find(|(w, _)| *w == "our PDF") {
        let numbers: Vec<(usize, usize)> = pdf_text
            .split("หน้า ")
            .skip(1)
            .filter_map(|rest| {
                let mut it = rest.split_whitespace();
                let n = it.next()?.parse().ok()?;
                (it.next()? == "/").then_some(())?;
                Some((n, it.next()?.parse().ok()?))
            })
            .collect();
        let total = numbers.len();
        assert!(total >= 2, "{pdf_text}");
        assert_eq!(
            numbers,
            (1..=total).map(|n| (n, total)).collect::<Vec<_>>(),
            "{pdf_text}"
        );
    }
    // A bad format is a clear error.
    let res = app
        .get(
            &format!("/api/v1/cohorts/{}/report?format=doc", c.cohort),
            Some(&c.admin),
        )
        .await;
    assert_eq!(error_code(res, 422).await, "invalid_format");
}

#[tokio::test]
async fn the_fiscal_year_view_adds_up_its_cohorts_and_counts_the_offices_reached() {
    let app = spawn_app().await;
    // Two cohorts in FY2565 (Feb 2022) and one in FY2566 (Feb 2023).
    let c = cohort_with_trainees(&app, 2).await;
    let (_, admin) = (0, c.admin.clone());
    let second = crate::cohorts::create_cohort(&app, &admin, 2, 30).await;
    let third =
        crate::cohorts::create_cohort_on(&app, &admin, 1, 30, "2023-02-15", "2023-03-31").await;
    for (cohort, email, office) in [
        (&second, "fy-a@example.org", "TH-40"),
        (&third, "fy-b@example.org", "TH-10"),
    ] {
        let (u, t) = app.user_with_token(Role::Trainee, email).await;
        app.client
            .patch(app.url(&format!("/api/v1/users/{}", u.id)))
            .bearer_auth(&admin)
            .json(&json!({"office_code": office}))
            .send()
            .await
            .unwrap();
        let res = app
            .post_json(
                "/api/v1/cohorts/join",
                Some(&t),
                &json!({"join_code": cohort["join_code"]}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let fy: Value = app
        .get("/api/v1/reports/fiscal-years/2565", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    // Recomputed from each cohort's own report.
    let mut enrolled = 0;
    for line in fy["cohorts"].as_array().unwrap() {
        let r: Value = app
            .get(
                &format!(
                    "/api/v1/cohorts/{}/report",
                    line["cohort_id"].as_str().unwrap()
                ),
                Some(&admin),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(line["enrolled"], r["enrolled"]);
        enrolled += r["enrolled"].as_u64().unwrap();
    }
    assert_eq!(fy["cohorts"].as_array().unwrap().len(), 2, "{fy}");
    assert_eq!(fy["enrolled"].as_u64().unwrap(), enrolled);
    assert_eq!(enrolled, 3);
    // Chiang Mai (TH-50) and Khon Kaen (TH-40) of the 76 provinces; Bangkok's trainee is in
    // FY2566.
    assert_eq!(fy["provincial_offices"], 76);
    assert_eq!(fy["provincial_offices_reached"], 2, "{fy}");
    // By region: Chiang Mai in the north (1 of its 9 offices), Khon Kaen in the northeast (1 of
    // 20); every other region none; the trainees add up to the year's.
    let regions = fy["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 6);
    let region = |id: &str| regions.iter().find(|g| g["region"] == id).unwrap().clone();
    assert_eq!(region("north")["offices"], 9);
    assert_eq!(region("north")["offices_reached"], 1);
    assert_eq!(region("northeast")["offices"], 20);
    assert_eq!(region("northeast")["offices_reached"], 1);
    assert_eq!(region("south")["offices_reached"], 0);
    assert_eq!(
        regions
            .iter()
            .map(|g| g["enrolled"].as_u64().unwrap())
            .sum::<u64>(),
        enrolled
    );
    assert_eq!(
        regions
            .iter()
            .map(|g| g["offices"].as_u64().unwrap())
            .sum::<u64>(),
        76
    );
    // The year's indicators: the offices reached against the target of all 76.
    let offices = fy["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "offices")
        .unwrap()
        .clone();
    assert_eq!(offices["target"].as_f64(), Some(76.0));
    assert_eq!(offices["result"].as_f64(), Some(2.0));
    assert_eq!(offices["met"], false);
    let completion = fy["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "completion_percent")
        .unwrap()
        .clone();
    let done = fy["completed"].as_f64().unwrap();
    assert_eq!(
        completion["result"].as_f64(),
        Some(round2(100.0 * done / enrolled as f64)),
        "{fy}"
    );
    // The year's documents: our PDF and LibreOffice's reading of our DOCX carry the year, the
    // indicators, both cohorts and the offices; the XLSX has its sheets and the totals.
    let names: Vec<String> = fy["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cohort_name"].as_str().unwrap().to_string())
        .collect();
    let mut want = vec![
        "รายงานผลการดำเนินโครงการประจำปีงบประมาณ".to_string(),
        "ปีงบประมาณ พ.ศ. 2565 (2 รุ่น)".into(),
        "ตัวชี้วัดโครงการ".into(),
        // The offices indicator's target, beside its name (which wraps in its cell).
        "≥ 76".into(),
        format!("ผู้เข้าอบรม: {enrolled} คน"),
        "สำนักงานอุตสาหกรรมจังหวัดที่มีผู้เข้าอบรม: 2 จาก 76 แห่ง".into(),
        "สำนักงานอุตสาหกรรมจังหวัดเชียงใหม่".into(),
        "สำนักงานอุตสาหกรรมจังหวัดขอนแก่น".into(),
        "จังหวัดที่ยังไม่มีผู้เข้าอบรม (74 จังหวัด)".into(),
        "ภาคตะวันออกเฉียงเหนือ 1 / 20".into(),
    ];
    // Within the year's report each cohort is named without the year.
    want.extend(
        names
            .iter()
            .map(|n| n.replace(" ประจำปีงบประมาณ พ.ศ. 2565", "")),
    );
    let get = |format: &str| {
        let (app, admin) = (&app, admin.clone());
        let url = format!("/api/v1/reports/fiscal-years/2565?format={format}");
        async move {
            let res = app.get(&url, Some(&admin)).await;
            assert_eq!(res.status(), 200, "{url}");
            res.bytes().await.unwrap().to_vec()
        }
    };
    let mut texts = Vec::new();
    if let Some(t) = crate::helpers::pdf_text(&get("pdf").await) {
        texts.push(("our PDF", t));
    }
    if let Some(t) =
        crate::helpers::docx_to_pdf(&get("docx").await).and_then(|p| crate::helpers::pdf_text(&p))
    {
        texts.push(("LibreOffice's PDF of our DOCX", t));
    }
    for (what, text) in &texts {
        let key = crate::helpers::text_key(text);
        for w in &want {
            assert!(
                key.contains(&crate::helpers::text_key(w)),
                "{what}: {w:?} is not in its text:\n{text}"
            );
        }
    }
    {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(get("xlsx").await)).unwrap();
        assert_eq!(book.sheet_names(), ["สรุป", "รุ่น", "สำนักงาน"]);
        let summary = book.worksheet_range("สรุป").unwrap();
        let value = |label: &str| {
            summary
                .rows()
                .find(|row| row[0] == label)
                .map(|row| row[1].to_string())
                .unwrap_or_else(|| panic!("{label}"))
        };
        assert_eq!(value("ผู้เข้าอบรม"), enrolled.to_string());
        assert_eq!(value("สำนักงานอุตสาหกรรมจังหวัดที่มีผู้เข้าอบรม"), "2");
        assert_eq!(book.worksheet_range("รุ่น").unwrap().height(), 3);
    }
    // The page, for admins.
    let b = crate::web::sign_in(&app, "admin@example.org").await;
    let page = crate::web::page(&app, &b, "/reports/fiscal-years/2565").await;
    for n in &names {
        assert!(page.contains(n.as_str()), "{n}: {page}");
    }
    assert!(page.contains("2 / 76"), "{page}");
    // The cohort's report page names its regions too.
    let report_page = crate::web::page(&app, &b, &format!("/cohorts/{}/report", c.cohort)).await;
    assert!(report_page.contains("ภาคเหนือ"), "{report_page}");
    let list = crate::web::page(&app, &b, "/admin/cohorts").await;
    assert!(list.contains("/reports/fiscal-years/2566"));
    assert!(list.contains("/reports/fiscal-years/2565"));
    let next: Value = app
        .get("/api/v1/reports/fiscal-years/2566", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["enrolled"], 1);
    // A Gregorian year is a clear error: the view takes the Buddhist era.
    let res = app
        .get("/api/v1/reports/fiscal-years/2022", Some(&admin))
        .await;
    assert_eq!(error_code(res, 422).await, "invalid_input");
    assert_eq!(
        app.get("/api/v1/reports/fiscal-years/2565", Some(&c.trainees[0].1))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn officers_write_the_reports_narrative_on_its_page_and_it_is_kept_with_the_cohort() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    let b = crate::web::sign_in(&app, "admin@example.org").await;
    let path = format!("/cohorts/{}/report", c.cohort);
    let html = crate::web::page(&app, &b, &path).await;
    assert!(html.contains("รายงานผลการดำเนินโครงการ"), "{html}");
    assert!(html.contains("ภาคผนวก: รายชื่อผู้เข้าอบรม"), "{html}");
    // Too long a section comes back with the reason and the text kept.
    let long = "ก".repeat(8001);
    let res = crate::web::post_form(
        &app,
        &b,
        &path,
        &path,
        &[
            ("background", long.as_str()),
            ("problems", "สัญญาณออนไลน์ขาดหาย"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("สัญญาณออนไลน์ขาดหาย"), "{body}");
    let res = crate::web::post_form(
        &app,
        &b,
        &path,
        &path,
        &[
            (
                "background",
                "สมอ. มอบหมายให้สำนักงานอุตสาหกรรมจังหวัดร่วมตรวจประเมิน",
            ),
            ("objectives", "พัฒนาผู้ตรวจประเมิน มอก. เอส"),
            ("problems", "สัญญาณออนไลน์ขาดหาย <script>x</script>"),
            ("suggestions", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let r: Value = app
        .get(
            &format!("/api/v1/cohorts/{}/report", c.cohort),
            Some(&c.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["narrative"]["objectives"], "พัฒนาผู้ตรวจประเมิน มอก. เอส");
    assert_eq!(r["narrative"]["suggestions"], "");
    let again = crate::web::page(&app, &b, &path).await;
    assert!(
        again.contains("&lt;script&gt;x&lt;&#x2F;script&gt;")
            || again.contains("&lt;script&gt;x&lt;/script&gt;"),
        "{again}"
    );
    // The API takes the same, and a trainee may neither read nor write it.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/cohorts/{}/report/narrative", c.cohort)))
        .bearer_auth(&c.trainees[0].1)
        .json(&json!({"background": "", "objectives": "", "problems": "", "suggestions": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let tb = crate::web::sign_in(&app, "trainee0@example.org").await;
    let res = tb.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 403);
}
