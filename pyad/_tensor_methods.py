"""Python helpers behind Tensor methods defined in csrc/tensor.pxi: device handling for to(),
new_* constructors, random in-place fills, dist, logdet.

Imported on first use of one of those methods (tensor.pxi's _methods()), not by `import pyad`.
"""
import pyad
from pyad import _random
from pyad._device import CPU, device, require_device  # noqa: F401  (CPU: Tensor.device)
from pyad._size_arg import NO_SIZE, size_argument

_DTYPE_NAMES = ["float32", "float64", "int64", "bool"]


def _is_dtype(obj):
    """A dtype argument: a pyad dtype, or Python's float, int or bool (torch's float64, int64
    and bool)."""
    return isinstance(obj, pyad.dtype) or (isinstance(obj, type) and
                                           obj in pyad._PYTHON_TYPE_DTYPES)


def _code(dtype):
    if not _is_dtype(dtype):
        raise TypeError(f"to() received an invalid combination of arguments - got "
                        f"({type(dtype).__name__}), expected a dtype")
    return _DTYPE_NAMES.index(pyad._code(dtype))


def _is_device_like(obj):
    return isinstance(obj, (str, device)) or (isinstance(obj, int) and not isinstance(obj, bool))


def _bad_to(args, kwargs):
    got = ", ".join([type(a).__name__ for a in args] +
                    [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    return TypeError(
        f"to() received an invalid combination of arguments - got ({got}, ), but expected one "
        "of:\n * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = "
        "False, bool copy = False, *, torch.memory_format memory_format = None)\n * (torch.dtype "
        "dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format "
        "memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = False, "
        "*, torch.memory_format memory_format = None)\n")


def parse_to(t, args, kwargs):
    """torch's to() overloads; the dtype code to convert to, or -1 to return t itself."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise _bad_to(args, kwargs)
    args = list(args)
    dev = kwargs.get("device")
    dtype = kwargs.get("dtype")
    if args:
        first = args[0]
        if _is_dtype(first):
            dtype = first
            args.pop(0)
        elif isinstance(first, pyad.Tensor):
            dtype = first.dtype
            args.pop(0)
        elif _is_device_like(first) or first is None:
            dev = first
            args.pop(0)
            if args and _is_dtype(args[0]):
                dtype = args.pop(0)
    if len(args) > 2 or not all(isinstance(a, bool) for a in args):
        raise _bad_to(args, kwargs)
    copy = kwargs.get("copy", args[1] if len(args) > 1 else False)
    if dev is not None and require_device(dev).index is not None:
        copy = True    # torch copies for any explicit device index, even cpu:0
    code = t.dtype if dtype is None else dtype
    code = _code(code)
    if code == _code(t.dtype) and not copy:
        return -1
    return code


def new_filled(t, sizes, fill, fn, *, size=NO_SIZE, dtype=None, device=None, requires_grad=False,
               layout=None, pin_memory=False):
    size = size_argument(fn, sizes, size)
    dev = device
    require_device(dev) if dev is not None else None
    dtype = dtype or t.dtype
    if fill is None:
        out = pyad.empty(size, dtype=dtype)
    else:
        out = pyad.full(size, fill, dtype=dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


def new_full(t, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    return new_filled(t, (size,), fill_value, "new_full", dtype=dtype, device=device,
                      requires_grad=requires_grad)


def new_tensor(t, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    dev = device
    require_device(dev) if dev is not None else None
    if isinstance(data, pyad.Tensor):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                      UserWarning, stacklevel=3)
    return pyad.tensor(data, dtype=dtype or t.dtype, requires_grad=requires_grad)


uniform_ = _random.uniform_
normal_ = _random.normal_
bernoulli_ = _random.bernoulli_
random_ = _random.random_
exponential_ = _random.exponential_
bernoulli = _random.bernoulli
multinomial = _random.multinomial


def dist(t, other, p=2):
    return pyad.dist(t, other, p)


def logdet(t):
    sign, logabs = pyad.linalg.slogdet(t)
    # torch: log(det) is nan for a negative determinant and -inf for a zero one
    nan = pyad.full_like(logabs, float("nan"))
    return pyad.where(sign < 0, nan, logabs)
