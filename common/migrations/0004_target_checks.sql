-- Postgres refuses a link target no browser should be sent to, whoever writes the row (the admin
-- API canonicalises targets first; this is the net under it and under hand-written SQL): the
-- scheme is http:// or https://, in lower case as canonical URLs have it, and no control
-- character (CR/LF would split the edge's Location header). 0001 already limits the length to
-- 2,048 and redirect_status to 301, 302, 307 and 308 (links_redirect_status_check).
--
-- ADD CONSTRAINT checks the existing rows: if one fails, this migration stops and changes nothing.
-- Find such rows with:
--   SELECT code, target_url FROM links
--   WHERE NOT (target_url ~ '^https?://' AND target_url !~ '[\u0001-\u001f\u007f]');
ALTER TABLE links
    ADD CONSTRAINT links_target_url_safe
    CHECK (target_url ~ '^https?://' AND target_url !~ '[\u0001-\u001f\u007f]');
