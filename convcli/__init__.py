"""convcli: convolution and cross-correlation, computed exactly and explained.

>>> import convcli
>>> convcli.conv2d([[1, 1, 1], [0, 1, 1], [0, 0, 1]], [[1, 0], [0, 1]])
array([[2, 2],
       [0, 2]])
"""

from .errors import ConvcliError

__version__ = "0.1.0"

__all__ = ["ConvcliError", "conv1x1", "conv2d", "correlate2d", "im2col_matmul", "im2col_matrices", "output_shape", "__version__"]

_ENGINE_NAMES = frozenset(__all__) - {"ConvcliError", "__version__"}


def __getattr__(name: str):
    """The engine's functions, imported on first use (PEP 562): the console
    script imports this package before it can catch a Ctrl-C, so importing
    numpy here would let one during start-up end in a traceback."""
    if name in _ENGINE_NAMES or name == "engine":
        import importlib

        # (not `from . import engine`, which asks this function for 'engine' again)
        engine = importlib.import_module(".engine", __name__)
        value = engine if name == "engine" else getattr(engine, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _ENGINE_NAMES)
