"""Build of pyad._C. Compiler directives and flags are set here, once.

PYAD_DEBUG_CYTHON=1 turns on Cython bounds/initialisation checks (a debug build).
"""
import os
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

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

if sys.platform == "win32":
    compile_args = ["/O2"]
else:
    # portable: no -march=native, no -ffast-math (NaN/Inf semantics must match torch)
    compile_args = ["-O3", "-fno-math-errno", "-std=c99", "-Wno-unused-function"]

ext = Extension(
    "pyad._C",
    sources=["csrc/_C.pyx"],
    include_dirs=["csrc"],
    depends=["csrc/pyad_kernels.h", "csrc/pyad_types.pxd"] + [
        os.path.join("csrc", f) for f in os.listdir("csrc") if f.endswith(".pxi")],
    extra_compile_args=compile_args,
)

setup(ext_modules=cythonize([ext], compiler_directives=directives, include_path=["csrc"],
                            build_dir="build/cython"))
