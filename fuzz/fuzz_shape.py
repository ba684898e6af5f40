"""atheris harness: shape arguments of reshape/view/expand/permute/zeros/ones/empty/...

    python fuzz/fuzz_shape.py -atheris_runs=100000

Shapes come from the bytes: small sizes, -1, the limits of C integer types, arbitrary 64-bit
values, floats, None, strings, nested sequences, Size objects and tensors, in every call form
(varargs, one tuple, one list, keyword).  A result that was produced is checked: its numel is
the product of its shape and its values can be read.
"""

import atheris

import _common

with atheris.instrument_imports():
    import numpy as np
    import pyad


def consume_size(fdp):
    k = fdp.ConsumeIntInRange(0, 9)
    if k <= 5:
        return _common.consume_int(fdp)
    if k == 6:
        return fdp.ConsumeFloat()
    if k == 7:
        return [None, "2", b"\x01", np.int64(2), np.int32(-1), 2.0, True][
            fdp.ConsumeIntInRange(0, 6)]
    if k == 8:
        return pyad.tensor(fdp.ConsumeIntInRange(-2, 3))
    return (fdp.ConsumeIntInRange(0, 3),)


def consume_shape(fdp):
    return [consume_size(fdp) for _ in range(fdp.ConsumeIntInRange(0, 9))]


def call(fdp, f, shape):
    """f called with the shape as varargs, a tuple, a list or a Size."""
    k = fdp.ConsumeIntInRange(0, 3)
    if k == 0:
        return f(*shape)
    if k == 1:
        return f(tuple(shape))
    if k == 2:
        return f(list(shape))
    return f(pyad.Size(shape))


OPS = [
    lambda fdp, x, s: call(fdp, x.reshape, s),
    lambda fdp, x, s: call(fdp, x.view, s),
    lambda fdp, x, s: call(fdp, x.expand, s),
    lambda fdp, x, s: call(fdp, x.permute, s),
    lambda fdp, x, s: call(fdp, x.repeat, s),
    lambda fdp, x, s: pyad.reshape(x, tuple(s)),
    lambda fdp, x, s: pyad.broadcast_to(x, tuple(s)),
    lambda fdp, x, s: pyad.permute(x, tuple(s)),
    lambda fdp, x, s: pyad.tile(x, tuple(s)),
    lambda fdp, x, s: x.flip(tuple(s)),
    lambda fdp, x, s: x.sum(tuple(s)),
    lambda fdp, x, s: x.squeeze(s[0] if s else 0),
    lambda fdp, x, s: x.unsqueeze(s[0] if s else 0),
    lambda fdp, x, s: x.transpose(*(s + [0, 0])[:2]),
    lambda fdp, x, s: x.unflatten(s[0] if s else 0, tuple(s[1:])),
    lambda fdp, x, s: x.narrow(*(s + [0, 0, 0])[:3]),
    lambda fdp, x, s: x.flatten(*(s + [0, -1])[:2]),
    lambda fdp, x, s: call(fdp, pyad.zeros, s),
    lambda fdp, x, s: call(fdp, pyad.ones, s),
    lambda fdp, x, s: call(fdp, pyad.empty, s),
    lambda fdp, x, s: call(fdp, pyad.rand, s),
    lambda fdp, x, s: pyad.full(tuple(s), 1.5),
    lambda fdp, x, s: pyad.zeros(size=tuple(s)),
    lambda fdp, x, s: pyad.zeros_like(x).reshape(tuple(s)),
]


def TestOneInput(data):
    fdp = atheris.FuzzedDataProvider(data)
    base = tuple(fdp.ConsumeIntInRange(0, 4) for _ in range(fdp.ConsumeIntInRange(0, 4)))
    x = pyad.ones(base, dtype=[pyad.float32, pyad.float64, pyad.int64, pyad.bool][
        fdp.ConsumeIntInRange(0, 3)])
    op = OPS[fdp.ConsumeIntInRange(0, len(OPS) - 1)]
    shape = consume_shape(fdp)
    try:
        y = op(fdp, x, shape)
    except _common.EXPECTED:
        return
    if isinstance(y, pyad.Tensor):
        assert y.numel() == int(np.prod(tuple(y.shape), dtype=object)), (y.shape, y.numel())
        try:  # numpy cannot describe every valid shape, e.g. (2**62, 0): a ValueError
            arr = y.numpy()
        except ValueError:
            return
        assert arr.shape == tuple(y.shape)


if __name__ == "__main__":
    _common.run(TestOneInput)
