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
# Ops whose numeric backward is C kernels or loops (matrix products, cumsum, cumprod) write
# theirs over CMath instead (cmath.pxi): the same idea with C-level values (BV: a Buffer and its
# Meta, or a Tensor) and a table of C functions, so that the numeric sweep creates no Python
# object.

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
