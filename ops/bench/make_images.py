#!/usr/bin/env python3
"""Writes N deterministic 640-px JPEGs (quality 88) made from the project's four fixture photos by
random crops, flips and colour changes: the benchmark's image set. usage: make_images.py DIR N"""
import os, random, sys
from PIL import Image, ImageEnhance

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
photos = [Image.open(os.path.join(root, "Tests/EmbeddingTests/Fixtures", n)).convert("RGB")
          for n in ("chelsea_cat.jpg", "coffee_cup.jpg", "rocket.jpg", "astronaut.jpg")]
out, count = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
rng = random.Random(42)
for i in range(count):
    path = os.path.join(out, f"img{i:04d}.jpg")
    if os.path.exists(path):
        continue
    im = photos[i % len(photos)]
    w, h = im.size
    cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    im = im.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.5:
        im = im.transpose(Image.FLIP_LEFT_RIGHT)
    im = ImageEnhance.Color(im).enhance(rng.uniform(0.6, 1.4))
    scale = 640 / max(im.size)
    im = im.resize((round(im.width * scale), round(im.height * scale)), Image.BICUBIC)
    im.save(path, quality=88)
