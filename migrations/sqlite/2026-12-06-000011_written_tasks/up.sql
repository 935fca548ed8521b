-- Written tasks (issue 24). An attempt with written answers waits for people to mark them:
-- 'pending' until every mark is in, then 'complete' (NULL: nothing to mark by hand).
ALTER TABLE attempts ADD COLUMN marking TEXT;

-- One marker's (or the moderator's) levels for one written answer. Blind: the queue that leads
-- here never names the trainee. A person marks an answer at most once.
CREATE TABLE essay_marks (
    id TEXT PRIMARY KEY NOT NULL,
    attempt_id TEXT NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    marker_id TEXT NOT NULL REFERENCES users (id),
    stage TEXT NOT NULL CHECK (stage IN ('mark', 'moderation')),
    levels_json TEXT NOT NULL,
    points REAL NOT NULL,
    comment TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (attempt_id, question_id, marker_id)
);
CREATE INDEX essay_marks_attempt ON essay_marks (attempt_id);

-- An observed joint assessment: a trainee assessing a real business beside an observer.
CREATE TABLE observed_assessments (
    id TEXT PRIMARY KEY NOT NULL,
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    scope TEXT NOT NULL,
    observed_on TEXT NOT NULL,
    business TEXT NOT NULL,
    competences_json TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('competent', 'not_yet')),
    observer_id TEXT NOT NULL REFERENCES users (id),
    notes TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX observed_assessments_user ON observed_assessments (cohort_id, user_id);
