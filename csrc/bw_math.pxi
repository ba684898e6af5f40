# bw_math.pxi: one backward formula for both sweeps (issue 14, "one definition per op").
#
# A structural op whose backward is built from big kernels (solve, inv, det, slogdet, cholesky)
# writes its backward ONCE, as a function of a _BwMath and the node:
#
#     cdef list inv_bw(_BwMath M, Node* n, object g):
#         yt = M.mT(M.result(n))
#         return [M.neg(M.matmul(yt, M.matmul(g, yt)))]
#
# and registers it with register_once(inv_bw). _BwMath has two implementations:
#   _NumBw  (create_graph=False): values are numpy arrays over the buffers (no graph, no
#          Tensor); the adapter once_numeric sums each gradient to its input's shape and
#          copies it into a new Buffer;
#   _RecBw  (create_graph=True): values are pyad Tensors and every operation is a
#          differentiable pyad op, so the backward is itself recorded.
# Both run the same steps in the same order, so the two sweeps cannot drift. Where an operation
# cannot be the same on both (a cofactor matrix: the SVD is not differentiable in pyad), it is
# one operation of _BwMath with two implementations of one documented meaning; where torch's
# own formula branches on grad mode (det of a 1x1 matrix), the formula branches on M.recorded,
# in the open.
#
# Ops whose numeric backward is C loops (cumsum, cumprod) write theirs over CMath instead (the
# second half of this file): the same idea with C-level values (BV: a Buffer and its Meta, or a
# Tensor) and a table of C functions, so that the numeric sweep creates no Python object.

ctypedef list (*once_bw_t)(_BwMath M, Node* n, object g)
cdef once_bw_t ONCE_BW[MAX_OPS]     # the written-once backward of each opcode that has one


cdef class _BwMath:
    """The operations a written-once backward is made of (see the head of this file)."""
    cdef readonly bint recorded     # _RecBw: the values are Tensors and the steps are recorded

    cdef object input(self, Node* n, int slot):
        """The input saved in slot."""
        raise NotImplementedError

    cdef object result(self, Node* n):
        """The saved output."""
        raise NotImplementedError

    cdef int ndim(self, object x) except -1:
        raise NotImplementedError

    cdef Py_ssize_t size(self, object x, int d) except -1:
        """x's size along dim d (d < 0 counts from the end)."""
        raise NotImplementedError

    cdef object const(self, object arr, object like):
        """A constant (numpy array arr) in like's dtype, with no gradient."""
        raise NotImplementedError

    cdef object mT(self, object x):
        """x with its last two dims swapped."""
        raise NotImplementedError

    cdef object unsq(self, object x, int d):
        """x with a dim of size 1 inserted at d (d < 0 counts from the end of the result)."""
        raise NotImplementedError

    cdef object squeeze_last(self, object x):
        raise NotImplementedError

    cdef object expand_as(self, object x, object like):
        raise NotImplementedError

    cdef object neg(self, object x):
        raise NotImplementedError

    cdef object add(self, object a, object b):
        raise NotImplementedError

    cdef object mul(self, object a, object b):
        raise NotImplementedError

    cdef object muls(self, object a, double c):
        raise NotImplementedError

    cdef object matmul(self, object a, object b):
        raise NotImplementedError

    cdef object tril(self, object x):
        raise NotImplementedError

    cdef object solve(self, object A, object B):
        """A^-1 B (B a batch of matrices); a singular A raises torch's solve error."""
        raise NotImplementedError

    cdef object inv(self, object A):
        raise NotImplementedError

    cdef bint any_zero(self, object x) except -1:
        raise NotImplementedError

    cdef object cofactor(self, object A):
        """The cofactor matrix of A (det(A) A^-T where A is invertible), exact at a singular A:
        _NumBw through the SVD (determinants for a matrix holding NaN or inf), _RecBw every
        cofactor as a determinant (differentiable)."""
        raise NotImplementedError

    # ---- compositions (the same on both paths) ----
    cdef object eye_like(self, object A):
        """The identity of A's last dim, in A's dtype."""
        return self.const(np.eye(self.size(A, -1)), A)

    cdef object unsq2(self, object x):
        """x[..., None, None]."""
        return self.unsq(self.unsq(x, -1), -1)


@cython.final
cdef class _NumBw(_BwMath):
    """_BwMath over numpy arrays (create_graph=False): the values are views of the buffers or
    new arrays; nothing is recorded."""

    cdef object input(self, Node* n, int slot):
        return _mview(sdata(n, slot), smeta(n, slot))

    cdef object result(self, Node* n):
        return _mview(n.saved_out.data, &n.out_meta)

    cdef int ndim(self, object x) except -1:
        return x.ndim

    cdef Py_ssize_t size(self, object x, int d) except -1:
        return x.shape[d if d >= 0 else x.ndim + d]

    cdef object const(self, object arr, object like):
        return np.asarray(arr, dtype=like.dtype)

    cdef object mT(self, object x):
        return np.swapaxes(x, -1, -2)

    cdef object unsq(self, object x, int d):
        return np.expand_dims(x, d)

    cdef object squeeze_last(self, object x):
        return x[..., 0]

    cdef object expand_as(self, object x, object like):
        return np.broadcast_to(x, like.shape)

    cdef object neg(self, object x):
        return -x

    cdef object add(self, object a, object b):
        return a + b

    cdef object mul(self, object a, object b):
        return a * b

    cdef object muls(self, object a, double c):
        return a * a.dtype.type(c)

    cdef object matmul(self, object a, object b):
        return a @ b

    cdef object tril(self, object x):
        return np.tril(x)

    cdef object solve(self, object A, object B):
        try:
            return _np_solve(A, B)
        except np.linalg.LinAlgError:
            raise _singular_error(A, "solve") from None

    cdef object inv(self, object A):
        return np.linalg.inv(A)

    cdef bint any_zero(self, object x) except -1:
        return bool(np.any(x == 0))

    cdef object cofactor(self, object A):
        return _cofactor_np(A)


@cython.final
cdef class _RecBw(_BwMath):
    """_BwMath over pyad Tensors (create_graph=True): every step is a differentiable op."""

    def __cinit__(self):
        self.recorded = True

    cdef object input(self, Node* n, int slot):
        return saved_tensor(n, slot)

    cdef object result(self, Node* n):
        return saved_result(n)

    cdef int ndim(self, object x) except -1:
        return (<Tensor>x).m.ndim

    cdef Py_ssize_t size(self, object x, int d) except -1:
        cdef Tensor t = <Tensor>x
        return t.m.shape[d if d >= 0 else t.m.ndim + d]

    cdef object const(self, object arr, object like):
        return _const(arr, (<Tensor>like).m.dtype)

    cdef object mT(self, object x):
        return _swap_last(<Tensor>x)

    cdef object unsq(self, object x, int d):
        cdef Tensor t = <Tensor>x
        return t_unsqueeze(t, d if d >= 0 else t.m.ndim + 1 + d)

    cdef object squeeze_last(self, object x):
        cdef Tensor t = <Tensor>x
        cdef Py_ssize_t mask[PYAD_MAXDIM]
        cdef int d
        for d in range(t.m.ndim):
            mask[d] = d == t.m.ndim - 1
        return t_squeeze(t, mask, NAME_SQUEEZE1)

    cdef object expand_as(self, object x, object like):
        return t_expand(<Tensor>x, (<Tensor>like).m.ndim, (<Tensor>like).m.shape)

    cdef object neg(self, object x):
        return t_neg(<Tensor>x)

    cdef object add(self, object a, object b):
        return t_add(<Tensor>a, <Tensor>b)

    cdef object mul(self, object a, object b):
        return t_mul(<Tensor>a, <Tensor>b)

    cdef object muls(self, object a, double c):
        return t_muls(<Tensor>a, c)

    cdef object matmul(self, object a, object b):
        return t_matmul(<Tensor>a, <Tensor>b)

    cdef object tril(self, object x):
        return t_tri(<Tensor>x, 0, False)

    cdef object solve(self, object A, object B):
        return t_solve(<Tensor>A, <Tensor>B, False)

    cdef object inv(self, object A):
        return t_inv(<Tensor>A)

    cdef bint any_zero(self, object x) except -1:
        return bool(np.any(np.asarray(_np_view(<Tensor>x)) == 0))

    cdef object cofactor(self, object A):
        return _cofactor_recorded(<Tensor>A)


cdef _NumBw NUM_BW = _NumBw()
cdef _RecBw REC_BW = _RecBw()


cdef int once_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm,
                      GradSink* sink) except -1:
    """The numeric backward of a written-once op: its formula over _NumBw, each gradient summed
    to its input's shape and cast to its dtype."""
    cdef int i
    check_saved(n)
    with np.errstate(all="ignore"):
        gs = ONCE_BW[n.op](NUM_BW, n, _mview(g.data, &n.out_meta))
        if len(gs) != n.n_in:   # (indexing below is unchecked)
            raise SystemError("pyad: a written-once backward gave a gradient list of the wrong "
                              "length")
        for i in range(n.n_in):
            if gs[i] is not None:
                gin[i] = _mbuffer(_np_sum_to(np.asarray(gs[i]), _meta_shape(&n.in_meta[i])),
                                  n.in_meta[i].dtype)
                gm[i] = &n.in_meta[i]
    return 0


cdef list once_recorded(Node* n, Tensor g):
    """The recorded backward of a written-once op: its formula over _RecBw."""
    check_saved(n)
    return ONCE_BW[n.op](REC_BW, n, g)


cdef int register_once(once_bw_t bw, int flags=0) except -1:
    """A new opcode whose backward is the written-once formula bw (both sweeps)."""
    cdef int op = register_op(once_numeric, once_recorded, flags)
    ONCE_BW[op] = bw
    return op


# ============================================================================================
# C-level values: for the ops whose numeric backward is C loops today (cumsum, cumprod), the
# formula is written over CMath, a table of functions on BV values: a Buffer and its Meta on the
# numeric sweep (no Python object per node), a Tensor on the recorded one. Every operation
# writes a new value into *out (which the caller releases with bv_clear).
# ============================================================================================
ctypedef struct BV:
    Buffer* buf                 # CMATH_NUM: the data (a reference the BV owns), else NULL
    PyObject* t                 # CMATH_REC: the Tensor (a strong reference), else NULL
    Meta m                      # the value's dtype and shape (shape points at shp)
    Py_ssize_t shp[PYAD_MAXDIM]

ctypedef struct CMath:
    bint recorded
    # the node's saved input slot, its saved output
    int (*input)(BV* out, Node* n, int slot) except -1
    int (*result)(BV* out, Node* n) except -1
    # elementwise a * b, a / b (same shapes)
    int (*mul)(BV* out, const BV* a, const BV* b) except -1
    int (*div)(BV* out, const BV* a, const BV* b) except -1
    # cumulative sum along dim (from the far end when reverse)
    int (*cumsum)(BV* out, const BV* x, int dim, bint reverse) except -1
    # the gradient of cumprod along dim at x, exact where x holds zeros:
    # out_k = sum_{j>=k} g_j prod_{i<=j, i!=k} x_i
    int (*cumprod_grad)(BV* out, const BV* g, const BV* x, int dim) except -1
    # x holds a zero
    int (*has_zero)(const BV* x) except -1


cdef inline void bv_init(BV* v) noexcept:
    v.buf = NULL
    v.t = NULL
    v.m.shape = v.shp
    v.m.ndim = 0

cdef inline void bv_clear(BV* v) noexcept:
    buf_decref(v.buf)
    v.buf = NULL
    Py_XDECREF(v.t)
    v.t = NULL

cdef inline void bv_meta(BV* v, const Meta* m) noexcept:
    v.m.dtype = m.dtype
    v.m.ndim = m.ndim
    v.m.numel = m.numel
    v.m.shape = v.shp
    memcpy(v.shp, m.shape, m.ndim * sizeof(Py_ssize_t))

cdef void bv_set_buffer(BV* v, Buffer* b, const Meta* m) noexcept:
    """v := the new reference b, of meta m."""
    v.buf = b
    bv_meta(v, m)

cdef int bv_set_tensor(BV* v, Tensor t) except -1:
    Py_INCREF(t)
    v.t = <PyObject*>t
    bv_meta(v, &t.m)
    return 0

cdef inline void bv_copy(BV* out, const BV* x) noexcept:
    """out := x (one more reference)."""
    buf_incref(x.buf)
    if x.t != NULL:
        Py_INCREF(<object>x.t)
    out.buf = x.buf
    out.t = x.t
    bv_meta(out, &x.m)

cdef inline Tensor bv_t(const BV* v):
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


# ---- the recorded CMath: differentiable pyad ops ----
cdef int cm_rec_input(BV* out, Node* n, int slot) except -1:
    return bv_set_tensor(out, saved_tensor(n, slot))

cdef int cm_rec_result(BV* out, Node* n) except -1:
    return bv_set_tensor(out, saved_result(n))

cdef int cm_rec_mul(BV* out, const BV* a, const BV* b) except -1:
    return bv_set_tensor(out, t_mul(bv_t(a), bv_t(b)))

cdef int cm_rec_div(BV* out, const BV* a, const BV* b) except -1:
    return bv_set_tensor(out, t_div(bv_t(a), bv_t(b)))

cdef int cm_rec_cumsum(BV* out, const BV* x, int dim, bint reverse) except -1:
    return bv_set_tensor(out, t_cum(bv_t(x), dim, False, reverse))

cdef int cm_rec_cumprod_grad(BV* out, const BV* g, const BV* x, int dim) except -1:
    return bv_set_tensor(out, rd_cumprod_grad_recorded(bv_t(g), bv_t(x), dim))

cdef int cm_rec_has_zero(const BV* x) except -1:
    return rd_has_zero(bv_t(x))


cdef CMath CMATH_NUM
CMATH_NUM.recorded = False
CMATH_NUM.input = cm_num_input
CMATH_NUM.result = cm_num_result
CMATH_NUM.mul = cm_num_mul
CMATH_NUM.div = cm_num_div
CMATH_NUM.cumsum = cm_num_cumsum
CMATH_NUM.cumprod_grad = cm_num_cumprod_grad
CMATH_NUM.has_zero = cm_num_has_zero

cdef CMath CMATH_REC
CMATH_REC.recorded = True
CMATH_REC.input = cm_rec_input
CMATH_REC.result = cm_rec_result
CMATH_REC.mul = cm_rec_mul
CMATH_REC.div = cm_rec_div
CMATH_REC.cumsum = cm_rec_cumsum
CMATH_REC.cumprod_grad = cm_rec_cumprod_grad
CMATH_REC.has_zero = cm_rec_has_zero


# A written-once backward over CMath for a node of one input: *out := the input's gradient
# (left empty: no gradient)
ctypedef int (*cmath_bw_t)(const CMath* M, Node* n, const BV* g, BV* out) except -1
cdef cmath_bw_t CMATH_BW[MAX_OPS]


cdef int cmath_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm,
                       GradSink* sink) except -1:
    cdef BV gv, out
    bv_init(&gv)
    bv_init(&out)
    buf_incref(g)
    bv_set_buffer(&gv, g, &n.out_meta)
    try:
        CMATH_BW[n.op](&CMATH_NUM, n, &gv, &out)
        if out.buf != NULL:
            gin[0] = out.buf
            out.buf = NULL
            gm[0] = &n.in_meta[0]
    finally:
        bv_clear(&gv)
        bv_clear(&out)
    return 0


cdef list cmath_recorded(Node* n, Tensor g):
    cdef BV gv, out
    bv_init(&gv)
    bv_init(&out)
    bv_set_tensor(&gv, g)
    try:
        CMATH_BW[n.op](&CMATH_REC, n, &gv, &out)
        return [None if out.t == NULL else <Tensor>out.t]
    finally:
        bv_clear(&gv)
        bv_clear(&out)


cdef int register_cmath(cmath_bw_t bw, int flags=0) except -1:
    """A new opcode (one input) whose backward is the written-once C-level formula bw."""
    cdef int op = register_op(cmath_numeric, cmath_recorded, flags)
    CMATH_BW[op] = bw
    return op
