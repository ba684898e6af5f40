"""pyad: a small, fast reverse-mode autodiff engine with PyTorch's autograd API.

    import pyad as torch
    from pyad import autograd

Tensors live in pyad-owned contiguous float32/float64 buffers; the graph, its recording and
the backward sweep are C (see ARCHITECTURE.md). numpy is the only dependency.
"""
import builtins as _builtins
import math as _math

import numpy as _np

from pyad import _C
from pyad._C import *  # noqa: F401,F403  (the compiled ops; _C.__all__ lists them)
from pyad._C import bool_ as bool  # noqa: A001  (torch.bool)
from pyad._tensor_str import set_printoptions
from pyad.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from pyad.grad_mode import inference_mode
from pyad import autograd
from pyad._legacy import BoolTensor, DoubleTensor, FloatTensor, LongTensor
from pyad._version import __version__
from pyad._device import device, get_default_device, set_default_device
from pyad._device import check_creation_device as _check_device
from pyad._size_arg import NO_SIZE as _NO_SIZE
from pyad._size_arg import check_non_negative as _check_non_negative
from pyad._size_arg import in_int64 as _in_int64
from pyad._size_arg import index_of as _index_of
from pyad._size_arg import parser_type_name as _parser_type_name
from pyad._size_arg import size_argument as _size_argument
from pyad._random import (Generator, default_generator, manual_seed, seed, initial_seed,
                          get_rng_state, set_rng_state, rand, randn, randint, randint_like,
                          randperm, normal, bernoulli, multinomial)
from pyad._functions import (meshgrid, hstack, vstack, dstack, column_stack, row_stack,
                             atleast_1d, atleast_2d, atleast_3d, dist, cdist, logdet, einsum,
                             compile, use_deterministic_algorithms,
                             are_deterministic_algorithms_enabled,
                             is_deterministic_algorithms_warn_only_enabled, set_num_threads,
                             get_num_threads, set_num_interop_threads, get_num_interop_threads,
                             set_float32_matmul_precision, get_float32_matmul_precision)
from pyad._functions import with_out as _with_out

float = float32  # noqa: A001  (torch.float)
double = float64
long = int64

_NP_FLOAT = {float32: _np.float32, float64: _np.float64, int64: _np.int64, bool: _np.bool_}


def _generator():
    """The default generator's numpy Generator (numpy's PCG64, made on first use)."""
    return default_generator._numpy()


# torch takes Python's float, int and bool where it takes a dtype: float64, int64 and bool
_PYTHON_TYPE_DTYPES = {_builtins.float: "float64", _builtins.int: "int64", _builtins.bool: "bool"}


def _code(d):
    """A dtype argument's name: a pyad dtype, None (the default dtype), or a Python type."""
    if d is None:
        d = get_default_dtype()
    if isinstance(d, type) and d in _PYTHON_TYPE_DTYPES:
        return _PYTHON_TYPE_DTYPES[d]
    if not isinstance(d, dtype):
        raise TypeError(f"argument 'dtype' must be pyad.dtype, not {type(d).__name__}")
    return d.__reduce__()[1][0]


def _dtype_code(d):
    return ["float32", "float64", "int64", "bool"].index(_code(d))


def _finish(t, requires_grad):
    if requires_grad:
        if not t.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t.requires_grad_(True)
    return t


def _infer_code(arr, data, dtype):
    if arr.dtype.kind == "c" or isinstance(data, complex):
        raise TypeError("pyad: complex tensors are not supported (pyad has float32, float64, "
                        "int64 and bool)")
    if arr.dtype.kind not in "biuf":  # strings, dates, void: no number to cast (as torch)
        raise TypeError(f"pyad.tensor: cannot make a tensor from data of type {arr.dtype}")
    if dtype is not None:
        return _dtype_code(dtype)
    if arr.dtype.kind == "f":
        if isinstance(data, (_np.ndarray, _np.generic)) and arr.dtype.itemsize in (4, 8):
            return 0 if arr.dtype.itemsize == 4 else 1   # either byte order (copied)
        # Python floats give the default dtype; numpy float scalars among them keep theirs, and
        # the widest wins (torch: [1.5, np.float64(2)] is float64)
        code = _dtype_code(None)
        if isinstance(data, (list, tuple)):
            for v in _flat(data):
                if isinstance(v, _np.float64):
                    return 1
        return code
    if arr.dtype.kind in "iu":
        return 2
    if arr.dtype.kind == "b":
        return 3
    raise TypeError(f"pyad.tensor: cannot make a tensor from data of type {arr.dtype}")


def tensor(data, *, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays or tensors).

    Python floats give the default dtype (float32), ints give int64, bools give bool.

    Example:
        >>> pyad.tensor([[1., 2.], [3., 4.]])
        tensor([[1., 2.],
                [3., 4.]])
    """
    _check_device(device)
    if isinstance(data, Tensor):
        arr = data.detach().numpy()
        code = _dtype_code(dtype) if dtype is not None else _dtype_code(data.dtype)
    else:
        if data is None or isinstance(data, (str, bytes, dict, set, frozenset)):
            raise _data_error(data)
        if isinstance(data, (list, tuple)):
            if _builtins.any(isinstance(v, Tensor) or _is_other_sequence(v) for v in _flat(data)):
                data = _nested_lists(data, 0)
        elif _is_other_sequence(data):
            data = _nested_lists(data, 0)
        try:
            arr = _np.asarray(data)
        except ValueError:
            if isinstance(data, (list, tuple)):
                error = _data_error(data)
                if error is not None:
                    raise error from None
                _check_ragged(data, 0)
            raise
        leaves = _flat(data) if isinstance(data, (list, tuple)) else (data,)
        if arr.dtype == object and _builtins.any(
                isinstance(v, int) and not -2**63 <= v < 2**64 for v in leaves):
            raise ValueError("Overflow when unpacking long long")
        if arr.dtype == object:
            if isinstance(data, (list, tuple)):
                _check_ragged(data, 0)      # numpy 1.x makes an object array of ragged lists
            raise _data_error(data) or TypeError(
                f"pyad.tensor: could not infer dtype of {type(data).__name__}")
        if arr.dtype.kind in "US":
            raise _data_error(data) or TypeError(
                f"pyad.tensor: cannot make a tensor from data of type {arr.dtype}")
        code = _infer_code(arr, data, dtype)
        if arr.dtype == _np.float64 and isinstance(data, (list, tuple)) and arr.size and \
                _np.abs(arr).max() >= 2.0**63 and not _builtins.any(
                    isinstance(v, _builtins.float) for v in _flat(data)):
            # numpy made floats of ints beyond int64 mixed with others: torch refuses them
            raise ValueError("Overflow when unpacking long long")
        if arr.dtype.kind == "u" and arr.size and arr.max() > 2**63 - 1 and code != 0 and code != 1:
            # 2**63 and above wrap to negative int64 values: torch refuses them
            raise ValueError("Overflow when unpacking long long")
        if code == 2 and arr.dtype.kind == "f" and arr.size and not (
                _np.isfinite(arr).all() and (_np.abs(arr) < 2.0**63).all()):
            raise RuntimeError("value cannot be converted to type int64 without overflow")
    return _finish(_C._from_numpy_copy(arr, code), requires_grad)


def _flat(seq):
    for v in seq:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


def _is_other_sequence(v):
    """A sequence other than a list or tuple (tensor() reads these itself, checking lengths)."""
    return (not isinstance(v, (list, tuple, str, bytes, dict, _np.ndarray, _np.generic))
            and hasattr(v, "__len__") and hasattr(v, "__getitem__"))


_NUMBER_LEAVES = (_builtins.int, _builtins.float, _builtins.bool, complex, _np.generic,
                  _np.ndarray)


def _data_error(data):
    """torch's error for data it cannot make a tensor of. Its sizes are read first, along the
    first element at each depth, where a str is a dimension too many; then the first leaf,
    depth first, that is not a number: a str or bytes is an invalid data type, anything else
    (None, a dict, a set, an object) has no dtype to infer. None when every leaf is a number."""
    seq, depth = data, 0
    while isinstance(seq, (list, tuple, str)) and len(seq):
        if isinstance(seq, str):
            if depth:
                return ValueError("too many dimensions 'str'")
            break
        seq, depth = seq[0], depth + 1
    todo = [data]
    while todo:
        v = todo.pop()
        if isinstance(v, (list, tuple)):
            todo.extend(reversed(v))
        elif isinstance(v, (str, bytes)):
            return TypeError(f"new(): invalid data type '{type(v).__name__}'")
        elif not isinstance(v, _NUMBER_LEAVES + (Tensor,)):
            return RuntimeError(f"Could not infer dtype of {type(v).__name__}")
    return None


def _nested_lists(obj, dim):
    """obj's nested sequences as lists; tensors as arrays. A sequence whose iteration does not
    give len() items is refused, as torch does (numpy would take what iteration gives)."""
    if isinstance(obj, Tensor):
        return obj.detach().numpy()
    if not (isinstance(obj, (list, tuple)) or _is_other_sequence(obj)):
        return obj
    n = len(obj)
    items = list(obj)
    if len(items) != n:
        raise ValueError(f"expected sequence of length {n} at dim {dim} (got {len(items)})")
    return [_nested_lists(v, dim + 1) for v in items]


def _check_ragged(seq, dim):
    """torch's message for nested lists of unequal lengths."""
    lengths = [len(v) for v in seq if isinstance(v, (list, tuple))]
    if lengths and not isinstance(seq[0], (list, tuple)):
        nested = next(v for v in seq if isinstance(v, (list, tuple)))
        raise TypeError(f"'{type(nested).__name__}' object cannot be interpreted as an integer")
    if lengths and (len(lengths) != len(seq) or len(set(lengths)) > 1):
        want = lengths[0]
        got = next((len(v) if isinstance(v, (list, tuple)) else None) for v in seq
                   if not isinstance(v, (list, tuple)) or len(v) != want)
        if got is None:
            raise TypeError("not a sequence")
        raise ValueError(f"expected sequence of length {want} at dim {dim + 1} (got {got})")
    for v in seq:
        if isinstance(v, (list, tuple)):
            _check_ragged(v, dim + 1)


def _check_byte_order(data):
    """from_numpy cannot share a byte-swapped array: torch's error (tensor() copies one)."""
    if isinstance(data, (_np.ndarray, _np.generic)) and not data.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor: a tensor of the right dtype is returned as is."""
    _check_device(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype is dtype):
        return data
    if isinstance(data, _np.ndarray) and dtype is None and data.dtype in (
            _np.float32, _np.float64, _np.int64, _np.bool_) and data.flags.c_contiguous \
            and data.flags.writeable:
        return _C._from_numpy_shared(data)
    return tensor(data, dtype=dtype)


def from_numpy(ndarray):
    """A tensor that shares ``ndarray``'s memory (C-contiguous float32/float64/int64/bool)."""
    _check_byte_order(ndarray)
    return _C._from_numpy_shared(ndarray)


def zeros(*sizes, size=_NO_SIZE, dtype=None, device=None, requires_grad=False, out=None,
          layout=None, pin_memory=False):
    """A tensor of zeros of the given size."""
    size = _size_argument("zeros", sizes, size)
    _check_non_negative("zeros", size)
    _check_device(device)
    return _finish(_C._full(size, 0.0, _dtype_code(dtype), "zeros"), requires_grad)


def ones(*sizes, size=_NO_SIZE, dtype=None, device=None, requires_grad=False, out=None,
         layout=None, pin_memory=False):
    """A tensor of ones of the given size."""
    size = _size_argument("ones", sizes, size)
    _check_device(device)
    return _finish(_C._full(size, 1.0, _dtype_code(dtype), "ones"), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of the given size filled with ``fill_value``."""
    _check_device(device)
    if isinstance(fill_value, (complex, _np.complexfloating)):
        raise TypeError("pyad: complex tensors are not supported (pyad has float32, float64, "
                        "int64 and bool)")
    if dtype is None:
        # a numpy bool fills the default float dtype, as in torch
        dtype = (bool if isinstance(fill_value, type(True)) else  # noqa: UP003  (bool is pyad.bool)
                 int64 if isinstance(fill_value, (int, _np.integer)) else None)
    return _finish(_C._full(tuple(size), fill_value, _dtype_code(dtype), "full"), requires_grad)


def empty(*sizes, size=_NO_SIZE, dtype=None, device=None, requires_grad=False, out=None,
          layout=None, pin_memory=False):
    """An uninitialised tensor of the given size."""
    size = _size_argument("empty", sizes, size)
    _check_device(device)
    return _finish(_C._empty(size, _dtype_code(dtype), "empty"), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor with input's shape (and dtype unless given)."""
    return empty(input.shape, dtype=dtype or input.dtype, device=device,
                 requires_grad=requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform [0, 1) samples with input's shape (and dtype unless given)."""
    return rand(input.shape, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples with input's shape (and dtype unless given)."""
    return randn(input.shape, dtype=dtype or input.dtype, device=device,
                 requires_grad=requires_grad, generator=generator)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from start to end (exclusive) by step; int64 when all arguments are ints."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    # numpy integers count as ints (an int64 range), as in torch
    start, end, step = (int(v) if isinstance(v, _np.integer) else v for v in (start, end, step))
    for v in (start, end, step):     # argument parsing first, as torch's
        if isinstance(v, int) and v < -2**63:
            raise OverflowError("can't convert negative int to unsigned")
        if isinstance(v, int) and v >= 2**64:
            raise OverflowError("int too big to convert")
    if dtype is not None and _code(dtype) == "bool":     # before the range's checks, as torch
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    for v in (start, end):
        if isinstance(v, int) and not -2**63 <= v < 2**63:
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        if isinstance(v, _builtins.float) and not _math.isfinite(v):
            raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    ints = _builtins.all(isinstance(v, (int, _np.integer)) for v in (start, end, step))
    if dtype is None:
        dtype = int64 if ints else get_default_dtype()
    if ints:
        arr = _int_range(start, end, step)
    else:
        arr = _np.arange(start, end, step, dtype=_np.float64)
    return _finish(_C._from_numpy_copy(arr, _dtype_code(dtype)), requires_grad)


def _int_range(start, end, step):
    """An int64 arange computed as torch's: the length in int64 arithmetic (numpy's goes
    through doubles and drops the last value above 2**53), the values start + i * step."""
    if _builtins.max(_builtins.abs(start), _builtins.abs(end), _builtins.abs(step)) < 2**52:
        return _np.arange(start, end, step, dtype=_np.int64)   # numpy's length is exact here
    sign = (step > 0) - (step < 0)
    span = (end - start + step - sign + 2**63) % 2**64 - 2**63     # wraps as int64 does
    size = _builtins.abs(span) // _builtins.abs(step) * (1 if (span < 0) == (step < 0) else -1)
    if size < 0:
        raise RuntimeError("invalid size, possible overflow?")
    with _np.errstate(over="ignore"):
        return _np.arange(size, dtype=_np.int64) * _np.int64(step) + _np.int64(start)


_LINSPACE_OVERLOADS = "".join(
    f" * ({a} start, {b} end, int steps, *, Tensor out = None, pyad.dtype dtype = None, "
    "pyad.layout layout = None, pyad.device device = None, bool pin_memory = False, "
    "bool requires_grad = False)\n"
    for a, b in (("Tensor", "Tensor"), ("Number", "Tensor"), ("Tensor", "Number"),
                 ("Number", "Number")))


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from start to end inclusive."""
    _check_device(device)
    if isinstance(steps, _builtins.bool) or not isinstance(
            steps, (_builtins.int, _np.integer, _C.Tensor)):
        got = ", ".join(_parser_type_name(v) for v in (start, end, steps))
        raise TypeError(f"linspace() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n{_LINSPACE_OVERLOADS}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    arr = _np.linspace(_builtins.float(start), _builtins.float(end), _builtins.int(steps))
    return _finish(_C._from_numpy_copy(arr, _dtype_code(dtype)), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """A 2-D tensor with ones on the diagonal."""
    _check_device(device)
    sizes = []
    for k, (name, v) in enumerate(zip("nm", (n, m))):
        if v is None:
            continue
        index = None if isinstance(v, _builtins.bool) else _index_of(v)
        if index is None:
            raise TypeError(f"eye(): argument '{name}' (position {k + 1}) must be int, not "
                            f"{_parser_type_name(v)}")
        v = index
        if not _in_int64(v):
            raise ValueError("Overflow when unpacking long long")   # torch's argument parser
        sizes.append(_builtins.int(v))
    for name, v in zip("nm", sizes):
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    rows, cols = sizes[0], sizes[-1]
    if rows and cols > (2**63 - 1) // rows:
        raise RuntimeError("numel: integer multiplication overflow")
    t = zeros(rows, cols, dtype=dtype)
    _np.fill_diagonal(t.numpy(), 1)         # (the tensor's own memory)
    return _finish(t, requires_grad)


def is_tensor(obj):
    """True if obj is a pyad.Tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    """The number of elements of input."""
    return input.numel()
from pyad import linalg  # noqa: E402
from pyad import nn  # noqa: E402
from pyad.nn.functional import log_softmax, softmax  # noqa: E402


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None):
    """A tensor of zeros with input's shape (and dtype unless given)."""
    _check_device(device)
    return _C.zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    """A tensor of ones with input's shape (and dtype unless given)."""
    _check_device(device)
    return _C.ones_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    """A tensor filled with fill_value, with input's shape (and dtype unless given)."""
    _check_device(device)
    return _C.full_like(input, fill_value, dtype=dtype, requires_grad=requires_grad)


# torch's out= on the function forms of the common ops (methods and operators are unchanged)
# (the hot ones take out= in _C itself: add, mul, exp, sum, matmul, cat, ...)
for _name in ("bmm", "maximum", "minimum", "clamp"):
    globals()[_name] = _with_out(getattr(_C, _name))
del _name

_LAZY_SUBMODULES = ("optim", "cuda", "backends", "accelerator")


def __getattr__(name):
    # subpackages a training script touches once; imported on first use to keep `import pyad` fast
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module(f"pyad.{name}")
    raise AttributeError(f"module 'pyad' has no attribute '{name}'")
