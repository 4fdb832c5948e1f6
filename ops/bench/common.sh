# Shared set-up of the benchmark scripts (sourced from the project root).

# wrk, the HTTP load generator (Debian package), installed when missing.
need_wrk() {
    command -v wrk >/dev/null && return
    local s=(); [ "$(id -u)" = 0 ] || s=(sudo)
    "${s[@]}" apt-get install -y -q wrk >/dev/null
}

# The references' Python (.cache/bench-venv: numpy, Pillow, onnx, onnxruntime), created when
# missing; prints its interpreter.
bench_python() {
    local venv=.cache/bench-venv
    [ -x "$venv/bin/python" ] || { python3 -m venv "$venv" >&2; "$venv/bin/pip" install -q numpy pillow onnx onnxruntime >&2; }
    echo "$venv/bin/python"
}
