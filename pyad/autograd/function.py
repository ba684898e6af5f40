"""pyad.autograd.Function: custom differentiable operations, as torch.autograd.Function.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

A backward written with pyad ops is itself differentiable (second derivatives work). The
node is named "<ClassName>Backward", and what backward returns is checked like torch does.
"""
import functools

from pyad import _C
from pyad._C import Tensor
from pyad.grad_mode import no_grad, is_grad_enabled

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """The ctx passed to forward and backward."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.materialize_grads = True
        self._to_save = ()
        self._saved = None
        self._released = False
        self._non_differentiable = ()
        self._dirty = ()

    def save_for_backward(self, *tensors):
        """Keep tensors (or None) for backward; read them back with saved_tensors."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._forward_saved = tensors

    def mark_non_differentiable(self, *tensors):
        """Outputs that get no grad_fn (e.g. integer indices)."""
        self._non_differentiable = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        """Whether missing output gradients reach backward as zeros (True) or None."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        if self._released:
            raise RuntimeError(_C.ERR_BACKWARD_TWICE)
        out = []
        for kind, t, version in self._saved or ():
            if kind == "none":
                out.append(None)
            elif kind == "output":
                _C._check_saved_version(t, version)
                out.append(_C._output_with_history(t, self._node_ref) if is_grad_enabled() else t)
            else:
                _C._check_saved_version(t, version)
                out.append(t)
        return tuple(out)

    def _store_saved(self, outputs):
        """After forward: saved outputs become aliases without history (no reference cycle)."""
        output_ids = {id(o) for o in outputs if isinstance(o, Tensor)}
        saved = []
        for t in self._to_save:
            if t is None:
                saved.append(("none", None, 0))
            elif id(t) in output_ids and getattr(self, "_n_diff", 0) == 1:
                saved.append(("output", _C._detached_alias(t), _C._version_of(t)))
            else:
                saved.append(("input", t, _C._version_of(t)))
        self._saved = saved
        self._to_save = ()

    def _run_backward(self, grads):
        return self._backward(self, *grads)

    def _release(self):
        # getattr: the cycle collector may have cleared this ctx's attributes before the node
        # that owns it is freed
        if getattr(self, "_saved", None) is not None:
            self._released = True
            self._saved = None


class FunctionMeta(type):
    """Gives each Function subclass its node name, <ClassName>Backward."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_name = name + "Backward"


class Function(metaclass=FunctionMeta):
    """Base class of custom differentiable operations; call them with Cls.apply(*args)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward "
                                  "mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        ctx._backward = cls.backward
        separate = cls.setup_context is not Function.setup_context
        with no_grad():
            if separate:
                output = cls.forward(*args, **kwargs)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        if separate:
            cls.setup_context(ctx, args, output)
        is_tuple = isinstance(output, tuple)
        outputs = list(output) if is_tuple else [output]
        if is_grad_enabled() and any(ctx.needs_input_grad):
            outputs = _C._record_function(ctx, cls._backward_name, args, outputs,
                                          ctx._non_differentiable)
            ctx._store_saved(outputs)
        else:
            ctx._store_saved(outputs)
        return tuple(outputs) if is_tuple else outputs[0]


def once_differentiable(fn):
    """Mark a backward as not differentiable: it runs without recording."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
