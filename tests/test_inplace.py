"""In-place ops, assignment and version counters against PyTorch: values, gradients, grad_fn
names and messages."""
import numpy as np
import pytest

import pyad
from conftest import raises_exact

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)


def run_both(program, *arrays):
    """program(module, *leaf tensors) -> scalar loss; compare loss and gradients."""
    outs = []
    for m in (pyad, torch):
        leaves = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in arrays]
        loss = program(m, *leaves)
        grads = m.autograd.grad(loss, leaves, allow_unused=True, materialize_grads=True)
        outs.append((loss.item(), [g.detach().numpy() for g in grads]))
    (lp, gp), (lt, gt) = outs
    assert lp == pytest.approx(lt, rel=1e-12)
    for a, b in zip(gp, gt):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


PROGRAMS = {
    "add_": lambda m, x, y: (x * 1).add_(y, alpha=2).pow(2).sum(),
    "sub_mul_div_": lambda m, x, y: (x * 1).sub_(y).mul_(y).div_(3.0).sum(),
    "iadd_imul": lambda m, x, y: _aug(m, x, y),
    "sin_exp_": lambda m, x, y: (x + y).sin_().exp_().sum(),
    "clamp_": lambda m, x, y: (x * 2).clamp_(-0.5, 0.5).mul(y).sum(),
    "setitem_scalar": lambda m, x, y: _setitem(m, x, y, "scalar"),
    "setitem_tensor": lambda m, x, y: _setitem(m, x, y, "tensor"),
    "setitem_slice_broadcast": lambda m, x, y: _setitem(m, x, y, "slice"),
    "zero_then_add": lambda m, x, y: (x * 1).zero_().add_(y).mul(x).sum(),
    "copy_": lambda m, x, y: (x * 1).copy_(y * 3).mul(x).sum(),
    "inplace_into_constant": lambda m, x, y: _into_constant(m, x, y),
}


def _aug(m, x, y):
    z = x * 1
    z += y
    z *= y
    z -= 1.0
    z /= 2.0
    return (z ** 2).sum()


def _setitem(m, x, y, kind):
    z = x * 1
    if kind == "scalar":
        z[0, 1] = 5.0
    elif kind == "tensor":
        z[1] = y[0] * 2
    else:
        z[:, 1:3] = y[0, :1]
    return (z * z).sum() + (z * y).sum()


def _into_constant(m, x, y):
    buf = m.zeros(3, 4, dtype=m.float64)
    buf.add_(x)
    buf[0] = y[1]
    return (buf * buf).sum()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_inplace_gradients_match_torch(name):
    run_both(PROGRAMS[name], RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4)))


def test_grad_fn_names_and_versions():
    for m in (pyad, torch):
        leaf = m.rand(3, requires_grad=True)
        w = m.zeros(3)
        w.add_(leaf)
        z = leaf * 1
        z[0] = 5.0
        names = [type(w.grad_fn).__name__, type(z.grad_fn).__name__]
        z2 = leaf * 1
        z2.zero_()
        z3 = leaf * 1
        z3.fill_(2.0)
        z4 = leaf * 1
        z4.copy_(leaf * 3)
        names += [type(t.grad_fn).__name__ for t in (z2, z3, z4)]
        if m is pyad:
            got = (names, w._version, z._version)
        else:
            want = (names, w._version, z._version)
    assert got == want


def test_modified_saved_tensor_raises():
    x = pyad.rand(3, requires_grad=True)
    y = x.exp()
    s = y.sin().sum()
    y.add_(1)
    with raises_exact(RuntimeError, "one of the variables needed for gradient computation has "
                      "been modified by an inplace operation: [pyad.FloatTensor [3]], which is "
                      "output 0 of Add, is at version 1; expected version 0 instead. Hint: enable "
                      "anomaly detection to find the operation that failed to compute its "
                      "gradient, with pyad.autograd.set_detect_anomaly(True, check_nan=False)."):
        s.backward()
    v = pyad.rand(3)
    s = (x * v).sum()
    v.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[pyad.FloatTensor \[3\]\] is at version 1; expected"):
        pyad.autograd.grad(s, x)


def test_saved_result_modified_in_place_raises_like_torch():
    for m in (pyad, torch):
        x = m.rand(3, dtype=m.float64, requires_grad=True)
        z = x * 1
        y = z.exp_().sin_().sum()             # sin_ overwrites the result exp_ saved
        with pytest.raises(RuntimeError, match=r"\[\w+.DoubleTensor \[3\]\], which is output 0 "
                                               r"of Exp, is at version 2; expected version 1"):
            y.backward()
        # when nothing holds the tensor any more torch names Sin here; pyad always names the op
        # that saved the value
        y = (x * 1).exp_().sin_().sum()
        with pytest.raises(RuntimeError, match="is at version 2; expected version 1 instead"):
            y.backward()


def test_leaf_and_view_refusals():
    leaf = pyad.rand(3, requires_grad=True)
    with raises_exact(RuntimeError, "a leaf Variable that requires grad is being used in an "
                      "in-place operation."):
        leaf.add_(1)
    with raises_exact(RuntimeError, "a view of a leaf Variable that requires grad is being used "
                      "in an in-place operation."):
        leaf[:2].mul_(2)
    with raises_exact(RuntimeError, "a view of a leaf Variable that requires grad is being used "
                      "in an in-place operation."):
        leaf.view(3).mul_(2)


def test_copying_views_refuse_in_place_instead_of_diverging():
    x = pyad.zeros(3, 4)
    with pytest.raises(RuntimeError, match="copy in pyad"):
        x[0].fill_(1.0)
    x[0] = 1.0                      # the supported spelling writes through
    assert x.tolist()[0] == [1.0] * 4
    v = x.view(12)                  # reshape views share memory: in-place writes through
    v.mul_(2)
    assert x.tolist()[0] == [2.0] * 4


def test_optimizer_step_under_no_grad():
    for m in (pyad, torch):
        w = m.tensor([1.0, 2.0], requires_grad=True)
        (g,) = m.autograd.grad((w * w).sum(), w)
        with m.no_grad():
            w -= 0.1 * g
        result = (w.tolist(), w.requires_grad, w.grad_fn is None, w._version)
        if m is pyad:
            got = result
        else:
            want = result
    assert got[0] == pytest.approx(want[0])
    assert got[1:] == want[1:]


def test_setitem_errors():
    x = pyad.zeros(3, 4)
    with pytest.raises(RuntimeError, match="shape mismatch: value tensor of shape"):
        x[0] = pyad.ones(3)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[5] = 1.0
    with pytest.raises(RuntimeError,
                       match="result type Float can't be cast to the desired output type Long"):
        pyad.tensor([1, 2]).mul_(1.5)


def test_data_attribute():
    x = pyad.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad
    d.mul_(2)                       # a detached alias: in-place is allowed and visible in x
    assert x.tolist() == [2.0, 4.0]


def test_setitem_advanced_indices_match_torch():
    rng = np.random.default_rng(5)
    xv, vv = rng.normal(size=(3, 4)), rng.normal(size=2)
    results = []
    for m in (pyad, torch):
        x = m.tensor(xv, dtype=m.float64, requires_grad=True)
        v = m.tensor(vv, dtype=m.float64, requires_grad=True)
        z = x * 1
        z[z < 0] = 0.0
        z[[0, 2], [1, 3]] = v * 3
        z[m.tensor([True, False, True])] += 1.0
        loss = (z * z).sum()
        gx, gv = m.autograd.grad(loss, (x, v))
        results.append((z.detach().numpy().copy(), gx.numpy(), gv.numpy(),
                        type(z.grad_fn).__name__))
        y = m.zeros(2, 3)
        y[m.tensor([True, False])] = m.tensor([1.0, 2.0, 3.0])
        results.append(y.tolist())
    (zp, gxp, gvp, np_), yp, (zt, gxt, gvt, nt), yt = results
    np.testing.assert_allclose(zp, zt, rtol=1e-12)
    np.testing.assert_allclose(gxp, gxt, rtol=1e-12)
    np.testing.assert_allclose(gvp, gvt, rtol=1e-12)
    assert np_ == nt and yp == yt


def test_augmented_assignment_through_indexing():
    rng = np.random.default_rng(9)
    xv = rng.normal(size=(3, 4))
    results = []
    for m in (pyad, torch):
        x = m.tensor(xv, dtype=m.float64, requires_grad=True)
        z = x * 1
        z[0] += 1.0
        z[:, 1] *= 2.0
        z[1:, ::2] -= x[0, :2]
        plain = m.zeros(2, 2)
        plain[1] += 5.0
        (g,) = m.autograd.grad((z * z).sum(), x)
        results.append((z.detach().numpy().copy(), g.numpy(), plain.tolist()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    assert results[0][2] == results[1][2]


# --- fill_ with a 0-d tensor value: torch's fill_.Tensor (FillBackward3) -------------------
# pyad took the value's item() and dropped its gradient: a silently missing gradient
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fill_with_a_tensor_value_passes_the_gradient_to_the_value(pt, dtype):
    dt = getattr(pt, dtype)
    a = pt.ones(4, dtype=dt, requires_grad=True)
    y = pt.tensor(1.5, dtype=dt, requires_grad=True)
    x = a * 2
    x.fill_(y)
    assert x.grad_fn.name() == "FillBackward3" and x.dtype == dt
    loss = (x * y).sum()        # 4 y**2: d/dy 8 y through the fill and the product, d2 8
    ga, gy = pt.autograd.grad(loss, [a, y], create_graph=True)
    assert ga.tolist() == [0.0] * 4 and gy.item() == 12.0
    (g2,) = pt.autograd.grad(gy, [y])
    assert g2.item() == 8.0


def test_fill_with_a_tensor_value_of_another_dtype_and_its_errors(pt):
    x = pt.zeros(3, dtype=pt.int64)
    x.fill_(pt.tensor(2.7))                 # cast as copy_ casts
    assert x.tolist() == [2, 2, 2]
    x = pt.zeros(2)
    x.fill_(pt.tensor(3, dtype=pt.int64))   # nothing requires grad: not recorded
    assert x.tolist() == [3.0, 3.0] and x.grad_fn is None
    with raises_exact(RuntimeError, "fill_ only supports 0-dimension value tensor but got "
                                    "tensor with 1 dimensions."):
        x.fill_(pt.tensor([1.0]))
    leaf = pt.zeros(2, requires_grad=True)
    with raises_exact(RuntimeError, "a leaf Variable that requires grad is being used in an "
                                    "in-place operation."):
        leaf.fill_(pt.tensor([1.0, 2.0]))   # autograd's check comes before the value's dims


SETITEM_KEYS = [1, (Ellipsis, 1), slice(0, 2), slice(None), slice(-100, None), Ellipsis, (),
                None, (1, slice(None)), "t1", "np1", (Ellipsis, "np1"), [0, 1],
                (slice(None), [0, 1]), (slice(0, 2), [0, 1]), (None, [0, 1]), True, "mask"]


def _key(m, k):
    if isinstance(k, tuple):
        return tuple(_key(m, i) for i in k)
    return {"t1": m.tensor(1), "np1": np.array(1), "mask": m.tensor([True, False, True])}.get(
        k, k) if isinstance(k, str) else k


@pytest.mark.parametrize("key", SETITEM_KEYS, ids=repr)
def test_setitem_into_a_leaf_names_the_view_torch_makes(key):
    """x[key] = v on a leaf that requires grad: torch's indexing makes a view first for a key
    with an int, a slice it does not skip or None, and refuses "a view of a leaf Variable";
    otherwise it writes into x and refuses "a leaf Variable". A 0-d integer array is an int."""
    outcomes = []
    for m in (pyad, torch):
        x = m.ones(3, 4, requires_grad=True)
        try:
            x[_key(m, key)] = 2.0
            outcomes.append("ok")
        except RuntimeError as e:
            outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("key", [np.array(1), (Ellipsis, np.array(2)), (np.array(0), slice(1)),
                                 np.array([1]), np.array(True)], ids=repr)
def test_getitem_with_a_0d_integer_array_is_a_select(key):
    outcomes = []
    for m in (pyad, torch):
        x = m.arange(12.0).reshape(3, 4).requires_grad_()
        y = (x * 1)[key]
        outcomes.append((y.grad_fn.name(), tuple(y.shape), y.tolist()))
    assert outcomes[0] == outcomes[1]
