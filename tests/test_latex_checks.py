"""The documents' every-T statements and Checked section come from the symbolic core and verify."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from symbptt import catalog, verify
from symbptt.builders import vanilla as document
from symbptt.builders.vanilla import build
from symbptt.cli import cli
from symbptt.latex.formats import to_markdown, to_tex
from symbptt.symbolic import general

NAMES = catalog.builtin_names()


def norm(tex: str) -> str:
    tex = re.sub(r"\s+", "", tex)
    return re.sub(r"([_^])\{(\\?\w)\}", r"\1\2", tex)


@cache
def checked(name: str) -> document.Derivation:
    return build(catalog.load(name), checks=True)


def section(d: document.Derivation, prefix: str) -> document.Section:
    (sec,) = [s for s in d.sections if s.title.startswith(prefix)]
    return sec


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_checks_run_for_every_builtin(name: str) -> None:
    model = catalog.load(name)
    d = checked(name)
    T, n = model.sizes.T, model.sizes.n
    rows = [c for c in d.checks if c.form == "checks"]
    names = [c.name for c in rows]
    # verify's three forms against the engine or central differences, and the step lemma
    assert any(s.startswith("numeric: BPTT vs") for s in names), names
    assert any("central differences" in s for s in names), names
    assert any(s.startswith("exact: direct = BPTT") for s in names), names
    assert all(c.detail == f"T = {T}, n = {n}, seed = 0" for c in rows)
    numeric = [c for c in rows if c.name.startswith("numeric")]
    assert numeric and all(c.max_error is not None and c.max_error < 1e-8 for c in numeric)
    proof = [c for c in d.checks if c.form == "step-lemma proof"]
    assert any(c.name.startswith("induction") for c in proof)
    assert any(c.name.startswith("base case T=1") for c in proof)
    assert d.failed == [], [c.name for c in d.failed]
    tex = to_tex(d)
    assert r"\section*{Checked}" in tex and f"All {len(rows)} checks of \\texttt{{symbptt verify}} passed." in tex
    assert "seed = 0" in to_markdown(d)


def test_every_general_statement_is_printed_with_its_relation() -> None:
    model = catalog.load("tutorial")
    sec = section(build(model, checks=False), "For every T")
    stated = general.statements(model)
    assert len(sec.steps) == len(stated)
    relations = {st.name: step.relation for st, step in zip(stated, sec.steps, strict=True)}
    assert relations["delta definition"] == ":="
    assert relations["vanishing/exploding bound"] == r"\le"
    assert relations["delta recursion"] == "="
    (defn,) = [s for s in sec.steps if s.relation == ":="]
    # tutorial: delta_t = dE/dnet_t (a multi-letter name set upright)
    assert norm(defn.latex) == norm(r"\delta_t := \frac{\partial E}{\partial \mathrm{net}_t}")
    assert all(s.reason for s in sec.steps)


def test_homework3_document_says_ex1b_is_wrong_for_t_at_least_2() -> None:
    d = checked("homework3")
    sec = section(d, "A formula from the text")
    assert "WRONG" in sec.title
    claim = sec.steps[0]
    # homework Ex 1(b): dL/dW = sum_t [delta^t_j sigma'(s^t_j) h^{t-1}_i], delta^t = dL_t/dh^t
    assert norm(claim.lhs) == norm(r"\frac{\partial L}{\partial W}")
    assert norm(claim.rhs) == norm(
        r"\sum_{t=1}^{T} \left(\sigma'\left(s_t\right) \odot \delta_t\right) h_{t-1}^\top"
    )
    assert "Ex 1(b)" in claim.reason and "WRONG for every $T \\ge 2$" in claim.reason
    rows = [c for c in d.checks if c.claim]
    assert [(("T=1" in c.name), c.passed) for c in rows] == [(True, True), (False, False)]
    assert rows[1].label in claim.reason and "T=2" in rows[1].name
    assert "$T = 2$" in rows[1].label and r"\partial L / \partial W" in rows[1].label
    assert rows[1].note and rows[1].max_error > 1e-6
    assert d.failed == []  # a refuted claim is a finding, not a failed check
    assert "WRONG" in to_tex(d)


def test_dl4nlp_document_says_the_one_line_index_is_wrong() -> None:
    sec = section(build(catalog.load("dl4nlp"), checks=False), "A formula from the text")
    # dl4nlp's one line: delta_{t,k} = diag(f'(s_t)) U^T delta_{t,k+1} (s_t where s_k belongs)
    wrong, right = sec.steps
    assert norm(wrong.rhs) == norm(
        r"\operatorname{diag}\left(f'\left(s_t\right)\right) U^\top \delta_{t,k+1}"
    )
    assert "WRONG" in wrong.reason
    assert norm(right.latex) == norm(
        r"\delta_{t,k} = f'\left(s_k\right) \odot U^\top \delta_{t,k+1}"
    )


def test_models_without_a_known_wrong_formula_have_no_claim_section() -> None:
    for name in ("tutorial", "elman", "blog"):
        d = build(catalog.load(name), checks=False)
        assert not any(s.title.startswith("A formula") for s in d.sections), name


# ---- the CLI: failed checks are reported with exit 1, the document still written


def _failing_report(model, T, n, *, seed=0):  # noqa: ANN001, ANN202 - verify.run_checks' shape
    bad = verify.Check("numeric: injected failure", "(b)", False, 0.5, 0.0, "at the point p")
    return verify.Report(model.name, T, n, [bad])


def test_derive_exits_1_on_failed_check_and_still_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(document.verify, "run_checks", _failing_report)
    out = tmp_path / "d.tex"
    r = CliRunner().invoke(cli, ["derive", "tutorial", "--T", "2", "--n", "1", "-o", str(out)])
    assert r.exit_code == 1, r.output
    assert "1 check(s) FAILED" in r.stderr and "injected failure" in r.stderr
    text = out.read_text()
    assert "FAILED" in text and "injected failure" in text and "at the point p" in text


def test_derive_exits_0_when_checks_pass() -> None:
    r = CliRunner().invoke(cli, ["derive", "tutorial", "--T", "2", "--n", "1", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert '"failed": []' in r.stdout and "numeric: BPTT vs engine" in r.stdout


def test_a_users_file_with_the_homework_convention_cites_no_text(tmp_path) -> None:
    """Ex 1(b) is Homework 3's claim, not the step_state convention's: a user's own file with that
    convention gets no section citing the homework; a verbatim copy of the built-in still does."""
    src = (catalog.DERIVATIONS_DIR / "homework3.yaml").read_text(encoding="utf-8")
    own = tmp_path / "mine.yaml"
    own.write_text(src.replace("name: homework3", "name: my-rnn", 1), encoding="utf-8")
    model = catalog.load(str(own))
    assert model.delta == "step_state"
    d = build(model, checks=False)
    assert not any(s.title.startswith("A formula") for s in d.sections)
    assert "Homework 3" not in to_tex(d)
    copy = tmp_path / "copy.yaml"
    copy.write_text(src, encoding="utf-8")
    d = build(catalog.load(str(copy)), checks=False)
    assert any(s.title.startswith("A formula") for s in d.sections)
    per_step = tmp_path / "per_step.yaml"
    dl4nlp = (catalog.DERIVATIONS_DIR / "dl4nlp.yaml").read_text(encoding="utf-8")
    per_step.write_text(dl4nlp.replace("name: dl4nlp", "name: mine", 1), encoding="utf-8")
    d = build(catalog.load(str(per_step)), checks=False)
    assert not any(s.title.startswith("A formula") for s in d.sections)
