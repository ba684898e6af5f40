"""pyad's benchmark suite: the same workloads with pyad, PyTorch and numpy, in one process.

    python -m pyad.bench                 # all workloads
    python -m pyad.bench --quick         # fewer repeats (what `python -m pyad` shows)
    python -m pyad.bench --json out.json # also write the results

Libraries are interleaved round by round so machine noise hits them alike; each cell is the
median over rounds of the mean time per call within a round. PyTorch runs single-threaded
(torch.set_num_threads(1)) and is skipped when it is not installed. numpy has no autograd: its
column is a hand-written forward + backward of the same function, or the forward alone where
that is noted, which is the floor a tape-free implementation would pay.
"""
import argparse
import json
import math
import platform
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


# ============================================================================================
# Workloads: each maker takes the library module and returns a zero-argument callable.
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


def workloads(quick):
    """(name, {library: callable maker}, calls per round, target ratio vs torch or None)."""
    items = [
        ("chain 100x(sin,*,+) 3x4 f64 fwd+grad", {"pyad": chain_maker, "torch": chain_maker,
                                                  "numpy": lambda _: chain_numpy(),
                                                  "numpy fwd only": lambda _: chain_numpy_forward()},
         50, 0.1),
        ("seed example body (4 grads)", {"pyad": seed_maker, "torch": seed_maker,
                                         "numpy": lambda _: seed_numpy()}, 300, 0.1),
        ("bare grad (x*x).sum(), 4 elems", {"pyad": bare_grad_maker, "torch": bare_grad_maker,
                                            "numpy": lambda _: bare_grad_numpy()}, 1000, 0.1),
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
                              3000, None))
    return items


def _time_round(fn, calls):
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def run(quick=False, progress=True, out=sys.stdout):
    torch = _load_torch()
    libs = {"pyad": pyad, "torch": torch, "numpy": np, "numpy fwd only": np}
    rounds = 5 if quick else 11
    results = []
    items = workloads(quick)
    for wi, (name, makers, calls, target) in enumerate(items):
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
        results.append({"workload": name, "median_us": med, "target_vs_torch": target})
    if progress:
        print("\r" + " " * 70 + "\r", end="", file=sys.stderr, flush=True)
    print_table(results, out)
    return results


def print_table(results, out=sys.stdout):
    cols = ["pyad", "torch", "numpy"]
    print(f"{'workload':<40} {'pyad us':>9} {'torch us':>9} {'numpy us':>9} "
          f"{'pyad/torch':>10} {'pyad/numpy':>10}", file=out)
    for r in results:
        m = r["median_us"]
        cells = [f"{m[c]:9.2f}" if c in m else f"{'-':>9}" for c in cols]
        vs_t = f"{m['pyad'] / m['torch']:10.3f}" if "torch" in m else f"{'-':>10}"
        vs_n = f"{m['pyad'] / m['numpy']:10.3f}" if "numpy" in m else f"{'-':>10}"
        note = ""
        if r["target_vs_torch"] is not None and "torch" in m:
            ok = m["pyad"] / m["torch"] <= r["target_vs_torch"]
            note = f"  target <= {r['target_vs_torch']}: {'met' if ok else 'MISSED'}"
        if "numpy fwd only" in m:
            note += f"  (numpy forward alone {m['numpy fwd only']:.1f} us)"
        print(f"{r['workload']:<40} {' '.join(cells)} {vs_t} {vs_n}{note}", file=out)


def machine_line():
    torch = _load_torch()
    return (f"{platform.machine()} {platform.system()}, Python {platform.python_version()}, "
            f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, "
            f"pyad {pyad.__version__}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m pyad.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer workloads and repeats")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON")
    args = ap.parse_args(argv)
    print(machine_line())
    results = run(quick=args.quick)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine_line(), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
