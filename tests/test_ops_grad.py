"""Every core op: forward values, first and second derivatives, grad_fn names.

For each op spec (float64 unless stated):
- forward values against a NumPy reference;
- the gradient of ``(f(x) * w).sum()`` (random ``w``) against central finite
  differences of the NumPy reference;
- a Hessian-vector product from ``grad(..., create_graph=True)`` followed by a
  second ``grad``, against central differences of the analytic gradient;
- the fast path (``create_graph=False``), the recorded path
  (``create_graph=True``) and ``grad_outputs=w`` all give the same gradient;
- ``type(y.grad_fn).__name__`` and ``y.grad_fn.name()`` are PyTorch's names;
- float32 inputs give float32 outputs and gradients close to float64 ones.
"""

import zlib

import numpy as np
import pytest

from conftest import numeric_grad, numeric_hessian, numeric_hvp

# ----------------------------------------------------------------------------
# op table
# ----------------------------------------------------------------------------


class Spec:
    def __init__(self, id, fn, ref, inputs, grad_fn):
        self.id = id
        self.fn = fn  # (pt, *tensors) -> tensor
        self.ref = ref  # (*float64 arrays) -> array
        self.inputs = inputs  # [(shape, domain)], domain in {"any", "pos"}
        self.grad_fn = grad_fn  # PyTorch's node name for the output

    def __repr__(self):
        return self.id


SPECS = []


def spec(id, fn, ref, inputs, grad_fn):
    SPECS.append(Spec(id, fn, ref, inputs, grad_fn))


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


A, P = "any", "pos"

# --- binary arithmetic, tensor-tensor with broadcasting ----------------------
BCAST = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((4,), (3, 4)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((2, 1, 3), (4, 1)),
]
for sa, sb in BCAST:
    tag = f"{sa}x{sb}".replace(" ", "")
    spec(f"add{tag}", lambda pt, a, b: a + b, np.add, [(sa, A), (sb, A)], "AddBackward0")
    spec(f"sub{tag}", lambda pt, a, b: a - b, np.subtract, [(sa, A), (sb, A)], "SubBackward0")
    spec(f"mul{tag}", lambda pt, a, b: a * b, np.multiply, [(sa, A), (sb, A)], "MulBackward0")
    spec(f"div{tag}", lambda pt, a, b: a / b, np.divide, [(sa, A), (sb, A)], "DivBackward0")
    spec(f"pow{tag}", lambda pt, a, b: a**b, np.power, [(sa, P), (sb, A)], "PowBackward1")

# function and method forms of the arithmetic ops
S34 = (3, 4)
spec("fn:add", lambda pt, a, b: pt.add(a, b), np.add, [(S34, A), ((4,), A)], "AddBackward0")
spec("method:add", lambda pt, a, b: a.add(b), np.add, [(S34, A), ((4,), A)], "AddBackward0")
spec("fn:sub", lambda pt, a, b: pt.sub(a, b), np.subtract, [(S34, A), ((4,), A)], "SubBackward0")
spec("method:sub", lambda pt, a, b: a.sub(b), np.subtract, [(S34, A), ((4,), A)], "SubBackward0")
spec("fn:mul", lambda pt, a, b: pt.mul(a, b), np.multiply, [(S34, A), ((4,), A)], "MulBackward0")
spec("method:mul", lambda pt, a, b: a.mul(b), np.multiply, [(S34, A), ((4,), A)], "MulBackward0")
spec("fn:div", lambda pt, a, b: pt.div(a, b), np.divide, [(S34, A), ((4,), A)], "DivBackward0")
spec("method:div", lambda pt, a, b: a.div(b), np.divide, [(S34, A), ((4,), A)], "DivBackward0")

# --- tensor-scalar, scalar on either side ---------------------------------
for shape in [S34, ()]:
    tag = str(shape).replace(" ", "")
    spec(f"x+2.5{tag}", lambda pt, x: x + 2.5, lambda x: x + 2.5, [(shape, A)], "AddBackward0")
    spec(f"2.5+x{tag}", lambda pt, x: 2.5 + x, lambda x: 2.5 + x, [(shape, A)], "AddBackward0")
    spec(f"x+2{tag}", lambda pt, x: x + 2, lambda x: x + 2, [(shape, A)], "AddBackward0")
    spec(f"x-2.5{tag}", lambda pt, x: x - 2.5, lambda x: x - 2.5, [(shape, A)], "SubBackward0")
    spec(f"2.5-x{tag}", lambda pt, x: 2.5 - x, lambda x: 2.5 - x, [(shape, A)], "RsubBackward1")
    spec(f"x*2.5{tag}", lambda pt, x: x * 2.5, lambda x: x * 2.5, [(shape, A)], "MulBackward0")
    spec(f"2.5*x{tag}", lambda pt, x: 2.5 * x, lambda x: 2.5 * x, [(shape, A)], "MulBackward0")
    spec(f"x*-3{tag}", lambda pt, x: x * -3, lambda x: x * -3, [(shape, A)], "MulBackward0")
    spec(f"x/2.5{tag}", lambda pt, x: x / 2.5, lambda x: x / 2.5, [(shape, A)], "DivBackward0")
    spec(f"x/4{tag}", lambda pt, x: x / 4, lambda x: x / 4, [(shape, A)], "DivBackward0")
    spec(f"2.5/x{tag}", lambda pt, x: 2.5 / x, lambda x: 2.5 / x, [(shape, A)], "MulBackward0")

# --- neg --------------------------------------------------------------------
spec("-x", lambda pt, x: -x, np.negative, [(S34, A)], "NegBackward0")
spec("fn:neg", lambda pt, x: pt.neg(x), np.negative, [(S34, A)], "NegBackward0")
spec("method:neg", lambda pt, x: x.neg(), np.negative, [(S34, A)], "NegBackward0")

# --- pow ----------------------------------------------------------------------
for e, dom in [(0, A), (1, A), (0.5, P), (2, A), (-1, A), (3, A), (2.5, P), (-0.5, P), (2.0, A)]:
    spec(
        f"x**{e!r}",
        lambda pt, x, e=e: x**e,
        lambda x, e=e: np.power(x, float(e)),
        [(S34, dom)],
        "PowBackward0",
    )
spec("fn:pow(x,2)", lambda pt, x: pt.pow(x, 2), lambda x: x**2, [(S34, A)], "PowBackward0")
spec("method:pow(2)", lambda pt, x: x.pow(2), lambda x: x**2, [(S34, A)], "PowBackward0")
spec("0d:x**3", lambda pt, x: x**3, lambda x: x**3, [((), A)], "PowBackward0")
spec("2**x", lambda pt, x: 2**x, lambda x: np.power(2.0, x), [(S34, A)], "PowBackward2")
spec("2.5**x", lambda pt, x: 2.5**x, lambda x: np.power(2.5, x), [(S34, A)], "PowBackward2")
spec(
    "fn:pow(2,x)",
    lambda pt, x: pt.pow(2, x),
    lambda x: np.power(2.0, x),
    [(S34, A)],
    "PowBackward2",
)
spec(
    "fn:pow(x,y)", lambda pt, x, y: pt.pow(x, y), np.power, [((3, 1), P), ((4,), A)], "PowBackward1"
)
spec("method:pow(y)", lambda pt, x, y: x.pow(y), np.power, [(S34, P), (S34, A)], "PowBackward1")

# --- unary elementwise, as function and as method ---------------------------
UNARY = [
    ("exp", np.exp, A, "ExpBackward0"),
    ("log", np.log, P, "LogBackward0"),
    ("sqrt", np.sqrt, P, "SqrtBackward0"),
    ("sin", np.sin, A, "SinBackward0"),
    ("cos", np.cos, A, "CosBackward0"),
    ("tanh", np.tanh, A, "TanhBackward0"),
    ("sigmoid", _sigmoid, A, "SigmoidBackward0"),
    ("relu", lambda a: np.maximum(a, 0.0), A, "ReluBackward0"),
    ("abs", np.abs, A, "AbsBackward0"),
]
for name, ref, dom, node in UNARY:
    spec(f"fn:{name}", lambda pt, x, n=name: getattr(pt, n)(x), ref, [((2, 3), dom)], node)
    spec(f"method:{name}", lambda pt, x, n=name: getattr(x, n)(), ref, [((2, 3), dom)], node)
    spec(f"0d:{name}", lambda pt, x, n=name: getattr(x, n)(), ref, [((), dom)], node)

# --- reductions --------------------------------------------------------------
S234 = (2, 3, 4)
REDUCE_ARGS = [
    ("()", (), {}, None),
    ("(0)", (0,), {}, (0,)),
    ("(1)", (1,), {}, (1,)),
    ("(-1)", (-1,), {}, (-1,)),
    ("(dim=1)", (), {"dim": 1}, (1,)),
    ("((0,2))", ((0, 2),), {}, (0, 2)),
    ("((-1,0))", ((-1, 0),), {}, (-1, 0)),
    ("(1,keepdim)", (1,), {"keepdim": True}, (1,)),
    ("((0,1),keepdim)", ((0, 1),), {"keepdim": True}, (0, 1)),
    ("(dim=-2,keepdim)", (), {"dim": -2, "keepdim": True}, (-2,)),
]
for red, node0, node1 in [
    ("sum", "SumBackward0", "SumBackward1"),
    ("mean", "MeanBackward0", "MeanBackward1"),
]:
    npf = getattr(np, red)
    for tag, args, kwargs, axes in REDUCE_ARGS:
        keep = kwargs.get("keepdim", False)

        def ref(x, npf=npf, axes=axes, keep=keep):
            return np.asarray(npf(x, axis=axes, keepdims=keep))

        node = node0 if axes is None else node1
        spec(
            f"method:{red}{tag}",
            lambda pt, x, r=red, a=args, k=kwargs: getattr(x, r)(*a, **k),
            ref,
            [(S234, A)],
            node,
        )
    spec(
        f"fn:{red}()",
        lambda pt, x, r=red: getattr(pt, r)(x),
        lambda x, npf=npf: np.asarray(npf(x)),
        [(S234, A)],
        node0,
    )
    spec(
        f"fn:{red}(1)",
        lambda pt, x, r=red: getattr(pt, r)(x, 1),
        lambda x, npf=npf: npf(x, axis=1),
        [(S234, A)],
        node1,
    )
    spec(
        f"fn:{red}(dim=(0,2),keepdim)",
        lambda pt, x, r=red: getattr(pt, r)(x, dim=(0, 2), keepdim=True),
        lambda x, npf=npf: npf(x, axis=(0, 2), keepdims=True),
        [(S234, A)],
        node1,
    )
    spec(
        f"0d:{red}()",
        lambda pt, x, r=red: getattr(x, r)(),
        lambda x: np.asarray(x),
        [((), A)],
        node0,
    )
    spec(
        f"nonlinear:{red}",
        lambda pt, x, r=red: getattr(x * x, r)(1),
        lambda x, npf=npf: npf(x * x, axis=1),
        [(S234, A)],
        node1,
    )

# --- shape ops -------------------------------------------------------------
for tag, fn, ref in [
    ("reshape(6,4)", lambda pt, x: x.reshape(6, 4), lambda x: x.reshape(6, 4)),
    ("reshape((4,6))", lambda pt, x: x.reshape((4, 6)), lambda x: x.reshape(4, 6)),
    ("reshape(-1)", lambda pt, x: x.reshape(-1), lambda x: x.reshape(-1)),
    ("reshape(2,-1,3)", lambda pt, x: x.reshape(2, -1, 3), lambda x: x.reshape(2, -1, 3)),
    ("fn:reshape", lambda pt, x: pt.reshape(x, (24,)), lambda x: x.reshape(24)),
    ("view(24)", lambda pt, x: x.view(24), lambda x: x.reshape(24)),
    ("view(4,6)", lambda pt, x: x.view(4, 6), lambda x: x.reshape(4, 6)),
    ("view(-1,2)", lambda pt, x: x.view(-1, 2), lambda x: x.reshape(-1, 2)),
]:
    spec(tag, fn, ref, [(S234, A)], "ViewBackward0")
spec(
    "reshape:0d->(1,1)",
    lambda pt, x: x.reshape(1, 1),
    lambda x: x.reshape(1, 1),
    [((), A)],
    "ViewBackward0",
)
spec(
    "transpose(0,2)",
    lambda pt, x: x.transpose(0, 2),
    lambda x: x.swapaxes(0, 2),
    [(S234, A)],
    "TransposeBackward0",
)
spec(
    "transpose(-1,-2)",
    lambda pt, x: x.transpose(-1, -2),
    lambda x: x.swapaxes(-1, -2),
    [(S234, A)],
    "TransposeBackward0",
)
spec(
    "fn:transpose",
    lambda pt, x: pt.transpose(x, 0, 1),
    lambda x: x.swapaxes(0, 1),
    [(S234, A)],
    "TransposeBackward0",
)
spec("t()", lambda pt, x: x.t(), lambda x: x.T, [(S34, A)], "TBackward0")
spec("fn:t", lambda pt, x: pt.t(x), lambda x: x.T, [(S34, A)], "TBackward0")
spec("t()1d", lambda pt, x: x.t(), lambda x: x, [((4,), A)], "TBackward0")
spec(
    "permute(2,0,1)",
    lambda pt, x: x.permute(2, 0, 1),
    lambda x: x.transpose(2, 0, 1),
    [(S234, A)],
    "PermuteBackward0",
)
spec(
    "permute((1,2,0))",
    lambda pt, x: x.permute((1, 2, 0)),
    lambda x: x.transpose(1, 2, 0),
    [(S234, A)],
    "PermuteBackward0",
)
spec(
    "permute(-1,0,1)",
    lambda pt, x: x.permute(-1, 0, 1),
    lambda x: x.transpose(2, 0, 1),
    [(S234, A)],
    "PermuteBackward0",
)
spec(
    "fn:permute",
    lambda pt, x: pt.permute(x, (2, 1, 0)),
    lambda x: x.transpose(2, 1, 0),
    [(S234, A)],
    "PermuteBackward0",
)
for d in [0, 2, -1, 3]:
    spec(
        f"unsqueeze({d})",
        lambda pt, x, d=d: x.unsqueeze(d),
        lambda x, d=d: np.expand_dims(x, d),
        [(S234, A)],
        "UnsqueezeBackward0",
    )
spec(
    "fn:unsqueeze",
    lambda pt, x: pt.unsqueeze(x, 1),
    lambda x: np.expand_dims(x, 1),
    [(S234, A)],
    "UnsqueezeBackward0",
)
spec(
    "unsqueeze:0d",
    lambda pt, x: x.unsqueeze(0),
    lambda x: x.reshape(1),
    [((), A)],
    "UnsqueezeBackward0",
)
S1314 = (1, 3, 1, 4)
spec(
    "squeeze()", lambda pt, x: x.squeeze(), lambda x: x.squeeze(), [(S1314, A)], "SqueezeBackward0"
)
spec(
    "fn:squeeze()",
    lambda pt, x: pt.squeeze(x),
    lambda x: x.squeeze(),
    [(S1314, A)],
    "SqueezeBackward0",
)
spec("squeeze()noop", lambda pt, x: x.squeeze(), lambda x: x, [(S34, A)], "SqueezeBackward0")
spec(
    "squeeze():->0d",
    lambda pt, x: x.squeeze(),
    lambda x: x.reshape(()),
    [((1, 1), A)],
    "SqueezeBackward0",
)
spec(
    "squeeze(0)",
    lambda pt, x: x.squeeze(0),
    lambda x: x.squeeze(0),
    [(S1314, A)],
    "SqueezeBackward1",
)
spec(
    "squeeze(-2)",
    lambda pt, x: x.squeeze(-2),
    lambda x: x.squeeze(-2),
    [(S1314, A)],
    "SqueezeBackward1",
)
spec("squeeze(1)noop", lambda pt, x: x.squeeze(1), lambda x: x, [(S1314, A)], "SqueezeBackward1")
spec(
    "fn:squeeze(2)",
    lambda pt, x: pt.squeeze(x, 2),
    lambda x: x.squeeze(2),
    [(S1314, A)],
    "SqueezeBackward1",
)
for tag, src, args in [
    ("(3,1)->(3,4)", (3, 1), (3, 4)),
    ("(3,1)->(2,3,4)", (3, 1), (2, 3, 4)),
    ("(3,1)->(-1,4)", (3, 1), (-1, 4)),
    ("(4,)->(3,4)", (4,), (3, 4)),
    ("()->(2,3)", (), (2, 3)),
]:
    target = tuple(s if a == -1 else a for a, s in zip(args, (1,) * (len(args) - len(src)) + src))
    spec(
        f"expand{tag}",
        lambda pt, x, a=args: x.expand(*a),
        lambda x, t=target: np.broadcast_to(x, t),
        [(src, A)],
        "ExpandBackward0",
    )
spec(
    "expand(tuple)",
    lambda pt, x: x.expand((2, 3, 4)),
    lambda x: np.broadcast_to(x, (2, 3, 4)),
    [((3, 1), A)],
    "ExpandBackward0",
)

# --- matmul ----------------------------------------------------------------
MATMUL = [
    ("1d.1d", (4,), (4,), "DotBackward0"),
    ("2d@1d", (3, 4), (4,), "MvBackward0"),
    ("1d@2d", (4,), (4, 3), "SqueezeBackward4"),
    ("2d@2d", (3, 4), (4, 5), "MmBackward0"),
    ("3d@3d", (2, 3, 4), (2, 4, 5), "UnsafeViewBackward0"),
    ("3d@2d", (2, 3, 4), (4, 2), "UnsafeViewBackward0"),
    ("bcast(2,1,3,4)@(5,4,2)", (2, 1, 3, 4), (5, 4, 2), "UnsafeViewBackward0"),
]
for tag, sa, sb, node in MATMUL:
    spec(f"@:{tag}", lambda pt, a, b: a @ b, np.matmul, [(sa, A), (sb, A)], node)
spec(
    "fn:matmul",
    lambda pt, a, b: pt.matmul(a, b),
    np.matmul,
    [((3, 4), A), ((4, 5), A)],
    "MmBackward0",
)
spec(
    "method:matmul",
    lambda pt, a, b: a.matmul(b),
    np.matmul,
    [((3, 4), A), ((4,), A)],
    "MvBackward0",
)
spec("@:self", lambda pt, a: a @ a, lambda a: a @ a, [((3, 3), A)], "MmBackward0")

# --- basic indexing ----------------------------------------------------------
INDEX = [
    ("x[0]", S34, lambda x: x[0], "SelectBackward0"),
    ("x[-1]", S34, lambda x: x[-1], "SelectBackward0"),
    ("x[:,1]", S34, lambda x: x[:, 1], "SelectBackward0"),
    ("x[1:,:-1]", S34, lambda x: x[1:, :-1], "SliceBackward0"),
    ("x[...,::2]", S34, lambda x: x[..., ::2], "SliceBackward0"),
    ("x[:,None]", S34, lambda x: x[:, None], "UnsqueezeBackward0"),
    ("x[None,...,0]", S34, lambda x: x[None, ..., 0], "SelectBackward0"),
    ("x[1][2]", S34, lambda x: x[1][2], "SelectBackward0"),
    ("x[0,1]", S34, lambda x: x[0, 1], "SelectBackward0"),
    ("x[1:3]", S34, lambda x: x[1:3], "SliceBackward0"),
    ("x[::2]", S34, lambda x: x[::2], "SliceBackward0"),
    ("x[:,None,1:]", S34, lambda x: x[:, None, 1:], "SliceBackward0"),
    ("3d:x[0]", S234, lambda x: x[0], "SelectBackward0"),
    ("3d:x[:,1]", S234, lambda x: x[:, 1], "SelectBackward0"),
    ("3d:x[...,::2]", S234, lambda x: x[..., ::2], "SliceBackward0"),
    ("3d:x[-1,...,1:3]", S234, lambda x: x[-1, ..., 1:3], "SliceBackward0"),
    ("3d:x[None,...,0]", S234, lambda x: x[None, ..., 0], "SelectBackward0"),
    ("3d:x[1,:,None]", S234, lambda x: x[1, :, None], "UnsqueezeBackward0"),
]
for tag, shape, idx, node in INDEX:
    spec(
        tag,
        lambda pt, x, idx=idx: idx(x),
        lambda x, idx=idx: np.asarray(idx(x)),
        [(shape, A)],
        node,
    )

# --- compositions (non-contiguous operands, repeated use) -------------------------
spec(
    "t()*y",
    lambda pt, a, b: a.t() * b,
    lambda a, b: a.T * b,
    [((3, 4), A), ((4, 3), A)],
    "MulBackward0",
)
spec(
    "slice.exp",
    lambda pt, a: a[:, ::2].exp(),
    lambda a: np.exp(a[:, ::2]),
    [((3, 4), A)],
    "ExpBackward0",
)
spec(
    "transpose@",
    lambda pt, a, b: a.transpose(0, 1) @ b,
    lambda a, b: a.T @ b,
    [((4, 3), A), ((4, 2), A)],
    "MmBackward0",
)
spec(
    "expand*y",
    lambda pt, a, b: a.expand(3, 4) * b,
    lambda a, b: a * b,
    [((3, 1), A), ((3, 4), A)],
    "MulBackward0",
)
spec("x*x", lambda pt, a: a * a, lambda a: a * a, [((3, 4), A)], "MulBackward0")
spec(
    "chain",
    lambda pt, a, b: (a.sin() * b.exp()).sum(1) / ((a * a + 1).sum(1)),
    lambda a, b: (np.sin(a) * np.exp(b)).sum(1) / (a * a + 1).sum(1),
    [((3, 4), A), ((4,), A)],
    "DivBackward0",
)
spec(
    "mlp",
    lambda pt, x, w, b: ((x @ w + b).tanh() ** 2).mean(0),
    lambda x, w, b: (np.tanh(x @ w + b) ** 2).mean(0),
    [((5, 3), A), ((3, 2), A), ((2,), A)],
    "MeanBackward1",
)

SPEC_IDS = [s.id for s in SPECS]
assert len(set(SPEC_IDS)) == len(SPEC_IDS), "duplicate spec ids"

# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------


def _rng(s, salt=""):
    return np.random.default_rng(zlib.crc32((s.id + salt).encode()))


def make_arrays(s):
    rng = _rng(s)
    out = []
    for shape, dom in s.inputs:
        if dom == "pos":
            a = rng.uniform(0.5, 2.0, size=shape)
        else:  # away from 0 so relu/abs/1/x are smooth at the sample points
            a = rng.uniform(0.2, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        out.append(np.asarray(a, dtype=np.float64))
    return out


def leaves(pt, arrays, dtype=None):
    dtype = pt.float64 if dtype is None else dtype
    return [pt.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]


def weights(s, out_shape):
    return np.asarray(_rng(s, "w").standard_normal(out_shape), dtype=np.float64)


def directions(s, arrays):
    rng = _rng(s, "v")
    return [np.asarray(rng.standard_normal(a.shape), dtype=np.float64) for a in arrays]


def flatten(arrays):
    return np.concatenate([a.reshape(-1) for a in arrays]) if arrays else np.zeros(0)


def unflatten(flat, arrays):
    out, i = [], 0
    for a in arrays:
        out.append(flat[i : i + a.size].reshape(a.shape))
        i += a.size
    return out


def np_of(t):
    t = t.detach()
    if getattr(t, "_is_zerotensor", lambda: False)():  # torch-mode only: a lazy zero
        return np.zeros(tuple(t.shape))
    return np.array(t.numpy(), dtype=np.float64)


def analytic_grad(pt, s, arrays, w, create_graph=False):
    xs = leaves(pt, arrays)
    y = s.fn(pt, *xs)
    loss = (y * pt.tensor(w)).sum()
    gs = pt.autograd.grad(loss, xs, create_graph=create_graph)
    return xs, gs


def tol_close(actual, expected, rtol, atol_rel):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol_rel * scale)


# ----------------------------------------------------------------------------
# tests
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("s", SPECS, ids=SPEC_IDS)
def test_forward(pt, s):
    arrays = make_arrays(s)
    xs = leaves(pt, arrays)
    y = s.fn(pt, *xs)
    expected = np.asarray(s.ref(*arrays))
    assert tuple(y.shape) == expected.shape
    assert y.dtype == pt.float64
    assert y.requires_grad
    assert not y.is_leaf
    np.testing.assert_allclose(np_of(y), expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("s", SPECS, ids=SPEC_IDS)
def test_first_derivative(pt, s):
    arrays = make_arrays(s)
    w = weights(s, np.asarray(s.ref(*arrays)).shape)
    xs, gs = analytic_grad(pt, s, arrays, w)
    assert len(gs) == len(xs)

    def f(flat):
        return float((np.asarray(s.ref(*unflatten(flat, arrays))) * w).sum())

    num = unflatten(numeric_grad(f, flatten(arrays)), arrays)
    for x, g, n in zip(xs, gs, num):
        assert g is not None
        assert tuple(g.shape) == tuple(x.shape)
        assert g.dtype == pt.float64
        assert not g.requires_grad
        tol_close(np_of(g), n, rtol=1e-6, atol_rel=1e-7)


@pytest.mark.parametrize("s", SPECS, ids=SPEC_IDS)
def test_second_derivative(pt, s):
    arrays = make_arrays(s)
    w = weights(s, np.asarray(s.ref(*arrays)).shape)
    vs = directions(s, arrays)

    xs, gs = analytic_grad(pt, s, arrays, w, create_graph=True)
    terms = [(g * pt.tensor(v)).sum() for g, v in zip(gs, vs) if g.requires_grad]
    if terms:
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        hv = pt.autograd.grad(total, xs, allow_unused=True)
        hv = [np.zeros(a.shape) if h is None else np_of(h) for h, a in zip(hv, arrays)]
    else:  # constant first derivative: the Hessian is zero
        hv = [np.zeros(a.shape) for a in arrays]

    def grad_at(flat):
        _, g = analytic_grad(pt, s, unflatten(flat, arrays), w)
        return flatten([np_of(t) for t in g])

    num = unflatten(numeric_hvp(grad_at, flatten(arrays), flatten(vs)), arrays)
    for h, n in zip(hv, num):
        tol_close(h, n, rtol=1e-5, atol_rel=1e-6)


@pytest.mark.parametrize("s", SPECS, ids=SPEC_IDS)
def test_fast_and_recorded_paths_agree(pt, s):
    arrays = make_arrays(s)
    w = weights(s, np.asarray(s.ref(*arrays)).shape)
    _, fast = analytic_grad(pt, s, arrays, w)
    _, rec = analytic_grad(pt, s, arrays, w, create_graph=True)
    xs = leaves(pt, arrays)
    y = s.fn(pt, *xs)
    via_go = pt.autograd.grad(y, xs, grad_outputs=pt.tensor(w))
    y = s.fn(pt, *xs)
    via_go_rec = pt.autograd.grad(y, xs, grad_outputs=pt.tensor(w), create_graph=True)
    for a, b, c, d in zip(fast, rec, via_go, via_go_rec):
        ref = np_of(a)
        for other in (b, c, d):
            assert other.dtype == a.dtype
            np.testing.assert_allclose(np_of(other), ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("s", SPECS, ids=SPEC_IDS)
def test_grad_fn_name(pt, s):
    xs = leaves(pt, make_arrays(s))
    y = s.fn(pt, *xs)
    assert type(y.grad_fn).__name__ == s.grad_fn
    assert y.grad_fn.name() == s.grad_fn


@pytest.mark.parametrize("s", SPECS, ids=SPEC_IDS)
def test_float32(pt, s):
    arrays = [a.astype(np.float32).astype(np.float64) for a in make_arrays(s)]
    w = weights(s, np.asarray(s.ref(*arrays)).shape)
    xs = leaves(pt, arrays, dtype=pt.float32)
    y = s.fn(pt, *xs)
    assert y.dtype == pt.float32
    tol_close(np_of(y), s.ref(*arrays), rtol=1e-5, atol_rel=1e-6)
    gs = pt.autograd.grad(y, xs, grad_outputs=pt.tensor(w, dtype=pt.float32))
    _, g64 = analytic_grad(pt, s, arrays, w)
    for g, ref in zip(gs, g64):
        assert g.dtype == pt.float32
        tol_close(np_of(g), np_of(ref), rtol=1e-4, atol_rel=1e-5)


HESSIAN_SPECS = [
    "chain",
    "mlp",
    "fn:sigmoid",
    "pow(3,1)x(1,4)",
    "div(4,)x(3,4)",
    "@:2d@1d",
    "x*x",
    "method:mean((0,1),keepdim)",
]


@pytest.mark.parametrize("sid", HESSIAN_SPECS)
def test_full_hessian(pt, sid):
    """Every row of the Hessian (one second-order grad per gradient entry) against
    both finite-difference Hessians: of the analytic gradient, and second-order
    differences of the NumPy reference."""
    s = next(sp for sp in SPECS if sp.id == sid)
    arrays = make_arrays(s)
    w = weights(s, np.asarray(s.ref(*arrays)).shape)
    flat0 = flatten(arrays)
    n = flat0.size

    xs, gs = analytic_grad(pt, s, arrays, w, create_graph=True)
    rows = []
    for g in gs:
        gflat = g.reshape(-1)
        for j in range(gflat.shape[0]):
            if not g.requires_grad:
                rows.append(np.zeros(n))
                continue
            h = pt.autograd.grad(gflat[j], xs, retain_graph=True, allow_unused=True)
            rows.append(
                flatten([np.zeros(a.shape) if t is None else np_of(t) for t, a in zip(h, arrays)])
            )
    H = np.array(rows)
    assert H.shape == (n, n)

    def grad_at(flat):
        _, g = analytic_grad(pt, s, unflatten(flat, arrays), w)
        return flatten([np_of(t) for t in g])

    def loss(flat):
        return float((np.asarray(s.ref(*unflatten(flat, arrays))) * w).sum())

    tol_close(H, numeric_hessian(grad_f=grad_at, x=flat0), rtol=1e-5, atol_rel=1e-6)
    tol_close(H, numeric_hessian(f=loss, x=flat0, eps=1e-4), rtol=1e-4, atol_rel=1e-5)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-12)


VIEW_NODES = {
    "ViewBackward0",
    "TransposeBackward0",
    "TBackward0",
    "PermuteBackward0",
    "UnsqueezeBackward0",
    "SqueezeBackward0",
    "SqueezeBackward1",
    "ExpandBackward0",
    "SelectBackward0",
    "SliceBackward0",
}


def test_no_grad_records_nothing(pt):
    x = pt.ones(3, requires_grad=True)
    with pt.no_grad():
        for s in SPECS:
            xs = leaves(pt, make_arrays(s))
            y = s.fn(pt, *xs)
            assert y.grad_fn is None, s.id
            if s.grad_fn not in VIEW_NODES:  # torch flags no_grad views of leaves as requiring grad
                assert not y.requires_grad, s.id
    assert (x * 2).grad_fn is not None


def test_constant_operand_gets_no_grad(pt):
    """Ops between a tensor that requires grad and one that does not."""
    x = pt.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=pt.float64, requires_grad=True)
    c = pt.tensor([[0.5, -1.0], [2.0, 3.0]], dtype=pt.float64)
    for y in [x * c, c * x, x + c, c - x, c / x, x @ c, c @ x, c**x]:
        assert y.requires_grad
        assert not c.requires_grad
    (g,) = pt.autograd.grad((c @ x).sum(), x)
    np.testing.assert_allclose(np_of(g), np.tile(c.numpy().sum(0)[:, None], (1, 2)))
    assert c.grad is None
