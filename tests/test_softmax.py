"""softmax / log_softmax as one node (ops_reduce.pxi t_softmax): values, first and second
derivatives and grad_fn names against torch and finite differences, any dim, both float
dtypes, non-finite inputs, and the composed fallback for what the fused op does not take."""
import numpy as np
import pytest

import pyad
import pyad.nn.functional as F
from conftest import numeric_grad

@pytest.fixture
def torch():
    """torch where installed; the tests that compare with it skip without it."""
    return pytest.importorskip("torch")


CASES = [((3, 4), 1), ((3, 4), 0), ((2, 3, 5), 1), ((2, 3, 5), -1), ((2, 3, 5), 0), ((7,), 0),
         ((1000,), -1), ((40, 33), 1), ((33, 40), 0), ((1, 1), 1), ((2, 0, 3), 1), ((2, 0, 3), 2)]


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * 3


@pytest.mark.parametrize("is_log", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,dim", CASES)
def test_against_torch(torch, shape, dim, dtype, is_log):
    xn = _x(shape)
    gn = np.cos(xn)
    x = pyad.tensor(xn, dtype=getattr(pyad, dtype), requires_grad=True)
    xt = torch.tensor(xn, dtype=getattr(torch, dtype), requires_grad=True)
    f, ft = (F.log_softmax, torch.log_softmax) if is_log else (F.softmax, torch.softmax)
    y, yt = f(x, dim), ft(xt, dim)
    assert type(y.grad_fn).__name__ == yt.grad_fn.name()
    tol = dict(rtol=2e-6, atol=2e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), **tol)
    g = pyad.tensor(gn, dtype=getattr(pyad, dtype))
    gt = torch.tensor(gn, dtype=getattr(torch, dtype))
    (gx,) = pyad.autograd.grad(y, x, g, create_graph=True)
    (gxt,) = torch.autograd.grad(yt, xt, gt, create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), gxt.detach().numpy(), **tol)
    if xn.size:
        (h,) = pyad.autograd.grad((gx * gx).sum(), x)
        (ht,) = torch.autograd.grad((gxt * gxt).sum(), xt)
        np.testing.assert_allclose(h.numpy(), ht.numpy(),
                                   rtol=tol["rtol"] * 50, atol=tol["atol"] * 50)


@pytest.mark.parametrize("is_log", [False, True])
@pytest.mark.parametrize("shape,dim", [((3, 4), 1), ((2, 3, 4), 1), ((5,), 0)])
def test_finite_differences(shape, dim, is_log):
    f = F.log_softmax if is_log else F.softmax
    xn = _x(shape, 1)
    w = np.sin(np.arange(xn.size).reshape(shape))

    def loss(t):
        return (f(t, dim) * pyad.tensor(w)).sum()

    x = pyad.tensor(xn, dtype=pyad.float64, requires_grad=True)
    (g,) = pyad.autograd.grad(loss(x), x, create_graph=True)
    num = numeric_grad(lambda a: loss(pyad.tensor(a)).item(), xn)
    np.testing.assert_allclose(g.detach().numpy(), num, rtol=1e-6, atol=1e-8)
    # second order: the gradient of sum(g^2) against differences of the first gradient
    (h,) = pyad.autograd.grad((g * g).sum(), x)

    def gsq(a):
        t = pyad.tensor(a, requires_grad=True)
        (gg,) = pyad.autograd.grad(loss(t), t)
        return float((gg * gg).sum())

    np.testing.assert_allclose(h.numpy(), numeric_grad(gsq, xn), rtol=1e-5, atol=1e-7)


def test_numeric_and_recorded_backward_agree():
    xn = _x((6, 9), 2)
    for f in (F.softmax, F.log_softmax):
        for dim in (0, 1):
            x = pyad.tensor(xn, requires_grad=True, dtype=pyad.float64)
            g = pyad.tensor(np.cos(xn))
            (a,) = pyad.autograd.grad(f(x, dim), x, g)
            (b,) = pyad.autograd.grad(f(x, dim), x, g, create_graph=True)
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("is_log", [False, True])
def test_non_finite_rows_match_torch(torch, is_log):
    xn = np.array([[1.0, np.inf, 2.0], [-np.inf, -np.inf, -np.inf], [np.nan, 0.0, 1.0],
                   [-np.inf, 0.0, 1.0], [1e308, -1e308, 0.0]])
    f, ft = (F.log_softmax, torch.log_softmax) if is_log else (F.softmax, torch.softmax)
    got = f(pyad.tensor(xn), 1).numpy()
    want = ft(torch.tensor(xn), 1).numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=1e-15)


def test_fallbacks_keep_their_behaviour(torch):
    # int tensors and 0-d tensors take the composed form
    assert F.softmax(pyad.tensor(2.0), 0).item() == 1.0
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(pyad.rand(2, 3), 2)
    y = F.softmax(pyad.rand(2, 3, requires_grad=True), dim=1)
    assert type(y.grad_fn).__name__ == "SoftmaxBackward0"
    # the dtype argument casts first, as torch
    assert F.softmax(pyad.rand(2, 3), 1, dtype=pyad.float64).dtype == pyad.float64
    assert pyad.rand(2, 3).softmax(0).shape == (2, 3)
