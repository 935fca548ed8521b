//! Admin management of users.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::accounts::{
    self,
    model::{EmailAddress, Language, NewPassword, PersonName, Role},
    NewUser, User,
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
    path: web::Path<String>,
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
