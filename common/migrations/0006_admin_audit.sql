-- The audit log: who changed which link or user, when, from where, with the old and new values.
-- Written by admin in the transaction of the change it describes (admin/audit.py). No foreign
-- keys: an entry outlives the user who made it and the link or user it is about.
CREATE TABLE audit_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint,
    actor_kind  text        NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'cli')),
    client_ip   text        CHECK (length(client_ip) <= 100),
    action      text        NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    entity_type text        NOT NULL CHECK (entity_type IN ('link', 'user')),
    entity_id   bigint,
    entity_code text,
    old_values  jsonb,
    new_values  jsonb,
    -- The CLI acts without a user; everyone else is one.
    CONSTRAINT audit_log_actor CHECK ((actor_kind = 'cli') = (actor_id IS NULL))
);
-- GET /api/v1/audit filters by entity, actor or time and pages newest first by id.
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, id);
CREATE INDEX audit_log_code_idx ON audit_log (entity_code, id) WHERE entity_code IS NOT NULL;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_log_at_idx ON audit_log (at);
