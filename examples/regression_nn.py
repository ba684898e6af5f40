"""A small regression trained the ordinary PyTorch way: an ``nn.Module`` model, ``nn.MSELoss``,
``optim.AdamW``, a learning-rate scheduler, shuffled mini-batches, ``model.train()`` /
``model.eval()``, and a ``state_dict`` round trip. Only the import differs from a torch script.

The data are noisy samples of y = sin(3 x) + 0.5 x on [-2, 2]; the model must reach a held-out
mean squared error below 0.02 (the noise variance is 0.0025), or the script fails.
"""

import pyad as torch
from pyad import nn, optim

TOL = 0.02


class Regressor(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, hidden), nn.SiLU(),
                                  nn.Linear(hidden, hidden), nn.SiLU())
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.body(x))


def make_data(n, noise):
    x = torch.rand(n, 1) * 4 - 2
    y = torch.sin(3 * x) + 0.5 * x + noise * torch.randn(n, 1)
    return x, y


def main():
    torch.manual_seed(0)
    x_train, y_train = make_data(512, 0.05)
    x_test, y_test = make_data(256, 0.0)

    model = Regressor()
    loss_fn = nn.MSELoss()
    optimizer = optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=100, gamma=0.5)
    batch_size = 64

    for epoch in range(300):
        model.train()
        perm = torch.randperm(x_train.shape[0])
        for i in range(0, x_train.shape[0], batch_size):
            idx = perm[i:i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
        scheduler.step()
        if epoch % 50 == 0:
            model.eval()
            with torch.no_grad():
                test_loss = loss_fn(model(x_test), y_test).item()
            print(f"epoch {epoch:3d}  lr {scheduler.get_last_lr()[0]:.4f}  "
                  f"train {loss.item():.4f}  test {test_loss:.4f}")

    restored = Regressor()
    restored.load_state_dict(model.state_dict())
    restored.eval()
    with torch.no_grad():
        test_mse = loss_fn(restored(x_test), y_test).item()
    print(f"test MSE after training: {test_mse:.4f} (tolerance {TOL})")
    assert test_mse < TOL, f"regression did not fit: test MSE {test_mse:.4f} >= {TOL}"


if __name__ == "__main__":
    main()
