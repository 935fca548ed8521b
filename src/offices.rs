//! Reference data: TISI head office and the 76 Provincial Industry Offices (shipped as CSV).

use std::sync::OnceLock;

use serde::Serialize;

const OFFICES_CSV: &str = include_str!("../data/offices.csv");

/// One office a user can belong to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Office {
    /// `TISI` or an ISO 3166-2:TH code such as `TH-50`.
    pub code: String,
    /// `head_office` or `provincial_industry_office`.
    pub kind: String,
    pub province_en: String,
    pub province_th: String,
    pub name_th: String,
    pub name_en: String,
}

/// All offices in file order (TISI first).
pub fn all() -> &'static [Office] {
    static OFFICES: OnceLock<Vec<Office>> = OnceLock::new();
    OFFICES.get_or_init(|| parse(OFFICES_CSV))
}

/// The office with this code, if any.
pub fn find(code: &str) -> Option<&'static Office> {
    all().iter().find(|o| o.code == code)
}

fn parse(csv: &str) -> Vec<Office> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let f = split_csv_line(line);
            (f.len() == 6).then(|| Office {
                code: f[0].clone(),
                kind: f[1].clone(),
                province_en: f[2].clone(),
                province_th: f[3].clone(),
                name_th: f[4].clone(),
                name_en: f[5].clone(),
            })
        })
        .collect()
}

/// Splits one RFC 4180 line (quoted fields with doubled quotes allowed).
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => in_quotes = false,
            ('"', false) if cur.is_empty() => in_quotes = true,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ships_tisi_and_all_76_provincial_offices() {
        assert_eq!(all().len(), 77);
        assert_eq!(all()[0].code, "TISI");
        assert_eq!(
            all()
                .iter()
                .filter(|o| o.kind == "provincial_industry_office")
                .count(),
            76
        );
        assert_eq!(
            find("TH-50").map(|o| o.province_en.as_str()),
            Some("Chiang Mai")
        );
        assert!(find("TH-10").is_none(), "Bangkok has no provincial office");
    }
}

/// The six geographic regions of Thailand (the National Geographical Committee's division,
/// which the province codes of ISO 3166-2:TH follow): north, northeast, central, east, west
/// and south.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    North,
    Northeast,
    Central,
    East,
    West,
    South,
}

impl Region {
    pub const ALL: [Region; 6] = [
        Region::North,
        Region::Northeast,
        Region::Central,
        Region::East,
        Region::West,
        Region::South,
    ];

    pub fn name_th(self) -> &'static str {
        match self {
            Region::North => "ภาคเหนือ",
            Region::Northeast => "ภาคตะวันออกเฉียงเหนือ",
            Region::Central => "ภาคกลาง",
            Region::East => "ภาคตะวันออก",
            Region::West => "ภาคตะวันตก",
            Region::South => "ภาคใต้",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Region::North => "North",
            Region::Northeast => "Northeast",
            Region::Central => "Central",
            Region::East => "East",
            Region::West => "West",
            Region::South => "South",
        }
    }
}

/// The region of a province code (`TH-50` → north); `None` for the head office and unknown
/// codes.
pub fn region(code: &str) -> Option<Region> {
    let n: u32 = code.strip_prefix("TH-")?.parse().ok()?;
    Some(match n {
        50..=58 => Region::North,
        30..=49 => Region::Northeast,
        20..=25 | 27 => Region::East,
        63 | 70 | 71 | 76 | 77 => Region::West,
        80..=86 | 90..=96 => Region::South,
        10..=19 | 26 | 60..=62 | 64..=67 | 72..=75 => Region::Central,
        _ => return None,
    })
}

#[cfg(test)]
mod region_tests {
    use super::*;

    #[test]
    fn every_provincial_office_has_a_region_and_the_regions_have_their_sizes() {
        let mut count = std::collections::BTreeMap::new();
        for o in all()
            .iter()
            .filter(|o| o.kind == "provincial_industry_office")
        {
            let r = region(&o.code).unwrap_or_else(|| panic!("{} has no region", o.code));
            *count.entry(r).or_insert(0) += 1;
        }
        // 9 north, 20 northeast, 21 central (Bangkok, the 22nd, has no provincial office),
        // 7 east, 5 west, 14 south: the 76 Provincial Industry Offices.
        assert_eq!(count[&Region::North], 9);
        assert_eq!(count[&Region::Northeast], 20);
        assert_eq!(count[&Region::Central], 21);
        assert_eq!(count[&Region::East], 7);
        assert_eq!(count[&Region::West], 5);
        assert_eq!(count[&Region::South], 14);
        assert_eq!(region("TISI"), None);
        assert_eq!(region("TH-50"), Some(Region::North));
        assert_eq!(region("TH-63"), Some(Region::West));
    }
}
