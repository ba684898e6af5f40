#!/usr/bin/env bash
# Build pyad._C with sanitizers (and/or Cython's checks) and run the test suite against it.
#
#   tools/sanitize.sh [pytest arguments]          # default: the whole suite (tests/)
#   PYAD_SANITIZE=address,undefined tools/sanitize.sh tests/test_ops_grad.py -x
#   PYAD_LEAKS=1 tools/sanitize.sh                # LeakSanitizer too: see tools/lsan_filter.py
#   PYAD_LEAKS=full tools/sanitize.sh tests/...   # full leak stacks (slow): see below
#   PYAD_DEBUG_CYTHON=1 tools/sanitize.sh         # Cython bounds checks and ASan/UBSan at once
#   PYAD_DEBUG_CYTHON=1 PYAD_SANITIZE= tools/sanitize.sh   # the debug build alone
#
# PYAD_SANITIZE (default address,undefined; set it empty for none) is any comma list of
# address, undefined, leak, and PYAD_DEBUG_CYTHON=1 the debug build: both are setup.py's
# switches. The build goes to build/sanitize-<list or none>[-debug]/ (its own objects and
# lib; the checkout's pyad/ is left alone) and the suite runs from there: pyad is imported
# from that lib/, with the test files of this checkout.
#
# Python itself is not instrumented, so the sanitizer runtimes are preloaded (LD_PRELOAD).
# ASan and LSan write their reports to reports/ in the build folder (those of the tests'
# subprocesses too); UBSan's go to stderr and end the process. The script fails if pytest
# fails or if any report was written, and prints the reports.
# PYTHON selects the interpreter (default python3; a venv with numpy, pytest, hypothesis and
# optionally torch). Linux with GCC or Clang (the runtimes are found by $CC -print-file-name).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
PYTHON=${PYTHON:-python3}
CC=${CC:-gcc}
san=${PYAD_SANITIZE-address,undefined}
debug=${PYAD_DEBUG_CYTHON:-0}
out=$root/build/sanitize-${san:-none}
out=${out//,/-}
[ "$debug" = 0 ] || out=$out-debug
reports=$out/reports

mkdir -p "$out"
echo "=== PYAD_SANITIZE=$san PYAD_DEBUG_CYTHON=$debug: building into $out ==="
PYAD_SANITIZE=$san PYAD_DEBUG_CYTHON=$debug "$PYTHON" setup.py -q build \
    --build-lib "$out/lib" --build-temp "$out/temp" > "$out.build.log" 2>&1 \
    || { tail -50 "$out.build.log"; exit 1; }

preload=()
runtime() {
    local f
    f=$("$CC" -print-file-name="$1")
    [ -e "$f" ] || { echo "sanitize.sh: $CC has no $1" >&2; exit 1; }
    preload+=("$f")
}
case ",$san," in *,address,*) runtime libasan.so ;; *,leak,*) runtime liblsan.so ;; esac
case ",$san," in *,undefined,*) runtime libubsan.so ;; esac

rm -rf "$reports"
mkdir -p "$reports"
leaks=0
[[ ${PYAD_LEAKS:-0} != 0 || ",$san," == *,leak,* ]] && leaks=1
if [[ $leaks = 1 && ",$san," != *,address,* && ",$san," != *,leak,* ]]; then
    echo "sanitize.sh: PYAD_LEAKS needs address or leak in PYAD_SANITIZE" >&2
    exit 1
fi

# ASAN_OPTIONS / LSAN_OPTIONS:
#  detect_leaks: off by default; the interpreter does not free everything at exit, so a leak
#    run (PYAD_LEAKS=1) logs every leak and tools/lsan_filter.py keeps those allocated by _C
#  allocator_may_return_null=1: a huge allocation returns NULL as malloc does, so the tests
#    of "larger than memory -> MemoryError" see pyad's handling, not an ASan abort
#  log_path: ASan's reports of the test process and of every subprocess, one file per pid
#  fast_unwind_on_malloc=0 (PYAD_LEAKS=full): Python has no frame pointers, so the fast
#    unwinder stops at the interpreter's first frame. That still shows every block that _C
#    mallocs itself (buffers, nodes: _C keeps its frame pointers), but a Python object that _C
#    created and leaked shows only CPython's frames. The slow unwinder shows them all (~25x
#    slower: run it on a part of the suite).
#  exitcode=0 (leak runs): a process that only leaked exits with its own status (tests check
#    their subprocesses'); every report is in the log files, which decide the run
leakopts=
[ "${PYAD_LEAKS:-0}" != full ] || leakopts=fast_unwind_on_malloc=0:malloc_context_size=40:
[ "$leaks" = 0 ] || leakopts=${leakopts}exitcode=0:
ASAN_OPTIONS="detect_leaks=$leaks:${leakopts}allocator_may_return_null=1:${ASAN_OPTIONS:-}"
ASAN_OPTIONS=${ASAN_OPTIONS%:}
export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$reports/asan"
# PYAD_SANITIZE=leak alone (no ASan): the standalone LeakSanitizer reads these
[ "$leaks" = 0 ] || LSAN_OPTIONS="exitcode=0:${LSAN_OPTIONS:-}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-}${LSAN_OPTIONS:+:}log_path=$reports/lsan"
# UBSan (GCC's runtime beside ASan's) writes to stderr whatever log_path says; halt_on_error
# ends the process at the first report, so the test (or the run) fails
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
# every Python object through malloc: the sanitizer then also sees a Python object that _C
# frees too early or writes past (pymalloc's arenas are invisible to it)
export PYTHONMALLOC=malloc
if [ ${#preload[@]} -gt 0 ]; then
    export LD_PRELOAD="$(IFS=:; echo "${preload[*]}")${LD_PRELOAD:+:$LD_PRELOAD}"
fi

# pytest runs in $out/lib: paths given relative to the checkout are made absolute
args=()
for a in "$@"; do
    if [[ $a != /* && -e $root/${a%%::*} ]]; then args+=("$root/$a"); else args+=("$a"); fi
done
[ ${#args[@]} -gt 0 ] || args=("$root/tests")

echo "=== pytest, LD_PRELOAD=${LD_PRELOAD:-} ==="
status=0
# --capture=sys: pytest captures sys.stdout/stderr but not file descriptor 2, so a report
# that the C runtime writes there is seen even when it ends the process
(cd "$out/lib" && PYTHONPATH="$out/lib" "$PYTHON" -m pytest -p no:cacheprovider --capture=sys \
    --rootdir "$root" -c "$root/pyproject.toml" "${args[@]}") || status=$?
unset LD_PRELOAD

# allocator_may_return_null=1 still logs "WARNING: AddressSanitizer failed to allocate N
# bytes" for each refused huge allocation (the bad-input tests make them on purpose, and pyad
# turns them into MemoryError): a report file holding nothing else is not a finding
for f in "$reports"/*; do
    [ -e "$f" ] || continue
    if ! grep -qv "^==[0-9]*==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]* bytes$" "$f"; then
        rm -f "$f"
    fi
done
if [ "$leaks" = 1 ]; then
    "$PYTHON" "$root/tools/lsan_filter.py" "$reports" || status=1
elif compgen -G "$reports/*" > /dev/null; then
    echo "=== sanitizer reports ($reports) ==="
    cat "$reports"/*
    status=1
fi
[ "$status" = 0 ] && echo "=== PYAD_SANITIZE=$san PYAD_DEBUG_CYTHON=$debug: passed, no reports"
exit "$status"
