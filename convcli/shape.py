"""The shape explainer behind ``convcli shape``: sizes, pads and the formula.

Pure: no typer, no rich. For each axis it gives the pads before and after,
the output size with the formula written out with the numbers put in, the
input rows or columns no window ever reads (cs231n's "does not fit"), and
the result under every ``--like`` side by side.

>>> report = explain_shape("28", "5")
>>> report.axes[0].formula
'floor((28 + 2*0 - 1*(5-1) - 1)/1) + 1 = 24'
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass, field

from .conventions import LIBRARIES, axis_pads, check_numpy_geometry, check_shapes, check_tf_atrous, parse_like
from .engine.options import parse_padding, parse_pair
from .engine.plan import effective_size
from .errors import ShapeError, UsageError

AXIS_NAMES = ("rows", "cols")
OPERATIONS = {"conv2d": "conv2d", "correlate2d": "correlate2d", "im2col-matmul": "correlate2d",
              "im2col_matmul": "correlate2d"}
TAP_LIMIT = 1_000_000  # kernels with more taps along an axis are not checked for skipped inputs
UNUSED_SCAN_LIMIT = 100_000  # skipped dilated-kernel inputs are listed from among the first and last this many


@dataclass(frozen=True)
class AxisShape:
    """One axis of a convolution's geometry."""

    name: str
    input_size: int
    kernel_size: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int
    output_size: int
    formula: str
    unused: tuple[int, ...] = ()  # input indices no window reads
    unused_count: int | None = 0  # None: too many taps to count them
    leftover: int = 0  # padded cells after the last window (the "does not fit" remainder)


@dataclass(frozen=True)
class ShapeReport:
    """The whole explanation; `render_text` turns it into lines."""

    library: str
    operation: str
    padding: object
    transposed: bool
    axes: tuple[AxisShape, AxisShape]
    comparison: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def output_hw(self) -> tuple[int, int]:
        return self.axes[0].output_size, self.axes[1].output_size

    def as_dict(self) -> dict:
        return {
            "like": self.library,
            "operation": self.operation,
            "transposed": self.transposed,
            "output": list(self.output_hw),
            "axes": [
                {"axis": a.name, "input": a.input_size, "kernel": a.kernel_size, "stride": a.stride,
                 "dilation": a.dilation, "pad_before": a.pad_before, "pad_after": a.pad_after,
                 "output": a.output_size, "formula": a.formula, "unused_inputs": a.unused_count}
                for a in self.axes
            ],
            "every_like": dict(self.comparison),
            "warnings": list(self.warnings),
        }


def forward_formula(i: int, k: int, s: int, d: int, before: int, after: int) -> tuple[int, str]:
    """The output size of a strided, dilated, padded correlation and its formula.

    >>> forward_formula(224, 7, 2, 1, 2, 3)
    (112, 'floor((224 + 2 + 3 - 1*(7-1) - 1)/2) + 1 = 112')
    """
    size = (i + before + after - d * (k - 1) - 1) // s + 1
    pads = f"2*{before}" if before == after else f"{before} + {after}"
    return size, f"floor(({i} + {pads} - {d}*({k}-1) - 1)/{s}) + 1 = {size}"


def transposed_formula(i: int, k: int, s: int, d: int, before: int, after: int, extra: int) -> tuple[int, str]:
    """The output size of a transposed convolution, ``s*(i-1) + a + k - 2p``
    (with ``d*(k-1)+1`` for k when dilated).

    >>> transposed_formula(7, 3, 2, 1, 1, 1, 1)
    (14, '2*(7-1) + 1 + 3 - 2*1 = 14')
    """
    size = s * (i - 1) + extra + effective_size(k, d) - before - after
    kernel = str(k) if d == 1 else f"{d}*({k}-1)+1"
    pads = f"2*{before}" if before == after else f"({before} + {after})"
    return size, f"{s}*({i}-1) + {extra} + {kernel} - {pads} = {size}"


@functools.lru_cache(maxsize=64)  # the "every --like" line asks again for each library
def unused_inputs(i: int, k: int, s: int, d: int, before: int, outputs: int) -> tuple[tuple[int, ...], int | None]:
    """Input indices (not pads) that no output window reads (up to 20 of
    them, from the start and the end of the input), and how many there are:
    None when a dilated kernel has too many taps to count them.

    Tap t of window o reads padded index ``o*s + t*d``. Contiguous windows
    (no dilation) are counted by formula. Dilated taps are grouped by their
    remainder modulo s: tap t's reads are then the quotients ``(t*d)//s + o``
    for o in range(outputs), an interval, so each remainder holds a few merged
    intervals. Either way the count is exact arithmetic on Python integers,
    however large the sizes or the stride.

    >>> unused_inputs(28, 5, 2, 1, 0, 12)  # 23 is odd: row 27 does not fit
    ((27,), 1)
    >>> unused_inputs(5, 1, 2, 1, 0, 3)     # a 1-wide kernel with stride 2 skips rows
    ((1, 3), 2)
    """
    if outputs <= 0:
        return (), 0
    if k == 1 or d == 1:  # contiguous windows (a single tap's dilation changes nothing)
        if s <= k:  # the windows overlap or touch: only a tail can be missed
            first_unused = max((outputs - 1) * s + k - before, 0)
            count = max(0, i - first_unused)
            return tuple(range(first_unused, min(i, first_unused + 20))), count

        def covered(end: int) -> int:  # padded indices below `end` that windows read
            windows, rest = divmod(max(end, 0), s)
            return outputs * k if windows >= outputs else windows * k + min(rest, k)

        count = i - (covered(before + i) - covered(before))
        return _gaps_between_windows(i, k, s, before, outputs), count
    if k > TAP_LIMIT:
        return (), None
    reads = _reads_by_remainder(k, s, d, outputs)
    read = 0
    for remainder, intervals in reads.items():
        # quotients m with before <= remainder + s*m < before + i
        low = -((remainder - before) // s)
        high = -((remainder - before - i) // s)
        read += sum(max(0, min(stop, high) - max(start, low)) for start, stop in zip(*intervals))

    def unread(padded_index: int) -> bool:
        quotient, remainder = divmod(padded_index, s)
        starts, stops = reads.get(remainder, ((), ()))
        at = bisect.bisect_right(starts, quotient) - 1
        return at < 0 or quotient >= stops[at]

    count = i - read
    return _first_unused(i, count, unread, before), count


def _gaps_between_windows(i: int, k: int, s: int, before: int, outputs: int) -> tuple[int, ...]:
    """The first 20 input indices between windows of k read cells every s (s > k), and after the last."""
    found: list[int] = []
    end = before + i
    window = min(before // s, outputs - 1)  # the gap after this window holds `before`, or lies beyond it
    while len(found) < 20 and window < outputs:
        gap_start = max(window * s + k, before)
        gap_end = min((window + 1) * s if window < outputs - 1 else end, end)
        found.extend(range(gap_start - before, max(gap_start, min(gap_end, gap_start + 20 - len(found))) - before))
        window += 1
    return tuple(found)


def _first_unused(i: int, count: int, unread, before: int) -> tuple[int, ...]:
    """Up to 20 unread input indices, looked for among the first and the last
    UNUSED_SCAN_LIMIT (a tail that does not fit is the usual case)."""
    wanted = min(20, count)
    found: list[int] = []
    head = range(min(i, UNUSED_SCAN_LIMIT))
    tail = range(max(len(head), i - UNUSED_SCAN_LIMIT), i)
    for indices in (head, tail):
        for index in indices:
            if len(found) == wanted:
                return tuple(found)
            if unread(index + before):
                found.append(index)
    return tuple(found)


def _reads_by_remainder(k: int, s: int, d: int, outputs: int) -> dict:
    """{remainder: (starts, stops)}: the merged intervals of quotients read."""
    merged: dict = {}
    for tap in range(k):
        quotient, remainder = divmod(tap * d, s)
        starts, stops = merged.setdefault(remainder, ([], []))
        # taps come in increasing order, so within a remainder so do their quotients
        if stops and quotient <= stops[-1]:
            stops[-1] = max(stops[-1], quotient + outputs)
        else:
            starts.append(quotient)
            stops.append(quotient + outputs)
    return merged


def _axis(name, i, k, s, d, before, after, transposed, extra) -> AxisShape:
    if transposed:
        size, formula = transposed_formula(i, k, s, d, before, after, extra)
        if size < 1:
            raise ShapeError(f"{name}: the transposed output would have {size} cells: {formula}")
        return AxisShape(name, i, k, s, d, before, after, size, formula)
    size, formula = forward_formula(i, k, s, d, before, after)
    if size < 1:
        raise ShapeError(
            f"{name}: kernel {k}{f' (dilated to {effective_size(k, d)})' if d > 1 else ''} does not fit "
            f"input {i} padded by {before}+{after}: {formula}"
        )
    unused, count = unused_inputs(i, k, s, d, before, size)
    leftover = (i + before + after - effective_size(k, d)) % s
    return AxisShape(name, i, k, s, d, before, after, size, formula, unused, count, leftover)


def _pads_for(library, operation, spec, sizes, kernel, stride, dilation):
    if not isinstance(spec, str):
        return (spec[0], spec[1]), (spec[2], spec[3])
    return tuple(
        axis_pads(library, operation, spec, sizes[a], kernel[a], stride[a], dilation[a]) for a in range(2)
    )


def _summary(pads, hw) -> str:
    text = f"{hw[0]}x{hw[1]}"
    if any(any(p) for p in pads):
        if pads[0] == pads[1]:
            text += f" (pads {pads[0][0]}+{pads[0][1]})"
        else:
            text += f" (pads rows {pads[0][0]}+{pads[0][1]}, cols {pads[1][0]}+{pads[1][1]})"
    return text


def _refusal(library, spec, sizes, kernel, stride, dilation) -> str | None:
    """Why `library` would refuse this geometry, in a few words, or None."""
    if library == "numpy" and (sizes[0] != 1 or kernel[0] != 1):
        return "np.convolve takes one row"
    if library == "numpy" and (stride != (1, 1) or dilation != (1, 1)):
        return "np.convolve has no stride or dilation"
    if library == "torch" and spec == "same" and stride != (1, 1):
        return "padding='same' with a stride"
    if library == "tf" and max(stride) > 1 and max(dilation) > 1:
        return "no stride on a dilated convolution"
    return None


def _compare(operation, spec, sizes, kernel, stride, dilation, transposed, extra) -> tuple[tuple[str, str], ...]:
    results = []
    for library in LIBRARIES:
        reason = _refusal(library, spec, sizes, kernel, stride, dilation)
        if reason:
            results.append((library, f"refused: {reason}"))
            continue
        try:
            pads = _pads_for(library, operation, spec, sizes, kernel, stride, dilation)
            axes = [_axis(AXIS_NAMES[a], sizes[a], kernel[a], stride[a], dilation[a], *pads[a], transposed, extra)
                    for a in range(2)]
        except ShapeError:
            results.append((library, "refused: the kernel does not fit"))
            continue
        results.append((library, _summary(pads, (axes[0].output_size, axes[1].output_size))))
    return tuple(results)


def _warnings(axes) -> list[str]:
    notes = []
    for axis in axes:
        if axis.unused_count is None:
            notes.append(f"input {axis.name} that no window reads were not counted: the kernel has more than "
                         f"{TAP_LIMIT:,} dilated taps along them")
            continue
        if not axis.unused_count:
            continue
        listed = axis.unused[:8]
        shown = ", ".join(str(v) for v in listed) + (", ..." if axis.unused_count > len(listed) else "")
        shown = f" ({shown})" if listed else ""  # none found near either end to show
        last_read = (axis.output_size - 1) * axis.stride + axis.dilation * (axis.kernel_size - 1) - axis.pad_before
        tail = max(0, axis.input_size - 1 - last_read)
        reasons = []
        if axis.unused_count > tail:
            which = "them" if not tail else "some"
            if axis.dilation == 1 or axis.kernel_size == 1:
                reasons.append(f"stride {axis.stride} steps over {which}")
            elif axis.stride == 1:
                reasons.append(f"dilation {axis.dilation} leaves gaps between the taps that the windows do not fill")
            else:
                reasons.append(f"stride {axis.stride} and dilation {axis.dilation} step over {which}")
        if tail:
            reach = effective_size(axis.kernel_size, axis.dilation)
            span = axis.input_size + axis.pad_before + axis.pad_after - reach
            reasons.append(f"the windows do not fit, {axis.input_size} + {axis.pad_before} + {axis.pad_after} - "
                           f"{reach} = {span} is not a multiple of stride {axis.stride}")
        notes.append(f"{axis.unused_count} of {axis.input_size} input {axis.name} never reach the kernel{shown}: "
                     + "; ".join(reasons))
    return notes


def explain_shape(input_size, kernel_size, *, stride=1, padding="valid", dilation=1, like=None,
                  operation="correlate2d", transposed=False, output_padding=0) -> ShapeReport:
    """Explain the output shape of one 2-D convolution, axis by axis.

    Parameters
    ----------
    input_size, kernel_size : int, str or (int, int)
        ``H`` or ``H,W``; one number means a square.
    stride, dilation : int, str or (int, int)
    padding : str, int or tuple
        'valid', 'same', 'full' or explicit pads, as for conv2d.
    like : str, optional
        scipy (default), numpy, matlab, torch or tf: whose 'same' to follow.
    operation : str
        conv2d or correlate2d; they differ only in where scipy puts the odd pad.
    transposed : bool
        Give the transposed-convolution size ``s*(i-1) + a + k - 2p`` instead.
    output_padding : int
        ``a`` in that formula; must be smaller than the stride or the dilation.

    Returns
    -------
    ShapeReport

    Examples
    --------
    >>> explain_shape("224", "7", stride=2, padding="same", like="tf").axes[0].formula
    'floor((224 + 2 + 3 - 1*(7-1) - 1)/2) + 1 = 112'
    """
    library = parse_like(like)
    key = str(operation).strip().lower()
    if key not in OPERATIONS:
        raise UsageError(f"operation {operation!r} is not one of conv2d, correlate2d, im2col-matmul")
    operation = OPERATIONS[key]
    sizes = parse_pair(input_size, "input size")
    kernel = parse_pair(kernel_size, "kernel size")
    stride = parse_pair(stride, "stride")
    dilation = parse_pair(dilation, "dilation")
    spec = parse_padding(padding)
    extra = _output_padding(output_padding, stride, dilation, transposed)
    if transposed and isinstance(spec, str) and spec != "valid":
        raise UsageError(f"--transposed takes padding valid or explicit pads p (as ConvTranspose2d), not {spec!r}")
    if transposed and spec == "valid":
        spec = (0, 0, 0, 0)
    check_tf_atrous(library, stride, dilation)
    check_shapes(library, sizes, kernel)
    check_numpy_geometry(library, stride, dilation)
    pads = _pads_for(library, operation, spec, sizes, kernel, stride, dilation)
    axes = tuple(
        _axis(AXIS_NAMES[a], sizes[a], kernel[a], stride[a], dilation[a], *pads[a], transposed, extra)
        for a in range(2)
    )
    comparison = _compare(operation, spec, sizes, kernel, stride, dilation, transposed, extra)
    return ShapeReport(library, operation, padding, transposed, axes, comparison, tuple(_warnings(axes)))


def _output_padding(value, stride, dilation, transposed) -> int:
    try:
        extra = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"output padding {value!r} is not an integer") from None
    if extra and not transposed:
        raise UsageError("--output-padding applies to --transposed only")
    if extra < 0 or (extra and extra >= max(max(stride), max(dilation))):
        raise UsageError(f"output padding must be at least 0 and smaller than the stride or the dilation, got {extra}")
    return extra


def render_text(report: ShapeReport) -> str:
    """The plain-text explanation printed by ``convcli shape``."""
    rows, cols = report.axes
    kind = "transposed convolution" if report.transposed else report.operation
    padding = report.padding if isinstance(report.padding, str) else ",".join(str(p) for p in parse_padding(report.padding))
    head = (f"output {rows.output_size} x {cols.output_size}   ({kind}: input {rows.input_size} x {cols.input_size}, "
            f"kernel {rows.kernel_size} x {cols.kernel_size}, stride {_pair(rows.stride, cols.stride)}, "
            f"dilation {_pair(rows.dilation, cols.dilation)}, padding {padding}, --like {report.library})")
    lines = [head]
    for axis in report.axes:
        lines.append(f"{axis.name}  pads {axis.pad_before} before, {axis.pad_after} after   {axis.formula}")
    if report.library == "numpy":
        lines.append("numpy: each axis as np.convolve/np.correlate on one row ('same' is max(n, k) long)")
    lines.append("every --like: " + " | ".join(f"{lib} {text}" for lib, text in report.comparison))
    return "\n".join(lines) + "\n"


def _pair(a: int, b: int) -> str:
    return str(a) if a == b else f"{a},{b}"
