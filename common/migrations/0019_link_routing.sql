-- Targeting rules and A/B split (common/routing.py). Both are JSON written by admin only
-- (admin/link_routing.py validates them) and read where the edge's record is built
-- (common/linkstore.py); NULL: the link has none. A change bumps the link's version, which queues
-- the code for the edge (migration 0007's trigger).
--
--   rules     [{"name", "target", "conditions": {"devices", "os", "browsers", "countries",
--               "languages", "starts_at", "ends_at"}}, ...]: first match wins
--   variants  [{"name", "target", "weight"}, ...]: visitors no rule matches, split by weight
ALTER TABLE links
    ADD COLUMN rules    jsonb CHECK (jsonb_typeof(rules) = 'array' AND jsonb_array_length(rules) BETWEEN 1 AND 25),
    ADD COLUMN variants jsonb CHECK (jsonb_typeof(variants) = 'array' AND jsonb_array_length(variants) BETWEEN 2 AND 10);

-- Which route of a routed link a click took: "rule:{name}" or "variant:{name}"; '' for the link's
-- own target. A metadata-only change: existing rows read the default, nothing is rewritten.
ALTER TABLE clicks ADD COLUMN route text NOT NULL DEFAULT '';
