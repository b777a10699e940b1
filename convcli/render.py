"""Rich renderables for matrices. Functions here return renderables; only
the CLI prints them."""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .outputs import format_number


def matrix_table(cells: list[list[str]], columns: range) -> Table:
    """The given `columns` of a matrix's formatted cells as a right-aligned grid with row and column indices."""
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("", style="dim", justify="right", no_wrap=True)
    for col in columns:
        table.add_column(str(col), justify="right", no_wrap=True)
    for row_index, row in enumerate(cells):
        table.add_row(str(row_index), *(row[col] for col in columns))
    return table


def column_widths(cells: list[list[str]]) -> tuple[int, list[int]]:
    """The width of the row-index column and of each column of formatted cells."""
    index_width = len(str(max(len(cells) - 1, 0)))
    return index_width, [max(len(str(col)), *(len(row[col]) for row in cells)) for col in range(len(cells[0]))]


def column_chunks(cells: list[list[str]], width: int) -> list[range]:
    """The columns of formatted cells in runs whose table fits `width`
    characters (at least one column per run), so that no number is ever cut
    to fit a terminal."""
    index_width, widths = column_widths(cells)
    chunks, start, used = [], 0, index_width
    for col, cell_width in enumerate(widths):
        # each column adds its cells and one space of padding either side of the gap before it
        if col > start and used + 2 + cell_width > width:
            chunks.append(range(start, col))
            start, used = col, index_width
        used += 2 + cell_width
    chunks.append(range(start, len(widths)))
    return chunks


def array_renderable(array: np.ndarray, title: str | None = None, precision: int | None = None,
                     width: int | None = None) -> tuple[Group, int]:
    """A 2-D array as one table; a 3-D array as one table per channel, and
    the narrowest console width that shows every number whole. With a
    `width`, a matrix too wide for it is split into runs of columns, as numpy
    wraps a wide array, instead of Rich shortening numbers to "10…"; a column
    wider than `width` on its own needs the console widened to the width
    returned (the terminal then wraps the line, but the number stays one word)."""
    parts = [Text(title, style="bold")] if title else []
    needed = 0
    matrices = [(None, array)] if array.ndim == 2 else [(f"channel {c}", m) for c, m in enumerate(array)]
    for label, matrix in matrices:
        if label:
            parts.append(Text(label, style="italic"))
        cells = [[format_number(v, precision) for v in row] for row in matrix]  # formatted once, measured and shown
        index_width, widths = column_widths(cells)
        needed = max(needed, index_width + 2 + max(widths))
        chunks = [range(matrix.shape[1])] if width is None else column_chunks(cells, width)
        for chunk in chunks:
            if len(chunks) > 1:
                span = f"column {chunk.start}" if len(chunk) == 1 else f"columns {chunk.start}-{chunk.stop - 1}"
                parts.append(Text(span, style="dim"))
            parts.append(matrix_table(cells, chunk))
    return Group(*parts), needed
