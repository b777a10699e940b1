"""The steps of one computation, as data: nothing here formats or prints.

A trace is built from the same validated :class:`~convcli.engine.plan.Plan`
as the engine's own computation, so it shares the shape checks, the padding
and the number type (integers stay integers, Fractions stay Fractions). For
each traced output position it records the receptive field, every product
of an input cell with a weight of the kernel *as applied* (already flipped
for conv2d), the per-channel partial sums, the sum over depth and the bias.
Padding cells carry where their value came from.

What to show of a large matrix (a window around the receptive field) is
decided in ``trace_grids``; how to show it, in ``trace_text`` and
``render_trace``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .engine.boundary import padding_sources
from .engine.plan import Plan, make_plan
from .errors import UsageError
from .trace_grids import (  # noqa: F401  (re-exported: the grids are part of what a trace shows)
    MATRIX_CAP,
    OUTPUT_CAP,
    Grid,
    GridCell,
    axis_window,
    exact_scalar,
    human_bytes,
    matrix_grid,
    output_grid,
    output_grid_from,
    receptive_field_grid,
)

DEFAULT_ALL_CELLS = 25  # trace every position when the output has at most this many cells
DEFAULT_FIRST = 3  # otherwise trace this many, and say how to see more
MAX_FILTERS = 8  # filters traced at each position


@dataclass(frozen=True)
class PaddingSource:
    """Where the value of a padding cell came from."""

    boundary: str  # fill, wrap, symmetric, reflect or replicate
    source: tuple[int, int] | None  # the input cell it copies; None for the fill value

    def describe(self) -> str:
        if self.source is None:
            return "fill value"
        return f"{self.boundary} of input ({self.source[0]},{self.source[1]})"


@dataclass(frozen=True)
class Term:
    """One product: an input (or padding) cell times one weight."""

    channel: int  # input channel
    at: tuple[int, int]  # input coordinates; outside the input for a padding cell
    kernel_at: tuple[int, int]  # (i, j) in the kernel as applied
    value: object
    weight: object
    product: object
    padding: PaddingSource | None = None


@dataclass(frozen=True)
class ChannelSum:
    """The products of one input channel and their sum."""

    channel: int
    terms: tuple[Term, ...]
    total: object


@dataclass(frozen=True)
class CellStep:
    """One output cell: per-channel sums, their sum over depth, the bias."""

    filter: int
    position: tuple[int, int]
    channels: tuple[ChannelSum, ...]
    depth_sum: object
    bias: object | None
    value: object

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(term for channel in self.channels for term in channel.terms)


@dataclass(frozen=True)
class PositionStep:
    """One traced output position, with every traced filter at it."""

    position: tuple[int, int]
    rows: tuple[int, ...]  # input rows the receptive field touches
    cols: tuple[int, ...]  # input columns it touches
    cells: tuple[CellStep, ...]


@dataclass(frozen=True)
class Selection:
    """Which output positions a trace covers, and why."""

    positions: tuple[tuple[int, int], ...]
    output_hw: tuple[int, int]
    mode: str  # all, first (the default on a large output), steps or at

    @property
    def total(self) -> int:
        return self.output_hw[0] * self.output_hw[1]

    def note(self) -> str | None:
        shown, total = len(self.positions), self.total
        if self.mode == "first":
            return (
                f"Traced the first {shown} of {total} output positions. "
                "Trace one with --at ROW,COL (0-based) or the first N with --steps N."
            )
        if self.mode == "steps" and shown < total:
            return f"Traced the first {shown} of {total} output positions; --at ROW,COL traces any one."
        if self.mode == "at" and total > 1:
            return f"Traced output position {self.positions[0]} of {total}."
        return None


@dataclass(frozen=True, eq=False)
class ConvTrace:
    """The worked steps of conv2d, correlate2d, im2col-matmul or conv1x1."""

    operation: str  # conv2d, correlate2d, im2col_matmul or conv1x1
    plan: Plan  # what the engine computes: input, kernel as applied, pads, boundary, stride, ...
    kernel_as_given: np.ndarray  # the user's kernel (for conv1x1: the weights, (K, C) or (C,))
    output_shape: tuple[int, ...]  # as the operation returns it
    output_2d: bool
    row_sources: np.ndarray  # for each padded row, the input row it copies (-1: fill)
    col_sources: np.ndarray
    filters: tuple[int, ...]  # the filters traced at each position
    steps: tuple[PositionStep, ...]
    selection: Selection

    # The plan's parts under the names the trace writers use.
    input = property(lambda self: self.plan.x, doc="(C, H, W) in the compute type")
    kernel_as_applied = property(lambda self: self.plan.weight, doc="(K, C/groups, kh, kw), flipped for conv2d")
    pads = property(lambda self: self.plan.pads, doc="top, bottom, left, right")
    boundary = property(lambda self: self.plan.boundary)
    stride = property(lambda self: self.plan.stride)
    dilation = property(lambda self: self.plan.dilation)
    groups = property(lambda self: self.plan.groups)
    bias = property(lambda self: self.plan.bias)
    padding_spec = property(lambda self: self.plan.padding_spec)
    output_hw = property(lambda self: self.plan.output_hw)

    @property
    def fill_value(self):
        return exact_scalar(self.plan.fill_value)

    @property
    def flipped(self) -> bool:
        return self.operation == "conv2d"

    @property
    def filter_count(self) -> int:
        return self.kernel_as_applied.shape[0]

    @property
    def channel_count(self) -> int:
        return self.input.shape[0]

    @property
    def padded_hw(self) -> tuple[int, int]:
        return len(self.row_sources), len(self.col_sources)

    def input_channels(self, filter_index: int) -> range:
        """The input channels that filter `filter_index` reads."""
        per_group = self.kernel_as_applied.shape[1]
        group = filter_index // (self.filter_count // self.groups)
        return range(group * per_group, (group + 1) * per_group)

    def cell(self, channel: int, row: int, col: int):
        """(value, PaddingSource or None) of the padded input at input coordinates (row, col)."""
        source_row = int(self.row_sources[row + self.pads[0]])
        source_col = int(self.col_sources[col + self.pads[2]])
        height, width = self.input.shape[1:]
        if source_row < 0 or source_col < 0:
            return self.fill_value, PaddingSource("fill", None)
        value = exact_scalar(self.input[channel, source_row, source_col])
        if 0 <= row < height and 0 <= col < width:
            return value, None
        return value, PaddingSource(self.boundary, (source_row, source_col))

    def filled(self, upto: int) -> dict[tuple[int, int, int], object]:
        """Output values known after step `upto` (0-based): (filter, row, col) -> value."""
        known = {}
        for step in self.steps[: upto + 1]:
            for cell in step.cells:
                known[(cell.filter,) + cell.position] = cell.value
        return known


def _total(values):
    """The values added in the order given. A float zero comes out as +0.0:
    scipy's sums start at +0.0, so a sum of only -0.0 terms is +0.0 there
    (as in the engine's direct method), and no other value changes."""
    values = list(values)
    total = values[0]
    for value in values[1:]:
        total = total + value
    if isinstance(total, (float, np.floating)) and total == 0:
        total = total + 0.0
    return total


def parse_at(text: str | None) -> tuple[int, int] | None:
    """``"ROW,COL"`` -> (row, col); negative indices count from the end, as in numpy."""
    if text is None:
        return None
    parts = [p.strip() for p in str(text).replace(" ", ",").split(",") if p.strip()]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 2:
        raise UsageError(f"--at {text!r} must be ROW,COL: two integers, 0-based, e.g. --at 0,1")
    return numbers[0], numbers[1]


def select_positions(output_hw, filters: int, *, at=None, steps=None) -> Selection:
    """The output positions to trace: `at`, the first `steps`, or by default all
    of a small output (at most 25 cells) and the first 3 of a larger one."""
    height, width = output_hw
    total = height * width
    if at is not None and steps is not None:
        raise UsageError("--at and --steps both choose what to trace; give one of them")
    if at is not None:
        row, col = at
        row, col = (row + height if row < 0 else row), (col + width if col < 0 else col)
        if not (0 <= row < height and 0 <= col < width):
            raise UsageError(
                f"--at {at[0]},{at[1]} is outside the {height}x{width} output "
                f"(rows 0..{height - 1}, columns 0..{width - 1})"
            )
        return Selection(((row, col),), (height, width), "at")
    if steps is not None:
        if steps < 1:
            raise UsageError(f"--steps must be at least 1, got {steps}")
        count, mode = min(steps, total), "steps"
    elif total * filters <= DEFAULT_ALL_CELLS:
        count, mode = total, "all"
    else:
        count, mode = min(DEFAULT_FIRST, total), "first"
    return Selection(tuple(divmod(i, width) for i in range(count)), (height, width), mode)


def _axis_sources(length: int, before: int, after: int, boundary: str, axis: int) -> np.ndarray:
    """For each padded index along one axis, the input index it copies (-1: fill).

    The boundary rules pad each axis on its own, so a padded cell (r, c) copies
    input (rows[r], cols[c]); with 'fill' it is fill if either index is -1."""
    if axis == 0:
        rows, _ = padding_sources((length, 1), (before, after, 0, 0), boundary)
        return np.asarray(rows[:, 0])
    _, cols = padding_sources((1, length), (0, 0, before, after), boundary)
    return np.asarray(cols[0, :])


def cell_step(trace_parts: dict, filter_index: int, position) -> CellStep:
    weight, pads, stride, dilation = (trace_parts[k] for k in ("weight", "pads", "stride", "dilation"))
    cell, channels, bias = trace_parts["cell"], trace_parts["channels"](filter_index), trace_parts["bias"]
    kh, kw = weight.shape[2:]
    row0 = position[0] * stride[0] - pads[0]
    col0 = position[1] * stride[1] - pads[2]
    sums = []
    for local, channel in enumerate(channels):
        terms = []
        for i in range(kh):
            for j in range(kw):
                row, col = row0 + i * dilation[0], col0 + j * dilation[1]
                value, source = cell(channel, row, col)
                tap = exact_scalar(weight[filter_index, local, i, j])
                terms.append(Term(channel, (row, col), (i, j), value, tap, value * tap, source))
        # floats: add in scipy's direct order (the last tap first for conv2d), so the sum shown is
        # scipy's value; the engine's faster methods add in other orders (the footer says so)
        products = [t.product for t in terms]
        if trace_parts["last_tap_first"]:
            products.reverse()
        sums.append(ChannelSum(channel, tuple(terms), _total(products)))
    depth_sum = _total(s.total for s in sums)
    bias_value = None if bias is None else exact_scalar(bias[filter_index])
    value = depth_sum if bias_value is None else depth_sum + bias_value
    return CellStep(filter_index, tuple(position), tuple(sums), depth_sum, bias_value, value)


def _build(operation: str, plan, kernel_as_given, output_shape, output_2d, at, steps) -> ConvTrace:
    channels, height, width = plan.x.shape
    top, bottom, left, right = plan.pads
    row_sources = _axis_sources(height, top, bottom, plan.boundary, 0)
    col_sources = _axis_sources(width, left, right, plan.boundary, 1)
    filter_count = plan.weight.shape[0]
    selection = select_positions(plan.output_hw, filter_count, at=at, steps=steps)
    trace = ConvTrace(
        operation=operation,
        plan=plan,
        kernel_as_given=np.asarray(kernel_as_given),
        output_shape=tuple(output_shape),
        output_2d=output_2d,
        row_sources=row_sources,
        col_sources=col_sources,
        filters=tuple(range(min(filter_count, MAX_FILTERS))),
        steps=(),
        selection=selection,
    )
    parts = dict(weight=plan.weight, pads=plan.pads, stride=plan.stride, dilation=plan.dilation,
                 cell=trace.cell, channels=trace.input_channels, bias=plan.bias, last_tap_first=trace.flipped)
    kh, kw = plan.weight.shape[2:]
    position_steps = []
    for position in selection.positions:
        row0, col0 = position[0] * plan.stride[0] - top, position[1] * plan.stride[1] - left
        position_steps.append(PositionStep(
            position=position,
            rows=tuple(row0 + i * plan.dilation[0] for i in range(kh)),
            cols=tuple(col0 + j * plan.dilation[1] for j in range(kw)),
            cells=tuple(cell_step(parts, k, position) for k in trace.filters),
        ))
    return replace(trace, steps=tuple(position_steps))


def trace_conv(operation: str, x, kernel, *, padding="valid", boundary="fill", fill_value=0, stride=1,
               dilation=1, groups=1, bias=None, at=None, steps=None) -> ConvTrace:
    """The worked steps of conv2d or correlate2d (or im2col-matmul's sums).

    Takes the engine's arguments, plus `at` (row, col) or `steps` N to choose
    the traced output positions.

    Examples
    --------
    >>> t = trace_conv("conv2d", [[1, 2], [3, 4]], [[1, 2], [3, 4]])
    >>> [(term.value, term.weight) for term in t.steps[0].cells[0].terms]
    [(1, 4), (2, 3), (3, 2), (4, 1)]
    >>> t.steps[0].cells[0].value
    20
    """
    operation = operation.replace("-", "_")
    plan = make_plan("correlate2d" if operation == "im2col_matmul" else operation, x, kernel, padding=padding,
                     boundary=boundary, fill_value=fill_value, stride=stride, dilation=dilation, groups=groups,
                     bias=bias)
    return _build(operation, plan, plan.kernel_as_given, plan.output_shape, plan.output_2d, at, steps)


def trace_conv1x1(x, weights, *, bias=None, at=None, steps=None) -> ConvTrace:
    """The worked dot products of a 1x1 convolution, one per traced pixel and filter.

    Examples
    --------
    >>> t = trace_conv1x1([[[1]], [[5]]], [[1, 10]])
    >>> [(term.value, term.weight) for term in t.steps[0].cells[0].terms], t.steps[0].cells[0].value
    ([(1, 1), (5, 10)], 51)
    """
    from .engine.api import conv1x1_operands

    x3, weight_matrix, single = conv1x1_operands(x, weights)
    plan = make_plan("correlate2d", x3, weight_matrix[:, :, None, None], bias=bias)
    shape = plan.output_hw if single else plan.output_shape
    return _build("conv1x1", plan, weight_matrix[0] if single else weight_matrix, shape, single, at, steps)


def build_trace(operation: str, x, kernel, **options):
    """The trace for one of the four operations (conv1x1 takes only `bias`, `at`, `steps`)."""
    operation = operation.replace("-", "_")
    if operation == "conv1x1":
        return trace_conv1x1(x, kernel, **options)
    if operation == "im2col_matmul":
        from .trace_im2col import trace_im2col  # here: trace_im2col builds on this module

        return trace_im2col(x, kernel, **options)
    return trace_conv(operation, x, kernel, **options)
