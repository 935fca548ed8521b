//! Tracing subscriber set-up.

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

/// Installs a formatting subscriber on standard output; safe to call more than once. Service
/// entry points are spans at `debug`: with `ACADEMY_LOG=academy=debug` each logs, when it
/// ends, how long it was busy, so a slow request shows where its time went.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .try_init();
}
