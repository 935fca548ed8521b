DROP TABLE cohort_leads;
