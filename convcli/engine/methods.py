"""Choose how to compute a correlation, and compute it that way.

Four ways give the same answer:

- ``direct``: `fast_direct`, the cache-tiled sum of shifted views (threads over
  bands; taps of 0 and +-1 cost nothing and little). Best for small kernels
  on large inputs.
- ``fft``: `fftconv`, overlap-save tiles through numpy.fft (large tiles in
  threads). Best for large kernels. For integers only when its error bound
  proves exactness.
- ``gemm``: `gemm`, banded im2col and one BLAS product per band. Best when
  many channels meet many filters (CNN layers), and on small inputs, where
  its few numpy calls cost less than direct's two per tap.
- the reference `direct.correlate_padded`, for exact Python numbers (dtype
  object: huge integers, fractions), whatever method is asked for: it is
  the one loop that works on them, and the FFT could not keep them exact.

``auto`` works like ``scipy.signal.choose_conv_method`` but models every
method's time from the problem's shape (not only the sizes: zero and +-1
taps, channels and filters, stride, dtype, threads) with constants measured
on a 2-core AMD EPYC (see benchmarks/sweep.py), and never trades exactness
for speed: integer problems use the FFT only when exact, and the GEMM in
float64 only when every partial sum stays below 2**53.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError
from . import fast_direct, fftconv, gemm
from .direct import correlate_padded
from .parallel import thread_count
from .plan import Plan

METHODS = ("auto", "direct", "fft", "gemm")

# Modelled seconds per unit of work, measured by benchmarks/sweep.py --calibrate.
DIRECT_SECONDS_PER_TAP = {"float32": 0.45e-9, "float64": 0.85e-9, "int64": 1.0e-9}  # per output and tap
DIRECT_SECONDS_PER_CALL = 3e-6  # numpy call overhead, two calls per tap and band
FFT_SECONDS_PER_UNIT = 0.45e-9  # per float64 point-pass of fftconv.fft_cost (float32 is scaled inside)
GEMM_FLOPS = {"float32": 120e9, "float64": 55e9, "int64": 0.7e9, "object": 0.0}  # two flops per multiply-add
GEMM_SECONDS_PER_COPY = {"float32": 0.3e-9, "float64": 0.5e-9}  # per X_col element written and read
GEMM_SECONDS_PER_BAND = 15e-6
FIXED_SECONDS = {"direct": 30e-6, "fft": 120e-6, "gemm": 40e-6}  # per call: set-up, planning, Python
THREAD_EFFICIENCY = 0.7
THREADS_PAY_FROM = 4e6  # outputs; below this, bands in threads gained nothing measurable
# Multiply-adds under which only per-call overhead counts, so the fewest numpy
# calls win: gemm's one copy and one product (~20 us on an 8x8 input), not
# direct's two ~3 us calls per tap, nor the FFT's transforms.
TINY_WORK = 100_000
# ... except that the smallest problems with kernels up to 3x3 take the direct
# path all the same: it adds in scipy's order, so floats equal scipy's bit for
# bit, for a few tens of microseconds more (the size of a worked example).
SCIPY_ORDER_WORK = 20_000
SCIPY_ORDER_KERNEL = (3, 3)


@dataclass(frozen=True)
class Choice:
    """The method a computation will use, and why."""

    method: str  # 'direct', 'fft', 'gemm' or 'reference'
    reason: str
    seconds: dict = field(default_factory=dict)  # modelled seconds of each method considered


def parse_method(value) -> str:
    """'auto', 'direct', 'fft' or 'gemm'; the error lists them."""
    key = str(value).strip().lower()
    if key not in METHODS:
        raise UsageError(f"method {value!r} is not one of {', '.join(METHODS)}")
    return key


def _kind(dtype) -> str:
    dtype = np.dtype(dtype)
    if dtype.kind == "O":
        return "object"
    if dtype.kind in "iu":
        return "int64"
    return "float32" if dtype == np.float32 else "float64"


def _geometry(padded: np.ndarray, weight: np.ndarray, stride, dilation):
    filters, per_group, kh, kw = weight.shape
    reach = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    out_hw = ((padded.shape[1] - reach[0]) // stride[0] + 1, (padded.shape[2] - reach[1]) // stride[1] + 1)
    return out_hw, reach


def direct_seconds(padded: np.ndarray, weight: np.ndarray, stride, dilation, threads: int) -> float:
    """Modelled time of `fast_direct.correlate`."""
    out_hw, _ = _geometry(padded, weight, stride, dilation)
    kind = _kind(padded.dtype)
    per_tap = DIRECT_SECONDS_PER_TAP.get(kind, DIRECT_SECONDS_PER_TAP["int64"])
    taps = fast_direct.effective_taps(weight)  # assumes finite floats, where zero taps are skipped
    filters = weight.shape[0]
    outputs = filters * out_hw[0] * out_hw[1]
    rows, cols = fast_direct.band_shape(out_hw[1], padded.itemsize)
    bands = filters * math.ceil(out_hw[0] / rows) * math.ceil(out_hw[1] / cols)
    parallel = min(threads, bands)
    speedup = 1 + (parallel - 1) * THREAD_EFFICIENCY * min(1.0, outputs / THREADS_PAY_FROM)
    compute = outputs * taps * per_tap + bands * 2 * max(1.0, taps) * DIRECT_SECONDS_PER_CALL
    return FIXED_SECONDS["direct"] + compute / speedup


def fft_seconds(padded: np.ndarray, weight: np.ndarray, dilation, groups: int, threads: int = 1) -> float:
    """Modelled time of `fftconv.correlate`."""
    single = _kind(padded.dtype) == "float32"
    cost = fftconv.fft_cost(tuple(padded.shape[1:]), tuple(weight.shape), tuple(dilation), groups, single, threads)
    return FIXED_SECONDS["fft"] + cost * FFT_SECONDS_PER_UNIT


def gemm_seconds(padded: np.ndarray, weight: np.ndarray, stride, dilation, groups: int) -> float:
    """Modelled time of `gemm.correlate`."""
    out_hw, _ = _geometry(padded, weight, stride, dilation)
    filters, per_group, kh, kw = weight.shape
    kind = _kind(gemm.compute_dtype(padded, weight))
    columns = out_hw[0] * out_hw[1]
    flops = 2.0 * filters * per_group * kh * kw * columns
    copies = per_group * kh * kw * columns * groups
    rate = GEMM_FLOPS.get(kind, 0.0)
    if rate == 0.0:
        return math.inf
    rows = gemm.band_rows(per_group * kh * kw * out_hw[1], padded.itemsize, gemm.BAND_BYTES)
    bands = groups * math.ceil(out_hw[0] / max(1, rows))
    copy = GEMM_SECONDS_PER_COPY.get(kind, GEMM_SECONDS_PER_COPY["float64"])
    return FIXED_SECONDS["gemm"] + flops / rate + copies * copy + bands * GEMM_SECONDS_PER_BAND


def modelled_seconds(plan: Plan, padded: np.ndarray, *, threads: int | None = None) -> dict:
    """The cost model's time for each of 'direct', 'gemm' and 'fft'."""
    return problem_seconds(padded, plan.weight, plan.stride, plan.dilation, plan.groups, threads)


def problem_seconds(padded: np.ndarray, weight: np.ndarray, stride, dilation, groups: int,
                    threads: int | None = None) -> dict:
    """`modelled_seconds` for a padded (C, Hp, Wp) input and a (K, C/g, kh, kw) weight."""
    threads = thread_count() if threads is None else threads
    return {
        "direct": direct_seconds(padded, weight, stride, dilation, threads),
        "gemm": gemm_seconds(padded, weight, stride, dilation, groups),
        "fft": fft_seconds(padded, weight, dilation, groups, threads),
    }


def choose(plan: Plan, padded: np.ndarray, requested: str = "auto", *, threads: int | None = None) -> Choice:
    """The method for this plan and padded input, honouring an explicit request.

    Raises UsageError when 'fft' is requested for an integer problem whose
    exactness the FFT error bound cannot prove, or 'fft' or 'gemm' for a
    float problem they would compute otherwise than a direct sum (see
    fftconv.float_hazard).
    """
    requested = parse_method(requested)
    weight = plan.weight
    exact = plan.dtype is object or padded.dtype.kind in "iu"
    if padded.dtype == object:
        if requested == "fft":
            raise UsageError(
                "method 'fft' cannot keep these numbers exact (they need Python integers or fractions); "
                "use method auto, direct or gemm"
            )
        return Choice("reference", "exact Python numbers (dtype object) always use the direct reference loop")
    if requested == "fft":
        hazard = _float_hazard(plan, padded, exact, fft=True)
        if hazard:
            raise UsageError(f"method 'fft' {FFT_HAZARDS[hazard]}; use method auto, direct or gemm")
        if exact and not fftconv.fft_is_exact(padded, weight, plan.dilation, plan.groups):
            bound = fftconv.fft_error_bound(padded, weight, plan.groups,
                                            fftconv.exact_tile(padded, weight, plan.dilation, plan.groups))
            raise UsageError(
                f"method 'fft' cannot prove these integers exact (error bound {bound:.3g} is not below "
                f"{fftconv.EXACT_LIMIT}); use method auto, direct or gemm, or give float input"
            )
        return Choice("fft", "requested")
    if requested == "direct":
        return Choice("direct", "requested")
    if requested == "gemm" or plan.operation == "im2col_matmul":
        hazard = _float_hazard(plan, padded, exact, fft=False)
        if hazard in DIRECT_HAZARDS and requested == "gemm":
            raise UsageError(f"method 'gemm' {GEMM_HAZARDS[hazard]}; use method auto or direct")
        if hazard in DIRECT_HAZARDS:  # im2col_matmul gives what correlate2d gives
            return Choice("direct", DIRECT_HAZARDS[hazard])
        return Choice("gemm", "requested" if requested == "gemm" else
                      "im2col_matmul is the GEMM method unless another is requested")

    out_hw, _ = _geometry(padded, weight, plan.stride, plan.dilation)
    work = weight.shape[0] * weight[0].size * out_hw[0] * out_hw[1]
    small = small_problem_method(work, weight.shape, plan.groups)
    if small == "direct":
        return Choice("direct", f"small problem ({work} multiply-adds): direct adds in scipy's order")
    if small == "gemm":
        hazard = _float_hazard(plan, padded, exact, fft=False)
        if hazard in DIRECT_HAZARDS:
            return Choice("direct", f"tiny problem, but {DIRECT_HAZARDS[hazard]}")
        return Choice("gemm", f"tiny problem ({work} multiply-adds): one copy and one product")

    seconds = modelled_seconds(plan, padded, threads=threads)
    fastest = min(seconds, key=seconds.get)

    if fastest == "fft" and exact and not fftconv.fft_is_exact(padded, weight, plan.dilation, plan.groups):
        del seconds["fft"]
        fastest = min(seconds, key=seconds.get)
        return Choice(fastest, "fastest modelled method that is provably exact (the FFT error bound is too large)",
                      seconds)
    hazard = None if fastest == "direct" else _float_hazard(plan, padded, exact, fft=fastest == "fft")
    if hazard in DIRECT_HAZARDS:
        return Choice("direct", DIRECT_HAZARDS[hazard], seconds)
    if hazard and fastest == "fft":
        del seconds["fft"]
        fastest = min(seconds, key=seconds.get)
        return Choice(fastest, f"fastest modelled method other than the FFT, which {FFT_HAZARDS[hazard]}", seconds)
    return Choice(fastest, "fastest modelled method", seconds)


def _float_hazard(plan: Plan, padded: np.ndarray, exact: bool, *, fft: bool) -> str | None:
    """fftconv.float_hazard for this plan's weight, dilation and groups; None
    for exact numbers, which have no rounding to fear."""
    return None if exact else fftconv.float_hazard(padded, plan.weight, plan.dilation, plan.groups, fft=fft)


FFT_HAZARDS = {  # fftconv.float_hazard's reasons, as the rest of a sentence
    "nonfinite": "would spread NaN or infinity to every output cell",
    "overflow": "could overflow to infinity or NaN on values this large, where a direct sum need not",
    "order": "could overflow to infinity or NaN on values this large, where scipy's order of summation need not",
    "underflow": "would lose precision on values this small (near the subnormal range), where a direct sum need not",
    "operand underflow": "would lose precision on an input channel or a filter this small (near the subnormal "
                         "range), where a direct sum need not",
}
GEMM_HAZARDS = {  # the reasons a requested 'gemm' is refused
    "order": FFT_HAZARDS["order"],
    "underflow": "would round otherwise than scipy on values this small (near the subnormal range), "
                 "where BLAS fuses each multiply and add",
}
DIRECT_HAZARDS = {  # float_hazard's reasons to sum directly whichever method is fastest
    "order": "values so large that a sum in another order than scipy's could overflow: direct, in scipy's order "
             "(exactly so for kernels up to 3 columns)",
    "underflow": "values so small (near the subnormal range) that the FFT or BLAS's fused multiply-adds "
                 "would round otherwise than scipy: direct",
}


def small_problem_method(work: int, weight_shape: tuple, groups: int) -> str | None:
    """auto's choice by size alone: 'direct' (in scipy's order) for the
    smallest one-filter problems with kernels up to 3x3, 'gemm' for other
    tiny ones, None when the cost model decides. (Floats near the float
    limit go direct instead of gemm; `choose` checks that.)"""
    filters, per_group, kh, kw = weight_shape
    if work <= SCIPY_ORDER_WORK and groups == 1 and (filters, per_group) == (1, 1) \
            and kh <= SCIPY_ORDER_KERNEL[0] and kw <= SCIPY_ORDER_KERNEL[1]:
        return "direct"
    if work <= TINY_WORK:
        return "gemm"
    return None


def correlate(plan: Plan, padded: np.ndarray, method: str = "auto") -> np.ndarray:
    """The valid correlation of `padded` with the plan's weight, (K, H', W'),
    in the plan's dtype, by the chosen method."""
    choice = choose(plan, padded, method)
    return run(choice.method, plan, padded)


def run(method: str, plan: Plan, padded: np.ndarray) -> np.ndarray:
    """Compute by one named method: 'direct', 'fft', 'gemm' or 'reference'.

    inf and nan propagate as in scipy.signal, without numpy's RuntimeWarnings
    (the CLI warns about them once, itself).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        return _run_method(method, plan, padded)


def view_geometry(padded_hw, k_hw, stride, dilation) -> tuple[tuple, tuple]:
    """(stride, dilation) giving the same output, small enough for numpy's
    strided views (a stride of 10**20 overflows them): a stride past the last
    window start, or the dilation of a one-tap kernel axis, changes nothing."""
    dilation = tuple(1 if k_hw[a] == 1 else dilation[a] for a in range(2))
    starts = [padded_hw[a] - dilation[a] * (k_hw[a] - 1) for a in range(2)]  # window starts at stride 1
    return tuple(min(stride[a], max(1, starts[a])) for a in range(2)), dilation


def _run_method(method: str, plan: Plan, padded: np.ndarray) -> np.ndarray:
    weight, groups = plan.weight, plan.groups
    stride, dilation = view_geometry(padded.shape[1:], weight.shape[2:], plan.stride, plan.dilation)
    if method == "reference" or padded.dtype == object:
        return correlate_padded(padded, weight, stride, dilation, groups)
    if method == "direct":
        return fast_direct.correlate(padded, weight, stride, dilation, groups, reverse_taps=plan.operation == "conv2d")
    if method == "gemm":
        return gemm.correlate(padded, weight, stride, dilation, groups)
    if method == "fft":
        try:
            return fftconv.correlate(padded, weight, stride, dilation, groups)
        except fftconv.RoundingCheckFailed:  # never seen; the bound has a wide margin
            return fast_direct.correlate(padded, weight, stride, dilation, groups)
    raise ValueError(f"unknown method {method!r}")
