//! Rendering outbox rows with the e-mail templates in the recipient's language.

use anyhow::Context;

use super::mailer::Rendered;
use super::store::OutboxRow;

/// Renders subject, text and HTML of a mail; links come from the base URL, never a request.
pub fn render(
    templates: &tera::Tera,
    row: &OutboxRow,
    base_url: &url::Url,
) -> anyhow::Result<Rendered> {
    let values: serde_json::Value =
        serde_json::from_str(&row.context_json).context("mail context")?;
    let mut ctx = tera::Context::from_value(values).context("mail context is not an object")?;
    ctx.insert("lang", if row.language == "en" { "en" } else { "th" });
    ctx.insert("base_url", base_url.as_str());
    ctx.insert("to_name", &row.to_name);
    let part = |name: &str| {
        let t = format!("email/{}/{name}", row.template);
        templates
            .render(&t, &ctx)
            .map_err(|e| anyhow::anyhow!("rendering {t}: {e:?}"))
    };
    Ok(Rendered {
        subject: part("subject.txt")?.trim().to_string(),
        text: part("body.txt")?,
        html: part("body.html")?,
    })
}
