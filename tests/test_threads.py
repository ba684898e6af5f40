"""Threads: graphs built and differentiated in several threads at once.

- Independent graphs in 8 threads give the single-threaded values bit for bit, and the closed
  forms, for first and second derivatives.
- Grad mode (no_grad, enable_grad, set_grad_enabled, inference_mode, as context managers,
  calls and decorators) is per thread, and a new thread starts with grad enabled, as in torch.
- Several threads run grad()/backward() on ONE graph (retain_graph=True) at once, with Python
  code inside the sweep that lets the interpreter switch threads there: tensor hooks that
  sleep, retain_grad, custom Functions, create_graph (the recorded backward), anomaly mode.
  Results and accumulated .grad are exact (torch allows this and accumulates under a lock).
- A backward called from a hook over the same graph (re-entrant), and a graph dropped by a
  hook or by another thread while a backward sweeps it.

Switches are forced with ``sys.setswitchinterval(1e-6)`` and ``time.sleep(0)`` in hooks.
A longer campaign: ``python tests/test_threads.py 200`` (rounds; about 3 s each).
Every scenario that runs backward in threads runs in one child process (``SCENARIOS``), so a
crash is a failed test, not a dead pytest: a crashed scenario is reported with its signal and
the child is started again for the scenarios after it.
"""

import contextlib
import json
import math
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import numpy as np
import pytest

# load_module: the child process (_CHILD) calls test_threads.load_module()
from conftest import MODULE_NAME, load_module, module_path_env  # noqa: F401

N_THREADS = 8


@contextlib.contextmanager
def fast_switch():
    """Let the interpreter switch threads every microsecond (default: every 5 ms)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


SCENARIOS = {}


def scenario(fn):
    """A multithreaded scenario run in the child process, with fast thread switches."""

    def run(pt):
        with fast_switch():
            fn(pt)

    SCENARIOS[fn.__name__] = run
    return fn


def run_threads(target, n=N_THREADS, timeout=300):
    """Run target(i) in n threads released together; their results, in order.

    An exception in a thread fails the test with its traceback; a thread still running after
    `timeout` seconds (a deadlock) fails it too.
    """
    barrier = threading.Barrier(n)
    results = [None] * n
    errors = []

    def body(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread did not finish (deadlock?)"
    assert not errors, errors[0]
    return results


# ----------------------------------------------------------------------------
# the child process: every scenario, one line of result each
# ----------------------------------------------------------------------------

_CHILD = """
import json, sys, traceback
sys.path.insert(0, {tests!r})
import pytest
import test_threads as m
pt = m.load_module()
for name in sys.argv[1:]:
    try:
        m.SCENARIOS[name](pt)
        res = ["ok", ""]
    except pytest.skip.Exception as e:
        res = ["skip", str(e)]
    except BaseException:
        res = ["fail", traceback.format_exc()]
    print("RESULT " + json.dumps([name] + res), flush=True)
"""


def _run_scenarios(names, timeout=600):
    """{name: (status, detail)}: one child for all; after a crash, a new one for the rest."""
    results = {}
    todo = list(names)
    code = _CHILD.format(tests=str(Path(__file__).resolve().parent))
    while todo:
        try:
            proc = subprocess.run([sys.executable, "-c", code, *todo], capture_output=True,
                                  text=True, timeout=timeout, env=module_path_env())
            out, err, rc = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as e:
            out, err, rc = e.stdout or "", e.stderr or "", "timeout"
            out = out.decode() if isinstance(out, bytes) else out
            err = err.decode() if isinstance(err, bytes) else err
        for line in out.splitlines():
            if line.startswith("RESULT "):
                name, status, detail = json.loads(line[len("RESULT "):])
                results[name] = (status, detail)
        rest = [n for n in todo if n not in results]
        if rest:
            results[rest[0]] = ("fail", f"the child died in this scenario (exit {rc}; negative "
                                f"= killed by a signal)\nSTDERR:\n{err[-4000:]}")
            rest = rest[1:]
        todo = rest
    return results


@pytest.fixture(scope="module")
def scenario_results():
    return _run_scenarios(list(SCENARIOS))


# ----------------------------------------------------------------------------
# independent graphs in every thread
# ----------------------------------------------------------------------------


def _derivatives(pt, values):
    """y = sum(sin(x) x^2), its gradient (create_graph) and the gradient of that's sum."""
    x = pt.tensor(values, dtype=pt.float64, requires_grad=True)
    y = (x.sin() * x * x).sum()
    (g,) = pt.autograd.grad(y, x, create_graph=True)
    (h,) = pt.autograd.grad(g.sum(), x)
    x2 = pt.tensor(values, dtype=pt.float64, requires_grad=True)
    (x2.exp() * x2).sum().backward()
    return y.item(), g.tolist(), h.tolist(), x2.grad.tolist()


def _values(i, it):
    return [0.1 * i + 0.37 * it - 1.3 + 0.25 * k for k in range(5)]


@scenario
def independent_graphs_first_and_second_derivatives(pt):
    iters = 15
    expected = {(i, it): _derivatives(pt, _values(i, it)) for i in range(N_THREADS)
                for it in range(iters)}

    def work(i):
        return [_derivatives(pt, _values(i, it)) for it in range(iters)]

    results = run_threads(work)
    for i in range(N_THREADS):
        for it in range(iters):
            got = results[i][it]
            assert got == expected[(i, it)]          # bit for bit: same ops, same order
            x = np.array(_values(i, it))
            s, c = np.sin(x), np.cos(x)
            assert got[0] == pytest.approx(float(np.sum(s * x * x)), rel=1e-12)
            assert got[1] == pytest.approx(c * x * x + 2 * x * s, rel=1e-12, abs=1e-12)
            assert got[2] == pytest.approx(-s * x * x + 4 * x * c + 2 * s, rel=1e-12, abs=1e-12)
            assert got[3] == pytest.approx(np.exp(x) * (x + 1), rel=1e-12, abs=1e-12)


@scenario
def small_tensors_across_threads(pt):
    """Tiny buffers and graph nodes come from free stacks shared by all threads."""

    def work(i):
        rng = np.random.default_rng(i)
        ok = True
        for _ in range(60):
            n = int(rng.integers(1, 70))                # 8..560 bytes: both size classes
            v = rng.standard_normal(n)
            x = pt.tensor(v, requires_grad=True)
            y = (x * x + x.exp()).sum()
            (g,) = pt.autograd.grad(y, x)
            ok = ok and np.allclose(g.numpy(), 2 * v + np.exp(v), rtol=1e-12, atol=0)
            ok = ok and math.isclose(y.item(), float(np.sum(v * v + np.exp(v))), rel_tol=1e-12)
        return ok

    assert all(run_threads(work))


# ----------------------------------------------------------------------------
# grad mode is per thread (in process: no backward runs here)
# ----------------------------------------------------------------------------

OFF_SWITCHES = {
    "no_grad": lambda pt: pt.no_grad(),
    "set_grad_enabled": lambda pt: pt.set_grad_enabled(False),
    "inference_mode": lambda pt: pt.inference_mode(),
}


def _records(pt):
    x = pt.ones(2, requires_grad=True)
    y = x * 2
    return y.requires_grad and y.grad_fn is not None


@pytest.mark.parametrize("name", list(OFF_SWITCHES))
def test_grad_mode_is_per_thread(pt, name):
    """Thread 0 switches grad off, thread 1 keeps it on, then re-enables it inside no_grad;
    at each step each thread sees only its own state."""
    off = OFF_SWITCHES[name]
    step = [threading.Barrier(2) for _ in range(4)]

    def work(i):
        seen = []
        if i == 0:
            with off(pt):
                step[0].wait()
                step[1].wait()          # thread 1 checks its state here
                seen.append((pt.is_grad_enabled(), _records(pt)))
                step[2].wait()          # thread 1 is inside no_grad + enable_grad
                seen.append((pt.is_grad_enabled(), _records(pt)))
                step[3].wait()
            seen.append((pt.is_grad_enabled(), _records(pt)))
        else:
            step[0].wait()              # thread 0 is inside its switch
            seen.append((pt.is_grad_enabled(), _records(pt)))
            step[1].wait()
            with pt.no_grad():
                with pt.enable_grad():
                    step[2].wait()
                    seen.append((pt.is_grad_enabled(), _records(pt)))
                    step[3].wait()
                seen.append((pt.is_grad_enabled(), _records(pt)))
            seen.append((pt.is_grad_enabled(), _records(pt)))
        return seen

    results = run_threads(work, n=2)
    assert results[0] == [(False, False), (False, False), (True, True)]
    assert results[1] == [(True, True), (True, True), (False, False), (True, True)]


def test_new_thread_starts_with_grad_enabled(pt):
    seen = []
    for switch in [lambda: pt.no_grad(), lambda: pt.inference_mode(),
                   lambda: pt.set_grad_enabled(False)]:
        with switch():
            t = threading.Thread(target=lambda: seen.append((pt.is_grad_enabled(),
                                                             _records(pt))))
            t.start()
            t.join()
            assert not pt.is_grad_enabled()
        assert pt.is_grad_enabled()
    pt.set_grad_enabled(False)
    try:
        t = threading.Thread(target=lambda: seen.append((pt.is_grad_enabled(), _records(pt))))
        t.start()
        t.join()
    finally:
        pt.set_grad_enabled(True)
    assert seen == [(True, True)] * 4


def test_grad_mode_decorators_per_thread(pt):
    """Functions decorated with each switch run at once in many threads; each thread sees the
    mode its own decorator set, at every point, however the threads interleave."""

    @pt.no_grad()
    def off_a():
        return _check_mode(pt, False)

    @pt.inference_mode()
    def off_b():
        return _check_mode(pt, False)

    @pt.set_grad_enabled(False)
    def off_c():
        return _check_mode(pt, False)

    @pt.enable_grad()
    def on_a():
        return _check_mode(pt, True)

    def on_inside_off():
        with pt.no_grad():
            return on_a()

    funcs = [off_a, off_b, off_c, on_a, on_inside_off]

    def work(i):
        ok = []
        for it in range(40):
            ok.append(funcs[(i + it) % len(funcs)]())
            ok.append(_check_mode(pt, True))    # back to the thread's default
        return ok

    with fast_switch():
        results = run_threads(work, n=6)
    assert all(all(r) for r in results)


def _check_mode(pt, want):
    ok = True
    for _ in range(5):
        ok = ok and pt.is_grad_enabled() == want and _records(pt) == want
        time.sleep(0)
    return ok


# ----------------------------------------------------------------------------
# one graph, backward from many threads at once
# ----------------------------------------------------------------------------


def _shared_graph(pt, hook=None):
    """y = sum(3a + a) with a = x*x and x = [1, 2, 3]; `hook` on 3a. By default the hook
    sleeps (a thread switch) and doubles: dy/dx = 14x; with a hook returning None, 8x."""
    x = pt.tensor([1.0, 2.0, 3.0], dtype=pt.float64, requires_grad=True)
    a = x * x
    b = a * 3.0
    b.register_hook(hook or _sleep_and_double)
    y = (b + a).sum()
    return x, a, y


def _sleep_and_double(g):
    time.sleep(0)
    return g * 2.0


@scenario
def shared_graph_concurrent_grad(pt):
    x, a, y = _shared_graph(pt)
    iters = 25

    def work(i):
        out = []
        for _ in range(iters):
            (g,) = pt.autograd.grad(y, x, retain_graph=True)
            (ga,) = pt.autograd.grad(y, a, retain_graph=True)
            out.append((g.tolist(), ga.tolist()))
        return out

    for res in run_threads(work):
        assert res == [([14.0, 28.0, 42.0], [7.0, 7.0, 7.0])] * iters


def _concurrent_backward(pt, retain):
    x, a, y = _shared_graph(pt)
    if retain:
        a.retain_grad()
    iters = 25

    def work(i):
        for _ in range(iters):
            y.backward(retain_graph=True)

    run_threads(work)
    k = N_THREADS * iters
    assert x.grad.tolist() == [14.0 * k, 28.0 * k, 42.0 * k]
    if retain:
        assert a.grad.tolist() == [7.0 * k] * 3


@scenario
def shared_graph_concurrent_backward_accumulates(pt):
    _concurrent_backward(pt, retain=False)


@scenario
def shared_graph_concurrent_backward_retain_grad(pt):
    if MODULE_NAME == "torch":
        pytest.skip("torch 2.13 segfaults in about 1 run in 10 here (concurrent backward with "
                    "retain_grad on a shared graph); pyad is checked")
    _concurrent_backward(pt, retain=True)


@scenario
def graphs_sharing_a_leaf_concurrent_backward(pt):
    """Each thread builds its own graphs on one leaf; every backward lands in x.grad."""
    x = pt.tensor([1.0, -2.0, 0.5], dtype=pt.float64, requires_grad=True)
    iters = 30

    def work(i):
        for _it in range(iters):
            c = float(i + 1)
            h = (x * c).exp()
            h.register_hook(lambda g: time.sleep(0))
            (h * 0.0 + x * x * c).sum().backward()

    run_threads(work)
    k = iters * sum(range(1, N_THREADS + 1))
    assert x.grad.tolist() == [2.0 * k, -4.0 * k, 1.0 * k]


def _cube_function(pt):
    """A custom Function x -> x**3 whose backward sleeps (a thread switch inside the sweep)."""

    class Cube(pt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            time.sleep(0)
            return g * 3.0 * x * x

    return Cube


@scenario
def shared_graph_custom_function_first_and_second_derivative(pt):
    Cube = _cube_function(pt)
    x = pt.tensor([1.0, 2.0, -3.0], dtype=pt.float64, requires_grad=True)
    y = Cube.apply(x * 2.0).sum()          # (2x)^3: grad 24 x^2, second 48 x
    expected = ([24.0, 96.0, 216.0], [48.0, 96.0, -144.0], [24.0, 96.0, 216.0])
    for res in _concurrent_first_and_second(pt, y, x):
        assert res == [expected] * len(res)


def _concurrent_first_and_second(pt, y, x, iters=15):
    """Per thread, per iteration: grad (create_graph), the gradient of its sum, and grad
    again without create_graph, all on the shared graph of y."""

    def work(i):
        out = []
        for _ in range(iters):
            (g,) = pt.autograd.grad(y, x, retain_graph=True, create_graph=True)
            (h,) = pt.autograd.grad(g.sum(), x, retain_graph=True)
            (g2,) = pt.autograd.grad(y, x, retain_graph=True)
            out.append((g.tolist(), h.tolist(), g2.tolist()))
        return out

    return run_threads(work)


@scenario
def shared_graph_create_graph_concurrent(pt):
    """grad(create_graph=True) builds Python Tensors per node; second derivatives agree."""
    vals = [0.3, -1.1, 2.0, 0.75]
    x = pt.tensor(vals, dtype=pt.float64, requires_grad=True)
    s = x.sin()
    s.register_hook(lambda g: time.sleep(0))
    y = (s * x * x).sum()
    results = _concurrent_first_and_second(pt, y, x)
    first = results[0][0]
    xv = np.array(vals)
    assert first[0] == pytest.approx(np.cos(xv) * xv * xv + 2 * xv * np.sin(xv), rel=1e-12)
    assert first[1] == pytest.approx(
        -np.sin(xv) * xv * xv + 4 * xv * np.cos(xv) + 2 * np.sin(xv), rel=1e-12)
    assert first[2] == pytest.approx(first[0], rel=1e-14)
    for res in results:
        assert res == [first] * len(res)


@scenario
def create_graph_backward_accumulates_under_anomaly_mode(pt):
    """backward(create_graph=True) accumulates .grad with a recorded add; under anomaly mode
    each new node runs Python code (the stack capture), a thread switch in the middle of
    the read-add-write of x.grad. No update may be lost."""
    import warnings

    x = pt.tensor([1.0, 2.0], dtype=pt.float64, requires_grad=True)
    iters = 10

    def work(i):
        for _ in range(iters):
            (x * x * float(i + 1)).sum().backward(create_graph=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # the create_graph reference-cycle warning
        with pt.autograd.detect_anomaly():
            run_threads(work)
    k = iters * sum(range(1, N_THREADS + 1))
    assert x.grad.tolist() == [2.0 * k, 4.0 * k]
    assert x.grad.requires_grad


@scenario
def shared_deep_graph_overlapping_runs(pt):
    """A 3,000-node chain whose top node has a sleeping hook: while one run waits there,
    the others find every node claimed and keep them in their own (growing) tables."""
    x = pt.tensor([1.5, -0.5], dtype=pt.float64, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0001
    y.register_hook(_sleep_and_double)
    y = y.sum()
    (alone,) = pt.autograd.grad(y, x, retain_graph=True)

    def work(i):
        return [pt.autograd.grad(y, x, retain_graph=True)[0].tolist() for _ in range(10)]

    assert alone.tolist() == pytest.approx([2 * 1.0001**3000] * 2, rel=1e-12)
    for res in run_threads(work):
        assert res == [alone.tolist()] * 10


@scenario
def failing_hook_in_one_thread(pt):
    """A hook that raises in one thread (the run stops and lets its nodes go) while the
    others run over the same graph; afterwards every thread's runs are still exact."""
    x, a, y = _shared_graph(pt)
    bad = threading.local()

    def hook(g):
        time.sleep(0)
        if getattr(bad, "on", False):
            raise ValueError("hook failed")
        return None

    a.register_hook(hook)

    def work(i):
        out = []
        for it in range(20):
            bad.on = (i + it) % 3 == 0
            try:
                out.append(pt.autograd.grad(y, x, retain_graph=True)[0].tolist())
            except ValueError as e:
                out.append(str(e))
        bad.on = False
        out.append(pt.autograd.grad(y, x, retain_graph=True)[0].tolist())
        return out

    for i, res in enumerate(run_threads(work)):
        assert res == ["hook failed" if (i + it) % 3 == 0 else [14.0, 28.0, 42.0]
                       for it in range(20)] + [[14.0, 28.0, 42.0]]


class _Finalized:
    """Runs Python code (a thread switch) when freed, in the middle of freeing a graph."""

    count = 0
    lock = threading.Lock()

    def __del__(self):
        time.sleep(0)
        with _Finalized.lock:
            _Finalized.count += 1


@scenario
def graphs_freed_in_threads_with_finalizers(pt):
    """Chains of custom Function nodes whose ctx holds an object with __del__, built and
    dropped in 8 threads: freeing switches threads inside the iterative node freeing."""

    class Twice(pt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.tag = _Finalized()
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return g * 2.0

    _Finalized.count = 0

    def work(i):
        out = []
        for _ in range(10):
            x = pt.tensor([1.0], dtype=pt.float64, requires_grad=True)
            y = x
            for _ in range(200):
                y = Twice.apply(y) * 0.5
            out.append(pt.autograd.grad(y, x)[0].item())
            del y
        return out

    for res in run_threads(work):
        assert res == [1.0] * 10
    assert _Finalized.count == N_THREADS * 10 * 200


# ----------------------------------------------------------------------------
# re-entrant backward, graphs dropped during a sweep
# ----------------------------------------------------------------------------


@scenario
def backward_from_a_hook_on_the_same_graph(pt):
    inner = []

    def hook(g):
        if not inner:
            inner.append(None)              # the nested runs call this hook too
            inner[0] = pt.autograd.grad(y, x, retain_graph=True)[0].tolist()
            y.backward(retain_graph=True)
        return None

    x, a, y = _shared_graph(pt, hook)
    (outer,) = pt.autograd.grad(y, x, retain_graph=True)
    assert outer.tolist() == [8.0, 16.0, 24.0]
    assert inner == [[8.0, 16.0, 24.0]]
    assert x.grad.tolist() == [8.0, 16.0, 24.0]
    y.backward()
    assert x.grad.tolist() == [16.0, 32.0, 48.0]


@scenario
def threads_with_reentrant_hooks_on_shared_graph(pt):
    """Hooks that themselves call grad() on the shared graph, in 6 threads at once."""
    local = threading.local()

    def hook(g):
        if getattr(local, "depth", 0) == 0:
            local.depth = 1
            try:
                local.inner.append(pt.autograd.grad(y, x, retain_graph=True)[0].tolist())
            finally:
                local.depth = 0
        time.sleep(0)
        return None

    x, a, y = _shared_graph(pt, hook)

    def work(i):
        local.inner = []
        outer = [pt.autograd.grad(y, x, retain_graph=True)[0].tolist() for _ in range(20)]
        return outer, local.inner

    for outer, inner in run_threads(work, n=6):
        assert outer == [[8.0, 16.0, 24.0]] * 20
        assert inner == [[8.0, 16.0, 24.0]] * 20


def _graph_with_hook(pt, x, hook):
    """y = sum(3 * 2 * exp(x)) with the hook on 2*exp(x); only y refers to the graph."""
    a = x.exp()
    b = a * 2
    b.register_hook(hook)
    return (b * 3).sum()


@scenario
def hook_detaches_root_during_backward(pt):
    """The hook drops the only reference to the graph above it: the sweep must not run on
    freed nodes (it read and wrote freed memory before the run held its nodes)."""
    x = pt.tensor([1.0, 2.0], dtype=pt.float64, requires_grad=True)
    for _ in range(300):
        box = []

        def hook(g):
            box[0].detach_()
            junk = [pt.ones(3, requires_grad=True) * 2 for _ in range(50)]  # noqa: F841  (reuse the memory)
            return None

        box.append(_graph_with_hook(pt, x, hook))
        (g,) = pt.autograd.grad(box[0], x)
        assert g.tolist() == pytest.approx([6 * math.e, 6 * math.e**2], rel=1e-12)


@scenario
def other_thread_drops_graph_during_backward(pt):
    """Thread A sweeps a graph and waits inside a hook; thread B (this one) detaches the root
    and drops every other reference, then allocates; A resumes on intact nodes."""
    x = pt.tensor([1.0, 2.0], dtype=pt.float64, requires_grad=True)
    for _ in range(50):
        in_hook, dropped = threading.Event(), threading.Event()
        results = []

        def hook(g):
            in_hook.set()
            dropped.wait()
            return None

        box = [_graph_with_hook(pt, x, hook)]
        ta = threading.Thread(target=lambda root: results.append(pt.autograd.grad(root, x)[0]),
                              args=(box[0],))
        ta.start()
        in_hook.wait()
        box[0].detach_()
        box.clear()
        junk = [pt.ones(3, requires_grad=True) * 2 for _ in range(50)]  # noqa: F841  (held meanwhile)
        dropped.set()
        ta.join()
        assert len(results) == 1
        assert results[0].tolist() == pytest.approx([6 * math.e, 6 * math.e**2], rel=1e-12)


@pytest.mark.slow  # every scenario in a child process, 8 threads each
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_threaded(name, scenario_results):
    status, detail = scenario_results[name]
    if status == "skip":
        pytest.skip(detail)
    assert status == "ok", detail


if __name__ == "__main__":
    # A longer campaign: python tests/test_threads.py ROUNDS (each round runs every scenario
    # in a fresh child process and prints the failures).
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    failures = 0
    for r in range(rounds):
        for name, (status, detail) in _run_scenarios(list(SCENARIOS)).items():
            if status == "fail":
                failures += 1
                print(f"round {r}: {name} failed\n{detail}", flush=True)
    print(f"{rounds} rounds x {len(SCENARIOS)} scenarios, {failures} failed")
    sys.exit(1 if failures else 0)
