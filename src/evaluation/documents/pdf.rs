//! The report as a PDF: a layout of pages (text wrapped for Thai, tables, bar charts, the tile
//! map), drawn with krilla in Sarabun, with page numbers.

use std::sync::OnceLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use krilla::Document;

use super::{Block, BOLD, REGULAR};
use crate::error::AppError;

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
    crate::credentials::certificate::width(if bold { BOLD } else { REGULAR }, text, size)
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
