-- The catalog: items, their images, one current vector per item and model, view events,
-- job runs and per-item embedding failures.

CREATE TABLE items (
    id          text PRIMARY KEY CHECK (id <> ''),
    title       text NOT NULL DEFAULT '',
    category    text NOT NULL DEFAULT '',
    attributes  jsonb NOT NULL DEFAULT '{}'::jsonb,
    image_uri   text,
    in_stock    boolean NOT NULL DEFAULT true,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_category ON items (category) WHERE active;

-- What we know about each item's image, to find new and changed images cheaply:
-- file size and mtime (local files) or ETag / Last-Modified (URLs), confirmed by the content hash.
CREATE TABLE item_images (
    item_id         text PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    uri             text NOT NULL,
    file_size       bigint,
    file_mtime      timestamptz,
    etag            text,
    last_modified   text,
    content_sha256  bytea,          -- of the bytes last embedded
    checked_at      timestamptz,
    last_error      text,
    -- The embedding job's queue: set when the image is new or changed (or a full re-embed is
    -- asked for), cleared when its vector is written.
    needs_embedding boolean NOT NULL DEFAULT true
);
CREATE INDEX item_images_needs_embedding ON item_images (item_id) WHERE needs_embedding;

-- One current vector per item and model identifier (network/weights/preprocessing).
-- vector: little-endian float32, L2-normalised, 4 * dims bytes.
CREATE TABLE embeddings (
    item_id       text NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    model         text NOT NULL,
    dims          integer NOT NULL CHECK (dims > 0),
    vector        bytea NOT NULL CHECK (length(vector) = 4 * dims),
    image_sha256  bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, model)
);
CREATE INDEX embeddings_model ON embeddings (model);

-- Views arrive from shops and may name items the catalog does not have yet: no foreign key.
CREATE TABLE view_events (
    id           bigserial PRIMARY KEY,
    session_id   text NOT NULL CHECK (session_id <> ''),
    item_id      text NOT NULL CHECK (item_id <> ''),
    viewed_at    timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX view_events_session ON view_events (session_id, viewed_at);
CREATE INDEX view_events_viewed_at ON view_events (viewed_at);

CREATE TABLE job_runs (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL,             -- backfill | nightly | import-catalog | import-views | ...
    model        text,
    host         text NOT NULL DEFAULT '',
    pid          integer,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    counts       jsonb NOT NULL DEFAULT '{}'::jsonb,
    message      text
);
CREATE INDEX job_runs_kind_started ON job_runs (kind, started_at DESC);

CREATE TABLE embedding_failures (
    item_id          text NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    model            text NOT NULL,
    error_class      text NOT NULL,
    message          text NOT NULL,
    attempts         integer NOT NULL DEFAULT 1,
    first_failed_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz NOT NULL DEFAULT now(),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, model)
);
