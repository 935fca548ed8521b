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

/// The 76 Provincial Industry Offices (every office but the head office).
pub fn provincial() -> impl Iterator<Item = &'static Office> {
    all()
        .iter()
        .filter(|o| o.kind == "provincial_industry_office")
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

/// Where each Provincial Industry Office's province sits on a tile map of Thailand: (column,
/// row), north at the top, one square per province, placed by hand to keep each province beside
/// its neighbours (Bangkok, which has no Provincial Industry Office, is left out).
pub const TILE_MAP: &[(&str, u8, u8)] = &[
    // North
    ("TH-57", 3, 0),
    ("TH-58", 1, 1),
    ("TH-50", 2, 1),
    ("TH-56", 4, 1),
    ("TH-55", 5, 1),
    ("TH-51", 2, 2),
    ("TH-52", 3, 2),
    ("TH-54", 4, 2),
    ("TH-53", 4, 3),
    // Central and west
    ("TH-63", 2, 3),
    ("TH-64", 3, 3),
    ("TH-62", 2, 4),
    ("TH-66", 3, 4),
    ("TH-65", 4, 4),
    ("TH-67", 5, 4),
    ("TH-61", 2, 5),
    ("TH-60", 3, 5),
    ("TH-16", 4, 5),
    ("TH-71", 1, 6),
    ("TH-72", 2, 6),
    ("TH-18", 3, 6),
    ("TH-17", 4, 6),
    ("TH-19", 5, 6),
    ("TH-15", 3, 7),
    ("TH-14", 4, 7),
    ("TH-26", 5, 7),
    ("TH-70", 1, 8),
    ("TH-73", 2, 8),
    ("TH-12", 3, 8),
    ("TH-13", 4, 8),
    ("TH-75", 1, 9),
    ("TH-74", 2, 9),
    ("TH-11", 4, 9),
    ("TH-76", 1, 10),
    ("TH-77", 1, 11),
    // East
    ("TH-25", 6, 7),
    ("TH-27", 7, 7),
    ("TH-24", 5, 8),
    ("TH-20", 5, 9),
    ("TH-21", 5, 10),
    ("TH-22", 6, 10),
    ("TH-23", 7, 10),
    // Northeast
    ("TH-43", 7, 2),
    ("TH-38", 8, 2),
    ("TH-42", 5, 3),
    ("TH-39", 6, 3),
    ("TH-41", 7, 3),
    ("TH-47", 8, 3),
    ("TH-48", 9, 3),
    ("TH-36", 6, 4),
    ("TH-40", 7, 4),
    ("TH-46", 8, 4),
    ("TH-49", 9, 4),
    ("TH-44", 7, 5),
    ("TH-45", 8, 5),
    ("TH-35", 9, 5),
    ("TH-37", 10, 5),
    ("TH-30", 6, 6),
    ("TH-31", 7, 6),
    ("TH-32", 8, 6),
    ("TH-33", 9, 6),
    ("TH-34", 10, 6),
    // South
    ("TH-86", 1, 12),
    ("TH-85", 0, 13),
    ("TH-84", 1, 13),
    ("TH-82", 0, 14),
    ("TH-81", 1, 14),
    ("TH-80", 2, 14),
    ("TH-83", 0, 15),
    ("TH-92", 1, 15),
    ("TH-93", 2, 15),
    ("TH-91", 1, 16),
    ("TH-90", 2, 16),
    ("TH-94", 3, 16),
    ("TH-95", 3, 17),
    ("TH-96", 4, 17),
];

#[cfg(test)]
mod tile_map_tests {
    use super::*;

    #[test]
    fn the_tile_map_places_every_provincial_office_once_on_its_own_square() {
        let offices: std::collections::BTreeSet<&str> = all()
            .iter()
            .filter(|o| o.kind == "provincial_industry_office")
            .map(|o| o.code.as_str())
            .collect();
        let placed: std::collections::BTreeSet<&str> =
            TILE_MAP.iter().map(|(c, _, _)| *c).collect();
        assert_eq!(TILE_MAP.len(), 76);
        assert_eq!(placed, offices);
        let squares: std::collections::BTreeSet<(u8, u8)> =
            TILE_MAP.iter().map(|(_, x, y)| (*x, *y)).collect();
        assert_eq!(squares.len(), 76, "two provinces on one square");
        // Neighbours stay neighbours: Chiang Mai beside Lamphun, Songkhla beside Pattani.
        let at = |code: &str| {
            TILE_MAP
                .iter()
                .find(|(c, _, _)| *c == code)
                .map(|(_, x, y)| (i32::from(*x), i32::from(*y)))
                .unwrap()
        };
        let near = |a: &str, b: &str| {
            let ((ax, ay), (bx, by)) = (at(a), at(b));
            (ax - bx).abs() <= 1 && (ay - by).abs() <= 1
        };
        assert!(near("TH-50", "TH-51"));
        assert!(near("TH-90", "TH-94"));
        assert!(near("TH-30", "TH-31"));
        // The north is above the south.
        assert!(at("TH-57").1 < at("TH-96").1);
    }
}
