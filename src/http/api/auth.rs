//! Sign-in, the current user, password change, sign-out everywhere.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::{self, model::NewPassword, password, User};
use crate::error::AppError;
use crate::http::extract::{client_key, CurrentUser};
use crate::http::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// Checks an e-mail and password and returns a sign-in token. Unknown e-mail and wrong
/// password answer the same; repeated failures per account or client are throttled.
pub async fn sign_in(
    state: &AppState,
    email: String,
    password: String,
    client: String,
) -> Result<(String, DateTime<Utc>, User), AppError> {
    let email = email.trim().to_lowercase();
    let (e1, c1) = (email.clone(), client.clone());
    let candidate = state
        .db
        .run(move |conn| accounts::begin_sign_in(conn, &e1, &c1))
        .await?;
    let stored = candidate
        .user
        .as_ref()
        .and_then(|u| u.password_hash.clone());
    let ok = web::block(move || password::verify(&password, stored.as_deref()))
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("password check: {e}")))?;
    let user = state
        .db
        .run(move |conn| accounts::finish_sign_in(conn, &email, &client, candidate.user, ok))
        .await?;
    let (token, expires_at) = state
        .tokens
        .issue(&user.id, user.token_version, Utc::now())?;
    Ok((token, expires_at, user))
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "wrong e-mail or password"),
              (status = 429, description = "too many failed attempts; see Retry-After")))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let (token, expires_at, user) =
        sign_in(&state, body.email, body.password, client_key(&req)).await?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token,
        expires_at,
        user,
    }))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = User), (status = 401)),
    security(("bearer" = [])))]
pub async fn me(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(user.0)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the caller's password; every existing sign-in (this one too) ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401), (status = 422)), security(("bearer" = [])))]
pub async fn change_password(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let new = NewPassword::parse(&body.new_password).map_err(|m| AppError::Validation {
        code: "weak_password",
        message: m,
    })?;
    let id = user.0.id.clone();
    let hash = {
        let id = id.clone();
        state
            .db
            .run(move |conn| accounts::password_hash_of(conn, &id))
            .await?
    };
    let current = body.current_password;
    let hashed = web::block(move || -> Result<String, AppError> {
        if !password::verify(&current, hash.as_deref()) {
            return Err(AppError::Validation {
                code: "wrong_password",
                message: "the current password is not correct".into(),
            });
        }
        accounts::hash_password(&new)
    })
    .await
    .map_err(|e| AppError::Unexpected(anyhow::anyhow!("password hashing: {e}")))??;
    state
        .db
        .run(move |conn| accounts::set_password_hash(conn, &id, &hashed))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every sign-in of the caller on every device.
#[utoipa::path(post, path = "/api/v1/auth/logout-everywhere", tag = "accounts",
    responses((status = 204), (status = 401)), security(("bearer" = [])))]
pub async fn logout_everywhere(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.0.id;
    state
        .db
        .run(move |conn| accounts::sign_out_everywhere(conn, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Sends a password-reset link (valid 60 minutes, single use) if the address has an account.
/// Always answers 202, so it does not tell who has an account.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "accounts", request_body = ResetRequest,
    responses((status = 202, description = "if the address has an account, a link is on its way")))]
pub async fn request_reset(
    state: web::Data<AppState>,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, AppError> {
    if let Ok(email) = crate::accounts::model::EmailAddress::parse(&body.email) {
        let base = state.settings.base_url.clone();
        state
            .db
            .run(move |conn| accounts::request_password_reset(conn, &email, &base))
            .await?;
    }
    Ok(HttpResponse::Accepted().json(serde_json::json!({"status": "accepted"})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SetPasswordWithLink {
    /// The secret from the e-mailed link.
    pub token: String,
    pub password: String,
}

/// Hashes a new password after checking the policy; on a blocking thread.
pub async fn hash_new_password(raw: &str) -> Result<String, AppError> {
    let new = NewPassword::parse(raw).map_err(|m| AppError::Validation {
        code: "weak_password",
        message: m,
    })?;
    web::block(move || accounts::hash_password(&new))
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("password hashing: {e}")))?
}

/// Sets a new password with a reset link; every existing sign-in ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "accounts", request_body = SetPasswordWithLink,
    responses((status = 200, body = User), (status = 422, description = "invalid or used link, or weak password")))]
pub async fn confirm_reset(
    state: web::Data<AppState>,
    body: web::Json<SetPasswordWithLink>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let hash = hash_new_password(&body.password).await?;
    let user = state
        .db
        .run(move |conn| accounts::redeem_link(conn, &body.token, "password_reset", &hash))
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Accepts an invitation: sets the password and signs in.
#[utoipa::path(post, path = "/api/v1/auth/invitation/accept", tag = "accounts", request_body = SetPasswordWithLink,
    responses((status = 200, body = LoginResponse), (status = 422, description = "invalid or used link, or weak password")))]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    body: web::Json<SetPasswordWithLink>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let hash = hash_new_password(&body.password).await?;
    let user = state
        .db
        .run(move |conn| accounts::redeem_link(conn, &body.token, "invitation", &hash))
        .await?;
    let (token, expires_at) = state
        .tokens
        .issue(&user.id, user.token_version, Utc::now())?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token,
        expires_at,
        user,
    }))
}
