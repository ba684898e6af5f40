"""Generate the elementwise ops from csrc/op_table.py (run by setup.py before cythonize).

Writes, next to this file:
  _gen_ops.h    per op and dtype: the forward as a scalar C function, its derivative as one,
                the conditions its derivative branches on, and the loops over them;
  _gen_ops.pxi  per op: kernel and row registration, the recorded derivative (pyad ops), the
                Python function, and the Tensor methods (installed into the type at import).
  _gen_core.pxi the ids of the entries with hand-tuned kernels (the core ops: U_NEG, U_EXP, ...)
                as compile-time constants, included by ops.pxi.
  _gen_core_binary.pxi  the core arithmetic (Binary entries with kernels=: add, sub, mul, div,
                pow and their Number forms): grad_fn ids, the recorded backward of each opcode
                and the rows init_ops registers (CoreCode), included by ops.pxi.
`python csrc/gen_op_table.py --stub` also rewrites the generated region of pyad/_C.pyi;
`--check` fails when that region or the generated files are out of date.

Both backward paths are emitted from one lowering of `dx`: a list of primitive steps
(add, mul, muls, where, a unary op, ...), each with a C spelling and a recorded one (pyad ops).
The C side computes exactly the steps the recorded side records, in the same order and the same
dtype, so the two agree to the bit (up to libm's and the vector kernels' own rounding).
"""
import ast
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import op_table  # noqa: E402

DTYPES = (("f32", "float", "f"), ("f64", "double", ""))
MAX_PARAMS = 4

# C helpers (float's spelled with an f) only the forward and the branch conditions may call
# (never recorded); a table op calls its own C helper in its fwd (exp's "exp(x)")
C_ONLY = {"expm1", "exp2", "log1p", "log2", "log10", "tan", "asin", "acos", "atan", "sinh",
          "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "lgamma", "floor", "ceil", "trunc",
          "nearbyint", "fabs", "fmin", "fmax", "fma", "exp", "log", "sqrt", "sin", "cos", "tanh",
          "pyad_sigmoid", "atan2", "hypot", "fmod"}
# pyad_kernels.h's helpers with one definition per element type (pyad_div_floor_f32/_f64),
# which compute in it, as torch's kernels; a number argument is converted to it
PER_DTYPE_HELPERS = {"pyad_div_floor", "pyad_remainder"}
CONSTANTS = {"pi": math.pi, "inf": math.inf, "nan": math.nan}


class GenError(Exception):
    pass


def c_double(v):
    """A double literal in C and Cython alike."""
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "(-INFINITY)"
    return repr(float(v))


class Lowering:
    """One expression of one op lowered to SSA steps, with a C and a recorded spelling.

    Values are ("t", name) for per-element values (tensors when recorded) or ("s", text) for
    scalars (numbers and params: one double expression, valid in C and in Cython alike)."""

    def __init__(self, op, ops_by_name, recorded=True):
        self.op, self.ops, self.recorded = op, ops_by_name, recorded
        self.params = [p for p, _ in op.params]
        # the per-element inputs: a unary op's saved value s (x or result); a binary op's a, b
        self.vars = {"x": "a", "y": "b"} if isinstance(op, op_table.Binary) else \
            {"x": "a", "y": "b", "z": "w"} if isinstance(op, op_table.Ternary) else \
            {"x": "s", "result": "s"}
        self.c_lines, self.rec_lines, self.memo, self.masks = [], [], {}, []
        self.decls = []         # the recorded side's declarations (its lines may branch)
        self.uses, self.param_uses = set(), set()
        self.n = 0
        self.tag = op.name      # names this lowering's masks: one per derivative
        self.prefix = ""        # of its SSA names (a binary op's two derivatives share a body)
        self.cvars = self.vars  # the C names of the per-element values in value_c
        self.via_surface = False
        self.int64_params = False       # an int64 loop reads its parameters' int64 bits
        self.differentiable = set()     # SSA names that depend on x/result through ops

    # ---- values
    def fresh(self):
        self.n += 1
        return f"{self.prefix}t{self.n}"

    def step(self, c_expr, rec_expr, deps=(), ctype="{T}"):
        """A new SSA value; deps: its operands (it depends on x or result differentiably when
        one of them does; a branch condition does not count); ctype: its C type (a mask's is
        int)."""
        key = c_expr
        if key in self.memo:
            return ("t", self.memo[key])
        name = self.fresh()
        if any(d in self.vars.values() or d in self.differentiable for d in deps):
            self.differentiable.add(name)
        self.c_lines.append(f"{ctype} {name} = {c_expr};")
        if self.recorded:
            self.decls.append(f"cdef Tensor {name}")
            self.rec_lines.append(f"{name} = {rec_expr}")
        self.memo[key] = name
        return ("t", name)

    def scalar(self, node):
        """A scalar expression (numbers, params, + - * /) as double text, or None."""
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return c_double(node.value)
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return c_double(CONSTANTS[node.id])
            if node.id in self.params:
                self.param_uses.add(node.id)
                if self.int64_params:   # an int64 loop: the parameter's int64 bits
                    return f"pyad_param_i64(c, {self.params.index(node.id)})"
                return f"c[{self.params.index(node.id)}]"
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            a = self.scalar(node.operand)
            return None if a is None else f"(-{a})"
        if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult, ast.Div):
            a, b = self.scalar(node.left), self.scalar(node.right)
            if a is None or b is None:
                return None
            sym = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
            return f"({a} {sym} {b})"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "log" and len(node.args) == 1:
            a = self.scalar(node.args[0])     # log of a scalar (a parameter): one double
            return None if a is None else f"pyad_slog({a})"
        return None

    def lower(self, node):
        s = self.scalar(node)
        if s is not None:
            return ("s", s)
        if isinstance(node, ast.Name):
            if node.id == "g":
                return ("t", "g")
            if node.id in self.vars:
                self.uses.add(node.id)
                return ("t", self.vars[node.id])
            raise GenError(f"{self.op.name}: unknown name {node.id!r}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            a = self.tensor(node.operand)
            return self.step(f"-{a}", f"t_neg({a})", (a,))
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node)
        raise GenError(f"{self.op.name}: cannot lower {ast.dump(node)}")

    def tensor(self, node):
        kind, v = self.lower(node)
        if kind != "t":
            raise GenError(f"{self.op.name}: expected a per-element value: {ast.unparse(node)}")
        return v

    def binop(self, node):
        left, right = self.lower(node.left), self.lower(node.right)
        (lk, a), (rk, b) = left, right
        op = type(node.op)
        if op is ast.Pow and lk == "t" and rk == "t":
            return self.step(f"pow{{F}}({a}, {b})", f"t_pow({a}, {b})", (a, b))
        if op is ast.Pow:
            if lk != "t" or rk != "s":
                raise GenError(f"{self.op.name}: ** takes a per-element base, scalar exponent")
            return self.step(f"(({b}) == 2.0 ? {a} * {a} : pow{{F}}({a}, ({{T}})({b})))",
                             f"t_pows({a}, {b})", (a,))
        if lk == "t" and rk == "t":
            sym, fn = {ast.Add: ("+", "t_add"), ast.Sub: ("-", "t_sub"),
                       ast.Mult: ("*", "t_mul"), ast.Div: ("/", "t_div")}[op]
            return self.step(f"{a} {sym} {b}", f"{fn}({a}, {b})", (a, b))
        if lk != "t" and op in (ast.Add, ast.Mult):     # commutative: as tensor op scalar
            (lk, a), (rk, b) = (rk, b), (lk, a)
        if lk == "t":          # tensor op scalar
            if op is ast.Add:
                return self.step(f"{a} + ({{T}})({b})", f"t_adds({a}, {b})", (a,))
            if op is ast.Sub:
                return self.step(f"{a} + ({{T}})(-({b}))", f"t_adds({a}, -({b}))", (a,))
            if op is ast.Mult:
                return self.step(f"{a} * ({{T}})({b})", f"t_muls({a}, {b})", (a,))
            return self.step(f"{a} / ({{T}})({b})", f"t_divs({a}, {b})", (a,))
        # scalar - tensor, scalar / tensor (one division, as torch's formulas' `value / t`)
        if op is ast.Sub:
            return self.step(f"({{T}})({a}) - {b}", f"t_rsubs({b}, {a})", (b,))
        return self.step(f"({{T}})({a}) / {b}", f"t_div(scalar0d_f({a}, {b}.m.dtype), {b})",
                         (b,))

    def call(self, node):
        fn = node.func.id
        if fn == "where":
            return self.where(node)
        if fn in self.ops:
            other = self.ops[fn]
            a = self.tensor(node.args[0])
            pvals = [self.scalar(p) for p in node.args[1:]]
            if None in pvals or len(pvals) != len(other.params):
                raise GenError(f"{self.op.name}: {fn} takes {len(other.params)} scalar "
                               f"parameters after its operand")
            if self.via_surface:      # a composite: through the op's checks and dtype rules
                args = ", ".join([a] + pvals)
                return self.step(f"pyad_u_{fn}_{{S}}({a}, c)", f"op_{fn}({args})", (a,))
            if not pvals:
                return self.step(f"pyad_u_{fn}_{{S}}({a}, c)", f"t_unary(U_{fn.upper()}, {a})",
                                 (a,))
            arr = self.fresh()
            init = ", ".join(pvals + ["0"] * (MAX_PARAMS - len(pvals)))
            self.c_lines.append(f"double {arr}[{MAX_PARAMS}] = {{{init}}};")
            if self.recorded:
                self.decls.append(f"cdef double {arr}[{MAX_PARAMS}]")
                self.rec_lines.append(f"{arr}[:] = [{init}]")
            return self.step(f"pyad_u_{fn}_{{S}}({a}, {arr})",
                             f"t_unary(U_{fn.upper()}, {a}, {arr})", (a,))
        binary = {op.name: op for op in op_table.BINARY if not op.kernels and not op.params}
        if fn in binary and len(node.args) == 2:    # another binary entry, of two operands
            a, b = self.tensor(node.args[0]), self.tensor(node.args[1])
            return self.step(f"pyad_b_{fn}_{{S}}({a}, {b}, c)",
                             f"t_binary(B_{fn.upper()}, {a}, {b})", (a, b))
        raise GenError(f"{self.op.name}: unknown function {fn!r} in a derivative")

    def where(self, node):
        cond, a_node, b_node = node.args
        try:        # a branch on the params alone: a Python condition when recorded
            sc, sp = cond_text(cond, self, True, "c"), cond_text(cond, self, True, "py")
        except GenError:
            sc = None
        if sc is not None:
            return self.param_where(sc, sp, a_node, b_node)
        (ak, a), (bk, b) = self.lower(a_node), self.lower(b_node)
        a = a if ak == "t" else self.const_tensor(a)
        b = b if bk == "t" else self.const_tensor(b)
        if isinstance(self.op, op_table.Ternary):
            raise GenError(f"{self.op.name}: a ternary derivative branches on params only")
        text = cond_text(cond, self, False, "c")
        if text not in self.masks:
            self.masks.append(text)
        k = self.masks.index(text)
        args = ", ".join(sorted(set(self.vars.values())))
        mask = f"pyad_m_{self.tag}_{k}_{{S}}({args}, c)"
        loops = f"loop_g_{self.tag}_m{k}_f32, loop_g_{self.tag}_m{k}_f64"
        rec_mask = (f"gen_mask2({loops}, a, b)" if args == "a, b" else
                    f"gen_mask({loops}, s, c)")
        m = self.step(mask, rec_mask, ctype="int")[1]   # one mask per condition
        return self.step(f"{m} ? {a} : {b}", f"t_where({m}, {a}, {b})", (a, b))

    def const_tensor(self, s):
        return self.step(f"({{T}})({s})", f"scalar0d_f({s}, g.m.dtype)")[1]

    def param_where(self, sc, sp, a_node, b_node):
        """where(cond, a, b) with cond on the params alone: C selects between both values; the
        recorded side computes only the branch taken (an if/else over the SSA names; each
        branch's values are its own, so the memo is restored after each). A number branch is a
        constant of g's shape (pows' zeros for c == 0, as torch's)."""
        lines, memo, branches, cvals = self.rec_lines, self.memo, [], []
        for node in (a_node, b_node):
            self.rec_lines, self.memo = [], dict(memo)
            kind, v = self.lower(node)
            cvals.append(v if kind == "t" else f"({{T}})({v})")
            if kind != "t":
                self.rec_lines.append(f"{self.prefix}fill = full_like_nograd(g, {v})")
                v = f"{self.prefix}fill"
                if f"cdef Tensor {v}" not in self.decls:
                    self.decls.append(f"cdef Tensor {v}")
            branches.append((self.rec_lines, v))
        self.rec_lines, self.memo = lines, memo
        name = self.fresh()
        if any(v in self.vars.values() or v in self.differentiable for _, v in branches):
            self.differentiable.add(name)
        self.c_lines.append(f"{{T}} {name} = ({sc}) ? {cvals[0]} : {cvals[1]};")
        if self.recorded:
            self.decls.append(f"cdef Tensor {name}")
            for head, (blines, v) in zip((f"if {sp}:", "else:"), branches):
                self.rec_lines.append(head)
                self.rec_lines += [f"    {line}" for line in blines + [f"{name} = {v}"]]
        return ("t", name)


def cond_text(node, low, scalar_only, lang):
    """A branch condition over x/result and params, in C or (params only) in Python."""
    ops = {"c": ("&&", "||", "!"), "py": ("and", "or", "not ")}[lang]
    if isinstance(node, ast.BinOp) and type(node.op) in (ast.BitAnd, ast.BitOr):
        sym = ops[0] if isinstance(node.op, ast.BitAnd) else ops[1]
        return (f"({cond_text(node.left, low, scalar_only, lang)} {sym} "
                f"{cond_text(node.right, low, scalar_only, lang)})")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        return f"({ops[2]}{cond_text(node.operand, low, scalar_only, lang)})"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        sym = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
               ast.NotEq: "!="}[type(node.ops[0])]
        return (f"({value_c(node.left, low, scalar_only)} {sym} "
                f"{value_c(node.comparators[0], low, scalar_only)})")
    raise GenError(f"{low.op.name}: bad condition {ast.unparse(node)}")


INT64_WRAP = {ast.Add: "pyad_iadd_wrap", ast.Sub: "pyad_isub_wrap", ast.Mult: "pyad_imul_wrap"}


def value_c(node, low, scalar_only=False):
    """A C expression over x (or result: `s` in a derivative) and params, in {T}: the forward
    and the branch conditions, which are C only."""
    s = low.scalar(node)
    if s is not None:
        return s if scalar_only else f"({{T}})({s})"
    if scalar_only:
        raise GenError("reads a per-element value")
    if isinstance(node, ast.Name):
        if node.id in low.vars:
            low.uses.add(node.id)
            return low.cvars[node.id]
        raise GenError(f"{low.op.name}: unknown name {node.id!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"(-{value_c(node.operand, low)})"
    if low.int64_params and isinstance(node, ast.BinOp) and type(node.op) in INT64_WRAP:
        # int64 arithmetic wraps, as torch's (signed overflow is undefined in C)
        return (f"{INT64_WRAP[type(node.op)]}({value_c(node.left, low)}, "
                f"{value_c(node.right, low)})")
    if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult, ast.Div):
        sym = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
        return f"({value_c(node.left, low)} {sym} {value_c(node.right, low)})"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn, args = node.func.id, node.args
        if fn == "where":
            return (f"({cond_text(args[0], low, False, 'c')} ? {value_c(args[1], low)} : "
                    f"{value_c(args[2], low)})")
        cargs = [low.scalar(a) if low.scalar(a) is not None else value_c(a, low) for a in args]
        if fn in low.ops and fn != low.op.name:
            if args[1:]:
                raise GenError(f"{low.op.name}: call {fn} with parameters in a derivative only")
            return f"pyad_u_{fn}_{{S}}({cargs[0]}, c)"
        if fn in C_ONLY:
            return f"{fn}{{F}}({', '.join(cargs)})"
        if fn in PER_DTYPE_HELPERS:
            return f"{fn}_{{S}}({', '.join(cargs)})"
        if fn.startswith("pyad_"):
            return f"({{T}}){fn}({', '.join(cargs)})"
        raise GenError(f"{low.op.name}: unknown function {fn!r}")
    raise GenError(f"{low.op.name}: cannot compile {ast.unparse(node)}")


# ============================================================================================
# Emission
# ============================================================================================
def c_derivative(tag, low, value, operands):
    """The C functions of one lowered derivative (of any arity): a mask function per branch
    condition, over the saved operands, and the derivative of g and the operands."""
    params = "".join(f"{{T}} {v}, " for v in operands)
    out = [f"static inline int pyad_m_{tag}_{k}_{{S}}({params}const double *c)\n"
           f"{{\n    (void)c;\n    return {cond};\n}}" for k, cond in enumerate(low.masks)]
    unused = "".join(f"    (void){v};\n" for v in operands)
    body = "".join(f"    {line}\n" for line in low.c_lines)
    out.append(f"static inline {{T}} pyad_d_{tag}_{{S}}({{T}} g, {params}const double *c)\n"
               f"{{\n    (void)c;\n{unused}{body}    return {value};\n}}")
    return out


def rec_body(*lows):
    """The recorded lines of lowerings: their declarations first (Cython declares at a
    function's top level only), then their steps, each value computed once across them."""
    same = {}      # a mask kernel of a later lowering -> an earlier one's with its condition
    for i, low in enumerate(lows):
        for k, cond in enumerate(low.masks):
            earlier = next((e for e in lows[:i] if cond in e.masks), None)
            if earlier is not None:
                for s in ("f32", "f64"):
                    same[f"loop_g_{low.tag}_m{k}_{s}"] = \
                        f"loop_g_{earlier.tag}_m{earlier.masks.index(cond)}_{s}"
    return [d for low in lows for d in low.decls] + \
        share_values([line for low in lows for line in low.rec_lines], same)


_ASSIGN = re.compile(r"^(\w+) = (.*)$")
_NAME = re.compile(r"\b\w+\b")


def share_values(lines, same=None):
    """Recorded lines in which a top-level step that repeats an earlier one (the same call on
    the same values: hypot's dx and dy both divide by hypot(x, y)) becomes a reference to the
    earlier value, so create_graph records it once. Each lowering has its own memo (its C side
    is its own kernel); this is their shared one. Lines inside a branch are left alone: they do
    not run on every path. same: names known to be the same value, mapped to one of them."""
    same, first, out = dict(same or {}), {}, []
    for line in lines:
        m = _ASSIGN.match(line)
        if m is None:
            out.append(line)
            continue
        name, rhs = m.groups()
        key = _NAME.sub(lambda t: same.get(t.group(0), t.group(0)), rhs)
        if key in first:
            same[name] = first[key]
            out.append(f"{name} = {first[key]}")
        else:
            first[key] = name
            out.append(line)
    return out


def parse(text, op):
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError as e:
        raise GenError(f"{op.name}: {e}") from None


def per_dtype(text, S, T, F):
    return text.replace("{S}", S).replace("{T}", T).replace("{F}", F)


class UnaryCode:
    """Everything generated for one Unary entry."""

    def __init__(self, op, ops):
        if len(op.params) > MAX_PARAMS:
            raise GenError(f"{op.name}: at most {MAX_PARAMS} parameters")
        if op.jvp != "auto" or op.batch != "elementwise":
            raise GenError(f"{op.name}: jvp='auto' and batch='elementwise' are the rules so far")
        self.op, self.N = op, op.name.upper()
        fwd = Lowering(op, ops, recorded=False)
        fwd.cvars = {"x": "x"}
        self.fwd_c = value_c(parse(op.fwd, op), fwd)
        self.saves = "SAVE_NONE"
        self.dx = None
        if op.kernels is not None and (len(op.kernels) != 2 or op.dx is None or op.params):
            raise GenError(f"{op.name}: kernels=(forward, backward) needs a dx and no params")
        if op.factor is not None and op.kernels is None:
            raise GenError(f"{op.name}: factor= goes with kernels= so far")
        if op.dx is not None:
            low = Lowering(op, ops)
            tree = parse(op.dx, op)
            if op.factor is not None:   # g * factor: the factor alone is lowered
                sides = [tree.left, tree.right] if isinstance(tree, ast.BinOp) and \
                    isinstance(tree.op, ast.Mult) else []
                rest = [e for e in sides if not (isinstance(e, ast.Name) and e.id == "g")]
                if len(sides) != 2 or len(rest) != 1 or "g" in {
                        n.id for n in ast.walk(rest[0]) if isinstance(n, ast.Name)}:
                    raise GenError(f"{op.name}: factor= needs dx = g * (a factor without g)")
                tree = rest[0]
            val = low.tensor(tree)
            if low.uses == {"x", "result"}:
                raise GenError(f"{op.name}: dx may read x or result, not both")
            if op.factor is not None and val in low.differentiable:
                raise GenError(f"{op.name}: a factor has zero derivative (masks, signs)")
            self.saves = {"x": "SAVE_INPUT", "result": "SAVE_OUTPUT"}.get(
                next(iter(low.uses), None), "SAVE_NONE")
            self.dx, self.dx_val = low, val

    # ---- C
    def c_functions(self):
        name, out = self.op.name, []
        out.append(f"static inline {{T}} pyad_u_{name}_{{S}}({{T}} x, const double *c)\n"
                   f"{{\n    (void)c;\n    return ({{T}})({self.fwd_c});\n}}")
        return out

    def c_derivatives(self):
        if self.dx is None:
            return []
        fns = c_derivative(self.op.name, self.dx, self.dx_val, ("s",))
        return fns[:-1] if self.op.kernels else fns     # the kernel is the derivative

    def c_loops(self):
        name, out = self.op.name, []
        if self.op.kernels:
            return [f"PYAD_TO_U8_1(loop_g_{name}_m{k}_{{S}}, {{T}}, pyad_m_{name}_{k}_{{S}}(x, c))"
                    for k in range(len(self.dx.masks))]
        out.append(f"PYAD_UNARY(loop_g_{name}_{{S}}, {{T}}, pyad_u_{name}_{{S}}(x, c))")
        if self.dx is not None:
            if self.saves == "SAVE_NONE":
                out.append(f"PYAD_UNARY(loop_g_{name}_bw_{{S}}, {{T}}, "
                           f"pyad_d_{name}_{{S}}(x, ({{T}})0, c))")
            else:
                out.append(f"PYAD_BINARY(loop_g_{name}_bw_{{S}}, {{T}}, "
                           f"pyad_d_{name}_{{S}}(x, y, c))")
            for k in range(len(self.dx.masks)):
                out.append(f"PYAD_TO_U8_1(loop_g_{name}_m{k}_{{S}}, {{T}}, "
                           f"pyad_m_{name}_{k}_{{S}}(x, c))")
        return out

    def loop_names(self):
        if self.op.kernels:
            return [f"loop_g_{self.op.name}_m{k}_{s}" for k in range(len(self.dx.masks))
                    for s in ("f32", "f64")]
        names = [f"loop_g_{self.op.name}"]
        extra = [f"loop_g_{self.op.name}_i64"] if self.op.ints == "int64" else []
        if self.dx is not None:
            names.append(f"loop_g_{self.op.name}_bw")
            names += [f"loop_g_{self.op.name}_m{k}" for k in range(len(self.dx.masks))]
        return [f"{n}_{s}" for n in names for s in ("f32", "f64")] + extra

    # ---- Cython: registration and recorded derivative
    def bool_refusal(self):
        """ints="int64": the (exception, message) a bool input is refused with."""
        k = self.op.int_kernel
        if " " in k:
            return f"(RuntimeError, {k!r})"
        message = f'"{k}" not implemented for ' + "'Bool'"
        return f"(NotImplementedError, {message!r})"

    def kernel_rows(self):
        """A kernels entry: its row in the slot of its compile-time id (_gen_core.pxi)."""
        name, N, op = self.op.name, self.N, self.op
        fwd_k, bw_k = op.kernels
        out = [f"# ---- {name}: {op.fwd};  d/dx: {op.dx}  (kernels {fwd_k}, {bw_k})"]
        if op.factor:
            out.append(f'cdef int NAME_{N}_FACTOR = register_name("{op.factor}")')
        out.append(f"cdef Tensor rec_{name}(Tensor g, Tensor s, const double* c):")
        out += [f"    {line}" for line in rec_body(self.dx)]
        if op.factor:
            out.append(f"    return t_mul(g, zero_grad_of({self.dx_val}, s, NAME_{N}_FACTOR))")
        else:
            out.append(f"    return {self.dx_val}")
        out.append(f'set_unary_row(U_{N}, {fwd_k}, {bw_k}, {self.saves}, '
                   f'register_name("{op.grad_fn}"), rec_{name})')
        if op.ints == "int64":
            out.append(f"set_unary_ints(U_{N}, UI_KERNEL, {self.bool_refusal()})")
        elif op.ints != "float":
            raise GenError(f"{name}: a kernels entry's ints is 'float' or 'int64' so far")
        return out

    def pyx_rows(self):
        name, N, op = self.op.name, self.N, self.op
        if op.kernels:
            return self.kernel_rows()
        out = [f"# ---- {name}: {op.fwd}" + (f";  d/dx: {op.dx}" if op.dx else ";  no gradient")]
        i64 = f"loop_g_{name}_i64" if op.ints == "int64" else "NULL"
        out.append(f"cdef int K_{N} = register_kernel(loop_g_{name}_f32, loop_g_{name}_f64, {i64})")
        if self.dx is None:
            out.append(f'cdef int U_{N} = register_unary(K_{N}, BW_ZERO, SAVE_NONE, '
                       f'"{op.grad_fn}", NULL)')
        else:
            out.append(f"cdef int K_{N}_BW = register_kernel(loop_g_{name}_bw_f32, "
                       f"loop_g_{name}_bw_f64, NULL)")
            out.append(f"cdef Tensor rec_{name}(Tensor g, Tensor s, const double* c):")
            out += [f"    {line}" for line in rec_body(self.dx)]
            if self.saves != "SAVE_NONE" and self.dx_val not in self.dx.differentiable:
                # s enters only through branch conditions: like torch's *_backward ops the
                # gradient stays a function of s, with derivative zero (second order: zeros)
                twice = op.grad_fn.replace("Backward0", "BackwardBackward0")
                # (a zero in the graph, added: the formula's own nodes keep their inputs)
                out.append(f"    return t_add({self.dx_val}, zero_grad_of("
                           f"scalar0d_f(0.0, g.m.dtype), s, NAME_{N}_BW_BW))")
                out.insert(1, f'cdef int NAME_{N}_BW_BW = register_name("{twice}")')
            else:
                out.append(f"    return {self.dx_val}")
            out.append(f'cdef int U_{N} = register_unary(K_{N}, K_{N}_BW, {self.saves}, '
                       f'"{op.grad_fn}", rec_{name})')
            if self.dx_val == "g":      # grad() hands a grad_output on as it is, as torch
                out.append(f"set_unary_hands_same(U_{N})")
        if op.ints == "identity":
            out.append(f'set_unary_int_identity(U_{N}, "{op.int_kernel}")')
        elif op.ints == "int64":
            out.append(f"set_unary_ints(U_{N}, UI_KERNEL, {self.bool_refusal()})")
        return out

    # ---- Cython: the Python surface
    def py_params(self):
        ps = []
        for p, default in self.op.params:
            ps.append(p if default == "required" else f"{p}={default!r}")
        return ps

    def params_to_c(self, indent="    "):
        out = []
        for i, (p, default) in enumerate(self.op.params):
            if default is None:
                out.append(f"{indent}c[{i}] = -1.0 if {p} is None else "
                           f"param_double({p}, \"{self.op.name}\", \"{p}\")")
            else:
                out.append(f'{indent}c[{i}] = param_double({p}, "{self.op.name}", "{p}")')
        for cond, message in self.op.checks:
            out.append(f"{indent}if {cond}:")
            out.append(f"{indent}    raise RuntimeError({message!r})")
        return out

    def params_f32_checks(self, indent="    "):
        """torch converts a float parameter to a float32 input's dtype: a finite value beyond
        float32's range overflows (an integer parameter, such as polygamma's n, is not cast)."""
        out = []
        for p, default in self.op.params:
            if default is None:
                out.append(f"{indent}if {p} is not None:")
                out.append(f"{indent}    check_f32_value({p}, x.m.dtype)")
            elif isinstance(default, float):
                out.append(f"{indent}check_f32_value({p}, x.m.dtype)")
        return out

    def pyx_surface(self):
        op, name, N = self.op, self.op.name, self.N
        if op.surface == "none":
            return []
        params = self.py_params()
        sig = ", ".join(["input"] + params)
        call = ", ".join(["input"] + [p for p, _ in op.params])
        cargs = "c" if op.params else "NULL"
        pdecl = ", ".join(["object input"] + ["object " + p for p, _ in op.params])
        out = [f"cdef object op_{name}({pdecl}):"]
        if op.params:
            out.append("    cdef double c[4]")
            out += self.params_to_c()
        out.append("    cdef Tensor x = _t(input)")
        out += self.params_f32_checks()
        if op.ints == "refuse":
            out.append("    if x.m.dtype > PYAD_F64:")
            out.append(f'        refuse_integer_input(x, "{op.int_kernel}")')
        out.append(f"    return t_unary(U_{N}, x, {cargs})")
        # no params, checks or dtype refusal: the functions and methods call t_unary straight
        direct = not op.params and op.ints != "refuse"
        for fname in (name,) + op.aliases:
            checked = call.replace("input", "need_tensor(input, " + repr(fname) + ", \"input\", 1)", 1)
            value = f"t_unary(U_{N}, {checked})" if direct else f"op_{name}({checked})"
            if op.surface == "nn" or not op.out:
                out.append(f"def {fname}({sig}):")
                out.append(f'    """{op.doc}"""')
                out.append(f"    return {value}")
            else:
                out.append(f"def {fname}({sig}, *, out=None):")
                out.append(f'    """{op.doc}"""')
                out.append(f"    r = {value}")
                out.append(f'    return r if out is None else write_out("{fname}", out, r)')
        if op.surface == "torch" and not op.params:
            # no arguments: C functions that add_tensor_noargs makes METH_NOARGS descriptors
            # (as a `def m(self)` of Tensor's body is; a binding function costs ~10 ns a call);
            # the descriptor checks that self is a Tensor
            for mname in (name,) + op.aliases:
                out.append(f"cdef object method_{mname}(object self, object unused):")
                out.append(f"    return t_unary(U_{N}, <Tensor>self)" if direct else
                           f"    return op_{name}(self)")
                out.append(f"cdef object method_{mname}_(object self, object unused):")
                out.append("    cdef Tensor x = <Tensor>self")
                out.append(f"    return inplace(x, t_unary(U_{N}, inplace_source(x), NULL))")
        elif op.surface == "torch":
            pnames = [p for p, _ in op.params]
            msig = ", ".join(["self"] + params)
            for mname in (name,) + op.aliases:
                out.append("@cython.binding(True)\n@cython.embedsignature(False)")
                out.append(f"def method_{mname}({msig}):")
                out.append(f'    """{op.doc}"""')
                this = f"method_self(self, {mname!r})"
                out.append(f"    return t_unary(U_{N}, {this})" if direct else
                           f"    return op_{name}({', '.join([this] + pnames)})")
                out.append("@cython.binding(True)\n@cython.embedsignature(False)")
                out.append(f"def method_{mname}_({msig}):")
                out.append(f'    """In-place {name}; returns self."""')
                if op.params:
                    out.append("    cdef double c[4]")
                    out += self.params_to_c()
                out.append(f"    cdef Tensor x = method_self(self, {mname + '_'!r})")
                out += self.params_f32_checks()
                out.append(f"    return inplace(x, t_unary(U_{N}, inplace_source(x), {cargs}))")
        return out

    def methods(self):
        """(method name, the function object's name, has params) for Tensor."""
        op = self.op
        if op.surface != "torch":
            return []
        names = [n for n in (op.name,) + op.aliases]
        return [(m, f"method_{m}", bool(op.params)) for n in names for m in (n, n + "_")]

    def method_docs(self):
        """method name -> its docstring (the no-argument methods' descriptors carry it)."""
        op = self.op
        return {m: doc for n in (op.name,) + op.aliases
                for m, doc in ((n, op.doc), (n + "_", f"In-place {op.name}; returns self."))}

    def exports(self):
        if self.op.surface in ("torch", "function"):
            return [self.op.name, *self.op.aliases]
        return []

    # ---- stub
    def stub_params(self):
        out = []
        for p, default in self.op.params:
            if default == "required":
                out.append(f"{p}: float")
            elif default is None:
                out.append(f"{p}: float | None = ...")
            else:
                out.append(f"{p}: float = ...")
        return out

    def stub_functions(self):
        if self.op.surface in ("none",):
            return []
        ps = ", ".join(["input: Tensor"] + self.stub_params())
        tail = "" if self.op.surface == "nn" or not self.op.out else ", *, out: Tensor | None = ..."
        return [f"def {n}({ps}{tail}) -> Tensor: ..." for n in (self.op.name,) + self.op.aliases]

    def stub_methods(self):
        ps = ", ".join(["self"] + self.stub_params())
        return [f"    def {m}({ps}) -> Tensor: ..." for m, _, _ in self.methods()]


class BinaryCode:
    """Everything generated for one Binary entry (a row of ops_elementwise.pxi's BINARY)."""

    def __init__(self, op, ops):
        if op.jvp != "auto" or op.batch != "elementwise":
            raise GenError(f"{op.name}: jvp='auto' and batch='elementwise' are the rules so far")
        self.op, self.N = op, op.name.upper()
        fwd = Lowering(op, ops, recorded=False)
        fwd.cvars = {"x": "x", "y": "y"}
        self.fwd_c = value_c(parse(op.fwd, op), fwd)
        self.grads = []
        for k, expr in enumerate((op.dx, op.dy)):
            if expr in (None, "undefined", "g"):
                self.grads.append(expr)
                continue
            low = Lowering(op, ops)
            low.tag, low.prefix = f"{op.name}_d{k}", f"d{k}_"
            self.grads.append((low, low.tensor(parse(expr, op))))
        self.int_c = None
        if op.int_fwd is not None:
            if op.ints != "int64":
                raise GenError(f"{op.name}: int_fwd goes with ints='int64'")
            self.int_c = per_dtype(value_c(parse(op.int_fwd, op), fwd), "i64", "int64_t", "")
        if op.zero_division and op.ints != "int64":
            raise GenError(f"{op.name}: zero_division goes with ints='int64'")

    def c_functions(self):
        name = self.op.name
        return [f"static inline {{T}} pyad_b_{name}_{{S}}({{T}} x, {{T}} y, const double *c)\n"
                f"{{\n    (void)c;\n    return ({{T}})({self.fwd_c});\n}}"]

    def c_derivatives(self):
        return [f for g in self.grads if isinstance(g, tuple)
                for f in c_derivative(g[0].tag, g[0], g[1], ("a", "b"))]

    def c_loops(self):
        name, out = self.op.name, []
        out.append(f"PYAD_BINARY(loop_g_{name}_{{S}}, {{T}}, pyad_b_{name}_{{S}}(x, y, c))")
        for g in self.grads:
            if isinstance(g, tuple):
                low = g[0]
                out.append(f"PYAD_TERNARY(loop_g_{low.tag}_{{S}}, {{T}}, "
                           f"pyad_d_{low.tag}_{{S}}(x, y, z, c))")
                for k in range(len(low.masks)):
                    out.append(f"PYAD_TO_U8_2(loop_g_{low.tag}_m{k}_{{S}}, {{T}}, "
                               f"pyad_m_{low.tag}_{k}_{{S}}(x, y, c))")
        return out

    def int_loops(self):
        if self.op.ints not in ("same", "int64"):
            return []
        body = self.int_c or per_dtype(self.fwd_c, "i64", "int64_t", "")
        return [f"PYAD_BINARY(loop_g_{self.op.name}_i64, int64_t, (int64_t)({body}))"]

    def loop_names(self):
        names = [f"loop_g_{self.op.name}"]
        for g in self.grads:
            if isinstance(g, tuple):
                names.append(f"loop_g_{g[0].tag}")
                names += [f"loop_g_{g[0].tag}_m{k}" for k in range(len(g[0].masks))]
        out = [f"{n}_{s}" for n in names for s in ("f32", "f64")]
        return out + ([f"loop_g_{self.op.name}_i64"] if self.op.ints in ("same", "int64")
                      else [])

    def pyx_rows(self):
        op, name, N = self.op, self.op.name, self.N
        out = [f"# ---- {name}: {op.fwd};  d/dx: {op.dx};  d/dy: {op.dy}"]
        i64 = f"loop_g_{name}_i64" if op.ints in ("same", "int64") else "NULL"
        out.append(f"cdef int K_{N} = register_kernel(loop_g_{name}_f32, loop_g_{name}_f64, {i64})")
        kernels, rets = [], []
        for k, g in enumerate(self.grads):
            if g is None:
                kernels.append("BW_ZERO")
                rets.append("None")
            elif g == "undefined":
                kernels.append("BW_UNDEFINED")
            elif g == "g":
                kernels.append("BW_PASS")
            else:
                kernels.append(f"K_{N}_D{k}")
                out.append(f"cdef int K_{N}_D{k} = register_kernel(loop_g_{g[0].tag}_f32, "
                           f"loop_g_{g[0].tag}_f64, NULL)")
        out.append(f"cdef list rec_{name}(Tensor g, Tensor a, Tensor b):")
        if "undefined" in self.grads:
            out.append(f'    raise RuntimeError("derivative for aten::{op.aten or name} is not '
                       'implemented")')
        else:
            vals = [g[1] if isinstance(g, tuple) else g or "None" for g in self.grads]
            out += [f"    {line}" for line in
                    rec_body(*[g[0] for g in self.grads if isinstance(g, tuple)])]
            out.append(f"    return [{', '.join(vals)}]")
        float_only = op.ints not in ("same", "int64")
        # ints="int64" with an int_kernel: bool operands refused with torch's kernel name
        bool_kernel = repr(op.int_kernel) if op.ints == "int64" and op.int_kernel else None
        out.append(f'cdef int B_{N} = register_binary(K_{N}, {kernels[0]}, {kernels[1]}, '
                   f'{float_only}, "{op.grad_fn}", rec_{name}, {op.zero_division}, '
                   f'{bool_kernel})')
        if "undefined" in self.grads:
            out.append(f'binary_undefined_name[B_{N}] = "{op.aten or name}"')
        for k, nm in enumerate(op.scalars):
            if nm:
                out.append(f'cdef int NAME_{N}_SCALAR{k} = register_name("{nm}")')
        return out

    def pyx_surface(self):
        op, name, N = self.op, self.op.name, self.N
        if op.surface == "none":
            return []
        o = op.other
        # method: the Tensor method's form (its operand is argument 1, torch's overloads
        # without self); one path, so the function and the method cannot raise differently
        # out: the function's out= (torch's errors list it); into: an in-place method's self
        out = [f"cdef object op_{name}(object input, object {o}, str fn, bint method, "
               "object out=None, Tensor into=None):",
               "    cdef Tensor x, y", "    cdef int renamed = -1, number = -1"]
        branch = "if"
        if op.scalars[1]:
            out += [f"    {branch} isinstance(input, Tensor) and not isinstance({o}, Tensor) "
                    f"and is_scalar({o}):",
                    '        x = need_tensor(input, fn, "input", 1)',
                    f"        y = scalar0d({o}, result_type_scalar(x, {o}))",
                    f"        renamed, number = NAME_{N}_SCALAR1, 1"]
            branch = "elif"
        if op.scalars[0]:
            out += [f"    {branch} isinstance({o}, Tensor) and not isinstance(input, Tensor) "
                    "and is_scalar(input):",
                    f'        y = need_tensor({o}, fn, "{o}", 2)',
                    "        x = scalar0d(input, result_type_scalar(y, input))",
                    f"        renamed, number = NAME_{N}_SCALAR0, 0"]
            branch = "elif"
        body = ['x = need_tensor(input, fn, "input", 1)',
                f'y = need_tensor({o}, fn, "{o}", 1 if method else 2)']
        if any(op.scalars):     # torch's overloads: its "invalid combination" error
            sigs = [f"(Tensor input, Tensor {o}, *, Tensor out = None)"]
            msigs = [f"(Tensor {o})"]
            if op.scalars[0]:
                sigs.append(f"(Number self, Tensor {o}, *, Tensor out = None)")
            if op.scalars[1]:
                sigs.append(f"(Tensor input, Number {o}, *, Tensor out = None)")
                msigs.append(f"(Number {o})")
            body = [f"if method and not isinstance({o}, Tensor):",
                    f"    raise TypeError(method_invalid_combination(fn, {o}, {msigs!r}))",
                    f"if not (isinstance(input, Tensor) and isinstance({o}, Tensor)):",
                    f"    raise TypeError(invalid_combination(fn, (input, {o}), {sigs!r}, "
                    "out))"] + body
        if branch == "if":
            out += [f"    {line}" for line in body]
        else:
            out += ["    else:"] + [f"        {line}" for line in body]
        if op.ints == "refuse":     # torch: the shapes broadcast first; the result's dtype named
            out += ["    if result_type2(x, y) > PYAD_F64:",
                    f'        refuse_integer_result(x, y, "{op.int_kernel}", into)']
        elif op.ints == "int64" and not op.int_kernel:  # bools: in int64, a bool result
            out += ["    if result_type2(x, y) == PYAD_BOOL:",
                    f"        return to_dtype_nograd(t_binary(B_{N}, to_dtype_nograd(x, PYAD_I64), "
                    "to_dtype_nograd(y, PYAD_I64)), PYAD_BOOL)"]
        elif op.ints == "same":
            out += ["    if x.m.dtype != y.m.dtype or (isinstance(out, Tensor) and "   # out's too
                    "(<Tensor>out).m.dtype != x.m.dtype):",
                    f'        raise RuntimeError("{name} is not yet implemented for tensors '
                    f'with different dtypes.")',
                    "    if x.m.dtype == PYAD_BOOL:",
                    f"        return to_dtype_nograd(t_binary(B_{N}, to_dtype_nograd(x, PYAD_I64), "
                    "to_dtype_nograd(y, PYAD_I64)), PYAD_BOOL)"]
        out += [f"    cdef Tensor r = t_binary(B_{N}, x, y, number)",
                "    if renamed >= 0 and r.grad_fn_ != NULL:",
                "        r = named(r, renamed)",
                "    return r"]
        for fname in (name,) + op.aliases:
            out += [f"def {fname}(input, {o}, *, out=None):", f'    """{op.doc}"""',
                    f'    r = op_{name}(input, {o}, "{fname}", False, out)',
                    f'    return r if out is None else write_out("{fname}", out, r)']
        if op.surface == "torch":
            for mname in (name,) + op.aliases:
                out += ["@cython.binding(True)\n@cython.embedsignature(False)",
                        f"def method_{mname}(self, {o}):", f'    """{op.doc}"""',
                        f'    return op_{name}(method_self(self, "{mname}"), {o}, "{mname}", True)']
                if op.inplace:
                    out += ["@cython.binding(True)\n@cython.embedsignature(False)",
                            f"def method_{mname}_(self, {o}):",
                            f'    """In-place {name}; returns self."""',
                            f'    cdef Tensor x = method_self(self, "{mname}_")',
                            f'    return inplace(x, op_{name}(inplace_source(x), {o}, "{mname}_", '
                            'True, None, x))']
        return out

    def methods(self):
        if self.op.surface != "torch":
            return []
        names = (self.op.name,) + self.op.aliases
        out = [(n, f"method_{n}", True) for n in names]
        if self.op.inplace:
            out += [(n + "_", f"method_{n}_", True) for n in names]
        return out

    def exports(self):
        return [self.op.name, *self.op.aliases] if self.op.surface != "none" else []

    def stub_functions(self):
        if self.op.surface == "none":
            return []
        t = "Tensor | _Scalar"
        a = t if self.op.scalars[0] else "Tensor"
        b = t if self.op.scalars[1] else "Tensor"
        return [f"def {n}(input: {a}, {self.op.other}: {b}, *, out: Tensor | None = ...) -> "
                f"Tensor: ..." for n in (self.op.name,) + self.op.aliases]

    def stub_methods(self):
        b = "Tensor | _Scalar" if self.op.scalars[1] else "Tensor"
        return [f"    def {m}(self, {self.op.other}: {b}) -> Tensor: ..."
                for m, _, _ in self.methods()]


class CoreCode:
    """A Binary entry with kernels= (the core arithmetic: add, sub, mul, div, pow): its forwards
    are hand-written in ops.pxi (dtype rules, alpha, the scalar fast paths) and its numeric
    backward runs the named kernels there (the accumulate-product and uniform-gradient fast
    paths); generated here, into _gen_core_binary.pxi: the grad_fn name ids, the recorded
    backward of the tensor form and of each Number form (one function per opcode, reading what
    the node saved), and the rows (kernels, numeric, recorded, flags) init_ops registers.
    Masks of where() get C loops in _gen_ops.h, as a unary kernels entry's do."""

    def __init__(self, op, ops):
        if len(op.kernels) != 3 or op.opcode is None or op.numeric is None:
            raise GenError(f"{op.name}: kernels=(fwd, bw_x, bw_y) needs an opcode and a numeric")
        if op.dx is None or op.dy is None:
            raise GenError(f"{op.name}: a core binary op has both derivatives")
        if op.numeric == "mul_numeric" and op.kernels[1:] != ("K_MUL", "K_MUL"):
            # its accumulate_product adds g * x (K_ACC_MUL), x * x's twice: K_MUL's fusions
            raise GenError(f"{op.name}: mul_numeric's shortcuts need bw kernels K_MUL")
        self.op, self.N = op, op.name.upper()
        self.grads = []
        for k, expr in enumerate((op.dx, op.dy)):
            low = Lowering(op, ops)
            low.tag, low.prefix = f"{op.name}_d{k}", f"d{k}_"
            self.grads.append((low, low.tensor(parse(expr, op))))
        self.forms = []             # (Number, lowering, value, the tensor's letter)
        self.shared = set()         # opcodes another entry generates (x - c is x + (-c))
        for num in op.numbers:
            if num.where not in ("other", "input") or num.inputs not in (1, 2):
                raise GenError(f"{op.name}: a Number is 'other' or 'input', of 1 or 2 inputs")
            var = "x" if num.where == "other" else "y"
            low = Lowering(op, ops)
            low.params = ["c", "alpha"]     # the node's c[0] (the number), c[1] (rsub's alpha)
            low.vars = low.cvars = {var: "s", "result": "s"}
            low.tag, low.prefix = f"{op.name}_{num.opcode[3:].lower()}", ""
            val = low.tensor(parse(num.d, op))
            if low.uses == {var, "result"}:
                raise GenError(f"{op.name}: {num.fwd} may read {var} or result, not both")
            self.forms.append((num, low, val, var))

    # ---- C: the masks of the derivatives' where()s (the kernels are the derivatives)
    def lowerings(self):
        return [(low, ("a", "b")) for low, _ in self.grads] + \
            [(low, ("s",)) for num, low, _, _ in self.forms if num.opcode not in self.shared]

    def c_derivatives(self):
        return [f for low, operands in self.lowerings()
                for f in c_derivative(low.tag, low, "0", operands)[:-1]]

    def c_loops(self):
        out = []
        for low, operands in self.lowerings():
            for k in range(len(low.masks)):
                args = ", ".join(("x", "y", "c") if len(operands) == 2 else ("x", "c"))
                out.append(f"PYAD_TO_U8_{len(operands)}(loop_g_{low.tag}_m{k}_{{S}}, {{T}}, "
                           f"pyad_m_{low.tag}_{k}_{{S}}({args}))")
        return out

    def loop_names(self):
        return [f"loop_g_{low.tag}_m{k}_{s}" for low, _ in self.lowerings()
                for k in range(len(low.masks)) for s in ("f32", "f64")]

    c_functions = pyx_surface = methods = stub_methods = stub_functions = exports = \
        lambda self: []

    # ---- Cython
    def name_ids(self, names):
        """grad_fn -> its id's name: NAME_MUL, or NAME_POW0/1/2 where one base has several."""
        out = {}
        for grad_fn in [self.op.grad_fn] + [num.grad_fn for num, _, _, _ in self.forms]:
            base = grad_fn.split("Backward")[0].upper()
            several = len({n for n in names if n.split("Backward")[0].upper() == base}) > 1
            out[grad_fn] = f"NAME_{base}{grad_fn[-1] if several else ''}"
        return out

    def tensor_rec(self):
        op, lows = self.op, [low for low, _ in self.grads]
        out = [f"cdef list rec_{op.name}(Node* n, Tensor g):"]
        if any(low.param_uses for low in lows):
            out.append("    cdef const double* c = n.c")
        reads = set().union(*[low.uses for low in lows])
        if reads:
            out.append("    cdef Tensor " + ", ".join(f"{v} = None" for v in
                                                      sorted({"x": "a", "y": "b"}[u] for u in reads)))
        out += [f"    {line}" for line in rec_body(*lows) if line.startswith("cdef ")]
        out.append("    cdef list r = [None, None]")
        if reads:
            out.append("    check_saved(n)")
        for k, (low, val) in enumerate(self.grads):
            out.append(f"    if needs_input_grad(n, {k}):")
            for u in sorted(low.uses):
                v, slot = {"x": ("a", 0), "y": ("b", 1)}[u]
                out += [f"        if {v} is None:", f"            {v} = saved_tensor(n, {slot})"]
                if op.cast:     # the formula in the result's dtype (a cast of a float operand
                    # is recorded, so higher derivatives still reach it)
                    out += [f"            if {v}.m.dtype != g.m.dtype:",
                            f"                {v} = t_to({v}, g.m.dtype)"]
            out += [f"        {line}" for line in low.rec_lines]
            out.append(f"        r[{k}] = {val}")
        out.append("    return r")
        return out

    def form_rec(self, num, low, val, var):
        out = [f"cdef list rec_{num.opcode[3:].lower()}(Node* n, Tensor g):"]
        if low.param_uses or low.masks:
            out.append("    cdef const double* c = n.c")
        if low.uses:
            out.append("    cdef Tensor s")
        out += [f"    {line}" for line in low.decls]
        if low.uses or "c" in low.param_uses:   # the number is saved, as torch's wrapped one
            out.append("    check_saved(n)")
        if low.uses:
            out.append("    s = saved_result(n)" if "result" in low.uses else
                       "    s = saved_tensor(n, 0)")
        out += [f"    {line}" for line in low.rec_lines]
        out.append(f"    return [{val}, None]" if num.inputs == 2 else f"    return [{val}]")
        return out

    def pyx_rows(self, ids):
        op = self.op
        out = [f"# ---- {op.name}: {op.fwd};  d/dx: {op.dx};  d/dy: {op.dy}  "
               f"(kernels {', '.join(op.kernels)})"]
        out += self.tensor_rec()
        for num, low, val, var in self.forms:
            if num.opcode in self.shared:
                continue
            out.append(f"# {num.fwd}: d/d{var}: {num.d}  (kernels {', '.join(num.kernels)})")
            out += self.form_rec(num, low, val, var)
        return out

    def init_lines(self, ids):
        op = self.op
        flags = "OPF_UNIFORM_GRAD" if op.uniform else "0"
        out = [f"    set_core_op({op.opcode}, {', '.join(op.kernels)}, {op.numeric}, "
               f"rec_{op.name}, {flags})"]
        for num, _, _, var in self.forms:
            if num.opcode in self.shared:
                continue
            bw = ("BW_ZERO", num.kernels[1]) if var == "y" else (num.kernels[1], "BW_ZERO")
            out.append(f"    set_core_op({num.opcode}, {num.kernels[0]}, {', '.join(bw)}, "
                       f"scalar_numeric, rec_{num.opcode[3:].lower()}, 0)")
        return out


def render_core_binary(codes):
    """_gen_core_binary.pxi (ops.pxi includes it where the core names are registered): the
    core arithmetic's grad_fn ids, recorded backwards and rows."""
    core = [c for c in codes if isinstance(c, CoreCode)]
    names = []
    for c in core:
        for n in [c.op.grad_fn] + [num.grad_fn for num, _, _, _ in c.forms]:
            if n not in names:
                names.append(n)
    ids = {}
    for c in core:
        ids.update(c.name_ids(names))
    out = [f"# {HEADER_NOTE}", "# (the core arithmetic's names, recorded backwards and rows; "
           "see csrc/op_table.py, kernels=)", "", 'cdef extern from "_gen_ops.h":',
           "    double pyad_slog(double v) noexcept nogil"]
    loops = [n for c in core for n in c.loop_names()]
    if loops:
        out.append("    pyad_loop " + ", ".join(loops))
    out.append("")
    out += [f'cdef int {ids[n]} = register_name("{n}")' for n in names]
    out.append("")
    for c in core:
        out += c.pyx_rows(ids) + [""]
    out.append("cdef void init_core_binary() noexcept:")
    out.append('    """The rows of the core opcodes (init_ops calls it)."""')
    for c in core:
        out += c.init_lines(ids)
    return "\n".join(out) + "\n"


class TernaryCode:
    """Everything generated for one Ternary entry: rows of ops_elementwise.pxi's TERNARY (one,
    and a second for the overload whose third operand is a number), kernels, surface."""

    BITS = {"x": 1, "y": 2, "z": 4}

    def __init__(self, op, ops):
        if op.jvp != "auto" or op.batch != "elementwise":
            raise GenError(f"{op.name}: jvp='auto' and batch='elementwise' are the rules so far")
        if len(op.params) + (op.scalar is not None) > MAX_PARAMS:
            raise GenError(f"{op.name}: at most {MAX_PARAMS} parameters")
        if op.scalar and op.ints != "same":
            raise GenError(f"{op.name}: a number in place of z needs ints='same' so far")
        self.op, self.ops, self.N = op, ops, op.name.upper()
        self.fwd_c, self.int_c = self.forward(op.fwd), None
        if op.ints == "int64":
            self.int_c = per_dtype(self.forward(op.int_fwd, True), "i64", "int64_t", "")
        # the rows: (suffix, grad_fn, number in place of z, [(lowering, value) or None], saves)
        self.rows = [self.row("", op.grad_fn, False)]
        if op.scalar:
            self.rows.append(self.row("_s", op.scalar, True))

    def forward(self, text, int64=False):
        low = Lowering(self.op, self.ops, recorded=False)
        low.cvars = {"x": "x", "y": "y", "z": "z"}
        low.int64_params = int64
        return value_c(parse(text, self.op), low)

    def row(self, suffix, grad_fn, number):
        op, grads, saves = self.op, [], 0
        for k, expr in enumerate((op.dx, op.dy) if number else (op.dx, op.dy, op.dz)):
            if expr is None:
                grads.append(None)
                continue
            low = Lowering(op, self.ops)
            low.tag, low.prefix = f"{op.name}{suffix}_d{k}", f"d{k}_"
            if number:      # z is the number: the last scalar parameter, c[len(params)]
                low.vars = low.cvars = {"x": "a", "y": "b"}
                low.params = low.params + ["z"]
            val = low.tensor(parse(expr, op))
            for v in low.uses:
                saves |= self.BITS[v]
            grads.append((low, val))
        return suffix, grad_fn, number, grads, saves

    def derivatives(self):
        """(lowering, value) of every derivative that needs a kernel (not g itself)."""
        return [g for row in self.rows for g in row[3] if g is not None and g[1] != "g"]

    # ---- C
    def c_functions(self):
        return [f"static inline {{T}} pyad_t_{self.op.name}_{{S}}({{T}} x, {{T}} y, {{T}} z, "
                f"const double *c)\n{{\n    (void)c;\n    return ({{T}})({self.fwd_c});\n}}"]

    def c_derivatives(self):
        return [f for low, val in self.derivatives()
                for f in c_derivative(low.tag, low, val, ("a", "b", "w"))]

    def c_loops(self):
        out = [f"PYAD_TERNARY(loop_g_{self.op.name}_{{S}}, {{T}}, "
               f"pyad_t_{self.op.name}_{{S}}(x, y, z, c))"]
        for low, _ in self.derivatives():
            out.append(f"PYAD_QUATERNARY(loop_g_{low.tag}_{{S}}, {{T}}, "
                       f"pyad_d_{low.tag}_{{S}}(g, x, y, z, c))")
        return out

    def int_loops(self):
        if self.int_c is None:
            return []
        return [f"PYAD_TERNARY(loop_g_{self.op.name}_i64, int64_t, (int64_t)({self.int_c}))"]

    def loop_names(self):
        names = [f"loop_g_{self.op.name}"] + [f"loop_g_{low.tag}" for low, _ in self.derivatives()]
        out = [f"{n}_{s}" for n in names for s in ("f32", "f64")]
        return out + ([f"loop_g_{self.op.name}_i64"] if self.int_c else [])

    # ---- Cython: registration and recorded derivatives
    def pyx_rows(self):
        op, name, N = self.op, self.op.name, self.N
        out = [f"# ---- {name}: {op.fwd};  d/dx: {op.dx};  d/dy: {op.dy};  d/dz: {op.dz}"]
        i64 = f"loop_g_{name}_i64" if self.int_c else "NULL"
        out.append(f"cdef int K_{N} = register_kernel(loop_g_{name}_f32, loop_g_{name}_f64, {i64})")
        for suffix, grad_fn, number, grads, saves in self.rows:
            R = f"{N}{suffix.upper()}"
            kernels, vals = [], []
            for k, gr in enumerate(grads):
                if gr is None:
                    kernels.append("BW_ZERO")
                    vals.append("None")
                elif gr[1] == "g":
                    kernels.append("BW_PASS")
                    vals.append("g")
                else:
                    low = gr[0]
                    kernels.append(f"K_{R}_D{k}")
                    vals.append(gr[1])
                    out.append(f"cdef int K_{R}_D{k} = register_kernel(loop_g_{low.tag}_f32, "
                               f"loop_g_{low.tag}_f64, NULL)")
            out.append(f"cdef list rec_{name}{suffix}(Tensor g, Tensor a, Tensor b, Tensor w, "
                       f"const double* c):")
            out += [f"    {line}" for line in rec_body(*[gr[0] for gr in grads if gr is not None])]
            out.append(f"    return [{', '.join(vals)}]")
            kernels += ["BW_ZERO"] * (3 - len(kernels))
            out.append(f"cdef int T_{R} = register_ternary(K_{N}, {', '.join(kernels)}, {saves}, "
                       f'{2 if number else 3}, "{grad_fn}", rec_{name}{suffix})')
        return out

    # ---- Cython: the Python surface
    def dtype_rule(self, number, indent):
        """Lines that check the operands' dtypes and set dt, the computation dtype."""
        op, (_, o1, o2) = self.op, self.op.inputs
        shape = "_check_broadcast(x, y)" if number else "check_broadcast3(x, y, z)"
        if op.ints == "same":
            out = ["if y.m.dtype != x.m.dtype:",
                   f'    raise RuntimeError(f"expected dtype {{C_TYPE_NAMES[x.m.dtype]}} for '
                   f'`{o1}` but got dtype {{C_TYPE_NAMES[y.m.dtype]}}")']
            if not number:
                out += ["if z.m.ndim > 0 and z.m.dtype != x.m.dtype:",
                        f'    raise RuntimeError(f"expected dtype {{C_TYPE_NAMES[x.m.dtype]}} for '
                        f'`{o2}` but got dtype {{C_TYPE_NAMES[z.m.dtype]}}")']
            kernel = op.int_kernel[1 if number else 0]
            out += ["dt = x.m.dtype", "if dt > PYAD_F64:", f"    {shape}",
                    f'    refuse_integer_input(x, "{kernel}")']
        elif op.ints == "int64":
            out = ["dt = result_type3(x, y, z)", "if dt == PYAD_BOOL:", f"    {shape}",
                   f'    refuse_integer_input(y, "{op.int_kernel}")']
        else:
            out = ["dt = float_dtype(result_type3(x, y, z))"]
        return [indent + line for line in out]

    def pyx_surface(self):
        op, name, N = self.op, self.op.name, self.N
        _, o1, o2 = op.inputs
        P = len(op.params)
        pnames = [p for p, _ in op.params]
        pdecl = "".join(f", object {p}" for p in pnames)
        out = [f"cdef object op_{name}(object input, object {o1}, object {o2}{pdecl}, str fn, "
               f"int pos, Tensor into=None):",
               "    cdef double c[4]", "    cdef Tensor x, y, z", f"    cdef int t = T_{N}, dt",
               "    c[0] = c[1] = c[2] = c[3] = 0.0"]
        params = []     # parsed after the tensors, in torch's argument order
        for i, p in enumerate(pnames):
            params.append(f'    c[{i}] = ternary_param({p}, fn, "{p}")')
        if op.scalar:
            sigs = [f"(Tensor input, Tensor {o1}, Tensor {o2}, *, Tensor out = None)",
                    f"(Tensor input, Tensor {o1}, Number {o2}, *, Tensor out = None)"]
            msigs = [f"(Tensor {o1}, Tensor {o2})", f"(Tensor {o1}, Number {o2})"]
            out += [f"    if not (isinstance(input, Tensor) and isinstance({o1}, Tensor) and "
                    f"(isinstance({o2}, Tensor) or is_number({o2}))):",
                    f"        raise TypeError(invalid_combination(fn, (input, {o1}, {o2}), "
                    f"{sigs!r}) if pos else invalid_combination(fn, ({o1}, {o2}), {msigs!r}))",
                    f"    x, y = input, {o1}"] + params + [
                    f"    if not isinstance({o2}, Tensor):",
                    f"        t = T_{N}_S",
                    f'        c[{P}] = ternary_param({o2}, fn, "{o2}")']
            out += self.dtype_rule(True, "        ")
            out += [f"        z = scalar0d_f(c[{P}], dt)", "    else:", f"        z = {o2}"]
            body = self.dtype_rule(False, "        ")
            checks = "        "
        else:
            out += ['    x = need_tensor(input, fn, "input", pos)',
                    f'    y = need_tensor({o1}, fn, "{o1}", pos + 1)',
                    f'    z = need_tensor({o2}, fn, "{o2}", pos + 2)'] + params
            body = self.dtype_rule(False, "    ")
            checks = "    "
        for cond, message in op.checks:
            out += [f"{checks}if {cond}:", f"{checks}    raise RuntimeError({message!r})"]
        out += body
        # a number argument converted to the result's dtype as torch's (float32's range, int64
        # exactly: its bits, which the int64 loops read back)
        out += [f'    ternary_param_to(c, {i}, {p}, dt)' for i, p in enumerate(pnames)]
        if op.scalar:
            out += [f"    if t == T_{N}_S:", f"        ternary_param_to(c, {P}, {o2}, dt)"]
        out.append("    return t_ternary(t, x, y, z, dt, c, into)")
        args = f"input, {o1}, {o2}"
        kw = "".join(f", {p}={d!r}" for p, d in op.params)
        pass_p = "".join(f", {p}" for p in pnames)
        star = ", *" if op.params else ""
        out += [f"def {name}({args}, *{kw}, out=None):", f'    """{op.doc}"""',
                f'    r = op_{name}({args}{pass_p}, "{name}", 1)',
                f'    return r if out is None else write_out("{name}", out, r)']
        if op.surface == "torch":
            out += ["@cython.binding(True)\n@cython.embedsignature(False)",
                    f"def method_{name}(self, {o1}, {o2}{star}{kw}):", f'    """{op.doc}"""',
                    f'    return op_{name}(method_self(self, "{name}"), {o1}, {o2}{pass_p}, '
                    f'"{name}", 0)',
                    "@cython.binding(True)\n@cython.embedsignature(False)",
                    f"def method_{name}_(self, {o1}, {o2}{star}{kw}):",
                    f'    """In-place {name}; returns self."""',
                    f'    cdef Tensor x = method_self(self, "{name}_")',
                    "    check_inplace(x)",
                    f'    return op_{name}(x, {o1}, {o2}{pass_p}, "{name}_", 0, x)']
        return out

    def methods(self):
        if self.op.surface != "torch":
            return []
        return [(self.op.name, f"method_{self.op.name}", True),
                (self.op.name + "_", f"method_{self.op.name}_", True)]

    def exports(self):
        return [self.op.name] if self.op.surface != "none" else []

    def stub_args(self):
        op, (_, o1, o2) = self.op, self.op.inputs
        last = "Tensor | _Scalar" if op.scalar else "Tensor"
        kw = "".join(f", {p}: _Scalar = ..." for p, _ in op.params)
        return f"{o1}: Tensor, {o2}: {last}", (", *" + kw if kw else "")

    def stub_functions(self):
        args, kw = self.stub_args()
        kw = kw + ", out: Tensor | None = ..." if kw else ", *, out: Tensor | None = ..."
        return [f"def {self.op.name}(input: Tensor, {args}{kw}) -> Tensor: ..."]

    def stub_methods(self):
        args, kw = self.stub_args()
        return [f"    def {m}(self, {args}{kw}) -> Tensor: ..." for m, _, _ in self.methods()]


class CompositeCode:

    """A Composite entry: its expression recorded with pyad ops (no kernel of its own)."""

    def __init__(self, op, ops):
        self.op = op
        low = Lowering(op, ops)
        low.via_surface = True
        low.vars = low.cvars = {"x": "x"}      # recorded on the input itself, not a saved s
        val = low.tensor(parse(op.expr, op))
        if low.masks or low.uses - {"x"}:
            raise GenError(f"{op.name}: a composite reads x only and has no branches")
        self.lines, self.val = rec_body(low), val

    def pyx_surface(self):
        op = self.op
        out = [f"def {op.name}(input):", f'    """{op.doc}"""', "    cdef Tensor x = _t(input)"]
        out += [f"    {line}" for line in self.lines]
        out.append(f"    return {self.val}")
        return out

    def stub_functions(self):
        return [f"def {self.op.name}(input: Tensor) -> Tensor: ..."]

    def exports(self):
        return [] if self.op.surface == "nn" else [self.op.name]

    c_functions = c_derivatives = c_loops = loop_names = pyx_rows = methods = stub_methods = \
        lambda self: []


def build():
    ops = {op.name: op for op in op_table.UNARY}
    for op in op_table.COMPOSITE:
        if op.name in ops:
            raise GenError(f"{op.name}: defined twice")
    for op in op_table.BINARY + op_table.TERNARY + op_table.COMPOSITE:
        if op.name in ops:
            raise GenError(f"{op.name}: defined twice")
    codes = [UnaryCode(op, ops) for op in op_table.UNARY]
    codes += [CoreCode(op, ops) if op.kernels else BinaryCode(op, ops) for op in op_table.BINARY]
    forms = {}      # opcode -> (derivative, kernels): one Number form generates it
    for code in codes:
        for num, _, _, _ in getattr(code, "forms", ()):
            if num.opcode in forms:
                if forms[num.opcode] != (num.d, num.kernels, num.inputs):
                    raise GenError(f"{code.op.name}: {num.opcode} is defined differently")
                code.shared.add(num.opcode)
            forms[num.opcode] = (num.d, num.kernels, num.inputs)
    codes += [TernaryCode(op, ops) for op in op_table.TERNARY]
    codes += [CompositeCode(op, ops) for op in op_table.COMPOSITE]
    return codes


HEADER_NOTE = "generated by csrc/gen_op_table.py from csrc/op_table.py: do not edit"


def render_h(codes):
    out = [f"/* {HEADER_NOTE} */", "#ifndef PYAD_GEN_OPS_H", "#define PYAD_GEN_OPS_H",
           '#include "pyad_kernels.h"', '#include "pyad_special.h"', "",
           "/* log of a scalar parameter (a derivative's log(c)) */",
           "static inline double pyad_slog(double v)", "{", "    return log(v);", "}", ""]
    for S, T, F in DTYPES:
        out.append(f"/* ---- {T} */")
        for code in codes:      # prototypes: an op's forward may call one defined below it
            for fn in code.c_functions():
                out.append(per_dtype(fn.split("\n")[0], S, T, F) + ";")
        for part in ("c_functions", "c_derivatives", "c_loops"):
            for code in codes:
                out += [per_dtype(t, S, T, F) for t in getattr(code, part)()]
        out.append("")
    out.append("/* ---- int64: the ops whose integer inputs stay integers (ints=\"int64\") */")
    for code in codes:
        if isinstance(code, UnaryCode) and code.op.ints == "int64" and not code.op.kernels:
            body = per_dtype(code.fwd_c, "f64", "double", "")
            out.append(f"PYAD_UNARY(loop_g_{code.op.name}_i64, int64_t, (int64_t)({body}))")
        if isinstance(code, (BinaryCode, TernaryCode)):
            out += code.int_loops()
    out.append("#endif")
    return "\n".join(out) + "\n"


def render_core(codes):
    """_gen_core.pxi: the kernels entries' ids, compile-time constants (ops.pxi includes it;
    other files call t_unary(U_EXP, ...)); the generated rows fill these slots."""
    names = [f"U_{c.N}" for c in codes if isinstance(c, UnaryCode) and c.op.kernels]
    out = [f"# {HEADER_NOTE}", "cdef enum:"]
    line = "   "
    for n in names + ["U_COUNT"]:
        if len(line) + len(n) + 2 > 99:
            out.append(line.rstrip())
            line = "   "
        line += f" {n},"
    out.append(line.rstrip(","))
    return "\n".join(out) + "\n"


def render_pxi(codes, table=None):
    """One generated .pxi: the unary and composite ops (_gen_ops.pxi, included before
    ops_elementwise.pxi, whose code uses their ids) or the binary ones (_gen_binary.pxi, after
    it: they are rows of its BINARY table); `table`: the entries listed in _OP_TABLE."""
    out = [f"# {HEADER_NOTE}", "# (the op table's rows, recorded derivatives and Python surface;"
           " see ARCHITECTURE.md, 'Adding an op')"]
    if table is None:
        out.append("from libc.math cimport INFINITY, NAN")
    out += ["", 'cdef extern from "_gen_ops.h":']
    for code in codes:
        if code.loop_names():
            out.append("    pyad_loop " + ", ".join(code.loop_names()))
    out.append("")
    for code in codes:
        rows = code.pyx_rows()
        if rows:
            out += rows + [""]
    for code in codes:
        surface = code.pyx_surface()
        if surface:
            out += surface + [""]
    if table is not None:
        out.append("# the table as data, for the property tests (tests/test_op_table.py)")
        out.append("_OP_TABLE = (")
        for code in table:
            op = code.op
            kind = {CompositeCode: "composite", BinaryCode: "binary", CoreCode: "core",
                    TernaryCode: "ternary"}.get(type(code), "unary")
            if kind == "core":
                forms = [(num.where, num.fwd, num.grad_fn, num.opcode, num.kernels)
                         for num, _, _, _ in code.forms]
                out.append(f"    dict(name={op.name!r}, kind='core', grad_fn={op.grad_fn!r}, "
                           f"fwd={op.fwd!r}, dx={op.dx!r}, dy={op.dy!r}, "
                           f"kernels={op.kernels!r}, params={op.params!r}, forms={forms!r}),")
                continue
            if kind == "binary":
                dx = any(isinstance(gr, tuple) or gr == "g" for gr in code.grads)
            elif kind == "ternary":
                dx = True
            else:
                dx = getattr(op, "dx", None) is not None or kind == "composite"
            grad_fn = getattr(op, "grad_fn", None)
            out.append(f"    dict(name={op.name!r}, kind={kind!r}, grad_fn={grad_fn!r}, "
                       f"surface={op.surface!r}, params={op.params!r}, "
                       f"aliases={op.aliases!r}, differentiable={dx!r}, "
                       f"ints={getattr(op, 'ints', 'float')!r}" +
                       (f", inputs={op.inputs!r}, scalar={op.scalar!r}" if kind == "ternary"
                        else "") + "),")
        out.append(")")
    exports = [n for code in codes for n in code.exports()]
    out.append("__all__ += [" + ", ".join(f'"{n}"' for n in exports) + "]")
    out.append("")
    methods = [(code, m) for code in codes for m in code.methods()]
    noargs = [(code, mname, fname) for code, (mname, fname, has) in methods if not has]
    binding = [(mname, fname) for _, (mname, fname, has) in methods if has]
    if noargs:
        # the descriptors point into this array for the life of the process
        out.append("# Tensor methods without arguments: METH_NOARGS descriptors of the C "
                   "functions above")
        out.append(f"cdef PyMethodDef _noargs_methods[{len(noargs)}]")
        for i, (code, mname, fname) in enumerate(noargs):
            # the docstring as Cython embeds a method's signature in Tensor's own body
            doc = f"Tensor.{mname}(self)\n\n{code.method_docs()[mname]}"
            out.append(f"add_tensor_noargs(&_noargs_methods[{i}], {fname}, {mname!r},")
            out.append(f"                  {doc!r})")
    if binding:
        out.append("# Tensor methods with arguments: the binding functions above, put into the "
                   "type's dict at import")
        for mname, fname in binding:
            out.append(f'add_tensor_method("{mname}", {fname})')
        out.append("del " + ", ".join(fname for _, fname in binding))
    return "\n".join(out) + "\n"


STUB_BEGIN = "# ---- generated by csrc/gen_op_table.py: begin"
STUB_END = "# ---- generated by csrc/gen_op_table.py: end"


def render_stub(text, codes):
    """pyad/_C.pyi with its three generated regions (the __all__ entries, the Tensor methods,
    the functions) rewritten."""
    exports = [f'    "{n}",' for code in codes for n in code.exports()]
    methods = [m for code in codes for m in code.stub_methods()]
    funcs = [f for code in codes for f in code.stub_functions()]
    parts = text.split(STUB_BEGIN)
    if len(parts) != 4:
        raise GenError("pyad/_C.pyi: expected three generated regions")
    out = parts[0]
    for body, block in zip(parts[1:], (exports, methods, funcs)):
        indent = "    " if block is not funcs else ""
        rest = body.split(STUB_END, 1)[1]
        out += STUB_BEGIN + "\n" + "\n".join(block) + "\n" + indent + STUB_END + rest
    return out


def write_if_changed(path, text):
    old = open(path).read() if os.path.exists(path) else None
    if old != text:
        # a new file renamed over the old: a build reading it never sees half of one
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


def render_pxis(codes):
    """Each generated .pxi file's text, by file name (tools/check_layers.py reads them too)."""
    unary = [c for c in codes if not isinstance(c, (BinaryCode, TernaryCode, CoreCode))]
    binary = [c for c in codes if isinstance(c, (BinaryCode, TernaryCode))]
    return {"_gen_core.pxi": render_core(codes), "_gen_ops.pxi": render_pxi(unary),
            "_gen_binary.pxi": render_pxi(binary, table=codes),
            "_gen_core_binary.pxi": render_core_binary(codes)}


def generate(stub=False):
    codes = build()
    write_if_changed(os.path.join(HERE, "_gen_ops.h"), render_h(codes))
    for name, text in render_pxis(codes).items():
        write_if_changed(os.path.join(HERE, name), text)
    stub_path = os.path.join(HERE, "..", "pyad", "_C.pyi")
    if stub:
        write_if_changed(stub_path, render_stub(open(stub_path).read(), codes))
    return codes


def check():
    """0 when the stub's generated regions match the table."""
    codes = build()
    stub_path = os.path.join(HERE, "..", "pyad", "_C.pyi")
    text = open(stub_path).read()
    if render_stub(text, codes) != text:
        print("pyad/_C.pyi is out of date: run python csrc/gen_op_table.py --stub")
        return 1
    return 0


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(check())
    generate(stub="--stub" in sys.argv)
