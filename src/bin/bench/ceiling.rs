//! The database ceiling: single-row inserts (each its own autocommit transaction) and
//! primary-key reads from one in-process loop, on the same database the server uses, through
//! the same diesel connection type (`academy::db::DbConnection`, with the same SQLite PRAGMAs),
//! into a scratch table that is dropped afterwards.

use std::time::{Duration, Instant};

use academy::db::{DatabaseUrl, Db, DbConnection};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;

use crate::report::{ms, percentile};

diesel::table! {
    bench_scratch (id) {
        id -> Text,
        payload -> Text,
    }
}

/// Rates of the raw database from one connection.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DbCeiling {
    pub inserts: u64,
    pub insert_per_s: f64,
    pub insert_p50_ms: f64,
    pub insert_p99_ms: f64,
    pub reads: u64,
    pub read_per_s: f64,
    pub read_p50_ms: f64,
    pub read_p99_ms: f64,
}

/// About the size of an autosave row's variable part.
const PAYLOAD: &str = r#"{"answer":"o3f9a1c2b7d","at":"2026-03-01 09:30:00.123456"}"#;

/// Inserts for `duration`, then reads random inserted rows by primary key for `duration`.
pub fn measure(url: &DatabaseUrl, duration: Duration) -> anyhow::Result<DbCeiling> {
    let db = Db::connect(url, 1)?;
    let mut pooled = db.get()?;
    let conn: &mut DbConnection = &mut pooled;
    conn.batch_execute("DROP TABLE IF EXISTS bench_scratch")?;
    conn.batch_execute(
        "CREATE TABLE bench_scratch (id TEXT PRIMARY KEY NOT NULL, payload TEXT NOT NULL)",
    )?;

    let mut ids: Vec<String> = Vec::new();
    let mut lat: Vec<u64> = Vec::new();
    let started = Instant::now();
    while started.elapsed() < duration {
        let id = uuid::Uuid::new_v4().to_string();
        let t = Instant::now();
        diesel::insert_into(bench_scratch::table)
            .values((
                bench_scratch::id.eq(id.as_str()),
                bench_scratch::payload.eq(PAYLOAD),
            ))
            .execute(conn)?;
        lat.push(t.elapsed().as_micros() as u64);
        ids.push(id);
    }
    let insert_secs = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let mut out = DbCeiling {
        inserts: lat.len() as u64,
        insert_per_s: lat.len() as f64 / insert_secs.max(1e-9),
        insert_p50_ms: ms(percentile(&lat, 50.0)),
        insert_p99_ms: ms(percentile(&lat, 99.0)),
        ..Default::default()
    };

    let mut lat: Vec<u64> = Vec::new();
    let started = Instant::now();
    if !ids.is_empty() {
        while started.elapsed() < duration {
            let k = rand::random_range(0..ids.len());
            let t = Instant::now();
            let payload: String = bench_scratch::table
                .find(ids[k].as_str())
                .select(bench_scratch::payload)
                .first(conn)?;
            lat.push(t.elapsed().as_micros() as u64);
            debug_assert_eq!(payload, PAYLOAD);
        }
    }
    let read_secs = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    out.reads = lat.len() as u64;
    out.read_per_s = lat.len() as f64 / read_secs.max(1e-9);
    out.read_p50_ms = ms(percentile(&lat, 50.0));
    out.read_p99_ms = ms(percentile(&lat, 99.0));

    conn.batch_execute("DROP TABLE bench_scratch")?;
    Ok(out)
}
