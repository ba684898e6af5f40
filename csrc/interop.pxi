# interop.pxi: numpy/DLPack exchange, pickle and deepcopy of tensors.
#
# numpy: Tensor.__array_interface__ hands numpy a buffer-exporting object (an ndarray over the
# tensor's Buffer, which holds a reference to it) as "data", so the ndarray keeps the memory
# alive by itself (even if the tensor's .data is later swapped). __array_priority__ makes numpy's
# binary operators return NotImplemented for a Tensor operand, so `ndarray + tensor` runs
# Tensor.__radd__ and gives a Tensor; __array_wrap__ makes ufuncs on tensors return tensors.
#
# DLPack (https://dmlc.github.io/dlpack/latest/): the C structs below are the ABI of dlpack.h
# v1.0. Export allocates one DLExport block (the managed tensor, its shape and strides, and a
# Buffer reference); its deleter drops the Buffer reference with the GIL held, as the
# consumer may call it from any thread. Import consumes a capsule (renamed "used_dltensor" /
# "used_dltensor_versioned"), and wraps its memory in a Buffer whose base is a _DLPackOwner,
# which calls the producer's deleter when the last pyad owner lets go.
#
# pickle: a Tensor reduces to (_rebuild_tensor, (bytes, dtype name, shape, requires_grad)).
# _rebuild_tensor validates every field before touching memory (tampered payloads raise).

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from cpython.exc cimport PyErr_Fetch, PyErr_Restore

cdef extern from "Python.h":
    ctypedef void (*_capsule_destructor)(object) noexcept
    object _PyCapsule_New "PyCapsule_New"(void* p, const char* name, _capsule_destructor d)
    bint _PyCapsule_IsValid "PyCapsule_IsValid"(PyObject* o, const char* name) noexcept
    bint _PyCapsule_CheckExact "PyCapsule_CheckExact"(object o) noexcept
    void* _PyCapsule_GetPointer "PyCapsule_GetPointer"(PyObject* o, const char* name) noexcept
    int _PyCapsule_SetName "PyCapsule_SetName"(object o, const char* name) except -1

__all__ += ["from_dlpack"]


# ============================================================================================
# numpy
# ============================================================================================
cdef object _array_interface(Tensor t):
    """numpy's __array_interface__ (version 3) for t; data is an owner of t's Buffer."""
    cdef int d
    # "data" may be any object with the buffer protocol: numpy then keeps that object (here an
    # ndarray over t's Buffer, holding a reference to it) as the new array's base
    return {"version": 3, "shape": tuple(t.m.shape[d] for d in range(t.m.ndim)),
            "typestr": np.dtype(NP_DTYPES[t.m.dtype]).str, "strides": None,
            "data": _np_view(t)}

cdef object _array_wrap(object arr, object context, bint return_scalar):
    """ufunc results on tensors come back as tensors (torch's __array_wrap__), 0-d ones too."""
    if not isinstance(arr, np.ndarray) or arr.dtype not in _NP_TO_CODE or arr.ndim > PYAD_MAXDIM:
        return arr
    if not arr.flags.c_contiguous or not arr.flags.writeable or not arr.flags.aligned:
        arr = np.ascontiguousarray(arr).copy()
    return _from_numpy_shared(arr)


# ============================================================================================
# DLPack: the ABI structs of dlpack.h (v1.0)
# ============================================================================================
cdef enum:
    kDLCPU = 1
    kDLInt = 0
    kDLUInt = 1
    kDLFloat = 2
    kDLBool = 6
    DLPACK_FLAG_BITMASK_READ_ONLY = 1
    DLPACK_FLAG_BITMASK_IS_COPIED = 2
    DLPACK_MAJOR_VERSION = 1
    DLPACK_MINOR_VERSION = 0

cdef struct DLDevice:
    int32_t device_type          # DLDeviceType (a C enum: int-sized)
    int32_t device_id

cdef struct DLDataType:
    uint8_t code                 # kDLInt, kDLUInt, kDLFloat, ..., kDLBool
    uint8_t bits
    uint16_t lanes

cdef struct DLTensor:
    void* data
    DLDevice device
    int32_t ndim
    DLDataType dtype
    int64_t* shape
    int64_t* strides             # in elements; NULL means compact row-major
    uint64_t byte_offset

cdef struct DLManagedTensor:
    DLTensor dl_tensor
    void* manager_ctx
    void (*deleter)(DLManagedTensor*) noexcept nogil

cdef struct DLPackVersion:
    uint32_t major
    uint32_t minor

cdef struct DLManagedTensorVersioned:
    DLPackVersion version
    void* manager_ctx
    void (*deleter)(DLManagedTensorVersioned*) noexcept nogil
    uint64_t flags
    DLTensor dl_tensor

cdef struct DLExport:
    # one allocation per exported capsule; manager_ctx of either struct points here
    DLManagedTensorVersioned v
    DLManagedTensor l
    Buffer* buf                  # the reference the consumer holds
    int64_t shape[PYAD_MAXDIM]
    int64_t strides[PYAD_MAXDIM]

cdef const char* _DL_NAME = b"dltensor"
cdef const char* _DL_NAME_V = b"dltensor_versioned"
cdef const char* _DL_USED = b"used_dltensor"
cdef const char* _DL_USED_V = b"used_dltensor_versioned"

_INVALID_CAPSULE = ("from_dlpack received an invalid capsule. Note that DLTensor capsules can be "
                    "consumed only once, so you might have already constructed a tensor from it "
                    "once.")


# ---- export ----------------------------------------------------------------------------------
cdef void _dl_free_export(DLExport* e) noexcept nogil:
    cdef PyObject* et
    cdef PyObject* ev
    cdef PyObject* tb
    with gil:
        # a deleter may run while an exception is being raised: keep it intact
        PyErr_Fetch(&et, &ev, &tb)
        buf_decref(e.buf)
        free(e)
        PyErr_Restore(et, ev, tb)

cdef void _dl_delete(DLManagedTensor* mt) noexcept nogil:
    _dl_free_export(<DLExport*>mt.manager_ctx)

cdef void _dl_delete_versioned(DLManagedTensorVersioned* mt) noexcept nogil:
    _dl_free_export(<DLExport*>mt.manager_ctx)

cdef void _dl_capsule_destructor(object cap) noexcept:
    """A capsule that was never consumed frees its tensor (a consumed one was renamed)."""
    cdef DLManagedTensor* mt
    cdef DLManagedTensorVersioned* mv
    cdef PyObject* p = <PyObject*>cap
    if _PyCapsule_IsValid(p, _DL_NAME):
        mt = <DLManagedTensor*>_PyCapsule_GetPointer(p, _DL_NAME)
        if mt.deleter != NULL:
            mt.deleter(mt)
    elif _PyCapsule_IsValid(p, _DL_NAME_V):
        mv = <DLManagedTensorVersioned*>_PyCapsule_GetPointer(p, _DL_NAME_V)
        if mv.deleter != NULL:
            mv.deleter(mv)

cdef object _to_dlpack(Tensor t, object stream, object max_version, object dl_device,
                       object copy):
    cdef DLExport* e
    cdef DLTensor* dt
    cdef Buffer* b
    cdef Py_ssize_t st[PYAD_MAXDIM]
    cdef bint versioned, copied = False
    cdef int d
    if t._requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    if stream is not None and type(stream) is not int:
        raise TypeError("stream must be ``int`` or ``none``")
    if stream is not None and stream != -1:
        raise AssertionError("stream should be None on cpu.")
    if dl_device is not None and (len(dl_device) != 2 or int(dl_device[0]) != kDLCPU
                                  or int(dl_device[1]) != 0):
        raise BufferError(f"pyad tensors live on the CPU (kDLCPU, 0) and cannot be exported to "
                          f"dl_device={tuple(dl_device)!r}")
    versioned = max_version is not None and max_version[0] >= 1
    if copy is True:
        b = nb_cast(t.buf.data, &t.m, t.m.dtype)
        copied = True
    else:
        b = t.buf
        buf_incref(b)
    e = <DLExport*>malloc(sizeof(DLExport))
    if e == NULL:
        buf_decref(b)
        raise MemoryError()
    memset(e, 0, sizeof(DLExport))
    e.buf = b
    contiguous_strides(&t.m, st)
    for d in range(t.m.ndim):
        e.shape[d] = t.m.shape[d]
        e.strides[d] = st[d]
    dt = &e.v.dl_tensor if versioned else &e.l.dl_tensor
    dt.data = b.data
    dt.device.device_type = kDLCPU
    dt.device.device_id = 0
    dt.ndim = t.m.ndim
    dt.dtype.lanes = 1
    dt.dtype.bits = 8 * itemsize(t.m.dtype)
    dt.dtype.code = (kDLFloat if t.m.dtype <= PYAD_F64 else
                     kDLInt if t.m.dtype == PYAD_I64 else kDLBool)
    dt.shape = e.shape
    dt.strides = e.strides
    dt.byte_offset = 0
    if versioned:
        e.v.version.major = DLPACK_MAJOR_VERSION
        e.v.version.minor = DLPACK_MINOR_VERSION
        e.v.manager_ctx = e
        e.v.deleter = _dl_delete_versioned
        e.v.flags = DLPACK_FLAG_BITMASK_IS_COPIED if copied else 0
        try:
            return _PyCapsule_New(&e.v, _DL_NAME_V, _dl_capsule_destructor)
        except BaseException:
            _dl_free_export(e)
            raise
    e.l.manager_ctx = e
    e.l.deleter = _dl_delete
    try:
        return _PyCapsule_New(&e.l, _DL_NAME, _dl_capsule_destructor)
    except BaseException:
        _dl_free_export(e)
        raise


# ---- import ----------------------------------------------------------------------------------
cdef class _DLPackOwner:
    """The base of a Buffer over imported DLPack memory: calls the producer's deleter."""
    cdef void* mt
    cdef bint versioned

    def __dealloc__(self):
        cdef DLManagedTensor* l
        cdef DLManagedTensorVersioned* v
        if self.mt == NULL:
            return
        if self.versioned:
            v = <DLManagedTensorVersioned*>self.mt
            if v.deleter != NULL:
                v.deleter(v)
        else:
            l = <DLManagedTensor*>self.mt
            if l.deleter != NULL:
                l.deleter(l)
        self.mt = NULL

cdef int _dl_dtype_code(DLDataType t) except -1:
    if t.lanes == 1:
        if t.code == kDLFloat and t.bits == 32:
            return PYAD_F32
        if t.code == kDLFloat and t.bits == 64:
            return PYAD_F64
        if t.code == kDLInt and t.bits == 64:
            return PYAD_I64
        if t.code == kDLBool and t.bits == 8:
            return PYAD_BOOL
    names = {kDLInt: "int", kDLUInt: "uint", kDLFloat: "float", 3: "opaque handle ", 4: "bfloat",
             5: "complex", kDLBool: "bool"}
    kind = names.get(t.code, f"type code {t.code}")
    lanes = f" x{t.lanes} lanes" if t.lanes != 1 else ""
    raise TypeError(f"pyad.from_dlpack: unsupported dtype {kind}{t.bits}{lanes}; pyad supports "
                    "float32, float64, int64 and bool")

cdef Tensor _from_capsule(object cap, object copy):
    cdef PyObject* p = <PyObject*>cap
    cdef DLManagedTensor* ml = NULL
    cdef DLManagedTensorVersioned* mv = NULL
    cdef DLTensor* dt
    cdef bint readonly = False, compact = True, aligned
    cdef int code, d
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t est[PYAD_MAXDIM]
    cdef Py_ssize_t expected, numel, isz
    cdef Meta m
    cdef char* data
    cdef _DLPackOwner owner
    if _PyCapsule_IsValid(p, _DL_NAME_V):
        mv = <DLManagedTensorVersioned*>_PyCapsule_GetPointer(p, _DL_NAME_V)
        if mv.version.major != DLPACK_MAJOR_VERSION:
            raise BufferError(f"pyad.from_dlpack: unsupported DLPack version "
                              f"{mv.version.major}.{mv.version.minor} (pyad reads 1.x)")
        dt = &mv.dl_tensor
        readonly = (mv.flags & DLPACK_FLAG_BITMASK_READ_ONLY) != 0
    elif _PyCapsule_IsValid(p, _DL_NAME):
        ml = <DLManagedTensor*>_PyCapsule_GetPointer(p, _DL_NAME)
        dt = &ml.dl_tensor
    else:
        raise RuntimeError(_INVALID_CAPSULE)
    # every check happens before the capsule is consumed: on error its destructor frees it
    if dt.device.device_type != kDLCPU:
        raise BufferError(f"pyad.from_dlpack: only CPU tensors (kDLCPU) can be imported, got "
                          f"DLPack device type {dt.device.device_type}")
    code = _dl_dtype_code(dt.dtype)
    isz = itemsize(code)
    if dt.ndim < 0 or dt.ndim > PYAD_MAXDIM:
        raise RuntimeError(f"pyad: tensors have at most {PYAD_MAXDIM} dimensions, got {dt.ndim}")
    numel = 1
    for d in range(dt.ndim):
        if dt.shape[d] < 0:
            raise BufferError(f"pyad.from_dlpack: negative size {dt.shape[d]} in dimension {d}")
        shp[d] = <Py_ssize_t>dt.shape[d]
    numel = _checked_numel(dt.ndim, shp, isz)
    if dt.strides != NULL and numel > 0:
        expected = 1
        for d in range(dt.ndim - 1, -1, -1):
            if shp[d] != 1 and dt.strides[d] != expected:
                compact = False
            expected *= shp[d]
    data = <char*>dt.data + dt.byte_offset
    aligned = (<size_t>data) % <size_t>isz == 0
    if (readonly or not compact or not aligned) and copy is not True:
        if not compact:
            why = (f"is not C-contiguous (strides {[dt.strides[d] for d in range(dt.ndim)]} for "
                   f"shape {[shp[d] for d in range(dt.ndim)]})")
        elif readonly:
            why = "is marked read-only by its producer and pyad tensors are writable"
        else:
            why = "is not aligned to its element size"
        raise BufferError(f"pyad.from_dlpack: the tensor {why}; pyad shares memory only with "
                          "C-contiguous writable tensors, pass copy=True to copy it")
    # consume
    _PyCapsule_SetName(cap, _DL_USED_V if mv != NULL else _DL_USED)
    owner = _DLPackOwner.__new__(_DLPackOwner)
    owner.mt = <void*>mv if mv != NULL else <void*>ml
    owner.versioned = mv != NULL
    m.dtype = code
    m.ndim = dt.ndim
    m.shape = shp
    m.numel = numel
    if copy is True:
        if dt.strides != NULL:
            for d in range(dt.ndim):
                est[d] = <Py_ssize_t>dt.strides[d]
        else:
            contiguous_strides(&m, est)
        if numel == 0:
            return tensor_from_new_buffer(buf_new(0), &m, code)
        return tensor_from_new_buffer(nb_gather(data, code, 0, est, &m), &m, code)
    return tensor_from_new_buffer(buf_wrap(owner, data, numel * isz), &m, code)

cdef Py_ssize_t _checked_numel(int ndim, const Py_ssize_t* shp, Py_ssize_t isz) except -1:
    """The product of shp; raises when it (in bytes) does not fit a Py_ssize_t."""
    cdef Py_ssize_t n = 1
    cdef int d
    if numel_overflows(ndim, shp):  # also with a 0 among the sizes, as torch
        raise ValueError(f"pyad: a tensor of shape {[shp[i] for i in range(ndim)]} is too "
                         "large")
    for d in range(ndim):
        if shp[d] == 0:
            return 0
    for d in range(ndim):
        if n > PY_SSIZE_T_MAX // isz // shp[d]:
            raise ValueError(f"pyad: a tensor of shape {[shp[i] for i in range(ndim)]} is too "
                             "large")
        n *= shp[d]
    return n


def from_dlpack(ext_tensor, *, device=None, copy=None):
    """A tensor sharing the memory of a DLPack producer (numpy array, torch tensor, ...).

    Args:
        ext_tensor: an object with ``__dlpack__`` / ``__dlpack_device__``, or a DLPack capsule
            (consumed: a capsule can be used once).
        device: None or "cpu" (pyad tensors live on the CPU).
        copy: None/False share the memory (and raise BufferError when the producer's tensor is
            not C-contiguous, aligned and writable); True always copies.

    Only CPU float32, float64, int64 and bool tensors can be imported. Writes through the
    returned tensor are visible to the producer and vice versa.

    Example:
        >>> import numpy as np
        >>> a = np.arange(3.0)
        >>> t = pyad.from_dlpack(a)
        >>> t[0] = 7.0; print(a[0])
        7.0
    """
    if device is not None and str(device) != "cpu":
        raise BufferError(f"pyad.from_dlpack: pyad tensors live on the CPU, got device={device!r}")
    if copy is not None and not isinstance(copy, bool):
        raise TypeError(f"from_dlpack(): argument 'copy' must be bool or None, not "
                        f"{type(copy).__name__}")
    if _PyCapsule_CheckExact(ext_tensor):
        return _from_capsule(ext_tensor, copy)
    if not hasattr(ext_tensor, "__dlpack__"):
        raise RuntimeError(_INVALID_CAPSULE)
    if hasattr(ext_tensor, "__dlpack_device__"):
        dev = ext_tensor.__dlpack_device__()
        if int(dev[0]) != kDLCPU:
            raise BufferError(f"pyad.from_dlpack: only CPU tensors (kDLCPU = 1) can be imported, "
                              f"got __dlpack_device__() = {tuple(dev)!r}")
    try:
        cap = ext_tensor.__dlpack__(max_version=(DLPACK_MAJOR_VERSION, DLPACK_MINOR_VERSION))
    except TypeError:
        cap = ext_tensor.__dlpack__()
    return _from_capsule(cap, copy)


# ============================================================================================
# pickle, copy, deepcopy
# ============================================================================================
cdef tuple _reduce_tensor(Tensor t):
    cdef Py_ssize_t n = t.m.numel * itemsize(t.m.dtype)
    if t.grad_fn_ != NULL and t._requires_grad and _pickled_for_another_process():
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
            "does not support crossing process boundaries.  If you just want to transfer the "
            "data, call detach() on the tensor before serializing (e.g., putting it on the "
            "queue).")
    data = t.buf.data[:n] if n else b""
    args = (data, DTYPE_NAMES[t.m.dtype], tuple(t.m.shape[d] for d in range(t.m.ndim)),
            bool(t._requires_grad))
    if type(t) is Tensor:
        return (_rebuild_tensor, args)
    return (_rebuild_tensor_subclass, (type(t), args, dict(getattr(t, "__dict__", None) or {})))

cdef bint _pickled_for_another_process():
    """True when multiprocessing's pickler is serialising (a Queue, a Pool, spawn's
    arguments): torch refuses non-leaf tensors that require grad only there."""
    mp = sys.modules.get("multiprocessing.reduction")
    if mp is None:
        return False
    f = sys._getframe(0)     # compiled code has no frames: this is the innermost Python one
    while f is not None:
        if f.f_code.co_filename == mp.__file__:
            return True
        f = f.f_back
    return False


def _rebuild_tensor_subclass(cls, args, state):
    """Unpickle an instance of a Tensor subclass: the tensor as _rebuild_tensor checks it, then
    the class and the instance's attributes."""
    if not isinstance(cls, type) or not issubclass(cls, Tensor):
        raise ValueError(f"pyad: cannot unpickle a tensor of class {cls!r}")
    if type(args) is not tuple or len(args) != 4 or type(state) is not dict:
        raise ValueError("pyad: cannot unpickle a tensor subclass: malformed payload")
    cdef Tensor base = _rebuild_tensor(*args)
    cdef Tensor t = make_subclass(cls, base, base._requires_grad)
    if state:
        t.__dict__.update(state)
    return t


def _rebuild_tensor(data, dtype, shape, requires_grad):
    """Unpickle a Tensor: every field is checked before any byte is copied."""
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t numel, nbytes, i
    cdef const unsigned char[::1] src
    cdef int code, nd, d
    cdef Tensor t
    if not isinstance(dtype, str) or dtype not in DTYPE_NAMES:
        raise ValueError(f"pyad: cannot unpickle a tensor of dtype {dtype!r}")
    code = DTYPE_NAMES.index(dtype)
    if type(shape) is not tuple:
        raise ValueError(f"pyad: cannot unpickle a tensor: shape must be a tuple, got "
                         f"{type(shape).__name__}")
    if len(shape) > PYAD_MAXDIM:
        raise ValueError(f"pyad: cannot unpickle a tensor with {len(shape)} dimensions (at most "
                         f"{PYAD_MAXDIM})")
    nd = len(shape)
    for d in range(nd):
        s = shape[d]
        if type(s) is not int or s < 0 or s > PY_SSIZE_T_MAX:
            raise ValueError(f"pyad: cannot unpickle a tensor of shape {shape!r}")
        shp[d] = s
    numel = _checked_numel(nd, shp, itemsize(code))
    if type(requires_grad) is not bool:
        raise ValueError(f"pyad: cannot unpickle a tensor: requires_grad must be a bool, got "
                         f"{type(requires_grad).__name__}")
    if requires_grad and code > PYAD_F64:
        raise RuntimeError("only Tensors of floating point and complex dtype can require "
                           "gradients")
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError(f"pyad: cannot unpickle a tensor: data must be bytes, got "
                         f"{type(data).__name__}")
    nbytes = numel * itemsize(code)
    if len(data) != nbytes:
        raise ValueError(f"pyad: cannot unpickle a tensor of shape {list(shape)} and dtype "
                         f"{dtype}: expected {nbytes} bytes of data, got {len(data)}")
    t = new_tensor(code, nd, shp)
    if nbytes:
        src = data
        if code == PYAD_BOOL:
            for i in range(nbytes):
                if src[i] > 1:
                    raise ValueError(f"pyad: cannot unpickle a bool tensor holding the byte "
                                     f"{src[i]} (bool bytes are 0 or 1)")
        memcpy(t.buf.data, &src[0], nbytes)
    t._requires_grad = requires_grad
    return t


cdef Tensor _copy_tensor(Tensor t):
    """copy.copy: a new leaf over the same memory, keeping requires_grad (as torch)."""
    cdef Tensor r = tensor_from_buffer(t.buf, &t.m)
    r._requires_grad = t._requires_grad
    return _same_class(t, r, None)

cdef Tensor _same_class(Tensor like, Tensor r, object memo):
    """r as an instance of like's class, with a (deep, when memo is given) copy of like's
    attributes: copy and deepcopy of a subclass instance keep its class."""
    if type(like) is Tensor:
        return r
    cdef Tensor s = _tensor_instance(type(like), r)
    s._requires_grad = r._requires_grad
    s.grad_ = r.grad_
    state = getattr(like, "__dict__", None)
    if state:
        s.__dict__.update(state if memo is None else __import__("copy").deepcopy(state, memo))
    return s

cdef Tensor _deepcopy_tensor(Tensor t, object memo):
    """copy.deepcopy (leaves only, as torch): tensors sharing memory keep sharing a new copy."""
    cdef Tensor r, storage
    if t.grad_fn_ != NULL:
        raise RuntimeError(
            "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
            "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
            "because of a torch.nn.utils.weight_norm usage, see "
            "https://github.com/pytorch/pytorch/pull/103001")
    if memo is None:
        memo = {}
    if id(t) in memo:
        return memo[id(t)]
    key = ("pyad._C.Buffer", <size_t>t.buf)
    storage = memo.get(key)
    if storage is None or storage.buf.nbytes != t.buf.nbytes:
        b = buf_new(t.buf.nbytes)
        memcpy(b.data, t.buf.data, t.buf.nbytes)
        r = tensor_from_new_buffer(b, &t.m, t.m.dtype)
        memo[key] = r
        # the source's memory must not be freed and reused while memo maps its address
        memo.setdefault(id(memo), []).append(t)
    else:
        r = tensor_from_buffer(storage.buf, &t.m)
    r._requires_grad = t._requires_grad
    if t.grad_ is not None:
        r.grad_ = _deepcopy_tensor(<Tensor>t.grad_, memo)
    memo[id(t)] = r   # before the attributes: they may refer back to t
    if type(t) is not Tensor:
        r = _same_class(t, r, memo)
        memo[id(t)] = r
    return r
