"""Reductions (ops_reduce.pxi): prod, amax/amin, max/min, argmax/argmin, var/std, norm,
logsumexp, cumsum, cumprod, all, any.

Against PyTorch 2.13: forward values (float64 and float32), first derivatives (also against
central finite differences), second derivatives (grad with create_graph=True, then grad again
with random grad_outputs), the fast and recorded backward paths, grad_fn names, 0-d and empty
inputs, integer/bool inputs, ties, zeros in products, NaN, and error types and messages.
"""

import pickle
import re
import warnings

import numpy as np
import pytest

from conftest import numeric_grad, raises_exact, sub

INF = float("inf")


def _rng(key):
    return np.random.default_rng(abs(hash(key)) % (2**32))


def _distinct(shape, rng):
    """Values far from each other (no ties, no zeros): max/norm-inf stay smooth under FD."""
    n = int(np.prod(shape))
    vals = (rng.permutation(n) + 1.0) * 0.37 * rng.choice([-1.0, 1.0], size=n)
    return vals.reshape(shape)


# id -> (fn(m, x) -> tensor, input maker(rng) -> array, grad_fn name)
OPS = {
    "prod": (lambda m, x: x.prod(), lambda r: r.uniform(0.5, 1.5, (3, 4)), "ProdBackward0"),
    "prod_dim": (lambda m, x: x.prod(1), lambda r: r.standard_normal((3, 4)), "ProdBackward1"),
    "prod_dim_keepdim": (lambda m, x: m.prod(x, -1, keepdim=True),
                         lambda r: r.standard_normal((2, 3, 4)), "ProdBackward1"),
    "amax": (lambda m, x: x.amax(), lambda r: _distinct((3, 4), r), "AmaxBackward0"),
    "amax_dims": (lambda m, x: m.amax(x, (0, 2)), lambda r: _distinct((2, 3, 4), r),
                  "AmaxBackward0"),
    "amin_keepdim": (lambda m, x: x.amin(1, keepdim=True), lambda r: _distinct((3, 4), r),
                     "AminBackward0"),
    "max_all": (lambda m, x: x.max(), lambda r: _distinct((3, 4), r), "MaxBackward1"),
    "min_all": (lambda m, x: m.min(x), lambda r: _distinct((3, 4), r), "MinBackward1"),
    "max_dim": (lambda m, x: x.max(1).values, lambda r: _distinct((3, 4), r), "MaxBackward0"),
    "min_dim_keepdim": (lambda m, x: m.min(x, 0, True)[0], lambda r: _distinct((3, 4), r),
                        "MinBackward0"),
    "var": (lambda m, x: x.var(), lambda r: r.standard_normal((3, 4)), "VarBackward0"),
    "var_dim": (lambda m, x: m.var(x, 1, keepdim=True), lambda r: r.standard_normal((3, 4)),
                "VarBackward0"),
    "var_dims_correction": (lambda m, x: x.var((0, 2), correction=0),
                            lambda r: r.standard_normal((2, 3, 4)), "VarBackward0"),
    "std": (lambda m, x: x.std(), lambda r: r.standard_normal((3, 4)), "StdBackward0"),
    "std_dim_unbiased": (lambda m, x: m.std(x, 0, False), lambda r: r.standard_normal((3, 4)),
                         "StdBackward0"),
    "norm": (lambda m, x: x.norm(), lambda r: r.standard_normal((3, 4)),
             "LinalgVectorNormBackward0"),
    "norm_fro_dim": (lambda m, x: m.norm(x, "fro", dim=1), lambda r: r.standard_normal((3, 4)),
                     "LinalgVectorNormBackward0"),
    "norm_1": (lambda m, x: x.norm(1, dim=0, keepdim=True), lambda r: _distinct((3, 4), r),
               "LinalgVectorNormBackward0"),
    "norm_inf": (lambda m, x: x.norm(INF, dim=1), lambda r: _distinct((3, 4), r),
                 "LinalgVectorNormBackward0"),
    "norm_neginf": (lambda m, x: m.norm(x, -INF), lambda r: _distinct((3, 4), r),
                    "LinalgVectorNormBackward0"),
    "norm_3": (lambda m, x: x.norm(3), lambda r: r.standard_normal((3, 4)),
               "LinalgVectorNormBackward0"),
    "norm_1_5": (lambda m, x: x.norm(1.5, dim=(0, 1)), lambda r: r.standard_normal((2, 3, 2)),
                 "LinalgVectorNormBackward0"),
    "norm_0_5": (lambda m, x: x.norm(0.5, dim=1), lambda r: _distinct((3, 4), r),
                 "LinalgVectorNormBackward0"),
    "logsumexp": (lambda m, x: x.logsumexp(1), lambda r: r.standard_normal((3, 4)),
                  "LogsumexpBackward0"),
    "logsumexp_dims": (lambda m, x: m.logsumexp(x, (0, 2), keepdim=True),
                       lambda r: r.standard_normal((2, 3, 4)), "LogsumexpBackward0"),
    "cumsum": (lambda m, x: x.cumsum(1), lambda r: r.standard_normal((3, 4)), "CumsumBackward0"),
    "cumsum_neg": (lambda m, x: m.cumsum(x, dim=-3), lambda r: r.standard_normal((3, 2, 2)),
                   "CumsumBackward0"),
    "cumprod": (lambda m, x: x.cumprod(1), lambda r: r.standard_normal((3, 4)),
                "CumprodBackward0"),
    "cumprod_0": (lambda m, x: m.cumprod(x, 0), lambda r: r.standard_normal((4, 3)),
                  "CumprodBackward0"),
}
IDS = list(OPS)


def _make(pt, arr, dtype="float64", requires_grad=True):
    return pt.tensor(arr, dtype=getattr(pt, dtype), requires_grad=requires_grad)


def _np(t):
    return np.array((t.detach() + 0).numpy() if t.dtype.is_floating_point else t.numpy())


def _run(m, fn, arr, w, v=None, dtype="float64"):
    """(y, dx, d/dx <dx, v>) of <fn(x), w> with create_graph=True."""
    x = _make(m, arr, dtype)
    y = fn(m, x)
    (gx,) = m.autograd.grad(y, x, _make(m, w, dtype, False), create_graph=True)
    ggx = None
    if v is not None and gx.requires_grad:
        (ggx,) = m.autograd.grad(gx, x, _make(m, v, dtype, False), allow_unused=True)
    return y, gx, ggx


def _inputs(op_id):
    fn, maker, _ = OPS[op_id]
    rng = _rng(op_id)
    arr = maker(rng)
    torch = pytest.importorskip("torch")
    out_shape = tuple(fn(torch, torch.tensor(arr)).shape)
    return fn, arr, rng.standard_normal(out_shape), rng.standard_normal(arr.shape)


@pytest.mark.parametrize("op_id", IDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_forward_vs_torch(pt, op_id, dtype):
    torch = pytest.importorskip("torch")
    fn, arr, _, _ = _inputs(op_id)
    y = fn(pt, _make(pt, arr, dtype, False))
    ref = fn(torch, _make(torch, arr, dtype, False))
    assert y.dtype == getattr(pt, dtype)
    assert tuple(y.shape) == tuple(ref.shape)
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(_np(y), ref.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("op_id", IDS)
def test_first_derivative_vs_torch_and_fd(pt, op_id):
    torch = pytest.importorskip("torch")
    fn, arr, w, _ = _inputs(op_id)
    _, gx, _ = _run(pt, fn, arr, w)
    _, gt, _ = _run(torch, fn, arr, w)
    np.testing.assert_allclose(_np(gx), _np(gt), rtol=1e-10, atol=1e-12)

    def f(a):
        return float((_np(fn(pt, _make(pt, a, requires_grad=False))) * w).sum())

    np.testing.assert_allclose(_np(gx), numeric_grad(f, arr), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op_id", IDS)
def test_second_derivative_vs_torch(pt, op_id):
    torch = pytest.importorskip("torch")
    fn, arr, w, v = _inputs(op_id)
    _, gx, ggx = _run(pt, fn, arr, w, v)
    _, gt, ggt = _run(torch, fn, arr, w, v)
    assert gx.requires_grad == gt.requires_grad
    assert (ggx is None) == (ggt is None)
    if ggt is not None:
        np.testing.assert_allclose(_np(ggx), _np(ggt), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("op_id", IDS)
def test_fast_and_recorded_paths_agree(pt, op_id):
    fn, arr, w, _ = _inputs(op_id)
    x = _make(pt, arr)
    (fast,) = pt.autograd.grad(fn(pt, x), x, _make(pt, w, requires_grad=False))
    (rec,) = pt.autograd.grad(fn(pt, x), x, _make(pt, w, requires_grad=False), create_graph=True)
    assert not fast.requires_grad
    np.testing.assert_allclose(_np(fast), _np(rec), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("op_id", IDS)
def test_grad_fn_name(pt, op_id):
    fn, maker, name = OPS[op_id]
    y = fn(pt, _make(pt, maker(_rng(op_id))))
    assert type(y.grad_fn).__name__ == name


def test_numeric_backward_creates_no_tensor_per_node(pt):
    if not hasattr(pt._C, "_tensor_count"):
        pytest.skip("pyad's tensor-count hook")
    x = pt.tensor(np.linspace(0.5, 1.5, 12).reshape(3, 4), requires_grad=True)

    def made(k):
        y = x
        for _ in range(k):
            y = (y.cumsum(1).prod(0, keepdim=True) + y.amax(1, keepdim=True) + y.var(0)
                 + y.norm(dim=1, keepdim=True) + y.logsumexp(0) + y.max(1, True).values
                 + y.cumprod(0)) * 0.01
        y = y.sum()
        before = pt._C._tensor_count()
        pt.autograd.grad(y, x)
        return pt._C._tensor_count() - before

    assert made(1) == made(6) == 1     # the returned gradient; the scalar seed is a bare buffer


# ----------------------------------------------------------------------------
# zeros in products, ties, NaN, special points
# ----------------------------------------------------------------------------
ZERO_CASES = {
    "one_zero": [[1.5, 0.0, -2.0, 0.7], [0.3, 1.1, -0.4, 2.0]],
    "two_zeros": [[1.5, 0.0, 0.0, 0.7], [0.0, 1.1, -0.4, 2.0]],
    "zero_first_last": [[0.0, 1.3, -2.0, 0.0], [0.5, 0.0, -0.4, 0.0]],
}
ZERO_OPS = {
    "prod": lambda m, x: x.prod(),
    "prod_dim1": lambda m, x: x.prod(1),
    "prod_dim0": lambda m, x: x.prod(0, keepdim=True),
    "cumprod1": lambda m, x: x.cumprod(1),
    "cumprod0": lambda m, x: x.cumprod(0),
}


@pytest.mark.parametrize("case", list(ZERO_CASES))
@pytest.mark.parametrize("op", list(ZERO_OPS))
def test_products_with_zeros(pt, case, op):
    torch = pytest.importorskip("torch")
    arr = np.array(ZERO_CASES[case])
    fn = ZERO_OPS[op]
    rng = _rng(case + op)
    w = rng.standard_normal(tuple(fn(torch, torch.tensor(arr)).shape))
    v = rng.standard_normal(arr.shape)
    y, gx, ggx = _run(pt, fn, arr, w, v)
    yt, gt, ggt = _run(torch, fn, arr, w, v)
    np.testing.assert_allclose(_np(y), _np(yt), rtol=1e-12)
    np.testing.assert_allclose(_np(gx), _np(gt), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_np(ggx), _np(ggt), rtol=1e-10, atol=1e-12)
    x = _make(pt, arr)
    (fast,) = pt.autograd.grad(fn(pt, x), x, _make(pt, w, requires_grad=False))
    np.testing.assert_allclose(_np(fast), _np(gt), rtol=1e-12, atol=1e-14)

    def f(a):
        return float((_np(fn(pt, _make(pt, a, requires_grad=False))) * w).sum())

    np.testing.assert_allclose(_np(fast), numeric_grad(f, arr), rtol=1e-6, atol=1e-7)


TIES = np.array([[1.0, 3.0, 3.0, -2.0], [2.0, 2.0, 2.0, -2.0], [0.5, -1.0, 0.0, -1.0]])
TIE_OPS = {
    "amax": lambda m, x: x.amax(1),
    "amin": lambda m, x: x.amin(),
    "amax_dims": lambda m, x: x.amax((0, 1), keepdim=True),
    "max_all": lambda m, x: x.max(),
    "min_all": lambda m, x: x.min(),
    "max_dim": lambda m, x: x.max(1).values,
    "min_dim": lambda m, x: x.min(1).values,
    "norm_inf": lambda m, x: x.norm(INF, dim=1),
    "norm_neginf": lambda m, x: x.norm(-INF),
}


@pytest.mark.parametrize("op", list(TIE_OPS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_ties_split_like_torch(pt, op, create_graph):
    torch = pytest.importorskip("torch")
    fn = TIE_OPS[op]
    out = []
    for m in (pt, torch):
        x = _make(m, TIES)
        y = fn(m, x)
        w = _make(m, np.arange(1.0, y.numel() + 1).reshape(tuple(y.shape)), requires_grad=False)
        (g,) = m.autograd.grad(y, x, w, create_graph=create_graph)
        out.append(_np(g))
    np.testing.assert_array_equal(out[0], out[1])


def test_tie_values_share_evenly(pt):
    x = _make(pt, [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    (g,) = pt.autograd.grad(x.amax(1).sum(), x)
    np.testing.assert_allclose(_np(g), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


NAN = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, -1.0, 0.5, 4.0]])


@pytest.mark.parametrize("op", ["amax", "max_all", "min_all", "max_dim", "norm_inf", "argmax",
                                "argmin", "logsumexp", "cumsum"])
def test_nan_like_torch(pt, op):
    torch = pytest.importorskip("torch")
    fns = {
        "amax": lambda m, x: x.amax(1), "max_all": lambda m, x: x.max(),
        "min_all": lambda m, x: x.min(), "max_dim": lambda m, x: x.max(1).values,
        "norm_inf": lambda m, x: x.norm(INF, dim=1), "argmax": lambda m, x: x.argmax(1),
        "argmin": lambda m, x: x.argmin(), "logsumexp": lambda m, x: x.logsumexp(1),
        "cumsum": lambda m, x: x.cumsum(1),
    }
    res = []
    for m in (pt, torch):
        x = _make(m, NAN, requires_grad=op not in ("argmax", "argmin"))
        y = fns[op](m, x)
        g = m.autograd.grad(y.sum(), x)[0] if y.requires_grad else None
        res.append((_np(y), None if g is None else _np(g)))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    if res[1][1] is not None:
        np.testing.assert_array_equal(res[0][1], res[1][1])


@pytest.mark.parametrize("p", [2, "fro", 3, 1.5])
@pytest.mark.parametrize("create_graph", [False, True])
def test_norm_gradient_at_zero_is_zero(pt, p, create_graph):
    x = _make(pt, [[0.0, 0.0, 0.0], [3.0, 0.0, 4.0]])
    (g,) = pt.autograd.grad(x.norm(p, dim=1).sum(), x, create_graph=create_graph)
    expected = np.zeros((2, 3))
    expected[1] = np.abs([3.0, 0.0, 4.0]) ** (2 if p == "fro" else p) / (
        (3.0 ** (2 if p == "fro" else p) + 4.0 ** (2 if p == "fro" else p))
        ** (1 - 1 / (2 if p == "fro" else p))) / np.array([3.0, 1.0, 4.0])
    np.testing.assert_allclose(_np(g), expected, rtol=1e-12)


@pytest.mark.parametrize("create_graph", [False, True])
def test_std_at_zero_variance(pt, create_graph):
    torch = pytest.importorskip("torch")
    arr = [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]
    res = []
    for m in (pt, torch):
        x = _make(m, arr)
        y = x.std(1)
        (g,) = m.autograd.grad(y.sum(), x, create_graph=create_graph)
        res.append((_np(y), _np(g)))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)
    assert np.all(res[0][1][0] == 0)


def test_var_without_degrees_of_freedom(pt):
    torch = pytest.importorskip("torch")
    for arr, kw in (([1.5], {}), ([1.0, 2.0], {"correction": 3}),
                    ([[1.0, 2.0]], {"dim": 1, "correction": 2})):
        res = []
        for m in (pt, torch):
            x = _make(m, arr)
            with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
                y = x.var(**kw)
            (g,) = m.autograd.grad(y.sum(), x)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                (g2,) = m.autograd.grad(x.var(**kw).sum(), x, create_graph=True)
            res.append((_np(y), _np(g), _np(g2)))
        for a, b in zip(res[0], res[1]):
            np.testing.assert_array_equal(a, b)


def test_logsumexp_is_stable(pt):
    torch = pytest.importorskip("torch")
    arr = [[1000.0, 1000.0, -1000.0], [-INF, -INF, -INF], [INF, 1.0, 2.0], [-1e4, -1e4 + 1, 0.0]]
    for dtype in ("float32", "float64"):
        y = pt.logsumexp(_make(pt, arr, dtype, False), 1)
        ref = torch.logsumexp(_make(torch, arr, dtype, False), 1)
        np.testing.assert_allclose(_np(y), ref.numpy(), rtol=1e-6)
    x = _make(pt, [[1000.0, 1000.0]])
    (g,) = pt.autograd.grad(x.logsumexp(1).sum(), x)
    np.testing.assert_allclose(_np(g), [[0.5, 0.5]])


# ----------------------------------------------------------------------------
# max/min with dim, argmax/argmin, return types
# ----------------------------------------------------------------------------
def test_max_dim_named_tuple(pt):
    x = pt.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 3.0]])
    r = x.max(1)
    assert type(r).__name__ == "max"
    assert type(r) is pt.return_types.max
    values, indices = r
    assert r.values is values and r[1] is indices and len(r) == 2
    assert indices.dtype == pt.int64 and indices.tolist() == [1, 0]
    assert values.tolist() == [5.0, 7.0]
    assert repr(r) == sub("pyad.return_types.max(\nvalues=tensor([5., 7.]),\n"
                          "indices=tensor([1, 0]))")
    r = pt.min(x, dim=0, keepdim=True)
    assert type(r) is pt.return_types.min
    assert r.values.tolist() == [[1.0, 2.0, 3.0]] and r.indices.tolist() == [[0, 1, 1]]


@pytest.mark.parametrize("name, fields, make", [
    ("max", ("values", "indices"), lambda pt: pt.tensor([1.0, 3.0]).max(0)),
    ("min", ("values", "indices"), lambda pt: pt.tensor([1.0, 3.0]).min(0)),
    ("linalg_slogdet", ("sign", "logabsdet"),
     lambda pt: pt.linalg.slogdet(pt.tensor([[-2.0, 0.0], [0.0, 4.0]]))),
])
def test_return_types_share_one_shape(pt, name, fields, make):
    # every named result is a pyad.return_types class of torch's shape: fields by name and
    # position, torch's constructor error, pickled by value
    r = make(pt)
    cls = getattr(pt.return_types, name)
    assert type(r) is cls and type(r).__module__ == sub("pyad.return_types")
    assert tuple(getattr(r, f) for f in fields) == tuple(r)
    assert (cls.n_fields, cls.n_sequence_fields, cls.n_unnamed_fields) == (2, 2, 0)
    with pytest.raises(TypeError, match=re.escape(
            sub(f"pyad.return_types.{name}() takes a 2-sequence (1-sequence given)"))):
        cls((1,))
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is cls and repr(back) == repr(r)


def test_max_dim_gradient_goes_to_index(pt):
    x = pt.tensor([[1.0, 5.0, 5.0], [7.0, 7.0, 3.0]], requires_grad=True)
    r = x.max(1)
    (g,) = pt.autograd.grad(r.values.sum(), x)
    assert _np(g).tolist() == [[0, 1, 0], [1, 0, 0]]
    assert not r.indices.requires_grad


@pytest.mark.parametrize("call", [
    lambda m, x: x.argmax(), lambda m, x: x.argmin(), lambda m, x: m.argmax(x, 1),
    lambda m, x: x.argmin(0, keepdim=True), lambda m, x: x.argmax(keepdim=True),
    lambda m, x: m.argmin(x, dim=-1, keepdim=False),
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_argmax_argmin_vs_torch(pt, call, dtype):
    torch = pytest.importorskip("torch")
    arr = [[3, 1, 4, 4], [5, 9, 2, 6], [5, 3, 5, 9]]
    y = call(pt, pt.tensor(arr, dtype=getattr(pt, dtype)))
    ref = call(torch, torch.tensor(arr, dtype=getattr(torch, dtype)))
    assert y.dtype == pt.int64
    assert tuple(y.shape) == tuple(ref.shape)
    assert y.tolist() == ref.tolist()


def test_int_and_bool_inputs(pt):
    torch = pytest.importorskip("torch")
    ints = [[3, -1, 2], [0, 5, 4]]
    bools = [[True, False, True], [True, True, True]]
    floats = [[0.0, 1.5, -2.0], [0.0, 0.0, 0.0]]
    calls = [
        (ints, lambda m, x: x.prod()), (ints, lambda m, x: x.prod(1)),
        (ints, lambda m, x: x.amax(0)), (ints, lambda m, x: x.amin()),
        (ints, lambda m, x: x.max()), (ints, lambda m, x: x.max(1).values),
        (ints, lambda m, x: x.max(1).indices), (ints, lambda m, x: x.cumsum(1)),
        (ints, lambda m, x: x.cumprod(0)), (ints, lambda m, x: x.logsumexp(1)),
        (ints, lambda m, x: x.all()), (ints, lambda m, x: x.any(1)),
        (bools, lambda m, x: x.prod()), (bools, lambda m, x: x.amax(1)),
        (bools, lambda m, x: x.min()), (bools, lambda m, x: x.max(0).values),
        (bools, lambda m, x: x.cumsum(1)), (bools, lambda m, x: x.cumprod(1)),
        (bools, lambda m, x: x.all(1)), (bools, lambda m, x: x.any()),
        (floats, lambda m, x: x.all(1)), (floats, lambda m, x: m.any(x, 1, keepdim=True)),
        (floats, lambda m, x: m.all(x)), (floats, lambda m, x: x.any((0, 1))),
        (ints, lambda m, x: x.prod(dtype=m.float64)),
        (ints, lambda m, x: x.cumsum(1, dtype=m.float32)),
    ]
    for arr, call in calls:
        y = call(pt, pt.tensor(arr))
        ref = call(torch, torch.tensor(arr))
        assert str(y.dtype).split(".")[1] == str(ref.dtype).split(".")[1]
        assert tuple(y.shape) == tuple(ref.shape)
        np.testing.assert_allclose(np.asarray(y.tolist(), dtype=float),
                                   np.asarray(ref.tolist(), dtype=float), rtol=1e-6)


# ----------------------------------------------------------------------------
# 0-d and empty inputs
# ----------------------------------------------------------------------------
SCALAR_CALLS = [
    lambda m, x: x.prod(), lambda m, x: x.prod(0), lambda m, x: x.amax(), lambda m, x: x.amin(0),
    lambda m, x: x.max(), lambda m, x: x.max(0).values, lambda m, x: x.min(-1, True).values,
    lambda m, x: x.std(correction=0), lambda m, x: x.var(0, correction=0),
    lambda m, x: x.norm(), lambda m, x: x.norm(1, dim=0), lambda m, x: x.logsumexp(0),
    lambda m, x: x.cumsum(0), lambda m, x: x.cumprod(-1),
]


@pytest.mark.parametrize("i", range(len(SCALAR_CALLS)))
def test_zero_dim(pt, i):
    torch = pytest.importorskip("torch")
    call = SCALAR_CALLS[i]
    res = []
    for m in (pt, torch):
        x = m.tensor(-1.75, dtype=m.float64, requires_grad=True)
        y = call(m, x)
        (g,) = m.autograd.grad(y, x, create_graph=True)
        (g2,) = m.autograd.grad(call(m, x), x)
        res.append((tuple(y.shape), _np(y), _np(g), _np(g2), type(y.grad_fn).__name__))
    assert res[0][0] == res[1][0] == ()
    for a, b in zip(res[0][1:4], res[1][1:4]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert res[0][4] == res[1][4]
    x = pt.tensor(2.5)
    assert x.argmax().tolist() == 0 and x.argmin(0, keepdim=True).tolist() == 0
    assert x.all().tolist() is True and pt.tensor(0.0).any().tolist() is False


EMPTY_CALLS = [
    lambda m, x: x.prod(), lambda m, x: x.prod(0), lambda m, x: x.prod(1),
    lambda m, x: x.amax(1), lambda m, x: x.max(1).values, lambda m, x: x.norm(),
    lambda m, x: x.norm(dim=0), lambda m, x: x.norm(INF, dim=1), lambda m, x: x.logsumexp(0),
    lambda m, x: x.logsumexp(1), lambda m, x: x.cumsum(0), lambda m, x: x.cumprod(1),
    lambda m, x: x.all(), lambda m, x: x.any(), lambda m, x: x.all(0),
    lambda m, x: x.argmax(1), lambda m, x: x.std(1), lambda m, x: x.var(0),
]


@pytest.mark.parametrize("i", range(len(EMPTY_CALLS)))
def test_size_zero(pt, i):
    torch = pytest.importorskip("torch")
    call = EMPTY_CALLS[i]
    res = []
    for m in (pt, torch):
        x = m.zeros(0, 3, dtype=m.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # std/var: no degrees of freedom
            y = call(m, x)
        g = m.autograd.grad(y.sum(), x)[0] if y.requires_grad else None
        res.append((tuple(y.shape), y.dtype, _np(y), None if g is None else _np(g)))
    assert res[0][0] == res[1][0]
    assert str(res[0][1]).split(".")[1] == str(res[1][1]).split(".")[1]
    np.testing.assert_array_equal(res[0][2], res[1][2])
    if res[1][3] is not None:
        np.testing.assert_array_equal(res[0][3], res[1][3])


def test_var_of_empty_is_nan(pt):
    with pytest.warns(UserWarning):
        y = pt.zeros(0, 3).var()
    assert np.isnan(y.item())


# ----------------------------------------------------------------------------
# argument forms and errors
# ----------------------------------------------------------------------------
def test_var_std_argument_forms(pt):
    torch = pytest.importorskip("torch")
    arr = [[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]]
    calls = [
        lambda m, x: x.var(False), lambda m, x: x.var(1, False), lambda m, x: x.var(0, True, True),
        lambda m, x: m.var(x, dim=1, unbiased=False, keepdim=True),
        lambda m, x: x.std(1, correction=0.5), lambda m, x: m.std(x, None, True),
        lambda m, x: x.std((0, 1), keepdim=True), lambda m, x: x.var(dim=None, keepdim=True),
    ]
    for call in calls:
        y = call(pt, pt.tensor(arr))
        ref = call(torch, torch.tensor(arr))
        assert tuple(y.shape) == tuple(ref.shape)
        np.testing.assert_allclose(_np(y), ref.numpy(), rtol=1e-6)


def test_norm_argument_forms(pt):
    torch = pytest.importorskip("torch")
    arr = [[1.0, -2.0, 0.0], [0.5, 3.0, -4.0]]
    calls = [
        lambda m, x: x.norm(0), lambda m, x: x.norm(-1), lambda m, x: m.norm(x, 2, 1),
        lambda m, x: x.norm(2, 1, True), lambda m, x: x.norm(p=None), lambda m, x: x.norm(dim=()),
        lambda m, x: m.norm(x, dim=(1, 0)), lambda m, x: x.norm(dtype=m.float64),
    ]
    for call in calls:
        y = call(pt, pt.tensor(arr))
        ref = call(torch, torch.tensor(arr))
        assert tuple(y.shape) == tuple(ref.shape)
        assert str(y.dtype).split(".")[1] == str(ref.dtype).split(".")[1]
        np.testing.assert_allclose(_np(y), ref.numpy(), rtol=1e-6)


ERRORS = [
    (lambda m: m.tensor([1, 2]).var(), RuntimeError,
     "std and var only support floating point and complex dtypes"),
    (lambda m: m.tensor([True]).std(), RuntimeError,
     "std and var only support floating point and complex dtypes"),
    (lambda m: m.tensor([1, 2]).norm(), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.tensor([True]).norm(), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Bool"),
    (lambda m: m.tensor([True, False]).argmax(), RuntimeError,
     "argmax(): does not support bool input"),
    (lambda m: m.tensor([True, False]).argmin(0), RuntimeError,
     "argmin(): does not support bool input"),
    (lambda m: m.zeros(0, 3).max(), RuntimeError,
     "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda m: m.zeros(0, 3).amin(), RuntimeError,
     "amin(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
     "reduction dim with the 'dim' argument."),
    (lambda m: m.zeros(0, 3).amax(0), IndexError,
     "amax(): Expected reduction dim 0 to have non-zero size."),
    (lambda m: m.zeros(0, 3).min(0), IndexError,
     "min(): Expected reduction dim 0 to have non-zero size."),
    (lambda m: m.zeros(0, 3).argmax(), IndexError,
     "argmax(): Expected reduction dim to be specified for input.numel() == 0."),
    (lambda m: m.zeros(0, 3).argmin(0), IndexError,
     "argmin(): Expected reduction dim 0 to have non-zero size."),
    (lambda m: m.zeros(0, 3).norm(INF), RuntimeError,
     "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation "
     "does not have an identity"),
    (lambda m: m.zeros(0, 3).norm(-INF, dim=0), RuntimeError,
     "linalg.vector_norm cannot compute the -inf norm on the dimension 0because this dimension "
     "is empty and the operation does not have an identity"),
    (lambda m: m.ones(2, 3).logsumexp(), TypeError,
     'logsumexp() missing 1 required positional arguments: "dim"'),
    (lambda m: m.logsumexp(m.ones(2, 3)), TypeError,
     'logsumexp() missing 1 required positional arguments: "dim"'),
    (lambda m: m.ones(2, 3).logsumexp(dim=None), TypeError,
     "logsumexp(): argument 'dim' must be tuple of ints, not NoneType"),
    (lambda m: m.ones(2, 3).cumsum(), TypeError,
     'cumsum() missing 1 required positional arguments: "dim"'),
    (lambda m: m.ones(2, 3).cumprod(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda m: m.ones(2, 3).amax(5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    (lambda m: m.ones(2, 3).max(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda m: m.ones(2, 3).var(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda m: m.ones(2, 3).all(5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    (lambda m: m.tensor(1.0).max(1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda m: m.ones(2, 3).amax((0, 0)), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    (lambda m: m.ones(2, 3).norm(dim=(1, -1)), RuntimeError,
     "dim 1 appears multiple times in the list of dims"),
    (lambda m: m.ones(2, 3).norm(p="abc"), RuntimeError,
     "linalg.matrix_norm: Order abc not supported."),
    (lambda m: m.ones(2, 3).max(1, keepdim=None), TypeError,
     "max(): argument 'keepdim' must be bool, not NoneType"),
    (lambda m: m.ones(2, 3).prod(1, keepdim=None), TypeError,
     "prod(): argument 'keepdim' must be bool, not NoneType"),
    (lambda m: m.ones(2, 3).prod((0, 1)), TypeError,
     "prod() received an invalid combination of arguments - got (tuple), but expected one of:\n"
     " * (*, pyad.dtype dtype = None)\n"
     " * (int dim, bool keepdim = False, *, pyad.dtype dtype = None)\n"),
    (lambda m: m.ones(2, 3).prod(dim=None), TypeError,
     "prod() received an invalid combination of arguments - got (dim=NoneType, ), but expected "
     "one of:\n * (*, pyad.dtype dtype = None)\n"
     " * (int dim, bool keepdim = False, *, pyad.dtype dtype = None)\n"),
    (lambda m: m.ones(2, 3).var(unbiased=False, correction=1), TypeError,
     "var() received an invalid combination of arguments - got (correction=int, unbiased=bool, ), "
     "but expected one of:\n"
     " * (tuple of ints dim, bool unbiased = True, bool keepdim = False)\n"
     " * (tuple of ints dim = None, *, Number correction = None, bool keepdim = False)\n"
     " * (bool unbiased = True)\n"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(pt, i):
    call, exc, msg = ERRORS[i]
    with raises_exact(exc, msg):
        call(pt)


def test_max_binary_form_uses_maximum(pt):
    a = pt.tensor([1.0, 5.0])
    b = pt.tensor([3.0, 2.0])
    if not hasattr(pt, "maximum"):
        with pytest.raises(NotImplementedError):
            pt.max(a, b)
        return
    assert pt.max(a, b).tolist() == [3.0, 5.0]
    assert a.min(b).tolist() == [1.0, 2.0]


def test_no_grad_records_nothing(pt):
    x = pt.ones(2, 3, requires_grad=True)
    with pt.no_grad():
        ys = [x.prod(), x.amax(1), x.max(), x.max(1).values, x.var(), x.std(0), x.norm(),
              x.logsumexp(1), x.cumsum(0), x.cumprod(1)]
    assert not any(y.requires_grad for y in ys)


def test_backward_twice_raises(pt):
    x = pt.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    for y in (x.prod(1).sum(), x.var(), x.norm(), x.logsumexp(0).sum(), x.cumprod(0).sum(),
              x.amax(), x.max(1).values.sum()):
        y.backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second"):
            y.backward()


def test_float32_gradients_are_float32(pt):
    x = pt.tensor([[1.0, 2.0, 3.5], [0.5, -1.0, 2.0]], requires_grad=True)
    for fn in (lambda t: t.prod(1), lambda t: t.amax(0), lambda t: t.std(), lambda t: t.norm(3),
               lambda t: t.logsumexp(1), lambda t: t.cumprod(1), lambda t: t.max(0).values):
        (g,) = pt.autograd.grad(fn(x).sum(), x)
        assert g.dtype == pt.float32


def test_deprecated_style_calls_warn_nothing(pt):
    x = pt.tensor([[1.0, 2.0], [3.0, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.var(1)
        x.std()
        x.norm()
