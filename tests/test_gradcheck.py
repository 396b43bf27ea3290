"""The gradient checker: it passes on the engine and names the entry when a gradient is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from symbptt import engine
from symbptt import gradcheck as gc
from symbptt.errors import InputError


def case():
    rs = np.random.RandomState(4)
    p = {
        "U": rs.randn(3, 2) * 0.5,
        "W": rs.randn(3, 3) * 0.5,
        "b": rs.randn(3) * 0.1,
        "V": rs.randn(2, 3),
        "c": rs.randn(2),
    }
    return p, rs.randn(4, 2), rs.randint(0, 2, 4)


def test_relative_error_is_floored():
    assert gc.relative_error(1.0, 1.0) == 0.0
    assert gc.relative_error(1.0, 3.0) == pytest.approx(0.5)
    assert gc.relative_error(0.0, 1e-12) == pytest.approx(1e-4)  # floor 1e-8, not 1e-12


@pytest.mark.parametrize("loss_at", ["every", "last"])
def test_passes_on_the_engine(loss_at):
    p, xs, ys = case()
    rep = gc.gradcheck(p, xs, None, ys, activation="tanh", output="softmax", loss_at=loss_at)
    assert rep.passed(1e-6), str(rep)
    assert rep.checked == 6 + 9 + 3 + 6 + 2 + 3 + 8  # U W b V c h0 xs


def test_upstream_mode():
    p, xs, _ = case()
    dh = np.random.RandomState(0).randn(4, 3)
    rep = gc.gradcheck(p, xs, np.ones(3), dh=dh, activation="sigmoid", output=None)
    assert rep.passed(1e-6), str(rep)


def test_names_a_wrong_entry_with_both_numbers(monkeypatch):
    p, xs, ys = case()
    real = engine.backward

    def broken(trace, **kw):
        g = real(trace, **kw)
        g["W"][1, 2] += 0.5
        return g

    monkeypatch.setattr(engine, "backward", broken)
    rep = gc.gradcheck(p, xs, None, ys, activation="tanh", output="softmax")
    assert not rep.passed(1e-3)
    assert (rep.worst_name, rep.worst_index) == ("W", (1, 2))
    assert rep.analytic - rep.numeric == pytest.approx(0.5, abs=1e-6)
    text = str(rep)
    assert "W[1, 2]" in text and f"{rep.analytic:.12g}" in text and f"{rep.numeric:.12g}" in text


def test_needs_exactly_one_objective():
    p, xs, ys = case()
    with pytest.raises(InputError, match="exactly one of targets= or dh="):
        gc.gradcheck(p, xs)


@pytest.mark.parametrize("cell", ["lstm", "gru", "gru-reset-before"])
def test_gated_cells_pass_and_a_wrong_gradient_is_named(cell, monkeypatch):
    rs = np.random.RandomState(5)
    gates = "ifgo" if cell == "lstm" else "zrn"
    shape = {"U": (3, 2), "W": (3, 3), "b": (3,)}
    p = {f"{w}_{g}": rs.randn(*shape[w]) * 0.5 for w in "UWb" for g in gates}
    if cell == "gru":
        p["b_hn"] = rs.randn(3) * 0.1
    p["V"], p["c"] = rs.randn(2, 3), rs.randn(2)
    c0 = rs.randn(3) * 0.3 if cell == "lstm" else None
    xs, ys = rs.randn(4, 2), rs.randint(0, 2, 4)
    report = gc.gradcheck(p, xs, rs.randn(3) * 0.3, ys, cell=cell, c0=c0)
    assert report.passed(1e-5), str(report)  # central differences: ~1e-10 absolute noise
    assert report.checked == sum(np.size(v) for v in p.values()) + 3 + 8 + (
        3 if c0 is not None else 0
    )
    # a gradient off by 1% in one entry is caught and named
    real = engine.backward

    def off(trace, **kw):
        g = real(trace, **kw)
        g[f"W_{gates[1]}"][1, 2] *= 1.01
        return g

    monkeypatch.setattr(engine, "backward", off)
    bad = gc.gradcheck(p, xs, None, ys, cell=cell, c0=c0)
    assert not bad.passed(1e-3)
    assert (bad.worst_name, bad.worst_index) == (f"W_{gates[1]}", (1, 2))
