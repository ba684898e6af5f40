"""Custom autograd Functions against torch: values, first and second derivatives (through the
user's backward), saved inputs and outputs, names and messages."""
import numpy as np
import pytest

import pyad

torch = pytest.importorskip("torch")


def make_functions(m):
    class Exp(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class MulAdd(m.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, scale):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            return a * b * scale, a + b

        @staticmethod
        def backward(ctx, gp, gs):
            a, b = ctx.saved_tensors
            return gp * b * ctx.scale + gs, gp * a * ctx.scale + gs, None

    class Cube(m.autograd.Function):
        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    return Exp, MulAdd, Cube


def program(m, x, y):
    Exp, MulAdd, Cube = make_functions(m)
    p, s = MulAdd.apply(x, y, 0.5)
    return (Exp.apply(p) * Cube.apply(s)).sum()


def test_values_and_derivatives_match_torch():
    rng = np.random.default_rng(0)
    xv, yv, v = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    res = []
    for m in (pyad, torch):
        x = m.tensor(xv, dtype=m.float64, requires_grad=True)
        y = m.tensor(yv, dtype=m.float64, requires_grad=True)
        loss = program(m, x, y)
        gx, gy = m.autograd.grad(loss, (x, y), create_graph=True)
        gx_fast, _ = m.autograd.grad(program(m, x, y), (x, y))
        (hv,) = m.autograd.grad((gx * m.tensor(v, dtype=m.float64)).sum(), x)
        res.append([loss.item(), gx.detach().numpy(), gy.detach().numpy(), gx_fast.numpy(),
                    hv.numpy()])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    np.testing.assert_allclose(res[0][1], res[0][3], rtol=1e-12)


def test_names_needs_input_grad_and_errors():
    seen = {}

    class Probe(pyad.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = pyad.rand(3, requires_grad=True)
    y = Probe.apply(x, pyad.rand(3))
    assert seen["needs"] == (True, False)
    assert type(y.grad_fn).__name__ == "ProbeBackward" and y.grad_fn.name() == "ProbeBackward"
    assert repr(y).endswith("grad_fn=<ProbeBackward>)")

    class WrongCount(pyad.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match=r"function WrongCountBackward returned an incorrect "
                                           r"number of gradients \(expected 1, got 2\)"):
        WrongCount.apply(x).sum().backward()

    class WrongShape(pyad.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return pyad.ones(5)

    with pytest.raises(RuntimeError, match=r"Function WrongShapeBackward returned an invalid "
                                           r"gradient at index 0 - got \[5\] but expected shape "
                                           r"compatible with \[3\]"):
        pyad.autograd.grad(WrongShape.apply(x).sum(), x)


def test_saved_tensors_freed_and_version_checked():
    Exp, _, _ = make_functions(pyad)
    x = pyad.rand(3, requires_grad=True)
    y = Exp.apply(x * 1)
    loss = y.sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()
    y = Exp.apply(x * 1)
    loss = y.sum()
    with pyad.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_non_differentiable_outputs_and_once_differentiable():
    class ArgMaxAndMax(pyad.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            idx = a.argmax()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(a, idx)
            return a.max(), idx

        @staticmethod
        @pyad.autograd.once_differentiable
        def backward(ctx, g, g_idx):
            a, idx = ctx.saved_tensors
            out = pyad.zeros_like(a)
            out[int(idx)] = g
            return out

    x = pyad.tensor([1.0, 5.0, 2.0], requires_grad=True)
    m, i = ArgMaxAndMax.apply(x)
    assert not i.requires_grad and i.item() == 1
    (g,) = pyad.autograd.grad(m, x)
    assert g.tolist() == [0.0, 1.0, 0.0]


def test_no_graph_without_grad():
    Exp, _, _ = make_functions(pyad)
    x = pyad.rand(3)
    assert Exp.apply(x).grad_fn is None
    with pyad.no_grad():
        assert Exp.apply(pyad.rand(3, requires_grad=True)).grad_fn is None


def test_kept_ctx_after_its_graph_is_freed():
    """A ctx kept by the user outlives its node. Reading a saved output from it gave a tensor
    whose grad_fn was the freed node (use after free: a wrong grad_fn, wrong gradients);
    now it is the "saved tensors after they have already been freed" error. torch keeps the
    node alive through its ctx instead (pyad's ctx does not own its node: that would be a
    reference cycle). Runs in a subprocess: the bug could crash."""
    from conftest import MODULE_NAME
    from test_memory import _run_child

    if MODULE_NAME == "torch":
        pytest.skip("torch's ctx keeps its node alive")
    out = _run_child("""
        kept = []

        class Exp(pt.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                kept.append(ctx)
                return y

            @staticmethod
            def backward(ctx, g):
                (y,) = ctx.saved_tensors
                return g * y

        x = pt.tensor([1.0, 2.0], requires_grad=True)
        y = Exp.apply(x)
        del y
        junk = [pt.ones(3, requires_grad=True) * 2 for _ in range(100)]
        try:
            kept[0].saved_tensors
            print("no error")
        except RuntimeError as e:
            print(e)
        """)
    assert out.strip() == pyad._C.ERR_BACKWARD_TWICE


# ---- what Python callbacks hand back: torch's errors for a result that is not a tensor ------

def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:          # noqa: BLE001  (the type is compared with torch's)
        return (type(e).__name__, str(e))


@pytest.mark.parametrize("returned", ["'a'", "5", "g.numpy()", "[1.0, 2.0, 3.0]", "(g,)"])
def test_hook_returning_a_non_tensor_raises_torchs_type_error(returned):
    # the hook's result was read as a Tensor before any check: foreign memory
    torch = pytest.importorskip("torch")
    seen = []
    for m in (pyad, torch):
        def run(m=m):
            x = m.ones(3, requires_grad=True)
            y = x * 2
            y.register_hook(eval(f"lambda g: {returned}"))
            y.sum().backward()
        seen.append(_outcome(run))
    assert seen[0] == seen[1]


@pytest.mark.parametrize("returned", ["g, g", "g, 1.0", "3", "'a'", "g, None"])
def test_function_backward_result_checked_as_torch(returned):
    # a gradient for a non-tensor input must be None; a tensor input's must be a tensor or None
    torch = pytest.importorskip("torch")
    seen = []
    for m in (pyad, torch):
        body = f"return {returned}"
        ns = {"m": m}
        exec("class Fn(m.autograd.Function):\n"
             "    @staticmethod\n"
             "    def forward(ctx, a, k=None):\n"
             "        return a * 2\n"
             "    @staticmethod\n"
             f"    def backward(ctx, g):\n        {body}\n", ns)
        fn = ns["Fn"]
        x = m.ones(3, requires_grad=True)
        two = "," in returned
        seen.append(_outcome(lambda: (fn.apply(x, 2.0) if two else fn.apply(x)).sum()
                             .backward() or x.grad.tolist()))
    assert seen[0] == seen[1]


@pytest.mark.parametrize("inputs", ["[x, None]", "'a'", "[x, 'a']"])
def test_grad_of_a_non_tensor_input_raises_torchs_error(inputs):
    torch = pytest.importorskip("torch")
    seen = []
    for m in (pyad, torch):
        x = m.ones(3, requires_grad=True)
        seen.append(_outcome(lambda: m.autograd.grad(x.sum(), eval(inputs))))
    assert seen[0] == seen[1]


BACKWARD_CALLS = {
    "lists": lambda m, x: m.autograd.backward([x.sum(), (x * 2).sum()],
                                              grad_tensors=[m.tensor(1.0), m.tensor(2.0)]),
    "list with None": lambda m, x: m.autograd.backward([x.sum(), (x * 2).sum()],
                                                       [m.tensor(3.0), None]),
    "list and inputs": lambda m, x: m.autograd.backward([(x * x).sum()], [m.tensor(1.0)],
                                                        inputs=[x]),
    "tuples": lambda m, x: m.autograd.backward((x.sum(),), grad_tensors=(m.tensor(1.0),)),
    "one tensor": lambda m, x: m.autograd.backward(x * 3, m.ones(3)),
    "too few": lambda m, x: m.autograd.backward([x.sum(), x.sum()],
                                                grad_tensors=[m.tensor(1.0)]),
}


@pytest.mark.parametrize("call", list(BACKWARD_CALLS))
def test_autograd_backward_takes_sequences_as_torch(call):
    # grad_tensors as a list failed with "Expected tuple, got list"
    seen = []
    for m in (pyad, torch):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        try:
            BACKWARD_CALLS[call](m, x)
            seen.append(x.grad.tolist())
        except RuntimeError as e:
            seen.append(str(e))
    assert seen[0] == seen[1]
