#!/usr/bin/env python3
"""Writes the first N Fashion-MNIST images (Debian dataset-fashion-mnist, MIT, Zalando) as 28×28
greyscale PNG files, plus catalog.csv (id,title,category,image) with the class as category.
"all" writes the first N train images and all 10,000 test images into one catalog.
Standard library only. usage: fashion_images.py OUT_DIR N [train|t10k|all]"""
import gzip, os, struct, sys, zlib

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
SRC = "/usr/share/datasets/fashion-mnist"


def png(width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write(out, csv, n, split):
    images = gzip.open(f"{SRC}/{split}-images-idx3-ubyte.gz").read()
    labels = gzip.open(f"{SRC}/{split}-labels-idx1-ubyte.gz").read()
    n = min(n, struct.unpack(">I", images[4:8])[0])
    for i in range(n):
        pixels = images[16 + i * 784:16 + (i + 1) * 784]
        name = f"{split}{i:05d}"
        path = os.path.join(out, "img", name + ".png")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(png(28, 28, [pixels[r * 28:(r + 1) * 28] for r in range(28)]))
        label = CLASSES[labels[8 + i]]
        csv.write(f"{name},{label} {i},{label},img/{name}.png,true\n")


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    split = sys.argv[3] if len(sys.argv) > 3 else "train"
    os.makedirs(os.path.join(out, "img"), exist_ok=True)
    with open(os.path.join(out, "catalog.csv"), "w") as csv:
        csv.write("id,title,category,image,in_stock\n")
        for part, count in ([("train", n), ("t10k", 10000)] if split == "all" else [(split, n)]):
            write(out, csv, count, part)


if __name__ == "__main__":
    main()
