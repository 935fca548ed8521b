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
