"""The FFT method (numpy.fft only), with exact integers when provably safe.

Correlation is a product in the frequency domain: ``irfft2(rfft2(x) *
conj(rfft2(k)))`` is the circular correlation, and its 'valid' part has no
wrap-around as long as the transform is at least as long as the input. So a
tile of T rows gives T - reach + 1 valid rows, and large inputs are cut into
overlapping tiles (overlap-save): small transforms stay in the cache and
their lengths can be chosen freely among the fast ones.

Exact integers. An integer problem goes through the FFT only when
`fft_error_bound` proves that every computed value is within 1/8 of the
exact integer, so ``np.rint`` recovers it. The bound follows Percival's
analysis of FFT-based convolution (C. Percival, "Rapid multiplication modulo
the sum and difference of highly composite numbers", Math. Comp. 72, 2003,
Theorem 5.1): for a length-N radix-2 FFT in IEEE arithmetic with unit
roundoff eps and accurate twiddles,

    max |computed - exact| <= ||x||_2 * ||k||_2 * ((1+eps)^3n (1+eps*sqrt 5)^(3n+1) (1+beta)^3n - 1)
                           ~= ||x||_2 * ||k||_2 * eps * 12.7 * log2 N.

pocketfft mixes radices 2 to 11, and we add one level for the real/complex
packing of rfft, one per channel summed in the frequency domain, and take
twice Percival's constant: ``24 * eps * (log2 N + 2 + channels)``. Using the
norms of the whole (group of the) input bounds every tile, and the margin of
1/8 against the 1/2 that rounding needs leaves a factor of four more. After
rounding, the largest distance to the nearest integer is checked as well;
if it ever exceeded 1/4 the caller recomputes directly.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .parallel import Progress, run_parallel, thread_count

EPS64 = 2.0**-53
ERROR_PER_LEVEL = 24.0  # twice Percival's ~12.7 for radix 2
EXACT_LIMIT = 0.125  # the proven error must be below this to round to the exact integer
ROUNDING_CHECK = 0.25  # measured distance to the nearest integer that triggers a recompute
KERNEL_SPECTRA_BYTES = 256 * 2**20  # above this, kernel spectra are made per tile instead of kept
MAX_TILE = 1024

_SMOOTH_COST = {5: 1.0, 7: 1.12, 11: 1.12}  # pocketfft: 7- and 11-smooth lengths cost ~12% more per point


def _largest_prime_factor_at_most(n: int, limit: int) -> bool:
    for p in (2, 3, 5, 7, 11):
        if p > limit:
            break
        while n % p == 0:
            n //= p
    return n == 1


def smoothness(n: int) -> int | None:
    """5, 7 or 11: the largest prime factor class of n, or None if n has a larger one."""
    for limit in (5, 7, 11):
        if _largest_prime_factor_at_most(n, limit):
            return limit
    return None


def next_fast_len(n: int) -> int:
    """The smallest even 5-smooth number (2^a 3^b 5^c) at least `n`.

    >>> next_fast_len(2078), next_fast_len(1025)
    (2160, 1080)
    """
    n = max(2, int(n))
    while True:
        if n % 2 == 0 and smoothness(n) == 5:
            return n
        n += 1


@functools.lru_cache(maxsize=1024)
def length_cost(n: int) -> float:
    """Relative cost of one FFT pass of length n, per point: log2(n) times a
    factor for 7/11-smooth lengths, which pocketfft runs slower."""
    return math.log2(max(n, 2)) * _SMOOTH_COST[smoothness(n)]


@functools.lru_cache(maxsize=1024)
def fast_len(n: int) -> int:
    """The cheapest even 11-smooth length at least `n`, weighing the extra
    length against the slower 7- and 11-smooth transforms.

    >>> fast_len(2078), fast_len(1000)
    (2160, 1000)
    """
    limit = next_fast_len(n)
    best, best_cost = limit, limit * length_cost(limit)
    for length in range(max(2, n + n % 2), limit, 2):
        if smoothness(length) is not None:
            cost = length * length_cost(length)
            if cost < best_cost:
                best, best_cost = length, cost
    return best


def dilate(weight: np.ndarray, dilation) -> np.ndarray:
    """The kernel with dilation-1 zeros between taps."""
    if dilation == (1, 1):
        return weight
    filters, per_group, kh, kw = weight.shape
    out = np.zeros((filters, per_group, dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1), dtype=weight.dtype)
    out[:, :, :: dilation[0], :: dilation[1]] = weight
    return out


def _tile_candidates(needed: int, reach: int) -> list[int]:
    """Tile lengths worth trying along one axis: fast lengths from a little
    over the kernel up to MAX_TILE, and the one length that covers it all."""
    whole = fast_len(needed)
    low = max(16, 2 * reach)
    lengths = {whole}
    length = fast_len(low)
    while length < min(whole, MAX_TILE):
        lengths.add(length)
        length = fast_len(int(length * 1.15) + 1)
    return sorted(lengths)


def _tiles(span: int, step: int) -> int:
    return -(-span // step)


CALL_UNITS = 5e4  # Python and numpy overhead of one transform call, in point-passes (~20 us)
PRODUCT_CALL_UNITS = 8e3  # ... of one spectrum product (~4 us)
SINGLE_POINT_SCALE = 0.6  # float32 transforms and products cost this much per point, calls the same
# Tiles run in threads (numpy's transforms release the GIL) when each holds at
# least this many points and each thread gets two tiles or more: smaller tiles
# spend their time in Python calls, which take turns on the GIL, and two tiles
# in two threads (256x256 inputs) measured 0.8-1.1x the time of one thread.
THREADED_TILE_POINTS = 36_000
THREAD_EFFICIENCY = 0.5  # two threads ran large tiles 1.4-1.6x faster than one (memory bandwidth)
THREAD_START_UNITS = 1e5  # starting the threads (~50 us)


def tile_threads(tile, count: int, threads: int) -> int:
    """How many threads `correlate` runs `count` tiles of `tile` in."""
    return max(1, min(threads, count // 2)) if tile[0] * tile[1] >= THREADED_TILE_POINTS else 1


def tile_cost(tile, out_hw, reach, transforms: int, pairs: int = 1, single: bool = False, threads: int = 1) -> float:
    """Model of the time, in units of one FFT point-pass, for tiles of
    `tile` = (T1, T2) to cover a stride-1 output of `out_hw`, with
    `transforms` forward and inverse transforms and `pairs` (filter,
    channel) spectrum products per tile; `single` for float32. With
    several threads, the tiles' arithmetic is shared among them (the
    busiest takes ceil(count / threads) tiles) and their Python calls are not."""
    steps = (tile[0] - reach[0] + 1, tile[1] - reach[1] + 1)
    if min(steps) < 1:
        return math.inf
    count = _tiles(out_hw[0], steps[0]) * _tiles(out_hw[1], steps[1])
    points = tile[0] * tile[1]
    per_point = length_cost(tile[0]) + length_cost(tile[1])
    scale = SINGLE_POINT_SCALE if single else 1.0
    cache = 1.0 if points * 16 * scale <= 4 * 2**20 else 1.35  # one complex tile beyond L3-per-core share
    # complex multiply-adds of the products on half the points
    arithmetic = transforms * points * per_point * cache * scale + pairs * points * 0.75 * scale
    calls = transforms * CALL_UNITS + pairs * PRODUCT_CALL_UNITS
    used = tile_threads(tile, count, threads)
    if used == 1:
        return count * (arithmetic + calls)
    busiest = _tiles(count, used) * used / (1 + (used - 1) * THREAD_EFFICIENCY)
    return busiest * arithmetic + count * calls + THREAD_START_UNITS


@functools.lru_cache(maxsize=256)
def choose_tile(out_hw: tuple, reach: tuple, transforms: int = 2, pairs: int = 1, single: bool = False,
                threads: int = 1) -> tuple[int, int]:
    """The tile (T1, T2) of least modelled cost for a stride-1 output `out_hw`."""
    needed = (out_hw[0] + reach[0] - 1, out_hw[1] + reach[1] - 1)
    best, best_cost = None, math.inf
    columns = _tile_candidates(needed[1], reach[1])
    for t1 in _tile_candidates(needed[0], reach[0]):
        for t2 in columns:
            cost = (tile_cost((t1, t2), out_hw, reach, transforms, pairs, single, threads)
                    + spectra_cost((t1, t2), pairs, single))
            if cost < best_cost:
                best, best_cost = (t1, t2), cost
    return best


def spectra_cost(tile, pairs: int, single: bool = False) -> float:
    """The kernels' spectra, made once per call, in one transform call."""
    scale = SINGLE_POINT_SCALE if single else 1.0
    return pairs * tile[0] * tile[1] * (length_cost(tile[0]) + length_cost(tile[1])) * scale + CALL_UNITS


def _problem(weight_shape, dilation, groups, padded_hw):
    filters, per_group, kh, kw = weight_shape
    reach = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    out_hw = (padded_hw[0] - reach[0] + 1, padded_hw[1] - reach[1] + 1)
    transforms = per_group * groups + filters  # forward per channel, inverse per filter
    return reach, out_hw, transforms, filters * per_group


@functools.lru_cache(maxsize=256)
def fft_cost(padded_hw: tuple, weight_shape: tuple, dilation: tuple, groups: int, single: bool = False,
             threads: int = 1) -> float:
    """Modelled cost (float64 FFT point-passes) of `correlate` on this problem."""
    reach, out_hw, transforms, pairs = _problem(weight_shape, dilation, groups, padded_hw)
    tile = choose_tile(out_hw, reach, transforms, pairs, single, threads)
    return tile_cost(tile, out_hw, reach, transforms, pairs, single, threads) + spectra_cost(tile, pairs, single)


def spectrum(values: np.ndarray, tile) -> np.ndarray:
    """``np.fft.rfft2(values, s=tile)`` over the last two axes, as the same two
    passes (rfft along rows, then fft along columns) without rfft2's wrapper,
    which costs about 12 us a call: as much as the transform of a 64x64 tile."""
    return np.fft.fft(np.fft.rfft(values, n=tile[1], axis=-1), n=tile[0], axis=-2)


def inverse(product: np.ndarray, tile, rows: slice, cols: slice) -> np.ndarray:
    """``np.fft.irfft2(product, s=tile)[rows, cols]`` by hand, so the last pass
    runs only on the rows kept (the same operations on those rows, so the
    same values)."""
    values = np.fft.ifft(product, n=tile[0], axis=0)[rows]
    return np.fft.irfft(values, n=tile[1], axis=1)[:, cols]


SPINNING_DOT_SIZE = 2**17


def sum_of_squares(values: np.ndarray) -> float:
    """The sum of squares of a 1-D array. BLAS's dot is the fastest way, but
    after a dot long enough to run in threads, OpenBLAS's workers keep
    spinning for a while, and the FFT's tile threads that came next ran
    1.3-1.5x slower beside them (2048x2048 with a 31x31 kernel: 72 ms
    against 48-54 ms). From 2**17 values (the smallest problems whose tiles
    run in threads are larger) numpy's own loop sums them instead."""
    if values.size < SPINNING_DOT_SIZE:
        return float(np.dot(values, values))
    return float(np.einsum("i,i->", values, values))


def fft_error_bound(padded: np.ndarray, weight: np.ndarray, groups: int, tile) -> float:
    """A proven bound on |FFT result - exact result| for every output, in
    float64 (see the module docstring)."""
    filters, per_group = weight.shape[:2]
    filters_per_group = filters // groups
    worst = 0.0
    for g in range(groups):
        x_group = padded[g * per_group : (g + 1) * per_group].reshape(-1).astype(np.float64)
        w_group = weight[g * filters_per_group : (g + 1) * filters_per_group].astype(np.float64)
        x_norm = math.sqrt(sum_of_squares(x_group))
        w_norm = math.sqrt(float(np.max(np.sum(w_group * w_group, axis=(1, 2, 3)))))
        worst = max(worst, x_norm * w_norm)
    levels = math.log2(tile[0] * tile[1]) + 2 + per_group
    # (1 + 1e-9) covers the rounding of the norms themselves
    return worst * (1 + 1e-9) * EPS64 * ERROR_PER_LEVEL * levels


def exact_tile(padded: np.ndarray, weight: np.ndarray, dilation, groups, threads: int | None = None) -> tuple[int, int]:
    """The tile `correlate` would use (the error bound and the range check depend on it)."""
    reach, out_hw, transforms, pairs = _problem(weight.shape, tuple(dilation), groups, padded.shape[1:])
    threads = thread_count() if threads is None else threads
    return choose_tile(out_hw, reach, transforms, pairs, padded.dtype == np.float32, threads)


RANGE_MARGIN = 16.0
UNDERFLOW_MARGIN = 2.0**20  # times the smallest normal float (float64: 2**-1002, float32: 2**-106)


def float_hazard(padded: np.ndarray, weight: np.ndarray, dilation, groups, *, fft: bool = True) -> str | None:
    """Why the FFT (or, with `fft` False, a BLAS product or a sum in another
    order than scipy's) cannot give what a direct sum gives on this float
    problem, or None if it can.

    'nonfinite': a NaN or infinity anywhere; the transform mixes every input
    value into every output, so it would reach all of them, where a direct
    sum keeps it inside the windows that hold it (sums in another order do too).
    'order': values so large that a partial sum could overflow in one order
    of summation and not in another. Every partial sum is at most max|x| *
    max sum|w| <= ||x||_2 * sqrt(n) * ||w||_2 (n taps a filter).
    'overflow' (FFT only): an intermediate value of the transforms could
    leave the float range. Every intermediate of a transform is a sum of a
    subset of its inputs times unit twiddles, so it is at most the sum of
    their moduli. A tile's spectrum is so at most sum|x| <= sqrt(T) *
    ||x||_2 (T points), a filter's at most sum|w|. The inverse transforms
    add, before numpy scales by 1/T, at most sum_k |X_k| |W_k| per channel,
    and by Cauchy-Schwarz and Parseval (||X||_2 = sqrt(T) ||x||_2) that is
    at most T * ||x||_2 * ||w||_2. So C * T * ||x||_2 * ||w||_2 must stay
    below the largest float (C channels a group), and so must each spectrum
    on its own: 1e308 beside a kernel of 1e-300 has a modest product bound
    but an infinite spectrum, and every output NaN. The bound is nearly
    tight: a constant input filling its tile, with a constant kernel,
    reached 1/16.3 of the largest float at the limit (the margin of 16).
    'underflow': values so small that the sums work near the subnormal
    range, where each rounding loses a fixed quantum (2**-1074 in float64)
    rather than a relative one: on an input of 5e-324 the FFT was 8% off,
    and BLAS's fused multiply-adds (one rounding where scipy makes two)
    gave 6 where scipy gave 7 quanta. Sums of subnormal products are exact,
    so a direct sum still gives scipy's values. The bound above must reach
    the smallest normal float times 2**20 (the FFT's roundings, and the gap
    between the bound and the largest output).
    'operand underflow' (FFT only): an input group, a filter or a filter's
    outputs near the subnormal range on their own (`spectrum_underflow`);
    products of subnormal and ordinary values are normal, so BLAS may sum them.

    The range bounds keep a margin of 16, and cost two passes (the norms),
    which also meet any NaN or infinity. Where the squares leave the float
    range (values beyond 1e154 or below 1e-154 in float64, or NaN and
    infinity), max|x| and sum|w| of the finite values are scanned exactly
    instead, and 'order' and 'underflow' come before 'nonfinite': a NaN
    elsewhere must not let BLAS sum huge or tiny values.
    """
    x_flat, w_flat = padded.reshape(-1), weight.reshape(-1)
    info = np.finfo(padded.dtype)
    finite = True  # squares in the float range mean every value is finite
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        x_squares, w_squares = sum_of_squares(x_flat), sum_of_squares(w_flat)
        if math.isfinite(x_squares) and math.isfinite(w_squares) and min(x_squares, w_squares) >= float(info.tiny):
            x_norm, w_norm = math.sqrt(x_squares), math.sqrt(w_squares)  # bound every tile's and filter's norm
            largest_x, largest_l1 = x_norm, math.sqrt(w_squares * weight[0].size)
        else:  # squares beyond the range, or NaN or infinity: exact scans of the finite values
            finite = bool(np.isfinite(padded).all() and np.isfinite(weight).all())
            x_finite = padded if finite else padded[np.isfinite(padded)]
            w_abs = np.abs(weight) if finite else np.where(np.isfinite(weight), np.abs(weight), 0)
            largest_x = float(np.abs(x_finite).max()) if x_finite.size else 0.0
            largest_l1 = float(w_abs.sum(axis=(1, 2, 3), dtype=np.float64).max())
            x_norm, w_norm = None, largest_l1  # a tile's norm is at most sqrt(T) * max|x|, once T is known
        largest_sum = largest_x * largest_l1  # (inf if it overflows itself)
    # NaN and infinity make their windows NaN or inf in any order of summation, but finite
    # sums beside them can still overflow or round in one order and not in another
    limit, smallest = float(info.max) / RANGE_MARGIN, float(info.tiny) * UNDERFLOW_MARGIN
    if not largest_sum < limit:
        return "order"
    if 0 < largest_sum < smallest:  # (all zeros stay exact zeros)
        return "underflow"
    if not finite:
        return "nonfinite"
    if fft:
        points = float(math.prod(exact_tile(padded, weight, dilation, groups)))
        tile_norm = x_norm if x_norm is not None else math.sqrt(points) * largest_x
        # the inverse's sums, then each operand's own spectrum: 1e308 beside a kernel of
        # 1e-300 has a modest product but an infinite spectrum (inf if a bound overflows itself)
        if not (weight.shape[1] * points * tile_norm * w_norm < limit and math.sqrt(points) * tile_norm < limit
                and largest_l1 < limit):
            return "overflow"
        if spectrum_underflow(padded, weight, groups, largest_x):
            return "operand underflow"
    return None


def spectrum_underflow(padded: np.ndarray, weight: np.ndarray, groups: int, largest_x: float) -> bool:
    """Whether, for some filter, the FFT would work near the subnormal range
    where a sum of products would not (float_hazard's 'operand underflow').

    Each group's input and each filter are transformed on their own, and
    their roundings lose a fixed quantum rather than a relative one when
    the values are near the subnormal range: a subnormal input with a
    kernel of 1e300 was 20% off, and a filter of 5e-324 beside an ordinary
    one 69% off in its channel. So every group's max|x| and every filter's
    max|w| (each at most the norm the FFT's error is relative to) must
    reach 16 times the smallest normal float, and every filter's outputs,
    bounded by max|x| * sum|w|, the same margin as float_hazard's
    'underflow'. All-zero groups and filters stay exact zeros.
    `largest_x` is float_hazard's bound, used as is for one group.
    """
    info = np.finfo(padded.dtype)
    operand_limit, output_limit = float(info.tiny) * RANGE_MARGIN, float(info.tiny) * UNDERFLOW_MARGIN
    filters = weight.shape[0]
    w_abs = np.absolute(weight.reshape(filters, -1), dtype=np.float64)
    if groups == 1:
        x_largest = [largest_x] * filters
    else:  # each filter sees its group's channels only
        per_group = padded.reshape(groups, -1)
        x_groups = np.maximum(per_group.max(axis=1), -per_group.min(axis=1)).astype(np.float64)
        x_largest = np.repeat(x_groups, filters // groups).tolist()
    # a filter a line, on Python floats: a dozen numpy calls on arrays of one
    # filter cost ~20 us, a tenth of a 64x64 FFT convolution
    return any(0 < x < operand_limit or 0 < w < operand_limit or 0 < x * l1 < output_limit
               for x, w, l1 in zip(x_largest, w_abs.max(axis=1).tolist(), w_abs.sum(axis=1).tolist()))


def fft_is_exact(padded: np.ndarray, weight: np.ndarray, dilation, groups, threads: int | None = None) -> bool:
    """Whether the FFT provably gives every integer of an int64 problem
    exactly, in the tiles `correlate` with this many threads would use."""
    if padded.dtype.kind not in "iu" or weight.dtype.kind not in "iu":
        return False
    tile = exact_tile(padded, weight, dilation, groups, threads)
    return fft_error_bound(padded, weight, groups, tile) < EXACT_LIMIT


class RoundingCheckFailed(ArithmeticError):
    """An integer FFT result was further from an integer than the bound allows."""


def correlate(padded: np.ndarray, weight: np.ndarray, stride, dilation, groups: int, *,
              threads: int | None = None) -> np.ndarray:
    """Valid cross-correlation of padded (C, Hp, Wp) with weight (K, C/g, kh, kw)
    by overlap-save FFT tiles. Same contract as `direct.correlate_padded`.

    float32 is transformed in float32 (numpy >= 2) and returned as float32;
    an int64 problem is computed in float64, rounded, and returned as int64
    (call `fft_is_exact` first, with the same `threads`: the tile, and so
    the bound, depends on it). Large tiles run in `threads` threads
    (`tile_threads`; default `parallel.thread_count()`), which the tile
    size is chosen for.
    """
    threads = thread_count() if threads is None else threads
    integer = padded.dtype.kind in "iu"
    real = np.float64 if integer or padded.dtype != np.float32 else np.float32
    kernel = dilate(weight, dilation).astype(real)
    filters, per_group, reach_h, reach_w = kernel.shape
    full_hw = (padded.shape[1] - reach_h + 1, padded.shape[2] - reach_w + 1)
    out_hw = ((full_hw[0] - 1) // stride[0] + 1, (full_hw[1] - 1) // stride[1] + 1)
    tile = exact_tile(padded, weight, dilation, groups, threads)  # the tile the bounds were proven for
    steps = (tile[0] - reach_h + 1, tile[1] - reach_w + 1)
    out = np.empty((filters,) + out_hw, dtype=padded.dtype)

    filters_per_group = filters // groups
    spectrum_bytes = filters * per_group * tile[0] * (tile[1] // 2 + 1) * 2 * np.dtype(real).itemsize
    keep_spectra = spectrum_bytes <= KERNEL_SPECTRA_BYTES

    def spectra(k: int):
        return np.conj(spectrum(kernel[k], tile))

    kept = np.conj(spectrum(kernel, tile)) if keep_spectra else None  # every filter in one call
    origins = [(r, c) for r in range(0, full_hw[0], steps[0]) for c in range(0, full_hw[1], steps[1])]
    progress = Progress(len(origins))
    source = padded if not integer else padded.astype(np.float64)
    roundings = [0.0]  # each tile's largest distance to an integer (list.append is thread-safe)

    def one_tile(origin) -> None:
        row, col = origin
        rows = min(steps[0], full_hw[0] - row)
        cols = min(steps[1], full_hw[1] - col)
        # the output rows and columns of this tile that the stride keeps
        first_r = -(-row // stride[0]) * stride[0]
        first_c = -(-col // stride[1]) * stride[1]
        if first_r >= row + rows or first_c >= col + cols:
            progress.advance()
            return
        out_rows = slice(first_r // stride[0], (row + rows - 1) // stride[0] + 1)
        out_cols = slice(first_c // stride[1], (col + cols - 1) // stride[1] + 1)
        block = source[:, row : row + tile[0], col : col + tile[1]]
        for g in range(groups):
            x_spectrum = spectrum(block[g * per_group : (g + 1) * per_group], tile)
            for k in range(g * filters_per_group, (g + 1) * filters_per_group):
                k_spectrum = kept[k] if kept is not None else spectra(k)
                product = x_spectrum[0] * k_spectrum[0]
                for c in range(1, per_group):
                    product += x_spectrum[c] * k_spectrum[c]
                values = inverse(product, tile, slice(first_r - row, rows, stride[0]),
                                 slice(first_c - col, cols, stride[1]))
                if integer:
                    rounded = np.rint(values)
                    roundings.append(float(np.max(np.abs(values - rounded))))
                    values = rounded
                out[k, out_rows, out_cols] = values
        progress.advance()

    # tiles write disjoint parts of `out`, and numpy's transforms release the GIL
    run_parallel(one_tile, origins, tile_threads(tile, len(origins), threads))
    worst_rounding = max(roundings)
    if worst_rounding > ROUNDING_CHECK:
        raise RoundingCheckFailed(f"FFT result was {worst_rounding} from an integer")
    return out
