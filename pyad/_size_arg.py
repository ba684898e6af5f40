"""The size argument of torch's factories (ones, zeros, empty, rand, randn, new_*).

torch's argument parser takes the sizes as separate ints, as one sequence, or as ``size=``;
a call without any, or with both, is a TypeError with the parser's message.
"""

import numpy as _np

NO_SIZE = object()

# torch's parser lists the overloads of rand/randn when no size is given
_OVERLOADS = (" * (tuple of ints size, *, pyad.Generator generator, Tensor out = None, "
              "pyad.dtype dtype = None, pyad.layout layout = None, pyad.device device = None, "
              "bool pin_memory = False, bool requires_grad = False)\n"
              " * (tuple of ints size, *, Tensor out = None, pyad.dtype dtype = None, "
              "pyad.layout layout = None, pyad.device device = None, bool pin_memory = False, "
              "bool requires_grad = False)\n")


def size_argument(fn, args, size=NO_SIZE):
    """The sizes of ``fn(*args, size=size)`` as a tuple (items unchecked)."""
    if size is not NO_SIZE:
        if args:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        if size is None or isinstance(size, (int, float, str, _np.integer, _np.floating)):
            raise TypeError(f"{fn}(): argument 'size' must be tuple of ints, not "
                            f"{type(size).__name__}")
        return tuple(size)
    if not args:
        if fn in ("rand", "randn"):
            raise TypeError(f"{fn}() received an invalid combination of arguments - got (), but "
                            f"expected one of:\n{_OVERLOADS}")
        raise TypeError(f'{fn}() missing 1 required positional arguments: "size"')
    if len(args) == 1 and not isinstance(args[0], (int, _np.integer)) and (
            getattr(args[0], "ndim", None) != 0):    # (a 0-d integer tensor is one size)
        return tuple(args[0])
    return tuple(args)
