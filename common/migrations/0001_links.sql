-- Links: the source of truth the edge's Redis records are built from.
CREATE TABLE links (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code          text        NOT NULL,
    target_url    text        NOT NULL CHECK (length(target_url) BETWEEN 1 AND 2048),
    redirect_status smallint  NOT NULL DEFAULT 302 CHECK (redirect_status IN (301, 302, 307, 308)),
    expires_at    timestamptz,
    max_clicks    bigint      CHECK (max_clicks IS NULL OR max_clicks > 0),
    forward_query boolean     NOT NULL DEFAULT false,
    disabled      boolean     NOT NULL DEFAULT false,
    title         text,
    tags          text[]      NOT NULL DEFAULT '{}',
    owner_id      bigint,
    click_count   bigint      NOT NULL DEFAULT 0,
    version       integer     NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT links_code_format CHECK (code ~ '^[A-Za-z0-9_-]{1,64}$')
);

-- Codes are case-sensitive (aB and Ab are different links), as in Bitly and Shlink.
CREATE UNIQUE INDEX links_code_key ON links (code);
CREATE INDEX links_owner_created_idx ON links (owner_id, created_at DESC, id DESC);
CREATE INDEX links_tags_idx ON links USING gin (tags);
