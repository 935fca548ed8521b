//! The integrity check after the load: every acknowledged autosave is in the database with
//! the acknowledged value, and every acknowledged submission is graded exactly once.
//!
//! The load generator logs every autosave it sends (acknowledged with a 2xx or not) in the
//! order it sent them; writes to one (attempt, question) are always sent one after the other
//! by one simulated trainee, so that order is the order the server saw them. The stored value
//! must be the last acknowledged one, or a later write whose response was lost (a timeout may
//! still have been applied by the server).

use academy::quizzes::model::AttemptId;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use academy::db::DbConnection;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

/// One autosave as sent.
#[derive(Debug, Clone)]
pub struct AnswerWrite {
    pub attempt_id: String,
    pub question_id: String,
    pub value: Value,
    /// The server answered 2xx.
    pub acked: bool,
}

/// One submit as sent.
#[derive(Debug, Clone)]
pub struct SubmitWrite {
    pub attempt_id: String,
    pub acked: bool,
}

/// Every write of the run, shared by all simulated trainees.
#[derive(Default)]
pub struct AckLog {
    answers: Mutex<Vec<AnswerWrite>>,
    submits: Mutex<Vec<SubmitWrite>>,
}

impl AckLog {
    /// Logs an autosave once its response (or failure) is known.
    pub fn answer(&self, attempt_id: &str, question_id: &str, value: Value, acked: bool) {
        let w = AnswerWrite {
            attempt_id: attempt_id.to_string(),
            question_id: question_id.to_string(),
            value,
            acked,
        };
        self.answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(w);
    }

    /// Logs a submit once its response (or failure) is known.
    pub fn submit(&self, attempt_id: &str, acked: bool) {
        let w = SubmitWrite {
            attempt_id: attempt_id.to_string(),
            acked,
        };
        self.submits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(w);
    }

    /// A copy of everything logged so far.
    pub fn snapshot(&self) -> (Vec<AnswerWrite>, Vec<SubmitWrite>) {
        let a = self
            .answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let s = self
            .submits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        (a, s)
    }
}

/// What the check found. Every list names the rows concerned.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Distinct (attempt, question) pairs with at least one acknowledged autosave.
    pub answers_acknowledged: usize,
    /// Acknowledged, but no row (`attempt/question`).
    pub answers_missing: Vec<String>,
    /// A row, but with another value than the acknowledged one.
    pub answers_mismatched: Vec<String>,
    /// Distinct attempts with an acknowledged submit.
    pub submissions_acknowledged: usize,
    /// Acknowledged submit, but no attempt row.
    pub submissions_missing: Vec<String>,
    /// Acknowledged submit, but not `submitted`, never graded, or without a score.
    pub submissions_not_graded: Vec<String>,
    /// Any logged attempt graded more than once (`grading_count > 1`).
    pub graded_more_than_once: Vec<String>,
}

impl CheckReport {
    /// Acknowledged writes the database does not hold as acknowledged.
    pub fn lost_writes(&self) -> usize {
        self.answers_missing.len()
            + self.answers_mismatched.len()
            + self.submissions_missing.len()
            + self.submissions_not_graded.len()
    }

    /// No lost write and nothing graded twice.
    pub fn is_clean(&self) -> bool {
        self.lost_writes() == 0 && self.graded_more_than_once.is_empty()
    }

    /// The same report with at most `n` names per list (for the JSON report).
    pub fn truncated(&self, n: usize) -> CheckReport {
        let cut = |v: &Vec<String>| v.iter().take(n).cloned().collect::<Vec<_>>();
        CheckReport {
            answers_acknowledged: self.answers_acknowledged,
            answers_missing: cut(&self.answers_missing),
            answers_mismatched: cut(&self.answers_mismatched),
            submissions_acknowledged: self.submissions_acknowledged,
            submissions_missing: cut(&self.submissions_missing),
            submissions_not_graded: cut(&self.submissions_not_graded),
            graded_more_than_once: cut(&self.graded_more_than_once),
        }
    }

    /// One line per finding, for the console and Markdown.
    pub fn summary(&self) -> String {
        format!(
            "acknowledged answers {}: missing {}, wrong value {}; acknowledged submissions {}: \
             missing {}, not graded {}; graded more than once: {}; lost writes: {}",
            self.answers_acknowledged,
            self.answers_missing.len(),
            self.answers_mismatched.len(),
            self.submissions_acknowledged,
            self.submissions_missing.len(),
            self.submissions_not_graded.len(),
            self.graded_more_than_once.len(),
            self.lost_writes()
        )
    }
}

/// Compares the logged writes with the database.
pub fn check(
    conn: &mut DbConnection,
    answers: &[AnswerWrite],
    submits: &[SubmitWrite],
) -> QueryResult<CheckReport> {
    let mut report = CheckReport::default();

    // Every write to one (attempt, question), in the order it was sent.
    let mut history: BTreeMap<(&str, &str), Vec<&AnswerWrite>> = BTreeMap::new();
    for w in answers {
        history
            .entry((w.attempt_id.as_str(), w.question_id.as_str()))
            .or_default()
            .push(w);
    }

    let mut attempt_ids: Vec<AttemptId> = answers
        .iter()
        .map(|w| AttemptId::from(&w.attempt_id))
        .chain(submits.iter().map(|s| AttemptId::from(&s.attempt_id)))
        .collect();
    attempt_ids.sort();
    attempt_ids.dedup();

    // What the database holds for those attempts (chunked: bound-parameter limits).
    let mut stored: HashMap<(String, String), String> = HashMap::new();
    let mut attempt_rows: HashMap<String, (String, i32, Option<f64>)> = HashMap::new();
    for (a, q, json) in academy::quizzes::store::answers_of_many(conn, &attempt_ids)? {
        stored.insert((a.into_string(), q), json);
    }
    for row in academy::quizzes::store::find_attempts(conn, &attempt_ids)? {
        attempt_rows.insert(
            row.id.into_string(),
            (row.state, row.grading_count, row.score),
        );
    }

    for ((attempt, question), writes) in &history {
        let Some(last_ack) = writes.iter().rposition(|w| w.acked) else {
            continue; // never acknowledged: nothing was promised
        };
        report.answers_acknowledged += 1;
        let acceptable = &writes[last_ack..];
        match stored.get(&(attempt.to_string(), question.to_string())) {
            None => report.answers_missing.push(format!("{attempt}/{question}")),
            Some(json) => {
                let found: Option<Value> = serde_json::from_str(json).ok();
                let ok = found
                    .as_ref()
                    .is_some_and(|v| acceptable.iter().any(|w| w.value == *v));
                if !ok {
                    report.answers_mismatched.push(format!(
                        "{attempt}/{question}: acknowledged {}, stored {json}",
                        writes[last_ack].value
                    ));
                }
            }
        }
    }

    let mut acked: Vec<&str> = submits
        .iter()
        .filter(|s| s.acked)
        .map(|s| s.attempt_id.as_str())
        .collect();
    acked.sort();
    acked.dedup();
    report.submissions_acknowledged = acked.len();
    for id in acked {
        match attempt_rows.get(id) {
            None => report.submissions_missing.push(id.to_string()),
            Some((state, graded, score)) => {
                if academy::quizzes::model::AttemptState::of(state)
                    != academy::quizzes::model::AttemptState::Submitted
                    || *graded < 1
                    || score.is_none()
                {
                    report.submissions_not_graded.push(format!(
                        "{id}: state {state}, grading_count {graded}, score {score:?}"
                    ));
                }
            }
        }
    }
    let mut twice: Vec<String> = attempt_rows
        .iter()
        .filter(|(_, (_, graded, _))| *graded > 1)
        .map(|(id, (state, graded, _))| format!("{id}: state {state}, grading_count {graded}"))
        .collect();
    twice.sort();
    report.graded_more_than_once = twice;
    Ok(report)
}

#[cfg(test)]
mod tests {
    // The check is a real check: run against a small SQLite database made by the academy
    // migrations and filled through the academy store functions, it finds a deleted answer
    // row, a changed value and a double grading.

    use std::path::PathBuf;

    use academy::accounts::store::{insert_user, NewUserRow};
    use academy::cohorts::store::{insert_cohort, CohortRow};
    use academy::course::store::{insert_quiz_revision, QuizRevisionRow};
    use academy::db::{run_migrations, DatabaseUrl, Db, DbConnection};
    use academy::quizzes::model::AttemptId;
    use academy::quizzes::store::{finish_attempt, insert_attempt, save_answer, AttemptRow};
    use diesel::prelude::*;
    use serde_json::{json, Value};

    use super::{check, AnswerWrite, SubmitWrite};

    /// Removes the database files at the end of a test.
    struct TempFile(PathBuf);

    impl Drop for TempFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    fn temp_db() -> (TempFile, Db) {
        let path = std::env::temp_dir().join(format!(
            "academy-bench-check-{}.db",
            uuid::Uuid::new_v4().simple()
        ));
        let file = TempFile(path.clone());
        let db = Db::connect(&DatabaseUrl::Sqlite(path), 1).expect("database opens");
        {
            let mut conn = db.get().expect("connection");
            run_migrations(&mut conn).expect("migrations apply");
        }
        (file, db)
    }

    /// One trainee, one cohort, one submitted attempt `a1` with answers q1..q3.
    fn fixture(conn: &mut DbConnection) {
        let now = chrono::Utc::now().naive_utc();
        insert_user(
            conn,
            &NewUserRow {
                id: "u1",
                email: "u1@bench.example",
                name: "นาย ทดสอบ ตรวจนับ",
                name_en: None,
                role: "trainee",
                office_code: "TH-50",
                language: "th",
                password_hash: None,
                token_version: 0,
                disabled: false,
                created_at: now,
                updated_at: now,
            },
        )
        .unwrap();
        insert_cohort(
            conn,
            &CohortRow {
                id: "c1".into(),
                programme_id: "tis-s-assessor".into(),
                generation: 1,
                fiscal_year: 2569,
                name_th: "รุ่นที่ 1".into(),
                name_en: "Generation 1".into(),
                starts_on: "2026-01-05".into(),
                ends_on: "2026-03-31".into(),
                capacity: 10,
                trainee_count: 1,
                enrol_opens_at: None,
                enrol_closes_at: None,
                join_code: "CHECK1".into(),
                status: "running".into(),
                feed_secret: "secret".into(),
                created_at: now,
                updated_at: now,
            },
        )
        .unwrap();
        insert_quiz_revision(
            conn,
            &QuizRevisionRow {
                id: "r1".into(),
                slug: "final-exam".into(),
                content_hash: "hash".into(),
                definition_json: "{}".into(),
                created_at: now,
                cohort_id: None,
            },
        )
        .unwrap();
        insert_attempt(
            conn,
            &AttemptRow {
                id: "a1".into(),
                cohort_id: "c1".into(),
                quiz_slug: "final-exam".into(),
                quiz_revision_id: "r1".into(),
                user_id: "u1".into(),
                attempt_no: 1,
                state: "open".into(),
                layout_json: r#"{"questions":[]}"#.into(),
                started_at: now,
                deadline: now + chrono::Duration::minutes(40),
                finished_at: None,
                score: None,
                max_score: None,
                percent: None,
                passed: None,
                grading_count: 0,
                marking: None,
            },
        )
        .unwrap();
        for (q, v) in answers() {
            save_answer(conn, &AttemptId::from("a1"), &q.into(), &v.to_string(), now).unwrap();
        }
        let graded = finish_attempt(
            conn,
            &AttemptId::from("a1"),
            academy::quizzes::model::AttemptState::Submitted,
            now,
            &academy::quizzes::AttemptResult {
                score: 2.0,
                max_score: 3.0,
                percent: Some(66.67),
                passed: Some(false),
                marking: None,
            },
        )
        .unwrap();
        assert_eq!(graded, 1);
    }

    fn answers() -> Vec<(&'static str, Value)> {
        vec![
            ("q1", json!("o1234567890")),
            ("q2", json!(true)),
            ("q3", json!({"oaaaaaaaaaa": "obbbbbbbbbb"})),
        ]
    }

    /// The log of a trainee who saved q1..q3 (all acknowledged) and submitted.
    fn log() -> (Vec<AnswerWrite>, Vec<SubmitWrite>) {
        let a = answers()
            .into_iter()
            .map(|(q, v)| AnswerWrite {
                attempt_id: "a1".into(),
                question_id: q.into(),
                value: v,
                acked: true,
            })
            .collect();
        let s = vec![SubmitWrite {
            attempt_id: "a1".into(),
            acked: true,
        }];
        (a, s)
    }

    #[test]
    fn every_acknowledged_write_is_found() {
        let (_file, db) = temp_db();
        let mut conn = db.get().unwrap();
        fixture(&mut conn);
        let (a, s) = log();
        let r = check(&mut conn, &a, &s).unwrap();
        assert!(r.is_clean(), "{r:?}");
        assert_eq!((r.answers_acknowledged, r.submissions_acknowledged), (3, 1));
    }

    #[test]
    fn a_deleted_answer_row_is_a_lost_write() {
        let (_file, db) = temp_db();
        let mut conn = db.get().unwrap();
        fixture(&mut conn);
        let deleted = diesel::sql_query(
            "DELETE FROM attempt_answers WHERE attempt_id = 'a1' AND question_id = 'q2'",
        )
        .execute(&mut *conn)
        .unwrap();
        assert_eq!(deleted, 1);
        let (a, s) = log();
        let r = check(&mut conn, &a, &s).unwrap();
        assert_eq!(r.answers_missing, vec!["a1/q2".to_string()]);
        assert_eq!(r.lost_writes(), 1);
        assert!(!r.is_clean());
    }

    #[test]
    fn a_changed_value_is_a_lost_write_but_a_later_unacknowledged_one_is_not() {
        let (_file, db) = temp_db();
        let mut conn = db.get().unwrap();
        fixture(&mut conn);
        let (mut a, s) = log();
        // The trainee then changed q2 to false; the response was lost, the server applied it.
        diesel::sql_query(
            "UPDATE attempt_answers SET answer_json = 'false' \
             WHERE attempt_id = 'a1' AND question_id = 'q2'",
        )
        .execute(&mut *conn)
        .unwrap();
        a.push(AnswerWrite {
            attempt_id: "a1".into(),
            question_id: "q2".into(),
            value: json!(false),
            acked: false,
        });
        let r = check(&mut conn, &a, &s).unwrap();
        assert!(r.is_clean(), "{r:?}");
        // Without that later write in the log, the stored value contradicts the acknowledged one.
        a.pop();
        let r = check(&mut conn, &a, &s).unwrap();
        assert_eq!(r.answers_mismatched.len(), 1, "{r:?}");
        assert_eq!(r.lost_writes(), 1);
    }

    #[test]
    fn ungraded_and_twice_graded_submissions_are_reported() {
        let (_file, db) = temp_db();
        let mut conn = db.get().unwrap();
        fixture(&mut conn);
        let (a, s) = log();
        diesel::sql_query("UPDATE attempts SET grading_count = 2 WHERE id = 'a1'")
            .execute(&mut *conn)
            .unwrap();
        let r = check(&mut conn, &a, &s).unwrap();
        assert_eq!(r.graded_more_than_once.len(), 1, "{r:?}");
        assert!(!r.is_clean());
        diesel::sql_query(
            "UPDATE attempts SET grading_count = 0, state = 'open', score = NULL WHERE id = 'a1'",
        )
        .execute(&mut *conn)
        .unwrap();
        let r = check(&mut conn, &a, &s).unwrap();
        assert_eq!(r.submissions_not_graded.len(), 1, "{r:?}");
        assert_eq!(r.lost_writes(), 1);
    }
}
