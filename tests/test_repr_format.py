"""pyad._tensor_str must reproduce torch's tensor repr exactly (torch. -> pyad.)."""

import importlib.util
import math
import re
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

try:
    from pyad._tensor_str import format_tensor, get_printoptions, set_printoptions
except Exception:
    # pyad/__init__ may be unimportable (e.g. engine not built); the formatter
    # is pure Python, so load the file on its own.
    _path = Path(__file__).resolve().parent.parent / "pyad" / "_tensor_str.py"
    _spec = importlib.util.spec_from_file_location("_pyad_tensor_str", _path)
    _mod = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_mod)
    format_tensor = _mod.format_tensor
    get_printoptions = _mod.get_printoptions
    set_printoptions = _mod.set_printoptions


@pytest.fixture(autouse=True)
def _restore_defaults():
    """Print options and default dtype are global: reset them around each test."""
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def _dtype_name(dtype):
    return str(dtype).removeprefix("torch.")


def expected(t):
    return repr(t).replace("torch.", "pyad.")


def actual(t, dtype_repr=None):
    """Format t the way pyad's Tensor.__repr__ is expected to call us."""
    grad_fn_name = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    return format_tensor(
        t.detach().numpy(),
        dtype_repr=dtype_repr,
        dtype_name=_dtype_name(t.dtype),
        default_dtype_name=_dtype_name(torch.get_default_dtype()),
        grad_fn_name=grad_fn_name,
        requires_grad=t.requires_grad,
    )


def _unwrap_suffixes(s):
    # Join suffixes that were wrapped onto their own line.
    return re.sub(r",\n +(?=(size|dtype|grad_fn|requires_grad)=)", ", ", s)


def check(t):
    # Spelled "torch.<dtype>", the output must be byte-identical to torch's.
    assert actual(t, dtype_repr=str(t.dtype)) == repr(t)
    # "pyad." is one character shorter than "torch.", so at the wrap boundary
    # a dtype suffix can legitimately stay on the line where torch wraps it;
    # apart from that, the text is torch's with the prefix replaced.
    mine, theirs = actual(t), expected(t)
    if mine != theirs:
        assert "dtype=" in theirs
        assert _unwrap_suffixes(mine) == _unwrap_suffixes(theirs)


def _rand(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64)


# Data builders: values are made in float64 and then cast (see make()), so
# each pattern exercises every dtype.
D = torch.float64
_nan, _inf = math.nan, math.inf
VALUES = {
    "scalar": lambda: torch.tensor(5.1931, dtype=D),
    "scalar_neg": lambda: torch.tensor(-3.0, dtype=D),
    "scalar_tiny": lambda: torch.tensor(1e-6, dtype=D),
    "scalar_zero": lambda: torch.tensor(0.0, dtype=D),
    "scalar_nan": lambda: torch.tensor(_nan, dtype=D),
    "empty0": lambda: torch.zeros(0, dtype=D),
    "empty2x0": lambda: torch.zeros(2, 0, dtype=D),
    "empty0x3x1": lambda: torch.zeros(0, 3, 1, dtype=D),
    "vec3": lambda: torch.tensor([1.5, -2.25, 3.0], dtype=D),
    "intlike": lambda: torch.tensor([1.0, 2.0, -30.0], dtype=D),
    "tiny": lambda: torch.tensor([1e-6, 2e-6, 3.5e-6], dtype=D),
    "huge": lambda: torch.tensor([1e9, 2.5e9, -3e9], dtype=D),
    "huge_int": lambda: torch.tensor([1e9, 2e9], dtype=D),
    "mixed": lambda: torch.tensor([1e-6, 1.0, 1e6, -12.5], dtype=D),
    "ratio_1000": lambda: torch.tensor([1.0, 1000.0], dtype=D),
    "ratio_1001": lambda: torch.tensor([1.0, 1001.0], dtype=D),
    "nonfinite": lambda: torch.tensor([_nan, _inf, -_inf, 1.5], dtype=D),
    "nonfinite_int": lambda: torch.tensor([_nan, _inf, -_inf, 2.0], dtype=D),
    "only_nonfinite": lambda: torch.tensor([_nan, _inf, -_inf], dtype=D),
    "neg_zero": lambda: torch.tensor([-0.0, 0.0, 1.0], dtype=D),
    "neg_zero_frac": lambda: torch.tensor([-0.0, 0.5], dtype=D),
    "zeros": lambda: torch.zeros(3, dtype=D),
    "negatives": lambda: torch.tensor([[-1.25, -100.5], [-0.001, -7.0]], dtype=D),
    "m3x4": lambda: torch.arange(12, dtype=D).reshape(3, 4) - 5,
    "r3x4": lambda: _rand(3, 4),
    "r2x3x4": lambda: _rand(2, 3, 4, seed=1),
    "r1x1x1x1": lambda: _rand(1, 1, 1, 1, seed=2),
    "r2x2x2x2": lambda: _rand(2, 2, 2, 2, seed=3) * 100,
    "r2000": lambda: _rand(2000, seed=4),
    "r40x40": lambda: _rand(40, 40, seed=5),
    "r3x1000": lambda: _rand(3, 1000, seed=6) * 1e5,
    "r30": lambda: _rand(30, seed=7) * 10,
    "r7x13": lambda: _rand(7, 13, seed=8),
    "arange2000": lambda: torch.arange(2000, dtype=D),
    "arange1000": lambda: torch.arange(1000, dtype=D),
    "arange1001": lambda: torch.arange(1001, dtype=D),
}


def make(name, dtype):
    return VALUES[name]().to(dtype)


FLOAT_ONLY = {"scalar_nan", "nonfinite", "nonfinite_int", "only_nonfinite"}


def _cases():
    for name, _build in VALUES.items():
        for dtype in (torch.float32, torch.float64, torch.int64, torch.bool):
            if name in FLOAT_ONLY and not dtype.is_floating_point:
                continue  # nan/inf cannot be cast to integers
            yield pytest.param(name, dtype, id=f"{name}-{_dtype_name(dtype)}")


@pytest.mark.parametrize("name,dtype", list(_cases()))
def test_matches_torch(name, dtype):
    check(make(name, dtype))


@pytest.mark.parametrize("name", ["scalar", "vec3", "r3x4", "r2x3x4", "r40x40", "empty2x0"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_requires_grad_and_grad_fn(name, dtype):
    leaf = make(name, dtype).requires_grad_()
    check(leaf)
    check(leaf * 2)  # MulBackward0
    check((leaf * 2).sum())  # SumBackward0, 0-d


def test_grad_fn_examples():
    t = torch.tensor([[0.6896, 0.3966]], requires_grad=True)
    assert actual(t) == "tensor([[0.6896, 0.3966]], requires_grad=True)"
    assert (
        format_tensor(np.float32(5.1931), grad_fn_name="SumBackward0")
        == "tensor(5.1931, grad_fn=<SumBackward0>)"
    )
    # grad_fn wins over requires_grad, as in torch.
    assert format_tensor(np.float32(1.0), grad_fn_name="X", requires_grad=True) == (
        "tensor(1., grad_fn=<X>)"
    )


@pytest.mark.parametrize("cols", [5, 6, 7, 8, 9, 10])
def test_suffix_wraps_onto_new_line(cols):
    # Row widths around linewidth so the dtype / requires_grad suffixes land
    # on both sides of the wrap decision.
    t = _rand(2, cols, seed=cols) * 10
    check(t)
    check(t.requires_grad_())
    check(t * 3)
    check(_rand(cols, seed=cols).requires_grad_())


def test_pyad_prefix_wraps_by_its_own_length():
    # torch wraps grad_fn here because "dtype=torch.float64" is one character
    # longer; with "pyad." the suffix still fits on the first line.
    t = torch.tensor([1.5, -2.25, 3.0], dtype=torch.float64, requires_grad=True) * 2
    assert repr(t) == (
        "tensor([ 3.0000, -4.5000,  6.0000], dtype=torch.float64,\n"
        "       grad_fn=<MulBackward0>)"
    )
    assert actual(t) == (
        "tensor([ 3.0000, -4.5000,  6.0000], dtype=pyad.float64, grad_fn=<MulBackward0>)"
    )


def test_caller_decides_dtype_repr():
    """Without dtype_name, dtype_repr is printed verbatim when given."""
    t = torch.tensor([1.0, 2.0], dtype=torch.float64)
    assert format_tensor(t.numpy(), dtype_repr="pyad.float64") == expected(t)
    assert format_tensor(t.numpy()) == "tensor([1., 2.])"
    e = torch.zeros(0, dtype=torch.int64)
    assert format_tensor(e.numpy(), dtype_repr="pyad.int64") == expected(e)


def test_dtype_repr_overrides_text():
    arr = np.array([1.0, 2.0])
    out = format_tensor(arr, dtype_name="float64", dtype_repr="my.double")
    assert out == "tensor([1., 2.], dtype=my.double)"


@pytest.mark.parametrize("name", ["vec3", "intlike", "r3x4", "empty0", "scalar"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool])
def test_default_dtype_float64(name, dtype):
    torch.set_default_dtype(torch.float64)
    check(make(name, dtype))


PRINT_OPTION_SETS = [
    dict(precision=2),
    dict(precision=0),
    dict(precision=8),
    dict(sci_mode=True),
    dict(sci_mode=False),
    dict(precision=2, sci_mode=True),
    dict(threshold=5),
    dict(threshold=5, edgeitems=1),
    dict(threshold=5, edgeitems=0),
    dict(edgeitems=0),
    dict(edgeitems=1),
    dict(linewidth=40),
    dict(linewidth=10),
    dict(profile="short"),
    dict(profile="full"),
    dict(profile="full", linewidth=120),
]


PRINTOPT_DATA = [
    "scalar", "scalar_zero", "empty2x0", "vec3", "intlike", "tiny", "huge", "mixed",
    "nonfinite", "only_nonfinite", "neg_zero", "r2x3x4", "r2000", "r40x40", "r30",
    "arange1001",
]


@pytest.mark.parametrize(
    "opts", PRINT_OPTION_SETS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
@pytest.mark.parametrize(
    "name,dtype",
    [
        pytest.param(name, dtype, id=f"{name}-{_dtype_name(dtype)}")
        for name in PRINTOPT_DATA
        for dtype in (torch.float32, torch.float64, torch.int64)
        if dtype.is_floating_point or name not in FLOAT_ONLY
    ],
)
def test_printoptions(opts, name, dtype):
    torch.set_printoptions(**opts)
    set_printoptions(**opts)
    check(make(name, dtype))
    check(make(name, dtype).float().requires_grad_())


def test_get_printoptions_and_profiles():
    defaults = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
    assert get_printoptions() == defaults == torch._tensor_str.get_printoptions()
    for opts in PRINT_OPTION_SETS:
        set_printoptions(**opts)
        torch.set_printoptions(**opts)
        assert get_printoptions() == torch._tensor_str.get_printoptions()
    # Round trip, as torch.printoptions does.
    set_printoptions(precision=3, sci_mode=True)
    saved = get_printoptions()
    set_printoptions(profile="default")
    set_printoptions(**saved)
    assert get_printoptions() == saved
    # Like torch, omitting sci_mode resets it to automatic.
    set_printoptions(precision=2)
    assert get_printoptions()["sci_mode"] is None


@pytest.mark.parametrize("seed", range(40))
def test_random_sweep(seed):
    """Random shapes, scales, dtypes and grad states."""
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(0, 5))
    shape = tuple(int(rng.integers(0, 7)) for _ in range(ndim))
    scale = 10.0 ** rng.integers(-7, 11)
    data = rng.standard_normal(shape) * scale
    if rng.random() < 0.3:
        data = np.round(data)
    dtype = [torch.float32, torch.float64, torch.int64, torch.bool][int(rng.integers(4))]
    t = torch.from_numpy(np.asarray(data)).to(dtype)
    check(t)
    if dtype.is_floating_point:
        check(t.clone().requires_grad_())
        check(t.clone().requires_grad_() * 2)
