-- Zoom participants choose their own display names: a row matched only by name is a
-- suggestion an instructor confirms (issue 20); only an e-mail match is taken at once.
ALTER TABLE zoom_rows ADD COLUMN suggested_user_id TEXT;
