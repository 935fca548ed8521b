//! iCalendar (RFC 5545) feed of a cohort's sessions.

use chrono::NaiveDateTime;

use super::Session;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The calendar of a cohort: one event per session, times in UTC, Thai and English titles.
pub fn ics(cohort_name: &str, sessions: &[Session], now: NaiveDateTime) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Assessor Academy//Cohort sessions//TH".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!("X-WR-CALNAME:{}", escape(cohort_name)),
        "X-WR-TIMEZONE:Asia/Bangkok".into(),
    ] {
        out.push_str(&fold(&l));
    }
    for s in sessions {
        let mut lines = vec![
            "BEGIN:VEVENT".to_string(),
            // The session's own id, never the host of the base URL: a calendar that subscribed
            // before the service moved must see the same events, not a second copy of each.
            format!("UID:{}@assessor-academy", s.id),
            format!("DTSTAMP:{}", stamp(now)),
            format!("DTSTART:{}", stamp(s.starts_at)),
            format!("DTEND:{}", stamp(s.ends_at)),
            format!(
                "SUMMARY:{}",
                escape(&format!("{} / {}", s.title_th, s.title_en))
            ),
            format!("LOCATION:{}", escape(&s.venue)),
        ];
        let mut desc = format!("{} ({})", cohort_name, s.mode.as_str());
        if let Some(url) = &s.meeting_url {
            desc.push_str(&format!("\nOnline: {url}"));
            lines.push(format!("URL:{}", escape(url)));
        }
        lines.push(format!("DESCRIPTION:{}", escape(&desc)));
        lines.push("END:VEVENT".into());
        for l in lines {
            out.push_str(&fold(&l));
        }
    }
    out.push_str(&fold("END:VCALENDAR"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_thai_lines_fold_on_character_boundaries() {
        let line = format!("SUMMARY:{}", "การตรวจประเมิน".repeat(10));
        let folded = fold(&line);
        for part in folded.split("\r\n").filter(|p| !p.is_empty()) {
            assert!(part.len() <= 75, "{} octets", part.len());
        }
        assert_eq!(folded.replace("\r\n ", "").trim_end(), line);
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
