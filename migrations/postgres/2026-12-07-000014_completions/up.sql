-- Completion certificates (วุฒิบัตร, issue 25): issued to trainees who met the programme's
-- completion rule; signed as Open Badges 3.0 credentials and verified at /verify/{id}. They
-- grant no assessor credential.
CREATE TABLE completions (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id),
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    minutes INTEGER NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    issued_by TEXT REFERENCES users (id),
    signatory_name TEXT NOT NULL,
    signatory_position TEXT NOT NULL,
    kid TEXT NOT NULL REFERENCES signing_keys (kid),
    credential_jwt TEXT NOT NULL,
    UNIQUE (user_id, cohort_id)
);
CREATE INDEX completions_cohort ON completions (cohort_id);

-- Who signs a cohort's completion certificates: name and position in Thai and English, and
-- an uploaded signature (PNG, base64).
CREATE TABLE cohort_signatories (
    cohort_id TEXT PRIMARY KEY NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    name_th TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position_th TEXT NOT NULL,
    position_en TEXT NOT NULL,
    signature_png TEXT,
    updated_by TEXT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
