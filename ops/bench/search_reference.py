#!/usr/bin/env python3
"""The reference side of ops/bench/search: one search by image the Python way, in one thread —
Pillow decode + antialiased resize, the same network on onnxruntime (1 intra-op thread), numpy
float32 matrix-vector product over N random L2-normalised 1280-d rows, argpartition top 20.
Prints one JSON line: p50/p99 milliseconds over ROUNDS searches of FILES (round robin).

usage: search_reference.py WEIGHTS N_ROWS ROUNDS FILE..."""
import io, json, os, sys, time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import embed_reference  # noqa: E402


def main():
    weights, rows, rounds, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    embed_reference._init(weights, 1)
    rng = np.random.default_rng(1)
    m = np.abs(rng.standard_normal((rows, 1280), dtype=np.float32))
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    blobs = [open(f, "rb").read() for f in files]
    times = []
    for r in range(rounds + 4):
        start = time.perf_counter()
        with Image.open(io.BytesIO(blobs[r % len(blobs)])) as im:
            rgb = im.convert("RGB").resize((embed_reference._size,) * 2, Image.BILINEAR).tobytes()
        q = embed_reference._session.run(None, {"input": embed_reference.to_input(rgb, embed_reference._size)})[0][0]
        q = q / np.linalg.norm(q)
        scores = m @ q
        top = np.argpartition(-scores, 20)[:20]
        top = top[np.argsort(-scores[top])]
        if r >= 4:  # the first rounds warm caches
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(json.dumps({"searches": len(times), "p50_ms": times[len(times) // 2], "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))]}))


if __name__ == "__main__":
    main()
