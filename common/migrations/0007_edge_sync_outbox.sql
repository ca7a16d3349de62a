-- The edge-sync outbox: links whose Redis record may not match Postgres yet.
--
-- Triggers queue a code in the same transaction as the change, so no committed change can be
-- missed by the write-through (Redis down, admin killed between COMMIT and the push). The pusher
-- (common/edge_sync.py) locks the rows it pushes (FOR UPDATE SKIP LOCKED), reads the links after
-- taking the lock, and deletes the rows only when Redis took the records; the worker replays what
-- is left. See docs/invariants.md, invariant 4.
CREATE TABLE edge_sync_pending (
    code      text        PRIMARY KEY,
    queued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX edge_sync_pending_queued_idx ON edge_sync_pending (queued_at);

-- DO UPDATE, not DO NOTHING: the upsert must wait for a pusher holding the row. With DO NOTHING a
-- change committed while a pusher pushes the older state would find the row present, queue
-- nothing, and the pusher would then delete the row: the change would never reach Redis. The
-- update keeps queued_at, the time the code first waited, so a code changed again and again is
-- still replayed in its turn.
-- SET search_path FROM CURRENT: the function runs on Hop's schema whoever fires it.
CREATE FUNCTION edge_sync_queue_link() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO edge_sync_pending (code) VALUES (OLD.code)
        ON CONFLICT (code) DO UPDATE SET queued_at = edge_sync_pending.queued_at;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.code <> OLD.code) THEN
        INSERT INTO edge_sync_pending (code) VALUES (NEW.code)
        ON CONFLICT (code) DO UPDATE SET queued_at = edge_sync_pending.queued_at;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER links_edge_sync_insert_delete
AFTER INSERT OR DELETE ON links
FOR EACH ROW EXECUTE FUNCTION edge_sync_queue_link();

-- Only changes that alter the edge's record. The worker's click counting updates click_count on
-- every transaction: it queues a code only when the count reaches max_clicks (the WHEN clause
-- costs no function call).
CREATE TRIGGER links_edge_sync_update
AFTER UPDATE ON links
FOR EACH ROW
WHEN (
    (OLD.code, OLD.target_url, OLD.redirect_status, OLD.expires_at, OLD.max_clicks, OLD.forward_query,
     OLD.disabled, OLD.owner_id, OLD.version)
    IS DISTINCT FROM
    (NEW.code, NEW.target_url, NEW.redirect_status, NEW.expires_at, NEW.max_clicks, NEW.forward_query,
     NEW.disabled, NEW.owner_id, NEW.version)
    OR (NEW.max_clicks IS NOT NULL AND OLD.click_count < NEW.max_clicks AND NEW.click_count >= NEW.max_clicks)
)
EXECUTE FUNCTION edge_sync_queue_link();

-- A user disabled or enabled: every link of theirs changes at the edge. Queued in code order, so
-- two such transactions lock the rows in the same order.
CREATE FUNCTION edge_sync_queue_owner() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO edge_sync_pending (code)
    SELECT code FROM links WHERE owner_id = NEW.id ORDER BY code
    ON CONFLICT (code) DO UPDATE SET queued_at = edge_sync_pending.queued_at;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_edge_sync
AFTER UPDATE OF disabled ON users
FOR EACH ROW
WHEN (OLD.disabled IS DISTINCT FROM NEW.disabled)
EXECUTE FUNCTION edge_sync_queue_owner();

-- Click stream entries removed before the worker applied them (trimmed by the edge's MAXLEN, or
-- lost with Redis' data): never silent, see worker/gaps.py. lost_entries is NULL when the count
-- cannot be known (the trim ledger in Redis was lost too).
CREATE TABLE click_stream_gaps (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shard        integer     NOT NULL,
    after_id     text        NOT NULL,
    resumed_at   text        NOT NULL,
    lost_entries bigint      CHECK (lost_entries IS NULL OR lost_entries > 0),
    detected_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX click_stream_gaps_detected_idx ON click_stream_gaps (detected_at);
