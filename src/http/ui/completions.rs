//! Completion certificates (วุฒิบัตร) from the cohort page: naming who signs them (with an
//! uploaded signature image) and issuing them to everyone who met the completion rule.

use crate::evaluation::completion::{self, Signatory, MAX_SIGNATURE_BYTES};
use crate::http::ui::guard::CsrfMultipart;
use crate::http::ui::pages::*;

/// Issues the completion certificate to every trainee who met the rule and has none (admins).
pub async fn issue(
    state: web::Data<AppState>,
    PageAdmin(user): PageAdmin,
    path: web::Path<crate::cohorts::model::CohortId>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let (issuer, course, cid) = (state.issuer.clone(), state.course.clone(), id.clone());
    let (_, n) = state
        .db
        .run(move |conn| completion::issue(conn, &issuer, &course, &cid, &user))
        .await?;
    Ok(see_other(&format!(
        "/cohorts/{id}?done=completions_issued&n={n}#completions-h"
    )))
}

/// Saves who signs the cohort's certificates (admins): a `multipart/form-data` form with the
/// names and positions, and optionally the signature as a PNG file. The CSRF field is checked
/// before anything is saved.
pub async fn save_signatory(
    state: web::Data<AppState>,
    PageAdmin(user): PageAdmin,
    path: web::Path<crate::cohorts::model::CohortId>,
    form: CsrfMultipart,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let form = form.read().await?;
    if form
        .files
        .get("signature")
        .is_some_and(|b| b.len() > MAX_SIGNATURE_BYTES)
    {
        return Err(PageError(AppError::Validation {
            code: "invalid_input",
            message: format!("signature: at most {} KB", MAX_SIGNATURE_BYTES / 1024),
        }));
    }
    use base64::Engine;
    let s = Signatory {
        name_th: form.field("name_th"),
        name_en: form.field("name_en"),
        position_th: form.field("position_th"),
        position_en: form.field("position_en"),
        signature_png: form
            .files
            .get("signature")
            .map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
    };
    let cid = id.clone();
    state
        .db
        .run(move |conn| completion::save_signatory(conn, &cid, &user, &s))
        .await?;
    Ok(see_other(&format!(
        "/cohorts/{id}?done=signatory_saved#completions-h"
    )))
}

/// The signatory's signature image (admins, for the form's preview).
pub async fn signature(
    state: web::Data<AppState>,
    PageAdmin(_user): PageAdmin,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let s = state
        .db
        .read(move |conn| completion::signatory(conn, &id))
        .await?;
    use base64::Engine;
    let png = s
        .and_then(|s| s.signature_png)
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .ok_or(PageError(AppError::NotFound))?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("cache-control", "private, no-store"))
        .body(png))
}
