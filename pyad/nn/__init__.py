"""pyad.nn: neural network building blocks, as torch.nn.

Module (with torch's registration, traversal, state_dict, hooks and repr), Parameter, layers,
containers, activation and loss modules; the functional forms (pyad.nn.functional), the
initialisers (pyad.nn.init) and gradient utilities (pyad.nn.utils).
"""
from pyad.nn import functional
from pyad.nn import init
from pyad.nn.parameter import Buffer, Parameter
from pyad.nn.module import Module
from pyad.nn.container import (ModuleDict, ModuleList, ParameterDict, ParameterList,
                               Sequential)
from pyad.nn.layers import *  # noqa: F403
from pyad.nn.layers import __all__ as _layers
from pyad.nn.activation import *  # noqa: F403
from pyad.nn.activation import __all__ as _activations
from pyad.nn.loss import *  # noqa: F403
from pyad.nn.loss import __all__ as _losses
from pyad.nn import utils

__all__ = ["functional", "init", "utils", "Parameter", "Buffer", "Module", "Sequential",
           "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", *_layers,
           *_activations, *_losses]
