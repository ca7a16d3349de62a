-- Account rollups and daily dimension rows (issue 17, item 6: analytics cost independent of clicks).
--
-- The account overview summed every link's quarter-hour rows, and its breakdowns every (link,
-- quarter hour, value) row of the range: a cost that grows with links x quarter hours. These tables
-- hold the same clicks pre-summed, written by the worker in the transaction that writes
-- click_rollups and click_dimension_rollups (worker/apply.py, _account_rollups), so they always agree:
--
--   owner_click_rollups      per owner, UTC quarter hour and is_bot: the account's totals and series
--   click_days               per link, UTC day and is_bot: the top links' interiors
--   owner_dimension_rollups  per owner, dimension, UTC quarter hour, is_bot and value: breakdown edges
--   click_dimension_days     per link, dimension, UTC day, is_bot and value: breakdown interiors
--   owner_dimension_days     per owner, dimension, UTC day, is_bot and value: breakdown interiors
--
-- Every UTC offset is a whole number of quarter hours, so a range in any zone starts and ends on a
-- UTC quarter hour: it is the whole UTC days inside it plus at most two partial days at its edges,
-- and a breakdown (or the top links) reads daily rows for the former and quarter-hour rows for the
-- latter, exactly.
--
-- An account's rows keep a deleted link's past clicks (the overview counts what the account's links
-- were clicked, whether or not they still exist); they go with the account (ON DELETE CASCADE).
-- Links without an owner belong to no account and have no account rows. A link never changes owner.

CREATE TABLE owner_click_rollups (
    owner_id  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    bucket    timestamptz NOT NULL
        CHECK (bucket = date_bin('15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')),
    is_bot    boolean     NOT NULL,
    clicks    bigint      NOT NULL DEFAULT 0,
    visitors  bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_id, bucket, is_bot)
);

CREATE TABLE owner_dimension_rollups (
    owner_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    dimension  text        NOT NULL,
    bucket     timestamptz NOT NULL
        CHECK (bucket = date_bin('15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00')),
    is_bot     boolean     NOT NULL,
    value      text        NOT NULL,
    clicks     bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_id, dimension, bucket, is_bot, value)
);

-- No foreign key to links, like click_rollups: a deleted link's rows are simply not read. Visitors
-- sum exactly over a day: each is counted once per link and UTC day, in the row of their first click.
CREATE TABLE click_days (
    link_id   bigint  NOT NULL,
    day       date    NOT NULL,  -- the UTC day
    is_bot    boolean NOT NULL,
    clicks    bigint  NOT NULL DEFAULT 0,
    visitors  bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (link_id, day, is_bot)
);

CREATE TABLE click_dimension_days (
    link_id    bigint  NOT NULL,
    dimension  text    NOT NULL,
    day        date    NOT NULL,  -- the UTC day
    is_bot     boolean NOT NULL,
    value      text    NOT NULL,
    clicks     bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (link_id, dimension, day, is_bot, value)
);

CREATE TABLE owner_dimension_days (
    owner_id   bigint  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    dimension  text    NOT NULL,
    day        date    NOT NULL,  -- the UTC day
    is_bot     boolean NOT NULL,
    value      text    NOT NULL,
    clicks     bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_id, dimension, day, is_bot, value)
);

-- Backfill from the quarter-hour rows. Rows of links already deleted have no owner any more, so
-- they stay out of the account rows (as they were out of the overview, which joined links).
INSERT INTO owner_click_rollups (owner_id, bucket, is_bot, clicks, visitors)
SELECT l.owner_id, r.bucket, r.is_bot, sum(r.clicks), sum(r.visitors)
FROM click_rollups r JOIN links l ON l.id = r.link_id
WHERE l.owner_id IS NOT NULL
GROUP BY 1, 2, 3;

INSERT INTO owner_dimension_rollups (owner_id, dimension, bucket, is_bot, value, clicks)
SELECT l.owner_id, d.dimension, d.bucket, d.is_bot, d.value, sum(d.clicks)
FROM click_dimension_rollups d JOIN links l ON l.id = d.link_id
WHERE l.owner_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;

-- AT TIME ZONE 'UTC', not ::date: a cast follows the session's TimeZone.
INSERT INTO click_days (link_id, day, is_bot, clicks, visitors)
SELECT link_id, (bucket AT TIME ZONE 'UTC')::date, is_bot, sum(clicks), sum(visitors)
FROM click_rollups
GROUP BY 1, 2, 3;

INSERT INTO click_dimension_days (link_id, dimension, day, is_bot, value, clicks)
SELECT link_id, dimension, (bucket AT TIME ZONE 'UTC')::date, is_bot, value, sum(clicks)
FROM click_dimension_rollups
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO owner_dimension_days (owner_id, dimension, day, is_bot, value, clicks)
SELECT owner_id, dimension, (bucket AT TIME ZONE 'UTC')::date, is_bot, value, sum(clicks)
FROM owner_dimension_rollups
GROUP BY 1, 2, 3, 4, 5;
