"""The short lane: small 2-D problems with default options, without the general set-up.

On a small input the work takes microseconds and the general path's set-up
(the plan, bands, groups, tiles, progress) takes as long or longer: a 64x64
input with a 63x63 kernel has four outputs, scipy's direct loop takes ~27
us, and the general path ~80 us. This lane takes plain 2-D ndarrays of one
dtype with only `padding` given, makes auto's choice (the same size rule,
`methods.small_problem_method`, and the same cost model), and computes
that choice the short way when it is one of:

- direct (the smallest problems with kernels up to 3x3, in scipy's order,
  and what the model sends there): fast_direct.correlate itself, or in one
  band its taps without its banding;
- gemm: gemm.correlate itself, or in one band (every other tiny problem)
  the same without its banding: one copy of the windows and one product;
- the FFT: fftconv.correlate itself, or in one tile the transforms it
  would make, without its tiling (the same operations, so the same values).

It returns None where the general path must decide: floats with NaN,
infinity or values near the float limit or the subnormal range (for gemm
and the FFT; direct takes them as it is), and integers whose sums it cannot
prove exact. The caller then takes the general path. Both give scipy's
values (tests/test_small.py checks them): direct and the FFT bit for bit
alike, as they make the same operations; gemm's one product and the
general path's bands differ in BLAS's blocking, so float results can differ
in the last bits (a QA pass: up to 3.6e-15 on conv2d in float64).
"""

from __future__ import annotations

import math

import numpy as np

from . import fast_direct, fftconv, gemm, methods, numeric
from .plan import resolve_pads

LANE_DTYPES = (np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.int64))
# Padded inputs up to this many points; on larger ones the general set-up is a
# few per cent of the work.
LANE_POINTS = 512 * 512
ONE = (1, 1)  # stride and dilation


def correlate(operation: str, x, kernel, padding) -> np.ndarray | None:
    """The result of `operation` ('correlate2d' or 'conv2d') on 2-D `x` and
    `kernel` with this padding word and every other option at its default,
    or None if the problem is not one this lane serves."""
    if type(x) is not np.ndarray or type(kernel) is not np.ndarray or x.ndim != 2 or kernel.ndim != 2 \
            or x.dtype != kernel.dtype or x.dtype not in LANE_DTYPES or x.size == 0 or kernel.size == 0 \
            or not isinstance(padding, str) or padding not in ("valid", "same", "full"):
        return None
    kh, kw = kernel.shape
    top, bottom, left, right = resolve_pads(padding, operation, (kh, kw), ONE)
    height, width = x.shape[0] + top + bottom, x.shape[1] + left + right
    out_h, out_w = height - kh + 1, width - kw + 1
    if out_h < 1 or out_w < 1:
        return None
    method = methods.small_problem_method(out_h * out_w * kh * kw, (1, 1, kh, kw), 1)
    if method is None and height * width > LANE_POINTS:
        return None
    if padding == "valid":
        padded = np.ascontiguousarray(x)
    else:  # fill 0, as the general path pads by default
        padded = np.zeros((height, width), dtype=x.dtype)
        padded[top : top + x.shape[0], left : left + x.shape[1]] = x
    weight = kernel[::-1, ::-1] if operation == "conv2d" else kernel
    if method is None:  # the cost model decides, as auto's does
        seconds = methods.problem_seconds(padded[None], weight[None, None], ONE, ONE, 1)
        method = min(seconds, key=seconds.get)
    if method == "fft":
        out = _fft(padded, weight, (out_h, out_w))
    elif method == "gemm":
        out = _gemm(padded, weight, (out_h, out_w))
    else:  # scipy's convolve2d adds the flipped kernel's taps last to first
        out = _direct(padded, weight, (out_h, out_w), reverse_taps=operation == "conv2d")
    return out if out is None or out.dtype == x.dtype else out.astype(x.dtype)


def _direct(padded: np.ndarray, weight: np.ndarray, out_hw, *, reverse_taps: bool) -> np.ndarray | None:
    """fast_direct.correlate, and when its bands would be one, its taps
    without the banding. None for integers the plan would make exact
    Python numbers (int64 could overflow)."""
    if padded.dtype.kind != "f" and not numeric.int64_is_safe(padded, weight, weight.size):
        return None
    if out_hw[0] * out_hw[1] * padded.itemsize <= fast_direct.BAND_BYTES:
        return fast_direct.correlate_one_band(padded, weight, reverse_taps=reverse_taps)
    return fast_direct.correlate(padded[None], weight[None, None], ONE, ONE, 1, reverse_taps=reverse_taps)[0]


def _gemm(padded: np.ndarray, weight: np.ndarray, out_hw) -> np.ndarray | None:
    """gemm.correlate, and when its bands would be one, the same without its
    banding: one copy of the windows and one product."""
    (out_h, out_w), (kh, kw) = out_hw, weight.shape
    if out_h * out_w * kh * kw * padded.itemsize > gemm.BAND_BYTES:  # several bands: the general path's checks
        if padded.dtype.kind == "f":
            if fftconv.float_hazard(padded[None], weight[None, None], ONE, 1, fft=False) is not None:
                return None
        elif not numeric.int64_is_safe(padded, weight, weight.size):  # (gemm.correlate keeps the rest exact)
            return None
        return gemm.correlate(padded[None], weight[None, None], ONE, ONE, 1)[0]
    operands = _operands(padded, weight)
    if operands is None:
        return None
    source, w_row = operands
    rows, cols = source.strides
    transposed = out_w < kw  # as gemm.correlate: copy along the longer runs
    shape, strides = ((out_h, out_w, kh, kw), (rows, cols, rows, cols)) if transposed else \
        ((kh, kw, out_h, out_w), (rows, cols, rows, cols))
    windows = np.ndarray(shape, source.dtype, source, 0, strides).reshape(shape[0] * shape[1], -1)  # one copy
    # no errstate needed: _operands has ruled out NaN, infinity and overflow
    return (windows @ w_row.T).reshape(out_h, out_w) if transposed else (w_row @ windows).reshape(out_h, out_w)


def _fft(padded: np.ndarray, weight: np.ndarray, out_hw) -> np.ndarray | None:
    """fftconv.correlate, and when its tiles would be one, the same transforms
    of the whole input and the kernel without its tiling: one product, and
    the inverse of the rows and columns kept. None where the general path
    must decide: a float hazard, or integers the error bound does not prove
    exact."""
    volume, kernel4 = padded[None], weight[None, None]
    integer = padded.dtype.kind == "i"
    if integer:
        if not fftconv.fft_is_exact(volume, kernel4, ONE, 1):
            return None
    elif fftconv.float_hazard(volume, kernel4, ONE, 1) is not None:
        return None
    tile = fftconv.exact_tile(volume, kernel4, ONE, 1)
    if tile[0] < padded.shape[0] or tile[1] < padded.shape[1]:  # several tiles
        try:
            return fftconv.correlate(volume, kernel4, ONE, ONE, 1)[0]
        except fftconv.RoundingCheckFailed:  # never seen: the general path recomputes
            return None
    if integer:
        padded, weight = padded.astype(np.float64), weight.astype(np.float64)
    product = fftconv.spectrum(padded, tile) * np.conj(fftconv.spectrum(weight, tile))
    values = fftconv.inverse(product, tile, slice(out_hw[0]), slice(out_hw[1]))
    if not integer:
        return values
    rounded = np.rint(values)
    if float(np.max(np.abs(values - rounded))) > fftconv.ROUNDING_CHECK:
        return None  # never seen: the general path recomputes
    return rounded


def _operands(padded: np.ndarray, weight: np.ndarray):
    """The contiguous input and the (1, kh*kw) weight row to multiply, or None
    where the general path must decide: floats with NaN, infinity or values
    near the float limit (fftconv.float_hazard), and integers whose sums
    might not be exact in float64."""
    if padded.dtype.kind == "f":
        if fftconv.float_hazard(padded, weight[None, None], (1, 1), 1, fft=False) is not None:
            return None
        return padded, weight.reshape(1, -1)
    source, w_row = padded.astype(np.float64), weight.astype(np.float64).reshape(1, -1)
    # Every partial sum of products, and every product, is at most ||x||_2 * ||w||_2 in size
    # (Cauchy-Schwarz); below 2**53 each is an integer float64 holds exactly (and inside
    # int64). The two dot products cannot overflow (int64 squares are below 2**127), and
    # their rounding is covered by 1 + 1e-6. Coarser than gemm's max|x| * sum|w|, but two
    # BLAS passes where that takes four numpy reductions; larger values go the general way.
    x_flat, w_flat = source.reshape(-1), w_row[0]
    if not math.sqrt(float(x_flat @ x_flat) * float(w_flat @ w_flat)) * (1 + 1e-6) < gemm.FLOAT64_EXACT:
        return None
    return source, w_row
