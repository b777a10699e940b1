"""convcli shape: sizes, pads, the formula with numbers, the "does not fit"
warning, transposed sizes and the line comparing every --like."""

from __future__ import annotations

import itertools
import json

import pytest

from convcli.cli import main
from convcli.errors import ShapeError, UsageError
from convcli.shape import explain_shape, render_text, unused_inputs


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_input_28_kernel_5_gives_24(capsys):
    code, out, err = run(capsys, "shape", "--input", "28", "--kernel", "5")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("output 24 x 24")
    assert lines[1] == "rows  pads 0 before, 0 after   floor((28 + 2*0 - 1*(5-1) - 1)/1) + 1 = 24"
    assert lines[3] == ("every --like: scipy 24x24 | numpy refused: np.convolve takes one row | matlab 24x24 | torch 24x24"
                        " | tf 24x24")


def test_tf_same_with_stride_2_gives_112_with_pads_2_and_3(capsys):
    code, out, err = run(capsys, "shape", "--input", "224", "--kernel", "7", "--stride", "2", "--padding", "same",
                         "--like", "tf")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("output 112 x 112")
    assert lines[1] == "rows  pads 2 before, 3 after   floor((224 + 2 + 3 - 1*(7-1) - 1)/2) + 1 = 112"
    assert lines[2] == "cols  pads 2 before, 3 after   floor((224 + 2 + 3 - 1*(7-1) - 1)/2) + 1 = 112"
    assert lines[3] == ("every --like: scipy 112x112 (pads 3+3) | numpy refused: np.convolve takes one row"
                        " | matlab 112x112 (pads 3+3) | torch refused: padding='same' with a stride"
                        " | tf 112x112 (pads 2+3)")


def test_numpy_takes_one_row_as_the_commands_do(capsys):
    code, out, err = run(capsys, "shape", "-i", "5,6", "-k", "2,3", "-p", "same", "--like", "numpy")
    assert (code, out) == (2, "")
    assert err == ("Error: --like numpy follows np.convolve/np.correlate, which take one row; "
                   "got input (5, 6) and kernel (2, 3)\n")
    one_row = explain_shape("1,6", "1,2", padding="same", like="numpy", operation="conv2d")
    assert one_row.output_hw == (1, 6) and dict(one_row.comparison)["numpy"] == "1x6 (pads rows 0+0, cols 1+0)"
    assert dict(explain_shape("1,6", "1,2", stride=2).comparison)["numpy"] == \
        "refused: np.convolve has no stride or dilation"


def test_json(capsys):
    code, out, _ = run(capsys, "shape", "-i", "224,112", "-k", "7,3", "-s", "2", "-p", "same", "--like", "tf",
                       "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["output"] == [112, 56]
    assert [(a["pad_before"], a["pad_after"]) for a in report["axes"]] == [(2, 3), (0, 1)]
    assert report["every_like"]["matlab"] == "112x56 (pads rows 3+3, cols 1+1)"


def test_does_not_fit_warning(capsys):
    # (28 - 5) = 23 is odd: with stride 2 the last input row is never read
    code, out, err = run(capsys, "shape", "--input", "28", "--kernel", "5", "--stride", "2")
    assert code == 0 and out.startswith("output 12 x 12")
    assert err.splitlines()[0] == ("Warning: 1 of 28 input rows never reach the kernel (27): the windows do not fit, "
                                   "28 + 0 + 0 - 5 = 23 is not a multiple of stride 2")


def test_stride_larger_than_kernel_skips_rows():
    report = explain_shape("7,6", "2,1", stride=3)
    assert report.axes[0].unused == (2, 5, 6) and report.axes[0].unused_count == 3
    assert report.axes[1].unused == (1, 2, 4, 5)
    assert report.warnings[0] == "3 of 7 input rows never reach the kernel (2, 5, 6): stride 3 steps over some; " \
        "the windows do not fit, 7 + 0 + 0 - 2 = 5 is not a multiple of stride 3"
    assert explain_shape("7", "1", stride=3).warnings[0] == \
        "4 of 7 input rows never reach the kernel (1, 2, 4, 5): stride 3 steps over them"


@pytest.mark.parametrize("i, k, s, d, before, after", [(9, 3, 2, 2, 0, 0), (10, 2, 3, 2, 1, 1), (8, 3, 1, 3, 2, 2)])
def test_unused_matches_a_brute_force_count(i, k, s, d, before, after):
    outputs = (i + before + after - d * (k - 1) - 1) // s + 1
    read = {o * s + j * d - before for o in range(outputs) for j in range(k)}
    expected = tuple(r for r in range(i) if r not in read)
    assert unused_inputs(i, k, s, d, before, outputs) == (expected, len(expected))


def test_unused_matches_a_brute_force_count_everywhere():
    for i, k, s, d, before, after in itertools.product(range(1, 9), range(1, 4), range(1, 5), range(1, 4),
                                                       range(3), range(2)):
        outputs = (i + before + after - d * (k - 1) - 1) // s + 1
        if outputs < 1:
            continue
        read = {o * s + j * d - before for o in range(outputs) for j in range(k)}
        expected = tuple(r for r in range(i) if r not in read)
        assert unused_inputs(i, k, s, d, before, outputs) == (expected[:20], len(expected)), (i, k, s, d, before)


def test_unused_is_counted_for_any_size_and_stride():
    # every other row of five million, beyond any row-by-row scan
    assert explain_shape("5000000,4", "1", stride=2).axes[0].unused_count == 2_500_000
    # a stride past int64 (numpy arithmetic would overflow): one window reads rows 0-2
    report = explain_shape("5", "3", stride=10**26)
    assert report.axes[0].unused == (3, 4) and report.axes[0].unused_count == 2
    assert unused_inputs(2**73, 3, 2**63, 5, 0, 1000)[1] == 2**73 - 3000
    # a kernel of millions of dilated taps is not counted: null, not 0
    report = explain_shape("9000000", "2000000", dilation=3, stride=2)
    assert report.axes[0].unused_count is None and report.as_dict()["axes"][0]["unused_inputs"] is None
    assert report.warnings[0] == ("input rows that no window reads were not counted: the kernel has more than "
                                  "1,000,000 dilated taps along them")
    # windows without dilation are counted by formula, whatever the kernel: 3 of every 5 rows are read
    assert unused_inputs(10**12, 3 * 10**6, 5 * 10**6, 1, 0, 200_000) == (
        tuple(range(3 * 10**6, 3 * 10**6 + 20)), 10**12 - 200_000 * 3 * 10**6)


def test_skipped_inputs_past_the_first_hundred_thousand_are_listed_from_the_end():
    report = explain_shape("1,200001", "1,3", stride=(1, 3), dilation=(1, 2), padding=(0, 0, 2, 0))
    assert report.axes[1].unused == (199999,) and report.axes[1].unused_count == 1
    wide = explain_shape("1,200001", "1,3", stride=(1, 3), dilation=(1, 2))
    assert wide.axes[1].unused == (1, 199998, 200000) and wide.axes[1].unused_count == 3
    # fewer listed than counted: the warning says so with "..."
    assert unused_inputs(10**12, 1000, 3, 2, 0, 333_332_668)[1] > 20


def test_skipped_inputs_only_in_the_middle_are_counted_but_not_listed():
    report = explain_shape("350000,1", "2,1", dilation=(250000, 1))
    assert report.axes[0].unused == () and report.axes[0].unused_count == 150000
    assert report.warnings[0] == ("150000 of 350000 input rows never reach the kernel: dilation 250000 leaves gaps "
                                  "between the taps that the windows do not fill")


def test_a_one_tap_kernel_skips_by_stride_alone():
    assert explain_shape("1,10", "1,1", stride=(1, 3), dilation=(1, 5)).warnings[0] == (
        "6 of 10 input cols never reach the kernel (1, 2, 4, 5, 7, 8): stride 3 steps over them")


def test_numpy_has_no_stride_even_with_explicit_pads(capsys):
    code, out, err = run(capsys, "shape", "-i", "1,10", "-k", "1,3", "-s", "2", "-p", "0", "--like", "numpy")
    assert (code, out) == (2, "")
    assert err == "Error: --like numpy: np.convolve has no stride or dilation (got stride (2, 2), dilation (1, 1))\n"


def test_gaps_left_by_dilation_are_blamed_on_dilation():
    assert explain_shape("5", "2", dilation=4).warnings[0] == (
        "3 of 5 input rows never reach the kernel (1, 2, 3): dilation 4 leaves gaps between the taps that "
        "the windows do not fill")
    assert explain_shape("11", "3", stride=4, dilation=2).warnings[0].startswith(
        "6 of 11 input rows never reach the kernel (1, 3, 5, 7, 9, 10): stride 4 and dilation 2 step over some; ")


def test_a_configuration_that_fits_has_no_warning():
    assert explain_shape("32", "3", stride=1, padding=1).warnings == ()
    # (224 + 6 - 7) = 223 is odd, yet what is left over is a pad, not an input row
    assert explain_shape("224", "7", stride=2, padding=3).warnings == ()


def test_transposed():
    report = explain_shape("7", "3", stride=2, padding=1, transposed=True, output_padding=1)
    assert report.output_hw == (14, 14)
    assert report.axes[0].formula == "2*(7-1) + 1 + 3 - 2*1 = 14"
    assert explain_shape("4", "4", stride=2, padding=1, transposed=True).output_hw == (8, 8)  # DCGAN's up-sampler


def test_transposed_needs_explicit_padding_and_a_small_output_padding():
    with pytest.raises(UsageError, match="--transposed takes padding valid or explicit pads"):
        explain_shape("7", "3", padding="same", transposed=True)
    with pytest.raises(UsageError, match="smaller than the stride"):
        explain_shape("7", "3", stride=2, transposed=True, output_padding=2)


def test_dilation_in_the_formula():
    report = explain_shape("10", "3", dilation=2, padding="same", like="torch")
    assert report.axes[0].formula == "floor((10 + 2*2 - 2*(3-1) - 1)/1) + 1 = 10"


def test_even_kernel_same_differs_by_library():
    report = explain_shape("1,6", "1,2", padding="same", operation="conv2d")
    assert dict(report.comparison)["scipy"] == "1x6 (pads rows 0+0, cols 1+0)"
    assert dict(report.comparison)["matlab"] == "1x6 (pads rows 0+0, cols 0+1)"


def test_kernel_too_large_is_a_shape_error(capsys):
    with pytest.raises(ShapeError, match="does not fit input 3"):
        explain_shape("3", "5")
    code, out, err = run(capsys, "shape", "-i", "3", "-k", "5")
    assert (code, out) == (1, "")
    assert err.startswith("Error: rows: kernel 5 does not fit input 3 padded by 0+0")


def test_render_text_header():
    text = render_text(explain_shape("28", "5"))
    assert text.splitlines()[0] == ("output 24 x 24   (correlate2d: input 28 x 28, kernel 5 x 5, stride 1, dilation 1, "
                                    "padding valid, --like scipy)")


def test_transposed_size_subtracts_the_pads_before_and_after(capsys):
    """s*(i-1) + a + k - (before + after): 2*6 + 3 - (1 + 2) = 12."""
    code, out, _ = run(capsys, "shape", "-i", "7", "-k", "3", "-s", "2", "--transposed", "-p", "1,2,1,2")
    assert code == 0 and out.startswith("output 12 x 12")
    assert "2*(7-1) + 0 + 3 - (1 + 2) = 12" in out
