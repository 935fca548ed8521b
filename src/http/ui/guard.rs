//! Page extractors: who is signed in (with the role a page needs) and a form whose CSRF token
//! was checked. A page handler names what it needs in its arguments and never spells out the
//! sign-in or CSRF checks itself; a missing sign-in sends the browser to `/login`, a wrong role
//! shows the "not allowed" page, and a form without this session's token the "from another
//! site" page.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::accounts::model::Role;
use crate::accounts::User;
use crate::error::{AppError, PageError};
use crate::http::extract::{self, SignedIn};

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, PageError>>>>;

async fn signed_in_with(req: HttpRequest, allowed: fn(Role) -> bool) -> Result<User, PageError> {
    let user = extract::resolve(req).await.map_err(PageError)?;
    if !allowed(user.role) {
        return Err(PageError(AppError::Forbidden));
    }
    Ok(user)
}

macro_rules! page_user_type {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        pub struct $name(pub User);

        impl FromRequest for $name {
            type Error = PageError;
            type Future = Boxed<Self>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move { signed_in_with(req, $role).await.map($name) })
            }
        }
    };
}

page_user_type!(
    /// Any signed-in person.
    PageUser,
    |_| true
);
page_user_type!(
    /// A signed-in admin.
    PageAdmin,
    |r| r == Role::Admin
);
page_user_type!(
    /// A signed-in trainee.
    PageTrainee,
    |r| r == Role::Trainee
);
page_user_type!(
    /// A signed-in instructor or admin (course authors).
    PageStaff,
    |r| matches!(r, Role::Instructor | Role::Admin)
);

/// A page request whose sign-in token is genuine by its signature and dates; the account is
/// checked with [`SignedIn::user`] on the connection the page reads with anyway.
pub struct PageSession(pub SignedIn);

impl FromRequest for PageSession {
    type Error = PageError;
    type Future = std::future::Ready<Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let out = SignedIn::from_request(req, payload)
            .into_inner()
            .map(PageSession)
            .map_err(PageError);
        std::future::ready(out)
    }
}

/// A submitted form (`application/x-www-form-urlencoded`) whose `csrf` field is this session's
/// CSRF token (before sign-in: the pre-session cookie's). The other fields are read into `T`;
/// `T = Vec<(String, String)>` keeps every field in order, repeated names included.
pub struct CsrfForm<T>(pub T);

impl<T> CsrfForm<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for CsrfForm<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Whether `submitted` is this request's CSRF token; bearer-authenticated calls need none (they
/// name their caller in a header no other site can set).
pub fn csrf_accepted(req: &HttpRequest, submitted: &str) -> bool {
    extract::has_authorization(req) || extract::csrf_ok(req, submitted)
}

fn cross_site() -> PageError {
    PageError(AppError::CrossSite(
        "this form is out of date or came from another site: reload the page and try again".into(),
    ))
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // The form is read with the service's form settings (size limit, content type, errors
        // as a readable page); the token is checked before any field is interpreted.
        let fields = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            // A form that cannot be read keeps its own status (413 too large, 415 not a form).
            let fields = fields.await?.into_inner();
            let token = fields
                .iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            if !csrf_accepted(&req, token) {
                return Err(cross_site().into());
            }
            let encoded = serde_urlencoded::to_string(&fields)
                .map_err(|e| PageError(AppError::Unexpected(e.into())))?;
            serde_urlencoded::from_str::<T>(&encoded)
                .map(CsrfForm)
                .map_err(|e| {
                    PageError(AppError::BadRequest(format!(
                        "could not read the form: {e}"
                    )))
                    .into()
                })
        })
    }
}

/// The fields of a form that carries nothing but its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// Longest text field of a multipart form, in bytes.
const MAX_MULTIPART_FIELD: usize = 4096;
/// Largest file of a multipart form, in bytes (a signature image; the service sets its own,
/// smaller limit).
const MAX_MULTIPART_FILE: usize = 1024 * 1024;

/// A `multipart/form-data` form (one with a file): taken as the handler's argument, read with
/// [`CsrfMultipart::read`], which checks the CSRF token before any field is interpreted. (It is
/// read in the handler, after the sign-in and role extractors have answered, so a person without
/// the role gets "not allowed" whatever body they sent.)
pub struct CsrfMultipart {
    req: HttpRequest,
    multipart: actix_multipart::Multipart,
}

/// The fields of a multipart form whose CSRF token was checked: its text fields, and its files
/// by field name (empty files left out).
pub struct MultipartForm {
    pub fields: std::collections::HashMap<String, String>,
    pub files: std::collections::HashMap<String, Vec<u8>>,
}

impl MultipartForm {
    /// A text field, or the empty string.
    pub fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

impl FromRequest for CsrfMultipart {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready(Ok(CsrfMultipart {
            req: req.clone(),
            multipart: actix_multipart::Multipart::new(req.headers(), payload.take()),
        }))
    }
}

impl CsrfMultipart {
    /// Reads the whole form (text fields up to 4 KB, files up to 1 MB) and checks its token.
    pub async fn read(self) -> Result<MultipartForm, PageError> {
        use futures_util::StreamExt;
        let bad = |m: &str| PageError(AppError::BadRequest(m.to_string()));
        let mut form = self.multipart;
        let mut fields = std::collections::HashMap::new();
        let mut files = std::collections::HashMap::new();
        while let Some(field) = form.next().await {
            let mut field = field.map_err(|_| bad("could not read the form"))?;
            let name = field.name().unwrap_or("").to_string();
            let is_file = field
                .content_disposition()
                .is_some_and(|d| d.get_filename().is_some());
            let limit = if is_file {
                MAX_MULTIPART_FILE
            } else {
                MAX_MULTIPART_FIELD
            };
            let mut bytes = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| bad("could not read the form"))?;
                if bytes.len() + chunk.len() > limit {
                    return Err(PageError(AppError::Validation {
                        code: "invalid_input",
                        message: format!("{name}: at most {} KB", limit.div_ceil(1024)),
                    }));
                }
                bytes.extend_from_slice(&chunk);
            }
            if is_file {
                if !bytes.is_empty() {
                    files.insert(name, bytes);
                }
            } else {
                let text = String::from_utf8(bytes).map_err(|_| bad("the form is not UTF-8"))?;
                fields.insert(name, text);
            }
        }
        let token = fields.get("csrf").map(String::as_str).unwrap_or("");
        if !csrf_accepted(&self.req, token) {
            return Err(cross_site());
        }
        Ok(MultipartForm { fields, files })
    }
}
