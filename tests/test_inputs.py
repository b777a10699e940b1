"""convcli.inputs: every format, the dtype rules, and the exact error line for each problem."""

from __future__ import annotations

import io
import os
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcli import inputs, textparse
from convcli.errors import InputError
from convcli.inputs import read_array
from convcli.kernels import KERNEL_DESCRIPTIONS, kernel_names, named_kernel

INT64_MAX = 2**63 - 1


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A scratch working directory, so names in messages are short and exact."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(name: str, data: str | bytes) -> str:
    with open(name, "wb") as handle:
        handle.write(data.encode() if isinstance(data, str) else data)
    return name


def error_of(spec, **options) -> str:
    with pytest.raises(InputError) as caught:
        read_array(spec, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


def stdin_of(data: bytes):
    return io.BytesIO(data)


def same(got: np.ndarray, expected, dtype) -> None:
    assert got.dtype == np.dtype(dtype), got.dtype
    assert got.shape == np.shape(expected)
    assert got.tolist() == np.asarray(expected, dtype=object).tolist()


# ---------------------------------------------------------------- delimited text


def test_csv_of_integers(folder):
    same(read_array(write("a.csv", "1,2,3\n4,5,6\n")), [[1, 2, 3], [4, 5, 6]], np.int64)


def test_csv_of_decimals(folder):
    same(read_array(write("a.csv", "0.5,-1.25\n1e-3,2.5E+2\n")), [[0.5, -1.25], [0.001, 250.0]], np.float64)


def test_tsv_and_whitespace_text(folder):
    same(read_array(write("a.tsv", "1\t2\n3\t4\n")), [[1, 2], [3, 4]], np.int64)
    same(read_array(write("a.txt", "  1   2\n3\t 4  \n")), [[1, 2], [3, 4]], np.int64)


@pytest.mark.parametrize("name, text, where", [
    ("t.tsv", "1\t\t3\n4\t5\t6\n", "line 1, column 2"),
    ("t.tsv", "1\t2\t3\n4\t5\t\n", "line 2, column 3"),
    ("t.tsv", "1\t2\n\n\t1\t2\n", "line 3, column 1"),
    ("t.tsv", "1 \t \t 3\n", "line 1, column 2"),  # a .tsv is tab-delimited even with spaces around values
    ("spreadsheet.txt", "1\t\t3\n4\t5\t6\n", "line 1, column 2"),  # tabs and no spaces: a spreadsheet's .txt
    ("noted.txt", "# my data\n1\t\t3\n4\t5\t6 \n", "line 2, column 2"),  # spaces in comments and at line ends
    ("t.tsv", "1\t2\t3\n\t\t\n4\t5\t6\n", "line 2, column 1"),  # a row of empty cells is not a blank line
])
def test_an_empty_tab_separated_cell_is_an_error_not_a_shift(folder, name, text, where):
    """"1<tab><tab>3" used to read as [1, 3]: the empty cell vanished and the values moved left."""
    with pytest.raises(InputError, match=f"{name} {where}: empty value"):
        read_array(write(name, text))


def test_tabs_beside_spaces_outside_a_tsv_still_align_columns(folder):
    same(read_array(write("aligned.txt", "1 \t\t22\n333\t\t4\n")), [[1, 22], [333, 4]], np.int64)
    same(read_array(write("blocks.tsv", "1\t2\n3\t4\n\n5\t6\n7\t8\n")), [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], np.int64)


def test_bom_crlf_comments_spaces_and_trailing_blank_lines(folder):
    text = b"\xef\xbb\xbf# exported by hand\r\n 1 , 2 ,3\r\n4,5,6   # a trailing note\r\n\r\n\r\n"
    same(read_array(write("a.csv", text)), [[1, 2, 3], [4, 5, 6]], np.int64)


def test_old_mac_line_endings(folder):
    same(read_array(write("a.csv", "1,2\r3,4\r")), [[1, 2], [3, 4]], np.int64)


def test_comment_lines_do_not_split_blocks(folder):
    same(read_array(write("a.csv", "1,2\n# middle\n3,4\n")), [[1, 2], [3, 4]], np.int64)


def test_blank_lines_separate_channel_blocks(folder):
    text = "# channel 0\n1,2\n3,4\n\n\n# channel 1\n5,6\n7,8\n\n"
    same(read_array(write("a.csv", text)), [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], np.int64)


def test_channel_blocks_of_different_heights(folder):
    write("a.csv", "1,2\n3,4\n\n5,6\n")
    assert error_of("a.csv") == (
        "a.csv line 4: channel block 2 has 1 row, expected 2 like block 1 (blocks are separated by blank lines)"
    )


def test_channel_blocks_of_different_widths(folder):
    write("a.csv", "1,2\n3,4\n\n5,6,7\n8,9,10\n")
    assert error_of("a.csv") == "a.csv line 4: expected 2 values, found 3"


def test_ragged_rows(folder):
    write("kernel.csv", "1,2,3\n4,5,6\n7,8\n")
    assert error_of("kernel.csv", role="kernel") == "kernel.csv line 3: expected 3 values, found 2"


def test_non_numeric_token_names_line_and_column(folder):
    write("data.csv", "1,2,3\n4,5,x\n")
    assert error_of("data.csv") == 'data.csv line 2, column 3: "x" is not a number'


def test_first_problem_is_reported(folder):
    write("data.txt", "1 2 3\n4 y 6\n7 8\n9 z 1\n")
    assert error_of("data.txt") == 'data.txt line 2, column 2: "y" is not a number'


def test_empty_field(folder):
    write("data.csv", "1,2,3\n4,,6\n")
    assert error_of("data.csv") == "data.csv line 2, column 2: empty value"


def test_spaces_inside_a_comma_field(folder):
    write("data.csv", "1,2 3\n")
    assert error_of("data.csv") == 'data.csv line 1, column 2: "2 3" is not a number'


@pytest.mark.parametrize("text", ["", "\n\n   \n", "# nothing\n  # here\n", "\xef\xbb\xbf"])
def test_empty_input(folder, text):
    write("input.csv", text.encode("latin-1"))
    assert error_of("input.csv") == "input.csv: no numbers found (the input is empty)"


def test_not_utf8(folder):
    write("data.csv", b"1,2\n\xff,3\n")
    assert error_of("data.csv") == "data.csv: not UTF-8 text (byte 0xff at offset 4)"


BYTE_ORDER_MARKS = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff",
                    "utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}


@pytest.mark.parametrize("encoding", sorted(BYTE_ORDER_MARKS))
@pytest.mark.parametrize("name, text", [("data.txt", "1\t2\r\n-3\t4.5\r\n"), ("data.json", "[[1, 2], [-3, 4.5]]")])
def test_text_with_a_utf16_or_utf32_byte_order_mark_is_read(folder, encoding, name, text):
    # Excel's "Unicode Text" and Windows PowerShell's `>` write UTF-16 with a BOM
    write(name, BYTE_ORDER_MARKS[encoding] + text.encode(encoding))
    same(read_array(name), [[1.0, 2.0], [-3.0, 4.5]], np.float64)
    piped = BYTE_ORDER_MARKS[encoding] + "7 8\n".encode(encoding)
    same(read_array("-", stdin=stdin_of(piped)), [[7, 8]], np.int64)


def test_broken_utf16_is_named(folder):
    write("data.csv", "1,2\n".encode("utf-16") + b"\x00")  # an odd byte at the end
    assert error_of("data.csv") == "data.csv: not UTF-16 text (byte 0x00 at offset 10)"


def test_other_scripts_digits_and_underscores_are_not_numbers():
    assert error_of("1 \u0661") == 'input line 1, column 2: "\u0661" is not a number'
    assert error_of("1 1_000") == 'input line 1, column 2: "1_000" is not a number'


def test_long_tokens_are_cut_in_messages():
    assert error_of("1 " + "x" * 100) == f'input line 1, column 2: "{"x" * 37}..." is not a number'


def test_unprintable_characters_are_escaped():
    assert error_of("1 a\x1bb") == 'input line 1, column 2: "a\\x1bb" is not a number'


# ---------------------------------------------------------------- numbers and dtypes


def test_scientific_special_and_signed_values():
    got = read_array("1e-3 2.5E+2 +4 -0.5; nan NaN inf -INF")
    assert got.dtype == np.float64
    assert got[0].tolist() == [0.001, 250.0, 4.0, -0.5]
    assert np.isnan(got[1, :2]).all() and got[1, 2] == np.inf and got[1, 3] == -np.inf


def test_int64_limits():
    same(read_array(f"{INT64_MAX} {-INT64_MAX - 1}"), [[INT64_MAX, -INT64_MAX - 1]], np.int64)


def test_integers_beyond_int64_are_python_ints(folder):
    got = read_array(write("a.csv", f"{INT64_MAX + 1},2\n3,{-(10**30)}\n"))
    same(got, [[INT64_MAX + 1, 2], [3, -(10**30)]], object)
    assert all(type(v) is int for v in got.ravel())


def test_fractions_are_exact():
    got = read_array("1/9 2/9; 3/9 -4/2")
    same(got, [[Fraction(1, 9), Fraction(2, 9)], [Fraction(1, 3), Fraction(-2)]], object)
    assert all(type(v) is Fraction for v in got.ravel())


def test_fractions_with_integers_are_all_fractions():
    got = read_array("1/2 3")
    assert [type(v) for v in got.ravel()] == [Fraction, Fraction]
    assert got.tolist() == [[Fraction(1, 2), Fraction(3)]]


def test_fractions_with_decimals_stay_exact():
    # 0.5 is exactly 1/2, so --exact and traces still see 1/9 beside it; without
    # --exact the operation computes in floats (pipeline.inexact)
    same(read_array("1/9 0.5 +3/4 2.5e-1"), [[Fraction(1, 9), Fraction(1, 2), Fraction(3, 4), Fraction(1, 4)]], object)
    assert read_array('[["1/9", 0.5, 2]]').tolist() == [[Fraction(1, 9), Fraction(1, 2), 2]]
    # NaN and infinity are no fraction: then everything is a float, as before
    mixed = read_array("1/4 0.5 nan")
    assert mixed.dtype == np.float64 and mixed[0, :2].tolist() == [0.25, 0.5] and np.isnan(mixed[0, 2])
    # ... and where a fraction would change what is computed, or cost minutes, the floats stay:
    for text, expected in [("2.0 4/2", [2.0, 2.0]),  # nothing that is not whole: floats, as typed
                           ("-0.0 1/4", [-0.0, 0.25]),  # a fraction has no sign of zero
                           ("1e-999999999 1/4", [0.0, 0.25]),  # Fraction() of this takes minutes
                           ("0." + "1" * 40 + " 1/4", [float("0." + "1" * 40), 0.25])]:
        got = read_array(text)
        assert got.dtype == np.float64 and got[0].tolist() == expected, text
        assert np.signbit(got[0, 0]) == text.startswith("-")
    # a float rounds 1e-400 to zero, yet its fraction is quick: the 1/3 beside it stays exact
    assert read_array("1e-400 1/3").tolist() == [[Fraction(1, 10**400), Fraction(1, 3)]]
    assert read_array("-1e-400 1/3").tolist() == [[Fraction(-1, 10**400), Fraction(1, 3)]]  # not a zero
    big = read_array("1/4 " + " ".join(["0.5"] * textparse.MAX_EXACT_MIXED))  # too many to make exact cheaply
    assert big.dtype == np.float64 and big[0, 0] == 0.25


def test_fraction_with_zero_denominator():
    assert error_of("1 1/0", role="kernel") == 'kernel line 1, column 2: "1/0" divides by zero'


def test_integer_beyond_python_digit_limit():
    limit = sys.get_int_max_str_digits()
    if not limit:
        pytest.skip("no digit limit in this interpreter")
    message = error_of("1 2; 3 " + "7" * (limit + 1))
    assert message == f'input line 2, column 2: "{"7" * 37}..." has more than {limit} digits'


# ---------------------------------------------------------------- inline text


@pytest.mark.parametrize("spec", ["1 2 3; 4 5 6", "1,2,3;4,5,6", "1, 2, 3;\n 4, 5, 6;", "1 2 3\n4 5 6", "[[1,2,3],[4,5,6]]"])
def test_inline_forms(spec):
    same(read_array(spec), [[1, 2, 3], [4, 5, 6]], np.int64)


def test_one_dimensional_input_is_one_row():
    same(read_array("1 2 3"), [[1, 2, 3]], np.int64)
    same(read_array("[1, 2, 3]"), [[1, 2, 3]], np.int64)
    same(read_array("5"), [[5]], np.int64)


def test_inline_problem_counts_rows_as_lines():
    assert error_of("1 2 3; 4 5 x") == 'input line 2, column 3: "x" is not a number'
    assert error_of("1 2; 3", role="kernel") == "kernel line 2: expected 2 values, found 1"


def test_inline_empty():
    assert error_of("") == "input: no numbers found (the input is empty)"
    assert error_of(" ; ;") == "input: no numbers found (the input is empty)"


def test_inline_blocks_by_empty_rows():
    same(read_array("1 2; 3 4;; 5 6; 7 8"), [[[1, 2], [3, 4]], [[5, 6], [7, 8]]], np.int64)


@pytest.mark.parametrize("spec", ["missing.csv", "data/missing.json", "MISSING.NPY", "sub/dir/thing", "./x"])
def test_missing_files_are_not_parsed_as_numbers(folder, spec):
    assert error_of(spec) == f"{spec}: no such file"


def test_missing_json_with_key(folder):
    assert error_of("missing.json:kernel") == "missing.json: no such file"


def test_a_bare_word_is_neither_file_nor_number(folder):
    assert error_of("data") == 'input: "data" is not a file or a number'
    assert error_of("one", role="bias") == 'bias: "one" is not a file or a number'


def test_a_named_kernel_cannot_be_the_input(folder):
    assert error_of("sobel-x") == (
        'input: "sobel-x" is a named kernel, but only the kernel can be named; give a file or numbers'
    )


def test_an_unknown_kernel_name_lists_the_known_ones(folder):
    assert error_of("sobel-z", role="kernel") == (
        'kernel: "sobel-z" is not a file, a named kernel or a number (named kernels: ' + ", ".join(kernel_names()) + ")"
    )


# ---------------------------------------------------------------- JSON


def test_json_integers_and_floats(folder):
    same(read_array(write("a.json", "[[1, 2], [3, 4]]")), [[1, 2], [3, 4]], np.int64)
    same(read_array(write("b.json", "[[1, 2.5], [3, 4]]")), [[1.0, 2.5], [3.0, 4.0]], np.float64)
    same(read_array(write("c.json", f"[[{INT64_MAX + 1}, 1]]")), [[INT64_MAX + 1, 1]], object)
    same(read_array(write("d.json", f"[[{-(10**30)}, 1]]")), [[-(10**30), 1]], object)
    same(read_array(write("e.json", f"[[{10**30}, 0.5]]")), [[1e30, 0.5]], np.float64)
    same(read_array(write("f.json", "[[1e30, 2]]")), [[1e30, 2.0]], np.float64)


def test_json_nan_and_infinity_literals(folder):
    got = read_array(write("a.json", "[[NaN, Infinity, -Infinity]]"))
    assert got.dtype == np.float64 and np.isnan(got[0, 0]) and got[0, 1:].tolist() == [np.inf, -np.inf]


def test_json_three_and_four_dimensions(folder):
    same(read_array("[[[1]], [[2]]]"), [[[1]], [[2]]], np.int64)
    same(read_array("[[[[1, 2]]]]"), [[[[1, 2]]]], np.int64)


def test_json_key_selection(folder):
    write("both.json", '{"input": [[1, 2], [3, 4]], "kernel": [[0.5]]}')
    same(read_array("both.json:kernel"), [[0.5]], np.float64)
    same(read_array("both.json:input", role="kernel"), [[1, 2], [3, 4]], np.int64)
    same(read_array("both.json"), [[1, 2], [3, 4]], np.int64)
    same(read_array("both.json", role="kernel"), [[0.5]], np.float64)


def test_json_weights_key_follows_role(folder):
    write("w.json", '{"weights": [[1, 2]], "meta": {"note": "null is fine here"}}')
    same(read_array("w.json", role="weights"), [[1, 2]], np.int64)


def test_json_object_without_a_matching_key(folder):
    write("both.json", '{"a": [[1]], "b": [[2]]}')
    assert error_of("both.json") == 'both.json: holds a JSON object, not an array; choose one with both.json:KEY (keys: "a", "b")'
    assert error_of("both.json:c") == 'both.json: has no key "c" (keys: "a", "b")'


def test_json_key_on_an_array(folder):
    write("a.json", "[[1]]")
    assert error_of("a.json:kernel") == 'a.json: holds a JSON array, not an object, so there is no key "kernel"'


def test_key_on_a_csv_file(folder):
    write("a.csv", "1\n")
    assert error_of("a.csv:kernel") == 'a.csv: only a JSON object has keys to select, not a .csv file (key "kernel")'


@pytest.mark.parametrize(
    "text, message",
    [
        ("[[1, true], [3, 4]]", "input.json: value at [0][1] is a boolean (true)"),
        ('[[1, 2], ["x", 4]]', 'input.json: value at [1][0] is a string ("x")'),
        ("[[1, null]]", "input.json: value at [0][1] is null"),
        ("[[1, {}]]", "input.json: value at [0][1] is an object; expected a number"),
        ("[[1, 2], [3]]", "input.json: row [1] has 1 value, expected 2"),
        ("[[1, 2], 3]", "input.json: value at [1] is a number (3); expected a list of 2 values"),
        ("[[1, 2], [3, [4]]]", "input.json: value at [1][1] is a list of 1; expected a number"),
        ("[[[1, 2], [3, 4]], [[5, 6]]]", "input.json: list [1] has 1 row, expected 2"),
        ("[[[[[1]]]]]", "input.json: has 5 dimensions; at most 4 are supported"),
        ("[[1, 2] [3, 4]]", "input.json line 1, column 9: invalid JSON (Expecting ',' delimiter)"),
        ("[[1, 2], [3,", "input.json line 1, column 13: invalid JSON (Expecting value)"),
        ("[[1, 2],\n [3, 4],]", "input.json line 2, column 9: invalid JSON (Expecting value)"),
        ("7", "input.json: the JSON is a number (7), not an array of numbers"),
        ('"text"', 'input.json: the JSON is a string ("text"), not an array of numbers'),
        ("[]", "input.json: no numbers found (the input is empty)"),
        ("[[], []]", "input.json: no numbers found (the input is empty)"),
        ("{}", "input.json: holds an empty JSON object, not an array"),
    ],
)
def test_json_problems(folder, text, message):
    write("input.json", text)
    assert error_of("input.json") == message


def test_json_problem_inside_a_key_names_the_key(folder):
    write("d.json", '{"kernel": [[1, false]]}')
    assert error_of("d.json:kernel") == 'd.json: value at ["kernel"][0][1] is a boolean (false)'


def test_absurdly_deep_json_is_refused_without_recursion(folder):
    write("deep.json", "[" * 100000 + "]" * 100000)
    assert error_of("deep.json") == "deep.json: has more than 4 dimensions (brackets nested 100000 deep)"
    assert error_of("[" * 100000) == "input: has more than 4 dimensions (brackets nested 100000 deep)"


def test_brackets_inside_json_strings_do_not_count_as_nesting(folder):
    write("d.json", '{"note": "' + "[" * 200 + '", "input": [[1]]}')
    same(read_array("d.json"), [[1]], np.int64)


def test_json_number_with_too_many_digits(folder):
    write("d.json", "[" + "1" * 5000 + "]")
    assert error_of("d.json").startswith("d.json: invalid JSON (Exceeds the limit")


# ---------------------------------------------------------------- .npy


def save(name: str, array: np.ndarray, **options) -> str:
    np.save(name, array, **options)
    return name


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float16, np.float32),
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int8, np.int64),
        (np.int32, np.int64),
        (np.uint8, np.int64),
        (np.uint64, np.int64),
        (">i4", np.int64),
        (">f8", np.float64),
    ],
)
def test_npy_dtypes(folder, dtype, expected):
    got = read_array(save("a.npy", np.arange(6).reshape(2, 3).astype(dtype)))
    same(got, [[0, 1, 2], [3, 4, 5]], expected)
    assert got.flags.c_contiguous and got.flags.writeable


def test_npy_bool_becomes_int(folder):
    same(read_array(save("a.npy", np.array([[True, False]]))), [[1, 0]], np.int64)


def test_npy_uint64_beyond_int64_is_python_ints(folder):
    got = read_array(save("a.npy", np.array([[2**64 - 1, 1]], dtype=np.uint64)))
    same(got, [[2**64 - 1, 1]], object)
    assert type(got[0, 0]) is int


def test_npy_fortran_order_and_shapes(folder):
    same(read_array(save("a.npy", np.asfortranarray(np.arange(6).reshape(2, 3)))), [[0, 1, 2], [3, 4, 5]], np.int64)
    same(read_array(save("b.npy", np.array([1.5, 2.5]))), [[1.5, 2.5]], np.float64)
    assert read_array(save("c.npy", np.zeros((1, 2, 3, 4)))).shape == (1, 2, 3, 4)


@pytest.mark.parametrize(
    "array, message",
    [
        (np.array([[1 + 2j]]), "a.npy: holds complex numbers (complex128); only real numbers are supported"),
        (np.array([["a"]]), "a.npy: holds str32 values, not numbers"),
        (np.array([[1]], dtype="datetime64[D]"), "a.npy: holds datetime64[D] values, not numbers"),
        (np.zeros(2, dtype=[("x", "i4")]), "a.npy: holds structured records ([('x', '<i4')]); only plain numeric arrays can be read"),
        (np.array(3.0), "a.npy: holds a single number, not an array"),
        (np.zeros((2, 0)), "a.npy: no numbers found (the array is empty, shape 2x0)"),
        (np.zeros((1, 1, 1, 1, 2)), "a.npy: has 5 dimensions; at most 4 are supported"),
    ],
)
def test_npy_refusals(folder, array, message):
    save("a.npy", array)
    assert error_of("a.npy") == message


def test_npy_object_array_is_refused(folder):
    save("objects.npy", np.array([[1, "x"]], dtype=object), allow_pickle=True)
    assert error_of("objects.npy") == "objects.npy: holds Python objects (dtype object); only numeric arrays can be read"


def test_truncated_npy(folder):
    save("good.npy", np.arange(12).reshape(3, 4))
    write("short.npy", open("good.npy", "rb").read()[:-10])
    assert error_of("short.npy") == "short.npy: truncated: the header declares 3x4 int64 (96 bytes) but 86 bytes follow"


def test_npy_header_declaring_an_enormous_array(folder):
    save("good.npy", np.arange(4))
    write("huge.npy", _npy_with_shape(open("good.npy", "rb").read(), "(99999999999,)"))
    assert error_of("huge.npy") == (
        "huge.npy: truncated: the header declares 99999999999 int64 (799999999992 bytes) but 32 bytes follow"
    )


def _npy_with_shape(original: bytes, shape: str) -> bytes:
    """The same .npy bytes with a different shape in its header, padding kept."""
    header_length = int.from_bytes(original[8:10], "little")
    header = original[10 : 10 + header_length].decode("latin-1")
    start = header.index("'shape': ") + len("'shape': ")
    stop = header.index(")", start) + 1
    changed = (header[:start] + shape + header[stop:]).rstrip("\n ")
    changed = changed.ljust(header_length - 1) + "\n"
    assert len(changed) == header_length
    return original[:10] + changed.encode("latin-1") + original[10 + header_length :]


def test_npy_larger_than_memory(folder, monkeypatch):
    save("a.npy", np.zeros((100, 100)))
    monkeypatch.setattr(inputs, "_physical_memory", lambda: 50_000)
    assert error_of("a.npy") == "a.npy: a 100x100 array needs 156.2 KiB of memory; this machine has 48.8 KiB"


def test_corrupt_npy(folder):
    write("garbage.npy", b"not an npy file at all")
    message = error_of("garbage.npy")
    assert message.startswith("garbage.npy: not a valid .npy file (")


def test_npy_by_content_with_an_unknown_extension(folder):
    save("a.npy", np.array([[1.5, 2.5]], dtype=np.float32))
    os.rename("a.npy", "a.bin")
    same(read_array("a.bin"), [[1.5, 2.5]], np.float32)


# ---------------------------------------------------------------- Markdown and LaTeX, as convcli writes them


def test_markdown_table(folder):
    write("a.md", "| 0 | 1 |\n|---:|---:|\n| 1 | -2.5 |\n| nan | -inf |\n")
    got = read_array("a.md")
    assert got.dtype == np.float64 and got[0].tolist() == [1.0, -2.5]
    assert np.isnan(got[1, 0]) and got[1, 1] == -np.inf


def test_markdown_channels(folder):
    text = "channel 0\n\n| 0 | 1 |\n|---:|---:|\n| 0 | 1 |\n| 2 | 3 |\n\nchannel 1\n\n| 0 | 1 |\n|---:|---:|\n| 4 | 5 |\n| 6 | 7 |\n"
    same(read_array(write("a.md", text)), [[[0, 1], [2, 3]], [[4, 5], [6, 7]]], np.int64)


def test_markdown_problem_names_the_file_line(folder):
    write("a.md", "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | x |\n")
    assert error_of("a.md") == 'a.md line 4, column 2: "x" is not a number'


def test_latex_matrices(folder):
    text = "\\begin{bmatrix}\n1 & -\\tfrac{1}{9} \\\\\n\\infty & 2\n\\end{bmatrix}\n"
    got = read_array(write("a.tex", text))
    assert got.dtype == np.float64 and got.tolist() == [[1.0, -1 / 9], [np.inf, 2.0]]
    exact = read_array(write("b.tex", "\\begin{pmatrix}\n\\frac{1}{2} & 3 \\\\\n4 & 5\n\\end{pmatrix}\n\n\\begin{pmatrix}\n6 & 7 \\\\\n8 & 9\n\\end{pmatrix}"))
    assert exact.shape == (2, 2, 2) and exact[0, 0, 0] == Fraction(1, 2) and exact.dtype == object


def test_latex_problem_names_the_file_line(folder):
    write("a.tex", "\\begin{bmatrix}\n1 & 2 \\\\\n3 & \\alpha\n\\end{bmatrix}\n")
    assert error_of("a.tex") == 'a.tex line 3, column 2: "\\alpha" is not a number'


def test_latex_rows_may_share_a_line(folder):
    r"""A matrix on one line, as LaTeX allows and as it is often pasted, was
    refused ("2 \\ 3" is not a number); a row spacing "\\[2pt]" lost its end
    to the "\[" of display math; and lone carriage returns made one line."""
    one_line = "$\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}$\n"
    same(read_array(write("a.tex", one_line)), [[1, 2], [3, 4]], np.int64)
    same(read_array("-", stdin=stdin_of(one_line.encode())), [[1, 2], [3, 4]], np.int64)  # sniffed
    spaced = "\\begin{bmatrix}\n1 & 2 \\\\[2pt]\n3 & 4 \\\\[1ex] 5 & 6\n\\end{bmatrix}\n"
    same(read_array(write("b.tex", spaced)), [[1, 2], [3, 4], [5, 6]], np.int64)
    same(read_array(write("c.tex", one_line.replace("\n", "\r"))), [[1, 2], [3, 4]], np.int64)
    # messages name the line the row stands on, and the lines after it keep their numbers
    write("d.tex", "\\begin{bmatrix} 1 & 2 \\\\ 3 & x \\end{bmatrix}\n")
    assert error_of("d.tex") == 'd.tex line 1, row 2, column 2: "x" is not a number'
    write("e.tex", "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\\\\n5 & 6 \\\\\n7\n\\end{bmatrix}\n")
    assert error_of("e.tex") == "e.tex line 3: expected 2 values, found 1"


@pytest.mark.parametrize("text", [
    "\\begin{bmatrix}\n1 & 2 \\\\ \\hline\n3 & 4\n\\end{bmatrix}",  # a rule
    "\\begin{tabular}{|c|c|}\\hline 1 & 2 \\\\* 3 & 4 \\\\ \\hline\\end{tabular}",  # \\* keeps rows on one page
    "1 & 2 \\\\% the first row\n3 & 4 \\\\ % the second",  # \\% is a row end, then a comment
    "\\left[\\begin{array}{*{2}{c}} 1 & 2 \\\\ 3 & 4 \\end{array}\\right]",  # delimiters, a repeated column spec
    "\\begin{bmatrix*}[r] 1 & 2 \\\\ 3 & 4 \\end{bmatrix*}",  # mathtools' starred form with its alignment
    "\\begin{tabular}{cc}\\toprule[1.5pt]\n1 & 2 \\\\ \\cmidrule(lr){1-2}\n\\hline3&4\\\\\n\\bottomrule\\end{tabular}",
])
def test_latex_as_pasted_from_documents(folder, text):
    """Forms QA pasted from real documents, each refused before ('is not a number')."""
    same(read_array(write("m.tex", text)), [[1, 2], [3, 4]], np.int64)


def test_a_latex_matrix_can_be_an_operand_on_the_command_line():
    same(read_array("\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}"), [[1, 2], [3, 4]], np.int64)
    same(read_array("1 & 2 \\\\ 3 & 4"), [[1, 2], [3, 4]], np.int64)
    with pytest.raises(InputError, match=r"^data\\\\R&D: no such file$"):  # a mistyped path, not LaTeX
        read_array("data\\\\R&D")
    with pytest.raises(InputError, match=r'^kernel line 1, row 2, column 2: "x" is not a number$'):
        read_array("$1 & 2 \\\\ 3 & x$ \\\\", role="kernel")


def test_markdown_and_latex_are_sniffed_on_stdin(folder):
    same(read_array("-", stdin=stdin_of(b"| 0 |\n|---:|\n| 7 |\n| 8 |\n")), [[7], [8]], np.int64)
    # outer pipes are optional in GitHub's tables ("no numbers found" before)
    same(read_array(write("bare.md", "a | b\n--- | ---\n1 | 2\n3 | 4\n")), [[1, 2], [3, 4]], np.int64)
    same(read_array("-", stdin=stdin_of(b"a | b\n:---|---:\n5 | -6\n")), [[5, -6]], np.int64)
    # ... inside a table only: prose with a "|" stays prose, and a "---" rule under a table is
    # not a separator that makes its last row a header (QA: an error; the last row lost, exit 0)
    same(read_array(write("prose.md", "Results | for run 1\n\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n")),
         [[1, 2], [3, 4]], np.int64)
    same(read_array(write("rule.md", "a | b\n--- | ---\n1 | 2\n3 | 4\n---\nSee also: a|b\n")), [[1, 2], [3, 4]], np.int64)
    same(read_array(write("rule2.md", "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n---\n")), [[1, 2], [3, 4]], np.int64)
    # lines ended by a lone carriage return, in a file and sniffed (they made one line)
    same(read_array(write("cr.md", "| 0 | 1 |\r|---:|---:|\r| 5 | 6 |\r| 7 | 8 |\r")), [[5, 6], [7, 8]], np.int64)
    same(read_array("-", stdin=stdin_of(b"| 0 |\r|---:|\r| 7 |\r| 8 |\r")), [[7], [8]], np.int64)
    same(read_array("-", stdin=stdin_of(b"\\begin{bmatrix}\n1 & 2\n\\end{bmatrix}\n")), [[1, 2]], np.int64)


# ---------------------------------------------------------------- sniffing and stdin


def test_unknown_extension_is_sniffed(folder):
    same(read_array(write("a.dat", "  [[1, 2]]")), [[1, 2]], np.int64)
    same(read_array(write("b.dat", "1 2\n3 4\n")), [[1, 2], [3, 4]], np.int64)
    same(read_array(write("noext", '{"kernel": [[9]]}'), role="kernel"), [[9]], np.int64)


def test_stdin_text_json_and_npy():
    same(read_array("-", stdin=stdin_of(b"\xef\xbb\xbf1,2\r\n3,4\r\n")), [[1, 2], [3, 4]], np.int64)
    same(read_array("-", stdin=stdin_of(b"\n  [[1.5]]")), [[1.5]], np.float64)
    buffer = io.BytesIO()
    np.save(buffer, np.ones((2, 2), dtype=np.float32))
    same(read_array("-", stdin=stdin_of(buffer.getvalue())), [[1, 1], [1, 1]], np.float32)


def test_stdin_json_key():
    same(read_array("-:kernel", stdin=stdin_of(b'{"input": [[1]], "kernel": [[2]]}')), [[2]], np.int64)
    assert error_of("-", stdin=stdin_of(b'{"a": [[1]]}')) == 'stdin: holds a JSON object, not an array; choose one with -:KEY (keys: "a")'


def test_stdin_errors_are_named_stdin():
    assert error_of("-", stdin=stdin_of(b"1 2\n3\n")) == "stdin line 2: expected 2 values, found 1"
    assert error_of("-", stdin=stdin_of(b"")) == "stdin: no numbers found (the input is empty)"
    assert error_of("-", stdin=stdin_of(b"\x93NUMPY garbage")) == "stdin: not a valid .npy file (unknown format version 32.103)"


def test_stdin_defaults_to_sys_stdin_buffer(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"7 8\n")))
    same(read_array("-"), [[7, 8]], np.int64)


def test_stdin_may_be_a_text_stream():
    same(read_array("-", stdin=io.StringIO("1 2; 3 4".replace(";", "\n"))), [[1, 2], [3, 4]], np.int64)


def test_stdin_larger_than_the_limit(monkeypatch):
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 10)
    assert error_of("-", stdin=stdin_of(b"1 2 3 4 5 6 7 8\n")) == "stdin: more than 10 bytes of input; that is the limit"


# ---------------------------------------------------------------- files


def test_a_directory(folder):
    os.mkdir("samples")
    assert error_of("samples") == "samples: is a directory"


def test_permission_denied(folder, monkeypatch):
    write("secret.csv", "1\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inputs, "open", refuse, raising=False)
    assert error_of("secret.csv") == "secret.csv: permission denied"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_permission_denied_for_real(folder):
    write("secret.csv", "1\n")
    os.chmod("secret.csv", 0)
    assert error_of("secret.csv") == "secret.csv: permission denied"


def test_file_over_the_size_limit(folder, monkeypatch):
    write("big.csv", "1,2,3\n" * 10)
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 20)
    assert error_of("big.csv") == "big.csv: 60 bytes is too large; the limit is 20 bytes"


def test_text_larger_than_memory_allows(folder, monkeypatch):
    write("big.csv", "1,2,3\n" * 10)
    monkeypatch.setattr(inputs, "_physical_memory", lambda: 100)
    assert error_of("big.csv") == (
        "big.csv: 60 bytes of text needs about 360 bytes of memory to parse; this machine has 100 bytes (save it as .npy instead)"
    )


def test_names_with_control_characters_stay_on_one_line(folder):
    write("odd\nname.csv", "1,x\n")
    assert error_of("odd\nname.csv") == 'odd\\nname.csv line 1, column 2: "x" is not a number'
    assert error_of("gone\r.csv") == "gone\\r.csv: no such file"


def test_path_objects_are_accepted(folder):
    from pathlib import Path

    same(read_array(Path(write("a.csv", "1,2\n"))), [[1, 2]], np.int64)


def test_unexpected_exceptions_become_input_errors(folder, monkeypatch):
    write("x.bin", "1 2\n")
    def explode(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(inputs, "parse_delimited", explode)
    assert error_of("1 2") == "input: could not be read (RuntimeError: boom second line)"
    assert error_of("x.bin") == "x.bin: could not be read (RuntimeError: boom second line)"


def test_memory_error_becomes_input_error(monkeypatch):
    def exhaust(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(inputs, "parse_delimited", exhaust)
    assert error_of("1 2", role="kernel") == "kernel: not enough memory to read it"


# ---------------------------------------------------------------- named kernels


def test_named_kernels_via_read_array():
    same(read_array("sobel-x", role="kernel"), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.int64)
    same(read_array("Sobel_Y", role="weights"), [[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.int64)


def test_every_named_kernel():
    expected_integers = {
        "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "sobel-x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        "sobel-y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        "scharr-x": [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]],
        "scharr-y": [[-3, -10, -3], [0, 0, 0], [3, 10, 3]],
        "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
        "edge": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    }
    for name, rows in expected_integers.items():
        same(named_kernel(name), rows, np.int64)
    same(named_kernel("box3"), [[Fraction(1, 9)] * 3] * 3, object)
    same(named_kernel("box5"), [[Fraction(1, 25)] * 5] * 5, object)
    same(named_kernel("gaussian3"), [[Fraction(w, 16) for w in row] for row in [[1, 2, 1], [2, 4, 2], [1, 2, 1]]], object)
    binomial = [1, 4, 6, 4, 1]
    same(named_kernel("gaussian5"), [[Fraction(a * b, 256) for b in binomial] for a in binomial], object)
    assert set(kernel_names()) == set(expected_integers) | {"box3", "box5", "gaussian3", "gaussian5"}
    assert list(KERNEL_DESCRIPTIONS) == list(kernel_names())
    assert all(description and "\n" not in description for description in KERNEL_DESCRIPTIONS.values())


def test_named_kernels_are_copies():
    first = named_kernel("laplacian")
    first[1, 1] = 100
    assert named_kernel("laplacian")[1, 1] == -4
    assert named_kernel("no-such-kernel") is None


def test_exact_box_blur_gives_fractions():
    box = read_array("box3", role="kernel")
    total = sum(box.ravel() * np.arange(1, 10, dtype=object))
    assert total == Fraction(5) and type(total) is Fraction


# ---------------------------------------------------------------- properties


def assert_array_or_input_error(call) -> None:
    """The contract: an ndarray of 2 to 4 non-empty dimensions, or an InputError, nothing else."""
    try:
        got = call()
    except InputError as error:
        assert "\n" not in str(error)
        return
    assert isinstance(got, np.ndarray)
    assert 2 <= got.ndim <= 4 and got.size > 0
    assert got.dtype in (np.int64, np.float32, np.float64, object)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NUMBERISH = st.text(alphabet="0123456789 ,;\n\t.-+eE/#[]{}\"nainfxNAIF:\r|&\\", max_size=60)


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_on_stdin(data):
    assert_array_or_input_error(lambda: read_array("-", stdin=io.BytesIO(data)))


@FUZZ
@given(st.one_of(st.text(max_size=60), NUMBERISH), st.sampled_from(["input", "kernel"]))
def test_any_inline_text(text, role):
    assert_array_or_input_error(lambda: read_array(text, role=role))


@FUZZ
@given(st.one_of(st.text(max_size=60), NUMBERISH))
def test_any_text_on_stdin(text):
    data = text.encode("utf-8", "surrogatepass")
    assert_array_or_input_error(lambda: read_array("-", stdin=io.BytesIO(data)))


@FUZZ
@given(
    st.one_of(st.binary(max_size=200), NUMBERISH.map(str.encode), st.just(b"\x93NUMPY\x01\x00")),
    st.sampled_from([".csv", ".tsv", ".txt", ".json", ".npy", ".md", ".tex", ".dat", ""]),
)
def test_any_file(tmp_path, data, extension):
    path = tmp_path / f"fuzz{extension}"
    path.write_bytes(data)
    assert_array_or_input_error(lambda: read_array(str(path)))


@FUZZ
@given(
    st.lists(st.lists(st.integers(-(2**70), 2**70), min_size=3, max_size=3), min_size=1, max_size=4),
    st.sampled_from([",", ", ", " ", "\t", " , "]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_integer_text_round_trips(rows, separator, newline):
    text = newline.join(separator.join(str(v) for v in row) for row in rows) + newline
    got = read_array("-", stdin=io.BytesIO(text.encode()))
    fits = all(-(2**63) <= v < 2**63 for row in rows for v in row)
    assert got.dtype == (np.int64 if fits else object)
    assert got.tolist() == rows


@FUZZ
@given(st.lists(st.lists(st.floats(allow_nan=False, width=64), min_size=2, max_size=2), min_size=1, max_size=4))
def test_float_text_round_trips(rows):
    text = "\n".join(",".join(repr(v) for v in row) for row in rows)
    got = read_array("-", stdin=io.BytesIO(text.encode()))
    assert got.dtype == np.float64 or all(float(v).is_integer() and "." not in repr(v) for row in rows for v in row)
    assert got.astype(np.float64).tolist() == rows


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


VALID_NPY = [_npy_bytes(np.arange(12).reshape(3, 4)), _npy_bytes(np.ones((2, 2), np.float16)), _npy_bytes(np.array([[1 + 1j]]))]


@FUZZ
@given(
    st.sampled_from(VALID_NPY),
    st.lists(st.tuples(st.integers(0, 140), st.integers(0, 255)), max_size=4),
    st.integers(0, 200),
)
def test_damaged_npy(data, edits, keep):
    damaged = bytearray(data)
    for position, value in edits:
        if position < len(damaged):
            damaged[position] = value
    assert_array_or_input_error(lambda: read_array("-", stdin=io.BytesIO(bytes(damaged[:keep]))))


TOKENS = st.sampled_from(["1", "-2", "+3", "0.5", "1e3", "nan", "-inf", "1/3", "x", "", "1_0", "99999999999999999999", "\u0662", "1.2.3"])


@FUZZ
@given(
    st.lists(st.lists(TOKENS, min_size=1, max_size=3), min_size=1, max_size=3),
    st.sampled_from([",", " "]),
)
def test_quick_and_careful_passes_agree(rows, separator):
    """The loadtxt shortcut must accept exactly what the token-by-token reading accepts, with the same values."""
    text = "\n".join(separator.join(row) for row in rows)
    lines = text.split("\n")
    blocks = textparse._blocks(lines)
    try:
        quick = textparse.parse_delimited(text, "t")
    except InputError as error:
        quick = str(error)
    if not blocks:
        return
    try:
        careful = textparse._careful(lines, range(1, len(lines) + 1), blocks, any("," in line for line in lines), "t")
    except InputError as error:
        careful = str(error)
    if isinstance(quick, str) or isinstance(careful, str):
        assert quick == careful
    else:
        assert quick.dtype == careful.dtype
        np.testing.assert_array_equal(quick, careful)


def test_a_file_named_like_a_number_or_kernel_does_not_replace_it(tmp_path, monkeypatch, capsys):
    """A stray file "1" (a mistyped `2>1`) or "box3" silently replaced the number
    1 or the named kernel; they now win, with a warning, and ./NAME reads the file."""
    from convcli.cli import main
    from convcli.errors import ConvcliWarning

    monkeypatch.chdir(tmp_path)
    (tmp_path / "1").write_text("9,9\n")
    (tmp_path / "box3").write_text("5,5\n")
    (tmp_path / "data").write_text("1 2\n")
    with pytest.warns(ConvcliWarning, match=r'"1" is read as inline numbers.*write "\./1"'):
        assert read_array("1").tolist() == [[1]]
    with pytest.warns(ConvcliWarning, match="named kernel"):
        np.testing.assert_array_equal(read_array("box3", role="kernel"), named_kernel("box3"))
    assert read_array("./1").tolist() == [[9, 9]]
    assert read_array("./box3", role="kernel").tolist() == [[5, 5]]
    assert read_array("data").tolist() == [[1, 2]]  # not a number nor a kernel: the file, without a warning
    (tmp_path / ".5").write_text("7\n")
    (tmp_path / "1.5").mkdir()  # a folder could not be read anyway: no warning
    with pytest.warns(ConvcliWarning, match=r'"\.5" is read as inline numbers.*write "\./\.5"'):
        assert read_array(".5").tolist() == [[0.5]]
    assert read_array("./.5").tolist() == [[7]] and read_array("1.5").tolist() == [[1.5]]
    assert main(["conv2d", "1 2", "1", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert out == "1,2\n" and err.startswith('Warning: "1" is read as inline numbers') and err.count("\n") == 1
    assert main(["conv2d", "1 2", "./1", "--format", "csv"]) == 0
    assert capsys.readouterr() == ("27\n", "")


def test_a_fraction_beyond_the_float_range_keeps_its_sign():
    """Beside a decimal the fraction becomes a float: -10**400/3 is -inf, not inf."""
    values = read_array("-1" + "0" * 400 + "/3 0.5 1" + "0" * 400 + "/3")
    assert values.dtype == np.float64 and values.tolist() == [[-np.inf, 0.5, np.inf]]
