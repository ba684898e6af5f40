"""The indexing and shape ops whose backward is written once against CMath (csrc/cmath.pxi):
where (``where_bw``), masked_fill (``masked_fill_bw``), roll (``roll_bw``), repeat
(``repeat_bw``), scatter_add (``scatter_add_bw``) and the flat take/put pair behind
index_select, gather, advanced indexing, masked_select, take_along_dim and ``x[idx] = v``
(``take_bw``).

For each program, in float32 and float64, with an ordinary upstream gradient and with one
holding NaN and +-inf (at the first elements and at the C loops' run and block edges), the
gradient of ``create_graph=False`` (the numeric sweep) and of ``create_graph=True`` (the
recorded one) must have the same NaN/inf pattern and finite values within rounding; it must
agree with torch's gradient of the same program; and in float64 it must agree with central
differences at a few coordinates. The "second" programs differentiate a gradient taken with
``create_graph=True`` again (through a product with an input), so the recorded backward's own
backward runs. Sizes 1, 3, 17, 130 and 1025 elements (the last marked slow) cross the kernels'
16-element runs and 128-element blocks; indices repeat (accumulation); empty and 0-d tensors
and the grad_fn names are compared with torch outcome for outcome.
"""

import math

import numpy as np
import pytest

from conftest import AGAINST_TORCH, load_module
from test_written_once_sizes import (FD_RTOL, QUANTUM, RTOL, STEP, _grads, _out_shape, _same,
                                     _seed)
from test_written_once_sizes import _upstream as _sizes_upstream

pt = load_module()

NAN, INF = math.nan, math.inf
# besides test_written_once_sizes' run and block edges (15-17, 127, 128): the first elements
# (the small sizes') and one of the largest size
MORE_SPECIAL_AT = [(0, NAN), (1, INF), (2, -INF), (1024, INF)]
SIZES = (1, 3, 17, 130, 1025)


# ---- the programs: masks and indices are made from the shapes, the same in pyad and torch ----

def _mask(m, shape):
    flat = [(i * 5) % 3 == 1 for i in range(int(np.prod(shape)))]
    return m.tensor(flat, dtype=m.bool).reshape(shape)


def _idx_list(n, k):
    """k indices into n places, repeating (k > n, or stepping by 7 over a multiple of 7)."""
    return [(i * 7 + 3) % n for i in range(k)]


def _idx(m, n, k):
    return m.tensor(_idx_list(n, k), dtype=m.int64)


def _mf_scalar(m, x):
    return m.masked_fill(x, _mask(m, tuple(x.shape)), 0.25) * x


def _mf_value(m, x, v):
    return m.masked_fill(x, _mask(m, tuple(x.shape)), v) * x


def _mf_bx(m, x, v):        # x (1, n) broadcast by the mask (3, n): x's gradient is summed
    return x.masked_fill(_mask(m, (3, x.shape[1])), v) * 1.5


def _mf_bm(m, x):           # the mask (n,) broadcast to x (3, n)
    return x.masked_fill(_mask(m, (x.shape[1],)), -2.0) * x


def _mf_second(m, x, w):
    return m.autograd.grad(m.masked_fill(x, _mask(m, tuple(x.shape)), 0.5), x, w,
                           create_graph=True)[0] * x


def _mf_value_second(m, x, v):
    (gv,) = m.autograd.grad((m.masked_fill(x, _mask(m, tuple(x.shape)), v) * x).sum(), v,
                            create_graph=True)
    return gv * x * v


def _where(m, x, y):
    return m.where(_mask(m, tuple(x.shape)), x, y) * x


def _where_b(m, x, v):      # x (1, n) and a 0-d v broadcast by the condition (3, n)
    return m.where(_mask(m, (3, x.shape[1])), x, v) * 1.5


def _where_bc(m, x, y):     # the condition (n,) broadcast to x and y (3, n)
    return m.where(_mask(m, (x.shape[1],)), y, x) * x


def _where_second(m, x, y, w):
    gx, gy = m.autograd.grad(m.where(_mask(m, tuple(x.shape)), x, y), [x, y], w,
                             create_graph=True)
    return m.cat([gx * x * y, gy * y * x])


def _roll_second(m, x, w):
    return m.autograd.grad(x.roll(2, 0), x, w, create_graph=True)[0] * x


def _repeat_second(m, x, w):
    return m.autograd.grad(x.repeat(2, 3), x, w, create_graph=True)[0] * x


def _sa(m, x, src):
    return m.scatter_add(x, 0, _idx(m, x.shape[0], src.shape[0]), src) * x


def _sa2(m, x, src):        # along dim 1 of (3, n), the index (2, k)
    idx = m.tensor([_idx_list(x.shape[1], src.shape[1]),
                    _idx_list(x.shape[1], src.shape[1])[::-1]], dtype=m.int64)
    return m.scatter_add(x, 1, idx, src) * 1.5


def _sa_second(m, x, src, w):
    out = m.scatter_add(x, 0, _idx(m, x.shape[0], src.shape[0]), src)
    gx, gs = m.autograd.grad(out, [x, src], w, create_graph=True)
    return m.cat([gx * x, gs * src])


def _isel(m, x):
    k = 2 * x.shape[0] + 1
    return m.index_select(x, 0, _idx(m, x.shape[0], k)) * 1.5


def _isel_second(m, x, w):
    return m.autograd.grad(m.index_select(x, 0, _idx(m, x.shape[0], w.shape[0])), x, w,
                           create_graph=True)[0] * x


def _adv(m, x):             # x (n, 2)[idx]
    return x[_idx(m, x.shape[0], x.shape[0] + 2)] * 2.0


def _gather(m, x):          # (3, n) along dim 1, the index (3, n + 1)
    n = x.shape[1]
    idx = m.tensor([_idx_list(n, n + 1)] * 3, dtype=m.int64)
    return m.gather(x, 1, idx) * x[:, :1]


def _mselect(m, x):
    return m.masked_select(x, _mask(m, tuple(x.shape))) * 3.0


def _tad(m, x):             # take_along_dim of (2, n), dim None (flattened)
    n = x.shape[1]
    return m.take_along_dim(x, _idx(m, 2 * n, n + 3))


def _setitem(m, x, v):      # a put (x[idx] = v); distinct indices: the last write is every write
    y = x * 1.0
    idx = m.tensor([(i * 7 + 3) % x.shape[0] for i in range(v.shape[0])], dtype=m.int64)
    y[idx] = v
    return y * x


def _setitem_dup(m, x, v):  # repeated indices: torch's value gradient is g at each of them
    y = x * 1.0
    y[_idx(m, x.shape[0], v.shape[0])] = v
    return y * 2.0


def _setitem_second(m, x, v, w):
    y = x * 1.0
    y[_idx(m, x.shape[0], v.shape[0])] = v
    gx, gv = m.autograd.grad(y, [x, v], w, create_graph=True)
    return m.cat([gx * x, gv * v])


CASES = []


def _case(name, n, fn, specs, fd=True):
    case = f"{name}[{n}]"
    marks = [pytest.mark.slow] if n >= 1025 else []
    CASES.append(pytest.param(case, fn, specs, fd, id=case, marks=marks))


for n in SIZES:
    _case("where", n, _where, [(n,), (n,)])
    _case("where:number", n, lambda m, x: m.where(_mask(m, tuple(x.shape)), x, 0.5) * x,
          [(n,)])
    _case("where:broadcast", n, _where_b, [(1, n), ()])
    _case("where:broadcast_cond", n, _where_bc, [(3, n), (3, n)])
    _case("where:second", n, _where_second, [(n,), (n,), (n,)])
    _case("masked_fill:scalar", n, _mf_scalar, [(n,)])
    _case("masked_fill:value", n, _mf_value, [(n,), ()])
    _case("masked_fill:broadcast_x", n, _mf_bx, [(1, n), ()])
    _case("masked_fill:broadcast_mask", n, _mf_bm, [(3, n)])
    _case("masked_fill:second", n, _mf_second, [(n,), (n,)])
    _case("masked_fill:value_second", n, _mf_value_second, [(n,), ()])
    _case("roll", n, lambda m, x: x.roll(1, 0) * x, [(n,)])
    _case("roll:negative", n, lambda m, x: x.roll(-3, 0) * 1.5, [(n,)])
    _case("roll:dims", n, lambda m, x: x.roll((1, -2), (0, 1)) * x, [(3, n)])
    _case("roll:flat", n, lambda m, x: x.roll(5) * 2.0, [(3, n)])
    _case("roll:second", n, _roll_second, [(n,), (n,)])
    _case("repeat", n, lambda m, x: x.repeat(3) * 1.5, [(n,)])
    _case("repeat:dims", n, lambda m, x: x.repeat(2, 1, 3), [(2, n)])
    _case("repeat:second", n, _repeat_second, [(n,), (2, 3 * n)])
    _case("scatter_add", n, _sa, [(n,), (2 * n + 1,)])
    _case("scatter_add:dim1", n, _sa2, [(3, n), (2, n + 2)])
    _case("scatter_add:second", n, _sa_second, [(n,), (2 * n + 1,), (n,)])
    _case("index_select", n, _isel, [(n,)])
    _case("index_select:second", n, _isel_second, [(n,), (2 * n + 1,)])
    _case("index", n, _adv, [(n, 2)])
    _case("gather", n, _gather, [(3, n)])
    _case("masked_select", n, _mselect, [(n,)])
    _case("take_along_dim", n, _tad, [(2, n)])
    if n >= 3:
        _case("setitem", n, _setitem, [(n,), (min(n, 7) if n % 7 else 1,)])
    # the forward keeps one of the repeated writes: no central difference for the value
    _case("setitem:repeated", n, _setitem_dup, [(n,), (2 * n + 1,)], fd=False)
    _case("setitem:second", n, _setitem_second, [(n,), (2 * n + 1,), (n,)])


# ---- inputs, upstream gradients and the sweeps -------------------------------------------------

def _inputs(specs, seed):
    """Multiples of QUANTUM in +-1.5, none zero."""
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(np.round(rng.uniform(-1.5, 1.5, shape) / QUANTUM) * QUANTUM)
              for shape in specs]
    for a in arrays:
        a[a == 0] = QUANTUM
    return arrays


def _setup(case, fn, specs, special):
    seed = _seed(case)
    arrays = _inputs(specs, seed)
    w = _sizes_upstream(_out_shape(fn, arrays), seed, special)
    if special:
        for i, v in MORE_SPECIAL_AT:
            if i < w.size:
                w.reshape(-1)[i] = v
    return arrays, w


@pytest.mark.parametrize("special", [False, True], ids=["ordinary", "special"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case, fn, specs, fd", CASES)
def test_sweeps_agree_with_each_other_and_torch(case, fn, specs, fd, dtype, special):
    """create_graph=False and create_graph=True give one gradient (the same NaN/inf pattern),
    and it is torch's (each sweep against torch's same sweep)."""
    arrays, w = _setup(case, fn, specs, special)
    got = {cg: _grads(pt, fn, arrays, dtype, w, cg) for cg in (False, True)}
    for i, (a, b) in enumerate(zip(got[False], got[True])):
        _same(a, b, RTOL[dtype], f"input {i}: numeric sweep vs recorded sweep")
    assert special or all(np.isfinite(a).all() for a in got[False])
    torch = pytest.importorskip("torch")
    if pt is not torch:
        for cg, mine in got.items():
            theirs = _grads(torch, fn, arrays, dtype, w, cg)
            for i, (a, b) in enumerate(zip(mine, theirs)):
                _same(a, b, RTOL[dtype], f"input {i}: pyad (create_graph={cg}) vs torch")


def _central_difference(fn, arrays, w, i, k):
    """d/d(arrays[i].flat[k]) of sum(w * fn(arrays)), by central differences in float64."""
    values = []
    for step in (STEP, -STEP):
        xs = [a.copy() for a in arrays]
        xs[i].reshape(-1)[k] += step
        # grad mode: the second-order programs differentiate inside
        ts = [pt.tensor(a, dtype=pt.float64, requires_grad=True) for a in xs]
        values.append(fn(pt, *ts).detach().numpy())
    return float(np.sum(w * (values[0] - values[1]))) / (2 * STEP)


@pytest.mark.parametrize("case, fn, specs, fd", CASES)
def test_gradient_matches_finite_differences(case, fn, specs, fd):
    """float64: the gradient at random coordinates and the last one is the central difference
    (every program is at most quadratic in one coordinate: exact but for rounding)."""
    if not fd:
        pytest.skip("the forward keeps one of the repeated writes")
    arrays, w = _setup(case, fn, specs, False)
    grads = _grads(pt, fn, arrays, "float64", w, False)
    rng = np.random.default_rng(_seed(case) + 2)
    for i, (a, g) in enumerate(zip(arrays, grads)):
        for k in sorted({*rng.integers(0, a.size, 3).tolist(), a.size - 1}):
            want = _central_difference(fn, arrays, w, i, k)
            assert g.reshape(-1)[k] == pytest.approx(want, rel=FD_RTOL,
                                                     abs=FD_RTOL * (1 + abs(want))), \
                f"input {i}, flat coordinate {k}: central difference {want}"


# ---- empty and 0-d tensors, dtypes and names: outcome for outcome against torch -------------

def _empty_idx(m):
    return m.tensor([], dtype=m.int64)


EDGE = {
    # 0-d
    "masked_fill:0d": (lambda m, x: m.masked_fill(x, m.tensor(True), 2.0) * x, [()]),
    "masked_fill:0d_false": (lambda m, x, v: m.masked_fill(x, m.tensor(False), v) * x,
                             [(), ()]),
    "masked_fill:0d_value": (lambda m, x, v: m.masked_fill(x, m.tensor([True, False, True]), v),
                             [(3,), ()]),
    "roll:0d": (lambda m, x: x.roll(1) * x, [()]),
    "repeat:0d": (lambda m, x: x.repeat(4) * 2.0, [()]),
    "repeat:0d_none": (lambda m, x: x.repeat(()) * 2.0, [()]),
    "repeat:none": (lambda m, x: x.repeat(1, 1) * x, [(2, 3)]),
    "scatter_add:0d": (lambda m, x, s: m.scatter_add(x, 0, m.tensor(0), s) * x, [(), ()]),
    "gather:0d": (lambda m, x: m.gather(x, 0, m.tensor(0)) * x, [()]),
    "index_select:0d": (lambda m, x: m.index_select(x, 0, m.tensor([0, 0])), [()]),
    "take_along_dim:0d": (lambda m, x: m.take_along_dim(x, m.tensor([0, 0, 0])), [()]),
    # empty
    "masked_fill:empty": (lambda m, x, v: m.masked_fill(x, m.zeros(0, 3, dtype=m.bool), v),
                          [(0, 3), ()]),
    "masked_fill:all_false": (lambda m, x, v: m.masked_fill(x, m.zeros(4, dtype=m.bool), v),
                              [(4,), ()]),
    "roll:empty": (lambda m, x: x.roll(2, 1), [(0, 3)]),
    "roll:empty_flat": (lambda m, x: x.roll(2), [(3, 0)]),
    "repeat:empty": (lambda m, x: x.repeat(2, 0), [(3, 2)]),
    "repeat:empty_input": (lambda m, x: x.repeat(2, 2), [(0, 2)]),
    "scatter_add:empty_index": (lambda m, x, s: m.scatter_add(x, 0, _empty_idx(m), s),
                                [(3,), (0,)]),
    "index_select:empty_index": (lambda m, x: m.index_select(x, 0, _empty_idx(m)), [(3,)]),
    "index_select:empty_input": (lambda m, x: m.index_select(x, 1, m.tensor([0, 0])),
                                 [(0, 2)]),
    "masked_select:empty": (lambda m, x: m.masked_select(x, m.zeros(5, dtype=m.bool)), [(5,)]),
    "index:empty": (lambda m, x: x[_empty_idx(m)], [(4, 2)]),
    # multiple dims and large shifts
    "roll:big_shifts": (lambda m, x: x.roll((-7, 11), (1, 0)) * x, [(3, 4)]),
    "roll:same_dim_twice": (lambda m, x: x.roll((1, 2), (0, 0)) * x, [(5,)]),
}


def _outcome(m, fn, arrays, create_graph):
    xs = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in arrays]
    try:
        out = fn(m, *xs)
        w = m.tensor(np.arange(1.0, 1.0 + out.numel()).reshape(tuple(out.shape)),
                     dtype=m.float64)
        gs = m.autograd.grad(out, xs, w, create_graph=create_graph, allow_unused=True)
    except Exception as e:  # noqa: BLE001 (compared with torch's)
        return {"raises": type(e).__name__}
    return {"out": (tuple(out.shape), out.detach().numpy().tolist(),
                    out.grad_fn.name() if out.grad_fn is not None else None),
            "grads": [None if g is None else
                      (tuple(g.shape), g.detach().numpy().tolist(), g.requires_grad)
                      for g in gs]}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", list(EDGE))
def test_edge_cases_match_torch(name, create_graph):
    torch = pytest.importorskip("torch")
    fn, specs = EDGE[name]
    arrays = _inputs(specs, _seed(name))
    assert _outcome(pt, fn, arrays, create_graph) == _outcome(torch, fn, arrays, create_graph)


def _grad_fn_names(m, x, w):
    """The grad_fn names of each op's output and of its create_graph gradient (the adjoint)."""
    idx = m.tensor([1, 0, 1], dtype=m.int64)
    mask = m.tensor([True, False, True])
    v = m.tensor(0.5, dtype=m.float64, requires_grad=True)
    progs = {
        "where": lambda: m.where(mask, x, w),
        "masked_fill": lambda: m.masked_fill(x, mask, 0.0),
        "masked_fill_value": lambda: m.masked_fill(x, mask, v),
        "roll": lambda: x.roll(1),
        "repeat": lambda: x.repeat(2),
        "index_select": lambda: m.index_select(x, 0, idx),
        "gather": lambda: m.gather(x, 0, idx),
        "index": lambda: x[idx],
        "masked_select": lambda: m.masked_select(x, mask),
        "scatter_add": lambda: m.scatter_add(x, 0, idx, w),
    }
    names = {}
    for key, prog in progs.items():
        out = prog()
        g = m.ones(tuple(out.shape), dtype=m.float64, requires_grad=True)
        grads = m.autograd.grad(out, [t for t in (x, w, v) if t is not None],
                                g, create_graph=True, allow_unused=True)
        names[key] = (out.grad_fn.name(),
                      [None if t is None or t.grad_fn is None else t.grad_fn.name()
                       for t in grads])
    return names


def test_grad_fn_names_match_torch():
    torch = pytest.importorskip("torch")
    if AGAINST_TORCH:
        pytest.skip("the module under test is torch")

    def names(m):
        x = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
        w = m.tensor([4.0, 5.0, 6.0], dtype=m.float64, requires_grad=True)
        return _grad_fn_names(m, x, w)

    assert names(pt) == names(torch)


@pytest.mark.parametrize("create_graph", [False, True])
def test_masked_fill_value_of_another_dtype(create_graph):
    """A float64 0-d value filled into a float32 tensor: its gradient is float64 (the sum under
    the mask cast to the value's dtype), on both sweeps, as torch's."""
    torch = pytest.importorskip("torch")

    def run(m):
        x = m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float32, requires_grad=True)
        v = m.tensor(0.5, dtype=m.float64, requires_grad=True)
        out = m.masked_fill(x, m.tensor([True, False, True, True]), v)
        gx, gv = m.autograd.grad(out, [x, v], m.tensor([1.0, 2.0, 4.0, 8.0]),
                                 create_graph=create_graph)
        return gx.tolist(), str(gx.dtype).split(".")[-1], gv.item(), str(gv.dtype).split(".")[-1]

    assert run(pt) == run(torch)


@pytest.mark.parametrize("create_graph", [False, True])
def test_where_of_two_dtypes(create_graph):
    """where(cond, float32, float64) is float64; each operand's gradient is of its own dtype,
    on both sweeps, as torch's."""
    torch = pytest.importorskip("torch")

    def run(m):
        x = m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float32, requires_grad=True)
        y = m.tensor([0.5], dtype=m.float64, requires_grad=True)
        out = m.where(m.tensor([True, False, True, True]), x, y)
        gx, gy = m.autograd.grad(out, [x, y], m.tensor([1.0, 2.0, 4.0, 8.0], dtype=m.float64),
                                 create_graph=create_graph)
        return [str(out.dtype).split(".")[-1], gx.tolist(), str(gx.dtype).split(".")[-1],
                gy.tolist(), str(gy.dtype).split(".")[-1]]

    assert run(pt) == run(torch)


@pytest.mark.parametrize("create_graph", [False, True])
def test_where_broadcast_operand_of_another_dtype_sums_then_casts(create_graph):
    """A float32 operand broadcast against a float64 one: its gradient is the float64 gradient
    summed to its shape, then cast to float32 (torch's engine: sum_to, then the dtype). Cast
    first and summed, these three values give another float32 (0.94772196, not 0.9477219)."""
    torch = pytest.importorskip("torch")
    g = [0.6369616873214543, 0.2697867137638703, 0.04097352393619469]

    def run(m):
        x = m.tensor([1.0], dtype=m.float32, requires_grad=True)
        y = m.tensor([0.5, 1.5, 2.5], dtype=m.float64, requires_grad=True)
        out = m.where(m.tensor([True, True, True]), x, y)
        gx, gy = m.autograd.grad(out, [x, y], m.tensor(g, dtype=m.float64),
                                 create_graph=create_graph)
        return gx.tolist(), str(gx.dtype).split(".")[-1], gy.tolist()

    assert run(pt) == run(torch)
    assert run(pt)[0] == [float(np.float32(sum(g)))]
