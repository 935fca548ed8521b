//! Charts of the evaluation as inline SVG (no script; every label escaped): satisfaction by
//! section on the five-level scale, and each trainee's pre-test and post-test.

use crate::error::escape_html;

use super::{Evaluation, Satisfaction};

/// Horizontal bars of each section's mean (1–5), labelled with the mean.
pub fn satisfaction_svg(s: &Satisfaction, label: &str) -> String {
    let rows = s.sections.len().max(1);
    let h = 24 * rows + 30;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 340 {h}\" width=\"340\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">",
        escape_html(label)
    );
    for (i, sec) in s.sections.iter().enumerate() {
        let y = 6 + 24 * i;
        let m = sec.rating.mean.unwrap_or(0.0);
        let w = (200.0 * m / 5.0).round() as i64;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"10\">{}</text><rect x=\"110\" y=\"{y}\" width=\"{w}\" height=\"16\" fill=\"#0b4f8a\"/><text x=\"{}\" y=\"{}\" font-size=\"10\">{m:.2}</text>",
            y + 12,
            escape_html(&truncate(&sec.title, 18)),
            115 + w,
            y + 12
        ));
    }
    for v in 1..=5 {
        let x = 110 + 40 * v;
        svg.push_str(&format!(
            "<text x=\"{x}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{v}</text>",
            h - 4
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// One line per trainee who took both tests: a dot at the pre-test, an arrow to the post-test
/// (0–100 %), lowest pre-test first.
pub fn prepost_svg(e: &Evaluation, label: &str) -> String {
    let mut pairs: Vec<(f64, f64)> = e
        .attendance
        .trainees
        .iter()
        .filter_map(|t| Some((t.pretest_percent?, t.posttest_percent?)))
        .collect();
    pairs.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let h = 10 * pairs.len().max(1) + 26;
    let x = |p: f64| 20.0 + 3.0 * p;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 340 {h}\" width=\"340\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">",
        escape_html(label)
    );
    for (i, (pre, post)) in pairs.iter().enumerate() {
        let y = 8 + 10 * i;
        let colour = if post >= pre { "#1e6b34" } else { "#a4161a" };
        svg.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"2\"/><circle cx=\"{:.1}\" cy=\"{y}\" r=\"3\" fill=\"#4a5561\"/><circle cx=\"{:.1}\" cy=\"{y}\" r=\"3\" fill=\"{colour}\"/>",
            x(*pre),
            x(*post),
            x(*pre),
            x(*post)
        ));
    }
    for p in [0, 25, 50, 75, 100] {
        svg.push_str(&format!(
            "<text x=\"{:.0}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{p}%</text>",
            x(f64::from(p)),
            h - 4
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}
