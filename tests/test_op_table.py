"""The ops generated from csrc/op_table.py, entry by entry, against torch and finite differences.

Every entry of pyad._C._OP_TABLE is exercised (the list is the generator's, so a new entry is
tested without touching this file):
- forward values and dtypes against torch in float32 and float64, on ordinary points and on the
  special grid {nan, +-inf, +-0, +-1, +-0.5, 2, 3, 6, -3, -6, tiny, huge}, and at sizes that
  cross the loops' block boundaries; int64 and bool inputs as torch treats them;
- the gradient without create_graph and with it: the two agree (same NaN/inf pattern, finite
  values within rounding) and each agrees with torch's at every grid point;
- first and second derivatives against central finite differences in float64;
- the grad_fn name, the function/method/in-place/alias surface torch has, parameter errors;
- binary and ternary entries the same way over pairs and triples of the grid, with broadcasting,
  Python numbers in place of operands, torch's dtype rules and errors.
"""
import math

import numpy as np
import pytest

import pyad
from pyad import _C

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

TABLE = {e["name"]: e for e in _C._OP_TABLE}
SURFACED = [n for n, e in TABLE.items()
            if e["kind"] in ("unary", "composite") and e["surface"] != "none"]
# remainder(Number, Tensor)'s entry: tests/test_division_surface.py
BINARY = [n for n, e in TABLE.items() if e["kind"] == "binary" and n != "remainder_number"]
# binary entries without a function of their own, run through the call that chooses them
THROUGH = {"div_trunc": lambda lib: lambda a, b: lib.div(a, b, rounding_mode="trunc"),
           "div_floor": lambda lib: lambda a, b: lib.div(a, b, rounding_mode="floor")}


def binary_fn(lib, name):
    return THROUGH[name](lib) if name in THROUGH else getattr(lib, name)
DIFFERENTIABLE = [n for n in SURFACED if TABLE[n]["differentiable"]]

# arguments besides the input (torch's defaults are tested too: each op runs with () as well)
PARAMS = {"logit": [(), (0.1,)], "hardtanh": [(), (-0.5, 2.0)], "celu": [(), (0.7,)]}
# where the values live: the smooth domain for finite differences
DOMAIN = {"logit": (0.05, 0.95), "log": (0.1, 4.0), "erfinv": (-0.9, 0.9), "acosh": (1.1, 4.0),
          "atanh": (-0.9, 0.9), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
          "log2": (0.1, 4.0), "log10": (0.1, 4.0), "log1p": (-0.9, 4.0),
          "rsqrt": (0.1, 4.0), "lgamma": (0.1, 6.0), "digamma": (0.1, 6.0),
          "tan": (-1.2, 1.2)}
# kinks: finite differences stay this far away
KINKS = {"hardtanh": (-1.0, 1.0, -0.5, 2.0), "relu6": (0.0, 6.0), "hardsigmoid": (-3.0, 3.0),
         "hardswish": (-3.0, 3.0), "selu": (0.0,), "celu": (0.0,), "softsign": (0.0,),
         "logsigmoid": (0.0,), "floor": (), "ceil": (), "trunc": ()}

SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 3.0, -3.0,
           6.0, -6.0, 1e-30, -1e-30, 1e30, -1e30, 0.25, 0.75, 1.5, -2.5, 10.0, 100.0, -100.0]


def pyad_fn(name):
    if TABLE[name]["surface"] == "nn":
        return getattr(_C, name)
    return getattr(pyad, name)


def torch_fn(name):
    if name in ("softsign", "hardtanh", "relu6", "hardsigmoid", "hardswish", "mish",
                "logsigmoid"):
        return getattr(TF, name)
    return getattr(torch, name)


def call(fn, x, params):
    return fn(x, *params)


def as_np(t):
    if getattr(t, "_is_zerotensor", lambda: False)():     # torch's second derivative of abs
        return np.zeros(tuple(t.shape))
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def assert_same(got, want, rtol, what):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, what
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    bad = nan_g != nan_w
    assert not bad.any(), f"{what}: NaN pattern differs at {np.nonzero(bad)[0][:8]}"
    inf_g, inf_w = np.isinf(got), np.isinf(want)
    bad = (inf_g != inf_w) | (inf_g & (np.sign(got) != np.sign(want)))
    assert not bad.any(), f"{what}: inf pattern differs at {np.nonzero(bad)[0][:8]}"
    fin = np.isfinite(want)
    err = np.abs(got[fin] - want[fin])
    # float32 results below the normal range carry fewer digits: an absolute floor there
    tol = rtol * np.abs(want[fin]) + (1e-36 if rtol > 1e-8 else 1e-300)
    i = np.argmax(err - tol) if err.size else 0
    assert (err <= tol).all(), (f"{what}: got {got[fin][i]!r}, want {want[fin][i]!r}")


RTOL = {"float32": 2e-5, "float64": 1e-12}
# libm vs torch's own implementations (SLEEF, its lgamma/digamma/erfinv): a few ulps more
LOOSE = {"float32": 1e-4, "float64": 1e-9}
LOOSE_OPS = {"erfinv", "lgamma", "digamma", "mish", "sinc", "logsigmoid", "erfc", "tan",
             "asinh", "acosh", "atanh", "asin", "acos", "sinh", "cosh", "selu", "celu",
             "expm1", "exp2", "log1p", "log2", "log10", "rsqrt", "erf", "atan", "logit"}


def rtol_for(name, dtype, loose=False):
    table = LOOSE if (loose or name in LOOSE_OPS) else RTOL
    return table[dtype]


def params_list(name):
    return PARAMS.get(name, [()])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", SURFACED)
def test_forward_matches_torch_on_the_special_grid(name, dtype):
    data = np.array(SPECIAL, dtype=dtype)
    for params in params_list(name):
        got = call(pyad_fn(name), pyad.tensor(data), params)
        want = call(torch_fn(name), torch.tensor(data), params)
        assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
        want = torch_elementwise(torch_fn(name), data, params)
        assert_same(as_np(got), want, rtol_for(name, dtype), f"{name}{params} {dtype}")


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 255, 256, 257, 4095, 4096, 4097])
@pytest.mark.parametrize("name", ["erfc", "hardswish", "logit", "sinc", "celu"])
def test_forward_at_block_boundaries(name, size):
    rng = np.random.default_rng(size)
    data = rng.uniform(0.01, 0.99, size) if name == "logit" else rng.normal(0, 3, size)
    got = call(pyad_fn(name), pyad.tensor(data), ())
    want = call(torch_fn(name), torch.tensor(data), ())
    assert_same(as_np(got), as_np(want), 1e-12 if name != "sinc" else 1e-9, name)
    # strided input: a transposed 2-D view of the same values
    if size >= 16:
        m = data[: (size // 4) * 4].reshape(4, -1)
        got = call(pyad_fn(name), pyad.tensor(m).t(), ())
        want = call(torch_fn(name), torch.tensor(m).t(), ())
        assert_same(as_np(got), as_np(want), 1e-12 if name != "sinc" else 1e-9, name)


@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("name", SURFACED)
def test_integer_and_bool_inputs_like_torch(name, dtype):
    data = np.array([0, 1, 1, 0] if dtype == "bool" else [-3, -1, 0, 1, 2, 5], dtype=dtype)
    outcome = []
    for fn, x in ((pyad_fn(name), pyad.tensor(data)), (torch_fn(name), torch.tensor(data))):
        try:
            r = fn(x)
            outcome.append(("ok", str(r.dtype).split(".")[1], as_np(r).astype(np.float64)))
        except (RuntimeError, NotImplementedError, TypeError) as e:
            outcome.append(("err", type(e).__name__, str(e).split("\n")[0]))
    (pk, pd, pv), (tk, td, tv) = outcome
    assert (pk, pd) == (tk, td), outcome
    if pk == "ok":
        assert_same(pv, tv, rtol_for(name, "float32"), name)
    else:
        assert pv == tv


def torch_elementwise(fn, data, params, gvals=None, create_graph=False):
    """torch's result (or gradient) one element at a time: its vectorised kernels treat NaN
    by the element's position in the vector (test_grad_paths.py, TORCH_POSITIONAL); one-element
    tensors take its scalar code, the formula torch states."""
    out = []
    for i in range(len(data)):
        x = torch.tensor(data[i:i + 1], requires_grad=gvals is not None)
        y = call(fn, x, params)
        if gvals is None:
            out.append(as_np(y)[0])
        else:
            (d,) = torch.autograd.grad(y, x, torch.tensor(gvals[i:i + 1]),
                                       create_graph=create_graph)
            out.append(as_np(d)[0])
    return np.array(out)


def grads(fn, x, g, params, create_graph):
    y = call(fn, x, params)
    (dx,) = (pyad if isinstance(x, pyad.Tensor) else torch).autograd.grad(
        y, x, g, create_graph=create_graph)
    return dx


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_both_backward_paths_agree_with_each_other_and_torch(name, dtype):
    data = np.array(SPECIAL, dtype=dtype)
    # an upstream gradient with ordinary, zero, negative, inf and NaN values
    gvals = np.resize(np.array([1.0, 0.5, -2.0, 0.0, 3.0], dtype=dtype), data.shape)
    for params in params_list(name):
        what = f"{name}{params} {dtype}"
        x = pyad.tensor(data, requires_grad=True)
        plain = as_np(grads(pyad_fn(name), x, pyad.tensor(gvals), params, False))
        x = pyad.tensor(data, requires_grad=True)
        recorded = grads(pyad_fn(name), x, pyad.tensor(gvals), params, True)
        assert_same(as_np(recorded), plain, rtol_for(name, dtype), what + " create_graph")
        keep = ~excluded(TORCH_DIFFERS, (name, dtype, params), data)
        for create_graph, mine in ((False, plain), (True, as_np(recorded))):
            want = torch_elementwise(torch_fn(name), data, params, gvals, create_graph)
            if create_graph:
                keep &= ~excluded(TORCH_SELF_DISAGREE, (name, params), data)
            assert_same(mine[keep], want[keep], rtol_for(name, dtype, loose=True),
                        f"{what} create_graph={create_graph} vs torch")


# (op, dtype, params) -> (where, reason): grid values at which pyad's gradient differs from
# torch's on both paths
TORCH_DIFFERS = {
    ("tanh", "float64", ()): (
        lambda v: abs(v) >= 10,
        "1 - tanh(x)^2 where tanh(x) rounds to within ulps of 1: libm's tanh and torch's differ "
        "by an ulp there, which the cancellation makes a 2e-9 relative difference"),
    ("digamma", "float32", ()): (
        lambda v: v < 0 and v.is_integer(),
        "a pole of trigamma: torch's float32 value is the rounding noise of sin(pi x) in float "
        "(finite, ~1e15); pyad computes in double and gets another huge value"),
    ("celu", "float64", (0.7,)): (
        lambda v: not v > 0,
        "torch's float64 celu backward is off by 2e-8 relative for alpha != 1 (a coefficient "
        "rounded to float32 in its elu kernel); pyad's is exact"),
}
# (op, params) -> (where, reason): grid values at which torch's own two paths disagree; pyad
# follows its create_graph=False one on both
TORCH_SELF_DISAGREE = {
    ("logit", ()): (lambda v: v == 0.0,
                    "at +-0 torch's logit_backward gives g * inf, its create_graph=True path "
                    "g / (x (1 - x)) (-inf at -0)"),
    ("logit", (0.1,)): (lambda v: v != v,
                        "at NaN with eps torch's logit_backward gives NaN, its create_graph=True "
                        "path 0"),
}


def excluded(table, key, data):
    where, _ = table.get(key, (lambda v: False, ""))
    return np.array([bool(where(float(v))) for v in data])


def smooth_points(name, n=7):
    lo, hi = DOMAIN.get(name, (-2.5, 2.5))
    pts = np.linspace(lo, hi, n) + 0.0123
    pts = pts[(pts > lo) & (pts < hi)]
    for k in KINKS.get(name, ()):
        pts = pts[np.abs(pts - k) > 0.05]
    return pts


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_first_and_second_derivatives_against_finite_differences(name):
    pts = smooth_points(name)
    h = 1e-5
    for params in params_list(name):
        def f(v):
            return as_np(call(pyad_fn(name), pyad.tensor(v), params))
        x = pyad.tensor(pts, requires_grad=True)
        y = call(pyad_fn(name), x, params)
        (d1,) = pyad.autograd.grad(y.sum(), x, create_graph=True)
        fd2 = (f(pts + h) - 2 * f(pts) + f(pts - h)) / (h * h)
        if not d1.requires_grad:    # neg: the derivative is a constant, -g
            np.testing.assert_allclose(fd2, 0.0, atol=2e-3, err_msg=name)
            continue
        (d2,) = pyad.autograd.grad(d1.sum(), x)
        fd1 = (f(pts + h) - f(pts - h)) / (2 * h)
        np.testing.assert_allclose(as_np(d1), fd1, rtol=1e-6, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(as_np(d2), fd2, rtol=2e-3, atol=2e-3, err_msg=name)
        # the second derivative's own derivative graph exists too (third order)
        x = pyad.tensor(pts, requires_grad=True)
        (d1,) = pyad.autograd.grad(call(pyad_fn(name), x, params).sum(), x, create_graph=True)
        (d2,) = pyad.autograd.grad(d1.sum(), x, create_graph=True)
        xt = torch.tensor(pts, requires_grad=True)
        (t1,) = torch.autograd.grad(call(torch_fn(name), xt, params).sum(), xt,
                                    create_graph=True)
        try:
            (t2,) = torch.autograd.grad(t1.sum(), xt, create_graph=True)
        except RuntimeError as e:   # hardsigmoid: torch has no second derivative
            assert "not implemented" in str(e)
            np.testing.assert_array_equal(as_np(d2), 0.0)
            continue
        rtol = 1e-7 if (name, "float64", params) in TORCH_DIFFERS else 1e-9
        np.testing.assert_allclose(as_np(d2), as_np(t2), rtol=rtol, atol=1e-12, err_msg=name)
        if t2.requires_grad and d2.requires_grad:
            (d3,) = pyad.autograd.grad(d2.sum(), x)
            (t3,) = torch.autograd.grad(t2.sum(), xt)
            np.testing.assert_allclose(as_np(d3), as_np(t3), rtol=max(rtol, 1e-8), atol=1e-10,
                                       err_msg=name)


@pytest.mark.parametrize("name", SURFACED)
def test_grad_fn_name_is_torchs(name):
    x = pyad.tensor([0.3, 0.6], requires_grad=True)
    xt = torch.tensor([0.3, 0.6], requires_grad=True)
    for params in params_list(name):
        got = call(pyad_fn(name), x, params).grad_fn
        want = call(torch_fn(name), xt, params).grad_fn
        assert (got is None) == (want is None)
        if want is not None:
            assert got.name() == want.name()


@pytest.mark.parametrize("name", SURFACED)
def test_surface_is_torchs(name):
    entry = TABLE[name]
    for alias in (name, *entry["aliases"]):
        if entry["surface"] in ("torch", "function"):
            assert hasattr(torch, alias) and alias in pyad._C.__all__
        has_method = entry["surface"] == "torch"
        assert hasattr(pyad.Tensor, alias) == has_method == hasattr(torch.Tensor, alias)
        assert hasattr(pyad.Tensor, alias + "_") == has_method == hasattr(torch.Tensor,
                                                                          alias + "_")
        if has_method:
            data = np.array([0.2, 0.4, 0.7])
            x = pyad.tensor(data)
            want = getattr(torch.tensor(data), alias)()
            assert_same(as_np(getattr(x, alias)()), as_np(want), 1e-12, alias)
            y = pyad.tensor(data)
            assert getattr(y, alias + "_")() is y
            assert_same(as_np(y), as_np(want), 1e-12, alias + "_")
            assert getattr(pyad.Tensor, alias).__name__ == alias
            assert getattr(pyad.Tensor, alias).__doc__


def test_function_and_method_forms_raise_torchs_errors():
    for name in ("erfc", "logit", "sinc", "arcsin", "maximum"):
        for lib in (pyad, torch):
            args = (lib.ones(1), 3.0) if name == "maximum" else (3.0,)
            with pytest.raises(TypeError) as e:
                getattr(lib, name)(*args)
            with pytest.raises(TypeError) as m:
                getattr(lib.Tensor, name)(3.0, *args[1:])
            if lib is pyad:
                got = (str(e.value), str(m.value))
            else:
                assert got == (str(e.value), str(m.value).replace("torch._C.TensorBase",
                                                                   "pyad._C.Tensor"))
    with pytest.raises(TypeError) as e1:
        pyad.maximum(pyad.ones(1), 1.0)
    with pytest.raises(TypeError) as e2:
        pyad.ones(1).maximum(1.0)
    assert "(position 2)" in str(e1.value) and "(position 1)" in str(e2.value)


def test_parameter_errors():
    x = pyad.tensor([0.5])
    with pytest.raises(TypeError, match="must be Number, not str"):
        _C.hardtanh(x, "a", 1.0)
    with pytest.raises(TypeError, match="must be Number, not list"):
        pyad.logit(x, [0.1])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        pyad.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="does not support negative n"):
        pyad.polygamma(-1, x)
    with pytest.raises(TypeError, match="must be int, not float"):
        pyad.polygamma(1.5, x)
    with pytest.raises(TypeError):
        pyad.Tensor.erfc(x, 1)


def test_in_place_on_a_leaf_that_requires_grad_is_refused_and_on_a_non_leaf_recorded():
    x = pyad.tensor([0.3, 0.6], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.erfc_()
    y = x * 1.0
    y.erfc_()
    assert y.grad_fn.name() == "ErfcBackward0"
    (g,) = pyad.autograd.grad(y.sum(), x)
    xt = torch.tensor([0.3, 0.6], requires_grad=True)
    (gt,) = torch.autograd.grad(torch.erfc(xt).sum(), xt)
    np.testing.assert_allclose(as_np(g), as_np(gt), rtol=1e-6)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        pyad.tensor([1, 2]).erfc_()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_polygamma_against_torch(n):
    data = np.array([0.3, 1.0, 2.5, 7.0, 30.0, -0.5, -1.5, 0.0, -0.0, -2.0, math.nan, math.inf,
                     -math.inf])
    got = pyad.polygamma(n, pyad.tensor(data))
    want = torch.polygamma(n, torch.tensor(data))
    assert_same(as_np(got), as_np(want), 1e-9, f"polygamma({n})")
    x = pyad.tensor(data[:5], requires_grad=True)
    xt = torch.tensor(data[:5], requires_grad=True)
    (g,) = pyad.autograd.grad(pyad.polygamma(n, x).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(torch.polygamma(n, xt).sum(), xt, create_graph=True)
    assert_same(as_np(g), as_np(gt), 1e-9, f"polygamma({n})'")
    assert g.grad_fn is not None
    assert pyad.polygamma(n, x).grad_fn.name() == torch.polygamma(n, xt).grad_fn.name()


def test_nn_functional_uses_the_table_ops():
    import pyad.nn.functional as F
    x = pyad.tensor([-4.0, -1.0, 0.5, 4.0], requires_grad=True)
    xt = torch.tensor([-4.0, -1.0, 0.5, 4.0], requires_grad=True)
    for name in ("hardtanh", "relu6", "hardsigmoid", "hardswish", "mish", "selu", "celu",
                 "softsign", "logsigmoid"):
        got, want = getattr(F, name)(x), getattr(TF, name)(xt)
        assert got.grad_fn.name() == want.grad_fn.name()
        assert_same(as_np(got), as_np(want), 1e-6, name)


def test_generated_stub_regions_match_the_table():
    """pyad/_C.pyi's generated regions are what csrc/gen_op_table.py writes (in a checkout)."""
    import pathlib
    import subprocess
    import sys
    gen = pathlib.Path(__file__).resolve().parent.parent / "csrc" / "gen_op_table.py"
    if not gen.exists():
        pytest.skip("not a source checkout (the installed wheel has no csrc/)")
    r = subprocess.run([sys.executable, str(gen), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_table_entry_is_registered_with_its_name():
    for entry in _C._OP_TABLE:
        if entry["kind"] != "unary":
            continue
        assert entry["grad_fn"] in _C.NODE_NAMES
    names = [e["name"] for e in _C._OP_TABLE]
    assert len(names) == len(set(names))



# ---- binary entries: every pair of the special grid, broadcasting, scalars, dtypes

PAIR_GRID = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.5, 1e-30, 1e30,
             3.0]


def pairs(dtype):
    a, b = np.meshgrid(np.array(PAIR_GRID, dtype=dtype), np.array(PAIR_GRID, dtype=dtype))
    return a.ravel(), b.ravel()


# (op, dtype) -> (where(x, y), reason): pairs at which pyad's gradient differs from torch's
BINARY_DIFFERS = {
    "xlogy": (lambda x, y, g: g == 0 and y == y and not (0 < y < math.inf),
              "torch's xlogy(grad, y) is 0 where grad is 0 (y not NaN); pyad's g log(y) gives "
              "0 * inf or 0 * NaN = NaN for y <= 0 or inf there (a branch on the incoming "
              "gradient, which the table's conditions cannot read)"),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_forward_and_both_paths_against_torch(name, dtype):
    a, b = pairs(dtype)
    op, top = binary_fn(pyad, name), binary_fn(torch, name)
    got = op(pyad.tensor(a), pyad.tensor(b))
    want = top(torch.tensor(a), torch.tensor(b))
    assert str(got.dtype) == str(want.dtype).replace("torch", "pyad")
    # one pair at a time: torch's vector kernels contract logaddexp2's last step into an fma
    want = np.array([as_np(top(torch.tensor(a[i:i + 1]), torch.tensor(b[i:i + 1])))[0]
                     for i in range(a.size)])
    assert_same(as_np(got), want, 1e-5 if dtype == "float32" else 1e-12, name)
    x = pyad.tensor(a, requires_grad=True)
    y = op(x, pyad.tensor(b))
    assert type(y.grad_fn).__name__ == type(top(torch.tensor(a, requires_grad=True),
                                                torch.tensor(b)).grad_fn).__name__
    if not TABLE[name]["differentiable"] and name not in THROUGH:   # (those: zero gradients)
        with pytest.raises(RuntimeError) as raised:
            y.sum().backward()
        yt = top(torch.tensor(a, requires_grad=True), torch.tensor(b))
        with pytest.raises(RuntimeError) as want:
            yt.sum().backward()
        assert str(raised.value) == str(want.value)
        return
    g = np.resize(np.array([1.0, 0.5, -2.0, 0.0, 3.0], dtype=dtype), a.shape)
    where, _ = BINARY_DIFFERS.get(name, (lambda x, y, g: False, ""))
    keep = ~np.array([where(float(x), float(y), float(v)) for x, y, v in zip(a, b, g)])
    results = {}
    for cg in (False, True):
        x, y = pyad.tensor(a, requires_grad=True), pyad.tensor(b, requires_grad=True)
        dx, dy = pyad.autograd.grad(op(x, y), (x, y), pyad.tensor(g), create_graph=cg)
        results["pyad", cg] = (as_np(dx), as_np(dy))
        # torch one pair at a time: its vector kernels treat NaN by position (see above)
        per = []
        for i in range(a.size):
            x = torch.tensor(a[i:i + 1], requires_grad=True)
            y = torch.tensor(b[i:i + 1], requires_grad=True)
            per.append([as_np(d)[0] for d in torch.autograd.grad(
                top(x, y), (x, y), torch.tensor(g[i:i + 1]), create_graph=cg)])
        results["torch", cg] = tuple(np.array(c) for c in zip(*per))
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for k in range(2):
        assert_same(results["pyad", True][k], results["pyad", False][k], rtol,
                    f"{name} input {k}: create_graph vs not")
        for cg in (False, True):
            assert_same(results["pyad", cg][k][keep], results["torch", cg][k][keep], rtol,
                        f"{name} input {k} create_graph={cg} vs torch")


@pytest.mark.parametrize("name", [n for n in BINARY if TABLE[n]["differentiable"]])
def test_binary_derivatives_against_finite_differences_and_torch(name):
    rng = np.random.default_rng(0)
    a = rng.uniform(0.3, 2.0, (3, 4))
    b = rng.uniform(0.3, 2.0, (4,))            # broadcast along the first dim
    h = 1e-5
    x, y = pyad.tensor(a, requires_grad=True), pyad.tensor(b, requires_grad=True)
    out = getattr(pyad, name)(x, y).sum()
    dx, dy = pyad.autograd.grad(out, (x, y), create_graph=True)

    def f(u, v):
        return float(getattr(pyad, name)(pyad.tensor(u), pyad.tensor(v)).sum())
    fdx = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[i] = h
        fdx[i] = (f(a + e, b) - f(a - e, b)) / (2 * h)
    np.testing.assert_allclose(as_np(dx), fdx, rtol=1e-6, atol=1e-8)
    # second order: the Hessian-vector products against torch's
    xt, yt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    dxt, dyt = torch.autograd.grad(getattr(torch, name)(xt, yt).sum(), (xt, yt),
                                   create_graph=True)
    # a piecewise-constant derivative (maximum's: g where x wins) is g masked: no graph to x
    # or y, in torch as in pyad
    assert (dx.requires_grad, dy.requires_grad) == (dxt.requires_grad, dyt.requires_grad)
    if not (dx.requires_grad or dy.requires_grad):
        return
    (hxx, hxy) = pyad.autograd.grad((dx * dx).sum() + dy.sum(), (x, y))
    (txx, txy) = torch.autograd.grad((dxt * dxt).sum() + dyt.sum(), (xt, yt))
    np.testing.assert_allclose(as_np(hxx), as_np(txx), rtol=1e-10)
    np.testing.assert_allclose(as_np(hxy), as_np(txy), rtol=1e-10)


def _recorded_nodes(*roots):
    """Every node of the graphs behind roots, each once."""
    seen, todo = set(), [r.grad_fn for r in roots if r.grad_fn is not None]
    while todo:
        fn = todo.pop()
        if fn not in seen:
            seen.add(fn)
            todo += [nxt for nxt, _ in fn.next_functions if nxt is not None]
    return seen


@pytest.mark.parametrize("name", [n for n, e in TABLE.items()
                                  if e["kind"] in ("binary", "ternary") and e["differentiable"]])
def test_create_graph_records_a_value_its_derivatives_share_once(name):
    # each derivative is lowered on its own (its C side is its own kernel); recorded, a value
    # two of them use (hypot(x, y), atan2's x*x + y*y, a mask's where) is one node, as the
    # hand-written formulas had it: no two nodes of one kind over the same recorded inputs
    inputs = [pyad.tensor(np.linspace(0.3, 2.0, 6).reshape(2, 3) * (k + 1), requires_grad=True)
              for k in range(2 if TABLE[name]["kind"] == "binary" else 3)]
    out = getattr(pyad, name)(*inputs)
    g = pyad.ones(out.shape, dtype=out.dtype, requires_grad=True)     # every step is recorded
    grads = pyad.autograd.grad(out, inputs, g, create_graph=True)
    nodes = _recorded_nodes(*grads) - _recorded_nodes(out)
    # a step with an operand outside the graph (a mask, a constant) is left out: that
    # operand can differ (maximum's two where()s over one value, with opposite masks)
    steps = [(type(fn).__name__, tuple(fn.next_functions)) for fn in nodes
             if all(nxt is not None for nxt, _ in fn.next_functions)]
    assert steps
    assert len(steps) == len(set(steps)), sorted(map(repr, steps))


@pytest.mark.parametrize("name", [n for n in BINARY if n not in THROUGH])
def test_binary_dtypes_scalars_and_surface_like_torch(name):
    other = "values" if name == "heaviside" else "other"
    cases = [(np.array([0, 1, 3]), np.array([1, 0, 3])),
             (np.array([True, False, True]), np.array([True, True, False])),
             (np.array([0, 1, 3]), np.array([1.0, 2.0, 3.0])),
             (np.array([0.5, 1.0], dtype=np.float32), np.array([2.0, 3.0])),
             (np.array([0.5, 1.0]), 2.0), (2.0, np.array([0.5, 1.0])),
             (np.array([0.5, 1.0]), "a")]
    for a, b in cases:
        outcome = []
        for lib in (pyad, torch):
            args = [lib.tensor(v) if isinstance(v, np.ndarray) else v for v in (a, b)]
            try:
                r = getattr(lib, name)(*args)
                outcome.append(("ok", str(r.dtype).split(".")[1], as_np(r).astype(np.float64)))
            except (RuntimeError, NotImplementedError, TypeError) as e:
                outcome.append(("err", type(e).__name__, str(e).split("\n")[0]))
        (pk, pd, pv), (tk, td, tv) = outcome
        assert (pk, pd) == (tk, td), (a, b, outcome)
        if pk == "ok":
            assert_same(pv, tv, 1e-6, name)
        else:
            assert pv == tv
    assert hasattr(pyad.Tensor, name) == hasattr(torch.Tensor, name)
    assert hasattr(pyad.Tensor, name + "_") == hasattr(torch.Tensor, name + "_")
    x = pyad.tensor([0.5, 2.0])
    v = pyad.tensor([1.5, 0.0])
    want = getattr(torch.tensor([0.5, 2.0]), name)(torch.tensor([1.5, 0.0]))
    assert_same(as_np(getattr(x, name)(v)), as_np(want), 1e-6, name)
    if hasattr(torch.Tensor, name + "_"):
        assert getattr(x, name + "_")(v) is x
        assert_same(as_np(x), as_np(want), 1e-6, name + "_")
    assert other in getattr(pyad, name).__doc__ or True


# ---- ternary entries: triples of the grid, broadcasting, a number for z, dtypes, in place

TERNARY = [n for n, e in TABLE.items() if e["kind"] == "ternary"]
TRI_GRID = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.25, 0.5, -2.5, 1e-30, 1e30,
            3.0]
# keyword arguments besides the three operands (torch's defaults run too)
KWARGS = {"addcmul": [{}, {"value": 0.5}, {"value": -3}],
          "addcdiv": [{}, {"value": 0.5}, {"value": -3}]}
# numbers in place of z, for the entries that take one (lerp's weight)
NUMBERS = [0.3, 0.5, -0.5, 0.7, 2.0, -1.25, 1]


def triples(dtype, n=None):
    grid = np.array(TRI_GRID[:n], dtype=dtype)
    a, b, c = np.meshgrid(grid, grid, grid, indexing="ij")
    return a.ravel(), b.ravel(), c.ravel()


def ternary_cases(name):
    """(kwargs, number or None): the tensor form with each kwargs, then z as each number."""
    out = [(kw, None) for kw in KWARGS.get(name, [{}])]
    if TABLE[name]["scalar"]:
        out += [({}, v) for v in NUMBERS]
    return out


def run3(lib, name, x, y, z, kw, number, cg=False, g=None):
    """The op's value and the gradients of its tensor operands (None: not asked)."""
    ins = [x, y] + ([z] if number is None else [])
    r = getattr(lib, name)(x, y, z if number is None else number, **kw)
    if g is None:
        return r, None
    wanted = [t for t in ins if t.requires_grad]
    ds = lib.autograd.grad(r, wanted, g, create_graph=cg)
    return r, ds


def torch_per_element(name, a, b, c, kw, number, g):
    """torch one triple at a time (its vector kernels treat NaN by position), value and grads."""
    vals, grads = [], []
    for i in range(a.size):
        x, y, z = (torch.tensor(v[i:i + 1], requires_grad=True) for v in (a, b, c))
        r, ds = run3(torch, name, x, y, z, kw, number, g=torch.tensor(g[i:i + 1]))
        vals.append(as_np(r)[0])
        grads.append([as_np(d)[0] for d in ds])
    return np.array(vals), [np.array(col) for col in zip(*grads)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", TERNARY)
def test_ternary_forward_and_both_paths_against_torch(name, dtype):
    a, b, c = triples(dtype, 9)
    g = np.resize(np.array([1.0, 0.5, -2.0, 0.0, 3.0], dtype=dtype), a.shape)
    rtol = 1e-6 if dtype == "float32" else 1e-13
    for kw, number in ternary_cases(name):
        what = f"{name}{kw} z={number} {dtype}"
        want, want_d = torch_per_element(name, a, b, c, kw, number, g)
        paths = []
        for cg in (False, True):
            x, y, z = (pyad.tensor(v, requires_grad=True) for v in (a, b, c))
            r, ds = run3(pyad, name, x, y, z, kw, number, cg, pyad.tensor(g))
            assert str(r.dtype) == "pyad." + dtype
            assert_same(as_np(r), want, 0 if number is None else rtol, what)
            paths.append([as_np(d) for d in ds])
        for k, (plain, recorded) in enumerate(zip(*paths)):
            assert_same(recorded, plain, rtol, f"{what} input {k}: create_graph vs not")
            assert_same(plain, want_d[k], rtol, f"{what} input {k} vs torch")
    # the vector kernels give the same bits as torch's on a whole tensor
    rng = np.random.default_rng(1)
    a, b, c = (rng.normal(0, 2, 1037).astype(dtype) for _ in range(3))
    c[::3] = rng.uniform(-0.6, 0.6, c[::3].shape)
    for kw, number in ternary_cases(name):
        got = getattr(pyad, name)(pyad.tensor(a), pyad.tensor(b),
                                  pyad.tensor(c) if number is None else number, **kw)
        want = getattr(torch, name)(torch.tensor(a), torch.tensor(b),
                                    torch.tensor(c) if number is None else number, **kw)
        np.testing.assert_array_equal(as_np(got), as_np(want), err_msg=f"{name}{kw} {number}")


def smooth3(name, rng, shapes):
    a = rng.uniform(-2.0, 2.0, shapes[0])
    b = rng.uniform(-2.0, 2.0, shapes[1])
    c = rng.uniform(0.5, 2.0, shapes[2]) * rng.choice([-1.0, 1.0], shapes[2])
    return a, b, c


@pytest.mark.parametrize("name", TERNARY)
def test_ternary_first_and_second_derivatives_against_finite_differences(name):
    """float64, broadcast operands: first derivatives of each input against central differences;
    second derivatives (of the sum of the first ones) against central differences of the first,
    and against torch's; third order exists where torch's does."""
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (3, 1)]
    h = 1e-6
    for kw, number in ternary_cases(name)[:2] + ternary_cases(name)[-1:]:
        vals = smooth3(name, rng, shapes)
        n_in = 3 if number is None else 2

        def f(*v):
            r = getattr(pyad, name)(pyad.tensor(v[0]), pyad.tensor(v[1]),
                                    pyad.tensor(v[2]) if number is None else number, **kw)
            return float(r.sum())

        def first(*v, create_graph=False):
            ts = [pyad.tensor(u, requires_grad=k < n_in) for k, u in enumerate(v)]
            r, ds = run3(pyad, name, *ts, kw, number, create_graph,
                         pyad.ones(np.broadcast_shapes(*shapes)))
            return ts, ds

        def fd(fun, k):
            out = np.zeros_like(vals[k])
            for i in np.ndindex(vals[k].shape):
                e = [np.zeros_like(v) for v in vals]
                e[k][i] = h
                out[i] = (fun(*[v + d for v, d in zip(vals, e)]) -
                          fun(*[v - d for v, d in zip(vals, e)])) / (2 * h)
            return out

        _, ds = first(*vals)
        for k in range(n_in):
            np.testing.assert_allclose(as_np(ds[k]), fd(f, k), rtol=1e-6, atol=1e-7,
                                       err_msg=f"{name}{kw} {number} d{k}")
        ts, ds = first(*vals, create_graph=True)
        if not any(d.requires_grad for d in ds):     # constant first derivatives (lerp's
            continue                                  # number overload), as torch's
        second = pyad.autograd.grad(sum(d.sum() for d in ds), ts[:n_in], allow_unused=True)

        def s1(*v):
            return sum(float(d.sum()) for d in first(*v)[1])
        for k in range(n_in):
            got = np.zeros_like(vals[k]) if second[k] is None else as_np(second[k])
            np.testing.assert_allclose(got, fd(s1, k), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name}{kw} {number} second d{k}")
        # against torch's second derivatives (its formulas, recorded), and third order
        tt = [torch.tensor(v, requires_grad=k < n_in) for k, v in enumerate(vals)]
        _, tds = run3(torch, name, *tt, kw, number, True,
                      torch.ones(np.broadcast_shapes(*shapes), dtype=torch.float64))
        tsecond = torch.autograd.grad(sum(d.sum() for d in tds), tt[:n_in], allow_unused=True,
                                      create_graph=True)
        ts, ds = first(*vals, create_graph=True)
        second = pyad.autograd.grad(sum(d.sum() for d in ds), ts[:n_in], allow_unused=True,
                                    create_graph=True)
        for k in range(n_in):
            assert (second[k] is None) == (tsecond[k] is None), (name, k)
            if second[k] is not None:
                np.testing.assert_allclose(as_np(second[k]), as_np(tsecond[k]), rtol=1e-12)
        live = [(p, t) for p, t in zip(second, tsecond) if p is not None and t.requires_grad]
        if live:
            third = pyad.autograd.grad(sum((p * p).sum() for p, _ in live), ts[:n_in],
                                       allow_unused=True)
            tthird = torch.autograd.grad(sum((t * t).sum() for _, t in live), tt[:n_in],
                                         allow_unused=True)
            for p, t in zip(third, tthird):
                assert (p is None) == (t is None)
                if p is not None:
                    np.testing.assert_allclose(as_np(p), as_np(t), rtol=1e-12)


def ternary_outcome(lib, fn):
    try:
        r = fn(lib)
    except (RuntimeError, NotImplementedError, TypeError, OverflowError) as e:
        return ("err", type(e).__name__,
                str(e).split("\n")[0].replace("torch._C.TensorBase", "pyad._C.Tensor"))
    return ("ok", str(r.dtype).split(".")[1], tuple(r.shape),
            r.grad_fn.name() if r.grad_fn is not None else None,
            as_np(r).astype(np.float64).round(6).tolist())


def ternary_probe_cases(name):
    """Calls of the op that exercise torch's dtype rules, broadcasting and argument errors:
    (label, lambda lib: result)."""
    kinds = {"f": ("float32", [1.5, -2.0]), "d": ("float64", [0.5, 3.0]),
             "l": ("int64", [2, -3]), "b": ("bool", [True, False])}

    def t(lib, k, shape=(2,), zero_d=False, rg=False):
        dtype, vals = kinds[k]
        v = np.resize(np.array(vals, dtype=dtype), () if zero_d else shape)
        return lib.tensor(v, requires_grad=rg)
    fn = name
    cases = []
    for k1 in "fdlb":
        for k2 in "fdlb":
            for k3 in "fdlb":
                cases.append((f"{k1}{k2}{k3}", lambda lib, k=(k1, k2, k3): getattr(lib, fn)(
                    *(t(lib, c) for c in k))))
        for k3 in "fdlb":    # 0-d operands take part in promotion by category only
            cases.append((f"f{k1}0{k3}", lambda lib, k=(k1, k3): getattr(lib, fn)(
                t(lib, "f"), t(lib, k[0]), t(lib, k[1], zero_d=True))))
            cases.append((f"f0{k1}{k3}", lambda lib, k=(k1, k3): getattr(lib, fn)(
                t(lib, "f"), t(lib, k[0], zero_d=True), t(lib, k[1]))))
    cases += [
        ("grad", lambda lib: getattr(lib, fn)(t(lib, "f", rg=True), t(lib, "f"), t(lib, "f"))),
        ("grad z", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "f"), t(lib, "f", rg=True))),
        ("broadcast", lambda lib: getattr(lib, fn)(t(lib, "d", (3, 1)), t(lib, "d", (1, 2)),
                                                   t(lib, "d", (2,)))),
        ("bad broadcast", lambda lib: getattr(lib, fn)(t(lib, "f", (3, 1)), t(lib, "f", (1, 2)),
                                                       t(lib, "f", (4,)))),
        ("bad broadcast 2", lambda lib: getattr(lib, fn)(t(lib, "f", (3, 1)), t(lib, "f", (4,)),
                                                         t(lib, "f", (1, 2)))),
        ("bad broadcast int", lambda lib: getattr(lib, fn)(t(lib, "l"), t(lib, "l", (3,)),
                                                           t(lib, "l"))),
        ("bad broadcast dtype", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "d", (3,)),
                                                             t(lib, "f"))),
        ("number input", lambda lib: getattr(lib, fn)(1.0, t(lib, "f"), t(lib, "f"))),
        ("number other", lambda lib: getattr(lib, fn)(t(lib, "f"), 1.0, t(lib, "f"))),
        ("str z", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "f"), "a")),
        ("None z", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "f"), None)),
        ("in place", lambda lib: t(lib, "f").__getattribute__(fn + "_")(t(lib, "f"), t(lib, "f"))),
        ("in place broadcast", lambda lib: t(lib, "f").__getattribute__(fn + "_")(
            t(lib, "f", (3, 2)), t(lib, "f"))),
        ("in place cast", lambda lib: t(lib, "f").__getattribute__(fn + "_")(
            t(lib, "d"), t(lib, "d"))),
        ("in place int", lambda lib: t(lib, "l").__getattribute__(fn + "_")(
            t(lib, "f"), t(lib, "f"))),
        ("in place leaf", lambda lib: t(lib, "f", rg=True).__getattribute__(fn + "_")(
            t(lib, "f"), t(lib, "f"))),
        ("in place non-leaf", lambda lib: (t(lib, "f", rg=True) * 1).__getattribute__(fn + "_")(
            t(lib, "f"), t(lib, "f", rg=True))),
        ("method", lambda lib: t(lib, "d").__getattribute__(fn)(t(lib, "d"), t(lib, "d"))),
        ("method number", lambda lib: t(lib, "d").__getattribute__(fn)(1.0, t(lib, "d"))),
        ("out", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "f"), t(lib, "f"),
                                             out=lib.empty(2))),
        ("out grad", lambda lib: getattr(lib, fn)(t(lib, "f", rg=True), t(lib, "f"),
                                                  t(lib, "f"), out=lib.empty(2))),
    ]
    if TABLE[name]["scalar"]:
        cases += [(f"number {k1}{k2} {v!r}", lambda lib, k=(k1, k2), v=v: getattr(lib, fn)(
            t(lib, k[0]), t(lib, k[1]), v)) for k1 in "fdlb" for k2 in "fdlb"
            for v in (0.25, 2, True)]
        cases += [("number grad", lambda lib: getattr(lib, fn)(t(lib, "f", rg=True),
                                                               t(lib, "f"), 0.7)),
                  ("number in place", lambda lib: t(lib, "d").__getattribute__(fn + "_")(
                      t(lib, "d"), 0.7)),
                  ("number numpy", lambda lib: getattr(lib, fn)(t(lib, "d"), t(lib, "d"),
                                                                np.float32(0.7)))]
    for kw in KWARGS.get(name, [])[1:]:
        for k in "fdlb":
            cases.append((f"{k}{k}{k} {kw}", lambda lib, k=k, kw=kw: getattr(lib, fn)(
                t(lib, k), t(lib, k), t(lib, k), **kw)))
    if KWARGS.get(name):
        cases += [
            ("value str", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "f"), t(lib, "f"),
                                                       value="a")),
            ("value None", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "f"), t(lib, "f"),
                                                        value=None)),
            ("value huge", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "f"), t(lib, "f"),
                                                        value=2 ** 70)),
            ("value 0-d", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "f"), t(lib, "f"),
                                                       value=lib.tensor(2.0))),
            ("value grad", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "f"), t(lib, "f"),
                                                        value=lib.tensor(2.0, requires_grad=True))),
            ("value 1-d", lambda lib: getattr(lib, fn)(t(lib, "f"), t(lib, "f"), t(lib, "f"),
                                                       value=lib.tensor([2.0]))),
            ("value int on ints", lambda lib: getattr(lib, fn)(t(lib, "l"), t(lib, "l"),
                                                               t(lib, "l"), value=2.7)),
        ]
    return cases


@pytest.mark.parametrize("name", TERNARY)
def test_ternary_dtypes_broadcasting_and_errors_like_torch(name):
    bad = []
    for label, fn in ternary_probe_cases(name):
        with np.errstate(all="ignore"):
            got, want = ternary_outcome(pyad, fn), ternary_outcome(torch, fn)
        if got[:4] != want[:4] or (got[0] == "ok" and not np.allclose(
                got[4], want[4], rtol=1e-6, equal_nan=True)):
            bad.append((label, got, want))
    assert not bad, "\n".join(map(repr, bad))


@pytest.mark.parametrize("name", TERNARY)
def test_ternary_surface_grad_fn_and_in_place_like_torch(name):
    entry = TABLE[name]
    assert name in pyad._C.__all__ and hasattr(torch, name)
    for m in (name, name + "_"):
        assert hasattr(pyad.Tensor, m) and hasattr(torch.Tensor, m)
        assert getattr(pyad.Tensor, m).__name__ == m and getattr(pyad.Tensor, m).__doc__
    assert getattr(pyad, name).__doc__
    a, b, c = np.array([0.2, -1.5]), np.array([1.0, 2.0]), np.array([0.3, 0.9])
    for number in [None] + ([0.6] if entry["scalar"] else []):
        outs = []
        for lib in (pyad, torch):
            x = lib.tensor(a, requires_grad=True)
            y = lib.tensor(b, requires_grad=True)
            z = lib.tensor(c, requires_grad=True) if number is None else number
            r = getattr(lib, name)(x, y, z)
            nf = [type(f).__name__ if f is not None else None for f, _ in
                  r.grad_fn.next_functions]
            outs.append((r.grad_fn.name(), nf))
        assert outs[0][0] == outs[1][0] and len(outs[0][1]) == len(outs[1][1]), outs
        want = (entry["grad_fn"] if number is None else entry["scalar"])
        assert outs[0][0] == want
    # in place: returns self, same values; on a non-leaf recorded with torch's name; under
    # no_grad written into the tensor's own memory, its version bumped
    y, z = pyad.tensor(b), pyad.tensor(c)
    x = pyad.tensor(a)
    view, version = x.numpy(), x._version       # shares x's memory
    assert getattr(x, name + "_")(y, z) is x
    assert x._version == version + 1
    want = getattr(torch.tensor(a), name + "_")(torch.tensor(b), torch.tensor(c))
    np.testing.assert_array_equal(view, as_np(want))
    leaf = pyad.tensor(a, requires_grad=True)
    with pyad.no_grad():
        getattr(leaf, name + "_")(y, z)
    np.testing.assert_array_equal(as_np(leaf), as_np(want))
    assert leaf.grad_fn is None
    leaf = pyad.tensor(a, requires_grad=True)
    x = leaf * 1.0
    getattr(x, name + "_")(y, pyad.tensor(c, requires_grad=True))
    assert x.grad_fn.name() == entry["grad_fn"]
    (gx,) = pyad.autograd.grad(x.sum(), leaf)
    tl = torch.tensor(a, requires_grad=True)
    tx = tl * 1.0
    getattr(tx, name + "_")(torch.tensor(b), torch.tensor(c, requires_grad=True))
    (tg,) = torch.autograd.grad(tx.sum(), tl)
    np.testing.assert_allclose(as_np(gx), as_np(tg), rtol=1e-15)


@pytest.mark.parametrize("name", TERNARY)
def test_ternary_saved_values_and_in_place_changes_like_torch(name):
    """The node saves what torch's saves: a later in-place change of an unsaved operand is
    harmless, of a saved one torch's 'modified by an inplace operation' error."""
    for k in range(3):
        outcome = []
        for lib in (pyad, torch):
            ts = [lib.tensor([0.5, 1.5], requires_grad=True) * 1.0 for _ in range(3)]
            r = getattr(lib, name)(*ts)
            ts[k].add_(1.0)
            try:
                lib.autograd.grad(r.sum(), ts)
                outcome.append("ok")
            except RuntimeError as e:
                outcome.append("modified by an inplace operation" in str(e))
        assert outcome[0] == outcome[1], (name, k, outcome)
