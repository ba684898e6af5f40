# ops_shape.pxi: shape and movement: flatten, unflatten, swapaxes, movedim, broadcast_to, repeat,
# tile, flip, roll, narrow, cat, stack, split, chunk, unbind, clone.
# Each op: forward, numeric backward and recorded backward side by side; registered with
# register_op/register_name; public functions appended to __all__.
#
# Movements that are strided views in torch (narrow, flip, split/chunk/unbind pieces, movedim,
# .T, .mT) are one t_gather each: their adjoint is the scatter-add with the same strides, so
# every order of derivative comes for free. Pure reshapes (flatten, unflatten) are t_view.
# repeat, roll, cat/stack and clone have their own primitives below.
# Multi-output ops (split, chunk, unbind) give each piece its own single-output node, named
# like torch's node for the whole op; each piece's backward scatters into the input's shape.

__all__ += [
    "flatten", "unflatten", "swapaxes", "swapdims", "movedim", "moveaxis", "adjoint",
    "broadcast_to", "tile", "flip", "roll", "narrow", "cat", "concat", "concatenate", "stack",
    "split", "chunk", "unbind", "clone",
]


# ============================================================================================
# Argument helpers
# ============================================================================================
cdef inline int _wrap_no_scalar(object dim, int ndim) except -100:
    """Wrap a dim of an op that, unlike most, has no dims to offer on a 0-d tensor (roll)."""
    if ndim == 0 and is_int_arg(dim):
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return wrap_dim(dim, ndim)

cdef object _int_tuple(str fn, str arg, int pos, object v, bint allow_int):
    """An int-or-sequence argument as a tuple of ints, with torch's TypeError otherwise."""
    if is_int_arg(v):
        _int64_arg(v)
        if allow_int:
            return (int(v),)
    elif isinstance(v, (tuple, list)) and all(is_int_arg(e) for e in v):
        check_int64_items(fn, arg, v)
        return tuple(int(e) for e in v)
    elif isinstance(v, Tensor) and (<Tensor>v).m.dtype == PYAD_I64 and (<Tensor>v).m.ndim <= 1:
        return tuple(v.tolist()) if (<Tensor>v).m.ndim else (v.item(),)
    raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be tuple of ints, "
                    f"not {type(v).__name__}")

cdef object _varargs(tuple args):
    """f(1, 2) or f((1, 2)) or f([1, 2]): the sizes/dims as given."""
    if len(args) == 1 and not is_int_arg(args[0]):
        return args[0]
    return args

cdef inline int _shape_with(const Meta* m, int dim, Py_ssize_t size, Py_ssize_t* shp) noexcept:
    """m's shape with shp[dim] = size."""
    memcpy(shp, m.shape, m.ndim * sizeof(Py_ssize_t))
    shp[dim] = size
    return m.ndim


# ============================================================================================
# flatten / unflatten: ViewBackward0 (pure reshapes of a contiguous tensor)
# ============================================================================================
cdef Tensor t_flatten(Tensor x, object start_dim, object end_dim):
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int s, e, d, nd = 0
    for v, name, pos in ((start_dim, "start_dim", 1), (end_dim, "end_dim", 2)):
        if not is_int_arg(v):
            raise TypeError(f"flatten(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")
    s = wrap_dim(start_dim, x.m.ndim)
    e = wrap_dim(end_dim, x.m.ndim)
    if x.m.ndim == 0:
        shp[0] = 1
        return t_view(x, 1, shp, NAME_VIEW)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return x            # torch returns the tensor itself
    for d in range(s):
        shp[nd] = x.m.shape[d]
        nd += 1
    shp[nd] = 1
    for d in range(s, e + 1):
        shp[nd] *= x.m.shape[d]
    nd += 1
    for d in range(e + 1, x.m.ndim):
        shp[nd] = x.m.shape[d]
        nd += 1
    return t_view(x, nd, shp, NAME_VIEW)

cdef Tensor t_unflatten(Tensor x, object dim, object sizes):
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int d, k, nd = 0, infer = -1
    cdef Py_ssize_t known = 1, size
    sizes = _int_tuple("unflatten", "sizes", 2, sizes, False)
    d = wrap_dim(dim, x.m.ndim)
    if x.m.ndim == 0:
        raise RuntimeError("unflatten got an unexpected error:\n"
                           f"Dimension specified as {d} but tensor has no dimensions")
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if x.m.ndim - 1 + len(sizes) > PYAD_MAXDIM:
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions")
    size = x.m.shape[d]
    for k, s in enumerate(sizes):
        if s == -1:
            if infer >= 0:
                raise RuntimeError("unflatten got an unexpected error:\n"
                                   "only one dimension can be inferred")
            infer = k
        elif s < 0:
            raise RuntimeError("unflatten got an unexpected error:\n"
                               f"invalid shape dimension {s} at index {k} of shape {list(sizes)}")
        else:   # torch's product wraps around in int64 (then the sizes do not multiply up)
            known = wrap_int64(known * s)
    # torch's infer_size: the sizes fit if they multiply up to the dim's size, or (with a -1)
    # to a positive divisor of it
    if not (size == known or (infer >= 0 and known > 0 and size % known == 0)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {d} ({size}) in the input tensor")
    if infer >= 0 and known == 0:
        raise RuntimeError("unflatten got an unexpected error:\n"
                           f"cannot reshape tensor of 0 elements into shape {list(sizes)} "
                           "because the unspecified dimension size -1 can be any value and is "
                           "ambiguous")
    for k in range(d):
        shp[nd] = x.m.shape[k]
        nd += 1
    for k, s in enumerate(sizes):
        shp[nd] = size // known if k == infer else s
        nd += 1
    for k in range(d + 1, x.m.ndim):
        shp[nd] = x.m.shape[k]
        nd += 1
    if numel_overflows(nd, shp):     # sizes whose int64 product wrapped to the dim's size
        raise RuntimeError("numel: integer multiplication overflow")
    return t_view(x, nd, shp, NAME_VIEW)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one (ViewBackward0).

    Args: input (Tensor); start_dim (int, default 0); end_dim (int, default -1).
    A 1-D input, or start_dim == end_dim, returns input itself; a 0-d input gives shape (1,).

    Example:
        >>> pyad.flatten(pyad.zeros(2, 3, 4), 1).shape
        pyad.Size([2, 12])
    """
    return t_flatten(_t(input), start_dim, end_dim)


def unflatten(input, dim, sizes):
    """Split dim into sizes (one entry may be -1), the inverse of flatten (ViewBackward0).

    Example:
        >>> pyad.unflatten(pyad.zeros(2, 12), 1, (3, -1)).shape
        pyad.Size([2, 3, 4])
    """
    return t_unflatten(_t(input), dim, sizes)


# ============================================================================================
# Permutations: swapaxes/swapdims (TransposeBackward0), movedim/moveaxis and .T
# (PermuteBackward0), .mT/.mH/adjoint (TransposeBackward0). All strided gathers.
# ============================================================================================
cdef Tensor t_movedim(Tensor x, object source, object destination):
    cdef int perm[PYAD_MAXDIM]
    cdef bint used_src[PYAD_MAXDIM]
    cdef bint used_dst[PYAD_MAXDIM]
    cdef int i, d, nd = x.m.ndim, s_next = 0
    if is_int_arg(source) != is_int_arg(destination):
        raise TypeError(f"movedim() received an invalid combination of arguments - got "
                        f"({type(source).__name__}, {type(destination).__name__}), but expected "
                        "one of:\n * (int source, int destination)\n * (tuple of ints source, "
                        "tuple of ints destination)")
    src = _int_tuple("movedim", "source", 1, source, True)
    dst = _int_tuple("movedim", "destination", 2, destination, True)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    wsrc = [wrap_dim(v, nd) for v in src]     # v, not the C int d: a huge dim is an IndexError
    wdst = [wrap_dim(v, nd) for v in dst]
    if len(set(wsrc)) != len(wsrc):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(wdst)) != len(wdst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    if nd == 0:
        return t_view(x, 0, x.m.shape, NAME_ALIAS)
    for d in range(nd):
        used_src[d] = False
        used_dst[d] = False
    for i in range(len(wsrc)):
        perm[<int>wdst[i]] = wsrc[i]
        used_src[<int>wsrc[i]] = True
        used_dst[<int>wdst[i]] = True
    for d in range(nd):             # the other dims keep their order in the free places
        if used_dst[d]:
            continue
        while used_src[s_next]:
            s_next += 1
        perm[d] = s_next
        s_next += 1
    return t_permute(x, perm, NAME_PERMUTE)

cdef Tensor t_numpy_T(Tensor x):
    """x.T: all dims reversed (PermuteBackward0), with torch's deprecation warnings."""
    cdef int perm[PYAD_MAXDIM]
    cdef int d
    if x.m.ndim == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases.", UserWarning, stacklevel=1)
    elif x.m.ndim != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                      "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                      UserWarning, stacklevel=1)
    for d in range(x.m.ndim):
        perm[d] = x.m.ndim - 1 - d
    return t_permute(x, perm, NAME_PERMUTE)

cdef Tensor t_matrix_T(Tensor x, str what):
    """x.mT / x.mH / x.adjoint(): the last two dims swapped (TransposeBackward0).

    A 0-d tensor is returned itself, with torch's deprecation warning.
    """
    if x.m.ndim == 0:
        warnings.warn(("Tensor." if what != "adjoint()" else "") + what + " is deprecated on 0-D "
                      "tensors. " + ("This function is the identity in these cases." if what == "mT"
                                     else "Consider using x.conj()."), UserWarning, stacklevel=1)
        return x
    if x.m.ndim < 2:
        raise RuntimeError(f"tensor.{what} is only supported on matrices or batches of matrices. "
                           f"Got {x.m.ndim}-D tensor.")
    return t_transpose(x, x.m.ndim - 2, x.m.ndim - 1)


def swapaxes(input, axis0, axis1):
    """Alias of transpose(input, axis0, axis1) (TransposeBackward0).

    Example:
        >>> pyad.swapaxes(pyad.zeros(2, 3, 4), 0, 2).shape
        pyad.Size([4, 3, 2])
    """
    return _t(input).transpose(axis0, axis1)


def swapdims(input, dim0, dim1):
    """Alias of transpose(input, dim0, dim1) (TransposeBackward0).

    Example:
        >>> pyad.swapdims(pyad.zeros(2, 3), 0, 1).shape
        pyad.Size([3, 2])
    """
    return _t(input).transpose(dim0, dim1)


def movedim(input, source, destination):
    """Move dims source (int or tuple) to positions destination; others keep their order.

    PermuteBackward0 (AliasBackward0 on a 0-d tensor).

    Example:
        >>> pyad.movedim(pyad.zeros(2, 3, 4), 0, -1).shape
        pyad.Size([3, 4, 2])
    """
    return t_movedim(_t(input), source, destination)


def moveaxis(input, source, destination):
    """Alias of movedim.

    Example:
        >>> pyad.moveaxis(pyad.zeros(2, 3, 4), (0, 1), (1, 0)).shape
        pyad.Size([3, 2, 4])
    """
    return t_movedim(_t(input), source, destination)


def adjoint(input):
    """The last two dims swapped (the conjugate is a no-op for real tensors).

    Example:
        >>> pyad.adjoint(pyad.zeros(5, 2, 3)).shape
        pyad.Size([5, 3, 2])
    """
    return t_matrix_T(_t(input), "adjoint()")


def broadcast_to(input, size):
    """input expanded to size (ExpandBackward0); -1 keeps a dim's size.

    Example:
        >>> pyad.broadcast_to(pyad.zeros(3), (2, 3)).shape
        pyad.Size([2, 3])
    """
    size = _int_tuple("broadcast_to", "size", 2, size, False)
    return _t(input).expand(size)


# ============================================================================================
# repeat / tile: RepeatBackward0. The output viewed as interleaved (r_d, s_d) axes is one gather
# from x with stride 0 on the r axes; the gradient is the scatter-add with the same strides
# (a sum over the repeats). ip[0] = nd, ip[1:1+nd] = gather shape, ip[1+nd:1+2nd] = strides.
# ============================================================================================
cdef int repeat_layout(const Meta* mx, int k, const Py_ssize_t* reps, Py_ssize_t* shp,
                       Py_ssize_t* st) except -1:
    """The gather (shape, strides) of x repeated by reps (k >= x.ndim entries).

    Axes of size 1 are dropped and adjacent axes merged where the strides allow it, so the
    layout fits PYAD_MAXDIM dims unless the output is astronomically large.
    """
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Py_ssize_t tsh[2 * PYAD_MAXDIM]
    cdef Py_ssize_t tst[2 * PYAD_MAXDIM]
    cdef int d, j, t = 0, nd = 0, off = k - mx.ndim
    contiguous_strides(mx, cs)
    for d in range(k):
        if reps[d] == 0 or (d >= off and mx.shape[d - off] == 0):
            shp[0] = 0          # empty output: nothing to gather
            st[0] = 0
            return 1
        if reps[d] != 1:
            tsh[t] = reps[d]
            tst[t] = 0
            t += 1
        if d >= off and mx.shape[d - off] != 1:
            tsh[t] = mx.shape[d - off]
            tst[t] = cs[d - off]
            t += 1
    for j in range(t):
        if nd > 0 and st[nd - 1] == tsh[j] * tst[j]:
            shp[nd - 1] *= tsh[j]
            st[nd - 1] = tst[j]
            continue
        if nd == PYAD_MAXDIM:
            raise RuntimeError(f"pyad: repeat needs more than {PYAD_MAXDIM} strided dims here")
        shp[nd] = tsh[j]
        st[nd] = tst[j]
        nd += 1
    return nd

cdef Tensor t_repeat(Tensor x, int k, const Py_ssize_t* reps):
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t lsh[PYAD_MAXDIM]
    cdef Py_ssize_t lst[PYAD_MAXDIM]
    cdef Meta mo, ml
    cdef int d, nd, off = k - x.m.ndim
    cdef Node* n
    if off < 0:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    for d in range(k):  # sizes as Python ints first: reps * size must not wrap
        size = (<object>reps[d]) * (x.m.shape[d - off] if d >= off else 1)
        if not -PY_SSIZE_T_MAX <= size <= PY_SSIZE_T_MAX:
            raise RuntimeError(f"Storage size calculation overflowed with sizes="
                               f"{[reps[i] for i in range(k)]}")
        shp[d] = size
    mo.dtype = x.m.dtype
    mo.ndim = k
    mo.shape = shp
    mo.numel = shape_numel(k, shp)      # torch's message for a negative repeat
    check_storage_size(k, shp, x.m.dtype)
    nd = repeat_layout(&x.m, k, reps, lsh, lst)
    ml.dtype = x.m.dtype
    ml.ndim = nd
    ml.shape = lsh
    ml.numel = mo.numel
    cdef Tensor out = tensor_from_new_buffer(nb_gather(x.buf.data, x.m.dtype, 0, lst, &ml),
                                             &mo, x.m.dtype)
    if wants_grad(x):
        n = record(OP_REPEAT, NAME_REPEAT, out, x, None, 1, 1 + 2 * nd)
        n.ip[0] = nd
        memcpy(n.ip + 1, lsh, nd * sizeof(Py_ssize_t))
        memcpy(n.ip + 1 + nd, lst, nd * sizeof(Py_ssize_t))
    return out

# CMath's view (cmath.pxi), for repeat_bw: the numeric one the same Buffer under another meta
cdef int cm_num_view(BV* out, const BV* x, int nd, const Py_ssize_t* shape) except -1:
    cdef Meta mv
    mv.dtype = x.m.dtype
    mv.ndim = nd
    mv.shape = <Py_ssize_t*>shape
    mv.numel = x.m.numel
    buf_incref(x.buf)
    bv_set_buffer(out, x.buf, &mv)
    return 0

cdef int cm_rec_view(BV* out, const BV* x, int nd, const Py_ssize_t* shape) except -1:
    return bv_set_tensor(out, t_view(bv_t(x), nd, shape, NAME_VIEW))

CMATH_NUM.view = cm_num_view
CMATH_REC.view = cm_rec_view

cdef int repeat_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    """g seen in the repeat's layout (ip: nd, its sizes, the strides into x), each element added
    at its place in x: the sum over the repeats."""
    cdef int nd = <int>n.ip[0]
    cdef BV v
    bv_init(&v)
    try:
        M.view(&v, g, nd, n.ip + 1)
        M.scatter(&outs[0], &v, 0, n.ip + 1 + nd, &n.in_meta[0], NAME_SUM1, NAME_EXPAND)
    finally:
        bv_clear(&v)
    return 0

cdef Tensor t_tile(Tensor x, object dims):
    cdef Py_ssize_t reps[PYAD_MAXDIM]
    cdef int d, k = len(dims), pad = x.m.ndim - len(dims)
    if k > PYAD_MAXDIM:
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions, got {k}")
    for d in range(pad):
        reps[d] = 1
    for d in range(k):
        reps[(pad if pad > 0 else 0) + d] = dims[d]
    return t_repeat(x, k if pad < 0 else x.m.ndim, reps)


def tile(input, dims):
    """Repeat input dims[i] times along each dim; missing leading entries count as 1.

    RepeatBackward0, as torch.

    Example:
        >>> pyad.tile(pyad.tensor([1., 2.]), (2, 2))
        tensor([[1., 2., 1., 2.],
                [1., 2., 1., 2.]])
    """
    return t_tile(_t(input), _int_tuple("tile", "dims", 2, dims, False))


# ============================================================================================
# flip: FlipBackward0. A gather with negative strides from the far end; its adjoint is the same
# flip (a scatter with the same strides), so the backward node prints FlipBackward0 too.
# ============================================================================================
cdef Tensor t_flip(Tensor x, const Py_ssize_t* mask):
    cdef Py_ssize_t st[PYAD_MAXDIM]
    cdef Py_ssize_t offset = 0
    cdef int d
    contiguous_strides(&x.m, st)
    for d in range(x.m.ndim):
        if mask[d] and x.m.shape[d] > 1:
            offset += (x.m.shape[d] - 1) * st[d]
            st[d] = -st[d]
    cdef Tensor out = t_gather(x, offset, st, x.m.ndim, x.m.shape, NAME_FLIP, NAME_FLIP)
    not_a_view(out)               # flip copies in torch too: not a view, in-place ops allowed
    return out


def flip(input, dims):
    """Reverse the order of elements along dims (a tuple of ints) (FlipBackward0).

    Example:
        >>> pyad.flip(pyad.tensor([[1., 2.], [3., 4.]]), (1,))
        tensor([[2., 1.],
                [4., 3.]])
    """
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef Tensor x = _t(input)
    dims_mask(x, _int_tuple("flip", "dims", 2, dims, False), mask)
    return t_flip(x, mask)


# ============================================================================================
# roll: RollBackward0. x viewed with shape (nd dims; [numel] when dims=None) is rolled by
# shifts[d] along each dim, as 2^k strided block copies (k = dims with a non-zero shift).
# Gradient: the roll by -shifts. ip[0] = nd, ip[1:1+nd] = shape, ip[1+nd:1+2nd] = shifts.
# ============================================================================================
cdef Buffer* nb_roll(const char* x, int dtype, int nd, const Py_ssize_t* shape,
                     const Py_ssize_t* shifts) except NULL:
    """out[(i + shift) mod size] = x[i] along each dim of a contiguous (nd, shape) array."""
    cdef Py_ssize_t isz = itemsize(dtype)
    cdef Py_ssize_t numel = shape_numel(nd, shape)
    cdef Buffer* out = buf_new(numel * isz)
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Py_ssize_t piece[PYAD_MAXDIM]
    cdef Py_ssize_t st[2][PYAD_MAXDIM]
    cdef Py_ssize_t s[PYAD_MAXDIM]
    cdef int rolled[PYAD_MAXDIM]
    cdef char* base[2]
    cdef Py_ssize_t src_off, dst_off, combo
    cdef int d, j, k = 0
    cdef Meta m
    if numel == 0:
        return out
    m.ndim = nd
    m.shape = <Py_ssize_t*>shape
    contiguous_strides(&m, cs)
    for d in range(nd):
        st[0][d] = cs[d] * isz
        st[1][d] = cs[d] * isz
        s[d] = shifts[d] % shape[d]         # Python-style modulo: 0 <= s < size
        if s[d] < 0:
            s[d] += shape[d]
        if s[d] != 0:
            rolled[k] = d
            k += 1
    for combo in range(1 << k):
        # bit j of combo: the rolled dim's head block [0, size-s) -> [s, size) (0), or its tail
        # block [size-s, size) -> [0, s) (1)
        src_off = 0
        dst_off = 0
        for d in range(nd):
            piece[d] = shape[d]
        for j in range(k):
            d = rolled[j]
            if (combo >> j) & 1:
                piece[d] = s[d]
                src_off += (shape[d] - s[d]) * cs[d]
            else:
                piece[d] = shape[d] - s[d]
                dst_off += s[d] * cs[d]
        base[0] = <char*>x + src_off * isz
        base[1] = out.data + dst_off * isz
        pyad_nd_apply(2, base, st, nd, piece, pyad_cast_loop(dtype, dtype), NULL)
    return out

cdef Tensor t_roll(Tensor x, int nd, const Py_ssize_t* shape, const Py_ssize_t* shifts):
    cdef Tensor out = tensor_from_new_buffer(nb_roll(x.buf.data, x.m.dtype, nd, shape, shifts),
                                             &x.m, x.m.dtype)
    cdef Node* n
    cdef int d
    if wants_grad(x):
        n = record(OP_ROLL, NAME_ROLL, out, x, None, 1, 1 + 2 * nd)
        n.ip[0] = nd
        memcpy(n.ip + 1, shape, nd * sizeof(Py_ssize_t))
        for d in range(nd):
            n.ip[1 + nd + d] = shifts[d] % shape[d] if shape[d] else 0
    return out

cdef inline void _negated(const Node* n, Py_ssize_t* neg) noexcept:
    cdef int d, nd = <int>n.ip[0]
    for d in range(nd):
        neg[d] = -n.ip[1 + nd + d]

# CMath's roll (cmath.pxi), for roll_bw
cdef int cm_num_roll(BV* out, const BV* x, int nd, const Py_ssize_t* shape,
                     const Py_ssize_t* shifts) except -1:
    bv_set_buffer(out, nb_roll(x.buf.data, x.m.dtype, nd, shape, shifts), &x.m)
    return 0

cdef int cm_rec_roll(BV* out, const BV* x, int nd, const Py_ssize_t* shape,
                     const Py_ssize_t* shifts) except -1:
    return bv_set_tensor(out, t_roll(bv_t(x), nd, shape, shifts))

CMATH_NUM.roll = cm_num_roll
CMATH_REC.roll = cm_rec_roll

cdef int roll_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    """g rolled back: by the negated shifts (ip: nd, the sizes, the shifts)."""
    cdef Py_ssize_t neg[PYAD_MAXDIM]
    _negated(n, neg)
    return M.roll(&outs[0], g, <int>n.ip[0], n.ip + 1, neg)

cdef Tensor t_roll_args(Tensor x, object shifts, object dims):
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t sh[PYAD_MAXDIM]
    cdef int d, nd
    sh_t = _int_tuple("roll", "shifts", 2, shifts, True)
    if -9223372036854775808 in sh_t:
        # torch's argument parser takes INT64_MIN in a SymInt list for a symbolic int
        raise RuntimeError("roll(): SymIntArrayRef expected to contain only concrete integers")
    dims_t = () if dims is None else _int_tuple("roll", "dims", 3, dims, True)
    if len(sh_t) == 0:
        raise RuntimeError("`shifts` required")
    if x.m.numel == 0 and (len(dims_t) == len(sh_t) or len(dims_t) == 0 and len(sh_t) == 1):
        # torch clones an empty tensor before wrapping any dim (even one out of range)
        for d in range(x.m.ndim):
            shp[d] = x.m.shape[d]
            sh[d] = 0
        return t_roll(x, x.m.ndim, shp, sh)
    if len(dims_t) == 0 and len(sh_t) == 1:      # flattened, rolled, restored
        shp[0] = x.m.numel
        sh[0] = sh_t[0]
        return t_roll(x, 1, shp, sh)
    if len(sh_t) != len(dims_t):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh_t)}, "
                           f"dims:{len(dims_t)}")
    nd = x.m.ndim
    for d in range(nd):
        shp[d] = x.m.shape[d]
        sh[d] = 0
    for s, dim in zip(sh_t, dims_t):
        d = _wrap_no_scalar(dim, nd)
        sh[d] += s
        if shp[d]:
            sh[d] %= shp[d]
    return t_roll(x, nd, shp, sh)


def roll(input, shifts, dims=None):
    """Roll input by shifts along dims (ints or tuples); with dims=None the flattened tensor
    is rolled and the shape restored (RollBackward0).

    Example:
        >>> pyad.roll(pyad.tensor([1., 2., 3., 4.]), 1)
        tensor([4., 1., 2., 3.])
    """
    return t_roll_args(_t(input), shifts, dims)


# ============================================================================================
# narrow: SliceBackward0 (a strided gather; its adjoint prints SliceBackwardBackward0)
# ============================================================================================
cdef Tensor t_narrow(Tensor x, object dim, object start, object length):
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t size, st, ln
    cdef int d
    if isinstance(start, Tensor):
        start = start.item()
    for v in (dim, start, length):      # torch's argument parser, before any other check
        _int64_arg(v)
    if x.m.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    ln = length
    if ln < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = wrap_dim(dim, x.m.ndim)
    size = x.m.shape[d]
    st = start
    if st < -size or st > size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {st})")
    if st < 0:
        st += size
    if st > size - ln:
        raise RuntimeError(f"start ({st}) + length ({ln}) exceeds dimension size ({size}).")
    contiguous_strides(&x.m, cs)
    _shape_with(&x.m, d, ln, shp)
    return t_gather(x, st * cs[d], cs, x.m.ndim, shp, NAME_SLICE, NAME_SLICE_BW)


def narrow(input, dim, start, length):
    """input[..., start:start+length, ...] along dim (SliceBackward0); start may be negative.

    Example:
        >>> pyad.narrow(pyad.tensor([1., 2., 3., 4.]), 0, 1, 2)
        tensor([2., 3.])
    """
    return t_narrow(_t(input), dim, start, length)


# ============================================================================================
# cat / stack: CatBackward0, StackBackward0. One primitive with n inputs: each input is copied
# (cast to the promoted dtype) into its block of the output, viewed as (outer, rows) with the
# inputs' rows side by side; stack is a cat of inputs with a size-1 dim inserted at dim.
# Gradient of input i: its block of g (a slice for cat, a select for stack), nothing saved.
# ip[0] = dim, ip[1] = is stack, ip[2 + i] = offset of input i along dim.
# ============================================================================================
cdef Node* record_n(int op, int name_id, Tensor out, list inputs, int n_ip) except NULL:
    """record() for n inputs: create out's node with one edge and input meta per input."""
    cdef int in_ndims = 0, i, n_in = len(inputs)
    cdef Tensor t
    for t in inputs:
        in_ndims += t.m.ndim
    cdef Node* n = node_alloc(op, name_id, n_in, out.m.ndim, in_ndims, n_ip)
    cdef Py_ssize_t* cursor = n.out_meta.shape + out.m.ndim
    for i in range(n_in):
        t = <Tensor>inputs[i]
        n.in_meta[i].shape = cursor
        set_edge(n, i, t)
        cursor += t.m.ndim
    n.out_meta.dtype = out.m.dtype
    n.out_meta.ndim = out.m.ndim
    n.out_meta.numel = out.m.numel
    memcpy(n.out_meta.shape, out.m.shape, out.m.ndim * sizeof(Py_ssize_t))
    out.grad_fn_ = n
    out._requires_grad = True
    return n

cdef inline bint _cat_skipped(Tensor t) noexcept:
    # torch's legacy rule: 1-D empty tensors are ignored by cat, whatever the other shapes
    return t.m.ndim == 1 and t.m.numel == 0

cdef inline void _cat_geometry(const Meta* mo, int dim, Py_ssize_t* outer,
                               Py_ssize_t* unit) noexcept:
    """outer = prod(shape[:dim]), unit = prod(shape[dim+1:]) of the output."""
    cdef int d
    outer[0] = 1
    unit[0] = 1
    for d in range(dim):
        outer[0] *= mo.shape[d]
    for d in range(dim + 1, mo.ndim):
        unit[0] *= mo.shape[d]

cdef Tensor t_cat(list ts, int dim, bint stack):
    """Inputs already checked: same shapes except along dim (cat) or equal shapes (stack)."""
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t st[2][PYAD_MAXDIM]
    cdef Py_ssize_t outer = 1, unit = 1, rows, rows_out = 0, offset = 0
    cdef Tensor t, ref = None, out
    cdef char* base[2]
    cdef int i, d, n_in = len(ts), dtype
    cdef bint grad = False
    cdef Meta mo
    cdef Node* n
    for t in ts:                        # torch's result_type over all inputs
        if ref is None or result_type2(ref, t) != ref.m.dtype:
            ref = t
        grad = grad or requires_grad_flag(t)    # (recording brings each input up to date)
    dtype = ref.m.dtype
    ref = None
    for t in ts:
        if stack or not _cat_skipped(t):
            ref = t
            break
    if ref is None:                     # every input skipped: torch returns shape (0,)
        mo.ndim = 1
        shp[0] = 0
    elif stack:
        mo.ndim = ref.m.ndim + 1
        for d in range(mo.ndim):
            shp[d] = n_in if d == dim else ref.m.shape[d - (d > dim)]
    else:
        mo.ndim = ref.m.ndim
        memcpy(shp, ref.m.shape, mo.ndim * sizeof(Py_ssize_t))
        shp[dim] = 0
        for t in ts:
            if not _cat_skipped(t):
                shp[dim] += t.m.shape[dim]
    if mo.ndim > PYAD_MAXDIM:
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions")
    out = new_tensor(dtype, mo.ndim, shp)
    if ref is not None:
        _cat_geometry(&out.m, dim, &outer, &unit)
        rows_out = out.m.shape[dim] * unit
        shp[0] = outer
        st[1][0] = rows_out * itemsize(dtype)
        st[1][1] = itemsize(dtype)
    for i in range(n_in):
        t = <Tensor>ts[i]
        if not stack and _cat_skipped(t):
            continue
        rows = (1 if stack else t.m.shape[dim]) * unit
        shp[1] = rows
        st[0][0] = rows * itemsize(t.m.dtype)
        st[0][1] = itemsize(t.m.dtype)
        base[0] = t.buf.data
        base[1] = out.buf.data + offset * unit * itemsize(dtype)
        pyad_nd_apply(2, base, st, 2, shp, pyad_cast_loop(t.m.dtype, dtype), NULL)
        offset += 1 if stack else t.m.shape[dim]
    if grad and pyad_is_grad_enabled():
        n = record_n(OP_CAT, NAME_STACK if stack else NAME_CAT, out, ts, 2 + n_in)
        n.ip[0] = dim
        n.ip[1] = stack
        offset = 0
        for i in range(n_in):
            t = <Tensor>ts[i]
            n.ip[2 + i] = offset
            if stack:
                offset += 1
            elif not _cat_skipped(t):
                offset += t.m.shape[dim]
    return out

cdef int cat_bw(const CMath* C, Node* n, const BV* g, BV* outs) except -1:
    """Input i's gradient is its block of g: a slice along dim (cat) or a select (stack),
    cast to its dtype; an empty input's is zeros."""
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef int i, d, dim = <int>n.ip[0]
    cdef bint stack = n.ip[1]
    cdef Py_ssize_t step
    cdef const Meta* mi
    cdef BV block
    contiguous_strides(&g.m, cs)
    step = cs[dim]
    if stack:                            # input i is g.select(dim, i): dim drops out
        for d in range(dim, g.m.ndim - 1):
            cs[d] = cs[d + 1]
    bv_init(&block)
    try:
        for i in range(n.n_in):
            mi = &n.in_meta[i]
            if not needs_input_grad(n, i):
                continue
            if mi.numel == 0:
                C.zeros(&outs[i], mi)
                continue
            if stack:
                C.gather(&block, g, n.ip[2 + i] * step, cs, mi, NAME_SELECT, NAME_SELECT_BW)
            else:
                C.gather(&block, g, n.ip[2 + i] * step, cs, mi, NAME_SLICE, NAME_SLICE_BW)
            if mi.dtype != g.m.dtype:
                C.to(&outs[i], &block, mi.dtype)
            else:
                bv_copy(&outs[i], &block)
            bv_clear(&block)
    finally:
        bv_clear(&block)
    return 0

cdef list _tensor_list(str fn, object tensors):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)

cdef Tensor _cat(object tensors, object dim, object axis):
    cdef Tensor t, ref = None
    cdef int i, d, w
    cdef list ts = _tensor_list("cat", tensors)
    if axis is not None:
        dim = axis
    if not is_int_arg(dim) and not isinstance(dim, Tensor):    # torch's argument parser
        raise TypeError(f"cat(): argument 'dim' (position 2) must be int, not "
                        f"{type(dim).__name__}")
    if len(ts) == 0:
        raise ValueError("pyad.cat(): expected a non-empty list of Tensors")
    for t in ts:
        if not _cat_skipped(t):
            ref = t
            break
    for i in range(len(ts)):        # (torch checks these before the dim)
        if (<Tensor>ts[i]).m.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    w = wrap_dim(dim, ref.m.ndim) if ref is not None else 0
    if ref is not None:
        for i in range(len(ts)):
            t = <Tensor>ts[i]
            if _cat_skipped(t):
                continue
            if t.m.ndim != ref.m.ndim:
                raise RuntimeError(f"Tensors must have same number of dimensions: got "
                                   f"{ref.m.ndim} and {t.m.ndim}")
            for d in range(t.m.ndim):
                if d != w and t.m.shape[d] != ref.m.shape[d]:
                    raise RuntimeError(f"Sizes of tensors must match except in dimension {w}. "
                                       f"Expected size {ref.m.shape[d]} but got size "
                                       f"{t.m.shape[d]} for tensor number {i} in the list.")
    return t_cat(ts, w, False)


def cat(tensors, dim=0, *, axis=None, out=None):
    """Concatenate a sequence of tensors along dim (CatBackward0).

    Args: tensors (list or tuple of Tensors, same shape except along dim; 1-D empty tensors are
    skipped, as in torch); dim (int, default 0; `axis` is an alias). Mixed dtypes promote.

    Example:
        >>> pyad.cat([pyad.zeros(2, 1), pyad.ones(2, 2)], dim=1)
        tensor([[0., 1., 1.],
                [0., 1., 1.]])
    """
    r = _cat(tensors, dim, axis)
    return r if out is None else write_out("cat", out, r)


def concat(tensors, dim=0, *, axis=None, out=None):
    """Alias of cat.

    Example:
        >>> pyad.concat([pyad.zeros(1), pyad.ones(1)])
        tensor([0., 1.])
    """
    return cat(tensors, dim, axis=axis, out=out)


def concatenate(tensors, axis=0, *, dim=None, out=None):
    """Alias of cat (numpy's argument name first).

    Example:
        >>> pyad.concatenate([pyad.zeros(1), pyad.ones(1)], axis=0)
        tensor([0., 1.])
    """
    return cat(tensors, axis if dim is None else dim, out=out)


def stack(tensors, dim=0, *, axis=None, out=None):
    """Join equal-shaped tensors along a new dim (StackBackward0); mixed dtypes promote.

    Example:
        >>> pyad.stack([pyad.zeros(2), pyad.ones(2)], dim=1)
        tensor([[0., 1.],
                [0., 1.]])
    """
    cdef Tensor t, ref
    cdef int i, d, w
    cdef list ts = _tensor_list("stack", tensors)
    if out is not None:
        return write_out("stack", out, stack(tensors, dim, axis=axis))
    if axis is not None:
        dim = axis
    if len(ts) == 0:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = <Tensor>ts[0]
    if ref.m.ndim >= PYAD_MAXDIM:       # the result has one more dim than its inputs
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions, got "
                           f"{ref.m.ndim + 1}")
    w = wrap_dim(dim, ref.m.ndim + 1)
    for i in range(1, len(ts)):
        t = <Tensor>ts[i]
        if not same_shape(&t.m, &ref.m):
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(ref.shape)} at entry 0 and {list(t.shape)} at entry {i}")
    return t_cat(ts, w, True)


# ============================================================================================
# split / chunk / unbind: one gather node per piece (slices, or selects for unbind), named
# SplitBackward0 / SplitWithSizesBackward0 / UnbindBackward0. Each piece's gradient is its
# scatter into the input's shape, named as torch names the backward of the whole op.
# ============================================================================================
cdef tuple t_split_sizes(Tensor x, int dim, object sizes, int name):
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t off = 0
    contiguous_strides(&x.m, cs)
    pieces = []
    for s in sizes:
        _shape_with(&x.m, dim, s, shp)
        pieces.append(t_gather(x, off * cs[dim], cs, x.m.ndim, shp, name, NAME_CAT))
        off += s
    return _multiple_views(x, pieces)

cdef tuple _multiple_views(Tensor x, list pieces):
    """torch refuses in-place changes of the outputs of an op returning several views (split,
    chunk, unbind) that autograd would record, naming the output."""
    cdef Py_ssize_t i
    cdef unsigned char creation = view_creation(x, VIEW_MULTIPLE)
    for i in range(len(pieces)):
        (<Tensor>pieces[i])._view_creation = creation
        (<Tensor>pieces[i])._view_output_nr = i
    return tuple(pieces)

cdef tuple t_split(Tensor x, object split_size, object dim):
    cdef int d
    cdef Py_ssize_t size, total, n
    _int64_arg(split_size)      # torch's argument parser
    if x.m.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, x.m.ndim)
    size = x.m.shape[d]
    if is_int_arg(split_size):
        if split_size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={split_size}")
        if split_size == 0 and size != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        n = max((size + split_size - 1) // split_size, 1) if split_size else 1
        sizes = [split_size] * (n - 1) + [split_size - (split_size * n - size)]
        return t_split_sizes(x, d, sizes, NAME_SPLIT)
    # a list goes to torch's split_with_sizes, whose parser names it in its errors
    sizes = list(_int_tuple("split_with_sizes", "split_sizes", 1, split_size, False))
    total = 0
    for s in sizes:
        if s < 0:
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
        total += s
    if total != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                           f"(input tensor's size at dimension {d}), but got split_sizes={sizes}")
    return t_split_sizes(x, d, sizes, NAME_SPLIT_WITH_SIZES)

cdef tuple t_chunk(Tensor x, object chunks, object dim):
    cdef int d
    cdef Py_ssize_t size, split_size
    _int64_arg(chunks)          # torch's argument parser
    if x.m.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, x.m.ndim)
    size = x.m.shape[d]
    split_size = (size + chunks - 1) // chunks
    if split_size == 0 and size == 0:       # keep the number of (empty) chunks
        return t_split_sizes(x, d, [0] * chunks, NAME_SPLIT_WITH_SIZES)
    return t_split(x, split_size, d)

cdef tuple t_unbind(Tensor x, object dim):
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t i
    cdef int j, d = wrap_dim(dim, x.m.ndim)
    if x.m.ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    contiguous_strides(&x.m, cs)
    cdef Py_ssize_t step = cs[d]
    for j in range(d, x.m.ndim - 1):
        cs[j] = cs[j + 1]
        shp[j] = x.m.shape[j + 1]
    for j in range(d):
        shp[j] = x.m.shape[j]
    return _multiple_views(x, [t_gather(x, i * step, cs, x.m.ndim - 1, shp, NAME_UNBIND,
                                        NAME_STACK) for i in range(x.m.shape[d])])


def split(tensor, split_size_or_sections, dim=0):
    """Split into pieces of split_size (an int; the last may be smaller) or of the given sizes
    (a list) along dim. Pieces print SplitBackward0 / SplitWithSizesBackward0.

    Example:
        >>> [p.shape for p in pyad.split(pyad.zeros(5, 2), 2)]
        [pyad.Size([2, 2]), pyad.Size([2, 2]), pyad.Size([1, 2])]
    """
    if not isinstance(tensor, Tensor):  # torch.split is Python: tensor.split(...)
        raise AttributeError(f"'{type(tensor).__name__}' object has no attribute 'split'")
    return t_split(<Tensor>tensor, split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    """Split into `chunks` pieces of ceil(size / chunks) along dim (fewer if they run out).

    Example:
        >>> [p.shape for p in pyad.chunk(pyad.zeros(5), 2)]
        [pyad.Size([3]), pyad.Size([2])]
    """
    return t_chunk(_t(input), chunks, dim)


def unbind(input, dim=0):
    """The slices along dim, with dim removed (UnbindBackward0).

    Example:
        >>> pyad.unbind(pyad.tensor([[1., 2.], [3., 4.]]), 1)
        (tensor([1., 3.]), tensor([2., 4.]))
    """
    return t_unbind(_t(input), dim)


# ============================================================================================
# clone: CloneBackward0                                                      d/dx = g
# ============================================================================================
cdef Tensor t_clone(Tensor x):
    cdef Tensor out = t_clone_nograd(x)
    if wants_grad(x):
        record(OP_CLONE, NAME_CLONE, out, x, None, 1)
    return out

cdef list clone_recorded(Node* n, Tensor g):
    return [g]


def clone(input, *, memory_format=None):
    """A copy of input with its own memory, differentiable (CloneBackward0).

    Example:
        >>> pyad.clone(pyad.ones(2))
        tensor([1., 1.])
    """
    return t_clone(_t(input))


cdef int repeat_hands_on(Node* n, int k) noexcept:
    return HANDS_SAME if same_shape(&n.in_meta[0], &n.out_meta) else HANDS_NEW   # no repeat

cdef int OP_REPEAT = register_cmath(repeat_bw)
cdef int OP_ROLL = register_cmath(roll_bw)
cdef int OP_CAT = register_cmath(cat_bw)
cdef int OP_CLONE = register_op(view_numeric, clone_recorded)
HANDS_ON[OP_REPEAT] = repeat_hands_on
HANDS_ON[OP_CLONE] = hands_same
OPS[OP_CLONE].flags |= OPF_FLOW_SAME_OR_NEW
cdef int NAME_REPEAT = register_name("RepeatBackward0")
cdef int NAME_FLIP = register_name("FlipBackward0")
cdef int NAME_ROLL = register_name("RollBackward0")
cdef int NAME_CAT = register_name("CatBackward0")
cdef int NAME_STACK = register_name("StackBackward0")
cdef int NAME_SPLIT = register_name("SplitBackward0")
cdef int NAME_SPLIT_WITH_SIZES = register_name("SplitWithSizesBackward0")
cdef int NAME_UNBIND = register_name("UnbindBackward0")
cdef int NAME_CLONE = register_name("CloneBackward0")
