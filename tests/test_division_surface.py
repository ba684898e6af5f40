"""fmod, remainder and floor_divide (the op table's entries, hand-written surface): every form
(function, method, in-place method, operator, in-place operator) against torch, with tensors,
Python numbers on either side, every dtype, zero divisors, special values and wrong operands;
the Number overloads' nodes and both gradient paths."""
import math

import numpy as np
import pytest

import pyad

torch = pytest.importorskip("torch")

OPS = ["fmod", "remainder", "floor_divide"]
SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-30, 1e30,
           7.25, -0.7]


def run(lib, fn):
    """(kind, dtype or exception type, values or first line of the message)."""
    try:
        r = fn(lib)
    except (RuntimeError, NotImplementedError, TypeError, ZeroDivisionError) as e:
        return ("err", type(e).__name__, str(e).split("\n")[0])
    return ("ok", str(r.dtype).split(".")[1], np.asarray(r.detach().tolist(), dtype=np.float64))


def same(fn):
    got, want = run(pyad, fn), run(torch, fn)
    assert got[:2] == want[:2], (got, want)
    if got[0] == "ok":
        np.testing.assert_array_equal(got[2], want[2])
    else:
        assert got[2] == want[2]


OPERANDS = {
    "f32": lambda lib: lib.tensor([7.5, -7.5, 2.0, -0.0], dtype=lib.float32),
    "f64": lambda lib: lib.tensor([7.5, -7.5, 2.0, 0.5], dtype=lib.float64),
    "i64": lambda lib: lib.tensor([7, -7, 9223372036854775807, -9223372036854775808]),
    "i64_zero": lambda lib: lib.tensor([3, 0, 2, 1]),
    "bool": lambda lib: lib.tensor([True, False, True, True]),
    "neg1": lambda lib: lib.tensor([-1, -1, -1, -1]),
    "int": lambda lib: 3, "neg_int": lambda lib: -1, "zero_int": lambda lib: 0,
    "float": lambda lib: 0.7, "neg_float": lambda lib: -2.5, "zero_float": lambda lib: 0.0,
    "true": lambda lib: True,
    "str": lambda lib: "a", "none": lambda lib: None, "list": lambda lib: [1.0, 2.0],
    "ndarray": lambda lib: np.ones(4),
}
TENSORS = ["f32", "f64", "i64", "i64_zero", "bool", "neg1"]


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("a", TENSORS + ["int", "float", "str"])
@pytest.mark.parametrize("b", list(OPERANDS))
def test_function_like_torch(name, a, b):
    same(lambda lib: getattr(lib, name)(OPERANDS[a](lib), OPERANDS[b](lib)))


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("a", TENSORS)
@pytest.mark.parametrize("b", list(OPERANDS))
def test_method_and_in_place_method_like_torch(name, a, b):
    same(lambda lib: getattr(OPERANDS[a](lib), name)(OPERANDS[b](lib)))

    def in_place(lib):
        x = OPERANDS[a](lib)
        r = getattr(x, name + "_")(OPERANDS[b](lib))
        assert r is x
        return x
    same(in_place)


@pytest.mark.parametrize("op", ["%", "//"])
@pytest.mark.parametrize("a", TENSORS + ["int", "float"])
@pytest.mark.parametrize("b", TENSORS + ["int", "float", "zero_int", "true"])
def test_operators_like_torch(op, a, b):
    if a not in TENSORS and b not in TENSORS:
        return
    same(lambda lib: eval(f"x {op} y", {"x": OPERANDS[a](lib), "y": OPERANDS[b](lib)}))


@pytest.mark.parametrize("op", ["%=", "//="])
@pytest.mark.parametrize("a", TENSORS)
@pytest.mark.parametrize("b", TENSORS + ["int", "float", "zero_int"])
def test_in_place_operators_write_into_self_like_torch(op, a, b):
    def in_place(lib):
        x = OPERANDS[a](lib)
        scope = {"x": x, "y": OPERANDS[b](lib)}
        exec(f"x {op} y", scope)
        assert scope["x"] is x
        return x
    same(in_place)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("number", [0.7, -2.5, 3, 1e-30, math.inf, -0.0])
@pytest.mark.parametrize("name", ["fmod", "remainder", "floor_divide"])
def test_number_overload_node_values_and_both_paths_like_torch(name, number, dtype):
    values = np.array(SPECIAL, dtype=dtype)
    results = {}
    for lib in (pyad, torch):
        x = lib.tensor(values, requires_grad=True)
        y = getattr(lib, name)(x, number)
        results[lib] = (y, type(y.grad_fn).__name__,
                        len([f for f, _ in y.grad_fn.next_functions if f is not None]))
    (py, pname, pn), (ty, tname, tn) = results[pyad], results[torch]
    assert (pname, pn) == (tname, tn)
    np.testing.assert_array_equal(np.array(py.tolist()), np.array(ty.tolist()))
    if name == "floor_divide":      # torch records a node without a derivative
        with pytest.raises(RuntimeError, match="^derivative for aten::floor_divide is not "
                                               "implemented$"):
            py.sum().backward()
        return
    g = np.resize(np.array([1.0, -0.5, 2.0, 0.0], dtype=dtype), values.shape)
    for cg in (False, True):
        grads = []
        for lib in (pyad, torch):
            x = lib.tensor(values, requires_grad=True)
            (d,) = lib.autograd.grad(getattr(lib, name)(x, number), x, lib.tensor(g),
                                     create_graph=cg)
            grads.append(np.array(d.tolist()))
        np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_tensor_divisor_gradients_and_second_order_like_torch(name, dtype):
    a, b = np.meshgrid(np.array(SPECIAL, dtype=dtype), np.array(SPECIAL, dtype=dtype))
    a, b = a.ravel(), b.ravel()
    g = np.resize(np.array([1.0, -0.5, 2.0, 0.0], dtype=dtype), a.shape)
    out = {}
    for lib in (pyad, torch):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(b, requires_grad=True)
        dx, dy = lib.autograd.grad(getattr(lib, name)(x, y), (x, y), lib.tensor(g),
                                   create_graph=True)
        # the divisor's gradient, -g times a rounded quotient, has zero derivative
        (h,) = lib.autograd.grad((dy * dy).sum(), y, allow_unused=True)
        out[lib] = (np.array(dx.tolist()), np.array(dy.tolist()),
                    None if h is None else np.array(h.tolist()), type(dy.grad_fn).__name__)
    for k in range(3):
        if out[torch][k] is None:
            assert out[pyad][k] is None or not np.any(out[pyad][k])
        else:
            np.testing.assert_array_equal(out[pyad][k], out[torch][k])
    assert out[pyad][3] == out[torch][3]


def test_remainder_of_float32_rounds_in_float32_as_torch():
    # r + b in float32: a tiny remainder of the opposite sign to the divisor
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(4096) * 10.0 ** rng.integers(-30, 30, 4096)).astype(np.float32)
    b = (rng.standard_normal(4096) * 10.0 ** rng.integers(-3, 3, 4096)).astype(np.float32)
    got = pyad.remainder(pyad.tensor(a), pyad.tensor(b))
    want = torch.remainder(torch.tensor(a), torch.tensor(b))
    np.testing.assert_array_equal(np.array(got.tolist(), dtype=np.float32),
                                  want.numpy())


def test_int64_extremes_divide_exactly():
    big = [9223372036854775807, -9223372036854775808, -9223372036854775807, 5, -5]
    for name in OPS:
        for d in (-1, 2, -3, 9223372036854775807):
            same(lambda lib: getattr(lib, name)(lib.tensor(big), d))
            same(lambda lib: getattr(lib, name)(lib.tensor(big), lib.tensor([d] * len(big))))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("number", [0.7, -2.5, 3, 0.0, math.inf])
@pytest.mark.parametrize("form", ["remainder", "%", "floor_divide", "//"])
def test_number_first_records_a_node_without_a_derivative_like_torch(form, number, dtype):
    values = np.array(SPECIAL, dtype=dtype)
    outcome = []
    for lib in (pyad, torch):
        x = lib.tensor(values, requires_grad=True)
        y = (getattr(lib, form)(number, x) if form[0].isalpha() else
             eval(f"c {form} x", {"c": number, "x": x}))
        with pytest.raises(RuntimeError) as raised:
            y.sum().backward()
        outcome.append((type(y.grad_fn).__name__, str(raised.value), str(y.dtype).split(".")[1],
                        np.array(y.tolist())))
    (pn, pm, pd, pv), (tn, tm, td, tv) = outcome
    assert (pn, pm, pd) == (tn, tm, td)
    np.testing.assert_array_equal(pv, tv)


EDGE_FORMS = {
    "xlogy(t, 2.)": lambda lib, t, c: lib.xlogy(t, 2.0),
    "xlogy(2., t)": lambda lib, t, c: lib.xlogy(2.0, t),
    "t // 2.": lambda lib, t, c: t // 2.0,
    "2. // t": lambda lib, t, c: 2.0 // t,
    "2. % t": lambda lib, t, c: 2.0 % t,
    "t // t": lambda lib, t, c: t // t,
    "t // c": lambda lib, t, c: t // c,
    "c // t": lambda lib, t, c: c // t,
    "heaviside(t, c)": lambda lib, t, c: lib.heaviside(t, c),
    "heaviside(c, t)": lambda lib, t, c: lib.heaviside(c, t),
    "heaviside(t, t)": lambda lib, t, c: lib.heaviside(t, t),
    "div(t, 2., floor)": lambda lib, t, c: lib.div(t, 2.0, rounding_mode="floor"),
    "div(t, c, trunc)": lambda lib, t, c: lib.div(t, c, rounding_mode="trunc"),
    "fmod(t, 2.)": lambda lib, t, c: lib.fmod(t, 2.0),
    "fmod(t, c)": lambda lib, t, c: lib.fmod(t, c),
    "t % 2.": lambda lib, t, c: t % 2.0,
}


@pytest.mark.parametrize("form", list(EDGE_FORMS))
def test_node_edges_like_torch(form):
    # torch's node of each overload: its name and which inputs it has an edge to (a number's
    # edge is (None, 0) where torch keeps it; a NotImplemented node has an edge per input
    # that requires grad); the gradients where there are some
    seen = []
    for lib in (pyad, torch):
        t = lib.tensor([1.5, -2.0, 3.0], requires_grad=True)
        c = lib.tensor([0.5, 2.0, -1.0])
        y = EDGE_FORMS[form](lib, t, c)
        edges = [None if f is None else "t" for f, _ in y.grad_fn.next_functions]
        try:
            (d,) = lib.autograd.grad(y.sum(), t)
            grad = d.tolist()
        except RuntimeError as e:
            grad = str(e)
        seen.append((type(y.grad_fn).__name__, edges, grad))
    assert seen[0] == seen[1]
