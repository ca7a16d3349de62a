-- UTM parameters merged into a link's target when the edge's record is built (common/utm.py), and
-- the social preview (Open Graph title, description, image) the edge serves to link-preview
-- crawlers instead of the redirect (edge/previews.py). NULL: not set. A change bumps the link's
-- version, which queues the code for the edge (migration 0007's trigger).
ALTER TABLE links
    ADD COLUMN utm_source          text CHECK (length(utm_source) <= 200),
    ADD COLUMN utm_medium          text CHECK (length(utm_medium) <= 200),
    ADD COLUMN utm_campaign        text CHECK (length(utm_campaign) <= 200),
    ADD COLUMN utm_term            text CHECK (length(utm_term) <= 200),
    ADD COLUMN utm_content         text CHECK (length(utm_content) <= 200),
    ADD COLUMN preview_title       text CHECK (length(preview_title) <= 200),
    ADD COLUMN preview_description text CHECK (length(preview_description) <= 500),
    ADD COLUMN preview_image       text CHECK (preview_image ~ '^https?://' AND length(preview_image) <= 2048);
