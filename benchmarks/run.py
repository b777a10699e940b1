"""convcli against its peers, side by side in one process, with the goals of issue #5.

    python benchmarks/run.py              # every case (about two minutes)
    python benchmarks/run.py --case fft   # the cases whose name contains 'fft'
    python benchmarks/run.py --rounds 15  # more rounds for a noisy machine

Each case prints the median time of convcli and of the peer, their ratio,
the goal and whether it is met. Medians come from alternating rounds in one
process (see timing.py), so both sides see the same machine. Start-up and
peak memory are measured in fresh subprocesses. Needs scipy; torch is
optional (its rows are skipped with a message when it is missing).
Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import tempfile

import numpy as np
from timing import REPO, compare, format_seconds, table

import convcli
from convcli.engine import methods
from convcli.engine.api import padded_input
from convcli.engine.plan import make_plan

RNG = np.random.default_rng(5)


def chosen(operation: str, x, kernel) -> str:
    plan = make_plan(operation, x, kernel)
    return methods.choose(plan, padded_input(plan)).method


def row(case, ours, peer_name, peer, ratio_text, goal, met, note=""):
    return dict(case=case, convcli=ours, peer_name=peer_name, peer=peer, ratio=ratio_text, goal=goal, met=met, note=note)


def case_direct_3x3(rounds):
    x = RNG.standard_normal((4096, 4096))
    k = RNG.standard_normal((3, 3))
    from scipy import signal

    times = compare({"peer": lambda: signal.correlate2d(x, k, "valid"), "ours": lambda: convcli.correlate2d(x, k)}, rounds)
    same = np.array_equal(convcli.correlate2d(x, k), signal.correlate2d(x, k, "valid"))
    speedup = times["peer"] / times["ours"]
    return row("correlate2d 4096x4096 f64, 3x3", times["ours"], "scipy.signal.correlate2d", times["peer"],
               f"{speedup:.2f}x faster", ">= 2x faster", speedup >= 2,
               f"auto={chosen('correlate2d', x, k)}, bit-identical={same}")


def case_fft_31(rounds):
    x = RNG.standard_normal((2048, 2048))
    k = RNG.standard_normal((31, 31))
    from scipy import signal

    flipped = k[::-1, ::-1].copy()
    times = compare({"peer": lambda: signal.fftconvolve(x, flipped, "valid"), "ours": lambda: convcli.correlate2d(x, k)},
                    rounds)
    reference = signal.fftconvolve(x, flipped, "valid")
    error = float(np.max(np.abs(convcli.correlate2d(x, k) - reference)) / np.max(np.abs(reference)))
    ratio = times["ours"] / times["peer"]
    return row("correlate2d 2048x2048 f64, 31x31", times["ours"], "scipy.signal.fftconvolve", times["peer"],
               f"{ratio:.2f}x its time", "<= 1.25x, rel. error <= 1e-10", ratio <= 1.25 and error <= 1e-10,
               f"auto={chosen('correlate2d', x, k)}, max rel. error {error:.1e}")


def case_int_31(rounds):
    x = RNG.integers(-100, 100, (1024, 1024))
    k = RNG.integers(-100, 100, (31, 31))
    from scipy import signal

    times = compare({"peer": lambda: signal.correlate2d(x, k, "valid"), "ours": lambda: convcli.correlate2d(x, k)},
                    max(3, rounds // 2), warmup=0)
    ours = convcli.correlate2d(x, k)
    exact = ours.dtype == np.int64 and np.array_equal(ours, signal.correlate2d(x, k, "valid"))
    speedup = times["peer"] / times["ours"]
    return row("correlate2d 1024x1024 int64, 31x31 int", times["ours"], "scipy.signal.correlate2d", times["peer"],
               f"{speedup:.1f}x faster", ">= 10x faster, exactly equal", speedup >= 10 and exact,
               f"auto={chosen('correlate2d', x, k)}, int64 and equal={exact}")


def case_torch(rounds):
    try:
        import torch
    except ImportError:
        return [row("(64,128,128) f32 * (64,64,3,3)", None, "torch.nn.functional.conv2d", None, "-", "<= 1.2x", None,
                    "skipped: torch is not installed")]
    x = RNG.standard_normal((64, 128, 128)).astype(np.float32)
    w = RNG.standard_normal((64, 64, 3, 3)).astype(np.float32)
    x_torch, w_torch = torch.from_numpy(x)[None], torch.from_numpy(w)
    reference = torch.nn.functional.conv2d(x_torch, w_torch)[0].numpy()
    rows = []
    for name in ("correlate2d", "im2col_matmul"):
        function = getattr(convcli, name)
        times = compare({"peer": lambda: torch.nn.functional.conv2d(x_torch, w_torch), "ours": lambda: function(x, w)},
                        max(rounds, 9), warmup=2, calls_per_round=7, pause=0.2)
        result = function(x, w)
        error = float(np.max(np.abs(result - reference)) / np.max(np.abs(reference)))
        ratio = times["ours"] / times["peer"]
        rows.append(row(f"{name} (64,128,128) f32, (64,64,3,3)", times["ours"], "torch.nn.functional.conv2d",
                        times["peer"], f"{ratio:.2f}x its time", "<= 1.2x", ratio <= 1.2,
                        f"auto={chosen(name, x, w)}, dtype {result.dtype}, max rel. diff {error:.1e}, "
                        f"torch threads {torch.get_num_threads()}"))
    return rows


RSS_SCRIPT = """
import resource, sys, time
import numpy as np
sys.path.insert(0, {repo!r})
import convcli
rng = np.random.default_rng(0)
x = rng.integers(-100, 100, (2048, 2048))
k = rng.integers(-100, 100, (31, 31))
start = time.perf_counter()
y = convcli.im2col_matmul(x, k)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
try:
    with open("/proc/self/status") as status:
        high_water = [int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")][0]
except (OSError, IndexError):
    high_water = -1
z = convcli.correlate2d(x, k)
print(peak, high_water, seconds, y.dtype == np.int64 and np.array_equal(y, z))
"""

# Linux keeps a process's peak RSS across fork and exec, so a child started
# straight from this (large) process would report our peak as its own; a
# small intermediate process starts the measured one.
SPAWN = "import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-c', sys.argv[1]]))"


def case_rss(rounds):
    done = subprocess.run([sys.executable, "-c", SPAWN, RSS_SCRIPT.format(repo=REPO)], capture_output=True, text=True)
    if done.returncode != 0:
        return row("im2col_matmul 2048x2048, 31x31: peak RSS", None, "-", None, "-", "< 1 GiB", False,
                   done.stderr.strip().splitlines()[-1])
    peak, high_water, seconds, equal = done.stdout.split()
    peak = int(peak)
    return row("im2col_matmul 2048x2048 int64, 31x31: peak RSS", float(seconds), "-", None,
               f"{peak / 2**20:.0f} MiB", "< 1 GiB", peak < 2**30 and equal == "True",
               f"getrusage ru_maxrss of the whole process (VmHWM {int(high_water) / 2**20:.0f} MiB), "
               f"input and output included; equals correlate2d exactly: {equal}")


def case_startup(rounds):
    classic_input = os.path.join(REPO, "samples", "classic-input.csv")
    classic_kernel = os.path.join(REPO, "samples", "classic-kernel.csv")
    environment = dict(os.environ, PYTHONPATH=REPO)
    # time a run with convcli's bytecode cached, as after `pip install` or any
    # first run; with PYTHONDONTWRITEBYTECODE set, every run would recompile it
    compileall.compile_dir(os.path.join(REPO, "convcli"), quiet=1)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = {
        "peer": [sys.executable, "-c", "import numpy"],
        "ours": [sys.executable, "-m", "convcli", "conv2d", classic_input, classic_kernel],
    }
    with tempfile.TemporaryFile() as sink:
        def launch(command):
            return lambda: subprocess.run(command, stdout=sink, stderr=subprocess.DEVNULL, env=environment, check=True)

        for command in commands.values():
            launch(command)()  # fill the file cache
        times = compare({name: launch(command) for name, command in commands.items()}, max(21, 3 * rounds), warmup=0)
    ratio = times["ours"] / times["peer"]
    return row("startup: classic 5x5 conv2d piped", times["ours"], 'python -c "import numpy"', times["peer"],
               f"{ratio:.2f}x its time", "<= 1.5x", ratio <= 1.5, "python -m convcli conv2d ... > file")


def case_csv(rounds):
    try:
        from convcli.inputs import read_array
    except ImportError:
        return row("CSV parse 2000x2000", None, "numpy.loadtxt", None, "-", "<= 2x", None,
                   "skipped: convcli.inputs.read_array is missing")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.csv")
        np.savetxt(path, RNG.standard_normal((2000, 2000)), delimiter=",", fmt="%.6f")
        times = compare({"peer": lambda: np.loadtxt(path, delimiter=","),
                         "ours": lambda: read_array(path, role="input")}, max(3, rounds // 2), warmup=0)
        same = np.array_equal(read_array(path, role="input"), np.loadtxt(path, delimiter=","))
    ratio = times["ours"] / times["peer"]
    return row("CSV parse 2000x2000 floats", times["ours"], "numpy.loadtxt", times["peer"], f"{ratio:.2f}x its time",
               "<= 2x", ratio <= 2, f"same values: {same}")


CASES = {
    "direct-3x3": case_direct_3x3,
    "fft-31": case_fft_31,
    "int-fft-31": case_int_31,
    "torch-gemm": case_torch,
    "rss": case_rss,
    "startup": case_startup,
    "csv": case_csv,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", help="run only cases whose name contains this (repeatable): "
                        + ", ".join(CASES))
    parser.add_argument("--rounds", type=int, default=7, help="alternating timing rounds per case (default 7)")
    options = parser.parse_args(argv)
    rows = []
    for name, case in CASES.items():
        if options.case and not any(part in name for part in options.case):
            continue
        print(f"... {name}", file=sys.stderr, flush=True)
        result = case(options.rounds)
        rows.extend(result if isinstance(result, list) else [result])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"convcli {convcli.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, {cores} CPUs; "
          f"medians of alternating rounds\n")
    body = [[r["case"], format_seconds(r["convcli"]) if r["convcli"] else "-", r["peer_name"],
             format_seconds(r["peer"]) if r["peer"] else "-", r["ratio"], r["goal"],
             {True: "yes", False: "NO", None: "skipped"}[r["met"]]] for r in rows]
    print(table(body, ["case", "convcli", "peer", "peer time", "ratio", "goal", "met"]))
    print()
    for r in rows:
        if r["note"]:
            print(f"- {r['case']}: {r['note']}")
    return 0 if all(r["met"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
