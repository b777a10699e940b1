"""Rich renderables for matrices. Functions here return renderables; only
the CLI prints them."""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .outputs import format_number


def matrix_table(matrix: np.ndarray, title: str | None = None, precision: int | None = None,
                 columns: range | None = None) -> Table:
    """A 2-D array (or the given `columns` of it) as a right-aligned grid with row and column indices."""
    columns = range(matrix.shape[1]) if columns is None else columns
    table = Table(title=title, title_justify="left", show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("", style="dim", justify="right", no_wrap=True)
    for col in columns:
        # a single number wider than the whole terminal folds onto more lines, keeping every digit
        table.add_column(str(col), justify="right", overflow="fold")
    for row_index, row in enumerate(matrix):
        table.add_row(str(row_index), *(format_number(row[col], precision) for col in columns))
    return table


def column_chunks(matrix: np.ndarray, width: int, precision: int | None = None) -> list[range]:
    """The columns in runs whose table fits `width` characters (at least one
    column per run), so that no number is ever cut to fit a terminal."""
    index_width = len(str(max(matrix.shape[0] - 1, 0)))
    widths = [max(len(str(col)), *(len(format_number(v, precision)) for v in matrix[:, col]))
              for col in range(matrix.shape[1])]
    chunks, start, used = [], 0, index_width
    for col, cell_width in enumerate(widths):
        # each column adds its cells and one space of padding either side of the gap before it
        if col > start and used + 2 + cell_width > width:
            chunks.append(range(start, col))
            start, used = col, index_width
        used += 2 + cell_width
    chunks.append(range(start, matrix.shape[1]))
    return chunks


def array_renderable(array: np.ndarray, title: str | None = None, precision: int | None = None,
                     width: int | None = None):
    """A 2-D array as one table; a 3-D array as one table per channel. With a
    `width`, a matrix too wide for it is split into runs of columns, as numpy
    wraps a wide array, instead of Rich shortening numbers to "10…"."""
    parts = [Text(title, style="bold")] if title else []
    matrices = [(None, array)] if array.ndim == 2 else [(f"channel {c}", m) for c, m in enumerate(array)]
    for label, matrix in matrices:
        if label:
            parts.append(Text(label, style="italic"))
        chunks = [range(matrix.shape[1])] if width is None else column_chunks(matrix, width, precision)
        for chunk in chunks:
            if len(chunks) > 1:
                span = f"column {chunk.start}" if len(chunk) == 1 else f"columns {chunk.start}-{chunk.stop - 1}"
                parts.append(Text(span, style="dim"))
            parts.append(matrix_table(matrix, None, precision, chunk))
    return Group(*parts)
