//! Checking link and image targets in module Markdown bodies.

use super::*;

// ---------------------------------------------------------------------------------------------
// Markdown bodies: link and image targets
// ---------------------------------------------------------------------------------------------

/// A link or image target found in one line of Markdown.
pub(super) struct MdLink<'l> {
    pub(super) image: bool,
    pub(super) target: &'l str,
}

/// Checks the link and image targets of a Markdown body whose first line is file line
/// `first_line`; fenced code blocks and code spans are skipped.
pub(super) fn check_body(
    file: &str,
    body: &str,
    first_line: usize,
    images: &BTreeSet<String>,
    problems: &mut Vec<Problem>,
) {
    let mut fence: Option<(u8, usize)> = None;
    let mut definitions: Vec<(usize, String, &str)> = Vec::new();
    let mut image_labels: HashSet<String> = HashSet::new();
    for (index, raw) in body.split('\n').enumerate() {
        let line_no = first_line + index;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((mark, len)) = fence_marker(line) {
            fence = match fence {
                None => Some((mark, len)),
                Some((open, open_len)) if open == mark && len >= open_len => None,
                still_open => still_open,
            };
            continue;
        }
        if fence.is_some() {
            continue;
        }
        if let Some((label, target)) = reference_definition(line) {
            definitions.push((line_no, label, target));
            continue;
        }
        for link in markdown_links(line, &mut image_labels) {
            if let Some(message) = target_problem(link.target, link.image, images) {
                problems.push(problem(file, line_no, message));
            }
        }
    }
    for (line_no, label, target) in definitions {
        let image = image_labels.contains(&label);
        if let Some(message) = target_problem(target, image, images) {
            problems.push(problem(file, line_no, message));
        }
    }
}

/// Why a link or image target is refused, if it is.
pub(super) fn target_problem(
    target: &str,
    image: bool,
    images: &BTreeSet<String>,
) -> Option<String> {
    let what = if image { "image" } else { "link" };
    if target.starts_with('/') || target.starts_with('\\') {
        return Some(format!(
            "{what} \"{target}\": absolute paths are not allowed"
        ));
    }
    if target.contains("..") {
        return Some(format!("{what} \"{target}\": \"..\" is not allowed"));
    }
    match url_scheme(target) {
        Some(_) if image => {
            Some(format!("image \"{target}\" must be a relative path inside the module folder, not a URL"))
        }
        Some(scheme) if !["http", "https", "mailto"].contains(&scheme.to_ascii_lowercase().as_str()) => Some(format!(
            "link \"{target}\": the URL scheme \"{scheme}\" is not allowed (only http, https and mailto)"
        )),
        None if image && !images.contains(target.strip_prefix("./").unwrap_or(target)) => Some(format!(
            "image \"{target}\" is not an image file (png, jpg, jpeg, gif, webp, svg) in the module folder"
        )),
        _ => None,
    }
}

/// The scheme of an absolute URL (`https` in `https://…`), if the target has one.
pub(super) fn url_scheme(target: &str) -> Option<&str> {
    let (scheme, _) = target.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// A code fence line (three or more backticks or tildes): its character and length.
pub(super) fn fence_marker(line: &str) -> Option<(u8, usize)> {
    let rest = line.trim_start().as_bytes();
    let mark = *rest.first()?;
    if mark != b'`' && mark != b'~' {
        return None;
    }
    let run = rest.iter().take_while(|&&c| c == mark).count();
    let info_has_backtick =
        mark == b'`' && rest.get(run..).is_some_and(|info| info.contains(&b'`'));
    (run >= 3 && !info_has_backtick).then_some((mark, run))
}

/// `[label]: target` at the start of a line: the normalised label and the target.
pub(super) fn reference_definition(line: &str) -> Option<(String, &str)> {
    let rest = line.trim_start().strip_prefix('[')?;
    let close = rest.find("]:")?;
    let label = rest.get(..close)?;
    if label.trim().is_empty() || label.contains(['[', ']']) {
        return None;
    }
    let target = link_destination(rest, close + 2)?;
    (!target.is_empty()).then(|| (normalize_label(label), target))
}

pub(super) fn normalize_label(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The inline links and images of a line, and autolinks with a scheme (`<scheme:…>`). The
/// labels of reference-style images (`![alt][label]`, `![label]`) go to `image_labels`.
pub(super) fn markdown_links<'l>(
    line: &'l str,
    image_labels: &mut HashSet<String>,
) -> Vec<MdLink<'l>> {
    let bytes = line.as_bytes();
    let code = code_mask(bytes);
    let mut links = Vec::new();
    let mut opens: Vec<usize> = Vec::new();
    for (i, &c) in bytes.iter().enumerate() {
        let escaped = i.checked_sub(1).and_then(|p| bytes.get(p)) == Some(&b'\\');
        if escaped || code.get(i).copied().unwrap_or(true) {
            continue;
        }
        match c {
            b'[' => opens.push(i),
            b']' => {
                if let Some(open) = opens.pop() {
                    let image = open.checked_sub(1).and_then(|p| bytes.get(p)) == Some(&b'!');
                    bracket_link(line, (open, i), image, &mut links, image_labels);
                }
            }
            b'<' => {
                if let Some(target) = autolink(line, i) {
                    links.push(MdLink {
                        image: false,
                        target,
                    });
                }
            }
            _ => {}
        }
    }
    links
}

/// Handles the text after `[…]` (from `open` to `close`): an inline destination `(…)` or, for
/// an image, a reference label.
pub(super) fn bracket_link<'l>(
    line: &'l str,
    (open, close): (usize, usize),
    image: bool,
    links: &mut Vec<MdLink<'l>>,
    image_labels: &mut HashSet<String>,
) {
    let after = line.get(close + 1..).unwrap_or_default();
    if after.starts_with('(') {
        if let Some(target) = link_destination(line, close + 2) {
            links.push(MdLink { image, target });
        }
    } else if image {
        let alt = line.get(open + 1..close).unwrap_or_default();
        let label = after
            .strip_prefix('[')
            .and_then(|rest| rest.find(']').and_then(|end| rest.get(..end)))
            .filter(|label| !label.trim().is_empty())
            .unwrap_or(alt);
        image_labels.insert(normalize_label(label));
    }
}

/// The destination of a link starting at byte `start`: `<…>` or text up to whitespace or an
/// unbalanced `)`.
pub(super) fn link_destination(line: &str, start: usize) -> Option<&str> {
    let rest = line.get(start..)?.trim_start();
    if let Some(inner) = rest.strip_prefix('<') {
        return inner.find('>').and_then(|end| inner.get(..end));
    }
    let mut depth = 0usize;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return rest.get(..i),
            ')' => depth -= 1,
            c if c.is_whitespace() => return rest.get(..i),
            _ => {}
        }
    }
    Some(rest)
}

/// `<scheme:…>` (no whitespace inside) starting at byte `open`: the URL.
pub(super) fn autolink(line: &str, open: usize) -> Option<&str> {
    let rest = line.get(open + 1..)?;
    let inner = rest.get(..rest.find('>')?)?;
    (!inner.is_empty() && !inner.contains(char::is_whitespace) && url_scheme(inner).is_some())
        .then_some(inner)
}

/// Marks the bytes of a line that are inside code spans (`` `code` ``).
pub(super) fn code_mask(bytes: &[u8]) -> Vec<bool> {
    let mut mask = vec![false; bytes.len()];
    let mut i = 0;
    while i < bytes.len() {
        let run = backtick_run(bytes, i);
        if run == 0 {
            i += 1;
            continue;
        }
        match find_backtick_run(bytes, i + run, run) {
            Some(close) => {
                let end = close + run;
                if let Some(span) = mask.get_mut(i..end) {
                    span.fill(true);
                }
                i = end;
            }
            None => i += run,
        }
    }
    mask
}

pub(super) fn backtick_run(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .map_or(0, |rest| rest.iter().take_while(|&&c| c == b'`').count())
}

/// The start of the next run of exactly `len` backticks at or after `from`.
pub(super) fn find_backtick_run(bytes: &[u8], from: usize, len: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        let run = backtick_run(bytes, i);
        if run == len {
            return Some(i);
        }
        i += run.max(1);
    }
    None
}
