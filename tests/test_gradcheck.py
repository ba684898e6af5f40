"""``autograd.gradcheck`` and ``autograd.gradgradcheck``.

Outcomes (True, False, the exception type and its exact message) are compared with torch 2.13
where torch is installed; the rest runs on pyad alone.
"""

import importlib
import warnings

import numpy as np
import pytest

from conftest import AGAINST_TORCH, MODULE_NAME, raises_exact

RNG = np.random.default_rng(7)
X3 = RNG.standard_normal(3)
Y23 = RNG.standard_normal((2, 3))
G3 = RNG.uniform(-1, 1, 3)


def gradcheck_error():
    """GradcheckError from the module under test (torch does not export it from autograd)."""
    return importlib.import_module(MODULE_NAME + ".autograd.gradcheck").GradcheckError


def t64(m, a, requires_grad=True):
    return m.tensor(np.asarray(a, dtype=np.float64), dtype=m.float64, requires_grad=requires_grad)


def wrong_first(m, x):
    """Value x**2, analytical gradient x (the detached factor has no gradient)."""
    return x * x.detach()


def wrong_second(m, x):
    """Value x**2 and gradient 2x, but a recorded gradient 2 * x.detach(): the second
    derivative is analytically 0 instead of 2."""
    return x * x - (x - x.detach()) ** 2


SMOOTH = [
    (lambda m, x: (x.exp() * x.sin()).sum(), (X3,)),
    (lambda m, x, y: ((y @ x).tanh(), (x * y).sigmoid()), (X3, Y23)),
    (lambda m, x: x, (X3,)),
    (lambda m, x: x.reshape(3, 1).transpose(0, 1) / (1 + x * x), (X3,)),
    (lambda m, x, y: (y ** 2).mean(0) * x.cos(), (X3, Y23)),
]


def test_passes_on_correct_gradients(pt):
    for f, args in SMOOTH:
        assert pt.autograd.gradcheck(lambda *i: f(pt, *i), tuple(t64(pt, a) for a in args))
        assert pt.autograd.gradgradcheck(lambda *i: f(pt, *i), tuple(t64(pt, a) for a in args))


def test_input_that_does_not_require_grad_is_held_fixed(pt):
    x, y = t64(pt, X3), t64(pt, Y23, requires_grad=False)
    assert pt.autograd.gradcheck(lambda a, b: (b @ a).sin(), (x, y))
    assert pt.autograd.gradcheck(lambda a, k: a * k, (x, 2.5))   # non-tensor inputs pass through


def test_single_tensor_input(pt):
    assert pt.autograd.gradcheck(lambda a: a.tanh(), t64(pt, X3))


def test_mismatch_message(pt):
    x = pt.tensor([0.5, -1.0], dtype=pt.float64, requires_grad=True)
    msg = ("Jacobian mismatch for output 0 with respect to input 0,\n"
           "numerical:tensor([[ 1.0000,  0.0000],\n"
           "        [ 0.0000, -2.0000]], dtype=pyad.float64)\n"
           "analytical:tensor([[ 0.5000,  0.0000],\n"
           "        [-0.0000, -1.0000]], dtype=pyad.float64)\n")   # -0.0 = 0 * -1.0
    with raises_exact(gradcheck_error(), msg) as info:
        pt.autograd.gradcheck(lambda a: wrong_first(pt, a), (x,))
    assert isinstance(info.value, RuntimeError)
    assert pt.autograd.gradcheck(lambda a: wrong_first(pt, a), (x,), raise_exception=False) is False


@pytest.mark.skipif(AGAINST_TORCH, reason="pyad exports GradcheckError from pyad.autograd")
def test_gradcheck_error_is_exported(pt):
    assert pt.autograd.GradcheckError is gradcheck_error()
    assert issubclass(gradcheck_error(), RuntimeError)


def test_mismatch_for_a_later_output_and_input(pt):
    x, y = t64(pt, [1.0]), t64(pt, [2.0])
    with pytest.raises(RuntimeError) as info:
        pt.autograd.gradcheck(lambda a, b: (a * 2, b * b.detach()), (x, y))
    assert str(info.value).startswith("Jacobian mismatch for output 1 with respect to input 1,\n")


def test_gradgradcheck_finds_a_wrong_second_derivative(pt):
    x = t64(pt, [0.5, -1.0])
    go = t64(pt, [1.0, 2.0])
    f = lambda a: wrong_second(pt, a)   # noqa: E731
    assert pt.autograd.gradcheck(f, (x,))
    msg = ("Jacobian mismatch for output 0 with respect to input 0,\n"
           "numerical:tensor([[2.0000, 0.0000],\n"
           "        [0.0000, 4.0000]], dtype=pyad.float64)\n"
           "analytical:tensor([[0., 0.],\n"
           "        [0., 0.]], dtype=pyad.float64)\n")
    with raises_exact(RuntimeError, msg):
        pt.autograd.gradgradcheck(f, (x,), (go,))
    assert pt.autograd.gradgradcheck(f, (x,), (go,), raise_exception=False) is False


def test_tolerances(pt):
    x = t64(pt, [1.0, 2.0])
    f = lambda a: a * a.detach() * 1.999999   # analytical ~2x too small  # noqa: E731
    assert not pt.autograd.gradcheck(f, (x,), raise_exception=False)
    assert pt.autograd.gradcheck(f, (x,), atol=5.0)
    assert pt.autograd.gradcheck(f, (x,), rtol=0.6)


def test_argument_errors(pt):
    with raises_exact(ValueError, "gradcheck expects at least one input tensor to require "
                      "gradient, but none of them have requires_grad=True."):
        pt.autograd.gradcheck(lambda a: a * 2, (t64(pt, X3, requires_grad=False),))
    with raises_exact(AssertionError, "Expected at least one of check_forward_ad or "
                      "check_backward_ad to be True"):
        pt.autograd.gradcheck(lambda a: a, (t64(pt, X3),), check_backward_ad=False)
    with raises_exact(AssertionError, "Expected at least one of check_fwd_over_rev or "
                      "check_rev_over_rev to be True"):
        pt.autograd.gradgradcheck(lambda a: a, (t64(pt, X3),), check_rev_over_rev=False)


def test_no_differentiable_outputs(pt):
    x = t64(pt, X3)
    assert pt.autograd.gradcheck(lambda a: pt.ones(2, dtype=pt.float64), (x,))
    with raises_exact(RuntimeError, "Numerical gradient for function expected to be zero"):
        pt.autograd.gradcheck(lambda a: a.detach() * 2, (x,))


def test_float32_input_warns(pt):
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        pt.autograd.gradcheck(lambda a: a * 2, (x,), eps=1e-3, atol=1e-2)
    msg = ("Input #0 requires gradient and is not a double precision floating point or complex. "
           "This check will likely fail if all the inputs are not of double precision floating "
           "point or complex. ")
    assert msg in [str(x.message) for x in w]


def test_inputs_are_restored(pt):
    x = t64(pt, X3)
    pt.autograd.gradcheck(lambda a: a.sin(), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), X3)
    assert x.grad is None


def test_accepted_options_have_no_effect(pt):
    x = t64(pt, X3)
    f = lambda a: a.sin()   # noqa: E731
    assert pt.autograd.gradcheck(f, (x,), nondet_tol=1e-12, check_undefined_grad=False,
                                 check_grad_dtypes=True, check_batched_grad=True,
                                 fast_mode=True, masked=False)
    assert pt.autograd.gradgradcheck(f, (x,), gen_non_contig_grad_outputs=True,
                                     check_batched_grad=True, fast_mode=True)


@pytest.mark.skipif(AGAINST_TORCH, reason="pyad has no forward-mode AD")
def test_forward_ad_checks_are_not_supported(pt):
    msg = ("pyad has no forward-mode AD: check_forward_ad=True (or gradgradcheck's "
           "check_fwd_over_rev=True) is not supported")
    with raises_exact(NotImplementedError, msg):
        pt.autograd.gradcheck(lambda a: a, (t64(pt, X3),), check_forward_ad=True)
    with raises_exact(NotImplementedError, msg):
        pt.autograd.gradgradcheck(lambda a: a, (t64(pt, X3),), check_fwd_over_rev=True)


# ============================================================================
# against torch
# ============================================================================

TORCH_CASES = SMOOTH + [
    (wrong_first, (X3,)),
    (wrong_second, (X3,)),
    (lambda m, x: x.detach() + 0, (X3,)),
    (lambda m, x: m.ones(2, dtype=m.float64), (X3,)),
    (lambda m, x: x.abs() * x, (X3,)),
    (lambda m, x, y: (x * 2, y.detach() * y), (X3, Y23)),
]


def _outcome(m, check, f, args, extra):
    inputs = tuple(t64(m, a) for a in args)
    try:
        return getattr(m.autograd, check)(lambda *i: f(m, *i), inputs, *extra(m, inputs))
    except Exception as e:   # noqa: BLE001  (compared with torch's)
        return (type(e).__name__, str(e).replace("torch.", "pyad."))


@pytest.mark.parametrize("case", range(len(TORCH_CASES)))
@pytest.mark.parametrize("check", ["gradcheck", "gradgradcheck"])
def test_against_torch(pt, check, case):
    torch = pytest.importorskip("torch")
    f, args = TORCH_CASES[case]

    def extra(m, inputs):   # fixed grad_outputs, so that both libraries see the same ones
        if check == "gradcheck":
            return ()
        outs = f(m, *inputs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        rng = np.random.default_rng(case)
        return (tuple(t64(m, rng.uniform(-1, 1, tuple(o.shape))) for o in outs
                      if o.requires_grad),)

    assert _outcome(pt, check, f, args, extra) == _outcome(torch, check, f, args, extra)
