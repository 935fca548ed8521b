DROP TABLE audit_log;
DROP TABLE credentials;
DROP TABLE credential_counters;
DROP TABLE signing_keys;
