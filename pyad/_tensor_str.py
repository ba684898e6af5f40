"""Tensor ``repr``/``str`` formatting, ported from PyTorch's ``torch/_tensor_str.py``.

The goal is byte-for-byte agreement with ``repr(torch_tensor)`` (with ``torch.``
spelled ``pyad.``) for dense CPU tensors of dtype float16/float32/float64,
int64 and bool.  The structure deliberately mirrors torch's module function by
function so that future torch changes can be diffed and ported easily; torch
branches for layouts, devices, complex, quantized and fp8 dtypes are dropped
because pyad has none of them.

Only numpy is used: the data arrives as an ``ndarray``.  Wherever torch turns
an element into a Python number (``.item()``, ``.tolist()``, ``Tensor.__format__``)
we do the same via ``ndarray.tolist()`` so that Python's float formatting (not
numpy's) produces the digits.
"""

import contextlib
import dataclasses
import math
from typing import Any

import numpy as np

__all__ = ["format_tensor", "set_printoptions", "get_printoptions", "printoptions"]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
):
    """Set printing options with ``torch.set_printoptions`` semantics.

    profile: "default", "short" or "full"; explicit arguments override it.
    Like torch, ``sci_mode`` is *always* assigned, so any call that omits it
    resets it to None (automatic choice).
    """
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80
        elif profile == "short":
            PRINT_OPTS.precision = 2
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 2
            PRINT_OPTS.linewidth = 80
        elif profile == "full":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = math.inf
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80

    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current options as a dict that can be passed back to set_printoptions()."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options (same arguments as set_printoptions)."""
    old_kwargs = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old_kwargs)


def _is_floating(arr):
    return np.issubdtype(arr.dtype, np.floating)


class _Formatter:
    """Decides one common width/notation for every element that will be printed."""

    def __init__(self, arr):
        self.floating_dtype = _is_floating(arr)
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        flat = arr.reshape(-1)

        if not self.floating_dtype:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        nonzero_finite_vals = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite_vals.size == 0:
            # Nothing to base a choice on: torch keeps int_mode=True and
            # sci_mode=False, even if PRINT_OPTS.sci_mode is True.
            return

        # torch does the ratio/threshold tests in double precision.
        nonzero_finite_abs = np.abs(nonzero_finite_vals).astype(np.float64)
        nonzero_finite_min = nonzero_finite_abs.min()
        nonzero_finite_max = nonzero_finite_abs.max()

        values = nonzero_finite_vals.tolist()
        self.int_mode = all(v == math.ceil(v) for v in values)

        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(
                nonzero_finite_max / nonzero_finite_min > 1000.0
                or nonzero_finite_max > 1.0e8
                or nonzero_finite_min < 1.0e-4
            )
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        precision = PRINT_OPTS.precision
        if self.sci_mode:
            widths = (len(f"{v:.{precision}e}") for v in values)
        elif self.int_mode:
            # +1 for the trailing "." that marks an integral float.
            widths = (len(f"{v:.0f}") + 1 for v in values)
        else:
            widths = (len(f"{v:.{precision}f}") for v in values)
        self.max_width = max(self.max_width, *widths)

    def width(self):
        return self.max_width

    def format(self, value):
        if self.floating_dtype:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _scalar_str(arr, formatter):
    return formatter.format(arr.item())


def _vector_str(arr, indent, summarize, formatter):
    # element_length includes the ", " separator.
    element_length = formatter.width() + 2
    elements_per_line = max(
        1, math.floor((PRINT_OPTS.linewidth - indent) / element_length)
    )
    edgeitems = PRINT_OPTS.edgeitems

    if summarize and not edgeitems:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edgeitems:
        data = (
            [formatter.format(v) for v in arr[:edgeitems].tolist()]
            + [" ..."]
            + [formatter.format(v) for v in arr[-edgeitems:].tolist()]
        )
    else:
        data = [formatter.format(v) for v in arr.tolist()]

    data_lines = [
        data[i : i + elements_per_line] for i in range(0, len(data), elements_per_line)
    ]
    lines = [", ".join(line) for line in data_lines]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(arr, indent, summarize, formatter):
    dim = arr.ndim

    if dim == 0:
        return _scalar_str(arr, formatter)
    if dim == 1:
        return _vector_str(arr, indent, summarize, formatter)

    edgeitems = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * edgeitems:
        # With edgeitems == 0 both ranges are empty and only "..." remains.
        slices = (
            [
                _tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter)
                for i in range(edgeitems)
            ]
            + ["..."]
            + [
                _tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter)
                for i in range(n - edgeitems, n)
            ]
        )
    else:
        slices = [
            _tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter)
            for i in range(n)
        ]

    # Higher-rank tensors get blank lines between their sub-blocks.
    tensor_str = ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices)
    return "[" + tensor_str + "]"


def _get_summarized_data(arr):
    """Only the elements that will be shown, so they alone decide the format."""
    dim = arr.ndim
    edgeitems = PRINT_OPTS.edgeitems
    if dim == 0:
        return arr
    if dim == 1:
        if arr.shape[0] > 2 * edgeitems:
            # Note arr[-0:] is the whole vector, as in torch: with edgeitems=0
            # a summarised 1-D tensor is formatted using all its elements.
            return np.concatenate((arr[:edgeitems], arr[-edgeitems:]))
        return arr
    if not edgeitems:
        return np.empty((0,) * dim, dtype=arr.dtype)
    if arr.shape[0] > 2 * edgeitems:
        rows = list(range(edgeitems)) + list(
            range(arr.shape[0] - edgeitems, arr.shape[0])
        )
        return np.stack([_get_summarized_data(arr[i]) for i in rows])
    return np.stack([_get_summarized_data(x) for x in arr])


def _tensor_str(arr, indent):
    if arr.size == 0:
        return "[]"
    summarize = arr.size > PRINT_OPTS.threshold
    formatter = _Formatter(_get_summarized_data(arr) if summarize else arr)
    return _tensor_str_with_formatter(arr, indent, summarize, formatter)


def _add_suffixes(tensor_str, suffixes, indent, force_newline):
    tensor_strs = [tensor_str]
    # Replicates torch exactly, including its off-by-two when there is no
    # newline (rfind returns -1), which makes single-line reprs wrap early.
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        suffix_len = len(suffix)
        if force_newline or last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            tensor_strs.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
            force_newline = False
        else:
            tensor_strs.append(", " + suffix)
            last_line_len += suffix_len + 2
    tensor_strs.append(")")
    return "".join(tensor_strs)


# torch never prints these dtypes for non-empty tensors, since their values'
# spelling already identifies them.
_IMPLIED_DTYPES = ("int64", "bool")


def _shows_dtype(dtype_name, default_dtype_name, numel):
    if numel == 0:
        # An empty tensor has no values to hint at the dtype, so torch shows
        # every dtype except the default float one (int64 and bool included).
        return dtype_name != default_dtype_name
    return dtype_name != default_dtype_name and dtype_name not in _IMPLIED_DTYPES


def format_tensor(
    values,
    *,
    dtype_repr=None,
    grad_fn_name=None,
    requires_grad=False,
    dtype_name=None,
    default_dtype_name="float32",
    type_name=None,
) -> str:
    """Return the torch-style repr of a tensor whose data is ``values``.

    values: numpy array (float16/32/64, int64 or bool; any shape incl. 0-d and
        zero-size dimensions).
    dtype suffix, two ways to drive it:
      * ``dtype_name`` given (e.g. "float64", recommended): the torch rule is
        applied here.  The suffix text is ``dtype_repr`` if given, otherwise
        ``"pyad." + dtype_name``; ``default_dtype_name`` is the current
        default float dtype ("float32" unless changed).
      * ``dtype_name`` None: ``dtype_repr`` is shown verbatim when not None,
        so the caller must apply torch's rule itself: non-empty tensors show it
        iff dtype is not the default float dtype, int64 or bool; empty tensors
        show it iff dtype is not the default float dtype.
    grad_fn_name: e.g. "SumBackward0" -> ``grad_fn=<SumBackward0>``; takes
        precedence over ``requires_grad=True``.
    type_name: a Tensor subclass's name, which torch prints in place of ``tensor``.
    """
    arr = np.asarray(values)
    prefix = "tensor(" if type_name is None else type_name + "("
    indent = len(prefix)
    suffixes = []

    if dtype_name is not None:
        show_dtype = _shows_dtype(dtype_name, default_dtype_name, arr.size)
        dtype_text = dtype_repr if dtype_repr is not None else "pyad." + dtype_name
    else:
        show_dtype = dtype_repr is not None
        dtype_text = dtype_repr

    if arr.size == 0:
        # Like numpy, the shape is spelled out unless it is simply (0,).
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if show_dtype:
            suffixes.append("dtype=" + dtype_text)
        tensor_str = "[]"
    else:
        # With edgeitems=0 the body is just "..." so the shape is given instead.
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if show_dtype:
            suffixes.append("dtype=" + dtype_text)
        tensor_str = _tensor_str(arr, indent)

    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + tensor_str, suffixes, indent, force_newline=False)
