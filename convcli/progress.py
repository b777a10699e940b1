"""A progress bar on stderr for long computations, shown only on a terminal.

The engine reports finished bands and tiles through
`convcli.engine.parallel.progress_hook`; this module turns those reports into
a Rich progress bar. The bar appears only once the work has run for about a
second (so quick jobs print nothing at all), only when stderr is a terminal,
and disappears when the work is done. Rich is imported only when the bar is
actually shown.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

SHOW_AFTER_SECONDS = 1.0


class LazyBar:
    """A ``hook(done, total)`` that starts a Rich bar once `delay` seconds have passed."""

    def __init__(self, label: str, console_factory, delay: float = SHOW_AFTER_SECONDS, clock=time.monotonic):
        self.label = label
        self.console_factory = console_factory
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.bar = None
        self.task = None
        self.lock = threading.Lock()

    def __call__(self, done: int, total: int) -> None:
        with self.lock:
            if self.bar is None:
                if self.clock() - self.started < self.delay or done >= total:
                    return
                from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

                self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                    TimeRemainingColumn(), console=self.console_factory(), transient=True)
                self.bar.start()
                self.task = self.bar.add_task(self.label, total=total)
            self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        with self.lock:
            if self.bar is not None:
                self.bar.stop()
                self.bar = None


def _stderr_console(no_color: bool):
    from rich.console import Console

    plain = no_color or bool(os.environ.get("NO_COLOR"))
    return Console(file=sys.stderr, **({"color_system": None} if plain else {}))


@contextlib.contextmanager
def computing(label: str, no_color: bool = False):
    """Show a progress bar on stderr for the engine work inside the block,
    if it takes over a second and stderr is a terminal."""
    stream = sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        yield
        return
    from .engine.parallel import progress_hook

    bar = LazyBar(label, lambda: _stderr_console(no_color))
    token = progress_hook.set(bar)
    try:
        yield
    finally:
        progress_hook.reset(token)
        bar.close()
