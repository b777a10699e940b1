"""``convcli compare``: the four operations on the same data, side by side,
and what agrees and why. Pure: no rich, no typer.

Every claim made is checked by computing it: that conv2d equals correlate2d
(or that correlate2d with the flipped kernel reproduces conv2d), that
im2col-matmul equals correlate2d, that conv1x1 equals correlate2d for a 1x1
kernel. A claim that does not hold is not made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import engine
from . import trace as tr
from .conventions import engine_padding, parse_like
from .engine import numeric
from .engine.plan import make_plan
from .trace_blocks import Equation, Equations, Grids, Heading, Paragraph, number_text, sum_equation
from .trace_text import blocks_text

MAX_FILTERS_SHOWN = 4


@dataclass(frozen=True, eq=False)
class Outcome:
    """One operation's result, or why it was not run."""

    name: str  # conv2d, correlate2d, im2col-matmul or conv1x1
    result: np.ndarray | None
    reason: str = ""


@dataclass(frozen=True, eq=False)
class Comparison:
    title: str
    outcomes: tuple[Outcome, ...]
    findings: tuple[str, ...]  # what agrees and why, each checked
    answer: tuple[object, ...]  # what is computed: Paragraph and Equations blocks

    def outcome(self, name: str) -> Outcome:
        return next(o for o in self.outcomes if o.name == name)


def agreement(a: np.ndarray, b: np.ndarray) -> tuple[str, float]:
    """("exact" | "rounding" | "differ", largest difference) of two results."""
    if a.shape != b.shape:
        return "differ", float("inf")
    if numeric.is_exact(a) and numeric.is_exact(b):
        same = bool(np.all(a == b))
        if same:
            return "exact", 0.0
        return "differ", float(np.max(np.abs((a - b).astype(float))))
    af, bf = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if np.array_equal(af, bf, equal_nan=True):
        return "exact", 0.0
    finite = np.isfinite(af) & np.isfinite(bf)
    same_specials = np.array_equal(np.where(finite, 0, af), np.where(finite, 0, bf), equal_nan=True)
    largest = float(np.max(np.abs(af[finite] - bf[finite]))) if finite.any() else 0.0
    scale = float(np.max(np.abs(af[finite]))) if finite.any() else 0.0
    if same_specials and largest <= 1e-9 * max(scale, 1.0):
        return "rounding", largest
    return "differ", largest


def _equal_words(verdict: str, largest: float) -> str:
    return "" if verdict == "exact" else f" (to within floating-point rounding: the largest difference is {largest:.2g})"


def _flip_finding(x, kernel, options, conv, corr, conv_plan, corr_plan, padding_word, library) -> str:
    weight = corr_plan.weight
    # NaN taps count as equal to each other: a NaN mirrored onto a NaN keeps the kernel symmetric
    symmetric = np.array_equal(weight, weight[..., ::-1, ::-1], equal_nan=weight.dtype.kind == "f")
    verdict, largest = agreement(conv, corr)
    flipped_kernel = np.flip(numeric.as_numeric_array(kernel, "kernel"), axis=(-2, -1))
    reproduced = engine.correlate2d(x, flipped_kernel, **dict(options, padding=conv_plan.pads))
    check, check_largest = agreement(conv, reproduced)
    pads_note = ""
    if conv_plan.pads != corr_plan.pads:
        pads_note = (f", padded as conv2d pads ((top, bottom, left, right) = {conv_plan.pads}, where correlate2d's "
                     f"own '{padding_word}' pads {corr_plan.pads}),")
    cells = "the 1 cell is equal" if conv.size == 1 else f"all {conv.size} cells are equal"
    if check == "differ":
        reproduce = (f"correlate2d with the flipped kernel does not reproduce conv2d here "
                     f"(largest difference {check_largest:.3g})")
    else:
        reproduce = (f"correlate2d with the flipped kernel{pads_note} reproduces conv2d "
                     f"(checked: {cells}{_equal_words(check, check_largest)})")
    same_pads = conv_plan.pads == corr_plan.pads
    if verdict != "differ" and symmetric and same_pads:
        return ("conv2d equals correlate2d here because the kernel is symmetric under a 180 degree rotation: "
                f"flipping it changes nothing{_equal_words(verdict, largest)}.")
    if verdict != "differ" and symmetric:
        return ("conv2d equals correlate2d here, but only because this input happens to give the same sums: the "
                f"kernel is symmetric under a 180 degree rotation, yet {_why_pads_differ(library)}"
                f". In general they differ, and {reproduce}.")
    if verdict != "differ":
        return ("conv2d equals correlate2d here although the kernel is not symmetric under a 180 degree rotation: "
                f"this input happens to give the same sums. In general they differ, and {reproduce}.")
    if symmetric:
        return ("conv2d and correlate2d differ even though the kernel is symmetric under a 180 degree rotation, "
                f"because {_why_pads_differ(library)}; {reproduce}.")
    return ("conv2d and correlate2d differ because the kernel is not symmetric under a 180 degree rotation "
            f"(conv2d flips it, correlate2d does not), and {reproduce}.")


def _why_pads_differ(library) -> str:
    """Why padding 'same' pads conv2d and correlate2d differently, in a clause.

    numpy aligns an even kernel alike for both (np.convolve and np.correlate
    agree while the kernel is no longer than the input); elsewhere it is the
    even kernel's extra pad that moves."""
    if library != "numpy":
        return ("for an even-sized kernel padding 'same' puts the extra padding cell before the input for conv2d "
                f"and after it for correlate2d (as {library} does)")
    return (f"with the kernel longer than the input, {library}'s 'same' (as long as the longer of the two) keeps a "
            "different part of the full result for conv2d than for correlate2d")


def _conv1x1_outcome(x, options, corr_plan, corr) -> Outcome:
    kh, kw = corr_plan.weight.shape[2:]
    if (kh, kw) != (1, 1):
        return Outcome("conv1x1", None, f"not run: conv1x1 needs a 1x1 kernel, and this one is {kh}x{kw}")
    if corr_plan.groups != 1:
        return Outcome("conv1x1", None, "not run: this kernel filters each channel on its own (groups "
                                        f"{corr_plan.groups}); conv1x1 mixes all channels")
    if any(corr_plan.pads) or corr_plan.stride != (1, 1):
        return Outcome("conv1x1", None, "not run: conv1x1 has no padding or stride")
    weights = corr_plan.weight[:, :, 0, 0]
    result = engine.conv1x1(x, weights[0] if corr.ndim == 2 else weights, bias=options.get("bias"))
    return Outcome("conv1x1", result)


def _answer(x, kernel, options, corr_plan) -> tuple:
    """What a convolution computes, on this data: products within a channel, a sum over depth, the flip."""
    trace = tr.trace_conv("conv2d", x, kernel, **dict(options, at=(0, 0)))
    cell = trace.steps[0].cells[0]
    first = cell.channels[0]
    kh, kw = trace.kernel_as_applied.shape[2:]
    where = "" if trace.filter_count == 1 else ", filter 0"
    channel = "" if trace.channel_count == 1 else f", channel {first.channel}"
    example = sum_equation(f"conv2d at (0, 0){where}{channel}", first.terms, first.total)
    blocks = [
        Paragraph("Within a channel, each output cell is the sum of the element-wise products of the window and the "
                  "kernel as applied:"),
        Equations((example,)),
    ]
    words = (f"Written as vectors, that is the dot product of the flattened {kh}x{kw} window with the flattened kernel: "
             "exactly one row of W_row times one column of X_col in im2col-matmul.")
    if kh == kw and kh > 1:
        window = np.array([[t.value for t in first.terms[i * kw:(i + 1) * kw]] for i in range(kh)], dtype=object)
        applied = np.array([[t.weight for t in first.terms[i * kw:(i + 1) * kw]] for i in range(kh)], dtype=object)
        matrix = window @ applied
        shown = "[" + ", ".join("[" + ", ".join(number_text(v) for v in row) + "]" for row in matrix[:4]) + \
                (", ...]" if kh > 4 else "]")
        words += (f" It is not the matrix product of the window and the kernel, which would be another {kh}x{kw} "
                  f"matrix ({shown}), not one number.")
    blocks.append(Paragraph(words))
    if trace.channel_count > 1 and len(cell.channels) > 1:
        totals = tuple(s.total for s in cell.channels)
        depth = [Equation("filter 0 at (0, 0), sum over depth", (totals, (cell.depth_sum,)))]
        if cell.bias is not None:
            depth.append(Equation("plus bias", ((cell.depth_sum, cell.bias), (cell.value,))))
        blocks += [
            Paragraph(f"Across depth, the {len(cell.channels)} per-channel sums are added, then the bias:"),
            Equations(tuple(depth)),
            Paragraph("That sum over channels is a dot product over depth; with a 1x1 kernel it is all there is, "
                      "which is what conv1x1 computes."),
        ]
    elif trace.channel_count > 1:
        blocks.append(Paragraph("This 2-D kernel filters each input channel on its own, so nothing is summed over "
                                "depth; a (K, C, kh, kw) kernel would add the per-channel sums, a dot product over depth."))
    else:
        blocks.append(Paragraph("Across depth: this input has one channel, so nothing is added. With C channels the "
                                "C per-channel sums are added, a dot product over depth; conv1x1 shows it on its own, "
                                "e.g. the depth vector [1, 5] with weights [1, 10]: 1*1 + 5*10 = 51."))
    blocks.append(Paragraph("The flip: conv2d turns the kernel 180 degrees before sliding it; correlate2d and "
                            "im2col-matmul do not, and neither do CNN layers (torch.nn.functional.conv2d computes "
                            "correlate2d)."))
    return tuple(blocks)


def compare(x, kernel, *, padding="valid", boundary="fill", fill_value=0, stride=1, dilation=1, groups=1,
            bias=None, like=None) -> Comparison:
    """Run conv2d, correlate2d, im2col-matmul and (for a 1x1 kernel) conv1x1, and explain.

    `like` pads and aligns every operation as that library would (see
    :func:`convcli.conventions.engine_padding`); the default is scipy's.

    Examples
    --------
    >>> c = compare([[1, 2], [3, 4]], [[1, 2], [3, 4]])
    >>> c.outcome("conv2d").result.tolist(), c.outcome("correlate2d").result.tolist()
    ([[20]], [[30]])
    """
    options = dict(padding=padding, boundary=boundary, fill_value=fill_value, stride=stride, dilation=dilation,
                   groups=groups, bias=bias)

    def padded_like(operation: str) -> dict:
        explicit = engine_padding(like, operation, padding, np.shape(x), np.shape(kernel), stride=stride,
                                  dilation=dilation, boundary=boundary)
        return dict(options, padding=explicit)

    conv_options, corr_options = padded_like("conv2d"), padded_like("correlate2d")
    conv_plan = make_plan("conv2d", x, kernel, **conv_options)
    corr_plan = make_plan("correlate2d", x, kernel, **corr_options)
    conv = engine.conv2d(x, kernel, **conv_options)
    corr = engine.correlate2d(x, kernel, **corr_options)
    im2col = engine.im2col_matmul(x, kernel, **padded_like("im2col_matmul"))
    outcomes = [Outcome("conv2d", conv), Outcome("correlate2d", corr), Outcome("im2col-matmul", im2col)]
    library = "scipy.signal" if like is None else parse_like(like)
    findings = [_flip_finding(x, kernel, corr_options, conv, corr, conv_plan, corr_plan, padding, library)]

    verdict, largest = agreement(im2col, corr)
    rows = corr_plan.weight.shape[1] * corr_plan.weight.shape[2] * corr_plan.weight.shape[3] * corr_plan.groups
    columns = corr_plan.output_hw[0] * corr_plan.output_hw[1]
    if verdict == "differ":
        findings.append(f"im2col-matmul differs from correlate2d here (largest difference {largest:.3g}).")
    else:
        findings.append(f"im2col-matmul equals correlate2d{_equal_words(verdict, largest)}: it forms the same sums "
                        f"of products, laid out as one matrix product W_row @ X_col "
                        f"({corr_plan.weight.shape[0]} x {rows} times {rows} x {columns}).")

    conv1x1 = _conv1x1_outcome(x, corr_options, corr_plan, corr)
    outcomes.append(conv1x1)
    if conv1x1.result is not None:
        verdict, largest = agreement(conv1x1.result, corr)
        if verdict == "differ":
            findings.append(f"conv1x1 differs from correlate2d here (largest difference {largest:.3g}).")
        else:
            findings.append(f"conv1x1 equals correlate2d{_equal_words(verdict, largest)}: with a 1x1 kernel each "
                            "output cell is the dot product of the depth vector at that pixel with the filter's "
                            "weights" + (", plus the bias." if bias is not None else "."))
    else:
        findings.append(f"conv1x1 was {conv1x1.reason}.")

    padding_words = f"padding '{padding}'" if isinstance(padding, str) and not padding[:1].isdigit() else f"padding {padding}"
    title = (f"compare: input {tuple(np.shape(x))}, kernel {tuple(np.shape(kernel))}, {padding_words}"
             + (f", boundary {corr_plan.boundary}" if any(corr_plan.pads) else "")
             + (f", like {library}" if like is not None else ""))
    return Comparison(title, tuple(outcomes), tuple(findings), _answer(x, kernel, conv_options, corr_plan))


def _result_grids(comparison: Comparison) -> list:
    ran = [o for o in comparison.outcomes if o.result is not None]
    if ran[0].result.ndim == 2:
        return [Grids(tuple(tr.matrix_grid(o.result, o.name) for o in ran))]
    blocks = []
    filters = ran[0].result.shape[0]
    for k in range(min(filters, MAX_FILTERS_SHOWN)):
        blocks.append(Grids(tuple(tr.matrix_grid(o.result[k], f"{o.name}, filter {k}") for o in ran)))
    if filters > MAX_FILTERS_SHOWN:
        blocks.append(Paragraph(f"({filters - MAX_FILTERS_SHOWN} more filters are not shown.)"))
    return blocks


def comparison_sections(comparison: Comparison) -> list[list]:
    """The comparison as sections of trace blocks (see ``trace_text``)."""
    results = [Heading(comparison.title)] + _result_grids(comparison)
    findings = [Heading("What agrees, and why")] + [Paragraph(f) for f in comparison.findings]
    answer = [Heading("What is computed")] + list(comparison.answer)
    return [results, findings, answer]


def comparison_text(comparison: Comparison, precision=None) -> str:
    """The comparison as plain text."""
    return "\n".join(blocks_text(s, precision) for s in comparison_sections(comparison)).rstrip("\n") + "\n"

