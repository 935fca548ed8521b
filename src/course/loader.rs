//! Loads and validates a course content folder (the format is described in
//! `course_content/README.md`).
//!
//! Every problem is reported with the file relative to the content folder and the 1-based
//! line of the key or table that is wrong (line 1 when it concerns the whole file). TOML is
//! parsed with the `toml` crate for its structure; the lines of keys and tables are found by
//! scanning the source text, which also refuses bracket nesting deeper than the limit before
//! the parser runs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use crate::course::model::*;
use crate::quizzes::model::*;

/// Largest front matter block (between the two `+++` lines), in bytes.
const MAX_FRONT_MATTER: usize = 4096;
/// Largest module file (`th.md`, `en.md`), in bytes.
const MAX_MODULE_FILE: usize = 256 * 1024;
/// Largest quiz file, in bytes.
const MAX_QUIZ_FILE: usize = 512 * 1024;
/// Largest `programme.toml`, in bytes.
const MAX_PROGRAMME_FILE: usize = 64 * 1024;
/// Deepest nesting of tables, arrays and inline tables below the document.
const MAX_NESTING: usize = 8;
/// Deepest sub-folder of a module folder searched for images.
const MAX_FOLDER_DEPTH: usize = 8;
/// File extensions (lower case) of the images a module folder may hold.
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp", "svg"];
/// The identifier rule, as shown in messages.
const IDENT_RULE: &str = "[a-z0-9-]{1,64}";
const BOM_MESSAGE: &str = "the file starts with a byte-order mark; save it as UTF-8 without BOM";

const PROGRAMME_KEYS: &[&str] = &[
    "id",
    "version",
    "title_th",
    "title_en",
    "description_th",
    "description_en",
    "scopes",
];
const SCOPE_KEYS: &[&str] = &[
    "id",
    "title_th",
    "title_en",
    "description_th",
    "description_en",
    "validity_months",
    "required_modules",
    "required_quizzes",
    "min_attendance_percent",
];
const FRONT_MATTER_KEYS: &[&str] = &["title", "minutes", "prerequisites"];
const QUIZ_KEYS: &[&str] = &[
    "title_th",
    "title_en",
    "module",
    "time_limit_s",
    "attempts_allowed",
    "pass_percent",
    "grading",
    "shuffle_questions",
    "shuffle_options",
    "review",
    "blueprint",
    "questions",
];
const BLUEPRINT_KEYS: &[&str] = &["pool", "draw"];
const QUESTION_KEYS: &[&str] = &[
    "id",
    "pool",
    "kind",
    "points",
    "prompt_th",
    "prompt_en",
    "feedback_th",
    "feedback_en",
];
/// Keys that belong to one kind of question or another.
const KIND_KEYS: &[&str] = &["options", "answer", "accepted", "tolerance", "pairs"];
const OPTION_KEYS: &[&str] = &["id", "text_th", "text_en", "correct"];
const PAIR_KEYS: &[&str] = &["left_th", "left_en", "right_th", "right_en"];

const GRADINGS: &[(&str, Grading)] = &[
    ("highest", Grading::Highest),
    ("last", Grading::Last),
    ("first", Grading::First),
    ("average", Grading::Average),
];
const REVIEWS: &[(&str, ReviewPolicy)] = &[
    ("never", ReviewPolicy::Never),
    ("after_submit", ReviewPolicy::AfterSubmit),
    ("after_close", ReviewPolicy::AfterClose),
];
const KINDS: &[(&str, Kind)] = &[
    ("single", Kind::Single),
    ("multiple", Kind::Multiple),
    ("true_false", Kind::TrueFalse),
    ("short_text", Kind::ShortText),
    ("numeric", Kind::Numeric),
    ("matching", Kind::Matching),
];

/// The validated front matter of a module file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFrontMatter {
    /// The module title in the file's language.
    pub title: String,
    /// Expected study time in minutes, 1–600.
    pub minutes: u32,
    /// Slugs of the modules that must be studied first.
    pub prerequisites: Vec<String>,
}

/// Loads and validates a content folder. Returns every problem found (not just the first).
///
/// Problems are sorted by file and line. Only files under `dir` are read: entries whose names
/// start with `.` are ignored and symbolic links that point outside `dir` are refused.
pub fn load_course(dir: &Path) -> Result<Course, Vec<Problem>> {
    let root = match fs::canonicalize(dir) {
        Ok(root) if root.is_dir() => root,
        Ok(_) => {
            return Err(vec![problem(
                ".",
                1,
                format!("{} is not a folder", dir.display()),
            )])
        }
        Err(error) => {
            return Err(vec![problem(
                ".",
                1,
                format!("cannot open the content folder {}: {error}", dir.display()),
            )]);
        }
    };
    let mut problems = Vec::new();
    let (modules, module_slugs) = load_modules(&root, &mut problems);
    let module_set: BTreeSet<String> = module_slugs.into_iter().collect();
    let (quizzes, quiz_slugs) = load_quizzes(&root, &module_set, &mut problems);
    let known = Known {
        modules: &module_set,
        quizzes: &quiz_slugs,
    };
    let programme = load_programme(&root, known, &mut problems);
    match programme {
        Some(programme) if problems.is_empty() => Ok(Course {
            programme,
            modules,
            quizzes,
        }),
        _ => {
            if problems.is_empty() {
                problems.push(problem(
                    "programme.toml",
                    1,
                    "the programme could not be loaded",
                ));
            }
            sort_problems(&mut problems);
            Err(problems)
        }
    }
}

/// Parses one quiz file's text (used by load_course and by instructors' uploads); `file` is the name used in problems.
///
/// Whether the quiz's `module` exists is checked only by [`load_course`].
pub fn parse_quiz(slug: &str, file: &str, text: &str) -> Result<Quiz, Vec<Problem>> {
    quiz_from_text(slug, file, text, None)
}

/// Splits a module file into its front matter and Markdown body, and validates the front matter.
///
/// Whether the prerequisites are earlier modules is checked only by [`load_course`].
pub fn parse_module_file(
    file: &str,
    text: &str,
) -> Result<(ModuleFrontMatter, String), Vec<Problem>> {
    match module_file(file, text, None) {
        (Some(parsed), problems) if problems.is_empty() => Ok((parsed.front, parsed.body)),
        (_, problems) => Err(problems),
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn problem(file: &str, line: usize, message: impl Into<String>) -> Problem {
    Problem {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// Sorts problems by file and line (keeping the order of problems on one line) and drops repeats.
fn sort_problems(problems: &mut Vec<Problem>) {
    problems.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
    problems.dedup();
}

/// `[a-z0-9-]{1,64}`.
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// An identifier that starts with a two-digit position and a dash (`01-…`).
fn is_module_slug(name: &str) -> bool {
    let bytes = name.as_bytes();
    is_identifier(name)
        && bytes.len() > 3
        && bytes.iter().take(2).all(u8::is_ascii_digit)
        && bytes.get(2) == Some(&b'-')
}

fn is_image_name(name: &str) -> bool {
    Path::new(name)
        .extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| IMAGE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The 1-based line of byte `offset` of `text`, whose first line is line `first_line`.
fn line_at(text: &str, offset: usize, first_line: usize) -> usize {
    let end = offset.min(text.len());
    first_line
        + text
            .as_bytes()
            .get(..end)
            .map_or(0, |before| before.iter().filter(|&&c| c == b'\n').count())
}

/// `what "id": ` when the table has a usable `key`, else `what N: `.
fn named_prefix(what: &str, key: &str, table: &Table, index: usize) -> String {
    match table.get(key).and_then(Value::as_str) {
        Some(name) if !name.trim().is_empty() => format!("{what} \"{name}\": "),
        _ => format!("{what} {}: ", index + 1),
    }
}

/// True when `value` nests arrays and tables more than `limit` levels deep (a scalar is 0).
fn nests_deeper_than(value: &Value, limit: usize) -> bool {
    match value {
        Value::Array(items) => limit == 0 || items.iter().any(|v| nests_deeper_than(v, limit - 1)),
        Value::Table(table) => {
            limit == 0 || table.values().any(|v| nests_deeper_than(v, limit - 1))
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Locating keys and tables in TOML source text
// ---------------------------------------------------------------------------------------------

/// A table header or a key assignment found in TOML source text.
#[derive(Debug)]
enum Entry {
    /// `[path]`, or `[[path]]` when `array`.
    Header {
        line: usize,
        path: Vec<String>,
        array: bool,
    },
    /// `key = …` outside any string, array or inline table (first segment of a dotted key).
    Key { line: usize, key: String },
}

impl Entry {
    fn line(&self) -> usize {
        match self {
            Entry::Header { line, .. } | Entry::Key { line, .. } => *line,
        }
    }

    fn is_key(&self) -> bool {
        matches!(self, Entry::Key { .. })
    }

    /// `name` when this is a `[[name]]` header (a name without dots).
    fn array_header_name(&self) -> Option<&str> {
        match self {
            Entry::Header {
                path, array: true, ..
            } if path.len() == 1 => path.first().map(String::as_str),
            _ => None,
        }
    }

    fn key_line(&self, name: &str) -> Option<usize> {
        match self {
            Entry::Key { line, key } if key == name => Some(*line),
            _ => None,
        }
    }
}

/// Where a table being validated is written.
#[derive(Debug, Clone, Copy)]
enum Sec {
    /// The document itself.
    Top,
    /// The n-th (0-based) `[[name]]` table.
    Array(&'static str, usize),
    /// An inline table: every key is reported on this line.
    Fixed(usize),
}

/// String and bracket state carried from one line to the next.
#[derive(Debug, Default)]
struct ScanState {
    in_basic: bool,
    in_literal: bool,
    depth: usize,
}

impl ScanState {
    fn at_top(&self) -> bool {
        self.depth == 0 && !self.in_basic && !self.in_literal
    }
}

/// The headers and keys of a TOML text with their lines.
#[derive(Debug)]
struct Locator {
    entries: Vec<Entry>,
    /// For each `[[name]]`, the indices in `entries` of its headers, in order.
    array_headers: HashMap<String, Vec<usize>>,
    /// The first line where arrays and inline tables nest deeper than allowed.
    too_deep: Option<usize>,
}

impl Locator {
    /// Scans `text`, whose first line is line `first_line` of its file.
    fn new(text: &str, first_line: usize) -> Locator {
        let mut entries = Vec::new();
        let mut too_deep = None;
        let mut state = ScanState::default();
        for (index, raw) in text.split('\n').enumerate() {
            let line_no = first_line + index;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            let mut start = 0;
            if state.at_top() {
                let trimmed = line.trim_start();
                if trimmed.starts_with('[') {
                    if let Some((path, array)) = parse_header(trimmed) {
                        entries.push(Entry::Header {
                            line: line_no,
                            path,
                            array,
                        });
                        continue;
                    }
                } else if let Some((key, rest)) = parse_key_line(trimmed) {
                    entries.push(Entry::Key { line: line_no, key });
                    start = line.len().saturating_sub(rest.len());
                }
            }
            let deepest = scan_line(line.as_bytes(), start, &mut state);
            if deepest > MAX_NESTING && too_deep.is_none() {
                too_deep = Some(line_no);
            }
        }
        let mut array_headers: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            if let Some(name) = entry.array_header_name() {
                array_headers
                    .entry(name.to_string())
                    .or_default()
                    .push(index);
            }
        }
        Locator {
            entries,
            array_headers,
            too_deep,
        }
    }

    /// The line of a top-level key, or of a table header whose path starts with it.
    fn top_key(&self, key: &str) -> Option<usize> {
        let direct = self
            .entries
            .iter()
            .take_while(|e| e.is_key())
            .find_map(|e| e.key_line(key));
        direct.or_else(|| {
            self.entries.iter().find_map(|e| match e {
                Entry::Header { line, path, .. }
                    if path.first().is_some_and(|first| first == key) =>
                {
                    Some(*line)
                }
                _ => None,
            })
        })
    }

    /// The index in `entries` of the n-th (0-based) `[[name]]` header.
    fn array_header_index(&self, name: &str, n: usize) -> Option<usize> {
        self.array_headers.get(name)?.get(n).copied()
    }

    /// The line where a table starts (line 1 for the document).
    fn section_line(&self, sec: Sec) -> usize {
        match sec {
            Sec::Top => 1,
            Sec::Array(name, n) => self
                .array_header_index(name, n)
                .and_then(|i| self.entries.get(i))
                .map(Entry::line)
                .or_else(|| self.top_key(name))
                .unwrap_or(1),
            Sec::Fixed(line) => line,
        }
    }

    /// The line of `key` in a table; the table's own line when the key is not found.
    fn key_line(&self, sec: Sec, key: &str) -> usize {
        match sec {
            Sec::Top => self.top_key(key).unwrap_or(1),
            Sec::Array(name, n) => self
                .array_header_index(name, n)
                .and_then(|i| {
                    self.entries
                        .iter()
                        .skip(i + 1)
                        .take_while(|e| e.is_key())
                        .find_map(|e| e.key_line(key))
                })
                .unwrap_or_else(|| self.section_line(sec)),
            Sec::Fixed(line) => line,
        }
    }
}

/// Parses `[a.b]` or `[[a.b]]` (optionally followed by a comment).
fn parse_header(trimmed: &str) -> Option<(Vec<String>, bool)> {
    let (inner, array) = match trimmed.strip_prefix("[[") {
        Some(inner) => (inner, true),
        None => (trimmed.strip_prefix('[')?, false),
    };
    let (path, rest) = parse_key_path(inner)?;
    let rest = rest
        .strip_prefix(if array { "]]" } else { "]" })?
        .trim_start();
    (rest.is_empty() || rest.starts_with('#')).then_some((path, array))
}

/// Parses `key = ` at the start of a line; returns the key's first segment and the value text.
fn parse_key_line(trimmed: &str) -> Option<(String, &str)> {
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let (path, rest) = parse_key_path(trimmed)?;
    let value = rest.strip_prefix('=')?;
    Some((path.into_iter().next()?, value))
}

/// Parses a possibly dotted, possibly quoted key; returns its segments and the text after it.
fn parse_key_path(text: &str) -> Option<(Vec<String>, &str)> {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        let (segment, after) = parse_key_segment(rest.trim_start_matches([' ', '\t']))?;
        segments.push(segment);
        let after = after.trim_start_matches([' ', '\t']);
        match after.strip_prefix('.') {
            Some(more) => rest = more,
            None => return Some((segments, after)),
        }
    }
}

fn parse_key_segment(text: &str) -> Option<(String, &str)> {
    if let Some(inner) = text.strip_prefix('"') {
        let end = closing_quote(inner.as_bytes(), 0)?;
        return Some((inner.get(..end)?.to_string(), inner.get(end + 1..)?));
    }
    if let Some(inner) = text.strip_prefix('\'') {
        let end = inner.find('\'')?;
        return Some((inner.get(..end)?.to_string(), inner.get(end + 1..)?));
    }
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(text.len());
    if end == 0 {
        return None;
    }
    Some((text.get(..end)?.to_string(), text.get(end..)?))
}

/// Scans one line from byte `start`, updating the string and bracket state; returns the
/// deepest bracket nesting reached.
fn scan_line(bytes: &[u8], start: usize, state: &mut ScanState) -> usize {
    let mut deepest = state.depth;
    let mut i = start;
    while let Some(&c) = bytes.get(i) {
        if state.in_basic || state.in_literal {
            i = scan_multiline(bytes, i, state);
            continue;
        }
        match c {
            b'#' => break,
            b'"' if is_triple(bytes, i, b'"') => {
                state.in_basic = true;
                i += 3;
            }
            b'\'' if is_triple(bytes, i, b'\'') => {
                state.in_literal = true;
                i += 3;
            }
            b'"' => i = closing_quote(bytes, i + 1).map_or(bytes.len(), |end| end + 1),
            b'\'' => i = find_byte(bytes, i + 1, b'\'').map_or(bytes.len(), |end| end + 1),
            b'[' | b'{' => {
                state.depth += 1;
                deepest = deepest.max(state.depth);
                i += 1;
            }
            b']' | b'}' => {
                state.depth = state.depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    deepest
}

/// Skips through a multi-line string; returns the index after its closing delimiter (or the
/// end of the line when it goes on).
fn scan_multiline(bytes: &[u8], from: usize, state: &mut ScanState) -> usize {
    let quote = if state.in_basic { b'"' } else { b'\'' };
    let mut i = from;
    while let Some(&c) = bytes.get(i) {
        if c == b'\\' && state.in_basic {
            i += 2;
            continue;
        }
        if is_triple(bytes, i, quote) {
            i += 3;
            // Up to two more quotes right after the delimiter belong to the string.
            for _ in 0..2 {
                if bytes.get(i) == Some(&quote) {
                    i += 1;
                }
            }
            state.in_basic = false;
            state.in_literal = false;
            return i;
        }
        i += 1;
    }
    i
}

fn is_triple(bytes: &[u8], i: usize, quote: u8) -> bool {
    bytes
        .get(i..i + 3)
        .is_some_and(|s| s.iter().all(|&c| c == quote))
}

/// The index of the `"` closing a basic string whose text starts at `from` (escapes skipped).
fn closing_quote(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn find_byte(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&c| c == needle)
        .map(|p| from + p)
}

/// Parses TOML `text` (whose first line is line `first_line` of `file`) into a table, after
/// refusing nesting deeper than the limit.
fn parse_toml(file: &str, text: &str, first_line: usize) -> Result<(Table, Locator), Vec<Problem>> {
    let locator = Locator::new(text, first_line);
    if let Some(line) = locator.too_deep {
        return Err(vec![problem(
            file,
            line,
            format!("TOML nesting is deeper than {MAX_NESTING} levels"),
        )]);
    }
    let table: Table = toml::from_str(text).map_err(|error| {
        let line = error
            .span()
            .map_or(first_line, |span| line_at(text, span.start, first_line));
        vec![problem(
            file,
            line,
            format!("invalid TOML: {}", error.message().trim()),
        )]
    })?;
    let deep: Vec<Problem> = table
        .iter()
        .filter(|(_, value)| nests_deeper_than(value, MAX_NESTING))
        .map(|(key, _)| {
            let line = locator.key_line(Sec::Top, key);
            problem(
                file,
                line,
                format!("{key}: TOML nesting is deeper than {MAX_NESTING} levels"),
            )
        })
        .collect();
    if deep.is_empty() {
        Ok((table, locator))
    } else {
        Err(deep)
    }
}

// ---------------------------------------------------------------------------------------------
// Validating parsed TOML
// ---------------------------------------------------------------------------------------------

/// A TOML table being validated, where it is written, and how messages name it.
struct At<'t> {
    table: &'t Table,
    sec: Sec,
    /// Put before every message about this table, e.g. `question "q01-x": ` (empty at the top).
    prefix: String,
}

impl<'t> At<'t> {
    fn top(table: &'t Table) -> Self {
        At {
            table,
            sec: Sec::Top,
            prefix: String::new(),
        }
    }
}

/// The module and quiz slugs that exist in the content folder.
#[derive(Debug, Clone, Copy)]
struct Known<'a> {
    modules: &'a BTreeSet<String>,
    quizzes: &'a BTreeSet<String>,
}

/// Where a module sits among all module slugs (sorted), for the prerequisite check.
#[derive(Debug, Clone, Copy)]
struct ModuleOrder<'a> {
    slugs: &'a [String],
    index: usize,
}

/// A kind of question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Single,
    Multiple,
    TrueFalse,
    ShortText,
    Numeric,
    Matching,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Single => "single",
            Kind::Multiple => "multiple",
            Kind::TrueFalse => "true_false",
            Kind::ShortText => "short_text",
            Kind::Numeric => "numeric",
            Kind::Matching => "matching",
        }
    }

    /// The kind-specific keys this kind takes.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Single | Kind::Multiple => &["options"],
            Kind::TrueFalse => &["answer"],
            Kind::ShortText => &["accepted"],
            Kind::Numeric => &["answer", "tolerance"],
            Kind::Matching => &["pairs"],
        }
    }
}

/// A valid `[[blueprint]]` pool and where it is written.
struct PoolAt {
    pool: BlueprintPool,
    sec: Sec,
}

/// The `[[blueprint]]` of a quiz, as far as it is valid.
struct Blueprint {
    /// The quiz has a `blueprint` key.
    present: bool,
    /// Every valid pool name.
    names: BTreeSet<String>,
    /// The pools with a valid name and draw.
    pools: Vec<PoolAt>,
}

/// Collects the problems of one TOML text while its parsed tables are validated.
struct Checker<'a> {
    file: &'a str,
    loc: Locator,
    problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    fn new(file: &'a str, loc: Locator) -> Self {
        Checker {
            file,
            loc,
            problems: Vec::new(),
        }
    }

    /// `Ok(value)` when nothing was reported, else every problem sorted by line.
    fn finish<T>(mut self, value: T) -> Result<T, Vec<Problem>> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            sort_problems(&mut self.problems);
            Err(self.problems)
        }
    }

    fn report(&mut self, line: usize, message: String) {
        self.problems.push(problem(self.file, line, message));
    }

    /// Reports `message` (after the table's prefix) on the line of `key`.
    fn report_at(&mut self, at: &At<'_>, key: &str, message: &str) {
        let line = self.loc.key_line(at.sec, key);
        self.report(line, format!("{}{message}", at.prefix));
    }

    /// Reports `key: message` on the line of `key`.
    fn report_key(&mut self, at: &At<'_>, key: &str, message: &str) {
        self.report_at(at, key, &format!("{key}: {message}"));
    }

    fn wrong_type(&mut self, at: &At<'_>, key: &str, expected: &str, found: &Value) {
        self.report_key(
            at,
            key,
            &format!("must be {expected}, found {}", found.type_str()),
        );
    }

    fn check_keys(&mut self, at: &At<'_>, allowed: &[&str]) {
        for key in at.table.keys() {
            if !allowed.contains(&key.as_str()) {
                self.report_at(at, key, &format!("unknown key \"{key}\""));
            }
        }
    }

    /// A required key's value; a missing key is reported on the table's line.
    fn get<'t>(&mut self, at: &At<'t>, key: &str) -> Option<&'t Value> {
        let value = at.table.get(key);
        if value.is_none() {
            let line = self.loc.section_line(at.sec);
            self.report(line, format!("{}missing required key \"{key}\"", at.prefix));
        }
        value
    }

    /// A required, non-empty string.
    fn string<'t>(&mut self, at: &At<'t>, key: &str) -> Option<&'t str> {
        match self.get(at, key)? {
            Value::String(s) if s.trim().is_empty() => {
                self.report_key(at, key, "must not be empty");
                None
            }
            Value::String(s) => Some(s.as_str()),
            other => {
                self.wrong_type(at, key, "a string", other);
                None
            }
        }
    }

    /// A required, non-empty string; empty when it is not valid (and reported).
    fn text(&mut self, at: &At<'_>, key: &str) -> String {
        self.string(at, key).unwrap_or_default().to_string()
    }

    fn ident(&mut self, at: &At<'_>, key: &str) -> Option<String> {
        let s = self.string(at, key)?;
        if is_identifier(s) {
            return Some(s.to_string());
        }
        self.report_key(
            at,
            key,
            &format!("\"{s}\" is not a valid identifier ({IDENT_RULE})"),
        );
        None
    }

    fn int(&mut self, at: &At<'_>, key: &str, min: i64, max: i64) -> Option<i64> {
        match self.get(at, key)? {
            Value::Integer(n) if (min..=max).contains(n) => Some(*n),
            Value::Integer(n) => {
                let rule = if max == i64::from(u32::MAX) {
                    format!("at least {min}")
                } else {
                    format!("between {min} and {max}")
                };
                self.report_key(at, key, &format!("must be {rule} (found {n})"));
                None
            }
            other => {
                self.wrong_type(at, key, "an integer", other);
                None
            }
        }
    }

    fn uint(&mut self, at: &At<'_>, key: &str, min: u32, max: u32) -> Option<u32> {
        self.int(at, key, i64::from(min), i64::from(max))
            .and_then(|n| u32::try_from(n).ok())
    }

    fn percent(&mut self, at: &At<'_>, key: &str) -> Option<u8> {
        self.int(at, key, 0, 100).and_then(|n| u8::try_from(n).ok())
    }

    fn boolean(&mut self, at: &At<'_>, key: &str) -> Option<bool> {
        match self.get(at, key)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(at, key, "a boolean (true or false)", other);
                None
            }
        }
    }

    /// A finite number written as an integer or a float.
    fn number(&mut self, at: &At<'_>, key: &str) -> Option<f64> {
        let n = match self.get(at, key)? {
            Value::Integer(n) => *n as f64,
            Value::Float(f) => *f,
            other => {
                self.wrong_type(at, key, "a number", other);
                return None;
            }
        };
        if n.is_finite() {
            Some(n)
        } else {
            self.report_key(at, key, "must be a finite number");
            None
        }
    }

    fn array<'t>(&mut self, at: &At<'t>, key: &str) -> Option<&'t [Value]> {
        match self.get(at, key)? {
            Value::Array(items) => Some(items.as_slice()),
            other => {
                self.wrong_type(at, key, "an array", other);
                None
            }
        }
    }

    /// The tables of an array of tables, with their index in the array.
    fn tables<'t>(&mut self, at: &At<'t>, key: &str) -> Option<Vec<(usize, &'t Table)>> {
        let items = self.array(at, key)?;
        let mut tables = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            match item {
                Value::Table(table) => tables.push((index, table)),
                other => {
                    let message = format!(
                        "entry {} must be a table, found {}",
                        index + 1,
                        other.type_str()
                    );
                    self.report_key(at, key, &message);
                }
            }
        }
        Some(tables)
    }

    /// An array of non-empty strings; identifiers (`idents`) must be valid and unique.
    fn strings(&mut self, at: &At<'_>, key: &str, idents: bool) -> Option<Vec<String>> {
        let items = self.array(at, key)?;
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for item in items {
            let Value::String(s) = item else {
                self.report_key(
                    at,
                    key,
                    &format!("entries must be strings, found {}", item.type_str()),
                );
                continue;
            };
            if s.trim().is_empty() {
                self.report_key(at, key, "entries must not be empty");
            } else if idents && !is_identifier(s) {
                self.report_key(
                    at,
                    key,
                    &format!("\"{s}\" is not a valid identifier ({IDENT_RULE})"),
                );
            } else if idents && out.contains(s) {
                self.report_key(at, key, &format!("\"{s}\" is listed twice"));
            } else {
                out.push(s.clone());
            }
        }
        Some(out)
    }

    /// A string that must be one of `choices`.
    fn one_of<T: Copy>(&mut self, at: &At<'_>, key: &str, choices: &[(&str, T)]) -> Option<T> {
        let s = self.string(at, key)?;
        if let Some((_, value)) = choices.iter().find(|(name, _)| *name == s) {
            return Some(*value);
        }
        let names: Vec<String> = choices
            .iter()
            .map(|(name, _)| format!("\"{name}\""))
            .collect();
        self.report_key(
            at,
            key,
            &format!("\"{s}\" is not one of {}", names.join(", ")),
        );
        None
    }

    // ----- programme.toml --------------------------------------------------------------------

    fn programme(&mut self, table: &Table, known: Known<'_>) -> Programme {
        let at = At::top(table);
        self.check_keys(&at, PROGRAMME_KEYS);
        Programme {
            id: self.ident(&at, "id").unwrap_or_default(),
            version: self.uint(&at, "version", 1, u32::MAX).unwrap_or_default(),
            title_th: self.text(&at, "title_th"),
            title_en: self.text(&at, "title_en"),
            description_th: self.text(&at, "description_th"),
            description_en: self.text(&at, "description_en"),
            scopes: self.scopes(&at, known),
        }
    }

    fn scopes(&mut self, at: &At<'_>, known: Known<'_>) -> Vec<Scope> {
        let Some(tables) = self.tables(at, "scopes") else {
            return Vec::new();
        };
        if tables.is_empty() {
            self.report_key(at, "scopes", "needs at least one [[scopes]] table");
        }
        let mut ids = HashSet::new();
        let mut scopes = Vec::with_capacity(tables.len());
        for (index, table) in tables {
            let st = At {
                table,
                sec: Sec::Array("scopes", index),
                prefix: named_prefix("scope", "id", table, index),
            };
            let scope = self.scope(&st, known);
            if !scope.id.is_empty() && !ids.insert(scope.id.clone()) {
                self.report_at(&st, "id", "id is used by an earlier scope");
            }
            scopes.push(scope);
        }
        scopes
    }

    fn scope(&mut self, st: &At<'_>, known: Known<'_>) -> Scope {
        self.check_keys(st, SCOPE_KEYS);
        let required_modules = self
            .strings(st, "required_modules", true)
            .unwrap_or_default();
        self.check_known(
            st,
            "required_modules",
            &required_modules,
            known.modules,
            "a module in modules/",
        );
        let required_quizzes = self
            .strings(st, "required_quizzes", true)
            .unwrap_or_default();
        self.check_known(
            st,
            "required_quizzes",
            &required_quizzes,
            known.quizzes,
            "a quiz in quizzes/",
        );
        Scope {
            id: self.ident(st, "id").unwrap_or_default(),
            title_th: self.text(st, "title_th"),
            title_en: self.text(st, "title_en"),
            description_th: self.text(st, "description_th"),
            description_en: self.text(st, "description_en"),
            validity_months: self
                .uint(st, "validity_months", 1, u32::MAX)
                .unwrap_or_default(),
            required_modules,
            required_quizzes,
            min_attendance_percent: self
                .percent(st, "min_attendance_percent")
                .unwrap_or_default(),
        }
    }

    fn check_known(
        &mut self,
        at: &At<'_>,
        key: &str,
        slugs: &[String],
        known: &BTreeSet<String>,
        what: &str,
    ) {
        for slug in slugs.iter().filter(|slug| !known.contains(*slug)) {
            self.report_key(at, key, &format!("\"{slug}\" is not {what}"));
        }
    }

    // ----- module front matter ---------------------------------------------------------------

    fn front_matter(&mut self, table: &Table, order: Option<ModuleOrder<'_>>) -> ModuleFrontMatter {
        let at = At::top(table);
        self.check_keys(&at, FRONT_MATTER_KEYS);
        let title = self.text(&at, "title");
        let minutes = self.uint(&at, "minutes", 1, 600).unwrap_or_default();
        let prerequisites = self.strings(&at, "prerequisites", true).unwrap_or_default();
        if let Some(order) = order {
            self.check_prerequisites(&at, &prerequisites, order);
        }
        ModuleFrontMatter {
            title,
            minutes,
            prerequisites,
        }
    }

    fn check_prerequisites(
        &mut self,
        at: &At<'_>,
        prerequisites: &[String],
        order: ModuleOrder<'_>,
    ) {
        for slug in prerequisites {
            match order.slugs.iter().position(|s| s == slug) {
                Some(index) if index < order.index => {}
                Some(_) => self.report_key(
                    at,
                    "prerequisites",
                    &format!("\"{slug}\" is not an earlier module"),
                ),
                None => {
                    let message =
                        format!("\"{slug}\" is not an earlier module (there is no such module)");
                    self.report_key(at, "prerequisites", &message);
                }
            }
        }
    }

    // ----- quiz files ------------------------------------------------------------------------

    fn quiz(&mut self, slug: &str, table: &Table, modules: Option<&BTreeSet<String>>) -> Quiz {
        let at = At::top(table);
        self.check_keys(&at, QUIZ_KEYS);
        let module = self.quiz_module(&at, modules);
        let blueprint = self.blueprint(&at);
        let questions = self.questions(&at, &blueprint);
        self.check_pool_sizes(&at, &blueprint);
        Quiz {
            slug: slug.to_string(),
            title_th: self.text(&at, "title_th"),
            title_en: self.text(&at, "title_en"),
            module,
            time_limit_s: self
                .uint(&at, "time_limit_s", 0, u32::MAX)
                .unwrap_or_default(),
            attempts_allowed: self
                .uint(&at, "attempts_allowed", 1, u32::MAX)
                .unwrap_or_default(),
            pass_percent: self.percent(&at, "pass_percent").unwrap_or_default(),
            grading: self
                .one_of(&at, "grading", GRADINGS)
                .unwrap_or(Grading::Highest),
            shuffle_questions: self.boolean(&at, "shuffle_questions").unwrap_or_default(),
            shuffle_options: self.boolean(&at, "shuffle_options").unwrap_or_default(),
            review: self
                .one_of(&at, "review", REVIEWS)
                .unwrap_or(ReviewPolicy::Never),
            blueprint: blueprint.pools.into_iter().map(|p| p.pool).collect(),
            questions,
        }
    }

    /// The optional `module` key; it must name a module when the modules are known.
    fn quiz_module(&mut self, at: &At<'_>, modules: Option<&BTreeSet<String>>) -> Option<String> {
        if !at.table.contains_key("module") {
            return None;
        }
        let slug = self.ident(at, "module")?;
        if modules.is_some_and(|known| !known.contains(&slug)) {
            self.report_key(
                at,
                "module",
                &format!("\"{slug}\" is not a module in modules/"),
            );
        }
        Some(slug)
    }

    fn blueprint(&mut self, at: &At<'_>) -> Blueprint {
        let mut blueprint = Blueprint {
            present: at.table.contains_key("blueprint"),
            names: BTreeSet::new(),
            pools: Vec::new(),
        };
        if !blueprint.present {
            return blueprint;
        }
        let Some(tables) = self.tables(at, "blueprint") else {
            return blueprint;
        };
        if tables.is_empty() {
            self.report_key(at, "blueprint", "needs at least one pool when present");
        }
        for (index, table) in tables {
            let bt = At {
                table,
                sec: Sec::Array("blueprint", index),
                prefix: named_prefix("blueprint pool", "pool", table, index),
            };
            self.check_keys(&bt, BLUEPRINT_KEYS);
            let name = self.ident(&bt, "pool");
            let draw = self.uint(&bt, "draw", 1, u32::MAX);
            let Some(name) = name else {
                continue;
            };
            if !blueprint.names.insert(name.clone()) {
                self.report_at(&bt, "pool", "this pool is listed twice in the blueprint");
                continue;
            }
            if let Some(draw) = draw {
                blueprint.pools.push(PoolAt {
                    pool: BlueprintPool { pool: name, draw },
                    sec: bt.sec,
                });
            }
        }
        blueprint
    }

    /// Every pool must hold at least `draw` questions (reported on the pool's `draw` line).
    fn check_pool_sizes(&mut self, at: &At<'_>, blueprint: &Blueprint) {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        if let Some(Value::Array(items)) = at.table.get("questions") {
            let pools = items
                .iter()
                .filter_map(Value::as_table)
                .filter_map(|q| q.get("pool"))
                .filter_map(Value::as_str);
            for pool in pools {
                *counts.entry(pool).or_default() += 1;
            }
        }
        for p in &blueprint.pools {
            let count = counts
                .get(p.pool.pool.as_str())
                .copied()
                .unwrap_or_default();
            if count < usize::try_from(p.pool.draw).unwrap_or(usize::MAX) {
                let line = self.loc.key_line(p.sec, "draw");
                let message = format!(
                    "blueprint pool \"{}\": draw = {} but only {count} question(s) have pool = \"{}\"",
                    p.pool.pool, p.pool.draw, p.pool.pool
                );
                self.report(line, message);
            }
        }
    }

    fn questions(&mut self, at: &At<'_>, blueprint: &Blueprint) -> Vec<Question> {
        let Some(tables) = self.tables(at, "questions") else {
            return Vec::new();
        };
        if tables.is_empty() {
            self.report_key(at, "questions", "needs at least one question");
        }
        let mut ids: HashSet<&str> = HashSet::new();
        let mut questions = Vec::with_capacity(tables.len());
        for (index, table) in tables {
            let qt = At {
                table,
                sec: Sec::Array("questions", index),
                prefix: named_prefix("question", "id", table, index),
            };
            let id = table.get("id").and_then(Value::as_str);
            if id.is_some_and(|id| !ids.insert(id)) {
                self.report_at(&qt, "id", "id is used by an earlier question in this file");
            }
            if let Some(question) = self.question(&qt, blueprint) {
                questions.push(question);
            }
        }
        questions
    }

    fn question(&mut self, qt: &At<'_>, blueprint: &Blueprint) -> Option<Question> {
        let kind = self.one_of(qt, "kind", KINDS);
        self.check_question_keys(qt, kind);
        let id = self.ident(qt, "id").unwrap_or_default();
        let pool = self.question_pool(qt, blueprint);
        let points = self.uint(qt, "points", 1, u32::MAX).unwrap_or_default();
        let prompt_th = self.text(qt, "prompt_th");
        let prompt_en = self.text(qt, "prompt_en");
        let feedback_th = self.text(qt, "feedback_th");
        let feedback_en = self.text(qt, "feedback_en");
        let body = self.question_body(qt, kind?)?;
        Some(Question {
            id,
            pool,
            points,
            prompt_th,
            prompt_en,
            feedback_th,
            feedback_en,
            body,
        })
    }

    fn check_question_keys(&mut self, qt: &At<'_>, kind: Option<Kind>) {
        for key in qt.table.keys() {
            let key = key.as_str();
            if QUESTION_KEYS.contains(&key) {
                continue;
            }
            if !KIND_KEYS.contains(&key) {
                self.report_at(qt, key, &format!("unknown key \"{key}\""));
            } else if let Some(kind) = kind.filter(|k| !k.keys().contains(&key)) {
                self.report_at(
                    qt,
                    key,
                    &format!("key \"{key}\" is not allowed for kind \"{}\"", kind.name()),
                );
            }
        }
    }

    /// `pool` is required with a blueprint (and must name one of its pools), refused without.
    fn question_pool(&mut self, qt: &At<'_>, blueprint: &Blueprint) -> Option<String> {
        let has_pool = qt.table.contains_key("pool");
        if !blueprint.present {
            if has_pool {
                self.report_at(
                    qt,
                    "pool",
                    "pool is only allowed when the quiz has a [[blueprint]]",
                );
            }
            return None;
        }
        if !has_pool {
            let line = self.loc.section_line(qt.sec);
            self.report(
                line,
                format!(
                    "{}pool is required because the quiz has a [[blueprint]]",
                    qt.prefix
                ),
            );
            return None;
        }
        let name = self.ident(qt, "pool")?;
        if !blueprint.names.contains(&name) {
            self.report_key(
                qt,
                "pool",
                &format!("\"{name}\" is not a pool of the [[blueprint]]"),
            );
        }
        Some(name)
    }

    fn question_body(&mut self, qt: &At<'_>, kind: Kind) -> Option<QuestionBody> {
        match kind {
            Kind::Single => self
                .options(qt, kind)
                .map(|options| QuestionBody::Single { options }),
            Kind::Multiple => self
                .options(qt, kind)
                .map(|options| QuestionBody::Multiple { options }),
            Kind::TrueFalse => self
                .boolean(qt, "answer")
                .map(|answer| QuestionBody::TrueFalse { answer }),
            Kind::ShortText => self
                .accepted(qt)
                .map(|accepted| QuestionBody::ShortText { accepted }),
            Kind::Numeric => self.numeric(qt),
            Kind::Matching => self.pairs(qt).map(|pairs| QuestionBody::Matching { pairs }),
        }
    }

    fn numeric(&mut self, qt: &At<'_>) -> Option<QuestionBody> {
        let answer = self.number(qt, "answer");
        let tolerance = self.number(qt, "tolerance");
        if let Some(negative) = tolerance.filter(|t| *t < 0.0) {
            self.report_key(
                qt,
                "tolerance",
                &format!("must be at least 0 (found {negative})"),
            );
            return None;
        }
        Some(QuestionBody::Numeric {
            answer: answer?,
            tolerance: tolerance?,
        })
    }

    fn accepted(&mut self, qt: &At<'_>) -> Option<Vec<String>> {
        let accepted = self.strings(qt, "accepted", false)?;
        let written = qt
            .table
            .get("accepted")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if written == 0 {
            self.report_key(qt, "accepted", "needs at least one accepted answer");
        }
        Some(accepted)
    }

    fn options(&mut self, qt: &At<'_>, kind: Kind) -> Option<Vec<Choice>> {
        let items = self.array(qt, "options")?;
        let (min, max) = if kind == Kind::Single { (3, 5) } else { (3, 6) };
        if !(min..=max).contains(&items.len()) {
            let message = format!(
                "kind \"{}\" needs {min} to {max} options (found {})",
                kind.name(),
                items.len()
            );
            self.report_at(qt, "options", &message);
        }
        let line = self.loc.key_line(qt.sec, "options");
        let mut ids = HashSet::new();
        let mut choices = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let prefix = format!("{}option {}: ", qt.prefix, index + 1);
            let Some(choice) = self.choice(item, line, prefix) else {
                continue;
            };
            if !ids.insert(choice.id.clone()) {
                self.report(
                    line,
                    format!("{}option id \"{}\" is used twice", qt.prefix, choice.id),
                );
            }
            choices.push(choice);
        }
        if choices.len() == items.len() {
            let correct = choices.iter().filter(|c| c.correct).count();
            if kind == Kind::Single && correct != 1 {
                let message = format!("kind \"single\" needs exactly one option with correct = true (found {correct})");
                self.report_at(qt, "options", &message);
            } else if kind == Kind::Multiple && correct == 0 {
                self.report_at(
                    qt,
                    "options",
                    "kind \"multiple\" needs at least one option with correct = true (found 0)",
                );
            }
        }
        Some(choices)
    }

    /// One option (an inline table); every problem is reported on the `options` line.
    fn choice(&mut self, item: &Value, line: usize, prefix: String) -> Option<Choice> {
        let Value::Table(table) = item else {
            self.report(
                line,
                format!("{prefix}must be an inline table, found {}", item.type_str()),
            );
            return None;
        };
        let at = At {
            table,
            sec: Sec::Fixed(line),
            prefix,
        };
        self.check_keys(&at, OPTION_KEYS);
        let id = self.ident(&at, "id");
        let text_th = self.text(&at, "text_th");
        let text_en = self.text(&at, "text_en");
        let correct = match table.get("correct") {
            None => false,
            Some(Value::Boolean(b)) => *b,
            Some(other) => {
                self.wrong_type(&at, "correct", "a boolean (true or false)", other);
                false
            }
        };
        Some(Choice {
            id: id?,
            text_th,
            text_en,
            correct,
        })
    }

    fn pairs(&mut self, qt: &At<'_>) -> Option<Vec<Pair>> {
        let items = self.array(qt, "pairs")?;
        if !(3..=5).contains(&items.len()) {
            self.report_at(
                qt,
                "pairs",
                &format!(
                    "kind \"matching\" needs 3 to 5 pairs (found {})",
                    items.len()
                ),
            );
        }
        let line = self.loc.key_line(qt.sec, "pairs");
        let mut pairs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let prefix = format!("{}pair {}: ", qt.prefix, index + 1);
            let Value::Table(table) = item else {
                self.report(
                    line,
                    format!("{prefix}must be an inline table, found {}", item.type_str()),
                );
                continue;
            };
            let at = At {
                table,
                sec: Sec::Fixed(line),
                prefix,
            };
            self.check_keys(&at, PAIR_KEYS);
            pairs.push(Pair {
                left_th: self.text(&at, "left_th"),
                left_en: self.text(&at, "left_en"),
                right_th: self.text(&at, "right_th"),
                right_en: self.text(&at, "right_en"),
            });
        }
        Some(pairs)
    }
}

// ---------------------------------------------------------------------------------------------
// Quiz, module and programme texts
// ---------------------------------------------------------------------------------------------

/// Parses and checks a quiz; `modules` (when known) are the slugs its `module` may name.
fn quiz_from_text(
    slug: &str,
    file: &str,
    text: &str,
    modules: Option<&BTreeSet<String>>,
) -> Result<Quiz, Vec<Problem>> {
    if text.len() > MAX_QUIZ_FILE {
        return Err(vec![problem(
            file,
            1,
            format!("file is larger than {MAX_QUIZ_FILE} bytes"),
        )]);
    }
    if text.starts_with('\u{feff}') {
        return Err(vec![problem(file, 1, BOM_MESSAGE)]);
    }
    let mut problems = Vec::new();
    if !is_identifier(slug) {
        let message = format!("quiz slug \"{slug}\" (the file name without .toml) is not a valid identifier ({IDENT_RULE})");
        problems.push(problem(file, 1, message));
    }
    let (table, loc) = match parse_toml(file, text, 1) {
        Ok(parsed) => parsed,
        Err(mut found) => {
            problems.append(&mut found);
            return Err(problems);
        }
    };
    let mut checker = Checker::new(file, loc);
    checker.problems = problems;
    let quiz = checker.quiz(slug, &table, modules);
    checker.finish(quiz)
}

/// Parses and checks `programme.toml` against the modules and quizzes that exist.
fn programme_from_text(
    file: &str,
    text: &str,
    known: Known<'_>,
) -> Result<Programme, Vec<Problem>> {
    if text.len() > MAX_PROGRAMME_FILE {
        return Err(vec![problem(
            file,
            1,
            format!("file is larger than {MAX_PROGRAMME_FILE} bytes"),
        )]);
    }
    if text.starts_with('\u{feff}') {
        return Err(vec![problem(file, 1, BOM_MESSAGE)]);
    }
    let (table, loc) = parse_toml(file, text, 1)?;
    let mut checker = Checker::new(file, loc);
    let programme = checker.programme(&table, known);
    checker.finish(programme)
}

/// A module file split and checked, with the lines `load_course` needs for its own checks.
struct ModuleFile {
    front: ModuleFrontMatter,
    body: String,
    /// The file line where the body starts.
    body_line: usize,
    minutes_line: usize,
    prerequisites_line: usize,
}

/// Splits and checks a module file. The file is `None` only when its front matter could not
/// be read at all; the problems are every problem of the front matter.
fn module_file(
    file: &str,
    text: &str,
    order: Option<ModuleOrder<'_>>,
) -> (Option<ModuleFile>, Vec<Problem>) {
    if text.len() > MAX_MODULE_FILE {
        return (
            None,
            vec![problem(
                file,
                1,
                format!("file is larger than {MAX_MODULE_FILE} bytes"),
            )],
        );
    }
    if text.starts_with('\u{feff}') {
        return (None, vec![problem(file, 1, BOM_MESSAGE)]);
    }
    let (front, body, body_line) = match split_front_matter(text) {
        Ok(parts) => parts,
        Err(message) => return (None, vec![problem(file, 1, message)]),
    };
    if front.len() > MAX_FRONT_MATTER {
        let message = format!("the front matter is larger than {MAX_FRONT_MATTER} bytes");
        return (None, vec![problem(file, 1, message)]);
    }
    // The front matter starts on the second line of the file.
    let (table, loc) = match parse_toml(file, front, 2) {
        Ok(parsed) => parsed,
        Err(problems) => return (None, problems),
    };
    let mut checker = Checker::new(file, loc);
    let front = checker.front_matter(&table, order);
    let parsed = ModuleFile {
        front,
        body: body.to_string(),
        body_line,
        minutes_line: checker.loc.key_line(Sec::Top, "minutes"),
        prerequisites_line: checker.loc.key_line(Sec::Top, "prerequisites"),
    };
    let mut problems = checker.problems;
    sort_problems(&mut problems);
    (Some(parsed), problems)
}

/// Splits `+++\n<front matter>+++\n<body>`; returns the front matter, the body and the
/// file line where the body starts.
fn split_front_matter(text: &str) -> Result<(&str, &str, usize), &'static str> {
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
        .ok_or("the first line must be exactly +++ (the start of the TOML front matter)")?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\n', '\r']) == "+++" {
            let front = rest.get(..offset).unwrap_or_default();
            let body = rest.get(offset + line.len()..).unwrap_or_default();
            return Ok((front, body, front.matches('\n').count() + 3));
        }
        offset += line.len();
    }
    Err("the front matter is not closed: add a line that is exactly +++ after it")
}

// ---------------------------------------------------------------------------------------------
// Markdown bodies: link and image targets
// ---------------------------------------------------------------------------------------------

/// A link or image target found in one line of Markdown.
struct MdLink<'l> {
    image: bool,
    target: &'l str,
}

/// Checks the link and image targets of a Markdown body whose first line is file line
/// `first_line`; fenced code blocks and code spans are skipped.
fn check_body(
    file: &str,
    body: &str,
    first_line: usize,
    images: &BTreeSet<String>,
    problems: &mut Vec<Problem>,
) {
    let mut fence: Option<(u8, usize)> = None;
    let mut definitions: Vec<(usize, String, &str)> = Vec::new();
    let mut image_labels: HashSet<String> = HashSet::new();
    for (index, raw) in body.split('\n').enumerate() {
        let line_no = first_line + index;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((mark, len)) = fence_marker(line) {
            fence = match fence {
                None => Some((mark, len)),
                Some((open, open_len)) if open == mark && len >= open_len => None,
                still_open => still_open,
            };
            continue;
        }
        if fence.is_some() {
            continue;
        }
        if let Some((label, target)) = reference_definition(line) {
            definitions.push((line_no, label, target));
            continue;
        }
        for link in markdown_links(line, &mut image_labels) {
            if let Some(message) = target_problem(link.target, link.image, images) {
                problems.push(problem(file, line_no, message));
            }
        }
    }
    for (line_no, label, target) in definitions {
        let image = image_labels.contains(&label);
        if let Some(message) = target_problem(target, image, images) {
            problems.push(problem(file, line_no, message));
        }
    }
}

/// Why a link or image target is refused, if it is.
fn target_problem(target: &str, image: bool, images: &BTreeSet<String>) -> Option<String> {
    let what = if image { "image" } else { "link" };
    if target.starts_with('/') || target.starts_with('\\') {
        return Some(format!(
            "{what} \"{target}\": absolute paths are not allowed"
        ));
    }
    if target.contains("..") {
        return Some(format!("{what} \"{target}\": \"..\" is not allowed"));
    }
    match url_scheme(target) {
        Some(_) if image => {
            Some(format!("image \"{target}\" must be a relative path inside the module folder, not a URL"))
        }
        Some(scheme) if !["http", "https", "mailto"].contains(&scheme.to_ascii_lowercase().as_str()) => Some(format!(
            "link \"{target}\": the URL scheme \"{scheme}\" is not allowed (only http, https and mailto)"
        )),
        None if image && !images.contains(target.strip_prefix("./").unwrap_or(target)) => Some(format!(
            "image \"{target}\" is not an image file (png, jpg, jpeg, gif, webp, svg) in the module folder"
        )),
        _ => None,
    }
}

/// The scheme of an absolute URL (`https` in `https://…`), if the target has one.
fn url_scheme(target: &str) -> Option<&str> {
    let (scheme, _) = target.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// A code fence line (three or more backticks or tildes): its character and length.
fn fence_marker(line: &str) -> Option<(u8, usize)> {
    let rest = line.trim_start().as_bytes();
    let mark = *rest.first()?;
    if mark != b'`' && mark != b'~' {
        return None;
    }
    let run = rest.iter().take_while(|&&c| c == mark).count();
    let info_has_backtick =
        mark == b'`' && rest.get(run..).is_some_and(|info| info.contains(&b'`'));
    (run >= 3 && !info_has_backtick).then_some((mark, run))
}

/// `[label]: target` at the start of a line: the normalised label and the target.
fn reference_definition(line: &str) -> Option<(String, &str)> {
    let rest = line.trim_start().strip_prefix('[')?;
    let close = rest.find("]:")?;
    let label = rest.get(..close)?;
    if label.trim().is_empty() || label.contains(['[', ']']) {
        return None;
    }
    let target = link_destination(rest, close + 2)?;
    (!target.is_empty()).then(|| (normalize_label(label), target))
}

fn normalize_label(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The inline links and images of a line, and autolinks with a scheme (`<scheme:…>`). The
/// labels of reference-style images (`![alt][label]`, `![label]`) go to `image_labels`.
fn markdown_links<'l>(line: &'l str, image_labels: &mut HashSet<String>) -> Vec<MdLink<'l>> {
    let bytes = line.as_bytes();
    let code = code_mask(bytes);
    let mut links = Vec::new();
    let mut opens: Vec<usize> = Vec::new();
    for (i, &c) in bytes.iter().enumerate() {
        let escaped = i.checked_sub(1).and_then(|p| bytes.get(p)) == Some(&b'\\');
        if escaped || code.get(i).copied().unwrap_or(true) {
            continue;
        }
        match c {
            b'[' => opens.push(i),
            b']' => {
                if let Some(open) = opens.pop() {
                    let image = open.checked_sub(1).and_then(|p| bytes.get(p)) == Some(&b'!');
                    bracket_link(line, (open, i), image, &mut links, image_labels);
                }
            }
            b'<' => {
                if let Some(target) = autolink(line, i) {
                    links.push(MdLink {
                        image: false,
                        target,
                    });
                }
            }
            _ => {}
        }
    }
    links
}

/// Handles the text after `[…]` (from `open` to `close`): an inline destination `(…)` or, for
/// an image, a reference label.
fn bracket_link<'l>(
    line: &'l str,
    (open, close): (usize, usize),
    image: bool,
    links: &mut Vec<MdLink<'l>>,
    image_labels: &mut HashSet<String>,
) {
    let after = line.get(close + 1..).unwrap_or_default();
    if after.starts_with('(') {
        if let Some(target) = link_destination(line, close + 2) {
            links.push(MdLink { image, target });
        }
    } else if image {
        let alt = line.get(open + 1..close).unwrap_or_default();
        let label = after
            .strip_prefix('[')
            .and_then(|rest| rest.find(']').and_then(|end| rest.get(..end)))
            .filter(|label| !label.trim().is_empty())
            .unwrap_or(alt);
        image_labels.insert(normalize_label(label));
    }
}

/// The destination of a link starting at byte `start`: `<…>` or text up to whitespace or an
/// unbalanced `)`.
fn link_destination(line: &str, start: usize) -> Option<&str> {
    let rest = line.get(start..)?.trim_start();
    if let Some(inner) = rest.strip_prefix('<') {
        return inner.find('>').and_then(|end| inner.get(..end));
    }
    let mut depth = 0usize;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return rest.get(..i),
            ')' => depth -= 1,
            c if c.is_whitespace() => return rest.get(..i),
            _ => {}
        }
    }
    Some(rest)
}

/// `<scheme:…>` (no whitespace inside) starting at byte `open`: the URL.
fn autolink(line: &str, open: usize) -> Option<&str> {
    let rest = line.get(open + 1..)?;
    let inner = rest.get(..rest.find('>')?)?;
    (!inner.is_empty() && !inner.contains(char::is_whitespace) && url_scheme(inner).is_some())
        .then_some(inner)
}

/// Marks the bytes of a line that are inside code spans (`` `code` ``).
fn code_mask(bytes: &[u8]) -> Vec<bool> {
    let mut mask = vec![false; bytes.len()];
    let mut i = 0;
    while i < bytes.len() {
        let run = backtick_run(bytes, i);
        if run == 0 {
            i += 1;
            continue;
        }
        match find_backtick_run(bytes, i + run, run) {
            Some(close) => {
                let end = close + run;
                if let Some(span) = mask.get_mut(i..end) {
                    span.fill(true);
                }
                i = end;
            }
            None => i += run,
        }
    }
    mask
}

fn backtick_run(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .map_or(0, |rest| rest.iter().take_while(|&&c| c == b'`').count())
}

/// The start of the next run of exactly `len` backticks at or after `from`.
fn find_backtick_run(bytes: &[u8], from: usize, len: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        let run = backtick_run(bytes, i);
        if run == len {
            return Some(i);
        }
        i += run.max(1);
    }
    None
}

// ---------------------------------------------------------------------------------------------
// The content folder
// ---------------------------------------------------------------------------------------------

/// False (with a problem) when `path` is a symbolic link that points outside `root` or nowhere.
fn inside_root(root: &Path, path: &Path, rel: &str, problems: &mut Vec<Problem>) -> bool {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(error) => {
            problems.push(problem(rel, 1, format!("cannot read: {error}")));
            return false;
        }
    };
    if !meta.file_type().is_symlink() {
        return true;
    }
    match fs::canonicalize(path) {
        Ok(target) if target.starts_with(root) => true,
        Ok(_) => {
            problems.push(problem(
                rel,
                1,
                "symbolic link points outside the content folder",
            ));
            false
        }
        Err(error) => {
            problems.push(problem(rel, 1, format!("broken symbolic link: {error}")));
            false
        }
    }
}

/// The entries of a folder whose names do not start with `.`, sorted by name.
fn list_dir(dir: &Path, rel_dir: &str, problems: &mut Vec<Problem>) -> Vec<(String, PathBuf)> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            problems.push(problem(
                rel_dir,
                1,
                format!("cannot read the folder: {error}"),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => match entry.file_name().into_string() {
                Ok(name) if name.starts_with('.') => {}
                Ok(name) => out.push((name, entry.path())),
                Err(raw) => {
                    let rel = format!("{rel_dir}/{}", raw.to_string_lossy());
                    problems.push(problem(&rel, 1, "the file name is not valid UTF-8"));
                }
            },
            Err(error) => problems.push(problem(
                rel_dir,
                1,
                format!("cannot read the folder: {error}"),
            )),
        }
    }
    out.sort();
    out
}

/// Reads a UTF-8 text file of at most `limit` bytes, refusing larger files before reading them.
fn read_text(
    root: &Path,
    path: &Path,
    rel: &str,
    limit: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    if !inside_root(root, path, rel, problems) {
        return None;
    }
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            problems.push(problem(rel, 1, "not a regular file"));
            return None;
        }
        Ok(meta) if meta.len() > limit as u64 => {
            problems.push(problem(
                rel,
                1,
                format!("file is larger than {limit} bytes"),
            ));
            return None;
        }
        Ok(_) => {}
        Err(error) => {
            problems.push(problem(rel, 1, format!("cannot read: {error}")));
            return None;
        }
    }
    let mut bytes = Vec::new();
    let read =
        fs::File::open(path).and_then(|file| file.take(limit as u64 + 1).read_to_end(&mut bytes));
    if let Err(error) = read {
        problems.push(problem(rel, 1, format!("cannot read: {error}")));
        return None;
    }
    if bytes.len() > limit {
        problems.push(problem(
            rel,
            1,
            format!("file is larger than {limit} bytes"),
        ));
        return None;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let before = error.as_bytes().get(..valid).unwrap_or_default();
            let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
            problems.push(problem(rel, line, "the file is not valid UTF-8"));
            None
        }
    }
}

/// `root/name`, which must be a folder.
fn content_folder(root: &Path, name: &str, problems: &mut Vec<Problem>) -> Option<PathBuf> {
    let dir = root.join(name);
    if fs::symlink_metadata(&dir).is_err() {
        problems.push(problem(name, 1, format!("the folder {name}/ is missing")));
        return None;
    }
    if !inside_root(root, &dir, name, problems) {
        return None;
    }
    if !dir.is_dir() {
        problems.push(problem(name, 1, format!("{name} must be a folder")));
        return None;
    }
    Some(dir)
}

/// Loads `modules/`: the modules that loaded, and the slugs of all module folders (sorted).
fn load_modules(root: &Path, problems: &mut Vec<Problem>) -> (Vec<Module>, Vec<String>) {
    let Some(dir) = content_folder(root, "modules", problems) else {
        return (Vec::new(), Vec::new());
    };
    let mut folders = Vec::new();
    for (name, path) in list_dir(&dir, "modules", problems) {
        let rel = format!("modules/{name}");
        if !inside_root(root, &path, &rel, problems) {
            continue;
        }
        if !path.is_dir() {
            problems.push(problem(&rel, 1, "only module folders belong in modules/"));
        } else if !is_module_slug(&name) {
            let message = format!("module folder \"{name}\" must be an identifier ({IDENT_RULE}) that starts with a two-digit position, e.g. 01-");
            problems.push(problem(&rel, 1, message));
        } else {
            folders.push((name, path));
        }
    }
    let slugs: Vec<String> = folders.iter().map(|(name, _)| name.clone()).collect();
    let mut modules = Vec::with_capacity(folders.len());
    for (index, (slug, path)) in folders.iter().enumerate() {
        let order = ModuleOrder {
            slugs: &slugs,
            index,
        };
        if let Some(module) = load_module(root, slug, path, order, problems) {
            modules.push(module);
        }
    }
    (modules, slugs)
}

/// Finds the image files of a module folder (and its sub-folders) as paths relative to it.
struct ImageWalk<'a> {
    root: &'a Path,
    images: BTreeSet<String>,
    problems: Vec<Problem>,
}

impl ImageWalk<'_> {
    fn walk(&mut self, dir: &Path, rel_dir: &str, prefix: &str, depth: usize) {
        for (name, path) in list_dir(dir, rel_dir, &mut self.problems) {
            let rel = format!("{rel_dir}/{name}");
            if !inside_root(self.root, &path, &rel, &mut self.problems) {
                continue;
            }
            let inner = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            // Linked folders are not followed (no loops); linked files inside the folder are fine.
            if meta.is_dir() {
                if depth < MAX_FOLDER_DEPTH {
                    self.walk(&path, &rel, &inner, depth + 1);
                }
            } else if is_image_name(&name) && path.is_file() {
                self.images.insert(inner);
            }
        }
    }
}

fn load_module(
    root: &Path,
    slug: &str,
    folder: &Path,
    order: ModuleOrder<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Module> {
    let rel_dir = format!("modules/{slug}");
    let mut walk = ImageWalk {
        root,
        images: BTreeSet::new(),
        problems: Vec::new(),
    };
    walk.walk(folder, &rel_dir, "", 0);
    problems.append(&mut walk.problems);
    let images = walk.images;
    let files = ModuleFiles {
        root,
        folder,
        rel_dir: &rel_dir,
        order,
        images: &images,
    };
    let th = files.load("th", problems);
    let en = files.load("en", problems);
    let ((th, th_valid), (en, en_valid)) = (th?, en?);
    if th_valid && en_valid {
        let en_rel = format!("{rel_dir}/en.md");
        if th.front.minutes != en.front.minutes {
            let message = format!(
                "minutes: {} differs from th.md ({})",
                en.front.minutes, th.front.minutes
            );
            problems.push(problem(&en_rel, en.minutes_line, message));
        }
        let mut th_pre = th.front.prerequisites.clone();
        let mut en_pre = en.front.prerequisites.clone();
        th_pre.sort();
        en_pre.sort();
        if th_pre != en_pre {
            let message = format!(
                "prerequisites: [{}] differs from th.md ([{}])",
                en.front.prerequisites.join(", "),
                th.front.prerequisites.join(", ")
            );
            problems.push(problem(&en_rel, en.prerequisites_line, message));
        }
    }
    Some(Module {
        slug: slug.to_string(),
        position: u32::try_from(order.index + 1).unwrap_or(u32::MAX),
        minutes: th.front.minutes,
        prerequisites: th.front.prerequisites,
        th: ModuleText {
            title: th.front.title,
            markdown: th.body,
        },
        en: ModuleText {
            title: en.front.title,
            markdown: en.body,
        },
        images: images.into_iter().collect(),
    })
}

/// What loading the language files of one module folder needs.
struct ModuleFiles<'a> {
    root: &'a Path,
    folder: &'a Path,
    rel_dir: &'a str,
    order: ModuleOrder<'a>,
    images: &'a BTreeSet<String>,
}

impl ModuleFiles<'_> {
    /// Loads `<lang>.md`: the parsed file and whether it had no problem.
    fn load(&self, lang: &str, problems: &mut Vec<Problem>) -> Option<(ModuleFile, bool)> {
        let rel = format!("{}/{lang}.md", self.rel_dir);
        let path = self.folder.join(format!("{lang}.md"));
        if fs::symlink_metadata(&path).is_err() {
            let message =
                format!("{lang}.md is missing: every module folder holds both th.md and en.md");
            problems.push(problem(&rel, 1, message));
            return None;
        }
        let text = read_text(self.root, &path, &rel, MAX_MODULE_FILE, problems)?;
        let (parsed, mut found) = module_file(&rel, &text, Some(self.order));
        let valid = found.is_empty();
        if let Some(parsed) = &parsed {
            check_body(
                &rel,
                &parsed.body,
                parsed.body_line,
                self.images,
                &mut found,
            );
        }
        problems.append(&mut found);
        parsed.map(|parsed| (parsed, valid))
    }
}

/// Loads `quizzes/`: the quizzes that loaded (sorted by slug) and the slugs of all quiz files.
fn load_quizzes(
    root: &Path,
    modules: &BTreeSet<String>,
    problems: &mut Vec<Problem>,
) -> (Vec<Quiz>, BTreeSet<String>) {
    let Some(dir) = content_folder(root, "quizzes", problems) else {
        return (Vec::new(), BTreeSet::new());
    };
    let mut quizzes = BTreeMap::new();
    let mut slugs = BTreeSet::new();
    for (name, path) in list_dir(&dir, "quizzes", problems) {
        let rel = format!("quizzes/{name}");
        let Some(slug) = name.strip_suffix(".toml") else {
            problems.push(problem(
                &rel,
                1,
                "only quiz files named <slug>.toml belong in quizzes/",
            ));
            continue;
        };
        slugs.insert(slug.to_string());
        let Some(text) = read_text(root, &path, &rel, MAX_QUIZ_FILE, problems) else {
            continue;
        };
        match quiz_from_text(slug, &rel, &text, Some(modules)) {
            Ok(quiz) => {
                quizzes.insert(quiz.slug.clone(), quiz);
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    (quizzes.into_values().collect(), slugs)
}

fn load_programme(root: &Path, known: Known<'_>, problems: &mut Vec<Problem>) -> Option<Programme> {
    const FILE: &str = "programme.toml";
    let path = root.join(FILE);
    if fs::symlink_metadata(&path).is_err() {
        problems.push(problem(FILE, 1, "programme.toml is missing"));
        return None;
    }
    let text = read_text(root, &path, FILE, MAX_PROGRAMME_FILE, problems)?;
    match programme_from_text(FILE, &text, known) {
        Ok(programme) => Some(programme),
        Err(mut found) => {
            problems.append(&mut found);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/course_content");

    const QUIZ: &str = r#"title_th = "ทดสอบ"
title_en = "Test"
time_limit_s = 0
attempts_allowed = 1
pass_percent = 50
grading = "last"
shuffle_questions = false
shuffle_options = false
review = "never"

[[questions]]
id = "n1"
kind = "numeric"
points = 1
prompt_th = "ก"
prompt_en = "a"
feedback_th = "ข"
feedback_en = "b"
answer = 76
tolerance = 0
"#;

    const SINGLE: &str = r#"
[[questions]]
id = "s1"
kind = "single"
points = 1
prompt_th = "ก"
prompt_en = "a"
feedback_th = "ข"
feedback_en = "b"
options = [
  { id = "a", text_th = "ก", text_en = "a", correct = true },
  { id = "b", text_th = "ข", text_en = "b", correct = true },
  { id = "c", text_th = "ค", text_en = "c" },
]
"#;

    fn describe(problems: &[Problem]) -> String {
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn has(problems: &[Problem], file: &str, line: usize, needle: &str) -> bool {
        problems
            .iter()
            .any(|p| p.file == file && p.line == line && p.message.contains(needle))
    }

    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).expect("create folder");
        for entry in fs::read_dir(from).expect("read folder") {
            let entry = entry.expect("folder entry");
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), target).expect("copy file");
            }
        }
    }

    /// A copy of the shipped content in a temporary folder.
    fn shipped_copy() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temporary folder");
        copy_dir(Path::new(SHIPPED), dir.path());
        dir
    }

    /// Replaces the first `from` with `to` in a file of the copy; returns the line where `from` started.
    fn edit(root: &Path, rel: &str, from: &str, to: &str) -> usize {
        let path = root.join(rel);
        let text = fs::read_to_string(&path).expect("read file");
        let at = text
            .find(from)
            .unwrap_or_else(|| panic!("{from:?} is not in {rel}"));
        let line = line_at(&text, at, 1);
        fs::write(path, text.replacen(from, to, 1)).expect("write file");
        line
    }

    fn line_of(root: &Path, rel: &str, needle: &str) -> usize {
        let text = fs::read_to_string(root.join(rel)).expect("read file");
        let at = text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} is not in {rel}"));
        line_at(&text, at, 1)
    }

    fn load_err(root: &Path) -> Vec<Problem> {
        load_course(root).expect_err("the content must be refused")
    }

    #[test]
    fn shipped_content_loads_without_problems() {
        let course = load_course(Path::new(SHIPPED))
            .unwrap_or_else(|p| panic!("problems:\n{}", describe(&p)));
        assert_eq!(course.programme.id, "tis-s-assessor");
        assert_eq!(course.programme.scopes.len(), 2);
        assert_eq!(course.modules.len(), 6);
        assert_eq!(course.quizzes.len(), 7);
        for (index, module) in course.modules.iter().enumerate() {
            assert_eq!(module.position as usize, index + 1);
            assert!(module.images.is_empty());
        }
        let second = course.modules.get(1).expect("module 2");
        assert_eq!(second.slug, "02-certification-path");
        assert_eq!(second.minutes, 30);
        assert_eq!(second.prerequisites, ["01-what-is-tis-s"]);
        let exam = course
            .quizzes
            .iter()
            .find(|q| q.slug == "final-exam")
            .expect("final exam");
        assert!(exam.module.is_none());
        assert_eq!(exam.review, ReviewPolicy::AfterClose);
        assert_eq!(exam.blueprint.iter().map(|p| p.draw).sum::<u32>(), 20);
        assert!(
            exam.questions.len() >= 40,
            "{} questions",
            exam.questions.len()
        );
        let numeric = exam
            .questions
            .iter()
            .find(|q| q.id == "basics-04")
            .expect("basics-04");
        assert!(
            matches!(numeric.body, QuestionBody::Numeric { answer, tolerance } if (answer - 76.0).abs() < 1e-9 && tolerance.abs() < 1e-9)
        );
        let single = exam
            .questions
            .iter()
            .find(|q| q.id == "basics-01")
            .expect("basics-01");
        let QuestionBody::Single { options } = &single.body else {
            panic!("basics-01 is single")
        };
        assert_eq!(options.iter().filter(|o| o.correct).count(), 1);
        let q01 = course
            .quizzes
            .iter()
            .find(|q| q.slug == "q01")
            .expect("q01");
        assert_eq!(q01.module.as_deref(), Some("01-what-is-tis-s"));
        assert!(q01.blueprint.is_empty());
    }

    #[test]
    fn module_minutes_zero_is_reported_on_its_line() {
        let dir = shipped_copy();
        let rel = "modules/03-assessor-role-ethics/en.md";
        let line = edit(dir.path(), rel, "minutes = 35", "minutes = 0");
        assert_eq!(line, 3);
        let problems = load_err(dir.path());
        assert!(
            has(&problems, rel, 3, "minutes: must be between 1 and 600"),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn two_correct_options_in_single_are_reported_on_the_options_line() {
        let dir = shipped_copy();
        let rel = "quizzes/q01.toml";
        let options_line = line_of(dir.path(), rel, "options = [");
        edit(
            dir.path(),
            rel,
            "text_en = \"A mandatory standard that every industrial factory must meet\" }",
            "text_en = \"A mandatory standard that every industrial factory must meet\", correct = true }",
        );
        let problems = load_err(dir.path());
        assert!(
            has(
                &problems,
                rel,
                options_line,
                "exactly one option with correct = true (found 2)"
            ),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn unknown_programme_key_is_reported_on_its_line() {
        let dir = shipped_copy();
        let line = edit(
            dir.path(),
            "programme.toml",
            "version = 1\n",
            "version = 1\ncolour = \"blue\"\n",
        );
        let problems = load_err(dir.path());
        assert!(
            has(
                &problems,
                "programme.toml",
                line + 1,
                "unknown key \"colour\""
            ),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn pool_smaller_than_draw_is_reported_on_the_draw_line() {
        let dir = shipped_copy();
        let rel = "quizzes/final-exam.toml";
        let line = edit(
            dir.path(),
            rel,
            "pool = \"services\"\ndraw = 3",
            "pool = \"services\"\ndraw = 9",
        );
        let problems = load_err(dir.path());
        assert!(
            has(
                &problems,
                rel,
                line + 1,
                "blueprint pool \"services\": draw = 9"
            ),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn later_prerequisite_is_reported_on_the_prerequisites_line() {
        let dir = shipped_copy();
        let th = "modules/02-certification-path/th.md";
        let line = edit(
            dir.path(),
            th,
            "prerequisites = [\"01-what-is-tis-s\"]",
            "prerequisites = [\"04-planning-onsite-assessment\"]",
        );
        assert_eq!(line, 4);
        let problems = load_err(dir.path());
        assert!(
            has(
                &problems,
                th,
                4,
                "\"04-planning-onsite-assessment\" is not an earlier module"
            ),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn toml_syntax_error_is_reported_on_its_line() {
        let dir = shipped_copy();
        let rel = "quizzes/q02.toml";
        let line = edit(
            dir.path(),
            rel,
            "attempts_allowed = 3",
            "attempts_allowed = = 3",
        );
        let problems = load_err(dir.path());
        assert!(
            has(&problems, rel, line, "invalid TOML"),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn unknown_quiz_module_and_scope_quiz_are_reported() {
        let dir = shipped_copy();
        let q06 = "quizzes/q06.toml";
        let module_line = edit(
            dir.path(),
            q06,
            "module = \"06-tis-s-services\"",
            "module = \"07-missing\"",
        );
        let quizzes_line = edit(
            dir.path(),
            "programme.toml",
            "\"q05\", \"final-exam\"]",
            "\"q05\", \"q99\"]",
        );
        let problems = load_err(dir.path());
        assert!(
            has(
                &problems,
                q06,
                module_line,
                "\"07-missing\" is not a module"
            ),
            "{}",
            describe(&problems)
        );
        assert!(
            has(
                &problems,
                "programme.toml",
                quizzes_line,
                "\"q99\" is not a quiz"
            ),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn missing_language_file_is_reported() {
        let dir = shipped_copy();
        fs::remove_file(dir.path().join("modules/06-tis-s-services/en.md")).expect("remove");
        let problems = load_err(dir.path());
        assert!(
            has(&problems, "modules/06-tis-s-services/en.md", 1, "missing"),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn images_are_listed_and_checked() {
        let dir = shipped_copy();
        let folder = dir.path().join("modules/01-what-is-tis-s");
        fs::create_dir_all(folder.join("img")).expect("create img");
        fs::write(folder.join("img/cycle.png"), b"png").expect("write image");
        let en = fs::read_to_string(folder.join("en.md")).expect("read en.md");
        fs::write(
            folder.join("en.md"),
            format!("{en}\n![Cycle](img/cycle.png)\n"),
        )
        .expect("write en.md");
        let course =
            load_course(dir.path()).unwrap_or_else(|p| panic!("problems:\n{}", describe(&p)));
        let first = course.modules.first().expect("module 1");
        assert_eq!(first.images, ["img/cycle.png"]);

        let th = fs::read_to_string(folder.join("th.md")).expect("read th.md");
        fs::write(
            folder.join("th.md"),
            format!("{th}\n![x](../02-certification-path/en.md)\n"),
        )
        .expect("write th.md");
        let line = line_at(&th, th.len(), 1) + 1;
        let problems = load_err(dir.path());
        assert!(
            has(
                &problems,
                "modules/01-what-is-tis-s/th.md",
                line,
                "\"..\" is not allowed"
            ),
            "{}",
            describe(&problems)
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_outside_the_folder_is_refused() {
        let dir = shipped_copy();
        let outside = tempfile::tempdir().expect("temporary folder");
        let target = outside.path().join("secret.png");
        fs::write(&target, b"secret").expect("write");
        std::os::unix::fs::symlink(
            target,
            dir.path().join("modules/01-what-is-tis-s/secret.png"),
        )
        .expect("symlink");
        let problems = load_err(dir.path());
        assert!(
            has(
                &problems,
                "modules/01-what-is-tis-s/secret.png",
                1,
                "outside"
            ),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn parse_quiz_accepts_integer_numbers() {
        let quiz =
            parse_quiz("t", "quizzes/t.toml", QUIZ).unwrap_or_else(|p| panic!("{}", describe(&p)));
        assert_eq!(quiz.grading, Grading::Last);
        assert_eq!(quiz.review, ReviewPolicy::Never);
        assert!(quiz.module.is_none());
        let question = quiz.questions.first().expect("one question");
        assert!(
            matches!(question.body, QuestionBody::Numeric { answer, .. } if (answer - 76.0).abs() < 1e-9)
        );
    }

    #[test]
    fn parse_quiz_reports_lines() {
        let file = "quizzes/t.toml";
        let cases: &[(&str, &str, usize, &str)] = &[
            (
                "points = 1",
                "points = 0",
                14,
                "question \"n1\": points: must be at least 1 (found 0)",
            ),
            (
                "pass_percent = 50",
                "pass_percent = 101",
                5,
                "pass_percent: must be between 0 and 100",
            ),
            (
                "grading = \"last\"",
                "grading = \"best\"",
                6,
                "grading: \"best\" is not one of",
            ),
            (
                "tolerance = 0",
                "tolerance = -1",
                20,
                "tolerance: must be at least 0",
            ),
            (
                "tolerance = 0\n",
                "tolerance = 0\ncolour = 1\n",
                21,
                "question \"n1\": unknown key \"colour\"",
            ),
            (
                "kind = \"numeric\"\n",
                "",
                11,
                "missing required key \"kind\"",
            ),
            (
                "id = \"n1\"",
                "id = \"n1\"\npool = \"p\"",
                13,
                "pool is only allowed",
            ),
            (
                "title_en = \"Test\"",
                "title_en = \"\"",
                2,
                "title_en: must not be empty",
            ),
        ];
        for (from, to, line, needle) in cases {
            let text = QUIZ.replacen(from, to, 1);
            let problems = parse_quiz("t", file, &text).expect_err("must be refused");
            assert!(
                has(&problems, file, *line, needle),
                "{from} -> {to}:\n{}",
                describe(&problems)
            );
        }
    }

    #[test]
    fn parse_quiz_checks_options_ids_and_blueprint() {
        let file = "quizzes/t.toml";
        let text = format!("{QUIZ}{SINGLE}");
        let problems = parse_quiz("t", file, &text).expect_err("two correct options");
        assert!(
            has(
                &problems,
                file,
                30,
                "question \"s1\": kind \"single\" needs exactly one option"
            ),
            "{}",
            describe(&problems)
        );

        let text = format!(
            "{QUIZ}\n[[questions]]\nid = \"n1\"\n{}",
            QUIZ.split("id = \"n1\"\n").nth(1).unwrap_or_default()
        );
        let problems = parse_quiz("t", file, &text).expect_err("duplicate id");
        assert!(
            has(&problems, file, 23, "id is used by an earlier question"),
            "{}",
            describe(&problems)
        );

        let text = QUIZ
            .replacen(
                "review = \"never\"\n",
                "review = \"never\"\n\n[[blueprint]]\npool = \"p\"\ndraw = 2\n",
                1,
            )
            .replacen("kind = \"numeric\"", "pool = \"p\"\nkind = \"numeric\"", 1);
        let problems = parse_quiz("t", file, &text).expect_err("pool too small");
        assert!(
            has(&problems, file, 13, "draw = 2 but only 1 question(s)"),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn nesting_deeper_than_eight_is_refused() {
        let file = "quizzes/t.toml";
        // Nine brackets on one line: refused by the scan before parsing.
        let text = format!("{QUIZ}deep = [[[[[[[[[1]]]]]]]]]\n");
        let problems = parse_quiz("t", file, &text).expect_err("too deep");
        assert!(
            has(&problems, file, 21, "nesting"),
            "{}",
            describe(&problems)
        );
        // questions (array) > question (table) > seven arrays: nine levels in the parsed value.
        let text = format!("{QUIZ}deep = [[[[[[[1]]]]]]]\n");
        let problems = parse_quiz("t", file, &text).expect_err("too deep");
        assert!(
            has(&problems, file, 11, "questions: TOML nesting"),
            "{}",
            describe(&problems)
        );
        // Eight levels are allowed (the key is still unknown).
        let text = format!("{QUIZ}deep = [[[[[[1]]]]]]\n");
        let problems = parse_quiz("t", file, &text).expect_err("unknown key");
        assert!(
            !problems.iter().any(|p| p.message.contains("nesting")),
            "{}",
            describe(&problems)
        );
        assert!(
            has(&problems, file, 21, "unknown key \"deep\""),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn module_file_front_matter() {
        let file = "modules/01-x/en.md";
        let good = "+++\ntitle = \"T\"\nminutes = 25\nprerequisites = []\n+++\n\n# T\n";
        let (front, body) =
            parse_module_file(file, good).unwrap_or_else(|p| panic!("{}", describe(&p)));
        assert_eq!(
            front,
            ModuleFrontMatter {
                title: "T".into(),
                minutes: 25,
                prerequisites: Vec::new()
            }
        );
        assert_eq!(body, "\n# T\n");

        let syntax = "+++\ntitle = \"T\"\nminutes = = 25\nprerequisites = []\n+++\n";
        let problems = parse_module_file(file, syntax).expect_err("syntax error");
        assert!(
            has(&problems, file, 3, "invalid TOML"),
            "{}",
            describe(&problems)
        );

        let unknown = "+++\ntitle = \"T\"\nminutes = 25\nprerequisites = []\nauthor = \"x\"\n+++\n";
        let problems = parse_module_file(file, unknown).expect_err("unknown key");
        assert!(
            has(&problems, file, 5, "unknown key \"author\""),
            "{}",
            describe(&problems)
        );

        let problems = parse_module_file(file, "# no front matter\n").expect_err("no front matter");
        assert!(has(&problems, file, 1, "+++"), "{}", describe(&problems));
        let problems = parse_module_file(file, "+++\ntitle = \"T\"\n").expect_err("not closed");
        assert!(
            has(&problems, file, 1, "not closed"),
            "{}",
            describe(&problems)
        );
    }

    #[test]
    fn markdown_targets_are_checked() {
        let images: BTreeSet<String> = ["img/cycle.png".to_string()].into_iter().collect();
        let body = "# T\n![ok](img/cycle.png)\n![up](../x.png)\n[web](https://example.org) [bad](javascript:alert(1))\n```\n![in code](/etc/passwd)\n```\n![missing](nope.png) `![x](/y)`\n[abs](/etc/passwd) [mail](mailto:a@b.c)\n![remote](https://example.org/a.png)\n";
        let mut problems = Vec::new();
        check_body("m.md", body, 6, &images, &mut problems);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [8, 9, 13, 14, 15], "{}", describe(&problems));
    }
}
