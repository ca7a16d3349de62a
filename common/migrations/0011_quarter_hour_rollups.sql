-- Quarter-hour rollups (issue 17, "Analytics exact in every time zone").
--
-- Every UTC offset in use is a whole number of quarter hours, so every local hour, day, week and
-- month, in every zone and across every DST change (Lord Howe's half hour included), starts on a UTC
-- quarter hour and is a union of whole quarter-hour rollup rows. Hourly rows could not answer a zone
-- whose hours start at :30 or :45 UTC (Asia/Kolkata, Asia/Kathmandu, America/St_Johns, ...): their
-- clicks landed in the wrong local hour or day. So the rollups are now kept per UTC quarter hour, in
-- a column named for what it holds: `bucket`, the start of the row's quarter hour.
ALTER TABLE click_rollups RENAME COLUMN hour TO bucket;
ALTER INDEX click_rollups_hour_idx RENAME TO click_rollups_bucket_idx;
ALTER TABLE click_dimension_rollups RENAME COLUMN hour TO bucket;

-- Existing rows are hourly. Where the raw clicks still hold every click of a row (same link, UTC
-- hour and is_bot, and as many clicks as the row counts), the row is replaced by quarter-hour rows
-- counted from those clicks. Elsewhere (the raw clicks are past retention and their partitions gone,
-- or someone changed the row by hand) the row stays as it is, at :00 of its hour: its clicks are
-- known only to the hour, so a local bucket boundary inside that hour (India's :30) counts all of
-- them on the side holding the :00.
-- date_bin on a fixed UTC origin, not date_trunc: date_trunc follows the session's TimeZone.
CREATE TEMPORARY TABLE covered_hours ON COMMIT DROP AS
SELECT r.link_id, r.bucket AS hour, r.is_bot, r.visitors
FROM click_rollups r
JOIN (
    SELECT link_id, date_bin('1 hour', clicked_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hour, is_bot,
           count(*) AS clicks
    FROM clicks GROUP BY 1, 2, 3
) raw ON raw.link_id = r.link_id AND raw.hour = r.bucket AND raw.is_bot = r.is_bot AND raw.clicks = r.clicks;

-- Visitors keep their meaning: a visitor (one visitor hash, salted per UTC day) counts once per link
-- and UTC day, in the row of their first click that day. The worker took "first" in the order it
-- applied the clicks; the raw clicks say only when each was made, so the first click is taken by
-- time here (stream position breaking ties). The two orders differ only for a click applied after a
-- later one of the same visitor (an edge's buffer delayed it), and then a first visit could move
-- to another hour. So the raw first visits are used only where they add up to the hour's stored
-- visitors; otherwise the hour's visitors all go to its first quarter hour with clicks. Either way
-- every hour keeps exactly the clicks and visitors it had: only their place inside the hour is new.
CREATE TEMPORARY TABLE first_visits ON COMMIT DROP AS
SELECT link_id, date_bin('15 minutes', clicked_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, is_bot,
       count(*) AS visitors
FROM (
    SELECT DISTINCT ON (link_id, (clicked_at AT TIME ZONE 'UTC')::date, visitor_hash) link_id, clicked_at, is_bot
    FROM clicks
    ORDER BY link_id, (clicked_at AT TIME ZONE 'UTC')::date, visitor_hash, clicked_at, shard, stream_id, position
) AS first_click
GROUP BY 1, 2, 3;

CREATE TEMPORARY TABLE quarter_rows ON COMMIT DROP AS
WITH quarters AS (
    SELECT c.link_id, c.bucket, c.is_bot, c.clicks, coalesce(f.visitors, 0) AS raw_visitors,
           h.visitors AS hour_visitors,
           sum(coalesce(f.visitors, 0)) OVER hour_rows AS raw_hour_visitors,
           min(c.bucket) OVER hour_rows AS first_bucket
    FROM (
        SELECT link_id, date_bin('15 minutes', clicked_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, is_bot,
               count(*) AS clicks
        FROM clicks GROUP BY 1, 2, 3
    ) c
    JOIN covered_hours h ON h.link_id = c.link_id AND h.is_bot = c.is_bot
        AND h.hour = date_bin('1 hour', c.bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')
    LEFT JOIN first_visits f ON f.link_id = c.link_id AND f.bucket = c.bucket AND f.is_bot = c.is_bot
    WINDOW hour_rows AS (PARTITION BY c.link_id, h.hour, c.is_bot)
)
SELECT link_id, bucket, is_bot, clicks,
       CASE WHEN raw_hour_visitors = hour_visitors THEN raw_visitors
            WHEN bucket = first_bucket THEN hour_visitors
            ELSE 0 END AS visitors
FROM quarters;

DELETE FROM click_rollups r USING covered_hours h
WHERE r.link_id = h.link_id AND r.bucket = h.hour AND r.is_bot = h.is_bot;
INSERT INTO click_rollups (link_id, bucket, is_bot, clicks, visitors)
SELECT link_id, bucket, is_bot, clicks, visitors FROM quarter_rows;

-- The dimension rows of the same hours, counted again from the same clicks, each value spelled as
-- the worker spells it (worker/apply.py, _sum_combos): a city is "country|city", unknown is ''.
DELETE FROM click_dimension_rollups d USING covered_hours h
WHERE d.link_id = h.link_id AND d.bucket = h.hour AND d.is_bot = h.is_bot;
INSERT INTO click_dimension_rollups (link_id, dimension, bucket, is_bot, value, clicks)
SELECT c.link_id, v.dimension, date_bin('15 minutes', c.clicked_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
       c.is_bot, v.value, count(*)
FROM clicks c
JOIN covered_hours h ON h.link_id = c.link_id AND h.is_bot = c.is_bot
    AND h.hour = date_bin('1 hour', c.clicked_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')
CROSS JOIN LATERAL (VALUES
    ('country', c.country),
    ('city', CASE WHEN c.city <> '' THEN c.country || '|' || c.city ELSE '' END),
    ('referrer', c.referrer_host),
    ('browser', c.browser),
    ('os', c.os),
    ('device', c.device)
) AS v(dimension, value)
GROUP BY 1, 2, 3, 4, 5;

-- A bucket is the start of a UTC quarter hour: the worker floors each click's time to one, and the
-- analytics API sums whole rows into local buckets, which is exact only on that grain.
ALTER TABLE click_rollups ADD CONSTRAINT click_rollups_bucket_quarter_hour
    CHECK (bucket = date_bin('15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00'));
ALTER TABLE click_dimension_rollups ADD CONSTRAINT click_dimension_rollups_bucket_quarter_hour
    CHECK (bucket = date_bin('15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00'));
