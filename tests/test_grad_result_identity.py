"""What grad() returns, object by object, against torch: the grad_output itself, a view made in
backward (in no_grad mode) of it or of a tensor a formula made, or a new tensor.

torch's formulas hand some gradients on unchanged (x + c, a + b, clone, a squeeze that
removes nothing) and some as views (view, reshape, transpose, a full sum's expand). The
engine's HANDS_ON table says which; these tests hold it to torch for every op that has an
entry, with grad_outputs that do and do not require grad. Observable: `r is grad_output`,
`r.requires_grad`, and whether an in-place change that autograd would record is refused
(views made in no_grad mode refuse it).
"""

import pytest

torch = pytest.importorskip("torch")

import pyad  # noqa: E402

# (name, f(m, x), shape of x)
OPS = [
    ("x+c", lambda m, x: x + 2.0, (2, 3)),
    ("c+x", lambda m, x: 2.0 + x, (2, 3)),
    ("x-c", lambda m, x: x - 1.5, (2, 3)),
    ("x+y", lambda m, x: x + m.ones(2, 3, dtype=m.float64), (2, 3)),
    ("y+x", lambda m, x: m.ones(2, 3, dtype=m.float64) + x, (2, 3)),
    ("x-y", lambda m, x: x - m.ones(2, 3, dtype=m.float64), (2, 3)),
    ("y-x", lambda m, x: m.ones(2, 3, dtype=m.float64) - x, (2, 3)),
    ("x+x", lambda m, x: x + x, (2, 3)),
    ("add-alpha", lambda m, x: m.add(x, x, alpha=2.0), (2, 3)),
    ("clone", lambda m, x: x.clone(), (2, 3)),
    # the derivative is g itself (campaign 64: pyad returned a new tensor)
    ("remainder-c", lambda m, x: m.remainder(x, 0.75), (2, 3)),
    ("fmod-c", lambda m, x: m.fmod(x, -0.5), (2, 3)),
    ("remainder-c-sin", lambda m, x: m.remainder(x.sin(), 0.25), (2, 3)),
    ("x*1", lambda m, x: x * 1.0, (2, 3)),
    ("view", lambda m, x: x.view(6), (2, 3)),
    ("reshape", lambda m, x: x.reshape(3, 2), (2, 3)),
    ("flatten", lambda m, x: x.flatten(), (2, 3)),
    ("unsqueeze", lambda m, x: x.unsqueeze(0), (2, 3)),
    ("squeeze-some", lambda m, x: x.squeeze(0), (1, 3)),
    ("squeeze-none", lambda m, x: x.squeeze(0), (2, 3)),
    ("squeeze-all", lambda m, x: x.squeeze(), (2, 3)),
    ("x[()]", lambda m, x: x[()], (2, 3)),
    ("x[...]", lambda m, x: x[...], (2, 3)),
    ("x[0]", lambda m, x: x[0], (2, 3)),
    ("x[:, 1:]", lambda m, x: x[:, 1:], (2, 3)),
    ("t", lambda m, x: x.t(), (2, 3)),
    ("transpose", lambda m, x: x.transpose(0, 1), (2, 3)),
    ("permute", lambda m, x: x.permute(1, 0), (2, 3)),
    ("expand-same", lambda m, x: x.expand(2, 3), (2, 3)),
    ("expand", lambda m, x: x.expand(4, 2, 3), (2, 3)),
    ("repeat-same", lambda m, x: x.repeat(1, 1), (2, 3)),
    ("repeat", lambda m, x: x.repeat(2, 1), (2, 3)),
    ("view.t", lambda m, x: x.view(3, 2).t(), (2, 3)),
    ("view+c", lambda m, x: x.view(6) + 1.0, (2, 3)),
    ("t.reshape", lambda m, x: x.t().reshape(6), (2, 3)),
    ("t.unsqueeze.view", lambda m, x: x.t().unsqueeze(0).view(3, 2), (2, 3)),
    ("permute.flatten", lambda m, x: x.permute(1, 0).flatten(), (2, 3)),
    ("t.t.view", lambda m, x: x.t().t().view(6), (2, 3)),
    ("x+y-broadcast", lambda m, x: x + m.ones(4, 3, dtype=m.float64), (3,)),
    ("x+y-keepdim", lambda m, x: x + m.ones(2, 3, dtype=m.float64), (1, 3)),
    ("y-x-broadcast", lambda m, x: m.ones(4, 3, dtype=m.float64) - x, (3,)),
    ("x*y-broadcast", lambda m, x: x * m.ones(4, 3, dtype=m.float64), (3,)),
    ("x/y-broadcast", lambda m, x: x / m.ones(4, 3, dtype=m.float64), (3,)),
    ("x**y-broadcast", lambda m, x: x ** m.ones(4, 3, dtype=m.float64), (3,)),
    ("y*x-broadcast", lambda m, x: m.ones(2, 4, 3, dtype=m.float64) * x, (4, 3)),
    ("expand-keepdim", lambda m, x: x.expand(4, 3), (1, 3)),
    ("cumsum-1", lambda m, x: x.cumsum(1), (2, 1)),
    ("cumsum", lambda m, x: x.cumsum(0), (2, 3)),
    ("exp", lambda m, x: x.exp(), (2, 3)),
    ("sum-dim", lambda m, x: x.sum(0), (2, 3)),
    ("mean", lambda m, x: x.mean(), (2, 3)),
]


def _outcome(m, f, shape, g_requires, seed):
    x = m.ones(*shape, dtype=m.float64, requires_grad=True)
    y = f(m, x)
    if seed:
        g = m.ones(tuple(y.shape), dtype=m.float64, requires_grad=g_requires)
        (r,) = m.autograd.grad(y, [x], grad_outputs=[g])
    else:
        g = None
        (r,) = m.autograd.grad(y.sum(), [x])
    same = r is g
    requires = r.requires_grad
    try:
        r.mul_(m.ones(*shape, dtype=m.float64, requires_grad=True))
        refused = None
    except RuntimeError as e:
        refused = str(e).split(".")[0]
    return same, requires, refused


@pytest.mark.parametrize("g_requires", [False, True])
@pytest.mark.parametrize("name, f, shape", OPS, ids=[o[0] for o in OPS])
def test_grad_result_is_what_torch_returns(name, f, shape, g_requires):
    want = _outcome(torch, f, shape, g_requires, True)
    got = _outcome(pyad, f, shape, g_requires, True)
    assert got == want


@pytest.mark.parametrize("name, f, shape", OPS, ids=[o[0] for o in OPS])
def test_grad_result_from_the_implicit_seed_is_what_torch_returns(name, f, shape):
    assert _outcome(pyad, f, shape, False, False) == _outcome(torch, f, shape, False, False)
