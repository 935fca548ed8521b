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
    "competences",
    "pretest",
    "posttest",
    "survey",
    "completion_min_attendance_percent",
    "completion_requires_posttest",
    "completion_requires_survey",
    "completion_number_prefix",
    "excused_absence",
    "target_enrolment_percent",
    "target_completion_percent",
    "target_improved_percent",
    "target_satisfaction_mean",
    "target_credentialed_percent",
    "target_offices_per_year",
];
const COMPETENCE_KEYS: &[&str] = &["id", "title_th", "title_en"];
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
    "recert_modules",
    "recert_quizzes",
    "recert_window_months",
    "requires_observation",
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
    "requires_modules",
    "requires_quizzes",
    "markers",
    "moderation_threshold",
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
const KIND_KEYS: &[&str] = &[
    "options",
    "answer",
    "accepted",
    "tolerance",
    "pairs",
    "word_limit",
    "rubric",
];
const CRITERION_KEYS: &[&str] = &["id", "title_th", "title_en", "levels"];
const LEVEL_KEYS: &[&str] = &["id", "points", "text_th", "text_en"];
const OPTION_KEYS: &[&str] = &["id", "text_th", "text_en", "correct"];
const PAIR_KEYS: &[&str] = &["left_th", "left_en", "right_th", "right_en"];

const GRADINGS: &[(&str, Grading)] = &[
    ("highest", Grading::Highest),
    ("last", Grading::Last),
    ("first", Grading::First),
    ("average", Grading::Average),
];
const EXCUSED: &[(&str, ExcusedAbsence)] = &[
    ("absent", ExcusedAbsence::Absent),
    ("excluded", ExcusedAbsence::Excluded),
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
    ("essay", Kind::Essay),
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
    // A written task's case may show an image beside a module's text, named
    // `<module slug>/<file>` (served at `/media/<module slug>/<file>`).
    let course_images: BTreeSet<String> = modules
        .iter()
        .flat_map(|m| {
            m.images
                .iter()
                .filter(|i| !i.contains('/'))
                .map(move |i| format!("{}/{i}", m.slug))
        })
        .collect();
    let (quizzes, quiz_slugs) = load_quizzes(&root, &module_set, &course_images, &mut problems);
    for q in &quizzes {
        for r in &q.requires.quizzes {
            if r == &q.slug || !quiz_slugs.contains(r) {
                problems.push(problem(
                    &format!("quizzes/{}.toml", q.slug),
                    1,
                    format!("requires_quizzes: \"{r}\" is not another quiz in quizzes/"),
                ));
            }
        }
    }
    let known = Known {
        modules: &module_set,
        quizzes: &quiz_slugs,
    };
    let programme = load_programme(&root, known, &mut problems);
    let surveys = load_surveys(&root, &mut problems);
    if let Some(p) = &programme {
        check_competences(p, &quizzes, &mut problems);
        for (key, slug) in [("pretest", &p.pretest), ("posttest", &p.posttest)] {
            if let Some(slug) = slug.as_deref().filter(|s| !quiz_slugs.contains(*s)) {
                problems.push(problem(
                    "programme.toml",
                    1,
                    format!("{key}: \"{slug}\" is not a quiz in quizzes/"),
                ));
            }
        }
        if let Some(slug) = p
            .survey
            .as_deref()
            .filter(|s| !surveys.iter().any(|v| v.slug == *s))
        {
            problems.push(problem(
                "programme.toml",
                1,
                format!("survey: \"{slug}\" is not a survey in surveys/"),
            ));
        }
    }
    match programme {
        Some(programme) if problems.is_empty() => Ok(Course {
            programme,
            modules,
            quizzes,
            surveys,
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

mod locate;
mod markdown;
mod validate;
use locate::*;
use markdown::*;
use validate::*;

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
    images: &BTreeSet<String>,
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
        let text = match with_bank(root, &dir, &rel, &text, problems) {
            Some(t) => t,
            None => continue,
        };
        match quiz_from_text(slug, &rel, &text, Some(modules)) {
            Ok(quiz) => {
                check_case_images(&rel, &text, &quiz, images, problems);
                quizzes.insert(quiz.slug.clone(), quiz);
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    (quizzes.into_values().collect(), slugs)
}

/// The images and links of a written task's case (Markdown): an image is a module's image
/// named `<module slug>/<file>`, as the page serves it from `/media/`. Problems are reported
/// at the question's `id` line.
fn check_case_images(
    rel: &str,
    text: &str,
    quiz: &Quiz,
    images: &BTreeSet<String>,
    problems: &mut Vec<Problem>,
) {
    for q in &quiz.questions {
        if !matches!(q.body, QuestionBody::Essay { .. }) {
            continue;
        }
        let line = text
            .lines()
            .position(|l| {
                let l = l.trim();
                l.starts_with("id") && l.contains(&format!("\"{}\"", q.id))
            })
            .map_or(1, |i| i + 1);
        for prompt in [&q.prompt_th, &q.prompt_en] {
            let mut found = Vec::new();
            markdown::check_body(rel, prompt, line, images, &mut found);
            for mut p in found {
                // One line for the question: the prompt's own line numbers are not the file's.
                p.line = line;
                p.message = p.message.replace(
                    "in the module folder",
                    "of a module, named <module slug>/<file>",
                );
                problems.push(p);
            }
        }
    }
}

/// A quiz file with `questions_from = "<slug>"` takes its `[[blueprint]]` and `[[questions]]`
/// from that quiz's file (a post-test drawing from the pre-test's item bank, so the two
/// compare). The text to validate: unchanged without the key, else the file with the bank's
/// questions; `None` (with a problem) when the bank cannot be read.
fn with_bank(
    root: &Path,
    dir: &Path,
    rel: &str,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    if !text.contains("questions_from") {
        return Some(text.to_string());
    }
    let Ok(mut table) = text.parse::<Table>() else {
        // The validator reports the syntax error with its line.
        return Some(text.to_string());
    };
    let Some(Value::String(bank)) = table.remove("questions_from") else {
        return Some(text.to_string());
    };
    let bank_rel = format!("quizzes/{bank}.toml");
    let bank_text = read_text(
        root,
        &dir.join(format!("{bank}.toml")),
        &bank_rel,
        MAX_QUIZ_FILE,
        problems,
    )?;
    let Ok(bank_table) = bank_text.parse::<Table>() else {
        problems.push(problem(
            rel,
            1,
            format!("questions_from: {bank_rel} is not valid TOML"),
        ));
        return None;
    };
    if bank_table.contains_key("questions_from") || table.contains_key("questions") {
        problems.push(problem(
            rel,
            1,
            "questions_from: the quiz takes its questions from a bank that has its own, never both",
        ));
        return None;
    }
    for key in ["blueprint", "questions"] {
        if let Some(v) = bank_table.get(key) {
            table.insert(key.to_string(), v.clone());
        }
    }
    toml::to_string(&table).ok()
}

/// The surveys of the training project: `surveys/<slug>.toml` (optional folder).
fn load_surveys(root: &Path, problems: &mut Vec<Problem>) -> Vec<Survey> {
    let dir = root.join("surveys");
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (name, path) in list_dir(&dir, "surveys", problems) {
        let rel = format!("surveys/{name}");
        let Some(slug) = name.strip_suffix(".toml") else {
            problems.push(problem(
                &rel,
                1,
                "only survey files named <slug>.toml belong in surveys/",
            ));
            continue;
        };
        let Some(text) = read_text(root, &path, &rel, MAX_QUIZ_FILE, problems) else {
            continue;
        };
        match toml::from_str::<Survey>(&text) {
            Ok(mut survey) => {
                survey.slug = slug.to_string();
                let mut ids = BTreeSet::new();
                for (section, item) in survey.items() {
                    for id in [&section.id, &item.id] {
                        if !is_identifier(id) {
                            problems.push(problem(
                                &rel,
                                1,
                                format!("\"{id}\" is not an identifier ([a-z0-9-])"),
                            ));
                        }
                    }
                    if !ids.insert(item.id.clone()) {
                        problems.push(problem(
                            &rel,
                            1,
                            format!("item id \"{}\" is used twice", item.id),
                        ));
                    }
                }
                if survey.sections.iter().any(|s| s.items.is_empty()) {
                    problems.push(problem(&rel, 1, "every section needs at least one item"));
                }
                out.push(survey);
            }
            Err(e) => {
                let line = e
                    .span()
                    .map(|r| text[..r.start.min(text.len())].lines().count().max(1))
                    .unwrap_or(1);
                problems.push(problem(&rel, line, e.message().to_string()));
            }
        }
    }
    out.sort_by(|a, b| a.slug.cmp(&b.slug));
    out
}

/// Every blueprint pool of a quiz the scheme names samples a declared competence, and every
/// competence is sampled (only when the programme declares competences).
fn check_competences(p: &Programme, quizzes: &[Quiz], problems: &mut Vec<Problem>) {
    if p.competences.is_empty() {
        return;
    }
    let ids: BTreeSet<&str> = p.competences.iter().map(|c| c.id.as_str()).collect();
    let named = p.scheme_quizzes();
    let mut sampled = BTreeSet::new();
    for q in quizzes.iter().filter(|q| named.contains(&q.slug.as_str())) {
        for b in &q.blueprint {
            sampled.insert(b.pool.as_str());
            if !ids.contains(b.pool.as_str()) {
                problems.push(problem(
                    &format!("quizzes/{}.toml", q.slug),
                    1,
                    format!(
                        "blueprint pool \"{}\" is not a competence in programme.toml",
                        b.pool
                    ),
                ));
            }
        }
    }
    for c in p
        .competences
        .iter()
        .filter(|c| !sampled.contains(c.id.as_str()))
    {
        problems.push(problem(
            "programme.toml",
            1,
            format!(
                "competence \"{}\" is not sampled by the blueprint of any quiz of the scheme",
                c.id
            ),
        ));
    }
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
mod tests;
