//! The printable certificate (PDF) and a cohort's certificates as a ZIP.

use super::*;

/// Language-aware scope title for pages.
pub fn scope_title(course: &Course, scope: &str, lang: Language) -> String {
    course
        .programme
        .scopes
        .iter()
        .find(|s| s.id == scope)
        .map(|s| {
            if lang == Language::En {
                s.title_en.clone()
            } else {
                s.title_th.clone()
            }
        })
        .unwrap_or_else(|| scope.to_string())
}

pub(super) fn certificate_text(
    conn: &mut DbConnection,
    course: &Course,
    issuer: &Issuer,
    row: &CredentialRow,
) -> Result<certificate::CertificateText, AppError> {
    let r = store::find_public(conn, &row.id)?.ok_or(AppError::NotFound)?;
    let p = verification::public(conn, course, r)?;
    let status = effective_status(row, now());
    let th = |d: NaiveDateTime| crate::dates::format_date(d.date(), Language::Th);
    let en = |d: NaiveDateTime| crate::dates::format_date(d.date(), Language::En);
    Ok(certificate::CertificateText {
        number: p.number.clone(),
        holder_th: p.holder_name.clone(),
        holder_en: p.holder_name_en.clone(),
        office_th: p.office_name_th.clone(),
        office_en: p.office_name_en.clone(),
        scope_th: p.scope_title_th.clone(),
        scope_en: p.scope_title_en.clone(),
        valid_th: format!("มีผลตั้งแต่ {} ถึง {}", th(p.valid_from), th(p.valid_until)),
        valid_en: format!(
            "Valid from {} until {}",
            en(p.valid_from),
            en(p.valid_until)
        ),
        status_th: match status {
            CredentialStatus::Revoked if p.status_detail.is_some() => {
                Some("ขอบเขตนี้ถูกเพิกถอน / SCOPE WITHDRAWN".into())
            }
            CredentialStatus::Revoked => Some("หนังสือรับรองนี้ถูกเพิกถอนแล้ว / REVOKED".into()),
            CredentialStatus::Suspended => Some("หนังสือรับรองนี้ถูกพักใช้ / SUSPENDED".into()),
            CredentialStatus::Expired => Some("หนังสือรับรองนี้หมดอายุแล้ว / EXPIRED".into()),
            _ => None,
        },
        verify_url: issuer.url(&format!("/verify/{}", row.id)),
    })
}

/// The printable certificate as PDF, for the holder or an admin (others: 404).
#[tracing::instrument(level = "debug", skip_all)]
pub fn certificate_pdf(
    conn: &mut DbConnection,
    course: &Course,
    issuer: &Issuer,
    id: &crate::credentials::model::CredentialId,
    user: &User,
) -> Result<(String, Vec<u8>), AppError> {
    let row = store::find(conn, id)?.ok_or(AppError::NotFound)?;
    if row.user_id != user.id && user.role != Role::Admin {
        return Err(AppError::NotFound);
    }
    let text = certificate_text(conn, course, issuer, &row)?;
    Ok((row.number.clone(), certificate::render(&text)?))
}

/// Every certificate of a cohort as one ZIP of PDFs (admins).
pub fn certificates_zip(
    conn: &mut DbConnection,
    course: &Course,
    issuer: &Issuer,
    cohort_id: &crate::cohorts::model::CohortId,
) -> Result<Vec<u8>, AppError> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for row in store::of_cohort(conn, cohort_id)? {
        let text = certificate_text(conn, course, issuer, &row)?;
        let pdf = certificate::render(&text)?;
        zip.start_file(format!("{}.pdf", row.number), options)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("zip: {e}")))?;
        zip.write_all(&pdf)
            .map_err(|e| AppError::Unexpected(e.into()))?;
    }
    let cursor = zip
        .finish()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("zip: {e}")))?;
    Ok(cursor.into_inner())
}
