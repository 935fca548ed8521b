//! Authoring warnings that do not stop a quiz from loading: keys that cluster where a guesser
//! would look.

use super::model::{QuestionBody, Quiz};

/// Fewest questions of a kind before a cluster is worth a warning.
const MIN_QUESTIONS: usize = 4;
/// Share of keys at one place above which a quiz is flagged.
const MAX_SHARE: f64 = 0.5;

/// Warnings about a quiz's keys: single-choice keys that sit mostly at one authored position,
/// and true/false keys that are mostly one value. Options are shuffled per attempt, but a quiz
/// exported (GIFT) or shown with `shuffle_options = false` keeps the authored order.
pub fn key_warnings(quiz: &Quiz) -> Vec<String> {
    let mut out = Vec::new();
    let mut positions: Vec<usize> = Vec::new();
    let (mut trues, mut falses) = (0usize, 0usize);
    for q in &quiz.questions {
        match &q.body {
            QuestionBody::Single { options } => {
                if let Some(p) = options.iter().position(|o| o.correct) {
                    positions.push(p);
                }
            }
            QuestionBody::TrueFalse { answer } => {
                if *answer {
                    trues += 1
                } else {
                    falses += 1
                }
            }
            _ => {}
        }
    }
    if positions.len() >= MIN_QUESTIONS {
        let max = positions.iter().max().copied().unwrap_or(0);
        let (pos, count) = (0..=max)
            .map(|p| (p, positions.iter().filter(|x| **x == p).count()))
            .max_by_key(|(_, c)| *c)
            .unwrap_or((0, 0));
        if count as f64 / positions.len() as f64 > MAX_SHARE {
            out.push(format!(
                "warning: {count} of {} single-choice keys are option {} as authored; spread the \
                 correct options over the positions",
                positions.len(),
                pos + 1
            ));
        }
    }
    let tf = trues + falses;
    if tf >= MIN_QUESTIONS && trues.max(falses) as f64 / tf as f64 > 0.75 {
        out.push(format!(
            "warning: {} of {tf} true/false keys are {}; a trainee who always answers so scores \
             them without knowing",
            trues.max(falses),
            if trues > falses { "true" } else { "false" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_quiz_is_free_of_key_clusters_and_a_clustered_one_is_flagged() {
        let course = crate::course::loader::load_course(std::path::Path::new("course_content"))
            .expect("the shipped course loads");
        for q in &course.quizzes {
            assert_eq!(key_warnings(q), Vec::<String>::new(), "{}", q.slug);
        }
        let mut clustered = course.quizzes[0].clone();
        for q in clustered.questions.iter_mut() {
            if let QuestionBody::Single { options } = &mut q.body {
                let k = options.iter().position(|o| o.correct).unwrap();
                options.swap(0, k);
            }
        }
        let w = key_warnings(&clustered);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("option 1"), "{w:?}");
    }
}

/// Jaccard similarity of two items' character trigrams (prompt, key and feedback, in Thai) at or
/// above which they are reported as near-duplicates. Calibrated on the shipped course: before
/// issue 27's corrections 19 pairs of items reached 0.30, among them 10 of the 14 pairs that
/// issue named as repeated (the others scored 0.15–0.29); after them no final-exam item does.
pub const NEAR_DUPLICATE: f64 = 0.30;

/// Two items of different quizzes that say nearly the same thing.
#[derive(Debug, Clone, PartialEq)]
pub struct NearDuplicate {
    /// (quiz slug, question id) of each item.
    pub first: (String, String),
    pub second: (String, String),
    pub similarity: f64,
}

/// What an item asks and answers, in Thai: its prompt, its key and its feedback (an item
/// reworded around the same key and explanation is the same item to a trainee who saw it).
fn item_text(q: &super::model::Question) -> String {
    let key = match &q.body {
        QuestionBody::Single { options } | QuestionBody::Multiple { options } => options
            .iter()
            .filter(|o| o.correct)
            .map(|o| o.text_th.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        QuestionBody::TrueFalse { answer } => answer.to_string(),
        QuestionBody::ShortText { accepted, .. } => accepted.join(" "),
        QuestionBody::Numeric { answer, .. } => answer.to_string(),
        QuestionBody::Description => String::new(),
        QuestionBody::Essay { rubric, .. } => rubric
            .iter()
            .map(|c| c.title_th.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        QuestionBody::Matching { pairs, .. } => pairs
            .iter()
            .map(|p| format!("{} {}", p.left_th, p.right_th))
            .collect::<Vec<_>>()
            .join(" "),
    };
    format!("{} {key} {}", q.prompt_th, q.feedback_th)
}

/// Character trigrams of a text with case, spaces and punctuation removed. Thai is written
/// without spaces between words, so words cannot be split on spaces; trigrams of characters
/// (vowel and tone marks included) compare Thai and English alike without a dictionary.
fn trigrams(text: &str) -> std::collections::HashSet<[char; 3]> {
    let chars: Vec<char> = text
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric() || ('\u{0E00}'..='\u{0E7F}').contains(c))
        .collect();
    chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

fn jaccard<T: Eq + std::hash::Hash>(
    a: &std::collections::HashSet<T>,
    b: &std::collections::HashSet<T>,
) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// Every pair of items from two different quizzes whose similarity reaches
/// [`NEAR_DUPLICATE`], most similar first.
pub fn near_duplicates(quizzes: &[&Quiz]) -> Vec<NearDuplicate> {
    let items: Vec<(&str, &str, std::collections::HashSet<[char; 3]>)> = quizzes
        .iter()
        .flat_map(|quiz| {
            quiz.questions
                .iter()
                .map(|q| (quiz.slug.as_str(), q.id.as_str(), trigrams(&item_text(q))))
        })
        .collect();
    let mut out = Vec::new();
    for (i, a) in items.iter().enumerate() {
        for b in &items[i + 1..] {
            if a.0 == b.0 {
                continue;
            }
            let similarity = jaccard(&a.2, &b.2);
            if similarity >= NEAR_DUPLICATE {
                out.push(NearDuplicate {
                    first: (a.0.to_string(), a.1.to_string()),
                    second: (b.0.to_string(), b.1.to_string()),
                    similarity,
                });
            }
        }
    }
    out.sort_by(|x, y| y.similarity.total_cmp(&x.similarity));
    out
}

/// The 1-based line of `id = "…"` for a question id in a quiz file's text (1 if not found).
pub fn line_of_question(text: &str, id: &str) -> usize {
    let wanted = format!("\"{id}\"");
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with("id") && l.trim_end().ends_with(&wanted)
        })
        .map(|i| i + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod near_duplicate_tests {
    use super::*;

    #[test]
    fn thai_items_reworded_around_one_key_are_near_duplicates_and_others_are_not() {
        let a = trigrams("สำนักงานอุตสาหกรรมจังหวัดมีกี่แห่ง 76 มีจังหวัดละหนึ่งแห่ง");
        let b = trigrams("หากทุกสำนักงานอุตสาหกรรมจังหวัดเข้าร่วม จะมีกี่แห่ง 76 มีจังหวัดละหนึ่งแห่ง");
        let c = trigrams("ผู้ตรวจประเมินควรทำอย่างไรเมื่อพบข้อบกพร่องระหว่างตรวจ บันทึกหลักฐาน");
        assert!(jaccard(&a, &b) >= NEAR_DUPLICATE, "{}", jaccard(&a, &b));
        assert!(jaccard(&a, &c) < 0.1, "{}", jaccard(&a, &c));
        // Spaces and punctuation do not matter; Thai marks do.
        assert_eq!(trigrams("ก ข, ค"), trigrams("กขค"));
        assert_ne!(trigrams("กิน"), trigrams("กีน"));
        assert_eq!(
            line_of_question("x = 1\n[[questions]]\nid = \"q-1\"\n", "q-1"),
            3
        );
    }
}
