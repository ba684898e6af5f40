"""Devices and process settings against torch (a CPU-only build's answers and errors)."""
import pickle
import warnings

import pytest

import pyad

torch = pytest.importorskip("torch")


def outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001  (the exception is the compared outcome)
        return ("raise", type(e).__name__, str(e))
    if isinstance(r, (bool, int, type(None))):
        return ("value", r)
    return ("value", repr(r).replace("torch.", "pyad."))


def same(fn):
    expected = outcome(lambda: fn(torch))
    got = outcome(lambda: fn(pyad))
    assert got == expected


@pytest.mark.parametrize("spec", ["cpu", "cpu:0", "cpu:1", "cuda", "cuda:1", "mps", "xpu", "meta",
                                  "hip:3"])
def test_device_construct_repr_str_fields(spec):
    same(lambda m: m.device(spec))
    same(lambda m: str(m.device(spec)))
    same(lambda m: (m.device(spec).type, m.device(spec).index))


@pytest.mark.parametrize("args", [("cuda", 0), ("cpu", 0), ("cuda", -1), ("cpu", "a"),
                                  ("foo",), ("CPU",), ("cuda:1:2",), ("cuda:-1",), (0,),
                                  (1.5,), ("cuda:1", 2)])
def test_device_constructor_errors(args):
    same(lambda m: m.device(*args))


def test_device_equality_hash_pickle_and_keyword_form():
    assert pyad.device("cuda:0") == pyad.device("cuda", 0)
    assert pyad.device("cpu") != pyad.device("cpu:0")
    assert (pyad.device("cpu") == "cpu") is (torch.device("cpu") == "cpu")
    assert hash(pyad.device("cpu")) == hash(pyad.device("cpu"))
    assert pyad.device(pyad.device("cuda:2")) == pyad.device("cuda", 2)
    assert pyad.device(type="cpu") == pyad.device("cpu")
    assert pickle.loads(pickle.dumps(pyad.device("cuda:3"))) == pyad.device("cuda:3")


def test_tensor_device_attributes():
    x = pyad.ones(2)
    for attr in ("is_cuda", "is_cpu", "is_meta"):
        assert getattr(x, attr) == getattr(torch.ones(2), attr)
    assert x.device == pyad.device("cpu") and repr(x.device) == "device(type='cpu')"
    assert x.get_device() == torch.ones(2).get_device()
    assert x.cpu() is x


@pytest.mark.parametrize("make", [
    lambda m, d: m.tensor([1.0], device=d), lambda m, d: m.zeros(2, device=d),
    lambda m, d: m.ones(2, 3, device=d), lambda m, d: m.full((2,), 3.0, device=d),
    lambda m, d: m.empty(2, device=d).shape, lambda m, d: m.rand(2, device=d).shape,
    lambda m, d: m.randn(2, device=d).shape, lambda m, d: m.arange(3, device=d),
    lambda m, d: m.linspace(0, 1, 3, device=d), lambda m, d: m.eye(2, device=d),
    lambda m, d: m.zeros_like(m.ones(2), device=d), lambda m, d: m.ones_like(m.ones(2), device=d),
    lambda m, d: m.full_like(m.ones(2), 2.0, device=d),
    lambda m, d: m.empty_like(m.ones(2), device=d).shape,
    lambda m, d: m.rand_like(m.ones(2), device=d).shape,
    lambda m, d: m.randn_like(m.ones(2), device=d).shape,
    lambda m, d: m.randint(3, (2,), device=d).shape, lambda m, d: m.randperm(3, device=d).shape,
    lambda m, d: m.as_tensor([1.0], device=d),
    lambda m, d: m.ones(2).new_zeros(3, device=d),
    lambda m, d: m.ones(2).new_ones((1, 2), device=d),
    lambda m, d: m.ones(2).new_full((2,), 5.0, device=d),
    lambda m, d: m.ones(2).new_tensor([3.0], device=d),
])
@pytest.mark.parametrize("dev", ["cpu", "cpu:0", None, "cuda", "cuda:0", "xpu"])
def test_device_argument_on_creation_functions(make, dev):
    same(lambda m: make(m, dev))
    if dev is not None:
        same(lambda m: make(m, m.device(dev)))


@pytest.mark.parametrize("call", [
    lambda m, x: x.to("cpu") is x, lambda m, x: x.to(m.float32) is x,
    lambda m, x: x.to(m.float64).dtype, lambda m, x: x.to("cpu", m.float64).dtype,
    lambda m, x: x.to(device="cpu", dtype=m.float64).dtype,
    lambda m, x: x.to(m.device("cpu")) is x, lambda m, x: x.to(x) is x,
    lambda m, x: x.to(m.ones(1, dtype=m.float64)).dtype,
    lambda m, x: x.to("cpu", copy=True) is x, lambda m, x: x.to(m.float32, copy=True) is x,
    lambda m, x: x.to(m.float32, False, True) is x,
    lambda m, x: x.to("cpu", m.float64, True, True).dtype, lambda m, x: x.to().dtype,
    lambda m, x: x.to(non_blocking=True) is x,
    lambda m, x: x.to("cuda"), lambda m, x: x.to("cuda:1"), lambda m, x: x.to(m.device("cuda")),
    lambda m, x: x.to("xpu"), lambda m, x: x.to("foo"), lambda m, x: x.to(1),
    lambda m, x: x.cuda(), lambda m, x: x.to("cpu:1") is x,
])
def test_to_and_cuda(call):
    same(lambda m: call(m, m.ones(2)))


def test_to_copy_is_a_new_tensor_with_history():
    x = pyad.ones(2, requires_grad=True)
    y = x.to(pyad.float32, copy=True)
    assert y is not x and y.tolist() == [1.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    z = x.to(pyad.float64)
    assert z.grad_fn.name() == torch.ones(1, requires_grad=True).to(torch.float64).grad_fn.name()


def test_cuda_and_accelerator_modules():
    for name in ("is_available", "device_count", "is_initialized"):
        assert getattr(pyad.cuda, name)() == getattr(torch.cuda, name)()
    assert pyad.cuda.manual_seed(1) is None and pyad.cuda.manual_seed_all(1) is None
    for name in ("current_device", "synchronize", "get_device_name"):
        same(lambda m: getattr(m.cuda, name)())
    assert pyad.accelerator.is_available() is torch.accelerator.is_available()
    assert pyad.accelerator.current_accelerator() is torch.accelerator.current_accelerator()
    assert pyad.accelerator.device_count() == torch.accelerator.device_count()
    from pyad import cuda  # noqa: F401  (the submodule imports by name)


def test_backends_flags():
    for flag in ("enabled", "benchmark", "deterministic"):
        assert getattr(pyad.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag)
    assert pyad.backends.cudnn.is_available() == torch.backends.cudnn.is_available()
    assert pyad.backends.cudnn.version() == torch.backends.cudnn.version()
    assert pyad.backends.mps.is_available() == torch.backends.mps.is_available()
    assert pyad.backends.mps.is_built() == torch.backends.mps.is_built()
    old = pyad.backends.cudnn.benchmark
    pyad.backends.cudnn.benchmark = True
    try:
        assert pyad.backends.cudnn.benchmark is True
    finally:
        pyad.backends.cudnn.benchmark = old


def test_default_device():
    assert pyad.get_default_device() == pyad.device("cpu")
    pyad.set_default_device("cpu")
    pyad.set_default_device(pyad.device("cpu"))
    pyad.set_default_device(None)
    try:
        same(lambda m: m.set_default_device("cuda"))
        same(lambda m: m.zeros(1))
        same(lambda m: m.tensor([1.0]))
        same(lambda m: m.get_default_device())
        same(lambda m: m.set_default_device("cpu:1") or m.zeros(1).device)
    finally:
        torch.set_default_device(None)
        pyad.set_default_device(None)
    assert pyad.get_default_device() == pyad.device("cpu")
    with pyad.device("cpu"):
        assert pyad.zeros(1).device == pyad.device("cpu")


def test_process_settings():
    assert pyad.are_deterministic_algorithms_enabled() is False
    pyad.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert pyad.are_deterministic_algorithms_enabled() is True
        assert pyad.is_deterministic_algorithms_warn_only_enabled() is True
    finally:
        pyad.use_deterministic_algorithms(False)
    assert pyad.are_deterministic_algorithms_enabled() is False
    n = pyad.get_num_threads()
    assert isinstance(n, int) and n >= 1
    pyad.set_num_threads(3)
    assert pyad.get_num_threads() == 3
    pyad.set_num_threads(n)
    same(lambda m: m.set_num_threads(0))
    assert pyad.get_num_interop_threads() >= 1


def test_numpy_under_no_grad_as_torch():
    for m in (torch, pyad):
        x = m.ones(2, requires_grad=True)
        with m.no_grad():
            assert x.numpy().tolist() == [1.0, 1.0]
        with m.inference_mode():
            assert x.numpy().tolist() == [1.0, 1.0]
    same(lambda m: m.ones(2, requires_grad=True).numpy())


def test_matmul_precision_and_cuda_backend_flags():
    try:
        for value in ("high", "medium", "foo", "highest"):
            results = []
            for m in (torch, pyad):
                with warnings.catch_warnings(record=True) as w:
                    warnings.simplefilter("always")
                    m.set_float32_matmul_precision(value)
                results.append((m.get_float32_matmul_precision(), len(w),
                                m.backends.cuda.matmul.allow_tf32))
            assert results[0] == results[1]
    finally:
        torch.set_float32_matmul_precision("highest")
        pyad.set_float32_matmul_precision("highest")
    flags = ("allow_tf32", "allow_fp16_reduced_precision_reduction",
             "allow_bf16_reduced_precision_reduction")
    for flag in flags:
        assert getattr(pyad.backends.cuda.matmul, flag) == getattr(torch.backends.cuda.matmul,
                                                                   flag)
    assert pyad.backends.cuda.is_built() == torch.backends.cuda.is_built()
    try:
        for m in (torch, pyad):
            m.backends.cuda.matmul.allow_tf32 = True
        assert pyad.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    finally:
        for m in (torch, pyad):
            m.backends.cuda.matmul.allow_tf32 = False
    assert pyad.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
