//! The closing report as documents officers file (issue 26): a PDF (A4, Thai in Sarabun, an
//! OFL font in the TH Sarabun style, page numbers, B.E. dates, bar charts) and a DOCX that
//! opens and edits in Word and LibreOffice (Thai as text). Both are drawn from one list of
//! blocks made from the report's figures, so they say the same.

use std::sync::OnceLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use krilla::Document;

use super::report::Report;
use crate::error::AppError;

static REGULAR: &[u8] = include_bytes!("../../static/fonts/Sarabun-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../static/fonts/Sarabun-Bold.ttf");

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
            .map(|(code, x, y)| {
                (
                    *x,
                    *y,
                    offices
                        .iter()
                        .any(|o| o.office_code == *code && o.enrolled > 0),
                )
            })
            .collect(),
    }
}

/// The indicators as a table: target, result, met.
fn indicator_table(list: &[super::report::Indicator]) -> Block {
    let value = |id: &str, v: f64| {
        if id == "satisfaction_mean" {
            format!("{v:.2}")
        } else if id == "offices" {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    };
    Block::Table {
        head: vec!["ตัวชี้วัด".into(), "เป้าหมาย".into(), "ผล".into(), "บรรลุ".into()],
        rows: list
            .iter()
            .map(|i| {
                vec![
                    i.name_th.to_string(),
                    format!("≥ {}", value(i.id, i.target)),
                    i.result
                        .map(|r| value(i.id, r))
                        .unwrap_or_else(|| "–".into()),
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
    out.push(Block::Table {
        head: vec![
            "หน่วยงาน".into(),
            "ผู้เข้า\u{200B}อบรม".into(),
            "ผ่านเกณฑ์\u{200B}การอบรม".into(),
            "ได้รับ\u{200B}หนังสือ\u{200B}รับรอง".into(),
        ],
        rows: r
            .offices
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
    });
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
    out.push(Block::Table {
        head: vec![
            "หน่วยงาน".into(),
            "ผู้เข้า\u{200B}อบรม".into(),
            "ผ่านเกณฑ์\u{200B}การอบรม".into(),
            "ได้รับ\u{200B}หนังสือ\u{200B}รับรอง".into(),
        ],
        rows: r
            .offices
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
    });
    out.push(region_table(&r.regions));
    out.push(coverage_map(&r.offices));
    let missing: Vec<String> = crate::offices::all()
        .iter()
        .filter(|o| o.kind == "provincial_industry_office")
        .filter(|o| {
            !r.offices
                .iter()
                .any(|x| x.office_code == o.code && x.enrolled > 0)
        })
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

// ----- PDF ------------------------------------------------------------------------------------

struct Fonts {
    regular: Font,
    bold: Font,
}

fn fonts() -> Result<&'static Fonts, AppError> {
    static F: OnceLock<Option<Fonts>> = OnceLock::new();
    F.get_or_init(|| {
        Some(Fonts {
            regular: Font::new(REGULAR.into(), 0)?,
            bold: Font::new(BOLD.into(), 0)?,
        })
    })
    .as_ref()
    .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("embedded fonts do not load")))
}

/// Width of `text` in points, as shaped.
fn width(bold: bool, text: &str, size: f32) -> f32 {
    let data = if bold { BOLD } else { REGULAR };
    let Some(face) = rustybuzz::Face::from_slice(data, 0) else {
        return 0.0;
    };
    let mut buf = rustybuzz::UnicodeBuffer::new();
    buf.push_str(text);
    let shaped = rustybuzz::shape(&face, &[], buf);
    let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
    units as f32 * size / f32::from(face.units_per_em() as u16)
}

/// Thai marks that sit on the consonant before them: a line never breaks before one.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
}

/// Splits a word that is wider than the line at character boundaries that keep every mark
/// with its consonant.
fn split_long(word: &str, bold: bool, size: f32, max: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // One cluster: a character and the marks after it.
        let mut cluster = chars[i].to_string();
        i += 1;
        while i < chars.len() && is_mark(chars[i]) {
            cluster.push(chars[i]);
            i += 1;
        }
        let candidate = format!("{cur}{cluster}");
        if !cur.is_empty() && width(bold, &candidate, size) > max {
            out.push(std::mem::take(&mut cur));
            cur = cluster;
        } else {
            cur = candidate;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Breaks text into lines no wider than `max`: at spaces (Thai writers space between phrases)
/// and zero-width spaces (break opportunities in labels), and inside a word only when the word
/// alone is too wide. Newlines start new lines.
fn wrap(text: &str, bold: bool, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut cur = String::new();
        // Each piece with what joins it to the one before: a space, or nothing after a ZWSP.
        let mut pieces: Vec<(&str, &str)> = Vec::new();
        for (i, spaced) in para.split(' ').enumerate() {
            for (j, piece) in spaced.split('\u{200B}').enumerate() {
                let joint = if j > 0 {
                    ""
                } else if i > 0 {
                    " "
                } else {
                    ""
                };
                pieces.push((joint, piece));
            }
        }
        for (joint, word) in pieces.into_iter().filter(|(_, w)| !w.is_empty()) {
            let candidate = if cur.is_empty() {
                word.to_string()
            } else {
                format!("{cur}{joint}{word}")
            };
            if width(bold, &candidate, size) <= max {
                cur = candidate;
                continue;
            }
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            if width(bold, word, size) <= max {
                cur = word.to_string();
            } else {
                let mut parts = split_long(word, bold, size, max);
                cur = parts.pop().unwrap_or_default();
                lines.extend(parts);
            }
        }
        lines.push(cur);
    }
    lines
}

/// What is drawn on one page.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        rgb: (u8, u8, u8),
    },
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const TOP: f32 = 60.0;
const BOTTOM: f32 = PAGE_H - 64.0;
const BODY: f32 = 13.0;

struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Layout {
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Makes room for `h` points, starting a page when they do not fit.
    fn room(&mut self, h: f32) {
        if self.y + h > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let y = self.y + size;
        self.page().push(Op::Text {
            x,
            y,
            size,
            bold,
            text: text.to_string(),
        });
    }

    fn lines(&mut self, text: &str, size: f32, bold: bool, centred: bool) {
        let lh = size * 1.45;
        for line in wrap(text, bold, size, PAGE_W - 2.0 * MARGIN) {
            self.room(lh);
            let x = if centred {
                (PAGE_W - width(bold, &line, size)) / 2.0
            } else {
                MARGIN
            };
            self.text(x, size, bold, &line);
            self.y += lh;
        }
    }

    fn table(&mut self, head: &[String], rows: &[Vec<String>], widths: &[f32]) {
        let total = PAGE_W - 2.0 * MARGIN;
        let cols: Vec<f32> = widths.iter().map(|w| w * total).collect();
        let size = 11.0;
        let lh = size * 1.4;
        let pad = 4.0;
        let row_lines = |cells: &[String], bold: bool| -> Vec<Vec<String>> {
            cells
                .iter()
                .zip(&cols)
                .map(|(c, w)| wrap(c, bold, size, w - 2.0 * pad))
                .collect()
        };
        let draw_row = |l: &mut Layout, lines: &[Vec<String>], bold: bool, shade: bool| {
            let height = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * lh + 2.0 * pad;
            l.room(height);
            let y0 = l.y;
            if shade {
                l.page().push(Op::Rect {
                    x: MARGIN,
                    y: y0,
                    w: total,
                    h: height,
                    rgb: (228, 236, 246),
                });
            }
            let mut x = MARGIN;
            for (cell, w) in lines.iter().zip(&cols) {
                for (i, line) in cell.iter().enumerate() {
                    let y = y0 + pad + i as f32 * lh;
                    l.page().push(Op::Text {
                        x: x + pad,
                        y: y + size,
                        size,
                        bold,
                        text: line.clone(),
                    });
                }
                x += w;
            }
            l.page().push(Op::Rect {
                x: MARGIN,
                y: y0 + height,
                w: total,
                h: 0.5,
                rgb: (150, 160, 170),
            });
            l.y = y0 + height;
        };
        let head_lines = row_lines(head, true);
        draw_row(self, &head_lines, true, true);
        for row in rows {
            let lines = row_lines(row, false);
            let height = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * lh + 2.0 * pad;
            if self.y + height > BOTTOM {
                // The heading row again at the top of the next page.
                self.new_page();
                draw_row(self, &head_lines, true, true);
            }
            draw_row(self, &lines, false, false);
        }
        self.y += 8.0;
    }

    fn map(&mut self, caption: &str, tiles: &[(u8, u8, bool)]) {
        let tile = 11.0_f32;
        let step = tile + 2.0;
        let rows = tiles.iter().map(|t| t.1).max().unwrap_or(0) as f32 + 1.0;
        self.room(30.0 + rows * step);
        self.lines(caption, 12.0, true, false);
        let (x0, y0) = (MARGIN + 20.0, self.y + 4.0);
        for (x, y, on) in tiles {
            let (px, py) = (x0 + f32::from(*x) * step, y0 + f32::from(*y) * step);
            self.page().push(Op::Rect {
                x: px,
                y: py,
                w: tile,
                h: tile,
                rgb: (11, 79, 138),
            });
            if !on {
                self.page().push(Op::Rect {
                    x: px + 1.2,
                    y: py + 1.2,
                    w: tile - 2.4,
                    h: tile - 2.4,
                    rgb: (255, 255, 255),
                });
            }
        }
        self.y = y0 + rows * step + 8.0;
    }

    fn bars(&mut self, caption: &str, bars: &[(String, f64)], max: f64) {
        let size = 11.0;
        let row = 20.0;
        let label_w = 170.0;
        let plot_w = PAGE_W - 2.0 * MARGIN - label_w - 40.0;
        self.room(24.0 + row * bars.len() as f32);
        self.lines(caption, 12.0, true, false);
        for (label, value) in bars {
            let label = wrap(label, false, size, label_w - 6.0)
                .into_iter()
                .next()
                .unwrap_or_default();
            self.text(MARGIN, size, false, &label);
            let w = if max > 0.0 {
                (value / max).clamp(0.0, 1.0) as f32 * plot_w
            } else {
                0.0
            };
            let y = self.y + 3.0;
            self.page().push(Op::Rect {
                x: MARGIN + label_w,
                y,
                w: w.max(0.5),
                h: row - 8.0,
                rgb: (11, 79, 138),
            });
            let baseline = self.y + size;
            self.page().push(Op::Text {
                x: MARGIN + label_w + w + 4.0,
                y: baseline,
                size,
                bold: false,
                text: if value.fract() == 0.0 {
                    format!("{value:.0}")
                } else {
                    format!("{value:.2}")
                },
            });
            self.y += row;
        }
        // The axis.
        let top = self.y - row * bars.len() as f32;
        self.page().push(Op::Rect {
            x: MARGIN + label_w,
            y: top,
            w: 0.7,
            h: row * bars.len() as f32,
            rgb: (60, 60, 60),
        });
        self.y += 8.0;
    }
}

/// The report as a PDF (A4 portrait, page numbers "หน้า n / N").
pub fn render_pdf(blocks: &[Block]) -> Result<Vec<u8>, AppError> {
    let f = fonts()?;
    let mut l = Layout::new();
    for b in blocks {
        match b {
            Block::Title(t) => {
                l.lines(t, 22.0, true, true);
                l.y += 4.0;
            }
            Block::Subtitle(t) => l.lines(t, 14.0, false, true),
            Block::Heading(t) => {
                l.y += 10.0;
                // A heading is not left alone at the foot of a page.
                l.room(60.0);
                l.lines(t, 16.0, true, false);
                l.y += 2.0;
            }
            Block::Para(t) => {
                l.lines(t, BODY, false, false);
                l.y += 4.0;
            }
            Block::Facts(facts) => {
                for (k, v) in facts {
                    l.lines(&format!("{k}: {v}"), BODY, false, false);
                }
                l.y += 4.0;
            }
            Block::Table { head, rows, widths } => l.table(head, rows, widths),
            Block::Bars { caption, bars, max } => l.bars(caption, bars, *max),
            Block::Map { caption, tiles } => l.map(caption, tiles),
        }
    }
    let total = l.pages.len();
    let mut doc = Document::new();
    for (i, ops) in l.pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("page size")))?;
        let mut page = doc.start_page_with(settings);
        {
            let mut s = page.surface();
            let fill = |(r, g, b): (u8, u8, u8)| Fill {
                paint: rgb::Color::new(r, g, b).into(),
                opacity: NormalizedF32::ONE,
                rule: Default::default(),
            };
            let footer = format!("หน้า {} / {}", i + 1, total);
            let footer_op = Op::Text {
                x: (PAGE_W - width(false, &footer, 10.0)) / 2.0,
                y: PAGE_H - 36.0,
                size: 10.0,
                bold: false,
                text: footer,
            };
            for op in ops.iter().chain(std::iter::once(&footer_op)) {
                match op {
                    Op::Text {
                        x,
                        y,
                        size,
                        bold,
                        text,
                    } => {
                        s.set_fill(Some(fill((27, 31, 36))));
                        let font = if *bold { &f.bold } else { &f.regular };
                        s.draw_text(
                            Point::from_xy(*x, *y),
                            font.clone(),
                            *size,
                            text,
                            false,
                            TextDirection::LeftToRight,
                        );
                    }
                    Op::Rect { x, y, w, h, rgb } => {
                        s.set_fill(Some(fill(*rgb)));
                        let mut pb = PathBuilder::new();
                        if let Some(r) = Rect::from_xywh(*x, *y, *w, *h) {
                            pb.push_rect(r);
                        }
                        if let Some(p) = pb.finish() {
                            s.draw_path(&p);
                        }
                    }
                }
            }
            s.finish();
        }
        page.finish();
    }
    doc.finish()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("PDF: {e:?}")))
}

// ----- DOCX -----------------------------------------------------------------------------------

/// The report as a DOCX: Thai as text in the font officers use (TH Sarabun New, 16 pt), tables
/// as Word tables, the charts' figures as tables, page numbers in the footer.
pub fn render_docx(blocks: &[Block]) -> Result<Vec<u8>, AppError> {
    use docx_rs::{
        AlignmentType, Docx, Footer, PageNum, Paragraph, Run, RunFonts, Table, TableCell, TableRow,
        WidthType,
    };
    const FONT: &str = "TH Sarabun New";
    let fonts = || RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT);
    let run = |text: &str, size: usize, bold: bool| {
        let r = Run::new().add_text(text).size(size).fonts(fonts());
        if bold {
            r.bold()
        } else {
            r
        }
    };
    // Sizes in half-points.
    let para =
        |text: &str, size: usize, bold: bool| Paragraph::new().add_run(run(text, size, bold));
    // A4 in twentieths of a point; a text width of 9,000 twips for tables.
    const TEXT_W: f32 = 9000.0;
    let table = |head: &[String], rows: &[Vec<String>], widths: &[f32]| {
        let cell = |text: &str, bold: bool, w: f32| {
            TableCell::new()
                .width(w as usize, WidthType::Dxa)
                .add_paragraph(para(text, 24, bold))
        };
        let ws: Vec<f32> = widths.iter().map(|w| w * TEXT_W).collect();
        let mut out = vec![TableRow::new(
            head.iter()
                .zip(&ws)
                .map(|(h, w)| cell(h, true, *w))
                .collect(),
        )];
        for r in rows {
            out.push(TableRow::new(
                r.iter().zip(&ws).map(|(c, w)| cell(c, false, *w)).collect(),
            ));
        }
        Table::new(out)
            .set_grid(ws.iter().map(|w| *w as usize).collect())
            .width(TEXT_W as usize, WidthType::Dxa)
    };
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .default_fonts(fonts())
        .default_size(32)
        .footer(
            Footer::new().add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_run(run("หน้า ", 28, false))
                    .add_page_num(PageNum::new()),
            ),
        );
    for b in blocks {
        doc = match b {
            Block::Title(t) => doc.add_paragraph(para(t, 40, true).align(AlignmentType::Center)),
            Block::Subtitle(t) => {
                doc.add_paragraph(para(t, 32, false).align(AlignmentType::Center))
            }
            Block::Heading(t) => doc.add_paragraph(para(t, 36, true)),
            Block::Para(t) => {
                let mut d = doc;
                for line in t.split('\n') {
                    d = d.add_paragraph(para(line, 32, false));
                }
                d
            }
            Block::Facts(facts) => {
                let mut d = doc;
                for (k, v) in facts {
                    d = d.add_paragraph(
                        Paragraph::new()
                            .add_run(run(&format!("{k}: "), 32, true))
                            .add_run(run(v, 32, false)),
                    );
                }
                d
            }
            Block::Table { head, rows, widths } => doc
                .add_table(table(head, rows, widths))
                .add_paragraph(Paragraph::new()),
            // The map is a picture of the region table before it, which the DOCX has.
            Block::Map { .. } => doc,
            Block::Bars { caption, bars, .. } => doc
                .add_paragraph(para(caption, 32, true))
                .add_table(table(
                    &["รายการ".to_string(), "ค่า".to_string()],
                    &bars
                        .iter()
                        .map(|(l, v)| {
                            let v = if v.fract() == 0.0 {
                                format!("{v:.0}")
                            } else {
                                format!("{v:.2}")
                            };
                            vec![l.clone(), v]
                        })
                        .collect::<Vec<_>>(),
                    &[0.7, 0.3],
                ))
                .add_paragraph(Paragraph::new()),
        };
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("DOCX: {e}")))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thai_wraps_at_spaces_and_never_strands_a_mark() {
        let text = "การตรวจประเมิน ณ สถานประกอบการ ผู้ตรวจประเมินต้องรวบรวมหลักฐาน";
        let lines = wrap(text, false, 13.0, 120.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.join(" ").replace(' ', ""), text.replace(' ', ""));
        for l in &lines {
            assert!(width(false, l, 13.0) <= 120.5, "{l}");
            assert!(!l.starts_with(is_mark), "{l}");
        }
        // A word wider than the line is split between clusters.
        let long = "ผู้ตรวจประเมินต้องรวบรวมหลักฐานที่เพียงพอ";
        let parts = wrap(long, false, 13.0, 60.0);
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), long);
        assert!(parts.iter().all(|p| !p.starts_with(is_mark)), "{parts:?}");
        // A zero-width space is where a label may break, and it is never drawn.
        let label = "ได้รับ\u{200B}หนังสือ\u{200B}รับรอง";
        assert_eq!(wrap(label, true, 11.0, 500.0), vec!["ได้รับหนังสือรับรอง"]);
        let narrow = wrap(label, true, 11.0, 45.0);
        assert_eq!(narrow, vec!["ได้รับ", "หนังสือ", "รับรอง"]);
    }
}
