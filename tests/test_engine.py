"""Small hand-worked cases. The multi-channel ones pin the semantics of
torch.nn.functional.conv2d (after F.pad for the non-zero boundary modes);
each was worked by hand and checked once against torch, which is not a
dependency."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from classic import CLASSIC_KERNEL_ROWS, CLASSIC_ROWS
from scipy import signal

import convcli
from convcli.errors import InputError, ShapeError, UsageError

CLASSIC_INPUT = np.array(CLASSIC_ROWS)
CLASSIC_KERNEL = np.array(CLASSIC_KERNEL_ROWS)
FIVE_BY_FIVE = np.arange(1, 26).reshape(5, 5)  # x[i, j] = 5*i + j + 1
THREE_BY_THREE = np.arange(1, 10).reshape(3, 3)


def test_classic_example():
    expected = [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    for operation in (convcli.conv2d, convcli.correlate2d, convcli.im2col_matmul):
        result = operation(CLASSIC_INPUT, CLASSIC_KERNEL)
        assert result.dtype == np.int64
        assert result.tolist() == expected


def test_flip_shows_on_an_asymmetric_kernel():
    k = [[1, 2], [3, 4]]
    assert convcli.conv2d(k, k).tolist() == [[1 * 4 + 2 * 3 + 3 * 2 + 4 * 1]] == [[20]]
    assert convcli.correlate2d(k, k).tolist() == [[1 + 4 + 9 + 16]] == [[30]]


def test_conv2d_is_torch_on_the_flipped_weight():
    # x00*4 + x01*3 + x10*2 + x11*1 = 4 + 6 + 8 + 5
    assert convcli.conv2d(THREE_BY_THREE, [[1, 2], [3, 4]]).tolist() == [[23, 33], [53, 63]]


def test_same_alignment_for_even_kernels_follows_scipy():
    row = [[1, 2, 3, 4, 5, 6]]
    # convolve2d: the extra pad cell goes before; correlate2d: after
    assert convcli.conv2d(row, [[1, 10]], padding="same").tolist() == [[1, 12, 23, 34, 45, 56]]
    assert convcli.correlate2d(row, [[1, 10]], padding="same").tolist() == [[21, 32, 43, 54, 65, 6]]


def test_stride():
    # [[1, 0], [0, -1]] takes x[2r, 2c] - x[2r+1, 2c+1] = -6 everywhere
    result = convcli.correlate2d(FIVE_BY_FIVE, [[1, 0], [0, -1]], stride=2)
    assert result.tolist() == [[-6, -6], [-6, -6]]


def test_dilation():
    # x[i, j] + x[i+2, j+2] = 2*(5i + j + 1) + 12
    result = convcli.correlate2d(FIVE_BY_FIVE, [[1, 0], [0, 1]], dilation=2)
    assert result.tolist() == [[14, 16, 18], [24, 26, 28], [34, 36, 38]]


def test_integer_padding():
    assert convcli.correlate2d([[1, 2], [3, 4]], np.ones((3, 3), int), padding=1).tolist() == [[10, 10], [10, 10]]


@pytest.mark.parametrize(
    "boundary, expected",
    [
        # padded (reflect): 5 4 5 6 5 / 2 1 2 3 2 / ...; at (0,0): 5 + 4 + 2 = 11
        ("reflect", [[11, 10, 13, 14], [8, 7, 10, 11], [17, 16, 19, 20], [20, 19, 22, 23]]),
        # padded (replicate): 1 1 2 3 3 / 1 1 2 3 3 / ...; at (0,0): 1 + 1 + 1 = 3
        ("replicate", [[3, 4, 7, 9], [6, 7, 10, 12], [15, 16, 19, 21], [21, 22, 25, 27]]),
        # padded (circular): 9 7 8 9 7 / 3 1 2 3 1 / ...; at (0,0): 9 + 7 + 3 = 19
        ("wrap", [[19, 16, 19, 19], [10, 7, 10, 10], [19, 16, 19, 19], [19, 16, 19, 19]]),
    ],
)
def test_boundary_modes_match_torch_pad_modes(boundary, expected):
    result = convcli.correlate2d(THREE_BY_THREE, [[1, 1], [1, 0]], padding=1, boundary=boundary)
    assert result.tolist() == expected


def test_fill_value():
    # fill 7 around [[1]]: the 3x3 box sums eight 7s and the 1
    assert convcli.correlate2d([[1]], np.ones((3, 3), int), padding="same", fill_value=7).tolist() == [[57]]


def test_groups():
    x = np.stack([np.ones((2, 2), int), 2 * np.ones((2, 2), int)])
    result = convcli.correlate2d(x, [[[[3]]], [[[5]]]], groups=2)
    assert result.tolist() == [[[3, 3], [3, 3]], [[10, 10], [10, 10]]]


def test_stride_padding_groups_and_bias_together():
    x = np.arange(2 * 4 * 4).reshape(2, 4, 4)
    weight = [[[[1, 0], [0, 1]]], [[[0, 1], [1, 0]]]]
    result = convcli.correlate2d(x, weight, bias=[10, -10], stride=2, padding=1, groups=2)
    # filter 0 at (0,0): pad*1 + x[0,0,0]*1 = 0, plus bias 10
    assert result.tolist() == [
        [[10, 12, 10], [18, 25, 17], [10, 23, 25]],
        [[-10, 7, 9], [10, 37, 17], [18, 20, -10]],
    ]
    assert convcli.im2col_matmul(x, weight, bias=[10, -10], stride=2, padding=1, groups=2).tolist() == result.tolist()


def test_multichannel_sample():
    x = [[[1, 2, 0], [0, 1, 3], [2, 0, 1]], [[0, 1, 1], [1, 0, 2], [1, 1, 0]]]
    weight = [[[[1, 0], [0, 1]], [[2, 0], [0, 0]]], [[[0, 1], [1, 0]], [[0, 0], [0, -1]]]]
    # filter 0 at (0,0): (1*1 + 1*1) + (0*2) + bias 1 = 3
    assert convcli.correlate2d(x, weight, bias=[1, -1]).tolist() == [[[3, 8], [3, 3]], [[1, -2], [1, 2]]]


def test_one_filter_3d_kernel_and_2d_kernel_on_channels():
    x = np.stack([THREE_BY_THREE, 10 * THREE_BY_THREE])
    assert convcli.correlate2d(x, [[[1]], [[1]]]).tolist() == [(11 * THREE_BY_THREE).tolist()]
    # a 2-D kernel filters every channel separately, as MATLAB's convn does
    assert convcli.correlate2d(x, [[2]]).tolist() == (2 * x).tolist()


def test_conv1x1_is_a_dot_product_over_depth():
    x = [[[1, 2]], [[5, 6]]]  # two channels, one row, two pixels
    assert convcli.conv1x1(x, [[1, 10]]).tolist() == [[[51, 62]]]  # 1*1 + 5*10
    assert convcli.conv1x1(x, [1, 10], bias=[1]).tolist() == [[52, 63]]
    assert convcli.conv1x1(x, np.array([[1, 10], [2, 0]])[:, :, None, None]).tolist() == [[[51, 62]], [[2, 4]]]


def test_output_shape():
    assert convcli.output_shape((28, 28), (5, 5)) == (24, 24)
    assert convcli.output_shape((3, 224, 224), (64, 3, 7, 7), padding=3, stride=2) == (64, 112, 112)
    assert convcli.output_shape((5, 5), (3, 3), padding="full") == (7, 7)


def test_integers_stay_exact_beyond_int64():
    big = 2**62
    result = convcli.correlate2d([[big, big]], [[4, 4]])
    assert result.dtype == object and result.tolist() == [[8 * big]]
    # near the edge: fits after all, so it comes back as int64
    result = convcli.correlate2d([[2**61, -(2**61)]], [[3, 3]])
    assert result.dtype == np.int64 and result.tolist() == [[0]]


def test_a_huge_fill_value_stays_exact():
    # [[1]] padded by 1 with f = 2**62: every 2x2 window holds three f and the 1
    f = 2**62
    result = convcli.correlate2d([[1]], [[3, 3], [3, 3]], padding=1, fill_value=f)
    assert result.tolist() == [[3 * (3 * f + 1)] * 2] * 2
    assert all(type(v) is int for v in result.flat)
    # alone, each padded cell of a 1x1 kernel is 4f = 2**64
    assert convcli.correlate2d([[1]], [[4]], padding=1, fill_value=f).tolist() == [[4 * f] * 3, [4 * f, 4, 4 * f], [4 * f] * 3]


def test_a_bias_that_overflows_gives_ieee_values_without_numpy_warnings():
    """The bias was added outside the errstate the methods run in, so numpy's
    'overflow encountered in add' escaped from the Python API."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert convcli.correlate2d(np.array([[1e308]]), [[1.0]], bias=[1e308]).tolist() == [[np.inf]]
        assert np.isnan(convcli.correlate2d(np.array([[np.inf]]), [[1.0]], bias=[-np.inf])).all()


def test_the_bias_counts_in_the_overflow_check():
    # 3 * 2**61 fits in int64 but adding the bias 2**62 does not: 5 * 2**61
    result = convcli.correlate2d([[2**61]], [[3]], bias=[2**62])
    assert result.tolist() == [[5 * 2**61]]


def test_a_fractional_fill_makes_integer_input_float():
    # [[1]] with fill 0.5 on its left: 0.5*1 + 1*1
    result = convcli.correlate2d([[1]], [[1, 1]], padding=(0, 0, 1, 0), fill_value=0.5)
    assert result.dtype == np.float64 and result.tolist() == [[1.5]]


def test_padding_per_axis():
    # "PH,PW": 1 row above and below, no columns
    assert convcli.output_shape((2, 2), (1, 1), padding="1,0") == (4, 2)
    assert convcli.correlate2d([[1, 2], [3, 4]], [[1]], padding="1,0").tolist() == [[0, 0], [1, 2], [3, 4], [0, 0]]


def test_fractions_stay_exact():
    box = np.full((3, 3), Fraction(1, 9), dtype=object)
    result = convcli.correlate2d(THREE_BY_THREE, box)
    assert result.tolist() == [[Fraction(45, 9)]]
    assert convcli.correlate2d([[1, 2, 3], [4, 5, 6], [7, 8, 2]], box).tolist() == [[Fraction(38, 9)]]


def test_float32_stays_float32():
    x = np.ones((4, 4), np.float32)
    assert convcli.correlate2d(x, np.ones((2, 2), np.float32)).dtype == np.float32
    assert convcli.correlate2d(x, np.ones((2, 2), np.float64)).dtype == np.float64


@pytest.mark.parametrize("order", [">", "<"])
def test_byte_order_does_not_change_the_result_type(order):
    """A big-endian float32 array ('>f4', from another machine's file) is float32:
    it came back float64, as only the native float32 dtype was recognised."""
    x = np.arange(12, dtype=f"{order}f4").reshape(3, 4)
    assert convcli.correlate2d(x, x[:2, :2]).dtype == np.float32
    assert convcli.correlate2d(x.astype(f"{order}i8"), [[1, 2]]).dtype == np.int64
    np.testing.assert_array_equal(convcli.correlate2d(x, x[:2, :2]), convcli.correlate2d(x.astype(np.float32), x[:2, :2].astype(np.float32)))


def test_integers_meeting_float32_are_never_rounded_on_the_way_in():
    kernel = np.array([[1.0]], np.float32)
    # 2**24 + 1 is not a float32: the work moves to float64, as numpy's int64 * float32 does, and equals scipy
    big = np.array([[2**24 + 1, 1]])
    result = convcli.correlate2d(big, kernel)
    assert result.dtype == np.float64 and result.tolist() == [[2**24 + 1, 1]]
    assert np.array_equal(result, signal.correlate2d(big, kernel))
    # an image of small integers (uint8, int16) with a float32 kernel stays float32
    image = np.array([[255, 0], [7, 9]], np.uint8)
    assert convcli.correlate2d(image, kernel).dtype == np.float32
    assert convcli.correlate2d(image.astype(np.int16), kernel).dtype == np.float32
    # the fill value and the bias count too
    x32 = np.ones((2, 2), np.float32)
    assert convcli.correlate2d(x32, kernel, padding=1, fill_value=2**24 + 1).dtype == np.float64
    assert convcli.correlate2d(x32, kernel, padding=1, fill_value=3).dtype == np.float32
    assert convcli.correlate2d(x32[None], kernel[None, None], bias=[2**25 + 1]).tolist() == [[[2**25 + 2] * 2] * 2]


class _Unconvertible:
    """Converts as a torch tensor that requires grad does: with a RuntimeError."""

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: convcli.conv2d(np.ones((2, 2)), np.ones((3, 3))), "kernel (3, 3) is larger than input (2, 2) with padding 'valid'"),
        (lambda: convcli.conv2d(np.ones((3, 3)), np.ones((2, 2)), dilation=3), "(dilated to (4, 4))"),
        (lambda: convcli.conv2d(np.ones((3, 3)), np.ones((2, 2)), stride=0), "stride must be at least 1"),
        (lambda: convcli.conv2d(np.ones((3, 3)), np.ones((2, 2)), dilation="1,0"), "dilation must be at least 1"),
        (lambda: convcli.conv2d(np.ones((3, 3)), np.ones((2, 2)), padding=-1), "padding must not be negative"),
        (lambda: convcli.conv2d(np.ones((3, 3)), np.ones((2, 2)), padding="sometimes"), "is not one of valid, same, full"),
        (lambda: convcli.conv2d(np.ones((3, 3)), np.ones((2, 2)), boundary="mirror"), "boundary 'mirror' is not one of"),
        # torch's 'zeros' pads with zeros whatever else is said (QA: a fill value of 7 was used)
        (lambda: convcli.conv2d(np.ones((3, 3)), np.ones((2, 2)), padding=1, boundary="zeros", fill_value=7),
         "boundary 'zeros' pads with 0, so a fill value other than 0 contradicts it; use boundary 'fill'"),
        (lambda: convcli.conv2d(np.ones((3, 3)), np.ones((2, 2)), padding=1, boundary=" Zeros", fill_value=np.nan),
         "a fill value other than 0 contradicts it"),
        # an array of another library that will not convert: torch's tensors that require grad
        (lambda: convcli.conv2d(_Unconvertible(), np.ones((2, 2))),
         "input (_Unconvertible) could not be read as a numpy array (Can't call numpy() on Tensor that requires grad"),
        (lambda: convcli.conv2d(np.ones((3, 3, 3)), np.ones((2, 3, 2, 2)), groups=2), "groups=2 does not divide the 3 input channels"),
        (lambda: convcli.conv2d(np.ones((2, 3, 3)), np.ones((1, 3, 2, 2))), "expects 3 input channels"),
        (lambda: convcli.conv2d(np.ones((2, 3, 3)), np.ones((2, 2, 2, 2)), bias=[1, 2, 3]), "bias has 3 values but there are 2"),
        (lambda: convcli.conv1x1(np.ones((2, 3, 3)), np.ones((4, 3))), "expect 3 channels, but input (2, 3, 3) has 2"),
        (lambda: convcli.conv1x1(np.ones((2, 3, 3)), np.ones(3)), "weights (3,) expect 3 channels"),
        (lambda: convcli.conv2d(np.ones((3, 3), complex), np.ones((2, 2))), "complex"),
        (lambda: convcli.conv2d(np.ones((0, 3)), np.ones((2, 2))), "must both be non-empty"),
    ],
)
def test_bad_geometry_is_refused_with_the_shapes(call, message):
    with pytest.raises((ShapeError, UsageError, InputError)) as raised:
        call()
    assert message in str(raised.value)


def test_errors_are_value_errors_as_scipy_raises():
    # code written for scipy.signal (`except ValueError`) catches convcli's refusals too
    for call in (lambda: convcli.correlate2d(np.ones((2, 2)), np.ones((4, 4))),
                 lambda: convcli.correlate2d(np.ones((3, 3)), np.ones((2, 2)), boundary="mirror")):
        with pytest.raises(ValueError) as raised:
            call()
        assert isinstance(raised.value, convcli.ConvcliError)


def test_no_silent_swap_like_scipy_valid():
    # scipy.signal.convolve2d swaps the arguments when the kernel is bigger; convcli refuses
    with pytest.raises(ShapeError, match=r"kernel \(4, 4\) is larger than input \(2, 2\)"):
        convcli.correlate2d(np.ones((2, 2)), np.ones((4, 4)))


def test_numpy_integers_inside_object_arrays_grow_instead_of_wrapping():
    big = np.array([[np.int64(2**62), np.int64(2**62)]], dtype=object)
    assert convcli.correlate2d(big, [[2, 2]]).tolist() == [[2**64]]
    top = np.array([[np.uint64(2**64 - 1), 1]], dtype=object)
    assert convcli.correlate2d(top, [[1, 1]]).tolist() == [[2**64]]
    small = convcli.correlate2d(np.array([[np.int64(2), np.int64(3)]], dtype=object), [[1, 1]])
    assert small.dtype == np.int64 and small.tolist() == [[5]]


def test_python_integers_that_numpy_would_make_floats_stay_exact():
    # np.asarray([2, 2**64 - 1]) is float64: int64 and uint64 do not mix
    assert convcli.correlate2d([[2, 2**64 - 1]], [[1, 1]]).tolist() == [[2**64 + 1]]
    assert convcli.correlate2d([[2**63, 3]], [[1, 1]]).tolist() == [[2**63 + 3]]
    assert convcli.correlate2d([[2**63, 3.5]], [[1, 1]]).dtype == np.float64  # a float makes it float work
    # numpy integers and bools beside them are integers too
    assert convcli.correlate2d([[np.int64(-1), 2**64 - 1]], [[1, 1]]).tolist() == [[2**64 - 2]]
    assert convcli.correlate2d([[True, 2**64 - 1, -1]], [[1, 1]]).tolist() == [[2**64, 2**64 - 2]]


def test_integers_beyond_the_float_range_beside_floats_become_infinity_with_a_warning():
    """as float("1e400") is inf; but never silently (float(10**400) raises in Python)"""
    with pytest.warns(RuntimeWarning, match="1 exact value\\(s\\) beyond the float64 range became infinity"):
        assert convcli.correlate2d([[10**400, 0.5]], [[1]]).tolist() == [[np.inf, 0.5]]
    with pytest.warns(RuntimeWarning, match="beyond the float64 range"):
        assert convcli.correlate2d([[1.0, 0.5]], [[1]], bias=-(10**400)).tolist() == [[-np.inf, -np.inf]]
    with pytest.warns(RuntimeWarning, match="2 exact value") as caught:
        assert np.isnan(convcli.correlate2d([[10**400, -10**400]], [[1.0, 1.0]])).all()
    assert caught[0].filename == __file__  # the caller's line, not convcli's
    with warnings.catch_warnings():  # in range, or a float infinity given as such: nothing to say
        warnings.simplefilter("error")
        assert convcli.correlate2d([[2**60, 3]], [[0.5]]).tolist() == [[2.0**59, 1.5]]
        assert convcli.correlate2d(np.array([[float("inf"), 1]], dtype=object), [[0.5]]).tolist() == [[np.inf, 0.5]]


@pytest.mark.parametrize("options, message", [
    (dict(stride=np.array(2.9)), "stride 2.9 is not an integer"),
    (dict(padding=np.array(1.7)), "padding 1.7 is not an integer"),
    (dict(groups=np.array(1.5)), "groups 1.5 is not an integer"),
    (dict(dilation=np.array(True)), "dilation must be an integer, not True"),
    (dict(stride=np.bool_(True)), "stride must be an integer"),
    (dict(padding=()), "padding () is empty"),
    (dict(padding=b"1"), "padding b'1' is not an integer or a sequence of integers"),
    (dict(stride={2, 1}), "is not an integer or a sequence of integers"),
    (dict(padding=1, fill_value=[5, 6]), "fill value must be one number, got 2 values"),
    (dict(padding=1, fill_value=[]), "fill value must be one number, got 0 values"),
])
def test_arguments_numpy_would_misread_are_refused(options, message):
    with pytest.raises(convcli.ConvcliError) as raised:
        convcli.correlate2d(np.ones((5, 6)), [[1]], **options)
    assert message in str(raised.value)


def test_integer_arrays_and_numpy_integers_work_as_geometry():
    x = np.arange(30).reshape(5, 6)
    expected = convcli.correlate2d(x, [[1]], stride=(2, 1), padding=(1, 2))
    got = convcli.correlate2d(x, [[1]], stride=np.array([2, 1]), padding=np.array([np.int32(1), 2]))
    assert np.array_equal(got, expected) and got.shape == (4, 10)


def test_ragged_lists_and_empty_weights_are_named():
    with pytest.raises(InputError, match=r"^input is not a rectangular array of numbers \(setting an array element"):
        convcli.correlate2d([[1, 2], [3]], [[1]])
    with pytest.raises(ShapeError, match=r"conv1x1 weights \(0, 3\) are empty"):
        convcli.conv1x1(np.ones((2, 3, 3)), np.zeros((0, 3)))
    with pytest.raises(ShapeError, match=r"bias has 1 value but there are 2 output channels"):
        convcli.correlate2d(np.ones((2, 3, 3)), np.ones((2, 2, 2, 2)), bias=[1])
    with pytest.raises(ShapeError, match=r"\(2 per group x 1 group\), but input has 3"):
        convcli.correlate2d(np.ones((3, 3, 3)), np.ones((2, 2, 2, 2)))


def test_output_shape_computes_nothing_and_checks_its_arguments():
    # far beyond this machine's memory, yet only a shape is asked for
    assert convcli.output_shape((100000, 100000), (3, 3)) == (99998, 99998)
    assert convcli.output_shape((64, 4096, 4096), (64, 64, 3, 3), padding=1) == (64, 4096, 4096)
    assert convcli.output_shape((28, 28), (5, 5), operation="IM2COL-MATMUL") == (24, 24)
    # kernels too (8 TB each as float64), and a 2-D kernel spread over many channels
    assert convcli.output_shape((10**9, 10**9), (10**6, 10**6)) == (999000001, 999000001)
    assert convcli.output_shape((10**6, 10**5, 10**5), (10**5, 10**5)) == (10**6, 1, 1)
    with pytest.raises(UsageError, match="operation 'conv1x1' is not one of conv2d, correlate2d, im2col_matmul"):
        convcli.output_shape((3, 28, 28), (4, 3), operation="conv1x1")
    with pytest.raises(UsageError, match="input shape 28 must be a sequence of sizes"):
        convcli.output_shape(28, 5)
    with pytest.raises(ShapeError, match=r"input shape \(-1, 5\) must have every size at least 1"):
        convcli.output_shape((-1, 5), (3, 3))
    with pytest.raises(ShapeError, match=r"has 3e\+18 cells, beyond what numpy can describe"):
        convcli.output_shape((3, 10**9, 10**9), (64, 3, 7, 7))


def test_im2col_w_row_is_not_a_view_of_the_kernel():
    kernel = np.array([[1, 2], [3, 4]])
    matrices = convcli.im2col_matrices(np.ones((3, 3), int), kernel)
    matrices.w_row[0, 0] = 100
    assert kernel.tolist() == [[1, 2], [3, 4]]


def test_a_python_float_fill_keeps_float32_work_float32_as_numpy_scalars_do():
    x, k = np.ones((3, 3), np.float32), np.ones((2, 2), np.float32)
    weak = convcli.correlate2d(x, k, padding=1, fill_value=0.5)
    assert weak.dtype == np.float32 and weak[0, 0] == np.float32(2.5)
    # a numpy float64 scalar is a float64 value, as in numpy: the work is float64
    assert convcli.correlate2d(x, k, padding=1, fill_value=np.float64(0.5)).dtype == np.float64
    # infinity is a float32 too
    assert convcli.correlate2d(x, k, padding=1, fill_value=float("inf")).dtype == np.float32
    # ... unless float32 cannot hold it: then float64, not infinity
    huge = convcli.correlate2d(x, k, padding=1, fill_value=1e300)
    assert huge.dtype == np.float64 and huge[0, 0] == 3e300  # three fill cells and a 1
    # on integers a fraction still makes the work float64
    assert convcli.correlate2d(np.ones((3, 3), int), [[1]], padding=1, fill_value=0.5).dtype == np.float64


def test_half_precision_computes_as_float32_as_the_npy_reader_widens_it():
    half = np.array([[1.5, 2.0, 0.25]], np.float16)
    got = convcli.correlate2d(half, np.array([[1.0, 1.0]], np.float32))
    assert got.dtype == np.float32 and got.tolist() == [[3.5, 2.25]]
    assert convcli.correlate2d(np.array([[1.0, 2.0]], np.longdouble), [[1.0, 1.0]]).dtype == np.float64
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy cast warning on the way in
        assert convcli.correlate2d([[np.float16(1), np.float16(2)]], [[1]]).dtype == np.float32


# Pinned by a mutation audit: each of these checks once let a changed line through.

def test_int64_overflow_bound_counts_every_term():
    """Four products of 2**62 each fit int64, their sum does not: 2**64, not 0."""
    big = [[2**31] * 4]
    result = convcli.correlate2d(big, big)
    assert result.dtype == object and result.tolist() == [[2**64]]


def test_uint64_values_beyond_int64_stay_exact():
    result = convcli.correlate2d(np.array([[2**64 - 1, 1]], dtype=np.uint64), [[1, 1]])
    assert result.tolist() == [[2**64]]


def test_groups_must_divide_the_filters():
    """torch refuses this too; computing on would read past the last filter."""
    with pytest.raises(ShapeError, match="groups=2 does not divide the 3 filters"):
        convcli.correlate2d(np.arange(18).reshape(2, 3, 3), np.ones((3, 1, 2, 2)), groups=2)


@pytest.mark.parametrize("kernel", [np.zeros((0, 0)), np.zeros((2, 0))])
def test_an_empty_kernel_is_refused(kernel):
    with pytest.raises(ShapeError, match="must both be non-empty"):
        convcli.correlate2d([[1, 2], [3, 4]], kernel)


def test_float32_work_holds_integers_up_to_2_to_the_24():
    """|v| <= 2**24 is a float32 exactly, so the work stays float32 (torch gives 16777216.0 too)."""
    x = np.ones((1, 2), np.float32)
    exact_limit = convcli.correlate2d(x, [[2**24, 1]])
    assert exact_limit.dtype == np.float32 and exact_limit.tolist() == [[16777216.0]]
    beyond = convcli.correlate2d(x, [[2**24 + 1, 1]])
    assert beyond.dtype == np.float64 and beyond.tolist() == [[16777218.0]]


def test_a_result_of_exactly_minus_2_to_the_63_is_int64():
    result = convcli.correlate2d([[-(2**62), -(2**62)]], [[1, 1]])
    assert result.dtype == np.int64 and result.tolist() == [[-(2**63)]]


def test_an_unused_fill_value_does_not_make_integers_float():
    """As scipy: with 'valid' nothing is padded, so a fill of 0.5 changes nothing."""
    result = convcli.correlate2d([[1, 2], [3, 4]], [[1]], fill_value=0.5)
    assert result.dtype == np.int64 and result.tolist() == [[1, 2], [3, 4]]
    assert signal.correlate2d(np.array([[1, 2], [3, 4]]), np.array([[1]]), "valid", fillvalue=0.5).dtype.kind == "i"
    assert convcli.correlate2d([[1, 2], [3, 4]], [[1]], fill_value=0.5, padding=1).dtype == np.float64
