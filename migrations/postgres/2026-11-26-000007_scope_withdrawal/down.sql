ALTER TABLE appeals DROP CONSTRAINT appeals_subject_type_check;
ALTER TABLE appeals ADD CONSTRAINT appeals_subject_type_check
    CHECK (subject_type IN ('attempt', 'decision'));
ALTER TABLE credentials DROP COLUMN status_detail;
