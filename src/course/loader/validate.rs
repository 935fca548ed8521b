//! Validating parsed TOML tables: programme, scopes, quizzes, questions and front matter.

use super::*;

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

    // ----- programme.toml --------------------------------------------------------------------

    pub(super) fn programme(&mut self, table: &Table, known: Known<'_>) -> Programme {
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
            competences: self.competences(&at),
            pretest: self.optional_ident(&at, "pretest"),
            posttest: self.optional_ident(&at, "posttest"),
            survey: self.optional_ident(&at, "survey"),
            completion: self.completion(&at),
            targets: self.targets(&at),
            excused_absence: if at.table.contains_key("excused_absence") {
                self.one_of(&at, "excused_absence", EXCUSED)
                    .unwrap_or_default()
            } else {
                ExcusedAbsence::Absent
            },
        }
    }

    /// The project's targets (`target_*` keys), each optional and within its range.
    pub(super) fn targets(&mut self, at: &At<'_>) -> Targets {
        let mut get = |key: &str, max: f64| -> Option<f64> {
            if !at.table.contains_key(key) {
                return None;
            }
            let n = self.number(at, key)?;
            if !(0.0..=max).contains(&n) {
                self.report_key(at, key, &format!("a number from 0 to {max}"));
                return None;
            }
            Some(n)
        };
        Targets {
            enrolment_percent: get("target_enrolment_percent", 100.0),
            completion_percent: get("target_completion_percent", 100.0),
            improved_percent: get("target_improved_percent", 100.0),
            satisfaction_mean: get("target_satisfaction_mean", 5.0),
            credentialed_percent: get("target_credentialed_percent", 100.0),
            offices_per_year: get("target_offices_per_year", 76.0),
        }
    }

    /// The completion rule (`completion_*` keys): present when its attendance share is.
    pub(super) fn completion(&mut self, at: &At<'_>) -> Option<CompletionRule> {
        let keys = [
            "completion_requires_posttest",
            "completion_requires_survey",
            "completion_number_prefix",
        ];
        if !at.table.contains_key("completion_min_attendance_percent") {
            for key in keys.iter().filter(|k| at.table.contains_key(**k)) {
                self.report_key(at, key, "needs completion_min_attendance_percent beside it");
            }
            return None;
        }
        let prefix = self.text(at, "completion_number_prefix");
        if !prefix.is_empty()
            && !prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            self.report_key(
                at,
                "completion_number_prefix",
                "capital letters, digits and hyphens, such as \"TISI-T\"",
            );
        }
        Some(CompletionRule {
            min_attendance_percent: self
                .uint(at, "completion_min_attendance_percent", 1, 100)
                .unwrap_or(80),
            posttest: self
                .boolean(at, "completion_requires_posttest")
                .unwrap_or(false),
            survey: self
                .boolean(at, "completion_requires_survey")
                .unwrap_or(false),
            number_prefix: prefix,
        })
    }

    /// The optional `[[competences]]`: id (unique), Thai and English titles.
    pub(super) fn competences(&mut self, at: &At<'_>) -> Vec<Competence> {
        if !at.table.contains_key("competences") {
            return Vec::new();
        }
        let Some(tables) = self.tables(at, "competences") else {
            return Vec::new();
        };
        let mut ids = HashSet::new();
        let mut out = Vec::with_capacity(tables.len());
        for (index, table) in tables {
            let ct = At {
                table,
                sec: Sec::Array("competences", index),
                prefix: named_prefix("competence", "id", table, index),
            };
            self.check_keys(&ct, COMPETENCE_KEYS);
            let c = Competence {
                id: self.ident(&ct, "id").unwrap_or_default(),
                title_th: self.text(&ct, "title_th"),
                title_en: self.text(&ct, "title_en"),
            };
            if !c.id.is_empty() && !ids.insert(c.id.clone()) {
                self.report_at(&ct, "id", "id is used by an earlier competence");
            }
            out.push(c);
        }
        out
    }

    pub(super) fn scopes(&mut self, at: &At<'_>, known: Known<'_>) -> Vec<Scope> {
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

    pub(super) fn scope(&mut self, st: &At<'_>, known: Known<'_>) -> Scope {
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
        let mut optional_list = |key: &str, known_set: &BTreeSet<String>, what: &str| {
            if !st.table.contains_key(key) {
                return Vec::new();
            }
            let list = self.strings(st, key, true).unwrap_or_default();
            self.check_known(st, key, &list, known_set, what);
            list
        };
        let recert_modules = optional_list("recert_modules", known.modules, "a module in modules/");
        let recert_quizzes = optional_list("recert_quizzes", known.quizzes, "a quiz in quizzes/");
        let recert_window_months = if st.table.contains_key("recert_window_months") {
            self.uint(st, "recert_window_months", 1, 36)
        } else {
            None
        };
        if recert_window_months.is_some() && recert_modules.is_empty() && recert_quizzes.is_empty()
        {
            self.report_key(
                st,
                "recert_window_months",
                "set recert_modules or recert_quizzes too (the renewal path this window opens)",
            );
        }
        Scope {
            recert_modules,
            recert_quizzes,
            recert_window_months,
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
            requires_observation: st.table.contains_key("requires_observation")
                && self.boolean(st, "requires_observation").unwrap_or_default(),
        }
    }

    pub(super) fn check_known(
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

    pub(super) fn front_matter(
        &mut self,
        table: &Table,
        order: Option<ModuleOrder<'_>>,
    ) -> ModuleFrontMatter {
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

    pub(super) fn check_prerequisites(
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

    pub(super) fn quiz(
        &mut self,
        slug: &str,
        table: &Table,
        modules: Option<&BTreeSet<String>>,
    ) -> Quiz {
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
            requires: self.requires(&at, modules),
            marking: crate::quizzes::model::MarkingRule {
                markers: if at.table.contains_key("markers") {
                    self.uint(&at, "markers", 1, 3).unwrap_or(2)
                } else {
                    2
                },
                moderation_threshold: if at.table.contains_key("moderation_threshold") {
                    self.uint(&at, "moderation_threshold", 0, 1000).unwrap_or(2)
                } else {
                    2
                },
            },
        }
    }

    /// `requires_modules` / `requires_quizzes`: what a trainee must have done before starting.
    /// Modules are checked here when known; quizzes by [`super::load_course`].
    pub(super) fn requires(
        &mut self,
        at: &At<'_>,
        modules: Option<&BTreeSet<String>>,
    ) -> crate::quizzes::model::Prerequisites {
        let mut list = |key: &str| {
            if at.table.contains_key(key) {
                self.strings(at, key, true).unwrap_or_default()
            } else {
                Vec::new()
            }
        };
        let requires = crate::quizzes::model::Prerequisites {
            modules: list("requires_modules"),
            quizzes: list("requires_quizzes"),
        };
        if let Some(known) = modules {
            for m in requires.modules.iter().filter(|m| !known.contains(*m)) {
                self.report_key(
                    at,
                    "requires_modules",
                    &format!("\"{m}\" is not a module in modules/"),
                );
            }
        }
        requires
    }

    /// The optional `module` key; it must name a module when the modules are known.
    pub(super) fn quiz_module(
        &mut self,
        at: &At<'_>,
        modules: Option<&BTreeSet<String>>,
    ) -> Option<String> {
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

    pub(super) fn blueprint(&mut self, at: &At<'_>) -> Blueprint {
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
    pub(super) fn check_pool_sizes(&mut self, at: &At<'_>, blueprint: &Blueprint) {
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

    pub(super) fn questions(&mut self, at: &At<'_>, blueprint: &Blueprint) -> Vec<Question> {
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

    pub(super) fn question(&mut self, qt: &At<'_>, blueprint: &Blueprint) -> Option<Question> {
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
        if let QuestionBody::Essay { rubric, .. } = &body {
            let total: u32 = rubric.iter().map(|c| c.max_points()).sum();
            if total != points && !rubric.is_empty() {
                self.report_key(
                    qt,
                    "points",
                    &format!(
                        "points ({points}) must equal the rubric's highest levels added up ({total})"
                    ),
                );
            }
        }
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

    pub(super) fn check_question_keys(&mut self, qt: &At<'_>, kind: Option<Kind>) {
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
    pub(super) fn question_pool(&mut self, qt: &At<'_>, blueprint: &Blueprint) -> Option<String> {
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

    pub(super) fn question_body(&mut self, qt: &At<'_>, kind: Kind) -> Option<QuestionBody> {
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
            Kind::ShortText => self.accepted(qt).map(|accepted| QuestionBody::ShortText {
                accepted,
                partial: vec![],
            }),
            Kind::Numeric => self.numeric(qt),
            Kind::Essay => self.essay(qt),
            Kind::Matching => self.pairs(qt).map(|pairs| QuestionBody::Matching {
                pairs,
                distractors: vec![],
            }),
        }
    }

    pub(super) fn numeric(&mut self, qt: &At<'_>) -> Option<QuestionBody> {
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
            alternatives: vec![],
        })
    }

    pub(super) fn accepted(&mut self, qt: &At<'_>) -> Option<Vec<String>> {
        let accepted = self.strings(qt, "accepted", false)?;
        let written = qt
            .table
            .get("accepted")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if written == 0 {
            self.report_key(qt, "accepted", "needs at least one accepted answer");
        }
        // Found by fuzzing: an answer a trainee can never send, or never match, is a broken key.
        if accepted
            .iter()
            .any(|a| a.chars().count() > crate::quizzes::engine::MAX_TEXT_ANSWER)
        {
            self.report_key(
                qt,
                "accepted",
                "an accepted answer is longer than 500 characters, more than a trainee can send",
            );
        }
        if accepted
            .iter()
            .any(|a| crate::quizzes::engine::normalise_text(a).is_empty())
        {
            self.report_key(qt, "accepted", "an accepted answer has no visible text");
        }
        Some(accepted)
    }

    pub(super) fn options(&mut self, qt: &At<'_>, kind: Kind) -> Option<Vec<Choice>> {
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
    pub(super) fn choice(&mut self, item: &Value, line: usize, prefix: String) -> Option<Choice> {
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
            credit: None,
        })
    }

    /// A written task: its word limit and its rubric (`[[questions.rubric]]` criteria, each
    /// with levels from 0 points up).
    pub(super) fn essay(&mut self, qt: &At<'_>) -> Option<QuestionBody> {
        let word_limit = self.uint(qt, "word_limit", 10, 5000);
        let tables = self.tables(qt, "rubric")?;
        if tables.is_empty() {
            self.report_key(qt, "rubric", "needs at least one criterion");
        }
        // Criteria are reported on the question's line: `[[questions.rubric]]` headers repeat.
        let line = self.loc.section_line(qt.sec);
        let mut ids = HashSet::new();
        let mut rubric = Vec::with_capacity(tables.len());
        for (index, table) in tables {
            let at = At {
                table,
                sec: Sec::Fixed(line),
                prefix: format!(
                    "{}{}",
                    qt.prefix,
                    named_prefix("criterion", "id", table, index)
                ),
            };
            self.check_keys(&at, CRITERION_KEYS);
            let id = self.ident(&at, "id");
            if let Some(id) = id.as_deref().filter(|id| !ids.insert(id.to_string())) {
                self.report(
                    line,
                    format!("{}criterion id \"{id}\" is used twice", qt.prefix),
                );
            }
            let title_th = self.text(&at, "title_th");
            let title_en = self.text(&at, "title_en");
            let levels = self.levels(&at, line);
            if let (Some(id), Some(levels)) = (id, levels) {
                rubric.push(crate::quizzes::model::Criterion {
                    id,
                    title_th,
                    title_en,
                    levels,
                });
            }
        }
        Some(QuestionBody::Essay {
            word_limit: word_limit?,
            rubric,
        })
    }

    /// The levels of a criterion: inline tables, at least two, from 0 points, rising.
    fn levels(&mut self, at: &At<'_>, line: usize) -> Option<Vec<crate::quizzes::model::Level>> {
        let items = self.array(at, "levels")?;
        let mut levels: Vec<crate::quizzes::model::Level> = Vec::with_capacity(items.len());
        let mut ids = HashSet::new();
        for (index, item) in items.iter().enumerate() {
            let prefix = format!("{}level {}: ", at.prefix, index + 1);
            let Value::Table(table) = item else {
                self.report(
                    line,
                    format!("{prefix}must be an inline table, found {}", item.type_str()),
                );
                return None;
            };
            let lt = At {
                table,
                sec: Sec::Fixed(line),
                prefix,
            };
            self.check_keys(&lt, LEVEL_KEYS);
            let id = self.ident(&lt, "id")?;
            let points = self.uint(&lt, "points", 0, 1000)?;
            if !ids.insert(id.clone()) {
                self.report(
                    line,
                    format!("{}level id \"{id}\" is used twice", lt.prefix),
                );
            }
            levels.push(crate::quizzes::model::Level {
                id,
                points,
                text_th: self.text(&lt, "text_th"),
                text_en: self.text(&lt, "text_en"),
            });
        }
        if levels.len() < 2 {
            self.report(
                line,
                format!(
                    "{}needs at least two levels (found {})",
                    at.prefix,
                    levels.len()
                ),
            );
        }
        if levels.first().is_some_and(|l| l.points != 0) {
            self.report(
                line,
                format!("{}the first level must be worth 0 points", at.prefix),
            );
        }
        if levels.windows(2).any(|w| w[1].points <= w[0].points) {
            self.report(
                line,
                format!(
                    "{}levels must rise in points, each above the one before",
                    at.prefix
                ),
            );
        }
        Some(levels)
    }

    pub(super) fn pairs(&mut self, qt: &At<'_>) -> Option<Vec<Pair>> {
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
