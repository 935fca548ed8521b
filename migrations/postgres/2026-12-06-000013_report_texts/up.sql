-- The narrative sections of a cohort's closing report, written by its officers on the report
-- page and kept with the cohort (issue 26).
CREATE TABLE cohort_report_texts (
    cohort_id TEXT PRIMARY KEY NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    background TEXT NOT NULL,
    objectives TEXT NOT NULL,
    problems TEXT NOT NULL,
    suggestions TEXT NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
