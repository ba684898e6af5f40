"""Shared test helpers for pyad.

Module switch
-------------
The tests are written against ``pyad``.  Setting ``PYAD_TEST_AGAINST_TORCH=1``
makes them run against PyTorch instead (``pt`` is then ``torch``).  That mode
exists to validate the tests themselves: every expected value and message in
this suite is PyTorch's, so a torch-mode run must pass.

Use the ``pt`` fixture (the module under test) in tests.  Expected messages
are written with ``pyad.`` (``pyad.Size([4])``, ``dtype=pyad.float64``);
``sub()`` / ``raises_exact()`` rewrite that prefix for the module under test.

Numeric helpers
---------------
``numeric_grad`` and ``numeric_hessian`` / ``numeric_hvp`` are central
finite differences in float64, used as ground truth for gradient checks.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

# `python -m pytest` puts the checkout first on sys.path. A clean clone has no compiled
# extension in pyad/, so there the suite must import the installed pyad, not the sources.
_CHECKOUT = str(Path(__file__).resolve().parents[1])
if not list(Path(_CHECKOUT, "pyad").glob("_C.*")):
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _CHECKOUT]

AGAINST_TORCH = os.environ.get("PYAD_TEST_AGAINST_TORCH", "") not in ("", "0")
MODULE_NAME = "torch" if AGAINST_TORCH else "pyad"

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_module():
    """Import and return the module under test (pyad, or torch in torch mode)."""
    return importlib.import_module(MODULE_NAME)


@pytest.fixture(scope="session")
def pt():
    """The module under test: ``pyad`` (or ``torch`` with PYAD_TEST_AGAINST_TORCH=1)."""
    return load_module()


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Default dtype and grad mode are global: restore them around every test."""
    mod = sys.modules.get(MODULE_NAME)
    before = None
    if mod is not None:
        try:
            before = (mod.get_default_dtype(), mod.is_grad_enabled())
        except Exception:
            before = None
    yield
    mod = sys.modules.get(MODULE_NAME)
    if mod is None:
        return
    try:
        dtype, enabled = before if before is not None else (mod.float32, True)
        mod.set_default_dtype(dtype)
        mod.set_grad_enabled(enabled)
    except Exception:
        pass


# ----------------------------------------------------------------------------
# Messages
# ----------------------------------------------------------------------------


def sub(message: str) -> str:
    """A message written with ``pyad.`` names, as the module under test prints it."""
    return message.replace("pyad.", MODULE_NAME + ".")


@contextlib.contextmanager
def raises_exact(exc_type, message: str):
    """Like ``pytest.raises`` but the message must equal ``sub(message)`` exactly."""
    with pytest.raises(exc_type) as info:
        yield info
    assert str(info.value) == sub(message)


def module_path_env():
    """Environment for a subprocess that must import the same module as this process.

    The directory that holds the imported package goes first on PYTHONPATH so a
    subprocess cannot pick up a different copy (e.g. the uncompiled source tree).
    """
    env = dict(os.environ)
    mod = load_module()
    pkg_parent = str(Path(mod.__file__).resolve().parent.parent)
    parts = [pkg_parent] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


# ----------------------------------------------------------------------------
# Finite differences (float64)
# ----------------------------------------------------------------------------


def numeric_grad(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function.

    ``f`` maps a float64 numpy array shaped like ``x`` to a Python float.
    Returns a float64 array shaped like ``x``.
    """
    x = np.array(x, dtype=np.float64, copy=True)
    flat = x.reshape(-1)
    g = np.zeros_like(flat)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = float(f(x))
        flat[i] = old - eps
        fm = float(f(x))
        flat[i] = old
        g[i] = (fp - fm) / (2.0 * eps)
    return g.reshape(x.shape)


def numeric_hvp(grad_f, x, v, eps=1e-5):
    """Hessian-vector product by central differences of an analytic gradient.

    ``grad_f`` maps a float64 array shaped like ``x`` to its gradient (same shape).
    Returns ``H @ v`` shaped like ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    gp = np.asarray(grad_f(x + eps * v), dtype=np.float64)
    gm = np.asarray(grad_f(x - eps * v), dtype=np.float64)
    return (gp - gm) / (2.0 * eps)


def numeric_hessian(grad_f=None, x=None, eps=1e-5, f=None):
    """Full Hessian by finite differences, shaped ``x.shape + x.shape``.

    With ``grad_f`` (array -> gradient array): central differences of the
    analytic gradient, symmetrised.  With ``f`` only (array -> float):
    second-order central differences of ``f``.
    """
    x = np.array(x, dtype=np.float64, copy=True)
    n = x.size
    H = np.zeros((n, n))
    if grad_f is not None:
        for i in range(n):
            e = np.zeros(n)
            e[i] = 1.0
            H[:, i] = numeric_hvp(grad_f, x, e.reshape(x.shape), eps).reshape(-1)
        H = 0.5 * (H + H.T)
    elif f is not None:
        flat = x.reshape(-1)

        def at(i, di, j, dj):
            y = flat.copy()
            y[i] += di
            y[j] += dj
            return float(f(y.reshape(x.shape)))

        f0 = float(f(x))
        for i in range(n):
            H[i, i] = (at(i, eps, i, 0) - 2 * f0 + at(i, -eps, i, 0)) / eps**2
            for j in range(i + 1, n):
                h = (
                    at(i, eps, j, eps)
                    - at(i, eps, j, -eps)
                    - at(i, -eps, j, eps)
                    + at(i, -eps, j, -eps)
                ) / (4 * eps**2)
                H[i, j] = H[j, i] = h
    else:
        raise TypeError("numeric_hessian needs grad_f or f")
    return H.reshape(x.shape + x.shape)


def to_numpy(t):
    """A float64/int numpy copy of a tensor (detached), or None passed through."""
    if t is None:
        return None
    return np.array(t.detach().numpy(), copy=True)


def statm_rss_bytes():
    """Resident set size from /proc/self/statm, or None where unavailable."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def asan_loaded():
    """True when AddressSanitizer's runtime is in this process (tools/sanitize.sh preloads it).

    Its quarantine keeps freed blocks resident (256 MB by default), so resident memory is no
    measure of leaks there; the leak check of such a run is LeakSanitizer's.
    """
    import ctypes

    if sys.platform == "win32":   # CDLL(None) (this process's symbols) is POSIX's dlopen(NULL)
        return False
    try:
        return hasattr(ctypes.CDLL(None), "__asan_init")
    except Exception:   # noqa: BLE001 (OSError, or TypeError where ctypes refuses None)
        return False
