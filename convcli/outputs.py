"""Results to text and files: csv, tsv, json, npy; atomic writes.

Pure: no rich, no typer. Integers print as integers, exact fractions as
``a/b``, floats in their shortest round-trip form (or ``precision``
significant digits).
"""

from __future__ import annotations

import errno
import io
import json
import os
import tempfile
from fractions import Fraction

import numpy as np

from .errors import OutputError, UsageError

TEXT_FORMATS = ("csv", "tsv", "json", "markdown", "latex")
EXTENSION_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "csv",
    ".json": "json",
    ".npy": "npy",
    ".md": "markdown",
    ".tex": "latex",
}


def format_number(value, precision: int | None = None) -> str:
    """One number as text: ``4``, ``41/9``, ``4.5``, ``nan``."""
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    number = float(value)
    if precision is not None and np.isfinite(number):
        text = format(number, f".{precision}g")
        # a whole float keeps its '.0', as without --precision, so a file of it reads back as floats
        return text if "." in text or "e" in text else text + ".0"
    if isinstance(value, np.float32):
        # float32's own shortest form: 0.1, not the float64 widening 0.10000000149011612
        return str(value)
    return repr(number)


def _rows(matrix: np.ndarray, precision):
    return [[format_number(v, precision) for v in row] for row in matrix]


def to_delimited(array: np.ndarray, delimiter: str = ",", precision: int | None = None) -> str:
    """One row per line; the channels of a 3-D array as blocks split by a blank line."""
    blocks = ["\n".join(delimiter.join(row) for row in _rows(m, precision)) for m in _matrices(array)]
    return "\n\n".join(blocks) + "\n"


def _json_value(value, precision):
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else format_number(value)
    number = float(value)
    if precision is not None and np.isfinite(number):
        return float(format(number, f".{precision}g"))
    if isinstance(value, np.float32) and np.isfinite(number):
        return float(str(value))
    return number


def to_json(array: np.ndarray, precision: int | None = None) -> str:
    """The bare nested list; integers stay integers (exact fractions become "a/b" strings)."""

    def nest(a):
        if a.ndim == 1:
            return [_json_value(v, precision) for v in a]
        return [nest(sub) for sub in a]

    return json.dumps(nest(array)) + "\n"


def to_npy_bytes(array: np.ndarray) -> bytes:
    if array.dtype == object:
        if all(isinstance(v, (int, np.integer)) for v in array.flat):
            raise OutputError("the result has integers beyond int64, which .npy cannot hold; use .csv or .json")
        raise OutputError("the result holds exact fractions, which .npy cannot hold; use .csv or .json, or drop --exact")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _matrices(array: np.ndarray):
    return [array] if array.ndim == 2 else list(array.reshape((-1,) + array.shape[-2:]))


def to_markdown(array: np.ndarray, precision: int | None = None) -> str:
    """A pipe table per channel, columns headed by their index."""
    blocks = []
    for channel, matrix in enumerate(_matrices(array)):
        lines = [] if array.ndim == 2 else [f"channel {channel}", ""]
        lines.append("| " + " | ".join(str(c) for c in range(matrix.shape[1])) + " |")
        lines.append("|" + "---:|" * matrix.shape[1])
        lines += ["| " + " | ".join(row) + " |" for row in _rows(matrix, precision)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _latex_number(text: str) -> str:
    if "/" in text:
        numerator, denominator = text.split("/")
        sign = "-" if numerator.startswith("-") else ""
        return f"{sign}\\tfrac{{{numerator.lstrip('-')}}}{{{denominator}}}"
    if text in ("nan", "inf", "-inf"):
        return {"nan": "\\mathrm{NaN}", "inf": "\\infty", "-inf": "-\\infty"}[text]
    return text


def to_latex(array: np.ndarray, precision: int | None = None) -> str:
    """A ``bmatrix`` per channel (amsmath)."""
    blocks = []
    for matrix in _matrices(array):
        body = " \\\\\n".join(" & ".join(_latex_number(v) for v in row) for row in _rows(matrix, precision))
        blocks.append("\\begin{bmatrix}\n" + body + "\n\\end{bmatrix}")
    return "\n\n".join(blocks) + "\n"


def render_text(array: np.ndarray, fmt: str, precision: int | None = None) -> str:
    if fmt == "markdown":
        return to_markdown(array, precision)
    if fmt == "latex":
        return to_latex(array, precision)
    if fmt == "csv":
        return to_delimited(array, ",", precision)
    if fmt == "tsv":
        return to_delimited(array, "\t", precision)
    if fmt == "json":
        return to_json(array, precision)
    raise OutputError(f"format {fmt!r} is not a text format")


PLAIN_TEXT_FORMATS = ("csv", "tsv")  # what a .txt file may hold and still read back


def format_for_path(path: str, explicit: str | None) -> str:
    """The format to write `path` in: its extension's, or the explicit one
    for a .txt (csv or tsv) or an extension convcli does not know. A format
    that contradicts the extension is refused (a .csv holding npy bytes would
    not read back)."""
    extension = os.path.splitext(path)[1].lower()
    named = EXTENSION_FORMATS.get(extension)
    if explicit is None or explicit == named:
        if named is None:
            known = ", ".join(sorted(EXTENSION_FORMATS))
            raise UsageError(f"cannot tell the format of {path!r} from its extension; use one of {known} or --format")
        return named
    if named is not None and not (extension == ".txt" and explicit in PLAIN_TEXT_FORMATS):
        raise UsageError(f"-o {path} names the {named} format but --format says {explicit}; "
                         "leave out --format, or give the file a matching extension")
    return explicit


def check_target(path: str, *, try_writing: bool = False) -> tuple[str, str]:
    """Refuse, before any work, an -o path that cannot be written: a folder
    that does not exist (or is a file), a directory, a device, pipe or socket,
    the file stdout or stderr already goes to (`-o /dev/stdout` in a
    redirect would replace the caller's file); with `try_writing`, also a
    folder where no file can be created. Returns (the file to replace, its
    folder): a symbolic link is written through."""
    shown = path
    if not path:
        raise UsageError("-o needs a file name (or - for stdout)")
    if is_dry_run(path):
        return os.devnull, os.path.dirname(os.devnull)
    for descriptor, name in ((1, "stdout"), (2, "stderr")):
        # a file, pipe or terminal: /dev/stdout into a pipe resolves to no path at all
        if is_open_as(descriptor, path):
            raise UsageError(f"-o {shown} is where {name} already goes; leave out -o (or use -o -) to write to stdout")
    if os.path.islink(path):
        try:
            os.stat(path)
        except OSError as error:
            if error.errno == errno.ELOOP:  # a loop has no target to replace
                raise OutputError(f"{shown}: cannot write ({error.strerror})") from None
        path = os.path.realpath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise OutputError(f"{shown}: is a directory")
    if os.path.isfile(path) and not os.access(path, os.W_OK):
        # renaming over it would need only the folder's permission; `>` and cp refuse it, and so does -o
        raise OutputError(f"{shown}: cannot write (the file is write-protected)")
    if os.path.exists(path) and not os.path.isfile(path):
        # renaming over a device, pipe or socket would replace it, not write to it
        raise OutputError(f"{shown}: not a regular file; -o writes files (leave out -o to write to stdout)")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise OutputError(f"{shown}: {folder} is a file, not a folder")
    if not os.path.isdir(folder):
        raise OutputError(f"{shown}: folder {folder} does not exist")
    if try_writing:
        try:
            handle, probe = tempfile.mkstemp(prefix=".convcli-", suffix=".tmp", dir=folder)
        except OSError as error:
            raise OutputError(f"{shown}: cannot write here ({error.strerror})") from None
        os.close(handle)
        os.unlink(probe)
    return path, folder


def is_dry_run(path: str) -> bool:
    """-o /dev/null (or a link to it): a dry run, where nothing is written."""
    return os.path.realpath(path) == os.devnull


def is_open_as(descriptor: int, path: str) -> bool:
    """Whether the open file `descriptor` (stdin 0, stdout 1, stderr 2) is the file at `path`."""
    try:
        open_file, target = os.fstat(descriptor), os.stat(path)
    except OSError:
        return False
    return (open_file.st_dev, open_file.st_ino) == (target.st_dev, target.st_ino)


def encode(array: np.ndarray, fmt: str, precision: int | None = None) -> bytes:
    if fmt == "npy":
        return to_npy_bytes(array)
    return render_text(array, fmt, precision).encode("utf-8")


def write_atomic(path: str, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it into place, so
    an existing file is either replaced whole or left untouched. A symbolic
    link is written through: its target is replaced, the link stays."""
    path, folder = check_target(path)  # again: the folder may have changed while the result was computed
    if path == os.devnull:
        return
    try:
        handle, temporary = tempfile.mkstemp(prefix=".convcli-", suffix=".tmp", dir=folder)
    except OSError as error:
        raise OutputError(f"{path}: cannot write here ({error.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if os.path.exists(path):
            replaced = os.stat(path)
            try:  # keep the owner and group too, where allowed (root, or a group of one's own)
                os.chown(temporary, replaced.st_uid, replaced.st_gid)
            except OSError:
                pass
            os.chmod(temporary, replaced.st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException as error:  # Ctrl-C as well: never leave the temporary file behind
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise OutputError(f"{path}: cannot write ({error.strerror})") from None
        raise
