-- Each active item's most image-similar active items under one model identifier, computed by
-- `reco neighbours rebuild` (exact, blocked SGEMM). Rank 1 is the most similar.
CREATE TABLE image_neighbours (
    model         text NOT NULL,
    item_id       text NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    rank          integer NOT NULL CHECK (rank >= 1),
    neighbour_id  text NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    score         double precision NOT NULL,
    PRIMARY KEY (model, item_id, rank)
);

CREATE TABLE image_neighbour_builds (
    model         text PRIMARY KEY,
    k             integer NOT NULL,
    items         integer NOT NULL,
    seconds       double precision NOT NULL,
    built_at      timestamptz NOT NULL DEFAULT now()
);
