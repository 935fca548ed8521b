//! Public pages: credential verification and the register of assessors (no sign-in).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::model::Language;
use crate::credentials;
use crate::credentials::model::{CredentialStatus, RegisterStatus, SCOPE_WITHDRAWN};
use crate::dates;
use crate::error::{AppError, PageError};
use crate::http::ui::{lang_of, strings, Page};
use crate::http::AppState;

/// A QR code of `text` as inline SVG.
pub fn qr_svg(text: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(180, 180)
        .quiet_zone(true)
        .build())
}

/// The human verification page, with a QR code that points to itself.
pub async fn verify_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<crate::credentials::model::CredentialId>,
) -> Result<HttpResponse, PageError> {
    crate::http::api::credentials::limit(&state, &req)?;
    let id = path.into_inner();
    // The number printed on a certificate works as an address too.
    if uuid::Uuid::parse_str(id.as_str()).is_err() {
        let typed = id.to_string();
        let found = state
            .db
            .read(move |conn| id_by_any_number(conn, &typed))
            .await?;
        return match found {
            Some(id) => Ok(see_other(&format!("/verify/{id}"))),
            None => not_found_page(&state, &req, id.as_str()),
        };
    }
    let course = state.course.clone();
    let shown = id.to_string();
    let v = match state
        .db
        .run(move |conn| credentials::verify_id(conn, &course, &id))
        .await
    {
        Err(AppError::NotFound) => return completion_page(&state, &req, &shown).await,
        other => other?,
    };
    let status = v.status;
    let status_str = v.status_str();
    let Some(c) = v.credential else {
        return not_found_page(&state, &req, &shown);
    };
    let lang = lang_of(&req);
    let t = strings(lang);
    let url = format!("{}verify/{}", state.issuer.base_url, c.id);
    let mut page = Page::new(&req);
    page.visitor(&req).await;
    page.ctx.insert("status", status_str);
    let label_key = match c.status_detail.as_deref() {
        Some(SCOPE_WITHDRAWN) if status == Some(CredentialStatus::Revoked) => {
            "status_scope_withdrawn".to_string()
        }
        _ => format!("status_{status_str}"),
    };
    page.ctx.insert("status_label", &t.get(&label_key));
    let kept: Vec<(String, String, String)> = c
        .kept_scopes
        .iter()
        .map(|k| {
            let title = if lang == Language::En {
                &k.scope_title_en
            } else {
                &k.scope_title_th
            };
            (k.id.to_string(), k.number.clone(), title.clone())
        })
        .collect();
    page.ctx.insert("kept", &kept);
    page.ctx.insert(
        "office",
        if lang == Language::En {
            &c.office_name_en
        } else {
            &c.office_name_th
        },
    );
    page.ctx.insert(
        "scope",
        if lang == Language::En {
            &c.scope_title_en
        } else {
            &c.scope_title_th
        },
    );
    page.ctx
        .insert("valid_from", &dates::format_date(c.valid_from.date(), lang));
    page.ctx.insert(
        "valid_until",
        &dates::format_date(c.valid_until.date(), lang),
    );
    page.ctx.insert("qr", &qr_svg(&url)?);
    page.ctx.insert("url", &url);
    page.ctx.insert("c", &c);
    page.render(&state, "public/verify.html", StatusCode::OK)
}

/// The id of the credential or completion certificate with this printed number.
fn id_by_any_number(
    conn: &mut crate::db::DbConnection,
    number: &str,
) -> Result<Option<String>, AppError> {
    Ok(match credentials::id_by_number(conn, number)? {
        Some(id) => Some(id.to_string()),
        None => crate::evaluation::completion::id_by_number(conn, number)?,
    })
}

/// The verification page of a completion certificate (วุฒิบัตร), or the not-found page.
async fn completion_page(
    state: &AppState,
    req: &HttpRequest,
    shown: &str,
) -> Result<HttpResponse, PageError> {
    let course = state.course.clone();
    let id = crate::evaluation::completion::CompletionId::from(shown.to_string());
    let found = state
        .db
        .read(move |conn| crate::evaluation::completion::verify(conn, &course, &id))
        .await?;
    let Some(c) = found else {
        return not_found_page(state, req, shown);
    };
    let lang = lang_of(req);
    let en = lang == Language::En;
    let url = format!("{}verify/{}", state.issuer.base_url, c.id);
    let day = |raw: &str| {
        chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(|d| dates::format_date(d, lang))
            .unwrap_or_else(|_| raw.to_string())
    };
    let mut page = Page::new(req);
    page.visitor(req).await;
    let pick = |th: &str, en_text: &str| {
        if en {
            en_text.to_string()
        } else {
            th.to_string()
        }
    };
    page.ctx
        .insert("office", &pick(&c.office_name_th, &c.office_name_en));
    page.ctx.insert(
        "programme",
        &pick(&c.programme_title_th, &c.programme_title_en),
    );
    page.ctx
        .insert("cohort", &pick(&c.cohort_name_th, &c.cohort_name_en));
    page.ctx.insert(
        "dates",
        &format!("{} – {}", day(&c.starts_on), day(&c.ends_on)),
    );
    page.ctx.insert(
        "hours",
        &if en {
            format!("{:.1} hours", c.hours)
        } else {
            format!("{:.1} ชั่วโมง", c.hours)
        },
    );
    page.ctx.insert(
        "issued",
        &dates::format_date(dates::local_date(c.issued_at), lang),
    );
    page.ctx.insert("qr", &qr_svg(&url)?);
    page.ctx.insert("url", &url);
    page.ctx.insert("c", &c);
    page.render(state, "public/verify_completion.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct RegisterQuery {
    q: Option<String>,
    office_code: Option<String>,
    scope: Option<String>,
}

#[derive(Serialize)]
struct Line {
    id: String,
    name: String,
    office: String,
    scope: String,
    number: String,
    valid_until: String,
    status: RegisterStatus,
    status_label: String,
    since: String,
    reason: String,
}

#[derive(Serialize)]
struct Choice {
    code: String,
    value: String,
    label: String,
}

/// The public register: only name, office, scope, number and validity.
pub async fn register_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<RegisterQuery>,
) -> Result<HttpResponse, PageError> {
    crate::http::api::credentials::limit(&state, &req)?;
    let q = q.into_inner();
    let lang = lang_of(&req);
    let (qq, office, scope) = (q.q.clone(), q.office_code.clone(), q.scope.clone());
    let entries = state
        .db
        .run(move |conn| {
            credentials::register(
                conn,
                qq.as_deref(),
                office.as_deref(),
                scope.as_deref(),
                Some("all"),
            )
        })
        .await?;
    let course = state.course.clone();
    let t = strings(lang);
    let (lines, changes): (Vec<Line>, Vec<Line>) = entries
        .into_iter()
        .map(|e| Line {
            office: if lang == Language::En {
                e.province_en.clone()
            } else {
                e.province_th.clone()
            },
            scope: credentials::scope_title(&course, &e.scope, lang),
            valid_until: dates::format_date(e.valid_until.date(), lang),
            status_label: t
                .get(&format!("register_status_{}", e.status))
                .cloned()
                .unwrap_or_else(|| e.status.to_string()),
            since: e
                .status_since
                .map(|d| dates::format_date(d.date(), lang))
                .unwrap_or_default(),
            reason: e.status_reason.unwrap_or_default(),
            status: e.status,
            id: e.id.into(),
            name: e.name,
            number: e.number,
        })
        .partition(|l| l.status == RegisterStatus::Active);
    let mut offices: Vec<Choice> = crate::offices::all()
        .iter()
        .filter(|o| o.code != "TISI")
        .map(|o| Choice {
            code: o.code.clone(),
            value: o.code.clone(),
            label: if lang == Language::En {
                o.province_en.clone()
            } else {
                o.province_th.clone()
            },
        })
        .collect();
    offices.sort_by_cached_key(|o| crate::thai::sort_key(&o.label));
    let scopes: Vec<Choice> = course
        .programme
        .scopes
        .iter()
        .map(|s| Choice {
            code: s.id.clone(),
            value: s.id.clone(),
            label: credentials::scope_title(&course, &s.id, lang),
        })
        .collect();
    let mut page = Page::new(&req);
    page.visitor(&req).await;
    page.ctx.insert("entries", &lines);
    page.ctx.insert("changes", &changes);
    page.ctx.insert("offices", &offices);
    page.ctx.insert("scopes", &scopes);
    page.ctx.insert("q", &q.q.unwrap_or_default());
    page.ctx
        .insert("office_code", &q.office_code.unwrap_or_default());
    page.ctx.insert("scope", &q.scope.unwrap_or_default());
    page.render(&state, "public/register.html", StatusCode::OK)
}

/// A form to verify a pasted credential.
fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("location", to.to_string()))
        .finish()
}

/// What a visitor sees for a number or id that names no credential: what they typed, what to
/// check, the look-up box again and the register (404).
fn not_found_page(
    state: &AppState,
    req: &HttpRequest,
    typed: &str,
) -> Result<HttpResponse, PageError> {
    let mut page = Page::new(req);
    let shown: String = typed.chars().take(64).collect();
    page.ctx.insert("not_found", &shown);
    page.render(state, "public/verify_paste.html", StatusCode::NOT_FOUND)
}

#[derive(Deserialize)]
pub struct LookupQuery {
    /// A credential number as printed on the certificate (or a credential id).
    number: Option<String>,
}

/// The verification page: a look-up box for the number printed on a certificate, and a box
/// for a digital credential's whole text. `?number=` looks the number up.
pub async fn paste_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<LookupQuery>,
) -> Result<HttpResponse, PageError> {
    let Some(typed) = q.into_inner().number.filter(|n| !n.trim().is_empty()) else {
        return Page::new(&req).render(&state, "public/verify_paste.html", StatusCode::OK);
    };
    crate::http::api::credentials::limit(&state, &req)?;
    if let Ok(id) = uuid::Uuid::parse_str(typed.trim()) {
        return Ok(see_other(&format!("/verify/{id}")));
    }
    let lookup = typed.clone();
    let found = state
        .db
        .read(move |conn| id_by_any_number(conn, &lookup))
        .await?;
    match found {
        Some(id) => Ok(see_other(&format!("/verify/{id}"))),
        None => not_found_page(&state, &req, &typed),
    }
}

#[derive(Deserialize)]
pub struct PasteForm {
    credential_jwt: String,
}

/// Verifies a pasted credential and shows the verdict.
pub async fn paste_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: crate::http::ui::guard::CsrfForm<PasteForm>,
) -> Result<HttpResponse, PageError> {
    crate::http::api::credentials::limit(&state, &req)?;
    let jwt = form.into_inner().credential_jwt;
    let (issuer, course) = (state.issuer.clone(), state.course.clone());
    let v = state
        .db
        .run(move |conn| credentials::verify_jwt(conn, &course, &issuer, &jwt))
        .await?;
    let t = strings(lang_of(&req));
    let mut page = Page::new(&req);
    page.visitor(&req).await;
    page.ctx.insert(
        "result",
        &serde_json::json!({
            "status": v.status_str(),
            "label": t.get(&format!("status_{}", v.status_str())),
            "number": v.credential.as_ref().map(|c| c.number.clone()),
            "id": v.credential.as_ref().map(|c| c.id.clone()),
            "holder": v.credential.as_ref().map(|c| c.holder_name.clone()),
        }),
    );
    page.render(&state, "public/verify_paste.html", StatusCode::OK)
}
