"""--like: each library's 'same', 'full' and 'valid', checked against numpy
itself, scipy.signal, torch where installed, and hand-worked numbers for
MATLAB and TensorFlow (neither can run here; their rules are their documented
formulas)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import signal

import convcli
from convcli import conventions
from convcli.cli import main
from convcli.conventions import axis_pads, engine_padding, numpy_pads, resolve_pads
from convcli.errors import UsageError

ROW = "1 2 3 4 5 6"


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------------ the worked examples, through the CLI


@pytest.mark.parametrize(
    "args, expected",
    [
        (["conv2d", ROW, "1 10", "--padding", "same"], "1,12,23,34,45,56\n"),
        (["conv2d", ROW, "1 10", "--padding", "same", "--like", "scipy"], "1,12,23,34,45,56\n"),
        (["conv2d", ROW, "1 10", "--padding", "same", "--like", "matlab"], "12,23,34,45,56,60\n"),
        (["correlate2d", ROW, "1 10", "--padding", "same", "--like", "torch"], "21,32,43,54,65,6\n"),
        (["correlate2d", ROW, "1 10", "--padding", "same", "--like", "tf"], "21,32,43,54,65,6\n"),
        (["im2col-matmul", ROW, "1 10", "--padding", "same", "--like", "tf"], "21,32,43,54,65,6\n"),
        (["correlate2d", ROW, "1 10", "--padding", "same", "--like", "matlab"], "21,32,43,54,65,6\n"),
        # numpy puts np.correlate's odd cell before: [10 21 32 43 54 65], numpy's own answer
        (["correlate2d", ROW, "1 10", "--padding", "same", "--like", "numpy"], "10,21,32,43,54,65\n"),
        (["conv2d", ROW, "1 10", "--padding", "same", "--like", "numpy"], "1,12,23,34,45,56\n"),
    ],
)
def test_worked_examples_through_the_cli(capsys, args, expected):
    assert run(capsys, *args, "--format", "csv") == (0, expected, "")


def test_worked_example_as_json(capsys):
    code, out, _ = run(capsys, "conv2d", ROW, "1 10", "--padding", "same", "--like", "matlab", "--format", "json")
    assert code == 0 and json.loads(out) == [[12, 23, 34, 45, 56, 60]]


def test_numpy_worked_examples_are_numpys_own():
    row, kernel = np.arange(1, 7), np.array([1, 10])
    assert np.convolve(row, kernel, "same").tolist() == [1, 12, 23, 34, 45, 56]
    assert np.correlate(row, kernel, "same").tolist() == [10, 21, 32, 43, 54, 65]


# ------------------------------------------------------------ numpy, against numpy itself


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("operation", ["conv2d", "correlate2d"])
def test_like_numpy_equals_numpy_for_every_length(mode, operation):
    rng = np.random.default_rng(6)
    function = np.convolve if operation == "conv2d" else np.correlate
    for n in range(1, 9):
        for k in range(1, 9):
            x, v = rng.integers(-9, 10, n), rng.integers(-9, 10, k)
            pads = engine_padding("numpy", operation, mode, (1, n), (1, k))
            ours = getattr(convcli, operation)(x[None], v[None], padding=pads)[0]
            assert ours.tolist() == function(x, v, mode).tolist(), (n, k)


def test_like_numpy_refuses_more_than_one_row(capsys):
    code, out, err = run(capsys, "conv2d", "1 2 3; 4 5 6", "1 10", "--padding", "same", "--like", "numpy")
    assert (code, out) == (2, "")
    assert err == "Error: --like numpy follows np.convolve/np.correlate, which take one row; got input (2, 3) and kernel (1, 2)\n"


def test_like_numpy_refuses_a_stride():
    with pytest.raises(UsageError, match="np.convolve has no stride"):
        engine_padding("numpy", "conv2d", "same", (1, 6), (1, 2), stride=2)


# ------------------------------------------------------------ scipy: the engine's own rule


@pytest.mark.parametrize("operation", ["conv2d", "correlate2d"])
def test_like_scipy_is_exactly_the_default(operation):
    rng = np.random.default_rng(1)
    scipy_function = signal.convolve2d if operation == "conv2d" else signal.correlate2d
    for kh, kw in [(1, 2), (2, 2), (3, 4), (4, 1)]:
        x, k = rng.integers(-5, 6, (5, 6)), rng.integers(-5, 6, (kh, kw))
        for mode in ("valid", "same", "full"):
            pads = engine_padding("scipy", operation, mode, x.shape, k.shape)
            assert pads == convcli.engine.plan.resolve_pads(mode, operation, (kh, kw), (1, 1))
            ours = getattr(convcli, operation)(x, k, padding=pads)
            assert ours.tolist() == scipy_function(x, k, mode).tolist()
    assert engine_padding(None, operation, "same", (5, 6), (2, 2)) == "same"


# ------------------------------------------------------------ matlab, torch, tf by their formulas


def test_matlab_same_starts_full_at_floor_k_over_2():
    rng = np.random.default_rng(2)
    for k in range(1, 7):
        x, v = rng.integers(-9, 10, (1, 7)), rng.integers(-9, 10, (1, k))
        full = convcli.conv2d(x, v, padding="full")[0]
        start = k // 2
        ours = convcli.conv2d(x, v, padding=engine_padding("matlab", "conv2d", "same", x.shape, v.shape))[0]
        assert ours.tolist() == full[start:start + 7].tolist()
        # filter2(B, A, 'same') is conv2(A, rot90(B, 2), 'same')
        corr = convcli.correlate2d(x, v, padding=engine_padding("matlab", "correlate2d", "same", x.shape, v.shape))
        flipped = convcli.conv2d(x, v[:, ::-1], padding=engine_padding("matlab", "conv2d", "same", x.shape, v.shape))
        assert corr.tolist() == flipped.tolist()


@pytest.mark.parametrize(
    "k, d, expected",
    [(1, 1, (0, 0)), (2, 1, (0, 1)), (3, 1, (1, 1)), (4, 1, (1, 2)), (2, 2, (1, 1)), (4, 2, (3, 3)), (2, 3, (1, 2))],
)
def test_torch_same_pads_total_half_before(k, d, expected):
    assert axis_pads("torch", "correlate2d", "same", 10, k, 1, d) == expected


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_torch_same_matches_torch_where_installed():
    torch = pytest.importorskip("torch")
    functional = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(3)
    for kh, kw, dh, dw in [(1, 2, 1, 1), (2, 3, 1, 2), (4, 4, 2, 1), (3, 2, 1, 3)]:
        x, k = rng.integers(-5, 6, (7, 8)), rng.integers(-5, 6, (kh, kw))
        pads = engine_padding("torch", "correlate2d", "same", x.shape, k.shape, dilation=(dh, dw))
        ours = convcli.correlate2d(x, k, padding=pads, dilation=(dh, dw))
        expected = functional.conv2d(torch.tensor(x, dtype=torch.float64)[None, None],
                                     torch.tensor(k, dtype=torch.float64)[None, None],
                                     padding="same", dilation=(dh, dw))[0, 0]
        assert ours.tolist() == expected.to(torch.int64).tolist()


def test_torch_refuses_same_with_a_stride_as_torch_does(capsys):
    code, out, err = run(capsys, "correlate2d", ROW, "1 10", "--padding", "same", "--like", "torch", "--stride", "2")
    assert (code, out) == (2, "")
    assert err == "Error: --like torch: padding='same' is not supported for strided convolutions (stride 2)\n"


@pytest.mark.parametrize(
    "like, boundary, padding, refused",
    [
        ("torch", "reflect", "2", False),  # pads 2 < 3 rows: torch reflects
        ("torch", "reflect", "3", True),  # pads 3 = 3 rows: F.pad refuses
        ("torch", "wrap", "3", False),  # circular may pad the whole input
        ("torch", "wrap", "4", True),
        ("tf", "symmetric", "3", False),
        ("tf", "symmetric", "4", True),
    ],
)
def test_like_refuses_pads_the_library_refuses(capsys, like, boundary, padding, refused):
    code, out, err = run(capsys, "correlate2d", "1 2 3; 4 5 6; 7 8 9", "1", "--like", like, "--padding", padding,
                         "--boundary", boundary)
    if refused:
        assert (code, out) == (2, "")
        assert err.startswith(f"Error: --like {like}: {like} needs {boundary} pads ")
        assert "the input (3x3), got (top, bottom, left, right) " in err
    else:
        assert (code, err) == (0, "") and len(out.splitlines()) == 3 + 2 * int(padding)


@pytest.mark.parametrize(
    "i, k, s, d, expected",
    [
        (224, 7, 2, 1, (2, 3)),  # ceil(224/2) = 112; (112-1)*2 + 7 - 224 = 5
        (5, 3, 2, 1, (1, 1)),  # ceil(5/2) = 3; 2*2 + 3 - 5 = 2
        (6, 3, 2, 1, (0, 1)),  # ceil(6/2) = 3; 4 + 3 - 6 = 1
        (6, 1, 3, 1, (0, 0)),  # ceil(6/3) = 2; 3 + 1 - 6 < 0
        (7, 3, 1, 2, (2, 2)),  # total = dilated size 5 - 1
        (6, 2, 1, 1, (0, 1)),
    ],
)
def test_tf_same_by_its_documented_formula(i, k, s, d, expected):
    before, after = axis_pads("tf", "correlate2d", "same", i, k, s, d)
    assert (before, after) == expected
    outputs = (i + before + after - d * (k - 1) - 1) // s + 1
    assert outputs == -(-i // s)  # 'SAME' gives ceil(i/s)


def test_tf_refuses_a_strided_dilated_convolution():
    with pytest.raises(UsageError, match="does not stride a dilated convolution"):
        engine_padding("tf", "correlate2d", "valid", (9, 9), (3, 3), stride=2, dilation=2)


def test_full_and_valid_agree_everywhere_but_numpy():
    for library in ("scipy", "matlab", "torch", "tf"):
        assert resolve_pads(library, "conv2d", "full", (5, 5), (3, 2), dilation=(1, 2)) == (2, 2, 2, 2)
        assert resolve_pads(library, "conv2d", "valid", (5, 5), (3, 2)) == (0, 0, 0, 0)
    assert numpy_pads("valid", True, 2, 5) == (3, 3)  # numpy swaps a longer kernel


def test_explicit_pads_pass_through_every_like():
    for library in conventions.LIBRARIES:
        assert resolve_pads(library, "conv2d", "1,2,3,4", (5, 5), (3, 3)) == (1, 2, 3, 4)


# ------------------------------------------------------------ boundary vocabulary


def test_boundary_names_translate():
    assert conventions.BOUNDARY_TRANSLATION["symmetric"] == {
        "scipy": "symm", "numpy": "symmetric", "matlab": "symmetric", "torch": None, "tf": "SYMMETRIC"}
    assert conventions.BOUNDARY_TRANSLATION["wrap"]["torch"] == "circular"
    assert conventions.BOUNDARY_TRANSLATION["replicate"]["numpy"] == "edge"
    # each library's own name means the same rule
    for rule, names in conventions.BOUNDARY_TRANSLATION.items():
        for library, name in names.items():
            if name is not None and not name.startswith("X"):
                assert conventions.check_boundary(library, name.lower()) == rule


@pytest.mark.parametrize("library, name", [("torch", "symm"), ("tf", "wrap"), ("tf", "edge"), ("matlab", "reflect"),
                                           ("scipy", "reflect")])
def test_a_boundary_the_library_lacks_is_refused(capsys, library, name):
    code, out, err = run(capsys, "conv2d", ROW, "1 10", "--padding", "same", "--like", library, "--boundary", name)
    assert (code, out) == (2, "")
    assert err.startswith(f"Error: --like {library}: {library} has no {name!r} boundary")


@pytest.mark.parametrize("library, name", [("torch", "symm"), ("tf", "wrap"), ("matlab", "reflect")])
def test_a_boundary_the_library_lacks_is_fine_when_nothing_is_padded(capsys, library, name):
    # 'valid' pads nothing, so the boundary rule is never used: the plain correlation
    assert run(capsys, "correlate2d", ROW, "1 10", "--like", library, "--boundary", name) == (0, "21,32,43,54,65\n", "")


def test_like_boundaries_match_the_libraries():
    # numpy's reflect excludes the edge, symmetric repeats it: the same rules as convcli's
    x = np.array([[1, 2, 3]])
    for name, mode in [("reflect", "reflect"), ("symmetric", "symmetric"), ("edge", "edge"), ("wrap", "wrap")]:
        result = convcli.correlate2d(x, [[0, 0, 1, 0, 0]], padding="same", boundary=name)
        assert result.tolist() == [[1, 2, 3]]
        left = convcli.correlate2d(x, [[1, 0, 0, 0, 0]], padding="same", boundary=name)
        assert left.tolist() == [np.pad(x[0], 2, mode=mode)[:3].tolist()]


def test_conventions_command_prints_the_table_and_rules(capsys):
    code, out, err = run(capsys, "conventions")
    assert code == 0 and err == ""
    assert "symmetric  2 1 | 1 2 3 | 3 2  symm   symmetric  symmetric     -          SYMMETRIC" in out
    assert "torch   total = e-1: total//2 before, the rest after; refused with stride > 1" in out
    assert "matlab  12 23 34 45 56 60  (pads 0+1)" in out
    assert "'mirror' is reflect" in out


def test_unknown_like_is_a_usage_error(capsys):
    code, out, err = run(capsys, "conv2d", ROW, "1 10", "--like", "julia")
    assert (code, out, err) == (2, "", "Error: --like 'julia' is not one of scipy, numpy, matlab, torch, tf\n")


def test_a_missing_boundary_is_named_once_and_aliases_are_listed(capsys):
    from convcli.cli import main

    assert main(["conv2d", "1 2 3; 4 5 6", "1 1", "-p", "1", "--boundary", "symmetric", "--like", "torch"]) == 2
    assert capsys.readouterr().err.startswith("Error: --like torch: torch has no 'symmetric' boundary; it has ")
    assert main(["conv2d", "1 2 3; 4 5 6", "1 1", "-p", "1", "--boundary", "symm", "--like", "torch"]) == 2
    assert capsys.readouterr().err.startswith("Error: --like torch: torch has no 'symm' boundary (symmetric); ")
    assert main(["conv2d", "1 2", "1", "--boundary", "mirror"]) == 2
    assert capsys.readouterr().err.endswith("(aliases: symm, circular, edge, constant, zeros)\n")
