DROP TABLE cohort_report_texts;
