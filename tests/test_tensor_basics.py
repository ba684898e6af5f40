"""Tensor creation, attributes, conversions, autograd flags and reprs.

Every expectation is PyTorch 2.13's behaviour, with ``torch.`` spelled ``pyad.``.
"""

import numpy as np
import pytest

from conftest import raises_exact, sub

# ----------------------------------------------------------------------------
# dtypes
# ----------------------------------------------------------------------------


def test_dtype_objects(pt):
    assert repr(pt.float32) == sub("pyad.float32")
    assert str(pt.float64) == sub("pyad.float64")
    assert repr(pt.int64) == sub("pyad.int64")
    assert repr(pt.bool) == sub("pyad.bool")
    assert len({pt.float32, pt.float64, pt.int64, pt.bool}) == 4
    assert pt.float32 != pt.float64


def test_default_dtype_is_float32(pt):
    assert pt.get_default_dtype() == pt.float32
    assert pt.tensor([1.0, 2.0]).dtype == pt.float32
    assert pt.tensor(1.5).dtype == pt.float32
    assert pt.zeros(2).dtype == pt.float32
    assert pt.rand(2).dtype == pt.float32
    assert pt.tensor([1, 2.5]).dtype == pt.float32  # mixed int/float list


def test_int_and_bool_lists(pt):
    assert pt.tensor([1, 2, 3]).dtype == pt.int64
    assert pt.tensor(3).dtype == pt.int64
    assert pt.tensor([[1, 2], [3, 4]]).dtype == pt.int64
    assert pt.tensor([True, False]).dtype == pt.bool
    assert pt.tensor(True).dtype == pt.bool


def test_set_default_dtype(pt):
    old = pt.get_default_dtype()
    try:
        pt.set_default_dtype(pt.float64)
        assert pt.get_default_dtype() == pt.float64
        assert pt.tensor([1.0]).dtype == pt.float64
        assert pt.tensor(2.0).dtype == pt.float64
        assert pt.zeros(2).dtype == pt.float64
        assert pt.ones(2, 2).dtype == pt.float64
        assert pt.rand(2).dtype == pt.float64
        assert pt.randn(2).dtype == pt.float64
        assert pt.eye(2).dtype == pt.float64
        assert pt.full((2,), 1.5).dtype == pt.float64
        assert pt.arange(0.0, 1.0, 0.5).dtype == pt.float64
        assert pt.linspace(0, 1, 3).dtype == pt.float64
        assert pt.tensor([1, 2]).dtype == pt.int64
        # numpy arrays keep their own dtype
        assert pt.tensor(np.array([1.0], dtype=np.float32)).dtype == pt.float32
        # the repr is relative to the default dtype
        assert repr(pt.tensor([1.0, 2.0])) == "tensor([1., 2.])"
        assert repr(pt.tensor([1.0, 2.0], dtype=pt.float32)) == sub(
            "tensor([1., 2.], dtype=pyad.float32)"
        )
    finally:
        pt.set_default_dtype(old)
    assert pt.get_default_dtype() == pt.float32
    assert pt.tensor([1.0]).dtype == pt.float32


def test_set_default_dtype_rejects_int(pt):
    with raises_exact(TypeError, "only floating-point types are supported as the default type"):
        pt.set_default_dtype(pt.int64)
    assert pt.get_default_dtype() == pt.float32


# ----------------------------------------------------------------------------
# creation
# ----------------------------------------------------------------------------


def test_tensor_from_nested_lists(pt):
    t = pt.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3)
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    t3 = pt.tensor([[[1.0], [2.0]], [[3.0], [4.0]]])
    assert t3.shape == (2, 2, 1)
    assert t3.tolist() == [[[1.0], [2.0]], [[3.0], [4.0]]]


def test_tensor_from_scalars(pt):
    t = pt.tensor(2.5)
    assert t.shape == ()
    assert t.dim() == 0
    assert t.item() == 2.5
    assert pt.tensor(-3).item() == -3


def test_tensor_empty_list(pt):
    t = pt.tensor([])
    assert t.shape == (0,)
    assert t.dtype == pt.float32
    assert t.numel() == 0


def test_tensor_dtype_keyword(pt):
    t = pt.tensor([1, 2], dtype=pt.float32)
    assert t.dtype == pt.float32
    assert t.tolist() == [1.0, 2.0]
    t = pt.tensor([1.5, 2.5], dtype=pt.float64)
    assert t.dtype == pt.float64
    assert t.tolist() == [1.5, 2.5]
    # float64 keeps precision that float32 cannot represent
    v = 1.0 + 2.0**-40
    assert pt.tensor([v], dtype=pt.float64).item() == v
    assert pt.tensor([v]).item() == 1.0


def test_tensor_requires_grad_keyword(pt):
    t = pt.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad
    assert t.is_leaf
    assert t.grad_fn is None
    assert t.grad is None
    assert not pt.tensor([1.0]).requires_grad


def test_tensor_from_numpy_copies_and_keeps_dtype(pt):
    for np_dtype, dtype in [
        (np.float64, pt.float64),
        (np.float32, pt.float32),
        (np.int64, pt.int64),
        (np.bool_, pt.bool),
    ]:
        a = np.array([[1, 0, 1], [0, 1, 1]], dtype=np_dtype)
        t = pt.tensor(a)
        assert t.dtype == dtype
        assert t.shape == (2, 3)
        np.testing.assert_array_equal(t.numpy(), a)
    a = np.array([1.0, 2.0, 3.0])
    t = pt.tensor(a)
    a[0] = 100.0
    assert t.tolist() == [1.0, 2.0, 3.0]  # tensor() copies


def test_from_numpy_shares_memory(pt):
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = pt.from_numpy(a)
    assert t.dtype == pt.float64
    assert t.shape == (2, 2)
    a[0, 1] = 20.0
    assert t.tolist() == [[1.0, 20.0], [3.0, 4.0]]
    t.numpy()[1, 0] = 30.0
    assert a[1, 0] == 30.0
    f = pt.from_numpy(np.zeros(3, dtype=np.float32))
    assert f.dtype == pt.float32


def test_as_tensor(pt):
    t = pt.as_tensor([1.0, 2.0])
    assert t.dtype == pt.float32
    assert t.tolist() == [1.0, 2.0]
    assert pt.as_tensor([1, 2]).dtype == pt.int64
    assert pt.as_tensor([1, 2], dtype=pt.float64).dtype == pt.float64
    # an existing tensor of the requested dtype is returned as is
    base = pt.tensor([1.0, 2.0])
    assert pt.as_tensor(base) is base
    conv = pt.as_tensor(base, dtype=pt.float64)
    assert conv.dtype == pt.float64
    assert conv.tolist() == [1.0, 2.0]


def test_as_tensor_numpy_shares_memory_when_dtype_matches(pt):
    a = np.arange(3.0)
    t = pt.as_tensor(a)
    assert t.dtype == pt.float64
    a[0] = 9.0
    assert t.tolist() == [9.0, 1.0, 2.0]
    c = pt.as_tensor(a, dtype=pt.float32)  # a conversion must copy
    a[0] = 7.0
    assert c.tolist() == [9.0, 1.0, 2.0]


@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_zeros_ones(pt, name):
    fn = getattr(pt, name)
    value = 0.0 if name == "zeros" else 1.0
    for args in [(2, 3), ((2, 3),), ([2, 3],)]:
        t = fn(*args)
        assert t.shape == (2, 3)
        assert t.dtype == pt.float32
        assert t.tolist() == [[value] * 3] * 2
    s = fn(())
    assert s.shape == ()
    assert s.item() == value
    t = fn(4, dtype=pt.float64, requires_grad=True)
    assert t.dtype == pt.float64 and t.requires_grad and t.is_leaf
    i = fn(2, dtype=pt.int64)
    assert i.dtype == pt.int64 and i.tolist() == [int(value)] * 2
    b = fn(2, dtype=pt.bool)
    assert b.dtype == pt.bool and b.tolist() == [bool(value)] * 2


def test_full(pt):
    t = pt.full((2, 3), 1.5)
    assert t.shape == (2, 3)
    assert t.dtype == pt.float32
    assert t.tolist() == [[1.5] * 3] * 2
    assert pt.full((2,), 7).dtype == pt.int64
    assert pt.full((2,), 7).tolist() == [7, 7]
    d = pt.full((3,), 2.0, dtype=pt.float64, requires_grad=True)
    assert d.dtype == pt.float64 and d.requires_grad


def test_empty(pt):
    t = pt.empty(2, 3)
    assert t.shape == (2, 3)
    assert t.dtype == pt.float32
    assert pt.empty((4,), dtype=pt.float64).dtype == pt.float64
    assert pt.empty(0).numel() == 0


def test_rand_randn(pt):
    pt.manual_seed(1234)
    r = pt.rand(100, 50)
    assert r.shape == (100, 50)
    assert r.dtype == pt.float32
    a = r.numpy()
    assert a.min() >= 0.0 and a.max() < 1.0
    assert 0.45 < a.mean() < 0.55
    n = pt.randn(100, 50, dtype=pt.float64).numpy()
    assert n.dtype == np.float64
    assert abs(n.mean()) < 0.1
    assert 0.9 < n.std() < 1.1
    assert (n < 0).any() and (n > 0).any()
    assert pt.rand((3, 2)).shape == (3, 2)
    assert pt.rand(2, requires_grad=True).requires_grad


def test_manual_seed_reproducible(pt):
    pt.manual_seed(0)
    a1, b1 = pt.rand(5), pt.randn(2, 3)
    pt.manual_seed(0)
    a2, b2 = pt.rand(5), pt.randn(2, 3)
    assert a1.tolist() == a2.tolist()
    assert b1.tolist() == b2.tolist()
    pt.manual_seed(1)
    a3 = pt.rand(5)
    assert a3.tolist() != a1.tolist()
    # successive draws differ
    pt.manual_seed(0)
    assert pt.rand(5).tolist() != pt.rand(5).tolist()


def test_arange(pt):
    t = pt.arange(5)
    assert t.dtype == pt.int64
    assert t.tolist() == [0, 1, 2, 3, 4]
    assert pt.arange(2, 5).tolist() == [2, 3, 4]
    f = pt.arange(1, 2, 0.25)
    assert f.dtype == pt.float32
    assert f.tolist() == [1.0, 1.25, 1.5, 1.75]
    assert pt.arange(5.0).dtype == pt.float32
    assert pt.arange(0.0, 1.0, 0.1).shape == (10,)
    d = pt.arange(3, dtype=pt.float64)
    assert d.dtype == pt.float64 and d.tolist() == [0.0, 1.0, 2.0]
    assert pt.arange(4, 0, -1).tolist() == [4, 3, 2, 1]


def test_linspace(pt):
    t = pt.linspace(0, 1, 5)
    assert t.dtype == pt.float32
    assert t.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert pt.linspace(0, 1, 1).tolist() == [0.0]
    d = pt.linspace(-1, 1, 3, dtype=pt.float64)
    assert d.dtype == pt.float64 and d.tolist() == [-1.0, 0.0, 1.0]


def test_eye(pt):
    e = pt.eye(3)
    assert e.dtype == pt.float32
    np.testing.assert_array_equal(e.numpy(), np.eye(3, dtype=np.float32))
    r = pt.eye(2, 3)
    assert r.shape == (2, 3)
    np.testing.assert_array_equal(r.numpy(), np.eye(2, 3))
    assert pt.eye(2, dtype=pt.float64).dtype == pt.float64


def test_like_functions(pt):
    x = pt.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=pt.float64)
    for name in ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"]:
        t = getattr(pt, name)(x)
        assert t.shape == (2, 3), name
        assert t.dtype == pt.float64, name
        assert not t.requires_grad, name
    assert pt.zeros_like(x).tolist() == [[0.0] * 3] * 2
    assert pt.ones_like(x).tolist() == [[1.0] * 3] * 2
    f = pt.full_like(x, 2.5)
    assert f.dtype == pt.float64 and f.tolist() == [[2.5] * 3] * 2
    assert pt.zeros_like(x, dtype=pt.float32).dtype == pt.float32
    z = pt.zeros_like(x, requires_grad=True)
    assert z.requires_grad and z.is_leaf
    r = pt.rand_like(x).numpy()
    assert r.min() >= 0 and r.max() < 1
    assert pt.ones_like(pt.tensor([1, 2])).dtype == pt.int64
    # the *_like of a tensor that requires grad does not require grad
    assert not pt.zeros_like(pt.ones(2, requires_grad=True)).requires_grad


# ----------------------------------------------------------------------------
# shape and size
# ----------------------------------------------------------------------------


def test_shape_is_size(pt):
    t = pt.zeros(3, 4)
    s = t.shape
    assert isinstance(s, tuple)
    assert isinstance(s, pt.Size)
    assert type(s).__name__ == "Size"
    assert s == (3, 4)
    assert s == pt.Size([3, 4])
    assert repr(s) == sub("pyad.Size([3, 4])")
    assert str(s) == sub("pyad.Size([3, 4])")
    assert repr(pt.zeros(()).shape) == sub("pyad.Size([])")
    assert repr(pt.zeros(5).shape) == sub("pyad.Size([5])")
    assert s[1] == 4
    assert list(s) == [3, 4]
    assert len(s) == 2


def test_size_dim_ndim_numel(pt):
    t = pt.zeros(2, 3, 4)
    assert t.size() == (2, 3, 4)
    assert isinstance(t.size(), pt.Size)
    assert t.size(0) == 2
    assert t.size(2) == 4
    assert t.size(-1) == 4
    assert t.size(-3) == 2
    assert t.dim() == 3
    assert t.ndim == 3
    assert t.numel() == 24
    s = pt.tensor(1.0)
    assert s.dim() == 0 and s.ndim == 0 and s.numel() == 1 and s.size() == ()


def test_size_dim_out_of_range(pt):
    t = pt.zeros(2, 3)
    with raises_exact(
        IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"
    ):
        t.size(2)
    with raises_exact(
        IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got -3)"
    ):
        t.size(-3)


def test_dtype_attribute(pt):
    assert pt.zeros(2).dtype == pt.float32
    assert pt.zeros(2, dtype=pt.float64).dtype == pt.float64
    assert pt.tensor([1]).dtype == pt.int64


# ----------------------------------------------------------------------------
# conversions
# ----------------------------------------------------------------------------


def test_item(pt):
    v = pt.tensor(2.5).item()
    assert v == 2.5 and type(v) is float
    v = pt.tensor([3]).item()
    assert v == 3 and type(v) is int
    v = pt.tensor([[True]]).item()
    assert v is True
    v = pt.tensor([[1.5]], dtype=pt.float64).item()
    assert v == 1.5 and type(v) is float
    assert pt.tensor([1.0, 2.0], requires_grad=True).sum().item() == 3.0


def test_item_multi_element_raises(pt):
    with raises_exact(RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar"):
        pt.tensor([1.0, 2.0]).item()


def test_tolist(pt):
    assert pt.tensor(2.5).tolist() == 2.5
    out = pt.tensor([[1, 2], [3, 4]]).tolist()
    assert out == [[1, 2], [3, 4]]
    assert type(out[0][0]) is int
    out = pt.tensor([[1.5, 2.0]]).tolist()
    assert out == [[1.5, 2.0]]
    assert type(out[0][0]) is float
    assert pt.tensor([True, False]).tolist() == [True, False]
    assert pt.zeros(2, 0).tolist() == [[], []]
    assert pt.zeros(0).tolist() == []
    # float32 values round-trip through the float32 value, not the literal
    assert pt.tensor([0.1]).tolist() == [float(np.float32(0.1))]


def test_float_builtin(pt):
    assert float(pt.tensor(2.5)) == 2.5
    assert float(pt.tensor([[1.5]])) == 1.5
    assert float(pt.tensor([3])) == 3.0
    with raises_exact(ValueError, "only one element tensors can be converted to Python scalars"):
        float(pt.tensor([1.0, 2.0]))


def test_float_method_casts_to_float32(pt):
    t = pt.tensor([1.5, 2.0], dtype=pt.float64).float()
    assert t.dtype == pt.float32
    assert t.tolist() == [1.5, 2.0]
    assert pt.tensor([1, 2]).float().dtype == pt.float32


def test_len(pt):
    assert len(pt.zeros(3, 4)) == 3
    assert len(pt.zeros(0)) == 0
    assert len(pt.zeros(1)) == 1
    with raises_exact(TypeError, "len() of a 0-d tensor"):
        len(pt.tensor(1.0))


def test_iter(pt):
    rows = list(pt.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert len(rows) == 2
    assert rows[0].shape == (2,)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    elems = list(pt.tensor([1.0, 2.0, 3.0]))
    assert [e.shape for e in elems] == [(), (), ()]
    assert [e.item() for e in elems] == [1.0, 2.0, 3.0]
    with raises_exact(TypeError, "iteration over a 0-d tensor"):
        iter(pt.tensor(1.0))


def test_iter_keeps_graph(pt):
    x = pt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    parts = list(x * 2)
    assert all(p.grad_fn is not None for p in parts)
    (g,) = pt.autograd.grad(parts[1] * 3, x)
    assert g.tolist() == [0.0, 6.0, 0.0]


def test_numpy_shares_memory(pt):
    t = pt.zeros(3)
    a = t.numpy()
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.float32
    a[0] = 5.0
    assert t.tolist() == [5.0, 0.0, 0.0]
    assert pt.zeros(2, dtype=pt.float64).numpy().dtype == np.float64
    assert pt.tensor([1, 2]).numpy().dtype == np.int64
    assert pt.tensor([True]).numpy().dtype == np.bool_
    assert pt.tensor(1.5).numpy().shape == ()
    assert pt.zeros(2, 0).numpy().shape == (2, 0)


def test_numpy_requires_grad_raises(pt):
    x = pt.ones(3, requires_grad=True)
    msg = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
    with raises_exact(RuntimeError, msg):
        x.numpy()
    with raises_exact(RuntimeError, msg):
        (x * 2).numpy()
    with raises_exact(RuntimeError, msg):
        np.asarray(x)
    np.testing.assert_array_equal(x.detach().numpy(), np.ones(3, dtype=np.float32))


def test_np_asarray(pt):
    t = pt.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=pt.float64)
    a = np.asarray(t)
    assert a.dtype == np.float64
    assert a.shape == (2, 2)
    np.testing.assert_array_equal(a, [[1.0, 2.0], [3.0, 4.0]])
    a[0, 0] = -1.0
    assert t[0, 0].item() == -1.0  # shares memory, like torch
    assert np.asarray(pt.tensor([1.0, 2.0])).dtype == np.float32
    assert np.asarray(pt.tensor(3.0)).shape == ()


# ----------------------------------------------------------------------------
# autograd flags
# ----------------------------------------------------------------------------


def test_detach(pt):
    x = pt.ones(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad
    assert d.grad_fn is None
    assert d.is_leaf
    assert d.tolist() == [2.0, 2.0, 2.0]
    assert y.requires_grad and y.grad_fn is not None  # y is untouched
    xd = x.detach()
    xd.numpy()[0] = 5.0  # detach shares memory
    assert x.detach().tolist() == [5.0, 1.0, 1.0]


def test_detach_(pt):
    x = pt.ones(3, requires_grad=True)
    y = x * 2
    r = y.detach_()
    assert r is y
    assert not y.requires_grad
    assert y.grad_fn is None
    assert y.is_leaf
    assert y.tolist() == [2.0, 2.0, 2.0]
    x.detach_()
    assert not x.requires_grad


def test_requires_grad_(pt):
    x = pt.ones(2)
    assert not x.requires_grad
    r = x.requires_grad_()
    assert r is x
    assert x.requires_grad and x.is_leaf
    x.requires_grad_(False)
    assert not x.requires_grad
    y = pt.ones(2, requires_grad=True) * 2
    assert y.requires_grad_() is y  # requires_grad_(True) on a non-leaf is a no-op
    assert y.requires_grad


def test_requires_grad_setter(pt):
    x = pt.ones(2)
    x.requires_grad = True
    assert x.requires_grad and x.is_leaf
    y = x * 2
    assert y.grad_fn is not None
    x.requires_grad = False
    assert not x.requires_grad
    assert not (x * 2).requires_grad


def test_requires_grad_non_leaf_raises(pt):
    y = pt.ones(2, requires_grad=True) * 2
    long_msg = (
        "you can only change requires_grad flags of leaf variables. If you want to use a "
        "computed variable in a subgraph that doesn't require differentiation use "
        "var_no_grad = var.detach()."
    )
    with raises_exact(RuntimeError, long_msg):
        y.requires_grad = False
    with raises_exact(RuntimeError, "you can only change requires_grad flags of leaf variables."):
        y.requires_grad = True
    with raises_exact(RuntimeError, long_msg):
        y.requires_grad_(False)
    assert y.requires_grad


def test_is_leaf(pt):
    x = pt.ones(2, requires_grad=True)
    c = pt.ones(2)
    assert x.is_leaf and c.is_leaf
    assert not (x * 2).is_leaf
    assert (c * 2).is_leaf  # no grad needed: a leaf
    assert x.sum().is_leaf is False
    with pt.no_grad():
        assert (x * 2).is_leaf


def test_int_tensor_cannot_require_grad(pt):
    with raises_exact(
        RuntimeError, "Only Tensors of floating point and complex dtype can require gradients"
    ):
        pt.tensor([1, 2, 3], requires_grad=True)
    with raises_exact(
        RuntimeError, "Only Tensors of floating point and complex dtype can require gradients"
    ):
        pt.zeros(3, dtype=pt.int64, requires_grad=True)
    with raises_exact(
        RuntimeError, "Only Tensors of floating point and complex dtype can require gradients"
    ):
        pt.arange(3, requires_grad=True)
    i = pt.tensor([1, 2, 3])
    with raises_exact(RuntimeError, "only Tensors of floating point dtype can require gradients"):
        i.requires_grad_()
    with raises_exact(
        RuntimeError, "only Tensors of floating point and complex dtype can require gradients"
    ):
        i.requires_grad = True
    assert not i.requires_grad
    i.requires_grad_(False)  # allowed
    with raises_exact(RuntimeError, "only Tensors of floating point dtype can require gradients"):
        pt.tensor([True]).requires_grad_()


# ----------------------------------------------------------------------------
# zero-size and 0-d tensors
# ----------------------------------------------------------------------------


def test_zero_size(pt):
    z = pt.zeros(2, 0)
    assert z.shape == (2, 0)
    assert z.numel() == 0
    assert len(z) == 2
    s = z.sum()
    assert s.shape == () and s.item() == 0.0
    assert z.sum(0).shape == (0,)
    assert z.sum(1).tolist() == [0.0, 0.0]
    assert np.isnan(z.mean().item())
    assert (z + 1).shape == (2, 0)
    assert (z * pt.ones(2, 1)).shape == (2, 0)
    assert pt.zeros(0, 3).reshape(3, 0).shape == (3, 0)


def test_zero_size_grad(pt):
    x = pt.zeros(2, 0, requires_grad=True)
    (g,) = pt.autograd.grad(x.sum(), x)
    assert g.shape == (2, 0)
    (g,) = pt.autograd.grad((x * x).sum(1).sum(), x)
    assert g.shape == (2, 0)
    w = pt.ones(3, 0, requires_grad=True)
    v = pt.ones(0, 2, requires_grad=True)
    gw, gv = pt.autograd.grad((w @ v).sum(), (w, v))
    assert gw.shape == (3, 0) and gv.shape == (0, 2)
    assert (w @ v).tolist() == [[0.0, 0.0]] * 3


def test_zero_d(pt):
    x = pt.tensor(3.0, requires_grad=True)
    y = x * x
    assert y.shape == ()
    assert y.item() == 9.0
    (g,) = pt.autograd.grad(y, x)
    assert g.shape == () and g.item() == 6.0
    z = x + pt.ones(2, 3)
    assert z.shape == (2, 3)
    (g,) = pt.autograd.grad(z.sum(), x)
    assert g.shape == () and g.item() == 6.0
    assert x.reshape(1, 1).shape == (1, 1)
    assert x.unsqueeze(0).shape == (1,)
    assert pt.tensor([5.0]).squeeze().shape == ()


# ----------------------------------------------------------------------------
# repr
# ----------------------------------------------------------------------------


REPR_CASES = [
    (lambda pt: pt.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda pt: pt.tensor([1.0, 2.0], dtype=pt.float64), "tensor([1., 2.], dtype=pyad.float64)"),
    (lambda pt: pt.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (
        lambda pt: pt.tensor([1.0, 2.0], dtype=pt.float64, requires_grad=True),
        "tensor([1., 2.], dtype=pyad.float64, requires_grad=True)",
    ),
    (
        lambda pt: pt.tensor([1.0, 2.0], requires_grad=True).sum(),
        "tensor(3., grad_fn=<SumBackward0>)",
    ),
    (
        lambda pt: pt.tensor([1.0, 2.0], dtype=pt.float64, requires_grad=True).sum(),
        "tensor(3., dtype=pyad.float64, grad_fn=<SumBackward0>)",
    ),
    (
        lambda pt: pt.tensor([1.0, 2.0], dtype=pt.float64, requires_grad=True) * 2,
        "tensor([2., 4.], dtype=pyad.float64, grad_fn=<MulBackward0>)",
    ),
    (lambda pt: pt.tensor(3.0, requires_grad=True), "tensor(3., requires_grad=True)"),
    (lambda pt: pt.tensor(3.5), "tensor(3.5000)"),
    (lambda pt: pt.tensor([1, 2]), "tensor([1, 2])"),
    (lambda pt: pt.tensor([True, False]), "tensor([ True, False])"),
    (lambda pt: pt.zeros(2, 3), "tensor([[0., 0., 0.],\n        [0., 0., 0.]])"),
    (
        lambda pt: pt.tensor([[1.5, -2.0], [3.0, 4.25]]),
        "tensor([[ 1.5000, -2.0000],\n        [ 3.0000,  4.2500]])",
    ),
    (lambda pt: pt.zeros(2, 0), "tensor([], size=(2, 0))"),
    (lambda pt: pt.zeros(0), "tensor([])"),
    (lambda pt: pt.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (
        lambda pt: pt.tensor([[0.5, 1.5]], requires_grad=True).t(),
        "tensor([[0.5000],\n        [1.5000]], grad_fn=<TBackward0>)",
    ),
]


@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_literal(pt, case):
    build, expected = REPR_CASES[case]
    t = build(pt)
    assert repr(t) == sub(expected)
    assert str(t) == sub(expected)


def test_repr_no_grad_has_no_suffix(pt):
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    with pt.no_grad():
        y = x * 2
    assert repr(y) == "tensor([2., 4.])"
    assert repr(x.detach()) == "tensor([1., 2.])"
