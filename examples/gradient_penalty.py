"""A WGAN-GP gradient penalty: differentiating through a gradient.

A small float64 tanh critic D(x) (2 -> 16 -> 16 -> 1) scores "real" and "fake" 2-D samples.
The WGAN-GP critic loss is D(fake).mean() - D(real).mean() + lam * ((|g| - 1)^2).mean(),
where g = dD/dx at random interpolates x_hat of real and fake samples, taken with
``autograd.grad(..., create_graph=True)`` so that the penalty stays differentiable. The
gradient of the total loss w.r.t. the critic's weights then runs back through that
gradient (double backward). Prints the loss terms and the gradient norms per parameter, and
checks one weight's derivative against a central finite difference (relative error < 1e-6).
"""

import numpy as np

import pyad
from pyad import autograd

LAM = 10.0
BATCH = 64


def critic(params, x):
    w1, b1, w2, b2, w3, b3 = params
    h = pyad.tanh(x @ w1 + b1)
    h = pyad.tanh(h @ w2 + b2)
    return (h @ w3 + b3).squeeze(-1)


def critic_loss(params, real, fake, alpha):
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_()
    d_hat = critic(params, x_hat)
    g = autograd.grad(d_hat, x_hat, grad_outputs=pyad.ones_like(d_hat), create_graph=True)[0]
    penalty = ((g.norm(dim=1) - 1) ** 2).mean()
    wasserstein = critic(params, fake).mean() - critic(params, real).mean()
    return wasserstein + LAM * penalty, wasserstein, penalty


def main():
    pyad.manual_seed(0)
    f64 = pyad.float64
    params = [pyad.randn(2, 16, dtype=f64), pyad.zeros(16, dtype=f64),
              pyad.randn(16, 16, dtype=f64) * 0.25, pyad.zeros(16, dtype=f64),
              pyad.randn(16, 1, dtype=f64) * 0.25, pyad.zeros(1, dtype=f64)]
    for p in params:
        p.requires_grad_()
    real = pyad.randn(BATCH, 2, dtype=f64) * 0.5 + pyad.tensor([2.0, -1.0], dtype=f64)
    fake = pyad.randn(BATCH, 2, dtype=f64)
    alpha = pyad.rand(BATCH, 1, dtype=f64)

    total, wasserstein, penalty = critic_loss(params, real, fake, alpha)
    grads = autograd.grad(total, params)
    print(f"critic loss {total.item():.6f} = wasserstein {wasserstein.item():.6f} "
          f"+ {LAM:g} * penalty {penalty.item():.6f}")
    for name, g in zip(["w1", "b1", "w2", "b2", "w3", "b3"], grads):
        print(f"  |dL/d{name}| = {g.norm().item():.6f}")

    # Central finite difference for one weight of the first layer (the penalty term reaches
    # it only through the input gradient g, so this checks the double backward).
    w1, (i, j), eps = params[0], (1, 3), 1e-5
    values = []
    for sign in (1, -1):
        with pyad.no_grad():
            w1[i, j] += sign * eps
        values.append(critic_loss(params, real, fake, alpha)[0].item())
        with pyad.no_grad():
            w1[i, j] -= sign * eps
    fd = (values[0] - values[1]) / (2 * eps)
    ad = grads[0][i, j].item()
    rel = abs(ad - fd) / max(abs(fd), 1e-12)
    print(f"dL/dw1[{i},{j}]: autograd {ad:.10f}  finite difference {fd:.10f}  "
          f"relative error {rel:.1e}")
    assert rel < 1e-6, f"double-backward gradient disagrees with finite difference: {rel:.3e}"


if __name__ == "__main__":
    main()
