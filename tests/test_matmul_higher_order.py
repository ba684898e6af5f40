"""Matmul's backward reads transposed operands in place (ops.pxi: ip = [..., ta, tb]), so the
gradient of a gradient builds products whose operands are stored transposed, and their own
backward handles every (ta, tb) combination. Third derivatives of mm/mv/bmm/matmul products
exercise all of them; they are compared with torch and the two sweep paths with each other.
"""

import numpy as np
import pytest

CASES = {
    "mm": ((4, 3), (3, 5), lambda pt, a, b: pt.mm(a, b)),
    "mm_square": ((4, 4), (4, 4), lambda pt, a, b: a @ b @ a),
    "mv": ((4, 3), (3,), lambda pt, a, b: pt.mv(a, b)),
    "bmm": ((2, 4, 3), (2, 3, 5), lambda pt, a, b: pt.bmm(a, b)),
    "matmul_broadcast": ((2, 4, 3), (3, 5), lambda pt, a, b: pt.matmul(a, b)),
    "vec_mat": ((3,), (3, 5), lambda pt, a, b: pt.matmul(a, b)),
}


def _third_order(pt, name, create_last):
    sa, sb, f = CASES[name]
    rng = np.random.default_rng(7)
    a = pt.tensor(rng.standard_normal(sa), requires_grad=True)
    b = pt.tensor(rng.standard_normal(sb), requires_grad=True)
    y = f(pt, a, b)
    w = pt.tensor(rng.standard_normal(tuple(y.shape)))
    loss = (pt.tanh(y) * w).sum()
    ga, gb = pt.autograd.grad(loss, (a, b), create_graph=True)
    s2 = (ga * ga).sum() + (gb * pt.sin(gb)).sum()
    ha, hb = pt.autograd.grad(s2, (a, b), create_graph=True)
    s3 = (ha * pt.cos(ha)).sum() + (hb ** 2).sum()
    ta, tb = pt.autograd.grad(s3, (a, b), create_graph=create_last)
    return [t.detach().numpy() for t in (ga, gb, ha, hb, ta, tb)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_third_derivatives_match_torch(pt, name):
    torch = pytest.importorskip("torch")
    ours = _third_order(pt, name, False)
    theirs = _third_order(torch, name, False)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", sorted(CASES))
def test_numeric_and_recorded_last_step_agree(pt, name):
    fast = _third_order(pt, name, False)
    rec = _third_order(pt, name, True)
    for o, r in zip(fast, rec):
        np.testing.assert_allclose(o, r, rtol=1e-12, atol=1e-12)


def test_gradient_of_gradient_is_one_matmul_node(pt):
    """No transpose copies: the recorded gradient of a @ b with respect to a is a product."""
    a = pt.ones(3, 4, dtype=pt.float64, requires_grad=True)
    b = pt.ones(4, 2, dtype=pt.float64, requires_grad=True)
    (ga,) = pt.autograd.grad((a @ b).sum(), a, create_graph=True)
    assert type(ga.grad_fn).__name__ == "MmBackward0"
    np.testing.assert_array_equal(ga.detach().numpy(), np.full((3, 4), 2.0))
