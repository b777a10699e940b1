"""JSON text -> ndarray: nested lists of numbers, or one array picked from an object by key.

Booleans, nulls and strings are refused rather than coerced, except a string
holding an exact fraction such as ``"1/9"`` (what ``--exact`` writes), and nesting is
measured with a byte scan before :func:`json.loads` runs, so a hostile
``[[[[...`` is an :class:`InputError`, never a ``RecursionError``.
"""

from __future__ import annotations

import re
import sys

import numpy as np

from convcli.engine.numeric import object_array
from convcli.errors import InputError, count_noun
from convcli.textparse import classify_number, fractions_beside_decimals, quote

MAX_DIMENSIONS = 4
MAX_NESTING = 64  # objects may nest a little around the array; more is refused unparsed

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_KEYS_SHOWN = 10


SCALAR_ROLES = frozenset({"bias", "fill value"})


def parse_json(
    text: str, source: str, *, key: str | None = None, role: str | None = None, key_hint: str | None = None
) -> np.ndarray:
    """Parse JSON holding an array of numbers (up to 4 levels deep) into int64, float64 or object ints.

    A JSON object must be narrowed to one array: by `key`, or else by the key
    equal to `role` (``input``, ``kernel``, ``weights``). `key_hint` shows the
    user how to pass a key, e.g. ``"data.json:KEY"``.

    >>> parse_json('{"input": [[1, 2]], "kernel": [[0.5]]}', "d.json", role="kernel")
    array([[0.5]])
    >>> parse_json("[[1, true]]", "d.json")
    Traceback (most recent call last):
    ...
    convcli.errors.InputError: d.json: value at [0][1] is a boolean (true)
    """
    raw = text.encode("utf-8", "replace")
    _check_nesting(raw, source)
    import json

    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{source} line {error.lineno}, column {error.colno}: invalid JSON ({error.msg})") from None
    except RecursionError:
        raise InputError(f"{source}: has more than {MAX_DIMENSIONS} dimensions (nested too deep to read)") from None
    except ValueError as error:  # Python refuses integers of more than 4300 digits
        detail = str(error).split(":")[0]
        raise InputError(f"{source}: invalid JSON ({detail})") from None
    value, where = _select(document, source, key, role, key_hint)
    if role in SCALAR_ROLES and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]  # a --fill-value or one filter's --bias may be a bare number, as in a CSV file
    vetted = not (b"true" in raw or b"false" in raw or b"null" in raw)
    return json_to_array(value, source, where, vetted=vetted)


def json_to_array(value: object, source: str, where: str = "", *, vetted: bool = False) -> np.ndarray:
    """Nested lists from :func:`json.loads` -> array; `where` prefixes paths in messages.

    `vetted` says the document holds no ``true``, ``false`` or ``null``, so
    numpy may convert it directly; anything unusual takes the checking walk.
    """
    if not isinstance(value, list):
        subject = f"value at {where}" if where else "the JSON"
        raise InputError(f"{source}: {subject} is {_describe(value)}, not an array of numbers")
    if vetted:
        try:
            array = np.array(value)
        except (ValueError, TypeError, OverflowError):
            array = None
        if array is not None and array.dtype.kind == "i":
            return array.astype(np.int64, copy=False)
        # numpy turns integers beyond int64 into floats; only the walk can tell them from decimals.
        if array is not None and array.dtype.kind == "f" and not (np.abs(array) >= 2.0**63).any():
            return array.astype(np.float64, copy=False)
    return _walk(value, source, where)


def _check_nesting(raw: bytes, source: str) -> None:
    if raw.count(b"[") + raw.count(b"{") <= MAX_NESTING:
        return
    if b'"' in raw:
        raw = _STRING.sub(b'""', raw)
    brackets = np.frombuffer(raw.translate(None, _NOT_BRACKET), dtype=np.uint8)
    if brackets.size == 0:
        return
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    depth = int(np.cumsum(steps).max())
    if depth > MAX_NESTING:
        raise InputError(f"{source}: has more than {MAX_DIMENSIONS} dimensions (brackets nested {depth} deep)")


def _select(
    document: object, source: str, key: str | None, role: str | None, key_hint: str | None
) -> tuple[object, str]:
    """The array the user meant, and its path for messages."""
    if not isinstance(document, dict):
        if key is not None:
            raise InputError(f"{source}: holds a JSON array, not an object, so there is no key {quote(key)}")
        return document, ""
    keys = ", ".join(quote(k) for k in list(document)[:_KEYS_SHOWN]) + (", ..." if len(document) > _KEYS_SHOWN else "")
    if key is None:
        if role is not None and role in document:
            key = role
        elif not document:
            raise InputError(f"{source}: holds an empty JSON object, not an array")
        else:
            how = f"; choose one with {key_hint}" if key_hint else ""
            raise InputError(f"{source}: holds a JSON object, not an array{how} (keys: {keys})")
    if key not in document:
        raise InputError(f"{source}: has no key {quote(key)} (keys: {keys})")
    return document[key], f"[{quote(key)}]"


def _walk(value: list, source: str, where: str) -> np.ndarray:
    """Check every element in document order, then build the array."""
    shape = []
    probe: object = value
    while isinstance(probe, list):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    if len(shape) > MAX_DIMENSIONS:
        raise InputError(f"{source}: has {len(shape)} dimensions; at most {MAX_DIMENSIONS} are supported")
    leaves: list = []
    digit_limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()  # as textparse and json.loads apply it
    trail: list[int] = []
    any_float = any_fraction = False

    def path() -> str:
        return where + "".join(f"[{i}]" for i in trail)

    def unit(depth: int) -> str:
        """What the items of a list at `depth` are."""
        return "value" if depth == len(shape) - 1 else "row" if depth == len(shape) - 2 else "item"

    def visit(node: object, depth: int) -> None:
        nonlocal any_float, any_fraction
        if depth == len(shape):
            kind = type(node)
            if kind is int or kind is float:
                any_float = any_float or kind is float
                leaves.append(node)
                return
            if kind is str and classify_number(node, digit_limit) == "frac":
                from fractions import Fraction

                any_fraction = True
                leaves.append(Fraction(node))
                return
            expected = "; expected a number" if isinstance(node, (list, dict)) else ""
            raise InputError(f"{source}: value at {path()} is {_describe(node)}{expected}")
        if type(node) is not list:
            expected = count_noun(shape[depth], unit(depth))
            raise InputError(f"{source}: value at {path()} is {_describe(node)}; expected a list of {expected}")
        if len(node) != shape[depth]:
            noun = "row" if depth == len(shape) - 1 else "list"
            found = count_noun(len(node), unit(depth))
            raise InputError(f"{source}: {noun} {path()} has {found}, expected {shape[depth]}")
        for index, child in enumerate(node):
            trail.append(index)
            visit(child, depth + 1)
            trail.pop()

    visit(value, 0)
    if any_float:
        try:
            flat = np.array(leaves, dtype=np.float64)
        except OverflowError:
            raise InputError(f"{source}: an integer is too large to mix with decimal numbers") from None
        exact = fractions_beside_decimals(leaves, flat) if any_fraction else None
        flat = flat if exact is None else exact
    elif any_fraction:
        flat = object_array(leaves)
    else:
        try:
            flat = np.array(leaves, dtype=np.int64)
        except OverflowError:
            flat = object_array(leaves)
    return flat.reshape(shape)


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, (int, float)):
        shown = repr(value)
        return f"a number ({shown if len(shown) <= 40 else shown[:37] + '...'})"
    if isinstance(value, str):
        return f"a string ({quote(value)})"
    if value is None:
        return "null"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "an object"
