"""A physics-informed neural network written the way PyTorch users write one: an
``nn.Sequential`` of ``Linear``/``Tanh`` layers in an ``nn.Module``, trained with ``optim.Adam``
and then refined with ``optim.LBFGS`` (strong Wolfe line search). Only the import differs
from a torch script (``import pyad as torch``).

Problem: u''(x) = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0; the exact solution is
sin(pi x). u'' comes from ``torch.autograd.grad`` with ``create_graph=True``. Prints the loss
during training and the max error against sin(pi x), and fails if it is not below 1e-3.
"""

import math

import pyad as torch
from pyad import nn, optim

TOL = 1e-3


class PINN(nn.Module):
    def __init__(self, width=20, depth=3):
        super().__init__()
        layers = [nn.Linear(1, width), nn.Tanh()]
        for _ in range(depth - 1):
            layers += [nn.Linear(width, width), nn.Tanh()]
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def pde_residual(model, x):
    u = model(x)
    du = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)[0]
    d2u = torch.autograd.grad(du, x, torch.ones_like(du), create_graph=True)[0]
    return d2u + math.pi ** 2 * torch.sin(math.pi * x)


def main():
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float64)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = PINN().to(device)
    x = torch.linspace(0, 1, 64, device=device).unsqueeze(1).requires_grad_(True)
    x_bc = torch.tensor([[0.0], [1.0]], device=device)
    mse = nn.MSELoss()

    def loss_fn():
        residual = pde_residual(model, x)
        return mse(residual, torch.zeros_like(residual)) + mse(model(x_bc),
                                                               torch.zeros_like(x_bc))

    adam = optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(1001):
        adam.zero_grad()
        loss = loss_fn()
        loss.backward()
        adam.step()
        if epoch % 250 == 0:
            print(f"adam  epoch {epoch:4d}  loss {loss.item():.3e}")

    lbfgs = optim.LBFGS(model.parameters(), lr=1.0, max_iter=500, history_size=50,
                        tolerance_grad=1e-10, tolerance_change=1e-14,
                        line_search_fn="strong_wolfe")

    def closure():
        lbfgs.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    lbfgs.step(closure)
    print(f"lbfgs final loss {loss_fn().item():.3e}")

    model.eval()
    xs = torch.linspace(0, 1, 201, device=device).unsqueeze(1)
    with torch.no_grad():
        err = (model(xs) - torch.sin(math.pi * xs)).abs().max().item()
    print(f"max |u - sin(pi x)| on 201 points: {err:.2e} (tolerance {TOL:.0e})")
    assert err < TOL, f"PINN did not converge: max error {err:.3e} >= {TOL}"


if __name__ == "__main__":
    main()
