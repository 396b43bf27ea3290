"""A head on a cell that already has a z_t (the GRU's and MGU's update gate): the head's
pre-activation takes another letter, so the two never print alike or are read back as one;
a clash the file writes itself is an input error. Also: BCE is printed with its brackets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from symbptt import catalog
from symbptt.resources import data_root

MGU = (data_root() / "derivations" / "examples" / "mgu.yaml").read_text(encoding="utf-8")


def _mgu_bce(tmp_path: Path) -> Path:
    text = MGU.replace("output: none", "output: sigmoid").replace(
        "loss: generic", "loss: binary_cross_entropy"
    )
    path = tmp_path / "mgu_bce.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symbptt", *args], cwd=cwd, capture_output=True, text=True
    )


def test_the_heads_letter_leaves_the_gates_z(tmp_path: Path) -> None:
    model = catalog.load(str(_mgu_bce(tmp_path)))
    assert "z" in model.cell_def.quantities
    assert model.notation.output_preactivation.ascii not in model.cell_def.quantities
    out = _run("derive", "mgu_bce.yaml", "--no-checks", "--format", "tex", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "s_{t}" in out.stdout and "z_{t} = V" not in out.stdout
    # binary cross-entropy keeps the brackets around both terms
    assert r"\left[ y_j \log \hat{y}_j + (1 - y_j) \log (1 - \hat{y}_j) \right]" in out.stdout


def test_an_answer_about_the_heads_error_term_is_judged_by_the_head(tmp_path: Path) -> None:
    _mgu_bce(tmp_path)
    (tmp_path / "a.yaml").write_text(
        "model: mgu_bce.yaml\nanswers:\n"
        "  - id: right\n    answer: '\\frac{\\partial L_t}{\\partial s_t} = \\hat{y}_t - y_t'\n"
        "  - id: sign\n    answer: '\\frac{\\partial L_t}{\\partial s_t} = y_t - \\hat{y}_t'\n",
        encoding="utf-8",
    )
    out = _run("check", "a.yaml", cwd=tmp_path)
    assert "right: CORRECT" in out.stdout, out.stdout
    assert "sign: WRONG" in out.stdout and "the sign of the error term" in out.stdout
    assert out.returncode == 1


def test_a_clash_the_file_writes_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_text(
        "name: g\ndescription: a GRU with a head\ncell: gru\n"
        "symbols:\n  output_preactivation: z\n"
        "output: softmax\nloss: cross_entropy\nsizes: {T: 2, n: 2, m: 2}\n",
        encoding="utf-8",
    )
    out = _run("verify", "g.yaml", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("symbptt: error: ")
    assert "g.yaml:5" in out.stderr and "symbols.output_preactivation" in out.stderr
    assert "Traceback" not in out.stderr
