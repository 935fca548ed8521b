//! Admin management of users.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::accounts::{
    self,
    model::{EmailAddress, Language, NewPassword, PersonName, Role},
    NewUser, User, UserFilter, UserUpdate,
};
use crate::error::AppError;
use crate::http::extract::{AdminUser, CurrentUser};
use crate::http::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub email: String,
    /// Display name, usually Thai with a title (นาย, นาง, นางสาว).
    pub name: String,
    pub name_en: Option<String>,
    pub role: String,
    pub office_code: String,
    /// `th` (default) or `en`.
    pub language: Option<String>,
    /// Without a password, an invitation e-mail with a 72-hour link is sent.
    pub password: Option<String>,
}

fn field(code: &'static str, field: &str, message: String) -> AppError {
    AppError::Validation {
        code,
        message: format!("{field}: {message}"),
    }
}

/// Creates a trainee, instructor or admin.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 409, description = "e-mail already used"), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_user(
    state: web::Data<AppState>,
    _admin: AdminUser,
    body: web::Json<CreateUserRequest>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let email = EmailAddress::parse(&b.email).map_err(|m| field("invalid_email", "email", m))?;
    let name = PersonName::parse(&b.name).map_err(|m| field("invalid_name", "name", m))?;
    let name_en = b
        .name_en
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(PersonName::parse)
        .transpose()
        .map_err(|m| field("invalid_name", "name_en", m))?;
    let role: Role = b
        .role
        .parse()
        .map_err(|m| field("invalid_role", "role", m))?;
    let office_code = accounts::parse_office_code(&b.office_code)?;
    let language = match b.language.as_deref() {
        None | Some("th") => Language::Th,
        Some("en") => Language::En,
        Some(other) => {
            return Err(field(
                "invalid_language",
                "language",
                format!("'{other}' is not th or en"),
            ))
        }
    };
    let password = b
        .password
        .as_deref()
        .map(NewPassword::parse)
        .transpose()
        .map_err(|m| field("weak_password", "password", m))?;
    let password_hash = match password {
        Some(p) => Some(
            web::block(move || accounts::hash_password(&p))
                .await
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("password hashing: {e}")))??,
        ),
        None => None,
    };
    let new = NewUser {
        email,
        name,
        name_en,
        role,
        office_code,
        language,
        password_hash,
    };
    let base = state.settings.base_url.clone();
    let user = state
        .db
        .run(move |conn| accounts::create_user(conn, &new, &base))
        .await?;
    Ok(HttpResponse::Created().json(user))
}

/// A user: admins see anyone, others only themselves (anyone else is a 404).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts",
    responses((status = 200, body = User), (status = 404)), security(("bearer" = [])))]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: CurrentUser,
    path: web::Path<crate::accounts::model::UserId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    if caller.0.role != Role::Admin && caller.0.id != id {
        return Err(AppError::NotFound);
    }
    let user = state
        .db
        .run(move |conn| accounts::get_user(conn, &id))
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UserListQuery {
    /// Text found anywhere in the e-mail, name or English name (Thai matches inside words).
    pub q: Option<String>,
    pub office_code: Option<String>,
    pub role: Option<String>,
}

/// Parses the list filters shared by the API and the admin page.
pub fn parse_filter(q: &UserListQuery) -> Result<UserFilter, AppError> {
    let role = match q.role.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => Some(
            r.parse::<Role>()
                .map_err(|m| field("invalid_role", "role", m))?,
        ),
        None => None,
    };
    let office_code = match q.office_code.as_deref().filter(|o| !o.is_empty()) {
        Some(o) => Some(accounts::parse_office_code(o)?),
        None => None,
    };
    Ok(UserFilter {
        q: q.q.clone().filter(|s| !s.trim().is_empty()),
        office_code,
        role,
    })
}

/// Lists users with search and filters, in Thai name order.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", params(UserListQuery),
    responses((status = 200, body = [User])), security(("bearer" = [])))]
pub async fn list_users(
    state: web::Data<AppState>,
    _admin: AdminUser,
    q: web::Query<UserListQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = parse_filter(&q)?;
    let users = state
        .db
        .run(move |conn| accounts::list_users(conn, &filter))
        .await?;
    Ok(HttpResponse::Ok().json(users))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub name: Option<String>,
    /// An empty string removes the English name.
    pub name_en: Option<String>,
    pub role: Option<String>,
    pub office_code: Option<String>,
    pub language: Option<String>,
    /// Disabling ends every sign-in of the user at once.
    pub disabled: Option<bool>,
}

/// Changes a user; a new role or disabling ends the user's sign-ins at once.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "accounts", request_body = UpdateUserRequest,
    responses((status = 200, body = User), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn update_user(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<crate::accounts::model::UserId>,
    body: web::Json<UpdateUserRequest>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let id = path.into_inner();
    let update = UserUpdate {
        name: b
            .name
            .as_deref()
            .map(PersonName::parse)
            .transpose()
            .map_err(|m| field("invalid_name", "name", m))?,
        name_en: match b.name_en.as_deref() {
            None => None,
            Some(s) if s.trim().is_empty() => Some(None),
            Some(s) => Some(Some(
                PersonName::parse(s).map_err(|m| field("invalid_name", "name_en", m))?,
            )),
        },
        role: b
            .role
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|m| field("invalid_role", "role", m))?,
        office_code: b
            .office_code
            .as_deref()
            .map(accounts::parse_office_code)
            .transpose()?,
        language: match b.language.as_deref() {
            None => None,
            Some("th") => Some(Language::Th),
            Some("en") => Some(Language::En),
            Some(o) => {
                return Err(field(
                    "invalid_language",
                    "language",
                    format!("'{o}' is not th or en"),
                ))
            }
        },
        disabled: b.disabled,
    };
    if admin.0.id == id
        && (update.disabled == Some(true) || update.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(AppError::conflict(
            "last_admin_guard",
            "you cannot disable yourself or remove your own admin role",
        ));
    }
    let user = state
        .db
        .run(move |conn| accounts::update_user(conn, &id, &update))
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Send each imported user an invitation e-mail (default true).
    pub invite: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    pub imported: usize,
}

/// Largest CSV accepted for an import.
pub const IMPORT_LIMIT: usize = 4 * 1024 * 1024;

/// Imports users from a CSV body (`text/csv`), all or nothing. A file with bad rows imports
/// nothing and answers 422 with `error.details.rows`: each bad line and its problems.
#[utoipa::path(post, path = "/api/v1/users/import", tag = "accounts", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportResult), (status = 422, description = "nothing imported; see error.details.rows")),
    security(("bearer" = [])))]
pub async fn import_users(
    state: web::Data<AppState>,
    _admin: AdminUser,
    req: HttpRequest,
    q: web::Query<ImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let ctype = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ctype.starts_with("text/csv") && !ctype.starts_with("text/plain") {
        return Err(AppError::UnsupportedMediaType(
            "send the file as text/csv".into(),
        ));
    }
    let bytes = payload
        .to_bytes_limited(IMPORT_LIMIT)
        .await
        .map_err(|_| {
            AppError::PayloadTooLarge(format!(
                "the file is larger than {} MiB",
                IMPORT_LIMIT / 1024 / 1024
            ))
        })?
        .map_err(|e| AppError::BadRequest(format!("could not read the body: {e}")))?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| AppError::invalid("the file is not UTF-8 text"))?;
    let base = state.settings.base_url.clone();
    let invite = q.invite.unwrap_or(true);
    let imported = state
        .db
        .run(move |conn| accounts::import_users(conn, &text, &base, invite, None))
        .await?
        .len();
    Ok(HttpResponse::Created().json(ImportResult { imported }))
}

/// TISI and the 76 Provincial Industry Offices.
#[utoipa::path(get, path = "/api/v1/offices", tag = "accounts",
    responses((status = 200, body = [crate::offices::Office])))]
pub async fn list_offices() -> HttpResponse {
    HttpResponse::Ok().json(crate::offices::all())
}
