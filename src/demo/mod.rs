//! `academy demo`: seeds a realistic programme run on a fresh database so a newcomer sees
//! every role's pages populated. All people are fictional, with `.example` addresses.

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use crate::accounts::{self, model, NewUser, User};
use crate::cohorts::{self, model::AttendanceStatus, model::MemberRole};
use crate::course::model::Course;
use crate::credentials::{self, Issuer, StatusAction};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::quizzes;

mod later;
use later::*;

/// The password of every demo account (printed by `academy demo`).
pub const DEMO_PASSWORD: &str = "demo-2565-tisi";
/// The demo administrator.
pub const ADMIN_EMAIL: &str = "admin@tisi.example";
/// The first demo instructor.
pub const INSTRUCTOR_EMAIL: &str = "instructor1@tisi.example";

const GIVEN: [&str; 20] = [
    "สมชาย",
    "สุดารัตน์",
    "ประเสริฐ",
    "วันเพ็ญ",
    "อนุชา",
    "กนกวรรณ",
    "ธีรพงษ์",
    "พิมพ์ชนก",
    "วีระพล",
    "จิราพร",
    "ณัฐวุฒิ",
    "ศิริพร",
    "ชัยวัฒน์",
    "อรทัย",
    "สุรเชษฐ์",
    "ปวีณา",
    "เกรียงไกร",
    "นันทนา",
    "ธนากร",
    "มาลัย",
];
const FAMILY: [&str; 20] = [
    "ใจดี",
    "ศรีสุข",
    "แก้วมณี",
    "บุญมา",
    "ทองคำ",
    "วงศ์ใหญ่",
    "สายบุญ",
    "พรหมมา",
    "เพชรรัตน์",
    "คำแสน",
    "นาคสวัสดิ์",
    "อินทร์แก้ว",
    "ชัยมงคล",
    "รุ่งเรือง",
    "ปัญญาดี",
    "สมบูรณ์",
    "จันทร์หอม",
    "มีสุข",
    "ศักดิ์ดี",
    "บัวทอง",
];
const OFFICES: [&str; 8] = [
    "TH-50", "TH-30", "TH-90", "TH-40", "TH-20", "TH-65", "TH-83", "TH-34",
];

/// The trainee who has just joined the current cohort (nothing done yet).
pub const NEWCOMER_EMAIL: &str = "newcomer01@poi.example";
/// The trainee half-way through the current cohort (three modules read, their quizzes passed).
pub const HALFWAY_EMAIL: &str = "newcomer02@poi.example";

/// What the demo printed: one account of each role.
pub struct DemoAccounts {
    pub admin: String,
    pub instructor: String,
    /// A trainee at the start of the current cohort.
    pub trainee: String,
    /// A trainee half-way through the current cohort.
    pub trainee_halfway: String,
    pub password: &'static str,
    /// The FY2565 cohort: the programme's first generation, closed, with its credentials.
    pub cohort_id: crate::cohorts::model::CohortId,
    /// The cohort in training now (started three weeks before the demo was made).
    pub current_cohort_id: crate::cohorts::model::CohortId,
    /// False when the demo data was already there (nothing was added).
    pub seeded: bool,
}

/// A first-generation cohort of the programme, open for joining, with its instructors.
fn demo_cohort(
    conn: &mut DbConnection,
    course: &Course,
    (name_th, name_en): (Option<&str>, String),
    (starts_on, ends_on): (NaiveDate, NaiveDate),
    capacity: i32,
    instructors: &[&User],
) -> Result<cohorts::Cohort, AppError> {
    let cohort = cohorts::create_cohort(
        conn,
        &cohorts::NewCohort {
            programme_id: course.programme.id.clone(),
            generation: 1,
            fiscal_year: None,
            name_th: name_th.map(str::to_string),
            name_en: Some(name_en),
            starts_on,
            ends_on,
            capacity,
            status: cohorts::model::CohortStatus::Open,
            enrol_opens_at: None,
            enrol_closes_at: None,
        },
    )?;
    for i in instructors {
        cohorts::add_member(conn, &cohort.id, &i.id, MemberRole::Instructor)?;
    }
    Ok(cohort)
}

/// A calendar day (the demo's dates are written as literals).
fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn bkk(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    let local = NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, min, 0))
        .unwrap_or_default();
    crate::dates::bangkok()
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc).naive_utc())
        .unwrap_or(local)
}

/// A small deterministic generator, so every run of the demo looks the same.
/// Open comments a demo survey carries (examples, not real people's words).
const DEMO_COMMENTS: &[&str] = &[
    "เสียงจากห้องประชุมขาดหายเป็นช่วง ๆ สำหรับผู้เข้าร่วมออนไลน์ (ตัวอย่าง)",
    "อยากให้มีกรณีศึกษางานบริการเพิ่มขึ้น (ตัวอย่าง)",
    "ควรเพิ่มเวลาฝึกเขียนข้อค้นพบ (ตัวอย่าง)",
    "วิทยากรอธิบายชัดเจน ยกตัวอย่างธุรกิจในจังหวัดได้ดี (ตัวอย่าง)",
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Refuses a database that holds any account that is not a demo account. `academy demo` asks
/// this before the service starts, so a refused database is left exactly as it was (no signing
/// key, secret, content revision or scheme version written).
pub fn refuse_real_data(conn: &mut DbConnection) -> Result<(), AppError> {
    demo_accounts(conn).map(|_| ())
}

/// Every account, when all of them are demo accounts; otherwise the `real_data` refusal.
fn demo_accounts(conn: &mut DbConnection) -> Result<Vec<accounts::User>, AppError> {
    let everyone = accounts::list_users(conn, &accounts::UserFilter::default())?;
    if let Some(real) = everyone.iter().find(|u| !u.email.ends_with(".example")) {
        return Err(AppError::conflict(
            "real_data",
            format!("this database holds real accounts (e.g. {}); the demo only runs on a fresh database", real.email),
        ));
    }
    Ok(everyone)
}

/// Seeds the demo. Refuses (changing nothing) when the database holds any account that is not
/// a demo account; does nothing when the demo is already there.
pub fn seed(
    conn: &mut DbConnection,
    course: &Course,
    issuer: &Issuer,
) -> Result<DemoAccounts, AppError> {
    let everyone = demo_accounts(conn)?;
    if let Some(admin) = everyone.iter().find(|u| u.email == ADMIN_EMAIL) {
        let list = cohorts::list_cohorts(conn, admin)?;
        let cohort_id = list
            .iter()
            .find(|c| c.fiscal_year == 2565)
            .map(|c| c.id.clone())
            .unwrap_or_default();
        let current_cohort_id = list
            .iter()
            .max_by_key(|c| c.starts_on.clone())
            .map(|c| c.id.clone())
            .unwrap_or_default();
        return Ok(DemoAccounts {
            admin: ADMIN_EMAIL.into(),
            instructor: INSTRUCTOR_EMAIL.into(),
            trainee: NEWCOMER_EMAIL.into(),
            trainee_halfway: HALFWAY_EMAIL.into(),
            password: DEMO_PASSWORD,
            cohort_id,
            current_cohort_id,
            seeded: false,
        });
    }
    // The programme's history is seeded at the dates it happened (so the FY2565 credentials
    // are issued on the cohort's last day and numbered in FY2565), the current cohort now.
    let clock = crate::util::Clock::at(bkk(2022, 1, 24, 9, 0));
    let _dated = crate::util::clock_guard(clock.clone());
    let hash = accounts::hash_password(
        &model::NewPassword::parse(DEMO_PASSWORD).map_err(AppError::invalid)?,
    )?;
    let mk = |conn: &mut DbConnection,
              email: &str,
              name: &str,
              name_en: Option<&str>,
              role: model::Role,
              office: &str| {
        accounts::create_user(
            conn,
            &NewUser {
                email: model::EmailAddress::parse(email).map_err(AppError::invalid)?,
                name: model::PersonName::parse(name).map_err(AppError::invalid)?,
                name_en: name_en
                    .map(model::PersonName::parse)
                    .transpose()
                    .map_err(AppError::invalid)?,
                role,
                office_code: office.into(),
                language: model::Language::Th,
                password_hash: Some(hash.clone()),
            },
            &issuer.base_url,
        )
    };
    let admin = mk(
        conn,
        ADMIN_EMAIL,
        "นางสาว วิมลรัตน์ ศรีประเสริฐ",
        Some("Wimonrat Sriprasert"),
        model::Role::Admin,
        "TISI",
    )?;
    let i1 = mk(
        conn,
        INSTRUCTOR_EMAIL,
        "นาย ปิยะพงษ์ รักษ์มาตรฐาน",
        Some("Piyapong Rakmattrathan"),
        model::Role::Instructor,
        "TISI",
    )?;
    let i2 = mk(
        conn,
        "instructor2@tisi.example",
        "นาง อัญชลี คุณภาพดี",
        Some("Anchalee Khunnaphapdi"),
        model::Role::Instructor,
        "TISI",
    )?;
    let mut trainees: Vec<User> = Vec::new();
    for i in 0..40 {
        // GIVEN alternates men's and women's given names; the title follows it (a man is
        // นาย, a woman นาง or นางสาว), and the second score of trainees takes another family
        // name, so no two trainees share a name.
        let given = i % GIVEN.len();
        let title = if given.is_multiple_of(2) {
            "นาย"
        } else if (i / 2).is_multiple_of(2) {
            "นาง"
        } else {
            "นางสาว"
        };
        let family = FAMILY[(i * 7 + 3 + i / GIVEN.len()) % FAMILY.len()];
        let name = format!("{title} {} {family}", GIVEN[given]);
        trainees.push(mk(
            conn,
            &format!("trainee{:02}@poi.example", i + 1),
            &name,
            None,
            model::Role::Trainee,
            OFFICES[i % OFFICES.len()],
        )?);
    }

    let cohort = demo_cohort(
        conn,
        course,
        (None, "Generation 1 FY2565".into()),
        (day(2022, 2, 15), day(2022, 3, 31)),
        80,
        &[&i1, &i2],
    )?;
    let cid = cohort.id.clone();
    clock.set(bkk(2022, 2, 7, 10, 0));
    for t in &trainees {
        cohorts::join(conn, &cohort.join_code.clone().unwrap_or_default(), t)?;
    }
    let sessions = [
        (
            "พิธีเปิดและภาพรวม มอก. เอส",
            "Opening and TIS-S overview",
            bkk(2022, 2, 15, 9, 30),
            bkk(2022, 2, 15, 12, 0),
            "hybrid",
        ),
        (
            "บทบาทและจรรยาบรรณของผู้ตรวจประเมิน",
            "The assessor's role and ethics",
            bkk(2022, 2, 22, 9, 0),
            bkk(2022, 2, 22, 12, 0),
            "online",
        ),
        (
            "ฝึกปฏิบัติการตรวจประเมิน ณ สถานประกอบการ",
            "On-site assessment practice",
            bkk(2022, 3, 8, 9, 0),
            bkk(2022, 3, 8, 16, 0),
            "onsite",
        ),
        (
            "มอก. เอส งานบริการ และหมู่บ้านอุตสาหกรรมสร้างสรรค์",
            "TIS-S for services and CIV",
            bkk(2022, 3, 22, 9, 0),
            bkk(2022, 3, 22, 12, 0),
            "hybrid",
        ),
    ];
    let mut rng = Lcg(2565);
    clock.set(bkk(2022, 2, 8, 10, 0));
    for (th, en, start, end, mode) in sessions {
        let s = cohorts::create_session(
            conn,
            &cid,
            &cohorts::NewSession {
                title_th: th.into(),
                title_en: en.into(),
                starts_at: start,
                ends_at: end,
                venue: "ห้องประชุม สำนักงานปลัดกระทรวงอุตสาหกรรม".into(),
                meeting_url: (mode != "onsite")
                    .then(|| "https://zoom.example/j/2565000001".to_string()),
                mode: mode.parse().map_err(AppError::invalid)?,
            },
        )?;
        let row = cohorts::store::find_session(conn, &s.id)?.ok_or(AppError::NotFound)?;
        let marking = crate::util::clock_guard(crate::util::Clock::at(end));
        for (i, t) in trainees.iter().enumerate() {
            let r = rng.next();
            let status = if i == 39 || r > 0.95 {
                AttendanceStatus::Absent
            } else if r > 0.85 {
                AttendanceStatus::Late
            } else {
                AttendanceStatus::Present
            };
            let via = if mode == "online" || (mode == "hybrid" && i % 2 == 1) {
                "online"
            } else {
                "room"
            };
            cohorts::mark_attendance(conn, &row, &t.id, status, Some(via), None)?;
        }
        drop(marking);
    }
    // The training cohort gets the training content; the refresher and the recertification
    // quiz belong to a later recertification cohort.
    let training_modules: Vec<&crate::course::model::Module> = course
        .modules
        .iter()
        .filter(|m| !course.is_renewal_only(&m.slug))
        .collect();
    let training_quizzes: Vec<&crate::quizzes::model::Quiz> = course
        .quizzes
        .iter()
        .filter(|q| !course.is_renewal_only(&q.slug))
        .collect();
    clock.set(bkk(2022, 2, 14, 16, 0));
    for m in &training_modules {
        crate::course::publish_module(conn, &cid, &m.slug, &admin)?;
    }
    for q in &training_quizzes {
        quizzes::publish_quiz(conn, &cid, &q.slug, &admin, None, None)?;
    }
    // Progress: most read everything; some are behind. Skill sets each trainee's accuracy.
    // Each trainee's work is dated on a day of the course (pre-test on the first morning).
    for (i, t) in trainees.iter().enumerate() {
        clock.set(bkk(2022, 2, 15, 8, 0) + chrono::Duration::minutes(i as i64));
        let read = if i < 30 {
            training_modules.len()
        } else {
            (i - 30) % training_modules.len()
        };
        // Skills spread evenly from 0.5 to 0.99 over the cohort (in a shuffled order), so some
        // trainees reach the final exam weak and some strong whatever questions it draws.
        let skill = 0.5 + 0.5 * ((i * 37) % trainees.len()) as f64 / trainees.len() as f64;
        for m in training_modules.iter().take(read) {
            crate::course::complete_module(conn, &cid, &m.slug, t)?;
        }
        // Module quizzes first; a quiz with prerequisites (the final exam) last, and only by
        // those who meet them, as the service requires.
        // The pre-test first, before any reading (so weaker than the trainee will become).
        let (pre, post) = (
            course.programme.pretest.as_deref(),
            course.programme.posttest.as_deref(),
        );
        if let Some(pre) = pre {
            take_quiz(conn, &cid, pre, t, skill * 0.55, &mut rng)?;
        }
        clock.set(bkk(2022, 3, 1 + (i % 20) as u32, 10, 0) + chrono::Duration::minutes(i as i64));
        let mut order: Vec<&crate::quizzes::model::Quiz> = training_quizzes
            .iter()
            .copied()
            .filter(|q| Some(q.slug.as_str()) != pre && Some(q.slug.as_str()) != post)
            .collect();
        order.sort_by_key(|q| !q.requires.is_empty());
        for q in order {
            let module_done = match &q.module {
                Some(m) => training_modules.iter().take(read).any(|x| &x.slug == m),
                None => read >= 5,
            };
            let eligible = q.requires.is_empty()
                || quizzes::quiz_checklist(conn, &cid, &q.slug, t, model::Language::Th)?
                    .iter()
                    .all(|i| i.met);
            if !(module_done && eligible) {
                continue;
            }
            // A module quiz is retaken after a fail (people revise), up to its allowance.
            let tries = if q.requires.is_empty() {
                q.attempts_allowed
            } else {
                1
            };
            for n in 0..tries {
                let revised = (skill + 0.1 * f64::from(n)).min(0.98);
                if take_quiz(conn, &cid, &q.slug, t, revised, &mut rng)? {
                    break;
                }
            }
        }
        // Those who finished the reading take the post-test and most answer the survey
        // (ratings mostly 4 and 5, the online system rated a little lower, a few comments).
        clock.set(bkk(2022, 3, 29, 13, 0) + chrono::Duration::minutes(i as i64));
        if read >= 5 {
            if let Some(post) = post {
                take_quiz(conn, &cid, post, t, skill, &mut rng)?;
            }
            if let Some(survey) = course
                .programme
                .survey
                .as_deref()
                .and_then(|s| course.surveys.iter().find(|v| v.slug == s))
            {
                if i % 5 != 4 {
                    let mut answers = std::collections::BTreeMap::new();
                    for (section, item) in survey.items() {
                        match item.kind {
                            crate::course::model::SurveyItemKind::Scale => {
                                let dip = if section.id == "venue-online" {
                                    0.8
                                } else {
                                    0.0
                                };
                                let r = (3.6 + 1.6 * rng.next() - dip).round().clamp(1.0, 5.0);
                                answers.insert(item.id.clone(), Value::from(r as u64));
                            }
                            crate::course::model::SurveyItemKind::Text if i % 7 == 0 => {
                                answers.insert(
                                    item.id.clone(),
                                    Value::from(
                                        DEMO_COMMENTS
                                            [(i / 7 + item.id.len()) % DEMO_COMMENTS.len()],
                                    ),
                                );
                            }
                            _ => {}
                        }
                    }
                    crate::evaluation::respond(conn, course, &cid, &survey.slug, t, &answers)?;
                }
            }
        }
    }
    let skills: std::collections::HashMap<String, f64> = trainees
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let skill = 0.5 + 0.5 * ((i * 37) % trainees.len()) as f64 / trainees.len() as f64;
            (t.id.to_string(), skill)
        })
        .collect();
    clock.set(bkk(2022, 3, 30, 9, 0));
    mark_written(conn, issuer, &cid, [&i1, &i2], &admin, &skills, &mut rng)?;
    cohorts::update_cohort(
        conn,
        &cid,
        &cohorts::CohortUpdate {
            status: Some(cohorts::model::CohortStatus::Running),
            ..Default::default()
        },
    )?;
    clock.set(bkk(2022, 3, 31, 15, 0));
    let report = credentials::issue_all_eligible(conn, issuer, course, &admin, &cid, "product")?;
    let issued = report.get("issued").cloned().unwrap_or_default();
    let creds = credentials::of_cohort(conn, issuer, &cid)?;
    // An instructor's recommendation awaiting a decision: a trainee with no credential.
    clock.set(bkk(2022, 3, 31, 16, 30));
    let mut recommended = None;
    if let Some(t) = trainees
        .iter()
        .find(|t| !creds.iter().any(|c| c.user_id == t.id))
    {
        recommended = Some(crate::governance::recommend(
            conn,
            course,
            &cid,
            &i1,
            &crate::governance::RecommendRequest {
                user_id: t.id.clone(),
                scope: "product".into(),
                rationale:
                    "เข้าร่วมภาคปฏิบัติครบ แต่ยังไม่ผ่านการสอบประมวลความรู้ เสนอให้พิจารณาหลังสอบซ่อม (ตัวอย่าง)"
                        .into(),
            },
        )?);
    }
    tracing::info!(issued = issued.len(), "demo credentials issued");
    // The completion certificates (วุฒิบัตร) of those who met the completion rule, signed by a
    // named officer with a (drawn) signature.
    clock.set(bkk(2022, 3, 31, 17, 0));
    crate::evaluation::completion::save_signatory(conn, &cid, &admin, &demo_signatory())?;
    let (completions, _) =
        crate::evaluation::completion::issue(conn, issuer, course, &cid, &admin)?;
    tracing::info!(
        completions = completions.len(),
        "demo completion certificates issued"
    );
    // The recommendation was decided before the cohort closed (refused: the final exam not
    // passed), so no 2022 item waits in today's queue.
    if let Some(d) = recommended {
        clock.set(bkk(2022, 4, 1, 8, 30));
        crate::governance::decide(
            conn,
            issuer,
            course,
            &d.id,
            &admin,
            &crate::governance::DecideRequest {
                outcome: "refuse".into(),
                rationale: "ยังไม่ผ่านการสอบประมวลความรู้ ให้สอบในรุ่นถัดไปก่อนเสนอใหม่ (ตัวอย่าง)".into(),
                conflict_of_interest: Some(false),
                conflict_statement: String::new(),
            },
        )?;
    }
    clock.set(bkk(2022, 4, 1, 9, 0));
    cohorts::update_cohort(
        conn,
        &cid,
        &cohorts::CohortUpdate {
            status: Some(cohorts::model::CohortStatus::Closed),
            ..Default::default()
        },
    )?;
    second_year(conn, course, issuer, &admin, &i1, &hash, &clock)?;
    // Certification governance over the years: a credential revoked, a scope withdrawn while
    // products stay, holders renewed along the recertification path, and (lately) a renewed
    // credential suspended with its holder's appeal open.
    if let Some(c) = creds.get(1) {
        clock.set(bkk(2023, 6, 12, 10, 0));
        credentials::change_status(
            conn,
            issuer,
            course,
            &admin,
            &c.id,
            StatusAction::Revoke,
            "ขาดคุณสมบัติภายหลังการออกหนังสือรับรอง (ตัวอย่าง)",
        )?;
    }
    let renewed = renewals(conn, course, issuer, &admin, &i2, &creds, &clock)?;
    // A renewed holder is granted the service scope on the record of an earlier project, and
    // it is withdrawn a year later while the product scope stays.
    if let Some(c) = renewed.get(1) {
        clock.set(bkk(2025, 6, 16, 10, 0));
        let service = credentials::issue(
            conn,
            issuer,
            course,
            &admin,
            &credentials::IssueRequest {
                cohort_id: &cid,
                user_id: &c.user_id,
                scope: "service",
                override_reason: Some("ผ่านการอบรมงานบริการจากโครงการเดิม (ตัวอย่าง)"),
                renews_id: None,
                decision_id: None,
            },
        )?;
        clock.set(bkk(2026, 9, 1, 10, 0));
        credentials::change_status(
            conn,
            issuer,
            course,
            &admin,
            &service.id,
            StatusAction::Withdraw,
            "ไม่ได้ปฏิบัติงานตรวจประเมินงานบริการตามที่โครงการกำหนด (ตัวอย่าง)",
        )?;
    }
    let (current, code, newcomer) =
        current_cohort(conn, course, &admin, &i1, &hash, &clock, issuer)?;
    let today = chrono::Utc::now().naive_utc();
    if let Some(c) = renewed.first() {
        clock.set(today - chrono::Duration::days(6));
        credentials::change_status(
            conn,
            issuer,
            course,
            &admin,
            &c.id,
            StatusAction::Suspend,
            "อยู่ระหว่างพิจารณาข้อร้องเรียนจากสถานประกอบการ (ตัวอย่าง)",
        )?;
        if let Some(holder) = trainees.iter().find(|t| t.id == c.user_id) {
            clock.set(today - chrono::Duration::days(2));
            crate::governance::file_appeal(
                conn,
                holder,
                &crate::governance::AppealRequest {
                    subject_type: "credential".into(),
                    subject_id: c.id.to_string(),
                    grounds:
                        "ข้อร้องเรียนเกิดจากความเข้าใจผิดของสถานประกอบการ มีบันทึกการตรวจเป็นหลักฐาน (ตัวอย่าง)"
                            .into(),
                },
            )?;
        }
    }
    // The newcomer joins the current cohort today, with nothing done yet.
    clock.set(today - chrono::Duration::hours(1));
    cohorts::join(conn, &code, &newcomer)?;
    Ok(DemoAccounts {
        admin: ADMIN_EMAIL.into(),
        instructor: INSTRUCTOR_EMAIL.into(),
        trainee: NEWCOMER_EMAIL.into(),
        trainee_halfway: HALFWAY_EMAIL.into(),
        password: DEMO_PASSWORD,
        cohort_id: cid,
        current_cohort_id: current,
        seeded: true,
    })
}

/// Both instructors mark every written answer waiting in the cohort, choosing levels by the
/// trainee's skill with some disagreement between them; the admin moderates where their
/// totals diverge by more than the quiz allows.
fn mark_written(
    conn: &mut DbConnection,
    issuer: &Issuer,
    cohort_id: &crate::cohorts::model::CohortId,
    markers: [&User; 2],
    moderator: &User,
    skills: &std::collections::HashMap<String, f64>,
    rng: &mut Lcg,
) -> Result<(), AppError> {
    let link = issuer.url("");
    for (round, marker) in markers
        .iter()
        .chain(std::iter::once(&moderator))
        .enumerate()
    {
        for item in quizzes::marking::queue(conn, cohort_id, marker, model::Language::Th)? {
            let row =
                quizzes::store::find_attempt(conn, &item.attempt_id)?.ok_or(AppError::NotFound)?;
            let skill = skills.get(row.user_id.as_str()).copied().unwrap_or(0.7);
            let levels = item
                .rubric
                .iter()
                .map(|c| {
                    // The chosen level sits near the trainee's skill; markers differ a little.
                    let jitter = if round == 1 {
                        rng.next() * 0.3 - 0.15
                    } else {
                        0.0
                    };
                    let at = ((skill + jitter).clamp(0.0, 1.0) * (c.levels.len() - 1) as f64)
                        .round() as usize;
                    (
                        c.id.clone(),
                        c.levels[at.min(c.levels.len() - 1)].id.clone(),
                    )
                })
                .collect();
            quizzes::marking::mark(
                conn,
                &item.attempt_id,
                &item.question_id,
                marker,
                &levels,
                "ระบุประเด็นสำคัญได้ ควรอ้างหลักฐานให้เจาะจงยิ่งขึ้น (ตัวอย่าง)",
                &link,
            )?;
        }
    }
    Ok(())
}

fn take_quiz(
    conn: &mut DbConnection,
    cohort_id: &crate::cohorts::model::CohortId,
    slug: &str,
    user: &User,
    skill: f64,
    rng: &mut Lcg,
) -> Result<bool, AppError> {
    let (start, _) = quizzes::start_attempt(conn, cohort_id, slug, user, model::Language::Th)?;
    let row = quizzes::store::find_attempt(conn, &start.attempt_id)?.ok_or(AppError::NotFound)?;
    let layout: quizzes::engine::Layout =
        serde_json::from_str(&row.layout_json).map_err(|e| AppError::Unexpected(e.into()))?;
    let rev = crate::course::store::find_quiz_revision(conn, &(&row.quiz_revision_id).into())?
        .ok_or(AppError::NotFound)?;
    let quiz = crate::course::quiz_definition(&rev)?;
    for laid in &layout.questions {
        let Some(q) = quiz.questions.iter().find(|q| q.id == laid.id) else {
            continue;
        };
        if let quizzes::model::QuestionBody::Essay { .. } = &q.body {
            // A written answer: the model answer's opening, shorter for a weaker trainee
            // (markers then choose levels by the trainee's skill, see `mark_written`).
            let words: Vec<&str> = q.feedback_th.split_whitespace().collect();
            let keep = ((words.len() as f64) * skill).ceil() as usize;
            let text = words[..keep.min(words.len())].join(" ");
            quizzes::save_answer(conn, &row.id, &(&q.id).into(), user, &Value::String(text))?;
            continue;
        }
        if rng.next() > skill {
            continue;
        }
        let key = quizzes::engine::key(q, laid);
        let answer = match key {
            Value::Object(m) if m.contains_key("tolerance") => {
                m.get("answer").cloned().unwrap_or(Value::Null)
            }
            Value::Array(a) if q.body.kind() == "short_text" => {
                a.first().cloned().unwrap_or(Value::Null)
            }
            other => other,
        };
        quizzes::save_answer(conn, &row.id, &(&q.id).into(), user, &answer)?;
    }
    Ok(quizzes::submit(conn, &row.id, user)?.has_passed())
}

/// Who signs the demo's completion certificates, with a drawn signature.
fn demo_signatory() -> crate::evaluation::completion::Signatory {
    use base64::Engine;
    crate::evaluation::completion::Signatory {
        name_th: "นางสาววิมลรัตน์ ตั้งมั่น".into(),
        name_en: "Ms Wimonrat Tangman".into(),
        position_th: "ผู้อำนวยการกองบริหารการรับรอง สมอ. (ตัวอย่าง)".into(),
        position_en: "Director, Certification Division, TISI (example)".into(),
        signature_png: Some(base64::engine::general_purpose::STANDARD.encode(demo_signature_png())),
    }
}

/// A drawn signature for the demo's signatory: a greyscale PNG of a looping stroke.
fn demo_signature_png() -> Vec<u8> {
    use std::io::Write;
    let (w, h) = (240u32, 80u32);
    let mut raw = Vec::with_capacity(((w + 1) * h) as usize);
    for y in 0..h {
        raw.push(0u8);
        for x in 0..w {
            let (fx, fy) = (f64::from(x), f64::from(y));
            // A wave with loops, and an underline.
            let wave = 40.0 + 22.0 * (fx / 18.0).sin() * (fx / 70.0).cos();
            let ink = (fy - wave).abs() < 2.2 || ((66..69).contains(&y) && x > 30 && x < 210);
            raw.push(if ink { 25 } else { 255 });
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).ok();
    let idat = z.finish().unwrap_or_default();
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
        out
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &idat));
    png.extend(chunk(b"IEND", &[]));
    png
}
