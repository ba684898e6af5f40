"""pyad.linalg: torch.linalg's API over pyad tensors.

The primitives (vector_norm, solve, inv, det, slogdet, cholesky) are compiled ops in
``pyad._C`` (csrc/ops_linalg.pxi): forward through numpy's LAPACK, backward written with
differentiable pyad ops so higher derivatives work. Matrix norms are built from vector norms.
"""
import math as _math

from pyad import _C

LinAlgError = _C.LinAlgError

__all__ = ["LinAlgError", "vector_norm", "matrix_norm", "norm", "solve", "inv", "det",
           "slogdet", "cholesky"]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The ord-norm of x over dim (all elements by default). LinalgVectorNormBackward0.

    Args:
        ord: any number, inf or -inf (default 2). 0 counts the nonzero elements.
        dim: an int, a tuple of ints, or None (all dims).
        keepdim: keep the reduced dims with size 1 (default False).
        dtype: compute in (and return) this floating dtype.

    Example:
        >>> pyad.linalg.vector_norm(pyad.tensor([3., 4.]))
        tensor(5.)
    """
    return _C._linalg_vector_norm(x, ord, dim, keepdim, dtype=dtype)


def _dims2(A, dim):
    if len(dim) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. "
                           f"Got {' '.join(map(str, dim))}")
    d0, d1 = (d + A.ndim if d < 0 else d for d in dim)
    if not (0 <= d0 < A.ndim and 0 <= d1 < A.ndim):
        bad = dim[0] if not 0 <= d0 < A.ndim else dim[1]
        raise IndexError(f"Dimension out of range (expected to be in range of [{-A.ndim}, "
                         f"{A.ndim - 1}], but got {bad})")
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    return d0, d1


class _DefaultOrd(str):
    """matrix_norm's default ord 'fro', told apart from an explicit 'fro' (torch's parser)."""


_FRO = _DefaultOrd("fro")


def _matrix_norm_not_a_tensor(A, ord, dim, keepdim, dtype, out):
    """torch's parser error for a non-tensor A: the argument's own message when every other
    argument is at its default, else 'invalid combination' listing the arguments given."""
    kws = [(n, v) for n, v, d in (("dim", dim, (-2, -1)), ("keepdim", keepdim, False),
                                  ("dtype", dtype, None), ("out", out, None))
           if not (v is d or v == d)]
    if ord is _FRO and not kws:
        raise TypeError(f"linalg_matrix_norm(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(A).__name__}")
    got = [type(A).__name__] + ([] if ord is _FRO else [type(ord).__name__])
    got += [f"{n}={type(v).__name__}" for n, v in kws]
    sig = ("tuple of ints dim = {-2,-1}, bool keepdim = False, *, pyad.dtype dtype = None, "
           "Tensor out = None)")
    raise TypeError(f"linalg_matrix_norm() received an invalid combination of arguments - got "
                    f"({', '.join(got)}), but expected one of:\n"
                    f" * (Tensor input, Number ord, {sig}\n"
                    f" * (Tensor input, str ord = \"fro\", {sig}\n")


def matrix_norm(A, ord=_FRO, dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Matrix norm over the two dims in dim: 'fro', 1, -1, inf, -inf.

    The spectral norms (2, -2) and 'nuc' need an SVD with derivatives and are not supported.

    Example:
        >>> pyad.linalg.matrix_norm(pyad.tensor([[3., 0.], [0., 4.]]))
        tensor(5.)
    """
    if not isinstance(A, _C.Tensor):    # torch's argument parser, before the order
        _matrix_norm_not_a_tensor(A, ord, dim, keepdim, dtype, out)
    if ord not in (("fro", "nuc") if isinstance(ord, str) else (1, -1, 2, -2, _math.inf,
                                                                -_math.inf)):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    d0, d1 = _dims2(A, dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"pyad: linalg.matrix_norm with ord={ord!r} (an SVD-based "
                                  "norm) is not supported")
    # 1-norms reduce rows then take the max/min over columns; inf-norms the other way round
    inner, outer = (d0, d1) if abs(ord) == 1 else (d1, d0)
    sums = vector_norm(A, 1, inner, keepdim, dtype=dtype)
    if not keepdim and outer > inner:
        outer -= 1
    r = vector_norm(sums, _math.inf if ord > 0 else -_math.inf, outer, keepdim)
    return _C._named_as(r, "AmaxBackward0" if ord > 0 else "AminBackward0")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """Vector or matrix norm, as torch.linalg.norm: a vector norm unless ord is given for a
    2-D input or dim names two dims.

    Example:
        >>> pyad.linalg.norm(pyad.tensor([[1., 2.], [2., 4.]]))
        tensor(5.)
    """
    if dim is not None:
        dim = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dim)}")
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.ndim}D.")
        if isinstance(ord, str):                # 'fro' / 'nuc' are matrix norms only
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        dim = tuple(range(A.ndim))
    if len(dim) == 1 and not isinstance(ord, str):
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, dim, keepdim, dtype=dtype)


def solve(A, B, *, left=True, out=None):
    """The solution X of A X = B (or X A = B with left=False); batched, B may be a vector.
    LinalgSolveExBackward0.

    Example:
        >>> pyad.linalg.solve(pyad.tensor([[2., 0.], [0., 4.]]), pyad.tensor([2., 2.]))
        tensor([1.0000, 0.5000])
    """
    return _C._linalg_solve(A, B, left=left)


def inv(A, *, out=None):
    """The inverse of a square matrix (or batch). LinalgInvExBackward0.

    Example:
        >>> pyad.linalg.inv(pyad.tensor([[2., 0.], [0., 4.]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    return _C._linalg_inv(A)


def det(A, *, out=None):
    """The determinant of a square matrix (or batch). LinalgDetBackward0.

    Example:
        >>> pyad.linalg.det(pyad.tensor([[2., 0.], [0., 4.]]))
        tensor(8.)
    """
    return _C._linalg_det(A)


linalg_slogdet = _C._make_return_type("linalg_slogdet", ("sign", "logabsdet"))


def slogdet(A, *, out=None):
    """(sign, log|det|) of a square matrix (or batch); gradients flow through logabsdet.

    Example:
        >>> pyad.linalg.slogdet(pyad.tensor([[-2., 0.], [0., 4.]])).logabsdet
        tensor(2.0794)
    """
    return linalg_slogdet(_C._linalg_slogdet(A))


def cholesky(A, *, upper=False, out=None):
    """The Cholesky factor L (A = L L^T) of a symmetric positive-definite matrix (or batch);
    upper=True returns L^T. LinalgCholeskyExBackward0.

    Example:
        >>> pyad.linalg.cholesky(pyad.tensor([[4., 0.], [0., 9.]]))
        tensor([[2., 0.],
                [0., 3.]])
    """
    if type(upper) is not bool:     # torch's argument parser, before the tensor's checks
        raise TypeError(f"linalg_cholesky(): argument 'upper' must be bool, not "
                        f"{type(upper).__name__}")
    return _C._linalg_cholesky(A, upper=upper)
