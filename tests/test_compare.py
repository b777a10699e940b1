"""`convcli compare` and `convcli demo`: every explanation is checked against
a computation, and the demo never waits unless a person is at a terminal."""

from __future__ import annotations

import io
import json
import os
import sys

import numpy as np
from classic import CLASSIC_INPUT_TEXT, CLASSIC_KERNEL_TEXT, SAMPLES
from classic import CLASSIC_KERNEL_ROWS as CLASSIC_KERNEL
from classic import CLASSIC_ROWS as CLASSIC_INPUT
from scipy import signal

from convcli.cli import main
from convcli.compare import agreement, compare, comparison_text
from convcli.demo import demo_pages
from convcli.trace_text import blocks_text

CLASSIC_INLINE = (CLASSIC_INPUT_TEXT, CLASSIC_KERNEL_TEXT)


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_classic_example_answers_the_seed_question():
    comparison = compare(CLASSIC_INPUT, CLASSIC_KERNEL)
    expected = [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    for name in ("conv2d", "correlate2d", "im2col-matmul"):
        assert comparison.outcome(name).result.tolist() == expected
    assert comparison.outcome("conv1x1").result is None
    text = comparison_text(comparison)
    assert "conv2d equals correlate2d here because the kernel is symmetric under a 180 degree rotation" in text
    assert "im2col-matmul equals correlate2d: it forms the same sums of products" in text
    assert "W_row @ X_col (1 x 9 times 9 x 9)" in text
    # the three parts of the confusion: element-wise products, not a matrix product; depth; the flip
    assert ("conv2d at (0, 0): 1*1 + 1*0 + 1*1 + 0*0 + 1*1 + 1*0 + 0*1 + 0*0 + 1*1 "
            "= 1 + 0 + 1 + 0 + 1 + 0 + 0 + 0 + 1 = 4") in text
    window = np.array(CLASSIC_INPUT)[:3, :3]
    assert f"matrix ({(window @ np.array(CLASSIC_KERNEL)).tolist()})" in text  # [[2, 1, 2], [1, 1, 1], [1, 0, 1]]
    assert "dot product over depth" in text and "1*1 + 5*10 = 51" in text
    assert "conv2d turns the kernel 180 degrees" in text
    # results side by side
    assert "conv2d          correlate2d      im2col-matmul" in text
    assert "0  4  3  4      0  4  3  4       0  4  3  4" in text


def test_asymmetric_kernel_differs_and_the_flip_reproduces_conv2d():
    comparison = compare([[1, 2], [3, 4]], [[1, 2], [3, 4]])
    assert comparison.outcome("conv2d").result.tolist() == [[20]]
    assert comparison.outcome("correlate2d").result.tolist() == [[30]]
    assert comparison.findings[0] == (
        "conv2d and correlate2d differ because the kernel is not symmetric under a 180 degree rotation "
        "(conv2d flips it, correlate2d does not), and correlate2d with the flipped kernel reproduces conv2d "
        "(checked: the 1 cell is equal)."
    )


def test_even_kernel_same_padding_differs_even_when_symmetric():
    comparison = compare([[1, 2, 3, 4, 5, 6]], [[1, 1]], padding="same")
    assert comparison.outcome("conv2d").result.tolist() == [[1, 3, 5, 7, 9, 11]]
    assert comparison.outcome("correlate2d").result.tolist() == [[3, 5, 7, 9, 11, 6]]
    finding = comparison.findings[0]
    assert finding.startswith("conv2d and correlate2d differ even though the kernel is symmetric")
    assert "padded as conv2d pads ((top, bottom, left, right) = (0, 0, 1, 0)" in finding
    assert finding.endswith("reproduces conv2d (checked: all 6 cells are equal).")


def test_equal_results_from_different_pads_are_called_a_coincidence():
    """A symmetric even kernel with 'same': the pads differ, so equal results are this input's doing, not the kernel's."""
    comparison = compare([[5, 5]], [[1, 1]], padding="same", boundary="replicate")
    assert comparison.outcome("conv2d").result.tolist() == comparison.outcome("correlate2d").result.tolist() == [[10, 10]]
    finding = comparison.findings[0]
    assert finding.startswith("conv2d equals correlate2d here, but only because this input happens to give the same sums")
    assert "flipping it changes nothing" not in finding
    assert "padded as conv2d pads ((top, bottom, left, right) = (0, 0, 1, 0)" in finding


def test_like_torch_pads_every_operation_as_torch_does():
    # torch's 'same' puts the odd padding cell after the input for every operation, flipped or not
    comparison = compare([[1, 2, 3, 4]], [[1, 10]], padding="same", like="torch")
    assert comparison.outcome("correlate2d").result.tolist() == [[21, 32, 43, 4]]  # 1*1 + 2*10, ..., 4*1 + 0*10
    assert comparison.outcome("im2col-matmul").result.tolist() == [[21, 32, 43, 4]]
    assert comparison.outcome("conv2d").result.tolist() == [[12, 23, 34, 40]]  # flipped kernel [10, 1]
    assert comparison.title.endswith("like torch")
    assert "padded as conv2d pads" not in comparison.findings[0]  # both padded alike: no alignment note
    symmetric = compare([[1, 2, 3, 4, 5, 6]], [[1, 1]], padding="same", like="torch")
    assert symmetric.outcome("conv2d").result.tolist() == [[3, 5, 7, 9, 11, 6]]
    assert symmetric.findings[0].startswith("conv2d equals correlate2d here because the kernel is symmetric")


def test_results_equal_scipy_under_every_boundary():
    rng = np.random.default_rng(3)
    x = rng.integers(-9, 10, size=(6, 5))
    kernel = rng.integers(-3, 4, size=(3, 2))
    for mode, boundary in [("full", "fill"), ("same", "wrap"), ("valid", "fill"), ("same", "symm")]:
        comparison = compare(x, kernel, padding=mode, boundary=boundary)
        scipy_boundary = {"symm": "symm"}.get(boundary, boundary)
        assert (comparison.outcome("conv2d").result == signal.convolve2d(x, kernel, mode, scipy_boundary)).all()
        assert (comparison.outcome("correlate2d").result == signal.correlate2d(x, kernel, mode, scipy_boundary)).all()
        assert (comparison.outcome("im2col-matmul").result == comparison.outcome("correlate2d").result).all()
        assert "reproduces conv2d (checked: all" in comparison.findings[0]


def test_a_1x1_kernel_adds_conv1x1_and_the_depth_sum():
    x = np.array(json.load(open(os.path.join(SAMPLES, "multichannel.json")))["input"])
    comparison = compare(x, [[[[1]], [[2]]], [[[-1]], [[3]]]], bias=[1, 0])
    expected = np.stack([x[0] + 2 * x[1] + 1, -x[0] + 3 * x[1]])
    for name in ("conv2d", "correlate2d", "im2col-matmul", "conv1x1"):
        assert (comparison.outcome(name).result == expected).all(), name
    text = comparison_text(comparison)
    assert "conv1x1 equals correlate2d: with a 1x1 kernel each output cell is the dot product" in text
    assert "filter 0 at (0, 0), sum over depth: 1 + 0 = 1\nplus bias: 1 + 1 = 2" in text


def test_multichannel_sample_shows_partial_sums_and_bias():
    data = json.load(open(os.path.join(SAMPLES, "multichannel.json")))
    comparison = compare(data["input"], data["kernel"], bias=data["bias"])
    assert comparison.outcome("correlate2d").result.tolist() == data["expected_correlate2d"]
    text = comparison_text(comparison)
    assert "conv2d at (0, 0), filter 0, channel 0: 1*1 + 2*0 + 0*0 + 1*1 = 1 + 0 + 0 + 1 = 2" in text
    assert "filter 0 at (0, 0), sum over depth: 2 + 0 = 2\nplus bias: 2 + 1 = 3" in text
    assert "conv1x1 was not run: conv1x1 needs a 1x1 kernel, and this one is 2x2." in text


def test_agreement():
    a = np.array([[0.1 + 0.2, 1.0]])
    assert agreement(a, np.array([[0.3, 1.0]]))[0] == "rounding"
    assert agreement(a, a.copy()) == ("exact", 0.0)
    assert agreement(a, np.array([[0.3, 2.0]]))[0] == "differ"
    assert agreement(np.array([[1, 2]]), np.array([[1, 3]]))[0] == "differ"
    assert agreement(np.array([[np.nan]]), np.array([[np.nan]]))[0] == "exact"


def test_large_inputs_are_shown_in_part():
    x = np.arange(200 * 200).reshape(200, 200) % 5
    text = comparison_text(compare(x, np.ones((3, 3), int)))
    assert len(text.splitlines()) < 60
    assert "..." in text


def test_cli_compare(capsys):
    code, out, err = run(capsys, "compare", *CLASSIC_INLINE)
    assert (code, err) == (0, "")
    assert "\x1b" not in out
    assert "conv2d equals correlate2d here because the kernel is symmetric under a 180 degree rotation" in out


def test_cli_compare_asymmetric_with_geometry(capsys):
    code, out, _ = run(capsys, "compare", "1 2 3; 4 5 6; 7 8 9", "1 2; 3 4", "--padding", "1", "--boundary", "reflect")
    assert code == 0
    assert "the kernel is not symmetric under a 180 degree rotation" in out
    assert "correlate2d with the flipped kernel reproduces conv2d (checked: all 16 cells are equal)" in out


def test_cli_compare_fractions(capsys):
    box = "1/9 1/9 1/9; 1/9 1/9 1/9; 1/9 1/9 1/9"
    code, out, _ = run(capsys, "compare", "1 2 3; 4 5 6; 7 8 5", box, "--exact")
    assert code == 0 and "41/9" in out
    code, out, _ = run(capsys, "compare", "1 2 3; 4 5 6; 7 8 5", box, "--precision", "4")
    assert code == 0 and "4.556" in out and "41/9" not in out


def test_cli_compare_errors_are_one_line(capsys):
    code, out, err = run(capsys, "compare", "1 2", "1 2 3")
    assert code == 1 and out == "" and err.startswith("Error: kernel") and err.count("\n") == 1


def test_cli_compare_like(capsys):
    code, out, err = run(capsys, "compare", "1 2 3 4", "1 10", "--padding", "same", "--like", "torch")
    assert (code, err) == (0, "")
    assert out.startswith("compare: input (1, 4), kernel (1, 2), padding 'same', boundary fill, like torch\n")
    code, out, err = run(capsys, "compare", "1 2; 3 4", "1 1; 1 1", "--padding", "same", "--like", "numpy")
    assert (code, out) == (2, "")
    assert err == ("Error: --like numpy follows np.convolve/np.correlate, which take one row; "
                   "got input (2, 2) and kernel (2, 2)\n")


# --- demo ---------------------------------------------------------------------------------------


def test_demo_first_page_shows_input_kernel_valid_and_result():
    first = blocks_text(demo_pages()[0])
    assert "5x5 input convolved with a 3x3 kernel, padding 'valid'" in first
    # the input, with the kernel beside it
    assert "0  1  1  1  0  0      0  1  0  1\n1  0  1  1  1  0      1  0  1  0\n2  0  0  1  1  1      2  1  0  1" in first
    assert "4  0  1  1  0  0" in first
    assert "0  4  3  4\n1  2  4  3\n2  2  3  4" in first  # the result


def test_demo_has_one_page_per_step(capsys):
    pages = demo_pages()
    assert len(pages) == 1 + 1 + 9 + 1
    steps = [blocks_text(page) for page in pages[2:11]]
    assert all(f"Step {n} of 9" in page for n, page in enumerate(steps, 1))
    assert all(len(page.splitlines()) <= 40 for page in steps)  # one screen each


def test_demo_prints_everything_without_waiting_when_piped(capsys):
    code, out, err = run(capsys, "demo")
    assert (code, err) == (0, "")
    for row in ("4  3  4", "2  4  3", "2  3  4"):
        assert row in out
    assert "Step 9 of 9" in out and "What is computed" in out


class FakeTerminalInput(io.StringIO):
    def isatty(self):
        return True


def test_demo_waits_for_enter_only_at_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stdin", FakeTerminalInput("\n\nq\n"))
    code, out, err = run(capsys, "demo", "--no-color")
    assert code == 0
    assert err.count("Enter for the next step") == 3
    assert "Step 1 of 9" in out and "Step 2 of 9" not in out  # stopped at q, after page 3


def test_demo_no_pause_and_closed_stdin_never_wait(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stdin", FakeTerminalInput(""))
    code, out, err = run(capsys, "demo", "--no-pause", "--no-color")
    assert (code, err) == (0, "") and "Step 9 of 9" in out
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdin", closed)
    code, out, err = run(capsys, "demo", "--no-color")
    assert (code, err) == (0, "") and "Step 9 of 9" in out
    monkeypatch.setattr(sys, "stdin", FakeTerminalInput(""))  # a terminal that reaches end of file at once
    code, out, err = run(capsys, "demo", "--no-color")
    assert code == 0 and err.count("Enter for the next step") == 1
    assert err.endswith("q to quit -- \n")  # the shell's prompt then starts on a line of its own


def test_comparison_rich_rendering_at_a_fixed_width():
    from rich.console import Console

    from convcli.render_trace import comparison_renderable

    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(comparison_renderable(compare([[1, 2], [3, 4]], [[1, 2], [3, 4]])))
    out = console.file.getvalue()
    assert "\x1b" not in out and max(len(line) for line in out.splitlines()) <= 100
    assert "conv2d at (0, 0): 1*4 + 2*3 + 3*2 + 4*1 = 4 + 6 + 6 + 4 = 20" in out
    assert "What agrees, and why" in out


def test_numpy_same_differs_because_the_kernel_is_longer_not_because_it_is_even():
    # np.convolve([1, 2], [1, 2, 1], 'same') is [1, 4, 5]; np.correlate gives [4, 5, 2]
    comparison = compare([[1, 2]], [[1, 2, 1]], padding="same", like="numpy")
    assert comparison.outcome("conv2d").result.tolist() == [[1, 4, 5]]
    assert comparison.outcome("correlate2d").result.tolist() == [[4, 5, 2]]
    text = comparison_text(comparison)
    assert "because with the kernel longer than the input, numpy's 'same'" in text
    assert "even-sized" not in text
    # an even kernel no longer than the input: numpy aligns both alike
    even = comparison_text(compare([[1, 2, 3, 4]], [[1, 2, 2, 1]], padding="same", like="numpy"))
    assert "conv2d equals correlate2d here because the kernel is symmetric" in even


def test_nan_taps_mirrored_onto_nan_taps_are_symmetric():
    text = comparison_text(compare([[1, 2, 3], [4, 5, 6]], [[1, np.nan], [np.nan, 1]]))
    assert "because the kernel is symmetric under a 180 degree rotation" in text


class FullStream(io.StringIO):
    def write(self, text):
        raise OSError(28, "No space left on device")


def test_demo_pages_on_when_stderr_cannot_take_the_prompt(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stdin", FakeTerminalInput("\n" * 20))
    monkeypatch.setattr(sys, "stderr", FullStream())
    code = main(["demo", "--no-color"])
    assert code == 0 and "Step 9 of 9" in capsys.readouterr().out


def test_compare_does_not_run_conv1x1_under_a_stride(capsys):
    code, out, _ = run(capsys, "compare", "1 2 3; 4 5 6; 7 8 9", "2", "-s", "2")
    assert code == 0 and "conv1x1 was not run: conv1x1 has no padding or stride." in out


def test_compare_calls_a_difference_of_one_millionth_a_difference(capsys):
    """3.000001 against 3.000002 is not rounding: the kernel is not symmetric."""
    code, out, _ = run(capsys, "compare", "1 2 3", "1 1.000001")
    assert code == 0 and "conv2d and correlate2d differ because the kernel is not symmetric" in out
