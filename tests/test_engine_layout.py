"""The per-step products' operand layout is decided from the BLAS kernels, never timed, so a
host gets the same bits on every run (the printed max errors of verify and the site included)."""

from __future__ import annotations

import numpy as np
import pytest

from symbptt import engine_core


@pytest.mark.parametrize(
    ("core", "override", "c_order"),
    [
        ("Haswell", "", False),
        ("SkylakeX", "", True),
        ("cooperlake", "", True),
        ("Haswell", "C", True),
        ("SkylakeX", "F", False),
    ],
)
def test_layout_follows_the_kernels_and_the_override(
    monkeypatch: pytest.MonkeyPatch, core: str, override: str, c_order: bool
) -> None:
    monkeypatch.setenv("OPENBLAS_CORETYPE", core)
    monkeypatch.setenv("SYMBPTT_RIGHT_OPERAND", override)
    monkeypatch.setattr(engine_core, "_layout_c", {})
    w = np.arange(12.0).reshape(3, 4)
    got = engine_core.right_operand(w)
    assert np.array_equal(got, w)
    assert got.flags.c_contiguous if c_order else got.flags.f_contiguous
    stack = engine_core.right_operand(np.arange(24.0).reshape(2, 3, 4))
    assert all((m.flags.c_contiguous if c_order else m.flags.f_contiguous) for m in stack)


def test_the_choice_is_the_same_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYMBPTT_RIGHT_OPERAND", raising=False)
    monkeypatch.setattr(engine_core, "_layout_c", {})
    first = engine_core._c_is_faster(np.dtype(np.float64))
    monkeypatch.setattr(engine_core, "_layout_c", {})
    assert all(engine_core._c_is_faster(np.dtype(np.float64)) == first for _ in range(5))
