"""pyad.accelerator: torch.accelerator's answers for a machine without an accelerator."""

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available():
    """False: pyad computes on the CPU."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator."""
    return None


def device_count():
    """0."""
    return 0
