"""The module classes of pyad.nn (all re-exported there)."""
from pyad.nn.modules.module import Module
from pyad.nn.modules.container import (ModuleDict, ModuleList, ParameterDict, ParameterList,
                                       Sequential)
from pyad.nn.modules.layers import (BatchNorm1d, BatchNorm2d, BatchNorm3d, Bilinear, CosineSimilarity, Dropout,
                                    Embedding, Flatten, GroupNorm, Identity, LayerNorm, Linear,
                                    PairwiseDistance, RMSNorm, Unflatten)
from pyad.nn.modules.activation import *  # noqa: F401,F403
from pyad.nn.modules.activation import __all__ as _activations
from pyad.nn.modules.loss import *  # noqa: F401,F403
from pyad.nn.modules.loss import __all__ as _losses

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
           "Identity", "Linear", "Bilinear", "Flatten", "Unflatten", "Dropout", "Embedding",
           "LayerNorm", "GroupNorm", "RMSNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "PairwiseDistance", "CosineSimilarity", *_activations,
           *_losses]
