"""The elementwise catalogue against PyTorch: values, first and second derivatives (numeric C path
and recorded create_graph path), grad_fn names, broadcasting, dtypes, and error messages; plus
finite-difference checks that do not need torch."""
import math

import numpy as np
import pytest

import pyad
from conftest import numeric_grad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _domain(kind, shape):
    if kind == "pos":
        return RNG.uniform(0.2, 2.0, shape)
    if kind == "unit":
        return RNG.uniform(-0.9, 0.9, shape)
    if kind == "gt1":
        return RNG.uniform(1.2, 3.0, shape)
    if kind == "away":      # away from the kinks of floor/round/fmod/...
        return (RNG.choice([-1, 1], shape) * RNG.uniform(0.15, 0.35, shape)
                + RNG.integers(-3, 3, shape))
    return RNG.normal(size=shape)


# name, pyad function, torch function, input domains
UNARY = [
    ("expm1", lambda m, x: m.expm1(x), "any"), ("log2", lambda m, x: m.log2(x), "pos"),
    ("log10", lambda m, x: x.log10(), "pos"), ("log1p", lambda m, x: m.log1p(x), "pos"),
    ("rsqrt", lambda m, x: x.rsqrt(), "pos"), ("square", lambda m, x: m.square(x), "any"),
    ("tan", lambda m, x: m.tan(x), "unit"), ("asin", lambda m, x: m.asin(x), "unit"),
    ("acos", lambda m, x: x.acos(), "unit"), ("atan", lambda m, x: m.atan(x), "any"),
    ("sinh", lambda m, x: m.sinh(x), "any"), ("cosh", lambda m, x: x.cosh(), "any"),
    ("asinh", lambda m, x: m.asinh(x), "any"), ("acosh", lambda m, x: m.acosh(x), "gt1"),
    ("atanh", lambda m, x: x.atanh(), "unit"), ("erf", lambda m, x: m.erf(x), "any"),
    ("sign", lambda m, x: m.sign(x), "away"), ("floor", lambda m, x: x.floor(), "away"),
    ("ceil", lambda m, x: m.ceil(x), "away"), ("round", lambda m, x: m.round(x), "away"),
    ("round2", lambda m, x: x.round(decimals=2), "away"),
    ("trunc", lambda m, x: m.trunc(x), "away"),
    ("clamp", lambda m, x: m.clamp(x, -0.5, 0.7), "away"),
    ("clamp_min_kw", lambda m, x: x.clamp(min=-0.3), "away"),
    ("clamp_max_kw", lambda m, x: x.clamp(max=0.3), "away"),
    ("clip", lambda m, x: m.clip(x, -0.5, 0.5), "away"),
    ("clamp_min", lambda m, x: m.clamp_min(x, 0.1), "away"),
    ("clamp_max", lambda m, x: x.clamp_max(0.1), "away"),
    ("nan_to_num", lambda m, x: m.nan_to_num(x), "any"),
    ("fmod_s", lambda m, x: m.fmod(x, 0.7), "away"),
    ("remainder_s", lambda m, x: m.remainder(x, 0.7), "away"),
    ("mod_op", lambda m, x: x % 0.7, "away"),
    ("abs_op", lambda m, x: abs(x), "away"),
]

BINARY = [
    ("maximum", lambda m, a, b: m.maximum(a, b)), ("minimum", lambda m, a, b: a.minimum(b)),
    ("atan2", lambda m, a, b: m.atan2(a, b)), ("hypot", lambda m, a, b: m.hypot(a, b)),
    ("fmod", lambda m, a, b: m.fmod(a, b)), ("remainder", lambda m, a, b: m.remainder(a, b)),
    ("mod_tensor", lambda m, a, b: a % b),
    ("div_trunc", lambda m, a, b: m.div(a, b, rounding_mode="trunc")),
    ("div_floor", lambda m, a, b: a.div(b, rounding_mode="floor")),
    ("where", lambda m, a, b: m.where(a > b, a, b)),
    ("where_scalar", lambda m, a, b: m.where(a > 0, a, 0.5)),
    ("where_method", lambda m, a, b: a.where(b < 0, b)),
    ("clamp_tensor", lambda m, a, b: a.clamp(min=b - 0.5, max=b + 0.5)),
    ("clamp_min_tensor", lambda m, a, b: m.clamp_min(a, b)),
]

SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (3, 4)), ((), (2, 3))]


def both(values, requires_grad=True):
    return (pyad.tensor(values, dtype=pyad.float64, requires_grad=requires_grad),
            torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad))


def close(p, t, rtol=1e-10, atol=1e-12):
    if t is None:
        assert p is None
        return
    # torch may return a lazy ZeroTensor, which numpy() only converts with force=True
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(force=True), rtol=rtol,
                               atol=atol)


def check_against_torch(f, inputs_np):
    xs_p, xs_t = zip(*(both(v) for v in inputs_np))
    yp, yt = f(pyad, *xs_p), f(torch, *xs_t)
    close(yp, yt)
    assert type(yp.grad_fn).__name__ == type(yt.grad_fn).__name__
    w = RNG.normal(size=tuple(yt.shape))
    wp, wt = pyad.tensor(w, dtype=pyad.float64), torch.tensor(w, dtype=torch.float64)
    gp = pyad.autograd.grad(yp, xs_p, wp, allow_unused=True)
    gt = torch.autograd.grad(yt, xs_t, wt, allow_unused=True)
    gp_rec = pyad.autograd.grad(f(pyad, *xs_p), xs_p, wp, create_graph=True, allow_unused=True)
    for a, b, c in zip(gp, gt, gp_rec):
        close(a, b)
        close(c, b)
    # second order: differentiate <grad, v> again
    gt_rec = torch.autograd.grad(f(torch, *xs_t), xs_t, wt, create_graph=True, allow_unused=True)
    v = [RNG.normal(size=tuple(x.shape)) for x in xs_t]
    sp = sum(((g * pyad.tensor(vi, dtype=pyad.float64)).sum() for g, vi in zip(gp_rec, v)
              if g is not None and g.requires_grad), pyad.tensor(0.0, dtype=pyad.float64))
    st = sum(((g * torch.tensor(vi, dtype=torch.float64)).sum() for g, vi in zip(gt_rec, v)
              if g is not None and g.requires_grad), torch.tensor(0.0, dtype=torch.float64))
    if st.requires_grad:
        hp = pyad.autograd.grad(sp, xs_p, allow_unused=True, materialize_grads=True)
        ht = torch.autograd.grad(st, xs_t, allow_unused=True, materialize_grads=True)
        for a, b in zip(hp, ht):
            close(a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name,f,domain", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", [(3, 4), (), (0, 2)])
def test_unary_matches_torch(name, f, domain, shape):
    check_against_torch(f, [_domain(domain, shape)])


@pytest.mark.parametrize("name,f", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_matches_torch(name, f, shapes):
    a = _domain("away", shapes[0])
    b = _domain("away", shapes[1]) + 0.05
    check_against_torch(f, [a, b])


def test_maximum_ties_split_gradient():
    check_against_torch(lambda m, a, b: m.maximum(a, b), [np.array([1.0, 2.0, 3.0]),
                                                         np.array([1.0, 5.0, 3.0])])


@pytest.mark.parametrize("name,f,domain", [u for u in UNARY if u[2] != "away"][:12],
                         ids=[u[0] for u in UNARY if u[2] != "away"][:12])
def test_unary_first_derivative_vs_finite_differences(name, f, domain):
    x0 = _domain(domain, (5,))
    x = pyad.tensor(x0, dtype=pyad.float64, requires_grad=True)
    w = RNG.normal(size=5)
    (g,) = pyad.autograd.grad((f(pyad, x) * pyad.tensor(w)).sum(), x)
    num = numeric_grad(lambda v: float((f(pyad, pyad.tensor(v)).numpy() * w).sum()), x0)
    np.testing.assert_allclose(g.numpy(), num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
@pytest.mark.parametrize("other", ["tensor", "scalar", "int_tensor"])
def test_comparisons(op, other):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = {"tensor": np.array([2.0, 2.0, 2.0]), "scalar": 2.0,
         "int_tensor": np.array([1, 2, 3])}[other]
    pa, ta = pyad.tensor(a), torch.tensor(a, dtype=torch.float32)
    pb = pyad.tensor(b) if other != "scalar" else b
    tb = torch.tensor(b) if other != "scalar" else b
    rp, rt = getattr(pyad, op)(pa, pb), getattr(torch, op)(ta, tb)
    assert rp.dtype == pyad.bool
    assert rp.tolist() == rt.tolist()
    sym = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__",
           "ge": "__ge__"}[op]
    assert getattr(pa, sym)(pb).tolist() == rt.tolist()


def test_logical_and_predicates():
    a = np.array([0.0, 1.0, -2.0, np.nan, np.inf, -np.inf])
    b = np.array([1.0, 0.0, 3.0, 0.0, 1.0, 0.0])
    pa, pb = pyad.tensor(a), pyad.tensor(b)
    ta, tb = torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32)
    for name in ["logical_and", "logical_or", "logical_xor"]:
        assert getattr(pyad, name)(pa, pb).tolist() == getattr(torch, name)(ta, tb).tolist()
    assert pyad.logical_not(pa).tolist() == torch.logical_not(ta).tolist()
    for name in ["isnan", "isinf", "isfinite"]:
        assert getattr(pyad, name)(pa).tolist() == getattr(torch, name)(ta).tolist()
    m1, m2 = pa > 0, pb > 0
    assert (m1 & m2).tolist() == ((ta > 0) & (tb > 0)).tolist()
    assert (m1 | m2).tolist() == ((ta > 0) | (tb > 0)).tolist()
    assert (m1 ^ m2).tolist() == ((ta > 0) ^ (tb > 0)).tolist()
    assert (~m1).tolist() == (~(ta > 0)).tolist()
    ints = pyad.tensor([1, 2, 3])
    assert pyad.isfinite(ints).tolist() == [True, True, True]


def test_nan_and_inf_propagate():
    x = pyad.tensor([np.nan, np.inf, -np.inf, 1.0], dtype=pyad.float64, requires_grad=True)
    t = torch.tensor([np.nan, np.inf, -np.inf, 1.0], dtype=torch.float64, requires_grad=True)
    for f in [lambda m, v: m.clamp(v, -1, 1), lambda m, v: m.maximum(v, v * 0),
              lambda m, v: m.nan_to_num(v), lambda m, v: m.atan(v)]:
        close(f(pyad, x), f(torch, t))
        (gp,) = pyad.autograd.grad(f(pyad, x).sum(), x)
        (gt,) = torch.autograd.grad(f(torch, t).sum(), t)
        np.testing.assert_array_equal(np.isnan(gp.numpy()), np.isnan(gt.numpy()))
    assert (pyad.nan_to_num(pyad.tensor([np.nan, np.inf]), nan=1.0, posinf=2.0).tolist()
            == [1.0, 2.0])


def test_integer_arithmetic_keeps_int64():
    a = pyad.tensor([7, -7, 5])
    b = pyad.tensor([2, 2, -3])
    ta, tb = torch.tensor([7, -7, 5]), torch.tensor([2, 2, -3])
    assert (a // b).tolist() == (ta // tb).tolist()
    assert (a % b).tolist() == (ta % tb).tolist()
    assert pyad.fmod(a, b).tolist() == torch.fmod(ta, tb).tolist()
    assert pyad.maximum(a, b).tolist() == torch.maximum(ta, tb).tolist()
    assert (pyad.div(a, b, rounding_mode="trunc").tolist()
            == torch.div(ta, tb, rounding_mode="trunc").tolist())
    assert (a // b).dtype == pyad.int64
    assert pyad.sign(a).tolist() == torch.sign(ta).tolist()
    assert (a / b).dtype == pyad.float32


def test_dtype_conversions():
    x = pyad.tensor([1.5, -2.0, 0.0], requires_grad=True)
    assert x.double().dtype == pyad.float64
    assert type(x.double().grad_fn).__name__ == "ToCopyBackward0"
    assert x.long().tolist() == [1, -2, 0]
    assert x.bool().tolist() == [True, True, False]
    assert x.type_as(pyad.zeros(1, dtype=pyad.float64)).dtype == pyad.float64
    (g,) = pyad.autograd.grad((x.double() * 2).sum(), x)
    assert g.dtype == pyad.float32 and g.tolist() == [2.0, 2.0, 2.0]


def test_floor_divide_backward_not_implemented():
    a = pyad.tensor([3.0, 4.0], requires_grad=True)
    y = a // 2.0
    assert type(y.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError,
                       match="^derivative for aten::floor_divide is not implemented$"):
        pyad.autograd.grad(y.sum(), a)


def test_errors_match_torch():
    x = pyad.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        pyad.clamp(x)
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor"):
        pyad.where(x, x, x)
    with pytest.raises(RuntimeError, match="rounding_mode"):
        pyad.div(x, x, rounding_mode="up")
    with pytest.raises(RuntimeError, match="The size of tensor a"):
        pyad.maximum(x, pyad.tensor([1.0, 2.0, 3.0]))


def test_float32_matches_torch():
    a = RNG.normal(size=(3, 4)).astype(np.float32)
    pa = pyad.tensor(a, requires_grad=True)
    ta = torch.tensor(a, requires_grad=True)
    for f in [lambda m, x: m.erf(x) * m.atan(x), lambda m, x: m.clamp(x, -0.5, 0.5).expm1(),
              lambda m, x: m.where(x > 0, x.sinh(), x.cosh())]:
        close(f(pyad, pa), f(torch, ta), rtol=1e-6, atol=1e-6)
        (gp,) = pyad.autograd.grad(f(pyad, pa).sum(), pa)
        (gt,) = torch.autograd.grad(f(torch, ta).sum(), ta)
        np.testing.assert_allclose(gp.numpy(), gt.numpy(), rtol=2e-5, atol=1e-6)
        assert gp.dtype == pyad.float32


def test_round_half_to_even():
    x = [0.5, 1.5, 2.5, -0.5, -1.5]
    assert pyad.round(pyad.tensor(x)).tolist() == torch.round(torch.tensor(x)).tolist()
    assert math.isnan(pyad.round(pyad.tensor([float("nan")])).item())
