"""pyad.nn.init against torch.nn.init: fan and gain computations and messages exactly, the
deterministic initialisers exactly, and the random ones by their statistics (large tensors, a
fixed seed, bounds several standard errors wide) next to torch's own samples."""
import math

import numpy as np
import pytest

import pyad
from pyad.nn import init as pinit

torch = pytest.importorskip("torch")
from torch.nn import init as tinit  # noqa: E402

SHAPES = [(7, 3), (3, 7), (4, 5, 3), (6, 2, 3, 3), (2, 3, 1, 2, 5), (1, 1)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_as_torch(shape):
    assert pinit._calculate_fan_in_and_fan_out(pyad.empty(shape)) == \
        tinit._calculate_fan_in_and_fan_out(torch.empty(shape))
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert pinit._calculate_correct_fan(pyad.empty(shape), mode) == \
            tinit._calculate_correct_fan(torch.empty(shape), mode)


def _error(fn):
    try:
        fn()
    except Exception as e:   # type and text compared with torch's
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("call", [
    lambda m, I: I._calculate_fan_in_and_fan_out(m.empty(5)),
    lambda m, I: I._calculate_correct_fan(m.empty(3, 4), "fan_avg"),
    lambda m, I: I.calculate_gain("cosine"),
    lambda m, I: I.calculate_gain("leaky_relu", True),
    lambda m, I: I.calculate_gain("leaky_relu", "0.1"),
    lambda m, I: I.eye_(m.empty(2, 2, 2)),
    lambda m, I: I.orthogonal_(m.empty(4)),
    lambda m, I: I.dirac_(m.empty(3, 3)),
    lambda m, I: I.dirac_(m.empty(3, 3, 3), groups=2),
    lambda m, I: I.xavier_uniform_(m.empty(4)),
    lambda m, I: I.kaiming_normal_(m.empty(3, 4), mode="fan_avg"),
    lambda m, I: I.sparse_(m.empty(3, 4, 5), 0.5),
])
def test_errors_as_torch(call):
    expected = _error(lambda: call(torch, tinit))
    assert expected is not None
    assert _error(lambda: call(pyad, pinit)) == expected


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("conv_transpose3d",), ("sigmoid",),
                                  ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                                  ("leaky_relu", 3), ("leaky_relu", math.sqrt(5)), ("selu",)])
def test_calculate_gain_as_torch(args):
    got, want = pinit.calculate_gain(*args), tinit.calculate_gain(*args)
    assert got == want and type(got) is type(want)


def test_deterministic_fills_as_torch():
    for shape in [(3, 5), (5, 3), (4, 4)]:
        assert pinit.eye_(pyad.empty(shape)).tolist() == tinit.eye_(torch.empty(shape)).tolist()
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 5), 2), ((2, 2, 3, 3, 3), 1)]:
        got = pinit.dirac_(pyad.empty(shape), groups)
        assert got.tolist() == tinit.dirac_(torch.empty(shape), groups).tolist()
    assert pinit.constant_(pyad.empty(2, 3), 0.3).tolist() == \
        tinit.constant_(torch.empty(2, 3), 0.3).tolist()
    assert pinit.ones_(pyad.empty(4)).tolist() == [1.0] * 4
    assert pinit.zeros_(pyad.full((2, 2), 7.0)).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_fills_in_place_under_no_grad_and_keeps_a_leaf():
    w = pyad.empty(30, 20, dtype=pyad.float64, requires_grad=True)
    for fn in (pinit.uniform_, pinit.normal_, pinit.xavier_uniform_, pinit.kaiming_normal_,
               pinit.orthogonal_, pinit.trunc_normal_, pinit.zeros_, pinit.eye_):
        out = fn(w)
        assert out is w and w.is_leaf and w.grad_fn is None and w.requires_grad
        assert w.dtype is pyad.float64
    # and outside no_grad the fill records nothing either
    pinit.kaiming_uniform_(w, a=math.sqrt(5))
    (w * 2).sum().backward()
    assert w.grad.tolist() == [[2.0] * 20] * 30


N_ROWS, N_COLS = 400, 500   # 200 000 samples: sample std within ~0.2% (1 sigma)


def _stats(t):
    a = np.asarray(t.detach().numpy(), dtype=np.float64)
    return a.mean(), a.std(), a.min(), a.max()


# (name, call with (module, init), expected mean, expected std, support or None)
GAIN = math.sqrt(2.0 / (1 + 5))   # leaky_relu with a = sqrt(5)
RANDOM = [
    ("uniform", lambda m, I: I.uniform_(m.empty(N_ROWS, N_COLS), -0.5, 2.0),
     0.75, 2.5 / math.sqrt(12), (-0.5, 2.0)),
    ("normal", lambda m, I: I.normal_(m.empty(N_ROWS, N_COLS), 0.3, 1.7), 0.3, 1.7, None),
    ("xavier_uniform", lambda m, I: I.xavier_uniform_(m.empty(N_ROWS, N_COLS), gain=2.0),
     0.0, 2.0 * math.sqrt(2.0 / (N_ROWS + N_COLS)), None),
    ("xavier_normal", lambda m, I: I.xavier_normal_(m.empty(N_ROWS, N_COLS)),
     0.0, math.sqrt(2.0 / (N_ROWS + N_COLS)), None),
    ("kaiming_uniform_linear", lambda m, I: I.kaiming_uniform_(m.empty(N_ROWS, N_COLS),
                                                               a=math.sqrt(5)),
     0.0, GAIN / math.sqrt(N_COLS), (-1 / math.sqrt(N_COLS), 1 / math.sqrt(N_COLS))),
    ("kaiming_uniform_relu_fan_out", lambda m, I: I.kaiming_uniform_(
        m.empty(N_ROWS, N_COLS), mode="fan_out", nonlinearity="relu"),
     0.0, math.sqrt(2.0 / N_ROWS), None),
    ("kaiming_normal", lambda m, I: I.kaiming_normal_(m.empty(N_ROWS, 50, 10)),
     0.0, math.sqrt(2.0 / (1 + 0.0)) / math.sqrt(500), None),
    ("kaiming_normal_fan_out", lambda m, I: I.kaiming_normal_(
        m.empty(N_ROWS, N_COLS, dtype=m.float64), a=0.1, mode="fan_out"),
     0.0, math.sqrt(2.0 / 1.01) / math.sqrt(N_ROWS), None),
]


@pytest.mark.parametrize("name", [r[0] for r in RANDOM])
def test_random_initialiser_statistics(name):
    _, call, mean, std, support = next(r for r in RANDOM if r[0] == name)
    pyad.manual_seed(1234)
    torch.manual_seed(1234)
    results = []
    for m, I in ((pyad, pinit), (torch, tinit)):
        t = call(m, I)
        got_mean, got_std, lo, hi = _stats(t)
        n = t.numel()
        assert abs(got_mean - mean) < 5 * std / math.sqrt(n), (m.__name__, got_mean)
        assert abs(got_std / std - 1) < 0.01, (m.__name__, got_std, std)
        if support is not None:
            assert support[0] <= lo and hi <= support[1]
            # samples fill the support: the extremes lie within 0.1% of its ends
            width = support[1] - support[0]
            assert lo - support[0] < 1e-3 * width and support[1] - hi < 1e-3 * width
        results.append(got_std)
    assert abs(results[0] / results[1] - 1) < 0.015


@pytest.mark.slow  # large samples
@pytest.mark.parametrize("mean, std, a, b", [(0.5, 2.0, -1.0, 3.0),    # wide: normal proposals
                                              (0.0, 1.0, 2.0, 3.0),     # narrow: P = 0.02
                                              (3.5, 1.0, -1.0, 1.0)])   # far: P = 6e-3
def test_trunc_normal_statistics(mean, std, a, b):
    pyad.manual_seed(7)
    t = pinit.trunc_normal_(pyad.empty(N_ROWS, N_COLS, dtype=pyad.float64), mean, std, a, b)
    values = t.numpy()
    assert values.min() >= a and values.max() <= b
    # moments of the truncated normal, from its closed form
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))         # noqa: E731
    z = cdf(beta) - cdf(alpha)
    want_mean = mean + std * (pdf(alpha) - pdf(beta)) / z
    want_var = std ** 2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z
                           - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    assert abs(values.mean() - want_mean) < 5 * math.sqrt(want_var / values.size)
    assert abs(values.std() / math.sqrt(want_var) - 1) < 0.01
    torch.manual_seed(7)
    tv = tinit.trunc_normal_(torch.empty(N_ROWS, N_COLS, dtype=torch.float64), mean, std, a,
                             b).numpy()
    assert abs(values.std() / tv.std() - 1) < 0.015


def test_trunc_normal_warns_as_torch():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        pinit.trunc_normal_(pyad.empty(10), mean=10.0, std=1.0, a=-2.0, b=2.0)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5), (3, 2, 4)])
def test_orthogonal(shape):
    pyad.manual_seed(3)
    w = pinit.orthogonal_(pyad.empty(shape, dtype=pyad.float64), gain=1.5).numpy()
    flat = w.reshape(shape[0], -1)
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, 2.25 * np.eye(gram.shape[0]), atol=1e-12)


def test_sparse_zeroes_that_fraction_of_each_column():
    pyad.manual_seed(5)
    w = pinit.sparse_(pyad.empty(10, 30), sparsity=0.25, std=0.5).numpy()
    assert ((w == 0).sum(axis=0) == math.ceil(0.25 * 10)).all()


def test_zero_element_tensor_warns_as_torch():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        pinit.kaiming_uniform_(pyad.empty(0, 3))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        pinit.kaiming_normal_(pyad.empty(3, 0))
