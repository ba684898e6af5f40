"""pyad.backends.cudnn: torch's flags (enabled, benchmark, deterministic, allow_tf32) as plain
settable attributes; cuDNN is never available in pyad."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """False: pyad has no cuDNN."""
    return False


def version():
    """None: pyad has no cuDNN."""
    return None
