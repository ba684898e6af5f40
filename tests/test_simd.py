"""The AVX2 and AVX-512 copies of the hot loops give the same bits as the baseline loops.

pyad_kernels.h compiles its vectorisable contiguous loops for the baseline and AVX2 (the
hottest also for AVX-512) and picks the best copy the CPU has at import; PYAD_SIMD=0 keeps the
baseline copies, PYAD_SIMD=2 at most AVX2. Neither copy may reassociate
or fuse (no -ffast-math, -ffp-contract=off), so every value and gradient must be identical.
The battery runs in two child processes, one per setting, and compares raw bytes.
"""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import pyad

BATTERY = r'''
import hashlib, sys
import numpy as np
import pyad

out = hashlib.sha256()
def put(t):
    out.update(np.ascontiguousarray(t.detach().numpy()).tobytes())

rng = np.random.default_rng(7)
for dt in (pyad.float32, pyad.float64):
    for n in (1, 3, 15, 16, 17, 31, 64, 127, 128, 129, 1000, 1003, 4099, 100003):
        raw = rng.standard_normal(n + 1) * 3
        raw[::7] = np.abs(raw[::7]) + 0.5
        # [1:] starts one element in: runs that are not 32-byte aligned
        x = pyad.tensor(raw, dtype=dt)[1:].clone().requires_grad_(True)
        y = pyad.tensor(rng.standard_normal(n) + 4, dtype=dt)
        xs = pyad.tensor(raw, dtype=dt)[1:]
        results = [x + y, x - y, x * y, x / y, x + 2.5 * y, -x, x.abs(), x.relu(), x.sign(),
                   x.reciprocal(), x * 1.01, x + 0.5, x / 3.0, 1.5 - x, y.sqrt(), x * x,
                   x.tanh(), x.sigmoid(), xs.sum(), x * y[:1], x.sum() * x,
                   pyad.add(x, y, alpha=-3.0), x.sum(), x.sin(), x.cos(), (x * 1e4).sin()]
        for r in results:
            put(r)
        loss = ((x * x).sum() + (x * y).sum() + x.tanh().sum() + x.sigmoid().sum()
                + (x.relu() * y).sum() + (x.abs() / y).sum() + y.sqrt().sum()
                + (x.reciprocal() * 1e-3).sum() + x.sin().sum() + (x.cos() * y).sum())
        g, = pyad.autograd.grad(loss, x, create_graph=True)
        put(g)
        h, = pyad.autograd.grad((g * g).sum(), x)
        put(h)
        m = pyad.tensor(rng.standard_normal((n, 5)), dtype=dt)
        put(m.sum(0)); put(m.sum(1)); put(m.t().sum(1)); put(m.mean())
print(pyad._C._simd_level(), out.hexdigest())
'''


def _battery(simd):
    env = dict(os.environ, PYAD_SIMD=simd)
    r = subprocess.run([sys.executable, "-c", BATTERY], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    level, digest = r.stdout.split()
    return int(level), digest


def test_simd_level_is_reported():
    assert pyad._C._simd_level() in (0, 2, 3)


@pytest.mark.parametrize("level", ["2", ""])
def test_simd_loops_give_the_baseline_bits(level):
    base_level, base = _battery("0")
    got_level, got = _battery(level)
    assert base_level == 0
    if got_level == 0:
        pytest.skip("this CPU has no AVX2: only the baseline loops run")
    assert got == base, f"level {got_level} differs from the baseline"


@pytest.mark.parametrize("dtype", [pyad.float32, pyad.float64])
@pytest.mark.parametrize("n", [0, 1, 127, 128, 129, 1000, 65537, 1000003])
def test_sum_cascade_error_is_small(dtype, n):
    rng = np.random.default_rng(n)
    raw = rng.standard_normal(n) + 1.0
    x = pyad.tensor(raw, dtype=dtype)
    exact = math.fsum(x.numpy().astype(np.float64))
    got = float(x.sum())
    # accumulation is in float64 with a pairwise-style cascade: the error of the sum itself
    # stays near float64 rounding; float32's result is then rounded once
    tol = (np.finfo(np.float32).eps if dtype == pyad.float32 else 64 * np.finfo(float).eps)
    assert abs(got - exact) <= tol * max(1.0, math.fsum(np.abs(raw)))
