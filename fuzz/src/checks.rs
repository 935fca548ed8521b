//! The properties the fuzz targets assert, one entry point per target.
//!
//! Every entry point takes one raw fuzz input and panics when a property does not hold, so a
//! panic is a finding. The same file is compiled into the API tests (`#[path]` from
//! `tests/api/fuzz_regressions.rs`) to replay saved crash inputs, so it may only use `academy`
//! and crates that the main package depends on too.

use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use academy::accounts::model::{EmailAddress, Language, PersonName, Role};
use academy::course::loader;
use academy::course::model::{Course, Problem};
use academy::course::render::{render_markdown, MAX_MARKDOWN_BYTES};
use academy::credentials::keys::Jwks;
use academy::credentials::{Issuer, VerifyResult};
use academy::db::{DatabaseUrl, Db};
use academy::email::mailer::{build_message, header_safe, Rendered};
use academy::email::store::OutboxRow;
use academy::quizzes::engine::{self, LaidQuestion};
use academy::quizzes::gift;
use academy::quizzes::model::{Choice, Grading, Question, QuestionBody, Quiz, ReviewPolicy};

/// Every fuzz target, by the name of its binary in `fuzz/Cargo.toml`.
pub const TARGETS: &[&str] = &[
    "markdown",
    "module_file",
    "quiz_file",
    "gift_import",
    "answer_payload",
    "credential_verify",
    "email_headers",
];

/// Runs the check of `target` on one input; false when there is no such target.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "markdown" => markdown(data),
        "module_file" => module_file(data),
        "quiz_file" => quiz_file(data),
        "gift_import" => gift_import(data),
        "answer_payload" => answer_payload(data),
        "credential_verify" => credential_verify(data),
        "email_headers" => email_headers(data),
        _ => return false,
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// Where module images are served from in the checks (any module slug would do).
const MEDIA_PREFIX: &str = "/media/01-fuzz/";

/// `[a-z0-9-]{1,64}`, the identifier rule of the content format.
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The shipped `course_content/`, found beside the package being built (the fuzz crate or
/// the main package).
fn content_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    [here.join("course_content"), here.join("../course_content")]
        .into_iter()
        .find(|dir| dir.join("programme.toml").is_file())
        .unwrap_or_else(|| panic!("no course_content/ beside {}", here.display()))
}

/// The shipped course, loaded once.
fn course() -> &'static Course {
    static COURSE: OnceLock<Course> = OnceLock::new();
    COURSE.get_or_init(|| {
        loader::load_course(&content_dir())
            .unwrap_or_else(|problems| panic!("the shipped course does not load: {problems:?}"))
    })
}

/// A new, empty folder under the system's temporary folder (`TMPDIR`); `fuzz/run.sh` points
/// `TMPDIR` into `fuzz/target/` and removes it after each run.
fn fresh_temp_dir(what: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "academy-fuzz-{what}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A few characters either side of byte `at`, for messages.
fn around(text: &str, at: usize) -> &str {
    let mut start = at.saturating_sub(80).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = at.saturating_add(80).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    &text[start..end]
}

/// A refusal must come with problems that name the file and point at a line inside it.
fn assert_problems(file: &str, text: &str, problems: &[Problem]) {
    assert!(!problems.is_empty(), "{file} was refused without a problem");
    let lines = text.split('\n').count();
    for p in problems {
        assert_eq!(p.file, file, "a problem names another file: {p}");
        assert!(
            (1..=lines).contains(&p.line),
            "a problem points outside the file ({lines} lines): {p}"
        );
        assert!(!p.message.trim().is_empty(), "a problem without a message");
    }
}

/// Two floats that a JSON round trip may leave one or two units in the last place apart.
fn close(x: f64, y: f64) -> bool {
    x.is_sign_negative() == y.is_sign_negative() && x.to_bits().abs_diff(y.to_bits()) <= 2
}

/// A score of nothing (grades are sums of whole points and fractions of them).
fn is_zero(x: f64) -> bool {
    x.abs() < 1e-12
}

// ---------------------------------------------------------------------------------------------
// Sanitised HTML
// ---------------------------------------------------------------------------------------------

/// Tags that must never come out of the sanitiser.
const FORBIDDEN_TAGS: &[&str] = &[
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "link",
    "meta",
    "base",
    "form",
    "button",
    "textarea",
    "select",
    "option",
    "template",
    "noscript",
    "xmp",
    "plaintext",
    "noembed",
    "noframes",
    "portal",
    "title",
    "html",
    "head",
    "body",
    "video",
    "audio",
    "source",
    "track",
    "canvas",
    "dialog",
    "slot",
    "image",
    "isindex",
];

/// Attributes that must never come out of the sanitiser (besides every `on…` handler).
const FORBIDDEN_ATTRIBUTES: &[&str] = &["srcdoc", "formaction", "action", "xmlns", "xlink:href"];

/// Attributes whose value a browser follows as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "cite",
    "poster",
    "background",
    "longdesc",
    "usemap",
    "srcset",
    "data",
    "codebase",
    "ping",
    "manifest",
    "icon",
    "lowsrc",
    "dynsrc",
];

/// The URL schemes a link or an image may use.
const ALLOWED_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// One tag of sanitised HTML, lower-cased.
struct Tag {
    name: String,
    closing: bool,
    attributes: Vec<(String, String)>,
}

/// Asserts that sanitised HTML holds no script: no forbidden tag, no event handler, no URL
/// with a scheme other than http, https or mailto (as a browser reads it, after entities and
/// stray white space), and style only as `text-align` on table cells. Relies on the
/// serialiser's form: every `<` in text is escaped and every attribute value is double-quoted.
pub fn assert_safe_html(html: &str) {
    let lower = html.to_ascii_lowercase();
    let mut pos = 0;
    while let Some(offset) = lower[pos..].find('<') {
        let start = pos + offset;
        let text = &lower[pos..start];
        assert!(
            !text.contains('>'),
            "a stray `>` in text before byte {start}: {}",
            around(html, start)
        );
        let (tag, end) = read_tag(&lower, start);
        check_tag(&tag, html, start);
        pos = end;
    }
    assert!(
        !lower[pos..].contains('>'),
        "a stray `>` in text after byte {pos}: {}",
        around(html, pos)
    );
}

/// Reads the tag that starts at byte `start` (a `<`); returns it and the byte after its `>`.
fn read_tag(html: &str, start: usize) -> (Tag, usize) {
    let bytes = html.as_bytes();
    let stop = |b: u8| b.is_ascii_whitespace() || b == b'>' || b == b'/';
    let mut i = start + 1;
    let closing = bytes.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < bytes.len() && !stop(bytes[i]) {
        i += 1;
    }
    let name = &html[name_start..i];
    assert!(
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric()),
        "a `<` that does not start a tag at byte {start}: {}",
        around(html, start)
    );
    let mut tag = Tag {
        name: name.to_string(),
        closing,
        attributes: Vec::new(),
    };
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => panic!(
                "a tag that never ends at byte {start}: {}",
                around(html, start)
            ),
            Some(b'>') => return (tag, i + 1),
            Some(b'/') if bytes.get(i + 1) == Some(&b'>') => return (tag, i + 2),
            Some(_) => {}
        }
        let attr_start = i;
        while i < bytes.len() && !stop(bytes[i]) && bytes[i] != b'=' {
            i += 1;
        }
        let attr = html[attr_start..i].to_string();
        assert!(
            !attr.is_empty(),
            "a malformed attribute at byte {i}: {}",
            around(html, i)
        );
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            assert_eq!(
                bytes.get(i),
                Some(&b'"'),
                "an unquoted attribute value at byte {i}: {}",
                around(html, i)
            );
            let value_start = i + 1;
            let Some(len) = html[value_start..].find('"') else {
                panic!(
                    "an attribute value that never ends at byte {i}: {}",
                    around(html, i)
                );
            };
            value = html[value_start..value_start + len].to_string();
            i = value_start + len + 1;
        }
        tag.attributes.push((attr, value));
    }
}

fn check_tag(tag: &Tag, html: &str, at: usize) {
    let name = tag.name.as_str();
    assert!(
        !FORBIDDEN_TAGS.contains(&name),
        "<{name}> survived the sanitiser: {}",
        around(html, at)
    );
    assert!(
        !tag.closing || tag.attributes.is_empty(),
        "a closing tag with attributes: {}",
        around(html, at)
    );
    for (attr, raw) in &tag.attributes {
        assert!(
            !attr.starts_with("on"),
            "the event handler {attr} survived the sanitiser: {}",
            around(html, at)
        );
        assert!(
            !FORBIDDEN_ATTRIBUTES.contains(&attr.as_str()),
            "the attribute {attr} survived the sanitiser: {}",
            around(html, at)
        );
        let value = decode_attribute(raw);
        if URL_ATTRIBUTES.contains(&attr.as_str()) {
            check_url(&value, html, at);
        }
        if attr == "style" {
            assert!(
                name == "td" || name == "th",
                "style on <{name}>: {}",
                around(html, at)
            );
            for declaration in value.split(';').map(str::trim).filter(|d| !d.is_empty()) {
                let property = declaration.split(':').next().unwrap_or_default().trim();
                assert_eq!(
                    property,
                    "text-align",
                    "a style property other than text-align: {}",
                    around(html, at)
                );
            }
        }
    }
}

/// Decodes the character references the HTML serialiser writes in attribute values.
fn decode_attribute(raw: &str) -> String {
    const ENTITIES: [(&str, &str); 5] = [
        ("&amp;", "&"),
        ("&quot;", "\""),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&nbsp;", "\u{a0}"),
    ];
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match ENTITIES.iter().find(|(entity, _)| rest.starts_with(entity)) {
            Some((entity, text)) => {
                out.push_str(text);
                rest = &rest[entity.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A URL attribute value (already lower-cased and decoded) must not carry a script scheme.
fn check_url(value: &str, html: &str, at: usize) {
    // What a browser does before it reads the scheme: tabs and line breaks vanish anywhere,
    // C0 controls and spaces at both ends.
    let cleaned: String = value
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let cleaned = cleaned.trim_matches(|c: char| c <= ' ');
    let Some((scheme, _)) = cleaned.split_once(':') else {
        return;
    };
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    assert!(
        !is_scheme || ALLOWED_SCHEMES.contains(&scheme),
        "a {scheme}: URL survived the sanitiser: {}",
        around(html, at)
    );
}

// ---------------------------------------------------------------------------------------------
// markdown
// ---------------------------------------------------------------------------------------------

/// Markdown render + sanitise: never fails below the size limit, and no script survives.
pub fn markdown(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match render_markdown(&text, MEDIA_PREFIX) {
        Ok(html) => assert_safe_html(&html),
        Err(message) => assert!(
            text.len() > MAX_MARKDOWN_BYTES,
            "{} bytes of Markdown were refused: {message}",
            text.len()
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// module_file
// ---------------------------------------------------------------------------------------------

/// The module file the input becomes, as `load_course` names it.
const MODULE_FILE: &str = "modules/01-fuzz/en.md";

/// A content folder with one module whose `en.md` each input replaces.
fn module_folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let dir = fresh_temp_dir("content");
        let files = [
            ("programme.toml", PROGRAMME_FIXTURE),
            ("quizzes/q-fuzz.toml", QUIZ_FIXTURE),
            ("modules/01-fuzz/th.md", MODULE_TH_FIXTURE),
            ("modules/01-fuzz/fig.png", "not really a PNG"),
            (MODULE_FILE, MODULE_EN_FIXTURE),
        ];
        for (name, text) in files {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
            }
            std::fs::write(&path, text)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        }
        if let Err(problems) = loader::load_course(&dir) {
            panic!("the fuzz content folder itself does not load: {problems:?}");
        }
        dir
    })
}

const PROGRAMME_FIXTURE: &str = r#"id = "fuzz-programme"
version = 1
title_th = "หลักสูตรทดสอบ"
title_en = "Fuzz programme"
description_th = "สำหรับการทดสอบ"
description_en = "For fuzzing"

[[scopes]]
id = "fuzz"
title_th = "ทดสอบ"
title_en = "Fuzz"
description_th = "ทดสอบ"
description_en = "Fuzz"
validity_months = 12
required_modules = ["01-fuzz"]
required_quizzes = ["q-fuzz"]
min_attendance_percent = 80
"#;

const QUIZ_FIXTURE: &str = r#"title_th = "แบบทดสอบ"
title_en = "Quiz"
module = "01-fuzz"
time_limit_s = 0
attempts_allowed = 1
pass_percent = 50
grading = "highest"
shuffle_questions = false
shuffle_options = false
review = "never"

[[questions]]
id = "q1"
kind = "true_false"
points = 1
prompt_th = "จริงหรือไม่"
prompt_en = "True?"
feedback_th = "จริง"
feedback_en = "True"
answer = true
"#;

const MODULE_TH_FIXTURE: &str = "+++\ntitle = \"บทเรียนทดสอบ\"\nminutes = 10\nprerequisites = []\n+++\n\n# บทเรียน\n\n![ภาพ](fig.png)\n";

const MODULE_EN_FIXTURE: &str = "+++\ntitle = \"Fuzz module\"\nminutes = 10\nprerequisites = []\n+++\n\n# Module\n\n![Figure](fig.png) [TISI](https://www.tisi.go.th/)\n";

/// Module front matter and body: what parses obeys the rules and renders without script,
/// problems point inside the file, and a whole content folder with this file agrees.
pub fn module_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = loader::parse_module_file(MODULE_FILE, &text);
    match &parsed {
        Ok((front, body)) => {
            assert!(
                !front.title.trim().is_empty(),
                "a module with an empty title loaded"
            );
            assert!(
                (1..=600).contains(&front.minutes),
                "minutes = {} loaded",
                front.minutes
            );
            let mut seen = HashSet::new();
            for slug in &front.prerequisites {
                assert!(is_identifier(slug), "prerequisite {slug:?} loaded");
                assert!(seen.insert(slug), "prerequisite {slug:?} loaded twice");
            }
            assert!(
                text.starts_with("+++"),
                "a module without front matter loaded"
            );
            assert!(
                text.ends_with(body.as_str()),
                "the body is not the file's end"
            );
            let html = render_markdown(body, MEDIA_PREFIX)
                .unwrap_or_else(|e| panic!("the body of a module that loads does not render: {e}"));
            assert_safe_html(&html);
        }
        Err(problems) => assert_problems(MODULE_FILE, &text, problems),
    }
    if !text.starts_with("+++") {
        return;
    }
    // The same file inside a content folder: link and image checks, both languages agree.
    let dir = module_folder();
    let path = dir.join(MODULE_FILE);
    std::fs::write(&path, text.as_bytes())
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    match (loader::load_course(dir), parsed) {
        (Ok(course), Ok((front, body))) => {
            let module = &course.modules[0];
            assert_eq!(module.en.title, front.title);
            assert_eq!(module.en.markdown, body);
            let html = render_markdown(&module.en.markdown, MEDIA_PREFIX)
                .unwrap_or_else(|e| panic!("a module that loads does not render: {e}"));
            assert_safe_html(&html);
        }
        (Ok(_), Err(problems)) => {
            panic!(
                "load_course accepted a module file that parse_module_file refuses: {problems:?}"
            )
        }
        (Err(problems), _) => assert_problems(MODULE_FILE, &text, &problems),
    }
}

// ---------------------------------------------------------------------------------------------
// quiz_file
// ---------------------------------------------------------------------------------------------

/// Quiz files: what loads obeys every rule of the format, can be served and answered for full
/// marks, survives being stored as JSON, and exports to GIFT that imports again.
pub fn quiz_file(data: &[u8]) {
    const SLUG: &str = "fuzz-quiz";
    const FILE: &str = "quizzes/fuzz-quiz.toml";
    let text = String::from_utf8_lossy(data);
    match loader::parse_quiz(SLUG, FILE, &text) {
        Ok(quiz) => {
            assert_eq!(quiz.slug, SLUG);
            assert_quiz_rules(&quiz);
            assert_servable(&quiz);
            assert_stored_definition_round_trips(&quiz);
            assert_gift_export_imports(&quiz.questions);
        }
        Err(problems) => assert_problems(FILE, &text, &problems),
    }
}

/// The rules of `course_content/README.md` for a quiz file that loaded.
fn assert_quiz_rules(quiz: &Quiz) {
    assert!(
        !quiz.title_th.trim().is_empty() && !quiz.title_en.trim().is_empty(),
        "a quiz with an empty title loaded"
    );
    assert!(quiz.attempts_allowed >= 1, "attempts_allowed = 0 loaded");
    assert!(quiz.pass_percent <= 100, "pass_percent > 100 loaded");
    if let Some(module) = &quiz.module {
        assert!(is_identifier(module), "module {module:?} loaded");
    }
    assert!(
        !quiz.questions.is_empty(),
        "a quiz without questions loaded"
    );
    let pools: HashSet<&str> = quiz.blueprint.iter().map(|p| p.pool.as_str()).collect();
    assert_eq!(pools.len(), quiz.blueprint.len(), "a pool listed twice");
    for pool in &quiz.blueprint {
        assert!(is_identifier(&pool.pool), "pool {:?} loaded", pool.pool);
        let members = quiz
            .questions
            .iter()
            .filter(|q| q.pool.as_deref() == Some(pool.pool.as_str()))
            .count();
        assert!(
            pool.draw >= 1 && u64::from(pool.draw) <= members as u64,
            "pool {} draws {} of {members} questions",
            pool.pool,
            pool.draw
        );
    }
    let mut ids = HashSet::new();
    for q in &quiz.questions {
        assert!(is_identifier(&q.id), "question id {:?} loaded", q.id);
        assert!(
            ids.insert(q.id.as_str()),
            "question id {} loaded twice",
            q.id
        );
        assert!(q.points >= 1, "question {}: points = 0 loaded", q.id);
        for text in [&q.prompt_th, &q.prompt_en, &q.feedback_th, &q.feedback_en] {
            assert!(!text.trim().is_empty(), "question {}: an empty text", q.id);
        }
        match &q.pool {
            Some(pool) => assert!(
                pools.contains(pool.as_str()),
                "question {}: pool {pool}",
                q.id
            ),
            None => assert!(quiz.blueprint.is_empty(), "question {}: no pool", q.id),
        }
        match &q.body {
            QuestionBody::Single { options } => assert_options(q, options, 3..=5, true),
            QuestionBody::Multiple { options } => assert_options(q, options, 3..=6, false),
            QuestionBody::TrueFalse { .. } => {}
            QuestionBody::ShortText { accepted, .. } => {
                assert!(!accepted.is_empty(), "question {}: nothing accepted", q.id);
                for a in accepted {
                    assert!(!a.trim().is_empty(), "question {}: an empty answer", q.id);
                }
            }
            QuestionBody::Numeric {
                answer, tolerance, ..
            } => assert!(
                answer.is_finite() && tolerance.is_finite() && *tolerance >= 0.0,
                "question {}: answer {answer}, tolerance {tolerance}",
                q.id
            ),
            QuestionBody::Description => {}
            QuestionBody::Essay { rubric, word_limit } => {
                assert!(*word_limit > 0, "question {}: word limit", q.id);
                assert!(!rubric.is_empty(), "question {}: no rubric", q.id);
                let top: u32 = rubric.iter().map(|c| c.max_points()).sum();
                assert_eq!(top, q.points, "question {}: rubric points", q.id);
            }
            QuestionBody::Matching { pairs, .. } => {
                assert!((3..=5).contains(&pairs.len()), "question {}: pairs", q.id);
                for p in pairs {
                    for text in [&p.left_th, &p.left_en, &p.right_th, &p.right_en] {
                        assert!(!text.trim().is_empty(), "question {}: an empty side", q.id);
                    }
                }
            }
        }
    }
}

fn assert_options(q: &Question, options: &[Choice], count: RangeInclusive<usize>, single: bool) {
    assert!(
        count.contains(&options.len()),
        "question {}: {} options",
        q.id,
        options.len()
    );
    let correct = options.iter().filter(|o| o.correct).count();
    assert!(
        if single { correct == 1 } else { correct >= 1 },
        "question {}: {correct} correct options",
        q.id
    );
    let mut ids = HashSet::new();
    for o in options {
        assert!(
            is_identifier(&o.id),
            "question {}: option id {:?}",
            q.id,
            o.id
        );
        assert!(
            ids.insert(o.id.as_str()),
            "question {}: option {} twice",
            q.id,
            o.id
        );
        assert!(
            !o.text_th.trim().is_empty() && !o.text_en.trim().is_empty(),
            "question {}: option {} without text",
            q.id,
            o.id
        );
    }
}

/// An attempt can be drawn (blueprint and all), and every question can earn full marks.
fn assert_servable(quiz: &Quiz) {
    engine::check_blueprint(quiz)
        .unwrap_or_else(|e| panic!("a quiz that loads fails its blueprint check: {e}"));
    let layout =
        engine::draw(quiz).unwrap_or_else(|e| panic!("a quiz that loads cannot be drawn: {e}"));
    let expected = if quiz.blueprint.is_empty() {
        quiz.questions.len()
    } else {
        quiz.blueprint.iter().map(|p| p.draw as usize).sum()
    };
    assert_eq!(layout.questions.len(), expected, "questions per attempt");
    let drawn: HashSet<&str> = layout.questions.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        drawn.len(),
        expected,
        "a question drawn twice in one attempt"
    );
    for (q, laid) in laid_out(quiz) {
        assert_full_marks(&q, &laid);
    }
}

/// One question with the layout an attempt shows it in.
type Case = (Question, LaidQuestion);

/// Every question of a quiz laid out in file order (options too; right items by index), so
/// that the layout does not depend on the random shuffle.
fn laid_out(quiz: &Quiz) -> Vec<Case> {
    let mut all = quiz.clone();
    all.blueprint.clear();
    all.shuffle_questions = false;
    all.shuffle_options = false;
    let layout = engine::draw(&all)
        .unwrap_or_else(|e| panic!("a quiz without a blueprint cannot be drawn: {e}"));
    all.questions
        .into_iter()
        .zip(layout.questions)
        .map(|(q, mut laid)| {
            assert_eq!(q.id, laid.id, "the layout is not in file order");
            laid.rights.sort_by_key(|&(_, index)| index);
            (q, laid)
        })
        .collect()
}

/// The answer the key describes, in the form a trainee sends it.
fn full_marks_answer(q: &Question, laid: &LaidQuestion) -> Value {
    match engine::key(q, laid) {
        Value::Object(m) if matches!(q.body, QuestionBody::Numeric { .. }) => {
            m.get("answer").cloned().unwrap_or(Value::Null)
        }
        Value::Array(a) if matches!(q.body, QuestionBody::ShortText { .. }) => {
            a.first().cloned().unwrap_or(Value::Null)
        }
        other => other,
    }
}

fn assert_full_marks(q: &Question, laid: &LaidQuestion) {
    let answer = full_marks_answer(q, laid);
    if let Err(e) = engine::validate_answer(q, laid, &answer) {
        panic!(
            "question {}: the correct answer {answer} cannot be sent: {e}",
            q.id
        );
    }
    let points = f64::from(q.points);
    let got = engine::grade(q, laid, Some(&answer));
    assert!(
        (got - points).abs() < 1e-9,
        "question {}: the correct answer {answer} earns {got} of {points}",
        q.id
    );
}

/// Quizzes are stored as JSON revisions and read back for every attempt.
fn assert_stored_definition_round_trips(quiz: &Quiz) {
    let stored = serde_json::to_string(quiz).expect("a quiz always serialises");
    let loaded: Quiz = serde_json::from_str(&stored)
        .unwrap_or_else(|e| panic!("a stored quiz does not load back: {e}\n{stored}"));
    let mut expected = quiz.clone();
    for (a, b) in expected.questions.iter_mut().zip(&loaded.questions) {
        if let (
            QuestionBody::Numeric {
                answer, tolerance, ..
            },
            QuestionBody::Numeric {
                answer: answer_back,
                tolerance: tolerance_back,
                ..
            },
        ) = (&mut a.body, &b.body)
        {
            if close(*answer, *answer_back) && close(*tolerance, *tolerance_back) {
                *answer = *answer_back;
                *tolerance = *tolerance_back;
            }
        }
    }
    assert_eq!(loaded, expected, "a stored quiz loads back different");
}

/// `export_gift` of a quiz that loaded must import again with the same questions, kinds and
/// keys (texts may lose surrounding white space, option ids become a, b, c, …).
fn assert_gift_export_imports(questions: &[Question]) {
    let text = gift::export(questions);
    let back = gift::import(&text)
        .unwrap_or_else(|e| panic!("the GIFT export of a quiz does not import: {e:?}\n{text}"));
    assert_eq!(
        back.len(),
        questions.len(),
        "questions lost in GIFT:\n{text}"
    );
    for (a, b) in questions.iter().zip(&back) {
        assert_eq!(a.id, b.id, "GIFT changed an id:\n{text}");
        let same_key = match (&a.body, &b.body) {
            (QuestionBody::Single { options: x }, QuestionBody::Single { options: y })
            | (QuestionBody::Multiple { options: x }, QuestionBody::Multiple { options: y }) => {
                x.iter().map(|o| o.correct).eq(y.iter().map(|o| o.correct))
            }
            (QuestionBody::TrueFalse { answer: x }, QuestionBody::TrueFalse { answer: y }) => {
                x == y
            }
            (
                QuestionBody::ShortText {
                    accepted: x,
                    partial: p,
                },
                QuestionBody::ShortText {
                    accepted: y,
                    partial: q,
                },
            ) => x.len() == y.len() && p.len() == q.len(),
            (
                QuestionBody::Numeric {
                    answer: x,
                    tolerance: s,
                    ..
                },
                QuestionBody::Numeric {
                    answer: y,
                    tolerance: t,
                    ..
                },
            ) => x.to_bits() == y.to_bits() && s.to_bits() == t.to_bits(),
            (
                QuestionBody::Matching {
                    pairs: x,
                    distractors: d,
                },
                QuestionBody::Matching {
                    pairs: y,
                    distractors: e,
                },
            ) => x.len() == y.len() && d.len() == e.len(),
            (QuestionBody::Description, QuestionBody::Description) => true,
            _ => false,
        };
        assert!(same_key, "GIFT changed question {}:\n{text}", a.id);
    }
}

// ---------------------------------------------------------------------------------------------
// gift_import
// ---------------------------------------------------------------------------------------------

/// GIFT import: errors point inside the file; what imports obeys the documented rules, exports
/// and imports again unchanged, and can be served and answered for full marks.
pub fn gift_import(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let questions = match gift::import(&text) {
        Ok(questions) => questions,
        Err(errors) => {
            assert!(!errors.is_empty(), "GIFT refused without an error");
            let lines = text.split('\n').count();
            for e in &errors {
                assert!((1..=lines).contains(&e.line), "error outside the file: {e}");
            }
            assert!(
                errors.windows(2).all(|w| w[0].line <= w[1].line),
                "errors not sorted by line"
            );
            return;
        }
    };
    assert_gift_rules(&questions);
    let (exported, warnings) = gift::export_with_report(&questions);
    let again = gift::import(&exported).unwrap_or_else(|e| {
        panic!("imported questions export to GIFT that does not import: {e:?}\n{exported}")
    });
    if warnings.is_empty() {
        // GIFT export drops carriage returns (as Moodle does); nothing else may change.
        let expected: Vec<Question> = questions.iter().map(without_carriage_returns).collect();
        assert_eq!(
            again, expected,
            "GIFT export and import changed the questions:\n{exported}"
        );
    } else {
        // Where the export said Moodle's format cannot carry a question exactly (a weight off
        // Moodle's list of grades, written as the nearest one), the file it wrote is stable:
        // exported and imported again, it does not change any further.
        let (exported_again, _) = gift::export_with_report(&again);
        let third = gift::import(&exported_again).unwrap_or_else(|e| {
            panic!("a re-exported file does not import: {e:?}\n{exported_again}")
        });
        assert_eq!(third, again, "GIFT export is not stable:\n{exported_again}");
    }
    if questions.is_empty() {
        return;
    }
    let quiz = Quiz {
        slug: "gift-fuzz".into(),
        title_th: "นำเข้า".into(),
        title_en: "Imported".into(),
        module: None,
        time_limit_s: 0,
        attempts_allowed: 1,
        pass_percent: 50,
        grading: Grading::Highest,
        shuffle_questions: true,
        shuffle_options: true,
        review: ReviewPolicy::Never,
        blueprint: vec![],
        requires: Default::default(),
        marking: Default::default(),
        questions,
    };
    assert_servable(&quiz);
    assert_stored_definition_round_trips(&quiz);
}

/// What `gift::import` documents about the questions it returns.
fn assert_gift_rules(questions: &[Question]) {
    let mut ids = HashSet::new();
    for q in questions {
        assert!(is_identifier(&q.id), "imported id {:?}", q.id);
        assert!(ids.insert(q.id.as_str()), "imported id {} twice", q.id);
        assert_eq!(q.points, 1, "question {}: points", q.id);
        assert!(q.pool.is_none(), "question {}: a pool", q.id);
        match &q.body {
            QuestionBody::Single { options } | QuestionBody::Multiple { options } => {
                let single = matches!(q.body, QuestionBody::Single { .. });
                let correct = options.iter().filter(|o| o.correct).count();
                assert!(options.len() >= 2, "question {}: options", q.id);
                assert!(
                    if single { correct == 1 } else { correct >= 1 },
                    "question {}: {correct} correct",
                    q.id
                );
                for (index, o) in options.iter().enumerate() {
                    assert_eq!(o.id, option_letters(index), "question {}: option id", q.id);
                }
            }
            QuestionBody::TrueFalse { .. } => {}
            QuestionBody::ShortText { accepted, .. } => {
                assert!(!accepted.is_empty(), "question {}: nothing accepted", q.id);
                assert!(
                    accepted.iter().all(|a| !a.is_empty()),
                    "question {}: an empty accepted answer",
                    q.id
                );
            }
            QuestionBody::Numeric {
                answer, tolerance, ..
            } => assert!(
                answer.is_finite() && tolerance.is_finite() && *tolerance >= 0.0,
                "question {}: answer {answer}, tolerance {tolerance}",
                q.id
            ),
            QuestionBody::Matching { pairs, .. } => {
                assert!(pairs.len() >= 2, "question {}: pairs", q.id);
            }
            QuestionBody::Description => {}
            QuestionBody::Essay { rubric, .. } => {
                assert_eq!(rubric.len(), 1, "question {}: one overall criterion", q.id);
            }
        }
    }
}

/// `a`, `b`, …, `z`, `aa`, `ab`, … as `gift::import` names options.
fn option_letters(index: usize) -> String {
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

fn without_carriage_returns(q: &Question) -> Question {
    let fix = |s: &mut String| {
        if s.contains('\r') {
            *s = s.replace('\r', "");
        }
    };
    let mut q = q.clone();
    for text in [
        &mut q.prompt_th,
        &mut q.prompt_en,
        &mut q.feedback_th,
        &mut q.feedback_en,
    ] {
        fix(text);
    }
    match &mut q.body {
        QuestionBody::Single { options } | QuestionBody::Multiple { options } => {
            for o in options {
                fix(&mut o.text_th);
                fix(&mut o.text_en);
            }
        }
        QuestionBody::ShortText { accepted, partial } => {
            accepted.iter_mut().for_each(fix);
            partial.iter_mut().for_each(|p| fix(&mut p.text));
        }
        QuestionBody::Matching { pairs, distractors } => {
            for d in distractors {
                fix(&mut d.text_th);
                fix(&mut d.text_en);
            }
            for p in pairs {
                for text in [
                    &mut p.left_th,
                    &mut p.left_en,
                    &mut p.right_th,
                    &mut p.right_en,
                ] {
                    fix(text);
                }
            }
        }
        QuestionBody::TrueFalse { .. }
        | QuestionBody::Numeric { .. }
        | QuestionBody::Description
        | QuestionBody::Essay { .. } => {}
    }
    q
}

// ---------------------------------------------------------------------------------------------
// answer_payload
// ---------------------------------------------------------------------------------------------

/// Question kinds, in the order the selector byte picks them.
const KINDS: &[&str] = &[
    "single",
    "multiple",
    "true_false",
    "short_text",
    "numeric",
    "matching",
];

/// Every question of the shipped quizzes with a fixed layout, grouped by kind.
fn answer_cases() -> &'static [Vec<Case>] {
    static CASES: OnceLock<Vec<Vec<Case>>> = OnceLock::new();
    CASES.get_or_init(|| {
        let mut by_kind: Vec<Vec<Case>> = vec![Vec::new(); KINDS.len()];
        for quiz in &course().quizzes {
            for (q, laid) in laid_out(quiz) {
                // Written answers are marked by people (tests/api/marking.rs), not by a key.
                if matches!(q.body, QuestionBody::Essay { .. }) {
                    continue;
                }
                assert_full_marks(&q, &laid);
                if let Some(k) = KINDS.iter().position(|k| *k == q.body.kind()) {
                    by_kind[k].push((q, laid));
                }
            }
        }
        assert!(
            by_kind.iter().all(|cases| !cases.is_empty()),
            "the shipped quizzes must hold every kind of question"
        );
        by_kind
    })
}

/// Answer payloads. The input is a selector line and a JSON answer: the selector's first byte
/// picks the kind (`s` single, `m` multiple, `t` true/false, `x` short text, `n` numeric, `p`
/// matching; other bytes modulo 6), the rest of it picks a shipped question of that kind.
/// Strings `@oN`, `@lN` and `@rN` in the answer (values and keys) become the shown id of
/// option, left item or right item N. Grading never panics, stays within 0 and the
/// question's points, gives nothing to an answer that fails validation, and gives the same
/// after the answer is stored as JSON and read back.
pub fn answer_payload(data: &[u8]) {
    let (selector, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let kind = match selector.first() {
        Some(b's') | None => 0,
        Some(b'm') => 1,
        Some(b't') => 2,
        Some(b'x') => 3,
        Some(b'n') => 4,
        Some(b'p') => 5,
        Some(other) => usize::from(*other) % KINDS.len(),
    };
    let pick = selector.iter().skip(1).fold(0usize, |acc, &b| {
        acc.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    let cases = &answer_cases()[kind];
    let (q, laid) = &cases[pick % cases.len()];
    let Ok(answer) = serde_json::from_slice::<Value>(payload) else {
        return;
    };
    let answer = resolve_placeholders(answer, laid);
    check_answer(q, laid, &answer);
}

fn check_answer(q: &Question, laid: &LaidQuestion, answer: &Value) {
    let points = f64::from(q.points);
    let valid = engine::validate_answer(q, laid, answer).is_ok();
    let score = engine::grade(q, laid, Some(answer));
    let what = format!("question {} ({}), answer {answer}", q.id, q.body.kind());
    assert!(
        score.is_finite() && (0.0..=points + 1e-9).contains(&score),
        "{what}: scores {score} of {points}"
    );
    assert!(
        valid || is_zero(score),
        "{what}: invalid but scores {score}"
    );
    if !matches!(q.body, QuestionBody::Multiple { .. }) {
        assert!(
            is_zero(score) || (score - points).abs() < 1e-9,
            "{what}: partial credit {score} of {points}"
        );
    }
    assert!(
        is_zero(engine::grade(q, laid, None)),
        "question {}: no answer scores",
        q.id
    );
    let stored = serde_json::to_string(answer).expect("a JSON value always serialises");
    let loaded: Value = serde_json::from_str(&stored)
        .unwrap_or_else(|e| panic!("{what}: the saved answer does not load back: {e}"));
    if loaded == *answer {
        assert_eq!(
            engine::validate_answer(q, laid, &loaded).is_ok(),
            valid,
            "{what}: validation changes once saved"
        );
        let again = engine::grade(q, laid, Some(&loaded));
        assert!(
            again.to_bits() == score.to_bits(),
            "{what}: scores {score}, once saved {again}"
        );
    }
}

fn resolve_placeholders(value: Value, laid: &LaidQuestion) -> Value {
    match value {
        Value::String(s) => Value::String(resolve_id(s, laid)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| resolve_placeholders(v, laid))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (resolve_id(k, laid), resolve_placeholders(v, laid)))
                .collect(),
        ),
        other => other,
    }
}

/// `@o3`, `@l0`, `@r1`: the shown id of option 3, left item 0 or right item 1 (modulo their
/// number); anything else unchanged.
fn resolve_id(s: String, laid: &LaidQuestion) -> String {
    let Some(rest) = s.strip_prefix('@') else {
        return s;
    };
    let mut chars = rest.chars();
    let ids: Vec<&str> = match chars.next() {
        Some('o') => laid.options.iter().map(|(id, _)| id.as_str()).collect(),
        Some('l') => laid.lefts.iter().map(|(id, _)| id.as_str()).collect(),
        Some('r') => laid.rights.iter().map(|(id, _)| id.as_str()).collect(),
        _ => return s,
    };
    match chars.as_str().parse::<usize>() {
        Ok(n) if !ids.is_empty() => ids[n % ids.len()].to_string(),
        _ => s,
    }
}

// ---------------------------------------------------------------------------------------------
// credential_verify
// ---------------------------------------------------------------------------------------------

/// One credential issued into a fresh SQLite database.
struct Issued {
    db: Db,
    issuer: Issuer,
    jwt: String,
    jwks: Jwks,
}

fn issued() -> &'static Issued {
    static ISSUED: OnceLock<Issued> = OnceLock::new();
    ISSUED.get_or_init(issue_one)
}

fn issue_one() -> Issued {
    use academy::accounts::{self, NewUser};
    use academy::cohorts::{self, model::CohortStatus, model::MemberRole, NewCohort};
    use academy::credentials::{self, keys, IssueRequest};

    let dir = fresh_temp_dir("credentials");
    let db = Db::connect(&DatabaseUrl::Sqlite(dir.join("academy.db")), 1)
        .unwrap_or_else(|e| panic!("cannot open the database: {e:#}"));
    let mut conn = db.get().expect("a database connection");
    academy::db::run_migrations(&mut conn).expect("the migrations run");
    keys::ensure(&mut conn).expect("a signing key");
    let issuer = Issuer {
        base_url: url::Url::parse("https://academy.fuzz.example/").expect("a valid URL"),
        prefix: "TISI-S".into(),
    };
    let person = |email: &str, name: &str, role: Role, office: &str| NewUser {
        email: EmailAddress::parse(email).expect("a valid address"),
        name: PersonName::parse(name).expect("a valid name"),
        name_en: None,
        role,
        office_code: office.into(),
        language: Language::Th,
        password_hash: Some("!fuzz: no password".into()),
    };
    let admin = accounts::create_user(
        &mut conn,
        &person("admin@fuzz.example", "Fuzz Admin", Role::Admin, "TISI"),
        &issuer.base_url,
    )
    .expect("the admin is created");
    let trainee = accounts::create_user(
        &mut conn,
        &person(
            "trainee@fuzz.example",
            "นาย ทดสอบ ฟัซ",
            Role::Trainee,
            "TH-50",
        ),
        &issuer.base_url,
    )
    .expect("the trainee is created");
    let cohort = cohorts::create_cohort(
        &mut conn,
        &NewCohort {
            programme_id: course().programme.id.clone(),
            generation: 1,
            fiscal_year: None,
            name_th: None,
            name_en: None,
            starts_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 6).expect("a date"),
            ends_on: chrono::NaiveDate::from_ymd_opt(2025, 3, 31).expect("a date"),
            capacity: 10,
            status: CohortStatus::Open,
            enrol_opens_at: None,
            enrol_closes_at: None,
        },
    )
    .expect("the cohort is created");
    cohorts::add_member(&mut conn, &cohort.id, &trainee.id, MemberRole::Trainee)
        .expect("the trainee joins");
    let scope = course().programme.scopes[0].id.clone();
    let credential = credentials::issue(
        &mut conn,
        &issuer,
        course(),
        &admin,
        &IssueRequest {
            cohort_id: &cohort.id,
            user_id: &trainee.id,
            scope: &scope,
            override_reason: Some("fuzzing: issued without the criteria"),
            renews_id: None,
            decision_id: None,
        },
    )
    .expect("the credential is issued");
    let jwks = keys::jwks(&mut conn, &issuer).expect("the public keys");
    drop(conn);
    let issued = Issued {
        db,
        issuer,
        jwt: credential.credential_jwt,
        jwks,
    };
    let first = verify(&issued, &issued.jwt);
    assert!(
        first.valid,
        "the credential as issued is {}",
        first.status_str()
    );
    issued
}

fn verify(issued: &Issued, jwt: &str) -> VerifyResult {
    let mut conn = issued.db.get().expect("a database connection");
    academy::credentials::verify_jwt(&mut conn, course(), &issued.issuer, jwt).unwrap_or_else(|e| {
        panic!("verify_jwt failed (a server error) instead of answering: {e:?} for {jwt:?}")
    })
}

/// Credential verification: any token that differs from the issued one (other than white
/// space around it, which verification trims on purpose) is `invalid`, online and offline.
pub fn credential_verify(data: &[u8]) {
    let setup = issued();
    let candidate = mutate(&setup.jwt, data);
    let online = verify(setup, &candidate);
    let offline = academy::credentials::offline::verify(&candidate, &setup.jwks, None);
    if candidate.trim() == setup.jwt {
        assert!(
            online.valid,
            "the issued token, padded, is {}",
            online.status_str()
        );
        assert!(
            offline.is_ok(),
            "the issued token fails offline: {offline:?}"
        );
    } else {
        assert!(
            !online.valid && online.status_str() == "invalid" && online.credential.is_none(),
            "a changed credential verified as {}: {candidate:?}",
            online.status_str()
        );
        assert!(
            offline.is_err(),
            "a changed credential passed the offline check: {candidate:?}"
        );
    }
}

/// Derives a candidate token from the issued one; the first byte picks how.
fn mutate(jwt: &str, data: &[u8]) -> String {
    let Some((&mode, rest)) = data.split_first() else {
        return jwt.to_string();
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    match mode % 6 {
        // Flip bits of the token: (position high, position low, mask) triples.
        0 => {
            let mut bytes = jwt.as_bytes().to_vec();
            flip(&mut bytes, rest);
            String::from_utf8_lossy(&bytes).into_owned()
        }
        // Splice the rest of the input into the token.
        1 => {
            let mut bytes = jwt.as_bytes().to_vec();
            splice(&mut bytes, rest);
            String::from_utf8_lossy(&bytes).into_owned()
        }
        // Replace one of the three parts by the input.
        2 => {
            let (which, text) = match rest.split_first() {
                Some((w, t)) => (usize::from(*w) % 3, t),
                None => (0, rest),
            };
            let mut out: Vec<String> = parts.iter().map(|p| String::from(*p)).collect();
            if let Some(part) = out.get_mut(which) {
                *part = String::from_utf8_lossy(text).into_owned();
            }
            out.join(".")
        }
        // Edit the decoded claims or header and encode again, keeping the signature.
        3 | 4 => {
            let which = usize::from(mode % 6 == 3);
            let mut decoded = URL_SAFE_NO_PAD
                .decode(parts[which])
                .expect("the issued token is base64url");
            if rest.first().is_some_and(|b| b & 1 == 1) {
                flip(&mut decoded, &rest[1..]);
            } else {
                splice(&mut decoded, rest.get(1..).unwrap_or_default());
            }
            let mut out: Vec<String> = parts.iter().map(|p| String::from(*p)).collect();
            out[which] = URL_SAFE_NO_PAD.encode(decoded);
            out.join(".")
        }
        // The input itself as a token.
        _ => String::from_utf8_lossy(rest).into_owned(),
    }
}

fn flip(bytes: &mut [u8], commands: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    for command in commands.chunks_exact(3) {
        let at = usize::from(u16::from_be_bytes([command[0], command[1]])) % bytes.len();
        bytes[at] ^= command[2];
    }
}

/// Replaces `cut` bytes at `at` by `insert`: the commands are (at high, at low, cut, insert…).
fn splice(bytes: &mut Vec<u8>, commands: &[u8]) {
    let (at, cut, insert) = match commands {
        [hi, lo, cut, insert @ ..] => (
            usize::from(u16::from_be_bytes([*hi, *lo])) % (bytes.len() + 1),
            usize::from(*cut),
            insert,
        ),
        _ => (bytes.len(), 0, commands),
    };
    let end = at.saturating_add(cut).min(bytes.len());
    let mut out = Vec::with_capacity(bytes.len() - (end - at) + insert.len());
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(insert);
    out.extend_from_slice(&bytes[end..]);
    *bytes = out;
}

// ---------------------------------------------------------------------------------------------
// email_headers
// ---------------------------------------------------------------------------------------------

/// The mail templates, in the order the selector byte picks them.
const MAIL_TEMPLATES: &[&str] = &[
    "invitation",
    "password_reset",
    "credential_issued",
    "credential_suspended",
    "credential_reinstated",
    "credential_revoked",
    "credential_expiring",
];

/// Header fields a built message may have.
const ALLOWED_HEADERS: &[&str] = &[
    "date",
    "from",
    "to",
    "subject",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// Header fields every built message has; the blank line must come after all of them.
const REQUIRED_HEADERS: &[&str] = &[
    "date",
    "from",
    "to",
    "subject",
    "message-id",
    "mime-version",
    "content-type",
];

const OUTBOX_ID: &str = "00000000-0000-4000-8000-00000000f022";

struct MailSetup {
    templates: tera::Tera,
    from: lettre::message::Mailbox,
    base_url: url::Url,
}

fn mail_setup() -> &'static MailSetup {
    static SETUP: OnceLock<MailSetup> = OnceLock::new();
    SETUP.get_or_init(|| MailSetup {
        templates: academy::http::ui::load_templates()
            .unwrap_or_else(|e| panic!("the templates do not load: {e:#}")),
        from: "Assessor Academy <academy@tisi.example>"
            .parse()
            .expect("a valid sender"),
        base_url: url::Url::parse("https://academy.example/").expect("a valid URL"),
    })
}

fn field<'a>(fields: &[&'a str], index: usize, default: &'a str) -> &'a str {
    fields.get(index).copied().unwrap_or(default)
}

/// E-mail headers. The input is a selector byte (template, and English when the top bit is
/// set) and NUL-separated fields: address, name, subject, number, reason, link. A message
/// built from them, directly or through the templates, has no CR or LF inside a header
/// value, only the expected header fields, and exactly one recipient.
pub fn email_headers(data: &[u8]) {
    let (selector, rest) = data.split_first().map_or((0, data), |(s, r)| (*s, r));
    let text = String::from_utf8_lossy(rest);
    let fields: Vec<&str> = text.split('\0').collect();
    let to_email = field(&fields, 0, "trainee01@poi.example");
    let to_name = field(&fields, 1, "นาย สมชาย ใจดี");
    let subject = field(&fields, 2, "ใบรับรองเลขที่ TISI-S-2568-0001");
    let number = field(&fields, 3, "TISI-S-2568-0001");
    let reason = field(&fields, 4, "ทดสอบ");
    let link = field(&fields, 5, "https://academy.example/verify/1");
    let setup = mail_setup();

    let direct = Rendered {
        subject: subject.to_string(),
        text: format!("{reason}\n{link}\n"),
        html: format!("<p>{reason}</p>"),
    };
    if let Ok(message) = build_message(&setup.from, to_email, to_name, &OUTBOX_ID.into(), &direct) {
        assert_clean_message(&message, to_email);
    }

    let at = chrono::NaiveDate::from_ymd_opt(2025, 1, 6)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a time");
    let row = OutboxRow {
        id: OUTBOX_ID.into(),
        template: MAIL_TEMPLATES[usize::from(selector & 0x7f) % MAIL_TEMPLATES.len()].into(),
        to_email: to_email.into(),
        to_name: to_name.into(),
        language: if selector & 0x80 == 0 { "th" } else { "en" }.into(),
        context_json: json!({
            "name": to_name, "number": number, "reason": reason, "link": link,
            "scope_th": subject, "scope_en": subject, "valid_until": "2028-01-06",
        })
        .to_string(),
        status: "sending".into(),
        attempts: 0,
        next_attempt_at: at,
        locked_until: None,
        locked_by: None,
        last_error: None,
        created_at: at,
        sent_at: None,
    };
    let rendered = academy::email::render::render(&setup.templates, &row, &setup.base_url)
        .unwrap_or_else(|e| panic!("a queued {} mail does not render: {e:#}", row.template));
    if let Ok(message) = build_message(
        &setup.from,
        &row.to_email,
        &row.to_name,
        &(&row.id).into(),
        &rendered,
    ) {
        assert_clean_message(&message, &row.to_email);
    }
}

fn assert_clean_message(message: &lettre::Message, to_email: &str) {
    use lettre::message::{header::To, Mailboxes};

    let expected: lettre::Address = to_email
        .parse()
        .unwrap_or_else(|e| panic!("the message was built for {to_email:?}, which is {e}"));
    assert_eq!(
        message.envelope().to(),
        std::slice::from_ref(&expected),
        "the envelope does not hold exactly the one recipient"
    );
    for name in ["From", "To", "Subject"] {
        let raw = message.headers().get_raw(name).unwrap_or_default();
        assert!(
            !raw.contains(['\r', '\n']),
            "a line break inside the {name} header: {raw:?}"
        );
    }
    let subject = message.headers().get_raw("Subject").unwrap_or_default();
    assert_eq!(
        subject,
        header_safe(subject),
        "the subject is not header-safe"
    );
    if let Some(to) = message.headers().get::<To>() {
        let boxes: Mailboxes = to.into();
        let emails: Vec<&lettre::Address> = boxes.iter().map(|m| &m.email).collect();
        assert_eq!(
            emails,
            [&expected],
            "the To header does not name one recipient"
        );
    }

    let raw = message.formatted();
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a blank line after the header section");
    let head = &raw[..end];
    for (i, &b) in head.iter().enumerate() {
        let bare = match b {
            b'\r' => head.get(i + 1) != Some(&b'\n'),
            b'\n' => i == 0 || head[i - 1] != b'\r',
            _ => false,
        };
        assert!(!bare, "a bare CR or LF in the header section at byte {i}");
    }
    let head = String::from_utf8_lossy(head);
    let mut names: Vec<String> = Vec::new();
    for (n, line) in head.split("\r\n").enumerate() {
        if line.starts_with([' ', '\t']) {
            assert!(n > 0, "the header section starts with a continuation line");
            continue;
        }
        let (name, _) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("a header line without a field name: {line:?}\n{head}"));
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()),
            "a malformed field name {name:?}\n{head}"
        );
        names.push(name.to_ascii_lowercase());
    }
    for name in &names {
        assert!(
            ALLOWED_HEADERS.contains(&name.as_str()),
            "an unexpected header field {name}:\n{head}"
        );
    }
    for &name in REQUIRED_HEADERS {
        let count = names.iter().filter(|n| n.as_str() == name).count();
        assert_eq!(count, 1, "{count} {name} header fields:\n{head}");
    }
}
