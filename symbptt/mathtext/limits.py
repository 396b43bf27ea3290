"""Bounds on untrusted LaTeX text, checked before any parsing: length, forbidden commands,
nesting, digits and matrix size. `LimitExceeded` names the bound an answer hit.
"""

from __future__ import annotations

import re

MAX_ANSWER_CHARS = 4000
MAX_DEPTH = 40
MAX_DIGITS = 40
MAX_MATRIX_CELLS = 100
FORBIDDEN = re.compile(
    r"\\(input|include|write|immediate|openout|openin|read|def|edef|gdef|let|newcommand|"
    r"renewcommand|catcode|csname|usepackage|documentclass|special|directlua|lua\w*)(?![a-zA-Z])"
)


class LimitExceeded(Exception):
    """An answer too big or too costly to judge; the message names the limit."""


def check_text(text: str) -> None:
    """Bounds on the raw text before any parsing: length, forbidden commands, nesting, digits."""
    if len(text) > MAX_ANSWER_CHARS:
        raise LimitExceeded(f"answer is {len(text)} characters (limit {MAX_ANSWER_CHARS})")
    bad = FORBIDDEN.search(text)
    if bad:
        raise LimitExceeded(f"refused: {bad.group(0)} is not allowed in an answer")
    depth = worst = 0
    for ch in text:
        if ch in "{([":
            depth += 1
            worst = max(worst, depth)
        elif ch in "})]":
            depth -= 1
    if worst > MAX_DEPTH:
        raise LimitExceeded(f"brackets nested {worst} deep (limit {MAX_DEPTH})")
    if text.count("\\begin") > 8:
        raise LimitExceeded("more than 8 matrices in one answer (limit 8)")
    for run in re.findall(r"\d+", text):
        if len(run) > MAX_DIGITS:
            raise LimitExceeded(f"a number with {len(run)} digits (limit {MAX_DIGITS})")
    cells = max(
        (
            len(re.findall(r"&", m)) + len(re.findall(r"\\\\", m))
            for m in re.findall(r"\\begin\{\w*matrix\}(.*?)\\end", text, re.S)
        ),
        default=0,
    )
    if cells > MAX_MATRIX_CELLS:
        raise LimitExceeded(f"a matrix with about {cells} cells (limit {MAX_MATRIX_CELLS})")
