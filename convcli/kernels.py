"""Named kernels (``--kernel sobel-x``): exact integers, or exact Fractions when normalised.

Integer kernels are ``int64`` arrays. Averaging and blurring kernels are
normalised the way MATLAB's ``fspecial`` and OpenCV's ``blur`` are (weights
summing to 1), held exactly as ``object`` arrays of :class:`fractions.Fraction`,
so an exact computation can answer ``41/9`` rather than ``4.5555...``; the
caller converts them to float64 when it does not want exact arithmetic.
Every lookup returns a fresh copy, so callers cannot change the table.
"""

from __future__ import annotations

from fractions import Fraction
from types import MappingProxyType

import numpy as np


def _integers(rows: list[list[int]]) -> np.ndarray:
    kernel = np.array(rows, dtype=np.int64)
    kernel.flags.writeable = False
    return kernel


def _normalised(weights: np.ndarray) -> np.ndarray:
    """Weights divided by their sum, as an object array of Fractions."""
    total = int(weights.sum())
    kernel = np.empty(weights.shape, dtype=object)
    kernel[...] = [[Fraction(int(w), total) for w in row] for row in weights]
    kernel.flags.writeable = False
    return kernel


_BINOMIAL3 = np.array([1, 2, 1], dtype=np.int64)
_BINOMIAL5 = np.array([1, 4, 6, 4, 1], dtype=np.int64)
_SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
_SCHARR_X = [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]]

# name -> (one-line description, kernel); the order is the order of `convcli kernels`.
_KERNELS: dict[str, tuple[str, np.ndarray]] = {
    "identity": ("3x3 identity: returns the input unchanged", _integers([[0, 0, 0], [0, 1, 0], [0, 0, 0]])),
    "box3": ("3x3 mean: every weight 1/9", _normalised(np.ones((3, 3), dtype=np.int64))),
    "box5": ("5x5 mean: every weight 1/25", _normalised(np.ones((5, 5), dtype=np.int64))),
    "gaussian3": ("3x3 Gaussian blur: [1 2 1] outer [1 2 1], over 16", _normalised(np.outer(_BINOMIAL3, _BINOMIAL3))),
    "gaussian5": (
        "5x5 Gaussian blur: [1 4 6 4 1] outer [1 4 6 4 1], over 256",
        _normalised(np.outer(_BINOMIAL5, _BINOMIAL5)),
    ),
    "sobel-x": ("Sobel gradient along x: finds vertical edges", _integers(_SOBEL_X)),
    "sobel-y": ("Sobel gradient along y: finds horizontal edges", _integers([list(c) for c in zip(*_SOBEL_X)])),
    "scharr-x": ("Scharr gradient along x: a more rotation-even Sobel", _integers(_SCHARR_X)),
    "scharr-y": ("Scharr gradient along y: a more rotation-even Sobel", _integers([list(c) for c in zip(*_SCHARR_X)])),
    "laplacian": ("4-neighbour Laplacian: second derivative, zero on flat areas", _integers([[0, 1, 0], [1, -4, 1], [0, 1, 0]])),
    "sharpen": ("sharpen: the input minus its 4-neighbour Laplacian", _integers([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])),
    "emboss": ("emboss: a relief effect along the top-left to bottom-right diagonal", _integers([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])),
    "edge": ("8-neighbour edge detector (outline): zero on flat areas", _integers([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])),
}

KERNEL_DESCRIPTIONS = MappingProxyType({name: description for name, (description, _) in _KERNELS.items()})
"""Read-only map of kernel name -> one-line description, in listing order."""


def kernel_names() -> tuple[str, ...]:
    """The names of the named kernels, in listing order.

    >>> kernel_names()[:3]
    ('identity', 'box3', 'box5')
    """
    return tuple(_KERNELS)


def named_kernel(name: str) -> np.ndarray | None:
    """A fresh copy of the kernel called `name`, or None if there is no such kernel.

    Case and ``_`` versus ``-`` do not matter: ``Sobel_X`` is ``sobel-x``.

    >>> named_kernel("sobel-x")
    array([[-1,  0,  1],
           [-2,  0,  2],
           [-1,  0,  1]])
    >>> named_kernel("box3")[0, 0]
    Fraction(1, 9)
    >>> named_kernel("blur") is None
    True
    """
    entry = _KERNELS.get(name.strip().lower().replace("_", "-"))
    return None if entry is None else entry[1].copy()
