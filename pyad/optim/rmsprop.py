"""RMSprop, with torch.optim.RMSprop's options and order of operations."""
import pyad
from pyad.optim.optimizer import (Optimizer, _add_scaled, _add_scaled_, _closure_loss,
                                  _no_grad_step, _scalar_dtype)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: v = alpha * v + (1 - alpha) * g^2; p -= lr * g / (sqrt(v) + eps), optionally
    centered (v minus the squared running mean of g) and with momentum."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("momentum", 0), ("centered", False), ("foreach", None),
                               ("maximize", False), ("differentiable", False),
                               ("capturable", False)):
                group.setdefault(key, value)

    @_no_grad_step
    def step(self, closure=None):
        """One update of every parameter that has a gradient; closure (optional) recomputes
        the loss with grad mode on and its value is returned."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum = group["weight_decay"], group["momentum"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if len(state) == 0:
                    state["step"] = pyad.zeros((), dtype=_scalar_dtype())
                    state["square_avg"] = pyad.zeros_like(param)
                    if momentum > 0:
                        state["momentum_buffer"] = pyad.zeros_like(param)
                    if group["centered"]:
                        state["grad_avg"] = pyad.zeros_like(param)
                grad = param.grad if not group["maximize"] else -param.grad
                square_avg = state["square_avg"]
                state["step"] += 1
                if weight_decay != 0:
                    grad = _add_scaled(grad, param, weight_decay)
                square_avg.mul_(alpha).addcmul_(grad, grad, value=float(1 - alpha))
                if group["centered"]:
                    grad_avg = state["grad_avg"]
                    grad_avg.lerp_(grad, float(1 - alpha))
                    avg = square_avg.addcmul(grad_avg, grad_avg, value=-1.0).sqrt_()
                else:
                    avg = square_avg.sqrt()
                avg = avg.add_(eps)
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf.mul_(momentum).addcdiv_(grad, avg)
                    _add_scaled_(param, buf, -lr)
                else:
                    param.addcdiv_(grad, avg, value=-lr)
        return loss
