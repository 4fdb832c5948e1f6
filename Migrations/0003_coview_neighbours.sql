-- Co-view neighbours computed by `reco coviews rebuild` from view_events: per item, the items
-- viewed in the same sessions, normalised by the configured method. Rank 1 is the strongest.
CREATE TABLE coview_neighbours (
    item_id       text NOT NULL,
    rank          integer NOT NULL CHECK (rank >= 1),
    neighbour_id  text NOT NULL,
    score         double precision NOT NULL,
    sessions      integer NOT NULL,
    PRIMARY KEY (item_id, rank)
);

-- Per item, its co-view evidence: decayed and raw counts of sessions that viewed it.
CREATE TABLE coview_items (
    item_id   text PRIMARY KEY,
    weight    double precision NOT NULL,
    sessions  integer NOT NULL
);

CREATE TABLE coview_builds (
    id              boolean PRIMARY KEY DEFAULT true CHECK (id),
    as_of           timestamptz NOT NULL,
    events_through  bigint NOT NULL,     -- the last view_events.id counted
    method          text NOT NULL,
    config          jsonb NOT NULL,
    sessions        double precision NOT NULL,
    bot_sessions    integer NOT NULL,
    seconds         double precision NOT NULL,
    built_at        timestamptz NOT NULL DEFAULT now()
);
