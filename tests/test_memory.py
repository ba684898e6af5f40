"""Graph memory: flat RSS over build-and-drop loops, deep graphs, freeing without gc.

- Each loop builds a graph and drops it 100,000 times after a 10,000-iteration
  warm-up; resident memory (``/proc/self/statm``) may grow by less than 20 MB.
- 1,000,000-node chains are differentiated and deallocated in a subprocess, so
  a C-stack overflow shows up as a failed test rather than a dead pytest.
- Dropping the last reference to a graph frees it by reference counting alone
  (``gc`` disabled), and pyad's graphs form no reference cycles.
- Soak: training steps of a small MLP with a gradient penalty (an input gradient taken
  with ``create_graph=True``, then the gradient of a loss that includes its norm, then
  an update under ``no_grad``) train and hold resident memory flat. The test runs
  300 steps for the training (sanitized builds run it too) and 20,000 for memory;
  ``python tests/test_memory.py [steps]`` runs the full soak (100,000 steps by
  default, about 25 s here) and prints resident memory every 10,000 steps.

Under AddressSanitizer (tools/sanitize.sh) the resident-memory checks skip: its
quarantine keeps freed memory resident; that run checks leaks with LeakSanitizer.
"""

import gc
import subprocess
import sys
import textwrap
import time
import weakref

import numpy as np
import pytest

from conftest import MODULE_NAME, asan_loaded, module_path_env, statm_rss_bytes

pytestmark = pytest.mark.slow  # deep chains and soaks in child processes

WARMUP = 10_000
ITERS = 100_000
MAX_GROWTH = 20 * 2**20


def _loop_grad(pt, x):
    (g,) = pt.autograd.grad((x * x).sum(), x)


def _loop_create_graph(pt, x):
    (g,) = pt.autograd.grad((x * x * x).sum(), x, create_graph=True)
    (h,) = pt.autograd.grad(g.sum(), x)


def _loop_backward(pt, x):
    x.grad = None
    (x * x).sum().backward()


def _loop_forward_only(pt, x):
    y = (x * x).sum()  # noqa: F841  (the graph lives until the call returns)


def _loop_retain_then_drop(pt, x):
    y = (x.exp() * x).sum()
    pt.autograd.grad(y, x, retain_graph=True)
    pt.autograd.grad(y, x)


LOOPS = {
    "grad": _loop_grad,
    "create_graph": _loop_create_graph,
    "backward": _loop_backward,
    "forward_only": _loop_forward_only,
    "retain_graph": _loop_retain_then_drop,
}


def _skip_unless_rss_meaningful():
    if statm_rss_bytes() is None:
        pytest.skip("/proc/self/statm is not available (not Linux)")
    if asan_loaded():
        pytest.skip("AddressSanitizer's quarantine keeps freed memory resident")


@pytest.mark.parametrize("name", list(LOOPS))
def test_build_and_drop_loop_is_flat(pt, name):
    _skip_unless_rss_meaningful()
    body = LOOPS[name]
    x = pt.tensor([0.5, -1.0, 1.5, 2.0], requires_grad=True)
    for _ in range(WARMUP):
        body(pt, x)
    before = statm_rss_bytes()
    t0 = time.perf_counter()
    for _ in range(ITERS):
        body(pt, x)
    elapsed = time.perf_counter() - t0
    after = statm_rss_bytes()
    growth = after - before
    assert (
        growth < MAX_GROWTH
    ), f"RSS grew by {growth / 2**20:.1f} MB over {ITERS} iterations ({elapsed:.1f} s)"
    # the leaf is still usable and its graph state consistent
    (g,) = pt.autograd.grad((x * x).sum(), x)
    assert g.tolist() == [1.0, -2.0, 3.0, 4.0]


# ----------------------------------------------------------------------------
# deep graphs (subprocess)
# ----------------------------------------------------------------------------


def _run_child(code, timeout=600):
    src = f"import {MODULE_NAME} as pt\n" + textwrap.dedent(code)
    proc = subprocess.run(
        [sys.executable, "-c", src],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=module_path_env(),
    )
    assert proc.returncode == 0, (
        f"child exited with {proc.returncode} "
        "(negative = killed by a signal, e.g. -11 for a stack overflow)\n"
        f"STDOUT:\n{proc.stdout[-2000:]}\nSTDERR:\n{proc.stderr[-4000:]}"
    )
    return proc.stdout


def test_deep_mul_chain_grad_and_free():
    out = _run_child("""
        x = pt.ones(1, dtype=pt.float64, requires_grad=True)
        y = x
        for _ in range(1_000_000):
            y = y * 1.0000001
        (g,) = pt.autograd.grad(y, x)
        print(repr(y.item()), repr(g.item()))
        del y, g
        print("freed")
        """)
    lines = out.split()
    assert lines[-1] == "freed"
    value, grad = float(lines[0]), float(lines[1])
    expected = 1.0000001**1_000_000
    assert value == pytest.approx(expected, rel=1e-9)
    assert grad == pytest.approx(expected, rel=1e-9)


def test_deep_add_chain_free_without_backward():
    out = _run_child("""
        x = pt.zeros(1, requires_grad=True)
        y = x
        for _ in range(1_000_000):
            y = y + 1
        print(repr(y.item()))
        del y
        print("freed")
        y = x
        for _ in range(1_000_000):
            y = y + 1
        y.backward()
        print(repr(x.grad.item()))
        del y
        print("freed")
        """)
    lines = out.split()
    assert lines == ["1000000.0", "freed", "1.0", "freed"]


def test_deep_chain_create_graph():
    n = 100_000
    out = _run_child(f"""
        x = pt.tensor([0.7], dtype=pt.float64, requires_grad=True)
        y = x
        for _ in range({n}):
            y = y.sin()
        (g,) = pt.autograd.grad(y, x, create_graph=True)
        (h,) = pt.autograd.grad(g, x)
        print(repr(y.item()), repr(g.item()), repr(h.item()))
        del y, g, h
        print("freed")
        """)
    parts = out.split()
    assert parts[-1] == "freed"
    y, g, h = (float(v) for v in parts[:3])
    # forward-mode reference in numpy: value, first and second derivative
    v, d1, d2 = 0.7, 1.0, 0.0
    for _ in range(n):
        s, c = np.sin(v), np.cos(v)
        v, d1, d2 = s, c * d1, c * d2 - s * d1 * d1
    assert y == pytest.approx(v, rel=1e-9)
    assert g == pytest.approx(d1, rel=1e-7)
    assert h == pytest.approx(d2, rel=1e-7)


# ----------------------------------------------------------------------------
# freeing by reference counting
# ----------------------------------------------------------------------------


@pytest.fixture
def gc_off():
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def test_tensor_supports_weakref(pt):
    t = pt.ones(2)
    r = weakref.ref(t)
    assert r() is t
    del t
    assert r() is None


def test_saved_intermediate_freed_with_graph(pt, gc_off):
    x = pt.ones(3, requires_grad=True)
    a = x * 2
    r = weakref.ref(a)
    y = (a * a).sum()  # MulBackward0 saves a
    del a
    del y
    assert r() is None


def test_saved_intermediate_freed_after_grad(pt, gc_off):
    x = pt.ones(3, requires_grad=True)
    a = x.exp()
    r = weakref.ref(a)
    y = (a * a).sum()
    (g,) = pt.autograd.grad(y, x, create_graph=True)
    (h,) = pt.autograd.grad(g.sum(), x)
    del a, y
    del g
    assert r() is None
    assert h.tolist() == pytest.approx([4 * np.e**2] * 3, rel=1e-6)


def test_backward_graph_freed(pt, gc_off):
    x = pt.ones(3, requires_grad=True)
    a = x.sin()
    r = weakref.ref(a)
    y = (a * x).sum()
    y.backward()
    del a, y
    assert r() is None
    assert x.grad is not None


def test_no_reference_cycles(pt, gc_off):
    gc.collect()
    x = pt.ones(3, requires_grad=True)
    for _ in range(50):
        a = x * 2
        y = (a * a).sum()
        (g,) = pt.autograd.grad(y, x, create_graph=True)
        (h,) = pt.autograd.grad(g.sum(), x)
        z = (x.exp() * x).sum()
        z.backward()
        x.grad = None
        w = (x[:2] @ x[1:]).tanh()
        del a, y, g, h, z, w
    assert gc.collect() == 0


# ----------------------------------------------------------------------------
# soak: training steps with a gradient penalty (create_graph)
# ----------------------------------------------------------------------------

SOAK_WARMUP = 2_000
SOAK_STEPS = 20_000


def _gp_model(pt, seed=0):
    """A 4 -> 16 -> 16 -> 1 tanh MLP, a regression batch of 32 and its targets (float64)."""
    rng = np.random.default_rng(seed)
    f64 = pt.float64
    shapes = [(4, 16), (16,), (16, 16), (16,), (16, 1), (1,)]
    params = [pt.tensor(rng.normal(0.0, 0.5, s), dtype=f64).requires_grad_() for s in shapes]
    x = pt.tensor(rng.normal(size=(32, 4)), dtype=f64)
    y = pt.tensor(np.sin(x.numpy().sum(1)), dtype=f64)
    return params, x, y


def _gp_train_step(pt, params, x, y, lr=0.05, lam=0.1):
    """One step: MSE + lam * (|dout/dx| - 1)^2, the input gradient taken with create_graph."""
    w1, b1, w2, b2, w3, b3 = params
    xi = x.detach().requires_grad_()
    h = pt.tanh(xi @ w1 + b1)
    h = pt.tanh(h @ w2 + b2)
    out = (h @ w3 + b3).squeeze(-1)
    (gx,) = pt.autograd.grad(out.sum(), xi, create_graph=True)
    penalty = ((gx.norm(dim=1) - 1) ** 2).mean()
    loss = ((out - y) ** 2).mean() + lam * penalty
    grads = pt.autograd.grad(loss, params)
    with pt.no_grad():
        for p, g in zip(params, grads):
            p -= lr * g
    return loss.item()


def soak(pt, steps, warmup=SOAK_WARMUP, report_every=0):
    """Run warm-up then `steps` training steps; returns (first loss, last loss, RSS growth)."""
    params, x, y = _gp_model(pt)
    first = _gp_train_step(pt, params, x, y)
    for _ in range(warmup):
        _gp_train_step(pt, params, x, y)
    before = statm_rss_bytes()
    t0 = time.perf_counter()
    for i in range(1, steps + 1):
        last = _gp_train_step(pt, params, x, y)
        if report_every and i % report_every == 0:
            rss = statm_rss_bytes()
            print(f"step {i:>7}  loss {last:.6f}  RSS {rss / 2**20:8.1f} MiB "
                  f"(+{(rss - before) / 2**20:.1f})  {time.perf_counter() - t0:6.1f} s",
                  flush=True)
    for p in params:
        assert p.grad is None  # grad() never writes .grad
    return first, last, statm_rss_bytes() - before


def test_gradient_penalty_training_steps_train(pt):
    # the soak's step, short and with no memory measure: it runs under the sanitizers too
    params, x, y = _gp_model(pt)
    losses = [_gp_train_step(pt, params, x, y) for _ in range(300)]
    assert losses[-1] < 0.5 * losses[0], losses[::50]
    assert all(p.grad is None and p.is_leaf for p in params)


def test_gradient_penalty_training_soak_is_flat(pt):
    _skip_unless_rss_meaningful()
    first, last, growth = soak(pt, SOAK_STEPS)
    assert growth < MAX_GROWTH, f"RSS grew by {growth / 2**20:.1f} MB over {SOAK_STEPS} steps"
    assert last < 0.5 * first, (first, last)  # the steps really train


if __name__ == "__main__":
    # the full soak: python tests/test_memory.py [steps]
    import importlib

    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    module = importlib.import_module(MODULE_NAME)
    first, last, growth = soak(module, steps, report_every=10_000)
    print(f"{steps} steps: loss {first:.6f} -> {last:.6f}, RSS grew by {growth / 2**20:.1f} MiB")
    sys.exit(0 if growth < MAX_GROWTH else 1)
