"""The direct method: a sum, over kernel offsets, of shifted input views.

For each kernel offset (i, j) the strided view of the padded input that the
offset touches is multiplied by that weight and added into the output. With
several channels the per-offset step is a small matrix product over depth.
Works for every dtype numpy can multiply, including exact Python numbers.
"""

from __future__ import annotations

import numpy as np

from .parallel import Progress


def output_hw(padded_hw, k_hw, stride, dilation) -> tuple[int, int]:
    """(H', W') of a valid correlation over an already padded (Hp, Wp) input."""
    return tuple((padded_hw[a] - dilation[a] * (k_hw[a] - 1) - 1) // stride[a] + 1 for a in range(2))


def window_view(padded: np.ndarray, i: int, j: int, out_hw, stride, dilation) -> np.ndarray:
    """The (C, H', W') view of `padded` that kernel offset (i, j) multiplies."""
    row0, col0 = i * dilation[0], j * dilation[1]
    rows = slice(row0, row0 + stride[0] * (out_hw[0] - 1) + 1, stride[0])
    cols = slice(col0, col0 + stride[1] * (out_hw[1] - 1) + 1, stride[1])
    return padded[:, rows, cols]


def correlate_padded(padded: np.ndarray, weight: np.ndarray, stride, dilation, groups: int) -> np.ndarray:
    """Valid cross-correlation of padded (C, Hp, Wp) with weight (K, C/g, kh, kw)."""
    channels, height, width = padded.shape
    filters, per_group, kh, kw = weight.shape
    out_hw = output_hw((height, width), (kh, kw), stride, dilation)
    out = np.zeros((filters,) + out_hw, dtype=padded.dtype)
    filters_per_group = filters // groups
    progress = Progress(groups * kh * kw)  # exact Python numbers can take minutes
    for g in range(groups):
        in_slice = slice(g * per_group, (g + 1) * per_group)
        out_slice = slice(g * filters_per_group, (g + 1) * filters_per_group)
        target = out[out_slice]
        for i in range(kh):
            for j in range(kw):
                view = window_view(padded[in_slice], i, j, out_hw, stride, dilation)
                taps = weight[out_slice, :, i, j]
                if per_group == 1 and filters_per_group == 1:
                    target += taps[0, 0] * view[0]
                else:
                    target += np.tensordot(taps, view, axes=(1, 0))
                progress.advance()
    return out
