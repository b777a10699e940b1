"""A size sweep: convcli.correlate2d against scipy's best, from 64x64 to 4096x4096
and from 3x3 to 63x63 kernels, showing which method each side picked.

    python benchmarks/sweep.py                 # 64..4096, kernels 3..63 (a few minutes)
    python benchmarks/sweep.py --quick         # a 3x3 grid in well under a minute
    python benchmarks/sweep.py --full          # every size and kernel in the lists below
    python benchmarks/sweep.py --dtype int64   # integer inputs (convcli stays exact)
    python benchmarks/sweep.py --calibrate     # time every convcli method against its cost model
    python benchmarks/sweep.py --csv out.csv   # also save the rows
    python benchmarks/sweep.py --svg out.svg   # also draw time against size, convcli beside scipy

The peer is scipy at its best: the faster of ``scipy.signal.correlate2d``
(direct) and ``scipy.signal.fftconvolve`` (FFT) for each cell (direct only
up to 3e9 multiply-adds, beyond which it takes seconds and loses to the
FFT). Each is timed once first, and one over 3x slower than the other is
left out of the rounds: it cannot be the best, and its long calls would
leave one or two rounds for the rest. convcli runs with method='auto'. Times are medians of
alternating rounds (timing.py).
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys

import numpy as np
from timing import compare, format_seconds, rounds_for, table, time_once

from convcli import correlate2d
from convcli.engine import methods
from convcli.engine.api import padded_input
from convcli.engine.plan import make_plan

ROUND_SECONDS, ROUND_CALLS = 2e-3, 50  # a round of sub-millisecond calls: up to 50 calls, about 2 ms
DIRECT_LIMIT = 3e9  # multiply-adds; scipy's direct correlate2d is not timed beyond (it takes seconds and loses to its FFT)

GRIDS = {
    "quick": ((64, 512, 2048), (3, 15, 63)),
    "default": ((64, 256, 1024, 4096), (3, 7, 15, 31, 63)),
    "full": ((64, 128, 256, 512, 1024, 2048, 4096), (3, 5, 7, 11, 15, 31, 63)),
}


def make_operands(size: int, kernel: int, dtype: str, rng):
    if dtype == "int64":
        return rng.integers(-100, 100, (size, size)), rng.integers(-100, 100, (kernel, kernel))
    x = rng.standard_normal((size, size)).astype(dtype)
    return x, rng.standard_normal((kernel, kernel)).astype(dtype)


def sweep(sizes, kernels, dtype: str, budget: float) -> list[dict]:
    from scipy import signal

    rng = np.random.default_rng(0)
    rows = []
    for size in sizes:
        for kernel in kernels:
            if kernel > size:
                continue
            x, k = make_operands(size, kernel, dtype, rng)
            plan = make_plan("correlate2d", x, k)
            choice = methods.choose(plan, padded_input(plan))
            flipped = np.ascontiguousarray(k[::-1, ::-1])
            functions = {"convcli": lambda: correlate2d(x, k),
                         "scipy fft": lambda: signal.fftconvolve(x, flipped, "valid")}
            if (size - kernel + 1) ** 2 * kernel**2 <= DIRECT_LIMIT:
                functions["scipy direct"] = lambda: signal.correlate2d(x, k, "valid")
            firsts = {name: time_once(f) for name, f in functions.items()}
            # a scipy method 3x slower than the other on its first call cannot be scipy's best: it
            # is dropped, or its seconds-long calls would leave one or two rounds for the others
            quickest = min(t for name, t in firsts.items() if name != "convcli")
            functions = {name: f for name, f in functions.items() if name == "convcli" or firsts[name] <= 3 * quickest}
            first = max(firsts[name] for name in functions)
            # sub-millisecond calls: a round of several calls in a row, its median kept (as timeit
            # does), so both sides are timed warm rather than each right after the other's call
            calls = max(1, min(ROUND_CALLS, int(ROUND_SECONDS / first)))
            times = compare(functions, rounds_for(first * calls, budget, low=1, high=9), warmup=0,
                            calls_per_round=calls)
            peer = min((name for name in times if name != "convcli"), key=times.get)
            rows.append(dict(size=size, kernel=kernel, dtype=dtype, convcli=times["convcli"], method=choice.method,
                             scipy=times[peer], scipy_method=peer.split()[1],
                             scipy_direct=times.get("scipy direct"), scipy_fft=times.get("scipy fft"),
                             speedup=times[peer] / times["convcli"]))
            print(f"  {size}x{size} * {kernel}x{kernel}: {rows[-1]['speedup']:.2f}x", file=sys.stderr, flush=True)
    return rows


LAYERS = [  # (input shape, weight shape, groups): CNN-like multi-channel problems for --calibrate --layers
    ((3, 224, 224), (16, 3, 3, 3), 1),
    ((3, 224, 224), (64, 3, 7, 7), 1),
    ((16, 128, 128), (16, 16, 3, 3), 1),
    ((64, 128, 128), (64, 64, 3, 3), 1),
    ((64, 56, 56), (128, 64, 3, 3), 1),
    ((256, 28, 28), (256, 256, 3, 3), 1),
    ((64, 56, 56), (64, 64, 1, 1), 1),
    ((32, 128, 128), (32, 1, 3, 3), 32),
    ((32, 128, 128), (32, 1, 7, 7), 32),
    ((8, 256, 256), (8, 8, 15, 15), 1),
    ((4, 512, 512), (4, 1, 5, 5), 4),
]


def problems(sizes, kernels, dtype: str, layers: bool):
    """(label, x, weight, groups) for each cell of the grid, or each layer."""
    rng = np.random.default_rng(0)
    if layers:
        for x_shape, w_shape, groups in LAYERS:
            x = rng.standard_normal(x_shape).astype(dtype) if dtype != "int64" else rng.integers(-100, 100, x_shape)
            w = rng.standard_normal(w_shape).astype(dtype) if dtype != "int64" else rng.integers(-100, 100, w_shape)
            yield f"{x_shape}", f"{w_shape}/g{groups}", x, w, groups
        return
    for size in sizes:
        for kernel in kernels:
            if kernel <= size:
                x, k = make_operands(size, kernel, dtype, rng)
                yield f"{size}", f"{kernel}", x, k, 1


def calibrate(sizes, kernels, dtype: str, budget: float, layers: bool = False) -> list[dict]:
    """Time each convcli method explicitly and set it beside the cost model."""
    rows = []
    for size, kernel, x, k, groups in problems(sizes, kernels, dtype, layers):
        plan = make_plan("correlate2d", x, k, groups=groups)
        padded = padded_input(plan)
        choice = methods.choose(plan, padded)
        model = methods.modelled_seconds(plan, padded)
        measured = {}
        for method in ("direct", "fft", "gemm"):
            if model[method] > 20 * min(model.values()) and model[method] > 2:
                continue  # far too slow to be worth timing
            function = lambda m=method: methods.run(m, plan, padded)  # noqa: E731
            first = time_once(function)
            measured[method] = compare({method: function}, rounds_for(first, budget / 3, low=1, high=7),
                                       warmup=0)[method]
        best = min(measured, key=measured.get)
        rows.append(dict(size=size, kernel=kernel, dtype=dtype, chose=choice.method, best=best,
                         regret=measured.get(choice.method, math.nan) / measured[best],
                         **{f"{m}_measured": measured.get(m) for m in ("direct", "fft", "gemm")},
                         **{f"{m}_model": model[m] for m in ("direct", "fft", "gemm")}))
        print(f"  {size} * {kernel}: chose {choice.method}, best {best}", file=sys.stderr, flush=True)
    return rows


def speedup_map(rows, sizes, kernels) -> str:
    """The speedup over scipy as a grid: rows are sizes, columns kernels."""
    cells = {(r["size"], r["kernel"]): r for r in rows}
    lines = ["speedup over scipy's best (and the method auto chose: d=direct, f=fft, g=gemm)",
             "size \\ kernel " + "".join(f"{k:>10}" for k in kernels)]
    for size in sizes:
        text = f"{size:>13} "
        for kernel in kernels:
            r = cells.get((size, kernel))
            text += f"{'':>10}" if r is None else f"{r['speedup']:>8.1f}{r['method'][0]:>2}"
        lines.append(text)
    return "\n".join(lines)


PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"))


def _decade_label(exponent: int) -> str:
    for scale, unit in UNITS:
        if 10.0**exponent >= scale:
            return f"{10.0**exponent / scale:g} {unit}"
    return f"1e{exponent} s"


def svg_plot(rows, sizes, kernels, title: str) -> str:
    """Time per call against input size on log-log axes, as a standalone SVG
    (no plotting library): one colour per kernel size, convcli solid with
    dots, scipy's best dashed."""
    width, height, left, right, top, bottom = 760, 480, 70, 170, 40, 50
    times = [r[key] for r in rows for key in ("convcli", "scipy")]
    low, high = math.floor(math.log10(min(times))), math.ceil(math.log10(max(times)))
    x_low, x_high = math.log2(min(sizes)), math.log2(max(sizes))

    def x_at(size):
        return left + (math.log2(size) - x_low) / max(x_high - x_low, 1e-9) * (width - left - right)

    def y_at(seconds):
        return height - bottom - (math.log10(seconds) - low) / max(high - low, 1) * (height - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
             f'<text x="{left}" y="{top - 16}" font-size="14">{title}</text>']
    for exponent in range(low, high + 1):
        y = y_at(10.0**exponent)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_decade_label(exponent)}</text>')
    for size in sizes:
        x = x_at(size)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - bottom}" stroke="#eee"/>'
                     f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle">{size}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 10}" text-anchor="middle">'
                 f'input size (N x N), log scale</text>')
    for index, kernel in enumerate(kernels):
        cells = sorted((r for r in rows if r["kernel"] == kernel), key=lambda r: r["size"])
        if not cells:
            continue
        colour = PALETTE[index % len(PALETTE)]
        for key, dash in (("scipy", ' stroke-dasharray="5,4"'), ("convcli", "")):
            points = " ".join(f"{x_at(r['size']):.1f},{y_at(r[key]):.1f}" for r in cells)
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        parts += [f'<circle cx="{x_at(r["size"]):.1f}" cy="{y_at(r["convcli"]):.1f}" r="3" fill="{colour}"/>'
                  for r in cells]
        y = top + 20 * index
        parts.append(f'<line x1="{width - right + 15}" x2="{width - right + 45}" y1="{y}" y2="{y}" '
                     f'stroke="{colour}" stroke-width="2"/><text x="{width - right + 52}" y="{y + 4}">'
                     f'{kernel}x{kernel} kernel</text>')
    y = top + 20 * len(kernels) + 10
    parts.append(f'<text x="{width - right + 15}" y="{y}">solid, dots: convcli</text>'
                 f'<text x="{width - right + 15}" y="{y + 16}">dashed: scipy\'s best</text></svg>')
    return "\n".join(parts) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    grid = parser.add_mutually_exclusive_group()
    grid.add_argument("--quick", action="store_true", help="a small grid")
    grid.add_argument("--full", action="store_true", help="every size and kernel")
    parser.add_argument("--dtype", default="float64", choices=("float64", "float32", "int64"))
    parser.add_argument("--budget", type=float, default=1.0, help="seconds of timing per cell (default 1)")
    parser.add_argument("--calibrate", action="store_true", help="time every method against the cost model")
    parser.add_argument("--layers", action="store_true", help="with --calibrate: multi-channel CNN layers instead")
    parser.add_argument("--csv", help="also write the rows to this CSV file")
    parser.add_argument("--svg", help="also draw time against size (convcli and scipy) into this SVG file")
    options = parser.parse_args(argv)
    if options.svg and options.calibrate:
        parser.error("--svg draws the sweep against scipy; it does not apply to --calibrate")
    for path in (options.svg, options.csv):
        try:  # before minutes of timing, not after
            if path:
                open(path, "a").close()
        except OSError as error:
            parser.error(f"cannot write {path}: {error.strerror}")
    sizes, kernels = GRIDS["quick" if options.quick else "full" if options.full else "default"]

    if options.calibrate:
        rows = calibrate(sizes, kernels, options.dtype, options.budget, options.layers)
        body = []
        for r in rows:
            def both(m):
                measured, model = r[f"{m}_measured"], r[f"{m}_model"]
                if measured is None:
                    return "-"
                return f"{format_seconds(measured)} ({model / measured:.2f})" if model else format_seconds(measured)
            body.append([f"{r['size']}", f"{r['kernel']}", both("direct"), both("fft"), both("gemm"), r["chose"],
                         r["best"], f"{r['regret']:.2f}"])
        print(table(body, ["size", "kernel", "direct (model/measured)", "fft", "gemm", "auto chose", "fastest",
                           "auto/fastest"]))
        for m in ("direct", "fft", "gemm"):
            ratios = [r[f"{m}_model"] / r[f"{m}_measured"] for r in rows if r[f"{m}_measured"] and r[f"{m}_model"]]
            if ratios:
                print(f"{m}: model/measured median {statistics.median(ratios):.2f} over {len(ratios)} cells")
        regrets = [r["regret"] for r in rows if not math.isnan(r["regret"])]
        print(f"auto's time over the fastest method's: median {statistics.median(regrets):.2f}, "
              f"worst {max(regrets):.2f}")
    else:
        rows = sweep(sizes, kernels, options.dtype, options.budget)
        body = [[f"{r['size']}x{r['size']}", f"{r['kernel']}x{r['kernel']}", format_seconds(r["convcli"]), r["method"],
                 format_seconds(r["scipy"]), r["scipy_method"], f"{r['speedup']:.2f}x"] for r in rows]
        print(f"correlate2d, {options.dtype}, padding valid; convcli (method auto) against the faster of "
              f"scipy.signal.correlate2d and scipy.signal.fftconvolve\n")
        print(table(body, ["input", "kernel", "convcli", "method", "scipy best", "scipy method", "speedup"]))
        print()
        print(speedup_map(rows, sizes, kernels))
        speedups = [r["speedup"] for r in rows]
        print(f"\nspeedup: median {statistics.median(speedups):.2f}x, lowest {min(speedups):.2f}x")
        if options.svg:
            with open(options.svg, "w") as handle:
                handle.write(svg_plot(rows, sizes, kernels, f"correlate2d {options.dtype}, padding valid: "
                                      f"time per call"))
    if options.csv:
        with open(options.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
