//! Course content as loaded from `course_content/`: programme, scopes, modules, quizzes.

use serde::{Deserialize, Serialize};

use crate::quizzes::model::Quiz;

/// The whole content folder, validated.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Course {
    pub programme: Programme,
    /// In order (sorted by slug).
    pub modules: Vec<Module>,
    /// Sorted by slug.
    pub quizzes: Vec<Quiz>,
    /// The training project's surveys (`surveys/<slug>.toml`), sorted by slug.
    pub surveys: Vec<Survey>,
}

/// A survey of the training project (satisfaction): sections of five-level items and open
/// questions. Answers are stored without a link to the person who gave them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    #[serde(default)]
    pub slug: String,
    pub title_th: String,
    pub title_en: String,
    pub description_th: String,
    pub description_en: String,
    pub sections: Vec<SurveySection>,
}

/// A section of a survey (an aspect: speakers, content, venue and online system, …).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SurveySection {
    pub id: String,
    pub title_th: String,
    pub title_en: String,
    pub items: Vec<SurveyItem>,
}

/// One survey item: a five-level rating (5 มากที่สุด … 1 น้อยที่สุด) or an open question.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SurveyItem {
    pub id: String,
    pub kind: SurveyItemKind,
    pub text_th: String,
    pub text_en: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyItemKind {
    Scale,
    Text,
}

impl Survey {
    /// Every item with its section, in order.
    pub fn items(&self) -> impl Iterator<Item = (&SurveySection, &SurveyItem)> {
        self.sections
            .iter()
            .flat_map(|s| s.items.iter().map(move |i| (s, i)))
    }
}

/// `programme.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Programme {
    pub id: String,
    pub version: u32,
    pub title_th: String,
    pub title_en: String,
    pub description_th: String,
    pub description_en: String,
    pub scopes: Vec<Scope>,
    /// What a certified assessor must be able to do. The exam blueprints' pools sample them:
    /// every pool of a scheme quiz names one, and every competence is sampled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub competences: Vec<Competence>,
    /// The training project's own measures: the pre-test and post-test (quiz slugs, drawn
    /// from one item bank so scores compare) and the satisfaction survey (a survey slug).
    /// None of them counts for a credential unless a scope requires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posttest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<String>,
    /// The training project's completion rule, for the completion certificate (วุฒิบัตร).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<CompletionRule>,
    /// How a session the trainee was excused from (ลา) counts in the attendance share, for
    /// eligibility and completion alike.
    #[serde(default, skip_serializing_if = "ExcusedAbsence::is_absent")]
    pub excused_absence: ExcusedAbsence,
    /// The training project's targets (ตัวชี้วัด), reported against its results.
    #[serde(default, skip_serializing_if = "Targets::is_empty")]
    pub targets: Targets,
}

/// The project's indicators: each, when set, is a threshold the closing report compares the
/// result with (shares in per cent of the trainees; the satisfaction mean out of 5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub improved_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction_mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentialed_percent: Option<f64>,
    /// Provincial Industry Offices reached over a fiscal year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offices_per_year: Option<f64>,
}

impl Targets {
    pub fn is_empty(&self) -> bool {
        *self == Targets::default()
    }
}

/// How an excused absence counts in the share of the scheduled time attended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExcusedAbsence {
    /// As an absence: the session stays in the scheduled time and none of it is attended.
    #[default]
    Absent,
    /// The session leaves that trainee's scheduled time.
    Excluded,
}

impl ExcusedAbsence {
    pub fn is_absent(&self) -> bool {
        *self == ExcusedAbsence::Absent
    }
}

/// Who completed the training (and so receives the completion certificate, วุฒิบัตร): a share
/// of the scheduled time attended, and, where asked, the post-test taken and the survey
/// answered. It grants no credential.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CompletionRule {
    /// Share of the scheduled time attended, in per cent.
    pub min_attendance_percent: u32,
    /// The programme's post-test must have been taken.
    #[serde(default)]
    pub posttest: bool,
    /// The programme's survey must have been answered.
    #[serde(default)]
    pub survey: bool,
    /// Number prefix of the certificates, e.g. `TISI-T` → `TISI-T-2570-0001`.
    pub number_prefix: String,
}

/// One competence of the scheme.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Competence {
    pub id: String,
    pub title_th: String,
    pub title_en: String,
}

/// One kind of credential a programme grants, with its default criteria.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scope {
    pub id: String,
    pub title_th: String,
    pub title_en: String,
    pub description_th: String,
    pub description_en: String,
    pub validity_months: u32,
    pub required_modules: Vec<String>,
    pub required_quizzes: Vec<String>,
    pub min_attendance_percent: u8,
    /// Recertification: the refresher modules a holder reads and the quizzes they pass before
    /// a credential of this scope is renewed. Empty when the scheme defines no renewal path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recert_modules: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recert_quizzes: Vec<String>,
    /// How many months before expiry renewal opens (work done earlier does not count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recert_window_months: Option<u32>,
    /// An observed joint assessment with the outcome "competent" in this scope is needed for
    /// eligibility (recorded by staff: date, business, competences shown, observer).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requires_observation: bool,
}

impl Programme {
    /// The quizzes the scheme names (required or for renewal), sorted, each once: their
    /// assessment rules belong to the scheme.
    pub fn scheme_quizzes(&self) -> Vec<&str> {
        let mut named: Vec<&str> = self
            .scopes
            .iter()
            .flat_map(|s| s.required_quizzes.iter().chain(&s.recert_quizzes))
            .map(String::as_str)
            .collect();
        named.sort_unstable();
        named.dedup();
        named
    }
}

impl Course {
    /// Whether a module or quiz serves only the schemes' renewal paths (a refresher, a
    /// recertification quiz), not the initial training.
    pub fn is_renewal_only(&self, slug: &str) -> bool {
        let s = slug.to_string();
        let scopes = &self.programme.scopes;
        scopes
            .iter()
            .any(|x| x.recert_modules.contains(&s) || x.recert_quizzes.contains(&s))
            && !scopes
                .iter()
                .any(|x| x.required_modules.contains(&s) || x.required_quizzes.contains(&s))
    }
}

impl Scope {
    /// Whether the scheme defines a renewal path for this scope.
    pub fn has_recertification(&self) -> bool {
        !self.recert_modules.is_empty() || !self.recert_quizzes.is_empty()
    }
}

/// One module folder: Thai and English text with shared settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Module {
    pub slug: String,
    /// 1-based position in slug order.
    pub position: u32,
    pub minutes: u32,
    pub prerequisites: Vec<String>,
    pub th: ModuleText,
    pub en: ModuleText,
    /// Image files beside the Markdown: (relative path, bytes' SHA-256 hex).
    pub images: Vec<String>,
}

/// The text of a module in one language.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModuleText {
    pub title: String,
    /// The Markdown body after the front matter.
    pub markdown: String,
}

/// One problem found in a content folder, reported as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path relative to the content folder, with `/` separators.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Where a module revision stands: approved (may be published), a draft an instructor saved
/// that waits for an admin, or rejected by the admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevisionStatus {
    Approved,
    Draft,
    Rejected,
}

impl RevisionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionStatus::Approved => "approved",
            RevisionStatus::Draft => "draft",
            RevisionStatus::Rejected => "rejected",
        }
    }

    /// The status of a stored value; anything unknown is treated as a draft (never published).
    pub fn of(stored: &str) -> RevisionStatus {
        match stored {
            "approved" => RevisionStatus::Approved,
            "rejected" => RevisionStatus::Rejected,
            _ => RevisionStatus::Draft,
        }
    }
}

impl std::fmt::Display for RevisionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::id_type!(
    /// A module revision's id (a UUID).
    RevisionId
);
crate::id_type!(
    /// A quiz revision's id (a UUID).
    QuizRevisionId
);
crate::audited!(RevisionId, "module_revision");
crate::audited!(QuizRevisionId, "quiz_revision");
