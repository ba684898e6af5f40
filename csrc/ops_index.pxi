# ops_index.pxi: indexing: advanced indexing, index_select, gather, scatter_add, masked_fill,
# masked_select, take_along_dim.
# Each op: forward and backward side by side (take/put, scatter_add and masked_fill: one
# backward written once against CMath, cmath.pxi, for both sweeps, with the CMath operations
# it needs filled in here); registered with register_cmath/register_name; public functions
# appended to __all__.
#
# One primitive carries every gather-like op: a flat "take", out[i] = x.flat[offs[i]], with the
# int64 element offsets precomputed (with numpy) by the op. Its adjoint is the scatter-add into
# zeros at the same offsets ("put"), whose adjoint is the take again, so every derivative order
# is covered. The offsets are an int64 Tensor saved by the node (saved[0]): the core frees it
# with the node, and a backward without retain_graph releases it, exactly as torch frees the
# index it saves. A take node and its adjoint share that one Tensor.
#   take: ip[0] = name of the adjoint node; inputs (x)
#   put:  ip[0] = name of the adjoint node; inputs (None, g), as torch's IndexPutImplBackward0,
#         IndexAddBackward0, ScatterAddBackward0 and MaskedScatterBackward0 list (None, g)

from libc.stdint cimport int64_t
import builtins         # this module defines sum/max/...: the builtins are spelled out

cdef inline int _nd1(int ndim) noexcept:
    """torch's ensure_nonempty_dim: a 0-d tensor counts as 1-d."""
    return ndim if ndim > 1 else 1

cdef extern from "kernels_index.h":
    void pyad_take(const char* x, char* out, const int64_t* offs, Py_ssize_t n,
                   int dt) noexcept nogil
    void pyad_put_add(char* out, const char* g, const int64_t* offs, Py_ssize_t n,
                      int dt) noexcept nogil
    pyad_loop loop_mfill_f32, loop_mfill_f64, loop_mfill_i64, loop_mfill_bool
    pyad_loop loop_msum_f32, loop_msum_f64


# ============================================================================================
# take / put: the primitive pair
# ============================================================================================
cdef Buffer* nb_take(const char* x, int dt, const int64_t* offs, Py_ssize_t n) except NULL:
    cdef Buffer* out = buf_new(n * itemsize(dt))
    pyad_take(x, out.data, offs, n, dt)
    return out

cdef Buffer* nb_put(const char* g, int dt, const int64_t* offs, Py_ssize_t n,
                    Py_ssize_t out_numel) except NULL:
    cdef Buffer* out = buf_new(out_numel * itemsize(dt))
    memset(out.data, 0, out_numel * itemsize(dt))
    pyad_put_add(out.data, g, offs, n, dt)
    return out

cdef inline const int64_t* offs_ptr(Tensor offs) noexcept:
    return <const int64_t*>offs.buf.data

cdef Tensor t_take(Tensor x, Tensor offs, int ndim, const Py_ssize_t* shape, int name,
                   int adjoint_name):
    """out (shaped `shape`) [i] = x.flat[offs[i]]; offs is an int64 tensor of in-range offsets."""
    cdef Meta m
    cdef Node* n
    m.dtype = x.m.dtype
    m.ndim = ndim
    m.shape = <Py_ssize_t*>shape
    m.numel = shape_numel(ndim, shape)
    cdef Tensor out = tensor_from_new_buffer(nb_take(x.buf.data, x.m.dtype, offs_ptr(offs),
                                                     m.numel), &m, m.dtype)
    if wants_grad(x):
        n = record(OP_TAKE, name, out, x, None, 1, 1)
        n.ip[0] = adjoint_name
        save_input(n, 0, offs)
    return out

cdef Tensor t_put(Tensor g, Tensor offs, int ndim, const Py_ssize_t* shape, int name,
                  int adjoint_name):
    """zeros(shape) with g.flat[i] added at offs[i] (repeats accumulate): t_take's adjoint."""
    cdef Meta m
    cdef Node* n
    m.dtype = g.m.dtype
    m.ndim = ndim
    m.shape = <Py_ssize_t*>shape
    m.numel = shape_numel(ndim, shape)
    cdef Tensor out = tensor_from_new_buffer(nb_put(g.buf.data, g.m.dtype, offs_ptr(offs),
                                                    g.m.numel, m.numel), &m, m.dtype)
    if wants_grad(g):
        n = record(OP_PUT, name, out, None, g, 2, 1)
        n.ip[0] = adjoint_name
        save_input(n, 0, offs)
    return out

# CMath's flat take and put (cmath.pxi), for take_bw and scatter_add_bw
cdef int cm_num_take(BV* out, const BV* x, const BV* offs, const Meta* m, int name,
                     int adjoint_name) except -1:
    cdef Meta mo = m[0]
    mo.dtype = x.m.dtype
    bv_set_buffer(out, nb_take(x.buf.data, x.m.dtype, <const int64_t*>offs.buf.data, mo.numel),
                  &mo)
    return 0

cdef int cm_num_put(BV* out, const BV* x, const BV* offs, const Meta* m, int name,
                    int adjoint_name) except -1:
    cdef Meta mo = m[0]
    mo.dtype = x.m.dtype
    bv_set_buffer(out, nb_put(x.buf.data, x.m.dtype, <const int64_t*>offs.buf.data, x.m.numel,
                              mo.numel), &mo)
    return 0

cdef int cm_rec_take(BV* out, const BV* x, const BV* offs, const Meta* m, int name,
                     int adjoint_name) except -1:
    return bv_set_tensor(out, t_take(bv_t(x), bv_t(offs), m.ndim, m.shape, name, adjoint_name))

cdef int cm_rec_put(BV* out, const BV* x, const BV* offs, const Meta* m, int name,
                    int adjoint_name) except -1:
    return bv_set_tensor(out, t_put(bv_t(x), bv_t(offs), m.ndim, m.shape, name, adjoint_name))

CMATH_NUM.take = cm_num_take
CMATH_NUM.put = cm_num_put
CMATH_REC.take = cm_rec_take
CMATH_REC.put = cm_rec_put

cdef int take_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    """take's gradient is the put of g at the saved offsets, put's (of its input 1) the take;
    each recorded under the other's names (ip[0]: the adjoint's name)."""
    cdef BV offs
    check_saved(n)
    bv_init(&offs)
    try:
        M.input(&offs, n, 0)
        if n.op == OP_TAKE:
            M.put(&outs[0], g, &offs, &n.in_meta[0], <int>n.ip[0], n.name_id)
        else:
            M.take(&outs[1], g, &offs, &n.in_meta[1], <int>n.ip[0], n.name_id)
    finally:
        bv_clear(&offs)
    return 0

cdef Tensor offsets_tensor(object arr):
    return tensor_from_numpy_copy(np.asarray(arr, dtype=np.int64), PYAD_I64)

cdef Tensor take_offsets(Tensor x, object offs, int name, int adjoint_name):
    """t_take with numpy offsets whose shape is the output's."""
    cdef Tensor o = offsets_tensor(offs)
    return t_take(x, o, o.m.ndim, o.m.shape, name, adjoint_name)

cdef object np_of(Tensor t):
    return np.asarray(_np_view(t))

cdef object elem_strides(Tensor x):
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    contiguous_strides(&x.m, cs)
    return [cs[d] for d in range(x.m.ndim)]

cdef object axis_term(Py_ssize_t size, Py_ssize_t stride, int axis, int ndim):
    """arange(size) * stride laid along `axis` of an ndim-d broadcast shape."""
    shape = [1] * ndim
    shape[axis] = size
    return (np.arange(size, dtype=np.int64) * stride).reshape(shape)

cdef str shape_list(object shape):
    return str([int(s) for s in shape])

# ============================================================================================
# Advanced indexing (x[list], x[tensor], x[mask], mixed with ints/slices/None/...):
# IndexBackward0 (adjoint IndexPutImplBackward0). As torch: ints, slices and None apply first
# as Select/Slice/Unsqueeze nodes, a Python bool is an unsqueeze indexed by [True]/[False], then
# the index tensors (masks expanded to their nonzero coordinates) index the result with
# numpy's placement rule: adjacent advanced dims stay in place, separated ones go first.
# ============================================================================================
# numpy's types, looked up once: x[i] parses its key on every call
# NP_NDARRAY, NP_BOOL, NP_INTEGER (numpy's types, looked up once): tensor.pxi

cdef bint seq_as_tuple(object index, bint warn=True):
    """torch's (numpy's old) rule: a short list holding a sequence/slice/None/... is a tuple."""
    cdef type t = type(index)
    if t is tuple:
        return True
    if t is int or t is slice:
        return False
    if isinstance(index, (tuple, Tensor, NP_NDARRAY, str)) or not isinstance(index, list):
        return isinstance(index, tuple)
    if len(index) >= 32:
        return False
    for it in index:
        if (isinstance(it, (Tensor, list, tuple, slice, NP_NDARRAY)) or it is None
                or it is Ellipsis):
            if not warn:
                return True
            warnings.warn(
                "Using a non-tuple sequence for multidimensional indexing is deprecated and will "
                "be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 "
                "this will be interpreted as tensor index, x[torch.tensor(seq)], which will "
                "result either in an error or a different result", UserWarning, stacklevel=3)
            return True
    return False

cdef int check_index_count(Tensor x, object index) except -1:
    """torch's count_specified_dimensions, checked before any item of the key is parsed: an
    int, slice, None, Ellipsis or bool key alone takes a fast path; otherwise every item of the
    (tuple-wrapped) key counts one dim except None, Ellipsis, True, False (Python's) and
    tensors (a bool or uint8 one counts its dims): a string, a float, a list, a numpy bool
    count one, so "too many indices" comes before their own errors and before step checks."""
    cdef type t = type(index)
    cdef Py_ssize_t n = 0
    if (index is None or index is Ellipsis or t is bool or isinstance(index, slice)
            or (isinstance(index, (int, NP_INTEGER)) and not isinstance(index, NP_BOOL))):
        return 0
    items = index if t is tuple or seq_as_tuple(index, False) else (index,)
    for it in items:
        if isinstance(it, Tensor):
            n += (<Tensor>it).m.ndim if (<Tensor>it).m.dtype == PYAD_BOOL else 1
        elif not (it is None or it is Ellipsis or it is True or it is False):
            n += 1
    if n > x.m.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.m.ndim}")
    return 0

cdef int check_0d_single_key(Tensor x, object index) except -1:
    """torch's fast paths for a lone int or slice key on a 0-d tensor (a tuple counts its
    items instead: "too many indices")."""
    if x.m.ndim != 0 or isinstance(index, (bool, NP_BOOL)):
        return 0
    if isinstance(index, slice):
        index.indices(1)        # a step of 0: Python's ValueError, as torch's slice parsing
        if index.step is not None and index.step <= 0:
            raise ValueError("step must be greater than zero")
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if isinstance(index, (int, NP_INTEGER)):
        idx = int64_index(index)
        if idx == 0:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"index {idx} is out of bounds for dimension 0 with size 0")
    return 0

cdef int check_np_bool_index(object index) except -1:
    """torch refuses a lone numpy bool as an index (a Python bool is fine)."""
    cdef type t = type(index)
    if t is int or t is slice:
        return 0
    if t is tuple:                       # inside a tuple: index_slicing, where the item comes
        return 0
    if isinstance(index, NP_BOOL):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         f"Variables are valid indices (got numpy.{type(index).__name__})")
    return 0

cdef bint is_basic_index(object it):
    cdef type t = type(it)
    if t is int or t is slice or it is None or it is Ellipsis:
        return True
    if t is bool:
        return False
    if isinstance(it, slice):
        return True
    if isinstance(it, (bool, NP_BOOL)):
        return False
    if isinstance(it, (int, NP_INTEGER)):
        return True
    if isinstance(it, NP_NDARRAY):
        return is_int_array0d(it)
    return (isinstance(it, Tensor) and (<Tensor>it).m.ndim == 0
            and (<Tensor>it).m.dtype == PYAD_I64)

cdef bint is_int_array0d(object it):
    """A 0-d numpy integer array: an index (torch's parser takes anything with __index__)."""
    return it.ndim == 0 and it.dtype.kind in "iu"

cdef object index_array(object it):
    """An advanced index as a numpy int64 or bool array (torch's conversion rules)."""
    if isinstance(it, Tensor):
        if (<Tensor>it).m.dtype <= PYAD_F64:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return np_of(<Tensor>it)
    if isinstance(it, str):
        raise TypeError("new(): invalid data type 'str'")
    if isinstance(it, (list, tuple)):
        check_index_sequence(it)
    if isinstance(it, (list, tuple, np.ndarray)):
        arr = np.asarray(it)
        if arr.dtype == NP_BOOL:
            return arr
        if arr.dtype.kind not in "iuf" and arr.size:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr.astype(np.int64)
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(it).__name__})")

cdef int check_index_sequence(object seq) except -1:
    """torch's conversion of a list in a key to an index tensor: first its dtype inference,
    depth first (a None or a str item), then the shape the first items give, checked while
    the values are stored (ragged nesting, a scalar where a list is expected or the reverse)."""
    cdef list stack = [seq]
    while stack:
        it = stack.pop()
        if isinstance(it, (list, tuple)):
            stack.extend(reversed(it))
        elif it is None:
            raise RuntimeError("Could not infer dtype of NoneType")
        elif isinstance(it, str):
            raise TypeError("new(): invalid data type 'str'")
    sizes = []
    it = seq
    while isinstance(it, (list, tuple)):
        sizes.append(len(it))
        if not len(it):
            break
        it = it[0]
    _check_index_nesting(seq, sizes, 0)
    return 0


cdef int _check_index_nesting(object it, list sizes, int d) except -1:
    if d == len(sizes):
        if isinstance(it, (list, tuple)):
            raise TypeError(f"'{type(it).__name__}' object cannot be interpreted as an integer")
        return 0
    if not isinstance(it, (list, tuple)):
        raise TypeError("not a sequence")
    if len(it) != sizes[d]:
        raise ValueError(f"expected sequence of length {sizes[d]} at dim {d} (got {len(it)})")
    for u in it:
        _check_index_nesting(u, sizes, d + 1)
    return 0


cdef object past_end_select(int rnd, int dim, object idx, Py_ssize_t k):
    """torch selects an int item at a dim past the end of the result (more than one ellipsis
    can take it there) after reading that dim's size out of bounds: undefined, but with at
    most 5 dims the slot read is an unused (zero) size, so its bounds message with size 0;
    otherwise the select's dim check."""
    if rnd <= 5 and dim < 5:
        return IndexError(f"index {idx} is out of bounds for dimension {k} with size 0")
    return IndexError(f"Dimension out of range (expected to be in range of [{-rnd}, {rnd - 1}], "
                      f"but got {dim})")


cdef object dim_range_error(int n, int dim):
    """wrap_dim's message for a dim past the end of an n-dim tensor."""
    return IndexError(f"Dimension out of range (expected to be in range of "
                      f"[{-n if n else -1}, {n - 1 if n else 0}], but got {dim})")


cdef bint is_full_slice(object it) noexcept:
    """A slice torch's indexing skips without reading the dim's size: [:], [::1]."""
    return (it.start is None or (type(it.start) is int and it.start == 0)) and it.stop is None \
        and (it.step is None or (type(it.step) is int and it.step == 1))


cdef class _BadIndexDtype:
    """A tensor or list index of a dtype torch's index() refuses (checked there, not while
    the key is parsed)."""
    cdef object error

    def __cinit__(self, error):
        self.error = error


cdef Tensor t_index_advanced(Tensor x, tuple items):
    """torch's applySlicing followed by index(): items hold at least one advanced index."""
    r, adv = index_slicing(x, items)
    return t_index(r, adv)

cdef class _IndexItemError:
    """An item of a key that torch's applySlicing refuses when it reaches it (the basic items
    before it are applied first, their errors first)."""
    cdef object error

    def __cinit__(self, error):
        self.error = error


cdef tuple index_slicing(Tensor x, tuple items, list same=None, int* last_view=NULL):
    """torch's applySlicing: parse the items, apply the basic ones (walk_index); (result,
    advanced dims). An index of a wrong dtype stays in the result as a _BadIndexDtype: torch's
    index() and index_put_ refuse it later. same, last_view: as walk_index's."""
    cdef Py_ssize_t n_specified = 0
    cdef list conv = []
    cdef dict adv = {}
    for it in items:
        if type(it) is NP_BOOL:             # refused where the item comes, as torch's parser
            conv.append(_IndexItemError(IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                f"Variables are valid indices (got numpy.{type(it).__name__})")))
            n_specified += 1
        elif it is None or it is Ellipsis:
            conv.append(it)
        elif isinstance(it, (bool, NP_BOOL)):
            conv.append(bool(it))
        elif (isinstance(it, Tensor) and (<Tensor>it).m.ndim == 0
              and (<Tensor>it).m.dtype == PYAD_BOOL):
            conv.append(bool((<Tensor>it).item()))
        elif isinstance(it, NP_NDARRAY) and it.ndim == 0 and it.dtype == NP_BOOL:
            conv.append(bool(it))           # a 0-d bool array is a bool tensor, as torch's
        elif is_basic_index(it):
            conv.append(it)
            n_specified += 1
        else:
            try:
                arr = index_array(it)
            except (IndexError, TypeError, RuntimeError, ValueError) as e:
                if isinstance(it, (Tensor, NP_NDARRAY)) and isinstance(e, IndexError):
                    arr = _BadIndexDtype(e)
                elif (isinstance(it, (list, tuple)) and isinstance(e, IndexError)
                      and "long, int, byte or bool" in str(e)):
                    arr = _BadIndexDtype(e)
                else:
                    arr = _IndexItemError(e)
            conv.append(arr)
            n_specified += 1 if not isinstance(arr, np.ndarray) else (
                arr.ndim if arr.dtype == NP_BOOL else 1)
    if n_specified > x.m.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.m.ndim}")
    r = walk_index(x, tuple(conv), n_specified, False, same, adv, None, last_view)
    return r, adv


cdef int check_slice_step(object it) except -1:
    """Python's slice parsing, before anything else looks at the slice."""
    if it.step is not None and it.step == 0:
        raise ValueError("slice step cannot be zero")
    if it.step is not None and it.step <= 0:
        raise ValueError("step must be greater than zero")
    return 0


cdef enum:
    ITEM_INT, ITEM_SLICE, ITEM_ELLIPSIS, ITEM_NEW_DIM, ITEM_ADVANCED

cdef object walk_index(Tensor x, tuple items, Py_ssize_t n_specified, bint single=False,
                       list same=None, dict adv=None, list region=None,
                       int* last_view=NULL):
    """torch's applySlicing over a parsed key, the one walk for get and set: each item in turn
    at the dim it reaches, with torch's errors in torch's order. Each ellipsis moves the dim on
    by the dims no item specifies (torch takes any number of them, so a second one can move
    past the end). items: basic ones, plus (with adv) the advanced ones index_slicing parsed,
    which land in adv by dim.
    region None: each basic item is applied as a view of x (Select/Slice/Unsqueeze nodes); the
    result is returned (x itself when nothing was applied; an alias for a lone `...` when
    single). same[0], when given, is left True only if torch's result is x itself (no int,
    None or bool item, and every slice one that applySlice skips).
    region [offset, sizes, strides] (x's, in elements): that strided region is narrowed
    instead, with no tensor made (basic x[key] = v).
    last_view, when given, is set to the name of the last view torch's walk makes
    (NAME_SELECT, NAME_SLICE, NAME_UNSQUEEZE; -1 if none: a lone `...`, skipped slices and
    advanced items make none), in either mode: setitem's view check names it."""
    cdef Tensor r = x
    cdef int dim = 0, made = -1
    cdef Py_ssize_t nd, size, k, start, step, length
    cdef bint whole
    cdef list sh = None, sts = None
    if region is not None:
        sh = region[1]
        sts = region[2]
    cdef int kind
    for k in range(len(items)):
        it = items[k]
        nd = r.m.ndim if sh is None else len(sh)
        if type(it) is int:             # the common items first: one type check each
            kind = ITEM_INT
        elif type(it) is slice:
            kind = ITEM_SLICE
        elif it is Ellipsis:
            kind = ITEM_ELLIPSIS
        elif it is None or isinstance(it, bool):
            kind = ITEM_NEW_DIM
        elif isinstance(it, _BadIndexDtype) or (isinstance(it, NP_NDARRAY)
                                                and not is_int_array0d(it)):
            kind = ITEM_ADVANCED
        elif isinstance(it, _IndexItemError):
            raise (<_IndexItemError>it).error
        else:
            kind = ITEM_INT             # numpy integers, 0-d int64 tensors
        if kind == ITEM_ELLIPSIS:
            dim += x.m.ndim - n_specified
            if single and sh is None:
                return t_view(x, x.m.ndim, x.m.shape, NAME_ALIAS)
        elif kind == ITEM_NEW_DIM:
            if dim > nd:
                raise dim_range_error(nd + 1, dim)
            if sh is not None:
                sh.insert(dim, 1)
                sts.insert(dim, 0)
            else:
                r = t_unsqueeze(r, dim)
                if same is not None:
                    same[0] = False
                if it is not None:  # torch's boolToIndexingTensor: a long index, [0] or empty
                    adv[dim] = np.zeros(1 if it else 0, dtype=np.int64)
            made = NAME_UNSQUEEZE
            dim += 1
        elif kind == ITEM_SLICE:
            check_slice_step(it)
            if dim >= nd:
                if not is_full_slice(it):
                    raise dim_range_error(nd, dim)
            elif sh is not None:
                length = slice_bounds(it, sh[dim], &start, &step, &whole)
                region[0] += start * sts[dim]
                sh[dim] = length
                sts[dim] = sts[dim] * step
                if not whole:
                    made = NAME_SLICE
            else:
                r2 = index_slice(r, dim, it, single)
                if r2 is not r:
                    made = NAME_SLICE
                    if same is not None:
                        same[0] = False
                r = r2
            dim += 1
        elif kind == ITEM_ADVANCED:
            adv[dim] = it
            dim += it.ndim if isinstance(it, NP_NDARRAY) and it.dtype == NP_BOOL else 1
        else:
            idx = int64_index(it)
            if dim >= nd:
                raise past_end_select(nd, dim, idx, k)
            if sh is not None:
                size = sh[dim]
                check_select_bounds(idx, size, k)
                region[0] += (idx + size if idx < 0 else idx) * sts[dim]
                del sh[dim]
                del sts[dim]
            else:
                r = index_select_int(r, dim, idx, k)
                if same is not None:
                    same[0] = False
            made = NAME_SELECT
    if last_view != NULL:
        last_view[0] = made
    return r

cdef int check_adv_count(Tensor r, dict adv) except -1:
    """index() and index_put_: one index slot per advanced item (a mask too), up to r's dims."""
    cdef Py_ssize_t n = builtins.max(adv) + 1 if adv else 0
    if n > r.m.ndim:
        raise IndexError(f"too many indices for tensor of dimension {r.m.ndim} (got {n})")
    return 0

cdef Tensor t_index(Tensor r, dict adv, Tensor value=None, int dst_dtype=-1):
    """r[adv] where adv maps a dim of r to an int64 array or a bool mask starting there. With a
    value (setitem), the value must broadcast to the result: checked, as torch's index_put_,
    after the masks and the size-0 dims and before the bounds; then its dtype must be dst_dtype
    (x's), unless torch takes its masked_fill path (one bool mask, a one-element value)."""
    cdef Py_ssize_t s
    cdef int d, j, start
    check_adv_count(r, adv)
    if value is None:      # index(): every index's dtype, then the masks
        for d in sorted(adv):
            if isinstance(adv[d], _BadIndexDtype):
                raise (<_BadIndexDtype>adv[d]).error
    shape = [r.m.shape[d] for d in range(r.m.ndim)]
    entries = []                       # (dim, int64 array) after masks are expanded
    for d in sorted(adv):
        a = adv[d]
        if isinstance(a, _BadIndexDtype):      # index_put_: each index in turn
            raise (<_BadIndexDtype>a).error
        if a.dtype == NP_BOOL:
            for j in range(a.ndim):
                if d + j >= r.m.ndim:
                    raise dim_range_error(r.m.ndim, d + j)
                if a.shape[j] != shape[d + j]:
                    raise IndexError(f"The shape of the mask {shape_list(a.shape)} at index {j} "
                                     f"does not match the shape of the indexed tensor "
                                     f"{shape_list(shape)} at index {d + j}")
            for j, nz in enumerate(np.nonzero(a)):
                entries.append((d + j, nz.astype(np.int64)))
        else:
            entries.append((d, a))
    try:
        bshape = np.broadcast_shapes(*[a.shape for _, a in entries])
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                         "shapes " + ", ".join(shape_list(a.shape) for _, a in entries)) from None
    bnumel = int(np.prod(bshape, dtype=np.int64))
    if bnumel and builtins.any(shape[d] == 0 for d, _ in entries):
        raise IndexError("index is out of bounds for dimension with size 0")
    dims = [d for d, _ in entries]
    rest = [d for d in range(r.m.ndim) if d not in dims]
    first = builtins.min(dims)
    adjacent = builtins.max(dims) - first + 1 == len(dims)
    start = len([d for d in rest if d < first]) if adjacent else 0
    out_shape = [shape[d] for d in rest[:start]] + list(bshape) + [shape[d] for d in rest[start:]]
    if value is not None:
        vshape = list(value.shape)
        while vshape and vshape[0] == 1:     # torch drops the value's leading 1s (slicePrefix1s)
            del vshape[0]
        ok = len(vshape) <= len(out_shape) and builtins.all(
            a == 1 or a == b for a, b in zip(vshape[::-1], out_shape[::-1]))
        if not ok:
            raise RuntimeError(f"shape mismatch: value tensor of shape {vshape} cannot "
                               f"be broadcast to indexing result of shape {out_shape}")
        if dst_dtype >= 0 and value.m.dtype != dst_dtype and not (
                len(adv) == 1 and next(iter(adv.values())).dtype == NP_BOOL
                and value.m.numel == 1):
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{DTYPE_TITLES[dst_dtype]} for the destination and "
                               f"{DTYPE_TITLES[value.m.dtype]} for the source.")
    bad = [(a < -shape[d]) | (a >= shape[d]) for d, a in entries]
    indexed = {d for d, _ in entries}
    out_numel = bnumel
    for k in range(len(shape)):     # Python ints: no wrap-around
        if k not in indexed:
            out_numel *= shape[k]
    # torch's kernel checks the bounds while it walks the output: an empty one checks nothing
    if out_numel and builtins.any(b.any() for b in bad):
        # torch's kernel walks output elements, then index tensors: report the first bad pair
        flags = np.stack([np.broadcast_to(b, bshape) for b in bad], axis=-1).reshape(-1)
        k = int(np.argmax(flags))
        j = k % len(entries)
        d, a = entries[j]
        v = int(np.broadcast_to(a, bshape).reshape(-1)[k // len(entries)])
        raise IndexError(f"index {v} is out of bounds for dimension {j} with size {shape[d]}")
    strides = elem_strides(r)
    adv_off = np.zeros(bshape, dtype=np.int64)
    for d, a in entries:
        adv_off = adv_off + np.where(a < 0, a + shape[d], a) * strides[d]
    nb = len(bshape)
    nd = nb + len(rest)
    offs = np.broadcast_to(adv_off.reshape([1] * start + list(bshape) + [1] * (nd - nb - start)),
                           out_shape).copy()
    for j, d in enumerate(rest):
        offs += axis_term(shape[d], strides[d], j if j < start else j + nb, nd)
    return take_offsets(r, offs, NAME_INDEX, NAME_INDEX_PUT_IMPL)


# ============================================================================================
# index_select: IndexSelectBackward0 (adjoint IndexAddBackward0)
# ============================================================================================
cdef Tensor t_index_select(Tensor x, object dim, object index, int pos):
    cdef int d = wrap_dim(dim, x.m.ndim)
    cdef Tensor idx = need_tensor(index, "index_select", "index", pos)
    if idx.m.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.m.dtype != PYAD_I64:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    a = np_of(idx).reshape(-1)
    if x.m.ndim == 0:
        if a.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{a.size} value(s)")
        if a[0] != 0:
            raise IndexError("index out of range in self")
        return take_offsets(x, np.zeros((), dtype=np.int64), NAME_INDEX_SELECT, NAME_INDEX_ADD)
    size = x.m.shape[d]
    if x.m.ndim > 1 and size == 0 and a.size:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    bad = (a < 0) | (a >= size)
    if bad.any() and (d == 1 or (x.m.ndim > 1 and x.m.numel == 0)):
        # torch's special kernel for dim 1 (of contiguous tensors), and its path for an empty
        # tensor of several dims, report the first bad index this way
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(a[np.argmax(bad)])} "
                           f"axis_dim={size}")
    if bad.any():           # every other dim: torch's own check
        raise IndexError("index out of range in self")
    pre = int(np.prod([x.m.shape[i] for i in range(d)], dtype=np.int64))
    post = int(np.prod([x.m.shape[i] for i in range(d + 1, x.m.ndim)], dtype=np.int64))
    offs = ((np.arange(pre, dtype=np.int64)[:, None, None] * size + a[None, :, None]) * post
            + np.arange(post, dtype=np.int64)[None, None, :])
    out_shape = [x.m.shape[i] for i in range(x.m.ndim)]
    out_shape[d] = a.size
    return take_offsets(x, offs.reshape(out_shape), NAME_INDEX_SELECT, NAME_INDEX_ADD)


# ============================================================================================
# gather: GatherBackward0 (adjoint ScatterAddBackward0)
# ============================================================================================
cdef object scatter_offsets(Tensor x, int d, Tensor idx):
    """Flat offsets into x of x[i_0, .., idx[i], .., i_k] for every position i of idx."""
    cdef int k
    a = np_of(idx)
    size = x.m.shape[d] if x.m.ndim else 1
    bad = (a < 0) | (a >= size)
    if bad.any():
        raise RuntimeError(f"index {int(a.reshape(-1)[np.argmax(bad)])} is out of bounds for "
                           f"dimension {d} with size {size}")
    if x.m.ndim == 0 or idx.m.ndim == 0:
        return a.astype(np.int64)                  # one dim at most: the offset is the index
    strides = elem_strides(x)
    offs = a * strides[d]
    for k in range(idx.m.ndim):
        if k != d:
            offs = offs + axis_term(idx.m.shape[k], strides[k], k, idx.m.ndim)
    return offs

cdef Tensor t_gather_index(Tensor x, object dim, object index, int pos):
    cdef int d = wrap_dim(dim, x.m.ndim), k
    cdef Tensor idx = need_tensor(index, "gather", "index", pos)
    if idx.m.numel == 0:    # torch checks nothing more: an empty result of index's shape
        return take_offsets(x, np.zeros(tuple(idx.shape), dtype=np.int64), NAME_GATHER,
                            NAME_SCATTER_ADD)
    if idx.m.dtype != PYAD_I64:
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if _nd1(idx.m.ndim) != _nd1(x.m.ndim):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if idx.m.numel and x.m.ndim and idx.m.ndim:
        for k in range(x.m.ndim):
            if k != d and idx.m.shape[k] > x.m.shape[k]:
                raise RuntimeError(f"Size does not match at dimension {k} expected index "
                                   f"{list(idx.shape)} to be no larger than self "
                                   f"{list(x.shape)} apart from dimension {d}")
    return take_offsets(x, scatter_offsets(x, d, idx), NAME_GATHER, NAME_SCATTER_ADD)


# ============================================================================================
# scatter_add: ScatterAddBackward0            d/dself = g      d/dsrc = g.gather(dim, index)
# inputs (self, src); saved[0] = offsets of the index positions in self (when src needs grad);
# torch's check that the src gradient (index-shaped) fits src is made when it is computed.
# ============================================================================================
cdef Tensor t_scatter_add(Tensor x, object dim, object index, object src, int pos):
    # torch's argument parser checks the operands' types before the dim's range
    cdef Tensor idx = need_tensor(index, "scatter_add", "index", pos)
    cdef Tensor s = need_tensor(src, "scatter_add", "src", pos + 1)
    cdef int d = wrap_dim(dim, x.m.ndim), k
    cdef Tensor vals, offs_t
    cdef Node* n
    cdef int ni = _nd1(idx.m.ndim)
    if idx.m.dtype != PYAD_I64:
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if s.m.dtype != x.m.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if idx.m.numel and ni != _nd1(x.m.ndim):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    cdef bint wrong_shape = False
    if idx.m.numel:     # torch's scatter_shape_check, step by step
        for k in range(ni):
            if k != d and _size1(idx, k) > _size1(x, k):
                wrong_shape = True
                break
        if not wrong_shape:
            for k in range(ni):
                if s.m.ndim and k >= s.m.ndim:      # torch reads src.size(k): out of range
                    wrap_dim(k, s.m.ndim)
                if _size1(idx, k) > _size1(s, k):
                    wrong_shape = True
                    break
        if _nd1(s.m.ndim) != ni:
            raise RuntimeError("Index tensor must have the same number of dimensions as src "
                               "tensor")
        if wrong_shape:
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                               f"{list(x.shape)} apart from dimension {d} and to be no larger "
                               f"size than src {list(s.shape)}")
    offs_t = offsets_tensor(scatter_offsets(x, d, idx) if idx.m.numel else
                            np.zeros(tuple(idx.shape), dtype=np.int64))
    cdef Tensor out = tensor_from_new_buffer(nb_cast(x.buf.data, &x.m, x.m.dtype), &x.m, x.m.dtype)
    cdef Buffer* corner = NULL
    if idx.m.numel == 0:
        pass                    # nothing to add (index and src may not even share dims)
    elif _same_dims(s, idx):
        pyad_put_add(out.buf.data, s.buf.data, offs_ptr(offs_t), idx.m.numel, x.m.dtype)
    else:                       # the index-shaped corner of src, read with src's strides
        vals = offsets_tensor(_corner_offsets(s, idx))
        corner = nb_take(s.buf.data, s.m.dtype, offs_ptr(vals), idx.m.numel)
        pyad_put_add(out.buf.data, corner.data, offs_ptr(offs_t), idx.m.numel, x.m.dtype)
        buf_decref(corner)
    if wants_grad2(x, s) and x.m.dtype <= PYAD_F64:
        n = record(OP_SCATTER_ADD, NAME_SCATTER_ADD, out, x, s, 2, 0)
        if s._requires_grad:
            save_input(n, 0, offs_t)
    return out

cdef inline Py_ssize_t _size1(Tensor t, int k) noexcept:
    return t.m.shape[k] if t.m.ndim else 1

cdef bint _same_dims(Tensor a, Tensor b) noexcept:
    return a.m.numel == b.m.numel and _nd1(a.m.ndim) == _nd1(b.m.ndim) and (
        a.m.ndim == 0 or b.m.ndim == 0 or same_shape(&a.m, &b.m))

cdef object _corner_offsets(Tensor s, Tensor idx):
    cdef int k
    strides = elem_strides(s)
    offs = np.zeros([_size1(idx, k) for k in range(_nd1(idx.m.ndim))], dtype=np.int64)
    if s.m.ndim == 0:
        return offs
    for k in range(offs.ndim):
        offs = offs + axis_term(offs.shape[k], strides[k], k, offs.ndim)
    return offs

cdef int _check_src_grad(Node* n) except -1:
    """torch's validate_outputs: the index-shaped src gradient must expand to src's shape."""
    cdef const Meta* mi = smeta(n, 0)
    cdef const Meta* ms = &n.in_meta[1]
    cdef int k, off = mi.ndim - ms.ndim
    cdef bint ok = off >= 0
    if ok:
        for k in range(ms.ndim):
            if ms.shape[k] != 1 and ms.shape[k] != mi.shape[k + off]:
                ok = False
    if not ok:
        raise RuntimeError(f"Function ScatterAddBackward0 returned an invalid gradient at index 1 "
                           f"- got {[mi.shape[k] for k in range(mi.ndim)]} but expected shape "
                           f"compatible with {[ms.shape[k] for k in range(ms.ndim)]}")
    return 0

cdef int scatter_add_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    """input's gradient is g itself; src's, g taken at the saved offsets: index-shaped, which
    the engine reduces to src's shape."""
    cdef BV offs
    if needs_input_grad(n, 0):
        bv_copy(&outs[0], g)
    if needs_input_grad(n, 1):
        check_saved(n)
        _check_src_grad(n)
        bv_init(&offs)
        try:
            M.input(&offs, n, 0)
            M.take(&outs[1], g, &offs, &offs.m, NAME_GATHER, NAME_SCATTER_ADD)
        finally:
            bv_clear(&offs)
    return 0


# ============================================================================================
# masked_select: MaskedSelectBackward0 (adjoint MaskedScatterBackward0). Mask and input
# broadcast; a broadcast input element selected twice gets both gradients.
# ============================================================================================
cdef Tensor t_masked_select(Tensor x, object mask, int pos):
    cdef Tensor mk = need_tensor(mask, "masked_select", "mask", pos)
    cdef Meta mo
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    if mk.m.dtype != PYAD_BOOL:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    mo.shape = shp
    broadcast_meta(&mk.m, &x.m, &mo)
    bshape = [shp[d] for d in range(mo.ndim)]
    flat = np.arange(x.m.numel, dtype=np.int64).reshape([x.m.shape[d] for d in range(x.m.ndim)])
    offs = np.broadcast_to(flat, bshape)[np.broadcast_to(np_of(mk), bshape)]
    return take_offsets(x, offs, NAME_MASKED_SELECT, NAME_MASKED_SCATTER)


# ============================================================================================
# masked_fill: MaskedFillBackward0 (Python scalar value), MaskedFillBackward1 (0-d tensor value)
#   d/dx = g.masked_fill(mask, 0)      d/dvalue = g.masked_select(mask).sum()
# inputs (x[, value]); saved[0] = mask; the output has the broadcast shape of x and mask.
# ============================================================================================
cdef Buffer* nb_masked_fill(const char* x, const Meta* mx, const char* mask, const Meta* mm,
                            const Meta* mout, object value) except NULL:
    cdef double c[1]
    cdef int64_t iv
    cdef pyad_loop f
    check_scalar_range(value)
    if mout.dtype == PYAD_I64:
        if isinstance(value, (int, np.integer)):
            iv = int64_of(value, False)
        else:
            iv = <int64_t>scalar0d_f(float(value), PYAD_I64).item()
        memcpy(c, &iv, sizeof(int64_t))
        f = loop_mfill_i64
    else:
        c[0] = float(value)
        if mout.dtype == PYAD_F32:
            f = loop_mfill_f32
        elif mout.dtype == PYAD_F64:
            f = loop_mfill_f64
        else:
            f = loop_mfill_bool
    return nb_mfill_loop(x, mx, mask, mm, mout, f, c)

cdef Buffer* nb_mfill_loop(const char* x, const Meta* mx, const char* mask, const Meta* mm,
                           const Meta* mout, pyad_loop f, const double* c) except NULL:
    """x (broadcast to mout) with the value c where mask (broadcast) is set, by the loop f."""
    cdef Buffer* out = buf_new(mout.numel * itemsize(mout.dtype))
    cdef char* base[3]
    cdef Py_ssize_t st[3][PYAD_MAXDIM]
    base[0] = <char*>x
    base[1] = <char*>mask
    base[2] = out.data
    broadcast_byte_strides(mx, mout, st[0])
    broadcast_byte_strides(mm, mout, st[1])
    broadcast_byte_strides(mout, mout, st[2])
    pyad_nd_apply(3, base, st, mout.ndim, mout.shape, f, c)
    return out

cdef Tensor t_masked_fill(Tensor x, Tensor mask, object value):
    cdef Meta mo
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Tensor v = None
    reject_complex(value)
    cdef Node* n
    mo.shape = shp
    broadcast_meta(&mask.m, &x.m, &mo)
    mo.dtype = x.m.dtype
    if mask.m.dtype != PYAD_BOOL:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{DTYPE_C_NAMES[mask.m.dtype]}")
    if isinstance(value, Tensor):
        v = <Tensor>value
        if v.m.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {v.m.ndim} dimension(s).")
        value = v.item()
    elif not isinstance(value, (int, float, bool, np.number, NP_BOOL)):
        raise TypeError(f"masked_fill() received an invalid combination of arguments - got "
                        f"(Tensor, {type(value).__name__})")
    check_f32_value(value, x.m.dtype)
    cdef Tensor out = tensor_from_new_buffer(
        nb_masked_fill(x.buf.data, &x.m, mask.buf.data, &mask.m, &mo, value), &mo, mo.dtype)
    if mo.dtype > PYAD_F64 and v is not None and wants_grad(v):
        # an integral result of a value that requires grad: torch's autograd refuses it
        raise RuntimeError(f"Autograd not support dtype: {DTYPE_TITLES[mo.dtype]}")
    if mo.dtype > PYAD_F64 or not pyad_is_grad_enabled():
        return out
    if v is None:
        if requires_grad_now(x):
            n = record(OP_MASKED_FILL, NAME_MASKED_FILL0, out, x, None, 1, 0)
            save_input(n, 0, mask)
    elif wants_grad2(x, v):
        n = record(OP_MASKED_FILL, NAME_MASKED_FILL1, out, x, v, 2, 0)
        save_input(n, 0, mask)
    return out

# CMath's masked operations (cmath.pxi), for masked_fill_bw: the numeric ones over the C loops
# (nb_masked_fill, loop_msum), the recorded ones differentiable
cdef int cm_num_masked_zero(BV* out, const BV* x, const BV* mask) except -1:
    cdef double zero = 0.0
    bv_set_buffer(out, nb_mfill_loop(x.buf.data, &x.m, mask.buf.data, &mask.m, &x.m,
                                     loop_mfill_f32 if x.m.dtype == PYAD_F32 else loop_mfill_f64,
                                     &zero), &x.m)
    return 0

cdef int cm_num_masked_sum(BV* out, const BV* x, const BV* mask) except -1:
    cdef char* base[3]
    cdef Py_ssize_t st[3][PYAD_MAXDIM]
    cdef double acc = 0.0
    cdef Meta m0
    cdef Buffer* b
    base[0] = x.buf.data
    base[1] = mask.buf.data
    base[2] = <char*>&acc
    broadcast_byte_strides(&x.m, &x.m, st[0])
    broadcast_byte_strides(&mask.m, &x.m, st[1])
    memset(st[2], 0, sizeof(st[2]))
    pyad_nd_apply(3, base, st, x.m.ndim, x.m.shape,
                  loop_msum_f32 if x.m.dtype == PYAD_F32 else loop_msum_f64, NULL)
    b = buf_new(itemsize(x.m.dtype))
    if x.m.dtype == PYAD_F32:
        (<float*>b.data)[0] = <float>acc
    else:
        (<double*>b.data)[0] = acc
    m0.dtype = x.m.dtype
    m0.ndim = 0
    m0.numel = 1
    m0.shape = NULL
    bv_set_buffer(out, b, &m0)
    return 0

cdef int cm_rec_masked_zero(BV* out, const BV* x, const BV* mask) except -1:
    return bv_set_tensor(out, t_masked_fill(bv_t(x), bv_t(mask), 0))

cdef int cm_rec_masked_sum(BV* out, const BV* x, const BV* mask) except -1:
    cdef Py_ssize_t all_dims[PYAD_MAXDIM]
    cdef Tensor sel = t_masked_select(bv_t(x), bv_t(mask), 1)
    cdef int d
    for d in range(sel.m.ndim):
        all_dims[d] = 1
    return bv_set_tensor(out, t_sum(sel, all_dims, False, False, True))

CMATH_NUM.masked_zero = cm_num_masked_zero
CMATH_NUM.masked_sum = cm_num_masked_sum
CMATH_REC.masked_zero = cm_rec_masked_zero
CMATH_REC.masked_sum = cm_rec_masked_sum

cdef int masked_fill_bw(const CMath* M, Node* n, const BV* g, BV* outs) except -1:
    """x's gradient: g with zeros under the mask, of the output's shape (the engine reduces it
    to a broadcast x's); the 0-d value's: the sum of g under the mask, in g's dtype (the engine
    casts it to the value's)."""
    cdef BV mask
    check_saved(n)
    bv_init(&mask)
    try:
        M.input(&mask, n, 0)
        if needs_input_grad(n, 0):
            M.masked_zero(&outs[0], g, &mask)
        if n.n_in > 1 and needs_input_grad(n, 1):
            M.masked_sum(&outs[1], g, &mask)
    finally:
        bv_clear(&mask)
    return 0


# ============================================================================================
# take_along_dim: torch's composition, so its grad_fn is GatherBackward0 over an
# ExpandBackward0 (dim given) or a ViewBackward0 (dim None: the flattened input).
# ============================================================================================
cdef Tensor t_take_along_dim(Tensor x, object indices, object dim, int pos):
    cdef Tensor idx = need_tensor(indices, "take_along_dim", "indices", pos)
    cdef Meta ms, mi, mo
    cdef Py_ssize_t s1[PYAD_MAXDIM]
    cdef Py_ssize_t s2[PYAD_MAXDIM]
    cdef Py_ssize_t so[PYAD_MAXDIM]
    cdef int d
    if dim is None:
        return t_gather_index(t_reshape(x, (-1,)), 0, t_reshape(idx, (-1,)), 3)
    if x.m.ndim != idx.m.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.m.ndim} dimensions for input, and "
                           f"{idx.m.ndim} dimensions for indices")
    if idx.m.dtype != PYAD_I64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{DTYPE_TITLES[idx.m.dtype]}")
    d = _wrap_no_scalar(dim, x.m.ndim)
    ms.shape = s1
    mi.shape = s2
    mo.shape = so
    meta_copy(&ms, &x.m)
    meta_copy(&mi, &idx.m)
    if x.m.ndim:
        s1[d] = idx.m.shape[d]
    broadcast_meta(&ms, &idx.m, &mo)
    cdef Tensor idx_b = t_expand(idx, mo.ndim, so)
    if x.m.ndim:
        s2[d] = x.m.shape[d]
    broadcast_meta(&mi, &x.m, &mo)
    size = x.m.shape[d]
    if idx_b.m.numel:
        # torch (2.13) takes the indices modulo the dim's size (Python's %: -1 is the last),
        # so none is out of range; an empty dim is its C++ ZeroDivisionError
        if size == 0:
            raise RuntimeError("ZeroDivisionError")
        a = np_of(idx_b)
        if ((a < 0) | (a >= size)).any():
            idx_b = tensor_from_numpy_copy(np.mod(a, size), PYAD_I64)
    return t_gather_index(t_expand(x, mo.ndim, so), d, idx_b, 3)


cdef int OP_TAKE = register_cmath(take_bw)
cdef int OP_PUT = register_cmath(take_bw)
cdef int OP_SCATTER_ADD = register_cmath(scatter_add_bw)
cdef int OP_MASKED_FILL = register_cmath(masked_fill_bw)
cdef int NAME_INDEX = register_name("IndexBackward0")
cdef int NAME_INDEX_PUT_IMPL = register_name("IndexPutImplBackward0")
cdef int NAME_INDEX_SELECT = register_name("IndexSelectBackward0")
cdef int NAME_INDEX_ADD = register_name("IndexAddBackward0")
cdef int NAME_GATHER = register_name("GatherBackward0")
cdef int NAME_SCATTER_ADD = register_name("ScatterAddBackward0")
cdef int NAME_MASKED_SELECT = register_name("MaskedSelectBackward0")
cdef int NAME_MASKED_SCATTER = register_name("MaskedScatterBackward0")
cdef int NAME_MASKED_FILL0 = register_name("MaskedFillBackward0")
cdef int NAME_MASKED_FILL1 = register_name("MaskedFillBackward1")


# ============================================================================================
# Public functions
# ============================================================================================
def index_select(input, dim, index):
    """Entries of input along dim at the positions in index (a 1-D or 0-d int64 tensor).

    Args: input (Tensor), dim (int), index (int64 Tensor, values in [0, size)).
    Example: pyad.index_select(pyad.tensor([[1., 2.], [3., 4.]]), 1, pyad.tensor([1, 1]))
    -> tensor([[2., 2.], [4., 4.]])
    """
    return t_index_select(_t(input), dim, index, 3)


def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j][k] = input[index[i][j][k]][j][k] for dim=0 (and so on for other dims).

    Args: input (Tensor), dim (int), index (int64 Tensor with input's number of dims),
    sparse_grad (ignored: gradients are dense).
    Example: pyad.gather(pyad.tensor([[1., 2.], [3., 4.]]), 1, pyad.tensor([[0, 0], [1, 0]]))
    -> tensor([[1., 1.], [4., 3.]])
    """
    return t_gather_index(_t(input), dim, index, 3)


def scatter_add(input, dim, index, src):
    """A copy of input with src[i][j][k] added at [index[i][j][k]][j][k] (dim=0); repeats add up.

    Args: input (Tensor), dim (int), index (int64 Tensor), src (Tensor of input's dtype).
    Example: pyad.scatter_add(pyad.zeros(3), 0, pyad.tensor([0, 0, 2]), pyad.ones(3))
    -> tensor([2., 0., 1.])
    """
    return t_scatter_add(_t(input), dim, index, src, 3)


def masked_fill(input, mask, value):
    """input with value where mask (a bool tensor broadcast with input) is True.

    Args: input (Tensor), mask (bool Tensor), value (Python number or 0-d Tensor).
    Example: pyad.masked_fill(pyad.tensor([1., 2.]), pyad.tensor([True, False]), 0.)
    -> tensor([0., 2.])
    """
    cdef Tensor x = _t(input)
    return t_masked_fill(x, need_tensor(mask, "masked_fill", "mask", 2), value)


def masked_select(input, mask):
    """A 1-D tensor of input's elements where mask (broadcast with input) is True.

    Args: input (Tensor), mask (bool Tensor).
    Example: pyad.masked_select(pyad.tensor([1., 2., 3.]), pyad.tensor([True, False, True]))
    -> tensor([1., 3.])
    """
    return t_masked_select(_t(input), mask, 2)


def take_along_dim(input, indices, dim=None):
    """input's values at indices along dim (indices broadcast with input apart from dim);
    with dim=None, indices index the flattened input.

    Args: input (Tensor), indices (int64 Tensor), dim (int or None, default None).
    Example: pyad.take_along_dim(pyad.tensor([[3., 1.], [2., 5.]]), pyad.tensor([[1], [0]]), 1)
    -> tensor([[1.], [2.]])
    """
    return t_take_along_dim(_t(input), indices, dim, 2)


__all__ += ["index_select", "gather", "scatter_add", "masked_fill", "masked_select",
            "take_along_dim"]
