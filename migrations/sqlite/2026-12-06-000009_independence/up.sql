-- Teaching is a permanent, dated history (issue 20): removal from a cohort ends a row here but
-- never deletes it, so an admin who once taught a cohort stays barred from deciding for it.
CREATE TABLE cohort_staff_history (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    ended_by TEXT,
    PRIMARY KEY (cohort_id, user_id, started_at)
);
CREATE INDEX cohort_staff_history_user ON cohort_staff_history (user_id);
INSERT INTO cohort_staff_history (cohort_id, user_id, role, started_at)
    SELECT cohort_id, user_id, role, joined_at FROM cohort_members WHERE role = 'instructor';
