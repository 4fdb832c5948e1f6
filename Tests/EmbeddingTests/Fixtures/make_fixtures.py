#!/usr/bin/env python3
"""Writes the small synthetic decoder fixtures in this folder. Development-time only (needs
Pillow); the tests read the files it wrote, which are committed.

quadrants: a 48×32 image, red top-left, green top-right, blue bottom-left, white bottom-right,
stored under every EXIF orientation, in CMYK, grey, and several PNG flavours."""
import io, struct, zlib
from PIL import Image

W, H = 48, 32
COLORS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]


def quadrants():
    im = Image.new("RGB", (W, H))
    for y in range(H):
        for x in range(W):
            im.putpixel((x, y), COLORS[(y >= H // 2) * 2 + (x >= W // 2)])
    return im


# What a camera stores so that applying EXIF orientation N shows the upright image.
STORED = {
    1: lambda im: im,
    2: lambda im: im.transpose(Image.FLIP_LEFT_RIGHT),
    3: lambda im: im.transpose(Image.ROTATE_180),
    4: lambda im: im.transpose(Image.FLIP_TOP_BOTTOM),
    5: lambda im: im.transpose(Image.TRANSPOSE),
    6: lambda im: im.transpose(Image.ROTATE_90),   # displayed after a clockwise turn
    7: lambda im: im.transpose(Image.TRANSVERSE),
    8: lambda im: im.transpose(Image.ROTATE_270),
}

up = quadrants()
for n, f in STORED.items():
    exif = Image.Exif()
    exif[0x0112] = n
    f(up).save(f"orientation{n}.jpg", quality=95, exif=exif.tobytes())
up.convert("CMYK").save("cmyk.jpg", quality=95)
up.convert("L").save("grey.jpg", quality=95)
up.save("quadrants.png")
up.convert("L").save("grey.png")
up.convert("P", palette=Image.ADAPTIVE, colors=4).save("palette.png")
rgba = up.convert("RGBA")
for y in range(H // 2, H):  # bottom half fully transparent black: must become white
    for x in range(W):
        rgba.putpixel((x, y), (0, 0, 0, 0))
rgba.save("rgba.png")
up.save("quadrants.gif")


def png(width, height, bit_depth, colour_type, raw_rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw_rows)) + chunk(b"IEND", b"")


# 16-bit RGB quadrants (Pillow cannot write it).
rows = b""
for y in range(H):
    rows += b"\0" + b"".join(struct.pack(">HHH", *(c * 257 for c in COLORS[(y >= H // 2) * 2 + (x >= W // 2)])) for x in range(W))
open("rgb16.png", "wb").write(png(W, H, 16, 2, rows))
# A decompression bomb: the header claims 100000×100000 pixels; the data is one byte.
open("bomb.png", "wb").write(png(100000, 100000, 8, 2, b"\0"))

# A catalog photo as a shopper might send it (search by image): 60 % size, 10 % cropped, JPEG q70.
cup = Image.open("astronaut.jpg").convert("RGB")
cup = cup.resize((int(cup.width * 0.6), int(cup.height * 0.6)), Image.BILINEAR)
dx, dy = int(cup.width * 0.05), int(cup.height * 0.05)
cup.crop((dx, dy, cup.width - dx, cup.height - dy)).save("astronaut_query.jpg", quality=70)
