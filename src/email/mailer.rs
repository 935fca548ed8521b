//! Building MIME messages and handing them to a transport (SMTP, `.eml` files, or memory).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{Message, SmtpTransport, Transport};

use crate::settings::MailTransport;

/// A rendered mail ready to be sent.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A message kept by the in-memory transport.
#[derive(Debug, Clone)]
pub struct CapturedMail {
    pub to: Vec<String>,
    pub raw: String,
}

/// Sends messages through the configured transport.
pub enum Mailer {
    Smtp(Box<SmtpTransport>),
    Files(PathBuf),
    Memory(Arc<Mutex<Vec<CapturedMail>>>),
}

impl Mailer {
    /// Creates the transport for the settings.
    pub fn from_settings(transport: &MailTransport) -> anyhow::Result<Mailer> {
        Ok(match transport {
            MailTransport::Smtp(raw) => {
                let url = raw.replacen("smtp+starttls://", "smtp://", 1);
                let url = if raw.starts_with("smtp+starttls://") {
                    if url.contains('?') {
                        format!("{url}&tls=required")
                    } else {
                        format!("{url}?tls=required")
                    }
                } else {
                    url
                };
                let transport = SmtpTransport::from_url(&url)
                    .context("ACADEMY_SMTP_URL")?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Mailer::Smtp(Box::new(transport))
            }
            MailTransport::Files(dir) => Mailer::Files(dir.clone()),
            MailTransport::Memory => Mailer::Memory(Arc::new(Mutex::new(Vec::new()))),
        })
    }

    /// Mails captured by the memory transport (empty for the others).
    pub fn captured(&self) -> Vec<CapturedMail> {
        match self {
            Mailer::Memory(m) => m.lock().map(|v| v.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Sends one message; blocking, so call it from a blocking thread.
    pub fn send(
        &self,
        id: &crate::email::model::OutboxId,
        message: &Message,
    ) -> anyhow::Result<()> {
        match self {
            Mailer::Smtp(t) => {
                t.send(message).map_err(|e| anyhow::anyhow!("SMTP: {e}"))?;
            }
            Mailer::Files(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                // Named by the outbox row alone: a resend after a crash (between writing and
                // recording "sent") replaces the same file instead of adding a second copy.
                let name = format!("{id}.eml");
                let tmp = dir.join(format!(".{name}.tmp"));
                std::fs::write(&tmp, message.formatted())
                    .with_context(|| format!("writing {}", tmp.display()))?;
                std::fs::rename(&tmp, dir.join(&name))
                    .context("moving the .eml file into place")?;
            }
            Mailer::Memory(store) => {
                let to = message
                    .envelope()
                    .to()
                    .iter()
                    .map(|a| a.to_string())
                    .collect();
                let raw = String::from_utf8_lossy(&message.formatted()).to_string();
                if let Ok(mut v) = store.lock() {
                    v.push(CapturedMail { to, raw });
                }
            }
        }
        Ok(())
    }
}

/// Replaces control characters (CR, LF, TAB, …) by spaces and folds runs of space, so no
/// user-supplied text can start a new header line.
pub fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Longest text (in bytes) one encoded-word carries: `=?utf-8?b?` + base64 + `?=` stays within
/// RFC 2047's 75 characters.
const WORD_BYTES: usize = 45;

/// A display name for a header: plain ASCII as a quoted string; anything else as RFC 2047
/// encoded-words (UTF-8, base64) that end where the name has a space (each keeps its space
/// inside, as whitespace between encoded-words is not text), folded one word per line. A piece
/// too long for one word is cut between characters, never before a Thai vowel or tone mark.
pub fn display_name(name: &str) -> String {
    use base64::Engine;
    if name.is_empty() {
        return String::new();
    }
    if name.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""));
    }
    let mut pieces: Vec<String> = Vec::new();
    for word in name.split_inclusive(' ') {
        let mut piece = String::new();
        for c in word.chars() {
            let mark = matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}');
            if piece.len() + c.len_utf8() > WORD_BYTES && !mark && !piece.is_empty() {
                pieces.push(std::mem::take(&mut piece));
            }
            piece.push(c);
        }
        pieces.push(piece);
    }
    pieces
        .iter()
        .map(|p| {
            format!(
                "=?utf-8?b?{}?=",
                base64::engine::general_purpose::STANDARD.encode(p.as_bytes())
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// Builds the MIME message: plain text and HTML alternatives, a stable Message-ID per outbox row.
pub fn build_message(
    from: &Mailbox,
    to_email: &str,
    to_name: &str,
    outbox_id: &crate::email::model::OutboxId,
    rendered: &Rendered,
) -> anyhow::Result<Message> {
    // Our own address rules first (no quotes, brackets or controls): lettre accepts a quoted
    // local part such as `"x"@host` and puts `x@host` in the envelope, a different recipient
    // from the header's (found by the email_headers fuzz target).
    crate::accounts::model::EmailAddress::parse(to_email)
        .map_err(|e| anyhow::anyhow!("recipient address: {e}"))?;
    let to_addr = to_email
        .parse()
        .with_context(|| format!("recipient address {to_email:?}"))?;
    let name = header_safe(to_name);
    let to = Mailbox::new((!name.is_empty()).then_some(name.clone()), to_addr);
    let domain = from.email.domain().to_string();
    // The To header is encoded here, not by lettre: its encoded-words end at the bytes that fill
    // them, in the middle of a Thai word, and some clients show a space at each such seam.
    let to_header = lettre::message::header::HeaderValue::dangerous_new_pre_encoded(
        lettre::message::header::HeaderName::new_from_ascii_str("To"),
        to.to_string(),
        format!("{} <{}>", display_name(&name), to.email),
    );
    let envelope = lettre::address::Envelope::new(Some(from.email.clone()), vec![to.email.clone()])
        .context("the envelope")?;
    Message::builder()
        .from(from.clone())
        .raw_header(to_header)
        .envelope(envelope)
        .subject(header_safe(&rendered.subject))
        .message_id(Some(format!("<{outbox_id}@{domain}>")))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(rendered.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(rendered.html.clone()),
                ),
        )
        .context("building the message")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of each encoded-word of a folded display name (each at most 75 characters).
    fn decoded_words(folded: &str) -> Vec<String> {
        use base64::Engine;
        folded
            .split("\r\n ")
            .map(|w| {
                assert!(w.len() <= 75, "{w}");
                let b64 = w
                    .strip_prefix("=?utf-8?b?")
                    .and_then(|r| r.strip_suffix("?="))
                    .unwrap_or_else(|| panic!("not an encoded-word: {w}"));
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap();
                String::from_utf8(bytes).unwrap()
            })
            .collect()
    }

    #[test]
    fn thai_names_are_encoded_word_by_word_at_their_spaces() {
        let words = decoded_words(&display_name("นางสาว สมหญิง ศรีสุข"));
        assert_eq!(words, ["นางสาว ", "สมหญิง ", "ศรีสุข"]);
        // A word longer than one encoded-word is cut between characters, not before a mark.
        let long = "ศักดิ์".repeat(12);
        let parts = decoded_words(&display_name(&long));
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), long);
        for p in &parts[1..] {
            let first = p.chars().next().unwrap();
            assert!(
                !matches!(first, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}'),
                "{p}"
            );
        }
        assert_eq!(
            display_name("Somchai \"Tom\" J."),
            "\"Somchai \\\"Tom\\\" J.\""
        );
    }

    #[test]
    fn header_values_lose_line_breaks() {
        assert_eq!(
            header_safe("Eve\r\nBcc: x@example.com"),
            "Eve Bcc: x@example.com"
        );
        assert_eq!(header_safe(" นาย\tสมชาย \n"), "นาย สมชาย");
    }
}
