"""A trace laid out as blocks: what to say, in what order, before any format.

A trace becomes a list of sections (the header, one per traced step, the
footer), each a list of blocks: headings, paragraphs, grids drawn side by
side, legends, and equations written as chains of stages, e.g.
``1*1 + 1*0 = 1 + 0 = 1``. The plain-text and Markdown writers
(``trace_text``), the LaTeX writer (``trace_latex``) and the Rich renderer
(``render_trace``) all draw these same blocks, so every form says the same
thing. Pure: no rich.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import trace as tr
from .engine.gemm import BAND_BYTES, band_rows
from .outputs import format_number
from .trace_grids import exact_scalar
from .trace_im2col import Im2colTrace

MAX_TERMS = 32  # a sum with more terms is shown as its first and last ones (3x3x3 fits)
HEAD_TERMS, TAIL_TERMS = 12, 4
MAX_CHANNEL_GRIDS = 2  # input channels drawn at each step
MAX_CHANNEL_SUMS = 8  # per-channel partial sums written at each step
MAX_OUTPUT_GRIDS = 4
MAX_KERNEL_PAIRS = 4


def number_text(value, precision=None) -> str:
    """A number as text (see ``outputs.format_number``); a float32 keeps its own
    shortest form, 0.1 rather than 0.10000000149011612."""
    if precision is None and isinstance(value, np.float32) and np.isfinite(value):
        return str(value)
    return format_number(value, precision)


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Legend:
    """How the grids just drawn mark the receptive field and padding; each format words it its own way."""

    padding: bool
    note: str = ""


@dataclass(frozen=True)
class Grids:
    """Grids drawn side by side."""

    grids: tuple[tr.Grid, ...]


@dataclass(frozen=True)
class Product:
    a: object
    b: object


@dataclass(frozen=True)
class Dot:
    """A dot product of two vectors, written as such."""

    a: tuple
    b: tuple


@dataclass(frozen=True)
class Elided:
    count: int  # terms left out of a long sum


@dataclass(frozen=True)
class Equation:
    """``label: stage = stage = ... = result``; a stage's items are summed."""

    label: str
    stages: tuple[tuple[object, ...], ...]
    target: tuple | None = None  # (filter or None, row, col) of the output cell this equation gives


@dataclass(frozen=True)
class Equations:
    rows: tuple[Equation, ...]


# --- laying a trace out as blocks ---------------------------------------------------------------


def _elide(items: list) -> tuple:
    if len(items) <= MAX_TERMS:
        return tuple(items)
    return tuple(items[:HEAD_TERMS]) + (Elided(len(items) - HEAD_TERMS - TAIL_TERMS),) + tuple(items[-TAIL_TERMS:])


def sum_equation(label: str, terms, total, target=None) -> Equation:
    """``label: a*b + c*d = ab + cd = total`` for a list of trace Terms."""
    products = _elide([Product(t.value, t.weight) for t in terms])
    values = _elide([t.product for t in terms])
    return Equation(label, (products, values, (total,)), target)


def _shape(shape) -> str:
    """A shape as numpy prints it: (2, 3), and (2,) for one axis."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _padding_words(trace: tr.ConvTrace) -> str:
    spec = trace.padding_spec
    words = f"padding '{spec}'" if isinstance(spec, str) else "padding"
    if any(trace.pads) or not isinstance(spec, str):
        fill = f" {number_text(trace.fill_value)}" if trace.boundary == "fill" else ""
        words += f" (top, bottom, left, right) = {_shape(trace.pads)}"
        if any(trace.pads):
            words += f", boundary {trace.boundary}{fill}"
    return words


def _geometry_paragraphs(trace: tr.ConvTrace) -> list:
    notes = []
    if trace.stride != (1, 1):
        notes.append(f"stride {trace.stride[0]},{trace.stride[1]}: the window moves {trace.stride[0]} rows "
                     f"and {trace.stride[1]} columns per output cell.")
    if trace.dilation != (1, 1):
        notes.append(f"dilation {trace.dilation[0]},{trace.dilation[1]}: the kernel's taps are "
                     f"{trace.dilation[0]} rows and {trace.dilation[1]} columns apart.")
    if trace.groups > 1:
        implied = " (a 2-D kernel on a multi-channel input filters each channel on its own)" \
            if trace.kernel_as_given.ndim == 2 else ""
        notes.append(f"groups {trace.groups}{implied}: each filter reads only the input channels of its group.")
    if any(trace.pads):
        notes.append("Padding cells are marked in the grids; each step lists where their values came from.")
    return [Paragraph(" ".join(notes))] if notes else []


def _kernel_pairs(trace: tr.ConvTrace) -> list:
    """The kernel as given and as applied, side by side (for correlate2d, the
    channels of each filter side by side)."""
    applied = trace.kernel_as_applied
    depthwise = trace.kernel_as_given.ndim == 2
    slices = [(k, local) for k in trace.filters[: 1 if depthwise else None] for local in range(applied.shape[1])]
    grids = []
    for k, local in slices[:MAX_KERNEL_PAIRS]:
        channel = trace.input_channels(k)[local]
        where = "" if (depthwise or trace.filter_count == trace.channel_count == 1) else f", filter {k}, channel {channel}"
        weights = applied[k, local]
        if trace.flipped:
            grids.append((tr.matrix_grid(weights[::-1, ::-1], "kernel as given" + where),
                          tr.matrix_grid(weights, "kernel as applied (flipped)" + where)))
        else:
            grids.append((tr.matrix_grid(weights, "kernel, applied as given" + where),))
    per_row = 1 if trace.flipped else 2
    blocks = [Grids(sum(grids[i : i + per_row], ())) for i in range(0, len(grids), per_row)]
    if len(slices) > MAX_KERNEL_PAIRS:
        blocks.append(Paragraph(f"({len(slices) - MAX_KERNEL_PAIRS} more kernel slices are not drawn.)"))
    return blocks


def _header(trace: tr.ConvTrace) -> list:
    name = trace.operation.replace("_", "-")
    kernel_shape = _shape(trace.kernel_as_given.shape)
    input_shape = _shape(trace.input.shape[1:] if trace.output_2d and trace.channel_count == 1 else trace.input.shape)
    blocks = [Heading(f"{name}: input {input_shape}, kernel {kernel_shape}, {_padding_words(trace)} "
                      f"-> output {_shape(trace.output_shape)}")]
    if trace.flipped:
        blocks.append(Paragraph("conv2d is true convolution: the kernel is flipped in both axes (turned 180 degrees), "
                                "then slid over the input. Each output cell is the sum of the element-wise products "
                                "of the flipped kernel and the window under it."))
    else:
        blocks.append(Paragraph("correlate2d is cross-correlation: the kernel slides over the input as given, "
                                "without flipping (this is what CNN layers compute). Each output cell is the sum of "
                                "the element-wise products of the kernel and the window under it."))
    if trace.channel_count > 1 and trace.kernel_as_given.ndim > 2:
        blocks.append(Paragraph("With several input channels, each channel gives a partial sum; the output cell is "
                                "their sum over depth, plus the filter's bias."))
    elif trace.channel_count > 1:
        blocks.append(Paragraph("A 2-D kernel on a multi-channel input filters each channel on its own: output "
                                "channel k reads input channel k only."))
    return blocks + _geometry_paragraphs(trace) + _kernel_pairs(trace)


def _padding_paragraph(trace: tr.ConvTrace, step: tr.PositionStep, channel: int):
    fill_cells, copies = [], []
    for row in step.rows:
        for col in step.cols:
            value, source = trace.cell(channel, row, col)
            if source is None:
                continue
            if source.source is None:
                fill_cells.append(f"({row},{col})")
            elif trace.channel_count == 1:
                copies.append(f"({row},{col}) = {number_text(value)}, {source.describe()}")
            else:
                copies.append(f"({row},{col}) = {source.describe()}")
    if not fill_cells and not copies:
        return None
    parts = []
    if fill_cells:
        parts.append(", ".join(fill_cells) + f" = {number_text(trace.fill_value)}, the fill value")
    parts.extend(copies)
    return Paragraph("Padding in this window: " + "; ".join(parts) + ".")


def _cell_equations(trace: tr.ConvTrace, cell: tr.CellStep) -> list:
    many_filters = trace.filter_count > 1 or not trace.output_2d
    target = (cell.filter if many_filters else None,) + cell.position
    rows = []
    if len(cell.channels) == 1:
        only = cell.channels[0]
        label = ""
        if trace.channel_count > 1:
            label = f"channel {only.channel}"
        rows.append(sum_equation(label, only.terms, only.total, None if cell.bias is not None else target))
    else:
        for channel_sum in cell.channels[:MAX_CHANNEL_SUMS]:
            rows.append(sum_equation(f"channel {channel_sum.channel}", channel_sum.terms, channel_sum.total))
        totals = _elide([s.total for s in cell.channels])
        rows.append(Equation("sum over depth", (totals, (cell.depth_sum,)), None if cell.bias is not None else target))
    if cell.bias is not None:
        rows.append(Equation("plus bias", ((cell.depth_sum, cell.bias), (cell.value,)), target))
    return rows


def _step(trace: tr.ConvTrace, index: int) -> list:
    step = trace.steps[index]
    blocks = [Heading(f"Step {index + 1} of {len(trace.steps)}: output ({step.position[0]}, {step.position[1]})")]
    channels = []
    for cell in step.cells:
        channels.extend(c for c in trace.input_channels(cell.filter) if c not in channels)
    drawn = channels[:MAX_CHANNEL_GRIDS]
    blocks.append(Grids(tuple(tr.receptive_field_grid(trace, step, c) for c in drawn)))
    note = f"input channels {drawn[0]} to {drawn[-1]} drawn, of {len(channels)}" if len(channels) > len(drawn) else ""
    blocks.append(Legend(any(grid.has_padding for grid in blocks[-1].grids), note))
    padding = _padding_paragraph(trace, step, drawn[0])
    if padding:
        blocks.append(padding)
    for cell in step.cells:
        equations = _cell_equations(trace, cell)
        if len(step.cells) > 1 or not trace.output_2d:
            blocks.append(Paragraph(f"filter {cell.filter}:"))
        blocks.append(Equations(tuple(equations)))
        if len(cell.channels) > MAX_CHANNEL_SUMS:
            blocks.append(Paragraph(f"({len(cell.channels) - MAX_CHANNEL_SUMS} more channel sums are not written out; "
                                    "the sum over depth includes them.)"))
    blocks += _output_grids(trace, index)
    return blocks


def _output_grids(trace: tr.ConvTrace, index: int) -> list:
    """The outputs so far of the first traced filters, and a note of those not drawn."""
    blocks = [Grids(tuple(tr.output_grid(trace, index, k) for k in trace.filters[:MAX_OUTPUT_GRIDS]))]
    if len(trace.filters) > MAX_OUTPUT_GRIDS:
        word = "output channel" if trace.operation == "conv1x1" else "filter"
        last = trace.filters[-1]
        which = f"{word} {last}" if last == MAX_OUTPUT_GRIDS else f"{word}s {MAX_OUTPUT_GRIDS} to {last}"
        blocks.append(Paragraph(f"(The output of {which} is worked out above but not drawn.)"))
    return blocks


def _footer(trace: tr.ConvTrace) -> list:
    notes = []
    if trace.selection.note():
        notes.append(trace.selection.note())
    if len(trace.filters) < trace.filter_count:
        word = "Output channels" if trace.operation == "conv1x1" else "Filters"
        notes.append(f"{word} {len(trace.filters)} to {trace.filter_count - 1} are not traced.")
    if trace.input.dtype.kind == "f":
        notes.append("The result may come from a faster method that adds the products in another order than "
                     "the sums above, so its floats can differ from them in the last digits.")
    return [Paragraph(" ".join(notes))] if notes else []


def _conv1x1_sections(trace: tr.ConvTrace) -> list[list]:
    weights = trace.kernel_as_applied[:, :, 0, 0]
    header = [
        Heading(f"conv1x1: input {_shape(trace.input.shape)}, weights {_shape(trace.kernel_as_given.shape)} "
                f"-> output {_shape(trace.output_shape)}"),
        Paragraph("A 1x1 convolution takes, at each pixel, the dot product of the depth vector (the "
                  + (f"{trace.channel_count} channel values" if trace.channel_count > 1 else "one channel value")
                  + " at that pixel) with each row of the weights"
                  + (", plus the bias." if trace.bias is not None else ".")),
        Grids((tr.matrix_grid(weights, "weights (one row per output channel)"),)),
    ]
    sections = [header]
    for index, step in enumerate(trace.steps):
        r, c = step.position
        vector = tuple(exact_scalar(v) for v in trace.input[:, r, c])
        blocks = [Heading(f"Step {index + 1} of {len(trace.steps)}: pixel ({r}, {c})")]
        equations = []
        for cell in step.cells:
            weights_row = tuple(t.weight for t in cell.terms)
            bias = () if cell.bias is None else (cell.bias,)
            products = _elide([Product(t.value, t.weight) for t in cell.terms])
            if len(vector) > MAX_TERMS:
                dot = Dot(vector[:HEAD_TERMS] + (None,) + vector[-TAIL_TERMS:],
                          weights_row[:HEAD_TERMS] + (None,) + weights_row[-TAIL_TERMS:])
            else:
                dot = Dot(vector, weights_row)
            label = f"output channel {cell.filter}" if trace.filter_count > 1 or not trace.output_2d else ""
            target = (None if trace.output_2d else cell.filter, r, c)
            equations.append(Equation(label, ((dot,) + bias, products + bias, (cell.value,)), target))
        shown = ", ".join(number_text(v) for v in vector)
        blocks.append(Paragraph(f"The depth vector at ({r}, {c}) is x[:, {r}, {c}] = [{shown}]."))
        blocks.append(Equations(tuple(equations)))
        blocks += _output_grids(trace, index)
        sections.append(blocks)
    sections.append(_footer(trace))
    return sections


def _im2col_sections(trace: Im2colTrace) -> list[list]:
    conv = trace.conv
    rows, columns = trace.x_col_shape
    filters, per_group, kh, kw = conv.kernel_as_applied.shape
    groups = conv.groups
    # the engine's band, as gemm.correlate sizes it: whole output rows of one group's X_col
    group_row = per_group * kh * kw * conv.output_hw[1]
    band_bytes = band_rows(group_row, trace.itemsize, BAND_BYTES) * group_row * trace.itemsize
    header = [
        Heading(f"im2col-matmul: input {_shape(conv.input.shape[1:] if conv.output_2d else conv.input.shape)}, "
                f"kernel {_shape(conv.kernel_as_given.shape)}, {_padding_words(conv)} -> output {_shape(conv.output_shape)}"),
        Paragraph(f"im2col lays every receptive field out as one column of X_col: {rows} rows (one per "
                  f"{'channel and ' if conv.channel_count > 1 else ''}kernel tap (i,j)) by {columns} columns (one per "
                  "output position). The kernel becomes W_row, one row per filter. "
                  + ("Then one matrix product, W_row @ X_col, gives every output cell at once: this is correlate2d, "
                     "with no flip." if groups == 1 else
                     f"With {groups} groups, a filter reads only its group's {per_group} channel(s), so W_row has "
                     f"{per_group * kh * kw} columns (the taps of one group's channels, numbered within the group) "
                     f"and there is one product per group: group g's rows of W_row times the {per_group * kh * kw} "
                     "rows of X_col that hold group g's channels. Stacked, they give every output cell: this is "
                     "correlate2d, with no flip.")),
        *_geometry_paragraphs(conv),
        Grids((trace.x_col,)),
        Grids((trace.w_row,)),
        Paragraph(f"X_col holds {rows} x {columns} = {rows * columns} numbers of {trace.itemsize} bytes: "
                  f"{tr.human_bytes(trace.x_col_bytes)}"
                  + (" (pointers to exact Python numbers, which take more)." if conv.input.dtype == object else ".")
                  + (f" The engine builds it a band of output rows at a time, about "
                     f"{tr.human_bytes(band_bytes)} each, so memory stays bounded."
                     if trace.x_col_bytes > band_bytes and conv.input.dtype != object else "")),
    ]
    sections = [header]
    out_w = conv.output_hw[1]
    for index, step in enumerate(conv.steps):
        r, c = step.position
        column = r * out_w + c
        blocks = [Heading(f"Step {index + 1} of {len(conv.steps)}: column {column} of X_col is the receptive field "
                          f"of output ({r}, {c})")]
        equations = []
        for cell in step.cells:
            label = f"row {cell.filter} of W_row times column {column} of X_col"
            if groups > 1:
                group = cell.filter // (filters // groups)
                label += (f" (its rows for group {group}: channels {group * per_group} to {(group + 1) * per_group - 1})"
                          if per_group > 1 else f" (its rows for group {group}: channel {group})")
            target = (cell.filter if not conv.output_2d else None, r, c)
            equations.append(sum_equation(label, cell.terms, cell.depth_sum,
                                           None if cell.bias is not None else target))
            if cell.bias is not None:
                equations.append(Equation("plus bias", ((cell.depth_sum, cell.bias), (cell.value,)), target))
        blocks.append(Equations(tuple(equations)))
        sections.append(blocks)
    reshape = [
        Heading("The reshape"),
        Paragraph(f"{'W_row @ X_col is' if groups == 1 else 'The per-group products, stacked, are'} {filters} x {columns}. "
                  f"Column j is output position (j // {out_w}, j % {out_w}), "
                  f"so each row reshapes, row-major, to {conv.output_hw[0]} x {out_w}"
                  + (", and the bias of its filter is added (shown for filter 0)." if conv.bias is not None
                     else ".")),
        Grids((trace.product, trace.reshaped)),
    ]
    sections.append(reshape + _footer(conv))
    return sections


def trace_sections(trace) -> list[list]:
    """The trace as sections of blocks: the header, one per traced step, the footer."""
    if isinstance(trace, Im2colTrace):
        return _im2col_sections(trace)
    if trace.operation == "conv1x1":
        return _conv1x1_sections(trace)
    sections = [_header(trace)]
    sections.extend(_step(trace, i) for i in range(len(trace.steps)))
    footer = _footer(trace)
    if footer:
        sections.append(footer)
    return sections
