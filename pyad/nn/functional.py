"""pyad.nn.functional: activations and losses, as in torch.nn.functional.

Each function is composed from differentiable pyad ops, so first and higher derivatives come
from the parts; the outermost node is given torch's grad_fn name (GeluBackward0, ...).
softmax and log_softmax of a float tensor along an int dim are one compiled node instead
(`_C._softmax`: one pass per step, and a backward whose own formula is differentiable); other
arguments take the composed form. Numerically stable forms are used where torch uses them
(softmax, log_softmax, softplus, binary_cross_entropy_with_logits).
"""
import math

import pyad
from pyad import _C

__all__ = [
    "relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "tanh", "softmax",
    "log_softmax", "linear", "mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "normalize", "dropout",
]

_named = _C._named_as
sigmoid = pyad.sigmoid
tanh = pyad.tanh


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


# ---- activations ---------------------------------------------------------------------------
def relu(input, inplace=False):
    """max(x, 0)."""
    return input.relu_() if inplace else input.relu()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    out = _named(pyad.where(input > 0, input, input * negative_slope), "LeakyReluBackward0")
    return input.copy_(out) if inplace else out


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    # NaN takes the identity branch (gradient g), as in torch's elu_backward
    out = _named(pyad.where(input <= 0, pyad.expm1(input.clamp_max(0.0)) * alpha, input),
                 "EluBackward0")
    return input.copy_(out) if inplace else out


def gelu(input, approximate="none"):
    """x * Phi(x) (exact, with erf) or its tanh approximation (approximate="tanh")."""
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        out = input * 0.5 * (pyad.tanh(inner) + 1.0)
    elif approximate == "none":
        out = input * 0.5 * (pyad.erf(input * (1.0 / math.sqrt(2.0))) + 1.0)
    else:
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return _named(out, "GeluBackward0")


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    out = _named(input * pyad.sigmoid(input), "SiluBackward0")
    return input.copy_(out) if inplace else out


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear above threshold (computed without overflow)."""
    bx = input * beta if beta != 1.0 else input
    # the smooth branch sees only values <= threshold (finite where the linear branch is taken;
    # NaN passes through with its gradient)
    smooth = _log1p_exp(pyad.where(bx > threshold, float(threshold), bx))
    if beta != 1.0:
        smooth = smooth / beta
    return _named(pyad.where(bx > threshold, input, smooth), "SoftplusBackward0")


def _log1p_exp(z):
    """log(1 + exp(z)) = m + log(exp(-m) + exp(z - m)) with m = max(z, 0) held constant: no
    overflow, and smooth at 0 (the relu/abs form has a derivative of 0 there, not 1/2)."""
    m = pyad.relu(z).detach()
    return m + pyad.log(pyad.exp(-m) + pyad.exp(z - m))


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along dim, shifted by the max for stability."""
    x = input if dtype is None else input.to(dtype)
    dim = _implicit_dim(x, dim)
    if _fused(x, dim):
        return _C._softmax(x, dim, False)
    if _integer_operand(x, dim, "softmax"):
        return x.clone()    # empty: torch returns before choosing a kernel
    e = pyad.exp(x - x.amax(dim, keepdim=True).detach())
    return _named(e / e.sum(dim, keepdim=True), "SoftmaxBackward0")


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along dim."""
    x = input if dtype is None else input.to(dtype)
    dim = _implicit_dim(x, dim)
    if _fused(x, dim):
        return _C._softmax(x, dim, True)
    if _integer_operand(x, dim, "log_softmax"):
        return x.clone()
    return _named(x - pyad.logsumexp(x, dim, keepdim=True), "LogSoftmaxBackward0")


def _fused(x, dim):
    """The one-node softmax (_C._softmax) serves float tensors of at least one dim and an int
    dim in range; everything else takes the composed form, with its checks and messages."""
    return (isinstance(x, pyad.Tensor) and type(dim) is int and x.dtype in _FLOATS
            and x.dim() > 0 and -x.dim() <= dim < x.dim())


_FLOATS = (pyad.float32, pyad.float64)


def _integer_operand(x, dim, name):
    """torch has no integer softmax kernel: its error for an int64 or bool tensor with a valid
    int dim, naming the kernel it would pick (True for an empty tensor, which it returns)."""
    if not isinstance(x, pyad.Tensor) or x.dtype in _FLOATS or type(dim) is not int:
        return False
    nd = max(x.dim(), 1)
    if not -nd <= dim < nd:
        return False
    if x.numel() == 0:
        return True
    kernel = "lastdim_kernel_impl" if x.dim() == 0 or dim % nd == nd - 1 else "kernel_impl"
    kind = "Long" if x.dtype == pyad.int64 else "Bool"
    raise NotImplementedError(f'"{name}_{kernel}" not implemented for \'{kind}\'')


def _implicit_dim(x, dim):
    if dim is not None:
        return dim
    import warnings
    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to "
                  "include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if x.dim() in (0, 1, 3) else 1


def linear(input, weight, bias=None):
    """input @ weight.T + bias (AddmmBackward0 for 2-D input, as in torch)."""
    if input.dim() == 2:
        out = input @ weight.t()
        return _named(out + bias, "AddmmBackward0") if bias is not None else out
    shape = input.shape
    flat = input.reshape(-1, shape[-1]) if input.dim() != 1 else input.unsqueeze(0)
    out = flat @ weight.t()
    if bias is not None:
        out = _named(out + bias, "AddmmBackward0")
    return out.reshape(*shape[:-1], weight.shape[0])


# ---- losses --------------------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """(input - target)^2, reduced."""
    return _named(_reduce((input - target) ** 2, reduction), "MseLossBackward0")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """|input - target|, reduced."""
    return _reduce(pyad.abs(input - target), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, delta (|d| - delta / 2) elsewhere; d = input - target."""
    d = input - target
    ad = pyad.abs(d)
    loss = pyad.where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _named(_reduce(loss, reduction), "HuberLossBackward0")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(t log p + (1 - t) log(1 - p)), each log clamped at -100 as in torch."""
    if input.shape != target.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    p = input.detach()
    if bool(((p < 0) | (p > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * pyad.log(input).clamp_min(-100.0)
             + (1 - target) * pyad.log(1 - input).clamp_min(-100.0))
    if weight is not None:
        loss = loss * weight
    return _named(_reduce(loss, reduction), "BinaryCrossEntropyBackward0")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """BCE of sigmoid(input), computed from the logits without overflow."""
    if input.shape != target.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    log_sig_neg = _log1p_exp(-input)                                    # -log sigmoid(x)
    if pos_weight is None:
        loss = (1 - target) * input + log_sig_neg
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * log_sig_neg
    if weight is not None:
        loss = loss * weight
    return _named(_reduce(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """-input[i, target[i]] (weighted), for class indices; mean divides by the total weight."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    batched = input.dim() >= 2
    if not batched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    if input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    n_classes = input.shape[1]
    keep = target != ignore_index
    safe = pyad.where(keep, target, 0)
    bad = ((safe < 0) | (safe >= n_classes)).any()
    if bool(bad):
        t = [v for v in safe.reshape(-1).tolist() if v < 0 or v >= n_classes][0]
        raise IndexError(f"Target {t} is out of bounds.")
    picked = input.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = keep.to(input.dtype)
    if weight is not None:
        w = weight[safe] * w
    loss = -picked * w
    if reduction == "none":
        out = loss if batched else loss.squeeze(0)
    elif reduction == "sum":
        out = loss.sum()
    else:
        out = loss.sum() / w.sum()
    return _named(out, "NllLossBackward0")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """nll_loss(log_softmax(input, 1), target) for class indices; -sum(target * log_softmax)
    for class probabilities; with torch's label smoothing."""
    class_dim = 1 if input.dim() >= 2 else 0
    logp = log_softmax(input, class_dim)
    n_classes = input.shape[class_dim]
    if target.dtype.is_floating_point:
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        terms = logp * target
        if weight is not None:
            terms = terms * _class_weight(weight, input.dim(), class_dim)
        loss = -terms.sum(class_dim)
        if reduction == "mean":   # torch divides by a C++ scalar here: DivBackward1
            return _named(loss.sum() / (input.shape[0] if input.dim() >= 2 else 1), "DivBackward1")
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return nll
    keep = (target != ignore_index).to(input.dtype)
    terms = logp if weight is None else logp * _class_weight(weight, input.dim(), class_dim)
    smooth = -terms.sum(class_dim) * keep
    if reduction == "none":
        pass
    elif reduction == "sum":
        smooth = smooth.sum()
    else:
        if weight is None:
            smooth = smooth.sum() / keep.sum()
        else:
            safe = pyad.where(target != ignore_index, target, 0)
            smooth = smooth.sum() / (weight[safe] * keep).sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _class_weight(weight, ndim, class_dim):
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return weight.reshape(shape)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    denom = pyad.norm(input, p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training only)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        mask = pyad.zeros_like(input)
    else:
        mask = (pyad.rand_like(input) >= p).to(input.dtype) / (1.0 - p)
    return input.mul_(mask) if inplace else input * mask
