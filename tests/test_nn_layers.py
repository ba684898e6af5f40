"""Every pyad.nn layer, activation and loss module against torch.nn in float64: torch's
parameters are loaded into pyad's module through load_state_dict (so the state_dict keys and
shapes must agree), then the forward values, the gradients of the input(s) and of every
parameter, the state_dict after the forward (running statistics) and the repr are compared."""
import numpy as np
import pytest

import pyad
import pyad.nn as pnn

torch = pytest.importorskip("torch")
import torch.nn as tnn  # noqa: E402

RNG = np.random.default_rng(2024)


def normal(*shape):
    return RNG.normal(size=shape)


def probs(*shape):
    return RNG.uniform(0.05, 0.95, size=shape)


def labels(n, c):
    return RNG.integers(0, c, size=n)


# name -> (constructor taking (m, nn), inputs as numpy arrays (ints are not differentiated))
CASES = {
    "Linear": (lambda m, nn: nn.Linear(5, 3), [normal(4, 5)]),
    "Linear_nobias_3d": (lambda m, nn: nn.Linear(5, 2, bias=False), [normal(2, 3, 5)]),
    "Linear_1d": (lambda m, nn: nn.Linear(5, 2), [normal(5)]),
    "Linear_1d_nobias": (lambda m, nn: nn.Linear(5, 2, bias=False), [normal(5)]),
    "Linear_4d": (lambda m, nn: nn.Linear(5, 2), [normal(2, 2, 3, 5)]),
    "Bilinear": (lambda m, nn: nn.Bilinear(3, 4, 2), [normal(5, 3), normal(5, 4)]),
    "Bilinear_nobias": (lambda m, nn: nn.Bilinear(3, 3, 2, bias=False),
                        [normal(2, 5, 3), normal(2, 5, 3)]),
    "Identity": (lambda m, nn: nn.Identity(54, unused="x"), [normal(3, 2)]),
    "Flatten": (lambda m, nn: nn.Flatten(), [normal(2, 3, 4)]),
    "Flatten_range": (lambda m, nn: nn.Flatten(0, 1), [normal(2, 3, 4)]),
    "Unflatten": (lambda m, nn: nn.Unflatten(1, (2, 3)), [normal(4, 6)]),
    "Dropout_eval": (lambda m, nn: nn.Dropout(0.3).eval(), [normal(4, 6)]),
    "Dropout_p0": (lambda m, nn: nn.Dropout(0.0), [normal(4, 6)]),
    "Embedding": (lambda m, nn: nn.Embedding(7, 3), [labels(5, 7).reshape(5)]),
    "Embedding_padding": (lambda m, nn: nn.Embedding(7, 3, padding_idx=2),
                          [np.array([[2, 0, 1], [2, 6, 2]])]),
    "LayerNorm": (lambda m, nn: nn.LayerNorm(6), [normal(4, 6)]),
    "LayerNorm_2d_nobias": (lambda m, nn: nn.LayerNorm((3, 4), eps=1e-3, bias=False),
                            [normal(2, 3, 4)]),
    "LayerNorm_noaffine": (lambda m, nn: nn.LayerNorm([4], elementwise_affine=False),
                           [normal(3, 4)]),
    "BatchNorm1d": (lambda m, nn: nn.BatchNorm1d(4), [normal(6, 4)]),
    "BatchNorm1d_3d": (lambda m, nn: nn.BatchNorm1d(3, momentum=0.3), [normal(4, 3, 5)]),
    "BatchNorm1d_eval": (lambda m, nn: _warm(m, nn.BatchNorm1d(4)).eval(), [normal(6, 4)]),
    "BatchNorm1d_cumulative": (lambda m, nn: _warm(m, nn.BatchNorm1d(4, momentum=None)),
                               [normal(6, 4)]),
    "BatchNorm1d_noaffine": (lambda m, nn: nn.BatchNorm1d(4, affine=False), [normal(6, 4)]),
    "BatchNorm1d_nostats": (lambda m, nn: nn.BatchNorm1d(4, track_running_stats=False).eval(),
                            [normal(6, 4)]),
    "GroupNorm": (lambda m, nn: nn.GroupNorm(2, 4), [normal(3, 4, 5)]),
    "GroupNorm_2d_noaffine": (lambda m, nn: nn.GroupNorm(3, 3, eps=1e-3, affine=False),
                              [normal(2, 3)]),
    "GroupNorm_nobias": (lambda m, nn: nn.GroupNorm(1, 2, bias=False), [normal(2, 2, 2, 3)]),
    "RMSNorm": (lambda m, nn: nn.RMSNorm(5), [normal(3, 5)]),
    "RMSNorm_eps_2d": (lambda m, nn: nn.RMSNorm((2, 5), eps=1e-3), [normal(3, 2, 5)]),
    "RMSNorm_noaffine": (lambda m, nn: nn.RMSNorm([5], elementwise_affine=False),
                         [normal(3, 5) * 1e-5]),
    "BatchNorm2d": (lambda m, nn: nn.BatchNorm2d(3, eps=1e-3), [normal(2, 3, 4, 2)]),
    "BatchNorm2d_eval": (lambda m, nn: nn.BatchNorm2d(3).eval(), [normal(2, 3, 4, 2)]),
    "BatchNorm3d": (lambda m, nn: nn.BatchNorm3d(2, momentum=0.5), [normal(2, 2, 3, 2, 2)]),
    "PairwiseDistance": (lambda m, nn: nn.PairwiseDistance(p=3.0, keepdim=True),
                         [normal(4, 5), normal(4, 5)]),
    "CosineSimilarity": (lambda m, nn: nn.CosineSimilarity(dim=0), [normal(4, 5), normal(4, 5)]),
    "Sequential": (lambda m, nn: nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8),
                                               nn.SiLU(), nn.LayerNorm(8), nn.Linear(8, 1)),
                   [normal(10, 3)]),
    "ModuleList_model": (lambda m, nn: _ListModel(nn), [normal(4, 3)]),
    # activations
    "ReLU": (lambda m, nn: nn.ReLU(), [normal(4, 5)]),
    "ReLU6": (lambda m, nn: nn.ReLU6(), [normal(4, 5) * 5]),
    "LeakyReLU": (lambda m, nn: nn.LeakyReLU(0.2), [normal(4, 5)]),
    "ELU": (lambda m, nn: nn.ELU(alpha=0.5), [normal(4, 5)]),
    "SELU": (lambda m, nn: nn.SELU(), [normal(4, 5)]),
    "GELU": (lambda m, nn: nn.GELU(), [normal(4, 5)]),
    "GELU_tanh": (lambda m, nn: nn.GELU(approximate="tanh"), [normal(4, 5)]),
    "SiLU": (lambda m, nn: nn.SiLU(), [normal(4, 5)]),
    "Mish": (lambda m, nn: nn.Mish(), [normal(4, 5)]),
    "Softplus": (lambda m, nn: nn.Softplus(beta=2, threshold=3), [normal(4, 5)]),
    "Sigmoid": (lambda m, nn: nn.Sigmoid(), [normal(4, 5)]),
    "Tanh": (lambda m, nn: nn.Tanh(), [normal(4, 5)]),
    "Softmax": (lambda m, nn: nn.Softmax(dim=1), [normal(4, 5)]),
    "LogSoftmax": (lambda m, nn: nn.LogSoftmax(dim=-1), [normal(4, 5)]),
    "Softmin": (lambda m, nn: nn.Softmin(dim=0), [normal(4, 5)]),
    "Hardtanh": (lambda m, nn: nn.Hardtanh(-0.5, 0.5), [normal(4, 5)]),
    "Hardswish": (lambda m, nn: nn.Hardswish(), [normal(4, 5) * 3]),
    "Softsign": (lambda m, nn: nn.Softsign(), [normal(4, 5)]),
    "Tanhshrink": (lambda m, nn: nn.Tanhshrink(), [normal(4, 5)]),
    "LogSigmoid": (lambda m, nn: nn.LogSigmoid(), [normal(4, 5)]),
    "Threshold": (lambda m, nn: nn.Threshold(0.1, 20.0), [normal(4, 5)]),
    "GLU": (lambda m, nn: nn.GLU(), [normal(4, 6)]),
    "PReLU": (lambda m, nn: nn.PReLU(), [normal(4, 5)]),
    "PReLU_channels": (lambda m, nn: nn.PReLU(3, init=0.1), [normal(2, 3, 4)]),
    "Hardshrink": (lambda m, nn: nn.Hardshrink(0.3), [normal(4, 5)]),
    "Softshrink": (lambda m, nn: nn.Softshrink(), [normal(4, 5)]),
    # losses
    "MSELoss": (lambda m, nn: nn.MSELoss(), [normal(4, 5), normal(4, 5)]),
    "MSELoss_sum": (lambda m, nn: nn.MSELoss(reduction="sum"), [normal(4, 5), normal(4, 5)]),
    "MSELoss_none": (lambda m, nn: nn.MSELoss(reduction="none"), [normal(4, 5), normal(4, 5)]),
    "L1Loss": (lambda m, nn: nn.L1Loss(), [normal(4, 5), normal(4, 5)]),
    "L1Loss_none": (lambda m, nn: nn.L1Loss(reduction="none"), [normal(4, 5), normal(4, 5)]),
    "HuberLoss": (lambda m, nn: nn.HuberLoss(delta=0.5), [normal(4, 5), normal(4, 5)]),
    "HuberLoss_sum": (lambda m, nn: nn.HuberLoss(reduction="sum"), [normal(4, 5), normal(4, 5)]),
    "SmoothL1Loss": (lambda m, nn: nn.SmoothL1Loss(beta=0.3), [normal(4, 5), normal(4, 5)]),
    "KLDivLoss": (lambda m, nn: nn.KLDivLoss(reduction="batchmean"),
                  [np.log(probs(4, 5)), probs(4, 5)]),
    "BCELoss": (lambda m, nn: nn.BCELoss(), [probs(4, 5), probs(4, 5)]),
    "BCELoss_weight": (lambda m, nn: nn.BCELoss(weight=m.tensor(probs(5), dtype=m.float64),
                                                reduction="sum"), [probs(4, 5), probs(4, 5)]),
    "BCEWithLogitsLoss": (lambda m, nn: nn.BCEWithLogitsLoss(), [normal(4, 5), probs(4, 5)]),
    "BCEWithLogitsLoss_pos_weight": (lambda m, nn: nn.BCEWithLogitsLoss(
        pos_weight=m.tensor(probs(5) * 3, dtype=m.float64)), [normal(4, 5), probs(4, 5)]),
    "CrossEntropyLoss": (lambda m, nn: nn.CrossEntropyLoss(), [normal(6, 4), labels(6, 4)]),
    "CrossEntropyLoss_options": (lambda m, nn: nn.CrossEntropyLoss(
        weight=m.tensor(probs(4), dtype=m.float64), ignore_index=1, label_smoothing=0.1),
        [normal(6, 4), labels(6, 4)]),
    "CrossEntropyLoss_probs": (lambda m, nn: nn.CrossEntropyLoss(reduction="sum"),
                               [normal(6, 4), probs(6, 4)]),
    "CrossEntropyLoss_probs_3d": (lambda m, nn: nn.CrossEntropyLoss(label_smoothing=0.2),
                                  [normal(2, 4, 3), probs(2, 4, 3)]),
    "CrossEntropyLoss_probs_none": (lambda m, nn: nn.CrossEntropyLoss(reduction="none"),
                                    [normal(6, 4), probs(6, 4)]),
    "SoftMarginLoss": (lambda m, nn: nn.SoftMarginLoss(), [normal(4, 5), np.sign(normal(4, 5))]),
    "SoftMarginLoss_none": (lambda m, nn: nn.SoftMarginLoss(reduction="none"),
                            [normal(4, 5), np.sign(normal(4, 5))]),
    "MarginRankingLoss": (lambda m, nn: nn.MarginRankingLoss(margin=0.3),
                          [normal(6), normal(6), np.sign(normal(6))]),
    "MarginRankingLoss_none": (lambda m, nn: nn.MarginRankingLoss(reduction="none"),
                               [normal(6), normal(6), np.sign(normal(6))]),
    "HingeEmbeddingLoss": (lambda m, nn: nn.HingeEmbeddingLoss(margin=0.5),
                           [normal(4, 5), np.sign(normal(4, 5))]),
    "HingeEmbeddingLoss_none": (lambda m, nn: nn.HingeEmbeddingLoss(reduction="none"),
                                [normal(4, 5), np.sign(normal(4, 5))]),
    "PoissonNLLLoss": (lambda m, nn: nn.PoissonNLLLoss(), [normal(4, 5), probs(4, 5) * 4]),
    "PoissonNLLLoss_full_none": (lambda m, nn: nn.PoissonNLLLoss(log_input=False, full=True,
                                                                 reduction="none"),
                                 [probs(4, 5) + 0.5, probs(4, 5) * 4]),
    "GaussianNLLLoss": (lambda m, nn: nn.GaussianNLLLoss(),
                        [normal(4, 5), normal(4, 5), probs(4, 5)]),
    "GaussianNLLLoss_full_sum": (lambda m, nn: nn.GaussianNLLLoss(full=True, eps=0.2,
                                                                  reduction="sum"),
                                 [normal(4, 5), normal(4, 5), probs(4, 5)]),
    "GaussianNLLLoss_shared_var": (lambda m, nn: nn.GaussianNLLLoss(reduction="none"),
                                   [normal(4, 5), normal(4, 5), probs(4)]),
    "CosineEmbeddingLoss": (lambda m, nn: nn.CosineEmbeddingLoss(margin=0.2),
                            [normal(6, 5), normal(6, 5), np.sign(normal(6))]),
    "CosineEmbeddingLoss_1d_none": (lambda m, nn: nn.CosineEmbeddingLoss(reduction="none"),
                                    [normal(5), normal(5), np.array(-1.0)]),
    "TripletMarginLoss": (lambda m, nn: nn.TripletMarginLoss(margin=2.0),
                          [normal(4, 5), normal(4, 5), normal(4, 5)]),
    "TripletMarginLoss_swap_none": (lambda m, nn: nn.TripletMarginLoss(p=1.0, swap=True,
                                                                       reduction="none"),
                                    [normal(4, 5), normal(4, 5), normal(4, 5)]),
    "NLLLoss": (lambda m, nn: nn.NLLLoss(), [np.log(probs(6, 4)), labels(6, 4)]),
    "NLLLoss_none": (lambda m, nn: nn.NLLLoss(weight=m.tensor(probs(4), dtype=m.float64),
                                              reduction="none"),
                     [np.log(probs(6, 4)), labels(6, 4)]),
}


def _warm(m, bn):
    """Run two training batches through a BatchNorm so its running statistics move."""
    x = m.tensor(np.linspace(-2, 3, 24).reshape(6, 4) ** 2, dtype=m.float64)
    bn.double()
    bn(x)
    bn(x * 0.5 + 1)
    return bn


def _ListModel(nn):
    class ListModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 5), nn.Linear(5, 5), nn.Linear(5, 2)])
            self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 1)})
            self.gain = nn.Parameter(nn.Linear(1, 2).weight.detach().reshape(2).clone())

        def forward(self, x):
            for layer in self.layers:
                x = nn.functional.gelu(layer(x))
            x = x * self.gain
            return self.heads["a"](x) - self.heads["b"](x)
    return ListModel()


def _make(name, m, nn):
    m.manual_seed(0)
    module = CASES[name][0](m, nn)
    return module.double()


# torch's outermost node for these is not one pyad's composition ends with
GRAD_FN_NAMED_OTHERWISE = set()

# cases whose last input (the target) torch refuses to differentiate
CONSTANT_TARGET = {"SoftMarginLoss", "SoftMarginLoss_none"}


def _inputs(m, arrays, constant_last=False):
    return [m.tensor(a, dtype=m.float64,
                     requires_grad=not (constant_last and i == len(arrays) - 1))
            if a.dtype.kind == "f" else m.tensor(a) for i, a in enumerate(arrays)]


def _run(module, m, arrays, constant_last=False):
    inputs = _inputs(m, arrays, constant_last)
    out = module(*inputs)
    weights = m.tensor(np.sin(np.arange(1, out.numel() + 1)).reshape(tuple(out.shape)),
                       dtype=m.float64)
    (out * weights).sum().backward()
    return out, inputs


@pytest.mark.parametrize("name", sorted(CASES))
def test_module_against_torch(name):
    arrays = CASES[name][1]
    mt = _make(name, torch, tnn)
    mp = _make(name, pyad, pnn)
    assert repr(mp) == repr(mt).replace("torch.", "pyad.")
    sd_t = mt.state_dict()
    assert list(mp.state_dict()) == list(sd_t)
    mp.load_state_dict({k: pyad.tensor(v.numpy()) for k, v in sd_t.items()})
    assert mp.training == mt.training

    out_t, inputs_t = _run(mt, torch, arrays, name in CONSTANT_TARGET)
    out_p, inputs_p = _run(mp, pyad, arrays, name in CONSTANT_TARGET)
    assert tuple(out_p.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(out_p.detach().numpy(), out_t.detach().numpy(),
                               rtol=1e-12, atol=1e-13)
    assert (out_p.grad_fn is None) == (out_t.grad_fn is None)
    if out_t.grad_fn is not None and name not in GRAD_FN_NAMED_OTHERWISE:
        assert out_p.grad_fn.name() == out_t.grad_fn.name()
    for xp, xt in zip(inputs_p, inputs_t):
        if xt.grad is not None:
            np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=1e-10,
                                       atol=1e-13)
    params_t = dict(mt.named_parameters())
    params_p = dict(mp.named_parameters())
    assert list(params_p) == list(params_t)
    for k, pt in params_t.items():
        pp = params_p[k]
        assert type(pp) is pnn.Parameter and pp.requires_grad == pt.requires_grad
        assert (pp.grad is None) == (pt.grad is None), k
        if pt.grad is not None:
            np.testing.assert_allclose(pp.grad.numpy(), pt.grad.numpy(), rtol=1e-10,
                                       atol=1e-13, err_msg=k)
    for (k, vp), (_, vt) in zip(mp.state_dict().items(), mt.state_dict().items()):
        assert vp.dtype.is_floating_point == vt.dtype.is_floating_point, k
        np.testing.assert_allclose(vp.numpy(), vt.numpy(), rtol=1e-12, atol=1e-14, err_msg=k)


@pytest.mark.parametrize("cls, args", [
    ("Linear", (30, 20)), ("Bilinear", (20, 10, 30)), ("Embedding", (40, 50)),
])
def test_default_initialisation_follows_torch(cls, args):
    """Same distributions as torch's defaults: the bounds (uniform) or the std (normal)."""
    pyad.manual_seed(0)
    torch.manual_seed(0)
    mp, mt = getattr(pnn, cls)(*args), getattr(tnn, cls)(*args)
    for (k, vp), (_, vt) in zip(mp.named_parameters(), mt.named_parameters()):
        a, b = vp.detach().numpy(), vt.detach().numpy()
        assert a.shape == b.shape and a.dtype == b.dtype
        if cls == "Embedding":
            assert abs(a.std() - 1) < 0.05 and abs(b.std() - 1) < 0.05
        else:
            bound = (1 / np.sqrt(args[0]))
            assert np.abs(a).max() <= bound and np.abs(b).max() <= bound, k
            if k == "weight":   # 600 samples: the extremes near the bounds, std bound / sqrt(3)
                assert np.abs(a).max() > 0.95 * bound and np.abs(b).max() > 0.95 * bound
                assert abs(a.std() / (bound / np.sqrt(3)) - 1) < 0.1


def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient():
    emb = pnn.Embedding(5, 3, padding_idx=-1)
    assert emb.padding_idx == 4
    assert emb.weight[4].tolist() == [0.0, 0.0, 0.0]
    emb(pyad.tensor([4, 1, 4])).sum().backward()
    assert emb.weight.grad[4].tolist() == [0.0, 0.0, 0.0]
    assert emb.weight.grad[1].tolist() == [1.0, 1.0, 1.0]
    pre = pnn.Embedding.from_pretrained(pyad.ones(2, 3))
    assert not pre.weight.requires_grad and repr(pre) == "Embedding(2, 3)"


def test_batchnorm_counts_batches_and_resets():
    bn = pnn.BatchNorm1d(2)
    for _ in range(3):
        bn(pyad.randn(5, 2))
    assert bn.num_batches_tracked.item() == 3
    bn.eval()
    bn(pyad.randn(5, 2))
    assert bn.num_batches_tracked.item() == 3
    bn.reset_running_stats()
    assert bn.running_mean.tolist() == [0.0, 0.0] and bn.running_var.tolist() == [1.0, 1.0]
    assert bn.num_batches_tracked.item() == 0


def test_batchnorm_loads_a_checkpoint_without_num_batches_tracked():
    """Checkpoints of version 1 (before num_batches_tracked) load, as in torch."""
    for _m, nn in ((pyad, pnn), (torch, tnn)):
        bn = nn.BatchNorm1d(2)
        sd = bn.state_dict()
        del sd["num_batches_tracked"]
        sd._metadata[""]["version"] = 1
        assert bn.load_state_dict(sd).missing_keys == []
        sd._metadata[""]["version"] = 2
        assert "num_batches_tracked" in str(_raised(lambda: bn.load_state_dict(sd)))


def _raised(fn):
    try:
        fn()
    except RuntimeError as e:
        return e
    return None


def test_batchnorm_input_dims_as_torch():
    for cls, bad in (("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm2d", (2, 3)),
                     ("BatchNorm3d", (2, 3, 4, 5))):
        with pytest.raises(ValueError) as got:
            getattr(pnn, cls)(3)(pyad.zeros(bad))
        with pytest.raises(ValueError) as want:
            getattr(tnn, cls)(3)(torch.zeros(bad))
        assert str(got.value) == str(want.value)


def test_loss_legacy_reduction_flags_as_torch():
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning):
            got = pnn.MSELoss(size_average=size_average, reduce=reduce).reduction
        with pytest.warns(UserWarning):
            want = tnn.MSELoss(size_average=size_average, reduce=reduce).reduction
        assert got == want


def test_every_functional_activation_and_loss_has_a_module():
    """Each activation and loss of pyad.nn.functional has its module class, as in torch."""
    import pyad.nn.functional as F
    module_for = {
        "relu": "ReLU", "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU",
        "softplus": "Softplus", "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax",
        "log_softmax": "LogSoftmax", "hardtanh": "Hardtanh", "relu6": "ReLU6", "selu": "SELU",
        "celu": "CELU", "mish": "Mish", "softsign": "Softsign", "logsigmoid": "LogSigmoid",
        "hardsigmoid": "Hardsigmoid", "hardswish": "Hardswish", "tanhshrink": "Tanhshrink",
        "softmin": "Softmin", "threshold": "Threshold", "glu": "GLU", "prelu": "PReLU",
        "hardshrink": "Hardshrink", "softshrink": "Softshrink", "mse_loss": "MSELoss",
        "l1_loss": "L1Loss", "huber_loss": "HuberLoss", "smooth_l1_loss": "SmoothL1Loss",
        "binary_cross_entropy": "BCELoss",
        "binary_cross_entropy_with_logits": "BCEWithLogitsLoss",
        "cross_entropy": "CrossEntropyLoss", "nll_loss": "NLLLoss", "kl_div": "KLDivLoss",
        "soft_margin_loss": "SoftMarginLoss", "margin_ranking_loss": "MarginRankingLoss",
        "hinge_embedding_loss": "HingeEmbeddingLoss", "poisson_nll_loss": "PoissonNLLLoss",
        "gaussian_nll_loss": "GaussianNLLLoss", "cosine_embedding_loss": "CosineEmbeddingLoss",
        "triplet_margin_loss": "TripletMarginLoss",
        "linear": "Linear", "bilinear": "Bilinear", "dropout": "Dropout",
        "layer_norm": "LayerNorm", "batch_norm": "BatchNorm1d", "group_norm": "GroupNorm",
        "rms_norm": "RMSNorm", "embedding": "Embedding",
    }
    module_for.update(cosine_similarity="CosineSimilarity", pairwise_distance="PairwiseDistance")
    without_module = {"normalize", "one_hot", "pad"}
    assert set(F.__all__) == set(module_for) | without_module
    for cls in module_for.values():
        assert hasattr(pnn, cls) and hasattr(tnn, cls), cls


@pytest.mark.parametrize("act", ["Tanh", "SiLU", "GELU", "Softplus"])
def test_pinn_style_third_order_gradients_match_torch(act):
    """u'' of an MLP by two nested grad(create_graph=True) calls, then the loss's gradient
    with respect to the parameters: a third-order graph through Linear and the activation."""
    results = []
    for m, nn in ((torch, tnn), (pyad, pnn)):
        m.manual_seed(0)
        model = nn.Sequential(nn.Linear(1, 6), getattr(nn, act)(), nn.Linear(6, 6),
                              getattr(nn, act)(), nn.Linear(6, 1)).double()
        if m is pyad:
            model.load_state_dict({k: pyad.tensor(v) for k, v in results[0][0].items()})
        x = m.tensor(np.linspace(0, 1, 7).reshape(-1, 1), requires_grad=True)
        u = model(x)
        du = m.autograd.grad(u, x, m.ones_like(u), create_graph=True)[0]
        d2u = m.autograd.grad(du, x, m.ones_like(du), create_graph=True)[0]
        loss = ((d2u + m.sin(x)) ** 2).mean() + (u[0] ** 2).sum()
        loss.backward()
        results.append(({k: v.detach().numpy().copy() for k, v in model.state_dict().items()},
                        loss.item(),
                        {k: p.grad.numpy().copy() for k, p in model.named_parameters()}))
    (_, loss_t, grads_t), (_, loss_p, grads_p) = results
    assert loss_p == pytest.approx(loss_t, rel=1e-12)
    assert list(grads_p) == list(grads_t)
    for k in grads_t:
        np.testing.assert_allclose(grads_p[k], grads_t[k], rtol=1e-9, atol=1e-12, err_msg=k)
