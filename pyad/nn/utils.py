"""pyad.nn.utils: gradient clipping and flattening parameters to one vector and back.

Clipping computes as torch does (per-tensor norms, then the norm of those norms; one clip
coefficient max_norm / (total + 1e-6) clamped at 1), so from a given total norm the clipped
gradients are torch's to the bit.
"""
import types
import warnings

import pyad
from pyad import linalg
from pyad.nn.module import _typename

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]


def _as_list(parameters):
    return [parameters] if isinstance(parameters, pyad.Tensor) else list(parameters)


def _get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False):
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return pyad.tensor(0.0)
    norms = [linalg.vector_norm(g, norm_type) for g in tensors]
    if len({n.dtype for n in norms}) > 1:
        norms = [n.double() for n in norms]
    total_norm = linalg.vector_norm(pyad.stack(norms), norm_type)
    if error_if_nonfinite and bool(total_norm.isnan() | total_norm.isinf()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`")
    return total_norm


def _clip_grads_with_norm_(parameters, max_norm, total_norm):
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    clip_coef = float(max_norm) / (total_norm + 1e-6)
    clip_coef_clamped = pyad.clamp(clip_coef, max=1.0)
    for g in grads:
        g.mul_(clip_coef_clamped.to(g.dtype) if clip_coef_clamped.dtype is not g.dtype
               else clip_coef_clamped)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients in place so that their joint norm is at most max_norm; returns the
    joint norm before clipping."""
    with pyad.no_grad():
        if isinstance(parameters, pyad.Tensor):
            parameters = [parameters]
        else:
            is_generator = isinstance(parameters, types.GeneratorType)
            parameters = list(parameters)
            if is_generator and not parameters:
                warnings.warn("`parameters` is an empty generator, no gradient clipping will "
                              "occur.", stacklevel=3)
        grads = [p.grad for p in parameters if p.grad is not None]
        total_norm = _get_total_norm(grads, norm_type, error_if_nonfinite)
        _clip_grads_with_norm_(parameters, max_norm, total_norm)
        return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of clip_grad_norm_."""
    warnings.warn("`pyad.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`pyad.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    with pyad.no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)


def parameters_to_vector(parameters):
    """The parameters, flattened and concatenated into one 1-D tensor (differentiable)."""
    return pyad.cat([param.reshape(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' data (shapes kept)."""
    if not isinstance(vec, pyad.Tensor):
        raise TypeError(f"expected pyad.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].reshape(param.shape).data
        pointer += num_param
