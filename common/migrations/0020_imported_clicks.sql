-- Clicks a link had in the shortener it was imported from (Bitly, Shlink, Kutt, YOURLS; admin/importers/),
-- as that product counted them. Kept apart from click_count on purpose: Hop's own counts hold only the
-- clicks its edge saw, each once, with the rollups and visitor sketches that explain them; the
-- source's total is history Hop cannot break down (no times, no visitors, its own bot rules), so adding
-- it to click_count would make the analytics disagree with the link's count. It never changes after
-- the import and has no part in max_clicks or in the edge's record.
ALTER TABLE links ADD COLUMN imported_clicks bigint NOT NULL DEFAULT 0 CHECK (imported_clicks >= 0);
