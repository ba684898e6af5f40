# engine.pxi: the backward sweep.
#
# 1. collect: iterative DFS from the roots over C node pointers, counting each node's consumers;
# 2. order:   Kahn's algorithm gives a topological order (no recursion, no Python objects);
# 3. prune:   walking that order backwards marks the nodes a wanted gradient flows through;
# 4. sweep:   nodes run in order; each gradient slot is a Buffer* (numeric path) or a Tensor
#             (create_graph: the formulas are recorded pyad ops, so the result is differentiable);
# 5. clean:   scratch fields are reset and slots freed, also when an error interrupts the sweep.

cdef enum:
    NODEVEC_INLINE = 32

cdef struct NodeVec:
    Node** items                      # inline until it outgrows it, then malloc'd
    Py_ssize_t n
    Py_ssize_t cap
    Node* inline[NODEVEC_INLINE]      # small graphs (the common case) need no malloc

cdef inline void vec_init(NodeVec* v) noexcept:
    v.items = v.inline
    v.n = 0
    v.cap = NODEVEC_INLINE

cdef inline void vec_free(NodeVec* v) noexcept:
    if v.items != v.inline:
        free(v.items)

cdef int vec_push(NodeVec* v, Node* x) except -1:
    cdef Node** grown
    if v.n == v.cap:
        if v.items == v.inline:
            grown = <Node**>malloc(2 * v.cap * sizeof(Node*))
            if grown != NULL:
                memcpy(grown, v.inline, v.n * sizeof(Node*))
        else:
            grown = <Node**>realloc(v.items, 2 * v.cap * sizeof(Node*))
        if grown == NULL:
            raise MemoryError()
        v.items = grown
        v.cap = 2 * v.cap
    v.items[v.n] = x
    v.n += 1
    return 0


cdef inline void slot_clear(Node* n, bint recorded) noexcept:
    if n.grad != NULL:
        if recorded:
            Py_DECREF(<object>n.grad)
        else:
            buf_decref(<Buffer*>n.grad)
        n.grad = NULL


cdef int slot_add_numeric(Node* n, Buffer* g) except -1:
    """Accumulate g (a new reference, given away) into n's gradient slot."""
    cdef Buffer* acc = <Buffer*>n.grad
    cdef Buffer* fresh
    if acc == NULL:
        n.grad = g
        return 0
    try:
        if acc.refcnt == 1:
            nb_add_inplace(acc, g.data, &n.out_meta)
        else:
            # shared (a user's grad_output or a view's buffer): never write into it
            fresh = nb_cast(acc.data, &n.out_meta, n.out_meta.dtype)
            nb_add_inplace(fresh, g.data, &n.out_meta)
            buf_decref(acc)
            n.grad = fresh
    finally:
        buf_decref(g)
    return 0


cdef int slot_add_recorded(Node* n, Tensor g) except -1:
    cdef Tensor acc
    if n.grad == NULL:
        Py_INCREF(g)
        n.grad = <PyObject*>g
        return 0
    acc = <Tensor>n.grad
    s = t_add(acc, g)
    Py_INCREF(s)
    Py_DECREF(acc)
    n.grad = <PyObject*>s
    return 0


cdef Buffer* fix_grad_numeric(Buffer* g, const Meta* gm, const Meta* want) except NULL:
    """Reduce a broadcast gradient to the input's shape and cast it to its dtype (steals g)."""
    cdef Buffer* out
    if same_shape(gm, want) and gm.dtype == want.dtype:
        return g
    try:
        if not same_shape(gm, want):
            out = nb_reduce_to(g.data, gm, want)
        else:
            out = nb_cast(g.data, gm, want.dtype)
    finally:
        buf_decref(g)
    return out


cdef Tensor sum_to(Tensor g, const Meta* want):
    """Differentiable reduction of g to want's shape (torch's sum_to_size)."""
    cdef Py_ssize_t mask[PYAD_MAXDIM]
    cdef int d, off = g.m.ndim - want.ndim
    cdef bint any_dim = False
    for d in range(g.m.ndim):
        mask[d] = d < off or (want.shape[d - off] == 1 and g.m.shape[d] != 1)
        any_dim = any_dim or mask[d]
    if any_dim:
        g = t_sum(g, mask, True, False, False)
    if g.m.ndim != want.ndim:
        g = t_view(g, want.ndim, want.shape, NAME_VIEW)
    return g


cdef Tensor fix_grad_recorded(Tensor g, const Meta* want):
    if not same_shape(&g.m, want):
        g = sum_to(g, want)
    if g.m.dtype != want.dtype:
        g = t_to(g, want.dtype)
    return g


cdef int accumulate_into_leaf(Tensor leaf, void* g, bint recorded) except -1:
    """AccumulateGrad: leaf.grad += g (in place unless create_graph, as torch does)."""
    cdef Buffer* b
    cdef Tensor cur
    if not leaf._requires_grad:  # requires_grad_(False) since the graph was built: as torch
        return 0
    if recorded:
        if leaf.grad_ is None:
            leaf.grad_ = <Tensor>g
        else:
            leaf.grad_ = t_add(<Tensor>leaf.grad_, <Tensor>g)
        return 0
    b = <Buffer*>g
    if leaf.grad_ is None:
        if b.refcnt == 1:
            leaf.grad_ = tensor_from_buffer(b, &leaf.m)
        else:
            leaf.grad_ = tensor_from_new_buffer(nb_cast(b.data, &leaf.m, leaf.m.dtype),
                                                &leaf.m, leaf.m.dtype)
    else:
        cur = <Tensor>leaf.grad_
        nb_add_inplace(cur.buf, b.data, &cur.m)
    return 0


cdef object run_backward(list roots, list seeds, list inputs, bint keep_graph,
                         bint create_graph, bint accumulate):
    """Run one backward pass. Returns, for grad(), a list aligned with inputs (None = unused)."""
    cdef NodeVec reach, stack, order
    cdef Node* n
    cdef Node* child
    cdef Node* root
    cdef Tensor t, g
    cdef Buffer* gin_small[2]       # gradients of a node's inputs; nodes with more than
    cdef const Meta* gm_small[2]    # two inputs (cat, stack) use a malloc'd pair of arrays
    cdef Buffer** gin = gin_small
    cdef const Meta** gm = gm_small
    cdef Buffer* g_fixed
    cdef Py_ssize_t i, j, n_inputs = len(inputs) if inputs is not None else 0
    cdef int k
    cdef bint prev_mode = pyad_is_grad_enabled()
    cdef list results = [None] * n_inputs
    cdef list rec
    vec_init(&reach)
    vec_init(&stack)
    vec_init(&order)
    root_refs = None        # keeps leaf roots' AccumulateGrad nodes alive during the run
    try:
        # ---- 1. collect ----------------------------------------------------------------
        for t in roots:
            root = t.grad_fn_ if t.grad_fn_ != NULL else accumulate_node(t)
            if t.grad_fn_ == NULL:
                if root_refs is None:
                    root_refs = []
                root_refs.append(wrap_node(root))     # owns the extra ref accumulate_node made
                node_decref(root)
            if not (root.mark & MARK_VISITED):
                root.mark = MARK_VISITED
                root.deps = 0
                root.grad = NULL
                vec_push(&reach, root)
                vec_push(&stack, root)
            while stack.n > 0:
                stack.n -= 1
                n = stack.items[stack.n]
                for k in range(n.n_in):
                    child = n.next[k].fn
                    if child == NULL:
                        continue
                    if not (child.mark & MARK_VISITED):
                        child.mark = MARK_VISITED
                        child.deps = 0
                        child.grad = NULL
                        vec_push(&reach, child)
                        vec_push(&stack, child)
                    child.deps += 1
        # ---- 2. order (Kahn) -----------------------------------------------------------
        for i in range(reach.n):
            if reach.items[i].deps == 0:
                vec_push(&stack, reach.items[i])
        while stack.n > 0:
            stack.n -= 1
            n = stack.items[stack.n]
            vec_push(&order, n)
            for k in range(n.n_in):
                child = n.next[k].fn
                if child != NULL:
                    child.deps -= 1
                    if child.deps == 0:
                        vec_push(&stack, child)
        # ---- 3. prune ------------------------------------------------------------------
        if inputs is not None:
            for t in inputs:
                n = t.grad_fn_ if t.grad_fn_ != NULL else t.grad_acc
                if n != NULL and (n.mark & MARK_VISITED):
                    n.mark |= MARK_CAPTURE
                    if accumulate and n.op == OP_ACCUMULATE:
                        n.mark |= MARK_NEEDED
        else:
            for i in range(order.n):
                if order.items[i].op == OP_ACCUMULATE:
                    order.items[i].mark |= MARK_NEEDED
        for i in range(order.n - 1, -1, -1):
            n = order.items[i]
            for k in range(n.n_in):
                child = n.next[k].fn
                if child != NULL and (child.mark & (MARK_NEEDED | MARK_CAPTURE)):
                    n.mark |= MARK_NEEDED
                    break
        # ---- 4. sweep ------------------------------------------------------------------
        if create_graph:
            pyad_set_grad_enabled(True)
        for j, t in enumerate(roots):
            root = t.grad_fn_ if t.grad_fn_ != NULL else t.grad_acc
            g = <Tensor>seeds[j]
            if create_graph:
                slot_add_recorded(root, g)
            else:
                buf_incref(g.buf)
                slot_add_numeric(root, g.buf)
        for i in range(order.n):
            n = order.items[i]
            if n.grad == NULL:
                continue
            if n.hooks != NULL or (n.op == OP_ACCUMULATE and (<Tensor>n.leaf)._hooks):
                run_hooks(n, create_graph)
            if n.mark & MARK_CAPTURE:
                for j in range(n_inputs):
                    t = <Tensor>inputs[j]
                    if (t.grad_fn_ if t.grad_fn_ != NULL else t.grad_acc) == n:
                        results[j] = _slot_as_tensor(n, create_graph, &t.m)
                        if accumulate and n.op != OP_ACCUMULATE:
                            _accumulate_captured(t, results[j], create_graph)
                            results[j] = None
            if n.op == OP_ACCUMULATE:
                if accumulate and (n.mark & MARK_NEEDED):
                    accumulate_into_leaf(<Tensor>n.leaf, n.grad, create_graph)
                slot_clear(n, create_graph)
                continue
            if not (n.mark & MARK_NEEDED):
                slot_clear(n, create_graph)
                continue
            if create_graph:
                rec = OPS[n.op].recorded(n, <Tensor>n.grad)
                if _anomaly_enabled and _anomaly_check_nan:
                    for k in range(n.n_in):
                        if rec[k] is not None:
                            check_nan_grad(n, k, (<Tensor>rec[k]).buf.data, &(<Tensor>rec[k]).m)
                for k in range(n.n_in):
                    child = n.next[k].fn
                    if child == NULL or rec[k] is None or not (child.mark & (MARK_NEEDED | MARK_CAPTURE)):
                        continue
                    slot_add_recorded(child, fix_grad_recorded(<Tensor>rec[k], &n.in_meta[k]))
            else:
                if n.n_in > 2:
                    gin = <Buffer**>malloc(n.n_in * (sizeof(Buffer*) + sizeof(Meta*)))
                    if gin == NULL:
                        gin = gin_small
                        raise MemoryError()
                    gm = <const Meta**>(gin + n.n_in)
                for k in range(n.n_in if n.n_in > 2 else 2):
                    gin[k] = NULL
                try:
                    OPS[n.op].numeric(n, <Buffer*>n.grad, gin, gm)
                    if _anomaly_enabled and _anomaly_check_nan:
                        for k in range(n.n_in):
                            if gin[k] != NULL:
                                check_nan_grad(n, k, gin[k].data, gm[k])
                    for k in range(n.n_in):
                        child = n.next[k].fn
                        if gin[k] == NULL:
                            continue
                        if child == NULL or not (child.mark & (MARK_NEEDED | MARK_CAPTURE)):
                            buf_decref(gin[k])
                            gin[k] = NULL
                            continue
                        g_fixed = fix_grad_numeric(gin[k], gm[k], &n.in_meta[k])
                        gin[k] = NULL
                        slot_add_numeric(child, g_fixed)
                finally:
                    for k in range(n.n_in if n.n_in > 2 else 2):
                        buf_decref(gin[k])
                    if gin != gin_small:
                        free(gin)
                        gin = gin_small
                        gm = gm_small
            if not keep_graph:
                node_release(n)
            slot_clear(n, create_graph)
        return results
    finally:
        pyad_set_grad_enabled(prev_mode)
        for i in range(reach.n):
            n = reach.items[i]
            slot_clear(n, create_graph)
            n.mark = 0
            n.deps = 0
        vec_free(&reach)
        vec_free(&stack)
        vec_free(&order)


# ============================================================================================
# Tensor hooks: run on a node's output gradient before it is captured or used
# ============================================================================================
_RETAIN_KEY = -1             # retain_grad's entry: always run after the user's hooks
_next_hook_id = [0]


class RemovableHandle:
    """Returned by register_hook; remove() unregisters the hook."""

    def __init__(self, table, key):
        self._table = table
        self.id = key

    def remove(self):
        self._table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


cdef object _add_hook(dict table, object hook):
    _next_hook_id[0] += 1
    table[_next_hook_id[0]] = hook
    return RemovableHandle(table, _next_hook_id[0])


class _RetainGrad:
    """retain_grad(): store the gradient in the tensor's .grad, accumulating like torch."""

    def __init__(self, Tensor t):
        self.ref = weakref.ref(t)

    def __call__(self, grad):
        cdef Tensor t = self.ref()
        if t is None:
            return None
        if t.grad_ is None:
            t.grad_ = grad if grad.grad_fn is not None else t_clone_nograd(grad)
        else:
            t.grad_ = t_add(<Tensor>t.grad_, grad)
        return None


cdef int run_hooks(Node* n, bint recorded) except -1:
    cdef Tensor g = <Tensor>n.grad if recorded else tensor_from_buffer(<Buffer*>n.grad, &n.out_meta)
    cdef Tensor r
    tables = []
    if n.op == OP_ACCUMULATE and (<Tensor>n.leaf)._hooks:
        tables.append((<Tensor>n.leaf)._hooks)
    if n.hooks != NULL:
        tables.append(<object>n.hooks)
    for table in tables:
        for key, hook in list(table.items()):
            if key == _RETAIN_KEY:
                continue
            out = hook(g)
            if out is None:
                continue
            r = <Tensor>out
            if not same_shape(&r.m, &g.m):
                raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the size "
                                   "of value")
            if r.m.dtype != g.m.dtype:
                raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the type "
                                   f"of value (was {DTYPE_NAMES[g.m.dtype]} got "
                                   f"{DTYPE_NAMES[r.m.dtype]})")
            g = r
        if _RETAIN_KEY in table:
            table[_RETAIN_KEY](g)
    if recorded:
        if <PyObject*>g != n.grad:
            Py_INCREF(g)
            Py_DECREF(<object>n.grad)
            n.grad = <PyObject*>g
    elif g.buf != <Buffer*>n.grad:
        buf_incref(g.buf)
        buf_decref(<Buffer*>n.grad)
        n.grad = g.buf
    return 0


# ============================================================================================
# Anomaly mode: a NaN produced by a backward names the node, and the forward call is shown
# ============================================================================================
cdef int check_nan_grad(Node* n, int k, const char* data, const Meta* m) except -1:
    cdef Py_ssize_t i
    cdef bint bad = False
    if m.dtype == PYAD_F32:
        for i in range(m.numel):
            if (<const float*>data)[i] != (<const float*>data)[i]:
                bad = True
                break
    elif m.dtype == PYAD_F64:
        for i in range(m.numel):
            if (<const double*>data)[i] != (<const double*>data)[i]:
                bad = True
                break
    if not bad:
        return 0
    name = NODE_NAMES[n.name_id]
    if n.pyctx != NULL and n.op != OP_PYFUNC:
        warnings.warn(f"Error detected in {name}. Traceback of forward call that caused the "
                      f"error:\n{<object>n.pyctx}", UserWarning, stacklevel=2)
    raise RuntimeError(f"Function '{name}' returned nan values in its {k}th output.")


def _set_anomaly(bint enabled, bint check_nan):
    global _anomaly_enabled, _anomaly_check_nan
    _anomaly_enabled = enabled
    _anomaly_check_nan = check_nan

def _anomaly_state():
    return _anomaly_enabled, _anomaly_check_nan


cdef object _slot_as_tensor(Node* n, bint recorded, const Meta* m):
    if recorded:
        return <Tensor>n.grad
    return tensor_from_buffer(<Buffer*>n.grad, m)


cdef int _accumulate_captured(Tensor t, object g, bint recorded) except -1:
    """backward(inputs=[non_leaf]): the non-leaf's .grad accumulates, as torch does."""
    if t.grad_ is None:
        t.grad_ = g if recorded else t_clone_nograd(<Tensor>g)
    else:
        t.grad_ = t_add(<Tensor>t.grad_, <Tensor>g)
    return 0
