-- Found by the data-scale benchmark: a trainee's dashboard listed their credentials with a full
-- scan (the unique index on (user_id, scope) only covers live credentials), 65 times slower on
-- 100,000 credentials than on a small database.
CREATE INDEX credentials_user ON credentials (user_id, issued_at);
-- The daily expiry reminders look for live credentials by end of validity.
CREATE INDEX credentials_valid_until ON credentials (status, valid_until);
