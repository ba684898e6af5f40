"""pyad.nn.Parameter and pyad.nn.Buffer: the tensors a Module registers when they are assigned
to its attributes."""
import weakref

import pyad

__all__ = ["Parameter", "Buffer"]


class Parameter(pyad.Tensor):
    """A leaf tensor that a Module registers as a parameter when assigned to one of its
    attributes. It shares ``data``'s storage and requires grad unless told otherwise; results of
    operations on it are plain tensors, as in torch."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = pyad.empty(0)
        return pyad.Tensor._make_subclass(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass   # everything happens in __new__; this keeps Tensor's __init__ from seeing the args

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (type(self), self.data, self.requires_grad))

    def __reduce__(self):
        return self.__reduce_ex__(2)


def _rebuild_parameter(cls, data, requires_grad):
    return cls(data, requires_grad)


class _BufferMeta(type):
    def __instancecheck__(cls, instance):
        return _buffer_persistence(instance) is not None


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor, assigned to a Module attribute, as a buffer (``persistent=False`` keeps it
    out of the state_dict). As in torch, constructing one gives back a detached plain tensor,
    tagged as a buffer."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = pyad.empty(0)
        t = data.detach()
        _BUFFER_TAGS[id(t)] = (weakref.ref(t), persistent)
        weakref.finalize(t, _BUFFER_TAGS.pop, id(t), None)
        return t


# pyad.Tensor cannot take new attributes, so the tag torch keeps on the tensor lives here,
# keyed by id, holding a weak reference and dropped when the tensor dies.
_BUFFER_TAGS = {}


def _buffer_persistence(value):
    """The ``persistent`` flag given to Buffer(...) for this tensor, or None if not a Buffer."""
    entry = _BUFFER_TAGS.get(id(value))
    if entry is None or entry[0]() is not value:
        return None
    return entry[1]
