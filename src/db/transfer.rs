//! Moving a whole installation between databases (`academy export` / `academy import`), e.g.
//! from the default SQLite file onto PostgreSQL.
//!
//! The export is a JSON Lines file (gzip-compressed when its name ends in `.gz`): a header
//! naming the source backend and its applied migrations, one line per row
//! (`{"t": table, "r": {column: value}}`) in an order that satisfies every foreign key, and a
//! footer with the row count of each table. Values are written in one canonical form whatever
//! the backend: booleans as `true`/`false`, timestamps as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC,
//! microseconds, the precision PostgreSQL keeps).
//!
//! The import runs in one transaction into a database that has no rows yet, checks the header's
//! migrations against its own and the footer's counts against what it wrote, and rolls back on
//! any difference, so a failed import leaves the target as it was.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use serde_json::{json, Map, Value};

use super::DbConnection;

/// Every table of the schema, parents before children. A table the export does not know about
/// stops it with a clear message, so a new migration cannot be silently left out.
pub const TABLES: &[&str] = &[
    "users",
    "secrets",
    "login_throttle",
    "one_time_tokens",
    "outbox_emails",
    "cohorts",
    "cohort_members",
    "cohort_leads",
    "cohort_staff_history",
    "cohort_sessions",
    "attendance",
    "zoom_rows",
    "module_revisions",
    "quiz_revisions",
    "publications",
    "module_progress",
    "quiz_overrides",
    "attempts",
    "attempt_answers",
    "essay_marks",
    "observed_assessments",
    "survey_responses",
    "survey_respondents",
    "cohort_report_texts",
    "signing_keys",
    "credential_counters",
    "credentials",
    "completions",
    "cohort_signatories",
    "audit_log",
    "scheme_versions",
    "certification_decisions",
    "coi_declarations",
    "appeals",
];

const FORMAT: &str = "assessor-academy-export";
const BATCH: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Timestamp,
    Integer,
    Double,
    Text,
}

#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    j: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn kind_of(declared: &str) -> Kind {
    let d = declared.to_ascii_lowercase();
    if d.contains("bool") {
        Kind::Bool
    } else if d.contains("timestamp") {
        Kind::Timestamp
    } else if d.contains("int") {
        Kind::Integer
    } else if d.contains("double") || d.contains("real") || d.contains("float") {
        Kind::Double
    } else {
        Kind::Text
    }
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn columns(conn: &mut DbConnection, table: &str) -> anyhow::Result<Vec<Column>> {
    let rows: Vec<ColumnRow> = match conn {
        DbConnection::Sqlite(_) => diesel::sql_query(
            "SELECT name, type AS declared FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind::<Text, _>(table)
        .load(conn)?,
        // The catalog itself: information_schema's views took most of a snapshot's time.
        DbConnection::Postgres(_) => diesel::sql_query(
            "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS declared \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1 \
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        )
        .bind::<Text, _>(table)
        .load(conn)?,
    };
    if rows.is_empty() {
        bail!("table {table} is missing: is this an Assessor Academy database?");
    }
    Ok(rows
        .into_iter()
        .map(|r| Column {
            kind: kind_of(&r.declared),
            name: r.name,
        })
        .collect())
}

fn table_names(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let rows: Vec<NameRow> = match conn {
        DbConnection::Sqlite(_) => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations' ORDER BY name",
        )
        .load(conn)?,
        DbConnection::Postgres(_) => diesel::sql_query(
            "SELECT relname::text AS name FROM pg_class \
             WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') \
             AND relname <> '__diesel_schema_migrations' ORDER BY relname",
        )
        .load(conn)?,
    };
    Ok(rows.into_iter().map(|r| r.name).collect())
}

fn check_tables(conn: &mut DbConnection) -> anyhow::Result<()> {
    for name in table_names(conn)? {
        if !TABLES.contains(&name.as_str()) {
            bail!("table {name} is not known to export/import; add it to db::transfer::TABLES");
        }
    }
    Ok(())
}

/// The migration versions applied to this database, oldest first.
pub fn applied_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let rows: Vec<NameRow> = diesel::sql_query(
        "SELECT version AS name FROM __diesel_schema_migrations ORDER BY version",
    )
    .load(conn)
    .context("reading the applied migrations")?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

fn count(conn: &mut DbConnection, table: &str) -> anyhow::Result<i64> {
    let row: CountRow = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {}", quote(table)))
        .get_result(conn)?;
    Ok(row.n)
}

/// Rewrites one row read from either backend into the canonical form described above.
fn canonical(cols: &[Column], mut row: Map<String, Value>) -> anyhow::Result<Map<String, Value>> {
    for col in cols {
        let Some(value) = row.get_mut(&col.name) else {
            bail!("column {} is missing from a row", col.name);
        };
        match (col.kind, &*value) {
            (Kind::Bool, Value::Number(n)) => *value = Value::Bool(n.as_i64() != Some(0)),
            (Kind::Timestamp, Value::String(s)) => *value = Value::String(canonical_time(s)?),
            // PostgreSQL writes 20.0 as 20, SQLite as 20.0.
            (Kind::Double, Value::Number(n)) => {
                if let Some(f) = n.as_f64() {
                    *value = json!(f);
                }
            }
            _ => {}
        }
    }
    Ok(row)
}

fn canonical_time(s: &str) -> anyhow::Result<String> {
    let t = s.trim().replace('T', " ");
    let t = t.trim_end_matches('Z');
    let parsed = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M"))
        .with_context(|| format!("unreadable timestamp {s:?}"))?;
    Ok(parsed.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
}

/// What an export or import did: rows per table, in table order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub tables: Vec<(String, i64)>,
}

impl Summary {
    pub fn total(&self) -> i64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// Writes every row of the database to `out` from one consistent snapshot (the service may keep
/// running). `progress` is told each table's name and row count as it finishes.
pub fn export(
    conn: &mut DbConnection,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(&str, i64),
) -> anyhow::Result<Summary> {
    let backend = match conn {
        DbConnection::Sqlite(_) => "SQLite",
        DbConnection::Postgres(_) => "PostgreSQL",
    };
    conn.transaction(|conn| -> anyhow::Result<Summary> {
        if let DbConnection::Postgres(_) = conn {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        check_tables(conn)?;
        let header = json!({
            "format": FORMAT,
            "version": 1,
            "source": backend,
            "created_at": chrono::Utc::now().to_rfc3339(),
            "migrations": applied_migrations(conn)?,
            "tables": TABLES,
        });
        writeln!(out, "{header}")?;
        let mut summary = Summary::default();
        for table in TABLES {
            let cols = columns(conn, table)?;
            let n = export_table(conn, table, &cols, out)?;
            progress(table, n);
            summary.tables.push((table.to_string(), n));
        }
        let counts: BTreeMap<&str, i64> = summary
            .tables
            .iter()
            .map(|(t, n)| (t.as_str(), *n))
            .collect();
        writeln!(out, "{}", json!({"end": true, "counts": counts}))?;
        out.flush()?;
        Ok(summary)
    })
}

fn export_table(
    conn: &mut DbConnection,
    table: &str,
    cols: &[Column],
    out: &mut dyn Write,
) -> anyhow::Result<i64> {
    let qt = quote(table);
    // A renewal names the credential it renews: older credentials first.
    let pg_order = if table == "credentials" {
        "issued_at, id".to_string()
    } else {
        quote(&cols[0].name)
    };
    let mut written = 0i64;
    match conn {
        DbConnection::Sqlite(_) => {
            let pairs: Vec<String> = cols
                .iter()
                .map(|c| format!("'{}', {}", c.name.replace('\'', "''"), quote(&c.name)))
                .collect();
            let mut last_rowid = i64::MIN;
            loop {
                #[derive(QueryableByName)]
                struct Paged {
                    #[diesel(sql_type = BigInt)]
                    rid: i64,
                    #[diesel(sql_type = Text)]
                    j: String,
                }
                // Insertion order (rowid) already puts every parent before its children.
                let page: Vec<Paged> = diesel::sql_query(format!(
                    "SELECT rowid AS rid, json_object({}) AS j FROM {qt} WHERE rowid > ? ORDER BY rowid LIMIT {}",
                    pairs.join(", "),
                    BATCH * 10
                ))
                .bind::<BigInt, _>(last_rowid)
                .load(conn)?;
                let Some(last) = page.last() else { break };
                last_rowid = last.rid;
                for row in page {
                    write_row(out, table, cols, &row.j)?;
                    written += 1;
                }
            }
        }
        DbConnection::Postgres(_) => {
            conn.batch_execute(&format!(
                "DECLARE academy_export NO SCROLL CURSOR FOR \
                 SELECT row_to_json(t)::text AS j FROM {qt} t ORDER BY {pg_order}"
            ))?;
            loop {
                let page: Vec<JsonRow> =
                    diesel::sql_query(format!("FETCH {} FROM academy_export", BATCH * 10))
                        .load(conn)?;
                if page.is_empty() {
                    break;
                }
                for row in page {
                    write_row(out, table, cols, &row.j)?;
                    written += 1;
                }
            }
            conn.batch_execute("CLOSE academy_export")?;
        }
    }
    Ok(written)
}

fn write_row(out: &mut dyn Write, table: &str, cols: &[Column], raw: &str) -> anyhow::Result<()> {
    let row: Map<String, Value> =
        serde_json::from_str(raw).with_context(|| format!("reading a row of {table}"))?;
    let row = canonical(cols, row).with_context(|| format!("a row of {table}"))?;
    writeln!(out, "{}", json!({"t": table, "r": row}))?;
    Ok(())
}

/// Loads an export into this database, which must be migrated to the same version and hold no
/// rows. Everything happens in one transaction: on any error nothing is kept.
pub fn import(
    conn: &mut DbConnection,
    input: &mut dyn BufRead,
    progress: &mut dyn FnMut(&str, i64),
) -> anyhow::Result<Summary> {
    super::write_tx(conn, |conn| -> anyhow::Result<Summary> {
        check_tables(conn)?;
        for table in TABLES {
            let n = count(conn, table)?;
            if n > 0 {
                bail!("the target database is not empty ({table} holds {n} rows); import into a new database");
            }
        }
        let mut lines = input.lines();
        let header: Value = match lines.next() {
            Some(line) => serde_json::from_str(&line.context("reading the export")?)
                .context("the first line is not an export header")?,
            None => bail!("the export file is empty"),
        };
        if header["format"] != FORMAT {
            bail!("this is not an Assessor Academy export (no \"{FORMAT}\" header)");
        }
        if header["version"] != 1 {
            bail!(
                "export format version {} is not supported",
                header["version"]
            );
        }
        let theirs: Vec<String> = serde_json::from_value(header["migrations"].clone())
            .context("the header's migrations")?;
        let ours = applied_migrations(conn)?;
        if theirs != ours {
            bail!(
                "the export was made at schema version {} but this database is at {}; run the same release of academy on both sides",
                theirs.last().map(String::as_str).unwrap_or("none"),
                ours.last().map(String::as_str).unwrap_or("none")
            );
        }
        let mut cols: BTreeMap<&str, Vec<Column>> = BTreeMap::new();
        for table in TABLES {
            cols.insert(table, columns(conn, table)?);
        }
        let mut summary = Summary::default();
        let mut current: Option<String> = None;
        let mut batch: Vec<Value> = Vec::new();
        let mut written = 0i64;
        let mut footer: Option<Value> = None;
        for (i, line) in lines.enumerate() {
            let line = line.context("reading the export")?;
            let line_no = i + 2;
            if footer.is_some() {
                bail!("line {line_no}: data after the end marker");
            }
            let item: Value = serde_json::from_str(&line)
                .with_context(|| format!("line {line_no} is not JSON"))?;
            if item["end"] == true {
                footer = Some(item);
                continue;
            }
            let (Some(table), Some(row)) = (item["t"].as_str(), item.get("r")) else {
                bail!("line {line_no}: expected {{\"t\": table, \"r\": row}}");
            };
            if current.as_deref() != Some(table) {
                if let Some(done) = current.take() {
                    insert_batch(conn, &done, &cols[done.as_str()], &mut batch)?;
                    progress(&done, written);
                    summary.tables.push((done, written));
                }
                let Some(known) = TABLES.iter().find(|t| **t == table) else {
                    bail!("line {line_no}: unknown table {table:?}");
                };
                if summary.tables.iter().any(|(t, _)| t == table) {
                    bail!("line {line_no}: rows of {table} are not contiguous");
                }
                current = Some(known.to_string());
                written = 0;
            }
            let Value::Object(map) = row else {
                bail!("line {line_no}: the row is not an object");
            };
            for col in &cols[table] {
                if !map.contains_key(&col.name) {
                    bail!("line {line_no}: {table} row lacks column {}", col.name);
                }
            }
            if map.len() != cols[table].len() {
                bail!("line {line_no}: {table} row has columns this database does not have");
            }
            batch.push(row.clone());
            written += 1;
            if batch.len() >= BATCH {
                insert_batch(conn, table, &cols[table], &mut batch)?;
            }
        }
        if let Some(done) = current.take() {
            insert_batch(conn, &done, &cols[done.as_str()], &mut batch)?;
            progress(&done, written);
            summary.tables.push((done, written));
        }
        let Some(footer) = footer else {
            bail!(
                "the export is incomplete (no end marker): it was cut short; nothing was imported"
            );
        };
        for table in TABLES {
            let expected = footer["counts"][*table].as_i64().unwrap_or(0);
            let actual = count(conn, table)?;
            if expected != actual {
                bail!("{table}: the export lists {expected} rows but {actual} were imported; nothing was imported");
            }
        }
        Ok(summary)
    })
}

fn insert_batch(
    conn: &mut DbConnection,
    table: &str,
    cols: &[Column],
    batch: &mut Vec<Value>,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let payload = Value::Array(std::mem::take(batch)).to_string();
    let qt = quote(table);
    let inserted = match conn {
        DbConnection::Sqlite(_) => {
            let names: Vec<String> = cols.iter().map(|c| quote(&c.name)).collect();
            let values: Vec<String> = cols
                .iter()
                .map(|c| {
                    format!(
                        "json_extract(value, '$.{}')",
                        quote(&c.name).replace('\'', "''")
                    )
                })
                .collect();
            diesel::sql_query(format!(
                "INSERT INTO {qt} ({}) SELECT {} FROM json_each(?)",
                names.join(", "),
                values.join(", ")
            ))
            .bind::<Text, _>(&payload)
            .execute(conn)
        }
        DbConnection::Postgres(_) => diesel::sql_query(format!(
            "INSERT INTO {qt} SELECT * FROM json_populate_recordset(NULL::{qt}, $1::json)"
        ))
        .bind::<Text, _>(&payload)
        .execute(conn),
    }
    .with_context(|| format!("inserting rows into {table}"))?;
    let _ = inserted;
    Ok(())
}

/// Every row of every table in canonical form, sorted: two databases hold the same data exactly
/// when their snapshots are equal (used by the tests and by `academy import --check`).
pub fn snapshot(conn: &mut DbConnection) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let mut buf = Vec::new();
    export(conn, &mut buf, &mut |_, _| {})?;
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let item: Value = serde_json::from_slice(line)?;
        if let Some(t) = item["t"].as_str() {
            tables
                .entry(t.to_string())
                .or_default()
                .push(item["r"].to_string());
        }
    }
    for rows in tables.values_mut() {
        rows.sort();
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_both_backends_have_one_canonical_form() {
        for raw in [
            "2026-11-26 03:30:53.123456789",
            "2026-11-26T03:30:53.123456",
            "2026-11-26 03:30:53.123456",
        ] {
            assert_eq!(canonical_time(raw).unwrap(), "2026-11-26 03:30:53.123456");
        }
        assert_eq!(
            canonical_time("2026-11-26 03:30:53").unwrap(),
            "2026-11-26 03:30:53.000000"
        );
        assert!(canonical_time("yesterday").is_err());
    }

    #[test]
    fn declared_types_map_to_kinds() {
        assert_eq!(kind_of("BOOLEAN"), Kind::Bool);
        assert_eq!(kind_of("timestamp without time zone"), Kind::Timestamp);
        assert_eq!(kind_of("INTEGER"), Kind::Integer);
        assert_eq!(kind_of("double precision"), Kind::Double);
        assert_eq!(kind_of("TEXT"), Kind::Text);
    }

    #[test]
    fn sqlite_booleans_become_json_booleans() {
        let cols = vec![
            Column {
                name: "a".into(),
                kind: Kind::Bool,
            },
            Column {
                name: "b".into(),
                kind: Kind::Integer,
            },
        ];
        let row = serde_json::from_str(r#"{"a": 1, "b": 1}"#).unwrap();
        let out = canonical(&cols, row).unwrap();
        assert_eq!(Value::Object(out), json!({"a": true, "b": 1}));
        let cols = vec![Column {
            name: "d".into(),
            kind: Kind::Double,
        }];
        let pg = canonical(&cols, serde_json::from_str(r#"{"d": 20}"#).unwrap()).unwrap();
        let lite = canonical(&cols, serde_json::from_str(r#"{"d": 20.0}"#).unwrap()).unwrap();
        assert_eq!(
            Value::Object(pg).to_string(),
            Value::Object(lite).to_string()
        );
    }
}
