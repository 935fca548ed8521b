use std::io::{BufRead, Read};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use academy::accounts::{self, model, NewUser};
use academy::settings::{Settings, SettingsArgs};
use academy::startup::{open_database, Application};

/// Assessor Academy: training and certification of TIS-S assessors.
#[derive(Parser)]
#[command(name = "academy", version, about)]
struct Cli {
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Manage the credential signing keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Work with credentials.
    Credential {
        #[command(subcommand)]
        action: CredentialAction,
    },
    /// Write a consistent online copy of the SQLite database to PATH (the service may run).
    Backup {
        /// The new backup file.
        path: std::path::PathBuf,
    },
    /// Write every row of the database to FILE (JSON Lines; gzip when FILE ends in .gz), from
    /// one consistent snapshot; the service may keep running.
    Export {
        /// The new export file.
        file: std::path::PathBuf,
    },
    /// Load an export into the configured database, which must be new (no rows); e.g. to move
    /// a SQLite install onto PostgreSQL. All or nothing.
    Import {
        /// An export written by `academy export`.
        file: std::path::PathBuf,
    },
    /// Apply the retention rules now (the service also does this daily): print what each rule
    /// removes. With --dry-run, only count.
    Purge {
        /// Count what would be removed; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Seed a demo programme run on a fresh database (data/demo.db by default), print the
    /// sign-in details, then serve.
    Demo,
    /// Work with course content.
    Content {
        #[command(subcommand)]
        action: ContentAction,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Create the signing key if there is none (the service also does this on first start).
    Generate,
    /// Create a new active key; credentials signed by older keys keep verifying.
    Rotate,
}

#[derive(Subcommand)]
enum CredentialAction {
    /// Verify a credential JWT offline against the issuer's public keys; exit 1 if not valid.
    Verify {
        /// A file holding the JWT, or - for standard input.
        file: String,
        /// The issuer's JWKS: a file, or an http:// URL (default: ACADEMY_BASE_URL/.well-known/jwks.json).
        #[arg(long)]
        jwks: Option<String>,
        /// The issuer to expect, e.g. https://academy.example.org/issuer (default:
        /// ACADEMY_BASE_URL/issuer when ACADEMY_BASE_URL is set; otherwise any, printed).
        #[arg(long)]
        issuer: Option<String>,
    },
}

#[derive(Subcommand)]
enum ContentAction {
    /// Validate a course_content folder; prints `file:line: message` per problem, exit 1 on any.
    Check {
        /// The folder (default: ACADEMY_CONTENT_DIR).
        dir: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Create an administrator of the TISI head office.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Office code (default TISI).
        #[arg(long, default_value = "TISI")]
        office: String,
    },
}

fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_args(&cli.settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    academy::telemetry::init(&settings.log);
    let result = actix_web::rt::System::new().block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Migrate => migrate(settings).await,
            Command::Admin {
                action:
                    AdminAction::Create {
                        email,
                        name,
                        office,
                        ..
                    },
            } => create_admin(settings, email, name, office).await,
            Command::Keys { action } => keys(settings, action).await,
            Command::Demo => demo(settings).await,
            Command::Backup { path } => {
                let db = open_database(&settings).await?;
                let target = path.clone();
                db.run(move |conn| {
                    academy::db::backup_sqlite(conn, &target)
                        .map_err(|e| academy::error::AppError::invalid(format!("{e:#}")))
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("Backup written to {}", path.display());
                Ok(())
            }
            Command::Export { file } => export(settings, file).await,
            Command::Import { file } => import(settings, file).await,
            Command::Purge { dry_run } => purge(settings, dry_run).await,
            Command::Credential {
                action: CredentialAction::Verify { file, jwks, issuer },
            } => {
                let source =
                    jwks.unwrap_or_else(|| format!("{}.well-known/jwks.json", settings.base_url));
                let issuer = issuer.or_else(|| {
                    std::env::var("ACADEMY_BASE_URL")
                        .ok()
                        .map(|_| format!("{}issuer", settings.base_url))
                });
                verify_credential(&file, &source, issuer.as_deref())
            }
            Command::Content {
                action: ContentAction::Check { dir },
            } => check_content(dir.unwrap_or(settings.content_dir)),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e)
            if e.downcast_ref::<academy::startup::ContentInvalid>()
                .is_some() =>
        {
            eprint!("{e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

async fn purge(settings: Settings, dry_run: bool) -> anyhow::Result<()> {
    let db = open_database(&settings).await?;
    println!(
        "Applying the retention rules{}…",
        if dry_run {
            " (dry run: nothing is removed)"
        } else {
            ""
        }
    );
    let report = db
        .run(move |conn| {
            academy::governance::retention::purge(conn, chrono::Utc::now().naive_utc(), dry_run)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"));
    // The pool's threads are told to stop now, while the report is printed, not at exit.
    drop(db);
    let report = report?;
    for rule in academy::governance::retention::RULES {
        println!("- {}: {}", rule.records, rule.rule);
        for line in report.iter().filter(|p| p.rule == rule.key) {
            println!(
                "    {:<24} {:>8} {}",
                line.table,
                line.removed,
                if dry_run { "would go" } else { "removed" }
            );
        }
    }
    let total: i64 = report.iter().map(|p| p.removed).sum();
    println!(
        "{total} rows {}.",
        if dry_run {
            "would be removed"
        } else {
            "removed"
        }
    );
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    let backend = app.db().backend().name();
    // The port is read back from the listener: with ACADEMY_BIND=…:0 the system chose it, and a
    // supervisor (or a test) learns it from this line.
    println!(
        "Assessor Academy is serving at {} ({backend}; listening on port {})",
        app.base_url(),
        app.port()
    );
    let admins = app.db().run(accounts::count_admins).await.unwrap_or(1);
    if admins == 0 {
        println!("No administrator yet. Create the first one with:");
        println!(
            "  academy admin create --email you@example.org --name \"Your Name\" --password-stdin"
        );
    }
    app.run_until_stopped().await?;
    Ok(())
}

fn is_gzip(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

async fn export(settings: Settings, file: std::path::PathBuf) -> anyhow::Result<()> {
    use anyhow::Context;
    let db = open_database(&settings).await?;
    let backend = db.backend().name();
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .with_context(|| format!("cannot create {} (it must not exist yet)", file.display()))?;
    let path = file.clone();
    let summary = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut conn = db.get()?;
        let mut plain = std::io::BufWriter::new(created);
        let mut report = |table: &str, n: i64| eprintln!("  {table:<20} {n:>9} rows");
        let summary = if is_gzip(&path) {
            let mut gz = flate2::write::GzEncoder::new(&mut plain, flate2::Compression::default());
            let summary = academy::db::transfer::export(&mut conn, &mut gz, &mut report)?;
            gz.finish()?;
            summary
        } else {
            academy::db::transfer::export(&mut conn, &mut plain, &mut report)?
        };
        std::io::Write::flush(&mut plain)?;
        Ok(summary)
    })
    .await
    .context("export task")?;
    match summary {
        Ok(s) => {
            println!(
                "Exported {} rows of {} tables from {backend} to {}.",
                s.total(),
                s.tables.len(),
                file.display()
            );
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&file);
            Err(e)
        }
    }
}

async fn import(settings: Settings, file: std::path::PathBuf) -> anyhow::Result<()> {
    use anyhow::Context;
    let opened =
        std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let db = open_database(&settings).await?;
    let backend = db.backend().name();
    let gz = is_gzip(&file);
    let summary = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut conn = db.get()?;
        let raw = std::io::BufReader::new(opened);
        let mut input: Box<dyn std::io::BufRead> = if gz {
            Box::new(std::io::BufReader::new(flate2::read::GzDecoder::new(raw)))
        } else {
            Box::new(raw)
        };
        academy::db::transfer::import(&mut conn, &mut input, &mut |table, n| {
            eprintln!("  {table:<20} {n:>9} rows");
        })
    })
    .await
    .context("import task")??;
    println!(
        "Imported {} rows of {} tables into {backend}; every table's count matches the export.",
        summary.total(),
        summary.tables.len()
    );
    Ok(())
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let db = open_database(&settings).await?;
    println!("Database is up to date ({}).", db.backend().name());
    Ok(())
}

async fn create_admin(
    settings: Settings,
    email: String,
    name: String,
    office: String,
) -> anyhow::Result<()> {
    let mut input = String::new();
    // One line: typing the password and Enter is enough; a longer input is cut, then refused.
    std::io::stdin()
        .lock()
        .take(4096)
        .read_line(&mut input)
        .map_err(|e| anyhow::anyhow!("reading the password from standard input: {e}"))?;
    let password = input.lines().next().unwrap_or("").to_string();
    let email = model::EmailAddress::parse(&email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
    let name = model::PersonName::parse(&name).map_err(|m| anyhow::anyhow!("--name: {m}"))?;
    let password =
        model::NewPassword::parse(&password).map_err(|m| anyhow::anyhow!("password: {m}"))?;
    let office_code =
        accounts::parse_office_code(&office).map_err(|e| anyhow::anyhow!("--office: {e}"))?;
    let db = open_database(&settings).await?;
    let base_url = settings.base_url.clone();
    let user = db
        .run(move |conn| {
            let hash = accounts::hash_password(&password)?;
            accounts::create_user(
                conn,
                &NewUser {
                    email,
                    name,
                    name_en: None,
                    role: model::Role::Admin,
                    office_code,
                    language: model::Language::Th,
                    password_hash: Some(hash),
                },
                &base_url,
            )
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Created administrator {} ({}).", user.email, user.id);
    Ok(())
}

fn check_content(dir: std::path::PathBuf) -> anyhow::Result<()> {
    match academy::course::loader::load_course(&dir) {
        Ok(course) => {
            let questions: usize = course.quizzes.iter().map(|q| q.questions.len()).sum();
            println!(
                "{}: ok: programme {} with {} scopes, {} modules, {} quizzes, {} questions",
                dir.display(),
                course.programme.id,
                course.programme.scopes.len(),
                course.modules.len(),
                course.quizzes.len(),
                questions
            );
            for q in &course.quizzes {
                for w in academy::quizzes::lint::key_warnings(q) {
                    println!("quizzes/{}.toml:1: {w}", q.slug);
                }
            }
            near_duplicates(&dir, &course)
        }
        Err(problems) => {
            for p in &problems {
                println!("{p}");
            }
            anyhow::bail!("{}: {} problem(s)", dir.display(), problems.len())
        }
    }
}

/// Reports items of the quizzes the scheme names that nearly repeat one another, with file and
/// line; fails when one of the pair is in a final assessment (a quiz drawn from a blueprint),
/// which must test on cases the trainee has not already seen.
fn near_duplicates(
    dir: &std::path::Path,
    course: &academy::course::model::Course,
) -> anyhow::Result<()> {
    use academy::quizzes::lint;
    let named: std::collections::BTreeSet<&str> = course
        .programme
        .scopes
        .iter()
        .flat_map(|s| s.required_quizzes.iter().chain(&s.recert_quizzes))
        .map(String::as_str)
        .collect();
    let quizzes: Vec<&academy::quizzes::model::Quiz> = course
        .quizzes
        .iter()
        .filter(|q| named.contains(q.slug.as_str()))
        .collect();
    let text = |slug: &str| {
        std::fs::read_to_string(dir.join("quizzes").join(format!("{slug}.toml")))
            .unwrap_or_default()
    };
    let is_final = |slug: &str| {
        quizzes
            .iter()
            .any(|q| q.slug == slug && !q.blueprint.is_empty())
    };
    let mut failing = 0;
    for d in lint::near_duplicates(&quizzes) {
        let (a, b) = (&d.first, &d.second);
        let line_a = lint::line_of_question(&text(&a.0), &a.1);
        let line_b = lint::line_of_question(&text(&b.0), &b.1);
        let fails = is_final(&a.0) || is_final(&b.0);
        failing += usize::from(fails);
        println!(
            "quizzes/{}.toml:{line_a}: {}: item {} nearly repeats {} at quizzes/{}.toml:{line_b} \
             (similarity {:.2}, threshold {:.2}){}",
            a.0,
            if fails { "error" } else { "warning" },
            a.1,
            b.1,
            b.0,
            d.similarity,
            lint::NEAR_DUPLICATE,
            if fails {
                "; a final assessment must not repeat another quiz's item"
            } else {
                ""
            }
        );
    }
    if failing > 0 {
        anyhow::bail!(
            "{}: {failing} near-duplicate item(s) in a final assessment",
            dir.display()
        );
    }
    Ok(())
}

async fn keys(settings: Settings, action: KeysAction) -> anyhow::Result<()> {
    let db = open_database(&settings).await?;
    match action {
        KeysAction::Generate => {
            let (kid, created) = db
                .run(academy::credentials::keys::ensure)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if created {
                println!("Created signing key {kid}.");
            } else {
                println!("A signing key exists already: {kid} (use 'academy keys rotate' for a new one).");
            }
        }
        KeysAction::Rotate => {
            let kid = db
                .run(academy::credentials::keys::rotate)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("New active signing key {kid}; older keys keep verifying what they signed.");
        }
    }
    Ok(())
}

fn verify_credential(
    file: &str,
    jwks_source: &str,
    expected_issuer: Option<&str>,
) -> anyhow::Result<()> {
    let jwt = if file == "-" {
        let mut s = String::new();
        std::io::stdin().take(1024 * 1024).read_to_string(&mut s)?;
        s
    } else {
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{file}: {e}"))?
    };
    let jwks = academy::credentials::offline::load_jwks(jwks_source)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match academy::credentials::offline::verify(&jwt, &jwks, expected_issuer) {
        Ok(r) => {
            let name = r.claims.get("name").and_then(|v| v.as_str()).unwrap_or("");
            let number = r
                .claims
                .pointer("/credentialSubject/achievement/humanCode")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            println!("signature: valid (key {})", r.kid);
            println!(
                "issuer: {}",
                r.claims.get("iss").and_then(|v| v.as_str()).unwrap_or("")
            );
            println!("credential: {number} {name}");
            println!(
                "validFrom: {}",
                r.claims
                    .get("validFrom")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
            );
            println!(
                "validUntil: {}",
                r.claims
                    .get("validUntil")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
            );
            println!("dates: {}", r.status);
            let listed = academy::credentials::offline::check_status(
                &r.claims,
                &jwks,
                academy::credentials::offline::fetch,
            );
            match &listed {
                Ok(None) => println!("status lists: neither revoked nor suspended"),
                Ok(Some(s)) => println!("status lists: {s}"),
                Err(e) => println!(
                    "status lists: not checked ({e}); check online at the credential's verification page"
                ),
            }
            if let Ok(Some(s)) = listed {
                anyhow::bail!("the credential is {s}")
            }
            if r.status == academy::credentials::model::CredentialStatus::Active {
                Ok(())
            } else {
                anyhow::bail!("the credential is {}", r.status)
            }
        }
        Err(e) => {
            println!("signature: NOT valid");
            anyhow::bail!("{e}")
        }
    }
}

async fn demo(mut settings: Settings) -> anyhow::Result<()> {
    // Keep the demo away from a real database unless one is named explicitly.
    if settings.database_url == academy::db::DatabaseUrl::Sqlite("data/academy.db".into()) {
        settings.database_url = academy::db::DatabaseUrl::Sqlite("data/demo.db".into());
    }
    // Asked before the service starts: starting writes a signing key, secrets, content
    // revisions and the scheme version, which a refused database must not get.
    let db = academy::startup::open_database(&settings).await?;
    db.run(academy::demo::refuse_real_data)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(db);
    let course = academy::startup::load_content(&settings.content_dir).await?;
    let prefix = settings.credential_prefix.clone();
    println!("Preparing the demo (four cohorts from FY2565 to now, with their progress)…");
    let app = Application::build(settings).await?;
    let issuer = academy::credentials::Issuer {
        base_url: app.base_url().clone(),
        prefix,
    };
    let accounts = app
        .db()
        .run(move |conn| academy::demo::seed(conn, &course, &issuer))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!();
    println!("Assessor Academy demo is serving at {}", app.base_url());
    if !accounts.seeded {
        println!("(the demo data was already there; nothing was added)");
    }
    println!("Sign in with password {} as:", accounts.password);
    println!("  admin       {}", accounts.admin);
    println!("  instructor  {}", accounts.instructor);
    println!(
        "  trainee     {} (just joined the current cohort)",
        accounts.trainee
    );
    println!(
        "  trainee     {} (half-way through it)",
        accounts.trainee_halfway
    );
    println!(
        "The current cohort: {}cohorts/{}",
        app.base_url(),
        accounts.current_cohort_id
    );
    println!(
        "The first generation (FY2565, closed): {}cohorts/{}",
        app.base_url(),
        accounts.cohort_id
    );
    app.run_until_stopped().await?;
    Ok(())
}
