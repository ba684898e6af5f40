"""Random numbers: pyad.Generator, the default generator, and the sampling functions.

Values come from numpy's PCG64 (one per Generator), so streams differ from torch's Philox/
MT19937 ones: equal seeds give reproducible pyad runs, not torch's numbers. Shapes, dtypes,
argument forms and error messages are torch's.
"""

import numpy as _np

import pyad
from pyad._size_arg import NO_SIZE, check_non_negative, size_argument

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "randint", "randperm", "normal", "bernoulli",
           "multinomial", "randint_like"]

_MASK64 = (1 << 64) - 1


class Generator:
    """A random number generator (numpy's PCG64) for the ``generator=`` arguments."""

    def __init__(self, device="cpu"):
        from pyad._device import require_device
        dev = require_device(device) if not (isinstance(device, str) and device.startswith(
            "cuda")) else None
        if dev is None:
            raise RuntimeError("Cannot get CUDA generator without ATen_cuda library. PyTorch "
                               "splits its backend into two shared libraries: a CPU library and "
                               "a CUDA library; this error has occurred because you are trying "
                               "to use some CUDA functionality, but the CUDA library has not "
                               "been loaded by the dynamic linker for some reason.  The CUDA "
                               "library MUST be loaded, EVEN IF you don't directly use any "
                               "symbols from the CUDA library! One common culprit is a lack of "
                               "-Wl,--no-as-needed in your link arguments; many dynamic linkers "
                               "will delete dynamic library dependencies if you don't depend on "
                               "any of their symbols.  You can check if this has occurred by "
                               "using ldd on your binary to see if there is a dependency on "
                               "*_cuda.so library.")
        self._seed = None     # chosen on first use, from the OS's entropy
        self._rng = None

    @property
    def device(self):
        from pyad._device import CPU
        return CPU

    def _numpy(self):
        if self._rng is None:
            if self._seed is None:
                self._seed = int(_np.random.SeedSequence().entropy) & _MASK64
            self._rng = _np.random.Generator(_np.random.PCG64(self._seed))
        return self._rng

    def manual_seed(self, seed):
        """Seed the generator (any int; negative seeds wrap as torch's); returns self."""
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _MASK64
        self._rng = _np.random.Generator(_np.random.PCG64(self._seed))
        return self

    def seed(self):
        """Seed from the OS's entropy; returns the seed."""
        self._seed = int(_np.random.SeedSequence().entropy) & _MASK64
        self._rng = _np.random.Generator(_np.random.PCG64(self._seed))
        return self._seed

    def initial_seed(self):
        """The seed the generator was last seeded with."""
        self._numpy()
        return self._seed

    def get_state(self):
        """The generator's state as an int64 tensor (its own format, not torch's bytes)."""
        st = self._numpy().bit_generator.state
        words = []
        for v in (st["state"]["state"], st["state"]["inc"]):
            words += [(v >> 64) & _MASK64, v & _MASK64]
        words += [st["has_uint32"], st["uinteger"], self._seed]
        return pyad.tensor(_np.array(words, dtype=_np.uint64).view(_np.int64))

    def set_state(self, new_state):
        """Restore a state returned by get_state(); returns self."""
        if not isinstance(new_state, pyad.Tensor) or new_state.dtype is not pyad.int64 \
                or tuple(new_state.shape) != (7,):
            raise RuntimeError("pyad: set_state expects a state returned by get_state()")
        w = [int(v) for v in new_state.detach().numpy().view(_np.uint64)]
        rng = self._numpy()
        rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": (w[0] << 64) | w[1], "inc": (w[2] << 64) | w[3]},
            "has_uint32": w[4], "uinteger": w[5]}
        self._seed = w[6]
        return self

    def __repr__(self):
        return f"<pyad.Generator object at {hex(id(self))}>"


default_generator = Generator()


def _rng(generator):
    if generator is None:
        return default_generator._numpy()
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a pyad.Generator, not {type(generator).__name__}")
    return generator._numpy()


def manual_seed(seed):
    """Seed the default generator (numpy's PCG64; streams differ from torch's); returns it."""
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator from the OS's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The default generator's seed."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (see Generator.get_state)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator's state."""
    default_generator.set_state(new_state)


def _finish(arr, dtype, requires_grad, device=None):
    from pyad._device import check_creation_device
    check_creation_device(device)
    t = pyad.tensor(arr, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_np(dtype):
    return _np.float32 if (dtype or pyad.get_default_dtype()) is pyad.float32 else _np.float64


def rand(*sizes, size=NO_SIZE, generator=None, dtype=None, device=None, requires_grad=False,
         out=None, layout=None, pin_memory=False):
    """Uniform samples on [0, 1)."""
    size = size_argument("rand", sizes, size)
    check_non_negative("rand", size)
    dtype = dtype or pyad.get_default_dtype()
    t = _finish(_rng(generator).random(size, dtype=_float_np(dtype)), dtype,
                requires_grad, device)
    return _out(t, out)


def randn(*sizes, size=NO_SIZE, generator=None, dtype=None, device=None, requires_grad=False,
          out=None, layout=None, pin_memory=False):
    """Standard normal samples."""
    size = size_argument("randn", sizes, size)
    check_non_negative("randn", size)
    dtype = dtype or pyad.get_default_dtype()
    t = _finish(_rng(generator).standard_normal(size, dtype=_float_np(dtype)),
                dtype, requires_grad, device)
    return _out(t, out)


def _out(t, out):
    if out is None:
        return t
    out.copy_(t) if tuple(out.shape) == tuple(t.shape) else _resize_out(out, t)
    return out


def _resize_out(out, t):
    raise RuntimeError(f"pyad: out= must have the result's shape {list(t.shape)}, got "
                       f"{list(out.shape)} (pyad cannot resize tensors)")


def _int_arg(fn, name, pos, v):
    if isinstance(v, bool) or not isinstance(v, (int, _np.integer)):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be int, not "
                        f"{type(v).__name__}")
    return int(v)


def randint(*args, size=None, low=None, high=None, generator=None, dtype=None, device=None,
            requires_grad=False, out=None, layout=None, pin_memory=False):
    """Integers uniform on [low, high): randint(high, size) or randint(low, high, size)."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list, pyad.Size)):
        size = args.pop()
    if high is None and args:
        high = args.pop()
    if low is None and args:
        low = args.pop()
    if args or high is None or size is None:
        raise TypeError("randint() received an invalid combination of arguments - expected "
                        "(int high, tuple of ints size) or (int low, int high, tuple of ints "
                        "size)")
    low = 0 if low is None else _int_arg("randint", "low", 1, low)
    high = _int_arg("randint", "high", 2 if low else 1, high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    arr = _rng(generator).integers(low, high, size=tuple(size), dtype=_np.int64)
    t = _finish(arr, dtype or pyad.int64, requires_grad, device)
    return _out(t, out)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None,
                 requires_grad=False):
    """randint with input's shape (and dtype unless given)."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or input.dtype, device=device, requires_grad=requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None,
             layout=None, pin_memory=False):
    """A random permutation of 0 .. n-1."""
    n = _int_arg("randperm", "n", 1, n)
    check_non_negative("randperm", (n,))
    t = _finish(_rng(generator).permutation(n).astype(_np.int64), dtype or pyad.int64,
                requires_grad, device)
    return _out(t, out)


def _check_std(std):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False, layout=None, pin_memory=False):
    """Normal samples: normal(mean_tensor, std_tensor), normal(mean_tensor, std=1.),
    normal(mean, std_tensor) or normal(mean, std, size)."""
    rng = _rng(generator)
    mt, st = isinstance(mean, pyad.Tensor), isinstance(std, pyad.Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one "
                            "of: (Tensor mean, Tensor std), (Tensor mean, float std), (float "
                            "mean, Tensor std), (float mean, float std, tuple of ints size)")
        _check_std(std)
        dtype = dtype or pyad.get_default_dtype()
        arr = rng.normal(float(mean), float(std), size=tuple(size))
        return _out(_finish(arr.astype(_float_np(dtype)), dtype, requires_grad, device), out)
    if st and std.numel() and (std.detach().numpy() < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not st:
        _check_std(std)
    m = mean.detach().numpy() if mt else _np.float64(mean)
    s = std.detach().numpy() if st else _np.float64(std)
    shape = _np.broadcast_shapes(_np.shape(m), _np.shape(s))
    dtype = (mean.dtype if mt else std.dtype)
    arr = (m + s * rng.standard_normal(shape)).astype(_float_np(dtype))
    return _out(pyad.tensor(arr, dtype=dtype), out)


def _probs(p, name="bernoulli"):
    arr = p.detach().numpy() if isinstance(p, pyad.Tensor) else _np.asarray(p, dtype=_np.float64)
    return arr


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples of input's shape and dtype, 1 with probability input (or p)."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                  f"'{_TORCH_TYPE_NAMES[str(input.dtype)]}'")
    if p is None:
        probs = input.detach().numpy()
        if probs.size and not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")
    else:
        _check_p(p)
        probs = _np.float64(p)
    draws = _rng(generator).random(tuple(input.shape)) < probs
    return _out(pyad.tensor(draws, dtype=input.dtype), out)


_TORCH_TYPE_NAMES = {"pyad.float32": "Float", "pyad.float64": "Double", "pyad.int64": "Long",
                     "pyad.bool": "Bool"}


def _check_p(p):
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from each row of input (probabilities up to a scale factor)."""
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_TORCH_TYPE_NAMES[str(input.dtype)]}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    probs = input.detach().numpy().astype(_np.float64)
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if not _np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    sums = rows.sum(axis=1)
    if (sums <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _rng(generator)
    result = _np.empty((rows.shape[0], num_samples), dtype=_np.int64)
    for i, row in enumerate(rows):
        if not replacement and _np.count_nonzero(row) < num_samples:
            # torch draws the zero-probability categories last once the others are used up
            nonzero = rng.choice(row.size, size=_np.count_nonzero(row), replace=False,
                                 p=row / row.sum())
            rest = rng.permutation(_np.flatnonzero(row == 0))[:num_samples - nonzero.size]
            result[i] = _np.concatenate([nonzero, rest])
        else:
            result[i] = rng.choice(row.size, size=num_samples, replace=replacement,
                                   p=row / row.sum())
    if probs.ndim == 1:
        result = result[0]
    return _out(pyad.tensor(result), out)


# ---- in-place fills -------------------------------------------------------------------------
def _fill_(t, arr):
    if pyad.is_grad_enabled() and t.requires_grad and t.is_leaf:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    with pyad.no_grad():
        t.copy_(pyad.tensor(_np.asarray(arr), dtype=t.dtype))
    return t


def _need_float(t, kernel):
    if not t.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{_TORCH_TYPE_NAMES[str(t.dtype)]}'")


def uniform_(t, a=0.0, b=1.0, *, generator=None, **kwargs):
    a = kwargs.pop("from", a)
    b = kwargs.pop("to", b)
    _need_float(t, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_fmt(a)} > to={_fmt(b)}")
    u = _rng(generator).random(tuple(t.shape))
    return _fill_(t, a + (b - a) * u)


def normal_(t, mean=0.0, std=1.0, *, generator=None):
    _need_float(t, "normal_kernel_cpu")
    _check_std(std)
    return _fill_(t, mean + std * _rng(generator).standard_normal(tuple(t.shape)))


def bernoulli_(t, p=0.5, *, generator=None):
    if isinstance(p, pyad.Tensor):
        probs = p.detach().numpy()
    else:
        _check_p(p)
        probs = p
    return _fill_(t, _rng(generator).random(tuple(t.shape)) < probs)


def exponential_(t, lambd=1.0, *, generator=None):
    _need_float(t, "exponential_cpu")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    return _fill_(t, _rng(generator).exponential(1.0 / lambd, tuple(t.shape)))


_MANTISSA = {"pyad.float32": 24, "pyad.float64": 53, "pyad.int64": 63, "pyad.bool": 1}


def random_(t, *args, generator=None, **kwargs):
    args = list(args)
    low = kwargs.pop("from", None)
    high = kwargs.pop("to", None)
    if len(args) == 1:
        high = args[0]
    elif len(args) == 2:
        low, high = args
    if high is None:
        # torch's default range: every value the dtype holds exactly, [0, 2**mantissa]
        name = str(t.dtype)
        low = low or 0
        high = 2 if name == "pyad.bool" else (1 << 63) if name == "pyad.int64" else \
            (1 << _MANTISSA[name]) + 1
    low = 0 if low is None else int(low)
    high = int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    arr = _rng(generator).integers(low, high, size=tuple(t.shape), dtype=_np.int64) \
        if high <= (1 << 63) else _rng(generator).integers(low, high, size=tuple(t.shape))
    return _fill_(t, arr)
