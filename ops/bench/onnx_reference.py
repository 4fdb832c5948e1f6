#!/usr/bin/env python3
"""The benchmark's reference: the same EfficientNet-Lite network as an ONNX graph, built with the
onnx helper API from reco's converted weights file (BatchNorm folded the same way, TF-SAME padding
as explicit asymmetric pads), run by onnxruntime. Output: the pooled feature (N × head)."""
import json, struct
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def read_weights(path):
    raw = open(path, "rb").read()
    assert raw[:8] == b"RECOWTS1", "not a reco weights file"
    (n,) = struct.unpack("<I", raw[8:12])
    header = json.loads(raw[12:12 + n])
    tensors = {t["name"]: np.frombuffer(raw, "<f4", t["count"], t["offset"]).reshape(t["shape"]) for t in header["tensors"]}
    return header["spec"], tensors


def same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def build(weights_path, batch=None):
    spec, t = read_weights(weights_path)
    eps = spec["batch_norm_epsilon"]
    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}{counter[0]}"

    def conv(x, conv_name, bn_name, size, k, s, groups, act):
        w = t[conv_name + ".weight"].astype(np.float64)
        scale = t[bn_name + ".weight"] / np.sqrt(t[bn_name + ".running_var"].astype(np.float64) + eps)
        b = t[bn_name + ".bias"] - t[bn_name + ".running_mean"] * scale
        wn, bn = name("w"), name("b")
        inits.append(numpy_helper.from_array((w * scale[:, None, None, None]).astype(np.float32), wn))
        inits.append(numpy_helper.from_array(b.astype(np.float32), bn))
        out, before, after = same_pads(size, k, s)
        y = name("conv")
        nodes.append(helper.make_node("Conv", [x, wn, bn], [y], kernel_shape=[k, k], strides=[s, s],
                                      pads=[before, before, after, after], group=groups))
        if act:
            z = name("relu6")
            nodes.append(helper.make_node("Clip", [y, "zero", "six"], [z]))
            y = z
        return y, out

    inits += [numpy_helper.from_array(np.array(0, np.float32), "zero"), numpy_helper.from_array(np.array(6, np.float32), "six")]
    size = spec["input_size"]
    x, size = conv("input", "_conv_stem", "_bn0", size, 3, 2, 1, True)
    n = 0
    for block in spec["blocks"]:
        f = {p[0]: int(p[1:]) for p in block.split("_")}
        for r in range(f["r"]):
            cin = f["i"] if r == 0 else f["o"]
            stride = f["s"] if r == 0 else 1
            inp = x
            if f["e"] != 1:
                x, _ = conv(x, f"_blocks.{n}._expand_conv", f"_blocks.{n}._bn0", size, 1, 1, 1, True)
            x, out = conv(x, f"_blocks.{n}._depthwise_conv", f"_blocks.{n}._bn1", size, f["k"], stride, cin * f["e"], True)
            x, _ = conv(x, f"_blocks.{n}._project_conv", f"_blocks.{n}._bn2", out, 1, 1, 1, False)
            if stride == 1 and cin == f["o"]:
                y = name("add")
                nodes.append(helper.make_node("Add", [x, inp], [y]))
                x = y
            size = out
            n += 1
    x, _ = conv(x, "_conv_head", "_bn1", size, 1, 1, 1, True)
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    s = spec["input_size"]
    graph = helper.make_graph(nodes, spec["name"],
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, s, s])],
                              [helper.make_tensor_value_info("features", TensorProto.FLOAT, [batch, spec["head_channels"]])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, spec


def to_input(rgb_u8, size):
    """u8 H×W×3 bytes → float NCHW, (u8 − 127) / 128."""
    a = np.frombuffer(rgb_u8, np.uint8).reshape(size, size, 3).astype(np.float32)
    return ((a - 127) / 128).transpose(2, 0, 1)[None]
