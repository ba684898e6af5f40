"""Random numbers: shapes, dtypes, ranges, statistics, generators and argument errors against
torch (the streams are numpy's PCG64, so values are compared by their distribution)."""
import math

import numpy as np
import pytest

import pyad

torch = pytest.importorskip("torch")


def outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001  (the exception is the compared outcome)
        return ("raise", type(e).__name__, str(e))
    if hasattr(r, "dtype") and hasattr(r, "shape"):
        return ("tensor", str(r.dtype).split(".")[-1], tuple(r.shape))
    return ("value", r)


def same(fn):
    assert outcome(lambda: fn(pyad)) == outcome(lambda: fn(torch))


@pytest.mark.parametrize("call", [
    lambda m: m.randint(5, (2, 3)), lambda m: m.randint(2, 5, (4,)),
    lambda m: m.randint(5, size=(2,)), lambda m: m.randint(low=1, high=5, size=(2,)),
    lambda m: m.randint(5, (2,), dtype=m.float32), lambda m: m.randint(5, (2,), dtype=m.float64),
    lambda m: m.randint(5, 2, (2,)), lambda m: m.randint(0, (2,)), lambda m: m.randint(3.5, (2,)),
    lambda m: m.randperm(5), lambda m: m.randperm(0), lambda m: m.randperm(-1),
    lambda m: m.randperm(4, dtype=m.float64),
    lambda m: m.normal(0.0, 1.0, (2, 3)), lambda m: m.normal(m.zeros(3), 1.0),
    lambda m: m.normal(m.zeros(3), m.ones(3)), lambda m: m.normal(0.0, m.ones(3)),
    lambda m: m.normal(m.zeros(2, 1), m.ones(3)), lambda m: m.normal(0, 1, (2,)),
    lambda m: m.normal(0.0, -1.0, (2,)), lambda m: m.normal(m.zeros(3), -1.0),
    lambda m: m.normal(m.zeros(3, dtype=m.float64), 2.0),
    lambda m: m.bernoulli(m.full((3,), 0.5)), lambda m: m.bernoulli(m.full((3,), 0.5), 0.3),
    lambda m: m.bernoulli(m.full((3,), 1.5)), lambda m: m.bernoulli(m.ones(3, dtype=m.int64)),
    lambda m: m.bernoulli(m.full((2,), 0.5, dtype=m.float64)),
    lambda m: m.multinomial(m.tensor([0.2, 0.8]), 3),
    lambda m: m.multinomial(m.tensor([0.2, 0.8]), 3, True),
    lambda m: m.multinomial(m.tensor([[0.2, 0.8], [1.0, 0.0]]), 2),
    lambda m: m.multinomial(m.tensor([-0.2, 0.8]), 1),
    lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1),
    lambda m: m.multinomial(m.ones(2, 2, 2), 1), lambda m: m.multinomial(m.tensor([1.0, 1.0]), 0),
    lambda m: m.ones(3).uniform_(2, 1), lambda m: m.ones(3).normal_(0, -1),
    lambda m: m.ones(3).bernoulli_(1.5), lambda m: m.ones(3).exponential_(-1),
    lambda m: m.ones(3).exponential_(0), lambda m: m.ones(2, dtype=m.int64).random_(0),
    lambda m: m.ones(3).random_(5, 3), lambda m: m.ones(3, dtype=m.int64).uniform_(),
    lambda m: m.ones(3, dtype=m.int64).normal_(),
    lambda m: m.ones(2, requires_grad=True).uniform_(),
    lambda m: m.ones(2, requires_grad=True).normal_(),
    lambda m: m.randint_like(m.ones(3), 5), lambda m: m.randint_like(m.ones(3), 2, 5),
    lambda m: m.rand(2, 3, generator=m.Generator()), lambda m: m.randn(4, dtype=m.float64),
    lambda m: m.rand_like(m.ones(2, dtype=m.float64)),
    lambda m: m.Generator().manual_seed(3).initial_seed(),
    lambda m: m.manual_seed(7).initial_seed(), lambda m: m.Generator(device="cuda"),
])
def test_forms_dtypes_and_errors_match_torch(call):
    same(call)


def test_ranges_and_statistics():
    pyad.manual_seed(0)
    n = 200_000
    u = pyad.empty(n, dtype=pyad.float64).uniform_(-2, 3).numpy()
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.02
    z = pyad.empty(n, dtype=pyad.float64).normal_(1.5, 2.0).numpy()
    assert abs(z.mean() - 1.5) < 0.03 and abs(z.std() - 2.0) < 0.03
    e = pyad.empty(n).exponential_(4.0).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.01
    b = pyad.empty(n).bernoulli_(0.3).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.01
    r = pyad.empty(n, dtype=pyad.int64).random_(3, 7).numpy()
    assert set(np.unique(r)) == {3, 4, 5, 6}
    r = pyad.zeros(1000).random_(10).numpy()
    assert set(np.unique(r)) == set(range(10))
    ri = pyad.randint(-3, 3, (n,)).numpy()
    assert ri.min() == -3 and ri.max() == 2 and abs(ri.mean() + 0.5) < 0.02
    p = pyad.randperm(50).numpy()
    assert sorted(p.tolist()) == list(range(50))
    probs = pyad.tensor([0.1, 0.0, 0.6, 0.3])
    m = pyad.multinomial(probs, n, replacement=True).numpy()
    assert abs((m == 2).mean() - 0.6) < 0.01 and (m == 1).sum() == 0
    picks = pyad.multinomial(probs, 3).numpy()
    assert len(set(picks.tolist())) == 3 and 1 not in picks.tolist()
    nb = pyad.normal(pyad.tensor([0.0, 10.0]), pyad.tensor([1.0, 0.1]))
    assert nb.shape == (2,)
    draws = pyad.bernoulli(pyad.full((n,), 0.25)).numpy()
    assert abs(draws.mean() - 0.25) < 0.01


def test_generators_reproduce_and_are_independent():
    g1, g2 = pyad.Generator().manual_seed(5), pyad.Generator().manual_seed(5)
    a = pyad.rand(5, generator=g1)
    b = pyad.rand(5, generator=g2)
    assert a.tolist() == b.tolist()
    state = g1.get_state()
    first = pyad.randn(3, generator=g1).tolist()
    g1.set_state(state)
    assert pyad.randn(3, generator=g1).tolist() == first
    pyad.manual_seed(11)
    x = pyad.empty(4).normal_().tolist()
    pyad.manual_seed(11)
    assert pyad.empty(4).normal_().tolist() == x
    pyad.manual_seed(11)
    assert pyad.empty(4).normal_(generator=pyad.Generator().manual_seed(12)).tolist() != x
    assert pyad.initial_seed() == 11
    s = pyad.seed()
    assert pyad.initial_seed() == s
    st = pyad.get_rng_state()
    v = pyad.rand(3).tolist()
    pyad.set_rng_state(st)
    assert pyad.rand(3).tolist() == v
    assert pyad.Generator().device == pyad.device("cpu")


def test_fills_under_no_grad_keep_the_leaf():
    w = pyad.empty(3, 4, requires_grad=True)
    with pyad.no_grad():
        w.uniform_(-1, 1)
        w.normal_()
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    v = w._version
    with pyad.no_grad():
        w.exponential_()
    assert w._version > v


def test_random_float_default_range_is_exact_integers():
    x = pyad.empty(1000).random_().numpy()
    assert (x == np.round(x)).all() and x.min() >= 0 and x.max() <= 2 ** 24
    x = pyad.empty(10, dtype=pyad.bool).random_()
    assert x.dtype is pyad.bool


def test_manual_seed_accepts_torchs_range():
    for seed in (0, -1, 2 ** 63, 2 ** 64 - 1):
        assert isinstance(pyad.manual_seed(seed), pyad.Generator)
        torch.manual_seed(seed)
    same(lambda m: m.manual_seed(2 ** 64))
    assert math.isfinite(pyad.rand(1).item())
