"""Every `convcli` command the README shows runs as shown, and prints what its comments promise.

The README's first two blocks (install, run the tests) are run by .ci/run
itself; this covers the examples after them. Commands run through the
console script's entry point, in a scratch folder holding a copy of
samples/, so `-o result.json` writes there. A command ending in a comment
of numbers (``# 1,12,23``), or followed by comment lines of numbers (the
classic example's ``# 4,3,4`` rows), must print exactly those rows; one
ending in ``= N`` must print N; other comment lines that follow a command
are excerpts of its output, with ``...`` for what is left out.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from convcli.quick import main

ROOT = os.path.join(os.path.dirname(__file__), "..")
NUMBERS = re.compile(r"^-?\d[\d.]*(,-?\d[\d.]*)*$")


def readme_commands() -> list[tuple[str, list[str] | None, list[str], str | None]]:
    """(command, expected CSV rows or None, excerpts of the output, file piped to stdin or None);
    a command piped into ``python`` ends in ``| python``."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as readme:
        blocks = re.findall(r"```sh\n(.*?)```", readme.read(), flags=re.S)
    commands = []
    for block in blocks[2:]:  # the first two install convcli and run the tests
        lines = block.splitlines()
        for index, line in enumerate(lines):
            stdin_file = None
            if line.startswith("cat ") and "| convcli " in line:
                stdin_file, line = line[4:].split(" | ", 1)
            if not line.startswith("convcli ") or "|" in line.split("#")[0].removesuffix("| python"):
                continue  # pipes into other programs are not examples of convcli's own output
            command, _, comment = line.partition(" #")
            comment = comment.strip()
            following = []
            for later in lines[index + 1:]:
                if not later.startswith("#"):
                    break
                following.append(later[1:].strip())
            first = comment.split(" ")[0] if comment else ""
            if NUMBERS.match(first):
                expected = [first]
            elif re.search(r"= (-?\d+)$", comment):
                expected = [re.search(r"= (-?\d+)$", comment).group(1)]
            elif following and all(NUMBERS.match(text) for text in following):
                expected, following = following, []
            else:
                expected = None
            excerpts = [piece.strip() for text in following for piece in text.split("...") if piece.strip()]
            commands.append((command.strip(), expected, excerpts, stdin_file))
    return commands


COMMANDS = readme_commands()


def test_the_readme_has_examples_to_check():
    assert len(COMMANDS) >= 15
    assert sum(expected is not None for _, expected, _, _ in COMMANDS) >= 7
    assert sum(bool(excerpts) for _, _, excerpts, _ in COMMANDS) >= 2


@pytest.mark.parametrize("command, expected, excerpts, stdin_file", COMMANDS, ids=[c[0][:60] for c in COMMANDS])
def test_readme_command_runs_as_shown(command, expected, excerpts, stdin_file, tmp_path, monkeypatch, capsys):
    shutil.copytree(os.path.join(ROOT, "samples"), tmp_path / "samples")
    monkeypatch.chdir(tmp_path)
    if stdin_file is not None:
        data = (tmp_path / stdin_file).read_bytes()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    program_for_python = command.endswith("| python")
    args = shlex.split(command.removesuffix("| python"))[1:]
    code = main(args)
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, ""), captured.err
    if program_for_python:  # the emitted program runs as the README shows
        done = subprocess.run([sys.executable, "-c", captured.out], capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stderr) == (0, "") and done.stdout.strip()
    if expected is not None:
        assert captured.out.strip().splitlines() == expected
    for excerpt in excerpts:
        assert excerpt in captured.out
    if "-o" in args:
        assert captured.out == "" and (tmp_path / args[args.index("-o") + 1]).stat().st_size > 0
    else:
        assert captured.out.strip()


def test_readme_python_block_runs_and_gives_its_comments():
    """The "From Python" block pastes into python as written (every name defined), and each
    line commented with a value or a shape gives it."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as readme:
        (block,) = re.findall(r"```python\n(.*?)```", readme.read(), flags=re.S)
    import numpy as np

    namespace: dict = {}
    checked = 0
    for line in block.splitlines():
        code, _, comment = line.partition("  #")
        if not code.strip():
            continue
        if not comment:
            exec(code, namespace)
            continue
        value = eval(code, namespace)
        shape = re.search(r"\((\d+(?:, \d+)*)\)", comment)
        if comment.strip().startswith("array("):
            assert repr(value) == comment.strip()
        elif isinstance(value, np.ndarray):
            assert shape and value.shape == tuple(int(n) for n in shape.group(1).split(", ")), (code, value.shape)
        else:
            assert repr(value) == comment.strip(), (code, value)
        checked += 1
    assert checked == 4
