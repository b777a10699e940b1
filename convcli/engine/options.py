"""Parse and validate the geometry options shared by every operation.

Each parser accepts the Python forms (ints, tuples) and the CLI's text forms
("2", "1,2", "1,2,3,4", "same"), and raises UsageError quoting the value and
the accepted forms.
"""

from __future__ import annotations

import operator

import numpy as np

from ..errors import UsageError

PADDING_WORDS = ("valid", "same", "full")

# Every accepted boundary name, mapped to the canonical one. The aliases are
# the names other libraries use for the same rule.
BOUNDARY_NAMES = {
    "fill": "fill",
    "constant": "fill",
    "zeros": "fill",
    "wrap": "wrap",
    "circular": "wrap",
    "symmetric": "symmetric",
    "symm": "symmetric",
    "reflect": "reflect",
    "replicate": "replicate",
    "edge": "replicate",
}


def _int_list(value, name: str) -> list[int]:
    """Turn 2, "2", "1,2", (1, 2), np.array([1, 2]) into a list of Python ints."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        try:
            return [int(p) for p in parts]
        except ValueError:
            raise UsageError(f"{name} {value!r} is not an integer or a comma-separated list of integers") from None
    if isinstance(value, np.ndarray):
        value = value.tolist()  # a 0-d array gives its one number, so 2.9 is refused, not cut to 2
    if isinstance(value, (bytes, bytearray, set, frozenset, dict)):
        # bytes would read as their character codes, a set in no fixed order
        raise UsageError(f"{name} {value!r} is not an integer or a sequence of integers")
    if _is_integer(value):
        return [operator.index(value)]
    if isinstance(value, (bool, np.bool_)):
        raise UsageError(f"{name} must be an integer, not {value!r}")
    try:
        items = list(value)
    except TypeError:
        raise UsageError(f"{name} {value!r} is not an integer or a sequence of integers") from None
    if not items:
        raise UsageError(f"{name} {value!r} is empty; give one integer or a sequence of integers")
    if not all(_is_integer(item) for item in items):
        raise UsageError(f"{name} {value!r} is not a sequence of integers")
    return [operator.index(item) for item in items]


def _is_integer(value) -> bool:
    """An int or integer scalar (numpy's, or a one-element integer tensor), never a bool."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, int):
        return True
    try:
        operator.index(value)  # what numpy does for an index: np.float64(2.0) and torch.tensor(2.7) refuse
    except TypeError:
        return False
    return True


def parse_sizes(value, name: str) -> list[int]:
    """A sequence of integers, as for a shape."""
    return _int_list(value, name)


def parse_pair(value, name: str) -> tuple[int, int]:
    """Stride or dilation: one positive integer for both axes, or two."""
    if type(value) is int and value >= 1:  # the common case, without the general parse
        return value, value
    numbers = _int_list(value, name)
    if len(numbers) == 1:
        numbers = numbers * 2
    if len(numbers) != 2:
        raise UsageError(f"{name} {value!r} must be one integer or two (rows,cols)")
    if min(numbers) < 1:
        raise UsageError(f"{name} must be at least 1, got {value!r}")
    return numbers[0], numbers[1]


def parse_padding(value) -> str | tuple[int, int, int, int]:
    """'valid'/'same'/'full', or explicit pads returned as (top, bottom, left, right)."""
    if isinstance(value, str) and value.strip().lower() in PADDING_WORDS:
        return value.strip().lower()
    if isinstance(value, str) and not any(ch.isdigit() for ch in value):
        raise UsageError(
            f"padding {value!r} is not one of valid, same, full, N, PH,PW or TOP,BOTTOM,LEFT,RIGHT"
        )
    numbers = _int_list(value, "padding")
    if min(numbers) < 0:
        raise UsageError(f"padding must not be negative, got {value!r}")
    if len(numbers) == 1:
        return (numbers[0],) * 4
    if len(numbers) == 2:
        return numbers[0], numbers[0], numbers[1], numbers[1]
    if len(numbers) == 4:
        return tuple(numbers)
    raise UsageError(f"padding {value!r} must have 1, 2 or 4 integers (N, PH,PW or TOP,BOTTOM,LEFT,RIGHT)")


def boundary_word(value) -> str:
    """A boundary name as written, in the form BOUNDARY_NAMES knows ('Zeros ' is 'zeros')."""
    return str(value).strip().lower()


def parse_boundary(value: str) -> str:
    """Canonical boundary name; the error lists the accepted names."""
    key = boundary_word(value)
    if key not in BOUNDARY_NAMES:
        accepted = ", ".join(sorted(set(BOUNDARY_NAMES.values())))
        raise UsageError(f"boundary {value!r} is not one of {accepted} (aliases: symm, circular, edge, constant, zeros)")
    return BOUNDARY_NAMES[key]


def parse_groups(value) -> int:
    if type(value) is int and value >= 1:
        return value
    numbers = _int_list(value, "groups")
    if len(numbers) != 1 or numbers[0] < 1:
        raise UsageError(f"groups must be one integer of at least 1, got {value!r}")
    return numbers[0]
