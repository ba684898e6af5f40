"""The written-once structural backwards at sizes that cross the C kernels' size boundaries, and
``fill_`` with a 0-d tensor value into bool and int64 tensors (or from bool and int64 values).

test_written_once.py checks that the backwards written once against CMath (csrc/cmath.pxi: the
products of ``bmm_bw``, the strided gathers and scatters of select/slice/transpose/permute/
expand/split/chunk/unbind, cat/stack, the dtype cast, the zero-derivative value, tril/triu,
cumsum/cumprod) give the same gradient on both sweeps, but at sizes of a few elements, where
every C loop runs its short scalar path. The kernels change strategy with the size:

- ``nb_bmm`` (csrc/numeric.pxi) hands a product with M*N*K >= 32768 to numpy's matmul (BLAS)
  and computes smaller ones with pyad_bmm's loops (csrc/pyad_kernels.h), which take four
  values of k per pass (i-k-j and column axpys) or eight partial sums (dot products): a K of
  31/32/33 or 127/128/129 has a tail of 3/0/1 or 7/0/1 there;
- the accumulate loop behind every scatter (PYAD_ACCUM) sums a contiguous run into one value
  with eight partial sums from 16 elements on, and its contiguous runs (and the AVX2/AVX-512
  copies of every PYAD_RUN/PYAD_RUN3 loop) start at 16 elements: runs of 15/16/17;
- a full sum (``nb_reduce_to`` to one element, a broadcast operand's gradient) is pyad_sum's
  pairwise cascade: blocks of 128 with 16 partial sums, combined by a binary counter; 4096
  elements are 32 whole blocks (the counter collapses to one entry), 4095 and 4097 are not;
- ``cmath_outs`` keeps the gradients of up to CMATH_SMALL = 4 inputs on the C stack and
  mallocs them for more (cat/stack of 4 and of 5 tensors).

For each program, in float32 and float64, with an ordinary upstream gradient and with one
holding NaN and +-inf at those boundary positions, the gradient of ``create_graph=False`` and
of ``create_graph=True`` must have the same NaN/inf pattern and finite values within rounding;
it must agree with torch's gradient of the same program; and in float64 its value at a few
coordinates (random ones and the last) must agree with central differences. The inputs are
multiples of 2**-20 below 2 and the step is 2**-10, so that x +- step is exact even in float32
(the cast program) and, every program being at most quadratic in one coordinate, the central
difference is exact but for rounding.

Gap 2: torch's fill_.Tensor (FillBackward3) is compared outcome for outcome (values, dtype,
requires_grad, grad_fn name, version, gradients, exception type and message) for destinations
of every dtype (plain, and for floats a leaf and a non-leaf that require grad) and values of
every dtype (a float64 one with and without requires_grad), with and without grad mode.
"""

import math
import zlib

import numpy as np
import pytest

from conftest import AGAINST_TORCH, load_module, raises_exact

pt = load_module()

NAN, INF = math.nan, math.inf
QUANTUM = 2.0 ** -20        # inputs are multiples of it, below 2 in magnitude: exact in float32
STEP = 2.0 ** -10           # the central differences' step: x +- STEP stays exact in float32
RTOL = {"float32": 1e-5, "float64": 1e-12}
# central differences against the gradient: float64 rounding, but where the program has a float32
# branch (cast, cat:dtypes) that branch's gradient is rounded to float32 (2**-23 relative)
FD_RTOL = 1e-8
FD_RTOL_F32_BRANCH = 2.0 ** -23
# flat positions of the special upstream gradient's NaN/+-inf: the run, block and cascade edges
SPECIAL_AT = [(15, NAN), (16, INF), (17, -INF), (127, INF), (128, NAN), (4095, -INF)]


# ---- the programs ----------------------------------------------------------------------------

def _prod(m, pair):
    """The product of a pair of gradients (a matrix and a matrix or vector, or two vectors)."""
    a, b = pair
    return m.dot(a, b) if a.dim() == 1 else a @ b


def _mm_second(m, a, b, v):
    return _prod(m, m.autograd.grad(a @ b, [a, b], v, create_graph=True))


def _mv_second(m, a, x, v):
    return _prod(m, m.autograd.grad(m.mv(a, x), [a, x], v, create_graph=True))


def _dot_second(m, x, y, s):
    return _prod(m, m.autograd.grad(m.dot(x, y), [x, y], s, create_graph=True))


def _permute_second(m, x, v):
    return m.autograd.grad(x.permute(2, 0, 1), x, v, create_graph=True)[0] * x


def _split(m, x, size):
    return m.cat([p * (i + 1) for i, p in enumerate(m.split(x, size, 1))], 1)


def _chunk(m, x):
    return m.cat([p * (i + 1) for i, p in enumerate(m.chunk(x, 5, 0))], 0)


def _unbind(m, x):
    return m.stack([p * (i + 1) for i, p in enumerate(m.unbind(x, 1))], 0)


CASES = []


def _case(name, label, fn, specs, torch_path="numeric"):
    """specs: (shape, kind) per input, kind "u" (uniform in +-1.5), "near1" (in [0.9, 1.1]: long
    products stay finite) or "zeros" (near1 with zeros placed in each row). torch_path: which
    of torch's backward paths pyad follows where they disagree (test_grad_paths.py)."""
    case = f"{name}[{label}]"
    CASES.append(pytest.param(case, fn, specs, torch_path, id=case))


# products: M*N*K below, at and above nb_bmm's 32768 (pyad_bmm's loops below, BLAS from it on)
for K in (31, 32, 33):
    _case("mm", f"32x{K}x32", lambda m, a, b: a @ b, [((32, K), "u"), ((K, 32), "u")])
    _case("mm:second", f"32x{K}x32", _mm_second,
          [((32, K), "u"), ((K, 32), "u"), ((32, 32), "u")])
for M in (63, 64, 65):     # K = 8: i-k-j in whole passes of four; the backward's K is M
    _case("mm", f"{M}x8x{M}", lambda m, a, b: a @ b, [((M, 8), "u"), ((8, M), "u")])
for K in (255, 256, 257):
    _case("mv", f"128x{K}", lambda m, a, x: m.mv(a, x), [((128, K), "u"), ((K,), "u")])
    _case("vm", f"{K}x128", lambda m, x, a: x @ a, [((K,), "u"), ((K, 128), "u")])
for K in (32767, 32768, 32769):
    _case("dot", f"{K}", lambda m, x, y: m.dot(x, y), [((K,), "u"), ((K,), "u")])
for K in (127, 128, 129):
    _case("bmm", f"3x16x{K}x16", lambda m, a, b: m.bmm(a, b),
          [((3, 16, K), "u"), ((3, K, 16), "u")])
    _case("matmul:broadcast", f"3x16x{K}x16", lambda m, a, b: a @ b,
          [((3, 16, K), "u"), ((K, 16), "u")])
for K in (32767, 32769):
    _case("dot:second", f"{K}", _dot_second, [((K,), "u"), ((K,), "u"), ((), "u")])
for K in (255, 257):
    _case("mv:second", f"128x{K}", _mv_second, [((128, K), "u"), ((K,), "u"), ((128,), "u")])

# gathers and their scatters: contiguous runs of 15/16/17 and 127/128/129, reductions of as many
for n in (15, 16, 17, 127, 128, 129):
    _case("slice:cols", f"257x{n}", lambda m, x: x[:, 1:-1], [((257, n + 2), "u")])
    _case("expand:rows", f"9x{n}", lambda m, x: x[:, :1].expand(9, x.shape[1] - 1) * x[:, 1:],
          [((9, n + 1), "u")])
for n in (15, 16, 17):
    _case("expand:cols", f"33x{n}", lambda m, x: x[:1].expand(33, x.shape[1]) * x[1:],
          [((34, n), "u")])
    _case("split", f"5x(4x{n}+1)", lambda m, x: _split(m, x, x.shape[1] // 4),
          [((5, 4 * n + 1), "u")])
for n in (4095, 4096, 4097):
    _case("slice:flat", f"{n}", lambda m, x: x[1:-1], [((n + 2,), "u")])
    _case("expand:scalar", f"{n}", lambda m, x: x[0].expand(x.shape[0]) * x, [((n,), "u")])
    _case("broadcast:sum", f"{n}", lambda m, x: x[:1] * x, [((n,), "u")])
    _case("chunk", f"{n}", _chunk, [((n,), "u")])
for c in (31, 32, 33):
    _case("slice:step", f"65x{c}", lambda m, x: x[1:, ::2].t() * 1.5, [((65, c), "u")])
_case("permute", "15x16x17", lambda m, x: x.permute(2, 0, 1), [((15, 16, 17), "u")])
_case("permute:second", "15x16x17", _permute_second, [((15, 16, 17), "u"), ((17, 15, 16), "u")])
_case("transpose", "127x129", lambda m, x: x.t(), [((127, 129), "u")])
for n in (127, 128, 129):
    _case("unbind", f"{n}x5", _unbind, [((n, 5), "u")])

# cat/stack of 4 inputs (their gradients' BVs on the stack) and of 5 (malloc'd)
for w in (15, 16, 17):
    _case("cat:4", f"33x{w}", lambda m, a, b: m.cat([a, b, a, b], 1),
          [((33, w), "u"), ((33, w + 1), "u")])
    _case("cat:5", f"33x{w}", lambda m, a, b: m.cat([a, b, a, b, a], 1),
          [((33, w), "u"), ((33, w + 1), "u")])
    _case("stack:4", f"33x{w}", lambda m, a, b: m.stack([a, b, a, b], 1),
          [((33, w), "u"), ((33, w), "u")])
    _case("stack:5", f"33x{w}", lambda m, a, b: m.stack([a, b, a, b, a], 1),
          [((33, w), "u"), ((33, w), "u")])
for n in (4095, 4096, 4097):
    _case("cat:dtypes", f"{n}", lambda m, a, b: m.cat([a, b.float(), a], 0),
          [((n,), "u"), ((n,), "u")])
    _case("cast", f"{n}", lambda m, x: x.double() * x.float(), [((n,), "u")])
    _case("cumsum", f"{n}", lambda m, x: m.cumsum(x, 0), [((n,), "u")])
    _case("cumprod", f"{n}", lambda m, x: m.cumprod(x, 0), [((n,), "near1")])
for n in (15, 16, 17):
    _case("cast", f"{n}", lambda m, x: x.double() * x.float(), [((n,), "u")])
_case("zero", "4097", lambda m, x: m.sign(x) * x + m.sign(x), [((4097,), "u")])
for r, c in ((63, 65), (64, 64), (65, 63)):
    _case("tril", f"3x{r}x{c}", lambda m, x: m.tril(x, -1) * x + m.triu(x, 2),
          [((3, r, c), "u")])
for n in (127, 128, 129):
    _case("cumsum:dim0", f"{n}x3", lambda m, x: m.cumsum(x, 0), [((n, 3), "u")])
    # a zero makes torch's create_graph=False backward an O(n) algorithm that disagrees with
    # its create_graph=True one where NaN/inf meets the zero; pyad follows the latter
    _case("cumprod:zeros", f"3x{n}", lambda m, x: m.cumprod(x, 1), [((3, n), "zeros")],
          torch_path="graph")


# ---- inputs, upstream gradients and the sweeps -------------------------------------------------

def _seed(case):
    return zlib.crc32(case.encode())


def _inputs(specs, seed):
    rng = np.random.default_rng(seed)
    arrays = []
    for shape, kind in specs:
        a = rng.uniform(0.9, 1.1, shape) if kind in ("near1", "zeros") else \
            rng.uniform(-1.5, 1.5, shape)
        a = np.asarray(np.round(a / QUANTUM) * QUANTUM)
        a[a == 0] = QUANTUM                 # zeros only where placed: cumprod's paths differ
        if kind == "zeros":                 # row 0: one zero; row 1: two; row 2: the last one
            n = shape[-1]
            a[0, n // 3] = a[1, 1] = a[1, n - 2] = a[2, n - 1] = 0.0
        arrays.append(a)
    return arrays


def _upstream(shape, seed, special):
    w = np.random.default_rng(seed + 1).uniform(-1.5, 1.5, shape)
    if special:
        flat = w.reshape(-1)
        for i, v in SPECIAL_AT:
            if i < flat.size:
                flat[i] = v
    return w


def _grads(m, fn, arrays, dtype, w, create_graph):
    xs = [m.tensor(a, dtype=getattr(m, dtype), requires_grad=True) for a in arrays]
    out = fn(m, *xs)
    g = m.tensor(w, dtype=out.dtype)
    gs = m.autograd.grad(out, xs, g, create_graph=create_graph)
    return [np.array(x.detach().numpy(), dtype=np.float64) for x in gs]


def _out_shape(fn, arrays):
    return tuple(fn(pt, *[pt.tensor(a, dtype=pt.float64, requires_grad=True)
                          for a in arrays]).shape)


def _same(a, b, rtol, what):
    """Same shape, NaN and inf pattern (signs too), finite values within rtol (of the largest)."""
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    assert (nan_a == nan_b).all(), \
        f"{what}: NaN positions differ at {np.argwhere(nan_a != nan_b)[:5].tolist()}"
    inf_a, inf_b = np.isinf(a), np.isinf(b)
    assert (inf_a == inf_b).all(), \
        f"{what}: inf positions differ at {np.argwhere(inf_a != inf_b)[:5].tolist()}"
    assert (a[inf_a] == b[inf_a]).all(), f"{what}: inf signs differ"
    fin = np.isfinite(a)
    fa, fb = a[fin], b[fin]
    np.testing.assert_allclose(fa, fb, rtol=rtol, atol=rtol * (1 + np.abs(fb).max(initial=0)),
                               err_msg=what)


def _setup(case, fn, specs, special):
    seed = _seed(case)
    arrays = _inputs(specs, seed)
    return arrays, _upstream(_out_shape(fn, arrays), seed, special)


@pytest.mark.parametrize("special", [False, True], ids=["ordinary", "special"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case, fn, specs, torch_path", CASES)
def test_both_sweeps_agree(case, fn, specs, torch_path, dtype, special):
    """(a) create_graph=False and create_graph=True give one gradient (torch-mode: torch's)."""
    if AGAINST_TORCH and torch_path == "graph" and special:
        pytest.skip("torch's two cumprod paths disagree where NaN/inf meets a zero")
    arrays, w = _setup(case, fn, specs, special)
    numeric = _grads(pt, fn, arrays, dtype, w, False)
    recorded = _grads(pt, fn, arrays, dtype, w, True)
    for i, (a, b) in enumerate(zip(numeric, recorded)):
        _same(a, b, RTOL[dtype], f"input {i}: numeric sweep vs recorded sweep")
    if not special:
        assert all(np.isfinite(a).all() for a in numeric)     # the ordinary case is one


@pytest.mark.parametrize("special", [False, True], ids=["ordinary", "special"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case, fn, specs, torch_path", CASES)
def test_gradient_matches_torch(case, fn, specs, torch_path, dtype, special):
    """(b) pyad's gradient (either sweep) is torch's for the same program."""
    torch = pytest.importorskip("torch")
    if pt is torch:
        pytest.skip("the module under test is torch")
    arrays, w = _setup(case, fn, specs, special)
    want = _grads(torch, fn, arrays, dtype, w, torch_path == "graph")
    for cg in (False, True):
        got = _grads(pt, fn, arrays, dtype, w, cg)
        for i, (a, b) in enumerate(zip(got, want)):
            _same(a, b, RTOL[dtype], f"input {i}: pyad (create_graph={cg}) vs torch")


@pytest.mark.parametrize("case, fn, specs, torch_path", CASES)
def test_gradient_matches_finite_differences(case, fn, specs, torch_path):
    """(c) float64: the gradient of sum(w * f(x)) at random coordinates and the last one is the
    central difference of that sum (each difference taken elementwise on the outputs first)."""
    arrays, w = _setup(case, fn, specs, False)
    grads = _grads(pt, fn, arrays, "float64", w, False)
    rng = np.random.default_rng(_seed(case) + 2)
    rtol = FD_RTOL_F32_BRANCH if case.startswith(("cast", "cat:dtypes")) else FD_RTOL

    def forward(xs):     # grad mode: the second-order programs differentiate inside
        return fn(pt, *[pt.tensor(a, dtype=pt.float64, requires_grad=True) for a in xs]) \
            .detach().numpy()

    for i, (a, g) in enumerate(zip(arrays, grads)):
        coords = sorted({*rng.integers(0, a.size, 3).tolist(), a.size - 1})
        for k in coords:
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i].reshape(-1)[k] += STEP
            minus[i].reshape(-1)[k] -= STEP
            fd = float(np.sum(w * (forward(plus) - forward(minus)))) / (2 * STEP)
            got = g.reshape(-1)[k]
            assert got == pytest.approx(fd, rel=rtol, abs=rtol * (1 + abs(fd))), \
                f"input {i}, flat coordinate {k}: gradient {got}, central difference {fd}"


# ---- fill_ with a 0-d tensor value (torch's fill_.Tensor, FillBackward3) ------------------------

FILL_DESTS = [("bool", "plain"), ("int64", "plain"), ("float32", "plain"), ("float64", "plain"),
              ("float32", "leaf"), ("float64", "leaf"), ("float32", "nonleaf"),
              ("float64", "nonleaf")]
# (dtype, Python value, requires_grad): truthiness and truncation (-0.5 -> True / 0) included
FILL_VALUES = [("bool", True, False), ("bool", False, False), ("int64", -3, False),
               ("int64", 0, False), ("float64", 2.75, False), ("float64", -0.5, False),
               ("float64", 2.75, True), ("float64", -0.5, True)]
FILL_WEIGHTS = [1.0, 2.0, 4.0]

# A documented difference (docs/differences.md, "Integer tensors never require grad"): torch
# marks an int64/bool tensor filled in grad mode from a value that requires grad as requiring
# grad (FillBackward3), then refuses to differentiate through it ("Autograd not support
# dtype"); pyad's stays without grad. Everything else about the fill is compared with torch.


def _fill_outcome(m, dest_dtype, dest_kind, value, grad_mode):
    """What x.fill_(v) does: its exception (type, message with the module's prefix as pyad.)
    or the state of x and the gradients of sum(weights * x) (float x that requires grad)."""
    dt = getattr(m, dest_dtype)
    vdtype, vvalue, vgrad = value
    leaf = None
    if dest_kind == "plain":
        x = m.zeros(3, dtype=dt)
    elif dest_kind == "leaf":
        x = leaf = m.zeros(3, dtype=dt, requires_grad=True)
    else:
        leaf = m.ones(3, dtype=dt, requires_grad=True)
        x = leaf * 2
    v = m.tensor(vvalue, dtype=getattr(m, vdtype), requires_grad=vgrad)
    version = x._version
    try:
        with m.set_grad_enabled(grad_mode):
            r = x.fill_(v)
    except Exception as e:  # noqa: BLE001 (compared with torch's)
        return {"raises": (type(e).__name__, str(e).replace(m.__name__ + ".", "pyad."))}
    rec = {"returns_x": r is x, "values": x.tolist(), "dtype": str(x.dtype).split(".")[-1],
           "versions": x._version - version, "requires_grad": x.requires_grad,
           "grad_fn": None if x.grad_fn is None else x.grad_fn.name(),
           "value_after": (v.tolist(), v.requires_grad, v.grad_fn is None)}
    if x.requires_grad and dest_dtype.startswith("float"):
        inputs = [t for t in (leaf, v) if t is not None and t.requires_grad]
        loss = (x * m.tensor(FILL_WEIGHTS, dtype=dt)).sum()
        grads = m.autograd.grad(loss, inputs, allow_unused=True)
        rec["grads"] = [None if g is None else (g.tolist(), str(g.dtype).split(".")[-1])
                        for g in grads]
    return rec


def _fill_params():
    for dd, kind in FILL_DESTS:
        for value in FILL_VALUES:
            for grad_mode in (True, False):
                vid = f"{value[0]}{'_rg' if value[2] else ''}={value[1]}"
                pid = f"{dd}-{kind}-{vid}-{'grad' if grad_mode else 'no_grad'}"
                yield pytest.param(dd, kind, value, grad_mode, id=pid)


@pytest.mark.parametrize("dest_dtype, dest_kind, value, grad_mode", list(_fill_params()))
def test_fill_with_a_0d_tensor_matches_torch(dest_dtype, dest_kind, value, grad_mode):
    torch = pytest.importorskip("torch")
    mine = _fill_outcome(pt, dest_dtype, dest_kind, value, grad_mode)
    want = _fill_outcome(torch, dest_dtype, dest_kind, value, grad_mode)
    if (pt is not torch and dest_dtype in ("bool", "int64") and value[2] and grad_mode
            and "raises" not in want):
        assert want["requires_grad"] and want["grad_fn"] == "FillBackward3"
        want = dict(want, requires_grad=False, grad_fn=None)
    assert mine == want


@pytest.mark.parametrize("dest_dtype", ["bool", "int64", "float32", "float64"])
@pytest.mark.parametrize("value", FILL_VALUES, ids=lambda v: f"{v[0]}{'_rg' * v[2]}={v[1]}")
def test_fill_with_a_0d_tensor_values(dest_dtype, value):
    """The values torch writes: the value cast as copy_ casts (truncation, truthiness); the
    gradient of a value that requires grad into a float tensor is the sum of x's gradient."""
    vdtype, vvalue, vgrad = value
    x = pt.zeros(3, dtype=getattr(pt, dest_dtype))
    v = pt.tensor(vvalue, dtype=getattr(pt, vdtype), requires_grad=vgrad)
    assert x.fill_(v) is x and x.dtype == getattr(pt, dest_dtype)
    cast = {"bool": bool, "int64": int, "float32": float, "float64": float}[dest_dtype]
    assert x.tolist() == [cast(vvalue)] * 3
    if vgrad and dest_dtype.startswith("float"):
        assert x.grad_fn.name() == "FillBackward3"
        (g,) = pt.autograd.grad((x * pt.tensor(FILL_WEIGHTS, dtype=x.dtype)).sum(), v)
        assert g.dtype == pt.float64 and g.item() == sum(FILL_WEIGHTS)
    elif not vgrad:
        assert x.grad_fn is None and not x.requires_grad


@pytest.mark.parametrize("dest_dtype", ["bool", "int64", "float64"])
def test_fill_of_a_split_output_from_a_value_that_requires_grad(dest_dtype):
    """torch's check_inplace counts the value's requires_grad whatever x's dtype: a bool or
    int64 output of split (a multi-output view, made without grad) is refused too."""
    x = pt.zeros(4, dtype=getattr(pt, dest_dtype)).split(2)[0]
    v = pt.tensor(2.5, requires_grad=True)
    with raises_exact(RuntimeError, "A view was created in no_grad mode and is being modified "
                      "inplace with grad mode enabled. This view is the output of a function "
                      "that returns multiple views. Such functions do not allow the output views "
                      "to be modified inplace. You should replace the inplace operation by an "
                      "out-of-place one."):
        x.fill_(v)
