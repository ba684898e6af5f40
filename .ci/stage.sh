# shellcheck shell=bash
# Sourced by .ci/run and .ci/release-checks.
stage() {   # stage NAME COMMAND...: run it, print its wall time
    local name=$1 t0=$SECONDS
    shift
    echo "=== $name ==="
    "$@"
    echo "=== $name: passed in $((SECONDS - t0)) s ==="
}
