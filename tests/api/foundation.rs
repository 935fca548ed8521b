use academy::accounts::model::Role;
use serde_json::{json, Value};

use crate::helpers::{backend_name, error_code, spawn_app, spawn_with};

#[tokio::test]
async fn healthz_answers_200_when_the_database_answers() {
    let app = spawn_app().await;
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], backend_name());
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    for path in ["/healthz", "/", "/login", "/api/v1/me", "/no-such-page"] {
        let res = app.get(path, None).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h["x-request-id"].to_str().unwrap().len(), 32, "{path}");
    }
}

#[tokio::test]
async fn malformed_requests_get_the_json_error_body_with_the_right_status() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let url = app.url("/api/v1/users");
    let users_before = app.count("SELECT COUNT(*) AS n FROM users").await;

    let send = |body: Vec<u8>, ctype: Option<&'static str>| {
        let mut r = app.client.post(&url).bearer_auth(&admin).body(body);
        if let Some(c) = ctype {
            r = r.header("content-type", c);
        }
        r.send()
    };
    // Broken JSON → 400.
    let res = send(b"{\"email\": ".to_vec(), Some("application/json"))
        .await
        .unwrap();
    assert_eq!(error_code(res, 400).await, "bad_request");
    // Invalid UTF-8 → 400.
    let res = send(
        vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'],
        Some("application/json"),
    )
    .await
    .unwrap();
    assert_eq!(error_code(res, 400).await, "bad_request");
    // Wrong content type → 415.
    let res = send(
        b"email=x".to_vec(),
        Some("application/x-www-form-urlencoded"),
    )
    .await
    .unwrap();
    assert_eq!(error_code(res, 415).await, "unsupported_media_type");
    // No content type → 415.
    let res = send(b"{}".to_vec(), None).await.unwrap();
    assert_eq!(error_code(res, 415).await, "unsupported_media_type");
    // Oversized body → 413.
    let big = format!("{{\"email\": \"{}\"}}", "a".repeat(300 * 1024));
    let res = send(big.into_bytes(), Some("application/json"))
        .await
        .unwrap();
    assert_eq!(error_code(res, 413).await, "payload_too_large");
    // Valid JSON of the wrong shape → 422.
    let res = send(br#"{"email": 5}"#.to_vec(), Some("application/json"))
        .await
        .unwrap();
    assert_eq!(error_code(res, 422).await, "invalid_field");
    let res = send(b"[1,2,3]".to_vec(), Some("application/json"))
        .await
        .unwrap();
    assert_eq!(error_code(res, 422).await, "invalid_field");
    // Deeply nested JSON is refused, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let res = send(deep.into_bytes(), Some("application/json"))
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 400 | 413 | 422),
        "{}",
        res.status()
    );
    // Nothing was created by any of these, and the service still answers (issue 28: this
    // comment used to be checked by /healthz alone).
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users").await,
        users_before
    );
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn unknown_api_paths_are_json_404_and_unknown_pages_are_html_404() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(error_code(res, 404).await, "not_found");
    let res = app.get("/nothing-here", None).await;
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("ไม่พบหน้าที่ต้องการ") && html.contains("Page not found"));
}

#[tokio::test]
async fn openapi_document_lists_every_served_api_route_with_its_error_schema() {
    let app = spawn_app().await;
    let res = app.get("/api/openapi.json", None).await;
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    // Every route the service serves from an API handler (the JSON API, and the public
    // machine-readable routes: JWKS, keys, status lists, issuer, credential ids, calendar feeds,
    // media) is in the document with its method, and the document names nothing else.
    let mut served = std::collections::BTreeSet::new();
    let routes = academy::http::routes::ROUTES;
    let handlers = academy::http::routes::HANDLERS;
    assert_eq!(routes.len(), handlers.len());
    for ((method, path), handler) in routes.iter().zip(handlers) {
        if !handler.replace(' ', "").starts_with("api::") {
            continue;
        }
        served.insert((method.to_string(), path.to_string()));
        assert!(
            doc["paths"][*path].get(*method).is_some(),
            "{} {path} ({handler}) is served but not in the OpenAPI document",
            method.to_uppercase()
        );
    }
    assert!(served.len() > 90, "{} API routes", served.len());
    let error = &doc["components"]["schemas"]["ApiError"];
    assert_eq!(error["type"], "object", "{error}");
    assert_eq!(error["required"], json!(["error"]));
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            assert!(
                served.contains(&(method.clone(), path.clone())),
                "{method} {path} is in the document but not served"
            );
            // Every error answer, listed or by range, has the one error body.
            let responses = op["responses"].as_object().unwrap();
            for range in ["4XX", "5XX"] {
                assert!(responses.contains_key(range), "{method} {path}: no {range}");
            }
            for (code, r) in responses {
                if !(code.starts_with('4') || code.starts_with('5')) {
                    continue;
                }
                // The error body, except where the route documents its own (the health
                // check's 503 says which part is down).
                let schema = &r["content"]["application/json"]["schema"]["$ref"];
                if path == "/healthz" && code == "503" {
                    assert_eq!(schema, "#/components/schemas/Health");
                } else {
                    assert_eq!(
                        schema, "#/components/schemas/ApiError",
                        "{method} {path} {code}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn a_fresh_install_front_page_says_what_to_do_next_in_thai_and_english() {
    let app = spawn_app().await;
    let html = app.get("/", None).await.text().await.unwrap();
    assert!(html.contains("ยังไม่มีผู้ดูแลระบบ"), "{html}");
    assert!(html.contains("academy admin create"));
    let res = app.get("/lang/en?next=/", None).await;
    assert_eq!(res.status(), 303);
    let html = app.get("/", None).await.text().await.unwrap();
    assert!(html.contains("no administrator yet"), "{html}");
    // Once an admin exists, the front page sends visitors to sign in.
    app.create_user(Role::Admin, "first@example.org", "a long admin password")
        .await;
    let res = app.get("/", None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
}

#[tokio::test]
async fn data_survives_a_restart_of_the_service() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin, "admin@example.org").await;
    let res = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"email": "somchai@example.org", "name": "นาย สมชาย ใจดี", "role": "trainee",
                    "office_code": "TH-50", "password": "ยาวพอสำหรับรหัสผ่าน"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let (settings, dir, pg) = app.stop().await;

    let again = spawn_with(settings, dir, pg).await;
    let token = again.token("somchai@example.org", "ยาวพอสำหรับรหัสผ่าน").await;
    let me: Value = again
        .get("/api/v1/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "นาย สมชาย ใจดี");
    assert_eq!(me["office_code"], "TH-50");
    // The admin's token from before the restart still works: the secret lives in the database.
    assert_eq!(again.get("/api/v1/me", Some(&admin)).await.status(), 200);
}

/// Both migration folders must produce the same tables and columns.
#[tokio::test]
async fn both_backends_end_with_the_same_tables_and_columns() {
    use academy::db::{run_migrations, DatabaseUrl, Db, DbConnection};
    use diesel::prelude::*;
    use diesel::sql_types::{Bool, Text};

    #[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Col {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Bool)]
        not_null: bool,
    }

    let Ok(pg_base) = std::env::var("TEST_DATABASE_URL") else {
        // The PostgreSQL pass of CI runs this comparison; with SQLite alone there is no peer.
        eprintln!("both_backends_end_with_the_same_tables_and_columns: runs when TEST_DATABASE_URL is set");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("a.db")), 1).unwrap();
    let mut sc = sqlite.get().unwrap();
    run_migrations(&mut sc).unwrap();
    let (pg_url, _drop) = crate::helpers::fresh_database(dir.path());
    assert!(matches!(pg_url, DatabaseUrl::Postgres(_)), "{pg_base}");
    let pg = Db::connect(&pg_url, 1).unwrap();
    let mut pc = pg.get().unwrap();
    run_migrations(&mut pc).unwrap();

    let sqlite_cols = |c: &mut DbConnection| -> Vec<Col> {
        let mut v: Vec<Col> = diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, (p.\"notnull\" = 1 OR p.pk > 0) AS not_null \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
        )
        .load(c)
        .unwrap();
        v.sort();
        v
    };
    let pg_cols = |c: &mut DbConnection| -> Vec<Col> {
        let mut v: Vec<Col> = diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, (is_nullable = 'NO') AS not_null \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
        )
        .load(c)
        .unwrap();
        v.sort();
        v
    };
    let a = sqlite_cols(&mut sc);
    let b = pg_cols(&mut pc);
    assert!(a.len() > 20, "too few columns: {a:?}");
    assert_eq!(a, b, "SQLite and PostgreSQL schemas differ");
}
