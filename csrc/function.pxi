# function.pxi: custom autograd Functions (pyad.autograd.Function) as graph nodes.
#
# A Function's node has one edge per tensor argument and one output. A Function with several
# differentiable outputs gets a flat output holding all of them; each returned tensor is a
# strided gather of that flat output (a node also named <Name>Backward), so the gradients of
# all outputs meet in one slot and the user's backward runs once with all of them.

cdef int NAME_PYFUNC_DEFAULT = register_name("FunctionBackward")

cdef list _pyfunc_call(Node* n, Tensor g, bint recorded):
    """Split g per output, run the user's backward, check and align its results to the edges."""
    ctx = <object>n.pyctx
    cdef list diff_grads = []
    cdef list grads = []
    cdef Py_ssize_t off = 0, numel
    cdef Py_ssize_t one = 1
    cdef Py_ssize_t shp[1]
    cdef Tensor piece
    cdef bint prev = pyad_is_grad_enabled()
    if ctx._n_diff == 1:
        diff_grads.append(g)
    else:
        for shape in ctx._out_shapes:
            numel = 1
            for s in shape:
                numel *= s
            shp[0] = numel
            # recorded only under create_graph (g requires grad only then)
            piece = t_gather(g, off, &one, 1, shp, NAME_SLICE, NAME_SLICE_BW)
            diff_grads.append(t_reshape(piece, shape))
            off += numel
    # one gradient per forward output: zeros (or None) for the non-differentiable ones
    for kind, like in ctx._out_layout:
        if kind >= 0:
            grads.append(diff_grads[kind])
        elif like is not None and ctx.materialize_grads:
            grads.append(zeros_like_nograd(<Tensor>like))
        else:
            grads.append(None)
    pyad_set_grad_enabled(recorded)
    try:
        result = ctx._run_backward(grads)
    finally:
        pyad_set_grad_enabled(prev)
    return _check_function_grads(n, result, ctx._arg_is_tensor)

cdef list _check_function_grads(Node* n, object result, tuple arg_is_tensor):
    """torch's checks on what a custom backward returned: count, then shapes per input."""
    cdef Tensor t
    cdef list out = []
    cdef int k = 0, i
    cdef str name = NODE_NAMES[n.name_id]
    if not isinstance(result, tuple):
        result = (result,)
    if len(result) != len(arg_is_tensor):
        if len(result) > len(arg_is_tensor) and all(r is None for r in result[len(arg_is_tensor):]):
            result = result[:len(arg_is_tensor)]
        else:
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {len(arg_is_tensor)}, got {len(result)})")
    for i in range(len(arg_is_tensor)):
        r = result[i]
        if not arg_is_tensor[i]:
            if r is not None:
                raise RuntimeError(f"function {name} returned a gradient different than None at "
                                   f"position {i + 1}, but the corresponding forward input was "
                                   "not a Variable")
            continue
        if r is not None:
            if not isinstance(r, Tensor):
                raise RuntimeError(f"expected Variable or None (got {tp_name(r)})")
            t = <Tensor>r
            if not _expandable(&n.in_meta[k], &t.m):
                raise RuntimeError(f"Function {name} returned an invalid gradient at index {k} - "
                                   f"got {list(t.shape)} but expected shape compatible with "
                                   f"{[n.in_meta[k].shape[d] for d in range(n.in_meta[k].ndim)]}")
        out.append(r)
        k += 1
    return out

cdef bint _expandable(const Meta* small, const Meta* big) noexcept:
    """Whether small's shape broadcasts to big's (torch's is_expandable_to)."""
    cdef int d, off = big.ndim - small.ndim
    if off < 0:
        return False
    for d in range(small.ndim):
        if small.shape[d] != 1 and small.shape[d] != big.shape[d + off]:
            return False
    return True

cdef int pyfunc_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm,
                        GradSink* sink) except -1:
    cdef list grads = _pyfunc_call(n, tensor_from_buffer(g, &n.out_meta), False)
    cdef Tensor t
    cdef int k
    (<object>n.pyctx)._keep_alive = grads     # the engine reads gm[k] after this returns
    for k in range(n.n_in):
        if grads[k] is not None and needs_input_grad(n, k):
            t = <Tensor>grads[k]
            buf_incref(t.buf)
            gin[k] = t.buf
            gm[k] = &t.m
    return 0

cdef list pyfunc_recorded(Node* n, Tensor g):
    return _pyfunc_call(n, g, True)

cdef int OP_PYFUNC = register_op(pyfunc_numeric, pyfunc_recorded)


def _record_function(object ctx, str name, tuple args, list outs, object non_differentiable):
    """Attach a custom Function's node (named `name`) to its outputs; returns the outputs."""
    cdef list tensor_args = [a for a in args if isinstance(a, Tensor)]
    cdef list diff = []
    cdef list result = list(outs)
    cdef int i, name_id = register_name(name)
    cdef Tensor o, flat
    cdef Node* n
    cdef Py_ssize_t off = 0
    cdef Py_ssize_t st[PYAD_MAXDIM]
    non_diff_ids = {id(t) for t in non_differentiable}
    for i in range(len(result)):
        r = result[i]
        if not isinstance(r, Tensor) or id(r) in non_diff_ids:
            continue
        o = <Tensor>r
        if o.m.dtype > PYAD_F64:
            continue
        if o.grad_fn_ != NULL or o._requires_grad or any(o is a for a in tensor_args):
            o = t_clone_nograd(o)             # the node must own a fresh output
            result[i] = o
        diff.append(i)
    ctx._arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
    ctx._n_diff = len(diff)
    ctx._out_layout = [(diff.index(i), None) if i in diff else
                       (-1, _detached_alias(result[i]) if isinstance(result[i], Tensor) else None)
                       for i in range(len(result))]
    if not diff:
        return result
    if len(diff) == 1:
        n = record_n(OP_PYFUNC, name_id, <Tensor>result[diff[0]], tensor_args, 0)
    else:
        dtypes = {(<Tensor>result[i]).m.dtype for i in diff}
        if len(dtypes) != 1:
            raise NotImplementedError("pyad: a custom Function's differentiable outputs must "
                                      "share one dtype")
        flat = t_cat_flat([result[i] for i in diff])
        n = record_n(OP_PYFUNC, name_id, flat, tensor_args, 0)
        ctx._out_shapes = [tuple((<Tensor>result[i]).shape) for i in diff]
        for i in diff:
            o = <Tensor>result[i]
            contiguous_strides(&o.m, st)
            result[i] = t_gather(flat, off, st, o.m.ndim, o.m.shape, name_id, NAME_SLICE_BW)
            off += o.m.numel
    Py_INCREF(ctx)
    n.pyctx = <PyObject*>ctx
    ctx._node_ref = <size_t>n        # borrowed: the node owns ctx, never the reverse
    return result


cdef Tensor t_cat_flat(list tensors):
    """The 1-D concatenation of tensors' values (no history: the node records the outputs)."""
    cdef Py_ssize_t total = 0, off = 0
    cdef Tensor t, flat
    cdef Py_ssize_t shp[1]
    for t in tensors:
        total += t.m.numel
    shp[0] = total
    flat = new_tensor((<Tensor>tensors[0]).m.dtype, 1, shp)
    for t in tensors:
        memcpy(flat.buf.data + off * itemsize(t.m.dtype), t.buf.data,
               t.m.numel * itemsize(t.m.dtype))
        off += t.m.numel
    return flat


def _output_with_history(Tensor alias, size_t node_ref):
    """A saved output, during a recorded backward: the values with the Function node as
    grad_fn, so second derivatives flow through it (torch's saved-output rule)."""
    cdef Node* n = <Node*>node_ref
    cdef Tensor t = tensor_from_buffer(alias.buf, &alias.m)
    n.refcnt += 1
    t.grad_fn_ = n
    t._requires_grad = True
    return t


def _check_saved_version(Tensor t, Py_ssize_t version):
    if tensor_version(t) != version:
        raise_modified_inplace(t, version)


def _version_of(Tensor t):
    return tensor_version(t)


def _detached_alias(Tensor t):
    return tensor_from_buffer(t.buf, &t.m)
