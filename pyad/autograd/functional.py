"""pyad.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp.

A port of ``torch.autograd.functional`` on top of ``pyad.autograd.grad``: the same signatures,
the same results (zeros where an output does not depend on an input, unless ``strict``), the
same error messages with ``torch.`` spelled ``pyad.``.

Differences from torch, all about speed, never values:

- ``vectorize=True`` is accepted and goes through ``grad(..., is_grads_batched=True)``, which
  pyad runs as a loop of backward calls (torch uses vmap).
- pyad has no forward-mode AD: ``strategy="forward-mode"`` (with ``vectorize=True``, which torch
  requires too) computes the same Jacobian in reverse mode, in the output's dtype as torch does.
- Stacking the rows of a Jacobian with ``create_graph=True`` is recorded as a sum of one-hot
  products (pyad has no ``stack`` op yet): O(rows) recorded ops where torch records one.
- ``jvp(create_graph=True)`` results carry the grad_fn of pyad's recorded backward formulas,
  which can differ from torch's (e.g. ``MulBackward0`` where torch has
  ``TanhBackwardBackward0``); the values are the same.
"""
import numpy as _np

import pyad
from pyad import _C
from pyad.autograd import grad as _grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_stack0 = _C._stack0


# ============================================================================================
# Helpers (torch's, in the same order)
# ============================================================================================
def _as_tuple_nocheck(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _as_tuple(inp, arg_name=None, fn_name=None):
    """(was it a tuple, the tuple of Tensors); torch's TypeError for anything else."""
    if arg_name is None and fn_name is None:
        return _as_tuple_nocheck(inp)
    is_inp_tuple = True
    if not isinstance(inp, tuple):
        inp = (inp,)
        is_inp_tuple = False
    for i, el in enumerate(inp):
        if not isinstance(el, pyad.Tensor):
            if is_inp_tuple:
                raise TypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                    f"Tensors but the value at index {i} has type {type(el)}.")
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but the given {arg_name} has type {type(el)}.")
    return is_inp_tuple, inp


def _tuple_postprocess(res, to_unpack):
    """Undo _as_tuple: unwrap one or two tuple levels the user did not pass."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph, need_graph):
    """Fresh tensor objects for the inputs: a differentiable view when the caller wants the
    graph to reach its tensors, a detached leaf otherwise (torch issue #32576)."""
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph):
    """Detach the results unless create_graph (nested tuples for jacobian/hessian)."""
    if isinstance(inputs[0], pyad.Tensor):
        if not create_graph:
            return tuple(inp.detach() for inp in inputs)
        return inputs
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {el_other.size()} but got "
                f"{el_v.size()}.")


def _check_requires_grad(inputs, input_type, strict):
    """strict mode: torch's message for an output / gradient that cannot depend on an input."""
    if not strict:
        return
    if input_type not in ["outputs", "grad_inputs", "jacobian", "hessian"]:
        raise RuntimeError("Invalid input_type to _check_requires_grad")
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is "
                "not allowed in strict mode.")
        if not inp.requires_grad:
            if input_type == "hessian":
                raise RuntimeError(
                    f"The hessian of the user-provided function with respect to input {i} is "
                    "independent of the input. This is not allowed in strict mode. You should "
                    "ensure that your function is thrice differentiable and that the hessian "
                    "depends on the inputs.")
            if input_type == "jacobian":
                raise RuntimeError(
                    "While computing the hessian, found that the jacobian of the user-provided "
                    f"function with respect to input {i} is independent of the input. This is "
                    "not allowed in strict mode. You should ensure that your function is twice "
                    "differentiable and that the jacobian depends on the inputs (this would be "
                    "violated by a linear function for example).")
            if input_type == "grad_inputs":
                raise RuntimeError(
                    f"The gradient with respect to input {i} is independent of the inputs of the "
                    "user-provided function. This is not allowed in strict mode.")
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode.")


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None,
                   is_grads_batched=False):
    """grad() that skips outputs not requiring grad (all None when none does)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    new_outputs = ()
    new_grad_outputs = ()
    for out, grad_out in zip(outputs, grad_outputs):
        if out is not None and out.requires_grad:
            new_outputs += (out,)
            new_grad_outputs += (grad_out,)
    if len(new_outputs) == 0:
        return (None,) * len(inputs)
    return _grad(new_outputs, inputs, new_grad_outputs, allow_unused=True,
                 create_graph=create_graph, retain_graph=retain_graph,
                 is_grads_batched=is_grads_batched)


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """None gradients become zeros_like(ref), or torch's strict-mode error for the stage."""
    if stage not in ["back", "back_trick", "double_back", "double_back_trick"]:
        raise RuntimeError(f"Invalid stage argument '{stage}' to _fill_in_zeros")
    res = ()
    for i, grads_i in enumerate(grads):
        if grads_i is None:
            if strict:
                if stage == "back":
                    raise RuntimeError(
                        "The output of the user-provided function is independent of "
                        f"input {i}. This is not allowed in strict mode.")
                if stage == "back_trick":
                    raise RuntimeError(
                        f"The gradient with respect to the input is independent of entry {i} in "
                        "the grad_outputs when using the double backward trick to compute "
                        "forward mode gradients. This is not allowed in strict mode.")
                if stage == "double_back":
                    raise RuntimeError(
                        "The jacobian of the user-provided function is independent of "
                        f"input {i}. This is not allowed in strict mode.")
                raise RuntimeError(
                    "The hessian of the user-provided function is independent of entry "
                    f"{i} in the grad_jacobian. This is not allowed in strict mode as it "
                    "prevents from using the double backward trick to replace forward mode AD.")
            grads_i = pyad.zeros_like(refs[i])
        elif strict and create_graph and not grads_i.requires_grad:
            if "double" not in stage:
                raise RuntimeError(
                    "The jacobian of the user-provided function is independent of "
                    f"input {i}. This is not allowed in strict mode when create_graph=True.")
            raise RuntimeError(
                "The hessian of the user-provided function is independent of "
                f"input {i}. This is not allowed in strict mode when create_graph=True.")
        res += (grads_i,)
    return res


def _prepare_inputs(inputs, fn_name, create_graph):
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    return is_inputs_tuple, _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)


def _call(func, inputs, fn_name, strict):
    """func's outputs as a checked tuple (and whether func returned a tuple)."""
    is_outputs_tuple, outputs = _as_tuple(
        func(*inputs), "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, "outputs", strict=strict)
    return is_outputs_tuple, outputs


def _prepare_v(v, fn_name, create_graph, other, is_other_tuple, none_msg):
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, other, is_other_tuple)
    elif len(other) != 1 or other[0].nelement() != 1:
        raise RuntimeError(none_msg)
    return v


def _last_backward(outs, wrt, v, refs, stage, func_outputs, is_outputs_tuple, is_result_tuple,
                   create_graph, strict):
    """The products' last step: grad of ``outs`` wrt ``wrt`` along ``v`` (recorded only with
    create_graph), None -> zeros_like(refs) or the strict error, then detach and unpack."""
    with pyad.set_grad_enabled(True if create_graph else pyad.is_grad_enabled()):
        res = _autograd_grad(outs, wrt, v, create_graph=create_graph)
        res = _fill_in_zeros(res, refs, strict, create_graph, stage)
    func_outputs = _grad_postprocess(func_outputs, create_graph)
    res = _grad_postprocess(res, create_graph)
    return (_tuple_postprocess(func_outputs, is_outputs_tuple),
            _tuple_postprocess(res, is_result_tuple))


_V_NONE_INPUT = ("The vector v can only be None if the input to the user-provided function is a "
                 "single Tensor with a single element.")


# ============================================================================================
# vjp, jvp
# ============================================================================================
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The product of a vector ``v`` with the Jacobian of ``func`` at ``inputs``.

    Args:
        func (function): takes Tensor inputs, returns a Tensor or a tuple of Tensors.
        inputs (tuple of Tensors or Tensor): inputs to ``func``.
        v (tuple of Tensors or Tensor): one Tensor per output, shaped like it. Optional when
            ``func`` returns a single one-element Tensor (then it is 1).
        create_graph (bool, optional): record the computation so the output and the result
            can be differentiated again. Defaults to False.
        strict (bool, optional): raise when an input has no influence on any output, instead
            of returning zeros for it. Defaults to False.

    Returns:
        tuple: (func_output, vjp), each unpacked like the outputs / inputs were given.

    Example:
        >>> pyad.autograd.functional.vjp(lambda x: x.exp().sum(1), pyad.ones(2, 2), pyad.ones(2))[1]
        tensor([[2.7183, 2.7183],
                [2.7183, 2.7183]])
    """
    with pyad.enable_grad():
        is_inputs_tuple, inputs = _prepare_inputs(inputs, "vjp", create_graph)
        is_outputs_tuple, outputs = _call(func, inputs, "vjp", strict)
        v = _prepare_v(v, "vjp", create_graph, outputs, is_outputs_tuple,
                       "The vector v can only be None if the user-provided function returns a "
                       "single Tensor with a single element.")
    return _last_backward(outputs, inputs, v, inputs, "back", outputs, is_outputs_tuple,
                          is_inputs_tuple, create_graph, strict)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The product of the Jacobian of ``func`` at ``inputs`` with a vector ``v``.

    Computed like torch's functional API, by the double-backward trick: the backward of
    ``func`` with a symbolic ``grad_outputs`` is linear in it, and differentiating that
    backward with respect to ``grad_outputs`` in direction ``v`` gives ``J v``.

    Args:
        func (function): takes Tensor inputs, returns a Tensor or a tuple of Tensors.
        inputs (tuple of Tensors or Tensor): inputs to ``func``.
        v (tuple of Tensors or Tensor): one Tensor per input, shaped like it. Optional when
            the input is a single one-element Tensor.
        create_graph (bool, optional): record the computation. Defaults to False.
        strict (bool, optional): raise instead of returning zeros for an output that does not
            depend on the inputs. Defaults to False.

    Returns:
        tuple: (func_output, jvp), the jvp shaped like the outputs.
    """
    with pyad.enable_grad():
        is_inputs_tuple, inputs = _prepare_inputs(inputs, "jvp", create_graph)
        v = _prepare_v(v, "jvp", create_graph, inputs, is_inputs_tuple, _V_NONE_INPUT)
        is_outputs_tuple, outputs = _call(func, inputs, "jvp", strict)
        # The backward is linear in grad_outputs, so their value (zeros) does not matter.
        grad_outputs = tuple(pyad.zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    return _last_backward(grad_inputs, grad_outputs, v, outputs, "back_trick", outputs,
                          is_outputs_tuple, is_outputs_tuple, create_graph, strict)


# ============================================================================================
# jacobian, hessian
# ============================================================================================
def _construct_standard_basis_for(tensors, tensor_numels):
    """The N x N identity (N = sum of numels) split by columns into one chunk per tensor,
    each in its tensor's dtype: ``chunk[i]`` has shape ``(N, numel_i)``."""
    total = sum(tensor_numels)
    chunks = []
    start = 0
    for t, numel in zip(tensors, tensor_numels):
        chunk = _np.zeros((total, numel))
        chunk[start:start + numel] = _np.eye(numel)
        chunks.append(pyad.tensor(chunk, dtype=t.dtype))
        start += numel
    return tuple(chunks)


def _split0(t, numels):
    """``t.split(numels, dim=0)`` with basic slicing (differentiable)."""
    parts, start = [], 0
    for n in numels:
        parts.append(t[start:start + n])
        start += n
    return parts


def _jacfwd(func, inputs, strict=False, vectorize=False):
    """strategy="forward-mode": torch's checks; the values come from reverse mode in pyad."""
    if strict:
        raise RuntimeError(
            "pyad.autograd.functional.jacobian: `strict=True` and `strategy=\"forward-mode\"` "
            "are not supported together (yet). Please either set `strict=False` or "
            "`strategy=\"reverse-mode\"`.")
    if not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
            "only implemented for `vectorize=True`.")
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with pyad.enable_grad():
        inputs = _grad_preprocess(inputs, create_graph=False, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs")
        if sum(out.numel() for out in outputs) == 0:   # no rows to pull back (torch: zeros)
            jac = tuple(tuple(pyad.zeros(tuple(out.shape) + tuple(inp.shape), dtype=out.dtype)
                              for inp in inputs) for out in outputs)
        else:
            jac = _jacobian_vectorized(inputs, outputs, False)
    # torch's forward-mode path returns lists, in the output's dtype
    jac = [[j.detach().to(out.dtype) for j in row] for row, out in zip(jac, outputs)]
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``.

    Args:
        func (function): takes Tensor inputs, returns a Tensor or a tuple of Tensors.
        inputs (tuple of Tensors or Tensor): inputs to ``func``.
        create_graph (bool, optional): compute the Jacobian differentiably. Defaults to False.
        strict (bool, optional): raise when an output does not depend on an input, instead of
            returning zeros. Defaults to False.
        vectorize (bool, optional): compute all rows with one batched ``grad`` call
            (``is_grads_batched=True``; pyad loops inside it). Defaults to False.
        strategy (str, optional): ``"reverse-mode"`` or ``"forward-mode"`` (the latter needs
            ``vectorize=True``, as in torch). Defaults to ``"reverse-mode"``.

    Returns:
        Tensor or nested tuple of Tensors: ``J[i][j]`` has shape
        ``outputs[i].shape + inputs[j].shape``; the tuple levels follow whether ``inputs``
        and the outputs were tuples.

    Example:
        >>> pyad.autograd.functional.jacobian(lambda x: x ** 2, pyad.tensor([1., 2.]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "pyad.autograd.functional.jacobian: `create_graph=True` and "
                "`strategy=\"forward-mode\"` are not supported together (yet). Please either "
                "set `create_graph=False` or `strategy=\"reverse-mode\"`.")
        return _jacfwd(func, inputs, strict, vectorize)

    with pyad.enable_grad():
        is_inputs_tuple, inputs = _prepare_inputs(inputs, "jacobian", create_graph)
        is_outputs_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize:
            if strict:
                raise RuntimeError(
                    "pyad.autograd.functional.jacobian: `strict=True` and `vectorized=True` are "
                    "not supported together. Please either set `strict=False` or "
                    "`vectorize=False`.")
            jac = _jacobian_vectorized(inputs, outputs, create_graph)
        else:
            jac = _jacobian_rows(inputs, outputs, create_graph, strict)
        jac = _grad_postprocess(jac, create_graph)
        return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def _jacobian_rows(inputs, outputs, create_graph, strict):
    """One grad call per output element (torch's default path)."""
    jac = ()
    for i, out in enumerate(outputs):
        rows = tuple([] for _ in inputs)
        flat = out.reshape(-1)
        for j in range(out.nelement()):
            vj = _autograd_grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph)
            for el_idx, (rows_el, vj_el, inp_el) in enumerate(zip(rows, vj, inputs)):
                if vj_el is not None:
                    if strict and create_graph and not vj_el.requires_grad:
                        raise RuntimeError(
                            "The jacobian of the user-provided function is independent of "
                            f"input {i}. This is not allowed in strict mode when "
                            "create_graph=True.")
                    rows_el.append(vj_el)
                else:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of input "
                            f"{el_idx}. This is not allowed in strict mode.")
                    rows_el.append(pyad.zeros_like(inp_el))
        jac += (tuple(_rows_to_block(rows_el, out, inputs[el_idx])
                      for el_idx, rows_el in enumerate(rows)),)
    return jac


def _rows_to_block(rows, out, inp):
    """Stacked Jacobian rows reshaped to ``out.shape + inp.shape``."""
    if not rows:   # an empty output, where torch.stack fails
        raise RuntimeError("stack expects a non-empty TensorList")
    return _stack0(rows).view(tuple(out.shape) + tuple(inp.shape))


def _jacobian_vectorized(inputs, outputs, create_graph):
    """All rows at once: grad_outputs are the standard basis split across the outputs."""
    output_numels = tuple(output.numel() for output in outputs)
    grad_outputs = _construct_standard_basis_for(outputs, output_numels)
    flat_outputs = tuple(output.reshape(-1) for output in outputs)
    vj = list(_autograd_grad(flat_outputs, inputs, grad_outputs, create_graph=create_graph,
                             is_grads_batched=True))
    for el_idx, vj_el in enumerate(vj):
        if vj_el is None:
            vj[el_idx] = pyad.zeros_like(inputs[el_idx]).expand(
                (sum(output_numels),) + tuple(inputs[el_idx].shape))
    jacobian_input_output = []
    for jac_input_i, input_i in zip(vj, inputs):
        jacobian_input_output.append([
            jac.view(tuple(output_j.shape) + tuple(input_i.shape))
            for jac, output_j in zip(_split0(jac_input_i, output_numels), outputs)])
    return tuple(zip(*jacobian_input_output))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function at ``inputs``.

    Functions linear in some input give zero blocks (not an error), as in torch's
    functional API.

    Args:
        func (function): takes Tensor inputs, returns a Tensor with a single element.
        inputs (tuple of Tensors or Tensor): inputs to ``func``.
        create_graph (bool, optional): compute the Hessian differentiably. Defaults to False.
        strict (bool, optional): raise instead of returning zeros for an input with no
            influence. Defaults to False.
        vectorize (bool, optional): compute the outer Jacobian with batched grad calls.
            Defaults to False.
        outer_jacobian_strategy (str, optional): ``"reverse-mode"`` or ``"forward-mode"``
            (the latter needs ``vectorize=True``). Defaults to ``"reverse-mode"``.

    Returns:
        Tensor or tuple of tuples of Tensors: ``H[i][j]`` has shape
        ``inputs[i].shape + inputs[j].shape``.

    Example:
        >>> pyad.autograd.functional.hessian(lambda x: (x ** 3).sum(), pyad.tensor([1., 2.]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, pyad.Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


# ============================================================================================
# vhp, hvp
# ============================================================================================
def _first_backward(func, inputs, v, fn_name, create_graph, strict):
    """vhp/hvp's first half: checked inputs and v, the scalar output and its gradient (with
    create_graph, to differentiate it again)."""
    is_inputs_tuple, inputs = _prepare_inputs(inputs, fn_name, create_graph)
    v = _prepare_v(v, fn_name, create_graph, inputs, is_inputs_tuple, _V_NONE_INPUT)
    is_outputs_tuple, outputs = _call(func, inputs, fn_name, strict)
    if is_outputs_tuple or not isinstance(outputs[0], pyad.Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict=strict)
    return is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The product of a vector ``v`` with the Hessian of a scalar function at ``inputs``.

    Args:
        func (function): takes Tensor inputs, returns a Tensor with a single element.
        inputs (tuple of Tensors or Tensor): inputs to ``func``.
        v (tuple of Tensors or Tensor): shaped like the inputs. Optional for a single
            one-element input.
        create_graph (bool, optional): record the computation. Defaults to False.
        strict (bool, optional): raise instead of returning zeros. Defaults to False.

    Returns:
        tuple: (func_output, vhp), the vhp shaped like the inputs.
    """
    with pyad.enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _first_backward(
            func, inputs, v, "vhp", create_graph, strict)
    return _last_backward(jac, inputs, v, inputs, "double_back", outputs, is_outputs_tuple,
                          is_inputs_tuple, create_graph, strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The product of the Hessian of a scalar function at ``inputs`` with a vector ``v``.

    Arguments and result as in :func:`vhp`. Computed as torch does, by the double-backward
    trick (slower than ``vhp``, which equals it for twice continuously differentiable
    functions).
    """
    with pyad.enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _first_backward(
            func, inputs, v, "hvp", create_graph, strict)
        grad_jac = tuple(pyad.zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)   # sic: torch checks jac again
    return _last_backward(double_back, grad_jac, v, inputs, "double_back_trick", outputs,
                          is_outputs_tuple, is_inputs_tuple, create_graph, strict)
