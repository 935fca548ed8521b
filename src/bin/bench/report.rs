//! Results: one row per (phase, request kind), ratios to the ceiling, targets, and the report
//! written as JSON and Markdown to `target/bench/`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

/// Latencies and errors of one request kind in one phase.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub phase: String,
    pub kind: String,
    /// Responses with the expected status.
    pub ok: u64,
    /// Transport failures and unexpected statuses.
    pub errors: u64,
    /// Wall time of the phase.
    pub secs: f64,
    /// `ok / secs`: for the closed-loop phases this is the throughput; for the burst it is the
    /// rate the simulated trainees asked for.
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The first few error messages.
    pub error_samples: Vec<String>,
}

/// The row of a phase and kind.
pub fn find<'a>(rows: &'a [Row], phase: &str, kind: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.phase == phase && r.kind == kind)
}

/// Nearest-rank percentile of sorted values (0 for none).
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Microseconds as milliseconds.
pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// A measured value compared with a target.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub name: String,
    pub target: String,
    pub measured: String,
    pub pass: bool,
}

/// A result as a ratio to a ceiling (or another result).
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub name: String,
    pub numerator: f64,
    pub denominator: f64,
    pub value: f64,
    /// e.g. `>= 0.40`; `None` when the ratio is informative only.
    pub target: Option<String>,
    pub pass: Option<bool>,
}

impl Ratio {
    pub fn new(name: &str, numerator: f64, denominator: f64) -> Ratio {
        Ratio {
            name: name.into(),
            numerator,
            denominator,
            value: if denominator > 0.0 {
                numerator / denominator
            } else {
                0.0
            },
            target: None,
            pass: None,
        }
    }

    /// With a target "at least `min`".
    pub fn at_least(mut self, min: f64) -> Ratio {
        self.target = Some(format!(">= {min:.2}"));
        self.pass = Some(self.value >= min);
        self
    }

    /// With a target "at most `max`".
    pub fn at_most(mut self, max: f64) -> Ratio {
        self.target = Some(format!("<= {max:.2}"));
        self.pass = Some(self.denominator > 0.0 && self.value <= max);
        self
    }
}

/// The Markdown table of request rows.
pub fn rows_table(rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| phase | request | ok | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            r.phase, r.kind, r.ok, r.errors, r.rps, r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms
        );
    }
    s
}

/// The Markdown table of ratios.
pub fn ratios_table(ratios: &[Ratio]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| ratio | value | of | target | pass |");
    let _ = writeln!(s, "|---|---:|---|---|---|");
    for r in ratios {
        let _ = writeln!(
            s,
            "| {} | {:.3} | {:.1} / {:.1} | {} | {} |",
            r.name,
            r.value,
            r.numerator,
            r.denominator,
            r.target.as_deref().unwrap_or("(info)"),
            match r.pass {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "",
            }
        );
    }
    s
}

/// The Markdown table of targets.
pub fn targets_table(targets: &[Target]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| target | required | measured | pass |");
    let _ = writeln!(s, "|---|---|---|---|");
    for t in targets {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            t.name,
            t.target,
            t.measured,
            if t.pass { "yes" } else { "**no**" }
        );
    }
    s
}

/// Error samples of every row that has errors.
pub fn error_samples(rows: &[Row]) -> String {
    let mut s = String::new();
    for r in rows.iter().filter(|r| r.errors > 0) {
        let _ = writeln!(s, "- {}/{}: {} errors", r.phase, r.kind, r.errors);
        for e in &r.error_samples {
            let one_line: String = e.split_whitespace().collect::<Vec<_>>().join(" ");
            let _ = writeln!(s, "  - `{}`", one_line.replace('`', "'"));
        }
    }
    s
}

/// `target/bench` next to the `release` (or `debug`) folder holding this binary; else
/// `target/bench` under the current folder.
pub fn out_dir() -> PathBuf {
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        let profile_dir = exe.parent()?;
        let name = profile_dir.file_name()?.to_str()?;
        if name == "release" || name == "debug" {
            Some(profile_dir.parent()?.join("bench"))
        } else {
            None
        }
    });
    from_exe.unwrap_or_else(|| PathBuf::from("target").join("bench"))
}

/// A time stamp for file names, e.g. `20260301T093000Z`.
pub fn stamp() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// Writes `<stem>.json` and `<stem>.md`; returns both paths.
pub fn write<T: Serialize>(
    stem: &str,
    report: &T,
    markdown: &str,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = out_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let json_path = dir.join(format!("{stem}.json"));
    let md_path = dir.join(format!("{stem}.md"));
    let json = serde_json::to_string_pretty(report).context("serialising the report")?;
    std::fs::write(&json_path, json).with_context(|| format!("writing {}", json_path.display()))?;
    std::fs::write(&md_path, markdown).with_context(|| format!("writing {}", md_path.display()))?;
    Ok((json_path, md_path))
}
