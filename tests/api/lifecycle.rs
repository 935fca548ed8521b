//! The credential life cycle after issuing: scope reduction (withdraw one scope, keep the
//! other) seen by verification and the register, and appealable; renewal along the scheme's
//! recertification path with lineage; and the retention rules that purge what outlived them.

use academy::accounts::model::Role;
use academy::db::DatabaseUrl;
use serde_json::{json, Value};

use crate::credentials::{
    cohort_with_trainees, cohort_with_trainees_on, complete, make_eligible, Cohort,
};
use crate::helpers::{error_code, spawn_app, TestApp};

async fn issue(app: &TestApp, c: &Cohort, user_id: &str, scope: &str) -> Value {
    let res = app
        .post_json(
            "/api/v1/credentials",
            Some(&c.admin),
            &json!({"cohort_id": c.cohort, "user_id": user_id, "scope": scope,
                    "override_reason": "ทดสอบวงจรชีวิตของใบรับรอง"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status);
    res.json().await.unwrap()
}

#[tokio::test]
async fn withdrawing_one_scope_keeps_the_other_and_shows_in_verification_and_the_register() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 1).await;
    let (holder, trainee) = c.trainees[0].clone();
    let product = issue(&app, &c, &holder, "product").await;
    let service = issue(&app, &c, &holder, "service").await;
    let (pid, sid) = (
        product["id"].as_str().unwrap().to_string(),
        service["id"].as_str().unwrap().to_string(),
    );
    let withdraw = format!("/api/v1/credentials/{sid}/withdraw");
    let reason = "ไม่ได้ปฏิบัติงานตรวจประเมินงานบริการเกินกว่าที่โครงการกำหนด";

    // Only an admin withdraws, and only with a reason.
    assert_eq!(
        app.post_json(&withdraw, Some(&trainee), &json!({"reason": reason}))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_json(&withdraw, Some(&c.admin), &json!({"reason": "  "}))
            .await
            .status(),
        422
    );
    let done = json_of(
        app.post_json(&withdraw, Some(&c.admin), &json!({"reason": reason}))
            .await,
        200,
    )
    .await;
    assert_eq!(done["status"], "revoked");
    assert_eq!(done["status_detail"], "scope_withdrawn");
    let again = app
        .post_json(&withdraw, Some(&c.admin), &json!({"reason": reason}))
        .await;
    assert_eq!(error_code(again, 409).await, "bad_transition");

    // Verification by id and by the signed credential: the scope is withdrawn, and names the
    // scope the holder keeps; the kept one is untouched.
    let v = json_of(app.get(&format!("/api/v1/verify/{sid}"), None).await, 200).await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["status"], "revoked");
    assert_eq!(v["credential"]["status_detail"], "scope_withdrawn");
    assert_eq!(v["credential"]["status_reason"], reason);
    let kept = v["credential"]["kept_scopes"].as_array().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["id"], pid.as_str());
    assert_eq!(kept[0]["scope"], "product");
    let by_jwt = json_of(
        app.post_json(
            "/api/v1/verify",
            None,
            &json!({"credential_jwt": service["credential_jwt"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(by_jwt["status"], "revoked");
    assert_eq!(by_jwt["credential"]["status_detail"], "scope_withdrawn");
    let p = json_of(app.get(&format!("/api/v1/verify/{pid}"), None).await, 200).await;
    assert_eq!(p["status"], "active");
    assert!(p["credential"].get("status_detail").is_none());
    assert!(p["credential"].get("kept_scopes").is_none());
    let page = app
        .get(&format!("/verify/{sid}"), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("/verify/{pid}")),
        "kept scope linked"
    );
    assert!(page.contains(product["number"].as_str().unwrap()));

    // The register: the active list keeps products only; the changes list shows the withdrawal.
    let numbers = |entries: &Value| -> Vec<(String, String)> {
        entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["number"].as_str().unwrap().to_string(),
                    e["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let pn = product["number"].as_str().unwrap().to_string();
    let sn = service["number"].as_str().unwrap().to_string();
    let active = json_of(app.get("/api/v1/register", None).await, 200).await;
    assert_eq!(numbers(&active), [(pn.clone(), "active".to_string())]);
    let all = json_of(app.get("/api/v1/register?status=all", None).await, 200).await;
    let mut got = numbers(&all);
    got.sort();
    let mut want = vec![
        (pn.clone(), "active".into()),
        (sn.clone(), "withdrawn".into()),
    ];
    want.sort();
    assert_eq!(got, want);
    let withdrawn = json_of(
        app.get("/api/v1/register?status=withdrawn", None).await,
        200,
    )
    .await;
    assert_eq!(withdrawn[0]["status_reason"], reason);
    assert!(withdrawn[0]["status_since"].is_string());
    let bad = app.get("/api/v1/register?status=gone", None).await;
    assert_eq!(bad.status(), 422);
    let register = app.get("/register", None).await.text().await.unwrap();
    let changes = register.find("id=\"changes\"").expect("a changes section");
    assert!(register[changes..].contains(&sn), "withdrawn scope listed");
    assert!(!register[..changes].contains(&sn), "not among the active");
    assert!(register[..changes].contains(&pn));

    // The holder is told, with the scope kept.
    let mail = app
        .last_mail_context("trainee0@example.org", "credential_scope_withdrawn")
        .await;
    assert_eq!(mail["number"], sn.as_str());
    assert_eq!(mail["kept"].as_array().unwrap().len(), 1);

    // The holder appeals the withdrawal; the admin who withdrew cannot review it.
    let appeal = json_of(
        app.post_json(
            "/api/v1/appeals",
            Some(&trainee),
            &json!({"subject_type": "credential", "subject_id": sid,
                    "grounds": "ข้าพเจ้าตรวจประเมินงานบริการ 3 แห่งในปีนี้ มีรายงานเป็นหลักฐาน"}),
        )
        .await,
        201,
    )
    .await;
    let active_appeal = app
        .post_json(
            "/api/v1/appeals",
            Some(&trainee),
            &json!({"subject_type": "credential", "subject_id": pid, "grounds": "ไม่มีเหตุ"}),
        )
        .await;
    assert_eq!(error_code(active_appeal, 409).await, "not_final");
    let decide = format!("/api/v1/appeals/{}/decide", appeal["id"].as_str().unwrap());
    let outcome =
        json!({"outcome": "upheld", "rationale": "รายงานการตรวจประเมินทั้ง 3 ฉบับยืนยันการปฏิบัติงาน"});
    let res = app.post_json(&decide, Some(&c.admin), &outcome).await;
    assert_eq!(error_code(res, 409).await, "not_independent");
    let (_, reviewer) = app
        .user_with_token(Role::Admin, "reviewer@example.org")
        .await;
    let decided = json_of(app.post_json(&decide, Some(&reviewer), &outcome).await, 200).await;
    assert_eq!(decided["outcome"], "upheld");
    let told = app
        .last_mail_context("trainee0@example.org", "appeal_outcome")
        .await;
    assert_eq!(told["subject_type"], "credential");
    assert_eq!(told["upheld"], true);
}

#[tokio::test]
async fn renewal_follows_the_schemes_recertification_path_and_links_to_the_old_credential() {
    let app = spawn_app().await;
    let c = cohort_with_trainees(&app, 2).await;
    let (holder, trainee) = c.trainees[0].clone();
    make_eligible(&app, &c, &trainee).await;
    let res = app
        .post_json(
            "/api/v1/credentials",
            Some(&c.admin),
            &json!({"cohort_id": c.cohort, "user_id": holder, "scope": "product"}),
        )
        .await;
    let old = json_of(res, 201).await;
    let old_id = old["id"].as_str().unwrap().to_string();
    let path_of = format!("/api/v1/credentials/{old_id}/recertification");
    let renew = format!("/api/v1/credentials/{old_id}/renew");

    // Years before expiry, the window is shut and renewal is refused with what is missing.
    let rc = json_of(app.get(&path_of, Some(&trainee)).await, 200).await;
    assert_eq!(rc["defined"], true);
    assert_eq!(rc["open"], false);
    assert_eq!(rc["ready"], false);
    let refused = app
        .post_json(&renew, Some(&c.admin), &json!({"reason": "ครบรอบการต่ออายุ"}))
        .await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "recertification_not_met");
    let unmet: Vec<&str> = body["error"]["details"]["unmet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(unmet.contains(&"window_open"), "{unmet:?}");
    assert!(unmet.contains(&"quiz:recert"), "{unmet:?}");
    // Nobody else sees the holder's renewal path.
    let other = &c.trainees[1].1;
    assert_eq!(app.get(&path_of, Some(other)).await.status(), 404);

    // A month before expiry: the window is open and the holder is reminded of the path.
    // The service's clock moves; the credential's row is not touched.
    app.db.clock().advance(chrono::Duration::days(3 * 365 - 30));
    let mut reminded = Value::Null;
    for _ in 0..100 {
        let (to, tpl) = ("trainee0@example.org".to_string(), "credential_expiring");
        let found = app
            .db
            .run(move |conn| {
                Ok(academy::email::store::list(conn, None, 1000)?
                    .into_iter()
                    .find(|m| m.to_email == to && m.template == tpl)
                    .map(|m| m.context_json))
            })
            .await
            .unwrap();
        if let Some(ctx) = found {
            reminded = serde_json::from_str(&ctx).unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let steps = reminded["steps"]
        .as_array()
        .expect("a reminder naming the path");
    assert_eq!(steps.len(), 2, "{reminded}");
    let rc = json_of(app.get(&path_of, Some(&trainee)).await, 200).await;
    assert_eq!(rc["open"], true);
    assert_eq!(rc["ready"], false);

    // The renewal path runs in a recertification cohort: the refresher, then the quiz.
    let c2 = crate::cohorts::create_cohort(&app, &c.admin, 2, 50).await;
    let c2 = Cohort {
        admin: c.admin.clone(),
        cohort: c2["id"].as_str().unwrap().to_string(),
        trainees: vec![(holder.clone(), trainee.clone())],
    };
    assert_eq!(
        app.post_json(
            &format!("/api/v1/cohorts/{}/members", c2.cohort),
            Some(&c.admin),
            &json!({"user_id": holder, "role": "trainee"}),
        )
        .await
        .status(),
        201
    );
    for (kind, slug) in [
        ("modules", "07-recertification-refresher"),
        ("quizzes", "recert"),
    ] {
        assert_eq!(
            app.post_json(
                &format!("/api/v1/cohorts/{}/{kind}/{slug}/publish", c2.cohort),
                Some(&c.admin),
                &json!({}),
            )
            .await
            .status(),
            200
        );
    }
    let early = app
        .post_json(
            &format!("/api/v1/cohorts/{}/quizzes/recert/attempts", c2.cohort),
            Some(&trainee),
            &json!({}),
        )
        .await;
    assert_eq!(
        error_code(early, 422).await,
        "prerequisites_not_met",
        "the quiz needs the refresher first"
    );
    complete(
        &app,
        &c2,
        &trainee,
        &["07-recertification-refresher"],
        &["recert"],
    )
    .await;
    let rc = json_of(app.get(&path_of, Some(&trainee)).await, 200).await;
    assert_eq!(rc["ready"], true, "{rc}");

    // Renewal: a new credential under the current scheme, linked to the old one, which ends.
    let new = json_of(
        app.post_json(
            &renew,
            Some(&c.admin),
            &json!({"reason": "ผ่านเส้นทางการต่ออายุครบ"}),
        )
        .await,
        201,
    )
    .await;
    let new_id = new["id"].as_str().unwrap();
    assert_ne!(new_id, old_id);
    assert_eq!(new["renews_id"], old_id.as_str());
    assert_eq!(new["status"], "active");
    // The renewed credential passes 1EdTech's official OB 3.0 schema like a first one.
    let claims = new["credential_jwt"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims).unwrap(),
    )
    .unwrap();
    crate::helpers::assert_valid_ob3(&claims, "a renewed credential");
    let was = json_of(
        app.get(&format!("/api/v1/verify/{old_id}"), None).await,
        200,
    )
    .await;
    assert_eq!(was["status"], "expired");
    let now = json_of(
        app.get(&format!("/api/v1/verify/{new_id}"), None).await,
        200,
    )
    .await;
    assert_eq!(now["status"], "active");
    // A second renewal of the old one is refused and issues nothing.
    let twice = app
        .post_json(&renew, Some(&c.admin), &json!({"reason": "ซ้ำ"}))
        .await;
    assert_eq!(twice.status(), 409);
    assert_eq!(
        app.count(format!(
            "SELECT COUNT(*) AS n FROM credentials WHERE user_id = '{holder}'"
        ))
        .await,
        2
    );
    // The lineage is in the holder's certification record.
    let record = json_of(
        app.get(
            &format!("/api/v1/users/{holder}/certification-record"),
            Some(&trainee),
        )
        .await,
        200,
    )
    .await;
    let creds = record["record"]["credentials"].as_array().unwrap();
    assert!(creds
        .iter()
        .any(|c| c["id"] == new_id && c["renews_id"] == old_id.as_str()));
    // A credential of a scope renewed without the path needs a written override.
    let (other_id, _) = c.trainees[1].clone();
    let plain = issue(&app, &c, &other_id, "service").await;
    let overridden = app
        .post_json(
            &format!(
                "/api/v1/credentials/{}/renew",
                plain["id"].as_str().unwrap()
            ),
            Some(&c.admin),
            &json!({"reason": "ย้ายไปโครงการใหม่", "override_reason": "คณะกรรมการอนุมัติเป็นกรณีพิเศษ"}),
        )
        .await;
    assert_eq!(overridden.status(), 201);
}

fn url_string(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        DatabaseUrl::Postgres(s) => s.clone(),
    }
}

fn purge_cli(app: &TestApp, dry_run: bool) -> String {
    use std::os::unix::process::ExitStatusExt;
    let run = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_academy"));
        cmd.arg("purge");
        if dry_run {
            cmd.arg("--dry-run");
        }
        cmd.env(
            "ACADEMY_DATABASE_URL",
            url_string(&app.settings.database_url),
        )
        .env("ACADEMY_DATA_DIR", app.dir.path())
        .env("ACADEMY_LOG", "error")
        .output()
        .unwrap()
    };
    let mut out = run();
    // Once, in CI, a dry run printed its whole report and then died of a signal on its way out
    // (exit status without a code; nothing on stderr). A dry run changes nothing, so it is run
    // again, and the signal is printed for whoever reads the log; a second death fails.
    if dry_run && out.status.code().is_none() {
        eprintln!(
            "academy purge --dry-run ended by signal {:?} after printing {} bytes; running it again",
            out.status.signal(),
            out.stdout.len()
        );
        out = run();
    }
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "signal {:?}\n{stdout}{}",
        out.status.signal(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn retention_rules_purge_only_what_has_outlived_its_rule() {
    let app = spawn_app().await;
    // The service's clock goes back fourteen years: the cohort runs then, both trainees finish,
    // and the leaver's credential is issued and revoked then. No row is re-dated afterwards.
    let years = chrono::Duration::days(14 * 365);
    app.db.clock().advance(-years);
    let then = app.db.clock().now().date();
    let c = cohort_with_trainees_on(
        &app,
        2,
        &(then - chrono::Duration::days(30)).to_string(),
        &(then + chrono::Duration::days(30)).to_string(),
    )
    .await;
    let (keeper, keeper_token) = c.trainees[0].clone();
    let (leaver, leaver_token) = c.trainees[1].clone();
    for t in [&keeper_token, &leaver_token] {
        complete(&app, &c, t, &["01-what-is-tis-s"], &["q01"]).await;
        // Both answer the satisfaction survey (rating every item 4).
        let list: Value = app
            .get(&format!("/api/v1/cohorts/{}/surveys", c.cohort), Some(t))
            .await
            .json()
            .await
            .unwrap();
        let answers: serde_json::Map<String, Value> = list[0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "scale")
            .map(|i| (i["id"].as_str().unwrap().to_string(), json!(4)))
            .collect();
        let res = app
            .post_json(
                &format!(
                    "/api/v1/cohorts/{}/surveys/satisfaction/responses",
                    c.cohort
                ),
                Some(t),
                &json!({ "answers": answers }),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let gone = issue(&app, &c, &leaver, "product").await;
    let gone_id = gone["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.post_json(
            &format!("/api/v1/credentials/{gone_id}/revoke"),
            Some(&c.admin),
            &json!({"reason": "ลาออกจากราชการ"}),
        )
        .await
        .status(),
        200
    );
    // Let the mail worker finish, so that the mail counted below is all there is.
    let settle_mail = || async {
        for _ in 0..100 {
            let queued = "SELECT COUNT(*) AS n FROM outbox_emails WHERE status = 'queued'";
            if app.count(queued).await == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the mail worker did not empty the outbox in 10 s");
    };
    settle_mail().await;

    // On the day, nothing has outlived its rule: the purge as the service runs it, by its clock.
    let fresh = app
        .db
        .run(|conn| academy::governance::retention::purge(conn, academy::util::now(), false))
        .await
        .unwrap();
    assert_eq!(fresh.iter().map(|p| p.removed).sum::<i64>(), 0, "{fresh:?}");

    // Back to today: the keeper's credential from that cohort is granted now and is live.
    app.db.clock().advance(years);
    let kept = issue(&app, &c, &keeper, "product").await;
    settle_mail().await;

    let attempts_of = |u: &str| format!("SELECT COUNT(*) AS n FROM attempts WHERE user_id = '{u}'");
    let answers_of = |u: &str| {
        format!(
            "SELECT COUNT(*) AS n FROM attempt_answers WHERE attempt_id IN \
             (SELECT id FROM attempts WHERE user_id = '{u}')"
        )
    };
    let progress_of =
        |u: &str| format!("SELECT COUNT(*) AS n FROM module_progress WHERE user_id = '{u}'");
    let leaver_answers = app.count(answers_of(&leaver)).await;
    assert!(leaver_answers > 0);
    assert_eq!(app.count(attempts_of(&leaver)).await, 1);
    // What the rules will take: the audit rows written fourteen years ago (10-year rule) and
    // the mail sent then (1-year rule); today's stay.
    let cutoff = (chrono::Utc::now() - chrono::Duration::days(10 * 365))
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let old_audits = app
        .count(format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE at < '{cutoff}'"
        ))
        .await;
    let new_audits = app
        .count(format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE at >= '{cutoff}'"
        ))
        .await;
    assert!(
        app.count(format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE subject_id = '{gone_id}' AND at < '{cutoff}'"
        ))
        .await
            >= 2
    );
    assert!(
        new_audits >= 1,
        "the keeper's credential is on record today"
    );
    let old_mail = app
        .count(format!(
            "SELECT COUNT(*) AS n FROM outbox_emails WHERE status <> 'queued' AND created_at < '{cutoff}'"
        ))
        .await;
    let new_mail = app
        .count(format!(
            "SELECT COUNT(*) AS n FROM outbox_emails WHERE created_at >= '{cutoff}'"
        ))
        .await;
    assert!(old_mail >= 2, "the leaver's issue and revocation mail");
    // The decision behind the revoked credential was taken then (10-year evidence rule).
    let old_decisions = app
        .count(format!(
            "SELECT COUNT(*) AS n FROM certification_decisions WHERE user_id = '{leaver}' \
             AND recommended_at < '{cutoff}'"
        ))
        .await;
    assert_eq!(old_decisions, 1);
    assert!(new_mail >= 1, "the keeper's credential mail");

    // A dry run counts and changes nothing.
    let dry = purge_cli(&app, true);
    assert!(dry.contains("would go"), "{dry}");
    assert_eq!(app.count(attempts_of(&leaver)).await, 1);
    assert_eq!(
        app.get(&format!("/api/v1/verify/{gone_id}"), None)
            .await
            .status(),
        200
    );

    let report = purge_cli(&app, false);
    // Who answered the survey goes for the leaver, stays for the keeper; the answers, which
    // name no one, stay with the cohort's results.
    let respondent =
        |u: &str| format!("SELECT COUNT(*) AS n FROM survey_respondents WHERE user_id = '{u}'");
    assert_eq!(app.count(respondent(&leaver)).await, 0, "{report}");
    assert_eq!(app.count(respondent(&keeper)).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM survey_responses")
            .await,
        2
    );
    // Training records go for the leaver; the keeper holds a live credential from the cohort.
    assert_eq!(app.count(attempts_of(&leaver)).await, 0, "{report}");
    assert_eq!(app.count(answers_of(&leaver)).await, 0);
    assert_eq!(app.count(progress_of(&leaver)).await, 0);
    assert_eq!(app.count(attempts_of(&keeper)).await, 1);
    assert!(app.count(answers_of(&keeper)).await > 0);
    assert_eq!(app.count(progress_of(&keeper)).await, 1);
    // The credential revoked fourteen years ago is gone; the live one still verifies.
    assert_eq!(
        app.get(&format!("/api/v1/verify/{gone_id}"), None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.count(format!(
            "SELECT COUNT(*) AS n FROM audit_log WHERE subject_id = '{gone_id}'"
        ))
        .await,
        0
    );
    let v = json_of(
        app.get(
            &format!("/api/v1/verify/{}", kept["id"].as_str().unwrap()),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v["status"], "active");
    // The old mail is gone, today's stays.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox_emails").await,
        new_mail
    );
    // The report adds up: the leaver's answers, attempt, reading progress and survey
    // respondent row, one credential,
    // the decision behind it, the old audit rows and the old mail.
    let expected = format!(
        "{} rows removed",
        leaver_answers + 1 + 1 + 1 + 1 + old_decisions + old_audits + old_mail
    );
    assert!(report.contains(&expected), "{expected} in {report}");
    assert!(report.contains("outbox_emails"), "{report}");
    // Every purge is audited, also one that removes nothing (issue 29): the first run's row
    // was fourteen years old and went with the rest; this run's stays.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'retention_purge'")
            .await,
        1
    );
    // A second run finds nothing, and is on record as well.
    let again = purge_cli(&app, false);
    assert!(again.contains("0 rows removed"), "{again}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'retention_purge'")
            .await,
        2
    );
}
