"""Shape and movement ops: flatten, unflatten, swapaxes/swapdims, movedim/moveaxis, .T/.mT/.mH,
broadcast_to, repeat, tile, flip, roll, narrow, cat/concat/concatenate, stack, split, chunk,
unbind, clone.

For each op spec (functions and methods): forward values, dtype and grad_fn names against
torch (float64 and float32); the first derivative against torch and against central finite
differences; the create_graph=False and create_graph=True paths agree; a second derivative
through a cubic (Hessian-vector product against torch and finite differences) and the double
backward through grad_outputs against torch. Then the special cases (0-d, size zero, returned
objects, warnings, dtype promotion, many inputs) and torch's errors.
"""

import warnings
import zlib

import numpy as np
import pytest

from conftest import AGAINST_TORCH, numeric_grad, numeric_hvp, raises_exact, sub


class Spec:
    def __init__(self, id, fn, shapes, names):
        self.id = id
        self.fn = fn            # (module, *tensors) -> tensor or tuple of tensors
        self.shapes = shapes    # input shapes
        self.names = names      # torch's grad_fn name(s) of the output(s)

    def __repr__(self):
        return self.id


SPECS = []


def spec(id, fn, shapes, names):
    SPECS.append(Spec(id, fn, shapes, names))


S = (2, 3, 4)
V, P, T, R, F, RO, SL = ("ViewBackward0", "PermuteBackward0", "TransposeBackward0",
                         "RepeatBackward0", "FlipBackward0", "RollBackward0", "SliceBackward0")
spec("flatten", lambda m, x: x.flatten(), [S], V)
spec("flatten(1)", lambda m, x: x.flatten(1), [S], V)
spec("fn:flatten(0,1)", lambda m, x: m.flatten(x, 0, 1), [S], V)
spec("flatten:0d", lambda m, x: x.flatten(), [()], V)
spec("unflatten", lambda m, x: x.unflatten(1, (3, 1)), [S], V)
spec("fn:unflatten(-1)", lambda m, x: m.unflatten(x, -1, (-1, 2)), [S], V)
spec("swapaxes", lambda m, x: x.swapaxes(0, 2), [S], T)
spec("fn:swapaxes", lambda m, x: m.swapaxes(x, -1, 1), [S], T)
spec("swapdims", lambda m, x: x.swapdims(1, 0), [S], T)
spec("fn:swapdims", lambda m, x: m.swapdims(x, 0, 0), [S], T)
spec("movedim", lambda m, x: x.movedim(0, 2), [S], P)
spec("fn:movedim", lambda m, x: m.movedim(x, (0, 1), (2, 0)), [S], P)
spec("moveaxis", lambda m, x: x.moveaxis(-1, 0), [S], P)
spec("fn:moveaxis", lambda m, x: m.moveaxis(x, [2, 0], [0, 1]), [S], P)
spec("movedim:0d", lambda m, x: x.movedim(0, -1), [()], "AliasBackward0")
spec(".T", lambda m, x: x.T, [(3, 4)], P)
spec(".mT", lambda m, x: x.mT, [S], T)
spec(".mH", lambda m, x: x.mH, [(3, 4)], T)
spec(".H", lambda m, x: x.H, [(3, 4)], T)
spec("adjoint", lambda m, x: x.adjoint(), [S], T)
spec("fn:adjoint", lambda m, x: m.adjoint(x), [S], T)
spec("broadcast_to", lambda m, x: x.broadcast_to((2, 2, 3, 4)), [S], "ExpandBackward0")
spec("fn:broadcast_to", lambda m, x: m.broadcast_to(x, (3, -1, 4)), [(1, 4)], "ExpandBackward0")
spec("repeat", lambda m, x: x.repeat(2, 1, 3), [S], R)
spec("repeat:more dims", lambda m, x: x.repeat((2, 1, 2, 1)), [S], R)
spec("repeat:ones", lambda m, x: x.repeat(1, 1, 1), [S], R)
spec("repeat:size-1 dims", lambda m, x: x.repeat(3, 2, 2), [(2, 1, 3)], R)
spec("repeat:0d", lambda m, x: x.repeat(2, 3), [()], R)
spec("tile", lambda m, x: x.tile(2), [S], R)
spec("fn:tile", lambda m, x: m.tile(x, (2, 1, 1, 2)), [S], R)
spec("tile:0d", lambda m, x: x.tile(()), [()], R)
spec("flip", lambda m, x: x.flip(0), [S], F)
spec("flip:varargs", lambda m, x: x.flip(0, -1), [S], F)
spec("fn:flip", lambda m, x: m.flip(x, (0, 1, 2)), [S], F)
spec("flip:keyword", lambda m, x: x.flip(dims=[1]), [S], F)
spec("tile:keyword", lambda m, x: x.tile(dims=(1, 2)), [S], R)
spec("flip:none", lambda m, x: x.flip(()), [S], F)
spec("flip:0d", lambda m, x: x.flip(0), [()], F)
spec("roll", lambda m, x: x.roll(1, 0), [S], RO)
spec("roll:tuple", lambda m, x: x.roll((1, -5), (0, 2)), [S], RO)
spec("roll:same dim twice", lambda m, x: x.roll((1, 1), (2, 2)), [S], RO)
spec("roll:flat", lambda m, x: x.roll(7), [S], RO)
spec("fn:roll", lambda m, x: m.roll(x, shifts=(-2,), dims=(1,)), [S], RO)
spec("roll:0d", lambda m, x: x.roll(3), [()], RO)
spec("narrow", lambda m, x: x.narrow(1, 1, 2), [S], SL)
spec("fn:narrow", lambda m, x: m.narrow(x, -1, -3, 3), [S], SL)
spec("narrow:full", lambda m, x: x.narrow(0, 0, 2), [S], SL)
spec("cat", lambda m, x, y: m.cat([x, y], 1), [S, (2, 1, 4)], "CatBackward0")
spec("cat:repeated input", lambda m, x, y: m.cat((x, y, x), dim=-1), [S, (2, 3, 1)],
     "CatBackward0")
spec("cat:one", lambda m, x: m.cat([x]), [S], "CatBackward0")
spec("cat:skips 1-D empty", lambda m, x, e: m.cat([e, x, e], 2), [S, (0,)], "CatBackward0")
spec("concat", lambda m, x, y: m.concat([x, y], dim=0), [S, (1, 3, 4)], "CatBackward0")
spec("concatenate", lambda m, x, y: m.concatenate([x, y], axis=2), [S, (2, 3, 2)],
     "CatBackward0")
spec("stack", lambda m, x, y: m.stack([x, y]), [S, S], "StackBackward0")
spec("stack:last", lambda m, x, y: m.stack((x, y, x), -1), [S, S], "StackBackward0")
spec("stack:middle", lambda m, x, y: m.stack([x, y], dim=2), [S, S], "StackBackward0")
spec("stack:0d", lambda m, x, y: m.stack([x, y]), [(), ()], "StackBackward0")
spec("split", lambda m, x: x.split(3, 2), [S], ["SplitBackward0"] * 2)
spec("fn:split", lambda m, x: m.split(x, 1), [S], ["SplitBackward0"] * 2)
spec("split:sizes", lambda m, x: x.split([1, 0, 3], -1), [S], ["SplitWithSizesBackward0"] * 3)
spec("fn:split:sizes", lambda m, x: m.split(x, (2, 1), dim=1), [S],
     ["SplitWithSizesBackward0"] * 2)
spec("chunk", lambda m, x: x.chunk(3, 1), [S], ["SplitBackward0"] * 3)
spec("fn:chunk", lambda m, x: m.chunk(x, 3, dim=2), [S], ["SplitBackward0"] * 2)
spec("unbind", lambda m, x: x.unbind(1), [S], ["UnbindBackward0"] * 3)
spec("fn:unbind", lambda m, x: m.unbind(x, -1), [S], ["UnbindBackward0"] * 4)
spec("clone", lambda m, x: x.clone(), [S], "CloneBackward0")
spec("fn:clone", lambda m, x: m.clone(x), [()], "CloneBackward0")

IDS = [s.id for s in SPECS]


def _rng(s, tag):
    return np.random.default_rng(zlib.crc32(f"{s.id}/{tag}".encode()))


def arrays_of(s):
    rng = _rng(s, "x")
    return [rng.standard_normal(shape) for shape in s.shapes]


def leaves(m, arrays, dtype="float64"):
    return [m.tensor(a, dtype=getattr(m, dtype), requires_grad=True) for a in arrays]


def outputs(m, s, xs):
    y = s.fn(m, *xs)
    return list(y) if isinstance(y, tuple) else [y]


def weights(s, ys, tag="w"):
    rng = _rng(s, tag)
    return [rng.standard_normal(tuple(y.shape)) for y in ys]


def np_of(t):
    return np.array(t.detach().numpy(), dtype=np.float64)


def names(ys):
    return [type(y.grad_fn).__name__ for y in ys]


def loss(m, ys, ws):
    total = None
    for y, w in zip(ys, ws):
        term = (y * m.tensor(w)).sum()
        total = term if total is None else total + term
    return total


def grads(m, s, arrays, create_graph=False):
    xs = leaves(m, arrays)
    ys = outputs(m, s, xs)
    return m.autograd.grad(loss(m, ys, weights(s, ys)), xs, create_graph=create_graph)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("s", SPECS, ids=IDS)
def test_forward_vs_torch(pt, s, dtype):
    torch = pytest.importorskip("torch")
    arrays = arrays_of(s)
    ys = outputs(pt, s, leaves(pt, arrays, dtype))
    ts = outputs(torch, s, leaves(torch, arrays, dtype))
    assert len(ys) == len(ts)
    expected = s.names if isinstance(s.names, list) else [s.names]
    assert names(ys) == names(ts) == expected
    for y, t in zip(ys, ts):
        assert tuple(y.shape) == tuple(t.shape)
        assert y.dtype == getattr(pt, dtype)
        assert y.requires_grad and not y.is_leaf
        assert y.grad_fn.name() == t.grad_fn.name()
        np.testing.assert_array_equal(np_of(y), np_of(t))


@pytest.mark.parametrize("s", SPECS, ids=IDS)
def test_first_derivative(pt, s):
    torch = pytest.importorskip("torch")
    arrays = arrays_of(s)
    fast = grads(pt, s, arrays)
    recorded = grads(pt, s, arrays, create_graph=True)
    expected = grads(torch, s, arrays)

    def f_of(i):
        def f(a):
            xs = [pt.tensor(b) for b in arrays]
            xs[i] = pt.tensor(a)
            ys = outputs(pt, s, xs)
            return float(loss(pt, ys, weights(s, ys)))
        return f

    for i, a in enumerate(arrays):
        assert fast[i].dtype == recorded[i].dtype == pt.float64
        assert tuple(fast[i].shape) == a.shape
        assert not fast[i].requires_grad
        np.testing.assert_array_equal(np_of(fast[i]), np_of(recorded[i]))
        np.testing.assert_allclose(np_of(fast[i]), np_of(expected[i]), rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(np_of(fast[i]), numeric_grad(f_of(i), a),
                                   rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("s", SPECS, ids=IDS)
def test_grad_outputs_paths_agree(pt, s):
    arrays = arrays_of(s)
    xs = leaves(pt, arrays)
    ys = outputs(pt, s, xs)
    ws = [pt.tensor(w) for w in weights(s, ys)]
    fast = pt.autograd.grad(ys, xs, ws)
    rec = pt.autograd.grad(outputs(pt, s, xs), xs, ws, create_graph=True)
    via_loss = grads(pt, s, arrays)
    for a, b, c in zip(fast, rec, via_loss):
        np.testing.assert_array_equal(np_of(a), np_of(b))
        np.testing.assert_allclose(np_of(a), np_of(c), rtol=1e-14, atol=1e-15)


def directions(s, arrays):
    rng = _rng(s, "v")
    return [rng.standard_normal(a.shape) for a in arrays]


def cubic_grads(m, s, arrays, create_graph):
    """Gradient of sum(w * op(x)^3): its derivative runs through the op's recorded backward."""
    xs = leaves(m, arrays)
    ys = [y * y * y for y in outputs(m, s, xs)]
    return xs, m.autograd.grad(loss(m, ys, weights(s, ys)), xs, create_graph=create_graph)


@pytest.mark.parametrize("s", SPECS, ids=IDS)
def test_second_derivative(pt, s):
    torch = pytest.importorskip("torch")
    arrays = arrays_of(s)
    vs = directions(s, arrays)

    def hvp(m):
        xs, gs = cubic_grads(m, s, arrays, True)
        return m.autograd.grad(loss(m, gs, vs), xs)

    def grad_at(flat):
        parts, i = [], 0
        for a in arrays:
            parts.append(flat[i:i + a.size].reshape(a.shape))
            i += a.size
        _, gs = cubic_grads(pt, s, parts, False)
        return np.concatenate([np_of(g).reshape(-1) for g in gs])

    flat = np.concatenate([a.reshape(-1) for a in arrays])
    num = numeric_hvp(grad_at, flat, np.concatenate([v.reshape(-1) for v in vs]))
    i = 0
    for h, t, a in zip(hvp(pt), hvp(torch), arrays):
        np.testing.assert_allclose(np_of(h), np_of(t), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(np_of(h).reshape(-1), num[i:i + a.size], rtol=1e-6,
                                   atol=1e-7)
        i += a.size


@pytest.mark.parametrize("s", SPECS, ids=IDS)
def test_double_backward_through_grad_outputs(pt, s):
    """d/dw of grad(op(x), x, w) . v is op(v): the backward of the op's backward, vs torch."""
    torch = pytest.importorskip("torch")
    arrays = arrays_of(s)
    vs = directions(s, arrays)

    def run(m):
        xs = leaves(m, arrays)
        ys = outputs(m, s, xs)
        ws = [m.tensor(w, requires_grad=True) for w in weights(s, ys)]
        gs = m.autograd.grad(ys, xs, ws, create_graph=True)
        names = [type(g.grad_fn).__name__ if g.grad_fn is not None else None for g in gs]
        return names, m.autograd.grad(loss(m, gs, vs), ws, allow_unused=True)

    pnames, pgrads = run(pt)
    tnames, tgrads = run(torch)
    for p, t in zip(pgrads, tgrads):
        if t is None:
            assert p is None or not np.any(np_of(p))
        else:
            np.testing.assert_array_equal(np_of(p), np_of(t))
    # the op's backward prints torch's name where one node computes it (not for split & co:
    # there each piece's gradient is its own node, summed by AddBackward0)
    if s.id.startswith(("narrow", "fn:narrow", "flip", "fn:flip", "roll", "fn:roll", "clone",
                        "fn:clone", "cat", "concat", "stack")):
        assert pnames == tnames


# ----------------------------------------------------------------------------
# Special cases
# ----------------------------------------------------------------------------


def test_flatten_returns_input_itself_when_nothing_merges(pt):
    x = pt.randn(5, requires_grad=True)
    assert x.flatten() is x
    assert pt.flatten(x) is x
    y = pt.randn(2, 3, 4)
    assert y.flatten(1, 1) is y
    assert y.flatten(-1, 2) is y
    z = pt.tensor(2.0, requires_grad=True)
    f = z.flatten()
    assert f is not z and tuple(f.shape) == (1,)
    assert type(f.grad_fn).__name__ == "ViewBackward0"
    assert tuple(z.flatten(0, 0).shape) == (1,)
    assert tuple(pt.zeros(2, 0, 3).flatten().shape) == (0,)


def test_contiguous_and_expand_as_exist(pt):
    x = pt.randn(2, 3, requires_grad=True)
    assert x.contiguous() is x
    y = pt.zeros(4, 2, 3)
    assert tuple(x.expand_as(y).shape) == (4, 2, 3)


def _warnings_of(f):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


@pytest.mark.skipif(AGAINST_TORCH, reason="torch warns once per process (TORCH_WARN_ONCE)")
def test_T_warnings(pt):
    assert _warnings_of(lambda: pt.zeros(2, 3).T) == []
    msg = ("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
           "deprecated and it will throw an error in a future release. Consider `x.mT` to "
           "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
           "reverse the dimensions of a tensor.")
    assert _warnings_of(lambda: pt.zeros(2, 3, 4).T) == [msg]
    assert _warnings_of(lambda: pt.zeros(3).T) == [msg]
    assert _warnings_of(lambda: pt.tensor(1.0).T) == [
        "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."]
    x = pt.tensor(1.0, requires_grad=True)
    for f, msg in [(lambda: x.H, "Tensor.H is deprecated on 0-D tensors. Consider using x.conj()."),
                   (lambda: x.mH, "Tensor.mH is deprecated on 0-D tensors. Consider using "
                                  "x.conj()."),
                   (lambda: x.adjoint(), "adjoint() is deprecated on 0-D tensors. Consider using "
                                         "x.conj()."),
                   (lambda: x.mT, "Tensor.mT is deprecated on 0-D tensors. This function is the "
                                  "identity in these cases.")]:
        assert _warnings_of(f) == [msg]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert f() is x


def test_T_reverses_all_dims(pt):
    torch = pytest.importorskip("torch")
    a = np.arange(24.0).reshape(2, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = pt.tensor(a, requires_grad=True).T
        t = torch.tensor(a, requires_grad=True).T
    assert tuple(y.shape) == (4, 3, 2)
    assert names([y]) == names([t]) == ["PermuteBackward0"]
    np.testing.assert_array_equal(np_of(y), np_of(t))


def test_cat_promotes_and_casts_gradients_back(pt):
    torch = pytest.importorskip("torch")
    for m in (pt, torch):
        a = m.tensor([1.0, 2.0], dtype=m.float32, requires_grad=True)
        b = m.tensor([3.0], dtype=m.float64, requires_grad=True)
        i = m.tensor([4, 5])
        y = m.cat([a, i, b])
        assert y.dtype == m.float64
        assert type(y.grad_fn).__name__ == "CatBackward0"
        for cg in (False, True):
            ga, gb = m.autograd.grad(y, [a, b], m.tensor([1.0, 2, 3, 4, 5], dtype=m.float64),
                                     create_graph=cg)
            assert ga.dtype == m.float32 and gb.dtype == m.float64
            assert ga.tolist() == [1.0, 2.0] and gb.tolist() == [5.0]
        s = m.stack([a, m.tensor([1, 2])])
        assert s.dtype == m.float32 and type(s.grad_fn).__name__ == "StackBackward0"
    assert pt.cat([pt.tensor([True]), pt.tensor([False])]).dtype == pt.bool
    assert pt.cat([pt.tensor([True]), pt.tensor([2])]).tolist() == [1, 2]
    assert pt.stack([pt.tensor(1), pt.tensor(2.0)]).dtype == pt.float32


def test_cat_skips_empty_1d_tensors(pt):
    e = pt.zeros(0, requires_grad=True)
    x = pt.randn(2, 3, requires_grad=True)
    y = pt.cat([e, x, e], -1)
    assert tuple(y.shape) == (2, 3)
    assert len(y.grad_fn.next_functions) == 3
    ge, gx = pt.autograd.grad(y.sum(), [e, x])
    assert tuple(ge.shape) == (0,) and gx.tolist() == [[1.0] * 3] * 2
    ge, gx = pt.autograd.grad(y.sum(), [e, x], create_graph=True)
    assert tuple(ge.shape) == (0,) and gx.tolist() == [[1.0] * 3] * 2
    z = pt.cat([e, e], 5)                    # all skipped: no dim check, shape (0,)
    assert tuple(z.shape) == (0,) and type(z.grad_fn).__name__ == "CatBackward0"
    (ge,) = pt.autograd.grad(z.sum(), [e])
    assert tuple(ge.shape) == (0,)
    assert tuple(pt.cat([pt.zeros(0, 4), pt.zeros(0, 4)]).shape) == (0, 4)
    assert tuple(pt.cat([pt.zeros(2, 0), pt.zeros(2, 3)], 1).shape) == (2, 3)


def test_cat_and_stack_many_inputs(pt):
    xs = [pt.tensor([float(i), 1.0], requires_grad=True) for i in range(70)]
    y = pt.cat(xs)
    assert len(y.grad_fn.next_functions) == 70
    w = pt.arange(140, dtype=pt.float32)
    for cg in (False, True):
        gs = pt.autograd.grad(y, xs, w, create_graph=cg)
        assert [g.tolist() for g in gs] == [[2.0 * i, 2.0 * i + 1] for i in range(70)]
    s = pt.stack(xs, 1)
    gs = pt.autograd.grad((s * s).sum(), xs)
    assert [g.tolist() for g in gs] == [[2.0 * i, 2.0] for i in range(70)]


def test_cat_numeric_backward_creates_no_tensor_per_node(pt):
    if AGAINST_TORCH:
        pytest.skip("pyad's own counter")
    x = pt.randn(3, 4, requires_grad=True)

    def tensors_made_by_grad(n_ops):
        y = x
        for _ in range(n_ops):
            y = pt.cat([y, x, y], 1).narrow(1, 2, 4).roll(1, 0).repeat(1, 2).split(4, 1)[1]
            y = pt.stack([y, x]).unbind(0)[0].flip(0).clone()
        y = y.sum()
        before = pt._C._tensor_count()
        pt.autograd.grad(y, x)
        return pt._C._tensor_count() - before

    assert tensors_made_by_grad(2) == tensors_made_by_grad(20) == 1   # the returned gradient


def test_split_pieces_used_partly(pt):
    torch = pytest.importorskip("torch")
    a = np.arange(10.0).reshape(2, 5)
    res = []
    for m in (pt, torch):
        x = m.tensor(a, requires_grad=True)
        p = x.split([2, 3], 1)
        q = x.chunk(2, 1)
        u = x.unbind(0)
        y = (p[1] * 2).sum() + (q[0] ** 2).sum() + (u[1] * 3).sum()
        res.append(m.autograd.grad(y, x)[0].tolist())
    assert res[0] == res[1]


def test_split_and_chunk_counts(pt):
    x = pt.zeros(6)
    assert [tuple(p.shape) for p in x.chunk(4)] == [(2,), (2,), (2,)]
    assert [tuple(p.shape) for p in pt.zeros(7).chunk(4)] == [(2,), (2,), (2,), (1,)]
    assert [tuple(p.shape) for p in pt.zeros(5).split(7)] == [(5,)]
    z = pt.zeros(0, 3, requires_grad=True)
    assert names(z.chunk(2)) == ["SplitWithSizesBackward0"] * 2
    assert [tuple(p.shape) for p in z.chunk(2)] == [(0, 3), (0, 3)]
    assert names(z.split(2)) == names(z.split(0)) == ["SplitBackward0"]
    assert [tuple(p.shape) for p in z.split(0)] == [(0, 3)]
    g = pt.autograd.grad(z.chunk(2)[1].sum(), z)[0]
    assert tuple(g.shape) == (0, 3)
    assert z.unbind(0) == ()


def test_size_zero_cases(pt):
    torch = pytest.importorskip("torch")
    cases = [
        lambda m, x: x.repeat(2, 0, 1),
        lambda m, x: x.tile((3,)),
        lambda m, x: x.roll(1, 0),
        lambda m, x: x.roll(2),
        lambda m, x: x.flip(1),
        lambda m, x: x.narrow(0, 2, 0),
        lambda m, x: m.cat([x, x], 1),
        lambda m, x: m.stack([x, x], 1),
        lambda m, x: x.clone(),
        lambda m, x: x.movedim(0, 1),
        lambda m, x: x.unflatten(1, (-1, 2)),
    ]
    a = np.zeros((2, 0, 3))
    for f in cases:
        out = []
        for m in (pt, torch):
            x = m.tensor(a, requires_grad=True)
            y = f(m, x)
            g = m.autograd.grad(y.sum(), x)[0]
            g2 = m.autograd.grad(y.sum(), x, create_graph=True)[0]
            out.append((tuple(y.shape), type(y.grad_fn).__name__, tuple(g.shape),
                        tuple(g2.shape)))
        assert out[0] == out[1]


def test_values_on_integer_and_bool_tensors(pt):
    torch = pytest.importorskip("torch")
    a = np.arange(12).reshape(3, 4)
    fs = [lambda m, x: x.repeat(2, 1), lambda m, x: x.flip(0), lambda m, x: x.roll((1, 2), (0, 1)),
          lambda m, x: m.cat([x, x]), lambda m, x: m.stack([x, x], 2), lambda m, x: x.T,
          lambda m, x: x.narrow(1, 1, 2), lambda m, x: x.clone(), lambda m, x: x.split(3, 1)[1]]
    for f in fs:
        for arr in (a, a % 3 == 0):
            y, t = f(pt, pt.tensor(arr)), f(torch, torch.tensor(arr))
            assert y.dtype == getattr(pt, str(t.dtype).split(".")[1])
            assert y.tolist() == t.tolist()


def test_roll_shift_values(pt):
    x = pt.arange(6.0).reshape(2, 3)
    assert x.roll(1).tolist() == [[5.0, 0.0, 1.0], [2.0, 3.0, 4.0]]
    assert x.roll(-7).tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]]
    assert x.roll((1, -1), (0, 1)).tolist() == [[4.0, 5.0, 3.0], [1.0, 2.0, 0.0]]
    assert x.roll(3, -1).tolist() == x.tolist()


def test_unbind_and_split_grad_fn_next_functions(pt):
    x = pt.randn(3, 2, requires_grad=True)
    for p in x.unbind() + x.split(2) + x.chunk(2, 1):
        (fn, _), = p.grad_fn.next_functions
        assert type(fn).__name__ == "AccumulateGrad" and fn.variable is x


# ----------------------------------------------------------------------------
# Errors: torch's exception type and message
# ----------------------------------------------------------------------------

X = (2, 3, 4)
ERRORS = [
    ("flatten order", lambda m: m.zeros(X).flatten(2, 1), RuntimeError,
     "flatten() has invalid args: start_dim cannot come after end_dim"),
    ("flatten dim", lambda m: m.zeros(X).flatten(0, 5), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 5)"),
    ("flatten 0d dim", lambda m: m.tensor(1.0).flatten(0, 1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("flatten type", lambda m: m.zeros(X).flatten(1.0), TypeError,
     "flatten(): argument 'start_dim' (position 1) must be int, not float"),
    ("unflatten sizes", lambda m: m.zeros(X).unflatten(1, (2, 2)), RuntimeError,
     "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim 1 (3) in the input "
     "tensor"),
    ("unflatten infer", lambda m: m.zeros(X).unflatten(2, (-1, 3)), RuntimeError,
     "unflatten: Provided sizes [-1, 3] don't multiply up to the size of dim 2 (4) in the input "
     "tensor"),
    ("unflatten empty", lambda m: m.zeros(X).unflatten(1, ()), RuntimeError,
     "unflatten: sizes must be non-empty"),
    ("unflatten int", lambda m: m.zeros(X).unflatten(1, 3), TypeError,
     "unflatten(): argument 'sizes' (position 2) must be tuple of ints, not int"),
    ("unflatten dim", lambda m: m.zeros(X).unflatten(5, (3,)), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 5)"),
    ("swapaxes dim", lambda m: m.zeros(X).swapaxes(0, 3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    ("mT 1d", lambda m: m.zeros(3).mT, RuntimeError,
     "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."),
    ("mH 1d", lambda m: m.zeros(2).mH, RuntimeError,
     "tensor.mH is only supported on matrices or batches of matrices. Got 1-D tensor."),
    ("adjoint 1d", lambda m: m.zeros(3).adjoint(), RuntimeError,
     "tensor.adjoint() is only supported on matrices or batches of matrices. Got 1-D tensor."),
    ("H 3d", lambda m: m.zeros(X).H, RuntimeError,
     "tensor.H is only supported on matrices (2-D tensors). Got 3-D tensor. For batches of "
     "matrices, consider using tensor.mH"),
    ("H 1d", lambda m: m.zeros(3).H, RuntimeError,
     "tensor.H is only supported on matrices (2-D tensors). Got 1-D tensor."),
    ("movedim repeated src", lambda m: m.zeros(X).movedim((0, 0), (1, 2)), RuntimeError,
     "movedim: repeated dim in `source` ([0, 0])"),
    ("movedim repeated dst", lambda m: m.zeros(X).movedim((0, 1), (2, -1)), RuntimeError,
     "movedim: repeated dim in `destination` ([2, -1])"),
    ("movedim lengths", lambda m: m.zeros(X).movedim((0, 1), (1,)), RuntimeError,
     "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the same "
     "number of dims as destination ([1] dims)"),
    ("movedim dim", lambda m: m.zeros(X).movedim(0, 3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    ("broadcast_to size", lambda m: m.zeros(X).broadcast_to((3, 3, 4)), RuntimeError,
     "The expanded size of the tensor (3) must match the existing size (2) at non-singleton "
     "dimension 0.  Target sizes: [3, 3, 4].  Tensor sizes: [2, 3, 4]"),
    ("broadcast_to fewer", lambda m: m.zeros(X).broadcast_to((3, 4)), RuntimeError,
     "expand(pyad.FloatTensor{[2, 3, 4]}, size=[3, 4]): the number of sizes provided (2) must be "
     "greater or equal to the number of dimensions in the tensor (3)"),
    ("broadcast_to int", lambda m: m.broadcast_to(m.zeros(3), 3), TypeError,
     "broadcast_to(): argument 'size' (position 2) must be tuple of ints, not int"),
    ("repeat fewer", lambda m: m.zeros(X).repeat(2, 1), RuntimeError,
     "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"),
    ("repeat negative", lambda m: m.zeros(X).repeat(0, -1, 1), RuntimeError,
     "Trying to create tensor with negative dimension -3: [0, -3, 4]"),
    ("repeat nothing", lambda m: m.tensor(1.0).repeat(), TypeError,
     'repeat() missing 1 required positional arguments: "repeats"'),
    ("tile negative", lambda m: m.zeros(X).tile((-1,)), RuntimeError,
     "Trying to create tensor with negative dimension -4: [2, 3, -4]"),
    ("tile int", lambda m: m.tile(m.zeros(X), 2), TypeError,
     "tile(): argument 'dims' (position 2) must be tuple of ints, not int"),
    ("flip repeated", lambda m: m.zeros(X).flip((0, 0)), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    ("flip dim", lambda m: m.zeros(X).flip(3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    ("flip 0d dim", lambda m: m.tensor(1.0).flip(1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("flip int", lambda m: m.flip(m.zeros(X), 0), TypeError,
     "flip(): argument 'dims' (position 2) must be tuple of ints, not int"),
    ("roll align", lambda m: m.zeros(X).roll((1, 2), 0), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1"),
    ("roll align none", lambda m: m.zeros(X).roll((1, 2)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:0"),
    ("roll no shifts", lambda m: m.zeros(X).roll((), ()), RuntimeError, "`shifts` required"),
    ("roll dim", lambda m: m.zeros(X).roll(1, 3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    ("roll 0d dim", lambda m: m.tensor(1.0).roll(1, -1), IndexError,
     "Dimension specified as -1 but tensor has no dimensions"),
    ("narrow 0d", lambda m: m.tensor(1.0).narrow(0, 0, 1), RuntimeError,
     "narrow() cannot be applied to a 0-dim tensor."),
    ("narrow exceeds", lambda m: m.zeros(X).narrow(1, 2, 2), RuntimeError,
     "start (2) + length (2) exceeds dimension size (3)."),
    ("narrow length", lambda m: m.zeros(X).narrow(1, 0, -1), RuntimeError,
     "narrow(): length must be non-negative."),
    ("narrow start", lambda m: m.zeros(X).narrow(1, -4, 0), IndexError,
     "start out of range (expected to be in range of [-3, 3], but got -4)"),
    ("narrow start empty", lambda m: m.zeros(2, 0).narrow(1, 1, 0), IndexError,
     "start out of range (expected to be in range of [0, 0], but got 1)"),
    ("narrow dim", lambda m: m.zeros(X).narrow(3, 0, 1), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    ("cat empty", lambda m: m.cat([]), ValueError,
     "pyad.cat(): expected a non-empty list of Tensors"),
    ("concatenate empty", lambda m: m.concatenate([]), ValueError,
     "pyad.cat(): expected a non-empty list of Tensors"),
    ("cat sizes", lambda m: m.cat([m.zeros(X), m.zeros(2, 2, 4)]), RuntimeError,
     "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 2 for "
     "tensor number 1 in the list."),
    ("cat sizes neg dim", lambda m: m.cat([m.zeros(2, 2), m.zeros(3, 3)], -1), RuntimeError,
     "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for "
     "tensor number 1 in the list."),
    ("cat ndim", lambda m: m.cat([m.zeros(X), m.zeros(5)]), RuntimeError,
     "Tensors must have same number of dimensions: got 3 and 1"),
    ("cat 0d first", lambda m: m.cat([m.zeros(X), m.zeros(5), m.tensor(1.0)]), RuntimeError,
     "zero-dimensional tensor (at position 2) cannot be concatenated"),
    ("cat 0d", lambda m: m.cat([m.tensor(1.0), m.tensor(1.0)]), RuntimeError,
     "zero-dimensional tensor (at position 0) cannot be concatenated"),
    ("cat skipped ref", lambda m: m.cat([m.zeros(0, 0, 0), m.zeros(X)]), RuntimeError,
     "Sizes of tensors must match except in dimension 0. Expected size 0 but got size 3 for "
     "tensor number 1 in the list."),
    ("cat dim", lambda m: m.cat([m.zeros(X), m.zeros(X)], 3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    ("cat element", lambda m: m.cat([m.zeros(X), 1]), TypeError,
     "expected Tensor as element 1 in argument 0, but got int"),
    ("cat tensor", lambda m: m.cat(m.zeros(X)), TypeError,
     "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"),
    ("stack empty", lambda m: m.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    ("stack sizes", lambda m: m.stack([m.zeros(X), m.zeros(X), m.zeros(1, 3, 4)]), RuntimeError,
     "stack expects each tensor to be equal size, but got [2, 3, 4] at entry 0 and [1, 3, 4] at "
     "entry 2"),
    ("stack dim", lambda m: m.stack([m.zeros(X), m.zeros(X)], 4), IndexError,
     "Dimension out of range (expected to be in range of [-4, 3], but got 4)"),
    ("stack 0d dim", lambda m: m.stack([m.tensor(1.0)], -2), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got -2)"),
    ("split 0d", lambda m: m.tensor(1.0).split(1), RuntimeError,
     "split expects at least a 1-dimensional tensor"),
    ("split sizes 0d", lambda m: m.tensor(1.0).split([1]), RuntimeError,
     "split expects at least a 1-dimensional tensor"),
    ("split negative", lambda m: m.zeros(X).split(-1, 2), RuntimeError,
     "split expects split_size be non-negative, but got split_size=-1"),
    ("split zero", lambda m: m.zeros(X).split(0, 2), RuntimeError,
     "split_size can only be 0 if dimension size is 0, but got dimension size of 4"),
    ("split sum", lambda m: m.zeros(X).split([1, 2], 2), RuntimeError,
     "split_with_sizes expects split_sizes to sum exactly to 4 (input tensor's size at dimension "
     "2), but got split_sizes=[1, 2]"),
    ("split no sizes", lambda m: m.zeros(X).split([], 2), RuntimeError,
     "split_with_sizes expects split_sizes to sum exactly to 4 (input tensor's size at dimension "
     "2), but got split_sizes=[]"),
    ("split negative size", lambda m: m.zeros(X).split([-1, 5], 2), RuntimeError,
     "split_with_sizes expects split_sizes have only non-negative entries, but got "
     "split_sizes=[-1, 5]"),
    ("split dim", lambda m: m.zeros(X).split(1, 5), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 5)"),
    ("chunk zero", lambda m: m.zeros(X).chunk(0, 1), RuntimeError,
     "chunk expects `chunks` to be greater than 0, got: 0"),
    ("chunk 0d", lambda m: m.tensor(1.0).chunk(1), RuntimeError,
     "chunk expects at least a 1-dimensional tensor"),
    ("chunk dim", lambda m: m.zeros(X).chunk(2, 5), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 5)"),
    ("unbind 0d", lambda m: m.tensor(1.0).unbind(-1), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    ("unbind dim", lambda m: m.zeros(X).unbind(3), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
]


@pytest.mark.parametrize("case", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(pt, case):
    _, f, exc, msg = case
    with raises_exact(exc, msg):
        f(pt)


UNEXPECTED = [
    (lambda m: m.zeros(X).unflatten(1, (-1, -1)), "only one dimension can be inferred"),
    (lambda m: m.zeros(X).unflatten(1, (-3, -1)),
     "invalid shape dimension -3 at index 0 of shape [-3, -1]"),
    (lambda m: m.zeros(2, 0).unflatten(1, (-1, 0)),
     "cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified dimension "
     "size -1 can be any value and is ambiguous"),
    (lambda m: m.tensor(1.0).unflatten(-1, (1,)),
     "Dimension specified as 0 but tensor has no dimensions"),
]


@pytest.mark.parametrize("f, msg", UNEXPECTED)
def test_unflatten_wrapped_errors(pt, f, msg):
    """torch wraps these as 'unexpected' and appends a C++ trace; pyad stops before it."""
    with pytest.raises(RuntimeError) as info:
        f(pt)
    text = str(info.value).split("\nException raised from")[0]
    assert text == sub("unflatten got an unexpected error:\n" + msg)
