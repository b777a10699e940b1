"""A fast lane through the CLI for plain operation commands.

Typer builds a pydantic validator for every parameter of the command it runs,
which costs more than importing numpy (about 0.2 s on a 2-core machine) and
dominates a small job such as ``convcli conv2d in.csv k.csv > out.csv``.
This module reads such a command line itself and calls the same command
function with the same keyword arguments Typer would pass, so every check,
message and output stays the one ``cli.py`` defines.

It only takes command lines it understands completely: a known operation, its
positional arguments, and options spelled exactly as declared, each at most
once, with values that do not look like options. Anything else (help,
--version, unknown or repeated options, a value Typer would have to convert
and might reject) returns None, and the caller runs Typer as usual, which
then produces the usual result or error.

Two lanes. `parse` still imports cli.py (and so Typer, ~40 ms) and calls the
command function itself, so it needs no copy of any logic. `main`, the
console script's entry point, first tries the narrower `plain_command`: an
operation with geometry options and CSV/TSV/JSON on stdout, which it hands
to ``pipeline.run_operation`` (the code the full CLI runs too) without
importing Typer at all; tests/test_quick.py runs every such command line
both ways and compares stdout, stderr and exit code.
"""

from __future__ import annotations

import functools
import sys
import typing

FAST_COMMANDS = ("conv2d", "correlate2d", "im2col-matmul", "conv1x1", "compare")
INT_DIGITS = 4300  # integer options this long or longer go to Typer, whose own parser decides (it counts a '-')


@functools.lru_cache(maxsize=8)
def _signature(callback):
    """(positional parameter names, {option spelling: (name, kind)}) of a command."""
    from typer.models import ArgumentInfo, OptionInfo

    hints = typing.get_type_hints(callback, include_extras=True)
    positional: list[str] = []
    options: dict[str, tuple[str, str]] = {}
    for name, hint in hints.items():
        if name == "return":
            continue
        hint = _strip_implicit_optional(hint)
        if typing.get_origin(hint) is not typing.Annotated:
            return None
        base, *extras = typing.get_args(hint)
        info = next((e for e in extras if isinstance(e, (ArgumentInfo, OptionInfo))), None)
        if info is None or getattr(info, "callback", None) is not None:
            return None
        kind = _kind(base)
        if kind is None:
            return None
        if isinstance(info, ArgumentInfo):
            if kind != "str":
                return None
            positional.append(name)
            continue
        if info.envvar or info.prompt or info.parser is not None or info.is_eager:
            return None
        # with Annotated, Typer takes a string "default" as the first spelling
        spellings = list(info.param_decls or ())
        if isinstance(info.default, str) and info.default.startswith("-"):
            spellings.insert(0, info.default)
        if not spellings:
            if kind == "flag":
                return None  # Typer would add a --no- form
            spellings = ["--" + name.replace("_", "-")]
        for spelling in spellings:
            if "/" in spelling or not spelling.startswith("-"):
                return None
            options[spelling] = (name, kind)
    return tuple(positional), options


def _strip_implicit_optional(hint):
    """Python 3.10's get_type_hints wraps ``Annotated[Optional[X], ...] = None``
    in one more Optional; 3.11 and later do not."""
    if typing.get_origin(hint) is typing.Union:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1 and typing.get_origin(members[0]) is typing.Annotated:
            return members[0]
    return hint


def _kind(annotation) -> str | None:
    if annotation is str:
        return "str"
    if annotation is bool:
        return "flag"
    if annotation is int:
        return "int"
    if typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _kind(members[0])
    return None


def looks_like_data(text: str) -> bool:
    """A value that starts with '-' but is no option: a negative number or
    matrix ("-1 2; 3 4", "-.5", "-inf"), or stdin with a JSON key ("-:KEY")."""
    if not text.startswith("-") or text == "-":
        return False
    second = text[1:2]
    return second in "0123456789.:[" or second.isspace() or text[:4].lower() in ("-inf", "-nan")


def _looks_like_option(text: str) -> bool:
    return text.startswith("-") and text != "-" and not looks_like_data(text)


def _read_options(rest: list[str], options: dict[str, tuple[str, str]]):
    """(positional arguments, {name: value}) when every token is a positional
    or an option of `options` (spelling -> (name, kind)) given at most once,
    or None for anything else."""
    values: dict[str, object] = {}
    positional: list[str] = []
    index = 0
    while index < len(rest):
        token = rest[index]
        index += 1
        if not _looks_like_option(token):
            positional.append(token)
            continue
        spelling, has_value, value = token.partition("=") if token.startswith("--") else (token, "", "")
        if spelling not in options:
            return None
        name, kind = options[spelling]
        if name in values:
            return None
        if kind == "flag":
            if has_value:
                return None
            values[name] = True
            continue
        if not has_value:
            if index >= len(rest) or _looks_like_option(rest[index]):
                return None
            value = rest[index]
            index += 1
        if kind == "int":
            # ASCII digits with one optional sign; anything else ("--5", "²", or INT_DIGITS
            # characters or more, near its parser's limit) goes to Typer for its answer
            text = value.strip()
            digits = text[1:] if text[:1] in ("-", "+") else text
            if not (digits.isascii() and digits.isdigit()) or len(text) >= INT_DIGITS:
                return None
            value = int(value)
        values[name] = value
    return positional, values


def parse(app, args: list[str]):
    """A zero-argument callable running the command of `args`, or None when
    Typer should handle this command line."""
    if not args or args[0] not in FAST_COMMANDS:
        return None
    callback = next((c.callback for c in app.registered_commands if c.name == args[0]), None)
    if callback is None:
        return None
    signature = _signature(callback)
    if signature is None:
        return None
    positional_names, options = signature
    read = _read_options(args[1:], options)
    if read is None or len(read[0]) != len(positional_names):
        return None
    positional, values = read
    values.update(zip(positional_names, positional))
    return functools.partial(callback, **values)


def values_after_double_dash(app, args: list[str]) -> list[str]:
    """`args` for Click: when a positional value starts with '-' ("-1 2; 3 4",
    "-:KEY"), Click would take it for an option, so every positional moves
    after ``--``, in order; options and their values stay in front."""
    end = args.index("--") if "--" in args else len(args)
    if not args or not any(looks_like_data(a) for a in args[1:end]):
        return args
    callback = next((c.callback for c in app.registered_commands if c.name == args[0]), None)
    signature = _signature(callback) if callback is not None else None
    if signature is None:
        return args
    options = signature[1]
    front, positional = [args[0]], []
    index = 1
    while index < end:
        token = args[index]
        index += 1
        if not _looks_like_option(token):
            positional.append(token)
            continue
        front.append(token)
        spelling, has_value, _ = token.partition("=")
        if options.get(spelling, (None, "flag"))[1] != "flag" and not has_value:  # unknown ones: Click reports them
            if index >= end:  # the value is missing: say so as Click does (left as it is, Click
                from .cli import click_exceptions  # would first meet "-1 2" as an option)

                raise click_exceptions().BadOptionUsage(spelling, f"Option {spelling!r} requires an argument.")
            front.append(args[index])
            index += 1
    return front + ["--"] + positional + args[end + 1 :]


# ---- the plain lane: no Typer import ----

PLAIN_COMMANDS = {"conv2d": "conv2d", "correlate2d": "correlate2d", "im2col-matmul": "im2col_matmul"}
PLAIN_OPTIONS = {
    "--padding": "padding", "-p": "padding",
    "--boundary": "boundary", "-b": "boundary",
    "--fill-value": "fill_value",
    "--stride": "stride", "-s": "stride",
    "--dilation": "dilation", "-d": "dilation",
    "--groups": "groups", "-g": "groups",
    "--bias": "bias",
    "--method": "method",
    "--format": "format", "-f": "format",
}
PLAIN_DEFAULTS = {"padding": "valid", "boundary": "fill", "fill_value": "0", "stride": "1", "dilation": "1",
                  "groups": "1", "bias": None, "method": "auto", "format": None}
PLAIN_FORMATS = ("csv", "tsv", "json")


def plain_command(args: list[str]):
    """(operation, input, kernel, options) for a command line the plain lane
    runs exactly as cli.py would, or None."""
    if not args or args[0] not in PLAIN_COMMANDS:
        return None
    read = _read_options(args[1:], {spelling: (name, "str") for spelling, name in PLAIN_OPTIONS.items()})
    if read is None:
        return None
    positional, given = read
    values = dict(PLAIN_DEFAULTS, **given)
    if len(positional) != 2:
        return None
    if values["format"] is None and sys.stdout.isatty():
        return None  # a Rich table: the full CLI
    if values["format"] is not None and values["format"] not in PLAIN_FORMATS:
        return None
    return PLAIN_COMMANDS[args[0]], positional[0], positional[1], values


def run_plain(operation: str, input_spec: str, kernel_spec: str, values: dict) -> None:
    """The plain lane's command, through the same pipeline the full CLI uses."""
    from .pipeline import output_request, run_operation

    run_operation(operation, input_spec, kernel_spec, padding=values["padding"], boundary=values["boundary"],
                  fill_value=values["fill_value"], stride=values["stride"], dilation=values["dilation"],
                  groups=values["groups"], bias=values["bias"], method=values["method"],
                  request=output_request(values["format"], None, None, False))


class ClosedStream:
    """Stands in for stdout or stderr when the shell closed it (``>&-``), where
    Python leaves None: writes fail with EBADF, as on a closed descriptor, so
    the one ``Error:`` line says so (or, for stderr, the exit code alone)."""

    encoding = "utf-8"

    def __init__(self, name: str):
        self.name = name

    def write(self, text) -> int:
        raise self._closed()

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    @property
    def buffer(self):  # binary writes (.npy) fail the same way
        return self

    def fileno(self) -> int:
        raise self._closed()

    def _closed(self) -> OSError:
        import errno

        return OSError(errno.EBADF, f"{self.name} is closed")


def open_streams() -> None:
    """Replace a closed stdout or stderr (None) with a ClosedStream."""
    if sys.stdout is None:
        sys.stdout = ClosedStream("stdout")
    if sys.stderr is None:
        sys.stderr = ClosedStream("stderr")


def console() -> None:
    """The console script and ``python -m convcli``: `main`, and after Ctrl-C,
    SIGTERM or SIGHUP (once the clean-up has run and the message is out) the
    signal's own action, so the process ends by the signal as an
    uninterrupted Python would: a shell loop stops, a supervisor sees it."""
    received: list[int] = []
    try:
        code = main(received=received)
    except SystemExit as stop:
        code = stop.code
    if received and code == 128 + received[0]:
        import os
        import signal

        try:
            sys.stdout.flush()  # what was printed before the signal
        except (OSError, ValueError):
            pass
        signal.signal(received[0], signal.SIG_DFL)
        os.kill(os.getpid(), received[0])
    sys.exit(code)


def main(argv: list[str] | None = None, *, received: list[int] | None = None) -> int:
    """The plain lane when it applies, else cli.main; the exit code. The
    numbers of the signals that stopped it go to `received`."""
    open_streams()
    received = [] if received is None else received
    previous: dict = {}
    try:
        previous = handle_signals(received)
        args = list(sys.argv[1:] if argv is None else argv)
        plain = plain_command(args)
        if plain is None:
            from .cli import main as full_main

            return full_main(args)
        from .pipeline import guarded

        return guarded(lambda: run_plain(*plain))
    except KeyboardInterrupt:  # while numpy or Typer is imported: guarded's own handler is not in place yet
        from .pipeline import interrupted  # (os, sys and the errors only: quick to import here)

        return interrupted()
    except Exception:
        if not received:
            raise
        # a Ctrl-C while numpy sets up its C extension comes out as an ImportError
        # ("PyCapsule_Import could not import module datetime"), not a KeyboardInterrupt
        from .pipeline import interrupted

        return interrupted()
    finally:  # for a caller in the same process (the tests)
        import signal

        for number, handler in previous.items():
            signal.signal(number, handler)


def handle_signals(received: list[int]) -> dict:
    """Ctrl-C raises KeyboardInterrupt as always; SIGTERM (`timeout`, `kill`)
    and SIGHUP (a closed terminal) end the run the same way, through the
    clean-up that removes a half-written `-o` file, with the shell's exit
    code for the signal (128 + its number). Each signal is noted in
    `received` (see `main` and `console`). Signals already ignored
    (`nohup`, a background job) stay ignored. Only the console script does
    this, and only on the main thread, the one Python lets set handlers: a
    program that imports convcli, or calls `main` from a thread of its own,
    keeps its own handlers. Returns the handlers replaced."""
    import signal
    import threading

    def interrupt(signum, frame):
        received.append(signum)
        raise KeyboardInterrupt

    def stop(signum, frame):
        received.append(signum)
        raise SystemExit(128 + signum)

    previous = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, interrupt)
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)  # (Windows has no SIGHUP)
        if number is not None and signal.getsignal(number) == signal.SIG_DFL:
            previous[number] = signal.signal(number, stop)
    return previous
