-- Breakdowns per UTC week (issue 17, item 6).
--
-- A breakdown reads a daily row per value and day inside its range: for a busy account's cities,
-- thousands a day, so a 30-day range is tens of thousands of rows, read and summed on every call.
-- A value seen on several days of a week has one weekly row, so the whole weeks inside a range
-- (three or four of any 30 days) read far fewer: a range is now its whole UTC weeks (from Monday),
-- the whole UTC days at their two sides, and the quarter hours of its two partial days
-- (admin/analytics.py, DaySplit and week_split). The worker adds to them in the transaction that
-- adds to the daily rows, summed from those (worker/apply.py). Covering keys, as 0014 made the
-- daily ones.

CREATE TABLE click_dimension_weeks (
    link_id    bigint  NOT NULL,
    dimension  text    NOT NULL,
    week       date    NOT NULL CHECK (extract(isodow FROM week) = 1),  -- the Monday starting the UTC week
    is_bot     boolean NOT NULL,
    value      text    NOT NULL,
    clicks     bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (link_id, dimension, week, is_bot, value) INCLUDE (clicks)
);

CREATE TABLE owner_dimension_weeks (
    owner_id   bigint  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    dimension  text    NOT NULL,
    week       date    NOT NULL CHECK (extract(isodow FROM week) = 1),
    is_bot     boolean NOT NULL,
    value      text    NOT NULL,
    clicks     bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_id, dimension, week, is_bot, value) INCLUDE (clicks)
);

-- A date minus a whole number of days is a date, whatever the session's TimeZone.
INSERT INTO click_dimension_weeks (link_id, dimension, week, is_bot, value, clicks)
SELECT link_id, dimension, day - (extract(isodow FROM day)::int - 1), is_bot, value, sum(clicks)
FROM click_dimension_days
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO owner_dimension_weeks (owner_id, dimension, week, is_bot, value, clicks)
SELECT owner_id, dimension, day - (extract(isodow FROM day)::int - 1), is_bot, value, sum(clicks)
FROM owner_dimension_days
GROUP BY 1, 2, 3, 4, 5;
