//! Thai calendar conventions: Buddhist Era years, Bangkok time, and the fiscal year.

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::accounts::model::Language;

const THAI_MONTHS: [&str; 12] = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
];
const EN_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Buddhist Era year of a common-era year.
pub fn be_year(ce_year: i32) -> i32 {
    ce_year + 543
}

/// Thailand time (UTC+7, no daylight saving).
pub fn bangkok() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// The Thai government fiscal year (B.E.) a date falls in: it starts on 1 October and is
/// named by the B.E. year in which it ends (1 Oct 2021 – 30 Sep 2022 is FY2565).
pub fn fiscal_year_be(date: NaiveDate) -> i32 {
    let ce = if date.month() >= 10 {
        date.year() + 1
    } else {
        date.year()
    };
    be_year(ce)
}

/// First and last day of a fiscal year given in B.E.
pub fn fiscal_year_bounds(fy_be: i32) -> Option<(NaiveDate, NaiveDate)> {
    let end_ce = fy_be - 543;
    Some((
        NaiveDate::from_ymd_opt(end_ce - 1, 10, 1)?,
        NaiveDate::from_ymd_opt(end_ce, 9, 30)?,
    ))
}

/// A date as shown in the UI: `15 ก.พ. 2565` in Thai, `15 Feb 2022` in English.
pub fn format_date(date: NaiveDate, lang: Language) -> String {
    let m = date.month0() as usize;
    match lang {
        Language::Th => format!("{} {} {}", date.day(), THAI_MONTHS[m], be_year(date.year())),
        Language::En => format!("{} {} {}", date.day(), EN_MONTHS[m], date.year()),
    }
}

/// A stored UTC time shown in Bangkok time: `15 ก.พ. 2565 09:30` / `15 Feb 2022 09:30`.
pub fn format_datetime(utc: NaiveDateTime, lang: Language) -> String {
    let local = Utc.from_utc_datetime(&utc).with_timezone(&bangkok());
    format!(
        "{} {}",
        format_date(local.date_naive(), lang),
        local.format("%H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fiscal_year_starts_on_the_first_of_october() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(fiscal_year_be(d(2021, 9, 30)), 2564);
        assert_eq!(fiscal_year_be(d(2021, 10, 1)), 2565);
        assert_eq!(fiscal_year_be(d(2022, 2, 15)), 2565);
        assert_eq!(fiscal_year_be(d(2022, 9, 30)), 2565);
        assert_eq!(fiscal_year_be(d(2022, 10, 1)), 2566);
        assert_eq!(
            fiscal_year_bounds(2565),
            Some((d(2021, 10, 1), d(2022, 9, 30)))
        );
    }

    #[test]
    fn thai_dates_use_the_buddhist_era_and_bangkok_time() {
        let opened = NaiveDate::from_ymd_opt(2022, 2, 15)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(format_datetime(opened, Language::Th), "15 ก.พ. 2565 09:30");
        assert_eq!(format_datetime(opened, Language::En), "15 Feb 2022 09:30");
        // 20:00 UTC is already the next day in Bangkok.
        let late = NaiveDate::from_ymd_opt(2021, 12, 31)
            .unwrap()
            .and_hms_opt(20, 0, 0)
            .unwrap();
        assert_eq!(format_datetime(late, Language::Th), "1 ม.ค. 2565 03:00");
    }
}
