//! Validating `programme.toml`: targets, completion, competences and scopes; module front matter.

use super::*;

impl Checker<'_> {
    // ----- programme.toml --------------------------------------------------------------------

    pub(in crate::course::loader) fn programme(
        &mut self,
        table: &Table,
        known: Known<'_>,
    ) -> Programme {
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
    pub(in crate::course::loader) fn targets(&mut self, at: &At<'_>) -> Targets {
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
    pub(in crate::course::loader) fn completion(&mut self, at: &At<'_>) -> Option<CompletionRule> {
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
    pub(in crate::course::loader) fn competences(&mut self, at: &At<'_>) -> Vec<Competence> {
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

    pub(in crate::course::loader) fn scopes(
        &mut self,
        at: &At<'_>,
        known: Known<'_>,
    ) -> Vec<Scope> {
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

    pub(in crate::course::loader) fn scope(&mut self, st: &At<'_>, known: Known<'_>) -> Scope {
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

    pub(in crate::course::loader) fn check_known(
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

    pub(in crate::course::loader) fn front_matter(
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

    pub(in crate::course::loader) fn check_prerequisites(
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
}
