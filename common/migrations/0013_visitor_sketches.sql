-- Unique visitors as HyperLogLog sketches (issue 17, item 4; common/visitors.py).
--
-- Visitors were counted once per link and UTC day, in the rollup row of the visitor's first click of
-- that day, and a range's visitors were the sum of its rows: a week's "visitors" counted someone who
-- came back daily seven times, an account's counted someone who opened two links twice, and a range
-- starting mid-day missed visitors whose first click of the day came before it. A sketch per rollup
-- row instead holds the row's distinct visitors in a form that unions: the API merges the sketches of
-- the rows a range is made of, so visitors are distinct over any range, in any zone, for a link or an
-- account.
--
-- The worker writes the sketches in the transaction that writes the counts (worker/apply.py). Rows
-- are per quarter hour (click_rollups, owner_click_rollups) and per UTC day (click_days, and the new
-- owner_click_days), so a range reads whole days' sketches and quarter hours only at its edges.
--
-- The old per-day counts cannot become distinct counts (which visitors they held is not kept), so
-- they are dropped with the per-day visitor set: visitors are counted from this migration on, and a
-- range before it reports its clicks with no visitors.
ALTER TABLE click_rollups DROP COLUMN visitors, ADD COLUMN visitor_sketch bytea;
ALTER TABLE owner_click_rollups DROP COLUMN visitors, ADD COLUMN visitor_sketch bytea;
ALTER TABLE click_days DROP COLUMN visitors, ADD COLUMN visitor_sketch bytea;
DROP TABLE link_visitors;

-- An account's clicks and visitors per UTC day: the whole days of a range, as click_days for a link.
CREATE TABLE owner_click_days (
    owner_id        bigint  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day             date    NOT NULL,  -- the UTC day
    is_bot          boolean NOT NULL,
    clicks          bigint  NOT NULL DEFAULT 0,
    visitor_sketch  bytea,
    PRIMARY KEY (owner_id, day, is_bot)
);

-- AT TIME ZONE 'UTC', not ::date: a cast follows the session's TimeZone.
INSERT INTO owner_click_days (owner_id, day, is_bot, clicks)
SELECT owner_id, (bucket AT TIME ZONE 'UTC')::date, is_bot, sum(clicks)
FROM owner_click_rollups
GROUP BY 1, 2, 3;
