-- Password-protected links: the argon2id hash of the link's password (common/link_passwords.py),
-- NULL for an open link. The edge gets the hash in the link's record ("p") and asks visitors for
-- the password before it redirects (edge/unlock.py). A change bumps the link's version, which
-- queues the code for the edge (migration 0007's trigger).
ALTER TABLE links ADD COLUMN password_hash text
    CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%');
