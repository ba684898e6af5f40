"""pyad.nn.utils against torch.nn.utils: gradient clipping (the returned norm to a few ulp, the
clipping from it to the bit, in float64 and float32), clip_grad_value_, and flattening parameters
to one vector and back."""
import numpy as np
import pytest

import pyad
import pyad.nn as pnn
from pyad.nn import utils as putils

torch = pytest.importorskip("torch")
from torch.nn import utils as tutils  # noqa: E402

RNG = np.random.default_rng(8)
SHAPES = [(3, 4), (4,), (2, 2, 3)]


def params_with_grads(m, nn, dtype, scale):
    params = []
    for _i, shape in enumerate(SHAPES):
        p = nn.Parameter(m.tensor(RNG.normal(size=shape), dtype=dtype))
        p.grad = m.tensor(RNG.normal(size=shape) * scale, dtype=dtype)
        params.append(p)
    params.append(nn.Parameter(m.zeros(2, dtype=dtype)))   # no gradient: skipped
    return params


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("max_norm, norm_type, scale", [
    (1.0, 2.0, 1.0), (100.0, 2.0, 1.0), (0.5, 1, 3.0), (0.3, float("inf"), 1.0),
    (2.0, 3.0, 0.1), (0.1, "inf", 1.0),
])
def test_clip_grad_norm_matches_torch(dtype_name, max_norm, norm_type, scale):
    state = RNG.bit_generator.state
    pp = params_with_grads(pyad, pnn, getattr(pyad, dtype_name), scale)
    RNG.bit_generator.state = state
    tp = params_with_grads(torch, torch.nn, getattr(torch, dtype_name), scale)
    got = putils.clip_grad_norm_(pp, max_norm, norm_type=norm_type)
    want = tutils.get_total_norm([p.grad for p in tp if p.grad is not None], norm_type)
    assert got.dtype is getattr(pyad, dtype_name) and got.shape == ()
    # pyad's vector_norm sums in another order than torch's kernels: the norm may differ in
    # the last bits (a few ulp) ...
    ulp = np.finfo(np.float64 if dtype_name == "float64" else np.float32).eps * want.item()
    assert abs(got.item() - want.item()) <= 4 * ulp
    # ... and from that norm the clipping is torch's, to the bit
    tutils.clip_grads_with_norm_(tp, max_norm, torch.tensor(got.item(), dtype=want.dtype))
    for a, b in zip(pp, tp):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_clip_grad_norm_single_tensor_empty_and_nonfinite():
    p = pnn.Parameter(pyad.ones(3))
    p.grad = pyad.tensor([3.0, 4.0, 0.0])
    total = putils.clip_grad_norm_(p, 1.0)
    assert total.item() == 5.0
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0.0], rtol=1e-5)
    assert putils.clip_grad_norm_([], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        putils.clip_grad_norm_((q for q in []), 1.0)
    p.grad = pyad.tensor([float("inf"), 1.0, 0.0])
    with pytest.raises(RuntimeError) as info:
        putils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    t = torch.nn.Parameter(torch.ones(3))
    t.grad = torch.tensor([float("inf"), 1.0, 0.0])
    with pytest.raises(RuntimeError) as want:
        tutils.clip_grad_norm_(t, 1.0, error_if_nonfinite=True)
    assert str(info.value) == str(want.value)


def test_clip_grad_norm_leaves_no_graph_and_keeps_grads_identity():
    model = pnn.Linear(3, 2)
    model(pyad.ones(4, 3)).pow(2).sum().backward()
    grad = model.weight.grad
    total = putils.clip_grad_norm_(model.parameters(), 0.01)
    assert model.weight.grad is grad and total.grad_fn is None and not total.requires_grad
    after = np.sqrt(sum((p.grad.numpy() ** 2).sum() for p in model.parameters()))
    assert after == pytest.approx(0.01, rel=1e-4)


def test_clip_grad_value_matches_torch():
    state = RNG.bit_generator.state
    pp = params_with_grads(pyad, pnn, pyad.float64, 2.0)
    RNG.bit_generator.state = state
    tp = params_with_grads(torch, torch.nn, torch.float64, 2.0)
    assert putils.clip_grad_value_(pp, 0.7) is None
    tutils.clip_grad_value_(tp, 0.7)
    for a, b in zip(pp, tp):
        if b.grad is not None:
            np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_parameters_to_vector_and_back():
    for m, nn, U in ((pyad, pnn, putils), (torch, torch.nn, tutils)):
        model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
        vec = U.parameters_to_vector(model.parameters())
        assert tuple(vec.shape) == (11,) and vec.requires_grad
        flat = np.concatenate([p.detach().numpy().reshape(-1) for p in model.parameters()])
        np.testing.assert_array_equal(vec.detach().numpy(), flat)
        U.vector_to_parameters(m.arange(11, dtype=m.float32), model.parameters())
        assert model[0].weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        assert model[1].bias.tolist() == [10.0]
        assert isinstance(model[0].weight, nn.Parameter) and model[0].weight.requires_grad
    with pytest.raises(TypeError) as info:
        putils.vector_to_parameters([1.0], [])
    with pytest.raises(TypeError) as want:
        tutils.vector_to_parameters([1.0], [])
    assert str(info.value) == str(want.value).replace("torch.", "pyad.")
