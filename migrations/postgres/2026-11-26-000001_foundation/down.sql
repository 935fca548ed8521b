DROP TABLE outbox_emails;
DROP TABLE one_time_tokens;
DROP TABLE login_throttle;
DROP TABLE secrets;
DROP TABLE users;
