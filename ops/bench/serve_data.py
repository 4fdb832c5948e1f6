"""Synthetic catalog for ops/bench/serve, written straight into PostgreSQL with COPY:
N items in 50 categories, 1280-d vectors that look like pooled CNN features (non-negative,
clustered: 2,000 visual "styles" plus per-item noise, L2-normalised), and browsing sessions
that stay within a style or category with a popularity skew. Seeded: the same data every run.
usage: serve_data.py DATABASE_URL N_ITEMS N_SESSIONS MODEL_ID"""
import io
import struct
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import numpy as np

url, n, sessions, model = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(7)
dims, styles, categories = 1280, 2000, 50


def psql(sql, data):
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql], input=data, check=True)


class Copy:
    """A COPY fed in pieces, so a million vectors never sit in memory at once."""

    def __init__(self, sql):
        self.process = subprocess.Popen(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql], stdin=subprocess.PIPE)

    def write(self, data):
        self.process.stdin.write(data)

    def close(self):
        self.process.stdin.close()
        if self.process.wait() != 0:
            sys.exit("COPY failed")


ids = [f"p{i:06d}" for i in range(n)]
style = rng.integers(0, styles, n)
category = style % categories  # a style belongs to one category
in_stock = rng.random(n) > 0.05
items = io.StringIO()
for i in range(n):
    items.write(f"{ids[i]}\tProduct {i}\tcat-{category[i]:02d}\t{'t' if in_stock[i] else 'f'}\n")
psql("COPY items (id, title, category, in_stock) FROM STDIN", items.getvalue().encode())

# Binary COPY of embeddings: (item_id text, model text, dims int4, vector bytea, image_sha256 bytea).
centres = np.abs(rng.standard_normal((styles, dims), dtype=np.float32)) ** 2
out = Copy("COPY embeddings (item_id, model, dims, vector, image_sha256) FROM STDIN (FORMAT binary)")
out.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
model_bytes = model.encode()
for start in range(0, n, 10000):
    stop = min(n, start + 10000)
    x = centres[style[start:stop]] + 0.8 * np.abs(rng.standard_normal((stop - start, dims), dtype=np.float32)) ** 2
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    chunk = io.BytesIO()
    for j, v in enumerate(x.astype("<f4")):
        i = start + j
        key = ids[i].encode()
        vec = v.tobytes()
        sha = i.to_bytes(32, "big")
        chunk.write(struct.pack(">h", 5))
        for field in (key, model_bytes, struct.pack(">i", dims), vec, sha):
            chunk.write(struct.pack(">i", len(field)) + field)
    out.write(chunk.getvalue())
out.write(struct.pack(">h", -1))
out.close()

# Sessions: one intent (a style, sometimes its whole category), 2-8 views, popular items first.
popularity = rng.pareto(1.2, n) + 1


def pools(keys):
    """Per key: its items and their cumulative popularity, for draws by bisection (a catalog of a
    million items has pools of 20,000: a weighted choice over each would dominate the run)."""
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.diff(keys[order])) + 1
    out = {}
    for members in np.split(order, bounds):
        out[keys[members[0]]] = (members, np.cumsum(popularity[members]))
    return out


by_style, by_category = pools(style), pools(category)
start_time = datetime.now(timezone.utc) - timedelta(days=60)
events = Copy("COPY view_events (session_id, item_id, viewed_at) FROM STDIN")
lines = []
count = 0
for s in range(sessions):
    anchor = int(rng.integers(0, n))
    members, cumulative = by_style[style[anchor]] if rng.random() < 0.7 else by_category[category[anchor]]
    k = min(len(members), int(rng.integers(2, 9)))
    draws = np.searchsorted(cumulative, rng.random(2 * k) * cumulative[-1], side="right")
    picked = members[np.unique(np.minimum(draws, len(members) - 1))[:k]]
    t = start_time + timedelta(seconds=int(rng.integers(0, 60 * 86400)))
    for j, i in enumerate(picked):
        lines.append(f"s{s}\t{ids[i]}\t{(t + timedelta(seconds=30 * j)).isoformat()}\n")
        count += 1
    if len(lines) >= 100_000:
        events.write("".join(lines).encode())
        lines = []
events.write("".join(lines).encode())
events.close()
print(f"{n} items, {n} vectors, {sessions} sessions, {count} view events")
