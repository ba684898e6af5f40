"""The numeric sweep's shortcuts give the same bits as the plain formulas.

Two shortcuts (engine.pxi / ops.pxi, see ARCHITECTURE.md "Backward shortcuts"):
- a full sum's gradient travels as one uniform value through add/sub/mul/div/unary nodes
  instead of a buffer of ones;
- a product's gradient g*x (mul, exp, and x*x's 2gx) is added straight into the slot it
  flows to when that slot already holds a buffer.
Each case compares the numeric path (create_graph=False) bit for bit with the recorded
path (create_graph=True, every formula a separate pyad op), with a finite-difference check,
and with torch where it is installed. Orders of accumulation are varied on purpose: the
fused kernels must reproduce (acc + g x) + g x, not acc + 2 g x.
"""

import numpy as np
import pytest

from conftest import numeric_grad

EXPRESSIONS = {
    "x*x+exp": lambda pt, x, y: (x * x + pt.exp(x)).sum(),
    "exp+x*x": lambda pt, x, y: (pt.exp(x) + x * x).sum(),
    "x*x then more": lambda pt, x, y: (pt.sin(x) + x * x + x * 3.0 + x * y).sum(),
    "mean": lambda pt, x, y: (x * y - pt.tanh(x)).mean(),
    "sub/div": lambda pt, x, y: (x / (y + 3.0) - x * x).sum(),
    "broadcast": lambda pt, x, y: (x * y[:1] + x).sum(),
    "neg chain": lambda pt, x, y: (-(-x * 2.0) * x).sum(),
    "reused product": lambda pt, x, y: ((x * y) * (x * y) + pt.exp(x * y)).sum(),
    "sum of sum": lambda pt, x, y: (x * x).sum(0).sum() + (pt.exp(y) * x).sum(),
    "two roots": lambda pt, x, y: (x * x).sum() * (x + y).sum(),
    "f32 cast": lambda pt, x, y: (x.float() * x.float()).sum().double() + x.sum(),
}


def _inputs(pt, dtype):
    rng = np.random.default_rng(3)
    x = pt.tensor(rng.standard_normal((5, 7)), dtype=dtype, requires_grad=True)
    y = pt.tensor(rng.standard_normal((5, 7)), dtype=dtype, requires_grad=True)
    return x, y


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_numeric_path_equals_recorded_path(pt, name, dtype):
    fn = EXPRESSIONS[name]
    x, y = _inputs(pt, getattr(pt, dtype))
    fast = pt.autograd.grad(fn(pt, x, y), (x, y), allow_unused=True)
    rec = pt.autograd.grad(fn(pt, x, y), (x, y), create_graph=True, allow_unused=True)
    assert fast[0] is not None
    for a, b in zip(fast, rec):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.detach().numpy())


@pytest.mark.parametrize("name", sorted(set(EXPRESSIONS) - {"f32 cast"}))   # f32 rounding
def test_against_finite_differences(pt, name):
    fn = EXPRESSIONS[name]
    x, y = _inputs(pt, pt.float64)
    gx, gy = pt.autograd.grad(fn(pt, x, y), (x, y), allow_unused=True)
    y0 = y.detach()
    x0 = x.detach()
    num_x = numeric_grad(lambda a: fn(pt, pt.tensor(a), y0).item(), x0.numpy())
    num_y = numeric_grad(lambda b: fn(pt, x0, pt.tensor(b)).item(), y0.numpy())
    np.testing.assert_allclose(gx.numpy(), num_x, rtol=1e-6, atol=1e-7)
    if gy is None:
        np.testing.assert_array_equal(num_y, 0.0)
    else:
        np.testing.assert_allclose(gy.numpy(), num_y, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_against_torch(pt, name):
    torch = pytest.importorskip("torch")
    fn = EXPRESSIONS[name]
    x, y = _inputs(pt, pt.float64)
    tx, ty = _inputs(torch, torch.float64)
    ours = pt.autograd.grad(fn(pt, x, y), (x, y), allow_unused=True)
    theirs = torch.autograd.grad(fn(torch, tx, ty), (tx, ty), allow_unused=True)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-13, atol=1e-13)


def test_backward_accumulates_into_existing_grad(pt):
    x, y = _inputs(pt, pt.float64)
    (x * x + pt.exp(x)).sum().backward()
    first = x.grad.numpy().copy()
    (x * x + pt.exp(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), first + first)
    np.testing.assert_allclose(first, 2 * x.detach().numpy() + np.exp(x.detach().numpy()),
                               rtol=1e-15)


def test_uniform_gradient_seen_by_hooks_and_captures_is_full(pt):
    """Hooks, retain_grad and grad() of an intermediate get an ordinary full tensor.
    (retain_grad fills z.grad in autograd.grad too, as torch does: 1 + 1 after backward.)"""
    x, _ = _inputs(pt, pt.float64)
    seen = []
    h = x * 2.0
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    z = h + 1.0
    z.retain_grad()
    loss = (z * 1.0).sum()
    (gz,) = pt.autograd.grad(loss, z, retain_graph=True)
    np.testing.assert_array_equal(gz.numpy(), np.ones((5, 7)))
    loss.backward()
    np.testing.assert_array_equal(seen[0], np.ones((5, 7)))
    np.testing.assert_array_equal(z.grad.numpy(), np.full((5, 7), 2.0))
    np.testing.assert_array_equal(x.grad.numpy(), np.full((5, 7), 2.0))


def test_shared_grad_output_is_not_written(pt):
    """A gradient slot holding the caller's grad_outputs buffer is never accumulated into."""
    x, _ = _inputs(pt, pt.float64)
    h = x * 1.0
    y = h * h + pt.exp(h)
    v = pt.ones(5, 7, dtype=pt.float64) * 0.5
    v_before = v.numpy().copy()
    (g,) = pt.autograd.grad(y, x, grad_outputs=v)
    np.testing.assert_array_equal(v.numpy(), v_before)
    xn = x.detach().numpy()
    np.testing.assert_allclose(g.numpy(), 0.5 * (2 * xn + np.exp(xn)), rtol=1e-15)


def test_anomaly_mode_still_checks_every_gradient(pt):
    x = pt.tensor([1.0, 0.0, 2.0], requires_grad=True)
    y = (x * pt.sqrt(x * 0.0) * x).sum()     # sqrt(0) backward: g / 0 -> inf * 0 = nan
    with pt.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="returned nan values"):
            pt.autograd.grad(y, x)


@pytest.mark.parametrize("n", [1, 2, 1000])
def test_sizes(pt, n):
    x = pt.tensor(np.linspace(-1, 1, n), requires_grad=True)
    (g,) = pt.autograd.grad((x * x + pt.exp(x)).mean(), x)
    (r,) = pt.autograd.grad((x * x + pt.exp(x)).mean(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), r.detach().numpy())
    xn = np.linspace(-1, 1, n)
    # atol: 2x + exp(x) cancels to ~1e-6 near x = -0.35, where rtol alone is meaningless
    np.testing.assert_allclose(g.numpy(), (2 * xn + np.exp(xn)) / n, rtol=1e-14, atol=1e-18)


# exp's gradient under a full sum is its result: the sweep hands the result's buffer over
# instead of multiplying it by 1 (ops.pxi result_is_gradient), only when nothing else sees it.
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_exp_result_handed_over_is_exact_and_private(pt, dtype):
    dt = getattr(pt, dtype)
    rng = np.random.default_rng(5)
    x = pt.tensor(rng.standard_normal(1000), dtype=dt, requires_grad=True)
    (g,) = pt.autograd.grad(pt.exp(x).sum(), x)
    np.testing.assert_array_equal(g.numpy(), pt.exp(x).detach().numpy())
    (g2,) = pt.autograd.grad((x * x + pt.exp(x)).sum(), x, create_graph=True)
    (g3,) = pt.autograd.grad((x * x + pt.exp(x)).sum(), x)
    np.testing.assert_array_equal(g3.numpy(), g2.detach().numpy())   # numeric == recorded
    # a result the caller still holds is not handed over: writing into the gradient must
    # leave it alone
    e = pt.exp(x)
    (g4,) = pt.autograd.grad(e.sum(), x)
    before = e.detach().numpy().copy()
    g4.add_(1.0)
    np.testing.assert_array_equal(e.detach().numpy(), before)


def test_exp_result_kept_for_a_second_backward(pt):
    """retain_graph keeps exp's saved result: the gradient must not be that buffer, or an
    in-place change to the gradient would break the second backward."""
    x = pt.tensor([0.5, -1.0, 2.0], dtype=pt.float64, requires_grad=True)
    y = pt.exp(x * 1.0).sum()
    (g1,) = pt.autograd.grad(y, x, retain_graph=True)
    g1.mul_(0.0)
    (g2,) = pt.autograd.grad(y, x)
    np.testing.assert_array_equal(g2.numpy(), np.exp(np.array([0.5, -1.0, 2.0])))
