"""The site build's error, in its own module so the page builders and `generate` can both raise
it without importing each other."""

from __future__ import annotations

from symbptt.errors import SymbpttError

__all__ = ["SiteBuildError"]


class SiteBuildError(SymbpttError):
    """The site cannot be built: a check failed or a page could not be generated."""
