"""The results file Gradescope's autograder reads (/autograder/results/results.json).

One test per answer with name, score, max_score, status, output and visibility, and the overall
score, so that a course can run `symbptt check --gradescope results.json` as its autograder.
Field names follow Gradescope's published autograder specification.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from symbptt.answers.grade import FileResult
from symbptt.answers.points import Rubric, score_file
from symbptt.answers.report import counterexample_lines
from symbptt.outfile import write_new


def _output(answer: Mapping[str, Any] | None, note: str) -> str:
    """What the student reads under a test: verdict, reason, failing steps, counterexample."""
    if answer is None:
        return note
    lines = [f"{str(answer['verdict']).upper()}: {answer['reason']}"]
    steps = answer.get("steps") or []
    if len(steps) > 1:
        for s in steps:
            tail = f": {s['reason']}" if s["verdict"] != "correct" else ""
            lines.append(f"step {s['index']}: {s['verdict']}{tail}")
    lines += [ln.strip() for ln in counterexample_lines(answer.get("counterexample"), "")]
    if note:
        lines.append(note)
    return "\n".join(lines)


def as_gradescope(
    results: Sequence[FileResult], rubric: Rubric | None = None, *, seconds: float | None = None
) -> dict[str, Any]:
    """Gradescope's results.json as a dict: one test per answer, the total as `score`."""
    tests: list[dict[str, Any]] = []
    visibility = rubric.visibility if rubric is not None else "visible"
    several = len(results) > 1
    messages: list[str] = []
    for r in results:
        prefix = f"{Path(r.path).name}: " if several else ""
        if r.error:
            messages.append(f"{r.path}: could not be read: {r.error}")
            for ident, pts in rubric.points.items() if rubric else []:
                tests.append(
                    {
                        "name": f"{prefix}{ident}",
                        "score": 0.0,
                        "max_score": pts.total,
                        "status": "failed",
                        "output": f"the file could not be read: {r.error}",
                        "visibility": visibility,
                    }
                )
            continue
        by_id = {str(a["id"]): a for a in r.answers}
        for sc in score_file(r.answers, r.points, rubric):
            tests.append(
                {
                    "name": f"{prefix}{sc.id}",
                    "score": sc.score,
                    "max_score": sc.max_score,
                    "status": "passed" if sc.score >= sc.max_score else "failed",
                    "output": _output(by_id.get(sc.id), sc.note),
                    "visibility": visibility,
                }
            )
    doc: dict[str, Any] = {
        "score": sum(t["score"] for t in tests),
        "output": "\n".join(messages) if messages else "Checked by symbptt.",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if seconds is not None:
        doc["execution_time"] = round(seconds, 3)
    return doc


def write_gradescope(
    results: Sequence[FileResult],
    path: str | Path,
    *,
    force: bool = False,
    rubric: Rubric | None = None,
    seconds: float | None = None,
) -> None:
    """Write as_gradescope as JSON; the autograder's results.json may exist only with force."""
    text = json.dumps(as_gradescope(results, rubric, seconds=seconds), indent=2) + "\n"
    write_new(Path(path), text, force=force, option="--gradescope")
