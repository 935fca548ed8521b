//! Import and export of Moodle's GIFT question format.
//!
//! GIFT is a plain-text format: questions are separated by blank lines, lines whose first
//! non-blank characters are `//` are comments, a question may start with a `::title::`, and the
//! answers sit in one `{…}` block. This module maps GIFT to and from the bilingual
//! [`Question`] model:
//!
//! | GIFT | model |
//! |---|---|
//! | `::title::` matching `[a-z0-9-]{1,64}` | `id` (otherwise `gift-<n>`, `n` = 1-based position of the question in the file) |
//! | `{=right ~wrong ~wrong}` (exactly one `=`) | `single` |
//! | `{~%50%a ~%50%b ~%-100%c}`, or several `=` | `multiple`, `correct = weight > 0` |
//! | `{T}` `{F}` `{TRUE}` `{FALSE}` | `true_false` |
//! | `{=a =b}` (only `=`, no `~`, no `->`) or `{a}` | `short_text` |
//! | `{#3.14:0.01}` `{#76}` `{#min..max}` | `numeric` (a range becomes answer `(min+max)/2`, tolerance `(max-min)/2`) |
//! | `{=left -> right …}` | `matching` |
//! | `####text` at the end of the block | `feedback_th` / `feedback_en` |
//!
//! Bilingual texts: GIFT is monolingual, so a text (prompt, general feedback, option, either side
//! of a pair) may hold both languages separated by ` || ` — Thai before, English after. A text
//! without the separator goes into both languages. Export writes `th || en` when the two differ
//! and the single text when they are equal. (On import the separator is an unescaped `||`
//! with white space or the start/end of the text on both sides.)
//!
//! Also understood on import: `$CATEGORY:` lines (ignored), the `[html]`, `[markdown]`,
//! `[plain]` and `[moodle]` markup prefixes (removed; the text is kept as written), per-answer
//! `#feedback` (ignored), the missing-word form `text {…} more text` (the block becomes
//! `_____` in the prompt), CRLF line ends and a leading byte-order mark.
//!
//! Escapes: `\~ \= \# \{ \} \: \\` stand for the character, `\n` for a line break. Two extra
//! escapes written by [`export`] only where needed are `\|` (a `|` next to another `|`, so it
//! is not taken for the language separator) and `\>` (a `>` after `-`, so it is not taken for
//! the `->` of a matching pair). Any other backslash is kept literally.
//!
//! Not carried by GIFT: `points` (import sets 1) and `pool` (import sets `None`).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;

use super::model::*;

/// One problem in a GIFT file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftError {
    /// 1-based line number in the imported text.
    pub line: usize,
    /// What is wrong, in English.
    pub message: String,
}

impl fmt::Display for GiftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for GiftError {}

/// Parses a whole GIFT file, all or nothing: every error found, with 1-based line numbers.
///
/// Every question gets `points = 1` and `pool = None`; option ids are `a`, `b`, `c`, … in file
/// order. Errors (all are collected, sorted by line): unbalanced braces (the line of the
/// unclosed `{` or of the unexpected `}`), a `{` inside an answer block, two answer blocks in
/// one question (a missing blank line), an unclosed `::title`, a question without an answer
/// block, an empty answer block, a choice question with fewer than 2 options or no right
/// answer, an option without text, partial-credit weights on short or numeric answers, unknown
/// numeric syntax, a matching block with fewer than 2 pairs or a pair without `->` or with an
/// empty side, and duplicate question ids. Unknown escapes are not errors: they are kept
/// literally.
pub fn import(text: &str) -> Result<Vec<Question>, Vec<GiftError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut errors = Vec::new();
    let mut parsed: Vec<(Question, usize)> = Vec::new();
    for (index, block) in split_blocks(text).iter().enumerate() {
        match parse_question(block, index + 1) {
            Ok(question) => parsed.push((question, block.line)),
            Err(mut found) => errors.append(&mut found),
        }
    }

    let mut first_line: HashMap<&str, usize> = HashMap::new();
    for (question, line) in &parsed {
        match first_line.entry(question.id.as_str()) {
            Entry::Occupied(first) => errors.push(err(
                *line,
                format!(
                    "duplicate question id `{}` (first used on line {})",
                    question.id,
                    first.get()
                ),
            )),
            Entry::Vacant(slot) => {
                slot.insert(*line);
            }
        }
    }

    if errors.is_empty() {
        Ok(parsed.into_iter().map(|(question, _)| question).collect())
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// Writes questions as GIFT such that `import(&export(qs))` is equivalent to `qs`.
///
/// GIFT carries neither `points` nor `pool`, so they are not written. **Equivalent** means:
/// equal after setting every question's `points` to 1 and `pool` to `None`. This holds for
/// questions that follow the content rules (README §5): ids match `[a-z0-9-]{1,64}` and are
/// unique; option ids are `a`, `b`, `c`, … in order (import regenerates them); `single` has at
/// least 2 options and exactly one correct; `multiple` has at least 2 options and at least one
/// correct; every option has text in at least one language; `short_text` has at least one
/// non-empty accepted string; `numeric` has a finite answer and a finite tolerance ≥ 0;
/// `matching` has at least 2 pairs, each side with text in at least one language; texts have
/// no leading or trailing white space (GIFT trims it) and no carriage returns (dropped on
/// export, as Moodle does).
///
/// `multiple` is written with weights: `~%W%` for correct options, W = 100 / number of correct
/// options rounded to 5 decimals (e.g. `33.33333`), and `~%-100%` for wrong ones.
pub fn export(questions: &[Question]) -> String {
    let mut out = String::from(
        "// Assessor Academy questions in GIFT format (points and pools are not part of GIFT).\n",
    );
    for question in questions {
        out.push('\n');
        write_question(&mut out, question);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Import: blocks and tokens
// ---------------------------------------------------------------------------------------------

/// Characters that a backslash escapes (besides `n`, which stands for a line break).
const ESCAPABLE: [char; 9] = ['~', '=', '#', '{', '}', ':', '\\', '|', '>'];

/// Markup prefixes `[name]` that GIFT allows at the start of a text.
const FORMAT_NAMES: [&str; 4] = ["html", "markdown", "plain", "moodle"];

/// One character of a question, after escapes are resolved. Escaped characters are never
/// special.
#[derive(Debug, Clone, Copy)]
struct Tok {
    ch: char,
    esc: bool,
    line: usize,
}

impl Tok {
    /// The unescaped character `c`.
    fn is(&self, c: char) -> bool {
        !self.esc && self.ch == c
    }

    /// Unescaped white space.
    fn is_space(&self) -> bool {
        !self.esc && self.ch.is_whitespace()
    }
}

/// The lines of one question (no comments), as tokens.
struct Block {
    /// Line of the first content line.
    line: usize,
    toks: Vec<Tok>,
}

fn err(line: usize, message: impl Into<String>) -> GiftError {
    GiftError {
        line,
        message: message.into(),
    }
}

/// Splits the text at blank lines; drops comment lines and a leading `$CATEGORY:` line.
fn split_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Vec<(usize, &str)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            push_block(&mut blocks, &current);
            current.clear();
        } else {
            current.push((i + 1, line));
        }
    }
    push_block(&mut blocks, &current);
    blocks
}

fn push_block(blocks: &mut Vec<Block>, lines: &[(usize, &str)]) {
    let mut content = lines
        .iter()
        .filter(|&&(_, l)| !l.trim_start().starts_with("//"))
        .peekable();
    if content
        .peek()
        .is_some_and(|&&(_, l)| l.trim_start().starts_with("$CATEGORY:"))
    {
        content.next();
    }
    let content: Vec<(usize, &str)> = content.copied().collect();
    let Some(&(line, _)) = content.first() else {
        return;
    };
    blocks.push(Block {
        line,
        toks: tokenize(&content),
    });
}

fn tokenize(lines: &[(usize, &str)]) -> Vec<Tok> {
    let mut toks = Vec::new();
    for (k, &(line, text)) in lines.iter().enumerate() {
        if k > 0 {
            toks.push(Tok {
                ch: '\n',
                esc: false,
                line,
            });
        }
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                toks.push(Tok {
                    ch: c,
                    esc: false,
                    line,
                });
                continue;
            }
            match chars.peek().copied() {
                Some('n') => {
                    chars.next();
                    toks.push(Tok {
                        ch: '\n',
                        esc: true,
                        line,
                    });
                }
                Some(e) if ESCAPABLE.contains(&e) => {
                    chars.next();
                    toks.push(Tok {
                        ch: e,
                        esc: true,
                        line,
                    });
                }
                // Unknown escape (or a backslash at the end of a line): kept literally.
                _ => toks.push(Tok {
                    ch: '\\',
                    esc: true,
                    line,
                }),
            }
        }
    }
    toks
}

// ---------------------------------------------------------------------------------------------
// Import: token helpers
// ---------------------------------------------------------------------------------------------

fn trim(toks: &[Tok]) -> &[Tok] {
    let start = toks
        .iter()
        .position(|t| !t.is_space())
        .unwrap_or(toks.len());
    let end = toks
        .iter()
        .rposition(|t| !t.is_space())
        .map_or(start, |i| i + 1);
    toks.get(start..end).unwrap_or(&[])
}

fn tail(toks: &[Tok], start: usize) -> &[Tok] {
    toks.get(start..).unwrap_or(&[])
}

fn head(toks: &[Tok], end: usize) -> &[Tok] {
    toks.get(..end).unwrap_or(toks)
}

fn text_of(toks: &[Tok]) -> String {
    toks.iter().map(|t| t.ch).collect()
}

/// The tokens before the first unescaped `c` (all of them when there is none).
fn until(toks: &[Tok], c: char) -> &[Tok] {
    match toks.iter().position(|t| t.is(c)) {
        Some(i) => head(toks, i),
        None => toks,
    }
}

/// Index of the first unescaped `a` directly followed by an unescaped `b`.
fn find_pair(toks: &[Tok], a: char, b: char) -> Option<usize> {
    toks.windows(2)
        .position(|w| matches!(w, [x, y] if x.is(a) && y.is(b)))
}

/// Removes a leading `[html]`, `[markdown]`, `[plain]` or `[moodle]`.
fn strip_format(toks: &[Tok]) -> &[Tok] {
    match toks {
        [first, rest @ ..] if first.is('[') => {
            if let Some(end) = rest.iter().position(|t| t.ch == ']') {
                let name = text_of(head(rest, end));
                if FORMAT_NAMES.contains(&name.as_str()) {
                    return trim(tail(rest, end + 1));
                }
            }
            toks
        }
        _ => toks,
    }
}

/// Index of the language separator: unescaped `||` with white space or an edge on both sides.
fn find_separator(toks: &[Tok]) -> Option<usize> {
    let space_or_edge = |j: Option<usize>| match j.and_then(|j| toks.get(j)) {
        None => true,
        Some(t) => t.is_space(),
    };
    toks.windows(2)
        .enumerate()
        .find(|&(i, w)| {
            matches!(w, [a, b] if a.is('|') && b.is('|'))
                && space_or_edge(i.checked_sub(1))
                && space_or_edge(Some(i + 2))
        })
        .map(|(i, _)| i)
}

/// A text in both languages: `(th, en)`.
fn bilingual(toks: &[Tok]) -> (String, String) {
    let toks = strip_format(trim(toks));
    match find_separator(toks) {
        Some(i) => (
            text_of(trim(head(toks, i))),
            text_of(trim(tail(toks, i + 2))),
        ),
        None => {
            let text = text_of(toks);
            (text.clone(), text)
        }
    }
}

/// Parses a leading `%N%` answer weight. Returns the weight and the tokens after it, or `None`
/// and the tokens unchanged.
fn take_weight(toks: &[Tok]) -> (Option<f64>, &[Tok]) {
    let [first, rest @ ..] = trim(toks) else {
        return (None, toks);
    };
    if !first.is('%') {
        return (None, toks);
    }
    let Some(end) = rest.iter().position(|t| t.is('%')) else {
        return (None, toks);
    };
    let number = text_of(head(rest, end));
    match number.parse::<f64>() {
        Ok(weight) if is_weight(&number) => (Some(weight), tail(rest, end + 1)),
        _ => (None, toks),
    }
}

/// `-?digits(.digits*)?`
fn is_weight(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

fn is_identifier(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `a`, `b`, …, `z`, `aa`, `ab`, …
fn option_id(index: usize) -> String {
    let mut letters = Vec::new();
    let mut i = index;
    loop {
        letters.push(char::from(b'a' + (i % 26) as u8));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    letters.iter().rev().collect()
}

/// One answer inside a block, after its `=` or `~` marker (`None`: text before any marker).
struct Item<'a> {
    marker: Option<char>,
    toks: &'a [Tok],
    line: usize,
}

fn split_items<'a>(toks: &'a [Tok], markers: &[char]) -> Vec<Item<'a>> {
    let mut items = Vec::new();
    let mut start = 0;
    let mut marker: Option<(char, usize)> = None;
    for (i, t) in toks.iter().enumerate() {
        if !t.esc && markers.contains(&t.ch) {
            push_item(&mut items, marker, toks.get(start..i).unwrap_or(&[]));
            marker = Some((t.ch, t.line));
            start = i + 1;
        }
    }
    push_item(&mut items, marker, tail(toks, start));
    items
}

fn push_item<'a>(items: &mut Vec<Item<'a>>, marker: Option<(char, usize)>, toks: &'a [Tok]) {
    match marker {
        Some((c, line)) => items.push(Item {
            marker: Some(c),
            toks,
            line,
        }),
        None => {
            if let Some(first) = trim(toks).first() {
                items.push(Item {
                    marker: None,
                    toks,
                    line: first.line,
                });
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Import: questions
// ---------------------------------------------------------------------------------------------

fn parse_question(block: &Block, index: usize) -> Result<Question, Vec<GiftError>> {
    let line = block.line;
    let toks = trim(&block.toks);
    let (title, rest) = split_title(toks, line).map_err(|e| vec![e])?;
    let id = match title.map(|t| text_of(trim(t))) {
        Some(t) if is_identifier(&t) => t,
        _ => format!("gift-{index}"),
    };

    let (open, close) = find_answer_block(rest, line)?;
    let open_line = rest.get(open).map_or(line, |t| t.line);
    let before = head(rest, open);
    let inner = trim(rest.get(open + 1..close).unwrap_or(&[]));
    let after = tail(rest, close + 1);

    let mut prompt: Vec<Tok> = before.to_vec();
    if !trim(after).is_empty() {
        // Missing-word form: the answers stand for a blank inside the sentence.
        prompt.extend("_____".chars().map(|ch| Tok {
            ch,
            esc: true,
            line: open_line,
        }));
        prompt.extend_from_slice(after);
    }
    let (prompt_th, prompt_en) = bilingual(&prompt);

    let (answer, feedback) = match inner.windows(4).rposition(|w| w.iter().all(|t| t.is('#'))) {
        Some(i) => (trim(head(inner, i)), tail(inner, i + 4)),
        None => (inner, tail(inner, inner.len())),
    };
    let (feedback_th, feedback_en) = bilingual(feedback);
    let body = parse_body(answer, open_line)?;

    Ok(Question {
        id,
        pool: None,
        points: 1,
        prompt_th,
        prompt_en,
        feedback_th,
        feedback_en,
        body,
    })
}

/// Splits off a leading `::title::`.
fn split_title(toks: &[Tok], line: usize) -> Result<(Option<&[Tok]>, &[Tok]), GiftError> {
    match toks {
        [a, b, after @ ..] if a.is(':') && b.is(':') => match find_pair(after, ':', ':') {
            Some(i) => Ok((Some(head(after, i)), tail(after, i + 2))),
            None => Err(err(
                line,
                "the title opened with `::` is not closed with `::`",
            )),
        },
        _ => Ok((None, toks)),
    }
}

/// Token indices of the `{` and `}` of the one answer block.
fn find_answer_block(toks: &[Tok], line: usize) -> Result<(usize, usize), Vec<GiftError>> {
    let line_at = |i: usize| toks.get(i).map_or(line, |t| t.line);
    let mut errors = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    let mut nested: Option<usize> = None;
    for (i, t) in toks.iter().enumerate() {
        if t.is('{') {
            if !open.is_empty() && nested.is_none() {
                nested = Some(t.line);
            }
            open.push(i);
        } else if t.is('}') {
            match open.pop() {
                None => errors.push(err(
                    t.line,
                    "unexpected `}` without a matching `{` (write `\\}` for a literal brace)",
                )),
                Some(start) => {
                    if open.is_empty() {
                        blocks.push((start, i));
                    }
                }
            }
        }
    }
    for &start in &open {
        errors.push(err(
            line_at(start),
            "`{` is never closed (write `\\{` for a literal brace)",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some(l) = nested {
        return Err(vec![err(
            l,
            "`{` inside an answer block (write `\\{` for a literal brace)",
        )]);
    }
    match blocks.as_slice() {
        [] => Err(vec![err(line, "question has no answer block `{…}`")]),
        [one] => Ok(*one),
        [_, second, ..] => Err(vec![err(
            line_at(second.0),
            "a second answer block in the same question (separate questions with a blank line)",
        )]),
    }
}

fn parse_body(answer: &[Tok], line: usize) -> Result<QuestionBody, Vec<GiftError>> {
    if answer.is_empty() {
        return Err(vec![err(
            line,
            "empty answer block `{}` (essay questions are not supported)",
        )]);
    }
    if answer.first().is_some_and(|t| t.is('#')) {
        return parse_numeric(tail(answer, 1), line);
    }
    if answer.iter().any(|t| t.is('~')) {
        return parse_choice(answer, line);
    }
    if find_pair(answer, '-', '>').is_some() {
        return parse_matching(answer, line);
    }
    match text_of(trim(until(answer, '#'))).as_str() {
        "T" | "TRUE" => return Ok(QuestionBody::TrueFalse { answer: true }),
        "F" | "FALSE" => return Ok(QuestionBody::TrueFalse { answer: false }),
        _ => {}
    }
    parse_short(answer, line)
}

fn parse_choice(toks: &[Tok], line: usize) -> Result<QuestionBody, Vec<GiftError>> {
    let mut errors = Vec::new();
    let mut options = Vec::new();
    let mut right_markers = 0usize;
    let mut positives = 0usize;
    let items = split_items(toks, &['=', '~']);
    for item in &items {
        let Some(marker) = item.marker else {
            errors.push(err(
                item.line,
                "option must start with `=` (right) or `~` (wrong)",
            ));
            continue;
        };
        let (weight, rest) = if marker == '=' {
            right_markers += 1;
            (100.0, item.toks)
        } else {
            let (weight, rest) = take_weight(item.toks);
            (weight.unwrap_or(0.0), rest)
        };
        let text = trim(until(rest, '#'));
        if text.is_empty() {
            errors.push(err(item.line, "option has no text"));
            continue;
        }
        let correct = weight > 0.0;
        if correct {
            positives += 1;
        }
        let (text_th, text_en) = bilingual(text);
        if text_th.trim().is_empty() && text_en.trim().is_empty() {
            errors.push(err(item.line, "option has no text"));
            continue;
        }
        let id = option_id(options.len());
        options.push(Choice {
            id,
            text_th,
            text_en,
            correct,
        });
    }
    if errors.is_empty() {
        if items.len() < 2 {
            errors.push(err(line, "a choice question needs at least 2 options"));
        } else if positives == 0 {
            errors.push(err(
                line,
                "no right answer: mark one option with `=` (or give options a positive `~%N%` weight)",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if right_markers == 1 && positives == 1 {
        Ok(QuestionBody::Single { options })
    } else {
        Ok(QuestionBody::Multiple { options })
    }
}

fn parse_short(toks: &[Tok], line: usize) -> Result<QuestionBody, Vec<GiftError>> {
    let mut errors = Vec::new();
    let mut accepted = Vec::new();
    for item in split_items(toks, &['=']) {
        let (weight, rest) = take_weight(item.toks);
        let weight = weight.unwrap_or(100.0);
        if weight <= 0.0 {
            // A wrong answer that only carries feedback.
            continue;
        }
        if weight < 100.0 {
            errors.push(err(
                item.line,
                "partial credit (`%N%` below 100) is not supported for short answers",
            ));
            continue;
        }
        let text = text_of(trim(until(rest, '#')));
        if text.is_empty() || crate::quizzes::engine::normalise_text(&text).is_empty() {
            errors.push(err(item.line, "empty accepted answer"));
            continue;
        }
        if text.chars().count() > crate::quizzes::engine::MAX_TEXT_ANSWER {
            errors.push(err(
                item.line,
                "accepted answer longer than 500 characters, more than a trainee can send",
            ));
            continue;
        }
        accepted.push(text);
    }
    if errors.is_empty() && accepted.is_empty() {
        errors.push(err(line, "short answer has no accepted answer"));
    }
    if errors.is_empty() {
        Ok(QuestionBody::ShortText { accepted })
    } else {
        Err(errors)
    }
}

fn parse_numeric(toks: &[Tok], line: usize) -> Result<QuestionBody, Vec<GiftError>> {
    let mut errors = Vec::new();
    let mut found: Vec<(f64, f64, usize)> = Vec::new();
    // `~` starts feedback for any other (wrong) answer: ignored.
    for item in split_items(until(toks, '~'), &['=']) {
        let (weight, rest) = take_weight(item.toks);
        let weight = weight.unwrap_or(100.0);
        if weight <= 0.0 {
            continue;
        }
        if weight < 100.0 {
            errors.push(err(
                item.line,
                "partial credit (`%N%` below 100) is not supported for numeric answers",
            ));
            continue;
        }
        match parse_number_answer(&text_of(trim(until(rest, '#')))) {
            Ok((answer, tolerance)) => found.push((answer, tolerance, item.line)),
            Err(message) => errors.push(err(item.line, message)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    match found.as_slice() {
        [] => Err(vec![err(line, "numeric answer block has no answer")]),
        [(answer, tolerance, _)] => Ok(QuestionBody::Numeric {
            answer: *answer,
            tolerance: *tolerance,
        }),
        [_, (_, _, second), ..] => Err(vec![err(*second, "only one numeric answer is supported")]),
    }
}

/// `answer`, `answer:tolerance` or `min..max`.
fn parse_number_answer(s: &str) -> Result<(f64, f64), String> {
    let syntax = || {
        format!(
            "unknown numeric syntax `{s}`: write `{{#answer}}`, `{{#answer:tolerance}}` or `{{#min..max}}`"
        )
    };
    let number = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    let (answer, tolerance) = if let Some((lo, hi)) = s.split_once("..") {
        let (Some(lo), Some(hi)) = (number(lo), number(hi)) else {
            return Err(syntax());
        };
        if lo > hi {
            return Err(format!(
                "numeric range `{s}`: the minimum is greater than the maximum"
            ));
        }
        ((lo + hi) / 2.0, (hi - lo) / 2.0)
    } else if let Some((answer, tolerance)) = s.split_once(':') {
        let (Some(answer), Some(tolerance)) = (number(answer), number(tolerance)) else {
            return Err(syntax());
        };
        if tolerance < 0.0 {
            return Err(format!("numeric answer `{s}`: the tolerance is negative"));
        }
        (answer, tolerance)
    } else {
        match number(s) {
            Some(answer) => (answer, 0.0),
            None => return Err(syntax()),
        }
    };
    if answer.is_finite() && tolerance.is_finite() {
        Ok((answer, tolerance))
    } else {
        Err(syntax())
    }
}

fn parse_matching(toks: &[Tok], line: usize) -> Result<QuestionBody, Vec<GiftError>> {
    let mut errors = Vec::new();
    let mut pairs = Vec::new();
    for item in split_items(toks, &['=']) {
        if item.marker.is_none() {
            errors.push(err(item.line, "each matching pair must start with `=`"));
            continue;
        }
        let pair = trim(item.toks);
        let Some(arrow) = find_pair(pair, '-', '>') else {
            errors.push(err(item.line, "matching pair without `->`"));
            continue;
        };
        let left = trim(head(pair, arrow));
        let right = trim(tail(pair, arrow + 2));
        if left.is_empty() || right.is_empty() {
            errors.push(err(
                item.line,
                "both sides of a matching pair need text (extra distractors are not supported)",
            ));
            continue;
        }
        let (left_th, left_en) = bilingual(left);
        let (right_th, right_en) = bilingual(right);
        if (left_th.trim().is_empty() && left_en.trim().is_empty())
            || (right_th.trim().is_empty() && right_en.trim().is_empty())
        {
            errors.push(err(
                item.line,
                "both sides of a matching pair need text (extra distractors are not supported)",
            ));
            continue;
        }
        pairs.push(Pair {
            left_th,
            left_en,
            right_th,
            right_en,
        });
    }
    if errors.is_empty() && pairs.len() < 2 {
        errors.push(err(line, "a matching question needs at least 2 pairs"));
    }
    if errors.is_empty() {
        Ok(QuestionBody::Matching { pairs })
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

fn write_question(out: &mut String, q: &Question) {
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
    match &q.body {
        QuestionBody::Single { options } => {
            out.push_str("{\n");
            for option in options {
                let text = compose(&option.text_th, &option.text_en);
                let marker = if option.correct {
                    "="
                } else if text.starts_with('%') {
                    // Keep a text such as `%5% off` from being read as a weight.
                    "~%0%"
                } else {
                    "~"
                };
                push_answer(out, marker, &text);
            }
            close_block(out, &feedback);
        }
        QuestionBody::Multiple { options } => {
            let correct = options.iter().filter(|o| o.correct).count().max(1);
            let right = format!("~%{}%", format_weight(100.0 / correct as f64));
            out.push_str("{\n");
            for option in options {
                let marker = if option.correct {
                    right.as_str()
                } else {
                    "~%-100%"
                };
                push_answer(out, marker, &compose(&option.text_th, &option.text_en));
            }
            close_block(out, &feedback);
        }
        QuestionBody::TrueFalse { answer } => {
            out.push_str(if *answer { "{TRUE" } else { "{FALSE" });
            out.push_str(&feedback);
            out.push_str("}\n");
        }
        QuestionBody::ShortText { accepted } => {
            out.push_str("{\n");
            for text in accepted {
                let text = escape(text);
                let marker = if text.starts_with('%') { "=%100%" } else { "=" };
                push_answer(out, marker, &text);
            }
            close_block(out, &feedback);
        }
        QuestionBody::Numeric { answer, tolerance } => {
            // `Display` for f64 never uses exponents and round-trips exactly.
            out.push_str(&format!("{{#{answer}:{tolerance}{feedback}}}\n"));
        }
        QuestionBody::Matching { pairs } => {
            out.push_str("{\n");
            for pair in pairs {
                let text = format!(
                    "{} -> {}",
                    compose(&pair.left_th, &pair.left_en),
                    compose(&pair.right_th, &pair.right_en)
                );
                push_answer(out, "=", &text);
            }
            close_block(out, &feedback);
        }
    }
}

fn push_answer(out: &mut String, marker: &str, text: &str) {
    out.push('\t');
    out.push_str(marker);
    out.push_str(text);
    out.push('\n');
}

fn close_block(out: &mut String, feedback: &str) {
    if !feedback.is_empty() {
        out.push('\t');
        out.push_str(feedback);
        out.push('\n');
    }
    out.push_str("}\n");
}

/// `100 / n` rounded to 5 decimals, without trailing zeros (`50`, `33.33333`).
fn format_weight(weight: f64) -> String {
    let text = format!("{weight:.5}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A bilingual text as one escaped GIFT text.
fn compose(th: &str, en: &str) -> String {
    let text = if th == en {
        escape(th)
    } else {
        format!("{} || {}", escape(th), escape(en))
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
fn escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().filter(|&c| c != '\r').collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        match c {
            '\\' => out.push_str("\\\\"),
            '~' | '=' | '#' | '{' | '}' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '|' if prev == Some('|') || next == Some('|') => out.push_str("\\|"),
            '>' if prev == Some('-') => out.push_str("\\>"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
