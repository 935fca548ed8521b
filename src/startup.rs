//! Building and running the application: database, migrations, state, HTTP server.

use std::net::TcpListener;

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use std::sync::Arc;
use std::time::Duration;

use crate::accounts::{self, tokens::TokenKeys};
use crate::db::{self, DatabaseUrl, Db};
use crate::email::{mailer::Mailer, worker};
use crate::http::{self, middleware, AppState};
use crate::settings::{redact, Settings};

/// A bound, ready-to-run service.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    db: Db,
    base_url: url::Url,
    mailer: Arc<Mailer>,
    mail_worker: worker::WorkerConfig,
    templates: Arc<tera::Tera>,
    issuer: crate::credentials::Issuer,
    course: Arc<crate::course::model::Course>,
    retention_first_run: Duration,
}

fn database_label(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        DatabaseUrl::Postgres(raw) => redact(raw),
    }
}

/// Opens the database and applies pending migrations; errors name `ACADEMY_DATABASE_URL`.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let url = settings.database_url.clone();
    let label = database_label(&url);
    let pool_size = settings.db_pool_size;
    tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
        let db = Db::connect(&url, pool_size)?;
        let mut conn = db.get()?;
        let applied = db::run_migrations(&mut conn)?;
        if applied > 0 {
            tracing::info!(applied, backend = db.backend().name(), "applied migrations");
        }
        Ok(db)
    })
    .await
    .context("database start-up task")?
    .map_err(|e| anyhow::anyhow!("ACADEMY_DATABASE_URL={label}: {e:#}"))
}

impl Application {
    /// Connects, migrates, loads shared secrets and templates, and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = open_database(&settings).await?;
        let secret = match &settings.jwt_secret {
            Some(s) => s.as_bytes().to_vec(),
            None => {
                let db = db.clone();
                db.run(|conn| accounts::shared_secret(conn, "jwt_hs256"))
                    .await
                    .map_err(|e| anyhow::anyhow!("loading the token secret: {e}"))?
            }
        };
        let templates = http::ui::load_templates()?;
        let mailer = Arc::new(Mailer::from_settings(&settings.mail)?);
        let listener = TcpListener::bind(&settings.bind).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::AddrInUse => "the address is already in use".to_string(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => e.to_string(),
            };
            anyhow::anyhow!("ACADEMY_BIND={}: cannot listen: {why}", settings.bind)
        })?;
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();
        let mut settings = settings;
        if settings.base_url.port() == Some(0) {
            let _ = settings.base_url.set_port(Some(port));
        }
        let base_url = settings.base_url.clone();
        let workers = settings.workers;
        let retention_first_run = settings.retention_first_run;
        let mail_worker = worker::WorkerConfig {
            worker_id: uuid::Uuid::new_v4().to_string(),
            from: settings.mail_from.clone(),
            base_url: base_url.clone(),
            interval: Duration::from_millis(settings.worker_interval_ms),
            max_attempts: settings.mail_max_attempts,
            retry_base: settings.mail_retry_base,
            batch: 20,
        };
        let templates = Arc::new(templates);
        let course = load_content(&settings.content_dir).await?;
        let synced = {
            let c = course.clone();
            db.run(move |conn| crate::course::sync_course(conn, &c))
                .await
                .map_err(|e| anyhow::anyhow!("recording course revisions: {e}"))?
        };
        if synced.new_module_revisions + synced.new_quiz_revisions > 0 {
            tracing::info!(
                modules = synced.new_module_revisions,
                quizzes = synced.new_quiz_revisions,
                "recorded new content revisions"
            );
        }
        {
            let c = course.clone();
            db.run(move |conn| crate::governance::record_scheme(conn, &c))
                .await
                .map_err(|e| anyhow::anyhow!("certification scheme: {e}"))?;
        }
        let programmes = vec![course.programme.id.clone()];
        let (kid, created) = db
            .run(crate::credentials::keys::ensure)
            .await
            .map_err(|e| anyhow::anyhow!("preparing the credential signing key: {e}"))?;
        if created {
            tracing::info!(kid = %kid, "generated the first credential signing key");
        }
        let issuer = crate::credentials::Issuer {
            base_url: base_url.clone(),
            prefix: settings.credential_prefix.clone(),
        };
        let issuer_for_jobs = issuer.clone();
        let course_for_jobs = course.clone();
        let state = web::Data::new(AppState {
            programmes,
            course,
            issuer,
            verify_limiter: crate::http::ratelimit::RateLimiter::new(
                settings.verify_rate_per_minute,
                Duration::from_secs(60),
            ),
            db: db.clone(),
            settings,
            csrf_key: {
                use sha2::Digest;
                sha2::Sha256::digest([b"assessor-academy csrf v1:".as_slice(), &secret].concat())
                    .into()
            },
            tokens: TokenKeys::from_secret(&secret),
            templates: templates.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(middleware::same_origin_only))
                .wrap(middleware::security_headers())
                .wrap(from_fn(middleware::request_id))
                .configure(http::configure)
        })
        .workers(workers)
        .listen(listener)
        .context("starting the HTTP server")?
        .run();
        Ok(Application {
            port,
            server,
            db,
            base_url,
            mailer,
            mail_worker,
            templates,
            issuer: issuer_for_jobs,
            course: course_for_jobs,
            retention_first_run,
        })
    }

    /// The port the listener is bound to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The public URL of the service.
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// The database pool (for start-up messages and tests).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The mail transport (tests read the in-memory one).
    pub fn mailer(&self) -> Arc<Mailer> {
        self.mailer.clone()
    }

    /// A handle that stops the server (and with it the background jobs).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves, with the background jobs running, until the server is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let mail = tokio::spawn(worker::run(
            self.db.clone(),
            self.mailer.clone(),
            self.templates.clone(),
            self.mail_worker.clone(),
        ));
        let finaliser = tokio::spawn(finalise_overdue_attempts(
            self.db.clone(),
            self.mail_worker.interval,
        ));
        let reminders = tokio::spawn(expiry_reminders(
            self.db.clone(),
            self.issuer.clone(),
            self.course.clone(),
            self.mail_worker.interval,
        ));
        let retention = tokio::spawn(retention_purge(self.db.clone(), self.retention_first_run));
        let result = self.server.await;
        mail.abort();
        finaliser.abort();
        reminders.abort();
        retention.abort();
        result
    }
}

/// Every problem of an invalid content folder, one `file:line: message` per line.
#[derive(Debug)]
pub struct ContentInvalid {
    pub dir: std::path::PathBuf,
    pub problems: Vec<crate::course::model::Problem>,
}

impl std::fmt::Display for ContentInvalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "ACADEMY_CONTENT_DIR={}: the course content has {} problem(s):",
            self.dir.display(),
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "{}/{p}", self.dir.display())?;
        }
        Ok(())
    }
}

impl std::error::Error for ContentInvalid {}

/// Loads and validates the content folder on a blocking thread.
pub async fn load_content(
    dir: &std::path::Path,
) -> anyhow::Result<Arc<crate::course::model::Course>> {
    let d = dir.to_path_buf();
    if !d.join("programme.toml").is_file() {
        anyhow::bail!(
            "ACADEMY_CONTENT_DIR={}: no programme.toml there (point it at the course_content folder)",
            d.display()
        );
    }
    let loaded = tokio::task::spawn_blocking(move || crate::course::loader::load_course(&d))
        .await
        .context("loading course content")?;
    match loaded {
        Ok(course) => Ok(Arc::new(course)),
        Err(problems) => Err(ContentInvalid {
            dir: dir.to_path_buf(),
            problems,
        }
        .into()),
    }
}

/// Background job: closes and grades attempts left open past their deadline, also those
/// left over from before a restart. Safe in every instance at once (grading is conditional).
async fn finalise_overdue_attempts(db: Db, interval: Duration) {
    loop {
        match db.run(crate::quizzes::finalise_overdue).await {
            Ok(n) if n > 0 => tracing::info!(finalised = n, "closed overdue attempts"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "finalising overdue attempts failed"),
        }
        tokio::time::sleep(interval.max(Duration::from_millis(200))).await;
    }
}

/// Background job: reminds holders when their credential enters the scheme's renewal window
/// (once each).
async fn expiry_reminders(
    db: Db,
    issuer: crate::credentials::Issuer,
    course: Arc<crate::course::model::Course>,
    interval: Duration,
) {
    loop {
        let (i, c) = (issuer.clone(), course.clone());
        match db
            .run(move |conn| crate::credentials::send_expiry_reminders(conn, &i, &c))
            .await
        {
            Ok(n) if n > 0 => tracing::info!(reminders = n, "queued expiry reminders"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "expiry reminders failed"),
        }
        // Hourly is plenty for a 90-day notice; tests run with a short interval.
        tokio::time::sleep((interval * 60).min(Duration::from_secs(3600))).await;
    }
}

/// Background job: applies the retention rules once a day (a minute after start, then daily).
async fn retention_purge(db: Db, first_run: Duration) {
    tokio::time::sleep(first_run).await;
    loop {
        match db
            .run(|conn| crate::governance::retention::purge(conn, crate::util::now(), false))
            .await
        {
            Ok(report) => {
                let removed: i64 = report.iter().map(|r| r.removed).sum();
                if removed > 0 {
                    tracing::info!(removed, "retention rules applied");
                }
            }
            Err(e) => tracing::warn!(error = %e, "applying the retention rules failed"),
        }
        tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    }
}
