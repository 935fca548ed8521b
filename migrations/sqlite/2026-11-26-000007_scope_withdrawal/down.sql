CREATE TABLE appeals_old (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    subject_type TEXT NOT NULL CHECK (subject_type IN ('attempt', 'decision')),
    subject_id TEXT NOT NULL,
    grounds TEXT NOT NULL,
    filed_at TIMESTAMP NOT NULL,
    respond_by TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'decided')),
    reviewer_id TEXT REFERENCES users (id),
    outcome TEXT CHECK (outcome IN ('upheld', 'dismissed')),
    rationale TEXT,
    decided_at TIMESTAMP
);
INSERT INTO appeals_old SELECT * FROM appeals WHERE subject_type <> 'credential';
DROP TABLE appeals;
ALTER TABLE appeals_old RENAME TO appeals;
CREATE INDEX appeals_user ON appeals (user_id);
CREATE UNIQUE INDEX appeals_one_open_per_subject ON appeals (subject_type, subject_id) WHERE status = 'open';
ALTER TABLE credentials DROP COLUMN status_detail;
