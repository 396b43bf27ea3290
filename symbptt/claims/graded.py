"""Claims an answer can state: derivations/claims/<text>.yaml, judged by `symbptt check`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from symbptt.catalog import DERIVATIONS_DIR
from symbptt.claims.result import TEXTS, ClaimResult
from symbptt.errors import InputError

CLAIMS_DIR = DERIVATIONS_DIR / "claims"
JOBS = 2
_VERDICT = {"correct": "confirmed", "wrong": "wrong", "undecided": "undecided"}
_CLAIM_COMMENT = re.compile(r"^\s*#\s?(claim:)?\s?(.*)$")
_ID_LINE = re.compile(r"^\s*-\s*id:\s*['\"]?([^'\"\s#]+)")


def claim_file(text: str) -> Path:
    """derivations/claims/<text>.yaml, or InputError naming the unknown text."""
    if text not in TEXTS:
        raise InputError(f"unknown text {text!r}; expected one of {', '.join(TEXTS)}", where="TEXT")
    return CLAIMS_DIR / f"{text}.yaml"


def _comments(path: Path) -> dict[str, str]:
    """The `# claim:` comment above each answer id (the statement in words)."""
    out: dict[str, str] = {}
    block: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _CLAIM_COMMENT.match(line)
        if m and (m.group(1) or block):
            block.append(m.group(2).strip())
            continue
        ident = _ID_LINE.match(line)
        if ident and block:
            out[ident.group(1)] = " ".join(block)
        block = []
    return out


def claim_files(text: str) -> list[Path]:
    """The text's claim file and, if any, its gated companion (claims/gated/<text>.yaml: claims
    about the text's LSTM, in a model of their own)."""
    main = claim_file(text)
    gated = CLAIMS_DIR / "gated" / f"{text}.yaml"
    return [main, gated] if gated.is_file() else [main]


def graded(texts: Sequence[str]) -> list[ClaimResult]:
    """Judge every answer of the texts' claim files in one grading run."""
    from symbptt.answers.files import Submission
    from symbptt.answers.grade import grade, read_all

    pairs = [(t, p) for t in texts for p in claim_files(t)]
    paths = [str(p) for _, p in pairs]
    read = read_all(paths)
    results = grade(paths, jobs=JOBS, read=read)
    out: list[ClaimResult] = []
    for (text, path), sub, res in zip(pairs, read, results, strict=True):
        if res.error or not isinstance(sub, Submission):
            raise InputError(f"claim file unreadable: {res.error}", where=str(path))
        words = _comments(path)
        for spec, v in zip(sub.answers, res.answers, strict=True):
            out.append(ClaimResult(
                text, spec.id, words.get(spec.id, " ".join(spec.answer.split())),
                _VERDICT[v["verdict"]], v["reason"], v.get("counterexample"),
                f"symbptt check {path.relative_to(DERIVATIONS_DIR.parent)}",
            ))  # fmt: skip
    return out
