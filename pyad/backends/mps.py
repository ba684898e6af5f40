"""pyad.backends.mps: Apple's Metal backend is neither built nor available in pyad."""


def is_available():
    """False."""
    return False


def is_built():
    """False."""
    return False
