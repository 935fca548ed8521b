use std::path::PathBuf;
use std::sync::Arc;

use academy::accounts::{self, model, NewUser, User};
use academy::db::{DatabaseUrl, Db};
use academy::email::mailer::Mailer;
use academy::settings::{MailTransport, Settings};
use academy::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde_json::Value;

/// A running service with its own database, dropped with the test.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub settings: Settings,
    #[allow(dead_code)]
    pub mailer: Arc<Mailer>,
    pub dir: tempfile::TempDir,
    handle: actix_web::dev::ServerHandle,
    pg_drop: Option<PgDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Ask the server (and its background jobs) to stop; the command is sent at once.
        drop(self.handle.stop(false));
    }
}

/// A PostgreSQL test database, dropped (with its connections) when the test ends.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = diesel::pg::PgConnection::establish(&self.admin_url) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Which backend this test run uses.
pub fn backend_name() -> &'static str {
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// A fresh database URL for one test: a new SQLite file in `dir`, or a new PostgreSQL database.
pub fn fresh_database(dir: &std::path::Path) -> (DatabaseUrl, Option<PgDatabase>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) => {
            let name = format!("test_{}", uuid::Uuid::new_v4().simple());
            let mut url = url::Url::parse(&base).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            // A test database need not wait for the disk at each commit (the server keeps
            // every commit while it runs; only a crash of PostgreSQL itself could lose the last
            // ones, which no test does): without this the suite waited on fsync most of its time.
            // (Spelt with %20: libpq does not read '+' as a space.)
            url.set_query(Some("options=-c%20synchronous_commit%3Doff"));
            let mut admin = url.clone();
            admin.set_path("/postgres");
            (
                DatabaseUrl::Postgres(url.to_string()),
                Some(PgDatabase {
                    admin_url: admin.to_string(),
                    name,
                }),
            )
        }
        Err(_) => (DatabaseUrl::Sqlite(dir.join("academy.db")), None),
    }
}

/// Settings for a test instance: port 0, memory mail, fixtures course content.
pub fn test_settings(dir: &std::path::Path, database_url: DatabaseUrl) -> Settings {
    Settings {
        database_url,
        bind: "127.0.0.1:0".into(),
        base_url: url::Url::parse("http://127.0.0.1:0/").unwrap(),
        content_dir: PathBuf::from("course_content"),
        data_dir: dir.to_path_buf(),
        mail: MailTransport::Memory,
        jwt_secret: None,
        production: false,
        db_pool_size: 4,
        workers: 1,
        log: "warn".into(),
        mail_from: "Assessor Academy <noreply@academy.example>"
            .parse()
            .unwrap(),
        mail_max_attempts: 8,
        mail_retry_base: std::time::Duration::from_millis(100),
        credential_prefix: "TISI-S".into(),
        verify_rate_per_minute: 100_000,
        trusted_proxies: Vec::new(),
        worker_interval_ms: 50,
        // The retention purge writes an audit row even when it removes nothing: not during a
        // test that compares row counts (the hostile corpus ran past its first minute on CI).
        retention_first_run: std::time::Duration::from_secs(24 * 3600),
    }
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = fresh_database(dir.path());
    let settings = test_settings(dir.path(), url);
    spawn_with(settings, dir, pg).await
}

/// Starts the service with the given settings (used to restart on the same database).
pub async fn spawn_with(
    settings: Settings,
    dir: tempfile::TempDir,
    pg_drop: Option<PgDatabase>,
) -> TestApp {
    academy::telemetry::init("warn");
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    start(app, settings, dir, pg_drop)
}

/// A fresh service with the demo seeded as `academy demo` does it: before the background jobs
/// start (the demo dates its history in the past, and the job that submits overdue attempts
/// would otherwise close the demo's attempts while they are being answered).
pub async fn spawn_demo() -> (TestApp, academy::demo::DemoAccounts) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = fresh_database(dir.path());
    let settings = test_settings(dir.path(), url);
    spawn_with_demo(settings, dir, pg).await
}

/// [`spawn_demo`] with the given settings.
pub async fn spawn_with_demo(
    settings: Settings,
    dir: tempfile::TempDir,
    pg_drop: Option<PgDatabase>,
) -> (TestApp, academy::demo::DemoAccounts) {
    academy::telemetry::init("warn");
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let issuer = academy::credentials::Issuer {
        base_url: app.base_url().clone(),
        prefix: settings.credential_prefix.clone(),
    };
    let course = std::sync::Arc::new(
        academy::course::loader::load_course(std::path::Path::new("course_content")).unwrap(),
    );
    let accounts = app
        .db()
        .run(move |conn| academy::demo::seed(conn, &course, &issuer))
        .await
        .expect("the demo seeds");
    (start(app, settings, dir, pg_drop), accounts)
}

/// Serves `app` (with its background jobs) for a test.
fn start(
    app: Application,
    settings: Settings,
    dir: tempfile::TempDir,
    pg_drop: Option<PgDatabase>,
) -> TestApp {
    let port = app.port();
    let db = app.db().clone();
    let mailer = app.mailer();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client,
        db,
        settings,
        mailer,
        dir,
        handle,
        pg_drop,
    }
}

/// A second instance on the same database as `other`: its own port, the same public URL
/// (as behind one reverse proxy), so credentials name the same issuer.
pub async fn spawn_peer(other: &TestApp) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = other.settings.clone();
    settings.bind = "127.0.0.1:0".into();
    settings.base_url = url::Url::parse(&format!("{}/", other.address)).unwrap();
    spawn_with(settings, dir, None).await
}

impl TestApp {
    /// Stops the server and its background jobs, keeping the database for a restart.
    pub async fn stop(mut self) -> (Settings, tempfile::TempDir, Option<PgDatabase>) {
        self.handle.stop(true).await;
        // Let the background jobs see that the server has stopped.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let pg = self.pg_drop.take();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        (self.settings.clone(), dir, pg)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates a user straight through the service layer (test arrangement).
    pub async fn create_user(&self, role: model::Role, email: &str, password: &str) -> User {
        let email = model::EmailAddress::parse(email).unwrap();
        let pw = model::NewPassword::parse(password).unwrap();
        let base = self.settings.base_url.clone();
        self.db
            .run(move |conn| {
                let hash = accounts::hash_password(&pw)?;
                accounts::create_user(
                    conn,
                    &NewUser {
                        name: model::PersonName::parse(&format!("นาย ทดสอบ {}", email.as_str()))
                            .unwrap(),
                        email,
                        name_en: None,
                        role,
                        office_code: "TH-50".into(),
                        language: model::Language::Th,
                        password_hash: Some(hash),
                    },
                    &base,
                )
            })
            .await
            .expect("user created")
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Signs in and returns the bearer token.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), 200, "sign-in of {email} failed");
        let body: Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    /// Creates a user of the role and returns it with a token.
    pub async fn user_with_token(&self, role: model::Role, email: &str) -> (User, String) {
        let user = self.create_user(role, email, "correct horse battery").await;
        let token = self.token(email, "correct horse battery").await;
        (user, token)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut r = self.client.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut r = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }
}

/// Asserts the contract's error body and returns its code.
pub async fn error_code(res: reqwest::Response, status: u16) -> String {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    let body: Value = res.json().await.expect("error body is JSON");
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_string();
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "error.message missing in {body}"
    );
    code
}

impl TestApp {
    /// Mints a valid sign-in token for a user straight from the shared secret (no password check).
    pub async fn mint_token(&self, user_id: impl AsRef<str>) -> String {
        let id = accounts::model::UserId::from(user_id.as_ref());
        let user_id = id.clone();
        let (secret, version) = self
            .db
            .run(move |conn| {
                let secret = accounts::shared_secret(conn, "jwt_hs256")?;
                let user = accounts::get_user(conn, &id)?;
                Ok((secret, user.token_version))
            })
            .await
            .unwrap();
        let keys = accounts::tokens::TokenKeys::from_secret(&secret);
        keys.issue(&user_id, version, chrono::Utc::now()).unwrap().0
    }

    /// The shared HMAC secret of sign-in tokens.
    pub async fn token_secret(&self) -> Vec<u8> {
        self.db
            .run(|conn| accounts::shared_secret(conn, "jwt_hs256"))
            .await
            .unwrap()
    }

    /// The number a `SELECT COUNT(*) AS n …` query returns, straight from the database.
    pub async fn count(&self, sql: impl Into<String>) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = sql.into();
        self.db
            .run(move |conn| {
                use diesel::RunQueryDsl;
                Ok(diesel::sql_query(sql).get_result::<N>(conn)?.n)
            })
            .await
            .unwrap()
    }

    /// Runs one SQL statement straight on the database (to age records in tests).
    pub async fn exec(&self, sql: impl Into<String>) {
        let sql = sql.into();
        self.db
            .run(move |conn| {
                use diesel::RunQueryDsl;
                diesel::sql_query(sql).execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
    }

    /// The newest queued mail of a template to an address, with its decoded context.
    pub async fn last_mail_context(&self, to: &str, template: &str) -> Value {
        let (to, template) = (to.to_string(), template.to_string());
        self.db
            .run(move |conn| {
                let rows = academy::email::store::list(conn, None, 1000)?;
                let row = rows
                    .into_iter()
                    .find(|r| r.to_email == to && r.template == template)
                    .ok_or(academy::error::AppError::NotFound)?;
                Ok(serde_json::from_str(&row.context_json).unwrap())
            })
            .await
            .expect("mail queued")
    }
}

/// Where 1EdTech's official Open Badges 3.0 AchievementCredential JSON schema lies (a data file
/// beside the project, not copied into it).
const OB3_SCHEMA: &str = "../shared/data/ob3/achievementcredential.schema.json";

/// What 1EdTech's official OB 3.0 schema says of a credential's payload, read by an outside
/// JSON Schema validator (boon, formats asserted): `None` where the schema file is absent.
pub fn ob3_schema_verdict(payload: &Value) -> Option<Result<(), String>> {
    let text = std::fs::read_to_string(OB3_SCHEMA).ok()?;
    let schema: Value = serde_json::from_str(&text).expect("the official schema is JSON");
    let id = schema["$id"]
        .as_str()
        .expect("the schema has an $id")
        .to_string();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource(&id, schema).unwrap();
    let index = compiler.compile(&id, &mut schemas).unwrap();
    Some(
        schemas
            .validate(payload, index)
            .map_err(|e| format!("{e:#}")),
    )
}

/// Fails the test, with the validator's own words, unless the payload passes the official
/// OB 3.0 schema. Returns `false`, printing why, only where the schema file is absent.
pub fn assert_valid_ob3(payload: &Value, what: &str) -> bool {
    match ob3_schema_verdict(payload) {
        None => {
            assert!(
                !in_ci(),
                "{what}: CI checks against 1EdTech's schema, but {OB3_SCHEMA} is absent"
            );
            say_skipped(&format!(
                "the OB 3.0 schema check of {what}: {OB3_SCHEMA} is absent"
            ));
            false
        }
        Some(Err(e)) => panic!("{what} fails 1EdTech's OB 3.0 schema:\n{e}\n{payload:#}"),
        Some(Ok(())) => true,
    }
}

/// Says that a test skipped a part and why, on the terminal even while the test harness
/// captures the test's output (a direct write to standard error is not captured), so that
/// `cargo test` shows every skip.
pub fn say_skipped(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {message}");
}

/// Whether CI runs the tests (`CI=true`, as CI runs `.ci/run`): there every outside reader must
/// be present, and a missing one fails the test instead of skipping it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Whether an outside program that a test reads our output with (poppler, LibreOffice, Python,
/// OpenSSL) is on this machine's PATH. Missing: under CI the test fails, naming the package;
/// elsewhere it prints what it skips and why (`SKIPPED …`), and the caller returns.
pub fn outside_tool(program: &str, package: &str, what: &str) -> bool {
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(program)).is_ok_and(|m| {
                m.is_file()
                    && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
            })
        })
    });
    if !found {
        assert!(
            !in_ci(),
            "{what}: `{program}` is required in CI (apt-get install {package}; .ci/run installs it)"
        );
        say_skipped(&format!(
            "{what}: `{program}` is not installed (apt-get install {package})"
        ));
    }
    found
}

/// Whether a Thai font is installed for LibreOffice (fonts-thai-tlwg): without one it writes
/// Thai with a fallback font whose text pdftotext cannot read back.
pub fn thai_font(what: &str) -> bool {
    let found = std::process::Command::new("fc-list")
        .arg(":lang=th")
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    if !found {
        assert!(
            !in_ci(),
            "{what}: a Thai font is required in CI (apt-get install fonts-thai-tlwg)"
        );
        say_skipped(&format!(
            "{what}: no Thai font for LibreOffice (apt-get install fonts-thai-tlwg)"
        ));
    }
    found
}

/// The text of a PDF as poppler's `pdftotext` reads it (an outside reader; `.ci/run` installs
/// poppler-utils); `None`, printing why, where poppler is missing outside CI.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    if !outside_tool(
        "pdftotext",
        "poppler-utils",
        "reading a PDF back with pdftotext",
    ) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by .ci/run");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The names of the files in a ZIP, in order.
pub fn zip_names(bytes: &[u8]) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .collect()
}

/// A DOCX converted to PDF by LibreOffice (headless): an outside reader of our DOCX. `.ci/run`
/// installs libreoffice-writer-nogui and a Thai font; `None`, printing why, where either is
/// missing outside CI.
pub fn docx_to_pdf(docx: &[u8]) -> Option<Vec<u8>> {
    let what = "opening the DOCX in LibreOffice";
    if !outside_tool("soffice", "libreoffice-writer-nogui", what) || !thai_font(what) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.docx");
    std::fs::write(&file, docx).unwrap();
    // A profile of its own, so conversions running side by side do not wait for each other.
    let profile = format!("file://{}", dir.path().join("profile").display());
    let out = std::process::Command::new("soffice")
        .arg(format!("-env:UserInstallation={profile}"))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&file)
        .output()
        .expect("LibreOffice (soffice) is installed by .ci/run");
    let pdf = dir.path().join("report.pdf");
    assert!(
        pdf.exists(),
        "LibreOffice did not convert the DOCX: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(std::fs::read(pdf).unwrap())
}

/// Text as a comparison key that survives PDF text extraction: no whitespace, and no Thai
/// vowel or tone marks (a reader may emit a mark before or after its neighbour, as pdftotext
/// does with LibreOffice's PDFs); consonants, digits and Latin stay in order.
pub fn text_key(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(*c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
        })
        .collect()
}

/// Reads a child's standard output up to the line that holds `marker` followed by a port, and
/// returns that port: the child (`academy serve`: "listening on port ", chromedriver: "on port ")
/// was started on port 0, so nothing else could take the port between choosing and binding. The rest of the output is drained in the background, so the
/// child never blocks on a full pipe. Panics (failing the test) when the child ends first.
pub fn announced_port(stdout: std::process::ChildStdout, marker: &str) -> u16 {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let port = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("the service ended before saying its port; it printed: {seen:?}");
        };
        if let Some(rest) = line.split(marker).nth(1) {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(port) = digits.parse::<u16>() {
                if port != 0 {
                    break port;
                }
            }
        }
        seen.push(line);
    };
    std::thread::spawn(move || lines.for_each(drop));
    port
}

/// Moves the service's clock to one second past the start of its next minute, so a check-in
/// code read now stays the current code for the next 59 seconds (codes turn each minute; a
/// test that read a code and then signed in could straddle the turn).
pub fn align_to_minute(app: &TestApp) {
    use chrono::Timelike;
    let now = app.db.clock().now();
    let to_next = 60 - i64::from(now.second()) + 1;
    app.db.clock().advance(
        chrono::Duration::seconds(to_next)
            - chrono::Duration::nanoseconds(i64::from(now.nanosecond() % 1_000_000_000)),
    );
}

/// The check-in code of a session's secret at a time, computed here from the rule as written
/// (SHA-256 of `secret:minute-number`, first four bytes big-endian, modulo 10^6, six digits),
/// not with the service's own function.
pub fn expected_checkin_code(secret: &str, at: chrono::NaiveDateTime) -> String {
    use sha2::{Digest, Sha256};
    let minute = at.and_utc().timestamp().div_euclid(60);
    let digest = Sha256::digest(format!("{secret}:{minute}").as_bytes());
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    format!("{:06}", n % 1_000_000)
}
