"""The size argument of the factories (ones, zeros, empty, rand, randn, new_*): torch's
argument parser, its messages and its order, compared with torch where it is installed."""
import importlib.util

import numpy as np
import pytest

from conftest import raises_exact

import pyad

HAVE_TORCH = importlib.util.find_spec("torch") is not None

FACTORIES = ["rand", "randn", "ones", "zeros", "empty", "ones(2).new_zeros", "ones(2).new_ones",
             "ones(2).new_empty"]

# F is the factory, M the module
CALLS = [
    "F(2.5)", "F([2,'a'])", "F(-1)", "F(2,-3)", "F(2,-3,-4)", "F((2,'a'))", "F(None)", "F('a')",
    "F(2,2.0)", "F(2,True)", "F(True)", "F(True,2)", "F(2.5,2)", "F(None,2)", "F(2,M.tensor(2.0))",
    "F(2,np.int64(3))", "F(np.int64(2),3)", "F(np.array([2,3]))", "F(M.tensor([2,3]))",
    "F(M.tensor([2]))", "F(M.tensor([2]),3)", "F(M.tensor(3),2)", "F(M.tensor(2.0))",
    "F([2,None])", "F((2,3),)", "F([2,[3]])", "F(2,np.float64(2))", "F(np.int64(2))", "F([])",
    "F(M.Size([2,3]))", "F([2,3],4)", "F(x for x in [2])", "F(range(3))", "F(np.bool_(True))",
    "F(2,np.bool_(True))", "F(0)", "F(0,3)", "F((True,2))", "F([2,True])", "F([2.5,2])",
    "F([np.bool_(True)])", "F((M.tensor(2),3))", "F([None])", "F([M.tensor(2.0)])",
    "F([M.tensor([2])])", "F(np.array(3))", "F(Index())", "F(2, Index())", "F([Index(), 2])",
    "F(np.array([2, 3])[0])", "F(np.uint8(3))", "F(M.tensor([2]), 3)", "F(np.array(2.0))",
    "F(size=(2,'a'))", "F(size=2.5)", "F(size=[2,-1])", "F(size=np.array([2]))",
    "F(size=M.tensor(2))", "F(size=(2,))", "F(2, size=(2,))", "F(size=(True,2))",
    "F(size=(2,True))", "F(size=[True])", "F(size=(M.tensor(2),3))", "F(size=[2.5])",
    "F(size=[None])", "F(size=[])",
]


class Index:
    """Not an int, but has __index__: torch's parser takes it for one."""

    def __index__(self):
        return 3


def _outcome(module, factory, call):
    try:
        r = eval(call.replace("F(", f"M.{factory}("), {"M": module, "np": np, "Index": Index})
    except Exception as e:      # noqa: BLE001 (any exception is an outcome to compare)
        # torch appends a C++ trace to an overflow message; its names are torch.*
        return type(e).__name__, str(e).split("\nException raised")[0].replace("torch", "pyad")
    return "shape", tuple(r.shape), str(r.dtype).replace("torch", "pyad")


@pytest.mark.skipif(not HAVE_TORCH, reason="compares with torch")
@pytest.mark.parametrize("factory", FACTORIES)
@pytest.mark.parametrize("call", CALLS)
def test_the_size_argument_is_parsed_as_torch_parses_it(factory, call):
    import torch
    assert _outcome(pyad, factory, call) == _outcome(torch, factory, call)


# the same, where torch is not installed: the messages themselves
@pytest.mark.parametrize("call, exc, message", [
    ("M.rand(2.5)", TypeError, "rand(): argument 'size' (position 1) must be tuple of ints, not "
                               "float"),
    ("M.zeros(2, 'a')", TypeError, "zeros(): argument 'size' failed to unpack the object at pos 2 "
                                   "with error \"type must be tuple of ints,but got str\""),
    ("M.ones([2.5, 2])", TypeError, "ones(): argument 'size' (position 1) must be tuple of ints, "
                                    "but found element of type float at pos 0"),
    ("M.empty(size=[None])", TypeError, "empty(): argument 'size' must be tuple of ints, not list"),
    ("M.zeros([2, 3], 4)", TypeError, "zeros() takes 1 positional argument but 2 were given"),
    ("M.rand(-1)", RuntimeError, "Trying to create tensor with negative dimension -1: [-1]"),
    ("M.randn(2, -3, -4)", RuntimeError,
     "Trying to create tensor with negative dimension -3: [2, -3, -4]"),
    ("M.zeros(2, -3)", RuntimeError, "zeros: Dimension size must be non-negative."),
    ("M.ones(2).new_zeros(np.array([2]))", TypeError,
     "new_zeros(): argument 'size' (position 1) must be tuple of ints, not numpy.ndarray"),
])
def test_size_argument_messages(pt, call, exc, message):
    with raises_exact(exc, message):
        eval(call, {"M": pt, "np": np})


@pytest.mark.parametrize("call, shape", [
    ("M.zeros(2, True)", (2, 1)), ("M.rand(M.tensor([3]))", (3,)),
    ("M.ones((M.tensor(2), np.int64(3)))", (2, 3)), ("M.empty(size=(2, True))", (2, 1)),
])
def test_sizes_the_parser_takes(pt, call, shape):
    assert tuple(eval(call, {"M": pt, "np": np}).shape) == shape


# eye and linspace: their own arguments, as torch's parser and kernels check them
EYE_LINSPACE = ["M.eye(-1)", "M.eye(2, -3)", "M.eye(-1, -3)", "M.eye(2**40)", "M.eye(2**32, 2**31)",
                "M.eye(3, 2**62)", "M.eye(0)", "M.eye(2.5)", "M.eye(True)", "M.eye(3)",
                "M.eye(2, 3, dtype=M.int64)", "M.eye(3, dtype=M.bool)", "M.eye(M.tensor(2))",
                "M.eye(np.int64(2), 1)", "M.eye(2, requires_grad=True)", "M.linspace(0, 1, -1)",
                "M.linspace(0, 1, 2.5)", "M.linspace(0, 1, 0)", "M.linspace(0, 1, True)",
                "M.linspace(0, 1, M.tensor(3))", "M.linspace(0.5, 1, 5)", "M.eye(np.array(2))",
                "M.eye(M.tensor([2]))", "M.eye(np.bool_(True))", "M.eye(2, np.uint8(3))"]


def _eye_outcome(module, call):
    try:
        r = eval(call, {"M": module, "np": np})
    except Exception as e:      # noqa: BLE001 (any exception is an outcome to compare)
        return type(e).__name__, str(e).split("\nException raised")[0].replace("torch", "pyad")
    return tuple(r.shape), str(r.dtype).split(".")[1], r.tolist(), r.requires_grad


@pytest.mark.skipif(not HAVE_TORCH, reason="compares with torch")
@pytest.mark.parametrize("call", EYE_LINSPACE)
def test_eye_and_linspace_arguments_as_torch(call):
    import torch
    assert _eye_outcome(pyad, call) == _eye_outcome(torch, call)


def test_eye_and_linspace_messages(pt):
    with raises_exact(RuntimeError, "n must be greater or equal to 0, got -1"):
        pt.eye(-1)
    with raises_exact(RuntimeError, "m must be greater or equal to 0, got -3"):
        pt.eye(2, -3)
    with raises_exact(RuntimeError, "numel: integer multiplication overflow"):
        pt.eye(2**40)
    with raises_exact(TypeError, "eye(): argument 'n' (position 1) must be int, not float"):
        pt.eye(2.5)
    with raises_exact(RuntimeError, "number of steps must be non-negative"):
        pt.linspace(0, 1, -1)
    assert pt.eye(2, 3, dtype=pt.int64).tolist() == [[1, 0, 0], [0, 1, 0]]
