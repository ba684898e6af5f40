"""Functions torch programs reach for, composed from pyad's ops: meshgrid, the *stack family,
atleast_*d, dist, cdist, logdet, einsum's sublist form, out= for the common functions,
compile, and the process settings (deterministic algorithms, thread counts)."""
import functools
import warnings

import pyad
from pyad import _C

__all__ = ["meshgrid", "hstack", "vstack", "dstack", "column_stack", "row_stack", "atleast_1d",
           "atleast_2d", "atleast_3d", "dist", "cdist", "logdet", "einsum", "compile",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_num_threads",
           "get_num_threads", "set_num_interop_threads", "get_num_interop_threads",
           "set_float32_matmul_precision", "get_float32_matmul_precision"]

_meshgrid_warned = False


def _tensors(fn, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return tensors


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors; indexing 'ij' (torch's default, with its warning
    when not given) or 'xy' (the first two dims swapped)."""
    global _meshgrid_warned
    tensors = _tensors("meshgrid", tensors)
    if indexing is None:
        if not _meshgrid_warned:
            _meshgrid_warned = True
            warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass "
                          "the indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f'received: {indexing}')
    if len(tensors) == 0:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    vecs = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(vecs) >= 2
    if swap:
        vecs[0], vecs[1] = vecs[1], vecs[0]
    shape = [v.shape[0] for v in vecs]
    out = []
    for i, v in enumerate(vecs):
        view = [1] * len(vecs)
        view[i] = shape[i]
        out.append(v.reshape(view).expand(shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def _nonempty(fn, tensors):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return tensors


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-d -> shape (1,))."""
    tensors = _tensors("atleast_1d", tensors)
    out = [t.reshape(1) if t.dim() == 0 else t for t in tensors]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (leading 1s added)."""
    tensors = _tensors("atleast_2d", tensors)
    out = [t.reshape(1, 1) if t.dim() == 0 else t.unsqueeze(0) if t.dim() == 1 else t
           for t in tensors]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims (as torch: (n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    tensors = _tensors("atleast_3d", tensors)
    out = []
    for t in tensors:
        if t.dim() == 0:
            t = t.reshape(1, 1, 1)
        elif t.dim() == 1:
            t = t.reshape(1, -1, 1)
        elif t.dim() == 2:
            t = t.unsqueeze(-1)
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


def hstack(tensors, *, out=None):
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    tensors = [atleast_1d(t) for t in _nonempty("hstack", tensors)]
    return _maybe_out("hstack", pyad.cat(tensors, 0 if tensors[0].dim() == 1 else 1), out)


def vstack(tensors, *, out=None):
    """Concatenate along dim 0 after making every tensor at least 2-D."""
    tensors = [atleast_2d(t) for t in _nonempty("vstack", tensors)]
    return _maybe_out("vstack", pyad.cat(tensors, 0), out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """Concatenate along dim 2 after making every tensor at least 3-D."""
    tensors = [atleast_3d(t) for t in _nonempty("dstack", tensors)]
    return _maybe_out("dstack", pyad.cat(tensors, 2), out)


def column_stack(tensors, *, out=None):
    """Stack as columns: 0-d and 1-D tensors become (n, 1) columns, then concatenate on dim 1."""
    tensors = [t.reshape(-1, 1) if t.dim() <= 1 else t
               for t in _nonempty("column_stack", tensors)]
    return _maybe_out("column_stack", pyad.cat(tensors, 1), out)


def dist(input, other, p=2):
    """The p-norm of input - other (broadcasting). DistBackward0."""
    return _C._named_as(pyad.linalg.vector_norm(input - other, p), "DistBackward0")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M)."""
    if x1.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D")
    if x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return pyad.linalg.vector_norm(diff, p, dim=-1)


def logdet(input):
    """log(det(input)): nan for a negative determinant, -inf for a singular matrix."""
    return input.logdet()


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist(subs):
    out = []
    for s in subs:
        if s is Ellipsis:
            out.append("...")
        elif isinstance(s, int) and 0 <= s < 52:
            out.append(_LETTERS[s])
        else:
            raise ValueError("einsum(): subscript in subscript list is not within the valid "
                             "range [0, 52)")
    return "".join(out)


def einsum(*args):
    """einsum(equation, *operands) or the sublist form einsum(op1, [0, 1], op2, [1, 2],
    [0, 2]), whose subscripts 0-51 stand for the letters a-z, A-Z."""
    if args and isinstance(args[0], pyad.Tensor):
        pairs, out_terms = (args[:-1], args[-1]) if len(args) % 2 else (args, None)
        operands, terms = pairs[0::2], pairs[1::2]
        equation = ",".join(_sublist(t) for t in terms)
        if out_terms is not None:
            equation += "->" + _sublist(out_terms)
        return _C.einsum(equation, *operands)
    return _C.einsum(*args)


def compile(model=None, **kwargs):
    """Returns model (or fn) unchanged: pyad has no compiler yet. Usable as @compile and
    @compile(mode=...)."""
    if model is None:
        return lambda m: m
    return model


_deterministic = [False, False]   # enabled, warn_only


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded for are_deterministic_algorithms_enabled(); pyad's kernels are deterministic."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    _deterministic[:] = [mode, bool(warn_only)]


def are_deterministic_algorithms_enabled():
    """The mode last set by use_deterministic_algorithms."""
    return _deterministic[0]


def is_deterministic_algorithms_warn_only_enabled():
    """The warn_only flag last set by use_deterministic_algorithms."""
    return _deterministic[1]


_threads = {"intra": None, "interop": None}


def _default_threads():
    import os
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def set_num_threads(num):
    """Recorded for get_num_threads(); pyad's kernels run on the calling thread (numpy's BLAS
    has its own threads)."""
    if not isinstance(num, int) or isinstance(num, bool) or num <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _threads["intra"] = num


def get_num_threads():
    """The value set by set_num_threads, else the number of CPUs this process may use."""
    return _threads["intra"] or _default_threads()


def set_num_interop_threads(num):
    """Recorded for get_num_interop_threads()."""
    if not isinstance(num, int) or isinstance(num, bool) or num <= 0:
        raise RuntimeError("Expected positive number of threads")
    _threads["interop"] = num


def get_num_interop_threads():
    """The value set by set_num_interop_threads, else the number of CPUs."""
    return _threads["interop"] or _default_threads()


_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision):
    """Recorded for get_float32_matmul_precision(); pyad's float32 products are always full
    float32 (torch's "highest")."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      f"setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _matmul_precision[0] = precision


def get_float32_matmul_precision():
    """The value last set by set_float32_matmul_precision ("highest" to start with)."""
    return _matmul_precision[0]


def _check_out(fn, out, result):
    if pyad.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{fn}(): functions with out=... arguments don't support automatic "
                           f"differentiation, but one of the arguments requires grad.")
    if tuple(out.shape) != tuple(result.shape):
        raise RuntimeError(f"pyad: out= has shape {list(out.shape)} but the result has shape "
                           f"{list(result.shape)} (pyad does not resize outputs)")
    if out.dtype is not result.dtype:
        order = [pyad.bool, pyad.int64, pyad.float32, pyad.float64]
        cat = {pyad.bool: 0, pyad.int64: 1, pyad.float32: 2, pyad.float64: 2}
        if cat[result.dtype] > cat[out.dtype]:
            names = {pyad.bool: "Bool", pyad.int64: "Long", pyad.float32: "Float",
                     pyad.float64: "Double"}
            raise RuntimeError(f"result type {names[result.dtype]} can't be cast to the desired "
                               f"output type {names[out.dtype]}")
        del order
    with pyad.no_grad():
        out.copy_(result)
    return out


def _maybe_out(fn, result, out):
    return result if out is None else _check_out(fn, out, result)


def with_out(fn):
    """fn with torch's out= keyword: the result is written into out, which is returned."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if isinstance(result, tuple):
            return tuple(_check_out(name, o, r) for o, r in zip(out, result))
        return _check_out(name, out, result)
    return wrapper
