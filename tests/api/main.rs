//! Black-box tests: each starts the real service on a random port with its own fresh
//! database (SQLite by default, PostgreSQL when TEST_DATABASE_URL is set) and talks HTTP.

mod accounts;
mod api_times;
mod authz;
mod backup;
mod browser;
mod browser_officer;
mod browser_quizzes;
mod cohorts;
mod completions;
mod content;
mod crash;
mod credentials;
mod crosssite;
mod demo;
mod deploy_guide;
mod email;
mod evaluation;
mod foundation;
mod fuzz_regressions;
mod governance;
mod hardening;
mod helpers;
mod hostile;
mod independence;
mod integrity;
mod interop;
mod lifecycle;
mod marking;
mod marking_pages;
mod officer_forms;
mod officer_lists;
mod officer_pages;
mod proxy;
mod quizzes;
mod report;
mod scaleout;
mod settings;
mod smtp;
mod thai_errors;

mod transfer;
mod web;
mod webdriver;
