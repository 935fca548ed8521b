-- Cohorts of a programme, their members, seminar sessions and attendance.
CREATE TABLE cohorts (
    id TEXT PRIMARY KEY NOT NULL,
    programme_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    name_th TEXT NOT NULL,
    name_en TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    trainee_count INTEGER NOT NULL DEFAULT 0,
    enrol_opens_at TIMESTAMP,
    enrol_closes_at TIMESTAMP,
    join_code TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'running', 'closed', 'archived')),
    feed_secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (programme_id, fiscal_year, generation)
);

CREATE TABLE cohort_members (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('trainee', 'instructor')),
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cohort_id, user_id)
);
CREATE INDEX cohort_members_user ON cohort_members (user_id);

CREATE TABLE cohort_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    title_th TEXT NOT NULL,
    title_en TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    venue TEXT NOT NULL,
    meeting_url TEXT,
    mode TEXT NOT NULL CHECK (mode IN ('onsite', 'online', 'hybrid')),
    checkin_secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX cohort_sessions_cohort ON cohort_sessions (cohort_id, starts_at);

CREATE TABLE attendance (
    session_id TEXT NOT NULL REFERENCES cohort_sessions (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('present', 'late', 'absent', 'excused')),
    via TEXT CHECK (via IN ('room', 'online')),
    minutes INTEGER,
    source TEXT NOT NULL CHECK (source IN ('instructor', 'self', 'zoom')),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX attendance_user ON attendance (user_id);

CREATE TABLE zoom_rows (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES cohort_sessions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    matched_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX zoom_rows_session ON zoom_rows (session_id);
