-- Accounts and sessions hardening (docs/security.md, "Accounts and sessions").

-- API keys carry scopes chosen at creation. Keys made before this migration keep what they could
-- do with links and analytics; no key can manage keys, passwords or users, whatever its scopes.
ALTER TABLE api_keys
    ADD COLUMN scopes text[] NOT NULL DEFAULT ARRAY['links:read', 'links:write', 'analytics:read']::text[],
    ADD CONSTRAINT api_keys_scopes_check CHECK (
        cardinality(scopes) > 0
        AND scopes <@ ARRAY['links:read', 'links:write', 'analytics:read']::text[]
    );
ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;

-- The key id (a short hash of HOP_JWT_SECRET) a refresh token was issued under: a token whose key
-- is neither the current nor the previous one is refused and its family revoked, so rotating the
-- secret ends sessions. Tokens issued before this migration have none and end at the next use.
ALTER TABLE refresh_tokens ADD COLUMN key_id text;
