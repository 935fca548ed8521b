//! Credentials: eligibility, issuing, status changes, verification, keys and status lists.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::credentials::{
    self, CredentialView, Eligibility, IssueRequest, RegisterEntry, StatusAction, VerifyResult,
};
use crate::error::AppError;
use crate::http::extract::{client_key, AdminUser, CurrentUser};
use crate::http::AppState;

/// Counts a public verification request against the caller's limit.
pub fn limit(state: &AppState, req: &HttpRequest) -> Result<(), AppError> {
    state
        .verify_limiter
        .check(&client_key(req))
        .map_err(|retry_after| AppError::TooManyRequests { retry_after })
}

/// Every trainee's criteria per scope (admins).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/eligibility", tag = "credentials",
    responses((status = 200, body = [Eligibility])), security(("bearer" = [])))]
pub async fn eligibility(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let course = state.course.clone();
    let e = state
        .db
        .run(move |conn| {
            crate::cohorts::store::find_cohort(conn, &id)?.ok_or(AppError::NotFound)?;
            credentials::eligibility(conn, &id, &course, None)
        })
        .await?;
    Ok(HttpResponse::Ok().json(e))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    pub cohort_id: crate::cohorts::model::CohortId,
    pub user_id: crate::accounts::model::UserId,
    /// `product` or `service`.
    pub scope: String,
    /// Issue although a criterion is not met; the reason is audited.
    pub override_reason: Option<String>,
}

/// Issues a credential to an eligible trainee.
#[utoipa::path(post, path = "/api/v1/credentials", tag = "credentials", request_body = IssueBody,
    responses((status = 201, body = CredentialView), (status = 409, description = "already active"), (status = 422, description = "not eligible")),
    security(("bearer" = [])))]
pub async fn issue(
    state: web::Data<AppState>,
    admin: AdminUser,
    body: web::Json<IssueBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let (issuer, course) = (state.issuer.clone(), state.course.clone());
    let c = state
        .db
        .run(move |conn| {
            let req = IssueRequest {
                cohort_id: &b.cohort_id,
                user_id: &b.user_id,
                scope: &b.scope,
                override_reason: b.override_reason.as_deref(),
                renews_id: None,
                decision_id: None,
            };
            credentials::issue(conn, &issuer, &course, &admin.0, &req)
        })
        .await?;
    Ok(HttpResponse::Created().json(c))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ScopeBody {
    pub scope: String,
}

/// Issues the scope to every eligible trainee of the cohort; reports who got what.
#[utoipa::path(post, path = "/api/v1/cohorts/{id}/credentials/issue-eligible", tag = "credentials", request_body = ScopeBody,
    responses((status = 200)), security(("bearer" = [])))]
pub async fn issue_eligible(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    body: web::Json<ScopeBody>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = body.into_inner().scope;
    let (issuer, course) = (state.issuer.clone(), state.course.clone());
    let r = state
        .db
        .run(move |conn| {
            credentials::issue_all_eligible(conn, &issuer, &course, &admin.0, &id, &scope)
        })
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReasonBody {
    pub reason: String,
}

async fn status_change(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: crate::credentials::model::CredentialId,
    body: ReasonBody,
    action: StatusAction,
) -> Result<HttpResponse, AppError> {
    let (issuer, course) = (state.issuer.clone(), state.course.clone());
    let c = state
        .db
        .run(move |conn| {
            credentials::change_status(conn, &issuer, &course, &admin.0, &id, action, &body.reason)
        })
        .await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Suspends an active credential.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/suspend", tag = "credentials", request_body = ReasonBody,
    responses((status = 200, body = CredentialView)), security(("bearer" = [])))]
pub async fn suspend(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<crate::credentials::model::CredentialId>,
    body: web::Json<ReasonBody>,
) -> Result<HttpResponse, AppError> {
    status_change(
        state,
        admin,
        path.into_inner(),
        body.into_inner(),
        StatusAction::Suspend,
    )
    .await
}

/// Reinstates a suspended credential.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/reinstate", tag = "credentials", request_body = ReasonBody,
    responses((status = 200, body = CredentialView)), security(("bearer" = [])))]
pub async fn reinstate(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<crate::credentials::model::CredentialId>,
    body: web::Json<ReasonBody>,
) -> Result<HttpResponse, AppError> {
    status_change(
        state,
        admin,
        path.into_inner(),
        body.into_inner(),
        StatusAction::Reinstate,
    )
    .await
}

/// Revokes a credential (final).
#[utoipa::path(post, path = "/api/v1/credentials/{id}/revoke", tag = "credentials", request_body = ReasonBody,
    responses((status = 200, body = CredentialView)), security(("bearer" = [])))]
pub async fn revoke(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<crate::credentials::model::CredentialId>,
    body: web::Json<ReasonBody>,
) -> Result<HttpResponse, AppError> {
    status_change(
        state,
        admin,
        path.into_inner(),
        body.into_inner(),
        StatusAction::Revoke,
    )
    .await
}

/// Withdraws the credential's scope from its holder (scope reduction): the credential is revoked
/// for good and marked `scope_withdrawn`; the holder's other scopes stay valid.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/withdraw", tag = "credentials", request_body = ReasonBody,
    responses((status = 200, body = CredentialView)), security(("bearer" = [])))]
pub async fn withdraw(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<crate::credentials::model::CredentialId>,
    body: web::Json<ReasonBody>,
) -> Result<HttpResponse, AppError> {
    status_change(
        state,
        admin,
        path.into_inner(),
        body.into_inner(),
        StatusAction::Withdraw,
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RenewBody {
    #[serde(default)]
    pub reason: String,
    /// Renews although the scheme's renewal path is not complete (audited).
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// Renews a credential once its holder has completed the scheme's renewal path (or with an
/// audited override): a new credential linked to the old, which expires.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/renew", tag = "credentials", request_body = RenewBody,
    responses((status = 201, body = CredentialView), (status = 422)), security(("bearer" = [])))]
pub async fn renew(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<crate::credentials::model::CredentialId>,
    body: web::Json<RenewBody>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let body = body.into_inner();
    let (issuer, course) = (state.issuer.clone(), state.course.clone());
    let c = state
        .db
        .run(move |conn| {
            credentials::renew(
                conn,
                &issuer,
                &course,
                &admin.0,
                &id,
                &body.reason,
                body.override_reason.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(c))
}

/// Where the holder stands on the scheme's renewal path for this credential.
#[utoipa::path(get, path = "/api/v1/credentials/{id}/recertification", tag = "credentials",
    responses((status = 200, body = credentials::Recertification), (status = 404)), security(("bearer" = [])))]
pub async fn recertification(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::credentials::model::CredentialId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let course = state.course.clone();
    let r = state
        .db
        .run(move |conn| credentials::recertification_for(conn, &course, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// A credential for its holder or an admin.
#[utoipa::path(get, path = "/api/v1/credentials/{id}", tag = "credentials",
    responses((status = 200, body = CredentialView), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::credentials::model::CredentialId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let issuer = state.issuer.clone();
    let c = state
        .db
        .run(move |conn| credentials::get_for(conn, &issuer, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(c))
}

/// The caller's own credentials.
#[utoipa::path(get, path = "/api/v1/me/credentials", tag = "credentials",
    responses((status = 200, body = [CredentialView])), security(("bearer" = [])))]
pub async fn mine(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let issuer = state.issuer.clone();
    let c = state
        .db
        .run(move |conn| credentials::mine(conn, &issuer, &user.0))
        .await?;
    Ok(HttpResponse::Ok().json(c))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The credentials of a cohort with numbers and verification links (admins); `?format=csv`.
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/credentials", tag = "credentials", params(FormatQuery),
    responses((status = 200, body = [CredentialView])), security(("bearer" = [])))]
pub async fn of_cohort(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let issuer = state.issuer.clone();
    let list = state
        .db
        .run(move |conn| {
            crate::cohorts::store::find_cohort(conn, &id)?.ok_or(AppError::NotFound)?;
            credentials::of_cohort(conn, &issuer, &id)
        })
        .await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(HttpResponse::Ok().json(list)),
        Some(format @ ("csv" | "xlsx")) => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|c| {
                    vec![
                        c.number.clone(),
                        c.holder_name.clone(),
                        c.office_code.clone(),
                        c.scope.clone(),
                        c.status.to_string(),
                        c.issued_at.date().to_string(),
                        c.expires_at.date().to_string(),
                        c.verify_url.clone(),
                    ]
                })
                .collect();
            let header = [
                "number",
                "holder",
                "office_code",
                "scope",
                "status",
                "issued",
                "expires",
                "verify_url",
            ];
            if format == "xlsx" {
                return Ok(crate::http::api::cohorts::xlsx_response(
                    "credentials.xlsx",
                    crate::http::api::cohorts::xlsx("credentials", &header, &rows)?,
                ));
            }
            let body = crate::http::api::cohorts::csv_with_bom(&header, &rows)?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    "content-disposition",
                    "attachment; filename=\"credentials.csv\"",
                ))
                .body(body))
        }
        Some(o) => Err(AppError::invalid(format!(
            "format: '{o}' is not json or csv"
        ))),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct VerifyBody {
    pub credential_jwt: String,
}

/// Verifies a pasted credential; a bad signature gives `valid: false`.
#[utoipa::path(post, path = "/api/v1/verify", tag = "verification", request_body = VerifyBody,
    responses((status = 200, body = VerifyResult), (status = 429)))]
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<VerifyBody>,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req)?;
    let jwt = body.into_inner().credential_jwt;
    let (issuer, course) = (state.issuer.clone(), state.course.clone());
    let r = state
        .db
        .run(move |conn| credentials::verify_jwt(conn, &course, &issuer, &jwt))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Verifies by credential id; unknown, odd and forbidden ids are the same 404.
#[utoipa::path(get, path = "/api/v1/verify/{id}", tag = "verification",
    responses((status = 200, body = VerifyResult), (status = 404), (status = 429)))]
pub async fn verify_id(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<crate::credentials::model::CredentialId>,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req)?;
    let id = path.into_inner();
    let course = state.course.clone();
    let r = state
        .db
        .read(move |conn| credentials::verify_id(conn, &course, &id))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// The issuer's public keys.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "verification", responses((status = 200, body = credentials::keys::Jwks)))]
pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let issuer = state.issuer.clone();
    let k = state
        .db
        .run(move |conn| credentials::keys::jwks(conn, &issuer))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=300"))
        .json(k))
}

/// One public key as a JWK: what a signature's `kid` URL resolves to.
#[utoipa::path(get, path = "/keys/{name}", tag = "verification",
    params(("name" = String, Path, description = "The key's name: the last segment of a signature's `kid` URL")),
    responses((status = 200, body = credentials::keys::Jwk, content_type = "application/jwk+json"),
        (status = 404, description = "No key of that name")))]
pub async fn key(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let issuer = state.issuer.clone();
    let k = state
        .db
        .run(move |conn| credentials::keys::jwk(conn, &issuer, &name))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/jwk+json")
        .insert_header(("cache-control", "public, max-age=300"))
        .json(k))
}

/// The signed Bitstring Status List (`revocation` or `suspension`).
#[utoipa::path(get, path = "/status/{purpose}", tag = "verification",
    params(("purpose" = String, Path, description = "`revocation` or `suspension`")),
    responses((status = 200, description = "A signed `BitstringStatusListCredential` (VC-JWT)", content_type = "application/vc+jwt", body = String),
        (status = 404, description = "Not a status purpose")))]
pub async fn status_list(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let purpose = path.into_inner();
    let issuer = state.issuer.clone();
    let jwt = state
        .db
        .run(move |conn| credentials::status_list(conn, &issuer, &purpose))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/vc+jwt")
        .body(jwt))
}

/// The issuer's Open Badges profile.
#[utoipa::path(get, path = "/issuer", tag = "verification",
    responses((status = 200, description = "The issuer's OB 3.0 `Profile` (JSON-LD)", body = Object)))]
pub async fn issuer_profile(state: web::Data<AppState>) -> HttpResponse {
    let base = state
        .issuer
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_string();
    HttpResponse::Ok().json(serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": format!("{base}/issuer"),
        "type": ["Profile"],
        "name": credentials::ISSUER_NAME,
        "url": format!("{base}/"),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RegisterQuery {
    /// Name, province or number (matches inside words).
    pub q: Option<String>,
    pub office_code: Option<String>,
    pub scope: Option<String>,
    /// `active` (the default), `suspended`, `withdrawn` or `all`.
    pub status: Option<String>,
}

/// The public register of active assessors (and, on request, suspensions and withdrawn scopes).
#[utoipa::path(get, path = "/api/v1/register", tag = "verification", params(RegisterQuery),
    responses((status = 200, body = [RegisterEntry])))]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<RegisterQuery>,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req)?;
    let q = q.into_inner();
    let r = state
        .db
        .run(move |conn| {
            credentials::register(
                conn,
                q.q.as_deref(),
                q.office_code.as_deref(),
                q.scope.as_deref(),
                q.status.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// A credential's `id` URL leads people to its verification page.
#[utoipa::path(get, path = "/credentials/{id}", tag = "verification",
    params(("id" = String, Path, description = "The credential's id")),
    responses((status = 303, description = "To `/verify/{id}`, the public verification page"),
        (status = 404, description = "Not a credential id")))]
pub async fn credential_url(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    // Only a credential id goes into the Location header (the hostile-input corpus found CR/LF
    // and invalid bytes there answered with a 500).
    let id = uuid::Uuid::parse_str(&path.into_inner()).map_err(|_| AppError::NotFound)?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("location", format!("/verify/{id}")))
        .finish())
}

/// The printable certificate (PDF) for the holder or an admin.
#[utoipa::path(get, path = "/api/v1/credentials/{id}/certificate.pdf", tag = "credentials",
    responses((status = 200, content_type = "application/pdf"), (status = 404)), security(("bearer" = [])))]
pub async fn certificate(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<crate::credentials::model::CredentialId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (issuer, course) = (state.issuer.clone(), state.course.clone());
    let (number, pdf) = state
        .db
        .run(move |conn| credentials::certificate_pdf(conn, &course, &issuer, &id, &user.0))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "content-disposition",
            format!("inline; filename=\"{number}.pdf\""),
        ))
        .body(pdf))
}

/// Every certificate of the cohort as one ZIP (admins).
#[utoipa::path(get, path = "/api/v1/cohorts/{id}/certificates.zip", tag = "credentials",
    responses((status = 200, content_type = "application/zip")), security(("bearer" = [])))]
pub async fn certificates_zip(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (issuer, course) = (state.issuer.clone(), state.course.clone());
    let body = state
        .db
        .run(move |conn| {
            crate::cohorts::store::find_cohort(conn, &id)?.ok_or(AppError::NotFound)?;
            credentials::certificates_zip(conn, &course, &issuer, &id)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            "content-disposition",
            "attachment; filename=\"certificates.zip\"",
        ))
        .body(body))
}
