-- An account's clicks and visitors per UTC hour (issue 17, item 6).
--
-- The account overview's daily series unions, for each local day, the visitor sketches of the whole
-- UTC days inside it and of the quarter hours at its edges. A local day in a zone that is not UTC
-- (Berlin, New York, Kolkata) holds no whole UTC day: it was 96 quarter-hour sketches, 2,880 for a
-- 30-day series, each unioned in Python (Postgres has no HyperLogLog type). With a row per owner and
-- UTC hour, a local day is its whole hours and at most two quarter hours at each edge: 24 to 28
-- sketches. Visitors per link keep their quarter-hour and daily rows only: a link's series has few
-- visitors per quarter hour, whose sketches are small and cheap to union, and hourly rows for every
-- link would add nearly as many rows as the quarter hours hold.
--
-- The worker adds to these rows in the transaction that adds to owner_click_rollups, summed from
-- those (worker/apply.py). The sketches are merged from owner_click_rollups' by the migration's
-- Python step (common/migration_steps.py), in this transaction; the lock keeps a worker still
-- running the code before this migration from adding quarter hours the backfill would not see.

LOCK TABLE owner_click_rollups IN SHARE MODE;

CREATE TABLE owner_click_hours (
    owner_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hour            timestamptz NOT NULL
        CHECK (hour = date_bin('1 hour', hour, TIMESTAMPTZ '2000-01-01 00:00:00+00')),
    is_bot          boolean     NOT NULL,
    clicks          bigint      NOT NULL DEFAULT 0,
    visitor_sketch  bytea,
    PRIMARY KEY (owner_id, hour, is_bot)
);

-- date_bin, not date_trunc: it bins by UTC whatever the session's TimeZone.
INSERT INTO owner_click_hours (owner_id, hour, is_bot, clicks)
SELECT owner_id, date_bin('1 hour', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00'), is_bot, sum(clicks)
FROM owner_click_rollups
GROUP BY 1, 2, 3;
