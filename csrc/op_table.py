"""pyad's op table: one entry per elementwise op, the only place its math is written.

csrc/gen_op_table.py reads these entries before cythonize (setup.py runs it) and writes, for
each op, the forward C loop, the numeric backward C loop, the recorded backward (pyad ops, for
create_graph=True), the registration row, the Python function, method and in-place method,
and the stub lines of pyad/_C.pyi. Both backward paths come from the one `dx` expression, so
they cannot disagree.

Expressions are Python syntax over a small vocabulary (see gen_op_table.py's FUNCTIONS):
  x        the input                    result   the op's output
  g        the incoming gradient        params   the op's named scalar parameters
  + - * /, unary -, numbers, pi, inf, nan; `a ** s` with s a scalar;
  where(cond, a, b), with cond a comparison of x (or result) and scalars, joined by & | ~;
  any unary op of this table (the core ops neg, exp, log, sqrt, sin, cos, tanh, sigmoid,
  relu, abs, reciprocal included) as a function, with its parameters after the operand.
`fwd` may also call C helpers (libm's, pyad_special.h's); it is C only, never recorded.

Fields (all but name, fwd and grad_fn are optional):
  fwd       the forward, an expression of x and params
  dx        the derivative applied to g: the gradient of x; None: zero (floor, sign, ...)
  grad_fn   torch's grad_fn class name
  params    (name, default) pairs: the op's scalar arguments, kept in the node (4 at most)
  surface   "torch": pyad.<name>, Tensor.<name>, Tensor.<name>_ (torch.<name>)
            "function": pyad.<name> only (torch.selu: no method)
            "nn": pyad._C.<name> only, for pyad.nn.functional (torch.nn.functional.<name>)
            "none": kernels and row only; a hand-written surface uses U_<NAME>
  aliases   other names of the same function/method (torch.arctan for atan, ...)
  ints      "float": int64/bool inputs compute in the default float dtype (most ops);
            "identity": int64 inputs return a copy, bool is refused with torch's kernel name
            (floor, ceil, round, trunc);
            "refuse": int64 and bool refused with torch's kernel name (its activations);
            "int64": int64 computes in int64 (the forward in double, then truncated), bool is
            refused with the message int_kernel
  int_kernel  torch's kernel name in its "not implemented for 'Long'/'Bool'" errors; with
            ints="int64", the bool refusal: a kernel name (no spaces) gives torch's
            NotImplementedError naming it, a sentence is raised as a RuntimeError
  kernels   (forward, backward): the hand-tuned kernels (pyad_kernels.h, registered in
            numeric.pxi) that compute the op instead of loops generated from fwd and dx: the
            core ops. The backward kernel is applied as k(g, saved), saved being what dx reads
            (x: the input, result: the output, neither: k(g)); `fwd` stays the op's scalar C
            definition (other entries' C code calls it) and `dx` the derivative the recorded
            backward is generated from (tests/test_op_table.py checks the kernel against it).
            A kernels entry's id U_<NAME> is a compile-time constant (_gen_core.pxi).
  factor    dx is g times a piecewise-constant factor of the saved value (relu's mask, abs's
            sign): recorded as g * factor, the factor a node of this name (torch's) with
            zero derivative, so the first derivative's grad_fn is a product
  out       False: the function takes no out= (torch.relu)
  checks    (condition on params, message): RuntimeError(message) when the condition holds
  doc       the docstring's first line
Binary entries give dx and dy over x and y (see the class). The core arithmetic (add, sub, mul,
div, pow) are Binary entries with kernels=(forward, bw_x, bw_y): their forwards and Python
surface stay hand-written in ops.pxi and tensor.pxi (dtype rules, alpha, the fast paths), their
numeric backward runs the named kernels (with the engine's accumulate-product and uniform-gradient
shortcuts), and their recorded backward, for the tensor form and for each form with a Python
number (Number: x + c, c - y, x ** c, c ** y, ...), is generated from the derivatives written
here (tests/test_core_binary.py checks the kernels against them). A where() whose condition reads
params alone (alpha == 1, c == 0) records only the branch it takes, as torch's formulas do
(maybe_multiply hands on g itself); a number branch there is a constant of g's shape.
`x ** y` (both per-element) and `log(p)` of a parameter are in the vocabulary too.
Ternary entries (lerp, addcmul, addcdiv) give dx, dy and dz over x, y, z (see the class).
Room for the next issues: `jvp` (forward mode; "auto" derives it from dx with g := tangent,
which holds for every elementwise op) and `batch` (vmap; "elementwise": broadcast, batch
dimension first). The generator checks both fields; forward mode and vmap will emit from them.
"""


class Unary:
    def __init__(self, name, fwd, grad_fn, dx=None, *, params=(), surface="torch", aliases=(),
                 ints="float", int_kernel=None, checks=(), doc="", jvp="auto",
                 batch="elementwise", kernels=None, factor=None, out=True):
        self.name, self.fwd, self.grad_fn, self.dx = name, fwd, grad_fn, dx
        self.params, self.surface, self.aliases = tuple(params), surface, tuple(aliases)
        self.ints, self.int_kernel, self.checks = ints, int_kernel, tuple(checks)
        self.doc, self.jvp, self.batch = doc, jvp, batch
        self.kernels, self.factor, self.out = kernels, factor, out


class Binary:
    """A broadcasting binary op: fwd in x and y; dx and dy the gradients of each ("g": the
    incoming gradient itself, nothing saved for it; None: the input gets none; "undefined":
    torch records the node but has no derivative). ints:
    "float" (integer results compute in the default float dtype), "refuse" (torch's
    "<int_kernel>" not implemented error when the result dtype is an integer), "same" (both
    operands must have one dtype: int64 and bool computed as they are, heaviside), "int64"
    (int64 computed in int64: fwd in int64_t, or `int_fwd` where the float formula is not
    exact on integers; two bools in int64 with a bool result (maximum, minimum), or refused
    with torch's "<int_kernel>" error when one is given). zero_division: an int64 divisor
    with a zero raises torch's "ZeroDivisionError". aten: the op torch names in "derivative for
    aten::<op> is not implemented" (an "undefined" derivative), when not `name`.
    scalars: the grad_fn names when `input` or `other` is a Python number (None: torch
    refuses a number there).
    The core arithmetic's entries add: kernels (forward, bw_x, bw_y: pyad_kernels.h's kernels,
    applied as k(g, saved operands; params); BW_PASS: g itself), params (add/sub's alpha, kept
    in the node), opcode (ops.pxi's OP_*, which the engine keys on), numeric (ops.pxi's
    hand-tuned numeric backward that runs the kernels), uniform (it reads a uniform gradient:
    OPF_UNIFORM_GRAD), cast (the formulas see the operands in the result's dtype) and numbers
    (Number forms). Their Python surface is hand-written (surface is not read)."""

    def __init__(self, name, fwd, grad_fn, dx=None, dy=None, *, surface="torch", aliases=(),
                 ints="float", int_kernel=None, scalars=(None, None), other="other",
                 inplace=True, doc="", jvp="auto", batch="elementwise", kernels=None,
                 params=(), opcode=None, numeric=None, uniform=False, cast=False, numbers=(),
                 int_fwd=None, zero_division=False, aten=None):
        self.name, self.fwd, self.grad_fn, self.dx, self.dy = name, fwd, grad_fn, dx, dy
        self.surface, self.aliases, self.ints, self.int_kernel = surface, tuple(aliases), ints, \
            int_kernel
        self.scalars, self.other, self.inplace, self.doc = scalars, other, inplace, doc
        self.jvp, self.batch = jvp, batch
        self.params, self.checks = tuple(params), ()
        self.kernels, self.opcode, self.numeric, self.uniform = kernels, opcode, numeric, uniform
        self.cast, self.numbers = cast, tuple(numbers)
        self.int_fwd, self.zero_division, self.aten = int_fwd, zero_division, aten


class Number:
    """A core binary op's overload with a Python number c in place of one operand (`where`:
    "other", x op c, or "input", c op y), an opcode of its own: torch's grad_fn, the
    derivative `d` of the tensor operand (in x or y, result, c and alpha), its kernels
    (forward, backward) and how many inputs the node records (torch's x * 2 shows the number
    as (None, 0), x ** 2 does not)."""

    def __init__(self, where, fwd, grad_fn, opcode, d, kernels, *, inputs=2):
        self.where, self.fwd, self.grad_fn, self.opcode, self.d = where, fwd, grad_fn, opcode, d
        self.kernels, self.inputs = kernels, inputs


class Ternary:
    """A broadcasting op of three tensors x, y, z (torch's input and its two other operands,
    named by `inputs`) and the op's scalar params: fwd in x, y, z and params; dx, dy, dz the
    gradients of each ("g": the incoming gradient itself; None: none). The forward computes in
    the promoted dtype of the three, each operand cast to it.
    scalar: torch's grad_fn name when z may be a Python number (lerp's Number overload): that
    overload records two inputs, and its derivatives read the number (in double) where they
    read z; the forward reads z as the number rounded to the computation dtype.
    ints: "float" (integer results compute in the default float dtype), "int64" (int64 computes
    `int_fwd` in int64; bool is refused with torch's "<int_kernel>" error), "same" (y, and z
    unless 0-d, must have x's dtype, torch's "expected dtype" error; integer inputs refused
    with int_kernel's names for the tensor and the number overload).
    checks: (condition on the tensors x, y, z, message): RuntimeError(message) when it holds
    (integral(t): t is int64 or bool), before the dtype rules."""

    def __init__(self, name, fwd, grad_fn, dx=None, dy=None, dz=None, *,
                 inputs=("input", "tensor1", "tensor2"), params=(), scalar=None, ints="float",
                 int_fwd=None, int_kernel=None, checks=(), surface="torch", doc="", jvp="auto",
                 batch="elementwise"):
        self.name, self.fwd, self.grad_fn = name, fwd, grad_fn
        self.dx, self.dy, self.dz, self.inputs = dx, dy, dz, tuple(inputs)
        self.params, self.scalar, self.ints, self.int_fwd = tuple(params), scalar, ints, int_fwd
        self.int_kernel, self.checks, self.surface, self.doc = int_kernel, tuple(checks), \
            surface, doc
        self.jvp, self.batch = jvp, batch
        self.aliases = ()


class Composite:
    """An op torch itself composes of others (its grad_fn is the last op's): `expr` is
    recorded with pyad ops, so its gradient is theirs."""

    def __init__(self, name, expr, *, params=(), surface="nn", doc=""):
        self.name, self.expr, self.params = name, expr, tuple(params)
        self.surface, self.doc = surface, doc
        self.aliases, self.checks = (), ()


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

UNARY = [
    # ---- the core ops: hand-tuned kernels (kernels=), the derivative still written once here
    Unary("neg", "-x", "NegBackward0", "-g", kernels=("K_NEG", "K_NEG"), ints="int64",
          int_kernel="Negation, the `-` operator, on a bool tensor is not supported. If you "
          "are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
          doc="-input elementwise."),
    Unary("exp", "exp(x)", "ExpBackward0", "g * result", kernels=("K_EXP", "K_MUL"),
          doc="e ** input elementwise."),
    Unary("log", "log(x)", "LogBackward0", "g / x", kernels=("K_LOG", "K_DIV"),
          doc="Natural logarithm elementwise."),
    Unary("sqrt", "sqrt(x)", "SqrtBackward0", "g / (result * 2)",
          kernels=("K_SQRT", "K_SQRT_BW"), doc="Square root elementwise."),
    Unary("sin", "sin(x)", "SinBackward0", "g * cos(x)", kernels=("K_SIN", "K_SIN_BW"),
          doc="Sine elementwise."),
    Unary("cos", "cos(x)", "CosBackward0", "g * -sin(x)", kernels=("K_COS", "K_COS_BW"),
          doc="Cosine elementwise."),
    Unary("tanh", "tanh(x)", "TanhBackward0", "g * (1 - result * result)",
          kernels=("K_TANH", "K_TANH_BW"), doc="Hyperbolic tangent elementwise."),
    Unary("sigmoid", "pyad_sigmoid(x)", "SigmoidBackward0", "g * ((1 - result) * result)",
          kernels=("K_SIGMOID", "K_SIGMOID_BW"), doc="1 / (1 + exp(-input)) elementwise."),
    # relu keeps NaN (torch's clamp_min(0)); its gradient passes g at NaN, as torch's
    Unary("relu", "where(x > 0, x, where(x != x, x, 0))", "ReluBackward0",
          "g * where(result <= 0, 0, 1)", kernels=("K_RELU", "K_RELU_BW"),
          factor="ThresholdBackwardBackward0", ints="int64",
          int_kernel="Boolean inputs not supported for relu", out=False,
          doc="max(input, 0) elementwise."),
    # sign(NaN) is 0, as torch's
    Unary("abs", "fabs(x)", "AbsBackward0", "g * where(x > 0, 1, where(x < 0, -1, 0))",
          kernels=("K_ABS", "K_ABS_BW"), factor="SgnBackward0", ints="int64",
          int_kernel="abs_cpu", doc="Absolute value elementwise."),
    Unary("reciprocal", "1 / x", "ReciprocalBackward0", "-g * (result * result)",
          kernels=("K_RECIPROCAL", "K_RECIPROCAL_BW"), doc="1 / input elementwise."),
    # ---- exponentials and logarithms
    Unary("expm1", "expm1(x)", "Expm1Backward0", "g * (result + 1)",
          doc="exp(x) - 1, accurate near zero."),
    Unary("exp2", "exp2(x)", "Exp2Backward0", "g * result * 0.6931471805599453",
          doc="2 ** x."),
    Unary("log2", "log2(x)", "Log2Backward0", "g / (x * 0.6931471805599453)",
          doc="Base-2 logarithm."),
    Unary("log10", "log10(x)", "Log10Backward0", "g / (x * 2.302585092994046)",
          doc="Base-10 logarithm."),
    Unary("log1p", "log1p(x)", "Log1PBackward0", "g / (x + 1)",
          doc="log(1 + x), accurate near zero."),
    Unary("rsqrt", "1 / sqrt(x)", "RsqrtBackward0", "-0.5 * g * (result * result * result)",
          doc="1 / sqrt(x)."),
    Unary("logit", "where(eps < 0, log(x / (1 - x)),"
                   " log(pyad_clamp(x, eps, 1 - eps) / (1 - pyad_clamp(x, eps, 1 - eps))))",
          "LogitBackward0",
          # torch's logit_backward: NaN outside [0, 1] and g * inf at 0 and 1 without eps;
          # with eps, zero outside [eps, 1 - eps]
          "where(eps < 0,"
          " where((x < 0) | (x > 1), nan, where((x == 0) | (x == 1), g * inf,"
          " g / (x * (1 - x)))),"
          " where((x < eps) | (x > 1 - eps), 0, g / (x * (1 - x))))",
          params=[("eps", None)], doc="log(x / (1 - x)); with eps, x is first clamped to "
          "[eps, 1 - eps]."),
    # ---- trigonometric and hyperbolic
    Unary("tan", "tan(x)", "TanBackward0", "g * (1 + result * result)", doc="Tangent."),
    Unary("asin", "asin(x)", "AsinBackward0", "g * rsqrt(1 - x * x)", aliases=["arcsin"],
          doc="Inverse sine."),
    Unary("acos", "acos(x)", "AcosBackward0", "g * -rsqrt(1 - x * x)", aliases=["arccos"],
          doc="Inverse cosine."),
    Unary("atan", "atan(x)", "AtanBackward0", "g / (x * x + 1)", aliases=["arctan"],
          doc="Inverse tangent."),
    Unary("sinh", "sinh(x)", "SinhBackward0", "g * cosh(x)", doc="Hyperbolic sine."),
    Unary("cosh", "cosh(x)", "CoshBackward0", "g * sinh(x)", doc="Hyperbolic cosine."),
    Unary("asinh", "asinh(x)", "AsinhBackward0", "g * rsqrt(x * x + 1)", aliases=["arcsinh"],
          doc="Inverse hyperbolic sine."),
    Unary("acosh", "acosh(x)", "AcoshBackward0", "g * rsqrt(x * x - 1)", aliases=["arccosh"],
          doc="Inverse hyperbolic cosine."),
    Unary("atanh", "atanh(x)", "AtanhBackward0", "g / (1 - x * x)", aliases=["arctanh"],
          doc="Inverse hyperbolic tangent."),
    Unary("sinc", "where(x == 0, 1, sin(pi * x) / (pi * x))", "SincBackward0",
          "where(x * x * pi == 0, 0,"
          " g * (pi * x * cos(pi * x) - sin(pi * x)) / (x * x * pi))",
          doc="sin(pi x) / (pi x), 1 at 0."),
    # ---- special functions
    Unary("erf", "erf(x)", "ErfBackward0", "1.1283791670955126 * exp(-(x * x)) * g",
          doc="The error function."),
    Unary("erfc", "erfc(x)", "ErfcBackward0", "-1.1283791670955126 * exp(-(x * x)) * g",
          doc="The complementary error function, 1 - erf(x)."),
    Unary("erfinv", "pyad_erfinv(x)", "ErfinvBackward0",
          "0.886226925452758 * exp(result * result) * g",
          doc="The inverse error function."),
    Unary("lgamma", "lgamma(x)", "LgammaBackward0", "g * digamma(x)",
          doc="log |Gamma(x)|."),
    Unary("digamma", "pyad_polygamma(0, x)", "DigammaBackward0", "g * polygamma(x, 1)",
          doc="The logarithmic derivative of Gamma."),
    Unary("polygamma", "pyad_polygamma(n, x)", "PolygammaBackward0",
          "g * polygamma(x, n + 1)", params=[("n", "required")], surface="none",
          doc="The n-th derivative of digamma."),
    # ---- rounding: derivative zero; the identity on integers, as torch
    Unary("floor", "floor(x)", "FloorBackward0", ints="identity", int_kernel="floor_vml_cpu",
          doc="Round down (zero gradient)."),
    Unary("ceil", "ceil(x)", "CeilBackward0", ints="identity", int_kernel="ceil_vml_cpu",
          doc="Round up (zero gradient)."),
    Unary("trunc", "trunc(x)", "TruncBackward0", ints="identity", int_kernel="trunc_vml_cpu",
          aliases=["fix"], doc="Round toward zero (zero gradient)."),
    Unary("round", "nearbyint(x)", "RoundBackward0", ints="identity",
          int_kernel="round_vml_cpu", surface="none",
          doc="Round half to even (zero gradient)."),
    # ---- a remainder by a Python number (fmod(x, 0.7), x % 0.7) in a float dtype: torch's
    # Scalar overloads, which record x alone. The number is rounded to the computation dtype
    # first, as torch's wrapped scalar. Integer operands divide exactly through the Binary
    # entries below (pyad's hand-written fmod and remainder surfaces choose; surface="none").
    Unary("fmod_scalar", "fmod(x, other)", "FmodBackward0", "g",
          params=[("other", "required")], surface="none", doc="C's fmod by a number."),
    Unary("remainder_scalar", "pyad_remainder(x, other)", "RemainderBackward0", "g",
          params=[("other", "required")], surface="none",
          doc="Python's remainder by a number (the sign of the divisor)."),
    # ---- activations (torch.nn.functional); torch's backward formulas, special points too
    Unary("hardtanh", "pyad_clamp(x, min_val, max_val)", "HardtanhBackward0",
          "where((x <= min_val) | (x >= max_val), 0, g)",
          params=[("min_val", -1.0), ("max_val", 1.0)], surface="nn", ints="int64",
          int_kernel="Bool inputs not supported for hardtanh",
          doc="clamp(x, min_val, max_val); gradient zero at and beyond the bounds."),
    # torch's hardsigmoid_backward multiplies by 1/6 rounded to float32 in every dtype
    Unary("hardsigmoid", "where(x != x, x, pyad_clamp(x + 3, 0, 6) / 6)", "HardsigmoidBackward0",
          "where((x > -3) & (x < 3), g * 0.1666666716337204, 0)", surface="nn", ints="refuse",
          int_kernel="hardsigmoid_cpu",
          doc="clamp(x / 6 + 1 / 2, 0, 1)."),
    Unary("hardswish", "where(x != x, x, x * pyad_clamp(x + 3, 0, 6) / 6)",
          "HardswishBackward0",
          "where(x <= -3, 0, where(x < 3, g * (x / 3 + 0.5), g))", surface="nn",
          ints="refuse", int_kernel="hardswish_cpu",
          doc="x * clamp(x + 3, 0, 6) / 6."),
    Unary("mish", "x * tanh(log1p(exp(x)))", "MishBackward0",
          "g * (tanh(log1p(exp(x)))"
          " + x * sigmoid(x) * (1 - tanh(log1p(exp(x))) * tanh(log1p(exp(x)))))",
          surface="nn", ints="refuse", int_kernel="mish_cpu", doc="x * tanh(softplus(x))."),
    Unary("selu", f"where(x <= 0, expm1(x) * {SELU_ALPHA * SELU_SCALE!r}, x * {SELU_SCALE!r})",
          "EluBackward0",
          f"where(x <= 0, g * {SELU_ALPHA * SELU_SCALE!r} * exp(x), g * {SELU_SCALE!r})",
          surface="function", ints="refuse", int_kernel="elu_cpu",
          doc="scale * (x if x > 0 else alpha * (exp(x) - 1)), torch's "
          "alpha and scale."),
    Unary("celu", "where(x <= 0, expm1(x * (1 / alpha)) * alpha, x)", "CeluBackward0",
          "where(x <= 0, g * (1 / alpha) * alpha * exp(x * (1 / alpha)), g)",
          params=[("alpha", 1.0)], surface="function", ints="refuse", int_kernel="elu_cpu",
          checks=[("alpha == 0", "ZeroDivisionError")],
          doc="x if x > 0 else alpha * (exp(x / alpha) - 1)."),
    Unary("logsigmoid", "where(x > 0, 0, x) - log1p(exp(-fabs(x)))", "LogSigmoidBackward0",
          "where(x < 0, 1 - exp(-abs(x)) / (1 + exp(-abs(x))),"
          " exp(-abs(x)) / (1 + exp(-abs(x)))) * g",
          surface="nn", ints="refuse", int_kernel="log_sigmoid_cpu",
          doc="log(sigmoid(x)), without overflow."),
]

BINARY = [
    # ---- the core arithmetic: hand-written forwards (ops.pxi: t_add, ..., dtype rules, fused
    # alpha) and hand-tuned kernels; the recorded backward of every form is generated from the
    # derivatives here, the numeric one runs the kernels named here (kernels=(fwd, bw_x, bw_y))
    Binary("add", "x + alpha * y", "AddBackward0", "g", "where(alpha == 1, g, g * alpha)",
           params=[("alpha", 1)], kernels=("K_ADD", "BW_PASS", "K_MULS"), opcode="OP_ADD",
           numeric="add_numeric", uniform=True,
           numbers=[Number("other", "x + c", "AddBackward0", "OP_ADDS", "g",
                           ("K_ADDS", "BW_PASS"))]),
    Binary("sub", "x - alpha * y", "SubBackward0", "g", "where(alpha == 1, -g, -g * alpha)",
           params=[("alpha", 1)], kernels=("K_SUB", "BW_PASS", "K_MULS"), opcode="OP_SUB",
           numeric="add_numeric", uniform=True,
           numbers=[Number("other", "x - c", "SubBackward0", "OP_ADDS", "g",
                           ("K_ADDS", "BW_PASS")),
                    Number("input", "c - alpha * y", "RsubBackward1", "OP_RSUBS",
                           "where(alpha == 1, -g, g * -alpha)", ("K_RSUBS", "K_MULS"),
                           inputs=1)]),
    Binary("mul", "x * y", "MulBackward0", "g * y", "g * x",
           kernels=("K_MUL", "K_MUL", "K_MUL"), opcode="OP_MUL", numeric="mul_numeric",
           uniform=True,
           numbers=[Number("other", "x * c", "MulBackward0", "OP_MULS", "g * c",
                           ("K_MULS", "K_MULS"))]),
    # torch's order of operations: -g ((x / y) / y)
    Binary("div", "x / y", "DivBackward0", "g / y", "-g * (x / y / y)",
           kernels=("K_DIV", "K_DIV", "K_DIV_BW_B"), opcode="OP_DIV", numeric="div_numeric",
           uniform=True,
           numbers=[Number("other", "x / c", "DivBackward0", "OP_DIVS", "g / c",
                           ("K_DIVS", "K_DIVS"))]),
    # torch's pow_backward_self / _exponent: selects, not products with 0/1 masks, so a NaN or
    # inf operand where the gradient is 0 stays out (and -0 keeps its sign); the operands are
    # cast to the result's dtype first; c ** y: zero where the base is 0 and the power finite
    Binary("pow", "pow(x, y)", "PowBackward1",
           "where(y == 0, 0, g * (y * where(y == 0, 1, x) ** (y - 1)))",
           "where((x == 0) & (y >= 0), 0,"
           " g * (x ** y * log(where((x == 0) & (y >= 0), 1, x))))",
           kernels=("K_POW", "K_POW_BW_A", "K_POW_BW_B"), opcode="OP_POW",
           numeric="pow_numeric", cast=True,
           numbers=[Number("other", "x ** c", "PowBackward0", "OP_POWS",
                           "where(c == 0, 0, g * (x ** (c - 1) * c))", ("K_POWS", "K_POWS_BW"),
                           inputs=1),
                    Number("input", "c ** y", "PowBackward2", "OP_RPOWS",
                           "where(c == 0, g * where(result - result == 0, 0, result * log(c)),"
                           " g * result * log(c))", ("K_RPOWS", "K_RPOWS_BW"), inputs=1)]),
    # ---- the remainders and rounding divisions (pyad's fmod, remainder, div(rounding_mode=),
    # floor_divide and the % and // operators choose the entry; their surface is hand-written
    # for torch's Scalar overloads). Floats as torch's kernels: fmod from libm, remainder
    # fmod plus the divisor where the signs differ, div_floor from fmod (pyad_kernels.h).
    # int64 divides exactly (int_fwd; INT64_MIN by -1 wraps, as torch) and a zero divisor
    # raises torch's ZeroDivisionError; bool is refused with torch's kernel name.
    Binary("div_trunc", "trunc(x / y)", "DivBackward2", surface="none", ints="int64",
           int_fwd="pyad_itruncdiv(x, y)", int_kernel="div_trunc_cpu", zero_division=True,
           doc="x / y rounded toward zero (zero gradient)."),
    Binary("div_floor", "pyad_div_floor(x, y)", "DivBackward2", surface="none", ints="int64",
           int_fwd="pyad_ifloordiv(x, y)", int_kernel="div_floor_cpu", zero_division=True,
           doc="x / y rounded down (zero gradient)."),
    # torch records x // y with a node whose derivative is not implemented
    Binary("floor_divide", "pyad_div_floor(x, y)", "NotImplemented", "undefined", "undefined",
           surface="none", ints="int64", int_fwd="pyad_ifloordiv(x, y)",
           int_kernel="div_floor_cpu", zero_division=True, doc="x // y (no gradient)."),
    # remainder(Number, Tensor), number % tensor: torch records a node without a derivative
    Binary("remainder_number", "pyad_remainder(x, y)", "NotImplemented", "undefined",
           "undefined", surface="none", ints="int64", int_fwd="pyad_iremainder(x, y)",
           int_kernel="remainder_cpu", zero_division=True, aten="remainder",
           doc="number % tensor (no gradient)."),
    # torch's formulas: g, and -g times the rounded quotient
    Binary("fmod", "fmod(x, y)", "FmodBackward1", "g", "-g * div_trunc(x, y)", surface="none",
           ints="int64", int_fwd="pyad_ifmod(x, y)", int_kernel="fmod_cpu", zero_division=True,
           doc="C-style remainder (the sign of the dividend)."),
    Binary("remainder", "pyad_remainder(x, y)", "RemainderBackward1", "g",
           "-g * div_floor(x, y)", surface="none", ints="int64",
           int_fwd="pyad_iremainder(x, y)", int_kernel="remainder_cpu", zero_division=True,
           doc="Python-style remainder (the sign of the divisor)."),
    Binary("xlogy", "where(y != y, y, where(x == 0, 0, x * log(y)))", "XlogyBackward0",
           # torch: xlogy(grad, y), zero where x == 0 and y <= 0; grad * x / y
           "where((x == 0) & (y <= 0), 0, where(y != y, nan, g * log(y)))", "g * x / y",
           scalars=("XlogyBackward1", "XlogyBackward2"),
           doc="x * log(y), 0 where x is 0 (unless y is NaN)."),
    # torch's kernels: equal infinities give themselves, else max + log1p(exp(-|x - y|))
    Binary("logaddexp", "where((x == y) & (x - x != 0), x,"
                        " where(x > y, x, y) + log1p(exp(-fabs(x - y))))", "LogaddexpBackward0",
           "g / (1 + exp(y - x))", "g / (1 + exp(x - y))", ints="refuse",
           int_kernel="logaddexp_cpu", inplace=False,
           doc="log(exp(x) + exp(y)), without overflow."),
    # (logaddexp2's last step is one fused multiply-add in torch's kernels, here too)
    Binary("logaddexp2", "where((x == y) & (x - x != 0), x,"
                         " fma(log1p(exp2(-fabs(x - y))), 1.4426950408889634, where(x > y, x, y)))",
           "Logaddexp2Backward0",
           "g / (1 + exp2(y - x))", "g / (1 + exp2(x - y))", ints="refuse",
           int_kernel="logaddexp2_cpu", inplace=False,
           doc="log2(2**x + 2**y), without overflow."),
    # NaN propagates; on +-0 ties the second operand, as torch's vectorised kernels (its scalar
    # loop gives the first); the gradient is split evenly on ties (torch's formula)
    Binary("maximum", "where((x != x) | (y != y), x + y, where(x > y, x, y))",
           "MaximumBackward0", "where(x < y, 0, where(x == y, g / 2, g))",
           "where(x > y, 0, where(x == y, g / 2, g))", ints="int64", inplace=False,
           doc="Elementwise maximum with broadcasting (NaN propagates; ties split the "
           "gradient)."),
    Binary("minimum", "where((x != x) | (y != y), x + y, where(x < y, x, y))",
           "MinimumBackward0", "where(x > y, 0, where(x == y, g / 2, g))",
           "where(x < y, 0, where(x == y, g / 2, g))", ints="int64", inplace=False,
           doc="Elementwise minimum with broadcasting (NaN propagates; ties split the "
           "gradient)."),
    # torch's atan2_backward: g y r and g (-x) r, r = 1 / (x^2 + y^2), 0 where r is infinite
    Binary("atan2", "atan2(x, y)", "Atan2Backward0",
           "g * y * where(reciprocal(x * x + y * y) == inf, 0, reciprocal(x * x + y * y))",
           "g * -x * where(reciprocal(x * x + y * y) == inf, 0, reciprocal(x * x + y * y))",
           aliases=["arctan2"],
           doc="Angle of (other, input): atan(input / other) in the right quadrant."),
    Binary("hypot", "hypot(x, y)", "HypotBackward0", "g * x / hypot(x, y)",
           "g * y / hypot(x, y)", ints="refuse", int_kernel="hypot_cpu",
           doc="sqrt(input**2 + other**2) without overflow."),
    Binary("heaviside", "where(x == 0, y, where(x > 0, 1, 0))",
           "NotImplemented", "undefined", "undefined", ints="same", other="values",
           doc="0 where x < 0, values where x == 0, 1 where x > 0."),
]

ADDCDIV_INTEGER = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
    "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
    "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all "
    "dtypes.")

TERNARY = [
    # torch's CPU kernels: lerp from the nearer end and addcmul as one fused multiply-add (so
    # pyad.optim's updates follow torch's bit for bit); addcdiv rounds each step
    Ternary("lerp", "where(fabs(z) < 0.5, fma(z, y - x, x), fma(z - 1, y - x, y))",
            "LerpBackward1", "g * (1 - z)", "g * z", "g * (y - x)",
            inputs=("input", "end", "weight"), scalar="LerpBackward0", ints="same",
            int_kernel=("lerp_kernel_tensor", "lerp_kernel_scalar"),
            doc="input + weight * (end - input)."),
    Ternary("addcmul", "fma(value * y, z, x)", "AddcmulBackward0",
            "g", "g * (z * value)", "g * (y * value)", params=[("value", 1)], ints="int64",
            int_fwd="x + value * y * z", int_kernel="addcmul_cpu_out",
            doc="input + value * tensor1 * tensor2."),
    Ternary("addcdiv", "x + value * y / z", "AddcdivBackward0",
            "g", "g * (value / z)", "-g * (value * y / (z * z))", params=[("value", 1)],
            checks=[("integral(y) and integral(z)", ADDCDIV_INTEGER)],
            doc="input + value * tensor1 / tensor2."),
]

COMPOSITE = [
    Composite("softsign", "x / (abs(x) + 1)", doc="x / (1 + |x|)."),
    Composite("relu6", "hardtanh(x, 0, 6)", doc="min(max(x, 0), 6)."),
]
