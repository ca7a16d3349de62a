-- Click analytics: raw clicks (monthly partitions), hourly rollups the API reads, and the
-- worker's exactly-once bookkeeping (stream cursors, applied batch ids, failed entries).

-- The last stream entry applied per shard. Written in the same transaction as the clicks it
-- covers, so it is the truth about what has been counted; Redis stream state is not.
CREATE TABLE stream_cursors (
    shard       integer     PRIMARY KEY CHECK (shard >= 0),
    last_id     text        NOT NULL DEFAULT '0-0',
    applied     bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Batch ids seen in the last day: an edge that re-sends a batch after a failed XADD reuses the
-- id (possibly on another shard), and the second copy must not be counted.
CREATE TABLE applied_batches (
    batch_id    text        PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applied_batches_applied_at_idx ON applied_batches (applied_at);

-- Stream entries the worker could not apply (undecodable, or rejected by Postgres on their own).
CREATE TABLE failed_click_entries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shard       integer     NOT NULL,
    stream_id   text        NOT NULL,
    batch_id    text,
    error       text        NOT NULL,
    payload     bytea,
    failed_at   timestamptz NOT NULL DEFAULT now()
);

-- Raw clicks, one partition per UTC month (created ahead by the worker, dropped past retention).
-- No foreign key to links: a deleted link's clicks age out with their partition.
CREATE TABLE clicks (
    link_id       bigint      NOT NULL,
    clicked_at    timestamptz NOT NULL,
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
    user_agent    text        NOT NULL DEFAULT ''
) PARTITION BY RANGE (clicked_at);
CREATE INDEX clicks_link_time_idx ON clicks (link_id, clicked_at DESC);

-- Clicks and first-of-the-day visitors per link and UTC hour: totals and time series read here.
CREATE TABLE click_rollups (
    link_id   bigint      NOT NULL,
    hour      timestamptz NOT NULL,
    is_bot    boolean     NOT NULL,
    clicks    bigint      NOT NULL DEFAULT 0,
    visitors  bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (link_id, hour, is_bot)
);
CREATE INDEX click_rollups_hour_idx ON click_rollups (hour);

-- Clicks per link, UTC hour and value of one dimension (country, city, referrer, browser, os,
-- device): the "top N" breakdowns read here, at a cost that grows with distinct values, not clicks.
CREATE TABLE click_dimension_rollups (
    link_id    bigint      NOT NULL,
    dimension  text        NOT NULL,
    hour       timestamptz NOT NULL,
    is_bot     boolean     NOT NULL,
    value      text        NOT NULL,
    clicks     bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (link_id, dimension, hour, is_bot, value)
);

-- Visitor hashes seen per link and UTC day, so a visitor counts once a day. The hash is salted per
-- day, so rows older than a couple of days are useless and pruned.
CREATE TABLE link_visitors (
    link_id       bigint NOT NULL,
    day           date   NOT NULL,
    visitor_hash  bytea  NOT NULL,
    PRIMARY KEY (link_id, day, visitor_hash)
);
CREATE INDEX link_visitors_day_idx ON link_visitors (day);
