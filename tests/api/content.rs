use std::path::{Path, PathBuf};

use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::helpers::{error_code, fresh_database, spawn_with, test_settings, TestApp};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle} not found"))
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn check(dir: &Path) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_academy"))
        .args(["content", "check"])
        .arg(dir)
        .env("ACADEMY_LOG", "error")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

#[test]
fn the_shipped_course_passes_the_check() {
    let (code, out) = check(Path::new("course_content"));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("7 modules") && out.contains("11 quizzes"),
        "{out}"
    );
}

#[test]
fn five_seeded_mistakes_are_each_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("course");
    copy_dir(Path::new("course_content"), &c);
    let mut expected = Vec::new();

    let p = c.join("programme.toml");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str("colour = \"blue\"\n");
    std::fs::write(&p, &text).unwrap();
    expected.push(format!("programme.toml:{}:", line_of(&text, "colour = ")));

    let p = c.join("quizzes/q01.toml");
    replace_in(&p, "pass_percent = 70", "pass_percent = 170");
    expected.push(format!(
        "quizzes/q01.toml:{}:",
        line_of(&std::fs::read_to_string(&p).unwrap(), "pass_percent = 170")
    ));

    let p = c.join("quizzes/final-exam.toml");
    replace_in(&p, "draw = 3", "draw = 40");
    expected.push(format!(
        "quizzes/final-exam.toml:{}:",
        line_of(&std::fs::read_to_string(&p).unwrap(), "draw = 40")
    ));

    let p = c.join("quizzes/q02.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let line = line_of(&text, "title_en = \"");
    let broken: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                "title_en = \"never closed".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&p, broken.join("\n")).unwrap();
    expected.push(format!("quizzes/q02.toml:{line}:"));

    let p = c.join("modules/06-tis-s-services/th.md");
    let text = std::fs::read_to_string(&p).unwrap();
    let title_line = line_of(&text, "title = ");
    let first = text.lines().nth(title_line - 1).unwrap().to_string();
    std::fs::write(&p, text.replacen(&first, "title = \"\"", 1)).unwrap();
    expected.push(format!("modules/06-tis-s-services/th.md:{title_line}:"));

    let (code, out) = check(&c);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    for e in &expected {
        assert!(
            lines.iter().any(|l| l.starts_with(e.as_str())),
            "missing {e} in:\n{out}"
        );
    }
    assert_eq!(lines.len(), 5, "{out}");

    // The service refuses to start on it and prints the same list.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_academy"))
        .arg("serve")
        .env("ACADEMY_CONTENT_DIR", &c)
        .env(
            "ACADEMY_DATABASE_URL",
            format!("sqlite://{}/a.db", dir.path().display()),
        )
        .env("ACADEMY_BIND", "127.0.0.1:0")
        .env("ACADEMY_LOG", "error")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    for e in &expected {
        assert!(
            err.contains(e.as_str()),
            "start-up did not list {e}:\n{err}"
        );
    }
}

struct Setup {
    app: TestApp,
    content: PathBuf,
    admin: String,
    instructor: String,
    trainee: String,
    cohort: String,
}

async fn setup_with_content() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("course");
    copy_dir(Path::new("course_content"), &content);
    let (url, pg) = fresh_database(dir.path());
    let mut settings = test_settings(dir.path(), url);
    settings.content_dir = content.clone();
    let app = spawn_with(settings, dir, pg).await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let (instructor_user, instructor) = app
        .user_with_token(Role::Instructor, "instructor@example.org")
        .await;
    let (_, trainee) = app
        .user_with_token(Role::Trainee, "trainee@example.org")
        .await;
    let c = crate::cohorts::create_cohort(&app, &admin, 1, 40).await;
    let cohort = c["id"].as_str().unwrap().to_string();
    app.post_json(
        &format!("/api/v1/cohorts/{cohort}/members"),
        Some(&admin),
        &json!({"user_id": instructor_user.id, "role": "instructor"}),
    )
    .await;
    assert_eq!(
        app.post_json(
            "/api/v1/cohorts/join",
            Some(&trainee),
            &json!({"join_code": c["join_code"]})
        )
        .await
        .status(),
        201
    );
    Setup {
        app,
        content,
        admin,
        instructor,
        trainee,
        cohort,
    }
}

#[tokio::test]
async fn drafts_are_404_and_prerequisites_are_enforced() {
    let s = setup_with_content().await;
    let (app, cohort) = (&s.app, &s.cohort);
    let list: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{cohort}/modules"),
            Some(&s.trainee),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "nothing is published yet: {list:?}");
    let m1 = format!("/api/v1/cohorts/{cohort}/modules/01-what-is-tis-s");
    assert_eq!(
        error_code(app.get(&m1, Some(&s.trainee)).await, 404).await,
        "not_found"
    );
    for slug in ["01-what-is-tis-s", "02-certification-path"] {
        let res = app
            .post_json(
                &format!("/api/v1/cohorts/{cohort}/modules/{slug}/publish"),
                Some(&s.instructor),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let list: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{cohort}/modules"),
            Some(&s.trainee),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["slug"], "01-what-is-tis-s");
    assert_eq!(list[1]["unlocked"], false);
    let m2 = format!("/api/v1/cohorts/{cohort}/modules/02-certification-path");
    assert_eq!(
        error_code(app.get(&m2, Some(&s.trainee)).await, 409).await,
        "prerequisites_not_met"
    );
    assert_eq!(
        error_code(
            app.post_json(&format!("{m2}/complete"), Some(&s.trainee), &json!({}))
                .await,
            409
        )
        .await,
        "prerequisites_not_met"
    );
    let module: Value = app.get(&m1, Some(&s.trainee)).await.json().await.unwrap();
    assert!(
        module["html"].as_str().unwrap().contains("<h1>"),
        "{module}"
    );
    assert_eq!(module["completed"], false);
    assert_eq!(
        app.post_json(&format!("{m1}/complete"), Some(&s.trainee), &json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&m2, Some(&s.trainee)).await.status(), 200);
    let list: Vec<Value> = app
        .get(
            &format!("/api/v1/cohorts/{cohort}/modules?lang=en"),
            Some(&s.trainee),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["completed"], true);
    assert_eq!(list[1]["unlocked"], true);
    assert!(
        list[0]["title"].as_str().unwrap().is_ascii(),
        "English title: {}",
        list[0]["title"]
    );
    // Unpublishing makes it a 404 again.
    assert_eq!(
        app.post_json(&format!("{m2}/unpublish"), Some(&s.admin), &json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&m2, Some(&s.trainee)).await.status(), 404);
}

#[tokio::test]
async fn a_changed_file_becomes_a_new_revision_that_trainees_see_only_once_published() {
    let s = setup_with_content().await;
    let cohort = s.cohort.clone();
    let m1 = format!("/api/v1/cohorts/{cohort}/modules/01-what-is-tis-s");
    assert_eq!(
        s.app
            .post_json(&format!("{m1}/publish"), Some(&s.instructor), &json!({}))
            .await
            .status(),
        200
    );
    let before: Value = s.app.get(&m1, Some(&s.trainee)).await.json().await.unwrap();

    let file = s.content.join("modules/01-what-is-tis-s/th.md");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n\nย่อหน้าใหม่สำหรับรุ่นที่สอง\n");
    std::fs::write(&file, text).unwrap();
    let (trainee, instructor) = (s.trainee.clone(), s.instructor.clone());
    let (settings, dir, pg) = s.app.stop().await;
    let app = spawn_with(settings, dir, pg).await;

    let history: Vec<Value> = app
        .get(
            "/api/v1/modules/01-what-is-tis-s/revisions",
            Some(&instructor),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    let still: Value = app.get(&m1, Some(&trainee)).await.json().await.unwrap();
    assert_eq!(still["revision"], before["revision"]);
    assert!(!still["html"].as_str().unwrap().contains("ย่อหน้าใหม่"));
    assert_eq!(
        app.post_json(&format!("{m1}/publish"), Some(&instructor), &json!({}))
            .await
            .status(),
        200
    );
    let now: Value = app.get(&m1, Some(&trainee)).await.json().await.unwrap();
    assert_ne!(now["revision"], before["revision"]);
    assert!(now["html"].as_str().unwrap().contains("ย่อหน้าใหม่"));
    // The diff between the two shows the added paragraph.
    let diff: Vec<Value> = app
        .get(
            &format!(
                "/api/v1/modules/01-what-is-tis-s/diff?from={}&to={}",
                before["revision"].as_str().unwrap(),
                now["revision"].as_str().unwrap()
            ),
            Some(&instructor),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        diff.iter()
            .any(|d| d["op"] == "+" && d["text"].as_str().unwrap().contains("ย่อหน้าใหม่")),
        "{diff:?}"
    );
    // A restart without changes adds nothing.
    let (settings, dir, pg) = app.stop().await;
    let app = spawn_with(settings, dir, pg).await;
    let history: Vec<Value> = app
        .get(
            "/api/v1/modules/01-what-is-tis-s/revisions",
            Some(&instructor),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
}

#[tokio::test]
async fn hostile_markdown_from_instructors_renders_safely() {
    let s = setup_with_content().await;
    let (app, cohort) = (&s.app, &s.cohort);
    assert!(!s.admin.is_empty());
    let corpus = vec![
        "<script>alert(document.cookie)</script>".to_string(),
        "<img src=x onerror=alert(1)> <body onload=alert(2)>".into(),
        "[click me](javascript:alert(1)) [x](JAVASCRIPT:alert(1)) [y](java\tscript:alert(1))".into(),
        "![a](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) <a href=\"data:text/html,x\">d</a>".into(),
        "<iframe src=//evil.example></iframe><object data=x></object><embed src=x>".into(),
        "<a href=\"#\" onclick=\"alert(1)\">x</a><div style=\"x:expression(alert(1))\">y</div>".into(),
        "[".repeat(50_000),
        "[a](".repeat(20_000),
        "![".repeat(25_000) + &"]".repeat(25_000),
        "> ".repeat(10_000) + "deep",
        "*".repeat(50_000),
        "<".repeat(50_000),
        format!("{}x{}", "`".repeat(20_000), "`".repeat(19_999)),
    ];
    for md in corpus {
        let res = app
            .post_json(
                "/api/v1/modules/01-what-is-tis-s/revisions",
                Some(&s.instructor),
                &json!({"title_th": "ทดสอบ", "title_en": "Test", "markdown_th": md, "markdown_en": "ok"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", &md[..md.len().min(40)]);
        assert_eq!(
            app.post_json(
                &format!("/api/v1/cohorts/{cohort}/modules/01-what-is-tis-s/publish"),
                Some(&s.instructor),
                &json!({})
            )
            .await
            .status(),
            200
        );
        let m: Value = app
            .get(
                &format!("/api/v1/cohorts/{cohort}/modules/01-what-is-tis-s"),
                Some(&s.trainee),
            )
            .await
            .json()
            .await
            .unwrap();
        // How long it takes is the bench's business (`bench`), not a test's sharing two cores
        // with another suite: here it must render, safely, without failing.
        let html = m["html"].as_str().unwrap().to_lowercase();
        for bad in [
            "<script",
            "onerror",
            "onload",
            "onclick",
            "javascript:",
            "data:",
            "<iframe",
            "<object",
            "<embed",
            "expression(",
        ] {
            assert!(
                !html.contains(bad),
                "{bad} survived from {}",
                &md[..md.len().min(40)]
            );
        }
    }
    // Too large is refused, not rendered.
    let res = app
        .post_json(
            "/api/v1/preview",
            Some(&s.instructor),
            &json!({"markdown": "x".repeat(300 * 1024)}),
        )
        .await;
    assert!(
        matches!(res.status().as_u16(), 413 | 422),
        "{}",
        res.status()
    );
    assert_eq!(
        app.post_json(
            "/api/v1/preview",
            Some(&s.trainee),
            &json!({"markdown": "x"})
        )
        .await
        .status(),
        403
    );
}

#[test]
fn a_near_duplicate_planted_in_the_final_exam_is_reported_with_file_and_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("course");
    copy_dir(Path::new("course_content"), &c);
    // The shipped final exam repeats no module-quiz item (module quizzes may only be warned).
    let (code, out) = check(&c);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains(": error:"), "{out}");
    // Copy a module-quiz item into the final exam's first pool, reworded a little and under a
    // new id: the check names both places and fails.
    let q01 = std::fs::read_to_string(c.join("quizzes/q01.toml")).unwrap();
    let start = q01.find("[[questions]]").unwrap();
    let end = q01[start + 1..]
        .find("[[questions]]")
        .map(|i| start + 1 + i)
        .unwrap_or(q01.len());
    let original = &q01[start..end];
    let id_line = original
        .lines()
        .find(|l| l.starts_with("id = "))
        .unwrap()
        .to_string();
    let id = id_line
        .trim_start_matches("id = ")
        .trim_matches('"')
        .to_string();
    let exam_path = c.join("quizzes/final-exam.toml");
    let exam = std::fs::read_to_string(&exam_path).unwrap();
    let pool = exam
        .lines()
        .find(|l| l.starts_with("pool = "))
        .unwrap()
        .to_string();
    let planted = original
        .replace(&id_line, &format!("id = \"planted-copy\"\n{pool}"))
        .replacen("prompt_th = \"", "prompt_th = \"โปรดพิจารณา: ", 1);
    let exam = format!("{exam}\n{planted}");
    std::fs::write(&exam_path, &exam).unwrap();
    let (code, out) = check(&c);
    assert_eq!(code, 1, "{out}");
    let line = line_of(&exam, "id = \"planted-copy\"");
    let q01_line = line_of(&q01, &id_line);
    let reported = out
        .lines()
        .find(|l| l.contains("planted-copy"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        reported.contains(&format!("quizzes/final-exam.toml:{line}: error"))
            && reported.contains(&format!("quizzes/q01.toml:{q01_line}"))
            && reported.contains(&id),
        "{reported}"
    );
}

/// Issue 27's items that tested trivia or the software are gone from the shipped course.
#[test]
fn the_trivia_and_software_items_are_gone_from_the_shipped_course() {
    let retired = [
        "basics-04",
        "basics-05",
        "basics-06",
        "basics-08",
        "cert-08",
        "services-05",
        "principles-09",
        "evidence-08",
        "planning-06",
        "q04-utc-hour",
        "q01-who-may-apply",
        "q01-office-count",
        "q03-pdpa-year",
        "q05-be-year",
        "q02-validity-confusion",
        "rc-renewal-process",
    ];
    let mut left = Vec::new();
    for e in std::fs::read_dir("course_content/quizzes").unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        for id in retired {
            if text.contains(&format!("id = \"{id}\"")) {
                left.push(format!("{}: {id}", p.display()));
            }
        }
    }
    assert!(left.is_empty(), "{left:?}");
}

/// The terms `../shared/DOMAIN.md` rules out, and where: one term per concept, everywhere.
#[test]
fn no_forbidden_term_of_the_domain_appears_in_the_course_the_pages_or_the_mail() {
    // (term, why, also in the course?) The course names a business's TIS-S certificate
    // ใบรับรอง, so there only the assessor's credential under that name is forbidden; the pages,
    // the PDF and the mail speak only of the person's credential (หนังสือรับรอง).
    let rules: &[(&str, &str, bool)] = &[
        ("ข้อพบ", "a finding is ข้อค้นพบ", true),
        ("ผู้ให้การรับรอง", "a certification body is หน่วยรับรอง", true),
        (
            "การขัดกันแห่งผลประโยชน์",
            "conflict of interest is ผลประโยชน์ทับซ้อน",
            true,
        ),
        (
            "ความขัดแย้งทางผลประโยชน์",
            "conflict of interest is ผลประโยชน์ทับซ้อน",
            true,
        ),
        ("ฉัน", "the reader is ท่าน; checklists have no subject", true),
        (
            "ใบรับรองผู้ตรวจประเมิน",
            "the assessor's credential is หนังสือรับรอง",
            true,
        ),
        ("ใบรับรอง", "the assessor's credential is หนังสือรับรอง", false),
    ];
    let mut files = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out)
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("md" | "toml" | "html" | "txt" | "rs")
            ) {
                out.push(p)
            }
        }
    }
    walk(Path::new("course_content"), &mut files);
    walk(Path::new("templates"), &mut files);
    for f in [
        "src/credentials/certificate.rs",
        "src/credentials/documents.rs",
    ] {
        files.push(PathBuf::from(f));
    }
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let in_course = f.starts_with("course_content");
        for (n, line) in text.lines().enumerate() {
            for (term, why, course_too) in rules {
                if in_course && !course_too {
                    continue;
                }
                if line.contains(term) {
                    found.push(format!("{}:{}: {term}: {why}", f.display(), n + 1));
                }
            }
            // Surveillance after certification, never การตรวจติดตาม alone (it reads as "audit").
            let mut rest = line;
            while let Some(i) = rest.find("การตรวจติดตาม") {
                let after = &rest[i + "การตรวจติดตาม".len()..];
                if !after.starts_with("ผลภายหลังการรับรอง") {
                    found.push(format!(
                        "{}:{}: การตรวจติดตาม: surveillance is การตรวจติดตามผลภายหลังการรับรอง",
                        f.display(),
                        n + 1
                    ));
                }
                rest = after;
            }
        }
    }
    assert!(files.len() > 40, "{} files read", files.len());
    assert!(found.is_empty(), "{}", found.join("\n"));
}
