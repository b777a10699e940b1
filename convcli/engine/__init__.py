"""Pure numpy engine: no typer, no rich."""

from .api import conv1x1, conv2d, correlate2d, im2col_matmul, im2col_matrices, output_shape

__all__ = ["conv1x1", "conv2d", "correlate2d", "im2col_matmul", "im2col_matrices", "output_shape"]
