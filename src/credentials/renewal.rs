//! Renewal along the scheme's recertification path: where a holder stands, the renewal itself
//! (linked to the credential it renews), and the reminders when the window opens.

use crate::credentials::error::CredentialError;
use crate::ids::AuditSubject;
use chrono::{Months, NaiveDateTime};
use serde::Serialize;
use serde_json::json;

use super::*;

/// Where a holder stands on the scheme's renewal path for one credential.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recertification {
    pub credential_id: super::model::CredentialId,
    pub scope: String,
    /// Whether the scheme defines a renewal path (refresher modules, recertification quizzes).
    pub defined: bool,
    /// Renewal work counts from this moment (the scheme's window before expiry).
    #[serde(with = "crate::dates::utc")]
    pub window_opens_at: NaiveDateTime,
    pub open: bool,
    /// `module:<slug>` read and `quiz:<slug>` passed since the window opened.
    pub criteria: Vec<Criterion>,
    /// The path is defined, open and every criterion met: an admin can renew.
    pub ready: bool,
}

/// The renewal path of a credential's scope and how far its holder is along it. Work counts
/// in any cohort (a recertification cohort, typically), from the window's opening on.
pub fn recertification(
    conn: &mut DbConnection,
    course: &Course,
    row: &CredentialRow,
) -> Result<Recertification, AppError> {
    let scope = scope_of(course, &row.scope)?;
    let opens = match scope.recert_window_months {
        Some(m) => row
            .valid_until
            .checked_sub_months(Months::new(m))
            .unwrap_or(row.valid_from),
        None => row.valid_until - chrono::Duration::days(REMINDER_DAYS),
    }
    .max(row.valid_from);
    let open = now() >= opens;
    let read = crate::course::store::modules_read_since(conn, &row.user_id, opens)?;
    let passed: Vec<String> = crate::quizzes::store::attempts_of_user(conn, &row.user_id)?
        .into_iter()
        .filter(|a| a.passed == Some(true) && a.finished_at.is_some_and(|f| f >= opens))
        .map(|a| a.quiz_slug)
        .collect();
    let mut criteria = vec![Criterion {
        name: "window_open".into(),
        met: open,
    }];
    criteria.extend(scope.recert_modules.iter().map(|m| Criterion {
        name: format!("module:{m}"),
        met: read.contains(m),
    }));
    criteria.extend(scope.recert_quizzes.iter().map(|q| Criterion {
        name: format!("quiz:{q}"),
        met: passed.contains(q),
    }));
    let defined = scope.has_recertification();
    Ok(Recertification {
        credential_id: row.id.clone(),
        scope: row.scope.clone(),
        defined,
        window_opens_at: opens,
        open,
        ready: defined && criteria.iter().all(|c| c.met),
        criteria,
    })
}

/// The renewal path of one credential, for its holder or an admin.
pub fn recertification_for(
    conn: &mut DbConnection,
    course: &Course,
    id: &crate::credentials::model::CredentialId,
    user: &User,
) -> Result<Recertification, AppError> {
    let row = store::find(conn, id)?.ok_or(AppError::NotFound)?;
    if row.user_id != user.id && user.role != Role::Admin {
        return Err(AppError::NotFound);
    }
    recertification(conn, course, &row)
}

/// A renewal criterion (`module:<slug>`, `quiz:<slug>`) named by the module's or quiz's title.
pub fn step_title(course: &Course, name: &str, lang: Language) -> String {
    let en = lang == Language::En;
    if let Some(slug) = name.strip_prefix("module:") {
        if let Some(m) = course.modules.iter().find(|m| m.slug == slug) {
            return if en {
                m.en.title.clone()
            } else {
                m.th.title.clone()
            };
        }
    }
    if let Some(slug) = name.strip_prefix("quiz:") {
        if let Some(q) = course.quizzes.iter().find(|q| q.slug == slug) {
            return if en {
                q.title_en.clone()
            } else {
                q.title_th.clone()
            };
        }
    }
    name.to_string()
}

/// Renews a credential under the current scheme: refused until the holder has completed the
/// scheme's renewal path (refresher modules and recertification quizzes since the window
/// opened) unless an admin gives a written, audited override. The new credential links to the
/// old one (`renews_id`), and the old one expires in the same transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub fn renew(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    actor: &User,
    id: &crate::credentials::model::CredentialId,
    reason: &str,
    override_reason: Option<&str>,
) -> Result<CredentialView, AppError> {
    let old = store::find(conn, id)?.ok_or(AppError::NotFound)?;
    // A renewal is a certification decision: only an admin independent of the training.
    super::check_independent(conn, &old.cohort_id, &old.user_id, actor)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::from(CredentialError::Invalid(
            "reason: say why, in 1 to 1000 characters".into(),
        )));
    }
    let override_reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if override_reason.is_some_and(|r| r.chars().count() > 1000) {
        return Err(AppError::from(CredentialError::Invalid(
            "override_reason: at most 1000 characters".into(),
        )));
    }
    match effective_status(&old, now()) {
        super::model::CredentialStatus::Revoked => {
            return Err(AppError::from(CredentialError::BadTransition(
                "a revoked credential cannot be renewed".into(),
            )))
        }
        super::model::CredentialStatus::Suspended => {
            return Err(AppError::from(CredentialError::BadTransition(
                "a suspended credential cannot be renewed: reinstate it or withdraw it first"
                    .into(),
            )))
        }
        _ => {}
    }
    let rc = recertification(conn, course, &old)?;
    if !rc.ready && override_reason.is_none() {
        let unmet: Vec<String> = rc
            .criteria
            .iter()
            .filter(|c| !c.met)
            .map(|c| c.name.clone())
            .collect();
        let message = if rc.defined {
            format!("the renewal path is not complete: {}", unmet.join(", "))
        } else {
            "the scheme defines no renewal path for this scope: give override_reason".to_string()
        };
        return Err(AppError::from(CredentialError::RecertificationNotMet {
            message,
            details: json!({"unmet": unmet, "window_opens_at": crate::dates::utc::to_string(&rc.window_opens_at)}),
        }));
    }
    let scope = scope_of(course, &old.scope)?;
    let cohort = cohorts::store::find_cohort(conn, &old.cohort_id)?.ok_or(AppError::NotFound)?;
    let holder = accounts::get_user(conn, &old.user_id)?;
    let req = IssueRequest {
        cohort_id: &old.cohort_id,
        user_id: &old.user_id,
        scope: &old.scope,
        override_reason,
        renews_id: Some(id),
        decision_id: None,
    };
    issue_with_retry(
        conn,
        issuer,
        course,
        &Grant {
            scope,
            cohort: &cohort,
            holder: &holder,
            actor,
            req: &req,
            override_reason,
            eligible: rc.ready,
            renewal: Some(reason),
        },
    )
}

/// Days before expiry when the holder is reminded, when the scheme sets no renewal window.
pub const REMINDER_DAYS: i64 = 90;

/// Queues a reminder to every holder whose active credential enters its renewal window (the
/// scheme's `recert_window_months` before expiry, or 90 days), once per credential, naming the
/// scheme's renewal path.
#[tracing::instrument(level = "debug", skip_all)]
pub fn send_expiry_reminders(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
) -> Result<usize, AppError> {
    let t = now();
    let widest = course
        .programme
        .scopes
        .iter()
        .filter_map(|s| s.recert_window_months)
        .max()
        .map_or(REMINDER_DAYS, |m| (i64::from(m) * 31).max(REMINDER_DAYS));
    let mut n = 0;
    for row in store::due_for_reminder(conn, t, t + chrono::Duration::days(widest), 500)? {
        let rc = recertification(conn, course, &row)?;
        if !rc.open {
            continue;
        }
        let sent = write_tx(conn, |conn| {
            if store::mark_reminded(conn, &row.id, t)? == 0 {
                return Ok::<_, AppError>(false);
            }
            let holder = accounts::get_user(conn, &row.user_id)?;
            let to =
                accounts::model::EmailAddress::parse(&holder.email).map_err(AppError::invalid)?;
            let steps: Vec<String> = rc
                .criteria
                .iter()
                .filter(|c| c.name != "window_open")
                .map(|c| step_title(course, &c.name, holder.language))
                .collect();
            email::enqueue(
                conn,
                email::Outgoing {
                    template: "credential_expiring",
                    to: &to,
                    to_name: &holder.name,
                    language: holder.language,
                    context: json!({"name": holder.name, "number": row.number,
                                    "valid_until": crate::dates::format_date(row.valid_until.date(), holder.language),
                                    "steps": steps, "link": issuer.url("/")}),
                },
            )?;
            store::audit(
                conn,
                None,
                "expiry_reminder",
                AuditSubject::of(&row.id),
                &json!({"valid_until": iso(row.valid_until), "window_opens_at": iso(rc.window_opens_at)}),
                t,
            )?;
            Ok(true)
        })?;
        if sent {
            n += 1;
        }
    }
    Ok(n)
}
