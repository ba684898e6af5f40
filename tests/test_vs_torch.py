"""Differential tests against PyTorch: random programs, random broadcast shapes.

A "program" is a random composition of the core ops (elementwise with tensors
and scalars, broadcasting, reductions, shape ops, indexing, matmul) driven by a
seeded RNG.  Decisions depend only on shapes, so the same seed builds the same
program in pyad and in torch.  For each program we compare forward values,
first derivatives (``grad`` with random ``grad_outputs``) and second
derivatives (``create_graph=True``, then ``grad`` of a random projection), in
float64 and float32.  The grad-API error messages are compared too.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import mutually_broadcastable_shapes  # noqa: E402

from conftest import MODULE_NAME  # noqa: E402

F64 = dict(rtol=1e-10, atol=1e-12)
F32 = dict(rtol=1e-5, atol=1e-5)
F32_GRAD = dict(rtol=2e-5, atol=2e-5)


def as_np(t):
    if t is None:
        return None
    t = t.detach()
    if getattr(t, "_is_zerotensor", lambda: False)():
        return np.zeros(tuple(t.shape))
    return np.array(t.numpy(), dtype=np.float64)


def assert_close(actual, expected, rtol, atol, what=""):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol * scale, err_msg=what)


# ----------------------------------------------------------------------------
# random programs
# ----------------------------------------------------------------------------


def _rand_shape(rng, max_dims=3):
    return tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(0, max_dims + 1))))


def _broadcast_partner(rng, shape):
    """A random shape that broadcasts with ``shape``: trailing dims, some set to 1,
    sometimes one extra leading dim."""
    k = int(rng.integers(0, len(shape) + 1))
    tail = [1 if rng.random() < 0.3 else s for s in shape[len(shape) - k :]]
    if k == len(shape) and len(shape) < 4 and rng.random() < 0.2:
        tail = [int(rng.integers(2, 4))] + tail
    return tuple(tail)


class Program:
    def __init__(self, m, seed, dtype, n_steps=None):
        self.m = m
        self.rng = np.random.default_rng(seed)
        self.dtype = dtype
        self.leaves = []
        self.log = []
        self.n_steps = int(self.rng.integers(3, 9)) if n_steps is None else n_steps

    def leaf(self, shape):
        a = self.rng.uniform(-1.5, 1.5, size=shape)
        t = self.m.tensor(a, dtype=self.dtype, requires_grad=True)
        self.leaves.append(t)
        return t

    def scalar(self):
        return [0.5, -1.5, 2.0, 3, -2][int(self.rng.integers(0, 5))]

    def pick(self, pool):
        return pool[int(self.rng.integers(0, len(pool)))]

    # --- op families ---------------------------------------------------------
    def unary(self, t):
        m, c = self.m, self.scalar()
        ops = [
            ("sin", lambda: t.sin()),
            ("cos", lambda: m.cos(t)),
            ("tanh", lambda: t.tanh()),
            ("sigmoid", lambda: m.sigmoid(t)),
            ("relu", lambda: t.relu()),
            ("abs", lambda: m.abs(t)),
            ("neg", lambda: -t),
            ("exp(tanh)", lambda: m.exp(t.tanh())),
            ("log(t*t+1)", lambda: (t * t + 1).log()),
            ("sqrt(t*t+.5)", lambda: m.sqrt(t * t + 0.5)),
            ("t**2", lambda: t**2),
            ("t**3", lambda: t.pow(3)),
            ("t**0", lambda: t**0),
            ("(|t|+.5)**.5", lambda: (t.abs() + 0.5) ** 0.5),
            ("(t*t+.5)**-1", lambda: (t * t + 0.5) ** -1),
            ("(|t|+.5)**1.5", lambda: m.pow(t.abs() + 0.5, 1.5)),
            ("2**tanh", lambda: 2 ** t.tanh()),
            ("t+c", lambda: t + c),
            ("c+t", lambda: c + t),
            ("t-c", lambda: t - c),
            ("c-t", lambda: c - t),
            ("t*c", lambda: t * c),
            ("c*t", lambda: c * t),
            ("t/c", lambda: t / c),
            ("c/(t*t+1)", lambda: c / (t * t + 1)),
        ]
        name, f = ops[int(self.rng.integers(0, len(ops)))]
        self.log.append(f"{name} c={c}")
        return f()

    def binary(self, a, pool):
        cands = [b for b in pool if _broadcastable(tuple(a.shape), tuple(b.shape))]
        if cands and self.rng.random() < 0.6:
            b = self.pick(cands)
        else:
            b = self.leaf(_broadcast_partner(self.rng, tuple(a.shape)))
        if self.rng.random() < 0.5:
            a, b = b, a
        m = self.m
        ops = [
            ("+", lambda: a + b),
            ("-", lambda: a - b),
            ("*", lambda: a * b),
            ("/", lambda: a / (b * b + 0.5)),
            ("**", lambda: (a * a + 0.5) ** b.tanh()),
            ("add", lambda: m.add(a, b)),
            ("mul", lambda: a.mul(b)),
        ]
        name, f = ops[int(self.rng.integers(0, len(ops)))]
        self.log.append(f"{name} {tuple(a.shape)} {tuple(b.shape)}")
        return f()

    def reduce(self, t):
        nd = t.dim()
        red = "sum" if self.rng.random() < 0.5 else "mean"
        if nd == 0 or self.rng.random() < 0.25:
            self.log.append(f"{red}()")
            return getattr(t, red)()
        k = int(self.rng.integers(1, nd + 1))
        dims = sorted(int(d) for d in self.rng.choice(nd, size=k, replace=False))
        dims = [d - nd if self.rng.random() < 0.3 else d for d in dims]
        keep = bool(self.rng.random() < 0.4)
        dim = dims[0] if len(dims) == 1 and self.rng.random() < 0.5 else tuple(dims)
        self.log.append(f"{red}({dim}, keepdim={keep})")
        if self.rng.random() < 0.5:
            return getattr(t, red)(dim, keepdim=keep)
        return getattr(self.m, red)(t, dim=dim, keepdim=keep)

    def shape_op(self, t):
        nd, shape = t.dim(), tuple(t.shape)
        ops = [
            ("reshape(-1)", lambda: t.reshape(-1)),
            ("reshape(rev)", lambda: t.reshape(tuple(reversed(shape)))),
        ]
        u = int(self.rng.integers(-nd - 1, nd + 1))
        ops.append((f"unsqueeze({u})", lambda: t.unsqueeze(u)))
        ops.append(("expand(2,...)", lambda: t.unsqueeze(0).expand(2, *shape)))
        if nd >= 2:
            d0, d1 = (int(v) for v in self.rng.choice(nd, size=2, replace=False))
            perm = tuple(int(v) for v in self.rng.permutation(nd))
            ops.append((f"transpose({d0},{d1})", lambda: t.transpose(d0, d1)))
            ops.append((f"permute{perm}", lambda: t.permute(*perm)))
        if nd <= 2:
            ops.append(("t()", lambda: t.t()))
        if 1 in shape:
            d = shape.index(1)
            ops.append(("squeeze()", lambda: t.squeeze()))
            ops.append((f"squeeze({d})", lambda: t.squeeze(d)))
            big = tuple(3 if s == 1 else s for s in shape)
            ops.append((f"expand{big}", lambda: t.expand(*big)))
        name, f = ops[int(self.rng.integers(0, len(ops)))]
        self.log.append(name)
        return f()

    def index(self, t):
        nd, shape = t.dim(), tuple(t.shape)
        if nd == 0:
            self.log.append("[None]")
            return t[None]
        i = int(self.rng.integers(-shape[0], shape[0]))
        ops = [
            (f"[{i}]", lambda: t[i]),
            ("[..., ::2]", lambda: t[..., ::2]),
            ("[:, None]", lambda: t[:, None]),
            ("[None, ...]", lambda: t[None, ...]),
        ]
        if shape[0] >= 2:
            ops.append(("[1:]", lambda: t[1:]))
        if shape[-1] >= 2:
            ops.append(("[..., :-1]", lambda: t[..., :-1]))
        if nd >= 2:
            j = int(self.rng.integers(0, shape[1]))
            ops.append((f"[:, {j}]", lambda: t[:, j]))
            ops.append((f"[{i}][{j}]", lambda: t[i][j]))
        name, f = ops[int(self.rng.integers(0, len(ops)))]
        self.log.append(name)
        return f()

    def matmul(self, a):
        nd, shape = a.dim(), tuple(a.shape)
        if nd == 0:
            return self.unary(a)
        n, k = shape[-1], int(self.rng.integers(1, 4))
        choice = int(self.rng.integers(0, 4))
        if choice == 0:
            w = self.leaf((n,))
            self.log.append(f"{shape} @ {(n,)}")
            return a @ w
        if choice == 1 or nd < 3:
            if nd >= 2 and self.rng.random() < 0.4:
                w = self.leaf((k, shape[-2]))
                self.log.append(f"{(k, shape[-2])} @ {shape}")
                return self.m.matmul(w, a)
            w = self.leaf((n, k))
            self.log.append(f"{shape} @ {(n, k)}")
            return a.matmul(w)
        batch = shape[-3] if self.rng.random() < 0.5 else 1
        wshape = (batch, n, k)
        if self.rng.random() < 0.3:
            wshape = (2,) + ((1,) * (nd - 3)) + wshape
        w = self.leaf(wshape)
        self.log.append(f"{shape} @ {wshape}")
        return a @ w

    # --- driver -------------------------------------------------------------
    def build(self):
        first = _rand_shape(self.rng)
        pool = [self.leaf(first), self.leaf(_broadcast_partner(self.rng, first))]
        for _ in range(self.n_steps):
            t = self.pick(pool)
            r = self.rng.random()
            if r < 0.3:
                out = self.unary(t)
            elif r < 0.55:
                out = self.binary(t, pool)
            elif r < 0.65:
                out = self.reduce(t)
            elif r < 0.77:
                out = self.shape_op(t)
            elif r < 0.89:
                out = self.index(t)
            else:
                out = self.matmul(t)
            pool.append(out)
        extra = self.pick(pool)
        return pool[-1] + extra.mean()


def _broadcastable(s1, s2):
    try:
        np.broadcast_shapes(s1, s2)
        return True
    except ValueError:
        return False


def _dtype(m, name):
    return getattr(m, name)


def run_program(m, seed, dtype_name):
    """Build program ``seed`` in module ``m``: forward value, first derivatives
    (fast path and create_graph path) and a Hessian-vector product, as numpy."""
    dt = _dtype(m, dtype_name)
    rng = np.random.default_rng(seed + 10_000)

    prog = Program(m, seed, dt)
    out = prog.build()
    go = rng.standard_normal(tuple(out.shape))
    vs = [rng.standard_normal(tuple(x.shape)) for x in prog.leaves]
    res = {"out": as_np(out), "dtype": str(out.dtype).split(".")[-1], "log": prog.log}
    g = m.autograd.grad(out, prog.leaves, grad_outputs=m.tensor(go, dtype=dt), allow_unused=True)
    res["grad"] = [as_np(t) for t in g]

    prog = Program(m, seed, dt)  # the same program, built afresh
    out = prog.build()
    g = m.autograd.grad(
        out, prog.leaves, grad_outputs=m.tensor(go, dtype=dt), create_graph=True, allow_unused=True
    )
    res["grad_cg"] = [as_np(t) for t in g]
    terms = [
        (t * m.tensor(v, dtype=dt)).sum()
        for t, v in zip(g, vs)
        if t is not None and t.requires_grad
    ]
    if terms:
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        h = m.autograd.grad(total, prog.leaves, allow_unused=True)
        res["hvp"] = [
            np.zeros(tuple(x.shape)) if t is None else as_np(t) for t, x in zip(h, prog.leaves)
        ]
    else:  # every first derivative is constant
        res["hvp"] = [np.zeros(tuple(x.shape)) for x in prog.leaves]
    return res


def compare(pt, seed, dtype_name, tol, tol_grad):
    ref = run_program(torch, seed, dtype_name)
    got = run_program(pt, seed, dtype_name)
    log = " -> ".join(ref["log"])
    assert got["log"] == ref["log"], f"programs diverged: {got['log']} vs {ref['log']}"
    assert got["dtype"] == ref["dtype"], log
    assert_close(got["out"], ref["out"], what=f"forward [{log}]", **tol)
    assert len(got["grad"]) == len(ref["grad"])
    for i, (a, b) in enumerate(zip(got["grad"], ref["grad"])):
        assert (a is None) == (b is None), f"leaf {i}: None-ness differs [{log}]"
        if b is not None:
            assert_close(a, b, what=f"grad leaf {i} [{log}]", **tol_grad)
    for i, (a, b) in enumerate(zip(got["grad_cg"], ref["grad_cg"])):
        assert (a is None) == (b is None), f"leaf {i}: None-ness differs (create_graph) [{log}]"
        if b is not None:
            assert_close(a, b, what=f"create_graph grad leaf {i} [{log}]", **tol_grad)
    for i, (a, b) in enumerate(zip(got["hvp"], ref["hvp"])):
        assert_close(a, b, what=f"second derivative leaf {i} [{log}]", **tol_grad)


@pytest.mark.parametrize("seed", range(120))
def test_random_program_float64(pt, seed):
    compare(pt, seed, "float64", F64, F64)


@pytest.mark.parametrize("seed", range(1000, 1060))
def test_random_program_float32(pt, seed):
    compare(pt, seed, "float32", F32, F32_GRAD)


# ----------------------------------------------------------------------------
# hypothesis: broadcasting binary ops on random shapes
# ----------------------------------------------------------------------------

BINOPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 0.5),
    "**": lambda a, b: (a * a + 0.5) ** b,
    "mix": lambda a, b: (a * b).sin() + a / (b.exp() + 1) - b**2,
}


def _binop_results(m, op, sa, sb, seed):
    rng = np.random.default_rng(seed)
    a_np, b_np = rng.uniform(-1.5, 1.5, size=sa), rng.uniform(-1.5, 1.5, size=sb)
    a = m.tensor(a_np, dtype=m.float64, requires_grad=True)
    b = m.tensor(b_np, dtype=m.float64, requires_grad=True)
    y = BINOPS[op](a, b)
    go = m.tensor(rng.standard_normal(tuple(y.shape)), dtype=m.float64)
    ga, gb = m.autograd.grad(y, (a, b), grad_outputs=go, create_graph=True)
    va = m.tensor(rng.standard_normal(sa), dtype=m.float64)
    vb = m.tensor(rng.standard_normal(sb), dtype=m.float64)
    s = (ga * va).sum() + (gb * vb).sum()
    if s.requires_grad:
        ha, hb = m.autograd.grad(s, (a, b), allow_unused=True)
    else:
        ha = hb = None
    z = lambda h, shp: np.zeros(shp) if h is None else as_np(h)  # noqa: E731
    return as_np(y), as_np(ga), as_np(gb), z(ha, sa), z(hb, sb)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shapes=mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=3
    ),
    op=st.sampled_from(sorted(BINOPS)),
    seed=st.integers(0, 2**31 - 1),
)
def test_broadcast_binary_ops(pt, shapes, op, seed):
    sa, sb = shapes.input_shapes
    ref = _binop_results(torch, op, sa, sb, seed)
    got = _binop_results(pt, op, sa, sb, seed)
    for name, a, b in zip(["forward", "grad a", "grad b", "hvp a", "hvp b"], got, ref):
        assert_close(a, b, what=f"{op} {sa} {sb}: {name}", **F64)


# ----------------------------------------------------------------------------
# error messages
# ----------------------------------------------------------------------------


def _x(m):
    return m.tensor([1.0, 2.0, 3.0], requires_grad=True)


def _twice(m, expr):
    x = _x(m)
    y = expr(x).sum()
    m.autograd.grad(y, x)
    m.autograd.grad(y, x)


def _set_rg(t, v):
    t.requires_grad = v


def _set_grad(t, g):
    t.grad = g


ERROR_CASES = {
    "implicit_non_scalar": lambda m: m.autograd.grad(_x(m) * 2, _x(m)),
    "element0": lambda m: m.autograd.grad(m.ones(()), _x(m)),
    "element1": lambda m: (lambda x: m.autograd.grad([(x * 2).sum(), m.ones(())], x))(_x(m)),
    "input_no_grad": lambda m: m.autograd.grad((_x(m) * 2).sum(), m.ones(3)),
    "unused_1": lambda m: (
        lambda x: m.autograd.grad((x * 2).sum(), [x, m.ones(2, requires_grad=True)])
    )(_x(m)),
    "unused_0": lambda m: (
        lambda x: m.autograd.grad((x * 2).sum(), [m.ones(2, requires_grad=True), x])
    )(_x(m)),
    "materialize_not_allow_unused": lambda m: (
        lambda x: m.autograd.grad((x * x).sum(), x, materialize_grads=True, allow_unused=False)
    )(_x(m)),
    "shape_mismatch": lambda m: (lambda x: m.autograd.grad(x * 2, x, grad_outputs=m.ones(4)))(
        _x(m)
    ),
    "shape_mismatch_2d": lambda m: (lambda x: m.autograd.grad(x * 2, x, grad_outputs=m.ones(3, 1)))(
        _x(m)
    ),
    "shape_mismatch_0d": lambda m: (
        lambda x: m.autograd.grad((x * 2).sum(), x, grad_outputs=m.ones(1))
    )(_x(m)),
    "empty_inputs": lambda m: m.autograd.grad((_x(m) * 2).sum(), []),
    "grad_outputs_int": lambda m: (lambda x: m.autograd.grad((x * 2).sum(), x, grad_outputs=[1]))(
        _x(m)
    ),
    "twice_mul_scalar": lambda m: _twice(m, lambda x: x * 2),
    "twice_mul": lambda m: _twice(m, lambda x: x * x),
    "twice_exp": lambda m: _twice(m, lambda x: x.exp()),
    "twice_matmul": lambda m: _twice(m, lambda x: x @ x),
    "twice_tanh": lambda m: _twice(m, lambda x: x.tanh()),
    "grad_of_constant_grad": lambda m: (
        lambda x: m.autograd.grad(
            m.autograd.grad(2 * x, x, grad_outputs=m.ones(3), create_graph=True)[0].sum(), x
        )
    )(_x(m)),
    "backward_non_scalar": lambda m: (_x(m) * 2).backward(),
    "backward_no_grad": lambda m: m.ones(3).sum().backward(),
    "backward_empty_inputs": lambda m: (_x(m) * 2).sum().backward(inputs=[]),
    "backward_gradient_shape": lambda m: (_x(m) * 2).backward(m.ones(2)),
    "numpy_requires_grad": lambda m: _x(m).numpy(),
    "set_requires_grad_non_leaf": lambda m: _set_rg(_x(m) * 2, False),
    "set_requires_grad_non_leaf_true": lambda m: _set_rg(_x(m) * 2, True),
    "int_requires_grad": lambda m: m.tensor([1, 2], requires_grad=True),
    "int_requires_grad_": lambda m: m.tensor([1, 2]).requires_grad_(),
    "grad_assign_shape": lambda m: _set_grad(_x(m), m.ones(2)),
    "len_0d": lambda m: len(m.tensor(1.0)),
    "iter_0d": lambda m: iter(m.tensor(1.0)),
    "item_multi": lambda m: m.ones(2).item(),
    "size_out_of_range": lambda m: m.ones(2, 3).size(2),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_error_message_matches_torch(pt, case):
    fn = ERROR_CASES[case]
    with pytest.raises(Exception) as ref:
        fn(torch)
    with pytest.raises(Exception) as got:
        fn(pt)
    expected = str(ref.value).replace("torch.", MODULE_NAME + ".")
    assert type(got.value).__name__ == type(ref.value).__name__
    assert str(got.value) == expected
