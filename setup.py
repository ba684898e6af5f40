"""Build of pyad._C. Compiler directives and flags are set here, once.

PYAD_DEBUG_CYTHON=1 turns on Cython bounds/initialisation checks (a debug build).
"""
import os
import shutil
import subprocess

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))

DEBUG = os.environ.get("PYAD_DEBUG_CYTHON", "0") not in ("", "0")

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
# NEON on arm64); there is no SIMD multiversioning, so nothing needs a runtime CPU check.
# Release wheels drop debug info through CFLAGS (see [tool.cibuildwheel] in pyproject.toml).
# -ffp-contract=off: a*b + c stays two roundings (Clang would fuse it into an FMA where the
# ISA has one), so fused backward kernels give the same bits as the unfused ops they replace.
GCC_CLANG = ["-O3", "-fno-math-errno", "-ffp-contract=off", "-std=c99", "-Wno-unused-function"]
COMPILE_ARGS = {
    "unix": GCC_CLANG,  # GCC on Linux, Clang on macOS
    "mingw32": GCC_CLANG,
    "msvc": ["/O2", "/fp:precise"],  # /fp:precise is MSVC's default float model, said out loud
}
# Size, GCC only (the wheel stays under 1 MB): constant-propagation clones of big cold
# functions (einsum, tensordot) and asynchronous unwind tables (nothing unwinds through this C
# code: no C++ exceptions, no thread cancellation) were ~80 kB of the compressed wheel, for
# +1% instructions on the fixed-cost workloads (callgrind). Debug builds keep both.
GCC_SIZE_ARGS = ["-fno-ipa-cp-clone", "-fno-asynchronous-unwind-tables"]


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

ext = Extension(
    "pyad._C",
    sources=["csrc/_C.pyx"],
    include_dirs=["csrc"],
    depends=["csrc/pyad_kernels.h", "csrc/pyad_nploops.h", "csrc/pyad_alloc.h", "csrc/pyad_types.pxd"] + [
        os.path.join("csrc", f) for f in os.listdir("csrc") if f.endswith(".pxi")],
)


class build_ext_into_checkout(build_ext):
    """Compile with this compiler's COMPILE_ARGS; also place the built extension in the
    checkout's pyad/ (it is git-ignored).

    `python -m pyad` and `python -m pytest` run from a checkout import ./pyad before the
    installed copy (the current directory comes first on sys.path); with the extension just
    built beside the sources, both run the code that `pip install .` installed.
    """

    def build_extensions(self):
        args = list(COMPILE_ARGS.get(self.compiler.compiler_type, []))
        if not DEBUG and is_gcc(self.compiler):
            args += GCC_SIZE_ARGS
        for ext in self.extensions:
            ext.extra_compile_args = args + list(ext.extra_compile_args or [])
        # A Python built with a run path to its own lib/ (pyenv, some distros) passes it to
        # every extension; _C links no library there, and a wheel must not carry the
        # builder's paths (wheels/build.py checks the .so has no RPATH/RUNPATH).
        linker = getattr(self.compiler, "linker_so", None)
        if linker:
            self.compiler.linker_so = [a for a in linker if not a.startswith("-Wl,-rpath")]
        super().build_extensions()

    def run(self):
        super().run()
        if self.inplace:
            return
        for ext in self.extensions:
            built = self.get_ext_fullpath(ext.name)
            target = os.path.join(HERE, *ext.name.split(".")[:-1], os.path.basename(built))
            if os.path.isdir(os.path.dirname(target)) and os.path.abspath(built) != target:
                shutil.copyfile(built, target)


setup(cmdclass={"build_ext": build_ext_into_checkout},
      ext_modules=cythonize([ext], compiler_directives=directives, include_path=["csrc"],
                            build_dir="build/cython"))
