"""gradcheck and gradgradcheck: analytical Jacobians against central finite differences.

torch's slow-mode algorithm and messages (``torch.`` spelled ``pyad.``):

- numerical: each element of each input that requires grad is perturbed in place by
  ``+-eps`` and ``(f(x + eps) - f(x - eps)) / (2 eps)`` fills one row of the Jacobian;
- analytical: one ``grad`` call per output element (twice, to check that backward is
  reentrant within ``nondet_tol``);
- both are ``(input.numel(), output.numel())`` matrices compared with ``allclose(rtol, atol)``;
  a mismatch raises :class:`GradcheckError` ("Jacobian mismatch for output 0 with respect to
  input 0, ...") or returns False with ``raise_exception=False``;
- backward with zero ``grad_outputs`` must give zeros ("backward not multiplied by
  grad_output").

Arguments that do not apply to pyad are accepted and have no effect: ``check_undefined_grad``
(pyad has no undefined gradients: a missing gradient is zeros), ``check_batched_grad`` (pyad's
batched grad is this same loop), ``fast_mode`` (runs the full slow check), ``masked`` (no
sparse tensors), ``gen_non_contig_grad_outputs`` (every pyad tensor is contiguous). pyad has
no forward-mode AD, so ``check_forward_ad=True`` / ``check_fwd_over_rev=True`` raise
NotImplementedError.
"""
import warnings

import numpy as _np

import pyad
from pyad.autograd import grad as _grad
from pyad.autograd.functional import _as_tuple_nocheck as _as_tuple

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    r"""Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


def _differentiable_outputs(x):
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _is_float_tensor(obj):
    return isinstance(obj, pyad.Tensor) and obj.is_floating_point()


def _check_inputs(tupled_inputs):
    any_input_requiring_grad = False
    for idx, inp in enumerate(tupled_inputs):
        if isinstance(inp, pyad.Tensor) and inp.requires_grad:
            if inp.dtype != pyad.float64:
                warnings.warn(
                    f"Input #{idx} requires gradient and is not a double precision floating "
                    "point or complex. This check will likely fail if all the inputs are not of "
                    "double precision floating point or complex. ", stacklevel=3)
            any_input_requiring_grad = True
    if not any_input_requiring_grad:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")


# ============================================================================================
# Numerical Jacobian
# ============================================================================================
def _check_outputs_same_dtype_and_shape(output1, output2, eps, idx):
    on_index = f"on index {idx} "
    if output1.shape != output2.shape:
        raise AssertionError(
            "Expected `func` to return outputs with the same shape when inputs are perturbed "
            f"{on_index}by {eps}, but got: shapes {output1.shape} and {output2.shape}.")
    if output1.dtype != output2.dtype:
        raise AssertionError(
            "Expected `func` to return outputs with the same dtype when inputs are perturbed "
            f"{on_index}by {eps}, but got: dtypes {output1.dtype} and {output2.dtype}.")


def _numerical_jacobian(func, inputs, func_out, eps):
    """numerical[j][i]: (inputs[j].numel(), out_i.numel()) for each input requiring grad j and
    each floating output i, by central differences (input memory perturbed in place)."""
    float_outs = [o for o in func_out if _is_float_tensor(o)]
    jacobians = []
    for inp in inputs:
        if not (isinstance(inp, pyad.Tensor) and inp.requires_grad):
            continue
        jacs = [_np.zeros((inp.numel(), o.numel()), dtype=o.detach().numpy().dtype)
                for o in float_outs]
        data = inp.detach().numpy().reshape(-1)   # a writable view of inp's memory
        for k in range(data.size):
            orig = data[k]
            idx = tuple(int(i) for i in _np.unravel_index(k, tuple(inp.shape)))
            try:
                data[k] = orig - eps
                outa = _as_tuple(func(*inputs))
                arrs_a = [o.detach().numpy().copy() for o in outa]   # outputs may view inp
                data[k] = orig + eps
                outb = _as_tuple(func(*inputs))
                arrs_b = [o.detach().numpy().copy() for o in outb]
            finally:
                data[k] = orig
            fi = 0
            for o_ref, ta, tb, a, b in zip(func_out, outa, outb, arrs_a, arrs_b):
                if not _is_float_tensor(o_ref):
                    continue
                _check_outputs_same_dtype_and_shape(ta, tb, eps, idx)
                jacs[fi][k] = ((b - a) / (2 * eps)).reshape(-1)   # row k: d out / d inp[k]
                fi += 1
        jacobians.append([pyad.tensor(j) for j in jacs])
    return jacobians


# ============================================================================================
# Analytical Jacobian
# ============================================================================================
_FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""


def _analytical_rows(output, diff_inputs):
    """jac[j]: (diff_inputs[j].numel(), output.numel()), one grad call per output element,
    plus whether every gradient had its input's size and dtype."""
    jacs = [_np.zeros((inp.numel(), output.numel()), dtype=inp.detach().numpy().dtype)
            for inp in diff_inputs]
    sizes_ok = types_ok = True
    seed = _np.zeros(output.numel(), dtype=output.detach().numpy().dtype)
    for k in range(output.numel()):
        seed[:] = 0
        seed[k] = 1
        grads = _grad(output, diff_inputs, pyad.tensor(seed.reshape(tuple(output.shape))),
                      retain_graph=True, allow_unused=True)
        for j, (g, inp) in enumerate(zip(grads, diff_inputs)):
            if g is None:
                continue
            if g.shape != inp.shape:
                sizes_ok = False
            elif g.dtype != inp.dtype:
                types_ok = False
            jacs[j][:, k] = g.detach().numpy().reshape(-1)
    return jacs, sizes_ok, types_ok


def _analytical_jacobian(diff_inputs, output, nondet_tol, check_grad_dtypes):
    jac1, sizes_ok, types_ok = _analytical_rows(output, diff_inputs)
    jac2, _, _ = _analytical_rows(output, diff_inputs)
    reentrant = all(a.size == 0 or _np.abs(a - b).max() <= nondet_tol
                    for a, b in zip(jac1, jac2))
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with same input and grad_output "
            "multiple times gives different values, although analytical gradient matches "
            f"numerical gradient.The tolerance for nondeterminism was {nondet_tol}."
            + _FAILED_NONDET_MSG)
    return [pyad.tensor(j) for j in jac1]


def _allclose(a, b, rtol, atol):
    """torch.allclose after type promotion: |a - b| <= atol + rtol * |b|, NaN never close."""
    x = a.detach().numpy().astype(_np.float64)
    y = b.detach().numpy().astype(_np.float64)
    return bool(_np.all(_np.abs(x - y) <= atol + rtol * _np.abs(y)))


def _get_notallclose_msg(analytical, numerical, output_idx, input_idx):
    return (f"Jacobian mismatch for output {output_idx:d} with respect to input {input_idx:d},\n"
            f"numerical:{numerical}\nanalytical:{analytical}\n")


# ============================================================================================
# The checks
# ============================================================================================
def _slow_gradcheck(func, func_out, tupled_inputs, outputs, eps, rtol, atol, check_grad_dtypes,
                    nondet_tol):
    func_out = _as_tuple(func_out)
    numerical_by_input = _numerical_jacobian(func, tupled_inputs, func_out, eps)
    if not outputs:
        for per_input in numerical_by_input:
            for jac in per_input:
                if bool((jac != 0).sum() > 0):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    # numerical[i][j]: output i, input j (torch zips func_out with the floating outputs' rows)
    numerical = list(zip(*numerical_by_input))
    numerical = [nj for o, nj in zip(func_out, numerical) if o.requires_grad]
    diff_inputs = [t for t in tupled_inputs if isinstance(t, pyad.Tensor) and t.requires_grad]
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobian(diff_inputs, o, nondet_tol, check_grad_dtypes)
        for j, (a, n) in enumerate(zip(analytical, numerical[i])):
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_get_notallclose_msg(a, n, i, j))
    return True


def _test_backward_mul_by_grad_output(outputs, inputs):
    diff_input_list = [t for t in inputs if isinstance(t, pyad.Tensor) and t.requires_grad]
    if not diff_input_list:
        raise GradcheckError("no Tensors requiring grad found in input")
    grads_input = _grad(outputs, diff_input_list, [pyad.zeros_like(o) for o in outputs],
                        allow_unused=True)
    for gi, di in zip(grads_input, diff_input_list):
        if gi is None:
            continue
        if not _np.all(gi.detach().numpy() == 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if gi.dtype != di.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi.size() != di.size():
            raise GradcheckError("grad is incorrect size")
    return True


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """Check gradients computed by finite differences against the analytical ones.

    Checks the gradients with respect to the ``inputs`` that are floating tensors with
    ``requires_grad=True``. The defaults are meant for float64 inputs (float32 inputs warn).

    Args:
        func (function): takes Tensor inputs, returns a Tensor or a tuple of Tensors.
        inputs (tuple of Tensor or Tensor): inputs to ``func``.
        eps (float, optional): perturbation for finite differences. Defaults to 1e-6.
        atol (float, optional): absolute tolerance. Defaults to 1e-5.
        rtol (float, optional): relative tolerance. Defaults to 1e-3.
        raise_exception (bool, optional): raise :class:`GradcheckError` on failure (else
            return False). Defaults to True.
        nondet_tol (float, optional): how far two backward runs may differ. Defaults to 0.0.
        check_grad_dtypes (bool, optional): fail when a gradient's dtype is not its input's.
        check_backward_ad (bool, optional): run the backward checks. Defaults to True.
        check_undefined_grad, check_batched_grad, check_batched_forward_grad, fast_mode,
            masked: accepted for torch compatibility; no effect in pyad.
        check_forward_ad (bool, optional): pyad has no forward-mode AD: True raises
            NotImplementedError.

    Returns:
        bool: True when every Jacobian matches.

    Example:
        >>> x = pyad.tensor([0.5, 1.5], dtype=pyad.float64, requires_grad=True)
        >>> pyad.autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x,))
        True
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError(
            "Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError(
            "Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    if check_forward_ad:
        raise NotImplementedError("pyad has no forward-mode AD: check_forward_ad=True (or "
                                  "gradgradcheck's check_fwd_over_rev=True) is not supported")
    try:
        return _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes):
    tupled_inputs = _as_tuple(inputs)
    _check_inputs(tupled_inputs)
    func_out = func(*tupled_inputs)
    outputs = _differentiable_outputs(func_out)
    _slow_gradcheck(func, func_out, tupled_inputs, outputs, eps, rtol, atol, check_grad_dtypes,
                    nondet_tol)
    _test_backward_mul_by_grad_output(outputs, tupled_inputs)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives: :func:`gradcheck` applied to the backward of ``func``.

    The checked function maps ``(inputs, grad_outputs)`` to the gradients of ``func``'s
    outputs (weighted by ``grad_outputs``) with respect to the inputs, computed with
    ``create_graph=True``, so both its dependence on the inputs and on ``grad_outputs`` is
    checked.

    Args:
        func (function): takes Tensor inputs, returns a Tensor or a tuple of Tensors.
        inputs (tuple of Tensor or Tensor): inputs to ``func``.
        grad_outputs (tuple of Tensor or Tensor, optional): the gradients with respect to
            ``func``'s outputs; random values in [-1, 1) requiring grad when None.
        eps, atol, rtol, raise_exception, nondet_tol, check_grad_dtypes: as in gradcheck.
        gen_non_contig_grad_outputs, check_undefined_grad, check_batched_grad, fast_mode,
            masked: accepted for torch compatibility; no effect in pyad.
        check_fwd_over_rev (bool, optional): True raises NotImplementedError (no forward AD).
        check_rev_over_rev (bool, optional): run the reverse-over-reverse check. Defaults to
            True.

    Returns:
        bool: True when every Jacobian matches.
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError(
            "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_rev_over_rev to be True")
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable_outputs(func(*tupled_inputs))
        tupled_grad_outputs = tuple(
            (pyad.rand(tuple(x.shape), dtype=x.dtype if x.is_floating_point() else pyad.float64)
             * 2 - 1).detach().requires_grad_(True)
            for x in outputs)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grad_outputs)
    diff_input_args_indices = {i for i, x in enumerate(tupled_inputs)
                               if isinstance(x, pyad.Tensor) and x.requires_grad}
    diff_grad_output_indices = {i for i, x in enumerate(tupled_grad_outputs) if x.requires_grad}

    def new_func(*args):
        input_args = tuple(x.requires_grad_() if i in diff_input_args_indices else x
                           for i, x in enumerate(args[:-num_outputs]))
        outputs = _differentiable_outputs(func(*input_args))
        grad_outputs = tuple(x.requires_grad_() if i in diff_grad_output_indices else x
                             for i, x in enumerate(args[-num_outputs:]))
        diff_input_args = tuple(x for i, x in enumerate(input_args)
                                if i in diff_input_args_indices)
        grad_inputs = _grad(outputs, diff_input_args, grad_outputs, create_graph=True,
                            allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(new_func, tupled_inputs + tupled_grad_outputs, eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     fast_mode=fast_mode, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev, masked=masked)
