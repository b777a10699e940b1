"""Traces as a LaTeX fragment: ``bmatrix`` grids, ``\\cdot`` products, sums in ``align*``.

The fragment needs only amsmath (``\\usepackage{amsmath}``); paste it into a
document body or ``\\input`` it. Pure: no rich.
"""

from __future__ import annotations

import math
from fractions import Fraction

from . import trace as tr
from .trace_blocks import Dot, Elided, Equations, Grids, Heading, Legend, Paragraph, Product, number_text
from .trace_text import label_text, legend_text

TERMS_PER_LINE = 9
MAX_MATRIX_COLUMNS = 24  # bmatrix allows 10 columns unless told; a window has at most about 14

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\^{}", "#": r"\#", "$": r"\$",
    "%": r"\%", "&": r"\&", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def escape(text: str) -> str:
    """Plain text made safe for LaTeX's text mode."""
    text = str(text).replace("->", "\x00")
    text = "".join(_TEXT_ESCAPES.get(ch, ch) for ch in text)
    return text.replace("\x00", r"$\rightarrow$")


def number(value, precision=None) -> str:
    """A number in math mode: ``4``, ``\\frac{41}{9}``, ``-0.5``, ``1.5 \\times 10^{-7}``."""
    if isinstance(value, Fraction) and value.denominator != 1:
        sign = "-" if value < 0 else ""
        return rf"{sign}\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    text = number_text(value, precision)
    if text in ("nan", "inf", "-inf"):
        return {"nan": r"\mathrm{NaN}", "inf": r"\infty", "-inf": r"-\infty"}[text]
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _factor(value, precision) -> str:
    text = number(value, precision)
    negative = text.startswith("-") or (isinstance(value, float) and not math.isnan(value) and value < 0)
    return f"({text})" if negative else text


def _vector(values, precision) -> str:
    body = " & ".join(r"\cdots" if v is None else number(v, precision) for v in values)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def item(thing, precision=None) -> str:
    if isinstance(thing, Product):
        return rf"{_factor(thing.a, precision)} \cdot {_factor(thing.b, precision)}"
    if isinstance(thing, Dot):
        return rf"{_vector(thing.a, precision)} \cdot {_vector(thing.b, precision)}^{{\mathsf{{T}}}}"
    if isinstance(thing, Elided):
        return rf"\cdots_{{\text{{{thing.count} more}}}}"
    return _factor(thing, precision)


def _stage(items, precision) -> str:
    """Terms joined by +, broken into lines of TERMS_PER_LINE; a negative number
    is bracketed only where it follows a +."""
    parts = [number(i, precision) if n == 0 and not isinstance(i, (Product, Dot, Elided)) else item(i, precision)
             for n, i in enumerate(items)]
    lines = [" + ".join(parts[i : i + TERMS_PER_LINE]) for i in range(0, len(parts), TERMS_PER_LINE)]
    return " \\\\\n  &\\quad + ".join(lines)


def _lhs(equation) -> str:
    if equation.label:
        return rf"\text{{{escape(equation.label)}}}\colon\ "
    if equation.target is not None:
        filter_index, row, col = equation.target
        index = f"{row},{col}" if filter_index is None else f"{filter_index},{row},{col}"
        return f"y_{{{index}}} "
    return ""


def equations_latex(block: Equations, precision=None) -> list[str]:
    lines = [r"\begin{align*}"]
    rendered = []
    for equation in block.rows:
        stages = []
        for stage in equation.stages:
            text = _stage(stage, precision)
            if not stages or stages[-1] != text:
                stages.append(text)
        body = f"{_lhs(equation)}&= {stages[0]}"
        for text in stages[1:]:
            body += f" \\\\\n  &= {text}"
        rendered.append(body)
    lines.append(" \\\\[4pt]\n".join(rendered))
    lines.append(r"\end{align*}")
    return lines


def _cell(cell: tr.GridCell, precision, vertical: bool) -> str:
    if cell.kind == "ellipsis":
        return r"\vdots" if vertical else r"\cdots"
    if cell.kind == "pending" or cell.value is None:
        return r"\cdot"
    text = number(cell.value, precision)
    if cell.kind == "padding":
        text = rf"\underline{{{text}}}"
    return rf"\boxed{{{text}}}" if cell.marked else text


def grid_latex(grid: tr.Grid, precision=None) -> str:
    rows = []
    for label, row in zip(grid.row_labels, grid.cells):
        rows.append(" & ".join(_cell(c, precision, label is None) for c in row))
    body = " \\\\\n  ".join(rows)
    return rf"\underset{{\text{{{escape(grid.title)}}}}}{{\begin{{bmatrix}}" + "\n  " + body + "\n" + r"\end{bmatrix}}"


def _caption(grid: tr.Grid) -> str | None:
    """Which rows and columns a window shows, when that is not simply all of them from 0."""
    def span(labels):
        shown = [x for x in labels if x is not None]
        if all(isinstance(x, int) for x in shown):  # runs of consecutive indices: "0 to 8, 11"
            runs: list[list[int]] = []
            for x in shown:
                if runs and runs[-1][1] == x - 1:
                    runs[-1][1] = x
                else:
                    runs.append([x, x])
            text = ", ".join(f"{a} to {b}" if a != b else str(a) for a, b in runs)
        else:
            text = label_text(shown[0]) + (" to " + label_text(shown[-1]) if len(shown) > 1 else "")
        return text + (" (the rest elided)" if None in labels else "")

    plain = (all(isinstance(x, int) for x in grid.row_labels) and list(grid.row_labels) == list(range(len(grid.row_labels)))
             and all(isinstance(x, int) for x in grid.col_labels)
             and list(grid.col_labels) == list(range(len(grid.col_labels))))
    if plain:
        return None
    return f"{grid.title}: rows {span(grid.row_labels)}, columns {span(grid.col_labels)}"


def blocks_latex(blocks, precision=None) -> list[str]:
    out = []
    for block in blocks:
        if isinstance(block, Heading):
            out += [rf"\par\medskip\noindent\textbf{{{escape(block.text)}}}\par", ""]
        elif isinstance(block, Paragraph):
            out += [escape(block.text), ""]
        elif isinstance(block, Legend):
            out += [escape(legend_text(block, "Boxed entries are the receptive field", "underlined entries are padding")), ""]
        elif isinstance(block, Grids):
            out += [r"\[", "\n\\qquad\n".join(grid_latex(g, precision) for g in block.grids), r"\]"]
            captions = [c for c in (_caption(g) for g in block.grids) if c]
            if captions:
                out.append(escape("; ".join(captions)) + ".")
            out.append("")
        elif isinstance(block, Equations):
            out += equations_latex(block, precision) + [""]
    return out


def to_latex(sections, precision=None) -> str:
    """The trace sections as a LaTeX fragment (requires amsmath)."""
    lines = [
        "% convcli trace: a LaTeX fragment; needs \\usepackage{amsmath}.",
        f"\\setcounter{{MaxMatrixCols}}{{{MAX_MATRIX_COLUMNS}}}",
        "",
    ]
    for section in sections:
        lines += blocks_latex(section, precision)
    return "\n".join(lines).rstrip("\n") + "\n"
