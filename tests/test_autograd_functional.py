"""``autograd.functional`` (jacobian, hessian, vjp, jvp, hvp, vhp) and
``grad(is_grads_batched=True)``.

Values are checked against finite differences and closed forms (no torch needed); the
cross-checks against torch 2.13 (values, ``requires_grad``, tuple structure, exact messages
with ``torch.`` spelled ``pyad.``) skip cleanly without torch.
"""

import numpy as np
import pytest

from conftest import AGAINST_TORCH, numeric_grad, numeric_hessian, raises_exact, sub

RNG = np.random.default_rng(1234)
X3 = RNG.standard_normal(3)
Y23 = RNG.standard_normal((2, 3))
V2 = RNG.standard_normal(2)
V3 = RNG.standard_normal(3)


def t64(m, a, requires_grad=False):
    return m.tensor(np.asarray(a, dtype=np.float64), dtype=m.float64, requires_grad=requires_grad)


def npy(t):
    return np.array(t.detach().numpy(), dtype=np.float64)


# ----------------------------------------------------------------------------
# the functions used throughout: f(m, *inputs), m the module (pyad or torch)
# ----------------------------------------------------------------------------

def f_scalar(m, x):
    return (x.exp() * x.sin()).sum()


def f_mat(m, x, y):
    return (y @ x).tanh()


def f_two_out(m, x, z):
    return (x * z).sum(), x**2


def f_lin_x(m, x, y):
    return (x * 3).sum() + (y**2).sum()


def f_only_x(m, x, y):
    return (x * 3).sum()


def bind(m, f):
    return lambda *inputs: f(m, *inputs)


# ============================================================================
# jacobian
# ============================================================================


def test_jacobian_single_input_output_matches_finite_differences(pt):
    x = t64(pt, X3)
    J = pt.autograd.functional.jacobian(lambda t: (t.sin() * t.sum()), x)
    assert tuple(J.shape) == (3, 3)
    num = np.stack([numeric_grad(lambda a, i=i: (np.sin(a) * a.sum())[i], X3) for i in range(3)])
    np.testing.assert_allclose(npy(J), num, rtol=1e-6, atol=1e-8)
    assert not J.requires_grad


def test_jacobian_tuple_structure_and_shapes(pt):
    x, y = t64(pt, X3), t64(pt, Y23)
    J = pt.autograd.functional.jacobian(bind(pt, f_mat), (x, y))
    assert type(J) is tuple and len(J) == 2
    assert tuple(J[0].shape) == (2, 3) and tuple(J[1].shape) == (2, 2, 3)
    z = t64(pt, V3)
    J = pt.autograd.functional.jacobian(bind(pt, f_two_out), (x, z))
    assert type(J) is tuple and all(type(row) is tuple and len(row) == 2 for row in J)
    assert [tuple(j.shape) for j in J[0]] == [(3,), (3,)]
    assert [tuple(j.shape) for j in J[1]] == [(3, 3), (3, 3)]
    np.testing.assert_allclose(npy(J[1][0]), np.diag(2 * X3))
    np.testing.assert_allclose(npy(J[1][1]), np.zeros((3, 3)))
    J = pt.autograd.functional.jacobian(lambda t: (t * 2, t.sum()), x)
    assert type(J) is tuple and [tuple(j.shape) for j in J] == [(3, 3), (3,)]


def test_jacobian_of_unused_input_is_zeros(pt):
    x, y = t64(pt, X3), t64(pt, Y23)
    J = pt.autograd.functional.jacobian(lambda a, b: a * 2, (x, y))
    np.testing.assert_array_equal(npy(J[1]), np.zeros((3, 2, 3)))
    J = pt.autograd.functional.jacobian(lambda a: pt.ones(2, dtype=pt.float64), x)
    np.testing.assert_array_equal(npy(J), np.zeros((2, 3)))


def test_jacobian_create_graph_is_differentiable(pt):
    x = t64(pt, X3, requires_grad=True)
    J = pt.autograd.functional.jacobian(lambda t: t**3, x, create_graph=True)
    assert J.requires_grad
    np.testing.assert_allclose(npy(J), np.diag(3 * X3**2))
    (g,) = pt.autograd.grad(J.sum(), x)
    np.testing.assert_allclose(npy(g), 6 * X3)


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_vectorize_gives_the_same_values(pt, vectorize):
    x, z = t64(pt, X3), t64(pt, V3)
    J = pt.autograd.functional.jacobian(bind(pt, f_two_out), (x, z), vectorize=vectorize)
    np.testing.assert_allclose(npy(J[0][0]), V3)
    np.testing.assert_allclose(npy(J[0][1]), X3)
    np.testing.assert_allclose(npy(J[1][0]), np.diag(2 * X3))


def test_jacobian_forward_mode_returns_lists_in_the_output_dtype(pt):
    x = t64(pt, X3)
    J = pt.autograd.functional.jacobian(lambda t: (t.float() * 2, t.sin()), (x,),
                                        vectorize=True, strategy="forward-mode")
    assert type(J) is list and all(type(row) is list for row in J)
    assert J[0][0].dtype == pt.float32 and J[1][0].dtype == pt.float64
    np.testing.assert_allclose(npy(J[1][0]), np.diag(np.cos(X3)))
    J = pt.autograd.functional.jacobian(lambda t: t.sin(), x, vectorize=True,
                                        strategy="forward-mode")
    np.testing.assert_allclose(npy(J), np.diag(np.cos(X3)))


def test_jacobian_argument_errors(pt):
    x = t64(pt, X3)
    F = pt.autograd.functional
    with raises_exact(AssertionError, 'Expected strategy to be either "forward-mode" or '
                      '"reverse-mode". Hint: If your function has more outputs than inputs, '
                      '"forward-mode" tends to be more performant. Otherwise, prefer to use '
                      '"reverse-mode".'):
        F.jacobian(lambda t: t, x, strategy="sideways")
    with raises_exact(NotImplementedError, "Computing Jacobian using forward-AD or "
                      "forward-over-reverse Hessian isonly implemented for `vectorize=True`."):
        F.jacobian(lambda t: t, x, strategy="forward-mode")
    with raises_exact(NotImplementedError, "pyad.autograd.functional.jacobian: "
                      "`create_graph=True` and `strategy=\"forward-mode\"` are not supported "
                      "together (yet). Please either set `create_graph=False` or "
                      "`strategy=\"reverse-mode\"`."):
        F.jacobian(lambda t: t, x, create_graph=True, strategy="forward-mode")
    with raises_exact(RuntimeError, "pyad.autograd.functional.jacobian: `strict=True` and "
                      "`strategy=\"forward-mode\"` are not supported together (yet). Please "
                      "either set `strict=False` or `strategy=\"reverse-mode\"`."):
        F.jacobian(lambda t: t, x, strict=True, vectorize=True, strategy="forward-mode")
    with raises_exact(RuntimeError, "pyad.autograd.functional.jacobian: `strict=True` and "
                      "`vectorized=True` are not supported together. Please either set "
                      "`strict=False` or `vectorize=False`."):
        F.jacobian(lambda t: t * 2, x, strict=True, vectorize=True)
    with raises_exact(TypeError, "The inputs given to jacobian must be either a Tensor or a "
                      "tuple of Tensors but the given inputs has type <class 'list'>."):
        F.jacobian(lambda t: t, [x])
    with raises_exact(TypeError, "The inputs given to jacobian must be either a Tensor or a "
                      "tuple of Tensors but the value at index 1 has type <class 'int'>."):
        F.jacobian(lambda a, b: a, (x, 3))
    with raises_exact(TypeError, "The outputs of the user-provided function given to jacobian "
                      "must be either a Tensor or a tuple of Tensors but the given outputs of "
                      "the user-provided function has type <class 'list'>."):
        F.jacobian(lambda t: [t], x)


def test_jacobian_strict_messages(pt):
    x, y = t64(pt, X3), t64(pt, Y23)
    F = pt.autograd.functional
    with raises_exact(RuntimeError, "Output 0 of the user-provided function is independent of "
                      "input 1. This is not allowed in strict mode."):
        F.jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with raises_exact(RuntimeError, "Output 0 of the user-provided function does not require "
                      "gradients. The outputs must be computed in a differentiable manner from "
                      "the input when running in strict mode."):
        F.jacobian(lambda a: pt.ones(2), x, strict=True)
    with raises_exact(RuntimeError, "The jacobian of the user-provided function is independent "
                      "of input 0. This is not allowed in strict mode when create_graph=True."):
        F.jacobian(lambda a: a * 2, x, strict=True, create_graph=True)


# ============================================================================
# hessian
# ============================================================================


def test_hessian_matches_finite_differences(pt):
    x = t64(pt, X3)
    H = pt.autograd.functional.hessian(bind(pt, f_scalar), x)
    num = numeric_hessian(f=lambda a: float((np.exp(a) * np.sin(a)).sum()), x=X3, eps=1e-4)
    np.testing.assert_allclose(npy(H), num, rtol=1e-5, atol=1e-6)
    H2 = pt.autograd.functional.hessian(lambda a: (a**3).sum(), t64(pt, Y23))
    assert tuple(H2.shape) == (2, 3, 2, 3)
    np.testing.assert_allclose(npy(H2).reshape(6, 6), np.diag(6 * Y23.reshape(-1)))


def test_hessian_of_function_linear_in_some_inputs_is_zeros(pt):
    x, y = t64(pt, X3), t64(pt, V2)
    H = pt.autograd.functional.hessian(bind(pt, f_lin_x), (x, y))
    assert type(H) is tuple and all(type(row) is tuple for row in H)
    assert [[tuple(h.shape) for h in row] for row in H] == [[(3, 3), (3, 2)], [(2, 3), (2, 2)]]
    for h in (H[0][0], H[0][1], H[1][0]):
        np.testing.assert_array_equal(npy(h), 0.0)
    np.testing.assert_array_equal(npy(H[1][1]), 2 * np.eye(2))
    H = pt.autograd.functional.hessian(lambda a: (a * 2).sum(), x)
    np.testing.assert_array_equal(npy(H), np.zeros((3, 3)))


def test_hessian_create_graph_and_vectorize(pt):
    x = t64(pt, X3, requires_grad=True)
    H = pt.autograd.functional.hessian(lambda a: (a**4).sum(), x, create_graph=True)
    assert H.requires_grad
    (g,) = pt.autograd.grad(H.sum(), x)
    np.testing.assert_allclose(npy(g), 24 * X3)
    for kw in ({"vectorize": True}, {"vectorize": True, "outer_jacobian_strategy": "forward-mode"}):
        Hv = pt.autograd.functional.hessian(lambda a: (a**4).sum(), x.detach(), **kw)
        np.testing.assert_allclose(npy(Hv), np.diag(12 * X3**2))


def test_hessian_errors(pt):
    x = t64(pt, X3)
    F = pt.autograd.functional
    with raises_exact(RuntimeError, "The Tensor returned by the function given to hessian "
                      "should contain a single element"):
        F.hessian(lambda a: a * a, x)
    with raises_exact(RuntimeError, "The function given to hessian should return a single "
                      "Tensor"):
        F.hessian(lambda a: ((a * a).sum(),), x)
    with raises_exact(RuntimeError, "While computing the hessian, found that the jacobian of "
                      "the user-provided function with respect to input 0 is independent of the "
                      "input. This is not allowed in strict mode. You should ensure that your "
                      "function is twice differentiable and that the jacobian depends on the "
                      "inputs (this would be violated by a linear function for example)."):
        F.hessian(lambda a: (a * 2).sum(), x, strict=True)
    with raises_exact(AssertionError,
                      'Expected strategy to be either "forward-mode" or "reverse-mode".'):
        F.hessian(lambda a: (a * a).sum(), x, outer_jacobian_strategy="up")


# ============================================================================
# vjp, jvp, hvp, vhp
# ============================================================================


def test_vjp_jvp_agree_with_the_jacobian(pt):
    x, y = t64(pt, X3), t64(pt, Y23)
    F = pt.autograd.functional
    J = F.jacobian(bind(pt, f_mat), (x, y))
    out, (vx, vy) = F.vjp(bind(pt, f_mat), (x, y), t64(pt, V2))
    np.testing.assert_allclose(npy(out), np.tanh(Y23 @ X3))
    np.testing.assert_allclose(npy(vx), V2 @ npy(J[0]))
    np.testing.assert_allclose(npy(vy), np.einsum("i,ijk->jk", V2, npy(J[1])))
    vy_in = RNG.standard_normal((2, 3))
    out, jv = F.jvp(bind(pt, f_mat), (x, y), (t64(pt, V3), t64(pt, vy_in)))
    expected = npy(J[0]) @ V3 + np.einsum("ijk,jk->i", npy(J[1]), vy_in)
    np.testing.assert_allclose(npy(jv), expected)
    assert not out.requires_grad and not jv.requires_grad


def test_vjp_default_v_for_scalar_output(pt):
    x = t64(pt, X3)
    out, g = pt.autograd.functional.vjp(bind(pt, f_scalar), x)
    np.testing.assert_allclose(npy(g), np.exp(X3) * (np.sin(X3) + np.cos(X3)))


def test_jvp_of_multiple_outputs_and_constant_output(pt):
    x, y = t64(pt, X3), t64(pt, Y23)
    out, jv = pt.autograd.functional.jvp(lambda a, b: (a * 2, pt.ones(2, dtype=pt.float64)),
                                         (x, y), (t64(pt, V3), t64(pt, Y23)))
    assert type(jv) is tuple
    np.testing.assert_allclose(npy(jv[0]), 2 * V3)
    np.testing.assert_array_equal(npy(jv[1]), np.zeros(2))


def test_hvp_and_vhp(pt):
    x = t64(pt, X3)
    F = pt.autograd.functional
    H = np.diag(np.exp(X3) * 2 * np.cos(X3))   # (e^x sin x)'' = 2 e^x cos x
    _, hv = F.hvp(bind(pt, f_scalar), x, t64(pt, V3))
    _, vh = F.vhp(bind(pt, f_scalar), x, t64(pt, V3))
    np.testing.assert_allclose(npy(hv), H @ V3)
    np.testing.assert_allclose(npy(vh), V3 @ H)
    x2, y = t64(pt, X3), t64(pt, V2)
    for fn in (F.hvp, F.vhp):
        _, (a, b) = fn(bind(pt, f_lin_x), (x2, y), (t64(pt, V3), t64(pt, V2)))
        np.testing.assert_array_equal(npy(a), np.zeros(3))
        np.testing.assert_allclose(npy(b), 2 * V2)


def test_create_graph_results_are_differentiable(pt):
    x = t64(pt, X3, requires_grad=True)
    v = t64(pt, V3)
    F = pt.autograd.functional
    for fn in (F.vjp, F.jvp):
        out, r = fn(lambda a: a**3, x, v, create_graph=True)
        assert out.requires_grad and r.requires_grad
        (g,) = pt.autograd.grad(r.sum(), x)
        np.testing.assert_allclose(npy(g), 6 * X3 * V3)
    for fn in (F.hvp, F.vhp):
        out, r = fn(lambda a: (a**4).sum(), x, v, create_graph=True)
        (g,) = pt.autograd.grad(r.sum(), x)
        np.testing.assert_allclose(npy(g), 24 * X3 * V3)


def test_v_validation_messages(pt):
    x, y = t64(pt, X3), t64(pt, Y23)
    F = pt.autograd.functional
    with raises_exact(RuntimeError, "The vector v can only be None if the user-provided "
                      "function returns a single Tensor with a single element."):
        F.vjp(bind(pt, f_mat), (x, y))
    with raises_exact(RuntimeError, "The vector v can only be None if the input to the "
                      "user-provided function is a single Tensor with a single element."):
        F.jvp(bind(pt, f_mat), (x, y))
    with raises_exact(RuntimeError, "v is a tuple of invalid length: should be 2 but got 1."):
        F.jvp(bind(pt, f_mat), (x, y), (t64(pt, V3),))
    with raises_exact(RuntimeError, "The given v should contain a single Tensor."):
        F.vjp(bind(pt, f_mat), (x, y), (t64(pt, V2), t64(pt, V2)))
    with raises_exact(RuntimeError, "v has invalid size: should be pyad.Size([2]) but got "
                      "pyad.Size([3])."):
        F.vjp(bind(pt, f_mat), (x, y), t64(pt, V3))
    with raises_exact(RuntimeError, "Entry 1 in v has invalid size: should be "
                      "pyad.Size([2, 3]) but got pyad.Size([3])."):
        F.hvp(lambda a, b: (b @ a).sum(), (x, y), (t64(pt, V3), t64(pt, V3)))
    with raises_exact(RuntimeError, "The function given to vhp should return a single Tensor"):
        F.vhp(lambda a: (a.sum(), a.sum()), x, t64(pt, V3))
    with raises_exact(RuntimeError, "The Tensor returned by the function given to hvp should "
                      "contain a single element"):
        F.hvp(lambda a: a * a, x, t64(pt, V3))


def test_strict_messages_of_the_product_functions(pt):
    x, y = t64(pt, X3), t64(pt, V2)
    F = pt.autograd.functional
    v = (t64(pt, V3), t64(pt, V2))
    with raises_exact(RuntimeError, "The output of the user-provided function is independent "
                      "of input 1. This is not allowed in strict mode."):
        F.vjp(bind(pt, f_only_x), (x, y), strict=True)
    with raises_exact(RuntimeError, "The output of the user-provided function is independent "
                      "of input 1. This is not allowed in strict mode."):
        F.jvp(lambda a, b: a * 2, (x, y), v, strict=True)
    with raises_exact(RuntimeError, "While computing the hessian, found that the jacobian of "
                      "the user-provided function with respect to input 0 is independent of the "
                      "input. This is not allowed in strict mode. You should ensure that your "
                      "function is twice differentiable and that the jacobian depends on the "
                      "inputs (this would be violated by a linear function for example)."):
        F.vhp(lambda a, b: (a * 3).sum() + (b * b).sum(), (x, y), v, strict=True)
    with raises_exact(RuntimeError, "The jacobian of the user-provided function is independent "
                      "of input 0. This is not allowed in strict mode when create_graph=True."):
        F.vjp(lambda a: a * 2, x, v[0], strict=True, create_graph=True)
    with raises_exact(RuntimeError, "The hessian of the user-provided function is independent "
                      "of input 0. This is not allowed in strict mode when create_graph=True."):
        F.vhp(lambda a: (a * a).sum(), x, v[0], strict=True, create_graph=True)


def test_inputs_requiring_grad_are_not_changed_and_results_detached(pt):
    x = t64(pt, X3, requires_grad=True)
    out, g = pt.autograd.functional.vjp(bind(pt, f_scalar), x)
    assert out.grad_fn is None and g.grad_fn is None
    assert x.grad is None and x.requires_grad
    with pt.no_grad():
        J = pt.autograd.functional.jacobian(lambda a: a * a, x)
        assert not pt.is_grad_enabled()
    np.testing.assert_allclose(npy(J), np.diag(2 * X3))


# ============================================================================
# grad(..., is_grads_batched=True)
# ============================================================================

BATCHED = ("If `is_grads_batched=True`, we interpret the first dimension of each grad_output "
           "as the batch dimension. The sizes of the remaining dimensions are expected to match "
           "the shape of corresponding output, but a mismatch was detected: grad_output[{i}] "
           "has a shape of pyad.Size({g}) and output[{i}] has a shape of pyad.Size({o}). If you "
           "only want some tensors in `grad_output` to be considered batched, consider using "
           "vmap.")


def test_batched_grad_values(pt):
    x = t64(pt, X3, requires_grad=True)
    y = x**2
    (g,) = pt.autograd.grad(y, x, pt.eye(3, dtype=pt.float64), is_grads_batched=True,
                            retain_graph=True)
    np.testing.assert_allclose(npy(g), np.diag(2 * X3))
    B = RNG.standard_normal((4, 3))
    (g,) = pt.autograd.grad(y, x, t64(pt, B), is_grads_batched=True)
    np.testing.assert_allclose(npy(g), B * 2 * X3)
    assert not g.requires_grad


def test_batched_grad_multiple_outputs_and_inputs(pt):
    x, z = t64(pt, X3, requires_grad=True), t64(pt, V2, requires_grad=True)
    outs = [x * 3, (x.sum() * z)]
    go = [t64(pt, np.ones((2, 3))), t64(pt, np.arange(4.0).reshape(2, 2))]
    gx, gz = pt.autograd.grad(outs, [x, z], go, is_grads_batched=True)
    go1 = np.arange(4.0).reshape(2, 2)
    np.testing.assert_allclose(npy(gx), 3 + (go1 @ V2)[:, None] * np.ones((2, 3)))
    np.testing.assert_allclose(npy(gz), go1 * X3.sum())


def test_batched_grad_unused_inputs(pt):
    x, z = t64(pt, X3, requires_grad=True), t64(pt, V2, requires_grad=True)
    y = x * 2
    gx, gz = pt.autograd.grad(y, [x, z], pt.eye(3, dtype=pt.float64), is_grads_batched=True,
                              allow_unused=True, retain_graph=True)
    assert gz is None
    gx, gz = pt.autograd.grad(y, [x, z], pt.eye(3, dtype=pt.float64), is_grads_batched=True,
                              materialize_grads=True, retain_graph=True)
    assert tuple(gz.shape) == (2,)     # torch materialises an unbatched zeros_like(input)
    msg = ("The differentiated Tensor at index 1 appears to not have been used in the graph. "
           "Set allow_unused=True if this is the desired behavior.")
    with raises_exact(RuntimeError, msg):
        pt.autograd.grad(y, [x, z], pt.eye(3, dtype=pt.float64), is_grads_batched=True)


def test_batched_grad_create_graph(pt):
    x = t64(pt, X3, requires_grad=True)
    go = pt.eye(3, dtype=pt.float64).requires_grad_()
    (g,) = pt.autograd.grad(x**2, x, go, create_graph=True, is_grads_batched=True)
    assert g.requires_grad
    np.testing.assert_allclose(npy(g), np.diag(2 * X3))
    gx, ggo = pt.autograd.grad(g.sum(), [x, go])
    np.testing.assert_allclose(npy(gx), np.full(3, 2.0))
    np.testing.assert_allclose(npy(ggo), np.tile(2 * X3, (3, 1)))
    (g,) = pt.autograd.grad(2 * x, x, pt.eye(3, dtype=pt.float64), create_graph=True,
                            is_grads_batched=True)
    assert not g.requires_grad
    y = x**2
    with pt.no_grad():   # create_graph records the backward even under no_grad
        (g,) = pt.autograd.grad(y, x, pt.eye(3, dtype=pt.float64), create_graph=True,
                                is_grads_batched=True)
        assert not pt.is_grad_enabled()
    assert g.requires_grad and g.grad_fn is not None


def test_batched_grad_frees_the_graph_after_the_batch(pt):
    from test_grad_api import BACKWARD_TWICE
    x = t64(pt, X3, requires_grad=True)
    y = x**2
    pt.autograd.grad(y, x, pt.eye(3, dtype=pt.float64), is_grads_batched=True)
    with raises_exact(RuntimeError, BACKWARD_TWICE):
        pt.autograd.grad(y, x, pt.eye(3, dtype=pt.float64), is_grads_batched=True)


def test_batched_grad_errors(pt):
    x = t64(pt, X3, requires_grad=True)
    y = x**2
    G = pt.autograd.grad
    with raises_exact(RuntimeError, BATCHED.format(i=0, g=[], o=[3])):
        G(y, x, pt.eye(4), is_grads_batched=True, retain_graph=True)
    with raises_exact(RuntimeError, BATCHED.format(i=0, g=[3], o=[3])):   # sic: torch drops a dim
        G(y, x, pt.ones(2, 5, 3), is_grads_batched=True, retain_graph=True)
    with raises_exact(IndexError, "invalid index of a 0-dim tensor. Use `tensor.item()` in "
                      "Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"):
        G(y, x, pt.tensor(1.0), is_grads_batched=True, retain_graph=True)
    with raises_exact(IndexError, "index 0 is out of bounds for dimension 0 with size 0"):
        G(y, x, pt.zeros(0, 3), is_grads_batched=True, retain_graph=True)
    with raises_exact(ValueError, "vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some "
                      "input, but that input is a Tensor of dimensionality 0 so expected in_dim "
                      "to satisfy 0 <= in_dim < 0."):
        G(y.sum(), x, None, is_grads_batched=True, retain_graph=True)
    with raises_exact(ValueError, "vmap: Expected all tensors to have the same size in the "
                      "mapped dimension, got sizes [3, 2] for the mapped dimension"):
        G([y, x * 3], x, [pt.eye(3), pt.ones(2, 3)], is_grads_batched=True, retain_graph=True)
    with raises_exact(RuntimeError, "grad can be implicitly created only for scalar outputs"):
        G([y, x * 3], x, [pt.eye(3), None], is_grads_batched=True, retain_graph=True)
    with raises_exact(ValueError, "vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for an "
                      "input but the input is of type <class 'NoneType'>. We cannot vmap over "
                      "non-Tensor arguments, please use None as the respective in_dim"):
        G([y, pt.ones(3)], x, [pt.eye(3), None], is_grads_batched=True, retain_graph=True)
    with raises_exact(RuntimeError, "invalid gradient at index 0 - got [] but expected shape "
                      "compatible with [1]"):
        G(x[:1] * 2, x, None, is_grads_batched=True, retain_graph=True)
    with raises_exact(RuntimeError, "element 0 of tensors does not require grad and does not "
                      "have a grad_fn"):
        G(pt.ones(3), x, pt.eye(3), is_grads_batched=True)


# ============================================================================
# against torch
# ============================================================================

TORCH_CASES = [
    ("jacobian", f_scalar, (X3,), None),
    ("jacobian", f_mat, ((X3, Y23),), None),
    ("jacobian", f_two_out, ((X3, V3),), None),
    ("jacobian", lambda m, x, y: x * 2, ((X3, Y23),), None),
    ("hessian", f_scalar, (X3,), None),
    ("hessian", lambda m, x, y: (y @ x).tanh().sum(), ((X3, Y23),), None),
    ("hessian", f_lin_x, ((X3, Y23),), None),
    ("hessian", f_only_x, ((X3, Y23),), None),
    ("vjp", f_mat, ((X3, Y23), V2), None),
    ("vjp", lambda m, x, y: x * 2, ((X3, Y23), V3), None),
    ("jvp", f_mat, ((X3, Y23), (V3, Y23)), None),
    ("jvp", lambda m, x, y: (x * 2, m.ones(2, dtype=m.float64)), ((X3, Y23), (V3, Y23)), None),
    ("hvp", f_scalar, (X3, V3), None),
    ("vhp", f_scalar, (X3, V3), None),
    ("hvp", f_lin_x, ((X3, Y23), (V3, Y23)), None),
    ("vhp", f_only_x, ((X3, Y23), (V3, Y23)), None),
]


def _to(m, a):
    if isinstance(a, tuple):
        return tuple(_to(m, e) for e in a)
    return t64(m, a)


def _summary(r):
    """Nested structure, values, requires_grad; or (exception type, message)."""
    if isinstance(r, (tuple, list)):
        return (type(r).__name__, [_summary(e) for e in r])
    return (tuple(r.shape), np.round(npy(r), 10).tolist(), r.requires_grad)


def _run(m, name, f, args, kw):
    F = m.autograd.functional
    try:
        return _summary(getattr(F, name)(bind(m, f), *[_to(m, a) for a in args], **kw))
    except Exception as e:   # noqa: BLE001  (compared with torch's)
        return (type(e).__name__, str(e).replace("torch.", "pyad."))


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("case", range(len(TORCH_CASES)))
def test_against_torch(pt, case, strict, create_graph):
    torch = pytest.importorskip("torch")
    name, f, args, _ = TORCH_CASES[case]
    kw = dict(strict=strict, create_graph=create_graph)
    assert _run(pt, name, f, args, kw) == _run(torch, name, f, args, kw)


@pytest.mark.parametrize("kw", [
    dict(vectorize=True),
    dict(vectorize=True, create_graph=True),
    dict(vectorize=True, strategy="forward-mode"),
    dict(vectorize=False, strategy="forward-mode"),
])
def test_jacobian_options_against_torch(pt, kw):
    torch = pytest.importorskip("torch")
    for f, args in ((f_mat, ((X3, Y23),)), (f_two_out, ((X3, V3),)),
                    (lambda m, x: x.sin(), (X3,)), (lambda m, x: x[:0], (X3,))):
        assert _run(pt, "jacobian", f, args, kw) == _run(torch, "jacobian", f, args, kw)


def test_batched_grad_against_torch(pt):
    torch = pytest.importorskip("torch")
    B = RNG.standard_normal((5, 2, 3))

    def run(m):
        x = t64(m, Y23, requires_grad=True)
        w = t64(m, X3, requires_grad=True)
        y = (x * w).tanh() * x
        return [npy(g) for g in m.autograd.grad(y, [x, w], t64(m, B), is_grads_batched=True)]

    for a, b in zip(run(pt), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.skipif(AGAINST_TORCH, reason="pyad's batched create_graph result is a recorded "
                    "stack (torch's vmap gives MulBackward0 here)")
def test_batched_create_graph_grad_fn_name(pt):
    x = t64(pt, X3, requires_grad=True)
    (g,) = pt.autograd.grad(x**2, x, pt.eye(3, dtype=pt.float64), create_graph=True,
                            is_grads_batched=True)
    assert repr(g).endswith(sub("grad_fn=<StackBackward0>)"))
