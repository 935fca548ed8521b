-- Scope reduction as its own action: a credential withdrawn because its scope was withdrawn
-- (while the holder keeps other scopes) is revoked with status_detail = 'scope_withdrawn'.
ALTER TABLE credentials ADD COLUMN status_detail TEXT;

-- A holder may also appeal a suspension, revocation or scope withdrawal of their credential.
ALTER TABLE appeals DROP CONSTRAINT appeals_subject_type_check;
ALTER TABLE appeals ADD CONSTRAINT appeals_subject_type_check
    CHECK (subject_type IN ('attempt', 'decision', 'credential'));
