"""Every output format, read back as input, gives the same array."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from convcli import outputs
from convcli.cli import main
from convcli.inputs import read_array

FILE_FORMATS = {"csv": ".csv", "tsv": ".tsv", "json": ".json", "npy": ".npy", "markdown": ".md", "latex": ".tex"}

shapes = st.one_of(
    st.tuples(st.integers(1, 5), st.integers(1, 5)),
    st.tuples(st.integers(2, 3), st.integers(1, 4), st.integers(1, 4)),
)
int_arrays = shapes.flatmap(lambda s: arrays(np.int64, s, elements=st.integers(-(2**63), 2**63 - 1)))
float_arrays = shapes.flatmap(
    lambda s: arrays(np.float64, s, elements=st.floats(allow_nan=False, allow_infinity=True, width=64))
)


def _read_back(array, fmt, folder):
    path = folder / f"data{FILE_FORMATS[fmt]}"
    outputs.write_atomic(str(path), outputs.encode(array, fmt))
    return read_array(str(path))


@pytest.mark.parametrize("fmt", sorted(set(FILE_FORMATS) - {"npy"}))
def test_whole_floats_at_a_precision_read_back_as_floats(fmt, tmp_path):
    for array, shown in [([[2.0, -4.0], [123.456, 0.0]], [[2.0, -4.0], [123.0, 0.0]]), ([[1e20, 5e-7]], [[1e20, 5e-7]])]:
        path = tmp_path / f"data{FILE_FORMATS[fmt]}"
        outputs.write_atomic(str(path), outputs.encode(np.array(array), fmt, 3))
        back = read_array(str(path))
        assert back.dtype == np.float64  # "2,-4" would read back as the integers 2 and -4
        np.testing.assert_array_equal(back, shown)


@pytest.mark.parametrize("fmt", sorted(FILE_FORMATS))
@settings(max_examples=40, deadline=None)
@given(array=st.one_of(int_arrays, float_arrays))
def test_every_format_round_trips(fmt, array, tmp_path_factory):
    back = _read_back(array, fmt, tmp_path_factory.mktemp("rt"))
    assert back.dtype == array.dtype
    assert back.shape == array.shape
    np.testing.assert_array_equal(back, array)


@pytest.mark.parametrize("fmt", sorted(FILE_FORMATS))
def test_negative_zero_nan_and_big_ints(fmt, tmp_path):
    floats = np.array([[0.1, -0.0, np.nan], [1e-300, -np.inf, 2.5e17]])
    np.testing.assert_array_equal(_read_back(floats, fmt, tmp_path), floats)
    if fmt != "npy":  # .npy cannot hold Python ints beyond int64, and says so
        huge = np.array([[2**70, -(2**80)], [1, 2]], dtype=object)
        assert _read_back(huge, fmt, tmp_path).tolist() == huge.tolist()


@pytest.mark.parametrize("fmt", ["csv", "json", "npy", "tsv"])
def test_cli_result_read_back_by_the_cli(fmt, tmp_path, capsys):
    target = tmp_path / f"stage1{FILE_FORMATS[fmt]}"
    spec = "[[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[0, 1, 0], [1, 0, 1], [0, 1, 0]]]"
    # channel 0 sums each 2x2 window; channel 1 adds x[0,0] - x[1,1] of its window, always 0 here
    assert main(["correlate2d", spec, "[[[[1, 1], [1, 1]], [[1, 0], [0, -1]]]]", "-o", str(target)]) == 0
    assert main(["correlate2d", str(target), "[[[1]]]", "--format", "json"]) == 0
    assert capsys.readouterr().out == "[[[12, 16], [24, 28]]]\n"


def test_float32_prints_its_own_shortest_form(tmp_path, capsys):
    source = tmp_path / "x.npy"
    np.save(source, np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32))
    assert main(["correlate2d", str(source), "1", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "0.1,0.2\n0.3,0.4\n"
    target = tmp_path / "y.npy"
    assert main(["correlate2d", str(source), "1", "-o", str(target)]) == 0
    assert np.load(target).dtype == np.float32


@pytest.mark.parametrize("fmt", [f for f in sorted(FILE_FORMATS) if f != "npy"])
def test_exact_fractions_round_trip(fmt, tmp_path):
    from fractions import Fraction

    exact = np.array([[Fraction(1, 9), Fraction(-2, 3)], [5, Fraction(10**30, 7)]], dtype=object)
    back = _read_back(exact, fmt, tmp_path)
    assert back.dtype == object and back.tolist() == exact.tolist()
