"""The generated surface of the op table's binary entries (function, alias, method, in-place
method, out=) against torch's, call for call: the values and dtypes, or the exception's type
and message. One shared argument path (op_<name> in _gen_binary.pxi) serves every form, so a
form cannot raise differently from the others."""
import numpy as np
import pytest

import pyad
from pyad import _C

torch = pytest.importorskip("torch")

# the generator's list of the op table's binary entries (the installed wheel has no csrc/)
BINARY = [e for e in _C._OP_TABLE if e["kind"] == "binary" and e["surface"] == "torch"]

# operands as source text over T (pyad or torch); each call is tried with both libraries
OPERANDS = {
    "f32": "T.tensor([0.5, -1.5, 2.0])",
    "f64": "T.tensor([1.0, 0.0, -3.0], dtype=T.float64)",
    "i64": "T.tensor([1, 0, -2])",
    "bool": "T.tensor([True, False, True])",
    "f32_4": "T.tensor([1.0, 2.0, 3.0, 4.0])",
    "col": "T.tensor([[1.0], [2.0]])",
    "num": "1.5",
    "int": "2",
    "str": "'a'",
    "none": "None",
    "list": "[1, 2.0]",
    "tuple": "(1, 1)",
}

PAIRS = [(a, b) for a in ("f32", "f64", "i64", "bool", "col", "num", "str")
         for b in ("f32", "f64", "i64", "bool", "f32_4", "col", "num", "int", "str", "none",
                   "list", "tuple")]


def outcome(T, text):
    """What evaluating text gives: ("ok", dtype name, values) or ("raise", type, message)."""
    try:
        r = eval(text, {"T": T})
    except Exception as e:      # noqa: BLE001 - the outcome under test
        return ("raise", type(e).__name__, str(e))
    if isinstance(r, (pyad.Tensor, torch.Tensor)):
        return ("ok", str(r.dtype).split(".")[-1], np.asarray(r.detach().numpy(), float).tolist())
    return ("ok", type(r).__name__, r)


# out= of another shape than the result's is a documented difference (pyad does not resize
# outputs, docs/differences.md): out= is tried where the result has out's shape, or where the
# call fails before the shapes matter
OUT_OK = {"f32", "f64", "i64", "bool", "num", "int", "str", "none", "list", "tuple"}


def forms(op, a, b):
    x, y = OPERANDS[a], OPERANDS[b]
    names = (op["name"],) + tuple(op["aliases"])
    out = [f"T.{name}({x}, {y})" for name in names]
    if a not in ("num", "str"):
        for name in names:
            out.append(f"{x}.{name}({y})")
            if hasattr(torch.Tensor, name + "_"):      # pyad must have it too
                out.append(f"{x}.clone().{name}_({y})")
            if a in OUT_OK and b in OUT_OK:
                out.append(f"T.{name}({x}, {y}, out=T.zeros(3))")
    return out


def same(mine, theirs):
    if mine[0] != theirs[0] or mine[1] != theirs[1]:
        return False
    if mine[0] == "raise":
        return mine[2] == theirs[2]
    return np.allclose(mine[2], theirs[2], rtol=1e-6, atol=0, equal_nan=True)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op["name"])
def test_every_form_as_torch(op):
    wrong = []
    for a, b in PAIRS:
        for text in forms(op, a, b):
            mine, theirs = outcome(pyad, text), outcome(torch, text)
            if not same(mine, theirs):
                wrong.append(f"{text}\n  pyad:  {mine}\n  torch: {theirs}")
    assert not wrong, "\n".join(wrong[:10]) + f"\n({len(wrong)} calls differ)"


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op["name"])
def test_method_and_function_raise_alike(op):
    """The function's and the method's errors for one bad `other` are torch's; where torch has
    no Number overload they differ only in the argument's position (2 in the function, 1 in
    the method)."""
    name, msgs = op["name"], []
    for T in (pyad, torch):
        x = T.tensor([1.0, 2.0])
        with pytest.raises(TypeError) as f:
            getattr(T, name)(x, "a")
        with pytest.raises(TypeError) as m:
            getattr(x, name)("a")
        msgs.append((str(f.value), str(m.value)))
    assert msgs[0] == msgs[1]
    f, m = msgs[0]
    if "invalid combination" not in f:
        assert f == m.replace("(position 1)", "(position 2)")
