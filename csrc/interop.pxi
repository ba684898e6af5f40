# interop.pxi: numpy/DLPack exchange, pickle and deepcopy of tensors.
