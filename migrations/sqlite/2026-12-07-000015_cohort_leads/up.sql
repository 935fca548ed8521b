-- Lead instructors (issue 24): an admin names one or more of a cohort's instructors as lead;
-- when two markers of a written answer disagree, an admin or a lead instructor who did not
-- mark it decides.
CREATE TABLE cohort_leads (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    named_by TEXT NOT NULL REFERENCES users (id),
    named_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cohort_id, user_id)
);
