"""The functional forms added for pyad.nn's layers (layer_norm, embedding, batch_norm,
cosine_similarity, pairwise_distance, one_hot, pad, bilinear, more losses and activations)
against torch.nn.functional: values, gradients of every input in float64, grad_fn names and
error messages."""
import numpy as np
import pytest

import pyad
import pyad.nn.functional as PF
from conftest import numeric_grad

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

RNG = np.random.default_rng(5)
X = RNG.normal(size=(4, 6)) * 1.5
X3 = RNG.normal(size=(3, 4, 5))
Z = RNG.normal(size=(4, 6))
G = RNG.normal(size=6) + 1.0
H = RNG.normal(size=6)
P = np.log(RNG.dirichlet(np.ones(6), size=4))
Q = RNG.dirichlet(np.ones(6), size=4)


def run(case, arrays, mod, F):
    tensors = [mod.tensor(a, dtype=mod.float64, requires_grad=a.dtype.kind == "f")
               for a in arrays]
    out = case(mod, F, *tensors)
    weights = mod.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)),
                         dtype=mod.float64)
    (out * weights).sum().backward()
    grads = [t.grad.numpy().copy() if t.grad is not None else None for t in tensors]
    return out, grads


CASES = {
    "layer_norm": (lambda m, F, x, w, b: F.layer_norm(x, (6,), w, b), [X, G, H]),
    "layer_norm_2d": (lambda m, F, x: F.layer_norm(x, (4, 5), eps=1e-3), [X3]),
    "layer_norm_plain": (lambda m, F, x: F.layer_norm(x, [6]), [X]),
    "group_norm": (lambda m, F, x, w, b: F.group_norm(x, 3, w, b), [X, G, H]),
    "group_norm_3d": (lambda m, F, x: F.group_norm(x, 2, eps=1e-3), [X3]),
    "rms_norm": (lambda m, F, x, w: F.rms_norm(x, (6,), w), [X, G]),
    "rms_norm_eps": (lambda m, F, x: F.rms_norm(x, [4, 5], eps=0.1), [X3]),
    "batch_norm_train": (lambda m, F, x, w, b: F.batch_norm(
        x, None, None, w, b, training=True), [X, G, H]),
    "batch_norm_train_3d": (lambda m, F, x: F.batch_norm(
        x.permute(0, 1, 2), None, None, training=True, eps=1e-3), [X3]),
    "batch_norm_eval": (lambda m, F, x, w, b: F.batch_norm(
        x, m.tensor(H, dtype=m.float64), m.tensor(G * G, dtype=m.float64), w, b), [X, G, H]),
    "cosine_similarity": (lambda m, F, x, z: F.cosine_similarity(x, z), [X, Z]),
    "cosine_similarity_dim0": (lambda m, F, x, z: F.cosine_similarity(x, z, dim=0), [X, Z]),
    "cosine_similarity_bcast": (lambda m, F, x, g: F.cosine_similarity(x, g, dim=-1), [X, G]),
    "pairwise_distance": (lambda m, F, x, z: F.pairwise_distance(x, z), [X, Z]),
    "pairwise_distance_p1": (lambda m, F, x, z: F.pairwise_distance(x, z, p=1.0, keepdim=True),
                             [X, Z]),
    "pairwise_distance_1d": (lambda m, F, g, h: F.pairwise_distance(g, h), [G, H]),
    "pad": (lambda m, F, x: F.pad(x, (1, 2)), [X]),
    "pad_2d_value": (lambda m, F, x: F.pad(x, (0, 1, 2, 0), value=3.5), [X3]),
    "pad_negative": (lambda m, F, x: F.pad(x, (-1, 2, 1, -2)), [X]),
    "pad_noop": (lambda m, F, x: F.pad(x, (0, 0)), [X]),
    "bilinear": (lambda m, F, x, z, w, b: F.bilinear(x, z, w, b),
                 [X, Z, RNG.normal(size=(3, 6, 6)), RNG.normal(size=3)]),
    "bilinear_3d": (lambda m, F, x, w: F.bilinear(x, x, w),
                    [X3, RNG.normal(size=(2, 5, 5))]),
    "embedding": (lambda m, F, w: F.embedding(m.tensor([[0, 2], [2, 4]]), w),
                  [RNG.normal(size=(5, 3))]),
    "embedding_padding": (lambda m, F, w: F.embedding(m.tensor([1, 3, 1, 0]), w, padding_idx=1),
                          [RNG.normal(size=(5, 3))]),
    "smooth_l1": (lambda m, F, x, z: F.smooth_l1_loss(x, z, beta=0.5), [X, Z]),
    "smooth_l1_none": (lambda m, F, x, z: F.smooth_l1_loss(x, z, reduction="none"), [X, Z]),
    "smooth_l1_beta0": (lambda m, F, x, z: F.smooth_l1_loss(x, z, beta=0.0, reduction="sum"),
                        [X, Z]),
    "kl_div": (lambda m, F, p, q: F.kl_div(p, q, reduction="batchmean"), [P, Q]),
    "kl_div_none": (lambda m, F, p, q: F.kl_div(p, q, reduction="none"), [P, Q]),
    "kl_div_log_target": (lambda m, F, p, q: F.kl_div(p, q.log(), reduction="sum",
                                                      log_target=True), [P, Q]),
    "hardtanh": (lambda m, F, x: F.hardtanh(x, -0.5, 1.2), [X]),
    "relu6": (lambda m, F, x: F.relu6(x * 4), [X]),
    "selu": (lambda m, F, x: F.selu(x), [X]),
    "celu": (lambda m, F, x: F.celu(x, alpha=0.7), [X]),
    "mish": (lambda m, F, x: F.mish(x), [X]),
    "softsign": (lambda m, F, x: F.softsign(x), [X]),
    "logsigmoid": (lambda m, F, x: F.logsigmoid(x * 30), [X]),
    "hardsigmoid": (lambda m, F, x: F.hardsigmoid(x * 3), [X]),
    "hardswish": (lambda m, F, x: F.hardswish(x * 3), [X]),
    "tanhshrink": (lambda m, F, x: F.tanhshrink(x), [X]),
    "softmin": (lambda m, F, x: F.softmin(x, dim=1), [X]),
    "threshold": (lambda m, F, x: F.threshold(x, 0.3, -2.0), [X]),
    "glu": (lambda m, F, x: F.glu(x), [X]),
    "glu_dim0": (lambda m, F, x: F.glu(x, 0), [X]),
    "prelu": (lambda m, F, x, w: F.prelu(x, w), [X, np.array([0.2])]),
    "prelu_channels": (lambda m, F, x, w: F.prelu(x, w), [X3, np.array([0.1, -0.3, 0.5, 2.0])]),
    "hardshrink": (lambda m, F, x: F.hardshrink(x, 0.7), [X]),
    "softshrink": (lambda m, F, x: F.softshrink(x, 0.7), [X]),
}


# torch's float64 backward of these rounds a constant to float32 (celu's 1/alpha, hardsigmoid's
# 1/6): its gradients are off by ~3e-8 relative. pyad's are checked against central finite
# differences instead, and against torch at that looser tolerance.
TORCH_GRAD_IN_FLOAT32 = {"celu", "hardsigmoid"}


def finite_difference_grads(case, arrays):
    grads = []
    for i, a in enumerate(arrays):
        if a.dtype.kind != "f":
            grads.append(None)
            continue

        def f(v, i=i):
            args = [pyad.tensor(v if j == i else b, dtype=pyad.float64)
                    for j, b in enumerate(arrays)]
            out = case(pyad, PF, *args)
            weights = np.cos(np.arange(out.numel())).reshape(tuple(out.shape))
            return float((out.numpy() * weights).sum())
        grads.append(numeric_grad(f, a))
    return grads


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch(name):
    case, arrays = CASES[name]
    out_p, grads_p = run(case, arrays, pyad, PF)
    out_t, grads_t = run(case, arrays, torch, TF)
    assert tuple(out_p.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(out_p.detach().numpy(), out_t.detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    if name in TORCH_GRAD_IN_FLOAT32:
        for gp, gf in zip(grads_p, finite_difference_grads(case, arrays)):
            np.testing.assert_allclose(gp, gf, rtol=1e-7, atol=1e-8)
    rtol = 1e-7 if name in TORCH_GRAD_IN_FLOAT32 else 1e-10
    for gp, gt in zip(grads_p, grads_t):
        assert (gp is None) == (gt is None)
        if gp is not None:
            np.testing.assert_allclose(gp, gt, rtol=rtol, atol=1e-12)
    assert type(out_p.grad_fn).__name__ == type(out_t.grad_fn).__name__


def test_batch_norm_updates_running_stats_as_torch():
    results = []
    for mod, F in ((pyad, PF), (torch, TF)):
        rm = mod.tensor(H, dtype=mod.float64)
        rv = mod.tensor(G * G, dtype=mod.float64)
        x = mod.tensor(X, dtype=mod.float64)
        F.batch_norm(x, rm, rv, training=True, momentum=0.3)
        F.batch_norm(x * 2, rm, rv, training=True, momentum=0.3)
        results.append((rm.numpy().copy(), rv.numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-13)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-13)


def test_one_hot_as_torch():
    for idx, n in (([0, 3, 1], -1), ([[1, 0], [2, 2]], 4), ([], 3)):
        p = PF.one_hot(pyad.tensor(idx, dtype=pyad.int64), n)
        t = TF.one_hot(torch.tensor(idx, dtype=torch.int64), n)
        assert p.dtype is pyad.int64
        assert p.tolist() == t.tolist() and tuple(p.shape) == tuple(t.shape)


def test_embedding_max_norm_renormalises_rows_in_place():
    w = RNG.normal(size=(5, 3)) * 3
    idx = [0, 2, 2, 4]
    wp, wt = pyad.tensor(w), torch.tensor(w)
    out_p = PF.embedding(pyad.tensor(idx), wp, max_norm=1.5)
    out_t = TF.embedding(torch.tensor(idx), wt, max_norm=1.5)
    np.testing.assert_allclose(wp.numpy(), wt.numpy(), rtol=1e-12)
    np.testing.assert_allclose(out_p.numpy(), out_t.numpy(), rtol=1e-12)


def _message(fn, mod, F):
    try:
        fn(mod, F)
    except Exception as e:   # the type and text are compared with torch's
        return type(e).__name__, str(e).replace("torch.", "pyad.")
    return None


ERRORS = {
    "pad_odd": lambda m, F: F.pad(m.zeros(2, 3), [1, 2, 3]),
    "pad_too_long": lambda m, F: F.pad(m.zeros(2, 3), [1] * 6),
    "pad_negative_size": lambda m, F: F.pad(m.zeros(2, 3), [-2, -2]),
    "one_hot_float": lambda m, F: F.one_hot(m.tensor([1.0])),
    "one_hot_list": lambda m, F: F.one_hot([1, 2]),
    "one_hot_negative": lambda m, F: F.one_hot(m.tensor([-1])),
    "one_hot_too_big": lambda m, F: F.one_hot(m.tensor([3]), 2),
    "one_hot_empty": lambda m, F: F.one_hot(m.tensor([], dtype=m.int64)),
    "embedding_float_index": lambda m, F: F.embedding(m.tensor([1.0]), m.zeros(3, 2)),
    "embedding_out_of_range": lambda m, F: F.embedding(m.tensor([5]), m.zeros(3, 2)),
    "batch_norm_one_value": lambda m, F: F.batch_norm(m.zeros(1, 3), m.zeros(3), m.ones(3),
                                                      training=True),
    "layer_norm_shape": lambda m, F: F.layer_norm(m.zeros(2, 3), (4,)),
    "rms_norm_dims": lambda m, F: F.rms_norm(m.zeros(2, 3), (2, 3, 4)),
    "rms_norm_shape": lambda m, F: F.rms_norm(m.zeros(2, 3, 4), (2, 5)),
    "layer_norm_empty": lambda m, F: F.layer_norm(m.zeros(2, 3), ()),
    "layer_norm_dims": lambda m, F: F.layer_norm(m.zeros(3), (2, 3)),
    "group_norm_groups": lambda m, F: F.group_norm(m.zeros(2, 4), 3),
    "glu_odd": lambda m, F: F.glu(m.zeros(2, 3)),
    "linear_dtypes": lambda m, F: F.linear(m.zeros(2, 3, dtype=m.float64), m.zeros(2, 3)),
    "linear_dtypes_bias": lambda m, F: F.linear(m.zeros(2, 3, dtype=m.float64), m.zeros(2, 3),
                                                m.zeros(2)),
    "linear_bias_dtype": lambda m, F: F.linear(m.zeros(2, 3), m.zeros(2, 3),
                                               m.zeros(2, dtype=m.float64)),
    "bilinear_input1": lambda m, F: F.bilinear(m.zeros(5, 3), m.zeros(5, 2), m.zeros(4, 2, 3)),
    "bilinear_input2": lambda m, F: F.bilinear(m.zeros(5, 2), m.zeros(5, 2), m.zeros(4, 2, 3)),
    "bilinear_batch": lambda m, F: F.bilinear(m.zeros(5, 2), m.zeros(4, 3), m.zeros(4, 2, 3)),
    "bilinear_dims": lambda m, F: F.bilinear(m.zeros(1, 5, 2), m.zeros(5, 3), m.zeros(4, 2, 3)),
    "bilinear_bias": lambda m, F: F.bilinear(m.zeros(5, 2), m.zeros(5, 3), m.zeros(4, 2, 3),
                                             m.zeros(3)),
    "batch_norm_running_mean": lambda m, F: F.batch_norm(m.zeros(4, 2), m.zeros(3), m.ones(3),
                                                         training=True),
    "batch_norm_running_var": lambda m, F: F.batch_norm(m.zeros(4, 2), m.zeros(2), m.ones(3)),
    "batch_norm_weight": lambda m, F: F.batch_norm(m.zeros(4, 2), None, None, m.ones(3),
                                                   training=True),
    "batch_norm_bias": lambda m, F: F.batch_norm(m.zeros(4, 2), m.zeros(2), m.ones(2), None,
                                                 m.ones(3)),
    "layer_norm_weight": lambda m, F: F.layer_norm(m.zeros(2, 3), (3,), m.ones(2)),
    "layer_norm_bias": lambda m, F: F.layer_norm(m.zeros(2, 3), (3,), None, m.ones(2)),
    "hardtanh_order": lambda m, F: F.hardtanh(m.zeros(2), 1.0, 0.0),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_torch(name):
    expected = _message(ERRORS[name], torch, TF)
    assert expected is not None
    assert _message(ERRORS[name], pyad, PF) == expected
