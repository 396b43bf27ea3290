"""One claim of one source text and its verdict, with the evidence that decided it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

TEXTS: tuple[str, ...] = ("tutorial", "course-notes", "blog", "homework3", "dl4nlp")


@dataclass(frozen=True)
class ClaimResult:
    """One claim of one text, its verdict ('confirmed'|'wrong'|'undecided') and the evidence."""

    text: str
    id: str
    statement: str
    verdict: str
    reason: str
    counterexample: dict[str, Any] | None = None
    checked_by: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return asdict(self)


def verdict(ok: bool) -> str:
    """'confirmed' when a computed check holds, else 'wrong'."""
    return "confirmed" if ok else "wrong"
