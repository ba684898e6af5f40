# layer_storage.pxd: the storage layer of pyad._C, the lowest: buffers and their numeric
# helpers (numeric.pxi), graph nodes (graph.pxi), and the Tensor as a record of a Buffer, a Meta
# and a Node (its fields; the methods are the top layer's). The C-level structs and kernels are
# in pyad_types.pxd. This file declares what the layers above use; they use nothing else of
# numeric.pxi and graph.pxi. Included by pyad/_C.pxd (the layers: ARCHITECTURE.md).

from cpython.object cimport PyTypeObject, newfunc
from pyad_types cimport *


# ---- numeric.pxi: kernels, buffers, metas, the numeric helpers -------------------------------
# Kernel ids: rows of KERNELS, columns are dtypes (f32, f64, i64). NULL = unsupported dtype.
cdef enum:
    K_NEG, K_EXP, K_LOG, K_SQRT, K_SIN, K_COS, K_TANH, K_SIGMOID, K_RELU, K_ABS, K_SIGN,
    K_RECIPROCAL, K_FILL, K_ADDS, K_MULS, K_DIVS, K_RSUBS, K_POWS, K_RPOWS,
    K_ADD, K_SUB, K_MUL, K_DIV, K_POW,
    K_SIN_BW, K_COS_BW, K_TANH_BW, K_SIGMOID_BW, K_RELU_BW, K_ABS_BW, K_SQRT_BW,
    K_RECIPROCAL_BW, K_POWS_BW, K_RPOWS_BW, K_DIV_BW_B, K_POW_BW_A, K_POW_BW_B,
    K_ACCUM, K_MUL_TWICE, K_ACC_MUL, K_ACC_MUL_TWICE,
    K_COUNT

cdef enum:
    MAX_KERNELS = 160

cdef pyad_loop KERNELS[MAX_KERNELS][3]
cdef Meta ONE_ELEMENT[PYAD_NDTYPES]
cdef void broadcast_byte_strides(const Meta* m, const Meta* out,
                                 Py_ssize_t* st) noexcept nogil
cdef int broadcast_meta(const Meta* a, const Meta* b, Meta* out) except -1
cdef void buf_decref(Buffer* b) noexcept
cdef void buf_incref(Buffer* b) noexcept
cdef Buffer* buf_new(Py_ssize_t nbytes) except NULL
cdef Buffer* buf_uniform(const char* value, int dtype) except NULL
cdef Buffer* buf_wrap(object owner, char* data, Py_ssize_t nbytes) except NULL
cdef Buffer* buf_zeros(const Meta* m) except NULL
cdef void contiguous_strides(const Meta* m, Py_ssize_t* out) noexcept nogil
cdef void init_kernels() noexcept
cdef void install_numpy_loops(int k_expm1, int k_log1p)
cdef Py_ssize_t itemsize(int dtype) noexcept nogil
cdef int kcol(int dtype) noexcept nogil
cdef pyad_loop kernel_for(int k, int dtype) except NULL
cdef void meta_copy(Meta* dst, const Meta* src) noexcept nogil
cdef int nb_add_inplace(Buffer* acc, const char* x, const Meta* m, bint x_is_one=*) except -1
cdef int nb_bmm(const char* A, const char* B, char* C, int dtype, Py_ssize_t nb, Py_ssize_t M,
                Py_ssize_t K, Py_ssize_t N, const Py_ssize_t* sa, const Py_ssize_t* sb) except -1
cdef Buffer* nb_cast(const char* x, const Meta* mx, int dtype) except NULL
cdef Buffer* nb_gather(const char* x, int dtype, Py_ssize_t offset, const Py_ssize_t* strides,
                       const Meta* mout) except NULL
cdef Buffer* nb_map(int k, const char* x, const Meta* mx, const Meta* mout,
                    const double* c) except NULL
cdef Buffer* nb_map_loop(pyad_loop f, const char* x, const Meta* mx, const Meta* mout,
                         const double* c) except NULL
cdef Buffer* nb_reduce_to(const char* x, const Meta* mx, const Meta* mout) except NULL
cdef Buffer* nb_scatter(const char* g, const Meta* mg, Py_ssize_t offset,
                        const Py_ssize_t* strides, const Meta* mout) except NULL
cdef Buffer* nb_zip(int k, int nops, const char** xs, const Meta** ms, const Meta* mout,
                    const double* c) except NULL
cdef Buffer* nb_zip_loop(pyad_loop f, int nops, const char** xs, const Meta** ms,
                         const Meta* mout, const double* c) except NULL
cdef void nb_zip_write(pyad_loop f, int nops, const char** xs, const Meta** ms,
                       const Meta* mout, const double* c, char* out) noexcept
cdef int register_kernel(pyad_loop f32, pyad_loop f64, pyad_loop i64) except -1
cdef bint same_shape(const Meta* a, const Meta* b) noexcept nogil
cdef int check_no_negative(int ndim, const Py_ssize_t* shape) except -1
cdef Py_ssize_t shape_numel(int ndim, const Py_ssize_t* shape) except -1
cdef Buffer* uniform_expand(const Buffer* g, const Meta* m) except NULL


# ---- the Tensor record and numpy's view of a buffer (tensor.pxi) ----------------------------
cdef class Tensor:
    cdef Buffer* buf             # strong ref to storage
    cdef Meta m                  # dtype, ndim, numel; m.shape points at _shape
    cdef Py_ssize_t _shape[PYAD_MAXDIM]  # storage for m.shape
    cdef bint _requires_grad     # leaf flag, or "produced by a recorded op"
    cdef Node* grad_fn_          # strong ref; NULL for leaves and constants
    cdef Node* grad_acc          # borrowed: the leaf's AccumulateGrad node, if one exists
    cdef object grad_            # .grad (Tensor or None)
    cdef bint retains_grad_      # retain_grad() was called on this non-leaf
    cdef object _hooks           # leaf tensors: {id: hook} run on the gradient, or None
    cdef object _base            # the tensor this one was derived from by a view-like op
    cdef bint _view_copies       # True when that op copied (indexing, transpose, expand), so
                                 # in-place writes would not reach _base as they do in torch
    cdef unsigned char _view_creation  # VIEW_*: how torch made the view (its CreationMeta)
    cdef Py_ssize_t _view_output_nr    # which output of a multi-view op (unbind, split) it is
    cdef bint _grad_dead         # requires grad only through its base (a view made in no_grad
                                 # mode of a tensor that requires grad): no gradient reaches it
    cdef Py_ssize_t _version_shift  # buf.version minus this tensor's version: torch's version
                                    # counter stays with the tensor when .data is replaced
    cdef Py_ssize_t _view_version   # a view's watched_version when it last took its history
                                    # (torch's attr_version; graph.pxi, view_current)
    cdef object __weakref__

# torch's CreationMeta for views: an in-place op that autograd records refuses a view made in
# no_grad mode (or in backward) and an output of an op that returns several views
cdef enum:
    VIEW_DEFAULT = 0
    VIEW_NO_GRAD = 1
    VIEW_MULTIPLE = 2

cdef class _BufferView:
    cdef Buffer* buf
    cdef Meta m
    cdef Py_ssize_t shape[PYAD_MAXDIM]
    cdef Py_ssize_t strides[PYAD_MAXDIM]

cdef unsigned long long _tensors_created    # lets tests prove a path creates no Tensors

# Tensors made from buffers, shapes and numpy arrays (tensor.pxi, ops_elementwise.pxi, _C.pyx)
cdef Tensor new_tensor(int dtype, int ndim, const Py_ssize_t* shape)
cdef Tensor tensor_from_buffer(Buffer* b, const Meta* m)
cdef Tensor tensor_from_new_buffer(Buffer* b, const Meta* m, int dtype)
cdef Tensor tensor_from_numpy_copy(object arr, int dtype)
cdef object _np_view(Tensor t)
cdef Tensor zeros_like_nograd(Tensor x)
cdef Tensor t_clone_nograd(Tensor x)
cdef int _default_dtype
cdef Tensor scalar0d_f(double v, int dtype)
cdef Tensor _ones_like(Tensor t)
cdef void _fill(Tensor t, double v) noexcept


# ---- graph.pxi: nodes, recording, saving, release --------------------------------------------
cdef enum:
    NODE_HAS_SAVED = 1      # backward reads saved data (so running it after release is an error)
    NODE_RELEASED = 2       # saved data freed by a backward without retain_graph

cdef enum:
    MARK_VISITED = 1
    MARK_NEEDED = 2         # must run: a gradient we want flows through it
    MARK_CAPTURE = 4        # its output gradient is one of grad()'s results
    # numeric sweep of grad(), what torch's gradient in the slot is: the tensor it started
    # from (ORIGIN: grad_output j + 1 in the bits from MARK_ORIGIN_SHIFT up; 0 for a new
    # tensor some formula made) handed on unchanged (SAME: torch returns that very tensor) or
    # a view of it (VIEW: made in backward, so in no_grad mode; a view of a grad_output that
    # requires grad requires grad too)
    MARK_FLOW_SAME = 8
    MARK_FLOW_VIEW = 16
    MARK_FLOW_STRIDED = 32  # ... a view that is not contiguous (so a reshape of it copies)
    MARK_FLOW_EXPANDED = 64  # ... a view with every stride 0 (contiguous in any order)
    MARK_ORIGIN_SHIFT = 7
    MARK_FLOW = ~7          # every bit above: the flags and the origin

# replaces a static type's constructor (the grad_fn handles' and the Tensor's)
cdef extern from *:
    """
    /* Replace a static type's constructor. Its vectorcall slot, which Cython fills with a
       direct call of its own tp_new, is cleared so that calls go through tp_new too. */
    static void pyad_set_tp_new(PyTypeObject* t, newfunc f) {
        t->tp_new = f;
    #if PY_VERSION_HEX >= 0x03080000
        t->tp_vectorcall = NULL;
    #endif
        PyType_Modified(t);
    }
    """
    void pyad_set_tp_new(PyTypeObject* t, newfunc f)

cdef bint _anomaly_check_nan
cdef bint _anomaly_enabled
cdef Node* accumulate_node(Tensor leaf) except NULL
cdef int check_saved(Node* n) except -1
cdef Tensor named(Tensor out, int name_id)
cdef bint needs_input_grad(Node* n, int i) noexcept
cdef Node* node_alloc(int op, int name_id, int n_in, int out_ndim, int in_ndims,
                      int n_ip) except NULL
cdef void node_decref(Node* n) noexcept
cdef void node_release(Node* n) noexcept
cdef int raise_modified_inplace(Tensor t, Py_ssize_t expected, Node* producer=*) except -1
cdef Node* record(int op, int name_id, Tensor out, Tensor a, Tensor b=*, int n_in=*,
                  int n_ip=*) except NULL
cdef void save_input(Node* n, int slot, Tensor t) noexcept
cdef void save_output(Node* n, Tensor out) noexcept
cdef void save_scalar(Node* n) noexcept
cdef Tensor saved_result(Node* n)
cdef Tensor saved_tensor(Node* n, int slot)
cdef int set_edge(Node* n, int i, Tensor t) except -1
cdef Py_ssize_t tensor_version(Tensor t) noexcept
cdef int (*sync_view)(Tensor v) except -1     # set by the ops layer (ops.pxi)
cdef Py_ssize_t watched_version(Tensor v) noexcept
cdef int view_current(Tensor t) except -1
cdef bint requires_grad_recorded(Tensor a) noexcept
cdef bint requires_grad_flag(Tensor a) noexcept
cdef int requires_grad_now(Tensor a) except -1
cdef int wants_grad(Tensor a) except -1
cdef int wants_grad2(Tensor a, Tensor b) except -1
cdef object wrap_node(Node* n)
