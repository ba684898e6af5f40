"""Anomaly mode against torch: the NaN check names the backward node, and the warning shows
where the forward op was called."""
import warnings

import pytest

import pyad


@pytest.mark.parametrize("create_graph", [False, True])
def test_nan_in_backward_names_the_node(create_graph):
    x = pyad.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = pyad.autograd.detect_anomaly()
    with ctx:
        y = (x.sqrt() * 0).sum()
        with pytest.warns(UserWarning,
                          match=r"(?s)Error detected in SqrtBackward0\. Traceback of "
                                r"forward call that caused the error:\n.*test_anomaly"):
            with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values "
                                                   "in its 0th output."):
                pyad.autograd.grad(y, x, create_graph=create_graph)
    # off again: the same computation returns the NaN without raising
    (g,) = pyad.autograd.grad((x.sqrt() * 0).sum(), x)
    assert g.tolist()[1] == 0.0


def test_set_detect_anomaly_and_check_nan_false():
    x = pyad.tensor([0.0], requires_grad=True)
    assert not pyad.autograd.anomaly_mode.is_anomaly_enabled()
    with pyad.autograd.set_detect_anomaly(True, check_nan=False):
        assert pyad.autograd.anomaly_mode.is_anomaly_enabled()
        assert not pyad.autograd.anomaly_mode.is_anomaly_check_nan_enabled()
        (g,) = pyad.autograd.grad((x.sqrt() * 0).sum(), x)
    assert not pyad.autograd.anomaly_mode.is_anomaly_enabled()


def test_matches_torch_message():
    torch = pytest.importorskip("torch")
    msgs = []
    for m in (pyad, torch):
        x = m.tensor([0.0, 1.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with m.autograd.detect_anomaly():
                try:
                    m.autograd.grad((x.sqrt() * 0).sum(), x)
                except RuntimeError as e:
                    msgs.append(str(e))
    assert msgs[0] == msgs[1]


def test_custom_function_node_keeps_its_forward_trace():
    # a custom Function's node holds both its ctx and, in anomaly mode, the forward's stack:
    # the NaN warning shows where apply() was called, as torch's does
    class Bad(pyad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x * float("nan")

    x = pyad.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = pyad.autograd.detect_anomaly()
    with ctx:
        y = Bad.apply(x).sum()
        with pytest.warns(UserWarning,
                          match=r"(?s)Error detected in BadBackward\. Traceback of forward "
                                r"call that caused the error:\n.*Bad\.apply\(x\)"):
            with pytest.raises(RuntimeError, match="Function 'BadBackward' returned nan values "
                                                   "in its 0th output."):
                y.backward()
