//! The training project's own measures: surveys and their anonymous responses, and the
//! cohort's evaluation (pre/post, satisfaction, hours).

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

use crate::accounts::model::Language;
use crate::cohorts::model::CohortId;
use crate::error::AppError;
use crate::evaluation::{self, Evaluation, SurveyView};
use crate::http::api::content::LangQuery;
use crate::http::extract::CurrentUser;
use crate::http::AppState;

/// The language asked for in the query, else the person's own.
fn lang(asked: Option<&str>, user: &crate::accounts::User) -> Language {
    asked
        .map(Language::parse_or_default)
        .unwrap_or(user.language)
}

/// The programme's surveys, with whether this person has answered (members).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/surveys", tag = "evaluation", params(LangQuery),
    responses((status = 200, body = [SurveyView])), security(("bearer" = [])))]
pub async fn surveys(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
    q: web::Query<LangQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, course, l) = (
        path.into_inner(),
        state.course.clone(),
        lang(q.lang.as_deref(), &user.0),
    );
    let list = state
        .db
        .read(move |conn| evaluation::cohort_surveys(conn, &course, &id, &user.0, l))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A survey response: every five-level item 1–5, open questions as text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SurveyResponse {
    pub answers: BTreeMap<String, Value>,
}

/// Answers a survey (a trainee of the cohort, once). Stored without the person.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/surveys/{slug}/responses", tag = "evaluation",
    request_body = SurveyResponse,
    responses((status = 201), (status = 409, body = crate::error::ApiError), (status = 422, body = crate::error::ApiError)),
    security(("bearer" = [])))]
pub async fn respond(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(CohortId, String)>,
    body: web::Json<SurveyResponse>,
) -> Result<HttpResponse, AppError> {
    let ((id, slug), course, body) = (path.into_inner(), state.course.clone(), body.into_inner());
    state
        .db
        .run(move |conn| evaluation::respond(conn, &course, &id, &slug, &user.0, &body.answers))
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({"recorded": true})))
}

/// The cohort's evaluation as the project reports it (cohort staff); `?format=csv|xlsx` gives
/// the satisfaction results as a table: one line per aspect and item (n, mean, SD, band) and
/// the open comments, never with a name.
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/evaluation", tag = "evaluation", params(ReportQuery),
    responses((status = 200, body = Evaluation)), security(("bearer" = [])))]
pub async fn evaluation(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let l = lang(q.lang.as_deref(), &user.0);
    let (id, course) = (path.into_inner(), state.course.clone());
    let cid = id.clone();
    let e = state
        .db
        .read(move |conn| evaluation::evaluation(conn, &course, &id, &user.0, l))
        .await?;
    let format = q.format.as_deref().unwrap_or("json");
    if format == "json" {
        return Ok(HttpResponse::Ok().json(e));
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let f = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_default();
    if let Some(s) = &e.satisfaction {
        for sec in &s.sections {
            let r = &sec.rating;
            rows.push(vec![
                "aspect".into(),
                sec.title.clone(),
                r.n.to_string(),
                f(r.mean),
                f(r.sd),
                r.band_th.unwrap_or("").into(),
            ]);
            for i in &sec.items {
                let r = &i.rating;
                rows.push(vec![
                    "item".into(),
                    i.text.clone(),
                    r.n.to_string(),
                    f(r.mean),
                    f(r.sd),
                    r.band_th.unwrap_or("").into(),
                ]);
            }
        }
        for c in &s.comments {
            rows.push(vec![
                "comment".into(),
                c.question.clone(),
                String::new(),
                String::new(),
                String::new(),
                c.text.clone(),
            ]);
        }
    }
    let header = ["kind", "text", "n", "mean", "sd", "band_or_comment"];
    match format {
        "csv" => Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "content-disposition",
                format!("attachment; filename=\"satisfaction-{cid}.csv\""),
            ))
            .body(crate::http::api::cohorts::csv_with_bom(&header, &rows)?)),
        "xlsx" => Ok(crate::http::api::cohorts::xlsx_response(
            &format!("satisfaction-{cid}.xlsx"),
            crate::http::api::cohorts::xlsx("satisfaction", &header, &rows)?,
        )),
        other => Err(AppError::Validation {
            code: "invalid_format",
            message: format!("format: json, csv or xlsx, not '{other}'"),
        }),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// `json` (default), `xlsx` (the data sheets; the evaluation takes `csv` too), and for the
    /// report `pdf` or `docx` (the documents, in Thai).
    pub format: Option<String>,
    /// `th` (default) or `en`.
    pub lang: Option<String>,
}

/// The cohort's closing report (cohort staff): participants, completion, exam results and
/// credentials by office, the evaluation, and an appendix roster; `?format=pdf|docx` gives the
/// report as officers file it (A4, Thai, page numbers, charts in the PDF) and `?format=xlsx` the
/// data sheets.
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/report", tag = "evaluation", params(ReportQuery),
    responses((status = 200, body = crate::evaluation::report::Report)), security(("bearer" = [])))]
pub async fn report(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = ReportFormat::of(&q)?;
    let l = format.language(&q, &user.0);
    let (id, course) = (path.into_inner(), state.course.clone());
    let programme_th = state.course.programme.title_th.clone();
    let (r, cohort) = state
        .db
        .read(move |conn| {
            let r = crate::evaluation::report::cohort_report(conn, &course, &id, &user.0, l)?;
            let cohort =
                crate::cohorts::store::find_cohort(conn, &id)?.ok_or(AppError::NotFound)?;
            Ok((r, cohort))
        })
        .await?;
    let header = || {
        let long = |raw: &str| {
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|d| crate::dates::format_date_long(d, Language::Th))
                .unwrap_or_else(|_| raw.to_string())
        };
        crate::evaluation::documents::ReportHeader {
            programme_th: programme_th.clone(),
            dates_th: format!(
                "ระหว่างวันที่ {} ถึงวันที่ {}",
                long(&cohort.starts_on),
                long(&cohort.ends_on)
            ),
            made_on_th: crate::dates::format_date_long(
                crate::dates::local_date(crate::util::now()),
                Language::Th,
            ),
        }
    };
    let file = |ext: &str| format!("report-{}.{ext}", r.cohort_id);
    match format {
        ReportFormat::Json => Ok(HttpResponse::Ok().json(r)),
        ReportFormat::Xlsx => Ok(crate::http::api::cohorts::xlsx_response(
            &file("xlsx"),
            report_xlsx(&r)?,
        )),
        document => document_response(
            document,
            &format!("report-{}", r.cohort_id),
            &crate::evaluation::documents::blocks(&r, &header()),
        ),
    }
}

/// The report's data sheets: summary, offices, trainees, satisfaction.
fn report_xlsx(r: &crate::evaluation::report::Report) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Unexpected(anyhow::anyhow!("xlsx: {e}"));
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = |book: &mut Workbook, name: &str, header: &[&str]| -> Result<(), AppError> {
        let ws = book.add_worksheet();
        ws.set_name(name).map_err(fail)?;
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)
                .map_err(fail)?;
        }
        Ok(())
    };
    let e = &r.evaluation;
    sheet(&mut book, "สรุป", &["รายการ", "ค่า"])?;
    let summary: Vec<(&str, Option<f64>)> = vec![
        ("ผู้เข้าอบรม", Some(r.enrolled as f64)),
        ("ผ่านเกณฑ์การอบรม", Some(r.completed as f64)),
        ("สอบผ่าน", Some(r.passed_exam as f64)),
        ("หนังสือรับรอง ผลิตภัณฑ์", Some(r.credentialed.product as f64)),
        ("หนังสือรับรอง งานบริการ", Some(r.credentialed.service as f64)),
        ("คะแนนเฉลี่ยก่อนการอบรม", e.pretest.mean_percent),
        ("คะแนนเฉลี่ยหลังการอบรม", e.posttest.mean_percent),
        ("คะแนนเพิ่มขึ้นเฉลี่ย", e.paired.mean_gain),
        ("ร้อยละผู้มีคะแนนเพิ่มขึ้น", e.paired.improved_percent),
        (
            "ความพึงพอใจเฉลี่ย",
            e.satisfaction.as_ref().and_then(|s| s.mean),
        ),
        ("ชั่วโมงอบรมตามกำหนดการ", Some(e.attendance.scheduled_hours)),
    ];
    {
        let ws = book.worksheet_from_name("สรุป").map_err(fail)?;
        for (i, (label, value)) in summary.iter().enumerate() {
            ws.write_string(i as u32 + 1, 0, *label).map_err(fail)?;
            if let Some(v) = value {
                ws.write_number(i as u32 + 1, 1, *v).map_err(fail)?;
            }
        }
    }
    sheet(
        &mut book,
        "สำนักงาน",
        &[
            "รหัส",
            "สำนักงาน",
            "ผู้เข้าอบรม",
            "ผ่านเกณฑ์การอบรม",
            "ได้รับหนังสือรับรอง",
        ],
    )?;
    {
        let ws = book.worksheet_from_name("สำนักงาน").map_err(fail)?;
        for (i, o) in r.offices.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, &o.office_code).map_err(fail)?;
            ws.write_string(row, 1, &o.office_th).map_err(fail)?;
            ws.write_number(row, 2, o.enrolled as f64).map_err(fail)?;
            ws.write_number(row, 3, o.completed as f64).map_err(fail)?;
            ws.write_number(row, 4, o.credentialed as f64)
                .map_err(fail)?;
        }
    }
    sheet(
        &mut book,
        "ผู้เข้าอบรม",
        &[
            "ชื่อ",
            "สำนักงาน",
            "ชั่วโมงที่เข้าร่วม",
            "ร้อยละของเวลา",
            "ผ่านเกณฑ์การอบรม",
            "สอบผ่าน",
            "หนังสือรับรอง",
        ],
    )?;
    {
        let ws = book.worksheet_from_name("ผู้เข้าอบรม").map_err(fail)?;
        for (i, t) in r.trainees.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, &t.name).map_err(fail)?;
            ws.write_string(row, 1, &t.office_code).map_err(fail)?;
            ws.write_number(row, 2, t.attended_hours).map_err(fail)?;
            if let Some(p) = t.attendance_percent {
                ws.write_number(row, 3, p).map_err(fail)?;
            }
            ws.write_string(
                row,
                4,
                if t.completed {
                    "ผ่าน"
                } else {
                    "ไม่ผ่าน"
                },
            )
            .map_err(fail)?;
            ws.write_string(
                row,
                5,
                if t.passed_exam {
                    "ผ่าน"
                } else {
                    "ไม่ผ่าน"
                },
            )
            .map_err(fail)?;
            ws.write_string(row, 6, t.scopes.join(", ")).map_err(fail)?;
        }
    }
    sheet(
        &mut book,
        "ความพึงพอใจ",
        &["ด้าน/ข้อ", "n", "ค่าเฉลี่ย", "SD", "ระดับ"],
    )?;
    if let Some(s) = &e.satisfaction {
        let ws = book.worksheet_from_name("ความพึงพอใจ").map_err(fail)?;
        let mut row = 1u32;
        for sec in &s.sections {
            for (label, rating) in std::iter::once((&sec.title, &sec.rating))
                .chain(sec.items.iter().map(|i| (&i.text, &i.rating)))
            {
                ws.write_string(row, 0, label.as_str()).map_err(fail)?;
                ws.write_number(row, 1, rating.n as f64).map_err(fail)?;
                if let Some(m) = rating.mean {
                    ws.write_number(row, 2, m).map_err(fail)?;
                }
                if let Some(sd) = rating.sd {
                    ws.write_number(row, 3, sd).map_err(fail)?;
                }
                ws.write_string(row, 4, rating.band_th.unwrap_or(""))
                    .map_err(fail)?;
                row += 1;
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// Every cohort of a Buddhist-era fiscal year with the totals and the offices reached (admins).
#[utoipa::path(get, path = "/api/v1/reports/fiscal-years/{fy}", tag = "evaluation", params(ReportQuery),
    responses((status = 200, body = crate::evaluation::report::FiscalYearReport), (status = 422, body = crate::error::ApiError)),
    security(("bearer" = [])))]
pub async fn fiscal_year(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i32>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = ReportFormat::of(&q)?;
    let l = format.language(&q, &user.0);
    let (fy, course) = (path.into_inner(), state.course.clone());
    let r = state
        .db
        .read(move |conn| {
            crate::evaluation::report::fiscal_year_report(conn, &course, fy, &user.0, l)
        })
        .await?;
    let file = format!("report-fy{fy}");
    match format {
        ReportFormat::Json => Ok(HttpResponse::Ok().json(r)),
        ReportFormat::Xlsx => Ok(crate::http::api::cohorts::xlsx_response(
            &format!("{file}.xlsx"),
            fiscal_year_xlsx(&r)?,
        )),
        document => document_response(
            document,
            &file,
            &crate::evaluation::documents::fiscal_year_blocks(
                &r,
                &state.course.programme.title_th,
                &crate::dates::format_date_long(
                    crate::dates::local_date(crate::util::now()),
                    Language::Th,
                ),
            ),
        ),
    }
}

/// What a report is asked for as: `?format=json|xlsx|pdf|docx`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReportFormat {
    Json,
    Xlsx,
    Pdf,
    Docx,
}

impl ReportFormat {
    fn of(q: &ReportQuery) -> Result<ReportFormat, AppError> {
        match q.format.as_deref().unwrap_or("json") {
            "json" => Ok(ReportFormat::Json),
            "xlsx" => Ok(ReportFormat::Xlsx),
            "pdf" => Ok(ReportFormat::Pdf),
            "docx" => Ok(ReportFormat::Docx),
            other => Err(AppError::Validation {
                code: "invalid_format",
                message: format!("format: json, xlsx, pdf or docx, not '{other}'"),
            }),
        }
    }

    /// The documents and data sheets are in Thai, as officers file them; the JSON is in the
    /// language asked for.
    fn language(self, q: &ReportQuery, user: &crate::accounts::User) -> Language {
        if self == ReportFormat::Json {
            lang(q.lang.as_deref(), user)
        } else {
            Language::Th
        }
    }
}

/// A report as a PDF (shown in the browser) or a DOCX (downloaded), named `{file}.pdf|docx`.
fn document_response(
    format: ReportFormat,
    file: &str,
    blocks: &[crate::evaluation::documents::Block],
) -> Result<HttpResponse, AppError> {
    let (content_type, disposition, ext, body) = if format == ReportFormat::Docx {
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "attachment",
            "docx",
            crate::evaluation::documents::render_docx(blocks)?,
        )
    } else {
        (
            "application/pdf",
            "inline",
            "pdf",
            crate::evaluation::documents::render_pdf(blocks)?,
        )
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "content-disposition",
            format!("{disposition}; filename=\"{file}.{ext}\""),
        ))
        .body(body))
}

/// The fiscal year's data sheets: indicators and totals, cohorts, offices.
fn fiscal_year_xlsx(r: &crate::evaluation::report::FiscalYearReport) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Unexpected(anyhow::anyhow!("xlsx: {e}"));
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    {
        let ws = book.add_worksheet();
        ws.set_name("สรุป").map_err(fail)?;
        let rows: Vec<(String, f64)> = vec![
            ("ปีงบประมาณ".into(), f64::from(r.fiscal_year)),
            ("จำนวนรุ่น".into(), r.cohorts.len() as f64),
            ("ผู้เข้าอบรม".into(), r.enrolled as f64),
            ("ผ่านเกณฑ์การอบรม".into(), r.completed as f64),
            ("สอบผ่าน".into(), r.passed_exam as f64),
            ("หนังสือรับรอง ผลิตภัณฑ์".into(), r.credentialed.product as f64),
            ("หนังสือรับรอง งานบริการ".into(), r.credentialed.service as f64),
            (
                "สำนักงานอุตสาหกรรมจังหวัดที่มีผู้เข้าอบรม".into(),
                r.provincial_offices_reached as f64,
            ),
        ];
        ws.write_string_with_format(0, 0, "รายการ", &bold)
            .map_err(fail)?;
        ws.write_string_with_format(0, 1, "ค่า", &bold)
            .map_err(fail)?;
        ws.write_string_with_format(0, 2, "เป้าหมาย", &bold)
            .map_err(fail)?;
        ws.write_string_with_format(0, 3, "บรรลุ", &bold)
            .map_err(fail)?;
        let mut row = 1u32;
        for (label, value) in rows {
            ws.write_string(row, 0, label).map_err(fail)?;
            ws.write_number(row, 1, value).map_err(fail)?;
            row += 1;
        }
        for i in &r.indicators {
            ws.write_string(row, 0, i.name_th).map_err(fail)?;
            if let Some(v) = i.result {
                ws.write_number(row, 1, v).map_err(fail)?;
            }
            ws.write_number(row, 2, i.target).map_err(fail)?;
            if let Some(m) = i.met {
                ws.write_string(
                    row,
                    3,
                    if m {
                        "บรรลุ"
                    } else {
                        "ไม่บรรลุ"
                    },
                )
                .map_err(fail)?;
            }
            row += 1;
        }
    }
    {
        let ws = book.add_worksheet();
        ws.set_name("รุ่น").map_err(fail)?;
        for (c, h) in [
            "รุ่น",
            "ผู้เข้าอบรม",
            "ผ่านเกณฑ์การอบรม",
            "สอบผ่าน",
            "หนังสือรับรอง ผลิตภัณฑ์",
            "หนังสือรับรอง งานบริการ",
            "ความพึงพอใจเฉลี่ย",
            "คะแนนเฉลี่ยหลังการอบรม",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string_with_format(0, c as u16, *h, &bold)
                .map_err(fail)?;
        }
        for (i, c) in r.cohorts.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, &c.cohort_name).map_err(fail)?;
            for (col, v) in [
                c.enrolled,
                c.completed,
                c.passed_exam,
                c.credentialed.product,
                c.credentialed.service,
            ]
            .iter()
            .enumerate()
            {
                ws.write_number(row, col as u16 + 1, *v as f64)
                    .map_err(fail)?;
            }
            if let Some(m) = c.satisfaction_mean {
                ws.write_number(row, 6, m).map_err(fail)?;
            }
            if let Some(m) = c.posttest_mean_percent {
                ws.write_number(row, 7, m).map_err(fail)?;
            }
        }
    }
    {
        let ws = book.add_worksheet();
        ws.set_name("สำนักงาน").map_err(fail)?;
        for (c, h) in [
            "รหัส",
            "สำนักงาน",
            "ผู้เข้าอบรม",
            "ผ่านเกณฑ์การอบรม",
            "ได้รับหนังสือรับรอง",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string_with_format(0, c as u16, *h, &bold)
                .map_err(fail)?;
        }
        for (i, o) in r.offices.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, &o.office_code).map_err(fail)?;
            ws.write_string(row, 1, &o.office_th).map_err(fail)?;
            ws.write_number(row, 2, o.enrolled as f64).map_err(fail)?;
            ws.write_number(row, 3, o.completed as f64).map_err(fail)?;
            ws.write_number(row, 4, o.credentialed as f64)
                .map_err(fail)?;
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// Saves the narrative sections of the cohort's report (cohort staff).
#[utoipa::path(put, path = "/api/v1/cohorts/{id}/report/narrative", tag = "evaluation",
    request_body = crate::evaluation::store::Narrative,
    responses((status = 200, body = crate::evaluation::store::Narrative), (status = 422, body = crate::error::ApiError)),
    security(("bearer" = [])))]
pub async fn save_narrative(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CohortId>,
    body: web::Json<crate::evaluation::store::Narrative>,
) -> Result<HttpResponse, AppError> {
    let (id, body) = (path.into_inner(), body.into_inner());
    let n = state
        .db
        .run(move |conn| crate::evaluation::report::save_narrative(conn, &id, &user.0, &body))
        .await?;
    Ok(HttpResponse::Ok().json(n))
}
