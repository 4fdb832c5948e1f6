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

# stage NAME COMMAND...: runs it and prints "STAGE NAME SECONDS s   LAST OUTPUT LINE"; sets
# STAGE_SECONDS, or STAGE_SECONDS="" when `timeout` stopped it (status 124). Another failure ends
# the script.
stage() {
    local name=$1 start out status=0
    shift
    start=$(date +%s.%N)
    out=$("$@" 2>&1 | tail -n 1) || status=$?
    STAGE_SECONDS=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
    if [ $status = 124 ]; then
        STAGE_SECONDS=
        printf 'STAGE %-22s  stopped after %s s\n' "$name" "$(echo "$(date +%s.%N) - $start" | bc | cut -d. -f1)"
        return
    fi
    [ $status = 0 ] || { echo "STAGE $name failed: $out" >&2; exit 1; }
    printf 'STAGE %-22s %8s s   %s\n' "$name" "$STAGE_SECONDS" "$out"
}
