DROP TABLE zoom_rows;
DROP TABLE attendance;
DROP TABLE cohort_sessions;
DROP TABLE cohort_members;
DROP TABLE cohorts;
