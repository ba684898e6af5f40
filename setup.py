"""Build of pyad._C. Compiler directives and flags are set here, once.

Build switches (environment variables, read by every build command, `pip install .` too):

PYAD_DEBUG_CYTHON=1   a debug build: Cython's boundscheck and initializedcheck on (an index out
                      of range in a memoryview, or in a list/tuple indexed by a C integer,
                      raises IndexError instead of reading past the end). wraparound stays off
                      as in the release build: the code never relies on it (the few functions
                      that do say @cython.wraparound(True)), and with it off a negative index
                      into a memoryview is an error rather than silently wrapped.
                      Its generated C goes to build/cython-debug, apart from the release C.
PYAD_SANITIZE=address,undefined
                      any comma list of address, undefined, leak: compile and link _C with
                      -fsanitize=<list> -fno-omit-frame-pointer -O1 -g (GCC or Clang), and
                      define PYAD_NO_BLOCK_CACHE so every buffer and node is a plain malloc/free
                      that the sanitizer sees (pyad_alloc.h). Python is not instrumented, so
                      the runtime must be preloaded: tools/sanitize.sh builds into
                      build/sanitize-<list>/ and runs the suite that way.
PYAD_QUICK_BUILD=1    -O1 without debug info (GCC or Clang): a third of -O3's compile time, for
                      checks that the C builds and runs against another CPython's headers
                      (tools/portability.sh's python3.10/3.12/3.13); never for a release.
A debug or sanitized build, or one given --build-lib, is never copied into the checkout's pyad/
as a side effect of `setup.py build` or `pip install .` (see build_ext_into_checkout); --inplace
puts it there.
"""
import contextlib
import hashlib
import os
import platform
import shutil
import sys
import subprocess

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))

DEBUG = os.environ.get("PYAD_DEBUG_CYTHON", "0") not in ("", "0")
QUICK = os.environ.get("PYAD_QUICK_BUILD", "0") not in ("", "0")

SANITIZERS = ("address", "undefined", "leak")
SANITIZE = [s for s in os.environ.get("PYAD_SANITIZE", "").replace(" ", "").split(",") if s]
if any(s not in SANITIZERS for s in SANITIZE):
    raise SystemExit(f"PYAD_SANITIZE={os.environ['PYAD_SANITIZE']!r}: expected a comma list "
                     f"of {', '.join(SANITIZERS)}")

directives = {
    "language_level": "3",
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "nonecheck": False,
    "cdivision": True,
    "embedsignature": True,
    "binding": False,
}

# Portable optimisation, chosen by the compiler that actually builds (build_ext knows it; MinGW
# on Windows is GCC). Never -march=native/-mtune=native (a wheel built on a new CPU would die
# with SIGILL on an older one) and never -ffast-math/-Ofast (NaN/Inf semantics must match
# torch, and a library linked with it sets flush-to-zero for the whole process on load).
# The kernels are plain C loops vectorised for the platform's baseline ISA (SSE2 on x86_64,
# NEON on arm64); on x86_64 the hot ones have a second copy compiled for AVX2 through a
# function attribute, chosen at import by cpuid (pyad_kernels.h), so no -m flag is needed.
# Release wheels drop debug info through CFLAGS (see [tool.cibuildwheel] in pyproject.toml).
# -ffp-contract=off: a*b + c stays two roundings (Clang would fuse it into an FMA where the
# ISA has one), so fused backward kernels give the same bits as the unfused ops they replace.
GCC_CLANG = ["-O3", "-fno-math-errno", "-ffp-contract=off", "-std=c99", "-Wno-unused-function"]
COMPILE_ARGS = {
    "unix": GCC_CLANG,  # GCC on Linux, Clang on macOS
    "mingw32": GCC_CLANG,
    # /fp:precise is MSVC's default float model, said out loud. /std:c11: MSVC's default C mode
    # is C89 with extensions, without the `restrict` the kernels use; C11 mode (VS 2019 16.8+)
    # has it, and the standard preprocessor (/Zc:preprocessor) that GCC and Clang implement.
    # tools/portability.sh compiles the C with these flags through a clang-cl stand-in.
    "msvc": ["/O2", "/fp:precise", "/std:c11"],
}
# Size, GCC only (the wheel stays under 1 MB): constant-propagation clones of big cold
# functions (einsum, tensordot) and asynchronous unwind tables (nothing unwinds through this C
# code: no C++ exceptions, no thread cancellation) were ~80 kB of the compressed wheel, for
# +1% instructions on the fixed-cost workloads (callgrind); loop unswitching (a loop copied
# per invariant condition, mostly in Cython's glue) another 4 kB. Debug and sanitized builds keep
# both (their stack traces want the unwind tables).
GCC_SIZE_ARGS = ["-fno-ipa-cp-clone", "-fno-asynchronous-unwind-tables", "-fno-unswitch-loops"]
# x86_64 GCC: every new Tensor is zeroed by a 248-byte memset that Cython writes and GCC
# inlines as `rep stosq`, whose start-up cost was 10% of a tiny op (perf). Small memsets
# become plain vector stores; bigger ones still call libc. Codegen only: no ISA change.
GCC_X86_ARGS = ["-mmemset-strategy=unrolled_loop:512:noalign,libcall:-1:noalign"]
# Intel's JCC erratum microcode (Skylake to Cascade Lake) slows a loop whose closing jump
# crosses or ends at a 32-byte boundary: where that falls moved with every unrelated change to
# the module (a 256x1 @ 1x32 matmul was 25% slower after the op-table commit, perf annotate:
# the same instructions, the loop's jcc at +0x140). The assembler pads such jumps; codegen
# only, no ISA change. Used when the assembler knows the option (binutils >= 2.34).
GCC_X86_JCC_ARGS = ["-Wa,-mbranches-within-32B-boundaries"]


def is_gcc(compiler):
    """True when the C compiler build_ext will call is GCC (Clang also answers to 'gcc')."""
    exe = getattr(compiler, "compiler_so", None)
    if not exe:
        return False
    try:
        out = subprocess.run([exe[0], "--version"], capture_output=True, text=True).stdout
    except OSError:
        return False
    return "clang" not in out.lower() and ("gcc" in out.lower() or "free software" in out.lower())


def compiler_accepts(compiler, flags):
    """True when the C compiler (and its assembler) compile an empty function with flags."""
    exe = getattr(compiler, "compiler_so", None)
    if not exe:
        return False
    try:
        r = subprocess.run([exe[0], *flags, "-x", "c", "-c", "-o", os.devnull, "-"],
                           input="int f(int x) { return x + 1; }\n", capture_output=True,
                           text=True)
    except OSError:
        return False
    return r.returncode == 0


def target_machine(compiler):
    """The CPU the C compiler generates code for: a cross-compiler's target (tools/
    portability.sh builds for aarch64 on x86_64), else this machine's."""
    exe = getattr(compiler, "compiler_so", None)
    if exe:
        try:
            out = subprocess.run([exe[0], "-dumpmachine"], capture_output=True, check=False,
                                 text=True).stdout.strip()
        except OSError:
            out = ""
        if out:
            return out.split("-")[0].lower()
    return platform.machine().lower()


# PYAD_SANITIZE: the sanitizers want frame pointers and line numbers, and -O1 keeps the
# reports readable at a bearable speed. Flags stay portable (no -march, no -ffast-math).
SANITIZE_ARGS = ([f"-fsanitize={','.join(SANITIZE)}", "-fno-omit-frame-pointer", "-O1", "-g"]
                 if SANITIZE else [])
# PYAD_QUICK_BUILD: a third of -O3's compile time; the C API is what it checks, not codegen.
QUICK_ARGS = ["-O1", "-g0"]

# The op table (csrc/op_table.py) becomes csrc/_gen_ops.h and csrc/_gen_ops.pxi before cythonize
sys.path.insert(0, os.path.join(HERE, "csrc"))
import gen_op_table  # noqa: E402

sys.path.pop(0)


@contextlib.contextmanager
def generating_sources():
    """Held while the generated sources (csrc/_gen_*, build/cython*) are written and read.

    Two builds from one checkout may run at once (.ci/run builds the wheel from the sdist
    beside the README's install, the sanitizer build beside the portability builds); each
    runs this script, which writes those files. Where there is no fcntl (Windows) there is
    no lock, and builds there run one at a time.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    os.makedirs(os.path.join(HERE, "build"), exist_ok=True)
    with open(os.path.join(HERE, "build", "generating.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

def pyad_extension():
    """pyad._C, one Cython module; its depends are every header, .pxi and .pxd it can include.

    Called once the op table's sources are generated (they are among the depends): a change
    to any of these files alone recompiles the extension.
    """
    csrc = os.path.join(HERE, "csrc")
    depends = [os.path.join("csrc", name) for name in sorted(os.listdir(csrc))
               if name.endswith((".h", ".pxi", ".pxd"))]
    depends += [os.path.join("csrc", "pyad", name)
                for name in sorted(os.listdir(os.path.join(csrc, "pyad")))
                if name.endswith(".pxd")]
    return Extension("pyad._C", sources=["csrc/_C.pyx"], include_dirs=["csrc"],
                     depends=depends)


class build_ext_into_checkout(build_ext):
    """Compile with this compiler's COMPILE_ARGS; also place the built extension in the
    checkout's pyad/ (it is git-ignored).

    `python -m pyad` and `python -m pytest` run from a checkout import ./pyad before the
    installed copy (the current directory comes first on sys.path); with the extension just
    built beside the sources, both run the code that `pip install .` installed.
    """

    def build_extensions(self):
        args = list(COMPILE_ARGS.get(self.compiler.compiler_type, []))
        if SANITIZE or QUICK:
            if self.compiler.compiler_type not in ("unix", "mingw32"):
                raise SystemExit(f"{'PYAD_SANITIZE' if SANITIZE else 'PYAD_QUICK_BUILD'} "
                                 "needs GCC or Clang")
            args = [a for a in args if not a.startswith("-O")]
            args += SANITIZE_ARGS if SANITIZE else QUICK_ARGS
        elif not DEBUG and is_gcc(self.compiler):
            args += GCC_SIZE_ARGS
            if target_machine(self.compiler) in ("x86_64", "amd64"):
                args += GCC_X86_ARGS
                if compiler_accepts(self.compiler, GCC_X86_JCC_ARGS):
                    args += GCC_X86_JCC_ARGS
        for ext in self.extensions:
            ext.extra_compile_args = args + list(ext.extra_compile_args or [])
            if SANITIZE:
                ext.extra_link_args = SANITIZE_ARGS[:1] + list(ext.extra_link_args or [])
                ext.define_macros = [("PYAD_NO_BLOCK_CACHE", "1"), *(ext.define_macros or [])]
        # A Python built with a run path to its own lib/ (pyenv, some distros) passes it to
        # every extension; _C links no library there, and a wheel must not carry the
        # builder's paths (wheels/build.py checks the .so has no RPATH/RUNPATH).
        linker = getattr(self.compiler, "linker_so", None)
        if linker:
            self.compiler.linker_so = [a for a in linker if not a.startswith("-Wl,-rpath")]
        super().build_extensions()

    def run(self):
        super().run()
        # an explicit --build-lib (tools/sanitize.sh, tools/portability.sh): the extension goes
        # there only; a clang, cross or other-Python build must not replace the checkout's
        given = self.distribution.command_options
        explicit_lib = any("build_lib" in given.get(cmd, {}) for cmd in ("build", "build_ext"))
        if self.inplace or SANITIZE or DEBUG or explicit_lib:
            return
        for ext in self.extensions:
            built = self.get_ext_fullpath(ext.name)
            target = os.path.join(HERE, *ext.name.split(".")[:-1], os.path.basename(built))
            if os.path.isdir(os.path.dirname(target)) and os.path.abspath(built) != target:
                # a new file renamed over the old: a process that has the old one loaded
                # (a test run) keeps its mapping instead of seeing the file rewritten under it
                shutil.copyfile(built, target + ".tmp")
                os.replace(target + ".tmp", target)


def cythonize_unless_unchanged(extension, build_dir):
    """cythonize, or the C it generated last time when none of its inputs changed.

    Cython decides by file times, and counts its own .pxd files (libc, cpython) among the
    inputs; pip installs Cython afresh into each isolated build environment, so those are
    always new and every `pip install .` regenerated the C and recompiled it (4-5 minutes):
    the README's second command rebuilt what its first had just built. The inputs here are
    contents: the extension's sources and depends, Cython's version and the directives. An unchanged C keeps
    its file time, and build_ext then finds the built extension up to date.
    """
    import Cython
    digest = hashlib.sha256(repr((Cython.__version__, sorted(directives.items()))).encode())
    for name in sorted(extension.sources + extension.depends):
        digest.update(name.encode() + b"\0")
        with open(os.path.join(HERE, name), "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    c_file = os.path.join(build_dir, "csrc", "_C.c")
    stamp = c_file + ".inputs"
    if os.path.exists(c_file) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == digest.hexdigest():
                extension.sources = [c_file]
                return [extension]
    out = cythonize([extension], compiler_directives=directives, include_path=["csrc"],
                    build_dir=build_dir)
    with open(stamp, "w") as f:
        f.write(digest.hexdigest())
    return out


with generating_sources():
    gen_op_table.generate()
    extensions = cythonize_unless_unchanged(pyad_extension(),
                                            "build/cython-debug" if DEBUG else "build/cython")

setup(cmdclass={"build_ext": build_ext_into_checkout}, ext_modules=extensions)
