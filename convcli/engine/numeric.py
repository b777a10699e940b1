"""Number types: which dtype a computation runs in, and keeping integers exact.

Integer data stays integer. When the worst case of a sum of products could
leave int64, the work is done on Python integers (dtype=object) instead, and
the result comes back as int64 whenever every value fits.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from ..errors import InputError

INT64_MAX = 2**63 - 1


def as_numeric_array(value, name: str) -> np.ndarray:
    """An ndarray of int64, float32/64 or exact Python numbers (object).

    float16 computes as float32, other float types (longdouble) as float64.
    """
    try:
        array = np.asarray(value)
    except (ValueError, TypeError, RuntimeError) as error:
        # ragged lists (ValueError), or another library's array that will not convert:
        # torch's tensors that require grad (RuntimeError), bfloat16 ones (TypeError)
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        what = "is not a rectangular array of numbers" if isinstance(error, ValueError) else \
            f"({type(value).__name__}) could not be read as a numpy array"
        raise InputError(f"{name} {what} ({detail})") from None
    if not array.dtype.isnative:  # big-endian data ('>f4' from another machine's file): same type, native order
        array = array.astype(array.dtype.newbyteorder("="))
    kind = array.dtype.kind
    if array.dtype == np.float64 and not isinstance(value, np.ndarray) and _holds_beyond_int64(array):
        # numpy makes a float64 of Python ints that mix int64 with uint64 (2 and 2**64 - 1)
        exact = np.array(value, dtype=object)
        if exact.shape == array.shape and all(isinstance(v, (int, np.integer)) for v in exact.flat):
            return object_array([int(v) for v in exact.flat], exact.shape)
    if kind == "b":
        return array.astype(np.int64)
    if kind in "iu":
        if array.dtype == np.uint64 and array.size and int(array.max()) > INT64_MAX:
            return array.astype(object)
        return array.astype(np.int64, copy=False)
    if kind == "f":
        if array.dtype == np.float32:
            return array
        if array.dtype == np.float16:  # every half is a float32, as the .npy reader widens it
            return array.astype(np.float32)
        return array.astype(np.float64, copy=False)
    if kind == "O":
        return _check_object_array(array, name)
    if kind == "c":
        raise InputError(f"{name} is complex; convcli works on real numbers only")
    raise InputError(f"{name} has dtype {array.dtype}, which is not numeric")


def _holds_beyond_int64(array: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool(array.size) and bool(np.any(np.abs(array) >= 2.0**63))


def _check_object_array(array: np.ndarray, name: str) -> np.ndarray:
    """The array with numpy scalars made Python numbers (an np.int64 item
    would wrap where a Python int grows); refuses anything not a number."""
    from fractions import Fraction

    converted = False
    for item in array.flat:
        if isinstance(item, bool) or not isinstance(item, (int, Fraction, float, np.integer, np.floating)):
            raise InputError(f"{name} holds {type(item).__name__} {item!r}, which is not a number")
        converted = converted or isinstance(item, (np.integer, np.floating))
    if not converted:
        return array
    items = [int(v) if isinstance(v, np.integer) else float(v) if isinstance(v, np.floating) else v for v in array.flat]
    return object_array(items, array.shape)


def object_array(items: list, shape=None) -> np.ndarray:
    """An object array holding `items` as they are (np.array would make small
    ints int64, and mixed big ints float64), 1-D or reshaped to `shape`."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out if shape is None else out.reshape(shape)


def to_float(value) -> float:
    """float(value), or an infinity for an integer or fraction beyond the float
    range (as float("1e400") is)."""
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def is_exact(array: np.ndarray) -> bool:
    """True for integer arrays and arrays of Python ints or Fractions."""
    if array.dtype.kind in "iu":
        return True
    if array.dtype == object:
        return not any(isinstance(item, (float, np.floating)) for item in array.flat)
    return False


FLOAT32_EXACT = 2**24  # every integer up to this size is a float32


def result_dtype(arrays: list[np.ndarray]):
    """The dtype to compute in: object if any operand is exact Python numbers,
    int64 if all are integers, float32 only if every float operand is float32
    and every integer operand is a float32 exactly (|v| <= 2**24, as uint8 and
    int16 images always are), else float64.

    The integer condition keeps integer data from being rounded on the way in:
    numpy's ``int64 * float32`` is float64 for the same reason.

    >>> result_dtype([np.array([255]), np.zeros(1, np.float32)]), result_dtype([np.array([2**24 + 1]), np.zeros(1, np.float32)])
    (<class 'numpy.float32'>, <class 'numpy.float64'>)
    """
    if any(a.dtype == object for a in arrays):
        if all(is_exact(a) for a in arrays):
            return object
        return np.float64
    if all(a.dtype.kind in "iu" for a in arrays):
        return np.int64
    floats = [a for a in arrays if a.dtype.kind == "f"]
    if floats and all(a.dtype == np.float32 for a in floats) and \
            all(_max_abs(a) <= FLOAT32_EXACT for a in arrays if a.dtype.kind in "iu"):
        return np.float32
    return np.float64


def _max_abs(array: np.ndarray) -> int:
    if array.size == 0:
        return 0
    return max(abs(int(array.max())), abs(int(array.min())))


def int64_is_safe(x: np.ndarray, weight: np.ndarray, terms: int, extra=0) -> bool:
    """Whether every partial sum of `terms` products of x and weight, plus
    |extra|, provably stays inside int64."""
    bound = _max_abs(x) * _max_abs(weight) * terms + abs(int(extra))
    return bound <= INT64_MAX


def _caller_level() -> int:
    """The `stacklevel` that makes a warning name the first line outside the
    convcli package (its caller's own call), as Python 3.12's
    skip_file_prefixes would: filters by module, and the line shown, then
    point at the user's code."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frame, level = sys._getframe(1), 1  # level 1: the function that calls warnings.warn
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def to_dtype(array: np.ndarray, dtype) -> np.ndarray:
    if dtype is object:
        if array.dtype == object:
            return array
        if array.dtype.kind in "iu":
            # Python ints, never rounded through floats
            return np.array(array.tolist(), dtype=object).reshape(array.shape)
        return array.astype(object)
    if array.dtype == object and np.dtype(dtype).kind == "f":
        out = np.array([to_float(v) for v in array.flat], dtype=dtype).reshape(array.shape)
        if np.isinf(out).any():
            overflowed = sum(1 for v, f in zip(array.flat, out.flat)
                             if np.isinf(f) and not isinstance(v, (float, np.floating)))
            if overflowed:  # never silently, as numpy warns of an overflow (float(10**400) raises)
                warnings.warn(f"{overflowed} exact value(s) beyond the {np.dtype(dtype).name} range became infinity",
                              RuntimeWarning, stacklevel=_caller_level())
        return out
    return array.astype(dtype, copy=False)


def shrink_exact(result: np.ndarray) -> np.ndarray:
    """Return Python-int results as int64 when every value fits."""
    if result.dtype != object or result.size == 0:
        return result
    from fractions import Fraction

    values = list(result.flat)
    if all(isinstance(v, Fraction) and v.denominator == 1 for v in values if not isinstance(v, int)):
        ints = [int(v) for v in values]
        if all(-INT64_MAX - 1 <= v <= INT64_MAX for v in ints):
            return np.array(ints, dtype=np.int64).reshape(result.shape)
        return np.array(ints, dtype=object).reshape(result.shape)
    return result
