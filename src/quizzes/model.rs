//! Quiz definitions: settings, blueprint pools and questions of every kind.

use serde::{Deserialize, Serialize};

/// A quiz as authored in `course_content/quizzes/<slug>.toml` (or imported from GIFT).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Quiz {
    pub slug: String,
    pub title_th: String,
    pub title_en: String,
    /// The module this quiz belongs to; `None` for the final exam.
    pub module: Option<String>,
    /// Seconds; 0 = no limit.
    pub time_limit_s: u32,
    pub attempts_allowed: u32,
    pub pass_percent: u8,
    pub grading: Grading,
    pub shuffle_questions: bool,
    pub shuffle_options: bool,
    pub review: ReviewPolicy,
    /// Empty: every question in every attempt.
    pub blueprint: Vec<BlueprintPool>,
    pub questions: Vec<Question>,
    /// What a trainee must have done before starting (the final exam's eligibility, from the
    /// scheme); older stored revisions have none.
    #[serde(default)]
    pub requires: Prerequisites,
    /// How written answers are marked (only quizzes with `essay` questions use it).
    #[serde(default)]
    pub marking: MarkingRule,
}

/// How many people mark each written answer, and when a third decides.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct MarkingRule {
    /// Different markers per answer (1–3).
    pub markers: u32,
    /// When two markers' totals for one answer differ by more than this many points, a
    /// moderator (an admin, or a cohort instructor who did not mark it) decides.
    pub moderation_threshold: u32,
}

impl Default for MarkingRule {
    fn default() -> Self {
        MarkingRule {
            markers: 2,
            moderation_threshold: 2,
        }
    }
}

impl Quiz {
    /// The quiz has written questions, marked by people.
    pub fn has_written(&self) -> bool {
        self.questions
            .iter()
            .any(|q| matches!(q.body, QuestionBody::Essay { .. }))
    }
}

/// Modules to complete and quizzes to pass before a quiz may be started.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Prerequisites {
    #[serde(default)]
    pub modules: Vec<String>,
    #[serde(default)]
    pub quizzes: Vec<String>,
}

impl Prerequisites {
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty() && self.quizzes.is_empty()
    }
}

/// Which submitted attempts make a trainee's result.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Grading {
    Highest,
    Last,
    First,
    Average,
}

/// When correct answers and feedback may be shown to a trainee.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReviewPolicy {
    Never,
    AfterSubmit,
    AfterClose,
}

/// Draw `draw` questions from the questions whose `pool` is `pool`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BlueprintPool {
    pub pool: String,
    pub draw: u32,
}

/// One question.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Question {
    /// Stable forever; `[a-z0-9-]{1,64}`.
    pub id: String,
    pub pool: Option<String>,
    pub points: u32,
    pub prompt_th: String,
    pub prompt_en: String,
    pub feedback_th: String,
    pub feedback_en: String,
    pub body: QuestionBody,
}

/// The kind-specific part of a question, including its answer key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionBody {
    Single {
        options: Vec<Choice>,
    },
    Multiple {
        options: Vec<Choice>,
    },
    TrueFalse {
        answer: bool,
    },
    ShortText {
        accepted: Vec<String>,
        /// Answers worth part of the points (Moodle's `=%50%text`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        partial: Vec<PartialText>,
    },
    Numeric {
        answer: f64,
        tolerance: f64,
        /// Other accepted numbers, each with its tolerance and share of the points (Moodle's
        /// `{#=%50%3.1:0.1 =3.14:0.001}`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        alternatives: Vec<NumericAlternative>,
    },
    Matching {
        pairs: Vec<Pair>,
        /// Extra right-hand items that match no left item (Moodle's `= -> distractor`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        distractors: Vec<Distractor>,
    },
    /// Text shown between questions, with nothing to answer and no points (Moodle's
    /// "description").
    Description,
    /// A written task (a case to answer in prose), marked by people with a rubric.
    Essay {
        /// Words the answer should not exceed (shown to the trainee and the markers).
        word_limit: u32,
        rubric: Vec<Criterion>,
    },
}

/// A rubric criterion: levels from 0 points up, each with what an answer at it shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Criterion {
    pub id: String,
    pub title_th: String,
    pub title_en: String,
    pub levels: Vec<Level>,
}

/// A level of a rubric criterion.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Level {
    pub id: String,
    pub points: u32,
    pub text_th: String,
    pub text_en: String,
}

impl Criterion {
    /// One overall criterion with a level per point, 0 to `points` (for a written task that
    /// came without a rubric).
    pub fn overall(points: u32) -> Criterion {
        Criterion {
            id: "overall".into(),
            title_th: "ภาพรวมของคำตอบ".into(),
            title_en: "The answer as a whole".into(),
            levels: (0..=points)
                .map(|p| Level {
                    id: format!("p{p}"),
                    points: p,
                    text_th: format!("{p} จาก {points} คะแนน"),
                    text_en: format!("{p} of {points} points"),
                })
                .collect(),
        }
    }

    /// The points of the criterion's highest level.
    pub fn max_points(&self) -> u32 {
        self.levels.iter().map(|l| l.points).max().unwrap_or(0)
    }
}

/// A short answer worth `credit` per cent of the points.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PartialText {
    pub text: String,
    pub credit: f64,
}

/// Another accepted number of a numeric question, worth `credit` per cent of the points.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NumericAlternative {
    pub answer: f64,
    pub tolerance: f64,
    pub credit: f64,
}

/// A right-hand item of a matching question that matches no left item.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Distractor {
    pub text_th: String,
    pub text_en: String,
}

impl QuestionBody {
    /// The kind name used in files and in the API (`single`, `multiple`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            QuestionBody::Single { .. } => "single",
            QuestionBody::Multiple { .. } => "multiple",
            QuestionBody::TrueFalse { .. } => "true_false",
            QuestionBody::ShortText { .. } => "short_text",
            QuestionBody::Numeric { .. } => "numeric",
            QuestionBody::Matching { .. } => "matching",
            QuestionBody::Description => "description",
            QuestionBody::Essay { .. } => "essay",
        }
    }
}

/// An option of a `single` or `multiple` question.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Choice {
    pub id: String,
    pub text_th: String,
    pub text_en: String,
    pub correct: bool,
    /// Share of the points, in per cent (-100 to 100), where it is not all or nothing: an
    /// option of a `single` question worth part of the points, or an option of a `multiple`
    /// question with Moodle's weights (the chosen options' credits add up, between 0 and 100).
    /// `None`: a `single` option is worth 100 when correct and 0 otherwise; a `multiple`
    /// question without credits gives right chosen − wrong chosen over the right options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<f64>,
}

impl Choice {
    /// The option's share of the points in per cent, as graded.
    pub fn credit(&self) -> f64 {
        self.credit
            .unwrap_or(if self.correct { 100.0 } else { 0.0 })
    }
}

/// A pair of a `matching` question; left item k matches right item k (ids `lk`/`rk`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pair {
    pub left_th: String,
    pub left_en: String,
    pub right_th: String,
    pub right_en: String,
}

/// Where an attempt is: open (answers may be saved), submitted by the trainee, or expired
/// (closed by its deadline and graded on what was saved before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptState {
    Open,
    Submitted,
    Expired,
}

impl AttemptState {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptState::Open => "open",
            AttemptState::Submitted => "submitted",
            AttemptState::Expired => "expired",
        }
    }

    /// The state of a stored value; anything else is read as closed by its deadline, so an
    /// unknown value never reopens an attempt.
    pub fn of(stored: &str) -> AttemptState {
        match stored {
            "open" => AttemptState::Open,
            "submitted" => AttemptState::Submitted,
            _ => AttemptState::Expired,
        }
    }

    /// Finished: graded, answers final.
    pub fn is_finished(self) -> bool {
        self != AttemptState::Open
    }
}

impl std::fmt::Display for AttemptState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the marking of an attempt's written answers stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarkingState {
    /// Waiting for markers (or a moderator): no grade yet.
    Pending,
    /// Every written answer has its final mark; the attempt is graded.
    Complete,
}

impl MarkingState {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkingState::Pending => "pending",
            MarkingState::Complete => "complete",
        }
    }

    /// The state of a stored value; anything but `complete` is still pending.
    pub fn of(stored: &str) -> MarkingState {
        if stored == "complete" {
            MarkingState::Complete
        } else {
            MarkingState::Pending
        }
    }
}

/// Whose mark it is: one of the markers, or the moderator who decides between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarkStage {
    Mark,
    Moderation,
}

impl MarkStage {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkStage::Mark => "mark",
            MarkStage::Moderation => "moderation",
        }
    }

    pub fn of(stored: &str) -> MarkStage {
        if stored == "moderation" {
            MarkStage::Moderation
        } else {
            MarkStage::Mark
        }
    }
}

crate::id_type!(
    /// An attempt's id (a UUID).
    AttemptId
);

crate::id_type!(
    /// A question's id within its quiz (authored in the quiz file, e.g. `basics-03`).
    QuestionId
);
