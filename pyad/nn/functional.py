"""pyad.nn.functional: activations and losses, as in torch.nn.functional.

Each function is composed from differentiable pyad ops, so first and higher derivatives come
from the parts; the outermost node is given torch's grad_fn name (GeluBackward0, ...).
softmax and log_softmax of a float tensor along an int dim are one compiled node instead
(`_C._softmax`: one pass per step, and a backward whose own formula is differentiable); other
arguments take the composed form. Numerically stable forms are used where torch uses them
(softmax, log_softmax, softplus, binary_cross_entropy_with_logits).
"""
import math

import numpy as np

import pyad
from pyad import _C

__all__ = [
    "relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "tanh", "softmax",
    "log_softmax", "linear", "mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "normalize", "dropout",
    "layer_norm", "group_norm", "rms_norm", "embedding", "batch_norm", "cosine_similarity",
    "pairwise_distance", "one_hot",
    "pad", "bilinear", "smooth_l1_loss", "kl_div", "soft_margin_loss", "margin_ranking_loss",
    "hinge_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss", "cosine_embedding_loss",
    "triplet_margin_loss", "hardtanh", "relu6", "selu", "celu", "mish",
    "softsign", "logsigmoid", "hardsigmoid", "hardswish", "tanhshrink", "softmin", "threshold",
    "glu", "prelu", "hardshrink", "softshrink",
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
def _tensor_arg(fn, name, pos, value):
    """torch's TypeError for a non-tensor where its op takes a Tensor (a type defined in C
    named with its module, numpy.ndarray, as its parser prints tp_name)."""
    if not isinstance(value, pyad.Tensor):
        t = type(value)
        kind = t.__name__ if t.__module__ == "builtins" or t.__flags__ & (1 << 9) else \
            f"{t.__module__}.{t.__name__}"
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {kind}")


def _loss_operands(fn, input, target):
    """A loss of two tensors: torch's Python code fails on anything else (AttributeError on
    .size(); a list or a number is not converted), pyad raises the TypeError of its parser
    (docs/differences.md, "Operands")."""
    _tensor_arg(fn, "input", 1, input)
    _tensor_arg(fn, "target", 2, target)


def relu(input, inplace=False):
    """max(x, 0)."""
    _tensor_arg("relu", "input", 1, input)
    return input.relu_() if inplace else input.relu()


_F32_MAX = 3.4028234663852886e38


def _check_f32(input, *values):
    """torch converts an activation's scalar parameters to a float32 input's type, checked: a
    finite value beyond float32's range overflows (not for float64 inputs)."""
    if isinstance(input, pyad.Tensor) and input.dtype is pyad.float32:
        for v in values:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                f = float(v)
                if math.isfinite(f) and abs(f) > _F32_MAX:
                    raise RuntimeError("value cannot be converted to type float without overflow")


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    _check_f32(input, negative_slope)
    out = _named(pyad.where(input > 0, input, input * negative_slope), "LeakyReluBackward0")
    return input.copy_(out) if inplace else out


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    _check_f32(input, alpha)
    # NaN takes the identity branch (gradient g), as in torch's elu_backward; the exp branch
    # sees min(x, 0) as a select (where), so a NaN or +inf never reaches its backward (a
    # clamp's mask multiplied by an infinite or NaN slope would make it NaN)
    out = _named(pyad.where(input <= 0, pyad.expm1(_nonpositive(input)) * alpha, input),
                 "EluBackward0")
    return input.copy_(out) if inplace else out


def _nonpositive(x):
    """x where x <= 0, else 0 (NaN too): the argument of elu's exponential branch."""
    return pyad.where(x <= 0, x, 0.0)


def gelu(input, approximate="none"):
    """x * Phi(x) (exact, with erf) or its tanh approximation (approximate="tanh")."""
    _tensor_arg("gelu", "input", 1, input)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        out = input * 0.5 * (pyad.tanh(inner) + 1.0)
    elif approximate == "none":
        out = input * 0.5 * (pyad.erf(input * (1.0 / math.sqrt(2.0))) + 1.0)
    else:
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _named(out, "GeluBackward0")


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    _tensor_arg("silu", "input", 1, input)
    out = _named(input * pyad.sigmoid(input), "SiluBackward0")
    return input.copy_(out) if inplace else out


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear above threshold (computed without overflow)."""
    _check_f32(input, beta, threshold)
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


_DTYPE_WORDS = {"float32": "Float", "float64": "Double", "int64": "Long", "bool": "Bool"}


def _dtype_word(t):
    return _DTYPE_WORDS[str(t.dtype)[5:]]


def linear(input, weight, bias=None):
    """input @ weight.T + bias (AddmmBackward0 for 2-D input, as in torch)."""
    _tensor_arg("linear", "input", 1, input)
    _tensor_arg("linear", "weight", 2, weight)
    if bias is not None:
        _tensor_arg("linear", "bias", 3, bias)
    if input.dim() == 2:
        # with a bias torch takes addmm, whose messages these are (without one, matmul's)
        if bias is not None and input.dtype is not weight.dtype:
            raise RuntimeError("mat1 and mat2 must have the same dtype, but got "
                               f"{_dtype_word(input)} and {_dtype_word(weight)}")
        if bias is not None and bias.dtype is not weight.dtype:
            raise RuntimeError("self and mat2 must have the same dtype, but got "
                               f"{_dtype_word(bias)} and {_dtype_word(weight)}")
        out = input @ weight.t()
        return _named(out + bias, "AddmmBackward0") if bias is not None else out
    shape = input.shape
    flat = input.reshape(-1, shape[-1]) if input.dim() != 1 else input.unsqueeze(0)
    out = flat @ weight.t()
    if bias is not None:
        out = _named(out + bias, "AddmmBackward0")
    out = out.reshape(*shape[:-1], weight.shape[0])
    if bias is None and out.grad_fn is not None:   # torch's matmul ends in these nodes
        out = _named(out, "SqueezeBackward4" if input.dim() == 1 else "UnsafeViewBackward0")
    return out


# ---- losses --------------------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """(input - target)^2, reduced."""
    _loss_operands("mse_loss", input, target)
    return _named(_reduce((input - target) ** 2, reduction), "MseLossBackward0")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """|input - target|, reduced."""
    _loss_operands("l1_loss", input, target)
    return _reduce(pyad.abs(input - target), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, delta (|d| - delta / 2) elsewhere; d = input - target."""
    _loss_operands("huber_loss", input, target)
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
        # torch sums every term before negating (and, for the mean, divides by the number of
        # class vectors, a C++ scalar: DivBackward1)
        if reduction == "mean":
            return _named(-terms.sum() / (input.numel() // n_classes), "DivBackward1")
        if reduction == "sum":
            return -terms.sum()
        if reduction == "none":
            return -terms.sum(class_dim)
        raise ValueError(f"{reduction} is not a valid value for reduction")
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


# ---- layers --------------------------------------------------------------------------------
def bilinear(input1, input2, weight, bias=None):
    """out[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]."""
    n_out, n1, n2 = weight.shape
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and "
                           f"{input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {input1.shape[i]} and {input2.shape[i]}")
    for k, (x, want) in enumerate(((input1, n1), (input2, n2)), 1):
        if x.shape[-1] != want:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{x.shape[-1]} but expected {want}")
    if bias is not None and bias.numel() != n_out:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.numel()} but expected {n_out}")
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, n1)
    x2 = input2.reshape(-1, n2)
    mixed = (x1 @ weight.permute(1, 0, 2).reshape(n1, n_out * n2)).reshape(-1, n_out, n2)
    out = _named((mixed * x2.unsqueeze(1)).sum(-1).reshape(*lead, n_out), "ViewBackward0")
    return out + bias if bias is not None else out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) over the last len(normalized_shape) dims (biased var),
    then * weight + bias."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    _check_normalized_shape(normalized_shape, input)
    if input.dim() < k or tuple(input.shape[input.dim() - k:]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size"
            f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(normalized_shape)}")
    dims = tuple(range(input.dim() - k, input.dim()))
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered * pyad.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return _named(out, "NativeLayerNormBackward0")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each group of num_groups channels (dim 1) of each sample over the group's
    channels and all trailing dims (biased var), then a per-channel affine map."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    grouped = input.reshape(n, num_groups, -1)
    mean = grouped.mean(-1, keepdim=True)
    centered = grouped - mean
    var = (centered * centered).mean(-1, keepdim=True)
    out = (centered * pyad.rsqrt(var + eps)).reshape(input.shape)
    shape = [1] * input.dim()
    shape[1] = c
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return _named(out, "NativeGroupNormBackward0")


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing normalized_shape dims, times weight; eps
    defaults to the dtype's machine epsilon, as torch."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    _check_normalized_shape(normalized_shape, input)
    if input.dim() < k:
        raise ValueError(f"Input tensor must have at least {k} dimensions, but got "
                         f"{input.dim()}")
    if tuple(input.shape[input.dim() - k:]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*{', '.join(str(s) for s in normalized_shape)}], but got input of size"
            f"{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(np.float32 if input.dtype is pyad.float32 else np.float64).eps)
    dims = tuple(range(input.dim() - k, input.dim()))
    out = input * pyad.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


def _check_normalized_shape(normalized_shape, input):
    if not normalized_shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """The rows of weight picked by the integer tensor input; rows at padding_idx get no
    gradient. With max_norm, the picked rows are first renormalised in place, as torch does."""
    if input.dtype is not pyad.int64:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"{_tensor_type_name(input)} instead (while checking arguments for "
                           "embedding)")
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.shape[0] + padding_idx
    flat = input.reshape(-1)
    if flat.numel() and bool(((flat < 0) | (flat >= weight.shape[0])).any()):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, flat, max_norm, norm_type)
    rows = weight.index_select(0, flat)
    if padding_idx is not None:
        rows = pyad.where((flat == padding_idx).unsqueeze(1), rows.detach(), rows)
    return _named(rows.reshape(*input.shape, weight.shape[1]), "EmbeddingBackward0")


def _tensor_type_name(t):
    return "pyad." + {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
                      "bool": "BoolTensor"}[str(t.dtype)[5:]]


def _embedding_renorm_(weight, flat, max_norm, norm_type):
    with pyad.no_grad():
        for i in sorted(set(flat.tolist())):
            norm = float(pyad.norm(weight[i], norm_type))
            if norm > max_norm:
                weight[i] = weight[i] * (max_norm / (norm + 1e-7))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) by the batch's statistics (training, also updating the
    running ones in place: mean and unbiased var) or by the running statistics (eval)."""
    if input.dim() < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")
    channels = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    dims = (0,) + tuple(range(2, input.dim()))
    shape = [1] * input.dim()
    shape[1] = channels
    if training:
        count = input.numel() // channels
        if count <= 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if running_mean is not None or running_var is not None:
            with pyad.no_grad():
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(mean.reshape(-1) * momentum)
                if running_var is not None:
                    unbiased = var.reshape(-1) * (count / (count - 1))
                    running_var.mul_(1 - momentum).add_(unbiased * momentum)
        out = centered * pyad.rsqrt(var + eps)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        out = (input - running_mean.reshape(shape)) * pyad.rsqrt(running_var.reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return _named(out, "NativeBatchNormBackward0")


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim (broadcasting)."""
    n1 = pyad.norm(x1, 2, dim, keepdim=True).clamp_min(eps)
    n2 = pyad.norm(x2, 2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim."""
    out_dim = max(x1.dim(), x2.dim())
    diff = x1 - x2 + eps
    if out_dim == 0:
        out = pyad.norm(diff.reshape(1), p, 0, keepdim=False).reshape(())
    else:
        out = pyad.norm(diff, p, out_dim - 1, keepdim=keepdim)
    return _named(out, "NormBackward1")


def one_hot(tensor, num_classes=-1):
    """An int64 tensor with a trailing dim of size num_classes holding 1 at each index."""
    if not isinstance(tensor, pyad.Tensor):
        raise TypeError("one_hot(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    if tensor.dtype is not pyad.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    if tensor.numel():
        if int(tensor.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(tensor.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == pyad.arange(num_classes)).long()


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative sizes, crop) the last len(pad) // 2 dims: pad lists (before,
    after) for the last dim first. Only mode 'constant'."""
    if mode != "constant":
        raise NotImplementedError(f"pyad: pad mode '{mode}' is not supported (only 'constant')")
    pad = list(pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.dim()}")
    fill = 0 if value is None else value
    out = input
    for i in range(len(pad) // 2):
        dim = input.dim() - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        size = out.shape[dim]
        if size + before + after < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        start, stop = max(-before, 0), size - max(-after, 0)
        if start or stop != size:
            out = out.narrow(dim, start, max(stop - start, 0))
        pieces = []
        for n in (before, after):
            if n > 0:
                shape = list(out.shape)
                shape[dim] = n
                pieces.append(pyad.full(shape, fill, dtype=out.dtype))
            else:
                pieces.append(None)
        if pieces[0] is not None or pieces[1] is not None:
            out = pyad.cat([t for t in (pieces[0], out, pieces[1]) if t is not None], dim)
    if out is input:
        out = input.clone()
    return _named(out, "ConstantPadNdBackward0") if out.grad_fn is not None else out


# ---- more losses ---------------------------------------------------------------------------
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, |d| - beta / 2 elsewhere; d = input - target."""
    if beta == 0.0:   # torch takes l1_loss here
        return l1_loss(input, target, reduction=reduction)
    d = input - target
    ad = pyad.abs(d)
    loss = pyad.where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta)
    return _named(_reduce(loss, reduction), "SmoothL1LossBackward0")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target * (log target - input) (input holds log-probabilities); 'batchmean' divides the
    sum by the batch size."""
    if log_target:
        loss = pyad.exp(target) * (target - input)
    else:
        # xlogy: 0 where target is 0
        safe = pyad.where(target > 0, target, 1.0)
        loss = pyad.where(target > 0, target * pyad.log(safe), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)), reduced (one node, as torch)."""
    loss = pyad.log1p(pyad.exp(-target * input))
    return _named(_reduce(loss, reduction), "SoftMarginLossBackward0")


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target * (input1 - input2) + margin), reduced."""
    if not (input1.dim() == input2.dim() == target.dim()):
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where target is 1, max(0, margin - x) where target is -1, reduced."""
    zeros = pyad.zeros_like(input)
    margin_clamp = (margin - input).clamp_min(0)
    output = pyad.where(target != 1, margin_clamp, zeros) + pyad.where(target != -1, input, zeros)
    return _reduce(output, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(input) - target * input (log_input) or input - target * log(input + eps), with the
    Stirling term for target > 1 when full; reduced."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = pyad.exp(input) - target * input
    else:
        loss = input - target * pyad.log(input + eps)
    if full:
        safe = pyad.where(target > 1, target, 2.0)
        stirling = safe * pyad.log(safe) - safe + 0.5 * pyad.log(2 * math.pi * safe)
        loss = loss + pyad.where(target <= 1, 0.0, stirling)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 * (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) when
    full), reduced; the clamp of var does not stop its gradient, as in torch."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * pyad.ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.dim() == var.dim() and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    # torch clamps a clone in place under no_grad: the values are clamped, the gradient flows
    # to var unchanged
    var = var + (var.clamp_min(eps) - var).detach()
    loss = 0.5 * (pyad.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1."""
    dim = 1 if input1.dim() == 2 else 0
    prod_sum = (input1 * input2).sum(dim)
    mag_square1 = (input1 * input1).sum(dim) + 1e-12
    mag_square2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = pyad.zeros_like(cos)
    output = (pyad.where(target == 1, 1 - cos, zeros)
              + pyad.where(target == -1, (cos - margin).clamp_min(0), zeros))
    return _reduce(output, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the p-norm distance
    (with swap, the smaller of d(a, n) and d(p, n))."""
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = pyad.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)


# ---- more activations ----------------------------------------------------------------------
def _maybe_inplace(input, out, inplace):
    return input.copy_(out) if inplace else out


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    _check_f32(input, min_val, max_val)
    return _maybe_inplace(input, _C.hardtanh(input, min_val, max_val), inplace)


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return _maybe_inplace(input, _C.relu6(input), inplace)


def selu(input, inplace=False):
    """scale * elu(x, alpha) with torch's constants."""
    return _maybe_inplace(input, _C.selu(input), inplace)


def celu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x / alpha) - 1) otherwise."""
    _check_f32(input, alpha)
    return _maybe_inplace(input, _C.celu(input, alpha), inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return _maybe_inplace(input, _C.mish(input), inplace)


def softsign(input):
    """x / (1 + |x|)."""
    return _C.softsign(input)


def logsigmoid(input):
    """log(sigmoid(x)) = -log(1 + exp(-x)), without overflow."""
    return _C.logsigmoid(input)


def hardsigmoid(input, inplace=False):
    """clamp(x / 6 + 1 / 2, 0, 1)."""
    return _maybe_inplace(input, _C.hardsigmoid(input), inplace)


def hardswish(input, inplace=False):
    """x * clamp(x + 3, 0, 6) / 6."""
    return _maybe_inplace(input, _C.hardswish(input), inplace)


def tanhshrink(input):
    """x - tanh(x)."""
    return input - pyad.tanh(input)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x)."""
    x = input if dtype is None else input.to(dtype)
    return softmax(-x, _implicit_dim(x, dim))


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, value elsewhere."""
    _check_f32(input, threshold, value)
    out = _named(pyad.where(input > threshold, input, float(value)), "ThresholdBackward0")
    return _maybe_inplace(input, out, inplace)


def glu(input, dim=-1):
    """a * sigmoid(b) for the halves a, b of input along dim."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise RuntimeError("Halving dimension must be even, but dimension "
                           f"{dim % input.dim()} is size {input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return _named(a * pyad.sigmoid(b), "GluBackward0")


def prelu(input, weight):
    """x for x > 0, weight * x otherwise (weight per channel, dim 1)."""
    w = weight
    if weight.numel() > 1 and input.dim() >= 2:
        shape = [1] * input.dim()
        shape[1] = weight.numel()
        w = weight.reshape(shape)
    return _named(pyad.where(input > 0, input, input * w), "PreluKernelBackward0")


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, 0 elsewhere."""
    _check_f32(input, lambd)
    return _named(pyad.where(pyad.abs(input) > lambd, input, 0.0), "HardshrinkBackward0")


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    big = _F32_MAX if input.dtype is pyad.float32 else 1.7976931348623157e308
    if not 0 <= lambd <= big:
        raise RuntimeError(f"lambda must be in range [0, {big:g}] for input dtype "
                           f"{'Float' if input.dtype is pyad.float32 else 'Double'}, but found "
                           f"{lambd:g}")
    out = pyad.where(input > lambd, input - lambd, pyad.where(input < -lambd, input + lambd, 0.0))
    return _named(out, "SoftshrinkBackward0")
