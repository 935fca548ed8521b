//! The learning journey in the browser: dashboard, cohort page, reading, issuing from the
//! cohort page, and the admins' cohort list. Taking quizzes is in `quiz.rs`.

mod cohort_pages;
mod content;
mod credentials_page;
mod dashboard;

pub use cohort_pages::*;
pub use content::*;
pub use credentials_page::*;
pub use dashboard::*;

use crate::credentials::model::CredentialStatus;
use crate::http::ui::guard::{CsrfForm, NoFields, PageAdmin, PageTrainee, PageUser};
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{lang_of, pick, see_other, strings, Page};
use crate::accounts::{model::Language, model::Role, User};
use crate::cohorts::{self, model::MemberRole, Access};
use crate::credentials;
use crate::dates;
use crate::error::{escape_html, AppError, PageError};
use crate::http::AppState;
use crate::quizzes;

pub(super) fn status_label(lang: Language, status: impl std::fmt::Display) -> String {
    strings(lang)
        .get(&format!("status_{status}"))
        .cloned()
        .unwrap_or_else(|| status.to_string())
}

pub(super) fn date_range(lang: Language, from: &str, to: &str) -> String {
    let f = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(|d| dates::format_date(d, lang))
            .unwrap_or_else(|_| s.to_string())
    };
    format!("{} – {}", f(from), f(to))
}
