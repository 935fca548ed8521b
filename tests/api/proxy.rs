//! Behind a reverse proxy (issue 20): every request arrives from the proxy's address, and the
//! client is named by `X-Forwarded-For` only when the proxy is trusted
//! (`ACADEMY_TRUSTED_PROXIES`). Throttling must hit the attacker, not everyone behind the
//! proxy, and must never lock an owner out.

use academy::accounts::model::Role;
use serde_json::json;

use crate::helpers::{fresh_database, spawn_with, test_settings, TestApp};

async fn behind_proxy(trusted: &str, verify_rate: u32) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = fresh_database(dir.path());
    let mut settings = test_settings(dir.path(), url);
    settings.trusted_proxies = academy::settings::parse_proxies(trusted).unwrap();
    settings.verify_rate_per_minute = verify_rate;
    spawn_with(settings, dir, pg).await
}

async fn login_from(app: &TestApp, client: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", client)
        .json(&json!({"email": "owner@example.org", "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sixty_wrong_passwords_from_one_forwarded_client_do_not_stop_the_owner_elsewhere() {
    let app = behind_proxy("127.0.0.1", 120).await;
    app.create_user(Role::Admin, "owner@example.org", "correct horse battery")
        .await;
    let mut statuses = Vec::new();
    for _ in 0..60 {
        statuses.push(
            login_from(&app, "203.0.113.5", "wrong password!")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..10].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    // The attacker is blocked even with the right password…
    assert_eq!(
        login_from(&app, "203.0.113.5", "correct horse battery")
            .await
            .status(),
        429
    );
    // …and the owner, from another address behind the same proxy, signs in at once.
    let r = login_from(&app, "198.51.100.77", "correct horse battery").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // A client cannot escape its block by claiming another address itself: the proxy appends
    // the real one last.
    let r = login_from(&app, "198.51.100.77, 203.0.113.5", "correct horse battery").await;
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn a_many_address_attack_delays_the_account_but_never_locks_its_owner_out() {
    let app = behind_proxy("127.0.0.1", 120).await;
    app.create_user(Role::Admin, "owner@example.org", "correct horse battery")
        .await;
    // 21 failures from three addresses: past the account's 20 free failures.
    for i in 0..21 {
        let r = login_from(
            &app,
            &format!("203.0.113.{}", 10 + i % 3),
            "wrong password!",
        )
        .await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let r = login_from(&app, "198.51.100.77", "correct horse battery").await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&wait),
        "a short delay, not a lock: {wait} s"
    );
    // The delay passes on the service's clock (no test waits a minute of wall time).
    app.db
        .clock()
        .advance(chrono::Duration::seconds(wait as i64 + 1));
    let r = login_from(&app, "198.51.100.77", "correct horse battery").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn verify_from(app: &TestApp, client: &str, id: &str) -> u16 {
    app.client
        .get(app.url(&format!("/api/v1/verify/{id}")))
        .header("x-forwarded-for", client)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn three_hundred_forwarded_clients_verify_freely_and_one_client_verifying_300_times_is_limited(
) {
    let app = behind_proxy("127.0.0.1", 120).await;
    let id = uuid::Uuid::new_v4().to_string();
    for i in 0..300 {
        let client = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256 + 1);
        let status = verify_from(&app, &client, &id).await;
        assert_ne!(status, 429, "client {client} was limited");
    }
    let mut limited = 0;
    for _ in 0..300 {
        if verify_from(&app, "203.0.113.9", &id).await == 429 {
            limited += 1;
        }
    }
    assert_eq!(limited, 300 - 120, "one client gets 120 a minute");
}

#[tokio::test]
async fn without_a_trusted_proxy_x_forwarded_for_is_ignored() {
    // Nobody is trusted: a client that invents addresses is still itself.
    let app = behind_proxy("", 120).await;
    let id = uuid::Uuid::new_v4().to_string();
    let mut limited = 0;
    for i in 0..300 {
        if verify_from(&app, &format!("192.0.2.{}", i % 250 + 1), &id).await == 429 {
            limited += 1;
        }
    }
    assert_eq!(limited, 300 - 120);
}

#[test]
fn the_settings_read_the_proxy_list_and_the_rate_and_refuse_bad_values_in_one_line() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: academy::settings::SettingsArgs,
    }
    let parse = |extra: &[&str]| {
        let mut argv = vec!["academy"];
        argv.extend_from_slice(extra);
        academy::settings::Settings::from_args(&Cli::parse_from(argv).args)
    };
    let s = parse(&[
        "--trusted-proxies",
        "127.0.0.1, 10.0.0.0/8",
        "--verify-rate-per-minute",
        "30",
    ])
    .unwrap();
    assert_eq!(s.trusted_proxies.len(), 2);
    assert_eq!(s.verify_rate_per_minute, 30);
    assert_eq!(parse(&[]).unwrap().verify_rate_per_minute, 120);
    let e = parse(&["--trusted-proxies", "10.0.0.0/8,proxy.local"]).unwrap_err();
    assert!(e.to_string().starts_with("ACADEMY_TRUSTED_PROXIES="), "{e}");
    let e = parse(&["--verify-rate-per-minute", "0"]).unwrap_err();
    assert!(
        e.to_string().starts_with("ACADEMY_VERIFY_RATE_PER_MINUTE="),
        "{e}"
    );
}
