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
    let course =
        load_course(Path::new(SHIPPED)).unwrap_or_else(|p| panic!("problems:\n{}", describe(&p)));
    assert_eq!(course.programme.id, "tis-s-assessor");
    assert_eq!(course.programme.scopes.len(), 2);
    assert_eq!(course.modules.len(), 7);
    assert_eq!(course.quizzes.len(), 11);
    // The post-test draws from the pre-test's item bank.
    let bank = |slug: &str| course.quizzes.iter().find(|q| q.slug == slug).unwrap();
    assert_eq!(bank("posttest").questions, bank("pretest").questions);
    assert_eq!(bank("posttest").blueprint, bank("pretest").blueprint);
    assert_eq!(course.surveys.len(), 1);
    // The written assessment: every question a written task with a rubric.
    let written = course
        .quizzes
        .iter()
        .find(|q| q.slug == "final-written")
        .expect("final-written");
    assert!(written.questions.len() >= 2);
    assert!(written
        .questions
        .iter()
        .all(|q| matches!(q.body, QuestionBody::Essay { .. })));
    assert_eq!(written.marking.markers, 2);
    for scope in &course.programme.scopes {
        assert_eq!(scope.recert_modules, ["07-recertification-refresher"]);
        assert_eq!(scope.recert_quizzes, ["recert"]);
        assert_eq!(scope.recert_window_months, Some(6));
    }
    assert!(course.is_renewal_only("recert"));
    assert!(!course.is_renewal_only("q01"));
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
        .find(|q| q.id == "basics-fit-count")
        .expect("basics-fit-count");
    assert!(
        matches!(numeric.body, QuestionBody::Numeric { answer, tolerance, .. } if (answer - 3.0).abs() < 1e-9 && tolerance.abs() < 1e-9)
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
        "version = 5\n",
        "version = 5\ncolour = \"blue\"\n",
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
        "\"q05\", \"final-exam\", \"final-written\"]",
        "\"q05\", \"final-exam\", \"q99\"]",
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
    let course = load_course(dir.path()).unwrap_or_else(|p| panic!("problems:\n{}", describe(&p)));
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

#[test]
fn a_written_task_shows_a_modules_image_and_an_unknown_one_is_refused() {
    let dir = shipped_copy();
    let folder = dir.path().join("modules/05-evidence-findings-report");
    fs::write(folder.join("delivery-note.png"), b"png").expect("write image");
    let rel = "quizzes/final-written.toml";
    edit(
        dir.path(),
        rel,
        "### กรณีศึกษา:",
        "![ใบส่งของ](05-evidence-findings-report/delivery-note.png)\n\n### กรณีศึกษา:",
    );
    let course = load_course(dir.path()).unwrap_or_else(|p| panic!("problems:\n{}", describe(&p)));
    let written = course
        .quizzes
        .iter()
        .find(|q| q.slug == "final-written")
        .expect("final-written");
    assert!(written.questions[0]
        .prompt_th
        .contains("05-evidence-findings-report/delivery-note.png"));

    // A file no module holds, and a path outside the modules, are refused at the question.
    edit(
        dir.path(),
        rel,
        "05-evidence-findings-report/delivery-note.png",
        "05-evidence-findings-report/missing.png",
    );
    let line = line_of(dir.path(), rel, "id = \"wt-finding-ceramic-mug-release\"");
    let problems = load_err(dir.path());
    assert!(
        has(
            &problems,
            rel,
            line,
            "image \"05-evidence-findings-report/missing.png\""
        ),
        "{}",
        describe(&problems)
    );
    assert!(
        has(&problems, rel, line, "<module slug>/<file>"),
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

#[test]
fn every_blueprint_pool_is_a_declared_competence_and_every_competence_is_sampled() {
    let course = load_course(Path::new(SHIPPED)).expect("shipped content");
    let ids: Vec<&str> = course
        .programme
        .competences
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids.len(), 6);

    // A pool renamed in the exam no longer samples a competence, and one goes unsampled.
    let dir = shipped_copy();
    let quiz = "quizzes/final-exam.toml";
    let text = fs::read_to_string(dir.path().join(quiz)).expect("read");
    fs::write(
        dir.path().join(quiz),
        text.replace("\"services\"", "\"hospitality\""),
    )
    .expect("write");
    let problems = load_err(dir.path());
    assert!(
        has(
            &problems,
            quiz,
            1,
            "pool \"hospitality\" is not a competence"
        ),
        "{}",
        describe(&problems)
    );
    assert!(
        has(
            &problems,
            "programme.toml",
            1,
            "competence \"services\" is not sampled"
        ),
        "{}",
        describe(&problems)
    );

    // A competence listed twice is reported on its own line.
    let dir = shipped_copy();
    let line = edit(
        dir.path(),
        "programme.toml",
        "id = \"planning\"",
        "id = \"principles\"",
    );
    let problems = load_err(dir.path());
    assert!(
        has(
            &problems,
            "programme.toml",
            line,
            "used by an earlier competence"
        ),
        "{}",
        describe(&problems)
    );
}

#[test]
fn the_completion_rule_is_read_and_its_keys_checked() {
    let course =
        load_course(Path::new(SHIPPED)).unwrap_or_else(|p| panic!("problems:\n{}", describe(&p)));
    let rule = course.programme.completion.expect("a completion rule");
    assert_eq!(rule.min_attendance_percent, 80);
    assert!(rule.posttest && rule.survey);
    assert_eq!(rule.number_prefix, "TISI-T");

    let dir = shipped_copy();
    let line = edit(
        dir.path(),
        "programme.toml",
        "completion_min_attendance_percent = 80",
        "completion_min_attendance_percent = 180",
    );
    let problems = load_err(dir.path());
    assert!(
        has(
            &problems,
            "programme.toml",
            line,
            "completion_min_attendance_percent"
        ),
        "{}",
        describe(&problems)
    );

    let dir = shipped_copy();
    edit(
        dir.path(),
        "programme.toml",
        "completion_number_prefix = \"TISI-T\"",
        "completion_number_prefix = \"tisi t\"",
    );
    let problems = load_err(dir.path());
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("completion_number_prefix")),
        "{}",
        describe(&problems)
    );
}
