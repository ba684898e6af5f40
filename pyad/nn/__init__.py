"""pyad.nn: the functional building blocks of neural networks (pyad.nn.functional)."""
from pyad.nn import functional

__all__ = ["functional"]
