use super::*;

const EVERY_KIND: &str = r##"// Every kind of question.
$CATEGORY: $course$/top/Assessor Academy

::q-single::Which city is the capital of Thailand? {
	=Bangkok
	~Chiang Mai#Not the capital.
	~Phuket
	####Bangkok has been the capital since 1782.
}

::q-multiple::[markdown]Which are ISO 19011 principles? {
	~%50%Integrity
	~%50%Confidentiality
	~%-100%Speed
}

::q-true-false::TIS-S covers services.{T}

::q-false::TIS-S is only for food.{FALSE####It covers products and services.}

::q-short::Name the mark.{=TIS-S =TIS S}

// numeric with a tolerance
::q-numeric::How many provinces outside Bangkok?{#76:0.5}

::q-range::Pick a number from 1 to 3.{#1..3}

::q-matching::Match the countries with their capitals. {
	=Canada -> Ottawa
	=Italy -> Rome
	=Japan -> Tokyo
}

2 + 2 \= ? {=4 ~5 ~22}
"##;

fn same(th: &str) -> (String, String) {
    (th.to_string(), th.to_string())
}

fn choice(id: &str, th: &str, en: &str, correct: bool) -> Choice {
    Choice {
        credit: None,
        id: id.into(),
        text_th: th.into(),
        text_en: en.into(),
        correct,
    }
}

fn weighted(id: &str, text: &str, correct: bool, credit: f64) -> Choice {
    Choice {
        credit: Some(credit),
        ..choice(id, text, text, correct)
    }
}

fn pair(left_th: &str, left_en: &str, right_th: &str, right_en: &str) -> Pair {
    Pair {
        left_th: left_th.into(),
        left_en: left_en.into(),
        right_th: right_th.into(),
        right_en: right_en.into(),
    }
}

fn question(id: &str, th: &str, en: &str, body: QuestionBody) -> Question {
    Question {
        id: id.into(),
        pool: Some("pool-a".into()),
        points: 3,
        prompt_th: th.into(),
        prompt_en: en.into(),
        feedback_th: format!("เฉลย: {th}"),
        feedback_en: format!("Because: {en}"),
        body,
    }
}

fn plain(id: &str, prompt: &str, feedback: &str, body: QuestionBody) -> Question {
    Question {
        id: id.into(),
        pool: None,
        points: 1,
        prompt_th: prompt.into(),
        prompt_en: prompt.into(),
        feedback_th: feedback.into(),
        feedback_en: feedback.into(),
        body,
    }
}

fn expected_every_kind() -> Vec<Question> {
    vec![
        plain(
            "q-single",
            "Which city is the capital of Thailand?",
            "Bangkok has been the capital since 1782.",
            QuestionBody::Single {
                options: vec![
                    choice("a", "Bangkok", "Bangkok", true),
                    choice("b", "Chiang Mai", "Chiang Mai", false),
                    choice("c", "Phuket", "Phuket", false),
                ],
            },
        ),
        plain(
            "q-multiple",
            "Which are ISO 19011 principles?",
            "",
            // Moodle's weights: a wrong choice (−100 %) cancels everything, which is not the
            // equal split of our own rule, so the weights are kept.
            QuestionBody::Multiple {
                options: vec![
                    weighted("a", "Integrity", true, 50.0),
                    weighted("b", "Confidentiality", true, 50.0),
                    weighted("c", "Speed", false, -100.0),
                ],
            },
        ),
        plain(
            "q-true-false",
            "TIS-S covers services.",
            "",
            QuestionBody::TrueFalse { answer: true },
        ),
        plain(
            "q-false",
            "TIS-S is only for food.",
            "It covers products and services.",
            QuestionBody::TrueFalse { answer: false },
        ),
        plain(
            "q-short",
            "Name the mark.",
            "",
            QuestionBody::ShortText {
                accepted: vec!["TIS-S".into(), "TIS S".into()],
                partial: vec![],
            },
        ),
        plain(
            "q-numeric",
            "How many provinces outside Bangkok?",
            "",
            QuestionBody::Numeric {
                answer: 76.0,
                tolerance: 0.5,
                alternatives: vec![],
            },
        ),
        plain(
            "q-range",
            "Pick a number from 1 to 3.",
            "",
            QuestionBody::Numeric {
                answer: 2.0,
                tolerance: 1.0,
                alternatives: vec![],
            },
        ),
        plain(
            "q-matching",
            "Match the countries with their capitals.",
            "",
            QuestionBody::Matching {
                pairs: vec![
                    pair("Canada", "Canada", "Ottawa", "Ottawa"),
                    pair("Italy", "Italy", "Rome", "Rome"),
                    pair("Japan", "Japan", "Tokyo", "Tokyo"),
                ],
                distractors: vec![],
            },
        ),
        plain(
            "gift-9",
            "2 + 2 = ?",
            "",
            QuestionBody::Single {
                options: vec![
                    choice("a", "4", "4", true),
                    choice("b", "5", "5", false),
                    choice("c", "22", "22", false),
                ],
            },
        ),
    ]
}

#[test]
fn imports_every_kind() {
    assert_eq!(import(EVERY_KIND), Ok(expected_every_kind()));
}

#[test]
fn imports_crlf_and_bom() {
    let crlf = format!("\u{feff}{}", EVERY_KIND.replace('\n', "\r\n"));
    assert_eq!(import(&crlf), Ok(expected_every_kind()));
}

fn round_trip_questions() -> Vec<Question> {
    vec![
        question(
            "rt-single",
            "ข้อใดถูกต้อง: {ก} ~ ข = ค # ง",
            "Which is right: {a} ~ b = c # d",
            QuestionBody::Single {
                options: vec![
                    choice("a", "ก = 1", "a = 1", true),
                    choice("b", "%5% ส่วนลด", "%5% off", false),
                    choice("c", "[html]<b>ข</b>", "[html]<b>b</b>", false),
                    choice("d", "เหมือนกัน", "เหมือนกัน", false),
                ],
            },
        ),
        question(
            "rt-multiple",
            "เลือกทุกข้อที่ถูก\nบรรทัดที่สอง",
            "Choose all that apply\nsecond line",
            QuestionBody::Multiple {
                options: vec![
                    // `||` without spaces around it is text, not the language separator.
                    choice("a", "x||y", "x||y", true),
                    choice("b", "C:\\temp\\new", "C:\\temp\\new", true),
                    choice("c", "#### ไม่ใช่เฉลย", "#### not general feedback", true),
                    choice("d", "ผิด", "wrong", false),
                ],
            },
        ),
        Question {
            feedback_th: String::new(),
            feedback_en: String::new(),
            ..question(
                "rt-true-false",
                "มอก. เอส ครอบคลุมบริการ: จริงหรือไม่",
                "TIS-S covers services: true or false?",
                QuestionBody::TrueFalse { answer: false },
            )
        },
        question(
            "rt-short",
            "ชื่อย่อ?",
            "Abbreviation?",
            QuestionBody::ShortText {
                accepted: vec![
                    "มอก. เอส".into(),
                    "TIS-S".into(),
                    "%100% sure".into(),
                    "a=b~c#d{e}f:g".into(),
                    "T".into(),
                ],
                partial: vec![],
            },
        ),
        question(
            "rt-numeric",
            "สำนักงานกี่แห่ง",
            "How many offices",
            QuestionBody::Numeric {
                answer: 76.0,
                tolerance: 0.5,
                alternatives: vec![],
            },
        ),
        question(
            "rt-numeric-small",
            "ค่าติดลบ",
            "A negative value",
            QuestionBody::Numeric {
                answer: -3.25,
                tolerance: 0.0000001,
                alternatives: vec![],
            },
        ),
        question(
            "rt-matching",
            "จับคู่",
            "Match",
            QuestionBody::Matching {
                pairs: vec![
                    // `->` can stand on the right (the first one separates the sides).
                    pair("ก", "a", "ค->ง: {x}", "c->d: {x}"),
                    pair("ซ้าย", "left", "ขวา", "right"),
                    pair("หนึ่ง-", "one-", ">สอง", ">two"),
                ],
                distractors: vec![],
            },
        ),
        Question {
            prompt_th: String::new(),
            feedback_th: "ไทยเท่านั้น".into(),
            feedback_en: String::new(),
            ..question(
                "rt-english-only",
                "",
                "English only",
                QuestionBody::TrueFalse { answer: true },
            )
        },
    ]
}

#[test]
fn export_then_import_round_trips() {
    let questions = round_trip_questions();
    let text = export(&questions);
    assert!(text.contains("~%33.33333%"), "{text}");
    let expected: Vec<Question> = questions
        .into_iter()
        .map(|q| Question {
            points: 1,
            pool: None,
            ..q
        })
        .collect();
    assert_eq!(import(&text), Ok(expected), "{text}");
}

#[test]
fn import_then_export_then_import_is_stable() {
    let first = import(EVERY_KIND).unwrap();
    let again = import(&export(&first)).unwrap();
    assert_eq!(again, first);
}

#[test]
fn unclosed_brace_reports_its_line() {
    let text = "::q1::One {T}\n\n::q2::Two {\n=a\n~b\n\n::q3::Three {F}\n";
    let errors = import(text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 3);
    assert!(errors[0].message.contains("never closed"), "{errors:?}");
}

#[test]
fn unexpected_closing_brace_reports_its_line() {
    let text = "::q1::One {T}\n\n::q2::Two\n=a}\n";
    let errors = import(text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 4);
    assert!(errors[0].message.contains("unexpected"), "{errors:?}");
}

#[test]
fn missing_blank_line_is_reported() {
    let text = "::q1::One {T}\r\n::q2::Two {F}\r\n";
    let errors = import(text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 2);
}

#[test]
fn imports_thai_question() {
    let text = "::q01-office-count::สมอ. มีสำนักงานอุตสาหกรรมจังหวัดกี่แห่ง || How many Provincial Industry Offices are there?{#76####มี 76 แห่ง || There are 76.}\n\
                \n\
                ::q01-what::ข้อใดคือ มอก. เอส\\: {\n\
                =เครื่องหมายรับรองคุณภาพสำหรับ SMEs || A quality mark for SMEs\n\
                ~มาตรฐานบังคับ || A mandatory standard\n\
                ~อาหารเท่านั้น\n\
                }\n";
    let questions = import(text).unwrap();
    assert_eq!(questions.len(), 2);

    let q = &questions[0];
    assert_eq!(q.id, "q01-office-count");
    assert_eq!(q.prompt_th, "สมอ. มีสำนักงานอุตสาหกรรมจังหวัดกี่แห่ง");
    assert_eq!(
        q.prompt_en,
        "How many Provincial Industry Offices are there?"
    );
    assert_eq!(q.feedback_th, "มี 76 แห่ง");
    assert_eq!(q.feedback_en, "There are 76.");
    assert_eq!(
        q.body,
        QuestionBody::Numeric {
            answer: 76.0,
            tolerance: 0.0,
            alternatives: vec![]
        }
    );

    let q = &questions[1];
    assert_eq!(q.id, "q01-what");
    assert_eq!(
        (q.prompt_th.clone(), q.prompt_en.clone()),
        same("ข้อใดคือ มอก. เอส:")
    );
    assert_eq!(
        q.body,
        QuestionBody::Single {
            options: vec![
                choice(
                    "a",
                    "เครื่องหมายรับรองคุณภาพสำหรับ SMEs",
                    "A quality mark for SMEs",
                    true
                ),
                choice("b", "มาตรฐานบังคับ", "A mandatory standard", false),
                choice("c", "อาหารเท่านั้น", "อาหารเท่านั้น", false),
            ]
        }
    );
}

#[test]
fn collects_every_error_with_lines() {
    let text = "::e-none::No answer block here\n\
                \n\
                ::e-empty::Empty {}\n\
                \n\
                ::e-no-right::Which? {~a ~b ~c}\n\
                \n\
                ::e-num::Number? {#abc}\n\
                \n\
                ::e-match::Match {=a -> b}\n\
                \n\
                ::e-pair::Match {=a -> b =c}\n\
                \n\
                ::dup::One {T}\n\
                \n\
                ::dup::Two {F}\n\
                \n\
                Odd \\q escape {=ok}\n";
    let errors = import(text).unwrap_err();
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    // Line 1 has no answer block: a description, which is no error (Moodle's reading); line 3
    // is an essay, a written task.
    assert_eq!(lines, vec![5, 7, 9, 11, 15], "{errors:?}");
    assert!(errors[1].message.contains("unknown numeric syntax"));
    assert!(errors[4].message.contains("duplicate question id `dup`"));
}

#[test]
fn unknown_escape_is_kept_and_title_falls_back() {
    let questions = import("::Not An Id::Odd \\q escape {=ok}").unwrap();
    assert_eq!(questions[0].id, "gift-1");
    assert_eq!(questions[0].prompt_en, "Odd \\q escape");
    assert_eq!(
        questions[0].body,
        QuestionBody::ShortText {
            accepted: vec!["ok".into()],
            partial: vec![]
        }
    );
}

#[test]
fn single_right_answer_without_wrong_options_is_short_text() {
    let questions = import("Who is buried in Grant's tomb?{=no one}").unwrap();
    assert_eq!(
        questions[0].body,
        QuestionBody::ShortText {
            accepted: vec!["no one".into()],
            partial: vec![]
        }
    );
}

#[test]
fn missing_word_form_keeps_the_sentence() {
    let questions = import("Grant is {~buried =entombed ~living} in Grant's tomb.").unwrap();
    assert_eq!(questions[0].prompt_en, "Grant is _____ in Grant's tomb.");
    assert_eq!(questions[0].body.kind(), "single");
}

#[test]
fn several_right_markers_make_a_single_answer_question_with_two_full_marks_as_in_moodle() {
    let questions = import("Pick {=a =b ~c}").unwrap();
    assert_eq!(
        questions[0].body,
        QuestionBody::Single {
            options: vec![
                weighted("a", "a", true, 100.0),
                weighted("b", "b", true, 100.0),
                weighted("c", "c", false, 0.0),
            ]
        }
    );
}

#[test]
fn never_panics() {
    let inputs = [
        "",
        "{",
        "}",
        "::",
        "::a",
        "::ก",
        "{#",
        "{#}",
        "{#..}",
        "{#1..}",
        "{=}",
        "{~}",
        "{~%",
        "{~%%}",
        "{~%50",
        "\\",
        "ก\\",
        "{=ก->}",
        "{=->}",
        "\u{feff}",
        "\r\n\r\n",
        "\r",
        "{####}",
        "{#####}",
        "::ก::ข{ค}",
        "[html",
        "{[html]}",
        "[html]{T}",
        "{=a->b =c->d}",
        "x{T}y",
        "|| {T}",
        "{T}||",
        "||",
        "\\n{=a}",
        "{#1e400}",
        "{#nan}",
        "{#inf:1}",
        "{#-1:-1}",
        "{#3..1}",
        "{#=%50%1 =%100%2}",
        "{#=1 =2}",
        "{=%50%a}",
        "{~%100%a}",
        "ก{~ข =ค}ง",
        "{{}}",
        "}{",
        "::x::\n//c\n{T}",
        "$CATEGORY: x\n{T}",
    ];
    for input in inputs {
        if let Ok(questions) = import(input) {
            let _ = import(&export(&questions));
        }
    }
    let odd = vec![Question {
        id: "ข้อ".into(),
        pool: None,
        points: 0,
        prompt_th: " ||| ".into(),
        prompt_en: "\r\n".into(),
        feedback_th: "####".into(),
        feedback_en: String::new(),
        body: QuestionBody::Numeric {
            answer: f64::NAN,
            tolerance: f64::INFINITY,
            alternatives: vec![],
        },
    }];
    let _ = import(&export(&odd));
}

// ---------------------------------------------------------------------------------------------
// A test bank written from Moodle's documented GIFT syntax (docs.moodle.org, "GIFT format"):
// one case per rule, each read the way Moodle reads it, graded, exported and read back.
// ---------------------------------------------------------------------------------------------

use crate::quizzes::engine;

/// Points (of 1) an answer earns, the answer naming options by their authored ids (`a`, `b`, …)
/// and matching items by pair index (`l0` → `r1`).
fn score(q: &Question, answer: serde_json::Value) -> f64 {
    let quiz = crate::quizzes::model::Quiz {
        slug: "bank".into(),
        title_th: "bank".into(),
        title_en: "bank".into(),
        module: None,
        time_limit_s: 60,
        attempts_allowed: 1,
        pass_percent: 50,
        grading: crate::quizzes::model::Grading::Highest,
        shuffle_questions: false,
        shuffle_options: false,
        review: crate::quizzes::model::ReviewPolicy::AfterSubmit,
        blueprint: vec![],
        requires: Default::default(),
        marking: Default::default(),
        questions: vec![q.clone()],
    };
    let laid = engine::draw(&quiz).unwrap().questions.remove(0);
    let shown = |authored: &str| {
        laid.options
            .iter()
            .find(|(_, o)| o == authored)
            .map(|(s, _)| s.clone())
            .unwrap()
    };
    let answer = match answer {
        serde_json::Value::String(s) if laid.options.iter().any(|(_, o)| *o == s) => {
            serde_json::Value::String(shown(&s))
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|i| serde_json::Value::String(shown(i.as_str().unwrap())))
                .collect(),
        ),
        serde_json::Value::Object(map) => {
            let left = |i: usize| laid.lefts.iter().find(|(_, k)| *k == i).unwrap().0.clone();
            let right = |i: usize| laid.rights.iter().find(|(_, k)| *k == i).unwrap().0.clone();
            serde_json::Value::Object(
                map.iter()
                    .map(|(l, r)| {
                        let l: usize = l.trim_start_matches('l').parse().unwrap();
                        let r: usize = r.as_str().unwrap().trim_start_matches('r').parse().unwrap();
                        (left(l), serde_json::Value::String(right(r)))
                    })
                    .collect(),
            )
        }
        other => other,
    };
    engine::grade(q, &laid, Some(&answer))
}

fn one(text: &str) -> Question {
    let mut qs = import(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    assert_eq!(qs.len(), 1, "{text}");
    qs.remove(0)
}

/// The weights written on the answer lines of an exported file (`\t~%50%…`, `\t=%50%…`).
fn weights_in(text: &str) -> Vec<f64> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix('\t')?;
            let rest = rest.strip_prefix('~').or_else(|| rest.strip_prefix('='))?;
            let rest = rest.strip_prefix('%')?;
            let (w, _) = rest.split_once('%')?;
            Some(
                w.parse()
                    .unwrap_or_else(|_| panic!("weight `{w}` in\n{text}")),
            )
        })
        .collect()
}

/// Import, export, import again: the same questions, kinds and credit (points aside).
fn round_trips(q: &Question) {
    let (text, warnings) = export_with_report(std::slice::from_ref(q));
    assert!(warnings.is_empty(), "{warnings:?}\n{text}");
    let back = import(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    assert_eq!(back, vec![q.clone()], "{text}");
    // Every weight written is one Moodle accepts.
    for w in text.split('%').skip(1).step_by(2) {
        let v: f64 = w
            .parse()
            .unwrap_or_else(|_| panic!("weight `{w}` in\n{text}"));
        assert!(
            v == 0.0 || MOODLE_GRADES.iter().any(|g| (g - v.abs()).abs() < 1e-6),
            "{v} is not a Moodle grade:\n{text}"
        );
    }
    assert!(!text.contains("\\|") && !text.contains("\\>"), "{text}");
}

#[test]
fn bank_single_answer_with_one_right_option() {
    let q = one("Capital? {=Bangkok ~Chiang Mai ~Phuket}");
    assert_eq!(q.body.kind(), "single");
    assert_eq!(score(&q, "a".into()), 1.0);
    assert_eq!(score(&q, "b".into()), 0.0);
    round_trips(&q);
}

#[test]
fn bank_single_answer_keeps_partial_credit_on_other_options() {
    // Was imported as a multiple-answer question in which both were fully right.
    let q =
        one("Best first step? {=Read the standard named in the application ~%50%Ask TISI ~Guess}");
    assert_eq!(q.body.kind(), "single");
    assert_eq!(score(&q, "a".into()), 1.0);
    assert_eq!(score(&q, "b".into()), 0.5);
    assert_eq!(score(&q, "c".into()), 0.0);
    let (_, report) = import_with(
        "Best first step? {=Read ~%50%Ask ~Guess}",
        ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(report.imported[0].kind, "single");
    assert!(report.imported[0].notes[0].contains("b 50 %"), "{report:?}");
    round_trips(&q);
}

#[test]
fn bank_single_answer_with_a_negative_option_never_scores_below_zero() {
    let q = one("Pick {=right ~%-50%harmful ~wrong}");
    assert_eq!(score(&q, "b".into()), 0.0);
    round_trips(&q);
}

#[test]
fn bank_multiple_answers_add_their_weights_between_0_and_100() {
    let q = one("Which? {~%50%Integrity ~%50%Confidentiality ~%-100%Speed}");
    assert_eq!(q.body.kind(), "multiple");
    assert_eq!(score(&q, serde_json::json!(["a", "b"])), 1.0);
    assert_eq!(score(&q, serde_json::json!(["a"])), 0.5);
    assert_eq!(score(&q, serde_json::json!(["a", "b", "c"])), 0.0);
    round_trips(&q);
}

#[test]
fn bank_multiple_answers_in_equal_shares_read_as_our_own_rule() {
    let q = one("Which? {~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-33.33333%d}");
    let QuestionBody::Multiple { options } = &q.body else {
        panic!()
    };
    assert!(options.iter().all(|o| o.credit.is_none()), "{options:?}");
    assert!((score(&q, serde_json::json!(["a", "b", "d"])) - 1.0 / 3.0).abs() < 1e-9);
    round_trips(&q);
}

#[test]
fn bank_true_false_in_all_four_spellings() {
    for (text, answer) in [
        ("{T}", true),
        ("{TRUE}", true),
        ("{F}", false),
        ("{FALSE}", false),
    ] {
        let q = one(&format!("TIS-S covers services.{text}"));
        assert_eq!(q.body, QuestionBody::TrueFalse { answer });
        round_trips(&q);
    }
}

#[test]
fn bank_short_answer_with_partial_credit() {
    // Was refused: "partial credit is not supported for short answers".
    let q = one("Name the standard type. {=มอก. เอส =TIS-S =%50%TIS}");
    assert_eq!(q.body.kind(), "short_text");
    assert_eq!(score(&q, "tis-s".into()), 1.0);
    assert_eq!(score(&q, "TIS".into()), 0.5);
    assert_eq!(score(&q, "TISI".into()), 0.0);
    round_trips(&q);
}

#[test]
fn bank_short_answer_needs_one_answer_worth_100() {
    let e = import("Name it. {=%50%half}").unwrap_err();
    assert!(e[0].message.contains("100 %"), "{e:?}");
}

#[test]
fn bank_numeric_with_tolerance_range_and_partial_alternatives() {
    let q = one("Area? {#12.5:0.01}");
    assert_eq!(score(&q, 12.505.into()), 1.0);
    round_trips(&q);
    let q = one("1 to 3? {#1..3}");
    assert_eq!(score(&q, 1.into()), 1.0);
    assert_eq!(score(&q, 3.5.into()), 0.0);
    round_trips(&q);
    // Was refused: partial credit and alternatives on numeric answers.
    let q = one("Floor area in m²? {#=12.5:0.05 =%50%12:0.5 =%25%10:2}");
    assert_eq!(score(&q, 12.5.into()), 1.0);
    assert_eq!(score(&q, 12.2.into()), 0.5);
    assert_eq!(score(&q, 11.into()), 0.25);
    assert_eq!(score(&q, 20.into()), 0.0);
    round_trips(&q);
    let e = import("Area? {#=%50%12}").unwrap_err();
    assert!(e[0].message.contains("100 %"), "{e:?}");
}

#[test]
fn bank_matching_with_a_distractor() {
    // Was refused: "extra distractors are not supported".
    let q = one("Match. {=Objective -> Why =Scope -> What is covered = -> Who pays}");
    let QuestionBody::Matching { pairs, distractors } = &q.body else {
        panic!("{q:?}")
    };
    assert_eq!((pairs.len(), distractors.len()), (2, 1));
    assert_eq!(score(&q, serde_json::json!({"l0": "r0", "l1": "r1"})), 1.0);
    assert_eq!(score(&q, serde_json::json!({"l0": "r0", "l1": "r2"})), 0.0);
    round_trips(&q);
}

#[test]
fn bank_description_is_text_with_nothing_to_answer() {
    // Was refused: "question has no answer block".
    let qs = import(
        "::intro::Read the case of the coffee shop before the next questions.\n\n::tf::Read?{T}",
    )
    .unwrap();
    let q = &qs[0];
    assert_eq!(q.body, QuestionBody::Description);
    assert_eq!(q.points, 0);
    assert_eq!(score(q, "anything".into()), 0.0);
    let (text, _) = export_with_report(&qs);
    assert_eq!(import(&text).unwrap(), qs);
    // A file of descriptions only has nothing to answer: refused.
    let e = import("Only text here.").unwrap_err();
    assert!(e[0].message.contains("no question to answer"), "{e:?}");
}

#[test]
fn bank_essay_becomes_a_written_task_with_one_overall_criterion() {
    let text = "::e::Write a finding for the case. {####A finding names the requirement.}\n\n\
                ::t::TIS-S covers services.{T}";
    let (questions, report) = import_with(text, ImportOptions::default()).unwrap();
    assert_eq!(questions.len(), 2);
    assert!(report.skipped.is_empty());
    let e = &questions[0];
    assert_eq!(e.points, 1);
    assert_eq!(e.feedback_en, "A finding names the requirement.");
    let QuestionBody::Essay { word_limit, rubric } = &e.body else {
        panic!("not an essay: {:?}", e.body)
    };
    assert_eq!(*word_limit, super::ESSAY_WORD_LIMIT);
    assert_eq!(rubric.len(), 1);
    let points: Vec<u32> = rubric[0].levels.iter().map(|l| l.points).collect();
    assert_eq!(points, [0, 1]);
    // The import says what GIFT could not carry.
    assert!(
        report.imported[0]
            .notes
            .iter()
            .any(|n| n.contains("rubric")),
        "{report:?}"
    );
    // Exported again, it is Moodle's essay `{}` with its feedback, and a warning names what is lost.
    let (gift, warnings) = super::export::export_with_report(&questions);
    assert!(
        gift.contains("{####A finding names the requirement.}"),
        "{gift}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("rubric")),
        "{warnings:?}"
    );
    let (again, _) = import_with(&gift, ImportOptions::default()).unwrap();
    assert_eq!(again[0].body, e.body);
}

#[test]
fn bank_categories_and_comments_are_ignored_as_moodle_does() {
    let text = "// a comment\n$CATEGORY: $course$/top/Assessor\n\n// another\n::a::One {T}\n\n$CATEGORY: $course$/top/Other\n\n::b::Two {F}";
    let qs = import(text).unwrap();
    assert_eq!(
        qs.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
}

#[test]
fn bank_escapes_are_moodles_only() {
    let q = one("Escapes \\~ \\= \\# \\{ \\} \\: and a \\n line break {=a\\=b ~c}");
    assert_eq!(q.prompt_en, "Escapes ~ = # { } : and a \n line break");
    round_trips(&q);
    // Text that once needed our own escapes now goes as Moodle writes it.
    let q = question(
        "arrows",
        "ก -> ข | ค",
        "a -> b | c",
        QuestionBody::TrueFalse { answer: true },
    );
    let (text, warnings) = export_with_report(std::slice::from_ref(&q));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(text.contains("a -> b | c"), "{text}");
    assert_eq!(
        import(&text).unwrap(),
        vec![Question {
            points: 1,
            pool: None,
            ..q
        }]
    );
}

#[test]
fn export_of_many_right_options_uses_moodles_grades_and_says_where_it_cannot_be_equal() {
    for n in 1..=20usize {
        let options: Vec<Choice> = (0..n + 1)
            .map(|i| choice(&option_id(i), &format!("o{i}"), &format!("o{i}"), i < n))
            .collect();
        let q = question("many", "ก", "many", QuestionBody::Multiple { options });
        let (text, warnings) = export_with_report(std::slice::from_ref(&q));
        // Every weight written is on Moodle's list (Moodle refuses the whole file otherwise).
        let weights = weights_in(&text);
        assert!(
            weights
                .iter()
                .all(|v| MOODLE_GRADES.iter().any(|g| (g - v.abs()).abs() < 1e-6)),
            "{n}: {weights:?}"
        );
        let positive: f64 = weights.iter().filter(|w| **w > 0.0).sum();
        assert!((positive - 100.0).abs() < 0.001, "{n}: {weights:?}");
        let equal = is_moodle_grade(100.0 / n as f64);
        assert_eq!(warnings.is_empty(), equal, "{n}: {warnings:?}");
        let back = import(&text).unwrap();
        if equal {
            assert_eq!(
                back,
                vec![Question {
                    points: 1,
                    pool: None,
                    ..q.clone()
                }],
                "{n}"
            );
        } else {
            // Moodle's reading of what was written: the right options still earn 100 % together.
            let all: Vec<String> = (0..n).map(option_id).collect();
            assert!(
                (score(&back[0], serde_json::json!(all)) - 1.0).abs() < 1e-9,
                "{n}"
            );
            assert!(
                warnings[0].contains("cannot share 100 % equally"),
                "{warnings:?}"
            );
        }
    }
}

#[test]
fn export_writes_partial_credit_off_moodles_list_as_the_nearest_grade_and_says_so() {
    let q = question(
        "odd",
        "ก",
        "odd",
        QuestionBody::Single {
            options: vec![
                weighted("a", "a", true, 100.0),
                weighted("b", "b", false, 45.0),
            ],
        },
    );
    let (text, warnings) = export_with_report(&[q]);
    assert!(text.contains("~%40%b") || text.contains("~%50%b"), "{text}");
    assert!(warnings[0].contains("45 %"), "{warnings:?}");
    assert!(text.starts_with("// Assessor Academy"), "{text}");
    assert!(text.contains("// warning: odd:"), "{text}");
}

#[test]
fn the_whole_bank_round_trips_as_one_file() {
    let bank = "::s::Capital? {=Bangkok ~Chiang Mai ~Phuket}\n\n\
                ::sp::Best first step? {=Read ~%50%Ask ~Guess}\n\n\
                ::m::Which? {~%50%Integrity ~%50%Confidentiality ~%-100%Speed}\n\n\
                ::tf::TIS-S covers services.{T}\n\n\
                ::st::Name it. {=มอก. เอส =%50%TIS}\n\n\
                ::n::Area? {#=12.5:0.05 =%50%12:0.5}\n\n\
                ::r::1 to 3? {#1..3}\n\n\
                ::mt::Match. {=Objective -> Why =Scope -> What = -> Who pays}\n\n\
                ::d::Read the case first.\n\n\
                ::mw::Grant is {~buried =entombed ~living} in Grant's tomb.\n";
    let (first, report) = import_with(bank, ImportOptions::default()).unwrap();
    assert_eq!(
        report
            .imported
            .iter()
            .map(|r| r.kind.as_str())
            .collect::<Vec<_>>(),
        [
            "single",
            "single",
            "multiple",
            "true_false",
            "short_text",
            "numeric",
            "numeric",
            "matching",
            "description",
            "single"
        ]
    );
    let (text, warnings) = export_with_report(&first);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(import(&text).unwrap(), first, "{text}");
}
