"""Worked traces, tested through their plain-text form, with hand-worked sums;
every traced value is also checked against the engine (itself checked
against scipy.signal)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from classic import CLASSIC_INPUT_TEXT, CLASSIC_KERNEL_ROWS, CLASSIC_KERNEL_TEXT, CLASSIC_ROWS, SAMPLES
from scipy import signal

import convcli
from convcli import trace as tr
from convcli.cli import main
from convcli.engine.boundary import pad_spatial
from convcli.errors import ShapeError, UsageError
from convcli.trace_im2col import trace_im2col
from convcli.trace_text import format_trace, to_markdown, to_text

CLASSIC_INPUT = np.array(CLASSIC_ROWS)
CLASSIC_KERNEL = np.array(CLASSIC_KERNEL_ROWS)
CLASSIC_INLINE = (CLASSIC_INPUT_TEXT, CLASSIC_KERNEL_TEXT)
ASYMMETRIC = [[1, 2], [3, 4]]
BOX3 = "1/9 1/9 1/9; 1/9 1/9 1/9; 1/9 1/9 1/9"


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def multichannel():
    with open(os.path.join(SAMPLES, "multichannel.json")) as handle:
        return json.load(handle)


# --- the seed example ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "position, line",
    [
        ((0, 0), "1*1 + 1*0 + 1*1 + 0*0 + 1*1 + 1*0 + 0*1 + 0*0 + 1*1 = 1 + 0 + 1 + 0 + 1 + 0 + 0 + 0 + 1 = 4"),
        ((0, 1), "1*1 + 1*0 + 0*1 + 1*0 + 1*1 + 1*0 + 0*1 + 1*0 + 1*1 = 1 + 0 + 0 + 0 + 1 + 0 + 0 + 0 + 1 = 3"),
        ((1, 0), "0*1 + 1*0 + 1*1 + 0*0 + 0*1 + 1*0 + 0*1 + 0*0 + 1*1 = 0 + 0 + 1 + 0 + 0 + 0 + 0 + 0 + 1 = 2"),
        ((1, 1), "1*1 + 1*0 + 1*1 + 0*0 + 1*1 + 1*0 + 0*1 + 1*0 + 1*1 = 1 + 0 + 1 + 0 + 1 + 0 + 0 + 0 + 1 = 4"),
        ((2, 2), "1*1 + 1*0 + 1*1 + 1*0 + 1*1 + 0*0 + 1*1 + 0*0 + 0*1 = 1 + 0 + 1 + 0 + 1 + 0 + 1 + 0 + 0 = 4"),
    ],
)
def test_seed_example_sums_term_by_term(position, line):
    text = to_text(tr.trace_conv("conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, at=position))
    assert line in text.splitlines()
    assert f"Step 1 of 1: output ({position[0]}, {position[1]})" in text


def test_seed_example_receptive_field_and_output_so_far():
    text = to_text(tr.trace_conv("conv2d", CLASSIC_INPUT, CLASSIC_KERNEL))
    # (0,0)'s window is the top-left 3x3, bracketed
    assert "0  [1] [1] [1]  0   0" in text
    assert "2  [0] [0] [1]  1   1" in text
    # after step 2 the output holds 4 and the new 3; the rest is still to come
    assert "0   4  [3]  ." in text
    # the last step completes the output
    last = text.split("Step 9 of 9")[1]
    assert "2   2   3  [4]" in last
    assert "kernel as given" in text and "kernel as applied (flipped)" in text


def test_every_traced_value_is_the_engines():
    trace = tr.trace_conv("conv2d", CLASSIC_INPUT, CLASSIC_KERNEL)
    values = [[None] * 3 for _ in range(3)]
    for step in trace.steps:
        values[step.position[0]][step.position[1]] = step.cells[0].value
    assert values == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    assert values == signal.convolve2d(CLASSIC_INPUT, CLASSIC_KERNEL, "valid").tolist()


def test_a_sum_of_negative_zeros_is_traced_as_scipy_sums_it():
    """scipy starts each sum at +0.0, so -0.0 + -0.0 gives +0.0 there; the trace
    showed -0.0 beside a result of 0.0."""
    x, k = np.array([[-0.0, -0.0], [0.0, -0.0]]), np.array([[1.0, 1.0]])
    trace = tr.trace_conv("correlate2d", x, k)
    traced = [step.cells[0].value for step in trace.steps]
    expected = signal.correlate2d(x, k, "valid").ravel().tolist()
    assert traced == expected and [np.signbit(v) for v in traced] == [np.signbit(v) for v in expected]
    assert tr.trace_conv("correlate2d", [[-1, 1]], [[1, 1]]).steps[0].cells[0].value == 0  # integers stay integers
    assert type(tr.trace_conv("correlate2d", [[-1, 1]], [[1, 1]]).steps[0].cells[0].value) is int


# --- the flip -----------------------------------------------------------------------------------


def test_conv2d_pairs_1_with_4_and_sums_to_20():
    text = to_text(tr.trace_conv("conv2d", ASYMMETRIC, ASYMMETRIC))
    assert "1*4 + 2*3 + 3*2 + 4*1 = 4 + 6 + 6 + 4 = 20" in text
    assert "flipped in both axes" in text
    # kernel as given and as applied, side by side
    assert "0  1  2              0  4  3" in text
    assert "1  3  4              1  2  1" in text


def test_correlate2d_does_not_flip_and_says_so():
    text = to_text(tr.trace_conv("correlate2d", ASYMMETRIC, ASYMMETRIC))
    assert "1*1 + 2*2 + 3*3 + 4*4 = 1 + 4 + 9 + 16 = 30" in text
    assert "without flipping" in text
    assert "kernel as applied (flipped)" not in text


# --- padding ------------------------------------------------------------------------------------

GRID3 = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


@pytest.mark.parametrize(
    "boundary, line, sources",
    [
        ("reflect", "5*1 + 4*2 + 2*3 + 1*4 = 5 + 8 + 6 + 4 = 23",
         "(-1,-1) = 5, reflect of input (1,1); (-1,0) = 4, reflect of input (1,0); (0,-1) = 2, reflect of input (0,1)"),
        ("symmetric", "1*1 + 1*2 + 1*3 + 1*4 = 1 + 2 + 3 + 4 = 10",
         "(-1,-1) = 1, symmetric of input (0,0); (-1,0) = 1, symmetric of input (0,0); (0,-1) = 1, symmetric of input (0,0)"),
        ("wrap", "9*1 + 7*2 + 3*3 + 1*4 = 9 + 14 + 9 + 4 = 36",
         "(-1,-1) = 9, wrap of input (2,2); (-1,0) = 7, wrap of input (2,0); (0,-1) = 3, wrap of input (0,2)"),
        ("replicate", "1*1 + 1*2 + 1*3 + 1*4 = 1 + 2 + 3 + 4 = 10",
         "(-1,-1) = 1, replicate of input (0,0)"),
    ],
)
def test_padding_cells_say_where_their_value_came_from(boundary, line, sources):
    trace = tr.trace_conv("correlate2d", GRID3, [[1, 2], [3, 4]], padding=1, boundary=boundary, at=(0, 0))
    text = to_text(trace)
    assert line in text
    assert "Padding in this window: " + sources in text
    assert "' marks a padding cell" in text
    assert trace.steps[0].cells[0].value == convcli.correlate2d(GRID3, [[1, 2], [3, 4]], padding=1, boundary=boundary)[0, 0]


def test_fill_padding_is_labelled_with_the_fill_value():
    text = to_text(tr.trace_conv("conv2d", GRID3, [[1, 0], [0, 1]], padding=1, fill_value=7, at=(0, 0)))
    assert "(-1,-1), (-1,0), (0,-1) = 7, the fill value" in text
    # the padded grid marks padding cells with '
    assert "-1  [7'] [7']  7'   7'   7'" in text
    assert "7*1 + 7*0 + 7*0 + 1*1 = 7 + 0 + 0 + 1 = 8" in text


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symmetric", "reflect", "replicate"])
def test_padded_cells_equal_the_engines_padding(boundary):
    x = np.arange(1, 21).reshape(4, 5)
    trace = tr.trace_conv("correlate2d", x, np.ones((3, 3), int), padding=(2, 1, 3, 2), boundary=boundary,
                          fill_value=-5)
    padded = pad_spatial(x[None], trace.pads, boundary, -5)[0]
    for row in range(padded.shape[0]):
        for col in range(padded.shape[1]):
            value, source = trace.cell(0, row - 2, col - 3)
            assert value == padded[row, col]
            inside = 0 <= row - 2 < 4 and 0 <= col - 3 < 5
            assert (source is None) == inside
            if source is not None and source.source is not None:
                assert x[source.source] == value


@pytest.mark.parametrize(
    "options",
    [
        dict(padding="same"),
        dict(padding="full", boundary="wrap"),
        dict(padding=1, stride=2),
        dict(padding=(0, 2, 1, 0), dilation=2, boundary="reflect"),
        dict(stride=(1, 2), dilation=(2, 1)),
    ],
)
@pytest.mark.parametrize("operation", ["conv2d", "correlate2d", "im2col_matmul"])
def test_traced_values_match_the_engine_for_every_option(operation, options):
    rng = np.random.default_rng(7)
    x = rng.integers(-5, 6, size=(6, 7))
    kernel = rng.integers(-3, 4, size=(2, 3))
    expected = getattr(convcli, operation)(x, kernel, **options)
    trace = tr.trace_conv(operation, x, kernel, steps=10**6, **options)
    assert len(trace.steps) == expected.size
    for step in trace.steps:
        assert step.cells[0].value == expected[step.position]


# --- several channels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        dict(groups=2, bias=[1, -2, 3, 0]),
        dict(padding="same", boundary="reflect", stride=2),
        dict(padding=1, dilation=(1, 2), groups=4),
    ],
)
@pytest.mark.parametrize("operation", ["conv2d", "correlate2d", "im2col_matmul"])
def test_multichannel_traced_values_match_the_engine(operation, options):
    rng = np.random.default_rng(11)
    x = rng.integers(-4, 5, size=(4, 5, 6))
    weight = rng.integers(-2, 3, size=(4, 4 // options.get("groups", 1), 2, 3))
    expected = getattr(convcli, operation)(x, weight, **options)
    trace = tr.trace_conv(operation, x, weight, steps=10**6, **options)
    assert len(trace.steps) * len(trace.filters) == expected.size
    for step in trace.steps:
        for cell in step.cells:
            assert cell.value == expected[(cell.filter,) + step.position]




def test_multichannel_partial_sums_then_depth_then_bias():
    data = multichannel()
    trace = tr.trace_conv("correlate2d", data["input"], data["kernel"], bias=data["bias"])
    text = to_text(trace)
    at_11 = text.split("Step 4 of 4: output (1, 1)")[1]
    assert ("filter 0:\n\nchannel 0: 1*1 + 3*0 + 0*0 + 1*1 = 1 + 0 + 0 + 1 = 2\n"
            "channel 1: 0*2 + 2*0 + 1*0 + 0*0 = 0 + 0 + 0 + 0 = 0\n"
            "sum over depth: 2 + 0 = 2\n"
            "plus bias: 2 + 1 = 3") in at_11
    assert "channel 1: 0*0 + 2*0 + 1*0 + 0*(-1) = 0 + 0 + 0 + 0 = 0" in at_11
    assert "plus bias: 3 + (-1) = 2" in at_11
    values = np.zeros((2, 2, 2), dtype=int)
    for step in trace.steps:
        for cell in step.cells:
            values[(cell.filter,) + step.position] = cell.value
    assert values.tolist() == data["expected_correlate2d"]


def test_grouped_and_depthwise_filters_read_only_their_channels():
    x = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    trace = tr.trace_conv("correlate2d", x, [[1, 0], [0, 1]], at=(0, 0))
    assert [[s.channel for s in cell.channels] for cell in trace.steps[0].cells] == [[0], [1]]
    assert "output channel k reads input channel k only" in to_text(trace)
    weight = np.ones((4, 1, 1, 1), dtype=int)
    x4 = np.arange(4 * 2 * 2).reshape(4, 2, 2)
    grouped = tr.trace_conv("correlate2d", x4, weight, groups=4, at=(1, 1))
    assert [cell.value for cell in grouped.steps[0].cells] == x4[:, 1, 1].tolist()


# --- exact numbers ------------------------------------------------------------------------------


def test_fractions_stay_fractions_and_integers_stay_integers():
    kernel = np.full((3, 3), Fraction(1, 9), dtype=object)
    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 5]])
    text = to_text(tr.trace_conv("correlate2d", x, kernel))
    assert "1*(1/9) + 2*(1/9) + 3*(1/9)" in text
    assert text.rstrip().splitlines()[-4:][0].endswith("= 41/9") or "= 41/9" in text
    assert "4.5" not in text
    integer_text = to_text(tr.trace_conv("conv2d", CLASSIC_INPUT, CLASSIC_KERNEL))
    assert ".0" not in integer_text


def test_float32_prints_in_its_own_shortest_form():
    x = np.array([[1, 2], [3, 4]], dtype=np.float32)
    text = to_text(tr.trace_conv("correlate2d", x, np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32)))
    assert "1.0*0.1 + 2.0*0.2 + 3.0*0.3 + 4.0*0.4 = 0.1 + 0.4 + 0.90000004 + 1.6 = 3.0" in text


def test_floats_print_at_the_requested_precision():
    trace = tr.trace_conv("correlate2d", [[1.0, 2.0], [3.0, 4.0]], [[0.1, 0.2], [0.3, 0.4]])
    # (whole floats keep their '.0' at any precision, as without one)
    assert "1.0*0.1 + 2.0*0.2 + 3.0*0.3 + 4.0*0.4 = 0.1 + 0.4 + 0.9 + 1.6 = 3.0" in to_text(trace, precision=3)


# --- im2col and conv1x1 -------------------------------------------------------------------------


def test_im2col_matrices_the_worked_column_and_the_reshape():
    trace = trace_im2col([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 2], [3, 4]])
    expected = convcli.im2col_matrices([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 2], [3, 4]])
    assert [[c.value for c in row] for row in trace.x_col.cells] == expected.x_col.tolist()
    assert [[c.value for c in row] for row in trace.w_row.cells] == expected.w_row.tolist()
    assert trace.x_col.col_labels == ((0, 0), (0, 1), (1, 0), (1, 1))
    text = to_text(trace)
    assert "       (0,0)  (0,1)  (1,0)  (1,1)\n(0,0)      1      2      4      5" in text
    assert "row 0 of W_row times column 0 of X_col: 1*1 + 2*2 + 4*3 + 5*4 = 1 + 4 + 12 + 20 = 37" in text
    assert "X_col holds 4 x 4 = 16 numbers of 8 bytes: 128 B." in text
    assert "W_row @ X_col is 1 x 4. Column j is output position (j // 2, j % 2)" in text
    assert "filter 0     37     47     67     77      0  37  47" in text
    assert "1  67  77" in text


def test_im2col_memory_is_reported_without_building_x_col():
    x = np.zeros((2048, 2048))
    trace = trace_im2col(x, np.ones((31, 31)))
    assert trace.x_col_shape == (961, 2018 * 2018)
    assert trace.x_col_bytes == 961 * 2018 * 2018 * 8
    text = to_text(trace)
    # one output row of X_col is 961 x 2018 x 8 bytes (14.8 MiB), more than the 4 MiB band: a band is one row
    assert "29.2 GiB" in text and "a band of output rows at a time, about 14.8 MiB each" in text
    # a band is at least one output row: 2,000,000 columns of 50 taps are 762.9 MiB
    wide = to_text(trace_im2col(np.zeros((2, 2_000_049)), np.ones((1, 50)), at=(0, 0)))
    assert "a band of output rows at a time, about 762.9 MiB each" in wide
    # exact Python numbers never take the banded GEMM, so nothing is said of bands
    exact = to_text(trace_im2col(np.full((2048, 2048), Fraction(1, 3), dtype=object), np.ones((31, 31), dtype=int),
                                 at=(0, 0)))
    assert "a band of output rows" not in exact
    assert len(text.splitlines()) < 120


def test_float_traces_say_the_result_may_add_in_another_order():
    # the trace adds 0.2*0.5 + ... left to right and gets 0.87; BLAS gives 0.8700000000000001
    text = to_text(tr.build_trace("conv2d", [[0.2, 0, -0.5, -0.4, -0.9]], [[-0.8, -0.9, -0.6, 0.5]]))
    assert "so its floats can differ from them in the last digits" in text
    assert "in the last digits" not in to_text(tr.build_trace("conv2d", [[2, 0, -5, -4, -9]], [[-8, -9, -6, 5]]))


def test_conv1x1_wording_for_one_channel_and_untraced_output_channels():
    text = to_text(tr.trace_conv1x1([[1, 2], [3, 4]], [[5]] * 10))
    assert "the dot product of the depth vector (the one channel value at that pixel)" in text
    assert "Output channels 8 to 9 are not traced." in text
    assert "(The output of output channels 4 to 7 is worked out above but not drawn.)" in text
    layer = to_text(tr.build_trace("correlate2d", np.ones((1, 3, 3), dtype=int), np.ones((5, 1, 2, 2), dtype=int),
                                   steps=1))
    assert "(The output of filter 4 is worked out above but not drawn.)" in layer


def test_im2col_reshape_adds_the_bias_the_text_says_it_adds():
    text = to_text(trace_im2col([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 2], [3, 4]], bias=[100]))
    assert "and the bias of its filter is added (shown for filter 0)" in text
    # the product before the bias, then the reshaped result with it: what the operation returns
    assert "filter 0     37     47     67     77      0  137  147" in text and "1  167  177" in text


def test_im2col_with_groups_says_one_product_per_group():
    x = [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [1, 1, 1]]]
    w = [[[[1, 2], [3, 4]]], [[[0, 1], [1, 0]]]]
    text = to_text(trace_im2col(x, w, groups=2))
    assert "one matrix product, W_row @ X_col" not in text  # W_row (2x4) @ X_col (8x2) is undefined
    assert "there is one product per group: group g's rows of W_row times the 4 rows of X_col" in text
    assert "row 1 of W_row times column 0 of X_col (its rows for group 1: channel 1): 7*0 + 8*1 + 1*1 + 1*0" in text
    assert "reshaped, filter 0" in text
    assert "The per-group products, stacked, are 2 x 2." in text and "W_row @ X_col is" not in text
    # a 2-D kernel on two channels is groups=2 without --groups: the trace says where that came from
    implied = to_text(trace_im2col(x, [[1, 2], [3, 4]]))
    assert "groups 2 (a 2-D kernel on a multi-channel input filters each channel on its own)" in implied


def test_conv1x1_dot_products():
    trace = tr.trace_conv1x1([[[1, 2]], [[5, 6]]], [[1, 10], [2, -1]])
    text = to_text(trace)
    assert "output channel 0: [1, 5] · [1, 10] = 1*1 + 5*10 = 51" in text
    assert "output channel 1: [1, 5] · [2, -1] = 1*2 + 5*(-1) = -3" in text
    assert "The depth vector at (0, 1) is x[:, 0, 1] = [2, 6]." in text
    with_bias = to_text(tr.trace_conv1x1([[[1]], [[5]]], [1, 10], bias=[2]))
    assert "[1, 5] · [1, 10] + 2 = 1*1 + 5*10 + 2 = 53" in with_bias
    # (C,) weights are named as given, as the API and numpy name them, not as one (1, C) row
    assert with_bias.startswith("conv1x1: input (2, 1, 1), weights (2,) -> output (1, 1)")
    assert to_text(trace).startswith("conv1x1: input (2, 1, 2), weights (2, 2) -> output (2, 1, 2)")


# --- choosing what to trace ---------------------------------------------------------------------


def test_small_outputs_are_traced_whole_and_large_ones_in_part():
    assert tr.select_positions((5, 5), 1).mode == "all"
    first = tr.select_positions((5, 6), 1)
    assert (first.mode, first.positions) == ("first", ((0, 0), (0, 1), (0, 2)))
    assert "--at ROW,COL" in first.note() and "--steps N" in first.note()
    assert tr.select_positions((3, 3), 4).mode == "first"  # 36 output cells over 4 filters
    assert tr.select_positions((4, 4), 1, steps=6).positions[-1] == (1, 1)
    assert tr.select_positions((4, 4), 1, at=(-1, -2)).positions == ((3, 2),)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(at=(3, 0)), "--at 3,0 is outside the 3x3 output (rows 0..2, columns 0..2)"),
        (dict(steps=0), "--steps must be at least 1, got 0"),
        (dict(at=(0, 0), steps=2), "--at and --steps both choose what to trace; give one of them"),
    ],
)
def test_bad_choices_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        tr.select_positions((3, 3), 1, **kwargs)


def test_parse_at():
    assert tr.parse_at("2,3") == (2, 3)
    assert tr.parse_at(" -1 , 0 ") == (-1, 0)
    with pytest.raises(UsageError, match="must be ROW,COL"):
        tr.parse_at("1,2,3")


def test_a_200x200_trace_stays_short():
    x = np.arange(200 * 200).reshape(200, 200) % 7
    text = to_text(tr.trace_conv("conv2d", x, np.ones((3, 3), int)))
    lines = text.splitlines()
    assert len(lines) < 110
    drawn = [line for line in lines if not re.search(r"[a-z]{3,}", line)]  # grids and sums, not prose
    assert len(drawn) > 30 and max(len(line) for line in drawn) <= 100
    assert "Traced the first 3 of 39204 output positions" in text
    assert "..." in text  # the windows are cut with ellipses
    big_kernel = to_text(tr.trace_conv("correlate2d", x, np.ones((31, 31), int), at=(100, 100)))
    assert "(945 more terms)" in big_kernel
    assert len(big_kernel.splitlines()) < 80


def test_axis_window():
    assert tr.axis_window(5, 1, 3, 11) == (0, 1, 2, 3, 4)
    window = tr.axis_window(200, 100, 102, 11)
    assert window[0] is None and window[-1] is None and 100 in window and 102 in window
    assert len([i for i in window if i is not None]) == 11
    corners = tr.axis_window(40, 0, 39, 12, margin=0)
    assert corners[:6] == (0, 1, 2, 3, 4, 5) and corners[6] is None and corners[-1] == 39


def test_human_bytes():
    assert [tr.human_bytes(n) for n in (648, 2048, 3 * 2**20 + 2**19, 961 * 2018 * 2018 * 8)] == [
        "648 B", "2.0 KiB", "3.5 MiB", "29.2 GiB"]


def test_errors_are_the_engines():
    with pytest.raises(ShapeError, match="larger than input"):
        tr.trace_conv("conv2d", [[1, 2]], [[1, 2, 3]])


# --- Markdown, LaTeX and Rich -------------------------------------------------------------------


def test_markdown_tables_and_code_blocks():
    text = to_markdown(tr.trace_conv("conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, at=(0, 0)))
    assert "| 0 | **1** | **1** | **1** | 0 | 0 |" in text
    assert "```text\n1*1 + 1*0 + 1*1 + 0*0 + 1*1 + 1*0 + 0*1 + 0*0 + 1*1 = 1 + 0 + 1 + 0 + 1 + 0 + 0 + 0 + 1 = 4\n```" in text
    assert "### Step 1 of 1: output (0, 0)" in text


def _check_balanced(latex: str) -> None:
    begins = re.findall(r"\\begin\{(\w+\*?)\}", latex)
    ends = re.findall(r"\\end\{(\w+\*?)\}", latex)
    stack = []
    for match in re.finditer(r"\\(begin|end)\{(\w+\*?)\}", latex):
        if match.group(1) == "begin":
            stack.append(match.group(2))
        else:
            assert stack and stack.pop() == match.group(2)
    assert not stack and len(begins) == len(ends)
    depth = 0
    for ch in re.sub(r"\\[{}]", "", latex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert len(re.findall(r"^\\\[$", latex, re.M)) == len(re.findall(r"^\\\]$", latex, re.M))


LATEX_CASES = {
    "classic": lambda: tr.trace_conv("conv2d", CLASSIC_INPUT, CLASSIC_KERNEL, steps=2),
    "padded": lambda: tr.trace_conv("correlate2d", GRID3, [[1, 2], [3, 4]], padding=1, boundary="reflect", at=(0, 0)),
    "fractions": lambda: tr.trace_conv("conv2d", [[1, 2, 3], [4, 5, 6], [7, 8, 5]],
                                       np.full((3, 3), Fraction(1, 9), dtype=object)),
    "multichannel": lambda: tr.trace_conv("correlate2d", multichannel()["input"], multichannel()["kernel"],
                                          bias=multichannel()["bias"], at=(0, 1)),
    "im2col": lambda: trace_im2col(GRID3, [[1, 2], [3, 4]]),
    "conv1x1": lambda: tr.trace_conv1x1([[[1, 2]], [[5, 6]]], [[1, 10], [2, -1]], bias=[0, 3]),
    "large": lambda: tr.trace_conv("correlate2d", np.ones((60, 60)), np.full((7, 7), -0.5)),
}


@pytest.mark.parametrize("case", sorted(LATEX_CASES))
def test_latex_is_balanced_and_uses_cdot_bmatrix_align(case):
    latex = format_trace(LATEX_CASES[case](), "latex")
    _check_balanced(latex)
    assert r"\cdot" in latex and r"\begin{bmatrix}" in latex and r"\begin{align*}" in latex
    assert "*" not in latex.replace("align*", "")
    if case == "fractions":
        assert r"\frac{41}{9}" in latex and r"1 \cdot \frac{1}{9}" in latex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed; balance is checked above")
def test_latex_compiles_as_a_fragment(tmp_path):
    body = "\n".join(format_trace(make(), "latex") for make in LATEX_CASES.values())
    (tmp_path / "fragment.tex").write_text(body, encoding="utf-8")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n\\input{fragment}\n\\end{document}\n",
        encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]


def test_rich_rendering_at_a_fixed_width():
    from rich.console import Console

    from convcli.render_trace import trace_renderable

    console = Console(file=io.StringIO(), width=100, color_system=None)
    trace = tr.trace_conv("correlate2d", GRID3, [[1, 2], [3, 4]], padding=1, boundary="reflect", at=(0, 0))
    console.print(trace_renderable(trace))
    out = console.file.getvalue()
    assert "\x1b" not in out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "5*1 + 4*2 + 2*3 + 1*4 = 5 + 8 + 6 + 4 = 23" in out
    assert "kernel, applied as given" in out
    assert "[5']  [4']    5'    6'    5'" in out
    assert "[ ] marks the receptive field; ' marks a padding cell." in out
    assert "reflect of input (1,1)" in out


@pytest.mark.parametrize("width", [0, 3, 24, 40, 80, 131])
def test_tables_never_cut_or_fold_a_number_to_fit_the_terminal(width):
    """Rich shrinks a table too wide for the terminal to "10…" (or blank columns,
    or nothing at width 0); convcli splits its columns, and widens the console
    for a column wider than the terminal by itself, so every number stays one word."""
    from rich.console import Console

    from convcli.outputs import format_number
    from convcli.render import array_parts, parts_renderable

    rng = np.random.default_rng(width)
    for array in (rng.integers(-10**9, 10**9, (3, 17)), rng.standard_normal((2, 4, 9)),
                  np.array([[2**70, 1], [-1.2345678901234567e-300, 0.1]], dtype=object)):
        parts, needed = array_parts(array, "result", width=width)
        console = Console(file=io.StringIO(), width=max(width, needed), color_system=None)
        console.print(parts_renderable(parts))
        out = console.file.getvalue()
        assert "\u2026" not in out and max(len(line) for line in out.splitlines()) <= max(width, needed)
        # data rows start with their row index; headers with a blank index cell
        cells = [token for line in out.splitlines() if line[:1].strip()
                 and not line.startswith(("result", "channel", "column")) for token in line.split()[1:]]
        assert sorted(cells) == sorted(format_number(v) for v in array.reshape(-1))
        assert needed <= 4 + max(len(cell) for cell in cells)


@pytest.mark.parametrize("columns", ["0", "3", "12"])
def test_a_terminal_narrower_than_a_number_still_shows_every_number_whole(capsys, monkeypatch, columns):
    """COLUMNS=0 printed nothing (exit 0); COLUMNS=3 printed only the headers, a letter a line."""
    monkeypatch.setenv("COLUMNS", columns)
    code, out, _ = run(capsys, "conv2d", "123456 -7.25; 3 4", "1", "--format", "table", "--no-color")
    assert code == 0
    assert [line.split() for line in out.splitlines() if line[:1] in "01"] == \
        [["0", "123456.0"], ["1", "3.0"], ["0", "-7.25"], ["1", "4.0"]]


@pytest.mark.parametrize("width", [0, 30, 80])
def test_plain_tables_are_laid_out_as_rich_lays_them_out(width):
    """Long tables skip Rich (36 s for 100,000 rows); the text must be the same."""
    from rich.console import Console

    from convcli.render import array_parts, line_count, parts_renderable, plain_lines

    rng = np.random.default_rng(width)
    for array in (rng.integers(-10**9, 10**9, (12, 17)), rng.standard_normal((2, 4, 9)),
                  np.array([[2**70, -1], [0.5, 3]], dtype=object), np.arange(3).reshape(3, 1)):
        parts, needed = array_parts(array, "r", width=width)  # a title longer than the width would wrap in Rich
        console = Console(file=io.StringIO(), width=max(width, needed), color_system=None)
        console.print(parts_renderable(parts))
        assert "\n".join(plain_lines(parts)) + "\n" == console.file.getvalue()
        assert line_count(parts) == len(plain_lines(parts))


def test_a_long_table_on_a_terminal_is_plain_text_with_every_row(capsys, monkeypatch):
    from convcli.render import PLAIN_LINES

    rows = PLAIN_LINES + 500
    _fake_terminal(monkeypatch)
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "conv2d", ";".join(f"{r} -{r}" for r in range(rows)), "2")
    lines = out.splitlines()
    assert code == 0 and "\x1b" not in out and lines[0] == "conv2d" and lines[1].split() == ["0", "1"]
    assert [line.split() for line in lines[2:]] == [[str(r), str(2 * r), str(-2 * r)] for r in range(rows)]


def test_a_trace_or_comparison_too_wide_for_the_terminal_is_printed_as_plain_text(capsys, monkeypatch):
    wide = "; ".join(" ".join(str(1001 * (12 * r + c)) for c in range(12)) for r in range(3))
    plain_compare = run(capsys, "compare", wide, "1")[1]
    plain_trace = run(capsys, "correlate2d", wide, "1", "--trace", "--at", "0,11", "--format", "csv")[1]
    _fake_terminal(monkeypatch)
    monkeypatch.setenv("COLUMNS", "80")
    assert run(capsys, "compare", wide, "1")[1] == plain_compare
    assert run(capsys, "correlate2d", wide, "1", "--trace", "--at", "0,11", "--format", "csv")[1] == plain_trace
    assert "11011" in plain_compare and "\u2026" not in plain_compare
    # what fits stays a Rich rendering (no plain-text underlines)
    assert "-----" not in run(capsys, "compare", "1 2; 3 4", "1 0; 0 1")[1]


# --- the command line ---------------------------------------------------------------------------


def test_cli_trace_goes_to_stdout_then_the_result(capsys):
    code, out, err = run(capsys, "conv2d", *CLASSIC_INLINE, "--trace")
    assert (code, err) == (0, "")
    assert "\x1b" not in out
    assert out.endswith("\n4,3,4\n2,4,3\n2,3,4\n")
    assert "1*1 + 1*0 + 1*1 + 0*0 + 1*1 + 1*0 + 0*1 + 0*0 + 1*1 = 1 + 0 + 1 + 0 + 1 + 0 + 0 + 0 + 1 = 4" in out
    assert out.index("Step 9 of 9") < out.index("4,3,4")


def test_cli_trace_with_output_file(capsys, tmp_path):
    target = tmp_path / "out.csv"
    code, out, err = run(capsys, "correlate2d", *ASYMMETRIC_INLINE, "--at", "0,0", "-o", str(target))
    assert (code, err) == (0, "")
    assert "1*1 + 2*2 + 3*3 + 4*4 = 1 + 4 + 9 + 16 = 30" in out
    assert "30\n" not in out.splitlines()[-1:]
    assert target.read_text() == "30\n"


ASYMMETRIC_INLINE = ("1 2; 3 4", "1 2; 3 4")


@pytest.mark.parametrize("fmt, marker", [("markdown", "```text"), ("latex", r"\begin{align*}")])
def test_cli_trace_formats(capsys, fmt, marker):
    code, out, _ = run(capsys, "conv2d", *ASYMMETRIC_INLINE, "--trace-format", fmt)
    assert code == 0 and marker in out and out.endswith("20\n")


def test_cli_exact_keeps_fractions_and_default_is_float(capsys):
    x = "1 2 3; 4 5 6; 7 8 5"
    code, out, _ = run(capsys, "conv2d", x, BOX3, "--exact")
    assert (code, out) == (0, "41/9\n")
    code, out, _ = run(capsys, "conv2d", x, BOX3)
    assert code == 0 and abs(float(out) - 41 / 9) < 1e-12 and "/" not in out
    code, out, _ = run(capsys, "conv2d", x, BOX3, "--trace")
    assert "= 41/9" in out and abs(float(out.splitlines()[-1]) - 41 / 9) < 1e-12


def test_cli_conv1x1_trace(capsys):
    code, out, _ = run(capsys, "conv1x1", "[[[1]], [[5]]]", "1 10", "--trace")
    assert code == 0
    assert "[1, 5] · [1, 10] = 1*1 + 5*10 = 51" in out
    assert out.endswith("51\n")


def test_cli_im2col_trace(capsys):
    code, out, _ = run(capsys, "im2col-matmul", *CLASSIC_INLINE, "--steps", "1")
    assert code == 0 and "X_col holds 9 x 9 = 81 numbers of 8 bytes: 648 B." in out
    assert "Traced the first 1 of 9 output positions" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--at", "3,3"], "Error: --at 3,3 is outside the 1x1 output (rows 0..0, columns 0..0)\n"),
        (["--at", "a,b"], "Error: --at 'a,b' must be ROW,COL: two integers, 0-based, e.g. --at 0,1\n"),
        (["--trace-format", "html"], "Error: trace format 'html' is not one of text, markdown, latex\n"),
        (["--steps", "0"], "Error: --steps must be at least 1, got 0\n"),
        (["--trace", "--format", "npy"],
         "Error: --trace writes text to stdout, which cannot also carry --format npy; use -o FILE.npy\n"),
    ],
)
def test_cli_bad_trace_options(capsys, args, message):
    assert run(capsys, "conv2d", *ASYMMETRIC_INLINE, *args) == (2, "", message)


def _fake_terminal(monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)


def test_no_color_gives_the_plain_text_even_on_a_terminal(capsys, monkeypatch):
    plain = run(capsys, "conv2d", *ASYMMETRIC_INLINE, "--trace")[1]
    _fake_terminal(monkeypatch)
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, _ = run(capsys, "conv2d", *ASYMMETRIC_INLINE, "--trace", "--format", "csv")
    assert code == 0 and out == plain
    monkeypatch.delenv("NO_COLOR")
    code, out, _ = run(capsys, "conv2d", *ASYMMETRIC_INLINE, "--trace", "--format", "csv", "--no-color")
    assert out == plain


@pytest.mark.parametrize("operation", ["conv2d", "correlate2d"])
def test_traced_float_sums_are_the_results_values_to_the_last_bit(operation):
    # arbitrary floats: the trace must add in the engine's order (conv2d: last tap first, as scipy does)
    rng = np.random.default_rng(11)
    for _ in range(20):
        x, k = rng.standard_normal((4, 5)), rng.standard_normal((3, 3))
        result = getattr(convcli, operation)(x, k, padding="same")
        trace = tr.trace_conv(operation, x, k, padding="same")
        assert trace.selection.mode == "all"
        for step in trace.steps:
            assert step.cells[0].value == result[step.position]


def test_a_dilated_field_shows_every_tap_in_the_input_window():
    from convcli.trace_grids import field_window

    # rows 0, 4, 8 span the 9-cell window exactly: no margin, nothing hidden
    assert field_window(12, [0, 4, 8], 9) == (0, 1, 2, 3, 4, 5, 6, 7, 8, None)
    # a wider span: the taps, with the gaps between them elided
    assert field_window(20, [1, 7, 13], 9) == (None, 1, None, 7, None, 13, None)
    assert {4, 5, 6, 7, 8} <= set(field_window(20, [5, 6, 7], 9))  # a small field keeps its margin
    x = np.arange(144).reshape(12, 12) % 10
    text = to_text(tr.build_trace("correlate2d", x, np.ones((3, 3), dtype=int), dilation=4, at=(0, 0)))
    assert "  4  [8]  9   0   1  [2]  3   4   5  [6] ..." in text  # the centre row and tap are drawn


def test_latex_brackets_a_negative_only_after_a_plus_and_names_elided_rows():
    latex = format_trace(tr.build_trace("correlate2d", [[1, 2]], [[-1, 0]]), "latex")
    assert "y_{0,0} &= 1 \\cdot (-1) + 2 \\cdot 0 \\\\\n  &= -1 + 0 \\\\\n  &= -1" in latex
    x = np.arange(400).reshape(20, 20) % 10
    latex = format_trace(tr.build_trace("correlate2d", x, np.ones((3, 3), dtype=int), dilation=6, at=(1, 1)), "latex")
    assert "input: rows 1, 7, 13 (the rest elided), columns 1, 7, 13 (the rest elided)." in latex
