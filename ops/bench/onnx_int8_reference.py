#!/usr/bin/env python3
"""The int8 peer of reco's int8 variant: the same ONNX graph (onnx_reference.build), quantised by
onnxruntime's own tools (quantize_static: QDQ, per-channel int8 weights, uint8 activations, MinMax
calibration) on the same calibration inputs reco calibrate uses: each photo squashed, centre-cropped
and padded to the input size, each also mirrored.

usage: onnx_int8_reference.py WEIGHTS OUT.onnx PHOTO..."""
import os, sys, tempfile

import numpy as np
import onnx
from PIL import Image, ImageOps
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_reference import build, to_input  # noqa: E402


def inputs(path, size):
    """The photo as reco calibrate sees it: squash, crop (centre square of 7/8 the short side), pad."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        side = max(1, 7 * min(w, h) // 8)
        crop = im.crop(((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side))
        scaled = (size, max(1, (h * size + w // 2) // w)) if w >= h else (max(1, (w * size + h // 2) // h), size)
        pad = Image.new("RGB", (size, size), (255, 255, 255))
        pad.paste(im.resize(scaled, Image.BILINEAR), ((size - scaled[0]) // 2, (size - scaled[1]) // 2))
        for variant in (im.resize((size, size), Image.BILINEAR), crop.resize((size, size), Image.BILINEAR), pad):
            yield variant.tobytes()
            yield ImageOps.mirror(variant).tobytes()


class Reader(CalibrationDataReader):
    def __init__(self, photos, size):
        self.batches = iter([{"input": to_input(rgb, size)} for p in photos for rgb in inputs(p, size)])

    def get_next(self):
        return next(self.batches, None)


def main():
    weights, out, photos = sys.argv[1], sys.argv[2], sys.argv[3:]
    model, spec = build(weights)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = os.path.join(tmp, "fp32.onnx")
        onnx.save(model, fp32)
        quantize_static(fp32, out, Reader(photos, spec["input_size"]), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
    print(out)


if __name__ == "__main__":
    main()
