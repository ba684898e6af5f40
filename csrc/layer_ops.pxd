# layer_ops.pxd: the ops layer of pyad._C (ops.pxi): every core op's forward, numeric
# backward and recorded backward, the OPS table of opcodes and the UNARY rows, and how an op
# family registers into them (register_op, register_name, register_kernel in the storage
# layer, register_unary). Above the storage layer (layer_storage.pxd), below the engine: the
# engine hands the numeric formulas a GradSink, so that ops need nothing of the engine's run.
# Declares what the layers above use of ops.pxi (and the few ops-level helpers defined in
# other files, listed last). Included by pyad/_C.pxd (the layers: ARCHITECTURE.md).

# What a numeric formula may ask of the sweep that runs it. The engine (a layer above) fills
# it in and passes it to every numeric formula, so that ops need nothing of the engine's run.
ctypedef struct GradSink:
    void* run                # the engine's run, opaque here
    # the gradient the sweep has so far accumulated for child, when a formula may add its
    # product straight into it (a buffer only the sweep holds, for a node without hooks that
    # the sweep uses); NULL otherwise
    Buffer* (*addable)(void* run, Node* child) noexcept
    # no gradient has reached child yet in this sweep
    bint (*is_empty)(void* run, Node* child) noexcept
    bint keep_graph          # retain_graph: the nodes keep their saved values after the sweep

ctypedef int (*numeric_bw_t)(Node* n, Buffer* g, Buffer** gin, const Meta** gm,
                             GradSink* sink) except -1
ctypedef list (*recorded_bw_t)(Node* n, Tensor g)

ctypedef struct OpDef:
    numeric_bw_t numeric     # gradient of each input from a gradient buffer
    recorded_bw_t recorded   # the same formula written with differentiable pyad ops
    int flags                # OPF_*: what generic code (the engine) may ask about the op

# ---- CMath: one backward formula over C-level values for both sweeps (cmath.pxi) ----------
# A BV is a value: a Buffer and its Meta on the numeric sweep, a Tensor on the recorded one.
ctypedef struct BV:
    Buffer* buf                 # the numeric CMath's data (a reference the BV owns), else NULL
    PyObject* t                 # the recorded CMath's Tensor (a strong reference), else NULL
    Meta m                      # the value's dtype and shape (shape points at shp)
    Py_ssize_t shp[PYAD_MAXDIM]

# The operations a written-once formula is made of; each writes a new value into *out.
ctypedef struct CMath:
    bint recorded
    # the node's saved input slot, its saved output
    int (*input)(BV* out, Node* n, int slot) except -1
    int (*result)(BV* out, Node* n) except -1
    # elementwise a * b, a / b (same shapes)
    int (*mul)(BV* out, const BV* a, const BV* b) except -1
    int (*div)(BV* out, const BV* a, const BV* b) except -1
    # op(a) @ op(b) for nb products (M, K) @ (K, N), an operand stored transposed when ta / tb
    # (read in place), the result of meta m; kind: the PROD_* whose kernel (and names) the
    # recorded product uses. A scalar times a vector, or two vectors to a matrix (an outer
    # product), is recorded as torch records it: an elementwise mul.
    int (*bmm)(BV* out, const BV* a, const BV* b, int kind, Py_ssize_t nb, Py_ssize_t M,
               Py_ssize_t K, Py_ssize_t N, bint ta, bint tb, const Meta* m) except -1
    # the strided gather x[offset + i . strides] of shape m.shape (x's dtype), and its adjoint,
    # zeros(m) with x added at those places; name, adjoint_name: the recorded node's names
    int (*gather)(BV* out, const BV* x, Py_ssize_t offset, const Py_ssize_t* strides,
                  const Meta* m, int name, int adjoint_name) except -1
    int (*scatter)(BV* out, const BV* x, Py_ssize_t offset, const Py_ssize_t* strides,
                   const Meta* m, int name, int adjoint_name) except -1
    # x cast to dtype
    int (*to)(BV* out, const BV* x, int dtype) except -1
    # zeros of meta m
    int (*zeros)(BV* out, const Meta* m) except -1
    # ---- filled in by ops_reduce.pxi ----
    # cumulative sum along dim (from the far end when reverse)
    int (*cumsum)(BV* out, const BV* x, int dim, bint reverse) except -1
    # the gradient of cumprod along dim at x, exact where x holds zeros:
    # out_k = sum_{j>=k} g_j prod_{i<=j, i!=k} x_i
    int (*cumprod_grad)(BV* out, const BV* g, const BV* x, int dim) except -1
    # x holds a zero
    int (*has_zero)(const BV* x) except -1
    # x seen with m's shape (the same elements, x's dtype): a reduction's gradient or result in
    # the keepdim layout (size 1 on the reduced dims)
    int (*reshape)(BV* out, const BV* x, const Meta* m) except -1
    # logsumexp's gradient g exp(x - y), at x's shape (g and its result y broadcast)
    int (*lse_grad)(BV* out, const BV* g, const BV* x, const BV* y) except -1
    # softmax's gradient y (g - sum(g y)) along dim from its result y, or log_softmax's
    # g - exp(y) sum(g) (is_log)
    int (*softmax_grad)(BV* out, const BV* g, const BV* y, int dim, bint is_log) except -1
    # the mean of x over the dims of mask, of meta mk (the keepdim layout; x's dtype)
    int (*mean)(BV* out, const BV* x, const Py_ssize_t* mask, const Meta* mk) except -1
    # var's gradient at x's shape from g, the mean mu and (std) the result s, all three in the
    # keepdim layout; c = [2 / dof, std, a full reduction with dof <= 0]:
    # c[0] g' (x - mu), with g' = g / (2 s) (0 where s == 0) for std; dof <= 0 over all
    # elements: g' (x == mu ? NaN : inf), torch's
    int (*var_grad)(BV* out, const BV* g, const BV* x, const BV* mu, const BV* s,
                    const double* c) except -1
    # per group of y (an extremum in the keepdim layout of x's reduction), how many elements of
    # x match it (x's dtype); mode: 0 x == y, 1 also both NaN, 2 |x| == y or x NaN (inf norms)
    int (*count)(BV* out, const BV* x, const BV* y, double mode) except -1
    # an extremum's gradient at x's shape, ties sharing it: (g / cnt) [x matches y] (count's
    # modes), times sgn(x) in mode 2; g, y, cnt in the keepdim layout
    int (*ext_grad)(BV* out, const BV* g, const BV* x, const BV* y, const BV* cnt,
                    double mode) except -1
    # the gradient of x's finite p-norm y (p != 0) at x's shape, torch's norm_backward; g and y
    # in the keepdim layout
    int (*norm_grad)(BV* out, const BV* g, const BV* x, const BV* y, double p) except -1
    # how many zeros x holds
    Py_ssize_t (*n_zeros)(const BV* x) except -1
    # prod's gradient at x's shape, along dim (-1: over all elements), of g and the result y:
    # g (y / x) or, exact (where x holds zeros), g prod_{i != k} x_i
    int (*prod_grad)(BV* out, const BV* g, const BV* x, const BV* y, int dim,
                     bint exact) except -1
    # zeros of meta m with g put at the indices idx along dim (-1: of the flattened m)
    int (*index_grad)(BV* out, const BV* g, const BV* idx, int dim, const Meta* m) except -1
    # ---- filled in by ops_linalg.pxi ----
    # the lower (upper) triangle j - i <= k (>= k) of x's last two dims, zeros elsewhere
    int (*tri)(BV* out, const BV* x, Py_ssize_t k, bint upper) except -1
    # ---- filled in by ops_index.pxi / ops_shape.pxi ----
    # x with zeros where mask (a bool value broadcast to x's shape) is set
    int (*masked_zero)(BV* out, const BV* x, const BV* mask) except -1
    # the sum of x where mask (broadcast to x's shape) is set: a 0-d value of x's dtype
    int (*masked_sum)(BV* out, const BV* x, const BV* mask) except -1
    # x (nd dims of sizes shape, its elements in order) rolled by shifts along each dim
    int (*roll)(BV* out, const BV* x, int nd, const Py_ssize_t* shape,
                const Py_ssize_t* shifts) except -1
    # x's elements in order, seen as nd dims of sizes shape (numel unchanged; a ViewBackward0)
    int (*view)(BV* out, const BV* x, int nd, const Py_ssize_t* shape) except -1
    # the flat take out.flat[i] = x.flat[offs[i]] of meta m (x's dtype; offs an int64 value of
    # m's numel), and its adjoint, zeros(m) with x.flat[i] added at offs[i] (repeats add up);
    # name, adjoint_name: the recorded node's names
    int (*take)(BV* out, const BV* x, const BV* offs, const Meta* m, int name,
                int adjoint_name) except -1
    int (*put)(BV* out, const BV* x, const BV* offs, const Meta* m, int name,
               int adjoint_name) except -1

    # ---- filled in by ops_elementwise.pxi ----
    # x where cond (a bool value broadcast to x's shape) is set, zeros elsewhere (keep), or
    # zeros where it is set and x elsewhere (not keep): where's gradients, recorded as torch's
    int (*where_zero)(BV* out, const BV* cond, const BV* x, bint keep) except -1

# A written-once backward: outs[i] := input i's gradient (left empty: none)
ctypedef int (*cmath_bw_t)(const CMath* M, Node* n, const BV* g, BV* outs) except -1

cdef enum:
    CMATH_SMALL = 4             # inputs whose gradients' BVs live on the C stack (more: malloc)

cdef enum:
    # the numeric backward reads a uniform gradient (one value standing for all, as a full
    # sum's) correctly as it is; the engine expands a uniform gradient for every other op
    OPF_UNIFORM_GRAD = 1
    # its HANDS_ON answers SAME or NEW for an input of the output's ndim, so from a gradient
    # that is a new tensor it hands on a new one: grad()'s bookkeeping of which results are
    # grad_outputs (or views of them) may skip asking it on the engine's common path
    OPF_FLOW_SAME_OR_NEW = 2

cdef enum:
    OP_ACCUMULATE, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW,
    OP_ADDS, OP_MULS, OP_DIVS, OP_RSUBS, OP_POWS, OP_RPOWS,
    OP_UNARY,           # neg exp log sqrt sin cos tanh sigmoid relu abs reciprocal
    OP_SUM, OP_VIEW, OP_GATHER, OP_SCATTER, OP_BMM, OP_CAST, OP_ZERO,
    OP_COUNT

cdef enum:
    MAX_OPS = 256

# What a node's formula hands input k, of its output's gradient g (torch returns g itself from
# add's formula, a view of it from view's): grad() gives back a grad_outputs tensor itself
# where torch does, and a view made in backward where torch does. An op says so by a function
# in HANDS_ON (NULL: a new tensor, always).
#   HANDS_VIEW_STRIDED  a view of g that is not contiguous (transpose, permute)
#   HANDS_VIEW_RESHAPE  g.reshape(shape): a view of g, or a copy when g is not contiguous
#   HANDS_NEW_VIEW      a view of a new tensor (torch's sum_to over leading dims: the gradient
#                       of an input broadcast to more dims)
#   HANDS_VIEW_EXPANDED g (one element) expanded: every stride 0, so transposes and reshapes of
#                       it stay views
cdef enum:
    HANDS_NEW, HANDS_SAME, HANDS_VIEW, HANDS_VIEW_STRIDED, HANDS_VIEW_RESHAPE, HANDS_NEW_VIEW,
    HANDS_VIEW_EXPANDED
ctypedef int (*hands_on_t)(Node* n, int k) noexcept

cdef enum:
    # the kinds of product OP_BMM records (its ip[0]): each has torch's own name and errors
    PROD_DOT, PROD_MV, PROD_MM, PROD_BMM


# ---- unary rows (the generated U_* ids: _gen_core.pxi, included by ops.pxi) ------------------
cdef enum:
    SAVE_NONE, SAVE_INPUT, SAVE_OUTPUT

cdef enum:
    BW_ZERO = -1             # no gradient (floor, sign, ...; a Number form's other operand)
    BW_PASS = -2             # the gradient is g itself
    BW_UNDEFINED = -3        # torch records the node, but its derivative is not implemented

ctypedef Tensor (*unary_rec_t)(Tensor g, Tensor s, const double* c)

ctypedef struct UnaryDef:
    int fwd_kernel           # forward kernel id
    int bw_kernel            # numeric backward kernel id, applied as k(g, saved); or BW_ZERO
    int saves                # SAVE_NONE | SAVE_INPUT | SAVE_OUTPUT
    int name_id              # grad_fn name
    unary_rec_t recorded     # the same derivative with pyad ops: (g, saved value, params)
    int ints                 # UI_*: what an int64 input gives (a bool input: see below)
    bint hands_same          # the derivative is g itself (fmod / remainder by a scalar), which
                             # torch's grad() hands on as that very tensor (HANDS_ON)

cdef enum:
    # an int64 input: computed in the default float dtype (exp) | by the op's own int64
    # kernel (neg, abs, relu, sign) | copied unchanged (the rounding ops, as torch's)
    UI_FLOAT, UI_KERNEL, UI_IDENTITY


# ---- ops.pxi ---------------------------------------------------------------------------------
cdef int NAME_ACCUMULATE
cdef int NAME_ADD
cdef int NAME_ALIAS
cdef int NAME_AS_STRIDED
cdef int NAME_EXPAND
cdef int NAME_PERMUTE
cdef int NAME_SELECT
cdef int NAME_SELECT_BW
cdef int NAME_SLICE
cdef int NAME_SLICE_BW
cdef int NAME_SQUEEZE0
cdef int NAME_SQUEEZE1
cdef int NAME_SQUEEZE2
cdef int NAME_SQUEEZE4
cdef int NAME_SUB
cdef int NAME_SUM1
cdef int NAME_T
cdef int NAME_TRANSPOSE
cdef int NAME_UNSQUEEZE
cdef int NAME_VIEW
cdef OpDef OPS[MAX_OPS]
cdef hands_on_t HANDS_ON[MAX_OPS]
cdef int hands_same(Node* n, int k) noexcept
cdef Tensor bool_mask(Tensor x, object pred)
cdef int category(int dtype) noexcept
cdef int check_bool_sub(Tensor a, object b) except -1
cdef int float_dtype(int dtype) noexcept
cdef void init_ops() noexcept
cdef int keepdim_meta(Meta* mk, const Meta* mx, const Py_ssize_t* mask) noexcept
cdef double param_double(object v, str op, str name) except? -1.0
cdef int refuse_integer_input(Tensor x, str kernel) except -1
cdef int register_name(str name) except -1
cdef int register_op(numeric_bw_t numeric, recorded_bw_t recorded, int flags=*) except -1
cdef int register_unary(int fwd, int bw, int saves, str name, unary_rec_t rec) except -1
cdef int result_type2(Tensor a, Tensor b) noexcept
cdef int result_type_scalar(Tensor a, object c) except -1
cdef const char* sdata(Node* n, int slot) noexcept
cdef int set_unary_int_identity(int u, str int_kernel) except -1
cdef int set_unary_ints(int u, int ints, object bool_refusal=*) except -1
cdef int set_unary_hands_same(int u) except -1
cdef int set_unary_row(int u, int fwd, int bw, int saves, int name, unary_rec_t rec) except -1
cdef const Meta* smeta(Node* n, int slot) noexcept
cdef Tensor t_add(Tensor a, Tensor b, double alpha=*)
cdef Tensor t_adds(Tensor x, double c, int name=*, int dtype=*)
cdef Tensor t_bmm_kind(Tensor a, Tensor b, int kind, Py_ssize_t nb, Py_ssize_t M, Py_ssize_t K,
                       Py_ssize_t N, int out_ndim, const Py_ssize_t* out_shape,
                       bint ta=*, bint tb=*)
cdef Tensor t_div(Tensor a, Tensor b)
cdef Tensor t_divs(Tensor x, double c)
cdef Tensor t_expand(Tensor x, int ndim, const Py_ssize_t* shape)
cdef Tensor t_gather(Tensor x, Py_ssize_t offset, const Py_ssize_t* strides, int ndim,
                     const Py_ssize_t* shape, int name, int adjoint_name)
cdef Tensor t_mul(Tensor a, Tensor b)
cdef Tensor t_muls(Tensor x, double c, int dtype=*)
cdef Tensor t_neg(Tensor x)
cdef Tensor t_permute(Tensor x, const int* perm, int name)
cdef Tensor t_pow(Tensor a, Tensor b)
cdef Tensor t_pows(Tensor x, double c, int dtype=*)
cdef Tensor t_rpows(Tensor x, double c, int dtype=*)
cdef Tensor t_rsubs(Tensor x, double c, double alpha=*, int dtype=*)
cdef Tensor t_scatter(Tensor g, Py_ssize_t offset, const Py_ssize_t* strides, int ndim,
                      const Py_ssize_t* shape, int name, int adjoint_name)
cdef Tensor t_sub(Tensor a, Tensor b, double alpha=*)
cdef Tensor t_sum(Tensor x, const Py_ssize_t* mask, bint keepdim, bint mean, bint all_dims)
cdef Tensor t_to(Tensor x, int dtype)
cdef Tensor t_transpose(Tensor x, int d0, int d1, int name=*)
cdef Tensor t_unary(int u, Tensor x, const double* c=*)
cdef Tensor t_unsafe_view(Tensor x, int ndim, const Py_ssize_t* shape)
cdef Tensor t_view(Tensor x, int ndim, const Py_ssize_t* shape, int name)
cdef unsigned char view_creation(Tensor x, unsigned char made) noexcept
cdef int mark_view(Tensor out, Tensor x, unsigned char made) except -1
cdef int sync_view_history(Tensor v) except -1
cdef str forward_name(Node* fn)
cdef object view_write_error(Tensor x)
cdef str view_rebase_message(unsigned char creation, str op, Py_ssize_t output_nr,
                             bint indirect)
cdef Tensor not_a_view(Tensor out)
cdef Tensor to_dtype_nograd(Tensor t, int dtype)
cdef int view_numeric(Node* n, Buffer* g, Buffer** gin, const Meta** gm, GradSink* sink) except -1
cdef Tensor zero_grad_of(Tensor value, Tensor x, int name)
cdef Tensor zip_forward(int k, Tensor a, Tensor b, int dtype, const double* c)
cdef Buffer* zip_numeric(int k, Buffer* g, const Meta* mg, const char* xd, const Meta* xm,
                         const char* yd, const Meta* ym, const double* c) except NULL

cdef CMath CMATH_NUM
cdef CMath CMATH_REC
cdef void bv_init(BV* v) noexcept
cdef void bv_clear(BV* v) noexcept
cdef void bv_copy(BV* out, const BV* x) noexcept
cdef void bv_set_buffer(BV* v, Buffer* b, const Meta* m) noexcept
cdef int bv_set_tensor(BV* v, Tensor t) except -1
cdef Tensor bv_t(const BV* v)
cdef void set_cmath(int op, cmath_bw_t bw, int flags) noexcept
cdef int register_cmath(cmath_bw_t bw, int flags=*) except -1

# ---- ops-level helpers defined beside their op families --------------------------------------
cdef Tensor t_unsqueeze(Tensor x, int dim)
cdef Tensor const_k(int k, Tensor a, Tensor b, const double* c)
cdef Tensor fused_axpy(Tensor a, Tensor b, double alpha, int dt)
