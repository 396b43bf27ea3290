"""One claim of one source text and its verdict, with the evidence that decided it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

TEXTS: tuple[str, ...] = ("tutorial", "course-notes", "blog", "homework3", "dl4nlp", "goodfellow")
VERDICTS: tuple[str, ...] = ("confirmed", "wrong", "undecided")


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

    def __str__(self) -> str:
        """`text id: verdict: statement`, with the reason unless the claim is confirmed."""
        line = f"{self.text} {self.id}: {self.verdict}: {' '.join(self.statement.split())}"
        return line if self.verdict == "confirmed" else f"{line}\n  why: {self.reason}"


class ClaimList(list[ClaimResult]):
    """Claims with their verdicts; a list that shows itself as a table in a notebook."""

    def __str__(self) -> str:
        """The counts by verdict, then one claim per line."""
        counts = ", ".join(f"{v} {sum(c.verdict == v for c in self)}" for v in VERDICTS)
        return "\n".join([f"{len(self)} claims: {counts}", *(str(c) for c in self)])

    def _repr_markdown_(self) -> str:
        """Notebook display: counts by verdict, then a line per claim (a list wraps; a table
        of long statements would not fit a page)."""
        from symbptt import display

        counts = {v: sum(1 for c in self if c.verdict == v) for v in VERDICTS}
        head = ", ".join(f"{counts[v]} {v}" for v in VERDICTS)
        lines = [
            f"- {display.verdict_badge(c.verdict)} {c.text} `{c.id}`: {display.prose(c.statement)}"
            + (f" *({display.prose(c.reason)})*" if c.verdict != "confirmed" else "")
            for c in self
        ]
        return f"{len(self)} claims: {head}\n\n" + "\n".join(lines)


def verdict(ok: bool) -> str:
    """'confirmed' when a computed check holds, else 'wrong'."""
    return "confirmed" if ok else "wrong"
