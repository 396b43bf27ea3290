"""Reports of a graded class: human text, the JSON document, and a CSV summary."""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from symbptt.answers.grade import FileResult
from symbptt.answers.points import Rubric, score_file
from symbptt.outfile import write_new

CSV_FIELDS = ("path", "student", "id", "verdict", "reason", "tolerance", "points", "max_points")
SCORE_FIELDS = ("path", "student", "score", "max_score", "correct", "wrong", "undecided", "missing",
                "error")  # fmt: skip


def as_json(results: Sequence[FileResult], rubric: Rubric | None = None) -> dict[str, Any]:
    """{"files": [{"path", "student", "answers": [...], "error"?, "score"?, "max_score"?}]}.

    Scores appear where points were given (a rubric, or the files' own `points`)."""
    files = []
    scored = rubric is not None or any(r.points for r in results)
    for r in results:
        item: dict[str, Any] = {"path": r.path, "student": r.student, "answers": r.answers}
        if r.error:
            item["error"] = r.error
        elif scored:
            sc = score_file(r.answers, r.points, rubric)
            item["score"] = sum(s.score for s in sc)
            item["max_score"] = sum(s.max_score for s in sc)
            item["scores"] = [s.__dict__ for s in sc]
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

    `expected` and `got` (`left` and `right` of an inequality) are left out: the reason states them."""
    if not ce:
        return []
    head = []
    for key, v in ce.items():
        if key in ("expected", "got", "left", "right", "instance"):  # the reason states them
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


def _num(x: float) -> str:
    return f"{x:g}"


def summary_csv(results: Sequence[FileResult], rubric: Rubric | None = None) -> str:
    """CSV with one row per student and answer (an unreadable file gives one 'error' row).

    With a rubric, an answer the rubric asks for but the file lacks is a 'missing' row."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    for r in results:
        if r.error:
            w.writerow([r.path, r.student or "", "", "error", r.error, "", "", ""])
            continue
        scores = {s.id: s for s in score_file(r.answers, r.points, rubric)}
        for a in r.answers:
            sc = scores.pop(str(a["id"]), None)
            w.writerow(
                [
                    r.path,
                    r.student or "",
                    a["id"],
                    a["verdict"],
                    a["reason"],
                    a.get("tolerance", ""),
                    "" if sc is None else _num(sc.score),
                    "" if sc is None else _num(sc.max_score),
                ]
            )
        for sc in scores.values():  # asked for by the rubric, absent from the file
            w.writerow(
                [r.path, r.student or "", sc.id, "missing", sc.note, "", "0", _num(sc.max_score)]
            )
    return buf.getvalue()


def max_score(rubric: Rubric | None) -> float | None:
    """The class's maximum: the rubric's total, or None where each file sets its own."""
    return None if rubric is None else sum(p.total for p in rubric.points.values())


def scores_csv(results: Sequence[FileResult], rubric: Rubric | None = None) -> str:
    """CSV with one row per student: score, maximum and the counts of answers by verdict.

    An unreadable file scores 0 out of the rubric's maximum (blank without a rubric)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(SCORE_FIELDS)
    full = max_score(rubric)
    for r in results:
        if r.error:
            w.writerow([r.path, r.student or "", "0", "" if full is None else _num(full),
                        0, 0, 0, 0, r.error])  # fmt: skip
            continue
        scores = score_file(r.answers, r.points, rubric)
        counts = {
            v: sum(1 for a in r.answers if a["verdict"] == v)
            for v in ("correct", "wrong", "undecided")
        }
        missing = sum(1 for s in scores if s.note.startswith("missing"))
        w.writerow(
            [
                r.path,
                r.student or "",
                _num(sum(s.score for s in scores)),
                _num(sum(s.max_score for s in scores)),
                counts["correct"],
                counts["wrong"],
                counts["undecided"],
                missing,
                "",
            ]
        )
    return buf.getvalue()


def score_line(r: FileResult, rubric: Rubric | None) -> str:
    """'score 3/5' for one readable file."""
    scores = score_file(r.answers, r.points, rubric)
    return f"score {_num(sum(s.score for s in scores))}/{_num(sum(s.max_score for s in scores))}"


def write_summary(
    results: Sequence[FileResult], path: str | Path, *, force: bool = False,
    rubric: Rubric | None = None,
) -> None:  # fmt: skip
    """Write summary_csv atomically; never over an existing file unless force."""
    write_new(Path(path), summary_csv(results, rubric), force=force, option="--summary")


def write_scores(
    results: Sequence[FileResult], path: str | Path, *, force: bool = False,
    rubric: Rubric | None = None,
) -> None:  # fmt: skip
    """Write scores_csv atomically; never over an existing file unless force."""
    write_new(Path(path), scores_csv(results, rubric), force=force, option="--scores")
