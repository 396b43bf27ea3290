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


@pytest.mark.slow
@pytest.mark.parametrize("name", GATED)
def test_every_format_prints_the_cell_and_its_reverse_step(name: str) -> None:
    for fmt in ("text", "markdown", "fragment"):
        code, out, _ = derive(name, "--no-checks", "--format", fmt)
        assert code == 0, out
    code, out, _ = derive(name, "--no-checks", "--format", "json")
    data = json.loads(out)
    titles = list(dict.fromkeys(s["section"] for s in data["steps"]))
    T = 3 if "lstm" in name else 2  # the derivation files' sizes
    assert titles == ["The cell", "For every T: one step of BPTT", "Step partials",
                      f"Path sums at $T = {T}$"]  # fmt: skip
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


@pytest.mark.slow
@pytest.mark.parametrize("name", ["homework3-lstm", "gru"])
def test_gated_documents_compile_with_pdflatex(name: str, tmp_path: Path) -> None:
    code, tex, _ = derive(name, "--no-checks", "--format", "tex")
    assert code == 0
    rc, log = compile_latex(tex, tmp_path / "doc")
    assert rc == 0, log[-2000:]


def test_derive_of_a_gated_cell_rejects_what_it_cannot_do() -> None:
    code, _, err = derive("gru", "--wrt", "V")
    assert code == 2 and "symbptt: error: --wrt V: not a parameter of 'gru'" in err
    assert "U_z, U_r, U_n, W_z, W_r, W_n, b_z, b_r, b_n, b_hn" in err
    code, _, err = derive("lstm", "--form", "direct", "--no-checks")
    assert code == 2 and "prints the forms all, general, bptt, paths" in err
    code, _, err = derive("lstm", "--T", "5")
    assert code == 2 and "T=5 is too large for a gated cell" in err


def _json(*args: str) -> dict:
    code, out, err = derive(*args, "--no-checks", "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_wrt_keeps_the_named_parameters_only() -> None:
    """--wrt W_z: the reverse step's parameter lines and the path sums are W_z's alone."""
    data = _json("gru", "--wrt", "W_z")
    grads = [s["lhs"] for s in data["steps"] if s["lhs"].startswith(r"\frac{\partial L}{")]
    assert grads == [r"\frac{\partial L}{\partial W_{z}}"]
    sums = [s for s in data["steps"] if s["section"].startswith("Path sums")]
    assert [s["lhs"] for s in sums] == [r"\frac{\partial L_{2}}{\partial W_{z}}"]
    # T = 2, one state: h_2 -> W_z and h_2 -> h_1 -> W_z (written from the chain rule)
    assert sums[0]["rhs"] == (
        r"\frac{\partial L_{2}}{\partial h_{2}} \frac{\partial h_{2}}{\partial W_{z}} + "
        r"\frac{\partial L_{2}}{\partial h_{2}} \frac{\partial h_{2}}{\partial h_{1}} "
        r"\frac{\partial h_{1}}{\partial W_{z}}"
    )
    assert "equal to direct differentiation" in sums[0]["reason"]


@pytest.mark.parametrize(
    ("form", "titles"),
    [
        ("general", ["The cell", "For every T: one step of BPTT", "Step partials"]),
        ("bptt", ["The cell", "For every T: one step of BPTT"]),
        ("paths", ["The cell", "Path sums at $T = 2$"]),
    ],
)
def test_form_chooses_the_sections(form: str, titles: list[str]) -> None:
    data = _json("gru", "--form", form)
    assert list(dict.fromkeys(s["section"] for s in data["steps"])) == titles


def test_a_head_prints_its_section_and_the_gradients_of_V_and_c() -> None:
    data = _json("derivations/examples/lstm-softmax.yaml", "--wrt", "V")
    head = [s for s in data["steps"] if s["section"] == "The output head"]
    lines = [f"{s['lhs']} = {s['rhs']}" for s in head]
    # z_t = V h_t + c, yhat_t = softmax(z_t), dE_t/dz_t = yhat_t - y_t, dE/dV = sum (yhat - y) h^T
    assert "z_{t} = V h_{t} + c" in lines
    assert r"\hat{y}_{t} = \operatorname{softmax}\left(z_{t}\right)" in lines
    assert r"\frac{\partial E_{t}}{\partial z_{t}} = \hat{y}_{t} - y_{t}" in lines
    assert (
        r"\frac{\partial E_{t}}{\partial h_{t}} = V^\top \left(\hat{y}_{t} - y_{t}\right)" in lines
    )
    assert (r"\frac{\partial E}{\partial V} = \sum_{t} \left(\hat{y}_{t} - y_{t}\right) "
            r"h_{t}^\top") in lines  # fmt: skip
    assert not [x for x in lines if x.startswith(r"\frac{\partial E}{\partial c}")]  # not in --wrt
    # E_2 reads V only through z_2 = V h_2 + c at step 2; no state reads V (paths listed as zero)
    sums = [s for s in data["steps"] if s["section"].startswith("Path sums")]
    assert [(s["lhs"], s["rhs"]) for s in sums] == [
        (r"\frac{\partial E_{2}}{\partial V}",
         r"\frac{\partial E_{2}}{\partial z_{2}} \frac{\partial z_{2}}{\partial V}")
    ]  # fmt: skip
    assert "left out as zero" in sums[0]["reason"]
    assert "equal to direct differentiation" in sums[0]["reason"]


def test_wrt_takes_the_printed_name_too() -> None:
    """--wrt 'W_{f}' (as the document prints it) names the key W_f."""
    data = _json("lstm", "--wrt", "W_{f}", "--form", "paths")
    sums = [s["lhs"] for s in data["steps"] if s["section"].startswith("Path sums")]
    assert sums == [r"\frac{\partial L_{3}}{\partial W_{f}}"]
