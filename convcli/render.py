"""Rich renderables for matrices. Functions here return renderables; only
the CLI prints them."""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .outputs import format_number


def matrix_table(matrix: np.ndarray, title: str | None = None, precision: int | None = None) -> Table:
    """A 2-D array as a right-aligned grid with row and column indices."""
    table = Table(title=title, title_justify="left", show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("", style="dim", justify="right")
    for col in range(matrix.shape[1]):
        table.add_column(str(col), justify="right")
    for row_index, row in enumerate(matrix):
        table.add_row(str(row_index), *(format_number(v, precision) for v in row))
    return table


def array_renderable(array: np.ndarray, title: str | None = None, precision: int | None = None):
    """A 2-D array as one table; a 3-D array as one table per channel."""
    parts = [Text(title, style="bold")] if title else []
    if array.ndim == 2:
        parts.append(matrix_table(array, None, precision))
    else:
        for channel, matrix in enumerate(array):
            parts.append(Text(f"channel {channel}", style="italic"))
            parts.append(matrix_table(matrix, None, precision))
    return Group(*parts)
