//! How well markers of written answers agree: per question and per pair of markers who marked
//! the same answers, the share of identical totals and Cohen's weighted kappa (Cohen 1968) over
//! the question's points as ordered categories, with quadratic (Fleiss–Cohen) weights, as is
//! usual for marks on an ordinal scale. Low agreement is flagged for the instructors: the
//! rubric's level descriptors, or a marker's reading of them, need a look.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::MarkStage;
use super::store::MarkRow;

/// Weighted kappa below this is flagged (`low_agreement`): "moderate" or worse on Landis and
/// Koch's scale.
pub const LOW_KAPPA: f64 = 0.6;

/// Fewer answers than this (marked by both markers of a pair, or by two markers of a
/// question) give no verdict: the figures are shown with `few_answers`, not `low_agreement`
/// (one disagreement among two answers says little about a rubric).
pub const MIN_ANSWERS: usize = 5;

/// Agreement weights between category `i` and `j` of `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
    /// `1 - |i-j|/(k-1)` ("equal spacing").
    Linear,
    /// `1 - (i-j)²/(k-1)²` (Fleiss–Cohen).
    Quadratic,
}

/// Cohen's weighted kappa of a k×k table of counts (rows: first rater, columns: second):
/// `(po - pe) / (1 - pe)` with `po` the weighted observed agreement and `pe` the weighted
/// agreement expected from the margins. `None` for an empty table or when the margins leave no
/// room for disagreement (`pe` = 1).
pub fn weighted_kappa(table: &[Vec<f64>], weights: Weights) -> Option<f64> {
    let k = table.len();
    if k < 2 || table.iter().any(|row| row.len() != k) {
        return None;
    }
    let n: f64 = table.iter().flatten().sum();
    if n <= 0.0 {
        return None;
    }
    let w = |i: usize, j: usize| {
        let d = i.abs_diff(j) as f64 / (k - 1) as f64;
        match weights {
            Weights::Linear => 1.0 - d,
            Weights::Quadratic => 1.0 - d * d,
        }
    };
    let rows: Vec<f64> = table.iter().map(|r| r.iter().sum::<f64>() / n).collect();
    let cols: Vec<f64> = (0..k)
        .map(|j| table.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let mut po = 0.0;
    let mut pe = 0.0;
    for i in 0..k {
        for j in 0..k {
            po += w(i, j) * table[i][j] / n;
            pe += w(i, j) * rows[i] * cols[j];
        }
    }
    if (1.0 - pe).abs() < 1e-12 {
        return None;
    }
    Some((po - pe) / (1.0 - pe))
}

/// Agreement of two markers on one question.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairAgreement {
    pub question_id: String,
    pub marker_a: crate::accounts::model::UserId,
    pub marker_b: crate::accounts::model::UserId,
    /// Answers both marked.
    pub answers: usize,
    /// Share of those answers with the same total (0–1).
    pub exact: f64,
    /// Quadratic-weighted kappa over the question's points; `None` with too little variety.
    pub weighted_kappa: Option<f64>,
    /// `few_answers` below [`MIN_ANSWERS`], else `low_agreement` when the kappa is below
    /// [`LOW_KAPPA`].
    pub flags: Vec<&'static str>,
}

/// Agreement of all markers on one question: every pair of marks given to the same answer,
/// pooled.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionAgreement {
    pub question_id: String,
    /// Pairs of marks given to the same answer (an answer with two markers gives one).
    pub answers: usize,
    /// Share of those pairs with the same total (0–1).
    pub exact: f64,
    /// Quadratic-weighted kappa of the pooled pairs, each counted in both orders (markers are
    /// not fixed raters across answers, so the table is made symmetric).
    pub weighted_kappa: Option<f64>,
    /// `few_answers` below [`MIN_ANSWERS`], else `low_agreement` when the kappa is below
    /// [`LOW_KAPPA`].
    pub flags: Vec<&'static str>,
}

fn flags_of(answers: usize, kappa: Option<f64>) -> Vec<&'static str> {
    if answers < MIN_ANSWERS {
        vec!["few_answers"]
    } else if kappa.is_some_and(|k| k < LOW_KAPPA) {
        vec!["low_agreement"]
    } else {
        vec![]
    }
}

/// A (max+1)×(max+1) table of counts from pairs of totals (rounded to whole points).
fn table_of(totals: &[(f64, f64)], max: usize, symmetric: bool) -> Vec<Vec<f64>> {
    let k = max + 1;
    let mut table = vec![vec![0.0; k]; k];
    let cell = |t: f64| (t.round().max(0.0) as usize).min(max);
    for (ta, tb) in totals {
        table[cell(*ta)][cell(*tb)] += 1.0;
        if symmetric {
            table[cell(*tb)][cell(*ta)] += 1.0;
        }
    }
    table
}

fn exact_share(totals: &[(f64, f64)]) -> f64 {
    totals.iter().filter(|(x, y)| (x - y).abs() < 1e-9).count() as f64 / totals.len() as f64
}

/// Agreement per question, all its markers pooled (see [`QuestionAgreement`]).
pub fn per_question(marks: &[MarkRow], points: &BTreeMap<String, u32>) -> Vec<QuestionAgreement> {
    let mut by_question: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for ((question, _, _), totals) in pairs_of(marks) {
        by_question.entry(question).or_default().extend(totals);
    }
    by_question
        .into_iter()
        .map(|(question_id, totals)| {
            let max = points.get(&question_id).copied().unwrap_or(0) as usize;
            let kappa = weighted_kappa(&table_of(&totals, max, true), Weights::Quadratic);
            QuestionAgreement {
                answers: totals.len(),
                exact: exact_share(&totals),
                weighted_kappa: kappa,
                flags: flags_of(totals.len(), kappa),
                question_id,
            }
        })
        .collect()
}

/// (question, marker a, marker b) → [(a's total, b's total)] over the answers both marked,
/// a < b; moderation left out.
type Pairs = BTreeMap<(String, String, String), Vec<(f64, f64)>>;

fn pairs_of(marks: &[MarkRow]) -> Pairs {
    // (question, attempt) → [(marker, total)]
    let mut by_answer: BTreeMap<(String, String), Vec<(String, f64)>> = BTreeMap::new();
    for m in marks
        .iter()
        .filter(|m| MarkStage::of(&m.stage) == MarkStage::Mark)
    {
        by_answer
            .entry((m.question_id.clone(), m.attempt_id.to_string()))
            .or_default()
            .push((m.marker_id.to_string(), m.points));
    }
    let mut pairs: Pairs = BTreeMap::new();
    for ((question, _), list) in &by_answer {
        for (x, (ma, pa)) in list.iter().enumerate() {
            for (mb, pb) in list.iter().skip(x + 1) {
                let (a, b, ta, tb) = if ma < mb {
                    (ma, mb, *pa, *pb)
                } else {
                    (mb, ma, *pb, *pa)
                };
                pairs
                    .entry((question.clone(), a.clone(), b.clone()))
                    .or_default()
                    .push((ta, tb));
            }
        }
    }
    pairs
}

/// Agreement per question and marker pair from the markers' marks (moderation left out: a
/// moderator decides, they do not mark blind beside the others). `points` gives each
/// question's maximum, the number of categories less one.
pub fn agreement(marks: &[MarkRow], points: &BTreeMap<String, u32>) -> Vec<PairAgreement> {
    pairs_of(marks)
        .into_iter()
        .map(|((question_id, a, b), totals)| {
            let max = points.get(&question_id).copied().unwrap_or(0) as usize;
            let kappa = weighted_kappa(&table_of(&totals, max, false), Weights::Quadratic);
            PairAgreement {
                question_id,
                marker_a: a.into(),
                marker_b: b.into(),
                answers: totals.len(),
                exact: exact_share(&totals),
                weighted_kappa: kappa,
                flags: flags_of(totals.len(), kappa),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The husband–wife ratings of Agresti's "Categorical Data Analysis" (the `SexualFun` table
    /// of R's vcd package), whose `Kappa(SexualFun)` example prints 0.1293 unweighted and 0.2374
    /// weighted with equal-spacing weights (the worked example in Friendly and Meyer, "Discrete
    /// Data Analysis with R").
    fn sexual_fun() -> Vec<Vec<f64>> {
        vec![
            vec![7.0, 7.0, 2.0, 3.0],
            vec![2.0, 8.0, 3.0, 7.0],
            vec![1.0, 5.0, 4.0, 9.0],
            vec![2.0, 8.0, 9.0, 14.0],
        ]
    }

    /// Unweighted kappa: only the diagonal counts as agreement.
    fn unweighted(table: &[Vec<f64>]) -> f64 {
        let k = table.len();
        let n: f64 = table.iter().flatten().sum();
        let po: f64 = (0..k).map(|i| table[i][i]).sum::<f64>() / n;
        let pe: f64 = (0..k)
            .map(|i| table[i].iter().sum::<f64>() / n * table.iter().map(|r| r[i]).sum::<f64>() / n)
            .sum();
        (po - pe) / (1.0 - pe)
    }

    #[test]
    fn weighted_kappa_matches_the_worked_example_of_the_literature() {
        let t = sexual_fun();
        assert!((unweighted(&t) - 0.1293).abs() < 5e-5, "{}", unweighted(&t));
        let linear = weighted_kappa(&t, Weights::Linear).unwrap();
        assert!((linear - 0.2374).abs() < 5e-5, "{linear}");
        // Quadratic weights credit near misses more, so agree more on this table.
        let quadratic = weighted_kappa(&t, Weights::Quadratic).unwrap();
        assert!(quadratic > linear, "{quadratic}");
    }

    #[test]
    fn perfect_agreement_is_one_and_constant_marks_have_no_kappa() {
        let perfect = vec![
            vec![3.0, 0.0, 0.0],
            vec![0.0, 4.0, 0.0],
            vec![0.0, 0.0, 2.0],
        ];
        assert!((weighted_kappa(&perfect, Weights::Quadratic).unwrap() - 1.0).abs() < 1e-12);
        let constant = vec![vec![0.0, 0.0], vec![0.0, 5.0]];
        assert_eq!(weighted_kappa(&constant, Weights::Quadratic), None);
        assert_eq!(weighted_kappa(&[], Weights::Linear), None);
    }

    fn mark(question: &str, attempt: &str, marker: &str, points: f64) -> MarkRow {
        MarkRow {
            id: format!("{question}-{attempt}-{marker}"),
            attempt_id: attempt.into(),
            question_id: question.into(),
            marker_id: marker.into(),
            stage: "mark".into(),
            levels_json: "{}".into(),
            points,
            comment: String::new(),
            created_at: chrono::NaiveDateTime::default(),
        }
    }

    #[test]
    fn pairs_are_counted_per_question_whatever_order_they_marked_in() {
        let marks = vec![
            mark("q", "a1", "m2", 4.0),
            mark("q", "a1", "m1", 4.0),
            mark("q", "a2", "m1", 0.0),
            mark("q", "a2", "m2", 4.0),
            mark("q", "a3", "m1", 2.0),
            mark("q", "a3", "m2", 2.0),
        ];
        let points = BTreeMap::from([("q".to_string(), 4u32)]);
        let a = agreement(&marks, &points);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].marker_a, *"m1");
        assert_eq!(a[0].answers, 3);
        assert!((a[0].exact - 2.0 / 3.0).abs() < 1e-12);
        // Three answers give figures but no verdict.
        assert_eq!(a[0].flags, ["few_answers"], "{:?}", a[0]);
        // Five, two of them far apart: low agreement.
        let mut more = marks.clone();
        more.extend([
            mark("q", "a4", "m1", 4.0),
            mark("q", "a4", "m2", 0.0),
            mark("q", "a5", "m2", 3.0),
            mark("q", "a5", "m1", 3.0),
        ]);
        let a = agreement(&more, &points);
        assert_eq!(a[0].answers, 5);
        assert!(a[0].weighted_kappa.unwrap() < LOW_KAPPA, "{:?}", a[0]);
        assert_eq!(a[0].flags, ["low_agreement"], "{:?}", a[0]);
    }

    #[test]
    fn a_question_pools_every_pair_of_its_markers() {
        // m1·m2 agree on a1–a3; m3·m1 on a4 and a5; m2·m3 disagree by one point on a6.
        let marks = vec![
            mark("q", "a1", "m1", 1.0),
            mark("q", "a1", "m2", 1.0),
            mark("q", "a2", "m1", 2.0),
            mark("q", "a2", "m2", 2.0),
            mark("q", "a3", "m1", 0.0),
            mark("q", "a3", "m2", 0.0),
            mark("q", "a4", "m3", 2.0),
            mark("q", "a4", "m1", 2.0),
            mark("q", "a5", "m3", 1.0),
            mark("q", "a5", "m1", 1.0),
            mark("q", "a6", "m2", 1.0),
            mark("q", "a6", "m3", 2.0),
        ];
        let points = BTreeMap::from([("q".to_string(), 2u32)]);
        assert_eq!(agreement(&marks, &points).len(), 3);
        let q = per_question(&marks, &points);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].answers, 6);
        assert!((q[0].exact - 5.0 / 6.0).abs() < 1e-12);
        // By hand: the symmetric table of 12 ordered pairs is diag (2, 4, 4) plus (1,2) and (2,1)
        // once each; margins 2/12, 5/12, 5/12 on both sides. Quadratic weights over 3
        // categories: 1 on the diagonal, 0.75 one apart, 0 two apart.
        // po = (10 + 2·0.75) / 12 = 0.958333…; pe = Σ w·r_i·c_j = 0.739583…;
        // kappa = (po − pe) / (1 − pe) = 0.84.
        let pe = {
            let m = [2.0 / 12.0, 5.0 / 12.0, 5.0 / 12.0];
            let w = |i: usize, j: usize| 1.0 - ((i as f64 - j as f64) / 2.0).powi(2);
            let mut pe = 0.0;
            for i in 0..3 {
                for j in 0..3 {
                    pe += w(i, j) * m[i] * m[j];
                }
            }
            pe
        };
        let po = (10.0 + 2.0 * 0.75) / 12.0;
        let expected = (po - pe) / (1.0 - pe);
        assert!((expected - 0.84).abs() < 1e-9, "{expected}");
        assert!(
            (q[0].weighted_kappa.unwrap() - expected).abs() < 1e-9,
            "{:?}",
            q[0]
        );
        assert!(q[0].flags.is_empty(), "{:?}", q[0]);
    }
}
