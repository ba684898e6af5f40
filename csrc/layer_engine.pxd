# layer_engine.pxd: the engine layer of pyad._C: the backward sweep (engine.pxi) and grad() /
# backward() (autograd.pxi). Above the ops layer: it runs each node's formula from the OPS
# table (layer_ops.pxd) and hands it a GradSink. Declares what the layers above use of it.
# Included by pyad/_C.pxd (the layers: ARCHITECTURE.md).

cdef object _add_hook(dict table, object hook)
cdef object run_backward(tuple roots, list seeds, tuple inputs, bint keep_graph,
                         bint create_graph, bint accumulate)

# defined in _C.pyx beside the engine's entry point
cdef Tensor _seed_like(Tensor out, Tensor g, bint create_graph)
