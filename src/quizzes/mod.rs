//! Quizzes: definitions, attempts, grading.

pub mod model;
