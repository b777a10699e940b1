"""What to show of a matrix: windows onto large grids, as data. Pure.

A :class:`Grid` is a window onto a matrix: the receptive field and a margin
around it, or a whole small matrix; a ``None`` label marks elided rows or
columns, so a 200x200 input never floods a screen. How to draw a grid is up
to ``trace_text``, ``trace_latex`` and ``render_trace``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .trace import PaddingSource

GRID_CAP = 9  # rows or columns of an input window
OUTPUT_CAP = 7  # rows or columns of the output-so-far window
MATRIX_CAP = 12  # rows or columns of a kernel, X_col or W_row


@dataclass(frozen=True)
class GridCell:
    """One cell of a displayed grid."""

    value: object | None  # None: not computed yet, or an elision
    kind: str  # input, padding, output, pending or ellipsis
    marked: bool = False  # in the receptive field, or the cell this step fills
    source: PaddingSource | None = None  # where a padding cell's value came from


@dataclass(frozen=True)
class Grid:
    """A window onto a matrix; a ``None`` label marks elided rows or columns."""

    title: str
    row_labels: tuple[object, ...]
    col_labels: tuple[object, ...]
    cells: tuple[tuple[GridCell, ...], ...]

    @property
    def has_padding(self) -> bool:
        return any(cell.kind == "padding" for row in self.cells for cell in row)

    @property
    def has_marks(self) -> bool:
        return any(cell.marked for row in self.cells for cell in row)


def exact_scalar(value):
    """Python int for numpy integers (exact and unbounded); other values as they are."""
    return int(value) if isinstance(value, np.integer) else value


def axis_window(length: int, first: int, last: int, cap: int, margin: int = 1) -> tuple[int | None, ...]:
    """Indices along one axis to show so that `first`..`last` are visible in at
    most about `cap` entries; ``None`` marks elided indices."""
    if length <= cap:
        return tuple(range(length))
    low, high = max(0, first - margin), min(length - 1, last + margin)
    if high - low + 1 > cap:
        half = cap // 2
        core = list(range(low, low + half)) + [None] + list(range(high - (cap - half) + 2, high + 1))
    else:
        spare = cap - (high - low + 1)
        low = max(0, low - spare // 2)
        high = min(length - 1, low + cap - 1)
        low = max(0, high - cap + 1)
        core = list(range(low, high + 1))
    return tuple(([None] if core[0] != 0 else []) + core + ([None] if core[-1] != length - 1 else []))


def field_window(length: int, taps, cap: int) -> tuple[int | None, ...]:
    """Indices along one axis that show every tap of a receptive field: the
    field and a margin when they fit in `cap`, else each tap with the gaps
    between them elided (a dilated kernel), else the field's two ends."""
    taps = sorted(set(taps))
    first, last = taps[0], taps[-1]
    for margin in (1, 0):
        if length <= cap or last - first + 1 + 2 * margin <= cap:
            return axis_window(length, first, last, cap, margin)
    if len(taps) > cap:  # more taps than fit in the window
        return axis_window(length, first, last, cap, margin=0)
    shown: list[int | None] = []
    for tap in taps:
        if shown and tap > shown[-1] + 1:
            shown.append(None)
        shown.append(tap)
    return tuple(([None] if first != 0 else []) + shown + ([None] if last != length - 1 else []))


def receptive_field_grid(trace, step, channel: int, cap: int = GRID_CAP) -> Grid:
    """The (padded) input of `channel` around the receptive field of `step`."""
    top, left = trace.pads[0], trace.pads[2]
    rows = field_window(trace.padded_hw[0], [r + top for r in step.rows], cap)
    cols = field_window(trace.padded_hw[1], [c + left for c in step.cols], cap)
    field = {(r, c) for r in step.rows for c in step.cols}
    cells = []
    for padded_row in rows:
        line = []
        for padded_col in cols:
            if padded_row is None or padded_col is None:
                line.append(GridCell(None, "ellipsis"))
                continue
            row, col = padded_row - top, padded_col - left
            value, source = trace.cell(channel, row, col)
            line.append(GridCell(value, "padding" if source else "input", (row, col) in field, source))
        cells.append(tuple(line))
    title = "input" if trace.channel_count == 1 else f"input channel {channel}"
    return Grid(title, tuple(None if r is None else r - top for r in rows),
                tuple(None if c is None else c - left for c in cols), tuple(cells))


def output_grid_from(title: str, output_hw, current, known: dict, cap: int = OUTPUT_CAP, mark: bool = True) -> Grid:
    """The output around `current`, with the `known` {(row, col): value} filled in."""
    rows = axis_window(output_hw[0], current[0], current[0], cap)
    cols = axis_window(output_hw[1], current[1], current[1], cap)
    cells = []
    for row in rows:
        line = []
        for col in cols:
            if row is None or col is None:
                line.append(GridCell(None, "ellipsis"))
            elif (row, col) in known:
                line.append(GridCell(known[(row, col)], "output", mark and (row, col) == tuple(current)))
            else:
                line.append(GridCell(None, "pending"))
        cells.append(tuple(line))
    return Grid(title, rows, cols, tuple(cells))


def output_grid(trace, upto: int, filter_index: int) -> Grid:
    """The output of `filter_index` as filled in after step `upto`; the cell of that step is marked."""
    known = {(r, c): v for (k, r, c), v in trace.filled(upto).items() if k == filter_index}
    word = "output channel" if trace.operation == "conv1x1" else "filter"
    title = "output so far" if trace.filter_count == 1 else f"output so far, {word} {filter_index}"
    return output_grid_from(title, trace.output_hw, trace.steps[upto].position, known)


def matrix_grid(matrix, title: str, cap: int = MATRIX_CAP) -> Grid:
    """A whole 2-D matrix (its corners and edges when it is large)."""
    matrix = np.asarray(matrix)
    rows = axis_window(matrix.shape[0], 0, matrix.shape[0] - 1, cap, margin=0)
    cols = axis_window(matrix.shape[1], 0, matrix.shape[1] - 1, cap, margin=0)
    cells = tuple(
        tuple(GridCell(None, "ellipsis") if r is None or c is None else GridCell(exact_scalar(matrix[r, c]), "input")
              for c in cols)
        for r in rows
    )
    return Grid(title, rows, cols, cells)


def human_bytes(count: int) -> str:
    """``648 B``, ``2.7 KiB``, ``29.2 GiB``."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
