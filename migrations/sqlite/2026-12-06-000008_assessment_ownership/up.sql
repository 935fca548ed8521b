-- The scheme owns its assessments (issue 19).
-- A quiz revision imported for one cohort (an instructor's own quiz) names that cohort; the
-- scheme's revisions, and every revision before this migration, have none.
ALTER TABLE quiz_revisions ADD COLUMN cohort_id TEXT;
CREATE INDEX quiz_revisions_cohort ON quiz_revisions (cohort_id);
-- An instructor's module edit is a draft until an admin approves it; file and admin
-- revisions, and every revision before this migration, are approved.
ALTER TABLE module_revisions ADD COLUMN status TEXT NOT NULL DEFAULT 'approved'
    CHECK (status IN ('approved', 'draft', 'rejected'));
ALTER TABLE module_revisions ADD COLUMN reviewed_by TEXT;
ALTER TABLE module_revisions ADD COLUMN reviewed_at TIMESTAMP;
