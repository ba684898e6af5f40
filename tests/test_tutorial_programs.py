"""Programs written here in the style of the official PyTorch autograd and nn tutorials (not
copied from them). Each is run twice in this process: as written, with `import torch`, and
with only its imports changed to pyad; both must print the same text. Random numbers differ
between the libraries, so the programs set their values from linspace/arange."""
import contextlib
import io
import re

import pytest

torch = pytest.importorskip("torch")

AUTOGRAD_BASICS = '''
import torch

x = torch.ones(2, 2, requires_grad=True)
print(x)
y = x + 2
print(y)
print(y.grad_fn.name(), y.is_leaf, x.is_leaf)
z = y * y * 3
out = z.mean()
print(z, out)

a = torch.linspace(-1.0, 2.0, 4).reshape(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn.name())

out.backward()
print(x.grad)

x = torch.linspace(0.5, 1.5, 3, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print(x.grad)

print(x.requires_grad)
print((x ** 2).requires_grad)
with torch.no_grad():
    print((x ** 2).requires_grad)
y = x.detach()
print(y.requires_grad)
print(x.eq(y).all())
'''

AUTOGRAD_FUNCTIONS = '''
import torch

x = torch.linspace(-1.0, 1.0, 5)
y = torch.zeros(3)
w = torch.linspace(-0.5, 0.5, 15).reshape(5, 3).requires_grad_()
b = torch.linspace(0.1, 0.3, 3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(z.grad_fn.name(), loss.grad_fn.name())
loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
z_det = (torch.matmul(x, w) + b).detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nSecond call\\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nCall after zeroing gradients\\n{inp.grad}")
'''

NN_NET = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 6)
        self.fc2 = nn.Linear(6, 4)
        self.fc3 = nn.Linear(4, 2)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


net = Net()
print(net)
params = list(net.parameters())
print(len(params))
print(params[0].size())
for name, p in net.named_parameters():
    print(name, tuple(p.shape), p.requires_grad)

with torch.no_grad():
    for i, p in enumerate(net.parameters()):
        p.copy_(torch.linspace(-1.0, 1.0, p.numel()).reshape(p.shape) * (0.5 + 0.1 * i))

input = torch.linspace(-2.0, 2.0, 16).reshape(2, 8)
out = net(input)
print(out)

net.zero_grad()
out.backward(torch.ones(2, 2))
print(net.fc1.bias.grad)

output = net(input)
target = torch.arange(4.0).reshape(2, 2)
criterion = nn.MSELoss()
loss = criterion(output, target)
print(loss)
print(loss.grad_fn.name())

net.zero_grad()
print("fc1.bias.grad before backward")
print(net.fc1.bias.grad)
loss.backward()
print("fc1.bias.grad after backward")
print(net.fc1.bias.grad)

learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)
print(criterion(net(input), target))
print(net.state_dict().keys())
'''

NN_MODULE_TOUR = '''
import torch
from torch import nn

model = nn.Sequential(
    nn.Flatten(),
    nn.Linear(6, 5),
    nn.ReLU(),
    nn.Linear(5, 3),
)
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) + i).reshape(p.shape))
print(model)
X = torch.linspace(-1.0, 1.0, 12).reshape(2, 2, 3)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")
print(f"Model structure: {model}\\n\\n")
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \\n")

loss_fn = nn.CrossEntropyLoss()
loss = loss_fn(logits, torch.tensor([2, 0]))
loss.backward()
print(loss)
print(model[1].weight.grad)

model.eval()
with torch.no_grad():
    print(model(X).argmax(1))
model.train()
print(model.training, model[1].training)
'''

NN_TRAINING = '''
import torch
import torch.nn as nn
import torch.optim as optim

torch.set_default_dtype(torch.float64)
model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel()) * 0.7 + i).reshape(p.shape))
x = torch.linspace(-1.0, 1.0, 20).reshape(10, 2)
y = (x[:, :1] * 2 - x[:, 1:]) ** 2
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(30):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch}: loss {loss.item():.8f}")
print(model[0].bias)
'''

PROGRAMS = {
    "autograd_basics": AUTOGRAD_BASICS,
    "autograd_functions": AUTOGRAD_FUNCTIONS,
    "nn_net": NN_NET,
    "nn_module_tour": NN_MODULE_TOUR,
    "nn_training": NN_TRAINING,
}


def with_pyad_imports(source):
    """The program with only its imports changed: torch -> pyad."""
    source = re.sub(r"^import torch\.nn\.functional as F$", "import pyad.nn.functional as F",
                    source, flags=re.M)
    source = re.sub(r"^import torch\.nn as nn$", "import pyad.nn as nn", source, flags=re.M)
    source = re.sub(r"^from torch import nn$", "from pyad import nn", source, flags=re.M)
    source = re.sub(r"^import torch\.optim as optim$", "import pyad.optim as optim", source,
                    flags=re.M)
    source = re.sub(r"^import torch$", "import pyad as torch", source, flags=re.M)
    assert "import torch" not in source
    return source


def run(source):
    import pyad
    saved = [(mod, mod.get_default_dtype()) for mod in (torch, pyad)]
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            exec(compile(source, "<tutorial>", "exec"), {"__name__": "__tutorial__"})
    finally:   # a program may change the default dtype: restore it for the other tests
        for mod, dtype in saved:
            mod.set_default_dtype(dtype)
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_tutorial_program_prints_what_torch_prints(name):
    if "optim" in PROGRAMS[name]:
        pytest.importorskip("pyad.optim", reason="pyad.optim comes with another branch")
    expected = run(PROGRAMS[name]).replace("torch.", "pyad.")
    got = run(with_pyad_imports(PROGRAMS[name]))
    assert got == expected
