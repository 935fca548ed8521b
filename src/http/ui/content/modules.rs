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
    let (module, trainee, quiz, next) = state
        .db
        .run(move |conn| {
            let (_, role) = cohorts::authorize(conn, &cid, &u, Access::Member)?;
            let module = crate::course::module_for(conn, &cid, &slug, &u, lang)?;
            // Where to go from here: this module's quiz and the next module, as the cohort
            // offers them to this person.
            let quiz = quizzes::cohort_quizzes(conn, &cid, &u, lang)?
                .into_iter()
                .find(|q| q.module.as_deref() == Some(slug.as_str()));
            let modules = crate::course::cohort_modules(conn, &cid, &u, lang)?;
            let next = modules
                .iter()
                .position(|m| m.slug == slug)
                .and_then(|i| modules.get(i + 1))
                .cloned();
            Ok((module, role == Some(MemberRole::Trainee), quiz, next))
        })
        .await?;
    let mut page = Page::new(&req);
    page.flash_from_query(&req);
    page.ctx.insert("next_quiz", &quiz);
    page.ctx.insert("next_module", &next);
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
    let (cid, done) = (id.clone(), slug.clone());
    state
        .db
        .run(move |conn| crate::course::complete_module(conn, &cid, &done, &user))
        .await?;
    // Back to the module, at its "what next" links (this module's quiz, the next module).
    Ok(see_other(&format!(
        "/cohorts/{id}/modules/{slug}?done=module_read#next"
    )))
}
