"""pyad.nn.functional against torch.nn.functional: values, first and second derivatives,
grad_fn names, reductions and error messages."""
import numpy as np
import pytest

import pyad
import pyad.nn.functional as PF

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

RNG = np.random.default_rng(11)
X = RNG.normal(size=(4, 5)) * 2
Y = RNG.uniform(0.05, 0.95, size=(4, 5))
T = np.array([0, 2, 1, 4])
W = RNG.normal(size=(3, 5))
B = RNG.normal(size=3)
CW = RNG.uniform(0.5, 2.0, size=5)


def mods():
    return [(pyad, PF), (torch, TF)]


CASES = {
    "relu": lambda m, F, x: F.relu(x),
    "leaky_relu": lambda m, F, x: F.leaky_relu(x, 0.1),
    "elu": lambda m, F, x: F.elu(x, alpha=0.7),
    "gelu": lambda m, F, x: F.gelu(x),
    "gelu_tanh": lambda m, F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda m, F, x: F.silu(x),
    "softplus": lambda m, F, x: F.softplus(x),
    "softplus_beta": lambda m, F, x: F.softplus(x * 10, beta=2.0, threshold=5.0),
    "sigmoid": lambda m, F, x: F.sigmoid(x),
    "tanh": lambda m, F, x: F.tanh(x),
    "softmax": lambda m, F, x: F.softmax(x, dim=1),
    "softmax0": lambda m, F, x: F.softmax(x * 30, dim=0),
    "log_softmax": lambda m, F, x: F.log_softmax(x * 30, dim=1),
    "method_softmax": lambda m, F, x: x.softmax(-1),
    "linear": lambda m, F, x: F.linear(x, m.tensor(W, dtype=m.float64),
                                       m.tensor(B, dtype=m.float64)),
    "linear_nobias": lambda m, F, x: F.linear(x, m.tensor(W, dtype=m.float64)),
    "linear_3d": lambda m, F, x: F.linear(x.reshape(2, 2, 5), m.tensor(W, dtype=m.float64),
                                          m.tensor(B, dtype=m.float64)),
    "mse": lambda m, F, x: F.mse_loss(x, m.tensor(Y, dtype=m.float64)),
    "mse_sum": lambda m, F, x: F.mse_loss(x, m.tensor(Y, dtype=m.float64), reduction="sum"),
    "mse_none": lambda m, F, x: F.mse_loss(x, m.tensor(Y, dtype=m.float64), reduction="none"),
    "l1": lambda m, F, x: F.l1_loss(x, m.tensor(Y, dtype=m.float64)),
    "huber": lambda m, F, x: F.huber_loss(x, m.tensor(Y, dtype=m.float64), delta=0.8),
    "bce": lambda m, F, x: F.binary_cross_entropy(m.sigmoid(x), m.tensor(Y, dtype=m.float64)),
    "bce_weight": lambda m, F, x: F.binary_cross_entropy(
        m.sigmoid(x), m.tensor(Y, dtype=m.float64), weight=m.tensor(CW, dtype=m.float64),
        reduction="sum"),
    "bce_logits": lambda m, F, x: F.binary_cross_entropy_with_logits(
        x * 20, m.tensor(Y, dtype=m.float64)),
    "bce_logits_pos": lambda m, F, x: F.binary_cross_entropy_with_logits(
        x, m.tensor(Y, dtype=m.float64), pos_weight=m.tensor(CW, dtype=m.float64)),
    "cross_entropy": lambda m, F, x: F.cross_entropy(x, m.tensor(T)),
    "cross_entropy_weight": lambda m, F, x: F.cross_entropy(
        x, m.tensor(T), weight=m.tensor(CW, dtype=m.float64)),
    "cross_entropy_ignore": lambda m, F, x: F.cross_entropy(x, m.tensor([0, -100, 1, 4])),
    "cross_entropy_none": lambda m, F, x: F.cross_entropy(x, m.tensor(T), reduction="none"),
    "cross_entropy_smooth": lambda m, F, x: F.cross_entropy(x, m.tensor(T), label_smoothing=0.1),
    "cross_entropy_probs": lambda m, F, x: F.cross_entropy(
        x, m.tensor(Y / Y.sum(1, keepdims=True), dtype=m.float64)),
    "nll": lambda m, F, x: F.nll_loss(F.log_softmax(x, 1), m.tensor(T)),
    "nll_sum": lambda m, F, x: F.nll_loss(x, m.tensor(T), reduction="sum"),
    "normalize": lambda m, F, x: F.normalize(x),
    "normalize_p1": lambda m, F, x: F.normalize(x, p=1.0, dim=0),
    "dropout_eval": lambda m, F, x: F.dropout(x * 1, 0.3, training=False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    results = []
    for m, F in mods():
        x = m.tensor(X, dtype=m.float64, requires_grad=True)
        y = CASES[name](m, F, x)
        g = m.tensor(RNG.normal(size=tuple(y.shape)) if False else np.ones(tuple(y.shape)),
                     dtype=m.float64)
        (gx,) = m.autograd.grad(y, x, g, create_graph=True)
        v = m.tensor(np.linspace(-1, 1, X.size).reshape(X.shape), dtype=m.float64)
        if gx.requires_grad:
            (hv,) = m.autograd.grad((gx * v).sum(), x, allow_unused=True, materialize_grads=True)
        else:
            hv = m.zeros_like(x)
        (gx_fast,) = m.autograd.grad(CASES[name](m, F, x), x, g)
        results.append((y.detach().numpy(), gx.detach().numpy(),
                        hv.detach().numpy(force=True) if m is torch else hv.detach().numpy(),
                        gx_fast.numpy(), type(y.grad_fn).__name__))
    (yp, gp, hp, gfp, np_), (yt, gt, ht, gft, nt) = results
    np.testing.assert_allclose(yp, yt, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gp, gt, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gfp, gp, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(hp, ht, rtol=1e-7, atol=1e-10)
    assert np_ == nt


def test_dropout_training_statistics():
    pyad.manual_seed(0)
    x = pyad.ones(20000, dtype=pyad.float64, requires_grad=True)
    y = PF.dropout(x, 0.25)
    kept = (y.detach().numpy() != 0).mean()
    assert abs(kept - 0.75) < 0.02
    assert set(np.unique(y.detach().numpy()).round(6)) <= {0.0, round(1 / 0.75, 6)}
    (g,) = pyad.autograd.grad(y.sum(), x)
    np.testing.assert_array_equal(g.numpy(), y.detach().numpy())
    assert PF.dropout(x, 0.5, training=False) is x


def test_errors():
    x = pyad.tensor(X, dtype=pyad.float64)
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        PF.cross_entropy(x, pyad.tensor([0, 1, 2, 7]))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        PF.binary_cross_entropy(x, pyad.tensor(Y, dtype=pyad.float64))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        PF.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        PF.dropout(x, 1.5)


def test_softmax_is_stable_for_large_logits():
    x = pyad.tensor([[1000.0, 0.0, -1000.0]], dtype=pyad.float64, requires_grad=True)
    s = PF.softmax(x, 1)
    ls = PF.log_softmax(x, 1)
    assert np.isfinite(s.detach().numpy()).all() and np.isfinite(ls.detach().numpy()).all()
    (g,) = pyad.autograd.grad(ls[0, 1], x)
    assert np.isfinite(g.numpy()).all()


def test_softplus_and_bce_with_logits_are_smooth_at_zero():
    """At a logit of exactly 0 (zero-initialised models) the first and second derivatives are
    torch's, not those of a relu/abs kink."""
    y = [0.0, 1.0, 1.0, 0.0]
    res = []
    for m, F in mods():
        z = m.zeros(4, dtype=m.float64, requires_grad=True)
        loss = (F.binary_cross_entropy_with_logits(z, m.tensor(y, dtype=m.float64))
                + F.softplus(z).sum())
        (g,) = m.autograd.grad(loss, z, create_graph=True)
        (h,) = m.autograd.grad(g.sum(), z)
        res.append((g.detach().numpy().copy(), h.numpy().copy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)
