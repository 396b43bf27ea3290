"""Comparing one output with the reference: shape, dtype, and the largest relative error."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TOLERANCE", "Diff", "diff", "matches"]

Array = np.ndarray
TOLERANCE = 1e-6  # relative; float64 code is ~1e-13 off, a slip is off by far more than this


@dataclass(frozen=True)
class Diff:
    """How `got` differs from `expected`: shape note, worst relative error and its entry."""

    ok: bool
    max_rel_error: float | None
    entry: tuple[int, ...] | None
    expected: float | None
    got: float | None
    note: str = ""


def _rel(expected: Array, got: Array) -> Array:
    floor = 1e-8 * max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    return np.abs(got - expected) / np.maximum(np.maximum(np.abs(expected), np.abs(got)), floor)


def diff(expected: Array, got: Array) -> Diff:
    """Compare elementwise; a wrong shape (or its transpose) is a difference with a note."""
    if got.shape != expected.shape:
        note = f"shape {got.shape}, expected {expected.shape}"
        if got.shape == expected.shape[::-1] and got.ndim >= 2:
            note += " (the transpose's shape)"
        elif got.size == expected.size:
            note += " (same numbers of entries, another layout)"
        return Diff(False, None, None, None, None, note)
    if got.size == 0:
        return Diff(True, 0.0, None, None, None)
    g = got.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        rel = _rel(expected, g)
    rel = np.where(np.isnan(rel), np.inf, rel)
    idx = np.unravel_index(int(np.argmax(rel)), rel.shape)
    worst = float(rel[idx])
    return Diff(worst <= TOLERANCE, worst, tuple(int(i) for i in idx),
                float(expected[idx]), float(g[idx]))  # fmt: skip


def matches(expected: Array, got: Array) -> bool:
    """Same shape and every entry within TOLERANCE."""
    return diff(expected, got).ok
