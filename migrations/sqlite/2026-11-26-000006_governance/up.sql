-- Certification governance (ISO/IEC 17024 style): the scheme versions a deployment has seen,
-- recommendations and independent decisions, conflict-of-interest declarations, and appeals.
CREATE TABLE scheme_versions (
    programme_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    definition_json TEXT NOT NULL,
    first_loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (programme_id, version)
);

CREATE TABLE certification_decisions (
    id TEXT PRIMARY KEY NOT NULL,
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    scope TEXT NOT NULL,
    recommended_by TEXT NOT NULL REFERENCES users (id),
    recommendation TEXT NOT NULL,
    recommended_at TIMESTAMP NOT NULL,
    decided_by TEXT REFERENCES users (id),
    outcome TEXT CHECK (outcome IN ('grant', 'refuse')),
    rationale TEXT,
    decided_at TIMESTAMP,
    credential_id TEXT REFERENCES credentials (id)
);
CREATE INDEX certification_decisions_cohort ON certification_decisions (cohort_id);
CREATE INDEX certification_decisions_user ON certification_decisions (user_id);

CREATE TABLE coi_declarations (
    id TEXT PRIMARY KEY NOT NULL,
    declared_by TEXT NOT NULL REFERENCES users (id),
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    subject_user_id TEXT NOT NULL REFERENCES users (id),
    statement TEXT NOT NULL,
    declared_at TIMESTAMP NOT NULL
);
CREATE INDEX coi_declarations_subject ON coi_declarations (subject_user_id);

CREATE TABLE appeals (
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
CREATE INDEX appeals_user ON appeals (user_id);
CREATE UNIQUE INDEX appeals_one_open_per_subject ON appeals (subject_type, subject_id) WHERE status = 'open';
