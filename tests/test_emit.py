"""--emit-code: the emitted scipy and numpy programs (and torch, where it is
installed) run unchanged and print convcli's numbers; the tf and MATLAB ones
are checked line by line, since neither can run here."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from classic import CLASSIC_INPUT_TEXT as CLASSIC_INPUT

import convcli
from convcli.cli import main
from convcli.emit import emit_program
from convcli.errors import UsageError

ROW = "1 2 3 4 5 6"

SIX_BY_SIX = "; ".join(" ".join(str(6 * r + c) for c in range(6)) for r in range(6))
TWO_CHANNELS = json.dumps(np.arange(2 * 5 * 6).reshape(2, 5, 6).tolist())
FOUR_CHANNELS = json.dumps((np.arange(4 * 5 * 5).reshape(4, 5, 5) % 7).tolist())
THREE_FILTERS = json.dumps((np.arange(3 * 2 * 2 * 3).reshape(3, 2, 2, 3) % 5 - 2).tolist())
GROUPED = json.dumps((np.arange(2 * 2 * 3 * 3).reshape(2, 2, 3, 3) % 4 - 1).tolist())

# (command line after the operands, what it covers)
CASES_2D = [
    (["conv2d", ROW, "1 10", "--padding", "same"], "worked example, scipy"),
    (["conv2d", ROW, "1 10", "--padding", "same", "--like", "matlab"], "worked example, matlab"),
    (["correlate2d", ROW, "1 10", "--padding", "same", "--like", "torch"], "worked example, torch"),
    (["correlate2d", ROW, "1 10", "--padding", "same", "--like", "numpy"], "np.correlate's own alignment"),
    (["conv2d", ROW, "1 10 -3", "--padding", "full", "--stride", "2", "--dilation", "2"], "1-row stride, dilation"),
    (["conv2d", CLASSIC_INPUT, "1 0 1; 0 1 0; 1 0 1"], "the classic example"),
    (["conv2d", SIX_BY_SIX, "1 2; 3 -4", "--padding", "same", "--boundary", "symm", "--stride", "2"], "symm, stride"),
    (["correlate2d", SIX_BY_SIX, "1 2; 3 -4", "--padding", "full", "--boundary", "reflect", "--dilation", "2",
      "--bias", "5"], "reflect, dilation, bias"),
    (["correlate2d", SIX_BY_SIX, "1 2 3; 3 -4 0", "--padding", "same", "--boundary", "symmetric", "--like", "tf",
      "--stride", "2,3"], "tf alignment, stride"),
    (["correlate2d", SIX_BY_SIX, "1 2 3; 3 -4 0", "--padding", "same", "--boundary", "wrap"], "wrap"),
    (["conv2d", SIX_BY_SIX, "0.5 -1.25; 2 0.1", "--padding", "1,0,2,1", "--boundary", "edge"], "floats, explicit"),
    (["correlate2d", SIX_BY_SIX, "1 2; 3 4", "--padding", "same", "--boundary", "fill", "--fill-value", "-7"],
     "fill value"),
    (["im2col-matmul", SIX_BY_SIX, "1 2; 3 4; 5 6", "--padding", "same", "--stride", "2", "--like", "matlab"],
     "im2col"),
    (["correlate2d", "1 2 3; 4 5 -6", "1 2; 3 4", "--padding", "4,0,1,5", "--boundary", "symm"], "pads beyond the input"),
    (["conv2d", "1 2 3; 4 5 -6", "1 2; 3 -4", "--padding", "0,3,4,0", "--boundary", "wrap", "-d", "2"],
     "wrapping more than once"),
]
CASES_CHANNELS = [
    (["correlate2d", TWO_CHANNELS, THREE_FILTERS, "--padding", "same", "--bias", "1 -2 3"], "multi-channel, bias"),
    (["conv2d", TWO_CHANNELS, THREE_FILTERS, "--padding", "1", "--stride", "2", "--boundary", "replicate"],
     "multi-channel conv, stride"),
    (["conv2d", FOUR_CHANNELS, GROUPED, "--padding", "same", "--groups", "2", "--boundary", "wrap"], "groups"),
    (["correlate2d", TWO_CHANNELS, "1 0; 0 -1", "--padding", "full", "--dilation", "2"], "one kernel per channel"),
    (["correlate2d", TWO_CHANNELS, "1 2; 0 -1", "--stride", "1,2", "--bias", "4 -1"], "one kernel per channel, unequal strides"),
    (["im2col-matmul", TWO_CHANNELS, THREE_FILTERS, "--padding", "same", "--like", "torch", "--bias", "1 2 3"],
     "im2col, channels"),
]


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_quietly(args) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    assert (code, err.getvalue()) == (0, ""), err.getvalue()
    return code, out.getvalue()


def convcli_result(args) -> np.ndarray:
    out = run_quietly(args + ["--format", "json"])[1]
    return np.array(json.loads(out), dtype=float if "." in out else np.int64)


def emitted(capsys, args, library) -> str:
    code, out, err = run(capsys, *args, "--emit-code", library)
    assert (code, err) == (0, ""), err
    return out


def run_program(code: str) -> np.ndarray:
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr + "\n" + code
    return np.array(ast.literal_eval(finished.stdout.strip()))


# Runs many emitted programs, unchanged, in one interpreter (one import of scipy
# or torch instead of one per program), each in a fresh namespace.
BATCH_DRIVER = """
import contextlib, io, json, sys
printed = []
for code in json.load(sys.stdin):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, "<emitted>", "exec"), {"__name__": "__main__"})
    printed.append(buffer.getvalue())
print(json.dumps(printed))
"""


def run_programs(programs: list[str], env: dict | None = None) -> list[np.ndarray]:
    finished = subprocess.run([sys.executable, "-c", BATCH_DRIVER], input=json.dumps(programs),
                              capture_output=True, text=True, timeout=300, env=env)
    assert finished.returncode == 0, finished.stderr
    return [np.array(ast.literal_eval(text.strip())) for text in json.loads(finished.stdout)]


def assert_same_numbers(program_result: np.ndarray, expected: np.ndarray, flatten_rows: bool = False) -> None:
    if flatten_rows:  # numpy's 1-D programs print one row as a flat list
        expected = expected.reshape(-1)
    assert program_result.shape == expected.shape
    if expected.dtype.kind == "i":
        assert program_result.tolist() == expected.tolist()
    else:
        np.testing.assert_allclose(program_result, expected, rtol=1e-12, atol=1e-12)


ALL_CASES = CASES_2D + CASES_CHANNELS
TORCH_CASES = [CASES_2D[2], CASES_2D[7], CASES_2D[10]] + CASES_CHANNELS


@pytest.fixture(scope="module")
def batch():
    """Every case's program for scipy, numpy and (if installed) torch, with what each printed."""
    results = {}
    libraries = ["scipy", "numpy"]
    try:
        import torch  # noqa: F401

        libraries.append("torch")
    except ImportError:
        pass
    for library in libraries:
        cases = TORCH_CASES if library == "torch" else ALL_CASES
        programs = [run_quietly(args + ["--emit-code", library])[1] for args, _ in cases]
        results[library] = dict(zip((what for _, what in cases), zip(programs, run_programs(programs))))
    return results


@pytest.mark.parametrize("args, what", ALL_CASES, ids=[c[1] for c in ALL_CASES])
def test_emitted_scipy_program_reproduces_convcli(batch, args, what):
    program, printed = batch["scipy"][what]
    assert "from scipy import signal" in program
    assert_same_numbers(printed, convcli_result(args))


@pytest.mark.parametrize("args, what", ALL_CASES, ids=[c[1] for c in ALL_CASES])
def test_emitted_numpy_program_reproduces_convcli(batch, args, what):
    program, printed = batch["numpy"][what]
    assert "import scipy" not in program and "from scipy" not in program
    assert_same_numbers(printed, convcli_result(args), flatten_rows="sliding_window_view" not in program)


@pytest.mark.parametrize("args, what", TORCH_CASES, ids=[c[1] for c in TORCH_CASES])
def test_emitted_torch_program_reproduces_convcli(batch, args, what):
    pytest.importorskip("torch")
    program, printed = batch["torch"][what]
    assert "import torch.nn.functional as F" in program
    assert_same_numbers(printed, convcli_result(args))


@pytest.mark.parametrize("library", ["scipy", "numpy"])
@pytest.mark.parametrize("channels", [False, True], ids=["2-D", "channels"])
def test_float32_npy_inputs_give_float32_programs_with_the_same_numbers(tmp_path, library, channels):
    # quarters and halves: every sum is exact in float32, so any order of summation agrees
    if channels:
        x = (np.arange(2 * 5 * 6).reshape(2, 5, 6) / 8).astype(np.float32)
        k = (np.arange(3 * 2 * 2 * 2).reshape(3, 2, 2, 2) / 2 - 3).astype(np.float32)
    else:
        x = (np.arange(30).reshape(5, 6) / 4).astype(np.float32)
        k = np.array([[0.5, -1], [2, 0.25]], dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "k.npy", k)
    args = ["conv2d", str(tmp_path / "x.npy"), str(tmp_path / "k.npy"), "--padding", "same", "--stride", "2"]
    program = run_quietly(args + ["--emit-code", library])[1]
    assert program.count("dtype=np.float32") >= 2, program
    expected = convcli.conv2d(x, k, padding="same", stride=2)
    assert expected.dtype == np.float32
    printed = run_program(program)
    assert printed.shape == expected.shape
    assert printed.tolist() == expected.tolist()
    assert convcli_result(args).tolist() == expected.tolist()


@pytest.mark.parametrize("library", ["scipy", "numpy", "torch"])
def test_worked_example_programs_run_on_their_own(capsys, library):
    if library == "torch":
        pytest.importorskip("torch")
    program = emitted(capsys, ["conv2d", ROW, "1 10", "--padding", "same", "--like", "matlab"], library)
    assert run_program(program).reshape(-1).tolist() == [12, 23, 34, 45, 56, 60]


def test_the_one_liner_a_comment_promises_gives_the_same_numbers(capsys):
    programs = []
    for args, library in [(CASES_2D[0][0], "scipy"), (CASES_2D[3][0], "numpy"),
                          (["correlate2d", SIX_BY_SIX, "1 2 3; 4 5 6; 7 8 9", "-p", "same", "-b", "symm"], "scipy"),
                          (["conv2d", SIX_BY_SIX, "1 2; 3 4", "-p", "full", "-b", "wrap"], "scipy"),
                          (["conv2d", ROW, "1 10", "--padding", "same", "--like", "numpy"], "numpy"),
                          # with a bias, the promise says "+ bias" and keeps it
                          (["conv2d", "1 2 3; 4 5 6", "1 2; 3 4", "-p", "same", "--bias", "10"], "scipy"),
                          (["correlate2d", ROW, "1 10", "-p", "same", "--like", "numpy", "--bias", "-3"], "numpy")]:
        program = emitted(capsys, args, library)
        promise = re.search(r"# the same as (.*)", program)
        assert promise, program
        checked = program.replace("print(result.tolist())", f"print(({promise.group(1)}).tolist())")
        programs += [program, checked]
    printed = run_programs(programs)
    for own, promised in zip(printed[::2], printed[1::2]):
        assert_same_numbers(promised, own)


def test_comments_explain_a_different_own_alignment(capsys):
    program = emitted(capsys, ["conv2d", ROW, "1 10", "--padding", "same", "--like", "matlab"], "scipy")
    assert "# scipy's own 'same' would pad 0 above, 0 below, 1 left, 0 right here; add --like scipy for that" in program
    program = emitted(capsys, ["correlate2d", ROW, "1 10", "--padding", "same", "--like", "torch"], "numpy")
    assert "# numpy's own np.correlate mode='same' would pad 1 before, 0 after; add --like numpy for that" in program


def test_flips_are_explicit(capsys):
    torch_program = emitted(capsys, ["conv2d", TWO_CHANNELS, THREE_FILTERS], "torch")
    assert "weight = torch.flip(weight, dims=(-2, -1))" in torch_program
    assert "torch.flip" not in emitted(capsys, ["correlate2d", TWO_CHANNELS, THREE_FILTERS], "torch")
    assert "kernel = kernel[..., ::-1, ::-1]" in emitted(capsys, ["conv2d", SIX_BY_SIX, "1 2; 3 4"], "numpy")
    assert "signal.convolve2d(padded, kernel" in emitted(capsys, ["conv2d", SIX_BY_SIX, "1 2; 3 4"], "scipy")


def test_emitted_tf_program_for_the_worked_example(capsys):
    program = emitted(capsys, ["correlate2d", ROW, "1 10", "--padding", "same", "--like", "tf"], "tf")
    assert 'padded = tf.pad(x, [[0, 0], [0, 1]], mode="CONSTANT", constant_values=0.0)' in program
    assert ('result = tf.nn.convolution(padded[None, :, :, None], kernel[:, :, None, None], strides=(1, 1), '
            'padding="VALID", dilations=(1, 1))[0, :, :, 0]') in program
    assert '# the same as padding="SAME" on the unpadded x' in program
    assert "tf.reverse" not in program
    conv = emitted(capsys, ["conv2d", ROW, "1 10", "--padding", "same"], "tf")
    assert "kernel = tf.reverse(kernel, axis=[0, 1])" in conv
    assert "padded = tf.pad(x, [[0, 0], [1, 0]]" in conv


def test_emitted_tf_program_for_channels(capsys):
    program = emitted(capsys, ["conv2d", TWO_CHANNELS, THREE_FILTERS, "-p", "same", "--like", "tf", "-s", "2",
                               "-b", "symm"], "tf")
    assert "weight = tf.reverse(weight, axis=[2, 3])" in program
    assert 'tf.pad(x, [[0, 0], [0, 1], [0, 1]], mode="SYMMETRIC")' in program
    assert "hwio = tf.transpose(weight, [2, 3, 1, 0])" in program
    assert "result = tf.transpose(result, [2, 0, 1])" in program


def test_emitted_matlab_program_for_the_worked_examples(capsys):
    program = emitted(capsys, ["conv2d", ROW, "1 10", "--padding", "same", "--like", "matlab"], "matlab")
    assert program.splitlines()[1:] == [
        "A = [1 2 3 4 5 6];",
        "B = [1 10];",
        "% pad for 'same' --like matlab: rows 0 above, 0 below; columns 0 left, 1 right; filled with 0",
        "P = zeros(1, 7);",
        "P(1:1, 1:6) = A;",
        "C = conv2(P, B, 'valid');  % conv2 flips B in both directions",
        "% the same as conv2(A, B, 'same')",
        "disp(C)",
    ]
    scipy_like = emitted(capsys, ["conv2d", ROW, "1 10", "--padding", "same"], "matlab")
    assert "P(1:1, 2:7) = A;" in scipy_like
    assert ("% MATLAB's own conv2(A, B, 'same') would pad 0 above, 0 below, 0 left, 1 right; "
            "add --like matlab for that") in scipy_like
    corr = emitted(capsys, ["correlate2d", SIX_BY_SIX, "1 2; 3 4", "-p", "same", "-b", "symm", "-s", "2"], "matlab")
    assert "P = padarray(A, [1 1], 'symmetric');  % both sides alike" in corr
    assert "P = P(2:end, 2:end);  % keep the pads asked for" in corr
    assert "C = filter2(B, P, 'valid');  % filter2 correlates: B is used as given" in corr
    assert "C = C(1:2:end, 1:2:end);  % stride 2,2" in corr


def test_emitted_matlab_program_for_channels(capsys):
    program = emitted(capsys, ["conv2d", FOUR_CHANNELS, GROUPED, "-p", "same", "--groups", "2", "-s", "2",
                               "--bias", "1 -1"], "matlab")
    lines = program.splitlines()
    assert lines[1].startswith("A = cat(3, [0 1 2 3 4; ") and lines[1].endswith("]);  % H x W x C")
    assert lines[2].startswith("W = cat(4, cat(3, [-1 0 1; 2 -1 0; 1 2 -1], [0 1 2; -1 0 1; 2 -1 0]), cat(3, ")
    assert lines[4:] == [
        "% pad for 'same' --like scipy: rows 1 above, 1 below; columns 1 left, 1 right; filled with 0",
        "P = zeros(7, 7, 4);",
        "P(2:6, 2:6, :) = A;",
        "C = zeros(3, 3, 2);  % C(:, :, k) is output channel k",
        "for k = 1:2",
        "    for c = 1:2",
        "        channel = floor((k - 1) / 1) * 2 + c;  % filter k reads its group's channels",
        "        R = conv2(P(:, :, channel), W(:, :, c, k), 'valid');  % conv2 flips the kernel",
        "        C(:, :, k) = C(:, :, k) + R(1:2:end, 1:2:end);",
        "    end",
        "    C(:, :, k) = C(:, :, k) + bias(k);",
        "end",
        "disp(C)",
    ]


@pytest.mark.parametrize(
    "args, library, message",
    [
        (["conv2d", SIX_BY_SIX, "1 2; 3 4", "-p", "same", "-b", "symm"], "torch",
         "--emit-code torch: torch has no 'symmetric' padding"),
        (["conv2d", SIX_BY_SIX, "1 2; 3 4", "-p", "same", "-b", "wrap"], "tf", "--emit-code tf: tf.pad has no 'wrap' mode"),
        (["conv2d", SIX_BY_SIX, "1 2; 3 4", "-p", "same", "-b", "reflect"], "matlab",
         "--emit-code matlab: MATLAB's padarray has no 'reflect'"),
        (["conv2d", FOUR_CHANNELS, GROUPED, "--groups", "2"], "tf", "--emit-code tf: grouped convolution (groups=2)"),
        (["conv2d", SIX_BY_SIX, "1 2; 3 4", "-s", "2", "-d", "2"], "tf", "--emit-code tf: TensorFlow does not stride"),
        (["conv2d", "1 2 3", "1 2", "-p", "9", "-b", "reflect"], "torch",
         "--emit-code torch: torch needs reflect pads smaller than the input"),
        (["conv2d", SIX_BY_SIX, "1 2", "--format", "csv"], "numpy", "--emit-code prints a program"),
        (["conv2d", SIX_BY_SIX, "1 2"], "julia", "--emit-code 'julia' is not one of scipy, numpy, torch, tf, matlab"),
    ],
)
def test_what_a_library_cannot_express_is_refused(capsys, args, library, message):
    code, out, err = run(capsys, *args, "--emit-code", library)
    assert (code, out) == (2, "")
    assert err.startswith("Error: " + message), err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("library, boundary", [("torch", "symmetric"), ("tf", "wrap"), ("tf", "replicate"),
                                               ("matlab", "reflect")])
def test_a_boundary_the_library_lacks_is_fine_when_nothing_is_padded(capsys, library, boundary):
    code, out, err = run(capsys, "correlate2d", SIX_BY_SIX, "1 2", "--boundary", boundary, "--emit-code", library)
    assert (code, err) == (0, "") and ("result = " in out or "C = " in out)


def test_exact_integers_beyond_int64_are_refused():
    with pytest.raises(UsageError, match="need exact arithmetic"):
        emit_program("numpy", "conv2d", [[2**62, 2**62]], [[4, 4]])


def test_float64_rounding_is_refused_for_torch():
    with pytest.raises(UsageError, match="may pass 2\\*\\*53"):
        emit_program("torch", "conv2d", [[2**40, 1]], [[2**20, 1]])


def test_emit_code_writes_the_program_to_a_file(capsys, tmp_path):
    target = tmp_path / "conv.py"
    code, out, err = run(capsys, "conv2d", ROW, "1 10", "-p", "same", "--emit-code", "numpy", "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert run_program(target.read_text()).tolist() == [1, 12, 23, 34, 45, 56]


@pytest.mark.parametrize("name", ["result.npy", "result.csv", "result.JSON"])
def test_emit_code_refuses_a_file_named_for_data(capsys, tmp_path, name):
    """A program written into result.npy would not read back as the data its name promises."""
    target = tmp_path / name
    target.write_text("kept")
    code, out, err = run(capsys, "conv2d", ROW, "1 10", "--emit-code", "numpy", "-o", str(target))
    assert code == 2 and out == ""
    assert err.startswith("Error: --emit-code writes a program") and err.count("\n") == 1
    assert target.read_text() == "kept"


def parse_octave_disp(text: str) -> np.ndarray:
    """What MATLAB's disp(C) printed: one matrix, or `ans(:,:,k) =` pages, as (K, H, W) or (H, W)."""
    pages = re.split(r"ans\(:,:,\d+\) =", text)
    matrices = [[[float(v) for v in line.split()] for line in page.splitlines()
                 if line.strip() and not line.startswith("error:")] for page in pages]
    matrices = [m for m in matrices if m]
    return np.array(matrices[0] if len(pages) == 1 else matrices)


OCTAVE_CASES = [case for case in ALL_CASES if "reflect" not in case[0]]


@pytest.fixture(scope="module")
def octave_printed(tmp_path_factory):
    """What each case's MATLAB program printed under Octave, all run in one Octave session."""
    if shutil.which("octave") is None:
        pytest.skip("octave is not installed")
    folder = tmp_path_factory.mktemp("matlab")
    sources = []
    for number, (args, _) in enumerate(OCTAVE_CASES):
        path = folder / f"program{number}.m"
        path.write_text(run_quietly(args + ["--emit-code", "matlab"])[1])
        sources.append(f"clear all; source('{path}'); disp('@@@');")
    finished = subprocess.run(["octave", "--no-gui", "--quiet", "--eval", "pkg load image; " + " ".join(sources)],
                              capture_output=True, text=True, timeout=300)
    pages = finished.stdout.split("@@@")[: len(OCTAVE_CASES)]
    assert len(pages) == len(OCTAVE_CASES), finished.stdout + finished.stderr
    return dict(zip((what for _, what in OCTAVE_CASES), pages))


@pytest.mark.parametrize("args, what", OCTAVE_CASES, ids=[c[1] for c in OCTAVE_CASES])
def test_emitted_matlab_program_runs_in_octave(octave_printed, args, what):
    printed = parse_octave_disp(octave_printed[what])
    expected = convcli_result(args)
    assert printed.shape == expected.shape, octave_printed[what]
    np.testing.assert_allclose(printed, expected, rtol=1e-4, atol=1e-4)


# TensorFlow is not installed here. This stand-in implements the few calls the
# emitted programs make, from TF's documented semantics (tf.nn.convolution:
# output[b, i, j, k] = sum filter[di, dj, q, k] * input[b, i*s0 + d0*di, j*s1 + d1*dj, q];
# NHWC input, HWIO filter), so the tests check the programs' wiring: layouts,
# transposes, flips, pads, stride, dilation and bias.
FAKE_TENSORFLOW = '''
import numpy as np

float32, float64, int64 = np.float32, np.float64, np.int64


class Tensor(np.ndarray):
    def numpy(self):
        return np.asarray(self)


def _tensor(value):
    return np.asarray(value).view(Tensor)


def constant(value, dtype=None):
    return _tensor(np.array(value, dtype=dtype))


def reverse(x, axis):
    return _tensor(np.flip(x, axis=tuple(axis)))


def transpose(x, perm):
    return _tensor(np.transpose(x, perm))


def tile(x, multiples):
    return _tensor(np.tile(x, multiples))


def cast(x, dtype):
    return _tensor(np.asarray(x).astype(dtype))


def pad(x, paddings, mode="CONSTANT", constant_values=0):
    numpy_mode = {"CONSTANT": "constant", "REFLECT": "reflect", "SYMMETRIC": "symmetric"}[mode]
    extra = {"constant_values": constant_values} if mode == "CONSTANT" else {}
    return _tensor(np.pad(np.asarray(x), paddings, mode=numpy_mode, **extra))


def _taps(x, kh, kw, strides, dilations):
    (sh, sw), (dh, dw) = strides, dilations
    assert not (max(sh, sw) > 1 and max(dh, dw) > 1), "tf refuses a strided dilated convolution"
    oh = (x.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[2] - dw * (kw - 1) - 1) // sw + 1
    for i in range(kh):
        for j in range(kw):
            yield i, j, x[:, i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw, :]


class nn:
    @staticmethod
    def convolution(input, filters, strides=None, padding="VALID", dilations=None):
        assert padding == "VALID"
        x, w = np.asarray(input), np.asarray(filters)
        assert x.ndim == 4 and w.ndim == 4 and w.shape[2] == x.shape[3]
        return _tensor(sum(window @ w[i, j] for i, j, window in
                           _taps(x, *w.shape[:2], strides or (1, 1), dilations or (1, 1))))

    @staticmethod
    def depthwise_conv2d(input, filter, strides, padding, dilations=None):
        assert padding == "VALID" and strides[0] == strides[3] == 1
        # TF: "Current implementation only supports equal length strides in the row and column dimensions."
        assert strides[1] == strides[2], "depthwise_conv2d needs equal strides"
        x, w = np.asarray(input), np.asarray(filter)
        assert w.shape[2] == x.shape[3] and w.shape[3] == 1
        return _tensor(sum(window * w[i, j, :, 0] for i, j, window in
                           _taps(x, *w.shape[:2], strides[1:3], dilations or (1, 1))))
'''

# what tf cannot express: wrap and edge pads, groups, symmetric pads beyond the input, stride with dilation
TF_CASES = [case for case in ALL_CASES if not any(word in case[0] for word in ("wrap", "edge", "replicate", "--groups"))
            and case[1] not in ("pads beyond the input", "1-row stride, dilation")]


@pytest.fixture(scope="module")
def tf_printed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake_tf")
    (folder / "tensorflow.py").write_text(FAKE_TENSORFLOW)
    programs = [run_quietly(args + ["--emit-code", "tf"])[1] for args, _ in TF_CASES]
    printed = run_programs(programs, env={**os.environ, "PYTHONPATH": str(folder)})
    return dict(zip((what for _, what in TF_CASES), printed))


@pytest.mark.parametrize("args, what", TF_CASES, ids=[c[1] for c in TF_CASES])
def test_emitted_tf_program_is_wired_right(tf_printed, args, what):
    assert_same_numbers(tf_printed[what], convcli_result(args))
