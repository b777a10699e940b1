"""im2col's matrices: every receptive field laid out as a column.

X_col has one row per (channel, kernel row, kernel col) and one column per
output position, in row-major order of the output; W_row has one row per
filter. ``W_row @ X_col`` reshaped to (K, H', W') is the correlation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .direct import output_hw, window_view


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


def build_x_col(padded: np.ndarray, k_hw, stride, dilation) -> np.ndarray:
    """X_col in full, for traces and ``im2col_matrices``; the computation
    itself builds it a band at a time (gemm.py)."""
    channels = padded.shape[0]
    kh, kw = k_hw
    out_hw = output_hw(padded.shape[1:], k_hw, stride, dilation)
    x_col = np.empty((channels, kh, kw) + out_hw, dtype=padded.dtype)
    for i in range(kh):
        for j in range(kw):
            x_col[:, i, j] = window_view(padded, i, j, out_hw, stride, dilation)
    return x_col.reshape(channels * kh * kw, out_hw[0] * out_hw[1])


def matrices(padded: np.ndarray, weight: np.ndarray, stride, dilation, groups: int) -> Im2colMatrices:
    """Build X_col and W_row in full (for traces and small problems)."""
    k_hw = weight.shape[2:]
    return Im2colMatrices(
        x_col=build_x_col(padded, k_hw, stride, dilation),
        w_row=weight.reshape(weight.shape[0], -1).copy(),  # never a view of the caller's kernel
        output_hw=output_hw(padded.shape[1:], k_hw, stride, dilation),
        groups=groups,
    )
