"""pyad.autograd: grad and backward with torch.autograd's semantics and error messages, plus
the functional API (jacobian, hessian, vjp, jvp, hvp, vhp) and gradcheck/gradgradcheck.

Argument checking and the sweep are compiled (csrc/autograd.pxi, csrc/engine.pxi): the sweep
runs C loops, or recorded pyad ops when create_graph=True.
"""
from pyad._C import Tensor, backward, grad
from pyad.grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                            set_grad_enabled)
from pyad.autograd import functional
from pyad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from pyad.autograd import function
from pyad.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from pyad.autograd.function import Function, FunctionCtx, once_differentiable

__all__ = ["grad", "backward", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "functional", "gradcheck", "gradgradcheck", "GradcheckError",
           "Function", "FunctionCtx", "once_differentiable", "detect_anomaly",
           "set_detect_anomaly"]
