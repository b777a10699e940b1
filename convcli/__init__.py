"""convcli: convolution and cross-correlation, computed exactly and explained.

>>> import convcli
>>> convcli.conv2d([[1, 1, 1], [0, 1, 1], [0, 0, 1]], [[1, 0], [0, 1]])
array([[2, 2],
       [0, 2]])
"""

from .engine import conv1x1, conv2d, correlate2d, im2col_matmul, im2col_matrices, output_shape
from .errors import ConvcliError

__version__ = "0.1.0"

__all__ = ["ConvcliError", "conv1x1", "conv2d", "correlate2d", "im2col_matmul", "im2col_matrices", "output_shape", "__version__"]
