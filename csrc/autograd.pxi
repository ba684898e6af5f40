# autograd.pxi: grad() and backward() with torch.autograd's argument handling and messages,
# in the order torch checks them. Compiled, because this fixed cost is paid on every call.

cdef tuple _as_tuple(x):
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


cdef list _make_seeds(tuple outputs, tuple grad_outputs, bint create_graph):
    """torch's _make_grads: validate or create one seed gradient per output."""
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if isinstance(g, Tensor):
            if not same_shape(&(<Tensor>out).m, &(<Tensor>g).m):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {out.shape}.")
            seeds.append(_seed_like(out, g, create_graph))
        elif g is None:
            if out.requires_grad:
                if out.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not out.dtype.is_floating_point:
                    raise RuntimeError("grad can be implicitly created only for real scalar "
                                       f"outputs but got {out.dtype}")
                seeds.append(_ones_like(out))
            else:
                seeds.append(None)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    return seeds


cdef int _check_outputs(tuple outputs, list seeds) except -1:
    for i, (out, seed) in enumerate(zip(outputs, seeds)):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if seed is None:
            raise RuntimeError(f"element {i} of gradients tuple is None, but the corresponding "
                               "Tensor requires grad")
    return 0


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Compute and return the sum of gradients of outputs with respect to the inputs.

    Args:
        outputs (Tensor or sequence of Tensor): outputs of the differentiated function.
        inputs (Tensor or sequence of Tensor): inputs w.r.t. which the gradient is returned
            (leaves or intermediate tensors). Nothing is accumulated into ``.grad``.
        grad_outputs (Tensor or sequence, optional): the vector in the vector-Jacobian
            product, one per output; ``None`` means ones for scalar outputs. Defaults to None.
        retain_graph (bool, optional): keep the saved tensors for another backward.
            Defaults to the value of ``create_graph``.
        create_graph (bool, optional): record the backward pass so the result can be
            differentiated again (higher-order derivatives). Defaults to False.
        only_inputs (bool, optional): deprecated and ignored (a FutureWarning when False).
        allow_unused (bool, optional): return None for inputs the outputs do not depend on,
            instead of raising. Defaults to the value of ``materialize_grads``.
        materialize_grads (bool, optional): return zeros instead of None for unused inputs.

    Returns:
        tuple of Tensor: one gradient per input (None for unused inputs with allow_unused).

    Example:
        >>> import pyad
        >>> x = pyad.tensor([1.0, 2.0], requires_grad=True)
        >>> pyad.autograd.grad((x * x).sum(), x)
        (tensor([2., 4.]),)
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). "
                      "To accumulate gradient for other parts of the graph, please use "
                      "pyad.autograd.backward.", FutureWarning, stacklevel=2)
    if is_grads_batched:
        raise NotImplementedError("pyad: is_grads_batched=True is not supported yet")
    cdef tuple outs = _as_tuple(outputs)
    cdef tuple ins = _as_tuple(inputs)
    cdef list seeds
    outputs = outs
    inputs = ins
    if len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs) if not isinstance(grad_outputs, Tensor) else (grad_outputs,)
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _make_seeds(outputs, grad_outputs, create_graph)
    _check_outputs(outputs, seeds)
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as inputs, but got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    results = run_backward(list(outs[:len(seeds)]), seeds, list(ins), retain_graph,
                           create_graph, False)
    for i, r in enumerate(results):
        if r is None:
            if materialize_grads:
                results[i] = _zeros_like(inputs[i], create_graph)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
    return tuple(results)


cdef Tensor _zeros_like(Tensor t, bint requires_grad):
    cdef Tensor z = zeros_like_nograd(t)
    z._requires_grad = requires_grad
    return z


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    Args:
        tensors (Tensor or sequence of Tensor): the tensors to differentiate.
        grad_tensors (Tensor or sequence, optional): the vector of the vector-Jacobian product;
            None means ones for scalar tensors. Defaults to None.
        retain_graph (bool, optional): keep saved tensors. Defaults to ``create_graph``.
        create_graph (bool, optional): record the backward pass (higher-order derivatives).
        inputs (Tensor or sequence, optional): accumulate only into these tensors' ``.grad``.

    Example:
        >>> import pyad
        >>> w = pyad.tensor([1.0, 2.0], requires_grad=True)
        >>> (3 * w).sum().backward()
        >>> w.grad
        tensor([3., 3.])
    """
    if create_graph:
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this "
            "function, make sure to reset the .grad fields of your parameters to None after use "
            "to break the cycle and avoid the leak.", UserWarning, stacklevel=3)
    tensors = _as_tuple(tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,)
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _make_seeds(tensors, grad_tensors, create_graph)
    _check_outputs(tensors, seeds)
    run_backward(list(tensors), seeds, None if inputs is None else list(inputs), retain_graph,
                 create_graph, True)
