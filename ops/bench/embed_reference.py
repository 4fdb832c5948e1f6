#!/usr/bin/env python3
"""onnxruntime side of ops/bench/embed: embeds FILES with the ONNX graph of the same network, in
its best configuration on this machine (two worker processes with one thread each; or one process
with N intra-op threads), and prints one JSON line: images, seconds (excluding session start-up),
peak RSS of the largest process (KB), and the features of the first image (for a cross-check).

usage: embed_reference.py WEIGHTS MODE(forward|e2e) PROCS THREADS FILE...
REFERENCE_MODEL=FILE.onnx runs that graph instead (the int8 one from onnx_int8_reference.py)."""
import json, os, resource, sys, time
from multiprocessing import get_context

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_reference import build, to_input  # noqa: E402

_session = None
_size = None


def _init(weights, threads):
    global _session, _size
    import onnxruntime as ort
    model, spec = build(weights)
    if os.environ.get("REFERENCE_MODEL"):
        import onnx
        model = onnx.load(os.environ["REFERENCE_MODEL"])
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    _session = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    _size = spec["input_size"]
    _session.run(None, {"input": np.zeros((1, 3, _size, _size), np.float32)})  # warm-up


def _embed(job):
    mode, path = job
    if mode == "forward":
        rgb = open(path, "rb").read()
    else:  # decode + antialiased bilinear resize with Pillow, as the reference pipeline does
        from PIL import Image
        with Image.open(path) as im:
            rgb = im.convert("RGB").resize((_size, _size), Image.BILINEAR).tobytes()
    return _session.run(None, {"input": to_input(rgb, _size)})[0][0]


def _ready(_):
    return os.getpid()


def main():
    weights, mode, procs, threads, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
    ctx = get_context("fork")
    with ctx.Pool(procs, initializer=_init, initargs=(weights, threads)) as pool:
        pool.map(_ready, range(procs * 4))  # every worker has built and warmed its session
        start = time.perf_counter()
        results = pool.map(_embed, [(mode, f) for f in files], chunksize=8)
        seconds = time.perf_counter() - start
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    print(json.dumps({"images": len(files), "seconds": seconds, "peak_rss_kb": peak,
                      "first": [float(x) for x in results[0]]}))


if __name__ == "__main__":
    main()
