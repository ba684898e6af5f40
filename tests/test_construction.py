"""Every way Python can make a Tensor gives one with storage (issue 13, family 1).

torch's legacy constructor (``Tensor(*sizes)``, ``Tensor(data)``, ``Tensor()``), the typed
constructors, ``Tensor.__new__``, subclasses, ``_make_subclass``, pickling and copying of
subclass instances; each result is printed and used, so a storage-less tensor would crash.
"""
import copy
import pickle

import numpy as np
import pytest

from conftest import AGAINST_TORCH, load_module, raises_exact



def _torch():
    return pytest.importorskip("torch")


def _use(t):
    """Print and compute with t: a tensor without storage would crash here."""
    repr(t)
    (t * 1).sum()
    t.clone()
    np.asarray(t.detach())
    return t


# evaluated with T = the Tensor type; UNINITIALISED ones are compared by dtype and shape only
UNINITIALISED = {"T(2, 3)", "T(3)", "T(0)", "T(2, 0, 3)",
                 "mod.Size([2, 3]) and T(mod.Size([2, 3]))", "T(np.int64(3))", "T(size=(2,))"}
LEGACY_CASES = [
    "T()", "T(2, 3)", "T([-4.0])", "T((2, 3))", "T(3)", "T(0)", "T(2, 0, 3)",
    "mod.Size([2, 3]) and T(mod.Size([2, 3]))", "T(np.array([1, 2]))", "T(np.array(2.0))",
    "T(mod.tensor([1., 2.]))", "T(mod.tensor([1, 2]))", "T(mod.tensor(2.0))",
    "T(device='cpu')", "T([1.5], device='cpu')", "T(np.int64(3))", "T(size=(2,))",
    "T([[1, 2], [3, 4]])", "T([True, False])",
]

LEGACY_ERRORS = [
    ("T(-1)", RuntimeError), ("T(2.5)", TypeError), ("T(True)", TypeError),
    ("T('ab')", TypeError), ("T(2, [3])", TypeError), ("T([1, 2], [3])", TypeError),
    ("T(2, 3, dtype=mod.float64)", TypeError), ("T([1.], requires_grad=True)", TypeError),
    ("T([1.], device='cuda')", RuntimeError), ("T(np.float64(2.5))", TypeError),
    ("T([[1, 2], [3]])", ValueError),
]


def _raises(exc, message, fn, *args, **kwargs):
    with raises_exact(exc, message):
        fn(*args, **kwargs)


def _eval(expr, mod):
    return eval(expr, {"T": mod.Tensor, "mod": mod, "np": np})  # noqa: S307


@pytest.mark.parametrize("expr", LEGACY_CASES)
def test_legacy_constructor_matches_torch(pt, expr):
    got = _use(_eval(expr, pt))
    assert type(got) is pt.Tensor
    want = _eval(expr, _torch())
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert tuple(got.shape) == tuple(want.shape)
    assert got.requires_grad is False and got.is_leaf
    if expr not in UNINITIALISED:
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("expr,exc", LEGACY_ERRORS)
def test_legacy_constructor_errors_match_torch(pt, expr, exc):
    with pytest.raises(exc):
        _eval(expr, pt)
    with pytest.raises(exc):
        _eval(expr, _torch())


def test_legacy_messages(pt):
    _raises(RuntimeError, "Trying to create tensor with negative dimension -1: [-1]",
                 pt.Tensor, -1)
    _raises(TypeError, "new(): data must be a sequence (got float)", pt.Tensor, 2.5)
    _raises(TypeError, "new(): invalid data type 'str'", pt.Tensor, "ab")
    _raises(RuntimeError, "legacy constructor expects device type: cpu but device type: "
                 "cuda was passed", pt.Tensor, [1.0], device="cuda")


def test_micrograd_style_double(pt):
    x = pt.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.item() == -20.0 and x.grad.item() == 46.0


def test_tensor_new_from_python_has_storage(pt):
    t = _use(pt.Tensor.__new__(pt.Tensor))
    assert t.shape == (0,) and t.dtype == pt.float32


def test_tensor_alias_shares_memory(pt):
    a = pt.tensor([1.0, 2.0])
    b = pt.Tensor(a)
    b[0] = 5.0
    assert a[0].item() == 5.0


@pytest.mark.parametrize("name,dtype", [("FloatTensor", "float32"), ("DoubleTensor", "float64"),
                                        ("LongTensor", "int64"), ("BoolTensor", "bool")])
def test_typed_constructors(pt, name, dtype):
    cls = getattr(pt, name)
    tcls = getattr(_torch(), name)
    for args in [([1.7, 0.0, 2.0],), (2, 3), (), ([[1, 0], [0, 1]],)]:
        got, want = _use(cls(*args)), tcls(*args)
        assert str(got.dtype).endswith(dtype) and tuple(got.shape) == tuple(want.shape)
        if args and isinstance(args[0], list):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert isinstance(pt.zeros(2, dtype=getattr(pt, dtype)), cls)
    assert not isinstance(pt.zeros(2, dtype=pt.float64 if dtype != "float64" else pt.float32),
                          cls)
    assert not issubclass(cls, pt.Tensor)
    assert pt.zeros(2, dtype=getattr(pt, dtype)).type() == f"{pt.__name__}.{name}"
    assert pt.zeros(2).type(cls).dtype == getattr(pt, dtype)
    other = pt.zeros(2, dtype=pt.float64 if dtype != "float64" else pt.float32)
    with pytest.raises(TypeError):
        cls(other)


def test_type_by_name(pt):
    assert pt.zeros(2).type("torch.DoubleTensor").dtype == pt.float64
    with pytest.raises(ValueError):
        pt.zeros(2).type("torch.HalfTensorX")


class MyTensor(load_module().Tensor):
    pass


class WithInit(load_module().Tensor):
    def __new__(cls, data, tag=None):     # torch's Tensor.__new__ takes no extra arguments
        return super().__new__(cls, data)

    def __init__(self, data, tag=None):
        self.tag = tag


class WithNew(load_module().Tensor):
    def __new__(cls, data):
        return super().__new__(cls, data)


def test_subclasses(pt):
    m = _use(MyTensor([1.0, 2.0]))
    assert type(m) is MyTensor and repr(m) == "MyTensor([1., 2.])"
    if not AGAINST_TORCH:   # torch's __torch_function__ keeps the subclass; pyad does not
        assert type(m + 1) is pt.Tensor
    w = _use(WithNew([3.0]))
    assert type(w) is WithNew and w.item() == 3.0
    s = _use(MyTensor(2, 3))
    assert s.shape == (2, 3)
    assert _use(MyTensor.__new__(MyTensor)).shape == (0,)
    m.requires_grad_()
    (m * m).sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), [2.0, 4.0])


@pytest.mark.skipif(AGAINST_TORCH, reason="torch's deepcopy refuses such a subclass")
def test_subclass_with_init_and_attributes_survive_pickle_and_copy(pt):
    w = WithInit([1.0, 2.0], tag="x")
    w.extra = [1, 2]
    for clone in (pickle.loads(pickle.dumps(w)), copy.deepcopy(w), copy.copy(w)):
        _use(clone)
        assert type(clone) is WithInit and clone.tag == "x" and clone.extra == [1, 2]
        np.testing.assert_array_equal(clone.numpy(), [1.0, 2.0])
    deep = copy.deepcopy(w)
    assert deep.extra is not w.extra


def test_make_subclass(pt):
    base = pt.ones(2, requires_grad=True) * 3
    p = _use(pt.Tensor._make_subclass(MyTensor, base, True))
    assert type(p) is MyTensor and p.is_leaf and p.requires_grad and p.grad_fn is None
    p.detach()[0] = 7.0   # shares base's memory
    assert base[0].item() == 7.0
    _raises(TypeError, "Creating a Tensor subclass from a class that does not inherit from "
                 "Tensor is not possible. Make sure your class inherits from Tensor.",
                 pt.Tensor._make_subclass, int, base)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        pt.Tensor._make_subclass(MyTensor, [1.0])
    _raises(RuntimeError, "Only Tensors of floating point and complex dtype can require "
                 "gradients", pt.Tensor._make_subclass, MyTensor, pt.tensor([1]), True)


def test_grad_fn_types_cannot_be_made_from_python(pt):
    y = (pt.ones(2, requires_grad=True) * 2).sum()
    with pytest.raises(TypeError, match="cannot create 'SumBackward0' instances"):
        type(y.grad_fn)()
    with pytest.raises(TypeError):
        type(y.grad_fn).__new__(type(y.grad_fn))


def test_other_extension_types_from_python_do_not_crash(pt):
    from pyad import _C
    for name in dir(_C):
        cls = getattr(_C, name)
        if not isinstance(cls, type) or issubclass(cls, BaseException):
            continue
        try:
            obj = cls.__new__(cls)
        except TypeError:
            continue
        for attr in dir(obj):
            if attr.startswith("__") and attr not in ("__repr__", "__len__"):
                continue
            try:
                value = getattr(obj, attr)
                if callable(value) and attr in ("__repr__", "name", "numel", "dim", "tolist"):
                    value()
            except Exception:
                pass
        try:
            np.asarray(obj)
        except Exception:
            pass


def test_non_leaf_refused_across_processes(pt):
    from multiprocessing.reduction import ForkingPickler
    y = pt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(y)
    ForkingPickler.dumps(y.detach())
    assert pickle.loads(pickle.dumps(y)).requires_grad   # plain pickle: a leaf, as torch
