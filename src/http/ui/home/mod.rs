//! The front page: first-run guidance, the sign-in redirect, or the dashboard.

pub mod dashboard;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{see_other, Page};
use crate::accounts;
use crate::error::PageError;
use crate::http::extract::resolve;
use crate::http::AppState;

pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let mut page = Page::new(&req);
    if let Ok(user) = resolve(req.clone()).await {
        return dashboard::dashboard(&state, &req, user).await;
    }
    let admins = state.db.run(accounts::count_admins).await?;
    if admins == 0 {
        // The command must name the database this service runs on, or it creates the admin
        // somewhere else. A SQLite path is shown as it is; a PostgreSQL URL (which may carry a
        // password) only as a placeholder, since this page is public.
        let db_env = match &state.settings.database_url {
            crate::db::DatabaseUrl::Sqlite(path) if path.as_os_str() == "data/academy.db" => None,
            crate::db::DatabaseUrl::Sqlite(path) => {
                Some(format!("ACADEMY_DATABASE_URL=sqlite://{}", path.display()))
            }
            crate::db::DatabaseUrl::Postgres(_) => {
                Some("ACADEMY_DATABASE_URL='postgres://…'".to_string())
            }
        };
        page.ctx.insert("db_env", &db_env);
        return page.render(&state, "home/first_run.html", StatusCode::OK);
    }
    Ok(see_other("/login"))
}
