//! Completion certificates (วุฒิบัตร, issue 25): a trainee who met the programme's completion
//! rule (time attended, post-test taken, survey answered) receives a certificate of their
//! training, with their hours. It is signed as an Open Badges 3.0 credential (achievement type
//! `CertificateOfCompletion`) with the service's credential key, printed as an A4 PDF with a
//! named signatory, and verified at `/verify/{id}` like the assessor credential. It grants no
//! assessor credential.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::*;
use crate::accounts::model::UserId;
use crate::cohorts::model::CohortId;
use crate::credentials::Issuer;
use crate::ids::AuditSubject;

/// One stored certificate (kept in `store`, with its queries).
pub use super::store::CompletionRow;

crate::id_type!(
    /// A completion certificate's id (a UUID; `/verify/{id}`).
    CompletionId
);
crate::audited!(CompletionId, "completion");

/// Who signs a cohort's certificates.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signatory {
    pub name_th: String,
    pub name_en: String,
    pub position_th: String,
    pub position_en: String,
    /// The signature as a PNG image, base64 (standard alphabet); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_png: Option<String>,
}

/// A certificate as the API lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompletionView {
    pub id: CompletionId,
    pub number: String,
    pub user_id: UserId,
    pub name: String,
    pub office_code: String,
    /// Training hours on the certificate (attended time, in hours, one decimal).
    pub hours: f64,
    #[serde(with = "crate::dates::utc")]
    pub issued_at: NaiveDateTime,
    /// The signed Open Badges 3.0 credential (VC-JWT).
    pub credential_jwt: String,
}

/// What a verifier learns of a certificate: no e-mail, nothing internal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCompletion {
    pub id: CompletionId,
    pub number: String,
    /// Always `completed`.
    pub status: &'static str,
    pub holder_name: String,
    pub holder_name_en: Option<String>,
    pub office_name_th: String,
    pub office_name_en: String,
    pub programme_title_th: String,
    pub programme_title_en: String,
    pub cohort_name_th: String,
    pub cohort_name_en: String,
    pub starts_on: String,
    pub ends_on: String,
    pub hours: f64,
    #[serde(with = "crate::dates::utc")]
    pub issued_at: NaiveDateTime,
    pub signatory_name: String,
    pub signatory_position: String,
}

/// Longest signatory name or position, in characters.
pub const MAX_SIGNATORY_TEXT: usize = 200;
/// Largest signature image, in bytes (decoded).
pub const MAX_SIGNATURE_BYTES: usize = 512 * 1024;

fn hours_of(minutes: i32) -> f64 {
    (f64::from(minutes) / 6.0).round() / 10.0
}

/// A PNG's width and height from its header, or `None` when the bytes are not a PNG.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != MAGIC || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::from(EvaluationError::Invalid(message.into()))
}

/// The cohort's signatory, if one was named.
pub fn signatory(
    conn: &mut DbConnection,
    cohort_id: &CohortId,
) -> Result<Option<Signatory>, AppError> {
    Ok(store::signatory(conn, cohort_id)?)
}

/// Names who signs the cohort's certificates (admins). A new signature replaces the old; an
/// absent one keeps it. Certificates already issued keep the name and position they carry.
pub fn save_signatory(
    conn: &mut DbConnection,
    cohort_id: &CohortId,
    user: &User,
    s: &Signatory,
) -> Result<Signatory, AppError> {
    if user.role != crate::accounts::model::Role::Admin {
        return Err(AppError::Forbidden);
    }
    cohorts::store::find_cohort(conn, cohort_id)?.ok_or(AppError::NotFound)?;
    let bad = |c: char| c.is_control();
    let clean = |name: &str, text: &str| -> Result<String, AppError> {
        let t = text.trim();
        if t.is_empty() || t.chars().count() > MAX_SIGNATORY_TEXT || t.chars().any(bad) {
            return Err(invalid(format!(
                "{name}: 1 to {MAX_SIGNATORY_TEXT} characters of text on one line"
            )));
        }
        Ok(t.to_string())
    };
    let png = match s.signature_png.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(b64) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| invalid("signature_png: a PNG image in base64"))?;
            if bytes.len() > MAX_SIGNATURE_BYTES {
                return Err(invalid(format!(
                    "signature_png: at most {} KB",
                    MAX_SIGNATURE_BYTES / 1024
                )));
            }
            if png_size(&bytes).is_none() || !crate::credentials::certificate::png_renders(&bytes) {
                return Err(invalid(
                    "signature_png: the image is not a PNG that can be read",
                ));
            }
            Some(b64.to_string())
        }
    };
    let previous = signatory(conn, cohort_id)?;
    let out = Signatory {
        name_th: clean("name_th", &s.name_th)?,
        name_en: clean("name_en", &s.name_en)?,
        position_th: clean("position_th", &s.position_th)?,
        position_en: clean("position_en", &s.position_en)?,
        signature_png: png.or(previous.and_then(|p| p.signature_png)),
    };
    let t = crate::util::now();
    write_tx(conn, |conn| {
        store::replace_signatory(conn, cohort_id, &out, &user.id, t)?;
        crate::credentials::store::audit(
            conn,
            Some(&user.id),
            "completion_signatory_set",
            AuditSubject::stored("cohort", cohort_id.as_str()),
            &json!({"name_th": out.name_th, "position_th": out.position_th}),
            t,
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(out)
}

fn views(conn: &mut DbConnection, cohort_id: &CohortId) -> Result<Vec<CompletionView>, AppError> {
    let members = cohorts::store::list_members(conn, cohort_id)?;
    Ok(store::completions_of_cohort(conn, cohort_id)?
        .into_iter()
        .map(|r| {
            let m = members.iter().find(|m| m.user_id == r.user_id);
            CompletionView {
                id: r.id,
                number: r.number,
                name: m.map(|m| m.name.clone()).unwrap_or_default(),
                office_code: m.map(|m| m.office_code.clone()).unwrap_or_default(),
                user_id: r.user_id,
                hours: hours_of(r.minutes),
                issued_at: r.issued_at,
                credential_jwt: r.credential_jwt,
            }
        })
        .collect())
}

/// The cohort's certificates (cohort staff).
pub fn list(
    conn: &mut DbConnection,
    cohort_id: &CohortId,
    user: &User,
) -> Result<Vec<CompletionView>, AppError> {
    cohorts::authorize(conn, cohort_id, user, Access::Staff)?;
    views(conn, cohort_id)
}

/// The certificate of one trainee in a cohort, if issued (for their own pages).
pub fn of_trainee(
    conn: &mut DbConnection,
    cohort_id: &CohortId,
    user_id: &UserId,
) -> Result<Option<CompletionRow>, AppError> {
    Ok(store::completion_of_trainee(conn, cohort_id, user_id)?)
}

/// The Open Badges 3.0 document of a certificate.
fn badge(
    issuer: &Issuer,
    course: &Course,
    row: &CompletionRow,
    holder: &User,
    cohort: &cohorts::store::CohortRow,
) -> serde_json::Value {
    let p = &course.programme;
    let url = |path: &str| issuer.url(path);
    let salt = crate::util::sha256_hex(&format!("salt:{}", row.id))[..16].to_string();
    let identity = format!(
        "sha256${}",
        crate::util::sha256_hex(&format!("{}{salt}", holder.email))
    );
    let hours = hours_of(row.minutes);
    let rule = p.completion.as_ref();
    let criteria = format!(
        "เข้าร่วมการอบรมไม่น้อยกว่าร้อยละ {pct} ของเวลาที่กำหนด{post}{survey} / Attend at least {pct} % of the scheduled time{post_en}{survey_en}.",
        pct = rule.map_or(80, |r| r.min_attendance_percent),
        post = if rule.is_some_and(|r| r.posttest) { " ทำแบบทดสอบหลังการอบรม" } else { "" },
        survey = if rule.is_some_and(|r| r.survey) { " และตอบแบบประเมินความพึงพอใจ" } else { "" },
        post_en = if rule.is_some_and(|r| r.posttest) { ", take the post-test" } else { "" },
        survey_en = if rule.is_some_and(|r| r.survey) { " and answer the satisfaction survey" } else { "" },
    );
    let t = row.issued_at.and_utc();
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": url(&format!("/credentials/{}", row.id)),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": url("/issuer"),
            "type": ["Profile"],
            "name": crate::credentials::ISSUER_NAME,
            "url": url("/"),
        },
        "name": format!("วุฒิบัตร {} / Certificate of completion: {}", p.title_th, p.title_en),
        "description": format!(
            "{} ({}) {} ชั่วโมง / {} ({}), {hours} hours",
            p.title_th, cohort.name_th, hours, p.title_en, cohort.name_en
        ),
        "validFrom": t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "credentialSubject": {
            "id": format!("urn:assessor-academy:holder:{}", holder.id),
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": identity,
                "identityType": "emailAddress",
                "hashed": true,
                "salt": salt,
            }],
            "achievement": {
                "id": url(&format!("/achievements/{}/completion", p.id)),
                "type": ["Achievement"],
                "achievementType": "CertificateOfCompletion",
                "name": format!("{} / {}", p.title_th, p.title_en),
                "description": format!("{} / {}", p.description_th, p.description_en),
                "criteria": { "narrative": criteria },
                "humanCode": row.number,
            },
        },
        "iss": url("/issuer"),
        "jti": url(&format!("/credentials/{}", row.id)),
        "sub": format!("urn:assessor-academy:holder:{}", holder.id),
        "nbf": t.timestamp(),
    })
}

/// Issues the completion certificate to every trainee of the cohort who met the completion
/// rule and has none yet (admins). Returns every certificate of the cohort and how many are
/// new; running it again issues only to those who have met the rule since.
pub fn issue(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    cohort_id: &CohortId,
    actor: &User,
) -> Result<(Vec<CompletionView>, usize), AppError> {
    if actor.role != crate::accounts::model::Role::Admin {
        return Err(AppError::Forbidden);
    }
    let cohort = cohorts::store::find_cohort(conn, cohort_id)?.ok_or(AppError::NotFound)?;
    let Some(rule) = course.programme.completion.clone() else {
        return Err(invalid(
            "the programme names no completion rule (completion_* in programme.toml)",
        ));
    };
    let Some(signatory) = signatory(conn, cohort_id)? else {
        return Err(AppError::Validation {
            code: "signatory_missing",
            message: "name who signs the certificates first (PUT /api/v1/cohorts/{id}/signatory)"
                .into(),
        });
    };
    let report = report::cohort_report(conn, course, cohort_id, actor, Language::Th)?;
    let mut issued = 0;
    for t in report.trainees.iter().filter(|t| t.completed) {
        if of_trainee(conn, cohort_id, &t.user_id)?.is_some() {
            continue;
        }
        let holder: User = crate::accounts::store::find_user(conn, &t.user_id)?
            .ok_or(AppError::NotFound)?
            .try_into()?;
        let minutes = (t.attended_hours * 60.0).round() as i32;
        write_tx(conn, |conn| {
            let now = crate::util::now();
            let fy = crate::dates::fiscal_year_be(now.date());
            let series = format!("{}-{fy}", rule.number_prefix);
            let n = crate::credentials::store::next_number(conn, &series)?;
            let mut row = CompletionRow {
                id: CompletionId::random(),
                number: format!("{series}-{n:04}"),
                user_id: holder.id.clone(),
                cohort_id: cohort_id.clone(),
                minutes,
                issued_at: now,
                issued_by: Some(actor.id.to_string()),
                signatory_name: signatory.name_th.clone(),
                signatory_position: signatory.position_th.clone(),
                kid: String::new(),
                credential_jwt: String::new(),
            };
            let payload = badge(issuer, course, &row, &holder, &cohort);
            let (jwt, kid) = crate::credentials::sign_credential(conn, issuer, &payload)?;
            row.kid = kid;
            row.credential_jwt = jwt;
            store::insert_completion(conn, &row)?;
            crate::credentials::store::audit(
                conn,
                Some(&actor.id),
                "completion_issued",
                AuditSubject::of(&row.id),
                &json!({"number": row.number, "user_id": row.user_id, "minutes": minutes}),
                now,
            )?;
            Ok::<_, AppError>(())
        })?;
        issued += 1;
    }
    Ok((views(conn, cohort_id)?, issued))
}

/// A certificate as a verifier sees it, or `None` for an id that names none.
pub fn verify(
    conn: &mut DbConnection,
    course: &Course,
    id: &CompletionId,
) -> Result<Option<PublicCompletion>, AppError> {
    let Some(row) = store::find_completion(conn, id)? else {
        return Ok(None);
    };
    public(conn, course, row).map(Some)
}

/// The id of the certificate with this number, as printed.
pub fn id_by_number(conn: &mut DbConnection, number: &str) -> Result<Option<String>, AppError> {
    let number = crate::thai::fold_digits(number.trim()).to_uppercase();
    if number.is_empty() || number.len() > 64 {
        return Ok(None);
    }
    Ok(store::completion_id_by_number(conn, &number)?)
}

fn public(
    conn: &mut DbConnection,
    course: &Course,
    row: CompletionRow,
) -> Result<PublicCompletion, AppError> {
    let holder =
        crate::accounts::store::find_user(conn, &row.user_id)?.ok_or(AppError::NotFound)?;
    let cohort = cohorts::store::find_cohort(conn, &row.cohort_id)?.ok_or(AppError::NotFound)?;
    let office = crate::offices::find(&holder.office_code);
    Ok(PublicCompletion {
        id: row.id,
        number: row.number,
        status: "completed",
        holder_name: holder.name,
        holder_name_en: holder.name_en,
        office_name_th: office.map(|o| o.name_th.to_string()).unwrap_or_default(),
        office_name_en: office.map(|o| o.name_en.to_string()).unwrap_or_default(),
        programme_title_th: course.programme.title_th.clone(),
        programme_title_en: course.programme.title_en.clone(),
        cohort_name_th: cohort.name_th,
        cohort_name_en: cohort.name_en,
        starts_on: cohort.starts_on,
        ends_on: cohort.ends_on,
        hours: hours_of(row.minutes),
        issued_at: row.issued_at,
        signatory_name: row.signatory_name,
        signatory_position: row.signatory_position,
    })
}

/// The certificate as PDF, for its holder, the cohort's staff and admins (others: 404).
pub fn pdf(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    id: &CompletionId,
    user: &User,
) -> Result<(String, Vec<u8>), AppError> {
    let row = store::find_completion(conn, id)?.ok_or(AppError::NotFound)?;
    if row.user_id != user.id
        && cohorts::authorize(conn, &row.cohort_id, user, Access::Staff).is_err()
    {
        return Err(AppError::NotFound);
    }
    render(conn, issuer, course, row)
}

fn render(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    row: CompletionRow,
) -> Result<(String, Vec<u8>), AppError> {
    let signature = signatory(conn, &row.cohort_id)?.and_then(|s| s.signature_png);
    let verify_url = issuer.url(&format!("/verify/{}", row.id));
    let p = public(conn, course, row)?;
    let date = |raw: &str, lang| {
        chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(|d| crate::dates::format_date_long(d, lang))
            .unwrap_or_else(|_| raw.to_string())
    };
    let signature_png = signature.and_then(|b64| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(b64).ok()
    });
    let text = crate::credentials::certificate::CompletionText {
        number: p.number.clone(),
        holder_th: p.holder_name.clone(),
        holder_en: p.holder_name_en.clone(),
        office_th: p.office_name_th.clone(),
        programme_th: p.programme_title_th.clone(),
        programme_en: p.programme_title_en.clone(),
        cohort_th: p.cohort_name_th.clone(),
        cohort_en: p.cohort_name_en.clone(),
        dates_th: format!(
            "ระหว่างวันที่ {} ถึงวันที่ {}",
            date(&p.starts_on, Language::Th),
            date(&p.ends_on, Language::Th)
        ),
        dates_en: format!(
            "from {} to {}",
            date(&p.starts_on, Language::En),
            date(&p.ends_on, Language::En)
        ),
        hours: p.hours,
        given_th: format!(
            "ให้ไว้ ณ วันที่ {}",
            crate::dates::format_date_long(crate::dates::local_date(p.issued_at), Language::Th)
        ),
        given_en: format!(
            "Given on {}",
            crate::dates::format_date_long(crate::dates::local_date(p.issued_at), Language::En)
        ),
        signatory_name: p.signatory_name.clone(),
        signatory_position: p.signatory_position.clone(),
        signature_png,
        verify_url,
    };
    let bytes = crate::credentials::certificate::render_completion(&text)?;
    Ok((format!("{}.pdf", p.number), bytes))
}

/// Every certificate of the cohort as PDFs in one ZIP (cohort staff).
pub fn zip(
    conn: &mut DbConnection,
    issuer: &Issuer,
    course: &Course,
    cohort_id: &CohortId,
    user: &User,
) -> Result<Vec<u8>, AppError> {
    use std::io::Write;
    cohorts::authorize(conn, cohort_id, user, Access::Staff)?;
    let rows = store::completions_of_cohort(conn, cohort_id)?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for row in rows {
        let (name, bytes) = render(conn, issuer, course, row)?;
        out.start_file(name, options)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("zip: {e}")))?;
        out.write_all(&bytes)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("zip: {e}")))?;
    }
    let cursor = out
        .finish()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("zip: {e}")))?;
    Ok(cursor.into_inner())
}

/// Removes (or, on a dry run, counts) the certificates issued before `cutoff` (retention).
pub fn purge_issued_before(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    dry_run: bool,
) -> diesel::result::QueryResult<i64> {
    store::purge_completions_issued_before(conn, cutoff, dry_run)
}
