"""Checks on the pyad that the suite imported, for runs against an installed wheel.

wheels/build.py and cibuildwheel set PYAD_EXPECT_INSTALLED=1: then pyad must come from the
environment's site-packages, never from a source tree, or the run would test the wrong build.
The version must be the installed metadata's (pyad/_version.py is the one source of both).
The float-semantics check runs always: a library built with -ffast-math can switch the whole
process to flush-to-zero when it is loaded.
"""

import importlib.metadata
import os
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from conftest import AGAINST_TORCH

pytestmark = pytest.mark.skipif(AGAINST_TORCH, reason="checks pyad's own build")

EXPECT_INSTALLED = os.environ.get("PYAD_EXPECT_INSTALLED", "") not in ("", "0")


@pytest.mark.skipif(not EXPECT_INSTALLED, reason="set PYAD_EXPECT_INSTALLED=1 to check")
def test_imported_from_site_packages():
    import pyad

    package = Path(pyad.__file__).resolve().parent
    site = {Path(sysconfig.get_path(k)).resolve() for k in ("purelib", "platlib")}
    assert package.parent in site, f"pyad was imported from {package}, not from {site}"
    assert Path(pyad._C.__file__).resolve().parent == package
    checkout = Path(__file__).resolve().parents[1]
    assert checkout not in package.parents


def test_version_matches_the_installed_metadata():
    import pyad

    try:
        dist = importlib.metadata.distribution("pyad")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("pyad is not installed")
    installed_file = Path(dist.locate_file("pyad/__init__.py")).resolve()
    if installed_file != Path(pyad.__file__).resolve():
        pytest.skip("pyad was imported from a checkout, not from the installed distribution")
    assert pyad.__version__ == dist.version


def test_subnormals_survive_loading_pyad():
    import pyad

    tiny = np.float64(5e-324)  # the smallest subnormal double
    assert tiny * np.float64(1.0) != 0.0, "the process flushes subnormals to zero"
    t = pyad.tensor([1e-310], dtype=pyad.float64) * 0.5
    assert t.item() != 0.0 and t.item() == 1e-310 * 0.5
    f = pyad.tensor([1e-40], dtype=pyad.float32) * 1.0  # float32 subnormal
    assert f.item() != 0.0
