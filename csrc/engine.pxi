# engine.pxi: the backward sweep.
#
# 1. collect: iterative DFS from the roots over C node pointers, counting each node's consumers;
# 2. order:   Kahn's algorithm gives a topological order (no recursion, no Python objects);
# 3. prune:   walking that order backwards marks the nodes a wanted gradient flows through;
# 4. sweep:   nodes run in order; each gradient slot is a Buffer* (numeric path) or a Tensor
#             (create_graph: the formulas are recorded pyad ops, so the result is differentiable);
# 5. clean:   slots are freed and the nodes let go, also when an error interrupts the sweep.
#
# A run's scratch (each node's pending consumer count, marks and gradient slot) lives in the
# run's own slot array, never in the shared nodes: Python code runs inside a sweep (hooks,
# custom Functions, the recorded path, anomaly warnings, finalizers), and there another thread,
# or a backward called from a hook, may run over the same nodes. A node points to the slot of
# the run that claimed it first (fast path); a run that finds a node claimed by another keeps
# it in a hash table. The run also holds a reference to every node it reached, so a hook or
# another thread that drops the graph (detach_, del) cannot free a node under the sweep.

cdef enum:
    NODEVEC_INLINE = 32

cdef enum:
    # run_backward: when a node's edges ask seed_flow (grad()'s MARK_FLOW bookkeeping)
    FLOW_ASK_NONE, FLOW_ASK_NDIM, FLOW_ASK_ALL

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

cdef inline int vec_push(NodeVec* v, Node* x) except -1:
    if v.n == v.cap:
        vec_grow(v)
    v.items[v.n] = x
    v.n += 1
    return 0

cdef int vec_grow(NodeVec* v) except -1:
    cdef Node** grown
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
    return 0


# ============================================================================================
# A run's scratch: one slot per reached node, found from the node in O(1)
# ============================================================================================
cdef struct RunSlot:
    Node* node               # a node this run reaches (the run holds a reference to it)
    void* grad               # accumulated output gradient: Buffer* or a Tensor (PyObject*)
    int deps                 # consumers in this run that have not yet passed their gradient
    int mark                 # MARK_* flags of this run
    Py_ssize_t cap           # grad(): first input whose gradient this is (next: cap_next), or -1

cdef struct Run:
    RunSlot* slots           # inline until it outgrows it, then malloc'd
    Py_ssize_t n
    Py_ssize_t cap
    Py_ssize_t* table        # open addressing: slot indices of nodes another run had claimed
    Py_ssize_t tcap          # 0 until the first such node, then a power of two
    Py_ssize_t tn
    bint keep_graph          # retain_graph: nodes keep what they saved after the sweep
    RunSlot inline[NODEVEC_INLINE]

cdef inline void run_init(Run* r) noexcept:
    r.keep_graph = False
    r.slots = r.inline
    r.n = 0
    r.cap = NODEVEC_INLINE
    r.table = NULL
    r.tcap = 0
    r.tn = 0

cdef inline Py_ssize_t run_hash(Node* n, Py_ssize_t mask) noexcept:
    return <Py_ssize_t>(((<unsigned long long><size_t>n * 0x9E3779B97F4A7C15ULL) >> 32) & mask)

cdef inline Py_ssize_t run_find(Run* r, Node* n) noexcept:
    """n's slot index in this run, or -1 if the run has not reached n."""
    if n.run == <void*>r:
        return n.run_idx
    if r.tcap == 0:
        return -1
    return run_table_find(r, n)

cdef Py_ssize_t run_table_find(Run* r, Node* n) noexcept:
    cdef Py_ssize_t i, j
    i = run_hash(n, r.tcap - 1)
    while True:
        j = r.table[i]
        if j < 0:
            return -1
        if r.slots[j].node == n:
            return j
        i = (i + 1) & (r.tcap - 1)

cdef inline RunSlot* run_slot(Run* r, Node* n) noexcept:
    """The slot of a node the run has reached (every node of the order, every live edge)."""
    return &r.slots[run_find(r, n)]

cdef int run_table_grow(Run* r) except -1:
    cdef Py_ssize_t cap = 2 * r.tcap if r.tcap else 64
    cdef Py_ssize_t* table = <Py_ssize_t*>malloc(cap * sizeof(Py_ssize_t))
    cdef Py_ssize_t i, j, h
    if table == NULL:
        raise MemoryError()
    for i in range(cap):
        table[i] = -1
    for i in range(r.tcap):
        j = r.table[i]
        if j >= 0:
            h = run_hash(r.slots[j].node, cap - 1)
            while table[h] >= 0:
                h = (h + 1) & (cap - 1)
            table[h] = j
    free(r.table)
    r.table = table
    r.tcap = cap
    return 0

cdef Py_ssize_t run_add(Run* r, Node* n) except -1:
    """Give n (not yet reached) a slot; the run takes a reference to n. Returns its index."""
    cdef RunSlot* grown
    cdef RunSlot* s
    cdef Py_ssize_t j = r.n, h
    if r.n == r.cap:
        if r.slots == r.inline:
            grown = <RunSlot*>malloc(2 * r.cap * sizeof(RunSlot))
            if grown != NULL:
                memcpy(grown, r.inline, r.n * sizeof(RunSlot))
        else:
            grown = <RunSlot*>realloc(r.slots, 2 * r.cap * sizeof(RunSlot))
        if grown == NULL:
            raise MemoryError()
        r.slots = grown
        r.cap = 2 * r.cap
    if n.run != NULL and 2 * (r.tn + 1) > r.tcap:
        run_table_grow(r)
    s = &r.slots[j]
    s.node = n
    s.grad = NULL
    s.deps = 0
    s.mark = 0
    s.cap = -1
    r.n += 1
    n.refcnt += 1
    if n.run == NULL:
        n.run = <void*>r
        n.run_idx = j
    else:
        # claimed by another live run: another thread's, or the one whose hook called us
        h = run_hash(n, r.tcap - 1)
        while r.table[h] >= 0:
            h = (h + 1) & (r.tcap - 1)
        r.table[h] = j
        r.tn += 1
    return j


cdef inline void slot_clear(RunSlot* s, bint recorded) noexcept:
    cdef void* g = s.grad
    if g != NULL:
        s.grad = NULL
        if recorded:
            Py_DECREF(<object>g)
        else:
            buf_decref(<Buffer*>g)


cdef void run_release(Run* r, bint recorded) noexcept:
    """Free the slots, drop the claims, then the references (which may free the graph)."""
    cdef Py_ssize_t i
    for i in range(r.n):
        slot_clear(&r.slots[i], recorded)
        if r.slots[i].node.run == <void*>r:
            r.slots[i].node.run = NULL
    for i in range(r.n):
        if r.slots[i].node.refcnt > 1:        # the common case, without the call
            r.slots[i].node.refcnt -= 1
        else:
            node_decref(r.slots[i].node)
    r.n = 0
    if r.slots != r.inline:
        free(r.slots)
        r.slots = r.inline
    free(r.table)
    r.table = NULL
    r.tcap = 0


cdef int seed_flow(Node* n, int k, int mark) noexcept:
    """The MARK_FLOW bits of input k's gradient, from a node whose output gradient has
    ``mark``: the op's HANDS_ON says whether torch's formula hands on that tensor itself (the
    same bits), a view of it (its origin, viewed) or a new tensor (0)."""
    cdef int kind = HANDS_ON[n.op](n, k) if HANDS_ON[n.op] != NULL else HANDS_NEW
    cdef int viewed = (mark & MARK_FLOW & ~MARK_FLOW_SAME) | MARK_FLOW_VIEW
    if kind == HANDS_SAME:
        return mark & MARK_FLOW
    if kind == HANDS_VIEW:
        return viewed
    if kind == HANDS_VIEW_STRIDED:
        return viewed if mark & MARK_FLOW_EXPANDED else viewed | MARK_FLOW_STRIDED
    if kind == HANDS_VIEW_EXPANDED:
        return (viewed & ~MARK_FLOW_STRIDED) | MARK_FLOW_EXPANDED
    if kind == HANDS_VIEW_RESHAPE:
        return 0 if mark & MARK_FLOW_STRIDED else viewed
    return MARK_FLOW_VIEW if kind == HANDS_NEW_VIEW else 0


cdef Tensor _INTERNAL_BASE = None

cdef Tensor _internal_base():
    global _INTERNAL_BASE
    if _INTERNAL_BASE is None:
        _INTERNAL_BASE = scalar0d_f(0.0, PYAD_F64)
    return _INTERNAL_BASE


cdef object seed_result(RunSlot* s, list seeds, const Meta* m):
    """grad()'s result for a slot whose gradient is, in torch, a grad_output itself (SAME) or a
    view made in backward (VIEW) of a grad_output, of the implicit 1 or of a new tensor: that
    very tensor, or a view made in no_grad mode (which requires grad when its base does)."""
    cdef Tensor t, base
    cdef Py_ssize_t origin = (s.mark >> MARK_ORIGIN_SHIFT) - 1
    seed = seeds[origin] if origin >= 0 else None
    if s.mark & MARK_FLOW_SAME and isinstance(seed, Tensor):
        base = <Tensor>seed
        if (<void*>base.buf == s.grad and same_shape(&base.m, m) and base.m.dtype == m.dtype):
            return base
    t = tensor_from_buffer(<Buffer*>s.grad, m)
    if not (s.mark & MARK_FLOW_VIEW):
        return t
    if isinstance(seed, Tensor):
        base = <Tensor>seed
    else:
        # the implicit 1 or a tensor some formula made: torch's base is a tensor nothing else
        # holds, which does not require grad; pyad's view only consults its base's
        # requires_grad, so one shared stand-in serves (no allocation per grad() result)
        base = _internal_base()
    t._base = base._base if base._base is not None else base
    t._view_creation = VIEW_NO_GRAD
    t._view_version = watched_version(t)
    if base._requires_grad:
        t._requires_grad = True
        t._grad_dead = True
    return t


cdef inline bint takes_uniform(RunSlot* s) noexcept:
    """Whether the node's numeric backward reads a uniform gradient correctly as it is (only
    through zip_numeric/map_grad or by passing it on); everything else gets it expanded first."""
    cdef Node* n = s.node
    return (n.hooks == NULL and not (s.mark & MARK_CAPTURE) and
            (OPS[n.op].flags & OPF_UNIFORM_GRAD) != 0)


cdef Buffer* run_addable(void* run, Node* child) noexcept:
    """GradSink.addable for a Run."""
    cdef Run* r = <Run*>run
    cdef Py_ssize_t j = run_find(r, child) if child != NULL else -1
    cdef RunSlot* cs
    if j < 0:
        return NULL
    cs = &r.slots[j]
    if cs.grad == NULL or not (cs.mark & (MARK_NEEDED | MARK_CAPTURE)) or cs.node.hooks != NULL:
        return NULL
    # the formula sums into it (or returns a gradient the sweep sums in): no longer a
    # grad_output handed on unchanged
    cs.mark &= ~MARK_FLOW
    return <Buffer*>cs.grad


cdef bint run_is_empty(void* run, Node* child) noexcept:
    """GradSink.is_empty for a Run."""
    cdef Run* r = <Run*>run
    cdef Py_ssize_t j = run_find(r, child) if child != NULL else -1
    return j < 0 or r.slots[j].grad == NULL


cdef int slot_add_numeric(RunSlot* s, Buffer* g) except -1:
    """Accumulate g (a new reference, given away) into the node's gradient slot."""
    cdef Buffer* acc = <Buffer*>s.grad
    cdef Buffer* fresh
    cdef Node* n = s.node
    cdef const Meta* one = &ONE_ELEMENT[n.out_meta.dtype]
    if acc == NULL:
        s.grad = g
        return 0
    try:
        if acc.uniform and g.uniform:
            fresh = nb_cast(acc.data, one, one.dtype)
            nb_add_inplace(fresh, g.data, one)
            fresh.uniform = 1
            buf_decref(acc)
            s.grad = fresh
        elif g.uniform:
            if acc.refcnt != 1:
                fresh = nb_cast(acc.data, &n.out_meta, n.out_meta.dtype)
                buf_decref(acc)
                s.grad = acc = fresh
            nb_add_inplace(acc, g.data, &n.out_meta, True)
        elif acc.uniform:
            # acc + g with acc's one value broadcast: the sum is written into a copy of g
            fresh = nb_cast(g.data, &n.out_meta, n.out_meta.dtype)
            nb_add_inplace(fresh, acc.data, &n.out_meta, True)
            buf_decref(acc)
            s.grad = fresh
        elif acc.refcnt == 1:
            nb_add_inplace(acc, g.data, &n.out_meta)
        else:
            # shared (a user's grad_output or a view's buffer): never write into it
            fresh = nb_cast(acc.data, &n.out_meta, n.out_meta.dtype)
            nb_add_inplace(fresh, g.data, &n.out_meta)
            buf_decref(acc)
            s.grad = fresh
    finally:
        buf_decref(g)
    return 0


cdef int slot_add_recorded(RunSlot* s, Tensor g) except -1:
    cdef Tensor acc
    if s.grad == NULL:
        Py_INCREF(g)
        s.grad = <PyObject*>g
        return 0
    acc = <Tensor>s.grad
    t = t_add(acc, g)
    Py_INCREF(t)
    s.grad = <PyObject*>t
    Py_DECREF(acc)
    return 0


cdef Buffer* fix_grad_numeric(Buffer* g, const Meta* gm, const Meta* want) except NULL:
    """Reduce a broadcast gradient to the input's shape and cast it to its dtype (steals g)."""
    cdef Buffer* out
    if same_shape(gm, want) and gm.dtype == want.dtype:
        return g
    try:
        if g.uniform and same_shape(gm, want):
            out = nb_cast(g.data, &ONE_ELEMENT[gm.dtype], want.dtype)
            out.uniform = 1
        elif g.uniform:
            # reduced as torch reduces an expanded gradient (a sum), not as value * count
            out = uniform_expand(g, gm)
            buf_decref(g)
            g = out
            out = nb_reduce_to(g.data, gm, want)
        elif not same_shape(gm, want):
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


cdef int grad_accumulate(Tensor t, Tensor g, bint clone_first) except -1:
    """t.grad = g (a clone if clone_first) when it is None, else t.grad + g, out of place.

    t_add and the clone may run Python code (anomaly mode's stack capture, a finalizer), where
    another thread may accumulate into the same .grad: the sum is then redone on the new value,
    so no update is lost (torch accumulates under a lock).
    """
    while True:
        cur = t.grad_
        if cur is None:
            acc = t_clone_nograd(g) if clone_first else g
        else:
            acc = t_add(<Tensor>cur, g)
        if t.grad_ is cur:
            t.grad_ = acc
            return 0


cdef int accumulate_into_leaf(Tensor leaf, void* g, bint recorded, const Meta* gm) except -1:
    """AccumulateGrad: leaf.grad += g (in place unless create_graph, as torch does).

    gm is the AccumulateGrad node's meta: the leaf's dtype and shape when the graph was
    recorded, which is what g holds even if `.data` has given the leaf others since."""
    cdef Buffer* b
    cdef Tensor cur
    if not leaf._requires_grad:  # requires_grad_(False) since the graph was built: as torch
        return 0
    if recorded:
        if leaf.grad_ is None and (<Tensor>g)._requires_grad:
            # torch's AccumulateGrad under create_graph stores a copy of a gradient that
            # requires grad (new_empty_strided().copy_(): CopyBackwards), never the tensor
            return grad_accumulate(leaf, named(t_clone(<Tensor>g), NAME_COPY), False)
        return grad_accumulate(leaf, <Tensor>g, False)
    b = <Buffer*>g
    if leaf.grad_ is None:
        if b.refcnt == 1:
            first = tensor_from_buffer(b, gm)
        else:
            first = tensor_from_new_buffer(nb_cast(b.data, gm, gm.dtype), gm, gm.dtype)
        if leaf.grad_ is None:          # still: making the tensor may have run Python code
            leaf.grad_ = first
            return 0
    cur = <Tensor>leaf.grad_
    if cur.m.dtype != gm.dtype or not same_shape(&cur.m, gm):
        # .grad or .data was replaced by one of another shape or dtype: torch's out-of-place
        # sum (broadcasting, or its size error)
        return grad_accumulate(leaf, tensor_from_buffer(b, gm), False)
    nb_add_inplace(cur.buf, b.data, &cur.m)
    return 0


cdef int raise_invalid_gradient(Node* n, int k, const Meta* got, const Meta* want) except -1:
    """A gradient whose shape is not the one its consumer recorded: only after `.data` gave a
    tensor of the graph another shape (torch's message; n is NULL for a seed)."""
    cdef str who = f"Function {NODE_NAMES[n.name_id]} returned an " if n != NULL else ""
    raise RuntimeError(f"{who}invalid gradient at index {k} - got "
                       f"{[got.shape[d] for d in range(got.ndim)]} but expected shape compatible "
                       f"with {[want.shape[d] for d in range(want.ndim)]}")


cdef Py_ssize_t _find_old_accumulator(Run* r, Tensor leaf) noexcept:
    """The slot of a leaf's AccumulateGrad node that `.data` (changing the leaf's shape or
    dtype) has replaced: graphs recorded before still reach the leaf through it."""
    cdef Py_ssize_t i
    for i in range(r.n):
        if r.slots[i].node.op == OP_ACCUMULATE and r.slots[i].node.leaf == <PyObject*>leaf:
            return i
    return -1


cdef object SEED_ONE = object()  # _make_seeds' stand-in for ones_like(output) of a scalar output


cdef Buffer* buf_one(int dtype) except NULL:
    cdef Buffer* b = buf_new(itemsize(dtype))
    if dtype == PYAD_F32:
        (<float*>b.data)[0] = 1.0
    else:
        (<double*>b.data)[0] = 1.0
    return b


cdef object run_backward(tuple roots, list seeds, tuple inputs, bint keep_graph,
                         bint create_graph, bint accumulate):
    """Run one backward pass. Returns, for grad(), a list aligned with inputs (None = unused)."""
    cdef Run r
    cdef NodeVec stack, order, root_nodes
    cdef Py_ssize_t cap_small[8]
    cdef Py_ssize_t* cap_next = cap_small     # inputs with the same node, in input order
    cdef Node* n
    cdef Node* child
    cdef Node* root
    cdef RunSlot* s
    cdef RunSlot* cs
    cdef Tensor t, g
    cdef Buffer* gin_small[2]       # gradients of a node's inputs; nodes with more than
    cdef const Meta* gm_small[2]    # two inputs (cat, stack) use a malloc'd pair of arrays
    cdef Buffer** gin = gin_small
    cdef const Meta** gm = gm_small
    cdef Buffer* g_fixed
    # grad() without create_graph: which results torch returns as a grad_output itself or as a
    # view made in backward (MARK_FLOW)
    cdef bint track_flow = not create_graph and not accumulate
    cdef Py_ssize_t i, j, n_inputs = len(inputs) if inputs is not None else 0
    cdef int k, flow, flow_ask
    cdef bint prev_mode = pyad_is_grad_enabled()
    cdef list results = [None] * n_inputs
    cdef list rec
    cdef GradSink sink
    run_init(&r)
    r.keep_graph = keep_graph
    sink.run = &r
    sink.addable = run_addable
    sink.is_empty = run_is_empty
    sink.keep_graph = keep_graph
    vec_init(&stack)
    vec_init(&order)
    vec_init(&root_nodes)
    root_refs = None        # keeps leaf roots' AccumulateGrad nodes alive during the run
    try:
        # ---- 1. collect ----------------------------------------------------------------
        for t in roots:
            view_current(t)
            root = t.grad_fn_ if t.grad_fn_ != NULL else accumulate_node(t)
            if t.grad_fn_ == NULL:
                if root_refs is None:
                    root_refs = []
                root_refs.append(wrap_node(root))     # owns the extra ref accumulate_node made
                node_decref(root)
            vec_push(&root_nodes, root)
            if run_find(&r, root) < 0:
                run_add(&r, root)
                vec_push(&stack, root)
            while stack.n > 0:
                stack.n -= 1
                n = stack.items[stack.n]
                for k in range(n.n_in):
                    child = n.next[k].fn
                    if child == NULL:
                        continue
                    j = run_find(&r, child)
                    if j < 0:
                        j = run_add(&r, child)
                        vec_push(&stack, child)
                    r.slots[j].deps += 1
        # ---- 2. order (Kahn) -----------------------------------------------------------
        for i in range(r.n):
            if r.slots[i].deps == 0:
                vec_push(&stack, r.slots[i].node)
        while stack.n > 0:
            stack.n -= 1
            n = stack.items[stack.n]
            vec_push(&order, n)
            for k in range(n.n_in):
                child = n.next[k].fn
                if child != NULL:
                    cs = run_slot(&r, child)
                    cs.deps -= 1
                    if cs.deps == 0:
                        vec_push(&stack, child)
        # ---- 3. prune ------------------------------------------------------------------
        if inputs is not None:
            if n_inputs > 8:
                cap_next = <Py_ssize_t*>malloc(n_inputs * sizeof(Py_ssize_t))
                if cap_next == NULL:
                    cap_next = cap_small
                    raise MemoryError()
            for i in range(n_inputs - 1, -1, -1):
                t = <Tensor>inputs[i]
                view_current(t)
                n = t.grad_fn_ if t.grad_fn_ != NULL else t.grad_acc
                j = run_find(&r, n) if n != NULL else -1
                if j < 0 and t.grad_fn_ == NULL:
                    j = _find_old_accumulator(&r, t)
                    n = r.slots[j].node if j >= 0 else NULL
                if j >= 0:
                    r.slots[j].mark |= MARK_CAPTURE
                    if accumulate:
                        # torch's backward(inputs=) runs a non-leaf input's own node too (it
                        # checks the node's saved values: freed or modified)
                        r.slots[j].mark |= MARK_NEEDED
                    cap_next[i] = r.slots[j].cap
                    r.slots[j].cap = i
        else:
            for i in range(r.n):
                if r.slots[i].node.op == OP_ACCUMULATE:
                    r.slots[i].mark |= MARK_NEEDED
        for i in range(order.n - 1, -1, -1):
            n = order.items[i]
            s = run_slot(&r, n)
            for k in range(n.n_in):
                child = n.next[k].fn
                if child != NULL and (run_slot(&r, child).mark & (MARK_NEEDED | MARK_CAPTURE)):
                    s.mark |= MARK_NEEDED
                    break
        # ---- 4. sweep ------------------------------------------------------------------
        # as torch's engine: grad mode is create_graph for everything the sweep runs (formulas,
        # hooks, custom backwards); the caller's mode comes back in the finally below
        pyad_set_grad_enabled(create_graph)
        for j in range(root_nodes.n):
            n = root_nodes.items[j]
            s = run_slot(&r, n)
            if seeds[j] is SEED_ONE:            # an implicit 1 for a scalar output
                if n.out_meta.numel != 1:       # its .data was replaced since it was recorded
                    raise_invalid_gradient(NULL, j, &(<Tensor>roots[j]).m, &n.out_meta)
                if create_graph:
                    slot_add_recorded(s, _ones_like(<Tensor>roots[j]))
                else:
                    s.mark &= ~MARK_FLOW
                    if s.grad == NULL:
                        s.mark |= (j + 1) << MARK_ORIGIN_SHIFT
                    slot_add_numeric(s, buf_one(n.out_meta.dtype))
                continue
            g = <Tensor>seeds[j]
            if not same_shape(&g.m, &n.out_meta):
                raise_invalid_gradient(NULL, j, &g.m, &n.out_meta)
            if g.m.dtype != n.out_meta.dtype:
                g = t_to(g, n.out_meta.dtype)
            if create_graph:
                slot_add_recorded(s, g)
            else:
                s.mark &= ~MARK_FLOW
                if s.grad == NULL and g is seeds[j]:
                    s.mark |= MARK_FLOW_SAME | ((j + 1) << MARK_ORIGIN_SHIFT)
                buf_incref(g.buf)
                slot_add_numeric(s, g.buf)
        for i in range(order.n):
            n = order.items[i]
            s = run_slot(&r, n)
            if s.grad == NULL:
                continue
            if not create_graph and (<Buffer*>s.grad).uniform and not takes_uniform(s):
                g_fixed = uniform_expand(<Buffer*>s.grad, &n.out_meta)
                buf_decref(<Buffer*>s.grad)
                s.grad = g_fixed
            if n.hooks != NULL or (n.op == OP_ACCUMULATE and (<Tensor>n.leaf)._hooks):
                g_fixed = <Buffer*>s.grad
                run_hooks(s, create_graph)
                if <Buffer*>s.grad != g_fixed:
                    s.mark &= ~MARK_FLOW
            j = s.cap
            captured = None     # an input given more than once gets the same tensor, as torch
            while j >= 0:
                t = <Tensor>inputs[j]
                if captured is None:
                    if track_flow and (s.mark & (MARK_FLOW_SAME | MARK_FLOW_VIEW)):
                        captured = seed_result(s, seeds, &n.out_meta)
                    else:
                        captured = _slot_as_tensor(s, create_graph, &n.out_meta)
                results[j] = captured
                if accumulate and n.op != OP_ACCUMULATE:
                    if not t.retains_grad_:     # (else its retain_grad hook accumulated)
                        _accumulate_captured(t, results[j], create_graph)
                    results[j] = None
                j = cap_next[j]
            if n.op == OP_ACCUMULATE:
                if accumulate and (s.mark & MARK_NEEDED):
                    accumulate_into_leaf(<Tensor>n.leaf, s.grad, create_graph, &n.out_meta)
                slot_clear(s, create_graph)
                continue
            if not (s.mark & MARK_NEEDED):
                slot_clear(s, create_graph)
                continue
            if create_graph:
                rec = OPS[n.op].recorded(n, <Tensor>s.grad)
                if _anomaly_enabled and _anomaly_check_nan:
                    for k in range(n.n_in):
                        if rec[k] is not None:
                            check_nan_grad(n, k, (<Tensor>rec[k]).buf.data, &(<Tensor>rec[k]).m)
                for k in range(n.n_in):
                    child = n.next[k].fn
                    if child == NULL or rec[k] is None:
                        continue
                    cs = run_slot(&r, child)
                    if not (cs.mark & (MARK_NEEDED | MARK_CAPTURE)):
                        continue
                    if not same_shape(&n.in_meta[k], &child.out_meta):
                        raise_invalid_gradient(n, k, &n.in_meta[k], &child.out_meta)
                    slot_add_recorded(cs, fix_grad_recorded(<Tensor>rec[k], &child.out_meta))
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
                    OPS[n.op].numeric(n, <Buffer*>s.grad, gin, gm, &sink)
                    if _anomaly_enabled and _anomaly_check_nan:
                        for k in range(n.n_in):
                            if gin[k] != NULL:
                                check_nan_grad(n, k, gin[k].data, gm[k] if not gin[k].uniform
                                               else &ONE_ELEMENT[gm[k].dtype])
                    # grad()'s MARK_FLOW, decided once per node: ask seed_flow for every input
                    # (FLOW_ASK_ALL), only for an input of another ndim than the output's
                    # (FLOW_ASK_NDIM: HANDS_ON answers SAME or NEW, so from a new tensor it hands
                    # on a new one), or never (FLOW_ASK_NONE: a new tensor from a new tensor)
                    flow_ask = FLOW_ASK_NONE
                    if track_flow:
                        if s.mark & MARK_FLOW:
                            flow_ask = FLOW_ASK_ALL
                        elif HANDS_ON[n.op] != NULL:
                            flow_ask = (FLOW_ASK_NDIM if OPS[n.op].flags & OPF_FLOW_SAME_OR_NEW
                                        else FLOW_ASK_ALL)
                    for k in range(n.n_in):
                        child = n.next[k].fn
                        if gin[k] == NULL:
                            continue
                        cs = run_slot(&r, child) if child != NULL else NULL
                        if cs == NULL or not (cs.mark & (MARK_NEEDED | MARK_CAPTURE)):
                            buf_decref(gin[k])
                            gin[k] = NULL
                            continue
                        if not same_shape(&n.in_meta[k], &child.out_meta):
                            raise_invalid_gradient(n, k, &n.in_meta[k], &child.out_meta)
                        # child.out_meta: the same shape; its dtype where `.data` changed that
                        g_fixed = fix_grad_numeric(gin[k], gm[k], &child.out_meta)
                        flow = 0
                        if g_fixed == gin[k]:
                            # fix_grad_numeric handed the formula's gradient on as it is: it has
                            # the input's shape and dtype
                            if flow_ask == FLOW_ASK_ALL or (
                                    flow_ask == FLOW_ASK_NDIM
                                    and n.in_meta[k].ndim != n.out_meta.ndim):
                                flow = seed_flow(n, k, s.mark)
                        elif (track_flow and child.out_meta.ndim < gm[k].ndim
                                and gm[k].dtype == child.out_meta.dtype):
                            # torch's engine sums a broadcast gradient to the input's shape
                            # (sum_to): over leading dims, a view of the sum
                            flow = MARK_FLOW_VIEW
                        gin[k] = NULL
                        if (flow & MARK_FLOW_SAME) and g_fixed != <Buffer*>s.grad:
                            # the same values (expand or repeat to the same shape): hand on
                            # the buffer itself, which grad() recognises as the grad_output
                            buf_decref(g_fixed)
                            g_fixed = <Buffer*>s.grad
                            buf_incref(g_fixed)
                        if cs.grad == NULL:
                            cs.mark = (cs.mark & ~MARK_FLOW) | flow
                        else:
                            cs.mark &= ~MARK_FLOW
                        slot_add_numeric(cs, g_fixed)
                finally:
                    for k in range(n.n_in if n.n_in > 2 else 2):
                        buf_decref(gin[k])
                    if gin != gin_small:
                        free(gin)
                        gin = gin_small
                        gm = gm_small
            if not keep_graph:
                node_release(n)
            slot_clear(s, create_graph)
        return results
    finally:
        pyad_set_grad_enabled(prev_mode)
        run_release(&r, create_graph)
        vec_free(&stack)
        vec_free(&order)
        vec_free(&root_nodes)
        if cap_next != cap_small:
            free(cap_next)


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
        grad_accumulate(t, <Tensor>grad, grad.grad_fn is None)
        return None


cdef int run_hooks(RunSlot* s, bint recorded) except -1:
    cdef Node* n = s.node
    cdef Tensor g = <Tensor>s.grad if recorded else tensor_from_buffer(<Buffer*>s.grad, &n.out_meta)
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
            if not isinstance(out, Tensor):     # (read as a Tensor, it was foreign memory)
                raise TypeError(f"expected Variable, but hook returned '{tp_name(out)}'")
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
        if <PyObject*>g != s.grad:
            Py_INCREF(g)
            Py_DECREF(<object>s.grad)
            s.grad = <PyObject*>g
    elif g.buf != <Buffer*>s.grad:
        buf_incref(g.buf)
        buf_decref(<Buffer*>s.grad)
        s.grad = g.buf
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
    if n.trace != NULL:
        warnings.warn(f"Error detected in {name}. Traceback of forward call that caused the "
                      f"error:\n{<object>n.trace}", UserWarning, stacklevel=2)
    raise RuntimeError(f"Function '{name}' returned nan values in its {k}th output.")


def _set_anomaly(bint enabled, bint check_nan):
    global _anomaly_enabled, _anomaly_check_nan
    _anomaly_enabled = enabled
    _anomaly_check_nan = check_nan


def _anomaly_state():
    return _anomaly_enabled, _anomaly_check_nan


cdef object _slot_as_tensor(RunSlot* s, bint recorded, const Meta* m):
    if recorded:
        return <Tensor>s.grad
    return tensor_from_buffer(<Buffer*>s.grad, m)


cdef int _accumulate_captured(Tensor t, object g, bint recorded) except -1:
    """backward(inputs=[non_leaf]): the non-leaf's .grad accumulates, as torch does."""
    return grad_accumulate(t, <Tensor>g, not recorded)
