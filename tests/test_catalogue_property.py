"""Property test: random multi-op programs over the whole op catalogue, against PyTorch.

A *program* is a list of nodes.  A node is either a leaf (a float array that becomes a
``requires_grad`` tensor) or a step ``vK = op(vI, vJ, ...; params)`` whose operands are
earlier nodes.  The catalogue (``OPS``, about 150 entries) spans elementwise unary ops, ops
with Python scalars, broadcasting binary ops, ``where``/masks, reductions and scans, shape
ops, basic and advanced indexing, gather/scatter, and linear algebra, each in its function,
method and operator spellings.  Hypothesis draws everything about a step (operands, dims,
index arrays, constants) except which op it is: that comes from a generator seeded by the
program seed and a digest of all draws so far, because hypothesis's own draws return to the
same few values (the first entry of a list, seed 0) and left parts of the catalogue nearly
unexercised; ``test_every_op_was_generated`` checks that every op occurred.  Shapes stay
compatible by construction: an operand of a fitting shape is picked among the earlier values,
or a new leaf of that shape is made.

Domains and kinks are handled with the values themselves: while it draws a program, the
generator evaluates every step in torch float64 and only lets an op take an operand inside
the op's smooth domain with a margin (``log``/``sqrt`` of values > 0.05, ``abs``, ``relu``,
``sign``, ``prod`` of values with ``|x| > MARGIN``, ``maximum``/``amax``/``max``/``clamp``/
``where``/``masked_fill`` with no near-ties, well-conditioned matrices for ``det``/
``inverse``/``solve``, ...).  When no earlier value fits, a new leaf is drawn inside the
domain.  A step whose result is not finite, larger than ``BOUND`` or too big is dropped.
Every value is therefore at least ``MARGIN`` away from any kink, far more than float32
rounding moves it, so the float32 run takes the same branches as the float64 one.

Every value no later step consumes (a *sink*) is reduced to a scalar with a random weight
array; the sum of those is the program's output.  For each program, in pyad and in torch:

- the value of every node (forward) and its dtype;
- ``autograd.grad(out, leaves, retain_graph=True)``, unused leaves giving ``None``, then
  ``out.backward()`` on the same graph and the leaves' ``.grad``;
- ``autograd.grad(out, leaves, create_graph=True)`` on a freshly built program: equal to the
  create_graph=False gradient and to torch's, with a grad_fn exactly where torch's has one;
- a Hessian-vector product ``grad(sum <g_i, v_i>, leaves)`` with random ``v``.

All comparisons are normwise per array: ``|got - want| <= rtol * (|want| + max(1, max|want|))``,
so an entry produced by cancellation is judged against the array's scale.

The last section pins, as strict xfails, the deviations from torch found while writing this
test at the points the programs avoid (NaN inputs, singular points, grad_fn of gradients).
"""

import math
import operator
import zlib
from collections import Counter, namedtuple
from functools import reduce

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import AGAINST_TORCH  # noqa: E402
from test_vs_torch import as_np  # noqa: E402

pytestmark = pytest.mark.slow  # hypothesis-generated programs

MARGIN = 1e-2  # distance kept from kinks and ties
BOUND = 50.0  # |value| of every node stays below this
MAX_NUMEL = 48
MAX_DIMS = 4
MAX_LEAVES = 5
MAX_STEPS = 8

# Tolerances (rtol; the atol is rtol times the array's scale, see the module docstring).
# float64: forward 1e-10 and first derivatives 1e-10 (pyad and torch evaluate the same formulas,
# the programs are short and guarded away from ill-conditioned points); second derivatives
# 1e-8 (their formulas differ more between the two libraries and chain more ops).
TOL = {
    "float64": {"value": 1e-10, "grad": 1e-10, "hvp": 1e-8},
    # float32: fixed multiples of the unit roundoff eps = 2**-23 ~ 1.2e-7, chosen from the
    # program sizes, not from observed errors.  A program has at most MAX_STEPS steps, each a
    # few roundings, reductions over at most MAX_NUMEL terms, and local condition numbers
    # bounded by the domain guards (|x| > 0.05 under log/sqrt, |x| > 0.1 under division,
    # cond(A) < COND_MAX).  Allowing 2**10 eps for the forward covers that budget; each
    # derivative order roughly doubles the chain of rounded ops (the backward pass re-runs
    # the forward's formulas and adds its own), hence 2**11 eps and 2**12 eps.
    "float32": {"value": 2.0**-13, "grad": 2.0**-12, "hvp": 2.0**-11},
}

COND_MAX = 20.0


# ----------------------------------------------------------------------------
# domains
# ----------------------------------------------------------------------------


def _dist_to_grid(v, step, offset=0.0):
    """Distance of each value to the nearest point of ``offset + step * Z``."""
    u = (np.asarray(v) - offset) / step
    return np.abs(u - np.round(u)) * step


DOMAINS = {
    "any": lambda v: True,
    "lt3": lambda v: v.max() < 3.0,  # exp-like ops: keep the result small
    "pos": lambda v: v.min() > 0.05,
    "nonzero": lambda v: np.abs(v).min() > 0.1,
    "kink0": lambda v: np.abs(v).min() > MARGIN,
    "unit": lambda v: np.abs(v).max() < 0.95,
    "gt1": lambda v: v.min() > 1.05,
    "gtm1": lambda v: v.min() > -0.95,
    "tan": lambda v: np.abs(v).max() < 1.3,
    "int": lambda v: _dist_to_grid(v, 1.0).min() > MARGIN,  # floor/ceil/trunc
    "half": lambda v: _dist_to_grid(v, 1.0, 0.5).min() > MARGIN,  # round
    "mod07": lambda v: _dist_to_grid(v, 0.7).min() > MARGIN,  # fmod/remainder by 0.7
}


LEAF_RANGES = {"any": (-1.5, 1.5), "lt3": (-1.5, 1.5), "pos": (0.3, 2.0), "unit": (-0.9, 0.9),
               "gt1": (1.2, 2.5), "gtm1": (-0.8, 1.5), "tan": (-1.2, 1.2)}
GRIDS = {"int": (1.0, 0.0), "half": (1.0, 0.5), "mod07": (0.7, 0.0)}


def leaf_data(rng, shape, domain):
    """Leaf values inside ``domain`` (with room to spare)."""
    if domain in GRIDS:  # between grid points, at least a tenth of a step from them
        step, offset = GRIDS[domain]
        return offset + step * (rng.integers(-2, 2, size=shape) + rng.uniform(0.1, 0.9, size=shape))
    if domain == "wellcond":  # square matrices near +-2 I: cond < 2 + something small
        n = shape[-1]
        return rng.choice([-2.0, 2.0], size=shape[:-1])[..., None] * np.eye(n) + rng.uniform(
            -0.4, 0.4, size=shape)
    if domain in ("nonzero", "kink0"):
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 1.5, size=shape)
    return rng.uniform(*LEAF_RANGES[domain], size=shape)


def _broadcastable(*shapes):
    try:
        np.broadcast_shapes(*shapes)
        return True
    except ValueError:
        return False


def _norm_dims(dims, nd):
    if dims is None:
        return tuple(range(nd))
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return tuple(sorted(d % max(nd, 1) for d in dims)) if nd else ()


def _groups(v, dims):
    """The reduced groups of ``v`` over ``dims`` as rows of a 2-D array."""
    nd = v.ndim
    dims = _norm_dims(dims, nd)
    if nd == 0:
        return v.reshape(1, 1)
    moved = np.moveaxis(v, dims, range(nd - len(dims), nd))
    k = int(np.prod([v.shape[d] for d in dims])) if dims else 1
    return moved.reshape(-1, k)


def no_ties(v, dims, largest):
    """The extreme of every reduced group is unique by more than MARGIN."""
    g = _groups(np.asarray(v), dims)
    if g.shape[1] < 2:
        return True
    s = np.sort(g, axis=1)
    gap = s[:, -1] - s[:, -2] if largest else s[:, 1] - s[:, 0]
    return gap.min() > MARGIN


# ----------------------------------------------------------------------------
# the op catalogue
# ----------------------------------------------------------------------------

Op = namedtuple("Op", "name family gen apply")
Node = namedtuple("Node", "op args params")  # op None: a leaf, params is its data
OPS = {}


def op(name, family, gen):
    """Register ``apply(m, operands, params)`` (``m``: pyad or torch) under ``name``.

    ``gen(builder)`` draws the operands (node indices) and params of one step, or returns None
    when the op does not fit the values drawn so far."""

    def deco(apply):
        assert name not in OPS, name
        OPS[name] = Op(name, family, gen, apply)
        return apply

    return deco


def one_of(form, *calls):
    """Call the ``form``-th of several spellings of one op (function, method, operator)."""
    return calls[form]()


def register(table, family, make_gen):
    for name, apply, *rest in table:
        op(name, family, make_gen(*rest))(apply)


# --- elementwise unary --------------------------------------------------------

UNARY = [
    ("neg", lambda m, x: -x, "any"),
    ("exp", lambda m, x: x.exp(), "lt3"),
    ("log", lambda m, x: m.log(x), "pos"),
    ("sqrt", lambda m, x: x.sqrt(), "pos"),
    ("rsqrt", lambda m, x: m.rsqrt(x), "pos"),
    ("sin", lambda m, x: m.sin(x), "any"),
    ("cos", lambda m, x: x.cos(), "any"),
    ("tan", lambda m, x: m.tan(x), "tan"),
    ("tanh", lambda m, x: x.tanh(), "any"),
    ("sigmoid", lambda m, x: m.sigmoid(x), "any"),
    ("relu", lambda m, x: x.relu(), "kink0"),
    ("abs", lambda m, x: m.abs(x), "kink0"),
    ("abs()", lambda m, x: abs(x), "kink0"),
    ("expm1", lambda m, x: m.expm1(x), "lt3"),
    ("log1p", lambda m, x: x.log1p(), "gtm1"),
    ("log2", lambda m, x: m.log2(x), "pos"),
    ("log10", lambda m, x: x.log10(), "pos"),
    ("atan", lambda m, x: m.atan(x), "any"),
    ("asin", lambda m, x: x.asin(), "unit"),
    ("acos", lambda m, x: m.acos(x), "unit"),
    ("atanh", lambda m, x: m.atanh(x), "unit"),
    ("sinh", lambda m, x: x.sinh(), "lt3"),
    ("cosh", lambda m, x: m.cosh(x), "lt3"),
    ("asinh", lambda m, x: m.asinh(x), "any"),
    ("acosh", lambda m, x: x.acosh(), "gt1"),
    ("erf", lambda m, x: m.erf(x), "any"),
    ("square", lambda m, x: x.square(), "any"),
    ("reciprocal", lambda m, x: m.reciprocal(x), "nonzero"),
    ("sign", lambda m, x: m.sign(x), "kink0"),
    ("floor", lambda m, x: x.floor(), "int"),
    ("ceil", lambda m, x: m.ceil(x), "int"),
    ("trunc", lambda m, x: m.trunc(x), "int"),
    ("round", lambda m, x: x.round(), "half"),
    ("fmod", lambda m, x: m.fmod(x, 0.7), "mod07"),
    ("remainder", lambda m, x: x % 0.7, "mod07"),
    ("nan_to_num", lambda m, x: m.nan_to_num(x), "any"),
    ("clone", lambda m, x: m.clone(x), "any"),
    ("x**2", lambda m, x: x**2, "any"),
    ("x**3", lambda m, x: x.pow(3), "any"),
    ("x**0", lambda m, x: x**0, "any"),
    ("x**-1", lambda m, x: m.pow(x, -1), "nonzero"),
    ("x**-2", lambda m, x: x**-2, "nonzero"),
    ("x**0.5", lambda m, x: x**0.5, "pos"),
    ("x**1.5", lambda m, x: x**1.5, "pos"),
    ("x**-0.5", lambda m, x: x**-0.5, "pos"),
    ("2**x", lambda m, x: 2**x, "lt3"),
    ("0.5**x", lambda m, x: m.pow(0.5, x), "any"),
    ("softplus", lambda m, x: (x.exp() + 1).log(), "lt3"),
]


def gen_unary(domain):
    def gen(b):
        i = b.pick_in(domain)
        return None if i is None else ((i,), {})

    return gen


register([(n, lambda m, xs, p, f=f: f(m, xs[0]), d) for n, f, d in UNARY], "unary", gen_unary)

# --- tensor and Python scalar -------------------------------------------------

SCALARS = [2.0, -1.5, 0.5, 3, -2, 1]
SCALAR_OPS = [
    ("x+c", lambda m, x, c: x + c, "any"),
    ("c+x", lambda m, x, c: c + x, "any"),
    ("x-c", lambda m, x, c: x - c, "any"),
    ("c-x", lambda m, x, c: c - x, "any"),
    ("x*c", lambda m, x, c: x * c, "any"),
    ("c*x", lambda m, x, c: c * x, "any"),
    ("x/c", lambda m, x, c: x / c, "any"),
    ("c/x", lambda m, x, c: c / x, "nonzero"),
    ("add(x,c)", lambda m, x, c: m.add(x, c), "any"),
    ("x.sub(c)", lambda m, x, c: x.sub(c), "any"),
    ("mul(x,c)", lambda m, x, c: m.mul(x, c), "any"),
    ("x.div(c)", lambda m, x, c: x.div(c), "any"),
]


def gen_scalar(domain):
    def gen(b):
        c = b.choice(SCALARS)
        i = b.pick_in(domain)
        return None if i is None else ((i,), {"c": c})

    return gen


register(
    [(n, lambda m, xs, p, f=f: f(m, xs[0], p["c"]), d) for n, f, d in SCALAR_OPS],
    "scalar",
    gen_scalar,
)


def _gen_clamp(b):
    lo, hi = b.choice([(-0.5, 0.7), (None, 0.3), (-0.3, None), (0.0, 1.0), (-1.0, 0.25)])
    bounds = [v for v in (lo, hi) if v is not None]
    i = b.pick(lambda i: min(np.abs(b.val(i) - v).min() for v in bounds) > MARGIN)
    if i is None:
        return None
    form = b.choice(["clamp", "clip", "method"] + (["clamp_min"] if hi is None else [])
                    + (["clamp_max"] if lo is None else []))
    return (i,), {"lo": lo, "hi": hi, "form": form}


@op("clamp", "scalar", _gen_clamp)
def _clamp(m, xs, p):
    x, lo, hi = xs[0], p["lo"], p["hi"]
    return {
        "clamp": lambda: m.clamp(x, lo, hi),
        "clip": lambda: m.clip(x, min=lo, max=hi),
        "method": lambda: x.clamp(min=lo, max=hi),
        "clamp_min": lambda: m.clamp_min(x, lo),
        "clamp_max": lambda: x.clamp_max(hi),
    }[p["form"]]()


# --- elementwise binary, broadcasting -------------------------------------


def _far(a, b, by=MARGIN):
    return np.abs(a - b).min() > by


BINARY = [
    ("+", lambda m, a, b: a + b, None, "any"),
    ("-", lambda m, a, b: a - b, None, "any"),
    ("*", lambda m, a, b: a * b, None, "any"),
    ("/", lambda m, a, b: a / b, lambda a, b: np.abs(b).min() > 0.1, "nonzero"),
    ("add", lambda m, a, b: m.add(a, b), None, "any"),
    ("sub", lambda m, a, b: a.sub(b), None, "any"),
    ("mul", lambda m, a, b: m.mul(a, b), None, "any"),
    ("div", lambda m, a, b: a.div(b), lambda a, b: np.abs(b).min() > 0.1, "nonzero"),
    ("true_divide", lambda m, a, b: m.true_divide(a, b), lambda a, b: np.abs(b).min() > 0.1,
     "nonzero"),
    ("**", lambda m, a, b: a**b, lambda a, b: a.min() > 0.05 and (b * np.log(a)).max() < 3,
     "pos"),
    ("pow", lambda m, a, b: m.pow(a, b), lambda a, b: a.min() > 0.05 and (b * np.log(a)).max() < 3,
     "pos"),
    ("maximum", lambda m, a, b: m.maximum(a, b), _far, "any"),
    ("minimum", lambda m, a, b: a.minimum(b), _far, "any"),
    ("max(a,b)", lambda m, a, b: m.max(a, b), _far, "any"),
    ("atan2", lambda m, a, b: m.atan2(a, b), lambda a, b: (a * a + b * b).min() > 0.01, "any"),
    ("hypot", lambda m, a, b: a.hypot(b), lambda a, b: (a * a + b * b).min() > 0.01, "any"),
    ("clamp(a,b-.5,b+.5)", lambda m, a, b: a.clamp(min=b - 0.5, max=b + 0.5),
     lambda a, b: _far(a, b - 0.5) and _far(a, b + 0.5), "any"),
    ("clamp_min(a,b)", lambda m, a, b: m.clamp_min(a, b), _far, "any"),
    ("add(alpha)", lambda m, a, b: m.add(a, b, alpha=2), None, "any"),
    ("sub(alpha)", lambda m, a, b: a.sub(b, alpha=-0.5), None, "any"),
    ("fmod(a,b)", lambda m, a, b: m.fmod(a, b), lambda a, b: _mod_ok(a, b), "nonzero"),
    ("a%b", lambda m, a, b: a % b, lambda a, b: _mod_ok(a, b), "nonzero"),
]


def _mod_ok(a, b):
    """fmod/remainder jump where a / b is an integer; b away from 0."""
    return np.abs(b).min() > 0.1 and (_dist_to_grid(a / b, 1.0) * np.abs(b)).min() > MARGIN


def gen_binary(ok, partner_domain):
    def gen(b):
        i = b.pick()
        si = b.shape(i)
        j = b.operand(lambda s: _broadcastable(s, si), partner_domain,
                      lambda: b.broadcast_partner(si))
        if j is None:
            return None
        if b.flag():
            i, j = j, i
        if ok is not None and not ok(b.val(i), b.val(j)):
            return None
        return (i, j), {}

    return gen


register([(n, lambda m, xs, p, f=f: f(m, *xs), k, d) for n, f, k, d in BINARY], "binary",
         gen_binary)

# --- where / masks (comparisons give the conditions) ---------------------------

CMPS = {
    ">": lambda m, y, c: y > c,
    "lt": lambda m, y, c: m.lt(y, c),
    "ge": lambda m, y, c: y.ge(c),
    "<=": lambda m, y, c: y <= c,
}


def _condition(b, fits):
    """A pool value ``y`` (shape passes ``fits``) and threshold ``c`` at least MARGIN apart."""
    c = b.choice([0.0, 0.5, -0.5, 1.0])
    cmp = b.choice(sorted(CMPS))
    y = b.pick(lambda i: fits(b.shape(i)) and _far(b.val(i), c))
    return y, {"c": c, "cmp": cmp}


def _cond(m, y, p):
    return CMPS[p["cmp"]](m, y, p["c"])


def _gen_where(b):
    y, params = _condition(b, lambda s: True)
    if y is None:
        return None
    sy = b.shape(y)
    a = b.operand(lambda s: _broadcastable(s, sy), "any", lambda: b.broadcast_partner(sy))
    if a is None:
        return None
    sya = np.broadcast_shapes(sy, b.shape(a))
    params["form"] = b.choice(["where", "method", "scalar"])
    if params["form"] == "scalar":
        return (y, a), params
    c = b.operand(lambda s: _broadcastable(s, sya), "any", lambda: b.broadcast_partner(sya))
    return None if c is None else ((y, a, c), params)


@op("where", "mask", _gen_where)
def _where(m, xs, p):
    cond = _cond(m, xs[0], p)
    if p["form"] == "where":
        return m.where(cond, xs[1], xs[2])
    if p["form"] == "method":
        return xs[1].where(cond, xs[2])
    return m.where(cond, xs[1], 0.25) if p["cmp"] in (">", "ge") else m.where(cond, -0.5, xs[1])


def _gen_masked(b, select):
    x = b.pick()
    sx = b.shape(x)
    if b.flag():  # a mask computed in the program
        y, params = _condition(b, lambda s: _broadcastable(s, sx)
                               and np.broadcast_shapes(s, sx) == sx)
        if y is None:
            return None
        args = [x, y]
    else:  # a constant mask
        args, params = [x], {"mask": np.asarray(b.rng.random(sx) < 0.5)}
    if select:
        return tuple(args), params
    if b.flag() and b.n_leaves < MAX_LEAVES:  # a 0-d tensor fill value (it gets a gradient)
        args.append(b.operand(lambda s: s == (), "any", lambda: ()))
    else:
        params["value"] = b.choice([0.0, -1.25, 2.0])
    params["fn"] = b.flag()
    return tuple(args), params


def _mask(m, xs, p):
    return _cond(m, xs[1], p) if "cmp" in p else p["mask"]


@op("masked_fill", "mask", lambda b: _gen_masked(b, False))
def _masked_fill(m, xs, p):
    x, mask = xs[0], _mask(m, xs, p)
    value = p.get("value", xs[-1])
    return m.masked_fill(x, mask, value) if p["fn"] else x.masked_fill(mask, value)


@op("masked_select", "mask", lambda b: _gen_masked(b, True))
def _masked_select(m, xs, p):
    return xs[0].masked_select(_mask(m, xs, p))


# --- reductions -----------------------------------------------------------------


def _dims(b, nd, single=False):
    """A dim argument for a tensor of ``nd`` dims: an int, or a tuple of distinct dims."""
    if nd == 0:
        return b.choice([0, -1])
    k = 1 if single else b.int(1, nd)
    dims = b.draw(st.permutations(range(nd)))[:k]
    dims = [d - nd if b.flag() else d for d in dims]
    return dims[0] if (single or (k == 1 and b.flag())) else tuple(dims)


def _gen_reduce(single=False, needs_dim=False, extra=None, value_ok=None):
    """A reduction over all dims or over ``dim``; ``extra(b)`` draws op-specific params and
    ``value_ok(v, dim, params)`` keeps the operand inside the op's smooth domain."""

    def gen(b):
        x = b.pick()
        v, nd = b.val(x), len(b.shape(x))
        dim = None if (not needs_dim and b.flag()) else _dims(b, nd, single)
        params = {"dim": dim, "keepdim": b.flag(), "fn": b.flag()}
        params.update(extra(b) if extra else {})
        if value_ok is not None and not value_ok(v, dim, params):
            return None
        return (x,), params

    return gen


def _reduction(name):
    """``x.name()`` / ``x.name(dim, keepdim=)`` or the ``m.name`` function form."""

    def apply(m, xs, p):
        x = xs[0]
        if p["dim"] is None:
            return getattr(m, name)(x) if p["fn"] else getattr(x, name)()
        if p["fn"]:
            return getattr(m, name)(x, dim=p["dim"], keepdim=p["keepdim"])
        return getattr(x, name)(p["dim"], keepdim=p["keepdim"])

    return apply


REDUCTIONS = [
    ("sum", dict()),
    ("mean", dict()),
    ("prod", dict(single=True, value_ok=lambda v, d, p: np.abs(v).min() > 0.1)),
    ("amax", dict(value_ok=lambda v, d, p: no_ties(v, d, True))),
    ("amin", dict(value_ok=lambda v, d, p: no_ties(v, d, False))),
    ("logsumexp", dict(needs_dim=True)),
]
for _name, _kw in REDUCTIONS:
    op(_name, "reduce", _gen_reduce(**_kw))(_reduction(_name))


@op("max/min", "reduce", _gen_reduce(single=True, extra=lambda b: {"largest": b.flag()},
                                      value_ok=lambda v, d, p: no_ties(v, d, p["largest"])))
def _max_min(m, xs, p):
    name = "max" if p["largest"] else "min"
    x = xs[0]
    if p["dim"] is None:
        return getattr(m, name)(x) if p["fn"] else getattr(x, name)()
    if p["fn"]:
        return getattr(m, name)(x, p["dim"], p["keepdim"])[0]
    return getattr(x, name)(p["dim"], keepdim=p["keepdim"]).values


def _var_ok(v, d, p, std):
    g = _groups(np.asarray(v), d)
    if g.shape[1] <= p["correction"]:  # no degrees of freedom left: nan
        return False
    return not std or g.std(axis=1, ddof=p["correction"]).min() > 0.05


def _var_std(name):
    def apply(m, xs, p):
        x, c = xs[0], p["correction"]
        if p["dim"] is None:
            if p["fn"]:
                return getattr(x, name)(correction=c)
            return getattr(m, name)(x, unbiased=bool(c))
        if p["fn"]:
            return getattr(m, name)(x, p["dim"], unbiased=bool(c), keepdim=p["keepdim"])
        return getattr(x, name)(p["dim"], correction=c, keepdim=p["keepdim"])

    return apply


for _name in ("var", "std"):
    op(_name, "reduce", _gen_reduce(
        extra=lambda b: {"correction": b.int(0, 1)},
        value_ok=lambda v, d, p, std=_name == "std": _var_ok(v, d, p, std)))(_var_std(_name))


def _norm_ok(v, d, p):
    o, g = p["ord"], np.abs(_groups(np.asarray(v), d))
    if o in (1, 1.5, 0.5):  # |x|**(p-1) in the gradient (p < 2: its derivative too)
        return g.min() > 0.05
    if o == math.inf:
        return no_ties(g, 1, True)
    if o == -math.inf:
        return no_ties(g, 1, False) and g.min() > MARGIN
    return np.sqrt((g * g).sum(axis=1)).min() > 0.05


NORM_ORDS = [2, 1, 3, math.inf, "fro", 1.5, 0.5, -math.inf]


@op("norm", "reduce", _gen_reduce(extra=lambda b: {"ord": b.choice(NORM_ORDS)}, value_ok=_norm_ok))
def _norm(m, xs, p):
    """``x.norm(p, dim)`` / ``m.norm`` (which take "fro") or ``m.linalg.vector_norm``."""
    x, o = xs[0], p["ord"]
    if p["fn"] and o != "fro":
        return m.linalg.vector_norm(x, o, dim=p["dim"], keepdim=p["keepdim"])
    if p["dim"] is None:
        return x.norm(o)
    return m.norm(x, o, dim=p["dim"], keepdim=p["keepdim"])


def _gen_scan(domain):
    def gen(b):
        x = b.pick_in(domain)
        if x is None:
            return None
        return (x,), {"dim": _dims(b, len(b.shape(x)), single=True), "fn": b.flag()}

    return gen


@op("cumsum", "reduce", _gen_scan("any"))
def _cumsum(m, xs, p):
    return m.cumsum(xs[0], dim=p["dim"]) if p["fn"] else xs[0].cumsum(p["dim"])


@op("cumprod", "reduce", _gen_scan("nonzero"))
def _cumprod(m, xs, p):
    return m.cumprod(xs[0], p["dim"]) if p["fn"] else xs[0].cumprod(dim=p["dim"])


# --- shape ops ------------------------------------------------------------------


def _reshape_targets(shape):
    n = int(np.prod(shape))
    out = [(-1,), (n,), tuple(reversed(shape)), shape + (1,), (1,) + shape]
    for d in range(1, n + 1):
        if n % d == 0:
            out += [(d, -1), (-1, d)]
            out += [(d, e, n // (d * e)) for e in range(1, n // d + 1) if (n // d) % e == 0][:2]
    return out


def _pick_shaped(b, min_dims=0, max_dims=MAX_DIMS):
    """An earlier value with ``min_dims..max_dims`` dims, or a new leaf of such a shape."""
    return b.operand(lambda s: min_dims <= len(s) <= max_dims, "any",
                     lambda: b.rand_shape(min_dims, min(max_dims, 3)))


def _gen_with(min_dims, make_params):
    """One operand of at least ``min_dims`` dims; ``make_params(b, shape)`` draws the params
    (None: the op does not apply to that shape)."""

    def gen(b):
        x = _pick_shaped(b, min_dims)
        if x is None:
            return None
        params = make_params(b, b.shape(x))
        return None if params is None else ((x,), params)

    return gen


def _dim(b, nd, extra=0):
    """A dim index in [-nd - extra, nd + extra - 1] (``extra=1`` for unsqueeze/stack)."""
    return b.int(-nd - extra, nd - 1 + extra)


def _unflatten_params(b, s):
    d = b.int(0, len(s) - 1)
    n = s[d]
    return {"dim": d, "sizes": b.choice([(k, n // k) for k in range(1, n + 1) if n % k == 0]
                                        + [(-1, 1)])}


def _narrow_params(b, s):
    d = b.int(0, len(s) - 1)
    start = b.int(0, s[d] - 1)
    return {"dim": d, "start": start, "len": b.int(1, s[d] - start)}


def _expand_params(b, s):
    sizes = (2,) * b.int(0, 1) + tuple(b.choice([1, 2, 3, -1]) if n == 1 else b.choice([n, -1])
                                       for n in s)
    lead = len(sizes) - len(s)
    shape = tuple(s[k - lead] if n == -1 else n for k, n in enumerate(sizes))
    return {"sizes": sizes, "shape": shape, "fn": b.flag()}


def _split_params(b, s):
    """Piece ``k`` of split(size)/chunk(chunks) along ``dim``."""
    d = b.int(0, len(s) - 1)
    n, form = s[d], b.choice(["split", "fn", "chunk"])
    size = b.int(1, n)
    if form == "chunk":  # chunk(c) makes pieces of ceil(n / c)
        count = size
        size = -(-n // count)
    else:
        count = None
    return {"dim": d, "size": size, "count": count, "form": form,
            "k": b.int(0, -(-n // size) - 1)}


def _split(m, x, p):
    if p["form"] == "chunk":
        pieces = x.chunk(p["count"], p["dim"])
    elif p["form"] == "fn":
        pieces = m.split(x, p["size"], dim=p["dim"])
    else:
        pieces = x.split(p["size"], p["dim"])
    return pieces[p["k"]]


def _unbind_pair_params(b, s):
    d = b.int(0, len(s) - 1)
    return {"dim": d, "k": (b.int(0, s[d] - 1), b.int(0, s[d] - 1))}


def _unbind_pair(m, x, p):
    """Two (maybe the same) outputs of one unbind used together, the others unused."""
    pieces = x.unbind(p["dim"])
    u, v = (pieces[k] for k in p["k"])
    return u * v + v


def _split_pair_params(b, s):
    d = b.int(0, len(s) - 1)
    return None if s[d] < 2 else {"dim": d, "chunk": s[d] % 2 == 0 and b.flag()}


def _split_pair(m, x, p):
    """The first two (equal) pieces of a split along ``dim``, multiplied together."""
    n = x.shape[p["dim"]]
    pieces = x.chunk(2, p["dim"]) if p["chunk"] else x.split(n // 2, p["dim"])
    return pieces[0].sin() * pieces[1]


def _optional_dim(b, s):
    return None if not s or b.flag() else _dim(b, len(s))


SHAPE_OPS = [
    ("reshape", 0, lambda b, s: {"shape": b.choice(_reshape_targets(s)), "form": b.int(0, 2)},
     lambda m, x, p: one_of(p["form"], lambda: x.reshape(p["shape"]),
                            lambda: m.reshape(x, p["shape"]),
                            lambda: x.reshape(*p["shape"]) if p["shape"] else x.reshape(()))),
    ("view", 0, lambda b, s: {"shape": b.choice(_reshape_targets(s))},
     lambda m, x, p: x.contiguous().view(p["shape"])),
    ("flatten", 0, lambda b, s: {"a": b.int(0, max(len(s) - 1, 0))},
     lambda m, x, p: m.flatten(x, p["a"], -1) if x.dim() else x.flatten()),
    ("unflatten", 1, _unflatten_params, lambda m, x, p: x.unflatten(p["dim"], p["sizes"])),
    ("permute", 1, lambda b, s: {"perm": tuple(b.draw(st.permutations(range(len(s))))),
                                 "fn": b.flag()},
     lambda m, x, p: m.permute(x, p["perm"]) if p["fn"] else x.permute(*p["perm"])),
    ("transpose", 2, lambda b, s: {"d": (_dim(b, len(s)), _dim(b, len(s))), "form": b.int(0, 2)},
     lambda m, x, p: one_of(p["form"], lambda: x.transpose(*p["d"]),
                            lambda: m.swapaxes(x, *p["d"]), lambda: x.swapdims(*p["d"]))),
    ("movedim", 1, lambda b, s: {"src": _dim(b, len(s)), "dst": _dim(b, len(s))},
     lambda m, x, p: m.movedim(x, p["src"], p["dst"])),
    ("t", 0, lambda b, s: {} if len(s) <= 2 else None, lambda m, x, p: x.t()),
    ("mT", 2, lambda b, s: {"adj": b.flag()},
     lambda m, x, p: m.adjoint(x) if p["adj"] else x.mT),
    ("flip", 1, lambda b, s: {"dims": tuple(b.draw(st.permutations(range(len(s)))))[
        : b.int(1, len(s))]}, lambda m, x, p: m.flip(x, p["dims"])),
    ("roll", 0, lambda b, s: {"shifts": b.int(-3, 3), "dims": _optional_dim(b, s)},
     lambda m, x, p: x.roll(p["shifts"]) if p["dims"] is None
     else m.roll(x, p["shifts"], p["dims"])),
    ("narrow", 1, _narrow_params, lambda m, x, p: m.narrow(x, p["dim"], p["start"], p["len"])),
    ("repeat", 0, lambda b, s: {"reps": tuple(b.int(1, 2) for _ in range(max(1, len(s))
                                                                        + b.int(0, 1)))},
     lambda m, x, p: x.repeat(*p["reps"])),
    ("tile", 0, lambda b, s: {"reps": tuple(b.int(1, 2) for _ in range(b.int(1, 3)))},
     lambda m, x, p: m.tile(x, p["reps"])),
    ("expand", 0, _expand_params,
     lambda m, x, p: m.broadcast_to(x, p["shape"]) if p["fn"] else x.expand(p["sizes"])
     if len(p["sizes"]) % 2 == 0 else x.expand(*p["sizes"])),  # both call forms
    ("unsqueeze", 0, lambda b, s: {"d": _dim(b, len(s), 1)},
     lambda m, x, p: m.unsqueeze(x, p["d"])),
    ("squeeze", 0, lambda b, s: {"d": _optional_dim(b, s)},
     lambda m, x, p: x.squeeze() if p["d"] is None else m.squeeze(x, p["d"])),
    ("split/chunk", 1, _split_params, _split),
    ("unbind", 1, lambda b, s: (lambda d: {"dim": d, "k": b.int(0, s[d] - 1)})(
        b.int(0, len(s) - 1)), lambda m, x, p: m.unbind(x, p["dim"])[p["k"]]),
    # several outputs of one multi-output op used together (the others unused)
    ("unbind:pair", 1, _unbind_pair_params, _unbind_pair),
    ("split:pair", 1, _split_pair_params, _split_pair),
    ("T", 2, lambda b, s: {} if len(s) == 2 else None, lambda m, x, p: x.T),
]
register([(n, lambda m, xs, p, f=f: f(m, xs[0], p), k, g) for n, k, g, f in SHAPE_OPS], "shape",
         _gen_with)


def _gen_cat(b):
    x = b.pick()
    s = b.shape(x)
    if not s:
        return None
    d = _dim(b, len(s))
    other = lambda: s[: d % len(s)] + (b.int(1, 3),) + s[d % len(s) + 1 :]  # noqa: E731
    y = b.operand(lambda t: len(t) == len(s) and all(
        u == v for k, (u, v) in enumerate(zip(t, s)) if k != d % len(s)), "any", other)
    if y is None:
        return None
    return (x, y), {"dim": d, "form": b.int(0, 2)}


@op("cat", "shape", _gen_cat)
def _cat(m, xs, p):
    x, y = xs
    return one_of(p["form"], lambda: m.cat([x, y], p["dim"]),
                  lambda: m.cat((y, x, y), dim=p["dim"]), lambda: m.concat([x, y], p["dim"]))


def _gen_stack(b):
    x = b.pick()
    s = b.shape(x)
    y = b.operand(lambda t: t == s, "any", lambda: s)
    return None if y is None else ((x, y), {"dim": _dim(b, len(s), 1)})


@op("stack", "shape", _gen_stack)
def _stack(m, xs, p):
    return m.stack(xs, p["dim"])


# --- indexing -------------------------------------------------------------------


def _basic_item(b, n):
    kind = b.choice(["all", "int", "slice", "step"])
    if kind == "int":
        return b.int(-n, n - 1)
    if kind == "slice":
        return slice(b.int(-n, n - 1), b.choice([None, n, -1]) if n > 1 else None)
    if kind == "step":
        return slice(b.choice([None, 0, 1]), None, b.int(2, 3))
    return slice(None)


def _gen_basic(b):
    """ints, slices (with steps), None, and maybe an Ellipsis standing for the middle dims."""
    x = b.pick()
    s = b.shape(x)
    items = [_basic_item(b, n) for n in s]
    head = b.int(0, len(s))
    if b.flag():  # items for the first ``head`` and the last ``tail`` dims around an Ellipsis
        tail = b.int(0, len(s) - head)
        key = items[:head] + [Ellipsis] + items[len(s) - tail :]
    else:
        key = items[:head]
    if b.flag():
        key.insert(b.int(0, len(key)), None)
    key = tuple(key)
    if len(key) == 1 and b.flag():
        key = key[0]
    return (x,), {"key": key}


def _gen_advanced(b):
    x = _pick_shaped(b, 1)
    if x is None:
        return None
    s = b.shape(x)
    p = b.int(0, len(s) - 1)
    kind = b.choice(["list", "tensor", "tensor2d", "two", "mask", "boollist"])
    k = b.int(1, 3)
    rng = b.rng
    key = [_basic_item(b, n) if b.flag() else slice(None) for n in s[:p]]
    if kind == "list":
        key.append([int(v) for v in rng.integers(-s[p], s[p], size=k)])
    elif kind == "tensor":
        key.append(rng.integers(-s[p], s[p], size=k))
    elif kind == "tensor2d":
        key.append(rng.integers(0, s[p], size=(k, 2)))
    elif kind == "two":
        key.append([int(v) for v in rng.integers(0, s[p], size=k)])
        if p + 1 == len(s):
            return None
        q = b.int(p + 1, len(s) - 1)
        key += [slice(None)] * (q - p - 1) if b.flag() else [b.int(0, s[i] - 1)
                                                            for i in range(p + 1, q)]
        key.append(rng.integers(-s[q], s[q], size=(1,) if b.flag() else (k,)))
    elif kind == "mask":
        r = b.int(1, min(2, len(s) - p))
        mask = rng.random(s[p : p + r]) < 0.6
        mask.flat[b.int(0, mask.size - 1)] = True
        key.append(mask)
    else:
        key.append([bool(v) for v in (rng.random(s[p]) < 0.6)])
        if not any(key[-1]):
            key[-1][0] = True
    if b.flag():
        key.append(Ellipsis)
    return (x,), {"key": tuple(key)}


@op("getitem", "index", _gen_basic)
@op("getitem[adv]", "index", _gen_advanced)
def _getitem(m, xs, p):
    return xs[0][p["key"]]


def _index_shape(b, s, dim, exact_others):
    return tuple(b.int(1, 3) if d == dim else (n if exact_others else b.int(1, n))
                 for d, n in enumerate(s))


def _gen_gather(b, exact_others=False, scatter=False):
    x = _pick_shaped(b, 1)
    if x is None:
        return None
    s = b.shape(x)
    dim = _dim(b, len(s))
    ishape = _index_shape(b, s, dim % len(s), exact_others)
    if exact_others and b.flag():  # take_along_dim broadcasts the index
        ishape = tuple(1 if d != dim % len(s) and b.flag() else n for d, n in enumerate(ishape))
    idx = b.rng.integers(0, s[dim], size=ishape)
    args = (x,)
    if scatter:
        src = b.operand(lambda t: t == ishape, "any", lambda: ishape)
        if src is None:
            return None
        args = (x, src)
    return args, {"dim": dim, "idx": idx, "fn": b.flag()}


@op("gather", "index", _gen_gather)
def _gather(m, xs, p):
    return m.gather(xs[0], p["dim"], p["idx"]) if p["fn"] else xs[0].gather(p["dim"], p["idx"])


@op("take_along_dim", "index", lambda b: _gen_gather(b, exact_others=True))
def _take_along_dim(m, xs, p):
    return m.take_along_dim(xs[0], p["idx"], p["dim"]) if p["fn"] else xs[0].take_along_dim(
        p["idx"], dim=p["dim"])


@op("scatter_add", "index", lambda b: _gen_gather(b, scatter=True))
def _scatter_add(m, xs, p):
    x, src = xs
    if p["fn"]:
        return m.scatter_add(x, p["dim"], p["idx"], src)
    return x.scatter_add(p["dim"], p["idx"], src)


def _gen_arg_gather(b):
    """Values of ``y`` where ``x`` is largest (smallest) along ``dim``: argmax/argmin feeding
    gather/take_along_dim.  ``x`` has no near-ties along ``dim``."""
    x = _pick_shaped(b, 1)
    if x is None:
        return None
    s = b.shape(x)
    dim, largest = _dim(b, len(s)), b.flag()
    if not no_ties(b.val(x), dim, largest):
        return None
    y = b.operand(lambda t: t == s, "any", lambda: s)
    return None if y is None else ((x, y), {"dim": dim, "largest": largest, "fn": b.flag()})


@op("argmax/argmin+gather", "index", _gen_arg_gather)
def _arg_gather(m, xs, p):
    x, y = xs
    d = p["dim"]
    idx = x.argmax(d, keepdim=True) if p["largest"] else m.argmin(x, dim=d, keepdim=True)
    return m.take_along_dim(y, idx, d) if p["fn"] else y.gather(d, idx)


def _gen_index_select(b):
    x = _pick_shaped(b, 1)
    if x is None:
        return None
    s = b.shape(x)
    dim = _dim(b, len(s))
    return (x,), {"dim": dim, "idx": b.rng.integers(0, s[dim], size=b.int(1, 4)),
                  "fn": b.flag()}


@op("index_select", "index", _gen_index_select)
def _index_select(m, xs, p):
    if p["fn"]:
        return m.index_select(xs[0], p["dim"], p["idx"])
    return xs[0].index_select(p["dim"], p["idx"])


# --- linear algebra ---------------------------------------------------------------


def _gen_pair(make_other, min_dims=1, max_dims=MAX_DIMS):
    """``x`` and a partner whose shape ``make_other(b, shape)`` derives (exact match)."""

    def gen(b):
        x = _pick_shaped(b, min_dims, max_dims)
        if x is None:
            return None
        other = make_other(b, b.shape(x))
        if other is None:
            return None
        y = b.operand(lambda t: t == other, "any", lambda: other)
        if y is None:
            return None
        return (x, y), {"form": b.int(0, 2)}

    return gen


def _matmul_partner(b, s):
    n, k = s[-1], b.int(1, 3)
    kind = b.choice(["vec", "mat", "batch"])
    if kind == "vec":
        return (n,)
    if kind == "mat" or len(s) < 2:
        return (n, k)
    batch = s[-3] if len(s) >= 3 and b.flag() else b.int(1, 2)
    return (batch, n, k)


@op("matmul", "linalg", _gen_pair(_matmul_partner))
def _matmul(m, xs, p):
    a, c = xs
    return one_of(p["form"], lambda: a @ c, lambda: m.matmul(a, c), lambda: a.matmul(c))


@op("matmul(left)", "linalg", _gen_pair(lambda b, s: (b.int(1, 3), s[-2]), min_dims=2))
def _matmul_left(m, xs, p):
    return xs[1] @ xs[0] if p["form"] else m.matmul(xs[1], xs[0])


LINALG_PAIRS = [
    ("mm", lambda b, s: (s[1], b.int(1, 3)), 2, 2, lambda m, a, c, f: m.mm(a, c) if f else a.mm(c)),
    ("bmm", lambda b, s: (s[0], s[2], b.int(1, 3)), 3, 3,
     lambda m, a, c, f: m.bmm(a, c) if f else a.bmm(c)),
    ("mv", lambda b, s: (s[1],), 2, 2, lambda m, a, c, f: m.mv(a, c) if f else a.mv(c)),
    ("dot", lambda b, s: s, 1, 1, lambda m, a, c, f: m.dot(a, c) if f else a.dot(c)),
    ("outer", lambda b, s: (b.int(1, 4),), 1, 1,
     lambda m, a, c, f: one_of(f, lambda: m.outer(a, c), lambda: a.outer(c),
                               lambda: m.ger(a, c))),
    ("tensordot", lambda b, s: s[len(s) - b.int(0, min(2, len(s))):] + (b.int(1, 2),), 0, 3,
     lambda m, a, c, f: m.tensordot(a, c, dims=c.dim() - 1)),
    ("tensordot(lists)", lambda b, s: (s[0], b.int(1, 2)), 1, 3,
     lambda m, a, c, f: m.tensordot(a, c, dims=([0], [0]))),
]
register([(n, lambda m, xs, p, f=f, k=3 if n == "outer" else 2: f(m, *xs, p["form"] % k),
           mk, lo, hi) for n, mk, lo, hi, f in LINALG_PAIRS], "linalg", _gen_pair)

# (equation, rank of operand 0 (None: any >= 1), square, partner shapes from operand 0's shape)
EINSUM = [
    ("ij->ji", 2, False, lambda b, s: []),
    ("ii->i", 2, True, lambda b, s: []),
    ("ii", 2, True, lambda b, s: []),
    ("ij->j", 2, False, lambda b, s: []),
    ("ij,jk->ik", 2, False, lambda b, s: [(s[1], b.int(1, 3))]),
    ("ij,ij->i", 2, False, lambda b, s: [s]),
    ("i,j->ij", 1, False, lambda b, s: [(b.int(1, 4),)]),
    ("bij,bjk->bik", 3, False, lambda b, s: [(s[0], s[2], b.int(1, 2))]),
    ("...i,i->...", None, False, lambda b, s: [s[-1:]]),
    ("ij,kj,k->i", 2, False, lambda b, s: (lambda k: [(k, s[1]), (k,)])(b.int(1, 3))),
]


def _gen_einsum(b):
    eq, rank, square, partners = b.choice(EINSUM)
    if square:
        n = b.int(1, 3)
        x = b.operand(lambda s: s[:1] * 2 == s == s[1:] * 2, "any", lambda: (n, n))
    else:
        x = _pick_shaped(b, rank or 1, rank or MAX_DIMS)
    if x is None:
        return None
    args = [x]
    for shape in partners(b, b.shape(x)):
        y = b.operand(lambda t, shape=shape: t == shape, "any", lambda shape=shape: shape)
        if y is None:
            return None
        args.append(y)
    return tuple(args), {"eq": eq, "list": b.flag()}


@op("einsum", "linalg", _gen_einsum)
def _einsum(m, xs, p):
    return m.einsum(p["eq"], list(xs)) if p["list"] else m.einsum(p["eq"], *xs)


MATRIX_OPS = [
    ("trace", 2, lambda b, s: {} if len(s) == 2 else None, lambda m, x, p: m.trace(x)),
    ("diagonal", 2, lambda b, s: {"off": b.int(-1, 1), "d": (lambda a: (a, b.choice(
        [d for d in range(len(s)) if d != a])))(b.int(0, len(s) - 1))},
     lambda m, x, p: x.diagonal(p["off"], *p["d"])),
    ("diag", 1, lambda b, s: {"k": b.int(-1, 1)} if len(s) <= 2 else None,
     lambda m, x, p: m.diag(x, p["k"])),
    ("tril", 2, lambda b, s: {"k": b.int(-1, 1)}, lambda m, x, p: m.tril(x, p["k"])),
    ("triu", 2, lambda b, s: {"k": b.int(-1, 1)}, lambda m, x, p: x.triu(diagonal=p["k"])),
    ("cholesky", 2, lambda b, s: {"upper": b.flag()},
     lambda m, x, p: m.linalg.cholesky(x @ x.mT + m.eye(x.shape[-2], dtype=x.dtype),
                                       upper=p["upper"])),
]
register([(n, lambda m, xs, p, f=f: f(m, xs[0], p), k, g) for n, k, g, f in MATRIX_OPS], "linalg",
         _gen_with)


def _gen_matrix_norm(b):
    x = b.pick(lambda i: len(b.shape(i)) >= 2 and np.sqrt(
        (b.val(i) ** 2).sum(axis=(-2, -1))).min() > 0.05)
    return None if x is None else ((x,), {})


@op("matrix_norm", "linalg", _gen_matrix_norm)
def _matrix_norm(m, xs, p):
    return m.linalg.matrix_norm(xs[0])


def _well_conditioned(v):
    return v.shape[-1] == v.shape[-2] and bool(np.all(np.linalg.cond(v) < COND_MAX))


def _gen_square(with_rhs):
    def gen(b):
        x = b.pick(lambda i: len(b.shape(i)) >= 2 and _well_conditioned(b.val(i)))
        if x is None and b.n_leaves < MAX_LEAVES:
            n = b.int(1, 3)
            x = b.leaf((2,) * b.int(0, 1) + (n, n), "wellcond")
        if x is None:
            return None
        s = b.shape(x)
        params = {"form": b.int(0, 2)}
        if not with_rhs:
            return (x,), params
        if b.flag():
            rhs = s[:-1]  # a vector (a batch of vectors)
        else:  # matrices, maybe with a batch dim that broadcasts against the matrix's
            rhs = (2,) * (len(s) == 2 and b.flag()) + s[:-1] + (b.int(1, 2),)
        y = b.operand(lambda t: t == rhs, "any", lambda: rhs)
        return None if y is None else ((x, y), params)

    return gen


SQUARE_OPS = [
    ("det", False, lambda m, a, f: one_of(f, lambda: m.det(a), lambda: a.det(),
                                          lambda: m.linalg.det(a))),
    ("inverse", False, lambda m, a, f: one_of(f, lambda: m.inverse(a), lambda: a.inverse(),
                                              lambda: m.linalg.inv(a))),
    ("slogdet", False, lambda m, a, f: m.linalg.slogdet(a)[1] if f else m.linalg.slogdet(
        a).logabsdet),
    ("solve", True, lambda m, a, f, y: m.linalg.solve(a, y)),
    ("solve(left=False)", True, lambda m, a, f, y: m.linalg.solve(a, y.mT, left=False)
     if y.dim() >= 2 else m.linalg.solve(a, y, left=False)),
]
register([(n, lambda m, xs, p, f=f: f(m, xs[0], p["form"], *xs[1:]), r) for n, r, f in SQUARE_OPS],
         "linalg", _gen_square)


# ----------------------------------------------------------------------------
# program generation
# ----------------------------------------------------------------------------


def _module_params(m, params, dt):
    """Arrays in ``params`` (index arrays, masks; also inside index keys) become tensors."""

    def conv(v):
        if isinstance(v, np.ndarray):
            return m.tensor(v, dtype=dt) if v.dtype.kind == "f" else m.tensor(v)
        if isinstance(v, tuple):
            return tuple(conv(u) for u in v)
        return v

    return {k: conv(v) for k, v in params.items()}


class Program:
    def __init__(self, nodes, shapes, weights, vs):
        self.nodes = nodes  # [Node]
        self.shapes = shapes  # the shape of every node's value
        self.weights = weights  # [(node index, weight array)] for the sinks
        self.vs = vs  # HVP direction per leaf

    @property
    def ops(self):
        return [n.op for n in self.nodes if n.op is not None]

    def __repr__(self):
        lines = []
        for k, n in enumerate(self.nodes):
            if n.op is None:
                lines.append(f"v{k} = leaf{self.shapes[k]}")
            else:
                args = ", ".join(f"v{i}" for i in n.args)
                lines.append(f"v{k} = {n.op}({args}) {n.params} -> {self.shapes[k]}")
        lines.append("out = " + " + ".join(f"<v{i}, w>" for i, _ in self.weights))
        return "\n".join(lines)


class Builder:
    def __init__(self, draw, seed):
        self._draw, self.seed = draw, seed
        self.rng = np.random.default_rng(seed)  # leaf values, weights, index arrays, masks
        self.trail = 0  # a digest of every draw so far, see next_op()
        self.attempts = 0
        self.nodes, self.values = [], []
        self.n_leaves = 0

    def draw(self, strategy):
        v = self._draw(strategy)
        self.trail = zlib.crc32(repr(v).encode(), self.trail)
        return v

    def next_op(self):
        """The op of the next step, uniform over the catalogue.

        Hypothesis favours a few values of every draw (the first entry of a list, the same
        seeds again and again), which left a quarter of the catalogue nearly unexercised.  So
        the op comes from a generator seeded with the program seed and a digest of every draw
        so far: two programs that differ in any draw get independent op sequences, and a given
        sequence of draws (a replay, a shrink step) still gives the same program."""
        self.attempts += 1
        gen = np.random.default_rng([self.seed, self.trail, self.attempts])
        return OPS[OP_NAMES[gen.integers(len(OP_NAMES))]]

    def int(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def choice(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def flag(self):
        return self.draw(st.booleans())

    def shape(self, i):
        return tuple(self.values[i].shape)

    def val(self, i):
        return self.values[i].numpy()

    def leaf(self, shape, domain="any"):
        data = leaf_data(self.rng, tuple(shape), domain)
        self.nodes.append(Node(None, (), data))
        self.values.append(torch.tensor(data, dtype=torch.float64))
        self.n_leaves += 1
        return len(self.nodes) - 1

    def pick_in(self, domain):
        """An earlier value inside ``domain``, or else a new leaf drawn inside it."""
        ok = DOMAINS[domain]
        i = self.pick(lambda i: ok(self.val(i)))
        if i is None and self.n_leaves < MAX_LEAVES:
            i = self.leaf(self.shape(len(self.nodes) - 1), domain)
        return i

    def pick(self, ok=lambda i: True):
        """An earlier value passing ``ok``; shrinks towards the most recent one."""
        cands = [i for i in range(len(self.nodes)) if ok(i)]
        return cands[-1 - self.int(0, len(cands) - 1)] if cands else None

    def operand(self, shape_ok, domain, make_shape):
        """An earlier value whose shape passes ``shape_ok``, or a new leaf of ``make_shape()``."""
        fresh = self.n_leaves < MAX_LEAVES and self.flag()
        if not fresh:
            i = self.pick(lambda i: shape_ok(self.shape(i)))
            if i is not None or self.n_leaves >= MAX_LEAVES:
                return i
        shape = make_shape()
        return None if int(np.prod(shape)) > MAX_NUMEL else self.leaf(shape, domain)

    def rand_shape(self, lo, hi):
        return tuple(self.int(1, 3) for _ in range(self.int(lo, hi)))

    def broadcast_partner(self, shape):
        """A shape that broadcasts with ``shape``: a suffix, some dims set to 1, maybe one more
        leading dim."""
        k = self.int(0, len(shape))
        tail = tuple(1 if self.flag() else n for n in shape[len(shape) - k :])
        if k == len(shape) and len(shape) < MAX_DIMS and self.flag():
            tail = (2,) + tail
        return tail

    def step(self):
        o = self.next_op()
        mark = (len(self.nodes), self.n_leaves)
        spec = o.gen(self)
        if spec is not None:
            args, params = spec
            xs = [self.values[i] for i in args]
            try:
                y = o.apply(torch, xs, _module_params(torch, params, torch.float64))
            except RuntimeError:  # a shape the generator did not rule out; drop the step
                y = None
            if _acceptable(y):
                self.nodes.append(Node(o.name, tuple(args), params))
                self.values.append(y.detach())
                return
        del self.nodes[mark[0] :], self.values[mark[0] :]
        self.n_leaves = mark[1]


def _acceptable(y):
    if not isinstance(y, torch.Tensor) or y.dtype != torch.float64:
        return False
    if not 1 <= y.numel() <= MAX_NUMEL or y.dim() > MAX_DIMS:
        return False
    return bool(torch.isfinite(y).all()) and float(y.abs().max()) <= BOUND


OP_NAMES = sorted(OPS)
SHAPES = st.lists(st.integers(1, 4), max_size=3).map(tuple).filter(
    lambda s: int(np.prod(s)) <= MAX_NUMEL)


@st.composite
def programs(draw):
    b = Builder(draw, draw(st.integers(0, 2**32 - 1)))
    for _ in range(b.int(1, 2)):
        b.leaf(b.draw(SHAPES), b.choice(["any", "pos"]))
    n_steps = b.int(3, MAX_STEPS)
    for _ in range(4 * n_steps):
        if len(b.nodes) - b.n_leaves >= n_steps:
            break
        b.step()
    if len(b.nodes) == b.n_leaves:  # every drawn step was dropped: one that always fits
        b.nodes.append(Node("sin", (len(b.nodes) - 1,), {}))
        b.values.append(b.values[-1].sin())
    used = {i for n in b.nodes for i in n.args}
    sinks = [k for k, n in enumerate(b.nodes) if n.op is not None and k not in used]
    weights = [(k, b.rng.standard_normal(b.shape(k))) for k in sinks]
    vs = [b.rng.standard_normal(n.params.shape) for n in b.nodes if n.op is None]
    return Program(b.nodes, [b.shape(k) for k in range(len(b.nodes))], weights, vs)


# ----------------------------------------------------------------------------
# running a program
# ----------------------------------------------------------------------------


def _build(m, prog, dt):
    vals, leaves = [], []
    for n in prog.nodes:
        if n.op is None:
            t = m.tensor(n.params, dtype=dt, requires_grad=True)
            leaves.append(t)
        else:
            t = OPS[n.op].apply(m, [vals[i] for i in n.args], _module_params(m, n.params, dt))
        vals.append(t)
    terms = [(vals[k] * m.tensor(w, dtype=dt)).sum() for k, w in prog.weights]
    return vals, leaves, reduce(operator.add, terms)


def _arrays(ts):
    return [None if t is None else as_np(t) for t in ts]


def run(m, prog, dtype_name):
    dt = getattr(m, dtype_name)
    vals, leaves, out = _build(m, prog, dt)
    res = {
        "values": _arrays(vals) + [as_np(out)],
        "dtypes": [str(t.dtype).split(".")[-1] for t in vals + [out]],
        "grad": _arrays(m.autograd.grad(out, leaves, allow_unused=True, retain_graph=True)),
    }
    out.backward()  # the same graph again, accumulating into .grad
    res["backward"] = _arrays(x.grad for x in leaves)
    vals, leaves, out = _build(m, prog, dt)  # the same program, built afresh
    g = m.autograd.grad(out, leaves, create_graph=True, allow_unused=True)
    res["grad_cg"] = _arrays(g)
    # whether each gradient can be differentiated again (has a grad_fn) must match torch too:
    # differentiating one that cannot raises "element 0 of tensors does not require grad"
    res["grad_cg_requires_grad"] = [t is not None and t.requires_grad for t in g]
    terms = [(t * m.tensor(v, dtype=dt)).sum()
             for t, v in zip(g, prog.vs) if t is not None and t.requires_grad]
    total = reduce(operator.add, terms) if terms else None
    h = [None] * len(leaves)
    if total is not None and total.requires_grad:  # else every first derivative is constant
        h = m.autograd.grad(total, leaves, allow_unused=True)
    res["hvp"] = [np.zeros(tuple(x.shape)) if t is None else as_np(t) for t, x in zip(h, leaves)]
    return res


def close(got, want, rtol, what):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=what)


def close_lists(got, want, rtol, what):
    assert len(got) == len(want), what
    for k, (a, b) in enumerate(zip(got, want)):
        assert (a is None) == (b is None), f"{what} [{k}]: None-ness {a is None} != {b is None}"
        if b is not None:
            close(a, b, rtol, f"{what} [{k}]")


COVERED = {"float64": Counter(), "float32": Counter()}  # op -> steps checked, per dtype
PROGRAMS = Counter()  # programs checked, per dtype


def known_requires_grad_deviation(prog):
    """Steps whose create_graph=True gradient pyad records differently from torch (a grad_fn
    where torch has none, or none where torch has one), pinned by the xfail tests at the end
    of this file.  Programs with one still get every numeric check.  Drop the entry when the
    xfail test starts passing."""
    for n in prog.nodes:
        if n.op == "det" and prog.shapes[n.args[0]][-1] == 1:
            return "det of 1x1 matrices"
        if n.op == "norm" and n.params["fn"] and n.params["ord"] in (1, math.inf, -math.inf):
            return "linalg.vector_norm with ord 1, inf, -inf"
    return None


def check_program(pt, prog, dtype_name):
    COVERED[dtype_name].update(prog.ops)
    PROGRAMS[dtype_name] += 1
    tol = TOL[dtype_name]
    want = run(torch, prog, dtype_name)
    got = run(pt, prog, dtype_name)
    assert got["dtypes"] == want["dtypes"]
    assert set(want["dtypes"]) == {dtype_name}
    close_lists(got["values"], want["values"], tol["value"], "forward value of node")
    close_lists(got["grad"], want["grad"], tol["grad"], "grad (create_graph=False) of leaf")
    close_lists(got["backward"], want["backward"], tol["grad"], ".grad after backward() of leaf")
    close_lists(got["grad_cg"], got["grad"], tol["grad"], "grad create_graph=True vs False, leaf")
    close_lists(got["grad_cg"], want["grad_cg"], tol["grad"], "grad (create_graph=True) of leaf")
    if not known_requires_grad_deviation(prog):
        assert got["grad_cg_requires_grad"] == want["grad_cg_requires_grad"], (
            "requires_grad of the create_graph=True gradients")
    close_lists(got["hvp"], want["hvp"], tol["hvp"], "Hessian-vector product of leaf")


SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


EXAMPLES_FLOAT64 = 400


@settings(max_examples=EXAMPLES_FLOAT64, **SETTINGS)
@given(prog=programs())
def test_catalogue_programs_float64(pt, prog):
    check_program(pt, prog, "float64")


@settings(max_examples=160, **SETTINGS)
@given(prog=programs())
def test_catalogue_programs_float32(pt, prog):
    check_program(pt, prog, "float32")


def test_every_op_was_generated():
    """The float64 programs (run before this, in file order) reach the whole catalogue."""
    if PROGRAMS["float64"] < EXAMPLES_FLOAT64:
        pytest.skip("test_catalogue_programs_float64 did not run to the end in this session")
    missing = sorted(set(OPS) - set(COVERED["float64"]))
    assert not missing, f"never generated: {missing}"


# ----------------------------------------------------------------------------
# Deviations from torch found while building this test
# ----------------------------------------------------------------------------
# The programs above stay clear of kinks, ties, NaN and points where a derivative is singular,
# and skip the requires_grad comparison for the steps in known_requires_grad_deviation().
# Probing those points one op at a time found the first derivatives below that differ from
# torch 2.13's.  Each case compares pyad with torch on the spot (so it passes in torch mode).

NAN = math.nan


def deviation(case_id, f, arrays, reason):
    return pytest.param(f, arrays, id=case_id,
                        marks=pytest.mark.xfail(not AGAINST_TORCH, strict=True, reason=reason))


def fixed(case_id, f, arrays, reason):
    """A deviation this test found and that has been fixed: now an ordinary comparison."""
    return pytest.param(f, arrays, id=case_id)


def _first_grads(m, f, arrays, create_graph=False):
    xs = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in arrays]
    return m.autograd.grad(f(m, *xs).sum(), xs, create_graph=create_graph, allow_unused=True)


SPECIAL_POINTS = [
    fixed("atan2(0,0)", lambda m, a, b: m.atan2(a, b), [[0.0, 0.0, 1.0], [0.0, -0.0, 2.0]],
              "atan2 backward at a == b == 0: pyad gives NaN (0/0) to both inputs, torch gives "
              "(signed) zeros"),
    fixed("0.0**x", lambda m, x: 0.0**x, [[0.0, 1.0, 2.0]],
              "pow with a Python-scalar base 0 (PowBackward2): pyad's d/dx 0**x = 0**x * log(0) "
              "is -inf at x = 0 and NaN at x > 0; torch masks it to 0 where the base is 0 and "
              "the exponent >= 0 (pyad's tensor-base path does too)"),
    fixed("relu(nan)", lambda m, x: x.relu(), [[NAN, 1.0, -1.0]],
              "relu backward at a NaN input: torch passes the gradient through (1), pyad gives 0"),
    fixed("abs(nan)", lambda m, x: x.abs(), [[NAN, 1.0, -1.0]],
              "abs backward at a NaN input: torch gives 0 (sgn(NaN) is 0), pyad gives NaN"),
    fixed("maximum(nan)", lambda m, a, b: m.maximum(a, b), [[NAN, 1.0, 2.0], [1.0, NAN, 1.0]],
              "maximum backward where an operand is NaN: torch gives the full gradient to both "
              "operands, pyad gives 0 to both"),
    fixed("minimum(nan)", lambda m, a, b: m.minimum(a, b), [[NAN, 1.0, 2.0], [1.0, NAN, 1.0]],
              "minimum backward where an operand is NaN: torch gives the full gradient to both "
              "operands, pyad gives 0 to both"),
    deviation("clamp(min=tensor)(nan)", lambda m, x, lo: x.clamp(min=lo),
              [[NAN, 1.0, 2.0], [1.0, NAN, 0.0]],
              "clamp with a tensor min where the input or the bound is NaN: torch gives the input "
              "a gradient of 0 there, pyad gives 1"),
    deviation("clamp(max=tensor)(nan)", lambda m, x, hi: x.clamp(max=hi),
              [[NAN, 1.0, 2.0], [1.0, NAN, 3.0]],
              "clamp with a tensor max where the input or the bound is NaN: torch gives the input "
              "a gradient of 0 there, pyad gives 1"),
]


@pytest.mark.parametrize("f, arrays", SPECIAL_POINTS)
def test_first_derivative_at_special_points_matches_torch(pt, f, arrays):
    want = _first_grads(torch, f, arrays)
    got = _first_grads(pt, f, arrays)
    for k, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_array_equal(as_np(a), as_np(b), err_msg=f"gradient of input {k}")


GRAD_FN_CASES = [
    # one vector norm for x.norm and linalg.vector_norm: its create_graph gradient has a
    # grad_fn, as torch's (MulBackward0), and differentiating it again gives 0
    pytest.param(lambda m, x, o=o: m.linalg.vector_norm(x, o), [[0.5, -1.2, 0.3]],
                 id=f"vector_norm(ord={o})")
    for o in (1, math.inf, -math.inf)
] + [
    # det of a 1x1 matrix: torch's create_graph=True gradient is the incoming one expanded
    # (no grad_fn here), and so is pyad's
    pytest.param(lambda m, a: m.linalg.det(a), [[[1.5]]], id="det(1x1)"),
]


@pytest.mark.parametrize("f, arrays", GRAD_FN_CASES)
def test_create_graph_gradient_has_a_grad_fn_like_torch(pt, f, arrays):
    (want,) = _first_grads(torch, f, arrays, create_graph=True)
    (got,) = _first_grads(pt, f, arrays, create_graph=True)
    np.testing.assert_array_equal(as_np(got), as_np(want))
    assert got.requires_grad == want.requires_grad
