"""`symbptt derive` on a terminal: Unicode maths by default, checks counted as `verify` counts.

Expected equations are written by hand from the texts (dl4nlp: s_t = U h_{t-1} + W x_t, the
delta recursion with f' at step k); the check counts come from a separate `verify` run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from symbptt import verify
from symbptt.builders import vanilla as document
from symbptt.cli import cli
from symbptt.latex.text import prose_to_text, tex_to_text


def run(*args: str):
    return CliRunner().invoke(cli, ["derive", *args])


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"s_{t} = U h_{t-1} + W x_{t}", "sₜ = U hₜ₋₁ + W xₜ"),
        (
            r"\delta_{t,k} = f'\left(s_{k}\right) \odot U^\top \delta_{t,k+1}",
            "δₜ,ₖ = f′(sₖ) ⊙ Uᵀ δₜ,ₖ₊₁",
        ),
        (
            r"\frac{\partial E}{\partial W} = \sum_{t=1}^{T} \delta_{t} x_{t}^\top",
            "∂E/∂W = ∑ₜ₌₁ᵀ δₜ xₜᵀ",
        ),
        (r"\hat{y}_{t} = \operatorname{softmax}\left(z_{t}\right)", "ŷₜ = softmax(zₜ)"),
        (r"U \in \mathbb{R}^{n \times n}", "U ∈ ℝⁿˣⁿ"),
        (r"\lVert \delta_{k} \rVert \le \beta^{t-k}", "‖δₖ‖ ≤ βᵗ⁻ᵏ"),
        (r"\delta_{t,k} \overset{?}{=} \delta_{t}", "δₜ,ₖ ≟ δₜ"),
        (r"\frac{a + b}{c}", "(a + b)/c"),
        (r"W_{hy} h_{t}", "W_hy hₜ"),  # no Unicode subscript y: plain, not a look-alike
        (r"\begin{pmatrix} a_{1} & b \\ c & d \end{pmatrix}", "[a₁  b;  c  d]"),
        (r"\text{path } E_{3} \to h_{3}", "path E₃ → h₃"),
        (r"\mysterymacro{x}", "mysterymacrox"),  # unknown: its name kept, nothing dropped
    ],
)
def test_tex_to_text(tex: str, text: str) -> None:
    assert tex_to_text(tex) == text


def test_prose_keeps_code_and_converts_math() -> None:
    assert prose_to_text("chain rule through $h_{k}$; see `engine.forward`") == (
        "chain rule through hₖ; see engine.forward"
    )


def test_default_is_readable_text_with_the_texts_equations() -> None:
    r = run("dl4nlp", "--form", "general")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert not re.search(r"\\[A-Za-z]", out), "raw LaTeX in the terminal text"
    assert "sₜ = U hₜ₋₁ + W xₜ" in out  # dl4nlp: U recurrent, W input
    assert "δₜ,ₖ = f′(sₖ) ⊙ Uᵀ δₜ,ₖ₊₁" in out  # the recursion with f' at step k
    assert "δₜ,ₖ ≟ diag(f′(sₜ)) Uᵀ δₜ,ₖ₊₁" in out  # the lecture's one line, marked
    assert (
        out.rstrip()
        .splitlines()[-1]
        .startswith("Next: symbptt derive dl4nlp --form general -o dl4nlp.tex")
    )
    assert len(out.splitlines()) < 150


def test_dash_o_suffix_picks_the_format_and_format_wins(tmp_path: Path) -> None:
    for name, start in (("d.tex", r"\documentclass"), ("d.md", "# "), ("d.json", "{")):
        assert run("tutorial", "--no-checks", "-o", str(tmp_path / name)).exit_code == 0
        assert (tmp_path / name).read_text().startswith(start), name
    r = run("tutorial", "--no-checks", "--format", "text", "-o", str(tmp_path / "t.tex"))
    assert r.exit_code == 0
    assert (tmp_path / "t.tex").read_text().startswith("Backpropagation through time: tutorial")
    assert "Next:" not in (tmp_path / "t.tex").read_text()


def test_derive_counts_checks_as_verify_does() -> None:
    r = CliRunner().invoke(cli, ["verify", "tutorial", "--T", "2", "--n", "1"])
    (count,) = re.findall(r"^(\d+) checks: all passed$", r.stdout, flags=re.M)
    d = run("tutorial", "--T", "2", "--n", "1")
    assert d.exit_code == 0
    assert f"All {count} checks of symbptt verify passed." in d.stdout
    data = json.loads(run("tutorial", "--T", "2", "--n", "1", "--format", "json").stdout)
    assert data["counts"]["checks"] == int(count) and data["counts"]["checks_failed"] == 0
    # --form general runs only the proof: one check, not one per proof step
    g = run("tutorial", "--form", "general")
    assert "The one check passed. It is the step-lemma proof" in g.stdout


def test_refuted_claim_is_apart_from_our_checks() -> None:
    r = run("homework3", "--form", "general")
    assert r.exit_code == 0  # the text's wrong formula is a finding, not our failure
    assert "The one check passed." in r.stdout
    assert "The text's formula: 1 of 2 checks refute it (marked WRONG)" in r.stdout
    assert "FAILED" not in r.stdout + r.stderr


def _failing(model, T, n, *, seed=0):  # noqa: ANN001, ANN202 - verify.run_checks' shape
    checks = [
        verify.Check("numeric: injected failure", "(b)", False, 0.5, 0.0, "at p"),
        verify.Check("numeric: fine", "(b)", True, 1e-16, 0.0),
    ]
    return verify.Report(model.name, T, n, checks)


def test_a_failed_check_is_counted_once_in_text_and_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(document.verify, "run_checks", _failing)
    r = run("tutorial", "--T", "2", "--n", "1")
    assert r.exit_code == 1
    assert "1 of 2 checks of symbptt verify FAILED" in r.stdout
    assert "derive: 1 of 2 check(s) FAILED" in r.stderr and "injected failure" in r.stderr


_PIECES = [*"\\{}_^&$ ax1'", r"\frac", r"\begin{pmatrix}", r"\end{pmatrix}", r"\hat", r"\left("]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_tex_to_text_never_raises_on_a_users_names(tex: str) -> None:
    # a derivation file may give any LaTeX for a name: the terminal text must still print
    assert isinstance(tex_to_text(tex), str)


def test_no_checks_says_so_and_counts_nothing() -> None:
    r = run("tutorial", "--no-checks", "--form", "general")
    assert r.exit_code == 0
    assert "Not checked (--no-checks)." in r.stdout and "All 0" not in r.stdout
