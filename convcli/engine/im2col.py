"""im2col: lay every receptive field out as a column, then one matrix product.

X_col has one row per (channel, kernel row, kernel col) and one column per
output position, in row-major order of the output; W_row has one row per
filter. ``W_row @ X_col`` reshaped to (K, H', W') is the correlation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .direct import window_view


@dataclass(frozen=True)
class Im2colMatrices:
    """The intermediate matrices of one im2col product."""

    x_col: np.ndarray  # (C*kh*kw, H'*W')
    w_row: np.ndarray  # (K, C/groups*kh*kw)
    output_hw: tuple[int, int]
    groups: int

    @property
    def x_col_bytes(self) -> int:
        return self.x_col.nbytes


def output_hw(padded_hw, k_hw, stride, dilation) -> tuple[int, int]:
    return tuple((padded_hw[a] - dilation[a] * (k_hw[a] - 1) - 1) // stride[a] + 1 for a in range(2))


def build_x_col(padded: np.ndarray, k_hw, stride, dilation, row_range=None) -> np.ndarray:
    """X_col for output rows in `row_range` (all rows by default)."""
    channels = padded.shape[0]
    kh, kw = k_hw
    out_h, out_w = output_hw(padded.shape[1:], k_hw, stride, dilation)
    first, last = row_range if row_range is not None else (0, out_h)
    rows_here = last - first
    x_col = np.empty((channels, kh, kw, rows_here, out_w), dtype=padded.dtype)
    band = padded[:, first * stride[0] :, :]
    for i in range(kh):
        for j in range(kw):
            x_col[:, i, j] = window_view(band, i, j, (rows_here, out_w), stride, dilation)
    return x_col.reshape(channels * kh * kw, rows_here * out_w)


def matrices(padded: np.ndarray, weight: np.ndarray, stride, dilation, groups: int) -> Im2colMatrices:
    """Build X_col and W_row in full (for traces and small problems)."""
    k_hw = weight.shape[2:]
    return Im2colMatrices(
        x_col=build_x_col(padded, k_hw, stride, dilation),
        w_row=weight.reshape(weight.shape[0], -1),
        output_hw=output_hw(padded.shape[1:], k_hw, stride, dilation),
        groups=groups,
    )


def multiply(x_col: np.ndarray, w_row: np.ndarray, groups: int) -> np.ndarray:
    """W_row @ X_col, block-diagonal over groups: (K, columns)."""
    if groups == 1:
        return w_row @ x_col
    filters = w_row.shape[0]
    rows_per_group = x_col.shape[0] // groups
    filters_per_group = filters // groups
    parts = [
        w_row[g * filters_per_group : (g + 1) * filters_per_group]
        @ x_col[g * rows_per_group : (g + 1) * rows_per_group]
        for g in range(groups)
    ]
    return np.concatenate(parts, axis=0)


def im2col_correlate(padded: np.ndarray, weight: np.ndarray, stride, dilation, groups: int, max_bytes=256 * 2**20):
    """The correlation by im2col, built a band of output rows at a time so that
    X_col never holds more than about `max_bytes`."""
    k_hw = weight.shape[2:]
    out_h, out_w = output_hw(padded.shape[1:], k_hw, stride, dilation)
    w_row = weight.reshape(weight.shape[0], -1)
    column_bytes = max(1, padded.shape[0] * k_hw[0] * k_hw[1] * padded.itemsize * out_w)
    rows_per_band = max(1, min(out_h, max_bytes // column_bytes))
    out = np.empty((weight.shape[0], out_h, out_w), dtype=padded.dtype)
    for first in range(0, out_h, rows_per_band):
        last = min(out_h, first + rows_per_band)
        x_col = build_x_col(padded, k_hw, stride, dilation, (first, last))
        out[:, first:last, :] = multiply(x_col, w_row, groups).reshape(weight.shape[0], last - first, out_w)
    return out
