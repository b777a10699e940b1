"""``--emit-code``: a short program that computes convcli's result in another library.

Pure: no typer, no rich; it returns the program as text. Every program embeds
its inputs, pads them explicitly (so the alignment of every ``--like`` and
every boundary rule is visible), flips the kernel explicitly where the
library's function would not, strides and dilates, and prints the result as
a nested list. Where the library's own one-liner would give the same numbers,
a comment says so; where its own 'same' would align differently, a comment
says that instead. What a library cannot express is refused with a
UsageError naming the reason.

The program reproduces the result convcli prints for the same command:
``--like`` chooses the conventions, ``--emit-code`` only the language.

This module holds the shared parts and the scipy program; numpy's is in
`emit_numpy`, torch's, TensorFlow's and MATLAB's in `emit_frameworks`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .conventions import BOUNDARY_TRANSLATION, engine_padding, parse_like, resolve_pads
from .engine.plan import Plan, effective_size, make_plan
from .errors import UsageError

EMIT_LIBRARIES = ("scipy", "numpy", "torch", "tf", "matlab")
FLOAT64_EXACT = 2**53


@dataclass(frozen=True)
class Problem:
    """A validated plan, seen the way a program in another library needs it."""

    plan: Plan
    word: str | None  # the padding word the user gave, if any
    like: str

    @property
    def operation(self) -> str:
        return self.plan.operation

    @property
    def flip(self) -> bool:
        return self.plan.flipped

    @property
    def two_d(self) -> bool:
        return self.plan.output_2d

    @property
    def depthwise(self) -> bool:
        """One 2-D kernel applied to each channel of a (C, H, W) input."""
        return self.plan.kernel_as_given.ndim == 2 and not self.plan.output_2d

    @property
    def kernel2d(self) -> np.ndarray:
        weight = self.plan.weight[..., ::-1, ::-1] if self.flip else self.plan.weight
        return np.asarray(weight[0, 0])

    @property
    def weight(self) -> np.ndarray:
        """(K, C/groups, kh, kw) as the user gave it (not flipped)."""
        return np.asarray(self.plan.weight[..., ::-1, ::-1] if self.flip else self.plan.weight)

    @property
    def x(self) -> np.ndarray:
        return self.plan.x[0] if self.two_d else self.plan.x

    @property
    def integer(self) -> bool:
        return self.plan.dtype is np.int64

    @property
    def float32(self) -> bool:
        return self.plan.dtype is np.float32

    @property
    def pads(self):
        return self.plan.pads

    @property
    def padded(self) -> bool:
        return any(self.plan.pads)

    @property
    def boundary(self) -> str:
        return self.plan.boundary

    @property
    def fill(self):
        value = self.plan.fill_value
        return int(value) if self.integer else float(value)

    @property
    def stride(self):
        return self.plan.stride

    @property
    def dilation(self):
        return self.plan.dilation

    @property
    def reach(self) -> tuple[int, int]:
        kh, kw = self.plan.weight.shape[2:]
        return effective_size(kh, self.dilation[0]), effective_size(kw, self.dilation[1])

    @property
    def bias(self):
        return None if self.plan.bias is None else np.asarray(self.plan.bias)

    @property
    def plus_bias(self) -> str:
        """What a "the same as <one-liner>" comment adds when the program adds a bias."""
        return "" if self.plan.bias is None else " + bias"

    def pads_comment(self, prefix: str) -> str:
        top, bottom, left, right = self.pads
        rule = f"filled with {self.fill}" if self.boundary == "fill" else f"filled by the {self.boundary} rule"
        source = f"pad for {self.word!r} --like {self.like}" if self.word else "pad"
        return f"{prefix} {source}: rows {top} above, {bottom} below; columns {left} left, {right} right; {rule}"


def emit_program(library: str, operation: str, x, kernel, *, padding="valid", boundary="fill", fill_value=0,
                 stride=1, dilation=1, groups=1, bias=None, like=None) -> str:
    """A self-contained program, in `library`, that prints convcli's result.

    Parameters
    ----------
    library : str
        scipy, numpy, torch, tf or matlab.
    operation : str
        conv2d, correlate2d or im2col_matmul.
    x, kernel, padding, boundary, fill_value, stride, dilation, groups, bias
        As for :func:`convcli.conv2d`.
    like : str, optional
        Whose conventions the result follows (default scipy), as ``--like``.

    Returns
    -------
    str
        The program's text.

    Examples
    --------
    >>> print(emit_program("numpy", "conv2d", [[1, 2, 3]], [[1, 10]]))  # doctest: +ELLIPSIS
    import numpy as np
    ...
    result = np.convolve(padded, kernel, mode="valid")  # np.convolve flips the kernel; np.correlate would not
    ...
    """
    key = str(library).strip().lower()
    key = {"tensorflow": "tf", "pytorch": "torch", "octave": "matlab"}.get(key, key)
    if key not in EMIT_LIBRARIES:
        raise UsageError(f"--emit-code {library!r} is not one of {', '.join(EMIT_LIBRARIES)}")
    operation = operation.replace("-", "_")
    x_shape, k_shape = np.shape(x), np.shape(kernel)
    explicit = engine_padding(like, operation, padding, x_shape, k_shape, stride=stride, dilation=dilation,
                              boundary=boundary)
    if len(x_shape) >= 2 and len(k_shape) >= 2 and isinstance(explicit, str):
        explicit = resolve_pads("scipy", operation, explicit, x_shape[-2:], k_shape[-2:], stride, dilation)
    plan = make_plan(operation, x, kernel, padding=explicit, boundary=boundary, fill_value=fill_value,
                     stride=stride, dilation=dilation, groups=groups, bias=bias)
    if plan.dtype is object:
        raise UsageError(
            f"--emit-code {key}: these numbers need exact arithmetic (integers beyond int64 or fractions), "
            "which the emitted program would round"
        )
    word = padding.strip().lower() if isinstance(padding, str) and padding.strip().lower() in ("valid", "same", "full") else None
    problem = Problem(plan, word, parse_like(like))
    if key == "scipy":
        program = _scipy(problem)
    elif key == "numpy":
        from .emit_numpy import numpy_program  # here: emit_numpy builds on this module

        program = numpy_program(problem)
    else:
        from .emit_frameworks import FRAMEWORK_EMITTERS

        program = FRAMEWORK_EMITTERS[key](problem)
    return program.rstrip("\n") + "\n"


# ---------------------------------------------------------------- literals

def py_number(value) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return 'float("nan")'
    if math.isinf(value):
        return 'float("inf")' if value > 0 else '-float("inf")'
    return repr(float(value))


def py_nested(values, indent: str = "") -> str:
    if not isinstance(values, list):
        return py_number(values)
    inline = "[" + ", ".join(py_nested(v) for v in values) + "]"
    if len(inline) + len(indent) <= 88 or not isinstance(values[0], list):
        return inline
    inner = indent + "    "
    return "[\n" + "".join(f"{inner}{py_nested(v, inner)},\n" for v in values) + indent + "]"


def py_array(name: str, array: np.ndarray, make: str, dtype: str | None, comment: str = "") -> str:
    dtype_text = f", dtype={dtype}" if dtype else ""
    tail = f"  # {comment}" if comment else ""
    return f"{name} = {make}({py_nested(array.tolist())}{dtype_text}){tail}"


def _slice(stride, leading: int = 0) -> str:
    if stride == (1, 1):
        return ""
    return "[" + ":, " * leading + f"::{stride[0]}, ::{stride[1]}]"


def exact_in_float64(p: Problem, library: str) -> None:
    """Refuse integer problems that float64 arithmetic could round."""
    if not p.integer:
        return
    values = [abs(int(v)) for v in (p.plan.x.max(), p.plan.x.min(), p.fill)]
    weights = [abs(int(p.plan.weight.max())), abs(int(p.plan.weight.min()))]
    terms = int(np.prod(p.plan.weight.shape[1:]))
    extra = 0 if p.bias is None else int(np.abs(p.bias).max())
    if max(values) * max(weights) * terms + extra >= FLOAT64_EXACT:
        raise UsageError(f"--emit-code {library}: the sums may pass 2**53, where {library}'s float64 arithmetic rounds")


def bias_lines(p: Problem, make: str, dtype: str | None) -> list[str]:
    if p.bias is None:
        return []
    if p.two_d:
        return [f"bias = {py_number(p.bias.tolist()[0])}"]
    return [py_array("bias", p.bias, make, dtype, "one value per output channel")]


def own_mode_note(p: Problem, library: str, call: str) -> list[str]:
    """A comment: the library's own one-liner equals this, or its own 'same' differs."""
    if p.word is None:
        return []
    try:
        own = resolve_pads(library, p.operation, p.word,
                           p.plan.x.shape[1:], p.plan.weight.shape[2:], p.stride, p.dilation)
    except UsageError:
        return []
    if own == tuple(p.pads):
        return [f"# {call}{p.plus_bias}"] if call else []
    top, bottom, left, right = own
    return [f"# {library}'s own {p.word!r} would pad {top} above, {bottom} below, {left} left, {right} right here; "
            f"add --like {library} for that"]


# ---------------------------------------------------------------- scipy

def np_pad_lines(p: Problem, source: str = "x") -> list[str]:
    if not p.padded:
        return [f"padded = {source}"]
    top, bottom, left, right = p.pads
    widths = f"(({top}, {bottom}), ({left}, {right}))" if p.two_d else f"((0, 0), ({top}, {bottom}), ({left}, {right}))"
    mode = BOUNDARY_TRANSLATION[p.boundary]["numpy"]
    extra = f", constant_values={py_number(p.fill)}" if mode == "constant" else ""
    return [p.pads_comment("#"), f'padded = np.pad({source}, {widths}, mode="{mode}"{extra})']


def _np_dilate(p: Problem, name: str) -> list[str]:
    if p.dilation == (1, 1):
        return []
    dh, dw = p.dilation
    eh, ew = p.reach
    lead = "" if name == "kernel" else "*{0}.shape[:-2], ".format(name)
    index = "[::{0}, ::{1}]".format(dh, dw) if name == "kernel" else "[..., ::{0}, ::{1}]".format(dh, dw)
    return [
        f"# dilation {dh},{dw}: spread the taps out with zeros between them",
        f"dilated = np.zeros(({lead}{eh}, {ew}), dtype={name}.dtype)",
        f"dilated{index} = {name}",
        f"{name} = dilated",
    ]


def np_input_lines(p: Problem) -> list[str]:
    """The embedded numpy arrays: x and a 2-D kernel, or x and (K, C/groups, kh, kw) weights; then the bias."""
    dtype = "np.float32" if p.float32 else None
    if p.two_d or p.depthwise:
        lines = [py_array("x", p.x, "np.array", dtype, "(C, H, W)" if p.depthwise else ""),
                 py_array("kernel", p.kernel2d, "np.array", dtype)]
    else:
        lines = [py_array("x", p.x, "np.array", dtype, "(C, H, W)"),
                 py_array("weight", p.weight, "np.array", dtype, "(K, C/groups, kh, kw)")]
    return lines + bias_lines(p, "np.array", dtype) + [""]


def _scipy(p: Problem) -> str:
    lines = ["import numpy as np", "from scipy import signal", ""] + np_input_lines(p)
    lines += _np_dilate(p, "kernel" if (p.two_d or p.depthwise) else "weight")
    lines += np_pad_lines(p)
    function = "signal.convolve2d" if p.flip else "signal.correlate2d"
    if p.operation == "im2col_matmul":
        lines.append("# im2col-matmul gives exactly this correlation, computed as one matrix product")
    lines.append("# convolve2d flips the kernel in both axes; correlate2d would not" if p.flip
                 else "# correlate2d slides the kernel as given, no flip")
    if p.two_d:
        lines.append(f'result = {function}(padded, kernel, mode="valid"){_slice(p.stride)}')
    elif p.depthwise:
        lines.append(f'result = np.stack([{function}(channel, kernel, mode="valid") for channel in padded])'
                     f'{_slice(p.stride, 1)}')
    else:
        channels = "padded" if p.plan.groups == 1 else "padded[k // filters_per_group * per_group:]"
        if p.plan.groups > 1:
            lines.append(f"# groups={p.plan.groups}: filter k reads only the input channels of its group")
            lines.append("per_group, filters_per_group = weight.shape[1], len(weight) // "
                         f"{p.plan.groups}")
        lines += [
            "result = np.stack([",
            f'    sum({function}(channel, taps, mode="valid") for channel, taps in zip({channels}, weight[k]))',
            "    for k in range(len(weight))",
            f"]){_slice(p.stride, 1)}",
        ]
    if p.bias is not None:
        lines.append("result = result + bias" + ("" if p.two_d else "[:, None, None]"))
    lines += own_mode_note(p, "scipy", _scipy_call(p))
    lines.append("print(result.tolist())")
    return "\n".join(lines)


def _scipy_call(p: Problem) -> str:
    if not p.two_d or p.stride != (1, 1) or p.dilation != (1, 1) or p.operation == "im2col_matmul":
        return ""
    function = "signal.convolve2d" if p.flip else "signal.correlate2d"
    options = f'mode="{p.word}"'
    if p.padded:
        if p.boundary not in ("fill", "wrap", "symmetric"):
            return ""
        height, width = p.x.shape
        if max(p.pads[:2]) >= height or max(p.pads[2:]) >= width:
            return ""  # scipy's symm/wrap differ from np.pad's once the pad outgrows the input
        if p.boundary != "fill":
            options += f', boundary="{BOUNDARY_TRANSLATION[p.boundary]["scipy"]}"'
        elif p.fill != 0:
            options += f", fillvalue={py_number(p.fill)}"
    return f"the same as {function}(x, kernel, {options})"
