#!/usr/bin/env python3
"""Category precision@1 and @10 of image neighbours on Fashion-MNIST:
the 10,000 test images (ids t10k*) as queries against the 60,000 train images (ids train*), by
cosine of the vectors reco stored (model MODEL), and the same for raw pixels as a baseline.
Prints one JSON line. usage: fashion_precision.py DATABASE_URL MODEL"""
import gzip, json, struct, subprocess, sys

import numpy as np

SRC = "/usr/share/datasets/fashion-mnist"


def labels(split):
    return np.frombuffer(gzip.open(f"{SRC}/{split}-labels-idx1-ubyte.gz").read()[8:], np.uint8)


def pixels(split):
    return np.frombuffer(gzip.open(f"{SRC}/{split}-images-idx3-ubyte.gz").read()[16:], np.uint8).reshape(-1, 784).astype(np.float32)


def stored_vectors(url, model, prefix, count):
    """The vectors of items prefix00000… in id order, read with one COPY (hex bytea text)."""
    sql = (f"COPY (SELECT item_id, encode(vector, 'hex') FROM embeddings WHERE model = '{model}' "
           f"AND item_id LIKE '{prefix}%' ORDER BY item_id) TO STDOUT")
    out = subprocess.run(["psql", url, "-qAtc", sql], check=True, capture_output=True, text=True).stdout.splitlines()
    assert len(out) == count, f"{len(out)} {prefix} vectors stored, expected {count}"
    return np.stack([np.frombuffer(bytes.fromhex(line.split("\t")[1]), "<f4") for line in out])


def precision(queries, candidates, q_labels, c_labels, k=10):
    queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    candidates = candidates / np.linalg.norm(candidates, axis=1, keepdims=True)
    at1 = at10 = 0.0
    for start in range(0, len(queries), 1000):
        sims = queries[start:start + 1000] @ candidates.T
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        top = np.take_along_axis(top, order, axis=1)
        same = c_labels[top] == q_labels[start:start + 1000, None]
        at1 += same[:, 0].sum()
        at10 += same.mean(axis=1).sum()
    return at1 / len(queries), at10 / len(queries)


def main():
    url, model = sys.argv[1], sys.argv[2]
    train_l, test_l = labels("train"), labels("t10k")
    p1, p10 = precision(stored_vectors(url, model, "t10k", 10000), stored_vectors(url, model, "train", 60000), test_l, train_l)
    r1, r10 = precision(pixels("t10k"), pixels("train"), test_l, train_l)
    print(json.dumps({"model_p1": round(p1, 4), "model_p10": round(p10, 4), "pixels_p1": round(r1, 4), "pixels_p10": round(r10, 4)}))


if __name__ == "__main__":
    main()
