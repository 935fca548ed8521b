//! The front page: first-run guidance, the sign-in redirect, or the dashboard.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{lang_of, see_other, strings, Page};
use crate::accounts::{self, model::Language};
use crate::error::PageError;
use crate::http::extract::resolve;
use crate::http::AppState;
use crate::offices;

pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let mut page = Page::new(&req);
    if let Ok(user) = resolve(req.clone()).await {
        let lang = lang_of(&req);
        let t = strings(lang);
        let role_label = t
            .get(&format!("role_{}", user.role))
            .cloned()
            .unwrap_or_default();
        let office_name = offices::find(&user.office_code)
            .map(|o| match lang {
                Language::Th => o.name_th.clone(),
                Language::En => o.name_en.clone(),
            })
            .unwrap_or_else(|| user.office_code.clone());
        page.ctx.insert("user", &user);
        page.ctx.insert("role_label", &role_label);
        page.ctx.insert("office_name", &office_name);
        return page.render(&state, "home/dashboard.html", StatusCode::OK);
    }
    let admins = state.db.run(accounts::count_admins).await?;
    if admins == 0 {
        return page.render(&state, "home/first_run.html", StatusCode::OK);
    }
    Ok(see_other("/login"))
}
