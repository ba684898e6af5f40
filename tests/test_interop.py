"""Interop: numpy (shared memory, __array_interface__, numpy operands on either side), DLPack
(export/import with numpy and torch, capsule lifetime), pickle/copy/deepcopy (with tampered
payloads) and the type stubs of pyad._C. Messages and behaviour are torch 2.13's where torch
has them; torch is only needed by the tests that compare with it."""
import ast
import copy
import gc
import importlib.util
import pickle
import subprocess
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest

import pyad
from conftest import raises_exact

NO_GRAD_NUMPY = ("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                 "instead.")
NO_GRAD_DLPACK = "Can't export tensors that require gradient, use tensor.detach()"
INVALID_CAPSULE = ("from_dlpack received an invalid capsule. Note that DLTensor capsules can be "
                   "consumed only once, so you might have already constructed a tensor from it "
                   "once.")
DEEPCOPY_NONLEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
    "the moment.  If you were attempting to deepcopy a module, this may be because of a "
    "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")

DTYPES = [(pyad.float32, np.float32), (pyad.float64, np.float64), (pyad.int64, np.int64),
          (pyad.bool, np.bool_)]
RNG = np.random.default_rng(11)
# What numpy itself can exchange over DLPack (the declared floor is numpy 1.23): bool from 1.25,
# read-only arrays from 2.0 (before, ndarray.__dlpack__ raises TypeError for them, whoever asks)
NUMPY = np.lib.NumpyVersion(np.__version__)
NUMPY_DLPACK_BOOL = NUMPY >= "1.25.0"
NUMPY_DLPACK_READ_ONLY = NUMPY >= "2.0.0"


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _sample(np_dtype, shape):
    if np_dtype == np.bool_:
        return RNG.random(shape) > 0.5
    return (RNG.standard_normal(shape) * 10).astype(np_dtype)


def _tdtype(torch, np_dtype):
    return {np.float32: torch.float32, np.float64: torch.float64, np.int64: torch.int64,
            np.bool_: torch.bool}[np_dtype]


# ============================================================================================
# numpy
# ============================================================================================
def test_numpy_and_from_numpy_share_memory_both_ways():
    t = pyad.tensor([1.0, 2.0, 3.0])
    a = t.numpy()
    a[0] = 10.0
    assert t[0].item() == 10.0
    t.add_(1.0)
    np.testing.assert_array_equal(a, [11.0, 3.0, 4.0])

    arr = np.arange(6, dtype=np.float64).reshape(2, 3)
    u = pyad.from_numpy(arr)
    arr[1, 2] = -7.0
    assert u[1, 2].item() == -7.0
    u.mul_(2.0)
    expected = np.arange(6.0).reshape(2, 3)
    expected[1, 2] = -7.0
    np.testing.assert_array_equal(arr, expected * 2)


@pytest.mark.parametrize("dt,npdt", DTYPES, ids=lambda d: str(d))
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 3), (2, 3, 4)])
def test_array_interface_shares_memory(dt, npdt, shape):
    src = _sample(npdt, shape)
    t = pyad.tensor(src, dtype=dt)
    iface = t.__array_interface__
    assert iface["version"] == 3
    assert iface["shape"] == shape
    assert iface["typestr"] == np.dtype(npdt).str
    a = np.asarray(t)
    assert a.dtype == npdt and a.shape == shape
    np.testing.assert_array_equal(a, src)
    if a.size:
        idx = (0,) * len(shape)
        a[idx] = not a[idx] if npdt == np.bool_ else a[idx] + 5
        assert t[idx].item() == a[idx].item()       # np.asarray(t) did not copy


def test_array_interface_outlives_the_tensor_and_its_buffer_swap():
    t = pyad.arange(5, dtype=pyad.float64)
    a = np.asarray(t)
    t.data = pyad.zeros(5, dtype=pyad.float64)   # t no longer holds that memory
    del t
    gc.collect()
    pyad.ones(5, dtype=pyad.float64) * 3           # reuse freed blocks, if any were freed
    np.testing.assert_array_equal(a, np.arange(5.0))


def test_numpy_refuses_tensors_requiring_grad_like_torch(torch):
    for m in (pyad, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        with raises_exact(RuntimeError, NO_GRAD_NUMPY):
            np.asarray(x)
        with raises_exact(RuntimeError, NO_GRAD_NUMPY):
            np.sin(x)
    with raises_exact(RuntimeError, NO_GRAD_NUMPY):
        pyad.tensor([1.0], requires_grad=True).__array_interface__  # noqa: B018
    np.testing.assert_array_equal(np.asarray(pyad.tensor([1.0, 2.0], requires_grad=True).detach()),
                                  [1.0, 2.0])


def test_numpy_scalars_and_0d_arrays_as_operands(torch):
    t = pyad.tensor([1.0, 2.0])
    tt = torch.tensor([1.0, 2.0])
    for f in (lambda x: x * np.float64(2), lambda x: np.float64(2) * x,
              lambda x: x + np.float32(1.5), lambda x: np.int64(3) - x,
              lambda x: x / np.float64(4), lambda x: np.float64(2) ** x):
        r, rt = f(t), f(tt)
        assert isinstance(r, pyad.Tensor)
        assert str(r.dtype).split(".")[1] == str(rt.dtype).split(".")[1]
        np.testing.assert_allclose(r.numpy(), rt.numpy(), rtol=1e-6)
    # a 0-d array is a 0-d tensor operand (torch's tensor promotion: the float32 tensor wins)
    for f in (lambda x: x * np.array(2.0), lambda x: np.array(2.0) * x):
        r = f(t)
        assert isinstance(r, pyad.Tensor) and r.dtype == pyad.float32
        np.testing.assert_array_equal(r.numpy(), [2.0, 4.0])


BINOPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b, "pow": lambda a, b: a ** b, "matmul": lambda a, b: a @ b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b,
}


@pytest.mark.parametrize("op", list(BINOPS))
def test_ndarray_on_the_left_gives_a_tensor(op):
    f = BINOPS[op]
    a = np.array([1.5, -2.0, 3.0])
    b = np.array([0.5, 4.0, 2.0])
    r = f(a, pyad.tensor(b, dtype=pyad.float64))
    assert isinstance(r, pyad.Tensor)
    np.testing.assert_allclose(np.asarray(r), f(a, b), rtol=1e-12)
    r2 = f(pyad.tensor(a, dtype=pyad.float64), b)       # and on the right, as before
    assert isinstance(r2, pyad.Tensor)
    np.testing.assert_allclose(np.asarray(r2), f(a, b), rtol=1e-12)


def test_ndarray_on_the_left_is_differentiable():
    x = pyad.tensor([1.0, 2.0, 3.0], dtype=pyad.float64, requires_grad=True)
    w = np.array([2.0, -1.0, 0.5])
    y = w * x
    assert type(y.grad_fn).__name__ == "MulBackward0"
    (g,) = pyad.autograd.grad((np.ones(3) - y * y).sum(), x)
    np.testing.assert_allclose(g.numpy(), -2 * w * w * np.array([1.0, 2.0, 3.0]))


def test_inplace_ndarray_op_rebinds_to_a_tensor():
    # numpy defers its in-place operator too, so `a += t` is `a = a + t` (torch 2.13 raises a
    # TypeError here: its reflected operators refuse ndarrays); the array is left unchanged
    a = np.ones(3, dtype=np.float32)
    alias = a
    a += pyad.tensor([1.0, 2.0, 3.0])
    assert isinstance(a, pyad.Tensor)
    np.testing.assert_array_equal(a.numpy(), [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(alias, [1.0, 1.0, 1.0])


@pytest.mark.filterwarnings("ignore:__array_wrap__ must accept context:DeprecationWarning")
def test_ufuncs_on_tensors_give_tensors_like_torch(torch):
    for m in (pyad, torch):
        s = np.sin(m.tensor([0.0, 1.0]))              # ufuncs hand back the library's tensor
        assert isinstance(s, m.Tensor)
        assert str(s.dtype).endswith("float32")
        np.testing.assert_allclose(s.numpy(), np.sin(np.array([0.0, 1.0], np.float32)))
        assert isinstance(np.add(np.ones(2), m.tensor([1.0, 2.0])), m.Tensor)
        z = np.exp(m.tensor(0.0, dtype=m.float64))           # 0-d: a 0-d tensor, not a scalar
        assert isinstance(z, m.Tensor) and z.shape == () and z.item() == 1.0
        b = np.isnan(m.tensor([0.0, float("nan")]))
        assert isinstance(b, m.Tensor) and b.tolist() == [False, True]


# ============================================================================================
# DLPack
# ============================================================================================
def test_dlpack_device_matches_torch(torch):
    assert pyad.zeros(2).__dlpack_device__() == (1, 0)
    assert pyad.zeros(2).__dlpack_device__() == tuple(torch.zeros(2).__dlpack_device__())


@pytest.mark.parametrize("dt,npdt", DTYPES, ids=lambda d: str(d))
@pytest.mark.parametrize("shape", [(), (0,), (4,), (2, 3), (2, 1, 3)])
def test_dlpack_numpy_both_ways_without_copy(dt, npdt, shape):
    if npdt == np.bool_ and not NUMPY_DLPACK_BOOL:
        pytest.skip(f"numpy {np.__version__} has no bool in DLPack")
    src = _sample(npdt, shape)
    t = pyad.tensor(src, dtype=dt)
    a = np.from_dlpack(t)
    assert a.dtype == npdt and a.shape == shape
    np.testing.assert_array_equal(a, src)
    b = np.array(_sample(npdt, shape))
    u = pyad.from_dlpack(b)
    assert u.dtype == dt and tuple(u.shape) == shape
    np.testing.assert_array_equal(np.asarray(u), b)
    if src.size:
        i = (0,) * len(shape)
        t[i] = 1                                       # pyad -> numpy
        assert a[i] == 1
        b[i] = 0                                       # numpy -> pyad
        assert u[i].item() == 0


@pytest.mark.parametrize("dt,npdt", DTYPES, ids=lambda d: str(d))
@pytest.mark.parametrize("shape", [(), (0, 2), (5,), (2, 3)])
def test_dlpack_torch_both_ways_without_copy(torch, dt, npdt, shape):
    src = _sample(npdt, shape)
    t = pyad.tensor(src, dtype=dt)
    x = torch.from_dlpack(t)
    assert x.dtype == _tdtype(torch, npdt) and tuple(x.shape) == shape
    np.testing.assert_array_equal(x.numpy(), src)
    y = torch.tensor(_sample(npdt, shape))
    u = pyad.from_dlpack(y)
    assert u.dtype == dt and tuple(u.shape) == shape
    np.testing.assert_array_equal(np.asarray(u), y.numpy())
    if src.size:
        i = (0,) * len(shape)
        x[i] = 1                                       # torch -> pyad
        assert t[i].item() == 1
        u[i] = 0                                       # pyad -> torch
        assert y[i].item() == 0


def test_dlpack_capsules_versions_and_consumption(torch):
    t = pyad.tensor([1.0, 2.0])
    assert 'capsule object "dltensor"' in repr(t.__dlpack__())
    assert 'capsule object "dltensor_versioned"' in repr(t.__dlpack__(max_version=(1, 0)))
    assert 'capsule object "dltensor"' in repr(t.__dlpack__(max_version=(0, 8)))
    for m in (pyad, torch):
        for cap in (t.__dlpack__(), t.__dlpack__(max_version=(1, 0))):
            r = m.from_dlpack(cap)
            np.testing.assert_array_equal(r.numpy(), [1.0, 2.0])
            assert "used_dltensor" in repr(cap)
            with raises_exact(RuntimeError, INVALID_CAPSULE):
                m.from_dlpack(cap)
        with raises_exact(RuntimeError, INVALID_CAPSULE):
            m.from_dlpack([1, 2])
    # a torch capsule read by pyad
    v = torch.arange(3.0)
    u = pyad.from_dlpack(torch.utils.dlpack.to_dlpack(v))
    u[1] = 9.0
    assert v[1].item() == 9.0


def test_dlpack_refuses_tensors_requiring_grad_like_torch(torch):
    for m in (pyad, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        for y in (x, x * 2):
            with raises_exact(BufferError, NO_GRAD_DLPACK):
                y.__dlpack__()
            with raises_exact(BufferError, NO_GRAD_DLPACK):
                np.from_dlpack(y)
            for consumer in (pyad, torch):
                with raises_exact(BufferError, NO_GRAD_DLPACK):
                    consumer.from_dlpack(y)
        np.testing.assert_array_equal(np.from_dlpack(x.detach()), [1.0, 2.0])


def test_dlpack_stream_argument_like_torch(torch):
    for m in (pyad, torch):
        t = m.zeros(2)
        t.__dlpack__(stream=None)
        t.__dlpack__(stream=-1)
        with raises_exact(AssertionError, "stream should be None on cpu."):
            t.__dlpack__(stream=1)
        with raises_exact(TypeError, "stream must be ``int`` or ``none``"):
            t.__dlpack__(stream="s")
    with pytest.raises(BufferError, match="CPU"):
        pyad.zeros(2).__dlpack__(dl_device=(2, 0))
    assert "dltensor" in repr(pyad.zeros(2).__dlpack__(dl_device=(1, 0)))


def test_dlpack_copy_true_exports_and_imports_copies(torch):
    t = pyad.tensor([1.0, 2.0, 3.0])
    a = np.from_dlpack(t, copy=True)
    a[0] = 100.0
    assert t[0].item() == 1.0
    b = np.arange(3.0)
    u = pyad.from_dlpack(b, copy=True)
    b[0] = 50.0
    assert u[0].item() == 0.0
    x = torch.from_dlpack(t, copy=True)
    x[1] = -1.0
    assert t[1].item() == 2.0


@pytest.mark.parametrize("make", [
    lambda: np.arange(6.0).reshape(2, 3).T,
    lambda: np.arange(12, dtype=np.int64)[::3],
    lambda: np.broadcast_to(np.arange(3.0), (2, 3)),
    lambda: np.asfortranarray(np.arange(6.0, dtype=np.float32).reshape(2, 3)),
])
def test_dlpack_non_contiguous_imports_raise_unless_copy(make):
    src = make()
    if not src.flags.writeable and not NUMPY_DLPACK_READ_ONLY:
        pytest.skip(f"numpy {np.__version__} exports no read-only array over DLPack")
    with pytest.raises(BufferError, match="not C-contiguous.*copy=True"):
        pyad.from_dlpack(src)
    with pytest.raises(BufferError, match="not C-contiguous"):
        pyad.from_dlpack(src, copy=False)
    u = pyad.from_dlpack(src, copy=True)
    np.testing.assert_array_equal(np.asarray(u), src)
    assert not np.shares_memory(np.asarray(u), src)


def test_dlpack_non_contiguous_torch_import_raises_unless_copy(torch):
    src = torch.arange(12.0).reshape(3, 4)[:, 1:3]
    with pytest.raises(BufferError, match="not C-contiguous"):
        pyad.from_dlpack(src)
    np.testing.assert_array_equal(pyad.from_dlpack(src, copy=True).numpy(), src.numpy())
    # size-1 dims may have any stride: still compact
    col = torch.arange(4.0).reshape(4, 1)[:, :1]
    np.testing.assert_array_equal(pyad.from_dlpack(col).numpy(), col.numpy())


def test_dlpack_read_only_and_unsupported_dtypes():
    ro = np.arange(3.0)
    ro.flags.writeable = False
    if NUMPY_DLPACK_READ_ONLY:
        with pytest.raises(BufferError, match="read-only"):
            pyad.from_dlpack(ro)
        u = pyad.from_dlpack(ro, copy=True)
        u[0] = 5.0
        assert ro[0] == 0.0
    else:   # numpy's own refusal reaches the caller, as with torch.from_dlpack
        with pytest.raises((TypeError, BufferError), match="writeable|readonly"):
            pyad.from_dlpack(ro, copy=True)
    for npdt, name in [(np.int32, "int32"), (np.float16, "float16"), (np.uint8, "uint8"),
                       (np.complex128, "complex128")]:
        with pytest.raises(TypeError, match=f"unsupported dtype {name}"):
            pyad.from_dlpack(np.zeros(2, dtype=npdt))
    with pytest.raises(BufferError, match="CPU"):
        pyad.from_dlpack(np.zeros(2), device="cuda")
    np.testing.assert_array_equal(pyad.from_dlpack(np.ones(2), device="cpu").numpy(), [1, 1])


def _weakly_held(make=lambda: np.arange(5.0)):
    """A fresh array and a weak reference to it. The lifetime tests follow the array through
    weak references rather than sys.getrefcount deltas: those depend on how the interpreter
    counts references to locals (CPython 3.14 borrows them on the stack)."""
    a = make()
    return a, weakref.ref(a)


def _freed(ref):
    gc.collect()
    return ref() is None


@pytest.mark.slow
def test_dlpack_lifetimes_release_every_reference():
    a, ref = _weakly_held()
    t = pyad.from_numpy(a)                  # the Buffer holds a
    del a
    assert not _freed(ref)
    cap = t.__dlpack__()                    # the capsule holds the Buffer
    del t
    assert not _freed(ref)
    del cap                                 # never consumed: its destructor frees it
    assert _freed(ref)
    a, ref = _weakly_held()
    t = pyad.from_numpy(a)
    del a
    n = np.from_dlpack(t)                   # numpy holds the Buffer through the capsule
    del t
    assert not _freed(ref)
    np.testing.assert_array_equal(n, np.arange(5.0))
    del n
    assert _freed(ref)
    # import: the tensor holds numpy's managed tensor, which holds a
    a, ref = _weakly_held()
    u = pyad.from_dlpack(a)
    del a
    assert not _freed(ref)
    v = u.reshape(5, 1)                      # views share the same Buffer
    del u
    assert v[4, 0].item() == 4.0
    del v
    assert _freed(ref)
    # a failed import (non-contiguous) leaves the producer's capsule to its own destructor
    bt, ref = _weakly_held(lambda: np.arange(6.0).reshape(2, 3).T)
    with pytest.raises(BufferError):
        pyad.from_dlpack(bt)
    del bt
    assert _freed(ref)


def test_dlpack_torch_lifetime(torch):
    x = torch.arange(4.0)
    u = pyad.from_dlpack(x)
    del x
    gc.collect()
    np.testing.assert_array_equal(u.numpy(), [0.0, 1.0, 2.0, 3.0])
    t = pyad.arange(4, dtype=pyad.float64)
    y = torch.from_dlpack(t)
    del t
    gc.collect()
    assert y.sum().item() == 6.0
    a, ref = _weakly_held(lambda: np.arange(3.0))
    z = torch.from_dlpack(pyad.from_numpy(a))
    del a
    assert not _freed(ref)
    assert z.sum().item() == 3.0
    del z
    assert _freed(ref)


def test_dlpack_imported_tensor_does_autograd():
    x = pyad.from_dlpack(np.array([1.0, 2.0])).requires_grad_()
    assert x.is_leaf and x.requires_grad
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


# ============================================================================================
# pickle, copy, deepcopy
# ============================================================================================
@pytest.mark.parametrize("dt,npdt", DTYPES, ids=lambda d: str(d))
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 1), (2, 3, 4)])
@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_round_trip(dt, npdt, shape, protocol):
    src = _sample(npdt, shape)
    t = pyad.tensor(src, dtype=dt)
    r = pickle.loads(pickle.dumps(t, protocol=protocol))
    assert r.dtype == dt and r.shape == t.shape and isinstance(r.shape, pyad.Size)
    np.testing.assert_array_equal(r.numpy(), src)
    assert not np.shares_memory(r.numpy(), t.numpy())
    assert r.is_leaf and not r.requires_grad


def test_pickle_autograd_state_like_torch(torch):
    for m in (pyad, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        x.grad = m.ones(2)
        r = pickle.loads(pickle.dumps(x))
        assert r.requires_grad and r.is_leaf and r.grad is None    # .grad is not pickled
        y = pickle.loads(pickle.dumps(x * 2))                          # a non-leaf: a new leaf
        assert y.requires_grad and y.is_leaf and y.grad_fn is None
        np.testing.assert_array_equal(y.detach().numpy(), [2.0, 4.0])
        z = pickle.loads(pickle.dumps([x, {"k": x.detach()}]))
        assert z[0].requires_grad and not z[1]["k"].requires_grad


def _rebuild_args(t):
    fn, args = t.__reduce_ex__(4)
    assert fn is pyad._C._rebuild_tensor
    return fn, list(args)


def test_reduce_tuple_is_validated_on_load():
    fn, args = _rebuild_args(pyad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert fn(*args).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    huge = 2**62

    def bad(i, value, exc=ValueError, match=None):
        a = list(args)
        a[i] = value
        with pytest.raises(exc, match=match):
            fn(*a)

    bad(0, args[0][:-1], match="expected 16 bytes of data, got 15")
    bad(0, args[0] + b"\0", match="expected 16 bytes of data, got 17")
    bad(0, b"", match="expected 16 bytes")
    bad(0, "abcdefghijklmnop", match="data must be bytes")
    bad(0, [0] * 16, match="data must be bytes")
    bad(1, "float16", match="dtype 'float16'")
    bad(1, "float64", match="expected 32 bytes of data, got 16")   # same bytes, wider dtype
    bad(1, pyad.float32, match="dtype")
    bad(1, None, match="dtype")
    bad(2, (2, 3), match="expected 24 bytes")
    bad(2, (2, -2), match="shape")
    bad(2, (-1, -4), match="shape")
    bad(2, (2, 2.0), match="shape")
    bad(2, (True, 4), match="shape")
    bad(2, [2, 2], match="shape must be a tuple")
    bad(2, (1,) * 17, match="17 dimensions")
    bad(2, (huge, huge), match="too large")
    bad(2, (huge, 4, 0), match="too large")  # the running product overflows first, as torch
    bad(2, (huge, 0), match="expected 0 bytes")             # a zero dim: 0 elements
    bad(2, (2**70,), match="shape")
    bad(3, 1, match="requires_grad must be a bool")
    bad(3, None, match="requires_grad must be a bool")
    # the same number of bytes read as another layout is fine (16 bytes, 4 float32s)
    assert fn(args[0], "float32", (4,), False).tolist() == [1.0, 2.0, 3.0, 4.0]

    fn, args = _rebuild_args(pyad.tensor([3, 4]))
    with raises_exact(RuntimeError, "only Tensors of floating point and complex dtype can "
                                    "require gradients"):
        fn(args[0], args[1], args[2], True)
    fn, args = _rebuild_args(pyad.tensor([True, False, True]))
    with pytest.raises(ValueError, match="bool tensor holding the byte 2"):
        fn(b"\x01\x02\x00", "bool", (3,), False)
    assert fn(b"\x01\x00\x00", "bool", (3,), False).tolist() == [True, False, False]


def test_mutated_pickle_bytes_raise_or_load_consistently():
    t = pyad.tensor([1.5, -2.0, 3.25])
    data = pickle.dumps(t, protocol=4)
    assert b"float32" in data and b"K\x03\x85" in data      # dtype name and shape (3,)
    with pytest.raises(ValueError, match="expected 16 bytes of data, got 12"):
        pickle.loads(data.replace(b"K\x03\x85", b"K\x04\x85"))
    with pytest.raises(ValueError, match="expected 24 bytes of data, got 12"):
        pickle.loads(data.replace(b"float32", b"float64"))
    with pytest.raises(ValueError, match="dtype 'float33'"):
        pickle.loads(data.replace(b"float32", b"float33"))
    # every single-byte mutation of the reconstructor's arguments (what follows the global
    # lookup; mutating the opcodes before it only exercises pickle itself, some of whose memo
    # opcodes allocate gigabytes) either fails cleanly or gives a self-consistent tensor
    loaded = 0
    for i in range(data.index(b"\x93") + 1, len(data)):
        for v in {0, 1, 0x7F, 0xFF, data[i] ^ 1}:
            mutated = data[:i] + bytes([v]) + data[i + 1:]
            try:
                r = pickle.loads(mutated)
            except Exception:
                continue
            if isinstance(r, pyad.Tensor):
                loaded += 1
                assert r.detach().numpy().nbytes == r.numel() * r.dtype.itemsize
                r.tolist()
    assert loaded > 0     # the mutations of the float payload itself load


def test_deepcopy_like_torch(torch):
    for m in (pyad, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        x.grad = m.tensor([0.5, 0.25])
        d = copy.deepcopy(x)
        assert d is not x and d.requires_grad and d.is_leaf
        assert d.grad is not x.grad
        np.testing.assert_array_equal(d.grad.numpy(), [0.5, 0.25])
        with m.no_grad():
            d.mul_(3.0)
        np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])
        # memo: the same tensor twice, and tensors sharing memory, keep that structure
        a = m.arange(6.0)
        v = a.view(2, 3)
        c = copy.deepcopy({"a": a, "again": a, "v": v})
        assert c["a"] is c["again"]
        c["a"][0] = 42.0
        assert c["v"][0, 0].item() == 42.0 and a[0].item() == 0.0
        assert c["v"].shape == (2, 3)
        # non-leaves refuse
        with raises_exact(RuntimeError, DEEPCOPY_NONLEAF):
            copy.deepcopy(x * 2)
        with m.no_grad():
            w = x * 2
        assert not copy.deepcopy(w).requires_grad


def test_copy_like_torch(torch):
    for m in (pyad, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        x.grad = m.ones(2)
        c = copy.copy(x)
        assert c is not x and c.requires_grad and c.is_leaf and c.grad is None
        with m.no_grad():
            c[0] = 7.0                                 # shares memory
        assert x[0].item() == 7.0
        y = x * 2
        cy = copy.copy(y)
        assert cy.is_leaf and cy.requires_grad and cy.grad_fn is None
        i = m.tensor([1, 2])
        ci = copy.copy(i)
        assert ci.dtype == i.dtype and not ci.requires_grad


def test_size_and_dtype_pickle():
    for obj in (pyad.Size([2, 3]), pyad.float64, pyad.bool, pyad.int64):
        r = pickle.loads(pickle.dumps(obj))
        assert r == obj and type(r) is type(obj)


# ============================================================================================
# type stubs
# ============================================================================================
def _stub_path():
    return Path(pyad.__file__).resolve().parent / "_C.pyi"


def _stub_names():
    tree = ast.parse(_stub_path().read_text())
    top, tensor, stub_all = set(), set(), None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        elif isinstance(node, ast.Assign):
            for tgt in node.targets:
                if isinstance(tgt, ast.Name):
                    top.add(tgt.id)
                    if tgt.id == "__all__":
                        stub_all = ast.literal_eval(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
        if isinstance(node, ast.ClassDef) and node.name == "Tensor":
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    tensor.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    tensor.add(item.target.id)
    return top, tensor, stub_all


def test_stub_and_py_typed_are_shipped():
    assert _stub_path().is_file()
    assert (_stub_path().parent / "py.typed").is_file()


def test_stub_declares_the_public_api():
    top, tensor, stub_all = _stub_names()
    runtime_all = set(pyad._C.__all__)
    assert len(runtime_all) > 100
    assert runtime_all - top == set(), "in pyad._C.__all__ but not declared in _C.pyi"
    assert stub_all is not None and set(stub_all) == runtime_all
    public_methods = {n for n in dir(pyad._C.Tensor) if not n.startswith("_")}
    public_methods |= {"__dlpack__", "__dlpack_device__", "__array__", "__array_interface__",
                       "__reduce_ex__", "__deepcopy__", "__copy__", "__getitem__", "__add__",
                       "__radd__", "__matmul__", "__eq__", "__len__", "__iter__"}
    assert public_methods - tensor == set(), "Tensor attributes missing from _C.pyi"
    # and nothing declared that does not exist
    assert {n for n in tensor if not hasattr(pyad._C.Tensor, n)} == set()
    assert {n for n in top if not n.startswith("_") and not hasattr(pyad._C, n)} == set()
    # what pyad's own Python modules import from _C is declared too
    used = set()
    for py in Path(pyad.__file__).resolve().parent.rglob("*.py"):
        used |= set(__import__("re").findall(r"\b_C\.(\w+)", py.read_text()))
    assert used - top - {"__all__"} == set()


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_mypy_checks_code_against_the_stub(tmp_path):
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        "import pyad\n"
        "from pyad import _C\n"
        "x: _C.Tensor = pyad.tensor([1.0, 2.0], requires_grad=True)\n"
        "y: _C.Tensor = (x * 2 + 1).sum()\n"
        "n: int = x.size(0)\n"
        "s: pyad.Size = x.shape\n"
        "v: _C.Tensor = x.max(0).values\n"
        "d: _C.dtype = x.dtype\n"
        "c = _C.from_dlpack(x.detach())\n"
        "bad: str = x.sum()\n")
    root = Path(pyad.__file__).resolve().parent.parent
    # a checkout is found from its root; an installed pyad through site-packages (py.typed)
    cwd = root if (root / "setup.py").is_file() else tmp_path
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "c"),
         "--follow-imports=silent", str(snippet)],
        capture_output=True, text=True, cwd=str(cwd))
    out = proc.stdout + proc.stderr
    assert "snippet.py:10: error: Incompatible types in assignment" in out, out
    assert out.count("error:") == 1, out
