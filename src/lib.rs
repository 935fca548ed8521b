//! Assessor Academy: training and certification of TIS-S assessors.

pub mod accounts;
pub mod cohorts;
pub mod course;
pub mod credentials;
pub mod dates;
pub mod db;
pub mod demo;
pub mod email;
pub mod error;
pub mod evaluation;
pub mod governance;
pub mod http;
pub mod ids;
pub mod offices;
pub mod quizzes;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod thai;
pub mod util;
