DROP TABLE observed_assessments;
DROP TABLE essay_marks;
ALTER TABLE attempts DROP COLUMN marking;
