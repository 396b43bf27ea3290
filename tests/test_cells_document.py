"""`symbptt derive` of a gated cell: the cell, its reverse step, the derived step partials, checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import compile_latex

from symbptt.cli import cli

GATED = ["lstm", "homework3-lstm", "gru", "gru-reset-before"]


def derive(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["derive", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", GATED)
def test_every_format_prints_the_cell_and_its_reverse_step(name: str) -> None:
    for fmt in ("text", "markdown", "fragment"):
        code, out, _ = derive(name, "--no-checks", "--format", fmt)
        assert code == 0, out
    code, out, _ = derive(name, "--no-checks", "--format", "json")
    data = json.loads(out)
    titles = list(dict.fromkeys(s["section"] for s in data["steps"]))
    assert titles == ["The cell", "For every T: one step of BPTT", "Step partials"]
    tex = json.dumps(data)
    gate, state = ("f", "C" if name == "homework3-lstm" else "c") if "lstm" in name else ("z", "h")
    assert f"\\\\operatorname{{diag}}\\\\left({gate}_{{t}}\\\\right)" in tex
    assert f"\\\\partial {state}_{{t}}" in tex


def test_the_lstm_document_states_the_published_backward_lines() -> None:
    """The lines of the CS231n / deeplearning.ai LSTM backward (gated-cells.md), as printed."""
    code, out, _ = derive("lstm", "--no-checks", "--format", "fragment")
    assert code == 0
    # dc_t = dh_t * o_t * (1 - tanh^2 c_t) + dc_next; df = dc * c_prev; dc_prev = dc * f;
    # da_f = df * f(1 - f): each right-hand side as the document prints it
    for rhs in (
        r"\hat{\delta}^{c}_{t} + \delta^{h}_{t} \odot o_{t} \odot "
        r"\left(1 - \tanh^{2}\left(c_{t}\right)\right)",
        r"\delta^{c}_{t} \odot c_{t-1}",
        r"\delta^{c}_{t} \odot f_{t}",
        r"\delta^{f}_{t} \odot f_{t} \odot \left(1 - f_{t}\right)",
    ):
        assert rhs in out, rhs


@pytest.mark.slow
def test_lstm_document_with_checks_compiles_with_pdflatex(tmp_path: Path) -> None:
    code, tex, err = derive("lstm", "--format", "tex")
    assert code == 0, err
    assert "\\section*{Checked}" in tex and "FAILED" not in tex
    rc, log = compile_latex(tex, tmp_path / "doc")
    assert rc == 0, log[-2000:]


@pytest.mark.parametrize("name", ["homework3-lstm", "gru"])
def test_gated_documents_compile_with_pdflatex(name: str, tmp_path: Path) -> None:
    code, tex, _ = derive(name, "--no-checks", "--format", "tex")
    assert code == 0
    rc, log = compile_latex(tex, tmp_path / "doc")
    assert rc == 0, log[-2000:]


def test_derive_of_a_gated_cell_rejects_what_it_cannot_do_yet() -> None:
    code, _, err = derive("gru", "--wrt", "W_z")
    assert code == 2 and "--wrt is not supported for a gated cell yet" in err
    code, _, err = derive("lstm", "--T", "5")
    assert code == 2 and "T=5 is too large for a gated cell" in err
