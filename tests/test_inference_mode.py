"""``inference_mode``: grad mode off (on for ``mode=False``), as a context manager and decorator.

pyad has no inference tensors, so the torch behaviours that depend on them (the "Inference
tensors cannot be saved for backward" error, ``is_inference()``) are not tested here.
"""

import threading

import pytest

from conftest import AGAINST_TORCH


def test_context_manager_stops_recording(pt):
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    with pt.inference_mode():
        assert not pt.is_grad_enabled()
        y = x * 2
    assert pt.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert pt.autograd.inference_mode is pt.inference_mode


def test_mode_false_enables_grad_even_inside_no_grad(pt):
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    with pt.no_grad():
        with pt.inference_mode(False):
            assert pt.is_grad_enabled()
            y = x * 2
        assert not pt.is_grad_enabled()
    assert y.requires_grad


def test_enable_grad_inside_inference_mode(pt):
    with pt.inference_mode():
        with pt.enable_grad():
            assert pt.is_grad_enabled()
        assert not pt.is_grad_enabled()


def test_restores_the_previous_mode_on_error(pt):
    with pytest.raises(ZeroDivisionError):
        with pt.inference_mode():
            1 / 0  # noqa: B018
    assert pt.is_grad_enabled()


def test_decorator_forms(pt):
    @pt.inference_mode
    def bare():
        return pt.is_grad_enabled()

    @pt.inference_mode()
    def called():
        return pt.is_grad_enabled()

    @pt.inference_mode(False)
    def off():
        return pt.is_grad_enabled()

    assert (bare(), called(), off()) == (False, False, True)
    assert bare.__name__ == "bare"
    with pt.no_grad():
        assert off()
    assert pt.is_grad_enabled()


def test_clone_keeps_the_mode(pt):
    c = pt.inference_mode(False).clone()
    assert isinstance(c, pt.inference_mode) and c.mode is False


def test_thread_local(pt):
    seen = []
    with pt.inference_mode():
        t = threading.Thread(target=lambda: seen.append(pt.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


@pytest.mark.skipif(AGAINST_TORCH, reason="torch's inference tensors cannot be saved for backward")
def test_tensors_made_in_inference_mode_are_ordinary(pt):
    with pt.inference_mode():
        c = pt.ones(2) * 3
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    (g,) = pt.autograd.grad((x * c).sum(), x)
    assert g.tolist() == [3.0, 3.0]
