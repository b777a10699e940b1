"""Fill the padding around an input by one of the boundary rules.

===========  =====================  ===================================
convcli      numpy ``np.pad`` mode  example: ``1 2 3`` padded by 2 left
===========  =====================  ===================================
fill         constant               ``v v | 1 2 3``
wrap         wrap                   ``2 3 | 1 2 3``
symmetric    symmetric (scipy symm) ``2 1 | 1 2 3``
reflect      reflect (torch)        ``3 2 | 1 2 3``
replicate    edge                   ``1 1 | 1 2 3``
===========  =====================  ===================================
"""

from __future__ import annotations

import numpy as np

NUMPY_MODE = {
    "fill": "constant",
    "wrap": "wrap",
    "symmetric": "symmetric",
    "reflect": "reflect",
    "replicate": "edge",
}


def pad_spatial(x: np.ndarray, pads: tuple[int, int, int, int], boundary: str, fill_value=0) -> np.ndarray:
    """Pad the last two axes of `x` by (top, bottom, left, right)."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    mode = NUMPY_MODE[boundary]
    if mode == "constant" and x.dtype == object:
        # np.pad would store a Python int fill as np.int64, whose products wrap
        out = np.empty(x.shape[:-2] + (x.shape[-2] + top + bottom, x.shape[-1] + left + right), dtype=object)
        out[...] = fill_value
        out[..., top : top + x.shape[-2], left : left + x.shape[-1]] = x
        return out
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=fill_value)
    return np.pad(x, widths, mode=mode)


def padding_sources(shape: tuple[int, int], pads: tuple[int, int, int, int], boundary: str):
    """For each cell of the padded (H, W) grid, the (row, col) of the input
    cell its value came from, or (-1, -1) for a cell filled with the fill value.

    Returns two int arrays of the padded shape.
    """
    height, width = shape
    rows = np.broadcast_to(np.arange(height)[:, None], shape)
    cols = np.broadcast_to(np.arange(width)[None, :], shape)
    return (
        pad_spatial(rows, pads, boundary, fill_value=-1),
        pad_spatial(cols, pads, boundary, fill_value=-1),
    )
