"""pyad.device and the process-wide settings torch programs set up before any math.

pyad computes on the CPU only. Other device types construct, compare and print as torch's do;
putting a tensor on one raises the error a CPU-only torch build raises.
"""
import re

__all__ = ["device", "get_default_device", "set_default_device"]

# torch's device types, in the order its error message lists them
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                 "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
_DEVICE_STRING = re.compile(r"([a-z]+)(?::(0|[1-9][0-9]*))?$")
# what a CPU-only torch build says when a tensor is put on one of these
_NOT_COMPILED = {"cuda": "CUDA", "xpu": "XPU"}


class device:
    """A device: ``device('cpu')``, ``device('cuda', 0)``, ``device('cuda:1')``.

    Equal when type and index are equal (``device('cpu') != device('cpu:0')``, as in torch).
    Used as a context manager it sets the default device for creation functions.
    """

    __slots__ = ("_type", "_index", "_previous")

    def __init__(self, type=None, index=None):
        if isinstance(type, device) and index is None:
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if not isinstance(type, str):
            if type is None:
                raise TypeError("device() received an invalid combination of arguments - got "
                                "(), but expected one of:\n * (torch.device device)\n"
                                " * (str type, int index = -1)\n")
            name = _type_name(type)
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({name}), but expected one of:\n * (torch.device device)\n"
                            f"      didn't match because some of the arguments have invalid "
                            f"types: (!{name}!)\n * (str type, int index = -1)\n")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                            f"{_type_name(index)}")
        if ":" in type and index is not None:
            raise RuntimeError(f"type (string) must not include an index because index was "
                               f"passed explicitly: {type}")
        head = type.split(":", 1)[0]
        if not re.fullmatch(r"[a-z]+", head) or head not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at "
                               f"start of device string: {type}")
        match = _DEVICE_STRING.match(type)
        if match is None:
            raise RuntimeError(f"Invalid device string: '{type}'")
        if match.group(2) is not None:
            index = int(match.group(2))
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self._type, self._index = head, index

    @property
    def type(self):
        """The device type: 'cpu', 'cuda', 'mps', ..."""
        return self._type

    @property
    def index(self):
        """The device index, or None."""
        return self._index

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __eq__(self, other):
        if not isinstance(other, device):
            return False
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        self._previous = _default_device
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        set_default_device(self._previous)
        return False


def _type_name(obj):
    return {"NoneType": "NoneType"}.get(type(obj).__name__, type(obj).__name__)


CPU = device("cpu")
_default_device = CPU


def require_device(dev):
    """The device dev names, if pyad can put tensors there (any CPU); torch's error if not."""
    if dev is None:
        return _default_device
    if isinstance(dev, int) and not isinstance(dev, bool):
        raise RuntimeError("Cannot access accelerator device when none is available.")
    d = dev if isinstance(dev, device) else device(dev)
    if d._type == "cpu":
        return d
    if d._type in _NOT_COMPILED:
        raise AssertionError(f"Torch not compiled with {_NOT_COMPILED[d._type]} enabled")
    raise RuntimeError(f"PyTorch is not linked with support for {d._type} devices")


def check_creation_device(dev):
    """Validate a creation function's device= (None means the default device)."""
    require_device(_default_device if dev is None else dev)


def get_default_device():
    """The device new tensors are created on: pyad.device('cpu') unless set otherwise."""
    return require_device(_default_device)


def set_default_device(dev):
    """Set the device creation functions use by default. As in a CPU-only torch, any device
    type is accepted here, and creating a tensor then raises unless it is the CPU."""
    global _default_device
    if dev is None:
        _default_device = CPU
        return
    if isinstance(dev, int) and not isinstance(dev, bool):
        raise RuntimeError("Cannot access accelerator device when none is available.")
    _default_device = dev if isinstance(dev, device) else device(dev)
