"""Integer and bool exactness against PyTorch (issue 13, families 2, 4 and 7).

- Reductions and kernels over bool and int64 inputs at every vector-block and cascade
  boundary: a bool sum once counted in an 8-bit accumulator (300 Trues summed to 44).
- Integer division at INT64_MIN / -1, which traps in x86's idiv (SIGFPE killed the
  interpreter), and integer division by zero (torch's "ZeroDivisionError").
- Python and numpy integer scalars above 2**53 with int64 tensors, which went through a
  double (full((1,), 2**53 + 1) gave ...992), and scalars out of int64's range.

Every expected value is torch's, computed in the test; where torch itself crashes
(div(INT64_MIN, -1, rounding_mode='trunc') raises SIGFPE in torch 2.13) the reference is
Python's exact integer arithmetic wrapped to int64.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import AGAINST_TORCH, MODULE_NAME, load_module, module_path_env

pyad = load_module()    # the module under test (torch itself in PYAD_TEST_AGAINST_TORCH mode)
torch = pytest.importorskip("torch")

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1
SIZES = [0, 1, 15, 16, 17, 127, 128, 129, 255, 256, 257, 4095, 4096, 4097]
BIG = 2**20 + 3


# ----------------------------------------------------------------------------
# Running one expression on both libraries
# ----------------------------------------------------------------------------


def _outcome(fn, mod):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # numpy's overflow warnings on wrapped scalars
            return ("ok", _plain(fn(mod)))
    except Exception as e:  # noqa: BLE001 - the exception is the result being compared
        return ("err", type(e).__name__, str(e).replace("torch", "pyad"))


def _plain(v):
    """Values as comparable Python data: (dtype name, shape, numpy array) for tensors."""
    if isinstance(v, (pyad.Tensor, torch.Tensor)):
        return (str(v.dtype).split(".")[-1], tuple(v.shape), v.detach().numpy().copy())
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return v


def _equal(a, b):
    if isinstance(a, np.ndarray):   # numpy's operator answered (an operand pyad declines)
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.allclose(a, b, rtol=1e-6, atol=0, equal_nan=True))
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, tuple) and len(a) == 3 and isinstance(a[2], np.ndarray):
        if not (isinstance(b, tuple) and a[:2] == b[:2]):
            return False
        if a[2].dtype.kind == "f":
            return np.allclose(a[2], b[2], rtol=1e-6, atol=0, equal_nan=True)
        return np.array_equal(a[2], b[2])
    try:
        return bool(a == b)
    except ValueError:      # arrays compared elementwise
        return False


def check(fn, label=""):
    """fn(module) gives the same dtype and values (or the same exception) in pyad and torch."""
    got, want = _outcome(fn, pyad), _outcome(fn, torch)
    if want[0] == "err":
        assert got[0] == "err" and got[1] == want[1], (label, got, want)
        return
    assert got[0] == "ok" and _equal(got[1], want[1]), (label, got, want)


def mismatches(cases):
    """The labels of (label, fn) cases whose pyad outcome differs from torch's."""
    bad = []
    for label, fn in cases:
        got, want = _outcome(fn, pyad), _outcome(fn, torch)
        if want[0] == "err":
            ok = got[0] == "err" and got[1] == want[1]
        else:
            ok = got[0] == "ok" and _equal(got[1], want[1])
        if not ok:
            bad.append((label, got, want))
    return bad


# ----------------------------------------------------------------------------
# Family 2: bool and int64 reductions
# ----------------------------------------------------------------------------


def test_bool_sum_counts_past_255():
    check(lambda M: M.tensor([True] * 300).sum())
    check(lambda M: (M.arange(1000.0) >= 500).sum())
    check(lambda M: M.ones(2, 600, dtype=M.bool).sum(1))
    check(lambda M: M.ones(2**20, dtype=M.bool).sum())
    check(lambda M: (M.arange(BIG) % 3 == 0).sum(0, keepdim=True))


def test_bool_sum_with_a_dtype():
    check(lambda M: M.tensor([True, False, True]).sum(dtype=M.bool))
    check(lambda M: M.tensor([3, 0]).sum(dtype=M.bool))
    check(lambda M: M.tensor([[3, 0], [0, 0]]).sum(1, dtype=M.bool))
    check(lambda M: M.tensor([3, 1]).prod(dtype=M.bool))
    check(lambda M: M.ones(300, dtype=M.bool).sum(dtype=M.float32))


def test_cumsum_to_bool_is_refused():
    check(lambda M: M.tensor([3, 1]).cumsum(0, dtype=M.bool))


def test_softmax_of_integers_is_refused():
    check(lambda M: M.softmax(M.tensor([1, 2]), 0))
    check(lambda M: M.tensor([[1, 2]]).log_softmax(0))
    check(lambda M: M.tensor([True]).softmax(0))
    check(lambda M: M.tensor([1, 2]).softmax(0, dtype=M.float64))


FULL_REDUCTIONS = [
    ("sum", lambda x: x.sum()),
    ("sum0", lambda x: x.sum(0)),
    ("sum_keep", lambda x: x.sum(-1, keepdim=True)),
    ("sum_f64",
     lambda x: x.sum(dtype=torch.float64 if isinstance(x, torch.Tensor) else pyad.float64)),
    ("mean", lambda x: x.mean()),
    ("prod", lambda x: x.prod()),
    ("prod0", lambda x: x.prod(0)),
    ("cumsum", lambda x: x.cumsum(0)),
    ("cumprod", lambda x: x.cumprod(0)),
    ("amax", lambda x: x.amax()),
    ("amin", lambda x: x.amin()),
    ("max", lambda x: x.max()),
    ("min", lambda x: x.min()),
    ("max0", lambda x: tuple(x.max(0))),
    ("min0", lambda x: tuple(x.min(0))),
    ("argmax", lambda x: x.argmax()),
    ("argmin", lambda x: x.argmin()),
    ("argmax0", lambda x: x.argmax(0)),
    ("all", lambda x: x.all()),
    ("any", lambda x: x.any()),
    ("all0", lambda x: x.all(0)),
    ("any0", lambda x: x.any(0)),
    ("var", lambda x: x.var()),
    ("std", lambda x: x.std()),
    ("logsumexp", lambda x: (torch if isinstance(x, torch.Tensor) else pyad).logsumexp(x, 0)),
    ("norm", lambda x: x.norm()),
]

DIM_REDUCTIONS = [
    ("sum0", lambda x: x.sum(0)),
    ("sum1", lambda x: x.sum(1)),
    ("sum01", lambda x: x.sum((0, 1))),
    ("sum0k", lambda x: x.sum(0, keepdim=True)),
    ("prod1", lambda x: x.prod(1)),
    ("cumsum1", lambda x: x.cumsum(1)),
    ("cumprod0", lambda x: x.cumprod(0)),
    ("amax0", lambda x: x.amax(0)),
    ("amin1", lambda x: x.amin(1)),
    ("max1", lambda x: tuple(x.max(1))),
    ("min0", lambda x: tuple(x.min(0))),
    ("argmax1", lambda x: x.argmax(1)),
    ("argmin0", lambda x: x.argmin(0)),
    ("all1", lambda x: x.all(1)),
    ("any0", lambda x: x.any(0)),
]


def _values(kind, n, rng):
    if kind == "bool_ones":
        return np.ones(n, bool)
    if kind == "bool_random":
        return rng.random(n) < 0.5
    if kind == "int_small":
        return rng.integers(-3, 4, n)
    # extremes: sums and products wrap in int64 exactly as torch's
    return rng.choice(np.array([2**62, I64_MIN, I64_MAX, 1, -1, 0, 3]), n)


def _on_both(arr, fn):
    return lambda M: fn(M.tensor(arr))


@pytest.mark.slow  # every size from 0 to 4097 and 2**20 + 3
@pytest.mark.parametrize("kind", ["bool_ones", "bool_random", "int_small", "int_extreme"])
def test_reductions_at_block_boundaries(kind):
    rng = np.random.default_rng(13)
    cases = []
    for n in SIZES + [BIG]:
        a = _values(kind, n, rng)
        for name, fn in FULL_REDUCTIONS:
            if n == BIG and name.startswith("cum"):
                continue
            cases.append((f"{name} n={n}", _on_both(a, fn)))
        if n == BIG:
            continue
        for shape in [(2, n), (n, 3), (1, n), (n, 1)]:
            b = np.resize(a, shape[0] * shape[1]).reshape(shape) if n else a.reshape(shape)
            for name, fn in DIM_REDUCTIONS:
                cases.append((f"{name} shape={shape}", _on_both(b, fn)))
    assert mismatches(cases) == []


def test_max_min_ties_take_torchs_index():
    check(lambda M: tuple(M.tensor([1, 5, 5, 2, 5]).max(0)))
    check(lambda M: tuple(M.tensor([True, False, True]).min(0)))
    check(lambda M: tuple(M.tensor([[3, 3], [3, 1]]).max(1)))
    check(lambda M: M.tensor([0, 7, 7, 7]).argmax())
    check(lambda M: M.tensor([[False, False], [True, True]]).argmax(0))


# ----------------------------------------------------------------------------
# Family 2: elementwise ops, comparisons, matmul over every dtype pair
# ----------------------------------------------------------------------------

DTYPE_DATA = {
    "bool": [True, False, True, True],
    "int64": [I64_MIN, -3, 0, I64_MAX],
    "float32": [-1.5, 0.0, 2.0, 3.25],
    "float64": [-1.5, 0.0, 2.0, 1e300],
}


def _mk(M, name):
    return M.tensor(DTYPE_DATA[name], dtype=getattr(M, name))


BINARY = [
    ("add", lambda M, a, b: a + b),
    ("sub", lambda M, a, b: a - b),
    ("mul", lambda M, a, b: a * b),
    ("truediv", lambda M, a, b: a / b),
    ("pow", lambda M, a, b: M.pow(a, b)),
    ("eq", lambda M, a, b: a == b),
    ("lt", lambda M, a, b: a < b),
    ("ge", lambda M, a, b: a >= b),
    ("maximum", lambda M, a, b: M.maximum(a, b)),
    ("minimum", lambda M, a, b: M.minimum(a, b)),
    ("logical_and", lambda M, a, b: M.logical_and(a, b)),
    ("logical_xor", lambda M, a, b: M.logical_xor(a, b)),
    ("where", lambda M, a, b: M.where(a > 0, a, b)),
    ("floordiv", lambda M, a, b: a // b),
    ("mod", lambda M, a, b: a % b),
    ("fmod", lambda M, a, b: M.fmod(a, b)),
    ("div_trunc", lambda M, a, b: M.div(a, b, rounding_mode="trunc")),
    ("div_floor", lambda M, a, b: M.div(a, b, rounding_mode="floor")),
    ("atan2", lambda M, a, b: M.atan2(a, b)),
    ("ne", lambda M, a, b: a != b),
    ("logical_or", lambda M, a, b: M.logical_or(a, b)),
]

# nonzero divisors for the integer divisions (a zero raises, tested below); -1 never meets
# INT64_MIN here, where torch's own 'trunc' division traps (tested against Python below)
DIVISOR_DATA = {
    "bool": [True, True, True, True],
    "int64": [7, -2, -1, I64_MAX],
    "float32": [-1.5, 0.5, 2.0, 3.25],
    "float64": [-1.5, 0.25, 2.0, 1e300],
}


def test_binary_ops_over_dtype_pairs():
    def right(M, name, zero_d):
        t = M.tensor(DIVISOR_DATA[name], dtype=getattr(M, name))
        return t[1] if zero_d else t
    cases = []
    for da in DTYPE_DATA:
        for db in DTYPE_DATA:
            for name, op in BINARY:
                for zero_d in (False, True):    # a 0-d operand promotes differently
                    cases.append((f"{name} {da} {db} 0-d={zero_d}",
                                  lambda M, op=op, da=da, db=db, z=zero_d:
                                  op(M, _mk(M, da), right(M, db, z))))
                    cases.append((f"{name} {db} 0-d={zero_d} {da}",
                                  lambda M, op=op, da=da, db=db, z=zero_d:
                                  op(M, right(M, db, z), _mk(M, da))))
    assert mismatches(cases) == []


def test_integer_pow_with_negative_exponents():
    check(lambda M: M.tensor([2]) ** -1)
    check(lambda M: M.tensor([True]) ** -1)
    check(lambda M: M.tensor([0]) ** -1)
    check(lambda M: M.tensor([2, 1, -1, 0]) ** M.tensor([-1, -1, -3, -1]))
    check(lambda M: 2 ** M.tensor([-1, 3]))
    check(lambda M: M.tensor([2]) ** -1.0)
    check(lambda M: M.tensor([True]) ** M.tensor([True]))
    check(lambda M: True ** M.tensor([True]))
    check(lambda M: M.tensor([True]) ** True)


def test_bool_division_is_refused_as_torch():
    t = [True, True]
    check(lambda M: M.floor_divide(M.tensor(t), M.tensor(t)))
    check(lambda M: M.tensor(t) // True)
    check(lambda M: True // M.tensor(t))
    check(lambda M: M.remainder(M.tensor(t), M.tensor(t)))
    check(lambda M: M.tensor(t) % True)
    check(lambda M: True % M.tensor(t))
    check(lambda M: M.fmod(M.tensor(t), True))
    check(lambda M: M.div(M.tensor(t), M.tensor(t), rounding_mode="trunc"))
    check(lambda M: M.div(M.tensor(t), True, rounding_mode="floor"))
    check(lambda M: M.tensor(t) // 2)
    check(lambda M: M.tensor(t) % 2)


def test_bool_tensor_with_a_bool_scalar_stays_bool():
    # the scalar kernels have no bool loop: this read and wrote bool elements as int64 (a heap
    # overflow for any tensor longer than its allocation's slack)
    for n in (1, 17, 4097):
        check(lambda M, n=n: M.ones(n, dtype=M.bool) + True, n)
        check(lambda M, n=n: M.zeros(n, dtype=M.bool) + False, n)
        check(lambda M, n=n: True + M.zeros(n, dtype=M.bool), n)
        check(lambda M, n=n: M.ones(n, dtype=M.bool) * False, n)
        check(lambda M, n=n: False * M.ones(n, dtype=M.bool), n)
        check(lambda M, n=n: M.zeros(n, dtype=M.bool) ** False, n)
        check(lambda M, n=n: M.ones(n, dtype=M.bool) ** True, n)
        check(lambda M, n=n: M.ones(n, dtype=M.bool).add(True, alpha=True), n)
        check(lambda M, n=n: M.ones(n, dtype=M.bool) / True, n)


def test_bool_maximum_minimum_stay_bool():
    check(lambda M: M.maximum(M.tensor([True, False]), M.tensor([False, False])))
    check(lambda M: M.minimum(M.tensor([True, False]), M.tensor([True, True])))
    check(lambda M: M.maximum(M.tensor([True]), M.tensor([2])))


def test_integer_matmul_family():
    a = np.array([[2**40, -3], [7, 2**62]])
    b = np.array([[5, 2**30], [-1, 4]])
    v = np.array([3, -2**61])
    check(lambda M: M.tensor(a) @ M.tensor(b))
    check(lambda M: M.mm(M.tensor(a), M.tensor(b)))
    check(lambda M: M.mv(M.tensor(a), M.tensor(v)))
    check(lambda M: M.dot(M.tensor(v), M.tensor(v)))
    check(lambda M: M.bmm(M.tensor(a)[None], M.tensor(b)[None]))
    check(lambda M: M.einsum("ij,jk->ik", M.tensor(a), M.tensor(b)))
    check(lambda M: M.tensor(a) @ M.tensor(b, dtype=M.float32))
    check(lambda M: M.tensor([[True]]) @ M.tensor([[True]]))
    rng = np.random.default_rng(2)
    for m, k, n in [(1, 17, 1), (33, 40, 33), (64, 64, 65), (5, 129, 3)]:
        x, y = rng.integers(-9, 9, (m, k)), rng.integers(-9, 9, (k, n))
        check(lambda M, x=x, y=y: M.tensor(x) @ M.tensor(y), (m, k, n))
        check(lambda M, x=x, y=y: M.tensor(x).t() @ M.tensor(x), (m, k))


# ----------------------------------------------------------------------------
# Family 4: integer division at INT64_MIN / -1 and by zero
# ----------------------------------------------------------------------------

def ifloordiv(x, c):
    x = x.clone()
    x //= c
    return x


def imod(x, c):
    x = x.clone()
    x %= c
    return x


DIVISIONS = [
    "x // -1", "x % -1", "M.fmod(x, -1)", "M.remainder(x, -1)", "M.floor_divide(x, -1)",
    "M.div(x, -1, rounding_mode='floor')", "M.div(x, -1, rounding_mode='trunc')",
    "x // M.tensor([-1])", "x % M.tensor([-1])", "M.fmod(x, M.tensor([-1]))",
    "M.remainder(x, M.tensor([-1]))", "M.floor_divide(x, M.tensor([-1]))",
    "M.div(x, M.tensor([-1]), rounding_mode='floor')",
    "M.div(x, M.tensor([-1]), rounding_mode='trunc')",
    "-2**63 // M.tensor([-1])", "-2**63 % M.tensor([-1])", "M.remainder(-2**63, M.tensor([-1]))",
    "M.floor_divide(-2**63, M.tensor([-1]))",
    "M.tensor(-2**63) // M.tensor([-1, -1])", "x.div(-1, rounding_mode='trunc')",
    "x.floor_divide(-1)", "x.fmod(-1)", "x.remainder(-1)",
    "ifloordiv(x, -1)", "imod(x, -1)",
    "x.clone().div_(-1, rounding_mode='trunc')", "x.clone().div_(-1, rounding_mode='floor')",
]


def _wrap(v):
    return (v + 2**63) % 2**64 - 2**63


def _python_reference(expr):
    """INT64_MIN op -1 in exact integer arithmetic, wrapped to int64."""
    a, b = I64_MIN, -1
    if "%" in expr or "fmod" in expr or "remainder" in expr or "imod" in expr:
        return 0
    q = -(abs(a) // abs(b)) if "trunc" in expr and (a < 0) != (b < 0) else a // b
    return _wrap(q)


@pytest.mark.slow
def test_int64_min_divided_by_minus_one_does_not_trap():
    # in a subprocess: a regression is a failing test, not a dead test run
    if AGAINST_TORCH:
        pytest.skip("torch's own 'trunc' division traps at INT64_MIN / -1")
    code = textwrap.dedent(f"""
        import {MODULE_NAME} as M
        from test_int_exactness import ifloordiv, imod
        for expr in {DIVISIONS!r}:
            x = M.tensor([-2**63])
            r = eval(expr)
            print(expr, '|', r.dtype, '|', r.reshape(-1).tolist())
    """)
    p = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                       timeout=120,
                       env=module_path_env(), cwd=str(Path(__file__).parent))
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    lines = p.stdout.strip().splitlines()
    assert len(lines) == len(DIVISIONS)
    for expr, line in zip(DIVISIONS, lines):
        _, dtype, values = line.split(" | ")
        assert dtype == f"{MODULE_NAME}.int64", line
        assert set(eval(values)) == {_python_reference(expr)}, line


def test_int64_min_divided_by_minus_one_matches_torch():
    # the cases torch itself survives (its 'trunc' rounding traps too)
    for expr in DIVISIONS:
        if "trunc" not in expr:
            check(lambda M, expr=expr: eval(expr, {"M": M, "x": M.tensor([-2**63]),
                                                   "ifloordiv": ifloordiv, "imod": imod}), expr)


@pytest.mark.parametrize("expr", [
    "x // 0", "x % 0", "M.fmod(x, 0)", "M.remainder(x, 0)", "M.floor_divide(x, 0)",
    "M.div(x, 0, rounding_mode='trunc')", "M.div(x, 0, rounding_mode='floor')",
    "x // M.tensor([0, 1])", "x % M.tensor([1, 0])", "M.fmod(x, M.tensor([0, 1]))",
    "5 // M.tensor([0])", "5 % M.tensor([0])", "x // False", "x % M.tensor([False])",
    "M.div(x, M.tensor([0]), rounding_mode='trunc')", "x / 0", "x / M.tensor([0])",
    "x.float() // 0", "M.fmod(x.double(), 0)", "M.remainder(x.float(), 0.0)",
    "ifloordiv(x, 0)", "imod(x, 0)",
])
def test_integer_division_by_zero(expr):
    check(lambda M: eval(expr, {"M": M, "x": M.tensor([5, -7]), "ifloordiv": ifloordiv,
                                "imod": imod}), expr)


def test_integer_division_agrees_with_torch_on_signs_and_extremes():
    vals = [I64_MIN, I64_MIN + 1, -7, -1, 1, 7, I64_MAX]
    divs = [I64_MIN, -7, -2, -1, 1, 2, 7, I64_MAX]
    ops = ["a // b", "a % b", "M.fmod(a, b)", "M.div(a, b, rounding_mode='floor')"]
    cases = []
    for op in ops:
        cases.append((op + " tensor", lambda M, op=op: eval(
            op, {"M": M, "a": M.tensor(vals)[:, None], "b": M.tensor(divs)})))
        for d in divs:
            cases.append((f"{op} scalar {d}", lambda M, op=op, d=d: eval(
                op, {"M": M, "a": M.tensor(vals), "b": d})))
    assert mismatches(cases) == []
    # 'trunc' against exact integer arithmetic (torch traps at INT64_MIN / -1)
    if AGAINST_TORCH:
        return
    a = np.array(vals)[:, None]
    b = np.array(divs)
    got = pyad.div(pyad.tensor(a), pyad.tensor(b), rounding_mode="trunc").tolist()
    want = [[_wrap(abs(x) // abs(y) if (x < 0) == (y < 0) else -(abs(x) // abs(y)))
             for y in divs] for x in vals]
    assert got == want


# ----------------------------------------------------------------------------
# Family 7: integer scalars stay exact
# ----------------------------------------------------------------------------


def test_the_reported_scalar_cases():
    check(lambda M: M.full((1,), 2**53 + 1))
    check(lambda M: M.tensor([0]) - (2**60 + 1))
    check(lambda M: M.tensor([5, 7]) ** (2**62 + 1))
    check(lambda M: M.tensor([2**63 - 1]) == 2**63 - 1)
    check(lambda M: M.tensor([5]).fill_(2**62 + 1))
    check(lambda M: M.tensor([5]).add_(2**62 + 1))
    check(lambda M: M.tensor([5]) + np.int64(2**62 + 1))
    check(lambda M: M.tensor([5]) + np.uint64(2**62 + 1))


def _setitem(M, index, value):
    x = M.tensor([5, 6])
    x[index] = value
    return x


BIG_INTS = [2**53 + 1, 2**60 + 1, 2**62 + 1, I64_MAX, I64_MIN, -(2**62) - 3, 2**63,
            2**64 - 1, 2**64, I64_MIN - 1]

SCALAR_OPS = [
    ("add", lambda M, x, c: x + c), ("radd", lambda M, x, c: c + x),
    ("sub", lambda M, x, c: x - c), ("rsub", lambda M, x, c: c - x),
    ("mul", lambda M, x, c: x * c), ("rmul", lambda M, x, c: c * x),
    ("truediv", lambda M, x, c: x / c), ("rtruediv", lambda M, x, c: c / x),
    ("floordiv", lambda M, x, c: x // c), ("rfloordiv", lambda M, x, c: c // x),
    ("mod", lambda M, x, c: x % c), ("rmod", lambda M, x, c: c % x),
    ("fmod", lambda M, x, c: M.fmod(x, c)), ("remainder", lambda M, x, c: M.remainder(x, c)),
    ("div_floor", lambda M, x, c: M.div(x, c, rounding_mode="floor")),
    ("pow", lambda M, x, c: x ** c), ("rpow", lambda M, x, c: c ** x),
    ("eq", lambda M, x, c: x == c), ("ne", lambda M, x, c: x != c),
    ("lt", lambda M, x, c: x < c), ("ge", lambda M, x, c: x >= c),
    ("clamp_min", lambda M, x, c: x.clamp(min=c)), ("clamp_max", lambda M, x, c: x.clamp(max=c)),
    ("clamp", lambda M, x, c: M.clamp(x, c, c)),
    ("where_a", lambda M, x, c: M.where(x > 1, c, x)),
    ("where_b", lambda M, x, c: M.where(x > 1, x, c)),
    ("where_both", lambda M, x, c: M.where(x > 1, c, 3)),
    ("masked_fill", lambda M, x, c: x.masked_fill(x > 1, c)),
    ("fill_", lambda M, x, c: x.clone().fill_(c)),
    ("full", lambda M, x, c: M.full((2,), c)),
    ("full_like", lambda M, x, c: M.full_like(x, c)),
    ("setitem", lambda M, x, c: _setitem(M, 0, c)),
    ("setitem_slice", lambda M, x, c: _setitem(M, slice(None), c)),
    ("setitem_list", lambda M, x, c: _setitem(M, [1], c)),
    ("add_", lambda M, x, c: x.clone().add_(c)),
    ("sub_", lambda M, x, c: x.clone().sub_(c)),
    ("mul_", lambda M, x, c: x.clone().mul_(c)),
    ("iadd", lambda M, x, c: x.clone().__iadd__(c)),
    ("add_alpha", lambda M, x, c: x.add(3, alpha=c)),
    ("add_tensor_alpha", lambda M, x, c: x.add(x, alpha=c)),
    ("sub_alpha", lambda M, x, c: x.sub(2, alpha=c)),
]

# constructors take Python ints (numpy scalars there are torch's own quirks: int8 tensors,
# refused uint16 promotion)
MAKERS = [
    ("arange", lambda M, x, c: M.arange(c - 3, c) if c > 0 else M.arange(c, c + 3)),
    ("arange_step",
     lambda M, x, c: M.arange(0, c, c // 2 or 1) if c > 0 else M.arange(c, 0, -c // 2 or 1)),
    ("tensor", lambda M, x, c: M.tensor([c, 1])),
    ("tensor0d", lambda M, x, c: M.tensor(c)),
    ("tensor_nested", lambda M, x, c: M.tensor([[1], [c]])),
]


@pytest.mark.parametrize("dtype", ["int64", "bool", "float32", "float64"])
def test_big_python_ints_with_tensors(dtype):
    def operand(M):
        return M.tensor([5, -3, 2] if dtype != "bool" else [True, False, True],
                        dtype=getattr(M, dtype))
    cases = []
    for c in BIG_INTS + [0, 1, -1, 3]:
        for name, op in SCALAR_OPS + MAKERS:
            cases.append((f"{name} {dtype} {c}",
                          lambda M, op=op, c=c: op(M, operand(M), c)))
    assert mismatches(cases) == []


NUMPY_SCALARS = [np.int8(-3), np.int16(300), np.int32(-2**31), np.int64(2**62 + 1),
                 np.uint8(200), np.uint16(7), np.uint32(2**32 - 1), np.uint64(2**62 + 1),
                 np.uint64(2**63), np.float16(2.5), np.float32(-1.25), np.float64(2.0**60),
                 np.bool_(True), np.bool_(False), np.int64(0), np.int64(-1)]


@pytest.mark.parametrize("dtype", ["int64", "bool", "float32", "float64"])
def test_numpy_scalars_with_tensors(dtype):
    def operand(M):
        return M.tensor([5, -3, 2] if dtype != "bool" else [True, False, True],
                        dtype=getattr(M, dtype))
    # numpy's own operator answers these, with an ndarray
    skip = {"rtruediv", "rpow", "rfloordiv", "rmod", "rsub", "radd", "rmul"}
    cases = []
    for c in NUMPY_SCALARS:
        for name, op in SCALAR_OPS:
            if name in skip and isinstance(c, np.unsignedinteger) and c > I64_MAX:
                continue
            if name.startswith("setitem") and isinstance(c, (np.floating, np.bool_)):
                continue    # torch refuses those (a TypeError) only through __setitem__
            if name == "pow" and dtype.startswith("float") and abs(int(c)) > 2**24:
                continue    # a float32 exponent rounds an odd integer to even in either library
            cases.append((f"{name} {dtype} {type(c).__name__}({c})",
                          lambda M, op=op, c=c: op(M, operand(M), c)))
    assert mismatches(cases) == []


def test_int_arithmetic_wraps_as_torch():
    check(lambda M: M.tensor([I64_MAX]) + 1)
    check(lambda M: M.tensor([I64_MIN]) - 1)
    check(lambda M: M.tensor([2**62]) * 4)
    check(lambda M: M.tensor([3]) ** 41)
    check(lambda M: -M.tensor([I64_MIN]))
    check(lambda M: M.tensor([I64_MIN]).abs())
    check(lambda M: M.tensor([I64_MAX, 1]).sum())
    check(lambda M: M.tensor([2**32, 2**32]).prod())
    check(lambda M: M.tensor([I64_MAX, 1]).cumsum(0))
    check(lambda M: M.tensor([5]).add(2**40, alpha=2**40))
    check(lambda M: M.tensor([5]).add(2, alpha=0.5))
    check(lambda M: M.tensor([5]).add(M.tensor([1]), alpha=2.0))
    check(lambda M: M.tensor([True]).add(M.tensor([True]), alpha=2))
    check(lambda M: M.tensor([True, False]).add(True))
    check(lambda M: M.tensor([True, False]).add(False, alpha=2))
    check(lambda M: M.tensor([True, False]).add_(True))
    check(lambda M: M.tensor([5]).add(1, alpha=True))
    check(lambda M: M.tensor([5.0]).add(M.tensor([1.0]), alpha=False))
    check(lambda M: M.tensor([5]) - True)
    check(lambda M: True - M.tensor([True]))
    check(lambda M: M.tensor([5.0]).sub_(False))


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_number_arguments_of_the_ternary_ops_convert_as_torch(dtype):
    # addcmul's value with int64 operands is an exact int64 (not a double: 2**53 + 1 stays
    # odd) and the arithmetic wraps; a float value is truncated; float32 results refuse a
    # finite value beyond float32's range; lerp's weight likewise
    def ops(M):
        x = M.tensor([1, 2, -7], dtype=getattr(M, dtype))
        a = M.tensor([3, 4, 5], dtype=getattr(M, dtype))
        b = M.tensor([5, 6, -9], dtype=getattr(M, dtype))
        return x, a, b
    cases = []
    for v in BIG_INTS + [2**53 + 1, 2**62 + 3, 2.5, -2.5, 1e30, 1e300, float("inf"),
                         float("nan"), True, np.int64(2**60 + 7), np.float64(1e300)]:
        cases += [
            (f"addcmul {v}", lambda M, v=v: M.addcmul(*ops(M), value=v)),
            (f"addcmul_ {v}", lambda M, v=v: ops(M)[0].addcmul_(*ops(M)[1:], value=v)),
            (f"addcdiv {v}", lambda M, v=v: M.addcdiv(*ops(M), value=v)),
            (f"lerp {v}", lambda M, v=v: M.lerp(*ops(M)[:2], v)),
            (f"lerp_ {v}", lambda M, v=v: ops(M)[0].lerp_(ops(M)[1], v)),
        ]
    assert mismatches(cases) == []


UNARY = ["neg", "abs", "sign", "sqrt", "exp", "log", "sin", "tanh", "sigmoid", "relu", "floor",
         "ceil", "round", "trunc", "reciprocal", "square", "expm1", "log1p", "rsqrt", "erf",
         "isnan", "isinf", "isfinite", "logical_not", "nan_to_num", "float", "double", "long",
         "bool", "clone", "neg_"]


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_unary_ops_on_integers(dtype):
    def operand(M):
        return M.tensor(DTYPE_DATA[dtype], dtype=getattr(M, dtype))
    cases = []
    for name in UNARY:
        cases.append((name, lambda M, name=name: getattr(M, name)(operand(M))
                      if not name.endswith("_") and name not in ("float", "double", "long", "bool",
                                                                 "clone")
                      else getattr(operand(M), name)()))
    cases.append(("-x", lambda M: -operand(M)))
    cases.append(("~x", lambda M: ~operand(M)))
    cases.append(("abs()", lambda M: abs(operand(M))))
    assert mismatches(cases) == []


BITWISE = [("and", lambda a, b: a & b), ("or", lambda a, b: a | b), ("xor", lambda a, b: a ^ b)]


def test_bitwise_ops_follow_torchs_promotion():
    operands = {
        "int64": lambda M: M.tensor([I64_MIN, -6, 0, 5, I64_MAX]),
        "bool": lambda M: M.tensor([True, False, True, True, False]),
        "float32": lambda M: M.tensor([1.0, 2.0, 3.0, 4.0, 5.0]),
        "int64_0d": lambda M: M.tensor(12),
        "bool_0d": lambda M: M.tensor(True),
    }
    scalars = [3, -1, True, False, 2**63, 2**62 + 1, 1.5, np.int64(6), np.bool_(True), None,
               [1, 2, 3, 4, 5]]
    cases = []
    for name, op in BITWISE:
        for la, a in operands.items():
            for lb, b in operands.items():
                cases.append((f"{la} {name} {lb}", lambda M, op=op, a=a, b=b: op(a(M), b(M))))
            for c in scalars:
                cases.append((f"{la} {name} {c!r}", lambda M, op=op, a=a, c=c: op(a(M), c)))
                cases.append((f"{c!r} {name} {la}", lambda M, op=op, a=a, c=c: op(c, a(M))))
    for la, a in operands.items():
        cases.append((f"~{la}", lambda M, a=a: ~a(M)))
    assert mismatches(cases) == []


def test_arange_of_big_ints_has_torchs_length_and_values():
    # numpy's arange takes its length through doubles: above 2**53 it dropped the last value
    rng = np.random.default_rng(7)
    cases = []
    for _ in range(300):
        k = int(rng.choice([10, 2**20, 2**51, 2**53, 2**62]))
        a, b = (int(v) for v in rng.integers(-k, k, 2, endpoint=True))
        step = int(rng.choice([1, -1, 2, -3, 7,
                               int(rng.integers(1, k)) * int(rng.choice([1, -1]))]))
        if -((a - b) // step) > 10**5:
            continue    # a size whose allocation fails differently in each library
        cases.append((f"arange({a}, {b}, {step})", lambda M, a=a, b=b, s=step: M.arange(a, b, s)))
    cases.append(("overflowing span", lambda M: M.arange(0, I64_MAX, 2**62 - 1)))
    cases.append(("top of int64", lambda M: M.arange(I64_MAX - 3, I64_MAX)))
    cases.append(("numpy ints", lambda M: M.arange(np.int32(3), np.uint8(9), np.int64(2))))
    assert len(cases) > 100 and mismatches(cases) == []


def _random_int(rng):
    k = int(rng.choice([3, 2**31, 2**53, 2**62, 2**63 - 1]))
    v = int(rng.integers(-k, k))
    return int(rng.choice([v, v, I64_MIN, I64_MAX, 0, -1, 1]))


def _random_scalar(rng):
    r = rng.random()
    if r < 0.6:
        return _random_int(rng)
    if r < 0.7:
        return int(rng.choice([2**63, 2**64 - 1, 2**63 + 5]))
    if r < 0.8:
        return bool(rng.integers(0, 2))
    if r < 0.9:
        return float(rng.uniform(-1e19, 1e19))
    t = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
         np.float32, np.float64][int(rng.integers(0, 10))]
    if t in (np.float32, np.float64):
        return t(rng.uniform(-1e6, 1e6))
    info = np.iinfo(t)
    lo, hi = int(info.min), int(info.max)
    if rng.random() < 0.3:
        return t(lo if rng.random() < 0.5 else hi)
    return t(lo + int(rng.integers(0, 2**62)) * 4 % (hi - lo + 1))


def test_random_scalar_programs():
    """Random (op, tensor of extreme ints, scalar) triples, every scalar kind, against torch."""
    rng = np.random.default_rng(1313)
    cases = []
    while len(cases) < 1500:
        vals = [_random_int(rng) for _ in range(int(rng.integers(1, 6)))]
        dt = ["int64", "int64", "bool", "float32", "float64"][int(rng.integers(0, 5))]
        c = _random_scalar(rng)
        name, op = SCALAR_OPS[int(rng.integers(0, len(SCALAR_OPS)))]
        if isinstance(c, np.unsignedinteger) and c > I64_MAX and name.startswith("r"):
            continue    # numpy's own operator answers
        if name == "pow" and dt.startswith("float") and abs(int(c)) > 2**24:
            continue    # a float32 exponent rounds an odd integer to even in either library
        if name.startswith("setitem") and isinstance(c, (np.floating, np.bool_)):
            continue    # torch's __setitem__ refuses those numpy types only there

        def operand(M, vals=vals, dt=dt):
            v = ([bool(x) for x in vals] if dt == "bool" else
                 [float(x) for x in vals] if dt.startswith("float") else vals)
            return M.tensor(v, dtype=getattr(M, dt))
        cases.append((f"{name} {dt} {vals} {c!r}",
                      lambda M, op=op, c=c, operand=operand: op(M, operand(M), c)))
    assert mismatches(cases) == []


@pytest.mark.parametrize("call", ["x.mean(5)", "x.mean(dim=(0, 9))", "x.std(5)", "x.var(dim=7)",
                                  "x.std(0)", "x.mean()"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_dtype_error_comes_before_the_dim_error(pt, call, dtype):
    """torch refuses an integer mean/std/var for its dtype before looking at the dims (the
    fuzzer found pyad naming the out-of-range dim first)."""
    torch = pytest.importorskip("torch")

    def outcome(m):
        x = m.ones(2, 3, dtype=getattr(m, dtype))  # noqa: F841  (the eval below reads it)
        try:
            eval(call)   # noqa: S307
        except Exception as e:   # noqa: BLE001
            return type(e).__name__, str(e).replace("torch.", "pyad.")
        return "ok"
    assert outcome(pt) == outcome(torch)
