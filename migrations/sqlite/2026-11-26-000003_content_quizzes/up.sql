-- Course content revisions (immutable, content-hashed), publication to cohorts, reading
-- progress; quiz revisions, attempts with their drawn layout, autosaved answers, overrides.
CREATE TABLE module_revisions (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    position INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    prerequisites_json TEXT NOT NULL,
    title_th TEXT NOT NULL,
    title_en TEXT NOT NULL,
    markdown_th TEXT NOT NULL,
    markdown_en TEXT NOT NULL,
    html_th TEXT NOT NULL,
    html_en TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('file', 'web')),
    author_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (slug, content_hash)
);
CREATE INDEX module_revisions_slug ON module_revisions (slug, created_at);

CREATE TABLE quiz_revisions (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    definition_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (slug, content_hash)
);
CREATE INDEX quiz_revisions_slug ON quiz_revisions (slug, created_at);

CREATE TABLE publications (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('module', 'quiz')),
    slug TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    opens_at TIMESTAMP,
    closes_at TIMESTAMP,
    published_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    published_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cohort_id, kind, slug)
);

CREATE TABLE module_progress (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    completed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cohort_id, user_id, slug)
);

CREATE TABLE quiz_overrides (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    quiz_slug TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    extra_seconds INTEGER NOT NULL DEFAULT 0,
    extra_attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (cohort_id, quiz_slug, user_id)
);

CREATE TABLE attempts (
    id TEXT PRIMARY KEY NOT NULL,
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    quiz_slug TEXT NOT NULL,
    quiz_revision_id TEXT NOT NULL REFERENCES quiz_revisions (id),
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    attempt_no INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'submitted', 'expired')),
    layout_json TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    deadline TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    score REAL,
    max_score REAL,
    percent REAL,
    passed BOOLEAN,
    grading_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (cohort_id, quiz_slug, user_id, attempt_no)
);
CREATE INDEX attempts_open ON attempts (state, deadline);
CREATE INDEX attempts_user ON attempts (user_id, cohort_id, quiz_slug);

CREATE TABLE attempt_answers (
    attempt_id TEXT NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (attempt_id, question_id)
);
