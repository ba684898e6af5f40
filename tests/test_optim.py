"""pyad.optim against torch.optim: float64 trajectories bit for bit, state_dict, errors.

Both libraries get the same gradients (computed in numpy from the current parameters), so the
comparison is of the optimizers' arithmetic alone. torch's float64 sqrt on CPU goes through
MKL's vector math, which is not correctly rounded for a few inputs in a hundred; the reference
runs therefore use an IEEE sqrt (numpy's) in torch, the only change made to torch's code path.
"""
import contextlib
import importlib
import warnings

import numpy as np
import pytest

import pyad
import pyad.optim

torch = pytest.importorskip("torch")

A = np.linspace(-1, 1, 12).reshape(4, 3)
Y = np.cos(np.arange(8.0)).reshape(4, 2)


@contextlib.contextmanager
def ieee_sqrt_in_torch():
    original = torch.Tensor.sqrt

    def sqrt(self):
        return torch.from_numpy(np.asarray(np.sqrt(self.detach().numpy()))).to(self.dtype)

    torch.Tensor.sqrt = sqrt
    try:
        yield
    finally:
        torch.Tensor.sqrt = original


def rosenbrock_grad(v):
    return np.array([-2 * (1 - v[0]) - 400 * v[0] * (v[1] - v[0] ** 2),
                     200 * (v[1] - v[0] ** 2)])


def least_squares_grad(W):
    return 2 * ((A @ W.T - Y).T @ A)


def trajectory(lib, name, kwargs, steps=100, groups=False, dtype="float64"):
    dt, npdt = getattr(lib, dtype), getattr(np, dtype)
    x = lib.tensor([-1.2, 1.0], dtype=dt, requires_grad=True)
    W = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], dtype=dt, requires_grad=True)
    b = lib.tensor(np.linspace(-2, 2, 11), dtype=dt, requires_grad=True)
    params = ([{"params": [x, W]}, {"params": [b], "lr": kwargs.get("lr", 1e-3) / 2}]
              if groups else [x, W, b])
    opt = getattr(lib.optim, name)(params, **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        x.grad = lib.tensor(rosenbrock_grad(x.detach().numpy()).astype(npdt))
        W.grad = lib.tensor(least_squares_grad(W.detach().numpy()).astype(npdt))
        b.grad = lib.tensor((np.sin(3 * b.detach().numpy()) + b.detach().numpy()).astype(npdt))
        opt.step()
        out.append(np.concatenate([p.detach().numpy().ravel().copy() for p in (x, W, b)]))
    return np.array(out), opt


CASES = [
    ("SGD", dict(lr=1e-3)),
    ("SGD", dict(lr=1e-3, momentum=0.9)),
    ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=1e-3, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=1e-4, momentum=0.5, nesterov=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=1e-2, amsgrad=True)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1)),
    ("Adam", dict(lr=1e-2, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, amsgrad=True, weight_decay=0.05)),
    ("AdamW", dict(lr=1e-3, maximize=True)),
    ("RMSprop", dict(lr=1e-3)),
    ("RMSprop", dict(lr=1e-3, centered=True)),
    ("RMSprop", dict(lr=1e-3, momentum=0.5)),
    ("RMSprop", dict(lr=1e-3, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=1e-4, alpha=0.9, maximize=True)),
    ("Adagrad", dict(lr=1e-1)),
    ("Adagrad", dict(lr=1e-1, lr_decay=0.01)),
    ("Adagrad", dict(lr=1e-1, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=1e-2, eps=1e-6, maximize=True)),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
@pytest.mark.parametrize("groups", [False, True], ids=["one-group", "two-groups"])
def test_trajectory_is_torchs_bit_for_bit(name, kwargs, groups):
    with ieee_sqrt_in_torch(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # maximize runs may overflow
        expected, _ = trajectory(torch, name, kwargs, groups=groups)
        got, _ = trajectory(pyad, name, kwargs, groups=groups)
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.isfinite(expected[:10]).all()        # the compared steps did real arithmetic


@pytest.mark.parametrize("name,kwargs", CASES[::2], ids=[f"{n}-{k}" for n, k in CASES[::2]])
def test_float32_trajectory_is_torchs_bit_for_bit(name, kwargs):
    with ieee_sqrt_in_torch(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected, _ = trajectory(torch, name, kwargs, dtype="float32")
        got, _ = trajectory(pyad, name, kwargs, dtype="float32")
    assert expected.dtype == np.float32
    assert np.array_equal(got, expected, equal_nan=True)


def lbfgs_trajectory(lib, kwargs, steps=25, start=(-1.2, 1.0)):
    x = lib.tensor(list(start), dtype=lib.float64, requires_grad=True)
    opt = lib.optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        v = x.detach().numpy()
        x.grad = lib.tensor(rosenbrock_grad(v))
        return lib.tensor((1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2)

    losses, out = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        out.append(x.detach().numpy().copy())
    return np.array(out), losses, opt.state[x]["func_evals"], opt.state[x]["n_iter"]


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=0.5, history_size=3, max_iter=5),
    dict(history_size=2, max_iter=7, line_search_fn="strong_wolfe", tolerance_change=1e-12),
    dict(max_iter=4, max_eval=6, tolerance_grad=1e-5, line_search_fn="strong_wolfe"),
])
@pytest.mark.parametrize("start", [(-1.2, 1.0), (2.0, -1.5)])
def test_lbfgs_is_torchs_bit_for_bit(kwargs, start):
    with ieee_sqrt_in_torch():
        expected = lbfgs_trajectory(torch, kwargs, start=start)
    got = lbfgs_trajectory(pyad, kwargs, start=start)
    assert np.array_equal(got[0], expected[0])
    assert got[1:] == expected[1:]


def test_lbfgs_trains_with_autograd_closure():
    # a least-squares fit through pyad's own autograd: converges to numpy's solution
    Xn = np.linspace(0, 1, 20).reshape(10, 2)
    yn = Xn @ np.array([1.5, -2.0]) + 0.25
    X, y = pyad.tensor(Xn), pyad.tensor(yn)
    w = pyad.zeros(2, dtype=pyad.float64, requires_grad=True)
    c = pyad.zeros(1, dtype=pyad.float64, requires_grad=True)
    opt = pyad.optim.LBFGS([w, c], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((X @ w + c - y) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
    sol = np.linalg.lstsq(np.c_[Xn, np.ones(10)], yn, rcond=None)[0]
    assert np.allclose(np.r_[w.detach().numpy(), c.detach().numpy()], sol, atol=1e-6)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=1e-3, momentum=0.9)), ("Adam", dict(lr=1e-2, amsgrad=True)),
    ("RMSprop", dict(lr=1e-3, centered=True, momentum=0.5)), ("Adagrad", dict(lr=0.1)),
])
def test_state_dict_layout_and_round_trip(name, kwargs):
    with ieee_sqrt_in_torch():
        _, t_opt = trajectory(torch, name, kwargs, steps=5)
    _, p_opt = trajectory(pyad, name, kwargs, steps=5)
    t_sd, p_sd = t_opt.state_dict(), p_opt.state_dict()
    assert p_sd["param_groups"] == t_sd["param_groups"]
    assert sorted(p_sd["state"]) == sorted(t_sd["state"])
    for k in t_sd["state"]:
        assert sorted(p_sd["state"][k]) == sorted(t_sd["state"][k])
        for key, value in t_sd["state"][k].items():
            mine = p_sd["state"][k][key]
            assert mine.dtype.__repr__().replace("pyad", "torch") == repr(value.dtype)
            assert np.array_equal(mine.numpy(), value.numpy())

    # continuing from a loaded state gives the same trajectory as not stopping
    full, _ = trajectory(pyad, name, kwargs, steps=8)
    x = pyad.tensor([-1.2, 1.0], dtype=pyad.float64, requires_grad=True)
    W = pyad.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]], dtype=pyad.float64, requires_grad=True)
    b = pyad.tensor(np.linspace(-2, 2, 11), dtype=pyad.float64, requires_grad=True)
    with pyad.no_grad():
        for p, v in zip((x, W, b), np.split(full[4], [2, 8])):
            p.copy_(pyad.tensor(v.reshape(tuple(p.shape))))
    _, five = trajectory(pyad, name, kwargs, steps=5)
    opt = getattr(pyad.optim, name)([x, W, b], **kwargs)
    opt.load_state_dict(five.state_dict())
    for i in range(5, 8):
        x.grad = pyad.tensor(rosenbrock_grad(x.detach().numpy()))
        W.grad = pyad.tensor(least_squares_grad(W.detach().numpy()))
        b.grad = pyad.tensor(np.sin(3 * b.detach().numpy()) + b.detach().numpy())
        opt.step()
        now = np.concatenate([p.detach().numpy().ravel() for p in (x, W, b)])
        assert np.array_equal(now, full[i])


def test_zero_grad_and_closure():
    x = pyad.ones(3, requires_grad=True)
    opt = pyad.optim.SGD([x], lr=0.1)
    (x * x).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert x.grad is not None and x.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert x.grad is None

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 3.0
    assert x.tolist() == pytest.approx([0.8] * 3)
    assert not x.grad.requires_grad and x.requires_grad and x.is_leaf


def test_repr_and_param_groups_match_torch():
    def build(lib):
        a = lib.zeros(2, requires_grad=True)
        b = lib.zeros(3, requires_grad=True)
        opt = lib.optim.Adam([{"params": [a]}], lr=0.1)
        opt.add_param_group({"params": b, "lr": 0.01, "amsgrad": True})
        return opt
    t_opt, p_opt = build(torch), build(pyad)
    assert repr(p_opt) == repr(t_opt)
    assert [{k: v for k, v in g.items() if k != "params"} for g in p_opt.param_groups] == \
        [{k: v for k, v in g.items() if k != "params"} for g in t_opt.param_groups]


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.SGD([p], lr=-1),
    lambda lib, p: lib.optim.SGD([p], lr=0.1, momentum=-1),
    lambda lib, p: lib.optim.SGD([p], lr=0.1, nesterov=True),
    lambda lib, p: lib.optim.Adam([p], betas=(1.0, 0.9)),
    lambda lib, p: lib.optim.Adam([p], betas=(0.9, -0.1)),
    lambda lib, p: lib.optim.Adam([p], eps=-1.0),
    lambda lib, p: lib.optim.AdamW([p], weight_decay=-1.0),
    lambda lib, p: lib.optim.RMSprop([p], alpha=-1.0),
    lambda lib, p: lib.optim.Adagrad([p], lr_decay=-1.0),
    lambda lib, p: lib.optim.Adagrad([p], initial_accumulator_value=-1.0),
    lambda lib, p: lib.optim.SGD([], lr=0.1),
    lambda lib, p: lib.optim.SGD(p, lr=0.1),
    lambda lib, p: lib.optim.SGD([{"params": {p}}], lr=0.1),
    lambda lib, p: lib.optim.SGD([p * 2], lr=0.1),
    lambda lib, p: lib.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1),
    lambda lib, p: lib.optim.LBFGS([{"params": [p]},
                                    {"params": [lib.ones(1, requires_grad=True)]}]),
    lambda lib, p: lib.optim.SGD([p, 3], lr=0.1),
])
def test_constructor_errors_match_torch(make):
    expected = _error(lambda: make(torch, torch.ones(2, requires_grad=True)))
    got = _error(lambda: make(pyad, pyad.ones(2, requires_grad=True)))
    assert got[0] == expected[0]
    assert got[1].replace("pyad.", "torch.") == expected[1]


def test_step_hooks():
    x = pyad.ones(1, requires_grad=True)
    opt = pyad.optim.SGD([x], lr=0.5)
    seen = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", x.item())))
    opt.register_step_post_hook(lambda o, a, k: seen.append(("post", x.item())))
    x.grad = pyad.ones(1)
    opt.step()
    h1.remove()
    opt.step()
    assert seen == [("pre", 1.0), ("post", 0.5), ("post", 0.0)]


def test_fused_update_refuses_recorded_tensor():
    x = pyad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        pyad._C._fused_add_(x, pyad.ones(2), 0.5)
    with pyad.no_grad():
        pyad._C._fused_add_(x, pyad.ones(2), 0.5)
    assert x.tolist() == [1.5, 1.5]
    assert x._version == 1


def test_lbfgs_on_a_larger_problem_matches_torch_to_rounding():
    # torch's dot products are MKL's (their summation order is not pyad's beyond 2 elements),
    # so only agreement to rounding is expected here
    M = np.linspace(-1, 1, 60).reshape(10, 6) + np.eye(10, 6)
    t = np.cos(np.arange(10.0))
    results = []
    for lib in (torch, pyad):
        w = lib.zeros(6, dtype=lib.float64, requires_grad=True)
        opt = lib.optim.LBFGS([w], history_size=4, max_iter=30, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            v = w.detach().numpy()
            r = M @ v - t
            w.grad = lib.tensor(2 * M.T @ r + 0.2 * v)
            return lib.tensor(r @ r + 0.1 * v @ v)

        with ieee_sqrt_in_torch():
            for _ in range(3):
                opt.step(closure)
        results.append(w.detach().numpy().copy())
    exact = np.linalg.solve(M.T @ M + 0.1 * np.eye(6), M.T @ t)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(results[1], exact, rtol=1e-5)   # converged (tolerance_grad)



def test_state_dict_and_global_hooks():
    log = []
    for lib in (torch, pyad):
        x = lib.ones(1, requires_grad=True)
        opt = lib.optim.SGD([x], lr=0.5, momentum=0.9)
        calls = []
        opt.register_state_dict_pre_hook(lambda o: calls.append("sd-pre"))
        opt.register_state_dict_post_hook(lambda o, sd: calls.append("sd-post") or
                                          {**sd, "extra": 1})
        opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load-pre"))
        opt.register_load_state_dict_post_hook(lambda o: calls.append("load-post"))
        opt.register_state_dict_pre_hook(lambda o: calls.append("first"), prepend=True)
        module = importlib.import_module(f"{lib.__name__}.optim.optimizer")
        g_pre = module.register_optimizer_step_pre_hook(
            lambda o, a, k: calls.append("global-pre"))
        g_post = module.register_optimizer_step_post_hook(
            lambda o, a, k: calls.append("global-post"))
        opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
        try:
            x.grad = lib.ones(1)
            opt.step()
        finally:
            g_pre.remove()
            g_post.remove()
        opt.step()
        sd = opt.state_dict()
        opt.load_state_dict(sd)
        log.append((calls, sorted(sd), x.item()))
    assert log[0] == log[1]


@pytest.mark.parametrize("name,kwargs", [
    ("LBFGS", dict(line_search_fn="strong_wolfe")), ("LBFGS", dict(history_size=5)),
    ("Adam", dict(lr=0.01, amsgrad=True)), ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True)),
    ("RMSprop", dict(lr=1e-3, centered=True)), ("Adagrad", dict(lr=0.1)),
])
def test_closure_through_autograd_is_torchs_bit_for_bit(name, kwargs):
    # the Rosenbrock loss and its gradient come from each library's autograd
    def run(lib):
        x = lib.tensor([-1.2, 1.0], dtype=lib.float64, requires_grad=True)
        opt = getattr(lib.optim, name)([x], **kwargs)

        def closure():
            opt.zero_grad()
            loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
            loss.backward()
            return loss

        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(40):
                out.append(float(opt.step(closure)))
                out.extend(x.detach().numpy().tolist())
        return out

    with ieee_sqrt_in_torch():
        expected = run(torch)
    assert run(pyad) == expected
