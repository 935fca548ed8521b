//! Completion certificates (วุฒิบัตร) from the cohort page: naming who signs them (with an
//! uploaded signature image) and issuing them to everyone who met the completion rule.

use actix_multipart::Multipart;
use futures_util::StreamExt;

use crate::evaluation::completion::{self, Signatory, MAX_SIGNATURE_BYTES};
use crate::http::ui::guard::csrf_accepted;
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

/// Longest text field of the signatory form, in bytes.
const MAX_FIELD: usize = 4096;

fn bad_form(message: &str) -> PageError {
    PageError(AppError::BadRequest(message.to_string()))
}

/// Saves who signs the cohort's certificates (admins): a `multipart/form-data` form with the
/// names and positions, and optionally the signature as a PNG file. The CSRF field is checked
/// before anything is saved.
pub async fn save_signatory(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageAdmin(user): PageAdmin,
    path: web::Path<crate::cohorts::model::CohortId>,
    mut form: Multipart,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut png: Option<Vec<u8>> = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| bad_form("could not read the form"))?;
        let name = field.name().unwrap_or("").to_string();
        let limit = if name == "signature" {
            MAX_SIGNATURE_BYTES
        } else {
            MAX_FIELD
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| bad_form("could not read the form"))?;
            if bytes.len() + chunk.len() > limit {
                return Err(PageError(AppError::Validation {
                    code: "invalid_input",
                    message: format!("{name}: at most {} KB", limit.div_ceil(1024)),
                }));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "signature" {
            if !bytes.is_empty() {
                png = Some(bytes);
            }
        } else {
            let text = String::from_utf8(bytes).map_err(|_| bad_form("the form is not UTF-8"))?;
            fields.insert(name, text);
        }
    }
    let token = fields.get("csrf").map(String::as_str).unwrap_or("");
    if !csrf_accepted(&req, token) {
        return Err(PageError(AppError::CrossSite(
            "this form is out of date or came from another site: reload the page and try again"
                .into(),
        )));
    }
    use base64::Engine;
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let s = Signatory {
        name_th: field("name_th"),
        name_en: field("name_en"),
        position_th: field("position_th"),
        position_en: field("position_en"),
        signature_png: png.map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
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
