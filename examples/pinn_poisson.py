"""A physics-informed neural network (PINN) for a 1-D Poisson problem.

Solves u''(x) = -pi^2 sin(pi x) on [0, 1] with u(0) = u(1) = 0 (exact solution sin(pi x)).
A small float64 tanh MLP N(x) is trained so that the PDE residual vanishes at collocation
points; u''(x) comes from two nested ``pyad.autograd.grad`` calls with ``create_graph=True``
and the loss is differentiated once more w.r.t. the weights (third-order graph). The
boundary conditions are imposed softly, by a penalty term on u(0) and u(1). The optimiser is
a hand-written Adam. Prints the loss during training and the max error against sin(pi x) on
a fine grid, and fails if that error is not below 1e-2.
"""

import math

import numpy as np

import pyad
from pyad import autograd

WIDTH = 16
STEPS = 1500
TOL = 1e-2


def init_params(sizes):
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w = pyad.randn(n_in, n_out, dtype=pyad.float64) * math.sqrt(1.0 / n_in)
        params += [w.requires_grad_(), pyad.zeros(n_out, dtype=pyad.float64, requires_grad=True)]
    return params


def mlp(params, x):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = pyad.tanh(h @ params[i] + params[i + 1])
    return h @ params[-2] + params[-1]


def second_derivative(params, x):
    """u(x) and u''(x) at the points x (shape (n, 1), requires grad), with create_graph."""
    u = mlp(params, x)
    du = autograd.grad(u, x, grad_outputs=pyad.ones_like(u), create_graph=True)[0]
    d2u = autograd.grad(du, x, grad_outputs=pyad.ones_like(du), create_graph=True)[0]
    return u, d2u


def loss_fn(params, x, x_bc):
    _, d2u = second_derivative(params, x)
    residual = d2u + math.pi ** 2 * pyad.sin(math.pi * x)
    u_bc = mlp(params, x_bc)
    return (residual ** 2).mean() + 10.0 * (u_bc ** 2).mean()


class Adam:
    """Adam (Kingma & Ba) written out by hand on the parameters' data, under no_grad."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [pyad.zeros_like(p) for p in params]
        self.v = [pyad.zeros_like(p) for p in params]

    def step(self, grads):
        b1, b2 = self.betas
        self.t += 1
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        with pyad.no_grad():
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                m.mul_(b1).add_((1 - b1) * g)
                v.mul_(b2).add_((1 - b2) * g * g)
                p.sub_(self.lr * (m / c1) / ((v / c2).sqrt() + self.eps))


def main():
    pyad.manual_seed(0)
    params = init_params([1, WIDTH, WIDTH, 1])
    x = pyad.linspace(0, 1, 32, dtype=pyad.float64).reshape(-1, 1).requires_grad_()
    x_bc = pyad.tensor([[0.0], [1.0]], dtype=pyad.float64)
    opt = Adam(params, lr=1e-2)
    for step in range(STEPS + 1):
        loss = loss_fn(params, x, x_bc)
        grads = autograd.grad(loss, params)
        if step % 250 == 0:
            print(f"step {step:5d}  loss {loss.item():.3e}")
        if step < STEPS:
            opt.lr = 1e-2 if step < STEPS // 2 else 2e-3
            opt.step(grads)

    xs = pyad.linspace(0, 1, 201, dtype=pyad.float64).reshape(-1, 1)
    with pyad.no_grad():
        u = mlp(params, xs).numpy().ravel()
    err = np.abs(u - np.sin(np.pi * xs.numpy().ravel())).max()
    print(f"max |u - sin(pi x)| on 201 points: {err:.2e} (tolerance {TOL:.0e})")
    assert err < TOL, f"PINN did not converge: max error {err:.3e} >= {TOL}"


if __name__ == "__main__":
    main()
