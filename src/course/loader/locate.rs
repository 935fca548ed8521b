//! Finding the lines of keys and tables in TOML source text.

use super::*;

// ---------------------------------------------------------------------------------------------
// Locating keys and tables in TOML source text
// ---------------------------------------------------------------------------------------------

/// A table header or a key assignment found in TOML source text.
#[derive(Debug)]
pub(super) enum Entry {
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
    pub(super) fn line(&self) -> usize {
        match self {
            Entry::Header { line, .. } | Entry::Key { line, .. } => *line,
        }
    }

    pub(super) fn is_key(&self) -> bool {
        matches!(self, Entry::Key { .. })
    }

    /// `name` when this is a `[[name]]` header (a name without dots).
    pub(super) fn array_header_name(&self) -> Option<&str> {
        match self {
            Entry::Header {
                path, array: true, ..
            } if path.len() == 1 => path.first().map(String::as_str),
            _ => None,
        }
    }

    pub(super) fn key_line(&self, name: &str) -> Option<usize> {
        match self {
            Entry::Key { line, key } if key == name => Some(*line),
            _ => None,
        }
    }
}

/// Where a table being validated is written.
#[derive(Debug, Clone, Copy)]
pub(super) enum Sec {
    /// The document itself.
    Top,
    /// The n-th (0-based) `[[name]]` table.
    Array(&'static str, usize),
    /// An inline table: every key is reported on this line.
    Fixed(usize),
}

/// String and bracket state carried from one line to the next.
#[derive(Debug, Default)]
pub(super) struct ScanState {
    pub(super) in_basic: bool,
    pub(super) in_literal: bool,
    pub(super) depth: usize,
}

impl ScanState {
    pub(super) fn at_top(&self) -> bool {
        self.depth == 0 && !self.in_basic && !self.in_literal
    }
}

/// The headers and keys of a TOML text with their lines.
#[derive(Debug)]
pub(super) struct Locator {
    pub(super) entries: Vec<Entry>,
    /// For each `[[name]]`, the indices in `entries` of its headers, in order.
    pub(super) array_headers: HashMap<String, Vec<usize>>,
    /// The first line where arrays and inline tables nest deeper than allowed.
    pub(super) too_deep: Option<usize>,
}

impl Locator {
    /// Scans `text`, whose first line is line `first_line` of its file.
    pub(super) fn new(text: &str, first_line: usize) -> Locator {
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
    pub(super) fn top_key(&self, key: &str) -> Option<usize> {
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
    pub(super) fn array_header_index(&self, name: &str, n: usize) -> Option<usize> {
        self.array_headers.get(name)?.get(n).copied()
    }

    /// The line where a table starts (line 1 for the document).
    pub(super) fn section_line(&self, sec: Sec) -> usize {
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
    pub(super) fn key_line(&self, sec: Sec, key: &str) -> usize {
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
pub(super) fn parse_header(trimmed: &str) -> Option<(Vec<String>, bool)> {
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
pub(super) fn parse_key_line(trimmed: &str) -> Option<(String, &str)> {
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let (path, rest) = parse_key_path(trimmed)?;
    let value = rest.strip_prefix('=')?;
    Some((path.into_iter().next()?, value))
}

/// Parses a possibly dotted, possibly quoted key; returns its segments and the text after it.
pub(super) fn parse_key_path(text: &str) -> Option<(Vec<String>, &str)> {
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

pub(super) fn parse_key_segment(text: &str) -> Option<(String, &str)> {
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
pub(super) fn scan_line(bytes: &[u8], start: usize, state: &mut ScanState) -> usize {
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
pub(super) fn scan_multiline(bytes: &[u8], from: usize, state: &mut ScanState) -> usize {
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

pub(super) fn is_triple(bytes: &[u8], i: usize, quote: u8) -> bool {
    bytes
        .get(i..i + 3)
        .is_some_and(|s| s.iter().all(|&c| c == quote))
}

/// The index of the `"` closing a basic string whose text starts at `from` (escapes skipped).
pub(super) fn closing_quote(bytes: &[u8], from: usize) -> Option<usize> {
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

pub(super) fn find_byte(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&c| c == needle)
        .map(|p| from + p)
}

/// Parses TOML `text` (whose first line is line `first_line` of `file`) into a table, after
/// refusing nesting deeper than the limit.
pub(super) fn parse_toml(
    file: &str,
    text: &str,
    first_line: usize,
) -> Result<(Table, Locator), Vec<Problem>> {
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
