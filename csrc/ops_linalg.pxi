# ops_linalg.pxi: linear algebra: mv, bmm, outer, einsum, tensordot, trace, diag, diagonal, tril,
# triu, and the pyad.linalg primitives (vector_norm, solve, inv, det, slogdet, cholesky).
# Each op: forward, numeric backward and recorded backward side by side; registered with
# register_op/register_name; public functions appended to __all__.
#
# Products (mv, bmm, outer, einsum, tensordot) and the diagonal family are compositions of the
# core differentiable primitives (bmm kinds, strided gather/scatter, mul, sum, views), so every
# order of derivative comes from those. tril/triu is one masking primitive whose adjoint is
# itself. The factorisation-based ops run their forward through numpy's LAPACK on a view of
# the buffer; their backward is written once over _BwMath (bw_math.pxi): numpy on views of the
# buffers without create_graph (no Tensor is created), differentiable pyad ops with it (solve's
# backward calls solve again), so second derivatives work.

__all__ += ["mv", "bmm", "outer", "ger", "einsum", "tensordot", "trace", "diag", "diagonal",
            "tril", "triu", "det", "inverse"]


# ============================================================================================
# Small helpers
# ============================================================================================
cdef inline Tensor _lt(object x, str fn, str arg):
    if isinstance(x, Tensor):
        return <Tensor>x
    raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be Tensor, not "
                    f"{type(x).__name__}")

cdef Tensor _perm(Tensor x, object perm, int name=NAME_PERMUTE):
    """x.permute(perm); the identity permutation is x itself (no copy, no node)."""
    cdef int p[PYAD_MAXDIM]
    cdef int d
    cdef bint ident = True
    for d in range(x.m.ndim):
        p[d] = perm[d]
        ident = ident and p[d] == d
    if ident:
        return x
    return t_permute(x, p, name)

cdef Tensor _sum_dims(Tensor x, object dims, bint keepdim):
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef int d
    for d in range(x.m.ndim):
        mask[d] = 0
    for d in dims:
        mask[d] = 1
    return t_sum(x, mask, keepdim, False, False)

cdef Tensor _swap_last(Tensor x):
    return t_transpose(x, x.m.ndim - 2, x.m.ndim - 1)

cdef Tensor _const(object arr, int dtype):
    return tensor_from_numpy_copy(arr, dtype)

cdef tuple _shape_t(Tensor x):
    return tuple([x.m.shape[d] for d in range(x.m.ndim)])

cdef object _mview(const char* p, const Meta* m):
    """An ndarray over raw memory (for the numeric backward of the LAPACK-based ops)."""
    shape = tuple([m.shape[d] for d in range(m.ndim)])
    if m.numel == 0:
        return np.zeros(shape, NP_DTYPES[m.dtype])
    raw = np.frombuffer(<char[:m.numel * itemsize(m.dtype)]> <char*>p, dtype=NP_DTYPES[m.dtype])
    return raw.reshape(shape)

cdef Buffer* _mbuffer(object arr, int dtype) except NULL:
    """A new Buffer holding a copy of arr (cast to dtype, C order)."""
    arr = np.ascontiguousarray(arr, dtype=NP_DTYPES[dtype])
    cdef Buffer* b = buf_new(arr.nbytes)
    if arr.nbytes:
        memcpy(b.data, <char*><size_t>arr.ctypes.data, arr.nbytes)
    return b


@cython.wraparound(True)
cdef object _np_sum_to(object arr, tuple shape):
    """Sum a broadcast gradient down to shape (numpy)."""
    lead = arr.ndim - len(shape)
    if lead > 0:
        arr = arr.sum(axis=tuple(range(lead)))
    axes = tuple([i for i in range(len(shape)) if shape[i] == 1 and arr.shape[i] != 1])
    if axes:
        arr = arr.sum(axis=axes, keepdims=True)
    return arr

cdef tuple _meta_shape(const Meta* m):
    return tuple([m.shape[d] for d in range(m.ndim)])

cdef Tensor _np_result(object arr, int dtype):
    return tensor_from_numpy_copy(arr, dtype)


# ============================================================================================
# mv, bmm, outer: the matmul primitive (MvBackward0, BmmBackward0) and a broadcast product
# ============================================================================================
def mv(input, vec):
    """Matrix-vector product: input (n, m) @ vec (m) -> (n). MvBackward0.

    Example:
        >>> pyad.mv(pyad.ones(2, 3), pyad.ones(3))
        tensor([3., 3.])
    """
    cdef Tensor a = _lt(input, "mv", "input"), v = _lt(vec, "mv", "vec")
    if a.m.ndim == 0:   # torch's mv sizes its result by input.size(0) before any check
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if a.m.ndim != 2 or v.m.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.m.ndim}, {v.m.ndim}")
    return t_matmul(a, v)  # the sizes, then the dtypes (t_bmm_kind), as torch's addmv


def bmm(input, mat2):
    """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p). BmmBackward0.

    Example:
        >>> pyad.bmm(pyad.ones(2, 1, 3), pyad.ones(2, 3, 1)).shape
        pyad.Size([2, 1, 1])
    """
    cdef Tensor a = _lt(input, "bmm", "input"), b = _lt(mat2, "bmm", "mat2")
    cdef Py_ssize_t shp[3]
    if a.m.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.m.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.m.shape[0] != a.m.shape[0] or b.m.shape[1] != a.m.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.m.shape[0]}, {a.m.shape[2]}] but got: [{b.m.shape[0]}, "
                           f"{b.m.shape[1]}].")
    shp[0] = a.m.shape[0]
    shp[1] = a.m.shape[1]
    shp[2] = b.m.shape[2]
    return t_bmm_kind(a, b, PROD_BMM, shp[0], shp[1], a.m.shape[2], shp[2], 3, shp)


def outer(input, vec2):
    """Outer product of two vectors: (n) x (m) -> (n, m). MulBackward0.

    Example:
        >>> pyad.outer(pyad.tensor([1., 2.]), pyad.tensor([1., 10.]))
        tensor([[ 1., 10.],
                [ 2., 20.]])
    """
    cdef Tensor a = _lt(input, "outer", "input"), b = _lt(vec2, "outer", "vec2")
    cdef Py_ssize_t shp[2]
    if a.m.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {a.m.ndim}-D")
    if b.m.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {b.m.ndim}-D")
    shp[0] = a.m.shape[0]
    shp[1] = 1
    return t_mul(t_view(a, 2, shp, NAME_VIEW), b)


def ger(input, vec2):
    """Alias of outer."""
    return outer(input, vec2)


# ============================================================================================
# diagonal / diag / trace: strided gathers (and the scatter that is their adjoint)
#   diagonal: DiagonalBackward0 (adjoint DiagonalBackwardBackward0)
#   diag(2-D): DiagonalBackward0_copy; diag(1-D): DiagEmbedBackward0 (a scatter whose adjoint
#   is the diagonal gather); trace = sum of the diagonal, named TraceBackward0
# ============================================================================================
cdef Tensor t_diagonal(Tensor x, Py_ssize_t offset, int d1, int d2, int name):
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Py_ssize_t st[PYAD_MAXDIM]
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t start = 0, length
    cdef int d, k = 0
    contiguous_strides(&x.m, cs)
    if offset >= 0:
        length = min(x.m.shape[d1], x.m.shape[d2] - offset)
        start = offset * cs[d2]
    else:
        length = min(x.m.shape[d1] + offset, x.m.shape[d2])
        start = -offset * cs[d1]
    if length <= 0:
        length = 0
        start = 0
    for d in range(x.m.ndim):
        if d != d1 and d != d2:
            st[k] = cs[d]
            shp[k] = x.m.shape[d]
            k += 1
    st[k] = cs[d1] + cs[d2]
    shp[k] = length
    return t_gather(x, start, st, k + 1, shp, name, NAME_DIAGONAL_BW)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of input over dims (dim1, dim2), appended as the last dim. DiagonalBackward0.

    Args: offset (0: main, >0 above, <0 below), dim1 (0), dim2 (1).

    Example:
        >>> pyad.diagonal(pyad.tensor([[1., 2.], [3., 4.]]))
        tensor([1., 4.])
    """
    cdef Tensor x = _lt(input, "diagonal", "input")
    offset = _int64_arg(offset)
    cdef int d1 = wrap_dim(dim1, x.m.ndim), d2 = wrap_dim(dim2, x.m.ndim)
    if x.m.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-x.m.ndim if x.m.ndim else -1}, {x.m.ndim - 1 if x.m.ndim else 0}], "
                         f"but got {1 if x.m.ndim == 1 else dim2})")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return t_diagonal(x, offset, d1, d2, NAME_DIAGONAL)


def diag(input, diagonal=0):
    """1-D input: a square matrix with input on the given diagonal (DiagEmbedBackward0).
    2-D input: the given diagonal as a vector (DiagonalBackward0_copy).

    Example:
        >>> pyad.diag(pyad.tensor([1., 2.]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    cdef Tensor x = _lt(input, "diag", "input")
    cdef Py_ssize_t k = _int64_arg(diagonal), n
    cdef Py_ssize_t st[1]
    cdef Py_ssize_t shp[2]
    cdef Tensor r
    if x.m.ndim == 2:
        # torch's diag copies the diagonal (not a view, unlike diagonal()): in-place ops and
        # assignments into it are a non-leaf's
        r = t_diagonal(x, k, 0, 1, NAME_DIAG_COPY)
        not_a_view(r)
        return r
    if x.m.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.m.ndim}D")
    nn = x.m.shape[0] + (diagonal if diagonal >= 0 else -diagonal)
    if nn * nn * itemsize(x.m.dtype) > 9223372036854775807:
        raise RuntimeError(f"Storage size calculation overflowed with sizes=[{nn}, {nn}]")
    n = x.m.shape[0] + (k if k >= 0 else -k)
    shp[0] = n
    shp[1] = n
    st[0] = n + 1
    if x.m.dtype == PYAD_BOOL:       # the scatter accumulates; bools go through numpy
        return _np_result(np.diag(_np_view(x), k), PYAD_BOOL)
    return t_scatter(x, k if k >= 0 else -k * n, st, 2, shp, NAME_DIAG_EMBED, NAME_DIAGONAL)


def trace(input):
    """Sum of the main diagonal of a 2-D tensor. TraceBackward0.

    Example:
        >>> pyad.trace(pyad.tensor([[1., 2.], [3., 4.]]))
        tensor(5.)
    """
    cdef Tensor x = _lt(input, "trace", "input")
    cdef Py_ssize_t mask[1]
    if x.m.dtype == PYAD_BOOL:      # before the dim check, as torch
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    if x.m.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.m.ndim}")
    mask[0] = 1
    return named(t_sum(t_diagonal(x, 0, 0, 1, NAME_DIAGONAL), mask, False, False, True),
                 NAME_TRACE)


# ============================================================================================
# tril / triu: TrilBackward0, TriuBackward0         d/dx = tril(g) / triu(g)
# ip[0] = diagonal, ip[1] = 1 for triu
# ============================================================================================
cdef Buffer* _tri_mask(const char* x, const Meta* m, Py_ssize_t k, bint upper) except NULL:
    """Keep the lower (j - i <= k) or upper (j - i >= k) triangle of the last two dims."""
    cdef Py_ssize_t isz = itemsize(m.dtype)
    cdef Py_ssize_t R = m.shape[m.ndim - 2], C = m.shape[m.ndim - 1]
    cdef Py_ssize_t nb = m.numel // (R * C) if R * C else 0
    cdef Py_ssize_t b, i, lo, hi
    cdef Buffer* out = buf_new(m.numel * isz)
    cdef const char* src
    cdef char* dst
    for b in range(nb):
        for i in range(R):
            src = x + (b * R + i) * C * isz
            dst = out.data + (b * R + i) * C * isz
            if upper:
                lo = i + k
                hi = C
            else:
                lo = 0
                hi = i + k + 1
            lo = 0 if lo < 0 else (C if lo > C else lo)
            hi = 0 if hi < 0 else (C if hi > C else hi)
            memset(dst, 0, C * isz)
            if hi > lo:
                memcpy(dst + lo * isz, src + lo * isz, (hi - lo) * isz)
    return out

cdef Tensor t_tri(Tensor x, Py_ssize_t k, bint upper):
    cdef Tensor out = tensor_from_new_buffer(_tri_mask(x.buf.data, &x.m, k, upper), &x.m,
                                             x.m.dtype)
    cdef Node* n
    if wants_grad(x):
        n = record(OP_TRI, NAME_TRIU if upper else NAME_TRIL, out, x, None, 1, 2)
        n.ip[0] = k
        n.ip[1] = upper
    return out

cdef int tri_bw(const CMath* C, Node* n, const BV* g, BV* outs) except -1:
    """The triangle is a mask: its adjoint is the same triangle of g."""
    return C.tri(&outs[0], g, n.ip[0], n.ip[1])

# CMath's triangle (cmath.pxi): the forward's C loop on buffers, or the recorded op
cdef int cm_num_tri(BV* out, const BV* x, Py_ssize_t k, bint upper) except -1:
    bv_set_buffer(out, _tri_mask(x.buf.data, &x.m, k, upper), &x.m)
    return 0

cdef int cm_rec_tri(BV* out, const BV* x, Py_ssize_t k, bint upper) except -1:
    return bv_set_tensor(out, t_tri(bv_t(x), k, upper))

CMATH_NUM.tri = cm_num_tri
CMATH_REC.tri = cm_rec_tri

cdef Tensor _tri_public(object input, object diag, bint upper):
    cdef Tensor x = _lt(input, "triu" if upper else "tril", "input")
    cdef Py_ssize_t diagonal = _int64_arg(diag)
    if x.m.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 "
                           "dimensions")
    # beyond +-(rows + cols) every diagonal keeps (drops) all: clamp so i + k cannot overflow
    cdef Py_ssize_t lim = x.m.shape[x.m.ndim - 2] + x.m.shape[x.m.ndim - 1]
    return t_tri(x, lim if diagonal > lim else (-lim if diagonal < -lim else diagonal), upper)


def tril(input, diagonal=0):
    """The lower triangle (j - i <= diagonal) of the last two dims, zeros elsewhere. TrilBackward0.

    Example:
        >>> pyad.tril(pyad.ones(2, 2))
        tensor([[1., 0.],
                [1., 1.]])
    """
    return _tri_public(input, diagonal, False)


def triu(input, diagonal=0):
    """The upper triangle (j - i >= diagonal) of the last two dims, zeros elsewhere. TriuBackward0.

    Example:
        >>> pyad.triu(pyad.ones(2, 2))
        tensor([[1., 1.],
                [0., 1.]])
    """
    return _tri_public(input, diagonal, True)


# ============================================================================================
# einsum: operands are gathered (diagonals for repeated subscripts, permuted to one label
# order, size-1 dims for absent labels), then contracted left to right with mul (no summed
# label) or permute/reshape/bmm (summed labels), as torch does. Outer names as torch's:
# one operand: SumBackward1 (summed labels) or PermuteBackward0; several: ViewBackward0 when
# some label is summed, else MulBackward0.
# ============================================================================================
cdef inline int _label_id(str c) noexcept:
    cdef Py_UCS4 ch = c[0]
    if 65 <= ch <= 90:          # A-Z
        return <int>ch - 65
    if 97 <= ch <= 122:         # a-z
        return 26 + <int>ch - 97
    return -1

cdef str _ELL = "..."


@cython.wraparound(True)
cdef tuple _einsum_parse(str eq, int n_ops):
    """[[label ids or -1 for the ellipsis] per operand], output list or None (implicit)."""
    cdef Py_ssize_t arrow = eq.find("->")
    cdef str lhs = eq if arrow < 0 else eq[:arrow]
    cdef list terms = [[]]
    cdef Py_ssize_t i = 0, L = len(lhs)
    cdef bint found_ell = False
    cdef int cur = 0, lab
    while i < L:
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            if found_ell:
                raise RuntimeError(f"einsum(): found '.' for operand {cur} for which an ellipsis "
                                   "was already found")
            if not (i + 2 < L and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {cur} that is not part of "
                                   "any ellipsis")
            i += 2
            terms[cur].append(-1)
            found_ell = True
        elif c == ",":
            cur += 1
            if cur >= n_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in "
                                   "the equation")
            terms.append([])
            found_ell = False
        else:
            lab = _label_id(c)
            if lab < 0:
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                                   "equation string, subscripts must be in [a-zA-Z]")
            terms[cur].append(lab)
        i += 1
    if cur != n_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if arrow < 0:
        return terms, None
    out = []
    found_ell = False
    i = arrow + 2
    L = len(eq)
    while i < L:
        c = eq[i]
        if c == " ":
            pass
        elif c == ".":
            if found_ell:
                raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was "
                                   "already found")
            if not (i + 2 < L and eq[i + 1] == "." and eq[i + 2] == "."):
                raise RuntimeError("einsum(): found '.' for output that is not part of any "
                                   "ellipsis (...)")
            i += 2
            out.append(-1)
            found_ell = True
        else:
            lab = _label_id(c)
            if lab < 0:
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                                   "equation string, subscripts must be in [a-zA-Z]")
            if lab in out:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            out.append(lab)
        i += 1
    return terms, out

cdef str _label_char(int lab):
    return chr(ord("A") + lab) if lab < 26 else chr(ord("a") + lab - 26)


@cython.wraparound(True)
def einsum(equation, *operands):
    """Einstein summation: einsum("ij,jk->ik", a, b) is a @ b.

    Subscripts are letters; "..." broadcasts leading dims; a subscript repeated in one operand
    takes its diagonal; subscripts absent from the output are summed. Without "->" the output
    is the ellipsis dims then the subscripts that appear once, in alphabetical order.

    Example:
        >>> pyad.einsum("ii->", pyad.eye(3))
        tensor(3.)
    """
    cdef Tensor x, a, b
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Py_ssize_t st[PYAD_MAXDIM]
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int i, k, p, n_ops, ell_dims = 0, n_out, n_all
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str) or len(operands) == 0:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    ops = [_lt(o, "einsum", "operands") for o in operands]
    n_ops = len(ops)
    terms, out = _einsum_parse(equation, n_ops)
    # ---- dims per operand, ellipsis extent -----------------------------------------------
    counts = {}
    for i in range(n_ops):
        x = ops[i]
        t = terms[i]
        n_lab = len([l for l in t if l >= 0])
        if -1 in t:
            if n_lab > x.m.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_lab}) "
                                   f"is more than the number of dimensions ({x.m.ndim}) for "
                                   f"operand {i}")
            ell_dims = max(ell_dims, x.m.ndim - n_lab)
        elif n_lab != x.m.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_lab}) "
                               f"does not match the number of dimensions ({x.m.ndim}) for "
                               f"operand {i} and no ellipsis was given")
        for l in t:
            if l >= 0:
                counts[l] = counts.get(l, 0) + 1
    if out is None:
        out = ([-1] if ell_dims or any(-1 in t for t in terms) else []) + sorted(
            [l for l, c in counts.items() if c == 1])
    else:
        for l in out:
            if l >= 0 and l not in counts:
                raise RuntimeError(f"einsum(): output subscript {_label_char(l)} does not appear "
                                   "in the equation for any input operand")
    # ---- global positions: output dims, then summed ellipsis dims, then summed labels -------
    pos = {}            # label -> position
    ell_pos = 0         # position of the first ellipsis dim
    k = 0
    for l in out:
        if l == -1:
            ell_pos = k
            k += ell_dims
        else:
            pos[l] = k
            k += 1
    n_out = k
    if -1 not in out:
        ell_pos = k
        k += ell_dims
    for l in sorted(counts):
        if l not in pos:
            pos[l] = k
            k += 1
    n_all = k
    if n_all > PYAD_MAXDIM:
        raise RuntimeError(f"pyad: einsum needs {n_all} dimensions, at most {PYAD_MAXDIM} "
                           "are supported")
    # ---- align each operand: one strided gather (diagonal + permute + unsqueeze) ---------
    sizes = [1] * n_all         # the size seen so far at each position (1 = broadcastable)
    aligned = []
    for i in range(n_ops):
        x = ops[i]
        t = terms[i]
        contiguous_strides(&x.m, cs)
        for p in range(n_all):
            st[p] = 0
            shp[p] = 1
        d = 0
        seen = {}
        for l in t:
            if l == -1:
                e = x.m.ndim - (len(t) - 1)
                for j in range(e):
                    p = ell_pos + ell_dims - e + j
                    s = x.m.shape[d]
                    if s != 1 and sizes[p] != 1 and s != sizes[p]:
                        raise RuntimeError(
                            f"einsum(): dimension {ell_dims - e + j} covered by ellipsis in "
                            f"operand {i}has size {s} which does not broadcast with previously "
                            f"seen ellipsis with size {sizes[p]} for the respective dimension")
                    st[p] = cs[d]
                    shp[p] = s
                    d += 1
                continue
            p = pos[l]
            s = x.m.shape[d]
            if l in seen:
                if s != seen[l]:
                    raise RuntimeError(f"einsum(): subscript {_label_char(l)} is repeated for "
                                       f"operand {i} but the sizes don't match, {s} != {seen[l]}")
                st[p] += cs[d]
            else:
                seen[l] = s
                if s != 1 and sizes[p] != 1 and s != sizes[p]:
                    raise RuntimeError(f"einsum(): subscript {_label_char(l)} has size {s} for "
                                       f"operand {i} which does not broadcast with previously "
                                       f"seen size {sizes[p]}")
                st[p] = cs[d]
                shp[p] = s
            d += 1
        for p in range(n_all):
            if shp[p] != 1:
                sizes[p] = shp[p]
        aligned.append(t_gather(x, 0, st, n_all, shp, NAME_PERMUTE, NAME_PERMUTE))
    # ---- contract ------------------------------------------------------------------------
    if n_ops == 1:
        a = aligned[0]
        if n_all > n_out:
            return _sum_dims(a, range(n_out, n_all), False)
        return a
    # last operand in which each position is present (size != 1)
    last = [-1] * n_all
    for i in range(n_ops):
        a = aligned[i]
        for p in range(n_all):
            if a.m.shape[p] != 1:
                last[p] = i
    a = aligned[0]
    for i in range(1, n_ops):
        b = aligned[i]
        summed = [p for p in range(n_out, n_all) if last[p] <= i]
        a = _sumproduct(a, b, summed)
    if n_all > n_out:
        for p in range(n_out):
            shp[p] = a.m.shape[p]
        return t_view(a, n_out, shp, NAME_VIEW)
    return a


@cython.wraparound(True)
cdef Tensor _sumproduct(Tensor a, Tensor b, list summed):
    """(a * b) summed over `summed` (kept as size-1 dims), by bmm when both have the label."""
    cdef int nd = a.m.ndim, p
    a_only = [p for p in summed if a.m.shape[p] != 1 and b.m.shape[p] == 1]
    b_only = [p for p in summed if a.m.shape[p] == 1 and b.m.shape[p] != 1]
    if a_only:
        a = _sum_dims(a, a_only, True)
    if b_only:
        b = _sum_dims(b, b_only, True)
    both = [p for p in summed if a.m.shape[p] != 1 and b.m.shape[p] != 1]
    if not both:
        return t_mul(a, b)
    # no dtype check of its own: bmm's (an int64 sum of a bool operand meets a bool one there)
    rest = [p for p in range(nd) if p not in both]
    lro = [p for p in rest if a.m.shape[p] != 1 and b.m.shape[p] != 1]
    # torch's sumproduct_pair: a dim of size 1 in both goes with the right operand's
    lo = [p for p in rest if p not in lro and a.m.shape[p] != 1]
    ro = [p for p in rest if p not in lro and a.m.shape[p] == 1]
    if lo and ro and max(ro) < min(lo):
        # torch multiplies the other way round when every dim of b's comes before a's (its
        # bmm then sees b first: its dtype errors name b's dtype first)
        r = _sumproduct_bmm(b, a, lro, ro, lo, both)
        order = lro + ro + lo + both
    else:
        r = _sumproduct_bmm(a, b, lro, lo, ro, both)
        order = lro + lo + ro + both
    inv = [0] * nd
    for k, p in enumerate(order):
        inv[p] = k
    return _perm(r, inv)


cdef Tensor _sumproduct_bmm(Tensor a, Tensor b, list lro, list lo, list ro, list both):
    """a * b summed over `both`, as one bmm: (lro, lo, both) @ (lro, both, ro), reshaped to
    lro + lo + ro + [1] * len(both) dims (a is 1 on ro, b is 1 on lo)."""
    cdef Py_ssize_t shp[3]
    cdef Py_ssize_t B = 1, M = 1, K = 1, N = 1
    cdef int p
    for p in lro:
        B *= a.m.shape[p]
    for p in lo:
        M *= a.m.shape[p]
    for p in both:
        K *= a.m.shape[p]
    for p in ro:
        N *= b.m.shape[p]
    shp[0] = B
    shp[1] = M
    shp[2] = K
    # a is 1 on ro, b is 1 on lo: those dims ride along without changing the 3-d views
    a3 = t_view(_perm(a, lro + lo + ro + both), 3, shp, NAME_VIEW)
    shp[1] = K
    shp[2] = N
    b3 = t_view(_perm(b, lro + lo + both + ro), 3, shp, NAME_VIEW)
    shp[1] = M
    shp[2] = N
    r = t_bmm_kind(a3, b3, PROD_BMM, B, M, K, N, 3, shp)
    return t_reshape(r, tuple([a.m.shape[p] for p in lro + lo] + [b.m.shape[p] for p in ro]
                              + [1] * len(both)))


# ============================================================================================
# tensordot: permute + reshape + mm + view, as torch (ViewBackward0 over MmBackward0)
# ============================================================================================
@cython.wraparound(True)
def tensordot(a, b, dims=2, out=None):
    """Sum of products over dims of a and b: dims=n contracts the last n dims of a with the
    first n of b; dims=([da...], [db...]) names them.

    Example:
        >>> pyad.tensordot(pyad.ones(2, 3), pyad.ones(3, 4), dims=1).shape
        pyad.Size([2, 4])
    """
    cdef Tensor x, y
    cdef int n
    # torch's tensordot is Python: the dims first, then a.dim() and b.dim() for an int dims (an
    # AttributeError for a non-tensor), then the native op's argument parser
    if isinstance(dims, Tensor):
        dims = dims.tolist()
        if is_int_arg(dims) and dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
    elif is_int_arg(dims):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        for operand in (a, b):
            if not isinstance(operand, Tensor):
                raise AttributeError(f"'{type(operand).__name__}' object has no attribute 'dim'")
    if not isinstance(a, Tensor):
        raise TypeError(f"tensordot(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(a).__name__}")
    if not isinstance(b, Tensor):
        raise TypeError(f"tensordot(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(b).__name__}")
    x, y = a, b
    if is_int_arg(dims):
        n = dims
        if n < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if n > x.m.ndim or n > y.m.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da = list(range(-n, 0))
        db = list(range(n))
    elif isinstance(dims, (list, tuple)) and len(dims) == 2:
        if isinstance(dims[0], int) or isinstance(dims[1], int):
            bad = dims[0] if isinstance(dims[0], int) else dims[1]
            raise TypeError("tensordot(): argument "
                            f"'{'dims_self' if bad is dims[0] else 'dims_other'}' "
                            f"(position 3) must be tuple of ints, not int")
        da = list(dims[0])
        db = list(dims[1])
    else:
        raise RuntimeError(f"tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if x.m.dtype != y.m.dtype:
        raise RuntimeError("both inputs should have same dtype")
    wa = []
    wb = []
    for i in range(len(da)):
        # torch asks each operand's size at the dim: a 0-d one has none (any dim, unchecked)
        if x.m.ndim == 0:
            raise IndexError(f"Dimension specified as {da[i]} but tensor has no dimensions")
        pa = wrap_dim(da[i], x.m.ndim)
        if y.m.ndim == 0:
            raise IndexError(f"Dimension specified as {db[i]} but tensor has no dimensions")
        pb = wrap_dim(db[i], y.m.ndim)
        if pa in wa:
            raise RuntimeError(f"dim {pa} appears multiple times in the list of dims")
        if pb in wb:
            raise RuntimeError(f"dim {pb} appears multiple times in the list of dims")
        sa = x.m.shape[pa]
        sb = y.m.shape[pb]
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in "
                               f"dim {da[i]} and second has size {sb} in dim {db[i]}")
        wa.append(pa)
        wb.append(pb)
    cdef int dtype = x.m.dtype     # summing a bool operand below gives int64; torch's stays bool
    # a size-1 contracted dim against a larger one: sum the other side first (torch does too)
    sum_a = [wa[i] for i in range(len(wa)) if y.m.shape[wb[i]] == 1 and x.m.shape[wa[i]] != 1]
    sum_b = [wb[i] for i in range(len(wb)) if x.m.shape[wa[i]] == 1 and y.m.shape[wb[i]] != 1]
    if sum_a:
        x = _sum_dims(x, sum_a, True)
    if sum_b:
        y = _sum_dims(y, sum_b, True)
    free_a = [d for d in range(x.m.ndim) if d not in wa]
    free_b = [d for d in range(y.m.ndim) if d not in wb]
    size_a = [x.m.shape[d] for d in free_a]
    size_b = [y.m.shape[d] for d in free_b]
    pa_n = 1
    for s in size_a:
        pa_n *= s
    pb_n = 1
    for s in size_b:
        pb_n *= s
    k_n = 1
    for d in wa:
        k_n *= x.m.shape[d]
    if dtype == PYAD_BOOL:          # torch's dot / mm kernels have no bool (empty mm: no work)
        if pa_n == 1 and pb_n == 1:     # torch's mm of a 1xK by a Kx1 is a dot, even for K = 0
            raise NotImplementedError("\"dot\" not implemented for 'Bool'")
        if pa_n * pb_n and k_n:
            raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    if category(x.m.dtype) != 2:
        arr = np.tensordot(np.asarray(_np_view(x)), np.asarray(_np_view(y)), axes=(wa, wb))
        return _np_result(arr, dtype)       # (a bool operand summed above is int64 by now)
    x2 = t_reshape(_perm(x, free_a + wa), (pa_n, k_n))
    y2 = t_reshape(_perm(y, wb + free_b), (k_n, pb_n))
    return t_reshape(t_matmul(x2, y2), tuple(size_a + size_b))


# ============================================================================================
# pyad.linalg primitives. Errors as torch's; LinAlgError is a RuntimeError subclass.
# ============================================================================================
class LinAlgError(RuntimeError):
    """Raised when a factorization fails (singular matrix, not positive-definite)."""


cdef int _check_square(Tensor A, str fn) except -1:
    if A.m.ndim < 2:
        raise RuntimeError(f"linalg.{fn}: The input tensor A must have at least 2 dimensions.")
    if category(A.m.dtype) != 2:
        raise RuntimeError(f"linalg.{fn}: Expected a floating point or complex tensor as input. "
                           f"Got {DTYPE_TITLES[A.m.dtype]}")
    if A.m.shape[A.m.ndim - 1] != A.m.shape[A.m.ndim - 2]:
        raise RuntimeError(f"linalg.{fn}: A must be batches of square matrices, but they are "
                           f"{A.m.shape[A.m.ndim - 2]} by {A.m.shape[A.m.ndim - 1]} matrices")
    return 0

cdef object _batch_prefix(object arr, Py_ssize_t b):
    return f"(Batch element {b}): " if arr.ndim > 2 else ""

cdef object _first_zero_pivot(object m):
    """1-based index of the first zero pivot of LU with partial pivoting (LAPACK getrf's info)."""
    m = np.array(m, dtype=np.float64)
    cdef Py_ssize_t n = m.shape[0], j, piv
    for j in range(n):
        piv = j + int(np.argmax(np.abs(m[j:, j])))
        if m[piv, j] == 0:
            return j + 1
        if piv != j:
            m[[j, piv]] = m[[piv, j]]
        m[j + 1:, j] /= m[j, j]
        m[j + 1:, j + 1:] -= np.outer(m[j + 1:, j], m[j, j + 1:])
    return 0


@cython.wraparound(True)
cdef object _singular_error(object A, str what):
    """LinAlgError naming the first singular matrix of the batch, as torch's messages do."""
    flat = A.reshape((-1,) + A.shape[A.ndim - 2:])
    for b in range(flat.shape[0]):
        k = _first_zero_pivot(flat[b])
        if k:
            pre = _batch_prefix(A, b)
            if what == "solve":
                return LinAlgError(f"pyad.linalg.solve: {pre}The solver failed because the input "
                                   "matrix is singular.")
            return LinAlgError(f"linalg.{what}: {pre}The diagonal element {k} is zero, the "
                               "inversion could not be completed because the input matrix is "
                               "singular.")
    return LinAlgError(f"linalg.{what}: the input matrix is singular.")


# ---- solve: LinalgSolveExBackward0 ---------------------------------------------------------
cdef object _np_solve(a, b):
    """np.linalg.solve(a, b) with b a (batch of) matrices. numpy 1.x reads a b with one
    dimension fewer than a as a batch of vectors (numpy 2 only a 1-d b): with equal ranks
    both read it as matrices."""
    if b.ndim < a.ndim:
        b = b.reshape((1,) * (a.ndim - b.ndim) + b.shape)
    return np.linalg.solve(a, b)


#   X = A^-1 B;  dB = A^-T g;  dA = -dB X^T.  ip[0] = 1 when B is a (batch of) vector(s)
@cython.wraparound(True)
cdef Tensor t_solve(Tensor A, Tensor B, bint vec):
    a = np.asarray(_np_view(A))
    b = np.asarray(_np_view(B))
    try:
        with np.errstate(all="ignore"):
            x = _np_solve(a, b[..., None])[..., 0] if vec else _np_solve(a, b)
    except np.linalg.LinAlgError:
        raise _singular_error(a, "solve") from None
    cdef Tensor out = tensor_from_numpy_copy(x, A.m.dtype)
    cdef Node* n
    if wants_grad2(A, B):
        n = record(OP_SOLVE, NAME_SOLVE, out, A, B, 2, 1)
        n.ip[0] = vec
        save_input(n, 0, A)
        save_output(n, out)
    return out


cdef list solve_bw(_BwMath M, Node* n, object g):
    cdef bint vec = n.ip[0]
    X = M.result(n)
    if vec:                     # a (batch of) vector(s): a column
        g = M.unsq(g, -1)
    gb = M.solve(M.mT(M.input(n, 0)), g)
    if vec:
        gb = M.squeeze_last(gb)
    ga = None
    if needs_input_grad(n, 0):
        ga = M.neg(M.mul(M.unsq(gb, -1), M.unsq(X, -2)) if vec else M.matmul(gb, M.mT(X)))
    return [ga, gb if needs_input_grad(n, 1) else None]


@cython.wraparound(True)
def _linalg_solve(A, B, *, left=True):
    cdef Tensor a = _lt(A, "linalg_solve", "A"), b = _lt(B, "linalg_solve", "B")
    cdef Py_ssize_t nn
    _check_square(a, "solve")
    if a.m.dtype != b.m.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {DTYPE_TITLES[a.m.dtype]} and B of type "
                           f"{DTYPE_TITLES[b.m.dtype]} instead")
    nn = a.m.shape[a.m.ndim - 1]
    vec = b.m.ndim == 1 or (b.m.ndim == a.m.ndim - 1 and
                            _shape_t(b) == _shape_t(a)[:a.m.ndim - 1])
    if vec:     # B is taken as a column (..., n, 1): with left=False its 1 faces A's n
        if (b.m.shape[b.m.ndim - 1] if left else 1) != nn:
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                               f"{'AX' if left else 'XA'} = B ({nn}x{nn} and "
                               f"{b.m.shape[b.m.ndim - 1]}x1)")
        if not left:
            raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not "
                               "supported for left=False. In this case linalg.solve is "
                               "equivalent to B / A.squeeze(-1)")
        return t_solve(a, b, True)
    if b.m.ndim < 2 or b.m.shape[b.m.ndim - (2 if left else 1)] != nn:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX' if left else 'XA'} = B ({nn}x{nn} and "
                           f"{b.m.shape[b.m.ndim - 2]}x{b.m.shape[b.m.ndim - 1]})")
    _broadcast_batch(a, b)
    if left:
        return t_solve(a, b, False)
    cdef Tensor x = named(_swap_last(t_solve(_swap_last(a), _swap_last(b), False)), NAME_SOLVE)
    not_a_view(x)           # a new tensor, as torch's: not a view of the internal solution
    return x


cdef int _broadcast_batch(Tensor a, Tensor b) except -1:
    cdef Meta ma, mb, mo
    cdef Py_ssize_t so[PYAD_MAXDIM]
    ma.ndim = a.m.ndim - 2
    ma.shape = a.m.shape
    mb.ndim = b.m.ndim - 2
    mb.shape = b.m.shape
    mo.shape = so
    broadcast_meta(&mb, &ma, &mo)
    return 0


# ---- inv: LinalgInvExBackward0          Y = A^-1;  dA = -Y^T g Y^T ----------------------------
cdef Tensor t_inv(Tensor A):
    a = np.asarray(_np_view(A))
    try:
        with np.errstate(all="ignore"):
            y = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise _singular_error(a, "inv") from None
    cdef Tensor out = tensor_from_numpy_copy(y, A.m.dtype)
    cdef Node* n
    if wants_grad(A):
        n = record(OP_INV, NAME_INV, out, A, None, 1)
        save_output(n, out)
    return out


cdef list inv_bw(_BwMath M, Node* n, object g):
    yt = M.mT(M.result(n))
    return [M.neg(M.matmul(yt, M.matmul(g, yt)))]


def _linalg_inv(A):
    cdef Tensor a = _lt(A, "linalg_inv", "A")
    _check_square(a, "inv")
    return t_inv(a)


# ---- det: LinalgDetBackward0        dA = g det(A) A^-T  (the cofactor matrix when singular) ---
cdef Tensor t_det(Tensor A):
    with np.errstate(all="ignore"):
        d = np.linalg.det(np.asarray(_np_view(A)))
    cdef Tensor out = tensor_from_numpy_copy(d, A.m.dtype)
    cdef Node* n
    if wants_grad(A):
        n = record(OP_DET, NAME_DET, out, A, None, 1)
        save_input(n, 0, A)
        save_output(n, out)
    return out


cdef tuple _cofactor_masks(Py_ssize_t nn):
    """keep, put: A[..., None, None, :, :] * keep + put holds at [..., i, j, :, :] the matrix A
    with row i replaced by e_j, whose determinant is the cofactor C[..., i, j]."""
    keep = np.ones((nn, 1, nn, nn))
    put = np.zeros((nn, nn, nn, nn))
    for i in range(nn):
        keep[i, 0, i, :] = 0
        put[i, :, i, :] = np.eye(nn)
    return keep, put


@cython.wraparound(True)
cdef object _cofactor_np(object a):
    """The cofactor matrix of each matrix of a (numpy, batched): through the SVD where the matrix
    is finite (LAPACK's SVD refuses NaN and inf), else as determinants (_cofactor_recorded's)."""
    fin = np.isfinite(a).all(axis=(-1, -2))
    c = np.empty_like(a)
    if not fin.all():
        keep, put = _cofactor_masks(a.shape[-1])
        c[~fin] = np.linalg.det(a[~fin][..., None, None, :, :] * keep.astype(a.dtype) +
                                put.astype(a.dtype))
    if fin.any():
        u, s, vh = np.linalg.svd(a[fin])
        alpha = np.linalg.det(u) * np.linalg.det(vh)
        nn = s.shape[-1]
        prods = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(nn)],
                         axis=-1) if nn else s
        c[fin] = (u * (alpha[..., None] * prods)[..., None, :]) @ vh
    return c


cdef Tensor _cofactor_recorded(Tensor A):
    """Differentiable cofactor matrix: C[..., i, j] = det(A with row i replaced by e_j)."""
    cdef int d
    keep, put = _cofactor_masks(A.m.shape[A.m.ndim - 1])
    cdef Tensor a = A
    for d in range(2):
        a = t_unsqueeze(a, a.m.ndim - 2)
    return t_det(t_add(t_mul(a, _const(keep, A.m.dtype)), _const(put, A.m.dtype)))


cdef list det_bw(_BwMath M, Node* n, object g):
    cdef int d
    A = M.input(n, 0)
    if M.recorded and n.in_meta[0].numel == 0:
        # torch's linalg_det_backward gives plain zeros for an empty A (nothing recorded)
        return [M.const(np.zeros([n.in_meta[0].shape[d] for d in range(n.in_meta[0].ndim)]), A)]
    if M.recorded and M.size(A, -1) == 1:
        # d det / dA = 1 for a 1x1 matrix: torch under grad mode passes the gradient on
        # (ExpandBackward0), so it does not depend on A (it requires grad only if g does)
        return [M.expand_as(M.unsq2(g), A)]
    det = M.result(n)
    if M.any_zero(det):         # the cofactor matrix (for the whole batch, as torch's grad mode)
        return [M.mul(M.unsq2(g), M.cofactor(A))]
    # (A^-1 det g)^T: the LU of A that det came from, so their rounding errors cancel (torch's
    # lu_solve with the forward's LU); a solve with A^T loses ~1e-6 of finite differences
    # near a singular matrix
    return [M.mT(M.solve(A, M.mul(M.unsq2(M.mul(g, det)), M.eye_like(A))))]


def _linalg_det(A):
    cdef Tensor a = _lt(A, "linalg_det", "A")
    _check_square(a, "det")
    return t_det(a)


# ---- slogdet: LinalgSlogdetBackward0   d logabsdet / dA = A^-T; sign has no gradient ---------
cdef Tensor t_logabsdet(Tensor A):
    with np.errstate(all="ignore"):
        s, l = np.linalg.slogdet(np.asarray(_np_view(A)))
    cdef Tensor out = tensor_from_numpy_copy(l, A.m.dtype)
    cdef Node* n
    if wants_grad(A):
        n = record(OP_SLOGDET, NAME_SLOGDET, out, A, None, 1)
        save_input(n, 0, A)
    return out


cdef list slogdet_bw(_BwMath M, Node* n, object g):
    A = M.input(n, 0)
    return [M.solve(M.mT(A), M.mul(M.unsq2(g), M.eye_like(A)))]

cdef int nograd_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm,
                        GradSink* sink) except -1:
    return 0

cdef list nograd_recorded(Node* n, Tensor g):
    return [None]


def _linalg_slogdet(A):
    cdef Tensor a = _lt(A, "linalg_slogdet", "A")
    _check_square(a, "slogdet")
    with np.errstate(all="ignore"):
        s = np.linalg.slogdet(np.asarray(_np_view(a)))[0]
    cdef Tensor sign = tensor_from_numpy_copy(s, a.m.dtype)
    if wants_grad(a):
        record(OP_NOGRAD, NAME_SLOGDET, sign, a, None, 1)
    return sign, t_logabsdet(a)


# ---- cholesky: LinalgCholeskyExBackward0
#   gA = sym(L^-T Phi(L^T gL) L^-1), Phi = lower triangle with the diagonal halved
@cython.wraparound(True)
cdef Tensor t_cholesky(Tensor A, bint upper):
    a = np.asarray(_np_view(A))
    try:
        with np.errstate(all="ignore"):
            l = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise _not_pd_error(a) from None
    if not np.isfinite(l).all():
        # LAPACK's potrf stops at a NaN pivot, which numpy's may carry through
        flat = a.reshape((-1,) + a.shape[a.ndim - 2:])
        for b in range(flat.shape[0]):
            k = _potrf_failure(flat[b], A.m.dtype == PYAD_F32)
            if k:
                raise _not_pd_message(a, b, k)
    if upper:
        l = np.swapaxes(l, -1, -2)
    cdef Tensor out = tensor_from_numpy_copy(l, A.m.dtype)
    cdef Node* n
    if wants_grad(A):
        n = record(OP_CHOLESKY, NAME_CHOLESKY, out, A, None, 1, 1)
        n.ip[0] = upper
        save_output(n, out)
    return out


@cython.wraparound(True)
cdef object _not_pd_error(object a):
    flat = a.reshape((-1,) + a.shape[a.ndim - 2:])
    for b in range(flat.shape[0]):
        for k in range(1, flat.shape[1] + 1):
            try:
                np.linalg.cholesky(flat[b, :k, :k])
            except np.linalg.LinAlgError:
                return _not_pd_message(a, b, k)
    return LinAlgError("linalg.cholesky: the input is not positive-definite.")


cdef object _not_pd_message(object a, Py_ssize_t b, Py_ssize_t k):
    return LinAlgError(f"linalg.cholesky: {_batch_prefix(a, b)}The factorization could not be "
                       "completed because the input is not positive-definite (the leading minor "
                       f"of order {k} is not positive-definite).")


@cython.wraparound(True)
cdef Py_ssize_t _potrf_failure(object m, bint f32):
    """The order at which LAPACK's unblocked Cholesky (lower) stops, its pivot not > 0 (NaN
    included), or 0. torch's float32 kernel also stops right after an infinite pivot."""
    cdef Py_ssize_t j, n = m.shape[0]
    L = np.zeros_like(m)
    with np.errstate(all="ignore"):
        for j in range(n):
            ajj = m[j, j] - np.dot(L[j, :j], L[j, :j])
            if not ajj > 0:
                return j + 1
            if f32 and ajj == INFINITY and j + 1 < n:
                return j + 2
            L[j, j] = np.sqrt(ajj)
            L[j + 1:, j] = (m[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return 0


cdef list cholesky_bw(_BwMath M, Node* n, object g):
    l = M.result(n)
    if n.ip[0]:
        l = M.mT(l)
        g = M.mT(g)
    li = M.inv(l)
    cdef Py_ssize_t nn = M.size(l, -1)
    half = np.ones((nn, nn))
    np.fill_diagonal(half, 0.5)
    phi = M.mul(M.tril(M.matmul(M.mT(l), g)), M.const(half, l))    # diagonal halved
    ga = M.matmul(M.matmul(M.mT(li), phi), li)
    return [M.muls(M.add(ga, M.mT(ga)), 0.5)]


def _linalg_cholesky(A, *, upper=False):
    cdef Tensor a = _lt(A, "linalg_cholesky", "A")
    _check_square(a, "cholesky")
    return t_cholesky(a, upper)


# ---- vector_norm: ops_reduce.pxi's t_norm (LinalgVectorNormBackward0) -------------------
def _linalg_vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    cdef Tensor t = _lt(x, "linalg_vector_norm", "input")
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef double p
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    check_scalar_range(ord)
    p = ord
    check_vector_norm_dim(dim)                      # the argument parser's, before the dtype
    check_keepdim("linalg_vector_norm", keepdim)
    if category(t.m.dtype) != 2:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {DTYPE_TITLES[t.m.dtype]}")
    if dtype is not None:
        code = dtype_code(dtype)
        if code < t.m.dtype or category(code) != 2:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input "
                               f"({DTYPE_TITLES[t.m.dtype]}) should be convertible without "
                               f"narrowing to the specified dtype ({DTYPE_TITLES[code]})")
        t = t_to(t, code)
    if dim is not None and not is_int_arg(dim) and len(dim) == 0:
        dim = None
    dims_mask(t, dim, mask, "linalg_vector_norm")
    if t.m.ndim == 0:
        mask[0] = 0
    return t_norm(t, p, mask, keepdim, dim is None)


def _named_as(Tensor t, str name):
    """Rename t's (fresh) grad_fn to torch's name (matrix norms built from vector norms)."""
    return named(t, register_name(name))


# ---- function and method forms in the pyad namespace (torch.det, torch.inverse, ...) ------
def det(input):
    """Determinant of a square matrix (or batch). LinalgDetBackward0."""
    return _linalg_det(input)


def inverse(input):
    """Inverse of a square matrix (or batch). LinalgInvExBackward0."""
    return _linalg_inv(input)


cdef int OP_TRI = register_cmath(tri_bw)
cdef int OP_SOLVE = register_once(solve_bw)
cdef int OP_INV = register_once(inv_bw)
cdef int OP_DET = register_once(det_bw)
cdef int OP_SLOGDET = register_once(slogdet_bw)
cdef int OP_NOGRAD = register_op(nograd_numeric, nograd_recorded)
cdef int OP_CHOLESKY = register_once(cholesky_bw)
cdef int NAME_TRIL = register_name("TrilBackward0")
cdef int NAME_TRIU = register_name("TriuBackward0")
cdef int NAME_DIAGONAL = register_name("DiagonalBackward0")
cdef int NAME_DIAGONAL_BW = register_name("DiagonalBackwardBackward0")
cdef int NAME_DIAG_COPY = register_name("DiagonalBackward0_copy")
cdef int NAME_DIAG_EMBED = register_name("DiagEmbedBackward0")
cdef int NAME_TRACE = register_name("TraceBackward0")
cdef int NAME_SOLVE = register_name("LinalgSolveExBackward0")
cdef int NAME_INV = register_name("LinalgInvExBackward0")
cdef int NAME_DET = register_name("LinalgDetBackward0")
cdef int NAME_SLOGDET = register_name("LinalgSlogdetBackward0")
cdef int NAME_CHOLESKY = register_name("LinalgCholeskyExBackward0")
