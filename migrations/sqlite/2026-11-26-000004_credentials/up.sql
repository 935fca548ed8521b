-- Assessor credentials: signing keys, credentials with gapless numbers per fiscal year,
-- and an append-only audit log.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    algorithm TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE credential_counters (
    series TEXT PRIMARY KEY NOT NULL,
    last_number INTEGER NOT NULL
);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id),
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    programme_id TEXT NOT NULL,
    scheme_version INTEGER NOT NULL,
    scope TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked', 'expired')),
    status_reason TEXT,
    status_changed_at TIMESTAMP,
    status_index INTEGER NOT NULL UNIQUE,
    issued_at TIMESTAMP NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_until TIMESTAMP NOT NULL,
    kid TEXT NOT NULL REFERENCES signing_keys (kid),
    credential_jwt TEXT NOT NULL,
    override_reason TEXT,
    renews_id TEXT REFERENCES credentials (id),
    issued_by TEXT REFERENCES users (id),
    reminder_sent_at TIMESTAMP
);
CREATE UNIQUE INDEX credentials_one_live_per_scope ON credentials (user_id, scope) WHERE status IN ('active', 'suspended');
CREATE INDEX credentials_cohort ON credentials (cohort_id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    details_json TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id);
