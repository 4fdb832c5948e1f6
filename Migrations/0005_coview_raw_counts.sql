-- Raw co-view counts, kept so the normalisation can change and new events can be added from the
-- watermark without a recount (`reco coviews update`). Weights are expressed at a fixed epoch,
-- 2026-01-01T00:00:00Z: a session at time t weighs 2^((t − epoch) / half-life), so decaying to
-- "now" is one common factor applied when scoring, and stored counts are never rewritten for it.
CREATE TABLE coview_pairs (
    item_a    text NOT NULL,        -- item_a < item_b
    item_b    text NOT NULL,
    weight    double precision NOT NULL,
    sessions  integer NOT NULL,
    PRIMARY KEY (item_a, item_b)
);
CREATE INDEX coview_pairs_b ON coview_pairs (item_b);

-- Per item, epoch-weighted sessions by their number of distinct items (the expected-count score).
CREATE TABLE coview_item_lengths (
    item_id  text NOT NULL,
    length   integer NOT NULL,
    weight   double precision NOT NULL,
    PRIMARY KEY (item_id, length)
);

ALTER TABLE coview_builds ADD COLUMN views double precision NOT NULL DEFAULT 0;
ALTER TABLE coview_builds ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- coview_items.weight and coview_builds.sessions are epoch-weighted from now on: what a build
-- before this migration stored is dropped (derived data: `reco coviews rebuild` recounts it).
DELETE FROM coview_neighbours;
DELETE FROM coview_items;
DELETE FROM coview_builds;
