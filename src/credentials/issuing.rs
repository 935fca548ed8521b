//! Issuing: one credential (refused unless the issuer is independent of the training), or every eligible trainee of a cohort.

use super::*;
use crate::credentials::error::CredentialError;

/// A request to issue a credential.
pub struct IssueRequest<'a> {
    pub cohort_id: &'a crate::cohorts::model::CohortId,
    pub user_id: &'a crate::accounts::model::UserId,
    pub scope: &'a str,
    pub override_reason: Option<&'a str>,
    pub renews_id: Option<&'a CredentialId>,
    /// The certification decision (on a recommendation) this issue carries out; `None`: the
    /// issue is itself the decision, recorded with its rationale in the same transaction.
    pub decision_id: Option<&'a crate::governance::model::DecisionId>,
}

/// Refuses an issuer who is not independent of the person's training: only an admin who never
/// taught the cohort (now or before) and did not recommend the person may decide to certify
/// them (409 `not_independent`).
pub fn check_independent(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    holder_id: &crate::accounts::model::UserId,
    actor: &User,
) -> Result<(), AppError> {
    if actor.role != accounts::model::Role::Admin {
        return Err(AppError::Forbidden);
    }
    if cohorts::ever_taught(conn, cohort_id, &actor.id)? {
        return Err(AppError::from(CredentialError::NotIndependent("you teach or taught this cohort: an admin who took no part in the training must decide".into())));
    }
    if crate::governance::recommended(conn, cohort_id, holder_id, &actor.id)? {
        return Err(AppError::from(CredentialError::NotIndependent(
            "you recommended this person: another admin must decide".into(),
        )));
    }
    Ok(())
}

/// Issues a credential: only to an eligible trainee of the cohort (or with a written,
/// audited override), exactly one live credential per person and scope, with the next
/// gapless number of the fiscal year. The audit row and the holder's e-mail are written in
/// the same transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub fn issue(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    actor: &User,
    req: &IssueRequest<'_>,
) -> Result<CredentialView, AppError> {
    // Independence first: a conflicted admin learns nothing more about the request.
    check_independent(conn, req.cohort_id, req.user_id, actor)?;
    let scope = scope_of(course, req.scope)?;
    let cohort = cohorts::store::find_cohort(conn, req.cohort_id)?.ok_or(AppError::NotFound)?;
    if cohorts::store::find_member_role(conn, req.cohort_id, req.user_id)?
        != Some(MemberRole::Trainee)
    {
        return Err(AppError::from(CredentialError::NotATrainee(
            "the user is not a trainee of this cohort".into(),
        )));
    }
    let holder = accounts::get_user(conn, req.user_id)?;
    let elig = eligibility(conn, req.cohort_id, course, Some(req.user_id))?
        .into_iter()
        .find(|e| e.scope == req.scope)
        .ok_or(AppError::NotFound)?;
    let override_reason = req.override_reason.map(str::trim).filter(|r| !r.is_empty());
    if !elig.eligible && override_reason.is_none() {
        let unmet: Vec<String> = elig
            .criteria
            .iter()
            .filter(|c| !c.met)
            .map(|c| c.name.clone())
            .collect();
        return Err(AppError::from(CredentialError::NotEligible {
            message: format!("not eligible: {}", unmet.join(", ")),
            details: json!({ "unmet": unmet }),
        }));
    }
    issue_with_retry(
        conn,
        issuer,
        course,
        &Grant {
            scope,
            cohort: &cohort,
            holder: &holder,
            actor,
            req,
            override_reason,
            eligible: elig.eligible,
            renewal: None,
        },
    )
}

/// Everything one issuing (or renewal) needs, checked by its caller.
#[derive(Clone, Copy)]
pub(crate) struct Grant<'a> {
    pub scope: &'a Scope,
    pub cohort: &'a cohorts::store::CohortRow,
    pub holder: &'a User,
    pub actor: &'a User,
    pub req: &'a IssueRequest<'a>,
    pub override_reason: Option<&'a str>,
    pub eligible: bool,
    /// For a renewal, its reason: the credential `req.renews_id` expires in the same
    /// transaction.
    pub renewal: Option<&'a str>,
}

/// Issues (or renews), retrying when the first number of a new year races with another issuer
/// on the counter row.
pub(crate) fn issue_with_retry(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    g: &Grant<'_>,
) -> Result<CredentialView, AppError> {
    let req = g.req;
    keys::ensure(conn)?;
    let mut last = None;
    for _ in 0..3 {
        match issue_once(conn, issuer, course, g) {
            Err(AppError::Conflict {
                code: "already_exists",
                ..
            }) if cohorts::store::find_cohort(conn, req.cohort_id)?.is_some() => {
                if store::find_live(conn, req.user_id, req.scope)?.is_some() {
                    return Err(AppError::from(CredentialError::AlreadyActive(
                        "this person already holds a live credential of this scope".into(),
                    )));
                }
                last = Some(AppError::from(CredentialError::AlreadyActive(
                    "please try again".into(),
                )));
            }
            other => return other,
        }
    }
    Err(
        last.unwrap_or(AppError::from(CredentialError::AlreadyActive(
            "please try again".into(),
        ))),
    )
}

pub(super) fn issue_once(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    g: &Grant<'_>,
) -> Result<CredentialView, AppError> {
    let Grant {
        scope,
        cohort,
        holder,
        actor,
        req,
        override_reason,
        eligible,
        renewal,
    } = *g;
    let t = now();
    let id = CredentialId::random();
    let row = write_tx(conn, |conn| {
        if let (Some(old), Some(reason)) = (req.renews_id, renewal) {
            // The renewed credential ends when its successor starts, in one transaction.
            if store::set_status(
                conn,
                old,
                &[CredentialStatus::Active, CredentialStatus::Expired],
                CredentialStatus::Expired,
                Some(reason),
                None,
                t,
            )? == 0
            {
                return Err(AppError::from(CredentialError::BadTransition(
                    "only an active or expired credential can be renewed".into(),
                )));
            }
        }
        if store::find_live(conn, &holder.id, &scope.id)?.is_some() {
            return Err(AppError::from(CredentialError::AlreadyActive(
                "this person already holds a live credential of this scope".into(),
            )));
        }
        let fy = crate::dates::fiscal_year_be(t.date());
        let series = format!("{}-{fy}", issuer.prefix);
        let n = store::next_number(conn, &series)?;
        let number = format!("{series}-{n:04}");
        let status_index = store::next_status_index(conn)?;
        let until = t
            .checked_add_months(Months::new(scope.validity_months))
            .unwrap_or(t);
        let mut payload = badge(
            &Ctx { issuer, course },
            &BadgeFacts {
                scope,
                id: &id,
                number: &number,
                holder,
                from: t,
                until,
                status_index,
            },
        );
        if let Some(obj) = payload.as_object_mut() {
            obj.insert("iss".into(), json!(issuer.url("/issuer")));
            obj.insert(
                "jti".into(),
                json!(issuer.url(&format!("/credentials/{id}"))),
            );
            obj.insert(
                "sub".into(),
                json!(format!("urn:assessor-academy:holder:{}", holder.id)),
            );
            obj.insert("nbf".into(), json!(t.and_utc().timestamp()));
            obj.insert("exp".into(), json!(until.and_utc().timestamp()));
        }
        let (jwt, kid) = sign(issuer, &payload, conn)?;
        let row = CredentialRow {
            id: id.clone(),
            number: number.clone(),
            user_id: holder.id.clone(),
            cohort_id: cohort.id.clone(),
            programme_id: course.programme.id.clone(),
            scheme_version: course.programme.version as i32,
            scope: scope.id.clone(),
            status: CredentialStatus::Active.as_str().into(),
            status_reason: None,
            status_changed_at: None,
            status_index,
            issued_at: t,
            valid_from: t,
            valid_until: until,
            kid,
            credential_jwt: jwt,
            override_reason: override_reason.map(str::to_string),
            renews_id: req.renews_id.cloned(),
            issued_by: Some(actor.id.to_string()),
            reminder_sent_at: None,
            status_detail: None,
        };
        store::insert(conn, &row)?;
        if req.decision_id.is_none() {
            let rationale = match (renewal, override_reason) {
                (Some(r), _) => format!("{}{r}", crate::governance::DIRECT_RENEWAL),
                (None, Some(o)) => format!("{}{o}", crate::governance::DIRECT_OVERRIDE),
                (None, None) => crate::governance::DIRECT_ELIGIBLE.to_string(),
            };
            crate::governance::record_direct(
                conn,
                &crate::governance::DirectDecision {
                    cohort_id: &cohort.id,
                    user_id: &holder.id,
                    scope: &scope.id,
                    admin_id: &actor.id,
                    rationale: &rationale,
                    credential_id: &id,
                    at: t,
                },
            )?;
        }
        let action = if req.renews_id.is_some() {
            "renew"
        } else {
            "issue"
        };
        store::audit(
            conn,
            Some(&actor.id),
            action,
            AuditSubject::of(&id),
            &json!({"number": number, "scope": scope.id, "user_id": holder.id, "cohort_id": cohort.id,
                    "eligible": eligible, "override_reason": override_reason, "renews_id": req.renews_id,
                    "renewal_reason": renewal, "scheme_version": course.programme.version}),
            t,
        )?;
        let to = accounts::model::EmailAddress::parse(&holder.email).map_err(AppError::invalid)?;
        email::enqueue(
            conn,
            email::Outgoing {
                template: "credential_issued",
                to: &to,
                to_name: &holder.name,
                language: holder.language,
                context: json!({"name": holder.name, "number": number, "scope_th": scope.title_th, "scope_en": scope.title_en,
                                "valid_until": until.date().to_string(), "link": issuer.url(&format!("/verify/{id}"))}),
            },
        )?;
        Ok(row)
    })?;
    view(conn, row, issuer)
}

/// Issues to every eligible trainee of a cohort who has no live credential of the scope.
#[tracing::instrument(level = "debug", skip_all)]
pub fn issue_all_eligible(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    actor: &User,
    cohort_id: &crate::cohorts::model::CohortId,
    scope: &str,
) -> Result<HashMap<String, Vec<String>>, AppError> {
    if actor.role != accounts::model::Role::Admin {
        return Err(AppError::Forbidden);
    }
    if cohorts::ever_taught(conn, cohort_id, &actor.id)? {
        return Err(AppError::from(CredentialError::NotIndependent("you teach or taught this cohort: an admin who took no part in the training must decide".into())));
    }
    crate::cohorts::store::find_cohort(conn, cohort_id)?.ok_or(AppError::NotFound)?;
    scope_of(course, scope)?;
    let mut report: HashMap<String, Vec<String>> = HashMap::new();
    for e in eligibility(conn, cohort_id, course, None)?
        .into_iter()
        .filter(|e| e.scope == scope)
    {
        if !e.eligible {
            report
                .entry("not_eligible".into())
                .or_default()
                .push(e.user_id.into());
            continue;
        }
        let req = IssueRequest {
            cohort_id,
            user_id: &e.user_id,
            scope,
            override_reason: None,
            renews_id: None,
            decision_id: None,
        };
        match issue(conn, issuer, course, actor, &req) {
            Ok(c) => report.entry("issued".into()).or_default().push(c.number),
            Err(AppError::Conflict {
                code: "not_independent",
                ..
            }) => report
                .entry("not_independent".into())
                .or_default()
                .push(e.user_id.into()),
            Err(AppError::Conflict { .. }) => report
                .entry("already_holding".into())
                .or_default()
                .push(e.user_id.into()),
            Err(err) => return Err(err),
        }
    }
    Ok(report)
}
