"""Shared pieces of the atheris harnesses (see README.md)."""

import glob
import os
import sys

# Run from a checkout with the extension built in place: that pyad comes first. Otherwise
# (a clean clone) the installed pyad is imported.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if glob.glob(os.path.join(ROOT, "pyad", "_C.*")) and ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Python exceptions a bad argument may raise. Anything else (SystemError, AttributeError,
# KeyError, ...) escapes the harness and atheris reports it as a finding, as it does a crash.
EXPECTED = (TypeError, ValueError, IndexError, RuntimeError, MemoryError, OverflowError,
            NotImplementedError)


def run(test_one_input):
    """Fuzz test_one_input with libFuzzer's command line (sys.argv), memory capped."""
    import atheris

    limit_memory()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


def limit_memory(gib=4):
    """An allocation larger than this fails (MemoryError) instead of taking the machine."""
    import ctypes

    if not sys.platform.startswith("linux"):   # only Linux enforces RLIMIT_AS
        return
    import resource

    soft = gib * 2**30
    if not hasattr(ctypes.CDLL(None), "__asan_init"):   # ASan reserves terabytes of shadow
        resource.setrlimit(resource.RLIMIT_AS, (soft, resource.RLIM_INFINITY))


INTERESTING_INTS = [0, 1, 2, 3, -1, -2, 4, 7, 64, 2**31 - 1, 2**31, 2**32, 2**62, 2**63 - 1,
                    2**63, 2**64, -(2**31), -(2**63), -(2**63) - 1, 10**30, -(10**30)]


def consume_int(fdp):
    """A small int, an interesting one (limits of C types), or any 64-bit one."""
    k = fdp.ConsumeIntInRange(0, 3)
    if k == 0:
        return fdp.ConsumeIntInRange(-4, 8)
    if k == 1:
        return INTERESTING_INTS[fdp.ConsumeIntInRange(0, len(INTERESTING_INTS) - 1)]
    if k == 2:
        return fdp.ConsumeIntInRange(-(2**63), 2**63 - 1)
    return fdp.ConsumeIntInRange(0, 5)
