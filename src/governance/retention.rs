//! Retention: how long each kind of record is kept, and the purge that applies it. The
//! service runs [`purge`] once a day; `academy purge [--dry-run]` runs it by hand.
//!
//! What the public register and the evidence of certification need is kept longest; records
//! that only served the training (answers, attendance, reading progress) go five years after
//! the cohort ends, unless the person still holds a live credential granted from that cohort
//! or an appeal about the record is open. Identity is erased on request (PDPA), not by age:
//! see [`super::erase_person`].

use chrono::{Months, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{
    appeals, attempt_answers, attempts, attendance, audit_log, certification_decisions,
    cohort_sessions, cohorts, coi_declarations, credentials, login_throttle, module_progress,
    one_time_tokens, outbox_emails,
};
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;

/// One retention rule: which records, and how long they are kept.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Rule {
    /// Stable key, as in the purge report.
    pub key: &'static str,
    pub records: &'static str,
    pub rule: &'static str,
    pub records_th: &'static str,
    pub rule_th: &'static str,
}

/// Every rule the service applies (shown with every certification record and in the README).
pub const RULES: &[Rule] = &[
    Rule {
        key: "credentials",
        records: "credentials",
        rule: "kept while valid, suspended or listed by the register, and 10 years after they end (expiry, renewal or revocation)",
        records_th: "ใบรับรอง",
        rule_th: "เก็บไว้ตลอดช่วงที่ใช้ได้ ถูกพักใช้ หรือแสดงในทะเบียน และอีก 10 ปีหลังสิ้นสุด (หมดอายุ ต่ออายุ หรือถูกเพิกถอน)",
    },
    Rule {
        key: "evidence",
        records: "decisions, appeals, conflict-of-interest declarations, audit log",
        rule: "kept 10 years: the evidence of how each person was certified (open appeals are kept until decided)",
        records_th: "ผลการตัดสิน การอุทธรณ์ การแจ้งผลประโยชน์ทับซ้อน และบันทึกการตรวจสอบ",
        rule_th: "เก็บไว้ 10 ปี เป็นหลักฐานว่าแต่ละคนได้รับการรับรองอย่างไร (การอุทธรณ์ที่ยังไม่ตัดสินเก็บไว้จนกว่าจะตัดสิน)",
    },
    Rule {
        key: "training",
        records: "quiz attempts and answers, attendance, reading progress",
        rule: "kept 5 years after the cohort ends, and longer while the person holds a live credential granted from that cohort or an appeal about it is open",
        records_th: "การทำแบบทดสอบและคำตอบ การเข้าร่วม และความก้าวหน้าการอ่าน",
        rule_th: "เก็บไว้ 5 ปีหลังรุ่นอบรมสิ้นสุด และนานกว่านั้นหากผู้นั้นยังถือใบรับรองที่ออกจากรุ่นนั้นหรือมีการอุทธรณ์ที่ยังเปิดอยู่",
    },
    Rule {
        key: "outbox",
        records: "e-mail outbox",
        rule: "sent and failed mail kept 1 year; erased with the account",
        records_th: "คิวอีเมล",
        rule_th: "อีเมลที่ส่งแล้วหรือส่งไม่สำเร็จเก็บไว้ 1 ปี และลบพร้อมบัญชี",
    },
    Rule {
        key: "sign_in",
        records: "sign-in throttling and one-time links",
        rule: "kept 30 days after they expire",
        records_th: "การจำกัดการเข้าสู่ระบบและลิงก์ใช้ครั้งเดียว",
        rule_th: "เก็บไว้ 30 วันหลังหมดอายุ",
    },
    Rule {
        key: "identity",
        records: "account identity (name, e-mail, office)",
        rule: "kept while the account is used; erased on request when no live credential needs it (PDPA)",
        records_th: "ข้อมูลประจำตัวของบัญชี (ชื่อ อีเมล สำนักงาน)",
        rule_th: "เก็บไว้ระหว่างที่ใช้บัญชี และลบเมื่อร้องขอหากไม่มีใบรับรองที่ยังมีผลต้องใช้ (PDPA)",
    },
];

/// Years the certification evidence and ended credentials are kept.
pub const EVIDENCE_YEARS: u32 = 10;
/// Years training records are kept after their cohort ends.
pub const TRAINING_YEARS: u32 = 5;
/// Months sent and failed mail is kept.
pub const OUTBOX_MONTHS: u32 = 12;
/// Days expired sign-in records are kept.
pub const SIGN_IN_DAYS: i64 = 30;

/// What one purge removed (or, on a dry run, would remove) from one table.
#[derive(Debug, Clone, Serialize)]
pub struct Purged {
    pub rule: &'static str,
    pub table: &'static str,
    pub removed: i64,
}

fn years_before(t: NaiveDateTime, years: u32) -> NaiveDateTime {
    t.checked_sub_months(Months::new(12 * years)).unwrap_or(t)
}

const CHUNK: usize = 500;

/// Applies every rule as of `now`. With `dry_run` nothing is deleted and the counts are what
/// would go. Each rule runs in its own transaction.
pub fn purge(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    dry_run: bool,
) -> Result<Vec<Purged>, AppError> {
    let mut out = Vec::new();
    let evidence_cutoff = years_before(now, EVIDENCE_YEARS);
    let training_cutoff = years_before(now, TRAINING_YEARS).date().to_string();
    let outbox_cutoff = now
        .checked_sub_months(Months::new(OUTBOX_MONTHS))
        .unwrap_or(now);
    let sign_in_cutoff = now - chrono::Duration::days(SIGN_IN_DAYS);

    // Training records of cohorts that ended more than five years ago.
    let old_cohorts: Vec<String> = cohorts::table
        .filter(cohorts::ends_on.lt(&training_cutoff))
        .select(cohorts::id)
        .load(conn)?;
    let mut answers = 0i64;
    let mut tries = 0i64;
    let mut progress = 0i64;
    let mut present = 0i64;
    for cohort in &old_cohorts {
        // People who still hold a live credential granted from this cohort keep its records.
        let keepers: Vec<String> = credentials::table
            .filter(credentials::cohort_id.eq(cohort))
            .filter(credentials::status.eq_any(["active", "suspended"]))
            .select(credentials::user_id)
            .load(conn)?;
        let appealed: Vec<String> = appeals::table
            .filter(appeals::cohort_id.eq(cohort))
            .filter(appeals::status.eq("open"))
            .select(appeals::subject_id)
            .load(conn)?;
        let doomed: Vec<String> = attempts::table
            .filter(attempts::cohort_id.eq(cohort))
            .filter(attempts::user_id.ne_all(&keepers))
            .filter(attempts::id.ne_all(&appealed))
            .select(attempts::id)
            .load(conn)?;
        let sessions: Vec<String> = cohort_sessions::table
            .filter(cohort_sessions::cohort_id.eq(cohort))
            .select(cohort_sessions::id)
            .load(conn)?;
        let (a, t, p, s) = write_tx(conn, |conn| {
            let mut a = 0i64;
            let mut t = 0i64;
            for ids in doomed.chunks(CHUNK) {
                let answer_rows =
                    attempt_answers::table.filter(attempt_answers::attempt_id.eq_any(ids));
                let attempt_rows = attempts::table.filter(attempts::id.eq_any(ids));
                if dry_run {
                    a += answer_rows.count().get_result::<i64>(conn)?;
                    t += ids.len() as i64;
                } else {
                    a += diesel::delete(answer_rows).execute(conn)? as i64;
                    t += diesel::delete(attempt_rows).execute(conn)? as i64;
                }
            }
            let progress_rows = module_progress::table
                .filter(module_progress::cohort_id.eq(cohort))
                .filter(module_progress::user_id.ne_all(&keepers));
            let attendance_rows = attendance::table
                .filter(attendance::session_id.eq_any(&sessions))
                .filter(attendance::user_id.ne_all(&keepers));
            let (p, s) = if dry_run {
                (
                    progress_rows.count().get_result::<i64>(conn)?,
                    attendance_rows.count().get_result::<i64>(conn)?,
                )
            } else {
                (
                    diesel::delete(progress_rows).execute(conn)? as i64,
                    diesel::delete(attendance_rows).execute(conn)? as i64,
                )
            };
            Ok::<_, AppError>((a, t, p, s))
        })?;
        answers += a;
        tries += t;
        progress += p;
        present += s;
    }
    out.push(Purged {
        rule: "training",
        table: "attempt_answers",
        removed: answers,
    });
    out.push(Purged {
        rule: "training",
        table: "attempts",
        removed: tries,
    });
    out.push(Purged {
        rule: "training",
        table: "module_progress",
        removed: progress,
    });
    out.push(Purged {
        rule: "training",
        table: "attendance",
        removed: present,
    });

    // Credentials that ended more than ten years ago (the register no longer lists them).
    let ended: Vec<String> = credentials::table
        .filter(credentials::status.eq_any(["revoked", "expired", "active"]))
        .filter(
            credentials::valid_until
                .lt(evidence_cutoff)
                .or(credentials::status
                    .eq_any(["revoked", "expired"])
                    .and(credentials::status_changed_at.lt(evidence_cutoff))),
        )
        .select(credentials::id)
        .load(conn)?;
    let n = write_tx(conn, |conn| {
        let mut n = 0i64;
        for ids in ended.chunks(CHUNK) {
            if dry_run {
                n += ids.len() as i64;
                continue;
            }
            // A later credential that renewed one of these keeps its own record, and so does a
            // decision that granted one (until its own time is up, below).
            diesel::update(
                certification_decisions::table
                    .filter(certification_decisions::credential_id.eq_any(ids)),
            )
            .set(certification_decisions::credential_id.eq(None::<String>))
            .execute(conn)?;
            diesel::update(credentials::table.filter(credentials::renews_id.eq_any(ids)))
                .set(credentials::renews_id.eq(None::<String>))
                .execute(conn)?;
            n += diesel::delete(credentials::table.filter(credentials::id.eq_any(ids)))
                .execute(conn)? as i64;
        }
        Ok::<_, AppError>(n)
    })?;
    out.push(Purged {
        rule: "credentials",
        table: "credentials",
        removed: n,
    });

    // Evidence older than ten years.
    let (d, ap, c, au) = write_tx(conn, |conn| {
        let decisions = certification_decisions::table
            .filter(certification_decisions::recommended_at.lt(evidence_cutoff))
            .filter(
                certification_decisions::decided_at
                    .is_null()
                    .or(certification_decisions::decided_at.lt(evidence_cutoff)),
            );
        let appeal_rows = appeals::table
            .filter(appeals::status.eq("decided"))
            .filter(appeals::decided_at.lt(evidence_cutoff));
        let declarations =
            coi_declarations::table.filter(coi_declarations::declared_at.lt(evidence_cutoff));
        let audit_rows = audit_log::table.filter(audit_log::at.lt(evidence_cutoff));
        Ok::<_, AppError>(if dry_run {
            (
                decisions.count().get_result::<i64>(conn)?,
                appeal_rows.count().get_result::<i64>(conn)?,
                declarations.count().get_result::<i64>(conn)?,
                audit_rows.count().get_result::<i64>(conn)?,
            )
        } else {
            (
                diesel::delete(decisions).execute(conn)? as i64,
                diesel::delete(appeal_rows).execute(conn)? as i64,
                diesel::delete(declarations).execute(conn)? as i64,
                diesel::delete(audit_rows).execute(conn)? as i64,
            )
        })
    })?;
    out.push(Purged {
        rule: "evidence",
        table: "certification_decisions",
        removed: d,
    });
    out.push(Purged {
        rule: "evidence",
        table: "appeals",
        removed: ap,
    });
    out.push(Purged {
        rule: "evidence",
        table: "coi_declarations",
        removed: c,
    });
    out.push(Purged {
        rule: "evidence",
        table: "audit_log",
        removed: au,
    });

    // Mail and sign-in records.
    let (m, th, tk) = write_tx(conn, |conn| {
        let mail = outbox_emails::table
            .filter(outbox_emails::status.ne("queued"))
            .filter(outbox_emails::created_at.lt(outbox_cutoff));
        let throttle = login_throttle::table
            .filter(login_throttle::window_started_at.lt(sign_in_cutoff))
            .filter(
                login_throttle::blocked_until
                    .is_null()
                    .or(login_throttle::blocked_until.lt(sign_in_cutoff)),
            );
        let tokens = one_time_tokens::table.filter(one_time_tokens::expires_at.lt(sign_in_cutoff));
        Ok::<_, AppError>(if dry_run {
            (
                mail.count().get_result::<i64>(conn)?,
                throttle.count().get_result::<i64>(conn)?,
                tokens.count().get_result::<i64>(conn)?,
            )
        } else {
            (
                diesel::delete(mail).execute(conn)? as i64,
                diesel::delete(throttle).execute(conn)? as i64,
                diesel::delete(tokens).execute(conn)? as i64,
            )
        })
    })?;
    out.push(Purged {
        rule: "outbox",
        table: "outbox_emails",
        removed: m,
    });
    out.push(Purged {
        rule: "sign_in",
        table: "login_throttle",
        removed: th,
    });
    out.push(Purged {
        rule: "sign_in",
        table: "one_time_tokens",
        removed: tk,
    });

    if !dry_run {
        let total: i64 = out.iter().map(|p| p.removed).sum();
        if total > 0 {
            crate::credentials::store::audit(
                conn,
                None,
                "retention_purge",
                "system",
                "retention",
                &serde_json::to_value(&out).unwrap_or_default(),
                now,
            )?;
        }
    }
    Ok(out)
}
