-- Co-views counted inside PostgreSQL (set-based, bounded memory): integer item keys in every
-- per-pair table, raw counts as unlogged tables the jobs swap in whole, and view_events
-- partitioned by month so retention drops whole partitions.

-- Item ids ↔ integer keys, for everything that stores pairs (events may name items the catalog
-- does not have yet, so this is not a column of items).
CREATE TABLE item_keys (
    key      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id  text NOT NULL UNIQUE
);
INSERT INTO item_keys (item_id)
SELECT item_id FROM (
    SELECT item_a AS item_id FROM coview_pairs UNION SELECT item_b FROM coview_pairs
    UNION SELECT item_id FROM coview_items UNION SELECT item_id FROM coview_item_lengths
    UNION SELECT item_id FROM coview_neighbours UNION SELECT neighbour_id FROM coview_neighbours
) ids ORDER BY item_id;

-- Raw counts: read and written only by the co-view jobs on the primary, rebuilt whole by
-- `reco coviews rebuild`: unlogged (no WAL for tens of millions of rows). After a crash
-- PostgreSQL empties them; `coview_builds.pair_rows` then disagrees and the next update recounts.
CREATE UNLOGGED TABLE coview_pairs_keyed (
    item_a    integer NOT NULL,        -- item_a < item_b
    item_b    integer NOT NULL,
    weight    double precision NOT NULL,
    sessions  integer NOT NULL,
    PRIMARY KEY (item_a, item_b)
);
INSERT INTO coview_pairs_keyed
SELECT least(a.key, b.key), greatest(a.key, b.key), p.weight, p.sessions
FROM coview_pairs p JOIN item_keys a ON a.item_id = p.item_a JOIN item_keys b ON b.item_id = p.item_b;
DROP TABLE coview_pairs;
ALTER TABLE coview_pairs_keyed RENAME TO coview_pairs;
ALTER INDEX coview_pairs_keyed_pkey RENAME TO coview_pairs_pkey;
CREATE INDEX coview_pairs_b ON coview_pairs (item_b);

CREATE UNLOGGED TABLE coview_item_lengths_keyed (
    item    integer NOT NULL,
    length  integer NOT NULL,
    weight  double precision NOT NULL,
    PRIMARY KEY (item, length)
);
INSERT INTO coview_item_lengths_keyed
SELECT k.key, l.length, l.weight FROM coview_item_lengths l JOIN item_keys k USING (item_id);
DROP TABLE coview_item_lengths;
ALTER TABLE coview_item_lengths_keyed RENAME TO coview_item_lengths;
ALTER INDEX coview_item_lengths_keyed_pkey RENAME TO coview_item_lengths_pkey;

-- Served (and replicated): logged.
CREATE TABLE coview_items_keyed (
    item      integer PRIMARY KEY,
    weight    double precision NOT NULL,
    sessions  integer NOT NULL
);
INSERT INTO coview_items_keyed SELECT k.key, i.weight, i.sessions FROM coview_items i JOIN item_keys k USING (item_id);
DROP TABLE coview_items;
ALTER TABLE coview_items_keyed RENAME TO coview_items;
ALTER INDEX coview_items_keyed_pkey RENAME TO coview_items_pkey;

CREATE TABLE coview_neighbours_keyed (
    item       integer NOT NULL,
    rank       integer NOT NULL CHECK (rank >= 1),
    neighbour  integer NOT NULL,
    score      double precision NOT NULL,
    sessions   integer NOT NULL,
    PRIMARY KEY (item, rank)
);
INSERT INTO coview_neighbours_keyed
SELECT a.key, n.rank, b.key, n.score, n.sessions
FROM coview_neighbours n JOIN item_keys a ON a.item_id = n.item_id JOIN item_keys b ON b.item_id = n.neighbour_id;
DROP TABLE coview_neighbours;
ALTER TABLE coview_neighbours_keyed RENAME TO coview_neighbours;
ALTER INDEX coview_neighbours_keyed_pkey RENAME TO coview_neighbours_pkey;

ALTER TABLE coview_builds ADD COLUMN pair_rows bigint;
-- Events a job skipped because they would poison the arithmetic (over-long ids, times outside
-- the accepted window), cumulative since the last rebuild.
ALTER TABLE coview_builds ADD COLUMN skipped_events bigint NOT NULL DEFAULT 0;
UPDATE coview_builds SET pair_rows = (SELECT count(*) FROM coview_pairs);

-- view_events, partitioned by month of viewed_at. Rows outside every month partition (very old
-- data) land in the default partition; reco_ensure_view_partitions creates months ahead and
-- moves matching rows out of the default partition first.
ALTER TABLE view_events RENAME TO view_events_unpartitioned;
ALTER INDEX view_events_pkey RENAME TO view_events_unpartitioned_pkey;
CREATE TABLE view_events (
    id           bigint NOT NULL DEFAULT nextval('view_events_id_seq'),
    session_id   text NOT NULL CHECK (session_id <> ''),
    item_id      text NOT NULL CHECK (item_id <> ''),
    viewed_at    timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, viewed_at)
) PARTITION BY RANGE (viewed_at);
ALTER SEQUENCE view_events_id_seq OWNED BY view_events.id;
CREATE TABLE view_events_default PARTITION OF view_events DEFAULT;
CREATE INDEX view_events_session_at ON view_events (session_id, viewed_at);

CREATE FUNCTION reco_ensure_view_partitions(first_month date, last_month date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m date := date_trunc('month', first_month)::date;
    lower_bound timestamptz;
    upper_bound timestamptz;
    name text;
    created integer := 0;
BEGIN
    -- One creator at a time (jobs on several machines may call this together).
    PERFORM pg_advisory_xact_lock(7263002);
    WHILE m <= last_month LOOP
        name := format('view_events_%s', to_char(m, 'YYYY_MM'));
        IF to_regclass(name) IS NULL THEN
            lower_bound := m::timestamp AT TIME ZONE 'UTC';
            upper_bound := (m + interval '1 month')::timestamp AT TIME ZONE 'UTC';
            EXECUTE format('CREATE TABLE %I (LIKE view_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
            EXECUTE format('WITH moved AS (DELETE FROM view_events_default WHERE viewed_at >= %L AND viewed_at < %L '
                           'RETURNING *) INSERT INTO %I SELECT * FROM moved', lower_bound, upper_bound, name);
            EXECUTE format('ALTER TABLE view_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                           name, lower_bound, upper_bound);
            created := created + 1;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN created;
END $$;

-- Retention: drops the month partitions that end at or before `cutoff` (whole tables, no
-- vacuum debt) and deletes older rows from the default partition. Returns what went.
CREATE FUNCTION reco_prune_view_events(cutoff timestamptz) RETURNS TABLE (partitions integer, events bigint)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n bigint;
    dropped integer := 0;
    removed bigint := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(7263002);
    FOR r IN SELECT c.oid::regclass AS part, c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'view_events'::regclass AND c.relname ~ '^view_events_[0-9]{4}_[0-9]{2}$'
    LOOP
        IF (to_date(substr(r.relname, 13), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= cutoff THEN
            EXECUTE format('SELECT count(*) FROM %s', r.part) INTO n;
            EXECUTE format('DROP TABLE %s', r.part);
            dropped := dropped + 1;
            removed := removed + n;
        END IF;
    END LOOP;
    DELETE FROM view_events_default WHERE viewed_at < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN QUERY SELECT dropped, removed + n;
END $$;

SELECT reco_ensure_view_partitions(
    greatest(coalesce((SELECT min(viewed_at) FROM view_events_unpartitioned), now()), now() - interval '3 years')::date,
    (now() + interval '3 months')::date);
INSERT INTO view_events (id, session_id, item_id, viewed_at, received_at)
SELECT id, session_id, item_id, viewed_at, received_at FROM view_events_unpartitioned;
DROP TABLE view_events_unpartitioned;
