# ops_reduce.pxi: reductions: prod, amax/amin, max/min, argmax/argmin, var/std, norm, logsumexp,
# cumsum, cumprod, all, any.
# Each op: forward and backward side by side; registered with register_op or register_cmath
# and register_name; public functions appended to __all__. A backward written once against
# CMath (cmath.pxi) has the CMath operations it adds beside it: cm_num_* over the C loops
# (kernels_reduce.h), cm_rec_* with differentiable pyad ops.
#
# Reductions over a set of dims run one C fold over the input's index space with the
# accumulator broadcast (kernels_reduce.h); ops along one dim see the input as
# (outer, n, inner). Nodes of the reductions over dims keep the dims mask in ip[0..ndim) and
# keepdim in ip[ndim], as SumBackward does; the gradient buffer g is read in the keepdim
# layout (the same memory order).

from libc.stdint cimport int64_t
from libc.math cimport isinf as c_isinf, INFINITY
import sys as _sys
import types as _types

cdef extern from "kernels_reduce.h":
    pyad_loop rd_max_f32, rd_max_f64, rd_max_i64, rd_max_u8
    pyad_loop rd_min_f32, rd_min_f64, rd_min_i64, rd_min_u8
    pyad_loop rd_prod_f32, rd_prod_f64, rd_prod_i64
    pyad_loop rd_all_f32, rd_all_f64, rd_all_i64, rd_all_u8
    pyad_loop rd_norm_f32, rd_norm_f64, rd_norm_fin_f32, rd_norm_fin_f64
    pyad_loop rd_sqdev_f32, rd_sqdev_f64, rd_expsum_f32, rd_expsum_f64
    pyad_loop rd_var_fin_f32, rd_var_fin_f64, rd_lse_fin_f32, rd_lse_fin_f64
    pyad_loop rd_lse_shift_f32, rd_lse_shift_f64
    pyad_loop rd_count_f32, rd_count_f64, rd_ext_bw_f32, rd_ext_bw_f64
    pyad_loop rd_var_bw_f32, rd_var_bw_f64, rd_norm_bw_f32, rd_norm_bw_f64
    pyad_loop rd_lse_bw_f32, rd_lse_bw_f64
    void rd_argext(int dt, const char* x, char* vals, int64_t* idx, Py_ssize_t outer,
                   Py_ssize_t n, Py_ssize_t inner, int is_min) noexcept nogil
    void rd_cum(int dt, const char* x, char* out, Py_ssize_t outer, Py_ssize_t n,
                Py_ssize_t inner, int prod, int reverse) noexcept nogil
    void rd_div_bw_f32(const float* g, const float* y, const float* x, float* out,
                       Py_ssize_t outer, Py_ssize_t n, Py_ssize_t inner) noexcept nogil
    void rd_div_bw_f64(const double* g, const double* y, const double* x, double* out,
                       Py_ssize_t outer, Py_ssize_t n, Py_ssize_t inner) noexcept nogil
    void rd_line_bw(int which, int dt, const char* g, const char* x, char* out,
                    Py_ssize_t outer, Py_ssize_t n, Py_ssize_t inner) noexcept nogil
    void rd_index_put(int dt, const char* g, const int64_t* idx, char* out,
                      Py_ssize_t outer, Py_ssize_t n, Py_ssize_t inner) noexcept nogil
    void rd_softmax(int dt, const char* x, char* y, Py_ssize_t outer, Py_ssize_t n,
                    Py_ssize_t inner, int is_log, pyad_loop exp_loop,
                    double* scratch) noexcept nogil
    void rd_softmax_bw(int dt, const char* g, const char* y, char* out, Py_ssize_t outer,
                       Py_ssize_t n, Py_ssize_t inner, int is_log, pyad_loop exp_loop,
                       double* scratch) noexcept nogil


# ============================================================================================
# Shared machinery: reduction plans, folds, elementwise loops over raw buffers
# ============================================================================================
ctypedef struct RdPlan:
    Meta mk                          # keepdim meta of the result (size 1 on reduced dims)
    Meta mo                          # the result's meta (keepdim or not)
    Py_ssize_t shk[PYAD_MAXDIM]
    Py_ssize_t sho[PYAD_MAXDIM]
    Py_ssize_t count                 # elements reduced into each result element

cdef void rd_plan(RdPlan* p, const Meta* mx, const Py_ssize_t* mask, bint keepdim,
                  int dtype) noexcept:
    """Metas of a reduction of mx over mask. The struct must not move afterwards."""
    cdef int d
    p.mk.shape = p.shk
    p.mo.shape = p.sho
    keepdim_meta(&p.mk, mx, mask)
    p.mk.dtype = dtype
    p.mo.dtype = dtype
    p.mo.ndim = 0
    p.mo.numel = p.mk.numel
    p.count = 1
    for d in range(mx.ndim):
        if mask[d]:
            p.count *= mx.shape[d]
        if keepdim or not mask[d]:
            p.sho[p.mo.ndim] = p.shk[d]
            p.mo.ndim += 1

cdef inline Meta rd_retyped(const Meta* m, int dtype) noexcept:
    cdef Meta r = m[0]
    r.dtype = dtype
    return r

cdef inline pyad_loop rd_pick(int dtype, pyad_loop f32, pyad_loop f64, pyad_loop i64,
                              pyad_loop u8) noexcept:
    if dtype == PYAD_F32:
        return f32
    if dtype == PYAD_F64:
        return f64
    return i64 if dtype == PYAD_I64 else u8

cdef int rd_apply(pyad_loop f, int nops, const char** xs, const Meta** ms, char* out,
                  const Meta* mout, const Meta* space, const double* c) except -1:
    """f over space's index space: operands xs broadcast to it, then out laid out as mout.

    With mout smaller than space (size 1 on reduced dims) out's step is 0 there, so f folds.
    """
    cdef char* base[6]
    cdef Py_ssize_t st[6][PYAD_MAXDIM]
    cdef int i
    for i in range(nops):
        base[i] = <char*>xs[i]
        broadcast_byte_strides(ms[i], space, st[i])
    base[nops] = out
    broadcast_byte_strides(mout, space, st[nops])
    pyad_nd_apply(nops + 1, base, st, space.ndim, space.shape, f, c)
    return 0

cdef inline int rd_apply1(pyad_loop f, const char* x, const Meta* mx, char* out,
                          const Meta* mout, const double* c) except -1:
    """out = f(x) elementwise (same shape; dtypes may differ): the finishing passes."""
    return rd_apply(f, 1, &x, &mx, out, mout, mout, c)

cdef Buffer* rd_filled(const Meta* m, double v) except NULL:
    cdef Buffer* b = buf_new(m.numel * itemsize(m.dtype))
    cdef Py_ssize_t i
    if m.dtype == PYAD_F32:
        for i in range(m.numel):
            (<float*>b.data)[i] = <float>v
    elif m.dtype == PYAD_F64:
        for i in range(m.numel):
            (<double*>b.data)[i] = v
    elif m.dtype == PYAD_I64:
        for i in range(m.numel):
            (<int64_t*>b.data)[i] = <int64_t>v
    else:
        memset(b.data, 1 if v != 0 else 0, m.numel)
    return b

cdef Buffer* rd_fold(pyad_loop f, const char* x, const Meta* mx, const char* y, const Meta* my,
                     const Meta* macc, double init, const double* c) except NULL:
    """A new accumulator (macc, filled with init) folded over x (and y, broadcast)."""
    cdef Buffer* acc = rd_filled(macc, init)
    cdef const char* xs[2]
    cdef const Meta* ms[2]
    xs[0], xs[1] = x, y
    ms[0], ms[1] = mx, my
    try:
        rd_apply(f, 1 if y == NULL else 2, xs, ms, acc.data, macc, mx, c)
    except BaseException:
        buf_decref(acc)
        raise
    return acc

cdef Buffer* rd_extreme(const char* x, const Meta* mx, const Meta* mk, bint is_min) except NULL:
    """max / min of x over the dims where mk is 1, starting from each group's first element."""
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Buffer* acc
    cdef pyad_loop f = (rd_pick(mx.dtype, rd_min_f32, rd_min_f64, rd_min_i64, rd_min_u8) if is_min
                        else rd_pick(mx.dtype, rd_max_f32, rd_max_f64, rd_max_i64, rd_max_u8))
    contiguous_strides(mx, cs)
    acc = nb_gather(x, mx.dtype, 0, cs, mk)
    try:
        rd_apply(f, 1, &x, &mx, acc.data, mk, mx, NULL)
    except BaseException:
        buf_decref(acc)
        raise
    return acc

cdef Buffer* rd_map(pyad_loop f, const char* g, const Meta* mg, const char* x, const Meta* mx,
                    const char* y, const Meta* my, const char* z, const Meta* mz,
                    const double* c) except NULL:
    """out = f(g, x, y, z) at x's shape (g, y, z broadcast): the backward formulas."""
    cdef Buffer* out = buf_new(mx.numel * itemsize(mx.dtype))
    cdef const char* xs[4]
    cdef const Meta* ms[4]
    xs[0], xs[1], xs[2], xs[3] = g, x, y, z
    ms[0], ms[1], ms[2], ms[3] = mg, mx, my, mz
    try:
        rd_apply(f, 4, xs, ms, out.data, mx, mx, c)
    except BaseException:
        buf_decref(out)
        raise
    return out

cdef Buffer* rd_mean(const char* x, const Meta* mx, const Meta* mk, Py_ssize_t count) except NULL:
    """The mean over the dims where mk is 1, in mk's dtype."""
    cdef Buffer* s = nb_reduce_to(x, mx, mk)
    cdef Buffer* out
    cdef double dv = <double>count
    try:
        out = nb_map(K_DIVS, s.data, mk, mk, &dv)
    finally:
        buf_decref(s)
    return out

cdef void rd_lines(const Meta* m, int dim, Py_ssize_t* outer, Py_ssize_t* n,
                   Py_ssize_t* inner) noexcept:
    """m seen as (outer, n, inner) around dim (dim < 0: one line of every element)."""
    cdef int d
    outer[0] = 1
    inner[0] = 1
    if dim < 0 or m.ndim == 0:
        n[0] = m.numel
        return
    n[0] = m.shape[dim]
    for d in range(m.ndim):
        if d < dim:
            outer[0] *= m.shape[d]
        elif d > dim:
            inner[0] *= m.shape[d]

cdef Tensor rd_const(object arr, int dtype):
    """A constant (no grad) tensor from a numpy array: masks and counts of recorded formulas."""
    return tensor_from_numpy_copy(np.ascontiguousarray(arr), dtype)

cdef object rd_np(Tensor t):
    return np.asarray(_np_view(t))

cdef Tensor rd_keepdim_grad(Tensor g, const Meta* mk):
    return g if g.m.ndim == mk.ndim else t_view(g, mk.ndim, mk.shape, NAME_VIEW)

cdef int rd_node_plan(Node* n, RdPlan* p) except -1:
    """The plan of a recorded reduction node (mask in ip, keepdim after it)."""
    cdef const Meta* mx = &n.in_meta[0]
    rd_plan(p, mx, n.ip, n.ip[mx.ndim], mx.dtype)
    return 0

cdef int rd_keepdim_values(const CMath* M, Node* n, const BV* g, const Meta* mk, BV* x, BV* gk,
                           BV* yk) except -1:
    """A reduction node's saved input x, and g and its saved result in the keepdim layout mk."""
    cdef BV y
    bv_init(&y)
    try:
        M.input(x, n, 0)
        M.result(&y, n)
        M.reshape(yk, &y, mk)
        M.reshape(gk, g, mk)
    finally:
        bv_clear(&y)
    return 0

cdef Node* rd_record(int op, int name, Tensor out, Tensor x, const Py_ssize_t* mask,
                     bint keepdim, int extra) except NULL:
    cdef Node* n = record(op, name, out, x, None, 1, x.m.ndim + 1 + extra)
    cdef int d
    for d in range(x.m.ndim):
        n.ip[d] = mask[d]
    n.ip[x.m.ndim] = keepdim
    return n

cdef int rd_check_float(Tensor x, str what) except -1:
    if x.m.dtype > PYAD_F64:
        raise RuntimeError(what.format(DTYPE_TITLES[x.m.dtype]))
    return 0

cdef str _type_name(object v):
    if isinstance(v, Tensor):
        return "Tensor"
    return type(v).__name__

cdef int check_keepdim(str name, object keepdim) except -1:
    """torch's argument parser takes only a Python bool as keepdim (not an int, a float, None
    or a numpy bool)."""
    if type(keepdim) is not bool:
        tn = (f"numpy.{type(keepdim).__name__}" if type(keepdim).__module__ == "numpy"
              else _type_name(keepdim))
        raise TypeError(f"{name}(): argument 'keepdim' must be bool, not {tn}")
    return 0

cdef object rd_bad_args(str name, tuple args, dict kwargs, list sigs):
    """torch's TypeError for an argument combination no overload accepts."""
    got = ", ".join(_type_name(a) for a in args)
    kw = [f"{k}={_type_name(v)}" for k, v in reversed(list(kwargs.items()))]
    if args and kw:
        got += ", " + ", ".join(kw)
    elif kw:
        got = "".join(k + ", " for k in kw)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but "
                     "expected one of:\n" + "".join(f" * {s}\n" for s in sigs))


# ============================================================================================
# prod: ProdBackward0 (all elements), ProdBackward1 (one dim)
#   d/dx_k = g prod_{i != k} x_i      ip = [dim (-1: all), keepdim]
# ============================================================================================
cdef Tensor t_prod(Tensor x, int dim, bint keepdim):
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef RdPlan p
    cdef int d, dtype = x.m.dtype if x.m.dtype <= PYAD_F64 else PYAD_I64
    cdef Tensor xc = to_dtype_nograd(x, dtype)
    cdef Meta macc
    cdef Buffer* acc
    cdef Buffer* b
    cdef Node* n
    for d in range(x.m.ndim):
        mask[d] = dim < 0 or d == dim
    rd_plan(&p, &x.m, mask, keepdim and dim >= 0, dtype)
    macc = rd_retyped(&p.mk, PYAD_F64 if dtype == PYAD_F32 else dtype)
    acc = rd_fold(rd_pick(dtype, rd_prod_f32, rd_prod_f64, rd_prod_i64, NULL), xc.buf.data,
                  &xc.m, NULL, NULL, &macc, 1.0, NULL)
    if macc.dtype != dtype:
        try:
            b = nb_cast(acc.data, &macc, dtype)
        finally:
            buf_decref(acc)
    else:
        b = acc
    out = tensor_from_new_buffer(b, &p.mo, dtype)
    if wants_grad(x):
        n = record(OP_PROD, NAME_PROD0 if dim < 0 else NAME_PROD1, out, x, None, 1, 2)
        n.ip[0] = dim
        n.ip[1] = keepdim
        save_input(n, 0, x)
        save_output(n, out)
    return out

cdef Tensor rd_int_result_check(Tensor x, Tensor r):
    """r computed from x with dtype=: torch's autograd refuses an integral or bool result of an
    input that requires grad (after the forward and its errors)."""
    if r.m.dtype > PYAD_F64 and wants_grad(x):
        raise RuntimeError(f"Autograd not support dtype: {DTYPE_TITLES[r.m.dtype]}")
    return r


cdef Tensor rd_prod_call(Tensor x, tuple args, dict kwargs):
    sigs = ["(*, pyad.dtype dtype = None)",
            "(int dim, bool keepdim = False, *, pyad.dtype dtype = None)"]
    if len(args) > 2 or set(kwargs) - {"dim", "keepdim", "dtype"} or (args and "dim" in kwargs):
        raise rd_bad_args("prod", args, kwargs, sigs)
    dim = args[0] if args else kwargs.get("dim", _NO_DIM)
    keepdim = args[1] if len(args) > 1 else kwargs.get("keepdim", False)
    if dim is _NO_DIM:
        if "keepdim" in kwargs:
            raise rd_bad_args("prod", args, kwargs, sigs)
    elif not is_int_arg(dim):
        raise rd_bad_args("prod", args, kwargs, sigs)
    if not isinstance(keepdim, bool):
        raise TypeError(f"prod(): argument 'keepdim' must be bool, not {_type_name(keepdim)}")
    dtype = kwargs.get("dtype")
    cdef Tensor x0 = x
    if dtype is not None:
        x = t_to(x, dtype_code(dtype))
    if dim is _NO_DIM:
        r = t_prod(x, -1, False)
    else:
        d = wrap_dim(dim, x.m.ndim)
        r = t_prod(x, d if x.m.ndim else 0, keepdim)
    # a product asked in bool is a bool (all nonzero), as torch's
    return rd_int_result_check(
        x0, to_dtype_nograd(r, PYAD_BOOL) if x.m.dtype == PYAD_BOOL and dtype is not None else r)

cdef Py_ssize_t rd_count_zeros(const char* data, const Meta* m) noexcept:
    cdef Py_ssize_t i, c = 0
    if m.dtype == PYAD_F32:
        for i in range(m.numel):
            c += (<const float*>data)[i] == 0
    elif m.dtype == PYAD_F64:
        for i in range(m.numel):
            c += (<const double*>data)[i] == 0
    return c

cdef bint rd_has_zero(Tensor x):
    return bool((rd_np(x) == 0).any())

cdef Tensor rd_pair_const(object mat, int d, int ndim, int dtype):
    """An (n, n) numpy matrix placed at dims d, d+1 of an (ndim + 1)-d constant."""
    shape = [1] * (ndim + 1)
    shape[d] = mat.shape[0]
    shape[d + 1] = mat.shape[1]
    return rd_const(mat.reshape(shape), dtype)

cdef Tensor rd_others_matrix(Tensor x, int d):
    """T[..., k, j, ...] = x_j for j != k, 1 for j == k (k inserted at dim d): rows whose
    products leave one factor out, for gradients that must stay exact with zeros."""
    cdef Py_ssize_t ln = x.m.shape[d]
    eye = np.eye(ln, dtype=bool)
    # a select, not x * (1 - eye) + eye: the left-out factor is 1 even where x is NaN or inf
    return t_where(rd_pair_const(eye, d, x.m.ndim, PYAD_BOOL), scalar0d_f(1.0, x.m.dtype),
                   t_unsqueeze(x, d))

cdef Py_ssize_t cm_num_n_zeros(const BV* x) except -1:
    return rd_count_zeros(x.buf.data, &x.m)

cdef Py_ssize_t cm_rec_n_zeros(const BV* x) except -1:
    return int((rd_np(bv_t(x)) == 0).sum())

cdef int cm_num_prod_grad(BV* out, const BV* g, const BV* x, const BV* y, int dim,
                          bint exact) except -1:
    cdef const Meta* mx = &x.m
    cdef Py_ssize_t outer, ln, inner
    cdef Buffer* b = buf_new(mx.numel * itemsize(mx.dtype))
    rd_lines(mx, dim, &outer, &ln, &inner)
    if exact:
        rd_line_bw(0, mx.dtype, g.buf.data, x.buf.data, b.data, outer, ln, inner)
    elif mx.dtype == PYAD_F32:      # torch's dividing formula (kernels_reduce.h)
        rd_div_bw_f32(<const float*>g.buf.data, <const float*>y.buf.data,
                      <const float*>x.buf.data, <float*>b.data, outer, ln, inner)
    else:
        rd_div_bw_f64(<const double*>g.buf.data, <const double*>y.buf.data,
                      <const double*>x.buf.data, <double*>b.data, outer, ln, inner)
    bv_set_buffer(out, b, mx)
    return 0

cdef int cm_rec_prod_grad(BV* out, const BV* g, const BV* x, const BV* y, int dim,
                          bint exact) except -1:
    cdef Tensor xt = bv_t(x), xl, gl, yl, r
    cdef int d = dim, i
    cdef Py_ssize_t one = 1, numel = xt.m.numel
    cdef RdPlan p
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    if d < 0:
        xl = t_view(xt, 1, &numel, NAME_VIEW)
        gl = t_view(bv_t(g), 1, &one, NAME_VIEW)
        yl = t_view(bv_t(y), 1, &one, NAME_VIEW)
        d = 0
    else:
        for i in range(xt.m.ndim):
            mask[i] = i == d
        rd_plan(&p, &xt.m, mask, True, xt.m.dtype)
        xl = xt
        gl = rd_keepdim_grad(bv_t(g), &p.mk)
        yl = rd_keepdim_grad(bv_t(y), &p.mk)
    if not exact:
        r = t_mul(gl, t_div(yl, xl))
    else:
        r = t_mul(gl, t_prod(rd_others_matrix(xl, d), d + 1, False))
    if dim < 0:
        r = t_view(r, xt.m.ndim, xt.m.shape, NAME_VIEW)
    return bv_set_tensor(out, r)

CMATH_NUM.n_zeros = cm_num_n_zeros
CMATH_NUM.prod_grad = cm_num_prod_grad
CMATH_REC.n_zeros = cm_rec_n_zeros
CMATH_REC.prod_grad = cm_rec_prod_grad


cdef int prod_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    cdef BV x, y
    cdef Py_ssize_t nz
    check_saved(n)
    if n.in_meta[0].ndim == 0:
        bv_copy(&outs[0], g)
        return 0
    bv_init(&x)
    bv_init(&y)
    try:
        M.input(&x, n, 0)
        nz = M.n_zeros(&x)
        if nz > 1 and n.ip[0] < 0 and not M.recorded:
            # torch's ProdBackward0 without grad mode: zeros (with it: the exact formula)
            M.zeros(&outs[0], &n.in_meta[0])
        else:           # torch: g (y / x) without zeros
            M.result(&y, n)
            M.prod_grad(&outs[0], g, &x, &y, n.ip[0], nz != 0)
    finally:
        bv_clear(&x)
        bv_clear(&y)
    return 0


# ============================================================================================
# amax / amin: AmaxBackward0, AminBackward0; max() / min(): MaxBackward1, MinBackward1
#   d/dx = (g / count) * [x == y]: ties share the gradient evenly
#   ip = mask, keepdim, mode (0: amax, a NaN result matches nothing; 1: max(), NaN matches NaN)
# ============================================================================================
cdef Tensor t_amax(Tensor x, const Py_ssize_t* mask, bint keepdim, bint is_min, bint whole,
                   str opname, bint dim_given=True):
    """amax/amin over mask; whole: max()/min() of every element (MaxBackward1/MinBackward1)."""
    cdef RdPlan p
    cdef int d
    cdef Node* n
    if x.m.numel == 0:
        if whole or not dim_given:
            raise RuntimeError(f"{opname}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        for d in range(x.m.ndim):
            if mask[d] and x.m.shape[d] == 0:
                raise IndexError(f"{opname}(): Expected reduction dim {d} to have non-zero size.")
    rd_plan(&p, &x.m, mask, keepdim, x.m.dtype)
    cdef Tensor out = tensor_from_new_buffer(rd_extreme(x.buf.data, &x.m, &p.mk, is_min),
                                             &p.mo, x.m.dtype)
    if wants_grad(x):
        n = rd_record(OP_AMAX, (NAME_MIN1 if is_min else NAME_MAX1) if whole
                      else (NAME_AMIN if is_min else NAME_AMAX), out, x, mask, keepdim, 1)
        n.ip[x.m.ndim + 1] = whole
        save_input(n, 0, x)
        save_output(n, out)
    return out

cdef int amax_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    cdef RdPlan p
    cdef double mode = n.ip[n.in_meta[0].ndim + 1]
    cdef BV x, gk, yk, cnt
    check_saved(n)
    rd_node_plan(n, &p)
    bv_init(&x)
    bv_init(&gk)
    bv_init(&yk)
    bv_init(&cnt)
    try:
        rd_keepdim_values(M, n, g, &p.mk, &x, &gk, &yk)
        M.count(&cnt, &x, &yk, mode)
        M.ext_grad(&outs[0], &gk, &x, &yk, &cnt, mode)
    finally:
        bv_clear(&x)
        bv_clear(&gk)
        bv_clear(&yk)
        bv_clear(&cnt)
    return 0


# ============================================================================================
# max(dim) / min(dim): (values, indices); values carry MaxBackward0 / MinBackward0
#   d/dx = g at the selected index, 0 elsewhere        ip = [dim, keepdim]; saves the indices
# argmax / argmin: the indices alone (no grad)
# ============================================================================================
cdef tuple t_max_dim(Tensor x, object dim, bint keepdim, bint is_min, bint want_values,
                     str opname):
    """(values or None, indices) of the first extremum along dim (None: all elements)."""
    if x.m.dtype == PYAD_BOOL and not want_values:     # (torch: before the dim's range)
        raise RuntimeError(f"{opname}(): does not support bool input")
    cdef int d = -1 if dim is None else wrap_dim(dim, x.m.ndim)
    cdef Py_ssize_t outer, ln, inner
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef RdPlan p
    cdef int i
    cdef char* vals = NULL
    cdef Tensor values = None, indices
    cdef Node* n
    mask[0] = 0
    if x.m.ndim == 0:
        d = -1
    rd_lines(&x.m, d, &outer, &ln, &inner)
    if ln == 0:
        if dim is None:
            raise IndexError(f"{opname}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        raise IndexError(f"{opname}(): Expected reduction dim {d} to have non-zero size.")
    for i in range(x.m.ndim):
        mask[i] = d < 0 or i == d
    rd_plan(&p, &x.m, mask, keepdim, PYAD_I64)
    if dim is None and not keepdim:
        p.mo.ndim = 0
    indices = new_tensor(PYAD_I64, p.mo.ndim, p.mo.shape)
    if want_values:
        values = new_tensor(x.m.dtype, p.mo.ndim, p.mo.shape)
        vals = values.buf.data
    rd_argext(x.m.dtype, x.buf.data, <char*>vals, <int64_t*>indices.buf.data, outer, ln, inner,
              is_min)
    if want_values and wants_grad(x):
        n = record(OP_MAXDIM, NAME_MIN0 if is_min else NAME_MAX0, values, x, None, 1, 2)
        n.ip[0] = d
        n.ip[1] = keepdim
        save_input(n, 0, indices)
    return values, indices

cdef int cm_num_index_grad(BV* out, const BV* g, const BV* idx, int dim, const Meta* m) except -1:
    cdef Py_ssize_t outer, ln, inner
    rd_lines(m, dim, &outer, &ln, &inner)
    bv_set_buffer(out, buf_zeros(m), m)
    rd_index_put(m.dtype, g.buf.data, <const int64_t*>idx.buf.data, out.buf.data, outer, ln,
                 inner)
    return 0

cdef int cm_rec_index_grad(BV* out, const BV* g, const BV* idx, int dim, const Meta* m) except -1:
    cdef Meta mk
    cdef Py_ssize_t shk[PYAD_MAXDIM]
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef int i
    if m.ndim == 0:
        # torch scatters g into zeros: a new tensor, recorded (g * 1 here, the same values)
        return bv_set_tensor(out, t_mul(bv_t(g), rd_const(np.ones((), dtype=NP_DTYPES[m.dtype]),
                                                          m.dtype)))
    for i in range(m.ndim):
        mask[i] = i == dim
    mk.shape = shk
    keepdim_meta(&mk, m, mask)
    ia = rd_np(bv_t(idx)).reshape([shk[i] for i in range(m.ndim)])
    onehot = np.zeros([m.shape[i] for i in range(m.ndim)], dtype=bool)
    np.put_along_axis(onehot, ia, True, axis=dim)
    # a select, as torch's scatter: a NaN or inf in g stays at its index
    return bv_set_tensor(out, t_where(rd_const(onehot, PYAD_BOOL), rd_keepdim_grad(bv_t(g), &mk),
                                      scalar0d_f(0.0, m.dtype)))

CMATH_NUM.index_grad = cm_num_index_grad
CMATH_REC.index_grad = cm_rec_index_grad


cdef int maxdim_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    cdef BV idx
    check_saved(n)
    bv_init(&idx)
    try:
        M.input(&idx, n, 0)
        M.index_grad(&outs[0], g, &idx, n.ip[0], &n.in_meta[0])
    finally:
        bv_clear(&idx)
    return 0


# --- torch.return_types: structseq-like named tuples ----------------------------------------
class _ReturnType(tuple):
    """A tuple with named fields that prints like torch.return_types.<name>."""
    __slots__ = ()
    _fields = ()
    n_fields = 0
    n_sequence_fields = 0
    n_unnamed_fields = 0

    def __new__(cls, seq):
        seq = tuple(seq)
        if len(seq) != len(cls._fields):
            raise TypeError(f"pyad.return_types.{cls.__name__}() takes a "
                            f"{len(cls._fields)}-sequence ({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"pyad.return_types.{type(self).__name__}(\n{body})"

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _make_return_type(str name, tuple fields):
    """A torch.return_types.<name> class with these fields, put into pyad.return_types."""
    ns = {"__slots__": (), "_fields": fields, "n_fields": len(fields),
          "n_sequence_fields": len(fields), "__module__": "pyad.return_types"}
    for i, f in enumerate(fields):
        ns[f] = property(lambda self, i=i: tuple.__getitem__(self, i))
    cls = type(name, (_ReturnType,), ns)
    setattr(_sys.modules["pyad.return_types"], name, cls)
    return cls


return_types = _sys.modules.get("pyad.return_types")
if return_types is None:
    return_types = _types.ModuleType("pyad.return_types",
                                     "Named tuples returned by ops with several results.")
    _sys.modules["pyad.return_types"] = return_types
_make_return_type("max", ("values", "indices"))
_make_return_type("min", ("values", "indices"))

cdef object rd_max_method(Tensor x, tuple args, dict kwargs, bint is_min):
    """max() / max(dim, keepdim=False) / max(other) argument handling, as torch's overloads."""
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    name = "min" if is_min else "max"
    if not args and not kwargs:
        dims_mask(x, None, mask)
        return t_amax(x, mask, False, is_min, True, name)
    if len(args) == 1 and not kwargs and isinstance(args[0], Tensor):
        binary = globals().get("minimum" if is_min else "maximum")
        if binary is None:
            raise NotImplementedError(f"pyad: {name}(input, other) needs pyad."
                                      f"{'minimum' if is_min else 'maximum'}, not available yet")
        return binary(x, args[0])
    if len(args) <= 2 and set(kwargs) <= {"dim", "keepdim"} and len(args) + len(kwargs) <= 2:
        dim = args[0] if args else kwargs.get("dim", None)
        keepdim = args[1] if len(args) > 1 else kwargs.get("keepdim", False)
        if "dim" in kwargs and args:
            dim = None
        if is_int_arg(dim):
            if not isinstance(keepdim, bool):
                raise TypeError(f"{name}(): argument 'keepdim' must be bool, not "
                                f"{_type_name(keepdim)}")
            v, i = t_max_dim(x, dim, keepdim, is_min, True, name)
            return (return_types.min if is_min else return_types.max)((v, i))
    sigs = ["()", "(Tensor other)", "(int dim, bool keepdim = False)"]
    raise rd_bad_args(name, args, kwargs, sigs)

cdef Tensor rd_argext_method(Tensor x, object dim, object keepdim, bint is_min):
    name = "argmin" if is_min else "argmax"
    if is_index_tensor(dim):
        dim = int(dim)
    if dim is not None and not is_int_arg(dim):     # torch's parser: dim, keepdim, then bool
        raise TypeError(f"{name}(): argument 'dim' must be int, not {_type_name(dim)}")
    check_keepdim(name, keepdim)
    v, i = t_max_dim(x, dim, keepdim, is_min, False, name)
    if dim is None and keepdim:
        shp = [1] * x.m.ndim
        return (<Tensor>i).reshape(shp) if x.m.ndim else i
    return i


# ============================================================================================
# var / std: VarBackward0, StdBackward0
#   var:  d/dx = (2 / (N - correction)) g (x - mean)
#   std:  the var gradient of g / (2 std), 0 where std == 0
#   ip = mask, keepdim; c = [correction, std, full (no dim given)]; saves x (and std)
# ============================================================================================
cdef Tensor t_var(Tensor x, const Py_ssize_t* mask, bint keepdim, double correction, bint std,
                  int full):
    """full: 1 without dims (or 0-d x), 2 for an empty dim list (every dim reduced, but torch's
    var_backward then takes its per-dim formula, whose count of an empty dim list is 1)."""
    cdef RdPlan p
    cdef Meta macc
    cdef Buffer* mean
    cdef Buffer* acc
    cdef double c[2]
    cdef Node* n
    if x.m.dtype > PYAD_F64:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    rd_plan(&p, &x.m, mask, keepdim, x.m.dtype)
    if p.count - correction <= 0:
        warnings.warn(f"{'std' if std else 'var'}(): degrees of freedom is <= 0. Correction "
                      "should be strictly less than the reduction factor (input numel divided "
                      "by output numel).", UserWarning, stacklevel=1)
    macc = rd_retyped(&p.mk, PYAD_F64)
    mean = rd_mean(x.buf.data, &x.m, &p.mk, p.count)
    try:
        acc = rd_fold(rd_pick(x.m.dtype, rd_sqdev_f32, rd_sqdev_f64, NULL, NULL), x.buf.data,
                      &x.m, mean.data, &p.mk, &macc, 0.0, NULL)
    finally:
        buf_decref(mean)
    c[0] = 1.0 / (p.count - correction if p.count - correction > 0 else 0.0)
    c[1] = std
    cdef Tensor out = new_tensor(x.m.dtype, p.mo.ndim, p.mo.shape)
    try:
        rd_apply1(rd_pick(x.m.dtype, rd_var_fin_f32, rd_var_fin_f64, NULL, NULL), acc.data,
                  &macc, out.buf.data, &p.mk, c)
    finally:
        buf_decref(acc)
    if wants_grad(x):
        n = rd_record(OP_VAR, NAME_STD if std else NAME_VAR, out, x, mask, keepdim, 0)
        n.c[0] = correction
        n.c[1] = std
        n.c[2] = full
        save_input(n, 0, x)
        if std:
            save_output(n, out)
    return out

cdef int cm_num_mean(BV* out, const BV* x, const Py_ssize_t* mask, const Meta* mk) except -1:
    cdef Py_ssize_t count = 1
    cdef int d
    for d in range(x.m.ndim):
        if mask[d]:
            count *= x.m.shape[d]
    bv_set_buffer(out, rd_mean(x.buf.data, &x.m, mk, count), mk)
    out.m.dtype = x.m.dtype
    return 0

cdef int cm_rec_mean(BV* out, const BV* x, const Py_ssize_t* mask, const Meta* mk) except -1:
    return bv_set_tensor(out, t_sum(bv_t(x), mask, True, True, False))

cdef int cm_num_var_grad(BV* out, const BV* g, const BV* x, const BV* mu, const BV* s,
                         const double* c) except -1:
    bv_set_buffer(out, rd_map(rd_pick(x.m.dtype, rd_var_bw_f32, rd_var_bw_f64, NULL, NULL),
                              g.buf.data, &g.m, x.buf.data, &x.m, mu.buf.data, &mu.m, s.buf.data,
                              &s.m, c), &x.m)
    return 0

cdef int cm_rec_var_grad(BV* out, const BV* g, const BV* x, const BV* mu, const BV* s,
                         const double* c) except -1:
    cdef Tensor gk = bv_t(g), xt = bv_t(x), mean = bv_t(mu), y
    if c[1] != 0:          # std: g / (2 std), 0 where std == 0 (a select: torch's masked_fill)
        y = bv_t(s)
        ya = rd_np(y)
        gk = t_where(rd_const(ya == 0, PYAD_BOOL), scalar0d_f(0.0, y.m.dtype),
                     t_div(gk, t_muls(t_add(y, rd_const(ya == 0, y.m.dtype)), 2.0)))
    if c[2] != 0:
        return bv_set_tensor(out, t_mul(gk, rd_const(np.where(rd_np(xt) == rd_np(mean), np.nan,
                                                              np.inf), xt.m.dtype)))
    return bv_set_tensor(out, t_mul(t_muls(gk, c[0]), t_sub(xt, mean)))

CMATH_NUM.mean = cm_num_mean
CMATH_NUM.var_grad = cm_num_var_grad
CMATH_REC.mean = cm_rec_mean
CMATH_REC.var_grad = cm_rec_var_grad


cdef int var_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    cdef RdPlan p
    cdef double c[3]
    cdef double dof
    cdef BV x, gk, mu, y, s
    check_saved(n)
    rd_node_plan(n, &p)
    dof = (1.0 if n.c[2] == 2 else p.count) - n.c[0]
    c[0] = 2.0 / dof
    c[1] = n.c[1]
    c[2] = n.c[2] == 1 and dof <= 0
    bv_init(&x)
    bv_init(&gk)
    bv_init(&mu)
    bv_init(&y)
    bv_init(&s)
    try:
        M.input(&x, n, 0)
        M.reshape(&gk, g, &p.mk)
        M.mean(&mu, &x, n.ip, &p.mk)
        if n.c[1] != 0:         # std: its result (saved)
            M.result(&y, n)
            M.reshape(&s, &y, &p.mk)
        else:                   # var: unused
            bv_copy(&s, &mu)
        M.var_grad(&outs[0], &gk, &x, &mu, &s, c)
    finally:
        bv_clear(&x)
        bv_clear(&gk)
        bv_clear(&mu)
        bv_clear(&y)
        bv_clear(&s)
    return 0

_MEAN_SIGS = ["(*, torch.dtype dtype = None)",
              "(tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None)"]

_VAR_SIGS = ["(tuple of ints dim, bool unbiased = True, bool keepdim = False)",
             "(tuple of ints dim = None, *, Number correction = None, bool keepdim = False)",
             "(bool unbiased = True)"]

cdef tuple rd_var_args(str name, tuple args, dict kwargs):
    """(dim, correction, keepdim) from torch's var/std overloads."""
    sigs = _VAR_SIGS
    unknown = set(kwargs) - {"dim", "unbiased", "keepdim", "correction"}
    if unknown or len(args) > 3 or ("unbiased" in kwargs and "correction" in kwargs):
        raise rd_bad_args(name, args, kwargs, sigs)
    if len(args) == 1 and isinstance(args[0], bool) and not kwargs:
        return None, (1.0 if args[0] else 0.0), False
    names = ("dim", "unbiased", "keepdim")
    vals = {"dim": None, "unbiased": True, "keepdim": False, "correction": None}
    for i, a in enumerate(args):
        if names[i] in kwargs:
            raise rd_bad_args(name, args, kwargs, sigs)
        vals[names[i]] = a
    vals.update(kwargs)
    if vals["correction"] is not None and len(args) > 1:
        raise rd_bad_args(name, args, kwargs, sigs)
    correction = vals["correction"]
    if correction is None:
        correction = 1.0 if vals["unbiased"] else 0.0
    elif not isinstance(correction, (int, float, np.integer, np.floating)) and not (
            isinstance(correction, Tensor) and (<Tensor>correction).m.ndim == 0):
        raise rd_bad_args(name, args, kwargs, sigs)     # no overload takes a non-number
    elif isinstance(correction, (int, np.integer)) and not isinstance(correction, bool) and not (
            -9223372036854775808 <= correction <= 9223372036854775807):
        raise OverflowError("int too big to convert")      # torch's Scalar conversion
    return vals["dim"], float(correction), vals["keepdim"]

cdef Tensor rd_var_call(Tensor x, tuple args, dict kwargs, bint std):
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    dim, correction, keepdim = rd_var_args("std" if std else "var", args, kwargs)
    if type(keepdim) is not bool or not dim_arg_ok(dim):      # no overload takes it
        raise rd_bad_args("std" if std else "var", args, kwargs, _VAR_SIGS)
    if isinstance(dim, (tuple, list)):      # the argument parser comes first
        check_int64_items("std" if std else "var", "dim", dim)
    if x.m.dtype > PYAD_F64:        # before the dims, as torch checks them
        raise RuntimeError("std and var only support floating point and complex dtypes")
    full = 1 if dim is None or x.m.ndim == 0 else 0
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None                  # torch: an empty dim list reduces over every dim
        full = full or 2            # ... but its backward counts the list's (no) dims: 1
    dims_mask(x, dim, mask)
    return t_var(x, mask, keepdim, correction, std, full)


# ============================================================================================
# norm (torch.linalg.vector_norm): LinalgVectorNormBackward0, torch's norm_backward formulas
#   p=2: g x / y (0 where y == 0)   p=1: g sgn(x)   p=inf: sgn(x) g / count at |x| == y
#   ip = mask, keepdim; c[0] = p; saves x and y
# ============================================================================================
cdef str _ord_str(double p):
    if c_isinf(p):
        return "inf" if p > 0 else "-inf"
    if p == <double>(<long long>p):
        return str(<long long>p)
    return repr(p)

cdef Tensor t_norm(Tensor x, double p, const Py_ssize_t* mask, bint keepdim, bint whole):
    cdef RdPlan pl
    cdef Meta macc
    cdef Buffer* acc
    cdef int d
    cdef Node* n
    rd_check_float(x, "linalg.vector_norm: Expected a floating point or complex tensor as "
                      "input. Got {}")
    rd_plan(&pl, &x.m, mask, keepdim, x.m.dtype)
    if (p < 0 or p == INFINITY) and pl.count == 0:     # no identity: max |x|, 1 / sum
        ptxt = _ord_str(p)
        if whole:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ptxt} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in range(x.m.ndim):
            if mask[d] and x.m.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ptxt} norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   "operation does not have an identity")
    # a trivial reduction (one element into each result) is |x| in torch, whatever the order
    # but the 0-"norm" (its kernel is not run: 1e308 or NaN would give 0 or NaN), except a 0-d
    # tensor reduced over dim 0, which is computed (|x| ** p may leave the dtype's range)
    cdef double pf = 1.0 if pl.count == 1 and p != 0 and (x.m.ndim > 0 or whole) else p
    macc = rd_retyped(&pl.mk, PYAD_F64)
    acc = rd_fold(rd_pick(x.m.dtype, rd_norm_f32, rd_norm_f64, NULL, NULL), x.buf.data, &x.m,
                  NULL, NULL, &macc, INFINITY if pf < 0 and c_isinf(pf) else 0.0, &pf)
    cdef Tensor out = new_tensor(x.m.dtype, pl.mo.ndim, pl.mo.shape)
    try:
        rd_apply1(rd_pick(x.m.dtype, rd_norm_fin_f32, rd_norm_fin_f64, NULL, NULL), acc.data,
                  &macc, out.buf.data, &pl.mk, &pf)
    finally:
        buf_decref(acc)
    if wants_grad(x):
        n = rd_record(OP_NORM, NAME_NORM, out, x, mask, keepdim, 0)
        n.c[0] = p
        save_input(n, 0, x)
        save_output(n, out)
    return out

cdef int cm_num_count(BV* out, const BV* x, const BV* y, double mode) except -1:
    bv_set_buffer(out, rd_fold(rd_pick(x.m.dtype, rd_count_f32, rd_count_f64, NULL, NULL),
                               x.buf.data, &x.m, y.buf.data, &y.m, &y.m, 0.0, &mode), &y.m)
    return 0

cdef object rd_match_np(Tensor x, Tensor y, double mode):
    """Where x matches the extremum y (count's modes), a numpy bool array."""
    xa = rd_np(x)
    ya = rd_np(y)
    if mode == 2.0:
        return (np.abs(xa) == ya) | np.isnan(xa)
    match = xa == ya
    if mode == 1.0:
        match |= np.isnan(xa) & np.isnan(ya)
    return match

cdef int cm_rec_count(BV* out, const BV* x, const BV* y, double mode) except -1:
    cdef Tensor yt = bv_t(y)
    axes = tuple(d for d in range(yt.m.ndim) if yt.m.shape[d] == 1)
    cnt = rd_match_np(bv_t(x), yt, mode).sum(axis=axes, keepdims=True)
    return bv_set_tensor(out, rd_const(cnt, yt.m.dtype))

cdef int cm_num_ext_grad(BV* out, const BV* g, const BV* x, const BV* y, const BV* cnt,
                         double mode) except -1:
    bv_set_buffer(out, rd_map(rd_pick(x.m.dtype, rd_ext_bw_f32, rd_ext_bw_f64, NULL, NULL),
                              g.buf.data, &g.m, x.buf.data, &x.m, y.buf.data, &y.m,
                              cnt.buf.data, &cnt.m, &mode), &x.m)
    return 0

cdef Tensor rd_sgn(Tensor x):
    """torch's sgn(x): its derivative is 0 but it stays in the graph (x ** 0 does the same)."""
    xa = rd_np(x)
    return t_mul(t_pows(x, 0.0), rd_const((xa > 0).astype(np.int8) - (xa < 0), x.m.dtype))

cdef int cm_rec_ext_grad(BV* out, const BV* g, const BV* x, const BV* y, const BV* cnt,
                         double mode) except -1:
    cdef Tensor xt = bv_t(x)
    cdef Tensor r = t_mul(t_div(bv_t(g), bv_t(cnt)),
                          rd_const(rd_match_np(xt, bv_t(y), mode), xt.m.dtype))
    return bv_set_tensor(out, t_mul(rd_sgn(xt), r) if mode == 2.0 else r)

cdef int cm_num_norm_grad(BV* out, const BV* g, const BV* x, const BV* y, double p) except -1:
    bv_set_buffer(out, rd_map(rd_pick(x.m.dtype, rd_norm_bw_f32, rd_norm_bw_f64, NULL, NULL),
                              g.buf.data, &g.m, x.buf.data, &x.m, y.buf.data, &y.m, y.buf.data,
                              &y.m, &p), &x.m)
    return 0

cdef int cm_rec_norm_grad(BV* out, const BV* g, const BV* x, const BV* y, double p) except -1:
    cdef Tensor xt = bv_t(x), gk = bv_t(g), yt = bv_t(y), zero, ysafe, absx, scaled
    cdef int dt = xt.m.dtype
    sgn = rd_sgn(xt)
    if p == 1.0:
        return bv_set_tensor(out, t_mul(sgn, gk))
    xa = rd_np(xt)
    ya = rd_np(yt)
    # torch's masked_fill(y == 0, 0): a select (a NaN or inf g stays out of it); y + 1 there,
    # so that the unselected quotient and its derivative stay finite
    zero = rd_const(ya == 0, PYAD_BOOL)
    ysafe = t_add(yt, rd_const(ya == 0, dt))
    if p == 2.0:
        return bv_set_tensor(out, t_mul(gk, t_where(zero, scalar0d_f(0.0, dt), t_div(xt, ysafe))))
    absx = t_unary(U_ABS, xt)
    if p < 1.0:     # |x|^(p-1), 0 where x == 0
        scaled = t_mul(sgn, t_mul(t_pows(t_add(absx, rd_const(xa == 0, dt)), p - 1.0),
                                  rd_const(xa != 0, dt)))
        return bv_set_tensor(out, t_mul(t_mul(scaled, gk), t_pows(yt, 1.0 - p)))
    if p < 2.0:
        scaled = t_mul(sgn, t_pows(absx, p - 1.0))
    else:
        scaled = t_mul(xt, t_pows(absx, p - 2.0))
    return bv_set_tensor(out, t_mul(scaled, t_where(zero, scalar0d_f(0.0, dt),
                                                    t_div(gk, t_pows(ysafe, p - 1.0)))))

CMATH_NUM.count = cm_num_count
CMATH_NUM.ext_grad = cm_num_ext_grad
CMATH_NUM.norm_grad = cm_num_norm_grad
CMATH_REC.count = cm_rec_count
CMATH_REC.ext_grad = cm_rec_ext_grad
CMATH_REC.norm_grad = cm_rec_norm_grad


cdef int norm_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    cdef RdPlan pl
    cdef double p = n.c[0]
    cdef BV x, gk, yk, cnt
    check_saved(n)
    if p == 0.0:        # torch's norm_backward gives no gradient at all: x.grad stays None
        return 0
    rd_node_plan(n, &pl)
    bv_init(&x)
    bv_init(&gk)
    bv_init(&yk)
    bv_init(&cnt)
    try:
        rd_keepdim_values(M, n, g, &pl.mk, &x, &gk, &yk)
        if c_isinf(p):      # sgn(x) g / count at |x| == y
            M.count(&cnt, &x, &yk, 2.0)
            M.ext_grad(&outs[0], &gk, &x, &yk, &cnt, 2.0)
        else:
            M.norm_grad(&outs[0], &gk, &x, &yk, p)
    finally:
        bv_clear(&x)
        bv_clear(&gk)
        bv_clear(&yk)
        bv_clear(&cnt)
    return 0

cdef int check_vector_norm_dim(object dim) except -1:
    """linalg_vector_norm's argument parser on dim (before the call's other checks)."""
    if isinstance(dim, (float, str, complex)) or (
            isinstance(dim, (tuple, list)) and not all(is_int_arg(d) for d in dim)):
        if not isinstance(dim, (tuple, list)):
            raise TypeError(f"linalg_vector_norm(): argument 'dim' (position 3) must be tuple of "
                            f"ints, not {type(dim).__name__}")
        pos = next(i for i, d in enumerate(dim) if not is_int_arg(d))
        if pos == 0:
            raise TypeError(f"linalg_vector_norm(): argument 'dim' (position 3) must be tuple "
                            f"of ints, but found element of type {type(dim[0]).__name__} at pos 0")
        raise TypeError(f"linalg_vector_norm(): argument 'dim' failed to unpack the object at "
                        f"pos {pos + 1} with error \"type must be tuple of ints,but got "
                        f"{type(dim[pos]).__name__}\"")
    return 0


cdef Tensor rd_norm_call(Tensor x, object p, object dim, object keepdim, object dtype):
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef double pv
    if isinstance(p, str) and not (p == "fro" and (dim is None or isinstance(dim, int)
                                                   or len(dim) <= 2)):
        # torch.norm hands every other string order to linalg.matrix_norm (its errors)
        from pyad.linalg import matrix_norm
        return matrix_norm(x, p, tuple(range(x.m.ndim)) if dim is None else dim, keepdim,
                           dtype=dtype)
    check_scalar_range(p)               # torch's Scalar parsing of the order, then the dims
    check_vector_norm_dim(dim)
    check_keepdim("linalg_vector_norm", keepdim)
    if dtype is not None:
        x = t_to(x, dtype_code(dtype))
    if p is None or isinstance(p, str):     # "fro" here
        pv = 2.0
    else:
        pv = float(p)
    if isinstance(dim, int):   # not numpy ints: torch then asks their len(), a TypeError
        dim = (dim,)
    rd_check_float(x, "linalg.vector_norm: Expected a floating point or complex tensor as "
                      "input. Got {}")     # before the dims, as torch
    dims_mask(x, None if dim is None or len(dim) == 0 else dim, mask, "linalg_vector_norm")
    return t_norm(x, pv, mask, keepdim, dim is None or len(dim) == 0)


# ============================================================================================
# logsumexp: LogsumexpBackward0        y = m + log(sum(exp(x - m))), m the max (0 if infinite)
#   d/dx = g exp(x - y)                ip = mask, keepdim; saves x and y
# ============================================================================================
cdef Tensor t_logsumexp(Tensor x, const Py_ssize_t* mask, bint keepdim):
    cdef RdPlan p
    cdef Meta macc
    cdef Buffer* m = NULL
    cdef Buffer* acc = NULL
    cdef const char* xs[2]
    cdef const Meta* ms[2]
    cdef Node* n
    cdef Tensor out
    if x.m.dtype > PYAD_F64:
        x = to_dtype_nograd(x, _default_dtype)
    rd_plan(&p, &x.m, mask, keepdim, x.m.dtype)
    if p.count == 0:
        out = tensor_from_new_buffer(rd_filled(&p.mo, -INFINITY), &p.mo, x.m.dtype)
    else:
        out = new_tensor(x.m.dtype, p.mo.ndim, p.mo.shape)
        macc = rd_retyped(&p.mk, PYAD_F64)
        try:
            m = rd_extreme(x.buf.data, &x.m, &p.mk, False)
            rd_apply1(rd_pick(x.m.dtype, rd_lse_shift_f32, rd_lse_shift_f64, NULL, NULL), m.data,
                      &p.mk, m.data, &p.mk, NULL)
            acc = rd_fold(rd_pick(x.m.dtype, rd_expsum_f32, rd_expsum_f64, NULL, NULL),
                          x.buf.data, &x.m, m.data, &p.mk, &macc, 0.0, NULL)
            xs[0], xs[1] = acc.data, m.data
            ms[0], ms[1] = &macc, &p.mk
            rd_apply(rd_pick(x.m.dtype, rd_lse_fin_f32, rd_lse_fin_f64, NULL, NULL), 2, xs, ms,
                     out.buf.data, &p.mk, &p.mk, NULL)
        finally:
            buf_decref(m)
            buf_decref(acc)
    if wants_grad(x):
        n = rd_record(OP_LOGSUMEXP, NAME_LOGSUMEXP, out, x, mask, keepdim, 0)
        save_input(n, 0, x)
        save_output(n, out)
    return out

cdef int cm_num_reshape(BV* out, const BV* x, const Meta* m) except -1:
    buf_incref(x.buf)
    bv_set_buffer(out, x.buf, m)
    out.m.dtype = x.m.dtype
    return 0

cdef int cm_rec_reshape(BV* out, const BV* x, const Meta* m) except -1:
    return bv_set_tensor(out, rd_keepdim_grad(bv_t(x), m))

cdef int cm_num_lse_grad(BV* out, const BV* g, const BV* x, const BV* y) except -1:
    bv_set_buffer(out, rd_map(rd_pick(x.m.dtype, rd_lse_bw_f32, rd_lse_bw_f64, NULL, NULL),
                              g.buf.data, &g.m, x.buf.data, &x.m, y.buf.data, &y.m, y.buf.data,
                              &y.m, NULL), &x.m)
    return 0

cdef int cm_rec_lse_grad(BV* out, const BV* g, const BV* x, const BV* y) except -1:
    return bv_set_tensor(out, t_mul(bv_t(g), t_unary(U_EXP, t_sub(bv_t(x), bv_t(y)))))

CMATH_NUM.reshape = cm_num_reshape
CMATH_NUM.lse_grad = cm_num_lse_grad
CMATH_REC.reshape = cm_rec_reshape
CMATH_REC.lse_grad = cm_rec_lse_grad


cdef int logsumexp_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    cdef RdPlan p
    cdef BV x, gk, yk
    check_saved(n)
    rd_node_plan(n, &p)
    bv_init(&x)
    bv_init(&gk)
    bv_init(&yk)
    try:
        rd_keepdim_values(M, n, g, &p.mk, &x, &gk, &yk)
        M.lse_grad(&outs[0], &gk, &x, &yk)
    finally:
        bv_clear(&x)
        bv_clear(&gk)
        bv_clear(&yk)
    return 0


cdef Tensor rd_logsumexp_call(Tensor x, tuple args, dict kwargs):
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    if len(args) > 2 or set(kwargs) - {"dim", "keepdim"} or (args and "dim" in kwargs):
        raise rd_bad_args("logsumexp", args, kwargs, ["(tuple of ints dim, bool keepdim = False)"])
    dim = rd_required_dim("logsumexp", args, kwargs, ())
    keepdim = args[1] if len(args) > 1 else kwargs.get("keepdim", False)
    check_keepdim("logsumexp", keepdim)
    if not isinstance(dim, (int, np.integer, tuple, list)):
        raise TypeError(f"logsumexp(): argument 'dim' must be tuple of ints, not "
                        f"{_type_name(dim)}")
    dims_mask(x, None if isinstance(dim, (tuple, list)) and len(dim) == 0 else dim, mask,
              "logsumexp", True)
    if (isinstance(dim, (tuple, list)) and len(dim) == 0 and not keepdim and x.m.ndim
            and x.m.numel != 0):
        # torch: amax(dims=(), keepdim=True) has shape [1, .., 1], squeezing no dims keeps it, and
        # adding it into the 0-d result fails (an empty input takes another path)
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape "
                           f"[{', '.join(['1'] * x.m.ndim)}]")
    return t_logsumexp(x, mask, keepdim)


# ============================================================================================
# cumsum / cumprod along one dim: CumsumBackward0, CumprodBackward0
#   cumsum:  d/dx = reversed cumsum of g (a cumsum from the other end; ip[2] = reverse)
#   cumprod: d/dx_k = sum_{j>=k} g_j prod_{i<=j, i!=k} x_i  (exact with zeros)
#   ip = [dim, is_prod, reverse]; cumprod saves x and y
# ============================================================================================
cdef Tensor t_cum(Tensor x, int dim, bint is_prod, bint reverse):
    cdef int dtype = x.m.dtype if x.m.dtype <= PYAD_F64 else PYAD_I64
    cdef Tensor xc = to_dtype_nograd(x, dtype)
    cdef Py_ssize_t outer, ln, inner
    cdef Node* n
    cdef Tensor out = new_tensor(dtype, x.m.ndim, x.m.shape)
    rd_lines(&x.m, dim, &outer, &ln, &inner)
    rd_cum(dtype, xc.buf.data, out.buf.data, outer, ln, inner, is_prod, reverse)
    if wants_grad(x):
        n = record(OP_CUM, NAME_CUMPROD if is_prod else NAME_CUMSUM, out, x, None, 1, 3)
        n.ip[0] = dim
        n.ip[1] = is_prod
        n.ip[2] = reverse
        if is_prod:
            save_input(n, 0, x)
            save_output(n, out)
    return out

cdef bint cum_hands_on_g(Node* n) noexcept:
    """torch's cumsum/cumprod backward hands on g itself when there is nothing to accumulate:
    at most one element, or the dim has size 1."""
    return n.in_meta[0].numel <= 1 or n.in_meta[0].shape[n.ip[0]] == 1

cdef int cum_hands_on(Node* n, int k) noexcept:
    return HANDS_SAME if cum_hands_on_g(n) else HANDS_NEW

# CMath's cumulative operations (cmath.pxi), for cum_bw: the numeric ones over the C loops, the
# recorded ones differentiable
cdef int cm_num_cumsum(BV* out, const BV* x, int dim, bint reverse) except -1:
    cdef Py_ssize_t outer, ln, inner
    cdef Buffer* b = buf_new(x.m.numel * itemsize(x.m.dtype))
    rd_lines(&x.m, dim, &outer, &ln, &inner)
    rd_cum(x.m.dtype, x.buf.data, b.data, outer, ln, inner, 0, reverse)
    bv_set_buffer(out, b, &x.m)
    return 0

cdef int cm_num_cumprod_grad(BV* out, const BV* g, const BV* x, int dim) except -1:
    cdef Py_ssize_t outer, ln, inner
    cdef Buffer* b = buf_new(x.m.numel * itemsize(x.m.dtype))
    rd_lines(&x.m, dim, &outer, &ln, &inner)
    rd_line_bw(1, x.m.dtype, g.buf.data, x.buf.data, b.data, outer, ln, inner)
    bv_set_buffer(out, b, &x.m)
    return 0

cdef int cm_num_has_zero(const BV* x) except -1:
    return rd_count_zeros(x.buf.data, &x.m) != 0

cdef int cm_rec_cumsum(BV* out, const BV* x, int dim, bint reverse) except -1:
    return bv_set_tensor(out, t_cum(bv_t(x), dim, False, reverse))

cdef int cm_rec_cumprod_grad(BV* out, const BV* g, const BV* x, int dim) except -1:
    return bv_set_tensor(out, rd_cumprod_grad_recorded(bv_t(g), bv_t(x), dim))

cdef int cm_rec_has_zero(const BV* x) except -1:
    return rd_has_zero(bv_t(x))

CMATH_NUM.cumsum = cm_num_cumsum
CMATH_NUM.cumprod_grad = cm_num_cumprod_grad
CMATH_NUM.has_zero = cm_num_has_zero
CMATH_REC.cumsum = cm_rec_cumsum
CMATH_REC.cumprod_grad = cm_rec_cumprod_grad
CMATH_REC.has_zero = cm_rec_has_zero


cdef int cum_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    cdef int d = n.ip[0]
    cdef BV x, t, u
    if n.in_meta[0].ndim == 0 or cum_hands_on_g(n):
        bv_copy(&outs[0], g)
        return 0
    if not n.ip[1]:
        return M.cumsum(&outs[0], g, d, not n.ip[2])
    check_saved(n)
    bv_init(&x)
    bv_init(&t)
    bv_init(&u)
    try:
        M.input(&x, n, 0)
        if not M.has_zero(&x):    # torch: reversed_cumsum(y g) / x
            M.result(&t, n)
            M.mul(&u, &t, g)
            bv_clear(&t)
            M.cumsum(&t, &u, d, True)
            M.div(&outs[0], &t, &x)
        else:
            M.cumprod_grad(&outs[0], g, &x, d)
    finally:
        bv_clear(&x)
        bv_clear(&t)
        bv_clear(&u)
    return 0

cdef Tensor rd_cumprod_grad_recorded(Tensor g, Tensor x, int d):
    """sum_{j>=k} g_j prod_{i<=j, i!=k} x_i, differentiable: C[k, j] = prod_{i<=j, i!=k} x_i"""
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef int i
    cdef Tensor c = t_cum(rd_others_matrix(x, d), d + 1, True, False)
    upper = np.triu(np.ones((x.m.shape[d], x.m.shape[d]), dtype=bool))
    for i in range(x.m.ndim + 1):
        mask[i] = i == d + 1
    # only j >= k: a select, so a NaN or inf in C[k, j] for j < k stays out (torch slices)
    return t_sum(t_where(rd_pair_const(upper, d, x.m.ndim, PYAD_BOOL),
                         t_mul(t_unsqueeze(g, d), c), scalar0d_f(0.0, x.m.dtype)),
                 mask, False, False, False)

cdef Tensor rd_cum_call(Tensor x, tuple args, dict kwargs, bint is_prod):
    name = "cumprod" if is_prod else "cumsum"
    if len(args) > 1 or set(kwargs) - {"dim", "dtype"} or (args and "dim" in kwargs):
        raise rd_bad_args(name, args, kwargs, ["(int dim, *, pyad.dtype dtype = None)"])
    dim = rd_required_dim(name, args, kwargs, ())
    dtype = kwargs.get("dtype")
    cdef Tensor x0 = x
    if dtype is not None:
        x = t_to(x, dtype_code(dtype))
    d = wrap_dim(dim, x.m.ndim)
    if x.m.dtype == PYAD_BOOL and dtype is not None:
        if x.m.ndim == 0 or x.m.numel == 0:     # torch runs no kernel: x converted
            return rd_int_result_check(x0, t_clone(x) if x is x0 else x)
        # torch has no bool cumulative kernel
        raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
    return rd_int_result_check(x0, t_cum(x, d if x.m.ndim else 0, is_prod, False))


# ============================================================================================
# softmax / log_softmax along one dim: SoftmaxBackward0, LogSoftmaxBackward0
#   softmax:     y = exp(x - max) / sum(exp(x - max))     d/dx = y (g - sum(g y))
#   log_softmax: y = (x - max) - log(sum(exp(x - max)))   d/dx = g - exp(y) sum(g)
#   one node, one pass per step (the composed form made five nodes and their temporaries);
#   ip = [dim, is_log]; saves y. nn.functional uses it for float tensors and an int dim.
# ============================================================================================
cdef Tensor t_softmax(Tensor x, int dim, bint is_log):
    cdef Py_ssize_t outer, ln, inner
    cdef double* scratch
    cdef Node* n
    cdef Tensor out = new_tensor(x.m.dtype, x.m.ndim, x.m.shape)
    rd_lines(&x.m, dim, &outer, &ln, &inner)
    if x.m.numel > 0:
        scratch = <double*>malloc(2 * inner * sizeof(double))
        if scratch == NULL:
            raise MemoryError()
        rd_softmax(x.m.dtype, x.buf.data, out.buf.data, outer, ln, inner, is_log,
                   KERNELS[K_EXP][kcol(x.m.dtype)], scratch)
        free(scratch)
    if wants_grad(x):
        n = record(OP_SOFTMAX, NAME_LOG_SOFTMAX if is_log else NAME_SOFTMAX, out, x, None, 1, 2)
        n.ip[0] = dim
        n.ip[1] = is_log
        save_output(n, out)
    return out

cdef int cm_num_softmax_grad(BV* out, const BV* g, const BV* y, int dim, bint is_log) except -1:
    cdef Py_ssize_t outer, ln, inner
    cdef double* scratch
    cdef const Meta* m = &y.m
    rd_lines(m, dim, &outer, &ln, &inner)
    bv_set_buffer(out, buf_new(m.numel * itemsize(m.dtype)), m)
    if m.numel == 0:
        return 0
    scratch = <double*>malloc(inner * sizeof(double))
    if scratch == NULL:
        raise MemoryError()
    rd_softmax_bw(m.dtype, g.buf.data, y.buf.data, out.buf.data, outer, ln, inner, is_log,
                  KERNELS[K_EXP][kcol(m.dtype)], scratch)
    free(scratch)
    return 0

cdef int cm_rec_softmax_grad(BV* out, const BV* g, const BV* y, int dim, bint is_log) except -1:
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef int i
    cdef Tensor gt = bv_t(g), yt = bv_t(y)
    for i in range(yt.m.ndim):
        mask[i] = i == dim
    if is_log:
        return bv_set_tensor(out, t_sub(gt, t_mul(t_unary(U_EXP, yt),
                                                  t_sum(gt, mask, True, False, False))))
    return bv_set_tensor(out, t_mul(yt, t_sub(gt, t_sum(t_mul(gt, yt), mask, True, False,
                                                        False))))

CMATH_NUM.softmax_grad = cm_num_softmax_grad
CMATH_REC.softmax_grad = cm_rec_softmax_grad


cdef int softmax_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    cdef BV y
    check_saved(n)
    bv_init(&y)
    try:
        M.result(&y, n)
        M.softmax_grad(&outs[0], g, &y, n.ip[0], n.ip[1])
    finally:
        bv_clear(&y)
    return 0


def _softmax(Tensor x, int dim, bint is_log):
    """softmax (is_log False) or log_softmax of a float tensor of at least one dim along dim
    (nn.functional's fast path; it checks the arguments)."""
    if x.m.dtype > PYAD_F64 or x.m.ndim == 0:
        raise TypeError("_softmax: a float tensor of at least one dim")
    return t_softmax(x, wrap_dim(dim, x.m.ndim), is_log)


# ============================================================================================
# all / any: bool results, no grad
# ============================================================================================
cdef Tensor t_all_any(Tensor x, object dim, bint keepdim, bint is_all):
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef RdPlan p
    cdef double c = is_all
    dims_mask(x, dim, mask, "all" if is_all else "any", True)
    rd_plan(&p, &x.m, mask, keepdim, PYAD_BOOL)
    acc = rd_fold(rd_pick(x.m.dtype, rd_all_f32, rd_all_f64, rd_all_i64, rd_all_u8), x.buf.data,
                  &x.m, NULL, NULL, &p.mk, c, &c)
    return tensor_from_new_buffer(acc, &p.mo, PYAD_BOOL)


# ============================================================================================
# Registration
# ============================================================================================
cdef int OP_PROD = register_cmath(prod_bw)
cdef int OP_AMAX = register_cmath(amax_bw)
cdef int OP_MAXDIM = register_cmath(maxdim_bw)
cdef int OP_VAR = register_cmath(var_bw)
cdef int OP_NORM = register_cmath(norm_bw)
cdef int OP_LOGSUMEXP = register_cmath(logsumexp_bw)
cdef int OP_CUM = register_cmath(cum_bw)
HANDS_ON[OP_CUM] = cum_hands_on
cdef int OP_SOFTMAX = register_cmath(softmax_bw)
cdef int NAME_PROD0 = register_name("ProdBackward0")
cdef int NAME_PROD1 = register_name("ProdBackward1")
cdef int NAME_AMAX = register_name("AmaxBackward0")
cdef int NAME_AMIN = register_name("AminBackward0")
cdef int NAME_MAX0 = register_name("MaxBackward0")
cdef int NAME_MAX1 = register_name("MaxBackward1")
cdef int NAME_MIN0 = register_name("MinBackward0")
cdef int NAME_MIN1 = register_name("MinBackward1")
cdef int NAME_VAR = register_name("VarBackward0")
cdef int NAME_STD = register_name("StdBackward0")
cdef int NAME_NORM = register_name("LinalgVectorNormBackward0")
cdef int NAME_LOGSUMEXP = register_name("LogsumexpBackward0")
cdef int NAME_CUMSUM = register_name("CumsumBackward0")
cdef int NAME_CUMPROD = register_name("CumprodBackward0")
cdef int NAME_SOFTMAX = register_name("SoftmaxBackward0")
cdef int NAME_LOG_SOFTMAX = register_name("LogSoftmaxBackward0")


# ============================================================================================
# Public functions (the Tensor methods are in tensor.pxi's ops_reduce region)
# ============================================================================================
cdef object _NO_DIM = object()      # "dim not given" (torch: a required argument)

cdef object rd_required_dim(str name, tuple args, dict kwargs, tuple extra):
    """The dim of name(dim, *extra) given positionally or by keyword; torch's message if absent."""
    if args:
        return args[0]
    if "dim" in kwargs:
        return kwargs["dim"]
    raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')


def prod(input, *args, **kwargs):
    """Product of the elements, over all of them or along one dim.

    prod(input, *, dtype=None) or prod(input, dim, keepdim=False, *, dtype=None).
    Integer and bool inputs give int64. The gradient is exact with zeros in the input.

    Example:
        >>> pyad.prod(pyad.tensor([[1., 2.], [3., 4.]]), 1)
        tensor([ 2., 12.])
    """
    return _t(input).prod(*args, **kwargs)


def amax(input, dim=(), keepdim=False):
    """Maximum over dim (an int or a tuple; () = all dims). Ties share the gradient evenly.

    Example:
        >>> pyad.amax(pyad.tensor([[1., 5.], [3., 4.]]), 1)
        tensor([5., 4.])
    """
    return _t(input).amax(dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """Minimum over dim (an int or a tuple; () = all dims). Ties share the gradient evenly.

    Example:
        >>> pyad.amin(pyad.tensor([[1., 5.], [3., 4.]]), 1)
        tensor([1., 3.])
    """
    return _t(input).amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    """Index of the first maximum along dim (None: of the flattened tensor); int64.

    Example:
        >>> pyad.argmax(pyad.tensor([[1., 5.], [3., 4.]]), 0)
        tensor([1, 0])
    """
    return rd_argext_method(_t(input), dim, keepdim, False)


def argmin(input, dim=None, keepdim=False):
    """Index of the first minimum along dim (None: of the flattened tensor); int64.

    Example:
        >>> pyad.argmin(pyad.tensor([[1., 5.], [3., 4.]]))
        tensor(0)
    """
    return rd_argext_method(_t(input), dim, keepdim, True)


def var(input, *args, **kwargs):
    """Variance over dim (None: all): var(input, dim=None, unbiased=True, keepdim=False) or
    var(input, dim=None, *, correction=1, keepdim=False).

    Example:
        >>> pyad.var(pyad.tensor([1., 2., 3., 4.]))
        tensor(1.6667)
    """
    return rd_var_call(_t(input), args, kwargs, False)


def std(input, *args, **kwargs):
    """Standard deviation, with var's arguments. Its gradient is 0 where std is 0.

    Example:
        >>> pyad.std(pyad.tensor([1., 2., 3., 4.]), correction=0)
        tensor(1.1180)
    """
    return rd_var_call(_t(input), args, kwargs, True)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """Vector p-norm over dim (None: all elements): p = 'fro' (2), 1, 2, inf, -inf, 0 or any
    float. The gradient of the 2-norm at zero is 0, as in torch.

    Example:
        >>> pyad.norm(pyad.tensor([3., 4.]))
        tensor(5.)
    """
    if not isinstance(input, Tensor):   # torch.norm is Python: its first look is input.layout
        raise AttributeError(f"'{type(input).__name__}' object has no attribute 'layout'")
    if out is not None:
        raise NotImplementedError("pyad: out= is not supported")
    return rd_norm_call(<Tensor>input, p, dim, keepdim, dtype)


def logsumexp(input, *args, **kwargs):
    """log(sum(exp(input))) over dim (an int or a tuple; required), computed stably.

    Example:
        >>> pyad.logsumexp(pyad.tensor([0., 0.]), 0)
        tensor(0.6931)
    """
    return _t(input).logsumexp(*args, **kwargs)


def cumsum(input, *args, **kwargs):
    """Cumulative sum along dim (required). Integer and bool inputs give int64.

    Example:
        >>> pyad.cumsum(pyad.tensor([1., 2., 3.]), 0)
        tensor([1., 3., 6.])
    """
    return _t(input).cumsum(*args, **kwargs)


def cumprod(input, *args, **kwargs):
    """Cumulative product along dim (required); the gradient is exact with zeros.

    Example:
        >>> pyad.cumprod(pyad.tensor([1., 2., 3.]), 0)
        tensor([1., 2., 6.])
    """
    return _t(input).cumprod(*args, **kwargs)


def _builtin_named():
    """max, min, all and any, defined here so that their names do not shadow the builtins
    for the rest of the module (a module-level def would, for every .pxi)."""
    def max(input, *args, **kwargs):
        """max(input): the largest element; max(input, dim, keepdim=False): a named tuple
        pyad.return_types.max(values, indices); max(input, other): pyad.maximum.

        Example:
            >>> pyad.max(pyad.tensor([[1., 5.], [3., 4.]]), 1).indices
            tensor([1, 1])
        """
        return rd_max_method(_t(input), args, kwargs, False)

    def min(input, *args, **kwargs):
        """min(input), min(input, dim, keepdim=False) -> (values, indices), min(input, other).

        Example:
            >>> pyad.min(pyad.tensor([[1., 5.], [3., 4.]]))
            tensor(1.)
        """
        return rd_max_method(_t(input), args, kwargs, True)

    def all(input, dim=None, keepdim=False):
        """True where every element (over dim; None: all) is nonzero; a bool tensor.

        Example:
            >>> pyad.all(pyad.tensor([[1., 0.], [2., 3.]]), 1)
            tensor([False,  True])
        """
        return t_all_any(_t(input), dim, keepdim, True)

    def any(input, dim=None, keepdim=False):
        """True where some element (over dim; None: all) is nonzero; a bool tensor.

        Example:
            >>> pyad.any(pyad.tensor([[1., 0.], [0., 0.]]), 1)
            tensor([ True, False])
        """
        return t_all_any(_t(input), dim, keepdim, False)

    return max, min, all, any


for _fn in _builtin_named():
    globals()[_fn.__name__] = _fn

__all__ += ["prod", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std", "norm",
            "logsumexp", "cumsum", "cumprod", "all", "any", "return_types"]
