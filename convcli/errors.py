"""The one exception family of convcli; the CLI turns these into exit codes.
`count_noun` words the counts in their messages."""

from __future__ import annotations


class ConvcliError(ValueError):
    """Base class: a problem the user can fix; printed as one ``Error:`` line.

    A ValueError, as scipy.signal and numpy raise for arguments they cannot
    use, so ``except ValueError`` written for them also catches these."""

    exit_code = 1


class InputError(ConvcliError):
    """Input data that cannot be read, named by source, line and column."""


class ShapeError(ConvcliError):
    """Shapes or geometry that do not fit together."""


class OutputError(ConvcliError):
    """A result that cannot be written where it was asked to go."""


class UsageError(ConvcliError):
    """An option value that is not one of the accepted ones."""

    exit_code = 2


class ConvcliWarning(UserWarning):
    """Something done in a way the user may not have meant (input read as
    inline numbers beside a file of that name, a setting ignored); the CLI
    prints it as one ``Warning:`` line on stderr and goes on."""


def count_noun(number: int, noun: str) -> str:
    """'1 value', '2 values'."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
