#!/usr/bin/env python3
"""The close-match threshold of search by image, from measurement (see ops/eval/close-match).
usage: close_match.py RECO DEMO_CATALOG_CSV OUT_DIR (OUT_DIR holds train/ and test/ Fashion-MNIST
catalogs from fashion_images.py). Vectors are embedded with `reco embed` and cached in OUT_DIR."""
import csv, json, os, subprocess, sys

import numpy as np


def catalog(path):
    """(ids, labels, image paths) of a catalog CSV; the label is the subcategory when there is one."""
    rows = list(csv.DictReader(open(path)))
    base = os.path.dirname(path)
    return ([r["id"] for r in rows], [r.get("subcategory") or r["category"] for r in rows],
            [os.path.join(base, r["image"]) for r in rows])


def vectors(reco, paths, cache):
    if not os.path.exists(cache):
        out = subprocess.run([reco, "embed", *paths], check=True, capture_output=True, text=True).stdout
        open(cache, "w").write(out)
    rows = [json.loads(line) for line in open(cache)]
    assert len(rows) == len(paths), f"{cache}: {len(rows)} vectors for {len(paths)} images"
    return np.array([r["vector"] for r in rows], np.float32)


def best(queries, catalog, exclude_self=False):
    scores = queries @ catalog.T
    if exclude_self:
        np.fill_diagonal(scores, -1)
    return scores.max(axis=1), scores.argmax(axis=1)


def main():
    reco, demo_csv, out = sys.argv[1:4]
    d_ids, d_labels, d_paths = catalog(demo_csv)
    _, tr_labels, tr_paths = catalog(os.path.join(out, "train", "catalog.csv"))
    _, te_labels, te_paths = catalog(os.path.join(out, "test", "catalog.csv"))
    demo = vectors(reco, d_paths, os.path.join(out, "demo.jsonl"))
    train = vectors(reco, tr_paths, os.path.join(out, "train.jsonl"))
    test = vectors(reco, te_paths, os.path.join(out, "test.jsonl"))
    d_labels, tr_labels, te_labels = map(np.array, (d_labels, tr_labels, te_labels))

    # Positives: a query whose best match is of its own kind. Demo: leave one out; Fashion-MNIST:
    # test thumbnails against the train catalog.
    demo_best, demo_arg = best(demo, demo, exclude_self=True)
    fashion_best, fashion_arg = best(test, train)
    positives = {"demo": demo_best[d_labels[demo_arg] == d_labels],
                 "fashion": fashion_best[tr_labels[fashion_arg] == te_labels]}
    # Negatives: the other domain's catalog.
    negatives = {"fashion→demo": best(test, demo)[0], "demo→fashion": best(demo, train)[0]}
    pct = lambda v: " ".join(f"p{p}={np.percentile(v, p):.3f}" for p in (1, 5, 25, 50, 75, 95, 99))
    for name, v in {**positives, **negatives}.items():
        print(f"{name:14s} n={len(v):5d} {pct(v)}")
    # The threshold: the one that best separates the four sets, each weighted alike (the largest
    # mean of "positives called close" and "negatives called not close").
    every_negative = np.concatenate(list(negatives.values()))
    def balanced(t):
        return (np.mean([np.mean(v >= t) for v in positives.values()])
                + np.mean([np.mean(v < t) for v in negatives.values()])) / 2
    threshold = max(np.arange(0.30, 0.90, 0.005), key=balanced)
    print("RESULT close_match " + " ".join([
        f"threshold={threshold:.3f}",
        *(f"{name}_called_close={np.mean(v >= threshold):.3f}" for name, v in positives.items()),
        *(f"{name.replace('→', '_in_')}_called_close={np.mean(v >= threshold):.3f}" for name, v in negatives.items()),
        f"balanced_accuracy={balanced(threshold):.3f}", f"negatives_max={every_negative.max():.3f}",
    ]))


if __name__ == "__main__":
    main()
