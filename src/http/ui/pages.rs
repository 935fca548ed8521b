//! What the page handlers share: the imports they all use (`use crate::http::ui::pages::*`) and
//! two small formatting helpers.

pub(crate) use crate::credentials::model::CredentialStatus;
pub(crate) use crate::http::ui::guard::{CsrfForm, NoFields, PageAdmin, PageTrainee, PageUser};
pub(crate) use std::collections::HashMap;

pub(crate) use actix_web::http::StatusCode;
pub(crate) use actix_web::{web, HttpRequest, HttpResponse};
pub(crate) use serde::{Deserialize, Serialize};
pub(crate) use serde_json::{json, Value};

pub(crate) use crate::accounts::{model::Language, model::Role, User};
pub(crate) use crate::cohorts::{self, model::MemberRole, Access};
pub(crate) use crate::credentials;
pub(crate) use crate::dates;
pub(crate) use crate::error::{escape_html, AppError, PageError};
pub(crate) use crate::http::ui::{lang_of, pick, see_other, see_other_item, strings, Page};
pub(crate) use crate::http::AppState;
pub(crate) use crate::quizzes;

/// A field of a form read as its list of fields, or the empty string.
pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub(crate) fn status_label(lang: Language, status: impl std::fmt::Display) -> String {
    strings(lang)
        .get(&format!("status_{status}"))
        .cloned()
        .unwrap_or_else(|| status.to_string())
}

pub(crate) fn date_range(lang: Language, from: &str, to: &str) -> String {
    let f = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(|d| dates::format_date(d, lang))
            .unwrap_or_else(|_| s.to_string())
    };
    format!("{} – {}", f(from), f(to))
}
