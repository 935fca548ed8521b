ALTER TABLE zoom_rows DROP COLUMN suggested_user_id;
