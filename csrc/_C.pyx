# pyad._C: the compiled engine. Compiler directives are set once, in setup.py.
#
# Reading order: numeric.pxi (buffers, kernels) -> graph.pxi (nodes) -> ops.pxi (every op's
# forward and backward side by side) -> engine.pxi (the backward sweep) -> tensor.pxi (the
# Tensor type and composite ops). This file holds the module-level functions.

cimport cython
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_DECREF, Py_XDECREF
from cpython.slice cimport PySlice_Unpack, PySlice_AdjustIndices
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memcpy, memset

import sys
import traceback
import warnings
import weakref
import numpy as np

from pyad_types cimport *

cdef extern from *:
    Py_ssize_t PY_SSIZE_T_MAX

# SIMD copies of the hot loops (pyad_kernels.h): the best the CPU has, or at most PYAD_SIMD
# (0: the baseline loops alone, 2: up to AVX2); the results are the same bits either way.
import os as _os
_want = _os.environ.get("PYAD_SIMD", "")
pyad_simd_init(int(_want) if _want in ("0", "1", "2", "3") else -1)
del _os, _want

include "numeric.pxi"
include "graph.pxi"
include "ops.pxi"
include "cmath.pxi"             # CMath: one backward over C-level values for both sweeps
include "engine.pxi"
__all__ = [
    "Tensor", "Size", "OutOfMemoryError", "dtype", "float32", "float64", "int64",
    "is_grad_enabled", "get_default_dtype", "set_default_dtype",
    "zeros_like", "ones_like", "full_like",
    "add", "sub", "mul", "div", "divide", "true_divide", "pow", "sum", "mean", "reshape",
    "transpose", "t", "permute",
    "unsqueeze", "squeeze", "matmul", "mm", "dot",
]

init_ops()

include "tensor.pxi"
include "autograd.pxi"

# Op families: each file registers its ops (register_op / register_name), defines its
# forward and backward side by side, its module-level functions, and appends its public
# names to __all__. Their Tensor methods live in the marked regions at the end of tensor.pxi.
include "_gen_ops.pxi"          # generated from csrc/op_table.py by csrc/gen_op_table.py
include "ops_elementwise.pxi"
include "_gen_binary.pxi"       # generated: the op table's binary ops (rows of BINARY)
include "bw_math.pxi"           # _BwMath: one backward formula for both sweeps
include "ops_reduce.pxi"
include "ops_shape.pxi"
include "ops_index.pxi"
include "ops_linalg.pxi"
include "inplace.pxi"
include "fused.pxi"
include "interop.pxi"
include "function.pxi"

install_numpy_loops(K_EXPM1, K_LOG1P)


# ============================================================================================
# Grad mode (thread-local in C)
# ============================================================================================
def is_grad_enabled():
    """True when operations are being recorded for autograd in this thread."""
    return pyad_is_grad_enabled()


def _set_grad_enabled(bint mode):
    pyad_set_grad_enabled(mode)


def _simd_level():
    """Which copies of the hot loops run: 0 the baseline ISA's, 2 AVX2's, 3 AVX2's and AVX-512's
    (see pyad_kernels.h)."""
    return pyad_simd_level


# ============================================================================================
# Default dtype
# ============================================================================================
def get_default_dtype():
    """The dtype of floating tensors created from Python floats (pyad.float32 to start with)."""
    return _DTYPES[_default_dtype]


def set_default_dtype(d):
    """Set the dtype of new floating-point tensors (pyad.float32 or pyad.float64)."""
    global _default_dtype
    cdef int code = dtype_code(d)
    if code > PYAD_F64:
        raise TypeError("only floating-point types are supported as the default type")
    _default_dtype = code


# ============================================================================================
# Engine entry point (argument checking lives in pyad.autograd)
# ============================================================================================
def _run_backward(list roots, list seeds, inputs, bint keep_graph, bint create_graph,
                  bint accumulate):
    return run_backward(roots, seeds, None if inputs is None else list(inputs), keep_graph,
                        create_graph, accumulate)


cdef Tensor _seed_like(Tensor out, Tensor g, bint create_graph):
    """grad_outputs cast to the output's dtype (a float64 seed for a float32 output is fine).
    torch's engine casts it before the sweep, in the caller's grad mode: a grad_output that
    requires grad gives a ToCopyBackward0 cast even without create_graph."""
    if g.m.dtype == out.m.dtype:
        return g
    return t_to(g, out.m.dtype)

cdef Tensor _ones_like(Tensor t):
    cdef Tensor o = new_tensor(t.m.dtype, t.m.ndim, t.m.shape)
    _fill(o, 1.0)
    return o


cdef Tensor _filled_like(object input, object fill_value, object dtype, bint requires_grad):
    cdef Tensor t = _t(input)
    cdef int code = t.m.dtype if dtype is None else dtype_code(dtype)
    cdef Tensor o = new_tensor(code, t.m.ndim, t.m.shape), f
    cdef double value
    check_f32_value(fill_value, code)       # torch's fill_ of the new tensor, checked
    if fill_exact_int(o, fill_value):
        if requires_grad:
            o.requires_grad = True
        return o
    value = fill_value
    if code == PYAD_I64:
        scalar0d_f(value, code)     # torch's error for NaN and values out of int64's range
    if code <= PYAD_F64:
        _fill(o, value)
    else:  # cast from float64 values, read with float64's meta (not t's dtype)
        f = _full_f64(t, value)
        o = tensor_from_new_buffer(nb_cast(f.buf.data, &f.m, code), &f.m, code)
    if requires_grad:
        o.requires_grad = True
    return o

cdef Tensor _full_f64(Tensor like, double value):
    cdef Tensor o = new_tensor(PYAD_F64, like.m.ndim, like.m.shape)
    _fill(o, value)
    return o


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros with input's shape (and dtype unless given)."""
    return _filled_like(input, 0.0, dtype, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    """A tensor of ones with input's shape (and dtype unless given)."""
    return _filled_like(input, 1.0, dtype, requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor filled with fill_value, with input's shape (and dtype unless given)."""
    reject_complex(fill_value)
    return _filled_like(input, fill_value, dtype, requires_grad)


cdef void _fill(Tensor t, double v) noexcept:
    cdef Py_ssize_t i
    if t.m.dtype == PYAD_F32:
        for i in range(t.m.numel):
            (<float*>t.buf.data)[i] = <float>v
    elif t.m.dtype == PYAD_F64:
        for i in range(t.m.numel):
            (<double*>t.buf.data)[i] = v


def _same_shape(Tensor a, Tensor b):
    return same_shape(&a.m, &b.m)


def _grad_fn_is_null(Tensor t):
    return t.grad_fn_ == NULL


# ============================================================================================
# out=: the result is written into `out` (pyad._functions._check_out holds torch's rules)
# ============================================================================================
cdef object _out_writer = None

cdef object write_out(str fn, object out, object result):
    global _out_writer
    if _out_writer is None:
        from pyad._functions import _check_out
        _out_writer = _check_out
    return _out_writer(fn, out, result)

# ============================================================================================
# Function forms of the ops (torch.sin(x) etc.)
# ============================================================================================
cdef inline Tensor need_tensor(object obj, str fn, str arg, int pos):
    """An op's Tensor argument: torch's TypeError naming the function, argument and position."""
    if isinstance(obj, Tensor):
        return <Tensor>obj
    raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                    f"{type(obj).__name__}")

cdef str invalid_combination(str fn, tuple args, list signatures, object out=None):
    """torch's TypeError text for arguments that match none of an op's overloads (an out=
    argument is listed by its keyword)."""
    got = ", ".join("Tensor" if isinstance(a, Tensor) else tp_name(a) for a in args)
    if out is not None:
        got += f", out={arg_type_name(out)}"
    return (f"{fn}() received an invalid combination of arguments - got ({got}), but expected "
            "one of:\n" + "".join(f" * {s}\n" for s in signatures))

cdef str arg_type_name(object v):
    """An argument's type as torch's parser names it (a list's or tuple's by its elements)."""
    if isinstance(v, Tensor):
        return "Tensor"
    if type(v) is list or type(v) is tuple:
        inner = ", ".join([arg_type_name(e) for e in v])
        return f"list of [{inner}]" if type(v) is list else f"tuple of ({inner})"
    return tp_name(v)

cdef str tp_name(object v):
    """The name of v's type as C sees it (torch's parser prints it): a type defined in C names
    its module (numpy.ndarray), a class defined in Python does not."""
    cdef type t = type(v)
    if not (t.__flags__ & (1 << 9)) and t.__module__ != "builtins":     # not a heap type
        return f"{t.__module__}.{t.__name__}"
    return t.__name__

cdef str method_invalid_combination(str fn, object arg, list signatures):
    """torch's TypeError text for a method's one argument that matches none of its overloads
    (each overload then says why, unlike the function form's list)."""
    why = ("      didn't match because some of the arguments have invalid types: "
           f"(!{arg_type_name(arg)}!)\n")
    return (f"{fn}() received an invalid combination of arguments - got "
            f"({tp_name(arg)}), but expected one of:\n"
            + "".join(f" * {s}\n{why}" for s in signatures))

cdef inline Tensor method_self(object x, str name):
    """self of a Tensor method called through the class (Tensor.erfc(3.0)): torch's error."""
    if isinstance(x, Tensor):
        return <Tensor>x
    raise TypeError(f"descriptor '{name}' for 'pyad._C.Tensor' objects doesn't apply to a "
                    f"'{type(x).__name__}' object")

cdef inline Tensor _t(object x):
    if isinstance(x, Tensor):
        return <Tensor>x
    raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(x).__name__}")


cdef object fn_input(str fn, object v):
    """The `input` of a binary function form (torch.add(1, x) takes a number there): a tensor
    or a number; anything else torch's TypeError."""
    if isinstance(v, Tensor) or as_scalar_or_tensor(v) is not None:
        return v
    raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                    f"{type(v).__name__}")

cdef object fn_other(str fn, object v, str arg="other"):
    """The second operand of a binary function form: a tensor, a number (or, as pyad's
    operators take them, a list or an array); anything else torch's TypeError (position 2,
    where the method's names position 1)."""
    if isinstance(v, Tensor) or as_scalar_or_tensor(v) is not None:
        return v
    raise TypeError(f"{fn}(): argument '{arg}' (position 2) must be Tensor, not "
                    f"{type(v).__name__}")

cdef Tensor number_input(object v):
    """A number as the input of a function form (both operands numbers): a 0-d tensor."""
    if isinstance(v, Tensor):
        return <Tensor>v
    v = as_scalar_or_tensor(v)
    if isinstance(v, Tensor):
        return <Tensor>v
    return scalar0d(v, PYAD_BOOL if type(v) is bool else
                    _default_dtype if type(v) is float else PYAD_I64)

_DIV_SIGS = ["(Tensor input, Tensor other, *, Tensor out = None)",
             "(Tensor input, Tensor other, *, str rounding_mode, Tensor out = None)",
             "(Tensor input, Number other, *, str rounding_mode)"]
_TRUE_DIV_SIGS = ["(Tensor input, Tensor other, *, Tensor out = None)",
                  "(Tensor input, Number other)"]
_DIVIDE_SIGS = ["(Tensor input, Tensor other, *, Tensor out = None)",
                "(Tensor input, Tensor other, *, str rounding_mode, Tensor out = None)",
                "(Tensor input, Number other)",
                "(Tensor input, Number other, *, str rounding_mode)"]
_POW_SIGS = ["(Tensor input, Tensor exponent, *, Tensor out = None)",
             "(Number self, Tensor exponent, *, Tensor out = None)",
             "(Tensor input, Number exponent, *, Tensor out = None)"]


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other, broadcasting; either may be a scalar.

    Example:
        >>> pyad.add(pyad.tensor([1., 2.]), 1, alpha=2)
        tensor([3., 4.])
    """
    fn_input("add", input)
    fn_other("add", other)
    if isinstance(input, Tensor):
        r = input.add(other, alpha=alpha)
    elif isinstance(other, Tensor):
        r = other.add(input, alpha=alpha) if alpha == 1 else other * alpha + input
    else:
        r = number_input(input).add(other, alpha=alpha)
    return r if out is None else write_out("add", out, r)


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other, broadcasting."""
    fn_input("sub", input)
    fn_other("sub", other)
    r = number_input(input).sub(other, alpha=alpha)
    return r if out is None else write_out("sub", out, r)


def mul(input, other, *, out=None):
    """input * other elementwise, broadcasting; either may be a scalar."""
    fn_input("mul", input)
    fn_other("mul", other)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = number_input(input)
    r = input * other
    return r if out is None else write_out("mul", out, r)


cdef object _div_fn(str fn, list sigs, object input, object other, object rounding_mode):
    """div, divide and true_divide: torch names the first two's bad operand (div) or lists
    the overloads (divide, true_divide, and div with a rounding_mode)."""
    if (not isinstance(input, Tensor) and as_scalar_or_tensor(input) is None
            or not isinstance(other, Tensor) and as_scalar_or_tensor(other) is None):
        if fn == "div" and rounding_mode is None:
            fn_input(fn, input)
            fn_other(fn, other)
        args = (input, other)
        msg = invalid_combination(fn, args, sigs)
        if rounding_mode is not None:
            msg = msg.replace("), but expected", ", rounding_mode=" +
                              type(rounding_mode).__name__ + "), but expected", 1)
        raise TypeError(msg)
    return t_div_rounding(number_input(input), other, rounding_mode)


def div(input, other, *, rounding_mode=None, out=None):
    """input / other; rounding_mode "trunc" or "floor" rounds the quotient (zero gradient)."""
    r = _div_fn("div", _DIV_SIGS, input, other, rounding_mode)
    return r if out is None else write_out("div", out, r)


def divide(input, other, *, rounding_mode=None, out=None):
    """Alias of div."""
    r = _div_fn("divide", _DIVIDE_SIGS, input, other, rounding_mode)
    return r if out is None else write_out("divide", out, r)


def true_divide(input, other, *, out=None):
    """input / other (div without a rounding_mode)."""
    r = _div_fn("true_divide", _TRUE_DIV_SIGS, input, other, None)
    return r if out is None else write_out("true_divide", out, r)


def pow(input, exponent, *, out=None):
    """input ** exponent elementwise; either may be a scalar."""
    if (not isinstance(input, Tensor) and not isinstance(exponent, Tensor)
            or as_scalar_or_tensor(input) is None or as_scalar_or_tensor(exponent) is None):
        raise TypeError(invalid_combination("pow", (input, exponent), _POW_SIGS))
    r = input ** exponent
    return r if out is None else write_out("pow", out, r)


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over dim (an int or a tuple; None: all elements); keepdim keeps reduced dims as
    size 1; dtype casts first.

    Example:
        >>> pyad.sum(pyad.tensor([[1., 2.], [3., 4.]]), 0)
        tensor([4., 6.])
    """
    r = _t(input).sum(dim, keepdim, dtype=dtype)
    return r if out is None else write_out("sum", out, r)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean over dim (an int or a tuple; None: all elements); arguments as in sum."""
    r = _t(input).mean(dim, keepdim, dtype=dtype)
    return r if out is None else write_out("mean", out, r)


def reshape(input, shape):
    """The same data with a new shape (one entry may be -1); shares memory."""
    return _t(input).reshape(shape)


def transpose(input, dim0, dim1):
    """input with dims dim0 and dim1 swapped (TransposeBackward0); a copy in pyad."""
    return _t(input).transpose(dim0, dim1)


def t(input):
    """Transpose of a tensor of at most 2 dims."""
    return _t(input).t()


def permute(input, dims):
    """input's dims reordered as dims; a copy in pyad."""
    return _t(input).permute(dims)


def unsqueeze(input, dim):
    """Insert a dim of size 1 at position dim; shares memory."""
    return _t(input).unsqueeze(dim)


def squeeze(input, dim=None):
    """Remove dims of size 1 (all of them, or only dim); shares memory."""
    return _t(input).squeeze(dim)


def matmul(input, other, *, out=None):
    """Matrix product with torch's rules for 1-d operands and batch broadcasting.

    Example:
        >>> pyad.matmul(pyad.ones(2, 3), pyad.ones(3)).shape
        pyad.Size([2])
    """
    r = t_matmul(_t(input), _t(other))
    return r if out is None else write_out("matmul", out, r)


def mm(input, mat2, *, out=None):
    """Product of two matrices: (n, m) @ (m, p) -> (n, p). MmBackward0."""
    r = _t(input).mm(mat2)
    return r if out is None else write_out("mm", out, r)


def dot(input, other):
    """Inner product of two 1-d tensors of the same size. DotBackward0."""
    return _t(input).dot(other)
