"""atheris harness: Tensor.__getitem__ / __setitem__ with byte-derived index tuples.

    python fuzz/fuzz_index.py -atheris_runs=100000
"""

import atheris

import _common

with atheris.instrument_imports():
    import numpy as np
    import pyad

DTYPES = [pyad.float32, pyad.float64, pyad.int64, pyad.bool]


def consume_item(fdp, x, depth=0):
    k = fdp.ConsumeIntInRange(0, 15)
    if k == 0:
        return _common.consume_int(fdp)
    if k == 1:
        pick = lambda: None if fdp.ConsumeBool() else _common.consume_int(fdp)  # noqa: E731
        return slice(pick(), pick(), pick())
    if k == 2:
        return None
    if k == 3:
        return Ellipsis
    if k == 4:
        return fdp.ConsumeBool()
    if k == 5 and depth < 2:  # a list (maybe nested, maybe of bools or mixed)
        return [consume_item(fdp, x, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    if k == 6:  # an int64 index tensor
        shape = tuple(fdp.ConsumeIntInRange(0, 3) for _ in range(fdp.ConsumeIntInRange(0, 2)))
        vals = [_common.consume_int(fdp) % (2**63) - (2**62) if fdp.ConsumeBool()
                else fdp.ConsumeIntInRange(-4, 4) for _ in range(int(np.prod(shape)))]
        return pyad.tensor(np.array(vals, dtype=np.int64).reshape(shape))
    if k == 7:  # a mask, of the tensor's leading shape or another one
        if fdp.ConsumeBool() and x.dim():
            shape = tuple(x.shape[: fdp.ConsumeIntInRange(1, x.dim())])
        else:
            shape = tuple(fdp.ConsumeIntInRange(0, 3) for _ in range(fdp.ConsumeIntInRange(0, 2)))
        bits = [fdp.ConsumeBool() for _ in range(int(np.prod(shape)))]
        return pyad.tensor(np.array(bits, dtype=bool).reshape(shape))
    if k == 8:
        return fdp.ConsumeFloat()
    if k == 9:  # numpy arrays and scalars
        vals = [fdp.ConsumeIntInRange(-4, 4) for _ in range(fdp.ConsumeIntInRange(0, 3))]
        return np.array(vals, dtype=np.int64).astype(
            [np.int64, np.int32, np.uint8, np.float64, bool][fdp.ConsumeIntInRange(0, 4)])
    if k == 10:
        return np.int64(fdp.ConsumeIntInRange(-4, 4))
    if k == 11:
        return fdp.ConsumeUnicode(2)
    if k == 12:  # a tensor of another dtype (float / 0-d)
        return pyad.tensor(fdp.ConsumeFloat()) if fdp.ConsumeBool() else pyad.tensor(
            [fdp.ConsumeIntInRange(-3, 3)], dtype=pyad.float32)
    if k == 13:
        return (consume_item(fdp, x, depth + 1),) if depth < 2 else 0
    return fdp.ConsumeIntInRange(-3, 3)


def TestOneInput(data):
    fdp = atheris.FuzzedDataProvider(data)
    shape = tuple(fdp.ConsumeIntInRange(0, 4) for _ in range(fdp.ConsumeIntInRange(0, 4)))
    dtype = DTYPES[fdp.ConsumeIntInRange(0, 3)]
    n = int(np.prod(shape))
    x = pyad.arange(n).reshape(shape).to(dtype) if dtype != pyad.bool else (
        pyad.arange(n).reshape(shape) % 2 == 0)
    if dtype.is_floating_point and fdp.ConsumeBool():
        x = x.requires_grad_() * 1  # a non-leaf: indexing is recorded
    if fdp.ConsumeBool():
        key = tuple(consume_item(fdp, x) for _ in range(fdp.ConsumeIntInRange(0, 5)))
    else:
        key = consume_item(fdp, x)
    try:
        if fdp.ConsumeBool():
            y = x[key]
            y.detach().numpy()
            if y.requires_grad:
                y.sum().backward()
        else:
            value = [fdp.ConsumeFloat(), pyad.ones(fdp.ConsumeIntInRange(0, 3)),
                     fdp.ConsumeIntInRange(-3, 3), pyad.tensor(True), "a"][
                fdp.ConsumeIntInRange(0, 4)]
            x[key] = value
            x.detach().numpy()
    except _common.EXPECTED:
        pass


if __name__ == "__main__":
    _common.run(TestOneInput)
