# autograd.pxi: grad() and backward() with torch.autograd's argument handling and messages,
# in the order torch checks them. Compiled, because this fixed cost is paid on every call.

cdef tuple _as_tuple(x):
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


cdef int _check_input_tensor(object t) except -1:
    """grad()'s and backward()'s inputs are tensors: torch's error otherwise."""
    if not isinstance(t, Tensor):
        raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got "
                           f"{type(t).__name__}")
    return 0


cdef list _make_seeds(tuple outputs, tuple grad_outputs, bint create_graph,
                      bint implicit_one=False):
    """torch's _make_grads: validate or create one seed gradient per output (pairs are zipped,
    so extra grad_outputs are ignored, as in torch). With implicit_one, a scalar output's
    implicit gradient is SEED_ONE, which run_backward turns into a one-element 1 without
    making a Tensor."""
    cdef list seeds = []
    cdef Py_ssize_t i, n = min(len(outputs), len(grad_outputs))
    cdef Tensor out
    for i in range(n):
        out = _output_tensor(outputs[i])
        g = grad_outputs[i]
        if isinstance(g, Tensor):
            if not same_shape(&out.m, &(<Tensor>g).m):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {out.shape}.")
            seeds.append(_seed_like(out, g, create_graph))
        elif g is None:
            if requires_grad_flag(out):
                if out.m.numel != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if out.m.dtype > PYAD_F64:
                    raise RuntimeError("grad can be implicitly created only for real scalar "
                                       f"outputs but got {out.dtype}")
                seeds.append(SEED_ONE if implicit_one else _ones_like(out))
            else:
                seeds.append(None)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    return seeds


cdef Tensor _output_tensor(object o):
    if not isinstance(o, Tensor):
        raise TypeError(f"expected Tensor as element of outputs, but got {type(o).__name__}")
    return <Tensor>o


cdef int _check_outputs(tuple outputs, list seeds) except -1:
    cdef Py_ssize_t i
    cdef Tensor o
    for i in range(len(seeds)):
        o = <Tensor>outputs[i]
        if requires_grad_flag(o):
            view_current(o)     # torch's gradient_edge asks grad_fn(), which may refuse
        # (a view made in no_grad mode requires grad through its base, but has no gradient
        # edge: torch's engine refuses it as a root)
        if not o._requires_grad or o._grad_dead:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if seeds[i] is None:
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
        is_grads_batched (bool, optional): the first dimension of every ``grad_outputs``
            tensor is a batch dimension: one vector-Jacobian product is computed per batch
            entry and the results are stacked (shape ``(batch, *input.shape)``). torch
            vectorises this with vmap; pyad runs one backward per entry. Defaults to False.
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
        grad_outputs = (_as_tuple(grad_outputs) if not isinstance(grad_outputs, Tensor)
                        else (grad_outputs,))
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        return _grad_batched(outs, ins, <tuple>grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    seeds = _make_seeds(outputs, grad_outputs, create_graph, True)
    if len(seeds) < len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(seeds)} gradients")
    _check_outputs(outputs, seeds)
    for t in ins:
        _check_input_tensor(t)
        if not requires_grad_now(<Tensor>t):
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    results = run_backward(outs if len(outs) == len(seeds) else outs[:len(seeds)],
                           seeds, ins, retain_graph, create_graph, False)
    for i in range(len(results)):
        if results[i] is None:
            if materialize_grads:
                results[i] = _zeros_like(inputs[i], create_graph)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
    return tuple(results)


cdef tuple _grad_batched(tuple outputs, tuple inputs, tuple grad_outputs, bint retain_graph,
                         bint create_graph, allow_unused, materialize_grads):
    """grad(..., is_grads_batched=True): one backward per index of the leading dimension.

    Checks and messages follow torch's _make_grads (shapes are compared on ``grad[0]``, and its
    message reports ``grad[0].shape[1:]``, sic) and then vmap's checks on the batched seeds.
    """
    cdef list seeds = []
    cdef Py_ssize_t b, nb = -1
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if isinstance(g, Tensor):
            if g.ndim == 0:
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python "
                                 "or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a "
                                 "number")
            if g.shape[0] == 0:
                raise IndexError("index 0 is out of bounds for dimension 0 with size 0")
            if g.shape[1:] != out.shape:
                raise RuntimeError(
                    "If `is_grads_batched=True`, we interpret the first dimension of each "
                    "grad_output as the batch dimension. The sizes of the remaining dimensions "
                    "are expected to match the shape of corresponding output, but a mismatch was "
                    f"detected: grad_output[{i}] has a shape of {g.shape[2:]} and output[{i}] "
                    f"has a shape of {out.shape}. If you only want some tensors in `grad_output` "
                    "to be considered batched, consider using vmap.")
            seeds.append(g)
        else:
            seeds.extend(_make_seeds((out,), (g,), create_graph))
    for s in seeds:
        if s is None:
            raise ValueError("vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for an input but "
                             "the input is of type <class 'NoneType'>. We cannot vmap over "
                             "non-Tensor arguments, please use None as the respective in_dim")
        if s.ndim == 0:
            raise ValueError("vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, "
                             "but that input is a Tensor of dimensionality 0 so expected in_dim "
                             "to satisfy 0 <= in_dim < 0.")
    sizes = [s.shape[0] for s in seeds]
    if len(set(sizes)) > 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    for i, (out, s) in enumerate(zip(outputs, seeds)):
        if s.shape[1:] != out.shape:   # an implicit seed for a (1,)-shaped output
            raise RuntimeError(f"invalid gradient at index {i} - got {list(s.shape[1:])} but "
                               f"expected shape compatible with {list(out.shape)}")
    nb = sizes[0] if sizes else 1
    rows = []
    for b in range(nb):
        rows.append(grad(outputs[:len(seeds)], inputs, [s[b] for s in seeds],
                         retain_graph=retain_graph or b < nb - 1, create_graph=create_graph,
                         allow_unused=allow_unused))
    results = []
    for i in range(len(inputs)):
        col = [r[i] for r in rows]
        if col[0] is None:
            # torch materialises an unbatched zeros_like(input) here
            results.append(_zeros_like(inputs[i], create_graph) if materialize_grads else None)
        else:
            results.append(_stack0(col))
    return tuple(results)


def _stack0(pieces):
    """Tensors of one shape and dtype stacked along a new leading dimension.

    With no piece requiring grad this is one copy. Otherwise it is the recorded stack op (grad
    mode on, as in the create_graph sweep that made the pieces).
    """
    cdef Tensor first = pieces[0], p, out
    cdef Py_ssize_t shp[PYAD_MAXDIM]
    cdef Py_ssize_t k, n = len(pieces), nbytes = first.m.numel * itemsize(first.m.dtype)
    cdef bint prev_mode = pyad_is_grad_enabled()
    if not any(t.requires_grad for t in pieces):
        shp[0] = n
        memcpy(&shp[1], first.m.shape, first.m.ndim * sizeof(Py_ssize_t))
        out = new_tensor(first.m.dtype, first.m.ndim + 1, shp)
        for k in range(n):
            p = pieces[k]
            memcpy(out.buf.data + k * nbytes, p.buf.data, nbytes)
        return out
    pyad_set_grad_enabled(True)
    try:
        return stack(list(pieces), 0)      # recorded: StackBackward0
    finally:
        pyad_set_grad_enabled(prev_mode)


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
        for t in inputs:  # the sweep reads them as Tensors
            _check_input_tensor(t)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    else:       # a tensor, or any sequence of them (a list too, as torch's)
        grad_tensors = _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _make_seeds(tensors, grad_tensors, create_graph, True)
    if len(seeds) < len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(seeds)} gradients")
    _check_outputs(tensors, seeds)
    for t in inputs or ():
        if isinstance(t, Tensor) and not requires_grad_flag(<Tensor>t):
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    for t in inputs or ():
        # as torch: a non-leaf input retains its gradient from now on, and its retain_grad
        # hook is what accumulates into .grad during this pass
        t.retain_grad()
    run_backward(tuple(tensors), seeds, None if inputs is None else tuple(inputs), retain_graph,
                 create_graph, True)
