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
        id: id.into(),
        text_th: th.into(),
        text_en: en.into(),
        correct,
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
            QuestionBody::Multiple {
                options: vec![
                    choice("a", "Integrity", "Integrity", true),
                    choice("b", "Confidentiality", "Confidentiality", true),
                    choice("c", "Speed", "Speed", false),
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
            },
        ),
        plain(
            "q-numeric",
            "How many provinces outside Bangkok?",
            "",
            QuestionBody::Numeric {
                answer: 76.0,
                tolerance: 0.5,
            },
        ),
        plain(
            "q-range",
            "Pick a number from 1 to 3.",
            "",
            QuestionBody::Numeric {
                answer: 2.0,
                tolerance: 1.0,
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
                    choice("a", "x || y", "x || y", true),
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
            },
        ),
        question(
            "rt-numeric",
            "สำนักงานกี่แห่ง",
            "How many offices",
            QuestionBody::Numeric {
                answer: 76.0,
                tolerance: 0.5,
            },
        ),
        question(
            "rt-numeric-small",
            "ค่าติดลบ",
            "A negative value",
            QuestionBody::Numeric {
                answer: -3.25,
                tolerance: 0.0000001,
            },
        ),
        question(
            "rt-matching",
            "จับคู่",
            "Match",
            QuestionBody::Matching {
                pairs: vec![
                    pair("ก->ข", "a->b", "ค: {x}", "c: {x}"),
                    pair("ซ้าย", "left", "ขวา", "right"),
                    pair("หนึ่ง-", "one-", ">สอง", ">two"),
                ],
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
            tolerance: 0.0
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
    assert_eq!(lines, vec![1, 3, 5, 7, 9, 11, 15], "{errors:?}");
    assert!(errors[3].message.contains("unknown numeric syntax"));
    assert!(errors[6].message.contains("duplicate question id `dup`"));
}

#[test]
fn unknown_escape_is_kept_and_title_falls_back() {
    let questions = import("::Not An Id::Odd \\q escape {=ok}").unwrap();
    assert_eq!(questions[0].id, "gift-1");
    assert_eq!(questions[0].prompt_en, "Odd \\q escape");
    assert_eq!(
        questions[0].body,
        QuestionBody::ShortText {
            accepted: vec!["ok".into()]
        }
    );
}

#[test]
fn single_right_answer_without_wrong_options_is_short_text() {
    let questions = import("Who is buried in Grant's tomb?{=no one}").unwrap();
    assert_eq!(
        questions[0].body,
        QuestionBody::ShortText {
            accepted: vec!["no one".into()]
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
fn several_right_markers_make_multiple() {
    let questions = import("Pick {=a =b ~c}").unwrap();
    assert_eq!(
        questions[0].body,
        QuestionBody::Multiple {
            options: vec![
                choice("a", "a", "a", true),
                choice("b", "b", "b", true),
                choice("c", "c", "c", false),
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
        },
    }];
    let _ = import(&export(&odd));
}
