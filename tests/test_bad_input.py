"""The bad-input catalogue: one case per kind of misuse, run with pyad and with PyTorch.

Each case is a short snippet. Snippets run in subprocesses (a segfault, an abort or a hang is a
failed case, never a dead pytest): one subprocess per group for the module under test, one for
torch (the reference), each reporting every case's outcome as a JSON line. If a batch dies or
times out, the first case that did not report runs alone in its own subprocess (so the culprit
is named: its crash is its outcome) and a new batch continues with the rest. The
subprocesses run under an 8 GiB address-space limit, so an allocation that could exhaust the
machine fails fast in both libraries instead.

How a case is judged (its ``expect``):

- ``SAME`` (the default): both raise, the same exception type, and the same message once
  torch's ``torch.`` is written ``pyad.`` (torch's C++ backtrace, if any, is cut off).
- ``T(why, *words)``: both raise the same type; the messages cannot match exactly (``why``
  says why) but pyad's names the problem: it contains every one of ``words``.
- ``VAL``: both succeed with the same result (dtype, shape and every value, NaN included).
  Whatever the expectation (but ``DIFF``), a snippet torch accepts must give that result.
- ``DIFF(exc, why, *words)``: a deliberate difference listed in docs/differences.md: pyad
  raises ``exc`` naming the problem, whatever torch does.

``WORDING`` lists cases where both raise the same type but torch words it otherwise (mostly
its generated argument-parser messages); ``KNOWN`` lists differences not fixed yet (mostly huge
ints raising OverflowError where torch raises ValueError/TypeError/IndexError, numpy integers
as dims or sizes, and torch's own exception types for non-tensor arguments): each is a strict
xfail where torch is installed (without it those cases cannot be judged), so fixing one shows up.

Snippets see ``M`` (the module), ``np``, ``pickle``, ``F`` (``M.nn.functional``), ``LA``
(``M.linalg``), ``grad`` (``M.autograd.grad``) and ``R(*shape, rg=False, dtype=None)``, an
arange of the given shape (float32 unless ``dtype``) that requires grad if ``rg``. A snippet is
one expression (its value is the result) or statements that may set ``out``.

Without torch only "no crash, no hang" and the ``DIFF`` cases are checked.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import AGAINST_TORCH, MODULE_NAME, module_path_env

BATCH_TIMEOUT = 240   # seconds for one group (torch: all groups); generous on a loaded machine
CASE_TIMEOUT = 60     # one case alone after its batch died
ADDRESS_SPACE = 8 << 30

# Only Linux enforces RLIMIT_AS (macOS accepts the limit and ignores it; Windows has no
# resource module). Elsewhere the cases that rely on the cap (HUGE_ALLOCATIONS) are skipped.
ADDRESS_SPACE_CAPPED = sys.platform.startswith("linux")

WORKER = r"""
import ctypes, json, math, pickle, sys
# the cap makes huge allocations fail fast; AddressSanitizer (tools/sanitize.sh preloads it)
# reserves terabytes of shadow address space, so there the cap is left off and its
# allocator_may_return_null=1 turns those allocations into MemoryError instead
if %(capped)s and not hasattr(ctypes.CDLL(None), "__asan_init"):
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (%(limit)d, %(limit)d))
import numpy as np
M = __import__(sys.argv[1])
F = M.nn.functional
LA = M.linalg
grad = M.autograd.grad

def R(*shape, rg=False, dtype=None):
    n = 1
    for s in shape:
        n *= s
    t = M.arange(n).reshape(shape).to(dtype or M.float32)
    return t.requires_grad_() if rg else t

def enc_num(v):
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    return v

def enc(v):
    if isinstance(v, M.Tensor):
        def walk(x):
            return [walk(y) for y in x] if isinstance(x, list) else enc_num(x)
        return {"dtype": str(v.dtype).split(".")[-1], "shape": list(v.shape),
                "values": walk(v.detach().tolist()), "requires_grad": v.requires_grad}
    if isinstance(v, (list, tuple)):
        return [enc(y) for y in v]
    if isinstance(v, (bool, int, str)) or v is None:
        return v
    if isinstance(v, float):
        return enc_num(v)
    if isinstance(v, M.dtype):
        return str(v).split(".")[-1]
    return {"type": type(v).__name__}

cases = json.loads(sys.stdin.read())
for cid, code in cases:
    ns = {"M": M, "np": np, "pickle": pickle, "F": F, "LA": LA, "grad": grad, "R": R}
    try:
        try:
            compiled, is_expr = compile(code, cid, "eval"), True
        except SyntaxError:
            compiled, is_expr = compile(code, cid, "exec"), False
        if is_expr:
            value = eval(compiled, ns)
        else:
            exec(compiled, ns)
            value = ns.get("out")
        res = {"ok": enc(value)}
    except Exception as e:
        msg = str(e).split("\nException raised from")[0]
        res = {"exc": type(e).__name__, "msg": msg}
    sys.stdout.write("@@case " + json.dumps([cid, res], default=repr) + "\n")
    sys.stdout.flush()
sys.stdout.write("@@done\n")
""" % {"limit": ADDRESS_SPACE, "capped": ADDRESS_SPACE_CAPPED}


def _run_worker(module, cases, timeout):
    """{case id: outcome} for the cases that reported, and a description if the process died."""
    env = module_path_env() if module == MODULE_NAME else dict(os.environ)
    try:
        proc = subprocess.run([sys.executable, "-c", WORKER, module], input=json.dumps(cases),
                              capture_output=True, text=True, timeout=timeout, env=env)
        out, died = proc.stdout, None
        if proc.returncode != 0 or "@@done" not in out:
            died = f"exit status {proc.returncode}; stderr: {proc.stderr[-2000:]}"
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        died = f"timed out after {timeout} s"
    results = {}
    for line in out.splitlines():
        if line.startswith("@@case "):
            cid, res = json.loads(line[len("@@case "):])
            results[cid] = res
    return results, died


def run_cases(module, cases):
    """Outcomes of (id, code) cases: one batch; if it dies, the first case that did not report
    runs alone in its own subprocess (a crash there is that case's outcome) and a new batch
    goes on with the rest."""
    results = {}
    todo = list(cases)
    while todo:
        res, died = _run_worker(module, todo, BATCH_TIMEOUT)
        results.update(res)
        rest = [c for c in todo if c[0] not in res]
        if died is None or not rest:
            break
        culprit = rest[0]
        alone, alone_died = _run_worker(module, [culprit], CASE_TIMEOUT)
        results[culprit[0]] = alone.get(culprit[0]) if alone_died is None else {"crash": alone_died}
        todo = rest[1:]
    return results


# ============================================================================================
# Expectations
# ============================================================================================
SAME = ("same",)
VAL = ("value",)


def T(why, *words):
    """Same exception type; pyad's message contains every one of `words`."""
    return ("type", why, words)


def CONVERTS(why, *words):
    """A list, array or scalar operand: pyad converts it (differences.md, "Operands"), so where
    torch raises a TypeError pyad may return a tensor; otherwise as T(why, *words)."""
    return ("converts", why, words)


def ACCEPTS(why):
    """A documented difference (differences.md): pyad returns the right result (the snippet
    checks it and evaluates to True) where torch refuses the input."""
    return ("accepts", why)


def DIFF(exc, why, *words):
    """A difference documented in docs/differences.md: pyad raises `exc` naming the problem."""
    return ("diff", exc, why, words)


# torch's private subclasses, named as pyad names them
TORCH_TYPE_NAMES = {"_LinAlgError": "LinAlgError"}


def _describe(res):
    if res is None:
        return "no outcome reported"
    if "crash" in res:
        return "CRASH: " + res["crash"]
    if "exc" in res:
        return f"raised {res['exc']}: {res['msg']}"
    return f"returned {json.dumps(res['ok'])[:400]}"


def check(expect, mine, ref, code):
    """Judge the module under test's outcome `mine` against torch's `ref` (None: no torch)."""
    assert mine is not None and "crash" not in mine, f"{code!r}: {_describe(mine)}"
    kind = expect[0]
    if kind == "accepts":
        if AGAINST_TORCH:
            pytest.skip("a documented pyad difference")
        assert mine.get("ok") is True, f"{code!r}: {_describe(mine)} ({expect[1]})"
        return
    if kind == "diff":
        if AGAINST_TORCH:
            pytest.skip("a documented pyad difference")
        exc, why, words = expect[1:]
        assert "exc" in mine and mine["exc"] == exc, f"{code!r}: {_describe(mine)} ({why})"
        for w in words:
            assert w in mine["msg"], f"{code!r}: message lacks {w!r}: {mine['msg']}"
        return
    if ref is None:
        return
    assert "crash" not in ref, f"torch crashed on {code!r}: {ref['crash']}"
    ctx = f"{code!r}\n  {MODULE_NAME}: {_describe(mine)}\n  torch: {_describe(ref)}"
    if kind == "converts" and ref.get("exc") == "TypeError" and "ok" in mine:
        assert isinstance(mine["ok"], dict) and "dtype" in mine["ok"], ctx
        return
    if ref.get("exc") == "AttributeError" and mine.get("exc") == "TypeError":
        return      # torch's Python wrapper fails on the non-tensor (differences.md, "Operands")
    if kind == "value" or "ok" in ref:      # what torch accepts, pyad computes the same
        assert "ok" in ref, f"the reference raised: {ctx}"
        assert "ok" in mine and mine["ok"] == ref["ok"], ctx
        return
    assert "exc" in ref, f"torch accepts this: {ctx}"
    assert "exc" in mine, f"{MODULE_NAME} accepts what torch rejects: {ctx}"
    ref_type = TORCH_TYPE_NAMES.get(ref["exc"], ref["exc"])
    assert mine["exc"] == ref_type, ctx
    if kind == "same":
        assert mine["msg"] == ref["msg"].replace("torch.", MODULE_NAME + "."), ctx
    else:
        why, words = expect[1:]
        for w in words:
            assert w in mine["msg"], f"message lacks {w!r} ({why}): {ctx}"


# ============================================================================================
# The catalogue: {group: [(id, code, expect)]}
# ============================================================================================
CATALOGUE: dict[str, list] = {}


def group(name, *cases, default=SAME):
    rows = CATALOGUE.setdefault(name, [])
    for c in cases:
        cid, code = c[0], c[1]
        expect = c[2] if len(c) > 2 else default
        rows.append((f"{name}/{cid}", code, expect))


# --- wrong shapes for every broadcasting binary op ------------------------------------------
_BINARY_FUNCS = ["add", "sub", "mul", "div", "true_divide", "pow", "maximum", "minimum",
                 "atan2", "hypot", "fmod", "remainder", "floor_divide", "eq", "ne", "lt", "le",
                 "gt", "ge", "logical_and", "logical_or", "logical_xor"]
_OPERATORS = ["+", "-", "*", "/", "**", "==", "!=", "<", "<=", ">", ">="]
_BAD_PAIRS = {"2x3_4": ("R(2, 3)", "R(4)"), "2x3_3x2": ("R(2, 3)", "R(3, 2)"),
              "0_2": ("R(0)", "R(2)"), "2x1x3_4x2": ("R(2, 1, 3)", "R(4, 2)")}
group("broadcast",
      *[(f"{f}_{p}", f"M.{f}({a}, {b})") for f in _BINARY_FUNCS for p, (a, b) in _BAD_PAIRS.items()],
      *[(f"method_{f}", f"R(2, 3).{f}(R(4))") for f in _BINARY_FUNCS],
      *[(f"op{i}_{p}", f"{a} {op} {b}") for i, op in enumerate(_OPERATORS)
        for p, (a, b) in _BAD_PAIRS.items()],
      *[(f"op{i}_grad", f"R(2, 3, rg=True) {op} R(3, 2, rg=True)") for i, op in enumerate(_OPERATORS)],
      ("where_cond", "M.where(R(3) > 1, R(2, 3), R(4))"),
      ("where_mask_shape", "M.where(M.ones(4, dtype=M.bool), R(2, 3), R(3))"),
      ("where_method", "R(2, 3).where(M.ones(2, 2, dtype=M.bool), 0.0)"),
      ("masked_fill_shape", "R(2, 3).masked_fill(M.ones(3, 2, dtype=M.bool), 0.0)"),
      ("masked_fill_bigger", "R(3).masked_fill(M.ones(2, 3, dtype=M.bool), 0.0)", VAL),
      ("masked_fill_float_mask", "R(2, 3).masked_fill(M.ones(2, 3), 0.0)"),
      ("masked_fill_value_tensor_1d", "R(2, 3).masked_fill(M.ones(2, 3, dtype=M.bool), R(2))"),
      ("inplace_add_bigger", "R(3).add_(R(2, 3))"),
      ("inplace_add_4x2x3", "R(2, 3).add_(R(4, 2, 3))"),
      ("inplace_mul_bad", "R(2, 3).mul_(R(4))"),
      ("inplace_sub_bigger", "R(3).sub_(R(2, 3))"),
      ("inplace_div_bigger", "R(1).div_(R(2))"),
      ("inplace_pow_bigger", "R(1).pow_(R(2))"),
      ("iadd_bigger", "x = R(3)\nx += R(2, 3)"),
      ("imul_bad", "x = R(2, 3)\nx *= R(2)"),
      ("copy_bad", "R(2, 3).copy_(R(4))"),
      ("copy_bigger", "R(3).copy_(R(2, 3))"),
      ("clamp_min_tensor", "R(2, 3).clamp(min=R(4))"),
      ("clamp_max_tensor", "R(2, 3).clamp(max=R(2))"),
      ("expand_as", "R(2, 3).expand_as(R(3, 2))"),
      ("broadcast_to", "M.broadcast_to(R(2, 3), (3, 3))"),
      ("broadcast_to_fewer_dims", "M.broadcast_to(R(2, 3), (3,))"),
      ("mse_loss", "F.mse_loss(R(2, 3), R(4))"),
      ("l1_loss", "F.l1_loss(R(2, 3), R(4))"),
      ("huber_loss", "F.huber_loss(R(2, 3), R(4))"),
      ("bce_size", "F.binary_cross_entropy(M.rand(3), M.rand(2))"),
      ("bce_logits_size", "F.binary_cross_entropy_with_logits(R(3), M.rand(2))"),
      ("linear_in", "F.linear(R(2, 3), R(4, 4))"),
      ("linear_bias", "F.linear(R(2, 3), R(4, 3), R(5))",
       T("torch expands the bias inside addmm; pyad adds it", "(4)", "(5)")),
      ("outer_2d", "M.outer(R(2, 3), R(3))"),
      ("lerp_like_add_alpha", "R(2, 3).add(R(4), alpha=2)"),
      )


# --- matmul and its primitives ---------------------------------------------------------------
group("matmul",
      ("0d_1d", "M.matmul(R(), R(3))"),
      ("1d_0d", "M.matmul(R(3), M.tensor(2.0))"),
      ("0d_0d", "M.tensor(1.0) @ M.tensor(2.0)"),
      ("1d_1d", "R(3) @ R(4)"),
      ("1d_1d_empty", "R(0) @ R(1)"),
      ("2d_1d", "R(2, 3) @ R(2)"),
      ("1d_2d", "R(2) @ R(3, 4)"),
      ("2d_2d", "R(2, 3) @ R(2, 3)"),
      ("3d_1d", "R(2, 2, 3) @ R(4)"),
      ("3d_2d", "R(2, 2, 3) @ R(4, 5)"),
      ("1d_3d", "R(4) @ R(2, 3, 5)"),
      ("2d_3d", "R(2, 4) @ R(2, 3, 5)"),
      ("3d_3d_inner", "R(2, 2, 3) @ R(2, 4, 5)"),
      ("3d_3d_batch", "R(2, 2, 3) @ R(3, 3, 5)"),
      ("4d_3d_batch", "R(2, 3, 2, 3) @ R(4, 3, 5)"),
      ("4d_4d_batch", "R(2, 1, 2, 3) @ R(3, 3, 3, 5)"),
      ("grad_2d_2d", "R(2, 3, rg=True) @ R(4, 5, rg=True)"),
      ("int_float", "M.ones(2, 2, dtype=M.int64) @ R(2, 2)"),
      ("float_double", "R(2, 2) @ R(2, 2, dtype=M.float64)"),
      ("bool_bool", "M.ones(2, 2, dtype=M.bool) @ M.ones(2, 2, dtype=M.bool)"),
      ("mm_1d", "M.mm(R(3), R(3, 2))"),
      ("mm_3d", "M.mm(R(2, 2, 3), R(3, 2))"),
      ("mm_mat2_1d", "M.mm(R(2, 3), R(3))"),
      ("mm_inner", "M.mm(R(2, 3), R(2, 3))"),
      ("mm_method", "R(2, 3).mm(R(4, 2))"),
      ("mm_dtype", "M.mm(R(2, 3), R(3, 2, dtype=M.float64))"),
      ("mv_2d_2d", "M.mv(R(2, 3), R(3, 1))"),
      ("mv_1d", "M.mv(R(3), R(3))"),
      ("mv_inner", "M.mv(R(2, 3), R(2))"),
      ("mv_method", "R(2, 3).mv(R(4))"),
      ("bmm_2d", "M.bmm(R(2, 3), R(3, 2))"),
      ("bmm_batch", "M.bmm(R(2, 2, 3), R(3, 3, 2))"),
      ("bmm_inner", "M.bmm(R(2, 2, 3), R(2, 2, 3))"),
      ("bmm_4d", "M.bmm(R(1, 2, 2, 3), R(1, 2, 3, 2))"),
      ("bmm_method", "R(2, 2, 3).bmm(R(2, 4, 2))"),
      ("dot_sizes", "M.dot(R(3), R(2))"),
      ("dot_2d", "M.dot(R(2, 3), R(3))"),
      ("dot_0d", "M.dot(M.tensor(1.0), M.tensor(2.0))"),
      ("dot_method", "R(3).dot(R(4))"),
      ("dot_dtype", "M.dot(R(3), R(3, dtype=M.float64))"),
      ("outer_sizes_ok", "M.outer(R(2), R(3))", VAL),
      ("ger_2d", "M.ger(R(2, 2), R(3))"),
      ("tensordot_dims", "M.tensordot(R(2, 3), R(4, 5), dims=1)"),
      ("tensordot_too_many", "M.tensordot(R(2, 3), R(3, 5), dims=3)"),
      ("einsum_bad_shape", "M.einsum('ij,jk->ik', R(2, 3), R(4, 5))"),
      ("einsum_bad_count", "M.einsum('ij,jk->ik', R(2, 3))"),
      ("einsum_bad_dims", "M.einsum('ijk->i', R(2, 3))"),
      ("linear_inner", "F.linear(R(2, 3), R(4, 2))"),
      ("matmul_list", "R(2, 2) @ [[1.0, 2.0], [3.0, 4.0]]", CONVERTS("differences.md, Operands")),
      ("matmul_rlist", "[[1.0, 2.0], [3.0, 4.0]] @ R(2, 2)", CONVERTS("differences.md, Operands")),
      ("matmul_scalar", "R(2, 2) @ 2.0"),
      ("matmul_none", "R(2, 2) @ None"),
      ("matmul_str", "R(2, 2) @ 'ab'"),
      ("matmul_method_none", "R(2, 2).matmul(None)"),
      ("matmul_method_list", "R(2, 2).matmul([[1.0, 2.0], [3.0, 4.0]])"),
      ("mm_method_none", "R(2, 2).mm(None)"),
      ("mm_method_int", "R(2, 2).mm(3)"),
      ("mm_method_ndarray", "R(2, 2).mm(np.ones((2, 2), np.float32))"),
      ("mv_method_none", "R(2, 2).mv(None)"),
      ("bmm_method_none", "R(2, 2, 2).bmm(None)"),
      ("dot_method_none", "R(2).dot(None)"),
      ("dot_method_list", "R(2).dot([1.0, 2.0])"),
      ("matmul_func_none", "M.matmul(R(2, 2), None)"),
      ("mm_func_str", "M.mm('ab', R(2, 2))"),
      ("inverse_nonsquare", "M.inverse(R(2, 3))"),
      ("inverse_1d", "M.inverse(R(3))"),
      ("det_nonsquare", "M.det(R(2, 3))"),
      ("solve_shapes", "LA.solve(M.eye(3), R(2))"),
      ("cholesky_nonsquare", "LA.cholesky(R(2, 3))"),
      ("trace_3d", "M.trace(R(2, 2, 2))"),
      ("diag_3d", "M.diag(R(2, 2, 2))"),
      )


# --- operands of the wrong type for methods and functions that take a tensor -----------------
_TENSOR_ARG_METHODS = ["matmul", "mm", "mv", "bmm", "dot", "view_as", "reshape_as", "expand_as",
                       "type_as", "maximum", "minimum", "outer", "ger", "atan2", "hypot",
                       "logical_and", "logical_or", "logical_xor", "masked_select", "index_select",
                       "gather", "take_along_dim"]
_BAD_OPERANDS = {"none": "None", "list": "[1.0, 2.0]", "str": "'ab'", "float": "2.0",
                 "ndarray": "np.ones(2, np.float32)", "dict": "{}", "object": "object()"}
# torch's argument parser builds its messages from the op's overloads ("add() received an
# invalid combination of arguments - got (list), but expected one of: ..."); pyad's name the
# operand's type, and the exception type must be torch's.
_PARSER = "torch's argument-parser message lists the op's overloads"
_OPERAND_TYPE_NAMES = {"none": "NoneType", "list": "list", "str": "str", "float": "float",
                       "ndarray": "ndarray", "dict": "dict", "object": "object"}
group("operand_types",
      *[(f"{m}_{k}", f"R(2).{m}({v})" if m not in ("index_select", "gather", "take_along_dim")
         else f"R(2).{m}(0, {v})" if m != "take_along_dim" else f"R(2).{m}({v}, 0)")
        for m in _TENSOR_ARG_METHODS for k, v in _BAD_OPERANDS.items()],
      *[(f"fn_{m}_{k}", f"M.{m}(R(2), {v})") for m in ("matmul", "mm", "dot", "maximum", "outer",
                                                       "masked_select", "bmm", "mv")
        for k, v in _BAD_OPERANDS.items()],
      *[(f"fn_first_{m}_{k}", f"M.{m}({v}, R(2))") for m in ("matmul", "dot", "maximum", "add",
                                                             "mul", "exp_like_sin")
        for k, v in _BAD_OPERANDS.items() if m != "exp_like_sin"],
      *[(f"unary_{f}_{k}", f"M.{f}({v})") for f in ("sin", "exp", "sum", "relu", "sigmoid",
                                                     "tanh", "abs", "neg", "clone")
        for k, v in _BAD_OPERANDS.items()],
      *[(f"op{i}_{k}", f"R(2) {op} {v}") for i, op in enumerate(["+", "-", "*", "/", "**", "@",
                                                                 "//", "%", "<", "&"])
        for k, v in _BAD_OPERANDS.items()],
      *[(f"rop{i}_{k}", f"{v} {op} R(2)") for i, op in enumerate(["+", "-", "*", "/", "**", "@",
                                                                  "//", "%", "<"])
        for k, v in _BAD_OPERANDS.items() if k not in ("ndarray",)],
      *[(f"method_{m}_{k}", f"R(2).{m}({v})") for m in ("add", "sub", "mul", "div", "pow", "eq",
                                                        "lt", "fmod", "remainder", "floor_divide",
                                                        "add_", "mul_", "copy_", "div_")
        for k, v in _BAD_OPERANDS.items()],
      *[(f"data_set_{k}", f"x = R(2)\nx.data = {v}\nout = x") for k, v in _BAD_OPERANDS.items()],
      *[(f"grad_set_{k}", f"x = R(2, rg=True)\nx.grad = {v}\nout = x.grad") for k, v in _BAD_OPERANDS.items()],
      ("grad_set_shape", "x = R(2, rg=True)\nx.grad = R(3)"),
      ("grad_set_dtype", "x = R(2, rg=True)\nx.grad = R(2, dtype=M.float64)"),
      ("data_set_shape_ok", "x = R(2)\nx.data = R(3)\nout = x", VAL),
      *[(f"where_{k}", f"M.where(R(2) > 0, R(2), {v})") for k, v in _BAD_OPERANDS.items()
        if k not in ("float", "ndarray")],
      *[(f"where_cond_{k}", f"M.where({v}, R(2), R(2))") for k, v in _BAD_OPERANDS.items()],
      *[(f"masked_fill_{k}", f"R(2).masked_fill({v}, 0.0)") for k, v in _BAD_OPERANDS.items()],
      *[(f"masked_fill_value_{k}", f"R(2).masked_fill(R(2) > 0, {v})") for k, v in _BAD_OPERANDS.items()
        if k not in ("float",)],
      *[(f"clamp_{k}", f"R(2).clamp({v})") for k, v in _BAD_OPERANDS.items() if k != "float"],
      *[(f"cat_{k}", f"M.cat([R(2), {v}])") for k, v in _BAD_OPERANDS.items()],
      *[(f"stack_{k}", f"M.stack([R(2), {v}])") for k, v in _BAD_OPERANDS.items()],
      *[(f"cat_arg_{k}", f"M.cat({v})") for k, v in _BAD_OPERANDS.items()],
      *[(f"einsum_{k}", f"M.einsum('i,i->', R(2), {v})") for k, v in _BAD_OPERANDS.items()],
      *[(f"F_{f}_{k}", f"F.{f}(R(2), {v})") for f in ("mse_loss", "l1_loss", "linear",
                                                      "binary_cross_entropy")
        for k, v in _BAD_OPERANDS.items()],
      *[(f"F1_{f}_{k}", f"F.{f}({v})") for f in ("relu", "softmax", "gelu", "silu")
        for k, v in _BAD_OPERANDS.items()],
      *[(f"LA_{f}_{k}", f"LA.{f}({v})") for f in ("inv", "det", "norm", "vector_norm", "cholesky")
        for k, v in _BAD_OPERANDS.items()],
      *[(f"requires_grad_set_{k}", f"x = R(2)\nx.requires_grad = {v}\nout = x")
        for k, v in _BAD_OPERANDS.items()],
      *[(f"register_hook_{k}", f"R(2, rg=True).register_hook({v})") for k, v in _BAD_OPERANDS.items()],
      )
# `&` with a float or an array: torch's own kernel and numpy's messages, matched exactly
_EXACT_OPERAND_MESSAGES = {"operand_types/op9_float", "operand_types/op9_ndarray"}
CATALOGUE["operand_types"] = [
    (cid, code, (CONVERTS if cid.rsplit("_", 1)[1] in ("list", "ndarray", "float") else T)(
        _PARSER, _OPERAND_TYPE_NAMES[cid.rsplit("_", 1)[1]])
     if exp is SAME and cid.rsplit("_", 1)[1] in _OPERAND_TYPE_NAMES
     and cid not in _EXACT_OPERAND_MESSAGES else exp)
    for cid, code, exp in CATALOGUE["operand_types"]]


# --- cat/stack, reshape/view, expand, permute/transpose and friends -------------------------
group("shape",
      ("cat_sizes", "M.cat([R(2, 3), R(2, 4)])"),
      ("cat_ndim", "M.cat([R(2, 3), R(3)])"),
      ("cat_dim", "M.cat([R(2, 3), R(2, 3)], dim=2)"),
      ("cat_dim_neg", "M.cat([R(2, 3), R(2, 3)], dim=-3)"),
      ("cat_dim_huge", "M.cat([R(2, 3), R(2, 3)], dim=2**63)"),
      ("cat_dim_float", "M.cat([R(2, 3), R(2, 3)], dim=1.0)"),
      ("cat_empty_list", "M.cat([])"),
      ("cat_0d", "M.cat([M.tensor(1.0), M.tensor(2.0)])"),
      ("cat_dtype_mix", "M.cat([R(2), R(2, dtype=M.float64)])", VAL),
      ("cat_legacy_empty", "M.cat([R(0), R(2, 3)])", VAL),
      ("cat_tensor_arg", "M.cat(R(2, 3))"),
      ("stack_sizes", "M.stack([R(2, 3), R(3, 2)])"),
      ("stack_dim", "M.stack([R(2), R(2)], dim=3)"),
      ("stack_dim_neg", "M.stack([R(2), R(2)], dim=-3)"),
      ("stack_empty", "M.stack([])"),
      ("stack_ndim", "M.stack([R(2), R(2, 1)])"),
      ("reshape_size", "R(2, 3).reshape(4, 2)"),
      ("reshape_two_infer", "R(2, 3).reshape(-1, -1)"),
      ("reshape_infer_zero", "R(0).reshape(0, -1)"),
      ("reshape_infer_bad", "R(2, 3).reshape(4, -1)"),
      ("reshape_neg", "R(2, 3).reshape(-2, -3)"),
      ("reshape_neg_one_other", "R(6).reshape(-2, 3)"),
      ("reshape_float", "R(2, 3).reshape(2.0, 3)"),
      ("reshape_str", "R(2, 3).reshape('ab')"),
      ("reshape_none", "R(2, 3).reshape(None)"),
      ("reshape_bool", "R(2, 3).reshape(True, 6)", VAL),
      ("reshape_huge", "R(2, 3).reshape(2**63)"),
      ("reshape_huge_neg", "R(2, 3).reshape(-2**63)"),
      ("reshape_10e30", "R(2, 3).reshape(10**30)"),
      ("reshape_overflow_product", "R(0).reshape(2**40, 2**40, 0)", VAL),
      ("reshape_overflow_product2", "R(2, 3).reshape(2**40, 2**40)"),
      ("reshape_list_of_tensor", "R(2, 3).reshape([M.tensor(3), M.tensor(2)])", VAL),
      ("reshape_float_tensor", "R(2, 3).reshape(M.tensor([3.0, 2.0]))"),
      ("view_size", "R(2, 3).view(5)"),
      ("view_dtype", "R(2, 3).view(M.int64)"),
      ("view_str", "R(2, 3).view('x')"),
      ("flatten_range", "R(2, 3).flatten(0, 2)"),
      ("flatten_order", "R(2, 3, 4).flatten(2, 1)"),
      ("flatten_huge", "R(2, 3).flatten(2**63)"),
      ("unflatten_bad", "R(6).unflatten(0, (4, 2))"),
      ("unflatten_dim", "R(6).unflatten(1, (3, 2))"),
      ("expand_fewer", "R(2, 3).expand(3)"),
      ("expand_mismatch", "R(2, 3).expand(2, 4)"),
      ("expand_mismatch_3d", "R(2, 3).expand(4, 3, 3)"),
      ("expand_neg_leading", "R(3).expand(-1, 3)"),
      ("expand_neg_other", "R(3).expand(2, -2)"),
      ("expand_neg_new", "R(1).expand(-2, 3)"),
      ("expand_huge", "R(1).expand(2**63)"),
      ("expand_float", "R(1).expand(2.5)"),
      ("expand_overflow", "R(1, 1).expand(2**40, 2**40)"),
      ("broadcast_to_neg", "M.broadcast_to(R(3), (-2, 3))"),
      ("permute_count", "R(2, 3).permute(0)"),
      ("permute_repeat", "R(2, 3).permute(0, 0)"),
      ("permute_range", "R(2, 3).permute(0, 2)"),
      ("permute_neg_range", "R(2, 3).permute(0, -3)"),
      ("permute_huge", "R(2, 3).permute(0, 2**63)"),
      ("permute_float", "R(2, 3).permute(0, 1.0)"),
      ("permute_too_many", "R(2, 3).permute(0, 1, 2)"),
      ("transpose_range", "R(2, 3).transpose(0, 2)"),
      ("transpose_huge", "R(2, 3).transpose(0, 2**63)"),
      ("transpose_neg_huge", "R(2, 3).transpose(-2**63, 0)"),
      ("transpose_float", "R(2, 3).transpose(0, 1.5)"),
      ("t_3d", "R(2, 3, 4).t()"),
      ("movedim_repeat", "M.movedim(R(2, 3), (0, 0), (0, 1))"),
      ("movedim_count", "M.movedim(R(2, 3), (0, 1), (0,))"),
      ("movedim_range", "M.movedim(R(2, 3), 2, 0)"),
      ("swapaxes_range", "R(2, 3).swapaxes(0, 5)"),
      ("tile_neg", "R(2).tile(-1)"),
      ("repeat_fewer", "R(2, 3).repeat(2)"),
      ("repeat_neg", "R(2).repeat(-1)"),
      ("flip_repeat", "R(2, 3).flip(0, 0)"),
      ("flip_range", "R(2, 3).flip(2)"),
      ("roll_dims_mismatch", "R(2, 3).roll((1, 1), (0,))"),
      ("roll_range", "R(2, 3).roll(1, 2)"),
      ("diagonal_same_dims", "R(2, 3).diagonal(0, 0, 0)"),
      ("diagonal_range", "R(2, 3).diagonal(0, 0, 2)"),
      ("tril_1d", "R(3).tril()"),
      ("unbind_range", "R(2, 3).unbind(2)"),
      )

# --- a norm's order beyond torch's Scalar (uint64): its OverflowErrors, before the dims ------
_BIG_ORDERS = {"2p64": "2**64", "m2p63m1": "-2**63 - 1", "1e30": "10**30", "2p63": "2**63"}
group("norm_order",
      *[(f"{f}_{k}", c.format(o=o)) for k, o in _BIG_ORDERS.items()
        for f, c in (("norm", "M.norm(R(2, 1), p={o})"), ("method", "R(2, 1).norm(p={o})"),
                     ("vector_norm", "LA.vector_norm(R(2, 1), ord={o})"),
                     ("linalg_norm", "LA.norm(R(2), ord={o})"),
                     ("bad_dim_too", "LA.vector_norm(R(2, 1), ord={o}, dim=5)"))],
      )

# --- dims and indices out of range: reductions, squeeze, narrow, split, index ops -----------
_BAD_DIMS = {"2": "2", "neg3": "-3", "2p63": "2**63", "m2p63": "-2**63", "1e30": "10**30",
             "float": "1.0", "str": "'a'", "none_list": "[None]", "dup": "(0, 0)",
             "dup_neg": "(1, -1)", "npint": "np.int64(5)"}
_REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "logsumexp", "std",
               "var", "all", "any", "max", "min", "cumsum", "cumprod", "softmax", "log_softmax",
               "norm"]
group("dims",
      *[(f"{r}_{k}", f"R(2, 3).{r}({d})" if r != "norm" else f"R(2, 3).norm(dim={d})")
        for r in _REDUCTIONS for k, d in _BAD_DIMS.items()],
      *[(f"{r}_0d_dim1", f"M.tensor(1.0).{r}(1)") for r in _REDUCTIONS if r != "norm"],
      *[(f"{f}_{k}", f"R(2, 1).{f}({d})") for f in ("squeeze", "unsqueeze") for k, d in _BAD_DIMS.items()],
      ("unsqueeze_end", "R(2, 3).unsqueeze(3)"),
      ("unsqueeze_neg", "R(2, 3).unsqueeze(-4)"),
      ("narrow_dim", "R(2, 3).narrow(2, 0, 1)"),
      ("narrow_start", "R(2, 3).narrow(1, 4, 1)"),
      ("narrow_start_neg", "R(2, 3).narrow(1, -4, 1)"),
      ("narrow_length", "R(2, 3).narrow(1, 1, 3)"),
      ("narrow_length_neg", "R(2, 3).narrow(1, 0, -1)"),
      ("narrow_huge", "R(2, 3).narrow(1, 2**63, 1)"),
      ("narrow_huge_len", "R(2, 3).narrow(1, 0, 2**62)"),
      ("narrow_float", "R(2, 3).narrow(1, 0.5, 1)"),
      ("split_zero", "R(4).split(0)"),
      ("split_neg", "R(4).split(-1)"),
      ("split_sizes_sum", "R(4).split([1, 2])"),
      ("split_sizes_neg", "R(4).split([5, -1])"),
      ("split_dim", "R(4).split(2, 1)"),
      ("split_huge", "R(4).split(2**63)"),
      ("split_float", "R(4).split(1.5)"),
      ("chunk_zero", "R(4).chunk(0)"),
      ("chunk_neg", "R(4).chunk(-2)"),
      ("chunk_dim", "R(4).chunk(2, 3)"),
      ("chunk_huge", "R(4).chunk(2**63)"),
      ("chunk_0d", "M.tensor(1.0).chunk(2)"),
      ("split_0d", "M.tensor(1.0).split(1)"),
      ("index_select_dim", "R(2, 3).index_select(2, M.tensor([0]))"),
      ("index_select_oob", "R(2, 3).index_select(1, M.tensor([3]))"),
      ("index_select_neg", "R(2, 3).index_select(1, M.tensor([-1]))"),
      ("index_select_huge", "R(2, 3).index_select(1, M.tensor([2**62]))"),
      ("index_select_float", "R(2, 3).index_select(1, M.tensor([0.0]))"),
      ("index_select_2d", "R(2, 3).index_select(1, M.tensor([[0]]))"),
      ("index_select_bool", "R(2, 3).index_select(1, M.tensor([True]))"),
      ("gather_oob", "R(2, 3).gather(1, M.tensor([[3], [0]]))"),
      ("gather_neg", "R(2, 3).gather(1, M.tensor([[-1], [0]]))"),
      ("gather_huge", "R(2, 3).gather(1, M.tensor([[2**62], [0]]))"),
      ("gather_float", "R(2, 3).gather(1, M.tensor([[0.0], [0.0]]))"),
      ("gather_ndim", "R(2, 3).gather(1, M.tensor([0, 1]))"),
      ("gather_size", "R(2, 3).gather(1, M.tensor([[0], [0], [0]]))"),
      ("gather_dim", "R(2, 3).gather(2, M.tensor([[0], [0]]))"),
      ("gather_grad_oob", "R(2, 3, rg=True).gather(1, M.tensor([[5], [0]]))"),
      ("scatter_add_oob", "R(2, 3).scatter_add(1, M.tensor([[3], [0]]), R(2, 1))"),
      ("scatter_add_neg", "R(2, 3).scatter_add(1, M.tensor([[-1], [0]]), R(2, 1))"),
      ("scatter_add_huge", "R(2, 3).scatter_add(1, M.tensor([[2**62], [0]]), R(2, 1))"),
      ("scatter_add_float", "R(2, 3).scatter_add(1, M.tensor([[0.0], [0.0]]), R(2, 1))"),
      ("scatter_add_src_small", "R(2, 3).scatter_add(1, M.tensor([[0, 1], [0, 1]]), R(2, 1))"),
      ("scatter_add_dtype", "R(2, 3).scatter_add(1, M.tensor([[0], [0]]), R(2, 1, dtype=M.float64))"),
      ("scatter_add_dim", "R(2, 3).scatter_add(2, M.tensor([[0], [0]]), R(2, 1))"),
      ("scatter_add_ndim", "R(2, 3).scatter_add(1, M.tensor([0]), R(1))"),
      ("take_along_dim_oob", "R(2, 3).take_along_dim(M.tensor([[3]]), 1)", VAL),
      ("take_along_dim_neg", "R(2, 3).take_along_dim(M.tensor([[-1]]), 1)", VAL),
      ("masked_select_shape", "R(2, 3).masked_select(M.ones(3, 2, dtype=M.bool))"),
      ("masked_select_float", "R(2, 3).masked_select(M.ones(2, 3))"),
      ("diag_huge", "M.diag(R(3), 2**63)"),
      ("tril_huge", "R(3, 3).tril(2**63)"),
      ("roll_huge", "R(3).roll(2**63)"),
      ("size_dim", "R(2, 3).size(2)"),
      ("size_huge", "R(2, 3).size(2**63)"),
      )


# --- getitem / setitem -------------------------------------------------------------------------
_BAD_INDICES = {
    "oob": "3", "oob_neg": "-4", "2p63": "2**63", "m2p63": "-2**63", "1e30": "10**30",
    "m1e30": "-10**30", "float": "1.0", "str": "'a'", "dict": "{}", "object": "object()",
    "too_many": "0, 0, 0", "too_many_slices": ":, :, :", "two_ellipses": "..., ...",
    "ellipsis_too_many": "..., 0, 0, 0", "none_too_many": "None, 0, 0, 0",
    "step0": "::0", "step_neg": "::-1", "step_huge": "::2**63", "start_huge": "2**63:",
    "stop_huge": ":10**30", "slice_float": "0.5:", "slice_str": "'a':",
    "tensor_oob": "M.tensor([3])", "tensor_neg_oob": "M.tensor([-4])",
    "tensor_huge": "M.tensor([2**62])", "tensor_float": "M.tensor([0.0])",
    "tensor_float0d": "M.tensor(1.0)", "mask_shape": "M.ones(2, 2, dtype=M.bool)",
    "mask_long": "M.ones(4, dtype=M.bool)", "list_oob": "[0, 3]", "list_float": "[0.0, 1.0]",
    "list_ragged": "[[0, 1], [0]]", "list_str": "['a']", "nested_oob": "[[0], [5]]",
    "bool_list_len": "[True, False]", "two_tensors_bad_broadcast": "M.tensor([0, 1]), M.tensor([0, 1, 2])",
    "none_and_oob": "None, 3", "ellipsis_oob": "..., 5", "npint_oob": "np.int64(3)",
    "ndarray_float": "np.array([0.5])", "ndarray_oob": "np.array([7])",
    "tensor_int_0d_oob": "M.tensor(3)", "tensor_2d_oob": "M.tensor([[0], [3]])",
}
group("getitem",
      *[(k, f"R(3, 2)[{v}]") for k, v in _BAD_INDICES.items()],
      *[(f"0d_{k}", f"M.tensor(1.0)[{v}]") for k, v in (("int", "0"), ("slice", ":"),
                                                         ("ellipsis_int", "..., 0"), ("list", "[0]"),
                                                         ("bool", "True"), ("none", "None"),
                                                         ("false", "False"))],
      *[(f"grad_{k}", f"R(3, 2, rg=True)[{v}]") for k, v in (("oob", "3"), ("tensor_oob", "M.tensor([3])"),
                                                              ("mask_shape", "M.ones(2, dtype=M.bool)"))],
      ("bool_true", "R(3, 2)[True]", VAL),
      ("bool_false", "R(3, 2)[False]", VAL),
      ("none_none", "R(3, 2)[None, ..., None]", VAL),
      ("empty_tuple", "R(3, 2)[()]", VAL),
      ("empty_list", "R(3, 2)[[]]", VAL),
      ("empty_slice", "R(3, 2)[5:2]", VAL),
      ("neg_in_range", "R(3, 2)[-3, -2]", VAL),
      ("bool_tensor_0d", "R(3, 2)[M.tensor(True)]", VAL),
      ("tensor_neg", "R(3, 2)[M.tensor([-1, -3])]", VAL),
      ("npint", "R(3, 2)[np.int64(1)]", VAL),
      ("slice_npint", "R(3, 2)[np.int64(1):]", VAL),
      ("slice_huge_stop_ok", "R(3, 2)[:2**62]", VAL),
      ("slice_huge_neg_start_ok", "R(3, 2)[-2**62:]", VAL),
      )
group("setitem",
      *[(k, f"x = R(3, 2)\nx[{v}] = 1.0") for k, v in _BAD_INDICES.items()],
      ("value_shape", "x = R(3, 2)\nx[0] = R(3)"),
      ("value_shape_adv", "x = R(3, 2)\nx[M.tensor([0, 1])] = R(3, 2)"),
      ("value_shape_mask", "x = R(3, 2)\nx[x > 2] = R(4)"),
      ("value_str", "x = R(3, 2)\nx[0] = 'a'"),
      ("value_none", "x = R(3, 2)\nx[0] = None"),
      ("value_list_ragged", "x = R(3, 2)\nx[0] = [1.0, [2.0]]"),
      ("value_list_ok", "x = R(3, 2)\nx[0] = [7.0, 8.0]\nout = x.tolist() == [[7.0, 8.0], [2.0, 3.0], [4.0, 5.0]]",
       ACCEPTS("a list is accepted as the assigned value (differences.md, Operands)")),
      ("value_ndarray_ok", "x = R(3, 2)\nx[1] = np.array([7.0, 8.0])\nout = x.tolist() == [[0.0, 1.0], [7.0, 8.0], [4.0, 5.0]]",
       ACCEPTS("an array is accepted as the assigned value (differences.md, Operands)")),
      ("value_complex", "x = R(3, 2)\nx[0] = 1j"),
      ("value_nan_int", "x = R(3, 2, dtype=M.int64)\nx[0] = float('nan')\nout = x"),
      ("leaf_requires_grad", "x = R(3, 2, rg=True)\nx[0] = 1.0"),
      ("dup_adv_ok", "x = R(3, 2)\nx[M.tensor([0, 0])] = R(2, 2)\nout = x.sum()", VAL),
      ("value_broadcast_ok", "x = R(3, 2)\nx[:, 0] = R(1)\nout = x", VAL),
      ("value_self_overlap", "x = R(4)\nx[1:] = x[:3]\nout = x.tolist() == [0.0, 0.0, 1.0, 2.0]",
       ACCEPTS("x[:3] is a copy in pyad (differences.md, Indexing), so the overlap is harmless")),
      )


# --- tensor() from bad data; int/bool tensors that require grad -------------------------------
group("construct",
      ("ragged", "M.tensor([[1, 2], [3]])"),
      ("ragged_deep", "M.tensor([[[1.0], [2.0]], [[3.0]]])"),
      ("ragged_scalar_list", "M.tensor([1.0, [2.0]])"),
      ("str", "M.tensor('ab')"),
      ("str_list", "M.tensor(['a', 'b'])"),
      ("bytes", "M.tensor(b'ab')"),
      ("none", "M.tensor(None)"),
      ("none_list", "M.tensor([1.0, None])"),
      ("dict", "M.tensor({1: 2})"),
      ("set", "M.tensor({1, 2})"),
      ("object", "M.tensor(object())"),
      ("object_list", "M.tensor([object()])"),
      ("complex", "M.tensor(1 + 2j)",
       DIFF("TypeError", "no complex dtype (differences.md, Dtypes)", "complex")),
      ("complex_list", "M.tensor([1.0, 2j])",
       DIFF("TypeError", "no complex dtype (differences.md, Dtypes)", "complex")),
      ("complex_ndarray", "M.tensor(np.ones(2, np.complex128))",
       DIFF("TypeError", "no complex dtype (differences.md, Dtypes)", "complex")),
      ("huge_int", "M.tensor(2**63)"),
      ("huge_int_list", "M.tensor([1, 2**64])"),
      ("huge_neg_int", "M.tensor(-2**63 - 1)"),
      ("int64_min_ok", "M.tensor(-2**63)", VAL),
      ("float_overflow_f32", "M.tensor(1e300)", VAL),
      ("int_to_float_dtype", "M.tensor([1, 2], dtype=M.float64)", VAL),
      ("nan_to_int", "M.tensor(float('nan'), dtype=M.int64)"),
      ("inf_to_int", "M.tensor(float('inf'), dtype=M.int64)"),
      ("big_float_to_int", "M.tensor(1e30, dtype=M.int64)"),
      ("bad_dtype_str", "M.tensor([1.0], dtype='float32')"),
      ("bad_dtype_type", "M.tensor([1.0], dtype=float)"),
      ("bad_dtype_np", "M.tensor([1.0], dtype=np.float32)"),
      ("tensor_list_mixed", "M.tensor([M.tensor(1.0), 2.0])", VAL),
      ("tensor_list_non0d", "M.tensor([R(2), R(3)])"),
      ("generator", "M.tensor(x for x in range(3))"),
      ("int_requires_grad", "M.tensor([1, 2], requires_grad=True)"),
      ("bool_requires_grad", "M.tensor([True], requires_grad=True)"),
      ("int_requires_grad_", "M.ones(2, dtype=M.int64).requires_grad_()"),
      ("int_requires_grad_attr", "x = M.ones(2, dtype=M.int64)\nx.requires_grad = True"),
      ("bool_requires_grad_", "M.ones(2, dtype=M.bool).requires_grad_()"),
      ("zeros_int_requires_grad", "M.zeros(2, dtype=M.int64, requires_grad=True)"),
      ("ones_bool_requires_grad", "M.ones(2, dtype=M.bool, requires_grad=True)"),
      ("arange_requires_grad", "M.arange(3, requires_grad=True)"),
      ("full_int_requires_grad", "M.full((2,), 3, requires_grad=True)"),
      ("nonleaf_requires_grad_false", "(R(2, rg=True) * 2).requires_grad_(False)"),
      ("requires_grad_str", "R(2).requires_grad_('yes')"),
      ("int_grad_of_int_op", "x = R(2, rg=True)\nout = (x > 0).requires_grad", VAL),
      ("arange_step0", "M.arange(0, 3, 0)"),
      ("arange_wrong_sign", "M.arange(0, 3, -1)"),
      ("arange_nan", "M.arange(0, float('nan'))"),
      ("arange_inf", "M.arange(0, float('inf'))"),
      ("arange_huge", "M.arange(2**63)"),
      ("linspace_neg", "M.linspace(0, 1, -1)"),
      ("eye_neg", "M.eye(-1)"),
      ("full_str", "M.full((2,), 'a')"),
      ("full_none", "M.full((2,), None)"),
      ("rand_neg", "M.rand(-1)"),
      ("randn_float", "M.randn(2.5)"),
      ("item_multi", "R(2).item()"),
      ("float_multi", "float(R(2))"),
      ("int_multi", "int(R(2))"),
      ("bool_multi", "bool(R(2))"),
      ("bool_empty", "bool(R(0))"),
      ("index_float_tensor", "[1, 2, 3][M.tensor(1.0)]"),
      ("len_0d", "len(M.tensor(1.0))"),
      ("iter_0d", "iter(M.tensor(1.0))"),
      ("numpy_requires_grad", "R(2, rg=True).numpy()"),
      ("to_bad", "R(2).to('cuda')"),
      ("to_bad_device", "R(2).to('gpu')"),
      ("cuda_method", "R(2).cuda()"),
      ("to_int_str", "R(2).to(5)"),
      ("set_default_dtype_int", "M.set_default_dtype(M.int64)"),
      ("manual_seed_str", "M.manual_seed('a')"),
      ("manual_seed_neg", "M.manual_seed(-1)", VAL),
      )

# --- every misuse of grad / backward ---------------------------------------------------------
group("autograd",
      ("nonscalar_grad", "x = R(3, rg=True)\ngrad(x * 2, x)"),
      ("nonscalar_backward", "x = R(3, rg=True)\n(x * 2).backward()"),
      ("unused_input", "x = R(3, rg=True)\ny = R(3, rg=True)\ngrad((x * 2).sum(), [x, y])"),
      ("unused_allow", "x = R(3, rg=True)\ny = R(3, rg=True)\nout = grad((x * 2).sum(), [x, y], allow_unused=True)", VAL),
      ("unused_materialize", "x = R(3, rg=True)\ny = R(3, rg=True)\nout = grad((x * 2).sum(), [x, y], allow_unused=True, materialize_grads=True)", VAL),
      ("materialize_without_allow", "x = R(3, rg=True)\ny = R(3, rg=True)\nout = grad((x * 2).sum(), [x, y], materialize_grads=True)", VAL),
      ("empty_inputs", "x = R(3, rg=True)\ngrad((x * 2).sum(), [])"),
      ("empty_outputs", "x = R(3, rg=True)\ngrad([], [x])"),
      ("empty_both", "grad([], [])"),
      ("input_no_grad", "x = R(3, rg=True)\ny = R(3)\ngrad((x * y).sum(), y)"),
      ("output_no_grad", "x = R(3)\ngrad(x.sum(), x)"),
      ("output_no_grad_backward", "R(3).sum().backward()"),
      ("grad_outputs_shape", "x = R(3, rg=True)\ngrad(x * 2, x, grad_outputs=R(4))"),
      ("grad_outputs_shape_bcast", "x = R(3, rg=True)\ngrad(x * 2, x, grad_outputs=R(1))"),
      ("grad_outputs_dtype", "x = R(3, rg=True)\nout = grad(x * 2, x, grad_outputs=R(3, dtype=M.float64))", VAL),
      ("grad_outputs_int", "x = R(3, rg=True)\ngrad(x * 2, x, grad_outputs=M.ones(3, dtype=M.int64))"),
      ("grad_outputs_count", "x = R(3, rg=True)\ngrad([x * 2, x * 3], x, grad_outputs=[R(3)])"),
      ("grad_outputs_count_more", "x = R(3, rg=True)\ngrad(x * 2, x, grad_outputs=[R(3), R(3)])"),
      ("grad_outputs_list", "x = R(3, rg=True)\ngrad(x * 2, x, grad_outputs=[1.0, 2.0, 3.0])"),
      ("grad_outputs_str", "x = R(3, rg=True)\ngrad(x * 2, x, grad_outputs='a')"),
      ("grad_outputs_none_nonscalar", "x = R(3, rg=True)\ngrad(x * 2, x, grad_outputs=[None])"),
      ("backward_gradient_shape", "x = R(3, rg=True)\n(x * 2).backward(R(4))"),
      ("backward_gradient_str", "x = R(3, rg=True)\n(x * 2).backward('a')"),
      ("backward_gradient_int", "x = R(3, rg=True)\n(x * 2).backward(M.ones(3, dtype=M.int64))"),
      ("second_backward", "x = R(3, rg=True)\ny = (x * x).sum()\ny.backward()\ny.backward()"),
      ("second_grad", "x = R(3, rg=True)\ny = (x.exp()).sum()\ngrad(y, x)\ngrad(y, x)"),
      ("second_grad_shared", "x = R(3, rg=True)\nz = x * x\ngrad(z.sum(), x)\ngrad((z * 2).sum(), x)"),
      ("saved_modified", "x = R(3, rg=True)\ny = x * 1\nz = y * y\ny.add_(1)\nz.sum().backward()"),
      ("saved_modified_exp", "x = R(3, rg=True)\ny = x.exp()\ny.mul_(2)\ny.sum().backward()"),
      ("saved_modified_grad", "x = R(3, rg=True)\ny = x * 1\nz = y.sin()\ny.mul_(2)\ngrad(z.sum(), x)"),
      ("saved_modified_leaf_data", "x = R(3, rg=True)\nz = x * x\nx.data.add_(1)\nout = grad(z.sum(), x)", VAL),
      ("leaf_inplace", "x = R(3, rg=True)\nx.add_(1)"),
      ("leaf_view_inplace", "x = R(3, rg=True)\nx.view(3).mul_(2)"),
      ("grad_not_tensor_output", "x = R(3, rg=True)\ngrad(1.0, x)"),
      ("grad_not_tensor_input", "x = R(3, rg=True)\ngrad(x.sum(), 1.0)"),
      ("grad_input_none", "x = R(3, rg=True)\ngrad(x.sum(), None)"),
      ("grad_input_list_none", "x = R(3, rg=True)\ngrad(x.sum(), [x, None])"),
      ("grad_output_none", "x = R(3, rg=True)\ngrad(None, x)"),
      ("grad_output_str", "x = R(3, rg=True)\ngrad('a', x)"),
      ("grad_input_str", "x = R(3, rg=True)\ngrad(x.sum(), 'a')"),
      ("grad_input_dict", "x = R(3, rg=True)\ngrad(x.sum(), {'a': x})"),
      ("grad_int_input", "x = M.ones(3, dtype=M.int64)\ngrad(x.sum(), x)"),
      ("grad_nonleaf_input_ok", "x = R(3, rg=True)\ny = x * 2\nout = grad((y * y).sum(), y)", VAL),
      ("grad_of_detached", "x = R(3, rg=True)\ngrad(x.detach().sum(), x)"),
      ("grad_no_grad_mode", "x = R(3, rg=True)\nwith M.no_grad():\n    y = (x * 2).sum()\ngrad(y, x)"),
      ("backward_inputs_empty", "x = R(3, rg=True)\n(x * 2).sum().backward(inputs=[])"),
      ("backward_inputs_no_grad", "x = R(3, rg=True)\n(x * 2).sum().backward(inputs=[R(3)])"),
      ("backward_inputs_str", "x = R(3, rg=True)\n(x * 2).sum().backward(inputs='a')"),
      ("autograd_backward_empty", "M.autograd.backward([])"),
      ("autograd_backward_count", "x = R(3, rg=True)\nM.autograd.backward([x.sum(), x.sum()], grad_tensors=[M.tensor(1.0)])"),
      ("create_graph_no_grad_fn_twice", "x = R(3, rg=True)\n(g,) = grad((2 * x).sum(), x, create_graph=True)\ngrad(g.sum(), x)"),
      ("retain_graph_false_create", "x = R(3, rg=True)\ny = (x * x).sum()\ngrad(y, x, create_graph=True, retain_graph=False)\ngrad(y, x)"),
      ("is_grads_batched_shape", "x = R(3, rg=True)\ngrad(x * 2, x, grad_outputs=R(3), is_grads_batched=True)"),
      ("hook_returns_wrong_shape", "x = R(3, rg=True)\ny = x * 2\ny.register_hook(lambda g: R(4))\ny.sum().backward()"),
      ("hook_returns_str", "x = R(3, rg=True)\ny = x * 2\ny.register_hook(lambda g: 'a')\ny.sum().backward()"),
      ("hook_raises", "x = R(3, rg=True)\ny = x * 2\ndef h(g):\n    raise ValueError('from hook')\ny.register_hook(h)\ny.sum().backward()"),
      ("hook_on_no_grad", "R(3).register_hook(lambda g: g)"),
      ("retain_grad_no_grad", "R(3).retain_grad()"),
      ("grad_set_on_int", "x = M.ones(2, dtype=M.int64)\nx.grad = M.ones(2, dtype=M.int64)\nout = x.grad", VAL),
      ("backward_twice_sum_ok", "x = R(3, rg=True)\ny = (x + 1).sum()\ny.backward()\ny.backward()\nout = x.grad", VAL),
      ("detach_inplace_saved", "x = R(3, rg=True)\ny = x.sigmoid()\ny.detach().zero_()\ny.sum().backward()"),
      ("function_wrong_grad_count", "class Fn(M.autograd.Function):\n    @staticmethod\n    def forward(ctx, a):\n        return a * 2\n    @staticmethod\n    def backward(ctx, g):\n        return g, g\nx = R(3, rg=True)\nFn.apply(x).sum().backward()"),
      ("function_wrong_grad_shape", "class Fn(M.autograd.Function):\n    @staticmethod\n    def forward(ctx, a):\n        return a * 2\n    @staticmethod\n    def backward(ctx, g):\n        return R(4)\nx = R(3, rg=True)\nFn.apply(x).sum().backward()"),
      ("function_grad_not_tensor", "class Fn(M.autograd.Function):\n    @staticmethod\n    def forward(ctx, a):\n        return a * 2\n    @staticmethod\n    def backward(ctx, g):\n        return 'a'\nx = R(3, rg=True)\nFn.apply(x).sum().backward()"),
      ("function_forward_not_tensor", "class Fn(M.autograd.Function):\n    @staticmethod\n    def forward(ctx, a):\n        return 'a'\n    @staticmethod\n    def backward(ctx, g):\n        return g\nx = R(3, rg=True)\nout = Fn.apply(x)", VAL),
      )


# --- sizes: overflow, larger than memory, negative, too many dims ------------------------------
group("sizes",
      ("zeros_overflow", "M.zeros(2**40, 2**40)"),
      ("zeros_overflow3", "M.zeros(2**21, 2**21, 2**21)"),
      ("ones_overflow", "M.ones(2**62, 4)"),
      ("empty_overflow", "M.empty(2**40, 2**40)"),
      ("full_overflow", "M.full((2**40, 2**40), 1.0)"),
      ("zeros_bytes_overflow", "M.zeros(2**61, dtype=M.float64)",
       T("torch's allocator and pyad's count bytes differently", "2305843009213693952")),
      ("zeros_too_big", "M.zeros(2**36, dtype=M.float64)",
       DIFF("OutOfMemoryError", "allocation failures: pyad.OutOfMemoryError, a RuntimeError and a MemoryError", "allocate")),
      ("ones_too_big", "M.ones(2**34, 2**2)",
       DIFF("OutOfMemoryError", "allocation failures: pyad.OutOfMemoryError, a RuntimeError and a MemoryError", "allocate")),
      ("empty_too_big", "M.empty(2**40)",
       DIFF("OutOfMemoryError", "allocation failures: pyad.OutOfMemoryError, a RuntimeError and a MemoryError", "allocate")),
      ("rand_too_big", "M.rand(2**40)",
       DIFF("MemoryError", "numpy allocates these: its MemoryError (torch: RuntimeError)", "allocate")),
      ("expand_then_clone_too_big", "R(1).expand(2**40).clone()",
       DIFF("OutOfMemoryError", "pyad's expand copies (differences.md) and cannot allocate", "allocate")),
      # numel * itemsize wrapped to 0 bytes: a 0-byte buffer behind 2**62 elements
      ("zeros_bytes_wrap", "M.zeros(2**62, dtype=M.float64)"),
      ("ones_bytes_wrap_f32", "M.ones(2**62)"),
      ("empty_bytes_wrap", "M.empty(2**61, 4, dtype=M.float64)"),
      ("full_bytes_wrap", "M.full((2**62,), 1.0, dtype=M.float64)"),
      ("expand_clone_bytes_wrap", "M.ones(1, dtype=M.float64).expand(2**62).clone()",
       T("torch's message adds the strides", "Storage size calculation overflowed")),
      ("zeros_neg", "M.zeros(-1)"),
      ("zeros_neg2", "M.zeros(2, -3)"),
      ("empty_neg", "M.empty(-5)"),
      ("ones_neg_big", "M.ones(-2**63)"),
      ("zeros_huge", "M.zeros(2**63)"),
      ("zeros_1e30", "M.zeros(10**30)"),
      ("zeros_float", "M.zeros(2.0)"),
      ("zeros_str", "M.zeros('a')"),
      ("zeros_none", "M.zeros(None)"),
      ("zeros_nested", "M.zeros([[2]])"),
      ("zeros_tensor_float", "M.zeros(M.tensor([2.0]))"),
      ("zeros_bool_size", "M.zeros(True)", VAL),
      ("zeros_npint", "M.zeros(np.int64(2))", VAL),
      ("zeros_overflow_with_zero", "M.zeros(2**40, 2**40, 0)", VAL),
      ("dims_16_ok", "M.zeros(*[1] * 16).sum()", VAL),
      ("dims_17", "M.zeros(*[1] * 17)",
       DIFF("RuntimeError", "at most 16 dimensions (differences.md)", "at most 16 dimensions")),
      ("dims_65", "M.zeros(*[1] * 65)",
       DIFF("RuntimeError", "at most 16 dimensions (differences.md)", "at most 16 dimensions")),
      ("dims_65_torch_too", "M.zeros(*[1] * 65).sum(0)",
       DIFF("RuntimeError", "at most 16 dimensions (differences.md)", "at most 16 dimensions")),
      ("unsqueeze_past_16", "x = M.zeros(*[1] * 16)\nx.unsqueeze(0)",
       DIFF("RuntimeError", "at most 16 dimensions (differences.md)", "at most 16 dimensions")),
      ("index_none_past_16", "x = M.zeros(*[1] * 16)\nx[None]",
       DIFF("RuntimeError", "at most 16 dimensions (differences.md)", "at most 16 dimensions")),
      ("reshape_past_16", "M.zeros(1).reshape([1] * 17)",
       DIFF("RuntimeError", "at most 16 dimensions (differences.md)", "at most 16 dimensions")),
      ("expand_past_16", "M.zeros(1).expand(*[1] * 17)",
       DIFF("RuntimeError", "at most 16 dimensions (differences.md)", "at most 16 dimensions")),
      ("tensor_nested_17", "M.tensor(np.zeros([1] * 17))",
       DIFF("RuntimeError", "at most 16 dimensions (differences.md)", "at most 16 dimensions")),
      ("stack_past_16", "M.stack([M.zeros(*[1] * 16)] * 2)",
       DIFF("RuntimeError", "at most 16 dimensions (differences.md)", "at most 16 dimensions")),
      ("matmul_broadcast_past_16", "M.zeros(*[1] * 16) @ M.zeros(*[1] * 16)", VAL),
      ("eye_huge", "M.eye(2**40)"),
      ("arange_too_big", "M.arange(2**40)",
       DIFF("MemoryError", "numpy allocates these: its MemoryError (torch: RuntimeError)", "allocate")),
      ("repeat_overflow", "R(2).repeat(2**62)"),
      ("tile_too_big", "R(2).tile(2**40)",
       DIFF("OutOfMemoryError", "allocation failures: pyad.OutOfMemoryError, a RuntimeError and a MemoryError", "allocate")),
      ("matmul_too_big", "R(2**20, 1) @ R(1, 2**20)",
       DIFF("OutOfMemoryError", "allocation failures: pyad.OutOfMemoryError, a RuntimeError and a MemoryError", "allocate")),
      ("outer_too_big", "M.outer(R(2**20), R(2**20))",
       DIFF("OutOfMemoryError", "allocation failures: pyad.OutOfMemoryError, a RuntimeError and a MemoryError", "allocate")),
      ("add_broadcast_too_big", "R(2**20, 1) + R(2**20)",
       DIFF("OutOfMemoryError", "allocation failures: pyad.OutOfMemoryError, a RuntimeError and a MemoryError", "allocate")),
      )

# --- numpy arrays in every layout --------------------------------------------------------------
_ARRAYS = {
    "noncontig": "np.arange(12.0).reshape(3, 4)[:, ::2]",
    "transposed": "np.arange(6.0).reshape(2, 3).T",
    "negative_stride": "np.arange(5.0)[::-1]",
    "readonly": "(lambda a: (a.setflags(write=False), a)[1])(np.arange(4.0))",
    "misaligned": "np.frombuffer(bytearray(8 * 5 + 1), np.float64, 4, 1)",
    "misaligned_f32": "np.frombuffer(bytes(range(17)), np.float32, 4, 1)",
    "big_endian": "np.arange(4.0).astype('>f8')",
    "big_endian_i8": "np.arange(4).astype('>i8')",
    "zero_strided": "np.broadcast_to(np.arange(3.0), (4, 3))",
    "zero_strided_scalar": "np.broadcast_to(np.float64(2.5), (3,))",
    "float16": "np.arange(4, dtype=np.float16)",
    "int32": "np.arange(4, dtype=np.int32)",
    "uint8": "np.arange(4, dtype=np.uint8)",
    "uint64_big": "np.array([2**64 - 1], dtype=np.uint64)",
    "fortran": "np.asfortranarray(np.arange(6.0).reshape(2, 3))",
    "empty_2d": "np.zeros((0, 3))",
    "0d": "np.array(2.5)",
    "structured": "np.zeros(2, dtype=[('a', 'f8')])",
    "datetime": "np.array(['2020-01-01'], dtype='datetime64[D]')",
    "str_array": "np.array(['a', 'b'])",
    "object": "np.array([1.0, 2.0], dtype=object)",
    "object_ragged": "np.array([[1.0], [2.0, 3.0]], dtype=object)",
    "complex": "np.ones(2, np.complex128)",
    "bool": "np.array([True, False])",
    "memmap_like_view": "np.arange(10.0)[2:6]",
}
group("numpy",
      *[(f"tensor_{k}", f"M.tensor({v})", VAL) for k, v in _ARRAYS.items()
        if k not in ("complex", "structured", "datetime", "str_array", "object", "object_ragged",
                     "uint64_big", "float16", "big_endian", "big_endian_i8", "int32", "uint8",
                     "negative_stride")],
      ("tensor_float16", "M.tensor(np.arange(4, dtype=np.float16))",
       DIFF("", "", "")) if False else
      ("tensor_float16_values", "M.tensor(np.arange(4, dtype=np.float16)).tolist()", VAL),
      *[(f"{fn}_accepts_{k}", f"a = {_ARRAYS[k]}\nt = M.{fn}(a)\nout = t.tolist() == a.tolist()",
         ACCEPTS("pyad copies negative-stride and byte-swapped arrays; torch refuses them"))
        for fn in ("tensor", "as_tensor") for k in ("negative_stride", "big_endian", "big_endian_i8")],
      ("tensor_int32_values", "M.tensor(np.arange(4, dtype=np.int32)).tolist()", VAL),
      ("tensor_uint8_values", "M.tensor(np.arange(4, dtype=np.uint8)).tolist()", VAL),
      ("tensor_structured", "M.tensor(np.zeros(2, dtype=[('a', 'f8')]))"),
      ("tensor_datetime", "M.tensor(np.array(['2020-01-01'], dtype='datetime64[D]'))"),
      ("tensor_str_array", "M.tensor(np.array(['a', 'b']))"),
      ("tensor_object", "M.tensor(np.array([1.0, 2.0], dtype=object))",
       DIFF("TypeError", "object arrays are refused, not converted element by element", "infer")),
      ("tensor_object_ragged", "M.tensor(np.array([[1.0], [2.0, 3.0]], dtype=object))"),
      ("tensor_uint64_big", "M.tensor(np.array([2**64 - 1], dtype=np.uint64))",
       DIFF("ValueError", "no uint64 dtype (differences.md, Dtypes): values past int64 are refused",
            "Overflow")),
      *[(f"as_tensor_{k}", f"M.as_tensor({v})", VAL) for k, v in _ARRAYS.items()
        if k in ("noncontig", "transposed", "readonly", "misaligned",
                 "zero_strided", "fortran", "empty_2d", "0d", "bool", "memmap_like_view")],
      *[(f"from_numpy_{k}", f"M.from_numpy({v})", VAL) for k, v in _ARRAYS.items()
        if k in ("misaligned", "empty_2d", "0d", "bool", "memmap_like_view")],
      ("from_numpy_readonly", f"M.from_numpy({_ARRAYS['readonly']})",
       DIFF("ValueError", "a read-only array is refused: pyad tensors are writable", "read-only")),
      *[(f"from_numpy_refused_{k}", f"M.from_numpy({v})",
         DIFF("ValueError", "pyad tensors are contiguous: from_numpy refuses strided (and "
              "read-only) arrays", "pyad.from_numpy"))
        for k, v in _ARRAYS.items() if k in ("noncontig", "transposed", "negative_stride",
                                              "zero_strided", "fortran")],
      *[(f"from_numpy_dtype_{k}", f"M.from_numpy({v})",
         DIFF("TypeError", "float64, float32, int64 and bool only (differences.md, Dtypes)",
              "float64, float32, int64, and bool"))
        for k, v in _ARRAYS.items() if k in ("float16", "int32", "uint8", "complex", "object")],
      *[(f"from_numpy_byte_order_{k}", f"M.from_numpy({_ARRAYS[k]})")
        for k in ("big_endian", "big_endian_i8")],
      *[(f"{fn}_dtype_of_{k}", f"out = M.{fn}({_ARRAYS[k]}).dtype == M.{dt}",
         ACCEPTS("pyad copies byte-swapped arrays (torch refuses them), keeping their dtype"))
        for fn in ("tensor", "as_tensor")
        for k, dt in (("big_endian", "float64"), ("big_endian_i8", "int64"))],
      ("from_numpy_list", "M.from_numpy([1.0, 2.0])"),
      ("from_numpy_tensor", "M.from_numpy(R(2))"),
      ("as_tensor_no_alias_copy", "a = np.arange(6.0).reshape(2, 3).T\nt = M.as_tensor(a)\na[0, 0] = 99\n"
       "out = t.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]",
       ACCEPTS("a strided array is copied: pyad tensors are contiguous (torch shares it)")),
      ("as_tensor_alias", "a = np.arange(3.0)\nt = M.as_tensor(a)\na[0] = 99\nout = t", VAL),
      ("from_numpy_alias", "a = np.arange(3.0)\nt = M.from_numpy(a)\nt.add_(1)\nout = a.tolist()", VAL),
      ("from_numpy_readonly_write", "a = np.arange(3.0)\na.setflags(write=False)\nt = M.from_numpy(a)\nt.add_(1)\nout = a.tolist()",
       DIFF("ValueError", "a read-only array is refused for writing; torch warns and writes anyway", "read-only")),
      ("from_numpy_readonly_read", "a = np.arange(3.0)\na.setflags(write=False)\nout = (M.from_numpy(a) * 2)",
       DIFF("ValueError", "a read-only array is refused: pyad tensors are writable", "read-only")),
      ("from_numpy_misaligned_values", "a = np.frombuffer(bytearray(8 * 5 + 1), np.float64, 4, 1).copy()\nout = M.from_numpy(a) + 1", VAL),
      ("from_numpy_keeps_alive", "t = M.from_numpy(np.arange(1000.0))\nimport gc\ngc.collect()\nout = t.sum()", VAL),
      ("ops_with_noncontig", "R(3, 2) + np.arange(6.0).reshape(2, 3).T", VAL),
      ("ops_with_big_endian", "R(3) + np.arange(3.0).astype('>f8')", VAL),
      ("ops_with_zero_strided", "R(4, 3) * np.broadcast_to(np.arange(3.0), (4, 3))", VAL),
      ("setitem_big_endian", "x = R(3)\nx[:] = np.arange(3.0).astype('>f8') + 10\n"
       "out = x.tolist() == [10.0, 11.0, 12.0]",
       ACCEPTS("an array is accepted as the assigned value (differences.md, Operands)")),
      ("setitem_noncontig", "x = R(2, 3)\nx[:] = np.arange(6.0).reshape(3, 2).T\n"
       "out = x.tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]",
       ACCEPTS("an array is accepted as the assigned value (differences.md, Operands)")),
      ("numpy_roundtrip_writeable", "t = R(3)\na = t.numpy()\na[0] = 5\nout = t", VAL),
      )

# --- pickle payloads that are truncated or tampered (a small set; see the pickle fuzzer) ------
group("pickle",
      ("roundtrip", "out = pickle.loads(pickle.dumps(R(2, 3)))", VAL),
      ("roundtrip_grad", "out = pickle.loads(pickle.dumps(R(2, 3, rg=True)))", VAL),
      ("truncated", "b = pickle.dumps(R(2, 3))\npickle.loads(b[:len(b) // 2])",
       T("pickle's own error for a truncated stream", "")),
      ("truncated_end", "b = pickle.dumps(R(2, 3))\npickle.loads(b[:-1])",
       T("pickle's own error for a truncated stream", "")),
      )
_REBUILD = "M._C._rebuild_tensor"
group("pickle",
      *[(f"tampered_{k}", f"{_REBUILD}({args})", DIFF(exc, "pyad's own pickle payload", word))
        for k, args, exc, word in [
            ("short_data", "b'\\0' * 8, 'float32', (4,), False", "ValueError", "bytes"),
            ("long_data", "b'\\0' * 64, 'float32', (4,), False", "ValueError", "bytes"),
            ("neg_shape", "b'', 'float32', (-1,), False", "ValueError", "shape"),
            ("huge_shape", "b'', 'float32', (2**63,), False", "ValueError", "shape"),
            ("overflow_shape", "b'', 'float64', (2**40, 2**40), False", "ValueError", ""),
            ("float_shape", "b'\\0' * 8, 'float32', (2.0,), False", "ValueError", "shape"),
            ("list_shape", "b'\\0' * 8, 'float32', [2], False", "ValueError", "shape"),
            ("17_dims", "b'\\0' * 4, 'float32', (1,) * 17, False", "ValueError", "dimensions"),
            ("bad_dtype", "b'\\0' * 8, 'complex64', (1,), False", "ValueError", "dtype"),
            ("dtype_not_str", "b'\\0' * 8, 3, (1,), False", "ValueError", "dtype"),
            ("data_not_bytes", "[0] * 8, 'float64', (1,), False", "ValueError", "bytes"),
            ("requires_grad_int_dtype", "b'\\0' * 8, 'int64', (1,), True", "RuntimeError", "floating point"),
            ("requires_grad_not_bool", "b'\\0' * 8, 'float64', (1,), 1", "ValueError", "requires_grad"),
        ]],
      )


# --- integers at their edges (issue 13): INT64_MIN / -1 traps in x86's idiv (a SIGFPE here
# is a failed case, not a dead run), int64 scalars beyond 2**53 must stay exact, bool sums
# must count past 255, out-of-range ints raise torch's errors ------------------------------
group("integers",
      *[(f"min_{cid}", code.replace("X", "M.tensor([-2**63, 7])")) for cid, code in [
          ("floordiv", "X // -1"), ("mod", "X % -1"), ("fmod", "M.fmod(X, -1)"),
          ("remainder", "M.remainder(X, -1)"), ("floor_divide", "M.floor_divide(X, -1)"),
          ("div_floor", "M.div(X, -1, rounding_mode='floor')"),
          ("floordiv_t", "X // M.tensor([-1])"), ("mod_t", "X % M.tensor([-1, -1])"),
          ("fmod_t", "M.fmod(X, M.tensor(-1))"), ("rfloordiv", "-2**63 // M.tensor([-1])"),
          ("rmod", "-2**63 % M.tensor([-1])"), ("ifloordiv", "x = X; x //= -1; out = x"),
          ("imod", "x = X; x %= -1; out = x"), ("div_", "X.div_(-1, rounding_mode='floor')"),
      ]],
      ("zero_floordiv", "M.tensor([5]) // 0", SAME), ("zero_mod", "M.tensor([5]) % 0", SAME),
      ("zero_fmod_t", "M.fmod(M.tensor([5]), M.tensor([0]))", SAME),
      ("zero_trunc", "M.div(M.tensor([5]), 0, rounding_mode='trunc')", SAME),
      ("zero_rfloordiv", "5 // M.tensor([0])", SAME), ("zero_bool", "M.tensor([5]) // False", SAME),
      ("bool_floordiv", "M.tensor([True]) // M.tensor([True])", SAME),
      ("bool_pow", "M.tensor([True]) ** M.tensor([True])", SAME),
      ("neg_pow", "M.tensor([2]) ** -1", SAME),
      ("full_2p53", "M.full((1,), 2**53 + 1)"), ("sub_2p60", "M.tensor([0]) - (2**60 + 1)"),
      ("pow_2p62", "M.tensor([5, 7]) ** (2**62 + 1)"), ("eq_max", "M.tensor([2**63 - 1]) == 2**63 - 1"),
      ("fill_big", "M.tensor([5]).fill_(2**62 + 1)"), ("add__big", "M.tensor([5]).add_(2**62 + 1)"),
      ("setitem_big", "x = M.tensor([5, 6]); x[0] = 2**62 + 1; out = x"),
      ("np_int64", "M.tensor([5]) + np.int64(2**62 + 1)"),
      ("np_uint64", "M.tensor([5]) * np.uint64(2**62 + 1)"),
      ("wrap_2p63", "M.tensor([5]) + 2**63"), ("lt_2p63", "M.tensor([5]) < 2**63"),
      ("fill_2p63", "M.tensor([5]).fill_(2**63)", SAME), ("full_2p64", "M.full((1,), 2**64)", SAME),
      ("add_2p64", "M.tensor([5]) + 2**64", SAME), ("sub_neg", "M.tensor([5]) - (-2**63 - 1)", SAME),
      ("clamp_big", "M.tensor([5]).clamp(2**62 + 1)"),
      ("where_big", "M.where(M.tensor([True]), 2**62 + 1, 0)"),
      ("masked_fill_big", "M.tensor([5]).masked_fill(M.tensor([True]), 2**62 + 1)"),
      ("arange_big", "M.arange(2**53, 2**53 + 4)"), ("arange_len", "M.arange(0, 2**53 + 1, 2**52)"),
      ("bool_sum_300", "M.tensor([True] * 300).sum()"),
      ("bool_sum_dim", "M.ones(2, 600, dtype=M.bool).sum(1)"),
      ("bool_sum_2p20", "M.ones(2**20, dtype=M.bool).sum()"),
      ("int_matmul", "M.tensor([[2**40, 3]]) @ M.tensor([[2**22], [5]])"),
      ("int_and", "M.tensor([12, -1]) & 10"), ("int_invert", "~M.tensor([5])"),
      default=VAL)


# ============================================================================================
# Known differences not fixed yet: each one fails today (strict xfail), so fixing it is noticed.
# ============================================================================================
# Mostly huge ints (OverflowError where torch raises ValueError/TypeError/IndexError), numpy
# integers as dims or sizes, and exception types of torch's argument parser.
KNOWN: dict[str, str] = {
    'operand_types/method_copy__ndarray': 'not fixed yet: pyad raises TypeError, torch raises TypeError',
    'operand_types/clamp_ndarray': 'not fixed yet: pyad raises TypeError, torch raises TypeError',
    'operand_types/cat_arg_list': 'not fixed yet: pyad raises TypeError, torch raises TypeError',
    'operand_types/requires_grad_set_list': 'not fixed yet: pyad raises RuntimeError, torch raises RuntimeError',
    'operand_types/requires_grad_set_float': 'not fixed yet: pyad raises RuntimeError, torch raises RuntimeError',
    'operand_types/requires_grad_set_ndarray': 'not fixed yet: pyad raises RuntimeError, torch raises RuntimeError',
    'shape/reshape_bool': 'not fixed yet: pyad returns a result, torch raises TypeError',
    'shape/reshape_huge': 'not fixed yet: pyad raises OverflowError, torch raises TypeError',
    'shape/reshape_10e30': 'not fixed yet: pyad raises OverflowError, torch raises TypeError',
    'shape/reshape_overflow_product': 'not fixed yet: pyad raises ValueError, torch raises RuntimeError',
    'shape/view_dtype': 'not fixed yet: pyad raises NotImplementedError, torch raises RuntimeError',
    'shape/expand_huge': 'not fixed yet: pyad raises OverflowError, torch raises TypeError',
    'shape/permute_huge': 'not fixed yet: pyad raises OverflowError, torch raises TypeError',
    'dims/softmax_dup': 'not fixed yet: pyad raises RuntimeError, torch raises TypeError',
    'dims/softmax_dup_neg': 'not fixed yet: pyad raises RuntimeError, torch raises TypeError',
    'dims/log_softmax_dup': 'not fixed yet: pyad raises RuntimeError, torch raises TypeError',
    'dims/log_softmax_dup_neg': 'not fixed yet: pyad raises RuntimeError, torch raises TypeError',
    'dims/norm_2p63': 'not fixed yet: pyad raises OverflowError, torch raises TypeError',
    'dims/norm_1e30': 'not fixed yet: pyad raises OverflowError, torch raises TypeError',
    'getitem/step_huge': 'not fixed yet: pyad raises OverflowError, torch raises RuntimeError',
    'setitem/step_huge': 'not fixed yet: pyad raises OverflowError, torch raises RuntimeError',
    'setitem/value_list_ragged': 'not fixed yet: pyad raises ValueError, torch raises TypeError',
    'construct/ragged_scalar_list': 'not fixed yet: pyad raises ValueError, torch raises TypeError',
    'autograd/saved_modified_leaf_data': 'not fixed yet: pyad raises RuntimeError, torch returns a result',
    'autograd/grad_output_str': 'not fixed yet: pyad raises TypeError, torch raises AssertionError',
    'autograd/grad_input_dict': 'not fixed yet: pyad raises TypeError, torch returns a result',
    'sizes/zeros_huge': 'not fixed yet: pyad raises OverflowError, torch raises TypeError',
    'sizes/zeros_1e30': 'not fixed yet: pyad raises OverflowError, torch raises TypeError',
    'sizes/zeros_bool_size': 'not fixed yet: pyad returns a result, torch raises TypeError',
    'sizes/zeros_overflow_with_zero': 'not fixed yet: pyad raises ValueError, torch raises RuntimeError',
}

# Cases where both raise the same exception type but torch's wording (its generated argument
# parser, a C++ check, or a different but equivalent check firing first) is not pyad's.
WORDING: set[str] = {
    'autograd/backward_gradient_str',
    'construct/bad_dtype_np',
    'construct/bad_dtype_str',
    'construct/bool_empty',
    'construct/bytes',
    'construct/full_none',
    'construct/full_str',
    'construct/index_float_tensor',
    'construct/ragged',
    'construct/ragged_deep',
    'construct/str',
    'construct/tensor_list_non0d',
    'dims/all_float',
    'dims/all_none_list',
    'dims/all_str',
    'dims/amax_float',
    'dims/amax_none_list',
    'dims/amax_str',
    'dims/amin_float',
    'dims/amin_none_list',
    'dims/amin_str',
    'dims/any_float',
    'dims/any_none_list',
    'dims/any_str',
    'dims/argmax_dup',
    'dims/argmax_dup_neg',
    'dims/argmax_float',
    'dims/argmax_none_list',
    'dims/argmax_str',
    'dims/argmin_dup',
    'dims/argmin_dup_neg',
    'dims/argmin_float',
    'dims/argmin_none_list',
    'dims/argmin_str',
    'dims/cumprod_dup',
    'dims/cumprod_dup_neg',
    'dims/cumprod_float',
    'dims/cumprod_none_list',
    'dims/cumprod_str',
    'dims/cumsum_dup',
    'dims/cumsum_dup_neg',
    'dims/cumsum_float',
    'dims/cumsum_none_list',
    'dims/cumsum_str',
    'dims/log_softmax_float',
    'dims/log_softmax_none_list',
    'dims/log_softmax_str',
    'dims/logsumexp_float',
    'dims/logsumexp_none_list',
    'dims/logsumexp_str',
    'dims/max_dup',
    'dims/max_dup_neg',
    'dims/max_float',
    'dims/max_none_list',
    'dims/max_str',
    'dims/mean_float',
    'dims/mean_none_list',
    'dims/mean_str',
    'dims/min_dup',
    'dims/min_dup_neg',
    'dims/min_float',
    'dims/min_none_list',
    'dims/min_str',
    'dims/narrow_float',
    'dims/norm_none_list',
    'dims/norm_str',
    'dims/softmax_float',
    'dims/softmax_none_list',
    'dims/softmax_str',
    'dims/split_float',
    'dims/squeeze_float',
    'dims/squeeze_none_list',
    'dims/squeeze_str',
    'dims/std_float',
    'dims/std_none_list',
    'dims/std_str',
    'dims/sum_float',
    'dims/sum_none_list',
    'dims/sum_str',
    'dims/unsqueeze_dup',
    'dims/unsqueeze_dup_neg',
    'dims/unsqueeze_float',
    'dims/unsqueeze_none_list',
    'dims/unsqueeze_str',
    'dims/var_float',
    'dims/var_none_list',
    'dims/var_str',
    'getitem/0d_int',
    'getitem/0d_slice',
    'getitem/step0',
    'matmul/dot_dtype',
    'matmul/matmul_func_none',
    'matmul/matmul_none',
    'matmul/matmul_scalar',
    'matmul/matmul_str',
    'matmul/mm_func_str',
    'matmul/mm_method_ndarray',
    'numpy/tensor_datetime',
    'numpy/tensor_object_ragged',
    'numpy/tensor_str_array',
    'numpy/tensor_structured',
    'operand_types/F1_gelu_str',
    'operand_types/clamp_none',
    'operand_types/fn_first_add_dict',
    'operand_types/fn_first_add_object',
    'operand_types/fn_first_add_str',
    'operand_types/fn_first_mul_str',
    'operand_types/grad_set_dtype',
    'operand_types/method_add__dict',
    'operand_types/method_add__object',
    'operand_types/method_add__str',
    'operand_types/method_add_dict',
    'operand_types/method_add_object',
    'operand_types/method_add_str',
    'operand_types/method_floor_divide_dict',
    'operand_types/method_floor_divide_object',
    'operand_types/method_floor_divide_str',
    'operand_types/method_remainder_dict',
    'operand_types/method_remainder_object',
    'operand_types/method_remainder_str',
    'operand_types/method_sub_dict',
    'operand_types/method_sub_object',
    'operand_types/method_sub_str',
    'operand_types/op2_str',
    'operand_types/op6_dict',
    'operand_types/op6_object',
    'operand_types/op6_str',
    'operand_types/op7_dict',
    'operand_types/op7_object',
    'operand_types/op7_str',
    'operand_types/requires_grad_set_dict',
    'operand_types/requires_grad_set_none',
    'operand_types/requires_grad_set_object',
    'operand_types/requires_grad_set_str',
    'operand_types/rop2_str',
    'operand_types/where_dict',
    'operand_types/where_object',
    'operand_types/where_str',
    'setitem/leaf_requires_grad',
    'setitem/none_and_oob',
    'setitem/step0',
    'setitem/value_nan_int',
    'setitem/value_none',
    'setitem/value_shape',
    'setitem/value_str',
    'shape/broadcast_to_neg',
    'shape/cat_dim_float',
    'shape/expand_float',
    'shape/expand_neg_new',
    'shape/expand_overflow',
    'shape/permute_float',
    'shape/reshape_float',
    'shape/reshape_float_tensor',
    'shape/reshape_huge_neg',
    'shape/reshape_infer_zero',
    'shape/reshape_neg',
    'shape/reshape_neg_one_other',
    'shape/reshape_none',
    'shape/reshape_str',
    'shape/transpose_float',
    'shape/view_str',
    'sizes/empty_overflow',
    'sizes/full_overflow',
    'sizes/ones_neg_big',
    'sizes/ones_overflow',
    'sizes/repeat_overflow',
    'sizes/zeros_float',
    'sizes/zeros_neg',
    'sizes/zeros_neg2',
    'sizes/zeros_none',
    'sizes/zeros_overflow',
    'sizes/zeros_overflow3',
    'sizes/zeros_str',
    'sizes/zeros_tensor_float',
}


# ============================================================================================
# The tests: one per case; outcomes come from one batch per group (and one torch batch)
# ============================================================================================
_MINE: dict[str, dict] = {}
_REF: dict[str, dict] | None = None


# Cases whose outcome (MemoryError) relies on the address-space cap: where it is not enforced
# the allocation may succeed and the filling of terabytes then times out (macOS overcommits).
HUGE_ALLOCATIONS = {cid for rows in CATALOGUE.values() for cid, _, expect in rows
                    if expect[0] == "diff" and expect[1] == "MemoryError"}
# torch is the reference only where it is installed (the wheel jobs of several platforms and
# the sdist job have none): the KNOWN differences fail only when compared with it.
HAVE_TORCH = importlib.util.find_spec("torch") is not None


def _runnable(rows):
    return [(cid, code) for cid, code, _ in rows
            if ADDRESS_SPACE_CAPPED or cid not in HUGE_ALLOCATIONS]


def _mine(group_name):
    if group_name not in _MINE:
        _MINE[group_name] = run_cases(MODULE_NAME, _runnable(CATALOGUE[group_name]))
    return _MINE[group_name]


def _ref():
    global _REF
    if _REF is None:
        _REF = run_cases("torch", [case for rows in CATALOGUE.values()
                                   for case in _runnable(rows)]) if HAVE_TORCH else {}
    return _REF


def _params():
    for name, rows in CATALOGUE.items():
        for cid, code, expect in rows:
            marks = []
            judged = HAVE_TORCH or expect[0] in ("diff", "accepts")   # see check()
            if cid in KNOWN and judged and not AGAINST_TORCH:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[cid]))
            if cid in HUGE_ALLOCATIONS and not ADDRESS_SPACE_CAPPED:
                marks.append(pytest.mark.skip(reason="relies on RLIMIT_AS, which only Linux "
                                                     "enforces"))
            yield pytest.param(name, cid, code, expect, id=cid, marks=marks)


@pytest.mark.parametrize("group_name,cid,code,expect", list(_params()))
def test_bad_input(group_name, cid, code, expect):
    ref = _ref().get(cid) if not AGAINST_TORCH else None
    if cid in WORDING and expect[0] in ("same", "type", "converts"):
        expect = T("the same exception type; torch words it differently")
    check(expect, _mine(group_name).get(cid), ref, code)


def test_catalogue_size():
    """The catalogue covers every group the brief lists, with many cases each."""
    assert set(CATALOGUE) >= {"broadcast", "matmul", "operand_types", "shape", "dims", "getitem",
                              "setitem", "construct", "autograd", "sizes", "numpy", "pickle"}
    assert sum(len(rows) for rows in CATALOGUE.values()) > 1000


def test_crash_is_reported():
    """The harness itself: a case that kills its batch is re-run alone and reported as a crash,
    and the other cases of the batch still get their outcomes."""
    cases = [("ok", "1 + 1"), ("dies", "import os\nos.abort()"), ("raises", "[][1]")]
    res = run_cases(MODULE_NAME, cases)
    assert res["ok"] == {"ok": 2}
    assert "crash" in res["dies"]
    assert res["raises"]["exc"] == "IndexError"
