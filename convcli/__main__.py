"""``python -m convcli``."""

from .quick import console  # the console script entry too: plain commands skip the Typer import

if __name__ == "__main__":
    console()
