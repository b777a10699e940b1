"""``python -m convcli``."""

import sys

from .quick import main  # the console script entry too: plain commands skip the Typer import

if __name__ == "__main__":
    sys.exit(main())
