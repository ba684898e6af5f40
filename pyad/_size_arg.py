"""The size argument of torch's factories (ones, zeros, empty, rand, randn, new_*).

torch's argument parser takes the sizes as separate ints, as one sequence, or as ``size=``;
a call without any, or with both, is a TypeError with the parser's message.
"""

import operator as _operator

import numpy as _np

from pyad._C import Tensor as _Tensor
from pyad._C import int64 as _int64

NO_SIZE = object()

# torch's parser lists the overloads of rand/randn when no size is given
_OVERLOADS = (" * (tuple of ints size, *, pyad.Generator generator, Tensor out = None, "
              "pyad.dtype dtype = None, pyad.layout layout = None, pyad.device device = None, "
              "bool pin_memory = False, bool requires_grad = False)\n"
              " * (tuple of ints size, *, Tensor out = None, pyad.dtype dtype = None, "
              "pyad.layout layout = None, pyad.device device = None, bool pin_memory = False, "
              "bool requires_grad = False)\n")


def parser_type_name(v):
    """The type name torch's argument parser prints: Tensor, numpy.float64, float."""
    if isinstance(v, _Tensor):
        return "Tensor"
    module = type(v).__module__
    return f"numpy.{type(v).__name__}" if module == "numpy" else type(v).__name__


def in_int64(v):
    """Whether the int v fits torch's int64 arguments."""
    return -9223372036854775808 <= v <= 9223372036854775807


def index_of(v):
    """v as an int where torch's parser takes it for one (anything with __index__: an int, a
    numpy integer or 0-d integer array; a one-element int64 tensor), else None."""
    if isinstance(v, _Tensor):
        return int(v.item()) if v.numel() == 1 and v.dtype is _int64 else None
    if isinstance(v, _np.bool_):
        return None
    try:
        return _operator.index(v)
    except TypeError:
        return None


def _is_index(v):
    """torch's checkIndex, which the first item of an int list must pass: an index that is
    not a bool."""
    return type(v) is int or (not isinstance(v, bool) and index_of(v) is not None)


def _checked_sizes(fn, items):
    """torch's parser over an int list's items, in order: indexes (a bool is one after the
    first), each within int64."""
    for v in items:                 # the common case: Python ints
        if type(v) is not int or not in_int64(v):
            break
    else:
        return tuple(items)
    sizes = []
    for k, item in enumerate(items):
        v = index_of(item)
        if v is None:
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {k + 1} "
                            f"with error \"type must be tuple of ints,but got "
                            f"{parser_type_name(item)}\"")
        if not in_int64(v):
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {k + 1} "
                            f"with error \"Overflow when unpacking long long\"")
        sizes.append(int(v))
    return tuple(sizes)


def _int_list(fn, seq, positional):
    """A tuple or list given as the size: an int list if its first item is an index."""
    if len(seq) and not _is_index(seq[0]):
        if positional:
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, but "
                            f"found element of type {parser_type_name(seq[0])} at pos 0")
        raise TypeError(f"{fn}(): argument 'size' must be tuple of ints, not "
                        f"{type(seq).__name__}")
    return _checked_sizes(fn, seq)


def _invalid_combination(fn, args, size=NO_SIZE):
    """rand/randn's parser error: no overload takes these arguments."""
    got = [parser_type_name(a) for a in args]
    if size is not NO_SIZE:
        got.append(f"size={parser_type_name(size)}")
    return TypeError(f"{fn}() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:\n{_OVERLOADS}")


def size_argument(fn, args, size=NO_SIZE):
    """The sizes of ``fn(*args, size=size)`` as a tuple of ints, with torch's parser errors."""
    if size is not NO_SIZE:
        if args and fn in ("rand", "randn"):
            raise _invalid_combination(fn, args, size)
        if args:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"{fn}(): argument 'size' must be tuple of ints, not "
                            f"{parser_type_name(size)}")
        return _int_list(fn, size, False)
    if not args:
        if fn in ("rand", "randn"):
            raise _invalid_combination(fn, args)
        raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')
    first = args[0]
    if len(args) == 1 and isinstance(first, (tuple, list)):
        return _int_list(fn, first, True)
    if _is_index(first):
        return _checked_sizes(fn, args)
    if len(args) == 1:
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{parser_type_name(first)}")
    # more than one, the first not an int: no overload takes that
    if fn in ("rand", "randn"):
        raise _invalid_combination(fn, args)
    raise TypeError(f"{fn}() takes 1 positional argument but {len(args)} were given")


def check_non_negative(fn, size):
    """torch's refusal of a negative size (zeros has a message of its own; the others are
    empty's, which pyad._C's check_no_negative gives for tensors made there)."""
    if size and min(size) < 0:
        if fn == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        first = next(s for s in size if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {first}: "
                           f"{[int(s) for s in size]}")
