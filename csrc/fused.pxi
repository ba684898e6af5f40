# fused.pxi: updates whose rounding must equal torch's CPU kernels (add/sub with alpha, and
# pyad.optim's `x + alpha * y`).
#
# torch's vectorised CPU kernels evaluate `self + alpha * other` (add with alpha) as one fused
# multiply-add, and its scalar tail loops are compiled so that they fuse too: an optimizer's
# trajectory is only bitwise equal to torch's when pyad fuses the same products. C99's
# fma()/fmaf() round once, in hardware or in libm's exact software fallback, so the results do
# not depend on the build's ISA flags. lerp and addcmul, which torch's kernels fuse the same
# way, are op table entries (csrc/op_table.py, fma in their forward); their in-place forms
# write into the tensor when nothing is recorded, which is what pyad.optim calls.
#
# These write into the tensor's buffer and bump its version, like every in-place op; they
# record no history, so they refuse a tensor that autograd would have to see (pyad.optim runs
# them under no_grad, on leaves).

from libc.math cimport fma, fmaf


cdef int _fused_target(Tensor x) except -1:
    check_inplace(x)
    if pyad_is_grad_enabled() and requires_grad_flag(x):
        raise RuntimeError("pyad: fused in-place updates record no history; call them under "
                           "pyad.no_grad()")
    if x.m.dtype > PYAD_F64:
        raise RuntimeError(f"pyad: fused in-place updates need a floating-point tensor, got "
                           f"{DTYPE_NAMES[x.m.dtype]}")
    return 0


cdef Tensor _fused_operand(Tensor x, object other, str name):
    """other as a tensor of x's dtype and shape (a scalar or a broadcastable tensor)."""
    cdef Tensor o = other if isinstance(other, Tensor) else scalar0d(other, x.m.dtype)
    if o.m.dtype != x.m.dtype:
        o = to_dtype_nograd(o, x.m.dtype)
    cdef Py_ssize_t bshape[PYAD_MAXDIM]
    cdef Meta bm
    if not same_shape(&o.m, &x.m):
        bm.shape = bshape
        broadcast_meta(&x.m, &o.m, &bm)     # torch's message when the shapes cannot broadcast
        if not same_shape(&bm, &x.m):
            raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast "
                               f"shape {_shape_str(bm.ndim, bm.shape)}")
        o = t_expand(o, x.m.ndim, x.m.shape)
    return o


def _fused_add_(Tensor x, other, double alpha):
    """x <- fma(other, alpha, x): torch's add_(other, alpha=alpha)."""
    _fused_target(x)
    cdef Tensor o = _fused_operand(x, other, "other")
    cdef Py_ssize_t i, n = x.m.numel
    cdef double* xd
    cdef double* od
    cdef float* xf
    cdef float* of
    cdef float af = <float>alpha
    if x.m.dtype == PYAD_F64:
        xd = <double*>x.buf.data
        od = <double*>o.buf.data
        for i in range(n):
            xd[i] = fma(od[i], alpha, xd[i])
    else:
        xf = <float*>x.buf.data
        of = <float*>o.buf.data
        for i in range(n):
            xf[i] = fmaf(of[i], af, xf[i])
    x.buf.version += 1
    return x


cdef Tensor fused_axpy(Tensor a, Tensor b, double alpha, int dt):
    """a + alpha * b rounded once, as torch's add(alpha=) kernel, for float operands of one
    shape; None when they need broadcasting (the caller then takes the two-rounding path)."""
    cdef Tensor ac, bc, out
    cdef Py_ssize_t i, n
    cdef double* od
    cdef double* ad
    cdef double* bd
    cdef float* of
    cdef float* af
    cdef float* bf
    cdef float alpha32 = <float>alpha
    if not same_shape(&a.m, &b.m):
        return None
    ac = to_dtype_nograd(a, dt)
    bc = to_dtype_nograd(b, dt)
    out = new_tensor(dt, ac.m.ndim, ac.m.shape)
    n = out.m.numel
    if dt == PYAD_F64:
        od = <double*>out.buf.data
        ad = <double*>ac.buf.data
        bd = <double*>bc.buf.data
        for i in range(n):
            od[i] = fma(bd[i], alpha, ad[i])
    else:
        of = <float*>out.buf.data
        af = <float*>ac.buf.data
        bf = <float*>bc.buf.data
        for i in range(n):
            of[i] = fmaf(bf[i], alpha32, af[i])
    return out
