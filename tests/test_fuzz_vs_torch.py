"""Fuzzer: random programs of ops, indexing and autograd calls, valid and invalid, pyad vs torch.

A *program* is a list of statements over numbered variables.  Statements are:

- ``leaf``: a tensor of float32/float64/int64/bool data (0-d, size-0 and ordinary shapes),
  maybe with ``requires_grad=True`` (invalid for int64/bool);
- ``op``: one entry of the op catalogue of ``tests/test_catalogue_property.py`` (its ``OPS``
  table: unary, scalar, binary, mask, reduction, shape, indexing and linalg ops in every
  spelling), with the catalogue's own generator drawing operands and parameters; a third of
  the steps are then *mutated*: an operand swapped for any other variable (wrong shape, dtype,
  a None left by an earlier error), or an integer parameter replaced (out-of-range dims,
  negative or huge sizes, a float, a string);
- ``getitem`` / ``setitem`` with random keys: ints (in and out of range, huge), slices (steps
  0, negative, 2), None, Ellipsis (sometimes two), lists, nested lists, bools, int64 and float
  index tensors, masks of fitting and wrong shapes, strings;
- in-place methods (``add_``, ``mul_``, ``clamp_``, ``exp_``, ``zero_``, ``copy_``, ...) and
  augmented assignment, ``detach``, ``detach_``, ``requires_grad_``, ``retain_grad``;
- ``autograd.grad`` with random outputs, inputs (leaves, non-leaves, tensors that do not
  require grad, repeated ones), ``grad_outputs`` (None, fitting, wrong shape or dtype) and
  ``retain_graph`` / ``create_graph`` / ``allow_unused``; ``backward`` with a random
  ``gradient``, flags and ``inputs``; reading ``.grad``.

Each program is drawn by hypothesis while it runs in torch (so the catalogue's generators can
look at values and shapes), then sent to a *worker subprocess* that runs it in torch and in
pyad and returns, for every statement and each library, either the outputs (dtype, shape,
values, requires_grad, grad_fn presence) or the exception.  A worker that dies (a crash, an
abort) or hangs is restarted and the program that killed it is the failure; pytest never dies.

A program fails on:

- a crash or a hang of the worker;
- pyad raising where torch succeeds, or succeeding where torch raises, unless the pair is on
  the allow-list ``ALLOWED`` below, whose every entry is a deliberate difference written up in
  ``docs/differences.md``;
- exceptions of different types (compared by their nearest built-in class, so torch's
  ``LinAlgError`` matches a pyad ``RuntimeError`` subclass of the same name or RuntimeError);
- different outputs: dtype, shape, requires_grad, whether there is a grad_fn, and values with a
  normwise tolerance per dtype (``TOL``; NaN and infinity positions must be equal, integers and
  bools exactly).

Copies vs views (``docs/differences.md``): indexing, transpose, permute and expand return
copies in pyad.  After every write (in-place op, setitem, backward accumulating into ``.grad``)
both libraries report which variables share memory with the written one; variables aliased in
one library and not in the other are *tainted* (their values may legitimately differ) and so is
everything computed from them: those statements are not compared.

Default: ``EXAMPLES`` programs (about 20-30 s).  ``PYAD_FUZZ_EXAMPLES=N`` runs N programs,
``PYAD_FUZZ_SEED=S`` draws another sequence (the default is derandomised), and
``PYAD_FUZZ_LOG=path`` turns the test into a campaign: every failing program is appended to
the log (with the first mismatch) and the run goes on.  A long campaign::

    PYAD_FUZZ_EXAMPLES=20000 PYAD_FUZZ_SEED=1 PYAD_FUZZ_LOG=/tmp/fuzz.log \\
        python -m pytest tests/test_fuzz_vs_torch.py -p no:cacheprovider
"""

from __future__ import annotations

import math
import os
import pickle
import struct
import subprocess
import sys
import traceback
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import test_catalogue_property as cat  # noqa: E402
from conftest import MODULE_NAME, asan_loaded, module_path_env  # noqa: E402

pytestmark = pytest.mark.slow  # a fuzz campaign

EXAMPLES = int(os.environ.get("PYAD_FUZZ_EXAMPLES", "300"))
SEED = os.environ.get("PYAD_FUZZ_SEED")
LOG = os.environ.get("PYAD_FUZZ_LOG")
TIMEOUT = 60.0  # seconds per program before the worker counts as hung
MAX_STATEMENTS = 14
MAX_VALUE_NUMEL = 4096  # a larger variable is never picked as an operand again

# normwise: |got - want| <= rtol * (|want| + max(1, max|want|)) on entries finite in both
TOL = {"float64": 1e-7, "float32": 1e-3}

DTYPES = ["float32", "float64", "int64", "bool"]
FLOAT = ("float32", "float64")

# ----------------------------------------------------------------------------
# statements
# ----------------------------------------------------------------------------
# Every statement is a tuple (kind, inputs, n_outputs, payload): ``inputs`` are the variable
# numbers it reads (for taint), ``n_outputs`` how many variables it appends.

INPLACE = [  # (method, argument kind)
    ("add_", "any"), ("sub_", "any"), ("mul_", "any"), ("div_", "any"), ("pow_", "scalar"),
    ("clamp_", "bounds"), ("clamp_min_", "scalar"), ("clamp_max_", "scalar"),
    ("exp_", None), ("log_", None), ("sin_", None), ("cos_", None), ("tanh_", None),
    ("sigmoid_", None), ("relu_", None), ("abs_", None), ("neg_", None), ("sqrt_", None),
    ("reciprocal_", None), ("zero_", None), ("fill_", "scalar0d"), ("copy_", "tensor"),
    ("+=", "any"), ("-=", "any"), ("*=", "any"), ("/=", "any"),
]
SCALARS = [2.0, -1.5, 0.5, 3, 0, -2, True, 1e300, float("nan"), float("inf"),
           # int64 extremes and exactness past 2**53, and numpy scalars of every dtype
           2**63 - 1, -(2**63), 2**53 + 1, -(2**60 + 1), 2**62 + 1,
           np.int8(-3), np.uint8(200), np.int16(-300), np.uint16(60000), np.int32(-(2**31)),
           np.uint32(2**32 - 1), np.int64(2**63 - 1), np.int64(-(2**63)), np.uint64(7),
           np.float16(1.5), np.float32(-2.5), np.float64(0.1), np.bool_(True), np.bool_(False)]
# 1-D leaves of these sizes cross every vector-block and cascade boundary of the kernels
EDGE_SIZES = [0, 1, 15, 16, 17, 127, 128, 129, 255, 256, 257, 4095, 4096, 4097] * 4 + [2**20 + 3]
# ops run on such leaves (their results are small or elementwise)
EDGE_OPS = ["sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "all", "any", "cumsum",
            "cumprod", "max", "min", "std", "var", "logsumexp", "norm", "exp", "neg", "abs",
            "sigmoid", "relu", "sign", "softmax", "mul", "add", "sub", "div", "eq", "lt", "ge",
            "maximum", "minimum", "where", "pow", "floor_divide", "remainder", "fmod"]


class _Subclass:
    """A Tensor subclass per module (made on first use): constructing one must work."""
    made = {}

    @classmethod
    def of(cls, m):
        if m not in cls.made:
            cls.made[m] = type("FuzzTensor", (m.Tensor,), {})
        return cls.made[m]


def _tensorize(m, v):
    """numpy arrays (index arrays, masks, values) inside a payload become tensors of ``m``."""
    if isinstance(v, np.ndarray):
        return m.tensor(v)
    if isinstance(v, tuple):
        return tuple(_tensorize(m, u) for u in v)
    if isinstance(v, list):
        return [_tensorize(m, u) for u in v]
    return v


def execute(m, stmt, env):
    """Run one statement in module ``m``; returns the list of its outputs."""
    kind, ins, n_out, p = stmt
    xs = [env[i] for i in ins]
    if kind == "leaf":
        data, dtype, rg = p
        return [m.tensor(data, dtype=getattr(m, dtype), requires_grad=rg)]
    if kind == "construct":
        form, arg = p
        if isinstance(arg, np.ndarray):    # the legacy constructor may share the array's
            arg = arg.copy()                # memory: each library gets its own
        if form == "Tensor":
            return [m.Tensor(arg)]
        if form == "Tensor_sizes":
            return [m.Tensor(*arg).fill_(1.5)]
        if form == "Tensor_empty":
            return [m.Tensor()]
        if form == "Tensor_new":
            return [m.Tensor.__new__(m.Tensor)]
        if form == "subclass":
            return [_Subclass.of(m)(arg)]
        if form == "make_subclass":
            return [m.Tensor._make_subclass(_Subclass.of(m), xs[0], arg)]
        return [getattr(m, form)(arg)]             # FloatTensor(data), LongTensor(data), ...
    if kind == "setdata":
        xs[0].data = xs[1]
        return [xs[0]]
    if kind == "setgrad":
        xs[0].grad = xs[1] if len(xs) > 1 else None
        return [xs[0]]
    if kind == "op":
        name, params = p
        return [cat.OPS[name].apply(m, xs, cat._module_params(m, params, m.float64))]
    if kind == "getitem":
        return [xs[0][_tensorize(m, p)]]
    if kind == "nograd_view":   # a view made in no_grad mode (torch's CreationMeta)
        form, arg = p
        x = xs[0]
        with m.no_grad():
            if form == "getitem":
                return [x[_tensorize(m, arg)]]
            if form == "view":
                return [x.view(arg)]
            if form == "unbind":
                return [x.unbind(0)[arg]]
            if form == "split":
                return [x.split(1)[arg]]
            return [getattr(x, form)()]     # t, flatten, detach, unsqueeze-free forms
    if kind == "setitem":
        key, value = p
        x = xs[0]
        x[_tensorize(m, key)] = xs[1] if value is None else _tensorize(m, value)
        return [x]
    if kind == "inplace":
        method, arg = p
        x = xs[0]
        if arg is None and len(xs) > 1:
            arg = xs[1]
        elif isinstance(arg, np.ndarray):
            arg = m.tensor(arg)
        if method in ("+=", "-=", "*=", "/="):
            if method == "+=":
                x += arg
            elif method == "-=":
                x -= arg
            elif method == "*=":
                x *= arg
            else:
                x /= arg
            return [x]
        f = getattr(x, method)
        if method == "clamp_":
            return [f(*arg)]
        return [f() if arg == "none" else f(arg)]
    if kind == "detach":
        return [xs[0].detach()]
    if kind == "detach_":
        return [xs[0].detach_()]
    if kind == "requires_grad_":
        return [xs[0].requires_grad_(p)]
    if kind == "retain_grad":
        xs[0].retain_grad()
        return [xs[0]]
    if kind == "getgrad":
        return [xs[0].grad]
    if kind == "grad":
        n_outs, n_ins, go, retain, create, unused = p
        outs, inputs, gos = xs[:n_outs], xs[n_outs:n_outs + n_ins], xs[n_outs + n_ins:]
        kw = {}
        if go is not None:  # per output: a variable, None, or a numpy array
            gi = iter(gos)
            kw["grad_outputs"] = [next(gi) if g == "var" else _tensorize(m, g) for g in go]
        if retain is not None:
            kw["retain_graph"] = retain
        res = m.autograd.grad(outs if n_outs > 1 else outs[0],
                              inputs if n_ins != 1 else inputs[0], create_graph=create,
                              allow_unused=unused, **kw)
        return list(res)
    if kind == "backward":
        gradient, retain, create, inputs = p
        kw = {}
        if gradient == "var":
            kw["gradient"] = xs[1]
        elif gradient is not None:
            kw["gradient"] = _tensorize(m, gradient)
        if retain is not None:
            kw["retain_graph"] = retain
        if inputs:
            kw["inputs"] = [env[i] for i in inputs]
        xs[0].backward(create_graph=create, **kw)
        return []
    raise AssertionError(kind)


def _ptr(m, t):
    """Where ``t``'s memory starts (None for empty tensors and non-tensors)."""
    if not isinstance(t, m.Tensor) or t.numel() == 0:
        return None
    if m is torch:
        return t.untyped_storage().data_ptr()
    return np.asarray(t.detach()).__array_interface__["data"][0]


# (detach_ changes the tensor's autograd state: its aliases are reported, so that a difference
# there taints every variable bound to the same tensor)
WRITES = ("setitem", "inplace", "backward", "setdata", "detach_")


def summary(m, t):
    if t is None:
        return None
    if not isinstance(t, m.Tensor):
        return ("py", repr(t))
    n = t.numel()
    vals = None
    if 0 < n <= 10**6:       # (an empty tensor may have a dim numpy cannot hold: 2**62)
        vals = np.array(t.detach().numpy(), copy=True)
    return ("t", str(t.dtype).split(".")[-1], tuple(t.shape), vals, bool(t.requires_grad),
            t.grad_fn is not None)


def run_program(m, prog):
    """Every statement's outcome in ``m``: ("ok", [summaries], aliases) or ("err", cls, msg)."""
    env, res = [], []
    for stmt in prog:
        n_out = stmt[2]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outs = execute(m, stmt, env)
            if len(outs) != n_out:
                raise AssertionError(f"{len(outs)} outputs, expected {n_out}")
        except Exception as e:  # the outcome being compared
            env.extend([None] * n_out)
            res.append(("err", _builtin_base(type(e)), f"{type(e).__name__}: {e}"[:500]))
            continue
        env.extend(outs)
        aliases = None
        if stmt[0] in WRITES:  # which variables share memory with what was written
            written = set()
            if stmt[0] == "backward":
                for v in env:
                    if isinstance(v, m.Tensor):
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            g = v.grad
                        if g is not None:
                            written.add(_ptr(m, g))
            elif stmt[0] == "inplace" and outs:
                # what x OP= v returned: pyad's augmented assignment to one of its copies
                # rebinds the name to a new tensor (the copy, and its other names, keep the
                # old values), where torch's writes through
                written.add(_ptr(m, outs[0]))
            else:
                written.add(_ptr(m, env[stmt[1][0]]))
            written.discard(None)
            aliases = tuple(k for k, v in enumerate(env) if _ptr(m, v) in written)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res.append(("ok", [summary(m, t) for t in outs], aliases))
    return res


def _builtin_base(cls):
    for c in cls.__mro__:
        if c.__module__ == "builtins":
            return c.__name__
    return cls.__name__


# ----------------------------------------------------------------------------
# worker subprocess
# ----------------------------------------------------------------------------


def _send(fh, obj):
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    fh.write(struct.pack("<Q", len(data)) + data)
    fh.flush()


def _recv(fh):
    head = fh.read(8)
    if len(head) < 8:
        raise EOFError
    (n,) = struct.unpack("<Q", head)
    data = fh.read(n)
    if len(data) < n:
        raise EOFError
    return pickle.loads(data)


def worker_main(module_name):
    """Read programs from stdin, answer {"torch": outcomes, "pyad": outcomes} on stdout."""
    import importlib

    soft = 8 * 2**30  # a runaway allocation fails instead of taking the shared machine
    # ASan reserves terabytes of shadow address space; only Linux enforces RLIMIT_AS (Windows
    # has no resource module)
    if sys.platform.startswith("linux") and not asan_loaded():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (soft, resource.RLIM_INFINITY))
    mod = importlib.import_module(module_name)
    torch.set_num_threads(1)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the protocol
    while True:
        try:
            prog = _recv(inp)
        except EOFError:
            return
        try:
            reply = {"torch": run_program(torch, prog), "pyad": run_program(mod, prog)}
        except BaseException:  # a bug of the harness itself: report it, keep serving
            reply = {"harness": traceback.format_exc()}
        _send(out, reply)


class Worker:
    def __init__(self):
        self.proc = None
        self.restarts = 0

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", MODULE_NAME],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=module_path_env(), cwd=os.path.dirname(os.path.abspath(__file__)))

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def run(self, prog):
        """The worker's reply, or ("dead", description) after a crash or a hang."""
        import threading

        if self.proc is None or self.proc.poll() is not None:
            self.start()
        box = {}

        def talk():
            try:
                _send(self.proc.stdin, prog)
                box["reply"] = _recv(self.proc.stdout)
            except (EOFError, OSError) as e:
                box["error"] = e

        th = threading.Thread(target=talk, daemon=True)
        th.start()
        th.join(TIMEOUT)
        if "reply" in box:
            return box["reply"]
        hung = th.is_alive()
        self.proc.kill()
        self.proc.wait()
        err = self.proc.stderr.read().decode(errors="replace")[-3000:]
        rc = self.proc.returncode
        self.proc = None
        self.restarts += 1
        what = f"hung for {TIMEOUT} s" if hung else f"died with exit code {rc}"
        return {"dead": f"worker {what}; its stderr ends with:\n{err}"}


WORKER = Worker()


@pytest.fixture(scope="module", autouse=True)
def _worker():
    yield
    WORKER.stop()


# ----------------------------------------------------------------------------
# comparison
# ----------------------------------------------------------------------------

# Deliberate differences (docs/differences.md): (id, section, torch outcome, pyad outcome,
# predicate on (statement, torch's reply, pyad's reply)).  Only these pairs are let through.
ALLOWED = [
    ("copies", "Indexing, transpose, permute and expand return copies",
     lambda s, t, p: t[0] == "ok" and p[0] == "err"
     and "which copy in pyad (torch returns views)" in p[2]),
    ("inplace-on-view", "In-place ops on views of tensors that require grad",
     # (also when only the other operand requires grad: the write would need CopySlices)
     lambda s, t, p: t[0] == "ok" and p[0] == "err"
     and "pyad: in-place operations on a view" in p[2]),
    ("expand-copies-memory", "Indexing, transpose, permute and expand return copies",
     # torch's expand is a view of any size; pyad's copy of a huge one cannot be allocated
     lambda s, t, p: t[0] == "ok" and p[0] == "err" and s[0] == "op" and s[3][0] == "expand"
     and ("can't allocate memory" in p[2] or "Storage size calculation overflowed" in p[2])),
]


ALLOWED += [
    # torch's GatherBackward saves the whole input where only its shape is needed, so torch
    # refuses a backward after the input was modified; pyad saves the shape (right gradient)
    ("saves-less-than-torch", "Saved tensors: pyad refuses less than torch",
     lambda s, t, p: s[0] in ("backward", "grad") and t[0] == "err" and p[0] == "ok"
     and "modified by an inplace operation" in t[2]),
    # torch's SavedVariable remembers that a saved non-leaf had a grad_fn and refuses to unpack
    # it after x.detach_(); pyad's nodes keep the saved buffer and compute the gradient
    ("saved-tensor-detached-in-place", "Saved tensors: pyad refuses less than torch",
     lambda s, t, p: s[0] in ("backward", "grad") and t[0] == "err" and p[0] == "ok"
     and "has been detached in-place" in t[2]),
    ("expand-copy-no-internal-overlap", "Indexing, transpose, permute and expand return copies",
     # torch's expand is a view with stride 0, so an in-place op on it refuses; pyad's is a copy
     lambda s, t, p: s[0] == "inplace" and t[0] == "err" and p[0] == "ok"
     and "more than one element of the written-to tensor refers to a single memory location"
     in t[2]),
    ("detach-of-torch-view", "Indexing, transpose, permute and expand return copies",
     # what torch returns as a view (indexing, and every result on a subclass, which torch
     # re-wraps with as_subclass) refuses detach_(); pyad's copies and plain results do not
     lambda s, t, p: s[0] == "detach_" and t[0] == "err" and p[0] == "ok"
     and "Can't detach views in-place" in t[2]),
    ("data-replaced-saved", "`.data` that changes a saved tensor's shape or dtype",
     # torch runs the saved node's formula on the new values; pyad refuses, naming the node
     lambda s, t, p: s[0] in ("backward", "grad") and t[0] == "ok" and p[0] == "err"
     and "given new data of another shape or dtype through .data" in p[2]),
    ("pow-bool-exponent", "`x ** bool_tensor` is differentiated",
     # torch's PowBackward1 computes `exponent - 1`, which refuses a bool exponent; pyad
     # differentiates x ** bool_tensor like x ** (0 or 1)
     lambda s, t, p: s[0] in ("backward", "grad") and t[0] == "err" and p[0] == "ok"
     and "Subtraction, the `-` operator, with a bool tensor is not supported" in t[2]),
    ("expand-empty-to-negative", "An empty tensor does not expand to a negative size",
     # torch gives an empty tensor a negative size (shape (-2, 0)); pyad refuses
     lambda s, t, p: s[0] == "op" and s[3][0] == "expand" and t[0] == "ok" and p[0] == "err"
     and any(isinstance(v, int) and v < -1 for v in s[3][1]["sizes"])
     and "The expanded size of the tensor" in p[2]),
    ("view-of-a-copy", "Indexing, transpose, permute and expand return copies",
     # torch's view() refuses its non-contiguous view (permute, transpose, ...); pyad's copy
     # is contiguous, so view() works on it
     lambda s, t, p: t[0] == "err" and p[0] == "ok"
     and "view size is not compatible with input tensor's size and stride" in t[2]),
    ("copies-overlap", "Indexing, transpose, permute and expand return copies",
     # torch refuses a write whose source overlaps the destination through a view (pyad's copy
     # does not overlap: it writes, or reports the write's next error)
     lambda s, t, p: t[0] == "err" and "refer to a single memory location" in t[2]
     and not (p[0] == "err" and "refer to a single memory location" in p[2])),
]

# Differences found by this fuzzer and not fixed yet: open bugs, each to be fixed and its entry
# removed (the report of issue #7 lists them).  (id, predicate on (statement, torch's outcome,
# pyad's outcome, the output difference or None)).
OPEN = [
]


def _allowed(stmt, t, p):
    for ident, _section, pred in ALLOWED:
        if pred(stmt, t, p):
            return ident
    for ident, pred in OPEN:
        if pred(stmt, t, p, None):
            return "open:" + ident
    return None


# Deliberate differences in an output (docs/differences.md): (id, section, predicate on
# (statement, torch's reply, pyad's reply, the output difference)).
ALLOWED_OUTPUT = [
    ("pow-exponent-beyond-float32", "Last bits of transcendental functions",
     # float32 x ** c with an integral |c| > 2**24: torch's scalar tail computes with c in
     # double (an odd c keeps the sign), its vectorised body with c in float32 (even); pyad as
     # the vector body, for every element
     lambda s, t, p, d: s[0] in ("op", "inplace") and ("pow" in str(s[3][0]) or "**" in
                                                        str(s[3][0]))
     and t[0] == "ok" and t[1][0] is not None and t[1][0][1] == "float32"
     and any(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
             and abs(float(v)) > 2.0**24 for v in _scalars_of(s[3][1:]))),
    ("norm-order-beyond-float32", "Last bits of transcendental functions",
     # torch's float32 kernel casts a finite order beyond float32's range to inf inside
     # (|x|**inf summed, then **(1/inf)), giving 1; pyad computes with the order as given
     lambda s, t, p, d: s[0] == "op" and s[3][0] == "norm" and t[0] == "ok"
     and isinstance(s[3][1].get("ord"), float) and math.isfinite(s[3][1]["ord"])
     and abs(s[3][1]["ord"]) > 3.4028234663852886e38 and t[1][0][1] == "float32"),
    ("nograd-reshape-of-a-copy", "Indexing, transpose, permute and expand return copies",
     # a flatten (reshape) made under no_grad of a tensor pyad copied (permute, transpose, ...)
     # is a view of a contiguous tensor in pyad, requiring grad through its base (torch's
     # no_grad-view rule); torch's input is a non-contiguous view, so torch copies
     lambda s, t, p, d: s[0] == "nograd_view" and s[3][0] in ("flatten", "reshape")
     and d is not None and d.startswith("requires_grad: torch False, pyad True")),
    ("no-grad-for-integer-tensors", "Not differences: torch's traps, kept",
     # torch marks an int64/bool tensor as requiring grad when a value that requires grad is
     # assigned into it (and then refuses to differentiate it); pyad's stays without grad
     lambda s, t, p, d: s[0] in ("setitem", "inplace") and d is not None
     and d.startswith("requires_grad: torch True, pyad False") and t[0] == "ok"
     and any(o is not None and o[0] == "t" and o[1] in ("int64", "bool") for o in t[1])),
]


def _scalars_of(obj):
    """The numbers inside a statement's parameters (dicts, tuples and lists searched)."""
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (tuple, list)):
        return [v for o in obj for v in _scalars_of(o)]
    return [obj]


def _open_output_diff(stmt, t, p, diff):
    for ident, _section, pred in ALLOWED_OUTPUT:
        if pred(stmt, t, p, diff):
            return ident
    for ident, pred in OPEN:
        if pred(stmt, t, p, diff):
            return "open:" + ident
    return None


def _close(got, want, rtol):
    got = np.asarray(got)
    want = np.asarray(want)
    if want.dtype.kind in "biu" or got.dtype.kind in "biu":
        return np.array_equal(got, want)
    g, w = got.astype(np.float64), want.astype(np.float64)
    if not np.array_equal(np.isnan(g), np.isnan(w)):
        return False
    for f in (np.isposinf, np.isneginf):
        if not np.array_equal(f(g), f(w)):
            return False
    fin = np.isfinite(w)
    if not fin.any():
        return True
    scale = max(1.0, float(np.abs(w[fin]).max()))
    return bool(np.all(np.abs(g[fin] - w[fin]) <= rtol * (np.abs(w[fin]) + scale)))


def _tol(prog):
    dts = {s[3][1] for s in prog if s[0] == "leaf"}
    return TOL["float64"] if dts <= {"float64"} else TOL["float32"]


def compare_outputs(t, p, rtol):
    """None, or what differs between two output summaries."""
    if (t is None) != (p is None):
        return f"None-ness: torch {t is None}, pyad {p is None}"
    if t is None:
        return None
    if t[0] != p[0]:
        return f"kind: torch {t[0]}, pyad {p[0]}"
    if t[0] == "py":
        return None if t[1] == p[1] else f"value: torch {t[1]}, pyad {p[1]}"
    _, tdt, tshape, tv, trg, tfn = t
    _, pdt, pshape, pv, prg, pfn = p
    if tdt != pdt:
        return f"dtype: torch {tdt}, pyad {pdt}"
    if tshape != pshape:
        return f"shape: torch {tshape}, pyad {pshape}"
    if trg != prg:
        return f"requires_grad: torch {trg}, pyad {prg}"
    if tfn != pfn:
        return f"has grad_fn: torch {tfn}, pyad {pfn}"
    if tv is not None and pv is not None and not _close(pv, tv, rtol):
        return f"values:\ntorch {tv!r}\npyad  {pv!r}"
    return None


def compare(prog, reply):
    """A list of findings (empty when pyad behaved as torch), and the allowed differences."""
    if "dead" in reply or "harness" in reply:
        return [reply.get("dead") or "harness error:\n" + reply["harness"]], []
    tr, pr = reply["torch"], reply["pyad"]
    rtol = _tol(prog)
    tainted = set()
    allowed = []
    findings = []
    var = 0
    shapes = {}             # each variable's shape in torch, when known
    data_reshaped = False   # some x.data = y gave x another shape
    data_set = False        # some x.data = y ran
    made_to_require = False  # some x.requires_grad_() ran, or a write made x require grad
    requires = {}           # each variable's requires_grad in torch, when known
    inexact = set()         # variables whose values agree with torch's only within rounding
    for k, (stmt, t, p) in enumerate(zip(prog, tr, pr)):
        kind, ins, n_out, _ = stmt
        outs = list(range(var, var + n_out))
        var += n_out
        if t[0] == "ok":
            data_set |= kind == "setdata"
            made_to_require |= kind == "requires_grad_" or (
                kind in ("setitem", "inplace") and requires.get(ins[0]) is False
                and t[1] and t[1][0] is not None and t[1][0][0] == "t" and t[1][0][4])
            if kind == "setdata" and t[1][0] is not None and ins[0] in shapes:
                data_reshaped |= shapes[ins[0]] != t[1][0][2]
                shapes[ins[0]] = t[1][0][2]
            for j, o in zip(outs, t[1]):
                if o is not None and o[0] == "t":
                    shapes[j] = o[2]
                    requires[j] = o[4]
        if data_reshaped and kind in ("backward", "grad", "getgrad") and (
                t[0] != p[0] or (t[0] == "ok" and any(
                    compare_outputs(a, b, rtol) for a, b in zip(t[1], p[1])))):
            # torch's AccumulateGrad copies a gradient into the leaf's new layout (broadcasting
            # it) and checks a leaf's own backward against the shape its accumulator recorded;
            # pyad keeps the graph's shape (docs/differences.md, ".data that changes ...")
            allowed.append("data-reshaped-gradient")
            tainted.update(outs)
            tainted.update(range(var))
            continue
        if made_to_require and kind in ("backward", "grad") and (
                (t[0] == "ok" and p[0] == "err"
                 and "does not require grad and does not have a grad_fn" in p[2])
                or (t[0] == "err" and p[0] == "ok"
                    and "leaf variable has been moved into the graph interior" in t[2])):
            # a view made before its base came to require grad requires grad in torch (its
            # grad_fn is regenerated); pyad's does not (docs/differences.md, "In-place ops on
            # views ...")
            allowed.append("view-of-a-base-made-to-require-grad")
            tainted.update(outs)
            tainted.update(range(var))
            continue
        if data_set and kind in ("backward", "grad") and t[0] == "ok" and p[0] == "err" and (
                "has been modified by an inplace operation" in p[2]):
            # x.data = y shares y's memory but, in torch, not its version counter: a write
            # through one is not seen by graphs that saved the other, and torch computes with
            # the overwritten values; pyad counts writes per storage and refuses
            # (docs/differences.md, ".data that changes ...")
            allowed.append("data-shares-storage-not-version")
            tainted.update(outs)
            tainted.update(range(var))
            continue
        deps = set(ins)
        if kind in ("backward", "grad", "getgrad") and tainted:
            deps |= set(range(var))  # a sweep can reach any earlier variable
        if stmt[0] == "backward" and stmt[3][3]:
            deps |= set(stmt[3][3])
        if deps & tainted:
            tainted.update(outs)
            if kind in WRITES:
                tainted.update(ins)
                for o in (t, p):    # and every variable that is the written tensor
                    if o[0] == "ok" and o[2]:
                        tainted.update(o[2])
            continue
        where = f"statement {k} ({kind})"
        if t[0] != p[0] or (t[0] == "err" and t[1] != p[1]):
            ident = _allowed(stmt, t, p)
            if ident is None:
                tdesc = "ok" if t[0] == "ok" else t[2]
                pdesc = "ok" if p[0] == "ok" else p[2]
                findings.append(f"{where}: torch -> {tdesc}; pyad -> {pdesc}")
            else:
                allowed.append(ident)
            tainted.update(outs)
            tainted.update(ins)
            for o in (t, p):  # a write that went through in one library only
                if o[0] == "ok" and o[2]:
                    tainted.update(o[2])
            if kind == "backward":
                tainted.update(range(var))
            continue
        if t[0] == "err":
            if kind == "setitem" and "out of bounds" in t[2]:
                # torch's index_put_ writes the elements before a bad index; pyad checks first
                # (docs/differences.md, "A failed assignment writes nothing"); any variable
                # may share the written memory (views, x.data = y), and torch names none
                tainted.update(range(var))
            continue
        if kind in WRITES and t[2] is not None and p[2] is not None and (
                set(ins) & (set(t[2]) ^ set(p[2]))):
            # the write reads a variable that is the written tensor's view in one library only
            # (x.sub_(x.chunk(2)[0])): torch's result sees its own writes
            allowed.append("copies-read-while-written")
            tainted.update(outs)
            tainted.update(ins)
            tainted.update(set(t[2]) ^ set(p[2]))
            continue
        for j, (a, b) in enumerate(zip(t[1], p[1])):
            diff = compare_outputs(a, b, rtol)
            if diff:
                ident = _open_output_diff(stmt, t, p, diff)
                if ident is None and diff.startswith("values:") and inexact & (
                        set(range(var)) if kind in ("backward", "grad", "getgrad") else deps):
                    # an input already differed from torch's in its last bits (another LAPACK,
                    # another summation order: docs/differences.md, "Last bits ..."), and this
                    # op amplifies that (x ** -1 of torch's exact 0 and pyad's 2e-16)
                    ident = "rounding-amplified"
                if ident is None and made_to_require and diff.startswith(
                        "requires_grad: torch True, pyad False"):
                    # a view made before its base's requires_grad_() requires grad in torch
                    # (torch regenerates a view's grad_fn); pyad's does not (docs/differences.md,
                    # "In-place ops on views ...")
                    ident = "view-of-a-base-made-to-require-grad"
                if ident is None:
                    findings.append(f"{where} output {j}: {diff}")
                else:
                    allowed.append(ident)
                tainted.add(outs[j])
                if kind in WRITES:      # the written variable is the same tensor, and every
                    tainted.update(ins[:1])     # variable that shares its memory
                    for o in (t, p):
                        if o[2]:
                            tainted.update(o[2])
            elif a is not None and a[0] == "t" and _inexact(a[3], b[3]):
                inexact.add(outs[j])
                if kind in WRITES:
                    inexact.update(ins[:1])
        if t[2] is not None:  # aliases of a write
            tainted.update(set(t[2]) ^ set(p[2]))
    return findings, allowed


def _inexact(tv, pv):
    """Whether two value arrays that compare close are not the same bits (NaN equal to NaN)."""
    if tv is None or pv is None:
        return False
    tv, pv = np.asarray(tv), np.asarray(pv)
    return tv.shape == pv.shape and not np.array_equal(tv, pv, equal_nan=tv.dtype.kind == "f")


# ----------------------------------------------------------------------------
# generation
# ----------------------------------------------------------------------------


class FuzzBuilder(cat.Builder):
    """The catalogue's Builder over a pool of torch variables of any dtype (None: an error)."""

    def __init__(self, draw, seed_, main_dtype):
        super().__init__(draw, seed_)
        self.main_dtype = main_dtype
        self.prog = []

    # --- the catalogue's interface, over usable variables only
    def usable(self, i):
        v = self.values[i]
        return isinstance(v, torch.Tensor) and v.numel() <= MAX_VALUE_NUMEL

    def pick(self, ok=lambda i: True):
        cands = []
        for i in range(len(self.values)):
            if self.usable(i):
                try:
                    if ok(i):
                        cands.append(i)
                except Exception:
                    pass
        return cands[-1 - self.int(0, len(cands) - 1)] if cands else None

    def val(self, i):
        return self.values[i].detach().numpy()

    def shape(self, i):
        v = self.values[i]
        return tuple(v.shape) if isinstance(v, torch.Tensor) else ()

    def leaf(self, shape, domain="any"):
        r = self.int(0, 19)
        dtype = self.main_dtype if r < 15 else DTYPES[r % 4]
        data = cat.leaf_data(self.rng, tuple(shape), domain)
        if dtype == "int64":
            data = np.round(data * 2).astype(np.int64)
        elif dtype == "bool":
            data = data > 0
        rg = (dtype in FLOAT and self.int(0, 9) < 8) or self.int(0, 19) == 0
        return self.emit(("leaf", (), 1, (data, dtype, rg)))

    # --- statements
    def emit(self, stmt):
        """Run ``stmt`` in torch, append it and its outputs; the first output's number."""
        self.prog.append(stmt)
        first = len(self.values)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outs = execute(torch, stmt, self.values)
            assert len(outs) == stmt[2]
        except Exception:
            outs = [None] * stmt[2]
        self.values.extend(outs)
        self.nodes.extend([None] * stmt[2])
        self.n_leaves += stmt[0] == "leaf"
        return first

    def any_var(self):
        """Any variable at all (also errors' Nones and big ones), or None if there is none."""
        if not self.values:
            return None
        return self.int(0, len(self.values) - 1)

    def small_int(self):
        return self.choice([0, 1, 2, -1, -2, 3, 4, 5, 7, 8, -3, -5])

    def weird_int(self):
        return self.choice([2**62, 2**63 - 1, -(2**63), 2**64, -(2**40), 2**40])

    def mutate_value(self, v):
        if isinstance(v, bool) or v is None:
            return self.choice([not v if isinstance(v, bool) else 0, None, 1.5])
        if isinstance(v, int):
            r = self.int(0, 9)
            if r < 6:
                return v + self.choice([1, -1, 2, -2, 5, -5])
            if r < 8:
                return self.weird_int()
            return self.choice([1.5, "a", None])
        if isinstance(v, float):
            return self.choice([float("nan"), float("inf"), -0.0, 1e308, 3])
        if isinstance(v, (tuple, list)):
            v = list(v)
            r = self.int(0, 4)
            if r == 0 or not v:
                v.append(self.small_int())
            elif r == 1:
                del v[self.int(0, len(v) - 1)]
            else:
                k = self.int(0, len(v) - 1)
                v[k] = self.mutate_value(v[k])
            return tuple(v)
        if isinstance(v, np.ndarray):
            r = self.int(0, 3)
            if r == 0 and v.size:
                v = v.copy()
                v.flat[self.int(0, v.size - 1)] = self.choice([100, -100, 2**62])
                return v
            if r == 1:
                return v.astype(np.float64)
            if r == 2:
                return v.reshape(-1)[:0] if v.size else np.zeros((2, 0), np.int64)
            return v.reshape((1,) + v.shape)
        return v

    def mutate(self, args, params):
        args = list(args)
        r = self.int(0, 2)
        if r == 0 and args:
            j = self.any_var()
            if j is not None:
                args[self.int(0, len(args) - 1)] = j
        elif params:
            keys = sorted(params)
            key = self.choice(keys)
            params = dict(params)
            params[key] = self.mutate_value(params[key])
        elif args:
            args.pop(self.int(0, len(args) - 1))
        return tuple(args), params

    def step_op(self):
        o = self.next_op()
        mark = len(self.prog)
        try:
            spec = o.gen(self)
        except Exception:  # a generator that cannot cope with an int/bool value: skip
            spec = None
        if spec is None:
            return
        args, params = spec
        if self.int(0, 2) == 0:
            args, params = self.mutate(args, params)
        if len(self.prog) > mark + 3:
            return
        self.emit(("op", tuple(args), 1, (o.name, params)))

    def index_item(self, n):
        r = self.int(0, 16)
        if r <= 3:
            return self.int(-n - 1, n) if self.int(0, 5) else self.weird_int()
        if r <= 6:
            return slice(self.choice([None, 0, 1, -1, -n - 2, n + 2]),
                         self.choice([None, n, -1, 0, 2]),
                         self.choice([None, None, 1, 2, -1, 0]))
        if r == 7:
            return None
        if r == 8:
            return Ellipsis
        if r == 9:
            return [self.int(-n - 1, n) for _ in range(self.int(0, 3))]
        if r == 10:
            return self.rng.integers(-n - 1, n + 1, size=self.choice([(), (2,), (2, 2), (0,)]))
        if r == 11:
            return self.rng.random(self.choice([(n,), (n + 1,), (), (1, n)])) < 0.5
        if r == 12:
            return self.choice([True, False])
        if r == 13:
            return [[self.int(0, max(n - 1, 0))], [0]]
        if r == 14:
            return [bool(v) for v in self.rng.random(max(n, 1)) < 0.5]
        if r == 15:
            return self.choice([1.5, "a", np.float64(0.0), np.int64(1)])
        return np.array([0.0, 1.0])

    def index_key(self, shape):
        k = self.int(0, min(len(shape) + 1, 4))
        items = [self.index_item(shape[i] if i < len(shape) else 1) for i in range(k)]
        if len(items) == 1 and self.flag():
            return items[0]
        return tuple(items)

    def step_getitem(self, setitem=False):
        x = self.pick()
        if x is None:
            return
        key = self.index_key(self.shape(x))
        if not setitem:
            self.emit(("getitem", (x,), 1, key))
            return
        r = self.int(0, 3)
        if r == 0:
            value = self.choice(SCALARS)
        elif r == 1:
            value = self.rng.uniform(-1, 1, size=self.choice([(), (1,), (2,), (3, 1)]))
        if r >= 2:
            v = self.pick()
            if v is None:
                return
            self.emit(("setitem", (x, v), 1, (key, None)))
        else:
            self.emit(("setitem", (x,), 1, (key, value)))

    def step_inplace(self):
        x = self.pick()
        if x is None:
            return
        method, argk = self.choice(INPLACE)
        if argk is None:
            self.emit(("inplace", (x,), 1, (method, "none")))
            return
        if argk == "bounds":
            self.emit(("inplace", (x,), 1, (method, (self.choice([-0.5, None, 0]),
                                                     self.choice([0.5, None, 1.0])))))
            return
        if argk == "scalar0d" and self.flag():     # fill_(t): a 0-d tensor value, mostly
            y = self.scalar_candidate()
            if y is not None:
                self.emit(("inplace", (x, y), 1, (method, None)))
                return
        if argk in ("any", "tensor") and (argk == "tensor" or self.flag()):
            y = self.pick()
            if y is not None:
                self.emit(("inplace", (x, y), 1, (method, None)))
                return
        self.emit(("inplace", (x,), 1, (method, self.choice(SCALARS))))

    def scalar_candidate(self):
        """A variable, preferably a 0-d or one-element one."""
        i = self.pick(lambda i: self.values[i].numel() == 1)
        return self.pick() if i is None or self.int(0, 4) == 0 else i

    def grad_output(self, out):
        r = self.int(0, 4)
        if r == 0:
            return "none", None
        v = self.values[out]
        shape = tuple(v.shape) if isinstance(v, torch.Tensor) else ()
        if r == 1:
            return "array", self.rng.standard_normal((shape + (2,))[: max(len(shape), 1)])
        if r == 2:
            j = self.pick()
            return ("var", j) if j is not None else ("none", None)
        dt = v.dtype if isinstance(v, torch.Tensor) else torch.float64
        return "array", np.asarray(self.rng.standard_normal(shape),
                                   dtype=np.float32 if dt == torch.float32 else np.float64)

    def step_grad(self):
        n_outs = 1 if self.int(0, 4) else 2
        outs = [self.scalar_candidate() for _ in range(n_outs)]
        if None in outs:
            return
        n_ins = self.int(0, 3)
        leaves = [i for i in range(len(self.values)) if self.usable(i)
                  and self.values[i].requires_grad]
        ins = [self.choice(leaves) if leaves and self.int(0, 3) else self.pick()
               for _ in range(n_ins)]
        if None in ins:
            return
        go, extra = None, []
        if self.int(0, 2) == 0:
            go = []
            for o in outs:
                kind, v = self.grad_output(o)
                if kind == "var":
                    go.append("var")
                    extra.append(v)
                else:
                    go.append(v)
            if self.int(0, 9) == 0:
                go.append(None)  # one too many
        retain = self.choice([None, True, False])
        create, unused = self.flag(), self.flag()
        self.emit(("grad", tuple(outs + ins + extra), n_ins,
                   (n_outs, n_ins, go, retain, create, unused)))

    def step_backward(self):
        out = self.scalar_candidate()
        if out is None:
            return
        ins = (out,)
        kind, v = self.grad_output(out) if self.int(0, 2) == 0 else ("none", None)
        gradient = None
        if kind == "var":
            ins, gradient = (out, v), "var"
        elif kind == "array":
            gradient = v
        inputs = None
        if self.int(0, 4) == 0:
            inputs = tuple(j for j in (self.pick(), self.pick()) if j is not None)
        self.emit(("backward", ins, 0, (gradient, self.choice([None, True, False]),
                                        self.int(0, 3) == 0, inputs)))
        for _ in range(self.int(1, 2)):
            j = self.pick(lambda i: self.values[i].is_leaf)
            if j is not None:
                self.emit(("getgrad", (j,), 1, None))

    def step_construct(self):
        r = self.int(0, 9)
        data = cat.leaf_data(self.rng, self.draw(SHAPES), "any")
        if r < 3:
            form = self.choice(["Tensor", "subclass", "FloatTensor", "DoubleTensor", "LongTensor",
                                "BoolTensor"])
            if form == "LongTensor" and self.flag():
                data = np.round(data * 3).astype(np.int64)
            # a 0-d value as a list: a bare int would be a size (uninitialised memory)
            arg = data.reshape(-1).tolist() if data.ndim == 0 else (
                data.tolist() if self.flag() else data)
            self.emit(("construct", (), 1, (form, arg)))
        elif r < 5:
            self.emit(("construct", (), 1, ("Tensor_sizes", self.draw(SHAPES))))
        elif r == 5:
            self.emit(("construct", (), 1, (self.choice(["Tensor_empty", "Tensor_new"]), None)))
        else:
            x = self.pick()
            if x is not None:
                self.emit(("construct", (x,), 1, ("make_subclass", self.flag())))

    def step_edge_size(self):
        """A 1-D leaf of a boundary size (int64, bool or float) and an op over it."""
        n = self.choice(EDGE_SIZES)
        dtype = self.choice(DTYPES)
        data = self.rng.standard_normal(n)
        if dtype == "int64":
            data = np.round(data * 3).astype(np.int64)
            if self.int(0, 3) == 0:
                data[: n // 2] = self.choice([2**62, -(2**62), 2**63 - 1])
        elif dtype == "bool":
            data = data > self.choice([0.0, -10.0, 10.0])
        rg = dtype in FLOAT and self.flag()
        x = self.emit(("leaf", (), 1, (data, dtype, rg)))
        name = self.choice(EDGE_OPS)
        if name not in cat.OPS:
            return
        o = cat.OPS[name]
        try:
            spec = o.gen(self)
        except Exception:
            return
        if spec is None:
            return
        args, params = spec
        args = (x,) + tuple(args[1:]) if args else (x,)
        self.emit(("op", tuple(args), 1, (name, params)))
        if rg and self.flag():
            self.emit(("backward", (len(self.values) - 1,), 0, (None, None, False, None)))

    def step_mutate_leaf(self):
        """Between forward and backward: .data or .grad of a variable replaced."""
        x = self.pick()
        y = self.pick()
        if x is None:
            return
        if self.flag() and y is not None:
            self.emit(("setdata", (x, y), 1, None))
        elif y is not None and self.flag():
            self.emit(("setgrad", (x, y), 1, None))
        else:
            self.emit(("setgrad", (x,), 1, None))

    def step_nograd_view(self):
        """A view made under no_grad, for later in-place changes and uses in grad mode."""
        x = self.pick()
        if x is None:
            return
        shape = self.shape(x)
        form = self.choice(["getitem", "view", "unbind", "split", "t", "flatten", "detach"])
        arg = None
        if form == "getitem":
            arg = self.index_key(shape)
        elif form == "view":
            arg = (-1,) if self.flag() else tuple(shape) + (1,)
        elif form in ("unbind", "split"):
            arg = self.int(0, max(shape[0] - 1, 0)) if shape else 0
        self.emit(("nograd_view", (x,), 1, (form, arg)))

    def step_misc(self):
        x = self.pick()
        if x is None:
            return
        r = self.int(0, 5)
        if r == 0:
            self.emit(("detach", (x,), 1, None))
        elif r == 1:
            self.emit(("detach_", (x,), 1, None))
        elif r == 2:
            self.emit(("requires_grad_", (x,), 1, self.flag()))
        elif r == 3:
            self.emit(("retain_grad", (x,), 1, None))
        elif r == 4:
            self.emit(("getgrad", (x,), 1, None))
        else:
            self.emit(("op", (x,), 1, ("sum", {"dim": None, "keepdim": False, "fn": False})))

    def step(self):
        r = self.int(0, 99)
        if r < 4:
            self.step_construct()
        elif r < 7:
            self.step_edge_size()
        elif r < 10:
            self.step_mutate_leaf()
        elif r < 45:
            self.step_op()
        elif r < 52:
            self.step_getitem()
        elif r < 58:
            self.step_getitem(setitem=True)
        elif r < 66:
            self.step_inplace()
        elif r < 73:
            self.step_misc()
        elif r < 76:
            self.step_nograd_view()
        elif r < 85:
            self.step_grad()
        elif r < 94:
            self.step_backward()
        else:
            self.leaf(self.draw(SHAPES))


SHAPES = st.lists(st.integers(0, 4), max_size=3).map(tuple).filter(
    lambda s: int(np.prod(s)) <= cat.MAX_NUMEL)


@st.composite
def programs(draw):
    # a quarter of the programs are about int64 or bool tensors
    main = draw(st.sampled_from(FLOAT * 3 + ("int64", "bool")))
    b = FuzzBuilder(draw, draw(st.integers(0, 2**32 - 1)), main)
    for _ in range(b.int(1, 2)):
        b.leaf(b.draw(SHAPES), b.choice(["any", "pos"]))
    n = b.int(3, MAX_STATEMENTS)
    for _ in range(3 * n):
        if len(b.prog) >= n:
            break
        b.step()
    return b.prog


def describe(prog):
    lines = []
    var = 0
    for k, (kind, ins, n_out, p) in enumerate(prog):
        outs = ", ".join(f"v{var + j}" for j in range(n_out)) or "_"
        var += n_out
        if kind == "leaf":
            data, dtype, rg = p
            shown = data.tolist() if data.size <= 64 else f"<{data.size} values>"
            body = (f"tensor({shown!r}, dtype={dtype}, requires_grad={rg})")
        else:
            args = ", ".join(f"v{i}" for i in ins)
            body = f"{kind}({args}; {p!r})"
        lines.append(f"[{k}] {outs} = {body}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# the test
# ----------------------------------------------------------------------------

STATS = {"programs": 0, "statements": 0, "errors_both": 0, "allowed": 0, "failures": 0}
DIFFERENCES = {}  # allowed / open difference id -> count


def check(prog):
    reply = WORKER.run(prog)
    findings, allowed = compare(prog, reply)
    STATS["programs"] += 1
    STATS["statements"] += len(prog)
    STATS["allowed"] += len(allowed)
    for ident in allowed:
        DIFFERENCES[ident] = DIFFERENCES.get(ident, 0) + 1
    if "torch" in reply:
        STATS["errors_both"] += sum(1 for t, p in zip(reply["torch"], reply["pyad"])
                                    if t[0] == p[0] == "err")
    if findings:
        STATS["failures"] += 1
        text = "program:\n" + describe(prog) + "\nfindings:\n" + "\n".join(findings)
        if LOG:
            with open(LOG, "a") as fh:
                fh.write("=" * 78 + "\n" + text + "\n")
                fh.write("pickle " + pickle.dumps(prog).hex() + "\n")
            return
        pytest.fail(text, pytrace=False)


_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=SEED is None, database=None,
    suppress_health_check=list(HealthCheck), print_blob=False,
)


@_SETTINGS
@given(prog=programs())
def _fuzz(prog):
    check(prog)


if SEED is not None:
    _fuzz = seed(int(SEED))(_fuzz)


def test_fuzz_programs_vs_torch():
    _fuzz()
    if LOG:
        with open(LOG, "a") as fh:
            fh.write(f"# campaign done: {STATS}, worker restarts {WORKER.restarts}\n"
                     f"# allowed and open differences seen: {DIFFERENCES}\n")
    assert STATS["programs"] >= min(EXAMPLES, 50)


# ----------------------------------------------------------------------------
# the harness itself: a crash is caught and reported, and mismatches are detected
# ----------------------------------------------------------------------------


def test_worker_reports_a_crash_and_restarts():
    prog = [("leaf", (), 1, (np.zeros(2), "float64", False)),
            ("op", (0,), 1, ("__crash__", {}))]
    reply = WORKER.run(prog)
    assert "dead" in reply and "exit code" in reply["dead"]
    reply = WORKER.run(prog[:1])  # a fresh worker serves the next program
    assert "torch" in reply and compare(prog[:1], reply) == ([], [])


def test_compare_flags_accepting_what_torch_rejects():
    stmt = ("getitem", (0,), 1, 5)
    reply = {"torch": [("err", "IndexError", "IndexError: out of range")],
             "pyad": [("ok", [("t", "float32", (), np.zeros(()), False, False)], None)]}
    findings, _ = compare([stmt], reply)
    assert findings and "torch -> IndexError" in findings[0]


def test_compare_flags_other_numbers_and_nan_positions():
    a = ("t", "float64", (2,), np.array([1.0, np.nan]), False, False)
    b = ("t", "float64", (2,), np.array([np.nan, 1.0]), False, False)
    assert compare_outputs(a, b, 1e-7)
    c = ("t", "float64", (2,), np.array([1.0 + 1e-6, np.nan]), False, False)
    assert compare_outputs(a, c, 1e-7)
    assert compare_outputs(a, a, 1e-7) is None


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--worker":
    if "__crash__" not in cat.OPS:  # for test_worker_reports_a_crash_and_restarts
        cat.OPS["__crash__"] = cat.Op("__crash__", "test", None,
                                      lambda m, xs, p: os.abort() if m is not torch else xs[0])
    worker_main(sys.argv[2])
