//! Issuing credentials from the cohort page: one trainee, or every eligible trainee.

use crate::http::ui::pages::*;

#[derive(Deserialize)]
pub struct IssueForm {
    user_id: String,
    scope: String,
}

/// An admin issues a credential to an eligible trainee from the progress table.
pub async fn issue(
    state: web::Data<AppState>,
    PageAdmin(user): PageAdmin,
    path: web::Path<crate::cohorts::model::CohortId>,
    form: CsrfForm<IssueForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let (issuer, course, cid) = (state.issuer.clone(), state.course.clone(), id.clone());
    let holder = crate::accounts::model::UserId::from(&f.user_id);
    let anchor = format!("p-{}", holder.as_str());
    let cred = state
        .db
        .run(move |conn| {
            let req = credentials::IssueRequest {
                cohort_id: &cid,
                user_id: &holder,
                scope: &f.scope,
                override_reason: None,
                renews_id: None,
                decision_id: None,
            };
            credentials::issue(conn, &issuer, &course, &user, &req)
        })
        .await?;
    Ok(see_other_item(
        &format!("/cohorts/{id}?done=issued_ok#{anchor}"),
        &format!("{} · {}", cred.number, cred.holder_name),
    ))
}

#[derive(Deserialize)]
pub struct IssueAllForm {
    #[serde(default)]
    scope: String,
}

/// Issues the scope's credential to every eligible trainee of the cohort who holds none yet.
pub async fn issue_all(
    state: web::Data<AppState>,
    PageAdmin(user): PageAdmin,
    path: web::Path<crate::cohorts::model::CohortId>,
    form: CsrfForm<IssueAllForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let scope = form.into_inner().scope;
    let (issuer, course, cid) = (state.issuer.clone(), state.course.clone(), id.clone());
    let report = state
        .db
        .run(move |conn| {
            credentials::issue_all_eligible(conn, &issuer, &course, &user, &cid, &scope)
        })
        .await?;
    let n = report.get("issued").map_or(0, Vec::len);
    Ok(see_other(&format!(
        "/cohorts/{id}?done=issued_all&n={n}#progress"
    )))
}
