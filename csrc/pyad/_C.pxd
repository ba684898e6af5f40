# The declarations of pyad._C: Cython reads a module's own .pxd by the module's full name, in
# the package layout (this file, for csrc/_C.pyx built as pyad._C). One .pxd per layer,
# bottom-up: each layer's files use only their own names and what the layers below declare.
# tools/check_layers.py checks it; ARCHITECTURE.md ("Layers") lists each layer's files.

include "layer_storage.pxd"     # buffers, kernels, nodes, the Tensor record
include "layer_ops.pxd"         # opcodes, op registration, the core ops
include "layer_engine.pxd"      # the backward sweep, grad() / backward()
include "layer_tensor.pxd"      # dtypes, arguments, composite ops: what op families use
