//! Taking a quiz in the browser: the start page, the attempt (questions, summary before the
//! final submit, result and review with the next step), the autosave script, and staff's
//! statistics.

use crate::http::ui::guard::{CsrfForm, NoFields, PageSession, PageUser};
use crate::quizzes::model::AttemptState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::pages::field;
use super::{lang_of, see_other, strings, Page};
use crate::accounts::{model::Language, User};
use crate::cohorts::{self, Access};
use crate::dates;
use crate::error::{AppError, PageError};
use crate::http::AppState;
use crate::quizzes;
use std::collections::HashMap;

/// A quiz's start page: settings and earlier attempts.
pub async fn quiz_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageSession(who): PageSession,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let (id, slug) = path.into_inner();
    let (cid, s) = (id.clone(), slug.clone());
    // The account check and the page's reads share one pooled connection.
    let (user, quiz, attempts, checklist) = state
        .db
        .read(move |conn| {
            let u = who.user(conn)?;
            let q = quizzes::cohort_quizzes(conn, &cid, &u, lang)?
                .into_iter()
                .find(|q| q.slug == s && q.published)
                .ok_or(AppError::NotFound)?;
            let a = quizzes::store::attempts_of(conn, &cid, &s, &u.id)?;
            let c = quizzes::quiz_checklist(conn, &cid, &s, &u, lang)?;
            Ok((u, q, a, c))
        })
        .await?;
    let mut page = Page::new(&req);
    // An attempt already open may always be resumed; a new one needs the prerequisites.
    let open = attempts
        .iter()
        .any(|a| a.attempt_state() == AttemptState::Open);
    page.ctx
        .insert("ready", &(open || checklist.iter().all(|i| i.met)));
    page.ctx.insert("checklist", &checklist);
    page.ctx.insert("title", &quiz.title);
    page.ctx.insert("minutes", &(quiz.time_limit_s / 60));
    page.ctx.insert("quiz", &quiz);
    page.ctx.insert(
        "attempts",
        &attempts
            .iter()
            .map(|a| {
                // The state in words ("in progress", "submitted"), never the internal code.
                let state = strings(lang)
                    .get(&format!("attempt_state_{}", a.attempt_state()))
                    .cloned()
                    .unwrap_or_default();
                json!({"id": a.id, "no": a.attempt_no, "state": state, "percent": a.percent.map(|p| format!("{p:.0}"))})
            })
            .collect::<Vec<_>>(),
    );
    page.ctx.insert("cohort_id", &id);
    page.ctx.insert("slug", &slug);
    page.ctx.insert("user", &user);
    page.render(&state, "quizzes/start.html", StatusCode::OK)
}

/// Starts (or resumes) an attempt and opens it.
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
    _: CsrfForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let (id, slug) = path.into_inner();
    let (started, _) = state
        .db
        .run(move |conn| quizzes::start_attempt(conn, &id, &slug, &user, lang))
        .await?;
    Ok(see_other(&format!("/attempts/{}", started.attempt_id)))
}

/// A written answer's marks as a person reads them: whose (a marker or the moderator, never by
/// name), the points, the level chosen for each criterion of the rubric, and the comment.
pub(crate) fn mark_lines(
    q: Option<&quizzes::engine::QuestionView>,
    marks: &[quizzes::marking::MarkSummary],
    t: &std::collections::BTreeMap<String, String>,
) -> Vec<Value> {
    let label = |k: &str| t.get(k).cloned().unwrap_or_default();
    let mut n = 0;
    marks
        .iter()
        .map(|m| {
            let who = if m.stage == quizzes::model::MarkStage::Moderation {
                label("moderator")
            } else {
                n += 1;
                format!("{} {n}", label("marker"))
            };
            let levels: Vec<Value> = q
                .map(|q| q.rubric.as_slice())
                .unwrap_or_default()
                .iter()
                .map(|c| {
                    let chosen = m
                        .levels
                        .get(&c.id)
                        .and_then(|l| c.levels.iter().find(|x| &x.id == l));
                    json!({"criterion": c.title,
                           "level": chosen.map(|l| l.text.clone()).unwrap_or_default(),
                           "points": chosen.map(|l| l.points).unwrap_or(0)})
                })
                .collect();
            json!({"who": who, "points": format!("{:.0}", m.points), "levels": levels,
                   "comment": m.comment})
        })
        .collect()
}

/// A written task's case (Markdown) as sanitised HTML; its images are modules' images, named
/// `<module slug>/<file>` in the quiz file.
pub(crate) fn case_html(markdown: &str) -> String {
    crate::course::render::render_markdown(markdown, "/media/")
        .unwrap_or_else(|_| crate::error::escape_html(markdown))
}

fn chosen_of(answer: Option<&Value>) -> Vec<String> {
    match answer {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::Bool(b)) => vec![b.to_string()],
        _ => vec![],
    }
}

/// The text of a shown option or item of a question, or the id when it is not among them.
fn shown_text(q: Option<&quizzes::engine::QuestionView>, id: &str) -> String {
    q.and_then(|q| q.options.iter().chain(q.items.iter()).find(|o| o.id == id))
        .map(|o| o.text.clone())
        .unwrap_or_else(|| id.to_string())
}

/// An answer (the trainee's or the key) as a person reads it, in the attempt's shown texts.
fn answer_text(
    q: Option<&quizzes::engine::QuestionView>,
    answer: &Value,
    lang: Language,
) -> String {
    match answer {
        Value::String(s) if q.is_some_and(|q| q.kind == "short_text" || q.kind == "numeric") => {
            s.clone()
        }
        Value::String(s) => shown_text(q, s),
        Value::Array(a) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(|s| shown_text(q, s))
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(m) if m.contains_key("tolerance") => {
            format!("{} (± {})", m["answer"], m["tolerance"])
        }
        Value::Object(m) => m
            .iter()
            .map(|(l, r)| {
                format!(
                    "{} → {}",
                    shown_text(q, l),
                    r.as_str().map(|r| shown_text(q, r)).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Bool(b) => strings(lang)
            .get(if *b { "true_label" } else { "false_label" })
            .cloned()
            .unwrap_or_default(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
    }
}

/// Whether a saved answer counts as given (an empty selection or matching does not).
fn answered(answer: Option<&Value>) -> bool {
    match answer {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(_) => true,
    }
}

/// What is left for a trainee in a cohort, in programme order: published modules not read,
/// then published quizzes not passed (renewal-only items left out). Each is `(label, href)`.
fn remaining_work(
    conn: &mut crate::db::DbConnection,
    course: &crate::course::model::Course,
    cohort_id: &crate::cohorts::model::CohortId,
    user: &User,
    lang: Language,
) -> Result<Vec<(String, String, &'static str)>, AppError> {
    let mut out = Vec::new();
    for m in crate::course::cohort_modules(conn, cohort_id, user, lang)? {
        if m.published && !m.completed && !course.is_renewal_only(&m.slug) {
            out.push((
                m.title,
                format!("/cohorts/{cohort_id}/modules/{}", m.slug),
                "module",
            ));
        }
    }
    let mut quizzes_left = Vec::new();
    for q in quizzes::cohort_quizzes(conn, cohort_id, user, lang)? {
        if !q.published || course.is_renewal_only(&q.slug) {
            continue;
        }
        let passed = quizzes::store::attempts_of(conn, cohort_id, &q.slug, &user.id)?
            .iter()
            .any(|a| a.passed == Some(true));
        if !passed {
            // Module quizzes in module order, quizzes of no module (the final exam) last.
            let order = q
                .module
                .as_ref()
                .and_then(|m| course.modules.iter().find(|x| &x.slug == m))
                .map_or(u32::MAX, |m| m.position);
            quizzes_left.push((
                order,
                (
                    q.title,
                    format!("/cohorts/{cohort_id}/quizzes/{}", q.slug),
                    "quiz",
                ),
            ));
        }
    }
    quizzes_left.sort_by_key(|(o, _)| *o);
    out.extend(quizzes_left.into_iter().map(|(_, x)| x));
    Ok(out)
}

/// An attempt: the questions while open, the result (and review when allowed) after.
pub async fn attempt_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<crate::quizzes::model::AttemptId>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let id = path.into_inner();
    let u = user.clone();
    let course = state.course.clone();
    let (view, title, attempts_left, remaining) = state
        .db
        .run(move |conn| {
            let v = quizzes::get_attempt(conn, &id, &u, lang)?;
            let title = quizzes::cohort_quizzes(conn, &v.cohort_id, &u, lang)
                .ok()
                .and_then(|l| l.into_iter().find(|q| q.slug == v.quiz_slug))
                .map(|q| (q.title, q.attempts_allowed))
                .unwrap_or((v.quiz_slug.clone(), 1));
            let used = quizzes::store::attempts_of(conn, &v.cohort_id, &v.quiz_slug, &v.owner)?
                .len() as u32;
            let remaining = if v.owner == u.id && v.state != AttemptState::Open {
                remaining_work(conn, &course, &v.cohort_id, &u, lang)?
            } else {
                Vec::new()
            };
            Ok((v, title.0, title.1 > used, remaining))
        })
        .await?;
    let mut page = Page::new(&req);
    page.ctx.insert("title", &title);
    page.ctx.insert("user", &user);
    page.ctx.insert("cohort_id", &view.cohort_id);
    page.ctx.insert("slug", &view.quiz_slug);
    if view.state == AttemptState::Open && view.owner == user.id {
        let questions: Vec<Value> = view
            .questions
            .iter()
            .map(|q| {
                let a = view.answers.get(&q.id);
                let text = match a {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                let pairs = a.and_then(Value::as_object);
                // Each left item carries the right id chosen for it ("" when none yet).
                let items: Vec<Value> = q
                    .items
                    .iter()
                    .map(|i| {
                        let chosen = pairs
                            .and_then(|p| p.get(&i.id))
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        json!({"id": i.id, "text": i.text, "chosen": chosen})
                    })
                    .collect();
                let mut v = serde_json::to_value(q).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert("chosen".into(), json!(chosen_of(a)));
                    o.insert("items".into(), Value::Array(items));
                    if q.kind == "essay" {
                        // A written task's case is Markdown, shown sanitised.
                        o.insert("case_html".into(), json!(case_html(&q.prompt)));
                        o.insert("words".into(), json!(quizzes::engine::word_count(&text)));
                    }
                    o.insert("text".into(), json!(text));
                }
                v
            })
            .collect();
        page.ctx.insert("attempt_id", &view.id);
        page.ctx.insert("questions", &questions);
        page.ctx
            .insert("deadline", &view.deadline.and_utc().to_rfc3339());
        page.ctx.insert(
            "deadline_local",
            &dates::format_datetime(view.deadline, lang),
        );
        return page.render(&state, "quizzes/take.html", StatusCode::OK);
    }
    let review: Option<Vec<Value>> = view.review.as_ref().map(|items| {
        items
            .iter()
            .map(|r| {
                let q = view.questions.iter().find(|q| q.id == r.question_id);
                let given = view.answers.get(&r.question_id);
                if q.is_some_and(|q| q.kind == "essay") {
                    let t = strings(lang);
                    return json!({
                        "essay": true,
                        "case_html": case_html(&q.map(|q| q.prompt.clone()).unwrap_or_default()),
                        "points": format!("{:.2}", r.points),
                        "max_points": r.max_points,
                        "full": r.points + 1e-9 >= f64::from(r.max_points),
                        "given": given.and_then(Value::as_str).unwrap_or_default(),
                        "marks": mark_lines(q, &r.marks, t),
                        "feedback": r.feedback,
                    });
                }
                json!({
                    "prompt": q.map(|q| q.prompt.clone()).unwrap_or_default(),
                    "points": format!("{:.2}", r.points),
                    "max_points": r.max_points,
                    "full": r.points + 1e-9 >= f64::from(r.max_points),
                    "given": given.filter(|a| answered(Some(a))).map(|a| answer_text(q, a, lang)),
                    "answer": answer_text(q, &r.correct_answer, lang),
                    "feedback": r.feedback,
                })
            })
            .collect()
    });
    let pending = view
        .result
        .as_ref()
        .is_some_and(|r| r.marking == Some(quizzes::model::MarkingState::Pending));
    page.ctx.insert("result", &view.result.as_ref().map(|r| json!({"percent": r.percent.map(|p| format!("{p:.0}")), "passed": r.has_passed(), "pending": pending, "score": format!("{:.2}", r.score), "max_score": r.max_score})));
    page.ctx.insert("review", &review);
    let own = view.owner == user.id;
    let passed = view.result.as_ref().is_some_and(|r| r.has_passed());
    let t = strings(lang);
    let label = |k: &str| t.get(k).cloned().unwrap_or_default();
    let next_step = if !own || view.result.is_none() {
        None
    } else if pending {
        Some(json!({"label": label("marking_pending_next"), "href": null}))
    } else if !passed && attempts_left {
        Some(json!({"label": label("next_retry_later"),
                    "href": format!("/cohorts/{}/quizzes/{}", view.cohort_id, view.quiz_slug)}))
    } else if !passed {
        Some(json!({"label": label("next_no_attempts"), "href": "/appeals"}))
    } else if let Some((title, href, kind)) = remaining.first() {
        let what = label(if *kind == "module" {
            "next_read_module"
        } else {
            "next_take_quiz"
        });
        Some(json!({"label": format!("{what}: {title}"), "href": href}))
    } else {
        Some(json!({"label": label("next_all_done"), "href": null}))
    };
    page.ctx.insert("next_step", &next_step);
    page.ctx.insert(
        "remaining",
        &remaining
            .iter()
            .map(|(l, h, _)| json!({"label": l, "href": h}))
            .collect::<Vec<_>>(),
    );
    page.ctx
        .insert("can_retry", &(own && attempts_left && !passed && !pending));
    page.render(&state, "quizzes/result.html", StatusCode::OK)
}

/// Submits from the page: saves whatever the form carries (for browsers without script).
/// The page's submit button asks for the summary first (`review=1`): it names the questions
/// still unanswered and submits only when the trainee confirms; the countdown's automatic
/// submit at the deadline goes straight through. A late submit still shows the result.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<crate::quizzes::model::AttemptId>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let summary_first = field(&fields, "review") == "1";
    let id = path.into_inner();
    let aid = id.clone();
    let u = user.clone();
    let summary = state
        .db
        .run(move |conn| {
            let view = quizzes::get_attempt(conn, &aid, &u, lang)?;
            if view.state == AttemptState::Open {
                for q in &view.questions {
                    let key = format!("q:{}", q.id);
                    let values: Vec<&String> = fields
                        .iter()
                        .filter(|(k, _)| *k == key)
                        .map(|(_, v)| v)
                        .collect();
                    let answer = match q.kind {
                        "single" | "short_text" | "numeric" => {
                            values.first().filter(|v| !v.is_empty()).map(|v| json!(v))
                        }
                        // A written answer is kept as written (an emptied box is saved empty).
                        "essay" => values.first().map(|v| json!(v)),
                        "multiple" => (!values.is_empty()).then(|| json!(values)),
                        "true_false" => values.first().map(|v| json!(v.as_str() == "true")),
                        "matching" => {
                            let prefix = format!("q:{}:", q.id);
                            let m: serde_json::Map<String, Value> = fields
                                .iter()
                                .filter_map(|(k, v)| {
                                    k.strip_prefix(&prefix)
                                        .filter(|_| !v.is_empty())
                                        .map(|l| (l.to_string(), json!(v)))
                                })
                                .collect();
                            (!m.is_empty()).then_some(Value::Object(m))
                        }
                        _ => None,
                    };
                    if let Some(a) = answer {
                        // A refused answer (wrong shape, or time is up) does not stop the submit.
                        let _ = quizzes::save_answer(conn, &aid, &(&q.id).into(), &u, &a);
                    }
                }
                if summary_first && view.owner == u.id && view.deadline > crate::util::now() {
                    let view = quizzes::get_attempt(conn, &aid, &u, lang)?;
                    let title = quizzes::cohort_quizzes(conn, &view.cohort_id, &u, lang)?
                        .into_iter()
                        .find(|q| q.slug == view.quiz_slug)
                        .map_or_else(|| view.quiz_slug.clone(), |q| q.title);
                    return Ok(Some((view, title)));
                }
            }
            match quizzes::submit(conn, &aid, &u) {
                Ok(_) | Err(AppError::Conflict { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
    let Some((view, title)) = summary else {
        return Ok(see_other(&format!("/attempts/{id}")));
    };
    let questions: Vec<Value> = view
        .questions
        .iter()
        .map(|q| {
            let mut prompt: String = q.prompt.chars().take(90).collect();
            if prompt.len() < q.prompt.len() {
                prompt.push('…');
            }
            // A description has nothing to answer: listed, never counted as unanswered.
            let info = q.kind == "description";
            json!({"prompt": prompt, "info": info,
                   "answered": info || answered(view.answers.get(&q.id))})
        })
        .collect();
    let unanswered = questions.iter().filter(|q| q["answered"] == false).count();
    let mut page = Page::new(&req);
    page.ctx.insert("title", &title);
    page.ctx.insert("user", &user);
    page.ctx.insert("attempt_id", &view.id);
    page.ctx.insert("questions", &questions);
    page.ctx.insert("unanswered", &unanswered);
    page.ctx.insert(
        "deadline_local",
        &dates::format_datetime(view.deadline, lang),
    );
    page.render(&state, "quizzes/summary.html", StatusCode::OK)
}

/// The quiz page's script (autosave with retry, countdown).
pub async fn quiz_js() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "public, max-age=3600"))
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("../../../static/quiz.js"))
}

/// Quiz statistics for staff: distribution chart, reliability, facility and discrimination.
pub async fn analytics_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    PageUser(user): PageUser,
    path: web::Path<(crate::cohorts::model::CohortId, String)>,
) -> Result<HttpResponse, PageError> {
    let lang = lang_of(&req);
    let (id, slug) = path.into_inner();
    let (u, cid, s) = (user.clone(), id.clone(), slug.clone());
    let (stats, title, names) = state
        .db
        .run(move |conn| {
            cohorts::authorize(conn, &cid, &u, Access::Staff)?;
            let title = quizzes::cohort_quizzes(conn, &cid, &u, lang)?
                .into_iter()
                .find(|q| q.slug == s)
                .map(|q| q.title)
                .ok_or(AppError::NotFound)?;
            let stats = quizzes::cohort_analytics(conn, &cid, &s)?.0;
            // Markers are named here (staff see who marks alike); trainees never are.
            let mut names: HashMap<String, String> = HashMap::new();
            for a in &stats.marker_agreement {
                for m in [&a.marker_a, &a.marker_b] {
                    if !names.contains_key(m.as_str()) {
                        let name = crate::accounts::get_user(conn, m).map(|u| u.name)?;
                        names.insert(m.to_string(), name);
                    }
                }
            }
            Ok((stats, title, names))
        })
        .await?;
    let t = strings(lang);
    let flag = |f: &str| {
        t.get(&format!("flag_{f}"))
            .cloned()
            .unwrap_or_else(|| f.to_string())
    };
    // Each question with the start of its text, in the page's language (from the course).
    let texts: HashMap<String, String> = state
        .course
        .quizzes
        .iter()
        .find(|q| q.slug == slug)
        .map(|quiz| {
            quiz.questions
                .iter()
                .map(|q| {
                    let prompt = crate::http::ui::pick(lang, &q.prompt_th, &q.prompt_en);
                    // The first line of text, without Markdown's marks.
                    let plain: String = prompt
                        .lines()
                        .map(|l| l.trim_start_matches(['#', '>', '-', ' ']).trim())
                        .find(|l| !l.is_empty() && !l.starts_with("!["))
                        .unwrap_or_default()
                        .replace(['*', '_', '`'], "");
                    let short: String = plain.chars().take(80).collect();
                    let more = plain.chars().count() > 80;
                    (q.id.clone(), if more { format!("{short}…") } else { short })
                })
                .collect()
        })
        .unwrap_or_default();
    let text_of = |id: &str| texts.get(id).cloned().unwrap_or_default();
    let rows: Vec<Value> = stats
        .questions
        .iter()
        .map(|q| json!({"id": q.question_id, "text": text_of(&q.question_id), "responses": q.responses, "facility": format!("{:.2}", q.facility),
                        "discrimination": q.discrimination.map(|d| format!("{d:.2}")).unwrap_or_else(|| "–".into()),
                        "flags": q.flags.iter().map(|f| flag(f)).collect::<Vec<_>>()}))
        .collect();
    let all_markers = t.get("all_markers").cloned().unwrap_or_default();
    let mut agreement: Vec<Value> = stats
        .question_agreement
        .iter()
        .map(|a| json!({"question": a.question_id, "text": text_of(&a.question_id), "markers": all_markers, "pooled": true,
                        "answers": a.answers, "exact": format!("{:.0}%", a.exact * 100.0),
                        "kappa": a.weighted_kappa.map(|k| format!("{k:.2}")).unwrap_or_else(|| "–".into()),
                        "flags": a.flags.iter().map(|f| flag(f)).collect::<Vec<_>>()}))
        .collect();
    agreement.extend(stats
        .marker_agreement
        .iter()
        .map(|a| json!({"question": a.question_id, "text": text_of(&a.question_id),
                        "markers": format!("{} · {}", names.get(a.marker_a.as_str()).cloned().unwrap_or_default(),
                                           names.get(a.marker_b.as_str()).cloned().unwrap_or_default()),
                        "answers": a.answers, "exact": format!("{:.0}%", a.exact * 100.0),
                        "kappa": a.weighted_kappa.map(|k| format!("{k:.2}")).unwrap_or_else(|| "–".into()),
                        "flags": a.flags.iter().map(|f| flag(f)).collect::<Vec<_>>()})));
    let mut page = Page::new(&req);
    page.ctx.insert(
        "chart",
        &quizzes::analytics::distribution_svg(
            &stats,
            t.get("score_distribution")
                .map(String::as_str)
                .unwrap_or(""),
        ),
    );
    page.ctx
        .insert("mean", &format!("{:.1}", stats.mean_percent));
    page.ctx.insert(
        "alpha",
        &stats
            .cronbach_alpha
            .map(|a| format!("{a:.2}"))
            .unwrap_or_else(|| "–".into()),
    );
    page.ctx.insert("stats", &stats);
    page.ctx.insert("rows", &rows);
    page.ctx.insert("agreement", &agreement);
    page.ctx.insert("title", &title);
    page.ctx.insert("cohort_id", &id);
    page.ctx.insert("slug", &slug);
    page.ctx.insert("user", &user);
    page.render(&state, "quizzes/analytics.html", StatusCode::OK)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cases_image_is_served_from_its_modules_folder() {
        let html = super::case_html("![ใบส่งของ](05-evidence-findings-report/delivery-note.png)");
        assert!(
            html.contains("src=\"/media/05-evidence-findings-report/delivery-note.png\""),
            "{html}"
        );
    }
}
