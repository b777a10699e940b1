"""The GEMM method: im2col in bands of output rows, one BLAS product per band.

For a band of output rows, X_col (C/g * kh * kw rows, one column per output
cell) is copied out of the padded input in a single strided copy, and
``W_row @ X_col`` is written by BLAS straight into the output rows (no
temporary). When the output is narrower than the kernel (a big kernel on a
small input) X_col is built transposed, so the copy runs along kernel rows. A band holds at most `band_bytes` of X_col (a few MB, so it is
still in cache when BLAS packs it), which also bounds memory: a 2048x2048
input with a 31x31 kernel would need a 31 GB X_col in one piece.

Integers: int64 products go through float64 BLAS when every partial sum
provably stays below 2**53 (max |x| times the largest sum of |w| over a
filter): each product and each sum is then an integer that float64 holds
exactly, in any order of summation, with or without fused multiply-add.
Otherwise numpy's own exact int64 matmul is used. Exact Python numbers
(dtype object) never come here: `methods` sends them to the reference loop.
"""

from __future__ import annotations

import numpy as np

from .direct import output_hw
from .parallel import Progress

BAND_BYTES = 4 * 2**20
FLOAT64_EXACT = 2**53


def float64_is_exact(padded: np.ndarray, weight: np.ndarray) -> bool:
    """Whether an int64 correlation can run in float64 with every partial sum exact."""
    if padded.dtype.kind not in "iu" or weight.dtype.kind not in "iu" or padded.size == 0:
        return False
    largest_x = max(abs(int(padded.max())), abs(int(padded.min())))
    # the sums of |w| in float64 are within a factor 1 + n * 2**-53 of the exact ones
    # (n terms, n < 2**30 here), so 1 + 1e-6 makes this an upper bound
    largest_l1 = float(np.abs(weight.reshape(weight.shape[0], -1).astype(np.float64)).sum(axis=1).max())
    return largest_x * largest_l1 * (1 + 1e-6) < FLOAT64_EXACT


def compute_dtype(padded: np.ndarray, weight: np.ndarray):
    """The dtype the products are computed in (float64 for provably exact int64)."""
    if padded.dtype.kind in "iu" and float64_is_exact(padded, weight):
        return np.dtype(np.float64)
    return padded.dtype


def band_rows(columns_per_row: int, itemsize: int, band_bytes: int) -> int:
    return max(1, band_bytes // max(1, columns_per_row * itemsize))


def correlate(padded: np.ndarray, weight: np.ndarray, stride, dilation, groups: int, *,
              band_bytes: int = BAND_BYTES) -> np.ndarray:
    """Valid cross-correlation of padded (C, Hp, Wp) with weight (K, C/g, kh, kw)
    as banded im2col products. Same contract as `direct.correlate_padded`."""
    if padded.dtype == object or weight.dtype == object:
        raise TypeError("gemm.correlate works on int64, float32 and float64 arrays; exact Python numbers "
                        "take the reference loop, direct.correlate_padded")
    result_dtype = padded.dtype
    work_dtype = compute_dtype(padded, weight)
    # C-contiguous, so every window view below is a plain ndarray over its
    # buffer (as_strided would cost ~5 us a call, which tiny problems feel)
    source = np.ascontiguousarray(padded, dtype=work_dtype)
    weight = weight.astype(work_dtype, copy=False)
    filters, per_group, kh, kw = weight.shape
    out_h, out_w = output_hw(padded.shape[1:], (kh, kw), stride, dilation)
    out = np.empty((filters, out_h, out_w), dtype=work_dtype)
    filters_per_group = filters // groups
    rows_of_x_col = per_group * kh * kw
    rows = min(out_h, band_rows(rows_of_x_col * out_w, source.itemsize, band_bytes))
    buffer = np.empty(rows_of_x_col * rows * out_w, dtype=work_dtype)
    bands = range(0, out_h, rows)
    progress = Progress(len(bands) * groups)
    s_channel, s_row, s_col = source.strides
    window_strides = (s_channel, dilation[0] * s_row, dilation[1] * s_col, stride[0] * s_row, stride[1] * s_col)
    transposed = out_w < kw
    for g in range(groups):
        first_filter, last_filter = g * filters_per_group, (g + 1) * filters_per_group
        w_row = np.ascontiguousarray(weight[first_filter:last_filter].reshape(filters_per_group, rows_of_x_col))
        for first in bands:
            count = min(rows, out_h - first)
            windows = np.ndarray((per_group, kh, kw, count, out_w), work_dtype, source,
                                 g * per_group * s_channel + first * stride[0] * s_row, window_strides)
            target = out[first_filter:last_filter, first : first + count, :]
            if not transposed:
                # X_col as documented: copied in runs of out_w contiguous cells
                x_col = buffer[: rows_of_x_col * count * out_w].reshape(per_group, kh, kw, count, out_w)
                np.copyto(x_col, windows)
                # a view: the band's rows of each filter are contiguous, so BLAS writes straight into `out`
                np.matmul(w_row, x_col.reshape(rows_of_x_col, count * out_w),
                          out=target.reshape(filters_per_group, count * out_w))
            else:
                # few output columns and long kernel rows: X_col transposed, copied in runs of kw
                x_col_t = buffer[: rows_of_x_col * count * out_w].reshape(count, out_w, per_group, kh, kw)
                np.copyto(x_col_t, windows.transpose(3, 4, 0, 1, 2))
                product = x_col_t.reshape(count * out_w, rows_of_x_col) @ w_row.T
                target[...] = product.T.reshape(filters_per_group, count, out_w)
            progress.advance()
    if work_dtype != result_dtype:
        return out.astype(result_dtype)
    return out
