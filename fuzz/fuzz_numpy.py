"""atheris harness: numpy arrays into pyad (``tensor``, ``as_tensor``, ``from_numpy``).

    python fuzz/fuzz_numpy.py -atheris_runs=100000

Arrays of any numpy dtype and byte order, with byte-derived shapes and strides (negative,
zero, misaligned, inside one byte buffer), read-only or not.  A tensor that is made must hold
the array's values (as numpy converts them to the tensor's dtype).
"""

import atheris

import _common

with atheris.instrument_imports():
    import numpy as np
    import pyad

NP_DTYPES = ["<f4", ">f4", "<f8", ">f8", "<i8", ">i8", "?", "<i4", "u1", "<f2", "<c8", "O",
             "U1", "<m8[s]", "i1", "<u8"]


def make_array(fdp):
    dtype = np.dtype(NP_DTYPES[fdp.ConsumeIntInRange(0, len(NP_DTYPES) - 1)])
    nd = fdp.ConsumeIntInRange(0, 4)
    shape = [fdp.ConsumeIntInRange(0, 4) for _ in range(nd)]
    buf = np.frombuffer(fdp.ConsumeBytes(512).ljust(512, b"\x01"), dtype=np.uint8).copy()
    if dtype.kind == "O":
        a = np.empty(shape, dtype=object)
        a.fill(fdp.ConsumeIntInRange(-3, 3) if fdp.ConsumeBool() else "x")
        return a
    start = fdp.ConsumeIntInRange(0, 64)  # misaligned when not a multiple of the itemsize
    strides = [fdp.ConsumeIntInRange(-64, 64) for _ in range(nd)]
    # keep every element inside the buffer
    lo = start + sum(s * (n - 1) for s, n in zip(strides, shape) if s < 0 and n > 0)
    hi = start + sum(s * (n - 1) for s, n in zip(strides, shape) if s > 0 and n > 0)
    if 0 in shape:
        lo, hi = start, start
    if lo < 0 or hi + dtype.itemsize > len(buf):
        a = np.zeros(shape, dtype=dtype)
    else:
        a = np.ndarray(shape, dtype=dtype, buffer=buf, offset=start, strides=strides)
    if dtype.kind == "b":
        a = np.asarray(a.view(np.uint8) % 2 == 1) if a.size else a
    if fdp.ConsumeBool():
        a.flags.writeable = False
    return a


def TestOneInput(data):
    fdp = atheris.FuzzedDataProvider(data)
    a = make_array(fdp)
    k = fdp.ConsumeIntInRange(0, 3)
    try:
        with np.errstate(all="ignore"):
            if k == 0:
                t = pyad.tensor(a)
            elif k == 1:
                t = pyad.as_tensor(a)
            elif k == 2:
                t = pyad.from_numpy(a)
            else:
                t = pyad.tensor(a, dtype=[pyad.float32, pyad.float64, pyad.int64, pyad.bool][
                    fdp.ConsumeIntInRange(0, 3)])
    except _common.EXPECTED:
        return
    got = t.numpy()
    assert got.shape == a.shape, (got.shape, a.shape)
    with np.errstate(all="ignore"):
        want = a.astype(got.dtype)
    assert np.array_equal(got, want, equal_nan=got.dtype.kind == "f"), (a, got)


if __name__ == "__main__":
    _common.run(TestOneInput)
