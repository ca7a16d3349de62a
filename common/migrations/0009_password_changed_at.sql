-- When the account's password was last set by a change or a reset (admin/users.py, set_password).
-- An access token issued before it is refused (admin/auth/deps.py), so a new password ends every
-- session at once, not only its refresh tokens. NULL: never changed since this migration (existing
-- accounts, and new ones: registration sets none).
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
