"""pyad.optim: torch.optim's optimizers and learning-rate schedulers.

    from pyad import optim
    opt = optim.Adam(model.parameters(), lr=1e-3)

Each update uses torch's single-tensor formulas in torch's order of operations, with the
products torch's CPU kernels fuse computed as fused multiply-adds, so float64 trajectories
equal torch's bit for bit (LBFGS: see its docstring).
"""
from pyad.optim import lr_scheduler
from pyad.optim.adagrad import Adagrad
from pyad.optim.adam import Adam, AdamW
from pyad.optim.lbfgs import LBFGS
from pyad.optim.optimizer import (Optimizer, register_optimizer_step_post_hook,
                                  register_optimizer_step_pre_hook)
from pyad.optim.rmsprop import RMSprop
from pyad.optim.sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "LBFGS", "Optimizer", "RMSprop", "SGD", "lr_scheduler",
           "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]
