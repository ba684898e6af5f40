"""Flatten parameters into one vector and back."""
import pyad
from pyad.nn.modules.module import _typename

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """The parameters, flattened and concatenated into one 1-D tensor (differentiable)."""
    return pyad.cat([param.reshape(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' data (shapes kept)."""
    if not isinstance(vec, pyad.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].reshape(param.shape).data
        pointer += num_param
