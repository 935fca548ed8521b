//! Status changes: suspend, reinstate, revoke, withdraw a scope; audited, mailed to the holder.

use super::*;
use crate::credentials::error::CredentialError;

/// A status change an admin may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Suspend,
    Reinstate,
    Revoke,
    /// Scope reduction: the holder loses this scope (e.g. keeps "product", loses "service").
    /// The credential is revoked for good, marked `scope_withdrawn`; other scopes stay.
    Withdraw,
}

/// Suspends, reinstates or revokes (final) a credential, with a reason, an audit row and a
/// mail to the holder in the same transaction. Verification sees it on the next request.
#[tracing::instrument(level = "debug", skip_all)]
pub fn change_status(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    actor: &User,
    id: &crate::credentials::model::CredentialId,
    action: StatusAction,
    reason: &str,
) -> Result<CredentialView, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::from(CredentialError::Invalid(
            "reason: say why, in 1 to 1000 characters".into(),
        )));
    }
    let detail = (action == StatusAction::Withdraw).then_some(model::SCOPE_WITHDRAWN);
    use CredentialStatus::{Active, Revoked, Suspended};
    let (from, to, verb, template): (&[CredentialStatus], CredentialStatus, &str, Option<&str>) =
        match action {
            StatusAction::Suspend => (
                &[Active],
                Suspended,
                "suspend",
                Some("credential_suspended"),
            ),
            StatusAction::Reinstate => (
                &[Suspended],
                Active,
                "reinstate",
                Some("credential_reinstated"),
            ),
            StatusAction::Revoke => (
                &[Active, Suspended],
                Revoked,
                "revoke",
                Some("credential_revoked"),
            ),
            StatusAction::Withdraw => (
                &[Active, Suspended],
                Revoked,
                "withdraw_scope",
                Some("credential_scope_withdrawn"),
            ),
        };
    let t = now();
    let row = write_tx(conn, |conn| {
        let row = store::find(conn, id)?.ok_or(AppError::NotFound)?;
        if store::set_status(conn, id, from, to, Some(reason), detail, t)? == 0 {
            let what = match action {
                StatusAction::Withdraw => "have its scope withdrawn".to_string(),
                _ => format!("be {verb}d"),
            };
            return Err(AppError::from(CredentialError::BadTransition(format!(
                "a {} credential cannot {what}",
                row.status
            ))));
        }
        store::audit(
            conn,
            Some(&actor.id),
            verb,
            AuditSubject::of(id),
            &json!({"reason": reason, "from": row.status, "to": to.as_str(), "scope": row.scope, "detail": detail}),
            t,
        )?;
        if let Some(template) = template {
            let holder = accounts::get_user(conn, &row.user_id)?;
            // A scope withdrawal tells the holder which scopes they keep.
            let kept: Vec<String> = store::of_user(conn, &row.user_id)?
                .into_iter()
                .filter(|c| c.id != row.id && effective_status(c, t) == CredentialStatus::Active)
                .map(|c| scope_title(course, &c.scope, holder.language))
                .collect();
            let to_addr =
                accounts::model::EmailAddress::parse(&holder.email).map_err(AppError::invalid)?;
            email::enqueue(
                conn,
                email::Outgoing {
                    template,
                    to: &to_addr,
                    to_name: &holder.name,
                    language: holder.language,
                    context: json!({"name": holder.name, "number": row.number, "reason": reason,
                        "scope": scope_title(course, &row.scope, holder.language), "kept": kept,
                        "link": issuer.url(&format!("/verify/{id}"))}),
                },
            )?;
        }
        store::find(conn, id)?.ok_or(AppError::NotFound)
    })?;
    view(conn, row, issuer)
}
