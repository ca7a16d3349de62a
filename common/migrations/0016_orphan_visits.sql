-- Orphan visits: requests the edge answered 404 (a code it does not serve, the bare domain, any
-- other path), sampled at the edge (HOP_EDGE_ORPHAN_VISITS_PER_SECOND) and carried in the click
-- streams as clicks whose "code" is the request's path, so the worker applies them exactly once in
-- the same transaction as the clicks (worker/apply.py). The same columns as clicks, with the path
-- and its kind instead of a link; not partitioned: the edge's rate bounds the rows, and the
-- worker's housekeeping deletes those past HOP_CLICK_RETENTION_MONTHS.
CREATE TABLE orphan_visits (
    visited_at    timestamptz NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('base_url', 'invalid_short_url', 'regular_404')),
    path          text        NOT NULL,
    shard         smallint    NOT NULL,
    stream_id     text        NOT NULL,
    position      integer     NOT NULL,
    ip            inet,
    ip_prefix     inet,
    visitor_hash  bytea       NOT NULL,
    country       text        NOT NULL DEFAULT '',
    city          text        NOT NULL DEFAULT '',
    referrer      text        NOT NULL DEFAULT '',
    referrer_host text        NOT NULL DEFAULT '',
    browser       text        NOT NULL DEFAULT '',
    os            text        NOT NULL DEFAULT '',
    device        text        NOT NULL DEFAULT '',
    is_bot        boolean     NOT NULL DEFAULT false,
    user_agent    text        NOT NULL DEFAULT '',
    PRIMARY KEY (shard, stream_id, position)
);
CREATE INDEX orphan_visits_visited_at_idx ON orphan_visits (visited_at);
