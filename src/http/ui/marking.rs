//! Pages for marking written answers: the cohort's blind queue and the marking form (also the
//! moderator's, with the markers' marks beside it). Made for a phone: one answer per page, one
//! column, the rubric as large choices.

use crate::http::ui::pages::*;
use crate::quizzes::marking::MarkingItem;
use crate::quizzes::model::{AttemptId, MarkStage};

/// The cohort's written answers waiting for this person's mark.
pub async fn queue_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let (cid, u) = (path.into_inner(), user.clone());
    let c = cid.clone();
    let (name, items) = state
        .db
        .read(move |conn| {
            let items = quizzes::marking::queue(conn, &c, &u, lang)?;
            let cohort = cohorts::get_cohort(conn, &c, &u)?;
            Ok((pick(lang, &cohort.name_th, &cohort.name_en), items))
        })
        .await?;
    let rows: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            json!({
                "n": i + 1,
                "quiz": item.quiz_title,
                "attempt_id": item.attempt_id,
                "question_id": item.question_id,
                "moderation": item.stage == MarkStage::Moderation,
                "marks_in": item.marks_in,
                "marks_needed": item.marks_needed,
                "words": item.word_count,
                "word_limit": item.word_limit,
            })
        })
        .collect();
    let mut page = Page::new(&req);
    page.flash_from_query(&req);
    page.ctx.insert("user", &user);
    page.ctx.insert("cohort_id", &cid);
    page.ctx.insert("cohort_name", &name);
    page.ctx.insert("items", &rows);
    page.render(&state, "marking/queue.html", StatusCode::OK)
}

/// The form to declare a conflict of interest with one of the cohort's trainees (cohort staff),
/// on its own page: the marking queue names no one.
pub async fn conflicts_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let (cid, u) = (path.into_inner(), user.clone());
    let c = cid.clone();
    let (name, trainees) = state
        .db
        .read(move |conn| {
            cohorts::authorize(conn, &c, &u, Access::Staff)?;
            let cohort = cohorts::get_cohort(conn, &c, &u)?;
            let trainees: Vec<Value> = cohorts::store::list_members(conn, &c)?
                .into_iter()
                .filter(|m| m.member_role() == Some(MemberRole::Trainee))
                .map(|m| {
                    json!({"user_id": m.user_id,
                           "label": format!("{} · {} · {}", m.name, super::province(lang, &m.office_code), m.email)})
                })
                .collect();
            Ok((pick(lang, &cohort.name_th, &cohort.name_en), trainees))
        })
        .await?;
    let mut page = Page::new(&req);
    page.ctx.insert("user", &user);
    page.ctx.insert("cohort_id", &cid);
    page.ctx.insert("cohort_name", &name);
    page.ctx.insert("trainees", &trainees);
    page.render(&state, "marking/conflicts.html", StatusCode::OK)
}

/// Cohort staff declare a conflict of interest with one of its trainees (a relative, a former
/// colleague, a business they advised): that trainee's written answers leave their queue.
pub async fn declare_conflict(
    state: web::Data<AppState>,
    PageUser(user): PageUser,
    path: web::Path<crate::cohorts::model::CohortId>,
    CsrfForm(f): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let req = crate::governance::ConflictDeclaration {
        user_id: field(&f, "user_id").into(),
        statement: field(&f, "statement").to_string(),
    };
    let cid = id.clone();
    state
        .db
        .run(move |conn| crate::governance::declare_conflict(conn, &cid, &user, &req))
        .await?;
    Ok(see_other(&format!(
        "/cohorts/{id}/marking?done=conflict_declared"
    )))
}

async fn render_mark(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    (attempt, question): (AttemptId, String),
    error: Option<String>,
    echo: HashMap<String, String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(req);
    let u = user.clone();
    let (cohort_id, item): (crate::cohorts::model::CohortId, MarkingItem) = state
        .db
        .read(move |conn| quizzes::marking::queue_item(conn, &attempt, &question, &u, lang))
        .await?;
    let t = strings(lang);
    let label = |k: &str| t.get(k).cloned().unwrap_or_default();
    let rubric: Vec<Value> = item
        .rubric
        .iter()
        .map(|c| {
            let key = format!("level:{}", c.id);
            let chosen = echo.get(&key).cloned().unwrap_or_default();
            json!({"id": c.id, "title": c.title, "name": key,
                   "levels": c.levels.iter().map(|l| json!({"id": l.id, "points": l.points, "text": l.text,
                       "checked": l.id == chosen})).collect::<Vec<_>>()})
        })
        .collect();
    let mut n = 0;
    let marks: Vec<Value> = item
        .marks
        .iter()
        .map(|m| {
            n += 1;
            let levels: Vec<Value> = item
                .rubric
                .iter()
                .map(|c| {
                    let l = m
                        .levels
                        .get(&c.id)
                        .and_then(|id| c.levels.iter().find(|x| &x.id == id));
                    json!({"criterion": c.title, "level": l.map(|l| l.text.clone()).unwrap_or_default(),
                           "points": l.map(|l| l.points).unwrap_or(0)})
                })
                .collect();
            json!({"who": format!("{} {n}", label("marker")), "points": format!("{:.0}", m.points),
                   "levels": levels, "comment": m.comment})
        })
        .collect();
    let mut page = Page::new(req);
    page.ctx.insert("user", &user);
    page.ctx.insert("cohort_id", &cohort_id);
    page.ctx.insert("quiz", &item.quiz_title);
    page.ctx
        .insert("case_html", &super::quizzes::case_html(&item.prompt));
    page.ctx.insert("answer", &item.answer);
    page.ctx.insert("words", &item.word_count);
    page.ctx.insert("word_limit", &item.word_limit);
    page.ctx
        .insert("over_limit", &(item.word_count > item.word_limit));
    page.ctx.insert("points", &item.points);
    page.ctx
        .insert("moderation", &(item.stage == MarkStage::Moderation));
    page.ctx.insert("marks", &marks);
    page.ctx.insert("rubric", &rubric);
    page.ctx.insert("attempt_id", &item.attempt_id);
    page.ctx.insert("question_id", &item.question_id);
    page.ctx
        .insert("comment", &echo.get("comment").cloned().unwrap_or_default());
    page.ctx.insert("error", &error);
    page.render(state, "marking/mark.html", status)
}

/// One written answer to mark (or moderate), with its case, the rubric and a comment box.
pub async fn mark_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<(AttemptId, String)>,
) -> Result<HttpResponse, PageError> {
    let (attempt, question) = path.into_inner();
    render_mark(
        &state,
        &req,
        user,
        (attempt, question),
        None,
        HashMap::new(),
        StatusCode::OK,
    )
    .await
}

/// Records the mark and goes back to the queue; a refused mark shows the form again with what
/// was chosen and why, in the page's language.
pub async fn mark_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<(AttemptId, String)>,
    CsrfForm(fields): CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let (attempt, question) = path.into_inner();
    let levels: std::collections::BTreeMap<String, String> = fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("level:").map(|c| (c.to_string(), v.clone())))
        .collect();
    let comment = fields.get("comment").cloned().unwrap_or_default();
    let link = state.issuer.url("");
    let (a, q, u) = (attempt.clone(), question.clone(), user.clone());
    let result = state
        .db
        .run(move |conn| {
            let row = quizzes::store::find_attempt(conn, &a)?.ok_or(AppError::NotFound)?;
            quizzes::marking::mark(conn, &a, &q, &u, &levels, &comment, &link)?;
            Ok(row.cohort_id)
        })
        .await;
    match result {
        Ok(cohort) => Ok(see_other(&format!(
            "/cohorts/{cohort}/marking?done=mark_saved"
        ))),
        Err(e @ (AppError::Validation { .. } | AppError::Rejected { .. })) => {
            let message = crate::http::ui::error_text(lang_of(&req), &e);
            render_mark(
                &state,
                &req,
                user,
                (attempt, question),
                Some(message),
                fields,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}
