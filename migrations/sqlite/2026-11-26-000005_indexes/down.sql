DROP INDEX credentials_valid_until;
DROP INDEX credentials_user;
