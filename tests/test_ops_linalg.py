"""Linear algebra ops: mv, bmm, outer, einsum, tensordot, trace, diag, diagonal, tril, triu and
pyad.linalg (vector_norm, matrix_norm, norm, solve, inv, det, slogdet, cholesky).

For each spec: forward values vs torch (float64 and float32); the gradient of
``(f(x) * w).sum()`` vs torch and vs central finite differences of the forward; the
create_graph=False and create_graph=True paths agree; a Hessian-vector product (grad with
create_graph=True, then grad of <g, v>) vs torch and vs finite differences of the analytic
gradient; torch's grad_fn name. Then error types and messages, 0-d and empty cases.
"""

import math

import numpy as np
import pytest

from conftest import numeric_grad, numeric_hvp, sub

INF = math.inf


class Spec:
    def __init__(self, id, fn, inputs, grad_fn, linear=False):
        self.id = id
        self.fn = fn            # (pt, *tensors) -> tensor
        self.inputs = inputs    # [(shape, kind)], kind in "any", "spd", "cond"
        self.grad_fn = grad_fn
        self.linear = linear    # multilinear in each input: skip the pure-second-order FD check

    def __repr__(self):
        return self.id


SPECS = []


def spec(id, fn, inputs, grad_fn, linear=False):
    SPECS.append(Spec(id, fn, [(tuple(s), k) for s, k in inputs], grad_fn, linear))


A, SPD, COND = "any", "spd", "cond"

# ---- products ----------------------------------------------------------------------------
spec("mv", lambda pt, a, v: pt.mv(a, v), [((3, 4), A), ((4,), A)], "MvBackward0", True)
spec("method:mv", lambda pt, a, v: a.mv(v), [((3, 4), A), ((4,), A)], "MvBackward0", True)
spec("bmm", lambda pt, a, b: pt.bmm(a, b), [((2, 3, 4), A), ((2, 4, 2), A)], "BmmBackward0", True)
spec("method:bmm", lambda pt, a, b: a.bmm(b), [((2, 1, 3), A), ((2, 3, 2), A)], "BmmBackward0",
     True)
spec("outer", lambda pt, a, b: pt.outer(a, b), [((3,), A), ((4,), A)], "MulBackward0", True)
spec("method:outer", lambda pt, a, b: a.outer(b), [((2,), A), ((3,), A)], "MulBackward0", True)
spec("ger", lambda pt, a, b: pt.ger(a, b), [((2,), A), ((3,), A)], "MulBackward0", True)
spec("trace", lambda pt, a: pt.trace(a), [((3, 3), A)], "TraceBackward0", True)
spec("trace:rect", lambda pt, a: a.trace(), [((2, 4), A)], "TraceBackward0", True)

# ---- diagonals and triangles ---------------------------------------------------------------
for k in (0, 1, -2):
    spec(f"diag1d{k}", lambda pt, a, k=k: pt.diag(a, k), [((3,), A)], "DiagEmbedBackward0", True)
    spec(f"diag2d{k}", lambda pt, a, k=k: a.diag(k), [((3, 4), A)], "DiagonalBackward0_copy", True)
    spec(f"tril{k}", lambda pt, a, k=k: pt.tril(a, k), [((2, 3, 4), A)], "TrilBackward0", True)
    spec(f"triu{k}", lambda pt, a, k=k: a.triu(diagonal=k), [((3, 4), A)], "TriuBackward0", True)
spec("diagonal", lambda pt, a: pt.diagonal(a), [((3, 4), A)], "DiagonalBackward0", True)
spec("diagonal:3d", lambda pt, a: a.diagonal(1, 2, 0), [((3, 2, 4), A)], "DiagonalBackward0", True)
spec("diagonal:neg", lambda pt, a: a.diagonal(offset=-1, dim1=-1, dim2=-2), [((2, 3, 4), A)],
     "DiagonalBackward0", True)

# ---- einsum --------------------------------------------------------------------------------
EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 2)], "ViewBackward0"),
    ("ij,jk", [(3, 4), (4, 2)], "ViewBackward0"),
    ("ij,jk->ki", [(3, 4), (4, 2)], "ViewBackward0"),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)], "ViewBackward0"),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)], "ViewBackward0"),
    ("...i,...i->...", [(2, 1, 3), (4, 3)], "ViewBackward0"),
    ("ij,j->i", [(3, 4), (4,)], "ViewBackward0"),
    ("i,i->", [(4,), (4,)], "ViewBackward0"),
    ("i,i", [(4,), (4,)], "ViewBackward0"),
    ("i,j->ij", [(3,), (4,)], "MulBackward0"),
    ("i,j", [(3,), (4,)], "MulBackward0"),
    ("ij,ij->ij", [(3, 4), (3, 4)], "MulBackward0"),
    ("ij,ij->i", [(3, 4), (3, 4)], "ViewBackward0"),
    ("i,j->", [(3,), (4,)], "ViewBackward0"),
    ("ij,kj->", [(3, 4), (2, 4)], "ViewBackward0"),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], "ViewBackward0"),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 2), (2, 2)], "ViewBackward0"),
    ("Ab,bC", [(2, 3), (3, 2)], "ViewBackward0"),
    ("i j , j k -> i k", [(2, 3), (3, 2)], "ViewBackward0"),
    ("ii->", [(3, 3)], "SumBackward1"),
    ("ii", [(3, 3)], "SumBackward1"),
    ("ii->i", [(3, 3)], "PermuteBackward0"),
    ("iij->j", [(3, 3, 2)], "SumBackward1"),
    ("ij->ji", [(3, 4)], "PermuteBackward0"),
    ("ji", [(3, 4)], "PermuteBackward0"),
    ("ij->", [(3, 4)], "SumBackward1"),
    ("ij->j", [(3, 4)], "SumBackward1"),
    ("...", [(2, 3)], "PermuteBackward0"),
    ("i,i->", [(1,), (3,)], "ViewBackward0"),
    ("ij,ij->ij", [(3, 1), (1, 4)], "MulBackward0"),
    ("ii,i->i", [(3, 3), (3,)], "MulBackward0"),
]
for eq, shapes, name in EINSUM:
    spec(f"einsum[{eq}]", lambda pt, *ops, eq=eq: pt.einsum(eq, *ops), [(s, A) for s in shapes],
         name, True)
spec("einsum:list", lambda pt, a, b: pt.einsum("ij,jk->ik", [a, b]), [((2, 3), A), ((3, 2), A)],
     "ViewBackward0", True)
spec("einsum:square", lambda pt, a: pt.einsum("ij,jk->ik", a, a), [((3, 3), A)], "ViewBackward0")

# ---- tensordot -----------------------------------------------------------------------------
spec("tensordot:1", lambda pt, a, b: pt.tensordot(a, b, dims=1), [((3, 4), A), ((4, 2), A)],
     "ViewBackward0", True)
spec("tensordot:2", lambda pt, a, b: pt.tensordot(a, b), [((2, 3, 4), A), ((3, 4, 2), A)],
     "ViewBackward0", True)
spec("tensordot:0", lambda pt, a, b: pt.tensordot(a, b, dims=0), [((2,), A), ((3,), A)],
     "ViewBackward0", True)
spec("tensordot:lists", lambda pt, a, b: pt.tensordot(a, b, dims=([0, 2], [1, 0])),
     [((2, 3, 4), A), ((4, 2, 2), A)], "ViewBackward0", True)
spec("tensordot:neg", lambda pt, a, b: pt.tensordot(a, b, dims=[[-1, 1], [0, 1]]),
     [((2, 3, 4), A), ((4, 3, 2), A)], "ViewBackward0", True)
spec("tensordot:bcast1", lambda pt, a, b: pt.tensordot(a, b, dims=1), [((3, 1), A), ((4, 2), A)],
     "ViewBackward0", True)

# ---- norms ---------------------------------------------------------------------------------
for o in (2, 1, 3, 0.5, 1.5, INF, -INF, -1):
    spec(f"vector_norm{o}", lambda pt, a, o=o: pt.linalg.vector_norm(a, o, dim=1), [((3, 4), A)],
         "LinalgVectorNormBackward0")
spec("vector_norm:all", lambda pt, a: pt.linalg.vector_norm(a), [((2, 3), A)],
     "LinalgVectorNormBackward0")
spec("vector_norm:keepdim", lambda pt, a: pt.linalg.vector_norm(a, 3, (0, 2), True),
     [((2, 3, 2), A)], "LinalgVectorNormBackward0")
spec("vector_norm:0d", lambda pt, a: pt.linalg.vector_norm(a), [((), A)],
     "LinalgVectorNormBackward0")
spec("norm", lambda pt, a: pt.linalg.norm(a), [((2, 3, 2), A)], "LinalgVectorNormBackward0")
spec("norm:vec3", lambda pt, a: pt.linalg.norm(a, 3), [((4,), A)], "LinalgVectorNormBackward0")
spec("norm:fro", lambda pt, a: pt.linalg.norm(a, "fro"), [((3, 4), A)],
     "LinalgVectorNormBackward0")
spec("norm:dim1", lambda pt, a: pt.linalg.norm(a, 1, dim=1), [((3, 4), A)],
     "LinalgVectorNormBackward0")
spec("norm:dim2", lambda pt, a: pt.linalg.norm(a, None, dim=(0, 2)), [((2, 3, 2), A)],
     "LinalgVectorNormBackward0")
for o, name in ((1, "AmaxBackward0"), (-1, "AminBackward0"), (INF, "AmaxBackward0"),
                (-INF, "AminBackward0")):
    spec(f"matrix_norm{o}", lambda pt, a, o=o: pt.linalg.matrix_norm(a, o), [((2, 3, 4), A)],
         name)
    spec(f"norm:mat{o}", lambda pt, a, o=o: pt.linalg.norm(a, o, keepdim=True), [((3, 4), A)],
         name)
spec("matrix_norm:fro", lambda pt, a: pt.linalg.matrix_norm(a, dim=(0, 2)), [((2, 3, 2), A)],
     "LinalgVectorNormBackward0")

# ---- solve / inv / det / slogdet / cholesky ------------------------------------------------
spec("solve", lambda pt, a, b: pt.linalg.solve(a, b), [((3, 3), COND), ((3, 2), A)],
     "LinalgSolveExBackward0")
spec("solve:vec", lambda pt, a, b: pt.linalg.solve(a, b), [((3, 3), COND), ((3,), A)],
     "LinalgSolveExBackward0")
spec("solve:batch", lambda pt, a, b: pt.linalg.solve(a, b), [((2, 3, 3), COND), ((4, 1, 3, 2), A)],
     "LinalgSolveExBackward0")
spec("solve:batchvec", lambda pt, a, b: pt.linalg.solve(a, b), [((2, 3, 3), COND), ((2, 3), A)],
     "LinalgSolveExBackward0")
spec("solve:vec_bcast", lambda pt, a, b: pt.linalg.solve(a, b), [((2, 3, 3), COND), ((3,), A)],
     "LinalgSolveExBackward0")
spec("solve:right", lambda pt, a, b: pt.linalg.solve(a, b, left=False),
     [((3, 3), COND), ((2, 3), A)], "LinalgSolveExBackward0")
spec("inv", lambda pt, a: pt.linalg.inv(a), [((3, 3), COND)], "LinalgInvExBackward0")
spec("inv:batch", lambda pt, a: pt.linalg.inv(a), [((2, 3, 3), COND)], "LinalgInvExBackward0")
spec("inverse", lambda pt, a: pt.inverse(a), [((3, 3), COND)], "LinalgInvExBackward0")
spec("method:inverse", lambda pt, a: a.inverse(), [((3, 3), COND)], "LinalgInvExBackward0")
spec("det", lambda pt, a: pt.linalg.det(a), [((3, 3), COND)], "LinalgDetBackward0")
spec("det:batch", lambda pt, a: pt.linalg.det(a), [((2, 3, 3), COND)], "LinalgDetBackward0")
spec("det:fn", lambda pt, a: pt.det(a), [((2, 2), COND)], "LinalgDetBackward0")
spec("det:method", lambda pt, a: a.det(), [((2, 2), COND)], "LinalgDetBackward0")
spec("slogdet", lambda pt, a: pt.linalg.slogdet(a).logabsdet, [((3, 3), COND)],
     "LinalgSlogdetBackward0")
spec("slogdet:batch", lambda pt, a: pt.linalg.slogdet(a)[1], [((2, 3, 3), COND)],
     "LinalgSlogdetBackward0")
spec("cholesky", lambda pt, a: pt.linalg.cholesky(a), [((3, 3), SPD)],
     "LinalgCholeskyExBackward0")
spec("cholesky:batch", lambda pt, a: pt.linalg.cholesky(a), [((2, 3, 3), SPD)],
     "LinalgCholeskyExBackward0")
spec("cholesky:upper", lambda pt, a: pt.linalg.cholesky(a, upper=True), [((3, 3), SPD)],
     "LinalgCholeskyExBackward0")


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def _seed(s):
    return sum(map(ord, s.id))


def make_inputs(s, rng=None):
    rng = rng or np.random.default_rng(_seed(s))
    arrs = []
    for shape, kind in s.inputs:
        a = rng.standard_normal(shape)
        if kind == SPD:
            n = shape[-1]
            a = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
        elif kind == COND:
            a = a + 3.0 * np.eye(shape[-1])
        arrs.append(a)
    return arrs


def run(pt, s, arrs, dtype=None, requires_grad=True):
    dtype = dtype or pt.float64
    ts = [pt.tensor(a, dtype=dtype, requires_grad=requires_grad) for a in arrs]
    return ts, s.fn(pt, *ts)


def fd_grad(pt, s, arrs, w, i):
    """Central differences of (f * w).sum() in input i (cholesky: symmetric perturbations)."""
    spd = s.inputs[i][1] == SPD

    def f(x):
        if spd:
            x = 0.5 * (x + np.swapaxes(x, -1, -2))
        args = list(arrs)
        args[i] = x
        with pt.no_grad():
            y = s.fn(pt, *[pt.tensor(a, dtype=pt.float64) for a in args])
        return float((y.numpy() * w).sum())

    return numeric_grad(f, arrs[i])


def sym_grad(s, i, g):
    """Cholesky's gradient is symmetric; FD with symmetric perturbations sees g + g^T - diag."""
    if s.inputs[i][1] != SPD:
        return g
    return 0.5 * (g + np.swapaxes(g, -1, -2))


def grads(pt, s, arrs, w, create_graph):
    ts, y = run(pt, s, arrs)
    gs = pt.autograd.grad(y, ts, pt.tensor(w, dtype=pt.float64), create_graph=create_graph)
    return ts, y, gs


# ----------------------------------------------------------------------------
# forward, first and second derivatives, names
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("s", SPECS, ids=repr)
def test_forward_vs_torch(pt, s):
    torch = pytest.importorskip("torch")
    arrs = make_inputs(s)
    for pdt, tdt, tol in ((pt.float64, torch.float64, 1e-10), (pt.float32, torch.float32, 1e-4)):
        _, y = run(pt, s, arrs, pdt, requires_grad=False)
        ty = s.fn(torch, *[torch.tensor(a, dtype=tdt) for a in arrs])
        assert tuple(y.shape) == tuple(ty.shape)
        assert str(y.dtype).split(".")[1] == str(ty.dtype).split(".")[1]
        np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("s", SPECS, ids=repr)
def test_grad_fn_name(pt, s):
    _, y = run(pt, s, make_inputs(s))
    assert type(y.grad_fn).__name__ == s.grad_fn


@pytest.mark.parametrize("s", SPECS, ids=repr)
def test_first_derivative(pt, s):
    torch = pytest.importorskip("torch")
    arrs = make_inputs(s)
    _, y = run(pt, s, arrs, requires_grad=False)
    w = np.random.default_rng(1).standard_normal(tuple(y.shape))
    _, _, g0 = grads(pt, s, arrs, w, False)
    _, _, g1 = grads(pt, s, arrs, w, True)
    tts = [torch.tensor(a, requires_grad=True) for a in arrs]
    tg = torch.autograd.grad(s.fn(torch, *tts), tts, torch.tensor(w))
    for i in range(len(arrs)):
        np.testing.assert_allclose(g0[i].numpy(), g1[i].detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g0[i].numpy(), tg[i].numpy(), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(sym_grad(s, i, g0[i].numpy()), fd_grad(pt, s, arrs, w, i),
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("s", SPECS, ids=repr)
def test_second_derivative(pt, s):
    torch = pytest.importorskip("torch")
    arrs = make_inputs(s)
    _, y = run(pt, s, arrs, requires_grad=False)
    rng = np.random.default_rng(2)
    w = rng.standard_normal(tuple(y.shape))
    vs = [rng.standard_normal(a.shape) for a in arrs]

    def hvp(mod, arrs_):
        ts = [mod.tensor(a, dtype=mod.float64, requires_grad=True) for a in arrs_]
        out = s.fn(mod, *ts)
        gs = mod.autograd.grad(out, ts, mod.tensor(w, dtype=mod.float64), create_graph=True)
        dot = sum((g * mod.tensor(v, dtype=mod.float64)).sum() for g, v in zip(gs, vs)
                  if g.requires_grad)
        if not isinstance(dot, mod.Tensor):     # every gradient is constant: Hessian 0
            return [np.zeros_like(a) for a in arrs_]
        hs = mod.autograd.grad(dot, ts, allow_unused=True)
        return [np.zeros_like(a) if h is None else h.detach().numpy(force=True)
                for h, a in zip(hs, arrs_)]

    mine = hvp(pt, arrs)
    ref = hvp(torch, arrs)
    for i in range(len(arrs)):
        np.testing.assert_allclose(mine[i], ref[i], rtol=1e-8, atol=1e-8)
    if len(arrs) == 1 and s.inputs[0][1] != SPD:
        def grad_f(x):
            ts = [pt.tensor(x, dtype=pt.float64, requires_grad=True)]
            return pt.autograd.grad(s.fn(pt, *ts), ts, pt.tensor(w, dtype=pt.float64))[0].numpy()
        np.testing.assert_allclose(mine[0], numeric_hvp(grad_f, arrs[0], vs[0]),
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("s", [s for s in SPECS if s.id in ("solve", "inv", "det", "cholesky",
                                                               "vector_norm3", "einsum:square")],
                         ids=repr)
def test_float32_gradients(pt, s):
    arrs = make_inputs(s)
    ts, y = run(pt, s, arrs, pt.float32)
    assert y.dtype == pt.float32
    gs = pt.autograd.grad(y.sum(), ts)
    ts64, y64 = run(pt, s, arrs)
    gs64 = pt.autograd.grad(y64.sum(), ts64)
    for g, g64 in zip(gs, gs64):
        assert g.dtype == pt.float32
        np.testing.assert_allclose(g.numpy(), g64.numpy(), rtol=1e-3, atol=1e-3)


# ----------------------------------------------------------------------------
# special values
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("o", [2, 1, 0.5, 1.5, 3, INF, -1])
def test_vector_norm_gradient_zero_at_zero(pt, o):
    x = pt.zeros(3, dtype=pt.float64, requires_grad=True)
    (g,) = pt.autograd.grad(pt.linalg.vector_norm(x, o), x)
    assert g.tolist() == [0.0, 0.0, 0.0]
    (g,) = pt.autograd.grad(pt.linalg.vector_norm(x, o), x, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0]


def test_vector_norm_dtype(pt):
    torch = pytest.importorskip("torch")
    a = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]], dtype=np.float32)
    out = []
    for mod in (pt, torch):
        x = mod.tensor(a, requires_grad=True)
        y = mod.linalg.vector_norm(x, 3, dim=1, dtype=mod.float64)
        assert y.dtype == mod.float64
        assert type(y.grad_fn).__name__ == "LinalgVectorNormBackward0"
        (g,) = mod.autograd.grad(y.sum(), x)
        assert g.dtype == mod.float32
        out.append((y.detach().numpy(), g.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-12)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6)


def test_vector_norm_ord0(pt):
    x = pt.tensor([0.0, 2.0, -1.0], dtype=pt.float64, requires_grad=True)
    y = pt.linalg.vector_norm(x, 0)
    assert y.item() == 2.0 and type(y.grad_fn).__name__ == "LinalgVectorNormBackward0"
    (g,) = pt.autograd.grad(y + (x * x).sum(), x)      # ord 0 contributes no gradient
    assert g.tolist() == [0.0, 4.0, -2.0]


def test_vector_norm_ties_split(pt):
    torch = pytest.importorskip("torch")
    a = np.array([[3.0, -3.0, 1.0], [0.0, 2.0, 2.0]])
    out = []
    for mod in (pt, torch):
        x = mod.tensor(a, requires_grad=True)
        (g,) = mod.autograd.grad(mod.linalg.vector_norm(x, INF, dim=1).sum(), x)
        out.append(g.numpy())
    np.testing.assert_allclose(out[0], [[0.5, -0.5, 0.0], [0.0, 0.5, 0.5]])
    np.testing.assert_allclose(out[0], out[1])


@pytest.mark.parametrize("A", [[[1.0, 2.0], [2.0, 4.0]], [[0.0] * 3] * 3,
                               [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]])
def test_det_singular_derivatives(pt, A):
    """At a singular matrix the gradient of det is the cofactor matrix, on both paths.

    torch returns zeros here without create_graph (its LU path) and nan second derivatives
    at A = 0 (the SVD backward with repeated singular values); pyad's values are checked
    against finite differences, and against torch's create_graph=True gradient.
    """
    torch = pytest.importorskip("torch")
    if pt is torch:
        pytest.skip("torch's create_graph=False path returns zeros at a singular matrix")
    rng = np.random.default_rng(3)
    a = np.array(A)
    v = rng.standard_normal(a.shape)

    def grad_f(arr, create_graph=False):
        x = pt.tensor(arr, dtype=pt.float64, requires_grad=True)
        (g,) = pt.autograd.grad(pt.linalg.det(x), x, create_graph=create_graph)
        return g.detach().numpy()

    def f(arr):
        with pt.no_grad():
            return pt.linalg.det(pt.tensor(arr, dtype=pt.float64)).item()

    fd = numeric_grad(f, a)
    np.testing.assert_allclose(grad_f(a), fd, atol=1e-6)
    np.testing.assert_allclose(grad_f(a, True), fd, atol=1e-6)
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.linalg.det(tx), tx, create_graph=True)
    np.testing.assert_allclose(grad_f(a, True), tg.detach().numpy(), atol=1e-12)
    x = pt.tensor(a, dtype=pt.float64, requires_grad=True)
    (g,) = pt.autograd.grad(pt.linalg.det(x), x, create_graph=True)
    (h,) = pt.autograd.grad((g * pt.tensor(v)).sum(), x)
    np.testing.assert_allclose(h.numpy(), numeric_hvp(grad_f, a, v), atol=1e-6)


def test_slogdet_named_tuple(pt):
    torch = pytest.importorskip("torch")
    a = np.array([[-2.0, 1.0], [0.5, 4.0]])
    r = pt.linalg.slogdet(pt.tensor(a, requires_grad=True))
    t = torch.linalg.slogdet(torch.tensor(a, requires_grad=True))
    assert r.sign.item() == t.sign.item() == r[0].item()
    assert abs(r.logabsdet.item() - t.logabsdet.item()) < 1e-12
    assert type(r.sign.grad_fn).__name__ == "LinalgSlogdetBackward0"
    assert r.sign.requires_grad
    assert type(r).__name__ == "linalg_slogdet" and len(r) == 2
    assert repr(r).startswith(sub("pyad.return_types.linalg_slogdet(\nsign=tensor(-1."))
    sign, logabsdet = r
    assert sign is r.sign and logabsdet is r.logabsdet


def test_slogdet_sign_has_no_gradient(pt):
    x = pt.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    pt.linalg.slogdet(x).sign.sum().backward()
    assert x.grad is None


def test_solve_matches_inverse_product(pt):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((3, 2))
    x = pt.linalg.solve(pt.tensor(a), pt.tensor(b))
    np.testing.assert_allclose(x.numpy(), np.linalg.inv(a) @ b, rtol=1e-6, atol=1e-6)


def test_grad_twice_without_retain_graph_fails(pt):
    x = pt.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    y = pt.linalg.inv(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


# ----------------------------------------------------------------------------
# 0-d, empty and integer cases
# ----------------------------------------------------------------------------
EMPTY = [
    ("mv", lambda pt, a, v: pt.mv(a, v), [(0, 4), (4,)]),
    ("mv:k0", lambda pt, a, v: pt.mv(a, v), [(3, 0), (0,)]),
    ("bmm", lambda pt, a, b: pt.bmm(a, b), [(0, 3, 4), (0, 4, 2)]),
    ("outer", lambda pt, a, b: pt.outer(a, b), [(0,), (4,)]),
    ("trace", lambda pt, a: pt.trace(a), [(0, 0)]),
    ("diag1d", lambda pt, a: pt.diag(a), [(0,)]),
    ("diag2d", lambda pt, a: pt.diag(a, 5), [(3, 4)]),
    ("diagonal", lambda pt, a: a.diagonal(10, 2, 0), [(2, 3, 4)]),
    ("triu", lambda pt, a: pt.triu(a, 2), [(0, 3)]),
    ("einsum:k0", lambda pt, a, b: pt.einsum("ij,jk->ik", a, b), [(3, 0), (0, 5)]),
    ("einsum:m0", lambda pt, a, b: pt.einsum("ij,jk->ik", a, b), [(0, 4), (4, 5)]),
    ("einsum:0d", lambda pt, a: pt.einsum("", a), [()]),
    ("einsum:0d_ell", lambda pt, a: pt.einsum("...", a), [()]),
    ("einsum:0d_arrow", lambda pt, a: pt.einsum("->", a), [()]),
    ("einsum:sum0", lambda pt, a: pt.einsum("ij->", a), [(0, 3)]),
    ("tensordot:0d", lambda pt, a, b: pt.tensordot(a, b, dims=0), [(), ()]),
    ("vector_norm", lambda pt, a: pt.linalg.vector_norm(a), [(0,)]),
    ("vector_norm:dim", lambda pt, a: pt.linalg.vector_norm(a, INF, dim=1), [(0, 3)]),
    ("solve", lambda pt, a, b: pt.linalg.solve(a, b), [(0, 0), (0,)]),
    ("inv", lambda pt, a: pt.linalg.inv(a), [(0, 0)]),
    ("det", lambda pt, a: pt.linalg.det(a), [(0, 0)]),
    ("cholesky", lambda pt, a: pt.linalg.cholesky(a), [(0, 0)]),
]


@pytest.mark.parametrize("case", EMPTY, ids=lambda c: c[0])
def test_empty_and_0d(pt, case):
    torch = pytest.importorskip("torch")
    _, fn, shapes = case
    arrs = [np.arange(float(np.prod(s))).reshape(s) + 1.0 for s in shapes]
    ts = [pt.tensor(a, dtype=pt.float64, requires_grad=True) for a in arrs]
    tts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrs]
    y, ty = fn(pt, *ts), fn(torch, *tts)
    assert tuple(y.shape) == tuple(ty.shape)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__
    w = np.ones(tuple(y.shape))
    gs = pt.autograd.grad(y, ts, pt.tensor(w), allow_unused=True)
    tgs = torch.autograd.grad(ty, tts, torch.tensor(w), allow_unused=True)
    for g, tg in zip(gs, tgs):
        assert (g is None) == (tg is None)
        if g is not None:
            np.testing.assert_allclose(g.numpy(), tg.numpy())


@pytest.mark.parametrize("case", [
    ("mv", lambda m, a, b: m.mv(a, b), [(3, 4), (4,)]),
    ("bmm", lambda m, a, b: m.bmm(a, b), [(2, 3, 4), (2, 4, 1)]),
    ("outer", lambda m, a, b: m.outer(a, b), [(3,), (2,)]),
    ("trace", lambda m, a: m.trace(a), [(3, 3)]),
    ("diag", lambda m, a: m.diag(a, 1), [(3,)]),
    ("tril", lambda m, a: m.tril(a), [(3, 3)]),
    ("einsum", lambda m, a, b: m.einsum("ij,jk", a, b), [(3, 4), (4, 5)]),
    ("einsum:sum", lambda m, a: m.einsum("ij->j", a), [(3, 4)]),
    ("einsum:mul", lambda m, a, b: m.einsum("i,j->ij", a, b), [(3,), (2,)]),
    ("tensordot", lambda m, a, b: m.tensordot(a, b, dims=1), [(3, 4), (4, 5)]),
], ids=lambda c: c[0])
def test_integer_inputs(pt, case):
    torch = pytest.importorskip("torch")
    _, fn, shapes = case
    arrs = [np.arange(int(np.prod(s))).reshape(s) - 3 for s in shapes]
    y = fn(pt, *[pt.tensor(a) for a in arrs])
    ty = fn(torch, *[torch.tensor(a) for a in arrs])
    assert y.dtype == pt.int64 and ty.dtype == torch.int64
    assert y.tolist() == ty.tolist()


def test_bool_diag_and_tril(pt):
    torch = pytest.importorskip("torch")
    a = np.array([True, False, True])
    assert pt.diag(pt.tensor(a)).tolist() == torch.diag(torch.tensor(a)).tolist()
    m = np.ones((3, 3), dtype=bool)
    assert pt.tril(pt.tensor(m), -1).tolist() == torch.tril(torch.tensor(m), -1).tolist()


# ----------------------------------------------------------------------------
# errors: type and message as torch's ("torch." -> "pyad.")
# ----------------------------------------------------------------------------
ERRORS = [
    ("mv:size", lambda m, t: m.mv(t(3, 4), t(5))),
    ("mv:dims", lambda m, t: m.mv(t(3, 4, 2), t(4))),
    ("mv:vec", lambda m, t: m.mv(t(3), t(3))),
    ("mv:dtype", lambda m, t: m.mv(t(3, 4, dt="float32"), t(4))),
    ("bmm:size", lambda m, t: m.bmm(t(2, 3, 4), t(2, 5, 6))),
    ("bmm:batch", lambda m, t: m.bmm(t(2, 3, 4), t(3, 4, 6))),
    ("bmm:3d1", lambda m, t: m.bmm(t(3, 4), t(2, 4, 6))),
    ("bmm:3d2", lambda m, t: m.bmm(t(2, 3, 4), t(4, 6))),
    ("bmm:dtype", lambda m, t: m.bmm(t(2, 3, 4), t(2, 4, 6, dt="float32"))),
    ("outer:1", lambda m, t: m.outer(t(3, 2), t(4))),
    ("outer:2", lambda m, t: m.outer(t(3), t(4, 1))),
    ("trace:1d", lambda m, t: m.trace(t(3))),
    ("trace:3d", lambda m, t: m.trace(t(2, 3, 4))),
    ("diag:3d", lambda m, t: m.diag(t(2, 3, 4))),
    ("diag:0d", lambda m, t: m.diag(t())),
    ("diagonal:1d", lambda m, t: m.diagonal(t(3))),
    ("diagonal:same", lambda m, t: m.diagonal(t(3, 4), 0, 0, 0)),
    ("diagonal:range", lambda m, t: m.diagonal(t(3, 4), 0, 0, 2)),
    ("tril:1d", lambda m, t: m.tril(t(3))),
    ("triu:0d", lambda m, t: m.triu(t())),
    ("einsum:fewer", lambda m, t: m.einsum("ij,jk->ik", t(3, 4))),
    ("einsum:more", lambda m, t: m.einsum("ij", t(3, 4), t(3))),
    ("einsum:out_missing", lambda m, t: m.einsum("ij->ik", t(3, 4))),
    ("einsum:out_twice", lambda m, t: m.einsum("ij->ii", t(3, 4))),
    ("einsum:ndim", lambda m, t: m.einsum("ijk", t(3, 4))),
    ("einsum:ndim_ell", lambda m, t: m.einsum("i...j", t(3))),
    ("einsum:repeat_size", lambda m, t: m.einsum("ii", t(3, 4))),
    ("einsum:bcast", lambda m, t: m.einsum("ij,jk", t(3, 4), t(5, 6))),
    ("einsum:bad_char", lambda m, t: m.einsum("i1", t(3, 4))),
    ("einsum:two_arrows", lambda m, t: m.einsum("ij->j->i", t(3, 4))),
    ("einsum:two_ell", lambda m, t: m.einsum("i...j...", t(3, 4))),
    ("einsum:dot_dot", lambda m, t: m.einsum("ij..->", t(3, 4))),
    ("einsum:out_dots", lambda m, t: m.einsum("ij->..", t(3, 4))),
    ("einsum:out_two_ell", lambda m, t: m.einsum("ij->......", t(3, 4))),
    ("einsum:ell_bcast", lambda m, t: m.einsum("...ij,...jk", t(2, 3, 4), t(5, 4, 6))),
    ("einsum:dtype", lambda m, t: m.einsum("ij,jk", t(3, 4), t(4, 6, dt="float32"))),
    ("einsum:no_operands", lambda m, t: m.einsum("ij")),
    ("tensordot:size", lambda m, t: m.tensordot(t(3, 4), t(4, 5), dims=2)),
    ("tensordot:neg", lambda m, t: m.tensordot(t(3, 4), t(4, 5), dims=-1)),
    ("tensordot:len", lambda m, t: m.tensordot(t(3, 4), t(4, 5), dims=([1], [0, 1]))),
    ("tensordot:dup", lambda m, t: m.tensordot(t(3, 4), t(4, 5), dims=([1, 1], [0, 0]))),
    ("tensordot:ints", lambda m, t: m.tensordot(t(3, 4), t(4, 5), dims=(1, 0))),
    ("tensordot:dtype", lambda m, t: m.tensordot(t(3, 4), t(4, 5, dt="float32"), dims=1)),
    ("tensordot:range", lambda m, t: m.tensordot(t(3, 4), t(4, 5), dims=([5], [0]))),
    ("tensordot:big", lambda m, t: m.tensordot(t(3, 4), t(4, 5), dims=3)),
    ("tensordot:float", lambda m, t: m.tensordot(t(3, 4), t(4, 5), dims=1.5)),
    ("vector_norm:dim", lambda m, t: m.linalg.vector_norm(t(3, 3), dim=5)),
    ("vector_norm:int", lambda m, t: m.linalg.vector_norm(t(3, dt="int64"))),
    ("vector_norm:narrow", lambda m, t: m.linalg.vector_norm(t(3), dtype=m.float32)),
    ("vector_norm:empty_inf", lambda m, t: m.linalg.vector_norm(t(0), INF)),
    ("vector_norm:empty_neg", lambda m, t: m.linalg.vector_norm(t(0), -0.5)),
    ("vector_norm:empty_dim", lambda m, t: m.linalg.vector_norm(t(0, 3), -1.0, dim=0)),
    ("vector_norm:str", lambda m, t: m.linalg.vector_norm(t(3), "fro")),
    ("vector_norm:dupdim", lambda m, t: m.linalg.vector_norm(t(3), 2, dim=(0, 0))),
    ("norm:3d_ord", lambda m, t: m.linalg.norm(t(2, 3, 4), "fro")),
    ("norm:dims3", lambda m, t: m.linalg.norm(t(2, 3, 4), None, dim=(0, 1, 2))),
    ("norm:fro1d", lambda m, t: m.linalg.norm(t(4), "fro")),
    ("norm:order3", lambda m, t: m.linalg.norm(t(3, 4), 3)),
    ("norm:order_str", lambda m, t: m.linalg.norm(t(3, 4), "abc")),
    ("norm:fro_dim1", lambda m, t: m.linalg.norm(t(3, 4), "fro", dim=1)),
    ("norm:int", lambda m, t: m.linalg.norm(t(3, 3, dt="int64"))),
    ("solve:shape", lambda m, t: m.linalg.solve(t(3, 3), t(4))),
    ("solve:square", lambda m, t: m.linalg.solve(t(3, 4), t(3))),
    ("solve:1d", lambda m, t: m.linalg.solve(t(3), t(3))),
    ("solve:dtype", lambda m, t: m.linalg.solve(t(3, 3), t(3, dt="float32"))),
    ("solve:int", lambda m, t: m.linalg.solve(t(3, 3, dt="int64"), t(3, dt="int64"))),
    ("solve:right", lambda m, t: m.linalg.solve(t(3, 3), t(3, 2), left=False)),
    ("solve:batch", lambda m, t: m.linalg.solve(t(2, 3, 3), t(4, 3, 2))),
    ("solve:singular", lambda m, t: m.linalg.solve(m.ones(3, 3), m.ones(3))),
    ("solve:singular_batch",
     lambda m, t: m.linalg.solve(m.zeros(2, 3, 3, dtype=m.float64), m.ones(2, 3, dtype=m.float64))),
    ("inv:1d", lambda m, t: m.linalg.inv(t(3))),
    ("inv:square", lambda m, t: m.linalg.inv(t(3, 4))),
    ("inv:singular", lambda m, t: m.linalg.inv(m.zeros(3, 3))),
    ("inv:singular2", lambda m, t: m.linalg.inv(m.tensor([[1.0, 2.0], [2.0, 4.0]]))),
    ("inv:singular_batch", lambda m, t: m.linalg.inv(m.zeros(2, 3, 3))),
    ("inv:int", lambda m, t: m.linalg.inv(m.eye(3, dtype=m.int64))),
    ("det:1d", lambda m, t: m.linalg.det(t(3))),
    ("det:square", lambda m, t: m.linalg.det(t(3, 4))),
    ("det:int", lambda m, t: m.linalg.det(m.eye(3, dtype=m.int64))),
    ("slogdet:1d", lambda m, t: m.linalg.slogdet(t(3))),
    ("slogdet:int", lambda m, t: m.linalg.slogdet(m.eye(3, dtype=m.int64))),
    ("cholesky:1d", lambda m, t: m.linalg.cholesky(t(3))),
    ("cholesky:square", lambda m, t: m.linalg.cholesky(t(3, 4))),
    ("cholesky:notpd", lambda m, t: m.linalg.cholesky(-m.eye(3))),
    ("cholesky:notpd2", lambda m, t: m.linalg.cholesky(m.tensor([[1.0, 2.0], [3.0, 4.0]]))),
    ("cholesky:notpd_batch", lambda m, t: m.linalg.cholesky(-m.eye(3).expand(2, 3, 3))),
    ("cholesky:int", lambda m, t: m.linalg.cholesky(m.eye(3, dtype=m.int64))),
]


def _maker(mod):
    rng = np.random.default_rng(5)

    def t(*shape, dt="float64"):
        dtype = getattr(mod, dt)
        if dt == "int64":
            return mod.tensor(np.arange(int(np.prod(shape))).reshape(shape), dtype=dtype)
        return mod.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)

    return t


def _error_of(mod, fn):
    with pytest.raises(Exception) as info:
        fn(mod, _maker(mod))
    return info.value


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: c[0])
def test_errors_match_torch(pt, case):
    torch = pytest.importorskip("torch")
    _, fn = case
    mine, theirs = _error_of(pt, fn), _error_of(torch, fn)
    assert type(mine).__name__.lstrip("_") == type(theirs).__name__.lstrip("_")
    for base in (RuntimeError, TypeError, ValueError, IndexError, NotImplementedError):
        assert isinstance(mine, base) == isinstance(theirs, base)
    assert str(mine) == sub(str(theirs).replace("torch.", "pyad."))


def test_linalg_error_is_runtime_error(pt):
    with pytest.raises(RuntimeError):
        pt.linalg.inv(pt.zeros(2, 2))
    assert issubclass(pt.linalg.LinAlgError, RuntimeError)


def test_svd_norms_not_supported(pt):
    if pt.__name__ != "pyad":
        pytest.skip("pyad limitation")
    for o in ("nuc", 2, -2):
        with pytest.raises(NotImplementedError):
            pt.linalg.matrix_norm(pt.ones(2, 2), o)
