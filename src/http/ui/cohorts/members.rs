//! The admins' part of the cohort page about people: the cohort's instructors with their lead
//! naming (a lead instructor may decide written answers whose markers disagree), and adding
//! one person as trainee or instructor by e-mail.

use crate::http::ui::pages::*;

/// The cohort's instructors for the admins' members section: name, office, e-mail, lead.
pub fn instructors(
    conn: &mut crate::db::DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<Vec<Value>, AppError> {
    let leads = cohorts::store::leads_of(conn, cohort_id)?;
    Ok(cohorts::store::list_members(conn, cohort_id)?
        .into_iter()
        .filter(|m| m.member_role() == Some(MemberRole::Instructor))
        .map(|m| {
            json!({"user_id": m.user_id, "name": m.name, "email": m.email,
                   "office": m.office_code, "lead": leads.contains(&m.user_id)})
        })
        .collect())
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    email: String,
    role: String,
    /// For someone without an account: their name and office; they are invited by e-mail,
    /// the mail naming this cohort, and added to it.
    #[serde(default)]
    name: String,
    #[serde(default)]
    office_code: String,
}

/// An admin adds one person, known by e-mail, as trainee or instructor.
pub async fn add_member(
    state: web::Data<AppState>,
    PageAdmin(admin): PageAdmin,
    path: web::Path<crate::cohorts::model::CohortId>,
    form: CsrfForm<AddMemberForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let role = match f.role.as_str() {
        "trainee" => MemberRole::Trainee,
        "instructor" => MemberRole::Instructor,
        _ => return Err(AppError::invalid("role must be trainee or instructor").into()),
    };
    let cid = id.clone();
    let emails = vec![f.email.clone()];
    let report = state
        .db
        .run(move |conn| cohorts::add_members_by_email(conn, &cid, &emails, role))
        .await?;
    if !report.unknown.is_empty() && !f.name.trim().is_empty() {
        // A new person: an account and an invitation that names the cohort, then the seat.
        let new = crate::accounts::NewUser {
            email: crate::accounts::model::EmailAddress::parse(&f.email)
                .map_err(AppError::invalid)?,
            name: crate::accounts::model::PersonName::parse(&f.name).map_err(AppError::invalid)?,
            name_en: None,
            role: match role {
                MemberRole::Instructor => Role::Instructor,
                _ => Role::Trainee,
            },
            office_code: crate::accounts::parse_office_code(&f.office_code)?,
            language: Language::Th,
            password_hash: None,
        };
        let (cid, base_url) = (id.clone(), state.settings.base_url.clone());
        state
            .db
            .run(move |conn| {
                let cohort = cohorts::get_cohort(conn, &cid, &admin)?;
                let to = json!({
                    "name_th": cohort.name_th, "name_en": cohort.name_en,
                    "dates_th": date_range(Language::Th, &cohort.starts_on, &cohort.ends_on),
                    "dates_en": date_range(Language::En, &cohort.starts_on, &cohort.ends_on),
                });
                crate::accounts::create_user_invited_to(conn, &new, &base_url, Some(&to))?;
                cohorts::add_members_by_email(conn, &cid, &[new.email.to_string()], role)
            })
            .await?;
        return Ok(crate::http::ui::see_other_item(
            &format!("/cohorts/{id}?done=member_invited#members"),
            &format!("{} ({})", f.name.trim(), f.email.trim()),
        ));
    }
    let done = if !report.added.is_empty() {
        "member_added"
    } else if !report.already_members.is_empty() {
        "member_already"
    } else if !report.unknown.is_empty() {
        "member_unknown"
    } else {
        "member_refused"
    };
    Ok(crate::http::ui::see_other_item(
        &format!("/cohorts/{id}?done={done}#members"),
        f.email.trim(),
    ))
}

#[derive(Deserialize)]
pub struct LeadForm {
    user_id: crate::accounts::model::UserId,
    lead: String,
}

/// An admin names an instructor lead instructor, or ends the naming.
pub async fn set_lead(
    state: web::Data<AppState>,
    PageAdmin(user): PageAdmin,
    path: web::Path<crate::cohorts::model::CohortId>,
    form: CsrfForm<LeadForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let lead = f.lead == "1";
    let cid = id.clone();
    state
        .db
        .run(move |conn| cohorts::set_lead(conn, &cid, &f.user_id, lead, &user))
        .await?;
    let done = if lead { "lead_named" } else { "lead_unnamed" };
    Ok(see_other(&format!("/cohorts/{id}?done={done}#members")))
}
