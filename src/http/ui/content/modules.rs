//! Reading a module and marking it read.

use crate::http::ui::pages::*;

/// Reading a module.
pub async fn module_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let (id, slug) = path.into_inner();
    let (u, cid) = (user.clone(), id.clone());
    let (module, trainee) = state
        .db
        .run(move |conn| {
            let (_, role) = cohorts::authorize(conn, &cid, &u, Access::Member)?;
            Ok((
                crate::course::module_for(conn, &cid, &slug, &u, lang)?,
                role == Some(MemberRole::Trainee),
            ))
        })
        .await?;
    let mut page = Page::new(&req);
    page.ctx.insert("module", &module);
    page.ctx.insert("cohort_id", &id);
    page.ctx.insert("trainee", &trainee);
    page.ctx.insert("user", &user);
    page.render(&state, "cohorts/module.html", StatusCode::OK)
}

/// A form that carries only its CSRF token.
/// Marks a module as read.
pub async fn complete(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let (id, slug) = path.into_inner();
    let cid = id.clone();
    state
        .db
        .run(move |conn| crate::course::complete_module(conn, &cid, &slug, &user))
        .await?;
    Ok(see_other(&format!("/cohorts/{id}?done=module_read")))
}
