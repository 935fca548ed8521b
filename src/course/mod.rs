//! Course content: the programme, modules and quizzes authored in `course_content/`.

pub mod model;
