DROP TABLE cohort_staff_history;
