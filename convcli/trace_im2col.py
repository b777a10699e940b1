"""The im2col-matmul trace: X_col, W_row and their product around the traced positions.

Built on a correlation trace (`convcli.trace`): each shown column of
``W_row @ X_col`` is the depth sum that trace works out for the same output
position, so the matrix view and the cell-by-cell view agree by construction.
Only the shown window of X_col is built, however large the input.
"""

from __future__ import annotations

from dataclasses import dataclass

from .trace import MAX_FILTERS, ConvTrace, cell_step, trace_conv
from .trace_grids import MATRIX_CAP, OUTPUT_CAP, Grid, GridCell, axis_window, exact_scalar, output_grid_from

COLUMN_CAP = 10  # columns of X_col


@dataclass(frozen=True, eq=False)
class Im2colTrace:
    """im2col's matrices around the traced positions, and the correlation trace
    whose sums are its column-times-row dot products."""

    conv: ConvTrace
    x_col_shape: tuple[int, int]  # (C*kh*kw, H'*W')
    itemsize: int  # bytes per X_col entry (8 for exact Python numbers: a pointer each)
    x_col: Grid
    w_row: Grid
    product: Grid  # W_row @ X_col at the shown columns, before the bias
    reshaped: Grid  # filter 0's row of the product reshaped to the output, plus its bias

    @property
    def x_col_bytes(self) -> int:
        return self.x_col_shape[0] * self.x_col_shape[1] * self.itemsize


def _tap_label(channel: int, i: int, j: int, channels: int) -> str:
    return f"({i},{j})" if channels == 1 else f"c{channel} ({i},{j})"


def trace_im2col(x, kernel, *, padding="valid", boundary="fill", fill_value=0, stride=1, dilation=1, groups=1,
                 bias=None, at=None, steps=None) -> Im2colTrace:
    """X_col, W_row and the worked dot products of im2col-matmul.

    Only the shown window of X_col is built, so the trace of a large input
    stays small; ``x_col_bytes`` is what the whole X_col would take.

    Examples
    --------
    >>> t = trace_im2col([[1, 2, 3], [4, 5, 6]], [[1, 1]])
    >>> t.x_col_shape, [[c.value for c in row] for row in t.x_col.cells]
    ((2, 4), [[1, 2, 4, 5], [2, 3, 5, 6]])
    """
    conv = trace_conv("im2col_matmul", x, kernel, padding=padding, boundary=boundary, fill_value=fill_value,
                      stride=stride, dilation=dilation, groups=groups, bias=bias, at=at, steps=steps)
    weight = conv.kernel_as_applied
    filters, per_group, kh, kw = weight.shape
    channels = conv.channel_count
    out_h, out_w = conv.output_hw
    rows, columns = channels * kh * kw, out_h * out_w
    first_column, last_column = (step.position[0] * out_w + step.position[1] for step in (conv.steps[0], conv.steps[-1]))
    shown_rows = axis_window(rows, 0, rows - 1, MATRIX_CAP, margin=0)
    shown_columns = axis_window(columns, first_column, min(last_column, first_column + COLUMN_CAP - 1), COLUMN_CAP)
    column_labels = tuple(None if j is None else divmod(j, out_w) for j in shown_columns)

    def tap(q):
        channel, rest = divmod(q, kh * kw)
        return (channel,) + divmod(rest, kw)

    def x_col_value(q, j):
        channel, i, jj = tap(q)
        r, c = divmod(j, out_w)
        value, source = conv.cell(channel, r * conv.stride[0] - conv.pads[0] + i * conv.dilation[0],
                                  c * conv.stride[1] - conv.pads[2] + jj * conv.dilation[1])
        return GridCell(value, "padding" if source else "input", False, source)

    x_col_cells = tuple(
        tuple(GridCell(None, "ellipsis") if q is None or j is None else x_col_value(q, j) for j in shown_columns)
        for q in shown_rows
    )
    x_col = Grid("X_col", tuple(None if q is None else _tap_label(*tap(q), channels) for q in shown_rows),
                 column_labels, x_col_cells)

    w_columns = axis_window(per_group * kh * kw, 0, per_group * kh * kw - 1, MATRIX_CAP, margin=0)
    flat = weight.reshape(filters, -1)
    shown_filters = axis_window(filters, 0, filters - 1, MATRIX_CAP, margin=0)
    w_row = Grid(
        "W_row",
        tuple(None if k is None else f"filter {k}" for k in shown_filters),
        tuple(None if q is None else _tap_label(*tap(q), per_group) for q in w_columns),
        tuple(tuple(GridCell(None, "ellipsis") if k is None or q is None else GridCell(exact_scalar(flat[k, q]), "input")
                    for q in w_columns) for k in shown_filters),
    )

    parts = dict(weight=weight, pads=conv.pads, stride=conv.stride, dilation=conv.dilation,
                 cell=conv.cell, channels=conv.input_channels, bias=None, last_tap_first=False)
    product_filters = tuple(k for k in shown_filters if k is None or k < MAX_FILTERS)
    known = {}
    for k in product_filters:
        for j in shown_columns:
            if k is not None and j is not None:
                known[(k, j)] = cell_step(parts, k, divmod(j, out_w)).depth_sum
    product = Grid(
        "W_row @ X_col" if conv.groups == 1 else "per-group products",
        tuple(None if k is None else f"filter {k}" for k in product_filters),
        column_labels,
        tuple(tuple(GridCell(None, "ellipsis") if k is None or j is None else GridCell(known[(k, j)], "output")
                    for j in shown_columns) for k in product_filters),
    )
    # filter 0's row reshaped to the output, with its bias added: the result's values
    bias = 0 if conv.bias is None else exact_scalar(conv.bias[0])
    reshaped = output_grid_from(
        ("reshaped" if conv.bias is None else "reshaped, plus the bias") + (", filter 0" if filters > 1 else ""),
        conv.output_hw, conv.steps[0].position,
        {divmod(j, out_w): v + bias for (k, j), v in known.items() if k == 0}, cap=OUTPUT_CAP, mark=False,
    )
    itemsize = 8 if conv.input.dtype == object else conv.input.dtype.itemsize
    return Im2colTrace(conv, (rows, columns), itemsize, x_col, w_row, product, reshaped)
