"""Regression tests for what tests/test_fuzz_vs_torch.py and the atheris harnesses in fuzz/ found.

Each case states torch's behaviour (type, message, dtype, values), so it also passes with
PYAD_TEST_AGAINST_TORCH=1.
"""

import pickle

import numpy as np
import pytest

from conftest import AGAINST_TORCH, raises_exact, sub

BIG = 2**31


# --- shapes whose element count overflows ------------------------------------------------
# pyad multiplied the sizes with wrap-around, so (2**31,)*3 after a 0-element tensor "fitted"
# (the product wrapped to 0) and a tensor reporting numel 0 for that shape was made.


@pytest.mark.parametrize("call", [
    lambda pt: pt.ones(0, 3, 3, 3).view(BIG, BIG, BIG),
    lambda pt: pt.ones(0, 3, 3, 3).reshape(BIG, BIG, BIG),
    lambda pt: pt.ones(1, 0).expand(2**62, 2**62, 0),
])
def test_view_reshape_expand_refuse_a_shape_whose_numel_overflows(pt, call):
    with raises_exact(RuntimeError, "numel: integer multiplication overflow"):
        call(pt)


@pytest.mark.parametrize("make", ["zeros", "ones", "empty"])
def test_creation_refuses_a_shape_whose_numel_overflows_even_with_a_zero(pt, make):
    with raises_exact(RuntimeError, "Storage size calculation overflowed with sizes="
                                    "[4611686018427387904, 4, 0]"):
        getattr(pt, make)(2**62, 4, 0)
    assert tuple(getattr(pt, make)(2**62, 0).shape) == (2**62, 0)  # no overflow: fine


@pytest.mark.skipif(AGAINST_TORCH, reason="pyad's pickle payload")
def test_unpickle_refuses_a_shape_whose_numel_overflows(pt):
    fn, args = pt.ones(0, dtype=pt.bool).__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    with pytest.raises(ValueError, match="too large"):
        fn(b"", "bool", (180850432095191682, 180850432103415807, 7, 0), False)
    assert fn(b"", "bool", (2**40, 0), False).shape == (2**40, 0)
