//! The front page: first-run guidance, the sign-in redirect, or the dashboard.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{see_other, Page};
use crate::accounts;
use crate::error::PageError;
use crate::http::extract::resolve;
use crate::http::AppState;

pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let page = Page::new(&req);
    if let Ok(user) = resolve(req.clone()).await {
        return super::learn::dashboard(&state, &req, user).await;
    }
    let admins = state.db.run(accounts::count_admins).await?;
    if admins == 0 {
        return page.render(&state, "home/first_run.html", StatusCode::OK);
    }
    Ok(see_other("/login"))
}
