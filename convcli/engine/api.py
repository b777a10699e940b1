"""The public operations: conv2d, correlate2d, im2col_matmul, conv1x1, output_shape."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError, UsageError
from . import methods, numeric, small
from .boundary import pad_spatial
from .im2col import matrices
from .options import parse_sizes
from .plan import Plan, make_plan


def padded_input(plan: Plan) -> np.ndarray:
    """The plan's input with its padding filled by the boundary rule."""
    return pad_spatial(plan.x, plan.pads, plan.boundary, plan.fill_value)


def finish(plan: Plan, out: np.ndarray) -> np.ndarray:
    """Add the bias, give exact results their narrowest type, and drop the
    channel axis for a 2-D problem."""
    if plan.bias is not None:
        with np.errstate(over="ignore", invalid="ignore"):  # inf and nan as IEEE gives them, as methods.run does
            out = out + plan.bias.reshape(-1, 1, 1)
    out = numeric.shrink_exact(out)
    return out[0] if plan.output_2d else out


# Options at these values (of these types) let a small 2-D problem take the short lane.
LANE_DEFAULTS = {"boundary": "fill", "fill_value": 0, "stride": 1, "dilation": 1, "groups": 1, "bias": None}


def _run(operation: str, x, kernel, options: dict, method: str = "auto") -> np.ndarray:
    if operation != "im2col_matmul" and type(method) is str and method == "auto" \
            and all(type(options[k]) is type(v) and options[k] == v for k, v in LANE_DEFAULTS.items()):
        out = small.correlate(operation, x, kernel, options["padding"])
        if out is not None:
            return out
    method = methods.parse_method(method)
    plan = make_plan(operation, x, kernel, **options)
    padded = padded_input(plan)
    out = methods.correlate(plan, padded, method)
    return finish(plan, out)


def correlate2d(x, kernel, *, padding="valid", boundary="fill", fill_value=0, stride=1, dilation=1, groups=1, bias=None, method="auto"):
    """Cross-correlate `x` with `kernel`: slide the kernel as given, no flip.

    This is what a CNN layer computes. A 2-D input with a 2-D kernel equals
    ``scipy.signal.correlate2d`` (for padding valid/same/full and boundary
    fill/wrap/symmetric); a (C, H, W) input with a (K, C/groups, kh, kw)
    kernel equals ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    x : array_like
        Input, (H, W) or (C, H, W).
    kernel : array_like
        (kh, kw), (C, kh, kw) for one filter, or (K, C/groups, kh, kw).
    padding : str, int or tuple
        'valid' (default), 'same', 'full', N, (PH, PW) or (top, bottom, left, right).
    boundary : str
        What fills the padding: 'fill', 'wrap', 'symmetric', 'reflect' or 'replicate'.
    fill_value : number
        The value used by boundary 'fill'.
    stride, dilation : int or (int, int)
    groups : int
    bias : array_like, optional
        One value per output channel.
    method : str
        'auto' (default), 'direct', 'fft' or 'gemm'; every method gives the
        same answer (integers exactly), 'auto' picks the fastest. See
        :mod:`convcli.engine.methods`.

    Returns
    -------
    numpy.ndarray
        (H', W') for a 2-D input and 2-D kernel, else (K, H', W').

    Examples
    --------
    >>> correlate2d([[1, 2], [3, 4]], [[1, 2], [3, 4]])
    array([[30]])
    """
    return _run("correlate2d", x, kernel, dict(padding=padding, boundary=boundary, fill_value=fill_value,
                                                stride=stride, dilation=dilation, groups=groups, bias=bias), method)


def conv2d(x, kernel, *, padding="valid", boundary="fill", fill_value=0, stride=1, dilation=1, groups=1, bias=None, method="auto"):
    """True convolution: the kernel is flipped in both spatial axes, then slid.

    Takes the same arguments as :func:`correlate2d`. A 2-D problem equals
    ``scipy.signal.convolve2d``, including its 'same' alignment for even
    kernels; ``conv2d(x, k)`` equals ``correlate2d(x, k[..., ::-1, ::-1])``
    wherever the padding is symmetric.

    Examples
    --------
    >>> conv2d([[1, 2], [3, 4]], [[1, 2], [3, 4]])
    array([[20]])
    """
    return _run("conv2d", x, kernel, dict(padding=padding, boundary=boundary, fill_value=fill_value,
                                           stride=stride, dilation=dilation, groups=groups, bias=bias), method)


def im2col_matmul(x, kernel, *, padding="valid", boundary="fill", fill_value=0, stride=1, dilation=1, groups=1, bias=None, method="auto"):
    """Cross-correlation computed as one matrix product, ``W_row @ X_col``.

    Gives exactly what :func:`correlate2d` gives for every option; X_col is
    built a band of output rows at a time, so memory stays bounded. Use
    :func:`im2col_matrices` to see the matrices themselves.

    Examples
    --------
    >>> im2col_matmul([[1, 2, 3], [4, 5, 6]], [[1, 1]])
    array([[ 3,  5],
           [ 9, 11]])
    """
    return _run("im2col_matmul", x, kernel, dict(padding=padding, boundary=boundary, fill_value=fill_value,
                                                  stride=stride, dilation=dilation, groups=groups, bias=bias), method)


def im2col_matrices(x, kernel, *, padding="valid", boundary="fill", fill_value=0, stride=1, dilation=1, groups=1):
    """X_col (C*kh*kw, H'*W') and W_row (K, C/groups*kh*kw) of an im2col product.

    Examples
    --------
    >>> m = im2col_matrices([[1, 2, 3], [4, 5, 6]], [[1, 1]])
    >>> m.x_col
    array([[1, 2, 4, 5],
           [2, 3, 5, 6]])
    """
    plan = make_plan("im2col_matmul", x, kernel, padding=padding, boundary=boundary, fill_value=fill_value,
                     stride=stride, dilation=dilation, groups=groups)
    return matrices(padded_input(plan), plan.weight, plan.stride, plan.dilation, plan.groups)


def conv1x1(x, weights, *, bias=None):
    """A 1x1 convolution: at every pixel, the dot product of the depth vector
    with each row of `weights`, plus the bias.

    Parameters
    ----------
    x : array_like
        (C, H, W), or (H, W) for one channel.
    weights : array_like
        (K, C), (C,) or (K, C, 1, 1).
    bias : array_like, optional
        K values.

    Returns
    -------
    numpy.ndarray
        (H, W) for 1-D weights, else (K, H, W).

    Examples
    --------
    >>> conv1x1([[[1]], [[5]]], [[1, 10]])
    array([[[51]]])
    """
    x, weights, single = conv1x1_operands(x, weights)
    out = correlate2d(x, weights[:, :, None, None], bias=bias)
    return out[0] if single else out


def conv1x1_operands(x, weights):
    """Validated conv1x1 operands: x as (C, H, W), weights as (K, C), and
    whether the weights were one (C,) row (the result is then 2-D)."""
    weights = numeric.as_numeric_array(weights, "weights")
    given = weights.shape  # for messages: (C,) weights are used as one (1, C) row
    single = weights.ndim == 1
    if weights.ndim == 4:
        if weights.shape[2:] != (1, 1):
            raise ShapeError(f"conv1x1 weights {weights.shape} must be (K, C, 1, 1), not a {weights.shape[2:]} kernel")
        weights = weights[:, :, 0, 0]
    elif single:
        weights = weights[None]
    elif weights.ndim != 2:
        raise ShapeError(f"conv1x1 weights have shape {weights.shape}; expected (K, C), (C,) or (K, C, 1, 1)")
    if weights.size == 0:
        raise ShapeError(f"conv1x1 weights {given} are empty; expected (K, C), (C,) or (K, C, 1, 1)")
    x = numeric.as_numeric_array(x, "input")
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.size == 0:
        raise ShapeError(f"conv1x1 input has shape {x.shape}; expected a non-empty (C, H, W) or (H, W)")
    if weights.shape[1] != x.shape[0]:
        raise ShapeError(
            f"conv1x1 weights {given} expect {weights.shape[1]} channels, but input {x.shape} has {x.shape[0]}"
        )
    return x, weights, single


def output_shape(input_shape, kernel_shape, *, operation="correlate2d", padding="valid", stride=1, dilation=1, groups=1):
    """The shape the operation would return, without computing it.

    Examples
    --------
    >>> output_shape((28, 28), (5, 5))
    (24, 24)
    >>> output_shape((3, 224, 224), (64, 3, 7, 7), padding=3, stride=2)
    (64, 112, 112)
    """
    key = str(operation).strip().lower().replace("-", "_")
    if key not in SHAPE_OPERATIONS:
        raise UsageError(f"operation {operation!r} is not one of {', '.join(SHAPE_OPERATIONS)} "
                         f"(conv1x1 keeps the input's height and width: (K, H, W))")
    # float64 views of one zero: no copy, and no integer range scans
    x = np.broadcast_to(np.zeros(1), _shape(input_shape, "input shape"))
    kernel = np.broadcast_to(np.zeros(1), _shape(kernel_shape, "kernel shape"))
    plan = make_plan(key, x, kernel, padding=padding, stride=stride, dilation=dilation, groups=groups,
                     shape_only=True)
    return plan.output_shape


SHAPE_OPERATIONS = ("conv2d", "correlate2d", "im2col_matmul")


def _shape(value, name: str) -> tuple[int, ...]:
    """A shape given as a sequence of sizes of at least 1."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise UsageError(f"{name} {value!r} must be a sequence of sizes, e.g. (28, 28)")
    sizes = parse_sizes(value, name)
    if min(sizes) < 1:
        raise ShapeError(f"{name} {tuple(sizes)} must have every size at least 1")
    if math.prod(sizes) >= 2**60:  # numpy cannot describe 2**63 bytes, even as a view of one zero
        raise ShapeError(f"{name} {tuple(sizes)} has {math.prod(sizes):.3g} cells, beyond what numpy can describe "
                         f"(2**60); `convcli shape` explains any size")
    return tuple(sizes)
