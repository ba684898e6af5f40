#!/usr/bin/env bash
# Portability checks: the platforms the wheels promise (.github/workflows/wheels.yml), each
# built and tested as closely as this x86_64 Linux machine can, by cross-compilation and
# emulation. .ci/run calls it; each check is one function here, run in its own bash:
#
#   tools/portability.sh setup          # Debian packages (root): clang, mingw-w64 headers, qemu, ...
#   tools/portability.sh [check ...]    # default: every check below, in this order
#
#   notorch   the extension built with clang; the whole suite without torch (the situation of
#             the wheel jobs without torch: Linux aarch64, macOS x86_64, Windows ARM64, sdist)
#   numpy     the whole suite with the oldest numpy pyproject.toml allows, on that build
#   msvc      MSVC stand-in: clang in MSVC mode (clang-cl, x86_64-pc-windows-msvc, MS
#             compatibility) over every C header in MSVC's default C mode and with setup.py's
#             MSVC flags, and the Cython-generated C compiled to a Windows x86_64 object with
#             those flags (not for ARM64: mingw-w64's CRT headers know no ARM64 in MSVC mode)
#   aarch64   the extension cross-compiled with aarch64-linux-gnu-gcc against Debian's arm64
#             Python 3.11 headers; QUICK_TESTS run under qemu-user with Debian's arm64
#             python3.11 and numpy (1.24)
#   python3.10, python3.12, python3.13 (`pythons`: all three)
#             pyenv's CPython: each builds the extension (GCC, PYAD_QUICK_BUILD's -O1) and
#             runs the whole suite without torch
#
# Everything goes to build/portability/<check>/ (builds, venvs, logs); the checkout's pyad/ is
# left alone. PYTHON is the interpreter of the 3.11 checks
# (default python3). A CPython of `pythons` that is not found fails the check when CI is set
# (the CI machine has them all) and is skipped with a message otherwise.
# Each check prints its wall time; the script fails if any check failed (and runs the rest).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
PYTHON=${PYTHON:-python3}
out=$root/build/portability

# A quick part of the suite (about 25 s natively, without torch): the ops, their gradients,
# the kernels' SIMD/trig paths, interop and the engine. Used where the whole suite is too
# slow (under qemu); defined here only.
QUICK_TESTS=(tests/test_tensor_basics.py tests/test_ops_elementwise.py tests/test_ops_grad.py
             tests/test_ops_reduce.py tests/test_ops_shape.py tests/test_ops_index.py
             tests/test_ops_linalg.py tests/test_simd.py tests/test_trig.py
             tests/test_softmax.py tests/test_interop.py tests/test_grad_api.py
             tests/test_inplace.py tests/test_nn_functional.py)

ARM64_SYSROOT_DEBS=(python3.11-minimal:arm64 python3-numpy:arm64 libblas3:arm64
                    liblapack3:arm64 libgfortran5:arm64)

setup() {
    # libpython3.11-dev:arm64 is co-installable with the host's Python (Multi-Arch: same);
    # python3.11-minimal:arm64 is NOT (it would replace the host's /usr/bin/python3.11), so
    # the arm64 interpreter and numpy are unpacked into a folder instead (aarch64 below).
    dpkg --add-architecture arm64
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        clang mingw-w64-x86-64-dev qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
        libpython3.11-dev:arm64
}

venv() {   # venv DIR PYTHON PACKAGES...: a fresh virtual environment with these packages
    local dir=$1 py=$2
    rm -rf "$dir"
    "$py" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check "${@:3}"
}

build_requires() {
    "$PYTHON" -c "import tomllib; print('\n'.join(
        tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires']))"
}

build() {   # build DIR PYTHON: setup.py build into DIR/lib (env: CC, LDSHARED, CFLAGS ...)
    local dir=$1 py=$2
    rm -rf "$dir/lib" "$dir/temp"
    "$py" setup.py -q build --build-lib "$dir/lib" --build-temp "$dir/temp" \
        > "$dir/build.log" 2>&1 || { tail -40 "$dir/build.log"; return 1; }
}

run_tests() {   # run_tests LIB PYTHON [pytest args]: the suite against the pyad in LIB
    local lib=$1 py=$2
    shift 2
    local args=()
    for a in "$@"; do args+=("$root/$a"); done
    [ ${#args[@]} -gt 0 ] || args=("$root/tests")
    # from LIB, never the checkout (whose pyad/ may hold another build): as tools/sanitize.sh
    (cd "$lib" && PYTHONPATH="$lib" "$py" -m pytest -p no:cacheprovider \
        --rootdir "$root" -c "$root/pyproject.toml" "${args[@]}")
}

notorch() {
    local dir=$out/notorch
    mkdir -p "$dir"
    build_requires > "$dir/requires.txt"
    venv "$dir/venv" "$PYTHON" -r "$dir/requires.txt" numpy pytest hypothesis
    "$dir/venv/bin/python" -c "import importlib.util as u, sys; sys.exit(u.find_spec('torch') is not None)"
    CC=clang LDSHARED="clang -shared" build "$dir" "$dir/venv/bin/python"
    local so
    so=$(ls "$dir"/lib/pyad/_C.*.so)
    readelf -p .comment "$so" | grep -q "clang version" || { echo "notorch: $so: not clang's"; return 1; }
    echo "  $(basename "$so"): $(readelf -p .comment "$so" | grep -o "clang version [0-9.]*" | head -1)"
    run_tests "$dir/lib" "$dir/venv/bin/python"
}

numpy() {   # needs the build of notorch (same Python; the build does not use numpy's headers)
    local dir=$out/numpy floor
    mkdir -p "$dir"
    [ -d "$out/notorch/lib/pyad" ] || { echo "numpy: run the notorch check first"; return 1; }
    floor=$("$PYTHON" -c "import re, tomllib
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']
print(next(re.search(r'>=\s*([0-9.]+)', d).group(1) for d in deps if d.startswith('numpy')))")
    # the newest patch release of the floor's minor version (1.23 -> 1.23.5)
    venv "$dir/venv" "$PYTHON" "numpy~=$floor.0" pytest hypothesis
    "$dir/venv/bin/python" -c "import numpy; print('numpy', numpy.__version__)"
    run_tests "$out/notorch/lib" "$dir/venv/bin/python"
}

msvc() {
    local dir=$out/msvc mingw=/usr/x86_64-w64-mingw32/include
    mkdir -p "$dir"
    [ -d "$mingw" ] || { echo "msvc: mingw-w64's headers are missing (tools/portability.sh setup)"; return 1; }
    # setup.py's MSVC flags, as build_ext would pass them to cl.exe
    local -a flags
    mapfile -t flags < <("$PYTHON" -c "import ast
tree = ast.parse(open('setup.py').read())
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', '') == 'COMPILE_ARGS':
        msvc = [v for k, v in zip(node.value.keys, node.value.values) if k.value == 'msvc']
        print('\n'.join(ast.literal_eval(msvc[0])))")
    [ ${#flags[@]} -gt 0 ] || { echo "msvc: no MSVC flags found in setup.py's COMPILE_ARGS"; return 1; }
    echo "setup.py's MSVC flags: ${flags[*]}"
    # clang-cl's own default is C17; without a /std: flag MSVC compiles C89 with extensions,
    # whose nearest in clang is gnu89 (no __STDC_VERSION__, no `restrict`)
    local -a msvc_default=(/clang:-std=gnu89)
    [[ " ${flags[*]} " == *" /std:"* ]] || flags+=("${msvc_default[@]}")
    # this Python's headers with a Windows pyconfig.h (tools/msvc_standin/pyconfig.h)
    rm -rf "$dir/include"
    cp -r "$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" "$dir/include"
    cp tools/msvc_standin/pyconfig.h "$dir/include/pyconfig.h"
    # clang-cl defines __clang__, which would send the code down its GCC/Clang paths: MSVC
    # defines _MSC_VER alone. mingw-w64's CRT headers stand in for MSVC's (crt_shim.h).
    local -a cl=(clang --driver-mode=cl -fms-compatibility -fms-extensions -U__clang__ /W3
                 -Wno-unused-function
                 -imsvc "$mingw" /FI "$root/tools/msvc_standin/crt_shim.h" /I "$dir/include" /I "$root/csrc")
    # 1. every header in MSVC's default C mode and with setup.py's flags
    local h mode
    for h in csrc/*.h; do
        # after pyad_kernels.h, as the project includes them (pyad_trig.h is a part of it)
        printf '#include "pyad_kernels.h"\n#include "%s"\nint main(void) { return 0; }\n' \
            "$(basename "$h")" > "$dir/unit.c"
        for mode in default setup.py; do
            local -a extra=("${msvc_default[@]}")
            [ $mode = default ] || extra=("${flags[@]}")
            "${cl[@]}" --target=x86_64-pc-windows-msvc /Zs "${extra[@]}" -- "$dir/unit.c" \
                > "$dir/header.log" 2>&1 || { echo "msvc: $h ($mode C mode):"; head -30 "$dir/header.log"; return 1; }
            ! grep -q "warning" "$dir/header.log" || { echo "msvc: $h ($mode C mode):"; cat "$dir/header.log"; return 1; }
        done
        echo "  $h: MSVC default C mode and setup.py's flags, no error, no warning"
    done
    # 2. the Cython-generated C
    "$PYTHON" -c "import Cython" 2>/dev/null || { echo "msvc: needs Cython in $PYTHON"; return 1; }
    "$PYTHON" setup.py -q --name > "$dir/cythonize.log" 2>&1 || { cat "$dir/cythonize.log"; return 1; }
    local gen
    gen=$(ls build/cython/csrc/_C.c 2>/dev/null || find build/cython -name _C.c | head -1)
    "${cl[@]}" --target=x86_64-pc-windows-msvc "${flags[@]}" /c \
        /Fo"$dir/_C.obj" -- "$gen" > "$dir/generated.log" 2>&1 \
        || { grep -m 30 "error" "$dir/generated.log"; return 1; }
    if grep -q "error\|warning: implicit" "$dir/generated.log"; then
        grep -m 30 "error\|warning: implicit" "$dir/generated.log"
        return 1
    fi
    echo "  $gen: compiled for x86_64-pc-windows-msvc ($(stat -c %s "$dir/_C.obj") bytes of object)"
}

aarch64() {
    local dir=$out/aarch64 sysroot
    sysroot=$dir/sysroot
    mkdir -p "$dir"
    command -v aarch64-linux-gnu-gcc > /dev/null && command -v qemu-aarch64 > /dev/null \
        && [ -e /usr/include/aarch64-linux-gnu/python3.11/pyconfig.h ] \
        || { echo "aarch64: the cross toolchain is missing (tools/portability.sh setup)"; return 1; }
    # the cross build: this Python runs setup.py, Debian's arm64 3.11 headers and GCC build
    build_requires > "$dir/requires.txt"
    venv "$dir/venv" "$PYTHON" -r "$dir/requires.txt"
    CC=aarch64-linux-gnu-gcc LDSHARED="aarch64-linux-gnu-gcc -shared" \
        CFLAGS="-I/usr/include/aarch64-linux-gnu/python3.11 -I/usr/include/python3.11" \
        SETUPTOOLS_EXT_SUFFIX=.cpython-311-aarch64-linux-gnu.so \
        build "$dir" "$dir/venv/bin/python"
    local so
    so=$(ls "$dir"/lib/pyad/_C.*.so)
    file "$so" | grep -q "ARM aarch64" || { file "$so"; return 1; }
    echo "  $(basename "$so"): $(file -b "$so" | cut -d, -f1-2)"
    # Debian's arm64 python3.11 and numpy, unpacked (never installed: see setup), with pytest
    if [ ! -x "$sysroot/usr/bin/python3.11" ]; then
        rm -rf "$sysroot" "$dir/debs"
        mkdir -p "$sysroot" "$dir/debs"
        (cd "$dir/debs" && apt-get download "${ARM64_SYSROOT_DEBS[@]}" 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)
        for d in "$dir"/debs/*.deb; do dpkg-deb -x "$d" "$sysroot"; done
    fi
    rm -rf "$dir/site"
    "$PYTHON" -m pip install -q --disable-pip-version-check --target "$dir/site" \
        --platform manylinux2014_aarch64 --python-version 3.11 --implementation cp \
        --only-binary=:all: pytest hypothesis
    # the interpreter as a script: the tests start sys.executable in subprocesses, and without
    # binfmt_misc (containers) the kernel cannot run an arm64 executable itself
    local lib=$sysroot/usr/lib/aarch64-linux-gnu
    cat > "$dir/python3.11" << WRAPPER
#!/bin/sh
exec qemu-aarch64 -L / -E "LD_LIBRARY_PATH=$lib:$lib/blas:$lib/lapack" \\
    -E "PYTHONPATH=$dir/lib:$sysroot/usr/lib/python3/dist-packages:$dir/site" \\
    -0 "\$0" "$sysroot/usr/bin/python3.11" "\$@"
WRAPPER
    chmod +x "$dir/python3.11"
    local -a py=("$dir/python3.11")
    (cd "$dir/lib" && "${py[@]}" -c "import platform, numpy, sys, pyad; print('under qemu:', \
        platform.machine(), 'Python', platform.python_version(), 'numpy', numpy.__version__, \
        sys.executable, 'pyad', pyad.__version__, pyad._C.__file__)")
    local args=()
    for a in "${QUICK_TESTS[@]}"; do args+=("$root/$a"); done
    (cd "$dir/lib" && "${py[@]}" -m pytest -p no:cacheprovider --rootdir "$root" \
        -c "$root/pyproject.toml" "${args[@]}")
}

find_python() {   # find_python 3.12: the interpreter's path, or nothing
    local v=$1 p
    for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python"$v" \
             "$(command -v "python$v" || true)"; do
        [ -x "$p" ] && "$p" -c "pass" 2>/dev/null && { echo "$p"; return; }
    done
}

python_version() {   # python_version 3.12: build with it, the whole suite without torch
    local v=$1 py dir
    py=$(find_python "$v")
    if [ -z "$py" ]; then
        if [ -n "${CI:-}" ]; then
            echo "CPython $v not found (pyenv's versions/$v.*): the CI machine has it"
            return 1
        fi
        echo "CPython $v not found: skipped (under CI this fails)"
        return 0
    fi
    dir=$out/python$v
    mkdir -p "$dir"
    build_requires > "$dir/requires.txt"
    venv "$dir/venv" "$py" -r "$dir/requires.txt" numpy pytest hypothesis
    "$dir/venv/bin/python" -c "import sys, numpy; print(sys.executable, sys.version.split()[0], 'numpy', numpy.__version__)"
    # -O1: what differs between CPythons is the C API, not code generation (the -O3 build of
    # each compiler is tested above and by .ci/run), and -O1 compiles in a third of the time
    PYAD_QUICK_BUILD=1 build "$dir" "$dir/venv/bin/python"
    run_tests "$dir/lib" "$dir/venv/bin/python"
}

# Each check runs in its own bash (errexit stays in force inside it) and is timed.
CHECKS=(notorch numpy msvc aarch64 python3.10 python3.12 python3.13)
if [ "${1:-}" = _one ]; then
    case $2 in
        python3.*) python_version "${2#python}" ;;
        *) "$2" ;;
    esac
    exit
fi
checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=("${CHECKS[@]}")
[ "${checks[*]}" != pythons ] || checks=(python3.10 python3.12 python3.13)
status=0
for c in "${checks[@]}"; do
    case " setup ${CHECKS[*]} " in
        *" $c "*) ;;
        *) echo "tools/portability.sh: unknown check $c (one of: setup ${CHECKS[*]} pythons)" >&2
           exit 2 ;;
    esac
    if [ "$c" = setup ]; then setup; continue; fi
    t0=$SECONDS
    echo "=== portability: $c ==="
    rc=0
    bash "$root/tools/portability.sh" _one "$c" || rc=$?
    [ $rc = 0 ] || status=1
    echo "=== portability: $c: $([ $rc = 0 ] && echo passed || echo FAILED) in $((SECONDS - t0)) s ==="
done
[ $status = 0 ] && echo "=== portability: every check passed ==="
exit $status
