"""Python and numpy values as dims, sizes and data, as torch takes them (issue 13, family 8).

numpy integers are ints for dims and sizes while bools are not; numpy float64 scalars keep
their dtype; byte-swapped arrays, complex data and sequences whose len() lies are refused.
"""
import numpy as np
import pytest

from conftest import AGAINST_TORCH, raises_exact


class LyingLonger:
    def __len__(self):
        return 2

    def __getitem__(self, i):
        if i < 4:
            return float(i)
        raise IndexError


class LyingShorter:
    def __len__(self):
        return 5

    def __getitem__(self, i):
        if i < 3:
            return float(i)
        raise IndexError


class Honest:
    def __len__(self):
        return 3

    def __getitem__(self, i):
        if i < 3:
            return float(i) + 0.5
        raise IndexError


def _run(expr, mod):
    t = mod.ones(6)
    m = mod.ones(2, 3)
    env = {"torch": mod, "np": np, "t": t, "m": m, "LyingLonger": LyingLonger,
           "LyingShorter": LyingShorter, "Honest": Honest}
    try:
        r = eval(expr, env)  # noqa: S307
    except Exception as e:   # noqa: BLE001
        return ("error", type(e).__name__ if not isinstance(e, (ValueError, IndexError))
                else "ValueError or IndexError")
    if hasattr(r, "dtype") and hasattr(r, "shape") and not isinstance(r, np.ndarray):
        return ("tensor", str(r.dtype).split(".")[-1], tuple(r.shape),
                np.asarray(r.detach()).tolist())
    if hasattr(r, "values") and hasattr(r, "indices"):
        return ("pair", np.asarray(r.values).tolist(), np.asarray(r.indices).tolist())
    return ("value", tuple(r) if isinstance(r, tuple) else r)


SAME_AS_TORCH = [
    # numpy integers as dims and sizes
    "t.reshape(np.int64(3), -1)", "t.reshape(np.int32(3), np.int64(2))", "t.view(np.int64(2), 3)",
    "m.sum(dim=np.int64(1))", "m.sum(np.int32(0))", "m.mean(dim=np.int64(1))",
    "torch.ones(np.int32(2), 2)", "torch.zeros((np.int64(2), 3))", "torch.zeros(np.int8(2))",
    "torch.full((np.int64(2),), 1.5)", "torch.empty(np.int64(2), 0)",
    "m.transpose(np.int64(0), 1)", "m.unsqueeze(np.int8(0))", "m.squeeze(np.int64(0))",
    "torch.arange(np.int64(3))", "m[np.int64(1)]", "m.size(np.int64(1))",
    "m.flatten(np.int64(0))", "m.repeat(np.int64(2), 1)", "m.expand(np.int64(2), 3)",
    "torch.cat([m, m], dim=np.int64(1))", "torch.stack([m, m], dim=np.int64(0))",
    "m.max(dim=np.int64(0))", "m.max(np.int64(1))", "m.argmax(dim=np.int64(1))",
    "m.cumsum(np.int64(1))", "m.softmax(np.int64(1))", "m.permute(np.int64(1), 0)",
    "m.narrow(np.int64(1), 0, np.int64(2))",
    "m.movedim(np.int64(0), 1)", "torch.randn(np.int64(2)).shape",
    # bools are not ints
    "m.sum(dim=True)", "m.sum(True)", "t.view(True, -1)", "m.squeeze(True)",
    "m.transpose(True, 0)", "m.unsqueeze(False)",
    # data
    "torch.tensor(np.float64(1.5))", "torch.tensor(np.float32(1.5))",
    "torch.tensor(np.bool_(True))",
    "torch.tensor([np.float64(1.5)])", "torch.tensor([1, np.float64(2.5)])",
    "torch.tensor([np.float32(2.5)])", "torch.tensor([1.5, np.float32(2.5)])",
    "torch.tensor(np.float64(2.0)) * torch.ones(2)", "torch.tensor(np.array(2.5))",
    "torch.from_numpy(np.array([1.5, 2.], dtype='>f8'))",
    "torch.tensor(LyingLonger())", "torch.tensor([LyingLonger()])", "torch.tensor(LyingShorter())",
    "torch.tensor(Honest())", "torch.tensor([Honest(), Honest()])",
    "torch.tensor([[1, 2], [3]])", "torch.tensor([[1, 2], 3])", "torch.tensor([1, [2, 3]])",
    "torch.tensor([[[1], [2]], [[3]]])",
    "torch.full((2,), np.float64(1.5))", "torch.full((2,), np.int32(3))",
    "torch.full((2,), np.bool_(True))", "torch.full((2,), True)",
]


@pytest.mark.parametrize("expr", SAME_AS_TORCH)
def test_same_as_torch(pt, expr):
    torch = pytest.importorskip("torch")
    assert _run(expr, pt) == _run(expr, torch)


@pytest.mark.skipif(AGAINST_TORCH, reason="pyad has no complex dtype")
@pytest.mark.parametrize("expr", ["torch.full((2,), 1j)", "torch.full((2,), np.complex128(1j))",
                                  "torch.tensor([1j])", "torch.tensor(1 + 2j)",
                                  "torch.tensor([1.0, np.complex64(1j)])",
                                  "torch.tensor(np.array([1j]))"])
def test_complex_refused(pt, expr):
    with pytest.raises(TypeError, match="complex tensors are not supported"):
        _run_raw(expr, pt)


def _run_raw(expr, mod):
    return eval(expr, {"torch": mod, "np": np})  # noqa: S307


@pytest.mark.skipif(AGAINST_TORCH, reason="torch refuses byte-swapped arrays")
def test_byte_swapped_arrays_are_copied_with_their_dtype(pt):
    for fn in (pt.tensor, pt.as_tensor):
        t = fn(np.array([1.5, 2.0], dtype=">f8"))
        assert t.dtype == pt.float64 and t.tolist() == [1.5, 2.0]
        t = fn(np.array([1.5, 2.0], dtype=">f4"))
        assert t.dtype == pt.float32 and t.tolist() == [1.5, 2.0]
        t = fn(np.array([2**62 + 1], dtype=">i8"))
        assert t.dtype == pt.int64 and t.tolist() == [2**62 + 1]


@pytest.mark.skipif(AGAINST_TORCH, reason="pyad's narrower dtypes")
def test_narrow_numpy_types_widen(pt):
    """pyad has no float16/int32: those numpy values become float32/int64 (values exact)."""
    assert pt.tensor(np.float16(1.5)).dtype == pt.float32
    assert pt.tensor(np.int32(7)).dtype == pt.int64 and pt.tensor(np.int32(7)).item() == 7
    assert pt.tensor([np.int32(2)]).dtype == pt.int64


def _assign_outcomes(mod):
    t = mod.zeros(3)
    out = []
    for v in [np.float64(1), np.float32(1), np.int64(1), np.int32(1), np.bool_(True),
              np.float16(1), np.uint8(1)]:
        for key in [0, slice(None), [0], (), (0,), mod.tensor([True, False, True])]:
            try:
                t[key] = v
                out.append("ok")
            except Exception as e:   # noqa: BLE001
                out.append(f"{type(e).__name__}: {e}".replace("torch.", "pyad."))
    for k in [np.bool_(True), (np.bool_(True),), (np.int64(0),)]:
        try:
            out.append(tuple(t[k].shape))
        except Exception as e:   # noqa: BLE001
            out.append(f"{type(e).__name__}: {e}")
    return out


def test_numpy_scalars_as_assigned_values_and_keys(pt):
    """torch assigns Python numbers, numpy integers and np.float64 only, and refuses numpy bools
    as indices, in a tuple too (the fuzzer found pyad accepting both)."""
    torch = pytest.importorskip("torch")
    assert _assign_outcomes(pt) == _assign_outcomes(torch)


@pytest.mark.skipif(AGAINST_TORCH, reason="pyad has no complex dtype")
@pytest.mark.parametrize("call", [
    lambda m, t: t.fill_(np.complex128(1j)), lambda m, t: t.clamp(min=np.complex128(1j)),
    lambda m, t: t.clamp_(max=np.complex64(1j)), lambda m, t: m.clamp(t, 0.0, 2j),
    lambda m, t: t.masked_fill(t > 0, np.complex128(1j)), lambda m, t: m.full_like(t, 1j),
    lambda m, t: t.__setitem__(0, np.complex128(1j))])
def test_complex_scalars_never_lose_their_imaginary_part(pt, call):
    """numpy complex scalars convert to float with only a warning: each such call refused."""
    t = pt.ones(2)
    with pytest.raises(TypeError):
        call(pt, t)
    assert t.tolist() == [1.0, 1.0]


# --- integer tensors as dims and sizes (torch's parser takes a 0-d int64 tensor as an int) --

@pytest.mark.parametrize("call, shape", [
    (lambda pt, x, d: x.sum(d), (2,)), (lambda pt, x, d: x.sum(dim=d), (2,)),
    (lambda pt, x, d: x.argmax(d), (2,)), (lambda pt, x, d: x.softmax(d), (2, 3)),
    (lambda pt, x, d: x.cumsum(d), (2, 3)), (lambda pt, x, d: x.unsqueeze(d), (2, 1, 3)),
    (lambda pt, x, d: x.squeeze(d), (2, 3)), (lambda pt, x, d: x.transpose(d, 0), (3, 2)),
    (lambda pt, x, d: x.mean(d), (2,)), (lambda pt, x, d: x.amax(d), (2,)),
    (lambda pt, x, d: x.max(d), (2, 3)),        # a tensor: max(other), elementwise
    (lambda pt, x, d: x.flip(d), (2, 3)),
    (lambda pt, x, d: pt.cat([x, x], d), (2, 6)),
    (lambda pt, x, d: x.var(d), (2,)), (lambda pt, x, d: x.narrow(d, 0, 1), (2, 1)),
    (lambda pt, x, d: x.sum(pt.tensor([1])), (2,)),
    (lambda pt, x, d: x.sum(pt.tensor(True)), (2,)),
    (lambda pt, x, d: x.view(pt.tensor(6)), (6,)),
    (lambda pt, x, d: x.reshape(pt.tensor(3), 2), (3, 2)),
    (lambda pt, x, d: pt.ones(pt.tensor(2)), (2,)),
    (lambda pt, x, d: pt.zeros(pt.tensor(2), 3), (2, 3)),
    (lambda pt, x, d: x.expand(pt.tensor(2), 3), (2, 3)),
])
def test_integer_tensors_are_dims_and_sizes(pt, call, shape):
    x = pt.ones(2, 3)
    assert tuple(call(pt, x, pt.tensor(1)).shape) == shape


@pytest.mark.parametrize("bad", [lambda pt: pt.tensor([1]), lambda pt: pt.tensor(True),
                                 lambda pt: pt.tensor(1.0)])
def test_other_tensors_are_no_int_dim(pt, bad):
    with pytest.raises(TypeError):
        pt.ones(2, 3).unsqueeze(bad(pt))


def test_norm_asks_a_tensor_dim_its_len(pt):
    # torch.norm (Python) takes len(dim) first: a 0-d tensor has none
    with raises_exact(TypeError, "len() of a 0-d tensor"):
        pt.ones(2, 3).norm(dim=pt.tensor(1))
