"""Hypothesis: the engine against scipy.signal, and the modes against each other."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import signal

import convcli

SCIPY_BOUNDARY = {"fill": "fill", "wrap": "wrap", "symmetric": "symm"}


def int_matrices(max_side=7, low=-50, high=50):
    shapes = st.tuples(st.integers(1, max_side), st.integers(1, max_side))
    return shapes.flatmap(lambda s: arrays(np.int64, s, elements=st.integers(low, high)))


def dyadic_matrices(max_side=7):
    """Floats whose sums are exact in any order, so equality can be exact."""
    shapes = st.tuples(st.integers(1, max_side), st.integers(1, max_side))
    quarters = st.integers(-400, 400).map(lambda n: n / 4)
    return shapes.flatmap(lambda s: arrays(np.float64, s, elements=quarters))


def general_float_matrices(max_side=6):
    shapes = st.tuples(st.integers(1, max_side), st.integers(1, max_side))
    values = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
    return shapes.flatmap(lambda s: arrays(np.float64, s, elements=values))


def _fits(x, k, mode):
    return mode != "valid" or (k.shape[0] <= x.shape[0] and k.shape[1] <= x.shape[1])


@settings(max_examples=300, deadline=None)
@given(
    x=int_matrices(),
    k=int_matrices(max_side=6),
    mode=st.sampled_from(["valid", "same", "full"]),
    boundary=st.sampled_from(sorted(SCIPY_BOUNDARY)),
    fill=st.integers(-9, 9),
)
def test_integer_2d_equals_scipy_exactly(x, k, mode, boundary, fill):
    assume(_fits(x, k, mode))
    options = dict(mode=mode, boundary=SCIPY_BOUNDARY[boundary], fillvalue=fill)
    ours = dict(padding=mode, boundary=boundary, fill_value=fill)
    conv = convcli.conv2d(x, k, **ours)
    corr = convcli.correlate2d(x, k, **ours)
    assert conv.dtype == np.int64 and corr.dtype == np.int64
    np.testing.assert_array_equal(conv, signal.convolve2d(x, k, **options))
    np.testing.assert_array_equal(corr, signal.correlate2d(x, k, **options))
    np.testing.assert_array_equal(convcli.im2col_matmul(x, k, **ours), corr)


@settings(max_examples=200, deadline=None)
@given(
    x=dyadic_matrices(),
    k=dyadic_matrices(max_side=5),
    mode=st.sampled_from(["valid", "same", "full"]),
    boundary=st.sampled_from(sorted(SCIPY_BOUNDARY)),
    fill=st.integers(-8, 8).map(lambda n: n / 2),
)
def test_float_2d_equals_scipy_exactly(x, k, mode, boundary, fill):
    assume(_fits(x, k, mode))
    options = dict(mode=mode, boundary=SCIPY_BOUNDARY[boundary], fillvalue=fill)
    ours = dict(padding=mode, boundary=boundary, fill_value=fill)
    np.testing.assert_array_equal(convcli.conv2d(x, k, **ours), signal.convolve2d(x, k, **options))
    np.testing.assert_array_equal(convcli.correlate2d(x, k, **ours), signal.correlate2d(x, k, **options))
    np.testing.assert_array_equal(convcli.im2col_matmul(x, k, **ours), signal.correlate2d(x, k, **options))


@settings(max_examples=150, deadline=None)
@given(
    x=general_float_matrices(),
    k=general_float_matrices(max_side=4),
    mode=st.sampled_from(["valid", "same", "full"]),
    boundary=st.sampled_from(sorted(SCIPY_BOUNDARY)),
)
def test_general_float_2d_matches_scipy_to_rounding(x, k, mode, boundary):
    """Arbitrary floats: the sum order differs from scipy's C loop, so allow rounding."""
    assume(_fits(x, k, mode))
    options = dict(mode=mode, boundary=SCIPY_BOUNDARY[boundary])
    scale = np.abs(x).max() * np.abs(k).sum() + 1e-300
    ours = convcli.correlate2d(x, k, padding=mode, boundary=boundary)
    np.testing.assert_allclose(ours, signal.correlate2d(x, k, **options), rtol=0, atol=1e-13 * scale)
    ours = convcli.conv2d(x, k, padding=mode, boundary=boundary)
    np.testing.assert_allclose(ours, signal.convolve2d(x, k, **options), rtol=0, atol=1e-13 * scale)


def channel_problems():
    """(x, weight, groups, stride, dilation, padding, boundary) with valid geometry."""

    @st.composite
    def build(draw):
        groups = draw(st.integers(1, 3))
        channels = groups * draw(st.integers(1, 2))
        filters = groups * draw(st.integers(1, 2))
        kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        pads = tuple(draw(st.integers(0, 2)) for _ in range(4))
        height = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - pads[0] - pads[1]), 7))
        width = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - pads[2] - pads[3]), 7))
        ints = st.integers(-9, 9)
        x = draw(arrays(np.int64, (channels, height, width), elements=ints))
        weight = draw(arrays(np.int64, (filters, channels // groups, kh, kw), elements=ints))
        stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        boundary = draw(st.sampled_from(["fill", "wrap", "symmetric", "reflect", "replicate"]))
        return x, weight, groups, stride, dilation, pads, boundary

    return build()


def reference_correlate(x, weight, groups, stride, dilation, pads, boundary):
    """A plain loop over output positions, written independently of the engine."""
    mode = {"fill": "constant", "wrap": "wrap", "symmetric": "symmetric", "reflect": "reflect", "replicate": "edge"}
    padded = np.pad(x, [(0, 0), (pads[0], pads[1]), (pads[2], pads[3])], mode=mode[boundary])
    filters, per_group, kh, kw = weight.shape
    out_h = (padded.shape[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (padded.shape[2] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((filters, out_h, out_w), dtype=np.int64)
    per_filter_group = filters // groups
    for f in range(filters):
        g = f // per_filter_group
        for r in range(out_h):
            for c in range(out_w):
                rows = r * stride[0] + dilation[0] * np.arange(kh)
                cols = c * stride[1] + dilation[1] * np.arange(kw)
                field = padded[g * per_group : (g + 1) * per_group][:, rows][:, :, cols]
                out[f, r, c] = int((field * weight[f]).sum())
    return out


@settings(max_examples=150, deadline=None)
@given(problem=channel_problems())
def test_multichannel_modes_agree_with_loop_reference(problem):
    x, weight, groups, stride, dilation, pads, boundary = problem
    options = dict(padding=pads, boundary=boundary, stride=stride, dilation=dilation, groups=groups)
    expected = reference_correlate(x, weight, groups, stride, dilation, pads, boundary)
    np.testing.assert_array_equal(convcli.correlate2d(x, weight, **options), expected)
    np.testing.assert_array_equal(convcli.im2col_matmul(x, weight, **options), expected)
    flipped = weight[..., ::-1, ::-1]
    np.testing.assert_array_equal(convcli.conv2d(x, flipped, **options), expected)


@settings(max_examples=100, deadline=None)
@given(x=int_matrices(), k=int_matrices(max_side=5), mode=st.sampled_from(["valid", "full"]))
def test_conv2d_is_correlate2d_with_flipped_kernel(x, k, mode):
    assume(_fits(x, k, mode))
    np.testing.assert_array_equal(
        convcli.conv2d(x, k, padding=mode), convcli.correlate2d(x, k[::-1, ::-1], padding=mode)
    )


@settings(max_examples=100, deadline=None)
@given(
    x=arrays(np.int64, st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)), elements=st.integers(-99, 99)),
    data=st.data(),
)
def test_conv1x1_is_a_dot_product_over_depth(x, data):
    filters = data.draw(st.integers(1, 3))
    weights = data.draw(arrays(np.int64, (filters, x.shape[0]), elements=st.integers(-9, 9)))
    bias = data.draw(arrays(np.int64, (filters,), elements=st.integers(-9, 9)))
    expected = np.einsum("kc,chw->khw", weights, x) + bias[:, None, None]
    np.testing.assert_array_equal(convcli.conv1x1(x, weights, bias=bias), expected)


@pytest.mark.parametrize("scale", [2**40, 2**62])
def test_integers_never_wrap(scale):
    x = np.full((3, 3), scale, dtype=np.int64)
    k = np.full((2, 2), 7, dtype=np.int64)
    result = convcli.correlate2d(x, k)
    expected = scale * 7 * 4
    assert all(int(v) == expected for v in result.flat)
    assert result.dtype == (np.int64 if expected < 2**63 else object)
