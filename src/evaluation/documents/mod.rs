//! The closing report as documents officers file (issue 26): a PDF (A4, Thai in Sarabun, an
//! OFL font in the TH Sarabun style, page numbers, B.E. dates, bar charts) and a DOCX that
//! opens and edits in Word and LibreOffice (Thai as text). Both are drawn from one list of
//! blocks made from the report's figures, so they say the same.

mod docx;
mod pdf;

pub use docx::render_docx;
pub use pdf::render_pdf;

use super::report::Report;

/// The font the PDF sets Thai and Latin in (Sarabun, SIL Open Font License).
static REGULAR: &[u8] = include_bytes!("../../../static/fonts/Sarabun-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../../static/fonts/Sarabun-Bold.ttf");

/// One piece of the report.
#[derive(Debug, Clone)]
pub enum Block {
    Title(String),
    Subtitle(String),
    Heading(String),
    Para(String),
    /// Label and value lines.
    Facts(Vec<(String, String)>),
    /// A table: headings, rows, and each column's share of the width.
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
        widths: Vec<f32>,
    },
    /// Coverage as a tile map: (column, row, reached) per Provincial Industry Office.
    Map {
        caption: String,
        tiles: Vec<(u8, u8, bool)>,
    },
    /// A horizontal bar chart: a caption, and each bar's label and value out of `max`.
    Bars {
        caption: String,
        bars: Vec<(String, f64)>,
        max: f64,
    },
}

/// What the report's front page needs beside the figures.
pub struct ReportHeader {
    pub programme_th: String,
    pub dates_th: String,
    pub made_on_th: String,
}

fn num(x: Option<f64>, digits: usize) -> String {
    x.map(|v| format!("{v:.digits$}"))
        .unwrap_or_else(|| "–".into())
}

fn share(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.1}", 100.0 * part as f64 / whole as f64)
    }
}

fn office_name(code: &str) -> String {
    crate::offices::find(code)
        .map(|o| o.name_th.clone())
        .unwrap_or_else(|| code.to_string())
}

fn province(code: &str) -> String {
    crate::offices::find(code)
        .map(|o| o.province_th.clone())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| office_name(code))
}

/// The figures by office as a table.
fn office_table(offices: &[super::report::OfficeFigures]) -> Block {
    Block::Table {
        head: vec![
            "หน่วยงาน".into(),
            "ผู้เข้า\u{200B}อบรม".into(),
            "ผ่านเกณฑ์\u{200B}การอบรม".into(),
            "ได้รับ\u{200B}หนังสือ\u{200B}รับรอง".into(),
        ],
        rows: offices
            .iter()
            .map(|o| {
                vec![
                    office_name(&o.office_code),
                    o.enrolled.to_string(),
                    o.completed.to_string(),
                    o.credentialed.to_string(),
                ]
            })
            .collect(),
        widths: vec![0.52, 0.14, 0.17, 0.17],
    }
}

/// The figures by region as a table.
fn region_table(regions: &[super::report::RegionFigures]) -> Block {
    Block::Table {
        head: vec![
            "ภาค".into(),
            "สอจ. ที่มี\u{200B}ผู้เข้าอบรม".into(),
            "ผู้เข้า\u{200B}อบรม".into(),
            "ผ่านเกณฑ์\u{200B}การอบรม".into(),
            "ได้รับ\u{200B}หนังสือ\u{200B}รับรอง".into(),
        ],
        rows: regions
            .iter()
            .map(|g| {
                vec![
                    g.name_th.to_string(),
                    format!("{} / {}", g.offices_reached, g.offices),
                    g.enrolled.to_string(),
                    g.completed.to_string(),
                    g.credentialed.to_string(),
                ]
            })
            .collect(),
        widths: vec![0.32, 0.18, 0.14, 0.18, 0.18],
    }
}

/// The coverage picture: the tile map of Thailand, one square per Provincial Industry Office,
/// filled when it had trainees.
fn coverage_map(offices: &[super::report::OfficeFigures]) -> Block {
    Block::Map {
        caption: "ความครอบคลุม 76 สำนักงานอุตสาหกรรมจังหวัด (ช่องทึบ: มีผู้เข้าอบรม ช่องโปร่ง: ยังไม่มี)".into(),
        tiles: crate::offices::TILE_MAP
            .iter()
            .map(|(code, x, y)| (*x, *y, super::report::reached(offices, code)))
            .collect(),
    }
}

/// The indicators as a table: target, result, met.
fn indicator_table(list: &[super::report::Indicator]) -> Block {
    Block::Table {
        head: vec!["ตัวชี้วัด".into(), "เป้าหมาย".into(), "ผล".into(), "บรรลุ".into()],
        rows: list
            .iter()
            .map(|i| {
                vec![
                    i.name_th.to_string(),
                    format!("≥ {}", i.shown(i.target)),
                    i.result.map(|r| i.shown(r)).unwrap_or_else(|| "–".into()),
                    match i.met {
                        Some(true) => "บรรลุ".into(),
                        Some(false) => "ไม่บรรลุ".into(),
                        None => "–".into(),
                    },
                ]
            })
            .collect(),
        widths: vec![0.52, 0.16, 0.16, 0.16],
    }
}

/// The report as blocks, in Thai, in the order of a รายงานผลการดำเนินโครงการ.
pub fn blocks(r: &Report, h: &ReportHeader) -> Vec<Block> {
    let e = &r.evaluation;
    let n = &r.narrative;
    let text_or = |t: &str| {
        if t.trim().is_empty() {
            "(ยังไม่ได้บันทึก)".to_string()
        } else {
            t.to_string()
        }
    };
    let mut out = vec![
        Block::Title("รายงานผลการดำเนินโครงการ".into()),
        Block::Subtitle(h.programme_th.clone()),
        Block::Subtitle(format!(
            "{} ปีงบประมาณ พ.ศ. {}",
            r.cohort_name, r.fiscal_year
        )),
        Block::Subtitle(h.dates_th.clone()),
        Block::Heading("1. หลักการและเหตุผล".into()),
        Block::Para(text_or(&n.background)),
        Block::Heading("2. วัตถุประสงค์".into()),
        Block::Para(text_or(&n.objectives)),
        Block::Heading("3. ตัวชี้วัดและผลการดำเนินงาน".into()),
    ];
    if !r.indicators.is_empty() {
        out.push(indicator_table(&r.indicators));
    }
    out.extend([Block::Facts(vec![
        ("ผู้เข้าอบรม".into(), format!("{} คน", r.enrolled)),
        (
            "ผ่านเกณฑ์การอบรม (ได้รับวุฒิบัตร)".into(),
            format!(
                "{} คน (ร้อยละ {})",
                r.completed,
                share(r.completed, r.enrolled)
            ),
        ),
        (
            "สอบผ่านการประเมินขั้นสุดท้าย".into(),
            format!(
                "{} คน (ร้อยละ {})",
                r.passed_exam,
                share(r.passed_exam, r.enrolled)
            ),
        ),
        (
            "ได้รับหนังสือรับรองผู้ตรวจประเมิน (ผลิตภัณฑ์)".into(),
            format!("{} คน", r.credentialed.product),
        ),
        (
            "ได้รับหนังสือรับรองผู้ตรวจประเมิน (งานบริการ)".into(),
            format!("{} คน", r.credentialed.service),
        ),
        (
            "ชั่วโมงการอบรมตามกำหนดการ".into(),
            format!("{} ชั่วโมง", num(Some(e.attendance.scheduled_hours), 1)),
        ),
    ])]);
    if !r.sessions.is_empty() {
        out.push(Block::Para("การเข้าร่วมรายครั้ง (คน):".into()));
        out.push(Block::Table {
            head: vec![
                "วันที่".into(),
                "หัวข้อ".into(),
                "ในห้อง\u{200B}ประชุม".into(),
                "ออนไลน์".into(),
                "ลา".into(),
                "ขาด".into(),
            ],
            rows: r
                .sessions
                .iter()
                .map(|s| {
                    vec![
                        crate::dates::format_date(
                            crate::dates::local_date(s.starts_at),
                            crate::accounts::model::Language::Th,
                        ),
                        s.title_th.clone(),
                        s.room.to_string(),
                        s.online.to_string(),
                        s.excused.to_string(),
                        s.absent.to_string(),
                    ]
                })
                .collect(),
            widths: vec![0.16, 0.44, 0.11, 0.11, 0.09, 0.09],
        });
    }
    out.extend([
        Block::Heading("4. ผลการทดสอบก่อนและหลังการอบรม".into()),
        Block::Facts(vec![
            (
                "คะแนนเฉลี่ยก่อนการอบรม".into(),
                format!(
                    "ร้อยละ {} (n = {})",
                    num(e.pretest.mean_percent, 2),
                    e.pretest.n
                ),
            ),
            (
                "คะแนนเฉลี่ยหลังการอบรม".into(),
                format!(
                    "ร้อยละ {} (n = {})",
                    num(e.posttest.mean_percent, 2),
                    e.posttest.n
                ),
            ),
            (
                "คะแนนที่เพิ่มขึ้นเฉลี่ย".into(),
                format!(
                    "{} คะแนนร้อยละ (n = {})",
                    num(e.paired.mean_gain, 2),
                    e.paired.n
                ),
            ),
            (
                "ผู้มีคะแนนเพิ่มขึ้น".into(),
                format!("ร้อยละ {}", num(e.paired.improved_percent, 1)),
            ),
            (
                "ความก้าวหน้าที่ปรับแล้ว (normalised gain)".into(),
                num(e.paired.normalised_gain, 2),
            ),
            (
                "การทดสอบค่าที (paired t-test)".into(),
                match (e.paired.t, e.paired.df, e.paired.p) {
                    (Some(t), Some(df), Some(p)) => format!(
                        "t({df:.0}) = {t:.2}, p {}",
                        if p < 0.001 {
                            "< 0.001".to_string()
                        } else {
                            format!("= {p:.3}")
                        }
                    ),
                    _ => "–".into(),
                },
            ),
        ]),
    ]);
    if e.pretest.mean_percent.is_some() || e.posttest.mean_percent.is_some() {
        out.push(Block::Bars {
            caption: "คะแนนเฉลี่ยก่อนและหลังการอบรม (ร้อยละ)".into(),
            bars: vec![
                ("ก่อนการอบรม".into(), e.pretest.mean_percent.unwrap_or(0.0)),
                ("หลังการอบรม".into(), e.posttest.mean_percent.unwrap_or(0.0)),
            ],
            max: 100.0,
        });
    }
    out.push(Block::Heading("5. ความพึงพอใจของผู้เข้าอบรม".into()));
    match &e.satisfaction {
        Some(s) if s.n > 0 => {
            let mut rows: Vec<Vec<String>> = s
                .sections
                .iter()
                .map(|sec| {
                    vec![
                        sec.title.clone(),
                        sec.rating.n.to_string(),
                        num(sec.rating.mean, 2),
                        num(sec.rating.sd, 2),
                        sec.rating.band_th.unwrap_or("–").to_string(),
                    ]
                })
                .collect();
            rows.push(vec![
                "ภาพรวม".into(),
                s.n.to_string(),
                num(s.mean, 2),
                num(s.sd, 2),
                s.band_th.unwrap_or("–").to_string(),
            ]);
            out.push(Block::Table {
                head: vec![
                    "ด้าน".into(),
                    "n".into(),
                    "ค่าเฉลี่ย".into(),
                    "ส่วนเบี่ยงเบน\u{200B}มาตรฐาน (S.D.)".into(),
                    "ระดับ".into(),
                ],
                rows,
                widths: vec![0.40, 0.08, 0.14, 0.22, 0.16],
            });
            out.push(Block::Bars {
                caption: "ความพึงพอใจรายด้าน (คะแนนเต็ม 5)".into(),
                bars: s
                    .sections
                    .iter()
                    .map(|sec| (sec.title.clone(), sec.rating.mean.unwrap_or(0.0)))
                    .collect(),
                max: 5.0,
            });
            if !s.comments.is_empty() {
                out.push(Block::Para("ข้อคิดเห็นของผู้เข้าอบรม:".into()));
                for c in &s.comments {
                    out.push(Block::Para(format!("• {}", c.text)));
                }
            }
        }
        _ => out.push(Block::Para("ยังไม่มีผู้ตอบแบบประเมินความพึงพอใจ".into())),
    }
    out.push(Block::Heading("6. ผู้เข้าอบรมจำแนกตามหน่วยงาน".into()));
    out.push(office_table(&r.offices));
    out.push(region_table(&r.regions));
    out.push(Block::Heading("7. ปัญหาและอุปสรรค".into()));
    out.push(Block::Para(text_or(&n.problems)));
    out.push(Block::Heading("8. ข้อเสนอแนะ".into()));
    out.push(Block::Para(text_or(&n.suggestions)));
    out.push(Block::Heading("ภาคผนวก รายชื่อผู้เข้าอบรม".into()));
    out.push(Block::Table {
        head: vec![
            "ลำดับ".into(),
            "ชื่อ".into(),
            "จังหวัด".into(),
            "ชั่วโมง".into(),
            "ร้อยละ\u{200B}ของเวลา".into(),
            "ผ่านเกณฑ์\u{200B}การอบรม".into(),
            "สอบผ่าน".into(),
        ],
        rows: r
            .trainees
            .iter()
            .enumerate()
            .map(|(i, t)| {
                vec![
                    (i + 1).to_string(),
                    t.name.clone(),
                    province(&t.office_code),
                    num(Some(t.attended_hours), 1),
                    num(t.attendance_percent, 1),
                    if t.completed {
                        "ผ่าน"
                    } else {
                        "ไม่ผ่าน"
                    }
                    .into(),
                    if t.passed_exam {
                        "ผ่าน"
                    } else {
                        "ไม่ผ่าน"
                    }
                    .into(),
                ]
            })
            .collect(),
        widths: vec![0.08, 0.28, 0.16, 0.10, 0.12, 0.14, 0.12],
    });
    out.push(Block::Para(format!("จัดทำเมื่อ {}", h.made_on_th)));
    out
}

/// The fiscal-year report as blocks, in Thai: indicators, totals, every cohort, the offices and
/// the Provincial Industry Offices not reached yet.
pub fn fiscal_year_blocks(
    r: &super::report::FiscalYearReport,
    programme_th: &str,
    made_on_th: &str,
) -> Vec<Block> {
    // Within the year's report a cohort is named without the year ("รุ่นที่ 2").
    let year_suffix = format!(" ประจำปีงบประมาณ พ.ศ. {}", r.fiscal_year);
    let short = |name: &str| name.replace(&year_suffix, "");
    let mut out = vec![
        Block::Title("รายงานผลการดำเนินโครงการประจำปีงบประมาณ".into()),
        Block::Subtitle(programme_th.to_string()),
        Block::Subtitle(format!(
            "ปีงบประมาณ พ.ศ. {} ({} รุ่น)",
            r.fiscal_year,
            r.cohorts.len()
        )),
        Block::Heading("1. ตัวชี้วัดโครงการ".into()),
    ];
    if !r.indicators.is_empty() {
        out.push(indicator_table(&r.indicators));
    }
    out.push(Block::Heading("2. ผลการดำเนินงานรวม".into()));
    out.push(Block::Facts(vec![
        ("ผู้เข้าอบรม".into(), format!("{} คน", r.enrolled)),
        (
            "ผ่านเกณฑ์การอบรม (ได้รับวุฒิบัตร)".into(),
            format!(
                "{} คน (ร้อยละ {})",
                r.completed,
                share(r.completed, r.enrolled)
            ),
        ),
        (
            "สอบผ่านการประเมินขั้นสุดท้าย".into(),
            format!("{} คน", r.passed_exam),
        ),
        (
            "ได้รับหนังสือรับรองผู้ตรวจประเมิน (ผลิตภัณฑ์)".into(),
            format!("{} คน", r.credentialed.product),
        ),
        (
            "ได้รับหนังสือรับรองผู้ตรวจประเมิน (งานบริการ)".into(),
            format!("{} คน", r.credentialed.service),
        ),
        (
            "สำนักงานอุตสาหกรรมจังหวัดที่มีผู้เข้าอบรม".into(),
            format!(
                "{} จาก {} แห่ง",
                r.provincial_offices_reached, r.provincial_offices
            ),
        ),
    ]));
    out.push(Block::Heading("3. ผลรายรุ่น".into()));
    out.push(Block::Table {
        head: vec![
            "รุ่น".into(),
            "ผู้เข้า\u{200B}อบรม".into(),
            "ผ่านเกณฑ์\u{200B}การอบรม".into(),
            "สอบผ่าน".into(),
            "หนังสือ\u{200B}รับรอง".into(),
            "ความพึง\u{200B}พอใจ".into(),
            "คะแนน\u{200B}หลังอบรม".into(),
        ],
        rows: r
            .cohorts
            .iter()
            .map(|c| {
                vec![
                    short(&c.cohort_name),
                    c.enrolled.to_string(),
                    c.completed.to_string(),
                    c.passed_exam.to_string(),
                    (c.credentialed.product + c.credentialed.service).to_string(),
                    num(c.satisfaction_mean, 2),
                    num(c.posttest_mean_percent, 1),
                ]
            })
            .collect(),
        widths: vec![0.28, 0.11, 0.13, 0.11, 0.12, 0.12, 0.13],
    });
    if !r.cohorts.is_empty() {
        out.push(Block::Bars {
            caption: "ผู้เข้าอบรมรายรุ่น (คน)".into(),
            bars: r
                .cohorts
                .iter()
                .map(|c| (short(&c.cohort_name), c.enrolled as f64))
                .collect(),
            max: r
                .cohorts
                .iter()
                .map(|c| c.enrolled)
                .max()
                .unwrap_or(1)
                .max(1) as f64,
        });
    }
    out.push(Block::Heading("4. ผู้เข้าอบรมจำแนกตามหน่วยงาน".into()));
    out.push(office_table(&r.offices));
    out.push(region_table(&r.regions));
    out.push(coverage_map(&r.offices));
    let missing: Vec<String> = super::report::not_reached(&r.offices)
        .into_iter()
        .map(|o| o.province_th.clone())
        .collect();
    out.push(Block::Heading(format!(
        "5. จังหวัดที่ยังไม่มีผู้เข้าอบรม ({} จังหวัด)",
        missing.len()
    )));
    out.push(Block::Para(if missing.is_empty() {
        "ครบทุกจังหวัด".into()
    } else {
        missing.join(" ")
    }));
    out.push(Block::Para(format!("จัดทำเมื่อ {made_on_th}")));
    out
}
