"""atheris harness: pyad's unpickle path (``pyad._C._rebuild_tensor``) on mutated payloads.

    python fuzz/fuzz_pickle.py -atheris_runs=100000

A pickled Tensor is ``(_rebuild_tensor, (data, dtype name, shape, requires_grad))``.  The
harness starts from the payload of a valid tensor and mutates its fields from the bytes (data
bytes of any length, dtype names, shapes with huge/negative/non-int sizes or too many dims,
requires_grad of other types), then calls pyad's reconstruct function with them, so only pyad's
own validation is exercised (not arbitrary pickle opcodes).  A tensor that is rebuilt must have
exactly the bytes it was given, and survive a pickle round trip.
"""

import pickle
import atheris

import _common

with atheris.instrument_imports():
    import numpy as np
    import pyad
    from pyad import _C

DTYPE_NAMES = ["float32", "float64", "int64", "bool", "float16", "int32", "", "float64\x00",
               "complex64"]


def valid_payload(fdp):
    dtype = [pyad.float32, pyad.float64, pyad.int64, pyad.bool][fdp.ConsumeIntInRange(0, 3)]
    shape = tuple(fdp.ConsumeIntInRange(0, 3) for _ in range(fdp.ConsumeIntInRange(0, 3)))
    t = pyad.ones(shape, dtype=dtype)
    fn, args = t.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    assert fn.__name__ == "_rebuild_tensor"
    return list(args)


def mutate(fdp, args):
    for _ in range(fdp.ConsumeIntInRange(0, 3)):
        field = fdp.ConsumeIntInRange(0, 3)
        k = fdp.ConsumeIntInRange(0, 4)
        if field == 0:  # data
            if k == 0:
                args[0] = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64))
            elif k == 1 and isinstance(args[0], (bytes, bytearray)):
                args[0] = bytearray(args[0]) + fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 9))
            elif k == 2 and isinstance(args[0], (bytes, bytearray)):
                args[0] = args[0][: fdp.ConsumeIntInRange(0, max(len(args[0]), 1))]
            elif k == 3:
                args[0] = [None, "abc", memoryview(b"ab"), np.zeros(2), 5][
                    fdp.ConsumeIntInRange(0, 4)]
            elif isinstance(args[0], (bytes, bytearray)):
                b = bytearray(args[0])
                if b:
                    b[fdp.ConsumeIntInRange(0, len(b) - 1)] = fdp.ConsumeIntInRange(0, 255)
                args[0] = bytes(b)
        elif field == 1:  # dtype
            args[1] = (DTYPE_NAMES[fdp.ConsumeIntInRange(0, len(DTYPE_NAMES) - 1)] if k < 3
                       else [None, 3, b"float32", pyad.float32][fdp.ConsumeIntInRange(0, 3)])
        elif field == 2:  # shape
            if k < 3:
                args[2] = tuple(_common.consume_int(fdp)
                                for _ in range(fdp.ConsumeIntInRange(0, 70 if k == 2 else 5)))
            elif k == 3:
                args[2] = list(args[2])
            else:
                args[2] = (fdp.ConsumeFloat(), True, None, "2", np.int64(2))[
                    fdp.ConsumeIntInRange(0, 4)],
        else:  # requires_grad
            args[3] = [True, False, 1, None, "yes", np.bool_(True)][fdp.ConsumeIntInRange(0, 5)]
    return args


def TestOneInput(data):
    fdp = atheris.FuzzedDataProvider(data)
    args = mutate(fdp, valid_payload(fdp))
    try:
        t = _C._rebuild_tensor(*args)
    except _common.EXPECTED:
        return
    assert isinstance(t, pyad.Tensor)
    raw = bytes(args[0])
    try:  # numpy cannot describe every valid shape, e.g. (2**62, 0): a ValueError
        arr = t.detach().numpy()
    except ValueError:
        return
    assert arr.tobytes() == raw, "rebuilt tensor does not hold the payload's bytes"
    assert tuple(t.shape) == tuple(args[2])
    u = pickle.loads(pickle.dumps(t))
    assert u.detach().numpy().tobytes() == raw and u.dtype == t.dtype
    repr(t)
    t.sum()


if __name__ == "__main__":
    _common.run(TestOneInput)
