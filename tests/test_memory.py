"""Graph memory: flat RSS over build-and-drop loops, deep graphs, freeing without gc.

- Each loop builds a graph and drops it 100,000 times after a 10,000-iteration
  warm-up; resident memory (``/proc/self/statm``) may grow by less than 20 MB.
- 1,000,000-node chains are differentiated and deallocated in a subprocess, so
  a C-stack overflow shows up as a failed test rather than a dead pytest.
- Dropping the last reference to a graph frees it by reference counting alone
  (``gc`` disabled), and pyad's graphs form no reference cycles.

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
    y = (x * x).sum()


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
