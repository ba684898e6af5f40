"""Stochastic gradient descent, with torch.optim.SGD's options and order of operations."""
from pyad.optim.optimizer import (
    Optimizer,
    _add_scaled,
    _add_scaled_,
    _closure_loss,
    _no_grad_step,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD with optional momentum (and dampening), Nesterov momentum, weight decay and maximize.

    The update per parameter is torch's: g = grad (+ weight_decay * p); with momentum
    buf = momentum * buf + (1 - dampening) * g (buf = g on the first step), and g = buf or, for
    Nesterov, g + momentum * buf; then p -= lr * g.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    @_no_grad_step
    def step(self, closure=None):
        """One update of every parameter that has a gradient; closure (optional) recomputes
        the loss with grad mode on and its value is returned."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            dampening, weight_decay = group["dampening"], group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad if not group["maximize"] else -param.grad
                if weight_decay != 0:
                    grad = _add_scaled(grad, param, weight_decay)
                if momentum != 0:
                    state = self.state[param]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = grad.detach().clone()
                        state["momentum_buffer"] = buf
                    else:
                        _add_scaled_(buf.mul_(momentum), grad, 1 - dampening)
                    grad = _add_scaled(grad, buf, momentum) if group["nesterov"] else buf
                _add_scaled_(param, grad, -lr)
        return loss
