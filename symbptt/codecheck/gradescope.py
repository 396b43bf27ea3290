"""Gradescope's results.json for students' code: one test per function of the API.

The same fields as the answer checker's file (symbptt.answers.gradescope): name, score,
max_score, status, output, visibility per test, and the total `score`. A function scores 1
when correct; a function the file does not define scores 0 with the output "not defined".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from symbptt.codecheck.judge import FileResult, FunctionResult
from symbptt.outfile import write_new

__all__ = ["as_gradescope", "write_gradescope"]


def _output(f: FunctionResult) -> str:
    if f.verdict == "missing":
        return "not defined in the file"
    lines = [f.verdict.upper() + (f": {f.reason}" if f.reason else "")]
    if f.slip:
        lines.append(f"likely slip: {f.slip}")
    for o in f.outputs:
        if o.verdict == "wrong":
            lines.append(o.note or f"{o.name}: max relative error {o.max_rel_error:.4g} at {o.entry}: "
                                   f"expected {o.expected:.6g}, got {o.got:.6g}")  # fmt: skip
    return "\n".join(lines)


def as_gradescope(results: Sequence[FileResult], *, seconds: float | None = None) -> dict[str, Any]:
    """results.json as a dict: a test per file and function, the number correct as `score`."""
    tests: list[dict[str, Any]] = []
    messages: list[str] = []
    several = len(results) > 1
    for r in results:
        prefix = f"{Path(r.path).name}: " if several else ""
        if r.error is not None:
            messages.append(f"{r.path}: not checked: {r.error}")
            continue
        for f in r.functions:
            ok = f.verdict == "correct"
            tests.append({"name": f"{prefix}{f.name}", "score": 1.0 if ok else 0.0, "max_score": 1.0,
                          "status": "passed" if ok else "failed", "output": _output(f),
                          "visibility": "visible"})  # fmt: skip
    doc: dict[str, Any] = {
        "score": sum(t["score"] for t in tests),
        "output": "\n".join(messages)
        if messages
        else "Checked by symbptt (code run in a sandbox).",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if seconds is not None:
        doc["execution_time"] = round(seconds, 3)
    return doc


def write_gradescope(results: Sequence[FileResult], path: str | Path, *, force: bool = False,
                     seconds: float | None = None) -> None:  # fmt: skip
    """Write as_gradescope as JSON; an existing file is replaced only with force."""
    text = json.dumps(as_gradescope(results, seconds=seconds), indent=2, allow_nan=False) + "\n"
    write_new(Path(path), text, force=force, option="--gradescope")
