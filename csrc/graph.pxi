# graph.pxi: nodes of the autograd graph: allocation, recording, saving, release, iterative
# freeing, and the Python-visible grad_fn wrappers.

# NODE_* flags and MARK_* marks: layer_storage.pxd

cdef unsigned long long _next_seq = 0
cdef bint _anomaly_enabled = False       # set_detect_anomaly: record forward traces
cdef bint _anomaly_check_nan = True      # ... and check each backward's results for NaN

ERR_BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed when "
    "you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.")


cdef Node* node_alloc(int op, int name_id, int n_in, int out_ndim, int in_ndims,
                      int n_ip) except NULL:
    """One malloc: header, then edges, input metas, and every shape/parameter array."""
    global _next_seq
    cdef size_t size = (sizeof(Node) + n_in * (sizeof(Edge) + sizeof(Meta))
                        + (out_ndim + in_ndims + n_ip) * sizeof(Py_ssize_t))
    cdef Node* n = <Node*>pyad_alloc(size)
    cdef Py_ssize_t* tail
    if n == NULL:
        raise MemoryError()
    n.refcnt = 1
    n.nbytes = size
    n.op = op
    n.name_id = name_id
    n.n_in = n_in
    n.flags = 0
    n.seq = _next_seq
    _next_seq += 1
    n.next = <Edge*>(<char*>n + sizeof(Node))
    n.in_meta = <Meta*>(<char*>n.next + n_in * sizeof(Edge))
    tail = <Py_ssize_t*>(<char*>n.in_meta + n_in * sizeof(Meta))
    n.out_meta.shape = tail
    n.ip = tail + out_ndim + in_ndims
    n.n_ip = n_ip
    n.saved[0] = NULL
    n.saved[1] = NULL
    n.saved[2] = NULL
    n.saved_out = NULL
    n.leaf = NULL
    n.hooks = NULL
    n.pyctx = NULL
    n.trace = NULL
    if _anomaly_enabled:
        trace = "".join(traceback.format_stack())
        Py_INCREF(trace)
        n.trace = <PyObject*>trace           # where the forward op was called
    n.pyobj = NULL
    n.run = NULL
    n.run_idx = 0
    return n


cdef Node* accumulate_node(Tensor leaf) except NULL:
    """The leaf's AccumulateGrad node, created on first use and shared afterwards."""
    cdef Node* n
    if leaf.grad_acc != NULL:
        n = leaf.grad_acc
        n.refcnt += 1
        return n
    n = node_alloc(OP_ACCUMULATE, NAME_ACCUMULATE, 0, leaf.m.ndim, 0, 0)
    n.out_meta.dtype = leaf.m.dtype
    n.out_meta.ndim = leaf.m.ndim
    n.out_meta.numel = leaf.m.numel
    pyad_copy_shape(n.out_meta.shape, leaf.m.shape, leaf.m.ndim)
    Py_INCREF(leaf)
    n.leaf = <PyObject*>leaf
    leaf.grad_acc = n           # borrowed: cleared when the node dies
    return n


cdef inline int set_edge(Node* n, int i, Tensor t) except -1:
    cdef Meta* m = &n.in_meta[i]
    if t is None:
        n.next[i].fn = NULL
        n.next[i].input_nr = 0
        m.ndim = 0
        m.numel = 1
        m.dtype = PYAD_F64
        return 0
    m.dtype = t.m.dtype
    m.ndim = t.m.ndim
    m.numel = t.m.numel
    pyad_copy_shape(m.shape, t.m.shape, t.m.ndim)
    n.next[i].input_nr = 0
    if t._base is not None:         # (only a view has a history to update or a dead gradient)
        view_current(t)
        if t._grad_dead:
            n.next[i].fn = NULL     # (torch's view made in no_grad mode has no grad accumulator)
            return 0
    if not t._requires_grad:
        n.next[i].fn = NULL
    elif t.grad_fn_ != NULL:
        t.grad_fn_.refcnt += 1
        n.next[i].fn = t.grad_fn_
    else:
        n.next[i].fn = accumulate_node(t)
    return 0


cdef Node* record(int op, int name_id, Tensor out, Tensor a, Tensor b=None, int n_in=1,
                  int n_ip=0) except NULL:
    """Create the node of `out` with inputs a (and b), and attach it as out.grad_fn."""
    cdef int in_ndims = (a.m.ndim if a is not None else 0) + (b.m.ndim if b is not None else 0)
    cdef Node* n = node_alloc(op, name_id, n_in, out.m.ndim, in_ndims, n_ip)
    cdef Py_ssize_t* cursor
    if n_in >= 1:
        n.in_meta[0].shape = n.out_meta.shape + out.m.ndim
        set_edge(n, 0, a)
    if n_in >= 2:
        n.in_meta[1].shape = n.in_meta[0].shape + n.in_meta[0].ndim
        set_edge(n, 1, b)
    n.out_meta.dtype = out.m.dtype
    n.out_meta.ndim = out.m.ndim
    n.out_meta.numel = out.m.numel
    pyad_copy_shape(n.out_meta.shape, out.m.shape, out.m.ndim)
    out.grad_fn_ = n
    out._requires_grad = True
    return n


# A view's history goes stale when its memory is written through its base or another view of
# the base (torch's NOTE [View + Inplace detection]). Like torch's grad_fn(), every read of a
# view's history for recording first brings it up to date: view_current compares the version
# the view last took its history at with its memory's version, and on a difference calls the
# ops layer's sync_view (torch's VariableHooks::grad_fn), which regenerates the history or
# raises torch's refusal. (sync_view is declared in layer_storage.pxd.)

cdef inline Py_ssize_t watched_version(Tensor v) noexcept:
    """The version of the memory a view watches: its own (shared with its base), or for one of
    pyad's copies the base's."""
    return tensor_version(<Tensor>v._base if v._view_copies else v)

cdef inline int view_current(Tensor t) except -1:
    """Bring t's history up to date if t is a view whose memory was written since it took it."""
    if t._base is not None and t._view_version != watched_version(t):
        sync_view(t)
    return 0

cdef inline bint requires_grad_recorded(Tensor a) noexcept:
    """Whether a's history as it stands requires grad: a view made in no_grad mode of a tensor
    that requires grad follows its base (detach_() there turns it off)."""
    return a._requires_grad and (not a._grad_dead or (<Tensor>a._base)._requires_grad)

cdef inline bint requires_grad_flag(Tensor a) noexcept:
    """a.requires_grad, as torch's attribute reads it (it never raises): a view made in no_grad
    mode of a tensor that requires grad follows its base (detach_() there turns it off), and a
    view whose memory was written since it took its history requires grad when its base does
    (but not one of pyad's copies, which keeps the history it was made with)."""
    if requires_grad_recorded(a):
        return True
    return (a._base is not None and a._view_version != watched_version(a)
            and (<Tensor>a._base)._requires_grad
            and not (a._view_copies and a._view_creation == VIEW_DEFAULT))

cdef inline int requires_grad_now(Tensor a) except -1:
    """Whether ops record a: requires_grad_recorded after view_current, which may regenerate
    a view's history or refuse it (torch asks grad_fn() here)."""
    if a._base is None:             # not a view: nothing to update, never _grad_dead
        return a._requires_grad
    view_current(a)
    return requires_grad_recorded(a)

cdef inline int wants_grad(Tensor a) except -1:
    return pyad_is_grad_enabled() and requires_grad_now(a)

cdef inline int wants_grad2(Tensor a, Tensor b) except -1:
    """Whether ops record a and b, both brought up to date (what the op saves for b's
    gradient may depend on b's requiring grad when a does too)."""
    if not pyad_is_grad_enabled():
        return 0
    cdef int a_grad = requires_grad_now(a)
    return requires_grad_now(b) or a_grad


cdef inline unsigned long long meta_key(const Meta* m) noexcept nogil:
    """A fingerprint of dtype and shape (FNV-1a style): equal metas, equal keys."""
    cdef unsigned long long h = 1469598103934665603ULL ^ <unsigned long long>(m.dtype * 64 + m.ndim)
    cdef int d
    for d in range(m.ndim):
        h = (h * 1099511628211ULL) ^ <unsigned long long>m.shape[d]
    return h

cdef inline Py_ssize_t tensor_version(Tensor t) noexcept:
    """torch's version counter of t: its buffer's writes, counted from when t got the buffer."""
    return t.buf.version - t._version_shift

cdef inline void save_input(Node* n, int slot, Tensor t) noexcept:
    Py_INCREF(t)
    n.saved[slot] = <PyObject*>t
    n.saved_ver[slot] = tensor_version(t)
    n.saved_key[slot] = meta_key(&t.m)
    n.flags |= NODE_HAS_SAVED

cdef inline void save_output(Node* n, Tensor out) noexcept:
    # the buffer, not the Tensor: out -> node -> out would be a cycle
    buf_incref(out.buf)
    n.saved_out = out.buf
    n.saved_out_ver = out.buf.version
    n.flags |= NODE_HAS_SAVED

cdef inline void save_scalar(Node* n) noexcept:
    # torch saves a wrapped scalar tensor (MulBackward0, DivBackward0): freed like any saved value
    n.flags |= NODE_HAS_SAVED

cdef inline int check_saved(Node* n) except -1:
    """Before a backward reads what n saved: freed (backward twice) or modified in place?"""
    cdef int i
    if n.flags & NODE_RELEASED:
        raise RuntimeError(ERR_BACKWARD_TWICE)
    for i in range(3):
        if n.saved[i] == NULL:
            continue
        if tensor_version(<Tensor>n.saved[i]) != n.saved_ver[i]:
            raise_modified_inplace(<Tensor>n.saved[i], n.saved_ver[i])
        if meta_key(&(<Tensor>n.saved[i]).m) != n.saved_key[i]:
            raise_data_replaced(<Tensor>n.saved[i], n)
    if n.saved_out != NULL and n.saved_out.version != n.saved_out_ver:
        raise_modified_inplace(tensor_from_buffer(n.saved_out, &n.out_meta), n.saved_out_ver, n)
    return 0

cdef int raise_modified_inplace(Tensor t, Py_ssize_t expected, Node* producer=NULL) except -1:
    """torch's message: names the tensor's type and shape and the node whose output it is now."""
    cdef Node* fn = t.grad_fn_ if producer == NULL else producer
    where = ""
    if fn != NULL:
        where = f", which is output 0 of {NODE_NAMES[fn.name_id].split('Backward')[0]},"
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [pyad.{DTYPE_TITLES[t.m.dtype]}Tensor {list(t.shape)}]{where} is at version "
        f"{tensor_version(t)}; expected version {expected} instead. Hint: enable anomaly "
        "detection to find the operation that failed to compute its gradient, with "
        "pyad.autograd.set_detect_anomaly(True, check_nan=False).")

cdef int raise_data_replaced(Tensor t, Node* n) except -1:
    raise RuntimeError(
        f"one of the variables needed for gradient computation by {NODE_NAMES[n.name_id]} has "
        f"been given new data of another shape or dtype through .data since it was saved: it is "
        f"now [pyad.{DTYPE_TITLES[t.m.dtype]}Tensor {list(t.shape)}]. Its gradient cannot be "
        "computed from the graph recorded before.")

cdef inline bint needs_input_grad(Node* n, int i) noexcept:
    return n.next[i].fn != NULL

cdef inline Tensor saved_tensor(Node* n, int slot):
    return <Tensor>n.saved[slot]

cdef Tensor saved_result(Node* n):
    """The saved output as a Tensor whose grad_fn is n itself (for the recorded backward)."""
    cdef Tensor t = tensor_from_buffer(n.saved_out, &n.out_meta)
    n.refcnt += 1
    t.grad_fn_ = n
    t._requires_grad = True
    return t


cdef Tensor named(Tensor out, int name_id):
    """Give a composed op's outermost node torch's name for the whole op.

    For ops built from other differentiable ops (logsumexp, softmax, ...): their gradients
    come from the parts, and grad_fn prints the name torch prints. Only for a node the op
    itself just created (never one that belongs to an input).
    """
    if out.grad_fn_ != NULL:
        out.grad_fn_.name_id = name_id
    return out


cdef extern from "Python.h":
    PyObject* PyObject_CallMethodObjArgs(PyObject* o, PyObject* name, ...)
    void PyErr_WriteUnraisable(PyObject* obj)
    void PyErr_Fetch(PyObject** t, PyObject** v, PyObject** tb)
    void PyErr_Restore(PyObject* t, PyObject* v, PyObject* tb)

cdef object _RELEASE_NAME = "_release"

cdef void release_function_ctx(PyObject* ctx) noexcept:
    """ctx._release() (a custom Function's saved tensors go), from C code that must finish
    whatever Python raises in it: freeing a graph, or a backward sweep. An exception (a
    KeyboardInterrupt landing there, a RecursionError) is reported as unraisable, as Python
    does for one raised in __del__, and the caller carries on."""
    cdef PyObject* et
    cdef PyObject* ev
    cdef PyObject* etb
    PyErr_Fetch(&et, &ev, &etb)          # an exception already in flight is kept
    cdef PyObject* r = PyObject_CallMethodObjArgs(ctx, <PyObject*>_RELEASE_NAME, NULL)
    if r == NULL:
        PyErr_WriteUnraisable(ctx)
    Py_XDECREF(r)
    PyErr_Restore(et, ev, etb)

cdef void node_release(Node* n) noexcept:
    """Free what the node saved (backward without retain_graph)."""
    cdef int i
    if n.pyctx != NULL and n.op == OP_PYFUNC:
        release_function_ctx(n.pyctx)     # a custom Function's ctx.saved_tensors
    if not (n.flags & NODE_HAS_SAVED):
        return
    n.flags |= NODE_RELEASED
    for i in range(3):
        if n.saved[i] != NULL:
            Py_DECREF(<object>n.saved[i])
            n.saved[i] = NULL
    buf_decref(n.saved_out)
    n.saved_out = NULL


# Nodes whose refcount reached zero wait here; one drain loop frees them, so freeing a chain of
# a million nodes takes a million iterations, not a million nested C calls.
cdef Node** _dead = NULL
cdef Py_ssize_t _dead_n = 0
cdef Py_ssize_t _dead_cap = 0
cdef bint _draining = False

cdef void node_decref(Node* n) noexcept:
    global _dead, _dead_n, _dead_cap, _draining
    cdef Node** grown
    cdef Node* m
    cdef int i
    if n == NULL:
        return
    n.refcnt -= 1
    if n.refcnt > 0:
        return
    if _dead_n == _dead_cap:
        grown = <Node**>realloc(_dead, (2 * _dead_cap + 64) * sizeof(Node*))
        if grown == NULL:
            return      # out of memory while freeing: leak this node rather than crash
        _dead = grown
        _dead_cap = 2 * _dead_cap + 64
    _dead[_dead_n] = n
    _dead_n += 1
    if _draining:
        return
    _draining = True
    while _dead_n > 0:
        _dead_n -= 1
        m = _dead[_dead_n]
        for i in range(m.n_in):
            node_decref(m.next[i].fn)
        for i in range(3):
            if m.saved[i] != NULL:
                Py_DECREF(<object>m.saved[i])
        buf_decref(m.saved_out)
        Py_XDECREF(m.hooks)
        if m.op == OP_PYFUNC and m.pyctx != NULL:
            release_function_ctx(m.pyctx)  # a ctx the user kept must not reach this freed node
        Py_XDECREF(m.pyctx)
        Py_XDECREF(m.trace)
        if m.leaf != NULL:
            if (<Tensor>m.leaf).grad_acc == m:   # not if .data replaced it with a new one
                (<Tensor>m.leaf).grad_acc = NULL
            Py_DECREF(<object>m.leaf)
        pyad_free(m, m.nbytes)
    _draining = False


# ============================================================================================
# grad_fn objects seen from Python
# ============================================================================================
cdef class BackwardNode:
    """A handle on a graph node: `type(t.grad_fn).__name__` is torch's name (SumBackward0)."""
    cdef Node* n

    def __dealloc__(self):
        if self.n != NULL:
            self.n.pyobj = NULL
            node_decref(self.n)

    def name(self):
        return NODE_NAMES[self.n.name_id]

    @property
    def next_functions(self):
        cdef int i
        return tuple((wrap_node(self.n.next[i].fn), self.n.next[i].input_nr)
                     for i in range(self.n.n_in))

    @property
    def variable(self):
        if self.n.leaf == NULL:
            raise AttributeError(f"'{NODE_NAMES[self.n.name_id]}' object has no attribute "
                                 "'variable'")
        return <object>self.n.leaf

    @property
    def metadata(self):
        return {}

    def __repr__(self):
        return f"<{NODE_NAMES[self.n.name_id]} object at {hex(id(self))}>"

    def __eq__(self, other):
        return isinstance(other, BackwardNode) and (<BackwardNode>other).n == self.n

    def __hash__(self):
        return hash(<size_t>self.n)


cdef dict _node_classes = {}

# Only wrap_node makes these handles (a handle without a node would crash on use): from Python
# `type(t.grad_fn)()` raises, as torch's "cannot create 'MulBackward0' instances".
from cpython.object cimport PyTypeObject, newfunc

# pyad_set_tp_new (replaces a static type's constructor): layer_storage.pxd

cdef newfunc _node_handle_alloc = (<PyTypeObject*>BackwardNode).tp_new

cdef object node_handle_tp_new(type cls, PyObject* args, PyObject* kwargs):
    raise TypeError(f"cannot create '{cls.__name__}' instances")

pyad_set_tp_new(<PyTypeObject*>BackwardNode, <newfunc>node_handle_tp_new)

cdef object wrap_node(Node* n):
    """The node's Python wrapper; one per live node, so `a.grad_fn is a.grad_fn`."""
    cdef BackwardNode w
    if n == NULL:
        return None
    if n.pyobj != NULL:
        return <object>n.pyobj
    cls = _node_classes.get(n.name_id)
    if cls is None:
        cls = type(NODE_NAMES[n.name_id], (BackwardNode,), {"__module__": "pyad.autograd"})
        _node_classes[n.name_id] = cls
    w = <BackwardNode>_node_handle_alloc(cls, <PyObject*>(), NULL)
    n.refcnt += 1
    w.n = n
    n.pyobj = <PyObject*>w
    return w
