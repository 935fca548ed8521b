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
