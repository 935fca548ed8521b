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

/// The earliest and latest common-era years a form accepts (anything else is a typing slip).
const INPUT_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A year as a person typed it: Buddhist Era years (2400 and later) are turned into the
/// common era (2570 → 2027); officers think in พ.ศ.
pub fn ce_year(typed: i32) -> i32 {
    if typed >= 2400 {
        typed - 543
    } else {
        typed
    }
}

/// Parses a date from a form or the API: `YYYY-MM-DD` (what a date picker sends) or
/// `DD/MM/YYYY` (what a person types), the year in either era (พ.ศ. 2570 or 2027), Thai
/// digits allowed. The message says what was wrong, in Thai and English.
pub fn parse_date_input(raw: &str) -> Result<NaiveDate, String> {
    let s = crate::thai::fold_digits(raw.trim());
    let parts: Option<(i32, u32, u32)> = if let Some((d, rest)) = s.split_once('/') {
        rest.split_once('/').and_then(|(m, y)| {
            Some((
                y.trim().parse().ok()?,
                m.trim().parse().ok()?,
                d.trim().parse().ok()?,
            ))
        })
    } else {
        let mut it = s.splitn(3, '-');
        match (it.next(), it.next(), it.next()) {
            (Some(y), Some(m), Some(d)) => {
                (|| Some((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)))()
            }
            _ => None,
        }
    };
    let Some((y, m, d)) = parts else {
        return Err(format!(
            "'{raw}' ไม่ใช่วันที่ เช่น 15/01/2570 หรือ 2027-01-15 / is not a date like 15/01/2570 or 2027-01-15"
        ));
    };
    let year = ce_year(y);
    if !INPUT_YEARS.contains(&year) {
        return Err(format!(
            "ปี {y} อยู่นอกช่วง พ.ศ. 2543–2643 / the year {y} is outside 2000–2100 (B.E. 2543–2643)"
        ));
    }
    NaiveDate::from_ymd_opt(year, m, d)
        .ok_or_else(|| format!("'{raw}' ไม่มีวันที่นี้ในปฏิทิน / is not a day of the calendar"))
}

/// Parses a date and time entered in Thailand time (`YYYY-MM-DDTHH:MM` from a
/// `datetime-local` field, or `DD/MM/YYYY HH:MM`), either era, and returns it in UTC.
pub fn parse_local_datetime_input(raw: &str) -> Result<NaiveDateTime, String> {
    let s = crate::thai::fold_digits(raw.trim());
    let (date, time) = s
        .split_once(['T', ' '])
        .ok_or_else(|| format!("'{raw}' ไม่มีเวลา เช่น 09:30 / has no time like 09:30"))?;
    let date = parse_date_input(date)?;
    let time = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M")
        .or_else(|_| chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M:%S"))
        .map_err(|_| format!("'{time}' ไม่ใช่เวลา เช่น 09:30 / is not a time like 09:30"))?;
    bangkok()
        .from_local_datetime(&date.and_time(time))
        .single()
        .map(|t| t.with_timezone(&Utc).naive_utc())
        .ok_or_else(|| format!("'{raw}' is not a time in Thailand"))
}

/// A date as shown in the UI: `15 ก.พ. 2565` in Thai, `15 Feb 2022` in English.
pub fn format_date(date: NaiveDate, lang: Language) -> String {
    let m = date.month0() as usize;
    match lang {
        Language::Th => format!("{} {} {}", date.day(), THAI_MONTHS[m], be_year(date.year())),
        Language::En => format!("{} {} {}", date.day(), EN_MONTHS[m], date.year()),
    }
}

/// A date written out as on an official document: `15 มกราคม พ.ศ. 2570` in Thai,
/// `15 January 2027` in English.
pub fn format_date_long(date: NaiveDate, lang: Language) -> String {
    const TH: [&str; 12] = [
        "มกราคม",
        "กุมภาพันธ์",
        "มีนาคม",
        "เมษายน",
        "พฤษภาคม",
        "มิถุนายน",
        "กรกฎาคม",
        "สิงหาคม",
        "กันยายน",
        "ตุลาคม",
        "พฤศจิกายน",
        "ธันวาคม",
    ];
    let m = date.month0() as usize;
    match lang {
        Language::Th => format!("{} {} พ.ศ. {}", date.day(), TH[m], be_year(date.year())),
        Language::En => format!("{} {}", date.day(), date.format("%B %Y")),
    }
}

/// The day in Thailand of a stored UTC time.
pub fn local_date(utc: NaiveDateTime) -> NaiveDate {
    Utc.from_utc_datetime(&utc)
        .with_timezone(&bangkok())
        .date_naive()
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

    #[test]
    fn dates_typed_in_the_buddhist_era_or_as_day_month_year_become_the_right_day() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(parse_date_input("2027-01-15"), Ok(d(2027, 1, 15)));
        assert_eq!(parse_date_input("2570-01-15"), Ok(d(2027, 1, 15)));
        assert_eq!(parse_date_input("15/01/2570"), Ok(d(2027, 1, 15)));
        assert_eq!(parse_date_input("๑๕/๐๑/๒๕๗๐"), Ok(d(2027, 1, 15)));
        assert_eq!(parse_date_input(" 1/10/2564 "), Ok(d(2021, 10, 1)));
        assert!(parse_date_input("3113-01-15").is_err());
        assert!(parse_date_input("31/02/2570").is_err());
        assert!(parse_date_input("tomorrow").is_err());
        let t = parse_local_datetime_input("2570-01-15T09:30").unwrap();
        assert_eq!(
            t,
            d(2027, 1, 15).and_hms_opt(2, 30, 0).unwrap(),
            "09:30 Bangkok is 02:30 UTC"
        );
        assert_eq!(parse_local_datetime_input("15/01/2570 09:30"), Ok(t));
        assert!(parse_local_datetime_input("15/01/2570").is_err());
    }

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

/// Serde for a stored UTC time as the API shows it: RFC 3339 with its offset, `Z`
/// (`2022-02-15T02:30:00Z`). Reading accepts any offset (converted to UTC) or none (taken as
/// UTC, as stored).
pub mod utc {
    use chrono::{DateTime, NaiveDateTime};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn to_string(t: &NaiveDateTime) -> String {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_string(t))
    }

    pub fn parse(raw: &str) -> Option<NaiveDateTime> {
        DateTime::parse_from_rfc3339(raw)
            .map(|t| t.naive_utc())
            .ok()
            .or_else(|| raw.parse::<NaiveDateTime>().ok())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let raw = String::deserialize(d)?;
        parse(&raw).ok_or_else(|| serde::de::Error::custom(format!("not a time: {raw}")))
    }

    /// The same for an optional time (`null` when absent).
    pub mod option {
        use chrono::NaiveDateTime;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            t: &Option<NaiveDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<NaiveDateTime>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(raw) => super::parse(&raw)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom(format!("not a time: {raw}"))),
            }
        }
    }
}
