"""The CLI's fast lane (convcli.quick) gives exactly what Typer gives, --method
works on every operation command, and the progress bar stays off stderr
unless stderr is a terminal."""

from __future__ import annotations

import io
import os
import sys

import numpy as np
import pytest
from classic import CLASSIC_CSV, sample
from classic import CLASSIC_INPUT_TEXT as CLASSIC_INPUT
from classic import CLASSIC_KERNEL_TEXT as CLASSIC_KERNEL
from rich.console import Console

from convcli import cli, quick
from convcli.cli import main
from convcli.engine.parallel import progress_hook
from convcli.progress import LazyBar, computing


def run(capsys, args, monkeypatch, fast: bool, stdin_text: str | None = None, entry=main):
    if not fast:
        monkeypatch.setattr(quick, "parse", lambda app, args: None)
        entry = main
    if stdin_text is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin_text.encode()), encoding="utf-8"))
    code = entry(list(args))
    captured = capsys.readouterr()
    monkeypatch.undo()
    return code, captured.out, captured.err


FAST_LINES = [
    ["conv2d", sample("classic-input.csv"), sample("classic-kernel.csv")],
    ["correlate2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--format", "json"],
    ["correlate2d", CLASSIC_INPUT, "1 2; 3 4", "--padding", "same", "--boundary=wrap", "--stride", "2"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "-p", "1", "--fill-value", "-1", "--bias", "10", "--method", "fft"],
    ["im2col-matmul", sample("multichannel.json:input"), sample("multichannel.json:kernel"), "--bias", "1 -1"],
    ["conv2d", CLASSIC_INPUT, "1/3 1/3", "--precision", "4", "--format", "tsv"],
    ["conv2d", CLASSIC_INPUT, "1/3 1/3", "--exact", "--no-color"],
    ["conv1x1", "[[[1, 2]], [[5, 6]]]", "1 10; 2 0"],
    ["correlate2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--method", "gemm", "--dilation", "2"],
    # values that start with '-' are values, not options
    ["conv2d", "-1 2; 3 4", "-1", "--bias", "-1", "--padding", "1", "--trace"],
    ["compare", "-1 2; 3 4", "-.5 1"],
    # errors come from the same functions, so the same lines and exit codes
    ["conv2d", CLASSIC_INPUT, "1 2; 3"],
    ["conv2d", "1 2; 3 4", "1 2 3; 4 5 6; 7 8 9"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--method", "fastest"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--format", "yaml"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--padding", "sideways"],
    ["conv2d", "no-such-file.csv", CLASSIC_KERNEL],
]

TYPER_LINES = [
    [],
    ["--version"],
    ["conv2d", "--help"],
    ["conv2d", CLASSIC_INPUT],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "extra"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--padding", "1", "--padding", "2"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--no-such-option"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--precision", "four"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--precision=--5"],  # int() would raise on these two
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--steps", "\u00b2"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--steps=-+3"],
    # integers near the parsers' digit limits: Typer's answer (which depends on pydantic's version)
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--steps", "1" * 4301],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--steps", "-" + "5" * 4300],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--precision=+" + "0" * 4299 + "3"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "-p1"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--format"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--no-color=yes"],
    ["kernels"],
]


@pytest.mark.parametrize("args", FAST_LINES, ids=lambda a: " ".join(a[:1] + a[3:]))
def test_fast_lane_takes_plain_commands_and_matches_typer(capsys, monkeypatch, args):
    assert quick.parse(cli.app, args) is not None
    assert run(capsys, args, monkeypatch, fast=True) == run(capsys, args, monkeypatch, fast=False)


@pytest.mark.parametrize("args", TYPER_LINES, ids=lambda a: " ".join(a[:1] + a[3:]) or "no args")
def test_anything_else_goes_to_typer(args):
    assert quick.parse(cli.app, args) is None
    assert quick.plain_command(args) is None


PLAIN_LINES = [
    ["conv2d", sample("classic-input.csv"), sample("classic-kernel.csv")],
    ["correlate2d", sample("classic.json:input"), sample("classic.json:kernel"), "--format", "json"],
    ["im2col-matmul", sample("multichannel.json:input"), sample("multichannel.json:kernel"), "--bias", "1 -1", "-f", "tsv"],
    ["conv2d", CLASSIC_INPUT, "1 2; 3 4", "-p", "same", "-b", "symm", "-s", "2", "-d", "1", "-g", "1"],
    ["correlate2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--padding=2", "--fill-value", "-1.5", "--method", "fft"],
    ["conv2d", CLASSIC_INPUT, "1/3 1/3; 1/3 1/3", "--fill-value", "1/2", "--padding", "1"],
    ["conv2d", "1 nan 3; 4 5 inf", "1 1", "--method", "direct"],
    ["correlate2d", "[[1, 2], [3, 4]]", "[[1]]", "--bias", "1/3"],
    ["conv2d", sample("classic-input.csv"), "sobel-x", "--method=gemm"],
    ["conv2d", "18446744073709551615 1; 2 3", "2 2"],
    # errors
    ["conv2d", CLASSIC_INPUT, "1 2; 3"],
    ["conv2d", "1 2; 3 4", "1 2 3; 4 5 6; 7 8 9"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--method", "fastest"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--padding", "sideways"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--fill-value", "1 2"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--bias", "1 2"],
    ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--stride", "0"],
    ["conv2d", "-", "-"],
    ["conv2d", "no-such-file.csv", CLASSIC_KERNEL],
]


@pytest.mark.parametrize("args", PLAIN_LINES, ids=lambda a: " ".join(a[:1] + a[3:]))
def test_plain_lane_matches_typer_without_importing_it(capsys, monkeypatch, args):
    assert quick.plain_command(args) is not None
    plain = run(capsys, args, monkeypatch, fast=True, entry=quick.main)
    assert plain == run(capsys, args, monkeypatch, fast=False)


def test_plain_lane_reads_stdin_like_typer(capsys, monkeypatch):
    args = ["correlate2d", "-", CLASSIC_KERNEL, "--format", "csv"]
    text = CLASSIC_INPUT.replace("; ", "\n").replace(" ", ",") + "\n"
    plain = run(capsys, args, monkeypatch, fast=True, stdin_text=text, entry=quick.main)
    assert plain == (0, CLASSIC_CSV, "")
    assert plain == run(capsys, args, monkeypatch, fast=False, stdin_text=text)


def test_plain_lane_options_are_the_commands_own():
    """Every spelling the plain lane accepts is declared by the Typer command
    for the same parameter, with the same default."""
    import inspect

    for command, operation in quick.PLAIN_COMMANDS.items():
        callback = next(c.callback for c in cli.app.registered_commands if c.name == command)
        positional, options = quick._signature(callback)
        assert positional == ("input", "kernel")
        for spelling, name in quick.PLAIN_OPTIONS.items():
            assert options[spelling][0] == name
        defaults = {n: p.default for n, p in inspect.signature(callback).parameters.items()}
        for name, default in quick.PLAIN_DEFAULTS.items():
            assert defaults[name] == default, (command, name)


def test_plain_lane_leaves_tables_and_files_to_the_full_cli(monkeypatch):
    args = ["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL]
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert quick.plain_command(args) is None
    assert quick.plain_command(args + ["--format", "csv"]) is not None
    assert quick.plain_command(args + ["-o", "out.csv"]) is None
    assert quick.plain_command(args + ["--trace"]) is None
    assert quick.plain_command(args + ["--format", "markdown"]) is None


def test_python_m_convcli_runs_without_importing_typer(tmp_path):
    import subprocess

    code = ("import sys, runpy; sys.argv = ['convcli', 'conv2d', sys.argv[1], sys.argv[2]]\n"
            "try:\n    runpy.run_module('convcli', run_name='__main__')\n"
            "except SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
            "assert 'typer' not in sys.modules and 'rich' not in sys.modules, 'imported'\n")
    done = subprocess.run([sys.executable, "-c", code, CLASSIC_INPUT, CLASSIC_KERNEL], capture_output=True, text=True,
                          cwd=os.path.join(os.path.dirname(__file__), ".."))
    assert done.returncode == 0, done.stderr
    assert done.stdout == CLASSIC_CSV


def test_fast_lane_reads_stdin_like_typer(capsys, monkeypatch):
    args = ["conv2d", "-", CLASSIC_KERNEL]
    text = CLASSIC_INPUT.replace("; ", "\n").replace(" ", ",") + "\n"
    fast = run(capsys, args, monkeypatch, fast=True, stdin_text=text)
    assert fast == (0, CLASSIC_CSV, "")
    assert fast == run(capsys, args, monkeypatch, fast=False, stdin_text=text)


def test_fast_lane_writes_the_same_file(capsys, monkeypatch, tmp_path):
    outputs = []
    for fast in (True, False):
        path = tmp_path / f"out-{fast}.npy"
        args = ["correlate2d", CLASSIC_INPUT, CLASSIC_KERNEL, "-o", str(path)]
        assert run(capsys, args, monkeypatch, fast=fast) == (0, "", "")
        outputs.append(np.load(path))
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert outputs[0].tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


@pytest.mark.parametrize("command", ["conv2d", "correlate2d", "im2col-matmul"])
@pytest.mark.parametrize("method", ["auto", "direct", "fft", "gemm", "FFT"])
def test_every_method_gives_the_classic_answer(capsys, command, method):
    assert main([command, CLASSIC_INPUT, CLASSIC_KERNEL, "--method", method]) == 0
    assert capsys.readouterr() == (CLASSIC_CSV, "")


def test_unknown_method_is_a_usage_error(capsys):
    assert main(["conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--method", "fastest"]) == 2
    assert capsys.readouterr() == ("", "Error: method 'fastest' is not one of auto, direct, fft, gemm\n")


def test_fft_on_integers_it_cannot_prove_exact_is_refused(capsys, tmp_path):
    big = np.full((40, 40), 2**40, dtype=np.int64)
    path = tmp_path / "big.npy"
    np.save(path, big)
    kernel = tmp_path / "k.npy"
    np.save(kernel, np.full((9, 9), 3000, dtype=np.int64))
    assert main(["correlate2d", str(path), str(kernel), "--method", "fft"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("Error: method 'fft' cannot prove these integers exact (error bound ")
    assert main(["correlate2d", str(path), str(kernel)]) == 0
    assert capsys.readouterr().out.splitlines()[0].split(",")[0] == str(2**40 * 3000 * 81)


# ---- progress ----


def test_no_progress_hook_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with computing("conv2d"):
        assert progress_hook.get() is None


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_lazy_bar_appears_only_after_the_delay_and_goes_away():
    stream = io.StringIO()
    clock = FakeClock()
    bar = LazyBar("correlate2d", lambda: Console(file=stream, force_terminal=True, width=80), delay=1.0, clock=clock)
    bar(1, 10)
    assert bar.bar is None and stream.getvalue() == ""
    clock.now = 1.5
    bar(2, 10)
    assert bar.bar is not None
    bar(10, 10)
    bar.close()
    assert "correlate2d" in stream.getvalue()
    assert bar.bar is None


def test_lazy_bar_never_starts_for_work_already_done():
    stream = io.StringIO()
    clock = FakeClock()
    bar = LazyBar("conv2d", lambda: Console(file=stream, force_terminal=True), delay=1.0, clock=clock)
    clock.now = 5.0
    bar(3, 3)
    bar.close()
    assert stream.getvalue() == ""
