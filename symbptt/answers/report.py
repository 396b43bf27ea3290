"""Reports of a graded class: human text, the JSON document, and a CSV summary."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from symbptt.answers.grade import FileResult
from symbptt.errors import InputError

CSV_FIELDS = ("path", "student", "id", "verdict", "reason", "tolerance")


def as_json(results: Sequence[FileResult]) -> dict[str, Any]:
    """{"files": [{"path", "student", "answers": [...], "error"?}]}."""
    files = []
    for r in results:
        item: dict[str, Any] = {"path": r.path, "student": r.student, "answers": r.answers}
        if r.error:
            item["error"] = r.error
        files.append(item)
    return {"files": files}


def as_text(results: Sequence[FileResult]) -> str:
    """One block per file: a line per answer, then its wrong or undecided steps indented."""
    out = io.StringIO()
    for r in results:
        who = f" ({r.student})" if r.student else ""
        out.write(f"{r.path}{who}\n")
        if r.error:
            out.write(f"  error: {r.error}\n")
            continue
        for a in r.answers:
            out.write(f"  {a['id']}: {a['verdict'].upper()} - {a['reason']}\n")
            if a.get("tolerance"):
                out.write(f"      tolerance: {a['tolerance']}\n")
            ce = a.get("counterexample")
            if ce:
                bits = ", ".join(
                    f"{k} = {v}" for k, v in ce.items() if k not in ("expected", "got")
                )
                if bits:
                    out.write(f"      counterexample: {bits}\n")
            steps = a.get("steps") or []
            if len(steps) > 1:
                for s in steps:
                    out.write(f"      step {s['index']}: {s['verdict']}")
                    out.write(f" - {s['reason']}\n" if s["verdict"] != "correct" else "\n")
    counts: dict[str, int] = {}
    for r in results:
        for a in r.answers:
            counts[a["verdict"]] = counts.get(a["verdict"], 0) + 1
    errors = sum(1 for r in results if r.error)
    summary = ", ".join(f"{v} {counts.get(v, 0)}" for v in ("correct", "wrong", "undecided"))
    out.write(f"{len(results)} file(s): {summary}; unreadable files {errors}\n")
    return out.getvalue()


def write_summary(results: Sequence[FileResult], path: str | Path, *, force: bool = False) -> None:
    """CSV with one row per student and answer (an unreadable file gives one 'error' row)."""
    p = Path(path)
    if p.exists() and not force:
        raise InputError("refusing to overwrite an existing file (use --force)", where=str(p))
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_FIELDS)
        for r in results:
            if r.error:
                w.writerow([r.path, r.student or "", "", "error", r.error, ""])
            for a in r.answers:
                w.writerow(
                    [
                        r.path,
                        r.student or "",
                        a["id"],
                        a["verdict"],
                        a["reason"],
                        a.get("tolerance", ""),
                    ]
                )
