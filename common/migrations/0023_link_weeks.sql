-- Each link's clicks per UTC week (issue 17, item 6).
--
-- An account's top links summed every daily row of its links inside a range: for 1,000 busy links,
-- a 30-day range is 30,000 rows or more, read and summed on every call. With a row per link and
-- week, its whole weeks (three or four of any 30 days) are a few thousand: a range is now its whole
-- UTC weeks (from Monday), the days at their two sides, and the quarter hours of its partial days,
-- as the breakdowns read theirs (0015; admin/analytics.py, signed_stretches). Clicks only: visitors
-- are counted from the daily and quarter-hour sketches. The worker adds to these rows in the
-- transaction that adds to the daily ones, summed from those (worker/apply.py); owner_id as in
-- click_days (0014), with the same plain index, which no update of clicks touches.

CREATE TABLE click_weeks (
    link_id   bigint  NOT NULL,
    week      date    NOT NULL CHECK (extract(isodow FROM week) = 1),  -- the Monday starting the UTC week
    is_bot    boolean NOT NULL,
    clicks    bigint  NOT NULL DEFAULT 0,
    owner_id  bigint,
    PRIMARY KEY (link_id, week, is_bot)
);

-- A date minus a whole number of days is a date, whatever the session's TimeZone. A link's rows all
-- carry its owner (a link never changes owner), so max() only picks it.
INSERT INTO click_weeks (link_id, week, is_bot, clicks, owner_id)
SELECT link_id, day - (extract(isodow FROM day)::int - 1), is_bot, sum(clicks), max(owner_id)
FROM click_days
GROUP BY 1, 2, 3;

CREATE INDEX click_weeks_owner_week_idx ON click_weeks (owner_id, week) WHERE owner_id IS NOT NULL;
