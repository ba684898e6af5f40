# cmath.pxi: CMath, one backward formula over C-level values for both sweeps (issue 14, "one
# definition per op"), for the ops whose numeric backward is big C kernels or loops (matrix
# products here in the ops layer; cumsum/cumprod in ops_reduce.pxi).
#
# Such an op writes its backward ONCE, as a function of a CMath (a table of operations), the
# node and the gradient, setting one BV per input:
#
#     cdef int bmm_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1
#
# and registers it with register_cmath (a new opcode) or set_cmath (a core opcode). A BV is a
# value: a Buffer and its Meta on the numeric sweep (CMATH_NUM: no Python object per node), a
# Tensor on the recorded one (CMATH_REC: every operation a differentiable pyad op, so the
# backward is itself recorded). Both sweeps run the same steps in the same order, so they
# cannot drift. Every operation writes a new value into *out, which the caller releases with
# bv_clear.
#
# The types (BV, CMath, cmath_bw_t) are declared in layer_ops.pxd. This file fills in the
# operations every formula may use; an op family whose formula needs operations of its own
# declares them in the CMath struct and fills both tables' entries in its own file
# (ops_reduce.pxi: cumsum, cumprod_grad, has_zero).

cdef cmath_bw_t CMATH_BW[MAX_OPS]   # the written-once backward of each opcode that has one


cdef void bv_init(BV* v) noexcept:
    v.buf = NULL
    v.t = NULL
    v.m.shape = v.shp
    v.m.ndim = 0

cdef void bv_clear(BV* v) noexcept:
    buf_decref(v.buf)
    v.buf = NULL
    Py_XDECREF(v.t)
    v.t = NULL

cdef void bv_meta(BV* v, const Meta* m) noexcept:
    cdef int d
    v.m.dtype = m.dtype
    v.m.ndim = m.ndim
    v.m.numel = m.numel
    v.m.shape = v.shp
    for d in range(m.ndim):     # not memcpy: a 0-d meta's shape may be NULL (UB for memcpy)
        v.shp[d] = m.shape[d]

cdef void bv_set_buffer(BV* v, Buffer* b, const Meta* m) noexcept:
    """v := the new reference b, of meta m."""
    v.buf = b
    bv_meta(v, m)

cdef int bv_set_tensor(BV* v, Tensor t) except -1:
    Py_INCREF(t)
    v.t = <PyObject*>t
    bv_meta(v, &t.m)
    return 0

cdef void bv_copy(BV* out, const BV* x) noexcept:
    """out := x (one more reference)."""
    buf_incref(x.buf)
    if x.t != NULL:
        Py_INCREF(<object>x.t)
    out.buf = x.buf
    out.t = x.t
    bv_meta(out, &x.m)

cdef Tensor bv_t(const BV* v):
    return <Tensor>v.t


# ---- the numeric CMath: Buffers and the C loops ----
cdef int cm_num_input(BV* out, Node* n, int slot) except -1:
    cdef Tensor t = saved_tensor(n, slot)
    buf_incref(t.buf)
    bv_set_buffer(out, t.buf, &t.m)
    return 0

cdef int cm_num_result(BV* out, Node* n) except -1:
    buf_incref(n.saved_out)
    bv_set_buffer(out, n.saved_out, &n.out_meta)
    return 0

cdef int cm_num_zip(BV* out, int k, const BV* a, const BV* b) except -1:
    cdef const char* xs[2]
    cdef const Meta* ms[2]
    xs[0], xs[1] = a.buf.data, b.buf.data
    ms[0], ms[1] = &a.m, &b.m
    bv_set_buffer(out, nb_zip(k, 2, xs, ms, &a.m, NULL), &a.m)
    return 0

cdef int cm_num_mul(BV* out, const BV* a, const BV* b) except -1:
    return cm_num_zip(out, K_MUL, a, b)

cdef int cm_num_div(BV* out, const BV* a, const BV* b) except -1:
    return cm_num_zip(out, K_DIV, a, b)

cdef int cm_num_bmm(BV* out, const BV* a, const BV* b, int kind, Py_ssize_t nb, Py_ssize_t M,
                    Py_ssize_t K, Py_ssize_t N, bint ta, bint tb, const Meta* m) except -1:
    cdef Py_ssize_t sa[3]
    cdef Py_ssize_t sb[3]
    cdef Buffer* r = buf_new(nb * M * N * itemsize(m.dtype))
    bmm_strides(sa, M, K, ta)
    bmm_strides(sb, K, N, tb)
    nb_bmm(a.buf.data, b.buf.data, r.data, m.dtype, nb, M, K, N, sa, sb)
    bv_set_buffer(out, r, m)
    return 0

cdef int cm_num_gather(BV* out, const BV* x, Py_ssize_t offset, const Py_ssize_t* strides,
                       const Meta* m, int name, int adjoint_name) except -1:
    cdef Meta mo = m[0]
    mo.dtype = x.m.dtype            # (m may be an input's meta of another dtype: cat's)
    bv_set_buffer(out, nb_gather(x.buf.data, x.m.dtype, offset, strides, &mo), &mo)
    return 0

cdef int cm_num_scatter(BV* out, const BV* x, Py_ssize_t offset, const Py_ssize_t* strides,
                        const Meta* m, int name, int adjoint_name) except -1:
    cdef Meta mo = m[0]
    mo.dtype = x.m.dtype
    bv_set_buffer(out, nb_scatter(x.buf.data, &x.m, offset, strides, &mo), &mo)
    return 0

cdef int cm_num_to(BV* out, const BV* x, int dtype) except -1:
    bv_set_buffer(out, nb_cast(x.buf.data, &x.m, dtype), &x.m)
    out.m.dtype = dtype
    return 0

cdef int cm_num_zeros(BV* out, const Meta* m) except -1:
    bv_set_buffer(out, buf_zeros(m), m)
    return 0


# ---- the recorded CMath: differentiable pyad ops ----
cdef int cm_rec_input(BV* out, Node* n, int slot) except -1:
    return bv_set_tensor(out, saved_tensor(n, slot))

cdef int cm_rec_result(BV* out, Node* n) except -1:
    return bv_set_tensor(out, saved_result(n))

cdef int cm_rec_mul(BV* out, const BV* a, const BV* b) except -1:
    return bv_set_tensor(out, t_mul(bv_t(a), bv_t(b)))

cdef int cm_rec_div(BV* out, const BV* a, const BV* b) except -1:
    return bv_set_tensor(out, t_div(bv_t(a), bv_t(b)))

cdef int cm_rec_bmm(BV* out, const BV* a, const BV* b, int kind, Py_ssize_t nb, Py_ssize_t M,
                    Py_ssize_t K, Py_ssize_t N, bint ta, bint tb, const Meta* m) except -1:
    cdef Tensor x = bv_t(a), y = bv_t(b)
    if x.m.ndim == 0 or y.m.ndim == 0:      # a scalar times a vector (dot's gradients)
        return bv_set_tensor(out, t_mul(x, y))
    if x.m.ndim == 1 and y.m.ndim == 1 and m.ndim == 2:    # an outer product (mv's gradient)
        return bv_set_tensor(out, t_mul(t_unsqueeze(x, 1), t_unsqueeze(y, 0)))
    return bv_set_tensor(out, t_bmm_kind(x, y, kind, nb, M, K, N, m.ndim, m.shape, ta, tb))

cdef int cm_rec_gather(BV* out, const BV* x, Py_ssize_t offset, const Py_ssize_t* strides,
                       const Meta* m, int name, int adjoint_name) except -1:
    return bv_set_tensor(out, t_gather(bv_t(x), offset, strides, m.ndim, m.shape, name,
                                       adjoint_name))

cdef int cm_rec_scatter(BV* out, const BV* x, Py_ssize_t offset, const Py_ssize_t* strides,
                        const Meta* m, int name, int adjoint_name) except -1:
    return bv_set_tensor(out, t_scatter(bv_t(x), offset, strides, m.ndim, m.shape, name,
                                        adjoint_name))

cdef int cm_rec_to(BV* out, const BV* x, int dtype) except -1:
    return bv_set_tensor(out, t_to(bv_t(x), dtype))

cdef int cm_rec_zeros(BV* out, const Meta* m) except -1:
    cdef Tensor z = new_tensor(m.dtype, m.ndim, m.shape)
    memset(z.buf.data, 0, m.numel * itemsize(m.dtype))
    return bv_set_tensor(out, z)


CMATH_NUM.recorded = False
CMATH_NUM.input = cm_num_input
CMATH_NUM.result = cm_num_result
CMATH_NUM.mul = cm_num_mul
CMATH_NUM.div = cm_num_div
CMATH_NUM.bmm = cm_num_bmm
CMATH_NUM.gather = cm_num_gather
CMATH_NUM.scatter = cm_num_scatter
CMATH_NUM.to = cm_num_to
CMATH_NUM.zeros = cm_num_zeros

CMATH_REC.recorded = True
CMATH_REC.input = cm_rec_input
CMATH_REC.result = cm_rec_result
CMATH_REC.mul = cm_rec_mul
CMATH_REC.div = cm_rec_div
CMATH_REC.bmm = cm_rec_bmm
CMATH_REC.gather = cm_rec_gather
CMATH_REC.scatter = cm_rec_scatter
CMATH_REC.to = cm_rec_to
CMATH_REC.zeros = cm_rec_zeros


cdef BV* cmath_outs(Node* n, BV* small) except NULL:
    """The BVs of n's input gradients, initialised: small (CMATH_SMALL of them, on the
    caller's stack) or, for more inputs, a new array the caller frees (cmath_outs_free)."""
    cdef BV* outs = small
    cdef int i
    if n.n_in > CMATH_SMALL:
        outs = <BV*>malloc(n.n_in * sizeof(BV))
        if outs == NULL:
            raise MemoryError()
    for i in range(n.n_in):
        bv_init(&outs[i])
    return outs

cdef void cmath_outs_free(Node* n, BV* outs, BV* small) noexcept:
    cdef int i
    for i in range(n.n_in):
        if outs[i].buf != NULL or outs[i].t != NULL:    # (most were handed on)
            bv_clear(&outs[i])
    if outs != small:
        free(outs)


# The metas of gradients a formula gave in another shape or dtype than their input's and than
# the output's (scatter_add's of src: index-shaped; where's of a float32 operand beside a
# float64 one: the promoted dtype), which the engine reduces to the input's shape and casts to
# its dtype as it reads them, right after the formula returns, as the recorded sweep's engine
# does too (fix_grad_numeric, fix_grad_recorded: torch's validate_outputs). A gradient of the
# output's shape and dtype, as masked_fill's of an input broadcast by the mask, is described by
# the node's out_meta.
cdef Meta _CMATH_GM[CMATH_SMALL]
cdef Py_ssize_t _CMATH_GM_SHAPE[CMATH_SMALL][PYAD_MAXDIM]
for _i in range(CMATH_SMALL):
    _CMATH_GM[_i].shape = _CMATH_GM_SHAPE[_i]

cdef int cmath_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm,
                       GradSink* sink) except -1:
    cdef BV gv
    cdef BV small[CMATH_SMALL]
    cdef BV* outs = cmath_outs(n, small)
    cdef int i
    gv.buf = g                  # borrowed (the sweep holds g while the formula runs)
    gv.t = NULL
    gv.m = n.out_meta           # its shape the node's
    try:
        CMATH_BW[n.op](&CMATH_NUM, n, &gv, outs)
        for i in range(n.n_in):
            if outs[i].buf != NULL:
                gin[i] = outs[i].buf
                outs[i].buf = NULL
                gm[i] = &n.in_meta[i]
                if same_shape(&outs[i].m, gm[i]) and outs[i].m.dtype == gm[i].dtype:
                    continue
                if same_shape(&outs[i].m, &n.out_meta) and outs[i].m.dtype == n.out_meta.dtype:
                    gm[i] = &n.out_meta
                    continue
                if i >= CMATH_SMALL:
                    raise SystemError("pyad: a CMath formula gave a gradient of another "
                                      "shape or dtype than its input's and its output's")
                meta_copy(&_CMATH_GM[i], &outs[i].m)
                gm[i] = &_CMATH_GM[i]
    finally:
        cmath_outs_free(n, outs, small)
    return 0


cdef list cmath_recorded(Node* n, Tensor g):
    cdef BV gv
    cdef BV small[CMATH_SMALL]
    cdef BV* outs = cmath_outs(n, small)
    cdef int i
    bv_init(&gv)
    bv_set_tensor(&gv, g)
    try:
        CMATH_BW[n.op](&CMATH_REC, n, &gv, outs)
        return [None if outs[i].t == NULL else <Tensor>outs[i].t for i in range(n.n_in)]
    finally:
        bv_clear(&gv)
        cmath_outs_free(n, outs, small)


cdef void set_cmath(int op, cmath_bw_t bw, int flags) noexcept:
    """Opcode op's backward is the written-once formula bw (both sweeps)."""
    OPS[op].numeric = cmath_numeric
    OPS[op].recorded = cmath_recorded
    OPS[op].flags = flags
    CMATH_BW[op] = bw


cdef int register_cmath(cmath_bw_t bw, int flags=0) except -1:
    """A new opcode whose backward is the written-once formula bw."""
    cdef int op = register_op(cmath_numeric, cmath_recorded, flags)
    CMATH_BW[op] = bw
    return op
