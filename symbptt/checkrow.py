"""One check's result as a row: what was compared, whether it held, the worst error, the time.

The one row type of every check (`cells.checks`, `verify`, the scaling checks); it lives below
them all and imports nothing from symbptt, so the lowest layer that runs a check can return it
and every printer reads the same fields.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CheckRow", "rel", "skipped", "timed"]


@dataclass(frozen=True)
class CheckRow:
    """One check: what was compared (form), whether it passed, the worst error and its time."""

    name: str
    form: str
    passed: bool
    max_error: float | None
    seconds: float
    detail: str = ""
    #: The same name for documents: prose with `$...$` math in the model's own LaTeX names.
    label: str = ""
    #: Not run at these sizes (passed is False); detail gives the reason.
    skipped: bool = False

    def __str__(self) -> str:
        """`ok  name  (max error 1.2e-15)`, FAIL with the check's detail, or skip with the reason."""
        if self.skipped:
            return f"skip  {self.name}: {self.detail.removeprefix('skipped: ')}"
        err = "" if self.max_error is None else f"  (max error {self.max_error:.2g})"
        detail = f": {self.detail}" if self.detail and not self.passed else ""
        return f"{'ok  ' if self.passed else 'FAIL'}  {self.name}{err}{detail}"

    def as_json(self) -> dict[str, object]:
        """The JSON row: name, passed, max_error (null when not measured), seconds, form;
        a skipped row adds "skipped": true and "reason"."""
        err = self.max_error
        row: dict[str, object] = {
            "name": self.name,
            "passed": self.passed,
            "max_error": None if err is None or not math.isfinite(err) else err,
            "seconds": round(self.seconds, 4),
            "form": self.form,
        }
        if self.skipped:
            row |= {"skipped": True, "reason": self.detail}
        return row


def timed(
    name: str, form: str, body: Callable[[], tuple[bool, float | None, str]], label: str = ""
) -> CheckRow:
    """Run body (passed, max error, detail) and time it into a row."""
    start = time.perf_counter()
    passed, err, detail = body()
    return CheckRow(name, form, passed, err, time.perf_counter() - start, detail, label)


def skipped(name: str, form: str, reason: str) -> CheckRow:
    """A check that did not run at these sizes, with the reason."""
    return CheckRow(name, form, False, None, 0.0, reason, skipped=True)


def rel(a: object, b: object, floor: float = 1e-8) -> float:
    """The largest floored relative error |a - b| / max(|a| + |b|, floor) over the entries."""
    x = np.ravel(np.asarray(a, dtype=float))
    y = np.ravel(np.asarray(b, dtype=float))
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(np.abs(x) + np.abs(y), floor)))
