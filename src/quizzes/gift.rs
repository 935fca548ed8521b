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
//! | `{=right ~wrong ~%50%half}` (any `=`: Moodle's single-answer) | `single`; `~%N%` options keep N % as `credit`, several `=` are each worth 100 % |
//! | `{~%50%a ~%50%b ~%-100%c}` (no `=`: Moodle's multiple-answer) | `multiple`, `correct = weight > 0`, weights kept as `credit` (the chosen weights add up, 0–100 %) unless they are the equal split our own rule grades alike |
//! | `{T}` `{F}` `{TRUE}` `{FALSE}` | `true_false` |
//! | `{=a =b =%50%c}` (only `=`, no `~`, no `->`) or `{a}` | `short_text`, `=%N%` answers in `partial` |
//! | `{#3.14:0.01}` `{#76}` `{#min..max}` `{#=3.14:0.01 =%50%3.1:0.1}` | `numeric` (a range becomes answer `(min+max)/2`, tolerance `(max-min)/2`; the answer worth 100 %, the others in `alternatives`) |
//! | `{=left -> right … = -> extra}` | `matching`; a pair with nothing on the left is a distractor |
//! | text with no `{…}` | `description` (0 points, nothing to answer) |
//! | `{}` (essay) | a written task with one overall criterion (GIFT has no rubric) |
//! | `####text` at the end of the block | `feedback_th` / `feedback_en` |
//!
//! [`import_with`] also returns a report: what each question became (line, id, kind, notes
//! such as the partial credit kept) and what was left out.
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
//! Escapes: `\~ \= \# \{ \} \: \\` stand for the character, `\n` for a line break; the
//! export writes only these (Moodle's). `\|` and `\>`, which earlier exports wrote, are still
//! read. Any other backslash is kept literally.
//!
//! Not carried by GIFT: `points` (import sets 1) and `pool` (import sets `None`).

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;

use super::model::*;

mod export;
pub use export::*;

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

/// How to import a GIFT file.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Leave out the questions of a kind this service cannot take (essays, until the
    /// written-task kind exists) and list them in the report, instead of refusing the file.
    pub skip_unsupported: bool,
}

/// What an import made of each question of the file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub imported: Vec<ImportedQuestion>,
    /// Questions left out (only with `skip_unsupported`), with why.
    pub skipped: Vec<SkippedQuestion>,
}

/// One imported question: where it was, what it became, and anything worth knowing about it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportedQuestion {
    pub line: usize,
    pub id: String,
    pub kind: String,
    pub notes: Vec<String>,
}

/// A question left out of an import.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SkippedQuestion {
    pub line: usize,
    pub reason: String,
}

/// Parses a whole GIFT file, all or nothing: every error found, with 1-based line numbers.
/// See [`import_with`].
pub fn import(text: &str) -> Result<Vec<Question>, Vec<GiftError>> {
    import_with(text, ImportOptions::default()).map(|(questions, _)| questions)
}

/// Parses a whole GIFT file as Moodle reads it (docs.moodle.org, "GIFT format") and reports
/// what each question became.
///
/// Every question gets `points = 1` (a description 0) and `pool = None`; option ids are `a`,
/// `b`, `c`, … in file order. Errors (all are collected, sorted by line): unbalanced braces (the
/// line of the unclosed `{` or of the unexpected `}`), a `{` inside an answer block, two answer
/// blocks in one question (a missing blank line), an unclosed `::title`, a choice question with
/// fewer than 2 options or no right answer, an option without text, unknown numeric syntax, a
/// numeric or short answer with no answer worth 100 %, a matching block with fewer than 2 pairs
/// or a pair without `->`, duplicate question ids, and (unless `skip_unsupported`) an essay.
/// Unknown escapes are not errors: they are kept literally.
pub fn import_with(
    text: &str,
    options: ImportOptions,
) -> Result<(Vec<Question>, ImportReport), Vec<GiftError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut errors = Vec::new();
    let mut parsed: Vec<(Question, usize, Vec<String>)> = Vec::new();
    let mut report = ImportReport::default();
    for (index, block) in split_blocks(text).iter().enumerate() {
        match parse_question(block, index + 1) {
            Ok(Parsed::Question(question, notes)) => parsed.push((*question, block.line, notes)),
            Ok(Parsed::Unsupported(reason)) => {
                if options.skip_unsupported {
                    report.skipped.push(SkippedQuestion {
                        line: block.line,
                        reason,
                    });
                } else {
                    errors.push(err(
                        block.line,
                        format!("{reason}; import with skip_unsupported to leave it out"),
                    ));
                }
            }
            Err(mut found) => errors.append(&mut found),
        }
    }

    let mut first_line: HashMap<&str, usize> = HashMap::new();
    for (question, line, _) in &parsed {
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

    if errors.is_empty()
        && !parsed.is_empty()
        && parsed
            .iter()
            .all(|(q, _, _)| q.body == QuestionBody::Description)
    {
        errors.push(err(
            parsed[0].1,
            "the file holds no question to answer: text without an answer block `{…}` is only a \
             description",
        ));
    }
    if errors.is_empty() {
        report.imported = parsed
            .iter()
            .map(|(q, line, notes)| ImportedQuestion {
                line: *line,
                id: q.id.clone(),
                kind: q.body.kind().to_string(),
                notes: notes.clone(),
            })
            .collect();
        Ok((parsed.into_iter().map(|(q, _, _)| q).collect(), report))
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
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

/// A question as parsed: a question with notes for the report, or one of a kind this service
/// cannot take yet.
/// The word limit of an essay imported from GIFT (which has none).
pub const ESSAY_WORD_LIMIT: u32 = 500;

#[allow(dead_code)]
enum Parsed {
    Question(Box<Question>, Vec<String>),
    Unsupported(String),
}

fn parse_question(block: &Block, index: usize) -> Result<Parsed, Vec<GiftError>> {
    let line = block.line;
    let toks = trim(&block.toks);
    let (title, rest) = split_title(toks, line).map_err(|e| vec![e])?;
    let id = match title.map(|t| text_of(trim(t))) {
        Some(t) if is_identifier(&t) => t,
        _ => format!("gift-{index}"),
    };

    let Some((open, close)) = find_answer_block(rest, line)? else {
        // No answer block: Moodle's "description", text shown with nothing to answer.
        let (prompt_th, prompt_en) = bilingual(rest);
        if prompt_th.trim().is_empty() && prompt_en.trim().is_empty() {
            return Err(vec![err(
                line,
                "a question with neither text nor answer block",
            )]);
        }
        return Ok(Parsed::Question(
            Box::new(Question {
                id,
                pool: None,
                points: 0,
                prompt_th,
                prompt_en,
                feedback_th: String::new(),
                feedback_en: String::new(),
                body: QuestionBody::Description,
            }),
            vec!["description: text shown between questions, nothing to answer, no points".into()],
        ));
    };
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
    if answer.is_empty() {
        // An essay: GIFT carries neither a rubric nor a word limit, so it gets one overall
        // criterion worth its point and the default limit; the notes say so.
        return Ok(Parsed::Question(
            Box::new(Question {
                id,
                pool: None,
                points: 1,
                prompt_th,
                prompt_en,
                feedback_th,
                feedback_en,
                body: QuestionBody::Essay {
                    word_limit: ESSAY_WORD_LIMIT,
                    rubric: vec![crate::quizzes::model::Criterion::overall(1)],
                },
            }),
            vec![format!(
                "essay: a written task marked by people; GIFT has no rubric or word limit, so it \
                 has one overall criterion (0–1 point) and a limit of {ESSAY_WORD_LIMIT} words: \
                 write its rubric in the quiz file"
            )],
        ));
    }
    let (body, notes) = parse_body(answer, open_line)?;

    Ok(Parsed::Question(
        Box::new(Question {
            id,
            pool: None,
            points: 1,
            prompt_th,
            prompt_en,
            feedback_th,
            feedback_en,
            body,
        }),
        notes,
    ))
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

/// Token indices of the `{` and `}` of the one answer block (`None`: there is none).
fn find_answer_block(toks: &[Tok], line: usize) -> Result<Option<(usize, usize)>, Vec<GiftError>> {
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
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        [_, second, ..] => Err(vec![err(
            line_at(second.0),
            "a second answer block in the same question (separate questions with a blank line)",
        )]),
    }
}

type Body = (QuestionBody, Vec<String>);

fn parse_body(answer: &[Tok], line: usize) -> Result<Body, Vec<GiftError>> {
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
        "T" | "TRUE" => return Ok((QuestionBody::TrueFalse { answer: true }, vec![])),
        "F" | "FALSE" => return Ok((QuestionBody::TrueFalse { answer: false }, vec![])),
        _ => {}
    }
    parse_short(answer, line)
}

/// A weight as written (`%50%` → 50), for the report.
fn percent(w: f64) -> String {
    format_weight(w) + " %"
}

/// A choice question as Moodle reads it: with a `=` anywhere it is single-answer (radio
/// buttons): `=` options are worth 100 %, `~%N%` options N %, other `~` options nothing. Without
/// any `=` it is multiple-answer (check boxes) and each option is worth its `~%N%` weight, the
/// chosen weights adding up.
fn parse_choice(toks: &[Tok], line: usize) -> Result<Body, Vec<GiftError>> {
    let mut errors = Vec::new();
    let mut options: Vec<Choice> = Vec::new();
    let items = split_items(toks, &['=', '~']);
    let single = items.iter().any(|i| i.marker == Some('='));
    let mut weighted = false;
    for item in &items {
        let Some(marker) = item.marker else {
            errors.push(err(
                item.line,
                "option must start with `=` (right) or `~` (wrong)",
            ));
            continue;
        };
        let (weight, rest) = take_weight(item.toks);
        let weight = match (marker, weight) {
            ('=', w) => {
                weighted |= w.is_some_and(|w| w != 100.0);
                w.unwrap_or(100.0)
            }
            (_, Some(w)) => {
                weighted |= w != 0.0;
                w
            }
            (_, None) => 0.0,
        };
        if !(-100.0..=100.0).contains(&weight) {
            errors.push(err(
                item.line,
                format!("weight {weight} %: a weight lies between -100 and 100"),
            ));
            continue;
        }
        let text = trim(until(rest, '#'));
        let (text_th, text_en) = bilingual(text);
        if text.is_empty() || (text_th.trim().is_empty() && text_en.trim().is_empty()) {
            errors.push(err(item.line, "option has no text"));
            continue;
        }
        options.push(Choice {
            id: option_id(options.len()),
            text_th,
            text_en,
            correct: if single {
                weight >= 100.0
            } else {
                weight > 0.0
            },
            credit: Some(weight),
        });
    }
    if errors.is_empty() {
        if items.len() < 2 {
            errors.push(err(line, "a choice question needs at least 2 options"));
        } else if single && !options.iter().any(|o| o.correct) {
            errors.push(err(
                line,
                "no option is worth 100 %: mark the right one with `=",
            ));
        } else if !options.iter().any(|o| o.correct) {
            errors.push(err(
                line,
                "no right answer: mark one option with `=` (or give options a positive `~%N%` weight)",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut notes = Vec::new();
    if single {
        let rights = options.iter().filter(|o| o.correct).count();
        if !weighted && rights == 1 {
            // The plain form: one right option, the others worth nothing.
            for o in &mut options {
                o.credit = None;
            }
        } else {
            let partial: Vec<String> = options
                .iter()
                .filter(|o| o.credit.is_some_and(|c| c != 0.0 && c < 100.0))
                .map(|o| format!("{} {}", o.id, percent(o.credit())))
                .collect();
            if rights > 1 {
                notes.push(format!("{rights} options are each worth 100 %"));
            }
            if !partial.is_empty() {
                notes.push(format!("partial credit: {}", partial.join(", ")));
            }
        }
        return Ok((QuestionBody::Single { options }, notes));
    }
    let positive: f64 = options.iter().map(|o| o.credit().max(0.0)).sum();
    if (positive - 100.0).abs() > 0.01 {
        notes.push(format!(
            "the positive weights add up to {} (Moodle expects 100 %); a trainee scores at most 100 %",
            percent(positive)
        ));
    }
    if is_equal_split(&options) {
        // Equal shares that one wrong choice cancels: the same as the rule without weights.
        for o in &mut options {
            o.credit = None;
        }
    } else {
        notes.push(format!(
            "weights: {}",
            options
                .iter()
                .map(|o| format!("{} {}", o.id, percent(o.credit())))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok((QuestionBody::Multiple { options }, notes))
}

/// Whether a multiple-answer question's weights are the equal split our own rule grades the
/// same way: every right option 100/n % and every wrong one −100/n % (n right options), as
/// Moodle's list of grades writes them (5 decimals).
fn is_equal_split(options: &[Choice]) -> bool {
    let n = options.iter().filter(|o| o.correct).count();
    if n == 0 {
        return false;
    }
    let share = 100.0 / n as f64;
    options.iter().all(|o| {
        let c = o.credit();
        let expected = if o.correct { share } else { -share };
        (c - expected).abs() < 0.0001
    })
}

fn parse_short(toks: &[Tok], line: usize) -> Result<Body, Vec<GiftError>> {
    let mut errors = Vec::new();
    let mut accepted = Vec::new();
    let mut partial = Vec::new();
    for item in split_items(toks, &['=']) {
        let (weight, rest) = take_weight(item.toks);
        let weight = weight.unwrap_or(100.0);
        if weight <= 0.0 {
            // A wrong answer that only carries feedback.
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
        if weight > 100.0 {
            errors.push(err(item.line, format!("weight {weight} %: at most 100")));
        } else if weight < 100.0 {
            partial.push(PartialText {
                text,
                credit: weight,
            });
        } else {
            accepted.push(text);
        }
    }
    if errors.is_empty() && accepted.is_empty() {
        errors.push(err(
            line,
            if partial.is_empty() {
                "short answer has no accepted answer"
            } else {
                "short answer has no answer worth 100 %"
            },
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let notes = if partial.is_empty() {
        vec![]
    } else {
        vec![format!(
            "partial credit: {}",
            partial
                .iter()
                .map(|p| format!("“{}” {}", p.text, percent(p.credit)))
                .collect::<Vec<_>>()
                .join(", ")
        )]
    };
    Ok((QuestionBody::ShortText { accepted, partial }, notes))
}

fn parse_numeric(toks: &[Tok], line: usize) -> Result<Body, Vec<GiftError>> {
    let mut errors = Vec::new();
    let mut found: Vec<(f64, f64, f64, usize)> = Vec::new();
    // `~` starts feedback for any other (wrong) answer: ignored.
    for item in split_items(until(toks, '~'), &['=']) {
        let (weight, rest) = take_weight(item.toks);
        let weight = weight.unwrap_or(100.0);
        if weight <= 0.0 {
            continue;
        }
        if weight > 100.0 {
            errors.push(err(item.line, format!("weight {weight} %: at most 100")));
            continue;
        }
        match parse_number_answer(&text_of(trim(until(rest, '#')))) {
            Ok((answer, tolerance)) => found.push((answer, tolerance, weight, item.line)),
            Err(message) => errors.push(err(item.line, message)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(main) = found.iter().position(|f| f.2 >= 100.0) else {
        return Err(vec![err(
            line,
            if found.is_empty() {
                "numeric answer block has no answer"
            } else {
                "numeric question has no answer worth 100 %"
            },
        )]);
    };
    let (answer, tolerance, _, _) = found.remove(main);
    let alternatives: Vec<NumericAlternative> = found
        .into_iter()
        .map(|(answer, tolerance, credit, _)| NumericAlternative {
            answer,
            tolerance,
            credit,
        })
        .collect();
    let notes = alternatives
        .iter()
        .map(|a| {
            format!(
                "also accepted: {} ± {} for {}",
                a.answer,
                a.tolerance,
                percent(a.credit)
            )
        })
        .collect();
    Ok((
        QuestionBody::Numeric {
            answer,
            tolerance,
            alternatives,
        },
        notes,
    ))
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

/// Matching pairs `=left -> right`; a pair with nothing on the left (`= -> extra`) is a
/// distractor: a right-hand item that matches no left item. As in Moodle, the first `->`
/// separates the sides.
fn parse_matching(toks: &[Tok], line: usize) -> Result<Body, Vec<GiftError>> {
    let mut errors = Vec::new();
    let mut pairs = Vec::new();
    let mut distractors = Vec::new();
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
        let (left_th, left_en) = bilingual(trim(head(pair, arrow)));
        let (right_th, right_en) = bilingual(trim(tail(pair, arrow + 2)));
        let empty = |th: &str, en: &str| th.trim().is_empty() && en.trim().is_empty();
        if empty(&right_th, &right_en) {
            errors.push(err(
                item.line,
                "a matching pair needs text on the right of `->`",
            ));
            continue;
        }
        if empty(&left_th, &left_en) {
            distractors.push(Distractor {
                text_th: right_th,
                text_en: right_en,
            });
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
    if !errors.is_empty() {
        return Err(errors);
    }
    let notes = if distractors.is_empty() {
        vec![]
    } else {
        vec![format!(
            "{} pairs and {} extra right-hand item(s) that match nothing",
            pairs.len(),
            distractors.len()
        )]
    };
    Ok((QuestionBody::Matching { pairs, distractors }, notes))
}

#[cfg(test)]
mod tests;
