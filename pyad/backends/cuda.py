"""pyad.backends.cuda: torch's CUDA matmul flags, settable and ignored; CUDA is not built."""


class _MatmulFlags:
    """torch.backends.cuda.matmul. allow_tf32 is another view of
    pyad.get_float32_matmul_precision(), as in torch (True for "high" or "medium")."""

    def __init__(self):
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self):
        from pyad._functions import get_float32_matmul_precision
        return get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value):
        from pyad._functions import set_float32_matmul_precision
        set_float32_matmul_precision("high" if value else "highest")


matmul = _MatmulFlags()


def is_built():
    """False: pyad has no CUDA backend."""
    return False
