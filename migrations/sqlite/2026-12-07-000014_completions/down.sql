DROP TABLE cohort_signatories;
DROP TABLE completions;
