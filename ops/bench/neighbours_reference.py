#!/usr/bin/env python3
"""numpy side of ops/bench/neighbours: exact top-K neighbours of every row, blocked
(X[block] @ X.T, self masked, argpartition, sort), and optionally a check against reco's output.
usage: neighbours_reference.py VECTORS DIMS K [RECO_OUTPUT]"""
import json, sys, time
import numpy as np

path, dims, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = np.fromfile(path, "<f4").reshape(-1, dims)
n = len(x)
start = time.perf_counter()
idx = np.empty((n, k), np.int32)
val = np.empty((n, k), np.float32)
for r0 in range(0, n, 1024):
    s = x[r0:r0 + 1024] @ x.T
    rows = np.arange(s.shape[0])
    s[rows, r0 + rows] = -np.inf
    part = np.argpartition(-s, k, axis=1)[:, :k]
    top = np.take_along_axis(s, part, axis=1)
    order = np.argsort(-top, axis=1, kind="stable")
    idx[r0:r0 + 1024] = np.take_along_axis(part, order, axis=1)
    val[r0:r0 + 1024] = np.take_along_axis(top, order, axis=1)
seconds = time.perf_counter() - start
out = {"rows": n, "seconds": seconds}
if len(sys.argv) > 4:
    raw = np.fromfile(sys.argv[4], np.uint8).reshape(n, 8 * k)
    ours_idx = raw[:, :4 * k].copy().view("<i4")
    ours_val = raw[:, 4 * k:].copy().view("<f4")
    # Same sets up to float ties: recall of numpy's top-k in ours, and the max score difference.
    recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(idx, ours_idx)])
    out["recall_vs_numpy"] = float(recall)
    out["max_score_diff"] = float(np.abs(np.sort(val, axis=1) - np.sort(ours_val, axis=1)).max())
print(json.dumps(out))
