"""Rich renderables for traces, comparisons and the demo. They return
renderables and never print; only the CLI prints.

The content is the same as the plain-text form (``trace_text``): the
receptive field keeps its ``[ ]`` and padding its ``'`` so the meaning
survives without colour, and colour adds the highlight.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from . import trace as tr
from .trace_blocks import Equations, Grids, Heading, Legend, Paragraph
from .trace_text import cell_text, equation_text, label_text

FIELD_STYLE = "bold black on yellow"
PADDING_STYLE = "italic magenta"
PENDING_STYLE = "dim"
HEADING_STYLE = "bold cyan"


def _cell_style(cell: tr.GridCell) -> str:
    if cell.marked:
        return FIELD_STYLE
    if cell.kind == "padding":
        return PADDING_STYLE
    if cell.kind in ("pending", "ellipsis"):
        return PENDING_STYLE
    return ""


def grid_table(grid: tr.Grid, precision=None) -> Group:
    """A grid as its title over a borderless table with row and column labels."""
    table = Table(box=None, pad_edge=False, show_header=True, header_style="dim", padding=(0, 1))
    table.add_column("", style="dim", justify="right")
    for label in grid.col_labels:
        table.add_column(label_text(label), justify="right")
    boxed = grid.has_marks
    for label, row in zip(grid.row_labels, grid.cells):
        table.add_row(label_text(label), *(Text(cell_text(c, precision, boxed), style=_cell_style(c)) for c in row))
    return Group(Text(grid.title, style="bold"), table)


def grids_renderable(block: Grids, precision=None):
    if len(block.grids) == 1:
        return grid_table(block.grids[0], precision)
    row = Table.grid(padding=(0, 4))
    for _ in block.grids:
        row.add_column()
    row.add_row(*(grid_table(g, precision) for g in block.grids))
    return row


def _equation(equation, precision) -> Text:
    text = equation_text(equation, precision)
    label, _, body = text.rpartition(": ") if equation.label else ("", "", text)
    head, _, result = body.rpartition(" = ")
    line = Text()
    if label:
        line.append(label + ": ", style="bold")
    line.append(head + " = ")
    line.append(result, style="bold green")
    return line


def _legend(block: Legend) -> Text:
    line = Text()
    line.append("[ ]", style=FIELD_STYLE)
    line.append(" marks the receptive field")
    if block.padding:
        line.append("; ")
        line.append("'", style=PADDING_STYLE)
        line.append(" marks a padding cell")
    line.append((f" ({block.note})" if block.note else "") + ".")
    return line


def blocks_renderable(blocks, precision=None) -> Group:
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(Text(block.text, style=HEADING_STYLE))
        elif isinstance(block, Paragraph):
            parts.append(Text(block.text))
        elif isinstance(block, Legend):
            parts.append(_legend(block))
        elif isinstance(block, Grids):
            parts.append(grids_renderable(block, precision))
        elif isinstance(block, Equations):
            parts.extend(_equation(e, precision) for e in block.rows)
        parts.append(Text(""))
    return Group(*parts)


def section_renderables(sections, precision=None) -> list[Group]:
    """One renderable per section (the demo shows one per screen)."""
    return [blocks_renderable(section, precision) for section in sections]


def fitting_renderable(sections, console, precision=None) -> Group | None:
    """The sections as one renderable, or None when a table among them is
    wider than the console: Rich would shorten its numbers to "10…" or blank
    whole columns, so the caller prints the plain text, which the terminal
    wraps. (Paragraphs wrap by themselves and do not count.)"""
    unbounded = console.options.update_width(10**6)  # a measurement is capped at the width it is given
    for section in sections:
        for block in section:
            if isinstance(block, Grids) and \
                    console.measure(grids_renderable(block, precision), options=unbounded).maximum > console.width:
                return None
    return Group(*section_renderables(sections, precision))


def trace_renderable(trace, precision=None) -> Group:
    """The whole trace of conv2d, correlate2d, im2col-matmul or conv1x1."""
    from .trace_blocks import trace_sections

    return Group(*section_renderables(trace_sections(trace), precision))


def comparison_renderable(comparison, precision=None) -> Group:
    """The results of `convcli compare` side by side, then what agrees and why."""
    from .compare import comparison_sections

    return Group(*section_renderables(comparison_sections(comparison), precision))
