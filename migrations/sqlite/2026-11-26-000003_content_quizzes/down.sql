DROP TABLE attempt_answers;
DROP TABLE attempts;
DROP TABLE quiz_overrides;
DROP TABLE module_progress;
DROP TABLE publications;
DROP TABLE quiz_revisions;
DROP TABLE module_revisions;
