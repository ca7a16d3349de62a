-- Signed webhooks (worker/webhooks.py delivers, admin/webhooks.py manages): endpoints per user, and
-- an outbox of deliveries filled in the same transaction as the event, so an event is queued
-- exactly once whatever crashes: link.created/updated/deleted by the trigger below, click by the
-- worker's apply transaction (one delivery per endpoint and transaction, its clicks batched).
CREATE TABLE webhook_endpoints (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id             bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url                  text        NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
    description          text        NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    events               text[]      NOT NULL CHECK (
        cardinality(events) > 0 AND events <@ ARRAY['click', 'link.created', 'link.updated', 'link.deleted']
    ),
    -- The HMAC-SHA256 key of the signatures; it must be readable to sign, so it is kept as given
    -- out, once (docs/security.md, "Webhooks").
    secret               text        NOT NULL CHECK (length(secret) >= 32),
    enabled              boolean     NOT NULL DEFAULT true,
    disabled_reason      text,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_owner_idx ON webhook_endpoints (owner_id);

CREATE TABLE webhook_deliveries (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id      bigint      NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event            text        NOT NULL,
    payload          jsonb       NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- pending: due at next_attempt_at (a sender holds it until then while it tries);
    -- delivered: a 2xx came back; failed: out of attempts.
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    delivered_at     timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at);

-- A link's event, for each enabled endpoint of its owner that asked for it. An update is an event
-- only when admin changed the link (admin bumps version on every change; the worker's click
-- counting never does, so it fires nothing here).
CREATE FUNCTION webhook_queue_link_event() RETURNS trigger
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
        'code', link.code, 'target_url', link.target_url, 'title', link.title, 'tags', to_jsonb(link.tags),
        'redirect_status', link.redirect_status, 'expires_at', link.expires_at, 'max_clicks', link.max_clicks,
        'disabled', link.disabled, 'click_count', link.click_count, 'created_at', link.created_at,
        'updated_at', link.updated_at, 'version', link.version
    )
    FROM webhook_endpoints e
    WHERE e.owner_id = link.owner_id AND e.enabled AND event = ANY (e.events)
    ORDER BY e.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER links_webhook_insert_delete
AFTER INSERT OR DELETE ON links
FOR EACH ROW EXECUTE FUNCTION webhook_queue_link_event();

CREATE TRIGGER links_webhook_update
AFTER UPDATE ON links
FOR EACH ROW
WHEN (OLD.version IS DISTINCT FROM NEW.version)
EXECUTE FUNCTION webhook_queue_link_event();
