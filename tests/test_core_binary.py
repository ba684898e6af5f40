"""The core arithmetic (add, sub, mul, div, pow and their forms with a Python number) as op
table entries (csrc/op_table.py, Binary(..., kernels=)): the numeric backward runs the hand-tuned
kernels the entry names, the recorded one (create_graph=True) is generated from the entry's
derivatives. Here the kernels are checked against the formulas at special values (NaN, +-inf,
+-0, ties, tiny and huge numbers) in float32 and float64, through both numeric paths (a gradient
written to its own buffer, and one added straight into an input's gradient, accumulate_product),
with uniform and non-uniform incoming gradients, and both against torch; and the generator's
branch on parameters alone is checked to record only the branch it takes.
"""
import math
import os
import sys

import numpy as np
import pytest

import pyad
from pyad import _C

torch = pytest.importorskip("torch")

CORE = {e["name"]: e for e in _C._OP_TABLE if e["kind"] == "core"}
SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, 2.0, 3.0,
           1e-30, -1e-30, 1e30]
NUMBERS = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 2.5, 3.0, math.nan, math.inf, -math.inf]
RTOL = {"float32": 2e-6, "float64": 1e-14}

TENSOR_FORMS = {
    "add": [lambda x, y: x + y, lambda x, y: x.add(y, alpha=2.5),
            lambda x, y: x.add(y, alpha=-1.0)],
    "sub": [lambda x, y: x - y, lambda x, y: x.sub(y, alpha=2.5),
            lambda x, y: x.sub(y, alpha=-1.0)],
    "mul": [lambda x, y: x * y],
    "div": [lambda x, y: x / y],
    "pow": [lambda x, y: x ** y],
}
NUMBER_FORMS = {   # opcode -> c op x, as the form computes it
    "OP_ADDS": [lambda x, c: x + c, lambda x, c: c + x, lambda x, c: x - c],
    "OP_RSUBS": [lambda x, c: c - x],
    "OP_MULS": [lambda x, c: x * c, lambda x, c: c * x],
    "OP_DIVS": [lambda x, c: x / c],
    "OP_POWS": [lambda x, c: x ** c],
    "OP_RPOWS": [lambda x, c: c ** x],
}


def assert_same(got, want, rtol, what):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, what
    assert (np.isnan(got) == np.isnan(want)).all(), f"{what}: NaN pattern"
    inf_g, inf_w = np.isinf(got), np.isinf(want)
    assert ((inf_g == inf_w) & (~inf_g | (np.sign(got) == np.sign(want)))).all(), \
        f"{what}: inf pattern"
    fin = np.isfinite(want)
    tol = rtol * np.abs(want[fin]) + (1e-36 if rtol > 1e-8 else 1e-300)
    assert (np.abs(got[fin] - want[fin]) <= tol).all(), f"{what}: {got[fin]} vs {want[fin]}"


def pyad_grads(fn, xs, gout, create_graph, accumulate):
    """The gradients of fn(*xs) given gout (None: through sum(), a uniform gradient);
    accumulate: through fn(*xs) + xs[k] * 1 per input too, so each input's gradient slot already
    holds a buffer when fn's node runs (the accumulate_product path)."""
    ts = [pyad.tensor(x, requires_grad=True) for x in xs]
    out = fn(*ts)
    if accumulate:
        for t in ts:
            out = out + (t * 1.0)
    if gout is None:
        gs = pyad.autograd.grad(out.sum(), ts, create_graph=create_graph, allow_unused=True)
    else:
        gs = pyad.autograd.grad(out, ts, pyad.tensor(gout), create_graph=create_graph,
                                allow_unused=True)
    return [g.detach().numpy() for g in gs]


def torch_grads(fn, xs, gout):
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    out = fn(*ts)
    g = torch.ones_like(out) if gout is None else torch.tensor(gout)
    return [g.numpy() for g in torch.autograd.grad(out, ts, g, allow_unused=True)]


def grid(dtype):
    x = np.array([a for a in SPECIAL for _ in SPECIAL], dtype=dtype)
    y = np.array([b for _ in SPECIAL for b in SPECIAL], dtype=dtype)
    return x, y


def test_the_core_entries_and_their_forms():
    assert sorted(CORE) == ["add", "div", "mul", "pow", "sub"]
    forms = sorted((f[1], f[2], f[3]) for e in CORE.values() for f in e["forms"])
    assert forms == sorted([("c ** y", "PowBackward2", "OP_RPOWS"),
                            ("c - alpha * y", "RsubBackward1", "OP_RSUBS"),
                            ("x ** c", "PowBackward0", "OP_POWS"),
                            ("x * c", "MulBackward0", "OP_MULS"),
                            ("x + c", "AddBackward0", "OP_ADDS"),
                            ("x - c", "SubBackward0", "OP_ADDS"),
                            ("x / c", "DivBackward0", "OP_DIVS")])
    x = pyad.tensor([1.0, 2.0], requires_grad=True)
    for fwd, grad_fn, opcode in forms:
        fn = NUMBER_FORMS[opcode][2 if fwd == "x - c" else 0]
        assert type(fn(x, 2.0).grad_fn).__name__ == grad_fn
    assert type((x * x).grad_fn).__name__ == CORE["mul"]["grad_fn"]
    assert type((x ** x).grad_fn).__name__ == CORE["pow"]["grad_fn"]


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("uniform", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(TENSOR_FORMS))
def test_tensor_form_kernels_match_the_formula_and_torch(name, dtype, uniform, accumulate):
    x, y = grid(dtype)
    gout = None if uniform else np.resize(np.array([1.0, -2.5, 0.5, 3.0, -0.0], dtype), x.size)
    for fn in TENSOR_FORMS[name]:
        numeric = pyad_grads(fn, (x, y), gout, False, accumulate)
        recorded = pyad_grads(fn, (x, y), gout, True, accumulate)
        for k in range(2):
            # the kernels against the generated formula: the same steps, so the same values
            # (pow's log is numpy's SIMD loop in one and libm's in the other: a few ulps)
            assert_same(numeric[k], recorded[k], RTOL[dtype], f"{name} {dtype} input {k}")
        if not accumulate:
            want = torch_grads(fn, (x, y), gout)
            for k in range(2):
                assert_same(numeric[k], want[k], 100 * RTOL[dtype], f"{name} torch input {k}")


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("opcode", sorted(NUMBER_FORMS))
def test_number_form_kernels_match_the_formula_and_torch(opcode, dtype, accumulate):
    x = np.array(SPECIAL, dtype=dtype)
    gout = np.resize(np.array([1.0, -2.5, 0.5, 3.0], dtype), x.size)
    for fn in NUMBER_FORMS[opcode]:
        for c in NUMBERS:
            def f(t, c=c, fn=fn):
                return fn(t, c)
            for g in (None, gout):
                numeric = pyad_grads(f, (x,), g, False, accumulate)[0]
                recorded = pyad_grads(f, (x,), g, True, accumulate)[0]
                assert_same(numeric, recorded, RTOL[dtype], f"{opcode} c={c} {dtype}")
                if not accumulate:
                    want = torch_grads(f, (x,), g)[0]
                    assert_same(numeric, want, 100 * RTOL[dtype], f"{opcode} c={c} torch")


@pytest.mark.parametrize("form", ["x * y", "x / y", "x ** y", "x - 2.5y", "x ** 3", "3 ** x",
                                  "2 - x", "x / 3"])
def test_second_derivatives_like_torch(form):
    fns = {"x * y": lambda x, y: x * y * x, "x / y": lambda x, y: x / y,
           "x ** y": lambda x, y: x ** y, "x - 2.5y": lambda x, y: (x.sub(y, alpha=2.5)) * x,
           "x ** 3": lambda x, y: x ** 3 * y, "3 ** x": lambda x, y: 3.0 ** x * y,
           "2 - x": lambda x, y: (2.0 - x) * x * y, "x / 3": lambda x, y: (x / 3.0) * x * y}
    fn = fns[form]
    xs = (np.array([0.5, 1.5, 2.0, 3.0]), np.array([1.25, -0.5, 2.0, 0.75]))
    got, want = [], []
    for lib, out in ((pyad, got), (torch, want)):
        ts = [lib.tensor(v, requires_grad=True) for v in xs]
        g1 = lib.autograd.grad(fn(*ts).sum(), ts, create_graph=True)
        g2 = lib.autograd.grad(sum(g.sum() for g in g1), ts, allow_unused=True)
        out += [g.detach().numpy() if g is not None else np.zeros(4) for g in g1 + g2]
    for a, b in zip(got, want):
        assert_same(a, b, 1e-12, form)


def test_the_generated_add_records_only_the_branch_its_alpha_takes():
    csrc = os.path.join(os.path.dirname(__file__), "..", "csrc")
    if not os.path.exists(os.path.join(csrc, "gen_op_table.py")):
        pytest.skip("not a source checkout (the installed wheel has no csrc/)")
    sys.path.insert(0, csrc)
    try:
        import gen_op_table
    finally:
        sys.path.pop(0)
    code = next(c for c in gen_op_table.build() if c.op.name == "add")
    rec = "\n".join(code.tensor_rec())
    # alpha == 1 hands on g itself (torch's maybe_multiply): no product is recorded then
    branch = rec.split("if (c[0] == 1.0):")[1].split("else:")
    assert "t_muls" not in branch[0] and "t_muls" in branch[1]


def test_a_branch_on_the_parameters_alone_records_only_the_branch_taken():
    x = pyad.tensor([1.0, 2.0], requires_grad=True)
    y = pyad.tensor([3.0, 4.0], requires_grad=True)
    g = pyad.tensor([1.0, 1.0], requires_grad=True)
    gx, gy = pyad.autograd.grad(x + y, (x, y), g, create_graph=True)
    assert gy is g and gx is g
    _, gy = pyad.autograd.grad(x.add(y, alpha=2.0), (x, y), g, create_graph=True)
    assert type(gy.grad_fn).__name__ == "MulBackward0"
    # x ** 0: zeros of the input's shape, recording nothing, as torch's
    (gz,) = pyad.autograd.grad((x ** 0.0).sum(), (x,), create_graph=True)
    assert gz.tolist() == [0.0, 0.0] and gz.grad_fn is None
