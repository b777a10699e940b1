"""Delimited text -> ndarray: CSV, TSV, whitespace columns and inline ``1 2; 3 4``.

Two passes share one grammar. The quick pass tests the text as a whole with
byte-level checks and hands clean text to :func:`numpy.loadtxt`, whose C
parser accepts exactly our decimal grammar once the characters are vetted.
Whatever it is not sure about goes to the careful pass, which reads token by
token and either builds the array (fractions, huge integers, unusual
whitespace) or raises an :class:`InputError` naming the line and column of
the first problem.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Sequence

import numpy as np

from convcli.engine.numeric import object_array
from convcli.errors import InputError, count_noun

# One number. Digits are spelt [0-9] because \d would also match other scripts' digits.
_NUMBER = re.compile(
    r"""
      (?P<int>   [+-]?[0-9]+ )
    | (?P<frac>  [+-]?[0-9]+/[0-9]+ )
    | (?P<float> [+-]?(?: (?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)? | nan | inf(?:inity)? ) )
    """,
    re.VERBOSE | re.IGNORECASE,
)
_INLINE_ROW_BREAK = re.compile(r"[;\n]")
_SEMICOLON_AT_EOL = re.compile(r";[ \t]*(?=\n)")
_DECIMAL_MARK = re.compile(r"[.eEnNiI]")  # in a valid token: a decimal point, exponent, nan or inf

# Bytes the quick pass understands: integers and separators, then what decimals add.
_INTEGER_BYTES = b"0123456789+- \t\r\n,"
_DECIMAL_BYTES = b".eEnNaAiIfFtTyY"

_QUOTE_LIMIT = 40


def quote(token: str) -> str:
    """Quote a token for a one-line message: escape the unprintable, cut the long.

    >>> print(quote("x"), quote("a\\tb"), quote('say "hi"'))
    "x" "a\\tb" "say \\"hi\\""
    """
    if len(token) > _QUOTE_LIMIT:
        token = token[: _QUOTE_LIMIT - 3] + "..."
    return '"' + "".join(map(_escape, token)) + '"'


def _escape(char: str) -> str:
    if char == '"':
        return '\\"'
    return char if char.isprintable() else repr(char)[1:-1]


def unify_line_ends(text: str) -> str:
    """LF for every line end: CRLF and a lone CR (old Macs) too."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse_delimited(text: str, source: str, *, inline: bool = False, raw: bytes | None = None,
                    tabs: bool = False, line_labels: Sequence[int | str] | None = None) -> np.ndarray:
    """Parse rows of numbers into a 2-D array, or a 3-D one of blank-line separated blocks.

    Rows are lines; with ``inline=True`` a ``;`` also ends a row and rows are
    counted as lines in messages. Values are separated by commas if any row
    has one (spaces around them are ignored), otherwise by spaces and tabs.
    ``#`` starts a comment. See :mod:`convcli.inputs` for the dtype rules.
    `raw`, if given, must be `text` encoded as UTF-8; it saves encoding it again.
    With ``tabs=True`` (a .tsv file), or in text with tabs and no spaces,
    every tab separates two values, so an empty cell is an error instead of
    vanishing into the whitespace split. `line_labels`, if given, are what
    messages call the lines of `text` (one each, in order, in place of their
    numbers), for text made from another whose rows were not one a line.

    >>> parse_delimited("1 2 3; 4 5 6", "input", inline=True)
    array([[1, 2, 3],
           [4, 5, 6]])
    >>> parse_delimited("1,2\\n3,x\\n", "data.csv")
    Traceback (most recent call last):
    ...
    convcli.errors.InputError: data.csv line 2, column 2: "x" is not a number
    """
    if raw is None or "#" in text:
        raw = None  # vet the content alone: comments may hold any characters
    text = unify_line_ends(text)
    if inline:  # a row ended by both ";" and a newline is one row, not two
        lines: list[str | None] = _INLINE_ROW_BREAK.split(_SEMICOLON_AT_EOL.sub("", text))
    else:
        lines = text.split("\n")
    if "#" in text:  # a comment line vanishes (None), so it neither holds values nor separates blocks
        lines = [None if line.lstrip().startswith("#") else line.partition("#")[0] for line in lines]
    numbers = range(1, len(lines) + 1) if line_labels is None else line_labels
    blocks = _blocks(lines)
    if not blocks:
        raise InputError(f"{source}: no numbers found (the input is empty)")
    if len(blocks) == 1 and blocks[0] == (0, len(lines)) and raw is not None:
        content = lines  # the common case: no comments, no blank lines but perhaps the last
    else:
        content = [line for start, stop in blocks for line in lines[start:stop] if line is not None]
    comma = any("," in line for line in content)
    # tab-delimited (a .tsv, or tabs and no spaces between values, as spreadsheets save .txt): no cell may be empty
    if not comma and "\t" in text and _EMPTY_TAB_CELL.search(text) and \
            (tabs or not any(" " in line.strip(" ") for line in lines if line)):
        _refuse_empty_tab_cell(lines, numbers, source)
    heights = {_height(lines, block) for block in blocks}
    if len(heights) == 1:
        values = _quick(content, comma, raw)
        if values is not None:
            return values.reshape(len(blocks), heights.pop(), -1) if len(blocks) > 1 else values
    return _careful(lines, numbers, blocks, comma, source)


_EMPTY_TAB_CELL = re.compile(r"\t[ ]*(?:\t|$)|^[ ]*\t", re.MULTILINE)  # a quick test before the line-by-line one


def _refuse_empty_tab_cell(lines: list[str | None], numbers: Sequence[int | str], source: str) -> None:
    """The first empty cell; a line of tabs alone is a row of empty cells, not a blank line."""
    for index, line in enumerate(lines):
        if line is None or "\t" not in line:
            continue
        for column, field in enumerate(line.split("\t"), 1):
            if not field.strip():
                raise InputError(f"{source} line {numbers[index]}, column {column}: empty value")


def _blocks(lines: list[str | None]) -> list[tuple[int, int]]:
    """Runs of lines without a blank one, as (start, stop) indexes; comment lines do not break a run."""
    blocks = []
    start = None
    for index, line in enumerate(lines):
        if line is None:
            continue
        if line and not line.isspace():
            if start is None:
                start = index
        elif start is not None:
            blocks.append((start, index))
            start = None
    if start is not None:
        blocks.append((start, len(lines)))
    return blocks


def _height(lines: list[str | None], block: tuple[int, int]) -> int:
    start, stop = block
    return stop - start - lines[start:stop].count(None)


def _quick(content: list[str], comma: bool, raw: bytes | None) -> np.ndarray | None:
    """Parse vetted ASCII text with numpy.loadtxt; None when the careful pass must decide."""
    if raw is None:
        joined = "\n".join(content)
        if not joined.isascii():
            return None
        raw = joined.encode("ascii")
        del joined
    rest = raw.translate(None, _INTEGER_BYTES)
    if not rest:
        dtype = np.int64
    elif not rest.translate(None, _DECIMAL_BYTES):
        dtype = np.float64
    else:
        return None  # fractions, underscores, letters, quotes: the careful pass decides
    del raw, rest
    try:
        with warnings.catch_warnings():
            # numpy < 2 reads an int64 overflow as a float with a DeprecationWarning.
            warnings.simplefilter("error")
            values = np.loadtxt(
                content, dtype=dtype, delimiter="," if comma else None, comments=None, ndmin=2
            )
    except (ValueError, TypeError, OverflowError, Warning):
        return None
    if values.shape[0] != len(content):
        return None
    return values


def _careful(lines: list[str | None], numbers: Sequence[int | str], blocks: list[tuple[int, int]], comma: bool,
             source: str) -> np.ndarray:
    """Read line by line: build the array, or raise at the first problem."""
    tokens, kinds, width, height = _scan(lines, numbers, blocks, comma, source, thorough=False)
    try:
        values = _convert(tokens, kinds)
    except ValueError:  # an integer beyond Python's digit limit: find it and say where
        _scan(lines, numbers, blocks, comma, source, thorough=True)
        raise
    return values.reshape((height, width) if len(blocks) == 1 else (len(blocks), height, width))


def _scan(
    lines: list[str | None], numbers: Sequence[int | str], blocks: list[tuple[int, int]], comma: bool, source: str, *,
    thorough: bool
) -> tuple[list[str], set[str], int, int]:
    """Check every line in order; return the tokens, their kinds and the block shape.

    A plain ASCII line is vetted at C speed by float() over its fields, which
    for such text accepts exactly the decimal grammar; any other line, and any
    line float() rejects, is checked token by token to name the first problem.
    `thorough` checks every token, digit limits included.
    """
    digit_limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    tokens: list[str] = []
    kinds: set[str] = set()
    width = None
    height = _height(lines, blocks[0])
    for block_number, block in enumerate(blocks, 1):
        start, stop = block
        for index in range(start, stop):
            line = lines[index]
            if line is None:
                continue
            fields = line.split(",") if comma else line.split()
            if not thorough and _plain_numbers(line, fields):
                kinds.add("float" if _DECIMAL_MARK.search(line) else "int")
            else:
                if comma:
                    fields = [field.strip() for field in fields]
                for column, field in enumerate(fields, 1):
                    kind = classify_number(field, digit_limit)
                    if kind not in ("int", "frac", "float"):
                        raise InputError(f"{source} line {numbers[index]}, column {column}: {kind}")
                    kinds.add(kind)
            if width is None:
                width = len(fields)
            elif len(fields) != width:
                raise InputError(f"{source} line {numbers[index]}: expected {count_noun(width, 'value')}, found {len(fields)}")
            tokens.extend(fields)
        if _height(lines, block) != height:
            raise InputError(
                f"{source} line {numbers[start]}: channel block {block_number} has {count_noun(_height(lines, block), 'row')}, "
                f"expected {height} like block 1 (blocks are separated by blank lines)"
            )
    return tokens, kinds, width, height


def _plain_numbers(line: str, fields: list[str]) -> bool:
    """True if every field is an int or decimal: float() decides, at C speed, on plain ASCII."""
    if not line.isascii() or "_" in line or "/" in line:
        return False
    try:
        sum(map(float, fields))
    except ValueError:
        return False
    return True


def classify_number(field: str, digit_limit: int = 0) -> str:
    """'int', 'frac' or 'float' for a number; otherwise the complaint about it
    (`digit_limit` 0: integers of any length)."""
    if not field:
        return "empty value"
    match = _NUMBER.fullmatch(field)
    if match is None:
        return f"{quote(field)} is not a number"
    kind = match.lastgroup
    if kind == "frac":
        numerator, _, denominator = field.partition("/")
        if not denominator.strip("0"):
            return f"{quote(field)} divides by zero"
        if digit_limit and max(len(numerator.lstrip("+-")), len(denominator)) > digit_limit:
            return f"{quote(field)} has more than {digit_limit} digits"
    elif kind == "int" and digit_limit and len(field.lstrip("+-")) > digit_limit:
        return f"{quote(field)} has more than {digit_limit} digits"
    return kind


def _convert(tokens: list[str], kinds: set[str]) -> np.ndarray:
    """Flat array from valid tokens: float64, Fraction objects, int64 or int objects."""
    if "float" in kinds:
        values = np.array([_fraction_to_float(t) if "/" in t else float(t) for t in tokens], dtype=np.float64)
        exact = fractions_beside_decimals(tokens, values) if "frac" in kinds else None
        return values if exact is None else exact
    if "frac" in kinds:
        from fractions import Fraction

        return object_array([Fraction(t) for t in tokens])
    integers = [int(t) for t in tokens]
    try:
        return np.array(integers, dtype=np.int64)
    except OverflowError:
        return object_array(integers)


MAX_EXACT_EXPONENT = 1000  # decimals with a larger exponent stay floats beside fractions
MAX_EXACT_DECIMAL = 40  # characters of a decimal read as a fraction beside fractions
MAX_EXACT_MIXED = 100_000  # values; a larger array of decimals and fractions stays float (Fraction() is ~2 us each)


def fractions_beside_decimals(parts: list, values: np.ndarray) -> np.ndarray | None:
    """Decimals typed beside fractions, as the fractions they spell (0.5 as
    1/2), so that --exact and traces still see the 1/9 next to them; without
    --exact they compute as the same floats. `parts` are tokens (text) or
    parsed numbers (JSON), `values` their floats.

    None keeps the floats where a fraction would change what is computed or
    cost too much: more than MAX_EXACT_MIXED values, NaN or infinity anywhere, a typed negative zero
    (a fraction has no sign of zero; -1e-400 is a negative fraction), a decimal longer than MAX_EXACT_DECIMAL characters or with an exponent beyond
    MAX_EXACT_EXPONENT (Fraction('1e-999999999') takes minutes; 1e-400 is
    quick, and exact although a float rounds it to zero), or no value that is
    not whole ("2.0 4/2" stays 2.0, 2.0)."""
    if values.size > MAX_EXACT_MIXED or not np.isfinite(values).all():
        return None
    from fractions import Fraction

    exact = []
    for part, value in zip(parts, values):
        if isinstance(part, str) and "/" not in part:
            if len(part) > MAX_EXACT_DECIMAL or _exponent(part) > MAX_EXACT_EXPONENT:
                return None
            number = Fraction(part)
        elif isinstance(part, float):
            number = Fraction(repr(part))  # JSON: the shortest form is what the file spelled
        else:
            number = Fraction(part)
        if number == 0 and np.signbit(value):  # a typed -0.0: a fraction has no sign of zero (-1e-400 has one)
            return None
        exact.append(number)
    if all(number.denominator == 1 for number in exact):
        return None
    return object_array(exact)


def _exponent(decimal: str) -> int:
    """|exponent| of a decimal such as 1e-400 (0 without one)."""
    _, _, exponent = decimal.lower().partition("e")
    try:
        return abs(int(exponent)) if exponent else 0
    except ValueError:
        return 0


def _fraction_to_float(token: str) -> float:
    numerator, _, denominator = token.partition("/")
    try:
        return int(numerator) / int(denominator)
    except OverflowError:  # too large for a float, as float("1e400") is
        return float("-inf") if numerator.startswith("-") else float("inf")


