//! The pure parts of the quiz engine: drawing an attempt's layout, the trainee's view of a
//! question (never the key), answer validation and grading.

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The longest text answer a trainee may send (characters).
pub const MAX_TEXT_ANSWER: usize = 500;
/// The longest written (`essay`) answer accepted, in characters: far above any word limit,
/// so that an autosave is never refused for being long; only markers see the excess.
pub const MAX_ESSAY_CHARS: usize = 30_000;

/// Words in a written answer, as markers count them: words between spaces, and a run of Thai
/// script (written without spaces) counted as one word per six characters, rounded up: an
/// estimate, shown with the limit so that a trainee can see where they stand.
pub fn word_count(text: &str) -> u32 {
    let thai = |c: char| ('\u{0E00}'..='\u{0E7F}').contains(&c);
    let mut words = 0u32;
    for token in text.split_whitespace() {
        let mut latin = false;
        let mut run = 0u32;
        for c in token.chars() {
            if thai(c) {
                run += 1;
            } else {
                if run > 0 {
                    words += run.div_ceil(6);
                    run = 0;
                }
                if c.is_alphanumeric() {
                    latin = true;
                }
            }
        }
        words += run.div_ceil(6);
        if latin {
            words += 1;
        }
    }
    words
}

use super::model::{Question, QuestionBody, Quiz};

/// How one question is laid out in one attempt. Option ids shown to the trainee are opaque
/// per attempt, so neither ids nor order reveal the key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LaidQuestion {
    pub id: String,
    /// (shown id, authored id) of options in display order (single, multiple).
    #[serde(default)]
    pub options: Vec<(String, String)>,
    /// (shown id, pair index) of left items, in file order (matching).
    #[serde(default)]
    pub lefts: Vec<(String, usize)>,
    /// (shown id, pair index) of right items, in display order (matching).
    #[serde(default)]
    pub rights: Vec<(String, usize)>,
}

/// The drawn and shuffled questions of an attempt, stored with it so it can be replayed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Layout {
    pub questions: Vec<LaidQuestion>,
}

/// A fresh shown id: random, so it carries nothing of the question, the option or the key.
/// Ids are kept in the attempt's stored layout, which is how answers map back to the key.
fn opaque() -> String {
    let bytes: [u8; 5] = rand::random();
    format!(
        "o{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Draws the questions of a new attempt: N per blueprint pool (or all), shuffled as the quiz
/// says, with random option and matching ids (unique within the attempt's question).
pub fn draw(quiz: &Quiz) -> Result<Layout, String> {
    let mut rng = rand::rng();
    let mut chosen: Vec<&Question> = if quiz.blueprint.is_empty() {
        quiz.questions.iter().collect()
    } else {
        let mut out = Vec::new();
        for pool in &quiz.blueprint {
            let mut members: Vec<&Question> = quiz
                .questions
                .iter()
                .filter(|q| q.pool.as_deref() == Some(pool.pool.as_str()))
                .collect();
            if members.len() < pool.draw as usize {
                return Err(format!(
                    "pool {} holds {} questions but must supply {}",
                    pool.pool,
                    members.len(),
                    pool.draw
                ));
            }
            members.shuffle(&mut rng);
            members.truncate(pool.draw as usize);
            out.extend(members);
        }
        out
    };
    if quiz.shuffle_questions {
        chosen.shuffle(&mut rng);
    }
    let questions = chosen
        .into_iter()
        .map(|q| {
            let mut laid = LaidQuestion {
                id: q.id.clone(),
                options: vec![],
                lefts: vec![],
                rights: vec![],
            };
            match &q.body {
                QuestionBody::Single { options } | QuestionBody::Multiple { options } => {
                    laid.options = options
                        .iter()
                        .map(|o| (String::new(), o.id.clone()))
                        .collect();
                    if quiz.shuffle_options {
                        laid.options.shuffle(&mut rng);
                    }
                }
                QuestionBody::Matching { pairs, distractors } => {
                    laid.lefts = (0..pairs.len()).map(|i| (String::new(), i)).collect();
                    // Right items: pair k's right side is index k; distractor j is index
                    // pairs.len() + j (it matches no left item).
                    laid.rights = (0..pairs.len() + distractors.len())
                        .map(|i| (String::new(), i))
                        .collect();
                    // The right column is always shuffled: in file order it would mirror the left.
                    laid.rights.shuffle(&mut rng);
                }
                _ => {}
            }
            assign_ids(&mut laid);
            laid
        })
        .collect();
    Ok(Layout { questions })
}

/// Gives every option, left and right item of a laid question its own random id (distinct
/// within the question, so an answer names exactly one).
fn assign_ids(laid: &mut LaidQuestion) {
    let mut used = std::collections::HashSet::new();
    let mut fresh = || loop {
        let id = opaque();
        if used.insert(id.clone()) {
            return id;
        }
    };
    for (id, _) in laid.options.iter_mut() {
        *id = fresh();
    }
    for (id, _) in laid.lefts.iter_mut().chain(laid.rights.iter_mut()) {
        *id = fresh();
    }
}

/// Checks that a blueprint can be served (every pool holds at least what it must supply).
pub fn check_blueprint(quiz: &Quiz) -> Result<(), String> {
    for pool in &quiz.blueprint {
        let n = quiz
            .questions
            .iter()
            .filter(|q| q.pool.as_deref() == Some(pool.pool.as_str()))
            .count();
        if n < pool.draw as usize {
            return Err(format!(
                "pool {} holds {n} questions but must supply {}",
                pool.pool, pool.draw
            ));
        }
    }
    if quiz.questions.is_empty() {
        return Err("the quiz has no questions".into());
    }
    Ok(())
}

/// A shown option or item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShownOption {
    pub id: String,
    pub text: String,
}

/// A question as a trainee sees it: prompt and choices, never the key or feedback.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    pub id: String,
    pub kind: &'static str,
    pub prompt: String,
    pub points: u32,
    /// Options (single, multiple), or the right-hand items (matching).
    pub options: Vec<ShownOption>,
    /// The left-hand items of a matching question.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ShownOption>,
    /// A written question's word limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub word_limit: Option<u32>,
    /// A written question's rubric: what the markers look for, level by level (shown before
    /// answering, as a fair assessment does; the model answer stays in the feedback).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rubric: Vec<CriterionView>,
}

/// A rubric criterion in one language.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CriterionView {
    pub id: String,
    pub title: String,
    pub levels: Vec<LevelView>,
}

/// A level of a rubric criterion in one language.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LevelView {
    pub id: String,
    pub points: u32,
    pub text: String,
}

/// A rubric in one language.
pub fn rubric_view(
    rubric: &[crate::quizzes::model::Criterion],
    english: bool,
) -> Vec<CriterionView> {
    let pick = |th: &str, en: &str| if english { en } else { th }.to_string();
    rubric
        .iter()
        .map(|c| CriterionView {
            id: c.id.clone(),
            title: pick(&c.title_th, &c.title_en),
            levels: c
                .levels
                .iter()
                .map(|l| LevelView {
                    id: l.id.clone(),
                    points: l.points,
                    text: pick(&l.text_th, &l.text_en),
                })
                .collect(),
        })
        .collect()
}

/// The trainee's view of a laid-out question in a language (`en` or Thai).
pub fn view(q: &Question, laid: &LaidQuestion, english: bool) -> QuestionView {
    let pick = |th: &str, en: &str| {
        if english {
            en.to_string()
        } else {
            th.to_string()
        }
    };
    let mut v = QuestionView {
        id: q.id.clone(),
        kind: q.body.kind(),
        prompt: pick(&q.prompt_th, &q.prompt_en),
        points: q.points,
        options: vec![],
        items: vec![],
        word_limit: None,
        rubric: vec![],
    };
    match &q.body {
        QuestionBody::Essay { word_limit, rubric } => {
            v.word_limit = Some(*word_limit);
            v.rubric = rubric_view(rubric, english);
        }
        QuestionBody::Single { options } | QuestionBody::Multiple { options } => {
            v.options = laid
                .options
                .iter()
                .filter_map(|(shown, orig)| {
                    options.iter().find(|o| &o.id == orig).map(|o| ShownOption {
                        id: shown.clone(),
                        text: pick(&o.text_th, &o.text_en),
                    })
                })
                .collect();
        }
        QuestionBody::Matching { pairs, distractors } => {
            v.items = laid
                .lefts
                .iter()
                .filter_map(|(shown, i)| {
                    pairs.get(*i).map(|p| ShownOption {
                        id: shown.clone(),
                        text: pick(&p.left_th, &p.left_en),
                    })
                })
                .collect();
            v.options = laid
                .rights
                .iter()
                .filter_map(|(shown, i)| {
                    let text = match pairs.get(*i) {
                        Some(p) => pick(&p.right_th, &p.right_en),
                        None => distractors
                            .get(*i - pairs.len())
                            .map(|d| pick(&d.text_th, &d.text_en))?,
                    };
                    Some(ShownOption {
                        id: shown.clone(),
                        text,
                    })
                })
                .collect();
        }
        _ => {}
    }
    v
}

/// Checks an answer's shape for the question's kind and that every id it names was shown.
pub fn validate_answer(q: &Question, laid: &LaidQuestion, answer: &Value) -> Result<(), String> {
    let shown = |id: &str| laid.options.iter().any(|(s, _)| s == id);
    match (&q.body, answer) {
        (QuestionBody::Single { .. }, Value::String(s)) if shown(s) => Ok(()),
        (QuestionBody::Single { .. }, _) => {
            Err("single: send one of the shown option ids as a string".into())
        }
        (QuestionBody::Multiple { .. }, Value::Array(items)) => {
            if items.len() <= laid.options.len()
                && items.iter().all(|i| i.as_str().is_some_and(shown))
            {
                Ok(())
            } else {
                Err("multiple: send an array of shown option ids".into())
            }
        }
        (QuestionBody::Multiple { .. }, _) => {
            Err("multiple: send an array of shown option ids".into())
        }
        (QuestionBody::TrueFalse { .. }, Value::Bool(_)) => Ok(()),
        (QuestionBody::TrueFalse { .. }, _) => Err("true_false: send true or false".into()),
        (QuestionBody::ShortText { .. }, Value::String(s))
            if s.chars().count() <= MAX_TEXT_ANSWER =>
        {
            Ok(())
        }
        (QuestionBody::ShortText { .. }, _) => {
            Err("short_text: send a string of at most 500 characters".into())
        }
        (QuestionBody::Numeric { .. }, Value::Number(n))
            if n.as_f64().is_some_and(f64::is_finite) =>
        {
            Ok(())
        }
        (QuestionBody::Numeric { .. }, Value::String(s)) if parse_number(s).is_some() => Ok(()),
        (QuestionBody::Numeric { .. }, _) => Err("numeric: send a number".into()),
        (QuestionBody::Matching { .. }, Value::Object(map)) => {
            let ok = map.len() <= laid.lefts.len()
                && map.iter().all(|(l, r)| {
                    laid.lefts.iter().any(|(s, _)| s == l)
                        && r.as_str()
                            .is_some_and(|r| laid.rights.iter().any(|(s, _)| s == r))
                });
            if ok {
                Ok(())
            } else {
                Err("matching: send an object from shown left ids to shown right ids".into())
            }
        }
        (QuestionBody::Matching { .. }, _) => {
            Err("matching: send an object from shown left ids to shown right ids".into())
        }
        (QuestionBody::Description, _) => Err("description: there is nothing to answer".into()),
        (QuestionBody::Essay { .. }, Value::String(s)) if s.chars().count() <= MAX_ESSAY_CHARS => {
            Ok(())
        }
        (QuestionBody::Essay { .. }, _) => {
            Err("essay: send the written answer as a string of at most 30,000 characters".into())
        }
    }
}

fn parse_number(s: &str) -> Option<f64> {
    crate::thai::fold_digits(s.trim())
        .replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
}

/// Normalises short text for comparison: trim, one space between words, case folded,
/// Thai digits as Arabic digits.
pub fn normalise_text(s: &str) -> String {
    crate::thai::fold_digits(&s.split_whitespace().collect::<Vec<_>>().join(" ")).to_lowercase()
}

/// Points earned by an answer. `single`: the chosen option's credit (100 for the correct one
/// unless the option says otherwise), never below 0. `multiple` without credits gives
/// points × max(0, right chosen − wrong chosen) / number of right options; with credits (Moodle's
/// weights), the chosen options' credits added up, between 0 and 100 per cent. `short_text` and
/// `numeric`: full points for an accepted answer, else the best partial answer's credit.
/// `matching`: all or nothing (a distractor matches no left item). `description`: nothing.
pub fn grade(q: &Question, laid: &LaidQuestion, answer: Option<&Value>) -> f64 {
    let Some(answer) = answer else { return 0.0 };
    if validate_answer(q, laid, answer).is_err() {
        return 0.0;
    }
    let points = f64::from(q.points);
    let original = |shown: &str| {
        laid.options
            .iter()
            .find(|(s, _)| s == shown)
            .map(|(_, o)| o.clone())
    };
    match &q.body {
        QuestionBody::Single { options } => {
            let chosen = answer.as_str().and_then(original);
            chosen
                .and_then(|c| options.iter().find(|o| o.id == c))
                .map_or(0.0, |o| points * o.credit().clamp(0.0, 100.0) / 100.0)
        }
        QuestionBody::Multiple { options } => {
            let mut chosen: Vec<String> = answer
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().and_then(original))
                        .collect()
                })
                .unwrap_or_default();
            chosen.sort();
            chosen.dedup();
            if options.iter().any(|o| o.credit.is_some()) {
                let sum: f64 = chosen
                    .iter()
                    .filter_map(|c| options.iter().find(|o| &o.id == c))
                    .map(|o| o.credit())
                    .sum();
                return points * sum.clamp(0.0, 100.0) / 100.0;
            }
            let n_right = options.iter().filter(|o| o.correct).count();
            if n_right == 0 {
                return 0.0;
            }
            let right = chosen
                .iter()
                .filter(|c| options.iter().any(|o| &o.id == *c && o.correct))
                .count() as f64;
            let wrong = chosen.len() as f64 - right;
            points * (right - wrong).max(0.0) / n_right as f64
        }
        QuestionBody::TrueFalse { answer: key } => {
            if answer.as_bool() == Some(*key) {
                points
            } else {
                0.0
            }
        }
        QuestionBody::ShortText { accepted, partial } => {
            let given = answer.as_str().map(normalise_text).unwrap_or_default();
            if given.is_empty() {
                return 0.0;
            }
            if accepted.iter().any(|a| normalise_text(a) == given) {
                return points;
            }
            partial
                .iter()
                .filter(|p| normalise_text(&p.text) == given)
                .map(|p| p.credit.clamp(0.0, 100.0))
                .fold(0.0, f64::max)
                * points
                / 100.0
        }
        QuestionBody::Numeric {
            answer: key,
            tolerance,
            alternatives,
        } => {
            let given = match answer {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => parse_number(s),
                _ => None,
            };
            let Some(g) = given else { return 0.0 };
            if (g - key).abs() <= tolerance + 1e-9 {
                return points;
            }
            alternatives
                .iter()
                .filter(|a| (g - a.answer).abs() <= a.tolerance + 1e-9)
                .map(|a| a.credit.clamp(0.0, 100.0))
                .fold(0.0, f64::max)
                * points
                / 100.0
        }
        // Written answers are marked by people (see `quizzes::marking`).
        QuestionBody::Description | QuestionBody::Essay { .. } => 0.0,
        QuestionBody::Matching { pairs, .. } => {
            let Some(map) = answer.as_object() else {
                return 0.0;
            };
            let all = laid.lefts.iter().all(|(l, i)| {
                map.get(l)
                    .and_then(|r| r.as_str())
                    .and_then(|r| laid.rights.iter().find(|(s, _)| s == r))
                    .is_some_and(|(_, j)| j == i)
            });
            if all && laid.lefts.len() == pairs.len() {
                points
            } else {
                0.0
            }
        }
    }
}

/// The key of a question in the attempt's shown ids, for review once the policy allows.
pub fn key(q: &Question, laid: &LaidQuestion) -> Value {
    let shown = |orig: &str| {
        laid.options
            .iter()
            .find(|(_, o)| o == orig)
            .map(|(s, _)| s.clone())
    };
    match &q.body {
        QuestionBody::Single { options } => options
            .iter()
            .find(|o| o.correct)
            .and_then(|o| shown(&o.id))
            .map(Value::String)
            .unwrap_or(Value::Null),
        QuestionBody::Multiple { options } => Value::Array(
            options
                .iter()
                .filter(|o| o.correct)
                .filter_map(|o| shown(&o.id))
                .map(Value::String)
                .collect(),
        ),
        QuestionBody::TrueFalse { answer } => Value::Bool(*answer),
        QuestionBody::ShortText { accepted, .. } => serde_json::json!(accepted),
        QuestionBody::Numeric {
            answer, tolerance, ..
        } => {
            serde_json::json!({"answer": answer, "tolerance": tolerance})
        }
        QuestionBody::Description | QuestionBody::Essay { .. } => Value::Null,
        QuestionBody::Matching { .. } => {
            let mut m = serde_json::Map::new();
            for (l, i) in &laid.lefts {
                if let Some((r, _)) = laid.rights.iter().find(|(_, j)| j == i) {
                    m.insert(l.clone(), Value::String(r.clone()));
                }
            }
            Value::Object(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quizzes::model::*;

    fn quiz(questions: Vec<Question>) -> Quiz {
        Quiz {
            slug: "t".into(),
            title_th: "t".into(),
            title_en: "t".into(),
            module: None,
            time_limit_s: 0,
            attempts_allowed: 1,
            pass_percent: 50,
            grading: Grading::Highest,
            shuffle_questions: true,
            shuffle_options: true,
            review: ReviewPolicy::AfterSubmit,
            blueprint: vec![],
            requires: Default::default(),
            marking: Default::default(),
            questions,
        }
    }

    fn q(id: &str, points: u32, body: QuestionBody) -> Question {
        Question {
            id: id.into(),
            pool: None,
            points,
            prompt_th: "p".into(),
            prompt_en: "p".into(),
            feedback_th: "f".into(),
            feedback_en: "f".into(),
            body,
        }
    }

    fn choice(id: &str, correct: bool) -> Choice {
        Choice {
            credit: None,
            id: id.into(),
            text_th: id.into(),
            text_en: id.into(),
            correct,
        }
    }

    #[test]
    fn multiple_choice_gives_documented_partial_credit() {
        let qq = q(
            "m",
            2,
            QuestionBody::Multiple {
                options: vec![
                    choice("a", true),
                    choice("b", true),
                    choice("c", true),
                    choice("d", false),
                ],
            },
        );
        let layout = draw(&quiz(vec![qq.clone()])).unwrap();
        let laid = &layout.questions[0];
        let id = |orig: &str| {
            laid.options
                .iter()
                .find(|(_, o)| o == orig)
                .unwrap()
                .0
                .clone()
        };
        let g = |ids: &[&str]| {
            grade(
                &qq,
                laid,
                Some(&Value::Array(
                    ids.iter().map(|i| Value::String(id(i))).collect(),
                )),
            )
        };
        assert!((g(&["a", "b", "d"]) - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(g(&["a", "b", "c"]), 2.0);
        assert_eq!(g(&["a", "c", "d", "b"]), 2.0 * 2.0 / 3.0);
        assert_eq!(g(&["a", "d"]), 0.0);
        assert_eq!(g(&[]), 0.0);
    }

    #[test]
    fn short_text_ignores_case_spaces_and_thai_digits() {
        let qq = q(
            "s",
            1,
            QuestionBody::ShortText {
                accepted: vec!["มอก. เอส".into(), "TIS-S".into(), "76 จังหวัด".into()],
                partial: vec![],
            },
        );
        let laid = LaidQuestion {
            id: "s".into(),
            options: vec![],
            lefts: vec![],
            rights: vec![],
        };
        for ok in ["  มอก.   เอส ", "tis-s", "๗๖ จังหวัด"] {
            assert_eq!(
                grade(&qq, &laid, Some(&Value::String(ok.into()))),
                1.0,
                "{ok}"
            );
        }
        assert_eq!(grade(&qq, &laid, Some(&Value::String("มอก.".into()))), 0.0);
    }

    #[test]
    fn numeric_uses_the_tolerance_and_matching_needs_every_pair() {
        let n = q(
            "n",
            1,
            QuestionBody::Numeric {
                answer: 2565.0,
                tolerance: 0.5,
                alternatives: vec![],
            },
        );
        let laid = LaidQuestion {
            id: "n".into(),
            options: vec![],
            lefts: vec![],
            rights: vec![],
        };
        assert_eq!(grade(&n, &laid, Some(&serde_json::json!(2565.4))), 1.0);
        assert_eq!(grade(&n, &laid, Some(&serde_json::json!("๒๕๖๕"))), 1.0);
        assert_eq!(grade(&n, &laid, Some(&serde_json::json!(2566))), 0.0);
        let pair = |x: &str| Pair {
            left_th: x.into(),
            left_en: x.into(),
            right_th: x.into(),
            right_en: x.into(),
        };
        let m = q(
            "m",
            3,
            QuestionBody::Matching {
                pairs: vec![pair("a"), pair("b"), pair("c")],
                distractors: vec![],
            },
        );
        let layout = draw(&quiz(vec![m.clone()])).unwrap();
        let laid = &layout.questions[0];
        let k = key(&m, laid);
        assert_eq!(grade(&m, laid, Some(&k)), 3.0);
        let mut wrong = k.as_object().unwrap().clone();
        let ls: Vec<String> = wrong.keys().cloned().collect();
        let (a, b) = (wrong[&ls[0]].clone(), wrong[&ls[1]].clone());
        wrong.insert(ls[0].clone(), b);
        wrong.insert(ls[1].clone(), a);
        assert_eq!(grade(&m, laid, Some(&Value::Object(wrong))), 0.0);
    }

    #[test]
    fn shown_ids_do_not_reveal_the_key() {
        let qq = q(
            "x",
            1,
            QuestionBody::Single {
                options: vec![choice("a", true), choice("b", false), choice("c", false)],
            },
        );
        let v = view(
            &qq,
            &draw(&quiz(vec![qq.clone()])).unwrap().questions[0],
            false,
        );
        assert!(v
            .options
            .iter()
            .all(|o| o.id.starts_with('o') && o.id.len() == 11 && o.id != "a"));
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("correct") && !json.contains("feedback"));
    }
}
