//! Item analysis of a quiz in a cohort, as Moodle's quiz statistics define it: facility
//! index, discrimination index (correlation of the item with the rest of the test), and the
//! test's reliability (Cronbach's alpha).

use std::collections::HashMap;

use serde::Serialize;

/// Statistics of one question.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemStats {
    pub question_id: String,
    /// How many attempts were asked this question.
    pub responses: usize,
    /// Mean score as a fraction of the question's points (0–1).
    pub facility: f64,
    /// Pearson correlation between the item score and the rest of the test (−1…1).
    pub discrimination: Option<f64>,
    /// `too_easy` (facility > 0.9) and/or `poor_discrimination` (< 0.2).
    pub flags: Vec<&'static str>,
}

/// Statistics of a quiz over the finished attempts of a cohort.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuizStats {
    pub attempts: usize,
    pub mean_percent: f64,
    /// Attempts per 10-point band of percent: 0–9, 10–19, …, 90–100.
    pub distribution: [usize; 10],
    /// Cronbach's alpha over the questions every attempt was asked; `None` when fewer than
    /// two such questions or two attempts.
    pub cronbach_alpha: Option<f64>,
    pub questions: Vec<ItemStats>,
    /// Written questions: how the markers agree, per question and marker pair.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub marker_agreement: Vec<super::agreement::PairAgreement>,
    /// Written questions: how all their markers agree, pooled per question.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub question_agreement: Vec<super::agreement::QuestionAgreement>,
}

/// One graded attempt: percent, and per question (score, max points).
pub struct GradedAttempt {
    pub percent: f64,
    pub items: HashMap<String, (f64, f64)>,
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

fn variance(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)
}

fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 2 || a.len() != b.len() {
        return None;
    }
    let (ma, mb) = (mean(a), mean(b));
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va <= 0.0 || vb <= 0.0 {
        return None;
    }
    Some(cov / (va.sqrt() * vb.sqrt()))
}

/// Computes the statistics; `order` lists question ids in display order.
pub fn compute(attempts: &[GradedAttempt], order: &[String]) -> QuizStats {
    let mut distribution = [0usize; 10];
    for a in attempts {
        let band = ((a.percent / 10.0).floor() as usize).min(9);
        distribution[band] += 1;
    }
    let questions = order
        .iter()
        .map(|qid| {
            let mut item = Vec::new();
            let mut rest = Vec::new();
            let mut fractions = Vec::new();
            for a in attempts {
                if let Some((score, max)) = a.items.get(qid) {
                    let total: f64 = a.items.values().map(|(s, _)| s).sum();
                    item.push(*score);
                    rest.push(total - score);
                    fractions.push(if *max > 0.0 { score / max } else { 0.0 });
                }
            }
            let facility = mean(&fractions);
            let discrimination = pearson(&item, &rest);
            let mut flags = Vec::new();
            if !fractions.is_empty() && facility > 0.9 {
                flags.push("too_easy");
            }
            if discrimination.is_some_and(|d| d < 0.2) {
                flags.push("poor_discrimination");
            }
            ItemStats {
                question_id: qid.clone(),
                responses: fractions.len(),
                facility,
                discrimination,
                flags,
            }
        })
        .collect();
    let common: Vec<&String> = order
        .iter()
        .filter(|q| attempts.iter().all(|a| a.items.contains_key(*q)))
        .collect();
    let cronbach_alpha = (common.len() >= 2 && attempts.len() >= 2)
        .then(|| {
            let k = common.len() as f64;
            let item_var: f64 = common
                .iter()
                .map(|q| variance(&attempts.iter().map(|a| a.items[*q].0).collect::<Vec<_>>()))
                .sum();
            let totals: Vec<f64> = attempts
                .iter()
                .map(|a| common.iter().map(|q| a.items[*q].0).sum())
                .collect();
            let total_var = variance(&totals);
            (total_var > 0.0).then(|| k / (k - 1.0) * (1.0 - item_var / total_var))
        })
        .flatten();
    QuizStats {
        attempts: attempts.len(),
        mean_percent: mean(&attempts.iter().map(|a| a.percent).collect::<Vec<_>>()),
        distribution,
        cronbach_alpha,
        questions,
        marker_agreement: Vec::new(),
        question_agreement: Vec::new(),
    }
}

/// The score distribution as an SVG bar chart (no script, escaped text).
pub fn distribution_svg(stats: &QuizStats, label: &str) -> String {
    let max = stats.distribution.iter().copied().max().unwrap_or(0).max(1);
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 340 150\" width=\"340\" height=\"150\" xmlns=\"http://www.w3.org/2000/svg\">",
        crate::error::escape_html(label)
    );
    for (i, n) in stats.distribution.iter().enumerate() {
        let h = 110 * n / max;
        let x = 10 + i * 32;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"26\" height=\"{h}\" fill=\"#0b4f8a\"/><text x=\"{}\" y=\"145\" font-size=\"9\" text-anchor=\"middle\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{n}</text>",
            120 - h,
            x + 13,
            i * 10,
            x + 13,
            (118 - h).max(10)
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(scores: &[(&str, f64)]) -> GradedAttempt {
        let items: HashMap<String, (f64, f64)> = scores
            .iter()
            .map(|(q, s)| (q.to_string(), (*s, 1.0)))
            .collect();
        let percent = 100.0 * items.values().map(|(s, _)| s).sum::<f64>() / items.len() as f64;
        GradedAttempt { percent, items }
    }

    #[test]
    fn facility_discrimination_and_alpha_follow_the_definitions() {
        let order: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let attempts = vec![
            attempt(&[("a", 1.0), ("b", 1.0), ("c", 1.0)]),
            attempt(&[("a", 1.0), ("b", 1.0), ("c", 0.0)]),
            attempt(&[("a", 1.0), ("b", 0.0), ("c", 0.0)]),
            attempt(&[("a", 1.0), ("b", 0.0), ("c", 0.0)]),
        ];
        let s = compute(&attempts, &order);
        let a = &s.questions[0];
        assert_eq!(a.facility, 1.0);
        assert!(a.flags.contains(&"too_easy"));
        assert!(a.discrimination.is_none(), "no variance, no correlation");
        let b = &s.questions[1];
        assert_eq!(b.facility, 0.5);
        assert!(b.discrimination.unwrap() > 0.5);
        // Items b and c vary together: alpha is positive but below 1 with the constant item a.
        let alpha = s.cronbach_alpha.unwrap();
        assert!(alpha > 0.0 && alpha < 1.0, "{alpha}");
        assert_eq!(s.distribution.iter().sum::<usize>(), 4);
        assert_eq!(s.distribution[9], 1);
        assert!(distribution_svg(&s, "<x>").contains("&lt;x&gt;"));
    }
}
