-- The training project's satisfaction survey (issue 25). Answers are kept without the person
-- and without a time, under a random id (exports list them by that id, not in the order of
-- answering); who responded is kept apart, by day, only so each person answers once and
-- completion can require it.
CREATE TABLE survey_responses (
    id TEXT PRIMARY KEY NOT NULL,
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    survey_slug TEXT NOT NULL,
    answers_json TEXT NOT NULL
);
CREATE INDEX survey_responses_cohort ON survey_responses (cohort_id, survey_slug);

CREATE TABLE survey_respondents (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    survey_slug TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    responded_on TEXT NOT NULL,
    PRIMARY KEY (cohort_id, survey_slug, user_id)
);
