"""The reductions' backwards written once against CMath (csrc/cmath.pxi, ops_reduce.pxi):
logsumexp, softmax/log_softmax, var/std, norm, prod, amax/amin and max()/min(), max/min(dim).

Each program reduces a (4, n) or (n, 4) input along n, for n across the C kernels' size
boundaries (1, 3, 17, 130, 1025: one element, a short scalar tail, runs past 16, a pairwise
block past 128, many blocks), with and without keepdim, and checks, in float32 and float64:

- the numeric sweep (create_graph=False) and the recorded one (create_graph=True) give one
  gradient, with the same NaN/inf pattern, for ordinary inputs and upstream gradients and for
  special ones (NaN, +-inf, +-0 and ties in the input; NaN, +-inf and 0 in the upstream
  gradient);
- both are torch's gradient of the same program (torch's sweep of the same kind);
- the second derivative (through the recorded sweep) is torch's, with respect to the input and
  to the upstream gradient (None where torch's is None);
- in float64, at ordinary inputs, the gradient is the central difference at a few coordinates.

The 3, 130 and 1025 sizes are marked slow (the fast subset keeps 1 and 17).
"""

import math
import zlib

import numpy as np
import pytest

from conftest import load_module
from test_written_once_sizes import _same as _same_arrays

pt = load_module()

NAN, INF = math.nan, math.inf
SIZES = [1, 17] + [pytest.param(n, marks=pytest.mark.slow) for n in (3, 130, 1025)]
RTOL = {"float32": 2e-5, "float64": 1e-11}


# ---- the programs: (name, fn(m, x, dim, keepdim), input kind) -------------------------------

def _norm(p):
    return lambda m, x, d, k: m.linalg.vector_norm(x, p, d, keepdim=k)


PROGRAMS = [
    ("logsumexp", lambda m, x, d, k: m.logsumexp(x, d, keepdim=k), "u"),
    ("logsumexp:all", lambda m, x, d, k: m.logsumexp(x, (0, 1), keepdim=k), "u"),
    ("softmax", lambda m, x, d, k: x.softmax(d), "u"),
    ("log_softmax", lambda m, x, d, k: x.log_softmax(d), "u"),
    ("var", lambda m, x, d, k: m.var(x, d, keepdim=k), "u"),
    ("var:c0", lambda m, x, d, k: m.var(x, d, correction=0, keepdim=k), "u"),
    ("var:all", lambda m, x, d, k: m.var(x), "u"),
    ("std", lambda m, x, d, k: m.std(x, d, keepdim=k), "u"),
    ("std:all", lambda m, x, d, k: m.std(x, correction=0), "u"),
    *[(f"norm:{p}", _norm(p), "u") for p in (2, 1, 3, 0.5, 1.5, INF, -INF, 0)],
    ("norm:inf:all", lambda m, x, d, k: m.linalg.vector_norm(x, INF), "u"),
    ("prod", lambda m, x, d, k: m.prod(x, d, keepdim=k), "near1"),
    ("prod:all", lambda m, x, d, k: m.prod(x), "near1"),
    ("amax", lambda m, x, d, k: m.amax(x, d, keepdim=k), "u"),
    ("amin", lambda m, x, d, k: m.amin(x, d, keepdim=k), "u"),
    ("amax:two", lambda m, x, d, k: m.amax(x, (0, 1), keepdim=k), "u"),
    ("max", lambda m, x, d, k: m.max(x), "u"),
    ("min", lambda m, x, d, k: m.min(x), "u"),
    ("max:dim", lambda m, x, d, k: m.max(x, d, keepdim=k).values, "u"),
    ("min:dim", lambda m, x, d, k: m.min(x, d, keepdim=k).values, "u"),
]


def _params():
    for name, fn, kind in PROGRAMS:
        for layout in ("rows", "cols"):
            for keepdim in (False, True):
                if keepdim and name.split(":")[0] in ("softmax", "log_softmax", "max", "min") \
                        and "dim" not in name:
                    continue            # no keepdim argument: one run is enough
                for n in SIZES:
                    marks = ()
                    if isinstance(n, type(pytest.param(0))):
                        marks, n = n.marks, n.values[0]
                    pid = f"{name}-{layout}-{'keep' if keepdim else 'drop'}-{n}"
                    yield pytest.param(name, fn, kind, layout, keepdim, n, id=pid, marks=marks)


PARAMS = list(_params())


# ---- inputs -----------------------------------------------------------------------------------

def _seed(*parts):
    return zlib.crc32(":".join(map(str, parts)).encode())


def _input(name, kind, layout, n, special):
    """(4, n) or (n, 4), reduced along n. special: line 0 holds a NaN, line 1 +inf (and -inf),
    line 2 +0 and -0 (prod: line 2 one zero, line 3 two), line 3 a tie of its extremes."""
    rng = np.random.default_rng(_seed(name, layout, n))
    a = rng.uniform(0.9, 1.1, (4, n)) if kind == "near1" else rng.uniform(-1.5, 1.5, (4, n))
    if special:
        a[0, n // 2] = NAN
        a[1, 0] = INF
        if n > 1:
            a[1, n - 1] = -INF
        if name.startswith("prod"):
            a[2, n // 3] = 0.0
            a[3, 0] = 0.0
            a[3, n - 1] = -0.0
        else:
            a[2, 0] = 0.0
            a[2, n - 1] = -0.0
            if n > 2:           # the largest twice, the smallest twice (n == 3: once)
                top, low = a[3].max(), a[3].min()
                a[3, 0] = a[3, n - 1] = top
                a[3, 1] = a[3, n - 2 if n > 3 else 1] = low
    return a if layout == "rows" else np.ascontiguousarray(a.T)


def _upstream(shape, seed, special):
    w = np.random.default_rng(seed).uniform(-1.5, 1.5, shape)
    if special:
        flat = w.reshape(-1)
        for i, v in enumerate((NAN, INF, -INF, 0.0)):
            if i < flat.size:
                flat[flat.size - 1 - i if i == 3 else i] = v
    return w


def _dim(layout):
    return 1 if layout == "rows" else 0


def _grad(m, fn, a, dim, keepdim, dtype, w, create_graph):
    x = m.tensor(a, dtype=getattr(m, dtype), requires_grad=True)
    out = fn(m, x, dim, keepdim)
    g = m.tensor(w, dtype=out.dtype)
    (gx,) = m.autograd.grad(out, x, g, create_graph=create_graph, allow_unused=True)
    return None if gx is None else np.array(gx.detach().numpy(), dtype=np.float64)


def _out_shape(fn, a, dim, keepdim):
    return tuple(fn(pt, pt.tensor(a, requires_grad=True), dim, keepdim).shape)


def _same(a, b, rtol, what):
    """Both None, or the same shape, NaN/inf pattern and values (test_written_once_sizes')."""
    if a is None or b is None:
        assert a is None and b is None, f"{what}: one gradient is None"
        return
    _same_arrays(a, b, rtol, what)


def _setup(name, kind, fn, layout, keepdim, n, special_x, special_g):
    a = _input(name, kind, layout, n, special_x)
    d = _dim(layout)
    w = _upstream(_out_shape(fn, a, d, keepdim), _seed(name, layout, n, "g"), special_g)
    return a, d, w


SPECIALS = [pytest.param(False, False, id="ordinary"), pytest.param(True, False, id="x"),
            pytest.param(False, True, id="g"), pytest.param(True, True, id="xg")]


def _known_difference(name, n, special_x, special_g):
    """Where pyad's gradient is known to differ from torch's (both sweeps alike, as before
    the backwards were written once):
    - max()/min() of every element with NaN in the upstream gradient: torch's CPU formula
      masked_fills g / count into zeros, pyad multiplies by the mask (as torch's amax), so the
      NaN reaches every element;
    - a 2-, 1.5- or 3-norm over one element (n == 1) at inf or NaN: torch computes |x| there
      (its backward sgn(x) g), pyad takes norm_backward's formula."""
    if name in ("max", "min") and special_g:
        return True
    return n == 1 and special_x and special_g and name in ("norm:2", "norm:1.5", "norm:3")


@pytest.mark.parametrize("special_x, special_g", SPECIALS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, fn, kind, layout, keepdim, n", PARAMS)
def test_sweeps_agree_and_match_torch(name, fn, kind, layout, keepdim, n, dtype, special_x,
                                      special_g):
    a, d, w = _setup(name, kind, fn, layout, keepdim, n, special_x, special_g)
    numeric = _grad(pt, fn, a, d, keepdim, dtype, w, False)
    recorded = _grad(pt, fn, a, d, keepdim, dtype, w, True)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is None or torch is pt:
        if name == "prod:all" and special_x:
            pytest.skip("torch's own two sweeps differ here (below), and pyad follows each: "
                        "nothing to compare with without torch")
        _same(numeric, recorded, RTOL[dtype], "numeric sweep vs recorded sweep")
        return
    if _known_difference(name, n, special_x, special_g):
        _same(numeric, recorded, RTOL[dtype], "numeric sweep vs recorded sweep")
        return
    want = [_grad(torch, fn, a, d, keepdim, dtype, w, cg) for cg in (False, True)]
    _same(numeric, want[0], RTOL[dtype], "numeric sweep vs torch (create_graph=False)")
    _same(recorded, want[1], RTOL[dtype], "recorded sweep vs torch (create_graph=True)")
    # where torch's own two sweeps agree (prod over all elements with two zeros is the one
    # place they may not: torch's numeric formula gives zeros there), so must pyad's
    try:
        _same(want[0], want[1], RTOL[dtype], "torch")
    except AssertionError:
        assert name == "prod:all" and special_x, "torch's two sweeps disagree"
        return
    _same(numeric, recorded, RTOL[dtype], "numeric sweep vs recorded sweep")


def _second(m, fn, a, dim, keepdim, dtype, w, v):
    x = m.tensor(a, dtype=getattr(m, dtype), requires_grad=True)
    out = fn(m, x, dim, keepdim)
    g = m.tensor(w, dtype=out.dtype, requires_grad=True)
    (gx,) = m.autograd.grad(out, x, g, create_graph=True, allow_unused=True)
    if gx is None or not gx.requires_grad:
        return None
    s = (gx * m.tensor(v, dtype=gx.dtype)).sum()
    gs = m.autograd.grad(s, [x, g], allow_unused=True)
    return [None if t is None else _array(t) for t in gs]


def _array(t):
    if getattr(t, "_is_zerotensor", lambda: False)():    # torch's zero second derivatives
        return np.zeros(tuple(t.shape))
    return np.array(t.detach().numpy(), dtype=np.float64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, fn, kind, layout, keepdim, n", PARAMS)
def test_second_derivative_matches_torch(name, fn, kind, layout, keepdim, n, dtype):
    """The recorded sweep's gradient differentiated again, with respect to the input and to
    the upstream gradient, at ordinary inputs. (At NaN/inf/zero inputs the second derivatives
    of norm, prod and std have NaN patterns of their own, unchanged by writing the backwards
    once.)"""
    torch = pytest.importorskip("torch")
    if torch is pt:
        pytest.skip("the module under test is torch")
    a, d, w = _setup(name, kind, fn, layout, keepdim, n, False, False)
    v = np.random.default_rng(_seed(name, n, "v")).uniform(-1.5, 1.5, a.shape)
    got = _second(pt, fn, a, d, keepdim, dtype, w, v)
    want = _second(torch, fn, a, d, keepdim, dtype, w, v)
    assert (got is None) == (want is None)
    if got is not None:
        for i, (p, q) in enumerate(zip(got, want)):
            _same(p, q, RTOL[dtype] * 10, f"second derivative, input {i}")


@pytest.mark.parametrize("name, fn, kind, layout, keepdim, n", PARAMS)
def test_gradient_matches_finite_differences(name, fn, kind, layout, keepdim, n):
    """float64, ordinary inputs: the gradient of sum(w * f(x)) at a few coordinates is the
    central difference of that sum."""
    if name == "norm:0":
        pytest.skip("the 0-'norm' counts nonzeros: no gradient (None, as torch)")
    a, d, w = _setup(name, kind, fn, layout, keepdim, n, False, False)
    grad = _grad(pt, fn, a, d, keepdim, "float64", w, False)
    rng = np.random.default_rng(_seed(name, layout, n, "fd"))
    step = 1e-6

    def f(arr):
        return fn(pt, pt.tensor(arr, dtype=pt.float64), d, keepdim).numpy()

    for k in sorted({*rng.integers(0, a.size, 3).tolist(), a.size - 1}):
        plus, minus = a.copy(), a.copy()
        plus.reshape(-1)[k] += step
        minus.reshape(-1)[k] -= step
        fd = float(np.sum(w * (f(plus) - f(minus)))) / (2 * step)
        got = grad.reshape(-1)[k]
        if math.isnan(fd) and math.isnan(got):      # var/std of one element: NaN, both
            continue
        assert got == pytest.approx(fd, rel=1e-5, abs=1e-6), \
            f"flat coordinate {k}: gradient {got}, central difference {fd}"


def test_grad_fn_names():
    x = pt.rand(3, 4, dtype=pt.float64, requires_grad=True)
    names = {
        "LogsumexpBackward0": pt.logsumexp(x, 1), "SoftmaxBackward0": x.softmax(1),
        "LogSoftmaxBackward0": x.log_softmax(1), "VarBackward0": x.var(1),
        "StdBackward0": x.std(1), "LinalgVectorNormBackward0": pt.linalg.vector_norm(x, 2, 1),
        "ProdBackward0": x.prod(), "ProdBackward1": x.prod(1), "AmaxBackward0": x.amax(1),
        "AminBackward0": x.amin(1), "MaxBackward1": x.max(), "MinBackward1": x.min(),
        "MaxBackward0": x.max(1).values, "MinBackward0": x.min(1).values,
    }
    for want, y in names.items():
        assert y.grad_fn.name() == want
