//! Validating one question: its kind-specific keys, options, pairs and essay rubric.

use super::*;

impl Checker<'_> {
    pub(in crate::course::loader) fn question_body(
        &mut self,
        qt: &At<'_>,
        kind: Kind,
    ) -> Option<QuestionBody> {
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

    pub(in crate::course::loader) fn numeric(&mut self, qt: &At<'_>) -> Option<QuestionBody> {
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

    pub(in crate::course::loader) fn accepted(&mut self, qt: &At<'_>) -> Option<Vec<String>> {
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

    pub(in crate::course::loader) fn options(
        &mut self,
        qt: &At<'_>,
        kind: Kind,
    ) -> Option<Vec<Choice>> {
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
    pub(in crate::course::loader) fn choice(
        &mut self,
        item: &Value,
        line: usize,
        prefix: String,
    ) -> Option<Choice> {
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
    pub(in crate::course::loader) fn essay(&mut self, qt: &At<'_>) -> Option<QuestionBody> {
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

    pub(in crate::course::loader) fn pairs(&mut self, qt: &At<'_>) -> Option<Vec<Pair>> {
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
