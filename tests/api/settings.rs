//! Bad settings stop start-up with one clear line and a non-zero exit.

use std::process::Command;

fn academy(dir: &std::path::Path, envs: &[(&str, String)], args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_academy"));
    cmd.current_dir(dir)
        .env_remove("ACADEMY_DATABASE_URL")
        .env_remove("ACADEMY_BIND")
        .env_remove("ACADEMY_SMTP_URL")
        .env("ACADEMY_LOG", "error");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().expect("run academy");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn assert_one_clear_line(code: i32, stderr: &str, setting: &str, words: &str) {
    assert_ne!(code, 0, "expected failure, stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "want one line, got: {stderr}");
    assert!(lines[0].contains(setting), "{setting} not named: {stderr}");
    assert!(lines[0].contains(words), "'{words}' not said: {stderr}");
}

#[test]
fn an_unknown_database_scheme_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = academy(
        dir.path(),
        &[("ACADEMY_DATABASE_URL", "mysql://x".into())],
        &["migrate"],
    );
    assert_eq!(code, 2);
    assert_one_clear_line(
        code,
        &err,
        "ACADEMY_DATABASE_URL=mysql://x",
        "unsupported scheme",
    );
}

#[test]
fn an_unreachable_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = academy(
        dir.path(),
        &[(
            "ACADEMY_DATABASE_URL",
            "postgres://postgres:secret@127.0.0.1:1/academy".into(),
        )],
        &["migrate"],
    );
    assert_one_clear_line(code, &err, "ACADEMY_DATABASE_URL", "cannot connect");
    assert!(!err.contains("secret"), "password leaked: {err}");
}

#[test]
fn an_unwritable_data_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a folder should be: not writable as a folder, even for root.
    std::fs::write(dir.path().join("blocker"), b"x").unwrap();
    let url = format!("sqlite://{}/blocker/data/academy.db", dir.path().display());
    let (code, err) = academy(dir.path(), &[("ACADEMY_DATABASE_URL", url)], &["migrate"]);
    assert_one_clear_line(code, &err, "ACADEMY_DATABASE_URL", "cannot create folder");
}

#[test]
fn a_port_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, err) = academy(
        dir.path(),
        &[
            ("ACADEMY_BIND", addr.clone()),
            (
                "ACADEMY_DATABASE_URL",
                format!("sqlite://{}/a.db", dir.path().display()),
            ),
        ],
        &["serve"],
    );
    assert_one_clear_line(
        code,
        &err,
        &format!("ACADEMY_BIND={addr}"),
        "already in use",
    );
}

#[test]
fn bad_values_of_other_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value, words) in [
        ("ACADEMY_BIND", "not-an-address", "host:port"),
        ("ACADEMY_BASE_URL", "ftp://x", "http"),
        ("ACADEMY_SMTP_URL", "http://mail", "smtp://"),
        ("ACADEMY_DB_POOL_SIZE", "0", "1 to 200"),
        ("ACADEMY_ENV", "staging", "development or production"),
        // A bare word is no log level: it used to log nothing of ours, silently (issue 29).
        ("ACADEMY_LOG", "garbage", "a level"),
    ] {
        let (code, err) = academy(dir.path(), &[(name, value.into())], &["migrate"]);
        assert_eq!(code, 2, "{name}");
        assert_one_clear_line(code, &err, name, words);
    }
}

#[test]
fn production_refuses_a_public_url_that_is_not_https() {
    // Sign-in cookies are Secure and credentials name this URL as their issuer (issue 29).
    let dir = tempfile::tempdir().unwrap();
    let env = |url: &str| {
        vec![
            ("ACADEMY_ENV", "production".to_string()),
            ("ACADEMY_SMTP_URL", "smtp://127.0.0.1:2525".to_string()),
            ("ACADEMY_BASE_URL", url.to_string()),
        ]
    };
    let (code, err) = academy(
        dir.path(),
        &env("http://academy.example.org/"),
        &["migrate"],
    );
    assert_eq!(code, 2, "{err}");
    assert_one_clear_line(code, &err, "ACADEMY_BASE_URL", "https://");
    let (code, err) = academy(
        dir.path(),
        &env("https://academy.example.org/"),
        &["migrate"],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_backup_on_a_new_install_makes_its_folder() {
    // `data/backups/` does not exist on a new install; the README's command failed there with
    // "error: writing the backup to …" and no cause (issue 29).
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = academy(dir.path(), &[], &["migrate"]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = academy(dir.path(), &[], &["backup", "data/backups/first.db"]);
    assert_eq!(code, 0, "{err}");
    assert!(dir.path().join("data/backups/first.db").exists());
    // A second backup to the same file is refused, saying why.
    let (code, err) = academy(dir.path(), &[], &["backup", "data/backups/first.db"]);
    assert_ne!(code, 0);
    assert!(err.contains("exists already"), "{err}");
}

#[test]
fn migrate_creates_the_sqlite_file_on_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = academy(dir.path(), &[], &["migrate"]);
    assert_eq!(code, 0, "{err}");
    assert!(dir.path().join("data/academy.db").exists());
}
