"""pyad.backends: torch.backends' flags, accepted and remembered; pyad's CPU kernels do not
depend on them (they are deterministic and use no cuDNN or MPS)."""
from pyad.backends import cuda, cudnn, mps  # noqa: F401

__all__ = ["cuda", "cudnn", "mps"]
