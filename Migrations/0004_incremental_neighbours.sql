-- Incremental image-neighbour updates: vectors written before this time are reflected in the
-- model's lists (`reco neighbours update` reads only newer ones). built_at is when the lists
-- last changed, by a rebuild or an update.
ALTER TABLE image_neighbour_builds ADD COLUMN vectors_through timestamptz;
