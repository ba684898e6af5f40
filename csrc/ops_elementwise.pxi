# ops_elementwise.pxi: the elementwise catalogue beyond the core ops: more unary functions,
# clamp, nan_to_num, fmod/remainder/rounding division, where,
# comparisons, logical ops and predicates.
# Each op: forward, numeric backward (kernel ids) and recorded backward side by side.

cdef extern from "pyad_kernels.h":
    double pyad_round_half_even(double x) noexcept nogil
    pyad_loop loop_clamp_f32, loop_clamp_f64, loop_nan_to_num_f32, loop_nan_to_num_f64
    pyad_loop loop_clamp_bw_f32, loop_clamp_bw_f64
    pyad_loop loop_finite_mask_f32, loop_finite_mask_f64
    pyad_loop loop_eq_f32, loop_eq_f64, loop_eq_i64, loop_eq_bool
    pyad_loop loop_ne_f32, loop_ne_f64, loop_ne_i64, loop_ne_bool
    pyad_loop loop_lt_f32, loop_lt_f64, loop_lt_i64, loop_lt_bool
    pyad_loop loop_le_f32, loop_le_f64, loop_le_i64, loop_le_bool
    pyad_loop loop_gt_f32, loop_gt_f64, loop_gt_i64, loop_gt_bool
    pyad_loop loop_ge_f32, loop_ge_f64, loop_ge_i64, loop_ge_bool
    pyad_loop loop_and_bool, loop_or_bool, loop_xor_bool, loop_not_bool
    pyad_loop loop_bitand_i64, loop_bitor_i64, loop_bitxor_i64, loop_bitnot_i64
    pyad_loop loop_isnan_f32, loop_isnan_f64, loop_isinf_f32, loop_isinf_f64
    pyad_loop loop_isfinite_f32, loop_isfinite_f64
    pyad_loop loop_where_f32, loop_where_f64, loop_where_i64, loop_where_bool


# ============================================================================================
# Constants that formulas multiply by (masks and piecewise-constant factors): computed with a
# kernel, recorded as nothing, so their derivative is zero as it should be.
# ============================================================================================
cdef long long int64_of(object v, bint wrap) except? -1:
    """The Python int v as an int64, exactly (a double rounds above 2**53). Ints in
    [2**63, 2**64) are torch's uint64 scalars: they wrap to negative where torch makes a tensor
    of the scalar (wrap: binary ops, comparisons) and raise where it converts the scalar to
    int64 (fills, bounds, exponents). Beyond uint64: torch's OverflowErrors."""
    if isinstance(v, np.unsignedinteger) and v > 9223372036854775807 and not wrap:
        raise TypeError("an integer is required")   # torch's refusal of a numpy uint64
    v = int(v)
    if v < -9223372036854775808:
        raise OverflowError("can't convert negative int to unsigned")
    if v >= 9223372036854775808:
        if v >= 18446744073709551616:
            raise OverflowError("int too big to convert")
        if not wrap:
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        v = v - 18446744073709551616
    return <long long>v

cdef int check_scalar_range(object v) except -1:
    """torch's refusals of an integer scalar argument whatever the tensor's dtype: a Python
    int beyond uint64 (OverflowError), a numpy uint64 beyond int64 (TypeError)."""
    if type(v) is int:
        int64_of(v, True)
    elif isinstance(v, np.unsignedinteger) and v > 9223372036854775807:
        raise TypeError("an integer is required")
    return 0

cdef int check_f32_value(object v, int dtype) except -1:
    """torch's checked conversion of a scalar written into a float32 tensor (fill_, full,
    masked_fill, x[idx] = v): a finite value beyond float32's range overflows (inf and NaN go
    through)."""
    cdef double f
    if dtype != PYAD_F32 or isinstance(v, (bool, np.bool_, Tensor)):
        return 0
    f = v
    if f == f and f != INFINITY and f != -INFINITY and (
            f > 3.4028234663852886e38 or f < -3.4028234663852886e38):
        raise RuntimeError("value cannot be converted to type float without overflow")
    return 0


cdef Tensor scalar0d(object v, int dtype, bint wrap=False):
    """A 0-d constant tensor; a Python int stays exact in int64 (see int64_of for wrap)."""
    cdef Tensor t
    if dtype == PYAD_I64 and isinstance(v, (int, np.integer)):
        t = new_tensor(dtype, 0, NULL)
        (<long long*>t.buf.data)[0] = int64_of(v, wrap)
        return t
    return scalar0d_f(v, dtype)

cdef Tensor scalar0d_f(double v, int dtype):
    """A 0-d constant tensor from a double."""
    cdef Tensor t = new_tensor(dtype, 0, NULL)
    if dtype == PYAD_F32:
        (<float*>t.buf.data)[0] = <float>v
    elif dtype == PYAD_F64:
        (<double*>t.buf.data)[0] = v
    elif dtype == PYAD_I64:
        if not (-9223372036854775808.0 <= v < 9223372036854775808.0):   # NaN too: UB cast
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        (<long long*>t.buf.data)[0] = <long long>v
    else:
        (<unsigned char*>t.buf.data)[0] = v != 0
    return t

cdef Tensor const_k(int k, Tensor a, Tensor b, const double* c):
    """k(1, a[, b]) as a constant: the mask or factor a derivative multiplies g by."""
    cdef Tensor one = scalar0d_f(1.0, a.m.dtype)
    cdef Meta mo
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef const char* xs[3]
    cdef const Meta* ms[3]
    mo.shape = shp
    mo.dtype = a.m.dtype
    if b is None:
        meta_copy(&mo, &a.m)
    else:
        b = to_dtype_nograd(b, a.m.dtype)
        broadcast_meta(&a.m, &b.m, &mo)
    xs[0], xs[1], xs[2] = one.buf.data, a.buf.data, b.buf.data if b is not None else NULL
    ms[0], ms[1], ms[2] = &one.m, &a.m, &b.m if b is not None else NULL
    return tensor_from_new_buffer(nb_zip(k, 2 if b is None else 3, xs, ms, &mo, c), &mo, mo.dtype)


# ============================================================================================
# Unary functions outside the op table (csrc/op_table.py): sign (a core kernel), and clamp and
# nan_to_num, whose bounds may be tensors: one row each with its recorded formula above it.
# ============================================================================================
cdef int K_CLAMP = register_kernel(loop_clamp_f32, loop_clamp_f64, NULL)
cdef int K_NAN_TO_NUM = register_kernel(loop_nan_to_num_f32, loop_nan_to_num_f64, NULL)
cdef int K_CLAMP_BW = register_kernel(loop_clamp_bw_f32, loop_clamp_bw_f64, NULL)
cdef int K_FINITE_MASK = register_kernel(loop_finite_mask_f32, loop_finite_mask_f64, NULL)

cdef Tensor clamp_rec(Tensor g, Tensor x, const double* c):
    return t_mul(g, const_k(K_CLAMP_BW, x, None, c))                          # g [lo <= x <= hi]
cdef Tensor nan_to_num_rec(Tensor g, Tensor x, const double* c):
    return t_mul(g, const_k(K_FINITE_MASK, x, None, c))                       # g [x finite]

# piecewise constant: derivative zero
cdef int U_SIGN = register_unary(K_SIGN, BW_ZERO, SAVE_NONE, "SignBackward0", NULL)
set_unary_ints(U_SIGN, UI_KERNEL)      # int64 keeps its dtype; bool is copied
# with parameters in c[]: clamp bounds (lo, hi); nan_to_num's (nan, posinf, neginf)
cdef int U_CLAMP = register_unary(K_CLAMP, K_CLAMP_BW, SAVE_INPUT, "ClampBackward1", clamp_rec)
cdef int U_CLAMP_MIN = register_unary(K_CLAMP, K_CLAMP_BW, SAVE_INPUT, "ClampMinBackward0",
                                      clamp_rec)
cdef int U_CLAMP_MAX = register_unary(K_CLAMP, K_CLAMP_BW, SAVE_INPUT, "ClampMaxBackward0",
                                      clamp_rec)
cdef int U_NAN_TO_NUM = register_unary(K_NAN_TO_NUM, K_FINITE_MASK, SAVE_INPUT,
                                       "NanToNumBackward0", nan_to_num_rec)


# ============================================================================================
# Binary ops with broadcasting: the op table's Binary entries (_gen_binary.pxi registers their
# rows). Numeric backward: kernels k(g, a, b) per input (BW_ZERO: no gradient; BW_PASS: g);
# recorded backward: the generated formula. Both inputs are saved when a derivative reads them.
# ============================================================================================
ctypedef list (*binary_rec_t)(Tensor g, Tensor a, Tensor b)

ctypedef struct BinaryDef:
    int fwd_kernel           # out = k(a, b)
    int bw_a                 # numeric gradient of a: k(g, a, b), BW_PASS or BW_ZERO
    int bw_b                 # numeric gradient of b: k(g, a, b), BW_PASS or BW_ZERO
    bint float_only          # integer inputs promote to the default float dtype
    bint zero_division       # an int64 divisor with a zero raises torch's ZeroDivisionError
    int name_id              # grad_fn name
    binary_rec_t recorded    # [grad a, grad b] with pyad ops

cdef enum:
    MAX_BINARY = 32
cdef BinaryDef BINARY[MAX_BINARY]
cdef int _n_binary = 0

# the op named in torch's "derivative for aten::<name> is not implemented" (BW_UNDEFINED)
cdef dict binary_undefined_name = {}
# torch's kernel named in its refusal of two bool operands (the integer divisions)
cdef dict binary_bool_kernel = {}


cdef int register_binary(int fwd, int bw_a, int bw_b, bint float_only, str name,
                         binary_rec_t rec, bint zero_division, str bool_kernel) except -1:
    global _n_binary
    cdef BinaryDef* d = &BINARY[_n_binary]
    if _n_binary == MAX_BINARY:
        raise SystemError("pyad: MAX_BINARY is too small for the op table")
    d.fwd_kernel, d.bw_a, d.bw_b = fwd, bw_a, bw_b
    d.float_only, d.name_id, d.recorded = float_only, register_name(name), rec
    d.zero_division = zero_division
    if bool_kernel is not None:
        binary_bool_kernel[_n_binary] = bool_kernel
    _n_binary += 1
    return _n_binary - 1

cdef bint _int_has_zero(Tensor y) noexcept:
    cdef Py_ssize_t i
    for i in range(y.m.numel):
        if (y.m.dtype == PYAD_I64 and (<long long*>y.buf.data)[i] == 0) or \
                (y.m.dtype == PYAD_BOOL and (<char*>y.buf.data)[i] == 0):
            return True
    return False

cdef int _check_broadcast(Tensor x, Tensor y) except -1:
    """torch's broadcast error for x and y, before a dtype refusal."""
    cdef Meta o
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    o.shape = shp
    broadcast_meta(&x.m, &y.m, &o)
    return 0

cdef int refuse_integer_result(Tensor x, Tensor y, str kernel, Tensor into) except -1:
    """torch's refusal of an op with no integer kernel, in its order: the shapes broadcast, an
    in-place op's write `into` its self is checked, then the kernel is named with the result's
    dtype."""
    cdef Meta o
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int dt = result_type2(x, y)
    o.shape = shp
    broadcast_meta(&x.m, &y.m, &o)
    if into is not None:
        check_inplace_write(into, &o, dt)
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{DTYPE_TITLES[dt]}'")

cdef Tensor t_binary(int b, Tensor x, Tensor y, int number=-1):
    """Row b of BINARY on x and y. number: which operand (0 or 1) is a Python number made a
    0-d tensor, for the overloads torch records with the tensor's edge alone (xlogy's
    Scalar forms); -1: none. A node without a derivative (torch's NotImplemented) has an edge
    to each operand that requires grad, as torch's."""
    cdef const BinaryDef* d = &BINARY[b]
    cdef int dt = result_type2(x, y)
    if dt == PYAD_BOOL and b in binary_bool_kernel:
        raise NotImplementedError(f"\"{binary_bool_kernel[b]}\" not implemented for 'Bool'")
    if dt == PYAD_BOOL or (d.float_only and dt == PYAD_I64):
        dt = float_dtype(dt) if d.float_only else PYAD_I64
    if dt == PYAD_I64 and d.zero_division and _int_has_zero(y):
        raise RuntimeError("ZeroDivisionError")     # torch's error for an integer divisor 0
    cdef Tensor out = zip_forward(d.fwd_kernel, x, y, dt, NULL)
    cdef Node* n
    cdef int only = -1      # the one operand with an edge; -1: both have one
    if wants_grad2(x, y):
        if d.bw_a == BW_UNDEFINED and d.bw_b == BW_UNDEFINED:
            only = -1 if wants_grad(x) and wants_grad(y) else 0 if wants_grad(x) else 1
        elif number >= 0:
            only = 1 - number
        if only < 0:
            n = record(OP_BINARY, d.name_id, out, x, y, 2, 2)
        else:
            n = record(OP_BINARY, d.name_id, out, x if only == 0 else y, None, 1, 2)
        n.ip[0] = b
        n.ip[1] = only
        if ((requires_grad_now(x) and _reads_inputs(d.bw_a))
                or (requires_grad_now(y) and _reads_inputs(d.bw_b))):
            # as torch's generated code: the inputs are saved only for a derivative that
            # reads them (fmod's and remainder's of a alone is g: nothing is saved, nothing
            # is freed, a second backward runs)
            save_input(n, 0, x)
            save_input(n, 1, y)
    return out

cdef inline bint _reads_inputs(int k) noexcept:
    return k != BW_PASS and k != BW_ZERO and k != BW_UNDEFINED

cdef Buffer* _binary_grad(int k, Node* n, Buffer* g) except NULL:
    if k == BW_UNDEFINED:
        raise RuntimeError(f"derivative for aten::{binary_undefined_name[n.ip[0]]} is not "
                           "implemented")
    if k == BW_PASS:
        buf_incref(g)
        return g
    if k == BW_ZERO:
        return buf_zeros(&n.out_meta)
    return zip_numeric(k, g, &n.out_meta, sdata(n, 0), smeta(n, 0), sdata(n, 1), smeta(n, 1), NULL)

cdef inline bint _wants_operand(Node* n, int k) noexcept:
    """Operand k's gradient is wanted (n.ip[1]: the one operand with an edge, or -1)."""
    if n.ip[1] < 0:
        return needs_input_grad(n, k)
    return k == n.ip[1] and needs_input_grad(n, 0)

cdef int binary_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm,
                        GradSink* sink) except -1:
    cdef const BinaryDef* d = &BINARY[n.ip[0]]
    cdef int edge = 1 if n.ip[1] < 0 else 0     # operand 1's edge (its only one: 0)
    check_saved(n)
    if _wants_operand(n, 0):
        gin[0] = _binary_grad(d.bw_a, n, g)
        gm[0] = &n.out_meta
    if _wants_operand(n, 1):
        gin[edge] = _binary_grad(d.bw_b, n, g)
        gm[edge] = &n.out_meta
    return 0

cdef list binary_recorded(Node* n, Tensor g):
    check_saved(n)
    cdef const BinaryDef* d = &BINARY[n.ip[0]]
    cdef list r
    cdef Tensor a, b
    if n.saved[0] == NULL:          # the derivatives needed read no input (g, 0 or undefined)
        r = [_unsaved_grad(n, d.bw_a, g) if _wants_operand(n, 0) else None,
             _unsaved_grad(n, d.bw_b, g) if _wants_operand(n, 1) else None]
    else:
        a, b = saved_tensor(n, 0), saved_tensor(n, 1)
        # the formulas work in the result's dtype, as the numeric path does: an int64 operand
        # beside a float one (maximum(x, ints)) had no kernel; a cast of a float32 operand is
        # recorded, so higher derivatives still reach it
        if a.m.dtype != g.m.dtype:
            a = t_to(a, g.m.dtype)
        if b.m.dtype != g.m.dtype:
            b = t_to(b, g.m.dtype)
        r = d.recorded(g, a, b)
        if not _wants_operand(n, 0):
            r[0] = None
        if not _wants_operand(n, 1):
            r[1] = None
    return r if n.ip[1] < 0 else [r[n.ip[1]]]

cdef Tensor _unsaved_grad(Node* n, int k, Tensor g):
    if k == BW_UNDEFINED:
        raise RuntimeError(f"derivative for aten::{binary_undefined_name[n.ip[0]]} is not "
                           "implemented")
    return g if k == BW_PASS else zeros_like_nograd(g)

cdef int OP_BINARY = register_op(binary_numeric, binary_recorded)


# ============================================================================================
# Ternary ops with broadcasting (the op table's Ternary entries: lerp, addcmul, addcdiv).
# out = k(x, y, z; c), every operand cast to the computation dtype. Numeric backward: kernels
# k(g, x, y, z; c) per input (BW_PASS: g; BW_ZERO: none), reading the saved inputs (a 0-d zero
# where one is not saved); recorded backward: the generated formula. A row whose third operand
# is a Python number (lerp's weight) records two inputs: the number is in c, after the params.
# ============================================================================================
ctypedef list (*ternary_rec_t)(Tensor g, Tensor a, Tensor b, Tensor w, const double* c)

ctypedef struct TernaryDef:
    int fwd_kernel           # out = k(x, y, z; c)
    int bw[3]                # numeric gradient of input k: k(g, x, y, z; c), BW_PASS or BW_ZERO
    int saves                # bit k: input k is saved (a derivative reads it)
    int n_in                 # inputs recorded: 3, or 2 when z is a number
    int name_id              # grad_fn name
    ternary_rec_t recorded   # [grad x, grad y(, grad z)] with pyad ops

cdef enum:
    MAX_TERNARY = 16
cdef TernaryDef TERNARY[MAX_TERNARY]
cdef int _n_ternary = 0


cdef int register_ternary(int fwd, int bw0, int bw1, int bw2, int saves, int n_in, str name,
                          ternary_rec_t rec) except -1:
    global _n_ternary
    cdef TernaryDef* d = &TERNARY[_n_ternary]
    d.fwd_kernel, d.bw[0], d.bw[1], d.bw[2] = fwd, bw0, bw1, bw2
    d.saves, d.n_in, d.name_id, d.recorded = saves, n_in, register_name(name), rec
    _n_ternary += 1
    return _n_ternary - 1


cdef inline int _promote(int a, int b) noexcept:
    """torch's promote_types over pyad's dtypes (-1: none yet)."""
    if a < 0 or a == b:
        return b
    if b < 0:
        return a
    if a <= PYAD_F64 and b <= PYAD_F64:
        return PYAD_F64
    if a <= PYAD_F64 or b <= PYAD_F64:
        return a if a <= PYAD_F64 else b
    return PYAD_I64


cdef int result_type3(Tensor x, Tensor y, Tensor z) noexcept:
    """torch's result_type of three tensors: dimensioned ones first; a 0-d one counts only when
    its category is higher (combine_categories)."""
    cdef int dim = -1, zero = -1
    cdef Tensor t
    for t in (x, y, z):
        if t.m.ndim > 0:
            dim = _promote(dim, t.m.dtype)
        else:
            zero = _promote(zero, t.m.dtype)
    if dim < 0:
        return zero
    if zero < 0 or dim <= PYAD_F64:
        return dim
    if dim == PYAD_BOOL or zero <= PYAD_F64:
        return _promote(dim, zero)
    return dim


# torch's C type names in the ternary ops' "expected dtype" errors
cdef list C_TYPE_NAMES = ["float", "double", "long int", "bool"]

cdef inline bint is_number(object o):
    """A Python or numpy number (torch's Number argument)."""
    return is_scalar(o) or isinstance(o, (np.integer, np.floating, np.bool_))

cdef double ternary_param(object v, str fn, str name) except? -1.0:
    """A Number argument (addcmul's value, lerp's weight): torch's parser takes a 0-d tensor
    that does not require grad, and refuses an int beyond uint64."""
    if type(v) is float:        # the common cases first: pyad.optim's updates are this fast
        return <double>v
    if type(v) is int and -9007199254740992 <= v <= 9007199254740992:
        return <double>v
    if isinstance(v, Tensor) and (<Tensor>v)._requires_grad:
        raise TypeError(f"{fn}(): argument '{name}' must be Number, not Tensor")
    check_scalar_range(v)
    return param_double(v, fn, name)

cdef int ternary_param_to(double* c, int i, object v, int dt) except -1:
    """Number argument i (already c[i] as a double) converted to the result's dtype dt as
    torch converts it: a finite float beyond float32's range overflows; for int64 results
    it is truncated to an int64 exactly (not through a double, which rounds above 2**53) and
    c[i] holds its bits, which the int64 loops read back (pyad_param_i64)."""
    cdef long long bits
    if dt == PYAD_F32:
        return check_f32_value(v.item() if isinstance(v, Tensor) else v, dt)
    if dt != PYAD_I64:
        return 0
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, (float, np.floating)):
        if not (-9223372036854775808.0 <= v < 9223372036854775808.0):   # and NaN
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        v = int(v)                  # toward zero, as C's conversion
    bits = int64_of(v, False)
    memcpy(&c[i], &bits, sizeof(double))
    return 0

cdef inline bint integral(Tensor t) noexcept:
    return t.m.dtype > PYAD_F64

cdef int check_broadcast3(Tensor x, Tensor y, Tensor z) except -1:
    """torch's broadcast error for x, y and z, before a dtype refusal."""
    cdef Meta o
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    o.shape = shp
    return ternary_shape(x, y, z, &o)


cdef int ternary_shape(Tensor x, Tensor y, Tensor z, Meta* mo) except -1:
    """The broadcast shape of x, y, z (torch's message naming the first mismatch)."""
    cdef Meta m1
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    m1.shape = shp
    broadcast_meta(&x.m, &y.m, &m1)
    broadcast_meta(&m1, &z.m, mo)
    return 0


cdef Tensor t_ternary(int t, Tensor x, Tensor y, Tensor z, int dt, const double* c,
                      Tensor into=None):
    """Row t of TERNARY on x, y, z in dtype dt. `into` (x itself, lerp_ and the like): the
    in-place form. Its values are overwritten in place by the kernel when nothing is recorded
    and the result already has x's shape and dtype (pyad.optim's updates); otherwise the result
    is computed from a copy carrying x's history and committed (inplace.pxi)."""
    cdef const TernaryDef* d = &TERNARY[t]
    cdef Meta mo
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef const char* xs[3]
    cdef const Meta* ms[3]
    cdef Tensor xc, yc, zc, out
    cdef Node* n
    cdef int k
    cdef bint grad = wants_grad2(x, y)
    if d.n_in == 3 and wants_grad(z):
        grad = True
    mo.shape = shp
    ternary_shape(x, y, z, &mo)
    mo.dtype = dt
    if into is not None:
        check_inplace(into)
        if not grad and dt == into.m.dtype and same_shape(&mo, &into.m):
            yc, zc = to_dtype_nograd(y, dt), to_dtype_nograd(z, dt)
            xs[0], xs[1], xs[2] = into.buf.data, yc.buf.data, zc.buf.data
            ms[0], ms[1], ms[2] = &into.m, &yc.m, &zc.m
            nb_zip_write(kernel_for(d.fwd_kernel, dt), 3, xs, ms, &mo, c, into.buf.data)
            into.buf.version += 1
            return into
        return commit_inplace(into, t_ternary(t, inplace_source(into), y, z, dt, c))
    xc, yc, zc = to_dtype_nograd(x, dt), to_dtype_nograd(y, dt), to_dtype_nograd(z, dt)
    xs[0], xs[1], xs[2] = xc.buf.data, yc.buf.data, zc.buf.data
    ms[0], ms[1], ms[2] = &xc.m, &yc.m, &zc.m
    out = tensor_from_new_buffer(nb_zip(d.fwd_kernel, 3, xs, ms, &mo, c), &mo, dt)
    if grad:
        n = record_n(OP_TERNARY, d.name_id, out, [x, y, z][:d.n_in], 1)
        n.ip[0] = t
        for k in range(4):
            n.c[k] = c[k]
        if d.saves & 1:
            save_input(n, 0, x)
        if d.saves & 2:
            save_input(n, 1, y)
        if d.saves & 4:
            save_input(n, 2, z)
    return out


cdef Buffer* _ternary_grad(const TernaryDef* d, int k, Node* n, Buffer* g) except NULL:
    cdef long long zero[2]      # a 0-d zero of any dtype, for the inputs not saved
    cdef Meta zm
    cdef Buffer* cast[3]
    cdef Meta cm[3]
    cdef const char* xs[4]
    cdef const Meta* ms[4]
    cdef int i, bw = d.bw[k]
    cdef const Meta* m
    if bw == BW_PASS:
        buf_incref(g)
        return g
    if bw == BW_ZERO:
        return buf_zeros(&n.out_meta)
    zero[0] = zero[1] = 0
    zm = ONE_ELEMENT[n.out_meta.dtype]
    xs[0], ms[0] = g.data, &n.out_meta
    cast[0] = cast[1] = cast[2] = NULL
    try:
        for i in range(3):
            if n.saved[i] == NULL:
                xs[i + 1], ms[i + 1] = <char*>zero, &zm
                continue
            m = smeta(n, i)
            xs[i + 1], ms[i + 1] = sdata(n, i), m
            if m.dtype != n.out_meta.dtype:     # the formulas work in the result's dtype
                cast[i] = nb_cast(sdata(n, i), m, n.out_meta.dtype)
                cm[i] = m[0]
                cm[i].dtype = n.out_meta.dtype
                xs[i + 1], ms[i + 1] = cast[i].data, &cm[i]
        return nb_zip(bw, 4, xs, ms, &n.out_meta, n.c)
    finally:
        for i in range(3):
            buf_decref(cast[i])


cdef int ternary_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm,
                         GradSink* sink) except -1:
    cdef const TernaryDef* d = &TERNARY[n.ip[0]]
    cdef int k
    check_saved(n)
    for k in range(n.n_in):
        if needs_input_grad(n, k):
            gin[k] = _ternary_grad(d, k, n, g)
            gm[k] = &n.out_meta
    return 0


cdef list ternary_recorded(Node* n, Tensor g):
    check_saved(n)
    cdef list s = [None, None, None]
    cdef Tensor t
    cdef int k
    for k in range(3):      # in the result's dtype, as the numeric path (a recorded cast)
        if n.saved[k] != NULL:
            t = saved_tensor(n, k)
            s[k] = t if t.m.dtype == g.m.dtype else t_to(t, g.m.dtype)
    cdef list r = TERNARY[n.ip[0]].recorded(g, s[0], s[1], s[2], n.c)
    for k in range(n.n_in):
        if not needs_input_grad(n, k):
            r[k] = None
    return r[:n.n_in]

cdef int OP_TERNARY = register_op(ternary_numeric, ternary_recorded)


cdef object t_div_rounding(Tensor x, object other, object rounding_mode):
    """div(x, other, rounding_mode=None | "trunc" | "floor")."""
    if rounding_mode is None:
        return binop(BIN_DIV, x, other)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    cdef int b = B_DIV_TRUNC if rounding_mode == "trunc" else B_DIV_FLOOR
    other = as_scalar_or_tensor(other)
    if isinstance(other, Tensor):
        return t_binary(b, x, <Tensor>other)
    # a number: torch's DivBackward2 keeps its (None) edge; int64 divides exactly, and
    # t_binary raises torch's error for 0
    return t_binary(b, x, scalar0d(other, result_type_scalar(x, other), True))


# ============================================================================================
# where(cond, a, b): WhereBackward0          d/da = where(cond, g, 0)   d/db = where(cond, 0, g)
# cond is saved (not an input: it has no gradient). The backward is written once (where_bw,
# CMath) with one operation of its own, where_zero.
# ============================================================================================
cdef pyad_loop WHERE_LOOPS[4]
WHERE_LOOPS[0] = loop_where_f32
WHERE_LOOPS[1] = loop_where_f64
WHERE_LOOPS[2] = loop_where_i64
WHERE_LOOPS[3] = loop_where_bool

cdef Buffer* _where_numeric(const char* cd, const Meta* cm, const char* ad, const Meta* am,
                            const char* bd, const Meta* bm, const Meta* mout) except NULL:
    cdef const char* xs[3]
    cdef const Meta* ms[3]
    xs[0], xs[1], xs[2] = cd, ad, bd
    ms[0], ms[1], ms[2] = cm, am, bm
    return nb_zip_loop(WHERE_LOOPS[mout.dtype], 3, xs, ms, mout, NULL)

cdef Tensor t_where(Tensor cond, Tensor a, Tensor b):
    cdef Meta mo, m1
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t shp1[PYAD_MAXDIM]
    cdef Node* n
    if cond.m.dtype != PYAD_BOOL:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {DTYPE_TITLES[cond.m.dtype]}")
    cdef int dt = result_type2(a, b)
    cdef Tensor ac = to_dtype_nograd(a, dt), bc = to_dtype_nograd(b, dt)
    m1.shape = shp1
    mo.shape = shp
    broadcast_meta(&ac.m, &bc.m, &m1)
    broadcast_meta(&cond.m, &m1, &mo)
    mo.dtype = dt
    cdef Tensor out = tensor_from_new_buffer(
        _where_numeric(cond.buf.data, &cond.m, ac.buf.data, &ac.m, bc.buf.data, &bc.m, &mo),
        &mo, dt)
    if wants_grad2(a, b):
        n = record(OP_WHERE, NAME_WHERE, out, a, b, 2)
        save_input(n, 0, cond)
    return out

cdef int cm_num_where_zero(BV* out, const BV* cond, const BV* x, bint keep) except -1:
    cdef long long zero[2]      # a 0-d zero of any dtype
    cdef Meta zm
    cdef Buffer* b
    zero[0] = 0
    zero[1] = 0
    zm.dtype = x.m.dtype
    zm.ndim = 0
    zm.numel = 1
    zm.shape = NULL
    if keep:
        b = _where_numeric(cond.buf.data, &cond.m, x.buf.data, &x.m, <char*>zero, &zm, &x.m)
    else:
        b = _where_numeric(cond.buf.data, &cond.m, <char*>zero, &zm, x.buf.data, &x.m, &x.m)
    bv_set_buffer(out, b, &x.m)
    return 0

cdef int cm_rec_where_zero(BV* out, const BV* cond, const BV* x, bint keep) except -1:
    cdef Tensor zero = scalar0d_f(0.0, x.m.dtype)
    if keep:
        return bv_set_tensor(out, t_where(bv_t(cond), bv_t(x), zero))
    return bv_set_tensor(out, t_where(bv_t(cond), zero, bv_t(x)))

CMATH_NUM.where_zero = cm_num_where_zero
CMATH_REC.where_zero = cm_rec_where_zero


cdef int where_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    """a's gradient: g where cond is set, else 0; b's: 0 where cond is set, else g. Of the
    output's shape and dtype: the engine reduces each to a broadcast input's shape and casts it
    to the input's dtype (a float32 a beside a float64 b has a float32 gradient, as torch's)."""
    cdef BV cond
    cdef int k
    check_saved(n)
    bv_init(&cond)
    try:
        M.input(&cond, n, 0)
        for k in range(2):
            if needs_input_grad(n, k):
                M.where_zero(&outs[k], &cond, g, k == 0)
    finally:
        bv_clear(&cond)
    return 0

cdef int OP_WHERE = register_cmath(where_bw)
cdef int NAME_WHERE = register_name("WhereBackward0")


# ============================================================================================
# Comparisons, logical ops and predicates: bool results, no gradient.
# ============================================================================================
cdef pyad_loop CMP_LOOPS[6][4]

cdef void _cmp(int which, pyad_loop f32, pyad_loop f64, pyad_loop i64, pyad_loop b) noexcept:
    CMP_LOOPS[which][0] = f32
    CMP_LOOPS[which][1] = f64
    CMP_LOOPS[which][2] = i64
    CMP_LOOPS[which][3] = b

_cmp(0, loop_eq_f32, loop_eq_f64, loop_eq_i64, loop_eq_bool)
_cmp(1, loop_ne_f32, loop_ne_f64, loop_ne_i64, loop_ne_bool)
_cmp(2, loop_lt_f32, loop_lt_f64, loop_lt_i64, loop_lt_bool)
_cmp(3, loop_le_f32, loop_le_f64, loop_le_i64, loop_le_bool)
_cmp(4, loop_gt_f32, loop_gt_f64, loop_gt_i64, loop_gt_bool)
_cmp(5, loop_ge_f32, loop_ge_f64, loop_ge_i64, loop_ge_bool)

cdef enum:
    CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE

cdef Tensor _zip_bool(pyad_loop f, Tensor a, Tensor b):
    cdef Meta mo
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef const char* xs[2]
    cdef const Meta* ms[2]
    mo.shape = shp
    broadcast_meta(&a.m, &b.m, &mo)
    mo.dtype = PYAD_BOOL
    xs[0], xs[1] = a.buf.data, b.buf.data
    ms[0], ms[1] = &a.m, &b.m
    return tensor_from_new_buffer(nb_zip_loop(f, 2, xs, ms, &mo, NULL), &mo, PYAD_BOOL)

cdef Tensor gen_mask(pyad_loop f32, pyad_loop f64, Tensor s, const double* c):
    """Where a generated derivative takes its first branch, at each element of the saved value
    s: a bool constant (the op table's where(cond, a, b), recorded as t_where)."""
    cdef Meta mo = s.m
    mo.dtype = PYAD_BOOL
    return tensor_from_new_buffer(nb_map_loop(f32 if s.m.dtype == PYAD_F32 else f64, s.buf.data,
                                              &s.m, &mo, c), &mo, PYAD_BOOL)

cdef Tensor gen_mask2(pyad_loop f32, pyad_loop f64, Tensor a, Tensor b):
    """gen_mask of a binary op's derivative: its branch condition on both operands,
    broadcast."""
    cdef Meta mo
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef const char* xs[2]
    cdef const Meta* ms[2]
    mo.shape = shp
    broadcast_meta(&a.m, &b.m, &mo)
    mo.dtype = PYAD_BOOL
    xs[0], xs[1] = a.buf.data, b.buf.data
    ms[0], ms[1] = &a.m, &b.m
    return tensor_from_new_buffer(nb_zip_loop(f32 if a.m.dtype == PYAD_F32 else f64, 2, xs, ms,
                                              &mo, NULL), &mo, PYAD_BOOL)


cdef Tensor _map_bool(pyad_loop f, Tensor x):
    cdef Meta mo = x.m
    mo.dtype = PYAD_BOOL
    return tensor_from_new_buffer(nb_map_loop(f, x.buf.data, &x.m, &mo, NULL), &mo, PYAD_BOOL)

cdef object t_compare(int which, Tensor a, object other):
    cdef Tensor b
    other = as_scalar_or_tensor(other)
    if other is None:
        return NotImplemented
    if isinstance(other, Tensor):
        b = <Tensor>other
        dt = result_type2(a, b)
    else:
        dt = result_type_scalar(a, other)
        b = scalar0d(other, dt, True)
    return _zip_bool(CMP_LOOPS[which][dt], to_dtype_nograd(a, dt), to_dtype_nograd(b, dt))

cdef Tensor _as_bool(object x):
    cdef object given = x
    x = as_scalar_or_tensor(x)
    if x is None:
        raise TypeError(f"logical op: argument 'other' must be Tensor, not {type(given).__name__}")
    if isinstance(x, Tensor):
        return to_dtype_nograd(<Tensor>x, PYAD_BOOL)
    return scalar0d(1.0 if x else 0.0, PYAD_BOOL)

cdef Tensor t_logical(pyad_loop f, object a, object b):
    return _zip_bool(f, _as_bool(a), _as_bool(b))

cdef object t_bitwise(int which, Tensor x, object other):
    """x & | ^ other (which 0, 1, 2) with torch's promotion: logical on bools, bitwise on
    int64 (an int scalar as int64, wrapping as torch's); no float kernel, as in torch."""
    cdef Tensor b
    cdef int dt
    cdef Meta mo
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef const char* xs[2]
    cdef const Meta* ms[2]
    cdef pyad_loop bool_loop = loop_and_bool if which == 0 else (
        loop_or_bool if which == 1 else loop_xor_bool)
    cdef pyad_loop int_loop = loop_bitand_i64 if which == 0 else (
        loop_bitor_i64 if which == 1 else loop_bitxor_i64)
    if not isinstance(other, (Tensor, int, float, np.number, np.bool_)):
        return NotImplemented
    other = as_scalar_or_tensor(other)
    if other is None:
        return NotImplemented
    if isinstance(other, Tensor):
        b = <Tensor>other
        dt = result_type2(x, b)
    else:
        dt = result_type_scalar(x, other)
        b = scalar0d(other, dt, True)
    if dt <= PYAD_F64:
        kname = ('bitwise_and_cpu', 'bitwise_or_cpu', 'bitwise_xor_cpu')[which]
        raise NotImplementedError(f"\"{kname}\" "
                                  f"not implemented for '{DTYPE_TITLES[dt]}'")
    if dt == PYAD_BOOL:
        return _zip_bool(bool_loop, x, b)
    x = to_dtype_nograd(x, dt)
    b = to_dtype_nograd(b, dt)
    mo.shape = shp
    broadcast_meta(&x.m, &b.m, &mo)
    mo.dtype = dt
    xs[0], xs[1] = x.buf.data, b.buf.data
    ms[0], ms[1] = &x.m, &b.m
    return tensor_from_new_buffer(
        nb_zip_loop(int_loop, 2, xs, ms, &mo, NULL), &mo, dt)

cdef Tensor t_bitwise_not(Tensor x):
    """~x: logical not of a bool, bitwise not of an int64; no float kernel, as in torch."""
    if x.m.dtype == PYAD_BOOL:
        return _map_bool(loop_not_bool, x)
    if x.m.dtype == PYAD_I64:
        return tensor_from_new_buffer(nb_map_loop(loop_bitnot_i64, x.buf.data, &x.m, &x.m, NULL),
                                      &x.m, PYAD_I64)
    raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")

cdef Tensor t_predicate(Tensor x, pyad_loop f32, pyad_loop f64, bint int_value):
    cdef Tensor r
    if x.m.dtype == PYAD_F32:
        return _map_bool(f32, x)
    if x.m.dtype == PYAD_F64:
        return _map_bool(f64, x)
    r = new_tensor(PYAD_BOOL, x.m.ndim, x.m.shape)
    memset(r.buf.data, 1 if int_value else 0, r.m.numel)
    return r


# ============================================================================================
# clamp / clip / clamp_min / clamp_max
# ============================================================================================
cdef object t_clamp(Tensor x, object lo, object hi, int which, bint inplace=False):
    """which: 0 clamp, 1 clamp_min, 2 clamp_max (their torch names differ). inplace: clamp_
    (an integer x with a float bound fails its result cast before the bounds' conversion)."""
    reject_complex(lo)
    reject_complex(hi)
    cdef double c[4]
    cdef Tensor out
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None"
                           .replace("torch.", "pyad."))
    check_scalar_range(lo)
    check_scalar_range(hi)
    if not inplace or x.m.dtype <= PYAD_F64:
        check_clamp_bounds(x, lo, hi)
    if isinstance(lo, Tensor) or isinstance(hi, Tensor):
        out = x
        if lo is not None:
            lo_t = lo if isinstance(lo, Tensor) else scalar0d(lo, x.m.dtype)
            out = t_where(<Tensor>t_compare(CMP_LT, out, lo_t), lo_t, out)
        if hi is not None:
            hi_t = hi if isinstance(hi, Tensor) else scalar0d(hi, x.m.dtype)
            out = t_where(<Tensor>t_compare(CMP_GT, out, hi_t), hi_t, out)
        return named(out, register_name(("ClampBackward0", "ClampMinBackward1",
                                         "ClampMaxBackward1")[which]))
    if x.m.dtype > PYAD_F64:
        x = _clamp_int_operand(x, lo, hi)
        if x.m.dtype == PYAD_I64:      # exact int64 bounds (a double rounds above 2**53)
            out = x
            if lo is not None:
                lo_t = scalar0d(lo, PYAD_I64)
                out = t_where(<Tensor>t_compare(CMP_LT, out, lo_t), lo_t, out)
            if hi is not None:
                hi_t = scalar0d(hi, PYAD_I64)
                out = t_where(<Tensor>t_compare(CMP_GT, out, hi_t), hi_t, out)
            return out
    c[0] = -INFINITY if lo is None else lo
    c[1] = INFINITY if hi is None else hi
    c[2] = c[3] = 0
    if c[0] != c[0] or c[1] != c[1]:  # a NaN bound: NaN everywhere with a zero gradient, as torch
        return named(t_adds(t_muls(x, 0.0), c[0] + c[1]),
                     register_name(("ClampBackward1", "ClampMinBackward0",
                                    "ClampMaxBackward0")[which]))
    return t_unary((U_CLAMP, U_CLAMP_MIN, U_CLAMP_MAX)[which], x, c)


cdef object clamp_bound(object b, str fn, bint method, object x=None):
    """clamp_min / clamp_max's bound (fn names which, with a trailing _ in place): a tensor or
    a number, torch's two overloads; None or anything else is torch's TypeError."""
    if (isinstance(b, (Tensor, int, float, complex, np.bool_, np.number))):
        return b
    arg = "min" if fn.startswith("clamp_min") else "max"
    if method:
        raise TypeError(invalid_combination(fn, (b,), [f"(Tensor {arg})", f"(Number {arg})"]))
    raise TypeError(invalid_combination(fn, (x, b), [
        f"(Tensor input, Tensor {arg}, *, Tensor out = None)",
        f"(Tensor input, Number {arg}, *, Tensor out = None)"]))


cdef int check_clamp_bounds(Tensor x, object lo, object hi) except -1:
    """torch converts scalar bounds to clamp's computation dtype, checked (float32's range),
    unless both are scalars and one is NaN (torch fills with NaN first)."""
    cdef int dt = x.m.dtype
    scalars = [b for b in (lo, hi) if b is not None and not isinstance(b, Tensor)]
    if len(scalars) == 2 and builtins.any(
            isinstance(b, (float, np.floating)) and b != b for b in scalars):
        return 0
    if dt > PYAD_F64 and builtins.any(
            isinstance(b, (float, np.floating, np.bool_)) for b in scalars):
        dt = _default_dtype
    for b in scalars:
        check_f32_value(b, dt)
    return 0


cdef Tensor _clamp_int_operand(Tensor x, object lo, object hi):
    """An integer or bool x cast to clamp's result dtype with scalar bounds: a float bound
    makes it the default float dtype, an int bound makes bool int64 (torch's promotion)."""
    cdef int dt = x.m.dtype
    for bound in (lo, hi):
        if bound is None:
            continue
        if isinstance(bound, (float, np.floating, np.bool_)):   # torch: a numpy bool is a float
            dt = _default_dtype
        elif dt == PYAD_BOOL and type(bound) is not bool:
            dt = PYAD_I64
    if dt == PYAD_BOOL:
        raise NotImplementedError("\"clamp_scalar_cpu\" not implemented for 'Bool'")
    return to_dtype_nograd(x, dt)

cdef object t_nan_to_num(Tensor x, object nan, object posinf, object neginf):
    cdef double c[4]
    if x.m.dtype > PYAD_F64:
        return t_clone_nograd(x)
    big = 3.4028234663852886e38 if x.m.dtype == PYAD_F32 else 1.7976931348623157e308
    c[0] = 0.0 if nan is None else nan
    c[1] = big if posinf is None else posinf
    c[2] = -big if neginf is None else neginf
    c[3] = 0
    return t_unary(U_NAN_TO_NUM, x, c)


# ============================================================================================
# Public functions
# ============================================================================================
def square(input):
    """x ** 2 (grad_fn PowBackward0, as in torch)."""
    return t_pows(_t(input), 2.0)


def sign(input):
    """-1, 0 or 1 by the sign of each element (zero gradient)."""
    return t_unary(U_SIGN, _t(input))


def polygamma(n, input, *, out=None):
    """The n-th derivative of digamma (n >= 0)."""
    r = t_polygamma(n, _t(input))
    return r if out is None else write_out("polygamma", out, r)


cdef Tensor t_polygamma(object n, Tensor x):
    cdef double c[4]
    if not is_int_arg(n):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    c[0] = float(n)
    return t_unary(U_POLYGAMMA, x, c)


def round(input, *, decimals=0):
    """Round half to even, optionally to `decimals` places (zero gradient)."""
    cdef Tensor x = _t(input)
    if decimals == 0:
        return t_unary(U_ROUND, x)
    if decimals < 0:
        # torch divides by 10**-decimals rather than multiplying by 10**decimals, whose
        # rounding (0.001 is inexact) would put 1200.1234 at 999.9999 in float32
        scale = 10.0 ** (-decimals)
        return named(t_muls(t_unary(U_ROUND, t_divs(x, scale)), scale),
                     register_name("RoundBackward1"))
    scale = 10.0 ** decimals
    return named(t_divs(t_unary(U_ROUND, t_muls(x, scale)), scale), register_name("RoundBackward1"))


def clamp(input, min=None, max=None):
    """Limit each element to [min, max]; bounds are scalars or tensors (either may be None).

    Example:
        >>> pyad.clamp(pyad.tensor([-1., 0.5, 2.]), 0., 1.)
        tensor([0.0000, 0.5000, 1.0000])
    """
    return t_clamp(_t(input), min, max, 0)


def clip(input, min=None, max=None):
    """Alias of clamp."""
    return t_clamp(_t(input), min, max, 0)


def clamp_min(input, min):
    """max(input, min) elementwise."""
    return t_clamp(_t(input), clamp_bound(min, "clamp_min", False, input), None, 1)


def clamp_max(input, max):
    """min(input, max) elementwise."""
    return t_clamp(_t(input), None, clamp_bound(max, "clamp_max", False, input), 2)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace NaN, +inf and -inf (default: 0 and the dtype's largest finite values)."""
    return t_nan_to_num(_t(input), nan, posinf, neginf)


# torch's overloads of the remainders and floor_divide, named in its "invalid combination"
# errors; the function and method forms check their operands here, one path for both
cdef dict _DIVISION_OVERLOADS = {
    "fmod": ["(Tensor input, Tensor other, *, Tensor out = None)",
             "(Tensor input, Number other, *, Tensor out = None)"],
    "remainder": ["(Tensor input, Tensor other, *, Tensor out = None)",
                  "(Number self, Tensor other)",
                  "(Tensor input, Number other, *, Tensor out = None)"],
    "floor_divide": ["(Tensor input, Tensor other, *, Tensor out = None)",
                     "(Tensor input, Number other)"],
}


cdef int check_division_operands(str fn, object input, object other, bint method) except -1:
    """torch's TypeError for operands that match none of fn's overloads (fn: fmod, remainder,
    floor_divide, with a trailing _ for the in-place method). A number first is an overload
    of remainder and floor_divide, not of their methods; floor_divide's input may be a number
    whatever other is (torch's parser makes a tensor of it)."""
    cdef str op = fn.rstrip("_")
    if isinstance(input, Tensor) and (isinstance(other, Tensor) or is_number(other)):
        return 0
    if not method and op != "fmod" and is_number(input) and isinstance(other, Tensor):
        return 0
    if not method and op == "floor_divide" and is_number(input) and is_number(other):
        return 0
    if method:
        raise TypeError(method_invalid_combination(fn, other, ["(Tensor other)",
                                                               "(Number other)"]))
    raise TypeError(invalid_combination(fn, (input, other), _DIVISION_OVERLOADS[op]))


cdef int check_division_into(Tensor x, object other) except -1:
    """x.fmod_(other) and the like: torch checks the write into x (the broadcast shape, a
    result dtype x can hold) before the op's own errors (bool, a zero int64 divisor)."""
    cdef Meta o
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    other = as_scalar_or_tensor(other)
    if isinstance(other, Tensor):
        o.shape = shp
        broadcast_meta(&x.m, &(<Tensor>other).m, &o)
        return check_inplace_write(x, &o, result_type2(x, <Tensor>other))
    return check_inplace_write(x, &x.m, result_type_scalar(x, other))


def fmod(input, other):
    """C-style remainder (sign of the dividend)."""
    check_division_operands("fmod", input, other, False)
    return t_fmod(<Tensor>input, other)


def remainder(input, other):
    """Python-style remainder (sign of the divisor)."""
    check_division_operands("remainder", input, other, False)
    return t_remainder(input, other)


def floor_divide(input, other):
    """input // other, rounding down (not differentiable, as in torch)."""
    check_division_operands("floor_divide", input, other, False)
    return t_floor_divide(input, other)


cdef object _remainder_of(int b, int u_number, Tensor x, object other):
    """x's remainder (BINARY row b) by a tensor, or by a number: torch's Scalar overload, in a
    float dtype the Unary row u_number, which records x alone; int64 divides exactly."""
    cdef double c[4]
    if isinstance(other, Tensor):
        return t_binary(b, x, <Tensor>other)
    check_scalar_range(other)
    other = as_scalar_or_tensor(other)
    cdef int dt = result_type_scalar(x, other)
    if dt >= PYAD_I64:      # exact int64 (and torch's errors for 0 and for bool)
        return t_binary(b, x, scalar0d(other, dt, True))
    c[0] = other
    return t_unary(u_number, t_to(x, dt), c)


cdef object t_fmod(Tensor x, object other):
    """fmod of checked operands."""
    return _remainder_of(B_FMOD, U_FMOD_SCALAR, x, other)


cdef object t_remainder(object input, object other):
    """remainder of checked operands (either may be a number; the % operators' too)."""
    if not isinstance(input, Tensor):       # torch's remainder(Scalar, Tensor)
        input = as_scalar_or_tensor(input)
        return t_binary(B_REMAINDER_NUMBER,
                        scalar0d(input, result_type_scalar(other, input), True), <Tensor>other)
    return _remainder_of(B_REMAINDER, U_REMAINDER_SCALAR, <Tensor>input, other)


cdef object t_floor_divide(object input, object other):
    """floor_divide of checked operands (either may be a number; the // operators' too)."""
    if not isinstance(input, Tensor) and isinstance(other, Tensor):   # (Scalar, Tensor)
        input = as_scalar_or_tensor(input)
        return t_binary(B_FLOOR_DIVIDE,
                        scalar0d(input, result_type_scalar(other, input), True), <Tensor>other)
    if not isinstance(input, Tensor):       # two numbers: the first a 0-d tensor of its own
        input = _tensor_from_data(as_scalar_or_tensor(input))
    cdef Tensor x = <Tensor>input
    if not isinstance(other, Tensor):
        check_scalar_range(other)
        other = as_scalar_or_tensor(other)
        other = scalar0d(other, result_type_scalar(x, other), True)
    return t_binary(B_FLOOR_DIVIDE, x, <Tensor>other)


_WHERE_OMITTED = object()


def where(condition, input=_WHERE_OMITTED, other=_WHERE_OMITTED):
    """Elements of input where condition holds, else of other (either may be a scalar).

    Example:
        >>> x = pyad.tensor([-1., 2.])
        >>> pyad.where(x > 0, x, 0.)
        tensor([0., 2.])
    """
    cdef Tensor cond = _t(condition)
    if input is _WHERE_OMITTED and other is _WHERE_OMITTED:
        raise NotImplementedError("pyad: where(condition) (nonzero indices) is not supported yet")
    if input is _WHERE_OMITTED or other is _WHERE_OMITTED or input is None or other is None:
        got = ", ".join(["Tensor"] + [type(v).__name__ for v in (input, other)
                                      if v is not _WHERE_OMITTED])
        raise TypeError(f"where() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:\n * (Tensor condition)\n * (Tensor condition, "
                        "Tensor input, Tensor other, *, Tensor out = None)\n * (Tensor "
                        "condition, Number self, Tensor other)\n * (Tensor condition, Tensor "
                        "input, Number other)\n * (Tensor condition, Number self, Number other)\n")
    a = as_scalar_or_tensor(input)
    b = as_scalar_or_tensor(other)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        dt = _default_dtype if (type(a) is float or type(b) is float) else PYAD_I64
        check_f32_value(a, dt)       # torch converts scalar operands to the result dtype
        check_f32_value(b, dt)
        return t_where(cond, scalar0d(a, dt), scalar0d(b, dt))
    if not isinstance(a, Tensor):
        dt = result_type_scalar(<Tensor>b, a)
        check_f32_value(a, dt)
        a = scalar0d(a, dt)
    if not isinstance(b, Tensor):
        dt = result_type_scalar(<Tensor>a, b)
        check_f32_value(b, dt)
        b = scalar0d(b, dt)
    return t_where(cond, <Tensor>a, <Tensor>b)


def eq(input, other):
    """input == other elementwise (bool)."""
    return named_result(t_compare(CMP_EQ, _t(input), other), "eq", other)


def ne(input, other):
    """input != other elementwise (bool)."""
    return named_result(t_compare(CMP_NE, _t(input), other), "ne", other)


def lt(input, other):
    """input < other elementwise (bool)."""
    return named_result(t_compare(CMP_LT, _t(input), other), "lt", other)


def le(input, other):
    """input <= other elementwise (bool)."""
    return named_result(t_compare(CMP_LE, _t(input), other), "le", other)


def gt(input, other):
    """input > other elementwise (bool)."""
    return named_result(t_compare(CMP_GT, _t(input), other), "gt", other)


def ge(input, other):
    """input >= other elementwise (bool)."""
    return named_result(t_compare(CMP_GE, _t(input), other), "ge", other)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_and(input, other):
    """Elementwise AND of truth values (bool)."""
    return t_logical(loop_and_bool, input, other)


def logical_or(input, other):
    """Elementwise OR of truth values (bool)."""
    return t_logical(loop_or_bool, input, other)


def logical_xor(input, other):
    """Elementwise XOR of truth values (bool)."""
    return t_logical(loop_xor_bool, input, other)


def logical_not(input):
    """Elementwise NOT of truth values (bool)."""
    return _map_bool(loop_not_bool, _as_bool(input))


def isnan(input):
    """True where the element is NaN."""
    return t_predicate(_t(input), loop_isnan_f32, loop_isnan_f64, False)


def isinf(input):
    """True where the element is +inf or -inf."""
    return t_predicate(_t(input), loop_isinf_f32, loop_isinf_f64, False)


def isfinite(input):
    """True where the element is neither NaN nor infinite."""
    return t_predicate(_t(input), loop_isfinite_f32, loop_isfinite_f64, True)


__all__ += [
    "square", "polygamma", "sign", "round", "clamp", "clip", "clamp_min", "clamp_max", "nan_to_num",
    "fmod", "remainder", "floor_divide",
    "where", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not",
    "isnan", "isinf", "isfinite",
]
