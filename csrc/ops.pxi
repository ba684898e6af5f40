# ops.pxi: every differentiable primitive of pyad, one block per op family:
#   forward (compute + record) | numeric backward (C kernels, create_graph=False)
#                              | recorded backward (pyad ops, create_graph=True)
# The three sit side by side so a reader checks one formula against the other two.
# Numeric backwards may return a gradient in the output's (broadcast) shape and dtype; the
# engine reduces it to the input's shape and casts it (fix_grad_numeric / fix_grad_recorded).

# GradSink, the numeric_bw_t / recorded_bw_t formulas, OpDef, OPF_* flags and the core
# opcodes (OP_*): layer_ops.pxd
cdef OpDef OPS[MAX_OPS]          # static storage: zero until an op registers
cdef hands_on_t HANDS_ON[MAX_OPS]   # NULL (a new gradient tensor) unless an op sets its own
cdef int _n_ops = OP_COUNT       # opcodes below OP_COUNT are the core ones (layer_ops.pxd)

cdef int register_op(numeric_bw_t numeric, recorded_bw_t recorded, int flags=0) except -1:
    """A new opcode for an op family defined in its own .pxi file (ops_<family>.pxi)."""
    global _n_ops
    if _n_ops >= MAX_OPS:
        raise RuntimeError("pyad: too many registered ops")
    OPS[_n_ops].numeric = numeric
    OPS[_n_ops].recorded = recorded
    OPS[_n_ops].flags = flags
    _n_ops += 1
    return _n_ops - 1

# grad_fn class names as torch 2.13 prints them; a node keeps the index of its own
NODE_NAMES = []

cdef int register_name(str name) except -1:
    """The name id of a grad_fn class name (torch's, e.g. "CumsumBackward0")."""
    if name in NODE_NAMES:
        return NODE_NAMES.index(name)
    NODE_NAMES.append(name)
    return len(NODE_NAMES) - 1

# the core ops' names (each op family registers its own names in its own file)
cdef int NAME_ACCUMULATE = register_name("AccumulateGrad")
cdef int NAME_SUM0 = register_name("SumBackward0")
cdef int NAME_SUM1 = register_name("SumBackward1")
cdef int NAME_MEAN0 = register_name("MeanBackward0")
cdef int NAME_MEAN1 = register_name("MeanBackward1")
cdef int NAME_VIEW = register_name("ViewBackward0")
cdef int NAME_UNSAFE_VIEW = register_name("UnsafeViewBackward0")
cdef int NAME_UNSQUEEZE = register_name("UnsqueezeBackward0")
cdef int NAME_SQUEEZE0 = register_name("SqueezeBackward0")
cdef int NAME_SQUEEZE1 = register_name("SqueezeBackward1")
cdef int NAME_SQUEEZE2 = register_name("SqueezeBackward2")
cdef int NAME_SQUEEZE4 = register_name("SqueezeBackward4")
cdef int NAME_ALIAS = register_name("AliasBackward0")
cdef int NAME_AS_STRIDED = register_name("AsStridedBackward0")
cdef int NAME_SELECT = register_name("SelectBackward0")
cdef int NAME_SLICE = register_name("SliceBackward0")
cdef int NAME_TRANSPOSE = register_name("TransposeBackward0")
cdef int NAME_T = register_name("TBackward0")
cdef int NAME_PERMUTE = register_name("PermuteBackward0")
cdef int NAME_EXPAND = register_name("ExpandBackward0")
cdef int NAME_SELECT_BW = register_name("SelectBackwardBackward0")
cdef int NAME_SLICE_BW = register_name("SliceBackwardBackward0")
cdef int NAME_DOT = register_name("DotBackward0")
cdef int NAME_MV = register_name("MvBackward0")
cdef int NAME_MM = register_name("MmBackward0")
cdef int NAME_BMM = register_name("BmmBackward0")
cdef int NAME_TO_COPY = register_name("ToCopyBackward0")


# ============================================================================================
# Shared forward machinery
# ============================================================================================
cdef inline int category(int dtype) noexcept:
    return 2 if dtype <= PYAD_F64 else (1 if dtype == PYAD_I64 else 0)

cdef int result_type2(Tensor a, Tensor b) noexcept:
    """torch's promotion: higher category wins; within one, dimensioned beats 0-d."""
    cdef int ca = category(a.m.dtype), cb = category(b.m.dtype)
    if ca != cb:
        return a.m.dtype if ca > cb else b.m.dtype
    if a.m.dtype == b.m.dtype:
        return a.m.dtype
    if (a.m.ndim == 0) != (b.m.ndim == 0):
        return b.m.dtype if a.m.ndim == 0 else a.m.dtype
    if ca == 2:
        return PYAD_F64
    return PYAD_I64

cdef int result_type_scalar(Tensor a, object c) except -1:
    if type(c) is float and category(a.m.dtype) < 2:
        return _default_dtype
    if type(c) is int and a.m.dtype == PYAD_BOOL:
        if c > 9223372036854775807:     # torch's uint64 scalar meets a bool tensor
            raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                               "attempted to promote Bool and UInt64")
        return PYAD_I64
    return a.m.dtype

cdef Tensor to_dtype_nograd(Tensor t, int dtype):
    """A cast that records nothing (operand promotion inside an op that records itself)."""
    if t.m.dtype == dtype:
        return t
    cdef Buffer* b = nb_cast(t.buf.data, &t.m, dtype)
    cdef Tensor out = tensor_from_new_buffer(b, &t.m, dtype)
    return out

cdef inline Tensor map_forward(int k, Tensor x, int dtype, const double* c):
    cdef Tensor xc = to_dtype_nograd(x, dtype)
    cdef Buffer* b = nb_map(k, xc.buf.data, &xc.m, &xc.m, c)
    return tensor_from_new_buffer(b, &xc.m, dtype)

cdef Tensor zip_forward(int k, Tensor a, Tensor b, int dtype, const double* c):
    cdef Tensor ac = to_dtype_nograd(a, dtype)
    cdef Tensor bc = to_dtype_nograd(b, dtype)
    cdef Meta mo
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef const char* xs[2]
    cdef const Meta* ms[2]
    mo.shape = shp
    mo.dtype = dtype
    broadcast_meta(&ac.m, &bc.m, &mo)
    xs[0] = ac.buf.data
    xs[1] = bc.buf.data
    ms[0] = &ac.m
    ms[1] = &bc.m
    return tensor_from_new_buffer(nb_zip(k, 2, xs, ms, &mo, c), &mo, dtype)

cdef Buffer* zip_numeric(int k, Buffer* g, const Meta* mg, const char* xd, const Meta* xm,
                         const char* yd, const Meta* ym, const double* c) except NULL:
    """k(g, x[, y]) at g's shape and dtype; an operand of another dtype is cast first.

    Operands are raw (data, meta) pairs, so the backward sweep creates no Python object.
    A uniform g (one value standing for mg) is broadcast, so the result is full-size.
    """
    cdef Buffer* xc = NULL
    cdef Buffer* yc = NULL
    cdef Meta xmc, ymc
    cdef const char* xs[3]
    cdef const Meta* ms[3]
    try:
        if xm.dtype != mg.dtype:
            xc = nb_cast(xd, xm, mg.dtype)
            xmc = xm[0]
            xmc.dtype = mg.dtype
            xd, xm = xc.data, &xmc
        if ym != NULL and ym.dtype != mg.dtype:
            yc = nb_cast(yd, ym, mg.dtype)
            ymc = ym[0]
            ymc.dtype = mg.dtype
            yd, ym = yc.data, &ymc
        xs[0], xs[1], xs[2] = g.data, xd, yd
        ms[0], ms[1], ms[2] = mg, xm, ym
        if g.uniform:
            ms[0] = &ONE_ELEMENT[mg.dtype]
            if k == K_MUL:      # x g: the loops' fast path takes a broadcast SECOND operand
                xs[0], xs[1], ms[0], ms[1] = xs[1], xs[0], ms[1], ms[0]
        return nb_zip(k, 2 if ym == NULL else 3, xs, ms, mg, c)
    finally:
        buf_decref(xc)
        buf_decref(yc)

cdef inline const char* sdata(Node* n, int slot) noexcept:
    return (<Tensor>n.saved[slot]).buf.data

cdef inline const Meta* smeta(Node* n, int slot) noexcept:
    return &(<Tensor>n.saved[slot]).m

cdef Buffer* map_grad(int k, Buffer* g, const Meta* m, const double* c) except NULL:
    """k(g) elementwise at m's layout; a uniform g gives a uniform result (one element)."""
    cdef Buffer* out
    if not g.uniform:
        return nb_map(k, g.data, m, m, c)
    out = nb_map(k, g.data, &ONE_ELEMENT[m.dtype], &ONE_ELEMENT[m.dtype], c)
    out.uniform = 1
    return out

cdef inline int float_dtype(int dtype) noexcept:
    return dtype if dtype <= PYAD_F64 else _default_dtype


# ============================================================================================
# The core arithmetic: add, sub, mul, div, pow and their forms with a Python number. Each op is
# one entry of the op table (csrc/op_table.py, Binary(..., kernels=)): the forwards are here
# (dtype rules, alpha, the scalar fast paths), and so are the numeric backwards, which run the
# kernels the entry names (CORE[op].bw: k(g, saved...) per input) with the engine's shortcuts
# (accumulate_product, uniform gradients); the recorded backwards (rec_add, rec_muls, ...) and
# the grad_fn names (NAME_ADD, ...) are generated from the entry's derivatives.
# ============================================================================================
# BW_ZERO, BW_PASS, BW_UNDEFINED: layer_ops.pxd

ctypedef struct CoreDef:
    int fwd                  # the forward kernel (the entry's; the forwards below run it)
    int bw[2]                # per input: the numeric backward kernel, BW_PASS or BW_ZERO

cdef CoreDef CORE[OP_UNARY]      # indexed by opcode: OP_ADD .. OP_RPOWS

cdef void set_core_op(int op, int fwd, int bw0, int bw1, numeric_bw_t numeric,
                      recorded_bw_t recorded, int flags) noexcept:
    CORE[op].fwd, CORE[op].bw[0], CORE[op].bw[1] = fwd, bw0, bw1
    OPS[op] = OpDef(numeric, recorded, flags)

cdef Tensor full_like_nograd(Tensor x, double v):
    """A constant of x's shape and dtype, recording nothing (a derivative's number branch)."""
    cdef Tensor z = zeros_like_nograd(x)
    return z if v == 0.0 else map_forward(K_ADDS, z, z.m.dtype, &v)

include "_gen_core_binary.pxi"  # generated: NAME_ADD, ..., rec_add, ..., init_core_binary()


# ============================================================================================
# add / sub: AddBackward0, SubBackward0          d/da = g      d/db = +-alpha g
# ============================================================================================
cdef int check_bool_sub(Tensor a, object b) except -1:
    """torch refuses subtraction with a bool tensor operand (a Python bool counts as one)."""
    cdef bint b_bool = type(b) is bool or (isinstance(b, Tensor) and
                                           (<Tensor>b).m.dtype == PYAD_BOOL)
    if a.m.dtype == PYAD_BOOL and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if a.m.dtype == PYAD_BOOL or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return 0

cdef Tensor t_add(Tensor a, Tensor b, double alpha=1.0):
    cdef int dt = result_type2(a, b)
    if dt == PYAD_BOOL:  # logical or, as torch (bool tensors never require grad)
        return to_dtype_nograd(zip_forward(K_ADD, a, b, PYAD_I64, &alpha), PYAD_BOOL)
    cdef Tensor out = None
    if alpha != 1.0 and dt <= PYAD_F64:   # torch rounds a + alpha*b once (fused.pxi)
        out = fused_axpy(a, b, alpha, dt)
    if out is None:
        out = zip_forward(K_ADD, a, b, dt if dt != PYAD_BOOL else PYAD_I64, &alpha)
    cdef Node* n
    if wants_grad2(a, b):
        n = record(OP_ADD, NAME_ADD, out, a, b, 2)
        n.c[0] = alpha
    return out

cdef Tensor t_sub(Tensor a, Tensor b, double alpha=1.0):
    check_bool_sub(a, b)
    cdef int dt = result_type2(a, b)
    cdef Tensor out = None
    if alpha != 1.0 and dt <= PYAD_F64:   # torch: a + (-alpha)*b, rounded once
        out = fused_axpy(a, b, -alpha, dt)
    if out is None:
        out = zip_forward(K_SUB, a, b, dt if dt != PYAD_BOOL else PYAD_I64, &alpha)
    cdef Node* n
    if wants_grad2(a, b):
        n = record(OP_SUB, NAME_SUB, out, a, b, 2)
        n.c[0] = alpha
    return out

cdef int add_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm, GradSink* sink) except -1:
    """bw[0] passes g; bw[1] (K_MULS) scales it by alpha (-alpha for sub), or passes it."""
    cdef double s = -n.c[0] if n.op == OP_SUB else n.c[0]
    if needs_input_grad(n, 0):
        buf_incref(g)
        gin[0] = g
        gm[0] = &n.out_meta
    if needs_input_grad(n, 1):
        if s == 1.0:
            buf_incref(g)
            gin[1] = g
        else:
            gin[1] = map_grad(CORE[n.op].bw[1], g, &n.out_meta, &s)
        gm[1] = &n.out_meta
    return 0


# ============================================================================================
# mul: MulBackward0                              d/da = g b      d/db = g a
# ============================================================================================
cdef Tensor t_mul(Tensor a, Tensor b):
    cdef int dt = result_type2(a, b)
    if dt == PYAD_BOOL:  # logical and, as torch
        return to_dtype_nograd(zip_forward(K_MUL, a, b, PYAD_I64, NULL), PYAD_BOOL)
    cdef Tensor out = zip_forward(K_MUL, a, b, dt if dt != PYAD_BOOL else PYAD_I64, NULL)
    cdef Node* n
    if wants_grad2(a, b):
        n = record(OP_MUL, NAME_MUL, out, a, b, 2)
        if a._requires_grad:
            save_input(n, 1, b)
        if b._requires_grad:
            save_input(n, 0, a)
    return out

cdef bint accumulate_product(GradSink* sink, Node* n, int k, int kernel, Buffer* g,
                             const char* xd, const Meta* xm) except -1:
    """Add input k's gradient g * x (kernel K_ACC_MUL; K_ACC_MUL_TWICE for x * x) straight
    into the gradient the sweep accumulates for it, when that is a buffer only the sweep holds
    of the same layout: one pass instead of writing g * x and reading it back to add it.
    Returns False (nothing done) otherwise; the caller then returns the gradient as usual."""
    cdef Buffer* acc
    cdef const char* xs[3]
    cdef const Meta* ms[3]
    cdef int dt = n.out_meta.dtype
    if _anomaly_enabled:
        return False
    acc = sink.addable(sink.run, n.next[k].fn)
    if acc == NULL:
        return False
    if (acc.uniform or acc.refcnt != 1 or xm.dtype != dt or n.in_meta[k].dtype != dt
            or not same_shape(&n.in_meta[k], &n.out_meta) or dt > PYAD_F64):
        return False
    xs[0], xs[1], xs[2] = acc.data, g.data, xd
    ms[0], ms[1], ms[2] = &n.out_meta, &ONE_ELEMENT[dt] if g.uniform else &n.out_meta, xm
    nb_zip_write(KERNELS[kernel][kcol(dt)], 3, xs, ms, &n.out_meta, NULL, acc.data)
    return True

cdef int mul_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm, GradSink* sink) except -1:
    """bw[k] (K_MUL) is k(g, the other operand): added straight into the input's gradient
    (accumulate_product) when it can be, x * x's two in one pass."""
    cdef const CoreDef* d = &CORE[n.op]
    check_saved(n)
    if (needs_input_grad(n, 0) and needs_input_grad(n, 1) and n.next[0].fn == n.next[1].fn
            and n.saved[0] == n.saved[1]):
        # x * x: both gradients are g x and flow into the same slot, one after the other;
        # (acc + g x) + g x in one pass, or (g x) * 2 into an empty slot (exact either way)
        if accumulate_product(sink, n, 0, K_ACC_MUL_TWICE, g, sdata(n, 0), smeta(n, 0)):
            return 0
        if sink.is_empty(sink.run, n.next[0].fn):
            gin[0] = zip_numeric(K_MUL_TWICE, g, &n.out_meta, sdata(n, 0), smeta(n, 0),
                                 NULL, NULL, NULL)
            gm[0] = &n.out_meta
            return 0
    if needs_input_grad(n, 0) and not accumulate_product(sink, n, 0, K_ACC_MUL, g,
                                                         sdata(n, 1), smeta(n, 1)):
        gin[0] = zip_numeric(d.bw[0], g, &n.out_meta, sdata(n, 1), smeta(n, 1), NULL, NULL, NULL)
        gm[0] = &n.out_meta
    if needs_input_grad(n, 1) and not accumulate_product(sink, n, 1, K_ACC_MUL, g,
                                                         sdata(n, 0), smeta(n, 0)):
        gin[1] = zip_numeric(d.bw[1], g, &n.out_meta, sdata(n, 0), smeta(n, 0), NULL, NULL, NULL)
        gm[1] = &n.out_meta
    return 0


# ============================================================================================
# div: DivBackward0                              d/da = g / b    d/db = -g a / b^2
# ============================================================================================
cdef Tensor t_div(Tensor a, Tensor b):
    cdef int dt = float_dtype(result_type2(a, b))
    cdef Tensor out = zip_forward(K_DIV, a, b, dt, NULL)
    cdef Node* n
    if wants_grad2(a, b):
        n = record(OP_DIV, NAME_DIV, out, a, b, 2)
        save_input(n, 1, b)
        if b._requires_grad:
            save_input(n, 0, a)
    return out

cdef int div_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm, GradSink* sink) except -1:
    """bw[0] is k(g, b) (K_DIV), bw[1] k(g, a, b) (K_DIV_BW_B)."""
    cdef const CoreDef* d = &CORE[n.op]
    check_saved(n)
    if needs_input_grad(n, 0):
        gin[0] = zip_numeric(d.bw[0], g, &n.out_meta, sdata(n, 1), smeta(n, 1), NULL, NULL, NULL)
        gm[0] = &n.out_meta
    if needs_input_grad(n, 1):
        gin[1] = zip_numeric(d.bw[1], g, &n.out_meta, sdata(n, 0), smeta(n, 0),
                             sdata(n, 1), smeta(n, 1), NULL)
        gm[1] = &n.out_meta
    return 0


# ============================================================================================
# pow(tensor, tensor): PowBackward1
#   d/da = g b a^(b-1)  (0 where b == 0)      d/db = g a^b log a  (0 where a == 0 and b >= 0)
# ============================================================================================
cdef Tensor t_pow(Tensor a, Tensor b):
    cdef int dt = result_type2(a, b)
    cdef Meta o
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    if dt == PYAD_BOOL:
        o.shape = shp
        broadcast_meta(&a.m, &b.m, &o)      # torch's broadcast error comes first
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    cdef Tensor out = zip_forward(K_POW, a, b, dt, NULL)
    cdef Node* n
    if wants_grad2(a, b):
        n = record(OP_POW, NAME_POW1, out, a, b, 2)
        save_input(n, 0, a)
        save_input(n, 1, b)
        save_output(n, out)
    return out

cdef int pow_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm, GradSink* sink) except -1:
    """bw[k] is k(g, a, b) (K_POW_BW_A, K_POW_BW_B)."""
    cdef const CoreDef* d = &CORE[n.op]
    check_saved(n)
    if needs_input_grad(n, 0):
        gin[0] = zip_numeric(d.bw[0], g, &n.out_meta, sdata(n, 0), smeta(n, 0),
                             sdata(n, 1), smeta(n, 1), NULL)
        gm[0] = &n.out_meta
    if needs_input_grad(n, 1):
        gin[1] = zip_numeric(d.bw[1], g, &n.out_meta, sdata(n, 0), smeta(n, 0),
                             sdata(n, 1), smeta(n, 1), NULL)
        gm[1] = &n.out_meta
    return 0

cdef Tensor bool_mask(Tensor x, object pred):
    """A bool tensor recording nothing: the condition of a select in a formula."""
    return tensor_from_numpy_copy(np.ascontiguousarray(pred(np.asarray(_np_view(x)))), PYAD_BOOL)

# ============================================================================================
# Ops with one Python scalar: x + c, x * c, x / c, c - x, x ** c, c ** x.
# The scalar is an input with no grad (next_functions shows (None, 0)), as in torch.
# ============================================================================================
cdef Tensor t_adds(Tensor x, double c, int name=NAME_ADD, int dtype=-1):
    if dtype < 0:
        dtype = x.m.dtype if x.m.dtype != PYAD_BOOL else PYAD_I64
    cdef Tensor out = map_forward(K_ADDS, x, dtype, &c)
    if wants_grad(x):
        record(OP_ADDS, name, out, x, None, 2)
    return out

cdef Tensor t_muls(Tensor x, double c, int dtype=-1):
    if dtype < 0:
        dtype = x.m.dtype if x.m.dtype != PYAD_BOOL else PYAD_I64
    cdef Tensor out = map_forward(K_MULS, x, dtype, &c)
    cdef Node* n
    if wants_grad(x):
        n = record(OP_MULS, NAME_MUL, out, x, None, 2)
        n.c[0] = c
        save_scalar(n)
    return out

cdef Tensor t_divs(Tensor x, double c):
    cdef Tensor out = map_forward(K_DIVS, x, float_dtype(x.m.dtype), &c)
    cdef Node* n
    if wants_grad(x):
        n = record(OP_DIVS, NAME_DIV, out, x, None, 2)
        n.c[0] = c
        save_scalar(n)
    return out

cdef Tensor t_rsubs(Tensor x, double c, double alpha=1.0, int dtype=-1):
    """c - alpha * x: RsubBackward1."""
    cdef double cs[2]
    cs[0] = c
    cs[1] = alpha
    if dtype < 0:
        dtype = x.m.dtype if x.m.dtype != PYAD_BOOL else PYAD_I64
    cdef Tensor out = map_forward(K_RSUBS, x, dtype, cs)
    cdef Node* n
    if wants_grad(x):
        n = record(OP_RSUBS, NAME_RSUB, out, x, None, 1)
        n.c[1] = alpha
    return out

cdef Tensor t_pows(Tensor x, double c, int dtype=-1):
    """x ** c: PowBackward0."""
    if dtype < 0:
        dtype = x.m.dtype if x.m.dtype != PYAD_BOOL else PYAD_I64
    if dtype == PYAD_I64 and c < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    cdef Tensor out = map_forward(K_POWS, x, dtype, &c)
    cdef Node* n
    if wants_grad(x):
        n = record(OP_POWS, NAME_POW0, out, x, None, 1)
        n.c[0] = c
        save_input(n, 0, x)
    return out

cdef Tensor t_rpows(Tensor x, double c, int dtype=-1):
    """c ** x: PowBackward2."""
    if dtype < 0:
        dtype = x.m.dtype if x.m.dtype != PYAD_BOOL else PYAD_I64
    cdef Tensor out = map_forward(K_RPOWS, x, dtype, &c)
    cdef Node* n
    if wants_grad(x):
        n = record(OP_RPOWS, NAME_POW2, out, x, None, 1)
        n.c[0] = c
        save_output(n, out)
    return out

cdef int scalar_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm,
                        GradSink* sink) except -1:
    """The Number forms: the tensor operand's kernel (CORE[op].bw) is k(g; c) (x + c passes g;
    c - alpha y: k(g; -alpha)), k(g, x; c) (x ** c) or k(g, result; c) (c ** y)."""
    cdef double s
    cdef int k = CORE[n.op].bw[1] if CORE[n.op].bw[0] == BW_ZERO else CORE[n.op].bw[0]
    gm[0] = &n.out_meta
    if k == BW_PASS:
        buf_incref(g)
        gin[0] = g
    elif n.op == OP_MULS or n.op == OP_DIVS:
        check_saved(n)
        gin[0] = nb_map(k, g.data, &n.out_meta, &n.out_meta, n.c)
    elif n.op == OP_RSUBS:
        s = -n.c[1]
        gin[0] = nb_map(k, g.data, &n.out_meta, &n.out_meta, &s)
    elif n.op == OP_POWS:
        check_saved(n)
        gin[0] = zip_numeric(k, g, &n.out_meta, sdata(n, 0), smeta(n, 0), NULL, NULL, n.c)
    elif n.op == OP_RPOWS:
        check_saved(n)
        gin[0] = zip_numeric(k, g, &n.out_meta, n.saved_out.data, &n.out_meta, NULL, NULL, n.c)
    return 0

# ============================================================================================
# Unary elementwise ops. Each row: forward kernel, what is saved, numeric backward kernel
# (applied to g and the saved value), and the recorded formula. All rows come from the op table
# (csrc/op_table.py; _gen_ops.pxi registers them): the core ops (neg, exp, ...) in the slots of
# their compile-time ids, the others after them.
# ============================================================================================
# SAVE_*, BW_ZERO, unary_rec_t, UnaryDef and UI_*: layer_ops.pxd

include "_gen_core.pxi"         # generated: U_NEG, U_EXP, ... (the table's kernels entries)
cdef enum:
    MAX_UNARY = 64

cdef UnaryDef UNARY[MAX_UNARY]
cdef int _n_unary = U_COUNT

cdef int set_unary_row(int u, int fwd, int bw, int saves, int name, unary_rec_t rec) except -1:
    UNARY[u].fwd_kernel = fwd
    UNARY[u].bw_kernel = bw
    UNARY[u].saves = saves
    UNARY[u].name_id = name
    UNARY[u].recorded = rec
    UNARY[u].hands_same = False
    return u

cdef int set_unary_hands_same(int u) except -1:
    """Row u's derivative is g itself: grad() returns a grad_output handed on unchanged."""
    UNARY[u].hands_same = True
    return 0

cdef int unary_hands_on(Node* n, int k) noexcept:
    return HANDS_SAME if UNARY[n.ip[0]].hands_same else HANDS_NEW

# A bool input is refused with torch's (exception, message) for the rows here; otherwise it
# is computed in float (UI_FLOAT) or copied unchanged (sign, the only other bool-taking row).
cdef dict _unary_bool_refusal = {}

cdef int set_unary_ints(int u, int ints, object bool_refusal=None) except -1:
    UNARY[u].ints = ints
    if bool_refusal is not None:
        _unary_bool_refusal[u] = bool_refusal
    return 0

cdef int set_unary_int_identity(int u, str int_kernel) except -1:
    """A rounding op: int64 copied, bool refused naming torch's kernel."""
    return set_unary_ints(u, UI_IDENTITY, (NotImplementedError,
                                           f'"{int_kernel}" not implemented for \'Bool\''))

cdef int refuse_integer_input(Tensor x, str kernel) except -1:
    raise NotImplementedError(f'"{kernel}" not implemented for '
                              f"'{'Bool' if x.m.dtype == PYAD_BOOL else 'Long'}'")

cdef double param_double(object v, str op, str name) except? -1.0:
    """A scalar parameter of an op (hardtanh's min_val, ...): torch's error for a non-number."""
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, complex):
        return float(v)
    if isinstance(v, Tensor) and (<Tensor>v).m.ndim == 0:
        return float(v)
    raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(v).__name__}")

cdef int register_unary(int fwd, int bw, int saves, str name, unary_rec_t rec) except -1:
    """A new elementwise unary op: one row of the table (ops_elementwise.pxi uses this)."""
    global _n_unary
    if _n_unary >= MAX_UNARY:
        raise RuntimeError("pyad: too many unary ops")
    _n_unary += 1
    return set_unary_row(_n_unary - 1, fwd, bw, saves, register_name(name), rec)

cdef Tensor t_unary(int u, Tensor x, const double* c=NULL):
    """Apply unary op u (a row of UNARY); c: up to 4 parameters kept in the node (clamp bounds)."""
    cdef const UnaryDef* d = &UNARY[u]
    cdef int dtype = x.m.dtype
    cdef int k
    if dtype == PYAD_BOOL:
        if u in _unary_bool_refusal:
            exc, message = _unary_bool_refusal[u]
            raise exc(message)
        if d.ints != UI_FLOAT:
            return t_clone_nograd(x)
        dtype = float_dtype(dtype)
    elif dtype == PYAD_I64:
        if d.ints == UI_IDENTITY:
            return t_clone_nograd(x)
        if d.ints == UI_FLOAT:
            dtype = float_dtype(dtype)
    cdef Tensor out = map_forward(d.fwd_kernel, x, dtype, c)
    cdef Node* n
    if wants_grad(x):
        n = record(OP_UNARY, d.name_id, out, x, None, 1, 1)
        n.ip[0] = u
        if c != NULL:
            for k in range(4):
                n.c[k] = c[k]
        if d.saves == SAVE_INPUT:
            save_input(n, 0, x)
        elif d.saves == SAVE_OUTPUT:
            save_output(n, out)
    return out

cdef inline Tensor t_neg(Tensor x):
    return t_unary(U_NEG, x)

cdef inline Tensor t_log(Tensor x):
    return t_unary(U_LOG, x)

cdef int unary_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm, GradSink* sink) except -1:
    cdef const UnaryDef* d = &UNARY[n.ip[0]]
    gm[0] = &n.out_meta
    if d.bw_kernel == BW_ZERO:
        gin[0] = buf_zeros(&n.out_meta)
        return 0
    if d.saves == SAVE_NONE:
        gin[0] = map_grad(d.bw_kernel, g, &n.out_meta, n.c)
        return 0
    check_saved(n)
    if d.saves == SAVE_INPUT:
        gin[0] = zip_numeric(d.bw_kernel, g, &n.out_meta, sdata(n, 0), smeta(n, 0), NULL, NULL, n.c)
    elif d.bw_kernel == K_MUL and accumulate_product(sink, n, 0, K_ACC_MUL, g,
                                                     n.saved_out.data, &n.out_meta):
        return 0            # exp: g * result, added straight into the input's slot
    elif d.bw_kernel == K_MUL and result_is_gradient(sink, n, g):
        buf_incref(n.saved_out)
        gin[0] = n.saved_out
    else:
        gin[0] = zip_numeric(d.bw_kernel, g, &n.out_meta, n.saved_out.data, &n.out_meta,
                             NULL, NULL, n.c)
    return 0

cdef bint result_is_gradient(GradSink* sink, Node* n, Buffer* g) noexcept:
    """The gradient g * result (exp's) when g is a uniform 1 (a full sum's): the result itself,
    bit for bit. Its buffer is handed over, not copied, when nothing else can see it: only this
    node holds it and the sweep frees the node's saved values right after it (no
    retain_graph)."""
    cdef double one
    if not g.uniform or sink.keep_graph or _anomaly_enabled:
        return False
    if n.saved_out.refcnt != 1 or n.out_meta.dtype > PYAD_F64:
        return False
    one = (<float*>g.data)[0] if n.out_meta.dtype == PYAD_F32 else (<double*>g.data)[0]
    return one == 1.0


cdef list unary_recorded(Node* n, Tensor g):
    cdef const UnaryDef* d = &UNARY[n.ip[0]]
    cdef Tensor s = None
    if d.bw_kernel == BW_ZERO:
        return [zeros_like_nograd(g)]
    if d.saves != SAVE_NONE:
        check_saved(n)
        s = saved_tensor(n, 0) if d.saves == SAVE_INPUT else saved_result(n)
    return [d.recorded(g, s, n.c)]


# ============================================================================================
# sum / mean over dims: SumBackward0/1, MeanBackward0/1       d/dx = expand(g) (/ count)
# ip[0..ndim): 1 where reduced; ip[ndim]: keepdim; c[0]: divisor (1 for sum)
# ============================================================================================
cdef int keepdim_meta(Meta* mk, const Meta* mx, const Py_ssize_t* mask) noexcept:
    cdef int d
    mk.dtype = mx.dtype
    mk.ndim = mx.ndim
    mk.numel = 1
    for d in range(mx.ndim):
        mk.shape[d] = 1 if mask[d] else mx.shape[d]
        mk.numel *= mk.shape[d]
    return 0

cdef Tensor t_sum(Tensor x, const Py_ssize_t* mask, bint keepdim, bint mean, bint all_dims):
    cdef Meta mk, mo
    cdef Py_ssize_t shk[PYAD_MAXDIM]
    cdef Py_ssize_t sho[PYAD_MAXDIM]
    cdef Py_ssize_t count = 1
    cdef int d, dtype = x.m.dtype
    cdef double divisor
    cdef Buffer* b
    cdef Tensor out, xf = x
    cdef Node* n
    mk.shape = shk
    mo.shape = sho
    if dtype == PYAD_BOOL or (dtype == PYAD_I64 and mean):
        if mean:
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either "
                               f"a floating point or complex dtype. Got: {DTYPE_TITLES[dtype]}")
        dtype = PYAD_I64
    keepdim_meta(&mk, &x.m, mask)
    mk.dtype = dtype
    for d in range(x.m.ndim):
        if mask[d]:
            count *= x.m.shape[d]
    mo.dtype = dtype
    mo.ndim = 0
    mo.numel = mk.numel
    for d in range(x.m.ndim):
        if keepdim or not mask[d]:
            mo.shape[mo.ndim] = mk.shape[d]
            mo.ndim += 1
    b = nb_reduce_to(x.buf.data, &x.m, &mk)
    divisor = <double>count
    if mean:
        out = tensor_from_new_buffer(b, &mo, dtype)
        b = nb_map(K_DIVS, out.buf.data, &mo, &mo, &divisor)
    out = tensor_from_new_buffer(b, &mo, dtype)
    if wants_grad(x):
        n = record(OP_SUM, (NAME_MEAN0 if all_dims else NAME_MEAN1) if mean
                   else (NAME_SUM0 if all_dims else NAME_SUM1), out, x, None, 1, x.m.ndim + 1)
        for d in range(x.m.ndim):
            n.ip[d] = mask[d]
        n.ip[x.m.ndim] = keepdim
        n.c[0] = divisor if mean else 1.0
    return out

cdef int sum_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm, GradSink* sink) except -1:
    cdef const Meta* mx = &n.in_meta[0]
    cdef Meta mk
    cdef Py_ssize_t shk[PYAD_MAXDIM]
    cdef Py_ssize_t st[PYAD_MAXDIM]
    cdef Buffer* e
    cdef int d
    if n.out_meta.numel == 1 and mx.numel > 1:
        # a full reduction: every element's gradient is the one value g (/ count)
        e = buf_uniform(g.data, n.out_meta.dtype)
        if n.c[0] != 1.0:
            try:
                gin[0] = map_grad(K_DIVS, e, mx, n.c)
            finally:
                buf_decref(e)
        else:
            gin[0] = e
        gm[0] = mx
        return 0
    mk.shape = shk
    keepdim_meta(&mk, mx, n.ip)
    mk.dtype = n.out_meta.dtype
    contiguous_strides(&mk, st)
    for d in range(mx.ndim):
        if n.ip[d]:
            st[d] = 0
    mk.shape = mx.shape      # gather over the input's full shape
    mk.ndim = mx.ndim
    mk.numel = mx.numel
    e = nb_gather(g.data, n.out_meta.dtype, 0, st, &mk)
    if n.c[0] != 1.0:
        try:
            gin[0] = nb_map(K_DIVS, e.data, &mk, &mk, n.c)
        finally:
            buf_decref(e)
    else:
        gin[0] = e
    gm[0] = mx
    return 0

cdef list sum_recorded(Node* n, Tensor g):
    cdef const Meta* mx = &n.in_meta[0]
    cdef Meta mk
    cdef Py_ssize_t shk[PYAD_MAXDIM]
    cdef Tensor e
    mk.shape = shk
    keepdim_meta(&mk, mx, n.ip)
    e = t_expand(t_view(g, mk.ndim, mk.shape, NAME_VIEW), mx.ndim, mx.shape)
    if n.c[0] != 1.0:
        e = t_divs(e, n.c[0])
    return [e]


# ============================================================================================
# Views: reshape, view, squeeze, unsqueeze, alias. The output shares the input's buffer.
#   d/dx = g reshaped to x's shape
# ============================================================================================
cdef inline bint _holds_numel(int ndim, const Py_ssize_t* shape, Py_ssize_t numel) noexcept:
    """Whether the sizes are non-negative and multiply, without overflow, to numel."""
    cdef Py_ssize_t n = 1
    cdef int d
    for d in range(ndim):
        if shape[d] < 0 or (shape[d] > 0 and n > PY_SSIZE_T_MAX // shape[d]):
            return False
        n *= shape[d]
    return n == numel

cdef Tensor t_view(Tensor x, int ndim, const Py_ssize_t* shape, int name):
    cdef Meta m
    if not _holds_numel(ndim, shape, x.m.numel):
        # callers check the shape with torch's messages; this guard keeps a wrong one (an
        # element count wrapped around) from ever describing memory the buffer does not have
        raise RuntimeError(f"pyad: a view of {x.m.numel} elements as shape "
                           f"{[shape[d] for d in range(ndim)]}")
    m.dtype = x.m.dtype
    m.ndim = ndim
    m.shape = <Py_ssize_t*>shape
    m.numel = x.m.numel
    cdef Tensor out = tensor_from_buffer(x.buf, &m)
    # in-place checks and detach_ consult the base (torch's view rules); a view of a view has
    # the first one's base, as in torch (so no chain of bases builds up)
    # a view of a pyad copy (x[:, 0].unsqueeze(0)) is a view of the original in torch, where an
    # in-place write reaches the original: it is a copy too, refused as its source is
    if x._base is not None:
        out._base = x._base
        out._view_copies = x._view_copies
    else:
        out._base = x
    mark_view(out, x, VIEW_DEFAULT)
    if wants_grad(x):
        record(OP_VIEW, name, out, x, None, 1)
    return out


cdef int mark_view(Tensor out, Tensor x, unsigned char made) except -1:
    """out, a view of x: torch's CreationMeta; made in no_grad mode of a tensor that requires
    grad, it requires grad too, but as torch's, no gradient reaches it (no accumulator)."""
    out._view_creation = view_creation(x, made)
    out._view_version = watched_version(out)
    if not pyad_is_grad_enabled() and requires_grad_flag(x):
        out._requires_grad = True
        out._grad_dead = True
    return 0


cdef int sync_view_history(Tensor v) except -1:
    """torch's grad_fn() of a view whose memory was written since it took its history (through
    its base or another view of the base): a view torch does not let be rebased (made in no_grad
    mode, or one of several outputs) refuses to be used; any other view takes its base's current
    history, as torch's AsStridedBackward0 node. pyad's copies keep the values and the history
    they were made with (docs/differences.md, "Indexing ... return copies")."""
    cdef Tensor base = <Tensor>v._base
    cdef Node* old = v.grad_fn_
    if old == NULL and not base._requires_grad:
        return 0            # nothing to regenerate, as torch; checked again at the next use
    if v._view_creation != VIEW_DEFAULT:
        raise RuntimeError(view_rebase_message(v._view_creation, forward_name(old),
                                               v._view_output_nr, True))
    v._view_version = watched_version(v)
    if v._view_copies:
        return 0
    v.grad_fn_ = NULL
    # (a base detach_()ed since gives the node no edge: the view still requires grad, as torch's)
    record(OP_VIEW, NAME_AS_STRIDED, v, base, None, 1)
    if old != NULL:
        if v.retains_grad_ and old.hooks != NULL:
            # torch moves a retain_grad hook to the new node (the user's hooks stay behind)
            retain = (<object>old.hooks).pop(_RETAIN_KEY, None)
            if retain is not None:
                table = {_RETAIN_KEY: retain}
                Py_INCREF(table)
                v.grad_fn_.hooks = <PyObject*>table
        node_decref(old)
    return 0


cdef str forward_name(Node* fn):
    """The name of the op that made a node (torch's forward_op_name): ViewBackward0 -> View."""
    return None if fn == NULL else NODE_NAMES[fn.name_id].split("Backward")[0]


cdef object view_write_error(Tensor x):
    """torch's refusal of a recorded in-place change of the view x (handle_view_on_rebase)."""
    return RuntimeError(view_rebase_message(x._view_creation, forward_name(x.grad_fn_),
                                            x._view_output_nr, False))


cdef str view_rebase_message(unsigned char creation, str op, Py_ssize_t output_nr,
                             bint indirect):
    """torch's handle_view_on_rebase: why a view's history may not be rebased, for an in-place
    change of the view itself or (indirect) of its base or another view of the base.
    op: the forward name of the view's grad_fn, None when it has none."""
    cdef str modified = ("its base or another view of its base has been" if indirect
                         else "is being")
    if creation == VIEW_NO_GRAD or op is None:
        msg = ((f"Output {output_nr} of {op} is a view of a view which was created in"
                if op is not None else "A view was created in")
               + f" no_grad mode and {modified} modified inplace with grad mode enabled.")
    else:
        msg = f"Output {output_nr} of {op} is a view and {modified} modified inplace."
    if creation == VIEW_MULTIPLE:
        msg += (" This view is the output of a function that returns multiple views. Such "
                "functions do not allow the output views to be modified inplace. You should "
                "replace the inplace operation by an out-of-place one.")
    elif creation == VIEW_NO_GRAD:
        msg += (" Given that this use case is ambiguous and error-prone, it is forbidden. You "
                "can clarify your code by moving both the view and the inplace either both "
                "inside the no_grad block (if you don't want the inplace to be tracked) or both "
                "outside (if you want the inplace to be tracked).")
    return msg


cdef unsigned char view_creation(Tensor x, unsigned char made) noexcept:
    """torch's CreationMeta for a view of x: NO_GRAD when grad mode is off; otherwise `made`,
    or x's own when that is DEFAULT and x is a view (torch's propagate_creation_meta)."""
    if not pyad_is_grad_enabled():
        return VIEW_NO_GRAD
    if made == VIEW_DEFAULT and x._base is not None:
        return x._view_creation
    return made

cdef Tensor t_unsafe_view(Tensor x, int ndim, const Py_ssize_t* shape):
    """torch's _unsafe_view: reshape an op's own fresh result, which is then no view of anything
    (matmul's unfolding; detach_ and in-place ops treat it as a new tensor)."""
    return not_a_view(t_view(x, ndim, shape, NAME_UNSAFE_VIEW))


cdef Tensor not_a_view(Tensor out):
    """out, made by a view primitive, is a new tensor in torch: no base, no view flags."""
    out._base = None
    out._view_copies = False
    out._view_creation = VIEW_DEFAULT
    if out._grad_dead:
        out._grad_dead = False
        out._requires_grad = False
    return out

cdef int view_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm, GradSink* sink) except -1:
    buf_incref(g)
    gin[0] = g
    gm[0] = &n.in_meta[0]
    return 0

cdef list view_recorded(Node* n, Tensor g):
    if view_hands_on(n, 0) == HANDS_SAME:
        return [g]          # AliasBackward0, a squeeze of nothing: torch hands on g itself
    return [t_view(g, n.in_meta[0].ndim, n.in_meta[0].shape, NAME_VIEW)]


# ============================================================================================
# Strided gathers: select, slice, transpose, t, permute, expand. One primitive: out[i] =
# x[offset + i . strides]. Its adjoint is the scatter-add with the same (offset, strides), and
# the scatter's adjoint is the gather again, so every order of derivative is covered.
# ip[0] = offset, ip[1] = name of the adjoint node, ip[2:2+out_ndim] = strides (elements)
# ============================================================================================
cdef Tensor t_gather(Tensor x, Py_ssize_t offset, const Py_ssize_t* strides, int ndim,
                     const Py_ssize_t* shape, int name, int adjoint_name):
    cdef Meta m
    m.dtype = x.m.dtype
    m.ndim = ndim
    m.shape = <Py_ssize_t*>shape
    m.numel = shape_numel(ndim, shape)
    cdef Tensor out = tensor_from_new_buffer(nb_gather(x.buf.data, x.m.dtype, offset, strides, &m),
                                             &m, x.m.dtype)
    cdef Node* n
    if wants_grad(x):
        n = record(OP_GATHER, name, out, x, None, 1, 2 + ndim)
        n.ip[0] = offset
        n.ip[1] = adjoint_name
        memcpy(n.ip + 2, strides, ndim * sizeof(Py_ssize_t))
    # a copy in pyad, a view (of x's own base, if x is a view) in torch: in-place must not
    # pretend
    out._base = x._base if x._base is not None else x
    out._view_copies = True
    mark_view(out, x, VIEW_DEFAULT)
    return out

cdef Tensor t_scatter(Tensor g, Py_ssize_t offset, const Py_ssize_t* strides, int ndim,
                      const Py_ssize_t* shape, int name, int adjoint_name):
    """zeros(shape) with g added at x[offset + i . strides]: the adjoint of t_gather."""
    cdef Meta m
    m.dtype = g.m.dtype
    m.ndim = ndim
    m.shape = <Py_ssize_t*>shape
    m.numel = shape_numel(ndim, shape)
    cdef Tensor out = tensor_from_new_buffer(nb_scatter(g.buf.data, &g.m, offset, strides, &m),
                                             &m, g.m.dtype)
    cdef Node* n
    if wants_grad(g):
        n = record(OP_SCATTER, name, out, g, None, 1, 2 + g.m.ndim)
        n.ip[0] = offset
        n.ip[1] = adjoint_name
        memcpy(n.ip + 2, strides, g.m.ndim * sizeof(Py_ssize_t))
    return out

cdef int gather_bw(const CMath* C, Node* n, const BV* g, BV* outs) except -1:
    """A gather's adjoint is the scatter with the same strides, a scatter's the gather; the
    recorded adjoint takes the node's adjoint name, and its own adjoint the node's name."""
    if n.op == OP_GATHER:
        return C.scatter(&outs[0], g, n.ip[0], n.ip + 2, &n.in_meta[0], n.ip[1], n.name_id)
    return C.gather(&outs[0], g, n.ip[0], n.ip + 2, &n.in_meta[0], n.ip[1], n.name_id)

cdef Tensor t_expand(Tensor x, int ndim, const Py_ssize_t* shape):
    """Broadcast x to shape (ExpandBackward0); the adjoint sums back (SumBackward1)."""
    cdef Py_ssize_t st[PYAD_MAXDIM]
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef int d, off = ndim - x.m.ndim
    contiguous_strides(&x.m, cs)
    for d in range(ndim):
        st[d] = 0 if d < off or x.m.shape[d - off] == 1 else cs[d - off]
    return t_gather(x, 0, st, ndim, shape, NAME_EXPAND, NAME_SUM1)

cdef Tensor t_permute(Tensor x, const int* perm, int name):
    cdef Py_ssize_t st[PYAD_MAXDIM]
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int d
    contiguous_strides(&x.m, cs)
    for d in range(x.m.ndim):
        st[d] = cs[perm[d]]
        shp[d] = x.m.shape[perm[d]]
    return t_gather(x, 0, st, x.m.ndim, shp, name, name)

cdef Tensor t_transpose(Tensor x, int d0, int d1, int name=NAME_TRANSPOSE):
    cdef int perm[PYAD_MAXDIM]
    cdef int d
    for d in range(x.m.ndim):
        perm[d] = d
    perm[d0] = d1
    perm[d1] = d0
    return t_permute(x, perm, name)


# ============================================================================================
# Matrix products: DotBackward0, MvBackward0, MmBackward0, BmmBackward0 on one strided batched
# kernel. ip = [kind, nb, M, K, N, ta, tb]; the product is op(A) @ op(B) with op(A) (nb, M, K)
# and op(B) (nb, K, N), where ta/tb mean the operand is stored transposed and read in place:
#   d op(A) = g @ op(B)^T      d op(B) = op(A)^T @ g
# The backward's own products are such transposed reads (no copies), so the recorded backward
# of a matmul is one matmul node per input at any order.
# ============================================================================================
cdef inline void bmm_strides(Py_ssize_t* s, Py_ssize_t R, Py_ssize_t C, bint t) noexcept:
    """Element strides (batch, row, col) of an (R, C) operand stored (R, C), or (C, R) if t."""
    s[0] = R * C
    if t:
        s[1] = 1
        s[2] = R
    else:
        s[1] = C
        s[2] = 1

# PROD_*, the kinds of product OP_BMM records (its ip[0]): layer_ops.pxd
cdef int PRODUCT_NAMES[4]
PRODUCT_NAMES[:] = [NAME_DOT, NAME_MV, NAME_MM, NAME_BMM]

cdef Tensor t_bmm_kind(Tensor a, Tensor b, int kind, Py_ssize_t nb, Py_ssize_t M, Py_ssize_t K,
                       Py_ssize_t N, int out_ndim, const Py_ssize_t* out_shape,
                       bint ta=False, bint tb=False):
    cdef Py_ssize_t sa[3]
    cdef Py_ssize_t sb[3]
    cdef Meta m
    cdef Node* n
    # torch's kernels skip an empty product and zero one with K == 0 before they dispatch on
    # the dtype, so bool operands (which no kernel takes) are refused only when there is work
    cdef bint work = nb * M * N > 0 and K > 0
    cdef bint a_grad = wants_grad(a)
    if kind == PROD_BMM:            # no dtype check of its own: mat2's dtype makes the result
        if work and a.m.dtype == PYAD_BOOL:
            raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
        if work and a.m.dtype != b.m.dtype:
            raise RuntimeError(f"expected scalar type {DTYPE_TITLES[a.m.dtype]} but found "
                               f"{DTYPE_TITLES[b.m.dtype]}")
        if a.m.dtype != b.m.dtype:
            a = t_to(a, b.m.dtype)
            if a_grad and category(b.m.dtype) != 2:
                raise RuntimeError(f"Autograd not support dtype: {DTYPE_TITLES[b.m.dtype]}")
    elif a.m.dtype != b.m.dtype:
        if kind == PROD_DOT:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{DTYPE_TITLES[a.m.dtype]} and {DTYPE_TITLES[b.m.dtype]}")
        if kind == PROD_MV:
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                               f"{DTYPE_TITLES[b.m.dtype]}, {DTYPE_TITLES[a.m.dtype]}, and "
                               f"{DTYPE_TITLES[b.m.dtype]}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{DTYPE_C_NAMES[a.m.dtype]} != {DTYPE_C_NAMES[b.m.dtype]}")
    if a.m.dtype == PYAD_BOOL and (work or kind == PROD_DOT):
        # torch's error names the kernel of each product kind (dot refuses even empty vectors)
        kernel = ("dot" if kind == PROD_DOT else "addmv_impl_cpu" if kind == PROD_MV else
                  "addmm_impl_cpu_")
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    m.dtype = a.m.dtype
    m.ndim = out_ndim
    m.shape = <Py_ssize_t*>out_shape
    m.numel = nb * M * N
    bmm_strides(sa, M, K, ta)
    bmm_strides(sb, K, N, tb)
    cdef Buffer* buf = buf_new(m.numel * itemsize(m.dtype))
    cdef Tensor out = tensor_from_new_buffer(buf, &m, m.dtype)
    if m.dtype == PYAD_BOOL:        # no work (refused above otherwise): all False
        memset(out.buf.data, 0, m.numel)
    else:
        nb_bmm(a.buf.data, b.buf.data, out.buf.data, m.dtype, nb, M, K, N, sa, sb)
    if wants_grad2(a, b):
        n = record(OP_BMM, PRODUCT_NAMES[kind], out, a, b, 2, 7)
        n.ip[0] = kind
        n.ip[1] = nb
        n.ip[2] = M
        n.ip[3] = K
        n.ip[4] = N
        n.ip[5] = ta
        n.ip[6] = tb
        if a._requires_grad:
            save_input(n, 1, b)
        if b._requires_grad:
            save_input(n, 0, a)
    return out

cdef int bmm_bw(const CMath* C, Node* n, const BV* g, BV* outs) except -1:
    """d op(A) = g @ op(B)^T, d op(B) = op(A)^T @ g, each a product of the stored operands read
    in place (a stored-transposed one's gradient is computed transposed: op(B) @ g^T)."""
    cdef int kind = n.ip[0]
    cdef Py_ssize_t nb = n.ip[1], M = n.ip[2], K = n.ip[3], N = n.ip[4]
    cdef bint ta = n.ip[5], tb = n.ip[6]
    cdef BV x
    check_saved(n)
    bv_init(&x)
    try:
        if needs_input_grad(n, 0):
            C.input(&x, n, 1)
            if not ta:              # g (M, N) @ op(B)^T (N, K)
                C.bmm(&outs[0], g, &x, kind, nb, M, N, K, False, not tb, &n.in_meta[0])
            else:                   # stored (K, M): op(B) (K, N) @ g^T (N, M)
                C.bmm(&outs[0], &x, g, kind, nb, K, N, M, tb, True, &n.in_meta[0])
            bv_clear(&x)
        if needs_input_grad(n, 1):
            C.input(&x, n, 0)
            if not tb:              # op(A)^T (K, M) @ g (M, N)
                C.bmm(&outs[1], &x, g, kind, nb, K, M, N, not ta, False, &n.in_meta[1])
            else:                   # stored (N, K): g^T (N, M) @ op(A) (M, K)
                C.bmm(&outs[1], g, &x, kind, nb, N, M, K, True, ta, &n.in_meta[1])
    finally:
        bv_clear(&x)
    return 0


# ============================================================================================
# dtype conversion: ToCopyBackward0                                d/dx = g cast back
# ============================================================================================
cdef Tensor t_to(Tensor x, int dtype):
    if x.m.dtype == dtype:
        return x
    cdef Tensor out = to_dtype_nograd(x, dtype)
    if wants_grad(x) and category(dtype) == 2:     # casts to integers cut the graph, as in torch
        record(OP_CAST, NAME_TO_COPY, out, x, None, 1)
    return out

cdef int cast_bw(const CMath* C, Node* n, const BV* g, BV* outs) except -1:
    """g cast back to the input's dtype."""
    return C.to(&outs[0], g, n.in_meta[0].dtype)


# ============================================================================================
# A value computed from x whose derivative is zero but which stays in x's graph (torch's sign,
# threshold_backward masks): requires_grad follows x, as it does in torch.
# ============================================================================================
cdef Tensor zero_grad_of(Tensor value, Tensor x, int name):
    if wants_grad(x):
        record(OP_ZERO, name, value, x, None, 1)
    return value

cdef int zero_bw(const CMath* C, Node* n, const BV* g, BV* outs) except -1:
    """Zeros of the input's shape (the value has no derivative)."""
    return C.zeros(&outs[0], &n.in_meta[0])


# ---- what each core op's formula hands its inputs of g (HANDS_ON, see layer_ops.pxd) -------
cdef int hands_same(Node* n, int k) noexcept:
    return HANDS_SAME                # x + c, clone: g itself

cdef int reduced_to(Node* n, int k, int kind) noexcept:
    """`kind`, for an input of the output's shape; else what torch's engine makes of the
    formula's broadcast-shaped result (sum_to): a view of the sum over leading dims, or the
    sum itself (a new tensor)."""
    if same_shape(&n.in_meta[k], &n.out_meta):
        return kind
    return HANDS_NEW_VIEW if n.in_meta[k].ndim < n.out_meta.ndim else HANDS_NEW

cdef int add_hands_on(Node* n, int k) noexcept:
    # a + alpha b: g itself to a, and to b when alpha is 1 (sub's b gets -g, a new tensor)
    return reduced_to(n, k, HANDS_SAME if k == 0 or (n.op == OP_ADD and n.c[0] == 1.0)
                      else HANDS_NEW)

cdef int broadcast_hands_on(Node* n, int k) noexcept:
    return reduced_to(n, k, HANDS_NEW)       # mul, div, pow: a new tensor, reduced

cdef int view_hands_on(Node* n, int k) noexcept:
    cdef int name = n.name_id
    if name == NAME_SQUEEZE0 or name == NAME_SQUEEZE1 or name == NAME_SQUEEZE2 \
            or name == NAME_SQUEEZE4 or name == NAME_UNSQUEEZE:
        # unsqueeze_to / squeeze of g: a view whatever its strides (g itself when nothing
        # is squeezed)
        return HANDS_SAME if same_shape(&n.in_meta[0], &n.out_meta) else HANDS_VIEW
    if name == NAME_ALIAS:
        return HANDS_SAME            # x[()], x[...]: the gradient itself
    if name == NAME_AS_STRIDED:
        return HANDS_NEW_VIEW        # as_strided_scatter's result, viewed
    if name == NAME_T or name == NAME_TRANSPOSE:
        return HANDS_VIEW            # (pyad views only transposes that move no data)
    return HANDS_VIEW_RESHAPE        # view, reshape, flatten: g.reshape(x's shape)

cdef int sum_hands_on(Node* n, int k) noexcept:
    return HANDS_VIEW_EXPANDED if n.c[0] == 1.0 else HANDS_NEW     # a full sum's expand of g

cdef int gather_hands_on(Node* n, int k) noexcept:
    cdef int name = n.name_id
    if name == NAME_TRANSPOSE or name == NAME_T or name == NAME_PERMUTE:
        return HANDS_VIEW_STRIDED
    if name == NAME_EXPAND:
        return reduced_to(n, k, HANDS_SAME)   # expand's backward is sum_to
    return HANDS_NEW


cdef void init_ops() noexcept:
    init_kernels()
    init_core_binary()      # add, sub, mul, div, pow and their Number forms (op table)
    HANDS_ON[OP_ADD] = add_hands_on
    HANDS_ON[OP_SUB] = add_hands_on
    HANDS_ON[OP_MUL] = broadcast_hands_on
    HANDS_ON[OP_DIV] = broadcast_hands_on
    HANDS_ON[OP_POW] = broadcast_hands_on
    HANDS_ON[OP_ADDS] = hands_same
    HANDS_ON[OP_UNARY] = unary_hands_on
    OPS[OP_ADD].flags |= OPF_FLOW_SAME_OR_NEW
    OPS[OP_SUB].flags |= OPF_FLOW_SAME_OR_NEW
    OPS[OP_MUL].flags |= OPF_FLOW_SAME_OR_NEW
    OPS[OP_DIV].flags |= OPF_FLOW_SAME_OR_NEW
    OPS[OP_POW].flags |= OPF_FLOW_SAME_OR_NEW
    OPS[OP_ADDS].flags |= OPF_FLOW_SAME_OR_NEW
    HANDS_ON[OP_SUM] = sum_hands_on
    HANDS_ON[OP_VIEW] = view_hands_on
    global sync_view
    sync_view = sync_view_history
    HANDS_ON[OP_GATHER] = gather_hands_on
    OPS[OP_UNARY] = OpDef(unary_numeric, unary_recorded,
                          OPF_UNIFORM_GRAD | OPF_FLOW_SAME_OR_NEW)
    OPS[OP_SUM] = OpDef(sum_numeric, sum_recorded, 0)
    OPS[OP_VIEW] = OpDef(view_numeric, view_recorded, 0)
    set_cmath(OP_GATHER, gather_bw, 0)
    set_cmath(OP_SCATTER, gather_bw, 0)
    set_cmath(OP_BMM, bmm_bw, 0)
    set_cmath(OP_CAST, cast_bw, 0)
    set_cmath(OP_ZERO, zero_bw, 0)
