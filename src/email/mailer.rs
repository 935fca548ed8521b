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
    let to = Mailbox::new((!name.is_empty()).then_some(name), to_addr);
    let domain = from.email.domain().to_string();
    Message::builder()
        .from(from.clone())
        .to(to)
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

    #[test]
    fn header_values_lose_line_breaks() {
        assert_eq!(
            header_safe("Eve\r\nBcc: x@example.com"),
            "Eve Bcc: x@example.com"
        );
        assert_eq!(header_safe(" นาย\tสมชาย \n"), "นาย สมชาย");
    }
}
