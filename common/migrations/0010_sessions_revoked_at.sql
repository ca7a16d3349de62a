-- When the account last signed out everywhere (POST /users/me/sessions/revoke, admin/users.py
-- end_sessions). Like password_changed_at (0009): an access token issued before it is refused
-- (admin/auth/deps.py) and so is a refresh token created before it (admin/auth/refresh.py).
-- NULL: never since this migration.
ALTER TABLE users ADD COLUMN sessions_revoked_at timestamptz;
