"""pyad's benchmark suite: the same workloads with pyad, PyTorch, numpy and HIPS autograd, in
one process.

    python -m pyad.bench                  # all workloads
    python -m pyad.bench --quick          # fewer workloads and repeats (`python -m pyad` runs it)
    python -m pyad.bench --only matmul    # workloads whose name contains a word
    python -m pyad.bench --json out.json  # also write the results
    python -m pyad.bench --plot out.png   # per-op cost against tensor size (needs matplotlib)

Libraries are interleaved round by round so machine noise hits them alike; each cell is the
median over rounds of the mean time per call within a round. PyTorch runs single-threaded
(torch.set_num_threads(1)); PyTorch, HIPS autograd and matplotlib are used when importable and
skipped otherwise. numpy has no autograd: its column is a hand-written forward + backward of
the same function, or the forward alone where that is noted, which is the floor a tape-free
implementation would pay. numpy's matmul (and so pyad's large matmuls, which call it) runs on
the BLAS numpy was built with, with that BLAS's threads.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

import pyad


def _load_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def _load_autograd():
    try:
        import autograd
        import autograd.numpy
    except ImportError:
        return None
    return autograd


# ============================================================================================
# Workloads: each maker takes the library module and returns a zero-argument callable.
# pyad and torch share a maker (same API); HIPS autograd and numpy get their own.
# ============================================================================================
def chain_maker(lib):
    """100 x (sin, * 1.01, + x) on a 3x4 float64 tensor, forward plus grad."""
    x = lib.rand(3, 4, dtype=lib.float64, requires_grad=True)

    def run():
        y = x
        for _ in range(100):
            y = y.sin() * 1.01 + x
        return lib.autograd.grad(y.sum(), x)
    return run


def chain_autograd(ag):
    anp = ag.numpy

    def f(x):
        y = x
        for _ in range(100):
            y = anp.sin(y) * 1.01 + x
        return anp.sum(y)
    g = ag.grad(f)
    x = np.random.rand(3, 4)
    return lambda: g(x)


def chain_numpy():
    x = np.random.rand(3, 4)

    def run():
        ys = []
        y = x
        for _ in range(100):
            ys.append(y)
            y = np.sin(y) * 1.01 + x
        y.sum()
        g = np.ones_like(x)
        gx = np.zeros_like(x)
        for yk in reversed(ys):
            gx += g
            g = g * 1.01 * np.cos(yk)
        return gx + g
    return run


def chain_numpy_forward():
    x = np.random.rand(3, 4)

    def run():
        y = x
        for _ in range(100):
            y = np.sin(y) * 1.01 + x
        return y.sum()
    return run


def seed_maker(lib):
    """The body of the seed example: four grad calls, one with create_graph."""
    x = lib.rand(3, 4)
    x.requires_grad_()

    def run():
        y = lib.sum(x)
        lib.autograd.grad(outputs=y, inputs=x)
        lib.autograd.grad(outputs=y, inputs=x, grad_outputs=lib.ones_like(y))
        y = x[:, 0] + x[:, 1] ** 2
        g3 = lib.autograd.grad(outputs=y, inputs=x, grad_outputs=lib.ones_like(y),
                               create_graph=True)[0]
        return lib.autograd.grad(outputs=g3, inputs=x, grad_outputs=lib.ones_like(g3))[0]
    return run


def seed_numpy():
    x = np.random.rand(3, 4).astype(np.float32)

    def run():
        x.sum()
        g1 = np.ones_like(x)
        g2 = np.ones_like(x)
        y = x[:, 0] + x[:, 1] ** 2
        g3 = np.zeros_like(x)
        g3[:, 0] = 1
        g3[:, 1] = 2 * x[:, 1]
        g4 = np.zeros_like(x)
        g4[:, 1] = 2
        return g1, g2, y, g3, g4
    return run


def bare_grad_maker(lib):
    """grad of (x*x).sum() on 4 elements: forward and one grad call."""
    x = lib.rand(4, requires_grad=True)

    def run():
        return lib.autograd.grad((x * x).sum(), x)
    return run


def bare_grad_autograd(ag):
    g = ag.grad(lambda x: ag.numpy.sum(x * x))
    x = np.random.rand(4).astype(np.float32)
    return lambda: g(x)


def bare_grad_numpy():
    x = np.random.rand(4).astype(np.float32)

    def run():
        (x * x).sum()
        return 2 * x
    return run


def tiny_op_maker(op, n, with_grad):
    def make(lib):
        a = lib.rand(n, dtype=lib.float64, requires_grad=with_grad)
        b = lib.rand(n, dtype=lib.float64)
        if op == "a+b":
            return lambda: a + b
        if op == "a*b":
            return lambda: a * b
        if op == "sin":
            return lambda: a.sin()
        return lambda: a.sum()
    return make


def tiny_op_numpy(op, n):
    a = np.random.rand(n)
    b = np.random.rand(n)
    f = {"a+b": lambda: a + b, "a*b": lambda: a * b, "sin": lambda: np.sin(a),
         "sum": lambda: a.sum()}[op]
    return f


# ---- Hessian-vector product -----------------------------------------------------------------
def hvp_maker(lib):
    """100-element x: y = (sin(x)*x).sum() + (x*x).sum()**2; g = grad(y, x, create_graph);
    grad(g, x, v)."""
    x = lib.rand(100, dtype=lib.float64, requires_grad=True)
    v = lib.rand(100, dtype=lib.float64)

    def run():
        y = (x.sin() * x).sum() + (x * x).sum() ** 2
        g = lib.autograd.grad(y, x, create_graph=True)[0]
        return lib.autograd.grad(g, x, v)[0]
    return run


def hvp_autograd(ag):
    anp = ag.numpy

    def f(x):
        return anp.sum(anp.sin(x) * x) + anp.sum(x * x) ** 2
    gf = ag.grad(f)
    x = np.random.rand(100)
    v = np.random.rand(100)
    hv = ag.grad(lambda x: anp.dot(gf(x), v))
    return lambda: hv(x)


def hvp_numpy():
    x = np.random.rand(100)
    v = np.random.rand(100)

    def run():
        s = (x * x).sum()
        (np.sin(x) * x).sum() + s ** 2
        c, sn = np.cos(x), np.sin(x)
        g = x * c + sn + 4 * s * x
        return (2 * c - x * sn) * v + 4 * s * v + 8 * x * (x @ v), g
    return run


# ---- MLP step -------------------------------------------------------------------------------
def _mlp_params(lib, rng):
    def mk(*shape, grad=True):
        a = rng.standard_normal(shape) * 0.1
        if lib is np:
            return a
        t = lib.from_numpy(a.copy()) if hasattr(lib, "from_numpy") else lib.tensor(a)
        return t.requires_grad_(grad) if grad else t
    return mk(32, 64, grad=False), mk(64, 64), mk(64), mk(64, 64)


def mlp_maker(lib):
    """tanh(X @ W1 + b1) @ W2, X 32x64, W 64x64 float64: gradients of W1, b1, W2."""
    X, W1, b1, W2 = _mlp_params(lib, np.random.default_rng(0))

    def run():
        loss = (lib.tanh(X @ W1 + b1) @ W2).sum()
        return lib.autograd.grad(loss, (W1, b1, W2))
    return run


def mlp_autograd(ag):
    anp = ag.numpy
    X, W1, b1, W2 = _mlp_params(np, np.random.default_rng(0))
    g = ag.grad(lambda p: anp.sum(anp.tanh(X @ p[0] + p[1]) @ p[2]))
    return lambda: g((W1, b1, W2))


def mlp_numpy():
    X, W1, b1, W2 = _mlp_params(np, np.random.default_rng(0))

    def run():
        h = np.tanh(X @ W1 + b1)
        (h @ W2).sum()
        go = np.ones((32, 64))
        gW2 = h.T @ go
        gz = (go @ W2.T) * (1 - h * h)
        return X.T @ gz, gz.sum(0), gW2
    return run


# ---- physics-informed loss ------------------------------------------------------------------
PINN_HIDDEN = 32


def _pinn_params(rng):
    return (np.linspace(-1, 1, 256).reshape(256, 1), rng.standard_normal((1, PINN_HIDDEN)),
            rng.standard_normal(PINN_HIDDEN), rng.standard_normal((PINN_HIDDEN, 1)) * 0.1)


def pinn_maker(lib):
    """u(x) = tanh(x W1 + b1) W2 on 256 points; u'' by two nested grad(create_graph=True);
    loss = mean((u'' + pi^2 sin(pi x))^2); its gradient with respect to W1, b1, W2."""
    xs, W1, b1, W2 = _pinn_params(np.random.default_rng(1))
    x = lib.from_numpy(xs.copy()).requires_grad_()
    f = lib.from_numpy(np.pi ** 2 * np.sin(np.pi * xs))
    W1, b1, W2 = (lib.from_numpy(a.copy()).requires_grad_() for a in (W1, b1, W2))

    def run():
        u = lib.tanh(x @ W1 + b1) @ W2
        du = lib.autograd.grad(u.sum(), x, create_graph=True)[0]
        d2u = lib.autograd.grad(du.sum(), x, create_graph=True)[0]
        loss = ((d2u + f) ** 2).mean()
        return lib.autograd.grad(loss, (W1, b1, W2))
    return run


def pinn_autograd(ag):
    anp = ag.numpy
    xs, W1, b1, W2 = _pinn_params(np.random.default_rng(1))
    f = np.pi ** 2 * np.sin(np.pi * xs)

    def loss(p):
        def u(x):
            return anp.tanh(x @ p[0] + p[1]) @ p[2]
        du = ag.elementwise_grad(u)
        d2u = ag.elementwise_grad(du)(xs)
        return anp.mean((d2u + f) ** 2)
    g = ag.grad(loss)
    return lambda: g((W1, b1, W2))


# ---- large elementwise, reduction, softmax --------------------------------------------------
LARGE = 1_000_000


def large_ew_maker(dtype):
    def make(lib):
        x = lib.from_numpy(np.random.rand(LARGE).astype(dtype)).requires_grad_()

        def run():
            return lib.autograd.grad((x * x + lib.exp(x)).sum(), x)
        return run
    return make


def large_ew_autograd(dtype):
    def make(ag):
        g = ag.grad(lambda x: ag.numpy.sum(x * x + ag.numpy.exp(x)))
        x = np.random.rand(LARGE).astype(dtype)
        return lambda: g(x)
    return make


def large_ew_numpy(dtype):
    """The arithmetic floor: exp once, the forward's sum, the gradient 2x + exp(x)."""
    x = np.random.rand(LARGE).astype(dtype)

    def run():
        e = np.exp(x)
        y = x * x
        y += e
        y.sum()
        g = x + x
        g += e
        return g
    return run


def reduction_maker(lib):
    """sum over the rows of a 1000x1000 float32 matrix, forward + grad with grad_outputs."""
    x = lib.from_numpy(np.random.rand(1000, 1000).astype(np.float32)).requires_grad_()
    go = lib.from_numpy(np.random.rand(1000).astype(np.float32))
    return lambda: lib.autograd.grad(x.sum(1), x, go)


def reduction_autograd(ag):
    go = np.random.rand(1000).astype(np.float32)
    g = ag.grad(lambda x: ag.numpy.sum(ag.numpy.sum(x, 1) * go))
    x = np.random.rand(1000, 1000).astype(np.float32)
    return lambda: g(x)


def reduction_numpy():
    x = np.random.rand(1000, 1000).astype(np.float32)
    go = np.random.rand(1000).astype(np.float32)

    def run():
        x.sum(1)
        return np.broadcast_to(go[:, None], x.shape).copy()
    return run


def softmax_maker(lib):
    """softmax over the last dim of a 1000x1000 float32 matrix, forward + grad with
    grad_outputs."""
    x = lib.from_numpy(np.random.rand(1000, 1000).astype(np.float32)).requires_grad_()
    go = lib.from_numpy(np.random.rand(1000, 1000).astype(np.float32))
    return lambda: lib.autograd.grad(lib.softmax(x, dim=-1), x, go)


def softmax_autograd(ag):
    anp = ag.numpy
    go = np.random.rand(1000, 1000).astype(np.float32)

    def f(x):
        e = anp.exp(x - anp.max(x, axis=-1, keepdims=True))
        return anp.sum(e / anp.sum(e, axis=-1, keepdims=True) * go)
    g = ag.grad(f)
    x = np.random.rand(1000, 1000).astype(np.float32)
    return lambda: g(x)


def softmax_numpy():
    x = np.random.rand(1000, 1000).astype(np.float32)
    go = np.random.rand(1000, 1000).astype(np.float32)

    def run():
        e = np.exp(x - x.max(-1, keepdims=True))
        s = e / e.sum(-1, keepdims=True)
        return s * (go - (go * s).sum(-1, keepdims=True))
    return run


# ---- matmul ---------------------------------------------------------------------------------
def matmul_maker(n, dtype):
    def make(lib):
        rng = np.random.default_rng(2)
        a, b, g = (lib.from_numpy(rng.random((n, n)).astype(dtype)) for _ in range(3))
        a.requires_grad_()
        b.requires_grad_()
        return lambda: lib.autograd.grad(a @ b, (a, b), g)
    return make


def matmul_autograd(n, dtype):
    def make(ag):
        rng = np.random.default_rng(2)
        a, b, g = (rng.random((n, n)).astype(dtype) for _ in range(3))
        vjp = ag.make_vjp(lambda p: p[0] @ p[1])

        def run():
            back, _ = vjp((a, b))
            return back(g)
        return run
    return make


def matmul_numpy(n, dtype):
    """The same three products: C = A B, dA = G B^T, dB = A^T G."""
    rng = np.random.default_rng(2)
    a, b, g = (rng.random((n, n)).astype(dtype) for _ in range(3))
    return lambda: (a @ b, g @ b.T, a.T @ g)


# ============================================================================================
# The list of workloads
# ============================================================================================
def _calls_for(seconds_per_call):
    """Calls per round so that a round lasts about 20 ms (at least one)."""
    return max(1, int(0.02 / seconds_per_call))


def workloads(quick):
    """(name, {library: maker}, calls per round, targets, plot key).

    targets maps a peer column to the largest acceptable pyad/peer ratio; plot key is
    (op name, elements) for the per-op cost plot, or None.
    """
    F32, F64 = np.float32, np.float64
    items = [
        ("chain 100x(sin,*,+) 3x4 f64 fwd+grad",
         {"pyad": chain_maker, "torch": chain_maker, "autograd": chain_autograd,
          "numpy": lambda _: chain_numpy(), "numpy fwd only": lambda _: chain_numpy_forward()},
         50, {"torch": 0.05, "numpy fwd only": 1.0}, None),
        ("seed example body (4 grads)",
         {"pyad": seed_maker, "torch": seed_maker, "numpy": lambda _: seed_numpy()},
         300, {"torch": 0.05}, None),
        ("bare grad (x*x).sum(), 4 elems",
         {"pyad": bare_grad_maker, "torch": bare_grad_maker, "autograd": bare_grad_autograd,
          "numpy": lambda _: bare_grad_numpy()}, 1000, {"torch": 0.05}, None),
    ]
    sizes = (1, 12) if quick else (1, 12, 1000)
    ops = ("a*b", "sin") if quick else ("a+b", "a*b", "sin", "sum")
    for op in ops:
        for n in sizes:
            for with_grad in (False, True):
                items.append((f"tiny {op} n={n}{' grad' if with_grad else ''}",
                              {"pyad": tiny_op_maker(op, n, with_grad),
                               "torch": tiny_op_maker(op, n, with_grad),
                               "numpy": (lambda _, op=op, n=n: tiny_op_numpy(op, n))},
                              3000, {"torch": 0.1} if with_grad else None,
                              (op, n) if with_grad else None))
    if not quick:
        for op in ("a*b", "sin"):      # the plot's larger sizes
            for n in (10_000, 100_000):
                items.append((f"{op} n={n} grad",
                              {"pyad": tiny_op_maker(op, n, True),
                               "torch": tiny_op_maker(op, n, True),
                               "numpy": (lambda _, op=op, n=n: tiny_op_numpy(op, n))},
                              _calls_for(n * 2e-9), None, (op, n)))
    items += [
        ("hessian-vector product, 100 elems",
         {"pyad": hvp_maker, "torch": hvp_maker, "autograd": hvp_autograd,
          "numpy": lambda _: hvp_numpy()}, 200, {"torch": 0.1}, None),
        ("MLP step 32x64 @ 64x64 f64, 3 grads",
         {"pyad": mlp_maker, "torch": mlp_maker, "autograd": mlp_autograd,
          "numpy": lambda _: mlp_numpy()}, 100, {"torch": 0.5}, None),
        ("physics-informed loss, 256 pts, u''",
         {"pyad": pinn_maker, "torch": pinn_maker, "autograd": pinn_autograd},
         10 if quick else 20, {"torch": 0.3}, None),
    ]
    if quick:
        return items
    for dt, dname in ((F64, "f64"), (F32, "f32")):
        items.append((f"(x*x+exp(x)).sum() 1e6 {dname} fwd+grad",
                      {"pyad": large_ew_maker(dt), "torch": large_ew_maker(dt),
                       "autograd": large_ew_autograd(dt),
                       "numpy": lambda _, dt=dt: large_ew_numpy(dt)},
                      3, {"torch": 0.5, "numpy": 1.2}, None))
    items += [
        ("x.sum(1) 1000x1000 f32 fwd+grad",
         {"pyad": reduction_maker, "torch": reduction_maker, "autograd": reduction_autograd,
          "numpy": lambda _: reduction_numpy()}, 5, None, None),
        ("softmax 1000x1000 f32 fwd+grad",
         {"pyad": softmax_maker, "torch": softmax_maker, "autograd": softmax_autograd,
          "numpy": lambda _: softmax_numpy()}, 2, None, None),
    ]
    for n in (64, 384, 1024):
        for dt, dname in ((F32, "f32"), (F64, "f64")):
            tg = {"torch": 1.0} if n == 64 else {"numpy": 1.1}
            items.append((f"matmul {n}x{n} {dname} fwd+grad",
                          {"pyad": matmul_maker(n, dt), "torch": matmul_maker(n, dt),
                           "autograd": matmul_autograd(n, dt),
                           "numpy": lambda _, n=n, dt=dt: matmul_numpy(n, dt)},
                          _calls_for(3 * 2 * n ** 3 / 2e10), tg, None))
    return items


def _time_round(fn, calls):
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def run(quick=False, progress=True, out=sys.stdout, only=None, rounds=None):
    torch = _load_torch()
    ag = _load_autograd()
    libs = {"pyad": pyad, "torch": torch, "numpy": np, "numpy fwd only": np, "autograd": ag}
    rounds = rounds or (5 if quick else 11)
    results = []
    items = [w for w in workloads(quick) if not only or any(o in w[0] for o in only)]
    for wi, (name, makers, calls, targets, plot_key) in enumerate(items):
        if progress:
            print(f"\r[{wi + 1}/{len(items)}] {name:<48}", end="", file=sys.stderr, flush=True)
        fns = {}
        for lib_name, maker in makers.items():
            if libs[lib_name] is None:
                continue
            fns[lib_name] = maker(libs[lib_name])
            fns[lib_name]()          # warm up (and fail early)
        if quick:
            calls = max(1, calls // 4)
        samples = {k: [] for k in fns}
        for _ in range(rounds):
            for lib_name, fn in fns.items():
                samples[lib_name].append(_time_round(fn, calls))
        med = {k: float(np.median(v)) * 1e6 for k, v in samples.items()}
        results.append({"workload": name, "median_us": med, "targets": targets,
                        "plot": list(plot_key) if plot_key else None})
        del fns
    if progress:
        print("\r" + " " * 70 + "\r", end="", file=sys.stderr, flush=True)
    print_table(results, out)
    return results


def target_notes(r):
    """[(peer, ratio, limit, met)] for each target of one result whose peer was measured."""
    m = r["median_us"]
    notes = []
    for peer, limit in (r.get("targets") or {}).items():
        if peer in m:
            ratio = m["pyad"] / m[peer]
            notes.append((peer, ratio, limit, ratio <= limit))
    return notes


def _fmt(v):
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def print_table(results, out=sys.stdout, markdown=False):
    cols = ["pyad", "torch", "numpy", "autograd"]
    if markdown:
        print("| workload | pyad us | torch us | numpy us | autograd us | pyad/torch | "
              "pyad/numpy | target |", file=out)
        print("|---|---:|---:|---:|---:|---:|---:|---|", file=out)
    else:
        print(f"{'workload':<40} {'pyad us':>9} {'torch us':>9} {'numpy us':>9} "
              f"{'autograd':>9} {'p/torch':>8} {'p/numpy':>8}  targets", file=out)
    for r in results:
        m = r["median_us"]
        cells = [_fmt(m[c]) if c in m else "-" for c in cols]
        vs_t = f"{m['pyad'] / m['torch']:.3f}" if "torch" in m else "-"
        vs_n = f"{m['pyad'] / m['numpy']:.3f}" if "numpy" in m else "-"
        tn = []
        for peer, ratio, limit, ok in target_notes(r):
            what = "numpy fwd" if peer == "numpy fwd only" else peer
            tn.append(f"vs {what} {ratio:.3f} <= {limit}: {'met' if ok else 'MISSED'}")
        note = "; ".join(tn)
        if "numpy fwd only" in m:
            note += f" (numpy forward alone {m['numpy fwd only']:.1f} us)"
        if markdown:
            print(f"| {r['workload']} | {' | '.join(cells)} | {vs_t} | {vs_n} | {note} |",
                  file=out)
        else:
            print(f"{r['workload']:<40} {' '.join(f'{c:>9}' for c in cells)} {vs_t:>8} "
                  f"{vs_n:>8}  {note}", file=out)


# ============================================================================================
# Peak memory and import time: each measured in a fresh interpreter
# ============================================================================================
_MEM_SCRIPT = r"""
import sys, numpy as np
lib = sys.argv[1]
dtype = np.float64
def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
if lib == "pyad":
    import pyad as L
else:
    import torch as L
    L.set_num_threads(1)
w = L.from_numpy(np.random.rand(1000)).requires_grad_()   # load code paths, not memory
L.autograd.grad((w * w + L.exp(w)).sum(), w)
x = L.from_numpy(np.random.rand(%d).astype(dtype)).requires_grad_()
base = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
g = L.autograd.grad((x * x + L.exp(x)).sum(), x)
print((status("VmHWM:") - base) / 1024.0)
""" % LARGE


def peak_memory():
    """Peak resident memory added by the forward and grad() of (x*x + exp(x)).sum() on 1e6
    float64 elements, in MiB, per library, in a fresh interpreter (so pyad's block cache starts
    empty and counts in full). Linux only: /proc/self/clear_refs resets the peak."""
    if not os.path.exists("/proc/self/clear_refs"):
        return {}
    res = {}
    for lib in ("pyad", "torch"):
        if lib == "torch" and _load_torch() is None:
            continue
        vals = []
        for _ in range(3):
            p = subprocess.run([sys.executable, "-c", _MEM_SCRIPT, lib], capture_output=True,
                               text=True)
            if p.returncode != 0:
                break
            vals.append(float(p.stdout.split()[-1]))
        if vals:
            res[lib] = min(vals)
    return res


def import_times(repeats=15):
    """Median wall time (ms) of `import numpy` and `import pyad` in fresh interpreters."""
    res = {}
    for mod in ("numpy", "pyad"):
        ts = []
        for _ in range(repeats):
            p = subprocess.run([sys.executable, "-c",
                                f"import time; t = time.perf_counter(); import {mod}; "
                                f"print(time.perf_counter() - t)"],
                               capture_output=True, text=True)
            ts.append(float(p.stdout.split()[-1]) * 1e3)
        res[mod] = float(np.median(ts))
    return res


def print_extras(mem, imp, out=sys.stdout):
    if mem:
        line = ", ".join(f"{k} {v:.1f} MiB" for k, v in mem.items())
        note = ""
        if "torch" in mem:
            note = f"  target <= torch: {'met' if mem['pyad'] <= mem['torch'] else 'MISSED'}"
        print(f"peak memory of (x*x+exp(x)).sum() + grad, 1e6 f64: {line}{note}", file=out)
    if imp:
        r = imp["pyad"] / imp["numpy"]
        print(f"import time: numpy {imp['numpy']:.1f} ms, pyad {imp['pyad']:.1f} ms "
              f"(ratio {r:.2f}, target <= 1.5: {'met' if r <= 1.5 else 'MISSED'})", file=out)


# ============================================================================================
# Plot
# ============================================================================================
def plot(results, path, title=""):
    """Per-op cost (microseconds, log) against tensor size (log) for each library."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot: matplotlib is not installed, no plot written", file=sys.stderr)
        return False
    ops = sorted({r["plot"][0] for r in results if r.get("plot")})
    if not ops:
        return False
    fig, axes = plt.subplots(1, len(ops), figsize=(4.2 * len(ops), 3.4), squeeze=False)
    for ax, op in zip(axes[0], ops):
        rows = sorted((r["plot"][1], r["median_us"]) for r in results
                      if r.get("plot") and r["plot"][0] == op)
        for lib, style in (("pyad", "o-"), ("torch", "s-"), ("numpy", "^--")):
            pts = [(n, m[lib]) for n, m in rows if lib in m]
            if pts:
                label = lib + (" (forward only)" if lib == "numpy" else "")
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label, ms=4)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("elements (float64)")
        ax.set_ylabel("us per op (forward, recorded)")
        ax.set_title(f"{op} with requires_grad", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


def machine_line():
    torch = _load_torch()
    ag = _load_autograd()
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    agv = "not installed"
    if ag is not None:
        try:
            from importlib.metadata import version
            agv = version("autograd")
        except Exception:
            agv = "installed"
    return (f"{cpu} ({platform.machine()}, {os.cpu_count()} cores) {platform.system()}, "
            f"Python {platform.python_version()}, numpy {np.__version__}, "
            f"torch {torch.__version__ if torch else 'not installed'}, autograd {agv}, "
            f"pyad {pyad.__version__}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m pyad.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer workloads and repeats")
    ap.add_argument("--only", nargs="+", metavar="WORD",
                    help="run only the workloads whose name contains one of these words")
    ap.add_argument("--rounds", type=int, help="interleaved rounds per workload (default 11)")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON")
    ap.add_argument("--plot", metavar="FILE.png", help="plot per-op cost against tensor size")
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    ap.add_argument("--no-extras", action="store_true",
                    help="skip the peak-memory and import-time measurements")
    args = ap.parse_args(argv)
    machine = machine_line()
    print(machine)
    results = run(quick=args.quick, only=args.only, rounds=args.rounds,
                  progress=sys.stderr.isatty())
    mem = imp = {}
    if not (args.no_extras or args.quick or args.only):
        mem = peak_memory()
        imp = import_times()
        print_extras(mem, imp)
    if args.markdown:
        print()
        print_table(results, markdown=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "results": results, "peak_memory_mib": mem,
                       "import_ms": imp}, f, indent=1)
    if args.plot:
        plot(results, args.plot, title=machine)


if __name__ == "__main__":
    main()
