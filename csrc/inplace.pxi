# inplace.pxi: in-place ops (add_, mul_, ..., x[idx] = v) with torch's autograd rules.
#
# An in-place op computes its result out of place (recorded like any op), writes the values
# into the tensor's own buffer, bumps the buffer's version, and hands the tensor the result's
# history (torch's "rebase"). Nodes that saved the old values notice the version change when
# they are run and raise torch's "modified by an inplace operation" error.

cdef int check_inplace(Tensor x) except -1:
    """torch's refusals, and pyad's where its copies would make an in-place write go astray."""
    check_inplace_torch(x)
    check_inplace_pyad(x)
    return 0


cdef int check_inplace_torch(Tensor x) except -1:
    """torch's own refusals (autograd's check_inplace, before the op's kernel runs). A view
    that only another operand makes require grad is checked in commit_inplace."""
    cdef Tensor base
    if x._base is not None:
        base = <Tensor>x._base
        if (x._view_creation != VIEW_DEFAULT and pyad_is_grad_enabled()
                and (requires_grad_flag(x) or base._requires_grad)):
            raise view_write_error(x)
        # torch: the view requires grad (its own graph from the leaf, or through the base)
        # and its base is a leaf; so also after the base's detach_()
        if pyad_is_grad_enabled() and base.grad_fn_ == NULL and (
                base._requires_grad or x._requires_grad):
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
    if pyad_is_grad_enabled() and x._requires_grad and x.grad_fn_ == NULL:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    return 0


cdef int check_inplace_pyad(Tensor x) except -1:
    """pyad's refusals where torch would write through a view (and succeed): x[idx] = v makes
    them after every error torch could raise, so they only replace torch's success."""
    cdef Tensor base
    if x._base is not None:
        base = <Tensor>x._base
        if x._view_copies:
            raise RuntimeError(
                "pyad: this tensor came from indexing, transpose, permute or expand, which copy in "
                "pyad (torch returns views), so an in-place change would not reach the tensor it "
                "came from; assign through the source instead (x[idx] = value) or use an "
                "out-of-place op")
        if pyad_is_grad_enabled() and base._requires_grad:
            raise RuntimeError("pyad: in-place operations on a view of a tensor that requires "
                               "grad are not supported (torch records CopySlices); use an "
                               "out-of-place op")
    return 0


cdef Tensor inplace_result(Tensor x, Tensor r):
    """r, an in-place op's result computed out of place, held to the rules of writing it into
    x (torch's errors): no recorded write into a view with a non-default CreationMeta (r was
    recorded because another operand requires grad; check_inplace_torch saw x alone), x's
    shape, a result type x's dtype can hold. Returns r cast to x's dtype."""
    if r.grad_fn_ != NULL and x._base is not None and x._view_creation != VIEW_DEFAULT:
        raise view_write_error(x)
    check_inplace_write(x, &r.m, r.m.dtype)
    if r.m.dtype != x.m.dtype:
        r = t_to(r, x.m.dtype)
    return r


cdef int check_inplace_write(Tensor x, const Meta* result, int dtype) except -1:
    """torch's checks on writing a result of this shape and dtype into x: x's shape, and a
    result type x's dtype can hold. Also made before an op refuses x's dtype, as torch's order
    is (refuse_integer_result)."""
    if not same_shape(result, &x.m):
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape "
                           f"{[result.shape[i] for i in range(result.ndim)]}")
    if category(dtype) > category(x.m.dtype):
        raise RuntimeError(f"result type {DTYPE_TITLES[dtype]} can't be cast to the desired "
                           f"output type {DTYPE_TITLES[x.m.dtype]}")
    return 0


cdef Tensor commit_inplace(Tensor x, Tensor r):
    """x takes r's values and, when r was recorded, r's history. Returns x."""
    cdef char* args[2]
    cdef Py_ssize_t steps[2]
    r = inplace_result(x, r)
    check_inplace_pyad(x)
    if r.grad_fn_ != NULL and x._base is not None:
        # the write would make the view require grad; torch records CopySlices on its base so
        # that the base's gradient sees the write, which pyad does not: refuse, not mislead
        raise RuntimeError("pyad: in-place operations on a view with an operand that requires "
                           "grad are not supported (torch records CopySlices); use an "
                           "out-of-place op")
    if r.buf != x.buf:
        args[0] = r.buf.data
        args[1] = x.buf.data
        steps[0] = steps[1] = itemsize(x.m.dtype)
        pyad_cast_loop(r.m.dtype, x.m.dtype)(args, steps, x.m.numel, NULL)
    x.buf.version += 1
    if r.grad_fn_ != NULL:
        if r.grad_fn_.saved_out == r.buf:
            # an op that saves its result (exp_, tanh_, ...) saves x itself, as torch does, so a
            # later in-place change of x is caught when the node runs
            buf_incref(x.buf)
            buf_decref(r.grad_fn_.saved_out)
            r.grad_fn_.saved_out = x.buf
            r.grad_fn_.saved_out_ver = x.buf.version
        r.grad_fn_.refcnt += 1
        if x.retains_grad_:
            _move_retain_hook(x, r.grad_fn_)
        node_decref(x.grad_fn_)
        x.grad_fn_ = r.grad_fn_
        x._requires_grad = True
    return x


cdef int _move_retain_hook(Tensor x, Node* to) except -1:
    """torch moves a non-leaf's retain_grad hook to its new grad_fn when it is written in place,
    so .grad keeps being filled (the user's own hooks stay with the old node)."""
    cdef Node* old = x.grad_fn_
    if old != NULL and old.hooks != NULL:
        (<object>old.hooks).pop(_RETAIN_KEY, None)
    if to.hooks == NULL:
        table = {}
        Py_INCREF(table)
        to.hooks = <PyObject*>table
    (<object>to.hooks)[_RETAIN_KEY] = _RetainGrad(x)
    return 0


cdef Tensor inplace_source(Tensor x):
    """What an in-place op computes from: x itself, or, when the op may be recorded, a copy of
    x's values carrying x's history, so the node saves the values from before the write
    (torch saves `original_self` for the same reason). pyad's own refusals wait for
    commit_inplace, after the op's errors (a dtype the op refuses comes first, as in torch)."""
    check_inplace_torch(x)
    if not pyad_is_grad_enabled():
        return x
    cdef Tensor src = t_clone_nograd(x)
    if x.grad_fn_ != NULL:
        x.grad_fn_.refcnt += 1
        src.grad_fn_ = x.grad_fn_
    src._requires_grad = x._requires_grad
    return src


cdef Tensor inplace(Tensor x, object result):
    return commit_inplace(x, <Tensor>result)


cdef Tensor fill_inplace(Tensor x, object value, int name):
    """zero_ / fill_: the new values have no derivative; the history is cut (ZeroBackward0)."""
    check_inplace_torch(x)
    cdef Tensor r = _filled_like(x, value, None, False)
    if x._requires_grad and pyad_is_grad_enabled():
        r = zero_grad_of(r, x, name)
    return commit_inplace(x, r)


cdef Tensor fill_tensor_inplace(Tensor x, Tensor value):
    """x.fill_(value) with a 0-d tensor value (torch's fill_.Tensor, FillBackward3): the value's
    gradient is the sum of x's, x's old values get none."""
    check_inplace_torch(x)
    if (pyad_is_grad_enabled() and requires_grad_flag(value) and x._base is not None
            and x._view_creation != VIEW_DEFAULT):
        # torch's check_inplace asks whether any input requires grad, whatever x's dtype
        raise view_write_error(x)
    if value.m.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.m.ndim} dimensions.")
    cdef Tensor r = t_expand(t_to(value, x.m.dtype), x.m.ndim, x.m.shape)
    if pyad_is_grad_enabled() and (x._requires_grad or value._requires_grad):
        # where() on a constant mask: x's old values are in the graph with a zero gradient
        r = named(t_where(scalar0d(1.0, PYAD_BOOL), r, x), NAME_FILL_TENSOR)
    return commit_inplace(x, r)


cdef Tensor copy_inplace(Tensor x, object src):
    """x.copy_(src): src broadcast and cast to x (CopyBackwards; no gradient to x's old value)."""
    check_inplace_torch(x)
    cdef Tensor s = src if isinstance(src, Tensor) else scalar0d(src, x.m.dtype)
    cdef Tensor r = t_to(s, x.m.dtype)
    cdef Py_ssize_t bshape[PYAD_MAXDIM]
    cdef Meta bm
    if not same_shape(&r.m, &x.m):
        bm.shape = bshape
        broadcast_meta(&x.m, &r.m, &bm)     # torch's message when the shapes cannot broadcast
        if not same_shape(&bm, &x.m):
            raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast "
                               f"shape {_shape_str(bm.ndim, bm.shape)}")
        r = t_expand(r, x.m.ndim, x.m.shape)
    if pyad_is_grad_enabled() and (x._requires_grad or s._requires_grad):
        # always a new node, named CopyBackwards: the gradient reaches src and none reaches x's
        # old values. where() keeps every value as src has it (0 + src turned -0.0 into +0.0),
        # and a new node leaves src's own grad_fn unrenamed (r may be src itself)
        r = named(t_where(scalar0d(1.0, PYAD_BOOL), r, x), NAME_COPY)
    return commit_inplace(x, r)

cdef int NAME_COPY = register_name("CopyBackwards")
cdef int NAME_ZERO = register_name("ZeroBackward0")
cdef int NAME_FILL = register_name("FillBackward2")
cdef int NAME_FILL_TENSOR = register_name("FillBackward3")
cdef int NAME_COPY_SLICES = register_name("CopySlices")
cdef int NAME_INDEX_PUT = register_name("IndexPutBackward0")


# ============================================================================================
# x[index] = value for basic indices (ints, slices, None, ...)
# ============================================================================================
cdef bint basic_region(Tensor x, object index, Py_ssize_t* offset, Py_ssize_t* strides,
                       Py_ssize_t* shape, int* ndim, int* last_view) except -1:
    """The strided region a basic index selects; False if the index is not basic. last_view:
    as walk_index's."""
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef int nd = 0, n_specified = 0, n_new = 0, n_int = 0, d
    items = index if isinstance(index, tuple) else (index,)
    for it in items:
        if it is None:
            n_new += 1
            continue
        if it is Ellipsis:
            continue
        if isinstance(it, (int, slice, np.integer)) and not isinstance(it, bool):
            n_specified += 1
            n_int += not isinstance(it, slice)
            continue
        return False
    if n_specified > x.m.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.m.ndim}")
    if x.m.ndim - n_int + n_new > PYAD_MAXDIM:      # the region's arrays hold PYAD_MAXDIM dims
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions")
    contiguous_strides(&x.m, cs)
    region = [0, [x.m.shape[d] for d in range(x.m.ndim)], [cs[d] for d in range(x.m.ndim)]]
    walk_index(x, items, n_specified, False, None, None, region, last_view)
    off, sh, sts = region
    offset[0] = off
    for d in range(len(sh)):
        shape[nd] = sh[d]
        strides[nd] = sts[d]
        nd += 1
    ndim[0] = nd
    return True


cdef bint _broadcasts_to(const Meta* v, const Meta* target) noexcept:
    """Whether v broadcasts to target's shape (extra leading dims of v must be 1)."""
    cdef int d, k = v.ndim - target.ndim
    for d in range(v.ndim):
        if d < k:
            if v.shape[d] != 1:
                return False
        elif v.shape[d] != 1 and v.shape[d] != target.shape[d - k]:
            return False
    return True


cdef Tensor _region_mask(Tensor x, Py_ssize_t offset, const Py_ssize_t* st, int nd,
                         const Py_ssize_t* shp):
    """A bool tensor of x's shape, True on the strided region (offset, st, shp)."""
    cdef int d
    flat = np.zeros(x.m.numel, dtype=np.bool_)
    if shape_numel(nd, shp):
        np.lib.stride_tricks.as_strided(flat[offset:], shape=tuple(shp[d] for d in range(nd)),
                                        strides=tuple(st[d] for d in range(nd)))[...] = True
    return tensor_from_numpy_copy(flat.reshape(tuple(x.m.shape[d] for d in range(x.m.ndim))),
                                  PYAD_BOOL)


cdef int check_setitem_view(Tensor x, int last_view, Tensor v, bint copies) except -1:
    """torch's x[index] = v copies into the view its indexing makes of x (x itself when the
    index makes none): check_inplace's view refusal for that view, which is made in grad mode
    (with a grad_fn when x requires grad) and keeps x's CreationMeta. last_view: the name of
    the last view the index walk made (walk_index), -1 for none. copies: torch writes with
    copy_, whose check counts v only where x's dtype is differentiable (fill_ from a 0-d v
    and index_put_ count it whatever x's dtype)."""
    cdef bint x_requires
    if (last_view >= 0 and x._base is None and x.grad_fn_ == NULL and x._requires_grad
            and pyad_is_grad_enabled()):
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if x._base is None or x._view_creation == VIEW_DEFAULT or not pyad_is_grad_enabled():
        return 0
    if copies and x.m.dtype != PYAD_F32 and x.m.dtype != PYAD_F64:
        return 0
    x_requires = requires_grad_flag(x) or (<Tensor>x._base)._requires_grad
    if not (x_requires or v._requires_grad):
        return 0
    if last_view < 0:
        raise view_write_error(x)
    raise RuntimeError(view_rebase_message(
        x._view_creation, NODE_NAMES[last_view].split("Backward")[0] if x_requires else None, 0,
        False))


cdef int t_setitem(Tensor x, object index, object value) except -1:
    cdef Py_ssize_t offset
    cdef Py_ssize_t st[PYAD_MAXDIM]
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t vst[2][PYAD_MAXDIM]
    cdef char* base[2]
    cdef int nd, d, last_view = -1
    cdef Meta region
    cdef Tensor v, r
    # torch's order: the value, then the index, then the in-place checks
    if isinstance(value, (np.floating, np.bool_)) and type(value) is not np.float64:
        # torch takes Python numbers, numpy integers and np.float64 (a float) only
        raise TypeError(f"can't assign a numpy.{type(value).__name__} to a "
                        f"pyad.{DTYPE_TITLES[x.m.dtype]}Tensor")
    if type(value) is complex:      # torch converts one without an imaginary part
        if x.m.dtype == PYAD_BOOL:
            value = value != 0
        elif value.imag != 0:
            raise RuntimeError("value cannot be converted to type "
                               f"{('float', 'double', 'int64_t')[x.m.dtype]} without overflow")
        else:
            value = value.real
    if x.m.dtype == PYAD_I64 or type(value) is int:   # any dtype for a Python int: torch's Scalar
        _int64_arg(value)
    value = as_scalar_or_tensor(value)
    if value is None:
        raise TypeError("can't assign a value of this type to a pyad Tensor")
    if not isinstance(value, Tensor):
        # the value becomes a tensor of x's dtype before the index is looked at: an int64
        # tensor refuses inf, NaN or a float beyond int64, a float32 one a finite float beyond
        # float32 (torch's checked scalar conversion), whatever the key
        check_f32_value(value, x.m.dtype)
        value = scalar0d(value, x.m.dtype)
    # torch's fast paths for a lone Python bool, taken once the value is converted: False
    # writes nothing (no index, in-place or shape check); True copies the value into
    # x.unsqueeze(0), where x itself is no overlap (it is the same memory, element by element)
    if index is False:
        return 0
    if index is True and value is x:
        check_setitem_view(x, NAME_UNSQUEEZE, x, x.m.ndim > 0)
        check_inplace(x)
        x.buf.version += 1
        return 0
    if index is True:
        index = None     # the same copy into x.unsqueeze(0) (a True in a tuple: a long index)
    check_index_count(x, index)
    check_0d_single_key(x, index)
    if not basic_region(x, index, &offset, st, shp, &nd, &last_view):
        return t_setitem_advanced(x, index, value)
    v = value if isinstance(value, Tensor) else scalar0d(value, x.m.dtype)
    region.dtype = x.m.dtype
    region.ndim = nd
    region.shape = shp
    region.numel = shape_numel(nd, shp)
    if not _broadcasts_to(&v.m, &region):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be "
                           f"broadcast to indexing result of shape {[shp[d] for d in range(nd)]}")
    check_setitem_view(x, last_view, v, not (v.m.ndim == 0 and nd > 0))
    check_inplace(x)
    if x.m.dtype <= PYAD_F64 and wants_grad2(x, v):
        # x with the region replaced, recorded (CopySlices): where(region, scatter(v), x), so
        # a NaN or inf in x (or in the gradient) stays out of the region; x - scatter(gather(x))
        # + scatter(v) gave NaN there
        vx = t_expand(t_to(v, x.m.dtype), nd, shp)
        r = t_where(_region_mask(x, offset, st, nd, shp),
                    t_scatter(vx, offset, st, x.m.ndim, x.m.shape, NAME_SELECT_BW, NAME_SELECT), x)
        commit_inplace(x, named(r, NAME_COPY_SLICES))
        return 0
    broadcast_byte_strides(&v.m, &region, vst[0])
    for d in range(nd):
        vst[1][d] = st[d] * itemsize(x.m.dtype)
    base[0] = v.buf.data
    base[1] = x.buf.data + offset * itemsize(x.m.dtype)
    pyad_nd_apply(2, base, vst, nd, shp, pyad_cast_loop(v.m.dtype, x.m.dtype), NULL)
    x.buf.version += 1
    return 0


cdef bint _sliced_overlaps(Tensor x, Tensor r, bint sliced_is_x, object value, Tensor v):
    """torch's assert_no_overlap(sliced, value) in index_put_: the same TensorImpl always
    overlaps (even empty); the value is x's own TensorImpl only when x has no leading 1s
    (setitem views the value without them); otherwise nothing overlaps an empty tensor, and
    a sliced view that is not dense is "too hard" to tell (no error). r holds the flat
    offsets of x's elements that the sliced view covers; every pyad tensor sharing x's buffer
    covers all of it."""
    if sliced_is_x and value is x and (x.m.ndim == 0 or x.m.shape[0] != 1):
        return True
    if r.m.numel == 0 or v.m.numel == 0 or v.buf != x.buf:
        return False
    offs = np.asarray(_np_view(r)).reshape(-1)
    return (int(offs.max()) - int(offs.min()) + 1 == offs.size
            and np.unique(offs).size == offs.size)


cdef int _check_masked_fill_mask(Tensor r, dict adv, Tensor v) except -1:
    """torch's canDispatchToMaskedFill (a one-element value): the indices in turn, up to the
    first that is not a bool mask or the second index; a mask reached has its shape checked
    against the sliced tensor's, before the overlap check."""
    cdef int j
    if v.m.numel != 1:
        return 0
    seen = False
    for d in sorted(adv):
        a = adv[d]
        if seen or not isinstance(a, np.ndarray) or a.dtype != np.bool_:
            return 0
        seen = True
        for j in range(a.ndim):
            if d + j >= r.m.ndim:
                raise dim_range_error(r.m.ndim, d + j)
            if a.shape[j] != r.m.shape[d + j]:
                raise IndexError(f"The shape of the mask {shape_list(a.shape)} at index {j} "
                                 f"does not match the shape of the indexed tensor "
                                 f"{shape_list(r.shape)} at index {d + j}")
    return 0


cdef int t_setitem_advanced(Tensor x, object index, object value) except -1:
    """x[lists / tensors / masks] = value. The flat offsets the index selects come from indexing
    an arange of offsets with the same index, so every index form getitem accepts works here."""
    cdef Py_ssize_t shp[1]
    cdef Tensor v, sel, flat_offs, r, offs_view
    cdef int last_view = -1
    check_np_bool_index(index)
    v = value if isinstance(value, Tensor) else scalar0d(value, x.m.dtype)
    value_ndim = v.m.ndim               # (before its leading 1s are dropped)
    lead = 0
    while lead < v.m.ndim and v.m.shape[lead] == 1:   # torch drops the value's leading 1s
        lead += 1
    if lead:
        v = t_reshape(v, tuple(v.shape)[lead:])
    shp[0] = x.m.numel
    offsets = tensor_from_numpy_copy(np.arange(x.m.numel, dtype=np.int64), PYAD_I64)
    offs_view = t_view(offsets, x.m.ndim, x.m.shape, NAME_VIEW)
    items = index if isinstance(index, tuple) or seq_as_tuple(index) else (index,)
    items = tuple(items)
    same = [True]
    if builtins.all(is_basic_index(it) for it in items):
        sel = t_getitem(offs_view, items, &last_view)
        same[0] = False       # torch copies into the view the key selects (no index_put_)
        check_setitem_view(x, last_view, v, not (value_ndim == 0 and sel.m.ndim > 0))
        check_inplace_torch(x)
    else:  # as torch: index parsing errors, then autograd's in-place checks, then index_put_'s:
        # the number of indices, a masked_fill mask's shape, the value overlapping x, each
        # index's dtype or mask shape in turn, the value's shape, the dtypes, bounds
        r, adv = index_slicing(offs_view, items, same, &last_view)
        check_setitem_view(x, last_view, v, False)
        check_inplace_torch(x)
        check_adv_count(r, adv)
        _check_masked_fill_mask(r, adv, v)
        # torch's masked_fill path (one bool mask and no other index, a one-element value)
        # checks no overlap
        masked_fill_path = (v.m.numel == 1 and len(adv) == 1 and isinstance(
            next(iter(adv.values())), np.ndarray) and next(iter(adv.values())).dtype == np.bool_)
        if not masked_fill_path and _sliced_overlaps(x, r, same[0], value, v):
            raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                               "written-to tensor refer to a single memory location. Please "
                               "clone() the tensor before performing the operation.")
        sel = t_index(r, adv, v, x.m.dtype)
    sel_np = np.asarray(_np_view(sel))
    try:
        v_np = np.broadcast_to(np.asarray(_np_view(v)), sel_np.shape)
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(sel.shape)}") from None
    check_inplace_pyad(x)      # pyad's refusals: only where torch would succeed
    if x.m.dtype <= PYAD_F64 and wants_grad2(x, v):
        # torch's IndexPutBackward0: x's gradient is zero where anything was written; the
        # value's is the gradient taken at the indices, every repeated index included (the
        # adjoint of put, a scatter-add). The values are those of the write itself: where an
        # index repeats, the last value in index order (torch's CPU kernel), which put's sum
        # would not give, so they are written into the recorded result afterwards (neither
        # where nor put saves its result)
        flat_sel = sel_np.reshape(-1)
        flat_offs = tensor_from_numpy_copy(flat_sel, PYAD_I64)
        vx = t_reshape(t_expand(t_to(v, x.m.dtype), sel.m.ndim, sel.m.shape), (-1,))
        mask = np.zeros(x.m.numel, dtype=np.bool_)
        mask[flat_sel] = True     # where(selected, put(v), x): as the basic case
        r = t_where(tensor_from_numpy_copy(mask.reshape(tuple(x.shape)), PYAD_BOOL),
                    t_put(vx, flat_offs, x.m.ndim, x.m.shape, NAME_INDEX_PUT_IMPL, NAME_INDEX), x)
        if np.unique(flat_sel).size != flat_sel.size:
            np.asarray(_np_view(r)).reshape(-1)[sel_np] = v_np.astype(
                NP_DTYPES[x.m.dtype], copy=False)
        # torch's index_put_ into a view of x (an int, None, bool or slice it applies in the
        # key) is recorded around that view: CopySlices
        commit_inplace(x, named(r, NAME_INDEX_PUT if same[0] else NAME_COPY_SLICES))
        return 0
    np.asarray(_np_view(x)).reshape(-1)[sel_np] = v_np.astype(NP_DTYPES[x.m.dtype], copy=False)
    x.buf.version += 1
    return 0
