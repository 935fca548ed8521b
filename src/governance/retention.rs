//! Retention: how long each kind of record is kept, and the purge that applies it. The
//! service runs [`purge`] once a day; `academy purge [--dry-run]` runs it by hand.
//!
//! What the public register and the evidence of certification need is kept longest; records
//! that only served the training (answers, attendance, reading progress) go five years after
//! the cohort ends, unless the person still holds a live credential granted from that cohort
//! or an appeal about the record is open. Identity is erased on request (PDPA), not by age:
//! see [`super::erase_person`].

use crate::ids::AuditSubject;
use chrono::{Months, NaiveDateTime};
use serde::Serialize;

use super::store;
use crate::db::{write_tx, DbConnection};
use crate::error::AppError;
use crate::{cohorts, course, credentials, email, quizzes};

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
        records: "credentials and completion certificates",
        rule: "credentials kept while valid, suspended or listed by the register, and 10 years after they end (expiry, renewal or revocation); completion certificates kept 10 years after they are issued",
        records_th: "หนังสือรับรองและวุฒิบัตร",
        rule_th: "หนังสือรับรองเก็บไว้ตลอดช่วงที่ใช้ได้ ถูกพักใช้ หรือแสดงในทะเบียน และอีก 10 ปีหลังสิ้นสุด (หมดอายุ ต่ออายุ หรือถูกเพิกถอน) วุฒิบัตรเก็บไว้ 10 ปีหลังออก",
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
        records: "quiz attempts and answers (with the marks of written answers), attendance, reading progress, who answered a survey (the answers name no one)",
        rule: "kept 5 years after the cohort ends, and longer while the person holds a live credential granted from that cohort or an appeal about it is open",
        records_th: "การทำแบบทดสอบและคำตอบ (รวมคะแนนจากผู้ตรวจข้อเขียน) การเข้าร่วม ความก้าวหน้าการอ่าน และรายชื่อผู้ตอบแบบประเมิน (คำตอบไม่ระบุผู้ตอบ)",
        rule_th: "เก็บไว้ 5 ปีหลังรุ่นอบรมสิ้นสุด และนานกว่านั้นหากผู้นั้นยังถือหนังสือรับรองที่ออกจากรุ่นนั้นหรือมีการอุทธรณ์ที่ยังเปิดอยู่",
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
        rule_th: "เก็บไว้ระหว่างที่ใช้บัญชี และลบเมื่อร้องขอหากไม่มีหนังสือรับรองที่ยังมีผลต้องใช้ (PDPA)",
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
#[tracing::instrument(level = "debug", skip_all)]
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

    // Training records of cohorts that ended more than five years ago; each domain removes
    // its own rows.
    let old_cohorts = cohorts::store::ended_before(conn, &training_cutoff)?;
    let mut answers = 0i64;
    let mut marks = 0i64;
    let mut respondents = 0i64;
    let mut tries = 0i64;
    let mut progress = 0i64;
    let mut present = 0i64;
    for cohort in &old_cohorts {
        // People who still hold a live credential granted from this cohort keep its records,
        // and so does a record under open appeal.
        let keepers = credentials::store::live_holders_of_cohort(conn, cohort)?;
        let appealed = store::open_appeal_subjects_of_cohort(conn, cohort)?;
        let (a, p, s, r) = write_tx(conn, |conn| {
            let a =
                quizzes::store::purge_cohort_attempts(conn, cohort, &keepers, &appealed, dry_run)?;
            let p = course::store::purge_cohort_progress(conn, cohort, &keepers, dry_run)?;
            let s = cohorts::store::purge_cohort_attendance(conn, cohort, &keepers, dry_run)?;
            let r = crate::evaluation::store::purge_cohort_respondents(
                conn, cohort, &keepers, dry_run,
            )?;
            Ok::<_, AppError>((a, p, s, r))
        })?;
        respondents += r;
        answers += a.answers;
        marks += a.marks;
        tries += a.attempts;
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
        table: "essay_marks",
        removed: marks,
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
    out.push(Purged {
        rule: "training",
        table: "survey_respondents",
        removed: respondents,
    });

    // Credentials that ended more than ten years ago (the register no longer lists them).
    let ended = credentials::store::ended_before(conn, evidence_cutoff)?;
    let n = write_tx(conn, |conn| {
        let mut n = 0i64;
        for ids in ended.chunks(CHUNK) {
            if dry_run {
                n += ids.len() as i64;
                continue;
            }
            // A decision that granted one keeps its record (until its own time is up, below).
            store::unlink_credentials(conn, ids)?;
            n += credentials::store::delete_credentials(conn, ids)? as i64;
        }
        Ok::<_, AppError>(n)
    })?;
    out.push(Purged {
        rule: "credentials",
        table: "credentials",
        removed: n,
    });
    // Completion certificates issued more than ten years ago.
    let n = write_tx(conn, |conn| {
        Ok::<_, AppError>(crate::evaluation::completion::purge_issued_before(
            conn,
            evidence_cutoff,
            dry_run,
        )?)
    })?;
    out.push(Purged {
        rule: "credentials",
        table: "completions",
        removed: n,
    });

    // Evidence older than ten years.
    let (d, ap, c, au) = write_tx(conn, |conn| {
        Ok::<_, AppError>(store::purge_evidence(conn, evidence_cutoff, dry_run)?)
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
        let m = email::store::purge_done(conn, outbox_cutoff, dry_run)?;
        let (th, tk) = crate::accounts::store::purge_sign_in(conn, sign_in_cutoff, dry_run)?;
        Ok::<_, AppError>((m, th, tk))
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
        // Every run is on record, also one that found nothing to remove.
        crate::credentials::store::audit(
            conn,
            None,
            "retention_purge",
            AuditSubject::system("retention"),
            &serde_json::to_value(&out).unwrap_or_default(),
            now,
        )?;
    }
    Ok(out)
}
