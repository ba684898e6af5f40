"""torch's legacy typed constructors: FloatTensor, DoubleTensor, LongTensor, BoolTensor.

They are not Tensor subclasses (in torch neither): calling one builds a plain Tensor of its
dtype with the legacy constructor's rules, and ``isinstance(t, pyad.FloatTensor)`` asks
whether t is a float32 tensor.
"""
from pyad import _C


class _LegacyTensorType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, _C.Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, **kwargs):
        return _C._legacy_new(cls.dtype, args, kwargs)

    def __repr__(cls):
        return f"<class 'pyad.{cls.__name__}'>"


class FloatTensor(metaclass=_LegacyTensorType):
    """Legacy constructor of float32 tensors: FloatTensor(*sizes) (uninitialised), FloatTensor(data)."""  # noqa: E501
    dtype = _C.float32


class DoubleTensor(metaclass=_LegacyTensorType):
    """Legacy constructor of float64 tensors: DoubleTensor(*sizes) (uninitialised), DoubleTensor(data)."""  # noqa: E501
    dtype = _C.float64


class LongTensor(metaclass=_LegacyTensorType):
    """Legacy constructor of int64 tensors: LongTensor(*sizes) (uninitialised), LongTensor(data)."""
    dtype = _C.int64


class BoolTensor(metaclass=_LegacyTensorType):
    """Legacy constructor of bool tensors: BoolTensor(*sizes) (uninitialised), BoolTensor(data)."""
    dtype = _C.bool_


for _cls in (FloatTensor, DoubleTensor, LongTensor, BoolTensor):
    _cls.__module__ = "pyad"
del _cls
