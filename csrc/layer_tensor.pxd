# layer_tensor.pxd: the Tensor layer of pyad._C (tensor.pxi): dtypes, shape and dim arguments,
# composite ops (reshape family, matmul, indexing), operand coercion for the operators, and the
# Tensor type's Python methods. Above the engine (backward() runs it); below the op families
# (ops_*.pxi, inplace, fused, interop, function, the generated files, _C.pyx's module-level
# functions), which use what this file declares. The Tensor's fields are the storage layer's
# (layer_storage.pxd). Included by pyad/_C.pxd (the layers: ARCHITECTURE.md).

from cpython.object cimport PyMethodDef, PyCFunction


cdef class dtype:
    cdef readonly int code       # PYAD_F32 ... PYAD_BOOL

cdef enum:
    # the operator of binop/rbinop (Python's + - * / **)
    BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_POW

cdef list _DTYPES
cdef int _extreme_empty_dims(Tensor x, object dim, str opname) except -1
cdef object _methods()
cdef Tensor _tensor_instance(type cls, Tensor src)
cdef Tensor _tensor_from_data(object data)
cdef int add_tensor_method(str name, object fn) except -1
cdef int add_tensor_noargs(PyMethodDef* d, PyCFunction fn, const char* name,
                           const char* doc) except -1
cdef object as_scalar_or_tensor(object o)
cdef object binop(int which, object a, object b)
cdef int check_int64_items(str fn, str arg, object items) except -1
cdef int check_select_bounds(Py_ssize_t idx, Py_ssize_t size, Py_ssize_t key_pos) except -1
cdef int check_storage_size(int nd, const Py_ssize_t* shp, int dtype) except -1
cdef bint dim_arg_ok(object dim)
cdef int dims_mask(Tensor x, object dim, Py_ssize_t* mask, str fn=*,
                   bint wrap_first=*) except -1
cdef int dtype_code(object d) except -1
cdef bint fill_exact_int(Tensor t, object value) except -1
cdef Tensor index_select_int(Tensor r, int dim, Py_ssize_t idx, Py_ssize_t real_dim=*)
cdef Py_ssize_t slice_bounds(object it, Py_ssize_t size, Py_ssize_t* start,
                             Py_ssize_t* step, bint* whole) except -1
cdef Tensor index_slice(Tensor r, int dim, object it, bint single)
cdef object _int64_arg(object v)
cdef object wrap_int64(object v)
cdef object int64_index(object it)
cdef bint is_int_arg(object v)
cdef bint is_index_tensor(object v)
cdef object dims_arg(object dim)
cdef bint is_scalar(object o) noexcept
cdef Tensor make_subclass(cls, data, require_grad)
cdef object named_result(object r, str fn, object other)
cdef bint numel_overflows(int nd, const Py_ssize_t* shp) noexcept
cdef int parse_shape(object args, Py_ssize_t* out, str fn=*, str arg=*) except -1
cdef int reject_complex(object v) except -1
cdef Tensor t_getitem(Tensor x, object index, int* last_view=*)
cdef Tensor t_matmul(Tensor a, Tensor b)
cdef Tensor t_reshape(Tensor x, object shape, int name=*, str fn=*, str arg=*)
cdef Tensor t_squeeze(Tensor x, const Py_ssize_t* mask, int name)
cdef int wrap_dim(object dim, int ndim) except -100
cdef object rbinop(int which, Tensor x, object c)
cdef Tensor check_leaf_view(Tensor x)
cdef object augmented_result(Tensor x, object r)
cdef object size_of(Tensor t)
cdef object add_with_alpha(Tensor x, object other, object alpha, bint subtract)
cdef str _requires_grad_leaf_error(bint requires_grad)
cdef object _subclass_repr_name(type cls)

# defined in _C.pyx beside the module-level functions that use it too
cdef Tensor need_tensor(object obj, str fn, str arg, int pos)

# Tensor-level helpers defined beside the op family that uses them most
cdef Tensor scalar0d(object v, int dtype, bint wrap=*)
cdef long long int64_of(object v, bint wrap) except? -1
cdef int check_f32_value(object v, int dtype) except -1
cdef int check_scalar_range(object v) except -1
cdef int check_inplace_torch(Tensor x) except -1
cdef Tensor inplace_result(Tensor x, Tensor r)
cdef int check_inplace_write(Tensor x, const Meta* result, int dtype) except -1
cdef int set_requires_grad(Tensor t, bint value) except -1
cdef object NP_NDARRAY             # numpy's types, looked up once (ops_index.pxi)
cdef object NP_BOOL
cdef object NP_INTEGER
cdef bint seq_as_tuple(object index, bint warn=*)
cdef bint is_basic_index(object it)
cdef bint is_int_array0d(object it)
cdef int check_slice_step(object it) except -1
cdef int check_np_bool_index(object index) except -1
cdef int check_index_count(Tensor x, object index) except -1
cdef int check_0d_single_key(Tensor x, object index) except -1
