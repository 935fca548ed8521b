//! The report as a DOCX (docx-rs): Thai as text in TH Sarabun New, Word tables, page numbers.

use super::Block;
use crate::error::AppError;

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
