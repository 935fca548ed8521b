//! Storage: one diesel code base over SQLite (default) and PostgreSQL, chosen at run time.

pub mod schema;
pub mod transfer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::AppError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend the database URL selected.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Which storage backend a deployment uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Human name used in logs and the CI output.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A parsed `ACADEMY_DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://relative/path.db` or `sqlite:///absolute/path.db`.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, passed to libpq unchanged.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses a database URL; only `sqlite://`, `postgres://` and `postgresql://` are accepted.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://data/academy.db".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let parsed = url::Url::parse(raw).map_err(|e| format!("not a valid URL: {e}"))?;
            if parsed.path().trim_start_matches('/').is_empty() {
                return Err("the PostgreSQL URL must name a database, e.g. postgres://postgres@127.0.0.1/academy".into());
            }
            return Ok(DatabaseUrl::Postgres(raw.to_string()));
        }
        let scheme = raw.split("://").next().unwrap_or(raw);
        Err(format!(
            "unsupported scheme '{scheme}': use sqlite://PATH or postgres://USER@HOST/DB"
        ))
    }

    /// The backend this URL selects.
    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }
}

/// r2d2 manager that opens the right connection variant and applies the SQLite PRAGMAs.
#[derive(Debug, Clone)]
pub struct DbManager {
    url: DatabaseUrl,
}

impl ManageConnection for DbManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                // One statement each: PRAGMAs inside a batch are not all honoured.
                for pragma in [
                    "PRAGMA busy_timeout = 5000",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                ] {
                    conn.batch_execute(pragma)
                        .map_err(r2d2::Error::QueryError)?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_broken()
    }
}

/// The connection pool plus the backend it serves; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<DbManager>,
    backend: Backend,
    clock: crate::util::Clock,
}

impl Db {
    /// Opens a pool for `url`, creating the SQLite folder or the PostgreSQL database if missing.
    pub fn connect(url: &DatabaseUrl, max_size: u32) -> anyhow::Result<Db> {
        match url {
            DatabaseUrl::Sqlite(path) => prepare_sqlite_folder(path)?,
            DatabaseUrl::Postgres(raw) => ensure_postgres_database(raw)?,
        }
        let pool = r2d2::Pool::builder()
            .max_size(max_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            // A SQLite file connection does not break, so it skips the "SELECT 1" on every
            // checkout (the benchmark showed its cost). PostgreSQL keeps the check: after a
            // database restart, libpq connections are dead and only the check replaces them.
            .test_on_check_out(url.backend() == Backend::Postgres)
            .build(DbManager { url: url.clone() })
            .map_err(|e| anyhow::anyhow!("cannot connect: {e}"))?;
        Ok(Db {
            pool,
            backend: url.backend(),
            clock: crate::util::Clock::default(),
        })
    }

    /// The clock every unit of work on this handle reads through `util::now()`.
    pub fn clock(&self) -> &crate::util::Clock {
        &self.clock
    }

    /// The backend behind this pool.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Takes a connection for synchronous use (CLI commands, start-up, tests).
    pub fn get(&self) -> anyhow::Result<r2d2::PooledConnection<DbManager>> {
        self.pool
            .get()
            .context("taking a database connection from the pool")
    }

    /// For short, read-only, indexed lookups on the hottest public paths (verification by
    /// id): on SQLite it runs `f` at once on the calling thread when a pooled connection is
    /// free, because a read in WAL mode never waits for a writer and takes microseconds, less
    /// than the hand-over to the blocking pool costs. Otherwise (PostgreSQL, whose reads cross
    /// the network, or no free connection) it is [`Db::run`].
    pub async fn read<F, T>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        if self.backend == Backend::Sqlite {
            if let Some(mut conn) = self.pool.try_get() {
                return crate::util::with_clock(&self.clock, || f(&mut conn));
            }
        }
        self.run(f).await
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, never on the async worker.
    pub async fn run<F, T>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let clock = self.clock.clone();
        actix_web::web::block(move || {
            let mut conn = pool
                .get()
                .context("taking a database connection from the pool")?;
            crate::util::with_clock(&clock, || f(&mut conn))
        })
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("blocking task failed: {e}")))?
    }
}

fn prepare_sqlite_folder(path: &Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create folder {}", parent.display()))?;
    }
    // Open once so that an unwritable location fails here with a clear cause.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn ensure_postgres_database(raw: &str) -> anyhow::Result<()> {
    let first_error = match PgConnection::establish(raw) {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    let mut url = url::Url::parse(raw).context("parsing the PostgreSQL URL")?;
    let name = url.path().trim_start_matches('/').to_string();
    url.set_path("/postgres");
    let mut admin = match PgConnection::establish(url.as_str()) {
        Ok(c) => c,
        // The server itself is unreachable: report the original error.
        Err(_) => anyhow::bail!("cannot connect: {}", first_error.to_string().trim()),
    };
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let found: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<diesel::sql_types::Text, _>(&name)
            .get_result(&mut admin)
            .context("looking up the database")?;
    if !found.exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        admin
            .batch_execute(&format!("CREATE DATABASE {quoted}"))
            .with_context(|| format!("creating database {name}"))?;
        tracing::info!(database = %name, "created PostgreSQL database");
    }
    PgConnection::establish(raw)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("cannot connect: {}", e.to_string().trim()))
}

/// Applies every pending migration of the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("applying migrations: {e}"))?;
    Ok(applied.len())
}

/// Runs `f` in a write transaction. On SQLite it begins `IMMEDIATE`, so the write lock is
/// taken up front and waits on `busy_timeout` instead of failing with SQLITE_BUSY on upgrade.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return conn.transaction(f);
    }
    if let DbConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn);
    let DbConnection::Sqlite(c) = conn else {
        return result;
    };
    match result {
        Ok(value) => {
            if let Err(e) =
                <AnsiTransactionManager as TransactionManager<SqliteConnection>>::commit_transaction(
                    c,
                )
            {
                let _ = <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(c);
                return Err(e.into());
            }
            Ok(value)
        }
        Err(e) => {
            <AnsiTransactionManager as TransactionManager<SqliteConnection>>::rollback_transaction(
                c,
            )?;
            Err(e)
        }
    }
}

/// True when the database answers a trivial query.
pub fn ping(conn: &mut DbConnection) -> bool {
    conn.batch_execute("SELECT 1").is_ok()
}

/// Writes a consistent copy of a live SQLite database to `target` with `VACUUM INTO` (never a
/// file copy, so a running service's writes cannot tear it). PostgreSQL deployments use
/// `pg_dump` instead.
pub fn backup_sqlite(conn: &mut DbConnection, target: &Path) -> anyhow::Result<()> {
    let DbConnection::Sqlite(c) = conn else {
        anyhow::bail!("backup is for SQLite; for PostgreSQL use pg_dump (see the README)");
    };
    if target.exists() {
        anyhow::bail!("{} exists already; choose a new file", target.display());
    }
    // A new install has no `data/backups/` yet: the backup makes the folder it is written to.
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the folder {}", dir.display()))?;
    }
    let path = target.to_string_lossy().replace('\'', "''");
    c.batch_execute(&format!("VACUUM INTO '{path}'"))
        .with_context(|| format!("writing the backup to {}", target.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_parsed_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/academy.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("data/academy.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/a.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("/tmp/a.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://postgres@127.0.0.1/academy")
                .unwrap()
                .backend(),
            Backend::Postgres
        );
        let err = DatabaseUrl::parse("mysql://x").unwrap_err();
        assert!(err.contains("mysql"), "{err}");
        assert!(DatabaseUrl::parse("postgres://127.0.0.1").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
