# Declarations of pyad's engine: C kernels, storage and graph structs. _C.pyx (and the
# .pxi files it includes) implement them; the Tensor's fields are declared in tensor.pxi.
#
# Memory model, in one paragraph: a Tensor owns one reference to a Buffer (refcounted raw
# storage) and, when it is a non-leaf, one reference to the Node that produced it (its grad_fn).
# A Node owns references to the Nodes its gradient flows into (its edges), to the Tensors it
# saved for backward, and to its saved output Buffer. Nothing points back up the graph, so a
# graph dies as soon as no Tensor refers to its root; node_decref frees chains iteratively.

from cpython.object cimport PyObject
from libc.stdint cimport int64_t

cdef extern from "pyad_kernels.h":
    enum: PYAD_MAXDIM
    enum: PYAD_F32, PYAD_F64, PYAD_I64, PYAD_BOOL, PYAD_NDTYPES
    const int pyad_itemsize[4]
    ctypedef void (*pyad_loop)(char** args, const Py_ssize_t* steps, Py_ssize_t n,
                               const double* c) noexcept nogil
    bint pyad_is_grad_enabled() noexcept nogil
    void pyad_set_grad_enabled(int on) noexcept nogil
    void pyad_nd_apply(int nops, char** base, Py_ssize_t (*strides)[PYAD_MAXDIM], int ndim,
                       const Py_ssize_t* shape, pyad_loop loop, const double* c) noexcept nogil
    pyad_loop pyad_cast_loop(int src, int dst) noexcept nogil
    double pyad_sum_f32(const float* x, Py_ssize_t n) noexcept nogil
    double pyad_sum_f64(const double* x, Py_ssize_t n) noexcept nogil
    int pyad_simd_init(int want) noexcept nogil
    void pyad_copy_shape(Py_ssize_t* dst, const Py_ssize_t* src, int ndim) noexcept nogil
    int pyad_simd_level
    void pyad_bmm_f32(const float* A, const float* B, float* C, Py_ssize_t nb, Py_ssize_t M,
                      Py_ssize_t K, Py_ssize_t N, const Py_ssize_t* sa,
                      const Py_ssize_t* sb) noexcept nogil
    void pyad_bmm_f64(const double* A, const double* B, double* C, Py_ssize_t nb, Py_ssize_t M,
                      Py_ssize_t K, Py_ssize_t N, const Py_ssize_t* sa,
                      const Py_ssize_t* sb) noexcept nogil
    void pyad_bmm_i64(const int64_t* A, const int64_t* B, int64_t* C, Py_ssize_t nb,
                      Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, const Py_ssize_t* sa,
                      const Py_ssize_t* sb) noexcept nogil


# ============================================================================================
# Storage
# ============================================================================================
ctypedef struct Buffer:
    Py_ssize_t refcnt        # owners: Tensors, nodes' saved outputs, engine gradient slots
    char* data               # first element; C-contiguous, the owner's Meta gives the layout
    PyObject* base           # owner of foreign memory (a numpy array), or NULL if pyad's own
    Py_ssize_t nbytes        # size of data in bytes
    Py_ssize_t version       # bumped by in-place writes (reserved for in-place ops)
    int uniform              # backward sweep only: data holds ONE value that stands for every
                             # element of the slot's Meta (the gradient of a full sum); the
                             # engine expands it before anything but a uniform-aware op reads it


# ============================================================================================
# Graph
# ============================================================================================
ctypedef struct Meta:
    int dtype                # PYAD_F32 ... PYAD_BOOL
    int ndim                 # number of dimensions
    Py_ssize_t numel         # product of shape
    Py_ssize_t* shape        # ndim sizes; points into the owning Tensor or Node

ctypedef struct Edge:
    Node* fn                 # node the gradient flows into, or NULL (input needs no grad)
    int input_nr             # which output of fn this input was (always 0: one output per node)

ctypedef struct Node:
    Py_ssize_t refcnt        # Tensors whose grad_fn this is + edges pointing here + wrappers
    size_t nbytes            # size of the node's one allocation (for pyad_free)
    int op                   # opcode: row of the OPS table (forward and backward side by side)
    int name_id              # index into NODE_NAMES (torch's grad_fn class name)
    int n_in                 # number of inputs (edges); python scalars count, with fn NULL
    int flags                # NODE_HAS_SAVED | NODE_RELEASED
    unsigned long long seq   # creation order; a node's inputs always have a smaller seq
    Edge* next               # n_in edges, in the node's own allocation
    Meta* in_meta            # n_in input metas: the shape and dtype each gradient must have
    Meta out_meta            # the output's meta (every node has exactly one output)
    PyObject* saved[3]       # saved input Tensors (strong refs), NULL where not needed
                             # (the third only for ternary ops: lerp's self, end, weight)
    Buffer* saved_out        # saved output buffer (exp, tanh, ...), never the output Tensor
    Py_ssize_t saved_ver[3]  # buffer versions when saved[0..2] were saved
    Py_ssize_t saved_out_ver  # buffer version when saved_out was saved
    unsigned long long saved_key[3]  # meta_key of saved[0..2] when saved: a `.data =`
                             # that changed a saved tensor's shape or dtype is caught
    double c[4]              # scalar parameters: alpha, exponent, wrapped scalar, scale
    Py_ssize_t* ip           # n_ip integer parameters (dims, strides), in the allocation
    int n_ip                 # length of ip
    PyObject* leaf           # AccumulateGrad only: the leaf Tensor (strong ref)
    PyObject* hooks          # list of tensor hooks on this node's output gradient, or NULL
    PyObject* pyctx          # custom Function nodes: the ctx object (strong ref), or NULL
    PyObject* trace          # anomaly mode: the forward call's stack (a str, strong ref), or NULL
    PyObject* pyobj          # borrowed: the cached Python grad_fn wrapper, if any
    # ---- which backward run keeps this node's scratch (engine.pxi); NULL between runs ----
    void* run                # the run that claimed the node (its scratch is run.slots[run_idx])
    Py_ssize_t run_idx       # a run that finds the node claimed by another keeps it in a table
