"""The command line: options -> read -> engine -> output.

Exit codes are chosen at the command boundary only: `main` here (Typer's
usage errors) and `pipeline.guarded` (ConvcliError and friends), which the
fast lane in quick.py shares. 0 success, 1 bad input or data, 2 usage.
Errors are one ``Error:`` line on stderr; ``--debug`` anywhere on the
command line shows the traceback before it (the exit code is the same).
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from . import __version__
from .pipeline import (
    check_trace_output,
    choice,
    console,
    deliver,
    exact_numbers,
    exact_operands,
    guarded,
    inexact,
    input_names,
    interrupted,
    one_line,
    output_request,
    parse_trace_request,
    print_if_it_fits,
    read_inputs,
    read_operands,
    read_vector,
    refuse_output_over_input,
    rich_wanted,
    run_operation,
    show_traceback,
    warn_non_finite,
    worked_steps,
    write_stderr,
    write_stdout,
)

app = typer.Typer(
    name="convcli",
    help="A convolution calculator: conv2d, correlate2d, im2col-matmul and conv1x1, exact and explained.\n\n"
    "Exit codes: 0 success, 1 bad input or data, 2 usage error. Add --debug anywhere to see a traceback.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

InputArg = Annotated[str, typer.Argument(help="Matrix: a .csv/.tsv/.txt/.json/.npy file, - for stdin, or inline text like \"1 2; 3 4\".", show_default=False)]
KernelArg = Annotated[str, typer.Argument(help="Kernel: a file, -, inline text, or a named kernel (see `convcli kernels`).", show_default=False)]
PaddingOpt = Annotated[str, typer.Option("--padding", "-p", help="valid, same, full, N, PH,PW or TOP,BOTTOM,LEFT,RIGHT.")]
BoundaryOpt = Annotated[str, typer.Option("--boundary", "-b", help="What fills the padding: fill, wrap, symmetric (symm), reflect or replicate.")]
FillOpt = Annotated[str, typer.Option("--fill-value", help="The value for --boundary fill.")]
StrideOpt = Annotated[str, typer.Option("--stride", "-s", help="S or SH,SW.")]
DilationOpt = Annotated[str, typer.Option("--dilation", "-d", help="D or DH,DW.")]
GroupsOpt = Annotated[str, typer.Option("--groups", "-g", help="Split channels and filters into this many groups.")]
BiasOpt = Annotated[Optional[str], typer.Option("--bias", help="One value per output channel, e.g. \"1 -2\".", show_default=False)]
FormatOpt = Annotated[Optional[str], typer.Option("--format", "-f", help="table, csv, tsv, json, markdown, latex or npy (default: table on a terminal, csv in a pipe).", show_default=False)]
OutputOpt = Annotated[Optional[str], typer.Option("--output", "-o", help="Write the result to FILE (.csv, .tsv, .txt, .json, .npy, .md, .tex), replacing it atomically.", show_default=False)]
PrecisionOpt = Annotated[Optional[int], typer.Option("--precision", help="Significant digits for floats (default: shortest exact form).", show_default=False)]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colour, even on a terminal (NO_COLOR is honoured too).")]
TraceOpt = Annotated[bool, typer.Option("--trace", help="Show the worked steps (receptive fields, products term by term, sums) on stdout, then the result.")]
AtOpt = Annotated[Optional[str], typer.Option("--at", help="Trace output position ROW,COL only (0-based, like numpy). Implies --trace.", show_default=False)]
StepsOpt = Annotated[Optional[int], typer.Option("--steps", help="Trace the first N output positions. Implies --trace.", show_default=False)]
TraceFormatOpt = Annotated[Optional[str], typer.Option("--trace-format", help="text (default), markdown or latex. Implies --trace.", show_default=False)]
ExactOpt = Annotated[bool, typer.Option("--exact", help="Exact results: fractions stay fractions (41/9, not 4.555...) and decimals count as the fractions they spell (0.1 is 1/10).")]
LikeOpt = Annotated[Optional[str], typer.Option("--like", help="Pad and align as scipy (default), numpy, matlab, torch or tf do (see `convcli conventions`).", show_default=False)]
EmitCodeOpt = Annotated[Optional[str], typer.Option("--emit-code", help="Print a program computing this result in scipy, numpy, torch, tf or matlab, instead of the result.", show_default=False)]
MethodOpt = Annotated[str, typer.Option("--method", help="auto (the fastest exact method), direct, fft or gemm; all give the same answer.")]


def _version_callback(value: bool) -> None:
    if value:
        print(f"convcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", help="Print the version and exit.", callback=_version_callback, is_eager=True)] = False,
) -> None:
    """A convolution calculator: conv2d, correlate2d, im2col-matmul and conv1x1, exact and explained."""


def _register_operation(name: str, operation: str, summary: str) -> None:
    """conv2d, correlate2d and im2col-matmul take the same arguments and options."""

    def command(
        input: InputArg,
        kernel: KernelArg,
        padding: PaddingOpt = "valid",
        boundary: BoundaryOpt = "fill",
        fill_value: FillOpt = "0",
        stride: StrideOpt = "1",
        dilation: DilationOpt = "1",
        groups: GroupsOpt = "1",
        bias: BiasOpt = None,
        format: FormatOpt = None,
        output: OutputOpt = None,
        precision: PrecisionOpt = None,
        no_color: NoColorOpt = False,
        trace: TraceOpt = False,
        at: AtOpt = None,
        steps: StepsOpt = None,
        trace_format: TraceFormatOpt = None,
        exact: ExactOpt = False,
        like: LikeOpt = None,
        emit_code: EmitCodeOpt = None,
        method: MethodOpt = "auto",
    ) -> None:
        run_operation(operation, input, kernel, padding=padding, boundary=boundary, fill_value=fill_value, stride=stride,
                   dilation=dilation, groups=groups, bias=bias, request=output_request(format, output, precision, no_color, program=emit_code is not None),
                   trace=parse_trace_request(trace, at, steps, trace_format), exact=exact, like=like, emit_code=emit_code,
                   method=method)

    command.__doc__ = summary
    command.__name__ = command.__qualname__ = f"{operation}_command"
    app.command(name)(command)


_register_operation("conv2d", "conv2d", "True convolution: flip the kernel in both axes, then slide it (scipy.signal.convolve2d).")
_register_operation("correlate2d", "correlate2d", "Cross-correlation: slide the kernel as given, no flip. What CNN layers compute.")
_register_operation("im2col-matmul", "im2col_matmul", "Cross-correlation as one matrix product, W_row @ X_col (equals correlate2d).")


@app.command("conv1x1")
def conv1x1_command(
    input: InputArg,
    weights: Annotated[str, typer.Argument(help="Weights (K, C) or (C,): one row of depth weights per output channel.", show_default=False)],
    bias: BiasOpt = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    precision: PrecisionOpt = None,
    no_color: NoColorOpt = False,
    trace: TraceOpt = False,
    at: AtOpt = None,
    steps: StepsOpt = None,
    trace_format: TraceFormatOpt = None,
    exact: ExactOpt = False,
) -> None:
    """1x1 convolution: at each pixel, the dot product over depth with each weight row, plus bias."""
    from . import engine

    request = output_request(format, output, precision, no_color)
    trace_request = parse_trace_request(trace, at, steps, trace_format)
    refuse_output_over_input(request.path, [(input, "input"), (weights, "weights"), (bias, "bias")])
    check_trace_output(trace_request, request)
    pairs = [(input, "input"), (weights, "weights")]
    x, weight_matrix = read_inputs(pairs, (bias,))
    bias_vector = read_vector(bias, "bias")
    if exact:
        x, weight_matrix, bias_vector = exact_numbers(x), exact_numbers(weight_matrix), exact_numbers(bias_vector)
    worked = worked_steps("conv1x1", x, weight_matrix, {"bias": bias_vector}, trace_request)
    if exact:
        result = engine.conv1x1(x, weight_matrix, bias=bias_vector)
    else:
        result = engine.conv1x1(inexact(x), inexact(weight_matrix), bias=inexact(bias_vector))
    warn_non_finite([*zip(input_names(pairs), (x, weight_matrix)), ("bias", bias_vector)], result)
    deliver(result, request, "conv1x1", worked, trace_request)


@app.command("compare")
def compare_command(
    input: InputArg,
    kernel: KernelArg,
    padding: PaddingOpt = "valid",
    boundary: BoundaryOpt = "fill",
    fill_value: FillOpt = "0",
    stride: StrideOpt = "1",
    dilation: DilationOpt = "1",
    groups: GroupsOpt = "1",
    bias: BiasOpt = None,
    like: LikeOpt = None,
    precision: PrecisionOpt = None,
    no_color: NoColorOpt = False,
    exact: ExactOpt = False,
) -> None:
    """Run conv2d, correlate2d, im2col-matmul (and conv1x1 for a 1x1 kernel) side by side, and explain what agrees and why."""
    from .compare import compare, comparison_text

    output_request(None, None, precision, no_color)
    x, kernel_array, options, warn = read_operands(input, kernel, padding=padding, boundary=boundary,
                                                   fill_value=fill_value, stride=stride, dilation=dilation,
                                                   groups=groups, bias=bias)
    if exact:
        x, kernel_array, options = exact_operands(x, kernel_array, options)
    else:
        x, kernel_array = inexact(x), inexact(kernel_array)
        options.update(fill_value=inexact(options["fill_value"]), bias=inexact(options["bias"]))
    comparison = compare(x, kernel_array, **options, like=like)
    warn(x, kernel_array, options, comparison.outcome("correlate2d").result)
    if rich_wanted(no_color):
        from .compare import comparison_sections

        if print_if_it_fits(comparison_sections(comparison), no_color, precision):
            return
    write_stdout(comparison_text(comparison, precision))


@app.command("shape")
def shape_command(
    input: Annotated[str, typer.Option("--input", "-i", help="Input size H or H,W.", show_default=False)],
    kernel: Annotated[str, typer.Option("--kernel", "-k", help="Kernel size K or KH,KW.", show_default=False)],
    stride: StrideOpt = "1",
    padding: PaddingOpt = "valid",
    dilation: DilationOpt = "1",
    like: LikeOpt = None,
    operation: Annotated[str, typer.Option("--operation", help="conv2d or correlate2d: scipy aligns an even kernel's 'same' differently.")] = "correlate2d",
    transposed: Annotated[bool, typer.Option("--transposed", help="The transposed-convolution size s*(i-1) + a + k - 2p.")] = False,
    output_padding: Annotated[int, typer.Option("--output-padding", help="a in that formula (ConvTranspose2d's output_padding).")] = 0,
    format: Annotated[Optional[str], typer.Option("--format", "-f", help="text (default) or json.", show_default=False)] = None,
) -> None:
    """Explain an output shape: size, pads before and after, the formula with numbers, and every --like side by side."""
    from .shape import explain_shape, render_text

    fmt = choice(format, ("text", "json"), "format") or "text"
    report = explain_shape(input, kernel, stride=stride, padding=padding, dilation=dilation, like=like,
                           operation=operation, transposed=transposed, output_padding=output_padding)
    for warning in report.warnings:
        write_stderr(f"Warning: {warning}\n")
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps(report.as_dict()) + "\n")
    else:
        sys.stdout.write(render_text(report))


@app.command("conventions")
def conventions_command() -> None:
    """How scipy, numpy, matlab, torch and tf name boundaries and pad for 'same', side by side."""
    from .conventions import describe

    sys.stdout.write(describe())


@app.command("kernels")
def kernels_command() -> None:
    """List the named kernels, usable anywhere a kernel is, with their values."""
    from .kernels import KERNEL_DESCRIPTIONS, named_kernel
    from .outputs import format_number

    blocks = []
    for name, description in KERNEL_DESCRIPTIONS.items():
        rows = [[format_number(v) for v in row] for row in named_kernel(name)]
        width = max(len(cell) for row in rows for cell in row)
        lines = ["  " + " ".join(cell.rjust(width) for cell in row) for row in rows]
        blocks.append(f"{name}: {description}\n" + "\n".join(lines))
    sys.stdout.write("\n\n".join(blocks) + "\n")


def _is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # a closed stream
        return False


def _next_page(number: int, total: int) -> bool:
    """Wait for Enter (prompt on stderr); False when the reader types q or closes stdin."""
    write_stderr(f"-- {number} of {total}: Enter for the next step, q to quit -- ")
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        answer = ""
    if not answer:  # end of input (Ctrl-D): end the prompt's line, so the shell's prompt starts its own
        write_stderr("\n")
        return False
    return answer.strip().lower() not in ("q", "quit")


@app.command("demo")
def demo_command(
    no_color: NoColorOpt = False,
    no_pause: Annotated[bool, typer.Option("--no-pause", help="Print every step at once; the default unless stdin and stdout are both terminals.")] = False,
) -> None:
    """The classic worked example (5x5 input, 3x3 kernel, padding valid), traced one step per screen."""
    from .demo import demo_pages

    pages = demo_pages()
    rich = rich_wanted(no_color)
    paused = not no_pause and _is_terminal(sys.stdin) and _is_terminal(sys.stdout)
    for number, page in enumerate(pages, 1):
        if rich:
            from .render_trace import blocks_renderable

            console(no_color).print(blocks_renderable(page))
        else:
            from .trace_text import blocks_text

            write_stdout(blocks_text(page) + "\n")
        if paused and number < len(pages) and not _next_page(number, len(pages)):
            break


def click_exceptions():
    """The exceptions module of the Click that Typer runs: Typer vendors Click as
    typer._click (from 0.26; pyproject asks for 0.29), and Click itself otherwise."""
    try:
        from typer._click import exceptions
    except ImportError:  # should a Typer release stop vendoring it
        from click import exceptions
    return exceptions


def main(argv: Optional[list[str]] = None) -> int:
    """Run the CLI and return its exit code (the console script's entry point)."""
    from .quick import open_streams

    open_streams()
    exceptions = click_exceptions()
    usage_error, no_args_error = exceptions.UsageError, getattr(exceptions, "NoArgsIsHelpError", ())
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]

    def run() -> int:
        from .quick import looks_like_data, parse, values_after_double_dash

        fast = parse(app, args)  # plain operation commands skip Typer's costly parameter setup
        try:
            if fast is not None:
                return fast()
            code = app(args=values_after_double_dash(app, args), prog_name="convcli", standalone_mode=False)
            # Typer turns a Ctrl-C into a silent Exit(130); no command returns 130 itself
            return interrupted() if code == 130 else code
        except no_args_error as error:
            message = error.format_message()  # the help itself is already printed
            if message.strip():
                write_stderr(message + "\n")
            return 2
        except usage_error as error:
            show_traceback(debug)
            message = one_line(error.format_message())
            if looks_like_data(getattr(error, "option_name", None) or ""):
                message += " (a value that starts with '-' can follow --, as in: convcli conv2d -- \"-1 2\" k.csv)"
            write_stderr(f"Error: {message}\n")
            return 2
        except typer.Abort:
            write_stderr("Error: aborted\n")
            return 130
        except SystemExit as exit:
            closed_pipe = type(sys.stdout).__name__ == "PacifyFlushWrapper" or isinstance(exit.__context__, BrokenPipeError)
            if exit.code == 1 and closed_pipe:
                # Click's stop (`convcli demo | head -1`) or Rich's (`convcli demo --help | head -1`) on a
                # closed pipe: exit 141 like every other command
                raise BrokenPipeError from None
            raise

    return guarded(run, debug=debug)
