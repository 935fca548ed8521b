//! Certification governance in the browser: an instructor recommends, an admin who took no part
//! in the training decides (declaring any conflict of interest), a trainee appeals, and a
//! reviewer who took no part in what is appealed decides the appeal.

mod appeals;
mod decisions;

pub use appeals::{appeals_page, decide_appeal, file_appeal};
pub use decisions::{create_recommendation, decide_recommendation, decisions_page, recommend_page};

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};

use super::{form_status, lang_of, pick, see_other, strings, Page};
use crate::accounts::model::{Language, Role};
use crate::accounts::{self, User};
use crate::cohorts::{self, model::MemberRole, Access};
use crate::course::model::Course;
use crate::credentials;
use crate::dates;
use crate::db::DbConnection;
use crate::error::{AppError, PageError};
use crate::governance::{
    self, AppealDecision, AppealRequest, AppealSubject, DecideRequest, Decision, RecommendRequest,
    APPEAL_WINDOW_DAYS,
};
use crate::http::AppState;

/// How many decided recommendations, and closed appeals, the admin pages show.
const RECENT: i64 = 100;

fn label(lang: Language, key: &str) -> String {
    strings(lang).get(key).cloned().unwrap_or_default()
}

/// A stored UTC time as a Bangkok calendar day (B.E. in Thai).
fn day(t: NaiveDateTime, lang: Language) -> String {
    let local = chrono::Utc
        .from_utc_datetime(&t)
        .with_timezone(&dates::bangkok());
    dates::format_date(local.date_naive(), lang)
}

/// Free text split into lines, so the template can keep the line breaks without `|safe`.
fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

/// A recorded rationale or recommendation in the page's words: the phrases the service itself
/// records for a direct decision (kept as recorded, in English, in the data and the API) are
/// said in the page's language; what a person wrote is shown as written.
fn recorded_lines(lang: Language, s: &str) -> Vec<String> {
    let say = |key: &str| strings(lang).get(key).cloned().unwrap_or_default();
    let words = if s == crate::governance::DIRECT_ELIGIBLE {
        say("gov_direct_eligible")
    } else if s == crate::governance::DIRECT_NO_RECOMMENDATION {
        say("gov_direct_no_recommendation")
    } else if let Some(r) = s.strip_prefix(crate::governance::DIRECT_RENEWAL) {
        say("gov_direct_renewal").replace("{reason}", r)
    } else if let Some(r) = s.strip_prefix(crate::governance::DIRECT_OVERRIDE) {
        say("gov_direct_override").replace("{reason}", r)
    } else {
        s.to_string()
    };
    lines(&words)
}

/// `grant`, `refuse`, `upheld`, `dismissed` as words; nothing yet is "pending".
fn outcome_label(lang: Language, outcome: Option<&str>) -> String {
    match outcome {
        Some(o) => strings(lang)
            .get(&format!("gov_outcome_{o}"))
            .cloned()
            .unwrap_or_else(|| o.to_string()),
        None => label(lang, "gov_status_pending"),
    }
}

/// A refusal from the governance service as text for the page, in the page's language where
/// the string tables have it (`gov_err_field_<field>` for invalid input,
/// `gov_err_<context>_<code>`, `gov_err_<code>`), else the service's own message.
fn refusal(lang: Language, context: &str, e: &AppError) -> String {
    let t = strings(lang);
    let code = e.code();
    let mut keys = Vec::new();
    if let AppError::Validation { message, .. } = e {
        if let Some((field, _)) = message.split_once(':') {
            keys.push(format!("gov_err_field_{}", field.trim()));
        }
    }
    keys.push(format!("gov_err_{context}_{code}"));
    keys.push(format!("gov_err_{code}"));
    keys.iter()
        .find_map(|k| t.get(k).cloned())
        .unwrap_or_else(|| super::error_text(lang, e))
}

/// Names of people and cohorts for one page, each looked up once.
struct Labels {
    lang: Language,
    people: HashMap<String, String>,
    cohorts: HashMap<String, (String, Option<MemberRole>)>,
}

impl Labels {
    fn new(lang: Language) -> Labels {
        Labels {
            lang,
            people: HashMap::new(),
            cohorts: HashMap::new(),
        }
    }

    /// A person's name in the page's language (the English name when there is one); the id
    /// when the account is gone.
    fn person(
        &mut self,
        conn: &mut DbConnection,
        id: &crate::accounts::model::UserId,
    ) -> Result<String, AppError> {
        if let Some(n) = self.people.get(id.as_str()) {
            return Ok(n.clone());
        }
        let name = match accounts::get_user(conn, id) {
            Ok(u) => match (&u.name_en, self.lang) {
                (Some(en), Language::En) if !en.trim().is_empty() => en.clone(),
                _ => u.name,
            },
            Err(AppError::NotFound) => id.to_string(),
            Err(e) => return Err(e),
        };
        self.people.insert(id.to_string(), name.clone());
        Ok(name)
    }

    /// A cohort's name and the viewer's role in it; the id when the viewer may not see it.
    fn cohort(
        &mut self,
        conn: &mut DbConnection,
        id: &crate::cohorts::model::CohortId,
        viewer: &User,
    ) -> Result<(String, Option<MemberRole>), AppError> {
        if let Some(c) = self.cohorts.get(id.as_str()) {
            return Ok(c.clone());
        }
        let c = match cohorts::get_cohort(conn, id, viewer) {
            Ok(c) => (pick(self.lang, &c.name_th, &c.name_en), c.my_role),
            Err(AppError::NotFound | AppError::Forbidden) => (id.to_string(), None),
            Err(e) => return Err(e),
        };
        self.cohorts.insert(id.to_string(), c.clone());
        Ok(c)
    }
}

/// An option of a select list.
#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}
