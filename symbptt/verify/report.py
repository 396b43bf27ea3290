"""A verify report: the check rows of one derivation at T and n, counted and shown.

`Check` is the one row type (`symbptt.checkrow.CheckRow`); a `Report` adds the model and sizes,
the outcome (skipped rows aside), the JSON the CLI prints and the notebook display.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from symbptt import display
from symbptt.checkrow import CheckRow

__all__ = ["Check", "Report"]

#: One check of a report (the one row type of every check).
Check = CheckRow


@dataclass(frozen=True)
class Report:
    """Every check run for one model at sizes T and n."""

    model: str
    T: int
    n: int
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when at least one check ran and every check that ran passed (skips aside)."""
        ran = [c for c in self.checks if not c.skipped]
        return bool(ran) and all(c.passed for c in ran)

    def counts(self) -> str:
        """`7 passed, 3 skipped (beyond the unrolled limit)`, with `, 1 FAILED` when one failed."""
        ran = [c for c in self.checks if not c.skipped]
        failed = sum(not c.passed for c in ran)
        skipped = len(self.checks) - len(ran)
        out = f"{len(ran) - failed} passed"
        if failed:
            out += f", {failed} FAILED"
        if skipped:
            out += f", {skipped} skipped (beyond the unrolled limit)"
        return out

    def as_json(self) -> dict[str, object]:
        """{"model", "T", "n", "checks": [...]} as the CLI prints it."""
        return {
            "model": self.model,
            "T": self.T,
            "n": self.n,
            "checks": [c.as_json() for c in self.checks],
        }

    def __str__(self) -> str:
        """A line with the outcome (as `symbptt verify` counts), then a line per check."""
        failed = sum(not c.passed for c in self.checks)
        outcome = "all passed" if not failed else f"{failed} FAILED"
        if any(c.skipped for c in self.checks):
            outcome = self.counts()
        head = f"{self.model} at T={self.T}, n={self.n}: {len(self.checks)} checks, {outcome}"
        return "\n".join([head, *(f"  {c}" for c in self.checks)])

    def _repr_markdown_(self) -> str:
        """Notebook display: a line with the outcome, then a row per check."""
        failed = sum(1 for c in self.checks if not c.passed)
        outcome = "all passed" if not failed else f"**{failed} failed**"
        if any(c.skipped for c in self.checks):
            outcome = self.counts()
        head = f"**{self.model}**, T = {self.T}, n = {self.n}: {len(self.checks)} checks, {outcome}"
        rows = [
            (display.escape(c.name), display.escape(c.form), "passed" if c.passed else "**FAILED**",
             display.number(c.max_error), f"{c.seconds:.2f} s")
            if not c.skipped else
            (display.escape(c.name), display.escape(c.form), display.escape(c.detail),
             display.number(None), "-")
            for c in self.checks
        ]  # fmt: skip
        return head + "\n\n" + display.table(("check", "form", "result", "max error", "time"), rows)
