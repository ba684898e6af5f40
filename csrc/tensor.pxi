# tensor.pxi: the Tensor type, its construction from buffers and numpy, shape arguments,
# composite ops (matmul, indexing, reshape family) and the Python-facing methods.

cdef int _default_dtype = PYAD_F32

DTYPE_NAMES = ["float32", "float64", "int64", "bool"]
DTYPE_TITLES = ["Float", "Double", "Long", "Bool"]
DTYPE_C_NAMES = ["float", "double", "long int", "bool"]
NP_DTYPES = [np.float32, np.float64, np.int64, np.bool_]
cdef object NP_NDARRAY = np.ndarray      # numpy's types, looked up once (not per call)
cdef object NP_BOOL = np.bool_
cdef object NP_INTEGER = np.integer
_NP_TO_CODE = {np.dtype(np.float32): PYAD_F32, np.dtype(np.float64): PYAD_F64,
               np.dtype(np.int64): PYAD_I64, np.dtype(np.bool_): PYAD_BOOL}


cdef class dtype:
    """A tensor element type: pyad.float32, pyad.float64, pyad.int64, pyad.bool."""
    # field: layer_tensor.pxd (code: PYAD_F32 ... PYAD_BOOL)

    @property
    def is_floating_point(self):
        """True for pyad.float32 and pyad.float64."""
        return self.code <= PYAD_F64

    @property
    def itemsize(self):
        return pyad_itemsize[self.code]

    def __repr__(self):
        return "pyad." + DTYPE_NAMES[self.code]

    def __reduce__(self):
        return (_dtype_by_name, (DTYPE_NAMES[self.code],))

cdef list _DTYPES = []
for _code in range(4):
    _d = dtype.__new__(dtype)
    (<dtype>_d).code = _code
    _DTYPES.append(_d)
float32, float64, int64, bool_ = _DTYPES


def _dtype_by_name(name):
    return _DTYPES[DTYPE_NAMES.index(name)]


cdef int dtype_code(object d) except -1:
    if d is None:
        return _default_dtype
    if isinstance(d, dtype):
        return (<dtype>d).code
    try:
        return _NP_TO_CODE[np.dtype(d)]
    except Exception:
        raise TypeError(f"pyad: unsupported dtype {d!r} (use pyad.float32, pyad.float64, "
                        "pyad.int64 or pyad.bool)") from None


cdef str _requires_grad_leaf_error(bint requires_grad):
    if requires_grad:
        return "you can only change requires_grad flags of leaf variables."
    return ("you can only change requires_grad flags of leaf variables. If you want to use a "
            "computed variable in a subgraph that doesn't require differentiation use "
            "var_no_grad = var.detach().")


class Size(tuple):
    """The shape of a tensor: a tuple that prints as pyad.Size([3, 4])."""
    __slots__ = ()

    def __repr__(self):
        return f"pyad.Size({list(self)})"

    def numel(self):
        """The number of elements."""
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r


# ============================================================================================
# Construction
# ============================================================================================
cdef unsigned long long _tensors_created = 0   # lets tests prove a path creates no Tensors


def _tensor_count():
    """How many Tensor objects pyad has created so far (a test hook)."""
    return _tensors_created


cdef Tensor tensor_from_new_buffer(Buffer* b, const Meta* m, int dtype):
    """Wrap a fresh buffer (its reference is given to the Tensor)."""
    global _tensors_created
    cdef Tensor t = Tensor.__new__(Tensor)
    _tensors_created += 1
    t.buf = b
    t.m.shape = t._shape
    t.m.dtype = dtype
    t.m.ndim = m.ndim
    t.m.numel = m.numel
    pyad_copy_shape(t._shape, m.shape, m.ndim)   # a 0-d meta's shape may be NULL: not read
    return t

cdef Tensor tensor_from_buffer(Buffer* b, const Meta* m):
    """A Tensor sharing b (a view: reshape, detach, a gradient slot)."""
    buf_incref(b)
    return tensor_from_new_buffer(b, m, m.dtype)

cdef Tensor new_tensor(int dtype, int ndim, const Py_ssize_t* shape):
    cdef Meta m
    if ndim > PYAD_MAXDIM:
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions, got {ndim}")
    m.ndim = ndim
    m.shape = <Py_ssize_t*>shape
    m.numel = shape_numel(ndim, shape)
    m.dtype = dtype
    if m.numel > PY_SSIZE_T_MAX // 8:  # numel * itemsize would wrap (to 0 for 2**62 float32)
        raise MemoryError(f"pyad: cannot allocate a tensor of {m.numel} elements")
    return tensor_from_new_buffer(buf_new(m.numel * itemsize(dtype)), &m, dtype)

cdef Tensor zeros_like_nograd(Tensor x):
    cdef Tensor t = new_tensor(x.m.dtype, x.m.ndim, x.m.shape)
    memset(t.buf.data, 0, t.m.numel * itemsize(t.m.dtype))
    return t

cdef Tensor t_clone_nograd(Tensor x):
    return tensor_from_new_buffer(nb_cast(x.buf.data, &x.m, x.m.dtype), &x.m, x.m.dtype)

cdef Tensor tensor_from_numpy_copy(object arr, int dtype):
    """Copy an ndarray of any layout into a new tensor of dtype."""
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int d
    arr = np.asarray(arr, dtype=NP_DTYPES[dtype], order="C")
    if arr.ndim > PYAD_MAXDIM:
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions, got {arr.ndim}")
    for d in range(arr.ndim):
        shp[d] = arr.shape[d]
    cdef Tensor t = new_tensor(dtype, arr.ndim, shp)
    if t.m.numel:
        memcpy(t.buf.data, <char*><size_t>arr.ctypes.data, t.m.numel * itemsize(dtype))
    return t


def _from_numpy_copy(arr, int dtype):
    return tensor_from_numpy_copy(arr, dtype)


def _from_numpy_shared(arr):
    """torch.from_numpy: the tensor uses the array's memory (C-contiguous, native order)."""
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Meta m
    cdef int d
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    if arr.dtype not in _NP_TO_CODE:
        raise TypeError(f"can't convert np.ndarray of type {arr.dtype}. The only supported types "
                        "are: float64, float32, int64, and bool.")
    if not arr.flags.writeable:
        raise ValueError("pyad.from_numpy: the array is read-only (pyad tensors are writable); "
                         "use pyad.tensor(arr) to copy it")
    if not arr.flags.c_contiguous:
        raise ValueError("pyad.from_numpy: the array must be C-contiguous (pyad tensors are "
                         "always contiguous); use pyad.tensor(arr) to copy it")
    if arr.ndim > PYAD_MAXDIM:
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions, got {arr.ndim}")
    m.dtype = _NP_TO_CODE[arr.dtype]
    m.ndim = arr.ndim
    m.shape = shp
    for d in range(arr.ndim):
        shp[d] = arr.shape[d]
    m.numel = shape_numel(m.ndim, shp)
    b = buf_wrap(arr, <char*><size_t>arr.ctypes.data, arr.nbytes)
    return tensor_from_new_buffer(b, &m, m.dtype)


cdef int check_storage_size(int nd, const Py_ssize_t* shp, int dtype) except -1:
    if numel_overflows(nd, shp) or shape_numel(nd, shp) > PY_SSIZE_T_MAX // itemsize(dtype):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={_shape_str(nd, shp)}")
    return 0

cdef bint fill_exact_int(Tensor t, object value) except -1:
    """Fill an int64 tensor with an integer value exactly (through a double it would round
    above 2**53); False when value is not an integer."""
    cdef long long v
    cdef Py_ssize_t i
    check_scalar_range(value)
    if t.m.dtype != PYAD_I64 or not isinstance(value, (int, np.integer)):
        return False
    v = int64_of(value, False)
    for i in range(t.m.numel):
        (<long long*>t.buf.data)[i] = v
    return True


def _full(shape, object fill_value, int dtype, str fn=""):
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int nd = parse_shape(shape, shp, fn, "size")
    check_storage_size(nd, shp, dtype)
    cdef Tensor t = new_tensor(dtype, nd, shp)
    cdef Py_ssize_t i
    if fill_exact_int(t, fill_value):
        return t
    check_f32_value(fill_value, dtype)
    cdef double value = fill_value
    if value == 0.0:
        memset(t.buf.data, 0, t.m.numel * itemsize(dtype))
    elif dtype == PYAD_F32:
        for i in range(t.m.numel):
            (<float*>t.buf.data)[i] = <float>value
    elif dtype == PYAD_F64:
        for i in range(t.m.numel):
            (<double*>t.buf.data)[i] = value
    elif dtype == PYAD_I64:
        if not (-9223372036854775808.0 <= value < 9223372036854775808.0):   # NaN too: UB cast
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        for i in range(t.m.numel):
            (<long long*>t.buf.data)[i] = <long long>value
    else:
        memset(t.buf.data, 1 if value != 0 else 0, t.m.numel)
    return t


def _empty(shape, int dtype, str fn=""):
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int nd = parse_shape(shape, shp, fn, "size")
    check_storage_size(nd, shp, dtype)
    return new_tensor(dtype, nd, shp)


cdef class _BufferView:
    """Exports a Buffer through the buffer protocol so numpy can view it without a copy."""
    # fields: layer_storage.pxd (buf, m, shape, strides)

    def __dealloc__(self):
        buf_decref(self.buf)

    def __getbuffer__(self, Py_buffer* view, int flags):
        cdef int d
        if self.buf == NULL:   # made from Python: nothing to export
            raise BufferError("pyad: this buffer view exports no memory")
        view.buf = self.buf.data
        view.obj = self
        view.len = self.m.numel * itemsize(self.m.dtype)
        view.readonly = 0
        view.itemsize = itemsize(self.m.dtype)
        view.format = FORMATS[self.m.dtype]
        view.ndim = self.m.ndim
        view.shape = self.shape
        view.strides = self.strides
        view.suboffsets = NULL
        view.internal = NULL

    def __releasebuffer__(self, Py_buffer* view):
        pass

cdef char* FORMATS[4]
FORMATS[0] = b"f"
FORMATS[1] = b"d"
FORMATS[2] = b"q"
FORMATS[3] = b"?"

cdef object _np_view(Tensor t):
    """An ndarray over t's memory (no copy, no grad check)."""
    cdef _BufferView v = _BufferView.__new__(_BufferView)
    cdef int d
    buf_incref(t.buf)
    v.buf = t.buf
    v.m = t.m
    v.m.shape = v.shape
    memcpy(v.shape, t.m.shape, t.m.ndim * sizeof(Py_ssize_t))
    contiguous_strides(&t.m, v.strides)
    for d in range(t.m.ndim):
        v.strides[d] *= itemsize(t.m.dtype)
    return np.asarray(v)

# ============================================================================================
# Argument parsing shared by the shape methods
# ============================================================================================
cdef inline int reject_complex(object v) except -1:
    """A complex value where a real one is converted would lose its imaginary part (numpy's
    complex scalars convert with a mere warning): pyad has no complex dtype."""
    if isinstance(v, (complex, np.complexfloating)):
        raise TypeError("pyad: complex tensors are not supported (pyad has float32, float64, "
                        "int64 and bool)")
    return 0

cdef inline bint is_int_arg(object v):
    """An int for a dim or a size: Python ints and numpy integers, not bools (as torch)."""
    return type(v) is int or (isinstance(v, (int, np.integer)) and not isinstance(v, bool))

cdef int parse_shape(object args, Py_ssize_t* out, str fn="", str arg="size") except -1:
    """Sizes given as ints or as one sequence: f(2, 3) or f((2, 3)) or f(pyad.Size(...)).
    A size beyond int64 is torch's argument-parser TypeError naming fn and arg."""
    cdef bint tensor_items = False
    if len(args) == 1 and not is_int_arg(args[0]) and not is_index_tensor(args[0]):
        args = args[0]
        if isinstance(args, bool):
            raise TypeError("expected a sequence of integers, but got bool")
    if isinstance(args, Tensor):
        args = args.tolist()
    if len(args) > PYAD_MAXDIM:
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions, got {len(args)}")
    cdef int i = 0
    for s in args:
        if not is_int_arg(s):
            if not is_index_tensor(s):     # (a 0-d int64 tensor is an int to torch's parser)
                raise TypeError(f"expected a sequence of integers, but got {type(s).__name__}")
            tensor_items = True
    if tensor_items:
        args = [int(s) for s in args]
    check_int64_items(fn, arg, args)
    for s in args:
        out[i] = s
        i += 1
    return i

cdef bint numel_overflows(int nd, const Py_ssize_t* shp) noexcept:
    """Whether the running product of the (non-negative) sizes leaves Py_ssize_t, as torch's
    checked numel: a later 0 does not make (2**62, 4, 0) valid."""
    cdef Py_ssize_t n = 1
    cdef int d
    for d in range(nd):
        if shp[d] > 0 and n > PY_SSIZE_T_MAX // shp[d]:
            return True
        n *= shp[d] if shp[d] >= 0 else 1
    return False

cdef int check_int64_items(str fn, str arg, object items) except -1:
    """torch's argument parser refuses an int list with an item beyond int64 before any other
    check of the call."""
    for k, v in enumerate(items):
        if is_int_arg(v) and not -9223372036854775808 <= v <= 9223372036854775807:
            raise TypeError(f"{fn + '(): ' if fn else ''}argument '{arg}' failed to unpack the "
                            f"object at pos {k + 1} with error \"Overflow when unpacking long "
                            f"long\"")
    return 0


cdef bint is_index_tensor(object v):
    """A 0-d int64 tensor: torch's argument parser takes it for an int (dims, sizes)."""
    return isinstance(v, Tensor) and (<Tensor>v).m.ndim == 0 and (<Tensor>v).m.dtype == PYAD_I64

cdef object dims_arg(object dim):
    """dim as torch's parser reads an int list: a one-element integer tensor (0-d or 1-d, bool
    too) is that int; anything else is left for the caller's checks."""
    cdef Tensor t
    if isinstance(dim, Tensor):
        t = <Tensor>dim
        if t.m.numel == 1 and t.m.ndim <= 1 and (t.m.dtype == PYAD_I64 or t.m.dtype == PYAD_BOOL):
            return int(t.reshape(()).item())
    return dim

cdef int wrap_dim(object dim, int ndim) except -100:
    cdef int lo, hi, d
    if not is_int_arg(dim):
        if not is_index_tensor(dim):
            raise TypeError(f"dim must be an int, not {type(dim).__name__}")
        dim = int(dim)
    _int64_arg(dim)
    hi = ndim - 1 if ndim > 0 else 0
    lo = -ndim if ndim > 0 else -1
    if dim < lo or dim > hi:  # compared as Python ints: a huge dim is out of range, not overflow
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {dim})")
    d = dim
    return d + (ndim if ndim > 0 else 1) if d < 0 else d     # a 0-d tensor wraps like 1-d

cdef bint dim_arg_ok(object dim):
    """dim as torch's argument parser takes it: None, an int or a sequence of ints."""
    if dim is None or is_int_arg(dim):
        return True
    dim = dims_arg(dim)
    if is_int_arg(dim):
        return True
    return isinstance(dim, (tuple, list)) and all(is_int_arg(d) for d in dim)

cdef int dims_mask(Tensor x, object dim, Py_ssize_t* mask, str fn="",
                   bint wrap_first=False) except -1:
    """mask[d] = 1 for the dims of `dim` (None: all), with torch's errors; fn names the function
    in the argument parser's TypeError for a list item beyond int64. wrap_first: every dim is
    range-checked before any repeat is reported (torch's make_dim_mask, the reductions built on
    a TensorIterator: sum, mean, amax, amin, logsumexp, all, any); otherwise one by one."""
    cdef int d, w
    if dim is None:
        for d in range(x.m.ndim):
            mask[d] = 1
        return 0
    if type(dim) is not int and isinstance(dim, Tensor):
        dim = dims_arg(dim)
    for d in range(x.m.ndim):
        mask[d] = 0
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not isinstance(dim, (int, np.integer)):
        check_int64_items(fn, "dim", dims)      # torch parses the whole list first
    if wrap_first:
        dims = tuple([wrap_dim(item, x.m.ndim) for item in dims])
    cdef bint seen0 = False
    for item in dims:  # a Python object: wrap_dim checks the range before any C conversion
        w = wrap_dim(item, x.m.ndim)
        if x.m.ndim == 0:   # a 0-d tensor's dims 0 and -1 are one dim: a repeat, as torch
            if seen0:
                raise RuntimeError("dim 0 appears multiple times in the list of dims")
            seen0 = True
            continue
        if mask[w]:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        mask[w] = 1
    return 0

cdef int _extreme_empty_dims(Tensor x, object dim, str opname) except -1:
    """torch's amax/amin of an empty tensor: the dims wrapped, then a reduced dim of size 0 is
    reported before a repeated dim."""
    if x.m.numel != 0 or x.m.ndim == 0:
        return 0
    dims = (dim,) if isinstance(dim, (int, np.integer)) else dim
    if not isinstance(dims, (tuple, list)) or not all(is_int_arg(d) for d in dims):
        return 0                    # dims_mask reports torch's argument error
    for w in [wrap_dim(d, x.m.ndim) for d in dims]:
        if x.m.shape[w] == 0:
            raise IndexError(f"{opname}(): Expected reduction dim {w} to have non-zero size.")
    return 0

cdef int infer_view_shape(Tensor x, object shape, Py_ssize_t* out, str fn="",
                          str arg="size") except -1:
    cdef int nd = parse_shape(shape, out, fn, arg)
    cdef int infer = -1, d
    cdef Py_ssize_t known = 1
    for d in range(nd):
        if out[d] == -1:
            if infer >= 0:
                raise RuntimeError("only one dimension can be inferred")
            infer = d
        elif out[d] < 0:
            raise RuntimeError(f"invalid shape dimension {out[d]}")
        else:
            known *= out[d]
    if infer >= 0:
        if known == 0 or x.m.numel % known:
            raise RuntimeError(f"shape '{_shape_str(nd, out)}' is invalid for input of size "
                               f"{x.m.numel}")
        out[infer] = x.m.numel // known
    elif known != x.m.numel:
        raise RuntimeError(f"shape '{_shape_str(nd, out)}' is invalid for input of size "
                           f"{x.m.numel}")
    if numel_overflows(nd, out):
        raise RuntimeError("numel: integer multiplication overflow")
    return nd

cdef str _shape_str(int nd, const Py_ssize_t* s):
    return "[" + ", ".join(str(s[d]) for d in range(nd)) + "]"

cdef object size_of(Tensor t):
    return Size([t.m.shape[d] for d in range(t.m.ndim)])


# ============================================================================================
# Composite shape ops
# ============================================================================================
cdef Tensor t_reshape(Tensor x, object shape, int name=NAME_VIEW, str fn="", str arg="size"):
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int nd = infer_view_shape(x, shape, shp, fn, arg)
    return t_view(x, nd, shp, name)

cdef Tensor t_unsqueeze(Tensor x, int dim):
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int d, j = 0
    if x.m.ndim + 1 > PYAD_MAXDIM:
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions")
    for d in range(x.m.ndim + 1):
        if d == dim:
            shp[d] = 1
        else:
            shp[d] = x.m.shape[j]
            j += 1
    return t_view(x, x.m.ndim + 1, shp, NAME_UNSQUEEZE)

cdef Tensor t_squeeze(Tensor x, const Py_ssize_t* mask, int name):
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int d, nd = 0
    for d in range(x.m.ndim):
        if not (mask[d] and x.m.shape[d] == 1):
            shp[nd] = x.m.shape[d]
            nd += 1
    return t_view(x, nd, shp, name)

cdef Tensor t_matmul(Tensor a, Tensor b):
    """torch.matmul's case analysis, ending in the dot/mv/mm/bmm primitives."""
    cdef int da = a.m.ndim, db = b.m.ndim, d, nbd
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t K
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da == 1 and db == 1:
        if a.m.dtype != b.m.dtype:      # torch's dot checks the dtypes before the sizes
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{DTYPE_TITLES[a.m.dtype]} and {DTYPE_TITLES[b.m.dtype]}")
        if a.m.shape[0] != b.m.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.m.shape[0]}] and "
                               f"src [{b.m.shape[0]}] to have the same number of elements, but "
                               f"got {a.m.shape[0]} and {b.m.shape[0]} elements respectively")
        return t_bmm_kind(a, b, PROD_DOT, 1, 1, a.m.shape[0], 1, 0, shp)
    if da == 2 and db == 1:
        if a.m.shape[1] != b.m.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({a.m.shape[0]}), mat "
                               f"({a.m.shape[0]}x{a.m.shape[1]}), vec ({b.m.shape[0]})")
        shp[0] = a.m.shape[0]
        return t_bmm_kind(a, b, PROD_MV, 1, a.m.shape[0], a.m.shape[1], 1, 1, shp)
    if da == 1 and db == 2:     # torch squeezes the product in place: not a view
        return not_a_view(t_squeeze(t_matmul(t_unsqueeze(a, 0), b), _MASK0, NAME_SQUEEZE4))
    if da == 2 and db == 2:
        if a.m.shape[1] != b.m.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.m.shape[0]}x"
                               f"{a.m.shape[1]} and {b.m.shape[0]}x{b.m.shape[1]})")
        shp[0] = a.m.shape[0]
        shp[1] = b.m.shape[1]
        return t_bmm_kind(a, b, PROD_MM, 1, a.m.shape[0], a.m.shape[1], b.m.shape[1], 2, shp)
    if da >= 3 and db <= 2:
        # fold the batch into rows: (..., M, K) -> (B*M, K), one mm / mv, then unfold
        K = a.m.shape[da - 1]
        shp[0] = a.m.numel // K if K else _batch_numel(a) * a.m.shape[da - 2]
        shp[1] = K
        folded = t_view(a, 2, shp, NAME_VIEW)
        r = t_matmul(folded, b)
        for d in range(da - 1):
            shp[d] = a.m.shape[d]
        if db == 2:
            shp[da - 1] = b.m.shape[1]
            return t_unsafe_view(r, da, shp)
        return t_unsafe_view(r, da - 1, shp)
    if db >= 3 and da <= 2:
        _folded_checks(a, b)
    if da == 3 and db == 3 and a.m.shape[0] != b.m.shape[0]:
        # torch's _matmul_impl drops a broadcast (size-1) batch of an operand that requires
        # grad, so that its gradient is one mm rather than a bmm summed over the batch: the
        # folded path's checks, errors and nodes
        if a.m.shape[0] == 1 and requires_grad_flag(a):
            return t_matmul(t_squeeze(a, _MASK0, NAME_SQUEEZE1), b)
        if b.m.shape[0] == 1 and requires_grad_flag(b):
            return t_matmul(a, t_squeeze(b, _MASK0, NAME_SQUEEZE1))
    # general batched case: broadcast batch dims, flatten them, bmm, restore
    a2 = t_unsqueeze(a, 0) if da == 1 else a
    b2 = t_unsqueeze(b, 1) if db == 1 else b
    return _batched_matmul(a2, b2, da == 1, db == 1)

cdef int _folded_checks(Tensor a, Tensor b) except -1:
    """torch's matmul of a 1-d/2-d a by a batched b (at::native::should_fold) folds b^T into a
    matrix and calls mv / mm on it when a requires grad, or a is 1-d and b is empty or folds
    without a copy (pyad's b is contiguous: its K is 1); those kernels' checks and errors
    (sizes, then dtypes, then bool), before pyad's batched product computes the same values."""
    cdef int db = b.m.ndim
    cdef Py_ssize_t K = b.m.shape[db - 2], rows = b.m.numel // K if K else 0
    cdef Py_ssize_t ka = a.m.shape[a.m.ndim - 1]
    if not (requires_grad_flag(a) or (a.m.ndim == 1 and (b.m.numel == 0 or K == 1))):
        return 0
    if K == 0:
        rows = _batch_numel(b) * b.m.shape[db - 1]
    if a.m.ndim == 1:
        if K != ka:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{K}), vec ({ka})")
        if a.m.dtype != b.m.dtype:
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                               f"{DTYPE_TITLES[a.m.dtype]}, {DTYPE_TITLES[b.m.dtype]}, and "
                               f"{DTYPE_TITLES[a.m.dtype]}")
        if a.m.dtype == PYAD_BOOL and rows and K:
            raise NotImplementedError("\"addmv_impl_cpu\" not implemented for 'Bool'")
        return 0
    if K != ka:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{K} and "
                           f"{ka}x{a.m.shape[0]})")
    if a.m.dtype != b.m.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{DTYPE_C_NAMES[b.m.dtype]} != {DTYPE_C_NAMES[a.m.dtype]}")
    return 0

cdef Py_ssize_t* _pair(Py_ssize_t r, Py_ssize_t c, Py_ssize_t* shp) noexcept:
    shp[0] = r
    shp[1] = c
    return shp

cdef Tensor _batched_matmul(Tensor a, Tensor b, bint squeeze_m, bint squeeze_n):
    cdef int da = a.m.ndim, db = b.m.ndim, nbd, d
    cdef Meta ba, bb, bo
    cdef Py_ssize_t sa[PYAD_MAXDIM]
    cdef Py_ssize_t sb[PYAD_MAXDIM]
    cdef Py_ssize_t so[PYAD_MAXDIM]
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t M = a.m.shape[da - 2], K = a.m.shape[da - 1], N = b.m.shape[db - 1], B
    if b.m.shape[db - 2] != K:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{_batch_numel(b)}, {K}] but got: [{_batch_numel(b)}, "
                           f"{b.m.shape[db - 2]}].")
    ba.ndim = da - 2
    ba.shape = a.m.shape
    bb.ndim = db - 2
    bb.shape = b.m.shape
    bo.shape = so
    broadcast_meta(&ba, &bb, &bo)
    nbd = bo.ndim
    B = bo.numel
    for d in range(nbd):
        shp[d] = so[d]
    shp[nbd] = M
    shp[nbd + 1] = K
    ae = t_expand(a, nbd + 2, shp) if not _is_shape(a, nbd + 2, shp) else a
    shp[nbd] = K
    shp[nbd + 1] = N
    be = t_expand(b, nbd + 2, shp) if not _is_shape(b, nbd + 2, shp) else b
    sa[0], sa[1], sa[2] = B, M, K
    sb[0], sb[1], sb[2] = B, K, N
    a3 = t_view(ae, 3, sa, NAME_VIEW) if ae.m.ndim != 3 else ae
    b3 = t_view(be, 3, sb, NAME_VIEW) if be.m.ndim != 3 else be
    shp[0], shp[1], shp[2] = B, M, N
    r = t_bmm_kind(a3, b3, PROD_BMM, B, M, K, N, 3, shp)
    for d in range(nbd):
        shp[d] = so[d]
    d = nbd
    if not squeeze_m:
        shp[d] = M
        d += 1
    if not squeeze_n:
        shp[d] = N
        d += 1
    return t_unsafe_view(r, d, shp)

cdef Py_ssize_t _batch_numel(Tensor t):
    cdef Py_ssize_t n = 1
    cdef int d
    for d in range(t.m.ndim - 2):
        n *= t.m.shape[d]
    return n

cdef bint _is_shape(Tensor t, int nd, const Py_ssize_t* shp) noexcept:
    cdef int d
    if t.m.ndim != nd:
        return False
    for d in range(nd):
        if t.m.shape[d] != shp[d]:
            return False
    return True

cdef Py_ssize_t _MASK0[PYAD_MAXDIM]
_MASK0[0] = 1


cdef Tensor t_getitem(Tensor x, object index, int* last_view=NULL):
    """Basic indexing, decomposed as torch does into Select/Slice/Unsqueeze/Alias nodes.

    An index holding a list, a tensor (other than a 0-d int64 one), a mask or a bool goes to
    advanced indexing (t_index_advanced in ops_index.pxi: IndexBackward0). last_view: as
    walk_index's (for a basic key).
    """
    cdef Py_ssize_t n_specified = 0
    check_index_count(x, index)
    check_0d_single_key(x, index)
    check_np_bool_index(index)
    cdef bint single = not isinstance(index, tuple) and not seq_as_tuple(index)
    items = (index,) if single else tuple(index)
    for it in items:
        if not is_basic_index(it):
            return t_index_advanced(x, items)
        if it is not None and it is not Ellipsis:
            n_specified += 1
    if n_specified > x.m.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.m.ndim}")
    r = walk_index(x, items, n_specified, single, None, None, None, last_view)
    if r is x:
        return t_view(x, x.m.ndim, x.m.shape, NAME_ALIAS)
    return r

cdef Py_ssize_t slice_bounds(object it, Py_ssize_t size, Py_ssize_t* start,
                             Py_ssize_t* step, bint* whole) except -1:
    """The slice it of a dim of `size`: returns its length, sets its first index and step
    (Python's slice rules) and whole: whether torch's applySlice skips it (its own start is 0,
    its step 1 and its stop None or at least size; a start that only clamps to 0, as -100,
    still slices). The step is checked by the caller (check_slice_step)."""
    cdef Py_ssize_t stop
    PySlice_Unpack(it, start, &stop, step)            # slice.indices() without the tuple
    whole[0] = start[0] == 0 and step[0] == 1 and stop >= size
    return PySlice_AdjustIndices(size, start, &stop, step[0])

cdef Tensor index_slice(Tensor r, int dim, object it, bint single):
    """r sliced along dim (SliceBackward0); a slice torch skips inside a tuple is r itself."""
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t start, step, length
    cdef bint whole
    cdef int i
    length = slice_bounds(it, r.m.shape[dim], &start, &step, &whole)
    if whole and not single:
        return r
    contiguous_strides(&r.m, cs)
    for i in range(r.m.ndim):
        shp[i] = r.m.shape[i]
    shp[dim] = length
    start_off = start * cs[dim]
    cs[dim] *= step
    return t_gather(r, start_off, cs, r.m.ndim, shp, NAME_SLICE, NAME_SLICE_BW)

cdef int check_select_bounds(Py_ssize_t idx, Py_ssize_t size, Py_ssize_t key_pos) except -1:
    """torch's select bounds message, which names the item's position in the key."""
    if idx < -size or idx >= size:
        raise IndexError(f"index {idx} is out of bounds for dimension {key_pos} with size {size}")
    return 0

cdef object _int64_arg(object v):
    """An int argument as torch's parser unpacks it: beyond int64 is its ValueError (other
    objects are returned as they are)."""
    if (isinstance(v, int) or isinstance(v, NP_INTEGER)) and not (
            -9223372036854775808 <= v <= 9223372036854775807):
        raise ValueError("Overflow when unpacking long long")
    return v

cdef object int64_index(object it):
    """An int index as a Python int; beyond int64 it is torch's argument-parser error."""
    return _int64_arg(int(it))

cdef Tensor index_select_int(Tensor r, int dim, Py_ssize_t idx, Py_ssize_t real_dim=-1):
    """r[..., idx] at dim (SelectBackward0), with torch's bounds message, which names the
    item's position in the key (real_dim) rather than the dim."""
    cdef Py_ssize_t cs[PYAD_MAXDIM]
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t size = r.m.shape[dim]
    cdef int i
    check_select_bounds(idx, size, dim if real_dim < 0 else real_dim)
    if idx < 0:
        idx += size
    contiguous_strides(&r.m, cs)
    start_off = idx * cs[dim]
    for i in range(dim, r.m.ndim - 1):
        cs[i] = cs[i + 1]
    for i in range(r.m.ndim):
        shp[i] = r.m.shape[i]
    for i in range(dim, r.m.ndim - 1):
        shp[i] = shp[i + 1]
    return t_gather(r, start_off, cs, r.m.ndim - 1, shp, NAME_SELECT, NAME_SELECT_BW)


# ============================================================================================
# Operand coercion for the Python operators
# ============================================================================================
cdef inline bint is_scalar(object o) noexcept:
    return type(o) is float or type(o) is int or type(o) is bool

cdef object as_scalar_or_tensor(object o):
    """Python and numpy scalars stay scalars; arrays and sequences become constant tensors."""
    if isinstance(o, Tensor):
        return o
    if is_scalar(o):
        if type(o) is int and not -(2**63) <= o <= 2**64 - 1:  # torch's int64/uint64 range
            raise OverflowError("int too big to convert" if o > 0 else
                                "can't convert negative int to unsigned")
        return o
    if isinstance(o, np.bool_):
        return float(o)     # torch takes a numpy bool operand as a float scalar
    if isinstance(o, np.unsignedinteger) and o > 9223372036854775807:
        return None         # beyond int64: torch declines, and numpy's operator takes over
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, (np.ndarray, list, tuple)):
        return _tensor_from_data(o)
    return None

cdef Tensor _tensor_from_data(object data):
    arr = np.asarray(data)
    if arr.dtype.kind == "f":
        code = (_default_dtype if not isinstance(data, np.ndarray)
                else _NP_TO_CODE.get(arr.dtype, PYAD_F64))
    elif arr.dtype.kind in "iu":
        code = PYAD_I64
    elif arr.dtype.kind == "b":
        code = PYAD_BOOL
    else:
        raise TypeError(f"pyad: cannot make a tensor from data of type {arr.dtype}")
    return tensor_from_numpy_copy(arr, code)

cdef Tensor scalar_tensor(object c, Tensor like):
    """A 0-d constant for the rare scalar-with-tensor-formula paths (x ** tensor)."""
    cdef int dt = result_type_scalar(like, c)
    return tensor_from_numpy_copy(np.asarray(c), dt)


cdef Tensor check_leaf_view(Tensor x):
    """x, after torch's in-place refusals (pyad's augmented operators on copies act out of
    place, but torch's x op= y on its view is in place: a view of a leaf is refused)."""
    check_inplace_torch(x)
    return x

# BIN_*, the operators of binop/rbinop: layer_tensor.pxd

cdef object binop(int which, object a, object b):
    """Dispatch of + - * / ** for Tensor/scalar operand orders; `a` is always self's side."""
    cdef Tensor x
    b = as_scalar_or_tensor(b)
    if b is None:
        return NotImplemented
    x = <Tensor>a
    if which == BIN_SUB:
        check_bool_sub(x, b)
    if isinstance(b, Tensor):
        if which == BIN_ADD:
            return t_add(x, <Tensor>b)
        if which == BIN_SUB:
            return t_sub(x, <Tensor>b)
        if which == BIN_MUL:
            return t_mul(x, <Tensor>b)
        if which == BIN_DIV:
            return t_div(x, <Tensor>b)
        return t_pow(x, <Tensor>b)
    dt = result_type_scalar(x, b)
    if dt == PYAD_I64 and type(b) is int and which != BIN_DIV:
        return int_scalar_binop(which, x, b, False)
    if dt == PYAD_BOOL and which != BIN_DIV:
        return bool_scalar_binop(which, x, b)
    if which == BIN_ADD:
        return t_adds(x, b, NAME_ADD, dt)
    if which == BIN_SUB:
        return t_adds(x, -b, NAME_SUB, dt)
    if which == BIN_MUL:
        return t_muls(x, b, dt)
    if which == BIN_DIV:
        return t_divs(x, b)
    return t_pows(x, b, dt)

cdef Tensor int_scalar_binop(int which, Tensor x, object c, bint reflected):
    """x OP c (c OP x when reflected) with an int64 result and a Python int c: + - * ** in
    int64 arithmetic, wrapping as torch's, through a 0-d tensor (the scalar kernels take a
    double, which rounds c above 2**53). Integer tensors never record a graph."""
    cdef Tensor s
    if which == BIN_POW and not reflected:
        if c < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return t_pow(x, scalar0d(c, PYAD_I64))      # torch refuses an exponent of 2**63 or more
    s = scalar0d(c, PYAD_I64, True)
    if which == BIN_ADD:
        return t_add(x, s)
    if which == BIN_SUB:
        return t_sub(s, x) if reflected else t_sub(x, s)
    if which == BIN_MUL:
        return t_mul(x, s)
    return t_pow(s, x)

cdef Tensor bool_scalar_binop(int which, Tensor x, object c):
    """A bool tensor with a bool scalar stays bool, as torch's: + is or, * is and, x ** c is x
    (c True) or all True. The scalar kernels have no bool loop (they would read and write
    bool elements as int64), so this goes through the tensor ops and int64."""
    if which == BIN_ADD:
        return t_add(x, scalar0d(c, PYAD_BOOL))
    if which == BIN_MUL:
        return t_mul(x, scalar0d(c, PYAD_BOOL))
    return to_dtype_nograd(t_pow(to_dtype_nograd(x, PYAD_I64), scalar0d(c, PYAD_I64)),
                           PYAD_BOOL)

cdef object wrap_int64(object v):
    """A Python int reduced to int64's range as int64 arithmetic wraps it."""
    return ((v + 9223372036854775808) % 18446744073709551616) - 9223372036854775808

cdef object augmented_result(Tensor x, object r):
    """x OP= v where x is one of pyad's copies (x[idx], transpose, ...): the result is computed
    out of place and held to the in-place op's rules (inplace_result)."""
    if r is NotImplemented:
        return r
    return inplace_result(x, <Tensor>r)

cdef object add_with_alpha(Tensor x, object other, object alpha, bint subtract):
    """x + alpha * other (x - alpha * other): with an integer result, alpha must be an
    integer (torch's error) and the product is taken in int64, wrapping as torch's."""
    cdef object given = other
    cdef int dt
    if isinstance(alpha, np.bool_):
        alpha = float(alpha)        # torch takes a numpy bool as a float scalar
    elif isinstance(alpha, np.unsignedinteger) and alpha > 9223372036854775807:
        raise TypeError("an integer is required")   # torch's refusal of a numpy uint64
    elif isinstance(alpha, (np.integer, np.floating)):
        alpha = alpha.item()
    other = as_scalar_or_tensor(other)
    if other is None:
        return named_result(NotImplemented, "sub" if subtract else "add", given)
    if type(alpha) is int:
        int64_of(alpha, True)       # torch's OverflowError beyond uint64
        if subtract:                # torch negates sub's alpha in int64, wrapping
            alpha = -wrap_int64(-alpha)
    if subtract:
        check_bool_sub(x, other)
    dt = (result_type2(x, <Tensor>other) if isinstance(other, Tensor)
          else result_type_scalar(x, other))
    if type(alpha) is bool and dt != PYAD_BOOL:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if dt >= PYAD_I64 and not (type(alpha) is int and alpha == 1):
        if isinstance(alpha, float):
            raise RuntimeError("For integral input tensors, argument alpha must not be a "
                               "floating point number.")
        if dt == PYAD_BOOL:
            alpha = 1 if alpha else 0   # bool arithmetic: alpha is a truth value
        elif type(alpha) is int:
            # torch negates sub's alpha first (wrapping) and takes add's as int64 (no wrap)
            alpha = wrap_int64(-alpha) if subtract else int64_of(alpha, False)
            if isinstance(other, Tensor):
                return t_add(x, t_mul(<Tensor>other, scalar0d(alpha, PYAD_I64)))
            if isinstance(other, int):
                return int_scalar_binop(BIN_ADD, x, wrap_int64(other * alpha), False)
    elif type(alpha) is int and dt <= PYAD_F64:
        alpha = float(alpha)        # a float result: alpha * other in floating point
    check_f32_value(alpha, dt)      # alpha converted to a float32 result's type, checked
    if isinstance(other, Tensor):
        return t_sub(x, <Tensor>other, alpha) if subtract else t_add(x, <Tensor>other, alpha)
    if dt == PYAD_BOOL:         # a bool scalar with a bool tensor: the sum stays bool
        return binop(BIN_ADD, x, bool(other) and bool(alpha))
    return named_result(binop(BIN_SUB if subtract else BIN_ADD, x, other * alpha),
                        "sub" if subtract else "add", given)

cdef object rbinop(int which, Tensor x, object c):
    """c OP x for a scalar c on the left."""
    c = as_scalar_or_tensor(c)
    if c is None:
        return NotImplemented
    if isinstance(c, Tensor):
        return binop(which, c, x)
    if which == BIN_SUB:
        check_bool_sub(x, c)
    if which == BIN_DIV:      # c / x is c * (1 / x): a float, whatever c's range
        return t_muls(t_unary(U_RECIPROCAL, x), c)
    dt = result_type_scalar(x, c)
    if which == BIN_POW and dt == PYAD_BOOL:
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if dt == PYAD_BOOL:         # + and * commute
        return bool_scalar_binop(which, x, c)
    if dt == PYAD_I64 and type(c) is int and which != BIN_DIV:
        return int_scalar_binop(which, x, c, True)
    if which == BIN_ADD:
        return t_adds(x, c, NAME_ADD, dt)
    if which == BIN_SUB:
        return t_rsubs(x, c, 1.0, dt)
    if which == BIN_MUL:
        return t_muls(x, c, dt)
    return t_rpows(x, c, dt)


cdef object named_result(object r, str fn, object other):
    """A named method hands back NotImplemented only as a TypeError (operators may return it)."""
    if r is NotImplemented:
        raise TypeError(f"{fn}(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    return r


cdef object _methods_module = None

cdef object _methods():
    """pyad._tensor_methods (pure Python helpers behind some methods), imported on first use."""
    global _methods_module
    if _methods_module is None:
        from pyad import _tensor_methods
        _methods_module = _tensor_methods
    return _methods_module


cdef int set_requires_grad(Tensor t, bint value) except -1:
    """A leaf's requires_grad. A view made in no_grad mode of a tensor that requires grad keeps
    requiring grad (its base's); asked to, it gets a gradient of its own, as torch's."""
    if t._grad_dead:
        if not value:
            return 0
        t._grad_dead = False
    t._requires_grad = value
    return 0


# ============================================================================================
# The Tensor type
# ============================================================================================
@cython.freelist(256)
cdef class Tensor:
    """A multi-dimensional array on the CPU that records operations for autograd."""
    # fields: layer_storage.pxd (the Tensor record: buffer, meta, node, grad, hooks, base)

    def __dealloc__(self):
        buf_decref(self.buf)
        node_decref(self.grad_fn_)

    # ---- metadata ------------------------------------------------------------------------
    @property
    def shape(self):
        """The size of each dim, a pyad.Size (a tuple subclass)."""
        return size_of(self)

    def size(self, dim=None):
        """The shape as a pyad.Size, or the size of one dim if dim is given."""
        if dim is None:
            return size_of(self)
        return self.m.shape[wrap_dim(dim, self.m.ndim)] if self.m.ndim else 1

    def dim(self):
        """The number of dims (same as ndim)."""
        return self.m.ndim

    @property
    def ndim(self):
        """The number of dims (0 for a scalar tensor)."""
        return self.m.ndim

    def numel(self):
        """The number of elements."""
        return self.m.numel

    def nelement(self):
        """The number of elements (alias of numel)."""
        return self.m.numel

    @property
    def dtype(self):
        """The element type: pyad.float32, pyad.float64, pyad.int64 or pyad.bool."""
        return _DTYPES[self.m.dtype]

    @property
    def device(self):
        """pyad.device('cpu'): pyad tensors live in CPU memory."""
        return _methods().CPU

    def is_floating_point(self):
        """True for float32 and float64 tensors."""
        return self.m.dtype <= PYAD_F64

    def is_contiguous(self):
        """Always True: every pyad tensor is C-contiguous."""
        return True

    def __len__(self):
        if self.m.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.m.shape[0]

    def __iter__(self):
        if self.m.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.m.shape[0]))

    def __hash__(self):
        return id(self)

    # ---- autograd state ------------------------------------------------------------------
    @property
    def requires_grad(self):
        """Whether ops on this tensor are recorded for autograd; settable on leaves."""
        return requires_grad_flag(self)

    @requires_grad.setter
    def requires_grad(self, value):
        if type(value) is not bool:
            raise RuntimeError("requires_grad must be a bool")
        if self.grad_fn_ != NULL:
            raise RuntimeError(_requires_grad_leaf_error(value))
        if value and self.m.dtype > PYAD_F64:
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        set_requires_grad(self, value)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad in place (default True) and return self.

        Only floating-point leaves can require gradients.
        """
        if type(requires_grad) is not bool:
            raise TypeError("requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type(requires_grad).__name__}")
        if self.grad_fn_ != NULL:
            if not requires_grad:
                raise RuntimeError(_requires_grad_leaf_error(False))
            return self
        if requires_grad and self.m.dtype > PYAD_F64:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        set_requires_grad(self, requires_grad)
        return self

    @property
    def grad_fn(self):
        """The node that made this tensor (None for leaves), with name() and
        next_functions as in torch.
        """
        view_current(self)
        return wrap_node(self.grad_fn_)

    @property
    def is_leaf(self):
        """True if the tensor was not made by a recorded op (grad_fn is None)."""
        view_current(self)
        return self.grad_fn_ == NULL

    @property
    def grad(self):
        """The gradient accumulated by backward() (None until then); settable.

        Reading it on a non-leaf that does not retain its grad warns, as in torch.
        """
        if self.grad_fn_ != NULL and not self.retains_grad_:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you "
                "access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for "
                "more information.", UserWarning, stacklevel=2)
        return self.grad_

    @grad.setter
    def grad(self, value):
        cdef Tensor g
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            g = <Tensor>value
            if g is self:
                raise RuntimeError("can't assign Variable as its own grad")
            if g.m.dtype != self.m.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype "
                                   f"'{DTYPE_C_NAMES[g.m.dtype]}' to a tensor with dtype "
                                   f"'{DTYPE_C_NAMES[self.m.dtype]}'. Please ensure that the "
                                   "gradient and the tensor have the same dtype")
            if not same_shape(&g.m, &self.m):
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"'{list(g.shape)}' to a tensor of size '{list(self.shape)}'. "
                                   "Please ensure that the gradient and the tensor are the same "
                                   "size")
        self.grad_ = value

    def detach(self):
        """A tensor sharing this one's memory, cut from the graph."""
        return tensor_from_buffer(self.buf, &self.m)

    def detach_(self):
        """Detach this tensor from its graph in place (it becomes a leaf); returns self."""
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        if self.grad_fn_ != NULL:
            node_decref(self.grad_fn_)
            self.grad_fn_ = NULL
        self._requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into each leaf's .grad (see pyad.autograd.backward)."""
        from pyad import autograd
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ---- conversion ----------------------------------------------------------------------
    def numpy(self, *, force=False):
        """A numpy array sharing this tensor's memory.

        Raises for a tensor that requires grad while grad mode is on, unless force=True.
        """
        if self._requires_grad and not force and pyad_is_grad_enabled():
            # torch refuses only while grad mode is on (under no_grad the array cannot be
            # mistaken for a differentiable view)
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return _np_view(self)

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.m.numel != 1:
            raise RuntimeError(f"a Tensor with {self.m.numel} elements cannot be converted to "
                               "Scalar")
        return _np_view(self).reshape(-1)[0].item()

    def tolist(self):
        """The values as nested Python lists (a number for a 0-d tensor)."""
        return _np_view(self).tolist()

    def __float__(self):
        if self.m.numel != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._requires_grad and pyad_is_grad_enabled():   # torch is silent under no_grad
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                          "unexpected behavior.\nConsider using tensor.detach() first.",
                          UserWarning, stacklevel=2)
        return float(self.item())

    def __int__(self):
        if self.m.numel != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self):
        # as torch: a one-element integer (or bool) tensor is an index, so 'a' * tensor([2])
        # repeats the string and [1, 2, 3][tensor(1)] indexes the list
        if self.m.numel != 1 or self.m.dtype < PYAD_I64:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self):
        if self.m.numel != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __repr__(self):
        from pyad._tensor_str import format_tensor
        cdef str grad_fn_name = None
        try:
            view_current(self)
        except RuntimeError:
            grad_fn_name = "Invalid"    # torch's repr: a view its in-place rules refuse
        else:
            if self.grad_fn_ != NULL:
                grad_fn_name = NODE_NAMES[self.grad_fn_.name_id]
        return format_tensor(_np_view(self), dtype_name=DTYPE_NAMES[self.m.dtype],
                             default_dtype_name=DTYPE_NAMES[_default_dtype],
                             grad_fn_name=grad_fn_name,
                             requires_grad=requires_grad_flag(self),
                             type_name=_subclass_repr_name(type(self)))

    def __str__(self):
        return self.__repr__()

    def to(self, *args, **kwargs):
        """This tensor with another dtype (ToCopyBackward0) and/or on a device, as torch's
        to(dtype | device | tensor, non_blocking=False, copy=False): self when nothing changes
        and copy is False. Devices other than the CPU raise torch's not-compiled errors."""
        cdef int code
        if len(args) == 1 and not kwargs and isinstance(args[0], dtype):   # the common x.to(dt)
            code = (<dtype>args[0]).code
            return self if code == self.m.dtype else t_to(self, code)
        code = _methods().parse_to(self, args, kwargs)
        if code < 0:
            return self
        if code == self.m.dtype:   # copy=True with nothing to change
            return t_clone(self) if pyad_is_grad_enabled() and self._requires_grad \
                else t_clone_nograd(self)
        return t_to(self, code)

    def float(self):
        """This tensor as float32 (same as to(pyad.float32))."""
        return t_to(self, PYAD_F32)

    def double(self):
        """This tensor as float64 (same as to(pyad.float64))."""
        return t_to(self, PYAD_F64)

    def long(self):
        """This tensor as int64 (same as to(pyad.int64))."""
        return t_to(self, PYAD_I64)

    def contiguous(self):
        """self: every pyad tensor is already contiguous."""
        return self

    # ---- operators -----------------------------------------------------------------------
    def __add__(self, other):
        return binop(BIN_ADD, self, other)

    def __radd__(self, other):
        return rbinop(BIN_ADD, self, other)

    def __sub__(self, other):
        return binop(BIN_SUB, self, other)

    def __rsub__(self, other):
        return rbinop(BIN_SUB, self, other)

    def __mul__(self, other):
        return binop(BIN_MUL, self, other)

    def __rmul__(self, other):
        return rbinop(BIN_MUL, self, other)

    def __truediv__(self, other):
        return binop(BIN_DIV, self, other)

    def __rtruediv__(self, other):
        return rbinop(BIN_DIV, self, other)

    def __pow__(self, other, mod):
        return binop(BIN_POW, self, other)

    def __rpow__(self, other, mod):
        return rbinop(BIN_POW, self, other)

    def __neg__(self):
        return t_neg(self)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        other = as_scalar_or_tensor(other)
        if not isinstance(other, Tensor):
            return NotImplemented
        return t_matmul(self, <Tensor>other)

    def __rmatmul__(self, other):
        other = as_scalar_or_tensor(other)
        if not isinstance(other, Tensor):
            return NotImplemented
        return t_matmul(<Tensor>other, self)

    def __getitem__(self, index):
        return t_getitem(self, index)

    # ---- arithmetic methods ----------------------------------------------------------------
    def add(self, other, *, alpha=1):
        """self + alpha * other, broadcasting; other is a tensor or a scalar."""
        return add_with_alpha(self, other, alpha, False)

    def sub(self, other, *, alpha=1):
        """self - alpha * other, broadcasting; other is a tensor or a scalar."""
        return add_with_alpha(self, other, alpha, True)

    def mul(self, other):
        """self * other elementwise, broadcasting."""
        return named_result(binop(BIN_MUL, self, other), "mul", other)

    def div(self, other, *, rounding_mode=None):
        """input / other; rounding_mode "trunc" or "floor" rounds the quotient (zero gradient)."""
        return named_result(t_div_rounding(self, other, rounding_mode), "div", other)

    def true_divide(self, other):
        """input / other; rounding_mode "trunc" or "floor" rounds the quotient (zero gradient)."""
        return named_result(binop(BIN_DIV, self, other), "true_divide", other)

    def pow(self, exponent):
        """self ** exponent elementwise (a tensor or a scalar exponent)."""
        return named_result(binop(BIN_POW, self, exponent), "pow", exponent)

    # ---- reductions ------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        """Sum over dim (an int or a tuple; None: all elements), keeping reduced dims as size 1
        if keepdim; dtype casts first.
        """
        cdef Py_ssize_t mask[PYAD_MAXDIM]
        check_keepdim("sum", keepdim)
        x = self if dtype is None else t_to(self, dtype_code(dtype))
        if isinstance(dim, (tuple, list)) and len(dim) == 0:
            dim = None              # torch: an empty dim list reduces over every dim
        dims_mask(x, dim, mask, "sum", True)
        if dtype is not None and (<Tensor>x).m.dtype == PYAD_BOOL:   # a bool sum is a bool (any)
            return rd_int_result_check(
                self, to_dtype_nograd(t_sum(x, mask, keepdim, False, dim is None), PYAD_BOOL))
        return rd_int_result_check(self, t_sum(x, mask, keepdim, False, dim is None))

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        """Mean over dim (an int or a tuple; None: all elements); see sum for the arguments."""
        cdef Py_ssize_t mask[PYAD_MAXDIM]
        if not dim_arg_ok(dim):     # no overload takes it (before the dtype check, as torch)
            raise rd_bad_args("mean", (), {"keepdim": keepdim, "dim": dim}, _MEAN_SIGS)
        if isinstance(dim, (tuple, list)):       # the argument parser comes first
            check_int64_items("mean", "dim", dim)
        else:
            _int64_arg(dim)
        check_keepdim("mean", keepdim)
        x = self if dtype is None else t_to(self, dtype_code(dtype))
        if (<Tensor>x).m.dtype > PYAD_F64:   # torch's dtype error comes before any dim error
            raise RuntimeError(f"mean(): could not infer output dtype. "
                               f"{'Input' if dtype is None else 'Optional'} dtype must be either "
                               f"a floating point or complex dtype. Got: "
                               f"{DTYPE_TITLES[(<Tensor>x).m.dtype]}")
        if isinstance(dim, (tuple, list)) and len(dim) == 0:
            dim = None              # torch: an empty dim list reduces over every dim
        dims_mask(x, dim, mask, "mean", True)
        return t_sum(x, mask, keepdim, True, dim is None)

    # ---- shape -----------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same data with a new shape (ints or a tuple; one may be -1); shares memory."""
        return t_reshape(self, shape, NAME_VIEW, "reshape", "shape")

    def view(self, *shape):
        """A tensor sharing this memory with a new shape (ints or a tuple; one may be -1)."""
        if len(shape) == 1 and isinstance(shape[0], dtype):
            raise NotImplementedError("pyad: view(dtype) is not supported")
        return t_reshape(self, shape, NAME_VIEW, "view", "size")

    def view_as(self, other):
        """view(other.shape)."""
        return t_reshape(self, need_tensor(other, "view_as", "other", 1).shape)

    def reshape_as(self, other):
        """reshape(other.shape)."""
        return t_reshape(self, need_tensor(other, "reshape_as", "other", 1).shape)

    def transpose(self, dim0, dim1):
        """dims dim0 and dim1 swapped (TransposeBackward0); a copy in pyad."""
        cdef int d0 = wrap_dim(dim0, self.m.ndim), d1 = wrap_dim(dim1, self.m.ndim)
        if self.m.ndim == 0:
            return t_view(self, 0, self.m.shape, NAME_TRANSPOSE)
        return t_transpose(self, d0, d1)

    def t(self):
        """Transpose of a tensor of at most 2 dims (0-d and 1-d are returned as they are)."""
        if self.m.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.m.ndim}D")
        if self.m.ndim < 2:
            return t_view(self, self.m.ndim, self.m.shape, NAME_T)
        return t_transpose(self, 0, 1, NAME_T)

    def permute(self, *dims):
        """The dims reordered as dims (ints or a tuple); a copy in pyad."""
        cdef int perm[PYAD_MAXDIM]
        cdef int d
        if not dims:
            raise TypeError('permute() missing 1 required positional arguments: "dims"')
        if len(dims) == 1 and not is_int_arg(dims[0]):
            dims = tuple(dims[0])
        check_int64_items("permute", "dims", dims)
        if len(dims) != self.m.ndim:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input "
                               f"does not match the length of the desired ordering of dimensions "
                               f"i.e. input.dim() = {self.m.ndim} is not equal to len(dims) = "
                               f"{len(dims)}")
        seen = set()
        for d in range(self.m.ndim):
            perm[d] = wrap_dim(dims[d], self.m.ndim)
            if perm[d] in seen:
                raise RuntimeError("permute(): duplicate dims are not allowed.")
            seen.add(perm[d])
        return t_permute(self, perm, NAME_PERMUTE)

    def unsqueeze(self, dim):
        """Insert a dim of size 1 at position dim; shares memory."""
        return t_unsqueeze(self, wrap_dim(dim, self.m.ndim + 1))

    def squeeze(self, dim=None):
        """Remove dims of size 1 (all of them, or only dim); shares memory."""
        cdef Py_ssize_t mask[PYAD_MAXDIM]
        cdef int d
        if dim is None:
            for d in range(self.m.ndim):
                mask[d] = 1
            return t_squeeze(self, mask, NAME_SQUEEZE0)
        dims_mask(self, dim, mask, "squeeze")
        return t_squeeze(self, mask, NAME_SQUEEZE1 if is_int_arg(dim) else NAME_SQUEEZE2)

    def expand(self, *sizes):
        """Broadcast size-1 dims to the given sizes (-1 keeps a dim); a copy in pyad."""
        cdef Py_ssize_t shp[PYAD_MAXDIM]
        cdef int nd = parse_shape(sizes, shp, "expand", "size"), d, off
        off = nd - self.m.ndim
        if off < 0:
            raise RuntimeError(f"expand(pyad.{DTYPE_TITLES[self.m.dtype]}Tensor"
                               f"{{{list(self.shape)}}}, size={[shp[i] for i in range(nd)]}): "
                               "the number of sizes provided "
                               f"({nd}) must be greater or equal to the number of dimensions in "
                               f"the tensor ({self.m.ndim})")
        for d in range(nd - 1, -1, -1):      # from the last dim, as torch reports
            if d >= off and shp[d] == -1:
                shp[d] = self.m.shape[d - off]
            elif d >= off and self.m.shape[d - off] != shp[d] and self.m.shape[d - off] != 1:
                raise RuntimeError(
                    f"The expanded size of the tensor ({shp[d]}) must match the existing size "
                    f"({self.m.shape[d - off]}) at non-singleton dimension {d}.  Target sizes: "
                    f"{[shp[i] for i in range(nd)]}.  Tensor sizes: {list(self.shape)}")
            elif shp[d] < 0:
                raise RuntimeError(f"The expanded size of the tensor ({shp[d]}) isn't allowed in "
                                   "a leading, non-existing dimension 0")
        if numel_overflows(nd, shp):
            raise RuntimeError("numel: integer multiplication overflow")
        check_storage_size(nd, shp, self.m.dtype)  # pyad's expand copies: its bytes must fit
        return t_expand(self, nd, shp)

    def expand_as(self, other):
        """expand(other.shape)."""
        return self.expand(need_tensor(other, "expand_as", "other", 1).shape)

    def matmul(self, other):
        """Matrix product self @ other with torch's rules for 1-d operands and batch
        broadcasting.
        """
        return t_matmul(self, need_tensor(other, "matmul", "other", 1))

    def mm(self, other):
        """Product of two matrices: (n, m) @ (m, p) -> (n, p). MmBackward0."""
        cdef Tensor o = need_tensor(other, "mm", "mat2", 1)
        if self.m.ndim != 2 or o.m.ndim != 2:
            raise RuntimeError("self must be a matrix" if self.m.ndim != 2
                               else "mat2 must be a matrix")
        return t_matmul(self, o)

    def dot(self, other):
        """Inner product of two 1-d tensors of the same size (a 0-d tensor). DotBackward0."""
        cdef Tensor o = need_tensor(other, "dot", "tensor", 1)
        if self.m.ndim != 1 or o.m.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.m.ndim}D and "
                               f"{o.m.ndim}D tensors")
        return t_matmul(self, o)

    # ---- in-place ops (inplace.pxi): result computed out of place, written back, history
    # rebased onto the tensor; torch's refusals for leaves and views ----
    def add_(self, other, *, alpha=1):
        """In-place self += alpha * other; returns self."""
        src = inplace_source(self)
        return inplace(self, src.add(other, alpha=alpha))

    def sub_(self, other, *, alpha=1):
        """In-place self -= alpha * other; returns self."""
        src = inplace_source(self)
        return inplace(self, src.sub(other, alpha=alpha))

    def mul_(self, other):
        """In-place self *= other; returns self."""
        src = inplace_source(self)
        return inplace(self, named_result(binop(BIN_MUL, src, other), "mul_", other))

    def div_(self, other, *, rounding_mode=None):
        """In-place div; returns self. input / other; rounding_mode "trunc" or "floor" rounds
        the quotient (zero gradient).
        """
        src = inplace_source(self)
        return inplace(self, named_result(t_div_rounding(src, other, rounding_mode), "div_", other))

    def pow_(self, exponent):
        """In-place self **= exponent; returns self."""
        src = inplace_source(self)
        return inplace(self, named_result(binop(BIN_POW, src, exponent), "pow_", exponent))

    def clamp_(self, min=None, max=None):
        """In-place clamp; returns self. Limit each element to [min, max]; bounds are scalars or
        tensors (either may be None).
        """
        src = inplace_source(self)
        return inplace(self, t_clamp(src, min, max, 0, True))

    clip_ = clamp_

    def clamp_min_(self, min):
        """In-place clamp_min; returns self. max(input, min) elementwise."""
        min = clamp_bound(min, "clamp_min_", True)
        src = inplace_source(self)
        return inplace(self, t_clamp(src, min, None, 1, True))

    def clamp_max_(self, max):
        """In-place clamp_max; returns self. min(input, max) elementwise."""
        max = clamp_bound(max, "clamp_max_", True)
        src = inplace_source(self)
        return inplace(self, t_clamp(src, None, max, 2, True))

    def zero_(self):
        """Fill with zeros in place; returns self."""
        return fill_inplace(self, 0.0, NAME_ZERO)

    def fill_(self, value):
        """Fill with value in place; returns self."""
        reject_complex(value)
        if isinstance(value, Tensor):
            return fill_tensor_inplace(self, <Tensor>value)
        if not isinstance(value, (int, np.integer)):
            value = float(value)
        check_f32_value(value, self.m.dtype)
        return fill_inplace(self, value, NAME_FILL)

    def copy_(self, src, non_blocking=False):
        """Copy src's values (broadcast, cast to this dtype) into self in place; returns self.

        Differentiable with respect to src. non_blocking is accepted and ignored.
        """
        return copy_inplace(self, src)

    # x[idx] += v runs tmp = x[idx]; tmp += v; x[idx] = tmp. pyad's x[idx] is a copy, so the
    # augmented operator returns a new tensor there and the assignment writes it back.
    def __iadd__(self, other):
        if not isinstance(other, Tensor) and as_scalar_or_tensor(other) is None:
            return NotImplemented   # as torch: Python then tries other's operators
        if self._view_copies:
            return augmented_result(self, binop(BIN_ADD, check_leaf_view(self), other))
        return self.add_(other)

    def __isub__(self, other):
        if self._view_copies:
            return augmented_result(self, binop(BIN_SUB, check_leaf_view(self), other))
        return self.sub_(other)

    def __imul__(self, other):
        if self._view_copies:
            return augmented_result(self, binop(BIN_MUL, check_leaf_view(self), other))
        return self.mul_(other)

    def __itruediv__(self, other):
        if self._view_copies:
            return augmented_result(self, binop(BIN_DIV, check_leaf_view(self), other))
        return self.div_(other)

    def __ipow__(self, other):
        if self._view_copies:
            return augmented_result(self, binop(BIN_POW, check_leaf_view(self), other))
        return self.pow_(other)

    def __imod__(self, other):
        other = as_scalar_or_tensor(other)
        if other is None:
            return NotImplemented
        check_division_into(self, other)
        if self._view_copies:
            return augmented_result(self, t_remainder(check_leaf_view(self), other))
        return inplace(self, t_remainder(inplace_source(self), other))

    def __ifloordiv__(self, other):
        other = as_scalar_or_tensor(other)
        if other is None:
            return NotImplemented
        check_division_into(self, other)
        if self._view_copies:
            return augmented_result(self, t_floor_divide(check_leaf_view(self), other))
        return inplace(self, t_floor_divide(inplace_source(self), other))

    def __setitem__(self, index, value):
        t_setitem(self, index, value)

    @property
    def _version(self):
        return tensor_version(self)

    @property
    def data(self):
        """The values without the history (shares memory), as torch's .data."""
        return tensor_from_buffer(self.buf, &self.m)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        cdef Tensor v = <Tensor>value
        if self._requires_grad and v.m.dtype > PYAD_F64:
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        if self.grad_acc != NULL and (v.m.dtype != self.m.dtype or not same_shape(&v.m, &self.m)):
            # graphs recorded so far keep their AccumulateGrad node, which keeps the old dtype
            # and shape (their gradients arrive in those, as in torch); new graphs get a new one
            self.grad_acc = NULL
        self._version_shift += v.buf.version - self.buf.version
        buf_incref(v.buf)
        buf_decref(self.buf)
        self.buf = v.buf
        self.m.dtype = v.m.dtype
        self.m.ndim = v.m.ndim
        self.m.numel = v.m.numel
        memcpy(self._shape, v._shape, v.m.ndim * sizeof(Py_ssize_t))

    def softmax(self, dim, dtype=None):
        """exp(x) / sum(exp(x)) along dim, shifted by the max for stability."""
        from pyad.nn.functional import softmax
        return softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        """x - logsumexp(x) along dim."""
        from pyad.nn.functional import log_softmax
        return log_softmax(self, dim, dtype=dtype)

    # ---- hooks (engine.pxi runs them) ----
    def register_hook(self, hook):
        """Call hook(grad) whenever this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle whose remove() unregisters it."""
        view_current(self)
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn_ == NULL:
            if self._hooks is None:
                self._hooks = {}
            table = self._hooks
        else:
            if self.grad_fn_.hooks == NULL:
                table = {}
                Py_INCREF(table)
                self.grad_fn_.hooks = <PyObject*>table
            table = <object>self.grad_fn_.hooks
        return _add_hook(table, hook)

    def retain_grad(self):
        """Keep this non-leaf's gradient in .grad during backward (and grad()), as torch does."""
        view_current(self)
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn_ == NULL or self.retains_grad_:
            return
        if self.grad_fn_.hooks == NULL:
            table = {}
            Py_INCREF(table)
            self.grad_fn_.hooks = <PyObject*>table
        (<object>self.grad_fn_.hooks)[_RETAIN_KEY] = _RetainGrad(self)
        self.retains_grad_ = True

    @property
    def retains_grad(self):
        """True if retain_grad() was called on this non-leaf tensor."""
        return self.retains_grad_

    # ==== methods of ops_elementwise.pxi ====

    def square(self):
        """x ** 2 (grad_fn PowBackward0, as in torch)."""
        return t_pows(self, 2.0)

    def sign(self):
        """-1, 0 or 1 by the sign of each element (zero gradient)."""
        return sign(self)

    def polygamma(self, n):
        """The n-th derivative of digamma (n >= 0)."""
        return t_polygamma(n, self)

    def polygamma_(self, n):
        """In-place polygamma; returns self."""
        src = inplace_source(self)
        return inplace(self, t_polygamma(n, src))

    def round(self, *, decimals=0):
        """Round half to even, optionally to `decimals` places (zero gradient)."""
        return round(self, decimals=decimals)

    def clamp(self, min=None, max=None):
        """Limit each element to [min, max]; bounds are scalars or tensors (either may be None)."""
        return t_clamp(self, min, max, 0)

    def clip(self, min=None, max=None):
        """Alias of clamp."""
        return t_clamp(self, min, max, 0)

    def clamp_min(self, min):
        """max(input, min) elementwise."""
        return t_clamp(self, clamp_bound(min, "clamp_min", True), None, 1)

    def clamp_max(self, max):
        """min(input, max) elementwise."""
        return t_clamp(self, None, clamp_bound(max, "clamp_max", True), 2)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """Replace NaN, +inf and -inf (default: 0 and the dtype's largest finite values)."""
        return t_nan_to_num(self, nan, posinf, neginf)

    def fmod(self, other):
        """C-style remainder (sign of the dividend)."""
        check_division_operands("fmod", self, other, True)
        return t_fmod(self, other)

    def fmod_(self, other):
        """In-place fmod; returns self."""
        check_division_operands("fmod_", self, other, True)
        check_division_into(self, other)
        return inplace(self, t_fmod(inplace_source(self), other))

    def remainder(self, other):
        """Python-style remainder (sign of the divisor)."""
        check_division_operands("remainder", self, other, True)
        return t_remainder(self, other)

    def remainder_(self, other):
        """In-place remainder; returns self."""
        check_division_operands("remainder_", self, other, True)
        check_division_into(self, other)
        return inplace(self, t_remainder(inplace_source(self), other))

    def floor_divide(self, other):
        """input // other, rounding down (not differentiable, as in torch)."""
        check_division_operands("floor_divide", self, other, True)
        return t_floor_divide(self, other)

    def floor_divide_(self, other):
        """In-place floor_divide; returns self."""
        check_division_operands("floor_divide_", self, other, True)
        check_division_into(self, other)
        return inplace(self, t_floor_divide(inplace_source(self), other))

    def eq(self, other):
        """input == other elementwise (bool)."""
        return named_result(t_compare(CMP_EQ, self, other), "eq", other)

    def ne(self, other):
        """input != other elementwise (bool)."""
        return named_result(t_compare(CMP_NE, self, other), "ne", other)

    def lt(self, other):
        """input < other elementwise (bool)."""
        return named_result(t_compare(CMP_LT, self, other), "lt", other)

    def le(self, other):
        """input <= other elementwise (bool)."""
        return named_result(t_compare(CMP_LE, self, other), "le", other)

    def gt(self, other):
        """input > other elementwise (bool)."""
        return named_result(t_compare(CMP_GT, self, other), "gt", other)

    def ge(self, other):
        """input >= other elementwise (bool)."""
        return named_result(t_compare(CMP_GE, self, other), "ge", other)

    def __eq__(self, other):
        return t_compare(CMP_EQ, self, other)

    def __ne__(self, other):
        return t_compare(CMP_NE, self, other)

    def __lt__(self, other):
        return t_compare(CMP_LT, self, other)

    def __le__(self, other):
        return t_compare(CMP_LE, self, other)

    def __gt__(self, other):
        return t_compare(CMP_GT, self, other)

    def __ge__(self, other):
        return t_compare(CMP_GE, self, other)

    def logical_and(self, other):
        """Elementwise AND of truth values (bool)."""
        return t_logical(loop_and_bool, self, other)

    def logical_or(self, other):
        """Elementwise OR of truth values (bool)."""
        return t_logical(loop_or_bool, self, other)

    def logical_xor(self, other):
        """Elementwise XOR of truth values (bool)."""
        return t_logical(loop_xor_bool, self, other)

    def logical_not(self):
        """Elementwise NOT of truth values (bool)."""
        return _map_bool(loop_not_bool, _as_bool(self))

    def __and__(self, other):
        return t_bitwise(0, self, other)

    def __rand__(self, other):
        return t_bitwise(0, self, other)

    def __or__(self, other):
        return t_bitwise(1, self, other)

    def __ror__(self, other):
        return t_bitwise(1, self, other)

    def __xor__(self, other):
        return t_bitwise(2, self, other)

    def __rxor__(self, other):
        return t_bitwise(2, self, other)

    def __invert__(self):
        return t_bitwise_not(self)

    def isnan(self):
        """True where the element is NaN."""
        return isnan(self)

    def isinf(self):
        """True where the element is +inf or -inf."""
        return isinf(self)

    def isfinite(self):
        """True where the element is neither NaN nor infinite."""
        return isfinite(self)

    def __abs__(self):
        return t_unary(U_ABS, self)

    def __floordiv__(self, other):
        other = as_scalar_or_tensor(other)      # an ndarray or a list: a tensor
        if other is None:
            return NotImplemented
        return t_floor_divide(self, other)

    def __rfloordiv__(self, other):
        other = as_scalar_or_tensor(other)      # an ndarray or a list on the left: a tensor
        if other is None:
            return NotImplemented
        return t_floor_divide(other, self)

    def __mod__(self, other):
        other = as_scalar_or_tensor(other)
        if other is None:
            return NotImplemented
        return t_remainder(self, other)

    def __rmod__(self, other):
        other = as_scalar_or_tensor(other)
        if other is None:
            return NotImplemented
        return t_remainder(other, self)

    def where(self, condition, other):
        """Elements of input where condition holds, else of other (either may be a scalar)."""
        return where(condition, self, other)

    def bool(self):
        """This tensor as bool (same as to(pyad.bool))."""
        return t_to(self, PYAD_BOOL)

    def type_as(self, other):
        """This tensor converted to other's dtype."""
        return t_to(self, need_tensor(other, "type_as", "other", 1).m.dtype)
    # ==== end of ops_elementwise.pxi methods ====

    # ==== methods of ops_reduce.pxi ====
    def prod(self, *args, **kwargs):
        """prod(*, dtype=None) or prod(dim, keepdim=False, *, dtype=None): see pyad.prod."""
        return rd_prod_call(self, args, kwargs)

    def amax(self, dim=(), keepdim=False):
        """Maximum over dim (an int or a tuple; () = all dims). Ties share the gradient evenly."""
        cdef Py_ssize_t mask[PYAD_MAXDIM]
        check_keepdim("amax", keepdim)
        no_dim = isinstance(dim, (tuple, list)) and len(dim) == 0
        if not no_dim:
            _extreme_empty_dims(self, dim, "amax")
        dims_mask(self, None if no_dim else dim, mask, "amax", True)
        return t_amax(self, mask, keepdim, False, False, "amax", not no_dim)

    def amin(self, dim=(), keepdim=False):
        """Minimum over dim (an int or a tuple; () = all dims). Ties share the gradient evenly."""
        cdef Py_ssize_t mask[PYAD_MAXDIM]
        check_keepdim("amin", keepdim)
        no_dim = isinstance(dim, (tuple, list)) and len(dim) == 0
        if not no_dim:
            _extreme_empty_dims(self, dim, "amin")
        dims_mask(self, None if no_dim else dim, mask, "amin", True)
        return t_amax(self, mask, keepdim, True, False, "amin", not no_dim)

    def max(self, *args, **kwargs):
        """max(), max(dim, keepdim=False) -> (values, indices), max(other): see pyad.max."""
        return rd_max_method(self, args, kwargs, False)

    def min(self, *args, **kwargs):
        """min(input), min(input, dim, keepdim=False) -> (values, indices), min(input, other)."""
        return rd_max_method(self, args, kwargs, True)

    def argmax(self, dim=None, keepdim=False):
        """Index of the first maximum along dim (None: of the flattened tensor); int64."""
        return rd_argext_method(self, dim, keepdim, False)

    def argmin(self, dim=None, keepdim=False):
        """Index of the first minimum along dim (None: of the flattened tensor); int64."""
        return rd_argext_method(self, dim, keepdim, True)

    def var(self, *args, **kwargs):
        """var(dim=None, unbiased=True, keepdim=False) or var(dim, *, correction, keepdim)."""
        return rd_var_call(self, args, kwargs, False)

    def std(self, *args, **kwargs):
        """Standard deviation, with var's arguments. Its gradient is 0 where std is 0."""
        return rd_var_call(self, args, kwargs, True)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """Vector p-norm over dim (None: all elements): p = 'fro' (2), 1, 2, inf, -inf, 0 or any
        float. The gradient of the 2-norm at zero is 0, as in torch.
        """
        return rd_norm_call(self, p, dim, keepdim, dtype)

    def logsumexp(self, *args, **kwargs):
        """logsumexp(dim, keepdim=False): see pyad.logsumexp."""
        return rd_logsumexp_call(self, args, kwargs)

    def cumsum(self, *args, **kwargs):
        """cumsum(dim, *, dtype=None): see pyad.cumsum."""
        return rd_cum_call(self, args, kwargs, False)

    def cumprod(self, *args, **kwargs):
        """cumprod(dim, *, dtype=None): see pyad.cumprod."""
        return rd_cum_call(self, args, kwargs, True)

    def all(self, dim=None, keepdim=False):
        """True where every element (over dim; None: all) is nonzero; a bool tensor."""
        return t_all_any(self, dim, keepdim, True)

    def any(self, dim=None, keepdim=False):
        """True where some element (over dim; None: all) is nonzero; a bool tensor."""
        return t_all_any(self, dim, keepdim, False)
    # ==== end of ops_reduce.pxi methods ====

    # ==== methods of ops_shape.pxi ====
    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dims start_dim..end_dim into one (ViewBackward0)."""
        return t_flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        """Split dim into sizes (one entry may be -1), the inverse of flatten (ViewBackward0)."""
        return t_unflatten(self, dim, sizes)

    def swapaxes(self, axis0, axis1):
        """Alias of transpose(input, axis0, axis1) (TransposeBackward0)."""
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0, dim1):
        """Alias of transpose(input, dim0, dim1) (TransposeBackward0)."""
        return self.transpose(dim0, dim1)

    def movedim(self, source, destination):
        """Move dims source (int or tuple) to positions destination; others keep their order."""
        return t_movedim(self, source, destination)

    def moveaxis(self, source, destination):
        """Alias of movedim."""
        return t_movedim(self, source, destination)

    @property
    def T(self):
        """The tensor with its dims reversed (the transpose of a matrix); a copy."""
        return t_numpy_T(self)

    @property
    def mT(self):
        """The last two dims swapped (a batch of transposes); a copy."""
        return t_matrix_T(self, "mT")

    @property
    def mH(self):
        """The last two dims swapped, conjugated (a no-op for real tensors); a copy."""
        return t_matrix_T(self, "mH")

    @property
    def H(self):
        """The conjugate transpose of a matrix (the transpose for real tensors); a copy."""
        if self.m.ndim == 0:
            warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
                          UserWarning, stacklevel=1)
            return self
        if self.m.ndim != 2:
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                               f"{self.m.ndim}-D tensor." +
                               (" For batches of matrices, consider using tensor.mH"
                                if self.m.ndim > 2 else ""))
        return t_transpose(self, 0, 1)

    def adjoint(self):
        """The last two dims swapped (the conjugate is a no-op for real tensors)."""
        return t_matrix_T(self, "adjoint()")

    def broadcast_to(self, *size):
        """input expanded to size (ExpandBackward0); -1 keeps a dim's size."""
        items = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        check_int64_items("broadcast_to", "size", items)
        return self.expand(*size)

    def repeat(self, *repeats):
        """The tensor tiled repeats[i] times along each dim (at least ndim entries)."""
        cdef Py_ssize_t reps[PYAD_MAXDIM]
        if len(repeats) == 0:
            raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
        return t_repeat(self, parse_shape(repeats, reps, "repeat", "repeats"), reps)

    def tile(self, *args, dims=None):
        """Repeat input dims[i] times along each dim; missing leading entries count as 1."""
        dims = _varargs(args) if dims is None else dims
        return t_tile(self, _int_tuple("tile", "dims", 1, dims, True))

    def flip(self, *args, dims=None):
        """Reverse the order of elements along dims (a tuple of ints) (FlipBackward0)."""
        cdef Py_ssize_t mask[PYAD_MAXDIM]
        dims = _varargs(args) if dims is None else dims
        dims_mask(self, _int_tuple("flip", "dims", 1, dims, True), mask)
        return t_flip(self, mask)

    def roll(self, shifts, dims=None):
        """Roll input by shifts along dims (ints or tuples); with dims=None the flattened tensor
        is rolled and the shape restored (RollBackward0).
        """
        return t_roll_args(self, shifts, dims)

    def narrow(self, dim, start, length):
        """input[..., start:start+length, ...] along dim (SliceBackward0); start may be negative."""
        return t_narrow(self, dim, start, length)

    def split(self, split_size, dim=0):
        """Split into pieces of split_size (an int; the last may be smaller) or of the given
        sizes (a list) along dim. Pieces print SplitBackward0 / SplitWithSizesBackward0.
        """
        return t_split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        """Split into `chunks` pieces of ceil(size / chunks) along dim (fewer if they run out)."""
        return t_chunk(self, chunks, dim)

    def unbind(self, dim=0):
        """The slices along dim, with dim removed (UnbindBackward0)."""
        return t_unbind(self, dim)

    def clone(self, *, memory_format=None):
        """A copy of input with its own memory, differentiable (CloneBackward0)."""
        return t_clone(self)
    # ==== end of ops_shape.pxi methods ====

    # ==== methods of ops_index.pxi ====
    def index_select(self, dim, index):
        """Entries of input along dim at the positions in index (a 1-D or 0-d int64 tensor)."""
        return t_index_select(self, dim, index, 2)

    def gather(self, dim, index, *, sparse_grad=False):
        """out[i][j][k] = input[index[i][j][k]][j][k] for dim=0 (and so on for other dims)."""
        return t_gather_index(self, dim, index, 2)

    def scatter_add(self, dim, index, src):
        """A copy of input with src[i][j][k] added at [index[i][j][k]][j][k] (dim=0); repeats
        add up.
        """
        return t_scatter_add(self, dim, index, src, 2)

    def masked_fill(self, mask, value):
        """input with value where mask (a bool tensor broadcast with input) is True."""
        return t_masked_fill(self, need_tensor(mask, "masked_fill", "mask", 1), value)

    def masked_select(self, mask):
        """A 1-D tensor of input's elements where mask (broadcast with input) is True."""
        return t_masked_select(self, mask, 1)

    def take_along_dim(self, indices, dim=None):
        """input's values at indices along dim (indices broadcast with input apart from dim);
        with dim=None, indices index the flattened input.
        """
        return t_take_along_dim(self, indices, dim, 1)
    # ==== end of ops_index.pxi methods ====

    # ==== methods of ops_linalg.pxi ====
    def mv(self, vec):
        """Matrix-vector product: input (n, m) @ vec (m) -> (n). MvBackward0."""
        return mv(self, vec)

    def bmm(self, mat2):
        """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p). BmmBackward0."""
        return bmm(self, mat2)

    def outer(self, vec2):
        """Outer product of two vectors: (n) x (m) -> (n, m). MulBackward0."""
        return outer(self, vec2)

    def ger(self, vec2):
        """Alias of outer."""
        return outer(self, vec2)

    def trace(self):
        """Sum of the main diagonal of a 2-D tensor. TraceBackward0."""
        return trace(self)

    def diag(self, diagonal=0):
        """1-D input: a square matrix with input on the given diagonal (DiagEmbedBackward0). 2-D
        input: the given diagonal as a vector (DiagonalBackward0_copy).
        """
        return diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of input over dims (dim1, dim2), appended as the last dim.
        DiagonalBackward0.
        """
        return diagonal(self, offset, dim1, dim2)

    def tril(self, diagonal=0):
        """The lower triangle (j - i <= diagonal) of the last two dims, zeros elsewhere.
        TrilBackward0.
        """
        return tril(self, diagonal)

    def triu(self, diagonal=0):
        """The upper triangle (j - i >= diagonal) of the last two dims, zeros elsewhere.
        TriuBackward0.
        """
        return triu(self, diagonal)

    def det(self):
        """Determinant of a square matrix (or batch). LinalgDetBackward0."""
        return _linalg_det(self)

    def inverse(self):
        """Inverse of a square matrix (or batch). LinalgInvExBackward0."""
        return _linalg_inv(self)
    # ==== end of ops_linalg.pxi methods ====

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """With no argument, the legacy type name ('pyad.FloatTensor'); otherwise this tensor
        converted to the dtype given as a dtype, a legacy class or its name."""
        if dtype is None:
            return f"pyad.{DTYPE_TITLES[self.m.dtype]}Tensor"
        if isinstance(dtype, str):
            for code in range(4):
                if dtype in (f"pyad.{DTYPE_TITLES[code]}Tensor",
                             f"torch.{DTYPE_TITLES[code]}Tensor"):
                    return self.to(_DTYPES[code])
            raise ValueError(f"invalid type: '{dtype}'")
        return self.to(getattr(dtype, "dtype", dtype))

    @staticmethod
    def _make_subclass(cls, data, require_grad=False):
        """torch.Tensor._make_subclass: an instance of cls sharing data's storage, a new leaf
        (nn.Parameter is made this way)."""
        return make_subclass(cls, data, require_grad)

    # ==== methods of interop.pxi ====
    # numpy's binary operators return NotImplemented for a Tensor operand (numpy checks this
    # priority), so `ndarray OP tensor` runs the Tensor's reflected operator: a Tensor, as torch
    __array_priority__ = 1000

    @property
    def __array_interface__(self):
        """numpy's array interface: np.asarray(t) shares t's memory (no copy)."""
        if self._requires_grad and pyad_is_grad_enabled():
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return _array_interface(self)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        return _array_wrap(array, context, return_scalar)

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule sharing this tensor's memory ("dltensor", or "dltensor_versioned"
        when max_version >= (1, 0)); copy=True exports a copy."""
        return _to_dlpack(self, stream, max_version, dl_device, copy)

    def __dlpack_device__(self):
        """(kDLCPU, 0): pyad tensors live in CPU memory."""
        return (kDLCPU, 0)

    def __reduce_ex__(self, protocol):
        return _reduce_tensor(self)

    def __reduce__(self):
        return _reduce_tensor(self)

    def __copy__(self):
        return _copy_tensor(self)

    def __deepcopy__(self, memo):
        return _deepcopy_tensor(self, memo)
    # ==== end of interop.pxi methods ====

    # ==== methods of pyad/_tensor_methods.py: devices, new_*, random fills, fused updates ====
    # (*args/**kwargs forwarders: Cython's per-argument parsing code would cost wheel size, and
    # the Python helpers check the arguments anyway)
    @property
    def is_cuda(self):
        """False: pyad has no CUDA device."""
        return False

    @property
    def is_cpu(self):
        """True: pyad tensors live in CPU memory."""
        return True

    @property
    def is_meta(self):
        """False: pyad has no meta tensors."""
        return False

    def get_device(self):
        """-1, torch's answer for a CPU tensor."""
        return -1

    def cpu(self, *args, **kwargs):
        """self: the tensor is already in CPU memory."""
        return self

    def cuda(self, *args, **kwargs):
        """Raises torch's error: pyad has no CUDA device."""
        _methods().require_device("cuda")

    def ndimension(self):
        """The number of dimensions (alias of dim)."""
        return self.m.ndim

    def element_size(self):
        """Bytes per element."""
        return itemsize(self.m.dtype)

    def new_zeros(self, *size, **kwargs):
        """new_zeros(*size, dtype=None, device=None, requires_grad=False): zeros with this
        tensor's dtype (unless given)."""
        return _methods().new_filled(self, size, 0, "new_zeros", **kwargs)

    def new_ones(self, *size, **kwargs):
        """new_ones(*size, dtype=None, device=None, requires_grad=False): ones with this
        tensor's dtype (unless given)."""
        return _methods().new_filled(self, size, 1, "new_ones", **kwargs)

    def new_full(self, *args, **kwargs):
        """new_full(size, fill_value, *, dtype=None, device=None, requires_grad=False)."""
        return _methods().new_full(self, *args, **kwargs)

    def new_empty(self, *size, **kwargs):
        """new_empty(*size, dtype=None, device=None, requires_grad=False): uninitialised."""
        return _methods().new_filled(self, size, None, "new_empty", **kwargs)

    def new_tensor(self, *args, **kwargs):
        """new_tensor(data, *, dtype=None, device=None, requires_grad=False): a copy of data
        with this tensor's dtype (unless given)."""
        return _methods().new_tensor(self, *args, **kwargs)

    def uniform_(self, *args, **kwargs):
        """uniform_(a=0, b=1, *, generator=None): samples uniform on [a, b)."""
        return _methods().uniform_(self, *args, **kwargs)

    def normal_(self, *args, **kwargs):
        """normal_(mean=0, std=1, *, generator=None): normal samples."""
        return _methods().normal_(self, *args, **kwargs)

    def bernoulli_(self, *args, **kwargs):
        """bernoulli_(p=0.5, *, generator=None): 0/1 samples, 1 with probability p (a number or
        a tensor)."""
        return _methods().bernoulli_(self, *args, **kwargs)

    def random_(self, *args, **kwargs):
        """random_(to) / random_(from, to) / random_(): integers uniform on [from, to - 1]
        ([0, 2**mantissa] for floating dtypes without bounds)."""
        return _methods().random_(self, *args, **kwargs)

    def exponential_(self, *args, **kwargs):
        """exponential_(lambd=1, *, generator=None): exponential samples of rate lambd."""
        return _methods().exponential_(self, *args, **kwargs)

    def bernoulli(self, *args, **kwargs):
        """bernoulli(p=None, *, generator=None): 0/1 samples, 1 with probability self (or p)."""
        return _methods().bernoulli(self, *args, **kwargs)

    def multinomial(self, *args, **kwargs):
        """multinomial(num_samples, replacement=False, *, generator=None): indices drawn with
        probabilities proportional to self's rows."""
        return _methods().multinomial(self, *args, **kwargs)

    def dist(self, *args, **kwargs):
        """dist(other, p=2): the p-norm of self - other."""
        return _methods().dist(self, *args, **kwargs)

    def logdet(self):
        """log(det(self)); nan for a negative determinant (as torch)."""
        return _methods().logdet(self)
    # ==== end of pyad/_tensor_methods.py methods ====

# ============================================================================================
# Construction from Python: the legacy constructor and subclasses
# ============================================================================================
# Cython's tp_new only allocates: the Tensor it returns has no storage yet, and the C code
# fills it in (tensor_from_new_buffer calls that allocator directly, so it stays fast). A
# Tensor made from Python (pyad.Tensor(...), Tensor.__new__(Tensor), a subclass, unpickling)
# goes through the type's tp_new slot instead, which is replaced below by torch's legacy
# constructor: every object Python can reach has storage.
cdef object _subclass_repr_name(type cls):
    """The name torch's repr puts in place of "tensor": a subclass's own, except for
    nn.Parameter (whose repr prefixes "Parameter containing:" instead)."""
    if cls is Tensor:
        return None
    for c in cls.__mro__:
        if c.__name__ == "Parameter" and c.__module__.startswith("pyad."):
            return None
    return cls.__name__

cdef newfunc _tensor_alloc = (<PyTypeObject*>Tensor).tp_new

cdef Tensor _tensor_instance(type cls, Tensor src):
    """A new leaf of class cls sharing src's storage (no history)."""
    cdef Tensor t = <Tensor>_tensor_alloc(cls, <PyObject*>(), NULL)
    buf_incref(src.buf)
    t.buf = src.buf
    t.m = src.m
    t.m.shape = t._shape
    pyad_copy_shape(t._shape, src.m.shape, src.m.ndim)
    return t

_LEGACY_SIGNATURES = (
    " * (*, pyad.device device = None)\n"
    " * (pyad.Storage storage)\n"
    " * (Tensor other)\n"
    " * (tuple of ints size, *, pyad.device device = None)\n"
    " * (object data, *, pyad.device device = None)\n")

cdef str _arg_type_name(object v):
    if isinstance(v, dtype):
        return "pyad.dtype"
    return type(v).__name__

cdef object _legacy_args_error(tuple args, dict kwargs):
    got = [_arg_type_name(a) for a in args] + [f"{k}={_arg_type_name(v)}"
                                               for k, v in (kwargs or {}).items()]
    return TypeError(f"new() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:\n{_LEGACY_SIGNATURES}")


cdef object _check_legacy_device(object device):
    if device is None:
        return None
    name = str(device) if not isinstance(device, str) else device
    kind = name.split(":")[0]
    if kind != "cpu":
        raise RuntimeError(f"legacy constructor expects device type: cpu but device type: "
                           f"{kind} was passed")
    return None

cdef Tensor legacy_tensor_new(type cls, int code, tuple args, dict kwargs):
    """pyad.Tensor(*args) / FloatTensor(...): torch's legacy constructor, for dtype code."""
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef int d
    cdef Tensor src
    cdef int made = code if code >= 0 else PYAD_F32   # the dtype of a tensor made here
    if kwargs:
        if set(kwargs) - {"device", "size"} or ("size" in kwargs and args):
            raise _legacy_args_error(args, kwargs)
        _check_legacy_device(kwargs.get("device"))
        if "size" in kwargs:
            args = (kwargs["size"],)
            if not isinstance(args[0], (tuple, list, Size)):
                raise _legacy_args_error((), kwargs)
            args = tuple(args[0]) if args[0] else ((),)
            if args == ((),):
                return _tensor_instance(cls, new_tensor(made, 0, shp))
    if not args:
        shp[0] = 0
        return _tensor_instance(cls, new_tensor(made, 1, shp))
    first = args[0]
    if len(args) == 1 and isinstance(first, Tensor):
        src = <Tensor>first
        if code >= 0 and src.m.dtype != code:
            raise TypeError(f"expected {DTYPE_TITLES[code]} tensor (got "
                            f"{DTYPE_TITLES[src.m.dtype]} tensor)")
        return _tensor_instance(cls, src)
    if isinstance(first, Size) and len(args) == 1:
        args = tuple(first)
        if not args:
            return _tensor_instance(cls, new_tensor(made, 0, shp))
    code = made
    if all(is_int_arg(a) for a in args):
        if len(args) > PYAD_MAXDIM:
            raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions, got "
                               f"{len(args)}")
        for d in range(len(args)):
            shp[d] = args[d]
        check_no_negative(len(args), shp)
        check_storage_size(len(args), shp, code)
        return _tensor_instance(cls, new_tensor(code, len(args), shp))
    if len(args) > 1:
        if is_int_arg(first):
            bad = next(a for a in args if not is_int_arg(a))
            raise TypeError(f"new(): argument 'size' failed to unpack the object at pos "
                            f"{args.index(bad) + 1} with error \"type must be tuple of ints,but "
                            f"got {type(bad).__name__}\"")
        raise _legacy_args_error(args, kwargs)
    if isinstance(first, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(first).__name__}'")
    if not isinstance(first, np.ndarray) and (
            isinstance(first, (int, float, complex, bool, np.generic)) or
            not hasattr(first, "__len__") or not hasattr(first, "__getitem__")):
        raise TypeError(f"new(): data must be a sequence (got {type(first).__name__})")
    import pyad
    if (isinstance(first, np.ndarray) and first.dtype == NP_DTYPES[code]
            and first.flags.c_contiguous and first.flags.writeable and first.ndim <= PYAD_MAXDIM):
        # torch's legacy constructor shares the memory of an array of its own dtype (as
        # from_numpy); pyad can share a C-contiguous writable one (docs/differences.md)
        return _tensor_instance(cls, pyad.from_numpy(first))
    return _tensor_instance(cls, pyad.tensor(first, dtype=_DTYPES[code]))


def _legacy_new(object dtype_, tuple args, dict kwargs):
    """FloatTensor(...), DoubleTensor(...), ...: the legacy constructor for one dtype."""
    return legacy_tensor_new(Tensor, dtype_code(dtype_), args, kwargs)


cdef object tensor_tp_new(type cls, PyObject* args, PyObject* kwargs):
    return legacy_tensor_new(cls, -1, <tuple>args if args != NULL else (),
                             <dict>kwargs if kwargs != NULL else None)

pyad_set_tp_new(<PyTypeObject*>Tensor, <newfunc>tensor_tp_new)


cdef Tensor make_subclass(cls, data, require_grad):
    if not isinstance(cls, type) or not issubclass(cls, Tensor):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from "
                        "Tensor is not possible. Make sure your class inherits from Tensor.")
    if not isinstance(data, Tensor):
        raise TypeError(f"_make_subclass(): argument 'data' (position 2) must be Tensor, not "
                        f"{type(data).__name__}")
    cdef Tensor t = _tensor_instance(cls, <Tensor>data)
    if require_grad:
        if t.m.dtype > PYAD_F64:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True
    return t


# ============================================================================================
# Cyclic GC through graph nodes
# ============================================================================================
# Nodes are C structs, invisible to Python's cycle collector, yet they hold Python objects:
# a custom Function's ctx, tensor hooks, saved tensors, an AccumulateGrad's leaf. A cycle such
# as out -> its node -> ctx -> ctx.out = out would never be collected. So a Tensor's traversal
# also visits what its grad_fn holds, and goes on down the graph, as long as each node it
# enters is held by that one reference alone (refcnt == 1): those nodes form a tree owned by
# the tensor, every reference visited is a real one, and none is visited twice. A node shared
# with anything else (another tensor, a grad_fn handle, a running backward) stops the walk:
# the collector then sees too few references and keeps the objects, never frees live ones.
# torch visits the grad_fn of a tensor holding it alone; pyad's walk goes deeper.
cdef extern from *:
    """
    typedef visitproc pyad_visitproc;
    typedef traverseproc pyad_traverseproc;
    typedef inquiry pyad_inquiry;
    static pyad_traverseproc pyad_get_traverse(PyTypeObject* t) { return t->tp_traverse; }
    static pyad_inquiry pyad_get_clear(PyTypeObject* t) { return t->tp_clear; }
    static void pyad_set_gc(PyTypeObject* t, pyad_traverseproc tr, pyad_inquiry cl) {
        t->tp_traverse = tr;
        t->tp_clear = cl;
    }
    """
    ctypedef int (*pyad_visitproc)(PyObject*, void*) noexcept
    ctypedef int (*pyad_traverseproc)(PyObject*, pyad_visitproc, void*) noexcept
    ctypedef int (*pyad_inquiry)(PyObject*) noexcept
    pyad_traverseproc pyad_get_traverse(PyTypeObject* t)
    pyad_inquiry pyad_get_clear(PyTypeObject* t)
    void pyad_set_gc(PyTypeObject* t, pyad_traverseproc tr, pyad_inquiry cl)

cdef pyad_traverseproc _tensor_traverse_fields = pyad_get_traverse(<PyTypeObject*>Tensor)
cdef pyad_inquiry _tensor_clear_fields = pyad_get_clear(<PyTypeObject*>Tensor)

cdef int node_tree_traverse(Node* root, pyad_visitproc visit, void* arg) noexcept:
    """Visit the Python objects held by the nodes owned through root alone (see above)."""
    cdef Node* small[32]
    cdef Node** stack = small
    cdef Node** grown
    cdef Py_ssize_t n = 0, cap = 32
    cdef Node* m
    cdef Node* child
    cdef int i, r = 0
    if root == NULL or root.refcnt != 1:
        return 0
    stack[n] = root
    n += 1
    while n > 0 and r == 0:
        n -= 1
        m = stack[n]
        for i in range(3):
            if m.saved[i] != NULL:
                r = r or visit(m.saved[i], arg)
        if m.hooks != NULL:
            r = r or visit(m.hooks, arg)
        if m.pyctx != NULL:
            r = r or visit(m.pyctx, arg)
        if m.leaf != NULL:
            r = r or visit(m.leaf, arg)
        for i in range(m.n_in):
            child = m.next[i].fn
            if child == NULL or child.refcnt != 1:
                continue
            if n == cap:
                grown = <Node**>malloc(2 * cap * sizeof(Node*))
                if grown == NULL:      # no memory: visit less (the collector keeps more)
                    continue
                memcpy(grown, stack, n * sizeof(Node*))
                if stack != small:
                    free(stack)
                stack = grown
                cap *= 2
            stack[n] = child
            n += 1
    if stack != small:
        free(stack)
    return r

cdef int tensor_traverse(PyObject* o, pyad_visitproc visit, void* arg) noexcept:
    cdef int r = _tensor_traverse_fields(o, visit, arg)
    if r:
        return r
    return node_tree_traverse((<Tensor>o).grad_fn_, visit, arg)

cdef int tensor_clear(PyObject* o) noexcept:
    """The collector breaks a cycle through a tensor: it lets go of its history (the tensor
    stays usable, like one whose graph was detached)."""
    cdef Node* n = (<Tensor>o).grad_fn_
    (<Tensor>o).grad_fn_ = NULL
    node_decref(n)
    return _tensor_clear_fields(o)

pyad_set_gc(<PyTypeObject*>Tensor, tensor_traverse, tensor_clear)


# ============================================================================================
# Methods generated from the op table (csrc/gen_op_table.py): METH_NOARGS descriptors and
# binding functions put into the type's dict, so Tensor's own body keeps only what is not an op
# ============================================================================================
cdef extern from *:
    """
    static int pyad_type_set(PyTypeObject *t, PyObject *name, PyObject *value)
    {
        int r = PyDict_SetItem(t->tp_dict, name, value);
        PyType_Modified(t);
        return r;
    }
    """
    int pyad_type_set(PyTypeObject* t, object name, object value) except -1

cdef int add_tensor_method(str name, object fn) except -1:
    fn.__name__ = name
    fn.__qualname__ = "Tensor." + name
    return pyad_type_set(<PyTypeObject*>Tensor, name, fn)


from cpython.object cimport PyMethodDef, PyCFunction

cdef extern from "Python.h":
    int METH_NOARGS
    object PyDescr_NewMethod(PyTypeObject* t, PyMethodDef* m)

cdef int add_tensor_noargs(PyMethodDef* d, PyCFunction fn, const char* name,
                           const char* doc) except -1:
    """A method without arguments made as Tensor's body makes `def m(self)`: a METH_NOARGS
    descriptor, which checks self and calls fn(self, NULL) straight (a binding function's call
    costs ~10 ns more). d: static storage (the descriptor keeps pointing into it)."""
    d.ml_name = name
    d.ml_meth = fn
    d.ml_flags = METH_NOARGS
    d.ml_doc = doc
    descr = PyDescr_NewMethod(<PyTypeObject*>Tensor, d)
    return pyad_type_set(<PyTypeObject*>Tensor, descr.__name__, descr)
