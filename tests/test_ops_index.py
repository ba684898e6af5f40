"""Indexing ops: advanced indexing, index_select, gather, scatter_add, masked_fill,
masked_select, take_along_dim.

For each case (float64, a 3x4x5 input unless stated):
- forward values, shape and grad_fn name against PyTorch (and float32 values);
- the gradient of ``(y**3 * v).sum()`` against PyTorch and against central differences,
  through the fast path (create_graph=False) and the recorded path (create_graph=True);
- a Hessian-vector product (second grad after create_graph=True) against PyTorch and
  against central differences of the analytic gradient;
- the double-backward graph (grad w.r.t. the grad_outputs) against PyTorch, node names included.
Errors: exception type and message equal PyTorch's (written with ``pyad.``).
"""

import warnings

import numpy as np
import pytest

from conftest import numeric_grad, numeric_hvp, raises_exact

X = np.random.default_rng(7).standard_normal((3, 4, 5))
MASK = X > 0
MASK34 = X[:, :, 0] > 0
GIDX = np.random.default_rng(1).integers(0, 4, (3, 2, 5))      # gather/scatter along dim 1
GIDX0 = np.random.default_rng(2).integers(0, 3, (2, 4, 3))     # gather along dim 0, smaller
SIDX = np.random.default_rng(3).integers(0, 3, (2, 4, 5))      # scatter_add along dim 0


def T(pt, data):
    return pt.tensor(data)


# (id, fn(pt, x) -> y, expected grad_fn name of y)
CASES = [
    ("list", lambda pt, x: x[[0, 2, 0]], "IndexBackward0"),
    ("neg_list", lambda pt, x: x[[-1, -3, -1]], "IndexBackward0"),
    ("tensor2d", lambda pt, x: x[T(pt, [[0, 1], [2, 2]])], "IndexBackward0"),
    ("two_adjacent", lambda pt, x: x[:, [0, 1, 1], [1, 2, 4]], "IndexBackward0"),
    ("separated", lambda pt, x: x[[0, 1], :, [0, 4]], "IndexBackward0"),
    ("separated_by_select", lambda pt, x: x[[0, 1], 1:3, [2, 3]], "IndexBackward0"),
    ("broadcast", lambda pt, x: x[[0, 1], [[0], [3]]], "IndexBackward0"),
    ("three", lambda pt, x: x[[0, 2], [1, 3], [4, 0]], "IndexBackward0"),
    ("int_then_list", lambda pt, x: x[0, :, [0, 1]], "IndexBackward0"),
    ("list_int_list", lambda pt, x: x[[0, 1], 1, [2, 3]], "IndexBackward0"),
    ("slice_list_slice", lambda pt, x: x[::2, [1, 1, 3], 1::2], "IndexBackward0"),
    ("ellipsis", lambda pt, x: x[..., [0, 1]], "IndexBackward0"),
    ("none", lambda pt, x: x[None, [0, 1], None, [1, 2]], "IndexBackward0"),
    ("bool_list", lambda pt, x: x[[True, False, True]], "IndexBackward0"),
    ("mask2d", lambda pt, x: x[T(pt, MASK34)], "IndexBackward0"),
    ("mask2d_then_int", lambda pt, x: x[T(pt, MASK34), 0], "IndexBackward0"),
    ("mask_last", lambda pt, x: x[..., T(pt, MASK[0])], "IndexBackward0"),
    ("mask_full", lambda pt, x: x[T(pt, MASK)], "IndexBackward0"),
    ("py_true", lambda pt, x: x[True], "IndexBackward0"),
    ("py_false", lambda pt, x: x[False], "IndexBackward0"),
    ("index_select", lambda pt, x: x.index_select(1, T(pt, [0, 3, 3])), "IndexSelectBackward0"),
    ("index_select_fn", lambda pt, x: pt.index_select(x, -1, T(pt, [4, 0])),
     "IndexSelectBackward0"),
    ("index_select_0d", lambda pt, x: x.index_select(0, T(pt, 2)), "IndexSelectBackward0"),
    ("gather", lambda pt, x: x.gather(1, T(pt, GIDX)), "GatherBackward0"),
    ("gather_fn", lambda pt, x: pt.gather(x, 0, T(pt, GIDX0)), "GatherBackward0"),
    ("gather_longer", lambda pt, x: x.gather(1, T(pt, np.tile(GIDX, (1, 3, 1)))),
     "GatherBackward0"),
    ("take_along_dim", lambda pt, x: pt.take_along_dim(x, T(pt, GIDX), 1), "GatherBackward0"),
    ("take_along_dim_bcast", lambda pt, x: x.take_along_dim(T(pt, [[[3], [0]]]), 1),
     "GatherBackward0"),
    ("take_along_dim_flat", lambda pt, x: pt.take_along_dim(x, T(pt, [0, 5, 59, 5])),
     "GatherBackward0"),
    ("masked_select", lambda pt, x: x.masked_select(T(pt, MASK)), "MaskedSelectBackward0"),
    ("masked_select_bcast_mask",
     lambda pt, x: pt.masked_select(x, T(pt, [True, False, True, False, True])),
     "MaskedSelectBackward0"),
    ("masked_select_bcast_input", lambda pt, x: x[0, 0].masked_select(T(pt, MASK[0, :2])),
     "MaskedSelectBackward0"),
    ("masked_fill", lambda pt, x: x.masked_fill(T(pt, MASK), 2.0), "MaskedFillBackward0"),
    ("masked_fill_fn_int_value",
     lambda pt, x: pt.masked_fill(x, T(pt, [True, False, True, False, True]), -1),
     "MaskedFillBackward0"),
    ("masked_fill_bcast_input", lambda pt, x: x[0, 0].masked_fill(T(pt, MASK[0, :2]), 3.5),
     "MaskedFillBackward0"),
    ("masked_fill_tensor_value", lambda pt, x: x.masked_fill(T(pt, MASK), T(pt, 7.0)),
     "MaskedFillBackward1"),
    ("scatter_add_self", lambda pt, x: x.scatter_add(1, T(pt, GIDX), T(pt, X[:, :2] * 2)),
     "ScatterAddBackward0"),
    ("scatter_add_both", lambda pt, x: x.scatter_add(1, T(pt, GIDX), x[:, :2] * 2),
     "ScatterAddBackward0"),
    ("scatter_add_fn_src", lambda pt, x: pt.scatter_add(T(pt, X), 0, T(pt, SIDX), x[:2]),
     "ScatterAddBackward0"),
]
IDS = [c[0] for c in CASES]


def _loss(pt, fn, x, v):
    y = fn(pt, x)
    return (y * y * y * v).sum()


def _v(pt, fn, dtype):
    y = fn(pt, pt.tensor(X, dtype=dtype))
    return pt.tensor(np.random.default_rng(11).standard_normal(tuple(y.shape)), dtype=dtype)


def _grads(pt, fn, x_np):
    """Forward, grad_fn name, fast-path grad, recorded grad, HVP along W, for float64."""
    x = pt.tensor(x_np, dtype=pt.float64, requires_grad=True)
    v = _v(pt, fn, pt.float64)
    y = fn(pt, x)
    (g_fast,) = pt.autograd.grad(_loss(pt, fn, x, v), x)
    (g_rec,) = pt.autograd.grad(_loss(pt, fn, x, v), x, create_graph=True)
    w = pt.tensor(np.random.default_rng(5).standard_normal(X.shape))
    (h,) = pt.autograd.grad(g_rec, x, w) if g_rec.requires_grad else (pt.zeros_like(x),)
    return (y.detach().numpy().copy(), type(y.grad_fn).__name__, g_fast.numpy().copy(),
            g_rec.detach().numpy().copy(), h.numpy().copy())


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_derivatives_vs_torch(pt, case):
    torch = pytest.importorskip("torch")
    _, fn, name = case
    y, nm, g_fast, g_rec, h = _grads(pt, fn, X)
    ty, tnm, tg, _, th = _grads(torch, fn, X)
    assert nm == tnm == name
    assert y.shape == ty.shape
    np.testing.assert_allclose(y, ty, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g_fast, tg, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(g_fast, g_rec)
    np.testing.assert_allclose(h, th, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_derivatives_vs_finite_differences(pt, case):
    _, fn, _ = case
    v = _v(pt, fn, pt.float64)

    def f(a):
        with pt.no_grad():
            return _loss(pt, fn, pt.tensor(a, dtype=pt.float64), v).item()

    def grad_f(a):
        x = pt.tensor(a, dtype=pt.float64, requires_grad=True)
        return pt.autograd.grad(_loss(pt, fn, x, v), x)[0].numpy()

    _, _, g, _, h = _grads(pt, fn, X)
    np.testing.assert_allclose(g, numeric_grad(f, X), rtol=1e-6, atol=1e-7)
    w = np.random.default_rng(5).standard_normal(X.shape)
    np.testing.assert_allclose(h, numeric_hvp(grad_f, X, w), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float32_forward_and_grad(pt, case):
    torch = pytest.importorskip("torch")
    _, fn, _ = case
    out = []
    for m in (pt, torch):
        x = m.tensor(X, dtype=m.float32, requires_grad=True)
        y = fn(m, x) if "scatter_add" not in case[0] else fn(m, x.double()).float()
        (g,) = m.autograd.grad(y.sum(), x)
        out.append((y.detach().numpy(), str(y.dtype), g.numpy(), str(g.dtype)))
    (y, ydt, g, gdt), (ty, tydt, tg, tgdt) = out
    assert ydt.split(".")[1] == tydt.split(".")[1] == "float32"
    assert gdt.split(".")[1] == "float32"
    np.testing.assert_allclose(y, ty, rtol=1e-6)
    np.testing.assert_allclose(g, tg, rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# graph structure: chains of grad_fn names and the double-backward nodes
# ---------------------------------------------------------------------------------------------
def _chain(t):
    out, g = [], t.grad_fn
    while g is not None and type(g).__name__ != "AccumulateGrad":
        out.append(type(g).__name__)
        nxt = [h for h, _ in g.next_functions if h is not None]
        g = nxt[0] if nxt else None
    return out


CHAINS = [
    (lambda pt, x: x[0, :, [0, 1]], ["IndexBackward0", "SelectBackward0"]),
    (lambda pt, x: x[1:, [0, 1]], ["IndexBackward0", "SliceBackward0"]),
    (lambda pt, x: x[:, [0, 1]], ["IndexBackward0"]),
    (lambda pt, x: x[None, [0, 1]], ["IndexBackward0", "UnsqueezeBackward0"]),
    (lambda pt, x: x[0, True], ["IndexBackward0", "UnsqueezeBackward0", "SelectBackward0"]),
    (lambda pt, x: x[T(pt, True)], ["IndexBackward0", "UnsqueezeBackward0"]),
    (lambda pt, x: x[T(pt, 1)], ["SelectBackward0"]),
    (lambda pt, x: x[T(pt, 1), [0, 1]], ["IndexBackward0", "SelectBackward0"]),
    (lambda pt, x: pt.take_along_dim(x, T(pt, GIDX), 1), ["GatherBackward0", "ExpandBackward0"]),
    (lambda pt, x: pt.take_along_dim(x, T(pt, [1, 2])), ["GatherBackward0", "ViewBackward0"]),
]


@pytest.mark.parametrize("i", range(len(CHAINS)))
def test_grad_fn_chains(pt, i):
    torch = pytest.importorskip("torch")
    fn, want = CHAINS[i]
    for m in (pt, torch):
        x = m.tensor(X, dtype=m.float64, requires_grad=True)
        assert _chain(fn(m, x)) == want


# the node that computes each op's gradient, seen as the grad_fn of that gradient
DOUBLE = [
    (lambda pt, x: x[[0, 2, 0]], "IndexPutImplBackward0"),
    (lambda pt, x: x.index_select(1, T(pt, [0, 3, 3])), "IndexAddBackward0"),
    (lambda pt, x: x.gather(1, T(pt, GIDX)), "ScatterAddBackward0"),
    (lambda pt, x: x.masked_select(T(pt, MASK)), "MaskedScatterBackward0"),
    (lambda pt, x: x.masked_fill(T(pt, MASK), 1.0), "MaskedFillBackward0"),
]


@pytest.mark.parametrize("i", range(len(DOUBLE)))
def test_backward_node_names_and_their_backward(pt, i):
    torch = pytest.importorskip("torch")
    fn, name = DOUBLE[i]
    res = []
    for m in (pt, torch):
        x = m.tensor(X, dtype=m.float64, requires_grad=True)
        y = fn(m, x)
        gy = m.tensor(np.random.default_rng(3).standard_normal(tuple(y.shape)),
                      requires_grad=True)
        (g,) = m.autograd.grad(y, x, gy, create_graph=True)
        assert type(g.grad_fn).__name__ == name
        w = m.tensor(np.random.default_rng(4).standard_normal(X.shape))
        (gg,) = m.autograd.grad(g, gy, w)       # the adjoint of the adjoint: the op again
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)


def test_repeated_indices_accumulate(pt):
    x = pt.zeros(3, requires_grad=True)
    x[[0, 0, 2, -3]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])
    y = pt.zeros(2, 2, requires_grad=True)
    y.gather(1, T(pt, [[1, 1, 1], [0, 1, 0]])).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[0.0, 3.0], [2.0, 1.0]])
    z = pt.zeros(4, requires_grad=True)
    z.index_select(0, T(pt, [3, 3, 1])).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.0, 1.0, 0.0, 2.0])


def test_masked_select_broadcast_input_gradient_sums(pt):
    x = pt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.masked_select(T(pt, [[True, False, True], [True, True, False]]))
    np.testing.assert_array_equal(y.detach().numpy(), [1.0, 3.0, 1.0, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 1.0, 1.0])


def test_masked_fill_tensor_value_gradients(pt):
    torch = pytest.importorskip("torch")
    res = []
    for m in (pt, torch):
        x = m.tensor(X, dtype=m.float64, requires_grad=True)
        v = m.tensor(2.5, dtype=m.float32, requires_grad=True)
        y = x.masked_fill(m.tensor(MASK[0]), v)
        names = [type(h).__name__ if h is not None else None
                 for h, _ in y.grad_fn.next_functions]
        assert names == ["AccumulateGrad", "AccumulateGrad"]
        assert y.dtype == m.float64
        w = m.tensor(np.random.default_rng(2).standard_normal(X.shape), requires_grad=True)
        gx, gv = m.autograd.grad(y, (x, v), w, retain_graph=True)
        gx2, gv2 = m.autograd.grad(y, (x, v), w, create_graph=True)
        assert _chain(gv2) == ["ToCopyBackward0", "SumBackward0", "MaskedSelectBackward0"]
        assert gv.dtype == m.float32 and gv.shape == ()
        np.testing.assert_array_equal(gx.numpy(), gx2.detach().numpy())
        np.testing.assert_allclose(gv.numpy(), gv2.detach().numpy(), rtol=1e-6)
        (ggw,) = m.autograd.grad(gv2, w)
        res.append((y.detach().numpy(), gx.numpy(), gv.item(), ggw.numpy()))
        const = x.masked_fill(m.tensor(MASK[0]), m.tensor(1.0))
        assert type(const.grad_fn).__name__ == "MaskedFillBackward1"
        assert [h is None for h, _ in const.grad_fn.next_functions] == [False, True]
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])
    assert res[0][2] == pytest.approx(res[1][2], rel=1e-6)
    np.testing.assert_array_equal(res[0][3], res[1][3])


def test_masked_fill_keeps_inf_nan_out_of_gradients(pt):
    x = pt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.masked_fill(T(pt, [True, False, False]), float("nan"))
    g = pt.tensor([float("inf"), 1.0, 2.0])
    (gx,) = pt.autograd.grad(y, x, g)
    np.testing.assert_array_equal(gx.numpy(), [0.0, 1.0, 2.0])
    assert np.isnan(y.detach().numpy()[0])


def test_scatter_add_values_and_next_functions(pt):
    x = pt.zeros(3, requires_grad=True)
    src = pt.tensor([1.0, 2.0, 4.0], requires_grad=True)
    y = x.scatter_add(0, T(pt, [0, 0, 2]), src)
    np.testing.assert_array_equal(y.detach().numpy(), [3.0, 0.0, 4.0])
    assert [type(h).__name__ for h, _ in y.grad_fn.next_functions] == ["AccumulateGrad"] * 2
    gx, gs = pt.autograd.grad(y, (x, src), pt.tensor([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(gx.numpy(), [1.0, 10.0, 100.0])
    np.testing.assert_array_equal(gs.numpy(), [1.0, 1.0, 100.0])
    only_self = x.scatter_add(0, T(pt, [1]), pt.ones(1))
    assert only_self.grad_fn.next_functions[1][0] is None


@pytest.mark.parametrize("create_graph", [False, True])
def test_scatter_add_src_larger_than_index_fails_in_backward(pt, create_graph):
    x = pt.zeros(3, 4, dtype=pt.float64)
    src = pt.ones(3, 4, dtype=pt.float64, requires_grad=True)
    y = x.scatter_add(1, pt.zeros(3, 2, dtype=pt.int64), src)
    np.testing.assert_array_equal(y.detach().numpy()[:, 0], [2.0, 2.0, 2.0])
    with raises_exact(RuntimeError, "Function ScatterAddBackward0 returned an invalid gradient "
                                    "at index 1 - got [3, 2] but expected shape compatible "
                                    "with [3, 4]"):
        pt.autograd.grad(y.sum(), src, create_graph=create_graph)


def test_backward_twice_needs_retain_graph(pt):
    x = pt.zeros(3, requires_grad=True)
    fns = [lambda: x[[0, 0, 2]], lambda: x.index_select(0, T(pt, [0])),
           lambda: x.gather(0, T(pt, [0])), lambda: x.masked_select(T(pt, [True, False, True])),
           lambda: x.masked_fill(T(pt, [True, False, True]), 1.0)]
    for f in fns:
        y = f().sum()
        y.backward(retain_graph=True)
        y.backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second"):
            y.backward()
    y = x.scatter_add(0, T(pt, [0]), pt.ones(1)).sum()     # saves nothing without src grad
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, 4.0, 6.0])


# ---------------------------------------------------------------------------------------------
# 0-d, size-zero, integer and bool tensors
# ---------------------------------------------------------------------------------------------
def test_zero_dim_and_empty(pt):
    s = pt.tensor(2.0, requires_grad=True)
    assert tuple(s[True].shape) == (1,) and tuple(s[False].shape) == (0,)
    assert tuple(s[..., None, True].shape) == (1, 1)
    assert type(s[True].grad_fn).__name__ == "IndexBackward0"
    (g,) = pt.autograd.grad(s[True].sum() * 3, s)
    assert g.item() == 3.0
    assert tuple(s.index_select(0, T(pt, [0])).shape) == ()
    assert tuple(s.gather(0, T(pt, [0, 0])).shape) == (2,)
    assert tuple(pt.tensor([1.0, 2.0]).gather(0, T(pt, 1)).shape) == ()
    assert s.masked_select(T(pt, True)).tolist() == [2.0]
    assert s.masked_fill(T(pt, [True, False]), 5.0).tolist() == [5.0, 2.0]
    assert pt.tensor(1.0).scatter_add(0, T(pt, 0), pt.tensor(3.0)).item() == 4.0
    e = pt.zeros(0, 3, requires_grad=True)
    assert tuple(e[[]].shape) == (0, 3)
    assert tuple(e[:, [1, 2]].shape) == (0, 2)
    assert tuple(e.masked_select(pt.zeros(0, 3, dtype=pt.bool)).shape) == (0,)
    x = pt.tensor(X, requires_grad=True)
    assert tuple(x[[]].shape) == (0, 4, 5)
    assert tuple(x.index_select(1, pt.zeros(0, dtype=pt.int64)).shape) == (3, 0, 5)
    assert tuple(x.gather(1, pt.zeros(3, 0, 5, dtype=pt.int64)).shape) == (3, 0, 5)
    (g,) = pt.autograd.grad(x[[]].sum(), x)
    assert not g.numpy().any()


def test_integer_and_bool_tensors(pt):
    a = pt.tensor([[0, 1, 2], [3, 4, 5]])
    assert a[[1, 0], [0, 2]].tolist() == [3, 2]
    assert a[T(pt, [[True, False, True], [False, False, True]])].tolist() == [0, 2, 5]
    assert a.gather(1, T(pt, [[2], [0]])).tolist() == [[2], [3]]
    assert a.index_select(1, T(pt, [2, 2])).tolist() == [[2, 2], [5, 5]]
    assert a.masked_fill(T(pt, [True, False, False]), 2.5).tolist() == [[2, 1, 2], [2, 4, 5]]
    assert pt.arange(5).scatter_add(0, T(pt, [1, 1]), T(pt, [3, 4])).tolist() == [0, 8, 2, 3, 4]
    b = T(pt, [True, False, True])
    assert b[[2, 1]].tolist() == [True, False]
    assert b.masked_fill(T(pt, [True, True, False]), False).tolist() == [False, False, True]
    assert b.scatter_add(0, T(pt, [1]), T(pt, [True])).tolist() == [True, True, True]
    big = 2 ** 40 + 1
    assert T(pt, [0, 0]).masked_fill(T(pt, [True, False]), big).tolist() == [big, 0]


def test_list_index_rules(pt):
    x = pt.tensor(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tuple(x[[[0, 1], [1, 2]]].shape) == (2, 5)      # a short list of lists: a tuple
        assert tuple(x[[0, None]].shape) == (1, 4, 5)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        x[[[0, 1]]]
    assert tuple(x[[0] * 40].shape) == (40, 4, 5)
    assert tuple(x[np.array([[0, 1], [1, 2]])].shape) == (2, 2, 4, 5)
    assert tuple(x[[1.7]].shape) == (1, 4, 5)                  # floats in a list truncate
    np.testing.assert_array_equal(x[[1.7]].numpy(), X[[1]])
    np.testing.assert_array_equal(x[[True, 2]].numpy(), X[[1, 2]])


def test_basic_indexing_unchanged(pt):
    x = pt.tensor(X, requires_grad=True)
    assert type(x[0].grad_fn).__name__ == "SelectBackward0"
    assert type(x[1:].grad_fn).__name__ == "SliceBackward0"
    assert type(x[:].grad_fn).__name__ == "SliceBackward0"
    assert type(x[...].grad_fn).__name__ == "AliasBackward0"
    assert type(x[:, :].grad_fn).__name__ == "AliasBackward0"
    np.testing.assert_array_equal(x[1, ::2, -1].detach().numpy(), X[1, ::2, -1])


@pytest.mark.parametrize("key, name", [
    ((slice(0, 100),), "AliasBackward0"), ((slice(0, None),), "AliasBackward0"),
    ((slice(None, 3),), "AliasBackward0"), ((slice(0, 3, 1),), "AliasBackward0"),
    # torch skips a slice by its own start, stop and step: a start that clamps to 0 slices
    ((slice(-100, None),), "SliceBackward0"), ((slice(-2, None),), "SliceBackward0"),
    ((slice(0, -1),), "SliceBackward0"), ((slice(None, 1),), "SliceBackward0"),
    ((slice(0, 2), slice(-9, None)), "SliceBackward0"),
])
def test_a_slice_in_a_key_is_skipped_by_torchs_rule(pt, key, name):
    x = pt.tensor(X, requires_grad=True)
    r = x[key]
    assert type(r.grad_fn).__name__ == name
    np.testing.assert_array_equal(r.detach().numpy(), X[key])


# ---------------------------------------------------------------------------------------------
# errors: PyTorch's types and messages
# ---------------------------------------------------------------------------------------------
L = "int64"
ERRORS = [
    (lambda pt, x: x[[0, 5]], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda pt, x: x[[0, -4]], IndexError,
     "index -4 is out of bounds for dimension 0 with size 3"),
    (lambda pt, x: x[:, [0, 4, 9]], IndexError,
     "index 4 is out of bounds for dimension 0 with size 4"),
    (lambda pt, x: x[[0, 5], [9, 1]], IndexError,
     "index 9 is out of bounds for dimension 1 with size 4"),
    (lambda pt, x: x[0, :, [0, 7]], IndexError,
     "index 7 is out of bounds for dimension 0 with size 5"),
    (lambda pt, x: x[T(pt, 5), [0]], IndexError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda pt, x: pt.zeros(0, 3)[[0]], IndexError,
     "index is out of bounds for dimension with size 0"),
    (lambda pt, x: x[T(pt, [True, False])], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor "
     "[3, 4, 5] at index 0"),
    (lambda pt, x: x[:, T(pt, np.ones((4, 3), bool))], IndexError,
     "The shape of the mask [4, 3] at index 1 does not match the shape of the indexed tensor "
     "[3, 4, 5] at index 2"),
    (lambda pt, x: x[[0, 1], [0, 1, 2], [0]], IndexError,
     "shape mismatch: indexing tensors could not be broadcast together with shapes "
     "[2], [3], [1]"),
    (lambda pt, x: x[[0, 1], [0, 1], [0, 1], [0]], IndexError,
     "too many indices for tensor of dimension 3"),
    (lambda pt, x: x[:, T(pt, np.ones((4, 5, 2), bool))], IndexError,
     "too many indices for tensor of dimension 3"),
    (lambda pt, x: pt.tensor(1.0)[[True]], IndexError,
     "too many indices for tensor of dimension 0"),
    (lambda pt, x: x[T(pt, [1.0])], IndexError,
     "tensors used as indices must be long, int, byte or bool tensors"),
    (lambda pt, x: x[{1: 2}], IndexError,
     "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
     "valid indices (got dict)"),
    (lambda pt, x: x[[0], 1.0], IndexError,
     "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
     "valid indices (got float)"),
    (lambda pt, x: x.index_select(0, T(pt, [[0, 1]])), IndexError,
     "index_select(): Index is supposed to be a vector"),
    (lambda pt, x: x.index_select(0, T(pt, [1.0])), RuntimeError,
     "index_select(): Expected dtype int32 or int64 for index"),
    (lambda pt, x: x.index_select(1, T(pt, [0, 4])), RuntimeError,
     "INDICES element is out of DATA bounds, id=4 axis_dim=4"),
    (lambda pt, x: x.index_select(1, T(pt, [0, -1])), RuntimeError,
     "INDICES element is out of DATA bounds, id=-1 axis_dim=4"),
    (lambda pt, x: x.index_select(3, T(pt, [0])), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    (lambda pt, x: pt.tensor(2.0).index_select(0, T(pt, [0, 0])), RuntimeError,
     "index_select(): Index to scalar can have only 1 value, got 2 value(s)"),
    (lambda pt, x: pt.tensor(2.0).index_select(0, T(pt, [1])), IndexError,
     "index out of range in self"),
    (lambda pt, x: x.index_select(0, [1]), TypeError,
     "index_select(): argument 'index' (position 2) must be Tensor, not list"),
    (lambda pt, x: pt.index_select(x, 0, [1]), TypeError,
     "index_select(): argument 'index' (position 3) must be Tensor, not list"),
    (lambda pt, x: x.gather(1, pt.zeros(3, 2, dtype=pt.int64)), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda pt, x: x.gather(1, pt.zeros(4, 2, 5, dtype=pt.int64)), RuntimeError,
     "Size does not match at dimension 0 expected index [4, 2, 5] to be no larger than self "
     "[3, 4, 5] apart from dimension 1"),
    (lambda pt, x: x.gather(1, pt.zeros(3, 2, 5)), RuntimeError,
     "gather(): Expected dtype int32/int64 for index"),
    (lambda pt, x: x.gather(1, pt.full((3, 2, 5), 4, dtype=pt.int64)), RuntimeError,
     "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda pt, x: x.gather(-2, pt.full((3, 2, 5), -1, dtype=pt.int64)), RuntimeError,
     "index -1 is out of bounds for dimension 1 with size 4"),
    (lambda pt, x: pt.gather(x, 0, [1]), TypeError,
     "gather(): argument 'index' (position 3) must be Tensor, not list"),
    (lambda pt, x: x.scatter_add(1, pt.zeros(3, 2, dtype=pt.int64), x), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda pt, x: x.scatter_add(1, pt.zeros(3, 2, 6, dtype=pt.int64), x), RuntimeError,
     "Expected index [3, 2, 6] to be no larger than self [3, 4, 5] apart from dimension 1 and "
     "to be no larger size than src [3, 4, 5]"),
    (lambda pt, x: x.scatter_add(1, pt.zeros(3, 2, 5, dtype=pt.int64), x[:, :1]), RuntimeError,
     "Expected index [3, 2, 5] to be no larger than self [3, 4, 5] apart from dimension 1 and "
     "to be no larger size than src [3, 1, 5]"),
    (lambda pt, x: x.scatter_add(1, pt.full((3, 2, 5), 4, dtype=pt.int64), x), RuntimeError,
     "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda pt, x: x.scatter_add(1, pt.zeros(3, 2, 5), x), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    (lambda pt, x: x.scatter_add(1, pt.zeros(3, 2, 5, dtype=pt.int64), x.float()), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    (lambda pt, x: x.scatter_add(1, pt.zeros(3, 2, 5, dtype=pt.int64), 1.0), TypeError,
     "scatter_add(): argument 'src' (position 3) must be Tensor, not float"),
    (lambda pt, x: x.masked_fill(pt.ones(3, 4, 5, dtype=pt.int64), 0.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype long int"),
    (lambda pt, x: x.masked_fill(T(pt, MASK), T(pt, [1.0])), RuntimeError,
     "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
     "dimension(s)."),
    (lambda pt, x: x.masked_fill(T(pt, [True, False]), 0.0), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (5) at non-singleton "
     "dimension 2"),
    (lambda pt, x: x.masked_select(pt.ones(3, 4, 5, dtype=pt.int64)), RuntimeError,
     "masked_select: expected BoolTensor for mask"),
    (lambda pt, x: x.masked_select(pt.ones(2, dtype=pt.bool)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (5) at non-singleton "
     "dimension 2"),
    (lambda pt, x: pt.masked_select(x, [True]), TypeError,
     "masked_select(): argument 'mask' (position 2) must be Tensor, not list"),
    (lambda pt, x: pt.take_along_dim(x, pt.zeros(3, 2, dtype=pt.int64), 1), RuntimeError,
     "torch.take_along_dim(): input and indices should have the same number of dimensions, "
     "but got 3 dimensions for input, and 2 dimensions for indices"),
    (lambda pt, x: pt.take_along_dim(x, pt.zeros(3, 2, 5), 1), RuntimeError,
     "torch.take_along_dim(): dtype of indices should be Long but got Float"),
    (lambda pt, x: pt.take_along_dim(x, pt.zeros(2, 2, 5, dtype=pt.int64), 1), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
     "dimension 0"),
    (lambda pt, x: pt.take_along_dim(x, T(pt, [60])), RuntimeError,
     "index 60 is out of bounds for dimension 0 with size 60"),
    (lambda pt, x: pt.take_along_dim(x, pt.zeros(3)), RuntimeError,
     "gather(): Expected dtype int32/int64 for index"),
    (lambda pt, x: x.take_along_dim([1], 0), TypeError,
     "take_along_dim(): argument 'indices' (position 1) must be Tensor, not list"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(pt, i):
    fn, exc, msg = ERRORS[i]
    x = pt.tensor(X, requires_grad=True)
    with raises_exact(exc, msg):
        fn(pt, x)
