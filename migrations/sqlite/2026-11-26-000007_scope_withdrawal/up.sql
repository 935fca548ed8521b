-- Scope reduction as its own action: a credential withdrawn because its scope was withdrawn
-- (while the holder keeps other scopes) is revoked with status_detail = 'scope_withdrawn'.
ALTER TABLE credentials ADD COLUMN status_detail TEXT;

-- A holder may also appeal a suspension, revocation or scope withdrawal of their credential
-- (subject_type 'credential'). SQLite cannot change a CHECK constraint: rebuild the table.
CREATE TABLE appeals_new (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    subject_type TEXT NOT NULL CHECK (subject_type IN ('attempt', 'decision', 'credential')),
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
INSERT INTO appeals_new SELECT id, user_id, cohort_id, subject_type, subject_id, grounds,
    filed_at, respond_by, status, reviewer_id, outcome, rationale, decided_at FROM appeals;
DROP TABLE appeals;
ALTER TABLE appeals_new RENAME TO appeals;
CREATE INDEX appeals_user ON appeals (user_id);
CREATE UNIQUE INDEX appeals_one_open_per_subject ON appeals (subject_type, subject_id) WHERE status = 'open';
