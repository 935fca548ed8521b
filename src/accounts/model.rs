//! Account domain types: roles, e-mail addresses, passwords, languages.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Trainee,
    Instructor,
    Admin,
}

impl Role {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Trainee => "trainee",
            Role::Instructor => "instructor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "trainee" => Ok(Role::Trainee),
            "instructor" => Ok(Role::Instructor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role '{other}': use trainee, instructor or admin"
            )),
        }
    }
}

/// The UI and e-mail language of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Th,
    En,
}

impl Language {
    /// `th` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Th => "th",
            Language::En => "en",
        }
    }

    /// Parses `th`/`en`; anything else is Thai, the default.
    pub fn parse_or_default(s: &str) -> Language {
        if s.eq_ignore_ascii_case("en") {
            Language::En
        } else {
            Language::Th
        }
    }
}

/// A syntactically valid, lower-cased e-mail address with no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Accepts `local@domain.tld`, at most 254 characters; lower-cases it.
    pub fn parse(raw: &str) -> Result<EmailAddress, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("e-mail address is required".into());
        }
        if s.len() > 254 {
            return Err("e-mail address is longer than 254 characters".into());
        }
        if s.chars()
            .any(|c| c.is_control() || c.is_whitespace() || "<>,;\"()[]\\".contains(c))
        {
            return Err(format!(
                "'{}' is not a valid e-mail address",
                s.escape_debug()
            ));
        }
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or_else(|| format!("'{s}' is not a valid e-mail address"))?;
        if local.is_empty()
            || local.contains('@')
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(format!("'{s}' is not a valid e-mail address"));
        }
        Ok(EmailAddress(s.to_lowercase()))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name: 1–200 characters, no control characters (so never CR/LF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Trims, folds inner runs of white space, and refuses control characters.
    pub fn parse(raw: &str) -> Result<PersonName, String> {
        if raw.chars().any(|c| c.is_control()) {
            return Err("name must not contain control characters or line breaks".into());
        }
        let folded = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let n = folded.chars().count();
        if n == 0 {
            return Err("name is required".into());
        }
        if n > 200 {
            return Err("name is longer than 200 characters".into());
        }
        Ok(PersonName(folded))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Largest password accepted, in characters; longer input is refused before hashing.
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Smallest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// A password that passed the policy: 8–128 characters of any Unicode, not a common one.
pub struct NewPassword(String);

impl NewPassword {
    /// Applies the password policy; checks length on bytes first so huge inputs cost nothing.
    pub fn parse(raw: &str) -> Result<NewPassword, String> {
        if raw.len() > MAX_PASSWORD_CHARS * 4 {
            return Err(format!(
                "password is longer than {MAX_PASSWORD_CHARS} characters"
            ));
        }
        let n = raw.chars().count();
        if n < MIN_PASSWORD_CHARS {
            return Err(format!(
                "password must have at least {MIN_PASSWORD_CHARS} characters"
            ));
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(format!(
                "password is longer than {MAX_PASSWORD_CHARS} characters"
            ));
        }
        if is_common_password(raw) {
            return Err("this password is too common; choose another".into());
        }
        Ok(NewPassword(raw.to_string()))
    }

    /// The accepted password.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn is_common_password(raw: &str) -> bool {
    let lower = raw.to_lowercase();
    let first = lower.chars().next();
    if lower.chars().all(|c| Some(c) == first) {
        return true;
    }
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .any(|p| !p.is_empty() && p == lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_header_injection_is_refused() {
        assert_eq!(
            EmailAddress::parse(" Somchai@Example.ORG ")
                .unwrap()
                .as_str(),
            "somchai@example.org"
        );
        for bad in [
            "",
            "a",
            "a@b",
            "a@@b.c",
            "x@y.z\r\nBcc: e@f.g",
            "a b@c.d",
            "<a@b.c>",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn names_refuse_line_breaks_and_fold_spaces() {
        assert_eq!(
            PersonName::parse("  นาย   สมชาย  ใจดี ").unwrap().as_str(),
            "นาย สมชาย ใจดี"
        );
        assert!(PersonName::parse("Eve\r\nBcc: x@example.com").is_err());
        assert!(PersonName::parse("   ").is_err());
    }

    #[test]
    fn password_policy_counts_characters_and_refuses_common_ones() {
        assert!(NewPassword::parse("รหัสผ่านยาวพอ").is_ok());
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("password").is_err());
        assert!(NewPassword::parse("Password123").is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaa").is_err());
        assert!(NewPassword::parse(&"x".repeat(1_000_000)).is_err());
        assert!(NewPassword::parse(&"กข".repeat(64)).is_ok());
        assert!(NewPassword::parse(&format!("{}ค", "กข".repeat(64))).is_err());
    }
}

crate::id_type!(
    /// A person's account id (a UUID).
    UserId
);

crate::id_type!(
    /// A one-time link's id (a UUID; the secret itself is never stored).
    TokenId
);
crate::audited!(UserId, "user");
