"""Table-driven: every bad input gives its exit code, an empty stdout, one
``Error:`` line on stderr, and leaves a pre-existing output file untouched."""

from __future__ import annotations

import io
import json
import os
import sys

import numpy as np
import pytest

from convcli.cli import main

PRECIOUS = "precious,data\n"


def _files(folder):
    """Bad files on disk, made fresh for each test."""
    def write(name, data):
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return str(path)

    object_array = folder / "objects.npy"
    np.save(object_array, np.array([1, "x"], dtype=object), allow_pickle=True)
    good_npy = folder / "good.npy"
    np.save(good_npy, np.arange(12).reshape(3, 4))
    truncated = folder / "truncated.npy"
    truncated.write_bytes(good_npy.read_bytes()[:-10])
    deep = "[" * 100000 + "]" * 100000
    return {
        "ragged.csv": write("ragged.csv", "1,2,3\n4,5,6\n7,8\n"),
        "words.csv": write("words.csv", "1,2\n3,x\n"),
        "empty.csv": write("empty.csv", ""),
        "blank.csv": write("blank.csv", "\n\n   \n"),
        "comments.csv": write("comments.csv", "# nothing here\n# at all\n"),
        "truncated.json": write("truncated.json", "[[1, 2], [3,"),
        "string.json": write("string.json", '[[1, 2], ["x", 4]]'),
        "bool.json": write("bool.json", "[[1, true], [3, 4]]"),
        "null.json": write("null.json", "[[1, null]]"),
        "ragged.json": write("ragged.json", "[[1, 2], [3]]"),
        "deep.json": write("deep.json", deep),
        "fivedims.json": write("fivedims.json", "[[[[[1]]]]]"),
        "object.json": write("object.json", '{"input": [[1, 2]]}'),
        "binary.csv": write("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"),
        "garbage.npy": write("garbage.npy", b"not an npy file at all"),
        "objects.npy": str(object_array),
        "truncated.npy": str(truncated),
        "ragged-blocks.csv": write("ragged-blocks.csv", "1,2\n3,4\n\n5,6\n"),
        "folder": str(folder),
    }


# (name, argv with {placeholders}, expected exit code, expected text in the error line)
CASES = [
    ("ragged csv", ["conv2d", "{ragged.csv}", "1"], 1, "line 3"),
    ("word in csv", ["conv2d", "{words.csv}", "1"], 1, '"x"'),
    ("empty file", ["conv2d", "{empty.csv}", "1"], 1, "empty"),
    ("blank file", ["conv2d", "{blank.csv}", "1"], 1, "empty"),
    ("only comments", ["conv2d", "{comments.csv}", "1"], 1, "empty"),
    ("truncated json", ["conv2d", "{truncated.json}", "1"], 1, "JSON"),
    ("string in json", ["conv2d", "{string.json}", "1"], 1, "string"),
    ("boolean in json", ["conv2d", "{bool.json}", "1"], 1, "boolean"),
    ("null in json", ["conv2d", "{null.json}", "1"], 1, "null"),
    ("ragged json", ["conv2d", "{ragged.json}", "1"], 1, "ragged.json"),
    ("absurdly deep json", ["conv2d", "{deep.json}", "1"], 1, "dimensions"),
    ("five dimensions", ["conv2d", "{fivedims.json}", "1"], 1, "dimensions"),
    ("json key missing", ["conv2d", "{object.json}:kernel", "1"], 1, "kernel"),
    ("binary garbage", ["conv2d", "{binary.csv}", "1"], 1, "binary.csv"),
    ("corrupt npy", ["conv2d", "{garbage.npy}", "1"], 1, "garbage.npy"),
    ("object npy", ["conv2d", "{objects.npy}", "1"], 1, "objects.npy"),
    ("truncated npy", ["conv2d", "{truncated.npy}", "1"], 1, "truncated.npy"),
    ("channel blocks differ", ["conv2d", "{ragged-blocks.csv}", "1"], 1, "ragged-blocks.csv"),
    ("missing file", ["conv2d", "no-such-file.csv", "1"], 1, "no-such-file.csv"),
    ("a directory", ["conv2d", "{folder}", "1"], 1, "directory"),
    ("inline word", ["conv2d", "1 2; 3 y", "1"], 1, '"y"'),
    ("inline ragged", ["conv2d", "1 2; 3", "1"], 1, "expected 2 values, found 1"),
    ("inline empty", ["conv2d", "", "1"], 1, "empty"),
    ("unknown named kernel", ["conv2d", "1 2; 3 4", "sobel-z"], 1, "sobel-z"),
    ("kernel larger than input", ["conv2d", "1 2; 3 4", "1 2 3"], 1, "kernel (1, 3) is larger than input (2, 2)"),
    ("channel mismatch", ["correlate2d", "[[[1]], [[2]]]", "[[[[1]]]]"], 1, "expects 1 input channels"),
    ("groups do not divide", ["correlate2d", "[[[1]], [[2]], [[3]]]", "[[[[1]]], [[[1]]]]", "--groups", "2"], 1, "does not divide"),
    ("bias of wrong length", ["conv2d", "1 2; 3 4", "1", "--bias", "1 2"], 1, "bias has 2 values"),
    ("bias not a number", ["conv2d", "1 2; 3 4", "1", "--bias", "one"], 1, '"one"'),
    ("conv1x1 depth mismatch", ["conv1x1", "[[[1]], [[2]]]", "1 2 3"], 1, "expect 3 channels"),
    ("conv1x1 spatial weights", ["conv1x1", "[[[1]], [[2]]]", "[[[[1, 2]], [[3, 4]]]]"], 1, "(K, C, 1, 1)"),
    ("zero stride", ["conv2d", "1 2; 3 4", "1", "--stride", "0"], 2, "stride must be at least 1"),
    ("zero dilation", ["conv2d", "1 2; 3 4", "1", "--dilation", "0"], 2, "dilation must be at least 1"),
    ("negative padding", ["conv2d", "1 2; 3 4", "1", "--padding", "-2"], 2, "must not be negative"),
    ("padding word", ["conv2d", "1 2; 3 4", "1", "--padding", "middle"], 2, "is not one of valid, same, full"),
    ("three paddings", ["conv2d", "1 2; 3 4", "1", "--padding", "1,2,3"], 2, "1, 2 or 4 integers"),
    ("unknown boundary", ["conv2d", "1 2; 3 4", "1", "--boundary", "mirror"], 2, "mirror"),
    ("fill value word", ["conv2d", "1 2; 3 4", "1", "--fill-value", "lots"], 1, '"lots"'),
    ("zero groups", ["conv2d", "1 2; 3 4", "1", "--groups", "0"], 2, "groups must be"),
    ("unknown format", ["conv2d", "1 2; 3 4", "1", "--format", "xml"], 2, "xml"),
    ("unknown option", ["conv2d", "1 2; 3 4", "1", "--frobnicate"], 2, "--frobnicate"),
    ("missing argument", ["conv2d", "1 2; 3 4"], 2, "Missing argument"),
    ("unknown command", ["deconvolve", "1", "1"], 2, "deconvolve"),
    ("two stdins", ["conv2d", "-", "-"], 2, "stdin"),
    ("precision zero", ["conv2d", "1 2; 3 4", "1", "--precision", "0"], 2, "precision"),
    ("output over input", ["conv2d", "{OUT}", "1"], 2, "would overwrite the input"),
    ("huge padding", ["conv2d", "1", "1", "--padding", "10000000"], 1, "GiB"),
]


def _substitute(arg: str, files: dict) -> str:
    for name, path in files.items():
        arg = arg.replace("{" + name + "}", path)
    return arg


@pytest.mark.parametrize("name, argv, code, fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, argv, code, fragment, tmp_path, capsys, monkeypatch):
    files = _files(tmp_path)
    output = tmp_path / "result.csv"
    output.write_text(PRECIOUS)
    files["OUT"] = str(output)
    args = [_substitute(a, files) for a in argv] + ["-o", str(output)]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"1 2\n3 4\n")))
    got = main(args)
    captured = capsys.readouterr()
    assert got == code, captured.err
    assert captured.out == ""
    assert captured.err.startswith("Error: ")
    assert captured.err.count("\n") == 1, captured.err
    assert fragment in captured.err
    assert "Traceback" not in captured.err
    assert output.read_text() == PRECIOUS
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".convcli-")) == []


def test_there_are_at_least_thirty_distinct_cases():
    assert len({c[0] for c in CASES}) >= 30


def test_unwritable_output_folder(tmp_path, capsys):
    target = tmp_path / "missing-folder" / "out.csv"
    assert main(["conv2d", "1 2; 3 4", "1", "-o", str(target)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("Error: ") and "does not exist" in captured.err
    assert not target.exists()


def test_output_to_a_pipe_or_device_is_refused(capsys, tmp_path):
    # renaming over it would replace it, not write to it (/dev/null alone is taken, as a dry run)
    fifo = str(tmp_path / "pipe.csv")
    os.mkfifo(fifo)
    assert main(["conv2d", "1 2; 3 4", "1", "--format", "csv", "-o", fifo]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"Error: {fifo}: not a regular file; -o writes files (leave out -o to write to stdout)\n"
    assert not os.path.isfile(fifo) and os.path.exists(fifo)


def test_output_extension_unknown(tmp_path, capsys):
    target = tmp_path / "out.xyz"
    assert main(["conv2d", "1 2; 3 4", "1", "-o", str(target)]) == 2  # a bad option value, as the README says
    assert "cannot tell the format" in capsys.readouterr().err
    assert not target.exists()


@pytest.mark.parametrize("name, fmt", [("x.csv", "npy"), ("y.npy", "csv"), ("z.json", "latex"), ("t.txt", "json")])
def test_output_format_that_contradicts_the_extension_is_refused(tmp_path, capsys, name, fmt):
    """A .csv holding npy bytes would not read back in."""
    target = tmp_path / name
    assert main(["conv2d", "1 2; 3 4", "1", "-o", str(target), "--format", fmt]) == 2
    assert f"names the {name.split('.')[1].replace('txt', 'csv')} format but --format says {fmt}" in capsys.readouterr().err
    assert not target.exists()


@pytest.mark.parametrize("name", ["x.csv", "y.json", "z.tbl"])
def test_format_table_with_an_output_file_is_refused(tmp_path, capsys, name):
    """A table is for the terminal: -o x.csv --format table wrote CSV, silently."""
    target = tmp_path / name
    assert main(["conv2d", "1 2; 3 4", "1", "-o", str(target), "--format", "table"]) == 2
    assert "--format table is for the terminal" in capsys.readouterr().err
    assert not target.exists()


def test_output_format_may_choose_for_txt_and_unknown_extensions(tmp_path, capsys):
    for name, fmt, text in (("t.txt", "tsv", "1\t2\n3\t4\n"), ("o.dat", "csv", "1,2\n3,4\n"), ("m.md", "markdown", None)):
        target = tmp_path / name
        assert main(["conv2d", "1 2; 3 4", "1", "-o", str(target), "--format", fmt]) == 0
        assert text is None or target.read_text() == text
        assert main(["conv2d", str(target), "1", "--format", "csv"]) == 0
        assert capsys.readouterr().out == "1,2\n3,4\n"


@pytest.mark.parametrize("target", ["no-such-folder/out.csv", "out.xyz"])
def test_a_bad_output_is_refused_before_any_work(tmp_path, capsys, monkeypatch, target):
    """Before reading or computing: one Error line, not a NaN warning first (nor minutes of work)."""
    monkeypatch.chdir(tmp_path)
    computed = []
    monkeypatch.setattr("convcli.engine.api._run", lambda *a, **k: computed.append(a))
    assert main(["correlate2d", "nan 1; 1 1", "1", "-o", target]) in (1, 2)
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and err.count("\n") == 1
    assert computed == []


@pytest.mark.parametrize("command", [["correlate2d", "nan 1; 1 1", "1"], ["conv1x1", "[[[1, 2]], [[3, 1e999]]]", "1 1"]])
def test_a_bad_at_is_refused_before_any_work(capsys, monkeypatch, command):
    computed = []
    monkeypatch.setattr("convcli.engine.api._run", lambda *a, **k: computed.append(a))
    assert main([*command, "--at", "5,5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: --at 5,5 is outside") and err.count("\n") == 1
    assert computed == []


@pytest.mark.parametrize("args", [["-", "k.csv"], ["in.csv", "-"], ["in.csv", "k.csv", "--bias", "-"]])
def test_output_over_the_file_stdin_reads_is_refused(tmp_path, args):
    """`convcli conv2d - k.csv -o in.csv < in.csv` read in.csv through stdin, then replaced it."""
    import subprocess

    (tmp_path / "in.csv").write_text("1,2,3\n4,5,6\n7,8,9\n")
    (tmp_path / "k.csv").write_text("1,0\n0,1\n")
    (tmp_path / "b.csv").write_text("5\n")
    stdin_file = {0: "in.csv", 1: "k.csv"}.get(args.index("-"), "b.csv")
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    before = {name: (tmp_path / name).read_text() for name in ("in.csv", "k.csv", "b.csv")}
    with open(tmp_path / stdin_file, "rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "convcli", "conv2d", *args, "-o", stdin_file], stdin=stdin,
                              cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert done.stderr == (f"Error: -o {stdin_file} would overwrite the input -: stdin is redirected from that file; "
                           "choose another output file\n")
    assert {name: (tmp_path / name).read_text() for name in before} == before


def test_output_checks_name_the_real_problem_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.csv").write_text("1,2\n3,4\n")
    computed = []
    monkeypatch.setattr("convcli.engine.api._run", lambda *a, **k: computed.append(a))
    # a path through a file
    assert main(["conv2d", "nan 1", "1", "-o", "in.csv/x.csv"]) == 1
    assert capsys.readouterr().err == f"Error: in.csv/x.csv: {tmp_path / 'in.csv'} is a file, not a folder\n"
    # a directory is a directory, whatever its name says about formats
    assert main(["conv2d", "nan 1", "1", "-o", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"Error: {tmp_path}: is a directory\n"
    # a folder where nothing can be created (read-only for a user; root needs a stand-in)

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refused)
    assert main(["conv2d", "nan 1", "1", "-o", "out.csv"]) == 1
    assert capsys.readouterr().err == "Error: out.csv: cannot write here (Permission denied)\n"
    assert computed == [] and sorted(os.listdir(tmp_path)) == ["in.csv"]


def test_output_to_the_file_stdout_already_goes_to_is_refused(tmp_path):
    """`(echo hello; convcli ... -o /dev/stdout; echo after) > log.txt` replaced log.txt with the result alone."""
    import subprocess

    log = tmp_path / "log.txt"
    log.write_text("hello\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), ".."))
    with open(log, "a") as stdout:
        done = subprocess.run([sys.executable, "-m", "convcli", "conv2d", "1 2; 3 4", "1", "-o", "/dev/stdout",
                               "--format", "csv"], stdout=stdout, stderr=subprocess.PIPE, text=True, env=env)
    assert done.returncode == 2 and "is where stdout already goes" in done.stderr
    assert log.read_text() == "hello\n"
    # into a pipe, /dev/stdout resolves to no path: the same refusal, not "cannot write here (No such file ...)"
    done = subprocess.run([sys.executable, "-m", "convcli", "conv2d", "1 2; 3 4", "1", "-o", "/dev/stdout"],
                          capture_output=True, text=True, env=env)
    assert (done.returncode, done.stdout) == (2, "") and "is where stdout already goes" in done.stderr


def test_ctrl_c_while_writing_leaves_no_temporary_file(tmp_path, monkeypatch):
    from convcli import outputs

    target = tmp_path / "out.csv"
    target.write_text("precious\n")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_atomic(str(target), b"1,2\n")
    assert os.listdir(tmp_path) == ["out.csv"] and target.read_text() == "precious\n"


def test_existing_other_file_is_replaced(tmp_path, capsys):
    target = tmp_path / "old.json"
    target.write_text(json.dumps({"old": True}))
    os.chmod(target, 0o640)
    assert main(["conv2d", "1 2; 3 4", "1", "-o", str(target)]) == 0
    assert json.loads(target.read_text()) == [[1, 2], [3, 4]]
    assert os.stat(target).st_mode & 0o777 == 0o640


def test_a_write_protected_file_is_refused_as_the_shell_refuses_it(tmp_path, capsys, monkeypatch):
    from convcli import outputs

    target = tmp_path / "mine.csv"
    target.write_text("precious\n")
    os.chmod(target, 0o444)
    # root may write anything, as with `>`; for a user os.access says no, which root needs a stand-in for
    real_access = os.access
    monkeypatch.setattr(outputs.os, "access", lambda path, mode: False if str(path) == str(target)
                        else real_access(path, mode))
    assert main(["conv2d", "1 2; 3 4", "1", "-o", str(target)]) == 1
    assert capsys.readouterr().err == f"Error: {target}: cannot write (the file is write-protected)\n"
    assert target.read_text() == "precious\n"


def test_a_symbolic_link_loop_is_refused_not_replaced(tmp_path, capsys):
    os.symlink("loop2.csv", tmp_path / "loop1.csv")
    os.symlink("loop1.csv", tmp_path / "loop2.csv")
    target = str(tmp_path / "loop1.csv")
    assert main(["conv2d", "1 2; 3 4", "1", "-o", target]) == 1
    assert capsys.readouterr().err == f"Error: {target}: cannot write (Too many levels of symbolic links)\n"
    assert os.path.islink(target) and os.readlink(target) == "loop2.csv"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="only root may give a file to another owner")
def test_a_replaced_file_keeps_its_owner_and_group(tmp_path):
    target = tmp_path / "theirs.csv"
    target.write_text("old\n")
    os.chown(target, 65534, 65534)
    assert main(["conv2d", "1 2; 3 4", "1", "-o", str(target)]) == 0
    status = os.stat(target)
    assert (status.st_uid, status.st_gid) == (65534, 65534) and target.read_text() == "1,2\n3,4\n"
