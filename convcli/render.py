"""Rich renderables for matrices, and the same layout as plain text for
tables too long for Rich to draw quickly. Functions here return renderables
or text; only the CLI prints them."""

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


def column_chunks(index_width: int, widths: list[int], width: int) -> list[range]:
    """The columns (of `column_widths`) in runs whose table fits `width`
    characters (at least one column per run), so that no number is ever cut
    to fit a terminal."""
    chunks, start, used = [], 0, index_width
    for col, cell_width in enumerate(widths):
        # each column adds its cells and one space of padding either side of the gap before it
        if col > start and used + 2 + cell_width > width:
            chunks.append(range(start, col))
            start, used = col, index_width
        used += 2 + cell_width
    chunks.append(range(start, len(widths)))
    return chunks


PLAIN_LINES = 2000  # tables longer than this are written as plain text: Rich takes ~0.2 ms a cell


def array_parts(array: np.ndarray, title: str | None = None, precision: int | None = None,
                width: int | None = None) -> tuple[list[tuple], int]:
    """The layout of a matrix display, and the narrowest console width that
    shows every number whole. Parts are ``(style, text)`` for the title,
    channel labels and column spans, and ``("table", cells, columns,
    index_width, widths)`` for each table (the widths of `column_widths`).
    A 2-D array is one table; a 3-D array one per channel. With a
    `width`, a matrix too wide for it is split into runs of columns, as numpy
    wraps a wide array, instead of Rich shortening numbers to "10…"; a column
    wider than `width` on its own needs the console widened to the width
    returned (the terminal then wraps the line, but the number stays one word)."""
    parts: list[tuple] = [("bold", title)] if title else []
    needed = 0
    matrices = [(None, array)] if array.ndim == 2 else [(f"channel {c}", m) for c, m in enumerate(array)]
    for label, matrix in matrices:
        if label:
            parts.append(("italic", label))
        cells = [[format_number(v, precision) for v in row] for row in matrix]  # formatted once, measured and shown
        index_width, widths = column_widths(cells)
        needed = max(needed, index_width + 2 + max(widths))
        chunks = [range(matrix.shape[1])] if width is None else column_chunks(index_width, widths, width)
        for chunk in chunks:
            if len(chunks) > 1:
                parts.append(("dim", f"column {chunk.start}" if len(chunk) == 1
                              else f"columns {chunk.start}-{chunk.stop - 1}"))
            parts.append(("table", cells, chunk, index_width, widths))
    return parts, needed


def parts_renderable(parts: list[tuple]) -> Group:
    """`array_parts` as Rich renderables."""
    return Group(*(matrix_table(*part[1:3]) if part[0] == "table" else Text(part[1], style=part[0]) for part in parts))


def line_count(parts: list[tuple]) -> int:
    """How many lines `plain_lines` would give: a table is its header and rows."""
    return sum(1 + len(part[1]) if part[0] == "table" else 1 for part in parts)


def plain_lines(parts: list[tuple]) -> list[str]:
    """`array_parts` as lines of plain text, laid out as Rich lays out
    `matrix_table` (right-aligned, two spaces between columns), without styles."""
    lines = []
    for part in parts:
        if part[0] != "table":
            lines.append(part[1])
            continue
        cells, columns, index_width, widths = part[1:]
        shown = [(col, widths[col]) for col in columns]
        lines.append(" " * index_width + "".join("  " + str(col).rjust(w) for col, w in shown))
        lines += [str(index).rjust(index_width) + "".join("  " + row[col].rjust(w) for col, w in shown)
                  for index, row in enumerate(cells)]
    return lines
