"""The work behind each command, without Typer: read the inputs, compute,
trace, and write the result.

cli.py declares the options and turns errors into exit codes; quick.py's
plain lane calls `run_operation` directly so that a small job never pays for
importing Typer. Rich is imported only where a table or trace is printed.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Optional

from .errors import ConvcliError, ConvcliWarning, InputError, OutputError, UsageError

FORMATS = ("table", "csv", "tsv", "json", "markdown", "latex", "npy")
TRACE_FORMATS = ("text", "markdown", "latex")


@dataclass
class OutputRequest:
    fmt: Optional[str]
    path: Optional[str]
    precision: Optional[int]
    no_color: bool


def choice(value: Optional[str], accepted: tuple[str, ...], name: str) -> Optional[str]:
    if value is None:
        return None
    key = value.strip().lower()
    if key not in accepted:
        raise UsageError(f"{name} {value!r} is not one of {', '.join(accepted)}")
    return key


def file_part(spec: str) -> str:
    """The file a spec names, without a trailing ``:key`` JSON selector."""
    if not os.path.exists(spec) and ":" in spec:
        return spec.rsplit(":", 1)[0]
    return spec


def refuse_output_over_input(output_path: Optional[str], pairs: list[tuple[Optional[str], str]]) -> None:
    """Refuse an -o file that is one of the files the command reads: each
    (spec, role) of the input, the kernel, and a --bias or --fill-value
    given as a file (a bare word read as numbers is not a file read)."""
    from .inputs import expand_home, reads_file

    if output_path is None or not os.path.exists(output_path):
        return
    for spec, role in pairs:
        if spec is None:
            continue
        if file_part(spec) == "-" and _stdin_is(output_path):  # `- k.csv -o in.csv < in.csv`
            raise UsageError(f"-o {output_path} would overwrite the input {spec}: stdin is redirected from that "
                             "file; choose another output file")
        source = expand_home(file_part(spec))
        # the name's parse as numbers (reads_file) only for the one spec naming the -o file
        if os.path.isfile(source) and os.path.samefile(source, output_path) and reads_file(spec, role):
            raise UsageError(f"-o {output_path} would overwrite the input {spec}; choose another output file")


def _stdin_is(path: str) -> bool:
    """Whether stdin is redirected from the file at `path`."""
    from .outputs import is_open_as

    try:
        descriptor = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdin (closed, or replaced by a test)
        return False
    return is_open_as(descriptor, path)


def read_inputs(pairs: list[tuple[str, str]], options: tuple[Optional[str], ...] = ()):
    """Read each (spec, role). At most one of them, and of the `options`
    (--bias and --fill-value, read later), may be stdin."""
    from .inputs import read_array, reads_stdin

    specs = [spec for spec, _ in pairs] + [spec for spec in options if spec is not None]
    if sum(map(reads_stdin, specs)) > 1:  # the first read leaves nothing for the next
        raise UsageError("only one argument can be read from stdin (- or -:KEY); to pick several keys of "
                         "one JSON object, save it to a file and give FILE.json:KEY for each")
    return [read_array(spec, role=role) for spec, role in pairs]


def input_names(pairs: list[tuple[str, str]]) -> list[str]:
    """How warnings name each (spec, role): the file, or the role for stdin and inline text."""
    from .inputs import reads_file

    return [spec if reads_file(spec, role) else role for spec, role in pairs]


def warn_non_finite(named: list[tuple[str, object]], result=None) -> None:
    """NaN and infinity are computed with, but said on stderr, once the
    computation has succeeded: which inputs held them or, when none did and
    the result does, that the result overflowed the float range."""
    import numpy as np

    said = False
    for name, value in named:
        array = np.asarray(value) if value is not None else None
        if array is None or array.dtype.kind != "f":
            continue
        nan_count = int(np.isnan(array).sum())
        inf_count = int(np.isinf(array).sum())
        if nan_count or inf_count:
            parts = [f"{n} {word}" for n, word in ((nan_count, "NaN"), (inf_count, "infinite")) if n]
            write_stderr(f"Warning: {name} holds {' and '.join(parts)} value(s); "
                             "results that touch them are NaN or infinite\n")
            said = True
    if not said and result is not None and result.dtype.kind == "f" and not np.isfinite(result).all():
        count = int(np.count_nonzero(~np.isfinite(result)))
        write_stderr(f"Warning: {count} result value(s) overflowed the float range to infinity or NaN\n")


def read_operands(input_spec: str, kernel_spec: str, *, padding, boundary, fill_value: str, stride, dilation, groups,
                  bias: Optional[str]):
    """(x, kernel, engine options, warn) for an operation or compare: `warn(x, kernel,
    options, result=None)` says which of them held NaN or infinity, naming each
    input as the user gave it."""
    pairs = [(input_spec, "input"), (kernel_spec, "kernel")]
    x, kernel = read_inputs(pairs, (bias, fill_value))
    options = dict(padding=padding, boundary=boundary, fill_value=read_number(fill_value, "fill value"),
                   stride=stride, dilation=dilation, groups=groups, bias=read_vector(bias, "bias"))
    names = input_names(pairs)

    def warn(x, kernel, options, result=None) -> None:
        warn_non_finite([*zip(names, (x, kernel)), ("fill value", options["fill_value"]), ("bias", options["bias"])],
                        result)

    return x, kernel, options, warn


def read_number(text: str, role: str):
    from .inputs import read_array

    values = read_array(text, role=role).reshape(-1)
    if values.size != 1:  # bad data, as a bias of the wrong length is: the text may be a file's name
        raise InputError(f"{role} must be one number, got {text!r}")
    return values[0]


def read_vector(text: Optional[str], role: str):
    if text is None:
        return None
    from .inputs import read_array

    return read_array(text, role=role).reshape(-1)


def console(no_color: bool, stream=None):
    """A Rich console; --no-color or NO_COLOR means no escape codes at all, not just no colours."""
    from rich.console import Console

    plain = no_color or bool(os.environ.get("NO_COLOR"))
    options = {"color_system": None} if plain else {}
    if stream is None:
        stream = StdoutWriter()
    return Console(file=stream, highlight=False, soft_wrap=False, **options)


def emit(result, request: OutputRequest, title: Optional[str] = None) -> None:
    """Write `result` to the -o file, or print it to stdout."""
    from . import outputs

    if request.path is not None:
        if outputs.is_dry_run(request.path):
            return
        fmt = outputs.format_for_path(request.path, request.fmt)
        outputs.write_atomic(request.path, outputs.encode(result, fmt, request.precision))
        return
    fmt = request.fmt or ("table" if sys.stdout.isatty() else "csv")
    if fmt == "npy":
        if sys.stdout.isatty():
            raise UsageError("--format npy writes binary data; redirect it to a file or use -o FILE.npy")
        write_stdout(outputs.encode(result, "npy"))
        return
    if fmt == "table":
        from .render import PLAIN_LINES, array_parts, line_count, parts_renderable, plain_lines

        screen = console(request.no_color)
        parts, needed = array_parts(result, title, request.precision, width=screen.width)
        if line_count(parts) > PLAIN_LINES:  # the same layout without styles, in a second, not a minute
            write_stdout("\n".join(plain_lines(parts)) + "\n")
            return
        screen.width = max(screen.width, needed)  # a narrower terminal (or COLUMNS=0) wraps the line, not the number
        screen.print(parts_renderable(parts))
        return
    write_stdout(outputs.render_text(result, fmt, request.precision))


def write_stdout(data) -> None:
    """Write text or bytes to stdout's file descriptor until all of it is
    written. A reader that leaves mid-output (`| head -c 10`) then raises
    BrokenPipeError (exit 141): through sys.stdout, CPython took a write the
    reader cut short for a success and dropped the rest, exiting 0."""
    stream = sys.stdout
    try:
        try:
            descriptor = stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a real file (a test's capture): write as usual
            if isinstance(data, bytes):
                stream.buffer.write(data)
            else:
                stream.write(data)
            return
        stream.flush()  # what was written before goes first
        if isinstance(data, str):
            data = encode_for(stream, data)
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    except BrokenPipeError:
        raise
    except OSError as error:  # a full disk (`> /dev/full`), a closed stdout (`>&-`)
        drop_stdout()
        raise OutputError(f"stdout: cannot write ({error.strerror or error})") from None


ASCII_FALLBACK = str.maketrans({"\u00b7": "*", "\u2026": "..."})  # the two non-ASCII characters traces print


def encode_for(stream, text: str) -> bytes:
    """`text` encoded as `stream` would encode it; where its encoding cannot
    hold a character (PYTHONIOENCODING=ascii, a C locale without UTF-8 mode),
    the traces' dot and ellipsis become ``*`` and ``...``, anything else ``?``."""
    encoding = stream.encoding or "utf-8"
    try:
        return text.encode(encoding, getattr(stream, "errors", None) or "strict")
    except UnicodeEncodeError:
        return text.translate(ASCII_FALLBACK).encode(encoding, "replace")


class StdoutWriter:
    """What Rich writes stdout through: `write_stdout`, so a closed pipe ends
    a table as it ends CSV, and a character the encoding lacks cannot stop it."""

    @property
    def encoding(self) -> str:  # what write_stdout encodes with
        return sys.stdout.encoding or "utf-8"

    def write(self, text: str) -> int:
        write_stdout(text)
        return len(text)

    def flush(self) -> None:
        sys.stdout.flush()

    def isatty(self) -> bool:
        return sys.stdout.isatty()


@dataclass
class TraceRequest:
    at: Optional[tuple[int, int]]
    steps: Optional[int]
    fmt: str


def parse_trace_request(trace: bool, at: Optional[str], steps: Optional[int], trace_format: Optional[str]) -> Optional[TraceRequest]:
    """None unless --trace, --at, --steps or --trace-format asks for a trace."""
    if not trace and at is None and steps is None and trace_format is None:
        return None
    from .trace import parse_at

    return TraceRequest(parse_at(at), steps, choice(trace_format, TRACE_FORMATS, "trace format") or "text")


def inexact(value):
    """Without --exact, fractions such as 1/9 compute as float64; integers stay exact."""
    from fractions import Fraction

    import numpy as np

    from .engine.numeric import to_float

    if isinstance(value, Fraction):  # a numpy float64, as a typed decimal reads: a value, not a weak Python float
        return np.float64(to_float(value)) if value.denominator != 1 else int(value)
    if isinstance(value, np.ndarray) and value.dtype == object:
        if any(isinstance(v, Fraction) and v.denominator != 1 for v in value.flat):
            return np.array([to_float(v) for v in value.flat], dtype=np.float64).reshape(value.shape)
    return value


def exact_operands(x, kernel, options: dict):
    """`exact_numbers` applied to the input, the kernel, the fill value and the bias."""
    return exact_numbers(x), exact_numbers(kernel), dict(options, fill_value=exact_numbers(options["fill_value"]),
                                                         bias=exact_numbers(options["bias"]))


def exact_numbers(value):
    """With --exact: each finite float becomes the fraction its shortest decimal
    form spells (0.1 is 1/10, as typed), so decimals compute exactly beside
    integers and fractions; whole numbers become int64, so the FFT may still
    serve them. An operand holding NaN or infinity, which no fraction is, stays
    float as a whole (the README says so; the NaN warning names the operand)."""
    from fractions import Fraction

    import numpy as np

    if isinstance(value, (float, np.floating)):
        return Fraction(str(value)) if np.isfinite(value) else value
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fO":
        return value
    floats = [v for v in value.flat if isinstance(v, (float, np.floating))] if value.dtype == object else value
    if len(floats) == 0 or not np.isfinite(np.asarray(floats, dtype=np.float64)).all():
        return value
    # str of a numpy float is its shortest round-trip form: '0.1' for float32 too
    items = [Fraction(str(v)) if isinstance(v, (float, np.floating)) else v for v in value.flat]
    if all(isinstance(v, (int, np.integer)) or v.denominator == 1 for v in items):
        whole = [int(v) for v in items]
        if all(-(2**63) <= v < 2**63 for v in whole):
            return np.array(whole, dtype=np.int64).reshape(value.shape)
    from .engine.numeric import object_array

    return object_array(items, value.shape)


def rich_wanted(no_color: bool) -> bool:
    """Rich output only on a terminal without --no-color or NO_COLOR; plain text otherwise."""
    return sys.stdout.isatty() and not no_color and not os.environ.get("NO_COLOR")


def check_trace_output(trace: Optional[TraceRequest], request: OutputRequest) -> None:
    if trace is not None and request.fmt == "npy" and request.path is None:
        raise UsageError("--trace writes text to stdout, which cannot also carry --format npy; use -o FILE.npy")


def worked_steps(operation: str, x, kernel, options: dict, trace: Optional[TraceRequest]):
    """The trace's steps, or None without --trace. Built before the result is
    computed, so a bad --at is the one error line, before any warning or work."""
    if trace is None:
        return None
    from .trace import build_trace

    return build_trace(operation, x, kernel, at=trace.at, steps=trace.steps, **options)


def print_if_it_fits(sections, no_color: bool, precision) -> bool:
    """Print trace or comparison sections with Rich if their tables fit the
    terminal; otherwise print nothing and return False, so the caller writes
    the plain text."""
    from .render_trace import fitting_renderable

    screen = console(no_color)
    renderable = fitting_renderable(sections, screen, precision)
    if renderable is None:
        return False
    screen.print(renderable)
    return True


def show_trace(worked, trace: TraceRequest, request: OutputRequest) -> None:
    """The worked steps, on stdout: with --trace they are part of the result asked for."""
    if trace.fmt == "text" and rich_wanted(request.no_color):
        from .trace_blocks import trace_sections

        if print_if_it_fits(trace_sections(worked), request.no_color, request.precision):
            return
    from .trace_text import format_trace

    write_stdout(format_trace(worked, trace.fmt, request.precision) + ("\n" if request.path is None else ""))


def emit_program(library, operation, x, kernel, options, like, request, trace) -> None:
    """--emit-code: write the program instead of the result (to stdout, or to the -o file)."""
    from . import outputs
    from .emit import emit_program

    if request.fmt is not None or trace is not None:
        raise UsageError("--emit-code prints a program; it does not combine with --format or --trace")
    approximate = dict(options, fill_value=inexact(options["fill_value"]), bias=inexact(options["bias"]))
    program = emit_program(library, operation, inexact(x), inexact(kernel), like=like, **approximate)
    if request.path is None:
        write_stdout(program)
    else:
        outputs.write_atomic(request.path, program.encode("utf-8"))


def run_operation(
    operation: str,
    input_spec: str,
    kernel_spec: str,
    *,
    padding: str,
    boundary: str,
    fill_value: str,
    stride: str,
    dilation: str,
    groups: str,
    bias: Optional[str],
    request: OutputRequest,
    trace: Optional[TraceRequest] = None,
    exact: bool = False,
    like: Optional[str] = None,
    emit_code: Optional[str] = None,
    method: str = "auto",
) -> None:
    from . import engine
    from .engine.methods import parse_method
    from .progress import computing

    method = parse_method(method)

    refuse_output_over_input(request.path, [(input_spec, "input"), (kernel_spec, "kernel"), (bias, "bias"),
                                            (fill_value, "fill value")])
    check_trace_output(trace, request)
    x, kernel, options, warn = read_operands(input_spec, kernel_spec, padding=padding, boundary=boundary,
                                             fill_value=fill_value, stride=stride, dilation=dilation, groups=groups,
                                             bias=bias)
    if emit_code is not None:
        emit_program(emit_code, operation, x, kernel, options, like, request, trace)
        return
    if like is not None:
        from .conventions import engine_padding

        options["padding"] = engine_padding(like, operation, padding, x.shape, kernel.shape, stride=stride,
                                            dilation=dilation, boundary=boundary)
    if exact:
        x, kernel, options = exact_operands(x, kernel, options)
    worked = worked_steps(operation, x, kernel, options, trace)
    computed = options if exact else dict(options, fill_value=inexact(options["fill_value"]), bias=inexact(options["bias"]))
    function = getattr(engine, operation)
    command = operation.replace("_", "-")  # progress and tables say the command's name
    with computing(command, request.no_color):
        result = function(x if exact else inexact(x), kernel if exact else inexact(kernel), **computed, method=method)
    warn(x, kernel, options, result)
    deliver(result, request, command, worked, trace)


def deliver(result, request: OutputRequest, title: str, worked=None, trace: Optional[TraceRequest] = None) -> None:
    """The worked steps, if asked for, then the result. With -o the file is
    written first, so a reader that stops the trace early (`| head`, quitting
    less) does not cost the file."""
    if request.path is not None:
        emit(result, request, title=title)
    if worked is not None:
        show_trace(worked, trace, request)
    if request.path is None:
        emit(result, request, title=title)


def output_request(fmt, output, precision, no_color, *, program: bool = False) -> OutputRequest:
    """The validated output options; `program` for --emit-code, whose -o file is a program of any name."""
    if precision is not None and not 1 <= precision <= 17:
        raise UsageError(f"--precision must be between 1 and 17 significant digits, got {precision}")
    if output == "-":
        output = None  # -o - is stdout, as for most tools
    fmt = choice(fmt, FORMATS, "format")
    if output is not None:
        from . import outputs

        output = os.path.expanduser(output)  # a quoted ~/x.csv, as the inputs read it
        # before any reading or computing: a bad -o must not cost the whole run, nor follow warnings
        outputs.check_target(output, try_writing=True)
        if not program and fmt == "table":
            raise UsageError("--format table is for the terminal; -o writes csv, tsv, json, markdown, latex or npy, "
                             "from the file's extension or --format")
        if not program and not outputs.is_dry_run(output):  # /dev/null takes any format
            outputs.format_for_path(output, fmt)
        extension = os.path.splitext(output)[1].lower() if program else ""
        if extension in outputs.EXTENSION_FORMATS and extension != ".txt":
            # a program saved as x.npy or x.csv would not read back as the data its name promises
            raise UsageError(f"--emit-code writes a program, but -o {output} names the "
                             f"{outputs.EXTENSION_FORMATS[extension]} format; give it a .py file (or .m for MATLAB)")
    return OutputRequest(fmt, output, precision, no_color)


def one_line(message) -> str:
    return " ".join(str(message).split())


def guarded(action, *, debug: bool = False) -> int:
    """Run `action` and return its exit code; our errors become one ``Error:``
    line on stderr (exit 1, or 2 for usage), never a traceback unless `debug`.

    Meanwhile integers of any length are read and printed: Python's default
    limit of 4300 digits guards servers against slow conversions of untrusted
    text, but here it would stop a calculator's exact results (two 3000-digit
    numbers multiply to 6000 digits) in the middle of printing them.
    """
    import warnings

    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    if limit:
        sys.set_int_max_str_digits(0)
    try:
        with warnings.catch_warnings():
            # numpy's overflow and invalid-value warnings: warn_non_finite says it in one line
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("always", ConvcliWarning)
            warnings.showwarning = _show_warning
            return _guarded(action, debug)
    finally:
        if limit:
            sys.set_int_max_str_digits(limit)


def _show_warning(message, category, *args, **kwargs) -> None:
    write_stderr(f"Warning: {message}\n")


def _guarded(action, debug: bool) -> int:
    try:
        result = action()
        # a reader that leaves mid-output (`| head -c 10`) must give 141 here, not an exit-time flush error
        sys.stdout.flush()
    except ConvcliError as error:
        show_traceback(debug)
        write_stderr(f"Error: {one_line(error)}\n")
        return error.exit_code
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); stop quietly like other filters
        drop_stdout()
        return 141
    except OSError as error:
        show_traceback(debug)
        if error.filename is None:
            # what Python's own stdout met (`--help > /dev/full`): a stream's error names no file
            drop_stdout()
            write_stderr(f"Error: stdout: cannot write ({error.strerror or error})\n")
        else:  # never seen: reading and writing files raise our own errors
            write_stderr(f"Error: {error.filename}: {error.strerror or error}\n")
        return 1
    except KeyboardInterrupt:
        return interrupted()
    except MemoryError:
        show_traceback(debug)
        write_stderr("Error: out of memory; the problem is too large for this machine\n")
        return 1
    return result if isinstance(result, int) else 0


def show_traceback(debug: bool) -> None:
    """With --debug, the traceback of the error being handled, before its
    one-line message; the exit code stays what it would be without."""
    if debug:
        import traceback

        write_stderr(traceback.format_exc())


def drop_stdout() -> None:
    """After stdout failed, send what is still buffered nowhere, so Python's
    flush at exit does not fail again with a traceback-like message."""
    try:
        sys.stdout = open(os.devnull, "w")
    except OSError:
        pass


def interrupted() -> int:
    """Ctrl-C: its one line, and the shell's exit code for it."""
    write_stderr("Error: interrupted\n")
    return 130


def write_stderr(line: str) -> None:
    """A warning or error line; a stderr that is closed or full loses it, not
    the result (the exit code still tells)."""
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr is closed or full too: the exit code says it
        pass
