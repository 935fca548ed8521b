DELETE FROM module_revisions WHERE status <> 'approved';
ALTER TABLE module_revisions DROP COLUMN reviewed_at;
ALTER TABLE module_revisions DROP COLUMN reviewed_by;
ALTER TABLE module_revisions DROP COLUMN status;
DROP INDEX quiz_revisions_cohort;
ALTER TABLE quiz_revisions DROP COLUMN cohort_id;
