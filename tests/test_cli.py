"""The CLI contract: commands, formats, stdin, files, exit codes and error lines."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from classic import CLASSIC_CSV, sample
from classic import CLASSIC_INPUT_TEXT as CLASSIC_INPUT
from classic import CLASSIC_KERNEL_TEXT as CLASSIC_KERNEL

import convcli
from convcli.cli import main


def run(capsys, *args, stdin_text: str | None = None, monkeypatch=None):
    if stdin_text is not None:
        stream = io.TextIOWrapper(io.BytesIO(stdin_text.encode()), encoding="utf-8")
        monkeypatch.setattr(sys, "stdin", stream)
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_classic_inline(capsys):
    assert run(capsys, "conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "--format", "csv") == (0, CLASSIC_CSV, "")


def test_classic_from_stdin(capsys, monkeypatch):
    csv_text = CLASSIC_INPUT.replace("; ", "\n").replace(" ", ",") + "\n"
    result = run(capsys, "conv2d", "-", CLASSIC_KERNEL, "--format", "csv", stdin_text=csv_text, monkeypatch=monkeypatch)
    assert result == (0, CLASSIC_CSV, "")


@pytest.mark.parametrize(
    "input_spec, kernel_spec",
    [
        ("classic-input.csv", "classic-kernel.csv"),
        ("classic.json:input", "classic.json:kernel"),
    ],
)
def test_classic_from_sample_files(capsys, input_spec, kernel_spec):
    assert run(capsys, "conv2d", sample(input_spec), sample(kernel_spec), "--format", "csv") == (0, CLASSIC_CSV, "")


def test_values_that_start_with_a_minus_are_values(capsys, monkeypatch):
    assert run(capsys, "conv2d", "-1 2; 3 4", "-1", "--format", "csv") == (0, "1,-2\n-3,-4\n", "")
    code, out, _ = run(capsys, "correlate2d", "-:a", "1 1", stdin_text='{"a": [[1, 2, 3]]}', monkeypatch=monkeypatch)
    assert (code, out) == (0, "3,5\n")
    # (tests/test_quick.py runs such lines through Typer as well)


def test_piped_output_defaults_to_csv(capsys):
    # capsys's stdout is not a terminal, so the default format is csv
    assert run(capsys, "correlate2d", CLASSIC_INPUT, CLASSIC_KERNEL) == (0, CLASSIC_CSV, "")


def test_json_keeps_integers(capsys):
    code, out, _ = run(capsys, "conv2d", "1 2; 3 4", "1 2; 3 4", "--format", "json")
    assert code == 0 and out == "[[20]]\n"
    code, out, _ = run(capsys, "correlate2d", "1 2; 3 4", "1 2; 3 4", "--format", "json")
    assert out == "[[30]]\n"


def test_multichannel_sample_with_bias(capsys):
    spec = sample("multichannel.json")
    code, out, err = run(capsys, "correlate2d", spec + ":input", spec + ":kernel", "--bias", "1 -1", "--format", "csv")
    assert (code, err) == (0, "")
    assert out == "3,8\n3,3\n\n1,-2\n1,2\n"
    code, out, _ = run(capsys, "im2col-matmul", spec + ":input", spec + ":kernel", "--bias", "1,-1", "--format", "json")
    assert json.loads(out) == json.load(open(spec))["expected_correlate2d"]


def test_geometry_options(capsys):
    code, out, _ = run(capsys, "correlate2d", "1 2 3 4 5 6", "1 10", "--padding", "same", "--format", "csv")
    assert out == "21,32,43,54,65,6\n"
    code, out, _ = run(capsys, "conv2d", "1 2 3 4 5 6", "1 10", "--padding", "same", "--format", "csv")
    assert out == "1,12,23,34,45,56\n"
    code, out, _ = run(capsys, "correlate2d", "1 2 3; 4 5 6; 7 8 9", "1 1; 1 0", "--padding", "1",
                       "--boundary", "replicate", "--stride", "2", "--format", "csv")
    assert out == "3,7\n15,19\n"
    code, out, _ = run(capsys, "correlate2d", "1", "1 1 1; 1 1 1; 1 1 1", "--padding", "same", "--fill-value", "7",
                       "--format", "csv")
    assert out == "57\n"


def test_conv1x1(capsys):
    code, out, _ = run(capsys, "conv1x1", "[[[1, 2]], [[5, 6]]]", "1 10; 2 0", "--bias", "0 1", "--format", "csv")
    assert (code, out) == (0, "51,62\n\n3,5\n")
    # exact: 1/3*1 + 10*5 + 1/2 = 305/6 and 1/3*2 + 10*6 + 1/2 = 367/6; 2*1 + 1 and 2*2 + 1
    code, out, _ = run(capsys, "conv1x1", "[[[1, 2]], [[5, 6]]]", "1/3 10; 2 0", "--bias", "1/2 1", "--exact",
                       "--format", "csv")
    assert (code, out) == (0, "305/6,367/6\n\n3,5\n")


def test_conv1x1_vector_weights_give_one_map_as_the_api_does(capsys, tmp_path):
    """(C,) weights, as a JSON list or a 1-D .npy, give an (H, W) result; a text row is one (K=1, C) filter."""
    x = "[[[1, 2]], [[3, 4]]]"
    np.save(tmp_path / "w.npy", np.array([1, 1]))
    for weights in ("[1, 1]", str(tmp_path / "w.npy")):
        code, out, _ = run(capsys, "conv1x1", x, weights, "--format", "json")
        assert (code, json.loads(out)) == (0, convcli.conv1x1(json.loads(x), [1, 1]).tolist()) == (0, [[4, 6]])
    code, out, _ = run(capsys, "conv1x1", x, "1 1", "--format", "json")
    assert (code, json.loads(out)) == (0, [[[4, 6]]])


def test_integers_beyond_int64_print_exactly(capsys):
    assert run(capsys, "correlate2d", "18446744073709551617", "1") == (0, "18446744073709551617\n", "")
    # [[1]] padded with f = 2**62: each 2x2 window holds three f and the 1, times 3
    code, out, err = run(capsys, "correlate2d", "1", "3 3; 3 3", "--padding", "1", "--fill-value", str(2**62))
    row = str(3 * (3 * 2**62 + 1))
    assert (code, out, err) == (0, f"{row},{row}\n{row},{row}\n", "")
    # a bias beyond int64 next to zero padding
    big = 10**20 - 1
    code, out, _ = run(capsys, "conv2d", "1", "1", "--padding", "1", "--bias", str(big))
    assert (code, out) == (0, f"{big},{big},{big}\n{big},{big + 1},{big}\n{big},{big},{big}\n")


def test_integers_longer_than_pythons_digit_limit_are_read_and_printed(capsys):
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    nines = "9" * 3000  # squared: 6000 digits, beyond Python's default of 4300
    for fmt in ("csv", "json"):
        code, out, err = run(capsys, "conv2d", nines, nines, "--format", fmt)
        assert (code, err) == (0, "")
        assert out.strip("[]\n") == "9" * 2999 + "8" + "0" * 2999 + "1"
    sevens = "7" * 5000
    assert run(capsys, "correlate2d", sevens, "2") == (0, "1" + "5" * 4999 + "4\n", "")
    assert getattr(sys, "get_int_max_str_digits", lambda: 0)() == limit  # and the limit is back


def test_like_torch_same_pads_for_the_dilated_kernel(capsys):
    # "1 1" dilated by 2 reaches 3 columns, so 'same' pads one zero each side: 0 1 2 3 4 0
    code, out, _ = run(capsys, "correlate2d", "1 2 3 4", "1 1", "--like", "torch", "--padding", "same",
                       "--dilation", "2")
    assert (code, out) == (0, "2,4,6,3\n")


def test_nan_and_infinity_are_computed_and_said_once(capsys):
    code, out, err = run(capsys, "correlate2d", "1 nan inf", "1")
    assert (code, out) == (0, "1.0,nan,inf\n")
    assert err == ("Warning: input holds 1 NaN and 1 infinite value(s); "
                   "results that touch them are NaN or infinite\n")


@pytest.mark.parametrize(
    "args, out, warning",
    [
        (["conv2d", "1 2", "1 1", "--padding", "0,0,1,0", "--fill-value", "nan"], "nan,3.0\n",
         "fill value holds 1 NaN value(s)"),
        (["conv2d", "1 2", "1", "--bias", "-inf"], "-inf,-inf\n", "bias holds 1 infinite value(s)"),
        (["correlate2d", "1e200 1", "1e200 1"], "inf\n", "1 result value(s) overflowed the float range"),
        (["correlate2d", "1e200 1", "1e200 1", "--trace", "--format", "csv"], None,
         "1 result value(s) overflowed the float range"),
    ],
)
def test_non_finite_values_are_said_in_one_line_each(capsys, args, out, warning):
    code, got_out, err = run(capsys, *args)
    assert code == 0 and (out is None or got_out == out)
    assert err.startswith("Warning: " + warning) and err.count("\n") == 1  # and no RuntimeWarning from numpy


def test_an_error_is_the_only_line_even_when_the_input_holds_nan(capsys):
    code, out, err = run(capsys, "conv2d", "nan 1", "1 1 1")
    assert (code, out) == (1, "")
    assert err.startswith("Error: kernel (1, 3) is larger than input (1, 2)") and err.count("\n") == 1


@pytest.mark.parametrize(
    "error, code, message",
    [
        (BrokenPipeError, 141, ""),
        (KeyboardInterrupt, 130, "Error: interrupted\n"),
        (MemoryError, 1, "Error: out of memory; the problem is too large for this machine\n"),
    ],
)
def test_interruptions_exit_quietly_with_their_codes(capsys, monkeypatch, error, code, message):
    from convcli.pipeline import guarded

    monkeypatch.setattr(sys, "stdout", sys.stdout)  # guarded swaps stdout for a broken pipe; restore it after

    def fail():
        raise error()

    assert guarded(fail) == code
    assert capsys.readouterr().err == message


def test_output_file_formats(capsys, tmp_path):
    for extension, read in [
        (".csv", lambda p: p.read_text()),
        (".json", lambda p: json.loads(p.read_text())),
        (".npy", lambda p: np.load(p).tolist()),
    ]:
        target = tmp_path / f"result{extension}"
        assert run(capsys, "conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, "-o", str(target)) == (0, "", "")
        expected = CLASSIC_CSV if extension == ".csv" else [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
        assert read(target) == expected


def test_output_refuses_to_overwrite_an_input(capsys, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("1,2\n3,4\n")
    code, out, err = run(capsys, "conv2d", str(source), "1", "-o", str(source))
    assert (code, out) == (2, "")
    assert err.startswith("Error: -o ") and "would overwrite the input" in err
    assert source.read_text() == "1,2\n3,4\n"


def test_output_refuses_to_overwrite_a_json_input_named_with_a_key(capsys, tmp_path):
    source = tmp_path / "c.json"
    source.write_text('{"input": [[1, 2], [3, 4]]}')
    code, out, err = run(capsys, "conv2d", f"{source}:input", "1", "-o", str(source))
    assert (code, out) == (2, "")
    assert "would overwrite the input" in err
    assert source.read_text() == '{"input": [[1, 2], [3, 4]]}'


def test_a_bare_word_read_as_numbers_is_not_an_input_file(capsys, tmp_path, monkeypatch):
    """Beside files named 1 and nan, the words 1 and nan are numbers: -o 1 is not
    "the input 1", and a NaN warning names the kernel, not a file it did not read."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "1").write_text("5,5\n")
    (tmp_path / "nan").write_text("1,2\n")
    code, out, err = run(capsys, "conv2d", "1 2 3", "1", "-o", "1", "--format", "csv")
    assert (code, out) == (0, "") and "would overwrite" not in err
    assert (tmp_path / "1").read_text() == "1,2,3\n"
    (tmp_path / "1").write_text("5,5\n")
    code, out, err = run(capsys, "conv2d", "1 2 3", "./1", "-o", "1", "--format", "csv")
    assert (code, out) == (2, "") and "would overwrite the input ./1" in err
    assert (tmp_path / "1").read_text() == "5,5\n"
    code, out, err = run(capsys, "conv2d", "1 2 3", "nan", "--format", "csv")
    assert (code, out) == (0, "nan,nan,nan\n") and "Warning: kernel holds 1 NaN" in err


@pytest.mark.parametrize("option", ["--bias", "--fill-value"])
def test_output_refuses_to_overwrite_a_bias_or_fill_file(capsys, tmp_path, option):
    source = tmp_path / "v.csv"
    source.write_text("5\n")
    code, out, err = run(capsys, "conv2d", "1 2", "1", "--padding", "1", option, str(source), "-o", str(source))
    assert (code, out) == (2, "") and "would overwrite the input" in err
    assert source.read_text() == "5\n"


def test_output_paths_expand_home_follow_links_and_dash_is_stdout(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "x.csv").write_text("1,2\n")
    code, _, err = run(capsys, "conv2d", "~/x.csv", "2", "-o", "~/x.csv")
    assert code == 2 and "would overwrite the input ~/x.csv" in err
    assert run(capsys, "conv2d", "~/x.csv", "2", "-o", "~/y.csv") == (0, "", "")
    assert (tmp_path / "y.csv").read_text() == "2,4\n"
    (tmp_path / "link.csv").symlink_to(tmp_path / "y.csv")
    assert run(capsys, "conv2d", "5 6", "1", "-o", str(tmp_path / "link.csv")) == (0, "", "")
    assert (tmp_path / "link.csv").is_symlink() and (tmp_path / "y.csv").read_text() == "5,6\n"
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "conv2d", "5 6", "1", "-o", "-", "--format", "json") == (0, "[[5, 6]]\n", "")
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("args", [["correlate2d", "1 2; 3 4", "1"], ["correlate2d", "1 2; 3 4", "1", "-p0"]])
def test_ctrl_c_says_so_on_every_path(capsys, monkeypatch, args):
    """Typer turns a Ctrl-C into a silent exit 130; the command lines it runs
    (here '-p0', which the fast path leaves to it) said nothing (QA)."""
    import convcli.cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(convcli.cli, "run_operation", interrupted)
    monkeypatch.setattr("convcli.quick.run_operation", interrupted, raising=False)
    monkeypatch.setattr("convcli.pipeline.run_operation", interrupted)
    from convcli.quick import main as console_script

    assert console_script(args) == 130
    assert capsys.readouterr().err == "Error: interrupted\n"


def test_ctrl_c_hidden_in_an_import_error_is_an_interruption(capsys, monkeypatch):
    """numpy's C set-up turns a Ctrl-C during its import into an ImportError
    ("PyCapsule_Import could not import module datetime"): after a Ctrl-C the
    console script reports the interruption, not that error's traceback."""
    import signal

    import convcli.quick

    def import_numpy(*args, **kwargs):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            signal.sigtimedwait([], 1)  # let the handler run
        except KeyboardInterrupt:
            raise ImportError('PyCapsule_Import could not import module "datetime"') from None
        raise AssertionError("no KeyboardInterrupt")

    monkeypatch.setattr(convcli.quick, "plain_command", import_numpy)
    assert convcli.quick.main(["conv2d", "1", "1"]) == 130
    assert capsys.readouterr().err == "Error: interrupted\n"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back for the caller
    monkeypatch.setattr(convcli.quick, "plain_command", lambda args: (_ for _ in ()).throw(ImportError("real")))
    with pytest.raises(ImportError, match="real"):  # without a Ctrl-C an ImportError is what it is
        convcli.quick.main(["conv2d", "1", "1"])


@pytest.mark.parametrize("name, stderr", [("SIGINT", "Error: interrupted\n"), ("SIGTERM", ""), ("SIGHUP", "")])
@pytest.mark.parametrize("extra", [[], ["-p0"]])  # the fast path, and Typer's
def test_the_process_ends_by_the_signal_it_got(name, stderr, extra):
    """After its clean-up and message, the console script ends by the signal
    itself, as Python does on an unhandled Ctrl-C: exiting with 130 left a
    shell loop running (bash stops a loop only for a child the signal killed)."""
    import signal

    number = getattr(signal, name)
    program = (
        "import os, signal, convcli.pipeline as pipeline, convcli.quick as quick\n"
        "def signalled(*args, **kwargs):\n"
        f"    os.kill(os.getpid(), {int(number)})\n"
        "    signal.sigtimedwait([], 5)\n"
        "pipeline.run_operation = signalled\n"
        f"quick.console()\n"
    )
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    done = subprocess.run([sys.executable, "-c", program, "correlate2d", "1 2", "1", *extra],
                          capture_output=True, text=True, env=env, timeout=60)
    assert (done.returncode, done.stderr) == (-number, stderr)


def test_the_console_script_runs_from_a_thread(capsys):
    """Python sets signal handlers on the main thread only: called from
    another thread, main skips them (it raised 'signal only works in main
    thread')."""
    import threading

    from convcli.quick import main as console_script

    codes = []
    worker = threading.Thread(target=lambda: codes.append(console_script(["correlate2d", "1 2", "1"])))
    worker.start()
    worker.join()
    assert codes == [0] and capsys.readouterr().out == "1,2\n"


def test_importing_the_package_leaves_numpy_for_later():
    """The console script imports `convcli` before it can catch a Ctrl-C, so
    the package imports the engine (and numpy) on first use only."""
    probe = ("import sys, convcli; before = 'numpy' in sys.modules; "
             "print(before, convcli.engine.output_shape((3, 3), (2, 2)), convcli.conv2d([[1, 2]], [[1]]).tolist(), "
             "'conv2d' in dir(convcli))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout == "False (2, 2) [[1, 2]] True\n"


@pytest.mark.parametrize("name, code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_termination_during_a_write_leaves_no_temporary_file(capsys, monkeypatch, tmp_path, name, code):
    """SIGTERM (timeout, kill) and SIGHUP ended the process at once, and a
    half-written '.convcli-*.tmp' stayed beside the -o target (QA: 12 MB)."""
    import signal

    import convcli.outputs
    from convcli.quick import main as console_script

    number = getattr(signal, name)
    real_fsync = os.fsync

    def fsync_then_signal(fd):
        real_fsync(fd)
        os.kill(os.getpid(), number)
        signal.sigtimedwait([], 1)  # the handler runs here, mid-write
        raise AssertionError(f"{name} did not stop the run")

    monkeypatch.setattr(convcli.outputs.os, "fsync", fsync_then_signal)
    target = tmp_path / "out.csv"
    with pytest.raises(SystemExit) as stopped:
        console_script(["correlate2d", "1 2; 3 4", "1", "-o", str(target)])
    assert stopped.value.code == code
    assert os.listdir(tmp_path) == []
    assert signal.getsignal(number) == signal.SIG_DFL  # put back for the caller


def test_a_fill_value_or_bias_file_may_hold_a_bare_json_number(capsys, tmp_path):
    """As a CSV file of '2' does; a JSON '2' was refused ('is a number (2), not an array')."""
    (tmp_path / "two.json").write_text("2\n")
    (tmp_path / "named.json").write_text('{"fill": 3, "flag": true}')
    assert run(capsys, "correlate2d", "1 2", "1", "--padding", "1", "--fill-value", str(tmp_path / "two.json"))[1] \
        == "2,2,2,2\n2,1,2,2\n2,2,2,2\n"
    assert run(capsys, "correlate2d", "1 2", "1", "--bias", str(tmp_path / "two.json"))[1] == "3,4\n"
    assert run(capsys, "correlate2d", "1", "1", "--padding", "1", "--fill-value",
               str(tmp_path / "named.json") + ":fill")[1] == "3,3,3\n3,1,3\n3,3,3\n"
    code, out, err = run(capsys, "correlate2d", str(tmp_path / "two.json"), "1")  # an operand is a matrix
    assert (code, err) == (1, f"Error: {tmp_path / 'two.json'}: the JSON is a number (2), not an array of numbers\n")
    code, out, err = run(capsys, "correlate2d", "1", "1", "--fill-value", str(tmp_path / "named.json") + ":flag")
    assert code == 1 and "is a boolean (true), not an array of numbers" in err


def test_failed_run_leaves_existing_output_untouched(capsys, tmp_path):
    target = tmp_path / "keep.csv"
    target.write_text("precious\n")
    code, out, err = run(capsys, "conv2d", "1 2; 3 4", "1 2 3; 4 5 6; 7 8 9", "-o", str(target))
    assert (code, out) == (1, "")
    assert err == "Error: kernel (3, 3) is larger than input (2, 2) with padding 'valid' (padded size (2, 2))\n"
    assert target.read_text() == "precious\n"
    assert os.listdir(tmp_path) == ["keep.csv"]


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["conv2d", "1 2; 3 4", "1 2", "--stride", "0"], 2, "Error: stride must be at least 1, got '0'"),
        (["conv2d", "1 2; 3 4", "1 2", "--padding", "-1"], 2, "Error: padding must not be negative, got '-1'"),
        (["conv2d", "1 2; 3 4", "1 2", "--boundary", "mirror"], 2, "Error: boundary 'mirror' is not one of"),
        (["conv2d", "1 2; 3 4", "1 2", "--format", "xml"], 2, "Error: format 'xml' is not one of table, csv"),
        (["conv2d", "1 2; 3 4", "1 2", "--nope"], 2, "Error: No such option: --nope"),
        (["conv2d", "1 2; 3 4"], 2, "Error: Missing argument"),
        (["conv2d", "-1 2", "1", "--bias"], 2, "Error: Option '--bias' requires an argument."),  # not "No such option: -1 2"
        (["conv2d", "1 2; 3 4", "1 2 3"], 1, "Error: kernel (1, 3) is larger than input (2, 2)"),
        (["conv2d", "[[[1]],[[2]]]", "[[[[1]]]]"], 1, "Error: kernel (1, 1, 1, 1) expects 1 input channels"),
        (["conv2d", "1 2; 3 4", "1", "--bias", "1 2"], 1, "Error: bias has 2 values but there are 1"),
        (["conv2d", "-", "-"], 2, "Error: only one argument can be read from stdin"),
        (["conv2d", "-", "1", "--bias", "-"], 2, "Error: only one argument can be read from stdin"),
        (["compare", "1 2", "-", "--fill-value", "-"], 2, "Error: only one argument can be read from stdin"),
        (["conv1x1", "-", "1", "--bias", "-"], 2, "Error: only one argument can be read from stdin"),
        (["correlate2d", "-:input", "-:kernel"], 2, "Error: only one argument can be read from stdin (- or -:KEY)"),
        (["conv2d", "-:input", "1", "--bias", "-"], 2, "Error: only one argument can be read from stdin"),
        (["conv1x1", "[[[1]],[[2]]]", "1 2 3"], 1, "Error: conv1x1 weights (1, 3) expect 3 channels"),
        (["conv2d", "1 2", "1", "--fill-value", "1 2"], 1, "Error: fill value must be one number, got '1 2'"),
        (["conv2d", "1 2", "1", "--precision", "18"], 2, "Error: --precision must be between 1 and 17"),
        (["conv2d", "1 2", "1", "--precision=--5"], 2, "Error: Invalid value for '--precision'"),
        (["conv2d", "1 2", "1", "--steps", "\u00b2"], 2, "Error: Invalid value for '--steps'"),
        (["conv2d", "1 2", "1", "--padding", str(10**160)], 1, "Error: the padded input ("),
    ],
)
def test_errors_are_one_line_with_exit_code(capsys, args, code, message):
    got_code, out, err = run(capsys, *args)
    assert got_code == code
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1 and "Traceback" not in err


def test_version(capsys):
    import convcli

    assert run(capsys, "--version") == (0, f"convcli {convcli.__version__}\n", "")


def test_demo_shows_the_classic_answer(capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0
    for row in ("4  3  4", "2  4  3", "2  3  4"):
        assert row in out


def test_console_script_and_module_entry_points(tmp_path):
    """The real process: python -m convcli, a pipe between two commands, exit codes."""
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    first = subprocess.run(
        [sys.executable, "-m", "convcli", "correlate2d", "-", "1 1; 1 1"],
        input="1,2,3\n4,5,6\n7,8,9\n", capture_output=True, text=True, env=env,
    )
    assert (first.returncode, first.stdout, first.stderr) == (0, "12,16\n24,28\n", "")
    second = subprocess.run(
        [sys.executable, "-m", "convcli", "correlate2d", "-", "1 -1"],
        input=first.stdout, capture_output=True, text=True, env=env,
    )
    assert (second.returncode, second.stdout) == (0, "-4\n-4\n")
    bad = subprocess.run([sys.executable, "-m", "convcli", "conv2d", "1 x", "1"], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("Error: ") and bad.stderr.count("\n") == 1
    # an overflow in a trace: convcli's one warning line, not numpy's RuntimeWarning with its source line
    for command in (["correlate2d", "--trace"], ["compare"]):
        done = subprocess.run([sys.executable, "-m", "convcli", command[0], "1e200 1", "1e200 1", *command[1:]],
                              capture_output=True, text=True, env=env)
        assert done.returncode == 0
        assert done.stderr == "Warning: 1 result value(s) overflowed the float range to infinity or NaN\n"


def _shell(command: str, tmp_path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, cwd=tmp_path)


CONVCLI = f"'{sys.executable}' -m convcli"


@pytest.mark.parametrize("args", ["conv2d '1 2; 3 4' 1", "conv2d '1 2; 3 4' 1 --format table",
                                  "conv2d '1 2; 3 4' 1 --format npy", "kernels", "--help",
                                  "conv2d --help", "shape -i 5 -k 3", "compare '1 2; 3 4' 1", "demo", "--version"])
def test_a_closed_or_full_stdout_is_one_error_line(args, tmp_path):
    closed = _shell(f"{CONVCLI} {args} >&-", tmp_path)
    assert (closed.returncode, closed.stderr) == (1, "Error: stdout: cannot write (stdout is closed)\n")
    if os.path.exists("/dev/full"):
        full = _shell(f"{CONVCLI} {args} > /dev/full", tmp_path)
        assert (full.returncode, full.stderr) == (1, "Error: stdout: cannot write (No space left on device)\n")


def test_results_survive_a_closed_stdout_or_a_full_stderr(tmp_path):
    # -o needs no stdout; a warning that cannot be shown does not cost the result
    done = _shell(f"{CONVCLI} conv2d '1 2; 3 4' '1 1' -o out.csv >&-", tmp_path)
    assert done.returncode == 0 and (tmp_path / "out.csv").read_text() == "3\n7\n"
    if os.path.exists("/dev/full"):
        warned = _shell(f"{CONVCLI} conv2d '1 nan' 1 2>/dev/full", tmp_path)
        assert (warned.returncode, warned.stdout) == (0, "1.0,nan\n")
    failed = _shell(f"{CONVCLI} conv2d missing.csv 1 2>&-", tmp_path)
    assert (failed.returncode, failed.stdout) == (1, "")


@pytest.mark.parametrize("args", [["demo"], ["conv2d", "1 2; 3 4", "1"], ["shape", "-i", "5", "-k", "3"],
                                  ["demo", "--help"], ["--help"]])
def test_a_closed_pipe_exits_141_quietly(args):
    """`convcli ... | head -1`: the reader has gone before convcli writes (it is closed at once here)."""
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    process = subprocess.Popen([sys.executable, "-m", "convcli", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    process.stdout.close()
    assert process.wait(timeout=60) == 141
    assert process.stderr.read() == b""
    process.stderr.close()


@pytest.mark.parametrize("size, options", [(700, ["--format", "csv"]), (700, ["--format", "npy"]),
                                           (200, ["--format", "csv"]), (200, ["--format", "json"]),
                                           (200, ["--format", "table"]), (200, ["--emit-code", "numpy"])])
def test_a_reader_leaving_mid_output_gives_141(tmp_path, size, options):
    """`convcli ... | head -c 10` on 0.3-10 MB of output: CPython took a write the reader cut short for a success."""
    np.save(tmp_path / "big.npy", np.random.default_rng(0).standard_normal((size, size)))
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    process = subprocess.Popen([sys.executable, "-m", "convcli", "correlate2d", str(tmp_path / "big.npy"), "1",
                                *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert len(process.stdout.read(10)) == 10
    process.stdout.close()
    assert process.wait(timeout=120) == 141
    assert process.stderr.read() == b""
    process.stderr.close()


def test_kernels_lists_every_named_kernel_with_values(capsys):
    code, out, _ = run(capsys, "kernels")
    assert code == 0
    for name in ("identity", "box3", "box5", "gaussian3", "gaussian5", "sobel-x", "sobel-y", "scharr-x",
                 "scharr-y", "laplacian", "sharpen", "emboss", "edge"):
        assert f"\n{name}: " in "\n" + out
    assert "sobel-x: " in out and "  -1  0  1\n  -2  0  2\n  -1  0  1" in out
    assert "  1/16  1/8 1/16\n   1/8  1/4  1/8" in out  # gaussian3, exact


def test_named_kernel_as_kernel(capsys):
    code, out, _ = run(capsys, "correlate2d", "1 2 3; 4 5 6; 7 8 9", "sobel-x", "--format", "csv")
    assert (code, out) == (0, "8\n")  # (3-1) + 2*(6-4) + (9-7)
    code, out, _ = run(capsys, "correlate2d", "1 2 3; 4 5 6; 7 8 2", "box3", "--exact", "--format", "csv")
    assert (code, out) == (0, "38/9\n")


def test_exact_reads_decimals_as_the_fractions_they_spell(capsys, tmp_path):
    # (0.5 + 1 + ... + 8) / 9 = 73/18; without --exact, floats
    assert run(capsys, "conv2d", "0.5 1 2; 3 4 5; 6 7 8", "box3", "--exact", "--format", "csv") == (0, "73/18\n", "")
    assert run(capsys, "conv2d", "0.5 1 2; 3 4 5; 6 7 8", "box3", "--format", "csv") == (0, "4.055555555555555\n", "")
    assert run(capsys, "correlate2d", "0.1 0.2", "1 1", "--exact", "--format", "csv") == (0, "3/10\n", "")
    # a fraction typed beside a decimal stays a fraction, in the trace too
    code, out, _ = run(capsys, "correlate2d", "1/9 0.5", "1 1", "--exact", "--trace", "--format", "csv")
    assert code == 0 and "(1/9)*1 + (1/2)*1 = 1/9 + 1/2 = 11/18" in out and out.endswith("11/18\n")
    # the fill value, the bias, conv1x1 and compare too
    assert run(capsys, "correlate2d", "1", "1", "--padding", "1", "--fill-value", "0.25", "--bias", "0.5", "--exact",
               "--format", "csv") == (0, "3/4,3/4,3/4\n3/4,3/2,3/4\n3/4,3/4,3/4\n", "")
    assert run(capsys, "conv1x1", "[[[1]], [[2]]]", "[0.5, 0.25]", "--exact", "--format", "csv") == (0, "1\n", "")
    code, out, _ = run(capsys, "compare", "0.5 0.25", "1", "--exact")
    assert code == 0 and "1/2" in out and "1/4" in out
    # whole decimals become integers, which the FFT may still serve
    assert run(capsys, "conv2d", "1.0 2.0", "1", "--exact", "--method", "fft", "--format", "csv") == (0, "1,2\n", "")
    # NaN has no exact value: the work stays float, and the warning says so
    code, out, err = run(capsys, "correlate2d", "0.1 nan", "1 1", "--exact", "--format", "csv")
    assert (code, out) == (0, "nan\n") and "NaN" in err


def test_fractions_too_large_for_a_float_become_infinite_without_exact(capsys):
    code, out, err = run(capsys, "conv2d", "1" + "0" * 400 + "/3 1/2", "1", "--format", "csv")
    assert (code, out) == (0, "inf,0.5\n") and err.startswith("Warning:")


@pytest.mark.parametrize("args, code", [(["conv2d", "1 2; 3 4", "1 2 3"], 1), (["conv2d", "1 2", "1", "--stride", "0"], 2),
                                        (["conv2d", "1 2", "1", "--bogus"], 2)])
def test_debug_shows_the_traceback_and_keeps_the_exit_code(capsys, args, code):
    assert main(args + ["--debug"]) == code
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1].startswith("Error: ")
    assert main(args) == code and capsys.readouterr().err == err.splitlines()[-1] + "\n"


def _run_in_terminal(args, extra_env):
    """Run convcli with stdout on a pseudo-terminal; return what it printed."""
    import pty

    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."), COLUMNS="80", **extra_env)
    env.pop("NO_COLOR", None) if "NO_COLOR" not in extra_env else None
    env["TERM"] = "xterm-256color"
    primary, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "convcli", *args], stdout=secondary, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, env=env)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(primary)
    return process.returncode, b"".join(chunks).decode()


ASCII_TRACES = [["conv1x1", "[[[1, 2]], [[5, 6]]]", "1 10; 2 0", "--trace"],
                ["conv2d", ";".join(" ".join(map(str, range(12))) for _ in range(12)), "1 1; 1 1", "--trace-format",
                 "markdown"]]


@pytest.mark.parametrize("args", ASCII_TRACES)
def test_traces_print_under_an_ascii_only_encoding(args):
    """PYTHONIOENCODING=ascii (or a C locale without UTF-8 mode): the trace's dot
    and ellipsis become * and ..., in a pipe and on a terminal, not a traceback."""
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."), PYTHONIOENCODING="ascii")
    piped = subprocess.run([sys.executable, "-m", "convcli", *args], capture_output=True, env=env)
    assert (piped.returncode, piped.stderr) == (0, b"")
    code, shown = _run_in_terminal(args, {"PYTHONIOENCODING": "ascii", "NO_COLOR": "1"})
    assert code == 0
    for output in (piped.stdout.decode("ascii"), shown):
        assert ("[1, 5] * [1, 10] = 1*1 + 5*10 = 51" if args[0] == "conv1x1" else "| ... |") in output


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_terminal_gets_a_table_and_no_color_is_honoured():
    args = ["correlate2d", "1 2; 3 4", "1 2; 3 4", "--padding", "same"]
    code, coloured = _run_in_terminal(args, {"FORCE_COLOR": "1"})
    assert code == 0 and "\x1b[" in coloured and "30" in coloured
    for env in ({"NO_COLOR": "1"}, {}):
        extra = ["--no-color"] if not env else []
        code, plain = _run_in_terminal(args + extra, env)
        assert code == 0
        assert "\x1b[" not in plain
        assert "30" in plain and "14" in plain and "," not in plain  # a table, not CSV


def test_with_o_the_file_is_written_before_a_trace_the_reader_may_stop(tmp_path):
    (tmp_path / "mid.csv").write_text("".join(f"{i},{i + 1},{i + 2}\n" for i in range(400)))
    done = _shell(f"{CONVCLI} conv2d mid.csv '1 2; 3 4' --trace --steps 200 -o out.csv | head -c 5", tmp_path)
    assert done.returncode == 0 and done.stdout == "conv2"
    assert (tmp_path / "out.csv").read_text().splitlines()[:2] == ["7,17", "17,27"]


def test_small_output_details(capsys, tmp_path):
    # the table is titled as the command is named
    code, out, _ = run(capsys, "im2col-matmul", "1 2; 3 4", "1", "--format", "table")
    assert code == 0 and out.splitlines()[0].strip() == "im2col-matmul"
    # -o /dev/null: a dry run, whatever the format
    assert run(capsys, "conv2d", "1 2", "1", "-o", os.devnull) == (0, "", "")
    code, out, err = run(capsys, "conv2d", "1 2", "1", "-o", "")
    assert (code, err) == (2, "Error: -o needs a file name (or - for stdout)\n")
    # no arguments: the help, and no stray blank line on stderr
    code, out, err = run(capsys)
    assert code == 2 and "Usage" in out and err == ""


def test_a_fill_value_gives_the_same_work_however_it_is_written(capsys, tmp_path):
    np.save(tmp_path / "x.npy", np.ones((2, 2), np.float32))
    dtypes = []
    for fill in ("0.5", "1/2"):
        assert run(capsys, "correlate2d", str(tmp_path / "x.npy"), "1", "-p", "1", "--fill-value", fill,
                   "-o", str(tmp_path / "out.npy"))[0] == 0
        dtypes.append(np.load(tmp_path / "out.npy").dtype)
    assert dtypes == [np.float64, np.float64]
