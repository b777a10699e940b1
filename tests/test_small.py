"""The short lane (engine/small.py): small plain 2-D problems skip the
general set-up. It must serve the problems it is for, decline everything
else, and give what scipy and the general path give."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

import convcli
from convcli.engine import methods, small

RNG = np.random.default_rng(20261124)
ORACLES = {"correlate2d": signal.correlate2d, "conv2d": signal.convolve2d}


def operands(dtype, x_shape, k_shape, rng=RNG):
    if dtype == "int64":
        return rng.integers(-1000, 1000, x_shape), rng.integers(-1000, 1000, k_shape)
    return rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(k_shape).astype(dtype)


def assert_matches(result, expected, dtype):
    assert result.dtype == dtype and result.shape == expected.shape
    if dtype == "int64":
        np.testing.assert_array_equal(result, expected)
    else:
        tolerance = 2e-5 if dtype == "float32" else 1e-11
        np.testing.assert_allclose(result, expected, rtol=0, atol=tolerance * max(1.0, float(np.abs(expected).max())))


def problems(x_sides, k_sides, **more):
    """Hypothesis problems: dtype, operation, padding, shapes with sides in these ranges, a seed."""
    return given(dtype=st.sampled_from(["float64", "float32", "int64"]),
                 operation=st.sampled_from(["correlate2d", "conv2d"]),
                 padding=st.sampled_from(["valid", "same", "full"]),
                 x_shape=st.tuples(st.integers(*x_sides), st.integers(*x_sides)),
                 k_shape=st.tuples(st.integers(*k_sides), st.integers(*k_sides)),
                 seed=st.integers(0, 2**32 - 1), **more)


@settings(max_examples=150, deadline=None)
@problems((1, 40), (1, 20), layout=st.sampled_from(["contiguous", "transposed", "reversed"]))
def test_every_small_problem_equals_scipy_whichever_path_it_takes(dtype, operation, padding, x_shape, k_shape,
                                                                   layout, seed):
    x, k = operands(dtype, x_shape, k_shape, np.random.default_rng(seed))
    x = {"contiguous": x, "transposed": x.T.copy().T, "reversed": x[::-1, ::-1]}[layout]
    if padding == "valid" and (x.shape[0] < k.shape[0] or x.shape[1] < k.shape[1]):
        assert small.correlate(operation, x, k, padding) is None  # the general path refuses it
        return
    expected = ORACLES[operation](x, k, mode=padding)
    lane = small.correlate(operation, x, k, padding)
    if lane is not None:
        assert_matches(lane, expected, dtype)
    assert_matches(getattr(convcli, operation)(x, k, padding=padding), expected, dtype)
    assert_matches(getattr(convcli, operation)(x, k, padding=padding, method="gemm"), expected, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
@pytest.mark.parametrize("x_shape, k_shape, padding", [
    ((64, 64), (63, 63), "valid"),  # four outputs: the window copy runs along kernel rows
    ((64, 64), (3, 3), "valid"),  # too much work for scipy's order, little enough for one product
    ((9, 40), (4, 2), "same"),  # an even kernel: scipy's 'same' alignment
    ((5, 5), (5, 6), "full"),
    ((100, 100), (5, 5), "valid"),  # more than tiny: the cost model picks gemm, in one band
    ((64, 64), (15, 15), "valid"),  # the cost model picks the FFT, in one tile
    ((120, 90), (20, 31), "same"),
    ((200, 200), (9, 9), "valid"),  # the FFT in several tiles: fftconv.correlate itself
    ((128, 128), (7, 7), "valid"),  # gemm in several bands: gemm.correlate itself
    ((20, 20), (3, 3), "valid"),  # little work and a small kernel: direct, in scipy's order
])
@pytest.mark.parametrize("operation", ["correlate2d", "conv2d"])
def test_the_lane_serves_tiny_plain_problems_and_the_api_uses_it(monkeypatch, dtype, x_shape, k_shape, padding,
                                                                 operation):
    x, k = operands(dtype, x_shape, k_shape)
    expected = ORACLES[operation](x, k, mode=padding)
    assert_matches(small.correlate(operation, x, k, padding), expected, dtype)

    def general_path(*args, **kwargs):
        raise AssertionError("the general path ran for a problem the lane serves")

    monkeypatch.setattr(methods, "correlate", general_path)
    assert_matches(getattr(convcli, operation)(x, k, padding=padding), expected, dtype)


@pytest.mark.parametrize("why, x, k, padding", [
    ("a list, not an ndarray", [[1.0, 2.0, 3.0]] * 5, np.ones((4, 2)), "valid"),
    ("mixed dtypes", np.ones((20, 20)), np.ones((9, 9), np.float32), "valid"),
    ("int32 (numpy's int64 promotion is the general path's)", np.ones((20, 20), np.int32),
     np.ones((9, 9), np.int32), "valid"),
    ("3-D input", np.ones((2, 20, 20)), np.ones((9, 9)), "valid"),
    ("a padding that is not a lowercase word", np.ones((20, 20)), np.ones((9, 9)), "SAME"),
    ("pads given as numbers", np.ones((20, 20)), np.ones((9, 9)), 1),
    ("empty input", np.ones((0, 5)), np.ones((2, 2)), "full"),
    ("kernel larger than the input", np.ones((5, 5)), np.ones((6, 6)), "valid"),
    ("more points than the lane takes", np.ones((600, 600)), np.ones((63, 63)), "valid"),
    ("integers the FFT error bound does not prove exact", np.full((64, 64), 2**24), np.full((15, 15), 2**10),
     "valid"),
    ("values near the subnormal range: the FFT would lose precision", np.full((64, 64), 1e-310),
     np.ones((15, 15)), "valid"),
    ("NaN: the general path keeps it local", np.full((20, 20), np.nan), np.ones((9, 9)), "valid"),
    ("infinity in the kernel", np.ones((20, 20)), np.full((9, 9), np.inf), "valid"),
    ("values near the float limit: scipy's order", np.full((20, 20), 1e306), np.ones((9, 9)), "valid"),
    ("integers whose sums pass 2**53", np.full((20, 20), 2**40), np.full((9, 9), 2**10), "valid"),
    ("... in scipy's order (the plan checks int64 overflow)", np.full((20, 20), 2**50), np.full((3, 3), 2**10),
     "valid"),
])
def test_the_lane_declines_what_it_is_not_for(why, x, k, padding):
    assert small.correlate("correlate2d", x, k, padding) is None, why


@pytest.mark.parametrize("padding", [np.array([1, 1]), np.array([1, 2, 3, 4]), (0, 1)])
def test_pads_given_as_an_array_or_tuple_go_the_general_way(padding):
    # (an array compared with the padding words once raised numpy's "truth value is ambiguous")
    x, k = np.arange(12.0).reshape(3, 4), np.array([[1.0, -2.0], [3.0, 5.0]])
    assert small.correlate("correlate2d", x, k, padding) is None
    expected = convcli.correlate2d(x.tolist(), k, padding=padding)  # a list never takes the lane
    np.testing.assert_array_equal(convcli.correlate2d(x, k, padding=padding), expected)
    assert convcli.conv2d(x, k, padding=padding).shape == expected.shape


@settings(max_examples=60, deadline=None)
@problems((16, 160), (3, 40))
def test_problems_the_cost_model_decides_equal_scipy_and_the_general_path(dtype, operation, padding, x_shape,
                                                                           k_shape, seed):
    x, k = operands(dtype, x_shape, k_shape, np.random.default_rng(seed))
    if padding == "valid" and (x.shape[0] < k.shape[0] or x.shape[1] < k.shape[1]):
        return
    expected = ORACLES[operation](x, k, mode=padding)
    lane = small.correlate(operation, x, k, padding)
    if lane is not None:
        assert_matches(lane, expected, dtype)
        general = getattr(convcli, operation)(x, k, padding=padding, stride=(1, 1))  # a tuple: the general path
        assert_matches(lane, general, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("x_shape, k_shape, padding", [
    ((20, 20), (3, 3), "valid"),  # little work and a small kernel: direct, in scipy's order
    ((9, 12), (2, 3), "same"),
    ((400, 400), (3, 3), "valid"),  # taps of +-1 cost little: the cost model picks direct
    ((300, 260), (5, 4), "full"),
])
@pytest.mark.parametrize("operation", ["correlate2d", "conv2d"])
def test_the_lanes_direct_is_fast_directs_even_with_nan(monkeypatch, dtype, x_shape, k_shape, padding, operation):
    x, k = operands(dtype, x_shape, k_shape)
    k = np.sign(k)
    x[1, 2] = np.nan  # direct keeps it inside the windows that hold it, as scipy does
    x[5, 5:7] = np.inf  # inf - inf: NaN, without numpy's RuntimeWarning
    expected = getattr(convcli, operation)(x, k, padding=padding, method="direct")
    monkeypatch.setattr(methods, "correlate", None)  # the general path cannot run
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = getattr(convcli, operation)(x, k, padding=padding)
    np.testing.assert_array_equal(result, expected)
    assert result.dtype == dtype and np.isnan(result).sum() == np.isnan(expected).sum() > 0
    if k.shape[0] <= 3 and k.shape[1] <= 3:  # scipy's order: its values bit for bit
        np.testing.assert_array_equal(result, ORACLES[operation](x, k, mode=padding))
    else:
        assert_matches(np.nan_to_num(result), np.nan_to_num(ORACLES[operation](x, k, mode=padding)), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("x_shape, k_shape, padding", [((64, 64), (15, 15), "valid"), ((100, 80), (21, 25), "full"),
                                                       ((90, 160), (31, 17), "same"), ((200, 200), (9, 9), "valid")])
def test_the_lanes_fft_gives_the_general_ffts_values_bit_for_bit(monkeypatch, dtype, x_shape, k_shape, padding):
    x, k = operands(dtype, x_shape, k_shape)
    monkeypatch.setattr(small, "_gemm", None)  # so a result can only come from the lane's FFT
    lane = small.correlate("conv2d", x, k, padding)
    assert lane is not None
    np.testing.assert_array_equal(lane, convcli.conv2d(x, k, padding=padding, method="fft"))


def test_declined_integers_beyond_float64_stay_exact():
    x = np.full((20, 20), 2**40)
    x[3, 4] += 1
    k = np.full((9, 9), 2**10)
    expected = signal.correlate2d(x, k, mode="valid")  # int64, exact: every sum is below 2**58
    np.testing.assert_array_equal(convcli.correlate2d(x, k), expected)


@pytest.mark.parametrize("option", [dict(fill_value=0.0), dict(stride=np.int64(1)), dict(boundary="wrap"),
                                    dict(bias=[0]), dict(method="AUTO"), dict(groups=True)])
def test_any_other_option_given_takes_the_general_path(monkeypatch, option):
    calls = []
    monkeypatch.setattr(small, "correlate", lambda *args: calls.append(args))
    x, k = operands("float64", (30, 30), (9, 9))
    try:
        convcli.correlate2d(x, k, **option)
    except convcli.ConvcliError:
        pass  # groups=True is refused by the general path, which is the point
    assert calls == []
    convcli.correlate2d(x, k, padding="same")
    assert len(calls) == 1
