//! Thai text helpers: dictionary sort keys and digit folding.

/// Titles that precede a personal name and are skipped when sorting.
const TITLES: &[&str] = &[
    "นางสาว",
    "นาย",
    "นาง",
    "น.ส.",
    "ดร.",
    "Mr. ",
    "Mrs. ",
    "Ms. ",
    "Miss ",
    "Dr. ",
];

/// A key that sorts Thai in dictionary order: a leading vowel (เ แ โ ใ ไ) is written before
/// the consonant it follows in speech, so it is moved after that consonant; titles are skipped.
pub fn sort_key(s: &str) -> String {
    let mut rest = s.trim();
    for t in TITLES {
        if let Some(r) = rest.strip_prefix(t) {
            rest = r.trim_start();
            break;
        }
    }
    let chars: Vec<char> = rest.chars().collect();
    let mut out = String::with_capacity(rest.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if ('\u{0E40}'..='\u{0E44}').contains(&c) && i + 1 < chars.len() {
            out.push(chars[i + 1]);
            out.push(c);
            i += 2;
        } else {
            out.extend(c.to_lowercase());
            i += 1;
        }
    }
    out
}

/// Replaces Thai digits (๐–๙) by Arabic digits.
pub fn fold_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{0E50}'..='\u{0E59}' => char::from(b'0' + (c as u32 - 0x0E50) as u8),
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_vowels_are_not_the_first_sort_key() {
        let mut names = vec!["นาย เอก ดี", "นาง กมล ใจงาม", "นางสาว ไก่ แจ้", "นาย ขจร สุข"];
        names.sort_by_key(|n| sort_key(n));
        // กมล < ไก่ (ก + ไ) < ขจร < เอก (อ + เ)
        assert_eq!(
            names,
            vec!["นาง กมล ใจงาม", "นางสาว ไก่ แจ้", "นาย ขจร สุข", "นาย เอก ดี"]
        );
    }

    #[test]
    fn thai_digits_fold_to_arabic() {
        assert_eq!(fold_digits("๗๖ จังหวัด 2565"), "76 จังหวัด 2565");
    }
}
