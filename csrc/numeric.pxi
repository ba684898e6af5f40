# numeric.pxi: buffers, metas and the numeric array helpers shared by forward ops and the
# C backward sweep. Every helper takes raw (data, Meta) pairs: no Python object per call.

cdef extern from "pyad_kernels.h":
    pyad_loop loop_neg_f32, loop_neg_f64, loop_neg_i64
    pyad_loop loop_exp_f32, loop_exp_f64
    pyad_loop loop_log_f32, loop_log_f64
    pyad_loop loop_sqrt_f32, loop_sqrt_f64
    pyad_loop loop_sin_f32, loop_sin_f64
    pyad_loop loop_cos_f32, loop_cos_f64
    pyad_loop loop_tanh_f32, loop_tanh_f64
    pyad_loop loop_sigmoid_f32, loop_sigmoid_f64
    pyad_loop loop_relu_f32, loop_relu_f64, loop_relu_i64, loop_sign_i64
    pyad_loop loop_abs_f32, loop_abs_f64, loop_abs_i64
    pyad_loop loop_sign_f32, loop_sign_f64
    pyad_loop loop_reciprocal_f32, loop_reciprocal_f64
    pyad_loop loop_fill_f32, loop_fill_f64
    pyad_loop loop_adds_f32, loop_adds_f64, loop_adds_i64
    pyad_loop loop_muls_f32, loop_muls_f64, loop_muls_i64
    pyad_loop loop_divs_f32, loop_divs_f64
    pyad_loop loop_rsubs_f32, loop_rsubs_f64, loop_rsubs_i64
    pyad_loop loop_pows_f32, loop_pows_f64, loop_pows_i64
    pyad_loop loop_rpows_f32, loop_rpows_f64, loop_rpows_i64
    pyad_loop loop_add_f32, loop_add_f64, loop_add_i64
    pyad_loop loop_sub_f32, loop_sub_f64, loop_sub_i64
    pyad_loop loop_mul_f32, loop_mul_f64, loop_mul_i64
    pyad_loop loop_mul_twice_f32, loop_mul_twice_f64
    pyad_loop loop_acc_mul_f32, loop_acc_mul_f64, loop_acc_mul_twice_f32, loop_acc_mul_twice_f64
    pyad_loop loop_div_f32, loop_div_f64
    pyad_loop loop_pow_f32, loop_pow_f64, loop_pow_i64
    pyad_loop loop_sin_bw_f32, loop_sin_bw_f64
    pyad_loop loop_cos_bw_f32, loop_cos_bw_f64
    pyad_loop loop_tanh_bw_f32, loop_tanh_bw_f64
    pyad_loop loop_sigmoid_bw_f32, loop_sigmoid_bw_f64
    pyad_loop loop_relu_bw_f32, loop_relu_bw_f64
    pyad_loop loop_abs_bw_f32, loop_abs_bw_f64
    pyad_loop loop_sqrt_bw_f32, loop_sqrt_bw_f64
    pyad_loop loop_reciprocal_bw_f32, loop_reciprocal_bw_f64
    pyad_loop loop_pows_bw_f32, loop_pows_bw_f64
    pyad_loop loop_rpows_bw_f32, loop_rpows_bw_f64
    pyad_loop loop_div_bw_b_f32, loop_div_bw_b_f64
    pyad_loop loop_pow_bw_a_f32, loop_pow_bw_a_f64
    pyad_loop loop_pow_bw_b_f32, loop_pow_bw_b_f64
    pyad_loop loop_accum_f32, loop_accum_f64, loop_accum_f32_in_f64, loop_accum_i64
    pyad_loop loop_accum_bool_in_i64


# Kernel ids (K_*): rows of KERNELS, columns are dtypes (f32, f64, i64); the enum is in
# layer_storage.pxd. NULL = unsupported dtype.
cdef pyad_loop KERNELS[MAX_KERNELS][3]
cdef int _n_kernels = K_COUNT

cdef int register_kernel(pyad_loop f32, pyad_loop f64, pyad_loop i64) except -1:
    """A kernel id for loops an op family declares (column = dtype: f32, f64, i64/bool)."""
    global _n_kernels
    if _n_kernels >= MAX_KERNELS:
        raise RuntimeError("pyad: too many registered kernels")
    _k(_n_kernels, f32, f64, i64)
    _n_kernels += 1
    return _n_kernels - 1

cdef void _k(int k, pyad_loop f32, pyad_loop f64, pyad_loop i64) noexcept:
    KERNELS[k][0] = f32
    KERNELS[k][1] = f64
    KERNELS[k][2] = i64

cdef void init_kernels() noexcept:
    _k(K_NEG, loop_neg_f32, loop_neg_f64, loop_neg_i64)
    _k(K_EXP, loop_exp_f32, loop_exp_f64, NULL)
    _k(K_LOG, loop_log_f32, loop_log_f64, NULL)
    _k(K_SQRT, loop_sqrt_f32, loop_sqrt_f64, NULL)
    _k(K_SIN, loop_sin_f32, loop_sin_f64, NULL)
    _k(K_COS, loop_cos_f32, loop_cos_f64, NULL)
    _k(K_TANH, loop_tanh_f32, loop_tanh_f64, NULL)
    _k(K_SIGMOID, loop_sigmoid_f32, loop_sigmoid_f64, NULL)
    _k(K_RELU, loop_relu_f32, loop_relu_f64, loop_relu_i64)
    _k(K_ABS, loop_abs_f32, loop_abs_f64, loop_abs_i64)
    _k(K_SIGN, loop_sign_f32, loop_sign_f64, loop_sign_i64)
    _k(K_RECIPROCAL, loop_reciprocal_f32, loop_reciprocal_f64, NULL)
    _k(K_FILL, loop_fill_f32, loop_fill_f64, NULL)
    _k(K_ADDS, loop_adds_f32, loop_adds_f64, loop_adds_i64)
    _k(K_MULS, loop_muls_f32, loop_muls_f64, loop_muls_i64)
    _k(K_DIVS, loop_divs_f32, loop_divs_f64, NULL)
    _k(K_RSUBS, loop_rsubs_f32, loop_rsubs_f64, loop_rsubs_i64)
    _k(K_POWS, loop_pows_f32, loop_pows_f64, loop_pows_i64)
    _k(K_RPOWS, loop_rpows_f32, loop_rpows_f64, loop_rpows_i64)
    _k(K_ADD, loop_add_f32, loop_add_f64, loop_add_i64)
    _k(K_SUB, loop_sub_f32, loop_sub_f64, loop_sub_i64)
    _k(K_MUL, loop_mul_f32, loop_mul_f64, loop_mul_i64)
    _k(K_MUL_TWICE, loop_mul_twice_f32, loop_mul_twice_f64, NULL)
    _k(K_ACC_MUL, loop_acc_mul_f32, loop_acc_mul_f64, NULL)
    _k(K_ACC_MUL_TWICE, loop_acc_mul_twice_f32, loop_acc_mul_twice_f64, NULL)
    _k(K_DIV, loop_div_f32, loop_div_f64, NULL)
    _k(K_POW, loop_pow_f32, loop_pow_f64, loop_pow_i64)
    _k(K_SIN_BW, loop_sin_bw_f32, loop_sin_bw_f64, NULL)
    _k(K_COS_BW, loop_cos_bw_f32, loop_cos_bw_f64, NULL)
    _k(K_TANH_BW, loop_tanh_bw_f32, loop_tanh_bw_f64, NULL)
    _k(K_SIGMOID_BW, loop_sigmoid_bw_f32, loop_sigmoid_bw_f64, NULL)
    _k(K_RELU_BW, loop_relu_bw_f32, loop_relu_bw_f64, NULL)
    _k(K_ABS_BW, loop_abs_bw_f32, loop_abs_bw_f64, NULL)
    _k(K_SQRT_BW, loop_sqrt_bw_f32, loop_sqrt_bw_f64, NULL)
    _k(K_RECIPROCAL_BW, loop_reciprocal_bw_f32, loop_reciprocal_bw_f64, NULL)
    _k(K_POWS_BW, loop_pows_bw_f32, loop_pows_bw_f64, NULL)
    _k(K_RPOWS_BW, loop_rpows_bw_f32, loop_rpows_bw_f64, NULL)
    _k(K_DIV_BW_B, loop_div_bw_b_f32, loop_div_bw_b_f64, NULL)
    _k(K_POW_BW_A, loop_pow_bw_a_f32, loop_pow_bw_a_f64, NULL)
    _k(K_POW_BW_B, loop_pow_bw_b_f32, loop_pow_bw_b_f64, NULL)
    _k(K_ACCUM, loop_accum_f32, loop_accum_f64, loop_accum_i64)


cdef extern from "pyad_nploops.h":
    enum:
        PYAD_NP_EXP, PYAD_NP_LOG, PYAD_NP_TANH, PYAD_NP_SIN, PYAD_NP_COS, PYAD_NP_EXPM1,
        PYAD_NP_LOG1P, PYAD_NP_MATMUL
    int pyad_np_take(object ufunc, int which)
    int pyad_np_bmm(const char* A, const char* B, char* C, int col, Py_ssize_t nb,
                    Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const Py_ssize_t* sa,
                    const Py_ssize_t* sb) noexcept
    pyad_loop loop_np_exp_f32, loop_np_exp_f64, loop_np_log_f32, loop_np_log_f64
    pyad_loop loop_np_tanh_f32, loop_np_tanh_f64, loop_np_sin_f32, loop_np_cos_f32
    pyad_loop loop_np_expm1_f32, loop_np_expm1_f64
    pyad_loop loop_np_log1p_f32, loop_np_log1p_f64

cdef extern from "pyad_alloc.h":
    void* pyad_alloc(size_t total) nogil
    void pyad_free(void* p, size_t total) nogil
    void pyad_empty_cache() nogil


def _empty_cache():
    """Free the large blocks pyad keeps for reuse (see pyad_alloc.h)."""
    pyad_empty_cache()


cdef bint _np_matmul_f32 = False, _np_matmul_f64 = False

cdef void _use_np_loop(int k, object ufunc, int which, pyad_loop f32, pyad_loop f64):
    """Replace kernel k's float loops by numpy's (SIMD) inner loops for ufunc, where found
    (f64 NULL: keep pyad's float64 loop)."""
    cdef int found = pyad_np_take(ufunc, which)
    if found & 1:
        KERNELS[k][0] = f32
    if found & 2 and f64 != NULL:
        KERNELS[k][1] = f64

cdef void install_numpy_loops(int k_expm1, int k_log1p):
    """Called once at import, after every kernel is registered (see pyad_nploops.h)."""
    global _np_matmul_f32, _np_matmul_f64
    _use_np_loop(K_EXP, np.exp, PYAD_NP_EXP, loop_np_exp_f32, loop_np_exp_f64)
    _use_np_loop(K_LOG, np.log, PYAD_NP_LOG, loop_np_log_f32, loop_np_log_f64)
    _use_np_loop(K_TANH, np.tanh, PYAD_NP_TANH, loop_np_tanh_f32, loop_np_tanh_f64)
    # float64 sin/cos stay pyad's (pyad_trig.h: vectorised; numpy's call libm per element)
    _use_np_loop(K_SIN, np.sin, PYAD_NP_SIN, loop_np_sin_f32, NULL)
    _use_np_loop(K_COS, np.cos, PYAD_NP_COS, loop_np_cos_f32, NULL)
    _use_np_loop(k_expm1, np.expm1, PYAD_NP_EXPM1, loop_np_expm1_f32, loop_np_expm1_f64)
    _use_np_loop(k_log1p, np.log1p, PYAD_NP_LOG1P, loop_np_log1p_f32, loop_np_log1p_f64)
    cdef int found = pyad_np_take(np.matmul, PYAD_NP_MATMUL)
    _np_matmul_f32 = (found & 1) != 0
    _np_matmul_f64 = (found & 2) != 0


# ============================================================================================
# Buffers
# ============================================================================================
class OutOfMemoryError(RuntimeError, MemoryError):
    """A failed allocation: a RuntimeError, as torch's CPU allocator raises, and a
    MemoryError, as Python's."""


cdef Buffer* buf_new(Py_ssize_t nbytes) except NULL:
    """One allocation for header and data; data 64-byte aligned for SIMD loads."""
    cdef Buffer* b
    cdef size_t total
    if nbytes < 0 or <size_t>nbytes > <size_t>(PY_SSIZE_T_MAX - 256):
        raise OutOfMemoryError(f"pyad: cannot allocate {nbytes} bytes")
    total = sizeof(Buffer) + 64 + <size_t>nbytes
    b = <Buffer*>pyad_alloc(total)
    if b == NULL:
        raise OutOfMemoryError(f"pyad: can't allocate memory: you tried to allocate {nbytes} "
                               "bytes")
    b.refcnt = 1
    b.data = <char*>((<size_t>(<char*>b + sizeof(Buffer)) + 63) & ~(<size_t>63))
    b.base = NULL
    b.nbytes = nbytes
    b.version = 0
    b.uniform = 0
    return b

cdef Buffer* buf_zeros(const Meta* m) except NULL:
    """A new buffer of zeros in m's size and dtype (a zero gradient)."""
    cdef Buffer* b = buf_new(m.numel * itemsize(m.dtype))
    memset(b.data, 0, m.numel * itemsize(m.dtype))
    return b

cdef Buffer* buf_wrap(object owner, char* data, Py_ssize_t nbytes) except NULL:
    """A Buffer over foreign memory (a numpy array), keeping its owner alive."""
    cdef Buffer* b = <Buffer*>malloc(sizeof(Buffer))
    if b == NULL:
        raise MemoryError()
    b.refcnt = 1
    b.data = data
    Py_INCREF(owner)
    b.base = <PyObject*>owner
    b.nbytes = nbytes
    b.version = 0
    b.uniform = 0
    return b

cdef inline void buf_incref(Buffer* b) noexcept:
    if b != NULL:
        b.refcnt += 1

cdef inline void buf_decref(Buffer* b) noexcept:
    if b == NULL:
        return
    b.refcnt -= 1
    if b.refcnt == 0:
        if b.base != NULL:
            Py_DECREF(<object>b.base)
            free(b)
        else:
            pyad_free(b, sizeof(Buffer) + 64 + <size_t>b.nbytes)


# ============================================================================================
# Metas and shapes
# ============================================================================================
cdef inline Py_ssize_t itemsize(int dtype) noexcept nogil:
    return pyad_itemsize[dtype]

cdef inline int kcol(int dtype) noexcept nogil:
    # column in KERNELS; bool arithmetic is done as int64 by callers
    return dtype if dtype <= PYAD_I64 else PYAD_I64

cdef inline bint same_shape(const Meta* a, const Meta* b) noexcept nogil:
    cdef int d
    if a.ndim != b.ndim:
        return False
    for d in range(a.ndim):
        if a.shape[d] != b.shape[d]:
            return False
    return True

cdef inline void contiguous_strides(const Meta* m, Py_ssize_t* out) noexcept nogil:
    """Element strides of a C-contiguous layout."""
    cdef Py_ssize_t s = 1
    cdef int d
    for d in range(m.ndim - 1, -1, -1):
        out[d] = s
        s *= m.shape[d]

cdef inline void broadcast_byte_strides(const Meta* m, const Meta* out,
                                        Py_ssize_t* st) noexcept nogil:
    """Byte strides of m viewed in out's (broadcast) index space: 0 on broadcast dims."""
    cdef int d, off = out.ndim - m.ndim
    cdef Py_ssize_t s = itemsize(m.dtype)
    for d in range(out.ndim - 1, -1, -1):
        if d < off or m.shape[d - off] == 1:
            st[d] = 0
        else:
            st[d] = s
            s *= m.shape[d - off]

cdef inline void meta_copy(Meta* dst, const Meta* src) noexcept nogil:
    cdef int d
    dst.dtype = src.dtype
    dst.ndim = src.ndim
    dst.numel = src.numel
    for d in range(src.ndim):
        dst.shape[d] = src.shape[d]

cdef int check_no_negative(int ndim, const Py_ssize_t* shape) except -1:
    """torch's refusal of a negative size (its empty/full/new's), naming the first."""
    cdef int d
    for d in range(ndim):
        if shape[d] < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {shape[d]}: "
                               f"{[shape[i] for i in range(ndim)]}")
    return 0

cdef Py_ssize_t shape_numel(int ndim, const Py_ssize_t* shape) except -1:
    """Product of sizes with overflow and sign checks."""
    cdef Py_ssize_t n = 1
    cdef int d
    cdef bint empty = False
    for d in range(ndim):
        if shape[d] <= 0:
            if shape[d] < 0:
                check_no_negative(ndim, shape)      # raises, naming the first negative size
            empty = True
    if empty:
        return 0
    for d in range(ndim):
        # bounded so that numel * itemsize (at most 8) cannot overflow either: zeros(2**62,
        # dtype=float64) made 2**65 bytes, wrapped to 0, and got a 0-byte buffer
        if n > (PY_SSIZE_T_MAX // 8) // shape[d]:
            raise RuntimeError(f"Storage size calculation overflowed with sizes="
                               f"{[shape[i] for i in range(ndim)]}")
        n *= shape[d]
    return n

cdef int broadcast_meta(const Meta* a, const Meta* b, Meta* out) except -1:
    """NumPy broadcasting of a and b into out (out.shape must have room for PYAD_MAXDIM)."""
    cdef int nd = a.ndim if a.ndim > b.ndim else b.ndim
    cdef int d, ia, ib
    cdef Py_ssize_t sa, sb
    out.ndim = nd
    for d in range(nd - 1, -1, -1):          # from the last dim, so torch's dim is reported
        ia = d - (nd - a.ndim)
        ib = d - (nd - b.ndim)
        sa = a.shape[ia] if ia >= 0 else 1
        sb = b.shape[ib] if ib >= 0 else 1
        if sa == sb or sb == 1:
            out.shape[d] = sa
        elif sa == 1:
            out.shape[d] = sb
        else:
            raise RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b "
                               f"({sb}) at non-singleton dimension {d}")
    out.numel = shape_numel(nd, out.shape)
    return 0


# ============================================================================================
# Numeric helpers: each returns a new Buffer (refcount 1) laid out as the given out meta.
# ============================================================================================
cdef Buffer* nb_cast(const char* x, const Meta* mx, int dtype) except NULL:
    cdef Buffer* out = buf_new(mx.numel * itemsize(dtype))
    cdef char* args[2]
    cdef Py_ssize_t steps[2]
    args[0] = <char*>x
    args[1] = out.data
    steps[0] = itemsize(mx.dtype)
    steps[1] = itemsize(dtype)
    pyad_cast_loop(mx.dtype, dtype)(args, steps, mx.numel, NULL)
    return out

cdef inline pyad_loop kernel_for(int k, int dtype) except NULL:
    cdef pyad_loop f = KERNELS[k][kcol(dtype)]
    if f == NULL:
        raise RuntimeError(f"pyad: operation not supported for {DTYPE_NAMES[dtype]} tensors")
    return f

cdef Buffer* nb_map(int k, const char* x, const Meta* mx, const Meta* mout,
                    const double* c) except NULL:
    """out = k(x) elementwise; x already has mout's dtype; mout may broadcast x."""
    return nb_map_loop(kernel_for(k, mout.dtype), x, mx, mout, c)

cdef Buffer* nb_map_loop(pyad_loop f, const char* x, const Meta* mx, const Meta* mout,
                         const double* c) except NULL:
    """out = f(x) elementwise into a new buffer of mout's layout (x may be broadcast)."""
    cdef Buffer* out = buf_new(mout.numel * itemsize(mout.dtype))
    cdef char* base[2]
    cdef Py_ssize_t st[2][PYAD_MAXDIM]
    cdef Py_ssize_t steps[2]
    base[0] = <char*>x
    base[1] = out.data
    if mx.numel == mout.numel:
        steps[0] = itemsize(mx.dtype)
        steps[1] = itemsize(mout.dtype)
        f(base, steps, mout.numel, c)
    else:
        broadcast_byte_strides(mx, mout, st[0])
        broadcast_byte_strides(mout, mout, st[1])
        pyad_nd_apply(2, base, st, mout.ndim, mout.shape, f, c)
    return out

cdef Buffer* nb_zip(int k, int nops, const char** xs, const Meta** ms, const Meta* mout,
                    const double* c) except NULL:
    """out = k(x0, x1[, x2]) elementwise with broadcasting; operands have mout's dtype."""
    return nb_zip_loop(kernel_for(k, mout.dtype), nops, xs, ms, mout, c)

cdef Buffer* nb_zip_loop(pyad_loop f, int nops, const char** xs, const Meta** ms,
                         const Meta* mout, const double* c) except NULL:
    """out = f(x0, x1[, x2[, x3]]) with broadcasting; each operand's stride uses its own dtype."""
    cdef Buffer* out = buf_new(mout.numel * itemsize(mout.dtype))
    nb_zip_write(f, nops, xs, ms, mout, c, out.data)
    return out

cdef void nb_zip_write(pyad_loop f, int nops, const char** xs, const Meta** ms,
                       const Meta* mout, const double* c, char* out) noexcept:
    """nb_zip_loop into existing memory of mout's layout (which may be one of the operands)."""
    cdef char* base[5]
    cdef Py_ssize_t st[5][PYAD_MAXDIM]
    cdef Py_ssize_t steps[5]
    cdef int i
    cdef bint flat = True
    # the (at most 4) operand pointers one by one: GCC makes a copy loop a memcpy call, which
    # costs more than the copy for so few
    if nops > 0:
        base[0] = <char*>xs[0]
    if nops > 1:
        base[1] = <char*>xs[1]
    if nops > 2:
        base[2] = <char*>xs[2]
    if nops > 3:
        base[3] = <char*>xs[3]
    for i in range(nops):
        if ms[i].numel != mout.numel and ms[i].numel != 1:
            flat = False
    base[nops] = out
    if flat and mout.numel > 0:
        # same-size operands (or a scalar second operand): one contiguous run
        for i in range(nops):
            steps[i] = 0 if ms[i].numel != mout.numel else itemsize(ms[i].dtype)
        steps[nops] = itemsize(mout.dtype)
        f(base, steps, mout.numel, c)
    else:
        for i in range(nops):
            broadcast_byte_strides(ms[i], mout, st[i])
        broadcast_byte_strides(mout, mout, st[nops])
        pyad_nd_apply(nops + 1, base, st, mout.ndim, mout.shape, f, c)

cdef Buffer* nb_reduce_to(const char* x, const Meta* mx, const Meta* mout) except NULL:
    """Sum x over the dims where mout (right-aligned, keepdim-style sizes) is 1 or absent."""
    # float32 sums accumulate in float64; bool counts in int64 (a bool accumulator wraps at 256)
    cdef int acc_dtype = (PYAD_F64 if mx.dtype == PYAD_F32 else
                          PYAD_I64 if mx.dtype == PYAD_BOOL else mx.dtype)
    cdef Buffer* acc = buf_new(mout.numel * itemsize(acc_dtype))
    cdef Buffer* out
    cdef char* base[2]
    cdef Py_ssize_t st[2][PYAD_MAXDIM]
    cdef pyad_loop f
    cdef Meta macc
    memset(acc.data, 0, mout.numel * itemsize(acc_dtype))
    if mout.numel == 1 and mx.dtype != PYAD_I64 and mx.dtype != PYAD_BOOL:
        (<double*>acc.data)[0] = (pyad_sum_f32(<float*>x, mx.numel) if mx.dtype == PYAD_F32
                                  else pyad_sum_f64(<double*>x, mx.numel))
    else:
        macc.dtype = acc_dtype
        macc.ndim = mout.ndim
        macc.numel = mout.numel
        macc.shape = mout.shape
        if mx.dtype == PYAD_F32:
            f = loop_accum_f32_in_f64
        elif mx.dtype == PYAD_BOOL:
            f = loop_accum_bool_in_i64
        else:
            f = KERNELS[K_ACCUM][kcol(mx.dtype)]
        base[0] = <char*>x
        base[1] = acc.data
        broadcast_byte_strides(mx, mx, st[0])
        broadcast_byte_strides(&macc, mx, st[1])
        pyad_nd_apply(2, base, st, mx.ndim, mx.shape, f, NULL)
    if acc_dtype == mout.dtype:
        return acc
    macc.dtype = acc_dtype
    macc.ndim = mout.ndim
    macc.numel = mout.numel
    macc.shape = mout.shape
    try:
        out = nb_cast(acc.data, &macc, mout.dtype)
    finally:
        buf_decref(acc)
    return out

cdef Buffer* nb_gather(const char* x, int dtype, Py_ssize_t offset, const Py_ssize_t* strides,
                       const Meta* mout) except NULL:
    """out[i] = x[offset + sum_d i_d * strides[d]] (element units): select, slice, permute,
    expand."""
    cdef Py_ssize_t isz = itemsize(dtype)
    cdef Buffer* out = buf_new(mout.numel * isz)
    cdef char* base[2]
    cdef Py_ssize_t st[2][PYAD_MAXDIM]
    cdef int d
    for d in range(mout.ndim):
        st[0][d] = strides[d] * isz
    broadcast_byte_strides(mout, mout, st[1])
    base[0] = <char*>x + offset * isz
    base[1] = out.data
    pyad_nd_apply(2, base, st, mout.ndim, mout.shape, pyad_cast_loop(dtype, dtype), NULL)
    return out

cdef Buffer* nb_scatter(const char* g, const Meta* mg, Py_ssize_t offset,
                        const Py_ssize_t* strides, const Meta* mout) except NULL:
    """The adjoint of nb_gather: zeros(mout), then out[offset + i.strides] += g[i]."""
    cdef Py_ssize_t isz = itemsize(mg.dtype)
    cdef Buffer* out = buf_new(mout.numel * isz)
    cdef char* base[2]
    cdef Py_ssize_t st[2][PYAD_MAXDIM]
    cdef int d
    memset(out.data, 0, mout.numel * isz)
    broadcast_byte_strides(mg, mg, st[0])
    for d in range(mg.ndim):
        st[1][d] = strides[d] * isz
    base[0] = <char*>g
    base[1] = out.data + offset * isz
    pyad_nd_apply(2, base, st, mg.ndim, mg.shape, KERNELS[K_ACCUM][kcol(mg.dtype)], NULL)
    return out

cdef int nb_add_inplace(Buffer* acc, const char* x, const Meta* m, bint x_is_one=False) except -1:
    """acc += x, same meta: gradient accumulation into a buffer the engine owns. x_is_one: x is
    one value added to every element (a uniform gradient)."""
    cdef char* args[3]
    cdef Py_ssize_t steps[3]
    cdef double one = 1.0
    cdef pyad_loop f = KERNELS[K_ADD][kcol(m.dtype)]
    args[0] = acc.data
    args[1] = <char*>x
    args[2] = acc.data
    steps[0] = itemsize(m.dtype)
    steps[1] = 0 if x_is_one else steps[0]
    steps[2] = steps[0]
    f(args, steps, m.numel, &one)
    return 0

cdef Meta ONE_ELEMENT[PYAD_NDTYPES]         # 0-d metas by dtype: a uniform gradient's one value
for _d in range(PYAD_NDTYPES):
    ONE_ELEMENT[_d].dtype, ONE_ELEMENT[_d].ndim, ONE_ELEMENT[_d].numel = _d, 0, 1
    ONE_ELEMENT[_d].shape = NULL


# ---- uniform gradients (Buffer.uniform): the gradient of a full sum is one value everywhere.
# The sweep passes it on as one element, so sum -> add -> mul chains never write a buffer of
# ones; engine.pxi expands it before any consumer that is not uniform-aware.
cdef Buffer* buf_uniform(const char* value, int dtype) except NULL:
    cdef Buffer* b = buf_new(itemsize(dtype))
    memcpy(b.data, value, itemsize(dtype))
    b.uniform = 1
    return b

cdef Buffer* uniform_expand(const Buffer* g, const Meta* m) except NULL:
    """A new full buffer of m's layout holding g's one value in every element."""
    cdef Py_ssize_t zero[PYAD_MAXDIM]
    cdef int d
    for d in range(m.ndim):
        zero[d] = 0
    return nb_gather(g.data, m.dtype, 0, zero, m)

cdef int nb_bmm(const char* A, const char* B, char* C, int dtype, Py_ssize_t nb, Py_ssize_t M,
                Py_ssize_t K, Py_ssize_t N, const Py_ssize_t* sa, const Py_ssize_t* sb) except -1:
    """C[b] = A[b] @ B[b] on strided operands; large products go to numpy's BLAS."""
    if dtype == PYAD_I64:       # exact (wrapping) int64 sums; numpy's int matmul is no faster
        pyad_bmm_i64(<const int64_t*>A, <const int64_t*>B, <int64_t*>C, nb, M, K, N, sa, sb)
        return 0
    if M * N * K >= 32768 and nb * M * N * K > 0:
        if (dtype == PYAD_F32 and _np_matmul_f32) or (dtype == PYAD_F64 and _np_matmul_f64):
            pyad_np_bmm(A, B, C, dtype == PYAD_F64, nb, M, K, N, sa, sb)
        else:
            _bmm_numpy(A, B, C, dtype, nb, M, K, N, sa, sb)
        return 0
    if dtype == PYAD_F32:
        pyad_bmm_f32(<const float*>A, <const float*>B, <float*>C, nb, M, K, N, sa, sb)
    elif dtype == PYAD_F64:
        pyad_bmm_f64(<const double*>A, <const double*>B, <double*>C, nb, M, K, N, sa, sb)
    else:
        raise RuntimeError(f"pyad: matmul is not supported for {DTYPE_NAMES[dtype]} tensors")
    return 0

cdef object _np_strided(const char* p, int dtype, Py_ssize_t nb, Py_ssize_t r, Py_ssize_t c,
                        const Py_ssize_t* s):
    isz = itemsize(dtype)
    span = ((nb - 1) * s[0] + (r - 1) * s[1] + (c - 1) * s[2] + 1) * isz
    raw = np.frombuffer(<char[:span]> p, dtype=np.uint8)
    return np.lib.stride_tricks.as_strided(raw.view(NP_DTYPES[dtype]), shape=(nb, r, c),
                                           strides=(s[0] * isz, s[1] * isz, s[2] * isz))

cdef int _bmm_numpy(const char* A, const char* B, char* C, int dtype, Py_ssize_t nb,
                    Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const Py_ssize_t* sa,
                    const Py_ssize_t* sb) except -1:
    cdef Py_ssize_t sc[3]
    sc[0] = M * N
    sc[1] = N
    sc[2] = 1
    a = _np_strided(A, dtype, nb, M, K, sa)
    b = _np_strided(B, dtype, nb, K, N, sb)
    c = _np_strided(C, dtype, nb, M, N, sc)
    np.matmul(a, b, out=c)
    return 0
