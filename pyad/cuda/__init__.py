"""pyad.cuda: what a CPU-only torch build's torch.cuda answers. Queries say there is no GPU;
seeding is a no-op; anything that needs a GPU raises torch's "not compiled" error."""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "seed",
           "seed_all", "is_initialized", "empty_cache", "current_device", "synchronize",
           "get_device_name", "set_device", "init", "is_bf16_supported"]


def _not_compiled():
    raise AssertionError("Torch not compiled with CUDA enabled")


def is_available():
    """False: pyad computes on the CPU."""
    return False


def device_count():
    """0."""
    return 0


def is_initialized():
    """False."""
    return False


def manual_seed(seed):
    """No-op (no CUDA generator to seed), as in a CPU-only torch."""


def manual_seed_all(seed):
    """No-op (no CUDA generator to seed), as in a CPU-only torch."""


def seed():
    """No-op."""


def seed_all():
    """No-op."""


def empty_cache():
    """No-op."""


def is_bf16_supported(including_emulation=True):
    """False."""
    return False


def current_device():
    """Raises torch's error: there is no CUDA device."""
    _not_compiled()


def synchronize(device=None):
    """Raises torch's error: there is no CUDA device."""
    _not_compiled()


def get_device_name(device=None):
    """Raises torch's error: there is no CUDA device."""
    _not_compiled()


def set_device(device):
    """Raises torch's error: there is no CUDA device."""
    _not_compiled()


def init():
    """Raises torch's error: there is no CUDA device."""
    _not_compiled()
