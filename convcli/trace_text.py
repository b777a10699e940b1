"""Traces as plain text and Markdown (``format_trace`` also gives LaTeX). Pure: no rich.

The plain text is what a terminal shows without colour, or a pipe receives:
the receptive field in ``[ ]``, padding cells marked ``'``, products written
``a*b``, so a trace pastes into notes as it is.
"""

from __future__ import annotations

from . import trace as tr
from .trace_blocks import (
    Dot,
    Elided,
    Equation,
    Equations,
    Grids,
    Heading,
    Legend,
    Paragraph,
    Product,
    number_text,
    trace_sections,
)

# --- plain text ---------------------------------------------------------------------------------


def factor(value, precision=None) -> str:
    """A number as a factor or term: negatives and fractions in parentheses."""
    text = number_text(value, precision)
    return f"({text})" if text.startswith("-") or "/" in text else text


def _term(value, precision) -> str:
    text = number_text(value, precision)
    return f"({text})" if text.startswith("-") else text


def _vector(values, precision) -> str:
    return "[" + ", ".join("..." if v is None else number_text(v, precision) for v in values) + "]"


def item_text(item, precision=None) -> str:
    if isinstance(item, Product):
        return f"{factor(item.a, precision)}*{factor(item.b, precision)}"
    if isinstance(item, Dot):
        return f"{_vector(item.a, precision)} · {_vector(item.b, precision)}"
    if isinstance(item, Elided):
        return f"... ({item.count} more terms) ..."
    return _term(item, precision)


def equation_text(equation: Equation, precision=None) -> str:
    """``label: a*b + c*d = ab + cd = total``."""
    stages = []
    for stage in equation.stages:
        if len(stage) == 1 and not isinstance(stage[0], (Product, Dot, Elided)):
            text = number_text(stage[0], precision)
        else:
            text = " + ".join(item_text(i, precision) for i in stage)
        if not stages or stages[-1] != text:
            stages.append(text)
    body = " = ".join(stages)
    return f"{equation.label}: {body}" if equation.label else body


def label_text(label) -> str:
    if label is None:
        return "..."
    if isinstance(label, tuple):
        return "(" + ",".join(str(v) for v in label) + ")"
    return str(label)


def cell_text(cell: tr.GridCell, precision=None, boxed: bool = False) -> str:
    """One grid cell: ``[v]`` in the receptive field, ``v'`` for padding, ``.`` not yet computed."""
    if cell.kind == "ellipsis":
        return "..."
    if cell.kind == "pending" or cell.value is None:
        text = "."
    else:
        text = number_text(cell.value, precision) + ("'" if cell.kind == "padding" else "")
    if not boxed:
        return text
    return f"[{text}]" if cell.marked else f" {text} "


def grid_lines(grid: tr.Grid, precision=None) -> list[str]:
    boxed = grid.has_marks
    body = [[cell_text(c, precision, boxed) for c in row] for row in grid.cells]
    headers = [label_text(c) for c in grid.col_labels]
    row_labels = [label_text(r) for r in grid.row_labels]
    widths = [max([len(headers[j])] + [len(row[j]) for row in body]) for j in range(len(headers))]
    label_width = max(len(r) for r in row_labels)
    gap = " " if boxed else "  "
    lines = [grid.title, " " * label_width + "  " + gap.join(h.rjust(w) for h, w in zip(headers, widths))]
    for label, row in zip(row_labels, body):
        lines.append(label.rjust(label_width) + "  " + gap.join(t.rjust(w) for t, w in zip(row, widths)))
    return [line.rstrip() for line in lines]


def side_by_side(columns: list[list[str]], gap: int = 6) -> list[str]:
    widths = [max(len(line) for line in column) for column in columns]
    height = max(len(column) for column in columns)
    lines = []
    for i in range(height):
        parts = [(column[i] if i < len(column) else "").ljust(w) for column, w in zip(columns, widths)]
        lines.append((" " * gap).join(parts).rstrip())
    return lines


def legend_text(legend: Legend, field: str, padding: str) -> str:
    text = field + (f"; {padding}" if legend.padding else "")
    return text + (f" ({legend.note})" if legend.note else "") + "."


def blocks_text(blocks, precision=None) -> str:
    out = []
    for block in blocks:
        if isinstance(block, Heading):
            out += [block.text, "-" * min(len(block.text), 100)]
        elif isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Legend):
            out.append(legend_text(block, "[ ] marks the receptive field", "' marks a padding cell"))
        elif isinstance(block, Grids):
            out += side_by_side([grid_lines(g, precision) for g in block.grids])
        elif isinstance(block, Equations):
            out += [equation_text(e, precision) for e in block.rows]
        out.append("")
    return "\n".join(out)


def to_text(trace, precision=None) -> str:
    """The whole trace as plain text (no escape codes), ending in a newline."""
    return "\n".join(blocks_text(s, precision) for s in trace_sections(trace)).rstrip("\n") + "\n"


# --- Markdown -----------------------------------------------------------------------------------


def _markdown_cell(cell: tr.GridCell, precision) -> str:
    text = cell_text(cell, precision).replace("...", "…")
    return f"**{text}**" if cell.marked else text


def grid_markdown(grid: tr.Grid, precision=None) -> list[str]:
    headers = [label_text(c).replace("...", "…") for c in grid.col_labels]
    lines = [f"**{grid.title}**", "", "| | " + " | ".join(headers) + " |", "|---|" + "---:|" * len(headers)]
    for label, row in zip(grid.row_labels, grid.cells):
        cells = " | ".join(_markdown_cell(c, precision) for c in row)
        lines.append(f"| {label_text(label).replace('...', '…')} | {cells} |")
    return lines


def blocks_markdown(blocks, precision=None) -> str:
    out = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"### {block.text}")
        elif isinstance(block, Paragraph):
            out.append(block.text.replace("*", "\\*"))
        elif isinstance(block, Legend):
            out.append(legend_text(block, "Bold cells are the receptive field", "' marks a padding cell"))
        elif isinstance(block, Grids):
            for grid in block.grids:
                out += grid_markdown(grid, precision) + [""]
            out.pop()
        elif isinstance(block, Equations):
            out += ["```text"] + [equation_text(e, precision) for e in block.rows] + ["```"]
        out.append("")
    return "\n".join(out)


def to_markdown(trace, precision=None) -> str:
    """The trace as Markdown: headings, tables (receptive field in bold), sums in code blocks."""
    return "\n".join(blocks_markdown(s, precision) for s in trace_sections(trace)).rstrip("\n") + "\n"


def format_trace(trace, fmt: str = "text", precision=None) -> str:
    """The trace in `fmt`: text, markdown or latex."""
    if fmt == "markdown":
        return to_markdown(trace, precision)
    if fmt == "latex":
        from .trace_latex import to_latex

        return to_latex(trace_sections(trace), precision)
    return to_text(trace, precision)
