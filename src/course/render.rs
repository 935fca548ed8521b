//! Markdown to safe HTML: pulldown-cmark, then an allow-list sanitiser (ammonia).

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

/// Largest Markdown document rendered; larger input is refused before parsing.
pub const MAX_MARKDOWN_BYTES: usize = 256 * 1024;

fn sanitiser() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("noopener noreferrer nofollow"))
            .add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .add_tag_attributes("td", ["style"])
            .add_tag_attributes("th", ["style"])
            .filter_style_properties(HashSet::from(["text-align"]))
            .url_relative(ammonia::UrlRelative::PassThrough);
        b
    })
}

/// Renders Markdown (CommonMark, tables, task lists, strikethrough) to sanitised HTML.
/// Relative image paths are rewritten under `media_prefix` (e.g. `/media/01-intro/`).
/// No script, event handler, `javascript:` or `data:` URL survives.
pub fn render_markdown(markdown: &str, media_prefix: &str) -> Result<String, String> {
    if markdown.len() > MAX_MARKDOWN_BYTES {
        return Err(format!(
            "the text is larger than {} KiB",
            MAX_MARKDOWN_BYTES / 1024
        ));
    }
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_TASKLISTS);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let events = Parser::new_ext(markdown, opts).map(|ev| match ev {
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let dest = rewrite_image(&dest_url, media_prefix);
            Event::Start(Tag::Image {
                link_type,
                dest_url: dest,
                title,
                id,
            })
        }
        other => other,
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events);
    Ok(ensure_alt(&sanitiser().clean(&raw).to_string()))
}

/// Gives every `<img>` without an `alt` attribute an empty one (decorative), so that a raw HTML
/// image in module text never leaves screen-reader users with a bare file name. Works on the
/// sanitiser's output, whose attribute values are always double-quoted.
fn ensure_alt(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 16);
    let mut rest = html;
    while let Some(pos) = rest.find("<img") {
        let (before, tag_and_after) = rest.split_at(pos);
        out.push_str(before);
        // Find the end of the tag outside quoted values, and whether `alt=` is an attribute.
        let bytes = tag_and_after.as_bytes();
        let (mut i, mut quoted, mut has_alt) = (4, false, false);
        while i < bytes.len() {
            match bytes[i] {
                b'"' => quoted = !quoted,
                b'>' if !quoted => break,
                b if !quoted
                    && b.is_ascii_whitespace()
                    && tag_and_after[i + 1..].starts_with("alt=") =>
                {
                    has_alt = true;
                }
                _ => {}
            }
            i += 1;
        }
        let end = (i + 1).min(tag_and_after.len());
        if has_alt {
            out.push_str(&tag_and_after[..end]);
        } else {
            out.push_str("<img alt=\"\"");
            out.push_str(&tag_and_after[4..end]);
        }
        rest = &tag_and_after[end..];
    }
    out.push_str(rest);
    out
}

fn rewrite_image<'a>(dest: &CowStr<'a>, prefix: &str) -> CowStr<'a> {
    let d = dest.as_ref();
    let relative = !d.contains(':')
        && !d.starts_with('/')
        && !d.split('/').any(|p| p == "..")
        && !d.is_empty();
    if relative {
        CowStr::from(format!("{prefix}{}", d.trim_start_matches("./")))
    } else {
        // Anything else is dropped by the sanitiser or points nowhere useful.
        CowStr::from(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_image_gets_an_alt_attribute_and_given_ones_are_kept() {
        let html = render_markdown(
            "<img src=\"a.png\" title=\"x > alt=y\">\n\n![แผนผัง](b.png)\n",
            "/media/m/",
        )
        .unwrap();
        assert_eq!(html.matches("<img").count(), 2, "{html}");
        assert!(
            html.contains("<img alt=\"\" src=\"a.png\" title=\"x &gt; alt=y\">"),
            "{html}"
        );
        assert!(html.contains("alt=\"แผนผัง\""), "{html}");
        assert_eq!(html.matches("alt=\"\"").count(), 1, "{html}");
        assert_eq!(ensure_alt("no images"), "no images");
        assert_eq!(ensure_alt("<img"), "<img alt=\"\"");
    }

    #[test]
    fn hostile_markdown_loses_every_script() {
        let cases = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "![x](data:text/html;base64,PHNjcmlwdD4=)",
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
            "<svg onload=alert(1)>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
        ];
        for c in cases {
            let html = render_markdown(c, "/media/m/").unwrap().to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "javascript:",
                "data:",
                "<iframe",
                "<svg",
                "style=",
            ] {
                assert!(!html.contains(bad), "{c:?} → {html}");
            }
        }
    }

    #[test]
    fn relative_images_are_served_from_the_module_folder() {
        let html = render_markdown(
            "![รอบการตรวจ](cycle.png) ![x](../secret.png)",
            "/media/04-plan/",
        )
        .unwrap();
        assert!(html.contains("src=\"/media/04-plan/cycle.png\""), "{html}");
        assert!(!html.contains("secret"), "{html}");
    }

    #[test]
    fn tables_and_task_lists_render() {
        let html =
            render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n- [ ] ตรวจบันทึก\n", "/m/").unwrap();
        assert!(
            html.contains("<table>") && html.contains("type=\"checkbox\""),
            "{html}"
        );
    }
}
