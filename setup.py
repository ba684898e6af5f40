"""Build of pyad._C. Compiler directives and flags are set here, once.

PYAD_DEBUG_CYTHON=1 turns on Cython bounds/initialisation checks (a debug build).
"""
import os
import shutil
import sys

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



class build_ext_into_checkout(build_ext):
    """Also place the built extension in the checkout's pyad/ (it is git-ignored).

    `python -m pyad` and `python -m pytest` run from a checkout import ./pyad before the
    installed copy (the current directory comes first on sys.path); with the extension just
    built beside the sources, both run the code that `pip install .` installed.
    """

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
