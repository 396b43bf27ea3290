"""A folder named to `symbptt check`, graded by what it holds: answer files or students' code.

A folder of .yaml/.yml/.md/.tex files is a class's answers; a folder of .py files is students'
code (see codecheck). The walk is bounded (hidden and dunder folders skipped, at most
`MAX_ENTRIES` entries and `MAX_DEPTH` levels), so `check /tmp` stops at once with a message
instead of collecting a whole tree.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from symbptt.errors import InputError

#: Suffixes of answer files (YAML, Markdown, LaTeX).
ANSWER_SUFFIXES = (".yaml", ".yml", ".md", ".tex")
#: The most directory entries looked at under one folder, and the deepest level walked.
MAX_ENTRIES = 20_000
MAX_DEPTH = 6


def expand(paths: Sequence[str]) -> tuple[str, ...]:
    """The arguments with each folder of answer files replaced by its answer files (sorted);
    a folder of .py files stays as named (the code checker walks it). InputError for a folder
    with neither, with both, or too large to walk."""
    out: list[str] = []
    for p in paths:
        if not Path(p).is_dir():
            out.append(p)
            continue
        answers, code = _walk(Path(p))
        if answers and code:
            raise InputError(
                f"the folder holds {len(answers)} answer files (.yaml, .yml, .md, .tex) and "
                f"{len(code)} .py files; name the answer files or the code, not both",
                where=p,
            )
        if not answers and not code:
            raise InputError(
                "the folder holds no answer files (.yaml, .yml, .md, .tex) and no .py files",
                where=p,
            )
        out += answers if answers else [p]
    return tuple(out)


def _walk(root: Path) -> tuple[list[str], list[str]]:
    """(answer files, .py files) under root, bounded; hidden and __ folders and files skipped."""
    answers: list[str] = []
    code: list[str] = []
    seen = 0
    base = len(root.parts)
    for folder, dirs, files in os.walk(root):
        depth = len(Path(folder).parts) - base
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")) and depth < MAX_DEPTH)
        seen += len(dirs) + len(files)
        if seen > MAX_ENTRIES:
            raise InputError(
                f"the folder holds more than {MAX_ENTRIES} entries; name the answer files or a "
                "smaller folder",
                where=str(root),
            )
        for name in sorted(files):
            if name.startswith((".", "__")):
                continue
            path = os.path.join(folder, name)
            if name.endswith(ANSWER_SUFFIXES):
                answers.append(path)
            elif name.endswith(".py"):
                code.append(path)
    return sorted(answers), code
