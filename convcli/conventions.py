"""How each library pads, aligns and names things: scipy, numpy, matlab, torch, tf.

Pure: no typer, no rich. Every rule ends as explicit pads (before, after)
per axis, which the engine already accepts, so ``--like`` never changes
the engine. Every mode of every library here is a window of the zero-padded
'full' result, or the same window with another boundary rule, so explicit
pads can express each of them exactly.

===========  ==============================  ===========================
library      'same' pads before, after       also
===========  ==============================  ===========================
scipy        convolve2d: e//2, (e-1)//2      the engine's own rule
             correlate2d: (e-1)//2, e//2
numpy        k//2, (k-1)//2 (k <= n; both     1-row inputs only; no
             functions; see numpy_pads)      stride, no dilation
matlab       (e-1)//2, e//2 (conv2, filter2) 'same' starts at floor(k/2)
torch        t//2, t - t//2 with t = e-1     refused with stride > 1
tf           t//2, t - t//2 with             output ceil(i/s)
             t = max(0, (ceil(i/s)-1)*s + e - i)
===========  ==============================  ===========================

Here e = d*(k-1) + 1 is the dilated kernel size.
"""

from __future__ import annotations

from .engine.options import parse_boundary, parse_padding, parse_pair
from .engine.plan import effective_size
from .engine.plan import resolve_pads as scipy_resolve_pads
from .errors import UsageError

LIBRARIES = ("scipy", "numpy", "matlab", "torch", "tf")

# What each library calls each convcli boundary rule; None: it has no such rule.
BOUNDARY_TRANSLATION = {
    "fill": {"scipy": "fill", "numpy": "constant", "matlab": "X (a number)", "torch": "constant", "tf": "CONSTANT"},
    "wrap": {"scipy": "wrap", "numpy": "wrap", "matlab": "circular", "torch": "circular", "tf": None},
    "symmetric": {"scipy": "symm", "numpy": "symmetric", "matlab": "symmetric", "torch": None, "tf": "SYMMETRIC"},
    "reflect": {"scipy": None, "numpy": "reflect", "matlab": None, "torch": "reflect", "tf": "REFLECT"},
    "replicate": {"scipy": None, "numpy": "edge", "matlab": "replicate", "torch": "replicate", "tf": None},
}

BOUNDARY_EXAMPLES = {
    "fill": "v v | 1 2 3 | v v",
    "wrap": "2 3 | 1 2 3 | 1 2",
    "symmetric": "2 1 | 1 2 3 | 3 2",
    "reflect": "3 2 | 1 2 3 | 2 1",
    "replicate": "1 1 | 1 2 3 | 3 3",
}

# Where each library's boundary names come from.
BOUNDARY_SOURCES = {
    "scipy": "convolve2d's boundary=",
    "numpy": "np.pad modes",
    "matlab": "padarray and imfilter options",
    "torch": "F.pad modes",
    "tf": "tf.pad modes",
}

# The function each library computes each operation with.
FUNCTIONS = {
    "scipy": ("signal.convolve2d", "signal.correlate2d"),
    "numpy": ("np.convolve", "np.correlate"),
    "matlab": ("conv2(A, B)", "filter2(B, A)"),
    "torch": ("F.conv2d, weight flipped", "F.conv2d"),
    "tf": ("tf.nn.convolution, filter reversed", "tf.nn.convolution"),
}

SAME_RULES = {
    "scipy": "convolve2d pads e//2 before, (e-1)//2 after; correlate2d (e-1)//2 before, e//2 after",
    "numpy": "1 row, no stride or dilation; max(n, k) long; for k <= n both pad k//2 before, (k-1)//2 after",
    "matlab": "'full' from index floor(k/2) on: (e-1)//2 before, e//2 after, for conv2 and filter2 alike",
    "torch": "total = e-1: total//2 before, the rest after; refused with stride > 1",
    "tf": "ceil(i/s) outputs; total = max(0, (ceil(i/s)-1)*s + e - i): total//2 before, the rest after",
}

TORCH_STRIDE_ERROR = "padding='same' is not supported for strided convolutions"


def parse_like(value) -> str:
    """A library name from LIBRARIES; None means scipy, the default."""
    if value is None:
        return "scipy"
    key = str(value).strip().lower()
    aliases = {"tensorflow": "tf", "pytorch": "torch", "octave": "matlab", "np": "numpy"}
    key = aliases.get(key, key)
    if key not in LIBRARIES:
        raise UsageError(f"--like {value!r} is not one of {', '.join(LIBRARIES)}")
    return key


def _is_convolution(operation: str) -> bool:
    return operation.replace("-", "_") == "conv2d"


def numpy_pads(mode: str, convolve: bool, n: int, k: int) -> tuple[int, int]:
    """Pads before and after that turn np.convolve/np.correlate(x, v, mode)
    into a valid correlation of the padded row (len(x) = n, len(v) = k).

    numpy swaps its inputs when v is the longer one, so every mode is a
    window of the 'full' result: 'valid' is |n - k| + 1 long and 'same'
    max(n, k) long.

    Examples
    --------
    >>> numpy_pads("same", False, 6, 2)  # the extra cell goes before, unlike scipy's correlate2d
    (1, 0)
    >>> numpy_pads("valid", True, 2, 4)  # the kernel is the longer: numpy swaps
    (2, 2)
    """
    full = n + k - 1
    if mode == "full":
        return k - 1, k - 1
    if mode == "valid":
        length, start = abs(n - k) + 1, min(n, k) - 1
    else:
        length = max(n, k)
        if convolve:
            start = (min(n, k) - 1) // 2
        else:
            start = (k - 1) // 2 if k <= n else n // 2
    return k - 1 - start, k - 1 - (full - length - start)


def axis_pads(library: str, operation: str, word: str, input_size: int, kernel_size: int,
              stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Pads (before, after) on one axis for a padding word under `library`.

    Examples
    --------
    >>> axis_pads("tf", "correlate2d", "same", 224, 7, stride=2)
    (2, 3)
    >>> axis_pads("matlab", "conv2d", "same", 6, 2), axis_pads("scipy", "conv2d", "same", 6, 2)
    ((0, 1), (1, 0))
    """
    size = effective_size(kernel_size, dilation)
    if library == "numpy":
        check_numpy_geometry(library, stride, dilation)
        return numpy_pads(word, _is_convolution(operation), input_size, kernel_size)
    if word == "valid":
        return 0, 0
    if word == "full":
        return size - 1, size - 1
    if library == "scipy":
        small, large = (size - 1) // 2, size // 2
        return (large, small) if _is_convolution(operation) else (small, large)
    if library == "matlab":
        return (size - 1) // 2, size // 2
    if library == "torch":
        if stride != 1:
            raise UsageError(f"--like torch: {TORCH_STRIDE_ERROR} (stride {stride})")
        total = size - 1
        return total // 2, total - total // 2
    if library == "tf":
        outputs = -(-input_size // stride)
        total = max(0, (outputs - 1) * stride + size - input_size)
        return total // 2, total - total // 2
    raise UsageError(f"--like {library!r} is not one of {', '.join(LIBRARIES)}")


def check_boundary(library: str, boundary: str) -> str:
    """The canonical boundary rule, refused if `library` has no name for it."""
    rule = parse_boundary(boundary)
    if BOUNDARY_TRANSLATION[rule][library] is None:
        names = [names[library] for names in BOUNDARY_TRANSLATION.values() if names[library]]
        raise UsageError(
            f"--like {library}: {library} has no {boundary!r} boundary"
            f"{'' if str(boundary).strip().lower() == rule else f' ({rule})'}; it has "
            f"{', '.join(names)} ({BOUNDARY_SOURCES[library]})"
        )
    return rule


# Boundary rules whose pads a library bounds by the input's size: True when
# they must be smaller than it (torch's F.pad and tf.pad reflect), False
# when they may equal it.
PAD_LIMITS = {"torch": {"reflect": True, "wrap": False}, "tf": {"reflect": True, "symmetric": False}}


def check_pad_limits(library: str, rule: str, pads, input_hw, prefix: str) -> None:
    """Refuse pads that `library` refuses for boundary `rule` (canonical name)."""
    strict = PAD_LIMITS.get(library, {}).get(rule)
    if strict is None:
        return
    height, width = input_hw
    top, bottom, left, right = pads
    excess = max(max(top, bottom) - height, max(left, right) - width)
    if excess >= 0 if strict else excess > 0:
        limit = "smaller than" if strict else "at most"
        raise UsageError(f"{prefix}: {library} needs {rule} pads {limit} the input ({height}x{width}), "
                         f"got (top, bottom, left, right) {tuple(pads)}")


def check_shapes(library: str, x_shape, kernel_shape) -> None:
    """Refuse what `library` cannot take: numpy works on single rows only."""
    if library != "numpy":
        return
    if len(x_shape) != 2 or len(kernel_shape) != 2 or x_shape[0] != 1 or kernel_shape[0] != 1:
        raise UsageError(
            f"--like numpy follows np.convolve/np.correlate, which take one row; "
            f"got input {tuple(x_shape)} and kernel {tuple(kernel_shape)}"
        )


def resolve_pads(library: str, operation: str, padding, input_hw, kernel_hw, stride=1, dilation=1):
    """(top, bottom, left, right) for `padding` under `library`.

    Explicit pads are returned as given; a padding word follows the library.

    Examples
    --------
    >>> resolve_pads("tf", "correlate2d", "same", (224, 224), (7, 7), stride=2)
    (2, 3, 2, 3)
    >>> resolve_pads("torch", "correlate2d", "same", (1, 6), (1, 2))
    (0, 0, 0, 1)
    """
    library = parse_like(library)
    spec = parse_padding(padding)
    stride, dilation = parse_pair(stride, "stride"), parse_pair(dilation, "dilation")
    if not isinstance(spec, str):
        check_numpy_geometry(library, stride, dilation)
        return spec
    if library == "scipy":
        # exactly the engine's own rule, so --like scipy is the default
        return scipy_resolve_pads(spec, operation, tuple(kernel_hw), dilation)
    rows = axis_pads(library, operation, spec, input_hw[0], kernel_hw[0], stride[0], dilation[0])
    cols = axis_pads(library, operation, spec, input_hw[1], kernel_hw[1], stride[1], dilation[1])
    return rows + cols


def check_numpy_geometry(library: str, stride, dilation) -> None:
    """np.convolve has neither a stride nor a dilation (one axis's ints, or pairs)."""
    if library == "numpy" and {stride, dilation} - {1, (1, 1)}:
        raise UsageError(f"--like numpy: np.convolve has no stride or dilation (got stride {stride}, dilation {dilation})")


def check_tf_atrous(library: str, stride, dilation, option: str = "--like") -> None:
    stride, dilation = parse_pair(stride, "stride"), parse_pair(dilation, "dilation")
    if library == "tf" and max(stride) > 1 and max(dilation) > 1:
        raise UsageError(
            f"{option} tf: TensorFlow does not stride a dilated convolution (stride {stride}, dilation {dilation}); "
            "tf.nn.convolution: output striding is not supported for atrous convolutions"
        )


def engine_padding(like, operation: str, padding, x_shape, kernel_shape, *, stride=1, dilation=1, boundary="fill"):
    """What to pass the engine as `padding` for a computation done ``--like``.

    ``like=None`` (no --like given) returns `padding` unchanged, so the
    default stays exactly the engine's scipy behaviour. Otherwise the
    library's rules are checked (numpy takes one row, torch refuses 'same'
    with a stride, a boundary that pads must be one the library has) and the padding
    word becomes explicit (top, bottom, left, right) pads.

    Examples
    --------
    >>> engine_padding("matlab", "conv2d", "same", (1, 6), (1, 2))
    (0, 0, 0, 1)
    >>> engine_padding(None, "conv2d", "same", (1, 6), (1, 2))
    'same'
    """
    if like is None:
        return padding
    library = parse_like(like)
    check_shapes(library, x_shape, kernel_shape)
    rule = parse_boundary(boundary)
    check_tf_atrous(library, stride, dilation)
    if len(x_shape) < 2 or len(kernel_shape) < 2:
        return padding  # the engine names the bad shape
    pads = resolve_pads(library, operation, padding, tuple(x_shape[-2:]), tuple(kernel_shape[-2:]), stride, dilation)
    if any(pads):  # with no padding the boundary rule is never used, so any name will do
        check_boundary(library, boundary)
    check_pad_limits(library, rule, pads, tuple(x_shape[-2:]), f"--like {library}")
    return pads


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def describe() -> str:
    """The text of ``convcli conventions``: boundary names and 'same' rules side by side."""
    lines = ["Boundary rules: what fills the padding, and each library's name for it ('-': it has none)", ""]
    header = ["convcli", "example (pad 2)"] + list(LIBRARIES)
    rows = [
        [rule, BOUNDARY_EXAMPLES[rule]] + [names[lib] or "-" for lib in LIBRARIES]
        for rule, names in BOUNDARY_TRANSLATION.items()
    ]
    lines += _table(header, rows)
    lines += [
        "",
        "Any of these names works with --boundary (also symm, circular, edge, constant, zeros).",
        "With --like LIB the rule must be one LIB has. Beware scipy.ndimage, which --like scipy does not follow:",
        "its 'reflect' is convcli's symmetric, its 'mirror' is reflect and its 'nearest' is replicate.",
        "",
        "'same' padding, per axis (e = d*(k-1)+1 is the dilated kernel size, i the input size, s the stride)",
        "",
    ]
    lines += _table(["--like", "'same'"], [[lib, SAME_RULES[lib]] for lib in LIBRARIES])
    lines += ["", "What each --like follows:", ""]
    lines += _table(["--like", "conv2d", "correlate2d, im2col-matmul"], [[lib, *FUNCTIONS[lib]] for lib in LIBRARIES])
    lines += [
        "",
        "'full' pads e-1 on both sides everywhere ('full' has no torch or tf spelling: it is padding=e-1);",
        "'valid' pads nothing. numpy swaps a kernel longer than its input (--like numpy too); scipy.signal",
        "swaps one larger in every axis, which convcli refuses rather than silently follow.",
        "Worked: [1 2 3 4 5 6] with kernel [1 10], padding same:",
        "",
    ]
    lines += _table(
        ["--like", "conv2d", "correlate2d"],
        [[lib, _worked(lib, "conv2d"), _worked(lib, "correlate2d")] for lib in LIBRARIES],
    )
    return "\n".join(lines) + "\n"


def _worked(library: str, operation: str) -> str:
    from . import engine

    row, kernel = [[1, 2, 3, 4, 5, 6]], [[1, 10]]
    pads = resolve_pads(library, operation, "same", (1, 6), (1, 2))
    values = getattr(engine, operation)(row, kernel, padding=pads)[0]
    return f"{' '.join(str(v) for v in values.tolist())}  (pads {pads[2]}+{pads[3]})"
