"""Reports of a graded class: human text, the JSON document, and a CSV summary."""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from symbptt.answers.grade import FileResult
from symbptt.outfile import write_new

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
            for line in counterexample_lines(a.get("counterexample"), "      "):
                out.write(line + "\n")
            steps = a.get("steps") or []
            if len(steps) > 1:
                for s in steps:
                    out.write(f"      step {s['index']}: {s['verdict']}")
                    out.write(f" - {s['reason']}\n" if s["verdict"] != "correct" else "\n")
    out.write(summary_line(results) + "\n")
    return out.getvalue()


def summary_line(results: Sequence[FileResult]) -> str:
    """'5 files, 1 unreadable; answers: 3 correct, 6 wrong, 1 undecided' (files, then answers)."""
    counts: dict[str, int] = {}
    for r in results:
        for a in r.answers:
            counts[a["verdict"]] = counts.get(a["verdict"], 0) + 1
    errors = sum(1 for r in results if r.error)
    files = f"{len(results)} file{'' if len(results) == 1 else 's'}"
    if errors:
        files += f", {errors} unreadable"
    answers = ", ".join(f"{counts.get(v, 0)} {v}" for v in ("correct", "wrong", "undecided"))
    return f"{files}; answers: {answers}"


def _value(v: Any) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} = {_value(x)}" for k, x in v.items())
    return str(v)


def _pack(label: str, items: list[str], indent: str, width: int) -> list[str]:
    """Items after a label, "; "-separated, as many per line as fit; an item is never split."""
    pieces = [item + ";" for item in items[:-1]] + items[-1:]
    lines, line = [], indent + label
    room = max(20, width - len(indent) - 4)
    for piece in pieces:
        if len(line) + 1 + len(piece) > width and line.strip() != label:
            lines.append(line)
            line = indent + "    " + piece
        else:
            line += " " + piece
        if len(line) > width:  # one item longer than a line: wrap it at its spaces
            chunks = textwrap.wrap(line.strip(), room, break_on_hyphens=False)
            lines += [indent + "    " + c for c in chunks[:-1]]
            line = indent + "    " + chunks[-1]
    return lines + [line]


def counterexample_lines(ce: dict[str, Any] | None, indent: str, width: int = 100) -> list[str]:
    """A counterexample as text lines: sizes, seed and indices, then the values of the instance.

    `expected` and `got` are left out: the reason states them."""
    if not ce:
        return []
    head = []
    for key, v in ce.items():
        if key in ("expected", "got", "instance"):
            continue
        if key == "sizes":
            head.append("sizes " + _value(v))
        elif key == "seed":
            head.append(f"seed {v}")
        elif key == "indices":
            head.append("indices " + _value(v))
        else:  # a key with spaces ("W_h = 6") reads as a label
            head.append(f"{key}: {_value(v)}" if " " in key else f"{key} = {_value(v)}")
    lines = _pack("counterexample:", head, indent, width) if head else []
    values = ce.get("instance")
    if values:
        items = [
            f"{k} {x}" if k in ("activation", "loss") else f"{k} = {x}" for k, x in values.items()
        ]
        lines += _pack("at the values:", items, indent, width)
    return lines


def summary_csv(results: Sequence[FileResult]) -> str:
    """CSV with one row per student and answer (an unreadable file gives one 'error' row)."""
    buf = io.StringIO()
    w = csv.writer(buf)
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
    return buf.getvalue()


def write_summary(results: Sequence[FileResult], path: str | Path, *, force: bool = False) -> None:
    """Write summary_csv atomically; never over an existing file unless force."""
    write_new(Path(path), summary_csv(results), force=force, option="--summary")
