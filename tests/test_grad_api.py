"""``pyad.autograd.grad``, ``Tensor.backward``, ``.grad``, ``grad_fn`` and grad mode.

Semantics and messages are PyTorch 2.13's (see shared/notes/torch-contract.md),
with ``torch.`` spelled ``pyad.``.
"""

import threading
import warnings

import numpy as np
import pytest

from conftest import AGAINST_TORCH, raises_exact, sub

BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)
ELEMENT0 = "element 0 of tensors does not require grad and does not have a grad_fn"
ELEMENT1 = "element 1 of tensors does not require grad and does not have a grad_fn"
IMPLICIT = "grad can be implicitly created only for scalar outputs"
INPUT_NO_GRAD = "One of the differentiated Tensors does not require grad"


def unused_msg(i):
    return (
        f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
        "Set allow_unused=True if this is the desired behavior."
    )


def mismatch(grad_shape, out_shape):
    return (
        f"Mismatch in shape: grad_output[0] has a shape of pyad.Size({grad_shape}) "
        f"and output[0] has a shape of pyad.Size({out_shape})."
    )


def vals(t):
    return t.detach().tolist()


@pytest.fixture
def x(pt):
    return pt.tensor([1.0, 2.0, 3.0], requires_grad=True)


# ----------------------------------------------------------------------------
# grad: return value and argument forms
# ----------------------------------------------------------------------------


def test_returns_tuple_single_input(pt, x):
    r = pt.autograd.grad((x * x).sum(), x)
    assert type(r) is tuple
    assert len(r) == 1
    assert vals(r[0]) == [2.0, 4.0, 6.0]


def test_returns_tuple_for_sequences(pt, x):
    z = pt.tensor([0.5, -1.0, 2.0], requires_grad=True)
    r = pt.autograd.grad([(x * z).sum()], [x, z])
    assert type(r) is tuple and len(r) == 2
    assert vals(r[0]) == [0.5, -1.0, 2.0]
    assert vals(r[1]) == [1.0, 2.0, 3.0]
    r = pt.autograd.grad((x * z).sum(), (z,))
    assert type(r) is tuple and len(r) == 1
    assert vals(r[0]) == [1.0, 2.0, 3.0]


def test_keyword_arguments(pt, x):
    (g,) = pt.autograd.grad(outputs=(x * x).sum(), inputs=x)
    assert vals(g) == [2.0, 4.0, 6.0]
    (g,) = pt.autograd.grad(outputs=x * x, inputs=[x], grad_outputs=pt.ones_like(x))
    assert vals(g) == [2.0, 4.0, 6.0]


def test_multiple_outputs_are_summed(pt, x):
    (g,) = pt.autograd.grad([(x * x).sum(), (x * 3).sum()], x)
    assert vals(g) == [5.0, 7.0, 9.0]
    (g,) = pt.autograd.grad([x * x, x * 3], x, grad_outputs=[pt.ones(3), pt.full((3,), 2.0)])
    assert vals(g) == [8.0, 10.0, 12.0]


def test_same_input_twice(pt, x):
    r = pt.autograd.grad((x * x).sum(), [x, x])
    assert len(r) == 2
    assert vals(r[0]) == vals(r[1]) == [2.0, 4.0, 6.0]


def test_grad_outputs_forms(pt, x):
    (g,) = pt.autograd.grad((x * x).sum(), x, grad_outputs=[None])
    assert vals(g) == [2.0, 4.0, 6.0]
    (g,) = pt.autograd.grad((x * x).sum(), x, grad_outputs=pt.tensor(2.0))
    assert vals(g) == [4.0, 8.0, 12.0]
    (g,) = pt.autograd.grad(x * x, x, grad_outputs=(pt.tensor([1.0, 0.0, -1.0]),))
    assert vals(g) == [2.0, 0.0, -6.0]


def test_single_element_outputs_count_as_scalar(pt, x):
    (g,) = pt.autograd.grad((x * x)[:1], x)
    assert vals(g) == [2.0, 0.0, 0.0]
    (g,) = pt.autograd.grad((x * x).reshape(1, 1, 3)[..., 1:2], x)
    assert vals(g) == [0.0, 4.0, 0.0]


def test_grad_does_not_accumulate_into_dot_grad(pt, x):
    pt.autograd.grad((x * x).sum(), x)
    assert x.grad is None


# ----------------------------------------------------------------------------
# grad: errors
# ----------------------------------------------------------------------------


def test_non_scalar_needs_grad_outputs(pt, x):
    with raises_exact(RuntimeError, IMPLICIT):
        pt.autograd.grad(x * 2, x)
    with raises_exact(RuntimeError, IMPLICIT):
        pt.autograd.grad([(x * 2).sum(), x * 2], x)


def test_output_without_grad_fn(pt, x):
    with raises_exact(RuntimeError, ELEMENT0):
        pt.autograd.grad(pt.ones(()), x)
    with raises_exact(RuntimeError, ELEMENT0):
        pt.autograd.grad(pt.ones(3), x)  # non-scalar: still "element 0"
    with raises_exact(RuntimeError, ELEMENT1):
        pt.autograd.grad([(x * 2).sum(), pt.ones(())], x)


def test_input_not_requiring_grad(pt, x):
    c = pt.ones(3)
    with raises_exact(RuntimeError, INPUT_NO_GRAD):
        pt.autograd.grad((x * 2).sum(), c)
    with raises_exact(RuntimeError, INPUT_NO_GRAD):
        pt.autograd.grad((x * x).sum(), [x, c])
    with raises_exact(RuntimeError, INPUT_NO_GRAD):
        pt.autograd.grad((x * x).sum(), [x, c], allow_unused=True)


def test_unused_input(pt, x):
    u = pt.ones(3, requires_grad=True)
    with raises_exact(RuntimeError, unused_msg(1)):
        pt.autograd.grad((x * 2).sum(), [x, u])
    with raises_exact(RuntimeError, unused_msg(0)):
        pt.autograd.grad((x * 2).sum(), [u, x])
    with raises_exact(RuntimeError, unused_msg(1)):
        pt.autograd.grad((u * 2).sum(), [u, x, x])


def test_allow_unused_gives_none(pt, x):
    u = pt.ones(3, requires_grad=True)
    gx, gu = pt.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    assert vals(gx) == [2.0, 2.0, 2.0]
    assert gu is None


def test_materialize_grads(pt, x):
    u = pt.ones(2, dtype=pt.float64, requires_grad=True)
    for kwargs in [{"materialize_grads": True}, {"materialize_grads": True, "allow_unused": True}]:
        gx, gu = pt.autograd.grad((x * 2).sum(), [x, u], **kwargs)
        assert vals(gx) == [2.0, 2.0, 2.0]
        assert gu is not None
        assert vals(gu) == [0.0, 0.0]
        assert gu.dtype == pt.float64
        assert not gu.requires_grad
    gx, gu = pt.autograd.grad((x * x).sum(), [x, u], materialize_grads=True, create_graph=True)
    assert gx.grad_fn is not None
    assert vals(gu) == [0.0, 0.0]
    assert gu.requires_grad


def test_materialize_grads_with_allow_unused_false(pt, x):
    msg = (
        "Expected allow_unused to be True or not passed when materialize_grads=True, "
        "but got: allow_unused=False."
    )
    with raises_exact(ValueError, msg):
        pt.autograd.grad((x * x).sum(), x, materialize_grads=True, allow_unused=False)


def test_grad_outputs_shape_mismatch(pt, x):
    msg = mismatch([4], [3])
    with raises_exact(RuntimeError, msg):
        pt.autograd.grad(x * 2, x, grad_outputs=pt.ones(4))
    with raises_exact(RuntimeError, msg):
        pt.autograd.grad(x * 2, x, grad_outputs=pt.ones(4, dtype=pt.float64))
    # no broadcasting, not even [1] against []
    msg1 = mismatch([1], [])
    with raises_exact(RuntimeError, msg1):
        pt.autograd.grad((x * x).sum(), x, grad_outputs=pt.ones(1))
    with raises_exact(RuntimeError, mismatch([1, 3], [3])):
        pt.autograd.grad(x * 2, x, grad_outputs=pt.ones(1, 3))


def test_empty_inputs(pt, x):
    msg = "`inputs` argument to `grad()` cannot be empty."
    with raises_exact(RuntimeError, msg):
        pt.autograd.grad((x * 2).sum(), [])
    with raises_exact(RuntimeError, msg):
        pt.autograd.grad(x * 2, (), grad_outputs=pt.ones(3))


def test_grad_outputs_wrong_type(pt, x):
    with raises_exact(TypeError, "gradients can be either Tensors or None, but got int"):
        pt.autograd.grad((x * 2).sum(), x, grad_outputs=[1])
    with raises_exact(TypeError, "gradients can be either Tensors or None, but got float"):
        pt.autograd.grad((x * 2).sum(), x, grad_outputs=[1.5])


def test_only_inputs_false_warns(pt, x):
    msg = (
        "only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
        "gradient for other parts of the graph, please use pyad.autograd.backward."
    )
    with pytest.warns(FutureWarning) as rec:
        (g,) = pt.autograd.grad((x * 2).sum(), x, only_inputs=False)
    assert vals(g) == [2.0, 2.0, 2.0]
    assert [str(w.message) for w in rec if w.category is FutureWarning] == [sub(msg)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pt.autograd.grad((x * 2).sum(), x, only_inputs=True)


# ----------------------------------------------------------------------------
# freeing and retain_graph
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("expr", ["x*2", "x*x", "x.exp()", "x**2", "x.sin()", "x.reshape(3,1)*x"])
def test_second_backward_through_freed_graph_raises(pt, x, expr):
    y = eval(expr, {"x": x}).sum()
    pt.autograd.grad(y, x)
    with raises_exact(RuntimeError, BACKWARD_TWICE):
        pt.autograd.grad(y, x)


@pytest.mark.parametrize("expr", ["x+1", "x", "x-2", "-x", "x.reshape(3,1)", "x[1:]", "x.mean(0)"])
def test_nodes_saving_nothing_can_run_twice(pt, x, expr):
    y = eval(expr, {"x": x}).sum()
    (g1,) = pt.autograd.grad(y, x)
    (g2,) = pt.autograd.grad(y, x)
    assert vals(g1) == vals(g2)
    assert any(v != 0 for v in vals(g1))


def test_retain_graph_allows_repeating(pt, x):
    y = (x * x).sum()
    for _ in range(3):
        (g,) = pt.autograd.grad(y, x, retain_graph=True)
        assert vals(g) == [2.0, 4.0, 6.0]
    pt.autograd.grad(y, x)  # last use frees
    with raises_exact(RuntimeError, BACKWARD_TWICE):
        pt.autograd.grad(y, x)


def test_retain_graph_defaults_to_create_graph(pt, x):
    y = (x * x).sum()
    (g1,) = pt.autograd.grad(y, x, create_graph=True)
    (g2,) = pt.autograd.grad(y, x, create_graph=True)  # graph was retained
    assert vals(g1) == vals(g2) == [2.0, 4.0, 6.0]
    pt.autograd.grad(y, x)  # create_graph=False: frees
    with raises_exact(RuntimeError, BACKWARD_TWICE):
        pt.autograd.grad(y, x)


def test_create_graph_with_retain_graph_false_frees(pt, x):
    y = (x * x).sum()
    (g,) = pt.autograd.grad(y, x, create_graph=True, retain_graph=False)
    assert g.grad_fn is not None
    with raises_exact(RuntimeError, BACKWARD_TWICE):
        pt.autograd.grad(y, x)
    # the new graph (of g) is intact
    (h,) = pt.autograd.grad(g.sum(), x)
    assert vals(h) == [2.0, 2.0, 2.0]


def test_partial_free_only_the_swept_part(pt, x):
    """A grad wrt an intermediate frees only the part of the graph it swept."""
    z = x * x
    y = (z * 3).sum()
    (gz,) = pt.autograd.grad(y, z)
    assert vals(gz) == [3.0, 3.0, 3.0]
    (gx,) = pt.autograd.grad(z.sum(), x)  # z's own node was not swept
    assert vals(gx) == [2.0, 4.0, 6.0]


# ----------------------------------------------------------------------------
# inputs that are not leaves, identity, create_graph results
# ----------------------------------------------------------------------------


def test_non_leaf_inputs(pt, x):
    z = 2 * x
    (gz,) = pt.autograd.grad((z**2).sum(), z)
    assert vals(gz) == [4.0, 8.0, 12.0]
    z = 2 * x
    gz, gx = pt.autograd.grad((z**2).sum(), [z, x])
    assert vals(gz) == [4.0, 8.0, 12.0]
    assert vals(gx) == [8.0, 16.0, 24.0]


def test_grad_of_input_wrt_itself(pt, x):
    go = pt.tensor([1.0, -2.0, 0.5])
    (g,) = pt.autograd.grad(x, x, grad_outputs=go)
    assert vals(g) == [1.0, -2.0, 0.5]
    (g,) = pt.autograd.grad(x, x, grad_outputs=pt.ones(3))
    assert vals(g) == [1.0, 1.0, 1.0]


def test_result_flags_without_and_with_create_graph(pt, x):
    (g,) = pt.autograd.grad((x * x).sum(), x)
    assert not g.requires_grad
    assert g.grad_fn is None
    assert g.is_leaf
    (g,) = pt.autograd.grad((x * x).sum(), x, create_graph=True)
    assert g.requires_grad
    assert g.grad_fn is not None
    assert not g.is_leaf
    assert vals(g) == [2.0, 4.0, 6.0]
    (h,) = pt.autograd.grad(g.sum(), x)
    assert vals(h) == [2.0, 2.0, 2.0]


def test_third_derivative(pt, x):
    (g1,) = pt.autograd.grad((x**4).sum(), x, create_graph=True)
    (g2,) = pt.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = pt.autograd.grad(g2.sum(), x)
    xs = np.array([1.0, 2.0, 3.0])
    assert vals(g1) == (4 * xs**3).tolist()
    assert vals(g2) == (12 * xs**2).tolist()
    assert vals(g3) == (24 * xs).tolist()


def test_constant_first_derivative_has_no_graph(pt):
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    (g,) = pt.autograd.grad(2 * x, x, grad_outputs=pt.ones(2), create_graph=True)
    assert vals(g) == [2.0, 2.0]
    assert g.grad_fn is None
    assert not g.requires_grad
    with raises_exact(RuntimeError, ELEMENT0):
        pt.autograd.grad(g.sum(), x)
    with raises_exact(RuntimeError, ELEMENT0):
        pt.autograd.grad(g.sum(), x, allow_unused=True)
    (g,) = pt.autograd.grad(x.sum(), x, create_graph=True)
    assert not g.requires_grad


def test_grad_of_grad_without_create_graph(pt, x):
    (g,) = pt.autograd.grad((x * x).sum(), x)
    with raises_exact(RuntimeError, ELEMENT0):
        pt.autograd.grad(g.sum(), x)


def test_float64_grad_outputs_for_float32_output(pt):
    x = pt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = pt.autograd.grad(x * 2, x, grad_outputs=pt.ones(3, dtype=pt.float64))
    assert g.dtype == pt.float32
    assert vals(g) == [2.0, 2.0, 2.0]


def test_float64_grads_stay_float64(pt):
    x = pt.tensor([1.0, 2.0], dtype=pt.float64, requires_grad=True)
    (g,) = pt.autograd.grad((x * x).sum(), x)
    assert g.dtype == pt.float64
    (g,) = pt.autograd.grad((x * x).sum(), x, create_graph=True)
    assert g.dtype == pt.float64


# ----------------------------------------------------------------------------
# Tensor.backward and .grad
# ----------------------------------------------------------------------------


def test_grad_is_none_before_backward(pt, x):
    assert x.grad is None
    assert pt.ones(2).grad is None


def test_backward_implicit_scalar(pt, x):
    r = (x * x).sum().backward()
    assert r is None
    assert vals(x.grad) == [2.0, 4.0, 6.0]
    assert not x.grad.requires_grad
    assert x.grad.dtype == pt.float32


def test_backward_non_scalar_raises(pt, x):
    with raises_exact(RuntimeError, IMPLICIT):
        (x * x).backward()


def test_backward_gradient_argument(pt, x):
    (x * x).backward(pt.tensor([1.0, 0.0, 2.0]))
    assert vals(x.grad) == [2.0, 0.0, 12.0]
    w = pt.ones(2, requires_grad=True)
    (w * w).sum().backward(gradient=pt.tensor(3.0))
    assert vals(w.grad) == [6.0, 6.0]


def test_backward_gradient_shape_mismatch(pt, x):
    msg = mismatch([2], [3])
    with raises_exact(RuntimeError, msg):
        (x * x).backward(gradient=pt.ones(2))


def test_backward_without_grad_raises(pt):
    with raises_exact(RuntimeError, ELEMENT0):
        pt.ones(3).sum().backward()


def test_backward_accumulates(pt):
    w = pt.tensor([1.0, 2.0], requires_grad=True)
    (3 * w).sum().backward()
    (3 * w).sum().backward()
    assert vals(w.grad) == [6.0, 6.0]
    w.grad = None
    (w * w).sum().backward()
    assert vals(w.grad) == [2.0, 4.0]


def test_backward_twice_without_retain_graph(pt, x):
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert vals(x.grad) == [4.0, 8.0, 12.0]
    with raises_exact(RuntimeError, BACKWARD_TWICE):
        y.backward()


def test_backward_inputs(pt):
    c = pt.ones(3, requires_grad=True)
    d = pt.full((3,), 2.0, requires_grad=True)
    (c * d).sum().backward(inputs=[c])
    assert vals(c.grad) == [2.0, 2.0, 2.0]
    assert d.grad is None
    (c * d).sum().backward(inputs=d)
    assert vals(d.grad) == [1.0, 1.0, 1.0]
    assert vals(c.grad) == [2.0, 2.0, 2.0]


def test_backward_empty_inputs(pt, x):
    with raises_exact(RuntimeError, "`inputs` argument to `backward()` cannot be empty."):
        (x * 2).sum().backward(inputs=[])


def test_backward_non_leaf_grad_not_populated(pt, x):
    z = x * 2
    (z * z).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about reading a non-leaf's .grad
        assert z.grad is None
    assert vals(x.grad) == [8.0, 16.0, 24.0]


def test_backward_create_graph(pt):
    b = pt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning) as rec:
        (b * b * b).sum().backward(create_graph=True)
    prefix = (
        "Using backward() with create_graph=True will create a reference cycle between the "
        "parameter and its gradient which can cause a memory leak. We recommend using "
        "autograd.grad when creating the graph to avoid this. If you have to use this function, "
        "make sure to reset the .grad fields of your parameters to None after use to break the "
        "cycle and avoid the leak."
    )
    assert any(str(w.message).startswith(prefix) for w in rec)
    assert vals(b.grad) == [3.0, 12.0]
    assert b.grad.requires_grad
    (h,) = pt.autograd.grad(b.grad.sum(), b)
    assert vals(h) == [6.0, 12.0]
    b.grad = None


def test_grad_assignment(pt, x):
    x.grad = pt.ones(3)
    assert vals(x.grad) == [1.0, 1.0, 1.0]
    (x * 3).sum().backward()
    assert vals(x.grad) == [4.0, 4.0, 4.0]  # accumulates onto the assigned grad
    x.grad = None
    assert x.grad is None


def test_grad_assignment_checks(pt, x):
    msg = (
        "attempting to assign a gradient of size '[4]' to a tensor of size '[3]'. "
        "Please ensure that the gradient and the tensor are the same size"
    )
    with raises_exact(RuntimeError, msg):
        x.grad = pt.ones(4)
    with raises_exact(
        TypeError, "assigned grad expected to be a Tensor or None but got grad of type int"
    ):
        x.grad = 3
    assert x.grad is None


# ----------------------------------------------------------------------------
# grad_fn
# ----------------------------------------------------------------------------


def _names(next_functions):
    return tuple((None if fn is None else type(fn).__name__, i) for fn, i in next_functions)


def test_next_functions(pt, x):
    y = x * 2
    assert _names(y.grad_fn.next_functions) == (("AccumulateGrad", 0), (None, 0))
    assert _names((2 * x).grad_fn.next_functions) == (("AccumulateGrad", 0), (None, 0))
    assert _names((x * x).grad_fn.next_functions) == (("AccumulateGrad", 0), ("AccumulateGrad", 0))
    assert _names((x + pt.ones(3)).grad_fn.next_functions) == (("AccumulateGrad", 0), (None, 0))
    assert _names((pt.ones(3) + x).grad_fn.next_functions) == ((None, 0), ("AccumulateGrad", 0))
    s = y.sum()
    assert _names(s.grad_fn.next_functions) == (("MulBackward0", 0),)
    assert s.grad_fn.next_functions[0][0] is y.grad_fn
    assert _names(x.exp().grad_fn.next_functions) == (("AccumulateGrad", 0),)
    assert x.grad_fn is None


def test_grad_fn_repr_in_tensor_repr(pt, x):
    assert "grad_fn=<MulBackward0>" in repr(x * 2)
    assert "grad_fn=<SumBackward0>" in repr(x.sum())


# ----------------------------------------------------------------------------
# grad mode
# ----------------------------------------------------------------------------


def test_grad_mode_context_managers(pt, x):
    assert pt.is_grad_enabled()
    with pt.no_grad():
        assert not pt.is_grad_enabled()
        y = x * 2
        assert y.grad_fn is None and not y.requires_grad
        with pt.enable_grad():
            assert pt.is_grad_enabled()
            assert (x * 2).grad_fn is not None
        assert not pt.is_grad_enabled()
    assert pt.is_grad_enabled()
    with pt.set_grad_enabled(False):
        assert not pt.is_grad_enabled()
        with pt.set_grad_enabled(True):
            assert pt.is_grad_enabled()
        assert not pt.is_grad_enabled()
    assert pt.is_grad_enabled()


def test_grad_mode_restored_after_exception(pt):
    with pytest.raises(ValueError):
        with pt.no_grad():
            raise ValueError
    assert pt.is_grad_enabled()


def test_set_grad_enabled_as_function(pt, x):
    pt.set_grad_enabled(False)
    try:
        assert not pt.is_grad_enabled()
        assert (x * 2).grad_fn is None
    finally:
        pt.set_grad_enabled(True)
    assert pt.is_grad_enabled()
    assert (x * 2).grad_fn is not None


def test_grad_mode_decorators(pt, x):
    @pt.no_grad()
    def f_no(t):
        return t * 2, pt.is_grad_enabled()

    @pt.enable_grad()
    def f_en(t):
        return t * 2, pt.is_grad_enabled()

    @pt.set_grad_enabled(False)
    def f_off(t):
        return t * 2, pt.is_grad_enabled()

    y, enabled = f_no(x)
    assert not enabled and y.grad_fn is None
    assert pt.is_grad_enabled()
    with pt.no_grad():
        y, enabled = f_en(x)
        assert enabled and y.grad_fn is not None
        assert not pt.is_grad_enabled()
    y, enabled = f_off(x)
    assert not enabled and y.grad_fn is None
    assert pt.is_grad_enabled()
    assert f_no.__name__ == "f_no"  # functools.wraps


def test_no_grad_bare_decorator(pt, x):
    @pt.no_grad
    def f(t):
        return t * 2, pt.is_grad_enabled()

    y, enabled = f(x)
    assert not enabled and y.grad_fn is None
    assert pt.is_grad_enabled()


def test_grad_mode_is_thread_local(pt, x):
    seen = {}

    def worker():
        seen["enabled"] = pt.is_grad_enabled()
        seen["records"] = (x * 2).grad_fn is not None

    with pt.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not pt.is_grad_enabled()
    assert seen == {"enabled": True, "records": True}

    # and the other way round: a thread's no_grad does not leak into the main thread
    entered, release = threading.Event(), threading.Event()

    def worker_no_grad():
        with pt.no_grad():
            entered.set()
            release.wait(10)

    t = threading.Thread(target=worker_no_grad)
    t.start()
    try:
        assert entered.wait(10)
        assert pt.is_grad_enabled()
        assert (x * 2).grad_fn is not None
    finally:
        release.set()
        t.join()


def test_grad_in_thread(pt):
    results = []

    def worker(k):
        x = pt.tensor([1.0, 2.0], dtype=pt.float64, requires_grad=True)
        for _ in range(200):
            (g,) = pt.autograd.grad((x * x * k).sum(), x)
        results.append((k, vals(g)))

    threads = [threading.Thread(target=worker, args=(k,)) for k in (1.0, 2.0, 3.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [(1.0, [2.0, 4.0]), (2.0, [4.0, 8.0]), (3.0, [6.0, 12.0])]


def test_repr_under_no_grad(pt, x):
    with pt.no_grad():
        y = x * 2
    assert repr(y) == "tensor([2., 4., 6.])"
    assert repr(x * 2) == "tensor([2., 4., 6.], grad_fn=<MulBackward0>)"


def test_numeric_backward_creates_no_tensor_per_node(pt):
    """create_graph=False runs in C: the number of Tensors made does not grow with the graph."""
    if AGAINST_TORCH:
        pytest.skip("pyad implementation property")
    x = pt.rand(3, 4, dtype=pt.float64, requires_grad=True)

    def tensors_made_by_grad(n_ops):
        y = x
        for _ in range(n_ops):
            y = (y.sin() * 1.01 + x).exp().tanh().sqrt() ** 2 / 3.0
        y = (y @ x.t()).mean()
        before = pt._C._tensor_count()
        pt.autograd.grad(y, x)
        return pt._C._tensor_count() - before

    # one in all: the returned gradient (the implicit seed of a scalar output is a bare buffer)
    assert tensors_made_by_grad(5) == tensors_made_by_grad(200) == 1
