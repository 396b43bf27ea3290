"""User-facing errors: each names the problem and where it was found."""

from __future__ import annotations


class SymbpttError(Exception):
    """Bad input from a user; the CLI prints it without a traceback and exits with code 2."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InputError(SymbpttError, ValueError):
    """A value, shape or option that cannot be used (also a ValueError for Python callers)."""


class DerivationFileError(SymbpttError):
    """A derivation file that cannot be loaded: names the file, the key and what was expected."""
