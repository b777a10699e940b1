"""Text, files and stdin -> ndarray; every problem is an InputError naming its source.

The one entry point is :func:`read_array`. It is pure (numpy and the standard
library) so the CLI and ``import convcli`` share it.

Dtype rules, which the engine relies on:

* all values integers that fit int64 -> ``int64``;
* all integers, some beyond int64 -> ``object`` array of Python ``int``;
* any fraction ``a/b`` and no decimals -> ``object`` array of
  :class:`fractions.Fraction` (every element, integers included);
* any decimal, exponent, ``nan`` or ``inf`` -> ``float64`` (fractions become floats);
* JSON: integers and floats as above; booleans, strings and null are refused;
* ``.npy``: bool and every integer dtype -> ``int64`` (uint64 values beyond
  int64 -> ``object`` ints); float16 and float32 -> ``float32``; float64 and
  longdouble -> ``float64``; complex, string, datetime, structured and object
  arrays are refused.

Shapes: the result has 2, 3 or 4 dimensions; a 1-D input ``[1, 2, 3]`` comes
back as one row, shape ``(1, 3)``. Delimited text gives 2-D, or 3-D
``(blocks, rows, columns)`` when blank lines separate channel blocks.
"""

from __future__ import annotations

import codecs
import io
import math
import os
import re
import stat
import sys
from typing import BinaryIO

import numpy as np

from convcli.errors import ConvcliWarning, InputError
from convcli.jsonparse import MAX_DIMENSIONS, parse_json
from convcli.markup import latex_to_delimited, looks_like_latex, looks_like_markdown, markdown_to_delimited
from convcli.textparse import parse_delimited, quote

MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown"})
TEXT_EXTENSIONS = frozenset({".csv", ".tsv", ".txt", ".tex"}) | MARKDOWN_EXTENSIONS
DATA_EXTENSIONS = TEXT_EXTENSIONS | {".json", ".npy"}
KERNEL_ROLES = frozenset({"kernel", "weights"})
NPY_MAGIC = b"\x93NUMPY"
_UTF8_BOM = b"\xef\xbb\xbf"
# Text that says by its byte-order mark that it is UTF-32 or UTF-16 (what Windows
# PowerShell's `>` and Excel's "Unicode Text" write) is read as that; UTF-32's
# marks come first, as UTF-32-LE's begins with UTF-16-LE's.
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
              (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
MAX_INPUT_BYTES = 2 * 1024**3
TEXT_MEMORY_FACTOR = 6  # parsing text takes about this many times its size in memory
_CHUNK_BYTES = 1 << 22
_SEPARATORS = re.compile(r"[\s,;]")
_NAME_LETTERS = re.compile(r"[A-DF-Za-df-z_~]")  # letters a number never has (e/E and nan/inf aside)
_NUMBER_WORDS = re.compile(r"(?i)nan|inf(?:inity)?")


def read_array(spec: str | os.PathLike[str], *, role: str = "input", stdin: BinaryIO | None = None) -> np.ndarray:
    """Read the array that `spec` names: stdin, a file, a named kernel or inline numbers.

    Parameters
    ----------
    spec : str
        ``-`` for stdin (``-:KEY`` picks a key of a JSON object); a path to a
        ``.csv``, ``.tsv``, ``.txt``, ``.json`` or ``.npy`` file, or a
        Markdown (``.md``) or LaTeX (``.tex``) table as convcli writes them
        (other extensions are sniffed; ``data.json:KEY`` picks a key); a named kernel
        such as ``sobel-x`` when `role` is ``kernel`` or ``weights``; or
        inline numbers, ``"1 2 3; 4 5 6"``, ``"1,2;3,4"``, ``"1/9 2/9"`` or
        JSON ``"[[1, 2], [3, 4]]"``.
    role : str
        What the array is for; names inline text in messages and picks the
        matching key of a JSON object.
    stdin : binary file object, optional
        Read for ``-`` instead of ``sys.stdin.buffer``.

    Returns
    -------
    numpy.ndarray
        2-D to 4-D, with the dtype rules of this module's docstring.

    Raises
    ------
    InputError
        For every problem, and only that, with a one-line message that starts
        with the source and names the line and column where that helps.

    Examples
    --------
    >>> read_array("1 2 3; 4 5 6")
    array([[1, 2, 3],
           [4, 5, 6]])
    >>> read_array("1 2; 3 x", role="kernel")
    Traceback (most recent call last):
    ...
    convcli.errors.InputError: kernel line 2, column 2: "x" is not a number
    """
    spec = os.fspath(spec)
    try:
        array, name = _dispatch(spec, role, stdin)
        return _finish(array, name, keep_vector=role == "weights")
    except InputError as error:
        if str(error).isprintable():
            raise
        raise InputError(_printable(str(error))) from error  # a file name with a newline, say
    except MemoryError as error:
        raise InputError(_printable(f"{_name_for(spec, role)}: not enough memory to read it")) from error
    except RecursionError as error:
        raise InputError(_printable(f"{_name_for(spec, role)}: nested too deeply to read")) from error
    except Exception as error:  # the promise: nothing but InputError leaves read_array
        detail = f"{type(error).__name__}: {_one_line(error)}"
        raise InputError(_printable(f"{_name_for(spec, role)}: could not be read ({detail})")) from error


def reads_stdin(spec: str) -> bool:
    """Whether `spec` reads stdin: ``-``, or ``-:KEY`` for a key of a JSON object."""
    return spec == "-" or spec.startswith("-:")


def _dispatch(spec: str, role: str, stdin: BinaryIO | None) -> tuple[np.ndarray, str]:
    if reads_stdin(spec):
        return _read_stdin(stdin, spec[2:] or None, role), "stdin"
    path, key, name = _find_file(spec)
    if path is not None:
        shadowed = _plain_meaning(spec, role) if key is None else None
        if shadowed is None:
            return _read_path(path, name, key, role), name
        array, name, meaning = shadowed
        if os.path.isdir(path):  # a folder named 1 could not be read anyway
            return array, name
        import warnings

        warnings.warn(f"{quote(spec)} is read as {meaning}, not as the file of that name here "
                      f"(write {quote(os.path.join('.', spec))} to read the file)", ConvcliWarning, stacklevel=3)
        return array, name
    kernel = _named_kernel(spec, role)
    if kernel is not None:
        return kernel, spec
    return _read_inline(spec, role), role


def reads_file(spec: str, role: str) -> bool:
    """Whether ``read_array(spec, role=role)`` reads a file here: not stdin, not
    a missing file, and not a bare word that reads as a named kernel or as
    inline numbers (those win over a file of that name)."""
    if reads_stdin(spec):
        return False
    try:
        path, key, _ = _find_file(spec)
    except InputError:  # a missing data file: reading it says so
        return False
    return path is not None and not os.path.isdir(path) and (key is not None or _plain_meaning(spec, role) is None)


def _named_kernel(spec: str, role: str) -> np.ndarray | None:
    if role not in KERNEL_ROLES:
        return None
    from convcli.kernels import named_kernel

    return named_kernel(spec)


def _plain_meaning(spec: str, role: str) -> tuple[np.ndarray, str, str] | None:
    """(array, name, description) when `spec`, a bare word that also names a
    file here, reads as a named kernel or as inline numbers: those win, as
    the README spells them (a stray file "1" left by a mistyped ``2>1`` must
    not replace the number 1); ./NAME reads the file."""
    kernel = _named_kernel(spec, role)
    if kernel is not None:
        return kernel, spec, "the named kernel"
    try:
        return _read_inline(spec, role), role, "inline numbers"
    except InputError:
        return None


def _find_file(spec: str) -> tuple[str | None, str | None, str]:
    """(path, key, name) of an existing file, (None, None, spec) for no file; raises for a missing data file."""
    if spec and os.path.lexists(expand_home(spec)):
        return expand_home(spec), None, spec
    head, colon, key = spec.rpartition(":")
    if colon and head and key:
        if os.path.lexists(expand_home(head)):
            return expand_home(head), key, head
        if _extension(head) in DATA_EXTENSIONS:
            raise InputError(f"{head}: no such file")
    if _extension(spec) in DATA_EXTENSIONS:
        raise InputError(f"{spec}: no such file")
    return None, None, spec


def _read_stdin(stdin: BinaryIO | None, key: str | None, role: str) -> np.ndarray:
    stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", sys.stdin)
    if stream is None:
        raise InputError("stdin: not available")
    data = _read_stream(stream, "stdin")
    return _parse_bytes(data, "stdin", key, role, extension="", key_hint="-:KEY")


def _os_error(name: str, error: OSError) -> InputError:
    """A failed stat or open, as one line naming the source."""
    if isinstance(error, FileNotFoundError):
        return InputError(f"{name}: no such file")
    if isinstance(error, PermissionError):
        return InputError(f"{name}: permission denied")
    if isinstance(error, IsADirectoryError):
        return InputError(f"{name}: is a directory")
    return InputError(f"{name}: cannot read it ({error.strerror or error})")


def _read_path(path: str, name: str, key: str | None, role: str) -> np.ndarray:
    try:
        info = os.stat(path)
    except OSError as error:
        raise _os_error(name, error) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{name}: is a directory")
    extension = _extension(path)
    if key is not None and extension in TEXT_EXTENSIONS | {".npy"}:
        raise InputError(f"{name}: only a JSON object has keys to select, not a {extension} file (key {quote(key)})")
    regular = stat.S_ISREG(info.st_mode)
    if regular and info.st_size > MAX_INPUT_BYTES:
        raise InputError(f"{name}: {_size(info.st_size)} is too large; the limit is {_size(MAX_INPUT_BYTES)}")
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise _os_error(name, error) from None
    with handle:
        if extension == ".npy" and regular:
            return _read_npy(handle, name, info.st_size)
        if regular and (extension in TEXT_EXTENSIONS or extension == ".json"):
            _check_text_memory(name, info.st_size)
        try:
            data = handle.read() if regular else _read_stream(handle, name)
        except OSError as error:
            raise InputError(f"{name}: cannot read it ({error.strerror or error})") from None
    return _parse_bytes(data, name, key, role, extension=extension, key_hint=f"{name}:KEY")


def _read_stream(stream: BinaryIO, name: str) -> bytes | bytearray:
    """Everything a stream holds, refusing more than MAX_INPUT_BYTES before holding it."""
    buffer = bytearray()
    while True:
        chunk = stream.read(_CHUNK_BYTES)
        if not chunk:
            return buffer
        if isinstance(chunk, str):  # a text stream such as io.StringIO
            chunk = chunk.encode("utf-8", "surrogateescape")
        buffer += chunk
        if len(buffer) > MAX_INPUT_BYTES:
            raise InputError(f"{name}: more than {_size(MAX_INPUT_BYTES)} of input; that is the limit")


def _parse_bytes(
    data: bytes | bytearray, name: str, key: str | None, role: str, *, extension: str, key_hint: str
) -> np.ndarray:
    """Parse by extension, or for an unknown one by content: npy magic, then JSON, then delimited text."""
    sniff = extension not in DATA_EXTENSIONS
    if extension == ".npy" or (sniff and data[: len(NPY_MAGIC)] == NPY_MAGIC):
        if key is not None:
            raise InputError(f"{name}: only a JSON object has keys to select, not a .npy array (key {quote(key)})")
        return _read_npy(io.BytesIO(data), name, len(data))
    if sniff:
        _check_text_memory(name, len(data))
    text = _decode(data, name)
    if extension == ".json" or (sniff and _first_char(text) in ("[", "{")):
        return parse_json(text, name, key=key, role=role, key_hint=key_hint)
    if key is not None:
        raise InputError(f"{name}: only a JSON object has keys to select (key {quote(key)})")
    if extension in MARKDOWN_EXTENSIONS or (sniff and looks_like_markdown(text)):
        return parse_delimited(markdown_to_delimited(text), name)
    if extension == ".tex" or (sniff and looks_like_latex(text)):
        return _parse_latex(text, name)
    raw = None if _wide_encoding(data) else bytes(data[3:]) if data[:3] == _UTF8_BOM else data
    return parse_delimited(text, name, raw=raw, tabs=extension == ".tsv")


def _parse_latex(text: str, name: str) -> np.ndarray:
    delimited, line_labels = latex_to_delimited(text)
    return parse_delimited(delimited, name, line_labels=line_labels)


def _read_inline(spec: str, role: str) -> np.ndarray:
    if _first_char(spec) in ("[", "{"):
        return parse_json(spec, role, role=role)
    if looks_like_latex(spec):  # a matrix pasted on the command line: '\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}'
        try:
            return _parse_latex(spec, role)
        except InputError:
            if "\\begin{" in spec or spec.lstrip().startswith("$"):
                raise  # surely LaTeX; with neither an environment nor math, perhaps a mistyped path ('data\\R&D')
    try:
        return parse_delimited(spec, role, inline=True)
    except InputError:
        word = spec.strip()
        if _SEPARATORS.search(word) or not _NAME_LETTERS.search(_NUMBER_WORDS.sub("", word)):
            raise
    # One word that cannot be a number: most likely a mistyped file or kernel name.
    if "/" in word or "\\" in word or word.startswith((".", "~")):
        raise InputError(f"{word}: no such file")
    from convcli.kernels import kernel_names, named_kernel

    if role in KERNEL_ROLES:
        raise InputError(
            f"{role}: {quote(word)} is not a file, a named kernel or a number (named kernels: {', '.join(kernel_names())})"
        )
    if named_kernel(word) is not None:
        raise InputError(f"{role}: {quote(word)} is a named kernel, but only the kernel can be named; give a file or numbers")
    raise InputError(f"{role}: {quote(word)} is not a file or a number")


def _read_npy(handle: BinaryIO, name: str, size: int) -> np.ndarray:
    """Check the header (dtype, shape, length, memory) before reading any data."""
    from numpy.lib import format as npy_format

    try:
        version = npy_format.read_magic(handle)
        read_header = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}.get(version)
        if version == (3, 0):
            raise InputError(f"{name}: .npy format version 3.0 is not supported; save it with version 1.0 or 2.0")
        if read_header is None:
            raise InputError(f"{name}: not a valid .npy file (unknown format version {version[0]}.{version[1]})")
        shape, _, dtype = read_header(handle)
    except InputError:
        raise
    except Exception as error:
        raise InputError(f"{name}: not a valid .npy file ({_one_line(error)})") from error
    target = _npy_target(dtype, name)
    shown = "x".join(map(str, shape))
    if len(shape) == 0:
        raise InputError(f"{name}: holds a single number, not an array")
    if len(shape) > MAX_DIMENSIONS:
        raise InputError(f"{name}: has {len(shape)} dimensions; at most {MAX_DIMENSIONS} are supported")
    count = math.prod(shape)
    if count == 0:
        raise InputError(f"{name}: no numbers found (the array is empty, shape {shown})")
    data_bytes = count * dtype.itemsize
    available = size - handle.tell()
    if data_bytes > available:
        raise InputError(
            f"{name}: truncated: the header declares {shown} {dtype.name} ({data_bytes} bytes) but {available} bytes follow"
        )
    needed = data_bytes + count * target.itemsize
    memory = _physical_memory()
    if memory is not None and needed > memory:
        raise InputError(f"{name}: a {shown} array needs {_size(needed)} of memory; this machine has {_size(memory)}")
    handle.seek(0)
    try:
        array = npy_format.read_array(handle, allow_pickle=False)
    except Exception as error:
        raise InputError(f"{name}: not a valid .npy file ({_one_line(error)})") from error
    if array.dtype.kind == "u" and array.dtype.itemsize == 8 and int(array.max()) > np.iinfo(np.int64).max:
        return array.astype(object, order="C")  # Python ints, exact
    return array.astype(target, order="C")


def _npy_target(dtype: np.dtype, name: str) -> np.dtype:
    """The dtype an .npy array is read as, or an InputError saying why it cannot be."""
    if dtype.hasobject:
        raise InputError(f"{name}: holds Python objects (dtype object); only numeric arrays can be read")
    if dtype.names is not None or dtype.subdtype is not None:
        raise InputError(f"{name}: holds structured records ({dtype}); only plain numeric arrays can be read")
    if dtype.kind in "biu":
        return np.dtype(np.int64)
    if dtype.kind == "f":
        return np.dtype(np.float32 if dtype.itemsize <= 4 else np.float64)
    if dtype.kind == "c":
        raise InputError(f"{name}: holds complex numbers ({dtype.name}); only real numbers are supported")
    raise InputError(f"{name}: holds {dtype.name} values, not numbers")


def _finish(array: np.ndarray, name: str, keep_vector: bool = False) -> np.ndarray:
    """The array as 2-D to 4-D; a 1-D JSON list or .npy vector stays 1-D for conv1x1's
    (C,) weights (text rows are 2-D already)."""
    if array.size == 0:
        raise InputError(f"{name}: no numbers found (the input is empty)")
    if array.ndim > MAX_DIMENSIONS:
        raise InputError(f"{name}: has {array.ndim} dimensions; at most {MAX_DIMENSIONS} are supported")
    if array.ndim < 2 and not (keep_vector and array.ndim == 1):
        array = array.reshape(1, -1)
    return array


def _wide_encoding(data: bytes | bytearray) -> str | None:
    """'UTF-32' or 'UTF-16' if the data begins with that encoding's byte-order mark."""
    return next((encoding for bom, encoding in _WIDE_BOMS if data[: len(bom)] == bom), None)


def _decode(data: bytes | bytearray, name: str) -> str:
    """The text of a file or stdin: UTF-8 (with or without a BOM), or UTF-16
    or UTF-32 when a byte-order mark says so."""
    wide = _wide_encoding(data)
    start = len(_UTF8_BOM) if data[:3] == _UTF8_BOM else 0
    try:
        return str(memoryview(data)[start:], wide or "utf-8")  # (the UTF-16 and -32 codecs drop their mark)
    except UnicodeDecodeError as error:
        offset = start + error.start
        raise InputError(f"{name}: not {wide or 'UTF-8'} text (byte 0x{data[offset]:02x} at offset {offset})") from None


def _check_text_memory(name: str, size: int) -> None:
    memory = _physical_memory()
    if memory is not None and size * TEXT_MEMORY_FACTOR > memory:
        raise InputError(
            f"{name}: {_size(size)} of text needs about {_size(size * TEXT_MEMORY_FACTOR)} of memory to parse; "
            f"this machine has {_size(memory)} (save it as .npy instead)"
        )


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _first_char(text: str) -> str:
    match = re.match(r"\s*(\S)", text)
    return match.group(1) if match else ""


def expand_home(path: str) -> str:
    """``~/x.csv`` as a shell expands it unquoted."""
    return os.path.expanduser(path) if path.startswith("~") else path


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _size(count: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def _printable(message: str) -> str:
    """One printable line: control characters and lone surrogates shown as escapes."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in message)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__


def _name_for(spec: str, role: str) -> str:
    """How to name a source in a last-resort message."""
    if reads_stdin(spec):
        return "stdin"
    return spec if spec and len(spec) <= 80 and not _SEPARATORS.search(spec) and spec[0] not in "[{" else role
