"""pyad.nn: neural network building blocks, as torch.nn.

Module (with torch's registration, traversal, state_dict, hooks and repr), Parameter, layers,
containers, activation and loss modules; the functional forms (pyad.nn.functional), the
initialisers (pyad.nn.init) and gradient utilities (pyad.nn.utils).
"""
from pyad.nn import functional
from pyad.nn import init
from pyad.nn.parameter import Buffer, Parameter
from pyad.nn.modules import *  # noqa: F401,F403
from pyad.nn.modules import __all__ as _modules
from pyad.nn import utils

__all__ = ["functional", "init", "utils", "Parameter", "Buffer", *_modules]
