"""Points: what each answer is worth, and the score its verdict earns (partial credit by steps).

Points come from a rubric file (`symbptt check --rubric`, the grader's word, which wins) or from
the answer file's own `points` keys; without either, every answer is worth 1. A rubric entry is a
number (all or nothing), or `{total: 3, steps: [1, 1, 1]}` (each correct `=` step of a chain
earns its share; an answer with another number of steps earns only all or nothing), or
`{total: 3, partial: proportional}` (the share of correct steps).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symbptt.errors import InputError
from symbptt.sourcefile import parse_yaml, read_text

_KEYS = {"total", "steps", "partial"}
_VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Points:
    """What one answer is worth: `total`, and optionally points per step or proportional credit."""

    total: float = 1.0
    steps: tuple[float, ...] | None = None
    proportional: bool = False


@dataclass(frozen=True)
class Rubric:
    """The grader's points per answer id; `visibility` is what Gradescope shows students."""

    points: Mapping[str, Points]
    visibility: str = "visible"


@dataclass(frozen=True)
class Score:
    """The points one answer earned, out of its maximum, and how they were reckoned."""

    id: str
    score: float
    max_score: float
    note: str = ""


def _number(value: Any, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{what} must be a number, found {value!r}", where=where)
    if value < 0:
        raise InputError(f"{what} must not be negative, found {value!r}", where=where)
    return float(value)


def read_points(value: Any, label: str, where: str) -> Points:
    """A `points` value: a number, or a mapping with total and steps or partial: proportional."""
    if not isinstance(value, dict):
        return Points(_number(value, f"{label}: points", where))
    for key in value:
        if key not in _KEYS:
            raise InputError(
                f"{label}: unknown points key {key!r}; expected one of {', '.join(sorted(_KEYS))}",
                where=where,
            )
    steps = value.get("steps")
    partial = value.get("partial")
    if partial not in (None, "proportional"):
        raise InputError(f"{label}: partial must be 'proportional', found {partial!r}", where=where)
    if steps is not None and partial is not None:
        raise InputError(f"{label}: give either steps or partial, not both", where=where)
    step_pts: tuple[float, ...] | None = None
    if steps is not None:
        if not isinstance(steps, list) or not steps:
            raise InputError(f"{label}: steps must be a non-empty list of numbers", where=where)
        step_pts = tuple(_number(s, f"{label}: each step's points", where) for s in steps)
    if "total" in value:
        total = _number(value["total"], f"{label}: total", where)
    elif step_pts is not None:
        total = sum(step_pts)
    else:
        raise InputError(f"{label}: points need a total (or a list of steps)", where=where)
    if step_pts is not None and not math.isclose(sum(step_pts), total, abs_tol=1e-9):
        raise InputError(
            f"{label}: the steps' points add up to {sum(step_pts):g}, not the total {total:g}",
            where=where,
        )
    return Points(total, step_pts, partial == "proportional")


def read_rubric(path: str | Path) -> Rubric:
    """A rubric file: `points: {answer id: points}` and optionally `visibility` for Gradescope."""
    p = Path(path)
    doc = parse_yaml(read_text(p), str(p))
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("points"), dict):
        raise InputError("a rubric is a mapping with 'points: {answer id: points}'", where=str(p))
    for key in data:
        if key not in ("points", "visibility"):
            raise InputError(
                f"unknown key {key!r}; expected points or visibility", where=doc.where(key)
            )
    vis = data.get("visibility", "visible")
    if vis not in _VISIBILITY:
        raise InputError(
            f"visibility must be one of {', '.join(_VISIBILITY)}, found {vis!r}",
            where=doc.where("visibility"),
        )
    pts = {
        str(k): read_points(v, f"answer {str(k)!r}", doc.where("points", k))
        for k, v in data["points"].items()
    }
    if not pts:
        raise InputError("the rubric gives no points", where=doc.where("points"))
    return Rubric(pts, vis)


def score_answer(answer: Mapping[str, Any], points: Points) -> Score:
    """The points a verdict earns: all for correct; per correct step or proportional otherwise."""
    ident = str(answer.get("id", ""))
    verdict = answer.get("verdict")
    if verdict == "correct":
        return Score(ident, points.total, points.total)
    if verdict == "undecided":
        return Score(ident, 0.0, points.total, "undecided: 0 points until graded by hand")
    steps: Sequence[Mapping[str, Any]] = answer.get("steps") or []
    good = [s.get("verdict") == "correct" for s in steps]
    if points.steps is not None:
        if len(good) != len(points.steps):
            return Score(
                ident, 0.0, points.total,
                f"points per step need {len(points.steps)} steps; the answer has {len(good)}",
            )  # fmt: skip
        earned = sum(p for p, ok in zip(points.steps, good, strict=True) if ok)
        return Score(ident, earned, points.total, f"{sum(good)} of {len(good)} steps correct")
    if points.proportional and good:
        return Score(
            ident, points.total * sum(good) / len(good), points.total,
            f"{sum(good)} of {len(good)} steps correct",
        )  # fmt: skip
    return Score(ident, 0.0, points.total)


def score_file(
    answers: Sequence[Mapping[str, Any]],
    file_points: Mapping[str, Points],
    rubric: Rubric | None,
) -> list[Score]:
    """Scores of one file's answers: the rubric's ids when given (a missing answer earns 0)."""
    if rubric is None:
        return [score_answer(a, file_points.get(str(a["id"]), Points())) for a in answers]
    by_id = {str(a["id"]): a for a in answers}
    out = []
    for ident, pts in rubric.points.items():
        a = by_id.get(ident)
        if a is None:
            out.append(Score(ident, 0.0, pts.total, "missing: no answer with this id"))
        else:
            out.append(score_answer(a, pts))
    return out
