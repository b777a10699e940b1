"""Every method gives the oracle's answer: scipy.signal for 2-D problems, the
reference direct loop for multi-channel ones. Integers exactly, floats to a
tight tolerance. Also the choice itself: the FFT is refused for integers its
error bound cannot prove exact, and exact Python numbers never reach it.
No timing is asserted anywhere."""

from __future__ import annotations

import threading
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

import convcli
from convcli.engine import fast_direct, fftconv, gemm, methods
from convcli.engine.api import padded_input
from convcli.engine.direct import correlate_padded
from convcli.engine.parallel import progress_hook
from convcli.engine.plan import make_plan
from convcli.errors import UsageError

METHODS = ("direct", "fft", "gemm", "auto")
SCIPY_BOUNDARY = {"fill": "fill", "wrap": "wrap", "symmetric": "symm"}
RNG = np.random.default_rng(20261123)


def reference(operation, x, kernel, **options):
    """The answer of the direct reference loop, through the same plan."""
    plan = make_plan(operation, x, kernel, **{k: v for k, v in options.items() if k != "bias"})
    out = correlate_padded(padded_input(plan), plan.weight, plan.stride, plan.dilation, plan.groups)
    if options.get("bias") is not None:
        out = out + np.asarray(options["bias"]).reshape(-1, 1, 1).astype(out.dtype)
    return out[0] if plan.output_2d else out


def assert_close(result, expected, dtype=np.float64):
    assert result.dtype == dtype
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-11 * scale)


# ---- 2-D against scipy.signal, every method, padding and boundary ----


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("boundary", sorted(SCIPY_BOUNDARY))
def test_integers_equal_scipy_exactly(method, mode, boundary):
    x = RNG.integers(-100, 100, (23, 31))
    k = RNG.integers(-20, 20, (5, 4))
    options = dict(mode=mode, boundary=SCIPY_BOUNDARY[boundary], fillvalue=3)
    ours = dict(padding=mode, boundary=boundary, fill_value=3, method=method)
    for function, oracle in ((convcli.conv2d, signal.convolve2d), (convcli.correlate2d, signal.correlate2d)):
        result = function(x, k, **ours)
        assert result.dtype == np.int64
        np.testing.assert_array_equal(result, oracle(x, k, **options))
    np.testing.assert_array_equal(convcli.im2col_matmul(x, k, **ours), signal.correlate2d(x, k, **options))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("boundary", sorted(SCIPY_BOUNDARY))
def test_floats_match_scipy(method, mode, boundary):
    x = RNG.standard_normal((29, 26))
    k = RNG.standard_normal((6, 7))
    options = dict(mode=mode, boundary=SCIPY_BOUNDARY[boundary], fillvalue=0.5)
    ours = dict(padding=mode, boundary=boundary, fill_value=0.5, method=method)
    assert_close(convcli.conv2d(x, k, **ours), signal.convolve2d(x, k, **options))
    assert_close(convcli.correlate2d(x, k, **ours), signal.correlate2d(x, k, **options))


def test_large_problems_take_each_fast_path_and_match_scipy():
    """Sizes where 'auto' picks a small-kernel path (direct or GEMM), the
    FFT, and the exact-integer FFT (with several overlap-save tiles)."""
    x = RNG.standard_normal((300, 700))
    k3 = RNG.standard_normal((3, 3))
    plan = make_plan("correlate2d", x, k3)
    assert methods.choose(plan, padded_input(plan)).method in ("direct", "gemm")
    assert_close(convcli.correlate2d(x, k3), signal.correlate2d(x, k3, "valid"))
    np.testing.assert_array_equal(convcli.correlate2d(x, k3, method="direct"), signal.correlate2d(x, k3, "valid"))

    k31 = RNG.standard_normal((31, 25))
    plan = make_plan("correlate2d", x, k31)
    assert methods.choose(plan, padded_input(plan)).method == "fft"
    assert_close(convcli.correlate2d(x, k31, padding="same"), signal.correlate2d(x, k31, "same"))

    xi = RNG.integers(-100, 100, (400, 900))
    ki = RNG.integers(-100, 100, (31, 31))
    plan = make_plan("correlate2d", xi, ki)
    assert methods.choose(plan, padded_input(plan)).method == "fft"
    tile = fftconv.exact_tile(padded_input(plan), plan.weight, plan.dilation, plan.groups)
    assert tile[0] < 400 + 30 or tile[1] < 900 + 30  # really tiled
    result = convcli.correlate2d(xi, ki)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, signal.correlate2d(xi, ki, "valid"))


# ---- multi-channel, stride, dilation, groups against the reference ----


@st.composite
def layers(draw, dtype):
    groups = draw(st.integers(1, 3))
    per_group = draw(st.integers(1, 3))
    filters = groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    height = draw(st.integers(dilation[0] * (kh - 1) + 1, 14))
    width = draw(st.integers(dilation[1] * (kw - 1) + 1, 14))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape_x, shape_w = (groups * per_group, height, width), (filters, per_group, kh, kw)
    if dtype == np.int64:
        x, w = rng.integers(-60, 60, shape_x), rng.integers(-9, 10, shape_w)
        w[rng.random(shape_w) < 0.3] = 0  # zero taps are skipped
        w[rng.random(shape_w) < 0.2] = -1  # and +-1 taps added
    else:
        x, w = rng.standard_normal(shape_x).astype(dtype), rng.standard_normal(shape_w).astype(dtype)
    padding = draw(st.sampled_from(["valid", "same", 1, (0, 2, 1, 0)]))
    boundary = draw(st.sampled_from(["fill", "wrap", "symmetric", "reflect", "replicate"]))
    if boundary == "reflect" and padding != "valid":
        boundary = "fill" if min(height, width) < 3 else boundary
    bias = rng.integers(-5, 5, filters) if draw(st.booleans()) else None
    return x, w, dict(padding=padding, boundary=boundary, stride=stride, dilation=dilation, groups=groups, bias=bias)


@settings(max_examples=60, deadline=None)
@given(layer=layers(np.int64), method=st.sampled_from(METHODS), operation=st.sampled_from(["correlate2d", "conv2d"]))
def test_multichannel_integers_equal_the_reference_exactly(layer, method, operation):
    x, w, options = layer
    try:
        expected = reference(operation, x, w, **options)
    except convcli.errors.ShapeError:
        return
    result = getattr(convcli, operation)(x, w, method=method, **options)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, expected)
    if operation == "correlate2d":
        np.testing.assert_array_equal(convcli.im2col_matmul(x, w, method=method, **options), expected)


@settings(max_examples=40, deadline=None)
@given(layer=layers(np.float32), method=st.sampled_from(METHODS))
def test_float32_stays_float32_and_matches_the_reference(layer, method):
    x, w, options = layer
    options["bias"] = None if options["bias"] is None else options["bias"].astype(np.float32)
    try:
        expected = reference("correlate2d", x, w, **options)
    except convcli.errors.ShapeError:
        return
    result = convcli.correlate2d(x, w, method=method, **options)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=0, atol=2e-5 * max(1.0, float(np.abs(expected).max())))


def test_each_path_directly_on_awkward_geometry():
    """Bands smaller than a row, tiles smaller than the input, strides and
    dilation together, against the reference loop."""
    x = RNG.integers(-9, 9, (4, 40, 37))
    w = RNG.integers(-3, 4, (6, 2, 3, 5))
    for stride, dilation in (((1, 1), (1, 1)), ((2, 3), (1, 1)), ((1, 2), (3, 2)), ((3, 1), (2, 1))):
        expected = correlate_padded(x, w, stride, dilation, 2)
        np.testing.assert_array_equal(fast_direct.correlate(x, w, stride, dilation, 2, band_bytes=8), expected)
        np.testing.assert_array_equal(fast_direct.correlate(x, w, stride, dilation, 2, threads=3), expected)
        np.testing.assert_array_equal(gemm.correlate(x, w, stride, dilation, 2, band_bytes=1), expected)
        np.testing.assert_array_equal(fftconv.correlate(x, w, stride, dilation, 2), expected)


@pytest.mark.parametrize("method", METHODS)
def test_huge_strides_and_dilations_give_the_same_answer_by_every_method(method):
    """A stride of 10**20 (one window per axis), or a dilation of 10**20 on a one-tap kernel axis,
    used to overflow numpy's strided views in gemm."""
    x = [[1, 2, 5], [3, 4, 6], [7, 8, 9]]
    assert convcli.correlate2d(x, [[1, 1]], stride=10**20, method=method).tolist() == [[3]]
    assert convcli.correlate2d(x, [[1, 1]], stride=(1, 10**20), method=method).tolist() == [[3], [7], [15]]
    assert convcli.im2col_matmul(x, [[2]], dilation=10**20, method=method).tolist() == [[2, 4, 10], [6, 8, 12],
                                                                                          [14, 16, 18]]
    assert convcli.correlate2d(x, [[1], [1]], dilation=(1, 10**20), method=method).tolist() == [[4, 6, 11],
                                                                                              [10, 12, 15]]


def test_gemm_on_outputs_narrower_than_the_kernel():
    """X_col is built transposed when out_w < kw; same answers."""
    x = RNG.integers(-9, 9, (4, 30, 14))
    w = RNG.integers(-3, 4, (6, 2, 5, 11))
    for stride, dilation in (((1, 1), (1, 1)), ((2, 1), (1, 1)), ((1, 2), (2, 1))):
        expected = correlate_padded(x, w, stride, dilation, 2)
        assert expected.shape[2] < 11
        np.testing.assert_array_equal(gemm.correlate(x, w, stride, dilation, 2, band_bytes=500), expected)
    xf, wf = RNG.standard_normal((64, 64)), RNG.standard_normal((63, 63))
    assert_close(convcli.correlate2d(xf, wf, method="gemm"), signal.correlate2d(xf, wf, "valid"))


def test_threads_give_bit_identical_floats():
    x = RNG.standard_normal((1, 300, 257))
    w = RNG.standard_normal((1, 1, 3, 3))
    one = fast_direct.correlate(x, w, (1, 1), (1, 1), 1, threads=1, band_bytes=4096)
    np.testing.assert_array_equal(one[0], signal.correlate2d(x[0], w[0, 0], "valid"))
    for threads in (2, 3):
        workers = set()
        token = progress_hook.set(lambda done, total: workers.add(threading.current_thread().name))
        try:
            many = fast_direct.correlate(x, w, (1, 1), (1, 1), 1, threads=threads, band_bytes=4096)
        finally:
            progress_hook.reset(token)
        assert len(workers) == threads  # the bands really ran on that many threads
        np.testing.assert_array_equal(many, one)


def test_zero_taps_still_propagate_inf_and_nan_like_scipy():
    x = RNG.standard_normal((9, 9))
    x[4, 4] = np.inf
    x[1, 7] = np.nan
    k = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, -1.0], [0.0, 0.5, 0.0]])
    expected = signal.correlate2d(x, k, "valid")
    result = convcli.correlate2d(x, k, method="direct")
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(result[finite], expected[finite], rtol=1e-15)


# ---- the choice: exactness first ----


def _plan(x, k, **options):
    plan = make_plan("correlate2d", x, k, **options)
    return plan, padded_input(plan)


def test_fft_bound_refuses_integers_it_cannot_prove_exact():
    k = RNG.integers(-100, 100, (31, 31))
    small = RNG.integers(-100, 100, (300, 300))
    plan, padded = _plan(small, k)
    assert fftconv.fft_is_exact(padded, plan.weight, plan.dilation, plan.groups)
    assert methods.choose(plan, padded).method == "fft"

    huge = small * 2**30  # products still fit int64, but float64 cannot hold them exactly
    plan, padded = _plan(huge, k)
    assert plan.dtype is np.int64
    assert not fftconv.fft_is_exact(padded, plan.weight, plan.dilation, plan.groups)
    choice = methods.choose(plan, padded)
    assert choice.method in ("direct", "gemm") and "fft" not in choice.seconds
    with pytest.raises(UsageError, match=r"method 'fft' cannot prove these integers exact \(error bound"):
        methods.choose(plan, padded, "fft")
    result = convcli.correlate2d(huge, k)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, signal.correlate2d(small, k, "valid") * 2**30)


def test_fft_bound_is_sound_where_it_allows_the_fft():
    """Scale the data up to just under the bound's limit: the FFT result,
    rounded, is still exactly scipy's integer result, and the rounding
    residue is far below 1/2."""
    x = RNG.integers(-1000, 1000, (200, 200))
    k = RNG.integers(-1000, 1000, (21, 21))
    tile = fftconv.exact_tile(x[None], k[None, None], (1, 1), 1)
    unit = fftconv.fft_error_bound(x[None], k[None, None], 1, tile)
    scale = int(fftconv.EXACT_LIMIT / unit * 0.9)
    assert scale > 1
    big = x * scale
    assert fftconv.fft_is_exact(big[None], k[None, None], (1, 1), 1)
    result = convcli.correlate2d(big, k, method="fft")
    np.testing.assert_array_equal(result, signal.correlate2d(x, k, "valid") * scale)
    raw = np.fft.irfft2(np.fft.rfft2(big, s=(256, 256)) * np.conj(np.fft.rfft2(k, s=(256, 256))), s=(256, 256))
    assert np.max(np.abs(raw - np.rint(raw))) < 0.25


def test_fft_refuses_integers_just_beyond_the_limit():
    """Scaled to 1.5 times the limit (products still far inside int64), the FFT is refused."""
    x = RNG.integers(-1000, 1000, (200, 200))
    k = RNG.integers(-1000, 1000, (21, 21))
    tile = fftconv.exact_tile(x[None], k[None, None], (1, 1), 1)
    scale = int(1.5 * fftconv.EXACT_LIMIT / fftconv.fft_error_bound(x[None], k[None, None], 1, tile))
    plan, padded = _plan(x * scale, k)
    assert plan.dtype is np.int64
    assert not fftconv.fft_is_exact(padded, plan.weight, plan.dilation, plan.groups)
    with pytest.raises(UsageError, match="method 'fft' cannot prove these integers exact"):
        methods.choose(plan, padded, "fft")


def test_fft_bound_covers_every_group():
    """Group 0 is small enough for the FFT; group 1 is not, so neither is the problem."""
    x = RNG.integers(-10, 10, (2, 100, 100))
    x[1] *= 2**36
    w = RNG.integers(-10, 10, (2, 1, 9, 9))
    plan, padded = _plan(x, w, groups=2)
    assert plan.dtype is np.int64
    assert fftconv.fft_is_exact(padded[:1], plan.weight[:1], (1, 1), 1)
    assert not fftconv.fft_is_exact(padded, plan.weight, (1, 1), 2)
    with pytest.raises(UsageError, match="method 'fft' cannot prove these integers exact"):
        methods.choose(plan, padded, "fft")


def test_fft_strides_across_several_tiles():
    """Tile origins (every 100 rows and columns here) that the stride does not divide."""
    x = RNG.integers(-9, 9, (1, 308, 308))
    w = RNG.integers(-3, 4, (1, 1, 9, 9))
    tile = fftconv.choose_tile((300, 300), (9, 9), 2, 1)
    assert tile[0] < 300 and tile[1] < 300  # several tiles along each axis
    for stride in ((3, 2), (7, 3), (1, 9)):
        np.testing.assert_array_equal(fftconv.correlate(x, w, stride, (1, 1), 1),
                                      correlate_padded(x, w, stride, (1, 1), 1))


def _worker_names(function):
    """The threads that reported progress while `function` ran, and its result."""
    workers = set()
    token = progress_hook.set(lambda done, total: workers.add(threading.current_thread().name))
    try:
        result = function()
    finally:
        progress_hook.reset(token)
    return workers, result


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_fft_tiles_in_threads_give_the_same_values_as_one_thread(dtype):
    x = RNG.integers(-99, 99, (1, 400, 400)).astype(dtype)
    w = RNG.integers(-9, 9, (1, 1, 15, 15)).astype(dtype)
    # the same four 216x216 tiles for one thread and for two, so the values must not change
    assert fftconv.choose_tile((386, 386), (15, 15), 2, 1, False, 1) == fftconv.choose_tile((386, 386), (15, 15), 2, 1, False, 2)
    _, one = _worker_names(lambda: fftconv.correlate(x, w, (1, 1), (1, 1), 1, threads=1))
    workers, two = _worker_names(lambda: fftconv.correlate(x, w, (1, 1), (1, 1), 1, threads=2))
    assert len(workers) == 2  # the tiles really ran on two threads
    np.testing.assert_array_equal(two, one)
    if dtype == np.int64:
        np.testing.assert_array_equal(two, correlate_padded(x, w, (1, 1), (1, 1), 1))
    else:
        assert_close(two[0], signal.correlate2d(x[0], w[0, 0], "valid"))


def test_fft_exactness_is_proven_for_the_tiles_of_the_thread_count_used():
    """A QA pass: one thread takes (432, 432) tiles here, whose bound is over the limit, and two
    threads (180, 432) tiles, whose bound is under it; the check must be made for the tile used."""
    x = np.full((1, 1200, 1200), 8062, dtype=np.int64)
    k = np.full((1, 1, 31, 31), 8062, dtype=np.int64)
    one, two = (fftconv.exact_tile(x, k, (1, 1), 1, threads) for threads in (1, 2))
    assert one != two
    bounds = [fftconv.fft_error_bound(x, k, 1, tile) for tile in (one, two)]
    assert bounds[0] >= fftconv.EXACT_LIMIT > bounds[1]
    assert not fftconv.fft_is_exact(x, k, (1, 1), 1, threads=1)
    assert fftconv.fft_is_exact(x, k, (1, 1), 1, threads=2)


def test_small_fft_tiles_stay_on_one_thread():
    """Tiles under THREADED_TILE_POINTS spend their time in Python calls, which two threads slowed down."""
    x, w = RNG.standard_normal((1, 32, 3000)), RNG.standard_normal((1, 1, 9, 9))
    tile = fftconv.choose_tile((24, 2992), (9, 9), 2, 1, False, 2)
    assert tile[0] * tile[1] < fftconv.THREADED_TILE_POINTS and tile[1] < 2992  # small, and several
    workers, many = _worker_names(lambda: fftconv.correlate(x, w, (1, 1), (1, 1), 1, threads=2))
    assert len(workers) == 1
    assert_close(many[0], signal.correlate2d(x[0], w[0, 0], "valid"))


def test_the_tile_model_shares_large_tiles_among_threads_and_not_small_ones():
    out_hw, reach = (2018, 2018), (31, 31)
    large, small = (288, 288), (64, 64)
    assert fftconv.tile_cost(large, out_hw, reach, 2, 1, False, 2) < 0.8 * fftconv.tile_cost(large, out_hw, reach, 2, 1, False, 1)
    assert fftconv.tile_cost(small, out_hw, reach, 2, 1, False, 2) == fftconv.tile_cost(small, out_hw, reach, 2, 1, False, 1)


@pytest.mark.parametrize("size", [0, 1000, fftconv.SPINNING_DOT_SIZE + 1])
def test_sum_of_squares_by_dot_and_by_numpys_loop(size):
    values = RNG.standard_normal(size)
    exact = sum(Fraction(v) ** 2 for v in values[:2000]) if size <= 2000 else None
    got = fftconv.sum_of_squares(values)
    assert got == pytest.approx(float(np.sum(values * values)), rel=1e-12)
    if exact is not None:
        assert got == pytest.approx(float(exact), rel=1e-13)


def test_fft_error_bound_grows_with_the_norms():
    x = RNG.integers(-50, 50, (1, 64, 64))
    k = RNG.integers(-50, 50, (1, 1, 9, 9))
    base = fftconv.fft_error_bound(x, k, 1, (64, 64))
    assert fftconv.fft_error_bound(3 * x, k, 1, (64, 64)) == pytest.approx(3 * base)
    assert fftconv.fft_error_bound(x, 5 * k, 1, (64, 64)) == pytest.approx(5 * base)
    assert fftconv.fft_error_bound(x, k, 1, (128, 128)) > base
    x_norm, k_norm = np.sqrt(np.sum(x.astype(float) ** 2)), np.sqrt(np.sum(k.astype(float) ** 2))
    levels = np.log2(64 * 64) + 2 + 1
    assert base == pytest.approx(x_norm * k_norm * 2.0**-53 * 24 * levels, rel=1e-6)


def test_exact_python_numbers_never_reach_the_fft():
    x = RNG.integers(-9, 9, (40, 40)).astype(object) * 2**70
    k = RNG.integers(-9, 9, (15, 15))
    plan, padded = _plan(x, k)
    assert padded.dtype == object
    for requested in ("auto", "direct", "gemm"):
        assert methods.choose(plan, padded, requested).method == "reference"
    with pytest.raises(UsageError, match="method 'fft' cannot keep these numbers exact"):
        convcli.correlate2d(x, k, method="fft")
    expected = signal.correlate2d((x // 2**70).astype(np.int64), k, "valid").astype(object) * 2**70
    assert (convcli.correlate2d(x, k, method="gemm") == expected).all()

    fractions = np.array([[Fraction(1, 3), Fraction(1, 6)], [Fraction(1, 6), Fraction(1, 3)]], dtype=object)
    plan, padded = _plan(RNG.integers(0, 9, (30, 30)), fractions)
    assert methods.choose(plan, padded).method == "reference"


def test_gemm_keeps_integers_exact_beyond_float64():
    x = RNG.integers(-2**46, 2**46, (3, 12, 12))
    w = RNG.integers(-200, 200, (4, 3, 3, 3))
    assert not gemm.float64_is_exact(x, w)
    assert gemm.compute_dtype(x, w) == np.int64
    np.testing.assert_array_equal(convcli.im2col_matmul(x, w), reference("correlate2d", x, w))
    small = x // 2**36
    assert gemm.float64_is_exact(small, w)
    result = convcli.im2col_matmul(small, w)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, reference("correlate2d", small, w))


def test_gemm_refuses_python_numbers_which_methods_route_to_the_reference_loop():
    from fractions import Fraction

    x = np.array([[[Fraction(1, 3), 2], [3, 4]]], dtype=object)
    w = np.ones((1, 1, 1, 1), dtype=object)
    with pytest.raises(TypeError, match="reference"):
        gemm.correlate(x, w, (1, 1), (1, 1), 1)
    assert convcli.correlate2d(x[0], w[0, 0], method="gemm")[0, 0] == Fraction(1, 3)


def test_gemm_reads_non_contiguous_input_correctly():
    x = RNG.standard_normal((2, 9, 11))
    w = RNG.standard_normal((3, 2, 2, 3))
    view = np.asfortranarray(x)[:, ::-1, :]  # neither C- nor F-contiguous as passed
    np.testing.assert_allclose(gemm.correlate(view, w, (2, 1), (1, 2), 1),
                               correlate_padded(view, w, (2, 1), (1, 2), 1), rtol=1e-13, atol=1e-13)


def test_float64_gemm_bound_is_max_x_times_the_largest_l1_of_a_filter():
    x = np.full((1, 2, 2), -(2**20), dtype=np.int64)
    under = np.array([[[[2**31, -(2**31)]]], [[[1, 1]]]], dtype=np.int64)  # L1 2**32: sums reach 2**52
    over = np.array([[[[2**32, -(2**32)]]], [[[1, 1]]]], dtype=np.int64)  # L1 2**33: sums may reach 2**53
    assert gemm.float64_is_exact(x, under)
    assert not gemm.float64_is_exact(x, over)
    for weight in (under, over):
        np.testing.assert_array_equal(gemm.correlate(x, weight, (1, 1), (1, 1), 1),
                                      correlate_padded(x, weight, (1, 1), (1, 1), 1))


def test_auto_picks_gemm_for_a_cnn_layer_and_gemm_for_im2col_matmul():
    x = RNG.standard_normal((32, 40, 40)).astype(np.float32)
    w = RNG.standard_normal((32, 32, 3, 3)).astype(np.float32)
    plan, padded = _plan(x, w)
    assert methods.choose(plan, padded).method == "gemm"
    plan = make_plan("im2col_matmul", x[:1, :8, :8], w[:1, :1])
    assert methods.choose(plan, padded_input(plan)).method == "gemm"


def test_tiny_problems_use_one_gemm_product_unless_direct_can_match_scipy_bit_for_bit():
    plan, padded = _plan(np.ones((5, 5)), np.ones((3, 3)))
    choice = methods.choose(plan, padded)
    assert (choice.method, choice.reason) == ("direct", "small problem (81 multiply-adds): direct adds in scipy's order")
    plan, padded = _plan(np.ones((5, 5)), np.ones((3, 4)))
    choice = methods.choose(plan, padded)
    assert (choice.method, choice.reason) == ("gemm", "tiny problem (72 multiply-adds): one copy and one product")
    plan, padded = _plan(np.ones((64, 64)), np.ones((63, 63)))
    assert methods.choose(plan, padded).method == "gemm"  # 15876 multiply-adds, but 3969 taps


@pytest.mark.parametrize("operation", ["conv2d", "correlate2d"])
@pytest.mark.parametrize("kernel_shape", [(3, 3), (2, 3), (3, 1), (1, 2)])
@pytest.mark.parametrize("padding", ["valid", "same", "full"])
def test_small_float_problems_equal_scipy_bit_for_bit(operation, kernel_shape, padding):
    # arbitrary floats, so only the same additions in the same order give the same bits
    rng = np.random.default_rng(sum(kernel_shape) + len(padding))
    peer = {"conv2d": signal.convolve2d, "correlate2d": signal.correlate2d}[operation]
    for _ in range(5):
        x, k = rng.standard_normal((9, 11)), rng.standard_normal(kernel_shape)
        assert np.array_equal(getattr(convcli, operation)(x, k, padding=padding), peer(x, k, padding))
        wide = rng.standard_normal((60, 60))  # over 20000 multiply-adds for 3x3: auto picks for speed; direct still matches
        assert np.array_equal(getattr(convcli, operation)(wide, k, padding=padding, method="direct"), peer(wide, k, padding))


def test_unknown_method_is_a_usage_error_listing_the_methods():
    with pytest.raises(UsageError, match=r"^method 'fastest' is not one of auto, direct, fft, gemm$"):
        convcli.correlate2d([[1, 2], [3, 4]], [[1]], method="fastest")


def test_a_failed_rounding_check_falls_back_to_the_direct_path(monkeypatch):
    def fails(*args, **kwargs):
        raise fftconv.RoundingCheckFailed("simulated")

    monkeypatch.setattr(fftconv, "correlate", fails)
    x, k = RNG.integers(-9, 9, (20, 20)), RNG.integers(-9, 9, (5, 5))
    np.testing.assert_array_equal(convcli.correlate2d(x, k, method="fft"), signal.correlate2d(x, k, "valid"))


# ---- fast FFT lengths and progress ----


@pytest.mark.parametrize("n", [1, 2, 7, 97, 128, 1000, 1025, 2078, 4099])
def test_fast_lengths_are_even_smooth_and_long_enough(n):
    five = fftconv.next_fast_len(n)
    assert five >= n and five % 2 == 0 and fftconv.smoothness(five) == 5
    assert all(m % 2 or fftconv.smoothness(m) != 5 for m in range(max(n, 2), five))
    fast = fftconv.fast_len(n)
    assert n <= fast <= five and fast % 2 == 0 and fftconv.smoothness(fast) in (5, 7, 11)


def test_choose_tile_covers_the_output():
    for out_hw, reach in (((2018, 2018), (31, 31)), ((10, 500), (3, 63)), ((1, 1), (64, 64))):
        tile = fftconv.choose_tile(out_hw, reach, 2)
        assert tile[0] >= reach[0] and tile[1] >= reach[1]
        assert fftconv.smoothness(tile[0]) and fftconv.smoothness(tile[1])


@pytest.mark.parametrize("method", ["direct", "fft", "gemm", "exact"])
def test_progress_hook_sees_every_unit(method):
    """Every method reports, the exact Python-number loop too (it can take minutes)."""
    seen = []
    x, w = RNG.standard_normal((3, 120, 90)), RNG.standard_normal((2, 3, 9, 9))
    if method == "exact":
        x, w, method = RNG.integers(-9, 9, (3, 20, 20)).astype(object) * 10**30, RNG.integers(-9, 9, (2, 3, 3, 3)), "auto"
    token = progress_hook.set(lambda done, total: seen.append((done, total)))
    try:
        convcli.correlate2d(x, w, method=method)
    finally:
        progress_hook.reset(token)
    assert seen and seen[-1][0] == seen[-1][1]
    assert [done for done, _ in seen] == list(range(1, len(seen) + 1))


def test_nan_and_inf_stay_local_under_auto_and_fft_is_refused():
    """An FFT would spread one NaN to every output; auto must keep scipy's pattern."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((256, 256))
    k = rng.standard_normal((31, 31))
    assert methods.choose(make_plan("correlate2d", x, k), x[None], "auto").method == "fft"  # finite data takes the FFT
    x[10, 10], x[200, 120] = np.nan, np.inf
    expected = signal.correlate2d(x, k, "valid")
    result = convcli.correlate2d(x, k)
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(result), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(result[finite], expected[finite], rtol=1e-10, atol=1e-10)
    with pytest.raises(UsageError, match="spread NaN or infinity"):
        convcli.correlate2d(x, k, method="fft")


@pytest.mark.parametrize("dtype, huge", [(np.float64, 1e200), (np.float32, 1e18)])
def test_values_whose_transform_overflows_keep_the_direct_sum(dtype, huge):
    """A direct sum of 1e200 * 1 terms is finite, but the FFT's spectra multiply
    1e200 by 1e200: auto must not take it, and a forced 'fft' is refused."""
    x = np.ones((256, 256), dtype)
    k = np.ones((31, 31), dtype)
    assert methods.choose(make_plan("correlate2d", x, k), x[None], "auto").method == "fft"  # ordinary values do
    x[0, 0] = k[30, 30] = huge
    choice = methods.choose(make_plan("correlate2d", x, k), x[None], "auto")
    assert choice.method != "fft" and "overflow" in choice.reason
    result = convcli.correlate2d(x, k)
    assert result.dtype == dtype and np.isfinite(result).all()
    np.testing.assert_array_equal(result, signal.correlate2d(x, k, "valid"))
    with pytest.raises(UsageError, match="could overflow"):
        convcli.correlate2d(x, k, method="fft")


@pytest.mark.parametrize("dtype, tiny", [(np.float64, 5e-324), (np.float32, 1e-45)])
def test_subnormal_values_keep_a_sum_and_the_fft_is_refused(dtype, tiny):
    """On an input of the smallest subnormal the FFT loses a fixed quantum per
    rounding, not a relative one: it was 8% off. auto must sum instead."""
    x = np.full((64, 64), tiny, dtype)
    k = np.abs(RNG.standard_normal((63, 63))).astype(dtype)
    choice = methods.choose(make_plan("correlate2d", x, k, padding="same"),
                            padded_input(make_plan("correlate2d", x, k, padding="same")), "auto")
    assert choice.method == "direct" and "small" in choice.reason
    expected = signal.correlate2d(x, k, "same")
    result = convcli.correlate2d(x, k, padding="same")
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, expected)  # products round as scipy's; sums of subnormals are exact
    with pytest.raises(UsageError, match="would lose precision"):
        convcli.correlate2d(x, k, padding="same", method="fft")


def test_subnormal_products_are_not_fused_by_blas():
    """BLAS multiplies and adds with one rounding (fused multiply-add) where
    scipy rounds each product: on multiples of 5e-324 times 0.5, exact ties,
    the tiny problem's gemm gave 6 quanta where scipy gives 7."""
    quantum = 5e-324
    x = np.array([[2, 3, 0, 0, 3, 0, 0], [2, 3, 1, 0, 3, 3, 2]]) * quantum
    k = np.full((2, 5), 0.5)
    plan = make_plan("correlate2d", x, k)
    choice = methods.choose(plan, padded_input(plan), "auto")
    assert choice.method == "direct" and "subnormal" in choice.reason
    expected = signal.correlate2d(x, k, "valid")  # [[10, 10, 7]] quanta
    np.testing.assert_array_equal(convcli.correlate2d(x, k), expected)  # the short lane declines
    np.testing.assert_array_equal(convcli.correlate2d(x, k, stride=(1, 1)), expected)  # the general path


def test_float32_subnormal_inputs_do_not_take_the_fft():
    """The underflow margin is against the smallest normal float, not over
    float32's epsilon: inputs of about 1e-42 took the FFT and missed scipy by 2e-4."""
    rng = np.random.default_rng(4)
    x = (rng.integers(-3, 4, (64, 64)) * 1e-42).astype(np.float32)
    k = rng.standard_normal((15, 15)).astype(np.float32)
    assert fftconv.float_hazard(x[None], k[None, None], (1, 1), 1) == "underflow"
    result = convcli.correlate2d(x, k)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, signal.correlate2d(x, k, "valid"))


def test_a_nan_elsewhere_does_not_let_blas_sum_huge_or_tiny_values():
    """float_hazard checked the range only when every value was finite, so
    an infinity or a NaN anywhere sent huge or subnormal values to gemm:
    inf where scipy has 1e308, and 11 quanta of 5e-324 where it has 10."""
    x = np.array([[1e308, 1e308, 1e308, 0.0, np.inf]])
    k = np.array([[1.0, -1.0, 1.0, 2.0]])
    assert fftconv.float_hazard(x[None], k[None, None], (1, 1), 1, fft=False) == "order"
    with np.errstate(over="ignore", invalid="ignore"):
        expected = signal.correlate2d(x, k, "valid")  # [[1e308, inf]]
    np.testing.assert_array_equal(convcli.correlate2d(x, k), expected)
    quantum = 5e-324
    x = np.array([[2, 3, 0, 0, 3, 0, 0, 0, np.nan], [2, 3, 1, 0, 3, 3, 2, 0, 0]]) * quantum
    k = np.full((2, 5), 0.5)
    assert fftconv.float_hazard(x[None], k[None, None], (1, 1), 1, fft=False) == "underflow"
    np.testing.assert_array_equal(convcli.correlate2d(x, k), signal.correlate2d(x, k, "valid"))
    # NaN alone still only keeps the FFT away
    assert fftconv.float_hazard(np.array([[[1.0, np.nan]]]), k[None, None], (1, 1), 1) == "nonfinite"


@pytest.mark.parametrize("dtype, huge, small, size, kernel", [
    (np.float64, 1e308, 1e-300, 48, 21),
    (np.float64, 1e308, 1e-300, 300, 31),
    (np.float32, 1e37, 1e-37, 300, 31),
])
def test_each_operand_of_the_fft_stays_in_the_float_range(dtype, huge, small, size, kernel):
    """The product bound max|x| * sum|w| was modest (4e10), but the input's own
    spectrum overflowed: every output was NaN under auto, with a RuntimeWarning."""
    x = np.full((size, size), huge, dtype)
    k = np.full((kernel, kernel), small, dtype)
    assert fftconv.float_hazard(x[None], k[None, None], (1, 1), 1) == "overflow"
    assert fftconv.float_hazard(x[None], k[None, None], (1, 1), 1, fft=False) is None
    expected = signal.correlate2d(x, k, "valid")
    for options in ({}, {"stride": (1, 1)}):  # the short lane, and the general path
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = convcli.correlate2d(x, k, **options)
        assert result.dtype == dtype
        np.testing.assert_allclose(result, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)
    with pytest.raises(UsageError, match="could overflow"):
        convcli.correlate2d(x, k, method="fft")
    with pytest.raises(UsageError, match="could overflow"):  # a zero kernel: inf * 0 would be NaN
        convcli.correlate2d(x[:4, :4], np.zeros((2, 2), dtype), method="fft")


def test_a_subnormal_operand_keeps_the_fft_away_even_beside_a_huge_one():
    """Subnormal inputs with a kernel of about 1e300 have products far from
    the subnormal range, but the input's transform rounds in quanta: auto's
    FFT was 11% off (normwise), and a forced one 20% on a single row."""
    rng = np.random.default_rng(1)
    x = rng.integers(-3, 4, (64, 64)) * 5e-324
    k = rng.uniform(0.5, 1, (15, 15)) * 1e300
    assert fftconv.float_hazard(x[None], k[None, None], (1, 1), 1) == "operand underflow"
    assert fftconv.float_hazard(x[None], k[None, None], (1, 1), 1, fft=False) is None  # BLAS's products are normal
    plan = make_plan("correlate2d", x, k)
    choice = methods.choose(plan, padded_input(plan))  # the FFT is left out, not every fast method
    assert choice.method != "fft" and "other than the FFT" in choice.reason
    expected = signal.correlate2d(x, k, "valid")
    np.testing.assert_allclose(convcli.correlate2d(x, k), expected, rtol=0, atol=1e-14 * float(np.abs(expected).max()))
    with pytest.raises(UsageError, match="would lose precision on an input channel or a filter"):
        convcli.correlate2d(np.array([[3e-323, 5e-324, 1e-323, 0, 2e-323]]), np.array([[1e300, 1e300]]), method="fft")


def test_each_filter_and_group_is_checked_for_subnormal_spectra():
    """The subnormal checks took the largest values over every filter and the
    whole input, so a filter of 5e-324 beside an ordinary one still took the
    FFT (its channel 69% off), as did a subnormal group (3.8%) and a group
    whose outputs alone were near the subnormal range (1.5e-4)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 300, 300))
    w = rng.standard_normal((2, 1, 31, 31))
    assert fftconv.float_hazard(x, w, (1, 1), 2) is None  # ordinary values keep the FFT
    tiny_filter = w.copy()
    tiny_filter[1] = 5e-324
    subnormal_group = x.copy()
    subnormal_group[1] = rng.integers(0, 3, (300, 300)) * 5e-324
    small_outputs_x, small_outputs_w = x.copy(), w.copy()
    small_outputs_x[1] *= 1e-300
    small_outputs_w[1] *= 1e-20
    for xs, ws, groups in ((x[:1], tiny_filter, 1), (subnormal_group, w, 2), (small_outputs_x, small_outputs_w, 2)):
        assert fftconv.float_hazard(xs, ws, (1, 1), groups) == "operand underflow"
        expected = convcli.correlate2d(xs, ws, groups=groups, method="direct")
        result = convcli.correlate2d(xs, ws, groups=groups)
        for channel in range(2):  # each channel is a result of its own, not a part of one norm
            scale = float(np.abs(expected[channel]).max())
            np.testing.assert_allclose(result[channel], expected[channel], rtol=0, atol=1e-12 * scale)
        with pytest.raises(UsageError, match="input channel or a filter this small"):
            convcli.correlate2d(xs, ws, groups=groups, method="fft")


def test_a_subnormal_filter_beside_a_huge_input_is_kept_from_the_fft():
    """Only the filter's own max|w| catches this one: max|x| * sum|w| (about
    1e-20) is far from the subnormal range, yet scipy's fftconvolve is 23% off."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 64)) * 1e300
    w = rng.integers(0, 3, (15, 15)) * 5e-324
    assert fftconv.float_hazard(x[None], w[None, None], (1, 1), 1) == "operand underflow"
    expected = signal.correlate2d(x, w, "valid")
    np.testing.assert_allclose(convcli.correlate2d(x, w), expected, rtol=0, atol=1e-12 * float(np.abs(expected).max()))


def test_gemm_is_refused_where_blas_would_sum_otherwise_than_scipy():
    """auto summed these directly, but a requested 'gemm' (and im2col_matmul,
    which promises correlate2d's values) ran BLAS: -inf where scipy has NaN."""
    x = np.array([[1.5e308, -1.5e308], [-1e308, 1.5e308]])
    k = np.array([[1.5, 1.5]])
    with np.errstate(over="ignore", invalid="ignore"):
        expected = signal.correlate2d(x, k, "valid")  # [[nan], [inf]]
    np.testing.assert_array_equal(convcli.correlate2d(x, k), expected)
    np.testing.assert_array_equal(convcli.im2col_matmul(x, k), expected)
    with pytest.raises(UsageError, match="method 'gemm' could overflow"):
        convcli.correlate2d(x, k, method="gemm")
    quantum = 5e-324
    x = np.array([[2, 3, 0, 0, 3, 0, 0], [2, 3, 1, 0, 3, 3, 2]]) * quantum
    k = np.full((2, 5), 0.5)
    np.testing.assert_array_equal(convcli.im2col_matmul(x, k), signal.correlate2d(x, k, "valid"))
    with pytest.raises(UsageError, match="method 'gemm' would round otherwise"):
        convcli.im2col_matmul(x, k, method="gemm")
    assert convcli.correlate2d(np.ones((3, 3)), np.ones((2, 2)), method="gemm").tolist() == [[4, 4], [4, 4]]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", ["auto", "direct"])
def test_direct_sums_start_at_plus_zero_as_scipy_does(dtype, method):
    """The first tap was copied (or negated) into the output, so a sum of
    only -0.0 products gave -0.0 where scipy, starting from +0.0, gives +0.0."""
    x = np.array([[-0.0, 0.0, -0.0], [0.0, -0.0, 1.0]], dtype)
    for k in ([[1.0]], [[-2.0]], [[1.0, -1.0]], [[1.0, 0.5], [-1.0, 2.0]]):
        k = np.array(k, dtype)
        for ours, theirs in ((convcli.correlate2d, signal.correlate2d), (convcli.conv2d, signal.convolve2d)):
            result, expected = ours(x, k, method=method), theirs(x, k, "valid")
            np.testing.assert_array_equal(result, expected)
            assert np.signbit(result).tolist() == np.signbit(expected).tolist(), (ours.__name__, k.tolist())


def test_the_range_scans_warn_about_nothing():
    """Squares beyond the range take exact scans, whose sum of |w| may itself
    overflow; no RuntimeWarning may escape (scipy's inf is the answer)."""
    x, k = np.ones((8, 8)), np.full((4, 4), 1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = convcli.correlate2d(x, k)
    np.testing.assert_array_equal(result, np.full((5, 5), np.inf))


@pytest.mark.parametrize("scale", [1e-200, 1e-300])
def test_small_but_normal_values_still_take_the_fft(scale):
    """Their squares underflow to 0 (the norms are then scanned exactly), which
    must not read as 'subnormal'."""
    x = RNG.standard_normal((256, 256)) * scale
    k = RNG.standard_normal((31, 31))
    plan = make_plan("correlate2d", x, k)
    assert methods.choose(plan, padded_input(plan), "auto").method == "fft"
    expected = convcli.correlate2d(x, k, method="direct")
    np.testing.assert_allclose(convcli.correlate2d(x, k), expected, rtol=0, atol=1e-12 * float(np.abs(expected).max()))


def test_range_check_passes_values_the_transform_holds():
    """The bound is C * T * ||x||_2 * ||w||_2 against the largest float, so
    large but ordinary values still take the FFT."""
    x = np.full((1, 64, 64), 1e100)
    w = np.ones((1, 1, 15, 15))
    assert fftconv.float_hazard(x, w, (1, 1), 1) is None
    # float32, where the bound bites before the squares overflow: a 64x64 input of a
    # (||x||_2 = 64 a) and 225 taps of c (||w||_2 = 15 c)
    a = 1e14
    x32 = np.full((1, 64, 64), a, np.float32)
    tile = fftconv.exact_tile(x32, w.astype(np.float32), (1, 1), 1)
    c = float(np.finfo(np.float32).max) / fftconv.RANGE_MARGIN / (float(tile[0] * tile[1]) * 64 * a * 15)
    assert fftconv.float_hazard(x32, np.full((1, 1, 15, 15), c * 0.99, np.float32), (1, 1), 1) is None
    assert fftconv.float_hazard(x32, np.full((1, 1, 15, 15), c * 1.01, np.float32), (1, 1), 1) == "overflow"
    # squares beyond the range: max|x| * sum|w| is scanned instead (1e160 * 225 and its FFT bound fit)
    assert fftconv.float_hazard(np.full((1, 64, 64), 1e160), w, (1, 1), 1) is None
    assert fftconv.float_hazard(np.full((1, 64, 64), 1e300), w, (1, 1), 1) == "overflow"
    assert fftconv.float_hazard(np.full((1, 64, 64), 1e300), w, (1, 1), 1, fft=False) is None
    # 1e306 * 225 taps passes the largest float / 16: any order of summation could overflow
    assert fftconv.float_hazard(np.full((1, 64, 64), 1e306), w, (1, 1), 1, fft=False) == "order"
    for bad in (np.nan, np.inf, -np.inf):
        x[0, 3, 3] = bad
        assert fftconv.float_hazard(x, w, (1, 1), 1) == "nonfinite"
    assert fftconv.float_hazard(np.ones((1, 64, 64)), np.full((1, 1, 15, 15), np.nan), (1, 1), 1) == "nonfinite"


def test_large_float32_values_take_the_fft_where_parseval_bounds_them():
    """The inverse transform's sums are at most T * ||x||_2 * ||w||_2 (Parseval),
    not T**2 * max|x| * sum|w|: the looser bound refused the FFT on float32
    inputs and kernels of about 1e12 (outputs about 3e25, far from 3e38)."""
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((512, 512)) * 1e12).astype(np.float32)
    k = (rng.standard_normal((31, 31)) * 1e12).astype(np.float32)
    plan = make_plan("correlate2d", x, k)
    assert methods.choose(plan, padded_input(plan)).method == "fft"
    expected = signal.correlate2d(x.astype(np.float64), k.astype(np.float64), "valid")
    result = convcli.correlate2d(x, k)
    assert result.dtype == np.float32 and np.isfinite(result).all()
    assert float(np.abs(result - expected).max()) <= 1e-5 * float(np.abs(expected).max())


def test_fft_error_bound_takes_the_largest_filter_norm():
    """One zero filter beside a big one must not shrink the bound (a mutation
    taking the smallest let --method fft return wrong integers)."""
    x = np.full((1, 8, 8), 2**40 + 12345, dtype=np.int64)
    big = np.array([[[[4099, -4097], [5, 4103]]]])
    both = np.concatenate([np.zeros_like(big), big])
    tile = fftconv.exact_tile(x, both, (1, 1), 1)
    assert fftconv.fft_error_bound(x, both, 1, tile) == fftconv.fft_error_bound(x, big, 1, tile) > 0


def test_fft_exactness_keeps_its_factor_four_margin():
    """A bound between 1/8 and 1/2 would round correctly in theory, but the
    margin is part of the proof: refused."""
    x = np.full((8, 8), 5 * 10**11)
    k = np.ones((3, 3), dtype=np.int64)
    tile = fftconv.exact_tile(x[None], k[None, None], (1, 1), 1)
    assert fftconv.EXACT_LIMIT < fftconv.fft_error_bound(x[None], k[None, None], 1, tile) < 0.5
    with pytest.raises(UsageError, match="not below 0.125"):
        convcli.correlate2d(x, k, method="fft")
    assert convcli.correlate2d(x, k).tolist() == [[45 * 10**11] * 6] * 6


def test_a_bad_convcli_threads_value_is_ignored_with_a_warning(monkeypatch):
    from convcli.engine.parallel import thread_count
    from convcli.errors import ConvcliWarning

    monkeypatch.setenv("CONVCLI_THREADS", "3")
    assert thread_count() == 3
    for value in ("zero-test", "-1", "2.5"):
        monkeypatch.setenv("CONVCLI_THREADS", value)
        with pytest.warns(ConvcliWarning, match=f"CONVCLI_THREADS='{value}' is not a whole number"):
            assert thread_count() >= 1


def test_convcli_threads_takes_ascii_digits_only(monkeypatch):
    """'²'.isdigit() is True but int('²') raises: it must be a warning, not a traceback."""
    from convcli.engine.parallel import thread_count
    from convcli.errors import ConvcliWarning

    monkeypatch.setenv("CONVCLI_THREADS", "\u00b2")
    with pytest.warns(ConvcliWarning, match="is not a whole number"):
        assert thread_count() >= 1


@pytest.mark.parametrize("shape, kernel", [((1, 9), (1, 5)), ((100, 100), (3, 3)), ((300, 300), (15, 15))])
def test_values_near_the_float_limit_are_summed_in_scipys_order(shape, kernel):
    """A BLAS product adds in another order than scipy, and a partial sum of
    1e308 - 1e308 + 1e308 ... could overflow where scipy's does not: auto must
    take the direct method (1e308 alternating gave nan,nan,nan,nan,1e308)."""
    x = RNG.choice([-1e308, 1e308, -1e307, 1e307], shape)
    k = np.ones(kernel)
    assert methods.choose(make_plan("correlate2d", x, k), x[None]).method == "direct"
    expected = signal.correlate2d(x, k, "valid")
    result = convcli.correlate2d(x, k)
    np.testing.assert_array_equal(np.isfinite(result), np.isfinite(expected))
    if kernel[1] <= 3:  # scipy's order exactly: bit for bit
        np.testing.assert_array_equal(result, expected)
