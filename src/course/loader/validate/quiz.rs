//! Validating quiz files: the quiz table, its requirements and its `[[blueprint]]`.

use super::*;

impl Checker<'_> {
    // ----- quiz files ------------------------------------------------------------------------

    pub(in crate::course::loader) fn quiz(
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
    pub(in crate::course::loader) fn requires(
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
    pub(in crate::course::loader) fn quiz_module(
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

    pub(in crate::course::loader) fn blueprint(&mut self, at: &At<'_>) -> Blueprint {
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
    pub(in crate::course::loader) fn check_pool_sizes(
        &mut self,
        at: &At<'_>,
        blueprint: &Blueprint,
    ) {
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

    pub(in crate::course::loader) fn questions(
        &mut self,
        at: &At<'_>,
        blueprint: &Blueprint,
    ) -> Vec<Question> {
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

    pub(in crate::course::loader) fn question(
        &mut self,
        qt: &At<'_>,
        blueprint: &Blueprint,
    ) -> Option<Question> {
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

    pub(in crate::course::loader) fn check_question_keys(
        &mut self,
        qt: &At<'_>,
        kind: Option<Kind>,
    ) {
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
    pub(in crate::course::loader) fn question_pool(
        &mut self,
        qt: &At<'_>,
        blueprint: &Blueprint,
    ) -> Option<String> {
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
}
