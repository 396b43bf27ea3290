"""Grading a class: read every file, judge every answer in limited worker processes.

A file that cannot be read becomes a FileResult with `error` (the others are graded); an answer
that hits a limit becomes `undecided` naming it. Verdicts come back in file and answer order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from symbptt.answers.files import Submission, read_submission
from symbptt.answers.judge import AnswerSpec, judge
from symbptt.answers.limits import WALL_SECONDS, run_limited
from symbptt.answers.points import Points
from symbptt.errors import InputError, SymbpttError
from symbptt.sourcefile import parse_yaml, read_text


@dataclass
class FileResult:
    """One file's verdicts (dicts as in the JSON report), or the input error that stopped it."""

    path: str
    student: str | None = None
    answers: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    points: dict[str, Points] = field(default_factory=dict)


@lru_cache(maxsize=16)
def _model(ref: str | None) -> Any:
    if ref is None:
        return None
    from symbptt.catalog import load

    return load(ref)


def judge_payload(payload: tuple[str | None, AnswerSpec]) -> dict[str, Any]:
    """Worker entry point: (model reference, answer) -> verdict dict."""
    ref, spec = payload
    return judge(spec, _model(ref)).as_dict()


def read_all(paths: Sequence[str]) -> list[Submission | FileResult]:
    """Read every file once: a Submission, or a FileResult carrying the input error."""
    out: list[Submission | FileResult] = []
    for path in paths:
        try:
            sub = read_submission(path)
            if sub.model is not None:
                _model(sub.model)
        except SymbpttError as exc:
            out.append(FileResult(str(path), student_hint(path), error=str(exc)))
            continue
        out.append(sub)
    return out


def student_hint(path: str | Path) -> str | None:
    """The `student` of a file that failed in reading, where its top level still says it.

    A class list must not lose whose file it was because an answer further down was broken."""
    try:
        text = read_text(Path(path))
    except SymbpttError:
        return None
    if Path(path).suffix.lower() == ".tex":
        m = re.search(r"^%\s*student\s*:\s*(\S+)\s*$", text, re.M)
        return m.group(1) if m else None
    if Path(path).suffix.lower() in (".md", ".markdown"):
        m = re.match(r"---\n(.*?)\n---\n", text, re.S)
        text = m.group(1) if m else ""
    try:
        data = parse_yaml(text, str(path)).data
    except SymbpttError:
        m = re.search(r"^student\s*:\s*['\"]?([^'\"\n#]+?)['\"]?\s*(#.*)?$", text, re.M)
        return m.group(1) if m else None
    student = data.get("student") if isinstance(data, dict) else None
    return (
        str(student) if isinstance(student, str | int) and not isinstance(student, bool) else None
    )


def count_answers(read: Sequence[Submission | FileResult]) -> int:
    """Answers in the readable files of a `read_all` result (for a progress bar; no re-read)."""
    return sum(len(r.answers) for r in read if isinstance(r, Submission))


def grade(
    paths: Sequence[str],
    *,
    jobs: int | None = None,
    seconds: float = WALL_SECONDS,
    on_done: Callable[[int], None] | None = None,
    read: Sequence[Submission | FileResult] | None = None,
) -> list[FileResult]:
    """Judge every answer of every file with `jobs` workers (default: all cores).

    `read`: the files already read by `read_all(paths)`, so that nothing is parsed twice."""
    results: list[FileResult] = []
    tasks: list[tuple[tuple[int, int], tuple[str | None, AnswerSpec]]] = []
    for fi, sub in enumerate(read_all(paths) if read is None else read):
        if isinstance(sub, FileResult):
            results.append(sub)
            continue
        res = FileResult(sub.path, sub.student, [{} for _ in sub.answers], points=sub.points)
        results.append(res)
        for ai, spec in enumerate(sub.answers):
            tasks.append(((fi, ai), (sub.model, spec)))
    ids = {key: payload[1].id for key, payload in tasks}
    for out in run_limited(judge_payload, tasks, jobs=jobs or os.cpu_count() or 1, seconds=seconds):
        fi, ai = out.key
        if out.limit is not None:
            verdict = {"id": ids[out.key], "verdict": "undecided", "reason": f"limit: {out.limit}",
                       "tolerance": "", "counterexample": None, "steps": []}  # fmt: skip
        else:
            verdict = out.result
        results[fi].answers[ai] = verdict
        if on_done is not None:
            on_done(1)
    return results


def exit_code(results: Sequence[FileResult]) -> int:
    """2 if a file could not be read, else 1 if any answer is wrong, 3 if any undecided, else 0."""
    if any(r.error for r in results):
        return 2
    verdicts = [a.get("verdict") for r in results for a in r.answers]
    if "wrong" in verdicts:
        return 1
    if "undecided" in verdicts:
        return 3
    return 0


def parse_shard(spec: str) -> tuple[int, int]:
    """'I/N' (1 <= I <= N) -> (I, N); InputError naming --shard otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", spec)
    if not m or not (1 <= int(m.group(1)) <= int(m.group(2))):
        raise InputError(f"--shard {spec!r}: expected I/N with 1 <= I <= N, such as 2/8")
    return int(m.group(1)), int(m.group(2))


def select_shard(paths: Sequence[str], index: int, count: int) -> list[str]:
    """The index-th (1-based) of `count` contiguous slices of the sorted paths.

    Sizes differ by at most one; every path is in exactly one slice, so N jobs cover a class."""
    ordered = sorted(dict.fromkeys(paths))
    base, extra = divmod(len(ordered), count)
    start = (index - 1) * base + min(index - 1, extra)
    return ordered[start : start + base + (1 if index <= extra else 0)]
