"""Turn user arguments into one validated plan of work.

Every operation (and every trace of one) starts here: shapes are normalised
to an input of (C, H, W) and a weight of (K, C/groups, kh, kw), the padding
is resolved to (top, bottom, left, right) pads, and the compute dtype is
chosen. Errors quote the offending shapes and values.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, ShapeError, UsageError, count_noun
from . import numeric
from .direct import output_hw
from .options import boundary_word, parse_boundary, parse_groups, parse_padding, parse_pair

OPERATIONS = ("correlate2d", "conv2d", "im2col_matmul")


@dataclass(frozen=True)
class Plan:
    """Everything needed to compute one convolution or correlation."""

    operation: str
    x: np.ndarray  # (C, H, W), in the compute dtype
    weight: np.ndarray  # (K, C/groups, kh, kw) as applied: already flipped for conv2d
    kernel_as_given: np.ndarray  # the kernel before any flip, in the user's shape
    pads: tuple[int, int, int, int]  # top, bottom, left, right
    boundary: str
    fill_value: object
    stride: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    bias: np.ndarray | None  # (K,) or None
    dtype: object  # np.int64, np.float32, np.float64 or object
    output_2d: bool  # a 2-D input with a 2-D kernel gives a 2-D result
    padding_spec: object

    @property
    def flipped(self) -> bool:
        return self.operation == "conv2d"

    @property
    def output_hw(self) -> tuple[int, int]:
        return spatial_output(self.x.shape[1:], self.weight.shape[2:], self.pads, self.stride, self.dilation)

    @property
    def output_shape(self) -> tuple[int, ...]:
        height, width = self.output_hw
        if self.output_2d:
            return (height, width)
        return (self.weight.shape[0], height, width)


def effective_size(size: int, dilation: int) -> int:
    return dilation * (size - 1) + 1


def spatial_output(in_hw, k_hw, pads, stride, dilation) -> tuple[int, int]:
    top, bottom, left, right = pads
    return output_hw((in_hw[0] + top + bottom, in_hw[1] + left + right), k_hw, stride, dilation)


def resolve_pads(padding, operation: str, k_hw, dilation) -> tuple[int, int, int, int]:
    """Pads for a padding word, following scipy.signal.

    'full' pads k-1 on every side. 'same' pads k-1 in total per axis; for an
    even kernel the odd cell goes where scipy puts it: correlate2d pads
    (k-1)//2 before and k//2 after, convolve2d the mirror image.
    """
    if not isinstance(padding, str):
        return padding
    if padding == "valid":
        return (0, 0, 0, 0)
    sizes = [effective_size(k_hw[a], dilation[a]) for a in range(2)]
    if padding == "full":
        return (sizes[0] - 1, sizes[0] - 1, sizes[1] - 1, sizes[1] - 1)
    pads = []
    for size in sizes:
        small, large = (size - 1) // 2, size // 2
        pads += [large, small] if operation == "conv2d" else [small, large]
    return tuple(pads)


def _normalise_input(x: np.ndarray) -> np.ndarray:
    if x.ndim == 2:
        return x[None]
    if x.ndim == 3:
        return x
    raise ShapeError(f"input has shape {x.shape}; expected (H, W) or (C, H, W)")


def _normalise_weight(kernel: np.ndarray, channels: int, groups: int, input_2d: bool):
    """(K, C/groups, kh, kw) and the groups to use with it."""
    if kernel.ndim == 2:
        if channels == 1 or input_2d:
            return kernel[None, None], groups
        # one 2-D kernel on a C-channel input filters each channel on its own,
        # as MATLAB's convn and imfilter do; that is groups=C with C copies
        if groups not in (1, channels):
            raise ShapeError(
                f"a 2-D kernel {kernel.shape} on a {channels}-channel input filters each channel; "
                f"groups must be 1 or {channels}, got {groups}"
            )
        return np.broadcast_to(kernel, (channels, 1) + kernel.shape), channels
    if kernel.ndim == 3:
        return kernel[None], groups
    if kernel.ndim == 4:
        return kernel, groups
    raise ShapeError(f"kernel has shape {kernel.shape}; expected (kh, kw), (C, kh, kw) or (K, C/groups, kh, kw)")


def _check_channels(x3, weight, groups, kernel_shape):
    channels = x3.shape[0]
    filters, per_group = weight.shape[:2]
    if channels % groups:
        raise ShapeError(f"groups={groups} does not divide the {channels} input channels of input {tuple(x3.shape)}")
    if filters % groups:
        raise ShapeError(f"groups={groups} does not divide the {filters} filters of kernel {kernel_shape}")
    if per_group != channels // groups:
        raise ShapeError(
            f"kernel {kernel_shape} expects {per_group * groups} input channels "
            f"({per_group} per group x {count_noun(groups, 'group')}), but input has {channels}"
        )


def _bias_vector(bias, filters: int) -> np.ndarray | None:
    if bias is None:
        return None
    vector = numeric.as_numeric_array(bias, "bias").reshape(-1)
    if vector.size != filters:
        raise ShapeError(f"bias has {count_noun(vector.size, 'value')} but there are {count_noun(filters, 'output channel')} "
                         f"(filters)")
    return vector


FLOAT32_MAX = float(np.finfo(np.float32).max)


def make_plan(
    operation: str,
    x,
    kernel,
    *,
    padding="valid",
    boundary="fill",
    fill_value=0,
    stride=1,
    dilation=1,
    groups=1,
    bias=None,
    shape_only: bool = False,
) -> Plan:
    """Validate everything and return the plan; raises ConvcliError subclasses.
    `shape_only` is for a plan that is only asked its output shape: arrays too
    big for this machine are not refused, and the weight stays the view it
    was given (`output_shape` passes views of one zero, which a contiguous
    copy would write out in full)."""
    x = numeric.as_numeric_array(x, "input")
    kernel = numeric.as_numeric_array(kernel, "kernel")
    padding_spec = parse_padding(padding)
    boundary_name, boundary = boundary_word(boundary), parse_boundary(boundary)
    stride = parse_pair(stride, "stride")
    dilation = parse_pair(dilation, "dilation")
    groups = parse_groups(groups)
    if x.size == 0 or kernel.size == 0:
        raise ShapeError(f"input {x.shape} and kernel {kernel.shape} must both be non-empty")

    x3 = _normalise_input(x)
    weight, groups = _normalise_weight(kernel, x3.shape[0], groups, x.ndim == 2)
    _check_channels(x3, weight, groups, kernel.shape)
    bias_vector = _bias_vector(bias, weight.shape[0])
    if operation == "conv2d":
        weight = weight[..., ::-1, ::-1]

    k_hw = weight.shape[2:]
    pads = resolve_pads(padding_spec, operation, k_hw, dilation)
    padded_hw = (x3.shape[1] + pads[0] + pads[1], x3.shape[2] + pads[2] + pads[3])
    reach = (effective_size(k_hw[0], dilation[0]), effective_size(k_hw[1], dilation[1]))
    if padded_hw[0] < reach[0] or padded_hw[1] < reach[1]:
        dilated = f" (dilated to {reach})" if dilation != (1, 1) else ""
        raise ShapeError(
            f"kernel {tuple(kernel.shape)}{dilated} is larger than input {tuple(x.shape)} "
            f"with padding {_describe_padding(padding_spec)} (padded size {padded_hw})"
        )

    if not shape_only:
        _check_memory(x3.shape[0], padded_hw, weight.shape[0], spatial_output(x3.shape[1:], k_hw, pads, stride, dilation))

    fill = numeric.as_numeric_array(fill_value, "fill value").reshape(-1)
    if fill.size != 1:  # data, as a bias of the wrong length is
        raise InputError(f"fill value must be one number, got {count_noun(fill.size, 'value')}")
    if boundary_name == "zeros" and fill[0] != 0:  # torch's word: its padding is always zeros
        raise UsageError("boundary 'zeros' pads with 0, so a fill value other than 0 contradicts it; "
                         "use boundary 'fill' (or 'constant') with that fill value")
    operands = [x3, weight] + ([bias_vector] if bias_vector is not None else [])
    fill_used = boundary == "fill" and any(pads)
    # a Python float fill is a "weak" scalar, as in numpy (NEP 50) and torch's
    # F.pad: it does not make float32 work float64 (unless float32 cannot hold it)
    weak_fill = type(fill_value) is float and (math.isinf(fill_value) or not abs(fill_value) > FLOAT32_MAX) \
        and numeric.result_dtype(operands) is np.float32
    if fill_used and not weak_fill:
        operands.append(fill)
    dtype = numeric.result_dtype(operands)
    if dtype is np.int64:
        terms = weight.shape[1] * k_hw[0] * k_hw[1]
        extra = numeric._max_abs(bias_vector) if bias_vector is not None else 0
        x_range = np.concatenate([x3.reshape(-1), fill]) if fill_used else x3
        if not numeric.int64_is_safe(x_range, weight, terms, extra):
            dtype = object

    return Plan(
        operation=operation,
        x=numeric.to_dtype(x3, dtype),
        weight=numeric.to_dtype(weight if shape_only else np.ascontiguousarray(weight), dtype),
        kernel_as_given=kernel,
        pads=pads,
        boundary=boundary,
        fill_value=numeric.to_dtype(fill, dtype)[0] if fill_used else (0 if dtype is object else dtype(0)),
        stride=stride,
        dilation=dilation,
        groups=groups,
        bias=None if bias_vector is None else numeric.to_dtype(bias_vector, dtype),
        dtype=dtype,
        output_2d=x.ndim == 2 and kernel.ndim == 2,
        padding_spec=padding_spec,
    )


@functools.lru_cache(maxsize=1)
def physical_memory() -> int | None:
    """Bytes of RAM on this machine, or None where it cannot be read."""
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _check_memory(channels, padded_hw, filters, out_hw) -> None:
    """Refuse, before allocating, a problem whose arrays cannot fit in memory."""
    cells = channels * padded_hw[0] * padded_hw[1] + filters * out_hw[0] * out_hw[1]
    needed = cells * 8 * 2  # float64 or int64, and one working copy
    limit = physical_memory()
    if limit is not None and needed > limit // 2:
        gib = needed // 2**30
        # a float would overflow for padding like 10**160
        about = f"{needed / 2**30:.1f}" if gib < 10**12 else f"10**{len(str(gib)) - 1}"
        raise ShapeError(
            f"the padded input {padded_hw} and output {tuple(out_hw)} would need about {about} GiB, "
            f"more than half of this machine's {limit / 2**30:.1f} GiB; check the padding and sizes"
        )


def _describe_padding(padding_spec) -> str:
    if isinstance(padding_spec, str):
        return repr(padding_spec)
    return "(top, bottom, left, right)=" + repr(tuple(padding_spec))
