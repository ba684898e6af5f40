"""float64 sin and cos (pyad_trig.h): within 1 ulp of libm's, the same bits in every layout.

pyad's float64 sin/cos are vector code (fdlibm's method without branches) that hands the
inputs it cannot do to libm. libm is the reference (through math: numpy 1.22-1.24 run their
own AVX-512 float64 sin/cos on CPUs that have it, up to 4 ulp off; numpy 1.25+ call libm):
both are within 1 ulp of the true value, so they may differ by at most 1 ulp.
"""
import math

import numpy as np
import pytest

import pyad


def _ulps(a, b):
    """|a - b| in units of b's last place (a, b float64 arrays; equal NaNs count 0)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    spacing = np.spacing(np.abs(b))
    out = np.where(same, 0.0, np.abs(a - b) / np.where(spacing > 0, spacing, 1.0))
    return np.where(np.isfinite(b) | same, out, np.inf)


def _inputs():
    rng = np.random.default_rng(11)
    parts = [rng.uniform(-s, s, 20000) for s in (1e-9, 1e-3, 0.8, 3.2, 100.0, 1e4, 99999.0,
                                                  3e5, 1e12)]
    k = np.arange(1, 64000, 7, dtype=np.float64)
    mult = k * (np.pi / 2)                       # nearest doubles to multiples of pi/2
    parts += [mult, np.nextafter(mult, 0), np.nextafter(mult, np.inf), -mult,
              mult + 2.0 ** -20, mult - 3 * 2.0 ** -21]
    parts.append(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 2.0 ** -26,
                           -(2.0 ** -26), 2.0 ** -27, 1e5, -1e5, np.nextafter(1e5, 0),
                           np.nextafter(1e5, np.inf), np.pi, -np.pi, 1e300, -1e300, 355.0]))
    return np.concatenate(parts)


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_within_one_ulp_of_libm(name):
    x = _inputs()
    got = getattr(pyad.tensor(x), name)().numpy()
    libm = getattr(math, name)
    ref = np.array([libm(v) if math.isfinite(v) else math.nan for v in x.tolist()])
    err = _ulps(got, ref)
    assert err.max() <= 1.0, (x[err.argmax()], got[err.argmax()], ref[err.argmax()])
    # special values exactly as libm gives them, signs of zero included
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324])
    got = getattr(pyad.tensor(special), name)().numpy()
    np.testing.assert_array_equal(np.signbit(got), np.signbit(getattr(np, name)(special)))
    np.testing.assert_array_equal(got, getattr(np, name)(special))


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_same_bits_contiguous_strided_and_scalar(name):
    x = _inputs()
    whole = getattr(pyad.tensor(x), name)().numpy()
    strided = getattr(pyad.tensor(np.stack([x, x], 1))[:, 1], name)().numpy()
    np.testing.assert_array_equal(whole.view(np.int64), strided.view(np.int64))
    for i in range(0, x.size, 997):               # one element at a time: runs of length 1
        one = getattr(pyad.tensor(x[i:i + 1]), name)().numpy()
        assert one.view(np.int64)[0] == whole.view(np.int64)[i]


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_gradients(name):
    x = _inputs()
    x = x[np.isfinite(x) & (np.abs(x) < 1e6)]
    g = np.random.default_rng(3).standard_normal(x.size)
    t = pyad.tensor(x, requires_grad=True)
    y = getattr(t, name)()
    # the backward uses the forward's other function, bit for bit: g cos(x) for sin,
    # (-g) sin(x) for cos, with a full gradient and with a uniform one (from sum())
    other = (t.cos() if name == "sin" else t.sin()).detach().numpy()
    sign = 1.0 if name == "sin" else -1.0
    gx, = pyad.autograd.grad(y, t, pyad.tensor(g), retain_graph=True)
    np.testing.assert_array_equal(gx.numpy(), (sign * g) * other)
    gs, = pyad.autograd.grad(y.sum(), t, retain_graph=True)
    np.testing.assert_array_equal(gs.numpy(), sign * other)
    # and the second derivative through create_graph
    g1, = pyad.autograd.grad(y.sum(), t, create_graph=True)
    g2, = pyad.autograd.grad(g1.sum(), t)
    np.testing.assert_array_equal(g2.numpy(), -y.detach().numpy())
