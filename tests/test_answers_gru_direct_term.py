"""A one-state gated cell's d h_t / d h_{t-1}: what `symbptt derive` prints (the direct term,
diag(z_t) for PyTorch's GRU, diag(1 - z_t) for the MGU whose z and 1 - z are swapped), typed
back with `derivative: partial`, is judged correct; without the key it is read as the total.

Expected verdicts: the direct term (only the h equation's own read of h_{t-1} moves, z_t and
n_t held fixed) is diag(z_t) by hand from h_t = (1 - z_t) n_t + z_t h_{t-1}; the numpy loop
below (PyTorch's nn.GRU equations) confirms it by central differences, and that the total differs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symbptt import catalog
from symbptt.answers.grade import grade
from symbptt.builders import gated as gated_document

ROOT = Path(__file__).parents[1]
EPS = 1e-6


def sig(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def gru_step(P: dict, x: np.ndarray, h: np.ndarray, own: np.ndarray | None = None) -> np.ndarray:
    """PyTorch nn.GRU; `own` replaces h_{t-1} only in h_t = (1 - z) n + z h_{t-1}."""
    z = sig(P["Wz"] @ h + P["Uz"] @ x + P["bz"])
    r = sig(P["Wr"] @ h + P["Ur"] @ x + P["br"])
    n = np.tanh(P["Un"] @ x + P["bn"] + r * (P["Wn"] @ h + P["bhn"]))
    return (1 - z) * n + z * (h if own is None else own), z


def test_the_direct_term_is_diag_z_and_differs_from_the_total() -> None:
    rng = np.random.default_rng(4)
    n = 3
    P = {k: rng.normal(0, 0.8, (n, n)) for k in ("Wz", "Wr", "Wn", "Uz", "Ur", "Un")}
    P |= {k: rng.normal(0, 0.5, n) for k in ("bz", "br", "bn", "bhn")}
    x, h = rng.normal(size=n), rng.normal(size=n)
    _, z = gru_step(P, x, h)
    direct, total = np.zeros((n, n)), np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = EPS
        direct[:, j] = (gru_step(P, x, h, h + e)[0] - gru_step(P, x, h, h - e)[0]) / (2 * EPS)
        total[:, j] = (gru_step(P, x, h + e)[0] - gru_step(P, x, h - e)[0]) / (2 * EPS)
    assert np.abs(direct - np.diag(z)).max() < 1e-8
    assert np.abs(total - np.diag(z)).max() > 1e-2


def flat(t: str) -> str:
    """LaTeX without \\left, \\right, braces and spaces."""
    return "".join(c for c in t.replace("\\left", "").replace("\\right", "") if c not in " {}")


def _file(tmp_path: Path, model: str, gate: str, wrong: str) -> str:
    body = f"""model: {model}
student: s1
answers:
  - id: partial
    derivative: partial
    answer: '\\frac{{\\partial h_t}}{{\\partial h_{{t-1}}}} = \\operatorname{{diag}}({gate})'
  - id: default
    answer: '\\frac{{\\partial h_t}}{{\\partial h_{{t-1}}}} = \\operatorname{{diag}}({gate})'
  - id: swapped
    derivative: partial
    answer: '\\frac{{\\partial h_t}}{{\\partial h_{{t-1}}}} = \\operatorname{{diag}}({wrong})'
"""
    path = tmp_path / "answers.yaml"
    path.write_text(body, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("model", "gate", "wrong"),
    [
        ("gru", "z_t", "1 - z_t"),
        (str(ROOT / "derivations" / "examples" / "mgu.yaml"), "1 - z_t", "z_t"),
    ],
)
def test_derive_s_direct_term_typed_back_with_derivative_partial_is_correct(
    tmp_path: Path, model: str, gate: str, wrong: str
) -> None:
    doc = gated_document.build(catalog.load(model), checks=False)
    printed = [s for s in doc.steps if s.kind == "direct term"]
    assert len(printed) == 1 and "derivative: partial" in printed[0].reason
    assert f"diag({flat(gate)})" in flat(printed[0].rhs), printed[0].rhs
    (res,) = grade([_file(tmp_path, model, gate, wrong)], jobs=1)
    assert res.error is None
    got = {a["id"]: a for a in res.answers}
    assert got["partial"]["verdict"] == "correct", got["partial"]["reason"]
    assert "direct term" in got["partial"]["reason"]
    assert got["default"]["verdict"] == "wrong", got["default"]["reason"]
    assert "direct term" in got["default"]["reason"]  # the note names the other meaning
    assert got["swapped"]["verdict"] == "wrong", got["swapped"]["reason"]


def test_the_peephole_step_partial_derive_prints_is_judged_correct(tmp_path: Path) -> None:
    """Peepholes: derive's printed dc_t/dc_{t-1} (tests/test_printed_truth_gated.py holds it
    equal to a numpy loop of the peephole equations) typed back is correct; diag(f_t) is not."""
    model = str(ROOT / "derivations" / "examples" / "peephole-lstm.yaml")
    doc = gated_document.build(catalog.load(model), checks=False)
    (step,) = [s for s in doc.steps if s.kind == "step partial"]
    lhs = "\\frac{\\partial c_t}{\\partial c_{t-1}}"
    path = tmp_path / "peephole.yaml"
    path.write_text(
        f"model: {model}\nstudent: s1\nanswers:\n"
        f"  - id: printed\n    answer: '{lhs} = {step.rhs}'\n"
        f"  - id: diag-f\n    answer: '{lhs} = \\operatorname{{diag}}(f_t)'\n",
        encoding="utf-8",
    )
    (res,) = grade([str(path)], jobs=1)
    got = {a["id"]: a["verdict"] for a in res.answers}
    assert got == {"printed": "correct", "diag-f": "wrong"}
