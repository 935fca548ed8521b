//! Markdown to safe HTML: pulldown-cmark, then an allow-list sanitiser (ammonia).

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

/// Largest Markdown document rendered; larger input is refused before parsing.
pub const MAX_MARKDOWN_BYTES: usize = 256 * 1024;

fn sanitiser() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("noopener noreferrer nofollow"))
            .add_tags(["input", "label"])
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
    // A task-list box is labelled by its item's text (axe: "form elements must have labels"):
    // the label opens at the box and closes where the item's first paragraph (or the item, or
    // a nested list) ends.
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut open: Vec<u8> = Vec::new();
    let mut label_at: Option<usize> = None;
    for ev in Parser::new_ext(markdown, opts) {
        let closes = match &ev {
            Event::End(TagEnd::Paragraph | TagEnd::Item) => Some(open.len()),
            Event::Start(Tag::List(_)) => Some(open.len()),
            _ => None,
        };
        if closes.is_some() && closes == label_at {
            events.push(Event::Html("</label>".into()));
            label_at = None;
        }
        match ev {
            Event::Start(Tag::Paragraph) | Event::Start(Tag::Item) => {
                open.push(0);
                events.push(ev);
            }
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::Item) => {
                open.pop();
                events.push(ev);
            }
            Event::TaskListMarker(checked) if label_at.is_none() => {
                label_at = Some(open.len());
                let box_ = if checked {
                    "<label><input type=\"checkbox\" disabled checked> "
                } else {
                    "<label><input type=\"checkbox\" disabled> "
                };
                events.push(Event::Html(box_.into()));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest = rewrite_image(&dest_url, media_prefix);
                events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url: dest,
                    title,
                    id,
                }));
            }
            other => events.push(other),
        }
    }
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
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
        // Each box is labelled by its item's text (tight and loose lists, nested ones too).
        assert!(
            html.contains(
                "<li><label><input type=\"checkbox\" disabled=\"\"> ตรวจบันทึก</label></li>"
            ),
            "{html}"
        );
        let loose = render_markdown("- [x] หนึ่ง\n\n- [ ] สอง\n  - ย่อย\n", "/m/").unwrap();
        assert_eq!(loose.matches("<label>").count(), 2, "{loose}");
        assert_eq!(loose.matches("</label>").count(), 2, "{loose}");
        assert!(loose.contains("checked=\"\"> หนึ่ง</label></p>"), "{loose}");
        assert!(
            !loose.contains("ย่อย</label>"),
            "the nested item is not in the label: {loose}"
        );
    }
}
