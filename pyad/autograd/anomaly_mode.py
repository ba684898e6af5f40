"""Anomaly detection, as torch.autograd.detect_anomaly / set_detect_anomaly.

While it is on, every recorded node keeps the stack of the forward call that made it, and each
backward formula's results are checked for NaN: the first NaN raises
"Function 'MulBackward0' returned nan values in its 0th output." after a warning that shows
where that op was called in the forward pass. It slows recording down; use it to debug.
"""
import warnings

from pyad import _C

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


def is_anomaly_enabled():
    return _C._anomaly_state()[0]


def is_anomaly_check_nan_enabled():
    return _C._anomaly_state()[1]


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on inside it."""

    def __init__(self, check_nan=True):
        self.prev = _C._anomaly_state()
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        _C._set_anomaly(True, self.check_nan)

    def __exit__(self, *exc):
        _C._set_anomaly(*self.prev)
        return False

    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return func(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off: as a call or as a context manager."""

    def __init__(self, mode, check_nan=True):
        self.prev = _C._anomaly_state()
        _C._set_anomaly(bool(mode), bool(check_nan))

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _C._set_anomaly(*self.prev)
        return False
