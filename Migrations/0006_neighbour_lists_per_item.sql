-- Image neighbours as one row per item (its neighbours in rank order, and their cosines as
-- little-endian float32): a 100,000-item catalog with K = 100 is 100,000 rows instead of
-- 10 million, which made the full rebuild's write and the service's reload take minutes.
-- Derived data: the lists are dropped here and rebuilt by `reco neighbours rebuild` / `update`.
DROP TABLE image_neighbours;
CREATE TABLE image_neighbours (
    model          text NOT NULL,
    item_id        text NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    neighbour_ids  text[] NOT NULL,
    scores         bytea NOT NULL CHECK (length(scores) = 4 * cardinality(neighbour_ids)),
    PRIMARY KEY (model, item_id)
);
DELETE FROM image_neighbour_builds;
