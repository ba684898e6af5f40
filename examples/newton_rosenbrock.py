"""Newton's method with ``pyad.autograd.functional.hessian`` on the Rosenbrock function.

f(x) = sum_i 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2 in 10 dimensions, minimum f = 0 at
x = (1, ..., 1). Each iteration takes the gradient from ``autograd.grad``, the full 10 x 10
Hessian from ``autograd.functional.hessian``, solves H p = -g with ``pyad.linalg.solve`` and
backtracks along p until f decreases enough (Armijo). Starts from (-1.2, ..., -1.2);
prints f, |grad| and the step length per iteration and the final
distance to the minimum, and fails if it does not get within 1e-10 of it.
"""

import pyad
from pyad import autograd

DIM = 10
MAX_ITERS = 100
TOL = 1e-10


def rosenbrock(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def main():
    x = pyad.full((DIM,), -1.2, dtype=pyad.float64)
    ones = pyad.ones(DIM, dtype=pyad.float64)
    for it in range(MAX_ITERS + 1):
        xg = x.detach().requires_grad_()
        f = rosenbrock(xg)
        g = autograd.grad(f, xg)[0]
        if g.norm().item() < 1e-12:
            break
        if it == MAX_ITERS:
            raise AssertionError(f"no convergence in {MAX_ITERS} Newton iterations")
        h = autograd.functional.hessian(rosenbrock, x)
        p = pyad.linalg.solve(h, -g)
        slope, kind = (g * p).sum().item(), "newton"
        if slope >= 0:  # H not positive definite here: fall back to steepest descent
            p, slope, kind = -g, -(g * g).sum().item(), "gradient"
        t = 1.0
        while rosenbrock(x + t * p).item() > f.item() + 1e-4 * t * slope:
            t *= 0.5
        x = x + t * p
        print(f"iter {it + 1:2d}  f {f.item():.3e}  |grad| {g.norm().item():.3e}  "
              f"{kind} step {t:g}")
    err = (x - ones).abs().max().item()
    print(f"converged in {it} Newton iterations: f(x) = {f.item():.3e}, "
          f"|grad| = {g.norm().item():.1e}, max |x - 1| = {err:.2e}")
    assert err < TOL, f"Newton's method did not converge: max |x - 1| = {err:.3e}"


if __name__ == "__main__":
    main()
