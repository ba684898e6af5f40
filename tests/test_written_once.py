"""The ops whose backward is written once against BwMath or CMath (csrc/bw_math.pxi,
csrc/cmath.pxi) give the same gradient on both sweeps.

For every ported op, in float32 and float64, at ordinary inputs and at special ones (NaN, +-inf
entries, singular matrices, zeros, an upstream gradient holding NaN and inf), the gradient with
``create_graph=False`` (the formula over numpy arrays) and with ``create_graph=True`` (the same
formula over recorded pyad ops) must have the same NaN and inf pattern and finite values within
rounding. A forward that refuses an input (a singular ``inv``) is skipped: there is no backward.
"""

import math

import numpy as np
import pytest

from conftest import load_module, sub

pt = load_module()

NAN, INF = math.nan, math.inf
COND = np.array([[3.0, 1.0, -0.5], [0.25, 2.5, 1.0], [-1.0, 0.5, 4.0]])
SPD = COND @ COND.T + 3 * np.eye(3)
SING = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
B = np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 1.5]])
# rows for the scans: zeros (one, two), NaN, +-inf, beside ordinary values
ROWS = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 3.0, 0.0, 2.0], [1.0, NAN, 2.0, 0.5],
                 [2.0, INF, -0.5, 0.0], [-INF, 0.5, 1.0, 1.5], [0.75, -1.25, 2.0, 0.5]])


def _with(a, i, j, v):
    a = np.array(a)
    a[..., i, j] = v
    return a


# name: (function of the inputs, ordinary inputs, special inputs (lists of arrays))
OPS = {
    "solve": (lambda m, a, b: m.linalg.solve(a, b), [COND, B],
              [[_with(COND, 0, 1, NAN), B], [COND, _with(B, 1, 0, INF)],
               [_with(COND, 2, 2, INF), B]]),
    "solve:vec": (lambda m, a, b: m.linalg.solve(a, b), [np.stack([COND, COND.T]), B[:, 0]],
                  [[COND, np.array([NAN, 1.0, INF])]]),
    "solve:right": (lambda m, a, b: m.linalg.solve(a, b, left=False), [COND, B.T],
                    [[_with(COND, 1, 1, -INF), B.T]]),
    "inv": (lambda m, a: m.linalg.inv(a), [np.stack([COND, SPD])],
            [[_with(COND, 0, 0, NAN)], [_with(COND, 1, 2, INF)]]),
    "det": (lambda m, a: m.linalg.det(a), [np.stack([COND, SPD])],
            [[SING], [np.zeros((3, 3))], [np.stack([COND, SING])], [_with(COND, 0, 2, NAN)],
             [_with(COND, 1, 1, INF)], [np.array([[2.0]])], [np.array([[0.0]])],
             [np.stack([SING, _with(COND, 0, 0, NAN)])],
             [np.stack([SING, _with(COND, 2, 1, INF)])]]),
    "slogdet": (lambda m, a: m.linalg.slogdet(a)[1], [np.stack([COND, -SPD])],
                [[_with(COND, 0, 0, NAN)], [_with(COND, 2, 1, INF)]]),
    "cholesky": (lambda m, a: m.linalg.cholesky(a), [np.stack([SPD, 2 * SPD])],
                 [[SPD * 1e-200], [SPD * 1e150]]),
    "cholesky:upper": (lambda m, a: m.linalg.cholesky(a, upper=True), [SPD], []),
    "cumsum": (lambda m, x: m.cumsum(x, 1), [COND], [[ROWS], [ROWS[:, :1]]]),
    "cumsum:dim0": (lambda m, x: m.cumsum(x, 0), [COND], [[ROWS]]),
    "cumprod": (lambda m, x: m.cumprod(x, -1), [COND], [[ROWS], [ROWS[:, :1]], [np.array(2.5)]]),
    "cumprod:dim0": (lambda m, x: m.cumprod(x, 0), [COND], [[ROWS.T]]),
    # the products (CMath's bmm): each kind, and the second-order nodes that read an operand
    # stored transposed (g @ B^T, A^T @ g) in place
    "dot": (lambda m, x, y: m.dot(x, y), [B[:, 0], COND[0]],
            [[np.array([NAN, 1.0, 2.0]), COND[0]], [np.array([INF, 0.0, -1.0]), COND[1]]]),
    "mv": (lambda m, a, x: m.mv(a, x), [COND, B[:, 1]],
           [[_with(COND, 0, 1, NAN), B[:, 1]], [COND, np.array([1.0, -INF, 0.0])]]),
    "vm": (lambda m, x, a: x @ a, [B[:, 1], COND], [[np.array([0.0, INF, 1.0]), COND]]),
    "mm": (lambda m, a, b: a @ b, [COND, B], [[_with(COND, 2, 0, INF), B],
                                              [COND, _with(B, 0, 1, NAN)]]),
    "bmm": (lambda m, a, b: m.bmm(a, b), [np.stack([COND, SPD]), np.stack([B, -B])],
            [[np.stack([COND, _with(SPD, 1, 1, -INF)]), np.stack([B, B])]]),
    "matmul:broadcast": (lambda m, a, b: a @ b, [np.stack([COND, SPD]), B],
                         [[np.stack([_with(COND, 0, 0, NAN), SPD]), B]]),
    "mm:second": (lambda m, a, b, v: _prod(m, m.autograd.grad(a @ b, [a, b], v,
                                                              create_graph=True)),
                  [COND, B, B[::-1]], [[COND, _with(B, 2, 1, INF), B], [SING, B, -B]]),
    "mv:second": (lambda m, a, x, v: _prod(m, m.autograd.grad(m.mv(a, x), [a, x], v,
                                                              create_graph=True)),
                  [COND, B[:, 0], B[:, 1]], [[COND, np.array([1.0, NAN, 0.0]), B[:, 1]]]),
    "dot:second": (lambda m, x, y, s: _prod(m, m.autograd.grad(m.dot(x, y), [x, y], s,
                                                               create_graph=True)),
                   [B[:, 0], COND[0], np.array(1.5)], [[B[:, 0], COND[0], np.array(INF)]]),
    # strided gathers and their scatters (CMath's gather/scatter), cat/stack (blocks of g)
    "slice:transpose": (lambda m, x: x[1:, ::2].t() * 1.5, [COND], [[ROWS], [ROWS.T]]),
    "expand": (lambda m, x: x[:, :1].expand(3, 4) * x[:, 1:2], [COND], [[_with(COND, 1, 0, INF)]]),
    "permute:second": (lambda m, x, v: m.autograd.grad(x.permute(1, 0), x, v,
                                                       create_graph=True)[0] * x,
                       [COND, SPD], [[COND, _with(SPD, 0, 2, NAN)]]),
    "cat": (lambda m, a, b: m.cat([a, b, a], 1), [COND, B], [[_with(COND, 2, 2, NAN), B]]),
    "cat:dtypes": (lambda m, a, b: m.cat([a, b.float()], 1), [COND, B], [[COND, _with(B, 0, 0,
                                                                                      INF)]]),
    "stack": (lambda m, a, b: m.stack([a, b, a], 1), [COND, SPD], [[COND, _with(SPD, 1, 1, NAN)]]),
    "split": (lambda m, x: m.cat([p * (i + 1) for i, p in enumerate(m.split(x, 2, 1))], 1),
              [ROWS[:3, :3]], [[ROWS]]),
    # the dtype cast (g cast back) and a value with no derivative (zeros)
    "cast": (lambda m, x: x.double() * x.float(), [COND], [[ROWS]]),
    "zero": (lambda m, x: m.sign(x) * x + m.sign(x), [COND], [[ROWS]]),
    "tril": (lambda m, x: m.tril(x, -1) * x + m.triu(x, 2), [COND], [[ROWS]]),
}


def _prod(m, pair):
    """The product of a pair of gradients (a matrix and a matrix or vector, or two vectors)."""
    a, b = pair
    return m.dot(a, b) if a.dim() == 1 else a @ b


def _grads(fn, arrays, dtype, w, create_graph):
    xs = [pt.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    out = fn(pt, *xs)
    gw = pt.tensor(np.broadcast_to(w.ravel()[:out.numel()].reshape(tuple(out.shape))
                                   if out.numel() else np.zeros(tuple(out.shape)),
                                   tuple(out.shape)), dtype=dtype)
    gs = pt.autograd.grad(out, xs, gw, create_graph=create_graph)
    return [g.detach().numpy().astype(np.float64) for g in gs]


def _same(a, b, rtol, what):
    assert a.shape == b.shape, what
    assert (np.isnan(a) == np.isnan(b)).all(), f"{what}: NaN positions differ\n{a}\n{b}"
    fin = ~np.isnan(a)
    assert (a[fin][np.isinf(a[fin])] == b[fin][np.isinf(a[fin])]).all(), \
        f"{what}: infinities differ\n{a}\n{b}"
    assert (np.isinf(a[fin]) == np.isinf(b[fin])).all(), f"{what}: inf positions differ"
    fa, fb = a[np.isfinite(a)], b[np.isfinite(a)]
    np.testing.assert_allclose(fa, fb, rtol=rtol, atol=rtol * (1 + np.abs(fa).max(initial=0)),
                               err_msg=what)


WEIGHTS = {"ordinary": np.random.default_rng(0).uniform(-1.5, 1.5, 64),
           "special": np.tile([1.0, -0.5, NAN, 2.0, INF, 0.75, -INF, 1.25], 8)}


@pytest.mark.parametrize("w", sorted(WEIGHTS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_both_sweeps_agree(name, dtype, w):
    if pt.__name__ == "torch":
        pytest.skip("pyad's two sweeps")
    fn, ordinary, special = OPS[name]
    rtol = 2e-4 if dtype == "float32" else 1e-10
    for arrays in [ordinary] + special:
        try:
            numeric = _grads(fn, arrays, getattr(pt, dtype), WEIGHTS[w], False)
        except RuntimeError:     # the forward (or its backward) refuses this input
            with pytest.raises(RuntimeError):
                _grads(fn, arrays, getattr(pt, dtype), WEIGHTS[w], True)
            continue
        recorded = _grads(fn, arrays, getattr(pt, dtype), WEIGHTS[w], True)
        for i, (a, b) in enumerate(zip(numeric, recorded)):
            _same(a, b, rtol, f"{name} input {i} at {arrays}")


@pytest.mark.parametrize("create_graph", [False, True])
def test_slogdet_backward_at_singular_matrix_raises_one_error(pt, create_graph):
    """The two sweeps used to differ: the numeric one raised inv's error, the recorded one
    solve's. Both now solve, and raise torch's create_graph=True error (torch's numeric path
    returns infinities there)."""
    if pt.__name__ == "torch" and not create_graph:
        pytest.skip("torch's create_graph=False path solves with the singular LU: infinities")
    x = pt.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    with pytest.raises(RuntimeError) as e:
        pt.autograd.grad(pt.linalg.slogdet(x)[1], x, create_graph=create_graph)
    assert str(e.value) == sub("pyad.linalg.solve: The solver failed because the input matrix "
                               "is singular.")


def test_cholesky_backward_with_infinite_gradient_agrees(pt):
    """The recorded sweep halved phi's diagonal as phi - 0.5 (phi I), which makes 0 * inf = NaN
    off the diagonal; both sweeps now multiply by a constant (1 off the diagonal, 1/2 on it),
    as torch's 0.5 * (gA + tril(gA, -1)^H) keeps an infinite entry infinite."""
    a = np.diag([4.0, 9.0, 16.0])
    w = np.zeros((3, 3))
    w[2, 0] = INF
    out = []
    for cg in (False, True):
        x = pt.tensor(a, requires_grad=True)
        (g,) = pt.autograd.grad(pt.linalg.cholesky(x), x, pt.tensor(w), create_graph=cg)
        out.append(g.detach().numpy())
    _same(out[0], out[1], 1e-12, "cholesky")


@pytest.mark.parametrize("create_graph", [False, True])
def test_det_gradient_at_an_infinite_entry_matches_torch(create_graph):
    """The sweeps used to differ: the numeric one took det(A) A^-T through the inverse (inf
    beside NaN), the recorded one solved (all NaN, as torch). Both now solve with A's LU."""
    torch = pytest.importorskip("torch")
    a = np.array([[2.0, 1.0], [1.0, INF]])
    got = []
    for m in (pt, torch):
        x = m.tensor(a, dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad(m.linalg.det(x), x, create_graph=create_graph)
        got.append(g.detach().numpy())
    _same(got[0], got[1], 1e-12, "det at inf")
