"""Grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode.

The flag itself is thread-local C state.
"""
import functools

from pyad import _C

is_grad_enabled = _C.is_grad_enabled


class _GradModeContext:
    """Base of the grad-mode switches: a context manager that also works as a decorator."""

    _mode = True

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper


class _NoParamSwitch(_GradModeContext):
    """A switch without arguments, usable bare as a decorator (@no_grad), like torch's."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamSwitch):
    """Stop recording operations (inside the block or the decorated function).

    Works as ``with no_grad():``, ``@no_grad()`` and bare ``@no_grad``, like torch.
    """

    _mode = False


class enable_grad(_NoParamSwitch):
    """Record operations again, e.g. inside a no_grad block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off: as a call, a context manager or a decorator."""

    def __init__(self, mode):
        self._mode = bool(mode)
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, func):
        _C._set_grad_enabled(self._prev)
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)
        return wrapper


class inference_mode(_GradModeContext):
    """Inference mode on (``mode=True``, the default) or off, as a context manager or decorator.

    For pyad this is grad mode switched off (on for ``mode=False``, as in torch, where leaving
    inference mode re-enables grad): ``with inference_mode():`` records nothing, like
    ``no_grad()``. pyad has no inference tensors: what is created inside is an ordinary tensor
    that does not require grad, it can be used in recorded computations later (torch raises
    "Inference tensors cannot be saved for backward" there), and there are no version counters
    or view tracking to skip, so it is not faster than ``no_grad``.

    Works as ``with inference_mode():``, ``@inference_mode``, ``@inference_mode()`` and
    ``@inference_mode(False)``, like torch.
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode=True):
        self.mode = mode
        self._mode = not mode

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        """A copy of this context manager (same mode)."""
        return self.__class__(self.mode)
