"""Full-batch gradient descent for logistic regression, pyad against a numpy reference.

Synthetic data: 500 points with 5 features and labels drawn from a logistic model (float64).
pyad trains weights and bias with ``F.binary_cross_entropy_with_logits`` and ``.backward()``;
the numpy reference takes exactly the same steps with the hand-written gradient
X^T (sigmoid(X w + b) - y) / n. Prints both losses every 50 steps, both final weights, the
max difference (checked below 1e-10) and the training accuracy.
"""

import numpy as np

import pyad
import pyad.nn.functional as F

N, D = 500, 5
STEPS, LR = 300, 0.5


def make_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, D))
    w_true, b_true = rng.standard_normal(D), 0.5
    y = (rng.random(N) < 1 / (1 + np.exp(-(x @ w_true + b_true)))).astype(np.float64)
    return x, y, np.zeros(D), 0.0          # all logits start at exactly 0


def numpy_step(x, y, w, b):
    z = x @ w + b
    p = 1 / (1 + np.exp(-z))
    loss = np.mean(np.logaddexp(0, z) - y * z)
    r = (p - y) / len(y)
    return loss, w - LR * (x.T @ r), b - LR * r.sum()


def main():
    x_np, y_np, w0, b0 = make_data()
    x, y = pyad.from_numpy(x_np), pyad.from_numpy(y_np)
    w = pyad.tensor(w0, requires_grad=True)
    b = pyad.tensor(b0, dtype=pyad.float64, requires_grad=True)
    w_ref, b_ref = w0.copy(), b0
    for step in range(STEPS):
        loss = F.binary_cross_entropy_with_logits(x @ w + b, y)
        loss.backward()
        with pyad.no_grad():
            w -= LR * w.grad
            b -= LR * b.grad
        w.grad = None
        b.grad = None
        loss_ref, w_ref, b_ref = numpy_step(x_np, y_np, w_ref, b_ref)
        if step % 50 == 0 or step == STEPS - 1:
            print(f"step {step:3d}  loss pyad {loss.item():.12f}  numpy {loss_ref:.12f}")
    w_out = np.append(w.detach().numpy(), b.item())
    w_ref = np.append(w_ref, b_ref)
    diff = np.abs(w_out - w_ref).max()
    acc = np.mean(((x_np @ w_out[:-1] + w_out[-1]) > 0) == (y_np > 0.5))
    print("weights, bias pyad :", w_out.round(8))
    print("weights, bias numpy:", w_ref.round(8))
    print(f"max |w_pyad - w_numpy| = {diff:.2e}  (training accuracy {acc:.3f})")
    assert diff < 1e-10, f"pyad and the numpy reference differ by {diff:.3e}"


if __name__ == "__main__":
    main()
