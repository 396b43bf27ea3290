"""Reports on judged submissions: human text, the JSON document, the class CSV, exit codes."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from symbptt.codecheck.judge import FileResult

__all__ = ["as_json", "as_text", "exit_code", "summary_csv"]

_BAD = {"wrong", "error", "killed"}


def _num(x: float | None) -> float | None:
    """JSON has no inf or NaN: those become null (the text report still says inf)."""
    return x if x is None or math.isfinite(x) else None


def as_json(results: Sequence[FileResult]) -> dict[str, Any]:
    """{"files": [{"path", "student", "api", "functions": [...]}]}; an unjudged file has "error"."""
    files = []
    for r in results:
        entry: dict[str, Any] = {"path": r.path, "student": r.student, "api": r.api}
        if r.error is not None:
            entry["error"] = r.error
        entry["functions"] = [
            {
                "name": f.name,
                "verdict": f.verdict,
                "reason": f.reason,
                "slip": f.slip,
                "outputs": [
                    {
                        "name": o.name,
                        "verdict": o.verdict,
                        "max_rel_error": _num(o.max_rel_error),
                        "entry": o.entry,
                        "expected": _num(o.expected),
                        "got": _num(o.got),
                    }
                    for o in f.outputs
                ],
            }
            for f in r.functions
        ]
        files.append(entry)
    return {"files": files}


def _g(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4g}"


def as_text(results: Sequence[FileResult]) -> str:
    """One block per file: each function's verdict, reason, slip and its wrong outputs."""
    lines: list[str] = []
    counts: Counter[str] = Counter()
    for r in results:
        if r.error is not None:
            lines.append(f"{r.path}: not checked: {r.error}")
            counts["not checked"] += 1
            continue
        ok = sum(f.verdict == "correct" for f in r.functions)
        here = [f for f in r.functions if f.verdict != "missing"]
        gone = [f.name for f in r.functions if f.verdict == "missing"]
        counts["missing"] += len(gone)
        lines.append(f"{r.path} ({r.api}): {ok} of {len(here)} functions correct")
        if gone:
            lines.append(f"  not defined (not checked): {', '.join(gone)}")
        width = max((len(f.name) for f in here), default=0)
        for f in here:
            counts[f.verdict] += 1
            head = f"  {f.name:<{width}}  {f.verdict}"
            reason = f.reason.removeprefix(f"{f.verdict}: ")  # 'killed: killed: ...' reads once
            lines.append(f"{head}: {reason}" if reason and f.verdict != "correct" else head)
            if f.slip:
                lines.append(f"      likely slip: {f.slip}")
            for o in f.outputs:
                if o.verdict == "wrong":
                    at = f" at {o.entry}" if o.entry is not None else ""
                    what = o.note or (
                        f"max relative error {_g(o.max_rel_error)}{at}: "
                        f"expected {_g(o.expected)}, got {_g(o.got)}"
                    )
                    lines.append(f"      {o.name}: {what}")
    order = ("correct", "wrong", "error", "killed", "missing", "not checked")
    tally = ", ".join(f"{counts[k]} {k}" for k in order if counts[k])
    lines.append(f"{len(results)} file(s): {tally or 'nothing checked'}")
    return "\n".join(lines) + "\n"


def summary_csv(results: Sequence[FileResult]) -> str:
    """One row per student and function: student, path, api, function, verdict, slip, reason."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "path", "api", "function", "verdict", "slip", "reason"])
    for r in results:
        if r.error is not None:
            w.writerow([r.student, r.path, r.api or "", "", "not checked", "", r.error])
        for f in r.functions:
            w.writerow([r.student, r.path, r.api, f.name, f.verdict, f.slip or "", f.reason])
    return buf.getvalue()


def exit_code(results: Sequence[FileResult]) -> int:
    """2 if a file could not be checked, else 1 if any function is wrong, errs or was killed."""
    if any(r.error is not None for r in results):
        return 2
    if any(f.verdict in _BAD for r in results for f in r.functions):
        return 1
    return 0
