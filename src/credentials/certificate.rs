//! The printable certificate as PDF: Thai shaped by rustybuzz with the embedded Noto Sans Thai
//! (SIL Open Font License), Latin in Noto Sans, and a vector QR code to the verification page.

use std::sync::OnceLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;

use crate::error::AppError;

static THAI: &[u8] = include_bytes!("../../static/fonts/NotoSansThai-Regular.ttf");
static THAI_BOLD: &[u8] = include_bytes!("../../static/fonts/NotoSansThai-Bold.ttf");
static LATIN: &[u8] = include_bytes!("../../static/fonts/NotoSans-Regular.ttf");
static LATIN_BOLD: &[u8] = include_bytes!("../../static/fonts/NotoSans-Bold.ttf");

/// What the certificate says.
pub struct CertificateText {
    pub number: String,
    pub holder_th: String,
    pub holder_en: Option<String>,
    pub office_th: String,
    pub office_en: String,
    pub scope_th: String,
    pub scope_en: String,
    pub valid_th: String,
    pub valid_en: String,
    pub status_th: Option<String>,
    pub verify_url: String,
}

struct Fonts {
    thai: Font,
    thai_bold: Font,
    latin: Font,
    latin_bold: Font,
}

fn fonts() -> Result<&'static Fonts, AppError> {
    static F: OnceLock<Option<Fonts>> = OnceLock::new();
    F.get_or_init(|| {
        Some(Fonts {
            thai: Font::new(THAI.into(), 0)?,
            thai_bold: Font::new(THAI_BOLD.into(), 0)?,
            latin: Font::new(LATIN.into(), 0)?,
            latin_bold: Font::new(LATIN_BOLD.into(), 0)?,
        })
    })
    .as_ref()
    .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("embedded fonts do not load")))
}

fn is_thai(c: char) -> bool {
    ('\u{0E00}'..='\u{0E7F}').contains(&c)
}

/// Splits text into runs of Thai and of everything else (spaces stay with the run before).
fn runs(text: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for c in text.chars() {
        let thai = if c == ' ' {
            out.last().map(|(t, _)| *t).unwrap_or(false)
        } else {
            is_thai(c)
        };
        match out.last_mut() {
            Some((t, s)) if *t == thai => s.push(c),
            _ => out.push((thai, c.to_string())),
        }
    }
    out
}

/// Width of a shaped run in points.
pub(crate) fn width(data: &[u8], text: &str, size: f32) -> f32 {
    let Some(face) = rustybuzz::Face::from_slice(data, 0) else {
        return 0.0;
    };
    let mut buf = rustybuzz::UnicodeBuffer::new();
    buf.push_str(text);
    let shaped = rustybuzz::shape(&face, &[], buf);
    let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
    units as f32 * size / f32::from(face.units_per_em() as u16)
}

/// Where a line goes: centred on x, or starting at x; y is the baseline.
#[derive(Clone, Copy)]
enum At {
    Centre(f32, f32),
    Left(f32, f32),
}

/// Draws a line mixing Thai and Latin runs, each in a font that has its glyphs.
fn line(s: &mut Surface<'_>, f: &Fonts, text: &str, size: f32, bold: bool, at: At) {
    let pick = |thai: bool| match (thai, bold) {
        (true, false) => (&f.thai, THAI),
        (true, true) => (&f.thai_bold, THAI_BOLD),
        (false, false) => (&f.latin, LATIN),
        (false, true) => (&f.latin_bold, LATIN_BOLD),
    };
    let parts = runs(text);
    let total: f32 = parts.iter().map(|(t, r)| width(pick(*t).1, r, size)).sum();
    let (mut x, y) = match at {
        At::Centre(x, y) => (x - total / 2.0, y),
        At::Left(x, y) => (x, y),
    };
    for (thai, r) in parts {
        let (font, data) = pick(thai);
        s.draw_text(
            Point::from_xy(x, y),
            font.clone(),
            size,
            &r,
            false,
            TextDirection::LeftToRight,
        );
        x += width(data, &r, size);
    }
}

fn fill(r: u8, g: u8, b: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn rect(s: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32) {
    let mut pb = PathBuilder::new();
    if let Some(r) = Rect::from_xywh(x, y, w, h) {
        pb.push_rect(r);
    }
    if let Some(p) = pb.finish() {
        s.draw_path(&p);
    }
}

/// Renders the certificate (A4 landscape) as PDF bytes.
pub fn render(c: &CertificateText) -> Result<Vec<u8>, AppError> {
    let f = fonts()?;
    let (w, h) = (842.0_f32, 595.0_f32);
    let mut doc = Document::new();
    let settings = PageSettings::from_wh(w, h)
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("page size")))?;
    let mut page = doc.start_page_with(settings);
    {
        let mut s = page.surface();
        // Frame.
        s.set_fill(Some(fill(11, 79, 138)));
        rect(&mut s, 20.0, 20.0, w - 40.0, 8.0);
        rect(&mut s, 20.0, h - 28.0, w - 40.0, 8.0);
        s.set_fill(Some(fill(27, 31, 36)));
        let cx = w / 2.0;
        line(
            &mut s,
            f,
            "สำนักงานมาตรฐานผลิตภัณฑ์อุตสาหกรรม (สมอ.)",
            15.0,
            true,
            At::Centre(cx, 70.0),
        );
        line(
            &mut s,
            f,
            "Thai Industrial Standards Institute (TISI)",
            11.0,
            false,
            At::Centre(cx, 88.0),
        );
        line(
            &mut s,
            f,
            "หนังสือรับรองผู้ตรวจประเมิน มอก. เอส",
            30.0,
            true,
            At::Centre(cx, 140.0),
        );
        line(
            &mut s,
            f,
            "TIS-S Assessor Credential",
            15.0,
            false,
            At::Centre(cx, 162.0),
        );
        line(
            &mut s,
            f,
            "ขอรับรองว่า / This is to certify that",
            12.0,
            false,
            At::Centre(cx, 200.0),
        );
        line(&mut s, f, &c.holder_th, 26.0, true, At::Centre(cx, 240.0));
        if let Some(en) = &c.holder_en {
            line(&mut s, f, en, 14.0, false, At::Centre(cx, 262.0));
        }
        line(&mut s, f, &c.office_th, 13.0, false, At::Centre(cx, 290.0));
        line(&mut s, f, &c.office_en, 10.0, false, At::Centre(cx, 305.0));
        line(
            &mut s,
            f,
            "เป็นผู้ตรวจประเมินในขอบข่าย / is an assessor in the scope",
            12.0,
            false,
            At::Centre(cx, 340.0),
        );
        line(&mut s, f, &c.scope_th, 18.0, true, At::Centre(cx, 368.0));
        line(&mut s, f, &c.scope_en, 12.0, false, At::Centre(cx, 386.0));
        line(
            &mut s,
            f,
            &format!("เลขที่ {}", c.number),
            13.0,
            true,
            At::Left(70.0, 450.0),
        );
        line(&mut s, f, &c.valid_th, 12.0, false, At::Left(70.0, 472.0));
        line(&mut s, f, &c.valid_en, 10.0, false, At::Left(70.0, 488.0));
        if let Some(st) = &c.status_th {
            s.set_fill(Some(fill(164, 22, 26)));
            line(&mut s, f, st, 13.0, true, At::Left(70.0, 515.0));
            s.set_fill(Some(fill(27, 31, 36)));
        }
        line(
            &mut s,
            f,
            "ตรวจสอบความถูกต้องได้ที่ / Verify at:",
            9.0,
            false,
            At::Left(70.0, 540.0),
        );
        line(&mut s, f, &c.verify_url, 8.0, false, At::Left(70.0, 552.0));
        // QR code, one square per dark module, with a quiet zone.
        qr(
            &mut s,
            &c.verify_url,
            w - 70.0 - 130.0,
            h - 60.0 - 130.0,
            130.0,
        )?;
        s.finish();
    }
    page.finish();
    doc.finish()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("PDF: {e:?}")))
}

/// What the completion certificate (วุฒิบัตร) says.
pub struct CompletionText {
    pub number: String,
    pub holder_th: String,
    pub holder_en: Option<String>,
    pub office_th: String,
    pub programme_th: String,
    pub programme_en: String,
    pub cohort_th: String,
    pub cohort_en: String,
    pub dates_th: String,
    pub dates_en: String,
    pub hours: f64,
    pub given_th: String,
    pub given_en: String,
    pub signatory_name: String,
    pub signatory_position: String,
    /// The signature as PNG bytes, drawn above the signatory's name.
    pub signature_png: Option<Vec<u8>>,
    pub verify_url: String,
}

/// Whether `png` decodes as an image a certificate can carry (renders it into a scratch PDF).
pub fn png_renders(png: &[u8]) -> bool {
    let Ok(image) = krilla::image::Image::from_png(png.to_vec().into(), true) else {
        return false;
    };
    let mut doc = Document::new();
    let Some(settings) = PageSettings::from_wh(100.0, 100.0) else {
        return false;
    };
    let mut page = doc.start_page_with(settings);
    {
        let mut s = page.surface();
        if let Some(size) = krilla::geom::Size::from_wh(50.0, 50.0) {
            s.draw_image(image, size);
        }
        s.finish();
    }
    page.finish();
    doc.finish().is_ok()
}

fn qr(s: &mut Surface<'_>, url: &str, x: f32, y: f32, side: f32) -> Result<(), AppError> {
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("QR code: {e}")))?;
    let n = code.width();
    let module = side / (n as f32 + 8.0);
    s.set_fill(Some(fill(255, 255, 255)));
    rect(s, x, y, side, side);
    s.set_fill(Some(fill(0, 0, 0)));
    let colors = code.to_colors();
    for yy in 0..n {
        for xx in 0..n {
            if colors.get(yy * n + xx) == Some(&qrcode::Color::Dark) {
                rect(
                    s,
                    x + (xx as f32 + 4.0) * module,
                    y + (yy as f32 + 4.0) * module,
                    module + 0.01,
                    module + 0.01,
                );
            }
        }
    }
    Ok(())
}

/// Renders the completion certificate (A4 landscape) as PDF bytes.
pub fn render_completion(c: &CompletionText) -> Result<Vec<u8>, AppError> {
    let f = fonts()?;
    let (w, h) = (842.0_f32, 595.0_f32);
    let mut doc = Document::new();
    let settings = PageSettings::from_wh(w, h)
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("page size")))?;
    let mut page = doc.start_page_with(settings);
    {
        let mut s = page.surface();
        s.set_fill(Some(fill(11, 79, 138)));
        rect(&mut s, 20.0, 20.0, w - 40.0, 8.0);
        rect(&mut s, 20.0, h - 28.0, w - 40.0, 8.0);
        s.set_fill(Some(fill(27, 31, 36)));
        let cx = w / 2.0;
        line(
            &mut s,
            f,
            "สำนักงานมาตรฐานผลิตภัณฑ์อุตสาหกรรม (สมอ.)",
            15.0,
            true,
            At::Centre(cx, 66.0),
        );
        line(
            &mut s,
            f,
            "Thai Industrial Standards Institute (TISI)",
            11.0,
            false,
            At::Centre(cx, 83.0),
        );
        line(&mut s, f, "วุฒิบัตร", 32.0, true, At::Centre(cx, 128.0));
        line(
            &mut s,
            f,
            "Certificate of Completion",
            14.0,
            false,
            At::Centre(cx, 148.0),
        );
        line(
            &mut s,
            f,
            "ขอมอบวุฒิบัตรฉบับนี้ให้ไว้เพื่อแสดงว่า / This is to certify that",
            12.0,
            false,
            At::Centre(cx, 180.0),
        );
        line(&mut s, f, &c.holder_th, 24.0, true, At::Centre(cx, 214.0));
        let mut y = 214.0;
        if let Some(en) = &c.holder_en {
            y += 20.0;
            line(&mut s, f, en, 13.0, false, At::Centre(cx, y));
        }
        y += 20.0;
        line(&mut s, f, &c.office_th, 12.0, false, At::Centre(cx, y));
        y += 28.0;
        line(
            &mut s,
            f,
            "ได้ผ่านการอบรม / has completed the training",
            12.0,
            false,
            At::Centre(cx, y),
        );
        y += 24.0;
        line(&mut s, f, &c.programme_th, 17.0, true, At::Centre(cx, y));
        y += 17.0;
        line(&mut s, f, &c.programme_en, 11.0, false, At::Centre(cx, y));
        y += 22.0;
        let hours = format!("{:.1}", c.hours);
        line(
            &mut s,
            f,
            &format!("{} {} รวม {hours} ชั่วโมง", c.cohort_th, c.dates_th),
            12.0,
            false,
            At::Centre(cx, y),
        );
        y += 16.0;
        line(
            &mut s,
            f,
            &format!("{}, {}, {hours} hours in all", c.cohort_en, c.dates_en),
            10.0,
            false,
            At::Centre(cx, y),
        );
        y += 24.0;
        line(&mut s, f, &c.given_th, 12.0, false, At::Centre(cx, y));
        y += 15.0;
        line(&mut s, f, &c.given_en, 10.0, false, At::Centre(cx, y));
        // The signature block, centred below.
        let sig_top = y + 10.0;
        if let Some(png) = &c.signature_png {
            if let Ok(image) = krilla::image::Image::from_png(png.clone().into(), true) {
                let (iw, ih) = crate::evaluation::completion::png_size(png).unwrap_or((3, 1));
                let box_h = 44.0_f32;
                let scale = (box_h / ih as f32).min(180.0 / iw as f32);
                let (dw, dh) = (iw as f32 * scale, ih as f32 * scale);
                if let Some(size) = krilla::geom::Size::from_wh(dw, dh) {
                    s.push_transform(&krilla::geom::Transform::from_translate(
                        cx - dw / 2.0,
                        sig_top + (box_h - dh),
                    ));
                    s.draw_image(image, size);
                    s.pop();
                }
            }
        }
        let sig_line = sig_top + 48.0;
        s.set_fill(Some(fill(27, 31, 36)));
        rect(&mut s, cx - 110.0, sig_line, 220.0, 0.6);
        line(
            &mut s,
            f,
            &format!("({})", c.signatory_name),
            12.0,
            false,
            At::Centre(cx, sig_line + 16.0),
        );
        line(
            &mut s,
            f,
            &c.signatory_position,
            11.0,
            false,
            At::Centre(cx, sig_line + 31.0),
        );
        line(
            &mut s,
            f,
            &format!("เลขที่ {}", c.number),
            12.0,
            true,
            At::Left(60.0, h - 78.0),
        );
        line(
            &mut s,
            f,
            "ตรวจสอบความถูกต้องได้ที่ / Verify at:",
            9.0,
            false,
            At::Left(60.0, h - 60.0),
        );
        line(
            &mut s,
            f,
            &c.verify_url,
            8.0,
            false,
            At::Left(60.0, h - 48.0),
        );
        qr(
            &mut s,
            &c.verify_url,
            w - 60.0 - 110.0,
            h - 50.0 - 110.0,
            110.0,
        )?;
        s.finish();
    }
    page.finish();
    doc.finish()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("PDF: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thai_and_latin_split_into_runs() {
        let r = runs("เลขที่ TISI-S-2565-0001 (ผลิตภัณฑ์)");
        assert_eq!(r[0], (true, "เลขที่ ".to_string()));
        assert_eq!(r[1], (false, "TISI-S-2565-0001 (".to_string()));
        assert_eq!(r[2], (true, "ผลิตภัณฑ์".to_string()));
    }
}
