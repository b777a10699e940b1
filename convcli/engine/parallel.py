"""Threads for the fast paths, and the progress hook they report to.

numpy releases the GIL inside ufunc loops, BLAS calls and FFTs on large
arrays, so bands of rows (direct) and tiles (FFT) computed in a few plain
threads run in parallel. The thread count is the number of CPUs this process
may use, capped at 8, or the ``CONVCLI_THREADS`` environment variable (1
turns threads off).

Progress is reported through a context variable so the engine stays free of
any user interface: the CLI installs a callable ``hook(done, total)`` and the
fast paths call it as bands or tiles finish.
"""

from __future__ import annotations

import contextvars
import functools
import os
import threading

progress_hook: contextvars.ContextVar = contextvars.ContextVar("convcli_progress_hook", default=None)

MAX_THREADS = 8


def thread_count() -> int:
    """Threads to use for parallel bands (at least 1)."""
    return _threads_for(os.environ.get("CONVCLI_THREADS", "").strip())


@functools.lru_cache(maxsize=None)
def _threads_for(configured: str) -> int:
    """The thread count for a CONVCLI_THREADS value; a value that is not a
    whole number of at least 1 is ignored with one warning (per value)."""
    if configured.isascii() and configured.isdigit() and int(configured) > 0:  # isdigit alone takes '²'
        return int(configured)
    threads = max(1, min(MAX_THREADS, _available_cpus()))
    if configured:
        import warnings

        from ..errors import ConvcliWarning

        warnings.warn(f"CONVCLI_THREADS={configured!r} is not a whole number of at least 1; using {threads}",
                      ConvcliWarning, stacklevel=3)
    return threads


@functools.lru_cache(maxsize=1)
def _available_cpus() -> int:
    """CPUs this process may run on, read once (each call is chosen per operation)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Progress:
    """A thread-safe counter of finished units that forwards to the hook."""

    def __init__(self, total: int):
        self.hook = progress_hook.get()
        self.total = max(1, int(total))
        self.done = 0
        self.lock = threading.Lock()

    def advance(self, units: int = 1) -> None:
        if self.hook is None:
            return
        with self.lock:  # the hook inside it too, so it sees 1, 2, 3, ... in order from any thread
            self.done += units
            self.hook(self.done, self.total)


def run_parallel(work, units: list, threads: int) -> None:
    """Call ``work(unit)`` for every unit, spread over `threads` threads.

    Each thread takes every threads-th unit, so neighbouring bands run at the
    same time and share the cache for the input rows they overlap on. The
    first exception raised by any thread is raised here.
    """
    threads = max(1, min(threads, len(units)))
    if threads == 1:
        for unit in units:
            work(unit)
        return
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            for unit in units[index::threads]:
                if errors:
                    return
                work(unit)
        except BaseException as error:  # re-raised in the calling thread
            errors.append(error)

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(1, threads)]
    for thread in pool:
        thread.start()
    worker(0)
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]
