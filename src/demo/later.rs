//! The demo's later years: FY2566, the FY2568 recertification cohort, and the cohort in
//! training now.

use super::*;

/// Offices of the second year's cohort: other provinces than the first year's, so the
/// fiscal-year views show the reach growing.
const OFFICES_2566: [&str; 8] = [
    "TH-57", "TH-35", "TH-41", "TH-80", "TH-63", "TH-70", "TH-86", "TH-24",
];

/// A second fiscal year (FY2566): a smaller cohort that has finished its sessions, pre- and
/// post-test and survey, with its completion certificates and narrative, so both the cohort
/// report and the fiscal-year view have two years to show.
pub(super) fn second_year(
    conn: &mut DbConnection,
    course: &Course,
    issuer: &Issuer,
    admin: &User,
    instructor: &User,
    hash: &str,
    clock: &crate::util::Clock,
) -> Result<(), AppError> {
    clock.set(bkk(2022, 12, 20, 9, 0));
    let mut rng = Lcg(2566);
    let mut trainees = Vec::new();
    for i in 0..16 {
        let given = (i * 3 + 1) % GIVEN.len();
        let title = if given.is_multiple_of(2) {
            "นาย"
        } else {
            "นางสาว"
        };
        let family = FAMILY[(i * 11 + 5) % FAMILY.len()];
        trainees.push(demo_trainee(
            conn,
            &format!("trainee2566-{:02}@poi.example", i + 1),
            &format!("{title} {} {family}", GIVEN[given]),
            OFFICES_2566[i % OFFICES_2566.len()],
            hash,
            issuer,
        )?);
    }
    let cohort = demo_cohort(
        conn,
        course,
        (None, "Generation 1 FY2566".into()),
        (day(2023, 1, 10), day(2023, 2, 28)),
        20,
        &[instructor],
    )?;
    let cid = cohort.id.clone();
    clock.set(bkk(2023, 1, 5, 9, 0));
    for t in &trainees {
        cohorts::join(conn, &cohort.join_code.clone().unwrap_or_default(), t)?;
    }
    for (th, en, start, end) in [
        (
            "ภาพรวม มอก. เอส และเส้นทางการรับรอง",
            "TIS-S and the certification path",
            bkk(2023, 1, 10, 9, 0),
            bkk(2023, 1, 10, 16, 0),
        ),
        (
            "ฝึกปฏิบัติการตรวจประเมินและการเขียนข้อค้นพบ",
            "Assessment practice and findings",
            bkk(2023, 2, 7, 9, 0),
            bkk(2023, 2, 7, 16, 0),
        ),
    ] {
        let s = cohorts::create_session(
            conn,
            &cid,
            &cohorts::NewSession {
                title_th: th.into(),
                title_en: en.into(),
                starts_at: start,
                ends_at: end,
                venue: "ห้องประชุม สมอ.".into(),
                meeting_url: Some("https://zoom.example/j/2566000001".to_string()),
                mode: "hybrid".parse().map_err(AppError::invalid)?,
            },
        )?;
        let row = cohorts::store::find_session(conn, &s.id)?.ok_or(AppError::NotFound)?;
        let marking = crate::util::clock_guard(crate::util::Clock::at(end));
        for (i, t) in trainees.iter().enumerate() {
            let status = if rng.next() > 0.9 {
                AttendanceStatus::Absent
            } else {
                AttendanceStatus::Present
            };
            let via = if i % 3 == 0 { "online" } else { "room" };
            cohorts::mark_attendance(conn, &row, &t.id, status, Some(via), None)?;
        }
        drop(marking);
    }
    let (pre, post) = (
        course.programme.pretest.as_deref(),
        course.programme.posttest.as_deref(),
    );
    for slug in [pre, post].into_iter().flatten() {
        quizzes::publish_quiz(conn, &cid, slug, admin, None, None)?;
    }
    let survey = course
        .programme
        .survey
        .as_deref()
        .and_then(|s| course.surveys.iter().find(|v| v.slug == s));
    for (i, t) in trainees.iter().enumerate() {
        let skill = 0.55 + 0.4 * ((i * 5) % trainees.len()) as f64 / trainees.len() as f64;
        clock.set(bkk(2023, 1, 10, 8, 0) + chrono::Duration::minutes(i as i64));
        if let Some(pre) = pre {
            take_quiz(conn, &cid, pre, t, skill * 0.6, &mut rng)?;
        }
        clock.set(bkk(2023, 2, 27, 13, 0) + chrono::Duration::minutes(i as i64));
        if let Some(post) = post {
            take_quiz(conn, &cid, post, t, skill, &mut rng)?;
        }
        if let Some(survey) = survey {
            let mut answers = std::collections::BTreeMap::new();
            for (_, item) in survey.items() {
                if item.kind == crate::course::model::SurveyItemKind::Scale {
                    let r = (3.9 + 1.2 * rng.next()).round().clamp(1.0, 5.0);
                    answers.insert(item.id.clone(), Value::from(r as u64));
                }
            }
            crate::evaluation::respond(conn, course, &cid, &survey.slug, t, &answers)?;
        }
    }
    clock.set(bkk(2023, 2, 28, 16, 0));
    crate::evaluation::completion::save_signatory(conn, &cid, admin, &demo_signatory())?;
    crate::evaluation::completion::issue(conn, issuer, course, &cid, admin)?;
    clock.set(bkk(2023, 3, 10, 10, 0));
    crate::evaluation::report::save_narrative(
        conn,
        &cid,
        admin,
        &crate::evaluation::store::Narrative {
            background: "สมอ. ร่วมกับสำนักงานอุตสาหกรรมจังหวัด พัฒนาผู้ตรวจประเมิน มอก. เอส เพื่อรองรับคำขอของผู้ประกอบการ SMEs และวิสาหกิจเริ่มต้นที่เพิ่มขึ้นในภูมิภาค (ตัวอย่าง)".into(),
            objectives: "เพื่อให้บุคลากรของสำนักงานอุตสาหกรรมจังหวัดมีความรู้และทักษะในการตรวจประเมิน มอก. เอส (ตัวอย่าง)".into(),
            problems: "สัญญาณอินเทอร์เน็ตของผู้เข้าร่วมออนไลน์บางจังหวัดไม่เสถียรในช่วงบ่าย (ตัวอย่าง)".into(),
            suggestions: "ควรจัดภาคปฏิบัติ ณ สถานประกอบการจริงเพิ่มขึ้น (ตัวอย่าง)".into(),
        },
    )?;
    cohorts::update_cohort(
        conn,
        &cid,
        &cohorts::CohortUpdate {
            status: Some(cohorts::model::CohortStatus::Closed),
            ..Default::default()
        },
    )?;
    Ok(())
}

/// The recertification cohort of FY2568: the FY2565 product holders still in good standing read
/// the refresher and pass the recertification quiz in the six months before their credentials
/// expire, and an admin renews those who completed the path. Returns the renewed credentials.
pub(super) fn renewals(
    conn: &mut DbConnection,
    course: &Course,
    issuer: &Issuer,
    admin: &User,
    instructor: &User,
    creds: &[credentials::CredentialView],
    clock: &crate::util::Clock,
) -> Result<Vec<credentials::CredentialView>, AppError> {
    clock.set(bkk(2024, 10, 15, 9, 0));
    let cohort = demo_cohort(
        conn,
        course,
        (
            Some("รุ่นที่ 1 ประจำปีงบประมาณ พ.ศ. 2568 (ต่ออายุหนังสือรับรอง)"),
            "Generation 1 FY2568 (recertification)".into(),
        ),
        (day(2024, 11, 18), day(2025, 1, 31)),
        40,
        &[instructor],
    )?;
    let cid = cohort.id.clone();
    // The holders: product credentials, less the one revoked in 2023.
    let mut holders = Vec::new();
    for c in creds
        .iter()
        .enumerate()
        .filter(|(i, c)| *i != 1 && c.scope == "product")
    {
        holders.push((c.1.id.clone(), accounts::get_user(conn, &c.1.user_id)?));
        if holders.len() == 12 {
            break;
        }
    }
    clock.set(bkk(2024, 11, 12, 9, 0));
    for (_, h) in &holders {
        cohorts::join(conn, &cohort.join_code.clone().unwrap_or_default(), h)?;
    }
    clock.set(bkk(2024, 11, 15, 16, 0));
    for m in course
        .modules
        .iter()
        .filter(|m| course.is_renewal_only(&m.slug))
    {
        crate::course::publish_module(conn, &cid, &m.slug, admin)?;
    }
    let recert: Vec<&crate::quizzes::model::Quiz> = course
        .quizzes
        .iter()
        .filter(|q| course.is_renewal_only(&q.slug))
        .collect();
    for q in &recert {
        quizzes::publish_quiz(conn, &cid, &q.slug, admin, None, None)?;
    }
    let mut rng = Lcg(2568);
    for (i, (_, h)) in holders.iter().enumerate() {
        clock.set(bkk(2024, 12, 2 + (i % 20) as u32, 10, 0));
        for m in course
            .modules
            .iter()
            .filter(|m| course.is_renewal_only(&m.slug))
        {
            crate::course::complete_module(conn, &cid, &m.slug, h)?;
        }
        for q in &recert {
            for n in 0..q.attempts_allowed {
                if take_quiz(conn, &cid, &q.slug, h, 0.9 + 0.04 * f64::from(n), &mut rng)? {
                    break;
                }
            }
        }
    }
    clock.set(bkk(2025, 1, 31, 15, 0));
    let mut renewed = Vec::new();
    for (id, _) in &holders {
        if credentials::recertification_for(conn, course, id, admin)?.ready {
            renewed.push(credentials::renew(
                conn,
                issuer,
                course,
                admin,
                id,
                "อ่านบทเรียนทบทวนและสอบต่ออายุผ่านในรุ่นต่ออายุ พ.ศ. 2568 (ตัวอย่าง)",
                None,
            )?);
        }
    }
    clock.set(bkk(2025, 2, 3, 9, 0));
    cohorts::update_cohort(
        conn,
        &cid,
        &cohorts::CohortUpdate {
            status: Some(cohorts::model::CohortStatus::Closed),
            ..Default::default()
        },
    )?;
    Ok(renewed)
}

/// Offices of the current cohort.
const OFFICES_NOW: [&str; 6] = ["TH-12", "TH-13", "TH-60", "TH-71", "TH-84", "TH-47"];

/// The cohort in training now: it started three weeks ago, two of its four sessions are held.
/// `newcomer02` is half-way (pre-test, three modules read, their quizzes passed), the others
/// are spread between; `newcomer01` is returned with the join code, to join today.
pub(super) fn current_cohort(
    conn: &mut DbConnection,
    course: &Course,
    admin: &User,
    instructor: &User,
    hash: &str,
    clock: &crate::util::Clock,
    issuer: &Issuer,
) -> Result<(crate::cohorts::model::CohortId, String, User), AppError> {
    let today = Utc::now()
        .with_timezone(&crate::dates::bangkok())
        .date_naive();
    let starts = today - chrono::Duration::days(24);
    let ends = starts + chrono::Duration::days(70);
    let at = |d: NaiveDate, h: u32| {
        use chrono::Datelike;
        bkk(d.year(), d.month(), d.day(), h, 0)
    };
    clock.set(at(starts - chrono::Duration::days(14), 9));
    let mut trainees = Vec::new();
    for i in 0..12 {
        let given = (i * 3 + 2) % GIVEN.len();
        let title = if given.is_multiple_of(2) {
            "นาย"
        } else if i % 3 == 0 {
            "นาง"
        } else {
            "นางสาว"
        };
        let family = FAMILY[(i * 13 + 9) % FAMILY.len()];
        trainees.push(demo_trainee(
            conn,
            &format!("newcomer{:02}@poi.example", i + 1),
            &format!("{title} {} {family}", GIVEN[given]),
            OFFICES_NOW[i % OFFICES_NOW.len()],
            hash,
            issuer,
        )?);
    }
    let fy = crate::dates::fiscal_year_be(starts);
    let cohort = demo_cohort(
        conn,
        course,
        (None, format!("Generation 1 FY{fy}")),
        (starts, ends),
        40,
        &[instructor],
    )?;
    let cid = cohort.id.clone();
    let code = cohort.join_code.clone().unwrap_or_default();
    clock.set(at(starts - chrono::Duration::days(7), 10));
    for t in trainees.iter().skip(1) {
        cohorts::join(conn, &code, t)?;
    }
    clock.set(at(starts - chrono::Duration::days(3), 16));
    let training = |slug: &str| !course.is_renewal_only(slug);
    for m in course.modules.iter().filter(|m| training(&m.slug)) {
        crate::course::publish_module(conn, &cid, &m.slug, admin)?;
    }
    for q in course.quizzes.iter().filter(|q| training(&q.slug)) {
        quizzes::publish_quiz(conn, &cid, &q.slug, admin, None, None)?;
    }
    let sessions = [
        (
            "พิธีเปิดและภาพรวม มอก. เอส",
            "Opening and TIS-S overview",
            starts,
            (9, 12),
            "hybrid",
        ),
        (
            "ฝึกปฏิบัติการตรวจประเมิน ณ สถานประกอบการ",
            "On-site assessment practice",
            starts + chrono::Duration::days(14),
            (9, 16),
            "onsite",
        ),
        (
            "การเขียนข้อค้นพบและรายงานผลการตรวจประเมิน",
            "Writing findings and the assessment report",
            today + chrono::Duration::days(3),
            (9, 12),
            "hybrid",
        ),
        (
            "มอก. เอส งานบริการ และการสอบประมวลความรู้",
            "TIS-S for services, and the final exam",
            ends - chrono::Duration::days(7),
            (9, 16),
            "hybrid",
        ),
    ];
    let mut rng = Lcg(2570);
    for (th, en, day, (from, to), mode) in sessions {
        let s = cohorts::create_session(
            conn,
            &cid,
            &cohorts::NewSession {
                title_th: th.into(),
                title_en: en.into(),
                starts_at: at(day, from),
                ends_at: at(day, to),
                venue: "ห้องประชุม สมอ.".into(),
                meeting_url: (mode != "onsite")
                    .then(|| "https://zoom.example/j/2570000001".to_string()),
                mode: mode.parse().map_err(AppError::invalid)?,
            },
        )?;
        if day >= today {
            continue;
        }
        let row = cohorts::store::find_session(conn, &s.id)?.ok_or(AppError::NotFound)?;
        let marking = crate::util::clock_guard(crate::util::Clock::at(at(day, to)));
        for (i, t) in trainees.iter().enumerate().skip(1) {
            let status = if rng.next() > 0.92 {
                AttendanceStatus::Absent
            } else {
                AttendanceStatus::Present
            };
            let via = if mode == "hybrid" && i % 2 == 1 {
                "online"
            } else {
                "room"
            };
            cohorts::mark_attendance(conn, &row, &t.id, status, Some(via), None)?;
        }
        drop(marking);
    }
    clock.set(at(starts, 8));
    cohorts::update_cohort(
        conn,
        &cid,
        &cohorts::CohortUpdate {
            status: Some(cohorts::model::CohortStatus::Running),
            ..Default::default()
        },
    )?;
    // Modules read by each trainee (the newcomer none, the half-way trainee three).
    const READ: [usize; 12] = [0, 3, 1, 2, 4, 2, 3, 1, 4, 2, 3, 1];
    let modules: Vec<&crate::course::model::Module> = course
        .modules
        .iter()
        .filter(|m| training(&m.slug))
        .collect();
    let pre = course.programme.pretest.as_deref();
    for (i, t) in trainees.iter().enumerate().skip(1) {
        let skill = if i == 1 { 0.97 } else { 0.6 + 0.03 * i as f64 };
        clock.set(at(starts, 8) + chrono::Duration::minutes(i as i64));
        if let Some(pre) = pre {
            take_quiz(conn, &cid, pre, t, skill * 0.55, &mut rng)?;
        }
        for (k, m) in modules.iter().take(READ[i]).enumerate() {
            clock.set(at(starts + chrono::Duration::days(2 + 4 * k as i64), 19));
            crate::course::complete_module(conn, &cid, &m.slug, t)?;
            for q in course
                .quizzes
                .iter()
                .filter(|q| q.module.as_deref() == Some(m.slug.as_str()) && q.requires.is_empty())
            {
                for n in 0..q.attempts_allowed {
                    let revised = (skill + 0.1 * f64::from(n)).min(0.99);
                    if take_quiz(conn, &cid, &q.slug, t, revised, &mut rng)? {
                        break;
                    }
                }
            }
        }
    }
    // Yesterday an instructor recommended the trainee furthest ahead, before the final exam:
    // the admins' queue shows it with the criteria not yet met.
    clock.set(at(today - chrono::Duration::days(1), 15));
    crate::governance::recommend(
        conn,
        course,
        &cid,
        instructor,
        &crate::governance::RecommendRequest {
            user_id: trainees[4].id.clone(),
            scope: "product".into(),
            rationale: "ฝึกปฏิบัติการตรวจประเมินได้ดีเกินคาด ขอให้พิจารณาเมื่อสอบประมวลความรู้ผ่าน (ตัวอย่าง)"
                .into(),
        },
    )?;
    let newcomer = trainees.swap_remove(0);
    Ok((cid, code, newcomer))
}

/// A demo trainee account (Thai, with the demo password).
pub(super) fn demo_trainee(
    conn: &mut DbConnection,
    email: &str,
    name: &str,
    office: &str,
    hash: &str,
    issuer: &Issuer,
) -> Result<User, AppError> {
    accounts::create_user(
        conn,
        &NewUser {
            email: model::EmailAddress::parse(email).map_err(AppError::invalid)?,
            name: model::PersonName::parse(name).map_err(AppError::invalid)?,
            name_en: None,
            role: model::Role::Trainee,
            office_code: office.into(),
            language: model::Language::Th,
            password_hash: Some(hash.to_string()),
        },
        &issuer.base_url,
    )
}
