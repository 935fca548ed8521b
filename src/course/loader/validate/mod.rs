//! Validating parsed TOML tables: programme, scopes, quizzes, questions and front matter.

use super::*;

mod programme;
mod question;
mod quiz;

// ---------------------------------------------------------------------------------------------
// Validating parsed TOML
// ---------------------------------------------------------------------------------------------

/// A TOML table being validated, where it is written, and how messages name it.
pub(super) struct At<'t> {
    pub(super) table: &'t Table,
    pub(super) sec: Sec,
    /// Put before every message about this table, e.g. `question "q01-x": ` (empty at the top).
    pub(super) prefix: String,
}

impl<'t> At<'t> {
    pub(super) fn top(table: &'t Table) -> Self {
        At {
            table,
            sec: Sec::Top,
            prefix: String::new(),
        }
    }
}

/// The module and quiz slugs that exist in the content folder.
#[derive(Debug, Clone, Copy)]
pub(super) struct Known<'a> {
    pub(super) modules: &'a BTreeSet<String>,
    pub(super) quizzes: &'a BTreeSet<String>,
}

/// Where a module sits among all module slugs (sorted), for the prerequisite check.
#[derive(Debug, Clone, Copy)]
pub(super) struct ModuleOrder<'a> {
    pub(super) slugs: &'a [String],
    pub(super) index: usize,
}

/// A kind of question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Single,
    Multiple,
    TrueFalse,
    ShortText,
    Numeric,
    Matching,
    Essay,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Single => "single",
            Kind::Multiple => "multiple",
            Kind::TrueFalse => "true_false",
            Kind::ShortText => "short_text",
            Kind::Numeric => "numeric",
            Kind::Matching => "matching",
            Kind::Essay => "essay",
        }
    }

    /// The kind-specific keys this kind takes.
    pub(super) fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Single | Kind::Multiple => &["options"],
            Kind::TrueFalse => &["answer"],
            Kind::ShortText => &["accepted"],
            Kind::Numeric => &["answer", "tolerance"],
            Kind::Matching => &["pairs"],
            Kind::Essay => &["word_limit", "rubric"],
        }
    }
}

/// A valid `[[blueprint]]` pool and where it is written.
pub(super) struct PoolAt {
    pub(super) pool: BlueprintPool,
    pub(super) sec: Sec,
}

/// The `[[blueprint]]` of a quiz, as far as it is valid.
pub(super) struct Blueprint {
    /// The quiz has a `blueprint` key.
    pub(super) present: bool,
    /// Every valid pool name.
    pub(super) names: BTreeSet<String>,
    /// The pools with a valid name and draw.
    pub(super) pools: Vec<PoolAt>,
}

/// Collects the problems of one TOML text while its parsed tables are validated.
pub(super) struct Checker<'a> {
    pub(super) file: &'a str,
    pub(super) loc: Locator,
    pub(super) problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    pub(super) fn new(file: &'a str, loc: Locator) -> Self {
        Checker {
            file,
            loc,
            problems: Vec::new(),
        }
    }

    /// `Ok(value)` when nothing was reported, else every problem sorted by line.
    pub(super) fn finish<T>(mut self, value: T) -> Result<T, Vec<Problem>> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            sort_problems(&mut self.problems);
            Err(self.problems)
        }
    }

    pub(super) fn report(&mut self, line: usize, message: String) {
        self.problems.push(problem(self.file, line, message));
    }

    /// Reports `message` (after the table's prefix) on the line of `key`.
    pub(super) fn report_at(&mut self, at: &At<'_>, key: &str, message: &str) {
        let line = self.loc.key_line(at.sec, key);
        self.report(line, format!("{}{message}", at.prefix));
    }

    /// Reports `key: message` on the line of `key`.
    pub(super) fn report_key(&mut self, at: &At<'_>, key: &str, message: &str) {
        self.report_at(at, key, &format!("{key}: {message}"));
    }

    pub(super) fn wrong_type(&mut self, at: &At<'_>, key: &str, expected: &str, found: &Value) {
        self.report_key(
            at,
            key,
            &format!("must be {expected}, found {}", found.type_str()),
        );
    }

    pub(super) fn check_keys(&mut self, at: &At<'_>, allowed: &[&str]) {
        for key in at.table.keys() {
            if !allowed.contains(&key.as_str()) {
                self.report_at(at, key, &format!("unknown key \"{key}\""));
            }
        }
    }

    /// A required key's value; a missing key is reported on the table's line.
    pub(super) fn get<'t>(&mut self, at: &At<'t>, key: &str) -> Option<&'t Value> {
        let value = at.table.get(key);
        if value.is_none() {
            let line = self.loc.section_line(at.sec);
            self.report(line, format!("{}missing required key \"{key}\"", at.prefix));
        }
        value
    }

    /// A required, non-empty string.
    pub(super) fn string<'t>(&mut self, at: &At<'t>, key: &str) -> Option<&'t str> {
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
    pub(super) fn text(&mut self, at: &At<'_>, key: &str) -> String {
        self.string(at, key).unwrap_or_default().to_string()
    }

    pub(super) fn ident(&mut self, at: &At<'_>, key: &str) -> Option<String> {
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

    pub(super) fn int(&mut self, at: &At<'_>, key: &str, min: i64, max: i64) -> Option<i64> {
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

    /// An identifier that may be left out.
    pub(super) fn optional_ident(&mut self, at: &At<'_>, key: &str) -> Option<String> {
        if at.table.contains_key(key) {
            self.ident(at, key)
        } else {
            None
        }
    }

    pub(super) fn uint(&mut self, at: &At<'_>, key: &str, min: u32, max: u32) -> Option<u32> {
        self.int(at, key, i64::from(min), i64::from(max))
            .and_then(|n| u32::try_from(n).ok())
    }

    pub(super) fn percent(&mut self, at: &At<'_>, key: &str) -> Option<u8> {
        self.int(at, key, 0, 100).and_then(|n| u8::try_from(n).ok())
    }

    pub(super) fn boolean(&mut self, at: &At<'_>, key: &str) -> Option<bool> {
        match self.get(at, key)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(at, key, "a boolean (true or false)", other);
                None
            }
        }
    }

    /// A finite number written as an integer or a float.
    pub(super) fn number(&mut self, at: &At<'_>, key: &str) -> Option<f64> {
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

    pub(super) fn array<'t>(&mut self, at: &At<'t>, key: &str) -> Option<&'t [Value]> {
        match self.get(at, key)? {
            Value::Array(items) => Some(items.as_slice()),
            other => {
                self.wrong_type(at, key, "an array", other);
                None
            }
        }
    }

    /// The tables of an array of tables, with their index in the array.
    pub(super) fn tables<'t>(&mut self, at: &At<'t>, key: &str) -> Option<Vec<(usize, &'t Table)>> {
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
    pub(super) fn strings(&mut self, at: &At<'_>, key: &str, idents: bool) -> Option<Vec<String>> {
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
    pub(super) fn one_of<T: Copy>(
        &mut self,
        at: &At<'_>,
        key: &str,
        choices: &[(&str, T)],
    ) -> Option<T> {
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
}
