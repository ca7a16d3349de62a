-- Bot clicks per link, beside click_count (every click, humans and bots: max_clicks counts those).
-- A link shows its human/bot split without summing rollups: human clicks are click_count -
-- bot_clicks. The worker adds to both columns in one statement (worker/apply.py, _count_links),
-- in the transaction that writes the rollups, so they always agree with the analytics totals.
ALTER TABLE links ADD COLUMN bot_clicks bigint NOT NULL DEFAULT 0;

-- Existing links: the bot clicks already rolled up. click_rollups is never pruned and has always
-- been written in the transaction that added to click_count, so it holds every click counted so
-- far. least(): a click_count lowered by hand must not make human clicks negative (the CHECK below).
UPDATE links SET bot_clicks = least(r.clicks, links.click_count)
FROM (SELECT link_id, sum(clicks) AS clicks FROM click_rollups WHERE is_bot GROUP BY link_id) AS r
WHERE links.id = r.link_id;

ALTER TABLE links ADD CONSTRAINT links_bot_clicks CHECK (bot_clicks BETWEEN 0 AND click_count);
