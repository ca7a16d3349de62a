-- Several short domains (docs/domains.md). A link belongs to the default domain (domain NULL: the
-- host of HOP_SHORT_BASE_URL, whatever it is configured to) or to a domain an admin added here;
-- the same code may exist once per domain.
--
-- A row may also name the default domain itself: then it only carries that domain's redirects,
-- and no link refers to it (admin stores its links with domain NULL).
CREATE TABLE domains (
    -- The authority as browsers send it in Host: a lower-case DNS name (IDNs in punycode), with
    -- a port only when visitors use a non-default one.
    host               text        PRIMARY KEY CHECK (
        host ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$' AND length(host) <= 260
    ),
    -- Where the domain's bare address (/) sends visitors; NULL: a 404.
    base_redirect      text        CHECK (base_redirect ~ '^https?://' AND length(base_redirect) <= 2048),
    -- Where a code the domain does not serve, or any other path, sends visitors; NULL: a 404.
    not_found_redirect text        CHECK (not_found_redirect ~ '^https?://' AND length(not_found_redirect) <= 2048),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE links ADD COLUMN domain text REFERENCES domains (host);

-- The link's name at the edge: in Redis ({prefix}link:{edge_key}), in the click streams and in
-- edge_sync_pending. Its code on the default domain, "{domain}/{code}" on another: no code holds
-- a "/", so the two never collide, and a link on the default domain keeps the key it had.
ALTER TABLE links ADD COLUMN edge_key text NOT NULL
    GENERATED ALWAYS AS (CASE WHEN domain IS NULL THEN code ELSE domain || '/' || code END) STORED;
CREATE UNIQUE INDEX links_edge_key_key ON links (edge_key);
DROP INDEX links_code_key;
CREATE INDEX links_domain_idx ON links (domain) WHERE domain IS NOT NULL;

-- The outbox queues edge keys now; a code on the default domain is its own edge key, so the rows
-- already queued stay right.
ALTER TABLE edge_sync_pending RENAME COLUMN code TO edge_key;

CREATE OR REPLACE FUNCTION edge_sync_queue_link() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO edge_sync_pending (edge_key) VALUES (OLD.edge_key)
        ON CONFLICT (edge_key) DO UPDATE SET queued_at = edge_sync_pending.queued_at;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.edge_key <> OLD.edge_key) THEN
        INSERT INTO edge_sync_pending (edge_key) VALUES (NEW.edge_key)
        ON CONFLICT (edge_key) DO UPDATE SET queued_at = edge_sync_pending.queued_at;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER links_edge_sync_update ON links;
CREATE TRIGGER links_edge_sync_update
AFTER UPDATE ON links
FOR EACH ROW
WHEN (
    (OLD.edge_key, OLD.target_url, OLD.redirect_status, OLD.expires_at, OLD.max_clicks, OLD.forward_query,
     OLD.disabled, OLD.owner_id, OLD.version)
    IS DISTINCT FROM
    (NEW.edge_key, NEW.target_url, NEW.redirect_status, NEW.expires_at, NEW.max_clicks, NEW.forward_query,
     NEW.disabled, NEW.owner_id, NEW.version)
    OR (NEW.max_clicks IS NOT NULL AND OLD.click_count < NEW.max_clicks AND NEW.click_count >= NEW.max_clicks)
)
EXECUTE FUNCTION edge_sync_queue_link();

CREATE OR REPLACE FUNCTION edge_sync_queue_owner() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO edge_sync_pending (edge_key)
    SELECT edge_key FROM links WHERE owner_id = NEW.id ORDER BY edge_key
    ON CONFLICT (edge_key) DO UPDATE SET queued_at = edge_sync_pending.queued_at;
    RETURN NULL;
END
$$;

-- Webhook payloads name the link's domain (null: the default one).
CREATE OR REPLACE FUNCTION webhook_queue_link_event() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    link  links;
    event text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        link := OLD;
        event := 'link.deleted';
    ELSE
        link := NEW;
        event := CASE TG_OP WHEN 'INSERT' THEN 'link.created' ELSE 'link.updated' END;
    END IF;
    IF link.owner_id IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (endpoint_id, event, payload)
    SELECT e.id, event, jsonb_build_object(
        'domain', link.domain, 'code', link.code, 'target_url', link.target_url, 'title', link.title,
        'tags', to_jsonb(link.tags), 'redirect_status', link.redirect_status, 'expires_at', link.expires_at,
        'max_clicks', link.max_clicks, 'disabled', link.disabled, 'click_count', link.click_count,
        'created_at', link.created_at, 'updated_at', link.updated_at, 'version', link.version
    )
    FROM webhook_endpoints e
    WHERE e.owner_id = link.owner_id AND e.enabled AND event = ANY (e.events)
    ORDER BY e.id;
    RETURN NULL;
END
$$;

-- The short domain an orphan visit came to ('' : the default domain, or a Host no domain has).
ALTER TABLE orphan_visits ADD COLUMN domain text NOT NULL DEFAULT '';

-- Domain changes are audited like link and user changes (admin/domains.py).
ALTER TABLE audit_log DROP CONSTRAINT audit_log_entity_type_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_entity_type_check CHECK (entity_type IN ('link', 'user', 'domain'));
