"""The direct method, tiled for the cache: the fast path for small kernels.

The reference `direct.correlate_padded` adds one shifted view of the whole
input per kernel tap, so every tap streams the whole output through memory.
Here the output is cut into bands of rows small enough to stay in the CPU
cache, and all taps are applied to one band before moving on, writing into
preallocated buffers with ``out=``. Bands are shared among threads (numpy
releases the GIL inside its loops).

Taps are added in the order scipy.signal adds them: correlate2d goes through
the kernel row by row, convolve2d through the flipped kernel from its last
tap to its first (``reverse_taps``). So 2-D float results equal scipy's bit
for bit for kernels up to 3 columns wide (measured); for wider kernels
scipy's compiled loop groups the sums differently and the two differ by
rounding. Taps equal to 1 or -1 are an add or a subtract, with no multiply; taps
equal to 0 are skipped when that cannot change the result (integers, or
floats with no inf or nan in the input). Works for int64, float32 and
float64; exact Python numbers (dtype object) go to the reference path.
"""

from __future__ import annotations

import threading

import numpy as np

from .direct import output_hw
from .parallel import Progress, run_parallel, thread_count

BAND_BYTES = 1024 * 1024  # output bytes per band: big enough that the ~2 us per numpy call is small against the work
MIN_THREADED_WORK = 1 << 21  # multiply-adds below which threads cost more than they save


def tap_list(weight_k: np.ndarray, skip_zeros: bool) -> list[tuple[int, int, int, object, int]]:
    """(channel, i, j, value, sign) for one filter's taps, in scipy's order.

    sign is 1 or -1 for a tap of exactly 1 or -1 (an add or a subtract) and
    0 for any other value (a multiply, then an add).
    """
    taps = []
    channels, kh, kw = weight_k.shape
    values = weight_k.tolist()  # Python numbers: the same products (numpy casts them to the array's type), faster tests
    for channel in range(channels):
        for i in range(kh):
            for j in range(kw):
                value = values[channel][i][j]
                if skip_zeros and value == 0:
                    continue
                sign = 1 if value == 1 else -1 if value == -1 else 0
                taps.append((channel, i, j, value, sign))
    return taps


def zeros_can_be_skipped(padded: np.ndarray) -> bool:
    """0 * x is 0 for every integer, but nan for x = inf or nan."""
    return padded.dtype.kind in "iu" or bool(np.isfinite(padded).all())


def effective_taps(weight: np.ndarray, skip_zeros: bool = True) -> float:
    """Taps per output weighted by their cost: a multiply-add counts 1,
    an add or subtract (tap +-1) 0.6, a skipped zero 0."""
    counted = np.count_nonzero(weight) if skip_zeros else weight.size
    unit = np.count_nonzero(np.abs(weight) == 1)
    return (counted - unit + 0.6 * unit) / weight.shape[0]


def _apply_taps(out_band, tmp, source, taps, rows, cols, stride, dilation) -> None:
    """out_band = sum over taps of value * (the window of `source` for the tap)."""
    row0, row_count = rows
    col0, col_count = cols
    row_step, col_step = stride
    first = True
    for channel, i, j, value, sign in taps:
        top = row0 * row_step + i * dilation[0]
        left = col0 * col_step + j * dilation[1]
        view = source[channel, top : top + row_step * (row_count - 1) + 1 : row_step,
                      left : left + col_step * (col_count - 1) + 1 : col_step]
        if first:
            if sign == 1:
                np.copyto(out_band, view)
            elif sign == -1:
                np.negative(view, out=out_band)
            else:
                np.multiply(view, value, out=out_band)
            first = False
        elif sign == 1:
            np.add(out_band, view, out=out_band)
        elif sign == -1:
            np.subtract(out_band, view, out=out_band)
        else:
            np.multiply(view, value, out=tmp)
            np.add(out_band, tmp, out=out_band)
    if first:
        out_band.fill(0)
    elif out_band.dtype.kind == "f":
        # scipy starts each sum at +0.0, so where every product is -0.0 it gives +0.0 and
        # this loop -0.0; adding +0.0 mends that and leaves every other value as it is
        np.add(out_band, 0.0, out=out_band)


def correlate_one_band(padded: np.ndarray, weight: np.ndarray, *, reverse_taps: bool = False) -> np.ndarray:
    """`correlate` of a 2-D padded input and a 2-D kernel at stride and
    dilation 1, as one band on this thread: the same taps in the same order,
    so the same values, without the set-up of bands, threads and progress
    (~70 us, ten times scipy's whole call on a 5x5 input). For outputs that
    `correlate` would compute in one band anyway (see `band_shape`)."""
    kh, kw = weight.shape
    out = np.empty((padded.shape[0] - kh + 1, padded.shape[1] - kw + 1), dtype=padded.dtype)
    taps = tap_list(weight[None], bool((weight == 0).any()) and zeros_can_be_skipped(padded))
    if reverse_taps:
        taps.reverse()
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 gives nan, as in scipy
        _apply_taps(out, np.empty_like(out), padded[None], taps, (0, out.shape[0]), (0, out.shape[1]), (1, 1), (1, 1))
    return out


def band_shape(out_w: int, itemsize: int, band_bytes: int = BAND_BYTES) -> tuple[int, int]:
    """(rows, cols) of one band: whole rows unless one row is larger than a band."""
    cols = min(out_w, max(1024, band_bytes // itemsize))
    rows = max(1, band_bytes // (cols * itemsize))
    return rows, cols


def correlate(padded: np.ndarray, weight: np.ndarray, stride, dilation, groups: int, *,
              threads: int | None = None, band_bytes: int = BAND_BYTES, reverse_taps: bool = False) -> np.ndarray:
    """Valid cross-correlation of padded (C, Hp, Wp) with weight (K, C/g, kh, kw).

    Same contract and result as `direct.correlate_padded`, for int64,
    float32 and float64 arrays. `reverse_taps` adds the taps last to first,
    as scipy.signal.convolve2d does with its flipped kernel. `threads`, when
    given, is used as is; by default small work runs on one thread.
    """
    filters, per_group, kh, kw = weight.shape
    out_h, out_w = output_hw(padded.shape[1:], (kh, kw), stride, dilation)
    out = np.empty((filters, out_h, out_w), dtype=padded.dtype)
    skip_zeros = bool((weight == 0).any()) and zeros_can_be_skipped(padded)
    filters_per_group = filters // groups
    tap_lists = []
    for k in range(filters):
        group = k // filters_per_group
        taps = tap_list(weight[k], skip_zeros)
        if reverse_taps:
            taps.reverse()
        tap_lists.append([(group * per_group + c, i, j, v, s) for c, i, j, v, s in taps])

    rows, cols = band_shape(out_w, padded.itemsize, band_bytes)
    units = [
        (k, r0, min(out_h, r0 + rows), c0, min(out_w, c0 + cols))
        for r0 in range(0, out_h, rows)
        for c0 in range(0, out_w, cols)
        for k in range(filters)
    ]
    progress = Progress(len(units))
    scratch = threading.local()

    def work(unit) -> None:
        k, r0, r1, c0, c1 = unit
        tmp = getattr(scratch, "tmp", None)
        if tmp is None:
            tmp = scratch.tmp = np.empty(rows * cols, dtype=padded.dtype)
        band = out[k, r0:r1, c0:c1]
        with np.errstate(invalid="ignore", over="ignore"):  # per thread: inf * 0 gives nan, as in scipy
            _apply_taps(band, tmp[: band.size].reshape(band.shape), padded, tap_lists[k],
                        (r0, r1 - r0), (c0, c1 - c0), stride, dilation)
        progress.advance()

    if threads is None:
        work_size = out.size * max(1, sum(len(t) for t in tap_lists) // max(1, filters))
        threads = 1 if work_size < MIN_THREADED_WORK else thread_count()
    run_parallel(work, units, threads)
    return out
