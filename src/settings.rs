//! Settings from `ACADEMY_*` environment variables, overridden by command-line flags.

use std::net::ToSocketAddrs;
use std::path::PathBuf;

use clap::Args;

use crate::db::DatabaseUrl;

/// Raw settings as given on the command line or in the environment.
#[derive(Debug, Clone, Args)]
pub struct SettingsArgs {
    /// Database: sqlite://PATH (default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "ACADEMY_DATABASE_URL",
        default_value = "sqlite://data/academy.db",
        global = true
    )]
    pub database_url: String,
    /// Address to listen on (host:port; port 0 picks a free one).
    #[arg(
        long,
        env = "ACADEMY_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,
    /// Public URL used in e-mails, credentials and QR codes (default http://BIND).
    #[arg(long, env = "ACADEMY_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Folder with the course programme, modules and quizzes.
    #[arg(
        long,
        env = "ACADEMY_CONTENT_DIR",
        default_value = "course_content",
        global = true
    )]
    pub content_dir: String,
    /// Folder for local data: the e-mail outbox files (and the SQLite file by default).
    #[arg(long, env = "ACADEMY_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: String,
    /// SMTP server, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@host; unset writes .eml files.
    #[arg(long, env = "ACADEMY_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,
    /// Secret for sign-in tokens; when unset one is generated once and kept in the database.
    #[arg(
        long,
        env = "ACADEMY_JWT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,
    /// `development` (default) or `production` (refuses unsafe defaults).
    #[arg(
        long,
        env = "ACADEMY_ENV",
        default_value = "development",
        global = true
    )]
    pub env: String,
    /// Largest number of database connections this instance opens.
    #[arg(long, env = "ACADEMY_DB_POOL_SIZE", default_value = "8", global = true)]
    pub db_pool_size: String,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "ACADEMY_WORKERS", global = true)]
    pub workers: Option<String>,
    /// Sender of outgoing mail, e.g. `Assessor Academy <noreply@tisi.go.th>`.
    #[arg(
        long,
        env = "ACADEMY_MAIL_FROM",
        default_value = "Assessor Academy <noreply@assessor-academy.localhost>",
        global = true
    )]
    pub mail_from: String,
    /// Tries per mail before it is marked failed.
    #[arg(
        long,
        env = "ACADEMY_MAIL_MAX_ATTEMPTS",
        default_value = "8",
        global = true
    )]
    pub mail_max_attempts: String,
    /// Delay before the first retry, in seconds; it doubles with each further try (at most 1 hour).
    #[arg(
        long,
        env = "ACADEMY_MAIL_RETRY_SECONDS",
        default_value = "30",
        global = true
    )]
    pub mail_retry_seconds: String,
    /// Prefix of credential numbers (`PREFIX-2565-0001`).
    #[arg(
        long,
        env = "ACADEMY_CREDENTIAL_PREFIX",
        default_value = "TISI-S",
        global = true
    )]
    pub credential_prefix: String,
    /// Log filter, e.g. `info` or `academy=debug`.
    #[arg(long, env = "ACADEMY_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed: comma-separated addresses or CIDRs
    /// (e.g. `127.0.0.1,10.0.0.0/8`). Default none: the peer address is the client.
    #[arg(long, env = "ACADEMY_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    /// Public verifications allowed per client per minute.
    #[arg(
        long,
        env = "ACADEMY_VERIFY_RATE_PER_MINUTE",
        default_value = "120",
        global = true
    )]
    pub verify_rate_per_minute: String,
}

/// Where outgoing mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// An SMTP server (`smtp://`, `smtp+starttls://` or `smtps://`).
    Smtp(String),
    /// `.eml` files in a folder (laptop default).
    Files(PathBuf),
    /// Kept in memory; tests only.
    Memory,
}

/// Validated settings; every field has a working default for a laptop.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub bind: String,
    pub base_url: url::Url,
    pub content_dir: PathBuf,
    pub data_dir: PathBuf,
    pub mail: MailTransport,
    pub jwt_secret: Option<String>,
    pub production: bool,
    pub db_pool_size: u32,
    pub workers: usize,
    pub log: String,
    /// Sender mailbox of outgoing mail.
    pub mail_from: lettre::message::Mailbox,
    /// Tries per mail before it is marked failed.
    pub mail_max_attempts: i32,
    /// Delay before the first retry; doubles with each try.
    pub mail_retry_base: std::time::Duration,
    /// Prefix of credential numbers.
    pub credential_prefix: String,
    /// Public verification requests allowed per client per minute.
    pub verify_rate_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Background jobs (mail sending, finalising attempts) tick at this interval.
    pub worker_interval_ms: u64,
    /// How long after start the daily retention purge first runs (a minute; the tests set a
    /// day, so its audit row never lands in the middle of a test that counts rows).
    pub retention_first_run: std::time::Duration,
}

/// A setting that cannot be used, phrased as one line naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("{name}={value}: {problem}")]
pub struct SettingError {
    pub name: &'static str,
    pub value: String,
    pub problem: String,
}

fn bad(name: &'static str, value: &str, problem: impl Into<String>) -> SettingError {
    SettingError {
        name,
        value: value.to_string(),
        problem: problem.into(),
    }
}

impl Settings {
    /// Validates raw settings; the first problem found is returned as one line.
    pub fn from_args(args: &SettingsArgs) -> Result<Settings, SettingError> {
        let database_url = DatabaseUrl::parse(&args.database_url)
            .map_err(|p| bad("ACADEMY_DATABASE_URL", &redact(&args.database_url), p))?;
        if args.bind.to_socket_addrs().is_err() {
            return Err(bad(
                "ACADEMY_BIND",
                &args.bind,
                "not a host:port address, e.g. 127.0.0.1:8080",
            ));
        }
        let base_url = match &args.base_url {
            Some(raw) => {
                let u = url::Url::parse(raw)
                    .map_err(|e| bad("ACADEMY_BASE_URL", raw, format!("not a URL: {e}")))?;
                if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
                    return Err(bad(
                        "ACADEMY_BASE_URL",
                        raw,
                        "must be an http:// or https:// URL with a host",
                    ));
                }
                u
            }
            None => url::Url::parse(&format!("http://{}/", args.bind)).map_err(|e| {
                bad(
                    "ACADEMY_BIND",
                    &args.bind,
                    format!("cannot form a URL: {e}"),
                )
            })?,
        };
        let mail = match args.smtp_url.as_deref().map(str::trim) {
            None | Some("") => MailTransport::Files(PathBuf::from(&args.data_dir).join("outbox")),
            Some("memory") => MailTransport::Memory,
            Some(raw) => {
                let u = url::Url::parse(raw).map_err(|e| {
                    bad("ACADEMY_SMTP_URL", &redact(raw), format!("not a URL: {e}"))
                })?;
                if !matches!(u.scheme(), "smtp" | "smtps" | "smtp+starttls") || u.host().is_none() {
                    return Err(bad(
                        "ACADEMY_SMTP_URL",
                        &redact(raw),
                        "use smtp://HOST:PORT, smtp+starttls://… or smtps://…",
                    ));
                }
                MailTransport::Smtp(raw.to_string())
            }
        };
        let production = match args.env.as_str() {
            "development" | "dev" | "test" => false,
            "production" | "prod" => true,
            other => {
                return Err(bad(
                    "ACADEMY_ENV",
                    other,
                    "must be development or production",
                ))
            }
        };
        let db_pool_size: u32 = args
            .db_pool_size
            .parse()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| {
                bad(
                    "ACADEMY_DB_POOL_SIZE",
                    &args.db_pool_size,
                    "must be a whole number from 1 to 200",
                )
            })?;
        let workers = match &args.workers {
            None => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            Some(raw) => raw
                .parse()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| {
                    bad(
                        "ACADEMY_WORKERS",
                        raw,
                        "must be a whole number from 1 to 256",
                    )
                })?,
        };
        let mail_from: lettre::message::Mailbox = args.mail_from.parse().map_err(|e| {
            bad(
                "ACADEMY_MAIL_FROM",
                &args.mail_from,
                format!("not a mailbox: {e}"),
            )
        })?;
        let mail_max_attempts: i32 = args
            .mail_max_attempts
            .parse()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                bad(
                    "ACADEMY_MAIL_MAX_ATTEMPTS",
                    &args.mail_max_attempts,
                    "must be a whole number from 1 to 100",
                )
            })?;
        let mail_retry_seconds: u64 = args
            .mail_retry_seconds
            .parse()
            .ok()
            .filter(|n| (1..=3600).contains(n))
            .ok_or_else(|| {
                bad(
                    "ACADEMY_MAIL_RETRY_SECONDS",
                    &args.mail_retry_seconds,
                    "must be a whole number from 1 to 3600",
                )
            })?;
        let prefix = args.credential_prefix.trim();
        if prefix.is_empty()
            || prefix.len() > 20
            || !prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(bad(
                "ACADEMY_CREDENTIAL_PREFIX",
                prefix,
                "use 1–20 of A-Z, 0-9 and -",
            ));
        }
        if let Some(secret) = &args.jwt_secret {
            if secret.len() < 32 {
                return Err(bad(
                    "ACADEMY_JWT_SECRET",
                    "(hidden)",
                    "must be at least 32 characters",
                ));
            }
        }
        let verify_rate_per_minute: u32 = args
            .verify_rate_per_minute
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| {
                bad(
                    "ACADEMY_VERIFY_RATE_PER_MINUTE",
                    &args.verify_rate_per_minute,
                    "must be a whole number from 1 to 1000000",
                )
            })?;
        let trusted_proxies = match &args.trusted_proxies {
            None => Vec::new(),
            Some(raw) => parse_proxies(raw).map_err(|item| {
                bad(
                    "ACADEMY_TRUSTED_PROXIES",
                    raw,
                    format!("'{item}' is not an IP address or CIDR (e.g. 127.0.0.1 or 10.0.0.0/8)"),
                )
            })?,
        };
        let log = parse_log(&args.log).map_err(|m| bad("ACADEMY_LOG", &args.log, m))?;
        if production {
            if base_url.scheme() != "https" && args.base_url.is_some() {
                return Err(bad(
                    "ACADEMY_BASE_URL",
                    base_url.as_str(),
                    "production needs an https:// public URL: sign-in cookies are Secure and \
                     credentials name this URL as their issuer",
                ));
            }
            if !matches!(mail, MailTransport::Smtp(_)) {
                return Err(bad(
                    "ACADEMY_SMTP_URL",
                    "(unset)",
                    "production needs a real SMTP server",
                ));
            }
            if args.base_url.is_none() {
                return Err(bad(
                    "ACADEMY_BASE_URL",
                    "(unset)",
                    "production needs the public URL of the service",
                ));
            }
        }
        Ok(Settings {
            database_url,
            bind: args.bind.clone(),
            base_url,
            content_dir: PathBuf::from(&args.content_dir),
            data_dir: PathBuf::from(&args.data_dir),
            mail,
            jwt_secret: args.jwt_secret.clone(),
            production,
            db_pool_size,
            workers,
            log,
            mail_from,
            mail_max_attempts,
            mail_retry_base: std::time::Duration::from_secs(mail_retry_seconds),
            credential_prefix: prefix.to_string(),
            verify_rate_per_minute,
            trusted_proxies,
            worker_interval_ms: 1000,
            retention_first_run: std::time::Duration::from_secs(60),
        })
    }
}

/// Parses a comma-separated list of IP addresses and CIDRs; the bad item on error.
pub fn parse_proxies(raw: &str) -> Result<Vec<ipnet::IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| item.to_string())
        })
        .collect()
}

/// Hides a password inside a URL before it is printed.
pub fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

/// Checks `ACADEMY_LOG`: a level (`error`, `warn`, `info`, `debug`, `trace`, `off`) or
/// comma-separated directives such as `info,academy=debug`. A bare word that is not a level
/// would silently log nothing of ours, so it is refused.
pub fn parse_log(raw: &str) -> Result<String, String> {
    const LEVELS: [&str; 6] = ["error", "warn", "info", "debug", "trace", "off"];
    let raw = raw.trim();
    let ok = !raw.is_empty()
        && raw
            .split(',')
            .map(str::trim)
            .all(|d| match d.split_once('=') {
                Some((target, level)) => {
                    !target.is_empty()
                        && target
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-'))
                        && LEVELS.contains(&level.trim().to_ascii_lowercase().as_str())
                }
                None => LEVELS.contains(&d.to_ascii_lowercase().as_str()),
            });
    if ok && tracing_subscriber::EnvFilter::try_new(raw).is_ok() {
        Ok(raw.to_string())
    } else {
        Err(
            "use a level (error, warn, info, debug, trace, off) or directives like \
             info,academy=debug"
                .into(),
        )
    }
}

#[cfg(test)]
mod log_tests {
    #[test]
    fn log_settings_are_levels_or_directives() {
        for good in [
            "info",
            "warn",
            "academy=debug",
            "info,academy=debug",
            "ERROR",
        ] {
            assert!(super::parse_log(good).is_ok(), "{good}");
        }
        for bad in ["garbage", "", "info,garbage", "academy=loud", "=debug"] {
            assert!(super::parse_log(bad).is_err(), "{bad}");
        }
    }
}
