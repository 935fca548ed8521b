//! GIFT export: what Moodle imports, with only its escapes and grades, and warnings where its
//! format cannot carry a question exactly.

use super::*;

/// Writes questions as GIFT that Moodle imports, such that `import(&export(qs))` gives the same
/// questions, kinds and credit. See [`export_with_report`].
pub fn export(questions: &[Question]) -> String {
    export_with_report(questions).0
}

/// Writes questions as GIFT, and says where Moodle's format cannot carry a question exactly
/// (each such warning is also written at the top of the file as a `//` comment, which Moodle
/// and this importer skip).
///
/// GIFT carries neither `points` nor `pool`, so they are not written. **Same** means equal after
/// setting every question's `points` to 1 (a description's to 0) and `pool` to `None`, for
/// questions that follow the content rules (README §5; texts without leading or trailing white
/// space and without carriage returns, which Moodle drops). Weights are written from Moodle's
/// list of grades ([`MOODLE_GRADES`], and their negatives), which Moodle requires: a
/// multiple-answer question with n right options gives each 100/n % and each wrong one −100/n %
/// when 100/n is on the list; otherwise the right options share 100 % in two neighbouring grades
/// (11 right options: nine at 10 %, two at 5 %), which is said in a warning. Only Moodle's escapes
/// are written (`\~ \= \# \{ \} \: \\` and `\n`).
pub fn export_with_report(questions: &[Question]) -> (String, Vec<String>) {
    let mut body = String::new();
    let mut warnings = Vec::new();
    for question in questions {
        body.push('\n');
        write_question(&mut body, question, &mut warnings);
    }
    let mut out = String::from(
        "// Assessor Academy questions in GIFT format (points and pools are not part of GIFT).\n",
    );
    for w in &warnings {
        out.push_str("// warning: ");
        out.push_str(&w.replace(['\n', '\r'], " "));
        out.push('\n');
    }
    out.push_str(&body);
    (out, warnings)
}

/// The grades (per cent) Moodle accepts on an answer; their negatives too.
pub const MOODLE_GRADES: [f64; 20] = [
    100.0, 90.0, 83.33333, 80.0, 75.0, 70.0, 66.66667, 60.0, 50.0, 40.0, 33.33333, 30.0, 25.0,
    20.0, 16.66667, 14.28571, 12.5, 11.11111, 10.0, 5.0,
];

/// The grade on Moodle's list nearest to `w` (sign kept; 0 stays 0).
pub(super) fn moodle_grade(w: f64) -> f64 {
    if w.abs() < 0.000_01 {
        return 0.0;
    }
    let nearest = MOODLE_GRADES
        .iter()
        .copied()
        .min_by(|a, b| (a - w.abs()).abs().total_cmp(&(b - w.abs()).abs()))
        .unwrap_or(100.0);
    nearest.copysign(w)
}

pub(super) fn is_moodle_grade(w: f64) -> bool {
    (moodle_grade(w) - w).abs() < 0.000_01
}

/// How n right options of a multiple-answer question share 100 % in Moodle's grades: equal
/// shares when 100/n is a grade, else two neighbouring grades (`None` when even that fails).
pub(super) fn split_credit(n: usize) -> Option<Vec<f64>> {
    let share = 100.0 / n as f64;
    if is_moodle_grade(share) {
        return Some(vec![moodle_grade(share); n]);
    }
    for &high in MOODLE_GRADES.iter().rev().filter(|g| **g > share) {
        for &low in MOODLE_GRADES.iter().filter(|g| **g < share) {
            for k in 1..n {
                let total = high * k as f64 + low * (n - k) as f64;
                if (total - 100.0).abs() < 0.001 {
                    let mut out = vec![high; k];
                    out.extend(std::iter::repeat_n(low, n - k));
                    return Some(out);
                }
            }
        }
    }
    None
}

pub(super) fn write_question(out: &mut String, q: &Question, warnings: &mut Vec<String>) {
    let mut texts = vec![&q.prompt_th, &q.prompt_en, &q.feedback_th, &q.feedback_en];
    let id = &q.id;
    out.push_str("::");
    out.push_str(&escape(&q.id));
    out.push_str("::");
    out.push_str(&compose(&q.prompt_th, &q.prompt_en));
    let feedback = compose(&q.feedback_th, &q.feedback_en);
    let feedback = if feedback.is_empty() {
        feedback
    } else {
        format!("####{feedback}")
    };
    // A weight not on Moodle's list is written as the nearest one, and said.
    let mut grade = |w: f64, what: &str| {
        let g = moodle_grade(w);
        if (g - w).abs() >= 0.000_01 {
            warnings.push(format!(
                "{id}: {what} is worth {} %, not a grade Moodle accepts; written as {} %",
                format_weight(w),
                format_weight(g)
            ));
        }
        format_weight(g)
    };
    match &q.body {
        QuestionBody::Single { options } => {
            out.push_str("{\n");
            for option in options {
                texts.extend([&option.text_th, &option.text_en]);
                let text = compose(&option.text_th, &option.text_en);
                let credit = option.credit();
                let marker = if credit >= 100.0 {
                    "=".to_string()
                } else if credit == 0.0 {
                    if text.starts_with('%') {
                        // Keep a text such as `%5% off` from being read as a weight.
                        "~%0%".to_string()
                    } else {
                        "~".to_string()
                    }
                } else {
                    format!("~%{}%", grade(credit, &format!("option {}", option.id)))
                };
                push_answer(out, &marker, &text);
            }
            close_block(out, &feedback);
        }
        QuestionBody::Multiple { options } => {
            let markers: Vec<String> = if options.iter().any(|o| o.credit.is_some()) {
                options
                    .iter()
                    .map(|o| format!("~%{}%", grade(o.credit(), &format!("option {}", o.id))))
                    .collect()
            } else {
                let right = options.iter().filter(|o| o.correct).count().max(1);
                let shares = split_credit(right).unwrap_or_else(|| {
                    warnings.push(format!(
                        "{id}: {right} right options cannot share 100 % in Moodle's grades; each \
                         is written as 5 %"
                    ));
                    vec![5.0; right]
                });
                if shares.windows(2).any(|w| w[0] != w[1]) {
                    warnings.push(format!(
                        "{id}: {right} right options cannot share 100 % equally in Moodle's \
                         grades; written as {}, and each wrong option as −{} %",
                        shares
                            .iter()
                            .map(|s| format_weight(*s) + " %")
                            .collect::<Vec<_>>()
                            .join(", "),
                        format_weight(moodle_grade(100.0 / right as f64))
                    ));
                }
                let wrong = format!("~%-{}%", format_weight(moodle_grade(100.0 / right as f64)));
                let mut shares = shares.into_iter();
                options
                    .iter()
                    .map(|o| {
                        if o.correct {
                            format!("~%{}%", format_weight(shares.next().unwrap_or(5.0)))
                        } else {
                            wrong.clone()
                        }
                    })
                    .collect()
            };
            out.push_str("{\n");
            for (option, marker) in options.iter().zip(&markers) {
                texts.extend([&option.text_th, &option.text_en]);
                push_answer(out, marker, &compose(&option.text_th, &option.text_en));
            }
            close_block(out, &feedback);
        }
        QuestionBody::TrueFalse { answer } => {
            out.push_str(if *answer { "{TRUE" } else { "{FALSE" });
            out.push_str(&feedback);
            out.push_str("}\n");
        }
        QuestionBody::ShortText { accepted, partial } => {
            out.push_str("{\n");
            let mut arrows = Vec::new();
            for text in accepted {
                if text.contains("->") {
                    arrows.push(format!(
                        "{id}: the answer “{text}” holds `->`, which GIFT reads as a matching \
                         pair; written `-\\>`, which Moodle shows with its backslash"
                    ));
                }
                let text = escape(text).replace("->", "-\\>");
                let marker = if text.starts_with('%') { "=%100%" } else { "=" };
                push_answer(out, marker, &text);
            }
            for p in partial {
                let marker = format!(
                    "=%{}%",
                    grade(p.credit, &format!("the answer “{}”", p.text))
                );
                push_answer(out, &marker, &escape(&p.text).replace("->", "-\\>"));
            }
            close_block(out, &feedback);
            warnings.extend(arrows);
        }
        QuestionBody::Numeric {
            answer,
            tolerance,
            alternatives,
        } => {
            // `Display` for f64 never uses exponents and round-trips exactly.
            if alternatives.is_empty() {
                out.push_str(&format!("{{#{answer}:{tolerance}{feedback}}}\n"));
            } else {
                out.push_str("{#\n");
                push_answer(out, "=", &format!("{answer}:{tolerance}"));
                for a in alternatives {
                    let marker = format!(
                        "=%{}%",
                        grade(a.credit, &format!("the answer {}", a.answer))
                    );
                    push_answer(out, &marker, &format!("{}:{}", a.answer, a.tolerance));
                }
                close_block(out, &feedback);
            }
        }
        QuestionBody::Matching { pairs, distractors } => {
            out.push_str("{\n");
            for pair in pairs {
                texts.extend([&pair.right_th, &pair.right_en]);
                for left in [&pair.left_th, &pair.left_en] {
                    if left.contains("->") {
                        warnings.push(format!(
                            "{id}: the left item “{left}” holds `->`, which GIFT reads as the \
                             end of the left side; written `-\\>`, which Moodle shows with its \
                             backslash"
                        ));
                    }
                }
                let text = format!(
                    "{} -> {}",
                    compose(&pair.left_th, &pair.left_en).replace("->", "-\\>"),
                    compose(&pair.right_th, &pair.right_en)
                );
                push_answer(out, "=", &text);
            }
            for d in distractors {
                texts.extend([&d.text_th, &d.text_en]);
                push_answer(out, "=", &format!("-> {}", compose(&d.text_th, &d.text_en)));
            }
            close_block(out, &feedback);
        }
        QuestionBody::Description => out.push('\n'),
        QuestionBody::Essay { rubric, word_limit } => {
            out.push_str(&format!("{{{feedback}}}\n"));
            warnings.push(format!(
                "{id}: a written task; GIFT carries no rubric ({} criteria) and no word limit \
                 ({word_limit} words): Moodle imports it as an essay to mark by hand",
                rubric.len()
            ));
        }
    }
    for t in texts {
        if find_separator_in(t) {
            warnings.push(format!(
                "{id}: the text “{t}” holds ` || `, which this importer reads as the Thai–English \
                 separator; written `\\|\\|`, which Moodle shows with its backslashes"
            ));
        }
    }
}

/// Whether a text holds `||` with white space or an edge on both sides (the separator).
pub(super) fn find_separator_in(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(2).enumerate().any(|(i, w)| {
        w == ['|', '|']
            && (i == 0 || chars[i - 1].is_whitespace())
            && chars.get(i + 2).is_none_or(|c| c.is_whitespace())
    })
}

pub(super) fn push_answer(out: &mut String, marker: &str, text: &str) {
    out.push('\t');
    out.push_str(marker);
    out.push_str(text);
    out.push('\n');
}

pub(super) fn close_block(out: &mut String, feedback: &str) {
    if !feedback.is_empty() {
        out.push('\t');
        out.push_str(feedback);
        out.push('\n');
    }
    out.push_str("}\n");
}

/// `100 / n` rounded to 5 decimals, without trailing zeros (`50`, `33.33333`).
pub(super) fn format_weight(weight: f64) -> String {
    let text = format!("{weight:.5}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A bilingual text as one escaped GIFT text.
pub(super) fn compose(th: &str, en: &str) -> String {
    // A ` || ` inside a text would be read as the Thai–English separator: only there the bars
    // are written `\|`, which this importer reads and Moodle shows with its backslashes (the
    // export says so in a warning).
    let part = |t: &str| {
        let e = escape(t);
        if find_separator_in(t) {
            e.replace('|', "\\|")
        } else {
            e
        }
    };
    let text = if th == en {
        part(th)
    } else {
        format!("{} || {}", part(th), part(en))
    };
    let looks_like_format = text
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .is_some_and(|(name, _)| FORMAT_NAMES.contains(&name));
    if looks_like_format {
        // The text itself starts with e.g. `[html]`: protect it with the default format.
        format!("[moodle]{text}")
    } else {
        text
    }
}

/// Escapes GIFT's special characters.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars().filter(|&c| c != '\r') {
        match c {
            '\\' => out.push_str("\\\\"),
            '~' | '=' | '#' | '{' | '}' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}
