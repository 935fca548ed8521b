//! Server-rendered pages (Tera), Thai first with an English switch.

// One module per resource, as in `http/api/`: auth (and the account page), cohorts (and their
// sessions), content, credentials (and the public verification pages), governance, home (the
// dashboard), outbox, quizzes, users (and one person's page); `pages` and `guard` are shared.
pub mod auth;
pub mod cohorts;
pub mod completions;
pub mod content;
pub mod credentials;
pub mod evaluation;
pub mod governance;
pub mod guard;
pub mod home;
pub mod marking;
pub mod outbox;
pub mod pages;
pub mod quizzes;
pub mod users;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::accounts::model::Language;
use crate::error::{AppError, PageError};
use crate::http::AppState;

/// Cookie remembering the chosen UI language.
pub const LANG_COOKIE: &str = "academy_lang";
/// Cookie carrying the CSRF secret that every form must echo.
pub const CSRF_COOKIE: &str = "academy_csrf";

macro_rules! embedded_templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../templates/", $name)))),*]
    };
}

/// Every template, compiled into the binary so the service runs from any folder.
const TEMPLATES: &[(&str, &str)] = embedded_templates!(
    "base.html",
    "marking/queue.html",
    "marking/conflicts.html",
    "cohorts/confirm_recert.html",
    "evaluation/survey.html",
    "evaluation/report.html",
    "marking/mark.html",
    "home/first_run.html",
    "home/dashboard.html",
    "auth/login.html",
    "admin/mail.html",
    "admin/credentials.html",
    "admin/users.html",
    "admin/person.html",
    "auth/forgot.html",
    "auth/set_password.html",
    "account/profile.html",
    "email/invitation/subject.txt",
    "email/invitation/body.txt",
    "email/invitation/body.html",
    "email/password_reset/subject.txt",
    "email/password_reset/body.txt",
    "email/password_reset/body.html",
    "email/credential_issued/subject.txt",
    "email/credential_issued/body.txt",
    "email/credential_issued/body.html",
    "email/credential_suspended/subject.txt",
    "email/credential_suspended/body.txt",
    "email/credential_suspended/body.html",
    "email/credential_reinstated/subject.txt",
    "email/credential_reinstated/body.txt",
    "email/credential_reinstated/body.html",
    "email/appeal_outcome/subject.txt",
    "email/appeal_outcome/body.txt",
    "email/appeal_outcome/body.html",
    "email/attempt_marked/subject.txt",
    "email/attempt_marked/body.txt",
    "email/attempt_marked/body.html",
    "email/credential_revoked/subject.txt",
    "email/credential_revoked/body.txt",
    "email/credential_revoked/body.html",
    "email/credential_scope_withdrawn/subject.txt",
    "email/credential_scope_withdrawn/body.txt",
    "email/credential_scope_withdrawn/body.html",
    "email/credential_expiring/subject.txt",
    "email/credential_expiring/body.txt",
    "email/credential_expiring/body.html",
    "public/verify.html",
    "public/verify_completion.html",
    "evaluation/fiscal_year.html",
    "public/verify_paste.html",
    "cohorts/page.html",
    "cohorts/module.html",
    "cohorts/session.html",
    "quizzes/take.html",
    "quizzes/result.html",
    "quizzes/start.html",
    "quizzes/summary.html",
    "admin/cohorts.html",
    "quizzes/analytics.html",
    "modules/edit.html",
    "modules/diff.html",
    "public/register.html",
    "governance/decisions.html",
    "governance/recommend.html",
    "governance/appeals.html",
    "errors/page.html",
);

const STRINGS_TH: &str = include_str!("../../../templates/i18n/th.toml");
const STRINGS_EN: &str = include_str!("../../../templates/i18n/en.toml");
const APP_CSS: &str = include_str!("../../../static/app.css");

/// Parses every embedded template; fails start-up on a template error.
pub fn load_templates() -> anyhow::Result<tera::Tera> {
    let mut tera = tera::Tera::default();
    tera.add_raw_templates(TEMPLATES.iter().copied())
        .map_err(|e| anyhow::anyhow!("parsing templates: {e:?}"))?;
    for (name, src) in [("th", STRINGS_TH), ("en", STRINGS_EN)] {
        toml::from_str::<BTreeMap<String, String>>(src)
            .map_err(|e| anyhow::anyhow!("templates/i18n/{name}.toml: {e}"))?;
    }
    tera.autoescape_on(vec![".html"]);
    Ok(tera)
}

/// The names of the UI strings (`t.name`) a template's source uses.
fn keys_used(source: &str) -> BTreeSet<&str> {
    let bytes = source.as_bytes();
    let mut out = BTreeSet::new();
    let mut at = 0;
    while let Some(i) = source[at..].find("t.") {
        let start = at + i;
        at = start + 2;
        let before = start.checked_sub(1).map(|b| bytes[b]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
            continue;
        }
        let end = source[at..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(source.len(), |n| at + n);
        if end > at {
            out.insert(&source[at..end]);
        }
    }
    out
}

/// The UI strings a template needs (its own `t.…` and the layout's), per language, built once.
fn strings_for(lang: Language, template: &str) -> &'static BTreeMap<String, String> {
    type Cache = HashMap<&'static str, [BTreeMap<String, String>; 2]>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        let layout = TEMPLATES
            .iter()
            .find(|(name, _)| *name == "base.html")
            .map(|(_, src)| keys_used(src))
            .unwrap_or_default();
        let pick = |keys: &BTreeSet<&str>, lang: Language| -> BTreeMap<String, String> {
            let all = strings(lang);
            keys.iter()
                .filter_map(|k| all.get_key_value(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        TEMPLATES
            .iter()
            .map(|(name, src)| {
                let mut keys = keys_used(src);
                if src.contains("{% extends \"base.html\" %}") {
                    keys.extend(layout.iter().copied());
                }
                (
                    *name,
                    [pick(&keys, Language::Th), pick(&keys, Language::En)],
                )
            })
            .collect()
    });
    match cache.get(template) {
        Some(both) => &both[usize::from(lang == Language::En)],
        None => strings(lang),
    }
}

/// The UI strings of a language.
pub fn strings(lang: Language) -> &'static BTreeMap<String, String> {
    static TH: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    static EN: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let (cell, src) = match lang {
        Language::Th => (&TH, STRINGS_TH),
        Language::En => (&EN, STRINGS_EN),
    };
    cell.get_or_init(|| toml_strings(src))
}

fn toml_strings(src: &str) -> BTreeMap<String, String> {
    // Checked at start-up by `load_templates`, so this cannot fail in a running service.
    toml::from_str(src).unwrap_or_default()
}

/// The text of an error for a person, in the page's language: the UI string `err_<code>` when
/// there is one, else the service's own message.
pub fn error_text(lang: Language, e: &AppError) -> String {
    strings(lang)
        .get(&format!("err_{}", e.code()))
        .cloned()
        .unwrap_or_else(|| e.public_message())
}

/// The error page (`errors/page.html`), rendered without a request: an error can happen before
/// the service's state is at hand. Should the template itself fail, a plain bilingual line.
pub fn render_error_page(ctx: &tera::Context) -> String {
    static ONE: OnceLock<Option<tera::Tera>> = OnceLock::new();
    let tera = ONE.get_or_init(|| {
        let src = TEMPLATES.iter().find(|(n, _)| *n == "errors/page.html")?.1;
        let mut t = tera::Tera::default();
        t.add_raw_template("errors/page.html", src).ok()?;
        t.autoescape_on(vec![".html"]);
        Some(t)
    });
    tera.as_ref()
        .and_then(|t| t.render("errors/page.html", ctx).ok())
        .unwrap_or_else(|| "<!doctype html><p>เกิดข้อผิดพลาด / An error occurred</p>".into())
}

/// The language of this request: the remembered choice, else Thai.
pub fn lang_of(req: &HttpRequest) -> Language {
    req.cookie(LANG_COOKIE)
        .map(|c| Language::parse_or_default(c.value()))
        .unwrap_or_default()
}

/// A page being rendered: template context plus cookies to set.
pub struct Page {
    pub ctx: tera::Context,
    cookies: Vec<Cookie<'static>>,
    lang: Language,
}

impl Page {
    /// Starts a page with the language, strings, path and a CSRF token (set as a cookie if new).
    pub fn new(req: &HttpRequest) -> Page {
        let lang = lang_of(req);
        let mut ctx = tera::Context::new();
        ctx.insert("lang", lang.as_str());
        ctx.insert(
            "path_q",
            &url::form_urlencoded::byte_serialize(req.path().as_bytes()).collect::<String>(),
        );
        ctx.insert("user", &Option::<()>::None);
        ctx.insert("flash", &Option::<String>::None);
        let mut cookies = Vec::new();
        // The pre-session cookie is random and only binds the token before sign-in; once
        // signed in, the token is bound to the session itself.
        let pre = match req.cookie(CSRF_COOKIE).map(|c| c.value().to_string()) {
            Some(v) if v.len() == 64 => v,
            _ => {
                let v = crate::util::random_hex(32);
                cookies.push(
                    Cookie::build(CSRF_COOKIE, v.clone())
                        .path("/")
                        .http_only(true)
                        .same_site(SameSite::Strict)
                        .finish(),
                );
                v
            }
        };
        let csrf = crate::http::extract::csrf_token(req, Some(&pre));
        ctx.insert("csrf", &csrf);
        Page { ctx, cookies, lang }
    }

    /// Shows the UI string named by a `?done=` key as a flash message (unknown keys show nothing).
    /// A `{n}` in the string is replaced by the request's `?n=` number (a count of results).
    /// When the action named its item ([`see_other_item`]), the `<key>_item` string says which,
    /// once: the item's cookie is cleared with this page.
    pub fn flash(&mut self, req: &HttpRequest, done: Option<&str>) {
        // The `_item` strings need their item's name: never shown from a query alone.
        let done = done.filter(|k| !k.ends_with("_item"));
        let table = strings(lang_of(req));
        let item = req.cookie(FLASH_ITEM_COOKIE).and_then(|c| {
            url::form_urlencoded::parse(c.value().as_bytes())
                .next()
                .map(|(k, _)| k.into_owned())
                .filter(|k| !k.trim().is_empty())
        });
        if item.is_some() {
            self.cookies.push(
                Cookie::build(FLASH_ITEM_COOKIE, "")
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Strict)
                    .max_age(actix_web::cookie::time::Duration::ZERO)
                    .finish(),
            );
        }
        let named = done.zip(item.as_deref()).and_then(|(k, name)| {
            table
                .get(&format!("{k}_item"))
                .map(|m| m.replace("{name}", name))
        });
        if let Some(msg) = named.or_else(|| done.and_then(|k| table.get(k)).cloned()) {
            let n = url::form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(k, _)| k == "n")
                .and_then(|(_, v)| v.parse::<u32>().ok())
                .unwrap_or(0);
            self.ctx
                .insert("flash", &msg.replace("{n}", &n.to_string()));
        }
    }

    /// On a public page: the header of a visitor who is signed in shows them signed in (their
    /// menu and the sign-out button), as every other page does.
    pub async fn visitor(&mut self, req: &HttpRequest) {
        if let Ok(user) = crate::http::extract::resolve(req.clone()).await {
            self.ctx.insert("user", &user);
        }
    }

    /// Shows the flash message named by this request's own `?done=` parameter.
    pub fn flash_from_query(&mut self, req: &HttpRequest) {
        let done = url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, _)| k == "done")
            .map(|(_, v)| v.into_owned());
        self.flash(req, done.as_deref());
    }

    /// Renders `template` with the given status.
    pub fn render(
        self,
        state: &AppState,
        template: &str,
        status: actix_web::http::StatusCode,
    ) -> Result<HttpResponse, PageError> {
        let mut ctx = self.ctx;
        // Only the UI strings this template (and the layout) uses: inserting all of them cost
        // more than the rest of a typical page.
        ctx.insert("t", strings_for(self.lang, template));
        let html = state
            .templates
            .render(template, &ctx)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("rendering {template}: {e:?}")))?;
        let mut res = HttpResponse::build(status);
        for c in self.cookies {
            res.cookie(c);
        }
        Ok(res.content_type("text/html; charset=utf-8").body(html))
    }
}

/// Chooses the Thai or the English text.
/// An office named by its province in the page's language (a code such as TH-50 means nothing
/// to a person); the code itself only when it is not in the list.
pub fn province(lang: Language, office_code: &str) -> String {
    crate::offices::find(office_code)
        .map(|o| pick(lang, &o.province_th, &o.province_en))
        .unwrap_or_else(|| office_code.to_string())
}

pub fn pick(lang: Language, th: &str, en: &str) -> String {
    if lang == Language::En {
        en.to_string()
    } else {
        th.to_string()
    }
}

/// The status a refused form is shown again with, or `None` when the error is not about the
/// form (not found, not allowed, internal) and goes to the error page.
pub fn form_status(e: &AppError) -> Option<actix_web::http::StatusCode> {
    match e {
        AppError::Validation { .. } | AppError::Rejected { .. } => {
            Some(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
        }
        AppError::Conflict { .. } => Some(actix_web::http::StatusCode::CONFLICT),
        _ => None,
    }
}

/// A 303 redirect after a form post.
/// The cookie that carries the name of the item an action changed to the page the action
/// redirects to (set by [`see_other_item`], read and cleared by [`Page::flash`]). A cookie and not
/// the query: a link from elsewhere cannot make our page say a name it chose.
const FLASH_ITEM_COOKIE: &str = "flash_item";

/// A redirect after an action on one item: the page's message names it (the `<done>_item`
/// string, with `{name}`), and `location` ends with the item's `#anchor`, so the page opens at
/// the item (the message stays in view above it).
pub fn see_other_item(location: &str, name: &str) -> HttpResponse {
    let name: String = name.chars().take(200).collect();
    let value: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .cookie(
            Cookie::build(FLASH_ITEM_COOKIE, value)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                .max_age(actix_web::cookie::time::Duration::seconds(60))
                .finish(),
        )
        .finish()
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Only local paths are followed after a language switch or sign-in.
/// A redirect target that can only be a path of this site: it starts with one `/`, and holds
/// no backslash, whitespace or control character (browsers drop tabs and newlines, so
/// `/\t/host` would become `//host`, another site; CR/LF would break the header). Anything
/// else is `/`.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 2000
                && !n
                    .chars()
                    .any(|c| c == '\\' || c.is_whitespace() || c.is_control()) =>
        {
            n
        }
        _ => "/",
    }
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn switch_language(path: web::Path<String>, q: web::Query<NextQuery>) -> HttpResponse {
    let lang = Language::parse_or_default(&path.into_inner());
    let next = safe_next(q.next.as_deref()).to_string();
    HttpResponse::SeeOther()
        .cookie(
            Cookie::build(LANG_COOKIE, lang.as_str())
                .path("/")
                .same_site(SameSite::Lax)
                .max_age(actix_web::cookie::time::Duration::days(365))
                .finish(),
        )
        .insert_header((header::LOCATION, next))
        .finish()
}

/// The Thai web font (Noto Sans Thai, SIL Open Font License), served by the service itself so
/// pages need no CDN.
pub async fn font(path: web::Path<String>) -> Result<HttpResponse, PageError> {
    let bytes: &'static [u8] = match path.as_str() {
        "NotoSansThai-Regular.ttf" => {
            include_bytes!("../../../static/fonts/NotoSansThai-Regular.ttf")
        }
        "NotoSansThai-Bold.ttf" => include_bytes!("../../../static/fonts/NotoSansThai-Bold.ttf"),
        _ => return Err(PageError(AppError::NotFound)),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=604800, immutable"))
        .content_type("font/ttf")
        .body(bytes))
}

pub async fn app_css() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .content_type("text/css; charset=utf-8")
        .body(APP_CSS)
}

/// Form extraction: 64 KiB at most (imports are larger: 4 MiB), errors as a readable page.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(4 * 1024 * 1024)
        .error_handler(|e, _| {
            PageError(AppError::BadRequest(format!(
                "could not read the form: {e}"
            )))
            .into()
        })
}

#[cfg(test)]
mod tests {

    #[test]
    fn both_string_tables_are_valid_toml_with_the_same_keys() {
        let th: BTreeMap<String, String> = toml::from_str(STRINGS_TH).expect("th.toml");
        let en: BTreeMap<String, String> = toml::from_str(STRINGS_EN).expect("en.toml");
        assert_eq!(th.keys().collect::<Vec<_>>(), en.keys().collect::<Vec<_>>());
        assert_eq!(strings(Language::Th).len(), th.len());
    }

    use super::*;

    #[test]
    fn every_template_parses_and_both_languages_have_the_same_keys() {
        load_templates().unwrap();
        let th: Vec<_> = strings(Language::Th).keys().collect();
        let en: Vec<_> = strings(Language::En).keys().collect();
        assert_eq!(th, en);
        assert!(th.len() > 10);
    }

    #[test]
    fn a_page_gets_exactly_the_strings_its_template_and_the_layout_use() {
        let used = keys_used("{{ t.title }} {{t.a_b1}} {{ x.t.no }} {{ st.no }} t.");
        assert_eq!(used.into_iter().collect::<Vec<_>>(), ["a_b1", "title"]);
        for (name, src) in TEMPLATES {
            for lang in [Language::Th, Language::En] {
                let given = strings_for(lang, name);
                for key in keys_used(src) {
                    assert!(
                        given.contains_key(key),
                        "{name} uses t.{key}, not in {lang:?}"
                    );
                }
            }
        }
        // The layout's strings come with every page that extends it.
        let page = strings_for(Language::Th, "public/verify.html");
        assert!(page.contains_key("verify_title") && page.contains_key("nav_users"));
        assert!(page.len() < strings(Language::Th).len() / 4);
    }

    #[test]
    fn no_page_template_uses_an_inline_style_the_csp_would_block() {
        // `style-src 'self'` drops style attributes: the dashboard's progress bars rendered
        // empty (issue 22, point 6). E-mails carry no CSP and keep theirs.
        for (name, src) in TEMPLATES {
            if name.starts_with("email/") {
                continue;
            }
            assert!(
                !src.contains(" style="),
                "{name} has an inline style attribute"
            );
        }
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/cohorts")), "/cohorts");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\\evil.example",
            "/ /evil.example",
            "/\u{0b}/evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
    }
}
