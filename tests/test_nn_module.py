"""pyad.nn.Module and Parameter semantics, side by side with torch.nn: registration through
attributes, named_* orders, state_dict keys and loading (strict, messages), hooks, train/eval,
zero_grad, apply, to/float/double, requires_grad_, reprs."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import pyad
import pyad.nn as pnn

torch = pytest.importorskip("torch")
import torch.nn as tnn  # noqa: E402

BOTH = [(pyad, pnn), (torch, tnn)]


def build(m, nn):
    """The same small model in either library: nested modules, a shared module, a buffer, a
    non-persistent buffer, a None parameter and a plain attribute."""

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)
            self.act = nn.Tanh()
            self.scale = nn.Parameter(m.ones(4))
            self.register_buffer("count", m.zeros(1))
            self.register_buffer("scratch", m.zeros(2), persistent=False)
            self.register_parameter("unused", None)
            self.note = "plain attribute"

        def forward(self, x):
            self.count += 1
            return self.act(self.fc(x)) * self.scale

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 1)])
            self.shared = self.block.act
            self.norm = nn.LayerNorm(4)
            self.out = nn.Sequential(OrderedDict(relu=nn.ReLU(), lin=nn.Linear(4, 1)))

        def forward(self, x):
            h = self.norm(self.block(x))
            return self.out(h) + self.heads[1](h)

    return Net()


def names(pairs):
    return [k for k, _ in pairs]


def test_named_traversals_match_torch():
    mp, mt = build(pyad, pnn), build(torch, tnn)
    assert names(mp.named_parameters()) == names(mt.named_parameters())
    assert names(mp.named_buffers()) == names(mt.named_buffers())
    assert names(mp.named_modules()) == names(mt.named_modules())
    assert names(mp.named_children()) == names(mt.named_children())
    assert names(mp.named_modules(remove_duplicate=False)) == \
        names(mt.named_modules(remove_duplicate=False))
    assert names(mp.named_parameters(prefix="net", recurse=False)) == \
        names(mt.named_parameters(prefix="net", recurse=False))
    assert names(mp.block.named_parameters(recurse=False)) == \
        names(mt.block.named_parameters(recurse=False))
    assert len(list(mp.parameters())) == len(list(mt.parameters()))
    assert len(list(mp.buffers())) == len(list(mt.buffers()))
    assert [type(c).__name__ for c in mp.children()] == [type(c).__name__ for c in mt.children()]
    assert [type(c).__name__ for c in mp.modules()] == [type(c).__name__ for c in mt.modules()]
    assert list(mp.state_dict()) == list(mt.state_dict())
    assert list(mp.state_dict()._metadata) == list(mt.state_dict()._metadata)
    assert dict(mp.state_dict()._metadata) == dict(mt.state_dict()._metadata)
    assert sorted(n for n in dir(mp) if not n.startswith("_")) == \
        sorted(n for n in dir(mt) if not n.startswith("_") and hasattr(mp, n))


def test_shared_parameters_are_listed_once():
    for _m, nn in BOTH:
        lin = nn.Linear(2, 2)
        seq = nn.Sequential(lin, nn.ReLU(), lin)
        assert names(seq.named_parameters()) == ["0.weight", "0.bias"]
        assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
        assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_repr_matches_torch():
    mp, mt = build(pyad, pnn), build(torch, tnn)
    assert repr(mp) == repr(mt)
    for make in [
        lambda m, nn: nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()]),
        lambda m, nn: nn.ModuleList(),
        lambda m, nn: nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.Sigmoid()}),
        lambda m, nn: nn.Sequential(),
        lambda m, nn: nn.Sequential(nn.Linear(2, 3, bias=False), nn.Dropout(0.2),
                                    nn.Sequential(nn.GELU(approximate="tanh"))),
        lambda m, nn: nn.ParameterList([nn.Parameter(m.zeros(2, 3)), m.ones(4)]),
        lambda m, nn: nn.ParameterDict({"b": nn.Parameter(m.zeros(2)),
                                        "a": m.ones(1, dtype=m.float64)}),
    ]:
        assert repr(make(pyad, pnn)) == repr(make(torch, tnn)).replace("torch.", "pyad.")


def test_parameter_repr_and_type():
    for m, nn in BOTH:
        data = m.tensor([[1.0, 2.0], [3.0, 4.5]])
        p = nn.Parameter(data)
        assert isinstance(p, m.Tensor) and isinstance(p, nn.Parameter)
        assert p.requires_grad and p.is_leaf and p.grad_fn is None
        assert type(p * 2) is m.Tensor and type(p.detach()) is m.Tensor
        assert not nn.Parameter(data, requires_grad=False).requires_grad
        assert nn.Parameter().shape == (0,)
    reps = [repr(nn.Parameter(m.tensor([[1.0, 2.0], [3.0, 4.5]]))) for m, nn in BOTH]
    assert reps[0] == reps[1]
    reps = [repr(nn.Parameter(m.tensor([1.0, 2.0], dtype=m.float64), requires_grad=False))
            for m, nn in BOTH]
    assert reps[0] == reps[1].replace("torch.", "pyad.")


def test_parameter_shares_storage_and_survives_copies():
    data = pyad.zeros(3)
    p = pnn.Parameter(data)
    with pyad.no_grad():
        p.add_(1.0)
    assert data.tolist() == [1.0, 1.0, 1.0]
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is pnn.Parameter and q.requires_grad and q.tolist() == [1.0] * 3
    q = copy.deepcopy(p)
    with pyad.no_grad():
        q.mul_(5.0)
    assert p.tolist() == [1.0, 1.0, 1.0]
    frozen = copy.deepcopy(pnn.Parameter(pyad.ones(1), requires_grad=False))
    assert not frozen.requires_grad


def test_deepcopy_of_a_model_is_independent():
    model = pnn.Sequential(pnn.Linear(2, 3), pnn.Tanh())
    clone = copy.deepcopy(model)
    assert repr(clone) == repr(model)
    with pyad.no_grad():
        clone[0].weight.zero_()
    assert float(model[0].weight.detach().abs().sum()) > 0
    assert type(clone[0].weight) is pnn.Parameter


def _error(fn):
    try:
        fn()
    except Exception as e:   # type and text compared with torch's
        return type(e).__name__, str(e).replace("torch.", "pyad.")
    return None


def _module_with(nn):
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(nn.Linear(1, 1).weight.detach().clone())
            self.sub = nn.Linear(1, 1)
            self.register_buffer("buf", None)
            self.plain = 3
    return M()


REGISTRATION_ERRORS = {
    "tensor_to_parameter": lambda m, nn: setattr(_module_with(nn), "w", m.zeros(1)),
    "int_to_submodule": lambda m, nn: setattr(_module_with(nn), "sub", 3),
    "int_to_buffer": lambda m, nn: setattr(_module_with(nn), "buf", 3),
    "register_buffer_dot": lambda m, nn: _module_with(nn).register_buffer("a.b", m.zeros(1)),
    "register_buffer_empty": lambda m, nn: _module_with(nn).register_buffer("", m.zeros(1)),
    "register_buffer_exists": lambda m, nn: _module_with(nn).register_buffer("plain",
                                                                             m.zeros(1)),
    "register_buffer_not_tensor": lambda m, nn: _module_with(nn).register_buffer("x", 3.0),
    "register_buffer_name_type": lambda m, nn: _module_with(nn).register_buffer(1, m.zeros(1)),
    "register_parameter_tensor": lambda m, nn: _module_with(nn).register_parameter(
        "x", m.zeros(1)),
    "register_parameter_dot": lambda m, nn: _module_with(nn).register_parameter(
        "a.b", nn.Parameter(m.zeros(1))),
    "register_parameter_exists": lambda m, nn: _module_with(nn).register_parameter(
        "sub", None),
    "add_module_not_module": lambda m, nn: _module_with(nn).add_module("x", 3),
    "add_module_dot": lambda m, nn: _module_with(nn).add_module("a.b", nn.ReLU()),
    "add_module_empty": lambda m, nn: _module_with(nn).add_module("", nn.ReLU()),
    "add_module_exists": lambda m, nn: _module_with(nn).add_module("plain", nn.ReLU()),
    "missing_attribute": lambda m, nn: _module_with(nn).nothing,
    "parameter_before_init": lambda m, nn: _before_init(nn, lambda self: setattr(
        self, "p", nn.Parameter(m.zeros(1)))),
    "module_before_init": lambda m, nn: _before_init(nn, lambda self: setattr(
        self, "s", nn.ReLU())),
    "buffer_before_init": lambda m, nn: _before_init(nn, lambda self: self.register_buffer(
        "b", m.zeros(1))),
    "unexpected_init_kwarg": lambda m, nn: nn.Module(foo=1),
    "forward_missing": lambda m, nn: nn.Module()(m.zeros(1)),
    "train_not_bool": lambda m, nn: nn.Linear(1, 1).train("yes"),
    "get_submodule": lambda m, nn: _module_with(nn).get_submodule("sub.nothing"),
    "get_submodule_not_module": lambda m, nn: _module_with(nn).get_submodule("plain"),
    "get_parameter_not_parameter": lambda m, nn: _module_with(nn).get_parameter("sub"),
    "get_buffer_not_buffer": lambda m, nn: _module_with(nn).get_buffer("w"),
    "to_int_dtype": lambda m, nn: nn.Linear(1, 1).to(m.int64),
    "cuda": lambda m, nn: nn.Linear(1, 1).cuda(),
    "sequential_index": lambda m, nn: nn.Sequential(nn.ReLU())[3],
    "modulelist_index": lambda m, nn: nn.ModuleList([nn.ReLU()])[-2],
    "sequential_add": lambda m, nn: nn.Sequential() + [nn.ReLU()],
    "parameterlist_call": lambda m, nn: nn.ParameterList()(1),
    "parameterdict_key": lambda m, nn: nn.ParameterDict()[1],
    "modulelist_extend": lambda m, nn: nn.ModuleList().extend(3),
    "moduledict_update": lambda m, nn: nn.ModuleDict().update([("a", nn.ReLU(), 1)]),
    "dropout_p": lambda m, nn: nn.Dropout(1.5),
    "embedding_padding": lambda m, nn: nn.Embedding(3, 2, padding_idx=5),
    "batchnorm_dim": lambda m, nn: nn.BatchNorm1d(3)(m.zeros(2, 3, 4, 5)),
    "hardtanh_bounds": lambda m, nn: nn.Hardtanh(1.0, 0.5),
    "unflatten_size": lambda m, nn: nn.Unflatten(1, 3),
}


def _before_init(nn, action):
    class Early(nn.Module):
        def __init__(self):
            action(self)
            super().__init__()
    return Early()


@pytest.mark.parametrize("name", sorted(REGISTRATION_ERRORS))
def test_errors_match_torch(name):
    expected = _error(lambda: REGISTRATION_ERRORS[name](torch, tnn))
    assert expected is not None
    assert _error(lambda: REGISTRATION_ERRORS[name](pyad, pnn)) == expected


def test_attribute_reassignment_moves_between_kinds():
    for m, nn in BOTH:
        mod = nn.Module()
        mod.x = nn.Parameter(m.zeros(1))
        assert list(dict(mod.named_parameters())) == ["x"]
        with pytest.raises(TypeError, match="as parameter 'x'"):
            mod.x = nn.ReLU()       # a parameter slot takes only a Parameter or None
        del mod.x
        mod.x = nn.ReLU()
        assert list(dict(mod.named_parameters())) == [] and list(mod._modules) == ["x"]
        mod.x = None                # None keeps the slot
        assert mod.x is None and "x" in mod._modules
        mod.register_buffer("b", m.ones(2))
        mod.b = m.zeros(3)          # a tensor assigned to a buffer name stays a buffer
        assert list(dict(mod.named_buffers())) == ["b"] and mod.b.shape == (3,)
        del mod.b
        assert "b" not in mod._buffers and not hasattr(mod, "b")
        mod.w = nn.Parameter(m.ones(1))
        mod.w = None
        assert "w" in mod._parameters and mod.w is None
        del mod.w
        assert "w" not in mod._parameters
        mod.z = nn.Buffer(m.ones(2), persistent=False)
        assert "z" in mod._buffers and "z" not in mod.state_dict()
        mod.y = nn.Buffer(m.ones(2))
        assert "y" in mod.state_dict()


def _copy_parameters(src_torch, dst_pyad):
    with pyad.no_grad():
        for (kt, vt), (kp, vp) in zip(src_torch.state_dict(keep_vars=True).items(),
                                      dst_pyad.state_dict(keep_vars=True).items()):
            assert kt == kp
            vp.copy_(pyad.tensor(vt.detach().numpy()))


def test_state_dict_round_trip_and_values():
    mp, mt = build(pyad, pnn).double(), build(torch, tnn).double()
    sd = {k: pyad.tensor(v.detach().numpy()) for k, v in mt.state_dict().items()}
    result = mp.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == repr(mt.load_state_dict(mt.state_dict()))
    for (_k, vp), (_, vt) in zip(mp.state_dict().items(), mt.state_dict().items()):
        np.testing.assert_array_equal(vp.numpy(), vt.numpy())
        assert not vp.requires_grad and vp.grad_fn is None
    # the model uses what was loaded: same output as torch
    x = np.random.default_rng(0).normal(size=(5, 3))
    out_p = mp(pyad.tensor(x))
    out_t = mt(torch.tensor(x))
    np.testing.assert_allclose(out_p.detach().numpy(), out_t.detach().numpy(), rtol=1e-13)
    # keep_vars gives the parameters themselves
    assert mp.state_dict(keep_vars=True)["block.scale"] is mp.block.scale
    assert mp.state_dict(prefix="top.").keys() == mt.state_dict(prefix="top.").keys()


def _load_error(m, nn, mutate, strict=True):
    model = build(m, nn)
    sd = model.state_dict()
    mutate(m, sd)
    try:
        result = model.load_state_dict(sd, strict=strict)
    except Exception as e:
        return "raised", type(e).__name__, str(e).replace("torch.", "pyad.")
    return "returned", repr(result), result.missing_keys, result.unexpected_keys


LOAD_CASES = {
    "missing": (lambda m, sd: sd.pop("block.fc.bias"), True),
    "unexpected": (lambda m, sd: sd.update({"block.extra": m.zeros(1), "zzz.w": m.zeros(1)}),
                   True),
    "both": (lambda m, sd: (sd.pop("norm.weight"), sd.update({"norm.other": m.zeros(1)})), True),
    "size_mismatch": (lambda m, sd: sd.update({"block.fc.weight": m.zeros(2, 2)}), True),
    "not_a_tensor": (lambda m, sd: sd.update({"block.scale": [1.0, 2.0]}), True),
    "missing_not_strict": (lambda m, sd: sd.pop("block.fc.bias"), False),
    "unexpected_not_strict": (lambda m, sd: sd.update({"extra": m.zeros(1)}), False),
    "size_mismatch_not_strict": (lambda m, sd: sd.update({"heads.0.bias": m.zeros(5)}), False),
    "non_persistent_given": (lambda m, sd: sd.update({"block.scratch": m.zeros(2)}), True),
}


@pytest.mark.parametrize("name", sorted(LOAD_CASES))
def test_load_state_dict_results_and_errors_match_torch(name):
    mutate, strict = LOAD_CASES[name]
    assert _load_error(pyad, pnn, mutate, strict) == _load_error(torch, tnn, mutate, strict)


def test_load_state_dict_assign_and_scalar_from_one_element():
    for m, nn in BOTH:
        model = nn.Linear(2, 1)
        new_w = m.ones(1, 2)
        model.load_state_dict({"weight": new_w, "bias": m.zeros(1)}, assign=True)
        assert isinstance(model.weight, nn.Parameter) and model.weight.requires_grad
        assert model.weight.tolist() == [[1.0, 1.0]]
        mod = nn.Module()
        mod.register_buffer("s", m.tensor(2.0))
        mod.load_state_dict({"s": m.tensor([5.0])})
        assert mod.s.item() == 5.0 and mod.s.shape == ()
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        pnn.Linear(1, 1).load_state_dict([1, 2])


def test_forward_hooks_and_pre_hooks():
    for m, nn in BOTH:
        calls = []
        lin = nn.Linear(2, 2)

        def pre(mod, args):
            calls.append(("pre", len(args)))
            return (args[0] * 0,)

        def pre_single(mod, args):
            calls.append(("pre_single", float(args[0].sum())))
            return args[0] + 1   # a non-tuple result is wrapped

        def post(mod, args, out):
            calls.append(("post", tuple(out.shape)))
            return out * 2

        def post_kwargs(mod, args, kwargs, out):
            calls.append(("post_kwargs", sorted(kwargs)))

        h1 = lin.register_forward_pre_hook(pre)
        h2 = lin.register_forward_pre_hook(pre_single)
        h3 = lin.register_forward_hook(post)
        h4 = lin.register_forward_hook(post_kwargs, with_kwargs=True)
        x = m.ones(3, 2)
        out = lin(x)
        expected = (lin.weight.sum(1) + lin.bias) * 2
        np.testing.assert_allclose(out.detach().numpy(), expected.expand(3, 2).detach().numpy(),
                                   rtol=1e-6)
        assert calls == [("pre", 1), ("pre_single", 0.0), ("post", (3, 2)),
                         ("post_kwargs", [])]
        for h in (h1, h2, h3, h4):
            h.remove()
        calls.clear()
        np.testing.assert_allclose(lin(x).detach().numpy(),
                                   (x @ lin.weight.t() + lin.bias).detach().numpy(), rtol=1e-6)
        assert calls == []
        # prepend puts a hook first; a handle used as a context manager removes it on exit
        order = []
        lin.register_forward_hook(lambda *a: order.append("a"))
        with lin.register_forward_hook(lambda *a: order.append("b"), prepend=True):
            lin(x)
        lin(x)
        assert order == ["b", "a", "a"]


def test_always_call_hook_runs_when_forward_raises():
    for m, nn in BOTH:
        seen = []

        class Bad(nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        mod = Bad()
        mod.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
        with pytest.raises(ValueError, match="boom"):
            mod(m.zeros(1))
        assert seen == [None]


def test_train_eval_and_dropout():
    for m, nn in BOTH:
        model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.Sequential(nn.Dropout()))
        assert all(mod.training for mod in model.modules())
        assert model.eval() is model
        assert not any(mod.training for mod in model.modules())
        x = m.ones(4, 3)
        assert model[1](x).tolist() == x.tolist()
        model.train()
        assert all(mod.training for mod in model.modules())
        y = model[1](m.ones(1000))
        values = set(y.tolist())
        assert values <= {0.0, 2.0} and len(values) == 2


def test_zero_grad_and_requires_grad_():
    for m, nn in BOTH:
        model = nn.Linear(3, 2)
        model(m.ones(1, 3)).sum().backward()
        assert model.weight.grad is not None
        model.zero_grad(set_to_none=False)
        assert model.weight.grad.tolist() == [[0.0] * 3] * 2
        model.zero_grad()
        assert model.weight.grad is None and model.bias.grad is None
        assert model.requires_grad_(False) is model
        assert not any(p.requires_grad for p in model.parameters())
        model.requires_grad_()
        assert all(p.requires_grad for p in model.parameters())


def test_apply_visits_children_first():
    for _m, nn in BOTH:
        model = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU(), nn.Tanh()))
        seen = []
        assert model.apply(lambda mod: seen.append(type(mod).__name__)) is model
        assert seen == ["Linear", "ReLU", "Tanh", "Sequential", "Sequential"]


def test_to_float_double_keep_parameter_identity():
    model = pnn.Sequential(pnn.Linear(2, 3), pnn.BatchNorm1d(3))
    weight = model[0].weight
    model(pyad.ones(4, 2)).sum().backward()
    assert model.double() is model
    assert model[0].weight is weight and type(weight) is pnn.Parameter
    assert weight.dtype is pyad.float64 and weight.grad.dtype is pyad.float64
    assert model[1].running_mean.dtype is pyad.float64
    assert model[1].num_batches_tracked.dtype is pyad.int64   # integer buffers keep their dtype
    assert weight.is_leaf and weight.requires_grad
    model.float()
    assert weight.dtype is pyad.float32
    model.to(pyad.float64)
    assert weight.dtype is pyad.float64
    model.to("cpu")
    model.to("cpu", pyad.float32)
    assert weight.dtype is pyad.float32
    model.to(pyad.zeros(1, dtype=pyad.float64))
    assert weight.dtype is pyad.float64
    model.to(device="cpu", dtype=pyad.float32)
    assert weight.dtype is pyad.float32
    assert model.cpu() is model
    assert pnn.ReLU().cuda().__class__ is pnn.ReLU   # nothing to move: torch returns it too
    out = model(pyad.ones(4, 2))   # still trains after the conversions
    out.sum().backward()
    assert weight.grad.dtype is pyad.float32


def test_modules_accept_device_and_dtype_keywords():
    for cls, args in [(pnn.Linear, (2, 3)), (pnn.Bilinear, (2, 3, 4)), (pnn.Embedding, (5, 2)),
                      (pnn.LayerNorm, (3,)), (pnn.BatchNorm1d, (3,)), (pnn.PReLU, ())]:
        mod = cls(*args, device="cpu", dtype=pyad.float64)
        assert all(p.dtype is pyad.float64 for p in mod.parameters())


def test_containers_behave_like_torch():
    for m, nn in BOTH:
        a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
        seq = nn.Sequential(a, b)
        seq.append(c)
        assert len(seq) == 3 and list(seq) == [a, b, c] and seq[-1] is c
        assert list(seq[1:]) == [b, c] and type(seq[1:]) is nn.Sequential
        seq.insert(0, nn.Identity())
        assert [type(x).__name__ for x in seq] == ["Identity", "ReLU", "Tanh", "Sigmoid"]
        del seq[1]
        assert list(seq._modules) == ["0", "1", "2"]
        assert seq.pop(0).__class__.__name__ == "Identity"
        seq[0] = a
        assert seq[0] is a
        assert len(seq + nn.Sequential(a)) == 3 and len(seq * 2) == 4
        x = m.tensor([-1.0, 2.0])
        np.testing.assert_allclose(seq(x).numpy(), m.sigmoid(m.relu(x)).numpy(), rtol=1e-6)

        ml = nn.ModuleList([a, b])
        ml.append(c)
        ml.extend([nn.Identity()])
        ml.insert(1, nn.ReLU())
        assert [type(x).__name__ for x in ml] == ["ReLU", "ReLU", "Tanh", "Sigmoid", "Identity"]
        assert type(ml[1:3]) is nn.ModuleList and len(ml[1:3]) == 2
        del ml[0]
        assert list(ml._modules) == ["0", "1", "2", "3"]
        ml += [nn.ReLU()]
        assert len(ml) == 5 and len(ml + ml) == 10

        md = nn.ModuleDict({"x": a})
        md["y"] = b
        md.update([("z", c)])
        assert list(md) == ["x", "y", "z"] and "y" in md and md["z"] is c
        assert list(md.keys()) == ["x", "y", "z"] and len(md.values()) == 3
        assert md.pop("x") is a and len(md) == 2

        pl = nn.ParameterList([m.zeros(2), nn.Parameter(m.ones(3))])
        pl.append(m.ones(1))
        assert len(pl) == 3 and all(isinstance(p, nn.Parameter) for p in pl)
        assert names(pl.named_parameters()) == ["0", "1", "2"]
        assert len(pl[1:]) == 2

        pd = nn.ParameterDict({"b": m.zeros(1), "a": m.ones(1)})
        pd["c"] = nn.Parameter(m.ones(2))
        assert list(pd) == ["a", "b", "c"] and isinstance(pd["a"], nn.Parameter)
        assert names(pd.named_parameters()) == ["a", "b", "c"]
        assert pd.get("zz") is None and "c" in pd
        assert pd.pop("a").tolist() == [1.0] and list(pd.keys()) == ["b", "c"]


def test_module_call_passes_arguments_through():
    for m, nn in BOTH:
        class Two(nn.Module):
            def forward(self, x, y=None, *, scale=1.0):
                return (x + (0 if y is None else y)) * scale
        two = Two()
        assert two(m.ones(1), m.ones(1), scale=3.0).tolist() == [6.0]
        assert two(m.ones(1)).tolist() == [1.0]


def test_get_submodule_parameter_buffer():
    mp = build(pyad, pnn)
    assert mp.get_submodule("block.fc") is mp.block.fc
    assert mp.get_submodule("") is mp
    assert mp.get_parameter("block.fc.weight") is mp.block.fc.weight
    assert mp.get_buffer("block.count") is mp.block.count


def test_state_dict_hooks():
    for _m, nn in BOTH:
        lin = nn.Linear(1, 1)
        seen = []
        lin.register_state_dict_post_hook(lambda mod, sd, prefix, meta: seen.append(list(sd)))
        lin.register_load_state_dict_post_hook(lambda mod, keys: seen.append(keys.missing_keys))
        lin.load_state_dict(lin.state_dict())
        assert seen == [["weight", "bias"], []]


def test_model_pickles_with_its_parameters_and_buffers():
    model = pnn.Sequential(pnn.Linear(2, 3), pnn.BatchNorm1d(3))
    model(pyad.randn(4, 2))
    clone = pickle.loads(pickle.dumps(model))
    assert repr(clone) == repr(model)
    for (k, a), (_, b) in zip(clone.state_dict().items(), model.state_dict().items()):
        assert a.tolist() == b.tolist(), k
    assert type(clone[0].weight) is pnn.Parameter and clone[0].weight.requires_grad
    clone(pyad.randn(4, 2)).sum().backward()
    assert clone[0].weight.grad is not None and model[0].weight.grad is None


def _backward_hook_trace(m, nn, input_requires_grad=True, replace=False, pre_scale=None):
    """Run a small model whose modules carry full backward (pre-)hooks; return what the hooks
    saw (in order), the input's gradient and a parameter's gradient."""
    m.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    with m.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(m.cos(m.arange(p.numel(), dtype=m.float64) + i).reshape(p.shape))
    seen = []

    def shape_of(grads):
        return tuple(None if g is None else np.round(g.detach().numpy(), 10).tolist()
                     for g in grads)

    def hook(name):
        def fn(mod, grad_input, grad_output):
            seen.append((name, "hook", shape_of(grad_input), shape_of(grad_output)))
            if replace and name == "tanh":
                return tuple(None if g is None else g * 2 for g in grad_input)
        return fn

    def pre_hook(name):
        def fn(mod, grad_output):
            seen.append((name, "pre", shape_of(grad_output)))
            if pre_scale is not None and name == "last":
                return tuple(g * pre_scale for g in grad_output)
        return fn

    handles = [model[0].register_full_backward_hook(hook("first")),
               model[1].register_full_backward_hook(hook("tanh")),
               model[2].register_full_backward_hook(hook("last")),
               model[2].register_full_backward_pre_hook(pre_hook("last")),
               model.register_full_backward_hook(hook("model"))]
    x = m.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=input_requires_grad)
    out = model(x)
    name = type(out.grad_fn).__name__
    out.sum().backward()
    for h in handles:
        h.remove()
    seen_after = len(seen)
    model(x).sum().backward()
    assert len(seen) == seen_after   # removed hooks stay silent
    return (seen, None if x.grad is None else np.round(x.grad.numpy(), 10).tolist(),
            np.round(model[0].weight.grad.numpy(), 10).tolist(), name)


@pytest.mark.parametrize("kwargs", [{}, {"replace": True}, {"pre_scale": 3.0},
                                    {"input_requires_grad": False}])
def test_full_backward_hooks_match_torch(kwargs):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch's and pyad's "no input requires grad" warning
        got = _backward_hook_trace(pyad, pnn, **kwargs)
        want = _backward_hook_trace(torch, tnn, **kwargs)
    assert got[0] == want[0]
    assert got[1:] == want[1:]


def test_full_backward_hook_warns_without_input_grad_as_torch():
    for m, nn in BOTH:
        lin = nn.Linear(2, 1)
        lin.register_full_backward_hook(lambda *a: None)
        with pytest.warns(UserWarning, match="Full backward hook is firing when gradients"):
            lin(m.ones(1, 2)).sum().backward()
