"""Markdown pipe tables and LaTeX matrices -> delimited text, a row a line.

convcli writes both formats (``--format markdown`` / ``latex``); these
functions turn them back into the comma-separated text that
:func:`convcli.textparse.parse_delimited` reads. Each Markdown line becomes
exactly one output line, and each LaTeX row one (a LaTeX line may hold
several; the line labels returned with the text map them back), so
messages still name the line of the original file. Table headers,
separator rows, ``\\begin{...}`` and other prose become ``#`` comments;
blank lines stay blank and so still separate channel blocks.
"""

from __future__ import annotations

import re

from convcli.textparse import unify_line_ends

_TABLE_SEPARATOR = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*")
# environments with an optional [r] and a column spec ({cc}, {*{2}{c}}), math
# delimiters, \left[ and \right], and table rules (\hline; booktabs' \toprule[1pt], \cmidrule(lr){1-2})
_LATEX_FRAME = re.compile(
    r"\\(?:begin|end)\{[A-Za-z*]+\}(?:\[[^\]]*\])?(?:\{(?:[^{}]|\{[^{}]*\})*\})?|\$\$?|\\\[|\\\]"
    r"|\\(?:left|right)\s*(?:\\[{}|]|[\[\]().|])"
    r"|\\(?:hline|toprule|midrule|bottomrule|cmidrule)(?![A-Za-z])(?:\[[^\]]*\])?(?:\([^)]*\))?(?:\{[^}]*\})?"
)
_LATEX_FRACTION = re.compile(r"(-?)\\[dt]?frac\{\s*([^{}]*?)\s*\}\{\s*([^{}]*?)\s*\}")
_LATEX_WORDS = (
    (re.compile(r"\\mathrm\{\s*nan\s*\}|\\text\{\s*nan\s*\}", re.IGNORECASE), "nan"),
    (re.compile(r"\\infty"), "inf"),
    (re.compile(r"\\(?:[,;:!]|quad|qquad)"), " "),
)
_LATEX_COMMENT = re.compile(r"(?<!\\)((?:\\\\)*)%.*")  # a % after an even run of backslashes (\\%: a row end, then a comment)
_ROW_BREAK = re.compile(r"\\\\\*?\s*(?:\[[^\]]*\])?")  # with an optional * and spacing argument: \\*[2pt]


def _lines(text: str) -> list[str]:
    """Lines ended by LF, CRLF or a lone CR, as `parse_delimited` counts them."""
    return unify_line_ends(text).split("\n")


def looks_like_markdown(text: str) -> bool:
    """A pipe table's separator row (``|---|---|``) appears somewhere."""
    return "|" in text and "-" in text and re.search(r"(?m)(?:^|\r)[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*\|", text) is not None


def looks_like_latex(text: str) -> bool:
    """A ``\\begin{`` environment, or ``&`` cells with ``\\\\`` row ends."""
    return "\\begin{" in text or ("&" in text and "\\\\" in text)


def markdown_to_delimited(text: str) -> str:
    r"""Pipe-table rows -> comma rows; the header row, separator rows and prose -> comments.

    >>> print(markdown_to_delimited("channel 0\n\n| 0 | 1 |\n|---:|---:|\n| 5 | -6 |\n"))
    #
    <BLANKLINE>
    #
    #
    5 , -6
    <BLANKLINE>
    >>> print(markdown_to_delimited("a | b\n--- | ---\n5 | -6"))
    #
    #
    5 , -6
    """
    lines = _lines(text)
    out = []
    in_table = False  # below a separator row, with no blank line since
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            out.append("")
            in_table = False
        elif _is_separator(line):
            out.append("#")
            in_table = True
        elif index + 1 < len(lines) and _is_separator(lines[index + 1]):
            out.append("#")  # a header: the row just above a separator
        elif stripped.startswith("|") or (in_table and "|" in stripped):
            # outer pipes are optional inside a table, as in GitHub's: "5 | -6"; prose with a "|" is not a row
            cells = stripped.removeprefix("|")
            cells = cells[:-1] if cells.endswith("|") else cells
            out.append(cells.replace("|", ",").strip())
        else:
            out.append("#")
            in_table = False
    return "\n".join(out)


def _is_separator(line: str) -> bool:
    """A table's separator row, which has a pipe (a lone '---' is a rule or a heading's underline)."""
    return "|" in line and _TABLE_SEPARATOR.fullmatch(line) is not None


def latex_to_delimited(text: str) -> tuple[str, list[int | str]]:
    r"""``a & b \\`` rows -> comma rows; ``\frac``, ``\infty`` and ``\mathrm{NaN}`` -> numbers.

    Rows end at ``\\``, so a line may hold several (``\begin{bmatrix} 1 & 2 \\ 3 & 4
    \end{bmatrix}``); each becomes a line of its own, and the labels that come
    with the text say where each stood in the original: its line number, or
    for one of several rows on a line, "3, row 2".

    >>> text, labels = latex_to_delimited("\\begin{bmatrix}\n1 & -\\tfrac{1}{9} \\\\\n\\infty & \\mathrm{NaN}\n\\end{bmatrix}")
    >>> print(text)
    #
    1 , -1/9
    inf , nan
    #
    >>> latex_to_delimited("$\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$")
    ('1 , 2\n3 , 4', ['1, row 1', '1, row 2'])
    """
    out, labels = [], []
    for number, line in enumerate(_lines(text), 1):
        if not line.strip():
            out.append("")
            labels.append(number)
            continue
        # rows first: the frame's "\[" would otherwise take the end of a "\\[2pt]"
        rows = [_LATEX_FRAME.sub(" ", row) for row in _ROW_BREAK.split(_LATEX_COMMENT.sub(r"\1", line))]
        if len(rows) > 1 and not rows[-1].strip():
            rows.pop()  # the usual row end at the end of the line
        rows = [_latex_cells(row) for row in rows]
        several = sum(1 for row in rows if row) > 1
        count = 0
        for row in rows:
            out.append(row if row else "#")
            count += bool(row)
            labels.append(f"{number}, row {count}" if several and row else number)
    return "\n".join(out), labels


def _latex_cells(row: str) -> str:
    """One row's cells as comma-separated numbers ('' if it holds none)."""
    row = _LATEX_FRACTION.sub(r"\1\2/\3", row)
    for pattern, replacement in _LATEX_WORDS:
        row = pattern.sub(replacement, row)
    return row.strip().replace("&", ",")
